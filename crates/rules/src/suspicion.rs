//! The suspicious-post signal: generic cues of health misinformation, for the new rumours
//! that no rule and no claim of the library knows yet.
//!
//! A chain message gives itself away by its form before anyone knows its claim: it begs to
//! be shared ("chia sẻ ngay", "gửi cho người thân", "trước khi bị xóa"), claims inside
//! knowledge ("tin nội bộ", "con trai chị bạn làm ở bệnh viện kể"), cites nobody ("bác sĩ
//! đầu ngành tiết lộ", "các nhà khoa học Mỹ phát hiện", "theo một nghiên cứu" with no
//! journal or institute after it), promises miracles ("chữa khỏi 100%", "thần dược",
//! "không cần đi viện"), talks people out of care ("đừng vội mổ", "đừng uống thuốc tây"),
//! offers a testimony for evidence ("mình đã thử", "khỏi luôn"), forges a dispatch ("Công
//! văn số 1186/BYT-KCB … KHẨN"), carries a short or odd link, a phone number or a sales
//! pitch, and shouts (capitals in its first sentence, "!!!", "KHẨN CẤP"). Each [`Family`] of cues has a weight; a document's score is the sum of the
//! weights of the families found in it, each counted once, capped at [`MAX_SCORE`].
//!
//! A document raises a [`RuleKind::Suspicion`] hit ([`Suspicion::hit`]) when its score
//! reaches [`THRESHOLD`], it speaks of health at all (a prize scam or a power-cut chain is
//! someone else's business), and the stance stage does not find it refuting or reporting
//! the suspicious content: the office's own warning quotes the scam ("Cảnh giác tin nhắn
//! 'KHẨN … chia sẻ ngay'") and must not score. For that check the cue spans stand for the
//! claim of a rumour hit and [`crate::StanceCues`] decides, as it does for rumour rules;
//! the calls to share and the alarm are left out of that claim, so that they still count
//! as the assertions they are.
//!
//! The phrase lists are data below, compiled once into a [`RuleSet`] like the stance cues,
//! so that they are matched by syllable whatever the case, the Unicode form, the teencode
//! (`ko`, `mn`, `bv`), and in text typed without diacritics. Links, phone numbers, dispatch
//! numbers and capitals are read from the display text directly.
//!
//! The weights and the threshold were chosen on `rules/eval/social.jsonl`; the test
//! `crates/rules/tests/suspicion.rs` prints the precision and recall of the signal alone
//! and holds floors on them.

use std::sync::{Arc, OnceLock};

use model::{Hit, MatchedTerm, RuleKind, Severity, Stance};

use crate::{Analyzed, MAX_ANALYZED_BYTES, Rule, RuleSet, StanceCues};

/// The id of every suspicion hit (one alert per story gathers them).
pub const RULE_ID: &str = "suspicion.tin-gia";

/// The title of every suspicion hit, as the board shows it.
pub const TITLE: &str = "Nghi vấn tin giả";

/// The score at which a document is suspicious.
pub const THRESHOLD: u32 = 5;

/// The most a document can score.
pub const MAX_SCORE: u32 = 12;

/// A score keeps at most this many cue spans, the first in the document.
pub const MAX_CUES: usize = 32;

/// A kind of misinformation cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// A call to share or forward: "chia sẻ ngay", "gửi cho người thân", "đừng để bị xóa".
    Share,
    /// Inside knowledge: "tin nội bộ", "người nhà làm ở bệnh viện kể", "không đăng lên
    /// Facebook".
    Insider,
    /// An authority nobody can check: "bác sĩ đầu ngành tiết lộ", "các nhà khoa học Mỹ
    /// phát hiện", "theo một nghiên cứu" without a source, hearsay, a truth said to be
    /// hidden ("bệnh viện không muốn bạn biết", "đang giữ kín").
    Unsourced,
    /// Miracle-cure language: "chữa khỏi 100%", "thần dược", "bách bệnh", "không cần đi
    /// viện".
    Miracle,
    /// A forged document: a dispatch number or "công văn" with "KHẨN" or "HỎA TỐC".
    Forged,
    /// A scam link: a URL shortener, an odd top-level domain, a host posing as an
    /// authority, "click vào link", "link ở bio".
    Link,
    /// A phone number (hotlines such as 1900 and 1800 numbers aside).
    Phone,
    /// Advice against care: "đừng vội mổ", "đừng uống thuốc tây", "bệnh viện chỉ muốn
    /// moi tiền", "ae đừng tiêm".
    AgainstCare,
    /// A testimony in place of evidence: "mình đã thử", "khỏi luôn", "hiệu nghiệm".
    Testimony,
    /// Selling: "liên hệ mua", "đặt ngay kẻo hết", "hàng hiếm".
    Sales,
    /// Alarm: a first sentence in capitals, "!!!", "KHẨN CẤP", "TIN KHẨN".
    Alarm,
}

impl Family {
    /// Every family, in the order scores list them.
    pub const ALL: [Family; 11] = [
        Family::Share,
        Family::Insider,
        Family::Unsourced,
        Family::Miracle,
        Family::Forged,
        Family::Link,
        Family::Phone,
        Family::AgainstCare,
        Family::Testimony,
        Family::Sales,
        Family::Alarm,
    ];

