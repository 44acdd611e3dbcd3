//! The spokesperson's search through HTTP on the demo: the demo's outlets are served on
//! 127.0.0.1 and fetched by the real pipeline (rules, places, stories, index), a few social
//! posts with engagement counts are imported, and the router answers over that store and
//! index. Filters and facets are held to the store's own counts, orders to the order of
//! the values, pages past fifty to the whole set; saved searches are checked for who may
//! do what; exports are read back (CSV as CSV, XLSX with calamine); briefing packs show the
//! rumour's story; a saved search becomes a watch rule the rules crate loads.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use chrono::Utc;
use dashboard::{AppState, DashboardConfig, auth, router};
use futures_util::StreamExt;
use model::{Metrics, Role, SourceKind, SourceTier};
use pipeline::{Pipeline, PipelineConfig};
use search::{IndexDoc, SearchIndex};
use serde_json::Value;
use store::{NewSource, Store, StoryQuery};
use tower::ServiceExt;

#[path = "support/http.rs"]
// Shared by the dashboard's tests; each uses part of it.
#[allow(dead_code)]
mod http;
use http::send;

struct Client {
    cookie: String,
    csrf: String,
    bearer: String,
}

struct Demo {
    _dir: tempfile::TempDir,
    app: axum::Router,
    store: Store,
    pipeline: Pipeline,
    rules_dir: PathBuf,
    viewer: Client,
    officer: Client,
    admin: Client,
}

async fn client(store: &Store, name: &str, role: Role) -> Client {
    let now = Utc::now();
    let user = store.create_user(name, "x", role, now).await.unwrap();
    let (session, bearer, csrf) = (auth::new_token(), auth::new_token(), format!("csrf-{name}"));
    let until = now + chrono::Duration::hours(2);
    store.create_session(&auth::token_hash(&session), user.id, &csrf, now, until).await.unwrap();
    store.create_api_token(user.id, "thử", &auth::token_hash(&bearer), now, until).await.unwrap();
    Client { cookie: format!("ln_session={session}"), csrf, bearer }
}

fn shipped_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

/// Three posts with engagement counts, imported as social posts are.
const POSTS: &str = r#"{"platform":"facebook","page":"Hội các mẹ bỉm sữa","url":"https://www.facebook.com/groups/mebim/posts/9001","time":"2026-11-30T08:15:00+07:00","text":"Nghe nói uống nước lá đu đủ chữa khỏi sốt xuất huyết, chia sẻ ngay?","reactions":"1,2K","shares":35,"comments":210}
{"platform":"facebook","page":"Hội các mẹ bỉm sữa","url":"https://www.facebook.com/groups/mebim/posts/9002","time":"2026-11-30T09:15:00+07:00","text":"Con bị sốt xuất huyết, bác sĩ dặn uống đủ nước và theo dõi tiểu cầu.","reactions":12,"shares":1,"comments":3}
{"platform":"tiktok","page":"Sức khỏe mỗi ngày","url":"https://www.tiktok.com/@skmn/video/9003","time":"2026-11-30T20:00:00+07:00","text":"Phòng sốt xuất huyết: diệt lăng quăng, ngủ màn","reactions":"5K","shares":120,"comments":48}
"#;

async fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let outlets = demo::corpus_at(now);
    let server = demo::FeedServer::start(&outlets, 0, now).await.unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
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
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    for entry in std::fs::read_dir(shipped_rules()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, rules_dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let claims = shipped_rules().join("claims");
    if claims.is_dir() {
        std::fs::create_dir(rules_dir.join("claims")).unwrap();
        for entry in std::fs::read_dir(&claims).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, rules_dir.join("claims").join(path.file_name().unwrap())).unwrap();
        }
    }
    let (set, diags) = rules::RuleSet::load_dir(&rules_dir);
    assert!(diags.is_empty(), "{diags:?}");
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let fetcher = fetch::Client::new(&fetch::FetchConfig {
        host_delay: Duration::ZERO,
        ..Default::default()
    })
    .unwrap();
    let p = Pipeline::new(
        store.clone(),
        index.clone(),
        set.clone(),
        fetcher,
        Arc::new(Metrics::default()),
        PipelineConfig::default(),
    );
    p.fetch_once().await.unwrap();
    let posts = dir.path().join("posts.jsonl");
    std::fs::write(&posts, POSTS).unwrap();
    p.import_posts(&posts).await.unwrap();
    let set = Arc::new(set);
    let state = AppState::new(
        store.clone(),
        index,
        Arc::new(Metrics::default()),
        DashboardConfig::default(),
    )
    .with_rules(rules_dir.clone(), move || set.clone());
    let app =
        router(state).layer(MockConnectInfo(std::net::SocketAddr::from(([192, 0, 2, 1], 40000))));
    Demo {
        viewer: client(&store, "phat-ngon", Role::Viewer).await,
        officer: client(&store, "can-bo", Role::Officer).await,
        admin: client(&store, "quan-tri", Role::Admin).await,
        _dir: dir,
        app,
        store,
        pipeline: p,
        rules_dir,
    }
}

impl Demo {
    async fn api(&self, path: &str, who: &Client) -> Value {
        let req = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", who.bearer))
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = send(&self.app, req).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    async fn page(&self, path: &str, who: &Client) -> (StatusCode, String) {
        let req =
            Request::get(path).header(header::COOKIE, &who.cookie).body(Body::empty()).unwrap();
        let (status, _, body) = send(&self.app, req).await;
        (status, body)
    }

    async fn bytes(
        &self,
        path: &str,
        who: &Client,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let req =
            Request::get(path).header(header::COOKIE, &who.cookie).body(Body::empty()).unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let body = axum::body::to_bytes(res.into_body(), 64 << 20).await.unwrap();
        (status, headers, body.to_vec())
    }

    async fn post(
        &self,
        path: &str,
        who: &Client,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(fields);
        form.append_pair("csrf", &who.csrf);
        let req = Request::post(path)
            .header(header::COOKIE, &who.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.finish()))
            .unwrap();
        let (status, headers, body) = send(&self.app, req).await;
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, body)
    }
}

fn ids(v: &Value) -> Vec<i64> {
    v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect()
}

fn facet(v: &Value, name: &str, key: &str) -> BTreeMap<String, u64> {
    v["facets"][name]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let k = match &f[key] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k, f["count"].as_u64().unwrap())
        })
        .collect()
}

