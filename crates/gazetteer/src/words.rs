//! The words around a name that say whether it is a place: administrative qualifiers
//! ("tỉnh", "xã"), institutions ("Sở Y tế"), prepositions of place ("ở", "tại"), and the
//! titles, surnames and ages that say it is a person.

use vi_text::Token;

use crate::hash::{Map, Set};
use crate::lexicon::Forms;

/// What a qualifier says about the name after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Qualifier {
    /// "tỉnh": a province.
    Province,
    /// "thành phố", "TP": a centrally-run city or a former provincial city.
    City,
    /// "quận", "huyện", "thị xã": a former district.
    District(DistrictKind),
    /// "xã", "phường", "thị trấn", "đặc khu": a commune, which may share a province's name.
    Commune(CommuneKind),
    /// "thôn", "ấp", "đường", "phố", "sông" …: a village, street or river named after a place,
    /// which is not that place.
    Minor,
}

/// The four kinds of former district.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DistrictKind {
    /// quận
    Urban,
    /// huyện
    Rural,
    /// thị xã
    Town,
    /// thành phố thuộc tỉnh
    City,
}

impl DistrictKind {
    pub(crate) fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "quận" => Self::Urban,
            "huyện" => Self::Rural,
            "thị xã" => Self::Town,
            "thành phố" => Self::City,
            _ => return None,
        })
    }
}

/// The kinds of commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommuneKind {
    /// xã
    Rural,
    /// phường
    Ward,
    /// thị trấn (before 2025 only)
    Township,
    /// đặc khu (islands, since 2025)
    Special,
}

impl CommuneKind {
    pub(crate) fn parse(letter: &str) -> Option<Self> {
        Some(match letter {
            "x" => Self::Rural,
            "p" => Self::Ward,
            "t" => Self::Township,
            "d" => Self::Special,
            _ => return None,
        })
    }
}

/// Qualifiers as written. `true` marks a one-letter abbreviation (`Q.1`, `P.Bến Nghé`,
/// `H.Củ Chi`), which counts only in capitals and followed by a dot.
const QUALIFIERS: &[(&str, Qualifier, bool)] = &[
    ("tỉnh", Qualifier::Province, false),
    ("thành phố", Qualifier::City, false),
    ("tp", Qualifier::City, false),
    ("quận", Qualifier::District(DistrictKind::Urban), false),
    ("q", Qualifier::District(DistrictKind::Urban), true),
    ("huyện", Qualifier::District(DistrictKind::Rural), false),
    ("h", Qualifier::District(DistrictKind::Rural), true),
    ("thị xã", Qualifier::District(DistrictKind::Town), false),
    ("tx", Qualifier::District(DistrictKind::Town), true),
    ("xã", Qualifier::Commune(CommuneKind::Rural), false),
    ("x", Qualifier::Commune(CommuneKind::Rural), true),
    ("phường", Qualifier::Commune(CommuneKind::Ward), false),
    ("p", Qualifier::Commune(CommuneKind::Ward), true),
    ("thị trấn", Qualifier::Commune(CommuneKind::Township), false),
    ("tt", Qualifier::Commune(CommuneKind::Township), true),
    ("đặc khu", Qualifier::Commune(CommuneKind::Special), false),
    ("thôn", Qualifier::Minor, false),
    ("ấp", Qualifier::Minor, false),
    ("xóm", Qualifier::Minor, false),
    ("khóm", Qualifier::Minor, false),
    ("làng", Qualifier::Minor, false),
    ("khu phố", Qualifier::Minor, false),
    ("tổ dân phố", Qualifier::Minor, false),
    ("đường", Qualifier::Minor, false),
    ("phố", Qualifier::Minor, false),
    ("ngõ", Qualifier::Minor, false),
    ("ngách", Qualifier::Minor, false),
    ("hẻm", Qualifier::Minor, false),
    ("kiệt", Qualifier::Minor, false),
    ("đại lộ", Qualifier::Minor, false),
    ("sông", Qualifier::Minor, false),
    ("chung cư", Qualifier::Minor, false),
];

/// Organisations named after their province: strong evidence that the name after them is
/// the province, whatever else it could be ("Sở Y tế Thái Bình").
const INSTITUTIONS: &[&str] = &[
    "sở y tế",
    "y tế",
    "cdc",
    "kiểm soát bệnh tật",
    "ubnd",
    "hđnd",
    "ủy ban nhân dân",
    "công an",
    "bệnh viện",
    "bv",
    "bvđk",
    "đa khoa",
    "ttyt",
    "tỉnh ủy",
    "thành ủy",
    "đại học",
    "đài",
    "ban chỉ đạo",
    "chi cục",
    "quản lý thị trường",
    "an toàn thực phẩm",
    "attp",
    "y khoa",
];

