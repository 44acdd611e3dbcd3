//! Stories through the pipeline: copies, near-copies and reports of one event become one
//! story with its first publisher; each story opens its own alert; stories survive a
//! restart and documents stored before stories get theirs.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, Utc};
use model::SourceTier;
use store::{NewSource, Processed, Store, StoryQuery};

#[path = "support/build.rs"]
// Shared by the pipeline's tests; each uses part of it.
#[allow(dead_code)]
mod build;

const RUMOUR_TITLE: &str = "Lá đu đủ chữa khỏi sốt xuất huyết chỉ sau 3 ngày, không cần đi viện";
const RUMOUR_BODY: &str = "Chia sẻ ngay cho người thân: uống nước lá đu đủ giã nát mỗi sáng là \
     khỏi hẳn bệnh sốt xuất huyết, tiểu cầu tăng vọt. Bài viết được chia sẻ hàng nghìn lượt \
     khẳng định nước lá đu đủ chữa khỏi sốt xuất huyết mà không cần truyền dịch. Nhiều phụ \
     huynh ở Đồng Nai đã tự điều trị cho con tại nhà theo cách này và không đưa con đi khám.";

fn item(url: &str, title: &str, body: &str, hours_ago: i64) -> feeds::FeedItem {
    feeds::FeedItem {
        url: url.into(),
        id: url.into(),
        title: title.into(),
        body: body.into(),
        published: Some(Utc::now() - Duration::hours(hours_ago)),
        ..feeds::FeedItem::default()
    }
}

async fn sources(store: &Store, names: &[(&str, SourceTier)]) -> Vec<model::Source> {
    let mut out = Vec::new();
    for (i, (name, tier)) in names.iter().enumerate() {
        let spec = NewSource {
            name: (*name).to_owned(),
            url: format!("https://nguon{i}.vn/rss"),
            tier: *tier,
            ..NewSource::default()
        };
        out.push(store.upsert_source(&spec, Utc::now()).await.unwrap());
    }
    out
}

async fn id_of(store: &Store, url: &str) -> i64 {
    let url = url.to_owned();
    store.known_documents(std::slice::from_ref(&url)).await.unwrap()[&url].id
}

