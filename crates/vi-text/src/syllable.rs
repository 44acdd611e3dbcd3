//! Vietnamese syllables: onset, nucleus and coda, spelling repair, validity and tone
//! placement in the new style (`hoà`, `khoẻ`, `thuỷ`).
//!
//! Tone placement is computed from the parsed syllable, never looked up in a table of
//! spellings: tables are what turn `hoàn` into `hòan` and `quý` into `qúy` in other tools.

use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// Vowel letters with their shape marks, without tone. Indexes into the tables below.
const BASES: [char; 12] = ['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'];
/// Tone marks in the order sắc, huyền, hỏi, ngã, nặng (tone 1..=5; 0 is ngang).
const TONE_MARKS: [char; 5] = ['\u{301}', '\u{300}', '\u{309}', '\u{303}', '\u{323}'];

/// The longest syllable has seven letters (`nghiêng`); anything longer is not one.
const MAX_LETTERS: usize = 8;

struct Tables {
    /// `compose[base][tone]`: the precomposed lowercase letter.
    compose: [[char; 6]; 12],
    /// For U+00C0..=U+1EF9: `base + 1` in the low nibble and the tone in the high nibble,
    /// or 0 when the character is not a Vietnamese vowel. Both cases are recorded.
    decompose: Vec<u8>,
}

const TABLE_START: u32 = 0xC0;
const TABLE_END: u32 = 0x1EF9;

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut compose = [['\0'; 6]; 12];
        let mut decompose = vec![0u8; (TABLE_END - TABLE_START + 1) as usize];
        for (b, &base) in BASES.iter().enumerate() {
            compose[b][0] = base;
            for (t, &mark) in TONE_MARKS.iter().enumerate() {
                let composed: String = [base, mark].iter().collect::<String>().nfc().collect();
                let mut chars = composed.chars();
                let c = chars.next().unwrap_or(base);
                debug_assert!(chars.next().is_none(), "{base}+{mark:?} has no precomposed form");
                compose[b][t + 1] = c;
            }
            for (t, &lower) in compose[b].iter().enumerate() {
                for c in std::iter::once(lower).chain(lower.to_uppercase()) {
                    let code = c as u32;
                    if (TABLE_START..=TABLE_END).contains(&code) {
                        decompose[(code - TABLE_START) as usize] = (b as u8 + 1) | ((t as u8) << 4);
                    }
                }
            }
        }
        Tables { compose, decompose }
    })
}

/// Splits a vowel letter (either case) into its base index in [`BASES`] and its tone.
pub(crate) fn split_vowel(c: char) -> Option<(u8, u8)> {
    match c {
        'a' | 'A' => Some((0, 0)),
        'e' | 'E' => Some((3, 0)),
        'i' | 'I' => Some((5, 0)),
        'o' | 'O' => Some((6, 0)),
        'u' | 'U' => Some((9, 0)),
        'y' | 'Y' => Some((11, 0)),
        _ if c.is_ascii() => None,
        _ => {
            let code = c as u32;
            if !(TABLE_START..=TABLE_END).contains(&code) {
                return None;
            }
            let v = tables().decompose[(code - TABLE_START) as usize];
            (v != 0).then(|| ((v & 0x0F) - 1, v >> 4))
        }
    }
}

/// Whether `c` is a letter of the Vietnamese alphabet (either case, any tone), including
/// the letters only loanwords use (`f j w z`).
pub(crate) fn is_vietnamese_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, 'đ' | 'Đ') || split_vowel(c).is_some()
}

/// The toneless letter of a base index from [`split_vowel`].
pub(crate) fn base_char(base: u8) -> char {
    BASES[base as usize]
}

/// The ASCII letter a base index from [`split_vowel`] folds to.
pub(crate) fn base_ascii(base: u8) -> char {
    BASES_ASCII[base as usize]
}

const BASES_ASCII: [char; 12] = ['a', 'a', 'a', 'e', 'e', 'i', 'o', 'o', 'o', 'u', 'u', 'y'];

/// The lowercase letter for a base index and tone from [`split_vowel`].
pub(crate) fn compose(base: u8, tone: u8) -> char {
    tables().compose[base as usize][tone as usize]
}