/// Words after which a name is a place: weaker evidence, enough for names that need a
/// context ("ở SG", "tại HN") and for common-word names in text without capitals.
const PREPOSITIONS: &[&str] = &[
    "ở",
    "tại",
    "về",
    "từ",
    "đến",
    "tới",
    "vào",
    "ra",
    "lên",
    "xuống",
    "qua",
    "đi",
    "khắp",
    "quê",
    "người",
    "dân",
    "thăm",
    "trú",
    "sống",
    "địa bàn",
    "khu vực",
    "tỉnh bạn",
];

/// The two prepositions that say "in" and nothing else: after them a name written in
/// small letters ("ở bình dương", "o sg" in a post without capitals) is still the place.
const AT: &[&str] = &["ở", "tại"];

/// Titles and kinship terms that come before a person's name.
const TITLES: &[&str] = &[
    "anh",
    "chị",
    "em",
    "ông",
    "bà",
    "bác",
    "cô",
    "chú",
    "cháu",
    "bé",
    "cụ",
    "thầy",
    "dì",
    "cậu",
    "mợ",
    "thím",
    "mẹ",
    "bố",
    "cha",
    "vợ",
    "chồng",
    "con trai",
    "con gái",
    "bác sĩ",
    "bs",
    "bsck",
    "cki",
    "ckii",
    "pgs",
    "gs",
    "ts",
    "ths",
    "ks",
    "ls",
    "ncs",
    "tiến sĩ",
    "thạc sĩ",
    "giáo sư",
    "bệnh nhân",
    "bn",
    "người bệnh",
    "ca sĩ",
    "nghệ sĩ",
    "nsnd",
    "nsưt",
    "diễn viên",
    "nhà báo",
    "luật sư",
    "điều dưỡng",
    "y tá",
    "sản phụ",
    "thai phụ",
    "nạn nhân",
    "bị cáo",
    "bị can",
    "đối tượng",
    "nghi phạm",
    "tài xế",
    "học sinh",
    "sinh viên",
    "nữ sinh",
    "nam sinh",
    "bé trai",
    "bé gái",
    "mr",
    "ms",
    "mrs",
    "miss",
    "đồng chí",
    "đại tá",
    "thượng tá",
    "trung tá",
    "thiếu tá",
    "đại úy",
    "thượng úy",
    "trung úy",
    "thiếu úy",
    "cầu thủ",
    "vận động viên",
    "vđv",
    "hlv",
    "chủ tịch",
    "giám đốc",
    "tổng giám đốc",
    "trưởng khoa",
    "phó khoa",
];

/// Words before a colon that credit a person: "Ảnh: Thái Bình".
const CREDITS: &[&str] = &["ảnh", "video", "clip", "bài", "tác giả", "bài và ảnh", "thực hiện"];

/// Pairs ending in a title word that are not titles: "trẻ em Hà Nội" is the children of
/// Hà Nội, "bà con Thái Bình" the people of Thái Bình.
const NOT_TITLES: &[&str] =
    &["trẻ em", "anh em", "chị em", "ông bà", "cô bác", "chú bác", "cô chú", "con cháu"];

/// Family names, and the two middle names that only ever sit inside a person's name:
/// capitalised just before a given-name-like place name, they make it a person's name.
const SURNAMES: &[&str] = &[
    "nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi", "đỗ",
    "hồ", "ngô", "dương", "lý", "đinh", "trương", "đoàn", "lương", "trịnh", "cao", "lâm", "tô",
    "tạ", "hà", "đào", "chu", "quách", "lưu", "kiều", "thái", "vương", "phùng", "tăng", "triệu",
    "từ", "đàm", "mạc", "khổng", "hứa", "doãn", "lại", "văn", "thị",
];

/// Words that make "an" the first half of an ordinary word, so that in text without
/// capitals "long an toàn" is "(anh) Long an toàn" (safe), not Long An.
const AN_COMPOUNDS: &[&str] = &[
    "toàn", "ninh", "tâm", "sinh", "khang", "nhàn", "ủi", "phận", "dưỡng", "nghỉ", "táng", "cư",
    "lành", "vị", "bài", "tọa", "nhiên", "ổn",
];