#[tokio::test]
async fn one_rumour_carried_by_four_outlets_is_one_story_with_its_first_publisher() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let dir = dir.path().join(backend);
        std::fs::create_dir_all(&dir).unwrap();
        let p = build::pipeline(store.clone(), &dir, build::Rules::Shipped, None);
        let s = sources(
            &store,
            &[
                ("Góc Chia Sẻ Cộng Đồng", SourceTier::Social),
                ("Mẹo Hay Sống Khỏe", SourceTier::Social),
                ("Tin Nhanh Tổng Hợp", SourceTier::Aggregator),
                ("Báo Sức Khỏe Cộng Đồng", SourceTier::Press),
                ("Tin Tức Thủ Đô", SourceTier::Press),
            ],
        )
        .await;
        // The aggregator's copy is fetched first but published last; the origin is the
        // earliest publication.
        p.ingest_items(&s[2], &[item("https://nguon2.vn/a", RUMOUR_TITLE, RUMOUR_BODY, 2)])
            .await
            .unwrap();
        p.ingest_items(&s[0], &[item("https://nguon0.vn/a", RUMOUR_TITLE, RUMOUR_BODY, 6)])
            .await
            .unwrap();
        p.ingest_items(&s[1], &[item("https://nguon1.vn/a", RUMOUR_TITLE, RUMOUR_BODY, 5)])
            .await
            .unwrap();
        // An edited republication crediting the first outlet: a near-copy document.
        let credited = format!("{RUMOUR_BODY}\nTheo Góc Chia Sẻ Cộng Đồng");
        p.ingest_items(&s[3], &[item("https://nguon3.vn/a", RUMOUR_TITLE, &credited, 4)])
            .await
            .unwrap();
        // Another event altogether.
        p.ingest_items(
            &s[4],
            &[item(
                "https://nguon4.vn/b",
                "Hà Nội khai trương trung tâm cấp cứu mới tại quận Hoàn Kiếm",
                "Trung tâm cấp cứu 115 mới có 20 xe cứu thương và đội ngũ bác sĩ trực suốt ngày \
                 đêm, phục vụ người dân các phường trung tâm thủ đô từ tháng sau.",
                1,
            )],
        )
        .await
        .unwrap();

        let origin = id_of(&store, "https://nguon2.vn/a").await;
        let near = id_of(&store, "https://nguon3.vn/a").await;
        let all = store.stories(&StoryQuery { limit: 10, ..StoryQuery::default() }).await.unwrap();
        assert_eq!(all.len(), 2, "{backend}: {all:#?}");
        let story = all.iter().find(|t| t.origin_document == origin).unwrap_or_else(|| {
            panic!("{backend}: the rumour's story starts at its stored document: {all:#?}")
        });
        assert_eq!((story.documents, story.sightings, story.outlets), (2, 4, 4), "{backend}");
        assert_eq!(story.origin_source_name, "Góc Chia Sẻ Cộng Đồng", "{backend}");
        assert_eq!(story.title, RUMOUR_TITLE);
        assert_eq!(story.province.as_deref(), Some("75"), "{backend}: Đồng Nai");

        let timeline = store.story_timeline(story.id).await.unwrap();
        let outlets: Vec<&str> = timeline.iter().map(|e| e.sighting.source_name.as_str()).collect();
        assert_eq!(
            outlets,
            [
                "Góc Chia Sẻ Cộng Đồng",
                "Mẹo Hay Sống Khỏe",
                "Báo Sức Khỏe Cộng Đồng",
                "Tin Nhanh Tổng Hợp"
            ],
            "{backend}: earliest publication first"
        );
        assert_eq!(timeline[0].relation.as_deref(), Some("origin"));
        assert_eq!(timeline[0].lag_minutes, Some(0));
        assert_eq!(timeline[2].relation.as_deref(), Some("republication_attributed"));
        assert_eq!(timeline[3].relation.as_deref(), Some("aggregator_copy"));
        assert!(timeline[1].lag_minutes.unwrap() >= 59, "{timeline:#?}");

        // The near-copy is linked to the text it republishes and shares its story.
        let mut docs: Vec<i64> =
            store.story_documents(story.id, 10).await.unwrap().iter().map(|d| d.id).collect();
        docs.sort_unstable();
        assert_eq!(docs, [origin, near]);

        // The rumour's alert is the story's.
        let alerts = store.story_alerts(story.id).await.unwrap();
        assert!(!alerts.is_empty(), "{backend}");
        for a in &alerts {
            assert_eq!(a.subject, format!("story:{}", story.id));
        }
    }
}

#[tokio::test]
async fn each_story_opens_its_own_alert_under_one_rule() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = build::pipeline(store.clone(), dir.path(), build::Rules::Shipped, None);
    let s =
        sources(&store, &[("Trang A", SourceTier::Social), ("Trang B", SourceTier::Social)]).await;
    p.ingest_items(&s[0], &[item("https://nguon0.vn/a", RUMOUR_TITLE, RUMOUR_BODY, 3)])
        .await
        .unwrap();
    p.ingest_items(
        &s[1],
        &[item(
            "https://nguon1.vn/b",
            "Lá đu đủ chữa khỏi sốt xuất huyết: mẹo truyền miệng ở Cà Mau",
            "Nhóm Zalo phụ huynh ở Cà Mau nhắn nhau: uống nước lá đu đủ chữa khỏi sốt xuất \
             huyết, kèm ảnh một em bé đang truyền dịch ở bệnh viện tỉnh và số tài khoản xin \
             ủng hộ tiền thuốc cho gia đình em.",
            1,
        )],
    )
    .await
    .unwrap();
    let board = store.alert_board(None, 50).await.unwrap();
    let papaya: Vec<_> = board.iter().filter(|e| e.document.doc.title.contains("đu đủ")).collect();
    assert!(papaya.len() >= 2, "{board:#?}");
    let rule = &papaya[0].alert.rule_id;
    let same_rule: Vec<_> = papaya.iter().filter(|e| &e.alert.rule_id == rule).collect();
    assert_eq!(same_rule.len(), 2, "one alert per story under {rule}: {board:#?}");
    assert_ne!(same_rule[0].alert.subject, same_rule[1].alert.subject);
    assert!(same_rule.iter().all(|e| e.alert.subject.starts_with("story:")));
}

