//! Wiring the stages: the scheduler polls due sources, fetch workers download and parse
//! them, and one processing stage normalises, deduplicates, matches rules, stores (one
//! transaction per batch) and indexes (one commit per batch). Stages are tokio tasks joined
//! by bounded channels, so a slow stage slows its producers instead of growing a queue.
//!
//! A source that fails is data: its error count, last error and back-off are recorded on
//! its row and the pipeline goes on. Processing is idempotent: items already stored (same
//! canonical URL or same content) are dropped, so re-fetching changes nothing. A source's
//! new validators (ETag, Last-Modified) are saved only after its items are committed, so a
//! crash can never turn unsaved items into a 304.
#![warn(missing_docs)]

mod articles;
mod error;
mod posts;
mod process;
mod run;
mod schedule;

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
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            tick: Duration::from_secs(5),
            fetch_workers: 4,
            max_backoff: Duration::from_secs(6 * 3600),
            max_interval: Duration::from_secs(6 * 3600),
        }
    }
}

/// The shared handles every stage needs. Cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    store: Store,
    index: Arc<SearchIndex>,
    rules: Arc<RwLock<Arc<RuleSet>>>,
    client: fetch::Client,
    extractor: Arc<extract::Extractor>,
    metrics: Arc<Metrics>,
    config: PipelineConfig,
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
        Pipeline {
            store,
            index,
            rules: Arc::new(RwLock::new(Arc::new(rules))),
            client,
            extractor: Arc::new(extract::Extractor::new()),
            metrics,
            config,
        }
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

    /// The metrics this pipeline counts into.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}
