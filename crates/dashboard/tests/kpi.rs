//! The handling figures page and API over a real store whose alerts were handled through
//! `Store::act` and `Store::respond` at injected times: the numbers shown are the ones the
//! events give, in Vietnamese, for any logged-in user.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use alerts::triage::{Actor, Command};
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use dashboard::{AppState, DashboardConfig, auth, router};
use model::{
    DismissReason, Hit, MatchedTerm, Metrics, NewDocument, ResponseChannel, Role, RuleKind,
    Severity, SourceKind, SourceTier, Timestamp,
};
use search::SearchIndex;
use serde_json::Value;
use store::{NewResponse, NewSource, Processed, Store};

#[path = "support/http.rs"]
// Shared by the dashboard's tests; each uses part of it.
#[allow(dead_code)]
mod http;
use http::{get, send};

struct Fixture {
    _dir: tempfile::TempDir,
    app: axum::Router,
    cookie: String,
    bearer: String,
}

/// Opens a P1 alert of `rule` on a story of its own, its document fetched at `at` and
/// published forty minutes before.
async fn open(store: &Store, source: i64, rule: &str, title: &str, at: Timestamp) -> i64 {
    let story = store.next_story_id().await.unwrap();
    let url = format!("https://a.vn/{story}");
    let doc = NewDocument {
        source_id: source,
        url: url.clone(),
        title: title.into(),
        summary: String::new(),
        body: format!("{title}. Bài số {story}."),
        author: None,
        published_at: Some(at - Duration::minutes(40)),
        fetched_at: at,
        language: "vi".into(),
        content_hash: url,
        post: None,
    };
    let hit = Hit {
        rule_id: rule.into(),
        rule_title: format!("Quy tắc <{rule}>").into(),
        kind: RuleKind::Crisis,
        severity: Severity::Critical,
        terms: vec![MatchedTerm { field: "title", start: 0, end: 3, term: "tin".into() }],
    };
    store
        .insert_batch_placed(&[Processed::new(doc, vec![hit])], &mut store::into_story(story))
        .await
        .unwrap();
    let board = store.alert_board(None, 50).await.unwrap();
    let subject = format!("story:{story}");
    board.iter().find(|e| e.alert.subject == subject).unwrap().alert.id
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let now = Utc::now();
    let s = NewSource {
        name: "Báo A".into(),
        url: "http://127.0.0.1:1/a.xml".into(),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        allow_private: true,
        ..NewSource::default()
    };
    let source = store.upsert_source(&s, now).await.unwrap().id;
    let officer = store.create_user("can-bo", "x", Role::Officer, now).await.unwrap();
    let me = Actor::User { id: officer.id, role: Role::Officer };
    let ack = Command::Acknowledge { priority: None };
    let day = Duration::days(1);
    let min = Duration::minutes;

    // 1: acknowledged after 80 min (late for P1), response required 100 min later,
    // answered 10 h after opening.
    let t1 = now - day * 3;
    let a1 = open(&store, source, "rumor.gia-mao", "Tin giả mạo công văn Sở Y tế", t1).await;
    store.act(a1, &ack, me, None, t1 + min(80)).await.unwrap();
    let assign = Command::Assign { user: officer.id, role: Role::Officer };
    store.act(a1, &assign, me, None, t1 + min(90)).await.unwrap();
    store.act(a1, &Command::RequireResponse, me, None, t1 + min(180)).await.unwrap();
    let response = NewResponse {
        channel: ResponseChannel::Website,
        published_at: t1 + min(590),
        text: "Sở Y tế khẳng định công văn trên là giả mạo.".into(),
        url: Some("https://soyte.example.vn/tin/1".into()),
    };
    store.respond(a1, &response, me, None, t1 + min(600)).await.unwrap();
    // 2: acknowledged in 20 min, dismissed two hours later as the rule's false positive.
    let t2 = now - day * 2;
    let a2 = open(&store, source, "crisis.x", "Tin về sự cố y khoa", t2).await;
    store.act(a2, &ack, me, None, t2 + min(20)).await.unwrap();
    let dismiss = Command::Dismiss { reason: DismissReason::FalsePositive };
    store.act(a2, &dismiss, me, None, t2 + min(140)).await.unwrap();
    // 3: never acknowledged.
    let t3 = now - day;
    open(&store, source, "crisis.x", "Tin về ngộ độc", t3).await;
    // 4: acknowledged after 80 min, watched half an hour later.
    let t4 = now - day * 2 - min(600);
    let a4 = open(&store, source, "rumor.gia-mao", "Tin giả danh cán bộ y tế", t4).await;
    store.act(a4, &ack, me, None, t4 + min(80)).await.unwrap();
    store.act(a4, &assign, me, None, t4 + min(85)).await.unwrap();
    store.act(a4, &Command::Monitor, me, None, t4 + min(110)).await.unwrap();

    let viewer = store.create_user("xem", "x", Role::Viewer, now).await.unwrap();
    let session = auth::new_token();
    store
        .create_session(&auth::token_hash(&session), viewer.id, "csrf", now, now + day)
        .await
        .unwrap();
    let bearer = auth::new_token();
    store
        .create_api_token(viewer.id, "kpi", &auth::token_hash(&bearer), now, now + day)
        .await
        .unwrap();
    let state =
        AppState::new(store, index, Arc::new(Metrics::default()), DashboardConfig::default());
    let peer = std::net::SocketAddr::from(([192, 0, 2, 1], 40000));
    let app = router(state).layer(axum::extract::connect_info::MockConnectInfo(peer));
    Fixture { _dir: dir, app, cookie: format!("ln_session={session}"), bearer }
}

