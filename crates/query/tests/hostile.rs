//! Hostile queries, as the search box may receive them: deep nesting, long `NEAR` chains,
//! many terms, operators at random. Parsing never panics and either refuses the query at a
//! place inside it or returns a shallow expression, and evaluating it under a budget
//! either answers exactly as an unbudgeted evaluation does or stops when the budget runs
//! out, never spending more. The same check is the `query_cost` fuzz target.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use query::{DocIndex, Expr, Fuel, Limits, MAX_DEPTH, OutOfFuel, Program, Span, parse_with};
use vi_text::Token;

const WORDS: &[&str] =
    &["ung", "thư", "sốt", "xuất", "huyết", "ko", "không", "kỹ", "ki", "bs", "a", "covid-19"];

const OPERATORS: &[&str] = &[
    "(",
    ")",
    "NOT ",
    "-",
    "title:",
    "body:",
    " OR ",
    " AND ",
    "~",
    "=",
    "\"",
    "source:x ",
    "lang:vi ",
];

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => proptest::sample::select(WORDS).prop_map(|w| format!("{w} ")),
        2 => proptest::sample::select(OPERATORS).prop_map(str::to_owned),
        2 => (0..1001usize, any::<bool>())
            .prop_map(|(n, o)| format!(" {}NEAR/{n} ", if o { "O" } else { "" })),
    ]
}

fn hostile() -> impl Strategy<Value = String> {
    let nest =
        proptest::sample::select(&["(", "-", "NOT ", "title: ", "(ung NEAR/5 ", "(a OR "][..]);
    prop_oneof![
        4 => proptest::collection::vec(piece(), 0..160).prop_map(|ps| ps.concat()),
        1 => (1..2500usize, nest.clone()).prop_map(|(n, p)| format!("{}thư", p.repeat(n))),
        1 => (1..40usize, nest).prop_map(|(n, p)| format!("{}thư{}", p.repeat(n), ")".repeat(n))),
        1 => (1..120usize, 0..1001usize)
            .prop_map(|(n, d)| format!("ung{}", format!(" NEAR/{d} thư").repeat(n))),
        1 => (1..200usize).prop_map(|n| "ung \"thư kỹ\" ".repeat(n)),
    ]
}

fn depth(e: &Expr) -> usize {
    1 + match e {
        Expr::And(xs) | Expr::Or(xs) => xs.iter().map(depth).max().unwrap_or(0),
        Expr::Not(x) => depth(x),
        Expr::Near { left, right, .. } => depth(left).max(depth(right)),
        Expr::Term(_) | Expr::Phrase(_) | Expr::Source(_) | Expr::Lang(_) => 0,
    }
}

/// Fixed documents: an article, a long repetition of the query words, social spelling.
fn documents() -> Vec<(String, Vec<Token>)> {
    [
        "Bệnh nhân ung thư phổi được bác sĩ điều trị; sốt xuất huyết tăng ở Hà Nội. Kỹ thuật mới.",
        &"ung thư sốt xuất huyết kỹ ".repeat(800),
        "mn ơi bs nói ko dc uống thuốc này, v.a.c.x.i.n gây ung thư ko?",
    ]
    .iter()
    .map(|t| {
        let display = vi_text::display(t);
        let tokens = vi_text::tokenize(&display);
        (display, tokens)
    })
    .collect()
}

/// Evaluates with `fuel`, returning the spans or the refusal and the fuel afterwards.
fn run(
    program: &Program,
    query: query::Query,
    index: &DocIndex,
    mut fuel: Fuel,
) -> (Result<Option<Vec<Span>>, OutOfFuel>, Fuel) {
    let result = index.evaluate_budgeted(program, query, &mut fuel);
    (result, fuel)
}

const BUDGET: u64 = 30_000;

fn check(text: &str, docs: &[(String, Vec<Token>)]) -> Result<(), TestCaseError> {
    for limits in [Limits::SEARCH, Limits::RULES] {
        let expr = match parse_with(text, &limits) {
            Ok(expr) => expr,
            Err(e) => {
                prop_assert!(text.is_char_boundary(e.offset), "{e}");
                continue;
            }
        };
        prop_assert!(depth(&expr) <= 2 * MAX_DEPTH + 4, "{} levels", depth(&expr));
        let (program, query) = Program::single(&expr);
        for (display, tokens) in docs {
            let overlays = query::overlays(display, tokens);
            let index = DocIndex::for_program(&program, &[(&[], &[]), (tokens, &overlays)]);
            let (free, used) = run(&program, query, &index, Fuel::unlimited());
            let free = free.unwrap();
            prop_assert_eq!(free.is_some(), index.matches(&program, query));
            let (bounded, left) = run(&program, query, &index, Fuel::new(BUDGET));
            prop_assert!(left.spent() <= BUDGET);
            if used.spent() <= BUDGET {
                // Fuel is counted the same way every time: within budget, the same answer
                // for the same price.
                prop_assert_eq!(bounded, Ok(free.clone()));
                prop_assert_eq!(left.spent(), used.spent());
                prop_assert!(!left.is_exhausted());
            } else {
                prop_assert_eq!(bounded, Err(OutOfFuel { budget: BUDGET }));
                prop_assert!(left.is_exhausted());
            }
            let mut fuel = Fuel::new(BUDGET);
            let matched = index.matches_budgeted(&program, query, &mut fuel);
            prop_assert!(fuel.spent() <= BUDGET);
            prop_assert_eq!(matched.is_err(), fuel.is_exhausted());
            if let Ok(m) = matched {
                prop_assert_eq!(m, free.is_some());
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    #[test]
    fn hostile_queries_are_refused_or_evaluated_within_budget(text in hostile()) {
        check(&text, &documents())?;
    }

    #[test]
    fn arbitrary_text_is_refused_or_evaluated_within_budget(text in "\\PC{0,300}") {
        check(&text, &documents())?;
    }
}

#[test]
fn an_exhausted_budget_refuses_every_later_evaluation() {
    let docs = documents();
    let (program, query) = Program::single(&query::parse("ung thư").unwrap());
    let index = DocIndex::for_program(&program, &[(&[], &[]), (&docs[1].1, &[])]);
    let mut fuel = Fuel::new(100);
    assert!(index.evaluate_budgeted(&program, query, &mut fuel).is_err());
    let small = DocIndex::for_program(&program, &[(&[], &[]), (&docs[0].1, &[])]);
    assert!(small.matches_budgeted(&program, query, &mut fuel).is_err());
    // A fresh budget answers.
    let mut fuel = Fuel::default();
    assert_eq!(small.matches_budgeted(&program, query, &mut fuel), Ok(true));
    assert!(fuel.spent() > 0 && fuel.spent() < 100);
}
