//! Syllable tokens over the display form, and the per-token match form: format characters
//! dropped, look-alike letters unified, compatibility forms (NFKC) unfolded, lowercase,
//! spelling repaired, tone re-placed in the new style and elongation collapsed.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::cache::TokenCache;
use crate::syllable::{is_vietnamese_letter, respell_in_place, split_vowel};
use crate::{fold_char, syllable};

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
    /// Position for phrase matching: one more than the previous token's, plus
    /// [`SENTENCE_GAP`] across a sentence or paragraph break, so phrases never span one.
    pub position: usize,
    /// Whether the token is in a sentence typed without diacritics (see
    /// [`crate::unaccented`]), where a query term written with diacritics is compared
    /// without them.
    pub unaccented: bool,
}

/// Positions skipped at a sentence or paragraph break.
pub const SENTENCE_GAP: usize = 8;

/// Whether the text between two tokens ends a sentence or a paragraph: a line break, or
/// `.`, `!`, `?`, `…` or `;` followed by a space (so `1.200` and `TP.HCM` do not).
fn breaks_sentence(gap: &str) -> bool {
    let mut after_stop = false;
    for c in gap.chars() {
        match c {
            '\n' | '\r' | '\u{2029}' => return true,
            '.' | '!' | '?' | '…' | ';' => after_stop = true,
            c if c.is_whitespace() && after_stop => return true,
            _ => {}
        }
    }
    false
}

impl Token {
    /// Whether the token's match form has no diacritic (its match and fold forms agree).
    pub fn is_plain(&self) -> bool {
        self.matched == self.folded
    }
}

/// Invisible characters that are deleted wherever they occur, including inside words
/// (`sốt\u{200B}xuất` is one word). ZWJ and VS16 are kept inside emoji sequences.
pub(crate) fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
            | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FE0F}'
    )
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Letter,
    Digit,
    Format,
    Other,
}

fn class(c: char) -> Class {
    if c.is_ascii() {
        return if c.is_ascii_alphabetic() {
            Class::Letter
        } else if c.is_ascii_digit() {
            Class::Digit
        } else {
            Class::Other
        };
    }
    if is_vietnamese_letter(c) {
        Class::Letter
    } else if is_format(c) {
        Class::Format
    } else if c.is_alphabetic() || is_combining_mark(c) {
        Class::Letter
    } else if c.is_numeric() {
        // Vulgar fractions unfold to digits around a fraction slash (`¼` → `1⁄4`): they
        // are punctuation-like, not one number.
        if std::iter::once(c).nfkc().all(char::is_alphanumeric) {
            Class::Digit
        } else {
            Class::Other
        }
    } else {
        Class::Other
    }
}

/// Emoticons are read before letters so the `v` of `:v` is not a word.
pub(crate) const EMOTICONS: [&str; 23] = [
    ":))))", ":)))", "=)))", ":))", "=))", ":v", ":V", ":3", ":D", ":d", ":P", ":p", ":)", ":(",
    "=)", "=(", ":'(", ";)", "^^", "<3", ":-)", ":-(", ":o",
];

pub(crate) fn emoticon_at(text: &str, i: usize) -> Option<usize> {
    let rest = &text[i..];
    let e = EMOTICONS.iter().find(|e| rest.starts_with(**e))?;
    // Invisible characters are deleted from the match form, so look past them.
    let after = rest[e.len()..].chars().find(|&c| !is_format(c));
    // `:v` is an emoticon, `:vui` is a colon before a word.
    let ends_in_letter = e.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    if ends_in_letter && after.is_some_and(char::is_alphanumeric) {
        return None;
    }
    Some(e.len())
}

