//! The places each document names (`document_places`) and its main province
//! (`documents.province`), written with the document and read for its page.

use model::{DocumentPlace, DocumentPlaces, MatchedTerm};
use sqlx::{Any, Row, Transaction};

use crate::{Error, Result, Store, parse_enum};

/// Rows per insert statement: 7 values each stays far below SQLite's 32,766 parameters and
/// PostgreSQL's 65,535, whatever a long article names.
const ROWS_PER_STATEMENT: usize = 500;

/// Writes a document's places and province; with `replace`, the ones it had go first (a
/// revision), so a province the new text no longer supports does not linger.
pub(crate) async fn write_places(
    tx: &mut Transaction<'_, Any>,
    document_id: i64,
    places: &DocumentPlaces,
    replace: bool,
) -> Result<()> {
    if replace {
        sqlx::query("DELETE FROM document_places WHERE document_id = $1")
            .bind(document_id)
            .execute(&mut **tx)
            .await?;
    }
    // A new document's column is already NULL: most news names no province and comes from
    // a source without one, so the common case costs no statement.
    if replace || places.province.is_some() {
        sqlx::query("UPDATE documents SET province = $1 WHERE id = $2")
            .bind(places.province.as_deref())
            .bind(document_id)
            .execute(&mut **tx)
            .await?;
    }
    let rows: Vec<(i64, &DocumentPlace)> = places.places.iter().map(|p| (document_id, p)).collect();
    insert_place_rows(tx, &rows).await?;
    Ok(())
}

/// Inserts the places of new documents (whose province the document row already holds),
/// many rows per statement.
pub(crate) async fn insert_place_rows(
    tx: &mut Transaction<'_, Any>,
    places: &[(i64, &DocumentPlace)],
) -> Result<()> {
    for chunk in places.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO document_places (document_id, code, historic, kind, field, start_byte, end_byte) \
             VALUES {} ON CONFLICT DO NOTHING",
            crate::documents::values_list(tx, chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for &(document_id, p) in chunk {
            q = q
                .bind(document_id)
                .bind(&p.code)
                .bind(p.historic.as_deref())
                .bind(p.kind.as_str())
                .bind(p.field)
                .bind(offset(p.start)?)
                .bind(offset(p.end)?);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn offset(n: usize) -> Result<i64> {
    i64::try_from(n).map_err(|_| Error::Corrupt(format!("place offset {n} out of range")))
}

impl Store {
    /// The places a document names, title first then in text order, and its main province
    /// (empty for a document stored before places were recorded, until it is revised).
    pub async fn document_places(&self, document_id: i64) -> Result<DocumentPlaces> {
        let province: Option<Option<String>> =
            sqlx::query_scalar("SELECT province FROM documents WHERE id = $1")
                .bind(document_id)
                .fetch_optional(&self.pool)
                .await?;
        let province =
            province.ok_or_else(|| Error::NotFound(format!("document {document_id}")))?;
        let rows = sqlx::query(
            "SELECT code, historic, kind, field, start_byte, end_byte FROM document_places \
             WHERE document_id = $1 \
             ORDER BY CASE WHEN field = 'title' THEN 0 ELSE 1 END, start_byte",
        )
        .bind(document_id)
        .fetch_all(&self.pool)
        .await?;
        let places = rows
            .iter()
            .map(|row| {
                let field: &str = row.try_get("field")?;
                let bad = || Error::Corrupt(format!("document place field {field:?}"));
                let n = |column: &str| -> Result<usize> {
                    let v: i64 = row.try_get(column)?;
                    usize::try_from(v)
                        .map_err(|_| Error::Corrupt(format!("document place {column} {v}")))
                };
                Ok(DocumentPlace {
                    code: row.try_get("code")?,
                    historic: row.try_get("historic")?,
                    kind: parse_enum(row.try_get::<&str, _>("kind")?)?,
                    field: MatchedTerm::field_named(field).ok_or_else(bad)?,
                    start: n("start_byte")?,
                    end: n("end_byte")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(DocumentPlaces { province, places })
    }
}
