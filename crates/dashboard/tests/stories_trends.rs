//! Stories, trends and spike alerts through a real server on 127.0.0.1 over a real SQLite
//! store: the pages and the API, who may see them, escaping of hostile titles, parameter
//! errors, the province table's order, and a spike alert explained on the board.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dashboard::{AppState, DashboardConfig, auth};
use model::{
    DocumentPlaces, Hit, Metrics, NewDocument, Role, RuleKind, Severity, SourceTier, Story,
};
use reqwest::StatusCode;
use search::SearchIndex;
use serde_json::Value;
use store::{NewSource, Placement, Processed, SightingRelation, Store, StoryUpdate};

const HOSTILE_STORY: &str = "Sốt xuất huyết <script>alert(1)</script> tăng \"mạnh\"";
const HOSTILE_TOPIC: &str = "Sốt xuất huyết <img src=x onerror=alert(2)>";
const HOSTILE_SOURCE: &str = "Báo <i>Sức Khỏe</i>";

struct Server {
    _dir: tempfile::TempDir,
    base: String,
    client: reqwest::Client,
    cookie: String,
    bearer: String,
    /// Story ids: S1 (HCM, two documents and a copy, hostile title), S2 (HCM), S3 (Hà Nội),
    /// S4–S6 (Hà Nội, ten days ago), S7 (Đà Nẵng).
    stories: Vec<i64>,
    /// The documents of S1: the press original, then the official follow-up.
    s1_docs: [i64; 2],
    spike_id: i64,
    story_alert_id: i64,
    today: NaiveDate,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    async fn get(&self, path: &str) -> (StatusCode, String, String) {
        self.send(self.client.get(format!("{}{path}", self.base))).await
    }

    async fn page(&self, path: &str) -> (StatusCode, String) {
        let req = self.client.get(format!("{}{path}", self.base)).header("cookie", &self.cookie);
        let (status, _, body) = self.send(req).await;
        (status, body)
    }

    async fn api(&self, path: &str) -> (StatusCode, Value) {
        let req = self.client.get(format!("{}{path}", self.base)).bearer_auth(&self.bearer);
        let (status, content_type, body) = self.send(req).await;
        assert!(content_type.starts_with("application/json"), "{path}: {content_type} {body}");
        (status, serde_json::from_str(&body).unwrap())
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, String, String) {
        let res = req.send().await.unwrap();
        let status = res.status();
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let content_type = location.unwrap_or_else(|| {
            res.headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        });
        (status, content_type, res.text().await.unwrap())
    }
}

/// Today's date in Vietnam, and a time on it (01:00 plus `minutes`, Vietnam time) `days_ago`
/// days back: fixed hours, so a test run near midnight puts nothing on another day.
fn vn_day_time(today: NaiveDate, days_ago: i64, minutes: i64) -> DateTime<Utc> {
    let day = today - Duration::days(days_ago);
    Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0).unwrap()) - Duration::hours(7)
        + Duration::minutes(minutes)
}

fn doc(source_id: i64, url: &str, title: &str, at: DateTime<Utc>) -> NewDocument {
    NewDocument {
        source_id,
        url: url.into(),
        title: title.into(),
        summary: String::new(),
        body: "Ngành y tế khuyến cáo người dân diệt lăng quăng, bọ gậy.".into(),
        author: None,
        published_at: Some(at),
        fetched_at: at + Duration::minutes(5),
        language: "vi".into(),
        content_hash: url.into(),
        post: None,
    }
}

fn hit(rule: &str, title: &str, kind: RuleKind) -> Hit {
    Hit {
        rule_id: rule.into(),
        rule_title: title.into(),
        kind,
        severity: Severity::High,
        terms: vec![],
    }
}

