//! Places named in Vietnamese text, mapped to the 34 provincial units in force since
//! 1 July 2025 (Resolution 202/2025/QH15), and the province a document is mostly about.
//!
//! The names come from tables compiled into the crate (`data/`, see `data/SOURCE.md`): the
//! 34 units, the 63 former provinces and the unit that absorbed each, former districts and
//! cities ("quận 8", "huyện Củ Chi", "Nha Trang"), the 3,321 communes since the reform and
//! the 10,047 before it, the abbreviations and nicknames the press uses ("TP.HCM", "Sài
//! Gòn", "BR-VT"), a few landmarks ("Chợ Rẫy"), and regions ("ĐBSCL", "Tây Nguyên"), which
//! are tags and never count as a province.
//!
//! Text is compared on the forms of `vi-text` (tone placement and Unicode form never
//! matter; text typed without diacritics meets accented names), and every span is a byte
//! range of the display form the caller passed. A name is a place only when its context
//! allows it:
//! * after "xã", "phường", "thị trấn" or "đặc khu" it is a commune, placed only when every
//!   commune of that name lies in one unit ("xã Bình Dương, tỉnh Gia Lai" is Gia Lai), and
//!   a province named right after a commune or district overrides it;
//! * after "thôn", "ấp", "đường", "phố", "sông" … it is a village, street or river;
//! * names that are also given names ("Thái Bình", "Hà Nam", "Hải Dương") are a person after
//!   a title or kinship word ("anh", "bà", "BS", "bệnh nhân"), after a surname, or before an
//!   age ("(32 tuổi)"), and must be capitalised in text that has capitals; names that are
//!   also ordinary words ("hòa bình") need a place word before them in text without
//!   capitals; "HN", "SG" and a bare "Hồ Chí Minh" need a place word ("ở", "tại", "TP");
//! * an institution before a name ("Sở Y tế", "CDC", "UBND", "Bệnh viện") makes it the
//!   province whatever else it could be.
//!
//! ```
//! let found = gazetteer::places("", "Sở Y tế Bình Dương cảnh báo sốt xuất huyết");
//! let place = &found.places[0];
//! assert_eq!((place.code, place.historic), ("79", Some("74")));
//! assert_eq!(found.main_province(), Some("79"));
//! assert_eq!(gazetteer::places("", "xã Bình Dương, tỉnh Gia Lai").main_province(), Some("52"));
//! ```
//!
//! The crate is pure: no IO, no clock; the tables are parsed once per process.
#![warn(missing_docs)]

mod data;
mod hash;
mod lexicon;
mod scan;
mod words;

use std::sync::OnceLock;

use vi_text::Token;

use crate::data::{Tables, Target};
use crate::scan::{Found, Scan};
use crate::words::Words;

/// One of the 34 provincial-level units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Two-digit code (Decision 19/2025/QĐ-TTg): not always the code of the seat province
    /// (Lào Cai is 15, Yên Bái's old code).
    pub code: &'static str,
    /// Official name: "Thành phố Hà Nội", "Tỉnh Lào Cai".
    pub name: &'static str,
    /// The name without "Tỉnh" / "Thành phố": "Hà Nội", "Lào Cai".
    pub short: &'static str,
    /// Province (tỉnh) or centrally-run city (thành phố).
    pub kind: UnitKind,
    /// The former province whose territory holds the political-administrative centre
    /// (Resolution 60-NQ/TW): "Yên Bái" for Lào Cai.
    pub centre: &'static str,
    /// The city that was the seat before 2025, where the centre sits: "Yên Bái".
    pub capital: &'static str,
}

/// Whether a unit is a province or a centrally-run city.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    /// Tỉnh.
    Province,
    /// Thành phố trực thuộc trung ương.
    City,
}

/// One of the 63 provinces before 1 July 2025.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormerProvince {
    /// Its code before the reform.
    pub code: &'static str,
    /// Its name: "Bình Dương".
    pub name: &'static str,
    /// The code of the unit that absorbed it (wholly, in every case).
    pub unit: &'static str,
}

