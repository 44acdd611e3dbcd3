//! Correction tracking as stored: which alerts are tracked since which response, every item
//! of an alert (carrier, later item, counter item) with its outcome and re-fetch state, and
//! the writes that change an outcome together with its `correction` event.
//!
//! What to decide is `alerts::corrections`' business and when to look is the corrections
//! job's; this module reads what they need and applies what they decided, each outcome
//! change in one transaction with its event (through [`crate::workflow::apply_change`]).

use alerts::corrections::{
    self as corr, Basis, Carrier, CorrectionReport, ItemState, LateItem, OutcomeChange, ReachBasis,
    Window,
};
use alerts::triage::{self, Actor, Command};
use model::{AlertState, Document, MatchedTerm, SourceKind, SourceTier, Stance, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::documents::{DOCUMENT_COLUMNS, document_from_row, terms_from_json};
use crate::{Error, Result, Store, from_millis, millis, parse_enum, stamp};

/// What an item of an alert is to correction tracking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRole {
    /// It carried the claim by the end of the first day: the outlet is expected to correct.
    Carrier,
    /// It carried the claim later: residual spread.
    Late,
    /// It refutes the claim, corrects it or carries the response: neither.
    Counter,
}

impl ItemRole {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemRole::Carrier => "carrier",
            ItemRole::Late => "late",
            ItemRole::Counter => "counter",
        }
    }

    fn parse(s: &str) -> Result<ItemRole> {
        match s {
            "carrier" => Ok(ItemRole::Carrier),
            "late" => Ok(ItemRole::Late),
            "counter" => Ok(ItemRole::Counter),
            _ => Err(Error::Corrupt(format!("correction item role {s:?}"))),
        }
    }
}

/// An alert whose correction tracking runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionWatch {
    /// The tracking window.
    pub window: Window,
    /// The alert's rule.
    pub rule_id: String,
    /// The alert's state.
    pub state: AlertState,
    /// The response's text.
    pub response_text: String,
    /// The response's address, if online.
    pub response_url: Option<String>,
    /// The last sighting read for evidence.
    pub evidence_cursor: i64,
    /// The stories of the alert's documents (its subject's first).
    pub stories: Vec<i64>,
}

/// Tracking started on an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrectionStart {
    /// The tracking window.
    pub window: Window,
    /// The `track` event, when the system moved the alert (a person may have already).
    pub event_id: Option<i64>,
}

/// A place one of the alert's documents was seen that tracking has not recorded yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertItem {
    /// The sighting.
    pub sighting_id: i64,
    /// The document.
    pub document: Document,
    /// The outlet that carried it there.
    pub source_id: i64,
    /// The outlet's name.
    pub outlet: String,
    /// The outlet's tier.
    pub tier: SourceTier,
    /// How the outlet is read.
    pub kind: SourceKind,
    /// Whether its pages may be on private addresses.
    pub allow_private: bool,
    /// The item's URL.
    pub url: String,
    /// When it carried the claim: its publication when plausible, else when it was seen.
    pub carried_at: Timestamp,
    /// Whether this is the document's own URL (not a copy under another).
    pub own: bool,
    /// The document's story.
    pub story: Option<i64>,
    /// The stance of its hit on the alert's rule, when known.
    pub stance: Option<Stance>,
    /// The terms of that hit (empty without one).
    pub terms: Vec<MatchedTerm>,
}

/// An item to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCorrectionItem {
    /// The sighting.
    pub sighting_id: i64,
    /// The document.
    pub document_id: i64,
    /// The outlet.
    pub source_id: i64,
    /// The URL.
    pub url: String,
    /// When it carried the claim.
    pub carried_at: Timestamp,
    /// What it is.
    pub role: ItemRole,
    /// Its reach.
    pub reach: i64,
    /// What the reach is based on.
    pub reach_basis: ReachBasis,
    /// The matched sentences.
    pub passage: String,
    /// Whether it is re-fetched.
    pub fetchable: bool,
    /// Its first re-fetch.
    pub next_check_at: Option<Timestamp>,
    /// The document's revision now.
    pub seen_revision: i64,
}

