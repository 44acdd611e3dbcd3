//! Stories as stored: placements on documents, alerts per (rule, story), and merges that
//! carry documents and alerts along, on every configured back end.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use model::{Hit, MatchedTerm, NewDocument, RuleKind, Severity, SourceTier, Story};
use store::{NewSource, Placement, Processed, StoryQuery, StoryUpdate};

fn now() -> model::Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

fn doc(source_id: i64, n: u32) -> NewDocument {
    NewDocument {
        source_id,
        url: format!("https://a.vn/{n}"),
        title: format!("Thần dược số {n}"),
        summary: String::new(),
        body: "Bài viết về thần dược chữa ung thư.".to_owned(),
        author: None,
        published_at: Some(now() - Duration::hours(i64::from(n))),
        fetched_at: now(),
        language: "vi".to_owned(),
        content_hash: format!("h{n}"),
        post: None,
    }
}

/// The press outlet every test's documents come from; its id.
async fn outlet(store: &store::Store) -> i64 {
    let s = NewSource {
        name: "Báo A".into(),
        url: "https://a.vn/rss".into(),
        tier: SourceTier::Press,
        ..NewSource::default()
    };
    store.upsert_source(&s, now()).await.unwrap().id
}

fn rumour() -> Hit {
    Hit {
        rule_id: "rumor.than-duoc".into(),
        rule_title: "Thần dược".into(),
        kind: RuleKind::Rumor,
        severity: Severity::High,
        terms: vec![MatchedTerm {
            field: "title", start: 0, end: 12, term: "thần dược".into()
        }],
    }
}

fn story(id: i64, origin: i64, source: i64) -> StoryUpdate {
    StoryUpdate {
        story: Story {
            id,
            title: format!("Câu chuyện {id}"),
            origin_document: origin,
            origin_source: source,
            origin_source_name: String::new(),
            origin_basis: "earliest".into(),
            province: Some("79".into()),
            first_seen: now() - Duration::hours(3),
            last_seen: now(),
            documents: 1,
            sightings: 1,
            outlets: 1,
        },
        relations: Vec::new(),
    }
}

#[tokio::test]
async fn alerts_follow_stories_and_merges_keep_one_incident() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let sid = outlet(&store).await;
        assert_eq!(store.next_story_id().await.unwrap(), 1);
        // Documents 1 and 2 are two stories (7 and 9); document 3 near-copies 2.
        let batch: Vec<Processed> =
            (1..=3).map(|n| Processed::new(doc(sid, n), vec![rumour()])).collect();
        let stored = store
            .insert_batch_placed(
                &batch,
                &mut store::placing(|group, inserted| {
                    assert_eq!(group, 0);
                    inserted
                        .iter()
                        .map(|i| Placement {
                            document_id: i.id,
                            story: Some(if i.batch_index == 0 { 7 } else { 9 }),
                            copy_of: (i.batch_index == 2).then(|| inserted[1].id),
                        })
                        .collect()
                }),
            )
            .await
            .unwrap();
        let ids: Vec<i64> = stored.inserted.iter().map(|i| i.id).collect();
        assert_eq!(store.next_story_id().await.unwrap(), 10, "{backend}");
        let board = store.alert_board(None, 10).await.unwrap();
        let mut subjects: Vec<&str> = board.iter().map(|e| e.alert.subject.as_str()).collect();
        subjects.sort_unstable();
        assert_eq!(subjects, ["story:7", "story:9"], "{backend}: one alert per story");
        let nine = board.iter().find(|e| e.alert.subject == "story:9").unwrap();
        assert_eq!(nine.alert.doc_count, 2);

        store.save_stories(&[story(7, ids[0], sid), story(9, ids[1], sid)], now()).await.unwrap();
        let listed =
            store.stories(&StoryQuery { limit: 10, ..StoryQuery::default() }).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].origin_source_name, "Báo A");
        let by_province =
            StoryQuery { province: Some("01".into()), limit: 10, ..StoryQuery::default() };
        assert!(store.stories(&by_province).await.unwrap().is_empty());
        let by_rule =
            StoryQuery { rule: Some("rumor.than-duoc".into()), limit: 10, ..StoryQuery::default() };
        assert_eq!(store.stories(&by_rule).await.unwrap().len(), 2, "{backend}");
        let other =
            StoryQuery { rule: Some("rumor.khac".into()), limit: 10, ..StoryQuery::default() };
        assert!(store.stories(&other).await.unwrap().is_empty());

        // Story 9 turns out to be story 7's event.
        store.merge_stories(&[(9, 7)], chrono::Utc::now()).await.unwrap();
        assert!(store.story(9).await.unwrap().is_none());
        let docs = store.story_documents(7, 10).await.unwrap();
        assert_eq!(docs.len(), 3, "{backend}");
        let board = store.alert_board(None, 10).await.unwrap();
        assert_eq!(board.len(), 1, "{backend}: {board:#?}");
        assert_eq!(board[0].alert.subject, "story:7");
        assert_eq!(board[0].alert.doc_count, 3);
        assert_eq!(store.story_alerts(7).await.unwrap().len(), 1);
        assert!(store.story_alerts(9).await.unwrap().is_empty());
        assert_eq!(store.alert_documents(board[0].alert.id, 10).await.unwrap().len(), 3);
    }
}

