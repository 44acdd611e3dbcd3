//! Social pages and accounts posing as official health bodies: a page named "Bo Y Te Viet
//! Nam Official", "Sở Y Tế Khánh Hòa - Tư vấn", "Bệnh viện Bạch Mai 24h" or "Вộ Y Tế" with a
//! Cyrillic `В`, which the office has not listed as its own or a partner's.
//!
//! A name is reduced to a skeleton before it is compared: diacritics folded, case, Unicode
//! compatibility forms and Cyrillic or Greek look-alikes mapped to Latin letters, digits
//! inside words read as the letters they imitate (`B0 Y T3`), `l` and `i` (and `rn` and
//! `m`) taken as one, punctuation and emoji dropped. A body is found when a run of the
//! name's words spells one of its names with the spaces taken out, so "BộYTế", "Bo Y Te" and
//! "B.o Y.Te" all spell "Bộ Y tế". The bodies are a table below: the Ministry and its
//! departments (Cục Quản lý Dược, Cục An toàn thực phẩm …), the Sở Y tế and CDC of every
//! province (the provinces and former provinces of the gazetteer), national institutes and
//! the best-known public hospitals. A name that says the page is someone else's
//! ("Hội những người …", "Nhà thuốc gần …", "Cộng đồng …") does not pose.
//!
//! The office's list of official pages ([`OfficialPage`]; a built-in start in
//! `data/official-pages.toml`, more from the configuration) exempts a page: by its URL when
//! the source has one, else by its exact name (an export without page URLs cannot tell a
//! page from a copy of its name, so the name is given the benefit of the doubt).
//!
//! What is raised: a [`RuleKind::Watch`] hit, rule `watch.mao-danh.<body>`, titled "Trang
//! mạo danh <body>", severity high, with no terms: the evidence is the page's name, which
//! is not in the document's title or body that terms point into; the board shows it as the
//! document's source.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use model::{Hit, RuleKind, Severity};
use serde::Deserialize;

/// The built-in list of official pages.
pub const BUILTIN_PAGES: &str = include_str!("../data/official-pages.toml");

/// One official page, account or portal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficialPage {
    /// Its name, as the page shows it.
    pub name: String,
    /// Its address, when known.
    #[serde(default)]
    pub url: Option<String>,
    /// `facebook`, `zalo`, `web` …
    #[serde(default)]
    pub platform: Option<String>,
    /// The health body it speaks for.
    #[serde(default)]
    pub body: Option<String>,
    /// Where its address is documented.
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PagesFile {
    #[serde(default)]
    pages: Vec<OfficialPage>,
}

/// Reads a list of official pages written as `data/official-pages.toml` is.
pub fn parse_pages(text: &str) -> Result<Vec<OfficialPage>, toml::de::Error> {
    toml::from_str::<PagesFile>(text).map(|f| f.pages)
}

/// The health body a name imitates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imitation {
    /// The body as officials name it: "Bộ Y tế", "Sở Y tế Khánh Hòa".
    pub body: String,
    /// Its slug, for the rule id: `bo-y-te`, `so-y-te-khanh-hoa`.
    pub slug: String,
}

impl Imitation {
    /// The rule id of its hits: `watch.mao-danh.<slug>`.
    pub fn rule_id(&self) -> String {
        format!("watch.mao-danh.{}", self.slug)
    }

    /// The watch hit it raises (see the module docs).
    pub fn hit(&self) -> Hit {
        Hit {
            rule_id: Arc::from(self.rule_id()),
            rule_title: Arc::from(format!("Trang mạo danh {}", self.body)),
            kind: RuleKind::Watch,
            severity: Severity::High,
            terms: Vec::new(),
        }
    }
}

/// Whether a body is named with a province, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Never: "Bộ Y tế".
    None,
    /// May be followed by a province: "Sở Y tế", "Sở Y tế Khánh Hòa".
    Optional,
    /// Only with a province after it: "CDC Hà Nội" (a bare "CDC" is anybody's).
    Required,
}

struct BodySpec {
    name: &'static str,
    slug: &'static str,
    names: &'static [&'static str],
    place: Place,
}

