//! How long copies and stories take per document, on generated 3 KB Vietnamese articles,
//! against the tokenising the pipeline does anyway (the peer): the ratio is the share they
//! add to it.
//!
//! The articles are a generated news stream (`news.rs`) about 2,000 events; 40,000 arrive
//! over 4 days, one by one, as the pipeline would hand them on.

use std::time::Instant;

use anyhow::Result;
use chrono::{DateTime, TimeDelta, Utc};
use signals::copies::{self, CopyDoc, CopyIndex, Syllables};
use signals::stories::{self, Clusterer, StoryInput};

use crate::lcg::Lcg;
use crate::line;
use crate::news::{Stream, articles};

const DOCS: usize = 40_000;
const EVENTS: usize = 2_000;
const SPAN_HOURS: i64 = 96;

pub(crate) fn run() -> Result<Vec<serde_json::Value>> {
    let mut rng = Lcg(2026);
    let stream = Stream {
        docs: DOCS,
        events: EVENTS,
        span_hours: SPAN_HOURS,
        start: DateTime::from_timestamp(1_752_300_000, 0).unwrap_or(DateTime::<Utc>::MIN_UTC),
    };
    let docs = articles(&mut rng, &stream);
    let bytes: usize = docs.iter().map(|d| d.title.len() + d.lead.len() + d.body.len()).sum();

    // Document by document, as the pipeline runs: what the pipeline already did
    // (tokenising) is timed apart from what this crate adds.
    let copy_params = copies::Params::default();
    let mut index = CopyIndex::new(copy_params);
    let mut clusterer = Clusterer::new(stories::Params::default());
    let mut last_pass = docs[0].at;
    let (mut merges, mut copies_found) = (0, 0);
    let mut spent = [0f64; 5];
    for (i, d) in docs.iter().enumerate() {
        let t0 = Instant::now();
        let [title, lead, body] =
            [&d.title, &d.lead, &d.body].map(|t| vi_text::tokenize(&vi_text::display(t)));
        let t1 = Instant::now();
        let syllables = Syllables::from_tokens(&title, &lead, &body);
        let t2 = Instant::now();
        if i % 1_000 == 0 {
            index.evict_older_than(d.at - copy_params.window);
        }
        let found = CopyDoc::new(&syllables, &copy_params).and_then(|doc| {
            let found = index.find_copy(&doc);
            index.insert(i as i64, d.at, doc);
            found
        });
        copies_found += usize::from(found.is_some());
        let t3 = Instant::now();
        let input =
            StoryInput { id: i as i64, syllables: &syllables, copy_of: found.map(|m| m.of) };
        clusterer.assign(&input, d.at);
        let t4 = Instant::now();
        if d.at - last_pass >= TimeDelta::hours(1) {
            merges += clusterer.merge_pass(d.at).len();
            clusterer.evict(d.at);
            last_pass = d.at;
        }
        let t5 = Instant::now();
        for (k, (a, b)) in
            [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)].into_iter().enumerate()
        {
            spent[k] += (b - a).as_secs_f64();
        }
    }
    let per_doc = |seconds: f64| seconds * 1e6 / docs.len() as f64;
    let tokenize = per_doc(spent[0]);
    let extra = |what: &str| {
        serde_json::json!({
            "unit": "µs per document",
            "peer_is": "tokenising the same documents (the pipeline's own work)",
            "what": what,
            "docs": docs.len(),
            "mean_bytes": bytes / docs.len(),
        })
    };
    let mut out = Vec::new();
    for (metric, what, seconds) in [
        ("syllable_hashes", "turning tokens into syllable hashes", spent[1]),
        ("copies", "signature, candidates, exact check, insertion, eviction", spent[2]),
        ("stories_assign", "story assignment", spent[3]),
        ("stories_merge", "hourly merge pass and eviction", spent[4]),
        ("copies_and_stories", "everything above", spent[1..].iter().sum()),
    ] {
        out.push(line("stories", metric, per_doc(seconds), tokenize, extra(what)));
    }
    out.push(serde_json::json!({
        "suite": "stories",
        "metric": "outcome",
        "copies_found": copies_found,
        "stories_held": clusterer.len(),
        "merges": merges,
    }));
    Ok(out)
}
