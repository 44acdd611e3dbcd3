//! The search API with `search.backend = "postgres"`: the demo's outlets fetched by the
//! real pipeline into PostgreSQL (and a tantivy index beside it), the lexemes filled, and
//! the same requests answered by a dashboard searching the store (no index) and one
//! searching the index: the same documents, totals, facets and highlights. Needs
//! PostgreSQL (`LANGNGHE_TEST_POSTGRES_URL`); without it the test says so and does nothing.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use dashboard::{AppState, DashboardConfig, auth, router};
use model::{Metrics, Role, SourceKind, SourceTier};
use pipeline::{Pipeline, PipelineConfig};
use search::SearchIndex;
use serde_json::Value;
use store::{NewSource, Store};

#[path = "support/http.rs"]
// Shared by the dashboard's tests; each uses part of it.
#[allow(dead_code)]
mod http;
use http::send;

async fn bearer(store: &Store) -> String {
    let now = Utc::now();
    let user = store.create_user("phat-ngon", "x", Role::Viewer, now).await.unwrap();
    let token = auth::new_token();
    let until = now + chrono::Duration::hours(2);
    store.create_api_token(user.id, "thử", &auth::token_hash(&token), now, until).await.unwrap();
    token
}

async fn api(app: &axum::Router, path: &str, token: &str) -> Value {
    let req = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(app, req).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The ids of an answer's hits, sorted, and its hits' highlights by id.
fn found(v: &Value) -> (Vec<i64>, Vec<(i64, Value)>) {
    let hits = v["hits"].as_array().unwrap();
    let mut ids: Vec<i64> = hits.iter().map(|h| h["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    let mut marks: Vec<(i64, Value)> =
        hits.iter().map(|h| (h["id"].as_i64().unwrap(), h["highlights"].clone())).collect();
    marks.sort_by_key(|m| m.0);
    (ids, marks)
}

#[tokio::test]
async fn the_api_answers_the_same_from_postgres_as_from_the_index() {
    let Some(base) = store::testing::postgres_base_url() else {
        eprintln!(
            "skipped: set {} to test the PostgreSQL search backend through the API",
            store::testing::POSTGRES_ENV
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&store::testing::fresh_postgres_url(&base).await).await.unwrap();
    store.use_lexemes(true).await.unwrap();
    let now = Utc::now();
    let outlets = demo::corpus_at(now);
    let server = demo::FeedServer::start(&outlets, 0, now).await.unwrap();
    for (name, url, tier) in server.feeds() {
        let s = NewSource {
            name,
            url,
            kind: SourceKind::Feed,
            tier: tier.parse().unwrap_or(SourceTier::Press),
            allow_private: true,
            ..NewSource::default()
        };
        store.upsert_source(&s, now).await.unwrap();
    }
    let (set, diags) =
        rules::RuleSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"));
    assert!(diags.is_empty(), "{diags:?}");
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let fetcher = fetch::Client::new(&fetch::FetchConfig {
        host_delay: Duration::ZERO,
        ..Default::default()
    })
    .unwrap();
    let pipeline = Pipeline::new(
        store.clone(),
        index.clone(),
        set,
        fetcher,
        Arc::new(Metrics::default()),
        PipelineConfig::default(),
    );
    pipeline.fetch_once().await.unwrap();
    assert!(store.lexemes_pending().await.unwrap() > 0, "storing queues the lexemes");
    while store.fill_lexemes(store::LEXEME_BATCH).await.unwrap() > 0 {}

    let token = bearer(&store).await;
    let peer = MockConnectInfo(std::net::SocketAddr::from(([192, 0, 2, 1], 40000)));
    let metrics = Arc::new(Metrics::default());
    let tantivy = router(AppState::new(
        store.clone(),
        index.clone(),
        metrics.clone(),
        DashboardConfig::default(),
    ))
    .layer(peer);
    let postgres =
        router(AppState::with_store_search(store.clone(), metrics, DashboardConfig::default()))
            .layer(peer);

    let some = api(&tantivy, "/api/v1/search?q=s%E1%BB%91t&limit=1", &token).await;
    let source = some["hits"][0]["source_id"].as_i64().unwrap();
    let paths = [
        "/api/v1/search?q=s%E1%BB%91t%20xu%E1%BA%A5t%20huy%E1%BA%BFt&facets=true&limit=100"
            .to_owned(),
        "/api/v1/search?q=sot%20xuat%20huyet&facets=true&limit=100".to_owned(),
        "/api/v1/search?q=%22v%E1%BA%AFc%20xin%22&facets=true&limit=100".to_owned(),
        "/api/v1/search?q=s%E1%BB%91t%20NEAR%2F3%20tr%E1%BA%BB&facets=true&limit=100".to_owned(),
        "/api/v1/search?q=s%E1%BB%91t&tier=official&facets=true&limit=100".to_owned(),
        "/api/v1/search?q=s%E1%BB%91t&kind=topic&sort=newest&facets=true&limit=100".to_owned(),
        format!("/api/v1/search?q=s%E1%BB%91t&source={source}&facets=true&limit=100"),
        "/api/v1/search?tier=press&sort=newest&facets=true&limit=100".to_owned(),
    ];
    let mut matched = 0;
    for path in &paths {
        let (t, p) = (api(&tantivy, path, &token).await, api(&postgres, path, &token).await);
        let ((t_ids, t_marks), (p_ids, p_marks)) = (found(&t), found(&p));
        assert_eq!(p_ids, t_ids, "{path}");
        assert_eq!(p["total"], t["total"], "{path}");
        assert_eq!(p["total_exact"], t["total_exact"], "{path}");
        assert_eq!(p_marks, t_marks, "{path}");
        assert_eq!(p["facets"], t["facets"], "{path}");
        if !t_ids.is_empty() {
            matched += 1;
        }
    }
    assert!(matched >= 5, "only {matched} of the requests found anything");

    // What `/metrics` calls searchable is what has its lexemes.
    let req = Request::get("/metrics").body(Body::empty()).unwrap();
    let (status, _, body) = send(&postgres, req).await;
    assert_eq!(status, StatusCode::OK);
    let n = index.num_docs();
    assert!(body.contains(&format!("langnghe_index_documents {n}\n")), "{body}");
    store.close().await;
}
