//! Repair of Vietnamese that went through a legacy encoding or the wrong decoder: UTF-8
//! read as Windows-1252 (mojibake), TCVN3 (ABC, `.VnTime` fonts) and VNI-Windows, each
//! read as Windows-1252.
//!
//! Every repair is gated per paragraph: it is applied only when enough words change and
//! nearly all of the changed words become valid Vietnamese syllables, so French or Spanish
//! text (which is also Latin-1) is never touched.

use std::borrow::Cow;

use crate::syllable::is_syllable;

/// Windows-1252 bytes 0x80..=0x9F and the characters they decode to. The five bytes the
/// code page leaves undefined decode to the C1 control of the same value.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

pub(crate) fn cp1252_byte(c: char) -> Option<u8> {
    let code = c as u32;
    if code < 0x80 || (0xA0..=0xFF).contains(&code) {
        return Some(code as u8);
    }
    CP1252_HIGH.iter().position(|&h| h == c).map(|i| 0x80 + i as u8)
}

/// TCVN3 as read through Windows-1252: the character each byte shows up as, and the
/// Vietnamese letter it stands for.
const TCVN3: [(char, char); 74] = [
    ('¡', 'Ă'),
    ('¢', 'Â'),
    ('£', 'Ê'),
    ('¤', 'Ô'),
    ('¥', 'Ơ'),
    ('¦', 'Ư'),
    ('§', 'Đ'),
    ('¨', 'ă'),
    ('©', 'â'),
    ('ª', 'ê'),
    ('«', 'ô'),
    ('¬', 'ơ'),
    ('\u{AD}', 'ư'),
    ('®', 'đ'),
    ('µ', 'à'),
    ('¶', 'ả'),
    ('·', 'ã'),
    ('¸', 'á'),
    ('¹', 'ạ'),
    ('»', 'ằ'),
    ('¼', 'ẳ'),
    ('½', 'ẵ'),
    ('¾', 'ắ'),
    ('Æ', 'ặ'),
    ('Ç', 'ầ'),
    ('È', 'ẩ'),
    ('É', 'ẫ'),
    ('Ê', 'ấ'),
    ('Ë', 'ậ'),
    ('Ì', 'è'),
    ('Î', 'ẻ'),
    ('Ï', 'ẽ'),
    ('Ð', 'é'),
    ('Ñ', 'ẹ'),
    ('Ò', 'ề'),
    ('Ó', 'ể'),
    ('Ô', 'ễ'),
    ('Õ', 'ế'),
    ('Ö', 'ệ'),
    ('×', 'ì'),
    ('Ø', 'ỉ'),
    ('Ü', 'ĩ'),
    ('Ý', 'í'),
    ('Þ', 'ị'),
    ('ß', 'ò'),
    ('á', 'ỏ'),
    ('â', 'õ'),
    ('ã', 'ó'),
    ('ä', 'ọ'),
    ('å', 'ồ'),
    ('æ', 'ổ'),
    ('ç', 'ỗ'),
    ('è', 'ố'),
    ('é', 'ộ'),
    ('ê', 'ờ'),
    ('ë', 'ở'),
    ('ì', 'ỡ'),
    ('í', 'ớ'),
    ('î', 'ợ'),
    ('ï', 'ù'),
    ('ñ', 'ủ'),
    ('ò', 'ũ'),
    ('ó', 'ú'),
    ('ô', 'ụ'),
    ('õ', 'ừ'),
    ('ö', 'ử'),
    ('÷', 'ữ'),
    ('ø', 'ứ'),
    ('ù', 'ự'),
    ('ú', 'ỳ'),
    ('û', 'ỷ'),
    ('ü', 'ỹ'),
    ('ý', 'ý'),
    ('þ', 'ỵ'),
];

fn tcvn3(c: char) -> Option<char> {
    TCVN3.iter().find(|&&(k, _)| k == c).map(|&(_, v)| v)
}

