//! Optional views for recall on social-media text: teencode and abbreviations expanded,
//! misspellings by letter substitution fixed, obfuscated words rejoined, and a loose key.
//!
//! Views never rewrite the match form. They are alternatives attached to token positions,
//! so a rule or the index can match `không` where a post wrote `ko` and still highlight
//! the `ko` the reader sees.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::Token;
use crate::syllable::{is_syllable, respell_in_place, split_vowel};

/// Where an alternative comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AltKind {
    /// A teencode word, chat abbreviation or domain acronym (`ko`, `bs`, `sxh`).
    Teencode,
    /// A letter-substitution spelling (`kái` → `cái`, `fải` → `phải`, `khôg` → `không`).
    Spelling,
    /// A word typed with the Vietnamese keyboard switched off, read as Telex or VNI
    /// keystrokes (`tieengs` → `tiếng`, `dduwowcj` → `được`, `Vie65t` → `Việt`).
    Keystrokes,
    /// Single letters joined across one repeated separator (`v.a.c.x.i.n`, `t-i-ê-m`).
    Joined,
    /// Single letters separated by spaces (`v a c x i n`), as one compact string: only
    /// worth matching against long multi-syllable keywords.
    Spaced,
}

/// An alternative reading of one or more consecutive tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// Index of the first token it stands for.
    pub token: usize,
    /// Number of tokens it stands for.
    pub len: usize,
    /// Display-form byte range it covers.
    pub start: usize,
    /// End of that range.
    pub end: usize,
    /// The alternative in match form: syllables separated by spaces (or, for
    /// [`AltKind::Spaced`] and unparsed [`AltKind::Joined`] runs, letters without spaces).
    pub text: String,
    /// Where it comes from.
    pub kind: AltKind,
}

struct Entry {
    expansions: Vec<&'static str>,
    contextual: bool,
}

/// The teencode table, looked up once for every token of every text: a fast hasher, since
/// its keys are fixed and a text can only look them up.
type Dictionary = HashMap<&'static str, Entry, foldhash::fast::RandomState>;

fn dictionary() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| {
        let mut map = Dictionary::default();
        for line in include_str!("../data/teencode.tsv").lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(key), Some(exp)) = (cols.next(), cols.next()) else { continue };
            let contextual = cols.next() == Some("ctx");
            map.insert(key, Entry { expansions: exp.split('|').collect(), contextual });
        }
        map
    })
}

/// Whether a lowercase word is in the teencode list (`ko`, `dc`, `bs`).
pub(crate) fn is_teencode(word: &str) -> bool {
    dictionary().contains_key(word)
}

/// Number of entries in the teencode list.
pub fn teencode_entries() -> usize {
    dictionary().len()
}

const COUNTED: [&str; 14] = [
    "tiền", "tuổi", "ngày", "lâu", "người", "cái", "lần", "năm", "tháng", "kg", "km", "giờ",
    "phút", "con",
];

fn is_number(t: &Token) -> bool {
    t.matched.chars().all(|c| c.is_ascii_digit())
}

