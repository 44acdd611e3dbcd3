//! The stance of a rumour or claim hit: whether the document carries the claim, refutes it
//! or only reports on it, decided from cue phrases near the claim and in the title.
//!
//! A rumour rule matches the claim wherever it is written, in the post that spreads it and
//! in the article that debunks it alike; this module tells them apart so that only the
//! documents that carry a claim open alerts. The cues are phrase lists (below, as data),
//! compiled once into a [`RuleSet`] so that they are matched like rules: by syllable,
//! whatever the case or Unicode form, teencode (`ko`, `k`, `byt`) included. A cue written
//! without diacritics matches every accented spelling too, and is used where that is safe;
//! where folding would also catch common words (`tin gia` is in "thông tin gia đình"), the
//! unaccented spelling is listed apart and counts only in text typed without diacritics.
//!
//! What counts for a hit: a cue in the title (a headline's verdict is the item's; an
//! imported post's title is its first line), a cue within [`NEAR`] syllables of one of the
//! hit's matched terms or in the same sentence within [`SENTENCE_REACH`], a hashtag verdict
//! (`#tingia`) anywhere, and, when the claim is in the title, a cue in the body's first
//! sentence (the lead that gives the verdict). A cue that overlaps the hit's own matched
//! words is part of the claim, not a comment on it ("không cần đi viện"). Where cues
//! overlap, the longer phrase stands ("không phải tin đồn" over "tin đồn", "xôn xao" over
//! "xạo"), and of two as long the stronger kind (the counter's "tin giả" over the verdict
//! "tin giả").
//!
//! Cues are single phrases or phrases in sequence: a warning verb with a scam word ("cảnh
//! báo … lừa đảo") or with advice ("khuyến cáo người dân không tự ý …"), vigilance towards
//! a message ("cảnh giác với quảng cáo …"), a sanction with a poster ("xử phạt người đăng
//! tin"), an authority with an answering verb ("Sở Y tế lên tiếng") or with an affirming one
//! followed by a reassurance ("Bộ Y tế khẳng định … an toàn"), an attribution, a refutation
//! word and a "but" ("báo chí bảo là tin giả nhưng …"). A negation refutes only when it
//! negates one of the hit's words right after the claim's subject ("vắc xin HPV không gây
//! vô sinh"), or denies it exists ("không có dịch lạ"); prohibitions ("tuyệt đối không ăn
//! …"), "không cần …" and promises ("không sợ covid") are the rumour's own words.
//!
//! The decision, first that applies:
//! 1. a counter (a dismissal of the refutation) in the title: carries;
//! 2. a verdict or a negation of the claim in the title: refutes;
//! 3. a counter near the claim: carries;
//! 4. a verdict or a negation of the claim near it: refutes;
//! 5. an official voice in scope and no assertion ("sự thật là", "chia sẻ ngay", hearsay
//!    that asks nothing) or alarm opener ("CẢNH BÁO:", "KHẨN!!!"): refutes;
//! 6. a report cue or a question headline in scope and no assertion: reports;
//! 7. otherwise carries (the rule matched the claim and nothing says otherwise).
//!
//! [`StanceDecision::cues`] holds the spans of the cues that decided, so the dashboard can
//! highlight them next to the hit's own terms.

use std::sync::{Arc, OnceLock};

use model::{Hit, MatchedTerm, RuleKind, Severity, Stance};

use crate::{Analyzed, MAX_ANALYZED_BYTES, Rule, RuleSet};

/// A cue counts when it is at most this many syllables away from one of the hit's terms: a
/// clause or two, the reach of "X is false" around a claim.
pub const NEAR: usize = 25;

/// A cue in the same sentence as one of the hit's terms counts at most this many syllables
/// away: social posts run whole paragraphs without a full stop.
pub const SENTENCE_REACH: usize = 60;

/// The body's lead counts for a claim in the title up to this many syllables.
const LEAD: usize = 40;

/// A negated verb must come at most this many syllables before the claim word it negates
/// ("không gây [ra tình trạng] vô sinh").
const NEGATION_GAP: usize = 3;

/// A "thì" this close after a negated claim word makes the negation a condition.
const CONDITION_REACH: usize = 6;

/// "Đừng tin …" aims at the claim when one of its words follows within this many syllables.
const DISBELIEF_GAP: usize = 3;

/// A decision keeps at most this many cue spans, the first in the document: a handful
/// explain it, and a hostile text repeating a cue word must not make every decision huge.
pub const MAX_CUES: usize = 32;

/// Cue phrases are short; pairing looks this far back for a partner's start.
const LONGEST_CUE: usize = 16;

/// What a document does with the claim a hit matched, and the cue spans that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanceDecision {
    /// Carries, refutes or reports.
    pub stance: Stance,
    /// The cues that decided, in the display text of the title or body like hit terms, in
    /// document order (title first), at most [`MAX_CUES`]; empty when nothing but the claim
    /// itself was found (carries).
    pub cues: Vec<MatchedTerm>,
}

/// The compiled cue lists.
#[derive(Debug, Clone)]
pub struct StanceCues {
    set: RuleSet,
    /// For rule `i` of `set`: its lexicon and whether it is the unaccented list.
    rules: Vec<(Lex, bool)>,
}

/// A phrase list, one rule of the cue set (two when it has unaccented-only entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Verdict,
    NegWord,
    NegVerb,
    Denial,
    Any,
    Modal,
    Vigilant,
    Object,
    Warn,
    Deceit,
    Advise,
    Authority,
    Voice,
    Affirm,
    Reassure,
    Clinician,
    Punish,
    Poster,
    Say,
    Fake,
    But,
    Counter,
    Disbelief,
    Assert,
    Hearsay,
    Alarm,
    Report,
    Question,
    Block,
}

const LEX_COUNT: usize = Lex::Block as usize + 1;

struct Lexicon {
    lex: Lex,
    /// Matched in any text: written with diacritics (only those match), or without where
    /// every accented reading is the same cue.
    any: &'static [&'static str],
    /// Written without diacritics where folding would also catch common words: they count
    /// only where the text around them is typed without diacritics.
    bare: &'static [&'static str],
}

