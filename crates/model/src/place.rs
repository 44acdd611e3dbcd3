//! Places: the provinces a document names, with their spans, and the one it is about.
//!
//! Codes are the two-digit codes of the 34 provincial units in force since 1 July 2025
//! (`gazetteer` knows their names); this crate only carries them.

use crate::string_enum;

string_enum!(
    /// What kind of name a place was mentioned by (the labels of `gazetteer::PlaceKind`).
    PlaceKind, "place kind", {
        /// The current unit's own name ("Hà Nội", "TP Hồ Chí Minh").
        Province => "province",
        /// A former province absorbed by the unit ("Bình Dương" in 79).
        FormerProvince => "former_province",
        /// A former city or town ("Nha Trang", "TP Thủ Đức").
        City => "city",
        /// A former urban or rural district ("quận 8", "huyện Củ Chi").
        District => "district",
        /// A commune whose name lies in one unit only ("phường Bến Thành").
        Commune => "commune",
        /// An abbreviation ("TP.HCM", "BR-VT").
        Abbreviation => "abbreviation",
        /// A nickname ("Sài Gòn", "Thủ đô").
        Nickname => "nickname",
        /// A landmark ("Chợ Rẫy").
        Landmark => "landmark",
    }
);

/// One mention of a province in a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentPlace {
    /// The current unit's two-digit code ("79").
    pub code: String,
    /// The former province's code, when the place was named by a former province or by a
    /// district or commune of one ("Sở Y tế Bình Dương": "74").
    pub historic: Option<String>,
    /// What kind of name it was.
    pub kind: PlaceKind,
    /// `title` or `body`, as in [`MatchedTerm`](crate::MatchedTerm).
    pub field: &'static str,
    /// Byte offset of the name in the display form of that field.
    pub start: usize,
    /// Byte offset (exclusive) in the display form of that field.
    pub end: usize,
}

/// The places a document names and the province it is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentPlaces {
    /// The code of the unit the document is mostly about, else its source's home
    /// province; `None` for a national round-up from a source without one.
    pub province: Option<String>,
    /// Every mention, title first, in text order.
    pub places: Vec<DocumentPlace>,
}
