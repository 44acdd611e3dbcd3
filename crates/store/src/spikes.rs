//! What spike scans read and write: the topic sightings of stories over a time range, and
//! spike alerts applied one per (topic, area, window), or per (topic, area, day) for
//! hourly spikes.
//!
//! A sighting counts at its publication time when the outlet gave one, so history imported
//! or fetched late lands on the day it was published; at its fetch time when there is none
//! or it lies after the fetch (a feed whose clock runs ahead), as the trends count.

use std::collections::BTreeSet;

use model::Timestamp;
use sqlx::Row;

use crate::documents::placeholders;
use crate::{Result, Store, from_millis, millis};

/// When a sighting counts: its publication time, else (none, or one in the future of its
/// fetch) its fetch time.
const SIGHTING_AT: &str = "(CASE WHEN s.published_at IS NOT NULL AND s.published_at <= s.fetched_at \
     THEN s.published_at ELSE s.fetched_at END)";

/// Milliseconds in a day, and Vietnam's offset from UTC (UTC+7, no daylight saving).
const DAY_MS: i64 = 86_400_000;
const VN_OFFSET_MS: i64 = 7 * 3_600_000;

/// Severity as a number, so SQL can keep the higher of two (as rule alerts do).
fn severity_rank(column: &str) -> String {
    format!("CASE {column} WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 ELSE 3 END")
}

/// Rows per `alert_documents` insert: three parameters each stays far below either
/// back end's limit on bound parameters.
const ATTACH_CHUNK: usize = 300;

/// A document of a story seen at one outlet on one Vietnam day, with the topic rules that
/// hit it: what a spike scan counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpikeSighting {
    /// The earliest sighting of the document at that outlet that day.
    pub at: Timestamp,
    /// The document.
    pub document_id: i64,
    /// Its story.
    pub story: i64,
    /// The outlet (source) it was seen at.
    pub source: i64,
    /// The province the document is about, if any.
    pub province: Option<String>,
    /// The topic rules that hit it, sorted (tags are the caller's: they live in the rule
    /// packs, not here).
    pub topics: Vec<String>,
}

/// What applying a spike alert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeApplied {
    /// A new alert was opened.
    Opened(i64),
    /// The open alert's explanation changed or it gained documents.
    Updated(i64),
    /// The open alert already said all this.
    Unchanged(i64),
    /// The window's alert was closed by an officer: it stays closed and no other opens.
    Closed(i64),
}

impl SpikeApplied {
    /// The alert's id.
    pub fn alert_id(self) -> i64 {
        match self {
            SpikeApplied::Opened(id)
            | SpikeApplied::Updated(id)
            | SpikeApplied::Unchanged(id)
            | SpikeApplied::Closed(id) => id,
        }
    }
}

