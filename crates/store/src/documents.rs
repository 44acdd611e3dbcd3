//! Documents and their rule hits, written in one transaction per pipeline batch.

use std::collections::HashMap;

use model::{Document, Hit, MatchedTerm, NewDocument, Post, Timestamp};
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::{Error, Result, Store, from_millis, millis, parse_enum};

/// A document with the rule hits found in it, ready to store.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The document.
    pub doc: NewDocument,
    /// Its hits.
    pub hits: Vec<Hit>,
    /// Other URLs that lead to it (the feed's link when the page names another canonical
    /// URL); they are recognised as this document from then on.
    pub aliases: Vec<String>,
}

impl Processed {
    /// A document and its hits, known under its own URL only.
    pub fn new(doc: NewDocument, hits: Vec<Hit>) -> Processed {
        Processed { doc, hits, aliases: Vec::new() }
    }
}

/// A document of a batch that was new and is now stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inserted {
    /// Its position in the batch.
    pub batch_index: usize,
    /// Its new id.
    pub id: i64,
}

/// Row counts, for metrics and the CLI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Stored documents.
    pub documents: i64,
    /// Stored rule hits.
    pub hits: i64,
    /// Alerts, whatever their state.
    pub alerts: i64,
    /// Alerts not closed.
    pub open_alerts: i64,
    /// Sources.
    pub sources: i64,
    /// Sources whose last poll failed.
    pub failing_sources: i64,
}

pub(crate) const DOCUMENT_COLUMNS: &str = "d.id, d.source_id, s.name AS source_name, d.url, d.title, \
     d.summary, d.body, d.author, d.published_at, d.fetched_at, d.language, d.content_hash, \
     d.platform, d.reactions, d.shares, d.comments, d.revision, d.revised_at";

/// What the store knows of a document already stored under a URL: enough to tell whether
/// a feed item is new, unchanged or an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDocument {
    /// Its id.
    pub id: i64,
    /// The hash of its current text.
    pub content_hash: String,
    /// Its latest time: the last revision, else publication, else fetch.
    pub time: Timestamp,
}

/// A new version of a stored document.
#[derive(Debug, Clone)]
pub struct Revision {
    /// The stored document.
    pub id: i64,
    /// Its new text and the rule hits on it.
    pub new: Processed,
}

pub(crate) fn document_from_row(row: &AnyRow) -> Result<Document> {
    Ok(Document {
        id: row.try_get("id")?,
        source_name: row.try_get("source_name")?,
        doc: NewDocument {
            source_id: row.try_get("source_id")?,
            url: row.try_get("url")?,
            title: row.try_get("title")?,
            summary: row.try_get("summary")?,
            body: row.try_get("body")?,
            author: row.try_get("author")?,
            published_at: row.try_get::<Option<i64>, _>("published_at")?.map(from_millis),
            fetched_at: from_millis(row.try_get("fetched_at")?),
            language: row.try_get("language")?,
            content_hash: row.try_get("content_hash")?,
            post: row.try_get::<Option<String>, _>("platform")?.map(|platform| Post {
                platform,
                reactions: row.try_get("reactions").unwrap_or(None),
                shares: row.try_get("shares").unwrap_or(None),
                comments: row.try_get("comments").unwrap_or(None),
            }),
        },
        revision: row.try_get("revision")?,
        revised_at: row.try_get::<Option<i64>, _>("revised_at")?.map(from_millis),
    })
}

pub(crate) fn terms_to_json(terms: &[MatchedTerm]) -> String {
    Value::Array(
        terms
            .iter()
            .map(|t| json!({"field": t.field, "start": t.start, "end": t.end, "term": &*t.term}))
            .collect(),
    )
    .to_string()
}

pub(crate) fn terms_from_json(text: &str) -> Result<Vec<MatchedTerm>> {
    let bad = || Error::Corrupt(format!("rule hit terms: {text:?}"));
    let value: Value = serde_json::from_str(text).map_err(|_| bad())?;
    let items = value.as_array().ok_or_else(bad)?;
    items
        .iter()
        .map(|v| {
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned).ok_or_else(bad);
            let n = |k: &str| {
                v.get(k)
                    .and_then(Value::as_u64)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(bad)
            };
            Ok(MatchedTerm {
                field: MatchedTerm::field_named(&s("field")?).ok_or_else(bad)?,
                start: n("start")?,
                end: n("end")?,
                term: s("term")?.into(),
            })
        })
        .collect()
}

