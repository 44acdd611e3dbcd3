//! Syllable tokens over the display form.

use unicode_normalization::char::is_combining_mark;

use crate::{fold_char, match_char};

/// One syllable (or number, or other run of letters) of a display-form text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the first character in the display form.
    pub start: usize,
    /// Byte offset just past the last character in the display form.
    pub end: usize,
    /// Match form of the token.
    pub matched: String,
    /// Fold form of the token.
    pub folded: String,
}

impl Token {
    /// Whether the token's match form has no diacritic (its match and fold forms agree).
    pub fn is_plain(&self) -> bool {
        self.matched == self.folded
    }
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Splits display-form text into tokens: maximal runs of letters, digits and combining marks.
/// Everything else (spaces, punctuation, hyphens, emoji) separates tokens.
pub fn tokenize(display: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in display.char_indices() {
        match (is_token_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                tokens.push(make(display, s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        tokens.push(make(display, s, display.len()));
    }
    tokens
}

fn make(display: &str, start: usize, end: usize) -> Token {
    let slice = &display[start..end];
    let mut matched = String::with_capacity(slice.len());
    for c in slice.chars() {
        match_char(c, &mut matched);
    }
    let folded = if matched.is_ascii() {
        matched.clone()
    } else {
        matched.chars().filter_map(fold_char).collect()
    };
    Token { start, end, matched, folded }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &[(&str, &str, &str)]) {
        let got: Vec<(&str, String, String)> = tokenize(input)
            .into_iter()
            .map(|t| (&input[t.start..t.end], t.matched, t.folded))
            .collect();
        let want: Vec<(&str, String, String)> =
            expected.iter().map(|(d, m, f)| (*d, m.to_string(), f.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn splits_syllables_and_keeps_offsets() {
        check(
            "Sốt xuất-huyết, 2024!",
            &[
                ("Sốt", "sốt", "sot"),
                ("xuất", "xuất", "xuat"),
                ("huyết", "huyết", "huyet"),
                ("2024", "2024", "2024"),
            ],
        );
    }

    #[test]
    fn nbsp_and_emoji_separate_tokens() {
        check(
            "vắc\u{a0}xin😷Covid",
            &[("vắc", "vắc", "vac"), ("xin", "xin", "xin"), ("Covid", "covid", "covid")],
        );
    }
}
