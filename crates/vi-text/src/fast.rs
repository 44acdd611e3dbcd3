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
use crate::token::{
    emoticon_at, has_long_ascii_run, normalize_ascii, normalize_missed, normalize_token, with_cache,
};
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
#[cfg(test)]
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

/// Bits of a [`LEAD`] entry past the character length (bits 0 and 1).
const DIGIT: u8 = 1 << 2;
/// The letter needs its second byte checked against [`SECOND`].
const CHECK_SECOND: u8 = 1 << 3;
/// The letter needs its code point checked to be in U+1EA0..=U+1EF9.
const CHECK_ADDITIONAL: u8 = 1 << 4;
/// A lead byte of `Œ œ Š š Ÿ Ž ž ƒ`, which after `Ã`, `Â` or `á` look like mojibake.
const CP1252_LETTER: u8 = 1 << 5;

/// How the lead byte of a character starts a token: its length (0 when it starts none)
/// and the flags above.
const LEAD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphabetic() {
            1
        } else if c.is_ascii_digit() {
            1 | DIGIT
        } else if c >= 0xC3 && c <= 0xC9 {
            2 | CHECK_SECOND | if c == 0xC5 || c == 0xC6 { CP1252_LETTER } else { 0 }
        } else if c == 0xE1 {
            3 | CHECK_ADDITIONAL
        } else {
            0
        };
        b += 1;
    }
    t
};

/// For two-byte lead bytes (by their low five bits), the second bytes (by their low six
/// bits) that make a letter: the Vietnamese Latin-1 letters after 0xC3, everything after
/// 0xC4..=0xC8 (U+0100..=U+023F) and U+0240..=U+024F after 0xC9.
const SECOND: [u64; 32] = {
    let mut t = [0u64; 32];
    t[3] = LATIN1_VIETNAMESE;
    let mut k = 4;
    while k <= 8 {
        t[k] = u64::MAX;
        k += 1;
    }
    t[9] = 0xFFFF;
    t
};

/// The [`LEAD`] entry of the letter or digit at byte `j`, or 0 when none starts there
/// (also past the end), computed without branching on the bytes: Vietnamese words switch
/// between ASCII and other letters too irregularly for a branch predictor.
#[inline(always)]
fn step(bytes: &[u8], j: usize) -> u8 {
    let b0 = bytes.get(j).copied().unwrap_or(0);
    let b1 = bytes.get(j + 1).copied().unwrap_or(0);
    let b2 = bytes.get(j + 2).copied().unwrap_or(0);
    let entry = LEAD[usize::from(b0)];
    let second = (SECOND[usize::from(b0 & 0x1F)] >> (b1 & 0x3F)) as u8 & 1;
    let low = (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
    let additional = u8::from(low.wrapping_sub(0xEA0) <= 0xEF9 - 0xEA0);
    // A failed check clears the entry.
    let fails = ((entry & CHECK_SECOND != 0) & (second == 0))
        | ((entry & CHECK_ADDITIONAL != 0) & (additional == 0));
    entry & (u8::from(fails).wrapping_sub(1))
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
    let before = |k: usize| i.checked_sub(k).map_or(0, |at| bytes[at]);
    (before(2) == 0xC3) & matches!(before(1), 0x82 | 0x83 | 0xA1)
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

/// The match form being built. Most of it is the text's own bytes (lowercase syllables,
/// single spaces, punctuation), so those are not copied piece by piece: `raw[verb..verb_end]`
/// is output still to be copied, and is extended while the output keeps following the text.
struct Out<'a> {
    raw: &'a str,
    text: String,
    verb: usize,
    verb_end: usize,
    /// Whitespace not yet written: where its run starts, and whether the run is one `' '`.
    pending_space: Option<(usize, bool)>,
    /// Nothing has been written since the last token.
    after_token: bool,
}

impl Out<'_> {
    fn is_empty(&self) -> bool {
        self.text.is_empty() && self.verb_end == self.verb
    }

    /// The last byte written so far.
    fn last_byte(&self) -> Option<u8> {
        if self.verb_end > self.verb {
            Some(self.raw.as_bytes()[self.verb_end - 1])
        } else {
            self.text.as_bytes().last().copied()
        }
    }

    /// Copies the pending stretch of the text into the output.
    #[inline(always)]
    fn settle(&mut self) {
        if self.verb_end > self.verb {
            self.text.push_str(&self.raw[self.verb..self.verb_end]);
            self.verb = self.verb_end;
        }
    }

    /// Notes whitespace at byte `at`.
    #[inline(always)]
    fn space(&mut self, at: usize, b: u8) {
        match &mut self.pending_space {
            None => self.pending_space = Some((at, b == b' ')),
            Some((_, single)) => *single = false,
        }
    }

    /// Writes the pending whitespace, as one space, before what starts at byte `at`.
    #[inline(always)]
    fn flush_space(&mut self, at: usize) {
        if let Some((start, single)) = self.pending_space.take()
            && !self.is_empty()
        {
            if single && start + 1 == at && start == self.verb_end {
                // The text has exactly this space here.
                self.verb_end = at;
            } else {
                self.settle();
                self.text.push(' ');
                self.verb = at;
                self.verb_end = at;
            }
        }
    }

    /// Writes `raw[start..end]` as it is.
    #[inline(always)]
    fn same(&mut self, start: usize, end: usize) {
        if start != self.verb_end {
            self.settle();
            self.verb = start;
        }
        self.verb_end = end;
    }

    /// Writes `s` for the text's `..end`.
    #[inline(always)]
    fn other(&mut self, s: &str, end: usize) {
        self.settle();
        self.text.push_str(s);
        self.verb = end;
        self.verb_end = end;
    }

    fn finish(mut self) -> String {
        self.settle();
        self.text
    }
}

