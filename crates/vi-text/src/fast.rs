//! The match form of plain Vietnamese text in one pass: the display-form check, the
//! tokenisation and the text between tokens fused into a single loop over the bytes.
//!
//! Plain text is what nearly every feed sends: ASCII, the Vietnamese letters (and the rest
//! of Latin Extended-A and -B), no-break spaces, typographic quotes and dashes, `…`, `₫`
//! and `€`. Its display form is itself, and its match form needs only the token re-spelling
//! and the gap rules. Anything else (an entity, a character a legacy repair or NFC would
//! look at, an invisible character, an emoji, another script) makes [`match_form`] return
//! `None` and the general path run instead; the differential tests hold the two paths to
//! the same output.

use crate::cache::TokenCache;
use crate::legacy;
use crate::token::{emoticon_at, normalize_ascii, normalize_cached, with_cache};
use crate::view::forms_emoticon;

/// Bits for the second byte (less 0x80) of the Latin-1 letters Vietnamese uses, after the
/// lead byte 0xC3: `À Á Â Ã È É Ê Ì Í Ò Ó Ô Õ Ù Ú Ý` and their lowercase.
const LATIN1_VIETNAMESE: u64 = {
    let mut mask = 0u64;
    let seconds: [u8; 32] = [
        0x80, 0x81, 0x82, 0x83, 0x88, 0x89, 0x8A, 0x8C, 0x8D, 0x92, 0x93, 0x94, 0x95, 0x99, 0x9A,
        0x9D, 0xA0, 0xA1, 0xA2, 0xA3, 0xA8, 0xA9, 0xAA, 0xAC, 0xAD, 0xB2, 0xB3, 0xB4, 0xB5, 0xB9,
        0xBA, 0xBD,
    ];
    let mut k = 0;
    while k < seconds.len() {
        mask |= 1 << (seconds[k] - 0x80);
        k += 1;
    }
    mask
};

/// The UTF-8 length of the letter at `bytes[i]` (a non-ASCII character boundary) when it
/// is one the fast path accepts, else 0: a Vietnamese Latin-1 letter, any letter of Latin
/// Extended-A and -B, or U+1EA0..=U+1EF9.
#[inline(always)]
fn letter_len(bytes: &[u8], i: usize) -> usize {
    match bytes[i] {
        0xC3 if (LATIN1_VIETNAMESE >> (bytes[i + 1] & 0x3F)) & 1 == 1 => 2,
        0xC4..=0xC8 => 2,
        0xC9 if bytes[i + 1] <= 0x8F => 2,
        0xE1 if (bytes[i + 1] == 0xBA && bytes[i + 2] >= 0xA0)
            || (bytes[i + 1] == 0xBB && bytes[i + 2] <= 0xB9) =>
        {
            3
        }
        _ => 0,
    }
}

/// What a non-letter, non-ASCII character between tokens becomes.
enum Gap {
    Space,
    Text(&'static str),
}

/// The gap characters the fast path accepts, with their UTF-8 length.
#[inline]
fn gap_at(text: &str, i: usize) -> Option<(char, Gap)> {
    let c = text[i..].chars().next()?;
    let gap = match c {
        '\u{A0}' => Gap::Space,
        '“' | '”' | '„' | '‟' => Gap::Text("\""),
        '‘' | '’' | '‚' | '‛' => Gap::Text("'"),
        '–' | '—' | '‑' | '‐' | '‒' | '―' => Gap::Text("-"),
        '…' => Gap::Text("..."),
        '₫' => Gap::Text("₫"),
        '€' => Gap::Text("€"),
        _ => return None,
    };
    Some((c, gap))
}

/// Whether the display-form check would send text with this character after a possible
/// mojibake lead (`Ã`, `Â`, `á`) to the legacy repair.
fn suspicious_after_lead(c: char) -> bool {
    c == '\u{A0}' || (c as u32 >= 0x100 && legacy::cp1252_byte(c).is_some())
}

/// Whether the character before byte `i` is `Ã`, `Â` or `á`, after which some characters
/// make the text look like mojibake.
#[inline(always)]
fn after_lead(bytes: &[u8], i: usize) -> bool {
    i >= 2 && bytes[i - 2] == 0xC3 && matches!(bytes[i - 1], 0x82 | 0x83 | 0xA1)
}

/// What an ASCII byte is to the fast path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ascii {
    Letter,
    Digit,
    Space,
    /// `: ; = ^ <`: may start an emoticon.
    Emoticon,
    /// `&` (an entity) or `( +` (VIQR tone marks after a vowel).
    Suspect,
    Other,
}