/// Every match of an API search, page by page along the cursor.
async fn walk(d: &Demo, query: &str, limit: usize) -> Vec<Value> {
    let mut hits = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/search?{query}&limit={limit}");
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let page = d.api(&path, &d.viewer).await;
        hits.extend(page["hits"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return hits,
        }
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn the_spokesperson_searches_the_demo_with_filters_facets_orders_and_pages() {
    let d = demo().await;
    let dengue = enc("sốt xuất huyết");

    // Facets count every match once per value; each filter narrows to its facet's count.
    let all = d.api(&format!("/api/v1/search?q={dengue}&facets=true&limit=5"), &d.viewer).await;
    let total = all["total"].as_u64().unwrap();
    assert!(total > 20, "{total}");
    assert_eq!(all["facets"]["exact"], true);
    let sources = facet(&all, "sources", "id");
    assert_eq!(sources.values().sum::<u64>(), total, "each match has one outlet");
    let tiers = facet(&all, "tiers", "tier");
    assert_eq!(tiers.values().sum::<u64>(), total);
    let provinces = facet(&all, "provinces", "code");
    let spike = demo::history::SPIKE_PROVINCE;
    assert!(provinces[spike] >= demo::history::SPIKE_INCIDENTS as u64, "{provinces:?}");
    let rules = facet(&all, "rules", "rule");
    assert!(rules.contains_key(demo::history::SPIKE_TOPIC), "{rules:?}");
    let months = facet(&all, "months", "month");
    assert_eq!(months.values().sum::<u64>(), total);

    let in_spike = walk(&d, &format!("q={dengue}&province={spike}"), 100).await;
    assert_eq!(in_spike.len() as u64, provinces[spike]);
    assert!(in_spike.iter().all(|h| h["province"] == spike));
    let (first_source, first_count) = sources.iter().next().unwrap();
    let of_source = walk(&d, &format!("q={dengue}&source={first_source}"), 100).await;
    assert_eq!(of_source.len() as u64, *first_count);
    let first_id: i64 = first_source.parse().unwrap();
    assert!(of_source.iter().all(|h| h["source_id"].as_i64() == Some(first_id)));
    for (tier, n) in &tiers {
        let of_tier = walk(&d, &format!("q={dengue}&tier={tier}"), 100).await;
        assert_eq!(of_tier.len() as u64, *n, "{tier}");
        assert!(of_tier.iter().all(|h| h["tier"] == tier.as_str()), "{tier}");
    }
    let topic = demo::history::SPIKE_TOPIC;
    let on_topic = walk(&d, &format!("q={dengue}&topic={topic}"), 100).await;
    assert_eq!(on_topic.len() as u64, rules[topic]);
    assert!(on_topic.iter().all(|h| h["rules"].as_array().unwrap().iter().any(|r| r == topic)));
    let kinds = facet(&all, "kinds", "kind");
    let rumours = walk(&d, &format!("q={dengue}&kind=rumor"), 100).await;
    assert_eq!(rumours.len() as u64, kinds.get("rumor").copied().unwrap_or(0));

    // Dates: Vietnam days, both ends included; the month facet agrees.
    let (month, in_month) = months.iter().next_back().unwrap();
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
    let last = first.checked_add_months(chrono::Months::new(1)).unwrap().pred_opt().unwrap();
    let dated = walk(&d, &format!("q={dengue}&from={first}&to={last}"), 100).await;
    assert_eq!(dated.len() as u64, *in_month);

    // Stances: the demo's rumour is carried by some outlets and refuted by one.
    let papaya = enc("lá đu đủ");
    let carried = walk(&d, &format!("q={papaya}&topic=rumor.than-duoc&stance=carries"), 100).await;
    let refuted = walk(&d, &format!("q={papaya}&stance=refutes"), 100).await;
    assert!(!carried.is_empty(), "the rumour is carried");
    let carried_ids: BTreeSet<i64> = carried.iter().map(|h| h["id"].as_i64().unwrap()).collect();
    assert!(refuted.iter().all(|h| !carried_ids.contains(&h["id"].as_i64().unwrap())));

    // A filter alone is a search; its story filter finds the story's documents.
    let story = d
        .store
        .stories(&StoryQuery {
            rule: Some("rumor.than-duoc".into()),
            limit: 50,
            ..StoryQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.title.starts_with("Lá đu đủ"))
        .unwrap();
    let in_story = walk(&d, &format!("q=&story={}", story.id), 100).await;
    let expected: BTreeSet<i64> =
        d.store.story_document_ids(story.id).await.unwrap().into_iter().collect();
    let got: BTreeSet<i64> = in_story.iter().map(|h| h["id"].as_i64().unwrap()).collect();
    assert_eq!(got, expected);

    // Orders: newest by time, reach by engagement with the posts without counts last.
    let newest = walk(&d, &format!("q={dengue}&sort=newest"), 100).await;
    let times: Vec<String> =
        newest.iter().map(|h| h["time"].as_str().unwrap().to_owned()).collect();
    let parsed: Vec<chrono::DateTime<chrono::FixedOffset>> =
        times.iter().map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap()).collect();
    assert!(parsed.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let reach = walk(&d, &format!("q={dengue}&sort=reach"), 100).await;
    let counts: Vec<Option<i64>> = reach.iter().map(|h| h["reach"].as_i64()).collect();
    let engaged = counts.iter().take_while(|c| c.is_some()).count();
    assert!(engaged >= 2, "{counts:?}");
    assert!(counts[engaged..].iter().all(Option::is_none), "{counts:?}");
    assert!(counts[..engaged].windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert_eq!(counts[0], Some(5_000 + 120 + 48));

    // Pages past fifty: every document of the last sixty days, fifty at a time by cursor,
    // none repeated or skipped, in a stable order; the page's own links go the same way.
    let since = (chrono::Utc::now() - chrono::Duration::days(70)).format("%Y-%m-%d").to_string();
    let everything = walk(&d, &format!("q=&from={since}&sort=newest"), 50).await;
    let counted = d.store.counts().await.unwrap().documents as usize;
    assert!(everything.len() > 100, "{}", everything.len());
    assert_eq!(everything.len(), counted);
    let unique: BTreeSet<i64> = everything.iter().map(|h| h["id"].as_i64().unwrap()).collect();
    assert_eq!(unique.len(), everything.len());
    let by_offset = d
        .api(&format!("/api/v1/search?q=&from={since}&sort=newest&offset=50&limit=50"), &d.viewer)
        .await;
    assert_eq!(
        ids(&by_offset),
        everything[50..100].iter().map(|h| h["id"].as_i64().unwrap()).collect::<Vec<_>>()
    );
    let mut path = format!("/search?q=&from={since}&sort=newest");
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let (status, body) = d.page(&path, &d.viewer).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        seen += body.matches("<li class=\"result\">").count();
        let Some(at) = body.find("Trang sau →") else { break };
        let href = body[..at].rsplit("href=\"").next().unwrap().split('"').next().unwrap();
        path = href.replace("&#38;", "&").replace("&amp;", "&");
    }
    assert_eq!(seen, counted);
    assert_eq!(pages, counted.div_ceil(50));

    // The page: facets beside the results, the filters in force, the ways out.
    let (status, body) =
        d.page(&format!("/search?q={dengue}&province={spike}&tier=press"), &d.viewer).await;
    assert_eq!(status, StatusCode::OK);
    for needed in [
        "Thống kê kết quả",
        "Nguồn",
        "Tỉnh, thành: Tỉnh Đồng Nai",
        "Loại nguồn: Báo chí",
        "Tải CSV",
        "Tải Excel",
        "Lưu tìm kiếm này",
    ] {
        assert!(body.contains(needed), "{needed}");
    }
    let (status, body) = d.page("/search?q=x&to=31/02/2026", &d.viewer).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Không đọc được bộ lọc “Đến ngày”"), "{body}");
    let bad = Request::get("/api/v1/search?q=x&stance=likes")
        .header(header::AUTHORIZATION, format!("Bearer {}", d.viewer.bearer))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&d.app, bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("stance"), "{body}");

    // Exports: the same results as the API, in the same order.
    let (status, headers, csv) =
        d.bytes(&format!("/search/export.csv?q={dengue}&sort=newest"), &d.viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains(".csv"));
    let text = String::from_utf8(csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(&reader.headers().unwrap()[0], "Mã bài");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let exported: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(exported, newest.iter().map(|h| h["id"].as_i64().unwrap()).collect::<Vec<_>>());
    let (status, headers, xlsx) =
        d.bytes(&format!("/search/export.xlsx?q={dengue}&sort=newest"), &d.viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let sheet = wb.worksheet_range("Kết quả").unwrap();
    let cells: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(cells[1][0], Data::String("Mã bài".into()));
    let from_xlsx: Vec<i64> = cells[2..].iter().map(|r| r[0].as_f64().unwrap() as i64).collect();
    assert_eq!(from_xlsx, exported);
    assert_eq!(cells[2][7].to_string(), rows[0][7].to_string(), "the titles agree");
    // Every export is in the audit log.
    let audit = d.store.audit_log(100).await.unwrap();
    assert_eq!(audit.iter().filter(|a| a.2 == "search_exported").count(), 2, "{audit:?}");

    // An index rebuilt from the store (as after a schema change) filters and counts alike.
    d.pipeline.reindex().await.unwrap();
    let again = d.api(&format!("/api/v1/search?q={dengue}&facets=true&limit=5"), &d.viewer).await;
    assert_eq!(again["facets"], all["facets"]);
    assert_eq!(ids(&again), ids(&all));
}

#[tokio::test]
async fn saved_searches_are_their_owners_and_become_watch_rules_only_for_admins() {
    let d = demo().await;
    // Saved from the search page's form.
    let fields = [
        ("name", "Lá đu đủ"),
        ("q", "\"lá đu đủ\""),
        ("stance", "carries"),
        ("sort", "newest"),
        ("notify", "1"),
    ];
    let (status, location, _) = d.post("/saved", &d.viewer, &fields).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/saved?ok=saved"));
    let (status, _, body) = d.post("/saved", &d.viewer, &fields).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the same name twice");
    assert!(body.contains("hãy chọn tên khác"), "{body}");
    let (status, _, body) = d.post("/saved", &d.viewer, &[("name", "Sai"), ("q", "(sốt")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Câu truy vấn chưa đúng"), "{body}");
    let (status, _, _) = d.post("/saved", &d.viewer, &[("name", "Trống"), ("q", "")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "nothing to save");

    let mine = d.api("/api/v1/saved-searches", &d.viewer).await;
    let list = mine["saved_searches"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["filters"]["stance"], "carries");
    assert_eq!(list[0]["notify"], true);
    let id = list[0]["id"].as_i64().unwrap();
    let open = list[0]["search_url"].as_str().unwrap();
    let (status, body) = d.page(open, &d.viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Lập trường: Lan truyền"), "the saved filters come back");
    assert!(
        d.api("/api/v1/saved-searches", &d.officer).await["saved_searches"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (status, body) = d.page("/saved", &d.viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Lá đu đủ") && body.contains("Đang bật"), "{body}");

    // Nobody else's: another officer gets 404 for each of them, and nothing changes.
    for path in [format!("/saved/{id}/delete"), format!("/saved/{id}/notify")] {
        let (status, _, _) = d.post(&path, &d.officer, &[("notify", "0")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(d.page(&format!("/saved/{id}/backtest"), &d.officer).await.0, StatusCode::NOT_FOUND);
    let (status, location, _) =
        d.post(&format!("/saved/{id}/notify"), &d.viewer, &[("notify", "0")]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/saved?ok=notify_off"));
    assert!(!d.store.saved_search(id).await.unwrap().unwrap().notify);

    // The backtest: the query's matches per day over the archive, for the owner; the rule
    // form for admins only.
    let (status, body) = d.page(&format!("/saved/{id}/backtest?days=90"), &d.viewer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("bài khớp trong 90 ngày qua"), "{body}");
    assert!(body.contains("Lập trường: Lan truyền"), "the filters a rule leaves behind are named");
    assert!(!body.contains("Lưu thành quy tắc"));
    let (status, body) = d.page(&format!("/saved/{id}/backtest?days=90"), &d.admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Lưu thành quy tắc"));
    // The example offered is a recent match's own text, which the rule must match.
    let example = body.split("name=\"example\"").nth(1).unwrap();
    let example = example.split('>').nth(1).unwrap().split("</textarea").next().unwrap();
    assert!(!example.trim().is_empty(), "an example is offered");
    let example = example.replace("&#34;", "\"").replace("&#39;", "'").replace("&amp;", "&");
    let rule = [
        ("rule_id", "watch.local.la-du-du"),
        ("title", "Lá đu đủ chữa sốt xuất huyết"),
        ("severity", "high"),
        ("example", example.as_str()),
        ("counter", "Giá rau củ hôm nay"),
    ];
    let (status, _, _) = d.post(&format!("/saved/{id}/watch"), &d.viewer, &rule).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = d
        .post(
            &format!("/saved/{id}/watch"),
            &d.admin,
            &[("rule_id", "rumor.x"), ("title", "x"), ("severity", "high"), ("example", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("watch."), "{body}");
    let (status, _, body) = d
        .post(
            &format!("/saved/{id}/watch"),
            &d.admin,
            &[
                ("rule_id", "watch.local.x"),
                ("title", "x"),
                ("severity", "high"),
                ("example", "Giá rau củ hôm nay"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an example the query does not match");
    assert!(!d.rules_dir.join("local.toml").exists(), "{body}");
    let (status, location, body) = d.post(&format!("/saved/{id}/watch"), &d.admin, &rule).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location, format!("/saved/{id}/backtest?ok=watch"));
    let (set, diags) = rules::RuleSet::load_dir(&d.rules_dir);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(set.check().is_empty());
    let added = set.rules().iter().find(|r| &*r.id == "watch.local.la-du-du").unwrap();
    assert_eq!(added.kind, model::RuleKind::Watch);
    assert_eq!(added.query, "\"lá đu đủ\"");
    // The same id twice is refused: the file is checked with what is running… and with
    // itself.
    let (status, _, _) = d.post(&format!("/saved/{id}/watch"), &d.admin, &rule).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(rules::RuleSet::load_dir(&d.rules_dir).0.len(), set.len());

    let (status, location, _) = d.post(&format!("/saved/{id}/delete"), &d.viewer, &[]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/saved?ok=deleted"));
    assert_eq!(d.store.saved_search(id).await.unwrap(), None);
}

#[tokio::test]
async fn briefing_packs_tell_the_rumours_story_and_the_topic() {
    let d = demo().await;
    let story = d
        .store
        .stories(&StoryQuery {
            rule: Some("rumor.than-duoc".into()),
            limit: 50,
            ..StoryQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.title.starts_with("Lá đu đủ"))
        .unwrap();
    let (status, body) = d.page(&format!("/briefing/stories/{}", story.id), &d.viewer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Gói tư liệu câu chuyện"));
    assert!(body.contains(&story.origin_source_name), "the first publisher is named");
    let timeline = d.store.story_timeline(story.id).await.unwrap();
    for t in &timeline {
        assert!(body.contains(&t.sighting.source_name), "{} carried it", t.sighting.source_name);
    }
    assert!(body.contains("Lan truyền"), "stances are shown");
    assert!(body.contains("Phản hồi chính thức") && body.contains("Mức độ cải chính"));
    let (status, headers, xlsx) =
        d.bytes(&format!("/briefing/stories/{}/xlsx", story.id), &d.viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains(".xlsx"));
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["Tóm tắt", "Dòng thời gian", "Nguồn đăng", "Phản hồi", "Cải chính"]
    );
    let lines = wb.worksheet_range("Dòng thời gian").unwrap();
    assert_eq!(lines.rows().count(), timeline.len() + 1);
    let outlets = wb.worksheet_range("Nguồn đăng").unwrap();
    let distinct: BTreeSet<i64> = timeline.iter().map(|t| t.sighting.source_id).collect();
    assert_eq!(outlets.rows().count(), distinct.len() + 1);

    // A topic over the demo's sixty days: the spike's province is there, and the story.
    let from = (Utc::now() - chrono::Duration::days(65)).format("%Y-%m-%d").to_string();
    let topic = demo::history::SPIKE_TOPIC;
    let (status, body) =
        d.page(&format!("/briefing/topic?rule={topic}&from={from}"), &d.viewer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Gói tư liệu chủ đề") && body.contains("Ai đã đăng tin"));
    let (status, _, xlsx) =
        d.bytes(&format!("/briefing/topic.xlsx?rule={topic}&from={from}"), &d.viewer).await;
    assert_eq!(status, StatusCode::OK);
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let summary = wb.worksheet_range("Tóm tắt").unwrap();
    let pairs: HashMap<String, String> = summary
        .rows()
        .filter(|r| r.len() >= 2)
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    let items = d
        .store
        .rule_sightings(topic, search_day(&from), Utc::now() + chrono::Duration::days(1), 10_000)
        .await
        .unwrap();
    assert_eq!(pairs["Lần xuất hiện"], items.len().to_string().replace(',', "."));
    assert_eq!(
        d.page(&format!("/briefing/topic?rule=topic.khong-co&from={from}"), &d.viewer).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(d.page("/briefing/topic", &d.viewer).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(d.page("/briefing/stories/999999", &d.viewer).await.0, StatusCode::NOT_FOUND);
}

fn search_day(day: &str) -> chrono::DateTime<Utc> {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    let local = d.and_hms_opt(0, 0, 0).unwrap();
    use chrono::TimeZone;
    model::VN_OFFSET.from_local_datetime(&local).single().unwrap().to_utc()
}

/// An index of `n` documents that all say "sốt xuất huyết", and a router over it.
async fn many(n: i64) -> (tempfile::TempDir, axum::Router, Client) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let source = NewSource {
        name: "Báo A".into(),
        url: "https://a.vn/rss".into(),
        tier: SourceTier::Press,
        ..NewSource::default()
    };
    let sid = store.upsert_source(&source, Utc::now()).await.unwrap().id;
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let base = Utc::now() - chrono::Duration::days(10);
    let docs: Vec<IndexDoc> = (1..=n)
        .map(|i| IndexDoc {
            id: i,
            title: format!("Bản tin sốt xuất huyết số {i}"),
            body: format!("Ghi nhận ca sốt xuất huyết thứ {i} tại địa phương."),
            source: "Báo A".into(),
            language: "vi".into(),
            url: format!("https://a.vn/{i}"),
            time: base + chrono::Duration::minutes(i),
            source_id: sid,
            province: Some("75".into()),
            ..IndexDoc::default()
        })
        .collect();
    index.add(&docs).unwrap();
    index.commit(n).unwrap();
    let state = AppState::new(
        store.clone(),
        index,
        Arc::new(Metrics::default()),
        DashboardConfig::default(),
    );
    let app =
        router(state).layer(MockConnectInfo(std::net::SocketAddr::from(([192, 0, 2, 1], 40000))));
    let who = client(&store, "phat-ngon", Role::Viewer).await;
    (dir, app, who)
}

#[tokio::test]
async fn an_export_of_five_thousand_results_streams_a_page_per_chunk() {
    let (_dir, app, who) = many(5_000).await;
    let q = enc("sốt xuất huyết");
    let req = Request::get(format!("/search/export.csv?q={q}&sort=newest"))
        .header(header::COOKIE, &who.cookie)
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(header::CONTENT_LENGTH).is_none(), "a stream has no length up front");
    let mut body = res.into_body().into_data_stream();
    let mut chunks = 0;
    let mut largest = 0;
    let mut text = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        chunks += 1;
        let lines = chunk.iter().filter(|&&b| b == b'\n').count();
        largest = largest.max(lines);
        text.extend_from_slice(&chunk);
    }
    // One chunk per page of a hundred: never the whole file at once.
    assert_eq!(chunks, 50);
    assert!(largest <= 101, "{largest} lines in one chunk");
    let text = String::from_utf8(text).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let ids: Vec<i64> = reader.records().map(|r| r.unwrap()[0].parse().unwrap()).collect();
    assert_eq!(ids, (1..=5_000).rev().collect::<Vec<_>>());

    let req = Request::get(format!("/search/export.xlsx?q={q}&sort=newest"))
        .header(header::COOKIE, &who.cookie)
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(res.into_body(), 64 << 20).await.unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = wb.worksheet_range("Kết quả").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 5_002);
    assert_eq!(rows[2][0].as_f64(), Some(5_000.0));
    assert_eq!(rows[5_001][0].as_f64(), Some(1.0));
    assert_eq!(rows[2][4], Data::String("Tỉnh Đồng Nai".into()));
    assert_eq!(rows[2][3], Data::String("Báo chí".into()));

    // Past the cap an export stops; nothing to search for is refused.
    let req = Request::get("/search/export.csv?q=")
        .header(header::COOKIE, &who.cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.clone().oneshot(req).await.unwrap().status(), StatusCode::BAD_REQUEST);
}