/// VNI-Windows modifier bytes (as Windows-1252 characters, lowercase form) and the marks
/// they add: (shape, tone) with shape 1 = circumflex, 2 = breve, and tone 1..=5 as in
/// sắc, huyền, hỏi, ngã, nặng.
const VNI_MODIFIERS: [(char, u8, u8); 18] = [
    ('ù', 0, 1),
    ('ø', 0, 2),
    ('û', 0, 3),
    ('õ', 0, 4),
    ('ï', 0, 5),
    ('â', 1, 0),
    ('á', 1, 1),
    ('à', 1, 2),
    ('å', 1, 3),
    ('ã', 1, 4),
    ('ä', 1, 5),
    ('ê', 2, 0),
    ('é', 2, 1),
    ('è', 2, 2),
    ('ú', 2, 3),
    ('ü', 2, 4),
    ('ë', 2, 5),
    ('î', 0, 5),
];

const TONE_MARKS: [char; 5] = ['\u{301}', '\u{300}', '\u{309}', '\u{303}', '\u{323}'];

fn vni_modifier(c: char) -> Option<(u8, u8)> {
    let lower = c.to_lowercase().next().unwrap_or(c);
    VNI_MODIFIERS.iter().find(|m| m.0 == lower).map(|m| (m.1, m.2))
}

/// VNI letters that take one byte: ơ, ư, đ and the toned i (lowercase forms).
fn vni_single(c: char) -> Option<char> {
    Some(match c {
        'ô' => 'ơ',
        'ö' => 'ư',
        'ñ' => 'đ',
        'í' => 'í',
        'ì' => 'ì',
        'æ' => 'ỉ',
        'ó' => 'ĩ',
        'ò' => 'ị',
        _ => return None,
    })
}

/// Decodes VNI text read as Windows-1252: a base letter followed by a modifier byte, or a
/// single-byte letter optionally followed by a tone byte.
fn vni(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let lower = c.to_lowercase().next().unwrap_or(c);
        let upper = c != lower;
        if matches!(lower, 'a' | 'e' | 'o' | 'u' | 'y')
            && let Some(&m) = chars.peek()
            && let Some((shape, tone)) = vni_modifier(m)
            && shape_fits(lower, shape)
            && (m.to_lowercase().next() != Some('î') || lower == 'y')
        {
            chars.next();
            out.push(c);
            match shape {
                1 => out.push('\u{302}'),
                2 => out.push('\u{306}'),
                _ => {}
            }
            if tone > 0 {
                out.push(TONE_MARKS[tone as usize - 1]);
            }
            continue;
        }
        if let Some(letter) = vni_single(lower) {
            out.extend(if upper { letter.to_uppercase().next() } else { Some(letter) });
            if matches!(letter, 'ơ' | 'ư')
                && let Some(&m) = chars.peek()
                && let Some((0, tone)) = vni_modifier(m)
                && tone > 0
            {
                chars.next();
                out.push(TONE_MARKS[tone as usize - 1]);
            }
            continue;
        }
        out.push(c);
    }
    out.nfc().collect()
}

fn shape_fits(base: char, shape: u8) -> bool {
    match shape {
        1 => matches!(base.to_ascii_lowercase(), 'a' | 'e' | 'o'),
        2 => base.eq_ignore_ascii_case(&'a'),
        _ => true,
    }
}

/// Re-encodes a word as Windows-1252 and decodes it as UTF-8; `None` unless that works and
/// gives something else.
fn unmojibake_word(word: &str) -> Option<String> {
    if word.is_ascii() {
        return None;
    }
    let bytes: Option<Vec<u8>> = word.chars().map(cp1252_byte).collect();
    let fixed = String::from_utf8(bytes?).ok()?;
    (fixed != word).then_some(fixed)
}

fn unmojibake(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (k, word) in text.split(' ').enumerate() {
        if k > 0 {
            out.push(' ');
        }
        match unmojibake_word(word) {
            Some(fixed) => out.push_str(&fixed),
            None => out.push_str(word),
        }
    }
    out
}

fn untcvn3(text: &str) -> String {
    text.chars().map(|c| tcvn3(c).unwrap_or(c)).collect()
}

/// Whether every alphabetic piece of `word` is a Vietnamese syllable.
fn word_is_vietnamese(word: &str) -> bool {
    let mut any = false;
    for piece in word.split(|c: char| !c.is_alphabetic()).filter(|p| !p.is_empty()) {
        let lower: String = unicode_normalization::UnicodeNormalization::nfc(piece.chars())
            .flat_map(char::to_lowercase)
            .collect();
        if !is_syllable(&lower) {
            return false;
        }
        any = true;
    }
    any
}

