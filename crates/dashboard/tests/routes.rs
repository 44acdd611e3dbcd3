//! The route table: every route of the dashboard, pages and API alike, with the status that
//! nobody logged in, a viewer, an officer and an admin each get, walked request by request.
//! Viewers read; officers act on alerts; admins administer. Forms carry the session's CSRF
//! token, so what is refused is refused for the role. The table is checked against the
//! router's source, so a route cannot be added without saying who may use it, and the
//! OpenAPI description served at `/api/v1/openapi.json` is checked against the table's API
//! part.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use alerts::triage::{Actor, Command};
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{Duration, Utc};
use dashboard::{AppState, DashboardConfig, auth, router};
use model::{
    Hit, MatchedTerm, Metrics, NewDocument, Role, RuleKind, Severity, SourceKind, SourceTier, Story,
};
use search::SearchIndex;
use serde_json::Value;
use store::{NewSource, Processed, Store, StoryUpdate};
use tower::ServiceExt;

// ---- the table ----

/// What `{id}` in a route stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Id {
    None,
    Alert,
    Story,
    Document,
    Board,
    Token,
    Source,
    /// The officer's subscription to notifications.
    Subscription,
    /// A message that failed to go out.
    Outbox,
    /// The viewer's saved search.
    Saved,
}

/// What a request sends.
#[derive(Debug, Clone, Copy)]
enum Payload {
    Nothing,
    /// A form; the client's CSRF token is added for the logged-in.
    Form(&'static [(&'static str, &'static str)]),
    /// A JSON body.
    Json(&'static str),
    /// The login form, with the login page's CSRF cookie and a fixture user's password.
    Login,
}

/// The clients, in the order the table's columns give them and each row is walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Client {
    Anonymous,
    Viewer,
    Officer,
    Admin,
}

const CLIENTS: [Client; 4] = [Client::Anonymous, Client::Viewer, Client::Officer, Client::Admin];

/// One route: its method, the path with any query string, what `{id}` stands for, what is
/// sent, and the status for each of [`CLIENTS`].
#[derive(Debug, Clone, Copy)]
struct Row {
    method: &'static str,
    target: &'static str,
    id: Id,
    payload: Payload,
    expect: [u16; 4],
}

impl Row {
    /// The route as the router writes it.
    fn pattern(&self) -> &'static str {
        self.target.split('?').next().unwrap()
    }

    fn is_api(&self) -> bool {
        self.pattern().starts_with("/api/v1/")
    }
}

const fn row(
    method: &'static str,
    target: &'static str,
    id: Id,
    payload: Payload,
    expect: [u16; 4],
) -> Row {
    Row { method, target, id, payload, expect }
}

use Id as I;
use Payload::{Form, Json, Login, Nothing};

// The columns of `expect`: anonymous, viewer, officer, admin. Pages send the anonymous to
// the login page (303); the API answers them 401. A refused role is 403. A form that worked
// redirects (303), except those that show their result (200).
const OPEN: [u16; 4] = [200, 200, 200, 200];
const READ: [u16; 4] = [303, 200, 200, 200];
const ACT: [u16; 4] = [303, 403, 303, 303];
const ADMIN_READ: [u16; 4] = [303, 403, 403, 200];
const ADMIN_DO: [u16; 4] = [303, 403, 403, 303];
const ADMIN_SHOW: [u16; 4] = [303, 403, 403, 200];
const API_READ: [u16; 4] = [401, 200, 200, 200];
const API_ACT: [u16; 4] = [401, 403, 200, 200];
const API_ADD: [u16; 4] = [401, 403, 201, 201];
const API_ADMIN: [u16; 4] = [401, 403, 403, 200];
// A saved search is its owner's (the viewer's here): anyone else is answered 404, except
// that an admin may try it as a rule.
const OWNER_DO: [u16; 4] = [303, 303, 404, 404];
const OWNER_OR_ADMIN: [u16; 4] = [303, 200, 404, 200];

const ESCALATE: &[(&str, &str)] =
    &[("action", "escalate"), ("to", "ministry"), ("note", "Báo cáo Bộ Y tế theo quy chế.")];
const SUBSCRIBE: &[(&str, &str)] = &[
    ("channel", "email"),
    ("target", "canbo@soyte.example.vn"),
    ("kinds", "crisis"),
    ("kinds", "rumor"),
    ("min_priority", "p2"),
    ("provinces", "75"),
    ("quiet_start", "22:00"),
    ("quiet_end", "06:30"),
    ("alerts", "1"),
    ("digest", "1"),
    ("enabled", "1"),
];
const RESPONSE_FORM: &[(&str, &str)] = &[
    ("channel", "website"),
    ("text", "Sở Y tế khẳng định thông tin trên là sai sự thật."),
    ("url", "https://soyte.example.vn/thong-cao"),
];

