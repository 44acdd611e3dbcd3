//! Proximity against brute force: on small random documents, the evaluator's `NEAR` and
//! `ONEAR` (which pair each match only with its furthest-reaching partner) agree with a
//! reference that pairs every match with every other, and stay linear on long documents.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeSet;

use proptest::prelude::*;
use query::{DocIndex, Expr, Fuel, Program, Term, parse};
use vi_text::Token;

/// A positioned match in the reference: field, first and last token, and the display
/// spans it highlights.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Iv {
    field: usize,
    lo: usize,
    hi: usize,
    spans: BTreeSet<(usize, usize, usize)>,
}

fn term_at(t: &Term, tok: &Token) -> bool {
    if t.folded { tok.folded == t.text } else { tok.matched == t.text }
}

/// Every positioned match of `e`, by definition. With `widest`, what a proximity op
/// passes up is reduced to the matches no other one's span contains, as the evaluator
/// defines it; without, every pair is kept (the old all-pairs semantics).
fn positional(e: &Expr, fields: &[Vec<Token>], widest: bool) -> Vec<Iv> {
    let mut out = Vec::new();
    match e {
        Expr::Term(t) => {
            for (f, toks) in fields.iter().enumerate().filter(|(f, _)| t.scope.admits(*f)) {
                for (k, tok) in toks.iter().enumerate().filter(|(_, tok)| term_at(t, tok)) {
                    let spans = BTreeSet::from([(f, tok.start, tok.end)]);
                    out.push(Iv { field: f, lo: k, hi: k, spans });
                }
            }
        }
        Expr::Phrase(ts) => {
            for (f, toks) in fields.iter().enumerate().filter(|(f, _)| ts[0].scope.admits(*f)) {
                for k in 0..toks.len() {
                    let spelled = k + ts.len() <= toks.len()
                        && ts.iter().enumerate().all(|(i, t)| {
                            term_at(t, &toks[k + i])
                                && (i == 0 || toks[k + i].position == toks[k + i - 1].position + 1)
                        });
                    if spelled {
                        let hi = k + ts.len() - 1;
                        let spans = BTreeSet::from([(f, toks[k].start, toks[hi].end)]);
                        out.push(Iv { field: f, lo: k, hi, spans });
                    }
                }
            }
        }
        Expr::Or(xs) => xs.iter().for_each(|x| out.extend(positional(x, fields, widest))),
        Expr::Near { left, right, distance, ordered } => {
            let (l, r) = (positional(left, fields, widest), positional(right, fields, widest));
            for a in &l {
                for b in r.iter().filter(|b| b.field == a.field) {
                    let gap = if a.hi < b.lo {
                        b.lo - a.hi - 1
                    } else if *ordered {
                        continue;
                    } else if b.hi < a.lo {
                        a.lo - b.hi - 1
                    } else {
                        0
                    };
                    if gap <= *distance {
                        let spans = a.spans.union(&b.spans).copied().collect();
                        out.push(Iv {
                            field: a.field,
                            lo: a.lo.min(b.lo),
                            hi: a.hi.max(b.hi),
                            spans,
                        });
                    }
                }
            }
            if widest {
                let all: BTreeSet<(usize, usize, usize)> =
                    out.iter().map(|i| (i.field, i.lo, i.hi)).collect();
                let contained = |i: &Iv| {
                    all.iter().any(|&(f, lo, hi)| {
                        f == i.field && lo <= i.lo && hi >= i.hi && (lo, hi) != (i.lo, i.hi)
                    })
                };
                out.retain(|i| !contained(i));
            }
        }
        Expr::And(_) | Expr::Not(_) | Expr::Source(_) | Expr::Lang(_) => {}
    }
    out
}

fn reference(e: &Expr, fields: &[Vec<Token>], widest: bool) -> bool {
    match e {
        Expr::Term(_) | Expr::Phrase(_) | Expr::Near { .. } => {
            !positional(e, fields, widest).is_empty()
        }
        Expr::And(xs) => xs.iter().all(|x| reference(x, fields, widest)),
        Expr::Or(xs) => xs.iter().any(|x| reference(x, fields, widest)),
        Expr::Not(x) => !reference(x, fields, widest),
        Expr::Source(_) | Expr::Lang(_) => false,
    }
}