/// Expansions for an ambiguous entry from its neighbours; `None` when none applies.
fn in_context(key: &str, display: &str, tokens: &[Token], i: usize) -> Option<Vec<&'static str>> {
    let t = &tokens[i];
    let prev = i.checked_sub(1).map(|p| &tokens[p]);
    let next = tokens.get(i + 1);
    let glued_to_number = prev.is_some_and(|p| p.end == t.start && is_number(p));
    let raw = &display[t.start..t.end];
    match key {
        "k" if glued_to_number => Some(vec!["nghìn"]),
        "k" if raw == "K"
            && prev.is_some_and(|p| matches!(p.matched.as_str(), "bệnh" | "bị" | "mắc")) =>
        {
            Some(vec!["ung thư"])
        }
        "k" => Some(vec!["không"]),
        "h" if glued_to_number => Some(vec!["giờ"]),
        "p" if glued_to_number => Some(vec!["phút"]),
        "tr" if glued_to_number => Some(vec!["triệu"]),
        "đ" if glued_to_number => Some(vec!["đồng"]),
        "bn" if raw == "BN" && next.is_some_and(is_number) => Some(vec!["bệnh nhân"]),
        "bn" if next.is_some_and(|n| COUNTED.contains(&n.matched.as_str())) => {
            Some(vec!["bao nhiêu"])
        }
        "bn" => Some(vec!["bạn"]),
        // `MU vs Chelsea`: between two names it is English.
        "vs" => {
            let capital = |t: &Token| display[t.start..].starts_with(|c: char| c.is_uppercase());
            (!(prev.is_some_and(capital) && next.is_some_and(capital))).then(|| vec!["với"])
        }
        // `bit` is English unless Vietnamese surrounds it.
        "bit" => {
            let vi = |t: &Token| !t.matched.is_ascii() || is_syllable(&t.matched);
            (prev.is_some_and(vi) || next.is_some_and(vi)).then(|| vec!["biết"])
        }
        "v" if glued_to_number => None,
        // The first letter of `v.a.c.x.i.n` is not a word: the joined view covers it.
        "v" if next.is_some_and(|n| {
            n.matched.chars().count() == 1
                && n.start - t.end == 1
                && !display[t.end..n.start].starts_with(' ')
        }) =>
        {
            None
        }
        "v" => Some(vec!["vậy", "với"]),
        _ => None,
    }
}

/// Candidate re-spellings of a token that is not a syllable, by the substitutions people
/// make when typing fast: k→c, z→d/gi/v, j→gi, f→ph, w→qu, a final g for ng, h for nh.
fn respellings(token: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut try_push = |candidate: String| {
        let mut s = candidate;
        if respell_in_place(&mut s, 0) && !out.contains(&s) {
            out.push(s);
        }
    };
    let rest = |prefix: usize| &token[prefix..];
    if let Some(r) = token.strip_prefix('k')
        && r.chars().next().and_then(split_vowel).is_some_and(|(b, _)| matches!(b, 0..=2 | 6..=10))
    {
        try_push(format!("c{r}"));
    }
    if token.starts_with('z') {
        for onset in ["d", "gi", "v"] {
            try_push(format!("{onset}{}", rest(1)));
        }
    }
    if token.starts_with('j') {
        try_push(format!("gi{}", rest(1)));
    }
    if token.starts_with('f') {
        try_push(format!("ph{}", rest(1)));
    }
    if token.starts_with('w') {
        try_push(format!("qu{}", rest(1)));
    }
    if token.ends_with('g') && !token.ends_with("ng") {
        try_push(format!("{}ng", &token[..token.len() - 1]));
    }
    if token.ends_with('h') && !token.ends_with("nh") && !token.ends_with("ch") {
        try_push(format!("{}nh", &token[..token.len() - 1]));
    }
    out
}

/// Whether a substitution or keystroke reading could apply: a cheap filter before the
/// syllable check.
fn could_be_mistyped(token: &str) -> bool {
    let b = token.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else { return false };
    matches!(first, b'k' | b'z' | b'j' | b'f' | b'w')
        || (last == b'g' && !token.ends_with("ng"))
        || (last == b'h' && !token.ends_with("nh") && !token.ends_with("ch"))
        || (token.is_ascii()
            && (matches!(last, b's' | b'f' | b'r' | b'x' | b'j')
                || b.iter().any(|c| c.is_ascii_digit() || *c == b'w')
                || b.windows(2).any(|w| w[0] == w[1] && matches!(w[0], b'a' | b'e' | b'o' | b'd'))))
}

