//! Alerts, as the board and the digest read them.

use model::{Alert, Document, Hit, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::documents::{DOCUMENT_COLUMNS, document_from_row, terms_from_json};
use crate::{Result, Store, from_millis, millis, parse_enum};

/// An alert with its latest document and the evidence in that document.
#[derive(Debug, Clone)]
pub struct BoardEntry {
    /// The alert.
    pub alert: Alert,
    /// The latest document attached to it.
    pub document: Document,
    /// The hit of the alert's rule on that document.
    pub hit: Hit,
}

const ALERT_COLUMNS: &str = "a.id AS alert_id, a.kind AS alert_kind, a.rule_id AS alert_rule_id, \
     a.rule_title AS alert_rule_title, a.severity AS alert_severity, a.state, a.first_seen, a.last_seen, \
     a.doc_count, a.last_document_id";

fn alert_from_row(row: &AnyRow) -> Result<Alert> {
    Ok(Alert {
        id: row.try_get("alert_id")?,
        kind: parse_enum(row.try_get::<&str, _>("alert_kind")?)?,
        rule_id: row.try_get("alert_rule_id")?,
        rule_title: row.try_get("alert_rule_title")?,
        severity: parse_enum(row.try_get::<&str, _>("alert_severity")?)?,
        state: parse_enum(row.try_get::<&str, _>("state")?)?,
        first_seen: from_millis(row.try_get("first_seen")?),
        last_seen: from_millis(row.try_get("last_seen")?),
        doc_count: row.try_get("doc_count")?,
        last_document_id: row.try_get("last_document_id")?,
    })
}

fn entry_from_row(row: &AnyRow) -> Result<BoardEntry> {
    let alert = alert_from_row(row)?;
    let hit = Hit {
        rule_id: alert.rule_id.as_str().into(),
        rule_title: alert.rule_title.as_str().into(),
        kind: alert.kind,
        severity: alert.severity,
        terms: terms_from_json(row.try_get::<&str, _>("terms")?)?,
    };
    Ok(BoardEntry { document: document_from_row(row)?, alert, hit })
}

impl Store {
    /// Alerts seen in `[from, to)` (all alerts when both are `None`), most recent first.
    pub async fn alert_board(
        &self,
        range: Option<(Timestamp, Timestamp)>,
        limit: i64,
    ) -> Result<Vec<BoardEntry>> {
        let (from, to) = range.map_or((i64::MIN, i64::MAX), |(f, t)| (millis(f), millis(t)));
        let rows = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS}, {DOCUMENT_COLUMNS}, h.terms FROM alerts a \
             JOIN documents d ON d.id = a.last_document_id JOIN sources s ON s.id = d.source_id \
             JOIN rule_hits h ON h.document_id = a.last_document_id AND h.rule_id = a.rule_id \
             WHERE a.last_seen >= $1 AND a.last_seen < $2 \
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