    /// What one family adds to the score. A family alone never reaches [`THRESHOLD`]:
    /// genuine appeals shout and ask to be shared, genuine news cites dispatches, genuine
    /// notices give phone numbers; it takes two or three of them together.
    pub fn weight(self) -> u32 {
        match self {
            Family::Share => 2,
            Family::Insider => 3,
            Family::Unsourced => 2,
            Family::Miracle => 3,
            Family::Forged => 3,
            Family::Link => 3,
            Family::Phone => 1,
            Family::AgainstCare => 2,
            Family::Testimony => 1,
            Family::Sales => 1,
            Family::Alarm => 2,
        }
    }

    /// The family's name as the board shows it beside the cue spans (the hit's terms).
    pub fn label(self) -> &'static str {
        match self {
            Family::Share => "kêu gọi chia sẻ",
            Family::Insider => "tin nội bộ",
            Family::Unsourced => "nguồn không kiểm chứng",
            Family::Miracle => "chữa khỏi thần kỳ",
            Family::Forged => "văn bản khẩn nghi giả",
            Family::Link => "đường link đáng ngờ",
            Family::Phone => "số điện thoại",
            Family::AgainstCare => "khuyên bỏ điều trị",
            Family::Testimony => "lời chứng cá nhân",
            Family::Sales => "rao bán",
            Family::Alarm => "gây hoảng loạn",
        }
    }
}

/// What the cues of one document add up to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SuspicionScore {
    /// The sum of the weights of [`SuspicionScore::families`], at most [`MAX_SCORE`].
    pub score: u32,
    /// The spans of the cues that scored, in the display text of the title or body like
    /// hit terms, title first, in document order, at most [`MAX_CUES`]; each term is its
    /// family's [`Family::label`].
    pub cues: Vec<MatchedTerm>,
    /// The families found, in [`Family::ALL`] order.
    pub families: Vec<Family>,
    /// Whether the document speaks of health (a disease, a drug, a doctor, a hospital …);
    /// looked for only when the score reaches the threshold, false below it (see
    /// [`Suspicion::speaks_of_health`]).
    pub health: bool,
    /// What the document does with its suspicious content, as the stance stage reads it;
    /// decided only for a health document that reaches the threshold.
    pub stance: Option<Stance>,
}

impl SuspicionScore {
    /// Whether the score reached the threshold on a health document that carries its
    /// content: the document deserves a [`RuleKind::Suspicion`] hit.
    pub fn is_suspicious(&self) -> bool {
        self.health && self.stance == Some(Stance::Carries)
    }
}

/// A phrase list of one family, or one of the helper lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Cue(Family),
    /// Alarm words that count only written in capitals ("KHẨN", "TIN NÓNG").
    Shout,
    /// Documents that forge a dispatch name it.
    Document,
    /// The urgency a forged dispatch claims.
    Urgent,
    /// "Theo một nghiên cứu": unsourced unless a journal or an institute follows.
    Study,
    /// Words of health, so that scams about prizes and power cuts stay out.
    Health,
}

struct Lexicon {
    list: List,
    /// Phrases, each matched as a phrase of syllables: without diacritics where every
    /// accented reading is the same cue, with them where folding would catch common words
    /// (the query engine still matches them in text typed without diacritics).
    phrases: &'static [&'static str],
    /// Whole queries, for cues made of two parts near each other.
    queries: &'static [&'static str],
}

