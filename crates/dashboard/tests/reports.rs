//! The report page over a real store: any logged-in user sees the period's summary with the
//! numbers the store gives and downloads the workbook, the CSV file and the printable page;
//! officers enter the office's own counts (viewers only read them); untrusted text is
//! escaped everywhere.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use alerts::triage::{Actor, Command};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use dashboard::{AppState, DashboardConfig, ReportSettings, auth, router};
use model::report::ActivityIndicator;
use model::{Hit, MatchedTerm, Metrics, NewDocument, Role, RuleKind, Severity, SourceTier};
use search::SearchIndex;
use store::{NewSource, Processed, Store};

#[path = "support/http.rs"]
// Shared by the dashboard's tests; each uses part of it.
#[allow(dead_code)]
mod http;
use http::{get, send};

const OUTLET: &str = "<script>alert(1)</script> Tin nhanh";

struct Fixture {
    _dir: tempfile::TempDir,
    app: axum::Router,
    store: Store,
    viewer: String,
    officer: String,
    /// The last seven days, as the page's range.
    range: String,
}

async fn session(store: &Store, name: &str, role: Role, csrf: &str) -> String {
    let now = Utc::now();
    let user = store.create_user(name, "x", role, now).await.unwrap();
    let token = auth::new_token();
    store
        .create_session(&auth::token_hash(&token), user.id, csrf, now, now + Duration::hours(1))
        .await
        .unwrap();
    format!("ln_session={token}")
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let now = Utc::now();
    let s = NewSource {
        name: OUTLET.into(),
        url: "http://127.0.0.1:1/a.xml".into(),
        tier: SourceTier::Social,
        allow_private: true,
        ..NewSource::default()
    };
    let source = store.upsert_source(&s, now).await.unwrap().id;
    let at = now - Duration::hours(30);
    let doc = NewDocument {
        source_id: source,
        url: "http://127.0.0.1:1/bai-1".into(),
        title: "Thần dược chữa khỏi ung thư".into(),
        summary: String::new(),
        body: "Quảng cáo thần dược.".into(),
        author: None,
        published_at: Some(at - Duration::minutes(30)),
        fetched_at: at,
        language: "vi".into(),
        content_hash: "h1".into(),
        post: None,
    };
    let hit = Hit {
        rule_id: "rumor.than-duoc".into(),
        rule_title: "Thần dược".into(),
        kind: RuleKind::Rumor,
        severity: Severity::High,
        terms: vec![MatchedTerm {
            field: "title", start: 0, end: 9, term: "Thần dược".into()
        }],
    };
    store
        .insert_batch_placed(&[Processed::new(doc, vec![hit])], &mut store::into_story(1))
        .await
        .unwrap();
    let alert = store.alert_board(None, 10).await.unwrap()[0].alert.id;
    let officer = session(&store, "lan", Role::Officer, "csrf-lan").await;
    let viewer = session(&store, "xem", Role::Viewer, "csrf-xem").await;
    let lan = store.user_by_name("lan").await.unwrap().unwrap().0;
    let me = Actor::User { id: lan.id, role: Role::Officer };
    store
        .act(alert, &Command::Acknowledge { priority: None }, me, None, at + Duration::minutes(30))
        .await
        .unwrap();
    let state = AppState::new(
        store.clone(),
        index,
        Arc::new(Metrics::default()),
        DashboardConfig::default(),
    )
    .with_reports(ReportSettings {
        office: "Sở Y tế <b>thử</b>".into(),
        ..ReportSettings::default()
    });
    let peer = std::net::SocketAddr::from(([192, 0, 2, 1], 40000));
    let app = router(state).layer(axum::extract::connect_info::MockConnectInfo(peer));
    let today = model::to_vn_time(now).date_naive();
    let range = format!("from={}&to={today}", today - Duration::days(6));
    Fixture { _dir: dir, app, store, viewer, officer, range }
}

