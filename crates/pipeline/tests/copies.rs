//! A text republished by other outlets is stored once and seen several times: each copy is
//! a sighting of the stored document, and reading the feeds again changes nothing.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, Utc};
use model::SourceTier;
use search::SearchIndex;
use store::{NewSource, Store};

#[path = "support/build.rs"]
// Shared by the pipeline's tests; each uses part of it.
#[allow(dead_code)]
mod build;

fn item(url: &str, hours_ago: i64) -> feeds::FeedItem {
    feeds::FeedItem {
        url: url.into(),
        id: url.into(),
        title: "CẢNH BÁO KHẨN: Vắc xin gây vô sinh ở trẻ em gái".into(),
        body: "Bài đăng lan truyền kèm lời kêu gọi chia sẻ ngay trước khi bị xóa.".into(),
        published: Some(Utc::now() - Duration::hours(hours_ago)),
        ..feeds::FeedItem::default()
    }
}

#[tokio::test]
async fn republished_copies_are_sightings_of_one_document() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = build::pipeline(store.clone(), dir.path(), build::Rules::None, None);
    let mut sources = Vec::new();
    for (i, tier) in
        [SourceTier::Social, SourceTier::Press, SourceTier::Aggregator, SourceTier::Social]
            .into_iter()
            .enumerate()
    {
        let spec = NewSource {
            name: format!("Trang {i}"),
            url: format!("https://nguon{i}.vn/rss"),
            tier,
            ..NewSource::default()
        };
        sources.push(store.upsert_source(&spec, Utc::now()).await.unwrap());
    }
    // The first outlet publishes; three others run the same text an hour or more later.
    let mut reports = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let items = [item(&format!("https://nguon{i}.vn/bai/1"), 5 - i as i64)];
        reports.push(p.ingest_items(source, &items).await.unwrap());
    }
    assert_eq!((reports[0].added, reports[0].copies), (1, 0));
    for r in &reports[1..] {
        assert_eq!((r.added, r.copies, r.duplicates), (0, 1, 0), "{r:?}");
    }
    assert_eq!(store.counts().await.unwrap().documents, 1);
    let index = SearchIndex::open_read_only(&dir.path().join("index")).unwrap();
    assert_eq!(index.num_docs(), 1, "a copy is not indexed twice");
    let url = "https://nguon0.vn/bai/1".to_owned();
    let id = store.known_documents(std::slice::from_ref(&url)).await.unwrap()[&url].id;
    let seen = store.sightings(id).await.unwrap();
    let outlets: Vec<&str> = seen.iter().map(|s| s.source_name.as_str()).collect();
    assert_eq!(outlets, ["Trang 0", "Trang 1", "Trang 2", "Trang 3"], "earliest first");

    // The outlets' feeds read again: every URL is known, nothing changes.
    for (i, source) in sources.iter().enumerate() {
        let items = [item(&format!("https://nguon{i}.vn/bai/1"), 5 - i as i64)];
        let r = p.ingest_items(source, &items).await.unwrap();
        assert_eq!((r.added, r.copies, r.duplicates), (0, 0, 1), "{r:?}");
    }
    assert_eq!(store.sightings(id).await.unwrap().len(), 4);
}
