//! The alert page, its forms and the alert API, driven in-process over a real SQLite store:
//! an officer takes an alert from detection to closing by forms and by API, the history
//! shows every step, a viewer reads without forms and is refused when posting, refusals are
//! said in Vietnamese, a merge moves documents and both alerts say so, and scraped text stays
//! escaped.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use alerts::deadlines::{DeadlineKind, Limit, Schedule};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use dashboard::{AppState, DashboardConfig, auth, router};
use model::{
    Hit, MatchedTerm, Metrics, NewDocument, Priority, Role, RuleKind, Severity, SourceTier, Story,
};
use search::SearchIndex;
use serde_json::{Value, json};
use store::{NewSource, Placement, Processed, Store, StoryUpdate};

#[path = "support/http.rs"]
#[allow(dead_code)]
mod http;
use http::{get, send};

const HOSTILE_TITLE: &str = "Tin đồn <script>alert(1)</script> về thần dược";
const HOSTILE_SOURCE: &str = "Báo <b>Sức Khỏe</b>";

struct Fixture {
    _dir: tempfile::TempDir,
    app: axum::Router,
    store: Store,
    /// The alert of rule A on story S1 (two documents; 85% of its time to acknowledge spent).
    a: i64,
    /// The alert of rule B on story S2 (one document; past its deadline to acknowledge).
    b: i64,
    s1: i64,
    officer: String,
    viewer: String,
    officer_token: String,
    viewer_token: String,
    minh: i64,
}

fn doc(source_id: i64, url: &str, title: &str, at: DateTime<Utc>) -> NewDocument {
    NewDocument {
        source_id,
        url: url.into(),
        title: title.into(),
        summary: String::new(),
        body: "Bài viết lan truyền trên mạng <img src=x onerror=alert(3)>.".into(),
        author: None,
        published_at: Some(at),
        fetched_at: at,
        language: "vi".into(),
        content_hash: url.into(),
        post: None,
    }
}

fn hit(rule: &str, title: &str, doc_title: &str, term: &str) -> Hit {
    let start = doc_title.find(term).unwrap();
    Hit {
        rule_id: rule.into(),
        rule_title: title.into(),
        kind: RuleKind::Rumor,
        severity: Severity::High,
        terms: vec![MatchedTerm {
            field: "title",
            start,
            end: start + term.len(),
            term: term.into(),
        }],
    }
}

/// P2 deadlines around the clock, so how far through them an alert is does not depend on
/// the hour the test runs.
fn schedule() -> Schedule {
    let mut s = Schedule::default();
    s.policy.set(
        Priority::P2,
        DeadlineKind::Acknowledge,
        Some(Limit::around(Duration::minutes(100))),
    );
    s.policy.set(Priority::P2, DeadlineKind::Decide, Some(Limit::around(Duration::hours(24))));
    s.policy.set(Priority::P2, DeadlineKind::Respond, Some(Limit::around(Duration::hours(48))));
    s
}

async fn session(store: &Store, user: i64, csrf: &str) -> String {
    let token = auth::new_token();
    let now = Utc::now();
    store
        .create_session(&auth::token_hash(&token), user, csrf, now, now + Duration::hours(1))
        .await
        .unwrap();
    format!("ln_session={token}")
}

