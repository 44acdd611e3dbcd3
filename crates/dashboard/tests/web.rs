//! The dashboard router, driven without a socket: login, sessions, CSRF, escaping of scraped
//! text, and bearer-token API access.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use dashboard::{AppState, DashboardConfig, auth, router};
use model::{
    Hit, MatchedTerm, Metrics, NewDocument, Role, RuleKind, Severity, SourceKind, SourceTier,
};
use search::{IndexDoc, SearchIndex};
use store::{NewSource, Processed, Store};

#[path = "support/http.rs"]
mod http;
use http::{cookie_value, get, send};

struct Fixture {
    _dir: tempfile::TempDir,
    app: axum::Router,
    store: Store,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let now = Utc::now();
    let src = NewSource {
        name: "Góc <b>Chia Sẻ</b>".into(),
        url: "http://127.0.0.1:1/rss.xml".into(),
        kind: SourceKind::Feed,
        tier: SourceTier::Social,
        interval_secs: 600,
        allow_private: true,
        ..NewSource::default()
    };
    let sid = store.upsert_source(&src, now).await.unwrap().id;
    let title = "Tin đồn <script>alert(1)</script> về thần dược".to_owned();
    let start = title.find("thần dược").unwrap();
    let doc = NewDocument {
        source_id: sid,
        url: "javascript:alert(2)".into(),
        title: title.clone(),
        summary: String::new(),
        body: "Thần dược chữa khỏi ung thư <img src=x onerror=alert(3)>".into(),
        author: None,
        published_at: Some(now),
        fetched_at: now,
        language: "vi".into(),
        content_hash: "h".into(),
        post: None,
    };
    let hit = Hit {
        rule_id: "rumor.than-duoc".into(),
        rule_title: "Thần dược".into(),
        kind: RuleKind::Rumor,
        severity: Severity::High,
        terms: vec![MatchedTerm {
            field: "title",
            start,
            end: start + "thần dược".len(),
            term: "thần dược".into(),
        }],
    };
    let ins = store.insert_batch(&[Processed::new(doc.clone(), vec![hit])]).await.unwrap().inserted;
    index
        .add(&[IndexDoc {
            id: ins[0].id,
            title,
            body: doc.full_text(),
            source: src.name.clone(),
            language: "vi".into(),
            url: doc.url.clone(),
            time: now,
            source_id: sid,
            ..IndexDoc::default()
        }])
        .unwrap();
    index.commit(ins[0].id).unwrap();
    store
        .create_user("lan", &auth::hash_password("mat-khau-1").unwrap(), Role::Officer, now)
        .await
        .unwrap();
    let state = AppState::new(
        store.clone(),
        index,
        Arc::new(Metrics::default()),
        DashboardConfig::default(),
    );
    // Requests come from one client address, as a socket would give it.
    let peer = std::net::SocketAddr::from(([192, 0, 2, 1], 40000));
    let app = router(state).layer(axum::extract::connect_info::MockConnectInfo(peer));
    Fixture { _dir: dir, app, store }
}

fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).unwrap() + marker.len();
    body[start..start + body[start..].find('"').unwrap()].to_owned()
}

async fn login(app: &axum::Router, password: &str) -> (StatusCode, String) {
    let (_, headers, body) = send(app, get("/login?next=/search", None)).await;
    let csrf_cookie = cookie_value(&headers, "ln_login_csrf");
    let csrf = hidden(&body, "csrf");
    assert_eq!(csrf, csrf_cookie);
    let form = format!("csrf={csrf}&next=%2Fsearch&name=lan&password={password}");
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("ln_login_csrf={csrf_cookie}"))
        .body(Body::from(form))
        .unwrap();
    let (status, headers, _) = send(app, req).await;
    (status, cookie_value(&headers, "ln_session"))
}

#[tokio::test]
async fn pages_need_a_login_and_escape_scraped_text() {
    let f = fixture().await;
    let (status, headers, _) = send(&f.app, get("/", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/login?next=/");

    let (status, session) = login(&f.app, "wrong").await;
    assert_eq!((status, session.as_str()), (StatusCode::UNAUTHORIZED, ""));
    let (status, session) = login(&f.app, "mat-khau-1").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(session.len(), 43);
    let cookie = format!("ln_session={session}");

    let (status, headers, body) = send(&f.app, get("/", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("default-src 'none'")
    );
    assert!(body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{body}");
    assert!(
        !body.contains("<script>") && !body.contains("<img") && !body.contains("<b>Chia"),
        "unescaped scraped text: {body}"
    );
    assert!(body.contains("<mark>thần dược</mark>"), "{body}");
    assert!(body.contains("Tin đồn"));

    let (_, _, body) = send(&f.app, get("/documents/1", Some(&cookie))).await;
    assert!(!body.contains("href=\"javascript:"), "a javascript: URL became a link: {body}");
    assert!(body.contains("&#60;img src=x onerror=alert(3)&#62;"), "{body}");

    let (status, _, body) = send(&f.app, get("/search?q=than+duoc", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("1 kết quả") && body.contains("<mark>thần dược</mark>"), "{body}");
    let (status, _, body) = send(&f.app, get("/search?q=%28than", Some(&cookie))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Câu truy vấn chưa đúng"), "{body}");

    // Logout needs the session's CSRF token.
    let req = Request::post("/logout")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &cookie)
        .body(Body::from("csrf=forged"))
        .unwrap();
    assert_eq!(send(&f.app, req).await.0, StatusCode::FORBIDDEN);
    let log = f.store.audit_log(10).await.unwrap();
    assert!(log.iter().any(|e| e.2 == "login_failed") && log.iter().any(|e| e.2 == "login"));
}

#[tokio::test]
async fn login_is_throttled_and_needs_the_csrf_cookie() {
    let f = fixture().await;
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("csrf=x&name=lan&password=mat-khau-1"))
        .unwrap();
    assert_eq!(send(&f.app, req).await.0, StatusCode::FORBIDDEN);
    for _ in 0..DashboardConfig::default().login_attempts {
        assert_eq!(login(&f.app, "wrong").await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login(&f.app, "mat-khau-1").await.0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn api_needs_a_bearer_token() {
    let f = fixture().await;
    let (status, headers, body) = send(&f.app, get("/api/v1/alerts", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    assert!(body.contains("missing bearer token"));
    let bad = Request::get("/api/v1/search?q=x")
        .header(header::AUTHORIZATION, "Bearer nope")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&f.app, bad).await.0, StatusCode::UNAUTHORIZED);

    let token = auth::new_token();
    let user = f.store.user_by_name("lan").await.unwrap().unwrap().0;
    let expires = Utc::now() + chrono::Duration::days(1);
    let hash = auth::token_hash(&token);
    f.store.create_api_token(user.id, "test", &hash, Utc::now(), expires).await.unwrap();
    let req = Request::get("/api/v1/alerts")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&f.app, req).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["alerts"][0]["rule"], "rumor.than-duoc");
    assert_eq!(json["alerts"][0]["matched"][0]["term"], "thần dược");
    let req = Request::get("/api/v1/search?q=sot+OR+%22than+duoc%22")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&f.app, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["total"], 1);
    assert_eq!(json["hits"][0]["highlights"][0], "thần dược");

    let (status, _, body) = send(&f.app, get("/metrics", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("langnghe_documents 1") && body.contains("langnghe_alerts_open 1"),
        "{body}"
    );
    assert_eq!(send(&f.app, get("/healthz", None)).await.2, "ok");
}
