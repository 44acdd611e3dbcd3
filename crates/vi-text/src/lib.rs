//! Vietnamese text for matching and search: the display, match and fold forms with span
//! maps, syllable tokens, optional recall views, and the language check.
//!
//! * The **display form** is what is stored and shown: HTML entities decoded, legacy
//!   encodings (mojibake, TCVN3, VNI, VIQR) repaired where a paragraph is recognisably one,
//!   NFC.
//! * The **match form** is what accent-sensitive rules and the index compare: invisible
//!   characters dropped, spaces, quotes and dashes unified, look-alike letters (`Ð`,
//!   Cyrillic `а` inside Latin words) mapped, NFKC, lowercase, spelling repaired and the
//!   tone mark re-placed in the new style (`hòa` → `hoà`), elongation collapsed.
//! * The **fold form** drops every diacritic and maps `đ` to `d`, so `sot xuat huyet`
//!   meets `sốt xuất huyết`.
//! * A sentence is **unaccented** when it is typed without diacritics ([`unaccented`]):
//!   its tokens say so ([`Token::unaccented`]), and the query language compares a term
//!   written with diacritics against them without its diacritics.
//! * **Views** (teencode expansions, joined obfuscations, the loose key) are alternatives
//!   at token positions, never rewrites.
//!
//! **`i` and `y`.** Both spellings of a final `i`/`y` are current (`kỹ`/`kĩ`, `lý`/`lí`,
//! `Mỹ`/`Mĩ`, `quý`/`quí`: textbooks write `i`, the press mostly `y`), but the match form
//! keeps what was written, because elsewhere the letters differ (`vi khuẩn` is never `vy`,
//! and `Vy` is a name). Merging is left to the queries: [`iy_variant`] gives the other
//! spelling of a syllable whose toned final `i`/`y` follows `h k l m qu s t`, where both
//! spellings are the same word, and the query language adds it to accented terms; syllables
//! without a tone compare on the fold form and get no variant (`hi` and `ti` would pull in
//! English words). [`loose_key`] and [`loose_spellings`] merge every final `i`/`y` after a
//! consonant on the fold form, for the `~` operator: high recall, low precision.
//!
//! Tokens are syllables (Vietnamese separates syllables, not words, with spaces) and carry
//! byte offsets into the display form, and every derived form has a span map back to it,
//! so a match found on any form highlights the exact characters the reader sees.
//!
//! This crate is pure: no IO.
#![warn(missing_docs)]

mod cache;
mod fast;
mod fold;
mod lang;
mod legacy;
mod syllable;
mod token;
pub mod unaccented;
mod view;
mod views;

pub use fold::{fold_char, fold_str, is_folded};
pub use lang::language;
pub use syllable::is_syllable;
pub use token::{SENTENCE_GAP, Token, tokenize};
pub use view::{View, fold_view, match_view};
pub use views::{
    AltKind, Alternative, deobfuscations, expansions, iy_variant, loose_key, loose_spellings,
    teencode_entries,
};

use unicode_normalization::{UnicodeNormalization, is_nfc_quick};

/// One of the three text forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// NFC, as stored and shown.
    Display,
    /// Lowercase, confusables unified: accent-sensitive comparison.
    Match,
    /// Every diacritic removed: accent-insensitive comparison.
    Fold,
}

impl std::str::FromStr for Form {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "display" => Ok(Form::Display),
            "match" => Ok(Form::Match),
            "fold" => Ok(Form::Fold),
            other => Err(format!("unknown form {other:?}, expected display, match or fold")),
        }
    }
}

/// Converts raw text to the display form: HTML entities decoded (twice at most, for feeds
/// that escape twice), legacy encodings repaired where a paragraph is recognisably
/// mojibake, TCVN3, VNI or VIQR, then NFC. This is the form that is stored and shown.
pub fn display(raw: &str) -> String {
    display_cow(raw).into_owned()
}

/// The display form, borrowed when the text is already plain Unicode Vietnamese (no
/// entity, nothing a legacy repair would look at, nothing NFC would change): one scan.
fn display_cow(raw: &str) -> std::borrow::Cow<'_, str> {
    let plain = plain_vietnamese(raw);
    if plain { std::borrow::Cow::Borrowed(raw) } else { std::borrow::Cow::Owned(display_slow(raw)) }
}

fn display_slow(raw: &str) -> String {
    let mut text = std::borrow::Cow::Borrowed(raw);
    for _ in 0..2 {
        if !text.contains('&') {
            break;
        }
        let decoded = html_escape::decode_html_entities(&text).into_owned();
        if decoded == *text {
            break;
        }
        text = std::borrow::Cow::Owned(decoded);
    }
    let repaired = legacy::repair(&text);
    if surely_nfc(&repaired)
        || is_nfc_quick(repaired.chars()) == unicode_normalization::IsNormalized::Yes
    {
        repaired.into_owned()
    } else {
        repaired.nfc().collect()
    }
}