/// Phrases keyed by their syllables' match forms (and fold forms, for text typed bare).
#[derive(Debug, Default)]
pub(crate) struct Phrases<V> {
    matched: Map<Box<str>, V>,
    folded: Map<Box<str>, V>,
    /// First syllables (both forms), so most tokens are turned away before a key is built.
    firsts: Set<Box<str>>,
    longest: usize,
}

impl<V: Copy> Phrases<V> {
    fn build(items: impl IntoIterator<Item = (&'static str, V)>) -> Self {
        let mut phrases = Self {
            matched: Map::default(),
            folded: Map::default(),
            firsts: Set::default(),
            longest: 0,
        };
        for (written, value) in items {
            let tokens = vi_text::tokenize(written);
            phrases.longest = phrases.longest.max(tokens.len());
            if let Some(first) = tokens.first() {
                phrases.firsts.insert(first.matched.as_str().into());
                phrases.firsts.insert(first.folded.as_str().into());
            }
            let key = |f: fn(&Token) -> &str| tokens.iter().map(f).collect::<Vec<_>>().join(" ");
            phrases.matched.insert(key(|t| &t.matched).into(), value);
            phrases.folded.entry(key(|t| &t.folded).into()).or_insert(value);
        }
        phrases
    }

    /// The phrase spelled by `tokens[from..to]` (joined by spaces only).
    fn get(&self, text: &str, tokens: &[Token], from: usize, to: usize, forms: Forms) -> Option<V> {
        let window = tokens.get(from..to)?;
        let first = window.first()?;
        if !self.firsts.contains(first.matched.as_str())
            && !self.firsts.contains(first.folded.as_str())
        {
            return None;
        }
        if window.windows(2).any(|w| !text[w[0].end..w[1].start].chars().all(char::is_whitespace)) {
            return None;
        }
        let key = |f: fn(&Token) -> &str| window.iter().map(f).collect::<Vec<_>>().join(" ");
        if let Some(v) = self.matched.get(key(|t| &t.matched).as_str()) {
            return Some(*v);
        }
        if forms == Forms::Bare && window.iter().all(Token::is_plain) {
            return self.folded.get(key(|t| &t.folded).as_str()).copied();
        }
        None
    }

    /// The longest phrase starting at token `at`, with its length.
    pub(crate) fn starting_at(
        &self,
        text: &str,
        tokens: &[Token],
        at: usize,
        forms: Forms,
    ) -> Option<(usize, V)> {
        let first = tokens.get(at)?;
        let known = self.firsts.contains(first.matched.as_str())
            || (forms == Forms::Bare && self.firsts.contains(first.folded.as_str()));
        if !known {
            return None;
        }
        (1..=self.longest)
            .rev()
            .find_map(|len| self.get(text, tokens, at, at + len, forms).map(|v| (len, v)))
    }

    /// The longest phrase ending just before token `at`, with its length.
    pub(crate) fn ending_before(
        &self,
        text: &str,
        tokens: &[Token],
        at: usize,
        forms: Forms,
    ) -> Option<(usize, V)> {
        (1..=self.longest.min(at))
            .rev()
            .find_map(|len| self.get(text, tokens, at - len, at, forms).map(|v| (len, v)))
    }
}

/// Every word list, compiled once.
#[derive(Debug)]
pub(crate) struct Words {
    pub(crate) qualifiers: Phrases<(Qualifier, bool)>,
    pub(crate) institutions: Phrases<()>,
    pub(crate) prepositions: Phrases<()>,
    pub(crate) at: Phrases<()>,
    pub(crate) titles: Phrases<()>,
    pub(crate) not_titles: Phrases<()>,
    pub(crate) credits: Phrases<()>,
    pub(crate) surnames: Phrases<()>,
    pub(crate) an_compounds: Phrases<()>,
}

impl Words {
    pub(crate) fn new() -> Self {
        let unit = |list: &'static [&'static str]| Phrases::build(list.iter().map(|w| (*w, ())));
        Self {
            qualifiers: Phrases::build(QUALIFIERS.iter().map(|(w, q, a)| (*w, (*q, *a)))),
            institutions: unit(INSTITUTIONS),
            prepositions: unit(PREPOSITIONS),
            at: unit(AT),
            titles: unit(TITLES),
            not_titles: unit(NOT_TITLES),
            credits: unit(CREDITS),
            surnames: unit(SURNAMES),
            an_compounds: unit(AN_COMPOUNDS),
        }
    }
}
