//! Process-wide pipeline counters, shared by the pipeline (which counts) and the
//! dashboard (which exports them in Prometheus text format).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A pipeline stage whose latency is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// One HTTP poll of a source, including parsing the feed.
    Fetch,
    /// Normalising and matching one document against the rules.
    Match,
    /// Writing one batch to the store.
    Store,
    /// Indexing and committing one batch.
    Index,
    /// Placing one batch's documents in stories: their syllables, near-copies, the
    /// clusterer, and rewriting the stories they touched.
    Stories,
    /// Finding the places of one batch's documents.
    Places,
}

impl Stage {
    /// Every stage.
    pub const ALL: [Stage; 6] =
        [Stage::Fetch, Stage::Match, Stage::Store, Stage::Index, Stage::Stories, Stage::Places];

    /// Label used in metric output.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Fetch => "fetch",
            Stage::Match => "match",
            Stage::Store => "store",
            Stage::Index => "index",
            Stage::Stories => "stories",
            Stage::Places => "places",
        }
    }

    fn idx(self) -> usize {
        self as usize
    }
}

/// Counters since process start. All methods are lock-free.
#[derive(Debug, Default)]
pub struct Metrics {
    polls: AtomicU64,
    poll_errors: AtomicU64,
    not_modified: AtomicU64,
    items_seen: AtomicU64,
    documents_added: AtomicU64,
    duplicates: AtomicU64,
    hits: AtomicU64,
    rules_loaded: AtomicU64,
    rule_reloads: AtomicU64,
    rule_reload_failures: AtomicU64,
    stage_count: [AtomicU64; Stage::ALL.len()],
    stage_micros: [AtomicU64; Stage::ALL.len()],
}

/// A consistent-enough copy of [`Metrics`] for rendering.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsSnapshot {
    /// Polls attempted.
    pub polls: u64,
    /// Polls that failed.
    pub poll_errors: u64,
    /// Polls answered 304 Not Modified.
    pub not_modified: u64,
    /// Feed items seen.
    pub items_seen: u64,
    /// Documents added to the store.
    pub documents_added: u64,
    /// Items dropped as duplicates.
    pub duplicates: u64,
    /// Rule hits recorded.
    pub hits: u64,
    /// Rules in the set documents are matched against now.
    pub rules_loaded: u64,
    /// Rule sets swapped in after start-up.
    pub rule_reloads: u64,
    /// Reloads refused because a pack had problems (the previous set kept running).
    pub rule_reload_failures: u64,
    /// Per stage: (label, number of observations, total seconds).
    pub stages: Vec<(&'static str, u64, f64)>,
}

impl Metrics {
    /// Counts one poll and whether it failed or was answered 304.
    pub fn poll(&self, failed: bool, not_modified: bool) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.poll_errors.fetch_add(1, Ordering::Relaxed);
        }
        if not_modified {
            self.not_modified.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts processed items.
    pub fn items(&self, seen: u64, added: u64, duplicates: u64, hits: u64) {
        self.items_seen.fetch_add(seen, Ordering::Relaxed);
        self.documents_added.fetch_add(added, Ordering::Relaxed);
        self.duplicates.fetch_add(duplicates, Ordering::Relaxed);
        self.hits.fetch_add(hits, Ordering::Relaxed);
    }

    /// Records that a rule set of `rules` rules is now in use; `reload` is false for the
    /// set loaded at start-up.
    pub fn rules_loaded(&self, rules: u64, reload: bool) {
        self.rules_loaded.store(rules, Ordering::Relaxed);
        if reload {
            self.rule_reloads.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a reload refused because of problems in the packs.
    pub fn rule_reload_failed(&self) {
        self.rule_reload_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long one run of a stage took.
    pub fn observe(&self, stage: Stage, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.stage_count[stage.idx()].fetch_add(1, Ordering::Relaxed);
        self.stage_micros[stage.idx()].fetch_add(micros, Ordering::Relaxed);
    }

    /// Copies the counters.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        MetricsSnapshot {
            polls: load(&self.polls),
            poll_errors: load(&self.poll_errors),
            not_modified: load(&self.not_modified),
            items_seen: load(&self.items_seen),
            documents_added: load(&self.documents_added),
            duplicates: load(&self.duplicates),
            hits: load(&self.hits),
            rules_loaded: load(&self.rules_loaded),
            rule_reloads: load(&self.rule_reloads),
            rule_reload_failures: load(&self.rule_reload_failures),
            stages: Stage::ALL
                .iter()
                .map(|s| {
                    let n = load(&self.stage_count[s.idx()]);
                    let secs = load(&self.stage_micros[s.idx()]) as f64 / 1e6;
                    (s.as_str(), n, secs)
                })
                .collect(),
        }
    }
}
