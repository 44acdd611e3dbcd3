//! What a spokesperson's briefing pack reads: every place a topic's documents were seen in
//! a period, and the stances the documents of a topic or a story take towards its claims,
//! with the alerts the office handled on the topic.

use model::{Alert, RuleKind, Sighting, Stance, Timestamp};
use sqlx::Row;

use crate::stories::sighting_from_row;
use crate::{Result, Store, millis, parse_enum};

/// One place a document was seen, with what the briefing says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedItem {
    /// Where and when.
    pub sighting: Sighting,
    /// The document's title.
    pub title: String,
    /// Its story, when placed in one.
    pub story: Option<i64>,
    /// The stance the document takes towards the rule's claim, when it has one.
    pub stance: Option<Stance>,
}

/// A stance one document of a story takes towards one rule's claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentStance {
    /// The document.
    pub document_id: i64,
    /// The rumour or claim rule.
    pub rule_id: String,
    /// Its title.
    pub rule_title: String,
    /// The stance.
    pub stance: Stance,
}

/// Places a topic briefing lists at most.
pub const MAX_BRIEFING_ITEMS: i64 = 5_000;

impl Store {
    /// Every sighting of the documents `rule` hit whose time (publication, else fetch) is
    /// in `from..until`, earliest first, at most `limit`.
    pub async fn rule_sightings(
        &self,
        rule: &str,
        from: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<CarriedItem>> {
        let rows = sqlx::query(
            "SELECT g.document_id, g.source_id, s.name AS source_name, s.tier, g.url, \
             g.published_at, g.fetched_at, d.title, d.story_id, h.stance \
             FROM rule_hits h JOIN documents d ON d.id = h.document_id \
             JOIN sightings g ON g.document_id = d.id JOIN sources s ON s.id = g.source_id \
             WHERE h.rule_id = $1 AND COALESCE(g.published_at, g.fetched_at) >= $2 \
             AND COALESCE(g.published_at, g.fetched_at) < $3 \
             ORDER BY COALESCE(g.published_at, g.fetched_at), g.id LIMIT $4",
        )
        .bind(rule)
        .bind(millis(from))
        .bind(millis(until))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let stance: Option<String> = row.try_get("stance")?;
                Ok(CarriedItem {
                    sighting: sighting_from_row(row)?,
                    title: row.try_get("title")?,
                    story: row.try_get("story_id")?,
                    stance: stance.as_deref().map(parse_enum).transpose()?,
                })
            })
            .collect()
    }

    /// The stances a story's documents take towards the claims of their rumour and claim
    /// hits, by document then rule.
    pub async fn story_stances(&self, story: i64) -> Result<Vec<DocumentStance>> {
        let rows = sqlx::query(
            "SELECT h.document_id, h.rule_id, h.rule_title, h.stance FROM rule_hits h \
             JOIN documents d ON d.id = h.document_id \
             WHERE d.story_id = $1 AND h.stance IS NOT NULL ORDER BY h.document_id, h.rule_id",
        )
        .bind(story)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DocumentStance {
                    document_id: row.try_get("document_id")?,
                    rule_id: row.try_get("rule_id")?,
                    rule_title: row.try_get("rule_title")?,
                    stance: parse_enum(row.try_get::<&str, _>("stance")?)?,
                })
            })
            .collect()
    }

    /// The alerts of `rule` seen in `from..until` (first seen before its end, last seen
    /// after its start), newest first, at most `limit`.
    pub async fn rule_alerts(
        &self,
        rule: &str,
        from: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Alert>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM alerts a WHERE a.rule_id = $1 AND a.last_seen >= $2 \
             AND a.first_seen < $3 AND a.state <> 'merged' \
             ORDER BY a.last_seen DESC, a.id DESC LIMIT $4",
            crate::alerts::ALERT_COLUMNS
        ))
        .bind(rule)
        .bind(millis(from))
        .bind(millis(until))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::alerts::alert_from_row).collect()
    }

    /// A rule's title and kind as its latest hit recorded them, when it hit anything.
    pub async fn rule_hit_title(&self, rule: &str) -> Result<Option<(String, RuleKind)>> {
        let row = sqlx::query(
            "SELECT rule_title, kind FROM rule_hits WHERE rule_id = $1 \
             ORDER BY created_at DESC, document_id DESC LIMIT 1",
        )
        .bind(rule)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok((row.try_get("rule_title")?, parse_enum(row.try_get::<&str, _>("kind")?)?))
        })
        .transpose()
    }
}
