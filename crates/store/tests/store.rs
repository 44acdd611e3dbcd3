//! Store behaviour on every configured back end: SQLite always, PostgreSQL when
//! `LANGNGHE_TEST_POSTGRES_URL` is set.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use model::{Hit, MatchedTerm, NewDocument, Role, RuleKind, Severity, SourceKind, SourceTier};
use store::{NewSource, Processed, Store};

fn now() -> model::Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

fn doc(source_id: i64, url: &str, hash: &str) -> NewDocument {
    NewDocument {
        source_id,
        url: url.to_owned(),
        title: "Cảnh báo thần dược".to_owned(),
        summary: "Tóm tắt".to_owned(),
        body: "Bài viết về thần dược chữa ung thư.".to_owned(),
        author: Some("PV".to_owned()),
        published_at: Some(now() - Duration::hours(1)),
        fetched_at: now(),
        language: "vi".to_owned(),
        content_hash: hash.to_owned(),
        post: None,
    }
}

fn hit(rule: &str, kind: RuleKind) -> Hit {
    Hit {
        rule_id: rule.into(),
        rule_title: format!("Rule {rule}").into(),
        kind,
        severity: Severity::High,
        terms: vec![MatchedTerm {
            field: "body", start: 14, end: 25, term: "thần dược".into()
        }],
    }
}

async fn source(store: &Store) -> i64 {
    let s = NewSource {
        name: "Báo A".into(),
        url: "http://127.0.0.1:1/a.xml".into(),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        interval_secs: 300,
        allow_private: true,
        ..NewSource::default()
    };
    store.upsert_source(&s, now()).await.unwrap().id
}

async fn each_store(f: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::stores(dir.path()).await {
        f(name, store.clone()).await;
        store.close().await;
    }
}

#[tokio::test]
async fn documents_are_deduplicated_by_url_and_content_hash() {
    each_store(async |backend, store| {
        let sid = source(&store).await;
        let batch = vec![
            Processed::new(doc(sid, "https://a.vn/1", "h1"), vec![hit("rumor.x", RuleKind::Rumor)]),
            Processed::new(doc(sid, "https://a.vn/2", "h2"), vec![hit("topic.y", RuleKind::Topic)]),
            // Same text under another URL: a copy.
            Processed::new(doc(sid, "https://b.vn/copy", "h1"), vec![]),
        ];
        let stored = store.insert_batch(&batch).await.unwrap();
        let first = stored.inserted;
        assert_eq!(first.iter().map(|i| i.batch_index).collect::<Vec<_>>(), [0, 1], "{backend}");
        assert_eq!(
            stored.copies,
            [store::Copied { batch_index: 2, document_id: first[0].id }],
            "{backend}: the copy is not a sighting"
        );
        let again = store.insert_batch(&batch).await.unwrap();
        assert_eq!(again, store::Stored::default(), "{backend}: re-inserting changed something");
        let counts = store.counts().await.unwrap();
        assert_eq!((counts.documents, counts.hits, counts.alerts), (2, 2, 1), "{backend}");

        let d = store.document(first[0].id).await.unwrap();
        assert_eq!(d.doc, batch[0].doc, "{backend}: document did not round-trip");
        assert_eq!(d.source_name, "Báo A");
        let hits = store.hits_for_document(first[0].id).await.unwrap();
        assert_eq!(hits, batch[0].hits, "{backend}: hits did not round-trip");
        let after = store.documents_after(first[0].id, 10).await.unwrap();
        assert_eq!(after.iter().map(|d| d.id).collect::<Vec<_>>(), [first[1].id]);
    })
    .await;
}

