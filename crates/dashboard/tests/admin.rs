//! The admin pages and their API, driven without a socket: only admins get in, every form
//! needs the session's CSRF token, users are added, changed, disabled and enabled, tokens
//! created and revoked, sources turned off and on, rule packs checked and tried, and all
//! of it is in the audit log.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use dashboard::{AppState, DashboardConfig, auth, router};
use model::{Metrics, NewDocument, Role, SourceKind, SourceTier};
use search::{IndexDoc, SearchIndex};
use store::{NewSource, Processed, Store};

#[path = "support/http.rs"]
mod http;
use http::{cookie_value, get, send};

const ADMIN_PASSWORD: &str = "quan-tri-1";
const PASSWORD: &str = "mat-khau-1";

const PACK: &str = r#"
[pack]
title = "Thử"

[[rules]]
id = "rumor.than-duoc"
kind = "rumor"
title = "Thần dược"
severity = "high"
query = '"thần dược"'
match = ["Thần dược chữa khỏi ung thư"]
no_match = ["Thuốc được cấp phép"]

[[rules]]
id = "topic.ung-thu"
kind = "topic"
title = "Ung thư"
severity = "low"
query = '"ung thư"'
match = ["Điều trị ung thư"]
"#;

struct Fixture {
    _dir: tempfile::TempDir,
    rules_dir: PathBuf,
    app: axum::Router,
    store: Store,
    source_id: i64,
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
        allow_private: true,
        ..NewSource::default()
    };
    let source_id = store.upsert_source(&src, now).await.unwrap().id;
    store
        .record_fetch_failure(source_id, "kết nối bị từ chối <script>x</script>", now, now)
        .await
        .unwrap();
    let doc = NewDocument {
        source_id,
        url: "http://127.0.0.1:1/bai-1".into(),
        title: "Thần dược chữa khỏi ung thư".into(),
        summary: String::new(),
        body: "Quảng cáo thần dược trên mạng xã hội.".into(),
        author: None,
        published_at: Some(now),
        fetched_at: now,
        language: "vi".into(),
        content_hash: "h1".into(),
        post: None,
    };
    let ins =
        store.insert_batch(&[Processed::new(doc.clone(), Vec::new())]).await.unwrap().inserted;
    index
        .add(&[IndexDoc {
            id: ins[0].id,
            title: doc.title.clone(),
            body: doc.full_text(),
            source: src.name.clone(),
            language: "vi".into(),
            url: doc.url.clone(),
            time: now,
            ..IndexDoc::default()
        }])
        .unwrap();
    index.commit(ins[0].id).unwrap();
    for (name, password, role) in [
        ("quan", ADMIN_PASSWORD, Role::Admin),
        ("lan", PASSWORD, Role::Officer),
        ("xem", PASSWORD, Role::Viewer),
    ] {
        let hash = auth::hash_password(password).unwrap();
        store.create_user(name, &hash, role, now).await.unwrap();
    }
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("co-ban.toml"), PACK).unwrap();
    let (set, diags) = rules::RuleSet::load_dir(&rules_dir);
    assert!(diags.is_empty(), "{diags:?}");
    let set = Arc::new(set);
    let state = AppState::new(
        store.clone(),
        index,
        Arc::new(Metrics::default()),
        DashboardConfig::default(),
    )
    .with_rules(rules_dir.clone(), move || set.clone());
    let peer = std::net::SocketAddr::from(([192, 0, 2, 1], 40000));
    let app = router(state).layer(MockConnectInfo(peer));
    Fixture { _dir: dir, rules_dir, app, store, source_id }
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

fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).unwrap() + marker.len();
    body[start..start + body[start..].find('"').unwrap()].to_owned()
}

/// A logged-in browser: its session cookie and the session's CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

/// Logs in; the status of the login and, when it worked, the session.
async fn try_login(app: &axum::Router, name: &str, password: &str) -> (StatusCode, String) {
    let (_, headers, _) = send(app, get("/login", None)).await;
    let csrf = cookie_value(&headers, "ln_login_csrf");
    let body = form(&[("csrf", &csrf), ("next", "/"), ("name", name), ("password", password)]);
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("ln_login_csrf={csrf}"))
        .body(Body::from(body))
        .unwrap();
    let (status, headers, _) = send(app, req).await;
    (status, cookie_value(&headers, "ln_session"))
}

