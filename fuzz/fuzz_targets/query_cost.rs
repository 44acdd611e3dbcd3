//! The cost of queries on arbitrary input: parsing never panics and refuses at a place
//! inside the input, and evaluating a parsed query on fixed documents under a budget never
//! spends more than the budget, stops exactly when it would need more, and otherwise gives
//! the answer a larger budget gives, for the same fuel. libFuzzer's `-timeout` catches
//! inputs that are slow despite the budget (work the fuel does not count).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use query::{DocIndex, Fuel, Limits, Overlay, Program, parse_with};
use vi_text::Token;

/// An article, a long repetition of query words, social spelling with alternatives.
static DOCUMENTS: LazyLock<Vec<(Vec<Token>, Vec<Overlay>)>> = LazyLock::new(|| {
    [
        "Bệnh nhân ung thư phổi được bác sĩ điều trị; sốt xuất huyết tăng ở Hà Nội. Kỹ thuật mới.",
        &"ung thư sốt xuất huyết kỹ a b ".repeat(300),
        "mn ơi bs nói ko dc uống thuốc này, v.a.c.x.i.n gây ung thư ko? title body",
    ]
    .iter()
    .map(|t| {
        let display = vi_text::display(t);
        let tokens = vi_text::tokenize(&display);
        let overlays = query::overlays(&display, &tokens);
        (tokens, overlays)
    })
    .collect()
});

const BUDGET: u64 = 50_000;

fuzz_target!(|text: &str| {
    for limits in [Limits::SEARCH, Limits::RULES] {
        let expr = match parse_with(text, &limits) {
            Ok(expr) => expr,
            Err(e) => {
                assert!(text.is_char_boundary(e.offset), "{e}");
                continue;
            }
        };
        let (program, query) = Program::single(&expr);
        for (tokens, overlays) in DOCUMENTS.iter() {
            let index = DocIndex::for_program(&program, &[(&[], &[]), (tokens, overlays)]);
            let mut small = Fuel::new(BUDGET);
            let answer = index.evaluate_budgeted(&program, query, &mut small);
            assert!(small.spent() <= BUDGET);
            assert_eq!(answer.is_err(), small.is_exhausted());
            let mut large = Fuel::new(BUDGET * 8);
            let reference = index.evaluate_budgeted(&program, query, &mut large);
            if large.spent() <= BUDGET && !large.is_exhausted() {
                // Within the small budget: the same answer for the same fuel.
                assert_eq!(answer, reference);
                assert_eq!(small.spent(), large.spent());
            } else {
                assert!(answer.is_err(), "needed {} units, allowed {BUDGET}", large.spent());
            }
            let mut fuel = Fuel::new(BUDGET);
            let matched = index.matches_budgeted(&program, query, &mut fuel);
            assert!(fuel.spent() <= BUDGET);
            assert_eq!(matched.is_err(), fuel.is_exhausted());
            if let (Ok(m), Ok(r)) = (matched, &reference) {
                assert_eq!(m, r.is_some());
            }
        }
    }
});