const ASCII: [Ascii; 128] = {
    let mut t = [Ascii::Other; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphabetic() {
            Ascii::Letter
        } else if c.is_ascii_digit() {
            Ascii::Digit
        } else if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C) {
            Ascii::Space
        } else if matches!(c, b':' | b';' | b'=' | b'^' | b'<') {
            Ascii::Emoticon
        } else if matches!(c, b'&' | b'(' | b'+') {
            Ascii::Suspect
        } else {
            Ascii::Other
        };
        b += 1;
    }
    t
};

/// Whether byte `b` at `i` is for the display-form repair: an entity, or a VIQR tone mark
/// after a vowel (`Vie^.t`).
#[inline]
fn needs_repair(bytes: &[u8], i: usize, b: u8) -> bool {
    b == b'&' || (i > 0 && matches!(bytes[i - 1] | 0x20, b'a' | b'e' | b'i' | b'o' | b'u' | b'y'))
}

struct Out {
    text: String,
    pending_space: bool,
    after_token: usize,
}

impl Out {
    #[inline(always)]
    fn flush_space(&mut self) {
        if self.pending_space && !self.text.is_empty() {
            self.text.push(' ');
        }
        self.pending_space = false;
    }
}

/// The match form of `raw` when `raw` is plain text (see the module documentation), or
/// `None` when the general path must handle it.
pub(crate) fn match_form(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let n = bytes.len();
    let mut out =
        Out { text: String::with_capacity(n), pending_space: false, after_token: usize::MAX };
    let mut i = 0;
    with_cache(|cache| {
        while i < n {
            let b = bytes[i];
            if b < 0x80 {
                match ASCII[usize::from(b)] {
                    Ascii::Letter | Ascii::Digit => {}
                    Ascii::Space => {
                        out.pending_space = true;
                        i += 1;
                        continue;
                    }
                    Ascii::Emoticon => {
                        if b == b'^' && needs_repair(bytes, i, b) {
                            return None;
                        }
                        let len = emoticon_at(raw, i).unwrap_or(1);
                        out.flush_space();
                        for &e in &bytes[i..i + len] {
                            out.text.push(char::from(e.to_ascii_lowercase()));
                        }
                        i += len;
                        continue;
                    }
                    Ascii::Suspect if needs_repair(bytes, i, b) => return None,
                    Ascii::Suspect | Ascii::Other => {
                        out.flush_space();
                        out.text.push(char::from(b));
                        i += 1;
                        continue;
                    }
                }
            } else if letter_len(bytes, i) == 0 {
                let (c, gap) = gap_at(raw, i)?;
                if after_lead(bytes, i) && suspicious_after_lead(c) {
                    return None;
                }
                match gap {
                    Gap::Space => out.pending_space = true,
                    Gap::Text(s) => {
                        out.flush_space();
                        out.text.push_str(s);
                    }
                }
                i += c.len_utf8();
                continue;
            }
            // A run of letters and digits; only a digit after a letter or a letter after a
            // digit is a switch.
            let start = i;
            let mut switches = 0;
            let mut switch_at = 0;
            let mut digits = b.is_ascii_digit();
            let mut ascii = true;
            let mut ascii_before_switch = true;
            let mut j = i;
            while j < n {
                let b = bytes[j];
                let (digit, len) = if b.is_ascii_alphabetic() {
                    (false, 1)
                } else if b.is_ascii_digit() {
                    (true, 1)
                } else if b < 0x80 {
                    break;
                } else {
                    let len = letter_len(bytes, j);
                    if len == 0 {
                        break;
                    }
                    if after_lead(bytes, j) && suspicious_after_lead(raw[j..].chars().next()?) {
                        return None;
                    }
                    ascii = false;
                    (false, len)
                };
                if digit != digits {
                    switches += 1;
                    if switches == 1 {
                        switch_at = j;
                        ascii_before_switch = ascii;
                    }
                    digits = digit;
                }
                j += len;
            }
            if switches == 1 {
                // The part after the switch is ASCII when the whole run is.
                token(cache, raw, &mut out, (start, switch_at), ascii_before_switch);
                token(cache, raw, &mut out, (switch_at, j), ascii);
            } else {
                token(cache, raw, &mut out, (start, j), ascii);
            }
            i = j;
        }
        Some(())
    })?;
    Some(out.text)
}

