//! What lets several processes share one database, on every configured back end (SQLite
//! always, PostgreSQL when `LANGNGHE_TEST_POSTGRES_URL` is set): a due source is claimed by
//! one holder at a time, the claim runs out unless renewed, and recording the poll ends it;
//! blocks of story keys reserved side by side never overlap; the story log gives each
//! reader the decisions after its position, in order, and tells it when they were pruned.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::time::Duration;

use chrono::{TimeDelta, TimeZone, Utc};
use model::Timestamp;
use store::{NewSource, PollSuccess, Store};

const TTL: Duration = Duration::from_secs(60);

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

fn at(secs: i64) -> Timestamp {
    now() + TimeDelta::seconds(secs)
}

async fn add_source(store: &Store, n: usize) -> i64 {
    let s = NewSource {
        name: format!("Báo {n}"),
        url: format!("http://127.0.0.1:1/{n}.xml"),
        interval_secs: 300,
        allow_private: true,
        ..NewSource::default()
    };
    store.upsert_source(&s, now()).await.unwrap().id
}

async fn claim(store: &Store, holder: &str, when: Timestamp) -> Vec<i64> {
    let mut ids: Vec<i64> = store
        .claim_due_sources(holder, when, TTL, 100)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn a_claim_holds_until_it_runs_out_or_the_poll_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let a = add_source(&store, 1).await;
        let b = add_source(&store, 2).await;
        let off = add_source(&store, 3).await;
        store.set_source_enabled(off, false, now()).await.unwrap();

        // Due and enabled sources go to the first claimer, nothing to the next.
        assert_eq!(claim(&store, "w1", now()).await, vec![a, b], "{backend}");
        assert!(claim(&store, "w2", now()).await.is_empty(), "{backend}");
        let (holder, until) = store.source_claim(a).await.unwrap().unwrap();
        assert_eq!((holder.as_deref(), until), (Some("w1"), at(60)), "{backend}");

        // Renewed, the claim outlives its first term; unrenewed, it runs out and another
        // holder takes the sources.
        assert_eq!(store.renew_source_claims("w1", at(30), TTL).await.unwrap(), 2);
        assert!(claim(&store, "w2", at(61)).await.is_empty(), "{backend}");
        assert_eq!(claim(&store, "w2", at(90)).await, vec![a, b], "{backend}");
        assert_eq!(
            store.renew_source_claims("w1", at(91), TTL).await.unwrap(),
            0,
            "{backend}: a claim taken over is no longer the old holder's"
        );

        // Recording the poll ends the claim; the source is due again at its next poll.
        let poll = PollSuccess {
            etag: None,
            last_modified: None,
            at: at(95),
            interval_secs: 300,
            next_poll: at(120),
            not_modified: true,
        };
        store.record_fetch_success(a, &poll).await.unwrap();
        assert_eq!(store.source_claim(a).await.unwrap(), None, "{backend}");
        assert!(claim(&store, "w3", at(119)).await.is_empty(), "{backend}");
        assert_eq!(claim(&store, "w3", at(120)).await, vec![a], "{backend}");
        store.record_fetch_failure(a, "refused", at(121), at(500)).await.unwrap();
        assert_eq!(store.source_claim(a).await.unwrap(), None, "{backend}");

        // An abandoned claim is no longer renewed but keeps the time it had left.
        assert!(store.abandon_source_claim(b, "w2").await.unwrap(), "{backend}");
        assert!(!store.abandon_source_claim(b, "w2").await.unwrap(), "{backend}");
        assert_eq!(store.renew_source_claims("w2", at(100), TTL).await.unwrap(), 0);
        assert_eq!(store.source_claim(b).await.unwrap(), Some((None, at(150))), "{backend}");
        assert!(claim(&store, "w4", at(149)).await.is_empty(), "{backend}");
        assert_eq!(claim(&store, "w4", at(150)).await, vec![b], "{backend}");

        // A holder that stops gives its claims back at once.
        assert_eq!(store.release_source_claims("w4").await.unwrap(), 1, "{backend}");
        assert_eq!(claim(&store, "w5", at(151)).await, vec![b], "{backend}");
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_take_disjoint_sources() {
    const SOURCES: usize = 200;
    const CLAIMERS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let mut all = HashSet::new();
        for n in 0..SOURCES {
            all.insert(add_source(&store, n).await);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..CLAIMERS {
            let store = store.clone();
            tasks.spawn(async move {
                let holder = format!("worker-{c}");
                let mut mine = Vec::new();
                loop {
                    let got = store.claim_due_sources(&holder, now(), TTL, 7).await.unwrap();
                    if got.is_empty() {
                        break mine;
                    }
                    mine.extend(got.into_iter().map(|s| s.id));
                    tokio::task::yield_now().await;
                }
            });
        }
        let mut claimed = Vec::new();
        let mut claimers_with_work = 0;
        while let Some(mine) = tasks.join_next().await {
            let mine = mine.unwrap();
            claimers_with_work += usize::from(!mine.is_empty());
            claimed.extend(mine);
        }
        let distinct: HashSet<i64> = claimed.iter().copied().collect();
        assert_eq!(claimed.len(), SOURCES, "{backend}: a source was claimed twice");
        assert_eq!(distinct, all, "{backend}");
        assert!(claimers_with_work > 1, "{backend}: the claimers never ran side by side");
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn story_key_blocks_never_overlap_and_start_above_the_keys_in_use() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let first = store.reserve_story_keys(10).await.unwrap();
        assert_eq!(first, 1, "{backend}: an empty store starts at 1");
        assert_eq!(store.reserve_story_keys(5).await.unwrap(), 11, "{backend}");
        // Keys given out another way (a rebuild uses the next story id) are skipped.
        let sid = add_source(&store, 1).await;
        let id = document(&store, sid, "http://127.0.0.1:1/bai.html").await;
        let placement = store::Placement { document_id: id, story: Some(40), copy_of: None };
        store.place_documents(&[placement], chrono::Utc::now()).await.unwrap();
        assert_eq!(store.reserve_story_keys(1).await.unwrap(), 41, "{backend}");

        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let store = store.clone();
            tasks.spawn(async move {
                let mut blocks = Vec::new();
                for n in 1..=20 {
                    blocks.push((store.reserve_story_keys(n).await.unwrap(), n as i64));
                }
                blocks
            });
        }
        let mut blocks: Vec<(i64, i64)> = Vec::new();
        while let Some(mine) = tasks.join_next().await {
            blocks.extend(mine.unwrap());
        }
        blocks.sort_unstable();
        assert!(blocks[0].0 >= 42, "{backend}");
        for pair in blocks.windows(2) {
            let ((a, n), (b, _)) = (pair[0], pair[1]);
            assert!(a + n <= b, "{backend}: blocks {pair:?} overlap");
        }
        store.close().await;
    }
}