fn hit_from_row(row: &AnyRow) -> Result<Hit> {
    Ok(Hit {
        rule_id: row.try_get::<String, _>("rule_id")?.into(),
        rule_title: row.try_get::<String, _>("rule_title")?.into(),
        kind: parse_enum(row.try_get::<&str, _>("kind")?)?,
        severity: parse_enum(row.try_get::<&str, _>("severity")?)?,
        terms: terms_from_json(row.try_get::<&str, _>("terms")?)?,
    })
}

impl Store {
    /// Stores a batch in one transaction: each document not already known (by canonical URL
    /// or content hash) is inserted with its hits, and each rumour, watch or crisis hit
    /// creates or updates the open alert of its rule. Known documents are skipped whole, so
    /// storing the same batch twice changes nothing.
    pub async fn insert_batch(&self, batch: &[Processed]) -> Result<Vec<Inserted>> {
        let mut tx = self.pool.begin().await?;
        let inserted = insert_documents(&mut tx, batch).await?;
        tx.commit().await?;
        Ok(inserted)
    }

    /// Imports documents together with the sources they belong to (the pages of imported
    /// social posts), all in one transaction: either every source and document is stored
    /// or, on any error, nothing is. Documents already known are skipped as in
    /// [`Store::insert_batch`]. Returns each group's source and what was inserted.
    pub async fn import(
        &self,
        groups: &mut [(crate::NewSource, Vec<Processed>)],
        now: Timestamp,
    ) -> Result<Vec<(model::Source, Vec<Inserted>)>> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(groups.len());
        for (source, batch) in groups.iter_mut() {
            let source = crate::sources::upsert_source_in(&mut *tx, source, now, false).await?;
            for p in batch.iter_mut() {
                p.doc.source_id = source.id;
            }
            let inserted = insert_documents(&mut tx, batch).await?;
            out.push((source, inserted));
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The documents already stored under these URLs, by URL.
    pub async fn known_documents(&self, urls: &[String]) -> Result<HashMap<String, KnownDocument>> {
        let mut out = HashMap::new();
        for chunk in urls.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let marks = marks.join(", ");
            let sql = format!(
                "SELECT id, url, content_hash, COALESCE(revised_at, published_at, fetched_at) AS t \
                 FROM documents WHERE url IN ({marks}) \
                 UNION ALL SELECT d.id, u.url, d.content_hash, COALESCE(d.revised_at, d.published_at, d.fetched_at) AS t \
                 FROM document_urls u JOIN documents d ON d.id = u.document_id WHERE u.url IN ({marks})"
            );
            let mut q = sqlx::query(&sql);
            for url in chunk {
                q = q.bind(url);
            }
            for row in q.fetch_all(&self.pool).await? {
                out.insert(
                    row.try_get::<String, _>("url")?,
                    KnownDocument {
                        id: row.try_get("id")?,
                        content_hash: row.try_get("content_hash")?,
                        time: from_millis(row.try_get("t")?),
                    },
                );
            }
        }
        Ok(out)
    }