/// Records what a refresh asked for and got.
struct Recording {
    known: Vec<i64>,
    texts: Vec<(i64, String)>,
}

impl store::StorySummary for Recording {
    fn wants_text(&self, member: &store::StoryMember) -> bool {
        !self.known.contains(&member.sighting.document_id)
    }

    fn summarise(&mut self, members: &[store::StoryMember]) -> Vec<StoryUpdate> {
        self.texts = members.iter().map(|m| (m.sighting.document_id, m.text.clone())).collect();
        vec![story(members[0].story_id, members[0].sighting.document_id, 1)]
    }
}

#[tokio::test]
async fn a_refresh_reads_only_the_texts_its_caller_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let sid = outlet(&store).await;
        let batch: Vec<Processed> = (1..=3)
            .map(|n| {
                let mut d = doc(sid, n);
                d.summary = format!("Sa pô {n}.");
                d.body = format!("Theo TTXVN, bài {n}. {}", "Nội dung dài. ".repeat(40));
                Processed::new(d, Vec::new())
            })
            .collect();
        let stored = store.insert_batch_placed(&batch, &mut store::into_story(5)).await.unwrap();
        let ids: Vec<i64> = stored.inserted.iter().map(|i| i.id).collect();
        let mut summary = Recording { known: vec![ids[1]], texts: Vec::new() };
        store.refresh_stories(&[5], now(), &mut summary).await.unwrap();
        // Earliest first (document 3 was published first); the known one without its text.
        let got: Vec<i64> = summary.texts.iter().map(|t| t.0).collect();
        assert_eq!(got, [ids[2], ids[1], ids[0]], "{backend}");
        assert_eq!(summary.texts[1].1, "", "{backend}");
        for (id, text) in [&summary.texts[0], &summary.texts[2]] {
            let n = ids.iter().position(|i| i == id).unwrap() + 1;
            assert!(
                text.starts_with(&format!("Sa pô {n}.\nTheo TTXVN, bài {n}.")),
                "{backend}: {text}"
            );
            // The head and the tail, each of `ATTRIBUTION_CHARS` characters, on either side
            // of a line break (the head has one of its own, after the lead).
            assert_eq!(text.chars().count(), 2 * store::ATTRIBUTION_CHARS + 1, "{backend}");
            let tail = text.rsplit_once('\n').unwrap().1;
            assert_eq!(tail.chars().count(), store::ATTRIBUTION_CHARS, "{backend}");
            assert!(tail.trim_end().ends_with("Nội dung dài."), "{backend}: {tail}");
        }
        assert_eq!(store.story(5).await.unwrap().unwrap().origin_document, ids[2], "{backend}");
        // Read for a page, every text is there.
        let members = store.story_members(&[5]).await.unwrap();
        assert!(members.iter().all(|m| !m.text.is_empty()), "{backend}");
    }
}

/// A caller that holds a new document's text makes what a refresh would read of it
/// itself: the same characters as the store's query, at every length around the limit.
#[tokio::test]
async fn the_attribution_text_made_from_a_document_is_what_the_store_reads() {
    let dir = tempfile::tempdir().unwrap();
    let n = store::ATTRIBUTION_CHARS;
    let long = |c: &str, k: usize| c.repeat(k);
    let cases: Vec<(String, String)> = vec![
        (String::new(), String::new()),
        (String::new(), "Theo TTXVN.".into()),
        ("Sa pô.".into(), long("ầ", n - 1)),
        ("Sa pô.".into(), long("ầ", n)),
        ("Sa pô.".into(), long("ầ", n + 1)),
        (long("ệ", n - 1), "Theo VnExpress".into()),
        (long("ệ", n), long("a", 2 * n)),
        (String::new(), format!("{}Nguồn: Bộ Y tế{}", long("x", n), long("ữ", n - 7))),
        ("Dòng một\nDòng hai".into(), "🦠 Theo Dân trí 🦠".into()),
    ];
    for (backend, store) in store::testing::stores(dir.path()).await {
        let sid = outlet(&store).await;
        let batch: Vec<Processed> = cases
            .iter()
            .enumerate()
            .map(|(k, (summary, body))| {
                let mut d = doc(sid, k as u32 + 1);
                d.summary = summary.clone();
                d.body = body.clone();
                Processed::new(d, Vec::new())
            })
            .collect();
        let stored = store.insert_batch_placed(&batch, &mut store::into_story(8)).await.unwrap();
        assert_eq!(stored.inserted.len(), cases.len(), "{backend}");
        for m in store.story_members(&[8]).await.unwrap() {
            let k = stored.inserted.iter().find(|i| i.id == m.sighting.document_id).unwrap();
            let (summary, body) = &cases[k.batch_index];
            assert_eq!(m.text, store::attribution_text(summary, body), "{backend}: case {k:?}");
        }
    }
}
