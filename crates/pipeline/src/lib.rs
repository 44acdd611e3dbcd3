//! Wiring the stages: the scheduler polls due sources, fetch workers download and parse
//! them, a preparing stage normalises, deduplicates, matches rules and finds places on every
//! core, and a committing stage stores (one transaction per batch) and indexes (a commit at
//! most every `index_commit_every`), overlapping the next batch's preparing. Stages are
//! tokio tasks joined by bounded channels, so a slow stage slows its producers instead of
//! growing a queue.
//!
//! A source that fails is data: its error count, last error and back-off are recorded on
//! its row and the pipeline goes on. Processing is idempotent: items already stored (same
//! canonical URL or same content) are dropped, so re-fetching changes nothing. A source's
//! new validators (ETag, Last-Modified) are saved only after its items are committed, so a
//! crash can never turn unsaved items into a 304.
#![warn(missing_docs)]

mod articles;
mod error;
mod follow;
mod posts;
mod process;
mod repair;
mod run;
mod schedule;
mod stories;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use model::Metrics;
use rules::RuleSet;
use search::SearchIndex;
use store::Store;

pub use articles::{Probe, sniff_kind};
pub use error::{Error, Result};
pub use posts::{
    FIELDS as POST_FIELDS, ImportReport, RawPost, is_posts_file, parse_count, read_posts,
};
pub use process::{IngestReport, PollReport, rebuild_index};
pub use schedule::next_poll_after_error;
pub use stories::StoriesRebuilt;

/// Re-clusters every stored document into stories from scratch and rewrites the story
/// rows; story alerts follow their documents. Run it with the pipeline stopped: a running
/// pipeline keeps placing documents by the stories it restored when it started.
pub async fn rebuild_stories(store: &Store) -> Result<StoriesRebuilt> {
    stories::rebuild(store, chrono::Utc::now()).await
}

/// Tuning of the pipeline. Built by the application from its configuration.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// How often the scheduler looks for due sources.
    pub tick: Duration,
    /// Fetches running at once.
    pub fetch_workers: usize,
    /// Longest back-off after repeated errors.
    pub max_backoff: Duration,
    /// Longest interval between two polls of a quiet source.
    pub max_interval: Duration,
    /// How long a claim on a source (see `Store::claim_due_sources`) holds unless renewed:
    /// how soon another process may poll the sources of one that died. The pipeline
    /// renews its claims at a third of this while their polls are under way.
    pub claim_ttl: Duration,
    /// The least time between two index commits while documents keep coming: a batch's
    /// documents become searchable within it. Zero commits every batch. The rest of a
    /// burst is committed by [`Pipeline::run`] within this time, or by
    /// [`Pipeline::flush_index`]; what a crash leaves uncommitted, start-up indexes again
    /// from the store.
    pub index_commit_every: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            tick: Duration::from_secs(5),
            fetch_workers: 4,
            max_backoff: Duration::from_secs(6 * 3600),
            max_interval: Duration::from_secs(6 * 3600),
            claim_ttl: Duration::from_secs(60),
            index_commit_every: Duration::ZERO,
        }
    }
}

/// The shared handles every stage needs. Cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    store: Store,
    /// Where stored documents are indexed; none in a process that only stores them (a
    /// worker), whose documents another process's index follows.
    index: Option<Arc<SearchIndex>>,
    /// Who this pipeline's claims on sources are taken by: unique to the instance.
    holder: Arc<str>,
    rules: Arc<RwLock<Arc<RuleSet>>>,
    client: fetch::Client,
    extractor: Arc<extract::Extractor>,
    metrics: Arc<Metrics>,
    config: PipelineConfig,
    /// The near-copy index and story clusterer; restored from the store on first use.
    stories: Arc<std::sync::Mutex<stories::Stories>>,
    stories_ready: Arc<tokio::sync::Mutex<bool>>,
    /// What story refreshes keep from batch to batch (outlets, sightings' credits).
    credits: Arc<stories::Credits>,
    /// Notified after every batch that stored documents or sightings.
    stored: Arc<tokio::sync::Notify>,
    /// Social pages posing as health bodies, and the office's official pages.
    impersonation: Arc<rules::Impersonation>,
    /// What the index holds uncommitted, and when it last committed.
    commits: Arc<std::sync::Mutex<IndexCommits>>,
}

