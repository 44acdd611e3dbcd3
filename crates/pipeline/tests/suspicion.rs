//! The suspicious-post signal and impersonating pages through the whole pipeline: imported
//! posts become board items, a new rumour no rule knows as a low-severity "Nghi vấn tin
//! giả" alert with the cues that scored, a page posing as the Ministry as a watch alert.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use model::{RuleKind, Severity, SourceTier};
use rules::RuleSet;
use store::{BoardEntry, NewSource, Store};

#[path = "support/build.rs"]
// Shared by the pipeline's tests; each uses part of it.
#[allow(dead_code)]
mod build;

/// One rumour rule that knows plastic rice, and nothing else.
const PACK: &str = r#"
[[rules]]
id = "rumor.gao-nhua"
kind = "rumor"
title = "Tin đồn gạo nhựa"
severity = "medium"
query = '"gạo nhựa"'
match = ["Gạo nhựa trộn vào gạo thật"]
"#;

fn pipeline(store: Store, dir: &Path) -> pipeline::Pipeline {
    let p = build::pipeline(store, dir, build::Rules::None, None);
    let (set, diags) = RuleSet::from_pack(Path::new("gao-nhua.toml"), PACK);
    assert!(diags.is_empty(), "{diags:?}");
    p.set_rules(set);
    p
}

fn post(page: &str, page_url: Option<&str>, url: &str, text: &str) -> String {
    let mut v = serde_json::json!({
        "platform": "facebook",
        "page": page,
        "url": url,
        "time": "2026-11-30 08:15",
        "text": text,
    });
    if let Some(u) = page_url {
        v["page_url"] = u.into();
    }
    v.to_string()
}

fn import(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

fn of_kind(board: &[BoardEntry], kind: RuleKind) -> Vec<&BoardEntry> {
    board.iter().filter(|e| e.alert.kind == kind).collect()
}

const NOVEL: &str = "TIN NỘI BỘ: chị họ mình làm ở bệnh viện tỉnh kể đang có virus mới lây qua dây \
                     sạc điện thoại dùng chung, sốt 3 ngày là liệt. Tuyệt đối không mượn sạc của \
                     ai. Chia sẻ ngay trước khi bị xóa!!!";

#[tokio::test]
async fn a_novel_rumour_is_a_low_severity_suspicion_with_its_cues() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    // The office's own page, listed as official: its warnings raise no watch.
    let soyte = "https://www.facebook.com/soyte.lamdong.example";
    let p = pipeline(store.clone(), dir.path()).with_official_pages([rules::OfficialPage {
        name: "Sở Y tế Lâm Đồng".into(),
        url: Some(soyte.into()),
        platform: None,
        body: None,
        source: None,
    }]);
    let file = import(
        dir.path(),
        "posts.jsonl",
        &[
            // A new rumour no rule knows.
            post("Hội phụ huynh Thủ Đức", None, "https://facebook.com/groups/1/posts/1", NOVEL),
            // A known rumour told the same way: its own alert, no second one.
            post(
                "Chợ quê",
                None,
                "https://facebook.com/groups/2/posts/2",
                "TIN NỘI BỘ: gạo nhựa trộn vào gạo thật đang bán ở chợ, nấu lên dính như keo, ăn \
                 vào là ung thư. Chia sẻ ngay trước khi bị xóa!!!",
            ),
            // The office's warning about the same kind of message.
            post(
                "Sở Y tế Lâm Đồng",
                Some(soyte),
                "https://facebook.com/soyte/posts/3",
                "Sở Y tế cảnh báo: xuất hiện tin nhắn giả mạo 'TIN NỘI BỘ: virus mới lây qua dây \
                 sạc điện thoại, chia sẻ ngay trước khi bị xóa'. Đây là thông tin bịa đặt, \
                 người dân không chia sẻ, không hoang mang.",
            ),
            // Genuine news that mentions sharing.
            post(
                "Báo Sức khỏe địa phương",
                None,
                "https://facebook.com/bao/posts/4",
                "Bác sĩ Bệnh viện Nhi chia sẻ cách nhận biết trẻ mắc tay chân miệng trở nặng: sốt \
                 cao liên tục, giật mình, nôn nhiều. Phụ huynh cần đưa trẻ đi khám ngay.",
            ),
        ],
    );
    let r = p.import_posts(&file).await.unwrap();
    assert_eq!(r.added, 4, "{r:?}");

    let board = store.alert_board(None, 50).await.unwrap();
    let suspicions = of_kind(&board, RuleKind::Suspicion);
    assert_eq!(suspicions.len(), 1, "{board:#?}");
    let s = suspicions[0];
    assert_eq!(
        (
            s.alert.rule_id.as_str(),
            s.alert.rule_title.as_str(),
            s.alert.severity,
            s.alert.doc_count
        ),
        ("suspicion.tin-gia", "Nghi vấn tin giả", Severity::Low, 1)
    );
    assert_eq!(s.document.source_name, "Facebook: Hội phụ huynh Thủ Đức");
    // The alert shows the cues that scored, each named by its family.
    let text = s.document.doc.full_text();
    let cues: Vec<(&str, &str)> = s
        .hit
        .terms
        .iter()
        .filter(|t| t.field == "body")
        .map(|t| (&*t.term, &text[t.start..t.end]))
        .collect();
    for expected in [
        ("tin nội bộ", "TIN NỘI BỘ"),
        ("kêu gọi chia sẻ", "Chia sẻ ngay"),
        ("gây hoảng loạn", "!!!"),
    ] {
        assert!(cues.contains(&expected), "{expected:?} not in {cues:?}");
    }

    // The known rumour raised its own alert and no suspicion; the warning and the news none.
    let rumours = of_kind(&board, RuleKind::Rumor);
    assert_eq!(rumours.len(), 1, "{board:#?}");
    assert_eq!(rumours[0].document.source_name, "Facebook: Chợ quê");
    let attached = store.alert_documents(s.alert.id, 10).await.unwrap();
    assert_eq!(attached.len(), 1);
    assert_eq!(board.len(), 2, "{board:#?}");
}