/// Teencode and spelling alternatives for every token that has one.
pub fn expansions(display: &str, tokens: &[Token]) -> Vec<Alternative> {
    let dict = dictionary();
    let mut alts = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let push = |alts: &mut Vec<Alternative>, text: String, kind| {
            alts.push(Alternative { token: i, len: 1, start: t.start, end: t.end, text, kind });
        };
        if let Some(entry) = dict.get(t.matched.as_str()) {
            let expansions = if entry.contextual {
                in_context(&t.matched, display, tokens, i).unwrap_or_default()
            } else {
                entry.expansions.clone()
            };
            for e in expansions {
                push(&mut alts, e.to_owned(), AltKind::Teencode);
            }
            continue;
        }
        // Only tokens that a substitution could concern are checked for validity.
        if could_be_mistyped(&t.matched) && !is_number(t) && !is_syllable(&t.matched) {
            for s in respellings(&t.matched) {
                push(&mut alts, s, AltKind::Spelling);
            }
            if let Some(s) = keystrokes(&t.matched) {
                push(&mut alts, s, AltKind::Keystrokes);
            }
        }
    }
    alts
}

/// Common English words that Telex keystrokes would read as Vietnamese syllables (`door`
/// → `dổ`, `noon` → `nôn`, `his` → `hí`): never decoded.
const ENGLISH: &[&str] = &[
    "agree", "air", "as", "bar", "bee", "been", "bees", "boss", "bow", "box", "bus", "car",
    "chair", "chef", "clear", "coffee", "cow", "day", "dear", "door", "fair", "far", "fee",
    "floor", "for", "four", "free", "gas", "hair", "has", "hay", "hear", "her", "his", "hour",
    "hours", "how", "is", "law", "low", "max", "may", "mix", "moon", "near", "new", "news", "noon",
    "nor", "now", "or", "our", "pair", "pay", "per", "play", "poor", "queen", "raw", "row", "saw",
    "say", "sea", "see", "seen", "sex", "show", "sir", "six", "soon", "star", "stay", "tax", "tea",
    "teen", "three", "tour", "tow", "tree", "us", "was", "way", "wow", "year", "yes",
];

/// Reads an ASCII token as Telex (`s f r x j` tones, `aa ee oo aw ow uw w dd`) or VNI
/// (digits 1–9) keystrokes; `Some` only when that gives a Vietnamese syllable.
fn keystrokes(token: &str) -> Option<String> {
    if !token.is_ascii() || token.len() < 2 || ENGLISH.binary_search(&token).is_ok() {
        return None;
    }
    let decoded = if token.bytes().any(|b| b.is_ascii_digit()) {
        vni_keys(token)?
    } else {
        telex_keys(token)?
    };
    let mut s = decoded;
    (respell_in_place(&mut s, 0) && s != token).then_some(s)
}

fn with_tone(letters: &mut [char], tone: u8) -> bool {
    // Put the tone on any vowel; re-spelling moves it to its proper place.
    for c in letters.iter_mut() {
        if let Some((base, 0)) = split_vowel(*c) {
            *c = crate::syllable::compose(base, tone);
            return true;
        }
    }
    false
}

fn telex_keys(token: &str) -> Option<String> {
    let mut chars: Vec<char> = token.chars().collect();
    let tone = match chars.last() {
        Some('s') => 1,
        Some('f') => 2,
        Some('r') => 3,
        Some('x') => 4,
        Some('j') => 5,
        _ => 0,
    };
    if tone > 0 {
        chars.pop();
    }
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    let mut changed = tone > 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let shaped = match (c, next) {
            ('d', Some('d')) => Some('đ'),
            ('a', Some('a')) => Some('â'),
            ('e', Some('e')) => Some('ê'),
            ('o', Some('o')) => Some('ô'),
            ('a', Some('w')) => Some('ă'),
            ('o', Some('w')) => Some('ơ'),
            ('u', Some('w')) => Some('ư'),
            _ => None,
        };
        if let Some(s) = shaped {
            out.push(s);
            i += 2;
            changed = true;
        } else if c == 'w' {
            out.push('ư');
            i += 1;
            changed = true;
        } else {
            out.push(c);
            i += 1;
        }
    }
    if !changed || (tone > 0 && !with_tone(&mut out, tone)) {
        return None;
    }
    Some(out.into_iter().collect())
}

