//! What the search index keeps beside each document's text, read back from the store when
//! the index is rebuilt or caught up, and the lists a search filter resolves to ids (a
//! story's documents).

use std::collections::HashMap;

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
