//! Alert handling: applying what `alerts::triage` decides (the alert's new handling fields
//! and its event, in one transaction), and reading an alert's history.
//!
//! Every change to an alert's state or handling goes through [`apply_change`], which writes
//! exactly one `alert_events` row with it; the events are never updated or deleted.

use alerts::deadlines::DeadlineKind;
use alerts::triage::{self, Actor, Change, Command, Current, Deadline, Refusal};
use model::{AlertAction, AlertEvent, AlertState, Role, RuleKind, Severity, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::{Error, Result, Store, from_millis, millis, parse_enum, stamp};

/// The handling columns of `alerts a`, as a literal for [`crate::alerts::ALERT_COLUMNS`].
macro_rules! handling_columns {
    () => {
        "a.priority, a.assignee_id, \
         (SELECT u.name FROM users u WHERE u.id = a.assignee_id) AS assignee_name, \
         a.opened_at, a.state_changed_at, a.ack_from, a.ack_due, a.decide_from, a.decide_due, \
         a.respond_from, a.respond_due, a.merged_into, a.dismiss_reason, a.escalated_to, a.regrown"
    };
}
pub(crate) use handling_columns;

const HANDLING_COLUMNS: &str = handling_columns!();

pub(crate) fn deadline(row: &AnyRow, name: &str) -> Result<Option<Deadline>> {
    Ok(match (stamp(row, &format!("{name}_from"))?, stamp(row, &format!("{name}_due"))?) {
        (Some(from), Some(due)) => Some(Deadline { from, due }),
        _ => None,
    })
}

fn optional_enum<T: std::str::FromStr<Err = model::UnknownValue>>(
    row: &AnyRow,
    column: &str,
) -> Result<Option<T>> {
    row.try_get::<Option<&str>, _>(column)?.map(parse_enum).transpose()
}

pub(crate) fn handling_from_row(row: &AnyRow) -> Result<model::Handling> {
    let assignee = match (
        row.try_get::<Option<i64>, _>("assignee_id")?,
        row.try_get::<Option<String>, _>("assignee_name")?,
    ) {
        (Some(id), name) => Some((id, name.unwrap_or_default())),
        _ => None,
    };
    Ok(model::Handling {
        priority: parse_enum(row.try_get::<&str, _>("priority")?)?,
        assignee,
        ack_due: stamp(row, "ack_due")?,
        decide_due: stamp(row, "decide_due")?,
        respond_due: stamp(row, "respond_due")?,
        merged_into: row.try_get("merged_into")?,
        dismiss_reason: optional_enum(row, "dismiss_reason")?,
        escalated_to: optional_enum(row, "escalated_to")?,
        regrown: row.try_get("regrown")?,
        state_changed_at: stamp(row, "state_changed_at")?,
    })
}

/// What triage needs of an alert, read inside the caller's transaction.
pub(crate) async fn current(tx: &mut Transaction<'_, Any>, alert_id: i64) -> Result<Current> {
    let row = sqlx::query(&format!(
        "SELECT a.id, a.state, {HANDLING_COLUMNS} FROM alerts a WHERE a.id = $1"
    ))
    .bind(alert_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("alert {alert_id}")))?;
    Ok(Current {
        id: row.try_get("id")?,
        state: parse_enum(row.try_get::<&str, _>("state")?)?,
        priority: parse_enum(row.try_get::<&str, _>("priority")?)?,
        assignee: row.try_get("assignee_id")?,
        opened_at: from_millis(row.try_get("opened_at")?),
        ack: deadline(&row, "ack")?,
        decide: deadline(&row, "decide")?,
        respond: deadline(&row, "respond")?,
        merged_into: row.try_get("merged_into")?,
        dismiss_reason: optional_enum(&row, "dismiss_reason")?,
        escalated_to: optional_enum(&row, "escalated_to")?,
        regrown: row.try_get("regrown")?,
    })
}