const LEXICONS: [Lexicon; LEX_COUNT] = [
    // The text itself calls the claim false, unproven, or corrects it: the press's and the
    // authorities' verdict words, and the social replies' ("fake", "xạo", "tào lao").
    Lexicon {
        lex: Lex::Verdict,
        any: &[
            "sai su that",
            "khong dung su that",
            "khong phai su that",
            "hoan toan khong dung",
            "hoan toan sai",
            "là sai",
            "là không đúng",
            "thông tin sai",
            "sai lech",
            "tin giả",
            "tin gia mao",
            "tin fake",
            "fake news",
            "fake",
            "tin vit",
            "bác bỏ",
            "phủ nhận",
            "bịa đặt",
            "xuyen tac",
            "thất thiệt",
            "vo can cu",
            "khong co can cu",
            "thieu can cu",
            "khong co co so",
            "thieu co so",
            "chua co co so",
            "chua duoc chung minh",
            "khong duoc chung minh",
            "chua he duoc chung minh",
            "chua co bang chung",
            "khong co bang chung",
            "khong co tac dung",
            "vo tac dung",
            "phan khoa hoc",
            "nguy khoa hoc",
            "khong khoa hoc",
            "đính chính",
            "cải chính",
            "khong co chuyen",
            "lam gi co chuyen",
            "lam gi co",
            "khong chinh xac",
            "chua chinh xac",
            "đừng tin",
            "đừng vội tin",
            "khong nen tin",
            "khong nghe theo",
            "đừng nghe theo",
            "khong lam theo",
            "đừng làm theo",
            "chua duoc cap phep",
            "khong duoc cap phep",
            "quang cao sai",
            "quang cao qua cong dung",
            "thoi phong cong dung",
            "lua doi",
            "danh lua",
            "la lua dao",
            "là thuốc giả",
            "là hàng giả",
            "khong thuoc danh muc",
            "khong nam trong phac do",
            "khong co trong phac do",
            "chua co nghien cuu",
            "khong co nghien cuu",
            "khong co truong hop",
            "khong chung minh duoc",
            "chua chung minh duoc",
            "khong chung to",
            "khong phat hien",
            "khong phai thuoc",
            "khong phai la thuoc",
            "khong phai phuong phap",
            "khong phai cach",
            "khong co gia tri",
            "bi gia mao",
            "bị giả",
            "khong co moi lien he",
            "khong co moi lien quan",
            "khong dua ra thong tin",
            "bi ghep",
            "cat ghep",
            "ghep mat",
            "quan niem sai",
            "hieu sai",
            "hiểu lầm",
            "lầm tưởng",
            "ngộ nhận",
            "tung tin",
            "tao lao",
            "xạo",
            "nhảm nhí",
            "vớ vẩn",
            "yeu cau go",
            "go bo bai",
            "la gia mao",
            "gia mao",
            "mao danh",
            "gia danh",
            "khong phat di",
            "khong ban hanh",
            "khong ghi nhan",
            "chua ghi nhan",
            "tingia",
            "tinfake",
            "fakenews",
        ],
        bare: &[
            "la sai",
            "la khong dung",
            "thong tin sai",
            "tin gia",
            "bac bo",
            "phu nhan",
            "bia dat",
            "that thiet",
            "dinh chinh",
            "cai chinh",
            "dung tin",
            "dung voi tin",
            "dung nghe theo",
            "dung lam theo",
            "hieu lam",
            "lam tuong",
            "ngo nhan",
            "tung tin",
            "xao",
            "nham nhi",
        ],
    },
    // A bare negator refutes only before a claim word, with at most one syllable between
    // ("nước chanh không [tiêu diệt virus]", "không [hút] nam châm"), and only after another
    // claim word in the same sentence, its subject: "Không tiêm vắc xin vì …" negates the
    // subject. "Ăn tỏi là không sợ covid" is the claim: such promises are blocked below.
    // Checked in code, like the two lists below.
    Lexicon {
        lex: Lex::NegWord,
        any: &["khong", "chẳng", "chả", "không hề", "chẳng hề", "chưa hề", "chưa từng"],
        bare: &["chang", "chang he", "chua he", "chua tung"],
    },
    // A negated verb of cause or cure refutes up to three syllables before a claim word, or
    // on it ("vắc xin không gây [ra] vô sinh", "lá đu đủ không chữa khỏi …"), after the
    // subject as above. Not "không sợ", "không bị", "không mắc": the remedy's promise.
    Lexicon {
        lex: Lex::NegVerb,
        any: &[
            "khong gay",
            "khong lam",
            "khong chua",
            "khong tri",
            "khong diet",
            "khong tieu diet",
            "khong giup",
            "khong the",
            "khong phai la",
            "khong phai do",
            "khong phai vi",
            "khong bao gio",
            "khong lay sang",
            "khong lay qua",
            "khong ngan",
            "khong phong",
            "khong khien",
            "khong dan den",
            "khong lien quan",
            "khong anh huong",
            "khong thay",
            "khong dac tri",
            "khong tao",
            "khong sinh ra",
            "khong bien thanh",
            "khong tro thanh",
            "khong gay hai",
            "khong hut",
            "chẳng gây",
            "chẳng chữa",
            "đâu có",
            "nào có",
        ],
        bare: &["dau co", "nao co"],
    },
    // A denial of existence ("không có dịch lạ", "chưa có thuốc đặc trị") needs no subject:
    // it opens headlines.
    Lexicon {
        lex: Lex::Denial,
        any: &[
            "khong co",
            "khong he co",
            "chua co",
            "chẳng có",
            "khong ton tai",
            "khong phat hien",
        ],
        bare: &["chang co"],
    },
    // "Không có [loại trà] nào", "chưa có [bất kỳ bằng chứng] …": a denial with its
    // quantifier refutes whatever it names.
    Lexicon { lex: Lex::Any, any: &["nào", "bat ky", "bat cu"], bare: &[] },
    // Prohibitions and "no need to" are the rumour's own advice, not a denial: "tuyệt đối
    // không ăn tôm với cam", "ngăn không cho virus xuống phổi", "không phải uống thuốc suốt
    // đời", "không cần dao". They are neutral and hide the negator inside them.
    Lexicon {
        lex: Lex::Modal,
        any: &[
            "khong nen",
            "khong duoc",
            "tuyet doi khong",
            "khong cho",
            "khong di",
            "khong tiem",
            "khong an",
            "khong uong",
            "không dùng",
            "khong mua",
            "khong ra",
            "khong phai",
            "khong can",
            "chớ",
            "đừng",
        ],
        bare: &["khong dung"],
    },
    // "Cảnh giác với quảng cáo …": vigilance towards a message or an offer debunks it;
    // vigilance towards the danger itself ("mọi người cảnh giác, virus lạ …", "Góc cảnh
    // giác: …") spreads the claim.
    Lexicon {
        lex: Lex::Vigilant,
        any: &[
            "canh giac voi",
            "canh giac truoc",
            "canh giac khi",
            "canh giac",
            "tinh tao truoc",
            "tinh tao voi",
            "than trong voi",
            "can trong voi",
            "de phong",
        ],
        bare: &[],
    },
    Lexicon {
        lex: Lex::Object,
        any: &[
            "quang cao",
            "thong tin",
            "tin",
            "loi moi",
            "cuoc goi",
            "tin nhan",
            "chieu",
            "thu doan",
            "san pham",
            "trang",
            "tai khoan",
            "website",
            "fanpage",
            "meo",
            "bai thuoc",
            "loi don",
            "tin don",
            "clip",
            "video",
            "than duoc",
            "loi khuyen",
            "hinh thuc",
            "cac bai",
        ],
        bare: &[],
    },
    // Warning verbs: a refutation when they point at a scam or a false claim (pairs below),
    // never alone, since "CẢNH BÁO:" opens the posts that spread rumours.
    Lexicon {
        lex: Lex::Warn,
        any: &["canh bao", "khuyen cao", "luu y", "nhac nho", "canh giac"],
        bare: &[],
    },
    // What a warning points at when it debunks: fraud, forgery, false advertising.
    Lexicon {
        lex: Lex::Deceit,
        any: &[
            "lua dao",
            "gia mao",
            "mao danh",
            "gia danh",
            "thu doan",
            "chieu tro",
            "chieu lua",
            "tin giả",
            "thông tin sai",
            "quang cao sai",
            "thoi phong",
            "khong ro nguon goc",
            "chua duoc cap phep",
            "hang gia",
            "thuốc giả",
            "sản phẩm giả",
            "troi noi",
        ],
        bare: &["tin gia", "thong tin sai", "thuoc gia", "san pham gia"],
    },
    // Advice not to follow: "khuyến cáo người dân không tự ý …" after a warning verb. Not
    // "đừng" or "tránh": "CẢNH BÁO: đừng cho con tiêm …" is the rumour's own advice.
    Lexicon {
        lex: Lex::Advise,
        any: &[
            "khong nen",
            "khong tu y",
            "khong tin",
            "khong nghe theo",
            "khong lam theo",
            "khong su dung",
            "khong mua",
            "khong chia se",
            "tinh tao",
            "than trong",
            "can trong",
            "khong dung",
            "khong uong",
            "khong an",
            "khong hoang mang",
            "binh tinh",
        ],
        bare: &[],
    },
    // Who speaks for health officially: with a voice verb near it, the text gives the
    // authorities' answer.
    Lexicon {
        lex: Lex::Authority,
        any: &[
            "bo y te",
            "so y te",
            "cuc quan ly duoc",
            "cuc an toan thuc pham",
            "cuc y te du phong",
            "cuc quan ly kham chua benh",
            "trung tam kiem soat benh tat",
            "cdc",
            "hcdc",
            "vien pasteur",
            "vien ve sinh dich te",
            "to chuc y te the gioi",
            "who",
            "benh vien",
            "trung tam y te",
            "co quan chuc nang",
            "co quan y te",
            "nganh y te",
            "bo truong",
            "thu truong",
            "giam doc so",
        ],
        bare: &[],
    },
    // The verbs of an official answer.
    Lexicon {
        lex: Lex::Voice,
        any: &[
            "khuyen cao",
            "canh bao",
            "thong tin chinh thuc",
            "len tieng",
            "trấn an",
            "giai dap",
            "lam ro",
            "phan hoi",
            "thong cao",
            "de nghi nguoi dan",
        ],
        bare: &["tran an"],
    },
    // Affirming verbs: chain messages put the claim in an authority's mouth with them
    // ("Bác sĩ Bệnh viện X khẳng định: …"), so they make an official answer only when a
    // reassurance or a negation follows.
    Lexicon {
        lex: Lex::Affirm,
        any: &["khang dinh", "nhan manh", "chi ro", "xac nhan"],
        bare: &[],
    },
    Lexicon {
        lex: Lex::Reassure,
        any: &["khong", "chưa", "an toan", "binh thuong", "sai", "giả", "vo hai"],
        bare: &[],
    },
    // Doctors and experts: an official voice only with a warning verb, since chain
    // messages open with "bác sĩ khẳng định", "giáo sư tiết lộ".
    Lexicon {
        lex: Lex::Clinician,
        any: &["bac si", "chuyen gia", "duoc si", "tien si", "pgs", "thay thuoc"],
        bare: &[],
    },
    // Sanctions: with a poster near them, the claim was punished as false.
    Lexicon {
        lex: Lex::Punish,
        any: &[
            "xu phat",
            "phat tien",
            "bi phat",
            "xu ly nghiem",
            "trieu tap",
            "moi len lam viec",
            "lap bien ban",
            "xu ly hanh chinh",
        ],
        bare: &[],
    },
    // Who posted or advertised it: a sanction on them ("xử phạt phòng khám quảng cáo …")
    // is the authorities' answer to the claim.
    Lexicon {
        lex: Lex::Poster,
        any: &[
            "quảng cáo",
            "phòng khám",
            "nhà thuốc",
            "người đăng",
            "đăng tin",
            "đăng tải",
            "dang bai",
            "chu tai khoan",
            "tai khoan facebook",
            "facebooker",
            "tiktoker",
            "tung tin",
            "chia se thong tin",
            "chia se bai",
            "nguoi chia se",
            "doi tuong",
        ],
        bare: &["nguoi dang", "dang tin", "dang tai", "tung tin"],
    },
    // Colloquial attribution ("báo chí bảo là", "họ nói là"): the first part of a counter.
    // Not "nói" alone, since news writes "Bộ Y tế nói đây là tin giả, nhưng bài viết vẫn …".
    Lexicon {
        lex: Lex::Say,
        any: &[
            "bảo",
            "bảo là",
            "cứ bảo",
            "nói là",
            "cứ nói",
            "kêu",
            "kêu là",
            "họ nói",
            "người ta nói",
            "báo chí nói",
            "báo nói",
            "ai cũng nói",
            "phán",
        ],
        bare: &["bao", "bao la", "cu bao", "noi la", "keu", "keu la", "ho noi", "nguoi ta noi"],
    },
    // What the attribution calls the claim: the refutation being dismissed.
    Lexicon {
        lex: Lex::Fake,
        any: &[
            "tin giả",
            "tin fake",
            "fake news",
            "fake",
            "sai su that",
            "tin đồn",
            "bịa đặt",
            "bịa",
            "tin vit",
            "xạo",
            "khong co",
            "khong dung",
            "an toan",
            "vo hai",
            "khong sao",
            "khong co co so",
            "nhảm nhí",
            "vớ vẩn",
            "thuyet am muu",
        ],
        bare: &["tin gia", "tin don", "bia", "bia dat", "xao", "nham nhi"],
    },
    // The turn that reasserts the claim after the dismissed refutation.
    Lexicon {
        lex: Lex::But,
        any: &["nhưng", "nhưng mà", "thế nhưng", "thuc ra", "that ra", "thuc te", "mà", "chứ"],
        bare: &["nhung", "nhung ma", "the nhung", "ma", "chu"],
    },
    // Counters that stand alone: the claim is "not a rumour", the press and doctors are not
    // to be believed, the truth is hidden from you.
    Lexicon {
        lex: Lex::Counter,
        any: &[
            "khong phai tin don",
            "khong phai la tin don",
            "khong phai tin gia",
            "khong phai la tin gia",
            "khong phai fake",
            "khong phai tin vit",
            "khong phai bia dat",
            "chang phai tin don",
            "dung tin bao chi",
            "dung tin truyen thong",
            "dung tin bac si",
            "dung tin loi bac si",
            "dung tin bo y te",
            "dung tin nha nuoc",
            "dung tin may ong",
            "dung nghe bao chi",
            "dung nghe truyen thong",
            "bao chi khong dam",
            "bao chi khong dua",
            "bao chi khong dang",
            "truyen thong khong dua",
            "truyen thong im lang",
            "bao chi im lang",
            "bac si khong noi",
            "bac si se khong noi",
            "bac si khong muon ban biet",
            "ho khong muon ban biet",
            "ho khong noi cho ban",
            "su that bi che giau",
            "su that bi giau",
        ],
        bare: &[],
    },
    // "Đừng tin những ai nói …": a counter when it aims at the refuters ("… nói là tin
    // giả"), a refutation when the claim follows ("… nói vắc xin gây vô sinh"); checked in
    // code.
    Lexicon {
        lex: Lex::Disbelief,
        any: &[
            "dung tin nhung ai noi",
            "dung tin nhung ai bao",
            "dung tin ai noi",
            "dung tin ai bao",
            "dung nghe nhung ai noi",
            "dung tin nguoi ta noi",
            "dung tin nhung nguoi noi",
            "đừng tin lời",
            "đừng nghe lời",
        ],
        bare: &["dung tin loi", "dung nghe loi"],
    },
    // Assertions and spreading: the writer vouches for the claim or passes it on. They beat
    // report cues and an official voice (chain messages quote "Bộ Y tế khuyến cáo"), not a
    // verdict ("Sự thật là vắc xin không gây vô sinh").
    Lexicon {
        lex: Lex::Assert,
        any: &[
            "su that la",
            "day la su that",
            "la su that",
            "mot su that",
            "su that 100",
            "that 100",
            "da duoc kiem chung",
            "da duoc chung minh",
            "khoa hoc da chung minh",
            "ban co biet",
            "it ai biet",
            "ai cung nen biet",
            "ai cung phai biet",
            "khong phai ai cung biet",
            "chia se ngay",
            "share ngay",
            "chia se gap",
            "share gap",
            "hãy chia sẻ",
            "chia se cho nguoi than",
            "gui cho nguoi than",
            "chia se cho moi nguoi",
            "share cho moi nguoi",
            "gui ngay cho",
            "truoc khi bi xoa",
            "truoc khi bi go",
            "che giau",
            "bung bit",
            "giau nhem",
            "khong tin thi thoi",
            "tin hay khong",
            "khong phai chuyen dua",
            "minh da thu",
            "toi da thu",
            "nha minh da",
            "hieu nghiem",
        ],
        bare: &["hay chia se"],
    },
    // Hearsay ("nghe nói", "nghe đồn"): passing the claim on, so an assertion, unless the
    // writer asks whether it is true ("… có thật không?"), which is a question.
    Lexicon {
        lex: Lex::Hearsay,
        any: &["nghe noi", "nghe don", "nghe bảo", "thấy bảo", "nghe nguoi ta noi", "nghe đâu"],
        bare: &["nghe bao", "thay bao", "nghe dau"],
    },
    // Alarm openers ("CẢNH BÁO:", "KHẨN!!!"): no verdict, they announce the claim, so they
    // count as an assertion when they open the title or body in capitals or before `:`/`!`;
    // checked in code.
    Lexicon {
        lex: Lex::Alarm,
        any: &["canh bao khan", "canh bao", "khan cap", "bao dong", "tin nong", "khẩn", "nóng"],
        bare: &["khan", "nong"],
    },
    // Reporting on the claim as something circulating, without a verdict.
    Lexicon {
        lex: Lex::Report,
        any: &[
            "thong tin lan truyen",
            "lan truyen",
            "xon xao",
            "cu dan mang",
            "dân mạng",
            "mang xa hoi xuat hien",
            "mang xa hoi lan truyen",
            "tren mang xa hoi",
            "tin đồn",
            "đồn thổi",
            "nhieu nguoi tin rang",
            "nhieu nguoi tin",
            "truyen tai",
            "thong tin cho rang",
            "bai dang",
            "bai viet lan truyen",
            "doan clip",
            "clip lan truyen",
            "dang duoc chia se",
            "gay hoang mang",
            "rộ lên",
            "co thong tin",
            "xuat hien thong tin",
            "nhieu tai khoan",
            "du luan",
            "dang xac minh",
            "vao cuoc xac minh",
            "xac minh thong tin",
            "chua duoc kiem chung",
            "duoc cho la",
            "su that ve",
            "truyen nhau",
            "bi bat",
            "bi khoi to",
            "bi tam giu",
            "linh an",
            "loi don",
            "mach nhau",
            "loi mach",
            "tin theo loi",
            "vi tin theo",
            "tin theo va",
            "quan niem",
            "lan tren mang",
            "dang lan",
        ],
        bare: &["dan mang", "tin don", "don thoi", "ro len"],
    },
    // Question headlines: the claim asked about, not asserted ("Có thật …?", "Thực hư …").
    // A title ending in `?` around a claim counts too; checked in code.
    Lexicon {
        lex: Lex::Question,
        any: &[
            "thuc hu",
            "thật hay giả",
            "that hay dua",
            "co dung khong",
            "co dung la",
            "co that khong",
            "co that la",
            "co phai la su that",
            "dung hay sai",
            "co nen tin",
            "lieu co dung",
            "thật không",
            "đúng không",
        ],
        bare: &["that hay gia", "that khong", "dung khong"],
    },
    // Phrases that look like cues and are not: a product "không có tác dụng phụ" is an
    // advertising claim, the mandatory disclaimer on functional foods is no verdict, "không
    // chỉ" and "không những" intensify, "không
    // còn" and "không dám" tell the harm, "không sợ", "không bị", "không mắc", "không có gì
    // phải lo" are the remedy's promise, "quyết định chính thức" contains "định chính".
    // Unaccented, "tin gia" is also "thông tin gia đình", "tin don" "thông tin đơn vị",
    // "bac bo" "miền Bắc Bộ", "dung tin" "sử dụng tin nhắn", "xao" "rau xào"; "bảo" of a
    // counter is also in "đảm bảo an toàn, nhưng …". A cue
    // overlapping one of these is dropped.
    Lexicon {
        lex: Lex::Block,
        any: &[
            "tac dung phu",
            "khong co tac dung thay the thuoc",
            "khong chi",
            "khong nhung",
            "chẳng những",
            "khong con",
            "khong biet",
            "khong bao gio bi",
            "khong bao gio mac",
            "thuc pham nay khong phai la thuoc",
            "bảo vệ",
            "bảo đảm",
            "đảm bảo",
            "bảo hiểm",
            "bảo quản",
            "bảo hành",
            "bảo tồn",
            "bảo mật",
            "kêu gọi",
            "lao xao",
            "xao xao",
            "khong co gi phai",
            "khong co gi dang",
            "khong so",
            "khong bi",
            "khong mac",
            "khong dinh",
            "khong lo",
            "khong phai lo",
            "khong can lo",
            "khong dam",
            "khong the tin",
            "khong tin noi",
            "khong ngo",
            "khong phai ai",
            "dinh chinh thuc",
            "hàng fake",
            "đồ fake",
            "acc fake",
            "nick fake",
            "tai khoan fake",
            "cái chính",
            "dinh chinh xac",
            "thiet thoi",
            "gia dinh",
            "gia tang",
            "gia han",
            "gia nhap",
            "gia cam",
            "gia suc",
            "gia vi",
            "gia cong",
            "gia truyen",
            "gia dung",
            "gia lai",
            "gia lam",
            "don vi",
            "don hang",
            "don thuoc",
            "don gian",
            "mien bac bo",
            "vung bac bo",
            "dong bang bac bo",
            "khu vuc bac bo",
        ],
        bare: &[
            "chang nhung",
            "hang fake",
            "do fake",
            "cai chinh la",
            "su dung tin",
            "dung tin nhan",
            "tung tin nhan",
            "bao ve",
            "bao dam",
            "dam bao",
            "bao hiem",
            "bao quan",
            "keu goi",
            "rau xao",
            "mi xao",
            "xao toi",
        ],
    },
];