// Base indices, for readability of the rules below.
const A: u8 = 0;
const A_BREVE: u8 = 1;
const A_CIRC: u8 = 2;
const E: u8 = 3;
const E_CIRC: u8 = 4;
const I: u8 = 5;
const O: u8 = 6;
const O_CIRC: u8 = 7;
const O_HORN: u8 = 8;
const U: u8 = 9;
const U_HORN: u8 = 10;
const Y: u8 = 11;

fn has_shape(b: u8) -> bool {
    matches!(b, A_BREVE | A_CIRC | E_CIRC | O_CIRC | O_HORN | U_HORN)
}

/// One letter of a syllable being parsed: a consonant, or a vowel base with its tone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Letter {
    Consonant(char),
    Vowel(u8),
}

/// Nuclei, written with base letters. Built once from strings so the lists stay readable.
struct Nuclei {
    open_only: Vec<Vec<u8>>,
    closed_only: Vec<Vec<u8>>,
    either: Vec<Vec<u8>>,
}

fn nuclei() -> &'static Nuclei {
    static NUCLEI: OnceLock<Nuclei> = OnceLock::new();
    NUCLEI.get_or_init(|| {
        let parse = |list: &str| -> Vec<Vec<u8>> {
            list.split_whitespace()
                .map(|n| n.chars().map(|c| split_vowel(c).map_or(u8::MAX, |(b, _)| b)).collect())
                .collect()
        };
        Nuclei {
            open_only: parse(
                "ai ao au ay âu ây eo êu ia iu oi ôi ơi ui ưi ưu ua ưa oai oao oay oeo uây uôi \
                 uya uyu ươi ươu iêu yêu uơ",
            ),
            closed_only: parse("ă â iê yê uô ươ uyê oă uâ oo"),
            either: parse("a e ê i o ô ơ u ư y oa oe uê uy"),
        }
    })
}

const EITHER: u8 = 1;
const OPEN_ONLY: u8 = 2;
const CLOSED_ONLY: u8 = 4;

/// Nucleus validity as flags indexed by [`nucleus_key`], exact and with shapes folded, so a
/// check is one load instead of a walk over the lists.
struct NucleusTables {
    exact: Vec<u8>,
    folded: Vec<u8>,
}

fn nucleus_key(bases: impl Iterator<Item = u8>) -> usize {
    let mut key = 0usize;
    let mut len = 0;
    for b in bases {
        key |= (b as usize & 0xF) << (2 + 4 * len);
        len += 1;
    }
    key | len.min(3)
}

fn nucleus_tables() -> &'static NucleusTables {
    static TABLES: OnceLock<NucleusTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let lists = nuclei();
        let mut exact = vec![0u8; 1 << 14];
        let mut folded = vec![0u8; 1 << 14];
        for (list, flag) in [
            (&lists.either, EITHER),
            (&lists.open_only, OPEN_ONLY),
            (&lists.closed_only, CLOSED_ONLY),
        ] {
            for n in list {
                exact[nucleus_key(n.iter().copied())] |= flag;
                folded[nucleus_key(n.iter().map(|&b| fold_base(b)))] |= flag;
            }
        }
        NucleusTables { exact, folded }
    })
}

/// Up to three vowel bases, without allocating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Nucleus {
    bases: [u8; 3],
    len: u8,
}

impl Nucleus {
    fn push(&mut self, b: u8) {
        self.bases[self.len as usize] = b;
        self.len += 1;
    }

    fn len(&self) -> usize {
        self.len as usize
    }
}

impl std::ops::Deref for Nucleus {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bases[..self.len as usize]
    }
}

impl std::ops::DerefMut for Nucleus {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.bases[..self.len as usize]
    }
}

/// A parsed syllable, lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Syllable {
    onset: &'static str,
    nucleus: Nucleus,
    coda: &'static str,
    tone: u8,
}