impl Fixture {
    async fn page(&self, path: &str) -> (StatusCode, String) {
        let (status, _, body) = send(&self.app, get(path, Some(&self.cookie))).await;
        (status, body)
    }

    async fn api(&self, path: &str) -> (StatusCode, Value) {
        let req = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.bearer))
            .body(axum::body::Body::empty())
            .unwrap();
        let (status, headers, body) = send(&self.app, req).await;
        let content_type = headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(content_type.starts_with("application/json"), "{path}: {content_type} {body}");
        (status, serde_json::from_str(&body).unwrap())
    }
}

/// The text after `label` on the page, up to the next tag.
fn after<'a>(body: &'a str, label: &str) -> &'a str {
    let start = body.find(label).unwrap_or_else(|| panic!("{label} not on the page")) + label.len();
    let rest = &body[start..];
    let open = "<strong class=\"kpi-value\">";
    let value = &rest[rest.find(open).unwrap() + open.len()..];
    &value[..value.find('<').unwrap()]
}

#[tokio::test]
async fn the_page_shows_the_figures_of_the_events() {
    let f = fixture().await;
    let (status, body) = f.page("/kpi").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<a href=\"/kpi\">Chỉ số xử lý</a>"), "the nav links the page");
    // Acknowledged after 80, 20 and 80 minutes.
    assert_eq!(after(&body, "Thời gian tiếp nhận (trung vị)"), "1 giờ 20 phút");
    assert_eq!(after(&body, "Thời gian phát hiện (trung vị)"), "40 phút");
    // Decided after 100, 120 and 30 minutes.
    assert_eq!(after(&body, "Thời gian quyết định (trung vị)"), "1 giờ 40 phút");
    assert_eq!(after(&body, "Thời gian phản hồi (trung vị)"), "10 giờ");
    assert!(body.contains("Cảnh báo mới: <strong>4</strong>"), "{body}");
    assert!(body.contains("Đã tiếp nhận: <strong>3</strong>"));
    assert!(body.contains("Đã phản hồi: <strong>1</strong>"));
    // P1 acknowledgements: one in time, three late (one never done); decisions and the
    // response in time.
    assert!(body.contains("25% (1/4)"), "{body}");
    assert!(body.contains("100% (3/3)"));
    assert!(body.contains("100% (1/1)"));
    // The backlog: alert 3 has waited a day, past its deadline; 1 and 4 are still open.
    assert!(
        body.contains(
            "<td>Mới</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">1</td>"
        ),
        "{body}"
    );
    assert!(body.contains("<strong>Tổng</strong></td><td class=\"num\"><strong>3</strong>"));
    // Dismissals per rule, highest first, linking to the rule's alerts; titles escaped.
    let crisis = body.find("/queue?state=all&#38;q=crisis.x").unwrap();
    let rumour = body.find("/queue?state=all&#38;q=rumor.gia-mao").unwrap();
    assert!(crisis < rumour);
    assert!(body.contains("Quy tắc nhận nhầm: 1"));
    assert!(body.contains("Quy tắc &#60;crisis.x&#62;") && !body.contains("<crisis.x>"));
    // Bars drawn on the server.
    assert!(body.contains("<svg class=\"chart kpi-bars\""));
    assert!(body.contains("class=\"met\"") && body.contains("class=\"missed\""));
    assert!(!body.contains("<script"));
}