async fn login(app: &axum::Router, name: &str, password: &str) -> Session {
    let (status, session) = try_login(app, name, password).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{name} could not log in");
    let cookie = format!("ln_session={session}");
    let (status, _, body) = send(app, get("/", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    Session { csrf: hidden(&body, "csrf"), cookie }
}

/// A form POST from the session, with its CSRF token unless `fields` has one.
async fn post(
    app: &axum::Router,
    s: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    if !fields.iter().any(|(k, _)| *k == "csrf") {
        all.push(("csrf", &s.csrf));
    }
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &s.cookie)
        .body(Body::from(form(&all)))
        .unwrap();
    let (status, headers, body) = send(app, req).await;
    let location =
        headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, body)
}

async fn page(app: &axum::Router, s: &Session, path: &str) -> (StatusCode, String) {
    let (status, _, body) = send(app, get(path, Some(&s.cookie))).await;
    (status, body)
}

fn bearer(method: &str, path: &str, token: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

async fn api_token(store: &Store, name: &str) -> String {
    let user = store.user_by_name(name).await.unwrap().unwrap().0;
    let token = auth::new_token();
    let expires = Utc::now() + chrono::Duration::days(1);
    store
        .create_api_token(user.id, "thử", &auth::token_hash(&token), Utc::now(), expires)
        .await
        .unwrap();
    token
}

async fn user(store: &Store, name: &str) -> model::User {
    store.user_by_name(name).await.unwrap().unwrap().0
}

/// A form that is refused: where it goes, its fields, the status and what the page says.
type Refusal<'a> = (&'a str, &'a [(&'a str, &'a str)], StatusCode, &'a str);

/// Every admin page, and every admin form with fields that would work for an admin.
const PAGES: &[&str] =
    &["/admin", "/admin/users", "/admin/tokens", "/admin/sources", "/admin/rules", "/admin/audit"];

fn forms(source: i64, token: i64) -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    vec![
        ("/admin/users".into(), vec![("name", "moi"), ("role", "admin"), ("password", "12345678")]),
        ("/admin/users/role".into(), vec![("name", "xem"), ("role", "admin")]),
        ("/admin/users/disable".into(), vec![("name", "quan")]),
        ("/admin/users/enable".into(), vec![("name", "quan")]),
        ("/admin/users/password".into(), vec![("name", "quan"), ("password", "12345678")]),
        ("/admin/tokens".into(), vec![("user", "quan"), ("label", "x"), ("expires_days", "9")]),
        (format!("/admin/tokens/{token}/revoke"), vec![]),
        (format!("/admin/sources/{source}/disable"), vec![]),
        (format!("/admin/sources/{source}/enable"), vec![]),
        ("/admin/rules/check".into(), vec![]),
        ("/admin/rules/backtest".into(), vec![("q", "thần dược"), ("days", "7")]),
    ]
}