/// Calls `f(start, end)` for every token of `display`, in order: maximal runs of letters
/// (with their combining marks) and digits, format characters skipped inside a run, split
/// between letters and digits only when the run switches once (`covid19` → `covid`, `19`
/// but `H5N1` whole).
pub(crate) fn scan(display: &str, mut f: impl FnMut(usize, usize)) {
    let bytes = display.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        let first = if b < 0x80 {
            if b.is_ascii_alphabetic() {
                Class::Letter
            } else if b.is_ascii_digit() {
                Class::Digit
            } else {
                if matches!(b, b':' | b';' | b'=' | b'^' | b'<')
                    && let Some(len) = emoticon_at(display, i)
                {
                    i += len;
                } else {
                    i += 1;
                }
                continue;
            }
        } else {
            let (cls, len) = class_at(bytes, i);
            if !matches!(cls, Class::Letter | Class::Digit) {
                i += len;
                continue;
            }
            cls
        };
        // A run: letters, digits and format characters, ending before trailing formats.
        // It is read in segments of one class: ASCII letter and digit segments take one
        // comparison a byte.
        let start = i;
        let mut end = i;
        let mut switches = 0;
        let mut switch_at = 0;
        let mut last = first;
        let mut j = i;
        while j < n {
            let seg = j;
            let b = bytes[j];
            let cls = if b.is_ascii_alphabetic() {
                j += 1;
                while j < n && bytes[j].is_ascii_alphabetic() {
                    j += 1;
                }
                Class::Letter
            } else if b.is_ascii_digit() {
                j += 1;
                while j < n && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                Class::Digit
            } else if b < 0x80 {
                break;
            } else {
                let (cls, len) = class_at(bytes, j);
                match cls {
                    Class::Letter | Class::Digit => j += len,
                    Class::Format => {
                        j += len;
                        continue;
                    }
                    Class::Other => break,
                }
                cls
            };
            if cls != last {
                switches += 1;
                switch_at = seg;
                last = cls;
            }
            end = j;
        }
        if switches == 1 {
            f(start, trim_format_end(display, start, switch_at));
            f(switch_at, end);
        } else {
            f(start, end);
        }
        i = end;
    }
}

/// The class and UTF-8 length of the character at byte `i` (a character boundary) of a
/// `str`'s bytes, with ASCII and two- and three-byte characters decoded inline.
#[inline(always)]
fn class_at(bytes: &[u8], i: usize) -> (Class, usize) {
    let b = bytes[i];
    if b < 0x80 {
        let cls = if b.is_ascii_alphabetic() {
            Class::Letter
        } else if b.is_ascii_digit() {
            Class::Digit
        } else {
            Class::Other
        };
        return (cls, 1);
    }
    // Latin-1 letters, Latin Extended-A and -B (U+00C0..=U+024F but × and ÷) and Latin
    // Extended Additional (U+1E00..=U+1EFF), where every Vietnamese letter is, are all
    // letters: told from their first bytes, without decoding or a property lookup.
    match b {
        0xC3 if !matches!(bytes[i + 1], 0x97 | 0xB7) => return (Class::Letter, 2),
        0xC4..=0xC8 => return (Class::Letter, 2),
        0xC9 if bytes[i + 1] <= 0x8F => return (Class::Letter, 2),
        0xE1 if matches!(bytes[i + 1], 0xB8..=0xBB) => return (Class::Letter, 3),
        _ => {}
    }
    let (code, len) = if b < 0xE0 {
        ((u32::from(b & 0x1F) << 6) | u32::from(bytes[i + 1] & 0x3F), 2)
    } else if b < 0xF0 {
        (
            (u32::from(b & 0x0F) << 12)
                | (u32::from(bytes[i + 1] & 0x3F) << 6)
                | u32::from(bytes[i + 2] & 0x3F),
            3,
        )
    } else {
        (
            (u32::from(b & 0x07) << 18)
                | (u32::from(bytes[i + 1] & 0x3F) << 12)
                | (u32::from(bytes[i + 2] & 0x3F) << 6)
                | u32::from(bytes[i + 3] & 0x3F),
            4,
        )
    };
    (char::from_u32(code).map_or(Class::Other, class), len)
}

fn trim_format_end(display: &str, start: usize, mut end: usize) -> usize {
    while let Some(c) = display[start..end].chars().next_back() {
        if class(c) != Class::Format {
            break;
        }
        end -= c.len_utf8();
    }
    end
}

/// Cyrillic and Greek letters that look like Latin ones, used to dodge keyword filters
/// (`vаcxin` with a Cyrillic `а`). Only applied inside tokens that also have Latin letters.
fn latin_lookalike(c: char) -> Option<char> {
    Some(match c {
        'а' | 'α' => 'a',
        'в' => 'b',
        'с' | 'ϲ' => 'c',
        'е' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ι' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'п' => 'n',
        'о' | 'ο' => 'o',
        'р' | 'ρ' => 'p',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' => 'u',
        'ѵ' | 'ν' => 'v',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'С' => 'C',
        'Е' | 'Ε' => 'E',
        'Н' | 'Η' => 'H',
        'І' | 'Ι' => 'I',
        'Ј' => 'J',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Ν' => 'N',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'Ѕ' => 'S',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'У' | 'Υ' => 'Y',
        'Ζ' => 'Z',
        _ => return None,
    })
}

fn is_cyrillic_or_greek(c: char) -> bool {
    // Greek and Coptic, then Cyrillic.
    matches!(c as u32, 0x0370..=0x04FF)
}