fn vni_keys(token: &str) -> Option<String> {
    let mut out: Vec<char> = Vec::with_capacity(token.len());
    let mut tone = 0;
    for c in token.chars() {
        match c {
            '1'..='5' => tone = c as u8 - b'0',
            '6' | '7' | '8' => {
                let want: &[(char, char)] = match c {
                    '6' => &[('a', 'â'), ('e', 'ê'), ('o', 'ô')],
                    '7' => &[('o', 'ơ'), ('u', 'ư')],
                    _ => &[('a', 'ă')],
                };
                // The mark goes on the nearest matching vowel before it (both of `uo7`).
                let mut found = false;
                for k in (0..out.len()).rev() {
                    if let Some(&(_, to)) = want.iter().find(|(from, _)| *from == out[k]) {
                        out[k] = to;
                        found = true;
                        if c != '7' || k == 0 || out[k - 1] != 'u' {
                            break;
                        }
                    } else if found {
                        break;
                    }
                }
                if !found {
                    return None;
                }
            }
            '9' => {
                let k = out.iter().rposition(|&c| c == 'd')?;
                out[k] = 'đ';
            }
            '0' => return None,
            c => out.push(c),
        }
    }
    if tone > 0 && !with_tone(&mut out, tone) {
        return None;
    }
    Some(out.into_iter().collect())
}

fn single_letter(t: &Token) -> bool {
    let mut chars = t.matched.chars();
    chars.next().is_some_and(|c| c.is_alphabetic()) && chars.next().is_none()
}

/// Obfuscated words: runs of at least three single letters with one repeated separator
/// (`v.a.c.x.i.n`, `t-i-ê-m`, `v*a*c*x*i*n`) and runs of at least four single letters
/// separated by spaces (`v a c x i n`).
pub fn deobfuscations(display: &str, tokens: &[Token]) -> Vec<Alternative> {
    let mut alts = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if !single_letter(&tokens[i]) {
            i += 1;
            continue;
        }
        let sep_after = |k: usize| -> Option<&str> {
            let next = tokens.get(k + 1)?;
            single_letter(next).then(|| &display[tokens[k].end..next.start])
        };
        let Some(sep) = sep_after(i) else {
            i += 1;
            continue;
        };
        let joined_sep = matches!(sep, "." | "-" | "_" | "*" | "|" | "/");
        let spaced = sep == " ";
        if !joined_sep && !spaced {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while sep_after(j) == Some(sep) {
            j += 1;
        }
        let n = j - i + 1;
        if (joined_sep && n >= 3) || (spaced && n >= 4) {
            let mut letters: String = tokens[i..=j].iter().map(|t| t.matched.as_str()).collect();
            // A joined word may itself be a known spelling: `v.a.c.x.i.n` is `vắc xin`.
            if let Some(entry) = dictionary().get(letters.as_str()).filter(|e| !e.contextual) {
                letters = entry.expansions[0].to_owned();
            }
            let (text, kind) = if joined_sep {
                let mut s = letters.clone();
                if respell_in_place(&mut s, 0) {
                    (s, AltKind::Joined)
                } else {
                    (letters, AltKind::Joined)
                }
            } else {
                (letters, AltKind::Spaced)
            };
            alts.push(Alternative {
                token: i,
                len: n,
                start: tokens[i].start,
                end: tokens[j].end,
                text,
                kind,
            });
            i = j + 1;
        } else {
            i += 1;
        }
    }
    alts
}

/// The loose key of a folded token: a syllable-final single `y` after a consonant (or
/// `qu`) becomes `i`, so `ly`/`li`, `ky`/`ki`, `my`/`mi` and `quy`/`qui` meet. Low
/// precision: for recall queues, never for alerts.
pub fn loose_key(folded: &str) -> String {
    let b = folded.as_bytes();
    if b.len() >= 2 && b[b.len() - 1] == b'y' {
        let before = b[b.len() - 2];
        let consonant = before.is_ascii_alphabetic() && !b"aeiouy".contains(&before);
        if consonant || folded.ends_with("quy") {
            return format!("{}i", &folded[..folded.len() - 1]);
        }
    }
    folded.to_owned()
}