/// What a cue says about the claim. Their order is their precedence where two overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Question,
    Report,
    Official,
    Alarm,
    Negation,
    Neutral,
    Hearsay,
    Assert,
    Refute,
    Disbelief,
    Counter,
}

/// How a cue is made of phrase lists.
enum Shape {
    One(Lex),
    /// The lists in this order, at most `n` syllables between one and the next.
    Then(&'static [Lex], usize),
    /// Both lists, either first, at most `n` syllables between them.
    Near(Lex, Lex, usize),
}

struct Cue {
    role: Role,
    shape: Shape,
    /// The first phrase may not be an alarm opener: "CẢNH BÁO: không nên cho con ăn …"
    /// gives the rumour's advice, "Bác sĩ khuyến cáo không nên …" the doctor's.
    unless_alarm: bool,
}

const fn one(role: Role, lex: Lex) -> Cue {
    Cue { role, shape: Shape::One(lex), unless_alarm: false }
}

const CUES: &[Cue] = &[
    one(Role::Refute, Lex::Verdict),
    one(Role::Negation, Lex::NegWord),
    one(Role::Negation, Lex::NegVerb),
    one(Role::Negation, Lex::Denial),
    one(Role::Neutral, Lex::Modal),
    // "Cảnh giác với quảng cáo …", "tỉnh táo trước thông tin …".
    Cue {
        role: Role::Refute,
        shape: Shape::Then(&[Lex::Vigilant, Lex::Object], 3),
        unless_alarm: false,
    },
    // "Không có loại trà nào …", "không có bất kỳ bằng chứng …".
    Cue {
        role: Role::Refute,
        shape: Shape::Then(&[Lex::Denial, Lex::Any], 6),
        unless_alarm: false,
    },
    // "Cảnh báo chiêu lừa đảo …", "thủ đoạn giả mạo … cơ quan chức năng cảnh báo".
    Cue { role: Role::Refute, shape: Shape::Near(Lex::Warn, Lex::Deceit, 8), unless_alarm: false },
    // "Bác sĩ khuyến cáo người dân không tự ý …".
    Cue {
        role: Role::Refute,
        shape: Shape::Then(&[Lex::Warn, Lex::Advise], 4),
        unless_alarm: true,
    },
    // "Xử phạt người đăng tin …".
    Cue {
        role: Role::Refute,
        shape: Shape::Near(Lex::Punish, Lex::Poster, 10),
        unless_alarm: false,
    },
    // "Sở Y tế khẳng định …".
    Cue {
        role: Role::Official,
        shape: Shape::Near(Lex::Authority, Lex::Voice, 8),
        unless_alarm: false,
    },
    // "Sở Y tế khẳng định vắc xin an toàn", "… khẳng định không có ca bệnh nào".
    Cue {
        role: Role::Official,
        shape: Shape::Then(&[Lex::Authority, Lex::Affirm, Lex::Reassure], 8),
        unless_alarm: false,
    },
    // "Bác sĩ truyền nhiễm cảnh báo …".
    Cue {
        role: Role::Official,
        shape: Shape::Near(Lex::Clinician, Lex::Warn, 6),
        unless_alarm: true,
    },
    // "Báo chí bảo là tin giả nhưng …".
    Cue {
        role: Role::Counter,
        shape: Shape::Then(&[Lex::Say, Lex::Fake, Lex::But], 3),
        unless_alarm: false,
    },
    one(Role::Counter, Lex::Counter),
    one(Role::Disbelief, Lex::Disbelief),
    one(Role::Assert, Lex::Assert),
    one(Role::Hearsay, Lex::Hearsay),
    one(Role::Alarm, Lex::Alarm),
    one(Role::Report, Lex::Report),
    one(Role::Question, Lex::Question),
];

const FIELDS: [&str; 2] = ["title", "body"];
const TITLE: usize = 0;
const BODY: usize = 1;

/// One place a cue phrase occurs: a field, its first and last syllable, its display bytes.
#[derive(Debug, Clone)]
struct Occ {
    field: usize,
    lex: Lex,
    lo: usize,
    hi: usize,
    start: usize,
    end: usize,
    term: Arc<str>,
}

/// A cue found: its role and the phrases that make it.
#[derive(Debug, Clone)]
struct Found {
    role: Role,
    parts: Vec<Occ>,
}

/// A field's syllables as stance reads them: display bytes, sentence and whether each is
/// typed without diacritics.
#[derive(Debug, Default)]
struct Syllables {
    bytes: Vec<(usize, usize)>,
    sentence: Vec<usize>,
    plain: Vec<bool>,
}

impl Syllables {
    fn new(text: &str) -> Syllables {
        let mut cut = text.len().min(MAX_ANALYZED_BYTES);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let tokens = vi_text::tokenize(&text[..cut]);
        let mut s = Syllables::default();
        for (i, t) in tokens.iter().enumerate() {
            s.bytes.push((t.start, t.end));
            s.sentence.push((t.position - i) / vi_text::SENTENCE_GAP);
            s.plain.push(t.is_plain());
        }
        s
    }

    fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The first and last syllables a display-byte span covers.
    fn range(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let lo = self.bytes.partition_point(|&(_, e)| e <= start);
        let hi = self.bytes.partition_point(|&(s, _)| s < end);
        (lo < hi).then(|| (lo, hi - 1))
    }

    /// Whether the text around syllables `lo..=hi` is typed without diacritics: they are,
    /// the next syllable is, and three in four of their neighbours are.
    fn typed_bare(&self, lo: usize, hi: usize) -> bool {
        if !(lo..=hi).all(|i| self.plain[i]) {
            return false;
        }
        if hi + 1 < self.len() && !self.plain[hi + 1] {
            return false;
        }
        let around = lo.saturating_sub(4)..(hi + 5).min(self.len());
        let (mut n, mut bare) = (0, 0);
        for i in around.filter(|i| !(lo..=hi).contains(i)) {
            n += 1;
            bare += usize::from(self.plain[i]);
        }
        bare * 4 >= n * 3
    }
}

/// Characters that end a clause: a negation does not reach across them.
fn breaks_clause(gap: &str) -> bool {
    gap.chars().any(|c| ",;:.!?()[]…–—\n\r".contains(c))
}

impl StanceCues {
    /// The built-in Vietnamese cue lists, compiled once.
    pub fn builtin() -> &'static StanceCues {
        static CUES: OnceLock<StanceCues> = OnceLock::new();
        CUES.get_or_init(StanceCues::compile)
    }