const fn body(
    name: &'static str,
    slug: &'static str,
    names: &'static [&'static str],
    place: Place,
) -> BodySpec {
    BodySpec { name, slug, names, place }
}

/// The health bodies whose names impostors take. Longer names of the same body first is
/// not needed: the longest match wins.
const BODIES: &[BodySpec] = &[
    body("Bộ Y tế", "bo-y-te", &["bộ y tế", "ministry of health", "moh viet nam"], Place::None),
    body("Sở Y tế", "so-y-te", &["sở y tế"], Place::Optional),
    body(
        "Trung tâm Kiểm soát bệnh tật",
        "cdc",
        &["trung tâm kiểm soát bệnh tật", "ttksbt", "cdc"],
        Place::Required,
    ),
    body("Trung tâm Kiểm soát bệnh tật TP.HCM", "cdc-ho-chi-minh", &["hcdc"], Place::None),
    body("Cục Quản lý Dược", "cuc-quan-ly-duoc", &["cục quản lý dược"], Place::None),
    body(
        "Cục An toàn thực phẩm",
        "cuc-an-toan-thuc-pham",
        &["cục an toàn thực phẩm", "cục attp", "cục an toàn vệ sinh thực phẩm"],
        Place::None,
    ),
    body("Cục Y tế dự phòng", "cuc-y-te-du-phong", &["cục y tế dự phòng"], Place::None),
    body(
        "Cục Quản lý Khám, chữa bệnh",
        "cuc-quan-ly-kham-chua-benh",
        &["cục quản lý khám chữa bệnh", "cục quản lý khám bệnh chữa bệnh"],
        Place::None,
    ),
    body("Viện Pasteur", "vien-pasteur", &["viện pasteur"], Place::Optional),
    body(
        "Viện Pasteur Nha Trang",
        "vien-pasteur-nha-trang",
        &["viện pasteur nha trang"],
        Place::None,
    ),
    body(
        "Viện Vệ sinh dịch tễ Trung ương",
        "vien-ve-sinh-dich-te-trung-uong",
        &["viện vệ sinh dịch tễ trung ương", "viện vệ sinh dịch tễ"],
        Place::None,
    ),
    body("Tổ chức Y tế Thế giới", "who", &["tổ chức y tế thế giới"], Place::None),
    body(
        "Bảo hiểm xã hội Việt Nam",
        "bhxh",
        &["bảo hiểm xã hội việt nam", "bhxh việt nam", "bảo hiểm y tế việt nam"],
        Place::None,
    ),
    body("Bệnh viện Bạch Mai", "bv-bach-mai", &["bệnh viện bạch mai", "bv bạch mai"], Place::None),
    body("Bệnh viện Chợ Rẫy", "bv-cho-ray", &["bệnh viện chợ rẫy", "bv chợ rẫy"], Place::None),
    body(
        "Bệnh viện Nhi Trung ương",
        "bv-nhi-trung-uong",
        &["bệnh viện nhi trung ương", "bv nhi trung ương", "bệnh viện nhi tw", "bv nhi tw"],
        Place::None,
    ),
    body(
        "Bệnh viện Hữu nghị Việt Đức",
        "bv-viet-duc",
        &["bệnh viện hữu nghị việt đức", "bệnh viện việt đức", "bv việt đức"],
        Place::None,
    ),
    body("Bệnh viện K", "bv-k", &["bệnh viện k", "bv k"], Place::None),
    body(
        "Bệnh viện Bệnh Nhiệt đới Trung ương",
        "bv-nhiet-doi-trung-uong",
        &[
            "bệnh viện bệnh nhiệt đới trung ương",
            "bệnh viện nhiệt đới trung ương",
            "bv bệnh nhiệt đới trung ương",
            "bv nhiệt đới trung ương",
        ],
        Place::None,
    ),
    body(
        "Bệnh viện Bệnh Nhiệt đới",
        "bv-benh-nhiet-doi",
        &["bệnh viện bệnh nhiệt đới", "bv bệnh nhiệt đới"],
        Place::Optional,
    ),
    body(
        "Bệnh viện Phụ sản Trung ương",
        "bv-phu-san-trung-uong",
        &["bệnh viện phụ sản trung ương", "bv phụ sản trung ương"],
        Place::None,
    ),
    body(
        "Bệnh viện Trung ương Huế",
        "bv-trung-uong-hue",
        &["bệnh viện trung ương huế", "bv trung ương huế"],
        Place::None,
    ),
    body(
        "Bệnh viện Trung ương Quân đội 108",
        "bv-108",
        &["bệnh viện trung ương quân đội 108", "bệnh viện 108", "bv 108"],
        Place::None,
    ),
    body("Bệnh viện E", "bv-e", &["bệnh viện e"], Place::None),
    body("Bệnh viện Thống Nhất", "bv-thong-nhat", &["bệnh viện thống nhất"], Place::None),
    body("Bệnh viện Từ Dũ", "bv-tu-du", &["bệnh viện từ dũ", "bv từ dũ"], Place::None),
    body(
        "Bệnh viện Nhi Đồng 1",
        "bv-nhi-dong-1",
        &["bệnh viện nhi đồng 1", "bv nhi đồng 1"],
        Place::None,
    ),
    body(
        "Bệnh viện Nhi Đồng 2",
        "bv-nhi-dong-2",
        &["bệnh viện nhi đồng 2", "bv nhi đồng 2"],
        Place::None,
    ),
    body(
        "Bệnh viện Đại học Y Dược TP.HCM",
        "bv-dai-hoc-y-duoc-tphcm",
        &["bệnh viện đại học y dược"],
        Place::None,
    ),
    body(
        "Bệnh viện Ung bướu",
        "bv-ung-buou",
        &["bệnh viện ung bướu", "bv ung bướu"],
        Place::Optional,
    ),
    body(
        "Bệnh viện Đa khoa",
        "bv-da-khoa",
        &["bệnh viện đa khoa", "bv đa khoa", "bvđk", "bv dk"],
        Place::Required,
    ),
];

