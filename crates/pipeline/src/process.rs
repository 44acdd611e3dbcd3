//! One source's poll, from download to committed and indexed documents.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use feeds::FeedItem;
use fetch::{Access, Fetched, Validators};
use model::{
    Document, DocumentPlace, DocumentPlaces, NewDocument, PlaceKind, Source, SourceKind, Stage,
    Timestamp,
};
use rules::RuleSet;
use search::{IndexDoc, RuleTag};
use sha2::{Digest, Sha256};
use store::{PollSuccess, Processed, Revision};

use crate::articles::{Item, Probe, decode_html, empty_item, merge};
use crate::schedule::{RATE_WINDOW, adaptive_interval, next_poll, next_poll_after_error};
use crate::{Pipeline, Result};

/// What ingesting a batch of items did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Items offered.
    pub seen: usize,
    /// New documents stored and indexed.
    pub added: usize,
    /// Stored documents whose text was updated (a new revision).
    pub revised: usize,
    /// Copies of stored documents under new URLs, recorded as sightings of them.
    pub copies: usize,
    /// Items already known (their URL was seen before).
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
    NotModified { fresh_for: Option<Duration> },
    Items { items: Vec<Item>, validators: Validators, fresh_for: Option<Duration> },
    Failed { error: String, retry_after: Option<Duration> },
}

/// A feed item whose `updated` time is this much later than what is stored is re-read:
/// feeds round times, and some bump `updated` by seconds on every render.
const UPDATE_SLACK: TimeDelta = TimeDelta::minutes(1);

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

/// How much of a text's start (after the title) decides its language: a few hundred
/// syllables tell, an article does not change language halfway, and reading all of it
/// cost a twentieth of its processing.
const LANGUAGE_SAMPLE: usize = 1024;

