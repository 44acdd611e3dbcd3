//! Documents and their rule hits, written in one transaction per pipeline batch.

use std::collections::HashMap;

use model::{Document, Hit, MatchedTerm, NewDocument, Post, Timestamp};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::story_log::{Placer, StoryLog};
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
    /// The places it names and the province it is about.
    pub places: model::DocumentPlaces,
    /// The stance it takes towards the claim of each of its rumour hits.
    pub stances: Vec<model::HitStance>,
    /// How closely it repeats the known claim of each of its claim hits, and where.
    pub claims: Vec<model::HitClaim>,
}

impl Processed {
    /// A document and its hits, known under its own URL only, with no places.
    pub fn new(doc: NewDocument, hits: Vec<Hit>) -> Processed {
        Processed {
            doc,
            hits,
            aliases: Vec::new(),
            places: model::DocumentPlaces::default(),
            stances: Vec::new(),
            claims: Vec::new(),
        }
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

/// A document of a batch whose text was already stored under another URL: recorded as a
/// sighting of that document instead of a document of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Its position in the batch.
    pub batch_index: usize,
    /// The stored document it is a copy of.
    pub document_id: i64,
}

/// What storing a batch did: the documents that were new, and the copies of stored ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    /// New documents, now stored.
    pub inserted: Vec<Inserted>,
    /// Copies, now sightings of the documents they copy.
    pub copies: Vec<Copied>,
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
    /// The URL is where a copy of it was seen, not its own: updates there are the other
    /// outlet's, not revisions of this document.
    pub copy: bool,
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

/// Matched terms as the JSON stored with a hit: an array of runs, each the term, its
/// field and the start and end of every consecutive occurrence of that term in that field
/// (`[["sốt xuất huyết", "body", 110, 123, 200, 213], …]`). A busy document's hits carry
/// every occurrence of their terms, so runs keep the rows small; written straight into one
/// buffer, as building a JSON value of each took more of a batch's insert than the rows.
/// [`terms_from_json`] also reads the earlier form, an array of
/// `{"end", "field", "start", "term"}` objects, one per occurrence.
pub(crate) fn terms_to_json(terms: &[MatchedTerm]) -> String {
    use std::io::Write as _;
    let mut out: Vec<u8> = Vec::with_capacity(2 + terms.len() * 16);
    out.push(b'[');
    let mut run: Option<(&str, &str)> = None;
    for t in terms {
        if run != Some((&*t.term, t.field)) {
            out.extend_from_slice(if run.is_some() { b"],[" } else { b"[" });
            // Writing to a vector cannot fail; the term and the field name are escaped.
            let _ = serde_json::to_writer(&mut out, &*t.term);
            out.push(b',');
            let _ = serde_json::to_writer(&mut out, t.field);
            run = Some((&*t.term, t.field));
        }
        let _ = write!(out, ",{},{}", t.start, t.end);
    }
    if run.is_some() {
        out.push(b']');
    }
    out.push(b']');
    String::from_utf8(out).unwrap_or_default()
}

pub(crate) fn terms_from_json(text: &str) -> Result<Vec<MatchedTerm>> {
    let bad = || Error::Corrupt(format!("rule hit terms: {text:?}"));
    let value: Value = serde_json::from_str(text).map_err(|_| bad())?;
    let offset = |v: &Value| v.as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(bad);
    let mut out = Vec::new();
    for item in value.as_array().ok_or_else(bad)? {
        match item {
            Value::Array(run) => {
                let [term, field, offsets @ ..] = run.as_slice() else { return Err(bad()) };
                let term: std::sync::Arc<str> = term.as_str().ok_or_else(bad)?.into();
                let field = field.as_str().and_then(MatchedTerm::field_named).ok_or_else(bad)?;
                if offsets.is_empty() || offsets.len() % 2 != 0 {
                    return Err(bad());
                }
                for pair in offsets.chunks_exact(2) {
                    out.push(MatchedTerm {
                        field,
                        start: offset(&pair[0])?,
                        end: offset(&pair[1])?,
                        term: term.clone(),
                    });
                }
            }
            // The earlier form: one object per occurrence.
            Value::Object(_) => {
                let s = |k: &str| item.get(k).and_then(Value::as_str).ok_or_else(bad);
                out.push(MatchedTerm {
                    field: MatchedTerm::field_named(s("field")?).ok_or_else(bad)?,
                    start: offset(item.get("start").ok_or_else(bad)?)?,
                    end: offset(item.get("end").ok_or_else(bad)?)?,
                    term: s("term")?.into(),
                });
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
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
    /// Stores a batch in one transaction: each document not already known is inserted with
    /// its hits and its first sighting, and each rumour, watch or crisis hit creates or
    /// updates the open alert of its rule. A document whose text is already stored under
    /// another URL is a copy: it becomes a sighting of the stored document (source, URL,
    /// times). A URL already known is skipped whole, so storing the same batch twice changes
    /// nothing.
    pub async fn insert_batch(&self, batch: &[Processed]) -> Result<Stored> {
        self.insert_batch_placed(batch, &mut crate::story_log::placing(|_, _| Vec::new())).await
    }

    /// [`Store::insert_batch`], placing each new document in its story before its alerts
    /// are decided: `place` gets the new documents (with group 0) and answers their
    /// stories and near-copy links, which are written in the same transaction, so each
    /// rumour, watch or crisis hit grows the alert of its (rule, story). Stories are
    /// decided under the story lock, by one process at a time: a placer that keeps stories
    /// of its own is first given what others decided since its position in the story log.
    pub async fn insert_batch_placed(
        &self,
        batch: &[Processed],
        place: &mut dyn Placer,
    ) -> Result<Stored> {
        let mut tx = self.begin_write().await?;
        let stored = insert_documents(&mut tx, self.schedule(), batch, place, 0).await?;
        if !stored.inserted.is_empty() {
            crate::wakeups::publish(&mut tx, crate::Topic::Documents).await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// Imports documents together with the sources they belong to (the pages of imported
    /// social posts), all in one transaction: either every source and document is stored
    /// or, on any error, nothing is. Documents already known are skipped as in
    /// [`Store::insert_batch`], placed in stories by `place` (given each group's index) as
    /// in [`Store::insert_batch_placed`]. Returns each group's source and what was inserted.
    pub async fn import(
        &self,
        groups: &mut [(crate::NewSource, Vec<Processed>)],
        now: Timestamp,
        place: &mut dyn Placer,
    ) -> Result<Vec<(model::Source, Stored)>> {
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(groups.len());
        for (group, (source, batch)) in groups.iter_mut().enumerate() {
            let source = crate::sources::upsert_source_in(&mut *tx, source, now, false).await?;
            for p in batch.iter_mut() {
                p.doc.source_id = source.id;
            }
            let inserted = insert_documents(&mut tx, self.schedule(), batch, place, group).await?;
            out.push((source, inserted));
        }
        if out.iter().any(|(_, stored)| !stored.inserted.is_empty()) {
            crate::wakeups::publish(&mut tx, crate::Topic::Documents).await?;
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
                "SELECT id, url, content_hash, COALESCE(revised_at, published_at, fetched_at) AS t, 0 AS copy \
                 FROM documents WHERE url IN ({marks}) \
                 UNION ALL SELECT d.id, u.url, d.content_hash, COALESCE(d.revised_at, d.published_at, d.fetched_at) AS t, 0 AS copy \
                 FROM document_urls u JOIN documents d ON d.id = u.document_id WHERE u.url IN ({marks}) \
                 UNION ALL SELECT d.id, s.url, d.content_hash, COALESCE(d.revised_at, d.published_at, d.fetched_at) AS t, 1 AS copy \
                 FROM sightings s JOIN documents d ON d.id = s.document_id WHERE s.url IN ({marks}) AND s.url <> d.url"
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
                        copy: row.try_get::<i64, _>("copy")? != 0,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Stores new versions of documents in one transaction: the previous text goes to the
    /// revision history, the document takes the new text, its rule hits, places and
    /// province are replaced, and alerting rules it did not hit before create or update
    /// their alerts. A version whose text is unchanged, or identical to another document's,
    /// is skipped. Returns the ids revised.
    pub async fn revise(&self, revisions: &[Revision], at: Timestamp) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let mut revised = Vec::new();
        // Rules a revision hits for the first time: the hits that may open or grow alerts.
        let mut fresh: Vec<(i64, Vec<Hit>, &[model::HitStance])> = Vec::new();
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
            insert_hits(&mut tx, &[(r.id, &r.new)], Some(at)).await?;
            crate::places::write_places(&mut tx, r.id, &r.new.places, true).await?;
            let new_rules = r.new.hits.iter().filter(|h| !before.iter().any(|b| **b == *h.rule_id));
            fresh.push((r.id, new_rules.cloned().collect(), &r.new.stances));
            revised.push(r.id);
        }
        let signals = fresh.iter().map(|(id, hits, stances)| alerts::Signal {
            document_id: *id,
            at,
            story: None,
            hits,
            stances,
        });
        crate::alerts::apply_upserts(&mut tx, self.schedule(), &alerts::upserts(signals)).await?;
        if !revised.is_empty() {
            crate::wakeups::publish(&mut tx, crate::Topic::Documents).await?;
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

    /// The ids of the documents above `after`, in id order: what a process following the
    /// store reads to find the documents it has not seen.
    pub async fn document_ids_after(&self, after: i64, limit: i64) -> Result<Vec<i64>> {
        let ids = sqlx::query_scalar("SELECT id FROM documents WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(ids)
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

    /// Where a document was seen, first appearance first: its own URL and every copy.
    pub async fn sightings(&self, document_id: i64) -> Result<Vec<model::Sighting>> {
        let rows = sqlx::query(
            "SELECT g.document_id, g.source_id, s.name, s.tier, g.url, g.published_at, g.fetched_at \
             FROM sightings g JOIN sources s ON s.id = g.source_id WHERE g.document_id = $1 \
             ORDER BY COALESCE(g.published_at, g.fetched_at), g.id",
        )
        .bind(document_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(model::Sighting {
                    document_id: row.try_get("document_id")?,
                    source_id: row.try_get("source_id")?,
                    source_name: row.try_get("name")?,
                    tier: parse_enum(row.try_get::<&str, _>("tier")?)?,
                    url: row.try_get("url")?,
                    published_at: row.try_get::<Option<i64>, _>("published_at")?.map(from_millis),
                    fetched_at: from_millis(row.try_get("fetched_at")?),
                })
            })
            .collect()
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
/// The VALUES list of a statement whose every parameter is in it, in the form `tx`'s
/// back end binds fastest: SQLite finds a numbered parameter (`$7`) by a scan of all of
/// them, which made a many-row insert quadratic, and binds anonymous ones (`?`) by
/// position.
pub(crate) fn values_list(tx: &Transaction<'_, Any>, rows: usize, cols: usize) -> String {
    if tx.backend_name() != "SQLite" {
        return placeholders(rows, cols);
    }
    let row = format!("({})", vec!["?"; cols].join(", "));
    vec![row.as_str(); rows].join(", ")
}

pub(crate) fn placeholders(rows: usize, cols: usize) -> String {
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
    schedule: &alerts::deadlines::Schedule,
    batch: &[Processed],
    place: &mut dyn Placer,
    group: usize,
) -> Result<Stored> {
    let ids = insert_document_rows(tx, batch).await?;
    let mut inserted = Vec::new();
    let mut copies = Vec::new();
    for (batch_index, (p, id)) in batch.iter().zip(&ids).enumerate() {
        let d = &p.doc;
        let Some(id) = *id else {
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
            // The same text under another URL is a copy: one more place it was seen.
            if let Some(of) = record_copy(tx, d).await? {
                copies.push(Copied { batch_index, document_id: of });
            }
            continue;
        };
        insert_aliases(tx, id, &p.aliases, &d.url).await?;
        inserted.push(Inserted { batch_index, id });
    }
    let rows: Vec<(i64, &Processed)> =
        inserted.iter().map(|i| (i.id, &batch[i.batch_index])).collect();
    record_sightings(tx, &rows).await?;
    insert_hits(tx, &rows, None).await?;
    let places: Vec<(i64, &model::DocumentPlace)> =
        rows.iter().flat_map(|(id, p)| p.places.places.iter().map(move |pl| (*id, pl))).collect();
    crate::places::insert_place_rows(tx, &places).await?;
    // The story lock is taken only to place: before reading the log for a placer that
    // follows it, or before writing what a placer decided by itself.
    let mut locked = false;
    let placements = if inserted.is_empty() {
        Vec::new()
    } else {
        let log = match place.position() {
            Some(after) => {
                crate::story_log::lock(tx).await?;
                locked = true;
                crate::story_log::read(tx, after).await?
            }
            None => StoryLog::default(),
        };
        place.place(group, log, &inserted)
    };
    if !placements.is_empty() {
        if !locked {
            crate::story_log::lock(tx).await?;
        }
        let now = batch.iter().map(|p| p.doc.fetched_at).max().unwrap_or_else(chrono::Utc::now);
        let end = crate::story_log::record(tx, &placements, now).await?;
        place.written(end);
    }
    let story_of = |id: i64| placements.iter().find(|p| p.document_id == id).and_then(|p| p.story);
    // Alert changes are gathered per (rule, subject) and written once per batch: one
    // statement each instead of three per hit.
    let signals = inserted.iter().map(|i| {
        let p = &batch[i.batch_index];
        alerts::Signal {
            document_id: i.id,
            at: p.doc.fetched_at,
            story: story_of(i.id),
            hits: &p.hits,
            stances: &p.stances,
        }
    });
    crate::alerts::apply_upserts(tx, schedule, &alerts::upserts(signals)).await?;
    Ok(Stored { inserted, copies })
}

/// Documents inserted per statement: 15 values each, well under both back ends' limits.
const DOCUMENTS_PER_STATEMENT: usize = 200;

/// Inserts the batch's documents, many rows per statement, with their province; returns
/// each one's new id, or `None` where a unique key (its URL, or its text, stored before or
/// earlier in the batch) refused it. Rows go in batch order, so of two with one text the
/// first is the document.
async fn insert_document_rows(
    tx: &mut Transaction<'_, Any>,
    batch: &[Processed],
) -> Result<Vec<Option<i64>>> {
    let mut ids = vec![None; batch.len()];
    for (c, chunk) in batch.chunks(DOCUMENTS_PER_STATEMENT).enumerate() {
        let sql = format!(
            "INSERT INTO documents (source_id, url, title, summary, body, author, published_at, \
             fetched_at, language, content_hash, platform, reactions, shares, comments, province) \
             VALUES {} ON CONFLICT DO NOTHING RETURNING id, url",
            values_list(tx, chunk.len(), 15)
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            let d = &p.doc;
            q = q
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
                .bind(p.places.province.as_deref());
        }
        let mut by_url: HashMap<String, i64> = HashMap::new();
        for row in q.fetch_all(&mut **tx).await? {
            by_url.insert(row.try_get("url")?, row.try_get("id")?);
        }
        // A URL twice in a batch is inserted once: the id goes to its first row.
        for (i, p) in chunk.iter().enumerate() {
            ids[c * DOCUMENTS_PER_STATEMENT + i] = by_url.remove(&p.doc.url);
        }
    }
    Ok(ids)
}

/// Records where new documents were seen first: their own URLs.
async fn record_sightings(tx: &mut Transaction<'_, Any>, rows: &[(i64, &Processed)]) -> Result<()> {
    for chunk in rows.chunks(DOCUMENTS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO sightings (document_id, source_id, url, published_at, fetched_at) \
             VALUES {} ON CONFLICT DO NOTHING",
            values_list(tx, chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (id, p) in chunk {
            let d = &p.doc;
            q = q
                .bind(*id)
                .bind(d.source_id)
                .bind(&d.url)
                .bind(d.published_at.map(millis))
                .bind(millis(d.fetched_at));
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Records `d` as a sighting of the stored document with the same text under another URL;
/// the id of that document, or `None` when `d` is no copy (its own URL is known, or a
/// sighting of it is already recorded).
async fn record_copy(tx: &mut Transaction<'_, Any>, d: &NewDocument) -> Result<Option<i64>> {
    let of: Option<i64> = sqlx::query_scalar(
        "INSERT INTO sightings (document_id, source_id, url, published_at, fetched_at) \
         SELECT id, $1, $2, $3, $4 FROM documents WHERE content_hash = $5 AND url <> $2 \
         ON CONFLICT DO NOTHING RETURNING document_id",
    )
    .bind(d.source_id)
    .bind(&d.url)
    .bind(d.published_at.map(millis))
    .bind(millis(d.fetched_at))
    .bind(&d.content_hash)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(of)
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

/// Rule hits inserted per statement: 11 values each.
const HITS_PER_STATEMENT: usize = 500;

/// Inserts the rule hits of documents (by id), with their stances and claims, many rows
/// per statement, made at `at` (by default when each document was fetched).
async fn insert_hits(
    tx: &mut Transaction<'_, Any>,
    docs: &[(i64, &Processed)],
    at: Option<Timestamp>,
) -> Result<()> {
    let rows: Vec<(i64, &Processed, &Hit)> =
        docs.iter().flat_map(|&(id, p)| p.hits.iter().map(move |h| (id, p, h))).collect();
    for chunk in rows.chunks(HITS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO rule_hits (document_id, rule_id, rule_title, kind, severity, terms, created_at, \
             stance, stance_cues, claim_similarity, claim_passage) VALUES {} ON CONFLICT DO NOTHING",
            values_list(tx, chunk.len(), 11)
        );
        let mut q = sqlx::query(&sql);
        for &(doc_id, p, hit) in chunk {
            let stance = p.stances.iter().find(|s| s.rule_id == hit.rule_id);
            let claim = p.claims.iter().find(|c| c.rule_id == hit.rule_id);
            q = q
                .bind(doc_id)
                .bind(&*hit.rule_id)
                .bind(&*hit.rule_title)
                .bind(hit.kind.as_str())
                .bind(hit.severity.as_str())
                .bind(terms_to_json(&hit.terms))
                .bind(millis(at.unwrap_or(p.doc.fetched_at)))
                .bind(stance.map(|s| s.stance.as_str()))
                .bind(stance.map(|s| terms_to_json(&s.cues)))
                .bind(claim.map(|c| f64::from(c.similarity)))
                .bind(claim.map(|c| terms_to_json(std::slice::from_ref(&c.passage))));
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use model::MatchedTerm;
    use serde_json::json;

    fn term(field: &'static str, start: usize, end: usize, term: &str) -> MatchedTerm {
        MatchedTerm { field, start, end, term: term.into() }
    }

    #[test]
    fn terms_are_written_in_runs_and_read_back_in_order() {
        let terms = vec![
            term("title", 0, 7, "sốt xuất huyết"),
            term("body", 12, 30, "sốt xuất huyết"),
            term("body", 40, 58, "sốt xuất huyết"),
            term("body", 60, 61, "a\\b\n\u{1}\t/\""),
            term("body", 70, 88, "sốt xuất huyết"),
        ];
        let written = super::terms_to_json(&terms);
        assert_eq!(
            written,
            r#"[["sốt xuất huyết","title",0,7],["sốt xuất huyết","body",12,30,40,58],["a\\b\n\u0001\t/\"","body",60,61],["sốt xuất huyết","body",70,88]]"#
        );
        assert_eq!(super::terms_from_json(&written).unwrap(), terms);
        assert_eq!(super::terms_to_json(&[]), "[]");
        assert_eq!(super::terms_from_json("[]").unwrap(), []);
    }

    #[test]
    fn terms_stored_one_object_per_occurrence_are_still_read() {
        let stored = json!([
            {"end": 7, "field": "title", "start": 0, "term": "sốt xuất huyết"},
            {"end": 30, "field": "body", "start": 12, "term": "\"tin giả\" NEAR/3 vắc xin"},
        ])
        .to_string();
        assert_eq!(
            super::terms_from_json(&stored).unwrap(),
            [
                term("title", 0, 7, "sốt xuất huyết"),
                term("body", 12, 30, "\"tin giả\" NEAR/3 vắc xin")
            ]
        );
    }

    #[test]
    fn malformed_terms_are_an_error_naming_them() {
        for bad in [
            r#"[["x","body",1]]"#,
            r#"[["x","lead",1,2]]"#,
            r#"[["x","body"]]"#,
            r#"[3]"#,
            "{}",
            "[",
        ] {
            let error = super::terms_from_json(bad).unwrap_err().to_string();
            assert!(error.contains("rule hit terms"), "{bad}: {error}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_terms_read_back_as_written(
            terms in proptest::collection::vec(
                // Few distinct terms, so that runs of one are common.
                (proptest::bool::ANY, 0usize..5_000, 0usize..40, "[ađ\\\\\"\\n]{0,2}"),
                0..30,
            )
        ) {
            let terms: Vec<MatchedTerm> = terms
                .into_iter()
                .map(|(title, start, len, t)| term(if title { "title" } else { "body" }, start, start + len, &t))
                .collect();
            let written = super::terms_to_json(&terms);
            proptest::prop_assert_eq!(super::terms_from_json(&written).unwrap(), terms);
        }
    }
}
