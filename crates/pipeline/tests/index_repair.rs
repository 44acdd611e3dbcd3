//! The index repaired against the store at start-up (`catch_up_index`), on SQLite and on
//! PostgreSQL when configured: what a process killed between its store commit and its index
//! commit leaves behind (a document below the recorded id missing, a revision indexed at its
//! old text) and a purge the index never heard of are put right, and a second start-up finds
//! nothing to do. A process following the store indexes another process's revisions
//! within seconds, without waiting for a repair.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use chrono::{Duration, Utc};
use feeds::FeedItem;
use pipeline::Pipeline;
use search::{SearchIndex, Sort};
use store::{NewSource, Store};

#[path = "support/build.rs"]
// Shared by the pipeline's tests; each uses part of it.
#[allow(dead_code)]
mod build;

fn pipeline(store: &Store, dir: &Path) -> Pipeline {
    build::pipeline(store.clone(), dir, build::Rules::None, None)
}

fn item(n: u32, text: &str, updated: bool) -> FeedItem {
    let published = Utc::now() - Duration::hours(3);
    FeedItem {
        url: format!("https://baothu.vn/tin/{n}"),
        title: format!("Bản tin số {n}"),
        body: text.to_owned(),
        published: Some(published),
        updated: updated.then(|| published + Duration::hours(1)),
        ..FeedItem::default()
    }
}

async fn source(store: &Store, name: &str, url: &str) -> model::Source {
    let new = NewSource { name: name.into(), url: url.into(), ..NewSource::default() };
    store.upsert_source(&new, Utc::now()).await.unwrap()
}

/// The ids a query finds in the index in `dir`.
fn found(dir: &Path, q: &str) -> Vec<i64> {
    let index = SearchIndex::open_read_only(&dir.join("index")).unwrap();
    let mut ids: Vec<i64> =
        index.search(q, Sort::Relevance, 100, 0).unwrap().hits.iter().map(|h| h.id).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn start_up_repairs_what_a_crash_or_a_purge_left_in_the_index() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let (kept, other) =
            (dir.path().join(backend).join("a"), dir.path().join(backend).join("b"));
        let paper = source(&store, "Báo Thử", "https://baothu.vn/rss").await;
        let gone = source(&store, "Báo Cũ", "https://baocu.vn/rss").await;

        // The index under test sees some batches; the others stand for a process killed
        // after its store commit (their index is another one, so this one never hears).
        let a = pipeline(&store, &kept);
        let b = pipeline(&store, &other);
        a.ingest_items(&paper, &[item(1, "Tiêm vắc xin sởi cho trẻ xqdau.", false)]).await.unwrap();
        let purged = FeedItem {
            url: "https://baocu.vn/tin/9".into(),
            ..item(9, "Tin sắp bị xoá xqxoa.", false)
        };
        a.ingest_items(&gone, &[purged]).await.unwrap();
        b.ingest_items(&paper, &[item(2, "Tin chỉ có trong xqthieu.", false)]).await.unwrap();
        a.ingest_items(&paper, &[item(3, "Tin sau cùng xqcuoi.", false)]).await.unwrap();
        let report = b
            .ingest_items(&paper, &[item(1, "Tiêm vắc xin sởi cho trẻ xqsua.", true)])
            .await
            .unwrap();
        assert_eq!(report.revised, 1, "{backend}");
        let removed = store.remove_source(gone.id, true).await.unwrap();
        assert_eq!(removed.len(), 1, "{backend}");
        drop(a);
        let ids: Vec<i64> =
            store.documents_after(0, 100).await.unwrap().iter().map(|d| d.id).collect();
        assert_eq!(ids.len(), 3, "{backend}");
        assert_eq!(found(&kept, "xqdau").len(), 1, "{backend}: the old text is indexed");
        assert_eq!(found(&kept, "xqthieu"), Vec::<i64>::new(), "{backend}");
        assert_eq!(found(&kept, "xqxoa"), removed, "{backend}: the purged document is indexed");

        // Start-up: the missing document and the revision are indexed, the purged one goes.
        let a = pipeline(&store, &kept);
        assert!(a.catch_up_index().await.unwrap() >= 2, "{backend}");
        let (first, missing, last) = (ids[0], ids[1], ids[2]);
        assert_eq!(found(&kept, "bản tin"), [first, missing, last], "{backend}");
        assert_eq!(found(&kept, "xqsua"), [first], "{backend}");
        assert_eq!(found(&kept, "xqdau"), Vec::<i64>::new(), "{backend}");
        assert_eq!(found(&kept, "xqthieu"), [missing], "{backend}");
        assert_eq!(found(&kept, "xqxoa"), Vec::<i64>::new(), "{backend}");
        // Now they agree, and the next start-up has nothing to do.
        assert_eq!(a.catch_up_index().await.unwrap(), 0, "{backend}");
        drop(a);
        assert_eq!(pipeline(&store, &kept).catch_up_index().await.unwrap(), 0, "{backend}");

        // A revision alone, every id in place: only that document is indexed again.
        let report = b.ingest_items(&paper, &[item(3, "Tin sau cùng xqmoi.", true)]).await.unwrap();
        assert_eq!(report.revised, 1, "{backend}");
        assert_eq!(found(&kept, "xqmoi"), Vec::<i64>::new(), "{backend}");
        assert_eq!(pipeline(&store, &kept).catch_up_index().await.unwrap(), 1, "{backend}");
        assert_eq!(found(&kept, "xqmoi"), [last], "{backend}");
        assert_eq!(found(&kept, "xqcuoi"), Vec::<i64>::new(), "{backend}");
    }
}