const LEXICONS: &[Lexicon] = &[
    Lexicon {
        list: List::Cue(Family::Share),
        phrases: &[
            "chia se ngay",
            "chia se gap",
            "chia se lien",
            "chia se khan",
            "share ngay",
            "share gap",
            "share lien",
            "hãy chia sẻ",
            "hãy share",
            "chia se cho nguoi than",
            "chia se cho moi nguoi",
            "chia se cho ban be",
            "chia se cho cac nhom",
            "chia se cho cac me",
            "chia se rong rai",
            "chia se de moi nguoi",
            "share cho moi nguoi",
            "share cho nguoi than",
            "share cho ban be",
            "share giup",
            "share dum",
            "gui cho nguoi than",
            "gui ngay cho",
            "gui cho moi nguoi",
            "gui cho ban be",
            "gui cho cac nhom",
            "chuyen tiep cho",
            "chuyen tiep ngay",
            "chuyen tiep den",
            "dung de bi xoa",
            "truoc khi bi xoa",
            "truoc khi bi go",
            "dung giu lai",
            "dung giu cho rieng minh",
            "lan toa ngay",
            "copy va chia se",
            "ai doc duoc thi chia se",
        ],
        queries: &[],
    },
    Lexicon {
        list: List::Cue(Family::Insider),
        phrases: &[
            "tin noi bo",
            "nguon tin noi bo",
            "thong tin noi bo",
            "nguon noi bo",
            "tin mật",
            "khong dang len facebook",
            "khong dang len mang",
        ],
        queries: &[
            // "Con trai chị bạn làm ở bệnh viện tỉnh kể", "bạn mk làm ở bv".
            r#"("nguoi nha" OR "nguoi quen" OR "ban minh" OR "ban mk" OR "ban em" OR "ban toi" OR "ban be" OR "chi ban" OR "anh ban" OR "em ho" OR "anh ho" OR "chi ho" OR "hang xom" OR "chau" OR "co em" OR "ong anh" OR "ba chi" OR "con trai" OR "con gai") NEAR/8 ("lam o benh vien" OR "lam o bv" OR "lam trong benh vien" OR "lam trong bv" OR "lam o so y te" OR "lam xet nghiem" OR "lam trong nganh y" OR "lam ben y te" OR "lam y ta" OR "lam dieu duong" OR "lam bac si" OR "lam o khoa")"#,
        ],
    },
    Lexicon {
        list: List::Cue(Family::Unsourced),
        phrases: &[
            "bac si dau nganh",
            "giao su dau nganh",
            "ban co biet",
            "it ai biet",
            "ai cung nen biet",
            "khong phai ai cung biet",
            "nghe noi",
            "nghe don",
            "đang giữ kín",
            "giu kin thong tin",
            "giấu nhẹm",
            "bung bit",
            "bưng bít",
            "bi cam noi",
            "benh vien cam noi",
            "khong dam noi cong khai",
            "khong muon ban biet",
            "khong noi cho ban biet",
            "khong bao gio noi cho ban",
            "su that bi che giau",
            "nha nuoc giau",
        ],
        queries: &[
            r#"("dau nganh" OR "giao su" OR "bac si" OR "bs" OR "chuyen gia" OR "nha khoa hoc" OR "tien si" OR "luong y" OR "thay thuoc" OR "duoc si") NEAR/4 ("tiet lo" OR "bật mí")"#,
            r#"("nha khoa hoc" NEAR/3 (my OR nhat OR anh OR duc OR phap OR "han quoc" OR israel OR "trung quoc" OR uc OR nga OR "nuoc ngoai" OR "hoa ky" OR "the gioi")) NEAR/8 ("phat hien" OR "chung minh" OR "tim ra" OR "khang dinh" OR "xac nhan")"#,
        ],
    },
    Lexicon {
        list: List::Cue(Family::Miracle),
        phrases: &[
            "chua khoi 100",
            "khoi 100",
            "hieu qua 100",
            "het 100",
            "khỏi hẳn",
            "khoi hoan toan",
            "khoi vinh vien",
            "het vinh vien",
            "khoi benh 100",
            "cam ket khoi",
            "thần dược",
            "thanduoc",
            "bach benh",
            "chua bach benh",
            "thần kỳ",
            "danh bay",
            "khong can di vien",
            "khong can vao vien",
            "khong can nhap vien",
            "khong can di kham",
            "khong can di bac si",
            "khong can mo",
            "khong can phau thuat",
            "khong can hoa tri",
            "khong can xa tri",
            "khong can chay than",
            "khong can uong thuoc",
            "khong can dung thuoc",
            "khong can truyen dich",
            "khong can tiem",
            "thay cho thuoc",
            "diet sach virus",
            "diet sach",
            "hut het",
            "tan het",
            "teo han",
            "u teo",
        ],
        queries: &[],
    },
    Lexicon {
        list: List::Cue(Family::Link),
        phrases: &[
            "click vao link",
            "click link",
            "bam vao link",
            "nhan vao link",
            "an vao link",
            "truy cap link",
            "truy cap duong link",
            "vao link",
            "link o bio",
            "link trong bio",
            "link bio",
            "link duoi binh luan",
            "link o binh luan",
            "link ở cmt",
            "dang ky tai link",
        ],
        queries: &[],
    },
    Lexicon {
        list: List::Cue(Family::AgainstCare),
        phrases: &[
            "dung voi mo",
            "đừng mổ",
            "dung vao vien",
            "dung di vien",
            "dung uong thuoc tay",
            "dung dung thuoc tay",
            "dung nghe bac si",
            "dung tin bac si",
            "dung nghe nha truong",
            "bac si chi muon",
            "benh vien chi muon",
            "benh vien chi biet",
            "benh vien toan",
            "moi tien benh nhan",
            "dung tiem",
            "dung cho con tiem",
            "dung cho con di tiem",
            "khong nen tiem",
            "tay chay vac xin",
            "bo hoa tri",
            "ngung hoa tri",
            "ngung uong thuoc",
            "bo thuoc",
            "tu chua o nha",
        ],
        queries: &[],
    },
    Lexicon {
        list: List::Cue(Family::Testimony),
        phrases: &[
            "minh da thu",
            "toi da thu",
            "em da thu",
            "nha minh da",
            "nha em da",
            "thu la biet",
            "khoi luon",
            "khỏi lun",
            "het luon",
            "hết lun",
            "het benh luon",
            "hieu nghiem",
            "ai bi thi thu",
            "ai can thi luu lai",
        ],
        queries: &[],
    },
    Lexicon {
        list: List::Cue(Family::Sales),
        phrases: &[
            "lien he mua",
            "lien he dat",
            "đặt ngay",
            "dat mua",
            "đặt hàng ngay",
            "mua ngay",
            "kẻo hết",
            "hàng hiếm",
            "so luong co han",
            "inbox ngay",
            "ib ngay",
            "ship cod",
            "freeship",
            "mien phi ship",
            "gia chi con",
        ],
        queries: &[],
    },
    Lexicon {
        list: List::Shout,
        phrases: &[
            "khẩn",
            "khẩn cấp",
            "tin khẩn",
            "hỏa tốc",
            "cảnh báo khẩn",
            "tin nóng",
            "báo động đỏ",
            "khẩn thiết",
        ],
        queries: &[],
    },
    Lexicon {
        list: List::Document,
        phrases: &[
            "cong van",
            "công điện",
            "quyet dinh so",
            "thong bao so",
            "van ban so",
            "chi thi so",
        ],
        queries: &[],
    },
    Lexicon {
        list: List::Urgent,
        phrases: &["khẩn", "khẩn cấp", "hỏa tốc", "thượng khẩn"],
        queries: &[],
    },
    Lexicon {
        list: List::Study,
        phrases: &[
            "theo mot nghien cuu",
            "mot nghien cuu gan day",
            "mot nghien cuu moi",
            "nghien cuu moi nhat cho thay",
        ],
        queries: &[],
    },
    Lexicon {
        list: List::Health,
        // Written so that folding catches nothing else: "chua" is also "chưa", "thuoc"
        // "thuộc", "sot" "sót", so those are matched exactly (`=`), never bare.
        phrases: &[
            "benh",
            "=thuốc",
            "uong thuoc",
            "thuoc tay",
            "virus",
            "vi rut",
            "vi khuan",
            "vac xin",
            "vacxin",
            "vaccine",
            "=tiêm",
            "tiem chung",
            "tiem phong",
            "bac si",
            "benh vien",
            "bv",
            "y te",
            "suc khoe",
            "ung thu",
            "u buou",
            "khoi u",
            "dich benh",
            "o dich",
            "ngo doc",
            "xet nghiem",
            "=nhiễm",
            "=lây",
            "lay nhiem",
            "=sốt",
            "sot cao",
            "tieu duong",
            "huyet ap",
            "mo mau",
            "covid",
            "corona",
            "=cúm",
            "cum ga",
            "cum gia cam",
            "=chữa",
            "chua benh",
            "chua khoi",
            "=khỏi",
            "dieu tri",
            "chay than",
            "suy than",
            "soi than",
            "nhap vien",
            "cap cuu",
            "kham benh",
            "duoc pham",
            "thuc pham chuc nang",
            "tpcn",
            "an toan thuc pham",
            "gan nhiem mo",
            "viem",
            "than duoc",
            "dot quy",
            "tim mach",
            "tu vong",
            "=liệt",
            "bhyt",
            "bao hiem y te",
            "mang thai",
            "sinh san",
            "vo sinh",
            "doc to",
            "hoa chat",
            "sot xuat huyet",
            "sxh",
            "tieu cau",
            "truyen dich",
            "di vien",
            "vao vien",
            "benh nhan",
            "nguoi benh",
            "noc doc",
            "ran can",
            "cho can",
            "xuong khop",
            "da day",
            "giam can",
            "lieu trinh",
            "duoc si",
            "dac tri",
            "thuoc nam",
            "dong y",
            "vien uong",
            "khang sinh",
            "ha sot",
            "ung buou",
            "viem gan",
            "hiv",
            "kinh nguyet",
            "tu cung",
            "so sinh",
            "di ung",
            "tieu chay",
            "tay chan mieng",
            "mui tiem",
            "vx",
        ],
        queries: &[],
    },
];

