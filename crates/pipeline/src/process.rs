//! One source's poll, from download to committed and indexed documents.

use std::time::{Duration, Instant};

use chrono::Utc;
use feeds::FeedItem;
use fetch::{Fetched, Validators};
use model::{Document, NewDocument, Source, SourceKind, Stage, Timestamp};
use rules::RuleSet;
use search::IndexDoc;
use sha2::{Digest, Sha256};
use store::Processed;

use crate::schedule::{next_poll_after_error, next_poll_after_success};
use crate::{Pipeline, Result};

/// What ingesting a batch of items did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Items offered.
    pub seen: usize,
    /// New documents stored and indexed.
    pub added: usize,
    /// Items dropped as already known.
    pub duplicates: usize,
    /// Rule hits on the new documents.
    pub hits: usize,
    /// Of which rumour, watch or crisis hits (alerts created or updated).
    pub alert_hits: usize,
}

/// What polling one source did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollReport {
    /// The server answered 304 Not Modified.
    NotModified {
        /// The source.
        source: String,
    },
    /// The feed was read and its items ingested.
    Ingested {
        /// The source.
        source: String,
        /// What happened to the items.
        report: IngestReport,
    },
    /// The poll failed; the error is recorded on the source.
    Failed {
        /// The source.
        source: String,
        /// The error.
        error: String,
    },
}

/// The result of the download half of a poll.
pub(crate) enum Download {
    NotModified,
    Items { items: Vec<FeedItem>, validators: Validators },
    Failed { error: String, retry_after: Option<Duration> },
}

