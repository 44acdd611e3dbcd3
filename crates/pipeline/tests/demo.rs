//! The pipeline on the demo corpus, fetched over real HTTP from a loopback server.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use model::{SourceKind, SourceTier};
use pipeline::{Pipeline, PollReport};
use search::{SearchIndex, Sort};
use store::{NewSource, Store, StoryQuery};

#[path = "support/build.rs"]
// Shared by the pipeline's tests; each uses part of it.
#[allow(dead_code)]
mod build;

async fn pipeline(store: Store, dir: &Path) -> Pipeline {
    build::pipeline(store, dir, build::Rules::Shipped, Some(Duration::from_millis(100)))
}

async fn add_demo_sources(store: &Store, server: &demo::FeedServer) {
    for (name, url, tier) in server.feeds() {
        let s = NewSource {
            name,
            url,
            kind: SourceKind::Feed,
            tier: tier.parse().unwrap_or(SourceTier::Press),
            interval_secs: 600,
            allow_private: true,
            ..NewSource::default()
        };
        store.upsert_source(&s, Utc::now()).await.unwrap();
    }
}

/// Documents of the corpus whose title or text has all three syllables of "sốt xuất huyết"
/// (case aside): what a search for it finds.
fn dengue_documents(outlets: &[demo::Outlet]) -> usize {
    let mut seen = std::collections::HashSet::new();
    outlets
        .iter()
        .flat_map(|o| &o.items)
        .filter(|i| seen.insert((i.title.as_str(), i.summary.as_str(), i.body.as_str())))
        .filter(|i| {
            let text = format!("{} {} {}", i.title, i.summary, i.body).to_lowercase();
            let mut words: std::collections::HashSet<&str> =
                text.split(|c: char| !c.is_alphanumeric()).collect();
            // In a sentence typed without diacritics an accented term also matches its bare
            // spelling, as the search does.
            for sentence in text.split(['.', '!', '?', '\n']) {
                if sentence.is_ascii() {
                    for (bare, accented) in [("sot", "sốt"), ("xuat", "xuất"), ("huyet", "huyết")]
                    {
                        if sentence.split(|c: char| !c.is_alphanumeric()).any(|w| w == bare) {
                            words.insert(accented);
                        }
                    }
                }
            }
            // Social posts' `sxh` reads as the three syllables (`vi_text` expands chat
            // abbreviations for rules and search alike).
            words.contains("sxh") || ["sốt", "xuất", "huyết"].iter().all(|w| words.contains(w))
        })
        .count()
}