/// Shorteners seen in scam messages; any link through them hides where it goes.
const SHORTENERS: &[&str] = &[
    "bit.ly",
    "bitly.com",
    "tinyurl.com",
    "tiny.cc",
    "cutt.ly",
    "rb.gy",
    "shorturl.at",
    "t.ly",
    "is.gd",
    "goo.gl",
    "ow.ly",
    "s.id",
    "bom.so",
    "shorten.asia",
    "rebrand.ly",
    "v.gd",
    "t.co",
];

/// Top-level domains cheap enough to throw away after one campaign.
const ODD_TLDS: &[&str] = &[
    "top", "xyz", "click", "icu", "online", "site", "live", "vip", "shop", "club", "cc", "tk",
    "ml", "ga", "cf", "gq", "buzz", "link", "work", "monster", "rest", "cyou", "sbs", "pw", "fun",
    "store", "win", "bid", "loan", "space", "website", "pro", "life",
];

/// Labels that make a host look like an authority or its service; a host carrying one
/// that is not under `gov.vn` (nor one of [`KNOWN_HOSTS`]) poses.
const AUTHORITY_WORDS: &[&str] = &[
    "boyte",
    "byt",
    "moh",
    "soyte",
    "syt",
    "bhxh",
    "baohiem",
    "cdc",
    "yte",
    "canhbao",
    "kiemtra",
    "xetnghiem",
    "dangky",
    "tiemchung",
    "vaccine",
    "vacxin",
    "benhvien",
    "chinhphu",
];

/// Hosts outside `gov.vn` that carry an authority word and are genuine.
const KNOWN_HOSTS: &[&str] = &[
    "hcdc.vn",
    "suckhoedoisong.vn",
    "vnvc.vn",
    "baohiemxahoi.gov.vn",
    "vssid.vn",
    "tiemchungcovid19.gov.vn",
];

/// After "theo một nghiên cứu", any of these within [`STUDY_REACH`] bytes names a source.
const STUDY_SOURCES: &[&str] = &[
    "tap chi",
    "dai hoc",
    "dang tren",
    "cong bo tren",
    "journal",
    "university",
    "vien ",
    "benh vien",
    "to chuc y te",
    "who",
    "bo y te",
    "lancet",
    "nature",
    "jama",
    "nejm",
    "bmj",
    "science",
    "cdc",
    "pubmed",
    "harvard",
    "nam 19",
    "nam 20",
];

