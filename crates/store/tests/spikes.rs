//! What spike scans read and write, on every configured back end (SQLite always,
//! PostgreSQL when `LANGNGHE_TEST_POSTGRES_URL` is set): topic sightings of stories per
//! outlet and Vietnam day at their publication time, and spike alerts that open once per
//! (topic, subject), grow, stay closed once closed, and show on the alert board; hourly
//! spike alerts open once per (topic, area, day).

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use model::{
    DocumentPlaces, Hit, MatchedTerm, NewDocument, RuleKind, Severity, SourceKind, SourceTier,
    Timestamp,
};
use store::{NewSource, Placement, Processed, SpikeApplied, SpikeSighting, Store};

/// A time on 20 November 2026, written in Vietnam time.
fn vn(day: u32, hour: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap() - Duration::hours(7)
}

fn hit(rule: &str, kind: RuleKind) -> Hit {
    Hit {
        rule_id: rule.into(),
        rule_title: format!("Rule {rule}").into(),
        kind,
        severity: Severity::Medium,
        terms: vec![MatchedTerm { field: "body", start: 0, end: 3, term: "sốt".into() }],
    }
}

struct Doc<'a> {
    source: i64,
    url: &'a str,
    hash: &'a str,
    published: Option<Timestamp>,
    fetched: Timestamp,
    story: Option<i64>,
    province: Option<&'a str>,
    hits: Vec<Hit>,
}

/// Stores a document (or, when its text is known, a sighting of the stored one) and
/// places it in its story; the id of the document stored, if new.
async fn put(store: &Store, d: Doc<'_>) -> Option<i64> {
    let doc = NewDocument {
        source_id: d.source,
        url: d.url.to_owned(),
        title: "Sốt xuất huyết tăng".to_owned(),
        summary: String::new(),
        body: "Số ca sốt xuất huyết tăng.".to_owned(),
        author: None,
        published_at: d.published,
        fetched_at: d.fetched,
        language: "vi".to_owned(),
        content_hash: d.hash.to_owned(),
        post: None,
    };
    let mut p = Processed::new(doc, d.hits);
    p.places = DocumentPlaces { province: d.province.map(str::to_owned), places: Vec::new() };
    let story = d.story;
    let stored = store
        .insert_batch_placed(
            &[p],
            &mut store::placing(|_, ins| {
                ins.iter().map(|i| Placement { document_id: i.id, story, copy_of: None }).collect()
            }),
        )
        .await
        .unwrap();
    stored.inserted.first().map(|i| i.id)
}

async fn source(store: &Store, name: &str) -> i64 {
    let s = NewSource {
        name: name.into(),
        url: format!("http://127.0.0.1:1/{name}.xml"),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        interval_secs: 300,
        allow_private: true,
        ..NewSource::default()
    };
    store.upsert_source(&s, vn(1, 0)).await.unwrap().id
}

/// Every back end with its URL, so a test can also change rows the store has no
/// operation for yet (closing an alert).
async fn each_store(f: impl AsyncFn(&'static str, Store, String)) {
    let dir = tempfile::tempdir().unwrap();
    let mut urls =
        vec![("sqlite", format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()))];
    if let Some(base) = store::testing::postgres_base_url() {
        urls.push(("postgres", store::testing::fresh_postgres_url(&base).await));
    }
    for (name, url) in urls {
        let store = Store::open(&url).await.unwrap();
        f(name, store.clone(), url).await;
        store.close().await;
    }
}

async fn execute(url: &str, sql: &str, id: i64) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::query(sql).bind(id).execute(&pool).await.unwrap();
    pool.close().await;
}

fn topics(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| (*t).to_owned()).collect()
}

