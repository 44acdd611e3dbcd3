//! Handling figures: what the KPI computation of `alerts::kpi` reads for a period (the facts
//! and events of the alerts concerned, in three queries), and how many alerts were open and
//! overdue at the end of past days, reconstructed from the events rather than read from the
//! alerts' states of today.

use std::collections::HashMap;

use alerts::kpi::{self, AlertFacts, DayBacklog, Figures, Period};
use chrono::{Duration, NaiveDate};
use model::{AlertEvent, AlertState, RuleKind, Timestamp};
use sqlx::Row;

use crate::{Result, Store, from_millis, millis, parse_enum};

/// Story ids per statement when reading first publishers.
const IDS_PER_STATEMENT: usize = 500;

/// A document's time for detection: its publication, unless missing or later than its
/// fetch (a wrong clock), as stories count it.
const DOCUMENT_TIME: &str = "CASE WHEN d.published_at IS NOT NULL AND d.published_at <= d.fetched_at THEN d.published_at ELSE d.fetched_at END";

/// The open states as an SQL list of literals (fixed names, never user input).
fn open_states() -> String {
    AlertState::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The alerts that matter for `[from, to)`: opened before its end, and opened in it, open
/// now (so open throughout since), or changed since its start.
fn concerned() -> String {
    format!(
        "a.opened_at < $1 AND (a.opened_at >= $2 OR a.state IN ({}) OR EXISTS \
         (SELECT 1 FROM alert_events x WHERE x.alert_id = a.id AND x.at >= $2))",
        open_states()
    )
}

impl Store {
    /// What the handling figures of `[from, to)` are computed from: the facts of every alert
    /// opened in the period or active during it, and their events before its end. Notes,
    /// deadline marks and correction checks are left out: they change no state or deadline.
    pub async fn handling_history(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<(Vec<AlertFacts>, Vec<AlertEvent>)> {
        let rows = sqlx::query(&format!(
            "SELECT a.id, a.rule_id, a.rule_title, a.kind, a.priority, a.opened_at, a.subject, \
             (SELECT MIN({DOCUMENT_TIME}) FROM alert_documents ad JOIN documents d ON d.id = ad.document_id \
              WHERE ad.alert_id = a.id) AS earliest \
             FROM alerts a WHERE {} ORDER BY a.id",
            concerned()
        ))
        .bind(millis(to))
        .bind(millis(from))
        .fetch_all(&self.pool)
        .await?;
        let mut facts = Vec::with_capacity(rows.len());
        let mut stories: Vec<(usize, i64)> = Vec::new();
        for row in &rows {
            let kind: RuleKind = parse_enum(row.try_get::<&str, _>("kind")?)?;
            let subject: String = row.try_get("subject")?;
            if let Some(story) = alerts::Subject::parse(&subject).and_then(|s| match s {
                alerts::Subject::Story(id) => Some(id),
                alerts::Subject::Rule => None,
            }) {
                stories.push((facts.len(), story));
            }
            facts.push(AlertFacts {
                id: row.try_get("id")?,
                rule_id: row.try_get("rule_id")?,
                rule_title: row.try_get("rule_title")?,
                kind,
                opened_at: from_millis(row.try_get("opened_at")?),
                // A spike is detected over a window, not from one first item.
                origin_published: match kind {
                    RuleKind::Spike => None,
                    _ => row.try_get::<Option<i64>, _>("earliest")?.map(from_millis),
                },
                priority: parse_enum(row.try_get::<&str, _>("priority")?)?,
            });
        }
        // The story's first publisher, where the story's row is written, is the origin.
        let mut ids: Vec<i64> = stories.iter().map(|s| s.1).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut origin: HashMap<i64, Timestamp> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            let rows = sqlx::query(&format!(
                "SELECT t.id, {DOCUMENT_TIME} AS published FROM stories t \
                 JOIN documents d ON d.id = t.origin_document WHERE t.id IN ({list})"
            ))
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                origin.insert(row.try_get("id")?, from_millis(row.try_get("published")?));
            }
        }
        for (i, story) in stories {
            if let Some(&t) = origin.get(&story)
                && facts[i].kind != RuleKind::Spike
            {
                facts[i].origin_published = Some(t);
            }
        }
        let rows = sqlx::query(&format!(
            "SELECT e.id, e.alert_id, e.at, e.user_id, u.name AS user_name, e.action, \
             e.from_state, e.to_state, e.note, e.data FROM alert_events e \
             LEFT JOIN users u ON u.id = e.user_id \
             WHERE e.at < $1 AND e.action NOT IN ('note', 'deadline', 'correction') \
             AND e.alert_id IN (SELECT a.id FROM alerts a WHERE {}) ORDER BY e.alert_id, e.id",
            concerned()
        ))
        .bind(millis(to))
        .bind(millis(from))
        .fetch_all(&self.pool)
        .await?;
        let events = rows
            .iter()
            .map(|row| {
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
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((facts, events))
    }

    /// Every handling figure of `period`, judged at `now`, by the store's deadlines.
    pub async fn handling_figures(&self, period: Period, now: Timestamp) -> Result<Figures> {
        let (facts, events) = self.handling_history(period.from, period.to).await?;
        Ok(kpi::figures(&facts, &events, period, now, self.schedule()))
    }

    /// How many alerts were open, overdue and still new at the end of each Vietnam day from
    /// `first` to `last` (oldest first), as the events tell it: an alert is open at a day's
    /// end if its latest state change by then was to an open state, and overdue if the
    /// deadline of that state had passed too.
    pub async fn backlog_by_day(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<DayBacklog>> {
        if last < first {
            return Ok(Vec::new());
        }
        let from = kpi::vn_day_end(first) - Duration::days(1);
        let to = kpi::vn_day_end(last);
        let (facts, events) = self.handling_history(from, to).await?;
        let lines = kpi::timelines(&facts, &events, self.schedule());
        Ok(kpi::backlog_by_day(&lines, first.iter_days().take_while(|d| *d <= last)))
    }

    /// How many alerts were open at the end of Vietnam day `day`.
    pub async fn open_alerts_on(&self, day: NaiveDate) -> Result<usize> {
        Ok(self.backlog_by_day(day, day).await?.first().map_or(0, |d| d.open))
    }

    /// How many alerts were open and past the deadline of their state at the end of Vietnam
    /// day `day`.
    pub async fn overdue_alerts_on(&self, day: NaiveDate) -> Result<usize> {
        Ok(self.backlog_by_day(day, day).await?.first().map_or(0, |d| d.overdue))
    }
}