thread_local! {
    static CACHE: std::cell::RefCell<TokenCache> = std::cell::RefCell::new(TokenCache::default());
}

/// Runs `f` with this thread's token cache, borrowed once for a whole text.
pub(crate) fn with_cache<R>(f: impl FnOnce(&mut TokenCache) -> R) -> R {
    CACHE.with(|cache| match cache.try_borrow_mut() {
        Ok(mut cache) => f(&mut cache),
        // Nothing called while the cache is borrowed borrows it again; if that ever
        // changed, an empty cache is correct, only slower.
        Err(_) => f(&mut TokenCache::default()),
    })
}

/// Appends the match form of the display-form token `display[start..end]` to `matched`,
/// and its fold form to `folded` when given.
#[inline]
pub(crate) fn normalize_token(
    cache: &mut TokenCache,
    display: &str,
    (start, end): (usize, usize),
    matched: &mut String,
    folded: Option<&mut String>,
) {
    let src = &display[start..end];
    if src.is_ascii() {
        let from = matched.len();
        normalize_ascii(src, matched);
        if let Some(folded) = folded {
            folded.push_str(&matched[from..]);
        }
    } else {
        normalize_cached(cache, display, (start, end), matched, folded);
    }
}

/// The match form of an ASCII token: lowercase, elongation collapsed.
#[inline]
pub(crate) fn normalize_ascii(src: &str, out: &mut String) {
    let from = out.len();
    out.push_str(src);
    out[from..].make_ascii_lowercase();
    if has_long_ascii_run(&out.as_bytes()[from..]) {
        collapse_elongation(out, from, 3);
    }
}

/// Computes and caches the forms of a token with a non-ASCII character, which the cache
/// did not have, appending its match form to `matched`.
#[cold]
pub(crate) fn normalize_missed(
    cache: &mut TokenCache,
    display: &str,
    (start, end): (usize, usize),
    matched: &mut String,
) {
    let from = matched.len();
    normalize_uncached(&display[start..end], matched);
    let m = &matched[from..];
    let mut f = String::with_capacity(m.len());
    f.extend(m.chars().filter_map(fold_char));
    cache.put(display, start, end, m, &f);
}

/// [`normalize_token`] for a token with a non-ASCII character. News text repeats a few
/// thousand syllables: their forms are remembered per thread.
#[inline]
pub(crate) fn normalize_cached(
    cache: &mut TokenCache,
    display: &str,
    (start, end): (usize, usize),
    matched: &mut String,
    folded: Option<&mut String>,
) {
    if let Some((m, f)) = cache.get(display, start, end) {
        matched.push_str(m);
        if let Some(folded) = folded {
            folded.push_str(f);
        }
        return;
    }
    let from = matched.len();
    normalize_uncached(&display[start..end], matched);
    let m = &matched[from..];
    let mut f = String::with_capacity(m.len());
    f.extend(m.chars().filter_map(fold_char));
    cache.put(display, start, end, m, &f);
    if let Some(folded) = folded {
        folded.push_str(&f);
    }
}

/// Whether a lowercase ASCII token has a letter three times in a row (`tooo`).
pub(crate) fn has_long_ascii_run(token: &[u8]) -> bool {
    token.windows(3).any(|w| w[0] == w[1] && w[1] == w[2])
}