/// A recorded item, with what the checks need.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedItem {
    /// The item as the report shows it.
    pub carrier: Carrier,
    /// What it is.
    pub role: ItemRole,
    /// The matched sentences.
    pub passage: String,
    /// Whether it is re-fetched.
    pub fetchable: bool,
    /// Whether its outlet's pages may be on private addresses.
    pub allow_private: bool,
    /// The previous re-fetch's `ETag`.
    pub etag: Option<String>,
    /// The previous re-fetch's `Last-Modified`.
    pub last_modified: Option<String>,
    /// The document revision last looked at.
    pub seen_revision: i64,
    /// The document's revision now.
    pub revision: i64,
    /// When it was last revised.
    pub revised_at: Option<Timestamp>,
    /// Whether the document still hits the alert's rule.
    pub still_hits: bool,
}

/// A later place an outlet that carried the claim published something: possible evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionCandidate {
    /// The sighting (the cursor).
    pub sighting_id: i64,
    /// The outlet.
    pub source_id: i64,
    /// Its URL.
    pub url: String,
    /// When it was published, else seen.
    pub at: Timestamp,
    /// The document.
    pub document: Document,
    /// The document's story.
    pub story: Option<i64>,
    /// The stance of its hit on the alert's rule, when it has one and it is known.
    pub stance: Option<Stance>,
}

/// A re-fetch done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDone {
    /// Slots done now.
    pub checks: usize,
    /// The next check.
    pub next_check_at: Option<Timestamp>,
    /// When.
    pub at: Timestamp,
    /// The HTTP status (0 when there was none).
    pub status: u16,
    /// New validators, when the page sent them.
    pub etag: Option<String>,
    /// New validators, when the page sent them.
    pub last_modified: Option<String>,
}

/// An item's outcome changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    /// Its state before (the write is refused if it changed meanwhile).
    pub from: ItemState,
    /// Its state after.
    pub to: ItemState,
    /// Why.
    pub basis: Basis,
    /// The document showing it.
    pub evidence_document: Option<i64>,
}

/// What to write to one item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemUpdate {
    /// The item.
    pub item_id: i64,
    /// Its new outcome, if it changed.
    pub observed: Option<Observed>,
    /// A re-fetch done.
    pub check: Option<CheckDone>,
    /// The document revision looked at.
    pub seen_revision: Option<i64>,
}

const ITEM_COLUMNS: &str = "c.id, c.alert_id, c.sighting_id, c.document_id, c.source_id, \
     COALESCE(s.name, '') AS outlet, COALESCE(s.allow_private, 0) AS allow_private, c.url, \
     c.carried_at, c.role, c.reach, c.reach_basis, c.passage, c.fetchable, c.outcome, \
     c.outcome_at, c.remedied_at, c.basis, c.evidence_document, c.checks, c.next_check_at, \
     c.last_checked_at, c.last_status, c.etag, c.last_modified, c.seen_revision, \
     COALESCE(d.revision, 0) AS doc_revision, d.revised_at AS doc_revised_at";

fn stance(row: &AnyRow) -> Result<Option<Stance>> {
    Ok(row.try_get::<Option<String>, _>("stance")?.and_then(|s| s.parse().ok()))
}

/// A sighting's time: its publication, unless missing or later than when it was seen.
fn carried_at(published: Option<i64>, fetched: i64) -> Timestamp {
    from_millis(published.filter(|&p| p <= fetched).unwrap_or(fetched))
}