#[tokio::test]
async fn stories_survive_a_restart_and_old_documents_get_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let s =
        sources(&store, &[("Trang A", SourceTier::Press), ("Trang B", SourceTier::Press)]).await;
    // Stored before stories existed: no story yet.
    let old = model::NewDocument {
        source_id: s[0].id,
        url: "https://nguon0.vn/cu".into(),
        title: RUMOUR_TITLE.into(),
        body: RUMOUR_BODY.into(),
        published_at: Some(Utc::now() - Duration::hours(5)),
        fetched_at: Utc::now() - Duration::hours(5),
        language: "vi".into(),
        content_hash: "cu".into(),
        summary: String::new(),
        author: None,
        post: None,
    };
    store.insert_batch(&[Processed::new(old, vec![])]).await.unwrap();
    assert!(
        store.stories(&StoryQuery { limit: 5, ..StoryQuery::default() }).await.unwrap().is_empty()
    );

    let first = build::pipeline(store.clone(), dir.path(), build::Rules::None, None);
    assert_eq!(first.catch_up_stories().await.unwrap(), 1);
    assert_eq!(first.catch_up_stories().await.unwrap(), 0, "placed once");
    let stories = store.stories(&StoryQuery { limit: 5, ..StoryQuery::default() }).await.unwrap();
    assert_eq!(stories.len(), 1);
    let story = stories[0].id;
    drop(first);

    // A new pipeline (a restart) puts a report of the same event in the same story.
    let second = build::pipeline(store.clone(), &dir.path().join("2"), build::Rules::None, None);
    let edited = RUMOUR_BODY.replace("Đồng Nai", "Biên Hòa, Đồng Nai");
    second
        .ingest_items(&s[1], &[item("https://nguon1.vn/moi", RUMOUR_TITLE, &edited, 1)])
        .await
        .unwrap();
    let stories = store.stories(&StoryQuery { limit: 5, ..StoryQuery::default() }).await.unwrap();
    assert_eq!(stories.len(), 1, "{stories:#?}");
    assert_eq!((stories[0].id, stories[0].documents, stories[0].outlets), (story, 2, 2));
    // An unrelated document gets a fresh id, not one in use.
    second
        .ingest_items(
            &s[1],
            &[item(
                "https://nguon1.vn/khac",
                "Bệnh viện Chợ Rẫy ghép thận thành công cho bệnh nhân 70 tuổi",
                "Ê kíp bác sĩ khoa ghép tạng đã thực hiện ca ghép thận kéo dài sáu giờ; bệnh \
                 nhân hồi phục tốt và dự kiến xuất viện sau hai tuần theo dõi.",
                0,
            )],
        )
        .await
        .unwrap();
    let stories = store.stories(&StoryQuery { limit: 5, ..StoryQuery::default() }).await.unwrap();
    assert_eq!(stories.len(), 2);
    assert!(stories.iter().any(|t| t.id > story));
}

#[tokio::test]
async fn stories_rebuild_from_documents_and_sightings_and_alerts_follow() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = build::pipeline(store.clone(), dir.path(), build::Rules::Shipped, None);
    let s =
        sources(&store, &[("Trang A", SourceTier::Social), ("Trang B", SourceTier::Press)]).await;
    p.ingest_items(&s[0], &[item("https://nguon0.vn/a", RUMOUR_TITLE, RUMOUR_BODY, 3)])
        .await
        .unwrap();
    p.ingest_items(&s[1], &[item("https://nguon1.vn/a", RUMOUR_TITLE, RUMOUR_BODY, 1)])
        .await
        .unwrap();
    let query = StoryQuery { limit: 10, ..StoryQuery::default() };
    let before = store.stories(&query).await.unwrap();
    assert_eq!(before.len(), 1);
    let alerts_before = store.story_alerts(before[0].id).await.unwrap();
    assert!(!alerts_before.is_empty());

    let report = pipeline::rebuild_stories(&store).await.unwrap();
    assert_eq!((report.documents, report.stories), (1, 1), "{report:?}");
    assert_eq!(report.alerts_rekeyed, alerts_before.len() as u64);
    let after = store.stories(&query).await.unwrap();
    assert_eq!(after.len(), 1);
    assert!(after[0].id > before[0].id, "fresh ids above the old ones");
    let same = |s: &model::Story| {
        (s.title.clone(), s.origin_document, s.origin_source, s.documents, s.sightings, s.outlets)
    };
    assert_eq!(same(&after[0]), same(&before[0]));
    assert!(store.story_alerts(before[0].id).await.unwrap().is_empty());
    let moved = store.story_alerts(after[0].id).await.unwrap();
    assert_eq!(
        moved.iter().map(|a| a.id).collect::<Vec<_>>(),
        alerts_before.iter().map(|a| a.id).collect::<Vec<_>>()
    );
    assert_eq!(
        store.story_timeline(after[0].id).await.unwrap()[0].relation.as_deref(),
        Some("origin")
    );
}

