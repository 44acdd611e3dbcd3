//! Per-character diacritic folding.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use crate::syllable::{base_ascii, compose, split_vowel};

/// Returns the fold of one match-form character, or `None` when it folds to nothing
/// (a combining mark).
pub fn fold_char(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c);
    }
    match c {
        'đ' | 'Đ' | 'ð' | 'Ð' | 'ɖ' | 'Ɖ' => return Some('d'),
        _ => {}
    }
    // Lowercase Vietnamese vowels, the bulk of what is folded, from the letter table.
    if let Some((base, tone)) = split_vowel(c)
        && compose(base, tone) == c
    {
        return Some(base_ascii(base));
    }
    if is_combining_mark(c) {
        return None;
    }
    let mut base = None;
    decompose_canonical(c, |d| {
        if base.is_none() && !is_combining_mark(d) {
            base = Some(d);
        }
    });
    base.or(Some(c))
}

/// Folds a whole string.
pub fn fold_str(s: &str) -> String {
    if s.is_ascii() {
        return s.to_owned();
    }
    s.chars().filter_map(fold_char).collect()
}

/// Whether a term carries no diacritic at all (and so matches every accented variant).
pub fn is_folded(term: &str) -> bool {
    term.chars().all(|c| fold_char(c) == Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_all_vietnamese_vowels() {
        let accented = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ";
        let folded: String = accented.chars().filter_map(fold_char).collect();
        assert_eq!(folded, "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd");
    }

    #[test]
    fn the_letter_table_folds_like_decomposition() {
        let reference = |c: char| {
            let mut base = None;
            decompose_canonical(c, |d| {
                if base.is_none() && !is_combining_mark(d) {
                    base = Some(d);
                }
            });
            base
        };
        for c in ('\u{C0}'..='\u{1EF9}').filter(|&c| split_vowel(c).is_some()) {
            assert_eq!(fold_char(c), reference(c), "{c}");
        }
    }

    #[test]
    fn is_folded_treats_d_stroke_as_a_diacritic() {
        assert!(is_folded("sot"));
        assert!(!is_folded("đo"));
        assert!(!is_folded("sốt"));
    }
}
