//! Saved searches, the facts the search index is rebuilt with, and what a briefing pack
//! reads, on every configured back end.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use model::{
    Channel, Hit, HitStance, MatchedTerm, NewDocument, Role, RuleKind, Severity, SourceTier, Stance,
};
use store::{Error, NewOutgoing, NewSavedSearch, NewSource, Processed, SearchFilters, Store};

fn now() -> model::Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

fn doc(source_id: i64, n: u32) -> NewDocument {
    NewDocument {
        source_id,
        url: format!("https://a.vn/{n}"),
        title: format!("Lá đu đủ chữa sốt xuất huyết, bài {n}"),
        summary: String::new(),
        body: "Uống nước lá đu đủ khỏi sốt xuất huyết.".to_owned(),
        author: None,
        published_at: Some(now() - Duration::hours(i64::from(n))),
        fetched_at: now(),
        language: "vi".to_owned(),
        content_hash: format!("h{n}"),
        post: None,
    }
}

fn hit(rule: &str, kind: RuleKind) -> Hit {
    Hit {
        rule_id: rule.into(),
        rule_title: format!("Quy tắc {rule}").into(),
        kind,
        severity: Severity::High,
        terms: vec![MatchedTerm { field: "title", start: 0, end: 5, term: "lá đu".into() }],
    }
}

/// Three documents of one story: the first carries the rumour, the second refutes it, the
/// third is a topic hit only; the first two are about Đồng Nai.
async fn fixture(store: &Store) -> (i64, Vec<i64>, i64) {
    let source = NewSource {
        name: "Trang A".into(),
        url: "https://a.vn/rss".into(),
        tier: SourceTier::Social,
        ..NewSource::default()
    };
    let sid = store.upsert_source(&source, now()).await.unwrap().id;
    let story = store.next_story_id().await.unwrap();
    let batch: Vec<Processed> = (1..=3)
        .map(|n| {
            let mut hits = vec![hit("topic.sxh", RuleKind::Topic)];
            let mut p = Processed::new(doc(sid, n), Vec::new());
            if n < 3 {
                hits.push(hit("rumor.la-du-du", RuleKind::Rumor));
                p.stances.push(HitStance {
                    rule_id: "rumor.la-du-du".into(),
                    stance: if n == 1 { Stance::Carries } else { Stance::Refutes },
                    cues: Vec::new(),
                });
                p.places.province = Some("75".into());
            }
            p.hits = hits;
            p
        })
        .collect();
    let stored = store.insert_batch_placed(&batch, &mut store::into_story(story)).await.unwrap();
    (sid, stored.inserted.iter().map(|i| i.id).collect(), story)
}

#[tokio::test]
async fn saved_searches_are_kept_per_owner_and_announce_each_batch_once() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let (_, docs, _) = fixture(&store).await;
        let lan = store.create_user("lan", "x", Role::Viewer, now()).await.unwrap();
        let minh = store.create_user("minh", "x", Role::Officer, now()).await.unwrap();
        let filters = SearchFilters {
            from: NaiveDate::from_ymd_opt(2026, 11, 1),
            tier: Some(SourceTier::Social),
            stance: Some(Stance::Carries),
            ..SearchFilters::default()
        };
        let new = NewSavedSearch {
            owner_id: lan.id,
            name: "Lá đu đủ".into(),
            query: "\"lá đu đủ\"".into(),
            filters: filters.clone(),
            sort: "newest".into(),
            notify: true,
        };
        let saved = store.create_saved_search(&new, now()).await.unwrap();
        assert_eq!(saved.filters, filters, "{backend}");
        // Only what comes after saving is news.
        assert_eq!(saved.last_notified_doc, *docs.iter().max().unwrap(), "{backend}");
        assert!(matches!(store.create_saved_search(&new, now()).await, Err(Error::Conflict(_))));
        let other = NewSavedSearch { owner_id: minh.id, notify: false, ..new.clone() };
        let theirs = store.create_saved_search(&other, now()).await.unwrap();
        assert_eq!(store.saved_searches_of(lan.id).await.unwrap(), std::slice::from_ref(&saved));
        assert_eq!(store.saved_search(saved.id).await.unwrap(), Some(saved.clone()));
        let notifying = store.notifying_saved_searches().await.unwrap();
        assert_eq!(notifying.iter().map(|s| s.id).collect::<Vec<_>>(), [saved.id], "{backend}");

        // Somebody else's cannot be changed or deleted.
        assert!(!store.delete_saved_search(saved.id, minh.id).await.unwrap());
        assert!(!store.set_saved_search_notify(saved.id, minh.id, false).await.unwrap());
        assert!(store.set_saved_search_notify(theirs.id, minh.id, true).await.unwrap());
        assert!(store.saved_search(theirs.id).await.unwrap().unwrap().notify);

        // A batch announced: the messages and the cursor in one go, and once only.
        let from = saved.last_notified_doc;
        let message = |key: &str| {
            (
                NewOutgoing {
                    dedupe_key: key.to_owned(),
                    kind: "saved_search".into(),
                    channel: Channel::Email,
                    recipient: "lan@so-y-te.vn".into(),
                    subject: "2 bài mới".into(),
                    body: b"x".to_vec(),
                },
                now(),
            )
        };
        let written = store
            .saved_search_notified(saved.id, from, from + 10, &[message("saved:1:a")], now())
            .await
            .unwrap();
        assert_eq!(written, Some(1), "{backend}");
        let again = store
            .saved_search_notified(saved.id, from, from + 10, &[message("saved:1:b")], now())
            .await
            .unwrap();
        assert_eq!(again, None, "{backend}: the cursor had moved");
        let keys = ["saved:1:a".to_owned(), "saved:1:b".to_owned()];
        assert_eq!(store.outbox_by_keys(&keys).await.unwrap().len(), 1, "{backend}");
        let after = store.saved_search(saved.id).await.unwrap().unwrap();
        assert_eq!(after.last_notified_doc, from + 10);
        assert_eq!(after.last_notified_at, Some(now()));
        // A pass with nothing to say moves the cursor and keeps the last announcement time.
        let quiet = store
            .saved_search_notified(saved.id, from + 10, from + 12, &[], now() + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(quiet, Some(0));
        let after = store.saved_search(saved.id).await.unwrap().unwrap();
        assert_eq!((after.last_notified_doc, after.last_notified_at), (from + 12, Some(now())));

        // Off, then on again: news start from the latest document.
        assert!(store.set_saved_search_notify(saved.id, lan.id, false).await.unwrap());
        assert!(store.set_saved_search_notify(saved.id, lan.id, true).await.unwrap());
        let back = store.saved_search(saved.id).await.unwrap().unwrap();
        assert_eq!(back.last_notified_doc, store.last_document_id().await.unwrap());
        // A disabled owner's searches are not announced.
        store.disable_user("lan", now()).await.unwrap();
        let notifying = store.notifying_saved_searches().await.unwrap();
        assert_eq!(notifying.iter().map(|s| s.id).collect::<Vec<_>>(), [theirs.id]);
        assert!(store.delete_saved_search(saved.id, lan.id).await.unwrap());
        assert!(store.saved_searches_of(lan.id).await.unwrap().is_empty());
        store.close().await;
    }
}

