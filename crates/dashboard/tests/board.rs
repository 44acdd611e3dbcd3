//! The boards, the officer's queue and live updates, through a real server on 127.0.0.1
//! over a real SQLite: filters narrow, boards follow the role and are read from files that
//! are checked, viewers get no forms, and the event stream delivers what happens after a
//! page connects, resuming where it left off.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration as StdDuration;

use alerts::triage::{Actor, Command};
use chrono::{Duration, Utc};
use dashboard::{AppState, Boards, DashboardConfig, auth};
use model::{
    Hit, MatchedTerm, Metrics, NewDocument, Priority, Role, RuleKind, Severity, SourceKind,
    SourceTier, Timestamp,
};
use reqwest::StatusCode;
use search::SearchIndex;
use serde_json::Value;
use store::{NewSource, Processed, Store};

struct User {
    id: i64,
    cookie: String,
    bearer: String,
}

struct Server {
    _dir: tempfile::TempDir,
    base: String,
    client: reqwest::Client,
    store: Store,
    lan: User,
    minh: User,
    viewer: User,
    /// P1, a week old and never acknowledged (overdue), from a social page in HCM.
    late: i64,
    /// P3, new, from the press.
    fresh: i64,
    /// P2 crisis, acknowledged and assigned to lan.
    mine: i64,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn page(&self, user: &User, path: &str) -> (StatusCode, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &user.cookie)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn api(&self, user: &User, path: &str) -> (StatusCode, Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&user.bearer)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("application/json"), "{path}: {content_type}");
        (status, res.json().await.unwrap())
    }

    fn actor(&self, user: &User) -> Actor {
        Actor::User { id: user.id, role: Role::Officer }
    }
}

fn doc(source_id: i64, url: &str, title: &str, at: Timestamp) -> NewDocument {
    NewDocument {
        source_id,
        url: url.into(),
        title: title.into(),
        summary: String::new(),
        body: format!("{title}. Người dân được khuyến cáo không làm theo."),
        author: None,
        published_at: Some(at),
        fetched_at: at,
        language: "vi".into(),
        content_hash: url.into(),
        post: None,
    }
}

fn hit(rule: &str, title: &str, kind: RuleKind, severity: Severity) -> Hit {
    Hit {
        rule_id: rule.into(),
        rule_title: title.into(),
        kind,
        severity,
        terms: vec![MatchedTerm { field: "title", start: 0, end: 3, term: "Tin".into() }],
    }
}

async fn user(store: &Store, name: &str, role: Role) -> User {
    let now = Utc::now();
    let u = store.create_user(name, "x", role, now).await.unwrap();
    let session = auth::new_token();
    let expires = now + Duration::hours(1);
    store
        .create_session(&auth::token_hash(&session), u.id, "csrf-token", now, expires)
        .await
        .unwrap();
    let bearer = auth::new_token();
    store.create_api_token(u.id, "test", &auth::token_hash(&bearer), now, expires).await.unwrap();
    User { id: u.id, cookie: format!("ln_session={session}"), bearer }
}

async fn alert_of(store: &Store, rule: &str) -> i64 {
    let board = store.alert_board(None, 50).await.unwrap();
    board.iter().find(|e| e.alert.rule_id == rule).unwrap().alert.id
}