/// How far after "theo một nghiên cứu" its source may be named.
const STUDY_REACH: usize = 160;

/// A forged dispatch's number and its urgency must be this close (bytes, same field).
const FORGED_REACH: usize = 400;

/// The first sentence is alarming when at least this share of its letters are capitals.
const CAPS_SHARE: f64 = 0.7;

/// A first sentence needs this many letters before its capitals count.
const CAPS_MIN_LETTERS: usize = 12;

/// The first sentence is read up to this many bytes.
const FIRST_SENTENCE: usize = 240;

/// The compiled phrase lists.
#[derive(Debug, Clone)]
pub struct Suspicion {
    set: RuleSet,
    health: RuleSet,
    labels: [Arc<str>; 11],
    threshold: u32,
}

/// The cue lists as rules (`suspicion.N`, N the list's place in [`LEXICONS`]), and the
/// health-word lists apart.
fn lexicon_rules() -> (Vec<Rule>, Vec<Rule>) {
    let mut rules = Vec::new();
    let mut health = Vec::new();
    for (i, lexicon) in LEXICONS.iter().enumerate() {
        // A phrase is quoted; a strict term (`=sốt`) is written as it is.
        let mut parts: Vec<String> = lexicon
            .phrases
            .iter()
            .map(|p| if p.starts_with('=') { (*p).to_owned() } else { format!("\"{p}\"") })
            .collect();
        parts.extend(lexicon.queries.iter().map(|q| format!("({q})")));
        let query = parts.join(" OR ");
        // The lists are constants and a test checks that every one compiles.
        let Ok(rule) =
            Rule::from_query(&format!("suspicion.{i}"), RuleKind::Topic, Severity::Low, &query)
        else {
            continue;
        };
        // Words of health are everywhere in health news: they are looked for only in
        // the few documents whose cues reach the threshold.
        if lexicon.list == List::Health { health.push(rule) } else { rules.push(rule) }
    }
    (rules, health)
}

/// The cue lists every [`RuleSet`] compiles beside its rules, so that [`crate::judge`]
/// scores suspicion in the same pass as the rules.
pub(crate) fn cue_rules() -> &'static [Rule] {
    static CUES: OnceLock<Vec<Rule>> = OnceLock::new();
    CUES.get_or_init(|| lexicon_rules().0)
}

impl Suspicion {
    /// The built-in Vietnamese cue lists, compiled once.
    pub fn builtin() -> &'static Suspicion {
        static BUILTIN: OnceLock<Suspicion> = OnceLock::new();
        BUILTIN.get_or_init(Suspicion::compile)
    }

    fn compile() -> Suspicion {
        let (rules, health) = lexicon_rules();
        Suspicion {
            set: RuleSet::compile(rules, &[]),
            health: RuleSet::compile(health, &[]),
            labels: Family::ALL.map(|f| Arc::from(f.label())),
            threshold: THRESHOLD,
        }
    }

    /// How many phrase lists compiled (for the test that every one does).
    pub fn compiled_lists(&self) -> usize {
        self.set.len() + self.health.len()
    }

    /// The same cues with another threshold (for measuring; the pipeline uses
    /// [`THRESHOLD`]).
    pub fn with_threshold(mut self, threshold: u32) -> Suspicion {
        self.threshold = threshold;
        self
    }

    /// The score at which a document is suspicious.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// Whether a document speaks of health: a disease, a drug, a doctor, a hospital …
    pub fn speaks_of_health(&self, doc: &Analyzed) -> bool {
        !self.health.match_analyzed(doc).is_empty()
    }

    /// How many phrase lists there are.
    pub fn lists() -> usize {
        LEXICONS.len()
    }

    /// Scores a document: every family of cues found, their spans, whether it speaks of
    /// health and, when it is a health document that reaches [`THRESHOLD`], its stance.
    pub fn score(&self, doc: &Analyzed) -> SuspicionScore {
        self.score_cued(doc, self.set.match_analyzed(doc))
    }

    /// [`Suspicion::score`], from the hits of the cue lists on the document (matched by
    /// this scorer's own set, or beside a rule set's rules: the ids are the same).
    pub(crate) fn score_cued(&self, doc: &Analyzed, cues: Vec<Hit>) -> SuspicionScore {
        let mut found: Vec<(Family, MatchedTerm)> = Vec::new();
        let mut documents = Vec::new();
        let mut urgent = Vec::new();
        for hit in cues {
            // Rule ids are `suspicion.N`, N the list's place in LEXICONS.
            let list = hit.rule_id.strip_prefix("suspicion.").and_then(|i| i.parse::<usize>().ok());
            let Some(list) = list.and_then(|i| LEXICONS.get(i)).map(|l| l.list) else {
                continue;
            };
            match list {
                List::Health => {}
                List::Cue(family) => found.extend(hit.terms.into_iter().map(|t| (family, t))),
                List::Shout => found.extend(
                    hit.terms
                        .into_iter()
                        .filter(|t| all_capitals(field_text(doc, t.field), t.start, t.end))
                        .map(|t| (Family::Alarm, t)),
                ),
                List::Document => documents.extend(hit.terms),
                List::Urgent => urgent.extend(hit.terms),
                List::Study => found.extend(
                    hit.terms
                        .into_iter()
                        .filter(|t| !names_source(field_text(doc, t.field), t.end))
                        .map(|t| (Family::Unsourced, t)),
                ),
            }
        }
        for (field, text) in [("title", doc.title.as_str()), ("body", doc.body.as_str())] {
            let text = analysed(text);
            for (start, end) in links(text) {
                found.push((Family::Link, term(field, start, end)));
            }
            for (start, end) in phones(text) {
                found.push((Family::Phone, term(field, start, end)));
            }
            for (start, end) in exclamations(text) {
                found.push((Family::Alarm, term(field, start, end)));
            }
            documents.extend(dispatch_numbers(text).into_iter().map(|(s, e)| term(field, s, e)));
        }
        if let Some((field, start, end)) = shouting_opening(doc) {
            found.push((Family::Alarm, term(field, start, end)));
        }
        // A dispatch counts as forged when it claims urgency close by.
        for d in &documents {
            let near = urgent.iter().find(|u| {
                u.field == d.field
                    && u.start.abs_diff(d.start).min(u.end.abs_diff(d.end)) <= FORGED_REACH
            });
            if let Some(u) = near {
                found.push((Family::Forged, d.clone()));
                found.push((Family::Forged, u.clone()));
            }
        }
        self.total(doc, found)
    }

    fn total(&self, doc: &Analyzed, mut found: Vec<(Family, MatchedTerm)>) -> SuspicionScore {
        let mut families: Vec<Family> = found.iter().map(|(f, _)| *f).collect();
        families.sort_unstable();
        families.dedup();
        let score = families.iter().map(|f| f.weight()).sum::<u32>().min(MAX_SCORE);
        found.sort_by(|a, b| {
            (a.1.field != "title", a.1.start, a.1.end, a.0).cmp(&(
                b.1.field != "title",
                b.1.start,
                b.1.end,
                b.0,
            ))
        });
        found.dedup_by(|a, b| {
            a.1.field == b.1.field && a.1.start == b.1.start && a.1.end == b.1.end
        });
        let health = score >= self.threshold && self.speaks_of_health(doc);
        let stance = health.then(|| stance_of(doc, &found));
        let cues = found
            .into_iter()
            .take(MAX_CUES)
            .map(|(family, mut t)| {
                t.term = Arc::clone(&self.labels[family as usize]);
                t
            })
            .collect();
        SuspicionScore { score, cues, families, health, stance }
    }

    /// The suspicion hit a score calls for: rule [`RULE_ID`], title [`TITLE`], severity
    /// low, the cue spans as terms; `None` unless [`SuspicionScore::is_suspicious`].
    pub fn hit(&self, score: &SuspicionScore) -> Option<Hit> {
        score.is_suspicious().then(|| Hit {
            rule_id: Arc::from(RULE_ID),
            rule_title: Arc::from(TITLE),
            kind: RuleKind::Suspicion,
            severity: Severity::Low,
            terms: score.cues.clone(),
        })
    }
}