#[tokio::test]
async fn only_admins_get_in() {
    let f = fixture().await;
    let audit_before = f.store.audit_log(1000).await.unwrap().len();
    let token = api_token(&f.store, "quan").await;
    let token_id = f.store.all_api_tokens(1).await.unwrap()[0].0.id;
    for name in ["lan", "xem"] {
        let s = login(&f.app, name, PASSWORD).await;
        let (_, home) = page(&f.app, &s, "/").await;
        assert!(!home.contains("href=\"/admin\""), "{name} sees the admin link");
        for path in PAGES {
            let (status, body) = page(&f.app, &s, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{name} GET {path}");
            assert!(body.contains("không có quyền"), "{body}");
        }
        for (path, fields) in forms(f.source_id, token_id) {
            let (status, _, _) = post(&f.app, &s, &path, &fields).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{name} POST {path}");
        }
        // Their API tokens are refused too.
        let theirs = api_token(&f.store, name).await;
        for (method, path) in [
            ("GET", "/api/v1/admin/users".to_owned()),
            ("GET", "/api/v1/admin/tokens".to_owned()),
            ("GET", "/api/v1/admin/audit".to_owned()),
            ("POST", format!("/api/v1/admin/tokens/{token_id}/revoke")),
        ] {
            let (status, _, body) = send(&f.app, bearer(method, &path, &theirs)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{name} {method} {path}: {body}");
            assert!(body.starts_with("{\"error\""), "{body}");
        }
    }
    // Nobody logged in: to the login page, and back here after.
    for path in PAGES {
        let (status, headers, _) = send(&f.app, get(path, None)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "GET {path}");
        assert_eq!(headers[header::LOCATION], format!("/login?next={path}"));
    }
    for (path, fields) in forms(f.source_id, token_id) {
        let req = Request::post(path.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(&fields)))
            .unwrap();
        let (status, headers, _) = send(&f.app, req).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "POST {path}");
        assert!(headers[header::LOCATION].to_str().unwrap().starts_with("/login?next="));
    }
    let (status, _, body) = send(&f.app, get("/api/v1/admin/users", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // Nothing was done: the admin's token works, the source is on, nobody was added.
    assert_eq!(send(&f.app, bearer("GET", "/api/v1/admin/users", &token)).await.0, StatusCode::OK);
    assert!(f.store.source(f.source_id).await.unwrap().enabled);
    assert!(f.store.user_by_name("moi").await.unwrap().is_none());
    assert_eq!(user(&f.store, "xem").await.role, Role::Viewer);
    let audit: Vec<String> =
        f.store.audit_log(1000).await.unwrap().into_iter().map(|e| e.2).collect();
    assert!(audit.iter().all(|a| a == "login"), "{audit:?}");
    assert_eq!(audit.len(), audit_before + 2);

    // The admin sees the link and every page.
    let s = login(&f.app, "quan", ADMIN_PASSWORD).await;
    let (_, home) = page(&f.app, &s, "/").await;
    assert!(home.contains("<a href=\"/admin\">Quản trị</a>"), "{home}");
    for path in PAGES {
        let (status, body) = page(&f.app, &s, path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        assert!(body.contains("class=\"admin-nav\""), "{path}");
    }
}

#[tokio::test]
async fn forms_need_the_sessions_csrf_token() {
    let f = fixture().await;
    let s = login(&f.app, "quan", ADMIN_PASSWORD).await;
    let other = login(&f.app, "quan", ADMIN_PASSWORD).await;
    assert_ne!(s.csrf, other.csrf);
    let token_id = {
        api_token(&f.store, "lan").await;
        f.store.all_api_tokens(1).await.unwrap()[0].0.id
    };
    for (path, mut fields) in forms(f.source_id, token_id) {
        for csrf in ["", "forged", other.csrf.as_str()] {
            fields.retain(|(k, _)| *k != "csrf");
            fields.push(("csrf", csrf));
            let (status, _, body) = post(&f.app, &s, &path, &fields).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "POST {path} with {csrf:?}");
            assert!(body.contains("Phiên làm việc không hợp lệ"), "{body}");
        }
    }
    assert!(f.store.source(f.source_id).await.unwrap().enabled);
    assert!(f.store.user_by_name("moi").await.unwrap().is_none());
    assert!(f.store.api_token(token_id).await.unwrap().revoked_at.is_none());
    assert!(user(&f.store, "quan").await.is_enabled());
}

#[tokio::test]
async fn an_admin_manages_users() {
    let f = fixture().await;
    let s = login(&f.app, "quan", ADMIN_PASSWORD).await;
    let (status, body) = page(&f.app, &s, "/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    for label in ["Quản trị viên", "Cán bộ xử lý", "Người xem", "Đang hoạt động"]
    {
        assert!(body.contains(label), "{label}: {body}");
    }

    // Add a user; the page says so, and they can log in.
    let fields = [("name", "minh"), ("role", "officer"), ("password", "mat-khau-minh")];
    let (status, location, _) = post(&f.app, &s, "/admin/users", &fields).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/users?ok=created"));
    let (_, body) = page(&f.app, &s, &location).await;
    assert!(body.contains("Đã tạo tài khoản.") && body.contains("data-user=\"minh\""), "{body}");
    assert_eq!(user(&f.store, "minh").await.role, Role::Officer);
    let minh = login(&f.app, "minh", "mat-khau-minh").await;

    // Refusals are said on the page, in Vietnamese, and change nothing.
    let refusals: [Refusal<'_>; 7] = [
        ("/admin/users", &fields, StatusCode::CONFLICT, "đã có người dùng"),
        (
            "/admin/users",
            &[("name", "ngan"), ("role", "viewer"), ("password", "1234")],
            StatusCode::BAD_REQUEST,
            "ít nhất 8 ký tự",
        ),
        (
            "/admin/users",
            &[("name", "co dau cach"), ("role", "viewer"), ("password", "12345678")],
            StatusCode::BAD_REQUEST,
            "dấu cách",
        ),
        (
            "/admin/users",
            &[("name", "x"), ("role", "root"), ("password", "12345678")],
            StatusCode::BAD_REQUEST,
            "Vai trò không hợp lệ",
        ),
        ("/admin/users/disable", &[("name", "quan")], StatusCode::BAD_REQUEST, "tự khóa"),
        (
            "/admin/users/role",
            &[("name", "quan"), ("role", "viewer")],
            StatusCode::BAD_REQUEST,
            "tự bỏ quyền quản trị",
        ),
        ("/admin/users/enable", &[("name", "khong-co")], StatusCode::NOT_FOUND, "Không tìm thấy"),
    ];
    for (path, fields, expected, message) in refusals {
        let (status, _, body) = post(&f.app, &s, path, fields).await;
        assert_eq!(status, expected, "{path} {fields:?}: {body}");
        assert!(body.contains(message) && body.contains("class=\"error\""), "{message}: {body}");
    }
    assert!(f.store.user_by_name("ngan").await.unwrap().is_none());
    assert_eq!(user(&f.store, "quan").await.role, Role::Admin);

    // The same role again keeps the sessions; a role change ends them.
    let same = [("name", "quan"), ("role", "admin")];
    assert_eq!(post(&f.app, &s, "/admin/users/role", &same).await.0, StatusCode::SEE_OTHER);
    assert_eq!(page(&f.app, &s, "/admin/users").await.0, StatusCode::OK);
    let (status, location, _) =
        post(&f.app, &s, "/admin/users/role", &[("name", "minh"), ("role", "viewer")]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/users?ok=role"));
    assert_eq!(user(&f.store, "minh").await.role, Role::Viewer);
    assert_eq!(page(&f.app, &minh, "/").await.0, StatusCode::SEE_OTHER, "a session survived");

    // Disabled: sessions end, no login; enabled: login again.
    let lan = login(&f.app, "lan", PASSWORD).await;
    let (status, location, _) = post(&f.app, &s, "/admin/users/disable", &[("name", "lan")]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/users?ok=disabled"));
    assert_eq!(page(&f.app, &lan, "/").await.0, StatusCode::SEE_OTHER);
    assert_eq!(try_login(&f.app, "lan", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    let (_, body) = page(&f.app, &s, "/admin/users").await;
    assert!(body.contains("Đã khóa từ"), "{body}");
    let (status, _, _) = post(&f.app, &s, "/admin/users/enable", &[("name", "lan")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let lan = login(&f.app, "lan", PASSWORD).await;

    // A new password: the old one and the old sessions stop working.
    let reset = [("name", "lan"), ("password", "mat-khau-moi")];
    let (status, location, _) = post(&f.app, &s, "/admin/users/password", &reset).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/users?ok=password"));
    assert_eq!(page(&f.app, &lan, "/").await.0, StatusCode::SEE_OTHER);
    assert_eq!(try_login(&f.app, "lan", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    login(&f.app, "lan", "mat-khau-moi").await;
    let (status, _, body) =
        post(&f.app, &s, "/admin/users/password", &[("name", "lan"), ("password", "x")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("ít nhất 8 ký tự"));

    // The admin's own password: their session ends too, and they are sent to log in.
    let own = [("name", "quan"), ("password", "quan-tri-2")];
    let (status, location, _) = post(&f.app, &s, "/admin/users/password", &own).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/login?next=/admin/users"));
    assert_eq!(page(&f.app, &s, "/admin/users").await.0, StatusCode::SEE_OTHER);
    login(&f.app, "quan", "quan-tri-2").await;
}

#[tokio::test]
async fn an_admin_creates_and_revokes_tokens() {
    let f = fixture().await;
    let s = login(&f.app, "quan", ADMIN_PASSWORD).await;
    let fields = [("user", "lan"), ("label", "báo cáo <tuần>"), ("expires_days", "30")];
    let (status, _, body) = post(&f.app, &s, "/admin/tokens", &fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let marker = "<code class=\"token\">";
    let start = body.find(marker).unwrap() + marker.len();
    let token = &body[start..start + body[start..].find('<').unwrap()];
    assert_eq!(token.len(), 43, "{token}");
    assert!(body.contains("báo cáo &#60;tuần&#62;"), "the label is escaped: {body}");
    let (status, _, _) = send(&f.app, bearer("GET", "/api/v1/alerts", token)).await;
    assert_eq!(status, StatusCode::OK);

    // Listed with its owner; the token itself is never shown again.
    let (_, body) = page(&f.app, &s, "/admin/tokens").await;
    assert!(body.contains("Đang dùng được") && !body.contains(token), "{body}");
    let (listed, owner) = f.store.all_api_tokens(1).await.unwrap().remove(0);
    assert_eq!((owner.name.as_str(), listed.name.as_str()), ("lan", "báo cáo <tuần>"));
    assert!(listed.last_used_at.is_some());
    let days = (listed.expires_at - listed.created_at).num_days();
    assert_eq!(days, 30);

    // Revoked: refused from now on.
    let path = format!("/admin/tokens/{}/revoke", listed.id);
    let (status, location, _) = post(&f.app, &s, &path, &[]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/tokens?ok=revoked"));
    let (status, _, body) = send(&f.app, bearer("GET", "/api/v1/alerts", token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (_, body) = page(&f.app, &s, &location).await;
    assert!(body.contains("Đã thu hồi lúc") && body.contains("Đã thu hồi mã API."), "{body}");

    // Refusals.
    for (fields, expected, message) in [
        (vec![("user", "khong-co")], StatusCode::NOT_FOUND, "Không tìm thấy tài khoản"),
        (vec![("user", "lan"), ("expires_days", "731")], StatusCode::BAD_REQUEST, "từ 1 đến 730"),
    ] {
        let (status, _, body) = post(&f.app, &s, "/admin/tokens", &fields).await;
        assert_eq!(status, expected, "{body}");
        assert!(body.contains(message), "{body}");
    }
    f.store.disable_user("xem", Utc::now()).await.unwrap();
    let (status, _, body) = post(&f.app, &s, "/admin/tokens", &[("user", "xem")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("đang bị khóa"), "{body}");
    for path in ["/admin/tokens/9999/revoke", "/admin/tokens/abc/revoke"] {
        let (status, _, body) = post(&f.app, &s, path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("Không tìm thấy mã API"), "{body}");
    }
}

#[tokio::test]
async fn the_api_lists_users_tokens_and_the_log_and_revokes() {
    let f = fixture().await;
    let admin = api_token(&f.store, "quan").await;
    let lans = api_token(&f.store, "lan").await;
    let json = |body: &str| serde_json::from_str::<serde_json::Value>(body).unwrap();

    let (status, _, body) = send(&f.app, bearer("GET", "/api/v1/admin/users", &admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let users = json(&body);
    let names: Vec<&str> =
        users["users"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["lan", "quan", "xem"]);
    assert_eq!(users["users"][0]["role"], "officer");
    assert!(users["users"][0]["disabled_at"].is_null());

    let (status, _, body) = send(&f.app, bearer("GET", "/api/v1/admin/tokens", &admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tokens = json(&body);
    let lans_id = tokens["tokens"][0]["id"].as_i64().unwrap();
    assert_eq!(tokens["tokens"][0]["user"], "lan");
    assert_eq!(tokens["tokens"][0]["active"], true);
    assert!(!body.contains(&lans), "a token itself is never listed");

    let path = format!("/api/v1/admin/tokens/{lans_id}/revoke");
    let (status, _, body) = send(&f.app, bearer("POST", &path, &admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let revoked = json(&body);
    assert_eq!(
        (revoked["token"]["active"].as_bool(), revoked["token"]["user"].as_str()),
        (Some(false), Some("lan"))
    );
    let (status, _, _) = send(&f.app, bearer("GET", "/api/v1/alerts", &lans)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) =
        send(&f.app, bearer("POST", "/api/v1/admin/tokens/9999/revoke", &admin)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.starts_with("{\"error\""), "{body}");

    let path = "/api/v1/admin/audit?action=api_token_revoked&limit=10";
    let (status, _, body) = send(&f.app, bearer("GET", path, &admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let log = json(&body);
    assert_eq!(log["entries"][0]["user"], "quan");
    assert_eq!(log["entries"][0]["target"], "user:lan");
    assert_eq!(log["entries"][0]["detail"], format!("token={lans_id} via api"));
    for bad in ["limit=0", "limit=501", "offset=-1", "action=DROP%20TABLE"] {
        let (status, _, body) =
            send(&f.app, bearer("GET", &format!("/api/v1/admin/audit?{bad}"), &admin)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
}

#[tokio::test]
async fn an_admin_turns_sources_off_and_on() {
    let f = fixture().await;
    let s = login(&f.app, "quan", ADMIN_PASSWORD).await;
    let (status, body) = page(&f.app, &s, "/admin/sources").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Góc &#60;b&#62;Chia Sẻ&#60;/b&#62;"), "{body}");
    assert!(body.contains("kết nối bị từ chối &#60;script&#62;"), "{body}");
    assert!(!body.contains("<script>") && !body.contains("<b>Chia"), "{body}");
    assert!(body.contains("Lỗi 1 lần liên tiếp") && body.contains("Đang bật"), "{body}");

    let off = format!("/admin/sources/{}/disable", f.source_id);
    let (status, location, _) = post(&f.app, &s, &off, &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/sources?ok=source_disabled")
    );
    assert!(!f.store.source(f.source_id).await.unwrap().enabled);
    let (_, body) = page(&f.app, &s, &location).await;
    assert!(body.contains("Đã tắt") && body.contains("/enable\""), "{body}");

    let on = format!("/admin/sources/{}/enable", f.source_id);
    let (status, _, _) = post(&f.app, &s, &on, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(f.store.source(f.source_id).await.unwrap().enabled);

    for path in ["/admin/sources/9999/disable", "/admin/sources/x/enable"] {
        let (status, _, body) = post(&f.app, &s, path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("Không tìm thấy nguồn"), "{body}");
    }
}

#[tokio::test]
async fn rule_packs_are_listed_checked_and_tried() {
    let f = fixture().await;
    let s = login(&f.app, "quan", ADMIN_PASSWORD).await;
    let (status, body) = page(&f.app, &s, "/admin/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("2 quy tắc đang chạy trong 1 gói"), "{body}");
    assert!(body.contains("co-ban.toml") && body.contains("rumor.than-duoc"), "{body}");

    let (status, _, body) = post(&f.app, &s, "/admin/rules/check", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Không có vấn đề: 2 quy tắc, 3 ví dụ đều đúng."), "{body}");

    // A broken pack on disk: the check names it; the running rules are unchanged.
    let broken = "[[rules]]\nid = \"rumor.hong\"\nkind = \"rumor\"\ntitle = \"Hỏng <b>\"\n\
                  severity = \"high\"\nquery = '(thần dược'\nmatch = [\"thần dược\"]\n";
    std::fs::write(f.rules_dir.join("hong.toml"), broken).unwrap();
    let (status, _, body) = post(&f.app, &s, "/admin/rules/check", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("class=\"data check-problems\""), "{body}");
    assert!(body.contains("<td>hong.toml</td>"), "{body}");
    assert!(!body.contains(&f.rules_dir.display().to_string()), "server paths are not shown");
    assert!(body.contains("2 quy tắc đang chạy"), "{body}");

    // Trials: a loaded rule, a query, and what is refused.
    let (status, _, body) =
        post(&f.app, &s, "/admin/rules/backtest", &[("rule", "rumor.than-duoc"), ("days", "7")])
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("1 bài khớp trong 7 ngày qua"), "{body}");
    assert!(body.contains("<mark>Thần dược</mark>"), "{body}");
    assert!(body.contains("<meter min=\"0\" max=\"1\" value=\"1\">"), "{body}");
    let (status, _, body) =
        post(&f.app, &s, "/admin/rules/backtest", &[("q", "ung thư"), ("days", "")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("1 bài khớp trong 7 ngày qua"), "{body}");
    for (fields, expected, message) in [
        (vec![("q", "(thần")], StatusCode::BAD_REQUEST, "Câu truy vấn chưa đúng"),
        (vec![("rule", "khong.co")], StatusCode::NOT_FOUND, "Không có quy tắc"),
        (vec![("q", "")], StatusCode::BAD_REQUEST, "Hãy chọn một quy tắc"),
        (vec![("q", "x"), ("days", "91")], StatusCode::BAD_REQUEST, "Số ngày phải từ 1 đến 90"),
    ] {
        let (status, _, body) = post(&f.app, &s, "/admin/rules/backtest", &fields).await;
        assert_eq!(status, expected, "{fields:?}: {body}");
        assert!(body.contains(message), "{message}: {body}");
    }
}

#[tokio::test]
async fn the_audit_log_lists_what_admins_did() {
    let f = fixture().await;
    let s = login(&f.app, "quan", ADMIN_PASSWORD).await;
    post(&f.app, &s, "/admin/users/disable", &[("name", "lan")]).await;
    post(&f.app, &s, "/admin/users/enable", &[("name", "lan")]).await;
    post(&f.app, &s, &format!("/admin/sources/{}/disable", f.source_id), &[]).await;
    post(&f.app, &s, "/admin/rules/check", &[]).await;
    post(&f.app, &s, "/admin/rules/backtest", &[("q", "thần dược")]).await;

    let (status, body) = page(&f.app, &s, "/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Khóa tài khoản",
        "Mở khóa tài khoản",
        "Tắt nguồn",
        "Kiểm tra bộ quy tắc",
        "Chạy thử quy tắc",
        "user:lan",
        "source:1",
        "Đăng nhập",
    ] {
        assert!(body.contains(text), "{text}: {body}");
    }
    // Newest first.
    assert!(body.find("Chạy thử quy tắc").unwrap() < body.find("Khóa tài khoản").unwrap());

    let (_, body) = page(&f.app, &s, "/admin/audit?action=user_disabled").await;
    assert_eq!(body.matches("data-action=").count(), 1, "{body}");
    assert!(body.contains("data-action=\"user_disabled\""));
    let (_, body) = page(&f.app, &s, "/admin/audit?user=lan").await;
    assert_eq!(body.matches("data-action=").count(), 2, "{body}");
    for bad in ["action=%3Cb%3E", "page=0", "page=abc"] {
        let (status, body) = page(&f.app, &s, &format!("/admin/audit?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(body.contains("Bộ lọc không hợp lệ"), "{body}");
    }

    // Pages of fifty.
    let quan = user(&f.store, "quan").await;
    for i in 0..60 {
        f.store
            .audit(Some(quan.id), "rules_checked", "rules", &format!("n={i}"), Utc::now())
            .await
            .unwrap();
    }
    let (_, first) = page(&f.app, &s, "/admin/audit?action=rules_checked").await;
    assert_eq!(first.matches("data-action=").count(), 50);
    assert!(first.contains("href=\"/admin/audit?action=rules_checked&#38;page=2\""), "{first}");
    let (_, second) = page(&f.app, &s, "/admin/audit?action=rules_checked&page=2").await;
    assert_eq!(second.matches("data-action=").count(), 11);
    assert!(second.contains("Trang trước") && !second.contains("Trang sau"));
}
