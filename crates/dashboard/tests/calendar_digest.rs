//! The health-day calendar and the digest's web view over HTTP: who reads and who writes
//! the planned messages, that a plan is escaped and keeps its history, the coverage of a
//! day's rules since its preparation began, and the digest page showing the e-mail's
//! content in 3C order under a policy that lets its inline styles and chart through.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, NaiveDate, Utc};
use dashboard::{AppState, DashboardConfig, auth, router};
use model::{
    Hit, MatchedTerm, Metrics, NewDocument, Role, RuleKind, Severity, SourceKind, SourceTier,
};
use search::SearchIndex;
use store::{NewSource, Processed, Store};

#[path = "support/http.rs"]
// Shared by the dashboard's tests; each uses part of it.
#[allow(dead_code)]
mod http;
use http::{get, send};

/// A topic and a health day lasting all year, so the calendar of any date shows it, and
/// one in December with a lead of 30 days.
const PACK: &str = r#"
[[rules]]
id = "topic.hiv-aids"
kind = "topic"
title = "HIV/AIDS"
severity = "low"
query = "hiv"
match = ["xét nghiệm hiv"]

[[days]]
id = "day.aids"
title = "Ngày Thế giới phòng, chống AIDS"
when = "01/12 và tháng 12"
lead_days = 30
rules = ["topic.hiv-aids"]
source = "Bộ Y tế"

[[days]]
id = "day.ca-nam"
title = "Năm hành động <vì sức khỏe>"
when = "01/01 - 31/12"
lead_days = 0
source = "Thử nghiệm"
"#;

const DATE: &str = "2026-11-25";
const KEY: &str = "day.aids@2026-12-01";

struct Fixture {
    _dir: tempfile::TempDir,
    app: axum::Router,
    store: Store,
    viewer: String,
    officer: String,
}

async fn session(store: &Store, name: &str, role: Role) -> String {
    let now = Utc::now();
    let user = store.create_user(name, "x", role, now).await.unwrap();
    let token = auth::new_token();
    let csrf = format!("csrf-{name}");
    store
        .create_session(&auth::token_hash(&token), user.id, &csrf, now, now + Duration::hours(1))
        .await
        .unwrap();
    format!("ln_session={token}")
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let s = NewSource {
        name: "Báo Sức khỏe".into(),
        url: "http://127.0.0.1:1/a.xml".into(),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        allow_private: true,
        ..NewSource::default()
    };
    let date = NaiveDate::parse_from_str(DATE, "%Y-%m-%d").unwrap();
    let noon = |d: NaiveDate| alerts::kpi::vn_day_end(d) - Duration::hours(12);
    let source = store.upsert_source(&s, noon(date) - Duration::days(90)).await.unwrap().id;
    // In the run-up (from 1/11): two documents of one story; before it: one.
    for (n, days_back, story) in [(1, 1, 7), (2, 3, 7), (3, 50, 8)] {
        let at = noon(date - Duration::days(days_back));
        let doc = NewDocument {
            source_id: source,
            url: format!("https://a.vn/{n}"),
            title: format!("Xét nghiệm HIV miễn phí <đợt {n}>"),
            summary: String::new(),
            body: "Xét nghiệm HIV.".into(),
            author: None,
            published_at: Some(at),
            fetched_at: at,
            language: "vi".into(),
            content_hash: format!("h{n}"),
            post: None,
        };
        let hit = Hit {
            rule_id: "topic.hiv-aids".into(),
            rule_title: "HIV/AIDS".into(),
            kind: RuleKind::Topic,
            severity: Severity::Low,
            terms: vec![MatchedTerm { field: "title", start: 0, end: 3, term: "hiv".into() }],
        };
        store
            .insert_batch_placed(&[Processed::new(doc, vec![hit])], &mut store::into_story(story))
            .await
            .unwrap();
    }
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("lich.toml"), PACK).unwrap();
    let (set, diags) = rules::RuleSet::load_dir(&rules_dir);
    assert!(diags.is_empty(), "{diags:?}");
    let set = Arc::new(set);
    let state = AppState::new(
        store.clone(),
        index,
        Arc::new(Metrics::default()),
        DashboardConfig::default(),
    )
    .with_rules(rules_dir, move || set.clone());
    Fixture {
        viewer: session(&store, "xem", Role::Viewer).await,
        officer: session(&store, "lan", Role::Officer).await,
        app: router(state),
        store,
        _dir: dir,
    }
}

fn post_note(cookie: Option<&str>, csrf: &str, key: &str, note: &str) -> Request<Body> {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("csrf", csrf), ("date", DATE), ("day_key", key), ("note", note)])
        .finish();
    let mut b = Request::post("/calendar/notes")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(form)).unwrap()
}