#[tokio::test]
async fn the_index_facts_and_briefing_reads_come_from_hits_places_and_sightings() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let (sid, docs, story) = fixture(&store).await;
        let facts = store.document_facts(0, docs[2]).await.unwrap();
        let first = &facts[&docs[0]];
        assert_eq!(first.province.as_deref(), Some("75"), "{backend}");
        let rules: Vec<(&str, RuleKind, Option<Stance>)> =
            first.hits.iter().map(|h| (h.rule_id.as_str(), h.kind, h.stance)).collect();
        assert_eq!(
            rules,
            [
                ("rumor.la-du-du", RuleKind::Rumor, Some(Stance::Carries)),
                ("topic.sxh", RuleKind::Topic, None)
            ],
            "{backend}"
        );
        assert_eq!(facts[&docs[2]].province, None);
        // Bounds: after the first, up to the second.
        let some = store.document_facts(docs[0], docs[1]).await.unwrap();
        assert_eq!(some.keys().copied().collect::<Vec<_>>(), [docs[1]]);

        assert_eq!(store.story_document_ids(story).await.unwrap(), docs);
        let stances = store.story_stances(story).await.unwrap();
        let got: Vec<(i64, Stance)> = stances.iter().map(|s| (s.document_id, s.stance)).collect();
        assert_eq!(got, [(docs[0], Stance::Carries), (docs[1], Stance::Refutes)], "{backend}");

        let items = store
            .rule_sightings("rumor.la-du-du", now() - Duration::days(1), now(), 100)
            .await
            .unwrap();
        // Earliest first: document 2 was published two hours before, document 1 one.
        let got: Vec<(i64, Option<Stance>)> =
            items.iter().map(|i| (i.sighting.document_id, i.stance)).collect();
        assert_eq!(got, [(docs[1], Some(Stance::Refutes)), (docs[0], Some(Stance::Carries))]);
        assert!(items.iter().all(|i| i.sighting.source_id == sid && i.story == Some(story)));
        let window = store
            .rule_sightings("rumor.la-du-du", now() - Duration::minutes(90), now(), 100)
            .await
            .unwrap();
        assert_eq!(window.len(), 1, "{backend}");

        let alerts = store
            .rule_alerts(
                "rumor.la-du-du",
                now() - Duration::days(1),
                now() + Duration::hours(1),
                10,
            )
            .await
            .unwrap();
        assert_eq!(alerts.len(), 1, "{backend}: the carrying document opened one alert");
        assert!(
            store
                .rule_alerts("topic.sxh", now() - Duration::days(1), now(), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.rule_hit_title("rumor.la-du-du").await.unwrap(),
            Some(("Quy tắc rumor.la-du-du".to_owned(), RuleKind::Rumor))
        );
        assert_eq!(store.rule_hit_title("rumor.khong-co").await.unwrap(), None);
        store.close().await;
    }
}
