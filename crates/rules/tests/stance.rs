//! The stance of rumour hits on real-style Vietnamese text: news headlines and bodies,
//! Facebook posts, Zalo forwards, posts typed without diacritics and in teencode.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::OnceLock;

use model::{Hit, RuleKind, Stance};
use rules::{Analyzed, Rule, RuleSet, StanceCues, StanceDecision};

/// Rumour rules as packs write them once the stance stage replaces their `NOT` exclusions.
const PACK: &str = r#"
[[rules]]
id = "rumor.chong-vac-xin"
kind = "rumor"
title = "Thông tin sai lệch chống vắc xin"
severity = "high"
query = '("vac xin" OR vaccine OR "tiêm chủng" OR "tiêm phòng" OR "mũi tiêm") NEAR/8 ("vo sinh" OR "gây tự kỷ" OR "gay tu ky" OR "tẩy chay" OR "không cho con đi tiêm" OR "không nên tiêm" OR "chứa chip" OR "gắn chip" OR "gan chip" OR "thay đổi gen" OR "triệt sản" OR "chết hàng loạt")'
match = ["CẢNH BÁO KHẨN: Vắc xin gây vô sinh ở trẻ em gái"]

[[rules]]
id = "rumor.than-duoc"
kind = "rumor"
title = "Thần dược, chữa khỏi bệnh nan y"
severity = "high"
query = '("thần dược" NEAR/15 (chữa OR khỏi OR "ung thư")) OR (("chua khoi" OR "khỏi hẳn" OR "dứt điểm" OR "đánh bay") NEAR/8 ("ung thu" OR "tieu duong" OR "sot xuat huyet" OR "xương khớp"))'
match = ["Lá đu đủ chữa khỏi sốt xuất huyết chỉ sau 3 ngày"]

[[rules]]
id = "rumor.chua-benh-sai-cach"
kind = "rumor"
title = "Mẹo chữa bệnh sai cách, bỏ điều trị"
severity = "high"
query = '(("diệt sạch virus" OR "diệt virus" OR "diet virus" OR "diet sach virus") NEAR/8 (cúm OR cum OR covid OR uống OR uong OR nước OR nuoc)) OR "khong can di vien" OR "không cần truyền dịch" OR "bỏ thuốc tây"'
match = ["Uống nước chanh nóng diệt sạch virus cúm"]

[[rules]]
id = "rumor.dich-benh-gia"
kind = "rumor"
title = "Tin đồn dịch bệnh, virus lạ"
severity = "high"
query = '("bùng phát" OR "xuất hiện" OR "lây lan" OR "phát hiện" OR "bung phat" OR "xuat hien") NEAR/6 ("dịch lạ" OR "virus lạ" OR "bệnh lạ" OR "dich la" OR "virus la")'
match = ["Xuất hiện virus lạ lây qua đường hô hấp"]

[[rules]]
id = "rumor.thuc-pham-gia-don"
kind = "rumor"
title = "Tin đồn thực phẩm giả, thực phẩm nhựa"
severity = "medium"
query = '"gạo nhựa" OR "trứng giả" OR "trứng gà giả" OR "bắp cải nhựa" OR "gao nhua" OR "trung ga gia"'
match = ["Chợ xuất hiện trứng gà giả làm từ hóa chất"]
"#;

fn rules() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| {
        let (set, diags) = RuleSet::from_pack(Path::new("stance-test.toml"), PACK);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(set.check().is_empty(), "{:?}", set.check());
        set
    })
}

/// The rumour hits of a title and body, each with its stance.
fn stances(title: &str, body: &str) -> Vec<(Hit, StanceDecision)> {
    let doc = Analyzed::new(title, body);
    let hits = rules().match_analyzed(&doc);
    let scan = StanceCues::builtin().scan(&doc);
    hits.into_iter()
        .map(|h| {
            let d = scan.decide(&h);
            assert_eq!(d, StanceCues::builtin().decide(&doc, &h), "scan and decide agree");
            (h, d)
        })
        .collect()
}

/// The one rumour hit expected of a case, with its stance and the text of its cues.
fn decide(title: &str, body: &str) -> (Stance, Vec<String>) {
    let all = stances(title, body);
    assert!(!all.is_empty(), "no rumour rule matched {title:?} / {body:?}");
    let doc = Analyzed::new(title, body);
    let (_, d) = &all[0];
    let cues = d
        .cues
        .iter()
        .map(|c| {
            let text = if c.field == "title" { &doc.title } else { &doc.body };
            text[c.start..c.end].to_owned()
        })
        .collect();
    (d.stance, cues)
}