fn item_from_row(row: &AnyRow) -> Result<TrackedItem> {
    let status = row.try_get::<Option<i64>, _>("last_status")?;
    let basis = row
        .try_get::<Option<String>, _>("basis")?
        .and_then(|b| Basis::parse(&b, status.and_then(|s| u16::try_from(s).ok())));
    let reach_basis: String = row.try_get("reach_basis")?;
    let carrier = Carrier {
        id: row.try_get("id")?,
        source_id: row.try_get("source_id")?,
        outlet: row.try_get("outlet")?,
        url: row.try_get("url")?,
        document_id: row.try_get("document_id")?,
        carried_at: from_millis(row.try_get("carried_at")?),
        reach: row.try_get("reach")?,
        reach_basis: ReachBasis::parse(&reach_basis).unwrap_or(ReachBasis::Tier),
        state: ItemState {
            outcome: parse_enum(row.try_get::<&str, _>("outcome")?)?,
            outcome_at: stamp(row, "outcome_at")?,
            remedied_at: stamp(row, "remedied_at")?,
        },
        basis,
        evidence_document: row.try_get("evidence_document")?,
        checks: usize::try_from(row.try_get::<i64, _>("checks")?).unwrap_or(0),
        next_check: stamp(row, "next_check_at")?,
        last_checked_at: stamp(row, "last_checked_at")?,
        last_status: status.and_then(|s| u16::try_from(s).ok()),
    };
    Ok(TrackedItem {
        carrier,
        role: ItemRole::parse(row.try_get::<&str, _>("role")?)?,
        passage: row.try_get("passage")?,
        fetchable: row.try_get::<i64, _>("fetchable")? != 0,
        allow_private: row.try_get::<i64, _>("allow_private")? != 0,
        etag: row.try_get("etag")?,
        last_modified: row.try_get("last_modified")?,
        seen_revision: row.try_get("seen_revision")?,
        revision: row.try_get("doc_revision")?,
        revised_at: stamp(row, "doc_revised_at")?,
        still_hits: row.try_get::<i64, _>("still_hits")? != 0,
    })
}

fn window_from_row(row: &AnyRow) -> Result<Window> {
    Ok(Window {
        alert_id: row.try_get("alert_id")?,
        response_id: row.try_get("response_id")?,
        started_at: from_millis(row.try_get("started_at")?),
        ends_at: from_millis(row.try_get("ends_at")?),
        finished_at: stamp(row, "finished_at")?,
    })
}

