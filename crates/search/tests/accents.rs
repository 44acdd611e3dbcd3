//! One semantics for rules and search: on generated documents mixing accented sentences and
//! sentences typed without diacritics, and generated queries with accented, bare and strict
//! (`=`) terms, phrases, `NEAR`, `OR`, negations and field scopes, the search index finds
//! exactly the documents the rule engine matches, and highlights in the title exactly what
//! the rule's hit points at.
// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use model::{RuleKind, Severity};
use proptest::prelude::*;
use rules::{Analyzed, Rule, RuleSet};
use search::{Analysis, IndexDoc, SearchIndex, Sort};

/// Words and phrases chosen to collide: accented spellings of one fold form (`sốt`, `sót`,
/// `sợt`; `ca`, `cá`, `cả`), old and new tone placement, common English words that are
/// valid bare syllables, and teencode that stands for one syllable (`ko`, `dc`). Written
/// bare, most of them make sentences judged unaccented; mixed with accented ones, they do
/// not. Phrases of the queries are taken from here too, so that they occur.
///
/// Alternatives of more than one syllable (`bs` for `bác sĩ`) are left out: the index
/// places them on consecutive positions from their token's, so a phrase that goes on past
/// one is found by the rule engine's token graph and not by the index (a limit of the
/// index that predates accent tolerance).
const CHUNKS: &[&str] = &[
    "sốt xuất huyết",
    "sot",
    "sót",
    "sợt",
    "Sốt",
    "tử vong",
    "tiêm vắc xin",
    "hoà",
    "hòa",
    "khoẻ",
    "khỏe",
    "không được",
    "ko dc",
    "đc",
    "mọi người ơi",
    "nói",
    "covid 19",
    "cúm",
    "ca bệnh",
    "cá",
    "cả",
    "bệnh nhân",
    "kỹ thuật",
    "kĩ",
    "lý do",
    "bị",
    "rồi",
    "uống thuốc",
    "ko uống",
    "the man can",
];

fn chunk() -> impl Strategy<Value = String> {
    proptest::sample::select(CHUNKS).prop_map(str::to_owned)
}

fn word() -> impl Strategy<Value = String> {
    chunk().prop_flat_map(|c| {
        let words: Vec<String> = c.split(' ').map(str::to_owned).collect();
        proptest::sample::select(words)
    })
}

/// Sentences of chunks, each as written or with every diacritic stripped, separated by
/// stops, line breaks, commas or nothing; with the words of each sentence as written, for
/// the queries to quote.
fn text() -> impl Strategy<Value = (String, Vec<Vec<String>>)> {
    let sentence = (proptest::collection::vec(chunk(), 1..6), any::<bool>());
    let stop = prop_oneof![Just(". "), Just("\n"), Just(", "), Just(" ")];
    proptest::collection::vec((sentence, stop), 0..4).prop_map(|ss| {
        let mut text = String::new();
        let mut written = Vec::new();
        for ((chunks, bare), stop) in ss {
            let s = chunks.join(" ");
            text.push_str(&if bare { vi_text::fold_str(&s) } else { s.clone() });
            text.push_str(stop);
            written.push(s.split(' ').map(str::to_owned).collect());
        }
        (text, written)
    })
}

fn phrase() -> impl Strategy<Value = String> {
    proptest::collection::vec(chunk(), 1..3).prop_map(|cs| cs.join(" "))
}

/// Queries; phrases come from the chunks and, written with their diacritics, from the
/// documents' own sentences (`quotes`), so that they meet sentences typed without them.
fn query(quotes: Vec<String>) -> impl Strategy<Value = String> {
    let quote =
        if quotes.is_empty() { phrase().boxed() } else { proptest::sample::select(quotes).boxed() };
    let leaf = prop_oneof![
        4 => word(),
        2 => word().prop_map(|w| format!("={w}")),
        2 => phrase().prop_map(|p| format!("\"{p}\"")),
        1 => phrase().prop_map(|p| format!("\"{}\"", vi_text::fold_str(&p))),
        3 => quote.prop_map(|p| format!("\"{p}\"")),
    ];
    leaf.prop_recursive(3, 10, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|xs| format!("({})", xs.join(" "))),
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|xs| format!("({})", xs.join(" OR "))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} -{b})")),
            (inner.clone(), inner.clone(), 0..5usize, any::<bool>()).prop_map(|(a, b, n, o)| {
                format!("({a} {}NEAR/{n} {b})", if o { "O" } else { "" })
            }),
            (prop_oneof![Just("title:"), Just("body:")], inner)
                .prop_map(|(f, x)| format!("{f}{x}")),
        ]
    })
}

