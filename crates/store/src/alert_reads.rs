//! Reads for one alert's page: its documents with the evidence of its rule in each.

use model::{Document, HitClaim, MatchedTerm, Stance};
use sqlx::Row;

use crate::documents::{DOCUMENT_COLUMNS, document_from_row, terms_from_json};
use crate::{Result, Store, parse_enum};

/// One document of an alert with the evidence of its rule in it.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The document.
    pub document: Document,
    /// The terms its rule (and the rules folded into the alert) matched, in order.
    pub terms: Vec<MatchedTerm>,
    /// Its stance towards the claim, when known.
    pub stance: Option<Stance>,
    /// How closely it repeats the known claim and where, when the rule is a claim's.
    pub claim: Option<HitClaim>,
}

impl Store {
    /// The documents attached to an alert, newest first, at most `limit`, each with the terms
    /// its rule matched there and the stance of that hit towards the claim when it is known.
    ///
    /// An alert that absorbed others holds their documents too, matched by their rules: the
    /// terms of every rule folded into it count, and the stance of its own rule comes first.
    pub async fn alert_evidence(&self, alert_id: i64, limit: i64) -> Result<Vec<Evidence>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS}, h.terms AS hit_terms, h.stance AS hit_stance, \
             h.rule_id AS hit_rule, h.claim_similarity AS hit_similarity, \
             h.claim_passage AS hit_passage, \
             CASE WHEN h.rule_id = (SELECT rule_id FROM alerts WHERE id = $1) THEN 1 ELSE 0 END \
             AS own_rule \
             FROM (SELECT document_id FROM alert_documents WHERE alert_id = $1 \
                   ORDER BY document_id DESC LIMIT $2) ad \
             JOIN documents d ON d.id = ad.document_id JOIN sources s ON s.id = d.source_id \
             LEFT JOIN rule_hits h ON h.document_id = d.id AND h.rule_id IN \
               (SELECT a.rule_id FROM alerts a WHERE a.id = $1 OR a.merged_into = $1) \
             ORDER BY d.id DESC"
        ))
        .bind(alert_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        // (evidence, whether its stance is the alert's own rule's)
        let mut out: Vec<(Evidence, bool)> = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            if out.last().is_none_or(|(e, _)| e.document.id != id) {
                let document = document_from_row(row)?;
                out.push((
                    Evidence { document, terms: Vec::new(), stance: None, claim: None },
                    false,
                ));
            }
            let Some((last, own_stance)) = out.last_mut() else { continue };
            if let Some(terms) = row.try_get::<Option<&str>, _>("hit_terms")? {
                last.terms.extend(terms_from_json(terms)?);
            }
            let stance: Option<Stance> =
                row.try_get::<Option<&str>, _>("hit_stance")?.map(parse_enum).transpose()?;
            let own = row.try_get::<i64, _>("own_rule")? != 0;
            if stance.is_some() && (last.stance.is_none() || (own && !*own_stance)) {
                last.stance = stance;
                *own_stance = own;
            }
            let similarity = row.try_get::<Option<f64>, _>("hit_similarity")?;
            let passage = row.try_get::<Option<&str>, _>("hit_passage")?;
            if let (Some(similarity), Some(passage)) = (similarity, passage) {
                let closer =
                    last.claim.as_ref().is_none_or(|c| f64::from(c.similarity) < similarity);
                if let (true, Some(passage)) = (closer, terms_from_json(passage)?.pop()) {
                    last.claim = Some(HitClaim {
                        rule_id: row.try_get::<&str, _>("hit_rule")?.into(),
                        similarity: similarity as f32,
                        passage,
                    });
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|(mut e, _)| {
                e.terms.sort();
                e.terms.dedup();
                e
            })
            .collect())
    }

    /// The documents that refute or report on an alert's claim without carrying it, newest
    /// first, at most `limit`: in the alert's story when it has one, else anywhere since a
    /// week before the alert opened. Each comes with the claim's terms, its stance and the
    /// cue spans that decided it. These open no alert; they are the corrections and the
    /// coverage the office follows.
    pub async fn alert_counterpoints(
        &self,
        alert_id: i64,
        limit: i64,
    ) -> Result<Vec<(Document, Vec<MatchedTerm>, Stance, Vec<MatchedTerm>)>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS}, h.terms AS hit_terms, h.stance AS hit_stance, \
             h.stance_cues AS hit_cues FROM alerts a \
             JOIN rule_hits h ON h.rule_id = a.rule_id AND h.stance IN ('refutes', 'reports') \
             JOIN documents d ON d.id = h.document_id JOIN sources s ON s.id = d.source_id \
             WHERE a.id = $1 \
             AND (CASE WHEN a.subject LIKE 'story:%' THEN d.story_id = CAST(substr(a.subject, 7) AS BIGINT) \
                  ELSE d.fetched_at >= a.first_seen - 604800000 END) \
             AND NOT EXISTS (SELECT 1 FROM alert_documents ad WHERE ad.alert_id = a.id AND ad.document_id = d.id) \
             ORDER BY d.id DESC LIMIT $2"
        ))
        .bind(alert_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let cues = match row.try_get::<Option<&str>, _>("hit_cues")? {
                    Some(c) => terms_from_json(c)?,
                    None => Vec::new(),
                };
                Ok((
                    document_from_row(row)?,
                    terms_from_json(row.try_get::<&str, _>("hit_terms")?)?,
                    parse_enum(row.try_get::<&str, _>("hit_stance")?)?,
                    cues,
                ))
            })
            .collect()
    }
}