    fn compile() -> StanceCues {
        let mut rules = Vec::new();
        let mut kinds = Vec::new();
        for lexicon in &LEXICONS {
            for (bare, phrases) in [(false, lexicon.any), (true, lexicon.bare)] {
                if phrases.is_empty() {
                    continue;
                }
                let query =
                    phrases.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(" OR ");
                let id =
                    format!("stance.{}{}", lexicon.lex as usize, if bare { ".bare" } else { "" });
                // The lists are constants and a test checks that every one compiles; a
                // phrase the query language refused would only lose its list.
                let Ok(rule) = Rule::from_query(&id, RuleKind::Topic, Severity::Low, &query) else {
                    continue;
                };
                rules.push(rule);
                kinds.push((lexicon.lex, bare));
            }
        }
        StanceCues { set: RuleSet::from_rules(rules), rules: kinds }
    }

    /// Finds the cues of a document once, for deciding the stance of each of its hits.
    pub fn scan<'d>(&self, doc: &'d Analyzed) -> CueScan<'d> {
        let hits = self.set.match_analyzed(doc);
        let mut scan = CueScan {
            doc,
            fields: [Syllables::new(&doc.title), Syllables::new(&doc.body)],
            occs: vec![Vec::new(); LEX_COUNT],
        };
        let by_id: std::collections::HashMap<&str, (Lex, bool)> =
            self.set.rules().iter().zip(&self.rules).map(|(r, &k)| (&*r.id, k)).collect();
        for hit in hits {
            let Some(&(lex, bare)) = by_id.get(&*hit.rule_id) else { continue };
            for t in hit.terms {
                let field = usize::from(t.field == "body");
                let syl = &scan.fields[field];
                let Some((lo, hi)) = syl.range(t.start, t.end) else { continue };
                if bare && !syl.typed_bare(lo, hi) {
                    continue;
                }
                if lex == Lex::Alarm && !scan.opens_field(field, lo, t.end) {
                    continue;
                }
                let occ = Occ { field, lex, lo, hi, start: t.start, end: t.end, term: t.term };
                scan.occs[lex as usize].push(occ);
            }
        }
        // Blocked phrases are no cues at all.
        let mut blocked = [vec![false; scan.fields[0].len()], vec![false; scan.fields[1].len()]];
        for b in std::mem::take(&mut scan.occs[Lex::Block as usize]) {
            blocked[b.field][b.lo..=b.hi].fill(true);
        }
        for list in &mut scan.occs {
            list.retain(|o| !blocked[o.field][o.lo..=o.hi].contains(&true));
            list.sort_by_key(|o| (o.field, o.lo, o.hi));
            list.dedup_by_key(|o| (o.field, o.lo, o.hi));
        }
        scan
    }

    /// The stance of the document towards the claim `hit` matched in it.
    pub fn decide(&self, doc: &Analyzed, hit: &Hit) -> StanceDecision {
        self.scan(doc).decide(hit)
    }
}

