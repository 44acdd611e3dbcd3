//! Which sentences are typed without diacritics, so that a query term written with them can
//! be compared without them there and only there.
//!
//! A sentence is the run of tokens between two sentence breaks (consecutive positions, see
//! [`crate::SENTENCE_GAP`]); a paragraph the run between two line breaks. A sentence is
//! *unaccented* when
//!
//! 1. no token carries a diacritic (its match form equals its fold form; `đ` counts),
//! 2. it has at least [`MIN_WORDS`] words of letters (numbers do not count),
//! 3. at least two thirds of those words are Vietnamese syllables when read without marks,
//!    or teencode words (`ko`, `dc`), and
//! 4. at least two of them are such words that are not also common English words (`the`,
//!    `can`, `man` are valid syllables too).
//!
//! A sentence without any diacritic but too short to tell (fewer than [`MIN_WORDS`] words,
//! as in `Sot qua. Di kham ngay.`) takes the verdict of its whole paragraph, judged by the
//! same four tests over all of its tokens; so in accented text a bare `ca` or `Ha Noi` stays
//! what it is, while every short sentence of a post typed without diacritics is unaccented.

use crate::Token;
use crate::syllable::is_syllable;
use crate::views::is_teencode;

/// Fewest words of letters a sentence needs to be judged on its own.
pub const MIN_WORDS: usize = 3;

/// Common English words that pass as unaccented syllables, beyond those the language check
/// lists: they are no evidence of Vietnamese. Sorted.
const ENGLISH: &[&str] =
    &["am", "at", "by", "day", "got", "i", "let", "lot", "say", "that", "them"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Unaccented,
    /// Diacritics, or words that are not Vietnamese.
    Not,
    /// No diacritic, but too few words to tell.
    Short,
}

fn is_english(word: &str) -> bool {
    ENGLISH.binary_search(&word).is_ok() || crate::lang::is_common_english(word)
}

/// Whether a token carries a diacritic. Folding shortens every Vietnamese letter with one,
/// so accented text, nearly all there is, is told by the lengths alone.
fn marked(t: &Token) -> bool {
    t.matched.len() != t.folded.len() || (!t.matched.is_ascii() && t.matched != t.folded)
}

fn judge(tokens: &[Token]) -> Verdict {
    // Diacritics first: an accented sentence costs a length comparison a token.
    if tokens.iter().any(marked) {
        return Verdict::Not;
    }
    let (mut words, mut valid, mut evidence) = (0usize, 0usize, 0usize);
    for t in tokens {
        if !t.matched.chars().all(char::is_alphabetic) {
            continue;
        }
        words += 1;
        let w = t.matched.as_str();
        let syllable = w.is_ascii() && is_syllable(w);
        if syllable || is_teencode(w) {
            valid += 1;
            evidence += usize::from(!syllable || !is_english(w));
        }
    }
    if words < MIN_WORDS {
        Verdict::Short
    } else if valid * 3 >= words * 2 && evidence >= 2 {
        Verdict::Unaccented
    } else {
        Verdict::Not
    }
}

/// Whether the text between two tokens holds a line break.
fn breaks_paragraph(gap: &str) -> bool {
    gap.contains(['\n', '\r', '\u{2029}'])
}

/// Sets [`Token::unaccented`] on every token of `display` (its tokens, in order).
pub(crate) fn mark(display: &str, tokens: &mut [Token]) {
    let mut short = false;
    let mut start = 0;
    while start < tokens.len() {
        let end = sentence_end(tokens, start);
        match judge(&tokens[start..end]) {
            Verdict::Unaccented => tokens[start..end].iter_mut().for_each(|t| t.unaccented = true),
            Verdict::Short => short = true,
            Verdict::Not => {}
        }
        start = end;
    }
    if !short {
        return;
    }
    // Short sentences take their paragraph's verdict.
    let mut start = 0;
    while start < tokens.len() {
        let mut end = start + 1;
        while end < tokens.len()
            && !breaks_paragraph(&display[tokens[end - 1].end..tokens[end].start])
        {
            end += 1;
        }
        if judge(&tokens[start..end]) == Verdict::Unaccented {
            let mut s = start;
            while s < end {
                let e = sentence_end(tokens, s);
                if judge(&tokens[s..e]) == Verdict::Short {
                    tokens[s..e].iter_mut().for_each(|t| t.unaccented = true);
                }
                s = e;
            }
        }
        start = end;
    }
}

/// The end of the sentence starting at token `start`.
fn sentence_end(tokens: &[Token], start: usize) -> usize {
    let mut end = start + 1;
    while end < tokens.len() && tokens[end].position == tokens[end - 1].position + 1 {
        end += 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use crate::tokenize;

    /// The tokens of `text` judged unaccented, as written.
    fn bare(text: &str) -> Vec<&str> {
        tokenize(text).into_iter().filter(|t| t.unaccented).map(|t| &text[t.start..t.end]).collect()
    }

    #[test]
    fn sentences_typed_without_diacritics_are_unaccented() {
        assert_eq!(bare("bi sot xuat huyet roi"), ["bi", "sot", "xuat", "huyet", "roi"]);
        assert_eq!(
            bare("Ban can mot cai may do huyet ap"),
            ["Ban", "can", "mot", "cai", "may", "do", "huyet", "ap"]
        );
        assert_eq!(
            bare("mn oi ko dc uong thuoc nay"),
            ["mn", "oi", "ko", "dc", "uong", "thuoc", "nay"]
        );
        // One sentence of an accented article typed bare is unaccented; the rest is not.
        assert_eq!(
            bare("Bé bị sốt cao. Ba me dua be di vien ngay. Bác sĩ nói"),
            ["Ba", "me", "dua", "be", "di", "vien", "ngay"]
        );
    }

    #[test]
    fn accented_text_and_other_languages_are_not() {
        assert!(bare("Bộ Y tế cảnh báo về sốt xuất huyết ở Hà Nội").is_empty());
        // A bare word inside an accented sentence is the word it is.
        assert!(bare("Có 3 ca mắc mới, Ha Noi chưa có ca tử vong").is_empty());
        for english in [
            "The man can not go to the top",
            "I am so happy today",
            "The World Health Organization said on Monday",
            "Photo by John Smith",
            "Dr. Nguyen Van Nam said the outbreak was contained",
        ] {
            assert!(bare(english).is_empty(), "{english}");
        }
        for other in ["saya makan nasi goreng", "la casa de mi madre", "ang mga bata"] {
            assert!(bare(other).is_empty(), "{other}");
        }
    }

    #[test]
    fn the_english_list_is_sorted_and_holds_only_syllables() {
        assert!(super::ENGLISH.windows(2).all(|w| w[0] < w[1]));
        for w in super::ENGLISH {
            assert!(crate::is_syllable(w), "{w} is not a syllable: it needs no listing");
        }
    }

    #[test]
    fn short_sentences_take_their_paragraphs_verdict() {
        assert_eq!(bare("Sot qua. Di kham ngay di"), ["Sot", "qua", "Di", "kham", "ngay", "di"]);
        // Alone on an accented line, a short bare sentence is not judged unaccented.
        assert!(bare("Ha Noi. Bệnh viện đông bệnh nhân").is_empty());
        assert!(bare("Sot qua.\nBệnh viện đông bệnh nhân").is_empty());
        // Too short everywhere: nothing to tell.
        assert!(bare("sot qua").is_empty());
        assert_eq!(
            bare("Tin moi.\nSot qua. Con toi bi sot"),
            ["Sot", "qua", "Con", "toi", "bi", "sot"]
        );
    }
}