/// Whether a proximity op is a side (directly or through OR) of an ordered one: the only
/// place where passing up the widest matches can lose one.
fn near_inside_onear(e: &Expr) -> bool {
    fn has_near(e: &Expr) -> bool {
        match e {
            Expr::Near { .. } => true,
            Expr::Or(xs) => xs.iter().any(has_near),
            _ => false,
        }
    }
    match e {
        Expr::Near { left, right, ordered, .. } => {
            (*ordered && (has_near(left) || has_near(right)))
                || near_inside_onear(left)
                || near_inside_onear(right)
        }
        Expr::And(xs) | Expr::Or(xs) => xs.iter().any(near_inside_onear),
        Expr::Not(x) => near_inside_onear(x),
        _ => false,
    }
}

fn has_not(e: &Expr) -> bool {
    match e {
        Expr::Not(_) => true,
        Expr::And(xs) | Expr::Or(xs) => xs.iter().any(has_not),
        Expr::Near { left, right, .. } => has_not(left) || has_not(right),
        _ => false,
    }
}

fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => proptest::sample::select(&["a", "b", "c", "d", "A"][..]),
        1 => Just("."),
    ];
    proptest::collection::vec(piece, 0..28).prop_map(|ps| ps.join(" "))
}

fn leaf() -> impl Strategy<Value = String> {
    let word = proptest::sample::select(&["a", "b", "c", "d"][..]);
    prop_oneof![
        4 => word.clone().prop_map(str::to_owned),
        2 => proptest::collection::vec(word.clone(), 2..4)
            .prop_map(|ws| format!("\"{}\"", ws.join(" "))),
        1 => word.prop_map(|w| format!("title:{w}")),
    ]
}

fn positional_query() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|xs| format!("({})", xs.join(" OR "))),
            (inner.clone(), inner, 0..5usize, any::<bool>()).prop_map(|(a, b, n, o)| {
                format!("({a} {}NEAR/{n} {b})", if o { "O" } else { "" })
            }),
        ]
    })
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => positional_query(),
        1 => (positional_query(), positional_query()).prop_map(|(a, b)| format!("{a} {b}")),
        1 => (positional_query(), positional_query()).prop_map(|(a, b)| format!("{a} -{b}")),
        1 => (positional_query(), positional_query()).prop_map(|(a, b)| format!("{a} OR {b}")),
    ]
}

fn fields(title: &str, body: &str) -> Vec<Vec<Token>> {
    vec![vi_text::tokenize(title), vi_text::tokenize(body)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn proximity_agrees_with_pairing_everything(q in query(), title in text(), body in text()) {
        let Ok(expr) = parse(&q) else { return Ok(()) };
        let fields = fields(&title, &body);
        let (program, query) = Program::single(&expr);
        let index = DocIndex::for_program(&program, &[(&fields[0], &[]), (&fields[1], &[])]);
        let matched = index.matches(&program, query);
        prop_assert_eq!(matched, index.evaluate(&program, query).is_some());
        // Exactly the definition: widest matches passed up, every pair considered.
        prop_assert_eq!(matched, reference(&expr, &fields, true), "{}", q);
        let all_pairs = reference(&expr, &fields, false);
        if !near_inside_onear(&expr) {
            // And where no NEAR is a side of an ONEAR, exactly the old all-pairs answer.
            prop_assert_eq!(matched, all_pairs, "{}", q);
        } else if !has_not(&expr) {
            // Elsewhere never a match that pairing everything would not find.
            prop_assert!(!matched || all_pairs, "{}", q);
        }
    }

    #[test]
    fn one_level_of_proximity_highlights_every_match_with_a_partner(
        q in (leaf(), leaf(), 0..5usize, any::<bool>()).prop_map(|(a, b, n, o)| {
            format!("({a} OR {b}) {}NEAR/{n} ({b} OR a)", if o { "O" } else { "" })
        }),
        title in text(),
        body in text(),
    ) {
        let Ok(expr) = parse(&q) else { return Ok(()) };
        let fields = fields(&title, &body);
        let (program, query) = Program::single(&expr);
        let index = DocIndex::for_program(&program, &[(&fields[0], &[]), (&fields[1], &[])]);
        let want: BTreeSet<(usize, usize, usize)> =
            positional(&expr, &fields, false).into_iter().flat_map(|i| i.spans).collect();
        let got: BTreeSet<(usize, usize, usize)> = index
            .evaluate(&program, query)
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.field, s.start, s.end))
            .collect();
        prop_assert_eq!(got, want, "{}", q);
    }
}