/// Applies `convert` to the paragraph when at least 30% of its words change and at least
/// 90% of the changed words become Vietnamese.
fn gated(paragraph: &str, convert: impl Fn(&str) -> String) -> Option<String> {
    let mut words = 0;
    let mut changed = 0;
    let mut valid = 0;
    for word in paragraph.split_whitespace() {
        words += 1;
        let c = convert(word);
        if c != word {
            changed += 1;
            if word_is_vietnamese(&c) {
                valid += 1;
            }
        }
    }
    let ok = changed > 0 && changed * 10 >= words * 3 && valid * 10 >= changed * 9;
    ok.then(|| convert(paragraph))
}

/// Characters that never appear in Unicode Vietnamese but do in text from a legacy
/// encoding read as Windows-1252.
fn suspicious(text: &str) -> bool {
    let mut prev = '\0';
    for c in text.chars() {
        let code = c as u32;
        if (0x80..=0xFF).contains(&code) && !is_vietnamese_latin1(c) && c != '\u{A0}' {
            return true;
        }
        // `Ã` and `á` are Vietnamese, but not before a continuation-byte character.
        if matches!(prev, 'Ã' | 'Â' | 'á' | 'Ä' | 'Æ')
            && (cp1252_byte(c).is_some_and(|b| (0x80..=0xBF).contains(&b)) && !c.is_ascii())
        {
            return true;
        }
        prev = c;
    }
    false
}

pub(crate) fn is_vietnamese_latin1(c: char) -> bool {
    matches!(
        c,
        'À' | 'Á'
            | 'Â'
            | 'Ã'
            | 'È'
            | 'É'
            | 'Ê'
            | 'Ì'
            | 'Í'
            | 'Ò'
            | 'Ó'
            | 'Ô'
            | 'Õ'
            | 'Ù'
            | 'Ú'
            | 'Ý'
            | 'à'
            | 'á'
            | 'â'
            | 'ã'
            | 'è'
            | 'é'
            | 'ê'
            | 'ì'
            | 'í'
            | 'ò'
            | 'ó'
            | 'ô'
            | 'õ'
            | 'ù'
            | 'ú'
            | 'ý'
    )
}

fn has_unicode_vietnamese(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(
            c as u32,
            0x102 | 0x103 | 0x110 | 0x111 | 0x1A0 | 0x1A1 | 0x1AF | 0x1B0 | 0x1EA0..=0x1EF9
        )
    })
}