/// The index commits a pipeline owes (see [`PipelineConfig::index_commit_every`]).
#[derive(Debug, Default)]
struct IndexCommits {
    /// The highest document id added since the last commit, if any was.
    owed: Option<i64>,
    last: Option<std::time::Instant>,
    /// A spaced commit under way on its own thread, with the id it records: the next
    /// batch is stored meanwhile instead of waiting for it.
    running: Option<(i64, std::thread::JoinHandle<search::Result<()>>)>,
}

impl IndexCommits {
    /// Waits for the commit under way, if any; when it failed, what it was to commit is
    /// owed again and its error returned.
    fn finish_running(&mut self) -> Result<()> {
        let Some((upto, running)) = self.running.take() else { return Ok(()) };
        let failed = match running.join() {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => Error::Index(e),
            Err(_) => Error::Processing("the index commit panicked".to_owned()),
        };
        self.owed = Some(self.owed.map_or(upto, |o| o.max(upto)));
        Err(failed)
    }
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Pipeline {
    /// Assembles a pipeline.
    pub fn new(
        store: Store,
        index: Arc<SearchIndex>,
        rules: RuleSet,
        client: fetch::Client,
        metrics: Arc<Metrics>,
        config: PipelineConfig,
    ) -> Pipeline {
        Pipeline::assemble(store, Some(index), rules, client, metrics, config)
    }

    /// Assembles a pipeline that stores documents without indexing them: for a process
    /// that polls sources beside others while one process keeps the index
    /// ([`Pipeline::follow_store`]).
    pub fn without_index(
        store: Store,
        rules: RuleSet,
        client: fetch::Client,
        metrics: Arc<Metrics>,
        config: PipelineConfig,
    ) -> Pipeline {
        Pipeline::assemble(store, None, rules, client, metrics, config)
    }

    fn assemble(
        store: Store,
        index: Option<Arc<SearchIndex>>,
        rules: RuleSet,
        client: fetch::Client,
        metrics: Arc<Metrics>,
        config: PipelineConfig,
    ) -> Pipeline {
        // The process id tells an operator which process holds a claim; the random part
        // keeps a restarted process that got the same id from renewing its predecessor's.
        let holder = format!("pid{}-{:08x}", std::process::id(), rand::random::<u32>());
        Pipeline {
            store,
            index,
            holder: holder.into(),
            rules: Arc::new(RwLock::new(Arc::new(rules))),
            client,
            extractor: Arc::new(extract::Extractor::new()),
            metrics,
            config,
            stories: Arc::default(),
            stories_ready: Arc::default(),
            credits: Arc::default(),
            stored: Arc::default(),
            impersonation: Arc::new(rules::Impersonation::builtin()),
            commits: Arc::default(),
        }
    }

    /// Commits the documents added to the index up to `last` (the highest id among them)
    /// now, or, when the last commit is more recent than
    /// [`PipelineConfig::index_commit_every`], leaves them owed to the next.
    ///
    /// Spaced commits after the first run on a thread of their own, so the batch that
    /// triggers one does not wait for it; the next commit or [`Pipeline::flush_index`]
    /// waits for it first, and reports its failure.
    pub(crate) fn commit_index(&self, last: i64) -> Result<()> {
        let Some(index) = &self.index else { return Ok(()) };
        let mut commits = self.commits.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let owed = commits.owed.map_or(last, |o| o.max(last));
        let every = self.config.index_commit_every;
        let now = Some(std::time::Instant::now());
        if commits.last.is_some_and(|at| !every.is_zero() && at.elapsed() < every) {
            commits.owed = Some(owed);
        } else if commits.last.is_some() && !every.is_zero() {
            commits.owed = Some(owed);
            commits.finish_running()?;
            let upto = owed.max(index.last_indexed_id()?);
            let index = index.clone();
            let running = std::thread::Builder::new()
                .name("index-commit".to_owned())
                .spawn(move || index.commit(upto))
                .map_err(|e| Error::Processing(format!("starting the index commit: {e}")))?;
            *commits = IndexCommits { owed: None, last: now, running: Some((upto, running)) };
        } else {
            // Every batch commits, or this is the first commit: nothing runs beside it.
            index.commit(owed.max(index.last_indexed_id()?))?;
            *commits = IndexCommits { owed: None, last: now, running: None };
        }
        Ok(())
    }

    /// Commits what the index holds uncommitted, if anything; returns whether it did.
    /// A commit under way on its own thread is waited for first.
    pub fn flush_index(&self) -> Result<bool> {
        let Some(index) = &self.index else { return Ok(false) };
        let mut commits = self.commits.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        commits.finish_running()?;
        let Some(owed) = commits.owed else { return Ok(false) };
        index.commit(owed.max(index.last_indexed_id()?))?;
        *commits =
            IndexCommits { owed: None, last: Some(std::time::Instant::now()), running: None };
        Ok(true)
    }

    /// The same pipeline committing its index at most every `every` while documents keep
    /// coming (see [`PipelineConfig::index_commit_every`]).
    pub fn with_index_commit_every(mut self, every: Duration) -> Pipeline {
        self.config.index_commit_every = every;
        self
    }

    /// Adds the office's own official pages (the configuration's) to the built-in list, so
    /// that they are not taken for impostors of the bodies they name.
    pub fn with_official_pages(
        mut self,
        pages: impl IntoIterator<Item = rules::OfficialPage>,
    ) -> Pipeline {
        self.impersonation = Arc::new(rules::Impersonation::builtin().with_official_pages(pages));
        self
    }

    /// Uses `extractor` (the built-in site adapters plus an administrator's own) for
    /// article and listing pages.
    pub fn with_extractor(mut self, extractor: extract::Extractor) -> Pipeline {
        self.extractor = Arc::new(extractor);
        self
    }

    /// The rule set documents are matched against now.
    pub fn rules(&self) -> Arc<RuleSet> {
        self.rules.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Replaces the rule set; documents processed from now on use the new one, and none is
    /// processed by a mix of both.
    pub fn set_rules(&self, rules: RuleSet) {
        *self.rules.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(rules);
    }

    /// Restores the stories held in memory from the store, unless they are already, then
    /// places every stored document that has no story yet (documents stored before
    /// stories existed) and writes their stories. Returns how many documents it placed.
    pub async fn catch_up_stories(&self) -> Result<usize> {
        let mut ready = self.stories_ready.lock().await;
        if *ready {
            return Ok(0);
        }
        let restored = stories::restore(&self.store, chrono::Utc::now()).await?;
        *stories::lock(&self.stories) = restored;
        let placed =
            stories::catch_up(&self.store, &self.stories, &self.credits, chrono::Utc::now())
                .await?;
        if stories::lock(&self.stories).stale() {
            // Another process rebuilt the stories meanwhile: read them again next time.
            return Ok(placed);
        }
        // Alerts opened before stories gathered every document of their rule; each story
        // is its own incident now.
        let opened = self.store.split_rule_alerts(chrono::Utc::now()).await?;
        *ready = true;
        if placed > 0 || opened > 0 {
            tracing::info!(n_documents = placed, n_alerts_opened = opened, "Stories caught up.");
        }
        Ok(placed)
    }

    /// Forgets the stories held in memory, so the next batch restores them from the store:
    /// after a batch failed, the clusterer may hold documents the store never kept.
    pub(crate) async fn invalidate_stories(&self) {
        *self.stories_ready.lock().await = false;
    }

    /// Forgets the stories held in memory when the story log said they fell behind it (a
    /// rebuild elsewhere, or entries pruned before they were read); what was left unplaced
    /// meanwhile is placed by the catch-up that reads them again.
    pub(crate) async fn invalidate_stale_stories(&self) {
        if stories::lock(&self.stories).stale() {
            tracing::info!("Stories fell behind the story log: reading them again.");
            self.invalidate_stories().await;
        }
    }

    /// Merges the stories that turned out to be one event (their alerts follow) and
    /// rewrites the merged stories' rows, and the rows of stories a purged source took
    /// away. Returns how many merges it made.
    pub async fn merge_stories(&self) -> Result<usize> {
        self.catch_up_stories().await?;
        let now = chrono::Utc::now();
        // Stories whose row went with a purged source are written again from what is left.
        let orphans = self.store.stories_without_rows().await?;
        for chunk in orphans.chunks(500) {
            stories::refresh(&self.store, &self.credits, chunk, now).await?;
        }
        if let Err(error) = self.store.prune_story_log(now - store::STORY_LOG_KEPT).await {
            tracing::warn!(error = %error, "Pruning the story log failed.");
        }
        // Merges are decided by one process at a time, among every story any process
        // placed: the others apply them from the log.
        let applied = stories::lock(&self.stories).applied();
        let (mut decision, log) = self.store.decide_stories(applied).await?;
        let merges = {
            let mut held = stories::lock(&self.stories);
            if held.follow(&log) { held.merge_pass(now) } else { Vec::new() }
        };
        if merges.is_empty() {
            // Given up before waiting on anything else: a catch-up may be waiting for the
            // story lock.
            drop(decision);
            self.invalidate_stale_stories().await;
            return Ok(0);
        }
        let written = match decision.merge(&merges, now).await {
            Ok(()) => decision.commit().await,
            Err(e) => {
                drop(decision);
                Err(e)
            }
        };
        match written {
            Ok(end) => stories::lock(&self.stories).written(end),
            Err(e) => {
                // The clusterer made merges the store did not keep.
                self.invalidate_stories().await;
                return Err(e.into());
            }
        }
        let into: std::collections::BTreeSet<i64> = merges.iter().map(|m| m.1).collect();
        stories::refresh(&self.store, &self.credits, &into.into_iter().collect::<Vec<_>>(), now)
            .await?;
        tracing::info!(n_merges = merges.len(), "Stories merged.");
        Ok(merges.len())
    }

    /// Rewrites the rows of the stories a stored batch touched: those of its new documents
    /// and of the documents its copies were sightings of.
    pub(crate) async fn refresh_stories(
        &self,
        inserted: &[store::Inserted],
        copies: &[store::Copied],
        batch: &[store::Processed],
        now: model::Timestamp,
    ) -> Result<()> {
        let ids: Vec<i64> =
            inserted.iter().map(|i| i.id).chain(copies.iter().map(|c| c.document_id)).collect();
        if ids.is_empty() {
            return Ok(());
        }
        let touched: std::collections::BTreeSet<i64> =
            self.store.stories_of(&ids).await?.into_iter().map(|(_, s)| s).collect();
        let texts: Vec<(i64, &model::NewDocument)> =
            inserted.iter().filter_map(|i| Some((i.id, &batch.get(i.batch_index)?.doc))).collect();
        stories::refresh_knowing(
            &self.store,
            &self.credits,
            &touched.into_iter().collect::<Vec<_>>(),
            &texts,
            now,
        )
        .await
    }

    /// Notified (one permit, `notify_one`) after every batch that stored new documents or
    /// sightings: periodic jobs that count them can run soon instead of at their interval.
    pub fn stored(&self) -> Arc<tokio::sync::Notify> {
        self.stored.clone()
    }

    /// The metrics this pipeline counts into.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

#[cfg(test)]
mod tests {
    use super::IndexCommits;

    #[test]
    fn a_failed_spaced_commit_is_reported_once_and_owed_again() {
        let failing = std::thread::spawn(|| Err(search::Error::Busy { path: "index".into() }));
        let mut commits = IndexCommits { owed: Some(40), last: None, running: Some((90, failing)) };
        let error = commits.finish_running().unwrap_err();
        assert!(error.to_string().contains("index"), "{error}");
        assert_eq!(commits.owed, Some(90));
        assert!(commits.running.is_none());
        commits.finish_running().unwrap();

        let done = std::thread::spawn(|| Ok(()));
        let mut commits = IndexCommits { owed: None, last: None, running: Some((7, done)) };
        commits.finish_running().unwrap();
        assert_eq!(commits.owed, None);
    }
}