impl Store {
    /// The topic sightings of stories in `[from, to)`: one per (document, outlet, Vietnam
    /// day), at its earliest sighting that day, for documents placed in a story with at
    /// least one topic hit. Documents without a story are left out (they cannot be counted
    /// as stories yet). Ordered by time, then document and outlet.
    pub async fn spike_sightings(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SpikeSighting>> {
        let day = format!("({SIGHTING_AT} + {VN_OFFSET_MS}) / {DAY_MS}");
        let rows = sqlx::query(&format!(
            "SELECT MIN({SIGHTING_AT}) AS at, d.id AS document_id, d.story_id, s.source_id, \
             d.province, h.rule_id FROM sightings s \
             JOIN documents d ON d.id = s.document_id \
             JOIN rule_hits h ON h.document_id = d.id AND h.kind = 'topic' \
             WHERE d.story_id IS NOT NULL AND {SIGHTING_AT} >= $1 AND {SIGHTING_AT} < $2 \
             GROUP BY d.id, d.story_id, s.source_id, d.province, h.rule_id, {day} \
             ORDER BY d.id, s.source_id, {day}, h.rule_id"
        ))
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<SpikeSighting> = Vec::new();
        let mut last_day = i64::MIN;
        for row in &rows {
            let at: i64 = row.try_get("at")?;
            let document_id: i64 = row.try_get("document_id")?;
            let source: i64 = row.try_get("source_id")?;
            let rule: String = row.try_get("rule_id")?;
            let day = (at + VN_OFFSET_MS).div_euclid(DAY_MS);
            // Rows of one (document, outlet, day) are adjacent and differ only by topic.
            match out.last_mut() {
                Some(prev)
                    if prev.document_id == document_id
                        && prev.source == source
                        && last_day == day =>
                {
                    prev.topics.push(rule);
                }
                _ => {
                    out.push(SpikeSighting {
                        at: from_millis(at),
                        document_id,
                        story: row.try_get("story_id")?,
                        source,
                        province: row.try_get("province")?,
                        topics: vec![rule],
                    });
                    last_day = day;
                }
            }
        }
        out.sort_by_key(|s| (s.at, s.document_id, s.source));
        Ok(out)
    }

    /// Applies a spike alert in one transaction: opens the alert of its (topic, subject)
    /// or updates the open one (explanation, title, latest document, last seen, the higher
    /// severity) in one statement against the unique index of (rule, subject), then
    /// attaches its documents; a new one gets its `opened` event. Applying the same spike again
    /// changes nothing; a spike whose window already has a dismissed, merged or closed alert
    /// leaves it so and opens none, since the window
    /// is the incident and an officer closed it.
    ///
    /// An hourly spike's incident is its (topic, area, Vietnam day): with a
    /// [`alerts::SpikeUpsert::subject_prefix`], the alert of the rule whose subject starts
    /// with the prefix is its alert, whichever hour opened it, and keeps that subject. So a
    /// day has at most one hourly alert per topic and area, which grows hour by hour; once
    /// an officer closed it, later hours of that day open nothing.
    pub async fn apply_spike(&self, u: &alerts::SpikeUpsert) -> Result<Option<SpikeApplied>> {
        let Some(last_doc) = u.last_document() else { return Ok(None) };
        let mut tx = self.begin_write().await?;
        let prefix = u.subject_prefix.as_deref().unwrap_or(&u.subject);
        // `substr` rather than LIKE: the two back ends disagree on LIKE's case, and a
        // prefix needs no escaping this way. Without a prefix it is the subject itself.
        let prefix_len = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
        let existing: Vec<(i64, String, Option<String>, String)> = sqlx::query(
            "SELECT id, state, detail, subject FROM alerts WHERE rule_id = $1 \
             AND (subject = $2 OR ($4 AND substr(subject, 1, $3) = $5)) ORDER BY id DESC",
        )
        .bind(&u.rule_id)
        .bind(&u.subject)
        .bind(prefix_len)
        .bind(u.subject_prefix.is_some())
        .bind(prefix)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok((r.try_get("id")?, r.try_get("state")?, r.try_get("detail")?, r.try_get("subject")?))
        })
        .collect::<Result<_>>()?;
        let open = existing.iter().find(|(_, state, _, _)| {
            state.parse::<model::AlertState>().is_ok_and(model::AlertState::is_open)
        });
        if let (None, Some((id, _, _, _))) = (open, existing.first()) {
            tx.commit().await?;
            return Ok(Some(SpikeApplied::Closed(*id)));
        }
        let subject = open.map_or(u.subject.as_str(), |(_, _, _, subject)| subject.as_str());
        let sql = format!(
            "INSERT INTO alerts (kind, rule_id, subject, rule_title, severity, state, first_seen, \
             last_seen, doc_count, last_document_id, detail) \
             VALUES ('spike', $1, $2, $3, $4, 'new', $5, $6, $7, $8, $9) \
             ON CONFLICT (rule_id, subject) DO UPDATE SET \
             first_seen = CASE WHEN alerts.first_seen < excluded.first_seen THEN alerts.first_seen ELSE excluded.first_seen END, \
             last_seen = CASE WHEN alerts.last_seen > excluded.last_seen THEN alerts.last_seen ELSE excluded.last_seen END, \
             last_document_id = CASE WHEN alerts.last_seen > excluded.last_seen THEN alerts.last_document_id ELSE excluded.last_document_id END, \
             severity = CASE WHEN {} > {} THEN excluded.severity ELSE alerts.severity END, \
             rule_title = excluded.rule_title, detail = excluded.detail RETURNING id",
            severity_rank("excluded.severity"),
            severity_rank("alerts.severity"),
        );
        let alert_id: i64 = sqlx::query_scalar(&sql)
            .bind(&u.rule_id)
            .bind(subject)
            .bind(&u.rule_title)
            .bind(u.severity.as_str())
            .bind(millis(u.first_seen))
            .bind(millis(u.last_seen))
            .bind(u.documents.len() as i64)
            .bind(last_doc)
            .bind(&u.detail)
            .fetch_one(&mut *tx)
            .await?;
        let mut attached = 0;
        for chunk in u.documents.chunks(ATTACH_CHUNK) {
            let sql = format!(
                "INSERT INTO alert_documents (alert_id, document_id, added_at) VALUES {} \
                 ON CONFLICT DO NOTHING",
                placeholders(chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for &(doc_id, at) in chunk {
                q = q.bind(alert_id).bind(doc_id).bind(millis(at));
            }
            attached += q.execute(&mut *tx).await?.rows_affected();
        }
        if attached > 0 {
            sqlx::query(
                "UPDATE alerts SET doc_count = \
                 (SELECT COUNT(*) FROM alert_documents WHERE alert_id = $1) WHERE id = $1",
            )
            .bind(alert_id)
            .execute(&mut *tx)
            .await?;
        }
        if open.is_none() {
            crate::workflow::record_opening(
                &mut tx,
                self.schedule(),
                alert_id,
                model::RuleKind::Spike,
                u.severity,
                u.last_seen,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Some(match open {
            None => SpikeApplied::Opened(alert_id),
            Some((_, _, detail, _)) if attached > 0 || detail.as_deref() != Some(&u.detail) => {
                SpikeApplied::Updated(alert_id)
            }
            Some(_) => SpikeApplied::Unchanged(alert_id),
        }))
    }

    /// The documents attached to an alert, by id (for spike scans and their tests).
    pub async fn alert_document_ids(&self, alert_id: i64) -> Result<BTreeSet<i64>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT document_id FROM alert_documents WHERE alert_id = $1 ORDER BY document_id",
        )
        .bind(alert_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().collect())
    }

    /// Alerts of kind `spike`, newest first, whatever their state.
    pub async fn spike_alerts(&self, limit: i64) -> Result<Vec<model::Alert>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM alerts a WHERE a.kind = 'spike' ORDER BY a.last_seen DESC, a.id DESC \
             LIMIT $1",
            crate::alerts::ALERT_COLUMNS
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::alerts::alert_from_row).collect()
    }
}