/// Words between a body and its province: "Sở Y tế tỉnh …", "CDC TP …".
const CONNECTORS: &[&str] = &["tinh", "tp", "thanh pho", "t p"];

/// Other names of provinces than the gazetteer's, with the name shown: abbreviations and
/// the names of before 2025 that the gazetteer spells otherwise.
const PLACE_ALIASES: &[(&str, &str)] = &[
    ("hcm", "TP.HCM"),
    ("hcmc", "TP.HCM"),
    ("ho chi minh", "TP.HCM"),
    ("sai gon", "TP.HCM"),
    ("saigon", "TP.HCM"),
    ("hn", "Hà Nội"),
    ("br vt", "Bà Rịa - Vũng Tàu"),
    ("ba ria vung tau", "Bà Rịa - Vũng Tàu"),
    ("tt hue", "Huế"),
    ("thua thien hue", "Huế"),
    ("viet nam", "Việt Nam"),
    ("vn", "Việt Nam"),
];

/// Phrases that say a page is someone else's: a community about the body, a business near
/// it, a critic of it.
const NOT_THE_BODY: &[&str] = &[
    "hoi nhung nguoi",
    "hoi benh nhan",
    "hoi nguoi nha",
    "nguoi nha benh nhan",
    "nhom",
    "group",
    "cong dong",
    "clb",
    "club",
    "fanclub",
    "cuu sinh vien",
    "sinh vien",
    "ung ho",
    "gan benh vien",
    "canh benh vien",
    "doi dien",
    "nha tro",
    "phong tro",
    "com binh dan",
    "quan com",
    "nha hang",
    "taxi",
    "xe om",
    "cho thue",
    "nha thuoc",
    "quay thuoc",
    "shop",
    "cua hang",
    "mua ban",
    "rao vat",
    "review",
    "anti",
    "to cao",
];

/// Platform names that an import puts before a page's name ("Facebook: …").
const PLATFORMS: &[&str] = &["facebook", "zalo", "tiktok", "youtube", "instagram", "threads", "x"];

/// One body name or place name, as a skeleton with its spaces taken out.
#[derive(Debug, Clone)]
struct Key {
    joined: String,
    /// The index of the body in [`BODIES`], or the place's display name and slug.
    target: usize,
}