fn overlaps(a: &Occ, b: &Occ) -> bool {
    a.field == b.field && a.lo <= b.hi && b.lo <= a.hi
}

/// The cues found in one document.
#[derive(Debug)]
pub struct CueScan<'d> {
    doc: &'d Analyzed,
    fields: [Syllables; 2],
    /// Occurrences by lexicon, sorted by field and syllable.
    occs: Vec<Vec<Occ>>,
}

/// Where a hit's claim is in one field: which syllables it covers, where its terms start,
/// and how far each syllable is from it.
struct ClaimMap {
    cover: Vec<bool>,
    starts: Vec<bool>,
    distance: Vec<usize>,
    sentences: std::collections::HashSet<usize>,
}

impl ClaimMap {
    fn new(syl: &Syllables, spans: &[(usize, usize)]) -> ClaimMap {
        let n = syl.len();
        let mut map = ClaimMap {
            cover: vec![false; n],
            starts: vec![false; n],
            distance: vec![usize::MAX; n],
            sentences: Default::default(),
        };
        for &(lo, hi) in spans {
            map.starts[lo] = true;
            for i in lo..=hi {
                map.cover[i] = true;
                map.sentences.insert(syl.sentence[i]);
            }
        }
        // Two sweeps give every syllable its distance to the nearest covered one.
        let mut last = None;
        for i in 0..n {
            if map.cover[i] {
                last = Some(i);
            }
            if let Some(l) = last {
                map.distance[i] = i - l;
            }
        }
        last = None;
        for i in (0..n).rev() {
            if map.cover[i] {
                last = Some(i);
            }
            if let Some(l) = last {
                map.distance[i] = map.distance[i].min(l - i);
            }
        }
        map
    }

    fn covers(&self, o: &Occ) -> bool {
        (o.lo..=o.hi).any(|i| self.cover[i])
    }
}

