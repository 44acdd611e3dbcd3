//! The presearcher never changes an answer: on random rules and random documents, matching
//! through it returns exactly what evaluating every rule returns, spans included.
#![allow(clippy::unwrap_used)]

use model::{RuleKind, Severity};
use proptest::prelude::*;
use rules::{Analyzed, Rule, RuleSet};

/// Syllables chosen to collide: accented and unaccented spellings of one fold form, old
/// and new tone placement, teencode that expands to other entries, case variants.
const WORDS: &[&str] = &[
    "sốt",
    "sot",
    "sót",
    "Sốt",
    "xuất",
    "xuat",
    "huyết",
    "huyet",
    "tử",
    "tu",
    "vong",
    "tiêm",
    "tiem",
    "vắc",
    "xin",
    "vaccine",
    "hoà",
    "hòa",
    "hoa",
    "khoẻ",
    "khỏe",
    "không",
    "ko",
    "k",
    "được",
    "dc",
    "đc",
    "bác",
    "sĩ",
    "bs",
    "mn",
    "mọi",
    "người",
    "ơi",
    "nói",
    "covid",
    "19",
    "H5N1",
    "cúm",
    "thần",
    "dược",
    "v.a.c.x.i.n",
    "bộ",
    "y",
    "tế",
    "Bộ",
    "giả",
];

fn word() -> impl Strategy<Value = String> {
    proptest::sample::select(WORDS).prop_map(str::to_owned)
}

/// Sentences of words, some typed without diacritics (so that their tokens are read bare
/// by accent-tolerant terms), separated by stops and line breaks.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => word(),
        1 => Just(",".to_owned()),
    ];
    let sentence =
        (proptest::collection::vec(piece, 1..12), any::<bool>()).prop_map(|(ps, bare)| {
            let mut out = String::new();
            for p in ps {
                if !out.is_empty() && p != "," {
                    out.push(' ');
                }
                out.push_str(&p);
            }
            if bare { vi_text::fold_str(&out) } else { out }
        });
    let stop = prop_oneof![Just(". "), Just("\n"), Just(" ")];
    proptest::collection::vec((sentence, stop), 0..4)
        .prop_map(|ss| ss.into_iter().map(|(s, stop)| format!("{s}{stop}")).collect::<String>())
}

fn query() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => word(),
        1 => word().prop_map(|w| format!("={w}")),
        2 => proptest::collection::vec(word(), 2..4).prop_map(|ws| format!("\"{}\"", ws.join(" "))),
        1 => Just("source:\"tuoi tre\"".to_owned()),
        1 => Just("lang:vi".to_owned()),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|xs| format!("({})", xs.join(" "))),
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|xs| format!("({})", xs.join(" OR "))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} -{b})")),
            (inner.clone(), inner.clone(), 0..6usize, any::<bool>()).prop_map(|(a, b, n, o)| {
                format!("({a} {}NEAR/{n} {b})", if o { "O" } else { "" })
            }),
            (prop_oneof![Just("title:"), Just("body:")], inner)
                .prop_map(|(f, x)| format!("{f}{x}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn presearcher_agrees_with_evaluating_every_rule(
        queries in proptest::collection::vec(query(), 1..40),
        docs in proptest::collection::vec((text(), text(), any::<bool>()), 1..8),
    ) {
        // Queries the parser refuses (a side of NEAR that is not positional, only
        // negations) are simply not rules.
        let rules: Vec<Rule> = queries
            .iter()
            .enumerate()
            .filter_map(|(i, q)| {
                Rule::from_query(&format!("r{i}"), RuleKind::Topic, Severity::Low, q).ok()
            })
            .collect();
        let set = RuleSet::from_rules(rules);
        for (title, body, tuoi_tre) in &docs {
            let source = if *tuoi_tre { "Báo Tuổi Trẻ" } else { "VnExpress" };
            let doc = Analyzed::new(title, body).with_meta(source, "vi");
            prop_assert_eq!(set.match_analyzed(&doc), set.match_every_rule(&doc));
        }
    }
}

/// Rules `r0`, `r1` … from queries (those the parser refuses are left out).
fn set_of(queries: &[&str]) -> RuleSet {
    let rules = queries
        .iter()
        .enumerate()
        .filter_map(|(i, q)| {
            Rule::from_query(&format!("r{i}"), RuleKind::Topic, Severity::Low, q).ok()
        })
        .collect();
    RuleSet::from_rules(rules)
}

#[test]
fn the_presearcher_skips_rules_that_cannot_match() {
    let set = set_of(&["\"sốt xuất huyết\"", "cúm", "tử NEAR/3 vong", "title:bạch", "lang:vi -x"]);
    let doc = Analyzed::new("Bệnh bạch hầu", "Ca sốt xuất huyết tăng");
    // "sốt xuất huyết" and "bạch" are candidates; "cúm" and "tử" are absent from the text.
    assert_eq!(set.candidate_count(&doc), 2);
    let ids: Vec<_> = set.match_analyzed(&doc).into_iter().map(|h| h.rule_id.to_string()).collect();
    assert_eq!(ids, ["r0", "r3"]);
}

#[test]
fn phrases_through_alternatives_are_candidates() {
    // Each phrase is spelled only through a teencode alternative: before it, after it,
    // across a multi-syllable one, or starting inside one.
    let set = set_of(&["\"gặp bác sĩ\"", "\"bác sĩ nói\"", "\"người ơi\"", "\"không được uống\""]);
    let doc = Analyzed::new("", "mn ơi, đi gặp bs nói ko dc uống thuốc này");
    assert_eq!(set.candidate_count(&doc), 4);
    assert_eq!(set.match_analyzed(&doc), set.match_every_rule(&doc));
    assert_eq!(set.match_analyzed(&doc).len(), 4);
    let plain = Analyzed::new("", "đi gặp bác ấy, sĩ quan nói");
    assert_eq!(set.candidate_count(&plain), 0);
}