/// A place: its display name and slug.
#[derive(Debug, Clone)]
struct PlaceName {
    name: String,
    slug: String,
}

/// The matcher: the bodies and places in skeleton form, and the office's official pages.
#[derive(Debug, Clone)]
pub struct Impersonation {
    bodies: Vec<Key>,
    places: Vec<Key>,
    place_names: Vec<PlaceName>,
    connectors: Vec<String>,
    others: Vec<Vec<String>>,
    pages: Vec<OfficialPage>,
    official_urls: HashSet<String>,
    official_names: HashSet<String>,
}

impl Impersonation {
    /// The matcher with the built-in official pages (`data/official-pages.toml`).
    pub fn builtin() -> Impersonation {
        static BUILTIN: OnceLock<Impersonation> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let pages = parse_pages(BUILTIN_PAGES)
                    .expect("data/official-pages.toml parses (a test reads it)");
                Impersonation::with_pages(pages)
            })
            .clone()
    }

    /// The matcher with exactly these official pages.
    pub fn with_pages(pages: Vec<OfficialPage>) -> Impersonation {
        let mut bodies = Vec::new();
        for (i, b) in BODIES.iter().enumerate() {
            for n in b.names {
                bodies.push(Key { joined: skeleton(n).concat(), target: i });
            }
        }
        let mut place_names: Vec<PlaceName> = Vec::new();
        let mut places = Vec::new();
        let mut add_place = |written: &str, shown: &str| {
            let slug = slug(shown);
            let target = match place_names.iter().position(|p| p.slug == slug) {
                Some(i) => i,
                None => {
                    place_names.push(PlaceName { name: shown.to_owned(), slug });
                    place_names.len() - 1
                }
            };
            places.push(Key { joined: skeleton(written).concat(), target });
        };
        let gazetteer = gazetteer::Gazetteer::embedded();
        for unit in gazetteer.units() {
            let shown = if unit.code == "79" { "TP.HCM" } else { unit.short };
            add_place(unit.short, shown);
        }
        for former in gazetteer.former_provinces() {
            let shown = match former.code {
                "79" => "TP.HCM",
                _ => former.name,
            };
            add_place(former.name, shown);
        }
        for (written, shown) in PLACE_ALIASES {
            add_place(written, shown);
        }
        let mut m = Impersonation {
            bodies,
            places,
            place_names,
            connectors: CONNECTORS.iter().map(|c| skeleton(c).concat()).collect(),
            others: NOT_THE_BODY.iter().map(|p| skeleton(p)).collect(),
            pages: Vec::new(),
            official_urls: HashSet::new(),
            official_names: HashSet::new(),
        };
        m.add_pages(pages);
        m
    }

    /// Adds official pages (the office's own, from the configuration) to the list.
    pub fn with_official_pages(mut self, pages: impl IntoIterator<Item = OfficialPage>) -> Self {
        self.add_pages(pages);
        self
    }

    fn add_pages(&mut self, pages: impl IntoIterator<Item = OfficialPage>) {
        for page in pages {
            if let Some(url) = page.url.as_deref().and_then(normalise_url) {
                self.official_urls.insert(url);
            }
            self.official_names.insert(name_key(&page.name));
            self.pages.push(page);
        }
    }

    /// The official pages, built-in first.
    pub fn official_pages(&self) -> &[OfficialPage] {
        &self.pages
    }

    /// Whether a page is on the official list: by its URL when it has one (an import's
    /// `social:` placeholder is none), else by its exact name.
    pub fn is_official(&self, name: &str, url: Option<&str>) -> bool {
        match url.filter(|u| !u.starts_with("social:")).and_then(normalise_url) {
            Some(url) => self.official_urls.contains(&url),
            None => self.official_names.contains(&name_key(name)),
        }
    }

    /// The body a page's name imitates, whether or not the page is official.
    pub fn imitated(&self, name: &str) -> Option<Imitation> {
        let words = skeleton(strip_platform(name));
        if words.is_empty() || self.is_someone_else(&words) {
            return None;
        }
        // The longest body name wins ("Bệnh viện Bệnh Nhiệt đới Trung ương" over "Bệnh
        // viện Bệnh Nhiệt đới"), then the earliest.
        let mut best: Option<(usize, usize, usize, usize)> = None; // (len, start, end, body)
        for start in 0..words.len() {
            let mut joined = String::new();
            for (end, word) in words.iter().enumerate().skip(start) {
                joined.push_str(word);
                for key in self.bodies.iter().filter(|k| k.joined == joined) {
                    let len = joined.len();
                    if best.is_none_or(|b| len > b.0 || (len == b.0 && start < b.1)) {
                        best = Some((len, start, end + 1, key.target));
                    }
                }
            }
        }
        let (_, _, end, index) = best?;
        let spec = &BODIES[index];
        let place = match spec.place {
            Place::None => None,
            Place::Optional | Place::Required => self.place_after(&words, end),
        };
        match (spec.place, place) {
            (Place::Required, None) => None,
            (_, Some(p)) => {
                let place = &self.place_names[p];
                Some(Imitation {
                    body: format!("{} {}", spec.name, place.name),
                    slug: format!("{}-{}", spec.slug, place.slug),
                })
            }
            (_, None) => Some(Imitation { body: spec.name.to_owned(), slug: spec.slug.to_owned() }),
        }
    }

    /// The body a page imitates, unless it is on the official list: what raises a watch.
    pub fn check(&self, name: &str, url: Option<&str>) -> Option<Imitation> {
        let imitation = self.imitated(name)?;
        (!self.is_official(name, url)).then_some(imitation)
    }

    /// The province named right after a body (connectors allowed), longest first.
    fn place_after(&self, words: &[String], mut at: usize) -> Option<usize> {
        // "tinh", "tp", "thanh pho" … as one or two words.
        while let Some(n) = (1..=2)
            .find(|&n| words.get(at..at + n).is_some_and(|w| self.connectors.contains(&w.concat())))
        {
            at += n;
        }
        let mut best = None;
        let mut joined = String::new();
        for word in words.iter().skip(at) {
            joined.push_str(word);
            if let Some(key) = self.places.iter().find(|k| k.joined == joined) {
                best = Some(key.target);
            }
        }
        best
    }

    fn is_someone_else(&self, words: &[String]) -> bool {
        self.others.iter().any(|phrase| {
            !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase.as_slice())
        })
    }
}

