//! Batches processed while the batch before them commits store what batches taken one after
//! another store, and the index commits that a burst of batches defers are made by the
//! next due batch or a flush.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use feeds::FeedItem;
use pipeline::Pipeline;
use search::{SearchIndex, Sort};
use store::{NewSource, Store};

#[path = "support/build.rs"]
// Shared by the pipeline's tests; each uses part of it.
#[allow(dead_code)]
mod build;

const TEXTS: [&str; 4] = [
    "Bộ Y tế cảnh báo sốt xuất huyết tăng mạnh ở các tỉnh phía Nam, người dân cần diệt lăng quăng và đi khám sớm khi sốt cao.",
    "Tin đồn uống nước chanh nóng chữa khỏi ung thư lan truyền trên mạng xã hội, bác sĩ khẳng định không có cơ sở khoa học.",
    "Sở Y tế Hà Nội triển khai tiêm vắc xin sởi cho trẻ em từ 1 đến 5 tuổi tại các trạm y tế phường, xã trong tháng này.",
    "Ngộ độc thực phẩm sau bữa tiệc cưới khiến hàng chục người phải nhập viện cấp cứu, cơ quan chức năng đang điều tra nguyên nhân.",
];

/// Three batches of a feed: unique articles, an article repeated word for word under other
/// URLs (in its own batch and the next), a URL offered again in a later batch, and an
/// article of the first batch updated in the second.
fn batches() -> Vec<Vec<FeedItem>> {
    let now = Utc::now();
    let item = |url: String, text: String, minutes: i64| FeedItem {
        url: url.clone(),
        id: url,
        title: text.split(',').next().unwrap_or_default().to_owned(),
        body: format!("{text}\n\n{text}"),
        published: Some(now - chrono::Duration::minutes(minutes)),
        ..FeedItem::default()
    };
    (0..3)
        .map(|b| {
            let mut batch: Vec<FeedItem> = (0..40)
                .map(|i| {
                    let n = b * 40 + i;
                    item(
                        format!("https://tin.example/{n}"),
                        format!("{} Bài số {n}.", TEXTS[n % TEXTS.len()]),
                        300 - n as i64,
                    )
                })
                .collect();
            let copied = format!("{} Bài gốc.", TEXTS[1]);
            batch.push(item(format!("https://chep.example/{b}"), copied.clone(), 10));
            batch.push(item(format!("https://chep.example/{b}-lai"), copied, 9));
            if b == 1 {
                // An article of the batch before, edited since: a revision.
                let mut edited = item(
                    "https://tin.example/7".to_owned(),
                    format!("{} Bài số 7, đã sửa.", TEXTS[3]),
                    293,
                );
                edited.updated = Some(now);
                batch.push(edited);
            }
            if b > 0 {
                batch.push(item(
                    "https://tin.example/3".to_owned(),
                    format!("{} Bài số 3.", TEXTS[3]),
                    297,
                ));
            }
            batch
        })
        .collect()
}

async fn source(store: &Store) -> model::Source {
    let spec = NewSource {
        name: "Tin".to_owned(),
        url: "https://tin.example/rss".to_owned(),
        ..NewSource::default()
    };
    store.upsert_source(&spec, Utc::now()).await.unwrap()
}

/// What a store holds, as comparable facts: document URLs, sighting URLs, rule hits, and
/// how the documents group into stories.
async fn holdings(
    store: &Store,
) -> (BTreeSet<(String, String)>, usize, i64, BTreeSet<Vec<String>>) {
    let docs = store.documents_after(0, 10_000).await.unwrap();
    let urls: BTreeSet<(String, String)> =
        docs.iter().map(|d| (d.doc.url.clone(), d.doc.content_hash.clone())).collect();
    let mut sightings = 0;
    for d in &docs {
        sightings += store.sightings(d.id).await.unwrap().len();
    }
    let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
    let mut stories: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
    for (doc, story) in store.stories_of(&ids).await.unwrap() {
        let url = docs.iter().find(|d| d.id == doc).unwrap().doc.url.clone();
        stories.entry(story).or_default().push(url);
    }
    let groups = stories
        .into_values()
        .map(|mut urls| {
            urls.sort();
            urls
        })
        .collect();
    (urls, sightings, store.counts().await.unwrap().hits, groups)
}

fn pipeline(store: &Store, dir: &std::path::Path) -> Pipeline {
    build::pipeline(store.clone(), dir, build::Rules::Shipped, None)
}

