//! Places and provinces on every configured back end: a document's place mentions and
//! main province round-trip, a revision replaces them, and a source's home province is
//! kept as its origin says.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use model::{DocumentPlace, DocumentPlaces, NewDocument, PlaceKind, SourceOrigin};
use store::{NewSource, Processed, Revision, Store};

fn now() -> model::Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

fn doc(source_id: i64, url: &str, hash: &str, title: &str) -> NewDocument {
    NewDocument {
        source_id,
        url: url.to_owned(),
        title: title.to_owned(),
        summary: String::new(),
        body: "Ngành y tế khuyến cáo người dân diệt lăng quăng.".to_owned(),
        author: None,
        published_at: Some(now() - Duration::hours(1)),
        fetched_at: now(),
        language: "vi".to_owned(),
        content_hash: hash.to_owned(),
        post: None,
    }
}

fn place(
    code: &str,
    historic: Option<&str>,
    kind: PlaceKind,
    field: &'static str,
) -> impl Fn(usize, usize) -> DocumentPlace {
    let (code, historic) = (code.to_owned(), historic.map(str::to_owned));
    move |start, end| DocumentPlace {
        code: code.clone(),
        historic: historic.clone(),
        kind,
        field,
        start,
        end,
    }
}

async fn each_store(f: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::stores(dir.path()).await {
        f(name, store.clone()).await;
        store.close().await;
    }
}

async fn id_of(store: &Store, url: &str) -> i64 {
    store.known_documents(&[url.to_owned()]).await.unwrap()[url].id
}

#[tokio::test]
async fn places_and_province_round_trip_and_revisions_replace_them() {
    each_store(async |backend, store| {
        let source = NewSource {
            name: "Sở Y tế TP.HCM".into(),
            url: "https://medinet.hochiminhcity.gov.vn/rss".into(),
            home_province: Some("79".into()),
            ..NewSource::default()
        };
        let sid = store.upsert_source(&source, now()).await.unwrap().id;
        let title = "Sở Y tế Bình Dương cảnh báo sốt xuất huyết";
        let start = title.find("Bình Dương").unwrap();
        let mentions = vec![
            place("79", Some("74"), PlaceKind::FormerProvince, "title")(
                start,
                start + "Bình Dương".len(),
            ),
            place("01", None, PlaceKind::Province, "body")(3, 12),
            place("79", None, PlaceKind::Abbreviation, "body")(0, 2),
        ];
        let mut first = Processed::new(doc(sid, "https://a.vn/1", "h1", title), vec![]);
        first.places = DocumentPlaces { province: Some("79".into()), places: mentions.clone() };
        let plain = Processed::new(doc(sid, "https://a.vn/2", "h2", "Tin trong nước"), vec![]);
        store.insert_batch(&[first, plain]).await.unwrap();

        let id = id_of(&store, "https://a.vn/1").await;
        let got = store.document_places(id).await.unwrap();
        assert_eq!(got.province.as_deref(), Some("79"), "{backend}");
        // Title first, then the body in text order.
        let order = [0, 2, 1].map(|i| mentions[i].clone());
        assert_eq!(got.places, order, "{backend}");

        let other = id_of(&store, "https://a.vn/2").await;
        assert_eq!(
            store.document_places(other).await.unwrap(),
            DocumentPlaces::default(),
            "{backend}"
        );
        assert!(store.document_places(other + 100).await.is_err(), "{backend}: no such document");

        // The revised text names Gia Lai only: the old places and province go.
        let mut new =
            Processed::new(doc(sid, "https://a.vn/1", "h1b", "Gia Lai ghi nhận ca bệnh"), vec![]);
        let gia_lai = place("52", None, PlaceKind::Province, "title")(0, "Gia Lai".len());
        new.places = DocumentPlaces { province: Some("52".into()), places: vec![gia_lai.clone()] };
        let revised = store.revise(&[Revision { id, new }], now()).await.unwrap();
        assert_eq!(revised, [id], "{backend}");
        let got = store.document_places(id).await.unwrap();
        assert_eq!((got.province.as_deref(), got.places), (Some("52"), vec![gia_lai]), "{backend}");

        // A revision that names nothing clears the province rather than keeping a stale one.
        let new = Processed::new(doc(sid, "https://a.vn/1", "h1c", "Tin tổng hợp"), vec![]);
        store.revise(&[Revision { id, new }], now()).await.unwrap();
        assert_eq!(
            store.document_places(id).await.unwrap(),
            DocumentPlaces::default(),
            "{backend}"
        );

        // Purging the source takes its places with it.
        let removed = store.remove_source(sid, true).await.unwrap();
        assert_eq!(removed.len(), 2, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn home_province_round_trips_and_follows_the_origin() {
    each_store(async |backend, store| {
        let mut config = NewSource {
            name: "Sở Y tế Gia Lai".into(),
            url: "https://soyte.gialai.gov.vn/rss".into(),
            home_province: Some("52".into()),
            ..NewSource::default()
        };
        let s = store.upsert_source(&config, now()).await.unwrap();
        assert_eq!(s.home_province.as_deref(), Some("52"), "{backend}");
        assert_eq!(store.source(s.id).await.unwrap().home_province.as_deref(), Some("52"));
        let listed = store.list_sources().await.unwrap();
        assert_eq!(listed[0].home_province.as_deref(), Some("52"), "{backend}");

        // An import naming no home province keeps the one known.
        let import =
            NewSource { origin: SourceOrigin::Ingest, home_province: None, ..config.clone() };
        let s = store.upsert_source(&import, now()).await.unwrap();
        assert_eq!(s.home_province.as_deref(), Some("52"), "{backend}: kept by an import");

        // The configuration file is the truth for its sources: removing the key clears it.
        config.home_province = None;
        let s = store.upsert_source(&config, now()).await.unwrap();
        assert_eq!(s.home_province, None, "{backend}: cleared by the configuration");

        let once = NewSource {
            name: "Sở Y tế Đồng Nai".into(),
            url: "https://soyte.dongnai.gov.vn/rss".into(),
            origin: SourceOrigin::Ingest,
            home_province: Some("75".into()),
            ..NewSource::default()
        };
        let s = store.ensure_source(&once, now()).await.unwrap();
        assert_eq!((s.home_province.as_deref(), s.enabled), (Some("75"), false), "{backend}");
    })
    .await;
}