/// Documents (title, body) and queries over them.
fn case() -> impl Strategy<Value = (Vec<(String, String)>, Vec<String>)> {
    proptest::collection::vec((text(), text()), 1..7).prop_flat_map(|docs| {
        let mut quotes = Vec::new();
        for ((_, t), (_, b)) in &docs {
            for words in t.iter().chain(b) {
                for n in 2..=3 {
                    quotes.extend(words.windows(n).map(|w| w.join(" ")));
                    // And as the alternatives read the teencode.
                    quotes.extend(words.windows(n).map(|w| {
                        let read = |x: &String| match x.as_str() {
                            "ko" => "không".to_owned(),
                            "dc" | "đc" => "được".to_owned(),
                            _ => x.clone(),
                        };
                        w.iter().map(read).collect::<Vec<_>>().join(" ")
                    }));
                }
            }
        }
        let docs: Vec<(String, String)> = docs.into_iter().map(|((t, _), (b, _))| (t, b)).collect();
        (Just(docs), proptest::collection::vec(query(quotes), 1..8))
    })
}

thread_local! {
    /// One index for every case: emptied and refilled, which is much cheaper than opening.
    static INDEX: RefCell<Option<(tempfile::TempDir, SearchIndex)>> = const { RefCell::new(None) };
}

fn with_index<R>(f: impl FnOnce(&SearchIndex) -> R) -> R {
    INDEX.with(|cell| {
        let mut cell = cell.borrow_mut();
        let (_, index) = cell.get_or_insert_with(|| {
            let dir = tempfile::tempdir().unwrap();
            let index = SearchIndex::open(dir.path()).unwrap();
            (dir, index)
        });
        f(index)
    })
}

/// Byte ranges merged as the snippet merges them: overlapping, or apart only by spaces.
fn merged(text: &str, mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1 || text[last.1..s].chars().all(char::is_whitespace) => {
                last.1 = last.1.max(e);
            }
            _ => out.push((s, e)),
        }
    }
    out
}

/// The highlighted ranges of a whole-title snippet.
fn highlighted(fragments: &[search::Fragment]) -> Vec<(usize, usize)> {
    let mut at = 0;
    let mut out = Vec::new();
    for f in fragments {
        if f.highlighted {
            out.push((at, at + f.text.len()));
        }
        at += f.text.len();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn search_finds_what_rules_match((docs, queries) in case()) {
        let docs: Vec<IndexDoc> = docs
            .iter()
            .enumerate()
            .map(|(i, (title, body))| IndexDoc {
                id: i as i64 + 1,
                title: vi_text::display(title),
                body: vi_text::display(body),
                source: "Báo A".into(),
                language: "vi".into(),
                url: format!("https://a.vn/{i}"),
                time: Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap(),
                ..IndexDoc::default()
            })
            .collect();
        // Every other document comes with the rule engine's tokens, as the pipeline hands
        // them over; the index must find the same in both.
        let mut docs = docs;
        let analyzed: Vec<Analyzed> = docs
            .iter_mut()
            .enumerate()
            .map(|(i, d)| {
                let (a, [title, body]) = Analyzed::new_with_tokens(&d.title, &d.body);
                if i % 2 == 0 {
                    let [title_overlays, body_overlays] = a.overlays();
                    d.analysis = Some([
                        Arc::new(Analysis::from_tokens(&title, title_overlays)),
                        Arc::new(Analysis::from_tokens(&body, body_overlays)),
                    ]);
                }
                a.with_meta(&d.source, "vi")
            })
            .collect();
        with_index(|index| -> Result<(), TestCaseError> {
            index.clear().unwrap();
            index.commit(0).unwrap();
            index.add(&docs).unwrap();
            index.commit(docs.len() as i64).unwrap();
            for q in &queries {
                // Queries the parser refuses (only negations, a NEAR side that is not
                // positional) are refused by both.
                let Ok(rule) = Rule::from_query("r", RuleKind::Topic, Severity::Low, q) else {
                    prop_assert!(index.search(q, Sort::Relevance, 100, 0).is_err());
                    continue;
                };
                let set = RuleSet::from_rules(vec![rule]);
                let mut want = Vec::new();
                let mut want_title = Vec::new();
                for (d, a) in docs.iter().zip(&analyzed) {
                    if let Some(hit) = set.match_analyzed(a).into_iter().next() {
                        want.push(d.id);
                        let spans = hit
                            .terms
                            .iter()
                            .filter(|t| t.field == "title")
                            .map(|t| (t.start, t.end))
                            .collect();
                        want_title.push((d.id, merged(&d.title, spans)));
                    }
                }
                let results = index.search(q, Sort::Relevance, 100, 0).unwrap();
                let mut got: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
                got.sort_unstable();
                prop_assert_eq!(&got, &want, "query {:?}", q);
                prop_assert_eq!(results.total, want.len(), "query {:?}", q);
                let mut got_title: Vec<(i64, Vec<(usize, usize)>)> =
                    results.hits.iter().map(|h| (h.id, highlighted(&h.title))).collect();
                got_title.sort_unstable();
                prop_assert_eq!(got_title, want_title, "query {:?}", q);
            }
            Ok(())
        })?;
    }
}

#[test]
fn the_generated_documents_have_both_kinds_of_sentences() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut bare, mut accented) = (0, 0);
    for _ in 0..200 {
        let (t, _) = text().new_tree(&mut runner).unwrap().current();
        for token in vi_text::tokenize(&vi_text::display(&t)) {
            if token.unaccented { bare += 1 } else { accented += 1 }
        }
    }
    assert!(bare * 5 >= accented && accented * 5 >= bare, "{bare} bare, {accented} accented");
}