/// The stance of the document towards its own suspicious content: the spans stand for the
/// claim of a rumour hit, the calls to share and the alarm left out of it (they are the
/// assertions the stance stage weighs), unless nothing else scored.
fn stance_of(doc: &Analyzed, found: &[(Family, MatchedTerm)]) -> Stance {
    let asserting = |f: Family| matches!(f, Family::Share | Family::Alarm);
    let mut terms: Vec<MatchedTerm> =
        found.iter().filter(|(f, _)| !asserting(*f)).map(|(_, t)| t.clone()).collect();
    if terms.is_empty() {
        terms = found.iter().map(|(_, t)| t.clone()).collect();
    }
    let claim = Hit {
        rule_id: Arc::from(RULE_ID),
        rule_title: Arc::from(TITLE),
        kind: RuleKind::Rumor,
        severity: Severity::Low,
        terms,
    };
    StanceCues::builtin().decide(doc, &claim).stance
}

fn term(field: &'static str, start: usize, end: usize) -> MatchedTerm {
    MatchedTerm { field, start, end, term: Arc::from("") }
}

fn field_text<'d>(doc: &'d Analyzed, field: &str) -> &'d str {
    if field == "title" { &doc.title } else { &doc.body }
}

/// The part of a field the rules read: the scanners read no further.
fn analysed(text: &str) -> &str {
    let mut cut = text.len().min(MAX_ANALYZED_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// Whether `text[start..end]` is written in capitals (some, and no lowercase letter).
fn all_capitals(text: &str, start: usize, end: usize) -> bool {
    let Some(word) = text.get(start..end) else { return false };
    word.chars().any(char::is_uppercase) && !word.chars().any(char::is_lowercase)
}

/// Whether a source (a journal, an institute, a year) is named soon after byte `end`.
fn names_source(text: &str, end: usize) -> bool {
    let mut stop = (end + STUDY_REACH).min(text.len());
    while !text.is_char_boundary(stop) {
        stop -= 1;
    }
    let after = vi_text::fold_str(&text[end.min(stop)..stop].to_lowercase());
    STUDY_SOURCES.iter().any(|s| after.contains(s))
}

/// Characters that may surround a link or a number without being part of it.
fn is_wrapper(c: char) -> bool {
    matches!(
        c,
        '(' | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | '"'
            | '\''
            | '“'
            | '”'
            | '‘'
            | '’'
            | '«'
            | '»'
            | '.'
            | '…'
    )
}

/// The whitespace-separated word around byte `at`, wrappers trimmed.
fn word_at(text: &str, at: usize) -> Option<(usize, usize)> {
    // Past the whole whitespace character: a no-break space is two bytes.
    let start = text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[at..].find(char::is_whitespace).map_or(text.len(), |i| at + i);
    let word = &text[start..end];
    let trimmed = word.trim_start_matches(is_wrapper);
    let s = start + (word.len() - trimmed.len());
    let trimmed = trimmed.trim_end_matches(is_wrapper);
    (!trimmed.is_empty()).then(|| (s, s + trimmed.len()))
}

/// The suspicious links of a text: through a shortener, on an odd top-level domain, or on
/// a host that poses as an authority. Only the words around a dot are looked at.
fn links(text: &str) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let bytes = text.as_bytes();
    // A host's labels meet at a dot between two label characters: a dot ending a sentence
    // or a number's decimal point next to a space is never where a link is recognised.
    let label = |i: usize| bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'-');
    for (dot, _) in text.match_indices('.') {
        if !(dot > 0 && label(dot - 1) && label(dot + 1)) {
            continue;
        }
        if out.last().is_some_and(|&(_, e)| dot < e) {
            continue;
        }
        let Some((s, e)) = word_at(text, dot) else { continue };
        if out.last().is_some_and(|&(ps, _)| ps == s) {
            continue;
        }
        if host_of(&text[s..e]).is_some_and(|h| suspicious_host(&h)) {
            out.push((s, e));
        }
    }
    out
}