/// The onset spelled by exactly these consonants (`qu` and `gi` are handled apart).
fn onset_of(cons: &[char]) -> Option<&'static str> {
    Some(match cons {
        [] => "",
        ['n', 'g', 'h'] => "ngh",
        ['n', 'g'] => "ng",
        ['n', 'h'] => "nh",
        ['c', 'h'] => "ch",
        ['g', 'h'] => "gh",
        ['k', 'h'] => "kh",
        ['p', 'h'] => "ph",
        ['t', 'h'] => "th",
        ['t', 'r'] => "tr",
        ['b'] => "b",
        ['c'] => "c",
        ['d'] => "d",
        ['đ'] => "đ",
        ['g'] => "g",
        ['h'] => "h",
        ['k'] => "k",
        ['l'] => "l",
        ['m'] => "m",
        ['n'] => "n",
        ['p'] => "p",
        ['r'] => "r",
        ['s'] => "s",
        ['t'] => "t",
        ['v'] => "v",
        ['x'] => "x",
        _ => return None,
    })
}

fn coda_of(cons: &[char]) -> Option<&'static str> {
    Some(match cons {
        [] => "",
        ['c', 'h'] => "ch",
        ['n', 'h'] => "nh",
        ['n', 'g'] => "ng",
        ['c'] => "c",
        ['m'] => "m",
        ['n'] => "n",
        ['p'] => "p",
        ['t'] => "t",
        _ => return None,
    })
}

fn consonants(letters: &[Letter]) -> Option<([char; 3], usize)> {
    let mut buf = ['\0'; 3];
    let mut n = 0;
    for l in letters {
        match l {
            Letter::Consonant(c) if n < 3 => {
                buf[n] = *c;
                n += 1;
            }
            Letter::Consonant(_) => return None,
            Letter::Vowel(_) => break,
        }
    }
    Some((buf, n))
}

impl Syllable {
    /// Parses a lowercase token, repairing the spelling mistakes that have one reading
    /// (`nghành`, `nuớc`, a tone typed twice). Returns `None` when the token is not a
    /// Vietnamese syllable. With `folded`, the text has no diacritics (shapes and tones
    /// are unknown), so only the letter structure is checked.
    pub(crate) fn parse(token: &str, folded: bool) -> Option<Syllable> {
        let mut letters = [Letter::Consonant('\0'); MAX_LETTERS];
        let mut n = 0;
        let mut tone = 0u8;
        for c in token.chars() {
            if n == MAX_LETTERS {
                return None;
            }
            letters[n] = if let Some((b, t)) = split_vowel(c) {
                if t != 0 {
                    if tone != 0 && tone != t {
                        return None;
                    }
                    tone = t;
                }
                Letter::Vowel(b)
            } else if c.is_ascii_lowercase() || c == 'đ' {
                Letter::Consonant(c)
            } else {
                return None;
            };
            n += 1;
        }
        let letters = &letters[..n];

        // Onset: the longest listed prefix of consonants (`qu` and `gi` take a vowel).
        let (cons, n_cons) = consonants(letters)?;
        // `qu` and `gi` take their vowel letter; `gi` only when another vowel follows
        // (`gìn` is g + ìn).
        let (onset, used) =
            if n_cons == 1 && cons[0] == 'q' && matches!(letters.get(1), Some(&Letter::Vowel(U))) {
                ("qu", 2)
            } else if n_cons == 1
                && cons[0] == 'g'
                && matches!(letters.get(1), Some(&Letter::Vowel(I)))
                && matches!(letters.get(2), Some(Letter::Vowel(_)))
            {
                ("gi", 2)
            } else {
                (onset_of(&cons[..n_cons])?, n_cons)
            };

        // Nucleus: the vowels that follow; coda: the consonants after them.
        let mut nucleus = Nucleus::default();
        let mut i = used;
        while let Some(Letter::Vowel(b)) = letters.get(i) {
            if nucleus.len() == 3 {
                return None;
            }
            nucleus.push(*b);
            i += 1;
        }
        if nucleus.is_empty() {
            return None;
        }
        let mut coda_chars = ['\0'; 2];
        let mut n_coda = 0;
        for l in &letters[i..] {
            match l {
                Letter::Consonant(c) if n_coda < 2 => {
                    coda_chars[n_coda] = *c;
                    n_coda += 1;
                }
                _ => return None,
            }
        }
        let coda = coda_of(&coda_chars[..n_coda])?;

        let mut s = Syllable { onset, nucleus, coda, tone };
        if !folded {
            s.repair();
        }
        s.is_valid(folded).then_some(s)
    }