    /// Stores new versions of documents in one transaction: the previous text goes to the
    /// revision history, the document takes the new text, its rule hits are replaced, and
    /// alerting rules it did not hit before create or update their alerts. A version whose
    /// text is unchanged, or identical to another document's, is skipped. Returns the ids
    /// revised.
    pub async fn revise(&self, revisions: &[Revision], at: Timestamp) -> Result<Vec<i64>> {
        let mut tx = self.pool.begin().await?;
        let mut revised = Vec::new();
        let mut alerting: Vec<(&Hit, Vec<(i64, Timestamp)>)> = Vec::new();
        for r in revisions {
            let d = &r.new.doc;
            let Some(old) = sqlx::query(
                "SELECT title, summary, body, content_hash, revision FROM documents WHERE id = $1",
            )
            .bind(r.id)
            .fetch_optional(&mut *tx)
            .await?
            else {
                continue;
            };
            let old_hash: String = old.try_get("content_hash")?;
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT id FROM documents WHERE content_hash = $1 AND id <> $2")
                    .bind(&d.content_hash)
                    .bind(r.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if old_hash == d.content_hash || taken.is_some() {
                continue;
            }
            let revision: i64 = old.try_get("revision")?;
            sqlx::query(
                "INSERT INTO document_revisions (document_id, revision, replaced_at, title, summary, body, content_hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(r.id)
            .bind(revision)
            .bind(millis(at))
            .bind(old.try_get::<String, _>("title")?)
            .bind(old.try_get::<String, _>("summary")?)
            .bind(old.try_get::<String, _>("body")?)
            .bind(&old_hash)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE documents SET title = $1, summary = $2, body = $3, author = COALESCE($4, author), \
                 language = $5, content_hash = $6, revision = revision + 1, revised_at = $7 WHERE id = $8",
            )
            .bind(&d.title)
            .bind(&d.summary)
            .bind(&d.body)
            .bind(d.author.as_deref())
            .bind(&d.language)
            .bind(&d.content_hash)
            .bind(millis(at))
            .bind(r.id)
            .execute(&mut *tx)
            .await?;
            let before: Vec<String> =
                sqlx::query_scalar("SELECT rule_id FROM rule_hits WHERE document_id = $1")
                    .bind(r.id)
                    .fetch_all(&mut *tx)
                    .await?;
            sqlx::query("DELETE FROM rule_hits WHERE document_id = $1")
                .bind(r.id)
                .execute(&mut *tx)
                .await?;
            insert_hits(&mut tx, r.id, &r.new.hits, at).await?;
            for hit in r.new.hits.iter().filter(|h| h.kind.raises_alert()) {
                if before.iter().any(|b| **b == *hit.rule_id) {
                    continue;
                }
                match alerting.iter_mut().find(|(h, _)| h.rule_id == hit.rule_id) {
                    Some((last, docs)) => {
                        *last = hit;
                        docs.push((r.id, at));
                    }
                    None => alerting.push((hit, vec![(r.id, at)])),
                }
            }
            revised.push(r.id);
        }
        for (hit, docs) in &alerting {
            upsert_alert(&mut tx, hit, docs).await?;
        }
        tx.commit().await?;
        Ok(revised)
    }

    /// The earlier versions of a document, oldest first: (revision, replaced at, title,
    /// text).
    pub async fn revisions(&self, id: i64) -> Result<Vec<(i64, Timestamp, String, String)>> {
        let rows = sqlx::query(
            "SELECT revision, replaced_at, title, summary, body FROM document_revisions \
             WHERE document_id = $1 ORDER BY revision",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let summary: String = row.try_get("summary")?;
                let body: String = row.try_get("body")?;
                Ok((
                    row.try_get("revision")?,
                    from_millis(row.try_get("replaced_at")?),
                    row.try_get("title")?,
                    if summary.is_empty() { body } else { format!("{summary}\n\n{body}") },
                ))
            })
            .collect()
    }