/// A name's skeleton: its words folded, look-alikes and leetspeak mapped, without
/// punctuation or emoji (see the module docs).
pub fn skeleton(name: &str) -> Vec<String> {
    let display = vi_text::display(name);
    // Marks that did not compose stay inside their word; anything else that is not a
    // letter or a digit separates words.
    let in_word = |c: char| c.is_alphanumeric() || vi_text::fold_char(c).is_none();
    let mut words = Vec::new();
    for raw in display.split(|c: char| !in_word(c)) {
        let letters = raw.chars().any(char::is_alphabetic);
        let digits = raw.chars().any(char::is_numeric);
        let mut word = String::with_capacity(raw.len());
        let mut buf = [0u8; 4];
        for c in raw.chars() {
            let c = lookalike(c).unwrap_or(c);
            let c = if letters && digits { leet(c).unwrap_or(c) } else { c };
            // One character at a time through the text's own folding: compatibility
            // forms (mathematical, fullwidth), case, diacritics.
            let folded = if c.is_ascii() {
                c.to_ascii_lowercase().to_string()
            } else {
                vi_text::fold_form(c.encode_utf8(&mut buf))
            };
            for c in folded.chars().map(|c| lookalike(c).unwrap_or(c)) {
                match c {
                    'l' | '|' => word.push('i'),
                    c if c.is_alphanumeric() => word.extend(c.to_lowercase()),
                    _ => {}
                }
            }
        }
        let word = word.replace("rn", "m");
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

/// Cyrillic and Greek letters drawn like Latin ones, when a whole word is written in them
/// (inside a Latin word the text's own normalisation has mapped them already).
fn lookalike(c: char) -> Option<char> {
    Some(match c {
        'а' | 'α' | 'А' | 'Α' => 'a',
        'в' | 'В' | 'β' | 'Β' | 'Ь' | 'ь' => 'b',
        'с' | 'С' | 'ϲ' | 'Ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ε' | 'Ε' | 'ё' | 'Ё' => 'e',
        'һ' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ι' | 'Ι' | 'ї' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' | 'Κ' => 'k',
        'м' | 'М' | 'Μ' => 'm',
        'п' | 'η' | 'Ν' => 'n',
        'о' | 'О' | 'ο' | 'Ο' | 'σ' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'Т' | 'τ' | 'Τ' => 't',
        'υ' | 'μ' => 'u',
        'ѵ' | 'ν' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'у' | 'У' | 'γ' | 'Υ' | 'ү' => 'y',
        'Ζ' => 'z',
        _ => return None,
    })
}

/// Digits and signs written for letters inside a word: `B0`, `T3`, `Ma1`.
fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '8' => 'b',
        _ => return None,
    })
}

