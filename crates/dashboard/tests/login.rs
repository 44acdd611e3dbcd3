//! Logging in under attack, driven without a socket: throttling by client address (and
//! only through trusted proxies), accounts that strangers cannot lock, bounded fields,
//! aggregated audit entries, safe redirects, disabled users and revoked tokens, and
//! responses kept out of caches.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::Utc;
use dashboard::auth::{self, TrustedProxies};
use dashboard::{AppState, DashboardConfig, router};
use model::{Metrics, Role};
use search::SearchIndex;
use store::Store;

#[path = "support/http.rs"]
mod http;
use http::{cookie_value, get, send};

const PASSWORD: &str = "mat-khau-1";

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    store: Store,
}

impl Fixture {
    /// The application as seen by a client connecting from `addr`.
    fn from(&self, addr: &str) -> axum::Router {
        let peer = SocketAddr::new(addr.parse().unwrap(), 40000);
        router(self.state.clone()).layer(MockConnectInfo(peer))
    }
}

fn config() -> DashboardConfig {
    DashboardConfig {
        login_attempts: 4,
        login_delay_max: Duration::from_millis(40),
        trusted_proxies: TrustedProxies::parse(&["10.0.0.0/8"]).unwrap(),
        ..DashboardConfig::default()
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let hash = auth::hash_password(PASSWORD).unwrap();
    store.create_user("lan", &hash, Role::Officer, Utc::now()).await.unwrap();
    let state = AppState::new(store.clone(), index, Arc::new(Metrics::default()), config());
    Fixture { _dir: dir, state, store }
}

/// `application/x-www-form-urlencoded`, every byte but letters and digits escaped.
fn form(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    fields.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}

/// A login attempt the way a browser makes it: the form first, for its CSRF cookie.
struct Attempt<'a> {
    name: &'a str,
    password: &'a str,
    next: &'a str,
    forwarded_for: Option<&'a str>,
}

impl Default for Attempt<'_> {
    fn default() -> Self {
        Attempt { name: "lan", password: PASSWORD, next: "/", forwarded_for: None }
    }
}

async fn attempt(app: &axum::Router, a: Attempt<'_>) -> (StatusCode, HeaderMap) {
    let (_, headers, _) = send(app, get("/login", None)).await;
    let csrf = cookie_value(&headers, "ln_login_csrf");
    let body =
        form(&[("csrf", &csrf), ("next", a.next), ("name", a.name), ("password", a.password)]);
    let mut req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("ln_login_csrf={csrf}"));
    if let Some(xff) = a.forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    let (status, headers, _) = send(app, req.body(Body::from(body)).unwrap()).await;
    (status, headers)
}

async fn wrong(app: &axum::Router, forwarded_for: Option<&str>) -> StatusCode {
    attempt(app, Attempt { password: "sai", forwarded_for, ..Attempt::default() }).await.0
}