#[tokio::test]
async fn sightings_count_once_per_document_outlet_and_day_at_publication() {
    each_store(async |backend, store, _| {
        let (a, b) = (source(&store, "a").await, source(&store, "b").await);
        let topical = || {
            vec![
                hit("topic.b", RuleKind::Topic),
                hit("topic.a", RuleKind::Topic),
                hit("rumor.x", RuleKind::Rumor),
            ]
        };
        let d1 = put(
            &store,
            Doc {
                source: a,
                url: "https://a.vn/1",
                hash: "h1",
                published: Some(vn(20, 9)),
                fetched: vn(20, 10),
                story: Some(10),
                province: Some("79"),
                hits: topical(),
            },
        )
        .await
        .unwrap();
        // Copies: at another outlet (no publication time: its fetch time counts), at the
        // same outlet later that day (the same sighting for counting), and the next day.
        for (source, url, fetched) in [
            (b, "https://b.vn/1", vn(20, 11)),
            (a, "https://a.vn/1-again", vn(20, 15)),
            (a, "https://a.vn/1-next-day", vn(21, 10)),
        ] {
            let copy = Doc {
                source,
                url,
                hash: "h1",
                published: None,
                fetched,
                story: None,
                province: None,
                hits: vec![],
            };
            assert_eq!(put(&store, copy).await, None, "{backend}: {url} is a copy");
        }
        // A publication time after the fetch is a clock ahead: the fetch time counts.
        let d2 = put(
            &store,
            Doc {
                source: a,
                url: "https://a.vn/2",
                hash: "h2",
                published: Some(vn(21, 9)),
                fetched: vn(20, 12),
                story: Some(11),
                province: None,
                hits: vec![hit("topic.a", RuleKind::Topic)],
            },
        )
        .await
        .unwrap();
        // Left out: no story; no topic hit.
        let no_story = Doc {
            source: a,
            url: "https://a.vn/3",
            hash: "h3",
            published: Some(vn(20, 9)),
            fetched: vn(20, 9),
            story: None,
            province: None,
            hits: vec![hit("topic.a", RuleKind::Topic)],
        };
        put(&store, no_story).await.unwrap();
        let no_topic = Doc {
            source: a,
            url: "https://a.vn/4",
            hash: "h4",
            published: Some(vn(20, 9)),
            fetched: vn(20, 9),
            story: Some(12),
            province: None,
            hits: vec![hit("rumor.x", RuleKind::Rumor)],
        };
        put(&store, no_topic).await.unwrap();
        // History fetched today, published on 2 November: it lands on its day.
        let old = put(
            &store,
            Doc {
                source: b,
                url: "https://b.vn/old",
                hash: "h5",
                published: Some(vn(2, 8)),
                fetched: vn(20, 8),
                story: Some(13),
                province: Some("01"),
                hits: vec![hit("topic.a", RuleKind::Topic)],
            },
        )
        .await
        .unwrap();

        let row =
            |at, document_id, story, source, province: Option<&str>, t: &[&str]| SpikeSighting {
                at,
                document_id,
                story,
                source,
                province: province.map(str::to_owned),
                topics: topics(t),
            };
        let got = store.spike_sightings(vn(19, 0), vn(22, 0)).await.unwrap();
        assert_eq!(
            got,
            [
                row(vn(20, 9), d1, 10, a, Some("79"), &["topic.a", "topic.b"]),
                row(vn(20, 11), d1, 10, b, Some("79"), &["topic.a", "topic.b"]),
                row(vn(20, 12), d2, 11, a, None, &["topic.a"]),
                row(vn(21, 10), d1, 10, a, Some("79"), &["topic.a", "topic.b"]),
            ],
            "{backend}"
        );
        // The range is half-open and bounds what is read.
        let today = store.spike_sightings(vn(20, 0), vn(20, 11)).await.unwrap();
        assert_eq!(today.len(), 1, "{backend}: {today:?}");
        let month = store.spike_sightings(vn(1, 0), vn(20, 0)).await.unwrap();
        assert_eq!(month, [row(vn(2, 8), old, 13, b, Some("01"), &["topic.a"])], "{backend}");
    })
    .await;
}