/// Whether ASCII text carries a VIQR mark: a vowel followed by `^`, `(` or `+`. Plain ASCII
/// rarely does, and the paragraph gate rejects what is not Vietnamese.
fn viqr_marks(text: &str) -> bool {
    text.as_bytes().windows(2).any(|w| {
        matches!(w[0] | 0x20, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
            && matches!(w[1], b'^' | b'(' | b'+')
    })
}

/// Decodes VIQR (Vietnamese written in ASCII: `Vie^.t Nam`, `ngu+o+\`i`, `dd` for đ).
/// A `.` or `?` tone must be followed by a letter, since at the end of a word it is
/// punctuation; `\` keeps the next character literal.
fn viqr(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let lower = c.to_ascii_lowercase();
        if c == '\\' && i + 1 < chars.len() {
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if lower == 'd' && chars.get(i + 1).is_some_and(|n| n.eq_ignore_ascii_case(&'d')) {
            out.push(if c.is_ascii_uppercase() { 'Đ' } else { 'đ' });
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
        if !matches!(lower, 'a' | 'e' | 'i' | 'o' | 'u' | 'y') {
            continue;
        }
        let shape = match (lower, chars.get(i)) {
            ('a' | 'e' | 'o', Some('^')) => Some('\u{302}'),
            ('a', Some('(')) => Some('\u{306}'),
            ('o' | 'u', Some('+')) => Some('\u{31B}'),
            _ => None,
        };
        if let Some(mark) = shape {
            out.push(mark);
            i += 1;
        }
        // `.` and `?` are tones inside a word, or after a shape mark before the next word
        // (`Bo^. Y te^'`); otherwise they are punctuation.
        let letter_after = |k: usize| chars.get(k).is_some_and(|c| c.is_ascii_alphabetic());
        let word_after = |k: usize| chars.get(k) == Some(&' ') && letter_after(k + 1);
        let ambiguous_tone =
            |k: usize| letter_after(k + 1) || (shape.is_some() && word_after(k + 1));
        let tone = match chars.get(i) {
            Some('\'') => Some('\u{301}'),
            Some('`') => Some('\u{300}'),
            Some('~') => Some('\u{303}'),
            Some('?') if ambiguous_tone(i) => Some('\u{309}'),
            Some('.') if ambiguous_tone(i) => Some('\u{323}'),
            _ => None,
        };
        if let Some(mark) = tone {
            out.push(mark);
            i += 1;
        }
    }
    out.nfc().collect()
}

/// Repairs every paragraph that is recognisably mojibake, TCVN3, VNI or VIQR.
pub(crate) fn repair(text: &str) -> Cow<'_, str> {
    if !needs_look(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for (k, paragraph) in text.split('\n').enumerate() {
        if k > 0 {
            out.push('\n');
        }
        let fixed = repair_paragraph(paragraph);
        changed |= fixed.is_some();
        out.push_str(fixed.as_deref().unwrap_or(paragraph));
    }
    if changed { Cow::Owned(out) } else { Cow::Borrowed(text) }
}

/// Whether a repair could apply: VIQR marks in ASCII text, or characters from a legacy
/// encoding read as Windows-1252 in the rest.
fn needs_look(text: &str) -> bool {
    if text.is_ascii() { viqr_marks(text) } else { suspicious(text) }
}

fn repair_paragraph(p: &str) -> Option<String> {
    if !needs_look(p) {
        return None;
    }
    if p.is_ascii() {
        return gated(p, viqr);
    }
    if let Some(fixed) = gated(p, unmojibake) {
        return Some(fixed);
    }
    // Text from TCVN3 or VNI has only Latin-1 letters; real Vietnamese in it means the
    // odd characters are something else.
    if has_unicode_vietnamese(p) {
        return None;
    }
    gated(p, untcvn3).or_else(|| gated(p, vni))
}

#[cfg(test)]
mod tests {
    use super::repair;

    #[test]
    fn mojibake_is_reversed() {
        assert_eq!(repair("Viá»‡t Nam khÃ´ng Ä‘Æ°á»£c"), "Việt Nam không được");
        assert_eq!(repair("HÃ\u{A0} Ná»™i"), "Hà Nội");
    }

    #[test]
    fn tcvn3_is_decoded() {
        assert_eq!(repair("ViÖt Nam"), "Việt Nam");
        assert_eq!(
            repair("Hµ Néi: sèt xuÊt huyÕt, ng\u{AD}êi ®\u{AD}îc"),
            "Hà Nội: sốt xuất huyết, người được"
        );
    }

    #[test]
    fn vni_is_decoded() {
        assert_eq!(repair("Vieät Nam"), "Việt Nam");
        assert_eq!(
            repair("Haø Noäi: soát xuaát huyeát, ngöôøi ñöôïc"),
            "Hà Nội: sốt xuất huyết, người được"
        );
    }

    #[test]
    fn viqr_is_decoded() {
        assert_eq!(repair("Vie^.t Nam"), "Việt Nam");
        assert_eq!(
            repair("ngu+o+`i da^n ddu+o+.c kha'm be^.nh, kho^ng?"),
            "người dân được khám bệnh, không?"
        );
        assert_eq!(repair("C++ (a^b) is fine"), "C++ (a^b) is fine");
    }

    #[test]
    fn other_languages_and_real_vietnamese_are_left_alone() {
        for text in [
            "Le médecin a déjà prévenu l'hôpital à Genève",
            "El niño comió piñas en el año nuevo",
            "Sốt xuất huyết tăng ở Hà Nội",
            "NGÃ BA ĐỒNG LỘC — Ông Ã Văn",
            "Giá 50.000đ © 2024 «Tin tức»",
        ] {
            assert_eq!(repair(text), text);
        }
    }
}
