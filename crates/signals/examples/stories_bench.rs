//! How long copies and stories take per document, on generated 3 KB Vietnamese articles.
//!
//!     cargo run --release -p signals --example stories_bench
//!
//! The articles are made of the syllables of the story fixtures (`tests/fixtures`), drawn
//! with Zipf's law, plus a few dozen syllables peculiar to each of 2,000 events, so that
//! vocabulary, document frequencies and story sizes look like a news stream; a fifth of
//! the articles are edited copies of an earlier one. 40,000 articles arrive over 4 days.
//! Tokenising is the pipeline's and is measured apart; the figures per document are for
//! turning tokens into syllable hashes, for the copy check (signature, candidates, exact
//! check, insertion, eviction) and for the story assignment (with an hourly merge pass).
//! Prints one JSON line per measurement.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use signals::copies::{self, CopyDoc, CopyIndex, Syllables};
use signals::stories::{self, Clusterer, StoryInput};

const DOCS: usize = 40_000;
const EVENTS: usize = 2_000;
const SPAN_HOURS: i64 = 96;

/// A small deterministic generator, so every run measures the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.next() * n as f64) as usize).min(n - 1)
    }

    /// A Zipf-distributed rank in `0..n` (exponent 1), by inverting the harmonic CDF
    /// approximately.
    fn zipf(&mut self, n: usize) -> usize {
        let u = self.next();
        (((n as f64 + 1.0).powf(u) - 1.0) as usize).min(n - 1)
    }
}

/// The fixture's syllables, most frequent first.
fn vocabulary() -> Vec<String> {
    let text = include_str!("../tests/fixtures/stories.txt");
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with(['@', '#', '='])) {
        let line = line.split_once(": ").map_or(line, |(_, v)| v);
        for t in vi_text::tokenize(line) {
            if t.matched.chars().all(char::is_alphabetic) {
                *counts.entry(t.matched).or_default() += 1;
            }
        }
    }
    let mut words: Vec<(String, usize)> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    words.into_iter().map(|(w, _)| w).collect()
}

struct Article {
    title: String,
    lead: String,
    body: String,
    at: DateTime<Utc>,
}

fn sentence(rng: &mut Lcg, vocab: &[String], event: &[String], len: usize) -> String {
    let mut out = String::new();
    for i in 0..len {
        if i > 0 {
            out.push(' ');
        }
        let word = if rng.next() < 0.15 {
            &event[rng.below(event.len())]
        } else {
            &vocab[rng.zipf(vocab.len())]
        };
        out.push_str(word);
    }
    out.push('.');
    out
}

fn articles(rng: &mut Lcg) -> Vec<Article> {
    let vocab = vocabulary();
    let events: Vec<Vec<String>> = (0..EVENTS)
        .map(|_| (0..30).map(|_| vocab[rng.below(vocab.len())].clone()).collect())
        .collect();
    let start = DateTime::from_timestamp(1_752_300_000, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut out: Vec<Article> = Vec::with_capacity(DOCS);
    for i in 0..DOCS {
        let at = start + TimeDelta::seconds(i as i64 * SPAN_HOURS * 3600 / DOCS as i64);
        if i > 10 && rng.next() < 0.2 {
            // An edited copy of a recent article: a credit line added, a paragraph dropped.
            let of = &out[i - 1 - rng.below(i.min(2_000))];
            let mut paragraphs: Vec<&str> = of.body.split("\n\n").collect();
            if paragraphs.len() > 2 {
                paragraphs.remove(rng.below(paragraphs.len()));
            }
            out.push(Article {
                title: of.title.clone(),
                lead: of.lead.clone(),
                body: format!("Theo VnExpress\n\n{}", paragraphs.join("\n\n")),
                at,
            });
            continue;
        }
        // Events come and go: each lives about a day.
        let window = (i * EVENTS / DOCS).max(40);
        let event = &events[window - rng.below(40)];
        let body: Vec<String> = (0..5)
            .map(|_| {
                (0..4)
                    .map(|_| {
                        let len = 22 + rng.below(10);
                        sentence(rng, &vocab, event, len)
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.push(Article {
            title: sentence(rng, &vocab, event, 14),
            lead: sentence(rng, &vocab, event, 35),
            body: body.join("\n\n"),
            at,
        });
    }
    out
}

fn report(metric: &str, seconds: f64, items: usize) {
    println!(
        "{{\"suite\":\"stories\",\"metric\":\"{metric}\",\"seconds\":{seconds:.4},\"items\":{items},\"us_per_doc\":{:.2}}}",
        seconds * 1e6 / items as f64
    );
}

fn main() {
    let mut rng = Lcg(2026);
    let docs = articles(&mut rng);
    let bytes: usize = docs.iter().map(|d| d.title.len() + d.lead.len() + d.body.len()).sum();
    println!(
        "{{\"suite\":\"stories\",\"metric\":\"corpus\",\"docs\":{},\"mean_bytes\":{}}}",
        docs.len(),
        bytes / docs.len()
    );

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
    let names = [
        "tokenize (the pipeline's, for scale)",
        "syllable hashes",
        "copies",
        "stories assign",
        "stories merge and evict (hourly)",
    ];
    for (name, seconds) in names.iter().zip(spent) {
        report(name, seconds, docs.len());
    }
    report("syllables + copies + stories", spent[1..].iter().sum(), docs.len());
    println!(
        "{{\"suite\":\"stories\",\"metric\":\"outcome\",\"copies_found\":{copies_found},\"stories_held\":{},\"merges\":{merges},\"next_key\":{}}}",
        clusterer.len(),
        clusterer.next_key().0
    );
}