/// Stores one document of its own text under `url`; returns its id.
async fn document(store: &Store, source: i64, url: &str) -> i64 {
    let doc = model::NewDocument {
        source_id: source,
        url: url.to_owned(),
        title: format!("Tin {url}"),
        summary: String::new(),
        body: format!("Nội dung {url}"),
        author: None,
        published_at: None,
        fetched_at: now(),
        language: "vi".to_owned(),
        content_hash: url.to_owned(),
        post: None,
    };
    store.insert_batch(&[store::Processed::new(doc, Vec::new())]).await.unwrap().inserted[0].id
}

#[tokio::test]
async fn the_story_log_gives_each_reader_what_was_decided_after_it_in_order() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let sid = add_source(&store, 1).await;
        let gone_source = add_source(&store, 2).await;
        let (a, b) = (document(&store, sid, "a").await, document(&store, sid, "b").await);
        let gone = document(&store, gone_source, "c").await;
        assert_eq!(store.story_log_end().await.unwrap(), 0, "{backend}");

        let placed = |document_id, story| store::Placement {
            document_id,
            story: Some(story),
            copy_of: None,
        };
        let (mut decision, log) = store.decide_stories(0).await.unwrap();
        assert!(log.entries.is_empty() && !log.behind, "{backend}");
        decision.place(&[placed(a, 7), placed(gone, 7)], now()).await.unwrap();
        let first = decision.commit().await.unwrap();
        store.merge_stories(&[(9, 7)], now()).await.unwrap();
        let (mut decision, _) = store.decide_stories(first).await.unwrap();
        decision
            .place(
                &[placed(b, 8), store::Placement { document_id: b, story: None, copy_of: None }],
                now(),
            )
            .await
            .unwrap();
        let end = decision.commit().await.unwrap();
        assert_eq!(store.story_log_end().await.unwrap(), end, "{backend}");

        // A reader at the start gets every decision in order; a document deleted since
        // (its source purged) is left out, and so is a placement with no story.
        store.remove_source(gone_source, true).await.unwrap();
        let (decision, log) = store.decide_stories(0).await.unwrap();
        drop(decision);
        let read: Vec<String> = log
            .entries
            .iter()
            .map(|e| match e {
                store::StoryEntry::Placed { document, story, .. } => {
                    format!("{}→{story}", document.doc.url)
                }
                store::StoryEntry::Merged { from, into } => format!("{from}⇒{into}"),
                store::StoryEntry::Rebuilt => "rebuilt".to_owned(),
            })
            .collect();
        assert_eq!(read, ["a→7", "9⇒7", "b→8"], "{backend}");
        assert_eq!((log.end, log.behind), (end, false), "{backend}");
        // A reader past the first decision gets only what came after it.
        let (decision, log) = store.decide_stories(first).await.unwrap();
        drop(decision);
        assert_eq!(log.entries.len(), 2, "{backend}");

        // Pruned entries: a reader that had not read them is told it fell behind; a reader
        // past them is not.
        assert_eq!(store.prune_story_log(now() + TimeDelta::seconds(1)).await.unwrap(), 4);
        let (decision, log) = store.decide_stories(first).await.unwrap();
        drop(decision);
        assert!(log.behind, "{backend}");
        let (decision, log) = store.decide_stories(end).await.unwrap();
        drop(decision);
        assert!(!log.behind && log.entries.is_empty(), "{backend}");
        // Numbering goes on after a prune that emptied the log.
        let (mut decision, _) = store.decide_stories(end).await.unwrap();
        decision.place(&[placed(b, 8)], now()).await.unwrap();
        assert!(decision.commit().await.unwrap() > end, "{backend}");
        store.close().await;
    }
}