#[tokio::test]
async fn alert_hits_update_the_open_alert_of_their_rule() {
    each_store(async |backend, store| {
        let sid = source(&store).await;
        let a =
            Processed::new(doc(sid, "https://a.vn/1", "h1"), vec![hit("rumor.x", RuleKind::Rumor)]);
        let mut b =
            Processed::new(doc(sid, "https://a.vn/2", "h2"), vec![hit("rumor.x", RuleKind::Rumor)]);
        b.doc.fetched_at = now() + Duration::minutes(5);
        store.insert_batch(&[a]).await.unwrap();
        let ins = store.insert_batch(&[b]).await.unwrap().inserted;
        let board = store.alert_board(None, 10).await.unwrap();
        assert_eq!(board.len(), 1, "{backend}");
        let e = &board[0];
        assert_eq!(e.alert.doc_count, 2);
        assert_eq!(e.alert.last_document_id, ins[0].id);
        assert_eq!(e.alert.last_seen, now() + Duration::minutes(5));
        assert_eq!(e.alert.first_seen, now());
        assert_eq!(e.alert.state, model::AlertState::New);
        assert_eq!(&*e.hit.terms[0].term, "thần dược");
        assert_eq!(store.alert_documents(e.alert.id, 10).await.unwrap().len(), 2);
        let window = store
            .alert_board(Some((now() + Duration::hours(1), now() + Duration::hours(2))), 10)
            .await
            .unwrap();
        assert!(window.is_empty(), "{backend}");
        let top = store.top_documents_between(now(), now() + Duration::hours(1), 5).await.unwrap();
        assert_eq!(top.len(), 2, "{backend}");
        assert_eq!((e.alert.subject.as_str(), e.alert.severity), ("rule", Severity::High));

        // The alert keeps the highest severity it has seen; a milder hit grows it all the same.
        let mut mild = hit("rumor.x", RuleKind::Rumor);
        mild.severity = Severity::Low;
        let mut c = Processed::new(doc(sid, "https://a.vn/3", "h3"), vec![mild]);
        c.doc.fetched_at = now() + Duration::minutes(9);
        store.insert_batch(&[c]).await.unwrap();
        let board = store.alert_board(None, 10).await.unwrap();
        assert_eq!(board.len(), 1, "{backend}");
        assert_eq!((board[0].alert.severity, board[0].alert.doc_count), (Severity::High, 3));
    })
    .await;
}

#[tokio::test]
async fn source_fetch_state_round_trips() {
    each_store(async |backend, store| {
        let sid = source(&store).await;
        assert_eq!(store.due_sources(now(), 10).await.unwrap().len(), 1, "{backend}");
        store
            .record_fetch_failure(sid, "connection refused", now(), now() + Duration::minutes(10))
            .await
            .unwrap();
        assert!(store.due_sources(now(), 10).await.unwrap().is_empty(), "{backend}");
        let s = &store.list_sources().await.unwrap()[0];
        assert_eq!(s.state.error_count, 1);
        assert_eq!(s.state.last_error.as_deref(), Some("connection refused"));
        let poll = store::PollSuccess {
            etag: Some("\"v1\""),
            last_modified: Some("Fri, 20 Nov 2026 03:00:00 GMT"),
            at: now(),
            interval_secs: 300,
            next_poll: now() + Duration::minutes(5),
            not_modified: false,
        };
        store.record_fetch_success(sid, &poll).await.unwrap();
        let unchanged =
            store::PollSuccess { etag: None, last_modified: None, not_modified: true, ..poll };
        store.record_fetch_success(sid, &unchanged).await.unwrap();
        let s = &store.list_sources().await.unwrap()[0];
        assert_eq!(
            (s.state.error_count, s.state.etag.as_deref()),
            (0, Some("\"v1\"")),
            "{backend}: a 304 keeps the validators"
        );
        assert_eq!(s.state.next_poll_at, Some(now() + Duration::minutes(5)));
        assert_eq!((s.state.polls, s.state.not_modified), (2, 1), "{backend}");
        assert_eq!(s.state.poll_interval_secs, Some(300));
        assert!(s.allow_private && s.enabled);
        // Re-declaring a source keeps its fetch state.
        source(&store).await;
        assert_eq!(store.list_sources().await.unwrap()[0].state.etag.as_deref(), Some("\"v1\""));
    })
    .await;
}

#[tokio::test]
async fn users_sessions_and_tokens() {
    each_store(async |backend, store| {
        let u = store.create_user("lan", "hash", Role::Officer, now()).await.unwrap();
        assert!(
            matches!(
                store.create_user("lan", "x", Role::Viewer, now()).await,
                Err(store::Error::Conflict(_))
            ),
            "{backend}"
        );
        let (found, hash) = store.user_by_name("lan").await.unwrap().unwrap();
        assert_eq!((found.id, hash.as_str(), found.role), (u.id, "hash", Role::Officer));
        store.create_session("sh", u.id, "csrf", now(), now() + Duration::hours(1)).await.unwrap();
        assert_eq!(store.session("sh", now()).await.unwrap().unwrap().csrf_token, "csrf");
        assert!(
            store.session("sh", now() + Duration::hours(2)).await.unwrap().is_none(),
            "{backend}: expired session accepted"
        );
        store.delete_session("sh", now()).await.unwrap();
        assert!(store.session("sh", now()).await.unwrap().is_none());
        store.create_api_token(u.id, "cli", "th", now(), now() + Duration::days(90)).await.unwrap();
        assert_eq!(store.user_by_api_token("th", now()).await.unwrap().unwrap().name, "lan");
        assert!(store.user_by_api_token("nope", now()).await.unwrap().is_none());
        store.audit(Some(u.id), "login", "user:lan", "", now()).await.unwrap();
        let log = store.audit_log(5).await.unwrap();
        assert_eq!((log[0].1.as_deref(), log[0].2.as_str()), (Some("lan"), "login"), "{backend}");
    })
    .await;
}

