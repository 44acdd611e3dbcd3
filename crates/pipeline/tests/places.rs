//! Places through the whole ingest path: items of a source with a home province are
//! stored with their place mentions and main province, and a revision replaces them.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use chrono::{Duration, Utc};
use model::SourceTier;
use pipeline::Pipeline;
use store::{NewSource, Store};

#[path = "support/build.rs"]
// Shared by the pipeline's tests; each uses part of it.
#[allow(dead_code)]
mod build;

async fn pipeline(store: Store, dir: &Path) -> Pipeline {
    build::pipeline(store, dir, build::Rules::None, None)
}

fn item(url: &str, title: &str, body: &str) -> feeds::FeedItem {
    feeds::FeedItem {
        url: url.into(),
        id: url.into(),
        title: title.into(),
        body: body.into(),
        published: Some(Utc::now() - Duration::hours(2)),
        ..feeds::FeedItem::default()
    }
}

async fn id_of(store: &Store, url: &str) -> i64 {
    store.known_documents(&[url.to_owned()]).await.unwrap()[url].id
}

#[tokio::test]
async fn documents_get_places_and_a_main_province_defaulting_to_the_home_province() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = pipeline(store.clone(), dir.path()).await;
    let portal = NewSource {
        name: "Sở Y tế TP.HCM".into(),
        url: "https://medinet.hochiminhcity.gov.vn/rss".into(),
        tier: SourceTier::Official,
        home_province: Some("79".into()),
        ..NewSource::default()
    };
    let source = store.upsert_source(&portal, Utc::now()).await.unwrap();
    let items = [
        item(
            "https://medinet.hochiminhcity.gov.vn/tin/1",
            "Khuyến cáo phòng chống sốt xuất huyết mùa mưa",
            "Người dân cần diệt lăng quăng, ngủ màn kể cả ban ngày.",
        ),
        item(
            "https://medinet.hochiminhcity.gov.vn/tin/2",
            "Sở Y tế Bình Dương cảnh báo sốt xuất huyết",
            "Số ca mắc tăng trong tuần qua.",
        ),
        item(
            "https://medinet.hochiminhcity.gov.vn/tin/3",
            "Gia Lai ghi nhận ổ dịch sởi",
            "Trung tâm Kiểm soát bệnh tật tỉnh Gia Lai đã khoanh vùng ổ dịch.",
        ),
    ];
    let report = p.ingest_items(&source, &items).await.unwrap();
    assert_eq!(report.added, 3);

    let none = store.document_places(id_of(&store, &items[0].url).await).await.unwrap();
    assert_eq!((none.province.as_deref(), none.places.len()), (Some("79"), 0));

    let id = id_of(&store, &items[1].url).await;
    let found = store.document_places(id).await.unwrap();
    assert_eq!(found.province.as_deref(), Some("79"));
    let doc = store.document(id).await.unwrap();
    let place = &found.places[0];
    assert_eq!((place.field, place.historic.as_deref()), ("title", Some("74")));
    assert_eq!(&doc.doc.title[place.start..place.end], "Bình Dương");

    let id = id_of(&store, &items[2].url).await;
    let found = store.document_places(id).await.unwrap();
    assert_eq!(found.province.as_deref(), Some("52"));
    let doc = store.document(id).await.unwrap();
    let text = doc.doc.full_text();
    assert!(found.places.iter().all(|p| p.code == "52"));
    assert!(found.places.iter().any(|p| p.field == "body" && &text[p.start..p.end] == "Gia Lai"));

    // The outlet corrects the article: it was Đắk Lắk. The revision replaces the places.
    let mut fixed = item(
        &items[2].url,
        "Đắk Lắk ghi nhận ổ dịch sởi",
        "Trung tâm Kiểm soát bệnh tật tỉnh Đắk Lắk đã khoanh vùng ổ dịch.",
    );
    fixed.updated = Some(Utc::now());
    let report = p.ingest_items(&source, &[fixed]).await.unwrap();
    assert_eq!(report.revised, 1);
    let found = store.document_places(id).await.unwrap();
    assert_eq!(found.province.as_deref(), Some("66"));
    assert!(found.places.iter().all(|p| p.code == "66"), "{:?}", found.places);
}