impl CueScan<'_> {
    /// Whether an alarm word at syllables from `lo` to the byte `end` opens its field as an
    /// alarm does: among the first three syllables, in capitals or before `:` or `!`.
    fn opens_field(&self, field: usize, lo: usize, end: usize) -> bool {
        if lo > 2 {
            return false;
        }
        let text = self.text(field);
        let (start, _) = self.fields[field].bytes[lo];
        let word = &text[start..end];
        let capitals =
            word.chars().any(char::is_uppercase) && !word.chars().any(char::is_lowercase);
        let next = text[end..].trim_start().chars().next();
        capitals || matches!(next, Some(':' | '!'))
    }

    fn text(&self, field: usize) -> &str {
        if field == TITLE { &self.doc.title } else { &self.doc.body }
    }

    /// The stance of the document towards the claim `hit` matched in it.
    pub fn decide(&self, hit: &Hit) -> StanceDecision {
        let mut spans: [Vec<(usize, usize)>; 2] = [Vec::new(), Vec::new()];
        for t in &hit.terms {
            let field = usize::from(t.field == "body");
            if let Some(r) = self.fields[field].range(t.start, t.end) {
                spans[field].push(r);
            }
        }
        let claims = [
            ClaimMap::new(&self.fields[TITLE], &spans[TITLE]),
            ClaimMap::new(&self.fields[BODY], &spans[BODY]),
        ];
        let title_claim = !spans[TITLE].is_empty();

        // Negators and "đừng tin" resolved against the claim, then overlaps settled, then
        // only what is in scope kept.
        let mut found = Vec::new();
        for mut f in self.found(&claims) {
            match f.role {
                Role::Negation if !f.parts.iter().any(|o| self.negates(o, &claims[o.field])) => {
                    continue;
                }
                Role::Disbelief => {
                    f.role = if f.parts.iter().any(|o| self.aims_at_claim(o, &claims[o.field])) {
                        Role::Refute
                    } else {
                        Role::Counter
                    };
                }
                _ => {}
            }
            found.push(f);
        }
        let mut kept: Vec<Found> = by_precedence(found, &self.fields)
            .into_iter()
            .filter(|f| f.parts.iter().any(|o| self.in_scope(o, &claims[o.field], title_claim)))
            .collect();
        if let Some(q) = self.title_question(&claims[TITLE]) {
            kept.push(q);
        }

        let refutes = |r: Role| matches!(r, Role::Refute | Role::Negation);
        let asked = kept.iter().any(|f| f.role == Role::Question);
        let asserting = |f: &Found| match f.role {
            Role::Assert | Role::Alarm => true,
            Role::Hearsay => !asked,
            _ => false,
        };
        let asserts = kept.iter().any(asserting);
        let in_title = |f: &Found| f.parts.iter().any(|o| o.field == TITLE);
        let pick = |want: &dyn Fn(&Found) -> bool| -> Vec<&Found> {
            kept.iter().filter(|f| want(f)).collect()
        };
        let tiers: [(Stance, Vec<&Found>); 6] = [
            (Stance::Carries, pick(&|f| f.role == Role::Counter && in_title(f))),
            (Stance::Refutes, pick(&|f| refutes(f.role) && in_title(f))),
            (Stance::Carries, pick(&|f| f.role == Role::Counter)),
            (Stance::Refutes, pick(&|f| refutes(f.role))),
            (
                Stance::Refutes,
                if asserts { Vec::new() } else { pick(&|f| f.role == Role::Official) },
            ),
            (
                Stance::Reports,
                if asserts {
                    Vec::new()
                } else {
                    pick(&|f| matches!(f.role, Role::Report | Role::Question))
                },
            ),
        ];
        for (stance, chosen) in tiers {
            if !chosen.is_empty() {
                return StanceDecision { stance, cues: cue_terms(&chosen) };
            }
        }
        let asserted = pick(&asserting);
        StanceDecision { stance: Stance::Carries, cues: cue_terms(&asserted) }
    }

    /// Every cue of every shape, from the occurrences that are not the claim's own words.
    fn found(&self, claims: &[ClaimMap; 2]) -> Vec<Found> {
        let free = |lex: Lex| -> Vec<&Occ> {
            // A negator may run into the claim word it negates ("không [chữa] khỏi"), not
            // start on one ("[không cần] đi viện").
            let negator = matches!(lex, Lex::NegWord | Lex::NegVerb | Lex::Denial | Lex::Modal);
            let own = |o: &Occ| {
                let claim = &claims[o.field];
                if negator { claim.cover[o.lo] } else { claim.covers(o) }
            };
            self.occs[lex as usize].iter().filter(|o| !own(o)).collect()
        };
        let alarms = &self.occs[Lex::Alarm as usize];
        let mut found = Vec::new();
        for cue in CUES {
            let opens = |o: &Occ| !cue.unless_alarm || !alarms.iter().any(|a| overlaps(a, o));
            match cue.shape {
                Shape::One(lex) => {
                    found.extend(
                        free(lex)
                            .into_iter()
                            .map(|o| Found { role: cue.role, parts: vec![o.clone()] }),
                    );
                }
                Shape::Near(a, b, within) => {
                    let (a, b) = (free(a), free(b));
                    for x in a.iter().filter(|o| opens(o)) {
                        if let Some(y) = nearest(&b, x, within, false) {
                            found.push(Found {
                                role: cue.role,
                                parts: vec![(*x).clone(), y.clone()],
                            });
                        }
                    }
                }
                Shape::Then(lexes, within) => {
                    let lists: Vec<Vec<&Occ>> = lexes.iter().map(|&l| free(l)).collect();
                    let Some((first, rest)) = lists.split_first() else { continue };
                    'start: for x in first.iter().filter(|o| opens(o)) {
                        let mut parts = vec![(*x).clone()];
                        for list in rest {
                            let Some(prev) = parts.last() else { continue 'start };
                            let Some(y) = nearest(list, prev, within, true) else {
                                continue 'start;
                            };
                            parts.push(y.clone());
                        }
                        found.push(Found { role: cue.role, parts });
                    }
                }
            }
        }
        found
    }

    /// Whether a negator negates a claim word: one starts on it after its first syllable
    /// or right after it (a negated verb: within [`NEGATION_GAP`] syllables), in the same
    /// clause; and, but for a denial of existence, another claim word comes before it in
    /// the same sentence (the subject: "vắc xin … không gây vô sinh").
    fn negates(&self, o: &Occ, claim: &ClaimMap) -> bool {
        let (reach, subject) = match o.lex {
            Lex::NegWord => (1, true),
            Lex::NegVerb => (NEGATION_GAP, true),
            _ => (NEGATION_GAP, false),
        };
        let syl = &self.fields[o.field];
        let text = self.text(o.field);
        let sentence = syl.sentence[o.lo];
        let after = (o.lo + 1..syl.len().min(o.hi + 2 + reach)).find(|&i| claim.starts[i]);
        let Some(after) = after else { return false };
        if syl.sentence[after] != sentence
            || breaks_clause(&text[syl.bytes[o.lo].1..syl.bytes[after].0])
        {
            return false;
        }
        // "Không có nước mía thì pha đường …" sets a condition, it denies nothing.
        let condition = (after..syl.len().min(after + CONDITION_REACH))
            .take_while(|&i| {
                syl.sentence[i] == sentence
                    && !breaks_clause(&text[syl.bytes[after].0..syl.bytes[i].0])
            })
            .any(|i| {
                matches!(
                    text[syl.bytes[i].0..syl.bytes[i].1].to_lowercase().as_str(),
                    "thì" | "thi"
                )
            });
        !condition
            && (!subject
                || (o.lo.saturating_sub(NEAR)..o.lo)
                    .any(|i| claim.cover[i] && syl.sentence[i] == sentence))
    }

    /// Whether "đừng tin …" is followed by the claim in the same clause.
    fn aims_at_claim(&self, o: &Occ, claim: &ClaimMap) -> bool {
        let syl = &self.fields[o.field];
        let text = self.text(o.field);
        (o.hi + 1..syl.len().min(o.hi + 2 + DISBELIEF_GAP)).any(|i| {
            claim.cover[i]
                && syl.sentence[i] == syl.sentence[o.hi]
                && !breaks_clause(&text[syl.bytes[o.hi].1..syl.bytes[i].0])
        })
    }

    /// Whether a cue occurrence counts for the hit: in the title, near a claim word, in its
    /// sentence, or in the body's lead when the claim is in the title.
    fn in_scope(&self, o: &Occ, claim: &ClaimMap, title_claim: bool) -> bool {
        // A hashtag verdict (#tingia) labels the whole post, as a title does.
        if o.field == TITLE || self.text(o.field)[..o.start].ends_with('#') {
            return true;
        }
        let syl = &self.fields[o.field];
        if title_claim && syl.sentence[o.lo] == 0 && o.hi < LEAD {
            return true;
        }
        let distance = (o.lo..=o.hi).map(|i| claim.distance[i]).min().unwrap_or(usize::MAX);
        distance <= NEAR
            || (distance <= SENTENCE_REACH && claim.sentences.contains(&syl.sentence[o.lo]))
    }

    /// A title that ends in `?` around the claim asks about it.
    fn title_question(&self, claim: &ClaimMap) -> Option<Found> {
        let title = self.doc.title.trim_end();
        let syl = &self.fields[TITLE];
        if !title.ends_with('?') || !claim.cover.iter().any(|&c| c) || syl.len() == 0 {
            return None;
        }
        let end = title.len();
        let last = syl.len() - 1;
        let occ = Occ {
            field: TITLE,
            lex: Lex::Question,
            lo: last,
            hi: last,
            start: end - 1,
            end,
            term: "?".into(),
        };
        Some(Found { role: Role::Question, parts: vec![occ] })
    }
}