/// Characters from these blocks have no decomposition that NFC would recompose
/// differently and never combine with what precedes them, so text made only of them is NFC.
fn nfc_stable(c: char) -> bool {
    matches!(c as u32,
        0..=0x02FF              // ASCII, Latin-1, Latin Extended-A and -B, IPA, modifiers
        | 0x1EA0..=0x1EF9       // Vietnamese letters
        | 0x2010..=0x2027       // dashes, quotes, ellipsis
        | 0x2030..=0x205E
        | 0x20AB | 0x20AC) // đồng and euro signs
}

/// A fast, conservative NFC check for Vietnamese text.
fn surely_nfc(text: &str) -> bool {
    text.chars().all(nfc_stable)
}

/// One scan for the common case: no entity, only characters that NFC leaves alone, and
/// nothing a legacy repair would look at (Latin-1 beyond the Vietnamese letters, or a
/// mojibake lead such as `Ã` followed by a continuation-byte character).
pub(crate) fn plain_vietnamese(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut after_lead = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            // An entity, or a VIQR mark after a vowel (`Vie^.t`): the slow path decides.
            if b == b'&'
                || (matches!(b, b'^' | b'(' | b'+')
                    && i > 0
                    && matches!(bytes[i - 1] | 0x20, b'a' | b'e' | b'i' | b'o' | b'u' | b'y'))
            {
                return false;
            }
            after_lead = false;
            i += 1;
            continue;
        }
        // Vietnamese letters outside Latin-1 (`ă đ ĩ ũ ơ ư` and U+1EA0..=U+1EF9), told from
        // their bytes: NFC-stable, no legacy lead before them to worry about.
        if !after_lead {
            let len = match b {
                0xC4..=0xCB => 2,
                0xE1 if (bytes[i + 1] == 0xBA && bytes[i + 2] >= 0xA0)
                    || (bytes[i + 1] == 0xBB && bytes[i + 2] <= 0xB9) =>
                {
                    3
                }
                _ => 0,
            };
            if len > 0 {
                i += len;
                continue;
            }
        }
        let Some(c) = raw[i..].chars().next() else { return false };
        let code = c as u32;
        let ok = if code <= 0xFF {
            c == '\u{A0}' || legacy::is_vietnamese_latin1(c)
        } else {
            nfc_stable(c)
        };
        if !ok
            || (after_lead
                && (c == '\u{A0}' || (code >= 0x100 && legacy::cp1252_byte(c).is_some())))
        {
            return false;
        }
        after_lead = matches!(c, 'Ã' | 'Â' | 'á');
        i += c.len_utf8();
    }
    true
}

/// Converts text to the match form (see the crate documentation).
pub fn match_form(raw: &str) -> String {
    fast::match_form(raw).unwrap_or_else(|| view::match_text(&display_cow(raw)))
}

/// Converts text to the fold form: the match form without any diacritic.
pub fn fold_form(raw: &str) -> String {
    fold_str(&match_form(raw))
}

/// Converts text to the requested form.
pub fn to_form(raw: &str, form: Form) -> String {
    match form {
        Form::Display => display(raw),
        Form::Match => match_form(raw),
        Form::Fold => fold_form(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_decoded_twice_at_most() {
        assert_eq!(display("Vi&#7879;t &amp;#7879; &ecirc;&#803; &amp;amp;amp;"), "Việt ệ ệ &amp;");
    }

    #[test]
    fn decomposed_input_reaches_nfc() {
        assert_eq!(display("Vie\u{0323}\u{0302}t Nam"), "Việt Nam");
        assert_eq!(display("Vie\u{0302}\u{0323}t Nam"), "Việt Nam");
    }

    #[test]
    fn match_form_lowercases_and_unifies_eth() {
        assert_eq!(match_form("ÐÀ NẴNG"), "đà nẵng");
        assert_eq!(match_form("Sốt Xuất Huyết"), "sốt xuất huyết");
    }

    #[test]
    fn fold_form_removes_every_mark() {
        assert_eq!(fold_form("Sốt xuất huyết ở Đồng Tháp"), "sot xuat huyet o dong thap");
        assert_eq!(fold_form("Ðường"), "duong");
        assert_eq!(fold_form("Vie\u{0323}\u{0302}t"), "viet");
    }

    #[test]
    fn forms_parse_from_cli_names() {
        assert_eq!("fold".parse::<Form>(), Ok(Form::Fold));
        assert!("nfc".parse::<Form>().is_err());
    }
}