#[tokio::test]
async fn bad_urls_are_refused_with_a_clear_error() {
    let e = Store::open("mysql://u:pw@h/db").await.unwrap_err().to_string();
    assert!(
        e.contains("unsupported database URL") && e.contains("u:***@h") && !e.contains("pw"),
        "{e}"
    );
}

#[tokio::test]
async fn updated_articles_keep_their_history() {
    each_store(async |backend, store| {
        let sid = source(&store).await;
        let first =
            Processed::new(doc(sid, "https://a.vn/1", "v1"), vec![hit("topic.a", RuleKind::Topic)]);
        let ins = store.insert_batch(&[first]).await.unwrap().inserted;
        let id = ins[0].id;
        let known = store
            .known_documents(&["https://a.vn/1".to_owned(), "https://a.vn/2".to_owned()])
            .await
            .unwrap();
        assert_eq!(known.len(), 1, "{backend}");
        assert_eq!(
            (known["https://a.vn/1"].id, known["https://a.vn/1"].content_hash.as_str()),
            (id, "v1")
        );

        // Other links to a document lead to it, also when it was stored first by another.
        let linked = Processed {
            aliases: vec!["https://a.vn/feed-link-1".to_owned()],
            ..Processed::new(doc(sid, "https://a.vn/1", "v1"), Vec::new())
        };
        assert_eq!(
            store.insert_batch(&[linked]).await.unwrap(),
            store::Stored::default(),
            "{backend}"
        );
        let known = store.known_documents(&["https://a.vn/feed-link-1".to_owned()]).await.unwrap();
        assert_eq!(known["https://a.vn/feed-link-1"].id, id, "{backend}");

        let mut new = doc(sid, "https://a.vn/1", "v2");
        new.body = "Bài viết đã cập nhật: số ca tăng.".to_owned();
        let revision = store::Revision {
            id,
            new: Processed::new(new, vec![hit("rumor.than-duoc", RuleKind::Rumor)]),
        };
        let later = now() + Duration::hours(2);
        assert_eq!(store.revise(std::slice::from_ref(&revision), later).await.unwrap(), vec![id]);
        let d = store.document(id).await.unwrap();
        assert_eq!(
            (d.revision, d.revised_at, d.doc.content_hash.as_str()),
            (1, Some(later), "v2"),
            "{backend}"
        );
        assert!(d.doc.body.contains("cập nhật"));
        let history = store.revisions(id).await.unwrap();
        assert_eq!(history.len(), 1);
        assert!(history[0].3.contains("Bài viết về thần dược"), "{history:?}");
        let hits: Vec<String> = store
            .hits_for_document(id)
            .await
            .unwrap()
            .into_iter()
            .map(|h| h.rule_id.to_string())
            .collect();
        assert_eq!(hits, ["rumor.than-duoc"], "{backend}: hits follow the new text");
        assert_eq!(
            store.alert_board(None, 10).await.unwrap().len(),
            1,
            "{backend}: the new hit alerts"
        );
        // The same version again changes nothing, nor does a version that copies another
        // document.
        assert!(store.revise(&[revision], later).await.unwrap().is_empty());
        let other = store
            .insert_batch(&[Processed::new(doc(sid, "https://a.vn/3", "v3"), vec![])])
            .await
            .unwrap();
        assert_eq!(other.inserted.len(), 1);
        let copy =
            store::Revision { id, new: Processed::new(doc(sid, "https://a.vn/1", "v3"), vec![]) };
        assert!(store.revise(&[copy], later).await.unwrap().is_empty(), "{backend}");
        assert_eq!(store.publication_times(sid, 10).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn sources_by_origin_and_removal() {
    each_store(async |backend, store| {
        let from_config = source(&store).await;
        let by_hand = store
            .upsert_source(
                &NewSource {
                    name: "Thêm tay".into(),
                    url: "https://tay.vn/rss".into(),
                    origin: model::SourceOrigin::Cli,
                    ..NewSource::default()
                },
                now(),
            )
            .await
            .unwrap()
            .id;
        // Syncing the configuration disables only what came from it.
        assert_eq!(store.disable_sources_except(&[]).await.unwrap(), 1, "{backend}");
        assert!(!store.source(from_config).await.unwrap().enabled);
        assert!(store.source(by_hand).await.unwrap().enabled);
        store.set_source_enabled(from_config, true, now()).await.unwrap();
        assert!(store.find_source("https://tay.vn/rss").await.unwrap().enabled);

        let mut post = doc(by_hand, "https://facebook.com/p/1", "p1");
        post.post = Some(model::Post {
            platform: "facebook".into(),
            reactions: Some(120),
            shares: Some(30),
            comments: None,
        });
        store
            .insert_batch(&[Processed::new(post, vec![hit("rumor.than-duoc", RuleKind::Rumor)])])
            .await
            .unwrap();
        let d = store.documents_after(0, 10).await.unwrap();
        assert_eq!(d[0].doc.post.as_ref().unwrap().reactions, Some(120), "{backend}");
        assert!(matches!(
            store.remove_source(by_hand, false).await,
            Err(store::Error::Conflict(_))
        ));
        let removed = store.remove_source(by_hand, true).await.unwrap();
        assert_eq!(removed.len(), 1);
        assert!(
            store.alert_board(None, 10).await.unwrap().is_empty(),
            "{backend}: the alert went with its only document"
        );
        assert!(matches!(store.source(by_hand).await, Err(store::Error::NotFound(_))));
        assert_eq!(store.remove_source(from_config, false).await.unwrap(), Vec::<i64>::new());
    })
    .await;
}

#[tokio::test]
async fn copies_are_sightings_never_dropped() {
    each_store(async |backend, store| {
        let a = source(&store).await;
        let b = store
            .upsert_source(
                &NewSource {
                    name: "Báo B".into(),
                    url: "http://127.0.0.1:1/b.xml".into(),
                    kind: SourceKind::Feed,
                    tier: SourceTier::Aggregator,
                    ..NewSource::default()
                },
                now(),
            )
            .await
            .unwrap()
            .id;
        let original =
            Processed::new(doc(a, "https://a.vn/1", "h1"), vec![hit("rumor.x", RuleKind::Rumor)]);
        let id = store.insert_batch(&[original]).await.unwrap().inserted[0].id;
        // Another outlet runs the same text an hour later: a sighting of the same document.
        let mut copy = doc(b, "https://b.vn/lai", "h1");
        copy.published_at = Some(now());
        copy.fetched_at = now() + Duration::hours(1);
        let stored = store.insert_batch(&[Processed::new(copy.clone(), vec![])]).await.unwrap();
        assert!(stored.inserted.is_empty(), "{backend}");
        assert_eq!(stored.copies, [store::Copied { batch_index: 0, document_id: id }]);
        let seen = store.sightings(id).await.unwrap();
        let urls: Vec<(&str, &str)> =
            seen.iter().map(|s| (s.url.as_str(), s.source_name.as_str())).collect();
        assert_eq!(urls, [("https://a.vn/1", "Báo A"), ("https://b.vn/lai", "Báo B")], "{backend}");
        assert_eq!(seen[1].tier, SourceTier::Aggregator);
        assert_eq!(seen[1].time(), now());
        // Known from then on: the copy's URL is not read again, nor taken for a revision.
        let known = store.known_documents(&["https://b.vn/lai".to_owned()]).await.unwrap();
        assert_eq!((known["https://b.vn/lai"].id, known["https://b.vn/lai"].copy), (id, true));
        let own = store.known_documents(&["https://a.vn/1".to_owned()]).await.unwrap();
        assert!(!own["https://a.vn/1"].copy, "{backend}");
        // Storing the copy again changes nothing; the counts see one document.
        let again = store.insert_batch(&[Processed::new(copy, vec![])]).await.unwrap();
        assert_eq!(again, store::Stored::default(), "{backend}");
        assert_eq!(store.sightings(id).await.unwrap().len(), 2);
        assert_eq!(store.counts().await.unwrap().documents, 1);
        // A source that only carried copies is removed with them only when purged.
        assert!(matches!(store.remove_source(b, false).await, Err(store::Error::Conflict(_))));
        assert!(store.remove_source(b, true).await.unwrap().is_empty(), "{backend}");
        assert_eq!(store.sightings(id).await.unwrap().len(), 1, "{backend}");
        assert_eq!(store.remove_source(a, true).await.unwrap(), [id]);
    })
    .await;
}