/// A pipeline in `dir` committing its index at most every `every`, its source, and a
/// reader of its index.
async fn spaced(
    dir: &std::path::Path,
    every: Duration,
) -> (Store, Pipeline, model::Source, SearchIndex) {
    let store = Store::open_sqlite(&dir.join("db.sqlite")).await.unwrap();
    let p = pipeline(&store, dir).with_index_commit_every(every);
    let s = source(&store).await;
    let index = SearchIndex::open_read_only(&dir.join("index")).unwrap();
    (store, p, s, index)
}

#[tokio::test]
async fn overlapped_batches_store_what_batches_one_after_another_store() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sequential = Store::open_sqlite(&one.path().join("db.sqlite")).await.unwrap();
    let overlapped = Store::open_sqlite(&two.path().join("db.sqlite")).await.unwrap();

    let p = pipeline(&sequential, one.path());
    let s = source(&sequential).await;
    let (mut added, mut revised) = (0, 0);
    for batch in batches() {
        let r = p.ingest_items(&s, &batch).await.unwrap();
        added += r.added;
        revised += r.revised;
    }
    assert_eq!(revised, 1);

    let q = pipeline(&overlapped, two.path());
    let t = source(&overlapped).await;
    let reports =
        q.ingest_batches(batches().into_iter().map(|b| (t.clone(), b)).collect()).await.unwrap();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports.iter().map(|r| r.added).sum::<usize>(), added);
    // The update is a revision even when its batch was prepared before the batch that
    // stored the article had committed.
    assert_eq!(reports.iter().map(|r| r.revised).sum::<usize>(), revised);
    // The copy under a second URL is a sighting in every batch, overlapped or not.
    assert!(reports.iter().all(|r| r.copies >= 1), "{reports:?}");

    let (a, b) = (holdings(&sequential).await, holdings(&overlapped).await);
    assert_eq!(a.0.len(), 121, "120 articles and one copied text");
    assert!(a.2 > 0, "the shipped packs hit these texts");
    assert_eq!(a, b);

    // Everything stored is searchable once both pipelines have committed.
    for (p, dir) in [(&p, one.path()), (&q, two.path())] {
        p.flush_index().unwrap();
        let index = SearchIndex::open_read_only(&dir.join("index")).unwrap();
        index.refresh().unwrap();
        assert_eq!(index.num_docs(), 121);
    }
}

#[tokio::test]
async fn deferred_index_commits_are_made_by_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let (store, p, s, index) = spaced(dir.path(), Duration::from_secs(3600)).await;
    let found = |q: &str| {
        index.refresh().unwrap();
        index.search(q, Sort::Newest, 100, 0).unwrap().total
    };
    let mut batches = batches().into_iter();
    // The first batch commits at once: nothing was committed before it.
    p.ingest_items(&s, &batches.next().unwrap()).await.unwrap();
    assert_eq!(found("\"Bài số 5\""), 1);
    assert_eq!(index.num_docs(), 41);
    // The next ones wait for the commit an hour away, or a flush.
    p.ingest_items(&s, &batches.next().unwrap()).await.unwrap();
    assert_eq!(found("\"Bài số 45\""), 0);
    assert_eq!(index.num_docs(), 41);
    assert!(p.flush_index().unwrap());
    assert_eq!(found("\"Bài số 45\""), 1);
    assert_eq!(index.num_docs(), 81, "40 new articles; the rest are copies and repeats");
    // Nothing owed: a second flush commits nothing.
    assert!(!p.flush_index().unwrap());
    // The commit records the highest id indexed, which start-up catches up from.
    let writer_view = SearchIndex::open_read_only(&dir.path().join("index")).unwrap();
    let last = store.documents_after(0, 10_000).await.unwrap().iter().map(|d| d.id).max();
    assert_eq!(Some(writer_view.last_indexed_id().unwrap()), last);
}

#[tokio::test]
async fn a_spaced_commit_runs_beside_the_next_batch_and_a_flush_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, p, s, index) = spaced(dir.path(), Duration::from_millis(50)).await;
    let mut batches = batches().into_iter();
    p.ingest_items(&s, &batches.next().unwrap()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    // Due: this batch starts the commit on its own thread and returns.
    p.ingest_items(&s, &batches.next().unwrap()).await.unwrap();
    // The flush finds nothing owed, only the commit under way, and waits for it.
    assert!(!p.flush_index().unwrap());
    index.refresh().unwrap();
    assert_eq!(index.search("\"Bài số 45\"", Sort::Newest, 100, 0).unwrap().total, 1);
    assert_eq!(index.num_docs(), 81);
    let last = store.documents_after(0, 10_000).await.unwrap().iter().map(|d| d.id).max();
    assert_eq!(Some(index.last_indexed_id().unwrap()), last);
}