impl Store {
    /// Alerts with an official response that are not tracked yet (responded, or moved to
    /// tracking by a person), and alerts responded to again after their tracking ended,
    /// oldest first.
    pub async fn corrections_to_start(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT a.id FROM alerts a WHERE a.state IN ('responded', 'tracking') \
             AND EXISTS (SELECT 1 FROM alert_responses r WHERE r.alert_id = a.id) \
             AND NOT EXISTS (SELECT 1 FROM correction_tracking t WHERE t.alert_id = a.id \
               AND (t.finished_at IS NULL OR a.state = 'tracking' OR t.response_id >= \
                 (SELECT MAX(r.id) FROM alert_responses r WHERE r.alert_id = a.id))) \
             ORDER BY a.id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Starts tracking an alert from its first response, published at t0: the window is
    /// recorded and, when the alert is still `responded`, the system moves it to `tracking`
    /// with its event, in one transaction. An alert responded to again after its tracking
    /// ended (re-opened, the office answered anew) is tracked again from its latest
    /// response: its carriers keep their outcomes and are checked on the new schedule, and
    /// what spread later is sorted again against the new t0. `None` when there is nothing
    /// to start (tracked already, no response, or no longer responded or tracking).
    pub async fn start_corrections(
        &self,
        alert_id: i64,
        now: Timestamp,
    ) -> Result<Option<CorrectionStart>> {
        let mut tx = self.begin_write().await?;
        let current = crate::workflow::current(&mut tx, alert_id).await?;
        if !matches!(current.state, AlertState::Responded | AlertState::Tracking) {
            return Ok(None);
        }
        let tracked = sqlx::query(
            "SELECT response_id, finished_at FROM correction_tracking WHERE alert_id = $1",
        )
        .bind(alert_id)
        .fetch_optional(&mut *tx)
        .await?;
        let previous = match &tracked {
            None => None,
            Some(t) if current.state == AlertState::Responded => {
                match t.try_get::<Option<i64>, _>("finished_at")? {
                    Some(_) => Some(t.try_get::<i64, _>("response_id")?),
                    None => return Ok(None),
                }
            }
            Some(_) => return Ok(None),
        };
        let order = if previous.is_some() { "DESC" } else { "ASC" };
        let Some(response) = sqlx::query(&format!(
            "SELECT id, published_at FROM alert_responses WHERE alert_id = $1 ORDER BY id {order} LIMIT 1"
        ))
        .bind(alert_id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let response_id: i64 = response.try_get("id")?;
        if previous.is_some_and(|p| p >= response_id) {
            return Ok(None);
        }
        let t0 = from_millis(response.try_get("published_at")?);
        let window = Window {
            alert_id,
            response_id,
            started_at: t0,
            ends_at: corr::window_end(t0),
            finished_at: None,
        };
        if previous.is_some() {
            sqlx::query(
                "UPDATE correction_tracking SET response_id = $1, started_at = $2, ends_at = $3, \
                 finished_at = NULL WHERE alert_id = $4",
            )
            .bind(response_id)
            .bind(millis(window.started_at))
            .bind(millis(window.ends_at))
            .bind(alert_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE correction_items SET checks = 0, \
                 next_check_at = CASE WHEN fetchable = 1 THEN $1 ELSE NULL END \
                 WHERE alert_id = $2 AND role = 'carrier'",
            )
            .bind(corr::next_check(t0, 0).map(millis))
            .bind(alert_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM correction_items WHERE alert_id = $1 AND role = 'late'")
                .bind(alert_id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO correction_tracking (alert_id, response_id, started_at, ends_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(alert_id)
            .bind(response_id)
            .bind(millis(window.started_at))
            .bind(millis(window.ends_at))
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
        }
        let event_id = if current.state == AlertState::Responded {
            let mut change = triage::decide(
                &current,
                &Command::Track,
                Actor::System,
                None,
                now,
                self.schedule(),
            )
            .map_err(|e| Error::Refused(e.to_string()))?;
            change.data = corr::tracking_data(response_id, t0);
            Some(crate::workflow::apply_change(&mut tx, &change).await?)
        } else {
            None
        };
        tx.commit().await?;
        Ok(Some(CorrectionStart { window, event_id }))
    }

    /// The alerts whose tracking runs (not finished), with what their checks need.
    pub async fn corrections_active(&self) -> Result<Vec<CorrectionWatch>> {
        let rows = sqlx::query(
            "SELECT t.alert_id, t.response_id, t.started_at, t.ends_at, t.finished_at, \
             t.evidence_cursor, a.rule_id, a.subject, a.state, r.text, r.url \
             FROM correction_tracking t JOIN alerts a ON a.id = t.alert_id \
             JOIN alert_responses r ON r.id = t.response_id \
             WHERE t.finished_at IS NULL ORDER BY t.alert_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let window = window_from_row(row)?;
            let subject: String = row.try_get("subject")?;
            out.push(CorrectionWatch {
                window,
                rule_id: row.try_get("rule_id")?,
                state: parse_enum(row.try_get::<&str, _>("state")?)?,
                response_text: row.try_get("text")?,
                response_url: row.try_get("url")?,
                evidence_cursor: row.try_get("evidence_cursor")?,
                stories: self.alert_stories(window.alert_id, &subject).await?,
            });
        }
        Ok(out)
    }

    /// The story an alert is about (its subject's) first, then the other stories of its
    /// documents.
    async fn alert_stories(&self, alert_id: i64, subject: &str) -> Result<Vec<i64>> {
        let mut stories: Vec<i64> = match alerts::Subject::parse(subject) {
            Some(alerts::Subject::Story(id)) => vec![id],
            _ => Vec::new(),
        };
        let of_documents: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT d.story_id FROM alert_documents ad JOIN documents d ON d.id = ad.document_id \
             WHERE ad.alert_id = $1 AND d.story_id IS NOT NULL ORDER BY d.story_id",
        )
        .bind(alert_id)
        .fetch_all(&self.pool)
        .await?;
        for s in of_documents {
            if !stories.contains(&s) {
                stories.push(s);
            }
        }
        Ok(stories)
    }

    /// Places the alert's documents were seen (their own URLs and every copy) that tracking
    /// has not recorded yet, at most `limit`, in sighting order, with the hit of `rule_id`.
    pub async fn correction_new_items(
        &self,
        alert_id: i64,
        rule_id: &str,
        limit: i64,
    ) -> Result<Vec<AlertItem>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS}, d.story_id, g.id AS g_id, g.source_id AS g_source_id, \
             gs.name AS g_source_name, gs.tier AS g_tier, gs.kind AS g_kind, \
             gs.allow_private AS g_allow_private, g.url AS g_url, g.published_at AS g_published_at, \
             g.fetched_at AS g_fetched_at, h.stance, h.terms AS h_terms \
             FROM alert_documents ad JOIN sightings g ON g.document_id = ad.document_id \
             JOIN documents d ON d.id = g.document_id JOIN sources s ON s.id = d.source_id \
             JOIN sources gs ON gs.id = g.source_id \
             LEFT JOIN rule_hits h ON h.document_id = d.id AND h.rule_id = $2 \
             WHERE ad.alert_id = $1 AND NOT EXISTS \
               (SELECT 1 FROM correction_items c WHERE c.alert_id = $1 AND c.url = g.url) \
             ORDER BY g.id LIMIT $3"
        ))
        .bind(alert_id)
        .bind(rule_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let document = document_from_row(row)?;
                let url: String = row.try_get("g_url")?;
                let terms = match row.try_get::<Option<&str>, _>("h_terms")? {
                    Some(t) => terms_from_json(t)?,
                    None => Vec::new(),
                };
                Ok(AlertItem {
                    sighting_id: row.try_get("g_id")?,
                    own: url == document.doc.url,
                    source_id: row.try_get("g_source_id")?,
                    outlet: row.try_get("g_source_name")?,
                    tier: parse_enum(row.try_get::<&str, _>("g_tier")?)?,
                    kind: parse_enum(row.try_get::<&str, _>("g_kind")?)?,
                    allow_private: row.try_get::<i64, _>("g_allow_private")? != 0,
                    url,
                    carried_at: carried_at(
                        row.try_get("g_published_at")?,
                        row.try_get("g_fetched_at")?,
                    ),
                    story: row.try_get("story_id")?,
                    stance: stance(row)?,
                    terms,
                    document,
                })
            })
            .collect()
    }

    /// Records items of an alert; one already recorded under its URL is left as it is.
    /// Returns how many were new.
    pub async fn add_correction_items(
        &self,
        alert_id: i64,
        items: &[NewCorrectionItem],
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut added = 0;
        for i in items {
            added += sqlx::query(
                "INSERT INTO correction_items (alert_id, sighting_id, document_id, source_id, url, \
                 carried_at, role, reach, reach_basis, passage, fetchable, next_check_at, seen_revision) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (alert_id, url) DO NOTHING",
            )
            .bind(alert_id)
            .bind(i.sighting_id)
            .bind(i.document_id)
            .bind(i.source_id)
            .bind(&i.url)
            .bind(millis(i.carried_at))
            .bind(i.role.as_str())
            .bind(i.reach)
            .bind(i.reach_basis.as_str())
            .bind(&i.passage)
            .bind(i64::from(i.fetchable))
            .bind(i.next_check_at.map(millis))
            .bind(i.seen_revision)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Every recorded item of an alert, in the order recorded; `rule_id` is the alert's
    /// rule, whose hit on each document tells whether it still carries the claim.
    pub async fn correction_items(&self, alert_id: i64, rule_id: &str) -> Result<Vec<TrackedItem>> {
        let rows = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS}, CASE WHEN EXISTS (SELECT 1 FROM rule_hits h \
               WHERE h.document_id = c.document_id AND h.rule_id = $2) THEN 1 ELSE 0 END AS still_hits \
             FROM correction_items c LEFT JOIN sources s ON s.id = c.source_id \
             LEFT JOIN documents d ON d.id = c.document_id WHERE c.alert_id = $1 ORDER BY c.id"
        ))
        .bind(alert_id)
        .bind(rule_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(item_from_row).collect()
    }

    /// Sightings after `after` of the outlets that carried an alert's claim, seen at or
    /// after `since`, at most `limit`, in sighting order, with the stance of their hit on
    /// `rule_id`: the places a correction or the response may appear.
    pub async fn correction_candidates(
        &self,
        alert_id: i64,
        rule_id: &str,
        after: i64,
        since: Timestamp,
        limit: i64,
    ) -> Result<Vec<CorrectionCandidate>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS}, d.story_id, g.id AS g_id, g.source_id AS g_source_id, \
             g.url AS g_url, g.published_at AS g_published_at, g.fetched_at AS g_fetched_at, h.stance \
             FROM sightings g JOIN documents d ON d.id = g.document_id \
             JOIN sources s ON s.id = d.source_id \
             LEFT JOIN rule_hits h ON h.document_id = d.id AND h.rule_id = $2 \
             WHERE g.id > $3 AND g.fetched_at >= $4 AND g.source_id IN \
               (SELECT c.source_id FROM correction_items c WHERE c.alert_id = $1 AND c.role = 'carrier') \
             ORDER BY g.id LIMIT $5"
        ))
        .bind(alert_id)
        .bind(rule_id)
        .bind(after)
        .bind(millis(since))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CorrectionCandidate {
                    sighting_id: row.try_get("g_id")?,
                    source_id: row.try_get("g_source_id")?,
                    url: row.try_get("g_url")?,
                    at: carried_at(row.try_get("g_published_at")?, row.try_get("g_fetched_at")?),
                    story: row.try_get("story_id")?,
                    stance: stance(row)?,
                    document: document_from_row(row)?,
                })
            })
            .collect()
    }

    /// Remembers the last sighting read for an alert's evidence.
    pub async fn set_correction_cursor(&self, alert_id: i64, sighting_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE correction_tracking SET evidence_cursor = $1 WHERE alert_id = $2 AND evidence_cursor < $1",
        )
        .bind(sighting_id)
        .bind(alert_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Writes what was found of one item at `now`: a re-fetch, the revision looked at,
    /// and, when its outcome changed, the new outcome with the alert's `correction` event
    /// (system, `{source, url, outcome, previous, basis, evidence_document, …}`), in one
    /// transaction. Returns the event's id. [`Error::Stale`] when the item's outcome
    /// changed meanwhile.
    pub async fn update_correction_item(
        &self,
        update: &ItemUpdate,
        now: Timestamp,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT c.alert_id, c.source_id, c.url, COALESCE(s.name, '') AS outlet \
             FROM correction_items c LEFT JOIN sources s ON s.id = c.source_id WHERE c.id = $1",
        )
        .bind(update.item_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::NotFound(format!("correction item {}", update.item_id)))?;
        let alert_id: i64 = row.try_get("alert_id")?;
        if let Some(check) = &update.check {
            sqlx::query(
                "UPDATE correction_items SET checks = $1, next_check_at = $2, last_checked_at = $3, \
                 last_status = $4, etag = COALESCE($5, etag), last_modified = COALESCE($6, last_modified) \
                 WHERE id = $7",
            )
            .bind(i64::try_from(check.checks).unwrap_or(i64::MAX))
            .bind(check.next_check_at.map(millis))
            .bind(millis(check.at))
            .bind(i64::from(check.status))
            .bind(check.etag.as_deref())
            .bind(check.last_modified.as_deref())
            .bind(update.item_id)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(revision) = update.seen_revision {
            sqlx::query("UPDATE correction_items SET seen_revision = $1 WHERE id = $2")
                .bind(revision)
                .bind(update.item_id)
                .execute(&mut *tx)
                .await?;
        }
        let mut event = None;
        if let Some(o) = &update.observed {
            let changed = sqlx::query(
                "UPDATE correction_items SET outcome = $1, outcome_at = $2, remedied_at = $3, \
                 basis = $4, evidence_document = $5 WHERE id = $6 AND outcome = $7",
            )
            .bind(o.to.outcome.as_str())
            .bind(o.to.outcome_at.map(millis))
            .bind(o.to.remedied_at.map(millis))
            .bind(o.basis.as_str())
            .bind(o.evidence_document)
            .bind(update.item_id)
            .bind(o.from.outcome.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(Error::Stale(format!(
                    "correction item {} is no longer {}",
                    update.item_id,
                    o.from.outcome.as_str()
                )));
            }
            let current = crate::workflow::current(&mut tx, alert_id).await?;
            let outlet: String = row.try_get("outlet")?;
            let url: String = row.try_get("url")?;
            let change = corr::correction_change(
                &current,
                &OutcomeChange {
                    source_id: row.try_get("source_id")?,
                    outlet: &outlet,
                    url: &url,
                    from: o.from.outcome,
                    to: o.to.outcome,
                    basis: o.basis,
                    evidence_document: o.evidence_document,
                    observed_at: o.to.outcome_at.unwrap_or(now),
                },
                now,
            );
            event = Some(crate::workflow::apply_change(&mut tx, &change).await?);
        }
        tx.commit().await?;
        Ok(event)
    }

    /// Ends an alert's tracking at `now`: the system closes the alert with the coverage as
    /// its note when it is still `tracking` (a person may have closed it already), and the
    /// window is marked finished. Returns the `close` event's id, if one was written.
    pub async fn finish_corrections(&self, alert_id: i64, now: Timestamp) -> Result<Option<i64>> {
        let Some(report) = self.alert_corrections(alert_id).await? else { return Ok(None) };
        let mut tx = self.begin_write().await?;
        let current = crate::workflow::current(&mut tx, alert_id).await?;
        let event = if current.state == AlertState::Tracking {
            let note = corr::closing_note(&report);
            let mut change = triage::decide(
                &current,
                &Command::Close,
                Actor::System,
                Some(&note),
                now,
                self.schedule(),
            )
            .map_err(|e| Error::Refused(e.to_string()))?;
            change.data = corr::closing_data(&report);
            Some(crate::workflow::apply_change(&mut tx, &change).await?)
        } else {
            None
        };
        sqlx::query(
            "UPDATE correction_tracking SET finished_at = $1 WHERE alert_id = $2 AND finished_at IS NULL",
        )
        .bind(millis(now))
        .bind(alert_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(event)
    }

    /// Whether the correction reached the outlets that carried an alert's claim: its
    /// carriers and their outcomes, coverage, time to correction, residual spread and the
    /// first publisher's part. `None` when the alert is not tracked.
    pub async fn alert_corrections(&self, alert_id: i64) -> Result<Option<CorrectionReport>> {
        let Some(row) = sqlx::query(
            "SELECT t.alert_id, t.response_id, t.started_at, t.ends_at, t.finished_at, \
             a.rule_id, a.subject FROM correction_tracking t JOIN alerts a ON a.id = t.alert_id \
             WHERE t.alert_id = $1",
        )
        .bind(alert_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let window = window_from_row(&row)?;
        let rule_id: String = row.try_get("rule_id")?;
        let subject: String = row.try_get("subject")?;
        let items = self.correction_items(alert_id, &rule_id).await?;
        let mut carriers = Vec::new();
        let mut late = Vec::new();
        for item in items {
            match item.role {
                ItemRole::Carrier => carriers.push(item.carrier),
                ItemRole::Late => late.push(LateItem {
                    document_id: item.carrier.document_id,
                    source_id: item.carrier.source_id,
                    outlet: item.carrier.outlet,
                    url: item.carrier.url,
                    at: item.carrier.carried_at,
                }),
                ItemRole::Counter => {}
            }
        }
        let origin = match self.alert_stories(alert_id, &subject).await?.first() {
            Some(&story) => sqlx::query(
                "SELECT t.origin_source, COALESCE(s.name, '') AS name FROM stories t \
                 LEFT JOIN sources s ON s.id = t.origin_source WHERE t.id = $1",
            )
            .bind(story)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| -> Result<(i64, String)> {
                Ok((r.try_get("origin_source")?, r.try_get("name")?))
            })
            .transpose()?,
            None => None,
        };
        Ok(Some(corr::report(window, carriers, &late, origin)))
    }
}
