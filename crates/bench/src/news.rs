//! A generated news stream: 3 KB Vietnamese articles made of the syllables of the story
//! fixtures (`crates/signals/tests/fixtures`), drawn with Zipf's law, plus a few dozen
//! syllables peculiar to each event, so that vocabulary, document frequencies and story
//! sizes look like a news stream; a fifth of the articles are edited copies of an earlier
//! one (a credit line added, a paragraph dropped).

use chrono::{DateTime, TimeDelta, Utc};

use crate::lcg::Lcg;

/// One generated article.
pub(crate) struct Article {
    pub(crate) title: String,
    pub(crate) lead: String,
    pub(crate) body: String,
    pub(crate) at: DateTime<Utc>,
}

/// The shape of a stream: how many articles, about how many events, over how long.
pub(crate) struct Stream {
    pub(crate) docs: usize,
    pub(crate) events: usize,
    pub(crate) span_hours: i64,
    pub(crate) start: DateTime<Utc>,
}

/// The fixture's syllables, most frequent first.
fn vocabulary() -> Vec<String> {
    let text = include_str!("../../signals/tests/fixtures/stories.txt");
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

/// The articles of `stream`, in time order.
pub(crate) fn articles(rng: &mut Lcg, stream: &Stream) -> Vec<Article> {
    let vocab = vocabulary();
    let events: Vec<Vec<String>> = (0..stream.events)
        .map(|_| (0..30).map(|_| vocab[rng.below(vocab.len())].clone()).collect())
        .collect();
    let span = stream.span_hours * 3600;
    let mut out: Vec<Article> = Vec::with_capacity(stream.docs);
    for i in 0..stream.docs {
        let at = stream.start + TimeDelta::seconds(i as i64 * span / stream.docs as i64);
        if i > 10 && rng.next() < 0.2 {
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
        // Events come and go: each lives about a fiftieth of the stream.
        let window = (i * stream.events / stream.docs).max(40).min(stream.events - 1);
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