/// Appends the match form of the token `raw[start..end]`, whose bytes are all ASCII when
/// `ascii` (and, when not, may still be).
#[inline(always)]
fn token(
    cache: &mut TokenCache,
    raw: &str,
    out: &mut Out,
    (start, end): (usize, usize),
    ascii: bool,
) {
    if out.text.len() == out.after_token && !out.pending_space {
        // Two tokens with nothing between them (`covid19`) are two words.
        out.text.push(' ');
    }
    out.flush_space();
    let from = out.text.len();
    if ascii || raw.as_bytes()[start..end].is_ascii() {
        normalize_ascii(&raw[start..end], &mut out.text);
    } else {
        normalize_cached(cache, raw, (start, end), &mut out.text, None);
    }
    if forms_emoticon(&out.text, from) {
        out.text.insert(from, ' ');
    }
    out.after_token = out.text.len();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_letter_mask_lists_exactly_the_vietnamese_latin1_letters() {
        for c in '\u{C0}'..='\u{FF}' {
            let s = c.to_string();
            assert_eq!(letter_len(s.as_bytes(), 0) == 2, legacy::is_vietnamese_latin1(c), "{c}");
        }
    }

    #[test]
    fn ascii_spaces_are_the_whitespace_characters() {
        for b in 0u8..0x80 {
            let fast = matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C);
            assert_eq!(fast, char::from(b).is_whitespace(), "{b:#x}");
        }
    }

    use proptest::prelude::*;

    /// The general path: display form, then the match form with the span machinery.
    fn general(raw: &str) -> String {
        crate::view::match_text(&crate::display(raw))
    }

    /// Plain pieces, which the fast path must take, and a few that must send it back.
    const PLAIN: &[&str] = &[
        "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "đ", "Đ", "h", "n", "g", "t",
        "c", "q", "k", "s", "x", "v", "r", "m", "p", "d", "A", "H", "Q", "T", "Y", "D", "V", "P",
        "á", "à", "ả", "ã", "ạ", "ố", "ờ", "ự", "ỷ", "Ỳ", "Ấ", "Ã", "Â", "Á", "Ā", "ǅ", "ɏ", " ",
        "  ", "\u{a0}", "\n", "\t", "\r", ",", ".", "-", "'", "\"", "“", "”", "‘", "’", "–", "—",
        "…", "₫", "€", ":", "(", ")", "!", "?", ";", "=", "^", "<", "+", ":v", ":V", ":D", ":p",
        "=))", ":)", "^^", "<3", ":'(", "0", "1", "9", "hoà", "hòa", "thủy", "quý", "qúy", "người",
        "nuớc", "aaa", "iii", "tooo", "covid19", "H5N1", "nghiêng", "NGHIÊNG",
    ];
    const UNUSUAL: &[&str] =
        &["&", "ç", "Œ", "\u{301}", "\u{200b}", "😷", "а", "ｖ", "²", "×", "‰", "ɐ", "Ẁ"];

    fn text(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(pieces), 0..30)
            .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3_000, ..ProptestConfig::default() })]

        #[test]
        fn the_fast_path_agrees_with_the_general_path(raw in text(PLAIN)) {
            let general = general(&raw);
            // Plain pieces can still make text the display-form check sends to the repairs
            // (`hòa^`, `á–`); only that may send it back.
            if let Some(fast) = match_form(&raw) {
                prop_assert_eq!(fast, general);
            } else {
                prop_assert!(!crate::plain_vietnamese(&raw), "{:?} was sent back", raw);
            }
        }

        #[test]
        fn unusual_characters_are_sent_back_or_agree(
            raw in (text(PLAIN), proptest::sample::select(UNUSUAL), text(PLAIN))
                .prop_map(|(a, u, b)| format!("{a}{u}{b}"))
        ) {
            if let Some(fast) = match_form(&raw) {
                prop_assert_eq!(fast, general(&raw));
            }
        }
    }

    #[test]
    fn the_fast_path_agrees_on_real_text() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/ud-vietnamese-vtb");
        let Ok(text) = std::fs::read_to_string(dir.join("vi_vtb-ud-train.conllu")) else {
            return;
        };
        let mut fast_lines = 0;
        let mut lines = 0;
        for line in text.lines().filter_map(|l| l.strip_prefix("# text =")) {
            lines += 1;
            if let Some(fast) = match_form(line) {
                fast_lines += 1;
                assert_eq!(fast, general(line), "{line}");
            }
        }
        // Entities (`&amp;`) and `Ð` send a few lines to the general path.
        assert!(fast_lines * 100 >= lines * 95, "{fast_lines} of {lines} lines took the fast path");
    }

    #[test]
    fn plain_text_takes_the_fast_path_and_the_rest_does_not() {
        assert_eq!(
            match_form("Ông THỦY nói: “Hòa bình” – 50.000₫…").as_deref(),
            Some("ông thuỷ nói: \"hoà bình\" - 50.000₫...")
        );
        for other in
            ["a &amp; b", "Vie^.t", "sốt\u{200B}xuất", "😷", "Ðà", "e\u{301}", "Хин", "ViÃ–t"]
        {
            assert_eq!(match_form(other), None, "{other}");
        }
    }
}