/// A region named in the news: a tag, never a province.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Stable id: "dbscl", "tay-nguyen", "dong-nam-bo" …
    pub id: &'static str,
    /// Its name: "Đồng bằng sông Cửu Long".
    pub name: &'static str,
    /// The former provinces it is usually taken to cover (background, not borders).
    pub former: Vec<&'static str>,
}

/// What kind of name a place was mentioned by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaceKind {
    /// The current unit's own name ("Hà Nội", "Lào Cai", "TP Hồ Chí Minh").
    Province,
    /// A former province absorbed by the unit ("Bình Dương" in 79).
    FormerProvince,
    /// A former city or town ("Nha Trang", "TP Thủ Đức", "thị xã Sa Pa").
    City,
    /// A former urban or rural district ("quận 8", "huyện Củ Chi").
    District,
    /// A commune whose name lies in one unit only ("phường Bến Thành").
    Commune,
    /// An abbreviation ("TP.HCM", "BR-VT", "TT-Huế").
    Abbreviation,
    /// A nickname ("Sài Gòn", "Thủ đô", "đất Cảng").
    Nickname,
    /// A landmark ("Chợ Rẫy", "Nội Bài"): half the weight of a name.
    Landmark,
}

impl PlaceKind {
    /// A stable lowercase label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::FormerProvince => "former_province",
            Self::City => "city",
            Self::District => "district",
            Self::Commune => "commune",
            Self::Abbreviation => "abbreviation",
            Self::Nickname => "nickname",
            Self::Landmark => "landmark",
        }
    }
}

/// Which field of a document a span is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The title.
    Title,
    /// The body (or the only text).
    Body,
}

/// A place named in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The current unit's two-digit code.
    pub code: &'static str,
    /// The current unit's official name.
    pub name: &'static str,
    /// The former province code, when the place was named by a former province, or by a
    /// district or commune of one ("Sở Y tế Bình Dương": 74).
    pub historic: Option<&'static str>,
    /// What kind of name it was.
    pub kind: PlaceKind,
    /// The field the span is in.
    pub field: Field,
    /// Byte offset of the name in the display form of the field.
    pub start: usize,
    /// Byte offset just past the name.
    pub end: usize,
    /// The name as written.
    pub matched: String,
}

/// A region named in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionTag {
    /// The region's id ("dbscl").
    pub id: &'static str,
    /// The region's name.
    pub name: &'static str,
    /// The field the span is in.
    pub field: Field,
    /// Byte offset in the display form of the field.
    pub start: usize,
    /// Byte offset just past the name.
    pub end: usize,
    /// The name as written.
    pub matched: String,
}

/// The places and regions of a document, and the weight of each unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Places {
    /// Every place mention, title first, in text order.
    pub places: Vec<Place>,
    /// Every region mention, title first, in text order.
    pub regions: Vec<RegionTag>,
    /// (code, weight) in order of first mention.
    weights: Vec<(&'static str, f32)>,
}

/// A title mention weighs as much as this many body mentions.
const TITLE_WEIGHT: f32 = 3.0;
/// Extra weight of a mention by an institution ("Sở Y tế Đồng Nai") or "tỉnh"/"TP".
const STRONG_BONUS: f32 = 0.5;
/// Weight of a landmark ("Chợ Rẫy") relative to a name.
const LANDMARK_WEIGHT: f32 = 0.5;
/// The main province must carry at least this share of all place weight: a document that
/// names four provinces once each is a national round-up, not about the first of them.
const MIN_SHARE: f32 = 0.3;

impl Places {
    /// The province the document is mostly about: the most weight (title mentions count
    /// three times, mentions by an institution half as much again, landmarks half), the
    /// first mention breaking ties; `None` when nothing is named, or when the best carries
    /// less than 30 % of the weight (a round-up of many provinces).
    pub fn main_province(&self) -> Option<&'static str> {
        let total: f32 = self.weights.iter().map(|(_, w)| w).sum();
        let mut best: Option<(&'static str, f32)> = None;
        for &(code, weight) in &self.weights {
            if best.is_none_or(|(_, w)| weight > w) {
                best = Some((code, weight));
            }
        }
        best.filter(|(_, w)| *w >= MIN_SHARE * total).map(|(code, _)| code)
    }

