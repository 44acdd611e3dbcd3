//! Building a pipeline for a test, and reading what a poll did: its store, an index in the test's directory, a fetch
//! client that does not pause between requests to one host, and the rules asked for.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use model::Metrics;
use pipeline::{Pipeline, PipelineConfig, PollReport};
use rules::RuleSet;
use search::SearchIndex;
use store::Store;

/// Which rules the pipeline matches.
pub(crate) enum Rules {
    /// None: documents are stored and indexed without hits.
    None,
    /// The shipped packs in the repository's `rules/`.
    Shipped,
}

/// A pipeline over `store`, with its index in `dir/index`, polling every `tick`.
pub(crate) fn pipeline(store: Store, dir: &Path, rules: Rules, tick: Option<Duration>) -> Pipeline {
    let rules = match rules {
        Rules::None => RuleSet::default(),
        Rules::Shipped => {
            let (set, diags) =
                RuleSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"));
            assert!(diags.is_empty(), "{diags:?}");
            set
        }
    };
    let index = Arc::new(SearchIndex::open(&dir.join("index")).unwrap());
    let client = fetch::Client::new(&fetch::FetchConfig {
        host_delay: Duration::ZERO,
        ..Default::default()
    })
    .unwrap();
    let config = PipelineConfig {
        tick: tick.unwrap_or(PipelineConfig::default().tick),
        ..PipelineConfig::default()
    };
    Pipeline::new(store, index, rules, client, Arc::new(Metrics::default()), config)
}

/// The documents a poll added; panics unless the poll ingested its items.
pub(crate) fn added(report: &PollReport) -> usize {
    match report {
        PollReport::Ingested { report, .. } => report.added,
        other => panic!("unexpected {other:?}"),
    }
}
