//! "Đây là tin đồn": an officer turns a stored document into a claim of the library from
//! its page; the form comes prefilled from the text, the claim is written to the office's
//! claim file and the running rules are reloaded at once, so the next text repeating it is
//! a hit. Problems come back on the form in Vietnamese and nothing is written; viewers are
//! refused.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use dashboard::{AppState, DashboardConfig, auth, router};
use model::{Metrics, NewDocument, Role, SourceKind, SourceTier};
use rules::{ClaimLibrary, RuleSet};
use search::SearchIndex;
use store::{NewSource, Processed, Store};

#[path = "support/http.rs"]
mod http;
use http::{cookie_value, get, send};

const PASSWORD: &str = "mat-khau-1";

const PACK: &str = r#"
[pack]
title = "Thử"

[[rules]]
id = "topic.sot-xuat-huyet"
kind = "topic"
title = "Sốt xuất huyết"
severity = "low"
query = '"sốt xuất huyết"'
match = ["Dịch sốt xuất huyết tăng"]
"#;

const POST_TITLE: &str = "CẢNH BÁO: nước lá đu đủ chữa khỏi sốt xuất huyết <b>100%</b>";

/// Packs and claims of `dir`, as `serve` loads them.
fn load(dir: &Path) -> RuleSet {
    let (packs, diags) = RuleSet::load_dir(dir);
    assert!(diags.is_empty(), "{diags:?}");
    let (library, diags) = ClaimLibrary::load_dir(dir);
    assert!(diags.is_empty(), "{diags:?}");
    packs.with_rules(library.rules()).with_claims(Arc::new(library.index()))
}

struct Fixture {
    _dir: tempfile::TempDir,
    rules_dir: PathBuf,
    app: axum::Router,
    running: Arc<RwLock<Arc<RuleSet>>>,
    document: i64,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let now = Utc::now();
    let src = NewSource {
        name: "Hội mẹ bỉm".into(),
        url: "http://127.0.0.1:1/rss.xml".into(),
        kind: SourceKind::Feed,
        tier: SourceTier::Social,
        allow_private: true,
        ..NewSource::default()
    };
    let source_id = store.upsert_source(&src, now).await.unwrap().id;
    let doc = NewDocument {
        source_id,
        url: "https://facebook.example/posts/1".into(),
        title: POST_TITLE.into(),
        summary: String::new(),
        body:
            "Mọi người ơi, bé nhà mình bị sốt xuất huyết, uống nước lá đu đủ giã nát hai ngày là \
               tiểu cầu tăng vọt, không cần vào viện. Chia sẻ ngay cho các mẹ!"
                .into(),
        author: None,
        published_at: Some(now),
        fetched_at: now,
        language: "vi".into(),
        content_hash: "h1".into(),
        post: None,
    };
    let document =
        store.insert_batch(&[Processed::new(doc, Vec::new())]).await.unwrap().inserted[0].id;
    for (name, role) in [("lan", Role::Officer), ("xem", Role::Viewer)] {
        let hash = auth::hash_password(PASSWORD).unwrap();
        store.create_user(name, &hash, role, now).await.unwrap();
    }
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("co-ban.toml"), PACK).unwrap();
    let running = Arc::new(RwLock::new(Arc::new(load(&rules_dir))));
    let state =
        AppState::new(store, index, Arc::new(Metrics::default()), DashboardConfig::default())
            .with_rules(rules_dir.clone(), {
                let running = running.clone();
                move || running.read().unwrap().clone()
            })
            .with_rule_reload({
                let (running, dir) = (running.clone(), rules_dir.clone());
                move || {
                    let set = load(&dir);
                    let n = set.len();
                    *running.write().unwrap() = Arc::new(set);
                    Ok(n)
                }
            });
    let peer = std::net::SocketAddr::from(([192, 0, 2, 1], 40000));
    let app = router(state).layer(MockConnectInfo(peer));
    Fixture { _dir: dir, rules_dir, app, running, document }
}

fn encode(fields: &[(&str, &str)]) -> String {
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

struct Session {
    cookie: String,
    csrf: String,
}

async fn login(app: &axum::Router, name: &str) -> Session {
    let (_, headers, _) = send(app, get("/login", None)).await;
    let csrf = cookie_value(&headers, "ln_login_csrf");
    let body = encode(&[("csrf", &csrf), ("next", "/"), ("name", name), ("password", PASSWORD)]);
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("ln_login_csrf={csrf}"))
        .body(Body::from(body))
        .unwrap();
    let (status, headers, _) = send(app, req).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{name} could not log in");
    let cookie = format!("ln_session={}", cookie_value(&headers, "ln_session"));
    let (_, _, body) = send(app, get("/", Some(&cookie))).await;
    Session { csrf: hidden(&body, "csrf"), cookie }
}