/// The host of a word that is a link (`https://…`, `www.…` or `name.tld/…`), lowercase.
fn host_of(word: &str) -> Option<String> {
    let lower = word.to_ascii_lowercase();
    let rest =
        lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).unwrap_or(&lower);
    let explicit = rest.len() != lower.len() || rest.starts_with("www.");
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.split(':').next()?.trim_start_matches("www.");
    let labels: Vec<&str> = host.split('.').collect();
    let valid = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let tld = labels.last()?;
    // Without a scheme, only a known ending makes "a.b" a link: "TP.HCM", "2.5" are not.
    let looks_like_link = explicit
        || ODD_TLDS.contains(tld)
        || SHORTENERS.contains(&host)
        || matches!(*tld, "vn" | "com" | "net" | "org" | "info" | "me" | "ly" | "gl" | "gd");
    (valid && looks_like_link && tld.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| host.to_owned())
}

fn suspicious_host(host: &str) -> bool {
    if SHORTENERS.contains(&host) {
        return true;
    }
    let tld = host.rsplit('.').next().unwrap_or_default();
    if ODD_TLDS.contains(&tld) {
        return true;
    }
    if host.ends_with(".gov.vn")
        || KNOWN_HOSTS.iter().any(|k| host == *k || host.ends_with(&format!(".{k}")))
    {
        return false;
    }
    AUTHORITY_WORDS.iter().any(|w| host.split(['.', '-']).any(|label| label.contains(w)))
}

/// Phone numbers: ten or eleven digits starting with 0 (or +84 / 84), grouped by spaces,
/// dots or dashes; hotlines (1800, 1900) and short numbers are not counted.
fn phones(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // Most bytes start no number: tested first, before the byte ahead of them is read.
        if !(bytes[i].is_ascii_digit() || bytes[i] == b'+') {
            i += 1;
            continue;
        }
        if i > 0 && bytes[i - 1].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        // The first five digits are enough to tell the prefix; the rest are counted.
        let mut head = [0u8; 5];
        let mut n = 0;
        let mut j = i + usize::from(bytes[i] == b'+');
        let mut last_digit = i;
        while j < bytes.len() {
            let b = bytes[j];
            if b.is_ascii_digit() {
                if n < head.len() {
                    head[n] = b;
                }
                n += 1;
                last_digit = j;
                j += 1;
            } else if matches!(b, b' ' | b'.' | b'-')
                && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
                && n < 12
            {
                j += 1;
            } else {
                break;
            }
        }
        // +84 912 … and 84912… are 0912 …
        let international = head.starts_with(b"84") && (bytes[start] == b'+' || n == 11);
        let (len, prefix): (usize, &[u8]) =
            if international { (n - 1, &head[2..]) } else { (n, &head[..n.min(5)]) };
        // Hotlines (1800 …, 1900 …) and short numbers do not start with 0.
        let national = international || prefix.first() == Some(&b'0');
        let followed_by_word = bytes.get(last_digit + 1).is_some_and(u8::is_ascii_alphanumeric);
        if national && (10..=11).contains(&len) && !followed_by_word {
            out.push((start, last_digit + 1));
        }
        i = j.max(i + 1);
    }
    out
}

/// "!!!" and longer, "‼", and the siren emoji.
fn exclamations(text: &str) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    // Most texts have none: a substring search is much faster than a walk over every
    // character.
    // Searching for one character is a memchr; a text with a lone "!" just finds no run.
    if !['!', '！', '‼', '🚨'].iter().any(|&p| text.contains(p)) {
        return out;
    }
    // (start, end, count) of the current run of exclamation marks.
    let mut run: Option<(usize, usize, usize)> = None;
    let flush = |run: Option<(usize, usize, usize)>, out: &mut Vec<(usize, usize)>| {
        if let Some((s, e, n)) = run
            && n >= 3
        {
            out.push((s, e));
        }
    };
    for (i, m) in text.match_indices(['!', '！', '‼', '🚨']) {
        match m {
            "!" | "！" => {
                run = match run {
                    Some((s, e, n)) if e == i => Some((s, i + m.len(), n + 1)),
                    other => {
                        flush(other, &mut out);
                        Some((i, i + m.len(), 1))
                    }
                };
            }
            _ => out.push((i, i + m.len())),
        }
    }
    flush(run, &mut out);
    out.sort_unstable();
    out
}

