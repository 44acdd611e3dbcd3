//! Language check: is this text Vietnamese, with or without its diacritics?
//!
//! Statistical detectors are unreliable on Vietnamese typed without diacritics (it looks
//! like Javanese, Tagalog or Afrikaans to them), so the check is Vietnamese-first: letters
//! only Vietnamese uses decide; otherwise the share of words that are valid Vietnamese
//! syllables decides; only text that is neither goes to a trigram detector.

use crate::syllable::{is_syllable, split_vowel};
use crate::token::scan;
use crate::views::is_teencode;

/// Common English words that are also valid unaccented Vietnamese syllables (`the` is
/// `thế`, `to` is `tô`): one or two of them alone are not evidence of Vietnamese. Sorted.
const ENGLISH: &[&str] = &[
    "a", "an", "ban", "be", "bin", "but", "can", "cat", "chin", "cut", "dim", "do", "go", "ha",
    "hat", "he", "hi", "him", "hit", "hop", "hot", "in", "it", "man", "map", "me", "men", "met",
    "mom", "mop", "my", "nap", "net", "no", "not", "nut", "on", "pan", "pat", "pen", "pet", "pin",
    "pop", "pot", "put", "sat", "set", "sin", "sit", "so", "son", "sun", "tan", "tap", "ten",
    "than", "the", "then", "thin", "tin", "tip", "to", "top", "up", "yen",
];

/// Whether a lowercase word is a common English word that is also a valid unaccented
/// syllable.
pub(crate) fn is_common_english(word: &str) -> bool {
    ENGLISH.binary_search(&word).is_ok()
}

/// Letters that occur in Vietnamese and in no other Latin-script language of the region.
fn is_vietnamese_only(c: char) -> bool {
    matches!(c, 'ă' | 'Ă' | 'â' | 'Â' | 'đ' | 'Đ' | 'ê' | 'Ê' | 'ô' | 'Ô' | 'ơ' | 'Ơ' | 'ư' | 'Ư')
        || ('\u{1EA0}'..='\u{1EF9}').contains(&c)
}

/// Languages the fallback detector may answer, with their ISO 639-1 codes.
const FALLBACK: [(whatlang::Lang, &str); 12] = [
    (whatlang::Lang::Eng, "en"),
    (whatlang::Lang::Fra, "fr"),
    (whatlang::Lang::Deu, "de"),
    (whatlang::Lang::Spa, "es"),
    (whatlang::Lang::Por, "pt"),
    (whatlang::Lang::Rus, "ru"),
    (whatlang::Lang::Cmn, "zh"),
    (whatlang::Lang::Jpn, "ja"),
    (whatlang::Lang::Kor, "ko"),
    (whatlang::Lang::Tha, "th"),
    (whatlang::Lang::Khm, "km"),
    (whatlang::Lang::Ind, "id"),
];

/// Returns the ISO 639-1 code of the display-form text's language: `"vi"` for Vietnamese
/// (with or without diacritics), another code when the fallback detector is sure, and
/// `"und"` when it cannot tell.
pub fn language(display: &str) -> &'static str {
    let mut tokens = 0usize;
    let mut with_vi_letter = 0usize;
    let mut vi_letters = 0usize;
    let mut letters_tokens = 0usize;
    let mut valid = 0usize;
    let mut valid_accented = 0usize;
    let mut teencode = 0usize;
    let mut english = 0usize;
    let mut lower = String::new();
    scan(display, |start, end| {
        // Two letters only Vietnamese has decide (below), whatever the rest says: an
        // article's first words usually hold them, and the syllable checks of every
        // other word are then skipped.
        if vi_letters >= 2 {
            return;
        }
        let token = &display[start..end];
        tokens += 1;
        let n = token.chars().filter(|&c| is_vietnamese_only(c)).count();
        vi_letters += n;
        with_vi_letter += usize::from(n > 0);
        if token.chars().all(|c| {
            c.is_alphabetic()
                && (c.is_ascii() || split_vowel(c).is_some() || matches!(c, 'đ' | 'Đ'))
        }) {
            letters_tokens += 1;
            lower.clear();
            lower.extend(token.chars().flat_map(char::to_lowercase));
            let ok = is_syllable(&lower);
            valid += usize::from(ok);
            valid_accented += usize::from(ok && !lower.is_ascii());
            teencode += usize::from(!ok && is_teencode(&lower));
            english +=
                usize::from(lower.is_ascii() && ENGLISH.binary_search(&lower.as_str()).is_ok());
        }
    });
    if vi_letters >= 2 || (tokens > 0 && with_vi_letter * 5 >= tokens && with_vi_letter > 0) {
        return "vi";
    }
    // Mostly valid syllables: three or more, or two when diacritics confirm (`Hòa bình`).
    let mostly_valid = valid * 10 >= letters_tokens * 8;
    if mostly_valid && (letters_tokens >= 3 || (letters_tokens == 2 && valid_accented > 0)) {
        return "vi";
    }
    // One or two unaccented words (a headline fragment, a search, a comment): Vietnamese
    // when every word is a syllable or a teencode word, at least one of them is a syllable
    // that is not also a common English word, and a lone word is a syllable itself.
    if (1..=2).contains(&letters_tokens)
        && letters_tokens == tokens
        && valid + teencode == letters_tokens
        && english < letters_tokens
        && (valid > 0 || letters_tokens == 2)
    {
        return "vi";
    }
    let detector = whatlang::Detector::with_allowlist(FALLBACK.iter().map(|(l, _)| *l).collect());
    match detector.detect(display) {
        Some(info) if info.is_reliable() => {
            FALLBACK.iter().find(|(l, _)| *l == info.lang()).map_or("und", |(_, code)| code)
        }
        _ => "und",
    }
}

#[cfg(test)]
mod tests {
    use super::language;

    #[test]
    fn vietnamese_letters_decide() {
        assert_eq!(language("Bộ Y tế cảnh báo"), "vi");
        assert_eq!(language("Đà Nẵng"), "vi");
        assert_eq!(language("Hòa bình"), "vi");
    }

    #[test]
    fn unaccented_vietnamese_is_recognised_by_its_syllables() {
        assert_eq!(language("bo y te khuyen cao nguoi dan khong tu y dung thuoc"), "vi");
        assert_eq!(language("sot xuat huyet tang manh o ha noi"), "vi");
    }

    #[test]
    fn other_languages_are_not_vietnamese() {
        assert_eq!(
            language(
                "The Ministry of Health warned people against buying unlicensed medicine online"
            ),
            "en"
        );
        assert_eq!(
            language(
                "Le ministère de la santé met en garde contre les faux médicaments vendus en ligne"
            ),
            "fr"
        );
        assert_eq!(language("ok"), "und");
    }

    #[test]
    fn short_unaccented_vietnamese_is_recognised_when_unambiguous() {
        for vi in ["sot xuat", "ko dc", "tiem vac xin", "ung thu", "vac xin", "Sot", "mn oi"] {
            assert_eq!(language(vi), "vi", "{vi}");
        }
        for not_vi in ["hello", "the", "to do", "ok", "Facebook", "hello world", "the menu", "2024"]
        {
            assert_ne!(language(not_vi), "vi", "{not_vi}");
        }
    }

    #[test]
    fn the_english_list_is_sorted_and_holds_only_words_that_pass_as_syllables() {
        assert!(super::ENGLISH.windows(2).all(|w| w[0] < w[1]));
        for w in super::ENGLISH {
            assert!(crate::is_syllable(w), "{w} is not a syllable: it needs no listing");
        }
    }
}
