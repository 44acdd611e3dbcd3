//! Alerts: applying what the `alerts` crate decides, and reading them for the board and
//! the digest.

use model::{Alert, Document, Hit, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::documents::{DOCUMENT_COLUMNS, document_from_row, terms_from_json};
use crate::{Result, Store, from_millis, millis, parse_enum};

/// Severity as a number, so SQL can keep the higher of two.
fn severity_rank(column: &str) -> String {
    format!("CASE {column} WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 ELSE 3 END")
}

/// Applies alert changes inside the caller's transaction: each opens the alert of its
/// (rule, subject) or grows the one there, in one statement against the unique index of
/// (rule, subject), so concurrent writers cannot open the same incident twice; then links
/// its documents. A new alert gets its `opened` event and deadline; one dismissed or closed
/// comes back with the reason; one merged away passes its growth to the alert it was merged
/// into.
pub(crate) async fn apply_upserts(
    tx: &mut Transaction<'_, Any>,
    schedule: &alerts::deadlines::Schedule,
    upserts: &[alerts::Upsert],
) -> Result<()> {
    for u in upserts {
        let Some(last_doc) = u.last_document() else { continue };
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM alerts WHERE rule_id = $1 AND subject = $2")
                .bind(&*u.rule_id)
                .bind(u.subject.key())
                .fetch_optional(&mut **tx)
                .await?;
        let before = match existing {
            Some(id) => Some(incident(tx, id).await?),
            None => None,
        };
        let alert_id = match (&before, existing) {
            (Some(b), Some(id)) if b.id != id || b.state == model::AlertState::Merged => {
                grow_by_id(tx, b.id, u, last_doc).await?;
                b.id
            }
            _ => upsert(tx, u, last_doc).await?,
        };
        let sql = format!(
            "INSERT INTO alert_documents (alert_id, document_id, added_at) VALUES {} ON CONFLICT DO NOTHING",
            crate::documents::values_list(tx, u.documents.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for &(doc_id, at) in &u.documents {
            q = q.bind(alert_id).bind(doc_id).bind(millis(at));
        }
        let attached = q.execute(&mut **tx).await?.rows_affected() as usize;
        sqlx::query(
            "UPDATE alerts SET doc_count = (SELECT COUNT(*) FROM alert_documents WHERE alert_id = $1) \
             WHERE id = $1",
        )
        .bind(alert_id)
        .execute(&mut **tx)
        .await?;
        match before {
            None => {
                crate::workflow::record_opening(
                    tx,
                    schedule,
                    alert_id,
                    u.kind,
                    u.severity,
                    u.first_seen,
                )
                .await?
            }
            // Growth changes only an alert it brings back (dismissed or closed), and only
            // such an alert says how many outlets grew it.
            Some(b)
                if attached > 0
                    && alerts::triage::next_state(b.state, model::AlertAction::Regrow)
                        .is_some() =>
            {
                let outlets = new_outlets(tx, alert_id, &u.documents).await?;
                crate::workflow::record_growth(tx, schedule, &b, attached, outlets, u.last_seen)
                    .await?;
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The alert that carries on for `id`: itself, or the alert it was merged into, followed
/// along a chain of merges (bounded, so a damaged chain cannot loop).
async fn incident(tx: &mut Transaction<'_, Any>, id: i64) -> Result<alerts::triage::Current> {
    let mut current = crate::workflow::current(tx, id).await?;
    for _ in 0..16 {
        match (current.state, current.merged_into) {
            (model::AlertState::Merged, Some(into)) => {
                current = crate::workflow::current(tx, into).await?;
            }
            _ => break,
        }
    }
    Ok(current)
}

async fn upsert(tx: &mut Transaction<'_, Any>, u: &alerts::Upsert, last_doc: i64) -> Result<i64> {
    let sql = format!(
        "INSERT INTO alerts (kind, rule_id, subject, rule_title, severity, state, first_seen, \
         last_seen, doc_count, last_document_id, opened_at) \
         VALUES ($1, $2, $3, $4, $5, 'new', $6, $7, 0, $8, $6) \
         ON CONFLICT (rule_id, subject) DO UPDATE SET \
         last_seen = CASE WHEN alerts.last_seen > excluded.last_seen THEN alerts.last_seen ELSE excluded.last_seen END, \
         last_document_id = excluded.last_document_id, \
         severity = CASE WHEN {} > {} THEN excluded.severity ELSE alerts.severity END, \
         rule_title = excluded.rule_title RETURNING id",
        severity_rank("excluded.severity"),
        severity_rank("alerts.severity"),
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(u.kind.as_str())
        .bind(&*u.rule_id)
        .bind(u.subject.key())
        .bind(&*u.rule_title)
        .bind(u.severity.as_str())
        .bind(millis(u.first_seen))
        .bind(millis(u.last_seen))
        .bind(last_doc)
        .fetch_one(&mut **tx)
        .await?)
}

async fn grow_by_id(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    u: &alerts::Upsert,
    last_doc: i64,
) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE alerts SET \
         last_seen = CASE WHEN last_seen > $1 THEN last_seen ELSE $1 END, \
         last_document_id = $2, \
         severity = CASE WHEN {} > {} THEN $3 ELSE severity END WHERE id = $4",
        severity_rank("$3"),
        severity_rank("severity"),
    ))
    .bind(millis(u.last_seen))
    .bind(last_doc)
    .bind(u.severity.as_str())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many outlets among `documents` had no document in the alert before them.
async fn new_outlets(
    tx: &mut Transaction<'_, Any>,
    alert_id: i64,
    documents: &[(i64, Timestamp)],
) -> Result<usize> {
    let ids = documents.iter().map(|d| d.0.to_string()).collect::<Vec<_>>().join(", ");
    // Asked per outlet, the database stops at the alert's first document from it instead
    // of reading every document a large alert holds.
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(DISTINCT d.source_id) FROM documents d WHERE d.id IN ({ids}) AND NOT EXISTS \
         (SELECT 1 FROM alert_documents ad JOIN documents o ON o.id = ad.document_id \
          WHERE ad.alert_id = $1 AND o.source_id = d.source_id AND ad.document_id NOT IN ({ids}))"
    ))
    .bind(alert_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// An alert with its latest document and the evidence in that document.
#[derive(Debug, Clone)]
pub struct BoardEntry {
    /// The alert.
    pub alert: Alert,
    /// The latest document attached to it.
    pub document: Document,
    /// The hit of the alert's rule on that document; for an alert whose rule has no hit
    /// there (a spike, whose rule is a topic or a tag), a hit without terms.
    pub hit: Hit,
}

pub(crate) const ALERT_COLUMNS: &str = concat!(
    "a.id AS alert_id, a.kind AS alert_kind, a.rule_id AS alert_rule_id, \
     a.subject AS alert_subject, a.rule_title AS alert_rule_title, a.severity AS alert_severity, \
     a.state, a.first_seen, a.last_seen, a.doc_count, a.last_document_id, a.detail AS alert_detail, ",
    crate::workflow::handling_columns!()
);

pub(crate) fn alert_from_row(row: &AnyRow) -> Result<Alert> {
    Ok(Alert {
        id: row.try_get("alert_id")?,
        kind: parse_enum(row.try_get::<&str, _>("alert_kind")?)?,
        rule_id: row.try_get("alert_rule_id")?,
        subject: row.try_get("alert_subject")?,
        rule_title: row.try_get("alert_rule_title")?,
        severity: parse_enum(row.try_get::<&str, _>("alert_severity")?)?,
        state: parse_enum(row.try_get::<&str, _>("state")?)?,
        first_seen: from_millis(row.try_get("first_seen")?),
        last_seen: from_millis(row.try_get("last_seen")?),
        doc_count: row.try_get("doc_count")?,
        last_document_id: row.try_get("last_document_id")?,
        detail: row.try_get("alert_detail")?,
        handling: crate::workflow::handling_from_row(row)?,
    })
}

fn entry_from_row(row: &AnyRow) -> Result<BoardEntry> {
    let alert = alert_from_row(row)?;
    let hit = Hit {
        rule_id: alert.rule_id.as_str().into(),
        rule_title: alert.rule_title.as_str().into(),
        kind: alert.kind,
        severity: alert.severity,
        terms: match row.try_get::<Option<&str>, _>("terms")? {
            Some(terms) => terms_from_json(terms)?,
            None => Vec::new(),
        },
    };
    Ok(BoardEntry { document: document_from_row(row)?, alert, hit })
}

impl Store {
    /// Alerts seen in `[from, to)` (all alerts when both are `None`), most recent first;
    /// alerts merged into another are part of that one and left out.
    pub async fn alert_board(
        &self,
        range: Option<(Timestamp, Timestamp)>,
        limit: i64,
    ) -> Result<Vec<BoardEntry>> {
        let (from, to) = range.map_or((i64::MIN, i64::MAX), |(f, t)| (millis(f), millis(t)));
        let rows = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS}, {DOCUMENT_COLUMNS}, h.terms FROM alerts a \
             JOIN documents d ON d.id = a.last_document_id JOIN sources s ON s.id = d.source_id \
             LEFT JOIN rule_hits h ON h.document_id = a.last_document_id AND h.rule_id = a.rule_id \
             WHERE a.last_seen >= $1 AND a.last_seen < $2 AND a.state <> 'merged' \
             ORDER BY a.last_seen DESC, a.id DESC LIMIT $3"
        ))
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The documents attached to an alert, newest first.
    pub async fn alert_documents(&self, alert_id: i64, limit: i64) -> Result<Vec<Document>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM alert_documents ad JOIN documents d ON d.id = ad.document_id \
             JOIN sources s ON s.id = d.source_id WHERE ad.alert_id = $1 ORDER BY d.id DESC LIMIT $2"
        ))
        .bind(alert_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_from_row).collect()
    }
}
