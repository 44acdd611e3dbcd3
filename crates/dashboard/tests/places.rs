//! The document page names the province a document is about and highlights the places it
//! mentions, escaped like every scraped text.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use dashboard::{AppState, DashboardConfig, auth, router};
use model::{
    DocumentPlace, DocumentPlaces, Hit, MatchedTerm, Metrics, NewDocument, PlaceKind, Role,
    RuleKind, Severity,
};
use search::SearchIndex;
use store::{NewSource, Processed, Store};

#[path = "support/http.rs"]
// Shared with the other tests, which use the rest of it.
#[allow(dead_code)]
mod http;
use http::{get, send};

fn doc(source_id: i64, url: &str, title: &str, body: &str) -> NewDocument {
    let now = Utc::now();
    NewDocument {
        source_id,
        url: url.into(),
        title: title.into(),
        summary: String::new(),
        body: body.into(),
        author: None,
        published_at: Some(now),
        fetched_at: now,
        language: "vi".into(),
        content_hash: url.into(),
        post: None,
    }
}

fn place(
    code: &str,
    historic: Option<&str>,
    field: &'static str,
    text: &str,
    name: &str,
) -> DocumentPlace {
    let start = text.find(name).unwrap();
    DocumentPlace {
        code: code.into(),
        historic: historic.map(Into::into),
        kind: if historic.is_some() { PlaceKind::FormerProvince } else { PlaceKind::Province },
        field,
        start,
        end: start + name.len(),
    }
}

#[tokio::test]
async fn the_document_page_shows_its_province_and_highlights_its_places() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let now = Utc::now();
    let portal = NewSource {
        name: "Sở Y tế".into(),
        url: "https://soyte.example.vn/rss".into(),
        home_province: Some("79".into()),
        ..NewSource::default()
    };
    let sid = store.upsert_source(&portal, now).await.unwrap().id;

    let title = "Sở Y tế Bình Dương cảnh báo <b>sốt xuất huyết</b>";
    let body = "Bệnh nhân từ Gia Lai được chuyển về <script>alert(1)</script> điều trị.";
    let mut named = Processed::new(
        doc(sid, "https://soyte.example.vn/1", title, body),
        vec![Hit {
            rule_id: "topic.sxh".into(),
            rule_title: "Sốt xuất huyết".into(),
            kind: RuleKind::Topic,
            severity: Severity::Low,
            terms: vec![MatchedTerm {
                field: "title",
                start: title.find("sốt").unwrap(),
                end: title.find("</b>").unwrap(),
                term: "sốt xuất huyết".into(),
            }],
        }],
    );
    named.places = DocumentPlaces {
        province: Some("79".into()),
        places: vec![
            place("79", Some("74"), "title", title, "Bình Dương"),
            place("52", None, "body", body, "Gia Lai"),
        ],
    };
    let mut quiet = Processed::new(
        doc(sid, "https://soyte.example.vn/2", "Lịch tiêm chủng tháng này", "Không đổi."),
        vec![],
    );
    quiet.places = DocumentPlaces { province: Some("79".into()), places: vec![] };
    let national = Processed::new(doc(sid, "https://soyte.example.vn/3", "Tin chung", "."), vec![]);
    store.insert_batch(&[named, quiet, national]).await.unwrap();
    // An aggregator runs the first text again: a sighting, listed on the document's page.
    let aggregator = NewSource {
        name: "Trang tin tổng hợp".into(),
        url: "https://tonghop.example.vn/rss".into(),
        tier: model::SourceTier::Aggregator,
        ..NewSource::default()
    };
    let agg = store.upsert_source(&aggregator, now).await.unwrap().id;
    let mut copy = doc(agg, "https://tonghop.example.vn/bai-1", title, body);
    copy.content_hash = "https://soyte.example.vn/1".into();
    copy.published_at = Some(now + Duration::hours(2));
    let stored = store.insert_batch(&[Processed::new(copy, vec![])]).await.unwrap();
    assert_eq!(stored.copies.len(), 1);
    let ids = store
        .known_documents(&[
            "https://soyte.example.vn/1".to_owned(),
            "https://soyte.example.vn/2".to_owned(),
            "https://soyte.example.vn/3".to_owned(),
        ])
        .await
        .unwrap();

    let user = store.create_user("lan", "x", Role::Viewer, now).await.unwrap();
    let token = auth::new_token();
    store
        .create_session(&auth::token_hash(&token), user.id, "csrf", now, now + Duration::hours(1))
        .await
        .unwrap();
    let state =
        AppState::new(store, index, Arc::new(Metrics::default()), DashboardConfig::default());
    let peer = std::net::SocketAddr::from(([192, 0, 2, 1], 40000));
    let app = router(state).layer(axum::extract::connect_info::MockConnectInfo(peer));
    let cookie = format!("ln_session={token}");
    let page = async |url: &str| {
        let (status, _, body) =
            send(&app, get(&format!("/documents/{}", ids[url].id), Some(&cookie))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    };

    let body = page("https://soyte.example.vn/1").await;
    assert!(body.contains("Tỉnh, thành: <strong>Thành phố Hồ Chí Minh</strong>"), "{body}");
    assert!(!body.contains("địa bàn của nguồn tin"), "the text names it: {body}");
    assert!(body.contains("Cũng nhắc đến: Tỉnh Gia Lai"), "{body}");
    assert!(
        body.contains(r#"<mark class="place" title="Thành phố Hồ Chí Minh">Bình Dương</mark>"#),
        "{body}"
    );
    assert!(body.contains(r#"<mark class="place" title="Tỉnh Gia Lai">Gia Lai</mark>"#), "{body}");
    // The rule's highlight is still there, and scraped markup stays text.
    assert!(body.contains("<mark>sốt xuất huyết</mark>"), "{body}");
    assert!(!body.contains("<script>") && !body.contains("<b>"), "unescaped: {body}");
    assert!(body.contains("Nơi đăng: 2 nguồn, 2 lần"), "{body}");
    let section = &body[body.find("Nơi đăng").unwrap()..];
    let first = section.find("Đăng đầu tiên").unwrap();
    let portal = section.find("Sở Y tế</span>").unwrap();
    let copy = section.find("Trang tin tổng hợp").unwrap();
    assert!(first < portal && portal < copy, "the first publisher comes first: {section}");
    assert!(body.contains("Trang tổng hợp</span>"), "{body}");

    let body = page("https://soyte.example.vn/2").await;
    assert!(
        body.contains("<strong>Thành phố Hồ Chí Minh</strong> (địa bàn của nguồn tin)"),
        "{body}"
    );
    assert!(!body.contains("class=\"place"), "{body}");
    assert!(!body.contains("Nơi đăng"), "seen once: {body}");

    let body = page("https://soyte.example.vn/3").await;
    assert!(!body.contains("Tỉnh, thành"), "{body}");
}