    /// Publication times of a source's latest documents, newest first (for adaptive
    /// polling).
    pub async fn publication_times(&self, source_id: i64, limit: i64) -> Result<Vec<Timestamp>> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT published_at FROM documents WHERE source_id = $1 AND published_at IS NOT NULL \
             ORDER BY published_at DESC LIMIT $2",
        )
        .bind(source_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(from_millis).collect())
    }

    /// One document.
    pub async fn document(&self, id: i64) -> Result<Document> {
        let row = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d JOIN sources s ON s.id = d.source_id WHERE d.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("document {id}")))?;
        document_from_row(&row)
    }

    /// Documents with an id above `after`, in id order (for indexing and reindexing).
    pub async fn documents_after(&self, after: i64, limit: i64) -> Result<Vec<Document>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d JOIN sources s ON s.id = d.source_id \
             WHERE d.id > $1 ORDER BY d.id LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_from_row).collect()
    }

    /// Documents with an id above `after` whose time (publication, else fetch) is at or
    /// after `since`, in id order: pages of the archive for backtesting a rule.
    pub async fn documents_since(
        &self,
        after: i64,
        since: Timestamp,
        limit: i64,
    ) -> Result<Vec<Document>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d JOIN sources s ON s.id = d.source_id \
             WHERE d.id > $1 AND COALESCE(d.published_at, d.fetched_at) >= $2 ORDER BY d.id LIMIT $3"
        ))
        .bind(after)
        .bind(millis(since))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_from_row).collect()
    }

    /// The rule hits of a document, by rule id.
    pub async fn hits_for_document(&self, id: i64) -> Result<Vec<Hit>> {
        let rows = sqlx::query(
            "SELECT rule_id, rule_title, kind, severity, terms FROM rule_hits WHERE document_id = $1 ORDER BY rule_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(hit_from_row).collect()
    }

    /// Documents fetched in `[from, to)` that hit at least one rule, most hits first, with
    /// their hits: the day's top stories for the digest.
    pub async fn top_documents_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: i64,
    ) -> Result<Vec<(Document, Vec<Hit>)>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS}, (SELECT COUNT(*) FROM rule_hits h WHERE h.document_id = d.id) AS n_hits \
             FROM documents d JOIN sources s ON s.id = d.source_id \
             WHERE d.fetched_at >= $1 AND d.fetched_at < $2 \
             AND EXISTS (SELECT 1 FROM rule_hits h WHERE h.document_id = d.id) \
             ORDER BY n_hits DESC, d.id DESC LIMIT $3"
        ))
        .bind(millis(from))
        .bind(millis(to))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let doc = document_from_row(row)?;
            let hits = self.hits_for_document(doc.id).await?;
            out.push((doc, hits));
        }
        Ok(out)
    }

    /// Row counts.
    pub async fn counts(&self) -> Result<Counts> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM documents) AS documents, (SELECT COUNT(*) FROM rule_hits) AS hits, \
             (SELECT COUNT(*) FROM alerts) AS alerts, \
             (SELECT COUNT(*) FROM alerts WHERE state <> 'closed') AS open_alerts, \
             (SELECT COUNT(*) FROM sources) AS sources, \
             (SELECT COUNT(*) FROM sources WHERE error_count > 0) AS failing_sources",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Counts {
            documents: row.try_get("documents")?,
            hits: row.try_get("hits")?,
            alerts: row.try_get("alerts")?,
            open_alerts: row.try_get("open_alerts")?,
            sources: row.try_get("sources")?,
            failing_sources: row.try_get("failing_sources")?,
        })
    }
}

/// Numbered placeholders for `rows` rows of `cols` values: `($1, $2), ($3, $4)`.
fn placeholders(rows: usize, cols: usize) -> String {
    let mut out = String::new();
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!("${}", r * cols + c + 1));
        }
        out.push(')');
    }
    out
}

/// Inserts the documents of a batch not already known, with their hits, and creates or
/// updates the alerts their alerting hits call for.
async fn insert_documents(
    tx: &mut Transaction<'_, Any>,
    batch: &[Processed],
) -> Result<Vec<Inserted>> {
    let mut inserted = Vec::new();
    // Alert hits are gathered per rule and written once per batch: one statement per
    // rule instead of three per hit.
    let mut alerting: Vec<(&Hit, Vec<(i64, Timestamp)>)> = Vec::new();
    for (batch_index, p) in batch.iter().enumerate() {
        let d = &p.doc;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO documents (source_id, url, title, summary, body, author, published_at, \
                 fetched_at, language, content_hash, platform, reactions, shares, comments) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(d.source_id)
        .bind(&d.url)
        .bind(&d.title)
        .bind(&d.summary)
        .bind(&d.body)
        .bind(d.author.as_deref())
        .bind(d.published_at.map(millis))
        .bind(millis(d.fetched_at))
        .bind(&d.language)
        .bind(&d.content_hash)
        .bind(d.post.as_ref().map(|p| p.platform.as_str()))
        .bind(d.post.as_ref().and_then(|p| p.reactions))
        .bind(d.post.as_ref().and_then(|p| p.shares))
        .bind(d.post.as_ref().and_then(|p| p.comments))
        .fetch_optional(&mut **tx)
        .await?;
        let Some(id) = id else {
            // Already stored under its canonical URL (reached by another link): the other
            // links still lead to it, so a later poll does not fetch the page again.
            if !p.aliases.is_empty() {
                let existing: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM documents WHERE url = $1")
                        .bind(&d.url)
                        .fetch_optional(&mut **tx)
                        .await?;
                if let Some(existing) = existing {
                    insert_aliases(tx, existing, &p.aliases, &d.url).await?;
                }
            }
            continue;
        };
        insert_aliases(tx, id, &p.aliases, &d.url).await?;
        insert_hits(tx, id, &p.hits, d.fetched_at).await?;
        for hit in p.hits.iter().filter(|h| h.kind.raises_alert()) {
            match alerting.iter_mut().find(|(h, _)| h.rule_id == hit.rule_id) {
                Some((last, docs)) => {
                    *last = hit;
                    docs.push((id, d.fetched_at));
                }
                None => alerting.push((hit, vec![(id, d.fetched_at)])),
            }
        }
        inserted.push(Inserted { batch_index, id });
    }
    for (hit, docs) in &alerting {
        upsert_alert(tx, hit, docs).await?;
    }
    Ok(inserted)
}