#[tokio::test]
async fn a_stranger_cannot_lock_an_account() {
    let f = fixture().await;
    // Many strangers, each up to its own limit, all on the same account.
    for i in 1..=4 {
        let stranger = f.from(&format!("203.0.113.{i}"));
        for _ in 0..4 {
            assert_eq!(wrong(&stranger, None).await, StatusCode::UNAUTHORIZED);
        }
        let (status, headers) = attempt(&stranger, Attempt::default()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the stranger is held back");
        let retry: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
    }
    // The owner, from their own address, still logs in (after a short delay at most).
    let started = std::time::Instant::now();
    let (status, headers) = attempt(&f.from("192.0.2.10"), Attempt::default()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(cookie_value(&headers, "ln_session").len(), 43);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    let f = fixture().await;
    // Straight from the Internet: a new X-Forwarded-For every time changes nothing.
    let direct = f.from("198.51.100.7");
    for i in 0..4 {
        assert_eq!(wrong(&direct, Some(&format!("9.9.9.{i}"))).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(wrong(&direct, Some("9.9.9.99")).await, StatusCode::TOO_MANY_REQUESTS);

    // Through the proxy: the right-most address the proxy did not add itself is the client.
    let proxy = f.from("10.0.0.2");
    for spoof in ["6.6.6.1", "6.6.6.2", "6.6.6.3", "6.6.6.4"] {
        let chain = format!("{spoof}, 1.1.1.1, 10.0.0.3");
        assert_eq!(wrong(&proxy, Some(&chain)).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(wrong(&proxy, Some("1.1.1.1")).await, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is not held back, and logs in.
    let (status, _) =
        attempt(&proxy, Attempt { forwarded_for: Some("2.2.2.2"), ..Attempt::default() }).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn oversized_fields_are_refused_and_never_kept() {
    let f = fixture().await;
    let app = f.from("192.0.2.20");
    // A body of megabytes is not read.
    let huge = "x".repeat(2 << 20);
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[("csrf", "x"), ("name", &huge)])))
        .unwrap();
    assert_eq!(send(&app, req).await.0, StatusCode::PAYLOAD_TOO_LARGE);

    // Fields over their limits fail like a wrong password, and are not echoed or stored.
    let long_name = "n".repeat(65);
    let (status, _) = attempt(&app, Attempt { name: &long_name, ..Attempt::default() }).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let long_password = "p".repeat(1025);
    let (status, _) =
        attempt(&app, Attempt { password: &long_password, ..Attempt::default() }).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let log = f.store.audit_log(50).await.unwrap();
    assert!(log.iter().all(|e| !e.3.contains("nnnn") && !e.4.contains("nnnn")), "{log:?}");
    assert!(log.iter().any(|e| e.3 == "user:(invalid name)"), "{log:?}");

    // A place to return to that is too long is dropped, the login still works.
    let long_next = format!("/search?q={}", "a".repeat(3000));
    let (status, headers) = attempt(&app, Attempt { next: &long_next, ..Attempt::default() }).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/");
}

#[tokio::test]
async fn failed_logins_are_audited_once_per_client_and_window() {
    let f = fixture().await;
    let a = f.from("192.0.2.30");
    for _ in 0..3 {
        assert_eq!(wrong(&a, None).await, StatusCode::UNAUTHORIZED);
    }
    wrong(&f.from("192.0.2.31"), None).await;
    // Throttled attempts are counted the same way.
    for _ in 0..3 {
        wrong(&a, None).await;
    }
    let log = f.store.audit_log(50).await.unwrap();
    let entries: Vec<(&str, &str, &str)> =
        log.iter().map(|e| (e.2.as_str(), e.3.as_str(), e.4.as_str())).collect();
    assert_eq!(
        entries,
        [
            ("login_throttled", "login", "client=192.0.2.30 count=2"),
            ("login_failed", "user:lan", "client=192.0.2.31 count=1"),
            ("login_failed", "user:lan", "client=192.0.2.30 count=4"),
        ]
    );
}

#[tokio::test]
async fn hostile_places_to_return_to_never_break_a_login() {
    let f = fixture().await;
    let app = f.from("192.0.2.40");
    for (next, location) in [
        ("/\t/evil.example/", "/"),
        ("/\r\nSet-Cookie: a=b", "/"),
        ("//evil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("/\u{0}", "/"),
        ("/search?q=sốt", "/search?q=s%E1%BB%91t"),
    ] {
        let (status, headers) = attempt(&app, Attempt { next, ..Attempt::default() }).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(headers[header::LOCATION], location, "{next:?}");
        assert_eq!(cookie_value(&headers, "ln_session").len(), 43);
    }
    // The form carries the cleaned value, escaped.
    let (_, _, body) = send(&app, get("/login?next=%2F%09%2Fevil.example", None)).await;
    assert!(body.contains("name=\"next\" value=\"/\""), "{body}");
}

#[tokio::test]
async fn disabled_users_and_dead_tokens_are_refused() {
    let f = fixture().await;
    let app = f.from("192.0.2.50");
    let (_, headers) = attempt(&app, Attempt::default()).await;
    let session = format!("ln_session={}", cookie_value(&headers, "ln_session"));
    assert_eq!(send(&app, get("/", Some(&session))).await.0, StatusCode::OK);

    let token = auth::new_token();
    let user = f.store.user_by_name("lan").await.unwrap().unwrap().0;
    let now = Utc::now();
    let expires = now + chrono::Duration::days(1);
    let hash = auth::token_hash(&token);
    let created = f.store.create_api_token(user.id, "t", &hash, now, expires).await.unwrap();
    let api = |token: &str| {
        Request::get("/api/v1/alerts")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&app, api(&token)).await.0, StatusCode::OK);

    f.store.disable_user("lan", Utc::now()).await.unwrap();
    let (status, headers, _) = send(&app, get("/", Some(&session))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the disabled user's session ended");
    assert!(headers[header::LOCATION].to_str().unwrap().starts_with("/login"));
    assert_eq!(send(&app, api(&token)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt(&app, Attempt::default()).await.0, StatusCode::UNAUTHORIZED);

    f.store.enable_user("lan").await.unwrap();
    assert_eq!(attempt(&app, Attempt::default()).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, api(&token)).await.0, StatusCode::OK);
    f.store.revoke_api_token(user.id, created.id, Utc::now()).await.unwrap();
    assert_eq!(send(&app, api(&token)).await.0, StatusCode::UNAUTHORIZED);

    let expired = auth::new_token();
    let past = Utc::now() - chrono::Duration::seconds(1);
    let hash = auth::token_hash(&expired);
    f.store.create_api_token(user.id, "old", &hash, past, past).await.unwrap();
    assert_eq!(send(&app, api(&expired)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn private_responses_are_not_cached() {
    let f = fixture().await;
    let app = f.from("192.0.2.60");
    let (_, headers) = attempt(&app, Attempt::default()).await;
    assert_eq!(headers[header::CACHE_CONTROL], "no-store", "the login answer");
    let session = format!("ln_session={}", cookie_value(&headers, "ln_session"));
    for path in ["/", "/search?q=x", "/documents/999", "/nowhere", "/login", "/api/v1/alerts"] {
        let (_, headers, _) = send(&app, get(path, Some(&session))).await;
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
    }
    let (_, headers, _) = send(&app, get("/api/v1/alerts", None)).await;
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    // The stylesheet is the same for everybody and keeps its own caching.
    let (_, headers, _) = send(&app, get("/static/style.css", Some(&session))).await;
    assert_eq!(headers[header::CACHE_CONTROL], "max-age=3600");
}