fn post(path: &str, cookie: &str, form: &[(&str, &str)]) -> Request<Body> {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

/// The code of the page's period, from its hidden form field or its links.
fn period_code(page: &str) -> String {
    let start = page.find("period=").unwrap() + "period=".len();
    page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn any_user_sees_the_period_s_figures_and_downloads_them() {
    let f = fixture().await;
    let (status, _, page) =
        send(&f.app, get(&format!("/reports?{}", f.range), Some(&f.viewer))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Báo cáo định kỳ"), "{page}");
    // One document, one alert, acknowledged after half an hour.
    let row = |code: &str| {
        let at = page.find(&format!("<td>{code}</td>")).unwrap_or_else(|| panic!("no {code}"));
        page[at..at + page[at..].find("</tr>").unwrap()].to_owned()
    };
    assert!(row("TB01").contains("<td class=\"num\">1</td>"), "{}", row("TB01"));
    assert!(row("CB01").contains("<td class=\"num\">1</td>"), "{}", row("CB01"));
    assert!(row("XL01").contains("<td class=\"num\">0,5</td>"), "{}", row("XL01"));
    // Viewers read the office's counts; they get no form.
    assert!(!page.contains("action=\"/reports/activity\""));
    assert!(page.contains("Cán bộ xử lý hoặc quản trị viên nhập"));
    let code = period_code(&page);
    assert!(code.contains('_'), "a range's code: {code}");

    let (status, headers, body) =
        send(&f.app, get(&format!("/reports/export?period={code}&format=xlsx"), Some(&f.viewer)))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], report::Format::Xlsx.content_type());
    assert_eq!(
        headers[header::CONTENT_DISPOSITION].to_str().unwrap(),
        format!("attachment; filename=\"bao-cao-{code}.xlsx\"")
    );
    assert!(body.starts_with("PK"), "a zip archive");
    let (_, headers, body) =
        send(&f.app, get(&format!("/reports/export?period={code}&format=csv"), Some(&f.viewer)))
            .await;
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(body.starts_with('\u{feff}'), "a byte-order mark for Excel");
    assert!(body.contains(OUTLET), "CSV holds the text as it is");
    let (_, headers, body) =
        send(&f.app, get(&format!("/reports/export?period={code}&format=html"), Some(&f.viewer)))
            .await;
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().ends_with(".html\""));
    assert!(body.contains("<style>"), "a file that stands alone");
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt; Tin nhanh"));
    assert!(body.contains("Sở Y tế &lt;b&gt;thử&lt;/b&gt;"), "the office's name escaped");
    assert!(!body.contains("<script"));

    // The printable page on the dashboard links its style sheet, which the policy allows.
    let (status, headers, body) =
        send(&f.app, get(&format!("/reports/view?period={code}"), Some(&f.viewer))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("style-src 'self'")
    );
    assert!(body.contains("href=\"/static/report.css\"") && !body.contains("<style>"));
    assert!(body.contains("<svg") && !body.contains("<script"));
    let (status, headers, css) = send(&f.app, get("/static/report.css", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    assert!(css.contains("@media print"));

    // The half-years by name; nonsense is refused in Vietnamese.
    let (status, _, page) = send(&f.app, get("/reports?period=2026-H1", Some(&f.viewer))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("6 tháng đầu năm 2026 (01/01/2026 – 15/06/2026)"), "{page}");
    let (status, _, page) = send(&f.app, get("/reports?period=2026-H3", Some(&f.viewer))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Kỳ báo cáo không hợp lệ"), "{page}");
    let (status, _, _) =
        send(&f.app, get("/reports/export?period=2026-H1&format=pdf", Some(&f.viewer))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) =
        send(&f.app, get("/reports?from=2026-03-02&to=2026-03-01", Some(&f.viewer))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn officers_enter_the_office_s_counts_and_viewers_may_not() {
    let f = fixture().await;
    let (status, _, page) = send(&f.app, get("/reports?period=2026-H1", Some(&f.officer))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("action=\"/reports/activity\""), "{page}");
    let form = [
        ("csrf", "csrf-lan"),
        ("period", "2026-H1"),
        ("v_articles", "97"),
        ("n_articles", "Cổng thông tin <điện tử>"),
        // Written the Vietnamese way, with thousands separators.
        ("v_leaflets", "91.500"),
        ("v_videos", ""),
    ];
    let (status, headers, _) = send(&f.app, post("/reports/activity", &f.officer, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/reports?period=2026-H1&saved=1#hoat-dong");
    let p = report::period::parse("2026-H1", &report::Cutoffs::default()).unwrap();
    let saved = f.store.office_activity(&p).await.unwrap();
    let got: Vec<(ActivityIndicator, i64, &str, Option<&str>)> = saved
        .iter()
        .map(|e| (e.indicator, e.value, e.note.as_str(), e.author.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (ActivityIndicator::Articles, 97, "Cổng thông tin <điện tử>", Some("lan")),
            (ActivityIndicator::Leaflets, 91_500, "", Some("lan")),
        ]
    );
    let audit = f.store.audit_log(10).await.unwrap();
    assert!(audit.iter().any(|a| a.2 == "report.activity" && a.3 == "2026-H1"), "{audit:?}");
    let (_, _, page) = send(&f.app, get("/reports?period=2026-H1&saved=1", Some(&f.officer))).await;
    assert!(page.contains("Đã lưu số liệu hoạt động"));
    assert!(page.contains("value=\"97\""));
    assert!(page.contains("value=\"Cổng thông tin &#60;điện tử&#62;\""), "the note escaped");
    assert!(!page.contains("<điện tử>"));
    // In the summary too, and for viewers.
    let (_, _, page) = send(&f.app, get("/reports?period=2026-H1", Some(&f.viewer))).await;
    assert!(page.contains("91500"), "{page}");

    // A count that is not a whole number is refused; a wrong token too; viewers may not.
    let bad = [("csrf", "csrf-lan"), ("period", "2026-H1"), ("v_articles", "nhiều")];
    let (status, _, body) = send(&f.app, post("/reports/activity", &f.officer, &bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("số nguyên không âm"), "{body}");
    let forged = [("csrf", "khac"), ("period", "2026-H1"), ("v_articles", "1")];
    let (status, _, _) = send(&f.app, post("/reports/activity", &f.officer, &forged)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let viewer = [("csrf", "csrf-xem"), ("period", "2026-H1"), ("v_articles", "1")];
    let (status, _, body) = send(&f.app, post("/reports/activity", &f.viewer, &viewer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("không có quyền"));
    assert_eq!(f.store.office_activity(&p).await.unwrap()[0].value, 97, "unchanged");
}
