//! Matching is linear in the length of a document: a feed item of a megabyte repeating a
//! phrase the bundled rules look for is matched to its end (it used to take quadratic time:
//! fourteen seconds for a megabyte, twenty minutes for ten), and what is analysed of a
//! longer one is capped.
//!
//! The timings are measured by an ignored test, in release mode:
//!
//! ```sh
//! cargo test --release -p rules --test large -- --ignored --nocapture
//! ```

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::Path;
use std::time::Instant;

use query::Fuel;
use rules::{Analyzed, MAX_ANALYZED_BYTES, RuleSet};

fn packs() -> RuleSet {
    let (set, diags) =
        RuleSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"));
    assert!(diags.is_empty(), "{diags:?}");
    set
}

/// "sốt xuất huyết " repeated to at least `bytes` bytes.
fn repeated(bytes: usize) -> String {
    let unit = "sốt xuất huyết ";
    unit.repeat(bytes.div_ceil(unit.len()))
}

#[test]
fn a_megabyte_of_one_phrase_is_matched_to_its_end_in_linear_work() {
    let set = packs();
    let body = repeated(1_000_000);
    assert!(body.len() <= MAX_ANALYZED_BYTES, "the whole megabyte is analysed");
    let doc = Analyzed::new("Sốt xuất huyết", &body);
    let mut fuel = Fuel::unlimited();
    let hits = set.match_budgeted(&doc, &mut fuel).unwrap();
    assert_eq!(hits, set.match_analyzed(&doc));
    let dengue = hits.iter().find(|h| &*h.rule_id == "topic.sot-xuat-huyet").unwrap();
    // Every repetition is found, the last one included.
    let in_body = dengue.terms.iter().filter(|t| t.field == "body").count();
    assert_eq!(in_body, body.len() / "sốt xuất huyết ".len());
    let last = dengue.terms.iter().map(|t| t.end).max().unwrap();
    assert_eq!(&doc.body[last - "huyết".len()..last], "huyết");
    assert!(last + 2 >= doc.body.len());
    // Evaluating the rules costs a few units per token: a quadratic evaluation would spend
    // tens of thousands per token, and take minutes to do it.
    let tokens = body.split_whitespace().count() as u64;
    assert!(fuel.spent() < 40 * tokens, "{} units for {tokens} tokens", fuel.spent());
}

#[test]
fn a_budget_stops_matching_a_large_document() {
    let set = packs();
    let doc = Analyzed::new("", &repeated(100_000));
    let mut fuel = Fuel::new(10_000);
    assert!(set.match_budgeted(&doc, &mut fuel).is_err());
    assert!(fuel.is_exhausted() && fuel.spent() == 10_000);
}

#[test]
fn only_the_first_mebibyte_is_analysed_and_spans_stay_in_the_text() {
    let set = packs();
    // The cap falls inside a word: the cut goes back to the space before it.
    let body = format!("{} sốt xuất huyết", "x".repeat(MAX_ANALYZED_BYTES - 10));
    let doc = Analyzed::new("", &body);
    assert_eq!(doc.body, body, "the display form is kept whole");
    assert!(set.match_analyzed(&doc).iter().all(|h| &*h.rule_id != "topic.sot-xuat-huyet"));
    let doc = Analyzed::with_cap("", &body, usize::MAX);
    assert!(set.match_analyzed(&doc).iter().any(|h| &*h.rule_id == "topic.sot-xuat-huyet"));
    // A multi-byte character across the cap is not split, and what is before it matches.
    let body = format!("sxh {}", "ố".repeat(MAX_ANALYZED_BYTES));
    let doc = Analyzed::new("Sốt xuất huyết", &body);
    let hits = set.match_analyzed(&doc);
    let dengue = hits.iter().find(|h| &*h.rule_id == "topic.sot-xuat-huyet").unwrap();
    for t in &dengue.terms {
        let text = if t.field == "title" { &doc.title } else { &doc.body };
        assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
        assert!(t.end <= MAX_ANALYZED_BYTES);
    }
    assert!(dengue.terms.iter().any(|t| t.field == "body" && &doc.body[t.start..t.end] == "sxh"));
}

/// Bodies that repeat what the bundled rules look for, to at least `bytes` bytes: one
/// phrase, the words of the proximity rules, social spelling laid over with alternatives.
fn bodies(bytes: usize) -> [(&'static str, String); 3] {
    let to_size = |unit: &str| unit.repeat(bytes.div_ceil(unit.len()));
    [
        ("one phrase", repeated(bytes)),
        (
            "proximity",
            to_size(
                "thần dược chữa khỏi ung thư bài thuốc ổ dịch tử vong sởi \
                 công văn giả mạo Bộ Y tế ",
            ),
        ),
        ("teencode", to_size("mn ơi bs nói ko dc tiêm v.a.c.x.i.n sxh ")),
    ]
}

#[test]
#[ignore = "measures time; run in release mode with --ignored --nocapture"]
fn timings() {
    let set = packs();
    for (size, bytes, cap) in [
        ("1 MB", 1_000_000, MAX_ANALYZED_BYTES),
        ("10 MB", 10_000_000, MAX_ANALYZED_BYTES),
        ("10 MB uncapped", 10_000_000, usize::MAX),
    ] {
        for (what, body) in bodies(bytes) {
            let start = Instant::now();
            let doc = Analyzed::with_cap("Sốt xuất huyết", &body, cap);
            let analysed = start.elapsed();
            let start = Instant::now();
            let mut fuel = Fuel::unlimited();
            let hits = set.match_budgeted(&doc, &mut fuel).unwrap();
            let matched = start.elapsed();
            let terms: usize = hits.iter().map(|h| h.terms.len()).sum();
            println!(
                "{size}, {what}: analysed in {analysed:.2?}, matched in {matched:.2?} \
                 ({} hits, {terms} spans, {} units of fuel)",
                hits.len(),
                fuel.spent()
            );
        }
    }
}