#[tokio::test]
async fn the_calendar_shows_days_coverage_and_plans_and_only_officers_write() {
    let f = fixture().await;
    let page = format!("/calendar?date={DATE}");
    let (status, headers, body) = send(&f.app, get(&page, Some(&f.viewer))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Once each, the December day spanning its month with 1/12 marked in it.
    assert_eq!(body.matches("<h2>Ngày Thế giới phòng, chống AIDS</h2>").count(), 1, "{body}");
    assert!(body.contains("01/12/2026 – 31/12/2026"), "{body}");
    assert!(body.contains("(trong đó: 01/12)"), "{body}");
    assert!(body.contains("Còn 6 ngày · cần chuẩn bị"), "{body}");
    assert!(body.contains("Năm hành động &#60;vì sức khỏe&#62;"), "titles are escaped");
    assert!(body.contains("Đang diễn ra"));
    // Coverage since 1/11: two documents, one story, one outlet; the latest listed.
    assert!(
        body.contains("Từ 01/11/2026: <strong>2</strong> bài, <strong>1</strong> câu chuyện, <strong>1</strong> nơi đưa tin."),
        "{body}"
    );
    assert!(body.contains("Xét nghiệm HIV miễn phí &#60;đợt 1&#62;"));
    assert!(!body.contains("đợt 3"), "before the run-up");
    assert!(
        body.contains("Ngày này chưa gắn quy tắc theo dõi nào"),
        "the all-year day has no rules"
    );
    // A viewer reads, without the form.
    assert!(!body.contains("action=\"/calendar/notes\""));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("style-src 'self';"), "the default policy: {csp}");

    // A viewer may not write; nor may the anonymous.
    let (status, _, body) =
        send(&f.app, post_note(Some(&f.viewer), "csrf-xem", KEY, "Không được")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("không có quyền"));
    let (status, headers, _) = send(&f.app, post_note(None, "", KEY, "Không được")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers[header::LOCATION].to_str().unwrap().starts_with("/login"));
    assert!(f.store.health_day_notes(&[KEY.to_owned()]).await.unwrap().is_empty());

    // An officer writes with the form's CSRF token, twice: the latest is shown, the first
    // kept in the history; both escaped.
    let (status, _, _) =
        send(&f.app, post_note(Some(&f.officer), "sai", KEY, "Không có token")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) =
        send(&f.app, post_note(Some(&f.officer), "csrf-lan", KEY, "Bản nháp <b>đầu</b>")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = headers[header::LOCATION].to_str().unwrap();
    assert_eq!(back, "/calendar?date=2026-11-25#ngay-day-aids-2026-12-01");
    let plan = "Xét nghiệm HIV miễn phí tại trạm y tế <script>alert(1)</script>";
    send(&f.app, post_note(Some(&f.officer), "csrf-lan", KEY, plan)).await;
    let (_, _, body) = send(&f.app, get(&page, Some(&f.officer))).await;
    assert!(!body.contains("<script>alert(1)"), "{body}");
    assert!(
        body.contains("<blockquote class=\"note\">Xét nghiệm HIV miễn phí tại trạm y tế &#60;script&#62;alert(1)&#60;/script&#62;</blockquote>"),
        "{body}"
    );
    assert!(body.contains("Cập nhật bởi lan lúc"));
    assert!(body.contains("Các bản trước (1)"));
    assert!(body.contains("Bản nháp &#60;b&#62;đầu&#60;/b&#62;"));
    assert!(body.contains("action=\"/calendar/notes\""), "officers get the form");
    assert!(body.contains("id=\"ngay-day-aids-2026-12-01\""));

    // A key the calendar does not show, or a note too long, is refused.
    let (status, _, body) =
        send(&f.app, post_note(Some(&f.officer), "csrf-lan", "day.aids@2020-12-01", "x")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("không có trong lịch"));
    let long = "x".repeat(store::MAX_NOTE_CHARS + 1);
    let (status, _, _) = send(&f.app, post_note(Some(&f.officer), "csrf-lan", KEY, &long)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(f.store.health_day_notes(&[KEY.to_owned()]).await.unwrap().len(), 2);

    let (status, _, body) = send(&f.app, get("/calendar?date=25-11-2026", Some(&f.viewer))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("không đúng dạng năm-tháng-ngày"));
}

#[tokio::test]
async fn the_digest_page_shows_the_mail_in_3c_order_for_each_reader() {
    let f = fixture().await;
    f.store.add_health_day_note(KEY, "Thông điệp <dự kiến>", "lan", Utc::now()).await.unwrap();
    let page = format!("/digest?date={DATE}&role=spokesperson");
    let (status, headers, body) = send(&f.app, get(&page, Some(&f.viewer))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let order: Vec<usize> = ["1 · NẮM BẮT", "2 · XỬ LÝ", "3 · CUNG CẤP"]
        .iter()
        .map(|h| body.find(h).unwrap_or_else(|| panic!("{h} missing: {body}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    assert!(body.contains("Lắng Nghe – Bản tin truyền thông ngày 25/11/2026"));
    assert!(body.contains("Dành cho người phát ngôn"));
    assert_eq!(
        body.matches("Ngày Thế giới phòng, chống AIDS").count(),
        2,
        "the mail and its text part"
    );
    assert!(body.contains("Thông điệp dự kiến: Thông điệp &lt;dự kiến&gt;"), "{body}");
    assert!(!body.contains("<dự kiến>"));
    assert!(body.contains("href=\"/calendar\""), "links stay on this dashboard");
    assert!(body.contains("<option value=\"spokesperson\" selected>"));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("style-src 'self' 'unsafe-inline'") && csp.contains("img-src 'self' data:")
    );
    assert!(csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"));

    // An officer's own digest is their queue; the default for an officer.
    let (status, _, body) =
        send(&f.app, get(&format!("/digest?date={DATE}"), Some(&f.officer))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Dành cho cán bộ xử lý lan") && body.contains("Việc của bạn"), "{body}");
    let (_, _, body) = send(&f.app, get(&format!("/digest?date={DATE}"), Some(&f.viewer))).await;
    assert!(body.contains("Dành cho lãnh đạo") && !body.contains("Việc của bạn"));

    for bad in ["/digest?date=2026-13-01", "/digest?role=sep", "/digest?date=2999-01-01"] {
        let (status, _, body) = send(&f.app, get(bad, Some(&f.viewer))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(body.contains("class=\"error\""), "{bad}: {body}");
    }
    let (status, headers, _) = send(&f.app, get(&page, None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers[header::LOCATION].to_str().unwrap().starts_with("/login"));
}