/// Waits until `q` finds exactly `want` in the index in `dir`.
async fn wait_found(dir: &Path, q: &str, want: &[i64], what: &str) {
    for _ in 0..200 {
        if found(dir, q) == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what}: {q:?} found {:?}, not {want:?}", found(dir, q));
}

type Following = (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<pipeline::Result<()>>);

/// Runs `p` following the store: as a web process does (`others` false) or, beside its own
/// pipeline, as the default role does for what other processes store.
fn follow(p: &Pipeline, others: Option<i64>) -> Following {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let p = p.clone();
    let task = tokio::spawn(async move {
        let stopped = async {
            stopped.await.ok();
        };
        match others {
            Some(from) => p.follow_others(from, stopped).await,
            None => p.follow_store(stopped).await,
        }
    });
    (stop, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_another_process_stores_reaches_a_following_index_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let (followed, other) =
            (dir.path().join(backend).join("a"), dir.path().join(backend).join("b"));
        let paper = source(&store, "Báo Thử", "https://baothu.vn/rss").await;
        let tick = Some(std::time::Duration::from_millis(100));
        // The writer stands for `langnghe ingest` or a worker: its index is not the one
        // followed.
        let writer = pipeline(&store, &other);

        // A web process.
        let web = build::pipeline(store.clone(), &followed, build::Rules::None, tick);
        let running = follow(&web, None);
        writer.ingest_items(&paper, &[item(1, "Tin đầu tiên xqtruoc.", false)]).await.unwrap();
        let first = store.documents_after(0, 10).await.unwrap()[0].id;
        wait_found(&followed, "xqtruoc", &[first], backend).await;
        let report = writer
            .ingest_items(&paper, &[item(1, "Tin đầu tiên đã sửa xqsau.", true)])
            .await
            .unwrap();
        assert_eq!(report.revised, 1, "{backend}");
        wait_found(&followed, "xqsau", &[first], backend).await;
        assert_eq!(found(&followed, "xqtruoc"), Vec::<i64>::new(), "{backend}");
        running.0.send(()).unwrap();
        running.1.await.unwrap().unwrap();
        drop(web);

        // The default role, whose own pipeline indexes what it stores.
        let all = build::pipeline(store.clone(), &followed, build::Rules::None, tick);
        let running = follow(&all, Some(first));
        writer.ingest_items(&paper, &[item(2, "Tin thứ hai xqhai.", false)]).await.unwrap();
        let second = store.documents_after(first, 10).await.unwrap()[0].id;
        wait_found(&followed, "xqhai", &[second], backend).await;
        let report = writer
            .ingest_items(&paper, &[item(2, "Tin thứ hai đã sửa xqhaimoi.", true)])
            .await
            .unwrap();
        assert_eq!(report.revised, 1, "{backend}");
        wait_found(&followed, "xqhaimoi", &[second], backend).await;
        assert_eq!(found(&followed, "xqhai"), Vec::<i64>::new(), "{backend}");
        // The revision is indexed once: the index holds it at its stored time.
        assert_eq!(found(&followed, "bản tin"), [first, second], "{backend}");
        running.0.send(()).unwrap();
        running.1.await.unwrap().unwrap();
    }
}