/// Where a case was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Register {
    /// A news headline, alone or with its body.
    News,
    /// A Facebook post (the first line stands for the title, as imported posts have).
    Facebook,
    /// A Zalo forward.
    Zalo,
    /// Typed without diacritics.
    Bare,
    /// Teencode.
    Teen,
}

struct Case {
    register: Register,
    title: &'static str,
    body: &'static str,
    stance: Stance,
    /// Text one of the deciding cues must be (as displayed), when the case is about a cue.
    cue: Option<&'static str>,
}

use Register::{Bare, Facebook, News, Teen, Zalo};
use Stance::{Carries, Refutes, Reports};

const fn case(
    register: Register,
    title: &'static str,
    body: &'static str,
    stance: Stance,
    cue: Option<&'static str>,
) -> Case {
    Case { register, title, body, stance, cue }
}

/// A post's title is its first line, as imported posts get one.
const fn post(
    register: Register,
    text: &'static str,
    stance: Stance,
    cue: Option<&'static str>,
) -> Case {
    Case { register, title: "", body: text, stance, cue }
}

const CASES: &[Case] = &[
    // --- Rumours that open with an alarm, or say "không có": they carry the claim.
    post(
        Facebook,
        "CẢNH BÁO: vắc xin HPV gây vô sinh ở trẻ em gái. Các mẹ cân nhắc kỹ trước khi cho con đi tiêm!",
        Carries,
        None,
    ),
    post(
        Zalo,
        "KHẨN!!! Xuất hiện virus lạ lây qua đường hô hấp ở Hà Nội, đã có người tử vong. Hãy chia sẻ cho người thân!",
        Carries,
        Some("chia sẻ cho người thân"),
    ),
    post(
        Zalo,
        "CẢNH BÁO KHẨN: Bộ Y tế khuyến cáo không cho con đi tiêm vắc xin sởi đợt này vì đã có trẻ vô sinh",
        Carries,
        Some("CẢNH BÁO KHẨN"),
    ),
    post(
        Facebook,
        "Mọi người ơi, xuất hiện dịch lạ ở Bình Dương rồi, bệnh viện không có đủ giường, chia sẻ ngay cho người thân nhé",
        Carries,
        Some("chia sẻ ngay"),
    ),
    post(
        Facebook,
        "Sốt xuất huyết chỉ cần uống nước lá đu đủ là khỏi, không cần đi viện, không cần truyền dịch gì hết",
        Carries,
        None,
    ),
    post(
        Facebook,
        "Nhà mình bỏ thuốc tây lâu rồi, uống lá này thay thế, không có tác dụng phụ gì cả",
        Carries,
        None,
    ),
    case(
        News,
        "Thần dược từ rễ cây rừng chữa khỏi ung thư giai đoạn cuối",
        "Ông Nguyễn Văn A chia sẻ bài thuốc gia truyền ba đời đã giúp hàng trăm người khỏi bệnh, không cần hóa trị.",
        Carries,
        None,
    ),
    // --- Counters: the refutation is dismissed and the claim reasserted.
    post(
        Facebook,
        "Báo chí bảo là tin giả nhưng con bé nhà hàng xóm tiêm vắc xin HPV xong bị vô sinh thật đấy mọi người ạ",
        Carries,
        Some("bảo là"),
    ),
    post(
        Bare,
        "bao chi bao la tin gia nhung vac xin gay vo sinh that do, minh biet nhieu nguoi bi roi",
        Carries,
        Some("tin gia"),
    ),
    post(
        Facebook,
        "Họ nói là tin giả, nhưng lá đu đủ chữa khỏi sốt xuất huyết chỉ sau 3 ngày, nhà mình đã thử rồi.",
        Carries,
        Some("nhưng"),
    ),
    post(
        Zalo,
        "Không phải tin đồn đâu, trứng gà giả bán đầy ở chợ rồi, ăn vào là ung thư đấy",
        Carries,
        Some("Không phải tin đồn"),
    ),
    post(
        Facebook,
        "Đừng tin những ai nói đây là tin giả. Uống nước chanh nóng diệt sạch virus cúm, bác sĩ không nói cho bạn biết đâu.",
        Carries,
        Some("bác sĩ không nói"),
    ),
    post(
        Teen,
        "vac xin covid gan chip theo doi nguoi tiem do, ko tin thi thoi. share gap cho ae",
        Carries,
        Some("ko tin thi thoi"),
    ),
    post(
        Facebook,
        "Sự thật là vắc xin Covid chứa chip theo dõi, mạng xã hội xôn xao mà báo chí im lặng",
        Carries,
        Some("báo chí im lặng"),
    ),
    case(
        News,
        "Bác bỏ tin đồn vắc xin gây vô sinh",
        "Một bài đăng viết: báo chí bảo là tin giả nhưng vắc xin gây vô sinh thật. Bộ Y tế khẳng định vắc xin an toàn.",
        Refutes,
        Some("Bác bỏ"),
    ),
    // --- Refutations, many repeating the rumour's own words.
    case(
        News,
        "Bộ Y tế bác bỏ tin vắc xin HPV gây vô sinh",
        "Thông tin vắc xin HPV gây vô sinh lan truyền trên mạng xã hội những ngày qua khiến nhiều phụ huynh lo lắng.",
        Refutes,
        Some("bác bỏ"),
    ),
    case(News, "Vắc xin HPV không gây vô sinh", "", Refutes, Some("không gây")),
    case(
        News,
        "Uống nước chanh nóng diệt sạch virus cúm: thông tin sai sự thật",
        "",
        Refutes,
        Some("sai sự thật"),
    ),
    post(
        Bare,
        "uong nuoc chanh nong diet sach virus cum la sai su that nha moi nguoi",
        Refutes,
        Some("sai su that"),
    ),
    post(Teen, "vac xin gay vo sinh la k co co so khoa hoc dau mn oi", Refutes, Some("k co co so")),
    post(Bare, "tin gia do mn, vac xin hpv ko gay vo sinh dau", Refutes, Some("tin gia")),
    post(
        Facebook,
        "Fake news nha, trứng gà giả làm từ hóa chất là không có đâu",
        Refutes,
        Some("Fake news"),
    ),
    case(
        News,
        "Cảnh giác với quảng cáo thần dược chữa khỏi ung thư trên mạng",
        "",
        Refutes,
        Some("Cảnh giác với"),
    ),
    case(
        News,
        "Cảnh báo chiêu lừa đảo bán thần dược chữa khỏi tiểu đường qua mạng",
        "",
        Refutes,
        Some("Cảnh báo"),
    ),
    case(
        News,
        "Kết quả kiểm nghiệm trứng tại chợ Hôm",
        "Về thông tin trứng gà giả bán tại chợ Hôm, Cục An toàn thực phẩm khẳng định đã lấy mẫu kiểm nghiệm và kết quả bình thường.",
        Refutes,
        Some("khẳng định"),
    ),
    case(
        News,
        "Không tự ý điều trị ung thư",
        "Bác sĩ khuyến cáo người dân không tự ý bỏ thuốc tây để uống thảo dược không rõ nguồn gốc.",
        Refutes,
        Some("không tự ý"),
    ),
    case(
        News,
        "Báo X đính chính thông tin về virus lạ lây lan ở Đà Nẵng",
        "",
        Refutes,
        Some("đính chính"),
    ),
    case(
        News,
        "Xử phạt người đăng tin vắc xin Covid gây vô sinh",
        "Công an tỉnh đã xử phạt 7,5 triệu đồng người đăng tin vắc xin Covid gây vô sinh trên Facebook.",
        Refutes,
        Some("Xử phạt"),
    ),
    case(
        News,
        "Không có chuyện gạo nhựa bán tràn lan ngoài chợ",
        "",
        Refutes,
        Some("Không có chuyện"),
    ),
    case(
        News,
        "Trứng gà giả làm từ hóa chất?",
        "Thông tin trứng gà giả làm từ hóa chất là hoàn toàn không đúng, đại diện Chi cục An toàn vệ sinh thực phẩm cho biết.",
        Refutes,
        Some("hoàn toàn không đúng"),
    ),
    case(
        News,
        "Lá đu đủ chữa khỏi sốt xuất huyết?",
        "Việc dùng lá đu đủ chữa khỏi sốt xuất huyết chưa được chứng minh, theo các bác sĩ truyền nhiễm.",
        Refutes,
        Some("chưa được chứng minh"),
    ),
    case(
        News,
        "Nước chanh nóng không có tác dụng diệt virus cúm trong cơ thể",
        "",
        Refutes,
        Some("không có tác dụng"),
    ),
    case(
        News,
        "Vắc xin Covid chứa chip theo dõi người tiêm?",
        "Đây là thông tin sai lệch, theo các chuyên gia. Vắc xin không chứa thiết bị điện tử nào.",
        Refutes,
        Some("thông tin sai"),
    ),
    post(
        Facebook,
        "Đừng tin lời đồn vắc xin sởi gây tự kỷ, con mình tiêm đủ mũi vẫn khỏe mạnh",
        Refutes,
        Some("Đừng tin lời"),
    ),
    post(Bare, "xao het, lam gi co chuyen vaccine gay vo sinh", Refutes, Some("lam gi co chuyen")),
    case(
        News,
        "Cảnh báo tin giả về dịch bệnh",
        "Trên mạng xã hội xuất hiện thông tin virus lạ bùng phát tại TP.HCM khiến nhiều người hoang mang.",
        Refutes,
        Some("tin giả"),
    ),
    post(
        Zalo,
        "THÔNG TIN SAI LỆCH: ăn bắp cải nhựa gây ung thư. Bắp cải nhựa không tồn tại, mọi người đừng hoang mang.",
        Refutes,
        Some("THÔNG TIN SAI"),
    ),
    // --- Neutral reports.
    case(News, "Xôn xao thông tin lá đu đủ chữa khỏi sốt xuất huyết", "", Reports, Some("Xôn xao")),
    case(
        News,
        "Cư dân mạng chia sẻ thông tin vắc xin Covid chứa chip",
        "",
        Reports,
        Some("Cư dân mạng"),
    ),
    case(
        News,
        "Mạng xã hội xuất hiện thông tin trứng gà giả bán tại chợ",
        "",
        Reports,
        Some("Mạng xã hội xuất hiện"),
    ),
    case(
        News,
        "Nhiều người tin rằng uống nước chanh nóng diệt virus cúm",
        "",
        Reports,
        Some("Nhiều người tin rằng"),
    ),
    case(News, "Có thật vắc xin HPV gây vô sinh?", "", Reports, Some("?")),
    case(
        News,
        "Thực hư thông tin xuất hiện dịch lạ lây lan tại Bình Dương",
        "",
        Reports,
        Some("Thực hư"),
    ),
    case(
        News,
        "Uống nước chanh nóng diệt virus cúm, có đúng không?",
        "",
        Reports,
        Some("có đúng không"),
    ),
    post(Bare, "xon xao tin vac xin gay vo sinh o truong hoc cua con", Reports, Some("xon xao")),
    case(
        News,
        "Công an vào cuộc xác minh thông tin xuất hiện virus lạ lây lan tại trường học",
        "",
        Reports,
        Some("vào cuộc xác minh"),
    ),
    // --- Guards: words that look like cues and are not, cues that are the claim's words.
    case(
        News,
        "Tin vắc xin Covid gây vô sinh vẫn lan truyền",
        "Dù Bộ Y tế đã khẳng định đây là tin giả, nhưng bài viết cho rằng vắc xin Covid gây vô sinh vẫn được chia sẻ hàng nghìn lần.",
        Refutes,
        Some("tin giả"),
    ),
    post(Teen, "vac xin hpv k gay vo sinh dau, bs noi roi", Refutes, Some("k gay")),
    post(
        Bare,
        "la du du chua khoi sot xuat huyet, khong co tac dung phu, ai cung nen biet",
        Carries,
        Some("ai cung nen biet"),
    ),
    case(
        News,
        "Sở Y tế TP.HCM lên tiếng về thông tin xuất hiện virus lạ lây lan",
        "",
        Refutes,
        Some("lên tiếng"),
    ),
    post(Bare, "canh giac voi tin vac xin gay vo sinh nha ca nha", Refutes, Some("canh giac voi")),
    post(
        Facebook,
        "Miền Bắc Bộ xuất hiện dịch lạ lây lan rất nhanh, chia sẻ cho người thân ngay",
        Carries,
        Some("chia sẻ cho người thân"),
    ),
    post(
        Bare,
        "thong tin gia dinh cho biet be bi vo sinh sau khi tiem vac xin, moi nguoi can than",
        Carries,
        None,
    ),
    post(
        Bare,
        "theo thong tin don vi tiem chung, nhieu tre bi vo sinh sau mui tiem vac xin",
        Carries,
        None,
    ),
    post(
        Facebook,
        "CẢNH BÁO: không nên cho con ăn trứng gà giả bán ngoài chợ, ăn vào là ung thư",
        Carries,
        Some("CẢNH BÁO"),
    ),
    post(
        Zalo,
        "Bộ Y tế khuyến cáo: uống nước chanh nóng mỗi sáng diệt sạch virus cúm. Hãy chia sẻ cho người thân!",
        Carries,
        Some("chia sẻ cho người thân"),
    ),
    post(
        Bare,
        "nghe noi vac xin gay vo sinh, co that khong ca nha?",
        Reports,
        Some("co that khong"),
    ),
    post(
        Facebook,
        "Không tiêm vắc xin cho con vì vắc xin gây vô sinh, các mẹ nhớ nhé",
        Carries,
        None,
    ),
    post(
        Facebook,
        "Vắc xin không chỉ gây vô sinh mà còn gây tự kỷ, mẹ nào cũng phải biết",
        Carries,
        None,
    ),
    post(
        Facebook,
        "Nghe đồn vắc xin Covid gây vô sinh, các mẹ cẩn thận",
        Carries,
        Some("Nghe đồn"),
    ),
    case(
        News,
        "Tin đồn trứng gà giả: Chi cục khẳng định không có trứng giả trên thị trường",
        "",
        Refutes,
        Some("không có"),
    ),
    post(
        Facebook,
        "Xôn xao tin trứng gà giả ở chợ Bà Chiểu, đã được kiểm chứng rồi, mọi người cẩn thận",
        Carries,
        Some("đã được kiểm chứng"),
    ),
    case(
        News,
        "Thông tin uống nước chanh nóng diệt virus cúm đang được chia sẻ rầm rộ trên mạng xã hội",
        "",
        Reports,
        Some("đang được chia sẻ"),
    ),
];