async fn api_token(store: &Store, user: i64) -> String {
    let token = auth::new_token();
    let now = Utc::now();
    store
        .create_api_token(user, "test", &auth::token_hash(&token), now, now + Duration::hours(1))
        .await
        .unwrap();
    token
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap().with_schedule(schedule());
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let now = Utc::now();
    let mut sources = Vec::new();
    for (name, host, tier) in [
        (HOSTILE_SOURCE, "baosuckhoe", SourceTier::Press),
        ("Góc Chia Sẻ", "gocchiase", SourceTier::Social),
    ] {
        let s = NewSource {
            name: name.into(),
            url: format!("https://{host}.example.vn/rss"),
            tier,
            ..NewSource::default()
        };
        sources.push(store.upsert_source(&s, now).await.unwrap().id);
    }
    let (press, social) = (sources[0], sources[1]);
    let t1 = "Uống thần dược khỏi ung thư";
    let t2 = "Tiêm vắc xin gây vô sinh";
    let batch = vec![
        Processed::new(
            doc(
                press,
                "https://baosuckhoe.example.vn/1",
                HOSTILE_TITLE,
                now - Duration::minutes(85),
            ),
            vec![hit("rumor.a", "Thần dược chữa ung thư", HOSTILE_TITLE, "thần dược")],
        ),
        Processed::new(
            doc(social, "https://gocchiase.example.vn/2", t1, now - Duration::minutes(80)),
            vec![hit("rumor.a", "Thần dược chữa ung thư", t1, "thần dược")],
        ),
        Processed::new(
            doc(social, "https://gocchiase.example.vn/3", t2, now - Duration::minutes(200)),
            vec![hit("rumor.b", "Vắc xin gây vô sinh", t2, "vô sinh")],
        ),
    ];
    let first = store.next_story_id().await.unwrap();
    let (s1, s2) = (first, first + 1);
    let stored = store
        .insert_batch_placed(
            &batch,
            &mut store::placing(|_, inserted| {
                inserted
                    .iter()
                    .map(|ins| Placement {
                        document_id: ins.id,
                        story: Some(if ins.batch_index < 2 { s1 } else { s2 }),
                        copy_of: None,
                    })
                    .collect()
            }),
        )
        .await
        .unwrap();
    let ids: Vec<i64> = stored.inserted.iter().map(|i| i.id).collect();
    let story = |id: i64, title: &str, origin: usize, source: i64, n: i64| StoryUpdate {
        story: Story {
            id,
            title: title.into(),
            origin_document: ids[origin],
            origin_source: source,
            origin_source_name: String::new(),
            origin_basis: "earliest".into(),
            province: None,
            first_seen: batch[origin].doc.fetched_at,
            last_seen: now,
            documents: n,
            sightings: n,
            outlets: n,
        },
        relations: Vec::new(),
    };
    store
        .save_stories(&[story(s1, HOSTILE_TITLE, 0, press, 2), story(s2, t2, 2, social, 1)], now)
        .await
        .unwrap();
    store.record_deadlines(Utc::now()).await.unwrap();
    let board = store.alert_board(None, 10).await.unwrap();
    let alert_of = |rule: &str| board.iter().find(|e| e.alert.rule_id == rule).unwrap().alert.id;
    let (a, b) = (alert_of("rumor.a"), alert_of("rumor.b"));

    let lan = store.create_user("lan", "x", Role::Officer, now).await.unwrap();
    let minh = store.create_user("minh", "x", Role::Officer, now).await.unwrap();
    let xem = store.create_user("xem", "x", Role::Viewer, now).await.unwrap();
    let officer = session(&store, lan.id, "csrf-lan").await;
    let viewer = session(&store, xem.id, "csrf-xem").await;
    let officer_token = api_token(&store, lan.id).await;
    let viewer_token = api_token(&store, xem.id).await;

    let state = AppState::new(
        store.clone(),
        index,
        Arc::new(Metrics::default()),
        DashboardConfig::default(),
    );
    let peer = std::net::SocketAddr::from(([192, 0, 2, 1], 40000));
    let app = router(state).layer(axum::extract::connect_info::MockConnectInfo(peer));
    Fixture {
        _dir: dir,
        app,
        store,
        a,
        b,
        s1,
        officer,
        viewer,
        officer_token,
        viewer_token,
        minh: minh.id,
    }
}

impl Fixture {
    async fn page(&self, cookie: &str, path: &str) -> (StatusCode, String) {
        let (status, _, body) = send(&self.app, get(path, Some(cookie))).await;
        (status, body)
    }

    async fn post(
        &self,
        cookie: &str,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let body =
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .unwrap();
        send(&self.app, req).await
    }

    /// An action form posted by the officer, with their CSRF token.
    async fn act(&self, alert: i64, pairs: &[(&str, &str)]) -> (StatusCode, String) {
        let mut all = vec![("csrf", "csrf-lan")];
        all.extend_from_slice(pairs);
        let (status, headers, body) =
            self.post(&self.officer, &format!("/alerts/{alert}/act"), &all).await;
        if status == StatusCode::SEE_OTHER {
            assert_eq!(headers[header::LOCATION], format!("/alerts/{alert}"));
        }
        (status, body)
    }