/// Dispatch numbers as official documents print them: digits, an optional year, then a
/// slash and a code in capitals ("1186/BYT-KCB", "2471/SYT-NVY", "12/2024/QĐ-BYT"). Read
/// around each slash.
fn dispatch_numbers(text: &str) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (slash, _) in text.match_indices('/') {
        // The code: capitals, with dashes and digits after the first letters.
        let mut end = slash + 1;
        let mut letters = 0;
        let mut chars = text[end..].chars().peekable();
        while let Some(c) = chars.next() {
            let next_upper = chars.peek().is_some_and(|n| n.is_uppercase());
            if c.is_uppercase() {
                letters += 1;
            } else if !((c == '-' && next_upper) || (c.is_ascii_digit() && letters > 0)) {
                break;
            }
            end += c.len_utf8();
        }
        let clean_end = text[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if letters < 2 || !clean_end {
            continue;
        }
        // The number: digits before the slash, and before them an optional "NNNN/" year
        // and its own digits ("12/2024/").
        let digits_before =
            |at: usize| at - text[..at].trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let mut start = slash - digits_before(slash);
        if start == slash {
            continue;
        }
        if slash - start == 4 && text[..start].ends_with('/') {
            let n = digits_before(start - 1);
            if n > 0 {
                start = start - 1 - n;
            }
        }
        let clean_start = text[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        // A year's slash is part of the number found at the code's slash.
        if clean_start && out.last().is_none_or(|&(_, e)| e <= start) {
            out.push((start, end));
        }
    }
    out
}

/// The first sentence of the title, or of the body when there is no title, when most of
/// its letters are capitals: the field, and the sentence's bytes.
fn shouting_opening(doc: &Analyzed) -> Option<(&'static str, usize, usize)> {
    let (field, text) = if doc.title.trim().is_empty() {
        ("body", doc.body.as_str())
    } else {
        ("title", doc.title.as_str())
    };
    let lead = text.len() - text.trim_start().len();
    let mut end = lead;
    for (i, c) in text[lead..].char_indices() {
        if matches!(c, '.' | '?' | '\n' | '!' | ':') || i >= FIRST_SENTENCE {
            break;
        }
        end = lead + i + c.len_utf8();
    }
    let sentence = &text[lead..end];
    let upper = sentence.chars().filter(|c| c.is_uppercase()).count();
    let lower = sentence.chars().filter(|c| c.is_lowercase()).count();
    let letters = upper + lower;
    let shouting = letters >= CAPS_MIN_LETTERS && upper as f64 >= CAPS_SHARE * letters as f64;
    shouting.then_some((field, lead, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_compiles() {
        let s = Suspicion::builtin();
        assert_eq!(s.compiled_lists(), Suspicion::lists());
    }

    #[test]
    fn no_family_alone_is_suspicious() {
        for f in Family::ALL {
            assert!(f.weight() < THRESHOLD, "{f:?}");
        }
    }

    #[test]
    fn links_are_read_from_words() {
        let text = "Đăng ký tại bit.ly/xn-nuoc-byt, hoặc http://kiemtra-nuoc.vn-canhbao.top ngay. TP.HCM và 2.5 không phải link; xem moh.gov.vn, hcdc.vn";
        let found: Vec<&str> = links(text).into_iter().map(|(s, e)| &text[s..e]).collect();
        assert_eq!(found, ["bit.ly/xn-nuoc-byt", "http://kiemtra-nuoc.vn-canhbao.top"]);
        assert!(suspicious_host("byt-thongbao.com"));
        assert!(!suspicious_host("vnexpress.net"));
    }

    #[test]
    fn phones_and_hotlines() {
        let text = "Liên hệ: 01689 123 456 hoặc 0123.456.789, +84 912 345 678; tổng đài 1900 9095, đường dây nóng 1800-1234, mã 123456789012345, ngày 20/6";
        let found: Vec<&str> = phones(text).into_iter().map(|(s, e)| &text[s..e]).collect();
        assert_eq!(found, ["01689 123 456", "0123.456.789", "+84 912 345 678"]);
    }

    #[test]
    fn dispatch_numbers_in_capitals() {
        let text = "CÔNG VĂN SỐ 1186/BYT-KCB, số 2471/SYT-NVY, 12/2024/QĐ-BYT, 2208/BYT-KHẨN; không phải 24/7, 1/2 cốc, 20/6";
        let found: Vec<&str> =
            dispatch_numbers(text).into_iter().map(|(s, e)| &text[s..e]).collect();
        assert_eq!(found, ["1186/BYT-KCB", "2471/SYT-NVY", "12/2024/QĐ-BYT", "2208/BYT-KHẨN"]);
    }

    #[test]
    fn exclamation_runs() {
        let text = "Gửi ngay!!! Đừng giữ lại!! ‼️";
        let found: Vec<&str> = exclamations(text).into_iter().map(|(s, e)| &text[s..e]).collect();
        assert_eq!(found, ["!!!", "‼"]);
    }
}