/// Every folded spelling the loose key merges with a folded syllable, the syllable itself
/// first: `ky` and `ki`, `ly` and `li`, `quy` and `qui`. A syllable without a final `i`/`y`
/// after a consonant has only itself.
pub fn loose_spellings(folded: &str) -> Vec<String> {
    let key = loose_key(folded);
    let Some(stem) = key.strip_suffix('i') else { return vec![folded.to_owned()] };
    let last = stem.bytes().last();
    let after_consonant = last.is_some_and(|b| b.is_ascii_alphabetic() && !b"aeiouy".contains(&b))
        || stem.ends_with("qu");
    if !after_consonant || !folded.is_ascii() {
        return vec![folded.to_owned()];
    }
    let mut out = vec![folded.to_owned()];
    for other in [format!("{stem}i"), format!("{stem}y")] {
        if other != folded {
            out.push(other);
        }
    }
    out
}

/// The other current spelling of a match-form syllable whose final vowel is `i` or `y`
/// with a tone mark after `h`, `k`, `l`, `m`, `qu`, `s` or `t`: `kỹ`/`kĩ`, `lý`/`lí`,
/// `Mỹ`/`Mĩ`, `tỷ`/`tỉ`, `quý`/`quí`, `kỳ`/`kì`, `sĩ`/`sỹ`. Both spellings of these are in
/// use for the same word (textbooks write `i`, the press mostly `y`). `None` for anything
/// else, and deliberately for `v` (`vi` and the name `Vy`) and for syllables without a tone,
/// which already compare on the fold form.
pub fn iy_variant(matched: &str) -> Option<String> {
    let mut chars = matched.chars();
    let last = chars.next_back()?;
    let onset = chars.as_str();
    if !matches!(onset, "h" | "k" | "l" | "m" | "qu" | "s" | "t") {
        return None;
    }
    let (base, tone) = split_vowel(last)?;
    // Base indices: 5 is `i`, 11 is `y`.
    let other = match base {
        5 => 11,
        11 => 5,
        _ => return None,
    };
    if tone == 0 || crate::syllable::compose(base, tone) != last {
        return None;
    }
    Some(format!("{onset}{}", crate::syllable::compose(other, tone)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize;

    #[test]
    fn loose_spellings_pair_final_i_and_y_after_a_consonant() {
        assert_eq!(loose_spellings("ky"), ["ky", "ki"]);
        assert_eq!(loose_spellings("ki"), ["ki", "ky"]);
        assert_eq!(loose_spellings("quy"), ["quy", "qui"]);
        assert_eq!(loose_spellings("thuat"), ["thuat"]);
        assert_eq!(loose_spellings("tuy"), ["tuy"]);
        assert_eq!(loose_spellings("y"), ["y"]);
        assert_eq!(loose_spellings("hai"), ["hai"]);
    }

    #[test]
    fn accented_i_and_y_variants_are_the_current_pairs_only() {
        for (a, b) in [
            ("kỹ", "kĩ"),
            ("lý", "lí"),
            ("mỹ", "mĩ"),
            ("tỷ", "tỉ"),
            ("quý", "quí"),
            ("kỳ", "kì"),
            ("sĩ", "sỹ"),
            ("hỷ", "hỉ"),
        ] {
            assert_eq!(iy_variant(a).as_deref(), Some(b), "{a}");
            assert_eq!(iy_variant(b).as_deref(), Some(a), "{b}");
        }
        for s in ["vì", "vĩ", "ly", "hy", "thì", "chỉ", "tuỳ", "ý", "kìa", "Mỹ"] {
            assert_eq!(iy_variant(s), None, "{s}");
        }
    }

    fn expand(text: &str) -> Vec<(String, String)> {
        let tokens = tokenize(text);
        expansions(text, &tokens)
            .into_iter()
            .map(|a| (text[a.start..a.end].to_owned(), a.text))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn list_size_is_within_the_curated_range() {
        let n = teencode_entries();
        assert!((150..=300).contains(&n), "{n}");
    }

    #[test]
    fn teencode_expands_at_the_same_position() {
        assert_eq!(
            expand("mn ơi bs nói ko dc uống thuốc này"),
            pairs(&[("mn", "mọi người"), ("bs", "bác sĩ"), ("ko", "không"), ("dc", "được")])
        );
    }

    #[test]
    fn ambiguous_entries_follow_their_context() {
        assert_eq!(expand("giá 50k"), pairs(&[("k", "nghìn")]));
        assert_eq!(expand("bà bị bệnh K"), pairs(&[("K", "ung thư")]));
        assert_eq!(expand("k biết"), pairs(&[("k", "không")]));
        assert_eq!(expand("bn tiền"), pairs(&[("bn", "bao nhiêu")]));
        assert_eq!(expand("BN 1234 tử vong"), pairs(&[("BN", "bệnh nhân")]));
        assert_eq!(expand("cảm ơn bn"), pairs(&[("bn", "bạn")]));
        assert_eq!(expand("MU vs Chelsea"), pairs(&[]));
        assert_eq!(expand("đi vs mẹ"), pairs(&[("vs", "với")]));
        assert_eq!(expand("họp lúc 9h"), pairs(&[("h", "giờ")]));
        assert_eq!(expand("đau quá :v"), pairs(&[]));
    }

    #[test]
    fn letter_substitutions_are_repaired() {
        assert_eq!(
            expand("kái này fải uống jờ nào, wá khôg tìh"),
            pairs(&[
                ("kái", "cái"),
                ("fải", "phải"),
                ("jờ", "giờ"),
                ("wá", "quá"),
                ("khôg", "không"),
                ("tìh", "tình")
            ])
        );
        assert_eq!(expand("coffee week door"), pairs(&[]));
    }

    #[test]
    fn keystrokes_typed_without_the_vietnamese_keyboard_are_read() {
        assert_eq!(
            expand("tieengs Vieetj dduwowcj thuoocs nhw Vie65t ngu7o7i2"),
            pairs(&[
                ("tieengs", "tiếng"),
                ("Vieetj", "việt"),
                ("dduwowcj", "được"),
                ("thuoocs", "thuốc"),
                ("nhw", "như"),
                ("Vie65t", "việt"),
                ("ngu7o7i2", "người")
            ])
        );
        assert_eq!(expand("week door saw off see good noon his was tax"), pairs(&[]));
        assert!(
            super::ENGLISH.windows(2).all(|w| w[0] < w[1]),
            "the English list must stay sorted"
        );
    }

    #[test]
    fn obfuscated_words_are_joined() {
        let text = "tiêm v.a.c.x.i.n và t-i-ê-m thử v a c x i n, a e k đi";
        let tokens = tokenize(text);
        let got: Vec<(String, String, AltKind)> = deobfuscations(text, &tokens)
            .into_iter()
            .map(|a| (text[a.start..a.end].to_owned(), a.text, a.kind))
            .collect();
        assert_eq!(
            got,
            [
                ("v.a.c.x.i.n".to_owned(), "vắc xin".to_owned(), AltKind::Joined),
                ("t-i-ê-m".to_owned(), "tiêm".to_owned(), AltKind::Joined),
                ("v a c x i n".to_owned(), "vắc xin".to_owned(), AltKind::Spaced),
            ]
        );
    }

    #[test]
    fn loose_key_merges_final_i_and_y() {
        assert_eq!(loose_key("ly"), "li");
        assert_eq!(loose_key("ky"), "ki");
        assert_eq!(loose_key("quy"), "qui");
        assert_eq!(loose_key("tuy"), "tuy");
        assert_eq!(loose_key("vi"), "vi");
        assert_eq!(loose_key("hay"), "hay");
    }
}