    /// Spelling repairs with a single reading.
    fn repair(&mut self) {
        // `gh`/`ngh` only spell /g ŋ/ before front vowels; elsewhere the `h` is a typo.
        let front = matches!(self.nucleus.first(), Some(&(I | E | E_CIRC | Y)));
        if !front {
            if self.onset == "ngh" {
                self.onset = "ng";
            } else if self.onset == "gh" {
                self.onset = "g";
            }
        }
        // A missing horn in uơ / ưo: `nuớc`, `bưóc`, `thuơng`, `muời` → ươ.
        let n = &mut self.nucleus;
        if n.len() >= 2 && ((n[0] == U && n[1] == O_HORN) || (n[0] == U_HORN && n[1] == O)) {
            let closed = !self.coda.is_empty() || n.len() == 3;
            if closed {
                n[0] = U_HORN;
                n[1] = O_HORN;
            }
        }
    }

    fn is_valid(&self, folded: bool) -> bool {
        let same = |a: &[u8], b: &[u8]| {
            if folded {
                a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| fold_base(x) == fold_base(y))
            } else {
                a == b
            }
        };
        let nuc = &self.nucleus[..];
        let open = self.coda.is_empty();
        let tables = nucleus_tables();
        let flags = if folded {
            tables.folded[nucleus_key(nuc.iter().map(|&b| fold_base(b)))]
        } else {
            tables.exact[nucleus_key(nuc.iter().copied())]
        };
        let ok = flags & EITHER != 0
            || (open && flags & OPEN_ONLY != 0)
            || (!open && flags & CLOSED_ONLY != 0);
        if !ok {
            return false;
        }
        // `oo` only in `-oong`, `-ooc` (xoong, quần soóc).
        if nuc.len() == 2 && same(nuc, &[O, O]) && !matches!(self.coda, "ng" | "c") {
            return false;
        }
        let first = fold_base(nuc[0]);
        let front = matches!(first, I | E | Y);
        match self.onset {
            "k" | "gh" | "ngh" if !front => return false,
            "c" | "ng" if front => return false,
            // `g` before i only as gi-: `gì`, `gìn`.
            "g" if matches!(first, E) => return false,
            "g" if first == I && nuc.len() > 1 => return false,
            "qu" if matches!(first, U) => return false,
            _ => {}
        }
        // `ch` and `nh` close only a, ê, i and y: `anh`, `ếch`, `tính`, `huỳnh`.
        let last = *nuc.last().unwrap_or(&A);
        let last_ok = if folded {
            matches!(fold_base(last), A | E | I | Y)
        } else {
            matches!(last, A | E_CIRC | I | Y)
        };
        if matches!(self.coda, "ch" | "nh") && !last_ok {
            return false;
        }
        if nuc.len() == 1 && first == I && matches!(self.coda, "c" | "ng") {
            return false;
        }
        // Stop codas take only sắc or nặng.
        if !folded && matches!(self.coda, "p" | "t" | "c" | "ch") && !matches!(self.tone, 1 | 5) {
            return false;
        }
        true
    }

    /// Index within the nucleus of the vowel that carries the tone, in the new style.
    fn tone_position(&self) -> usize {
        let n = &self.nucleus;
        if n.len() == 1 {
            return 0;
        }
        if let Some(i) = n.windows(2).position(|w| w == [U_HORN, O_HORN]) {
            return i + 1;
        }
        if let Some(i) = n.iter().rposition(|&b| has_shape(b)) {
            return i;
        }
        if !self.coda.is_empty() {
            return n.len() - 1;
        }
        if n.len() == 3 {
            return 1;
        }
        if matches!(n[..], [O, A] | [O, E] | [U, Y]) {
            return 1;
        }
        0
    }

    /// Writes the syllable in lowercase with the tone on its new-style position into a
    /// stack buffer (a syllable is at most 7 letters of at most 3 bytes).
    fn write(&self, buf: &mut [u8; 32]) -> usize {
        let mut len = 0;
        let mut put = |s: &str| {
            buf[len..len + s.len()].copy_from_slice(s.as_bytes());
            len += s.len();
        };
        put(self.onset);
        let pos = self.tone_position();
        for (i, &b) in self.nucleus.iter().enumerate() {
            let c = compose(b, if i == pos { self.tone } else { 0 });
            put(c.encode_utf8(&mut [0; 4]));
        }
        put(self.coda);
        len
    }
}