/// The language of a document by its title and the start of its text.
fn language_of(title: &str, text: &str) -> String {
    let mut end = text.len().min(LANGUAGE_SAMPLE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut sample = String::with_capacity(title.len() + 1 + end);
    sample.push_str(title);
    sample.push(' ');
    sample.push_str(&text[..end]);
    vi_text::language(&sample).to_owned()
}

/// Normalises an item into a document of the source `(id, name, home province)`, matches
/// the rules and finds its places.
#[cfg(test)]
pub(crate) fn to_processed(
    rules: &RuleSet,
    source: (i64, &str, Option<&str>),
    item: &Item,
    now: Timestamp,
) -> Processed {
    let mut places_time = std::time::Duration::ZERO;
    to_processed_timed(rules, source, item, now, &mut places_time).0
}

/// What processing made of a new item besides its document: what placing it in stories
/// reads (its syllables, its near-copy shingles and signature), and its title's and text's
/// analysis for the index (none when the rules read only the start of a text past
/// [`rules::MAX_ANALYZED_BYTES`]), all from the one tokenising the rules read.
pub(crate) struct Made {
    pub(crate) placing: crate::stories::Placing,
    pub(crate) analysis: Option<[Arc<search::Analysis>; 2]>,
}

/// [`to_processed`], with what else the tokens it read make ([`Made`]), adding the time
/// spent finding places to `places_time`.
pub(crate) fn to_processed_timed(
    rules: &RuleSet,
    (source_id, source_name, home_province): (i64, &str, Option<&str>),
    item: &Item,
    now: Timestamp,
    places_time: &mut std::time::Duration,
) -> (Processed, Made) {
    let aliases = item.aliases.clone();
    let item = &item.feed;
    let title = vi_text::display(&item.title);
    let summary = vi_text::display(&item.summary);
    let body = vi_text::display(&item.body);
    let mut doc = NewDocument {
        source_id,
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
        post: None,
    };
    let text = doc.full_text();
    doc.language = language_of(&doc.title, &text);
    doc.content_hash = content_hash(&doc.title, &text);
    // One tokenising feeds the rules, the places and the stories.
    let (analyzed, tokens) = rules::Analyzed::document_with_tokens(&doc, source_name);
    // Only a document that carries a rumour hit's claim opens or grows its alert; one that
    // carries none may still raise the suspicious-post signal.
    let rules::Judged { hits, stances, claims } = rules::judge(rules, &analyzed, &tokens);
    let [title_tokens, body_tokens] = tokens;
    let syllables = crate::stories::from_analyzed(&analyzed, &doc);
    let started = Instant::now();
    let found = gazetteer::Gazetteer::embedded().places_tokenized(
        &analyzed.title,
        &title_tokens,
        &analyzed.body,
        &body_tokens,
    );
    let places = document_places(&found, home_province);
    *places_time += started.elapsed();
    let whole = analyzed.title.len().max(analyzed.body.len()) <= rules::MAX_ANALYZED_BYTES;
    let analysis = whole.then(|| {
        let [title_overlays, body_overlays] = analyzed.overlays();
        [
            Arc::new(search::Analysis::from_tokens(&title_tokens, title_overlays)),
            Arc::new(search::Analysis::from_tokens(&body_tokens, body_overlays)),
        ]
    });
    let processed = Processed { aliases, places, stances, claims, ..Processed::new(doc, hits) };
    let placing = crate::stories::Placing::new(syllables);
    (processed, Made { placing, analysis })
}

/// A batch normalised and matched, waiting for its commit ([`Pipeline::prepare`]).
pub(crate) struct Prepared {
    /// Items offered.
    seen: usize,
    /// New documents.
    batch: Vec<Processed>,
    /// When the feed says each new document was updated, by batch index.
    updated: Vec<Option<Timestamp>>,
    /// New versions of stored documents.
    updates: Vec<Revision>,
    /// What else processing made of the new documents, by batch index.
    made: Vec<Made>,
    /// When the batch was read.
    now: Timestamp,
    match_time: std::time::Duration,
    places_time: std::time::Duration,
}

/// Which items of a batch are new or updated, those processed (see [`process_all`]).
fn prepare_items(
    rules: &RuleSet,
    impersonation: &rules::Impersonation,
    source: &Source,
    items: &[Item],
    known: &std::collections::HashMap<String, store::KnownDocument>,
    now: Timestamp,
) -> Prepared {
    let started = Instant::now();
    let mut seen = HashSet::new();
    let source_ref = (source.id, source.name.as_str(), source.home_province.as_deref());
    // What to process: new items, and updates of stored documents (an update where a
    // copy was seen is the other outlet's, not a revision).
    let work: Vec<(&Item, Option<&store::KnownDocument>)> = items
        .iter()
        .filter(|item| seen.insert(item.feed.url.as_str()))
        .filter_map(|item| match known.get(&item.feed.url) {
            None => Some((item, None)),
            Some(k) if !k.copy && item.feed.updated.is_some_and(|u| u > k.time + UPDATE_SLACK) => {
                Some((item, Some(k)))
            }
            Some(_) => None,
        })
        .collect();
    let (processed, places_time) = process_all(rules, source_ref, &work, now);
    let (mut batch, mut updates, mut made) = (Vec::new(), Vec::new(), Vec::new());
    let mut updated = Vec::new();
    for ((item, known), (p, m)) in work.iter().zip(processed) {
        match known {
            None => {
                batch.push(p);
                made.push(m);
                updated.push(item.feed.updated);
            }
            Some(k) => {
                if p.doc.content_hash != k.content_hash {
                    updates.push(Revision { id: k.id, new: p });
                }
            }
        }
    }
    // A social source posing as a health body is raised once, on its first document.
    if source.tier == model::SourceTier::Social
        && source.state.polls == 0
        && let Some(first) = batch.first_mut()
        && let Some(posing) = impersonation.check(&source.name, Some(&source.url))
    {
        first.hits.push(posing.hit());
    }
    let match_time = started.elapsed().saturating_sub(places_time);
    Prepared { seen: items.len(), batch, updated, updates, made, now, match_time, places_time }
}

/// Processes items on every core (rayon's pool, whose threads keep their token caches
/// warm from batch to batch), in order; returns them with the time spent finding places,
/// summed over the threads.
fn process_all(
    rules: &RuleSet,
    source: (i64, &str, Option<&str>),
    work: &[(&Item, Option<&store::KnownDocument>)],
    now: Timestamp,
) -> (Vec<(Processed, Made)>, std::time::Duration) {
    use rayon::prelude::*;
    let started = Instant::now();
    let out: Vec<(Processed, Made, std::time::Duration, std::time::Duration)> = work
        .par_iter()
        .with_min_len(4)
        .map(|(item, _)| {
            let started = Instant::now();
            let mut places = std::time::Duration::ZERO;
            let (p, m) = to_processed_timed(rules, source, item, now, &mut places);
            (p, m, places, started.elapsed())
        })
        .collect();
    // The wall time, split between places and the rest as the threads spent it.
    let (places, all): (std::time::Duration, std::time::Duration) =
        out.iter().fold(Default::default(), |(p, a), o| (p + o.2, a + o.3));
    let share = if all.is_zero() { 0.0 } else { places.as_secs_f64() / all.as_secs_f64() };
    let places = started.elapsed().mul_f64(share.min(1.0));
    (out.into_iter().map(|(p, m, _, _)| (p, m)).collect(), places)
}

/// The places a document names, spans in the same display forms as its rule hits (the
/// title and `NewDocument::full_text`), and the province it is about: the one its text
/// names most, else its source's home province.
fn document_places(found: &gazetteer::Places, home_province: Option<&str>) -> DocumentPlaces {
    let places = found
        .places
        .iter()
        .map(|p| DocumentPlace {
            code: p.code.to_owned(),
            historic: p.historic.map(str::to_owned),
            kind: place_kind(p.kind),
            field: match p.field {
                gazetteer::Field::Title => "title",
                gazetteer::Field::Body => "body",
            },
            start: p.start,
            end: p.end,
        })
        .collect();
    DocumentPlaces { province: found.main_province_or(home_province).map(str::to_owned), places }
}

fn place_kind(kind: gazetteer::PlaceKind) -> PlaceKind {
    match kind {
        gazetteer::PlaceKind::Province => PlaceKind::Province,
        gazetteer::PlaceKind::FormerProvince => PlaceKind::FormerProvince,
        gazetteer::PlaceKind::City => PlaceKind::City,
        gazetteer::PlaceKind::District => PlaceKind::District,
        gazetteer::PlaceKind::Commune => PlaceKind::Commune,
        gazetteer::PlaceKind::Abbreviation => PlaceKind::Abbreviation,
        gazetteer::PlaceKind::Nickname => PlaceKind::Nickname,
        gazetteer::PlaceKind::Landmark => PlaceKind::Landmark,
    }
}

/// A document as the index takes it, with the facts its search filters go by: its source,
/// province, rule hits with their stances, and a post's engagement.
fn index_document(
    id: i64,
    source_name: &str,
    doc: &NewDocument,
    province: Option<String>,
    rules: Vec<RuleTag>,
) -> IndexDoc {
    let reach = doc.post.as_ref().and_then(|p| {
        let counts = [p.reactions, p.shares, p.comments];
        counts
            .iter()
            .any(Option::is_some)
            .then(|| counts.iter().flatten().map(|n| (*n).max(0)).sum())
    });
    IndexDoc {
        id,
        title: doc.title.clone(),
        body: doc.full_text(),
        source: source_name.to_owned(),
        language: doc.language.clone(),
        url: doc.url.clone(),
        time: doc.published_at.unwrap_or(doc.fetched_at),
        source_id: doc.source_id,
        province,
        rules,
        reach,
        revised: None,
        analysis: None,
    }
}

/// A document just processed, as the index takes it.
pub(crate) fn index_doc(id: i64, source_name: &str, p: &Processed) -> IndexDoc {
    let rules = p
        .hits
        .iter()
        .map(|h| RuleTag {
            rule: h.rule_id.to_string(),
            kind: h.kind,
            stance: p.stances.iter().find(|s| s.rule_id == h.rule_id).map(|s| s.stance),
        })
        .collect();
    index_document(id, source_name, &p.doc, p.places.province.clone(), rules)
}

/// A stored document, as the index takes it.
pub(crate) fn stored_index_doc(d: &Document, facts: Option<&store::DocumentFacts>) -> IndexDoc {
    let rules = facts
        .map(|f| {
            f.hits
                .iter()
                .map(|h| RuleTag { rule: h.rule_id.clone(), kind: h.kind, stance: h.stance })
                .collect()
        })
        .unwrap_or_default();
    let province = facts.and_then(|f| f.province.clone());
    IndexDoc {
        revised: d.revised_at,
        ..index_document(d.id, &d.source_name, &d.doc, province, rules)
    }
}

impl Pipeline {
    /// Processes, stores and indexes a batch of items from `source`: new items become
    /// documents, items the feed marks as updated since they were stored become new
    /// revisions of their documents, and the rest are duplicates.
    pub async fn ingest_items(&self, source: &Source, items: &[FeedItem]) -> Result<IngestReport> {
        self.ingest(source, items.iter().cloned().map(Item::from).collect()).await
    }

    pub(crate) async fn ingest(&self, source: &Source, items: Vec<Item>) -> Result<IngestReport> {
        let prepared = self.prepare(source, items).await?;
        self.commit_prepared(source, prepared).await
    }

    /// Ingests consecutive batches, each of its source's items, as [`Pipeline::run`]
    /// processes polls: each batch is normalised and matched while the one before it is
    /// stored and indexed. Returns what each batch did.
    pub async fn ingest_batches(
        &self,
        batches: Vec<(Source, Vec<FeedItem>)>,
    ) -> Result<Vec<IngestReport>> {
        let mut reports = Vec::with_capacity(batches.len());
        let mut batches = batches.into_iter();
        let Some((mut source, first)) = batches.next() else { return Ok(reports) };
        let mut ready = self.prepare(&source, first.into_iter().map(Item::from).collect()).await?;
        for (next_source, next) in batches {
            let (report, prepared) = tokio::join!(
                self.commit_prepared(&source, ready),
                self.prepare(&next_source, next.into_iter().map(Item::from).collect())
            );
            reports.push(report?);
            ready = prepared?;
            source = next_source;
        }
        reports.push(self.commit_prepared(&source, ready).await?);
        Ok(reports)
    }

    /// The first half of ingesting a batch, which a commit of the batch before may
    /// overlap: which items are new or updated, and those normalised, matched and placed
    /// on the map, on a blocking thread (every core, see [`process_all`]).
    ///
    /// A batch prepared while the one before it commits does not see that one's documents
    /// as stored; its commit settles that ([`Pipeline::settle_stored_since`]).
    pub(crate) async fn prepare(&self, source: &Source, items: Vec<Item>) -> Result<Prepared> {
        let now = Utc::now();
        let urls: Vec<String> = items.iter().map(|it| it.feed.url.clone()).collect();
        let known = self.store.known_documents(&urls).await?;
        let rules = self.rules();
        let impersonation = self.impersonation.clone();
        let source = source.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            prepare_items(&rules, &impersonation, &source, &items, &known, now)
        })
        .await
        .map_err(|e| crate::Error::Processing(e.to_string()))?;
        self.metrics.observe(Stage::Match, prepared.match_time);
        self.metrics.observe(Stage::Places, prepared.places_time);
        Ok(prepared)
    }

    /// What preparing a batch after the commits since its preparing would have made of it
    /// (it may have been prepared beside the commit of the batch before): a new document
    /// stored meanwhile is dropped, or becomes a revision when the feed marks it updated
    /// since, as [`prepare_items`] decides for items stored before.
    async fn settle_stored_since(
        &self,
        batch: Vec<Processed>,
        made: Vec<Made>,
        updated: Vec<Option<Timestamp>>,
        mut updates: Vec<Revision>,
    ) -> Result<(Vec<Processed>, Vec<Made>, Vec<Revision>)> {
        let urls: Vec<String> = batch.iter().map(|p| p.doc.url.clone()).collect();
        let known = if urls.is_empty() {
            Default::default()
        } else {
            self.store.known_documents(&urls).await?
        };
        if known.is_empty() {
            return Ok((batch, made, updates));
        }
        let (mut new, mut new_made) = (Vec::new(), Vec::new());
        for ((p, m), up) in batch.into_iter().zip(made).zip(updated) {
            match known.get(&p.doc.url) {
                None => {
                    new.push(p);
                    new_made.push(m);
                }
                Some(k)
                    if !k.copy
                        && up.is_some_and(|u| u > k.time + UPDATE_SLACK)
                        && p.doc.content_hash != k.content_hash =>
                {
                    updates.push(Revision { id: k.id, new: p });
                }
                Some(_) => {}
            }
        }
        Ok((new, new_made, updates))
    }

    /// The second half of ingesting a batch: stories, the store's transaction, the index.
    pub(crate) async fn commit_prepared(
        &self,
        source: &Source,
        prepared: Prepared,
    ) -> Result<IngestReport> {
        let Prepared { seen, batch, updated, updates, made, now, .. } = prepared;
        let (batch, made, updates) =
            self.settle_stored_since(batch, made, updated, updates).await?;
        let (placing, mut analyses): (Vec<_>, Vec<_>) =
            made.into_iter().map(|m| (m.placing, m.analysis)).unzip();
        self.catch_up_stories().await?;
        crate::stories::reserve_keys(&self.store, &self.stories, batch.len()).await?;
        let started = Instant::now();
        let groups = [crate::stories::batch_times(&batch, placing)];
        let mut placer = crate::stories::BatchPlacer {
            stories: &self.stories,
            groups: &groups,
            spent: started.elapsed(),
        };
        let started = Instant::now();
        let stored = match self.store.insert_batch_placed(&batch, &mut placer).await {
            Ok(stored) => stored,
            Err(e) => {
                self.invalidate_stories().await;
                return Err(e.into());
            }
        };
        let mut stories_time = placer.spent;
        self.invalidate_stale_stories().await;
        let stored_at = Instant::now();
        self.refresh_stories(&stored.inserted, &stored.copies, &batch, now).await?;
        stories_time += stored_at.elapsed();
        let inserted = stored.inserted;
        let revised =
            if updates.is_empty() { Vec::new() } else { self.store.revise(&updates, now).await? };
        self.metrics.observe(Stage::Store, started.elapsed().saturating_sub(stories_time));
        self.metrics.observe(Stage::Stories, stories_time);

        let mut report = IngestReport {
            seen,
            added: inserted.len(),
            revised: revised.len(),
            copies: stored.copies.len(),
            ..IngestReport::default()
        };
        report.duplicates = report.seen - report.added - report.revised - report.copies;
        if let Some(index) = &self.index
            && (!inserted.is_empty() || !revised.is_empty())
        {
            let started = Instant::now();
            let mut docs: Vec<IndexDoc> = inserted
                .iter()
                .map(|i| IndexDoc {
                    analysis: analyses[i.batch_index].take(),
                    ..index_doc(i.id, &source.name, &batch[i.batch_index])
                })
                .collect();
            docs.extend(
                updates
                    .iter()
                    .filter(|u| revised.contains(&u.id))
                    // The revision time the store gave it, which start-up compares.
                    .map(|u| IndexDoc {
                        revised: Some(now),
                        ..index_doc(u.id, &source.name, &u.new)
                    }),
            );
            let last = inserted.iter().map(|i| i.id).max().unwrap_or(0);
            index.add(&docs)?;
            self.commit_index(last)?;
            self.metrics.observe(Stage::Index, started.elapsed());
        }
        if report.added + report.copies > 0 {
            self.stored.notify_one();
        }
        for u in updates.iter().filter(|u| revised.contains(&u.id)) {
            report.hits += u.new.hits.len();
        }
        for i in &inserted {
            let hits = &batch[i.batch_index].hits;
            report.hits += hits.len();
            report.alert_hits += hits.iter().filter(|h| alerts::raises_alert(h.kind)).count();
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
            n_revised = report.revised,
            n_matches = report.hits,
            "Batch ingested."
        );
        Ok(report)
    }

    /// Downloads and parses a source, conditionally.
    pub(crate) async fn download(&self, source: &Source) -> Download {
        let started = Instant::now();
        let result = self.read_source(source).await;
        self.metrics.observe(Stage::Fetch, started.elapsed());
        result.unwrap_or_else(ReadFailure::into_download)
    }

    /// Reads a source: its feed, listing page, sitemap or file, then the article pages its
    /// new items need.
    async fn read_source(&self, source: &Source) -> std::result::Result<Download, ReadFailure> {
        if source.kind == SourceKind::Import {
            let bytes = tokio::fs::read(&source.url)
                .await
                .map_err(|e| fetch::Error::Io { path: source.url.clone(), source: e })?;
            let feed = feeds::parse_feed(&bytes, None, &file_base_url(&source.url))?;
            let items = feed.items.into_iter().map(Item::from).collect();
            return Ok(Download::Items {
                items,
                validators: Validators::default(),
                fresh_for: None,
            });
        }
        let validators = Validators {
            etag: source.state.etag.clone(),
            last_modified: source.state.last_modified.clone(),
        };
        let response = match self.client.get(&source.url, &validators, access(source)).await? {
            Fetched::NotModified { fresh_for } => return Ok(Download::NotModified { fresh_for }),
            Fetched::Body(r) => r,
        };
        self.read_response(source, response).await
    }

    /// Reads what a source's URL answered as the source's kind, then the article pages its
    /// new items need.
    async fn read_response(
        &self,
        source: &Source,
        response: fetch::Response,
    ) -> std::result::Result<Download, ReadFailure> {
        let content_type = response.content_type.as_deref();
        let mut items: Vec<Item> = match source.kind {
            SourceKind::Page => {
                let html = decode_html(&response.bytes, content_type, &response.url);
                let page = self.extractor.article(&html, &response.url);
                if page.text.trim().is_empty() {
                    return Err(ReadFailure {
                        message: format!("no article text found on {}", response.url),
                        retry_after: None,
                    });
                }
                let mut item = Item::from(empty_item(source.url.clone()));
                merge(&mut item, page, &response.url);
                // A full answer to a conditional request means the page changed.
                item.feed.updated = Some(Utc::now());
                vec![item]
            }
            SourceKind::HtmlListing => {
                let html = decode_html(&response.bytes, content_type, &response.url);
                self.listing_items(&html, &response.url)
            }
            SourceKind::Sitemap => {
                let sitemap = feeds::parse_sitemap(&response.bytes, content_type, &response.url)?;
                if sitemap.kind == feeds::SitemapKind::Index {
                    return Err(ReadFailure {
                        message: format!(
                            "{} is a sitemap index: add the sitemaps it lists ({}) as sources",
                            response.url,
                            sitemap
                                .entries
                                .iter()
                                .take(3)
                                .map(|e| e.url.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        retry_after: None,
                    });
                }
                sitemap.items().into_iter().map(Item::from).collect()
            }
            SourceKind::Feed | SourceKind::SearchFeed | SourceKind::Import => {
                let feed = feeds::parse_feed(&response.bytes, content_type, &response.url)?;
                if feed.recovered {
                    tracing::debug!(feed_url = %response.url, problem = feed.problem.as_deref().unwrap_or(""), "Feed read after repair.");
                }
                feed.items.into_iter().map(Item::from).collect()
            }
        };
        // A store error here only costs the pages; the items still go through.
        if let Err(error) = self.complete_from_pages(source, &mut items).await {
            tracing::error!(feed_id = source.id, error = %error, "Reading article pages failed.");
        }
        Ok(Download::Items {
            items,
            validators: response.validators,
            fresh_for: response.fresh_for,
        })
    }

    /// Records a successful poll on the source and schedules the next one from the
    /// source's publication rate and the server's freshness hint.
    async fn record_success(
        &self,
        source: &Source,
        validators: Option<&Validators>,
        fresh_for: Option<Duration>,
        now: Timestamp,
    ) -> Result<()> {
        let published = self.store.publication_times(source.id, RATE_WINDOW).await?;
        let interval =
            adaptive_interval(source, &published, fresh_for, self.config.max_interval, now);
        let jitter = rand::random::<f64>() * 2.0 - 1.0;
        let poll = PollSuccess {
            etag: validators.and_then(|v| v.etag.as_deref()),
            last_modified: validators.and_then(|v| v.last_modified.as_deref()),
            at: now,
            interval_secs: interval,
            next_poll: next_poll(interval, jitter, now),
            not_modified: validators.is_none(),
        };
        self.store.record_fetch_success(source.id, &poll).await?;
        Ok(())
    }

    /// Finishes a poll: ingests the items, then records the outcome on the source.
    pub(crate) async fn complete(&self, source: &Source, download: Download) -> Result<PollReport> {
        self.complete_at(source, download, Utc::now()).await
    }

    /// [`Pipeline::complete`] with the poll recorded at `now`, which the next one is
    /// scheduled from.
    async fn complete_at(
        &self,
        source: &Source,
        download: Download,
        now: Timestamp,
    ) -> Result<PollReport> {
        let name = source.name.clone();
        match download {
            Download::NotModified { fresh_for } => {
                self.metrics.poll(false, true);
                self.record_success(source, None, fresh_for, now).await?;
                Ok(PollReport::NotModified { source: name })
            }
            Download::Items { items, validators, fresh_for } => {
                let prepared = self.prepare(source, items).await?;
                self.complete_prepared(source, prepared, &validators, fresh_for, now).await
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

    /// Finishes a poll whose items are prepared ([`Pipeline::prepare`]): commits them, then
    /// records the poll on the source.
    pub(crate) async fn complete_prepared(
        &self,
        source: &Source,
        prepared: Prepared,
        validators: &Validators,
        fresh_for: Option<Duration>,
        now: Timestamp,
    ) -> Result<PollReport> {
        self.metrics.poll(false, false);
        let report = self.commit_prepared(source, prepared).await?;
        // Only now that the items are committed may the validators move forward.
        self.record_success(source, Some(validators), fresh_for, now).await?;
        Ok(PollReport::Ingested { source: source.name.clone(), report })
    }

    /// Polls one source now, whatever its schedule.
    pub async fn poll(&self, source: &Source) -> Result<PollReport> {
        let download = self.download(source).await;
        self.complete(source, download).await
    }

    /// Polls one source now with the response [`Pipeline::probe`] got from its URL, so a
    /// URL ingested for the first time is fetched once, not once to tell what it is and
    /// again to read it. The response is read as the source's kind; a probe of another URL
    /// is set aside and the source fetched as [`Pipeline::poll`] does.
    pub async fn poll_probed(&self, source: &Source, probe: Probe) -> Result<PollReport> {
        if probe.url != source.url || source.kind == SourceKind::Import {
            return self.poll(source).await;
        }
        let started = Instant::now();
        let result = self.read_response(source, probe.response).await;
        self.metrics.observe(Stage::Fetch, probe.took + started.elapsed());
        let download = result.unwrap_or_else(ReadFailure::into_download);
        self.complete(source, download).await
    }

    /// Polls one source as [`Pipeline::poll`] does, with the poll recorded as made at
    /// `now` and the next one scheduled from it rather than from the system clock: for
    /// replaying a source's schedule on a simulated clock.
    pub async fn poll_at(&self, source: &Source, now: Timestamp) -> Result<PollReport> {
        let download = self.download(source).await;
        self.complete_at(source, download, now).await
    }

    /// Polls every due source once (used by `langnghe fetch --once`), under a claim on
    /// each, so a source another process is polling is left to it.
    pub async fn fetch_once(&self) -> Result<Vec<PollReport>> {
        let ttl = self.config.claim_ttl;
        let due = self.store.claim_due_sources(&self.holder, Utc::now(), ttl, usize::MAX).await?;
        let mut reports = Vec::new();
        for source in due {
            // One poll after another: the claims on the sources still waiting must last.
            let polled = match self.store.renew_source_claims(&self.holder, Utc::now(), ttl).await {
                Ok(_) => self.poll(&source).await,
                Err(e) => Err(e.into()),
            };
            match polled {
                Ok(report) => reports.push(report),
                Err(e) => {
                    // The sources not polled yet are free for another process at once.
                    if let Err(release) = self.store.release_source_claims(&self.holder).await {
                        tracing::warn!(error = %release, "Releasing claims on sources failed.");
                    }
                    return Err(e);
                }
            }
        }
        Ok(reports)
    }

    /// Indexes every stored document the index has not committed yet (after a crash between
    /// the store commit and the index commit), then repairs what else the index lacks or
    /// holds against the store (see `repair.rs`). Returns how many documents were indexed
    /// or removed; none without an index.
    pub async fn catch_up_index(&self) -> Result<usize> {
        let Some(index) = &self.index else { return Ok(0) };
        let after = index.last_indexed_id()?;
        let caught_up = index_documents(&self.store, index, after).await?;
        Ok(caught_up + crate::repair::repair_index(&self.store, index).await?)
    }

    /// Rebuilds the index from the store in place (the pipeline holds the index open).
    /// Returns the number of documents indexed; none without an index.
    pub async fn reindex(&self) -> Result<usize> {
        let Some(index) = &self.index else { return Ok(0) };
        index.clear()?;
        index.commit(0)?;
        index_documents(&self.store, index, 0).await
    }
}

/// Indexes every stored document with an id above `after`, committing batch by batch.
/// Returns how many were indexed.
pub(crate) async fn index_documents(
    store: &store::Store,
    index: &search::SearchIndex,
    mut after: i64,
) -> Result<usize> {
    let mut n = 0;
    loop {
        let docs: Vec<Document> = store.documents_after(after, 1000).await?;
        let Some(last) = docs.last().map(|d| d.id) else { break };
        let facts = store.document_facts(after, last).await?;
        let batch: Vec<IndexDoc> =
            docs.iter().map(|d| stored_index_doc(d, facts.get(&d.id))).collect();
        index.add(&batch)?;
        index.commit(last)?;
        n += docs.len();
        after = last;
    }
    if n > 0 {
        tracing::info!(n_items = n, "Index caught up with the store.");
    }
    Ok(n)
}

/// Rebuilds the index in `dir` from the store, whatever state the old one is in (missing
/// or damaged files included): a fresh index is written beside it and swapped in when
/// complete, so a failed rebuild leaves the old one untouched. Refused while another
/// process (a running `serve`) holds the index. Returns the number of documents indexed.
pub async fn rebuild_index(store: &store::Store, dir: &std::path::Path) -> Result<usize> {
    let rebuild = search::SearchIndex::begin_rebuild(dir)?;
    let n = index_documents(store, rebuild.index(), 0).await?;
    if n == 0 {
        rebuild.index().commit(0)?;
    }
    rebuild.finish()?;
    Ok(n)
}

/// Why reading a source failed: the message recorded on the source, and how long the
/// server asked us to wait.
pub(crate) struct ReadFailure {
    message: String,
    retry_after: Option<Duration>,
}

impl ReadFailure {
    fn into_download(self) -> Download {
        Download::Failed { error: self.message, retry_after: self.retry_after }
    }
}

impl From<fetch::Error> for ReadFailure {
    fn from(e: fetch::Error) -> ReadFailure {
        let retry_after = match &e {
            fetch::Error::Status { retry_after, .. } => *retry_after,
            _ => None,
        };
        ReadFailure { message: e.to_string(), retry_after }
    }
}

impl From<feeds::Error> for ReadFailure {
    fn from(e: feeds::Error) -> ReadFailure {
        ReadFailure { message: e.to_string(), retry_after: None }
    }
}

/// What a source's requests may reach.
pub(crate) fn access(source: &Source) -> Access {
    if source.allow_private { Access::Private } else { Access::Public }
}

/// A `file://` URL for a path, so relative links in a local feed still resolve.
fn file_base_url(path: &str) -> String {
    let abs = std::path::Path::new(path).canonicalize().unwrap_or_else(|_| path.into());
    url::Url::from_file_path(&abs).map_or_else(|()| format!("file://{path}"), |u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::content_hash;
    use model::{ArticleFetch, FetchState, Source, SourceKind, SourceOrigin, SourceTier};
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
            origin: SourceOrigin::Config,
            fetch_articles: ArticleFetch::Auto,
            category: None,
            home_province: None,
            state: FetchState::default(),
        };
        let p = super::to_processed(
            &rules::RuleSet::default(),
            (source.id, &source.name, None),
            &feed.items[0].clone().into(),
            chrono::Utc::now(),
        );
        assert_eq!((p.doc.title.as_str(), p.doc.summary.as_str()), ("Sốt xuất", "Hà Nội"));
        assert!(
            p.doc.title.nfc().eq(p.doc.title.chars())
                && p.doc.summary.nfc().eq(p.doc.summary.chars())
        );
    }

    fn processed(title: &str, body: &str, home: Option<&str>) -> store::Processed {
        let item = feeds::FeedItem {
            url: "https://soyte.example.vn/tin/1".into(),
            title: title.into(),
            body: body.into(),
            ..feeds::FeedItem::default()
        };
        super::to_processed(
            &rules::RuleSet::default(),
            (1, "Sở Y tế", home),
            &item.into(),
            chrono::Utc::now(),
        )
    }

    #[test]
    fn a_text_naming_no_place_is_about_its_source_home_province() {
        let (title, body) = ("Khuyến cáo phòng bệnh mùa mưa", "Người dân cần diệt lăng quăng.");
        let p = processed(title, body, Some("79"));
        assert_eq!(p.places.province.as_deref(), Some("79"));
        assert!(p.places.places.is_empty(), "{:?}", p.places.places);
        let p = processed(title, body, None);
        assert_eq!(p.places.province, None);
        // A former province's code is taken to its current unit.
        let p = processed("Khuyến cáo phòng bệnh", "", Some("74"));
        assert_eq!(p.places.province.as_deref(), Some("79"));
    }

    #[test]
    fn places_carry_display_form_spans_like_rule_hits() {
        let p = processed(
            "Sở Y tế Bình Dương cảnh báo sốt xuất huyết",
            "Số ca mắc tăng trong tuần.",
            None,
        );
        assert_eq!(p.places.province.as_deref(), Some("79"));
        let place = &p.places.places[0];
        assert_eq!(
            (place.code.as_str(), place.historic.as_deref(), place.kind, place.field),
            ("79", Some("74"), model::PlaceKind::FormerProvince, "title")
        );
        assert_eq!(&p.doc.title[place.start..place.end], "Bình Dương");

        // In the body the span is into the full text (summary, then body), as a hit's is.
        let item = feeds::FeedItem {
            url: "https://a.vn/2".into(),
            title: "Cảnh báo dịch bệnh".into(),
            summary: "Tin nhanh.".into(),
            body: "Bệnh nhân ở Gia Lai nhập viện.".into(),
            ..feeds::FeedItem::default()
        };
        let p = super::to_processed(
            &rules::RuleSet::default(),
            (1, "Báo", None),
            &item.into(),
            chrono::Utc::now(),
        );
        let place = &p.places.places[0];
        assert_eq!(place.field, "body");
        assert_eq!(&p.doc.full_text()[place.start..place.end], "Gia Lai");
    }

    #[test]
    fn a_place_named_in_the_text_wins_over_the_home_province() {
        let p = processed(
            "Gia Lai ghi nhận ổ dịch sốt xuất huyết",
            "Trung tâm Kiểm soát bệnh tật tỉnh Gia Lai đã xử lý ổ dịch.",
            Some("79"),
        );
        assert_eq!(p.places.province.as_deref(), Some("52"));
    }

    #[test]
    fn places_read_what_the_rules_read() {
        // Past the analysed first mebibyte nothing is read, by the rules or the places.
        let long = format!("Gia Lai {} Đồng Nai", "chữ ".repeat(rules::MAX_ANALYZED_BYTES / 4));
        let p = processed("Tin tổng hợp", &long, None);
        let codes: Vec<&str> = p.places.places.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["52"]);
        assert_eq!(&p.doc.full_text()[p.places.places[0].start..p.places.places[0].end], "Gia Lai");
    }

    #[test]
    fn the_index_is_handed_the_analysis_the_rules_made_of_its_texts() {
        let cases = [
            ("Sở Y tế cảnh báo sốt xuất huyết", "", "Người dân cần diệt lăng quăng."),
            ("mn ơi share gấp", "Tin nhanh.", "bs nói ko dc tiêm v.a.c.x.i.n, tiem xong bi sot"),
            ("Tiem vac xin co an toan khong", "Hỏi đáp", "Bo Y te khang dinh vac xin an toan."),
        ];
        let process = |item: feeds::FeedItem| {
            let mut places = std::time::Duration::ZERO;
            super::to_processed_timed(
                &rules::RuleSet::default(),
                (1, "Báo", None),
                &item.into(),
                chrono::Utc::now(),
                &mut places,
            )
        };
        for (title, summary, body) in cases {
            let (p, made) = process(feeds::FeedItem {
                url: "https://a.vn/1".into(),
                title: title.into(),
                summary: summary.into(),
                body: body.into(),
                ..feeds::FeedItem::default()
            });
            let indexed = super::index_doc(1, "Báo", &p);
            let [t, b] = made.analysis.expect("both texts analysed whole");
            assert!(*t == search::Analysis::of(&indexed.title), "{title}");
            assert!(*b == search::Analysis::of(&indexed.body), "{body}");
        }
        // Past what the rules read, the index tokenises the text itself.
        let (_, made) = process(feeds::FeedItem {
            url: "https://a.vn/2".into(),
            title: "Tin dài".into(),
            body: "chữ ".repeat(rules::MAX_ANALYZED_BYTES / 4 + 10),
            ..feeds::FeedItem::default()
        });
        assert!(made.analysis.is_none());
    }

    #[test]
    fn content_hash_ignores_case_spacing_and_unicode_form() {
        assert_eq!(content_hash("Sốt  xuất huyết", "Tin"), content_hash("sốt xuất huyết", " tin "));
        assert_eq!(content_hash("Sốt", "x"), content_hash("So\u{302}\u{301}t", "x"));
        assert_ne!(content_hash("Sốt", "x"), content_hash("Sót", "x"));
        assert_ne!(content_hash("a b", ""), content_hash("a", "b"));
    }
}
