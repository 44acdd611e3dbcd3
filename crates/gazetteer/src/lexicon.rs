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

/// A set of names, found by their first syllable's fold form, or their first two
/// syllables' for the longer ones: many communes share a first syllable ("Tân", "Phú",
/// "An" start hundreds), and a token of it would otherwise be compared with each.
#[derive(Debug)]
pub(crate) struct Lexicon<T> {
    entries: Vec<Entry<T>>,
    /// Names of one syllable, by its fold form.
    singles: Map<Box<str>, Vec<u32>>,
    /// Longer names by [`pair_key`] of their first two syllables' fold forms, longest
    /// first (pairs sharing a key share a bucket: every candidate is compared in full).
    pairs: Map<u64, Vec<u32>>,
}

impl<T> Default for Lexicon<T> {
    fn default() -> Self {
        Self { entries: Vec::new(), singles: Map::default(), pairs: Map::default() }
    }
}

/// The key of two consecutive syllables' fold forms.
fn pair_key(first: &str, second: &str) -> u64 {
    query::key(first).rotate_left(29) ^ query::key(second)
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
        let id = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        match &*syllables {
            [] => return,
            [only] => self.singles.entry(only.folded.clone()).or_default().push(id),
            [first, second, ..] => {
                self.pairs.entry(pair_key(&first.folded, &second.folded)).or_default().push(id);
            }
        }
        self.entries.push(Entry { syllables, value });
    }

    /// Sorts every bucket longest name first, so the first length that matches is the longest.
    pub(crate) fn finish(&mut self) {
        let entries = &self.entries;
        for ids in self.pairs.values_mut() {
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
        let longer = tokens.get(at + 1).and_then(|second| {
            self.pairs.get(&pair_key(first.folded.as_str(), second.folded.as_str()))
        });
        let mut found: Vec<&Entry<T>> = Vec::new();
        let mut found_len = 0;
        // Names of two syllables or more first: a single syllable is the longest match
        // only when none of them matches.
        for ids in [longer, self.singles.get(first.folded.as_str())].into_iter().flatten() {
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
            if !found.is_empty() {
                break;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_name_wins_among_those_sharing_a_first_syllable() {
        let mut lexicon = Lexicon::default();
        for (i, name) in ["Tân", "Tân Phú", "Tân Phú Đông", "Tân An", "Phú"].iter().enumerate()
        {
            lexicon.insert(syllables(name), i);
        }
        lexicon.finish();
        let text = vi_text::display("xã Tân Phú Đông, Tân Phú, tan an; Tân. Tân Hiệp");
        let tokens = vi_text::tokenize(&text);
        let at = |forms, i| {
            lexicon
                .longest(&text, &tokens, i, forms, |_| true)
                .map(|(len, found)| (len, found.iter().map(|e| e.value).collect::<Vec<_>>()))
        };
        assert_eq!(at(Forms::Accented, 1), Some((3, vec![2])));
        assert_eq!(at(Forms::Accented, 2), Some((1, vec![4])));
        // A comma ends a name: "Tân Phú" here, not "Tân Phú Đông" across it.
        assert_eq!(at(Forms::Accented, 4), Some((2, vec![1])));
        // Typed bare, only where the text is read as typed bare.
        assert_eq!(at(Forms::Accented, 6), None);
        assert_eq!(at(Forms::Bare, 6), Some((2, vec![3])));
        // A single syllable when no longer name follows it, whether or not one could.
        assert_eq!(at(Forms::Accented, 8), Some((1, vec![0])));
        assert_eq!(at(Forms::Accented, 9), Some((1, vec![0])));
        assert_eq!(at(Forms::Accented, 0), None);
    }
}