/// Every route of the router. Write actions aim at fixture objects nobody else uses (the
/// user `khach`, their token, the source, an alert waiting for a response), and each row runs
/// on a server of its own, so a refusal never depends on what an earlier row did.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    // Pages: any logged-in user reads.
    row("GET",  "/",                                I::None,     Nothing, READ),
    row("GET",  "/search?q=th%E1%BA%A7n+d%C6%B0%E1%BB%A3c", I::None, Nothing, READ),
    row("GET",  "/documents/{id}",                  I::Document, Nothing, READ),
    row("GET",  "/stories",                         I::None,     Nothing, READ),
    row("GET",  "/stories/{id}",                    I::Story,    Nothing, READ),
    row("GET",  "/trends",                          I::None,     Nothing, READ),
    row("GET",  "/kpi",                             I::None,     Nothing, READ),
    row("GET",  "/digest?role=spokesperson",        I::None,     Nothing, READ),
    row("GET",  "/calendar",                        I::None,     Nothing, READ),
    row("GET",  "/reports",                         I::None,     Nothing, READ),
    row("GET",  "/reports/export?period=2026-H1&format=xlsx", I::None, Nothing, READ),
    row("GET",  "/reports/view?period=2026-H1",     I::None,     Nothing, READ),
    row("GET",  "/queue",                           I::None,     Nothing, READ),
    row("GET",  "/boards/{id}",                     I::Board,    Nothing, READ),
    row("GET",  "/alerts/{id}",                     I::Alert,    Nothing, READ),
    row("GET",  "/alerts/{id}/row",                 I::Alert,    Nothing, READ),
    row("GET",  "/events",                          I::None,     Nothing, READ),
    // Pages: officers and admins act on alerts.
    row("POST", "/alerts/{id}/act",                 I::Alert,    Form(ESCALATE), ACT),
    row("POST", "/alerts/{id}/responses",           I::Alert,    Form(RESPONSE_FORM), ACT),
    row("POST", "/calendar/notes",                  I::None,
        Form(&[("date", "2026-11-25"), ("day_key", "day.ca-nam@2026-01-01"), ("note", "Thông điệp.")]), ACT),
    // Pages: every user manages their own subscriptions; admins anybody's.
    row("GET",  "/notifications",                   I::None,     Nothing, READ),
    row("POST", "/notifications",                   I::None,     Form(SUBSCRIBE), [303, 303, 303, 303]),
    row("GET",  "/notifications/{id}",              I::Subscription, Nothing, [303, 403, 200, 200]),
    row("POST", "/notifications/{id}",              I::Subscription, Form(SUBSCRIBE), [303, 403, 303, 303]),
    row("POST", "/notifications/{id}/test",         I::Subscription, Form(&[]), [303, 403, 303, 303]),
    // The officer deletes their own; the admin then finds it gone.
    row("POST", "/notifications/{id}/delete",       I::Subscription, Form(&[]), [303, 403, 303, 404]),
    row("POST", "/reports/activity",                I::None,
        Form(&[("period", "2026-H1"), ("v_articles", "97"), ("n_articles", "Cổng TTĐT")]), ACT),
    row("GET",  "/claims/new",                      I::None,     Nothing, [303, 403, 200, 200]),
    // An empty claim is refused with the form again (422), after the role check.
    row("POST", "/claims/new",                      I::None,     Form(&[]), [303, 403, 422, 422]),
    // Pages: admins administer.
    row("GET",  "/admin",                           I::None,     Nothing, ADMIN_READ),
    row("GET",  "/admin/users",                     I::None,     Nothing, ADMIN_READ),
    row("POST", "/admin/users",                     I::None,
        Form(&[("name", "moi"), ("role", "viewer"), ("password", "mat-khau-moi")]), ADMIN_DO),
    row("POST", "/admin/users/role",                I::None,
        Form(&[("name", "khach"), ("role", "officer")]), ADMIN_DO),
    row("POST", "/admin/users/disable",             I::None, Form(&[("name", "khach")]), ADMIN_DO),
    row("POST", "/admin/users/enable",              I::None, Form(&[("name", "khach")]), ADMIN_DO),
    row("POST", "/admin/users/password",            I::None,
        Form(&[("name", "khach"), ("password", "mat-khau-moi")]), ADMIN_DO),
    row("GET",  "/admin/tokens",                    I::None,     Nothing, ADMIN_READ),
    row("POST", "/admin/tokens",                    I::None,
        Form(&[("user", "khach"), ("label", "báo cáo"), ("expires_days", "30")]), ADMIN_SHOW),
    row("POST", "/admin/tokens/{id}/revoke",        I::Token,    Form(&[]), ADMIN_DO),
    row("GET",  "/admin/sources",                   I::None,     Nothing, ADMIN_READ),
    row("POST", "/admin/sources/{id}/enable",       I::Source,   Form(&[]), ADMIN_DO),
    row("POST", "/admin/sources/{id}/disable",      I::Source,   Form(&[]), ADMIN_DO),
    row("GET",  "/admin/rules",                     I::None,     Nothing, ADMIN_READ),
    row("POST", "/admin/rules/check",               I::None,     Form(&[]), ADMIN_SHOW),
    row("POST", "/admin/rules/backtest",            I::None,
        Form(&[("q", "thần dược"), ("days", "7")]), ADMIN_SHOW),
    row("GET",  "/admin/audit",                     I::None,     Nothing, ADMIN_READ),
    row("GET",  "/notifications/outbox",            I::None,     Nothing, ADMIN_READ),
    row("POST", "/notifications/outbox/{id}/retry", I::Outbox,   Form(&[]), ADMIN_DO),
    // Search, exports, saved searches and briefing packs: every user searches, exports and
    // keeps saved searches of their own; only admins keep one as a watch rule.
    row("GET",  "/search/export.csv?q=th%E1%BA%A7n",  I::None,   Nothing, READ),
    row("GET",  "/search/export.xlsx?q=th%E1%BA%A7n", I::None,   Nothing, READ),
    row("GET",  "/saved",                           I::None,     Nothing, READ),
    row("POST", "/saved",                           I::None,
        Form(&[("name", "Thần dược"), ("q", "thần dược"), ("sort", "newest")]), [303, 303, 303, 303]),
    row("POST", "/saved/{id}/notify",               I::Saved,    Form(&[("notify", "1")]), OWNER_DO),
    row("POST", "/saved/{id}/delete",               I::Saved,    Form(&[]), OWNER_DO),
    row("GET",  "/saved/{id}/backtest",             I::Saved,    Nothing, OWNER_OR_ADMIN),
    row("POST", "/saved/{id}/watch",                I::Saved,
        Form(&[("rule_id", "watch.local.than-duoc"), ("title", "Thần dược"), ("severity", "medium"),
               ("example", "Thần dược chữa khỏi ung thư")]), ADMIN_DO),
    row("GET",  "/briefing/stories/{id}",           I::Story,    Nothing, READ),
    row("GET",  "/briefing/stories/{id}/xlsx",      I::Story,    Nothing, READ),
    row("GET",  "/briefing/topic?rule=rumor.than-duoc", I::None, Nothing, READ),
    row("GET",  "/briefing/topic.xlsx?rule=rumor.than-duoc", I::None, Nothing, READ),
    // Open to everybody.
    row("GET",  "/login",                           I::None,     Nothing, OPEN),
    row("POST", "/login",                           I::None,     Login, [303, 303, 303, 303]),
    row("POST", "/logout",                          I::None,     Form(&[]), [303, 303, 303, 303]),
    row("GET",  "/healthz",                         I::None,     Nothing, OPEN),
    row("GET",  "/metrics",                         I::None,     Nothing, OPEN),
    row("GET",  "/static/style.css",                I::None,     Nothing, OPEN),
    row("GET",  "/static/live.js",                  I::None,     Nothing, OPEN),
    row("GET",  "/static/report.css",               I::None,     Nothing, OPEN),
    // The API: any token reads.
    row("GET",  "/api/v1/openapi.json",             I::None,     Nothing, OPEN),
    row("GET",  "/api/v1/alerts?limit=10",          I::None,     Nothing, API_READ),
    row("GET",  "/api/v1/search?q=th%E1%BA%A7n",    I::None,     Nothing, API_READ),
    row("GET",  "/api/v1/saved-searches",           I::None,     Nothing, API_READ),
    row("GET",  "/api/v1/stories",                  I::None,     Nothing, API_READ),
    row("GET",  "/api/v1/stories/{id}",             I::Story,    Nothing, API_READ),
    row("GET",  "/api/v1/trends",                   I::None,     Nothing, API_READ),
    row("GET",  "/api/v1/kpi",                      I::None,     Nothing, API_READ),
    row("GET",  "/api/v1/queue?assignee=me",        I::None,     Nothing, API_READ),
    row("GET",  "/api/v1/boards",                   I::None,     Nothing, API_READ),
    row("GET",  "/api/v1/boards/{id}",              I::Board,    Nothing, API_READ),
    row("GET",  "/api/v1/alerts/{id}",              I::Alert,    Nothing, API_READ),
    row("GET",  "/api/v1/alerts/{id}/events",       I::Alert,    Nothing, API_READ),
    row("GET",  "/api/v1/alerts/{id}/responses",    I::Alert,    Nothing, API_READ),
    row("GET",  "/api/v1/alerts/{id}/corrections",  I::Alert,    Nothing, API_READ),
    // The API: officers' and admins' tokens act on alerts.
    row("POST", "/api/v1/alerts/{id}/transitions",  I::Alert,
        Json(r#"{"action": "prioritize", "priority": "p1", "note": "Lan nhanh."}"#), API_ACT),
    row("POST", "/api/v1/alerts/{id}/notes",        I::Alert,
        Json(r#"{"note": "Đã gọi cho bệnh viện."}"#), API_ADD),
    row("POST", "/api/v1/alerts/{id}/assignment",   I::Alert,
        Json(r#"{"user": "lan", "state": "response_needed"}"#), API_ACT),
    row("POST", "/api/v1/alerts/{id}/responses",    I::Alert,
        Json(r#"{"channel": "press_release", "text": "Thông cáo: tin đồn sai.",
                 "url": "https://soyte.example.vn/tc"}"#), API_ADD),
    // The API: admins' tokens administer.
    row("GET",  "/api/v1/admin/users",              I::None,     Nothing, API_ADMIN),
    row("GET",  "/api/v1/admin/tokens",             I::None,     Nothing, API_ADMIN),
    row("POST", "/api/v1/admin/tokens/{id}/revoke", I::Token,    Nothing, API_ADMIN),
    row("GET",  "/api/v1/admin/audit?limit=5",      I::None,     Nothing, API_ADMIN),
];

// ---- the fixture ----

const KHACH_PASSWORD: &str = "mat-khau-khach";

/// The guest's password hash, made once: argon2 is slow on purpose.
fn khach_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(KHACH_PASSWORD).unwrap())
}

/// How one logged-in client is known: a session (cookie and CSRF token) and an API token.
struct Credentials {
    cookie: String,
    csrf: String,
    bearer: String,
}

struct Fixture {
    _dir: tempfile::TempDir,
    app: axum::Router,
    store: Store,
    viewer: Credentials,
    officer: Credentials,
    admin: Credentials,
    alert: i64,
    story: i64,
    document: i64,
    source: i64,
    /// A token of the guest, for the revoke routes.
    token: i64,
    /// The officer's subscription.
    subscription: i64,
    /// A failed outgoing message.
    outbox: i64,
    /// The viewer's saved search.
    saved: i64,
}

const PACK: &str = r#"
[[rules]]
id = "rumor.than-duoc"
kind = "rumor"
title = "Thần dược"
severity = "high"
query = '"thần dược"'
match = ["Thần dược chữa khỏi ung thư"]

[[days]]
id = "day.ca-nam"
title = "Năm hành động"
when = "01/01 - 31/12"
lead_days = 0
rules = ["rumor.than-duoc"]
source = "Thử nghiệm"
"#;

async fn credentials(store: &Store, user: i64, csrf: &str) -> Credentials {
    let now = Utc::now();
    let session = auth::new_token();
    let expires = now + Duration::hours(1);
    store.create_session(&auth::token_hash(&session), user, csrf, now, expires).await.unwrap();
    let bearer = auth::new_token();
    store.create_api_token(user, "thử", &auth::token_hash(&bearer), now, expires).await.unwrap();
    Credentials { cookie: format!("ln_session={session}"), csrf: csrf.to_owned(), bearer }
}

/// A store with one source, one document in one story, its alert waiting for the office's
/// response (so responses, notes, assignment and priority may be given again and again),
/// users of every role and a guest, and a router over it.
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let now = Utc::now();
    let src = NewSource {
        name: "Góc Chia Sẻ".into(),
        url: "http://127.0.0.1:1/rss.xml".into(),
        kind: SourceKind::Feed,
        tier: SourceTier::Social,
        allow_private: true,
        ..NewSource::default()
    };
    let source = store.upsert_source(&src, now).await.unwrap().id;
    let title = "Thần dược chữa khỏi ung thư";
    let doc = NewDocument {
        source_id: source,
        url: "http://127.0.0.1:1/bai-1".into(),
        title: title.into(),
        summary: String::new(),
        body: "Quảng cáo thần dược trên mạng xã hội.".into(),
        author: None,
        published_at: Some(now - Duration::hours(1)),
        fetched_at: now - Duration::hours(1),
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
    let story = store.next_story_id().await.unwrap();
    let stored = store
        .insert_batch_placed(
            &[Processed::new(doc.clone(), vec![hit])],
            &mut store::into_story(story),
        )
        .await
        .unwrap();
    let document = stored.inserted[0].id;
    let update = StoryUpdate {
        story: Story {
            id: story,
            title: title.into(),
            origin_document: document,
            origin_source: source,
            origin_source_name: String::new(),
            origin_basis: "earliest".into(),
            province: None,
            first_seen: doc.fetched_at,
            last_seen: now,
            documents: 1,
            sightings: 1,
            outlets: 1,
        },
        relations: Vec::new(),
    };
    store.save_stories(&[update], now).await.unwrap();
    let alert = store.alert_board(None, 10).await.unwrap()[0].alert.id;

    let admin = store.create_user("quan", "x", Role::Admin, now).await.unwrap();
    let officer = store.create_user("lan", "x", Role::Officer, now).await.unwrap();
    let viewer = store.create_user("xem", "x", Role::Viewer, now).await.unwrap();
    let khach = store.create_user("khach", khach_hash(), Role::Viewer, now).await.unwrap();
    let as_lan = Actor::User { id: officer.id, role: Role::Officer };
    for cmd in [
        Command::Acknowledge { priority: None },
        Command::Assign { user: officer.id, role: Role::Officer },
        Command::RequireResponse,
    ] {
        store.act(alert, &cmd, as_lan, None, now).await.unwrap();
    }
    let guest_token = store
        .create_api_token(khach.id, "khách", "0".repeat(64).as_str(), now, now + Duration::days(1))
        .await
        .unwrap()
        .id;
    let subscription = store
        .create_subscription(
            officer.id,
            &model::SubscriptionSettings {
                channel: model::Channel::Email,
                target: "lan@soyte.example.vn".into(),
                kinds: Vec::new(),
                min_priority: model::Priority::P1,
                topics: Vec::new(),
                provinces: Vec::new(),
                quiet: None,
                alerts: true,
                digest: false,
                enabled: true,
            },
            now,
        )
        .await
        .unwrap()
        .id;
    let failed = store::NewOutgoing {
        dedupe_key: "routes:failed".into(),
        kind: "alert".into(),
        channel: model::Channel::Email,
        recipient: "nobody@soyte.example.vn".into(),
        subject: "[P1] Khủng hoảng — Lắng Nghe".into(),
        body: b"Subject: x\r\n\r\nx".to_vec(),
    };
    store.enqueue(&[failed], now).await.unwrap();
    let claimed = store.claim_outbox(now, std::time::Duration::from_secs(60), 1).await.unwrap();
    store.outbox_failed(&claimed[0], "address refused", None).await.unwrap();
    let outbox = claimed[0].id;

    let saved = store
        .create_saved_search(
            &store::NewSavedSearch {
                owner_id: viewer.id,
                name: "Tìm kiếm mẫu".into(),
                query: "thần dược".into(),
                filters: store::SearchFilters::default(),
                sort: "newest".into(),
                notify: false,
            },
            now,
        )
        .await
        .unwrap()
        .id;

    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("thu.toml"), PACK).unwrap();
    let (set, diags) = rules::RuleSet::load_dir(&rules_dir);
    assert!(diags.is_empty(), "{diags:?}");
    let set = Arc::new(set);
    let state = AppState::new(
        store.clone(),
        index,
        Arc::new(Metrics::default()),
        DashboardConfig::default(),
    )
    .with_rules(rules_dir, move || set.clone())
    .with_delivery(dashboard::DeliveryOptions {
        test_message: Some(Arc::new(|s: &model::Subscription, _: &str, _| {
            Ok(store::NewOutgoing {
                dedupe_key: format!("test:{}", s.id),
                kind: "test".into(),
                channel: s.settings.channel,
                recipient: s.settings.target.clone(),
                subject: "Thư thử".into(),
                body: b"x".to_vec(),
            })
        })),
        ..dashboard::DeliveryOptions::default()
    });
    let peer = std::net::SocketAddr::from(([192, 0, 2, 1], 40000));
    let app = router(state).layer(MockConnectInfo(peer));
    Fixture {
        viewer: credentials(&store, viewer.id, "csrf-xem").await,
        officer: credentials(&store, officer.id, "csrf-lan").await,
        admin: credentials(&store, admin.id, "csrf-quan").await,
        _dir: dir,
        app,
        store,
        alert,
        story,
        document,
        source,
        token: guest_token,
        subscription,
        outbox,
        saved,
    }
}

// ---- requests ----

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Fixture {
    fn credentials(&self, client: Client) -> Option<&Credentials> {
        match client {
            Client::Anonymous => None,
            Client::Viewer => Some(&self.viewer),
            Client::Officer => Some(&self.officer),
            Client::Admin => Some(&self.admin),
        }
    }

    /// What a refused request must leave as it was: the audit log, the alerts' events and
    /// responses, the users, the source and the tokens.
    async fn fingerprint(&self) -> String {
        let s = &self.store;
        let users: Vec<String> = s
            .list_users()
            .await
            .unwrap()
            .iter()
            .map(|u| format!("{}:{}:{:?}", u.name, u.role.as_str(), u.disabled_at))
            .collect();
        let tokens: Vec<String> = s
            .all_api_tokens(100)
            .await
            .unwrap()
            .iter()
            .map(|(t, _)| format!("{}:{:?}", t.id, t.revoked_at))
            .collect();
        format!(
            "audit {} events {} responses {} users {users:?} tokens {tokens:?} source {} \
             subscriptions {} {:?} outbox {:?}",
            s.audit_log(10_000).await.unwrap().len(),
            s.last_event_id().await.unwrap(),
            s.alert_responses(self.alert).await.unwrap().len(),
            s.source(self.source).await.unwrap().enabled,
            s.subscribers().await.unwrap().len(),
            s.subscription(self.subscription).await.unwrap(),
            s.outbox_counts().await.unwrap(),
        )
    }

    /// `target` with its `{id}` filled in.
    fn path(&self, target: &str, id: Id) -> String {
        let value = match id {
            Id::None => return target.to_owned(),
            Id::Alert => self.alert.to_string(),
            Id::Story => self.story.to_string(),
            Id::Document => self.document.to_string(),
            Id::Board => "officer".to_owned(),
            Id::Token => self.token.to_string(),
            Id::Source => self.source.to_string(),
            Id::Subscription => self.subscription.to_string(),
            Id::Outbox => self.outbox.to_string(),
            Id::Saved => self.saved.to_string(),
        };
        assert!(target.contains("{id}"), "{target} has no {{id}}");
        target.replace("{id}", &value)
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        // A live stream never ends: its status and headers are the answer.
        let streaming = headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let body = if streaming {
            String::new()
        } else {
            let bytes = axum::body::to_bytes(res.into_body(), 4 << 20).await.unwrap();
            String::from_utf8_lossy(&bytes).into_owned()
        };
        Answer { status, headers, body }
    }

    /// The login form's CSRF token, as the login page sets it.
    async fn login_csrf(&self) -> String {
        let req = Request::get("/login").body(Body::empty()).unwrap();
        let answer = self.send(req).await;
        answer
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("ln_login_csrf="))
            .map(|rest| rest.split(';').next().unwrap().to_owned())
            .unwrap()
    }

    /// `row` as `client` sends it: pages with the session cookie, the API with the token.
    async fn request(&self, row: &Row, client: Client, method: &str) -> Answer {
        let path = self.path(row.target, row.id);
        let creds = self.credentials(client);
        let mut b = Request::builder().method(method).uri(path.as_str());
        let mut cookies = Vec::new();
        if let Some(c) = creds {
            if row.is_api() {
                b = b.header(header::AUTHORIZATION, format!("Bearer {}", c.bearer));
            } else {
                cookies.push(c.cookie.clone());
            }
        }
        let body = match row.payload {
            Payload::Nothing => Body::empty(),
            Payload::Form(fields) => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                form.extend_pairs(fields);
                if let Some(c) = creds {
                    form.append_pair("csrf", &c.csrf);
                }
                b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form.finish())
            }
            Payload::Json(json) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(json)
            }
            Payload::Login => {
                let csrf = self.login_csrf().await;
                cookies.push(format!("ln_login_csrf={csrf}"));
                let form = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs([
                        ("csrf", csrf.as_str()),
                        ("next", "/"),
                        ("name", "khach"),
                        ("password", KHACH_PASSWORD),
                    ])
                    .finish();
                b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form)
            }
        };
        if !cookies.is_empty() {
            b = b.header(header::COOKIE, cookies.join("; "));
        }
        self.send(b.body(body).unwrap()).await
    }
}