    async fn api(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let (status, headers, text) = send(&self.app, req).await;
        assert!(
            headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"),
            "{path}: {text}"
        );
        (status, serde_json::from_str(&text).unwrap())
    }

    async fn raw_api(&self, token: &str, path: &str, body: &str) -> (StatusCode, Value) {
        let req = Request::post(format!("/api/v1{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        let (status, _, text) = send(&self.app, req).await;
        (status, serde_json::from_str(&text).unwrap())
    }
}

/// The positions of `needles` in `haystack`, which must all be there in this order.
fn in_order(haystack: &str, needles: &[&str]) {
    let mut from = 0;
    for n in needles {
        let at = haystack[from..].find(n).unwrap_or_else(|| panic!("{n:?} missing after {from}"));
        from += at + n.len();
    }
}

fn timeline(page: &str) -> &str {
    let start = page.find("id=\"timeline\"").expect("a timeline");
    let end = page[start..].find("</section>").unwrap() + start;
    &page[start..end]
}

#[tokio::test]
async fn an_officer_takes_an_alert_from_detection_to_closing_with_forms() {
    let f = fixture().await;
    let path = format!("/alerts/{}", f.a);

    // The board links each alert to its page.
    let (_, board) = f.page(&f.officer, "/").await;
    assert!(board.contains(&format!("href=\"/alerts/{}\"", f.a)), "{board}");

    let (status, body) = f.page(&f.officer, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Thần dược chữa ung thư") && body.contains("Mới"), "{body}");
    assert!(body.contains("P2 – Cao"), "{body}");
    // 85 of 100 minutes spent: the deadline to acknowledge is nearly due, and its 80% mark
    // was recorded by the system.
    assert!(body.contains("class=\"deadline active near\""), "{body}");
    assert!(body.contains("sắp quá hạn") && body.contains("Hạn tiếp nhận"), "{body}");
    let history = timeline(&body);
    in_order(
        history,
        &["Hệ thống", "Phát hiện", "Hệ thống", "Cảnh báo thời hạn", "80% thời hạn tiếp nhận"],
    );
    // The documents, newest first, with the rule's term highlighted; the story with its
    // first publisher.
    in_order(&body, &["Uống <mark>thần dược</mark> khỏi ung thư", "Tin đồn &#60;script&#62;"]);
    assert!(body.contains(&format!("href=\"/stories/{}\"", f.s1)), "{body}");
    assert!(body.contains("Nguồn đăng đầu tiên"), "{body}");
    // The actions the state allows, and no others.
    for action in ["acknowledge", "dismiss", "merge", "escalate", "prioritize", "note"] {
        assert!(body.contains(&format!("name=\"action\" value=\"{action}\"")), "{action}: {body}");
    }
    for action in ["close", "reopen", "track", "monitor"] {
        assert!(!body.contains(&format!("name=\"action\" value=\"{action}\"")), "{action}");
    }
    assert!(!body.contains("action=\"/alerts/{}/responses\""));

    assert_eq!(
        f.act(f.a, &[("action", "acknowledge"), ("state", "new"), ("priority", "p1")]).await.0,
        StatusCode::SEE_OTHER
    );
    let minh = f.minh.to_string();
    assert_eq!(
        f.act(f.a, &[("action", "assign"), ("state", "acknowledged"), ("user", &minh)]).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        f.act(f.a, &[("action", "escalate"), ("to", "ministry"), ("note", "Báo cáo <b>gấp</b>")])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        f.act(f.a, &[("action", "require_response"), ("state", "verifying")]).await.0,
        StatusCode::SEE_OTHER
    );

    // The response form: text and URL are checked, with the reason said in Vietnamese and
    // what was typed kept.
    let respond = |text: &'static str, url: &'static str| {
        let path = format!("/alerts/{}/responses", f.a);
        let f = &f;
        async move {
            f.post(
                &f.officer,
                &path,
                &[
                    ("csrf", "csrf-lan"),
                    ("state", "response_needed"),
                    ("channel", "press_release"),
                    ("published_at", "2025-03-01T14:30"),
                    ("text", text),
                    ("url", url),
                ],
            )
            .await
        }
    };
    let (status, _, body) =
        respond("Sở Y tế khẳng định không có thần dược.", "javascript:alert(1)").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Đường dẫn phải là một địa chỉ web đầy đủ"), "{body}");
    assert!(body.contains("Sở Y tế khẳng định không có thần dược.</textarea>"), "{body}");
    let (status, _, body) = respond("   ", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Hãy nhập nội dung phản hồi chính thức."), "{body}");
    let (status, headers, _) =
        respond("Sở Y tế khẳng định không có <thần dược>.", "https://soyte.example.vn/tb/1").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], path);

    assert_eq!(
        f.act(f.a, &[("action", "track"), ("state", "responded")]).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        f.act(f.a, &[("action", "note"), ("note", "Đã gửi công văn <i>đề nghị</i> gỡ bài.")])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        f.act(f.a, &[("action", "close"), ("state", "tracking")]).await.0,
        StatusCode::SEE_OTHER
    );

    let (status, body) = f.page(&f.officer, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Đã đóng"), "{body}");
    let history = timeline(&body);
    in_order(
        history,
        &[
            "Phát hiện",
            "lan",
            "Tiếp nhận",
            "(Mới → Đã tiếp nhận)",
            "Mức ưu tiên: P1 – Khẩn cấp",
            "Phân công",
            "Giao cho: minh",
            "Báo cáo cấp trên",
            "Báo cáo tới: Bộ Y tế",
            "Báo cáo &#60;b&#62;gấp&#60;/b&#62;",
            "Quyết định phản hồi",
            "Ghi nhận phản hồi",
            "Kênh: Thông cáo báo chí",
            "Đăng lúc: 14:30 01/03/2025",
            "Bắt đầu theo dõi cải chính",
            "Ghi chú",
            "Đã gửi công văn &#60;i&#62;đề nghị&#60;/i&#62; gỡ bài.",
            "Đóng",
            "(Theo dõi cải chính → Đã đóng)",
        ],
    );
    assert!(body.contains("Người xử lý</dt><dd>minh"), "{body}");
    assert!(body.contains("Đã báo cáo</dt><dd>Bộ Y tế"), "{body}");
    assert!(body.contains("Sở Y tế khẳng định không có &#60;thần dược&#62;."), "{body}");
    assert!(body.contains("href=\"https://soyte.example.vn/tb/1\""), "{body}");
    // Closed: only re-opening (and a note) is offered.
    assert!(body.contains("name=\"action\" value=\"reopen\""), "{body}");
    assert!(!body.contains("name=\"action\" value=\"close\""), "{body}");
    assert!(
        !body.contains("<script>") && !body.contains("<b>") && !body.contains("<img"),
        "{body}"
    );
    assert!(body.contains(&HOSTILE_SOURCE.replace('<', "&#60;").replace('>', "&#62;")), "{body}");
}

#[tokio::test]
async fn a_viewer_reads_without_forms_and_may_not_post() {
    let f = fixture().await;
    let (status, body) = f.page(&f.viewer, &format!("/alerts/{}", f.b)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains(&format!("action=\"/alerts/{}", f.b)), "{body}");
    assert!(!body.contains("name=\"action\""), "{body}");
    // Past its deadline: it says so.
    assert!(body.contains("class=\"deadline active over\"") && body.contains("quá hạn"), "{body}");
    in_order(
        timeline(&body),
        &["80% thời hạn tiếp nhận", "100% thời hạn tiếp nhận", "150% thời hạn tiếp nhận"],
    );

    let form = [("csrf", "csrf-xem"), ("action", "acknowledge")];
    let (status, _, _) = f.post(&f.viewer, &format!("/alerts/{}/act", f.b), &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let form = [("csrf", "csrf-xem"), ("channel", "website"), ("text", "x")];
    let (status, _, _) = f.post(&f.viewer, &format!("/alerts/{}/responses", f.b), &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, v) = f.api(&f.viewer_token, "GET", &format!("/alerts/{}", f.b), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["actions"], json!([]));
    assert_eq!(v["alert"]["state"], "new");
    let body = json!({ "action": "acknowledge" });
    let (status, v) =
        f.api(&f.viewer_token, "POST", &format!("/alerts/{}/transitions", f.b), Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert!(v["error"].is_string());
    let (status, _) = f
        .api(&f.viewer_token, "POST", &format!("/alerts/{}/notes", f.b), Some(json!({"note": "x"})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nothing happened.
    assert_eq!(f.store.alert(f.b).await.unwrap().state, model::AlertState::New);
}

#[tokio::test]
async fn refusals_are_said_in_vietnamese_and_change_nothing() {
    let f = fixture().await;
    let events_before = f.store.alert_events(f.a).await.unwrap().len();

    // Not from this state.
    let (status, body) = f.act(f.a, &[("action", "close")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains("Không thể thực hiện thao tác «Đóng» khi cảnh báo đang ở trạng thái «Mới»."),
        "{body}"
    );
    assert!(!body.contains("cannot") && !body.contains("alert "), "English on the page: {body}");
    // The page as it was is shown again, with its forms.
    assert!(body.contains("name=\"action\" value=\"acknowledge\""), "{body}");

    // The alert moved since the page was shown.
    let (status, body) =
        f.act(f.a, &[("action", "dismiss"), ("state", "verifying"), ("reason", "duplicate")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("vừa được người khác chuyển sang trạng thái «Mới»"), "{body}");

    // Fields missing or wrong.
    let (status, body) = f.act(f.a, &[("action", "dismiss")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Hãy chọn lý do bỏ qua."), "{body}");
    let (status, body) = f.act(f.a, &[("action", "fly")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Thao tác không hợp lệ."), "{body}");
    let (status, body) = f.act(f.a, &[("action", "absorb")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("do hệ thống tự thực hiện"), "{body}");
    let (status, body) = f.act(f.a, &[("action", "note"), ("note", "  ")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Thao tác «Ghi chú» cần có ghi chú nêu lý do."), "{body}");

    // No CSRF token, or another session's: refused before anything is read.
    let path = format!("/alerts/{}/act", f.a);
    let (status, _, body) = f.post(&f.officer, &path, &[("action", "acknowledge")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Phiên làm việc không hợp lệ"), "{body}");
    let (status, _, _) =
        f.post(&f.officer, &path, &[("csrf", "csrf-xem"), ("action", "acknowledge")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) =
        f.post(&f.officer, &format!("/alerts/{}/responses", f.a), &[("text", "x")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // An alert that does not exist.
    assert_eq!(f.act(999_999, &[("action", "acknowledge")]).await.0, StatusCode::NOT_FOUND);
    assert_eq!(f.page(&f.officer, "/alerts/999999").await.0, StatusCode::NOT_FOUND);
    assert_eq!(f.page(&f.officer, "/alerts/abc").await.0, StatusCode::NOT_FOUND);

    assert_eq!(f.store.alert_events(f.a).await.unwrap().len(), events_before);

    // Re-opening needs a note.
    assert_eq!(
        f.act(f.a, &[("action", "dismiss"), ("reason", "not_relevant")]).await.0,
        StatusCode::SEE_OTHER
    );
    let (status, body) = f.act(f.a, &[("action", "reopen"), ("state", "dismissed")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Thao tác «Mở lại» cần có ghi chú nêu lý do."), "{body}");
    assert!(body.contains("Lý do bỏ qua</dt><dd>Không liên quan"), "{body}");
    let (status, _) = f
        .act(f.a, &[("action", "reopen"), ("state", "dismissed"), ("note", "Có thêm nguồn mới")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, body) = f.page(&f.officer, &format!("/alerts/{}", f.a)).await;
    in_order(
        timeline(&body),
        &[
            "Bỏ qua",
            "Lý do: Không liên quan",
            "Mở lại",
            "(Đã bỏ qua → Đã tiếp nhận)",
            "Trạng thái trước đó: Đã bỏ qua",
            "Có thêm nguồn mới",
        ],
    );
}

#[tokio::test]
async fn a_merge_moves_the_documents_and_both_alerts_show_it() {
    let f = fixture().await;
    let (status, body) = f.act(f.b, &[("action", "merge"), ("into", "999999")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Không có cảnh báo #999999 để gộp vào."), "{body}");
    let (status, body) = f.act(f.b, &[("action", "merge"), ("into", &f.b.to_string())]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains(&format!("Không thể gộp cảnh báo #{0} vào cảnh báo #{0}", f.b)),
        "{body}"
    );

    let into = format!("#{}", f.a);
    let (status, _) = f
        .act(
            f.b,
            &[
                ("action", "merge"),
                ("state", "new"),
                ("into", &into),
                ("note", "Cùng một đợt tin đồn"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(f.store.alert(f.a).await.unwrap().doc_count, 3);

    let (_, body) = f.page(&f.officer, &format!("/alerts/{}", f.a)).await;
    assert!(body.contains("Các bài (3)"), "{body}");
    assert!(
        body.contains("Tiêm vắc xin gây <mark>vô sinh</mark>"),
        "the merged rule's terms: {body}"
    );
    in_order(
        timeline(&body),
        &[
            "Nhận gộp",
            "Nhận gộp từ",
            &format!("href=\"/alerts/{}\"", f.b),
            "Vắc xin gây vô sinh",
            "Cùng một đợt tin đồn",
        ],
    );
    assert!(body.contains("Đã gộp vào đây"), "{body}");

    let (_, body) = f.page(&f.officer, &format!("/alerts/{}", f.b)).await;
    assert!(body.contains("Đã gộp"), "{body}");
    assert!(
        body.contains(&format!("Đã gộp vào <a href=\"/alerts/{0}\">cảnh báo #{0}", f.a)),
        "{body}"
    );
    in_order(
        timeline(&body),
        &["Gộp vào sự vụ khác", "(Mới → Đã gộp)", "Gộp vào", &format!("href=\"/alerts/{}\"", f.a)],
    );

    // A merged alert cannot take another alert in.
    let (status, body) = f.act(f.a, &[("action", "merge"), ("into", &f.b.to_string())]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("Không thể gộp"), "{body}");
}

#[tokio::test]
async fn the_api_reads_and_acts_on_an_alert() {
    let f = fixture().await;
    let t = &f.officer_token;
    let a = f.a;

    let (status, v) = f.api(t, "GET", &format!("/alerts/{a}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["alert"]["rule"], "rumor.a");
    assert_eq!(v["alert"]["story"], f.s1);
    assert_eq!(v["handling"]["priority"], "p2");
    assert!(v["handling"]["deadlines"]["acknowledge"]["progress"].as_u64().unwrap() >= 80);
    let actions: Vec<&str> =
        v["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(actions.contains(&"acknowledge") && !actions.contains(&"close"), "{actions:?}");

    let transitions = format!("/alerts/{a}/transitions");
    let transition = |body: Value| f.api(t, "POST", &transitions, Some(body));
    let (status, v) =
        transition(json!({"action": "acknowledge", "priority": "p1", "note": "Khẩn"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["event_id"].as_i64().unwrap() > 0);
    assert_eq!(v["alert"]["alert"]["state"], "acknowledged");
    assert_eq!(v["alert"]["handling"]["priority"], "p1");
    assert!(v["alert"]["handling"]["deadlines"]["decide"]["due"].is_string());

    let (status, v) = transition(json!({"action": "close"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v["error"].as_str().unwrap().contains("cannot take the action close"), "{v}");
    let (status, v) = transition(json!({"action": "monitor", "state": "new"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    let (status, v) = transition(json!({"action": "dismiss", "reason": "because"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (status, _) = transition(json!({"action": "acknowledge", "colour": "red"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, v) = f.raw_api(t, &format!("/alerts/{a}/transitions"), "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().starts_with("invalid JSON body"), "{v}");

    let assignment = format!("/alerts/{a}/assignment");
    let assign = |user: &'static str| f.api(t, "POST", &assignment, Some(json!({"user": user})));
    let (status, v) = assign("xem").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a viewer cannot be assigned: {v}");
    let (status, v) = assign("nobody").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (status, v) = assign("minh").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["alert"]["handling"]["assignee"]["name"], "minh");
    assert_eq!(v["alert"]["alert"]["state"], "verifying");

    let (status, _) =
        f.api(t, "POST", &format!("/alerts/{a}/notes"), Some(json!({"note": " "}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = f
        .api(
            t,
            "POST",
            &format!("/alerts/{a}/notes"),
            Some(json!({"note": "Đã gọi cho phóng viên"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let responses = format!("/alerts/{a}/responses");
    let respond = |body: Value| f.api(t, "POST", &responses, Some(body));
    let (status, _) = respond(json!({"channel": "website", "text": "Không có thần dược."})).await;
    assert_eq!(status, StatusCode::CONFLICT, "no response is needed yet");
    let (status, _) = transition(json!({"action": "require_response", "state": "verifying"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) =
        respond(json!({"channel": "website", "text": "x", "url": "ftp://soyte.example.vn/"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (status, v) = respond(json!({"channel": "carrier_pigeon", "text": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (status, v) = respond(json!({"channel": "website", "text": ""})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (status, v) = respond(json!({
        "channel": "website",
        "published_at": "2025-03-01T14:30:00+07:00",
        "text": "Không có thần dược.",
        "url": "https://soyte.example.vn/tb/1",
    }))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["responses"][0]["published_at"], "2025-03-01T07:30:00+00:00");

    let (status, v) = f.api(&f.viewer_token, "GET", &format!("/alerts/{a}/responses"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["responses"].as_array().unwrap().len(), 1);
    assert_eq!(v["responses"][0]["recorded_by"], "lan");
    assert_eq!(v["responses"][0]["channel"], "website");

    let (status, v) = f.api(t, "GET", &format!("/alerts/{a}/events"), None).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> =
        v["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["opened", "deadline", "acknowledge", "assign", "note", "require_response", "respond"]
    );
    let ack = &v["events"][2];
    assert_eq!((ack["from"].as_str(), ack["to"].as_str()), (Some("new"), Some("acknowledged")));
    assert_eq!(ack["actor"]["name"], "lan");
    assert_eq!(ack["note"], "Khẩn");
    assert_eq!(ack["data"]["priority"], "p1");
    assert!(v["events"][0]["actor"].is_null());

    // What the API did, the page shows.
    let (_, body) = f.page(&f.officer, &format!("/alerts/{a}")).await;
    in_order(
        timeline(&body),
        &[
            "Tiếp nhận",
            "Khẩn",
            "Phân công",
            "Giao cho: minh",
            "Đã gọi cho phóng viên",
            "Ghi nhận phản hồi",
            "Kênh: Cổng thông tin điện tử",
        ],
    );

    for path in ["/alerts/999999", "/alerts/999999/events", "/alerts/999999/responses"] {
        let (status, v) = f.api(t, "GET", path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(v["error"].is_string());
    }
    let (status, _) = f.api(t, "GET", "/alerts/abc", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = f
        .api(t, "POST", "/alerts/999999/transitions", Some(json!({"action": "acknowledge"})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, v) = f.api("", "GET", &format!("/alerts/{a}"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{v}");
}

#[tokio::test]
async fn correction_coverage_is_shown_on_the_alert_and_in_the_api() {
    use alerts::corrections::{Basis, ItemState, ReachBasis};
    use store::{ItemRole, ItemUpdate, NewCorrectionItem, Observed};

    let f = fixture().await;
    let t = &f.officer_token;
    let a = f.a;
    let transitions = format!("/alerts/{a}/transitions");
    for body in [
        json!({"action": "acknowledge"}),
        json!({"action": "assign", "user": "minh"}),
        json!({"action": "require_response"}),
    ] {
        let (status, v) = f.api(t, "POST", &transitions, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    let (status, v) = f.api(t, "GET", &format!("/alerts/{a}/corrections"), None).await;
    assert_eq!((status, &v["corrections"]), (StatusCode::OK, &Value::Null));
    let published = (Utc::now() - Duration::minutes(30)).to_rfc3339();
    let body =
        json!({"channel": "facebook", "text": "Không có thần dược.", "published_at": published});
    let (status, v) = f.api(t, "POST", &format!("/alerts/{a}/responses"), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (_, body) = f.page(&f.officer, &format!("/alerts/{a}")).await;
    assert!(body.contains("Chưa bắt đầu theo dõi cải chính"), "{body}");

    // Tracking as the corrections job runs it: both outlets carried the claim, and the
    // press outlet then refuted it.
    let now = Utc::now();
    assert!(f.store.start_corrections(a, now).await.unwrap().is_some());
    let found = f.store.correction_new_items(a, "rumor.a", 10).await.unwrap();
    assert_eq!(found.len(), 2);
    let items: Vec<NewCorrectionItem> = found
        .iter()
        .map(|i| NewCorrectionItem {
            sighting_id: i.sighting_id,
            document_id: i.document.id,
            source_id: i.source_id,
            url: i.url.clone(),
            carried_at: i.carried_at,
            role: ItemRole::Carrier,
            reach: 10,
            reach_basis: ReachBasis::Tier,
            passage: String::new(),
            fetchable: false,
            next_check_at: None,
            seen_revision: 0,
        })
        .collect();
    assert_eq!(f.store.add_correction_items(a, &items).await.unwrap(), 2);
    let tracked = f.store.correction_items(a, "rumor.a").await.unwrap();
    let press = tracked.iter().find(|i| i.carrier.outlet == HOSTILE_SOURCE).unwrap();
    let update = ItemUpdate {
        item_id: press.carrier.id,
        observed: Some(Observed {
            from: ItemState::default(),
            to: ItemState {
                outcome: model::CorrectionOutcome::Refuted,
                outcome_at: Some(now),
                remedied_at: Some(now),
            },
            basis: Basis::Refutation,
            evidence_document: Some(press.carrier.document_id),
        }),
        check: None,
        seen_revision: None,
    };
    assert!(f.store.update_correction_item(&update, now).await.unwrap().is_some());

    let (status, body) = f.page(&f.officer, &format!("/alerts/{a}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Theo dõi cải chính"), "{body}");
    let start = body.find("id=\"corrections\"").expect("the corrections section");
    let section = &body[start..start + body[start..].find("</section>").unwrap()];
    in_order(
        section,
        &[
            "Đã khắc phục",
            "1/2 nguồn (50%)",
            "Đăng cải chính",
            "1/2 nguồn (50%)",
            "Theo mức độ tiếp cận",
            "50%",
            "một phần ước theo loại nguồn",
            "Thời gian khắc phục (trung vị)",
            "Lan truyền sau phản hồi",
            "Không có bài mới",
            "Chưa khắc phục",
            "Góc Chia Sẻ",
        ],
    );
    in_order(
        section,
        &[
            "Báo &#60;b&#62;Sức Khỏe&#60;/b&#62;",
            "Đã đăng cải chính",
            "Góc Chia Sẻ",
            "Chưa cải chính",
        ],
    );
    in_order(
        timeline(&body),
        &[
            "Ghi nhận phản hồi",
            "Kênh: Trang Facebook",
            "Hệ thống",
            "Bắt đầu theo dõi cải chính",
            "(Đã phản hồi → Theo dõi cải chính)",
            "Theo dõi đến:",
            "Hệ thống",
            "Cải chính",
            "Nguồn: Báo &#60;b&#62;Sức Khỏe&#60;/b&#62;",
            "Kết quả: Chưa cải chính → Đã đăng cải chính",
            "Căn cứ: Bài sau của cùng nguồn bác bỏ thông tin",
            &format!("href=\"/documents/{}\"", press.carrier.document_id),
        ],
    );
    assert!(!body.contains("<b>"), "{body}");

    let (status, v) =
        f.api(&f.viewer_token, "GET", &format!("/alerts/{a}/corrections"), None).await;
    assert_eq!(status, StatusCode::OK);
    let c = &v["corrections"];
    assert_eq!(
        (c["coverage"]["part"].as_u64(), c["coverage"]["whole"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(c["reach_weighted_coverage"], 0.5);
    assert_eq!(c["outlets"].as_array().unwrap().len(), 2);
    assert_eq!(c["items"].as_array().unwrap().len(), 2);
    assert_eq!(c["outstanding"], json!(["Góc Chia Sẻ"]));
    let (status, _) = f.api(t, "GET", "/alerts/999999/corrections", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