    /// The main province, or else the source's home province (a current or former code:
    /// a Sở Y tế portal's documents default to its province).
    pub fn main_province_or(&self, home: Option<&str>) -> Option<&'static str> {
        self.main_province().or_else(|| home.and_then(|h| Gazetteer::embedded().current_code(h)))
    }

    /// The distinct codes named, in order of first mention.
    pub fn codes(&self) -> Vec<&'static str> {
        self.weights.iter().map(|(code, _)| *code).collect()
    }

    /// Whether no place and no region was found.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty() && self.regions.is_empty()
    }
}

/// The gazetteer: the tables and the word lists, built once.
#[derive(Debug)]
pub struct Gazetteer {
    tables: Tables,
    words: Words,
}

impl Gazetteer {
    /// The gazetteer of the bundled tables, parsed on first use.
    pub fn embedded() -> &'static Gazetteer {
        static GAZETTEER: OnceLock<Gazetteer> = OnceLock::new();
        GAZETTEER.get_or_init(|| Gazetteer { tables: Tables::load(), words: Words::new() })
    }

    /// Rows of the bundled tables that did not parse (empty unless a table was mis-edited;
    /// the data tests require it empty).
    pub fn problems(&self) -> &[String] {
        &self.tables.problems
    }

    /// The 34 units, in code order.
    pub fn units(&self) -> &[Unit] {
        &self.tables.units
    }

    /// The unit with this current code.
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.tables.units.iter().find(|u| u.code == code)
    }

    /// The 63 former provinces.
    pub fn former_provinces(&self) -> &[FormerProvince] {
        &self.tables.former
    }

    /// The regions.
    pub fn regions(&self) -> &[Region] {
        &self.tables.regions
    }

    /// The current code for a current or former province code ("74" → "79").
    pub fn current_code(&self, code: &str) -> Option<&'static str> {
        if let Some(unit) = self.unit(code) {
            return Some(unit.code);
        }
        let former = self.tables.former.iter().find(|f| f.code == code)?;
        self.unit(former.unit).map(|u| u.code)
    }

    /// The places of a document whose title and body are in display form.
    pub fn places(&self, title: &str, body: &str) -> Places {
        let title_tokens = vi_text::tokenize(title);
        let body_tokens = vi_text::tokenize(body);
        self.places_tokenized(title, &title_tokens, body, &body_tokens)
    }

    /// The places of one text in display form (a post, a line), as a body.
    pub fn places_in(&self, text: &str) -> Places {
        self.places("", text)
    }

    /// [`places`](Self::places) for a caller that has tokenised the fields already (with
    /// `vi_text::tokenize` over the same display forms).
    pub fn places_tokenized(
        &self,
        title: &str,
        title_tokens: &[Token],
        body: &str,
        body_tokens: &[Token],
    ) -> Places {
        let mut out = Places::default();
        for (field, text, tokens) in
            [(Field::Title, title, title_tokens), (Field::Body, body, body_tokens)]
        {
            let found = Scan::new(&self.tables, &self.words, text, tokens, field).run();
            let found = explicit_province_wins(found, tokens);
            for f in found {
                self.add(&mut out, f, text, tokens);
            }
        }
        out
    }

    fn add(&self, out: &mut Places, f: Found, text: &str, tokens: &[Token]) {
        let (start, end) = (tokens[f.first].start, tokens[f.last].end);
        let matched = text[start..end].to_owned();
        match f.target {
            Target::Unit(index) => {
                let unit = &self.tables.units[usize::from(index)];
                let mut weight = if f.field == Field::Title { TITLE_WEIGHT } else { 1.0 };
                if f.kind == PlaceKind::Landmark {
                    weight *= LANDMARK_WEIGHT;
                }
                if f.strong && f.kind != PlaceKind::Landmark {
                    weight += STRONG_BONUS;
                }
                match out.weights.iter_mut().find(|(code, _)| *code == unit.code) {
                    Some((_, w)) => *w += weight,
                    None => out.weights.push((unit.code, weight)),
                }
                out.places.push(Place {
                    code: unit.code,
                    name: unit.name,
                    historic: f.historic,
                    kind: f.kind,
                    field: f.field,
                    start,
                    end,
                    matched,
                });
            }
            Target::Region(index) => {
                let region = &self.tables.regions[usize::from(index)];
                out.regions.push(RegionTag {
                    id: region.id,
                    name: region.name,
                    field: f.field,
                    start,
                    end,
                    matched,
                });
            }
            Target::Stop => {}
        }
    }
}