/// Checks one answer against the table, saying what was asked when it does not match.
fn check(row: &Row, client: Client, expected: u16, a: &Answer) {
    let what = format!("{client:?} {} {}", row.method, row.target);
    let shown: String = a.body.chars().take(300).collect();
    assert_eq!(a.status.as_u16(), expected, "{what}: {shown}");
    let content_type =
        a.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if row.is_api() {
        assert!(content_type.starts_with("application/json"), "{what}: {content_type}");
    }
    match (a.status.as_u16(), row.is_api()) {
        (303, false) if client == Client::Anonymous && !matches!(row.payload, Payload::Login) => {
            let to = a.headers[header::LOCATION].to_str().unwrap();
            assert!(to.starts_with("/login"), "{what} went to {to}");
        }
        // Refused for the role, not for a missing or wrong CSRF token.
        (403, false) => assert!(a.body.contains("không có quyền"), "{what}: {shown}"),
        (403, true) => assert!(a.body.contains("needs the"), "{what}: {shown}"),
        _ => {}
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_table_says() {
    let mut tally: BTreeMap<(Client, u16), usize> = BTreeMap::new();
    for row in TABLE {
        // A server of its own, and the clients in column order: refusals change nothing,
        // so the one who may act always finds the fixture as it was made.
        let f = fixture().await;
        for (client, expected) in CLIENTS.into_iter().zip(row.expect) {
            let before = f.fingerprint().await;
            let answer = f.request(row, client, row.method).await;
            check(row, client, expected, &answer);
            let refused = matches!(expected, 401 | 403)
                || (client == Client::Anonymous
                    && expected == 303
                    && !matches!(row.payload, Payload::Login));
            if refused {
                let after = f.fingerprint().await;
                assert_eq!(
                    before, after,
                    "{client:?} {} {} changed something",
                    row.method, row.target
                );
            }
            *tally.entry((client, expected)).or_default() += 1;
        }
    }
    for client in CLIENTS {
        let counts: Vec<String> = tally
            .iter()
            .filter(|((c, _), _)| *c == client)
            .map(|((_, s), n)| format!("{s}×{n}"))
            .collect();
        println!("{client:?}: {}", counts.join(", "));
    }
    println!("{} routes", TABLE.len());
}

// ---- the table against the router's source ----

/// What the source declares: `(METHOD, path)` for every `.route(…)`, under the prefix of the
/// `.nest(…)` its function is mounted under, directly or through `.merge(…)`s.
fn declared_routes() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let texts: Vec<(String, String, String)> = rust_files(&src)
        .iter()
        .map(|p| {
            let text = code_of(&std::fs::read_to_string(p).unwrap());
            (p.display().to_string(), module_of(&src, p), text)
        })
        .collect();
    // Route functions (`crate::admin::routes`), each with where it is mounted: the function
    // mounting it and the prefix that adds. `.nest("/api/v1", api_routes())` adds one,
    // `.merge(admin::api_routes())` none.
    let mut mounts: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for (file, module, text) in &texts {
        for unknown in [".route_service(", ".nest_service(", ".route_layer("] {
            assert!(!text.contains(unknown), "{file}: {unknown} is a route the table cannot read");
        }
        for call in [".nest(", ".merge("] {
            for (at, _) in text.match_indices(call) {
                let caller = enclosing_fn(&text[..at])
                    .unwrap_or_else(|| panic!("{file}: a {call} outside a function"));
                let mut rest = &text[at + call.len()..];
                let mut prefix = String::new();
                if call == ".nest(" {
                    let (p, after) = string_literal(rest)
                        .unwrap_or_else(|| panic!("{file}: a .nest( whose path is not a literal"));
                    prefix = p;
                    rest = after.trim_start().strip_prefix(',').unwrap();
                }
                let rest = rest.trim_start();
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | ':'))
                    .collect();
                assert!(
                    rest[path.len()..].starts_with("())"),
                    "{file}: {call}…) of something other than a route function: {}",
                    rest.chars().take(60).collect::<String>()
                );
                mounts
                    .entry(resolve(module, &path))
                    .or_default()
                    .insert((format!("{module}::{caller}"), prefix));
            }
        }
    }
    let mut routes = BTreeSet::new();
    for (file, module, text) in &texts {
        for (at, _) in text.match_indices(".route(") {
            let function = enclosing_fn(&text[..at])
                .unwrap_or_else(|| panic!("{file}: a .route( outside a function"));
            let prefix = mounted_at(&mounts, &format!("{module}::{function}"), 0);
            let rest = &text[at + ".route(".len()..];
            let (path, rest) = string_literal(rest)
                .unwrap_or_else(|| panic!("{file}: a .route( whose path is not a literal"));
            for method in methods(rest.trim_start().strip_prefix(',').unwrap()) {
                routes.insert((method, format!("{prefix}{path}")));
            }
        }
    }
    routes
}