/// Cases that are hard on purpose (irony, quotation, a verdict word used for something
/// else): counted in the accuracy summary, not required one by one.
const HARD: &[Case] = &[
    post(
        Facebook,
        "Vắc xin an toàn lắm, tin giả hết đấy, chỉ có con tôi tiêm vắc xin xong vô sinh thôi",
        Carries,
        None,
    ),
    case(
        News,
        "Phụ huynh hoang mang",
        "Nhiều phụ huynh chia sẻ họ không cho con đi tiêm vì nghe nói vắc xin gây vô sinh.",
        Reports,
        None,
    ),
    post(
        Facebook,
        "Bác sĩ Bệnh viện Bạch Mai khẳng định: uống nước chanh nóng diệt sạch virus cúm",
        Carries,
        None,
    ),
    case(News, "Sự thật về tin đồn vắc xin gây vô sinh", "", Reports, None),
];

/// The first line of a post, cut between words near 120 characters, as the import gives
/// posts a title.
fn headline(text: &str) -> String {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default().trim();
    if first.chars().count() <= 120 {
        return first.to_owned();
    }
    let mut out = String::new();
    for word in first.split_whitespace() {
        if out.chars().count() + word.chars().count() > 117 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push('…');
    out
}

fn run(c: &Case) -> (Stance, Vec<String>) {
    if c.title.is_empty() { decide(&headline(c.body), c.body) } else { decide(c.title, c.body) }
}

#[test]
fn every_case_gets_its_stance_and_cue() {
    let mut wrong = Vec::new();
    for c in CASES {
        let (stance, cues) = run(c);
        let cue_ok = c.cue.is_none_or(|want| cues.iter().any(|got| got == want));
        if stance != c.stance || !cue_ok {
            wrong.push(format!(
                "{:?} {:?} / {:?}: expected {} {:?}, got {} {:?}",
                c.register,
                c.title,
                c.body,
                c.stance.as_str(),
                c.cue,
                stance.as_str(),
                cues
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

#[test]
fn accuracy_summary() {
    let all: Vec<&Case> = CASES.iter().chain(HARD).collect();
    let stances = [Carries, Refutes, Reports];
    let mut confusion = [[0usize; 3]; 3];
    let mut by_register: Vec<(Register, usize, usize)> = Vec::new();
    for c in &all {
        let (got, cues) = run(c);
        let at = |s: Stance| stances.iter().position(|&x| x == s).unwrap();
        confusion[at(c.stance)][at(got)] += 1;
        let ok = usize::from(got == c.stance);
        match by_register.iter_mut().find(|(r, _, _)| *r == c.register) {
            Some(row) => (row.1, row.2) = (row.1 + ok, row.2 + 1),
            None => by_register.push((c.register, ok, 1)),
        }
        if got != c.stance {
            println!(
                "miss: {:?} {:?} / {:?}: expected {}, got {} {cues:?}",
                c.register,
                c.title,
                c.body,
                c.stance.as_str(),
                got.as_str()
            );
        }
    }
    let right: usize = (0..3).map(|i| confusion[i][i]).sum();
    println!("expected \\ got   carries refutes reports");
    for (i, s) in stances.iter().enumerate() {
        println!(
            "{:<16} {:>7} {:>7} {:>7}",
            s.as_str(),
            confusion[i][0],
            confusion[i][1],
            confusion[i][2]
        );
    }
    for (r, ok, n) in &by_register {
        println!("{r:?}: {ok}/{n}");
    }
    println!("accuracy: {right}/{}", all.len());
    assert!(right * 100 >= all.len() * 90, "accuracy {right}/{} is below 90%", all.len());
}

/// Paragraphs of a health article that mention no claim, to put distance between a claim
/// and a cue.
const FILLER: &str = "Theo các chuyên gia dinh dưỡng, bữa ăn hằng ngày cần đủ bốn nhóm chất: \
tinh bột, chất đạm, chất béo, vitamin và khoáng chất. Người lớn nên uống từ một lít rưỡi đến \
hai lít nước mỗi ngày, nhiều hơn khi trời nắng nóng hoặc khi vận động mạnh.\n\n\
Năm nay, thành phố triển khai chương trình tiêm chủng miễn phí cho học sinh tại các trạm y tế \
phường, xã. Phụ huynh mang theo sổ tiêm chủng và giấy tờ tùy thân của trẻ, đến đúng lịch hẹn \
để được khám sàng lọc trước khi tiêm.\n\n\
Các trạm y tế mở cửa từ bảy giờ sáng đến năm giờ chiều, kể cả thứ bảy. Sau khi tiêm, trẻ được \
theo dõi ba mươi phút tại điểm tiêm và tiếp tục được gia đình theo dõi tại nhà trong hai ngày \
đầu, nếu sốt cao hoặc quấy khóc kéo dài cần đưa trẻ đến cơ sở y tế gần nhất.\n\n\
Ngoài ra, người dân nên rửa tay thường xuyên bằng xà phòng, ăn chín uống sôi, giữ vệ sinh nơi \
ở và diệt lăng quăng trong các dụng cụ chứa nước quanh nhà mỗi tuần một lần.";

#[test]
fn a_verdict_far_from_the_claim_in_a_long_article_does_not_count() {
    // An advertorial carries the claim in its lead and warns against "tin giả" in general
    // at the end, hundreds of syllables away.
    let body = format!(
        "Lá đu đủ chữa khỏi sốt xuất huyết chỉ sau ba ngày, đó là kinh nghiệm mà nhiều gia \
         đình ở miền Tây truyền lại cho con cháu.\n\n{FILLER}\n\nTrên mạng hiện nay có rất \
         nhiều tin giả về sức khỏe, vì vậy bạn đọc hãy chọn những nguồn thông tin đáng tin \
         cậy để tham khảo."
    );
    let title = "Bí quyết dân gian được nhiều gia đình truyền lại";
    assert!(body.len() > 1500, "{}", body.len());
    assert_eq!(decide(title, &body), (Carries, vec![]));

    // A news report on the rumour, with a general reminder at the end: reports.
    let body = format!(
        "Những ngày qua, trên mạng xã hội lan truyền thông tin vắc xin HPV gây vô sinh ở trẻ \
         em gái, khiến nhiều phụ huynh lo lắng.\n\n{FILLER}\n\nĐể phòng tránh tin giả, người \
         dân nên theo dõi thông tin chính thức trên cổng thông tin của Bộ Y tế."
    );
    let title = "Phụ huynh lo lắng trước đợt tiêm chủng mới";
    let (stance, cues) = decide(title, &body);
    assert_eq!(stance, Reports, "{cues:?}");
    assert!(cues.contains(&"mạng xã hội lan truyền".to_owned()), "{cues:?}");
    assert!(!cues.iter().any(|c| c == "tin giả" || c == "Bộ Y tế"), "{cues:?}");

    // The same article with a doctor's verdict next to a later mention of the claim.
    let body = format!(
        "Những ngày qua, trên mạng xã hội lan truyền thông tin vắc xin HPV gây vô sinh ở trẻ \
         em gái, khiến nhiều phụ huynh lo lắng.\n\n{FILLER}\n\nTrả lời câu hỏi về việc vắc \
         xin HPV gây vô sinh, bác sĩ Nguyễn Văn Bình khẳng định đây là thông tin sai sự thật."
    );
    let (stance, cues) = decide(title, &body);
    assert_eq!(stance, Refutes);
    assert!(cues.contains(&"sai sự thật".to_owned()), "{cues:?}");
}

#[test]
fn cue_spans_point_at_the_cue_text() {
    let title = "Hỏi đáp sức khỏe";
    let body = "Bạn đọc hỏi: uống nước chanh nóng có diệt sạch virus cúm không? Bác sĩ trả lời: \
                thông tin uống nước chanh nóng diệt sạch virus cúm là sai sự thật.";
    let doc = Analyzed::new(title, body);
    let hit = rules().match_analyzed(&doc).remove(0);
    let d = StanceCues::builtin().decide(&doc, &hit);
    assert_eq!(d.stance, Refutes);
    let spans: Vec<(&str, &str, &str)> =
        d.cues.iter().map(|c| (c.field, &doc.body[c.start..c.end], &*c.term)).collect();
    assert_eq!(spans, [("body", "sai sự thật", "sai su that")]);

    // In the title, in capitals, typed without diacritics: the span is what is displayed.
    let title = "CANH GIAC voi tin don: uong nuoc chanh nong diet sach virus cum la tin GIA";
    let doc = Analyzed::new(title, "");
    let hit = rules().match_analyzed(&doc).remove(0);
    let d = StanceCues::builtin().decide(&doc, &hit);
    let spans: Vec<(&str, &str)> =
        d.cues.iter().map(|c| (c.field, &doc.title[c.start..c.end])).collect();
    assert_eq!(
        (d.stance, spans),
        (Refutes, vec![("title", "CANH GIAC voi"), ("title", "tin don"), ("title", "tin GIA")])
    );
}

#[test]
fn each_hit_of_a_document_gets_its_own_stance() {
    let title = "Hỏi đáp sức khỏe";
    let body = "Vắc xin HPV không gây vô sinh, các mẹ yên tâm. Còn uống nước chanh nóng mỗi \
                sáng thì diệt sạch virus cúm, chia sẻ ngay cho người thân nhé!";
    let got: Vec<(String, Stance)> =
        stances(title, body).into_iter().map(|(h, d)| (h.rule_id.to_string(), d.stance)).collect();
    assert_eq!(
        got,
        [
            ("rumor.chong-vac-xin".to_owned(), Refutes),
            ("rumor.chua-benh-sai-cach".to_owned(), Carries)
        ]
    );
}

#[test]
fn a_document_without_cues_carries_and_the_cues_compile_once() {
    assert!(std::ptr::eq(StanceCues::builtin(), StanceCues::builtin()));
    let doc = Analyzed::new("Gạo nhựa bán tràn lan", "");
    let hit = rules().match_analyzed(&doc).remove(0);
    let d = StanceCues::builtin().decide(&doc, &hit);
    assert_eq!((d.stance, d.cues.len()), (Carries, 0));
    // A hit with no terms (as a hand-made one may be) is decided on the title alone.
    let empty = Hit { terms: Vec::new(), ..hit };
    let doc = Analyzed::new("Bác bỏ tin gạo nhựa", "");
    assert_eq!(StanceCues::builtin().decide(&doc, &empty).stance, Refutes);
}

/// The bundled rumour rules with the `NOT` exclusions this stage replaces cut off, and the
/// queries of the known claims (`rules/claims/*.toml`) as rumour rules. `None` when the
/// packs are not there or not in a form this reader knows.
fn repository_rules(root: &Path) -> Option<RuleSet> {
    let text = std::fs::read_to_string(root.join("rules/rumors.toml")).ok()?;
    let cut: Vec<String> = text
        .lines()
        .map(|l| match (l.starts_with("query = '"), l.rfind(" NOT (")) {
            (true, Some(i)) => format!("{}'", &l[..i]),
            _ => l.to_owned(),
        })
        .collect();
    let (set, diags) = RuleSet::from_pack(Path::new("rumors.toml"), &cut.join("\n"));
    if !diags.is_empty() {
        return None;
    }
    let mut all: Vec<rules::Rule> = set.rules().to_vec();
    for claim in known_claims(root) {
        let rule =
            Rule::from_query(&claim.id, RuleKind::Rumor, model::Severity::High, &claim.query);
        all.push(rule.ok()?);
    }
    Some(RuleSet::from_rules(all))
}

/// A known claim of `rules/claims`.
struct KnownClaim {
    id: String,
    query: String,
    /// Its phrasings, which carry it, and its refutation's summary, which refutes it.
    texts: Vec<(Stance, String)>,
}

fn known_claims(root: &Path) -> Vec<KnownClaim> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(root.join("rules/claims")) else { return out };
    let mut paths: Vec<_> = dir.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|x| x == "toml")) {
        let Some(pack) =
            std::fs::read_to_string(path).ok().and_then(|t| toml::from_str::<toml::Value>(&t).ok())
        else {
            continue;
        };
        for c in pack.get("claims").and_then(|c| c.as_array()).into_iter().flatten() {
            let (Some(id), Some(query)) =
                (c.get("id").and_then(|v| v.as_str()), c.get("query").and_then(|v| v.as_str()))
            else {
                continue;
            };
            let mut texts: Vec<(Stance, String)> = c
                .get("phrasings")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
                .filter_map(|p| Some((Carries, p.as_str()?.to_owned())))
                .collect();
            if let Some(summary) =
                c.get("refutation").and_then(|r| r.get("summary")).and_then(|s| s.as_str())
            {
                texts.push((Refutes, summary.to_owned()));
            }
            out.push(KnownClaim { id: id.to_owned(), query: query.to_owned(), texts });
        }
    }
    out
}

/// The stance of a whole item as alerts see it: carries when any rumour hit carries.
fn item_stance(set: &RuleSet, title: &str, body: &str) -> Option<(Stance, Vec<String>)> {
    let title = if title.is_empty() { headline(body) } else { title.to_owned() };
    let doc = Analyzed::new(&title, body);
    let hits: Vec<Hit> =
        set.match_analyzed(&doc).into_iter().filter(|h| h.kind == RuleKind::Rumor).collect();
    if hits.is_empty() {
        return None;
    }
    let scan = StanceCues::builtin().scan(&doc);
    let decisions: Vec<StanceDecision> = hits.iter().map(|h| scan.decide(h)).collect();
    let stance = [Carries, Refutes, Reports]
        .into_iter()
        .find(|s| decisions.iter().any(|d| d.stance == *s))
        .unwrap();
    let cues = decisions
        .iter()
        .flat_map(|d| &d.cues)
        .map(|c| {
            let text = if c.field == "title" { &doc.title } else { &doc.body };
            text[c.start..c.end].to_owned()
        })
        .collect();
    Some((stance, cues))
}

/// Measured on the repository's labelled posts (`rules/eval/social.jsonl`) and on the
/// known claims' phrasings and refutations, matched by the bundled rumour rules and the
/// claims' queries: of the texts a rule matches, how many rumours carry and how many
/// refutations do not. Without those files it prints a note and passes.
#[test]
fn measured_on_the_repository_corpora() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Some(set) = repository_rules(&root) else {
        println!("note: rules/rumors.toml or rules/claims not readable here, nothing measured");
        return;
    };
    // (label, stance) → items, for the items some rumour rule matched.
    let mut counts = std::collections::BTreeMap::<(String, Stance), usize>::new();
    let mut tally = |label: &str, text: &str, stance: Stance, cues: Vec<String>, ok: bool| {
        *counts.entry((label.to_owned(), stance)).or_default() += 1;
        if !ok {
            println!("{label} -> {} {cues:?}: {text}", stance.as_str());
        }
    };
    if let Ok(lines) = std::fs::read_to_string(root.join("rules/eval/social.jsonl")) {
        for line in lines.lines() {
            let Ok(item) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let field = |k: &str| item.get(k).and_then(|v| v.as_str()).unwrap_or_default();
            let (label, title, body) = (field("label"), field("title"), field("body"));
            let Some((stance, cues)) = item_stance(&set, title, body) else { continue };
            let ok = match label {
                "rumour" => stance == Carries,
                _ => stance != Carries,
            };
            tally(&format!("post:{label}"), body, stance, cues, ok);
        }
    }
    for claim in known_claims(&root) {
        let one = RuleSet::from_rules(vec![
            Rule::from_query(&claim.id, RuleKind::Rumor, model::Severity::High, &claim.query)
                .unwrap(),
        ]);
        for (want, text) in claim.texts {
            let Some((stance, cues)) = item_stance(&one, "", &text) else { continue };
            let label = if want == Carries { "claim:phrasing" } else { "claim:refutation" };
            // A phrasing asked as a question reports on the claim: only a refutation is wrong.
            let ok = if want == Carries { stance != Refutes } else { stance != Carries };
            tally(label, &text, stance, cues, ok);
        }
    }
    let count = |label: &str, pass: fn(Stance) -> bool| -> (usize, usize) {
        counts
            .iter()
            .filter(|((l, _), _)| l == label)
            .fold((0, 0), |(ok, n), ((_, s), c)| (ok + if pass(*s) { c } else { &0 }, n + c))
    };
    type Floor = (&'static str, fn(Stance) -> bool, usize);
    let floors: [Floor; 4] = [
        ("post:rumour", |s| s == Carries, 90),
        ("post:debunk", |s| s != Carries, 90),
        ("claim:phrasing", |s| s != Refutes, 95),
        ("claim:refutation", |s| s != Carries, 75),
    ];
    for ((label, stance), n) in &counts {
        println!("{label:<18} {:<8} {n}", stance.as_str());
    }
    for (label, pass, floor) in floors {
        let (ok, n) = count(label, pass);
        println!("{label}: {ok}/{n} as expected (floor {floor}%)");
        assert!(n == 0 || ok * 100 >= n * floor, "{label}: {ok}/{n} is below {floor}%");
    }
}