#[tokio::test]
async fn alerts_opened_before_stories_split_into_one_per_story() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let s = sources(&store, &[("Trang A", SourceTier::Social)]).await;
        let rumour = model::Hit {
            rule_id: "rumor.la-du-du".into(),
            rule_title: "Lá đu đủ chữa sốt xuất huyết".into(),
            kind: model::RuleKind::Rumor,
            severity: model::Severity::High,
            terms: vec![model::MatchedTerm {
                field: "title",
                start: 0,
                end: 9,
                term: "lá đu đủ".into(),
            }],
        };
        let doc = |n: i64, title: &str, body: &str| model::NewDocument {
            source_id: s[0].id,
            url: format!("https://nguon0.vn/{n}"),
            title: title.into(),
            body: body.into(),
            published_at: Some(Utc::now() - Duration::hours(10 - n)),
            fetched_at: Utc::now() - Duration::hours(10 - n),
            language: "vi".into(),
            content_hash: format!("h{n}"),
            summary: String::new(),
            author: None,
            post: None,
        };
        // Stored before stories: one alert gathers the rule's three documents, two of
        // them one event.
        let other = "Một nhóm Zalo ở Cà Mau lan truyền tin nhắn rằng uống nước lá đu đủ chữa \
             khỏi sốt xuất huyết, kèm ảnh một em bé đang truyền dịch và số tài khoản xin ủng hộ.";
        for (n, title, body) in [
            (1, RUMOUR_TITLE, RUMOUR_BODY),
            (2, "Lá đu đủ chữa sốt xuất huyết: tin nhắn lạ ở Cà Mau", other),
            (3, RUMOUR_TITLE, &RUMOUR_BODY.replace("Đồng Nai", "Biên Hòa, Đồng Nai")),
        ] {
            store
                .insert_batch(&[Processed::new(doc(n, title, body), vec![rumour.clone()])])
                .await
                .unwrap();
        }
        let board = store.alert_board(None, 10).await.unwrap();
        assert_eq!(board.len(), 1, "{backend}");
        assert_eq!((board[0].alert.subject.as_str(), board[0].alert.doc_count), ("rule", 3));
        let legacy = board[0].alert.id;

        let dir = dir.path().join(backend);
        let p = build::pipeline(store.clone(), &dir, build::Rules::None, None);
        assert_eq!(p.catch_up_stories().await.unwrap(), 3);
        let board = store.alert_board(None, 10).await.unwrap();
        assert_eq!(board.len(), 2, "{backend}: {board:#?}");
        let kept = board.iter().find(|e| e.alert.id == legacy).expect("the alert keeps its id");
        assert_eq!(kept.alert.doc_count, 2, "{backend}: the latest document's story");
        assert!(kept.alert.subject.starts_with("story:"));
        let split = board.iter().find(|e| e.alert.id != legacy).unwrap();
        assert_eq!(split.alert.doc_count, 1);
        assert_eq!(split.document.doc.url, "https://nguon0.vn/2");
        assert_ne!(split.alert.subject, kept.alert.subject);
        // Again: nothing changes.
        assert_eq!(store.split_rule_alerts(chrono::Utc::now()).await.unwrap(), 0);
        assert_eq!(store.alert_board(None, 10).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn a_purged_source_leaves_its_stories_rewritten_from_what_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = build::pipeline(store.clone(), dir.path(), build::Rules::Shipped, None);
    let s = sources(&store, &[("Trang A", SourceTier::Social), ("Báo B", SourceTier::Press)]).await;
    p.ingest_items(&s[0], &[item("https://nguon0.vn/a", RUMOUR_TITLE, RUMOUR_BODY, 3)])
        .await
        .unwrap();
    let credited = format!("{RUMOUR_BODY}\nTheo Trang A");
    p.ingest_items(&s[1], &[item("https://nguon1.vn/a", RUMOUR_TITLE, &credited, 1)])
        .await
        .unwrap();
    let query = StoryQuery { limit: 10, ..StoryQuery::default() };
    let before = store.stories(&query).await.unwrap();
    assert_eq!((before.len(), before[0].documents), (1, 2));
    assert_eq!(before[0].origin_source, s[0].id);

    store.remove_source(s[0].id, true).await.unwrap();
    assert!(store.stories(&query).await.unwrap().is_empty(), "the stale row goes");
    p.merge_stories().await.unwrap();
    let after = store.stories(&query).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!((after[0].id, after[0].documents, after[0].outlets), (before[0].id, 1, 1));
    assert_eq!(after[0].origin_source, s[1].id);
}