fn upsert(docs: &[(i64, Timestamp)], observed: u32, severity: Severity) -> alerts::SpikeUpsert {
    alerts::SpikeUpsert {
        rule_id: "topic.a".to_owned(),
        subject: "spike:79:2026-11-20".to_owned(),
        subject_prefix: None,
        rule_title: "Sốt xuất huyết".to_owned(),
        severity,
        first_seen: docs.first().unwrap().1,
        last_seen: docs.last().unwrap().1,
        documents: docs.to_vec(),
        detail: format!(r#"{{"observed":{observed}}}"#),
    }
}

#[tokio::test]
async fn a_spike_alert_opens_once_grows_and_stays_closed() {
    each_store(async |backend, store, url| {
        let a = source(&store, "a").await;
        let mut docs = Vec::new();
        for i in 0..4 {
            let at = vn(20, 8 + i);
            let id = put(
                &store,
                Doc {
                    source: a,
                    url: &format!("https://a.vn/{i}"),
                    hash: &format!("h{i}"),
                    published: Some(at),
                    fetched: at,
                    story: Some(100 + i64::from(i)),
                    province: Some("79"),
                    hits: vec![hit("topic.a", RuleKind::Topic)],
                },
            )
            .await
            .unwrap();
            docs.push((id, at));
        }

        let first = upsert(&docs[..2], 2, Severity::High);
        let Some(SpikeApplied::Opened(id)) = store.apply_spike(&first).await.unwrap() else {
            panic!("{backend}: no alert opened");
        };
        assert_eq!(
            store.apply_spike(&first).await.unwrap(),
            Some(SpikeApplied::Unchanged(id)),
            "{backend}: the same spike again"
        );
        let alerts = store.spike_alerts(10).await.unwrap();
        assert_eq!(alerts.len(), 1, "{backend}");
        let alert = &alerts[0];
        assert_eq!(alert.kind, RuleKind::Spike);
        assert_eq!(
            (alert.rule_id.as_str(), alert.subject.as_str()),
            ("topic.a", "spike:79:2026-11-20")
        );
        assert_eq!((alert.doc_count, alert.last_document_id), (2, docs[1].0), "{backend}");
        assert_eq!(alert.detail.as_deref(), Some(r#"{"observed":2}"#));
        assert_eq!((alert.first_seen, alert.last_seen), (docs[0].1, docs[1].1));

        // The count grew: more documents, a new explanation, the severity never lowers.
        let grown = upsert(&docs[..3], 3, Severity::Medium);
        assert_eq!(store.apply_spike(&grown).await.unwrap(), Some(SpikeApplied::Updated(id)));
        let alert = &store.spike_alerts(10).await.unwrap()[0];
        assert_eq!((alert.id, alert.doc_count, alert.last_document_id), (id, 3, docs[2].0));
        assert_eq!(alert.detail.as_deref(), Some(r#"{"observed":3}"#), "{backend}");
        assert_eq!(alert.severity, Severity::High, "{backend}: severity lowered");
        assert_eq!(alert.last_seen, docs[2].1);
        let attached = store.alert_document_ids(id).await.unwrap();
        assert_eq!(attached.into_iter().collect::<Vec<_>>(), [docs[0].0, docs[1].0, docs[2].0]);

        // On the board with the topic's evidence in its latest document.
        let board = store.alert_board(None, 10).await.unwrap();
        assert_eq!(board.len(), 1, "{backend}: the spike is missing from the board");
        assert_eq!(board[0].alert.id, id);
        assert_eq!(board[0].document.id, docs[2].0);
        assert_eq!(board[0].hit.terms.len(), 1);

        // Closed by an officer: the window stays closed, nothing new opens.
        execute(&url, "UPDATE alerts SET state = 'closed' WHERE id = $1", id).await;
        let later = upsert(&docs, 4, Severity::High);
        assert_eq!(store.apply_spike(&later).await.unwrap(), Some(SpikeApplied::Closed(id)));
        let alerts = store.spike_alerts(10).await.unwrap();
        assert_eq!(alerts.len(), 1, "{backend}: a closed spike reopened");
        assert_eq!(alerts[0].doc_count, 3);
        assert_eq!(store.counts().await.unwrap().alerts, 1);

        // Another window is another alert; a tag's spike, whose rule hits no document,
        // shows on the board too, without terms.
        let mut next = upsert(&docs[3..], 1, Severity::Medium);
        next.subject = "spike:79:2026-11-21".to_owned();
        next.rule_id = "tag:bệnh truyền nhiễm".to_owned();
        let Some(SpikeApplied::Opened(tag_id)) = store.apply_spike(&next).await.unwrap() else {
            panic!("{backend}: the next window did not open an alert");
        };
        assert_ne!(tag_id, id);
        let board = store.alert_board(None, 10).await.unwrap();
        assert_eq!(board.len(), 2, "{backend}: the tag's spike is missing from the board");
        assert_eq!((board[0].alert.id, board[0].document.id), (tag_id, docs[3].0));
        assert!(board[0].hit.terms.is_empty());
        next.documents.clear();
        next.subject = "spike:79:2026-11-22".to_owned();
        assert_eq!(store.apply_spike(&next).await.unwrap(), None);
        assert_eq!(store.spike_alerts(10).await.unwrap().len(), 2, "{backend}");
    })
    .await;
}

/// An hourly spike of topic.a in `area` at `hour` on 20 November (Vietnam time).
fn hourly(docs: &[(i64, Timestamp)], area: &str, day: u32, hour: u32) -> alerts::SpikeUpsert {
    alerts::SpikeUpsert {
        subject: format!("spike:{area}:2026-11-{day}T{hour:02}"),
        subject_prefix: Some(format!("spike:{area}:2026-11-{day}T")),
        detail: format!(r#"{{"hour":{hour}}}"#),
        ..upsert(docs, 6, Severity::Medium)
    }
}

#[tokio::test]
async fn hourly_spikes_of_one_day_share_one_alert() {
    each_store(async |backend, store, url| {
        let a = source(&store, "a").await;
        let mut docs = Vec::new();
        for i in 0..4 {
            let at = vn(20, 9 + i);
            let hash = format!("h{i}");
            let doc = Doc {
                source: a,
                url: &format!("https://a.vn/{i}"),
                hash: &hash,
                published: Some(at),
                fetched: at,
                story: Some(200 + i64::from(i)),
                province: Some("79"),
                hits: vec![hit("topic.a", RuleKind::Topic)],
            };
            docs.push((put(&store, doc).await.unwrap(), at));
        }
        // The day's alert of the same topic is another incident: its subject has no hour.
        let Some(SpikeApplied::Opened(daily)) =
            store.apply_spike(&upsert(&docs[..1], 1, Severity::Medium)).await.unwrap()
        else {
            panic!("{backend}: no daily alert");
        };

        let Some(SpikeApplied::Opened(id)) =
            store.apply_spike(&hourly(&docs[..1], "79", 20, 9)).await.unwrap()
        else {
            panic!("{backend}: no hourly alert opened");
        };
        assert_ne!(id, daily, "{backend}: the hour joined the day's alert");
        // 13:00 spikes too: the 09:00 alert grows, keeping its subject.
        assert_eq!(
            store.apply_spike(&hourly(&docs[..3], "79", 20, 13)).await.unwrap(),
            Some(SpikeApplied::Updated(id)),
            "{backend}"
        );
        assert_eq!(
            store.apply_spike(&hourly(&docs[..3], "79", 20, 13)).await.unwrap(),
            Some(SpikeApplied::Unchanged(id)),
            "{backend}: the same hour again"
        );
        let all = store.spike_alerts(10).await.unwrap();
        let alert = all.iter().find(|x| x.id == id).unwrap();
        assert_eq!(all.len(), 2, "{backend}: {all:?}");
        assert_eq!(alert.subject, "spike:79:2026-11-20T09");
        assert_eq!(alert.detail.as_deref(), Some(r#"{"hour":13}"#));
        assert_eq!((alert.doc_count, alert.last_document_id), (3, docs[2].0), "{backend}");

        // Another area, or the next day, is another incident.
        let Some(SpikeApplied::Opened(national)) =
            store.apply_spike(&hourly(&docs[..1], "national", 20, 13)).await.unwrap()
        else {
            panic!("{backend}: the national hour joined the province's alert");
        };
        let Some(SpikeApplied::Opened(next_day)) =
            store.apply_spike(&hourly(&docs[3..], "79", 21, 2)).await.unwrap()
        else {
            panic!("{backend}: the next day joined the previous day's alert");
        };
        assert!(national != id && next_day != id && national != next_day);

        // Closed by an officer: later hours of that day open nothing; the day alert is
        // untouched by it.
        execute(&url, "UPDATE alerts SET state = 'closed' WHERE id = $1", id).await;
        assert_eq!(
            store.apply_spike(&hourly(&docs, "79", 20, 16)).await.unwrap(),
            Some(SpikeApplied::Closed(id)),
            "{backend}"
        );
        assert_eq!(store.spike_alerts(10).await.unwrap().len(), 4, "{backend}");
        assert_eq!(
            store.apply_spike(&upsert(&docs[..1], 1, Severity::Medium)).await.unwrap(),
            Some(SpikeApplied::Unchanged(daily)),
            "{backend}"
        );
    })
    .await;
}
