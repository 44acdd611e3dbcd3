//! Properties of the forms on generated text: spans land on character boundaries and map
//! every token back to its source, the match form is idempotent, and folding the match
//! form is folding the text.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

/// Characters that exercise every step: Vietnamese letters in both cases and both
/// tone styles, decomposed marks, look-alikes, invisible and space characters,
/// punctuation, digits, emoji and compatibility letters.
const ALPHABET: &[&str] = &[
    "a",
    "ă",
    "â",
    "e",
    "ê",
    "i",
    "o",
    "ô",
    "ơ",
    "u",
    "ư",
    "y",
    "đ",
    "Đ",
    "Ð",
    "ð",
    "h",
    "n",
    "g",
    "t",
    "c",
    "q",
    "k",
    "s",
    "x",
    "v",
    "r",
    "m",
    "p",
    "A",
    "H",
    "Q",
    "T",
    "N",
    "G",
    "Y",
    "á",
    "à",
    "ả",
    "ã",
    "ạ",
    "ố",
    "ờ",
    "ự",
    "ỷ",
    "Ỳ",
    "Ấ",
    "\u{301}",
    "\u{300}",
    "\u{323}",
    "\u{302}",
    "\u{309}",
    " ",
    "  ",
    "\u{a0}",
    "\n",
    "\t",
    "\u{200b}",
    "\u{200d}",
    "\u{feff}",
    "\u{ad}",
    ",",
    ".",
    "-",
    "'",
    "\"",
    "“",
    "”",
    "–",
    "…",
    ":",
    "(",
    ")",
    "!",
    "?",
    ":v",
    "=))",
    "0",
    "1",
    "9",
    "😷",
    "👨\u{200d}⚕\u{fe0f}",
    "а",
    "с",
    "х",
    "ｖ",
    "𝐚",
    "Ⓥ",
    "ﬁ",
    "hoà",
    "hòa",
    "thủy",
    "quý",
    "qúy",
    "người",
    "nuớc",
    "aaa",
    "iii",
    "ggg",
    "covid19",
    "H5N1",
];

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(ALPHABET), 0..40)
        .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn spans_are_char_boundaries_and_cover_tokens(raw in text()) {
        let display = vi_text::display(&raw);
        for view in [vi_text::match_view(&display), vi_text::fold_view(&display)] {
            let mut last_end = 0;
            for (v, d) in view.spans() {
                prop_assert!(view.text().is_char_boundary(v.start) && view.text().is_char_boundary(v.end));
                prop_assert!(v.start == last_end, "view spans are contiguous");
                last_end = v.end;
                prop_assert!(d.start <= d.end && d.end <= display.len());
                prop_assert!(display.is_char_boundary(d.start) && display.is_char_boundary(d.end));
            }
            prop_assert_eq!(last_end, view.text().len());
        }
        // Every token of the match form maps back into the display range of its token.
        let view = vi_text::match_view(&display);
        let tokens = vi_text::tokenize(&display);
        let again = vi_text::tokenize(view.text());
        prop_assert_eq!(tokens.len(), again.len());
        for (t, m) in tokens.iter().zip(&again) {
            let src = view.source(m.start..m.end);
            prop_assert!(src.start >= t.start && src.end <= t.end && src.start < src.end,
                "token {:?} at {}..{} maps to {:?}", t.matched, t.start, t.end, src);
        }
    }

    #[test]
    fn match_form_is_idempotent(raw in text()) {
        let display = vi_text::display(&raw);
        let once = vi_text::match_view(&display);
        let twice = vi_text::match_view(once.text());
        prop_assert_eq!(once.text(), twice.text());
    }

    #[test]
    fn folding_the_match_form_is_folding_the_text(raw in text()) {
        let display = vi_text::display(&raw);
        let direct = vi_text::fold_view(&display);
        let via_match = vi_text::fold_view(vi_text::match_view(&display).text());
        prop_assert_eq!(direct.text(), via_match.text());
    }

    #[test]
    fn retokenising_the_match_form_gives_the_same_syllables(raw in text()) {
        let display = vi_text::display(&raw);
        let matched: Vec<String> = vi_text::tokenize(&display).into_iter().map(|t| t.matched).collect();
        let again: Vec<String> =
            vi_text::tokenize(vi_text::match_view(&display).text()).into_iter().map(|t| t.matched).collect();
        prop_assert_eq!(matched, again);
    }
}