async fn post(app: &axum::Router, s: &Session, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let mut all = fields.to_vec();
    all.push(("csrf", &s.csrf));
    let req = Request::post("/claims/new")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &s.cookie)
        .body(Body::from(encode(&all)))
        .unwrap();
    let (status, _, body) = send(app, req).await;
    (status, body)
}

const CLAIM_ID: &str = "claim.office.la-du-du-chua-sxh";

fn claim_form(document: &str) -> Vec<(&'static str, String)> {
    vec![
        ("document", document.to_owned()),
        ("id", CLAIM_ID.to_owned()),
        ("title", "Uống nước lá đu đủ chữa khỏi sốt xuất huyết".to_owned()),
        ("query", "\"lá đu đủ\" NEAR/20 (\"sốt xuất huyết\" OR sxh OR \"tiểu cầu\")".to_owned()),
        (
            "phrasings",
            "uống nước lá đu đủ giã nát hai ngày là tiểu cầu tăng vọt, không cần vào viện\n\
             nước lá đu đủ chữa khỏi sốt xuất huyết"
                .to_owned(),
        ),
        ("severity", "high".to_owned()),
        ("tags", "sốt xuất huyết, bài thuốc dân gian".to_owned()),
        ("source_publisher", "Hội mẹ bỉm".to_owned()),
        ("source_title", "Bài đăng về lá đu đủ".to_owned()),
        ("source_url", "https://facebook.example/posts/1".to_owned()),
        ("source_date", "2026-12-01".to_owned()),
    ]
}

#[tokio::test]
async fn an_officer_adds_a_claim_from_a_document_and_it_is_matched_at_once() {
    let f = fixture().await;
    let lan = login(&f.app, "lan").await;

    // The document's page offers it; the form comes prefilled and escaped.
    let (status, _, page) =
        send(&f.app, get(&format!("/documents/{}", f.document), Some(&lan.cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/claims/new?document={}", f.document)), "no link");
    let (status, _, form) =
        send(&f.app, get(&format!("/claims/new?document={}", f.document), Some(&lan.cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("100%") && !form.contains("<b>100%"), "escaped");
    let suggested_id = hidden(&form, "id");
    assert!(suggested_id.starts_with("claim.office.canh-bao-nuoc-la-du-du"), "{suggested_id}");
    assert!(form.contains("Hội mẹ bỉm") && form.contains("https://facebook.example/posts/1"));
    let query = hidden(&form, "query");
    assert!(!query.is_empty() && !query.contains("cảnh báo"), "{query}");

    // The claim is written and in use at once.
    let text = "Các mẹ ơi, uống nước lá đu đủ giã nát hai ngày là tiểu cầu tăng vọt nhé";
    let doc = rules::Analyzed::new("", text);
    assert!(f.running.read().unwrap().match_analyzed(&doc).is_empty());
    let document = f.document.to_string();
    let fields = claim_form(&document);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = post(&f.app, &lan, &fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Đã thêm tin đồn") && body.contains(CLAIM_ID), "{body}");
    assert!(body.contains("Bộ quy tắc đã được nạp lại"), "{body}");
    let file = std::fs::read_to_string(f.rules_dir.join("claims/office.toml")).unwrap();
    assert!(file.contains(CLAIM_ID) && file.contains("https://facebook.example/posts/1"));
    let running = f.running.read().unwrap().clone();
    let hits = running.match_analyzed(&doc);
    assert!(hits.iter().any(|h| &*h.rule_id == CLAIM_ID), "{hits:?}");
    assert!(running.claims().is_some_and(|c| c.len() == 1), "the similarity index came along");

    // The same id again: refused in Vietnamese, the file unchanged.
    let (status, body) = post(&f.app, &lan, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("đã có trong thư viện"), "{body}");
    assert_eq!(std::fs::read_to_string(f.rules_dir.join("claims/office.toml")).unwrap(), file);

    // Key terms that miss a phrasing: refused, nothing written.
    let mut bad = fields.clone();
    for (k, v) in &mut bad {
        match *k {
            "id" => *v = "claim.office.khac",
            "query" => *v = "\"nấm lim xanh\"",
            _ => {}
        }
    }
    let (status, body) = post(&f.app, &lan, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Từ khóa chính không khớp"), "{body}");
    assert!(!body.contains("example should"), "no raw English: {body}");
    assert!(
        !std::fs::read_to_string(f.rules_dir.join("claims/office.toml"))
            .unwrap()
            .contains("claim.office.khac")
    );
}

#[tokio::test]
async fn viewers_may_not_add_claims() {
    let f = fixture().await;
    let xem = login(&f.app, "xem").await;
    let (status, _, page) =
        send(&f.app, get(&format!("/documents/{}", f.document), Some(&xem.cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("/claims/new"), "no link for a viewer");
    let (status, _, _) =
        send(&f.app, get(&format!("/claims/new?document={}", f.document), Some(&xem.cookie))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let document = f.document.to_string();
    let fields = claim_form(&document);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) = post(&f.app, &xem, &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!f.rules_dir.join("claims/office.toml").exists());
}