/// A new document's credit line is read from the text the pipeline holds, and a document
/// stored before is read from the store: either way an outlet that republished earlier
/// while crediting another makes the credited one the first publisher.
#[tokio::test]
async fn a_credit_line_names_the_first_publisher_however_its_text_is_read() {
    for crediting_first in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
        let s =
            sources(&store, &[("Trang A", SourceTier::Social), ("Báo B", SourceTier::Press)]).await;
        let credited = format!("{RUMOUR_BODY}\nTheo Trang A");
        // Báo B published two hours before Trang A, crediting it.
        let b = (&s[1], item("https://nguon1.vn/a", RUMOUR_TITLE, &credited, 3));
        let a = (&s[0], item("https://nguon0.vn/a", RUMOUR_TITLE, RUMOUR_BODY, 1));
        let order = if crediting_first { [b, a] } else { [a, b] };
        for (k, (source, item)) in order.into_iter().enumerate() {
            // A fresh pipeline for the second document knows no credit: the first one's
            // text comes from the store; the second one's is the text in hand.
            let p = build::pipeline(store.clone(), dir.path(), build::Rules::Shipped, None);
            p.ingest_items(source, &[item]).await.unwrap();
            p.flush_index().unwrap();
            assert_eq!(
                store
                    .stories(&StoryQuery { limit: 10, ..StoryQuery::default() })
                    .await
                    .unwrap()
                    .len(),
                1,
                "after {k}"
            );
        }
        let story =
            &store.stories(&StoryQuery { limit: 10, ..StoryQuery::default() }).await.unwrap()[0];
        assert_eq!((story.documents, story.origin_source), (2, s[0].id), "{story:?}");
        assert_eq!(story.origin_basis, "attribution", "{story:?}");
    }
}

/// Three events, each reported in three wordings.
fn events() -> Vec<Vec<(String, String)>> {
    let rumour = vec![
        (RUMOUR_TITLE.to_owned(), RUMOUR_BODY.to_owned()),
        (RUMOUR_TITLE.to_owned(), RUMOUR_BODY.replace("Đồng Nai", "Biên Hòa, Đồng Nai")),
        (
            format!("Cảnh giác: {RUMOUR_TITLE}"),
            format!("{RUMOUR_BODY} Bác sĩ khuyến cáo đưa trẻ đi khám ngay khi sốt cao."),
        ),
    ];
    let methanol_body = "Năm công nhân một công trình xây dựng ở quận Bình Tân, TP.HCM nhập \
         viện cấp cứu sau khi uống rượu không rõ nguồn gốc. Bác sĩ Bệnh viện Chợ Rẫy xác định \
         các bệnh nhân ngộ độc methanol, hai người phải lọc máu và thở máy. Cơ quan chức năng \
         đã lấy mẫu rượu để xét nghiệm và truy tìm nơi bán.";
    let methanol = vec![
        (
            "Năm công nhân ở TP.HCM ngộ độc methanol sau khi uống rượu".to_owned(),
            methanol_body.to_owned(),
        ),
        (
            "TP.HCM: năm công nhân nhập viện vì ngộ độc rượu methanol".to_owned(),
            methanol_body.replace("hai người", "hai bệnh nhân"),
        ),
        (
            "Ngộ độc methanol: hai công nhân phải lọc máu".to_owned(),
            format!(
                "{methanol_body} Sở Y tế TP.HCM khuyến cáo người dân không uống rượu trôi nổi."
            ),
        ),
    ];
    let measles_body = "Sở Y tế Hà Nội triển khai chiến dịch tiêm vắc xin sởi - rubella cho \
         trẻ từ 1 đến 5 tuổi tại 30 quận, huyện từ tuần tới, sau khi số ca sởi tăng mạnh trong \
         tháng qua. Phụ huynh được đề nghị mang sổ tiêm chủng khi đưa trẻ đến trạm y tế phường, \
         xã.";
    let measles = vec![
        ("Hà Nội tiêm vắc xin sởi cho trẻ từ 1 đến 5 tuổi".to_owned(), measles_body.to_owned()),
        (
            "Số ca sởi tăng, Hà Nội mở chiến dịch tiêm vắc xin cho trẻ".to_owned(),
            measles_body.replace("tuần tới", "thứ Hai tới"),
        ),
        (
            "Chiến dịch tiêm vắc xin sởi - rubella ở Hà Nội".to_owned(),
            format!("{measles_body} Trẻ đang sốt được hẹn tiêm sau."),
        ),
    ];
    vec![rumour, methanol, measles]
}