#[test]
fn a_nested_match_highlights_both_sides_at_every_level() {
    let body = "x c x a x x a x b";
    let tokens = vi_text::tokenize(body);
    let (program, query) = Program::single(&parse("(a NEAR/5 b) NEAR/1 c").unwrap());
    let index = DocIndex::for_program(&program, &[(&[], &[]), (&tokens, &[])]);
    let spans = index.evaluate(&program, query).unwrap();
    let words: Vec<&str> = spans.iter().map(|s| &body[s.start..s.end]).collect();
    // `c` reaches the pair of the first `a` with `b`, not the tighter second one.
    assert_eq!(words, ["c", "a", "b"]);
}

/// Fuel an evaluation spends, which the test holds to a bound linear in the document.
fn spent(q: &str, body: &str) -> (bool, u64, usize) {
    let tokens = vi_text::tokenize(body);
    let (program, query) = Program::single(&parse(q).unwrap());
    let index = DocIndex::for_program(&program, &[(&[], &[]), (&tokens, &[])]);
    let mut fuel = Fuel::unlimited();
    let matched = index.evaluate_budgeted(&program, query, &mut fuel).unwrap().is_some();
    (matched, fuel.spent(), tokens.len())
}

#[test]
fn nested_proximity_is_linear_in_the_document() {
    // Fourteen levels used to need gigabytes: every pair of pairs of pairs was kept.
    let nested = format!("{}thư{}", "(ung NEAR/5 ".repeat(14), ")".repeat(14));
    let (matched, fuel, tokens) = spent(&nested, &"ung thư bệnh ".repeat(3000));
    assert!(matched);
    assert!(fuel < 20 * 14 * tokens as u64, "{fuel} units for {tokens} tokens");
    // A flat chain of thirty NEAR/1000 used to take minutes.
    let flat = format!("ung{}", " NEAR/1000 thư".repeat(30));
    let (matched, fuel, tokens) = spent(&flat, &"ung thư bệnh ".repeat(3000));
    assert!(matched);
    assert!(fuel < 20 * 30 * tokens as u64, "{fuel} units for {tokens} tokens");
    // Doubling the document doubles the work, give or take.
    let (_, short, _) = spent(&flat, &"ung thư bệnh ".repeat(1500));
    assert!(fuel < 3 * short, "{short} then {fuel}");
}

#[test]
fn phrases_are_linear_in_repetitions() {
    let body = "sốt xuất huyết ".repeat(20_000);
    let (matched, fuel, tokens) = spent("\"sốt xuất huyết\" NEAR/3 \"xuất huyết\"", &body);
    assert!(matched);
    assert!(fuel < 20 * tokens as u64, "{fuel} units for {tokens} tokens");
}

#[test]
#[ignore = "measures time: cargo test --release -p query --test near -- --ignored --nocapture"]
fn attack_timings() {
    let body = "ung thư bệnh ".repeat(80_000);
    let nested = format!("{}thư{}", "(ung NEAR/5 ".repeat(14), ")".repeat(14));
    let flat = format!("ung{}", " NEAR/1000 thư".repeat(30));
    for (name, q) in [("14 nested NEAR/5", nested), ("30 chained NEAR/1000", flat)] {
        let start = std::time::Instant::now();
        let (matched, fuel, tokens) = spent(&q, &body);
        println!(
            "{name} on {} KB ({tokens} tokens): {:.2?}, {fuel} units, matched {matched}",
            body.len() / 1000,
            start.elapsed()
        );
    }
}