#[tokio::test]
async fn demo_feeds_flow_to_documents_alerts_and_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let outlets = demo::corpus_at(now);
    let items: usize = outlets.iter().map(|o| o.items.len()).sum();
    let documents = demo::distinct_articles(&outlets);
    // Word-for-word copies: the reshared dengue article and the rumour's three carriers.
    assert_eq!(items - documents, 4);
    let server = demo::FeedServer::start(&outlets, 0, now).await.unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let dir = dir.path().join(backend);
        add_demo_sources(&store, &server).await;
        let p = pipeline(store.clone(), &dir).await;
        let reports = p.fetch_once().await.unwrap();
        assert_eq!(reports.len(), outlets.len(), "{backend}: {reports:?}");
        let added: usize = reports
            .iter()
            .map(|r| match r {
                PollReport::Ingested { report, .. } => report.added,
                other => panic!("{backend}: unexpected {other:?}"),
            })
            .sum();
        // Items that repeat another outlet's word for word are sightings, not documents.
        assert_eq!(added, documents, "{backend}");
        let counts = store.counts().await.unwrap();
        assert_eq!(counts.documents as usize, documents);
        assert!(counts.alerts >= 5, "{backend}: only {} alerts", counts.alerts);
        let board = store.alert_board(None, 100).await.unwrap();
        let rules: Vec<&str> = board.iter().map(|e| e.alert.rule_id.as_str()).collect();
        for expected in [
            "rumor.than-duoc",
            "rumor.chong-vac-xin",
            "crisis.ngo-doc-tap-the",
            "crisis.san-phu-tu-vong",
        ] {
            assert!(rules.contains(&expected), "{backend}: no {expected} alert in {rules:?}");
        }
        let unrelated = ["Giá vàng", "Kẹt xe", "U23", "canh chua"];
        for e in &board {
            assert!(
                !unrelated.iter().any(|u| e.document.doc.title.contains(u)),
                "{backend}: false alert {e:?}"
            );
        }

        // Stories: the spike day's dengue incidents in Đồng Nai stay distinct stories, and
        // the rumour is one story seen on four outlets, first by the one that published it.
        let history = demo::history(now);
        let spike_day = history.spike_day;
        let stories = store
            .stories(&StoryQuery {
                province: Some(demo::history::SPIKE_PROVINCE.to_owned()),
                rule: Some(demo::history::SPIKE_TOPIC.to_owned()),
                limit: 1000,
                ..StoryQuery::default()
            })
            .await
            .unwrap();
        let per_day = |day: chrono::NaiveDate| {
            stories.iter().filter(|s| demo::history::vietnam_date(s.first_seen) == day).count()
        };
        assert!(
            per_day(spike_day) >= 10,
            "{backend}: {} stories on {spike_day}",
            per_day(spike_day)
        );
        for back in 1..=28 {
            let day = spike_day - chrono::Duration::days(back);
            assert!(per_day(day) <= 2, "{backend}: {} stories on {day}", per_day(day));
        }
        let rumour = store
            .stories(&StoryQuery {
                rule: Some("rumor.than-duoc".to_owned()),
                limit: 100,
                ..StoryQuery::default()
            })
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.title.starts_with("Lá đu đủ"))
            .unwrap_or_else(|| panic!("{backend}: no story for the papaya-leaf rumour"));
        assert_eq!((rumour.sightings, rumour.outlets), (4, 4), "{backend}: {rumour:?}");
        assert_eq!(rumour.origin_source_name, "Góc Chia Sẻ Cộng Đồng", "{backend}: {rumour:?}");

        // Second poll: every server supports conditional GET, nothing changes.
        store.make_all_due(Utc::now()).await.unwrap();
        let again = p.fetch_once().await.unwrap();
        assert!(
            again.iter().all(|r| matches!(r, PollReport::NotModified { .. })),
            "{backend}: {again:?}"
        );
        assert_eq!(store.counts().await.unwrap().documents as usize, documents);

        // Search agrees with and without diacritics, and reindexing reproduces it.
        let index = SearchIndex::open_read_only(&dir.join("index")).unwrap();
        let ids = |q: &str| {
            let mut v: Vec<i64> = index
                .search(q, Sort::Relevance, 100, 0)
                .unwrap()
                .hits
                .iter()
                .map(|h| h.id)
                .collect();
            v.sort();
            v
        };
        let accented = ids("sốt xuất huyết");
        assert_eq!(accented.len(), dengue_documents(&outlets), "{backend}: {accented:?}");
        assert_eq!(ids("sot xuat huyet"), accented);
        drop(index);
        assert_eq!(p.reindex().await.unwrap(), documents);
        let index = SearchIndex::open_read_only(&dir.join("index")).unwrap();
        index.refresh().unwrap();
        assert_eq!(
            index.search("sot xuat huyet", Sort::Relevance, 100, 0).unwrap().total,
            accented.len()
        );
        store.close().await;
    }
}

#[tokio::test]
async fn run_drains_on_shutdown_and_records_failures() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let outlets = demo::corpus_at(now);
    let documents = demo::distinct_articles(&outlets) as i64;
    let server = demo::FeedServer::start(&outlets, 0, now).await.unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    add_demo_sources(&store, &server).await;
    // A source nobody answers: the poll fails, the error is recorded, the rest goes on.
    let dead = NewSource {
        name: "Chết".into(),
        url: "http://127.0.0.1:9/feed.xml".into(),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        interval_secs: 60,
        allow_private: true,
        ..NewSource::default()
    };
    store.upsert_source(&dead, Utc::now()).await.unwrap();
    let p = pipeline(store.clone(), dir.path()).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn({
        let p = p.clone();
        async move {
            p.run(async {
                stopped.await.ok();
            })
            .await
        }
    });
    for _ in 0..200 {
        if store.counts().await.unwrap().documents == documents {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    assert_eq!(store.counts().await.unwrap().documents, documents);
    let sources = store.list_sources().await.unwrap();
    let failed = sources.iter().find(|s| s.name == "Chết").unwrap();
    assert_eq!(failed.state.error_count, 1);
    assert!(
        failed.state.last_error.as_deref().unwrap_or_default().contains("127.0.0.1:9"),
        "{failed:?}"
    );
    assert!(failed.state.next_poll_at.unwrap() > Utc::now() + chrono::Duration::seconds(60));
    drop(p);
    let index = SearchIndex::open_read_only(&dir.path().join("index")).unwrap();
    assert_eq!(index.num_docs() as i64, documents, "everything fetched before shutdown is indexed");
}