#[tokio::test]
async fn a_page_posing_as_the_ministry_raises_a_watch_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = pipeline(store.clone(), dir.path());
    let fake = "https://www.facebook.com/boyte.vietnam.official";
    let real = "https://www.facebook.com/MOHVIETNAM";
    let file = import(
        dir.path(),
        "posts.jsonl",
        &[
            post(
                "Bo Y Te Viet Nam Official",
                Some(fake),
                "https://facebook.com/boyte.vietnam.official/posts/1",
                "Thông báo: người dân đăng ký nhận hỗ trợ tiêm chủng tại trạm y tế gần nhất.",
            ),
            post(
                "Bo Y Te Viet Nam Official",
                Some(fake),
                "https://facebook.com/boyte.vietnam.official/posts/2",
                "Lịch khám sức khỏe miễn phí cho người cao tuổi trong tháng này.",
            ),
            post(
                "Bộ Y tế - Ministry of Health",
                Some(real),
                "https://www.facebook.com/MOHVIETNAM/posts/3",
                "Bộ Y tế khuyến cáo người dân chủ động tiêm vắc xin cúm mùa.",
            ),
        ],
    );
    p.import_posts(&file).await.unwrap();
    let board = store.alert_board(None, 50).await.unwrap();
    let watches = of_kind(&board, RuleKind::Watch);
    assert_eq!(watches.len(), 1, "{board:#?}");
    let w = watches[0];
    assert_eq!(
        (
            w.alert.rule_id.as_str(),
            w.alert.rule_title.as_str(),
            w.alert.severity,
            w.alert.doc_count
        ),
        ("watch.mao-danh.bo-y-te", "Trang mạo danh Bộ Y tế", Severity::High, 1)
    );
    assert_eq!(w.document.source_name, "Facebook: Bo Y Te Viet Nam Official");
    assert!(w.hit.terms.is_empty());
    assert_eq!(board.len(), 1, "the official page raised nothing: {board:#?}");

    // Seen once, the page is known: its later posts are not raised again.
    let later = import(
        dir.path(),
        "later.jsonl",
        &[post(
            "Bo Y Te Viet Nam Official",
            Some(fake),
            "https://facebook.com/boyte.vietnam.official/posts/9",
            "Cập nhật tình hình dịch bệnh trong tuần.",
        )],
    );
    assert_eq!(p.import_posts(&later).await.unwrap().added, 1);
    assert_eq!(of_kind(&store.alert_board(None, 50).await.unwrap(), RuleKind::Watch).len(), 1);
}

#[tokio::test]
async fn the_offices_own_pages_are_not_impostors() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = pipeline(store.clone(), dir.path()).with_official_pages([rules::OfficialPage {
        name: "Sở Y tế Khánh Hòa".into(),
        url: Some("https://www.facebook.com/soytekhanhhoa".into()),
        platform: Some("facebook".into()),
        body: None,
        source: None,
    }]);
    let file = import(
        dir.path(),
        "posts.jsonl",
        &[
            post(
                "Sở Y tế Khánh Hòa",
                Some("https://m.facebook.com/soytekhanhhoa/"),
                "https://facebook.com/soytekhanhhoa/posts/1",
                "Sở Y tế khuyến cáo phòng chống sốt xuất huyết mùa mưa.",
            ),
            post(
                "S0 Y Te Khanh Hoa - Tu van",
                Some("https://facebook.com/soyte.khanhhoa.tuvan"),
                "https://facebook.com/soyte.khanhhoa.tuvan/posts/2",
                "Đăng ký khám sức khỏe tại nhà, inbox để được tư vấn.",
            ),
        ],
    );
    p.import_posts(&file).await.unwrap();
    let board = store.alert_board(None, 50).await.unwrap();
    let watches = of_kind(&board, RuleKind::Watch);
    assert_eq!(watches.len(), 1, "{board:#?}");
    assert_eq!(watches[0].alert.rule_title, "Trang mạo danh Sở Y tế Khánh Hòa");
    assert_eq!(watches[0].alert.rule_id, "watch.mao-danh.so-y-te-khanh-hoa");
}

#[tokio::test]
async fn a_polled_social_source_is_checked_at_its_first_poll() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = pipeline(store.clone(), dir.path());
    let source = store
        .upsert_source(
            &NewSource {
                name: "Bệnh viện Bạch Mai - Đặt lịch khám 24h".into(),
                url: "https://rss.example/bachmai-datlich".into(),
                tier: SourceTier::Social,
                ..NewSource::default()
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let item = |n: u32| feeds::FeedItem {
        url: format!("https://rss.example/bachmai-datlich/{n}"),
        title: format!("Đặt lịch khám không cần xếp hàng, đợt {n}"),
        body: format!("Liên hệ để được hỗ trợ đặt lịch khám với giáo sư, khoa số {n}."),
        ..feeds::FeedItem::default()
    };
    let r = p.ingest_items(&source, &[item(1), item(2)]).await.unwrap();
    assert_eq!((r.added, r.alert_hits), (2, 1), "{r:?}");
    let board = store.alert_board(None, 50).await.unwrap();
    let watches = of_kind(&board, RuleKind::Watch);
    assert_eq!(watches.len(), 1, "{board:#?}");
    assert_eq!(watches[0].alert.rule_title, "Trang mạo danh Bệnh viện Bạch Mai");
}