async fn start_with(boards: Option<Boards>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let now = Utc::now();
    let mut sources = Vec::new();
    for (name, tier) in [("Báo Sức Khỏe", SourceTier::Press), ("Nhóm Chia Sẻ", SourceTier::Social)]
    {
        let s = NewSource {
            name: name.into(),
            url: format!("http://127.0.0.1:1/{}.xml", sources.len()),
            kind: SourceKind::Feed,
            tier,
            interval_secs: 600,
            allow_private: true,
            ..NewSource::default()
        };
        sources.push(store.upsert_source(&s, now).await.unwrap().id);
    }
    let week_ago = now - Duration::days(7);
    let mut late = Processed::new(
        doc(sources[1], "https://x.vn/1", "Tin đồn lá đu đủ chữa ung thư", week_ago),
        vec![hit("rumor.la-du-du", "Lá đu đủ chữa ung thư", RuleKind::Rumor, Severity::Critical)],
    );
    late.places.province = Some("79".into());
    let fresh = Processed::new(
        doc(sources[0], "https://x.vn/2", "Tin đồn nước muối diệt virus", now),
        vec![hit("rumor.nuoc-muoi", "Nước muối diệt virus", RuleKind::Rumor, Severity::Medium)],
    );
    let mine = Processed::new(
        doc(sources[0], "https://x.vn/3", "Tin ngộ độc bếp ăn tập thể", now),
        vec![hit("crisis.ngo-doc", "Ngộ độc thực phẩm", RuleKind::Crisis, Severity::High)],
    );
    store.insert_batch(&[late, fresh, mine]).await.unwrap();
    let (late, fresh, mine) = (
        alert_of(&store, "rumor.la-du-du").await,
        alert_of(&store, "rumor.nuoc-muoi").await,
        alert_of(&store, "crisis.ngo-doc").await,
    );

    let lan = user(&store, "lan", Role::Officer).await;
    let minh = user(&store, "minh", Role::Officer).await;
    let viewer = user(&store, "xem", Role::Viewer).await;
    let as_lan = Actor::User { id: lan.id, role: Role::Officer };
    store.act(mine, &Command::Acknowledge { priority: None }, as_lan, None, now).await.unwrap();
    let assign = Command::Assign { user: lan.id, role: Role::Officer };
    store.act(mine, &assign, as_lan, None, now).await.unwrap();

    let mut state = AppState::new(
        store.clone(),
        index,
        Arc::new(Metrics::default()),
        DashboardConfig::default(),
    );
    if let Some(b) = boards {
        state = state.with_boards(b);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        dashboard::serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    Server {
        _dir: dir,
        base,
        client,
        store,
        lan,
        minh,
        viewer,
        late,
        fresh,
        mine,
        shutdown: Some(tx),
        served,
    }
}

async fn start() -> Server {
    start_with(None).await
}

/// The alerts listed on a page, in order.
fn rows(body: &str) -> Vec<i64> {
    body.split("data-alert-id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

/// The row of alert `id` on a page.
fn row(body: &str, id: i64) -> &str {
    let start = body.find(&format!("data-alert-id=\"{id}\"")).unwrap();
    let start = body[..start].rfind("<li").unwrap();
    let row = &body[start..];
    &row[..row.find("</li>").unwrap()]
}

#[tokio::test]
async fn the_queue_narrows_by_every_filter() {
    let s = start().await;
    let (late, fresh, mine) = (s.late, s.fresh, s.mine);
    let lan_query = format!("assignee={}", s.lan.id);
    let (status, body) = s.page(&s.lan, "/queue").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Overdue first, then by priority.
    assert_eq!(rows(&body), [late, mine, fresh]);
    assert!(body.contains(r#"<form method="get" action="/queue" class="filters">"#), "{body}");
    assert!(body.contains("Việc của tôi <span class=\"count\">(1)</span>"), "{body}");
    assert!(body.contains("Quá hạn <span class=\"count\">(1)</span>"), "{body}");
    let overdue = row(&body, late);
    assert!(overdue.contains(" overdue\"") && overdue.contains(">Quá hạn</span>"), "{overdue}");
    assert!(overdue.contains("Hạn tiếp nhận:"), "{overdue}");
    assert!(!row(&body, fresh).contains("Quá hạn"));

    for (query, expected) in [
        ("state=new", vec![late, fresh]),
        ("state=acknowledged,verifying", vec![mine]),
        ("state=new&state=verifying", vec![late, mine, fresh]),
        ("priority=p1", vec![late]),
        ("priority=p2,p3", vec![mine, fresh]),
        ("assignee=me", vec![mine]),
        ("assignee=unassigned", vec![late, fresh]),
        (lan_query.as_str(), vec![mine]),
        ("overdue=1", vec![late]),
        ("kind=crisis", vec![mine]),
        ("tier=social", vec![late]),
        ("province=79", vec![late]),
        ("q=mu%E1%BB%91i", vec![fresh]),
        ("state=&priority=&kind=&province=&assignee=&tier=&q=&sort=", vec![late, mine, fresh]),
        ("sort=recent", vec![mine, fresh, late]),
        ("state=closed", vec![]),
    ] {
        let (status, body) = s.page(&s.lan, &format!("/queue?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(rows(&body), expected, "{query}");
    }
    // "Mine" is the asker's.
    let (_, body) = s.page(&s.minh, "/queue?assignee=me").await;
    assert!(rows(&body).is_empty());
    // Pages.
    let (_, body) = s.page(&s.lan, "/queue?limit=2").await;
    assert_eq!(rows(&body), [late, mine]);
    assert!(body.contains("offset=2\">Trang sau"), "{body}");
    let (_, body) = s.page(&s.lan, "/queue?limit=2&offset=2").await;
    assert_eq!(rows(&body), [fresh]);

    // A bad value is said on the page, in Vietnamese, with the form still there.
    let (status, body) = s.page(&s.lan, "/queue?state=opened").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Tham số không hợp lệ (state)"), "{body}");
    assert!(body.contains("action=\"/queue\""), "{body}");

    // The API takes the same filters.
    let (status, v) = s.api(&s.lan, "/api/v1/queue?state=new").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 2);
    let (_, v) = s.api(&s.lan, "/api/v1/queue?assignee=me").await;
    assert_eq!(v["alerts"][0]["id"], mine);
    assert_eq!(v["alerts"][0]["assignee"]["name"], "lan");
    assert_eq!(v["counts"]["mine"], 1);
    let (_, v) = s.api(&s.lan, "/api/v1/queue?overdue=1").await;
    let a = &v["alerts"][0];
    assert_eq!((a["id"].as_i64(), a["overdue"].as_bool()), (Some(late), Some(true)), "{v}");
    assert_eq!(a["deadline"]["kind"], "acknowledge");
    assert_eq!(a["priority"], Priority::P1.as_str());
    let (status, v) = s.api(&s.lan, "/api/v1/queue?limit=500").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().starts_with("invalid parameter limit"), "{v}");
}

#[tokio::test]
async fn boards_follow_the_role_and_viewers_get_no_forms() {
    let s = start().await;
    let (status, body) = s.page(&s.lan, "/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<h1>Bảng việc của cán bộ xử lý</h1>"), "{body}");
    for panel in ["Việc của tôi", "Chưa phân công", "Quá hạn", "Mới"] {
        assert!(body.contains(&format!("<h2>{panel} <span")), "{panel}: {body}");
    }
    // The officer may take in a new alert from the board.
    assert!(body.contains(&format!(r#"action="/alerts/{}/act""#, s.fresh)), "{body}");
    assert!(row(&body, s.fresh).contains(r#"value="acknowledge""#));
    // Live updates are asked for, by a script file: none is inline.
    assert!(body.contains(r#"data-live="board""#), "{body}");
    assert!(body.contains(r#"<script src="/static/live.js" defer></script>"#), "{body}");
    assert_eq!(body.matches("<script").count(), 1, "{body}");
    // The switcher leads to every board.
    for id in ["leadership", "officer", "spokesperson"] {
        assert!(body.contains(&format!(r#"href="/boards/{id}""#)), "{id}");
    }
    // An alert on two panels carries its anchor once.
    assert_eq!(body.matches(&format!(r#"id="alert-{}""#, s.late)).count(), 1);
    // The row's forms do what they say: take it in, then take it on.
    let post = |fields: Vec<(String, String)>| {
        s.client
            .post(format!("{}/alerts/{}/act", s.base, s.fresh))
            .header("cookie", &s.lan.cookie)
            .form(&fields)
            .send()
    };
    let fields = |row: &str| -> Vec<(String, String)> {
        row.split("<input type=\"hidden\" name=\"")
            .skip(1)
            .map(|rest| {
                let name = rest.split('"').next().unwrap().to_owned();
                let value = rest.split("value=\"").nth(1).unwrap().split('"').next().unwrap();
                (name, value.to_owned())
            })
            .collect()
    };
    let res = post(fields(row(&body, s.fresh))).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(s.store.alert(s.fresh).await.unwrap().state, model::AlertState::Acknowledged);
    let (_, body) = s.page(&s.lan, "/queue?state=acknowledged&assignee=unassigned").await;
    let take = row(&body, s.fresh);
    assert!(take.contains("Nhận xử lý") && take.contains(&format!("value=\"{}\"", s.lan.id)));
    let res = post(fields(take)).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let alert = s.store.alert(s.fresh).await.unwrap();
    assert_eq!(alert.handling.assignee.map(|a| a.0), Some(s.lan.id));

    let (status, body) = s.page(&s.viewer, "/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<h1>Tổng quan cho lãnh đạo</h1>"), "{body}");
    assert!(body.contains("<table class=\"data counts\">"), "{body}");
    assert!(rows(&body).contains(&s.fresh), "the viewer sees the alerts: {body}");
    assert!(!body.contains("/act\""), "a viewer is offered no action: {body}");
    let (_, body) = s.page(&s.viewer, "/queue").await;
    assert_eq!(rows(&body).len(), 3);
    assert!(!body.contains("/act\""), "{body}");
    let (_, fragment) = s.page(&s.viewer, &format!("/alerts/{}/row", s.fresh)).await;
    assert!(fragment.trim_start().starts_with("<li") && !fragment.contains("/act\""));

    let (status, body) = s.page(&s.viewer, "/boards/spokesperson").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Cần phản hồi") && body.contains("aria-current=\"page\""), "{body}");
    assert!(body.contains("Tìm kiếm đã lưu") && body.contains("href=\"/search?q="), "{body}");
    let (status, body) = s.page(&s.lan, "/boards/nope").await;
    assert_eq!((status, body.contains("Không tìm thấy")), (StatusCode::NOT_FOUND, true));

    let (_, v) = s.api(&s.viewer, "/api/v1/boards").await;
    let boards = v["boards"].as_array().unwrap();
    assert_eq!(boards.len(), 3);
    assert_eq!(boards.iter().filter(|b| b["home"] == true).count(), 1);
    assert_eq!(boards.iter().find(|b| b["home"] == true).unwrap()["id"], "leadership");
    let (status, v) = s.api(&s.lan, "/api/v1/boards/officer").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["home"], true);
    assert_eq!(v["panels"][0]["title"], "Việc của tôi");
    assert_eq!(v["panels"][0]["alerts"][0]["id"], s.mine);
    assert_eq!(v["panels"][2]["filter"]["overdue"], "1");
    let (status, _) = s.api(&s.lan, "/api/v1/boards/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login() {
    let s = start().await;
    for path in ["/", "/queue?state=new", "/boards/officer", "/events", "/alerts/1/row"] {
        let res = s.client.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        let location = res.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/login?next=/"), "{path}: {location}");
    }
    for path in ["/api/v1/queue", "/api/v1/boards", "/api/v1/boards/officer"] {
        let res = s.client.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // The script is public, cached, and allowed by the pages' policy.
    let res = s.client.get(format!("{}/static/live.js", s.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "max-age=3600");
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(res.text().await.unwrap().contains("new window.EventSource("));
}

#[tokio::test]
async fn boards_come_from_files_and_a_broken_one_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("desk.toml"),
        "id = \"desk\"\ntitle = \"Bàn trực\"\nroles = [\"officer\"]\n\
         [[panels]]\ntitle = \"Khẩn cấp\"\npriority = \"p1\"\n",
    )
    .unwrap();
    let boards = Boards::load_dir(dir.path()).unwrap();
    assert_eq!(boards.ids(), ["desk"]);
    let s = start_with(Some(boards)).await;
    let (_, body) = s.page(&s.lan, "/").await;
    assert!(body.contains("<h1>Bàn trực</h1>"), "{body}");
    assert_eq!(rows(&body), [s.late]);
    // A role without a board of its own gets the first one.
    let (_, body) = s.page(&s.viewer, "/").await;
    assert!(body.contains("<h1>Bàn trực</h1>"), "{body}");

    std::fs::write(
        dir.path().join("hong.toml"),
        "id = \"hong\"\ntitle = \"Hỏng\"\n[[panels]]\ntitle = \"Sai\"\nstate = \"opened\"\n",
    )
    .unwrap();
    let problems = Boards::load_dir(dir.path()).unwrap_err();
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(
        text[0].contains(
            "hong.toml: board hong: panels[0] (Sai).state: unknown alert state \"opened\""
        ),
        "{text:?}"
    );
    assert_eq!(problems[0].field, "panels[0] (Sai).state");
    assert_eq!(problems[0].board.as_deref(), Some("hong"));
}

/// Reads the stream until an event about `alert_id` arrives; its id and JSON.
async fn next_event(
    res: &mut reqwest::Response,
    buffer: &mut String,
    alert_id: i64,
) -> (i64, Value) {
    let wait = async {
        loop {
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let id =
                    block.lines().find_map(|l| l.strip_prefix("id: ")).map(|v| v.parse().unwrap());
                let data = block.lines().find_map(|l| l.strip_prefix("data: "));
                if let (Some(id), Some(data)) = (id, data) {
                    let v: Value = serde_json::from_str(data).unwrap();
                    if v["alert_id"] == alert_id {
                        return (id, v);
                    }
                }
            }
            let chunk = res.chunk().await.unwrap().expect("the stream ended");
            buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(StdDuration::from_secs(15), wait).await.expect("no event within 15 s")
}

#[tokio::test]
async fn the_event_stream_delivers_changes_and_resumes_where_it_stopped() {
    let mut s = start().await;
    let events = format!("{}/events", s.base);
    let mut res = s.client.get(&events).header("cookie", &s.lan.cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    // The stream is open once its first comment arrives.
    let mut buffer = String::new();
    while !buffer.contains(": live") {
        let chunk = tokio::time::timeout(StdDuration::from_secs(5), res.chunk()).await.unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap()));
    }

    let before = s.store.last_event_id().await.unwrap();
    let acted = s
        .store
        .act(
            s.fresh,
            &Command::Acknowledge { priority: None },
            s.actor(&s.lan),
            Some("riêng"),
            Utc::now(),
        )
        .await
        .unwrap();
    let (id, v) = next_event(&mut res, &mut buffer, s.fresh).await;
    assert_eq!(id, acted.event_id);
    assert_eq!(v["id"], acted.event_id);
    assert_eq!(v["action"], "acknowledge");
    assert_eq!(v["action_label"], "Tiếp nhận");
    assert_eq!((v["from"].as_str(), v["to"].as_str()), (Some("new"), Some("acknowledged")));
    assert_eq!(v["state_label"], "Đã tiếp nhận");
    assert_eq!(v["actor"], "lan");
    assert!(v["at"].as_str().unwrap().contains('T'));
    assert!(v.get("note").is_none(), "notes stay on the alert's page: {v}");
    drop(res);

    // Another change while nobody listens, then a reconnection from the last event seen:
    // what was missed comes first.
    let assign = Command::Assign { user: s.minh.id, role: Role::Officer };
    let missed = s.store.act(s.fresh, &assign, s.actor(&s.lan), None, Utc::now()).await.unwrap();
    let mut res = s
        .client
        .get(&events)
        .header("cookie", &s.viewer.cookie)
        .header("last-event-id", acted.event_id.to_string())
        .send()
        .await
        .unwrap();
    let mut buffer = String::new();
    let (id, v) = next_event(&mut res, &mut buffer, s.fresh).await;
    assert_eq!((id, v["action"].as_str()), (missed.event_id, Some("assign")));
    drop(res);

    // A page rendered before both starts after what it showed.
    let mut res = s
        .client
        .get(format!("{events}?after={before}"))
        .header("cookie", &s.minh.cookie)
        .send()
        .await
        .unwrap();
    let mut buffer = String::new();
    let (id, _) = next_event(&mut res, &mut buffer, s.fresh).await;
    assert_eq!(id, acted.event_id);
    let (id, _) = next_event(&mut res, &mut buffer, s.fresh).await;
    assert_eq!(id, missed.event_id);

    // The refreshed row shows the change.
    let (_, fragment) = s.page(&s.lan, &format!("/alerts/{}/row", s.fresh)).await;
    assert!(
        fragment.contains("Người xử lý: minh") && fragment.contains("Đang xác minh"),
        "{fragment}"
    );
    let (status, _) = s.page(&s.lan, "/alerts/99999/row").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Stopping the server ends open streams instead of waiting for them.
    let _ = s.shutdown.take().unwrap().send(());
    tokio::time::timeout(StdDuration::from_secs(10), &mut s.served)
        .await
        .expect("the server stops with a stream open")
        .unwrap();
    drop(res);
}