/// The name without the platform an import puts before it ("Facebook: Bộ Y tế").
fn strip_platform(name: &str) -> &str {
    let Some((head, rest)) = name.split_once(':') else { return name };
    let head = head.trim().to_lowercase();
    if PLATFORMS.contains(&head.as_str()) { rest.trim() } else { name }
}

/// A name as the official list compares it: without the platform, NFC, lowercase, spaces
/// collapsed. Nothing else is forgiven: a look-alike of an official name is not it.
fn name_key(name: &str) -> String {
    let display = vi_text::display(strip_platform(name));
    display.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A page address as the official list compares it: no scheme, no `www.`/`m.`/`web.`, no
/// query or fragment (but Facebook's `profile.php?id=`), no trailing `/`, lowercase;
/// `fb.com` is `facebook.com`. `None` for what is not an address.
pub fn normalise_url(url: &str) -> Option<String> {
    let lower = url.trim().to_lowercase();
    let rest =
        lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).unwrap_or(&lower);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut host = host.split(':').next().unwrap_or_default();
    for prefix in ["www.", "m.", "web.", "mbasic.", "touch.", "mobile.", "business."] {
        host = host.strip_prefix(prefix).unwrap_or(host);
    }
    let host = if matches!(host, "fb.com" | "fb.me") { "facebook.com" } else { host };
    if host.is_empty() || !host.contains('.') {
        return None;
    }
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let path = path.split('#').next().unwrap_or_default().trim_end_matches('/');
    let id = (path == "profile.php")
        .then(|| query.split('&').find(|kv| kv.starts_with("id=")))
        .flatten();
    Some(match (path.is_empty(), id) {
        (true, _) => host.to_owned(),
        (false, Some(id)) => format!("{host}/{path}?{id}"),
        (false, None) => format!("{host}/{path}"),
    })
}

/// A slug: folded, lowercase, words joined by `-`.
fn slug(name: &str) -> String {
    vi_text::fold_form(name)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeletons() {
        assert_eq!(skeleton("Bộ Y Tế 🇻🇳 Official!!!"), ["bo", "y", "te", "officiai"]);
        assert_eq!(skeleton("B0 Y T3"), ["bo", "y", "te"]);
        assert_eq!(skeleton("Bệnh viện 108"), ["benh", "vien", "108"]);
        assert_eq!(skeleton("Вộ Y Tế"), ["bo", "y", "te"]);
        assert_eq!(skeleton("ВО У ТЕ"), ["bo", "y", "te"]);
    }

    #[test]
    fn urls() {
        assert_eq!(
            normalise_url("https://www.facebook.com/MOHVIETNAM/").as_deref(),
            Some("facebook.com/mohvietnam")
        );
        assert_eq!(
            normalise_url("m.facebook.com/MOHVIETNAM?ref=x").as_deref(),
            Some("facebook.com/mohvietnam")
        );
        assert_eq!(
            normalise_url("https://facebook.com/profile.php?id=123&ref=a").as_deref(),
            Some("facebook.com/profile.php?id=123")
        );
        assert_eq!(normalise_url("https://moh.gov.vn").as_deref(), Some("moh.gov.vn"));
        assert_eq!(normalise_url("social:facebook/bo y te"), None);
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Khánh Hòa"), "khanh-hoa");
        assert_eq!(slug("Bà Rịa - Vũng Tàu"), "ba-ria-vung-tau");
    }
}