async fn insert_aliases(
    tx: &mut Transaction<'_, Any>,
    doc_id: i64,
    aliases: &[String],
    own_url: &str,
) -> Result<()> {
    for url in aliases.iter().filter(|u| u.as_str() != own_url) {
        sqlx::query(
            "INSERT INTO document_urls (url, document_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(url)
        .bind(doc_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_hits(
    tx: &mut Transaction<'_, Any>,
    doc_id: i64,
    hits: &[Hit],
    at: Timestamp,
) -> Result<()> {
    if hits.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO rule_hits (document_id, rule_id, rule_title, kind, severity, terms, created_at) \
         VALUES {} ON CONFLICT DO NOTHING",
        placeholders(hits.len(), 7)
    );
    let mut q = sqlx::query(&sql);
    for hit in hits {
        q = q
            .bind(doc_id)
            .bind(&*hit.rule_id)
            .bind(&*hit.rule_title)
            .bind(hit.kind.as_str())
            .bind(hit.severity.as_str())
            .bind(terms_to_json(&hit.terms))
            .bind(millis(at));
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Creates or updates the open alert of `hit`'s rule with the batch's documents that hit it
/// (in insertion order) and links them to it.
async fn upsert_alert(
    tx: &mut Transaction<'_, Any>,
    hit: &Hit,
    docs: &[(i64, Timestamp)],
) -> Result<()> {
    let Some(&(last_doc, _)) = docs.last() else { return Ok(()) };
    let first = docs.iter().map(|d| millis(d.1)).min().unwrap_or_default();
    let latest = docs.iter().map(|d| millis(d.1)).max().unwrap_or_default();
    let n = docs.len() as i64;
    let existing: Option<i64> = sqlx::query_scalar(
        "UPDATE alerts SET last_seen = CASE WHEN last_seen > $1 THEN last_seen ELSE $1 END, \
         doc_count = doc_count + $2, last_document_id = $3, severity = $4, rule_title = $5 \
         WHERE rule_id = $6 AND state <> 'closed' RETURNING id",
    )
    .bind(latest)
    .bind(n)
    .bind(last_doc)
    .bind(hit.severity.as_str())
    .bind(&*hit.rule_title)
    .bind(&*hit.rule_id)
    .fetch_optional(&mut **tx)
    .await?;
    let alert_id = match existing {
        Some(id) => id,
        None => {
            sqlx::query_scalar(
                "INSERT INTO alerts (kind, rule_id, rule_title, severity, state, first_seen, last_seen, \
                 doc_count, last_document_id) VALUES ($1, $2, $3, $4, 'new', $5, $6, $7, $8) RETURNING id",
            )
            .bind(hit.kind.as_str())
            .bind(&*hit.rule_id)
            .bind(&*hit.rule_title)
            .bind(hit.severity.as_str())
            .bind(first)
            .bind(latest)
            .bind(n)
            .bind(last_doc)
            .fetch_one(&mut **tx)
            .await?
        }
    };
    let sql = format!(
        "INSERT INTO alert_documents (alert_id, document_id, added_at) VALUES {} ON CONFLICT DO NOTHING",
        placeholders(docs.len(), 3)
    );
    let mut q = sqlx::query(&sql);
    for &(doc_id, at) in docs {
        q = q.bind(alert_id).bind(doc_id).bind(millis(at));
    }
    q.execute(&mut **tx).await?;
    Ok(())
}