/// The match form of a token with a non-ASCII character, computed.
fn normalize_uncached(src: &str, out: &mut String) {
    let start = out.len();
    // The common case: ASCII and Vietnamese letters only.
    let mut plain = true;
    for c in src.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if let Some((base, tone)) = split_vowel(c) {
            out.push(crate::syllable::compose(base, tone));
        } else if c == 'đ' || c == 'Đ' {
            out.push('đ');
        } else {
            plain = false;
            break;
        }
    }
    if plain {
        finish_token(out, start);
        return;
    }
    out.truncate(start);
    // Fullwidth, mathematical and circled letters and ligatures first (NFKC), so that the
    // look-alike check below sees them as the Latin letters they are.
    let nfkc: String;
    let src = if src.chars().any(|c| {
        !c.is_ascii()
            && !is_vietnamese_letter(c)
            && !is_combining_mark(c)
            && !is_format(c)
            && !is_cyrillic_or_greek(c)
            && !matches!(c, 'Ð' | 'ð' | 'Ɖ' | 'ɖ')
    }) {
        nfkc = src.nfkc().collect();
        // Unless unfolding brings in separators (`Ŀ` is `L·`): the tokenizer would split
        // the result differently on a second pass.
        if nfkc.chars().all(|c| matches!(class(c), Class::Letter | Class::Digit | Class::Format)) {
            nfkc.as_str()
        } else {
            src
        }
    } else {
        src
    };
    let mut has_latin = false;
    let mut has_lookalike = false;
    for c in src.chars() {
        if c.is_ascii_alphabetic() || is_vietnamese_letter(c) || matches!(c, 'Ð' | 'ð' | 'Ɖ' | 'ɖ')
        {
            has_latin = true;
        } else if is_cyrillic_or_greek(c) {
            has_lookalike = true;
        }
    }
    let mut prev_d = false;
    for c in src.chars() {
        if is_format(c) {
            continue;
        }
        // Capitals whose lowercase is a look-alike (`Ϲ` → `ϲ`) are mapped through it, so a
        // second pass finds nothing left to map.
        let c = if has_latin && has_lookalike {
            latin_lookalike(c)
                .or_else(|| c.to_lowercase().next().and_then(latin_lookalike))
                .unwrap_or(c)
        } else {
            c
        };
        match c {
            // Look-alikes of Đ (Icelandic eth, African D) lowercase to letters that are not
            // Vietnamese, so they are mapped first: `ÐÀ NẴNG` becomes `đà nẵng`.
            'Ð' | 'ð' | 'Ɖ' | 'ɖ' | 'Đ' => out.push('đ'),
            // d with a combining stroke overlay is đ drawn by hand.
            '\u{335}' | '\u{336}' if prev_d => {
                out.pop();
                out.push('đ');
            }
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => match split_vowel(c) {
                Some((base, tone)) => out.push(crate::syllable::compose(base, tone)),
                None => out.extend(c.to_lowercase()),
            },
        }
        prev_d = matches!(c, 'd' | 'D');
    }
    // Lowercasing can leave decomposed sequences (a Cyrillic look-alike followed by a
    // combining mark becomes a Latin letter and a mark): compose them.
    if !out[start..].is_ascii()
        && unicode_normalization::is_nfc_quick(out[start..].chars())
            != unicode_normalization::IsNormalized::Yes
    {
        let composed: String = out[start..].nfc().collect();
        out.truncate(start);
        out.push_str(&composed);
    }
    finish_token(out, start);
}

/// Re-spells the lowercase token at `out[start..]`, or collapses its elongation.
fn finish_token(out: &mut String, start: usize) {
    if !respell_in_place(out, start) {
        let diacritics = !out[start..].is_ascii();
        let min = if diacritics { 2 } else { 3 };
        if has_long_run(&out[start..], min) {
            collapse_elongation(out, start, min);
        }
    }
}

/// Base letter for run detection: `á` and `a` are the same letter stretched.
fn base_letter(c: char) -> char {
    match split_vowel(c) {
        Some((b, _)) => crate::syllable::base_char(b),
        None => c,
    }
}

fn has_long_run(token: &str, min: usize) -> bool {
    let mut run = 0;
    let mut prev = '\0';
    for c in token.chars() {
        let b = base_letter(c);
        if b == prev {
            run += 1;
            if run >= min {
                return true;
            }
        } else {
            run = 1;
            prev = b;
        }
    }
    false
}

/// Collapses runs of at least `min` copies of a letter (keeping the first, which carries
/// the tone) when the result is a syllable: `quáaaa`, `khôngggg`, `nhiềuuu`, `thôii`.
/// Words such as `xoong`, `coffee` or `good` are left alone.
fn collapse_elongation(out: &mut String, start: usize, min: usize) {
    let token = &out[start..];
    if syllable::is_syllable(token) {
        return;
    }
    let chars: Vec<char> = token.chars().collect();
    let mut collapsed = String::with_capacity(token.len());
    let mut i = 0;
    while i < chars.len() {
        let b = base_letter(chars[i]);
        let mut j = i + 1;
        while j < chars.len() && base_letter(chars[j]) == b {
            j += 1;
        }
        // Keep the copy that carries a tone, if any.
        let keep = chars[i..j].iter().copied().find(|&c| c != b).unwrap_or(chars[i]);
        if j - i >= min {
            collapsed.push(keep);
        } else {
            collapsed.extend(&chars[i..j]);
        }
        i = j;
    }
    let ascii = collapsed.is_ascii();
    let mut candidate = collapsed;
    let ok =
        if ascii { syllable::is_syllable(&candidate) } else { respell_in_place(&mut candidate, 0) };
    if ok {
        out.truncate(start);
        out.push_str(&candidate);
    }
}