/// The occurrence of `list` nearest to `x` in its field with at most `within` syllables
/// between them, not overlapping it; with `after`, only those starting after `x` ends. Of
/// two as near, the longer.
fn nearest<'o>(list: &[&'o Occ], x: &Occ, within: usize, after: bool) -> Option<&'o Occ> {
    let from = x.lo.saturating_sub(within + LONGEST_CUE);
    let i = list.partition_point(|o| (o.field, o.lo) < (x.field, from));
    list[i..]
        .iter()
        .take_while(|o| o.field == x.field && o.lo <= x.hi + within + 1)
        .filter(|o| !overlaps(o, x) && (!after || o.lo > x.hi))
        .filter_map(|o| {
            let gap = if o.lo > x.hi { o.lo - x.hi - 1 } else { x.lo.checked_sub(o.hi + 1)? };
            (gap <= within).then_some((gap, *o))
        })
        // The nearest, and of two as near the longer ("tin đồn" rather than "tin").
        .min_by_key(|&(gap, o)| (gap, std::cmp::Reverse(o.hi - o.lo)))
        .map(|(_, o)| o)
}

/// Drops every cue that overlaps a stronger one: a longer phrase (the counter "không phải
/// tin đồn" over the report "tin đồn", "xôn xao" over "xạo"), and of two as long the
/// higher role (the counter's "tin giả" over the verdict "tin giả").
fn by_precedence(found: Vec<Found>, fields: &[Syllables; 2]) -> Vec<Found> {
    let key = |o: &Occ, role: Role| (o.hi - o.lo, role);
    let mut strongest: [Vec<Option<(usize, Role)>>; 2] =
        [vec![None; fields[0].len()], vec![None; fields[1].len()]];
    for f in &found {
        for o in &f.parts {
            for slot in &mut strongest[o.field][o.lo..=o.hi] {
                *slot = (*slot).max(Some(key(o, f.role)));
            }
        }
    }
    found
        .into_iter()
        .filter(|f| {
            f.parts.iter().all(|o| {
                let k = Some(key(o, f.role));
                strongest[o.field][o.lo..=o.hi].iter().all(|s| *s <= k)
            })
        })
        .collect()
}

fn cue_terms(found: &[&Found]) -> Vec<MatchedTerm> {
    let mut terms: Vec<MatchedTerm> = found
        .iter()
        .flat_map(|f| &f.parts)
        .map(|o| MatchedTerm {
            field: FIELDS[o.field],
            start: o.start,
            end: o.end,
            term: Arc::clone(&o.term),
        })
        .collect();
    terms.sort_by(|a, b| {
        (a.field != "title", a.start, a.end, &a.term).cmp(&(
            b.field != "title",
            b.start,
            b.end,
            &b.term,
        ))
    });
    terms.dedup();
    terms.truncate(MAX_CUES);
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_compiles_whole() {
        let cues = StanceCues::builtin();
        let lists: usize = LEXICONS
            .iter()
            .map(|l| usize::from(!l.any.is_empty()) + usize::from(!l.bare.is_empty()))
            .sum();
        assert_eq!(cues.set.len(), lists);
        for (i, l) in LEXICONS.iter().enumerate() {
            assert_eq!(l.lex as usize, i, "lexicons are listed in the order of Lex");
        }
    }

    #[test]
    fn bare_entries_are_unaccented() {
        for l in &LEXICONS {
            for p in l.bare {
                assert!(vi_text::is_folded(p), "{p:?} is in a bare list with diacritics");
            }
        }
    }
}