/// Ingests each (source, URL, title, body) as a batch of its own, an hour apart.
async fn ingest_each(
    p: &pipeline::Pipeline,
    sources: &[model::Source],
    work: &[(usize, String, String, String)],
) {
    for (n, (source, url, title, body)) in work.iter().enumerate() {
        let hours = 12 - i64::try_from(n).unwrap();
        p.ingest_items(&sources[*source], &[item(url, title, body, hours)]).await.unwrap();
    }
}

/// The story of a document, by URL.
async fn story_of(store: &Store, url: &str) -> i64 {
    let id = id_of(store, url).await;
    store.stories_of(&[id]).await.unwrap()[0].1
}

#[tokio::test]
async fn two_processes_placing_side_by_side_keep_each_event_one_story() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let dir = dir.path().join(backend);
        // Two processes on one database, each with its own stories in memory, both running
        // before anything is stored.
        let one = build::pipeline(store.clone(), &dir.join("1"), build::Rules::Shipped, None);
        let two = build::pipeline(store.clone(), &dir.join("2"), build::Rules::Shipped, None);
        one.catch_up_stories().await.unwrap();
        two.catch_up_stories().await.unwrap();
        let names: Vec<(String, SourceTier)> =
            (0..9).map(|i| (format!("Báo số {i}"), SourceTier::Press)).collect();
        let names: Vec<(&str, SourceTier)> = names.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        let s = sources(&store, &names).await;
        // Report k of every event goes to process k % 2, both ingesting at once.
        let mut work: [Vec<(usize, String, String, String)>; 2] = Default::default();
        for (e, reports) in events().into_iter().enumerate() {
            for (k, (title, body)) in reports.into_iter().enumerate() {
                let url = format!("https://nguon{}.vn/{e}-{k}", e * 3 + k);
                work[(e + k) % 2].push((e * 3 + k, url, title, body));
            }
        }
        tokio::join!(ingest_each(&one, &s, &work[0]), ingest_each(&two, &s, &work[1]));

        let mut stories = Vec::new();
        for e in 0..3 {
            let mut of_event = Vec::new();
            for k in 0..3 {
                of_event.push(
                    story_of(&store, &format!("https://nguon{}.vn/{e}-{k}", e * 3 + k)).await,
                );
            }
            of_event.sort_unstable();
            of_event.dedup();
            assert_eq!(of_event.len(), 1, "{backend}: event {e} in stories {of_event:?}");
            stories.push(of_event[0]);
        }
        stories.sort_unstable();
        stories.dedup();
        assert_eq!(stories.len(), 3, "{backend}: {stories:?}");
        let rows = store.stories(&StoryQuery { limit: 10, ..StoryQuery::default() }).await.unwrap();
        assert_eq!(rows.len(), 3, "{backend}: {rows:#?}");
        assert!(rows.iter().all(|r| r.documents == 3), "{backend}: {rows:#?}");
        // The rumour's alerts are the rumour story's, one per rule, not one per process.
        let rumour = story_of(&store, "https://nguon0.vn/0-0").await;
        let board = store.alert_board(None, 50).await.unwrap();
        let papaya: Vec<_> =
            board.iter().filter(|e| e.document.doc.title.contains("đu đủ")).collect();
        assert!(!papaya.is_empty(), "{backend}: {board:#?}");
        for e in &papaya {
            assert_eq!(e.alert.subject, format!("story:{rumour}"), "{backend}: {board:#?}");
        }
    }
}