/// A document to store: its story (an index), source, province, days ago, title and hits.
type Planned = (usize, i64, &'static str, i64, String, Vec<Hit>);

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let now = Utc::now();
    let today = model::to_vn_time(now).date_naive();
    let mut sources = Vec::new();
    for (name, host, tier) in [
        (HOSTILE_SOURCE, "baosuckhoe", SourceTier::Press),
        ("Tin Tổng Hợp", "tonghop", SourceTier::Aggregator),
        ("Sở Y tế TP.HCM", "soyte", SourceTier::Official),
    ] {
        let s = NewSource {
            name: name.into(),
            url: format!("https://{host}.example.vn/rss"),
            tier,
            ..NewSource::default()
        };
        sources.push(store.upsert_source(&s, now).await.unwrap().id);
    }
    let (press, aggregator, official) = (sources[0], sources[1], sources[2]);
    let sxh = || hit("topic.sxh", HOSTILE_TOPIC, RuleKind::Topic);
    // (story key, source, province, days ago, title, hits)
    let plan: Vec<Planned> = vec![
        (
            0,
            press,
            "79",
            0,
            HOSTILE_STORY.into(),
            vec![sxh(), hit("rumor.x", "Tin đồn X", RuleKind::Rumor)],
        ),
        (0, official, "79", 0, "Sở Y tế xác nhận số ca tăng".into(), vec![sxh()]),
        (1, press, "79", 0, "Phun hóa chất diệt muỗi ở quận 7".into(), vec![sxh()]),
        (2, press, "01", 0, "Hà Nội ghi nhận ổ dịch mới".into(), vec![sxh()]),
        (3, press, "01", 10, "Hà Nội: bệnh viện quá tải".into(), vec![]),
        (4, press, "01", 10, "Hà Nội: học sinh nghỉ học".into(), vec![]),
        (5, press, "01", 10, "Hà Nội: tiêm chủng bổ sung".into(), vec![]),
        (6, press, "48", 0, "Đà Nẵng chuẩn bị vắc xin".into(), vec![]),
    ];
    let first_story = store.next_story_id().await.unwrap();
    let stories: Vec<i64> = (0..7).map(|k| first_story + k).collect();
    let mut batch = Vec::new();
    for (i, (_, source, province, days_ago, title, hits)) in plan.iter().enumerate() {
        let at = vn_day_time(today, *days_ago, 10 * i as i64);
        let mut p = Processed::new(
            doc(*source, &format!("https://x.example.vn/{i}"), title, at),
            hits.clone(),
        );
        p.places = DocumentPlaces { province: Some((*province).into()), places: vec![] };
        batch.push(p);
    }
    let keys: Vec<usize> = plan.iter().map(|p| p.0).collect();
    let stored = store
        .insert_batch_placed(
            &batch,
            &mut store::placing(|_, inserted| {
                inserted
                    .iter()
                    .map(|ins| Placement {
                        document_id: ins.id,
                        story: Some(stories[keys[ins.batch_index]]),
                        copy_of: None,
                    })
                    .collect()
            }),
        )
        .await
        .unwrap();
    let ids: Vec<i64> = stored.inserted.iter().map(|i| i.id).collect();
    // The aggregator runs S1's original word for word, before it (a clock gone wrong): a
    // sighting of the same document, which trends must not count again.
    let mut copy = batch[0].clone();
    copy.doc.source_id = aggregator;
    copy.doc.url = "https://tonghop.example.vn/ban-sao".into();
    copy.doc.published_at = Some(vn_day_time(today, 0, -30));
    copy.hits.clear();
    assert_eq!(store.insert_batch(&[copy]).await.unwrap().copies.len(), 1);

    // Story rows as the pipeline would write them.
    let mut updates = Vec::new();
    for (k, &id) in stories.iter().enumerate() {
        let members: Vec<usize> = (0..plan.len()).filter(|&i| plan[i].0 == k).collect();
        let first = &batch[members[0]];
        let times: Vec<DateTime<Utc>> = members.iter().map(|&i| batch[i].doc.fetched_at).collect();
        updates.push(StoryUpdate {
            story: Story {
                id,
                title: first.doc.title.clone(),
                origin_document: ids[members[0]],
                origin_source: first.doc.source_id,
                origin_source_name: String::new(),
                origin_basis: if k == 0 { "attribution".into() } else { "earliest".into() },
                province: first.places.province.clone(),
                first_seen: *times.iter().min().unwrap(),
                last_seen: *times.iter().max().unwrap(),
                documents: members.len() as i64,
                sightings: members.len() as i64 + i64::from(k == 0),
                outlets: if k == 0 { 3 } else { 1 },
            },
            relations: Vec::new(),
        });
    }
    // S1's relations: the aggregator's early copy, the original, the official follow-up.
    let members = store.story_members(&[stories[0]]).await.unwrap();
    assert_eq!(members.len(), 3);
    for m in &members {
        let (relation, lag, anomalies) = match m.sighting.source_id {
            s if s == aggregator => {
                ("aggregator_copy", -30, vec!["aggregator_too_early".to_owned()])
            }
            s if s == press => ("origin", 0, vec![]),
            _ => ("republication_attributed", 10, vec![]),
        };
        updates[0].relations.push(SightingRelation {
            sighting_id: m.sighting_id,
            relation: relation.into(),
            lag_minutes: lag,
            anomalies,
        });
    }
    store.save_stories(&updates, now).await.unwrap();

    // A national spike of the topic today, driven by S1 and S2.
    let window_start =
        Utc.from_utc_datetime(&today.and_hms_opt(0, 0, 0).unwrap()) - Duration::hours(7);
    let baseline: Vec<alerts::BaselinePoint> = (1..=7)
        .map(|d| alerts::BaselinePoint {
            start: window_start - Duration::days(8 - d),
            end: window_start - Duration::days(7 - d),
            count: [1.0, 2.0, 1.0, 0.0, 2.0, 1.0, 2.0][d as usize - 1],
        })
        .collect();
    let driving = [stories[0], stories[1]];
    let documents = [(ids[0], batch[0].doc.fetched_at), (ids[2], batch[2].doc.fetched_at)];
    let signal = alerts::SpikeSignal {
        topic: "topic.sxh",
        topic_title: HOSTILE_TOPIC,
        province: None,
        province_name: None,
        bucket: alerts::SpikeBucket::Day,
        window_start,
        window_end: window_start + Duration::days(1),
        observed: 7.0,
        expected: 1.5,
        threshold: 4.25,
        method: "ears-c2",
        method_version: "ears-c2/1",
        alpha: Some(0.001),
        baseline: &baseline,
        stories: &driving,
        sources: 3,
        health_day: Some("Ngày ASEAN phòng chống sốt xuất huyết"),
        labels: &[],
        documents: &documents,
    };
    let spike_id = store
        .apply_spike(&alerts::spike_upsert(&signal).unwrap())
        .await
        .unwrap()
        .unwrap()
        .alert_id();
    let board = store.alert_board(None, 50).await.unwrap();
    let story_alert_id = board
        .iter()
        .find(|e| e.alert.subject == format!("story:{}", stories[0]))
        .expect("the rumour hit opens an alert on its story")
        .alert
        .id;

    let user = store.create_user("lan", "x", Role::Viewer, now).await.unwrap();
    let session = auth::new_token();
    store
        .create_session(&auth::token_hash(&session), user.id, "csrf", now, now + Duration::hours(1))
        .await
        .unwrap();
    let bearer = auth::new_token();
    store
        .create_api_token(
            user.id,
            "test",
            &auth::token_hash(&bearer),
            now,
            now + Duration::hours(1),
        )
        .await
        .unwrap();

    let state =
        AppState::new(store, index, Arc::new(Metrics::default()), DashboardConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
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
        cookie: format!("ln_session={session}"),
        bearer,
        stories,
        s1_docs: [ids[0], ids[1]],
        spike_id,
        story_alert_id,
        today,
        _shutdown: tx,
    }
}