/// Hash of the normalised title and text: the same article under two URLs hashes the same.
fn content_hash(title: &str, text: &str) -> String {
    let mut h = Sha256::new();
    for part in [title, text] {
        let folded = vi_text::match_form(part);
        for word in folded.split_whitespace() {
            h.update(word.as_bytes());
            h.update(b" ");
        }
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn to_processed(
    rules: &RuleSet,
    source: &Source,
    item: &FeedItem,
    now: Timestamp,
) -> Processed {
    let title = vi_text::display(&item.title);
    let summary = vi_text::display(&item.summary);
    let body = vi_text::display(&item.body);
    let mut doc = NewDocument {
        source_id: source.id,
        url: item.url.clone(),
        title,
        summary,
        body,
        author: item.author.as_deref().map(vi_text::display),
        // A publication date in the future is a feed error; the fetch time is the truth.
        published_at: item.published.map(|p| p.min(now)),
        fetched_at: now,
        language: String::new(),
        content_hash: String::new(),
    };
    let text = doc.full_text();
    doc.language = vi_text::language(&format!("{} {text}", doc.title)).to_owned();
    doc.content_hash = content_hash(&doc.title, &text);
    let analyzed = rules::Analyzed::new(&doc.title, &text).with_meta(&source.name, &doc.language);
    let hits = rules.match_analyzed(&analyzed);
    Processed { doc, hits }
}

pub(crate) fn index_doc(id: i64, source_name: &str, doc: &NewDocument) -> IndexDoc {
    IndexDoc {
        id,
        title: doc.title.clone(),
        body: doc.full_text(),
        source: source_name.to_owned(),
        language: doc.language.clone(),
        url: doc.url.clone(),
        time: doc.published_at.unwrap_or(doc.fetched_at),
    }
}

impl Pipeline {
    /// Processes, stores and indexes a batch of items from `source`.
    pub async fn ingest_items(&self, source: &Source, items: &[FeedItem]) -> Result<IngestReport> {
        let now = Utc::now();
        let started = Instant::now();
        let rules = self.rules();
        let batch: Vec<Processed> =
            items.iter().map(|it| to_processed(&rules, source, it, now)).collect();
        self.metrics.observe(Stage::Match, started.elapsed());

        let started = Instant::now();
        let inserted = self.store.insert_batch(&batch).await?;
        self.metrics.observe(Stage::Store, started.elapsed());

        let mut report =
            IngestReport { seen: items.len(), added: inserted.len(), ..IngestReport::default() };
        report.duplicates = report.seen - report.added;
        if !inserted.is_empty() {
            let started = Instant::now();
            let docs: Vec<IndexDoc> = inserted
                .iter()
                .map(|i| index_doc(i.id, &source.name, &batch[i.batch_index].doc))
                .collect();
            let last = inserted.iter().map(|i| i.id).max().unwrap_or(0);
            self.index.add(&docs)?;
            self.index.commit(last.max(self.index.last_indexed_id()?))?;
            self.metrics.observe(Stage::Index, started.elapsed());
        }
        for i in &inserted {
            let hits = &batch[i.batch_index].hits;
            report.hits += hits.len();
            report.alert_hits += hits.iter().filter(|h| h.kind.raises_alert()).count();
        }
        self.metrics.items(
            report.seen as u64,
            report.added as u64,
            report.duplicates as u64,
            report.hits as u64,
        );
        tracing::info!(
            feed_id = source.id,
            n_items = report.seen,
            n_added = report.added,
            n_matches = report.hits,
            "Batch ingested."
        );
        Ok(report)
    }

    /// Downloads and parses a source, conditionally.
    pub(crate) async fn download(&self, source: &Source) -> Download {
        let started = Instant::now();
        let failed = |error: String| Download::Failed { error, retry_after: None };
        let download = match source.kind {
            SourceKind::File => match tokio::fs::read(&source.url).await {
                Ok(bytes) => match feeds::parse_feed(&bytes, None, &file_base_url(&source.url)) {
                    Ok(feed) => {
                        Download::Items { items: feed.items, validators: Validators::default() }
                    }
                    Err(e) => failed(e.to_string()),
                },
                Err(e) => {
                    failed(fetch::Error::Io { path: source.url.clone(), source: e }.to_string())
                }
            },
            SourceKind::Feed => {
                let validators = Validators {
                    etag: source.state.etag.clone(),
                    last_modified: source.state.last_modified.clone(),
                };
                match self.client.get(&source.url, &validators).await {
                    Ok(Fetched::NotModified) => Download::NotModified,
                    // The client does not hand over the Content-Type yet; the body's own
                    // declaration and sniffing decide the charset meanwhile.
                    Ok(Fetched::Body { bytes, url, validators }) => {
                        match feeds::parse_feed(&bytes, None, &url) {
                            Ok(feed) => {
                                if feed.recovered {
                                    tracing::debug!(feed_url = %url, problem = feed.problem.as_deref().unwrap_or(""), "Feed read after repair.");
                                }
                                Download::Items { items: feed.items, validators }
                            }
                            Err(e) => failed(e.to_string()),
                        }
                    }
                    Err(e) => {
                        let retry_after = match &e {
                            fetch::Error::Status { retry_after_secs, .. } => {
                                retry_after_secs.map(Duration::from_secs)
                            }
                            _ => None,
                        };
                        Download::Failed { error: e.to_string(), retry_after }
                    }
                }
            }
        };
        self.metrics.observe(Stage::Fetch, started.elapsed());
        download
    }

    /// Finishes a poll: ingests the items, then records the outcome on the source.
    pub(crate) async fn complete(&self, source: &Source, download: Download) -> Result<PollReport> {
        let now = Utc::now();
        let name = source.name.clone();
        match download {
            Download::NotModified => {
                self.metrics.poll(false, true);
                self.store
                    .record_fetch_success(
                        source.id,
                        None,
                        None,
                        now,
                        next_poll_after_success(source, now),
                    )
                    .await?;
                Ok(PollReport::NotModified { source: name })
            }
            Download::Items { items, validators } => {
                self.metrics.poll(false, false);
                let report = self.ingest_items(source, &items).await?;
                // Only now that the items are committed may the validators move forward.
                self.store
                    .record_fetch_success(
                        source.id,
                        validators.etag.as_deref(),
                        validators.last_modified.as_deref(),
                        now,
                        next_poll_after_success(source, now),
                    )
                    .await?;
                Ok(PollReport::Ingested { source: name, report })
            }
            Download::Failed { error, retry_after } => {
                self.metrics.poll(true, false);
                let errors = source.state.error_count + 1;
                let next = next_poll_after_error(
                    source.interval_secs,
                    errors,
                    retry_after,
                    self.config.max_backoff,
                    now,
                );
                tracing::warn!(feed_id = source.id, feed_url = %source.url, error = %error, errors, "Poll failed.");
                self.store.record_fetch_failure(source.id, &error, now, next).await?;
                Ok(PollReport::Failed { source: name, error })
            }
        }
    }

    /// Polls one source now, whatever its schedule.
    pub async fn poll(&self, source: &Source) -> Result<PollReport> {
        let download = self.download(source).await;
        self.complete(source, download).await
    }

    /// Polls every due source once (used by `langnghe fetch --once`).
    pub async fn fetch_once(&self) -> Result<Vec<PollReport>> {
        let mut reports = Vec::new();
        for source in self.store.due_sources(Utc::now(), i64::MAX).await? {
            reports.push(self.poll(&source).await?);
        }
        Ok(reports)
    }

    /// Indexes every stored document the index has not committed yet (after a crash between
    /// the store commit and the index commit). Returns how many were indexed.
    pub async fn catch_up_index(&self) -> Result<usize> {
        let after = self.index.last_indexed_id()?;
        self.index_from(after).await
    }

    /// Rebuilds the index from the store. Returns the number of documents indexed.
    pub async fn reindex(&self) -> Result<usize> {
        self.index.clear()?;
        self.index.commit(0)?;
        self.index_from(0).await
    }

    async fn index_from(&self, mut after: i64) -> Result<usize> {
        let mut n = 0;
        loop {
            let docs: Vec<Document> = self.store.documents_after(after, 1000).await?;
            let Some(last) = docs.last().map(|d| d.id) else { break };
            let batch: Vec<IndexDoc> =
                docs.iter().map(|d| index_doc(d.id, &d.source_name, &d.doc)).collect();
            self.index.add(&batch)?;
            self.index.commit(last)?;
            n += docs.len();
            after = last;
        }
        if n > 0 {
            tracing::info!(n_items = n, "Index caught up with the store.");
        }
        Ok(n)
    }
}

/// A `file://` URL for a path, so relative links in a local feed still resolve.
fn file_base_url(path: &str) -> String {
    let abs = std::path::Path::new(path).canonicalize().unwrap_or_else(|_| path.into());
    url::Url::from_file_path(&abs).map_or_else(|()| format!("file://{path}"), |u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::content_hash;
    use model::{FetchState, Source, SourceKind, SourceTier};
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn windows_1258_feeds_are_stored_composed() {
        // windows-1258 writes tones as combining marks: "Sốt" is "S", "ô", U+0301, "t".
        let bytes = b"<?xml version=\"1.0\" encoding=\"windows-1258\"?><rss version=\"2.0\"><channel><item><title>S\xf4\xect xu\xe2\xect</title><link>https://a.vn/1</link><description>H\xe0 N\xf4\xf2i</description></item></channel></rss>".to_vec();
        let feed = feeds::parse_feed(&bytes, None, "https://a.vn/rss").unwrap();
        let source = Source {
            id: 1,
            name: "A".into(),
            url: "https://a.vn/rss".into(),
            kind: SourceKind::Feed,
            tier: SourceTier::Press,
            interval_secs: 600,
            allow_private: false,
            enabled: true,
            state: FetchState::default(),
        };
        let p = super::to_processed(
            &rules::RuleSet::default(),
            &source,
            &feed.items[0],
            chrono::Utc::now(),
        );
        assert_eq!((p.doc.title.as_str(), p.doc.summary.as_str()), ("Sốt xuất", "Hà Nội"));
        assert!(
            p.doc.title.nfc().eq(p.doc.title.chars())
                && p.doc.summary.nfc().eq(p.doc.summary.chars())
        );
    }

    #[test]
    fn content_hash_ignores_case_spacing_and_unicode_form() {
        assert_eq!(content_hash("Sốt  xuất huyết", "Tin"), content_hash("sốt xuất huyết", " tin "));
        assert_eq!(content_hash("Sốt", "x"), content_hash("So\u{302}\u{301}t", "x"));
        assert_ne!(content_hash("Sốt", "x"), content_hash("Sót", "x"));
        assert_ne!(content_hash("a b", ""), content_hash("a", "b"));
    }
}