#[tokio::test]
async fn a_merge_one_process_makes_is_the_others_too() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let dir = dir.path().join(backend);
        let one = build::pipeline(store.clone(), &dir.join("1"), build::Rules::None, None);
        let two = build::pipeline(store.clone(), &dir.join("2"), build::Rules::None, None);
        one.catch_up_stories().await.unwrap();
        two.catch_up_stories().await.unwrap();
        let s = sources(
            &store,
            &[
                ("Báo A", SourceTier::Press),
                ("Báo B", SourceTier::Press),
                ("Báo C", SourceTier::Press),
            ],
        )
        .await;
        let (t0, b0) = events().swap_remove(1).swap_remove(0);
        // The same event in other words, and a near-copy of that.
        let t1 = "Năm công nhân ở TP.HCM nhập viện vì ngộ độc methanol";
        let b1 = "Sau khi uống rượu không rõ nguồn gốc, năm công nhân xây dựng ở quận Bình \
             Tân, TP.HCM phải nhập viện cấp cứu. Các bác sĩ Bệnh viện Chợ Rẫy cho biết các \
             bệnh nhân bị ngộ độc methanol, hai người nặng phải lọc máu và thở máy. Công an \
             quận đang điều tra nơi bán số rượu này.";
        let (t2, b2) = (t1, b1.replace("hai người nặng", "hai công nhân nặng"));
        // Six days ago, then five hours ago: too far apart for the second report to join
        // the first's story (no longer active), close enough for the merge pass to join them.
        one.ingest_items(&s[0], &[item("https://nguon0.vn/a", &t0, &b0, 144)]).await.unwrap();
        two.ingest_items(&s[1], &[item("https://nguon1.vn/b", t1, b1, 5)]).await.unwrap();
        let (a, b) = (
            story_of(&store, "https://nguon0.vn/a").await,
            story_of(&store, "https://nguon1.vn/b").await,
        );
        assert_ne!(a, b, "{backend}");
        assert_eq!(two.merge_stories().await.unwrap(), 1, "{backend}");
        assert_eq!(story_of(&store, "https://nguon1.vn/b").await, a, "{backend}");
        // The first process applies the merge: its next report joins the merged story, and
        // it finds nothing left to merge.
        one.ingest_items(&s[2], &[item("https://nguon2.vn/c", t2, &b2, 4)]).await.unwrap();
        assert_eq!(story_of(&store, "https://nguon2.vn/c").await, a, "{backend}");
        assert_eq!(one.merge_stories().await.unwrap(), 0, "{backend}");
        let rows = store.stories(&StoryQuery { limit: 10, ..StoryQuery::default() }).await.unwrap();
        assert_eq!(rows.len(), 1, "{backend}: {rows:#?}");
        assert_eq!(rows[0].documents, 3, "{backend}");
    }
}

#[tokio::test]
async fn a_rebuild_elsewhere_makes_a_running_process_read_its_stories_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = build::pipeline(store.clone(), dir.path(), build::Rules::None, None);
    let s = sources(&store, &[("Báo A", SourceTier::Press), ("Báo B", SourceTier::Press)]).await;
    let [(t0, b0), (t1, b1), _]: [(String, String); 3] =
        events().swap_remove(2).try_into().unwrap();
    p.ingest_items(&s[0], &[item("https://nguon0.vn/a", &t0, &b0, 3)]).await.unwrap();
    let before = story_of(&store, "https://nguon0.vn/a").await;
    let rebuilt = pipeline::rebuild_stories(&store).await.unwrap();
    assert_eq!(rebuilt.documents, 1);
    let after = story_of(&store, "https://nguon0.vn/a").await;
    assert_ne!(before, after, "a rebuild gives fresh story ids");
    // The running process held the old story; the log tells it to read them again, and
    // the next report lands in the rebuilt story.
    p.ingest_items(&s[1], &[item("https://nguon1.vn/b", &t1, &b1, 2)]).await.unwrap();
    p.ingest_items(&s[1], &[]).await.unwrap();
    assert_eq!(story_of(&store, "https://nguon1.vn/b").await, after);
    let rows = store.stories(&StoryQuery { limit: 10, ..StoryQuery::default() }).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:#?}");
}