/// Text as askama escapes it.
fn esc(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// No page of the dashboard carries a script, whatever the data.
fn assert_no_script(body: &str) {
    // The live-update script of the boards is ours, from this origin; nothing else may be.
    let body = &body.replace(r#"<script src="/static/live.js" defer></script>"#, "");
    assert!(!body.contains("<script"), "a script on the page: {body}");
    assert!(!body.contains("<img"), "raw markup on the page: {body}");
    assert!(!body.contains("<i>"), "raw markup on the page: {body}");
}

#[tokio::test]
async fn anonymous_visitors_go_to_login_and_api_callers_without_token_get_401() {
    let s = start().await;
    for path in ["/stories", "/stories/1", "/trends?days=7"] {
        let (status, location, _) = s.get(path).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert!(location.starts_with("/login?next=/"), "{path}: {location}");
    }
    for path in ["/api/v1/stories", "/api/v1/stories/1", "/api/v1/trends"] {
        let (status, content_type, body) = s.get(path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(content_type.starts_with("application/json"), "{path}");
        assert!(body.contains("missing bearer token"), "{path}: {body}");
    }
    // A session cookie is not an API token.
    let req = s.client.get(format!("{}/api/v1/trends", s.base)).header("cookie", &s.cookie);
    assert_eq!(s.send(req).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_story_pages_show_who_carried_a_story_and_when() {
    let s = start().await;
    let (status, body) = s.page("/stories").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_no_script(&body);
    assert!(body.contains(r#"<a href="/stories">Câu chuyện</a>"#), "navigation: {body}");
    assert!(body.contains(r#"<a href="/trends">Xu hướng</a>"#), "navigation: {body}");
    let s1 = s.stories[0];
    assert!(
        body.contains(&format!(r#"<a href="/stories/{s1}">{}</a>"#, esc(HOSTILE_STORY))),
        "{body}"
    );
    assert!(body.contains("Báo &#60;i&#62;Sức Khỏe&#60;/i&#62;"), "{body}");
    assert!(body.contains("Thành phố Hồ Chí Minh"), "{body}");
    // Seven days by default: the stories of ten days ago are not listed.
    assert!(!body.contains("bệnh viện quá tải"), "{body}");
    let (_, body) = s.page("/stories?since=30").await;
    assert!(body.contains("bệnh viện quá tải"), "{body}");
    let (_, body) = s.page("/stories?since=30&province=01").await;
    assert!(body.contains("bệnh viện quá tải") && !body.contains("quận 7"), "{body}");
    let (_, body) = s.page("/stories?rule=topic.sxh").await;
    assert!(body.contains("quận 7") && !body.contains("Đà Nẵng chuẩn bị"), "{body}");
    for bad in
        ["/stories?since=abc", "/stories?province=99", "/stories?page=0", "/stories?rule=%3Cb%3E"]
    {
        let (status, body) = s.page(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(body.contains("Tham số không hợp lệ"), "{bad}: {body}");
        assert_no_script(&body);
    }

    let (status, body) = s.page(&format!("/stories/{s1}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_no_script(&body);
    assert!(
        body.contains(
            "<h1>Sốt xuất huyết &#60;script&#62;alert(1)&#60;/script&#62; tăng &#34;mạnh&#34;</h1>"
        ),
        "{body}"
    );
    assert!(body.contains("Theo ghi nguồn"), "how the first publisher was chosen: {body}");
    assert!(
        body.contains(&format!(r#"<a href="/documents/{}">bài gốc</a>"#, s.s1_docs[0])),
        "{body}"
    );
    // The timeline, earliest first: the aggregator's early copy, the original, the follow-up.
    let timeline =
        &body[body.find("Dòng thời gian").unwrap()..body.find("Chủ đề và quy tắc").unwrap()];
    let at = |needle: &str| timeline.find(needle).unwrap_or_else(|| panic!("{needle}: {timeline}"));
    assert!(at("Trang tổng hợp đăng lại") < at("Nguồn đăng đầu tiên"), "{timeline}");
    assert!(at("Nguồn đăng đầu tiên") < at("Đăng lại, có ghi nguồn"), "{timeline}");
    assert!(timeline.contains("Trang tổng hợp đăng sớm bất thường"), "{timeline}");
    assert!(timeline.contains("−30 phút") && timeline.contains("+10 phút"), "{timeline}");
    assert!(timeline.contains(r#"href="https://tonghop.example.vn/ban-sao""#), "{timeline}");
    // Vietnam time: 01:00 on the day, as written for Vietnamese readers.
    assert!(timeline.contains(&format!("01:00 {}", s.today.format("%d/%m/%Y"))), "{timeline}");
    assert!(body.contains(&esc(HOSTILE_TOPIC)), "topics: {body}");
    assert!(body.contains("Thành phố Hồ Chí Minh — 2 bài"), "places: {body}");
    assert!(
        body.contains(&format!(r#"<a href="/alerts/{}">Tin đồn X</a>"#, s.story_alert_id)),
        "{body}"
    );
    for id in s.s1_docs {
        assert!(body.contains(&format!(r#"<a href="/documents/{id}">"#)), "{body}");
    }

    for missing in ["/stories/999999", "/stories/abc"] {
        let (status, body) = s.page(missing).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        assert!(body.contains("Không tìm thấy"), "{body}");
    }

    // The document page and the story alert on the board lead to the story.
    let (_, body) = s.page(&format!("/documents/{}", s.s1_docs[1])).await;
    assert!(body.contains(&format!(r#"Thuộc câu chuyện: <a href="/stories/{s1}">"#)), "{body}");
    let (_, body) = s.page("/").await;
    let row = &body[body.find(&format!(r#"id="alert-{}""#, s.story_alert_id)).unwrap()..];
    let row = &row[..row.find("</li>").unwrap()];
    assert!(row.contains(&format!(r#"<a href="/stories/{s1}">"#)), "{row}");
}

#[tokio::test]
async fn the_story_api_lists_and_explains_stories() {
    let s = start().await;
    let (status, v) = s.api("/api/v1/stories?since=30&limit=100").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let list = v["stories"].as_array().unwrap();
    assert_eq!(list.len(), 7, "{v}");
    let s1 = list.iter().find(|x| x["id"] == s.stories[0]).unwrap();
    assert_eq!(s1["title"], HOSTILE_STORY);
    assert_eq!(s1["first_publisher"]["source"], HOSTILE_SOURCE);
    assert_eq!(s1["first_publisher"]["document_id"], s.s1_docs[0]);
    assert_eq!(s1["first_publisher"]["basis"], "attribution");
    assert_eq!(s1["province"]["code"], "79");
    assert_eq!(s1["province"]["name"], "Thành phố Hồ Chí Minh");
    assert_eq!(
        (s1["documents"].as_i64(), s1["sightings"].as_i64(), s1["outlets"].as_i64()),
        (Some(2), Some(3), Some(3))
    );
    assert!(DateTime::parse_from_rfc3339(s1["first_seen"].as_str().unwrap()).is_ok());

    // Filters and paging.
    let (_, v) = s.api("/api/v1/stories?since=30&province=01").await;
    assert_eq!(v["stories"].as_array().unwrap().len(), 4, "{v}");
    let (_, v) = s.api("/api/v1/stories?since=30&rule=topic.sxh").await;
    assert_eq!(v["stories"].as_array().unwrap().len(), 3, "{v}");
    let (_, v) = s.api("/api/v1/stories?since=30&limit=2&offset=6").await;
    assert_eq!(v["stories"].as_array().unwrap().len(), 1, "{v}");
    let since = (Utc::now() - Duration::days(5)).to_rfc3339();
    let (status, v) = s.api(&format!("/api/v1/stories?since={}", since.replace('+', "%2B"))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["stories"].as_array().unwrap().len(), 4, "{v}");

    for (query, name) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("since=yesterday", "since"),
        ("since=0", "since"),
        ("province=74", "province"),
        ("rule=a%20b", "rule"),
    ] {
        let (status, v) = s.api(&format!("/api/v1/stories?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {v}");
        let message = v["error"].as_str().unwrap();
        assert!(message.contains(&format!("parameter {name}")), "{query}: {message}");
    }

    let (status, v) = s.api(&format!("/api/v1/stories/{}", s.stories[0])).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["story"]["id"], s.stories[0]);
    let timeline = v["timeline"].as_array().unwrap();
    let relations: Vec<&str> = timeline.iter().map(|t| t["relation"].as_str().unwrap()).collect();
    assert_eq!(relations, ["aggregator_copy", "origin", "republication_attributed"]);
    assert_eq!(timeline[0]["tier"], "aggregator");
    assert_eq!(timeline[0]["lag_minutes"], -30);
    assert_eq!(timeline[0]["anomalies"][0], "aggregator_too_early");
    assert_eq!(timeline[1]["title"], HOSTILE_STORY);
    assert_eq!(timeline[1]["source"], HOSTILE_SOURCE);
    let topics = v["topics"].as_array().unwrap();
    let sxh = topics.iter().find(|t| t["rule"] == "topic.sxh").unwrap();
    assert_eq!((sxh["kind"].as_str(), sxh["documents"].as_i64()), (Some("topic"), Some(2)));
    assert_eq!(v["places"][0]["code"], "79");
    assert_eq!(v["places"][0]["documents"], 2);
    assert_eq!(v["alerts"][0]["id"], s.story_alert_id);
    assert_eq!(v["alerts"][0]["kind"], "rumor");
    assert_eq!(v["documents"].as_array().unwrap().len(), 2);
    assert_eq!(v["documents"][0]["id"], s.s1_docs[0]);

    let (status, v) = s.api("/api/v1/stories/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    assert!(v["error"].is_string());
}

#[tokio::test]
async fn the_trends_api_counts_distinct_stories_per_day() {
    let s = start().await;
    let (status, v) = s.api("/api/v1/trends").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let days = v["days"].as_array().unwrap();
    assert_eq!(days.len(), 60);
    assert_eq!(days[59], s.today.to_string());
    let total = &v["series"][0];
    assert_eq!(total["topic"], Value::Null);
    assert_eq!(total["area"], "national");
    let counts: Vec<i64> =
        total["counts"].as_array().unwrap().iter().map(|c| c.as_i64().unwrap()).collect();
    // Today: S1 (two documents and a copy, counted once), S2, S3, S7; ten days ago S4–S6.
    assert_eq!(counts[59], 4, "{counts:?}");
    assert_eq!(counts[49], 3, "{counts:?}");
    assert_eq!(counts.iter().sum::<i64>(), 7, "{counts:?}");
    let sxh = v["series"].as_array().unwrap().iter().find(|x| x["topic"] == "topic.sxh").unwrap();
    assert_eq!(sxh["title"], HOSTILE_TOPIC);
    assert_eq!(sxh["counts"][59], 3);
    let province = |code: &str| {
        v["provinces"].as_array().unwrap().iter().find(|p| p["code"] == code).unwrap().clone()
    };
    assert_eq!(v["provinces"].as_array().unwrap().len(), 34);
    let hanoi = province("01");
    assert_eq!(
        (hanoi["stories"].as_i64(), hanoi["previous"].as_i64(), hanoi["growth"].as_i64()),
        (Some(4), Some(3), Some(-2))
    );
    assert_eq!(hanoi["name"], "Thành phố Hà Nội");
    assert_eq!(province("79")["growth"], 2);
    assert_eq!(province("96")["stories"], 0);
    let spike = &v["spikes"][0];
    assert_eq!(spike["alert_id"], s.spike_id);
    assert_eq!(spike["topic"], "topic.sxh");
    assert_eq!(spike["area"], "national");
    assert_eq!(spike["date"], s.today.to_string());
    assert_eq!(
        (spike["observed"].as_f64(), spike["expected"].as_f64(), spike["threshold"].as_f64()),
        (Some(7.0), Some(1.5), Some(4.25))
    );
    assert_eq!(spike["method"], "ears-c2");

    // Filters: one topic, one tier, one province, fewer days.
    let (_, v) = s.api("/api/v1/trends?topic=topic.sxh&tier=official&days=7").await;
    assert_eq!(v["days"].as_array().unwrap().len(), 7);
    assert_eq!(v["series"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["series"][0]["topic"], "topic.sxh");
    assert_eq!(v["series"][0]["counts"][6], 1, "only S1 has an official document: {v}");
    let (_, v) = s.api("/api/v1/trends?province=01&days=14").await;
    assert_eq!(v["series"][0]["area"], "01");
    assert_eq!(v["series"][0]["counts"][13], 1);
    assert_eq!(v["series"][0]["counts"][3], 3);
    assert!(v["spikes"].as_array().unwrap().is_empty(), "the spike is national: {v}");

    for (query, name) in [
        ("days=0", "days"),
        ("days=366", "days"),
        ("days=x", "days"),
        ("tier=blog", "tier"),
        ("province=00", "province"),
        ("topic=%22%3E", "topic"),
        ("sort=up", "sort"),
    ] {
        let (status, v) = s.api(&format!("/api/v1/trends?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {v}");
        let message = v["error"].as_str().unwrap();
        assert!(message.contains(&format!("parameter {name}")), "{query}: {message}");
    }
}

/// The province names in the order the trends page's table lists them.
fn table_order<'a>(body: &str, names: &[&'a str]) -> Vec<&'a str> {
    let table = &body[body.find("Bảng tỉnh, thành").unwrap()..];
    let mut found: Vec<(usize, &str)> = names
        .iter()
        .map(|n| (table.find(&format!(">{n}</a></td>")).unwrap_or_else(|| panic!("{n}")), *n))
        .collect();
    found.sort_unstable();
    found.into_iter().map(|f| f.1).collect()
}

#[tokio::test]
async fn the_trends_page_draws_the_chart_the_map_and_a_sortable_table() {
    let s = start().await;
    let (status, body) = s.page("/trends").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_no_script(&body);
    assert!(body.contains(r#"<svg class="chart""#), "{body}");
    assert_eq!(body.matches(r#"<rect class="bar""#).count(), 60, "one bar a day");
    assert!(body.contains("4 câu chuyện"), "today's bar is titled with its count: {body}");
    // The hostile topic title is text everywhere: the select, the legend, the spike list.
    assert!(body.contains("Sốt xuất huyết &#60;img src=x onerror=alert(2)&#62;"), "{body}");
    // The spike is marked on its day and links to its alert.
    assert!(
        body.contains(&format!(r#"<a class="spike" href="/alerts/{}">"#, s.spike_id)),
        "{body}"
    );
    // 34 tiles, each linking to its province's filter.
    let map = &body[body.find(r#"<svg class="tiles""#).unwrap()..];
    let map = &map[..map.find("</svg>").unwrap()];
    assert_eq!(map.matches(r#"<rect class="tile t"#).count(), 34, "{map}");
    assert!(
        body.contains(
            r#"<a href="/trends?province=79"><title>Thành phố Hồ Chí Minh: 2 câu chuyện"#
        ),
        "{body}"
    );
    assert!(body.contains("tile t4"), "the busiest unit has the darkest class: {body}");
    assert!(body.contains("không phải ranh giới"), "the map says it is a tile grid");

    let names = ["Thành phố Hà Nội", "Thành phố Hồ Chí Minh", "Thành phố Đà Nẵng", "Tỉnh An Giang"];
    // Growth (the default): HCM +2, Đà Nẵng +1, An Giang 0, Hà Nội −2.
    assert_eq!(
        table_order(&body, &names),
        ["Thành phố Hồ Chí Minh", "Thành phố Đà Nẵng", "Tỉnh An Giang", "Thành phố Hà Nội"]
    );
    let (_, body) = s.page("/trends?sort=count").await;
    assert_eq!(
        table_order(&body, &names),
        ["Thành phố Hà Nội", "Thành phố Hồ Chí Minh", "Thành phố Đà Nẵng", "Tỉnh An Giang"]
    );
    let (_, body) = s.page("/trends?sort=name").await;
    assert_eq!(
        table_order(&body, &names),
        ["Tỉnh An Giang", "Thành phố Đà Nẵng", "Thành phố Hà Nội", "Thành phố Hồ Chí Minh"]
    );
    // The headers link to the other orders and keep the filters.
    let (_, body) = s.page("/trends?tier=press&days=30&sort=name").await;
    let header = &body[body.find("<thead>").unwrap()..body.find("</thead>").unwrap()];
    assert!(
        header.contains(r#"<a href="/trends?tier=press&#38;days=30&#38;sort=count">"#),
        "{header}"
    );
    assert!(
        header.contains(r#"<a href="/trends?tier=press&#38;days=30">Tăng/giảm</a>"#),
        "{header}"
    );
    assert!(
        header
            .contains(r#"<a href="/trends?tier=press&#38;days=30&#38;sort=name" class="sorted">"#),
        "{header}"
    );

    // A province filter: its tile is outlined and links back to the whole country.
    let (_, body) = s.page("/trends?province=01").await;
    assert!(body.contains(r#"<a href="/trends"><title>Thành phố Hà Nội"#), "{body}");
    assert!(body.contains("tile t4 selected"), "{body}");
    assert!(body.contains("— Thành phố Hà Nội</h2>"), "{body}");

    for bad in
        ["/trends?days=400", "/trends?tier=x", "/trends?province=1", "/trends?sort=%3Cscript%3E"]
    {
        let (status, body) = s.page(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(body.contains("Tham số không hợp lệ"), "{bad}: {body}");
        assert_no_script(&body);
    }
}

#[tokio::test]
async fn a_spike_alert_is_explained_on_the_board_and_in_the_api() {
    let s = start().await;
    let (status, body) = s.page("/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_no_script(&body);
    let start =
        body.find(&format!(r#"id="alert-{}""#, s.spike_id)).expect("the spike is on the board");
    let row = &body[start..];
    let row = &row[..row.find("</li>").unwrap()];
    assert!(
        row.contains(
            "Tăng đột biến: Sốt xuất huyết &#60;img src=x onerror=alert(2)&#62; — Toàn quốc"
        ),
        "{row}"
    );
    assert!(row.contains(&format!("ngày {}", s.today.format("%d/%m/%Y"))), "{row}");
    assert!(row.contains("<strong>7</strong> câu chuyện, dự kiến 1.5, ngưỡng 4.25"), "{row}");
    assert!(row.contains("ears-c2 (ears-c2/1)"), "{row}");
    assert!(row.contains("7 điểm"), "the baseline window: {row}");
    assert!(row.contains("Ngày ASEAN phòng chống sốt xuất huyết"), "{row}");
    assert!(row.contains("3 nguồn"), "{row}");
    for story in &s.stories[..2] {
        assert!(row.contains(&format!(r#"<a href="/stories/{story}">#{story}</a>"#)), "{row}");
    }
    assert!(row.contains(r#"href="/trends?topic=topic.sxh""#), "{row}");
    assert!(row.contains(r#"<svg class="sparkline""#) && row.contains("<polyline"), "{row}");

    let (status, v) = s.api("/api/v1/alerts").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let alerts = v["alerts"].as_array().unwrap();
    let spike = alerts.iter().find(|a| a["id"] == s.spike_id).unwrap();
    assert_eq!(spike["kind"], "spike");
    assert_eq!(spike["subject"], format!("spike:national:{}", s.today));
    assert_eq!(spike["story"], Value::Null);
    assert_eq!(spike["detail"]["observed"], 7.0);
    assert_eq!(spike["detail"]["stories"][0], s.stories[0]);
    let story_alert = alerts.iter().find(|a| a["id"] == s.story_alert_id).unwrap();
    assert_eq!(story_alert["story"], s.stories[0]);
    assert_eq!(story_alert["detail"], Value::Null);
}