/// The module a source file is: `src/lib.rs` is `crate`, `src/board/api.rs` `crate::board::api`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts = vec!["crate".to_owned()];
    parts.extend(relative.iter().map(|p| p.to_string_lossy().into_owned()));
    if parts.last().is_some_and(|p| p == "lib" || p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The function a call in `module` names: `admin::routes` in `crate` is
/// `crate::admin::routes`.
fn resolve(module: &str, path: &str) -> String {
    let mut base: Vec<&str> = module.split("::").collect();
    let mut segments = path.split("::").peekable();
    match segments.peek() {
        Some(&"crate") => {
            base = Vec::new();
        }
        Some(&"self") => {
            segments.next();
        }
        _ => {}
    }
    while segments.peek() == Some(&"super") {
        segments.next();
        base.pop();
    }
    base.extend(segments);
    base.join("::")
}

/// The prefix the routes of `function` are served under.
fn mounted_at(
    mounts: &BTreeMap<String, BTreeSet<(String, String)>>,
    function: &str,
    depth: usize,
) -> String {
    assert!(depth < 16, "route functions mount each other in a loop at {function}");
    let Some(by) = mounts.get(function) else { return String::new() };
    let prefixes: BTreeSet<String> = by
        .iter()
        .map(|(caller, prefix)| format!("{}{prefix}", mounted_at(mounts, caller, depth + 1)))
        .collect();
    assert_eq!(prefixes.len(), 1, "the routes of {function} are mounted at {prefixes:?}");
    prefixes.into_iter().next().unwrap()
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code of a file without its unit tests and line comments, where routers built for a
/// test or written in an example would be taken for the application's.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines.peek().is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        if !line.trim_start().starts_with("//") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A string literal at the start of `s` (after blanks), and what follows it.
fn string_literal(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start().strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &s[i + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// The name of the last function that starts in `before`.
fn enclosing_fn(before: &str) -> Option<String> {
    let at = before.rmatch_indices("fn ").find(|(i, _)| {
        *i == 0
            || (!before.as_bytes()[i - 1].is_ascii_alphanumeric()
                && before.as_bytes()[i - 1] != b'_')
    })?;
    let name: String =
        before[at.0 + 3..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    Some(name)
}

/// The methods of a method router written at the start of `s`, up to the `)` that closes
/// the `.route(`: `get(a).post(b)` is GET and POST.
fn methods(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut word = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // Skip a string inside a handler (`get(|| async { "ok" })`).
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                word.clear();
            }
            '(' | '[' | '{' => {
                if depth == 0 && !word.is_empty() {
                    let method = match word.as_str() {
                        "get" | "post" | "put" | "delete" | "patch" | "head" | "options" => {
                            word.to_uppercase()
                        }
                        other => panic!(
                            "a route's method router uses {other}(…), which the table cannot \
                             read; write one route per method"
                        ),
                    };
                    out.push(method);
                }
                depth += 1;
                word.clear();
            }
            ')' | ']' | '}' => {
                depth -= 1;
                if depth < 0 {
                    break;
                }
                word.clear();
            }
            c if c.is_alphanumeric() || c == '_' => word.push(c),
            _ => word.clear(),
        }
    }
    assert!(
        !out.is_empty(),
        "a route without a method: {}",
        s.chars().take(80).collect::<String>()
    );
    out
}

fn table_routes() -> BTreeSet<(String, String)> {
    TABLE.iter().map(|r| (r.method.to_owned(), r.pattern().to_owned())).collect()
}

#[test]
fn the_table_lists_every_route_of_the_router() {
    let declared = declared_routes();
    let table = table_routes();
    assert_eq!(table.len(), TABLE.len(), "a route is listed twice");
    let unlisted: Vec<_> = declared.difference(&table).collect();
    assert!(
        unlisted.is_empty(),
        "routes with no row in the table (say who may use them): {unlisted:?}"
    );
    let stale: Vec<_> = table.difference(&declared).collect();
    assert!(stale.is_empty(), "rows for routes the router does not have: {stale:?}");
    for row in TABLE {
        assert_eq!(row.pattern().contains("{id}"), row.id != Id::None, "{}", row.target);
    }
}

#[test]
fn the_source_reader_reads_routes_as_axum_writes_them() {
    assert_eq!(methods(r#"get(pages::login_form).post(pages::login))"#), ["GET", "POST"]);
    assert_eq!(methods(r#"get(|| async { "ok)" }))"#), ["GET"]);
    assert_eq!(methods("axum::routing::post(x::y))\n.route(\"/b\", get(z))"), ["POST"]);
    assert_eq!(string_literal(r#" "/a/{id}", get(x)"#).unwrap().0, "/a/{id}");
    assert_eq!(
        enclosing_fn("fn a() {}\npub(crate) fn api_routes() -> R {\n  x").unwrap(),
        "api_routes"
    );
    let code = code_of(
        "fn r() {}\n// .route(\"/x\", get(y))\n#[cfg(test)]\nmod tests {\n.route(\"/t\")\n}",
    );
    assert!(!code.contains(".route("), "{code}");
    assert_eq!(resolve("crate", "admin::routes"), "crate::admin::routes");
    assert_eq!(resolve("crate", "api_routes"), "crate::api_routes");
    assert_eq!(resolve("crate::board", "api::routes"), "crate::board::api::routes");
    assert_eq!(resolve("crate::board::api", "super::routes"), "crate::board::routes");
    assert_eq!(resolve("crate::board", "crate::live::routes"), "crate::live::routes");
    let src = Path::new("/x/src");
    assert_eq!(module_of(src, Path::new("/x/src/lib.rs")), "crate");
    assert_eq!(module_of(src, Path::new("/x/src/board/api.rs")), "crate::board::api");
}

// ---- the OpenAPI description against the table ----

fn description() -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json"))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

const HTTP_METHODS: [&str; 8] =
    ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// `(METHOD, full path)` of every operation described.
fn described(d: &Value) -> BTreeSet<(String, String)> {
    let base = d["servers"][0]["url"].as_str().unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in d["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if HTTP_METHODS.contains(&method.as_str()) {
                out.insert((method.to_uppercase(), format!("{base}{path}")));
            }
        }
    }
    out
}

/// Every `$ref` in `v`, which must point into the description itself.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn the_openapi_description_is_well_formed() {
    let d = description();
    assert!(d["openapi"].as_str().unwrap().starts_with("3.1."), "{}", d["openapi"]);
    for field in ["title", "version", "description"] {
        assert!(d["info"][field].is_string(), "info.{field}");
    }
    assert_eq!(d["servers"][0]["url"], "/api/v1");
    assert_eq!(d["components"]["securitySchemes"]["bearer"]["type"], "http");
    assert_eq!(d["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(d["components"]["schemas"]["Error"]["properties"]["error"].is_object());
    let mut found = Vec::new();
    refs(&d, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r} points outside"));
        assert!(d.pointer(pointer).is_some(), "{r} points at nothing");
    }
    let mut ids = BTreeSet::new();
    for (path, item) in d["paths"].as_object().unwrap() {
        let params: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (method, op) in item.as_object().unwrap() {
            if !HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            let what = format!("{method} {path}");
            assert!(ids.insert(op["operationId"].as_str().unwrap()), "{what}: operationId twice");
            assert!(op["summary"].is_string(), "{what}: no summary");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{what}: no success");
            // Every path parameter is declared, in the operation or on the path.
            let declared: Vec<Value> = [&item["parameters"], &op["parameters"]]
                .into_iter()
                .filter_map(Value::as_array)
                .flatten()
                .map(|p| match p["$ref"].as_str() {
                    Some(r) => d.pointer(r.strip_prefix('#').unwrap()).unwrap().clone(),
                    None => p.clone(),
                })
                .collect();
            for name in &params {
                assert!(
                    declared.iter().any(|p| p["in"] == "path" && p["name"] == *name),
                    "{what}: path parameter {name} undeclared"
                );
            }
            // What the route refuses is described with the error schema.
            let open = op["security"].as_array().is_some_and(Vec::is_empty);
            if !open {
                assert!(responses.contains_key("401"), "{what}: no 401");
            }
            if method == "post" {
                assert!(
                    op["requestBody"].is_object() || path.ends_with("/revoke"),
                    "{what}: no body"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_openapi_description_matches_the_api_routes() {
    let d = description();
    let described = described(&d);
    let api: BTreeSet<(String, String)> =
        table_routes().into_iter().filter(|(_, p)| p.starts_with("/api/v1/")).collect();
    let undescribed: Vec<_> = api.difference(&described).collect();
    assert!(undescribed.is_empty(), "API routes the description leaves out: {undescribed:?}");
    let unreal: Vec<_> = described.difference(&api).collect();
    assert!(unreal.is_empty(), "described operations the API does not have: {unreal:?}");

    // Served as it is checked in.
    let f = fixture().await;
    let row = TABLE.iter().find(|r| r.pattern() == "/api/v1/openapi.json").unwrap();
    let served = f.request(row, Client::Anonymous, "GET").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<Value>(&served.body).unwrap(), d);
    let missing = Row { target: "/api/v1/no/such/route", ..*row };
    let fallback = f.request(&missing, Client::Admin, "GET").await;
    assert_eq!(fallback.status, StatusCode::NOT_FOUND);

    // Every described operation is a route, answers every client with a status it
    // describes and a body of the schema it gives for that status; a method it does not
    // describe is refused as such, not answered by the fallback of paths that do not exist.
    let base = d["servers"][0]["url"].as_str().unwrap();
    for (method, path) in &described {
        let f = fixture().await;
        let row = TABLE.iter().find(|r| r.method == method && r.pattern() == path).unwrap();
        let op = &d["paths"][path.strip_prefix(base).unwrap()][method.to_lowercase()];
        if let Payload::Json(body) = row.payload {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let body: Value = serde_json::from_str(body).unwrap();
            conforms(&d, schema, &body, "body")
                .unwrap_or_else(|e| panic!("{method} {path}: the table's body: {e}"));
        }
        for client in CLIENTS {
            let a = f.request(row, client, method).await;
            let what = format!("{client:?} {method} {path}");
            assert!(
                !(a.status == fallback.status && a.body == fallback.body),
                "{what} reaches the API's fallback"
            );
            let described = resolved(&d, &op["responses"][a.status.as_str()])
                .unwrap_or_else(|| panic!("{what}: {} is not described", a.status));
            let schema = &described["content"]["application/json"]["schema"];
            let body: Value = serde_json::from_str(&a.body).unwrap();
            conforms(&d, schema, &body, "")
                .unwrap_or_else(|e| panic!("{what} ({}): {e}\n{}", a.status, a.body));
        }
        let other = if method == "DELETE" { "PUT" } else { "DELETE" };
        let a = f.request(row, Client::Admin, other).await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{other} {path}: {}", a.body);
    }

    // The correction report, once a response is tracked.
    let f = fixture().await;
    let respond = TABLE
        .iter()
        .find(|r| r.method == "POST" && r.is_api() && r.pattern().ends_with("/responses"))
        .unwrap();
    assert_eq!(f.request(respond, Client::Officer, "POST").await.status, StatusCode::CREATED);
    // Tracking is started by the corrections job.
    assert!(f.store.start_corrections(f.alert, Utc::now()).await.unwrap().is_some());
    let row = TABLE.iter().find(|r| r.pattern().ends_with("/corrections")).unwrap();
    let a = f.request(row, Client::Viewer, "GET").await;
    let body: Value = serde_json::from_str(&a.body).unwrap();
    assert!(body["corrections"].is_object(), "{body}");
    let op = &d["paths"]["/alerts/{id}/corrections"]["get"];
    let schema = &op["responses"]["200"]["content"]["application/json"]["schema"];
    conforms(&d, schema, &body, "").unwrap_or_else(|e| panic!("corrections: {e}\n{body}"));
}

/// `v`, or what its `$ref` points at.
fn resolved<'a>(d: &'a Value, v: &'a Value) -> Option<&'a Value> {
    match v["$ref"].as_str() {
        Some(r) => d.pointer(r.strip_prefix('#')?),
        None => (!v.is_null()).then_some(v),
    }
}

/// Whether `v` is of `schema`, for the parts of JSON Schema the description uses: `$ref`,
/// `allOf`, `oneOf`, `const`, `enum`, `type`, `properties`, `required`,
/// `additionalProperties` and `items` (formats and bounds are not checked).
fn conforms(d: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let schema = resolved(d, schema).ok_or_else(|| format!("{at}: no schema"))?;
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            conforms(d, s, v, at)?;
        }
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let fits = one.iter().filter(|s| conforms(d, s, v, at).is_ok()).count();
        if fits != 1 {
            return Err(format!("{at}: {v} fits {fits} of the oneOf schemas, not one"));
        }
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        return Err(format!("{at}: {v} is not {c}"));
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(v)
    {
        return Err(format!("{at}: {v} is not one of {values:?}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let type_of = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits_type = types.iter().any(|t| *t == type_of || (*t == "number" && type_of == "integer"));
    if !types.is_empty() && !fits_type {
        return Err(format!("{at}: {type_of} where the description says {types:?}"));
    }
    if let Value::Object(fields) = v {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !fields.contains_key(name) {
                return Err(format!("{at}: no field {name}"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, value) in fields {
            let here = format!("{at}.{name}");
            match (properties.and_then(|p| p.get(name)), &schema["additionalProperties"]) {
                (Some(s), _) => conforms(d, s, value, &here)?,
                (None, Value::Bool(false)) => return Err(format!("{here}: not described")),
                (None, extra @ Value::Object(_)) => conforms(d, extra, value, &here)?,
                (None, _) => {}
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (v, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            conforms(d, s, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}