/// Drops a commune, district or city followed closely, in the same sentence, by a
/// province-level name of another unit: "xã Quảng Bình (Thanh Hóa)", "phường Phú Thọ,
/// TP.HCM". The explicitly named province is the better evidence.
fn explicit_province_wins(found: Vec<Found>, tokens: &[Token]) -> Vec<Found> {
    let local =
        |f: &Found| matches!(f.kind, PlaceKind::Commune | PlaceKind::District | PlaceKind::City);
    let keep: Vec<bool> = found
        .iter()
        .enumerate()
        .map(|(k, f)| {
            if !local(f) {
                return true;
            }
            let Some(next) = found[k + 1..].iter().find(|n| !local(n)) else { return true };
            let close = next.first > f.last && next.first - f.last <= 6;
            let same_sentence =
                tokens[next.first].position - tokens[f.last].position == next.first - f.last;
            !(close
                && same_sentence
                && next.target != f.target
                && matches!(next.target, Target::Unit(_)))
        })
        .collect();
    found.into_iter().zip(keep).filter_map(|(f, k)| k.then_some(f)).collect()
}

/// The 34 units of the embedded gazetteer.
pub fn units() -> &'static [Unit] {
    Gazetteer::embedded().units()
}

/// The unit with this current code in the embedded gazetteer.
pub fn unit(code: &str) -> Option<&'static Unit> {
    Gazetteer::embedded().unit(code)
}

/// The places of a document (title and body in display form) in the embedded gazetteer.
pub fn places(title: &str, body: &str) -> Places {
    Gazetteer::embedded().places(title, body)
}

/// One line of `langnghe places`, as a value: the text is brought to display form, and the
/// answer is `{"places":[{"code","name","start","end"}…],"province":"79"|null}` with byte
/// offsets into that display form. (A `Value` prints its keys in serde_json's map order;
/// [`places_json_line`] prints them in the order above.)
pub fn places_json(text: &str) -> serde_json::Value {
    serde_json::to_value(PlacesLine::of(text)).unwrap_or(serde_json::Value::Null)
}

/// One line of `langnghe places`, printed: the JSON of [`places_json`] with its keys in the
/// documented order, `{"places":[{"code":"79","name":"Thành phố Hồ Chí Minh","start":0,"end":6}],"province":"79"}`.
pub fn places_json_line(text: &str) -> String {
    serde_json::to_string(&PlacesLine::of(text)).unwrap_or_default()
}

#[derive(serde::Serialize)]
struct PlacesLine {
    places: Vec<PlaceSpan>,
    province: Option<&'static str>,
}

#[derive(serde::Serialize)]
struct PlaceSpan {
    code: &'static str,
    name: &'static str,
    start: usize,
    end: usize,
}

impl PlacesLine {
    fn of(text: &str) -> Self {
        let display = vi_text::display(text);
        let found = Gazetteer::embedded().places_in(&display);
        let places = found
            .places
            .iter()
            .map(|p| PlaceSpan { code: p.code, name: p.name, start: p.start, end: p.end })
            .collect();
        Self { places, province: found.main_province() }
    }
}