/// Splits display-form text into tokens with their match and fold forms.
pub fn tokenize(display: &str) -> Vec<Token> {
    // Syllables average under six bytes with their space.
    let mut tokens: Vec<Token> = Vec::with_capacity(display.len() / 6 + 1);
    with_cache(|cache| {
        scan(display, |start, end| {
            let position = match tokens.last() {
                None => 0,
                Some(prev) if breaks_sentence(&display[prev.end..start]) => {
                    prev.position + 1 + SENTENCE_GAP
                }
                Some(prev) => prev.position + 1,
            };
            let mut matched = String::with_capacity(end - start);
            let mut folded = String::with_capacity(end - start);
            normalize_token(cache, display, (start, end), &mut matched, Some(&mut folded));
            tokens.push(Token { start, end, matched, folded, position, unaccented: false });
        });
    });
    crate::unaccented::mark(display, &mut tokens);
    tokens
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

    fn matched(input: &str) -> Vec<String> {
        tokenize(input).into_iter().map(|t| t.matched).collect()
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

    #[test]
    fn letters_and_digits_split_on_a_single_switch() {
        assert_eq!(matched("covid19 H5N1 19ca F0"), ["covid", "19", "h5n1", "19", "ca", "f", "0"]);
    }

    #[test]
    fn sentence_breaks_leave_a_gap_in_positions() {
        let positions: Vec<usize> = tokenize("Bé bị sốt. Xuất huyết; nhẹ\nhơn 1.200 ca ở TP.HCM")
            .into_iter()
            .map(|t| t.position)
            .collect();
        let g = SENTENCE_GAP;
        assert_eq!(
            positions,
            [
                0,
                1,
                2,
                3 + g,
                4 + g,
                5 + 2 * g,
                6 + 3 * g,
                7 + 3 * g,
                8 + 3 * g,
                9 + 3 * g,
                10 + 3 * g,
                11 + 3 * g,
                12 + 3 * g
            ]
        );
    }

    #[test]
    fn the_inline_decoder_classifies_like_the_general_rule() {
        let mut text = String::new();
        for c in
            (0x80..0x3000).chain(0x1E00..0x2100).chain(0x1F300..0x1F400).filter_map(char::from_u32)
        {
            text.push(c);
        }
        let bytes = text.as_bytes();
        for (i, c) in text.char_indices() {
            assert_eq!(class_at(bytes, i), (class(c), c.len_utf8()), "{c:?}");
        }
    }

    #[test]
    fn emoticons_are_not_words() {
        assert_eq!(matched("đau quá :v thật =)) :vui"), ["đau", "quá", "thật", "vui"]);
    }

    #[test]
    fn format_characters_vanish_inside_words() {
        check("sốt\u{200B}xuất", &[("sốt\u{200B}xuất", "sốtxuất", "sotxuat")]);
        assert_eq!(matched("v\u{200B}a\u{200B}c\u{200B}x\u{200B}i\u{200B}n"), ["vacxin"]);
    }

    #[test]
    fn look_alikes_become_latin_inside_latin_words_only() {
        assert_eq!(matched("vаcxin ѵắс хіn"), ["vacxin", "vắc", "xin"]);
        assert_eq!(matched("Хин чао"), ["хин", "чао"]);
        assert_eq!(matched("Ðảm baỏ chất lựơng"), ["đảm", "bảo", "chất", "lượng"]);
        assert_eq!(matched("d\u{335}ường"), ["đường"]);
        // Found by fuzzing: a capital whose lowercase is a look-alike.
        assert_eq!(matched("\u{3f9}xin"), ["cxin"]);
        assert_eq!(matched("2\u{13f}2"), ["2\u{140}2"]);
    }

    #[test]
    fn compatibility_letters_unfold() {
        assert_eq!(matched("𝐯𝐚𝐜𝐱𝐢𝐧 ｖａｃｘｉｎ Ⓥⓐⓒⓧⓘⓝ"), ["vacxin", "vacxin", "vacxin"]);
    }

    #[test]
    fn tone_is_re_placed_and_elongation_collapsed() {
        assert_eq!(matched("Hòa bình, THỦY lợi, khỏe"), ["hoà", "bình", "thuỷ", "lợi", "khoẻ"]);
        assert_eq!(
            matched("quáaaa nhiềuuu khôngggg thôii điiiii"),
            ["quá", "nhiều", "không", "thôi", "đi"]
        );
        assert_eq!(matched("xoong coffee good tooo"), ["xoong", "coffee", "good", "to"]);
    }
}