#[tokio::test]
async fn the_api_gives_the_same_figures_as_json() {
    let f = fixture().await;
    let (status, k) = f.api("/api/v1/kpi?period=90d").await;
    assert_eq!(status, StatusCode::OK, "{k}");
    assert_eq!(k["counts"]["opened"], 4);
    assert_eq!(k["counts"]["acknowledged"], 3);
    assert_eq!(k["counts"]["responded"], 1);
    assert_eq!(k["counts"]["dismissed"], 1);
    let tta = &k["durations"]["time_to_acknowledge"];
    assert_eq!((tta["count"].as_u64(), tta["median_seconds"].as_f64()), (Some(3), Some(4800.0)));
    assert_eq!(tta["median_text"], "1 giờ 20 phút");
    assert_eq!(k["durations"]["time_to_respond"]["median_seconds"], 36000.0);
    let ack: (u64, u64) = k["sla"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["priority"] == "p1" && c["deadline"] == "acknowledge")
        .fold((0, 0), |(m, x), c| {
            (m + c["met"].as_u64().unwrap(), x + c["missed"].as_u64().unwrap())
        });
    assert_eq!(ack, (1, 3));
    assert_eq!(k["backlog"]["total"]["count"], 3);
    assert_eq!(k["backlog"]["total"]["overdue"], 1);
    let new =
        k["backlog"]["states"].as_array().unwrap().iter().find(|s| s["state"] == "new").unwrap();
    assert_eq!(new["by_age"]["1_to_3_days"], 1);
    assert_eq!(k["dismissals"][0]["rule_id"], "crisis.x");
    assert_eq!(k["dismissals"][0]["percent"], 100.0);
    assert_eq!(k["dismissals"][0]["reasons"][0]["reason"], "false_positive");

    // A period before anything happened has nothing in it.
    let (status, k) = f.api("/api/v1/kpi?from=2020-01-01&to=2020-03-31").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (k["counts"]["opened"].as_u64(), k["backlog"]["total"]["count"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(k["durations"]["time_to_acknowledge"]["median_seconds"], Value::Null);

    let (status, e) = f.api("/api/v1/kpi?period=custom&from=2026-10-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
}

#[tokio::test]
async fn wrong_periods_are_explained_and_strangers_sent_to_login() {
    let f = fixture().await;
    let (status, body) = f.page("/kpi?from=2026-12-31&to=2026-01-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Giai đoạn không hợp lệ: ngày kết thúc phải không trước ngày bắt đầu."));
    let (status, body) = f.page("/kpi?period=%3Cb%3E").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!body.contains("<b>"));
    let (status, headers, _) = send(&f.app, get("/kpi", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/login?next=/kpi");
    let (status, _, _) = send(&f.app, get("/api/v1/kpi", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