/// Writes a change: the alert's handling fields, guarded by its state before, and its
/// event. Returns the event's id; a conflict when somebody moved the alert meanwhile.
pub(crate) async fn apply_change(tx: &mut Transaction<'_, Any>, c: &Change) -> Result<i64> {
    let split = |d: Option<Deadline>| (d.map(|d| millis(d.from)), d.map(|d| millis(d.due)));
    let (ack_from, ack_due) = split(c.ack);
    let (decide_from, decide_due) = split(c.decide);
    let (respond_from, respond_due) = split(c.respond);
    let moved = c.from != c.to;
    let updated = sqlx::query(
        "UPDATE alerts SET state = $1, priority = $2, assignee_id = $3, ack_from = $4, ack_due = $5, \
         decide_from = $6, decide_due = $7, respond_from = $8, respond_due = $9, merged_into = $10, \
         dismiss_reason = $11, escalated_to = $12, regrown = $13, \
         state_changed_at = CASE WHEN $14 THEN $15 ELSE state_changed_at END \
         WHERE id = $16 AND state = $17",
    )
    .bind(c.to.as_str())
    .bind(c.priority.as_str())
    .bind(c.assignee)
    .bind(ack_from)
    .bind(ack_due)
    .bind(decide_from)
    .bind(decide_due)
    .bind(respond_from)
    .bind(respond_due)
    .bind(c.merged_into)
    .bind(c.dismiss_reason.map(|r| r.as_str()))
    .bind(c.escalated_to.map(|t| t.as_str()))
    .bind(c.regrown.as_deref())
    .bind(moved)
    .bind(millis(c.at))
    .bind(c.alert_id)
    .bind(c.from.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(Error::Stale(format!(
            "alert {} is no longer {}; reload it and try again",
            c.alert_id,
            c.from.as_str()
        )));
    }
    let data = (!c.data.is_null()).then(|| c.data.to_string());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alert_events (alert_id, at, user_id, action, from_state, to_state, note, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(c.alert_id)
    .bind(millis(c.at))
    .bind(c.actor.user_id())
    .bind(c.action.as_str())
    .bind(c.from.as_str())
    .bind(c.to.as_str())
    .bind(c.note.as_deref())
    .bind(data)
    .fetch_one(&mut **tx)
    .await?;
    // Delivered when the transaction commits: other processes' event streams and
    // notifications look at once.
    crate::wakeups::publish(tx, crate::Topic::AlertEvents).await?;
    Ok(id)
}

/// Records the opening of a new alert: its priority, its deadline to acknowledge and its
/// `opened` event.
pub(crate) async fn record_opening(
    tx: &mut Transaction<'_, Any>,
    schedule: &alerts::deadlines::Schedule,
    alert_id: i64,
    kind: RuleKind,
    severity: Severity,
    at: Timestamp,
) -> Result<()> {
    sqlx::query("UPDATE alerts SET opened_at = $1, state_changed_at = $1 WHERE id = $2")
        .bind(millis(at))
        .bind(alert_id)
        .execute(&mut **tx)
        .await?;
    let change = triage::opening(alert_id, kind, severity, at, schedule);
    apply_change(tx, &change).await?;
    Ok(())
}

/// Brings back a dismissed or closed alert that grew, with the reason; nothing for one that
/// is open or merged.
pub(crate) async fn record_growth(
    tx: &mut Transaction<'_, Any>,
    schedule: &alerts::deadlines::Schedule,
    before: &Current,
    documents: usize,
    outlets: usize,
    at: Timestamp,
) -> Result<bool> {
    match triage::regrowth(before, documents, outlets, at, schedule) {
        Some(change) => {
            apply_change(tx, &change).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Deletes an alert with everything that hangs off it (its history goes with it: this is
/// only for an alert whose every document was purged with its source). Alerts merged into
/// it keep their state but no longer point at it.
pub(crate) async fn delete_alert(tx: &mut Transaction<'_, Any>, alert_id: i64) -> Result<()> {
    sqlx::query("UPDATE alerts SET merged_into = NULL WHERE merged_into = $1")
        .bind(alert_id)
        .execute(&mut **tx)
        .await?;
    for table in [
        "correction_items",
        "correction_tracking",
        "alert_responses",
        "alert_events",
        "alert_documents",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE alert_id = $1"))
            .bind(alert_id)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("DELETE FROM alerts WHERE id = $1").bind(alert_id).execute(&mut **tx).await?;
    Ok(())
}

/// What an alert action did.
#[derive(Debug, Clone)]
pub struct Acted {
    /// The change applied.
    pub change: Change,
    /// Its event's id.
    pub event_id: i64,
}

/// An official response, as the office records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResponse {
    /// Where it was published.
    pub channel: model::ResponseChannel,
    /// When it was published.
    pub published_at: Timestamp,
    /// Its text, or the key sentences of it.
    pub text: String,
    /// The address of the statement, when it is online.
    pub url: Option<String>,
}

/// A recorded official response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Store identifier.
    pub id: i64,
    /// The alert.
    pub alert_id: i64,
    /// Who recorded it.
    pub recorded_by: Option<String>,
    /// When it was recorded (its event's time).
    pub recorded_at: Timestamp,
    /// What it is.
    pub response: NewResponse,
}

fn refused(e: Refusal) -> Error {
    Error::Refused(e.to_string())
}

fn event_from_row(row: &AnyRow) -> Result<AlertEvent> {
    let actor = match (
        row.try_get::<Option<i64>, _>("user_id")?,
        row.try_get::<Option<String>, _>("user_name")?,
    ) {
        (Some(id), name) => Some((id, name.unwrap_or_default())),
        _ => None,
    };
    Ok(AlertEvent {
        id: row.try_get("id")?,
        alert_id: row.try_get("alert_id")?,
        at: from_millis(row.try_get("at")?),
        actor,
        action: parse_enum(row.try_get::<&str, _>("action")?)?,
        from: parse_enum(row.try_get::<&str, _>("from_state")?)?,
        to: parse_enum(row.try_get::<&str, _>("to_state")?)?,
        note: row.try_get("note")?,
        data: row.try_get("data")?,
    })
}

const EVENT_COLUMNS: &str = "e.id, e.alert_id, e.at, e.user_id, u.name AS user_name, e.action, \
     e.from_state, e.to_state, e.note, e.data";

impl Store {
    /// Takes `command` on an alert for `actor` at `now`: decided by `alerts::triage`,
    /// applied with its event in one transaction. A merge also records the absorbing alert's
    /// side and moves the documents over.
    pub async fn act(
        &self,
        alert_id: i64,
        command: &Command,
        actor: Actor,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<Acted> {
        let mut tx = self.begin_write().await?;
        let before = current(&mut tx, alert_id).await?;
        let change =
            triage::decide(&before, command, actor, note, now, self.schedule()).map_err(refused)?;
        if let Command::Merge { into } = command {
            let target = current(&mut tx, *into).await?;
            let absorbed = triage::absorb(&target, &change, now).map_err(refused)?;
            apply_change(&mut tx, &absorbed).await?;
            sqlx::query(
                "INSERT INTO alert_documents (alert_id, document_id, added_at) \
                 SELECT $1, document_id, added_at FROM alert_documents WHERE alert_id = $2 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(*into)
            .bind(alert_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE alerts SET doc_count = (SELECT COUNT(*) FROM alert_documents WHERE alert_id = $1), \
                 first_seen = (SELECT MIN(first_seen) FROM alerts WHERE id IN ($1, $2)), \
                 last_seen = (SELECT MAX(last_seen) FROM alerts WHERE id IN ($1, $2)) WHERE id = $1",
            )
            .bind(*into)
            .bind(alert_id)
            .execute(&mut *tx)
            .await?;
        }
        let event_id = apply_change(&mut tx, &change).await?;
        tx.commit().await?;
        Ok(Acted { change, event_id })
    }

    /// Records the office's official response to an alert (the `respond` action) with it.
    pub async fn respond(
        &self,
        alert_id: i64,
        response: &NewResponse,
        actor: Actor,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<Acted> {
        if response.text.trim().is_empty() {
            return Err(Error::Refused("a response needs its text".to_owned()));
        }
        let mut tx = self.begin_write().await?;
        let before = current(&mut tx, alert_id).await?;
        let mut change =
            triage::decide(&before, &Command::Respond, actor, note, now, self.schedule())
                .map_err(refused)?;
        change.data = serde_json::json!({
            "channel": response.channel.as_str(),
            "published_at": millis(response.published_at),
            "url": response.url,
        });
        let event_id = apply_change(&mut tx, &change).await?;
        sqlx::query(
            "INSERT INTO alert_responses (alert_id, event_id, user_id, channel, published_at, text, url) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(alert_id)
        .bind(event_id)
        .bind(actor.user_id())
        .bind(response.channel.as_str())
        .bind(millis(response.published_at))
        .bind(response.text.trim())
        .bind(response.url.as_deref())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Acted { change, event_id })
    }

    /// What triage knows of an alert now.
    pub async fn alert_current(&self, alert_id: i64) -> Result<Current> {
        let mut tx = self.begin_write().await?;
        let c = current(&mut tx, alert_id).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// One alert, with its handling.
    pub async fn alert(&self, alert_id: i64) -> Result<model::Alert> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM alerts a WHERE a.id = $1",
            crate::alerts::ALERT_COLUMNS
        ))
        .bind(alert_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("alert {alert_id}")))?;
        crate::alerts::alert_from_row(&row)
    }

    /// An alert's history, oldest first.
    pub async fn alert_events(&self, alert_id: i64) -> Result<Vec<AlertEvent>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM alert_events e LEFT JOIN users u ON u.id = e.user_id \
             WHERE e.alert_id = $1 ORDER BY e.id"
        ))
        .bind(alert_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Events of every alert after event `after`, oldest first, at most `limit`: what the
    /// live board and the notifications follow.
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<AlertEvent>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM alert_events e LEFT JOIN users u ON u.id = e.user_id \
             WHERE e.id > $1 ORDER BY e.id LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The id of the latest event (0 when there is none).
    pub async fn last_event_id(&self) -> Result<i64> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM alert_events").fetch_one(&self.pool).await?;
        Ok(id.unwrap_or(0))
    }

    /// Every event of `[from, to)`, oldest first: the figures of handling are computed
    /// from these.
    pub async fn events_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<AlertEvent>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM alert_events e LEFT JOIN users u ON u.id = e.user_id \
             WHERE e.at >= $1 AND e.at < $2 ORDER BY e.id"
        ))
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The official responses recorded on an alert, oldest first.
    pub async fn alert_responses(&self, alert_id: i64) -> Result<Vec<Response>> {
        let rows = sqlx::query(
            "SELECT r.id, r.alert_id, r.channel, r.published_at, r.text, r.url, u.name AS user_name, \
             e.at AS recorded_at FROM alert_responses r JOIN alert_events e ON e.id = r.event_id \
             LEFT JOIN users u ON u.id = r.user_id WHERE r.alert_id = $1 ORDER BY r.id",
        )
        .bind(alert_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Response {
                    id: row.try_get("id")?,
                    alert_id: row.try_get("alert_id")?,
                    recorded_by: row.try_get("user_name")?,
                    recorded_at: from_millis(row.try_get("recorded_at")?),
                    response: NewResponse {
                        channel: parse_enum(row.try_get::<&str, _>("channel")?)?,
                        published_at: from_millis(row.try_get("published_at")?),
                        text: row.try_get("text")?,
                        url: row.try_get("url")?,
                    },
                })
            })
            .collect()
    }

    /// Records the escalation marks of every open alert's current deadline reached by `now`
    /// and not yet recorded; returns the changes written.
    pub async fn record_deadlines(&self, now: Timestamp) -> Result<Vec<Change>> {
        let due_states: Vec<&str> = AlertState::ALL
            .iter()
            .filter(|&&s| DeadlineKind::of_state(s).is_some())
            .map(|s| s.as_str())
            .collect();
        let sql = format!(
            "SELECT id FROM alerts WHERE state IN {} AND \
             ((ack_from IS NOT NULL AND state = 'new') OR decide_from IS NOT NULL OR respond_from IS NOT NULL) \
             ORDER BY id",
            crate::documents::placeholders(1, due_states.len())
        );
        let mut q = sqlx::query_scalar(&sql);
        for s in &due_states {
            q = q.bind(*s);
        }
        let ids: Vec<i64> = q.fetch_all(&self.pool).await?;
        let mut written = Vec::new();
        for id in ids {
            let mut tx = self.begin_write().await?;
            let before = current(&mut tx, id).await?;
            let recorded: Vec<(DeadlineKind, u8)> = sqlx::query_scalar::<_, Option<String>>(
                "SELECT data FROM alert_events WHERE alert_id = $1 AND action = 'deadline'",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let v: serde_json::Value = serde_json::from_str(&d).ok()?;
                let kind = v.get("deadline")?.as_str()?.parse().ok()?;
                let percent = u8::try_from(v.get("percent")?.as_u64()?).ok()?;
                // A mark counts for the deadline it was recorded against: a later deadline
                // of the same kind (after re-opening) has its own marks.
                let due = v.get("due")?.as_i64()?;
                let current_due = before.deadline(kind).map(|d| millis(d.due));
                (current_due == Some(due)).then_some((kind, percent))
            })
            .collect();
            let changes = triage::deadline_events(&before, &recorded, now, self.schedule());
            for c in &changes {
                apply_change(&mut tx, c).await?;
            }
            tx.commit().await?;
            written.extend(changes);
        }
        Ok(written)
    }

    /// The role and state of a user who may be assigned alerts; `None` when there is no such
    /// user or the account is disabled.
    pub async fn assignable(&self, user_id: i64) -> Result<Option<Role>> {
        let row = sqlx::query("SELECT role, disabled_at FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        if row.try_get::<Option<i64>, _>("disabled_at")?.is_some() {
            return Ok(None);
        }
        Ok(Some(parse_enum(row.try_get::<&str, _>("role")?)?))
    }

    /// Events of one action, for counting (tests and figures).
    pub async fn count_events(&self, action: AlertAction) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM alert_events WHERE action = $1")
            .bind(action.as_str())
            .fetch_one(&self.pool)
            .await?)
    }
}