fn fold_base(b: u8) -> u8 {
    match b {
        A | A_BREVE | A_CIRC => A,
        E | E_CIRC => E,
        O | O_CIRC | O_HORN => O,
        U | U_HORN => U,
        other => other,
    }
}

/// Re-spells the lowercase token at `out[start..]` in place as a syllable in the new style.
/// Returns `false` (and leaves `out` alone) when it is not a Vietnamese syllable.
pub(crate) fn respell_in_place(out: &mut String, start: usize) -> bool {
    let Some(s) = Syllable::parse(&out[start..], false) else { return false };
    let mut buf = [0u8; 32];
    let len = s.write(&mut buf);
    if out.as_bytes()[start..] != buf[..len] {
        out.truncate(start);
        // The buffer holds whole characters written from `&str`s.
        out.push_str(std::str::from_utf8(&buf[..len]).unwrap_or_default());
    }
    true
}

/// Whether a lowercase token is a Vietnamese syllable, with or without its diacritics.
pub fn is_syllable(token: &str) -> bool {
    let folded = token.is_ascii();
    Syllable::parse(token, folded).is_some() || (folded && Syllable::parse(token, false).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(token: &str) -> String {
        let mut out = String::from(token);
        assert!(respell_in_place(&mut out, 0), "{token} should parse");
        out
    }

    #[test]
    fn tone_goes_on_the_main_vowel_in_the_new_style() {
        for (old, new) in [
            ("hòa", "hoà"),
            ("khỏe", "khoẻ"),
            ("thủy", "thuỷ"),
            ("úy", "uý"),
            ("hóa", "hoá"),
            ("qúy", "quý"),
            ("hòan", "hoàn"),
            ("tóan", "toán"),
            ("baỏ", "bảo"),
            ("lựơng", "lượng"),
            ("nuớc", "nước"),
            ("bưóc", "bước"),
            ("gìa", "già"),
            ("dàì", "dài"),
            ("nghành", "ngành"),
            ("khủyu", "khuỷu"),
            ("ngòeo", "ngoèo"),
        ] {
            assert_eq!(re(old), new, "{old}");
        }
    }

    #[test]
    fn correct_syllables_come_back_unchanged() {
        for s in [
            "người",
            "được",
            "thuở",
            "khuyến",
            "quý",
            "giá",
            "gì",
            "gìn",
            "giường",
            "quốc",
            "hoàn",
            "toán",
            "hoạch",
            "huỳnh",
            "thuyết",
            "mùa",
            "mía",
            "hài",
            "múi",
            "xoong",
            "nghiêng",
            "khuya",
            "khuỷu",
            "tuần",
            "hoặc",
            "thuế",
            "yêu",
            "yên",
            "oai",
            "ạ",
            "ở",
            "ngoằn",
            "sốt",
            "xuất",
            "huyết",
            "vắc",
            "xin",
            "việt",
            "nam",
            "chịu",
            "gửi",
        ] {
            assert_eq!(re(s), s);
        }
    }

    #[test]
    fn non_syllables_are_refused() {
        for s in [
            "email",
            "covid",
            "hòaa",
            "quyx",
            "ká",
            "ce",
            "ngi",
            "ic",
            "ing",
            "ănh",
            "xinh\u{301}",
            "áà",
        ] {
            assert!(Syllable::parse(s, false).is_none(), "{s}");
        }
        assert!(Syllable::parse("bit", false).is_none(), "a stop coda needs sắc or nặng");
    }

    #[test]
    fn folded_syllables_are_checked_by_structure() {
        for s in ["viet", "nam", "sot", "xuat", "huyet", "nguoi", "duoc", "khong", "giuong", "quy"]
        {
            assert!(is_syllable(s), "{s}");
        }
        for s in ["english", "function", "return", "string", "which", "strong"] {
            assert!(!is_syllable(s), "{s}");
        }
    }
}
