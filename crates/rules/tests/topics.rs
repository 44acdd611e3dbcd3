//! The topic pack on headlines: the broad health topic is found wherever a specific topic
//! is, one health word in a title counts except in sport, economy and crime headlines, and
//! the names real headlines use (variants, influenza subtypes, cough syrups) are topics.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::OnceLock;

use model::RuleKind;
use rules::RuleSet;

const BROAD: &str = "topic.suc-khoe";

fn topics() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/topics.toml");
        let (set, diags) = RuleSet::from_pack(&path, &std::fs::read_to_string(&path).unwrap());
        assert!(diags.is_empty(), "{diags:?}");
        set
    })
}

fn fired(title: &str, body: &str) -> Vec<String> {
    topics().match_document(title, body).into_iter().map(|h| h.rule_id.to_string()).collect()
}

#[test]
fn the_broad_topic_is_found_wherever_a_specific_topic_is() {
    let set = topics();
    let mut missed = Vec::new();
    for rule in set.rules().iter().filter(|r| r.kind == RuleKind::Topic && &*r.id != BROAD) {
        for text in &rule.examples_match {
            if !fired("", text).iter().any(|id| id == BROAD) {
                missed.push(format!("{}: {text:?}", rule.id));
            }
        }
    }
    assert!(missed.is_empty(), "{BROAD} misses what a topic finds:\n{}", missed.join("\n"));
}

#[test]
fn one_health_word_makes_a_health_headline() {
    for title in [
        "Bác sĩ chỉ cách phân biệt cảm lạnh và cúm",
        "Ba người nhập viện vì ngộ độc sau bữa cỗ",
        "5 loại hạt tốt cho người bị cao huyết áp",
        "Thói quen buổi sáng giúp giảm mỡ bụng",
        "Dấu hiệu cho thấy thận đang suy yếu",
        "Uống nước đúng cách để bảo vệ dạ dày",
        "Mẹo trị mụn cho tuổi dậy thì",
        "Bệnh viện tỉnh tiếp nhận bé trai nuốt pin",
    ] {
        assert!(fired(title, "").iter().any(|id| id == BROAD), "{title:?}: {:?}", fired(title, ""));
    }
}

#[test]
fn sport_economy_crime_and_metaphor_headlines_are_not_health() {
    for title in [
        "Sức khỏe nền kinh tế phục hồi trong quý ba",
        "Cơn sốt đất lan về các huyện ngoại thành",
        "Virus máy tính mới đánh cắp mật khẩu ngân hàng",
        "Bác sĩ đội tuyển nói về chấn thương của tiền đạo",
        "HLV đau đầu vì hàng thủ liên tục mắc lỗi",
        "Thị trường chứng khoán 'đột quỵ' phiên cuối tuần",
        "Bị giật túi xách, hai vợ chồng nhập viện",
        "Tiêm kích mới bay thử thành công",
        "Máy chủ khan hàng vì cơn sốt AI",
        "Đánh bom tự sát ở ngoại ô thủ đô",
        "Lệnh cấm vận có thể phản tác dụng",
        "Tiền đạo nói mình hoàn toàn khỏe mạnh, muốn đá chính",
        "Giá vé máy bay tăng mạnh dịp cuối năm",
    ] {
        let hits = fired(title, "");
        assert!(hits.is_empty(), "{title:?} fired {hits:?}");
    }
}

#[test]
fn headline_names_are_topics() {
    let cases = [
        ("Omicron lây nhanh ở các trường học", "topic.covid-19"),
        ("Biến thể JN.1 chiếm ưu thế ở châu Âu", "topic.covid-19"),
        ("Biến chủng Delta khiến số ca nhiễm tăng vọt", "topic.covid-19"),
        ("Trung Quốc ghi nhận ca cúm H3N8 thứ hai", "topic.cum"),
        ("Ca nhiễm cúm A/H10N3 ở người", "topic.cum"),
        ("WHO cảnh báo siro ho nhiễm độc chất ở châu Phi", "topic.thuoc"),
        ("Người cao huyết áp nên ăn gì vào buổi sáng", "topic.dai-thao-duong-huyet-ap"),
        ("Chi phí thụ tinh trong ống nghiệm ở bệnh viện công", "topic.vo-sinh-hiem-muon"),
        ("Cặp vợ chồng có con sau 5 lần thụ tinh ống nghiệm", "topic.vo-sinh-hiem-muon"),
        ("Hưởng ứng ngày thế giới phòng chống lao", "topic.lao"),
    ];
    for (title, topic) in cases {
        let hits = fired(title, "");
        assert!(hits.iter().any(|id| id == topic), "{title:?}: {hits:?}");
        assert!(hits.iter().any(|id| id == BROAD), "{title:?}: {hits:?}");
    }
    // Words that are names only near a variant word, and anti-ageing, which is no lung
    // disease, with diacritics or without.
    for (title, body) in [
        ("Delta Air Lines mở đường bay mới", ""),
        ("Kem chống lão hóa bán chạy dịp lễ", ""),
        ("", "kem chong lao hoa cho da kho, ai can thi inbox"),
    ] {
        let hits = fired(title, body);
        assert!(!hits.iter().any(|id| id == "topic.covid-19" || id == "topic.lao"), "{hits:?}");
    }
}

#[test]
fn posts_typed_without_diacritics_keep_their_everyday_words() {
    for body in [
        "Soi keo tran toi nay ae, minh nghieng ve cua tren",
        "Sot ca chua an voi mi y, ai can thi luu lai nhe",
        "Xe may sa xuong ho ga tren duong Le Loi",
        "Ok minh dong y voi ban, hen gap toi nay",
    ] {
        let hits = fired("", body);
        assert!(hits.is_empty(), "{body:?} fired {hits:?}");
    }
}
