//! Names as syllable sequences, and the longest name that starts at a token of a text.
//!
//! A name is tokenised by `vi-text` exactly as a text is, so both compare on the same
//! normalised forms: the match form (NFC, lowercase, tone re-placed: `Hoà` = `Hòa`) for
//! text written with diacritics, the fold form for text typed without them.

use vi_text::Token;

use crate::hash::Map;

/// One syllable of a name.
#[derive(Debug, Clone)]
pub(crate) struct Syllable {
    pub(crate) matched: Box<str>,
    pub(crate) folded: Box<str>,
    /// Written with a capital in the name ("miền Tây": only `Tây`).
    pub(crate) capital: bool,
}

/// A name and what it stands for.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    pub(crate) syllables: Box<[Syllable]>,
    pub(crate) value: T,
}

/// How a text compares with names: on the match form only, or also on the fold form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forms {
    /// The text is written with diacritics: a bare syllable in it is bare on purpose
    /// (`vinh` is not `Vĩnh`), so it meets only names written bare.
    Accented,
    /// The text is typed without diacritics: a bare syllable meets every accented one.
    Bare,
}

/// A set of names, found by their first syllable's fold form.
#[derive(Debug)]
pub(crate) struct Lexicon<T> {
    entries: Vec<Entry<T>>,
    by_first: Map<Box<str>, Vec<u32>>,
}

impl<T> Default for Lexicon<T> {
    fn default() -> Self {
        Self { entries: Vec::new(), by_first: Map::default() }
    }
}

/// The syllables of a name as written: tokenised like any text.
pub(crate) fn syllables(written: &str) -> Box<[Syllable]> {
    let display = vi_text::display(written);
    vi_text::tokenize(&display)
        .into_iter()
        .map(|t| Syllable {
            capital: display[t.start..t.end].chars().next().is_some_and(char::is_uppercase),
            matched: t.matched.into_boxed_str(),
            folded: t.folded.into_boxed_str(),
        })
        .collect()
}

impl<T> Lexicon<T> {
    /// Adds a name. Names with a final `i`/`y` that has both spellings (`Lý Sơn`/`Lí Sơn`)
    /// are added once per spelling by the caller through [`spellings`].
    pub(crate) fn insert(&mut self, syllables: Box<[Syllable]>, value: T) {
        let Some(first) = syllables.first() else { return };
        let key = first.folded.clone();
        let id = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        self.entries.push(Entry { syllables, value });
        self.by_first.entry(key).or_default().push(id);
    }

    /// Sorts every bucket longest name first, so the first length that matches is the longest.
    pub(crate) fn finish(&mut self) {
        let entries = &self.entries;
        for ids in self.by_first.values_mut() {
            ids.sort_by_key(|&id| std::cmp::Reverse(entries[id as usize].syllables.len()));
        }
    }

    /// Every entry of the longest length that matches at token `at` and passes `keep`, with
    /// that length in tokens; `None` when nothing matches.
    pub(crate) fn longest<'a>(
        &'a self,
        text: &str,
        tokens: &[Token],
        at: usize,
        forms: Forms,
        mut keep: impl FnMut(&Entry<T>) -> bool,
    ) -> Option<(usize, Vec<&'a Entry<T>>)> {
        let first = tokens.get(at)?;
        let ids = self.by_first.get(first.folded.as_str())?;
        let mut found: Vec<&Entry<T>> = Vec::new();
        let mut found_len = 0;
        for &id in ids {
            let entry = &self.entries[id as usize];
            let len = entry.syllables.len();
            if len < found_len {
                break;
            }
            if matches_at(entry, text, tokens, at, forms) && keep(entry) {
                found_len = len;
                found.push(entry);
            }
        }
        (!found.is_empty()).then_some((found_len, found))
    }
}

/// Whether `entry` is spelled by the tokens from `at`, joined by name punctuation only.
fn matches_at<T>(entry: &Entry<T>, text: &str, tokens: &[Token], at: usize, forms: Forms) -> bool {
    let Some(window) = tokens.get(at..at + entry.syllables.len()) else { return false };
    for (k, (tok, syl)) in window.iter().zip(entry.syllables.iter()).enumerate() {
        if !syllable_matches(tok, syl, forms) {
            return false;
        }
        if k > 0 && !joins_name(&text[window[k - 1].end..tok.start]) {
            return false;
        }
    }
    true
}

/// A syllable of a name meets the same syllable (match form), or, in text typed without
/// diacritics, the same letters typed bare. Unlike a query typed bare, a name spelled
/// without diacritics is spelled so on purpose (`Quang Bình` is not `Quảng Bình`), so it
/// meets only itself.
fn syllable_matches(tok: &Token, syl: &Syllable, forms: Forms) -> bool {
    if *tok.matched == *syl.matched {
        return true;
    }
    forms == Forms::Bare && tok.is_plain() && *tok.folded == *syl.folded
}

/// What may stand between two syllables of one name: spaces, and the dots, dashes and
/// apostrophes of abbreviations and hyphenated names (`TP.HCM`, `BR-VT`, `Bà Rịa - Vũng
/// Tàu`, `Đắk R'lấp`), but no comma, bracket or line break.
pub(crate) fn joins_name(gap: &str) -> bool {
    gap.chars().count() <= 3
        && gap
            .chars()
            .all(|c| matches!(c, ' ' | '\t' | '\u{a0}' | '.' | '-' | '–' | '—' | '_' | '\'' | '’'))
}
