//! What the search index keeps beside each document's text, read back from the store when
//! the index is rebuilt or caught up, what the index is checked against at start-up (the
//! ids per range, the revision times), and the lists a search filter resolves to ids (a
//! story's documents).

use std::collections::{BTreeMap, HashMap};

use model::{RuleKind, Stance};
use sqlx::Row;

use crate::{Result, Store, parse_enum};

/// One rule hit of a document, as search filters see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitFact {
    /// The rule.
    pub rule_id: String,
    /// Its kind.
    pub kind: RuleKind,
    /// The stance towards the rule's claim (rumour and claim hits).
    pub stance: Option<Stance>,
}

/// The facts of one document that search filters and facets go by, besides its source and
/// time (which the document itself carries).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFacts {
    /// The province it is about.
    pub province: Option<String>,
    /// Its rule hits, by rule id.
    pub hits: Vec<HitFact>,
}

/// Most documents a story filter resolves to.
pub const MAX_STORY_DOCUMENTS: i64 = 10_000;

impl Store {
    /// The facts of every document with an id in `after + 1 ..= upto`, by id (documents
    /// without province or hits have default facts, or none at all).
    pub async fn document_facts(
        &self,
        after: i64,
        upto: i64,
    ) -> Result<HashMap<i64, DocumentFacts>> {
        let mut out: HashMap<i64, DocumentFacts> = HashMap::new();
        let rows = sqlx::query(
            "SELECT id, province FROM documents WHERE id > $1 AND id <= $2 AND province IS NOT NULL",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            out.entry(row.try_get("id")?).or_default().province = row.try_get("province")?;
        }
        let rows = sqlx::query(
            "SELECT document_id, rule_id, kind, stance FROM rule_hits \
             WHERE document_id > $1 AND document_id <= $2 ORDER BY document_id, rule_id",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let stance: Option<String> = row.try_get("stance")?;
            out.entry(row.try_get("document_id")?).or_default().hits.push(HitFact {
                rule_id: row.try_get("rule_id")?,
                kind: parse_enum(row.try_get::<&str, _>("kind")?)?,
                stance: stance.as_deref().map(parse_enum).transpose()?,
            });
        }
        Ok(out)
    }

    /// Per range of `width` document ids (`id / width`): how many documents there are and
    /// the sum of their ids, what the index's census is compared with.
    pub async fn id_census(&self, width: i64) -> Result<BTreeMap<i64, (i64, i64)>> {
        let width = width.max(1);
        // Only ids are read, so SQLite answers from any index of the table, never the rows.
        let rows = sqlx::query(&format!(
            "SELECT id / {width} AS bucket, COUNT(*) AS n, CAST(SUM(id) AS BIGINT) AS ids \
             FROM documents GROUP BY id / {width}"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("bucket")?, (row.try_get("n")?, row.try_get("ids")?))))
            .collect()
    }

    /// The revision time (UTC milliseconds) of every document that was revised, by id.
    pub async fn revision_times(&self) -> Result<HashMap<i64, i64>> {
        // The revisions table is small and its key lists the revised documents; only those
        // rows of the documents table are read.
        let rows = sqlx::query(
            "SELECT id, revised_at FROM documents WHERE revised_at IS NOT NULL \
             AND id IN (SELECT document_id FROM document_revisions)",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("revised_at")?))).collect()
    }

    /// The documents revised at `since` (UTC milliseconds) or later, with their revision
    /// time: what a process that follows the store into its index indexes again.
    pub async fn revised_since(&self, since: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT id, revised_at FROM documents WHERE id IN \
             (SELECT document_id FROM document_revisions WHERE replaced_at >= $1) ORDER BY id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("revised_at")?))).collect()
    }

    /// The ids of a story's documents, at most [`MAX_STORY_DOCUMENTS`].
    pub async fn story_document_ids(&self, story: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM documents WHERE story_id = $1 ORDER BY id LIMIT $2")
                .bind(story)
                .bind(MAX_STORY_DOCUMENTS)
                .fetch_all(&self.pool)
                .await?;
        Ok(ids)
    }
}