/// The match form of `raw` when `raw` is plain text (see the module documentation), or
/// `None` when the general path must handle it.
pub(crate) fn match_form(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let n = bytes.len();
    let mut out = Out {
        raw,
        text: String::with_capacity(n),
        verb: 0,
        verb_end: 0,
        pending_space: None,
        after_token: false,
    };
    let mut i = 0;
    with_cache(|cache| {
        while i < n {
            let b = bytes[i];
            if b == b' ' {
                out.space(i, b);
                i += 1;
                continue;
            }
            if step(bytes, i) == 0 {
                if b < 0x80 {
                    match ASCII[usize::from(b)] {
                        Ascii::Space => out.space(i, b),
                        Ascii::Emoticon => {
                            if b == b'^' && needs_repair(bytes, i, b) {
                                return None;
                            }
                            let len = emoticon_at(raw, i).unwrap_or(1);
                            out.flush_space(i);
                            let e = &raw[i..i + len];
                            if e.bytes().any(|b| b.is_ascii_uppercase()) {
                                out.other(&e.to_ascii_lowercase(), i + len);
                            } else {
                                out.same(i, i + len);
                            }
                            out.after_token = false;
                            i += len;
                            continue;
                        }
                        Ascii::Suspect if needs_repair(bytes, i, b) => return None,
                        _ => {
                            out.flush_space(i);
                            out.same(i, i + 1);
                            out.after_token = false;
                        }
                    }
                    i += 1;
                    continue;
                }
                let (c, gap) = gap_at(raw, i)?;
                if after_lead(bytes, i) && suspicious_after_lead(c) {
                    return None;
                }
                let end = i + c.len_utf8();
                match gap {
                    Gap::Space => out.space(i, 0),
                    Gap::Text(s) => {
                        out.flush_space(i);
                        if s.as_bytes() == &bytes[i..end] {
                            // `₫` and `€` stay as they are.
                            out.same(i, end);
                        } else {
                            out.other(s, end);
                        }
                        out.after_token = false;
                    }
                }
                i = end;
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
            // Lead bytes of letters that could be mojibake after `Ã`, `Â` or `á`.
            let mut flags = 0u8;
            let mut j = i;
            loop {
                let entry = step(bytes, j);
                if entry == 0 {
                    break;
                }
                let digit = entry & DIGIT != 0;
                if digit != digits {
                    switches += 1;
                    if switches == 1 {
                        switch_at = j;
                        ascii_before_switch = ascii;
                    }
                    digits = digit;
                }
                let len = usize::from(entry & 3);
                ascii &= len == 1;
                flags |= entry;
                j += len;
            }
            if flags & CP1252_LETTER != 0
                && raw[start..j].char_indices().any(|(k, c)| {
                    !c.is_ascii() && after_lead(bytes, start + k) && suspicious_after_lead(c)
                })
            {
                return None;
            }
            if switches == 1 {
                // The part after the switch is ASCII when the whole run is.
                token(cache, &mut out, (start, switch_at), ascii_before_switch);
                token(cache, &mut out, (switch_at, j), ascii);
            } else {
                token(cache, &mut out, (start, j), ascii);
            }
            i = j;
        }
        Some(())
    })?;
    Some(out.finish())
}

/// Appends the match form of the token `raw[start..end]`, whose bytes are all ASCII when
/// `ascii` (and, when not, may still be).
#[inline(always)]
fn token(cache: &mut TokenCache, out: &mut Out, (start, end): (usize, usize), ascii: bool) {
    let raw = out.raw;
    if out.after_token && out.pending_space.is_none() {
        // Two tokens with nothing between them (`covid19`) are two words.
        out.other(" ", start);
    }
    out.flush_space(start);
    // A token can only complete an emoticon after punctuation that could start one.
    let before = out.last_byte().unwrap_or(b' ');
    if !matches!(before, b' ' | b'a'..=b'z' | b'0'..=b'9' | 0x80..) {
        out.settle();
        let from = out.text.len();
        normalize_token(cache, raw, (start, end), &mut out.text, None);
        if forms_emoticon(&out.text, from) {
            out.text.insert(from, ' ');
        }
        out.verb = end;
        out.verb_end = end;
    } else if ascii || raw.as_bytes()[start..end].is_ascii() {
        let src = &raw.as_bytes()[start..end];
        if src.iter().any(u8::is_ascii_uppercase) || has_long_ascii_run(src) {
            out.settle();
            normalize_ascii(&raw[start..end], &mut out.text);
            out.verb = end;
            out.verb_end = end;
        } else {
            out.same(start, end);
        }
    } else {
        match cache.matched(raw, start, end) {
            Some(None) => out.same(start, end),
            Some(Some(m)) => out.other(m, end),
            None => {
                out.settle();
                normalize_missed(cache, raw, (start, end), &mut out.text);
                out.verb = end;
                out.verb_end = end;
            }
        }
    }
    out.after_token = true;
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_branch_free_step_agrees_with_the_letter_rule() {
        for c in ('\u{80}'..='\u{2FFF}').chain('\u{10000}'..='\u{10100}') {
            let s = format!("{c}x");
            assert_eq!(
                usize::from(step(s.as_bytes(), 0) & 3),
                letter_len(s.as_bytes(), 0),
                "{c:?}"
            );
        }
        for b in 0u8..0x80 {
            let s = [b];
            let want = if b.is_ascii_alphanumeric() { 1 } else { 0 };
            assert_eq!(step(&s, 0) & 3, want, "{b:#x}");
        }
        assert_eq!(step(b"a", 1), 0);
    }

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
        let Some(path) = test_support::shared_data("ud-vietnamese-vtb/vi_vtb-ud-train.conllu")
        else {
            return;
        };
        let text = std::fs::read_to_string(&path).unwrap();
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
