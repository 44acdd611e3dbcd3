//! Delivery on every configured back end: job leases (one holder at a time, expiry,
//! release), job cursors, the outbox (dedupe keys, claims that never overlap, back-off,
//! claims that run out after a crash, the cursor written with the messages), users'
//! subscriptions, and what notifications read of an alert.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{NaiveTime, TimeZone, Utc};
use model::{
    Channel, DocumentPlaces, Hit, MatchedTerm, NewDocument, OutboxState, Priority, QuietHours,
    Role, RuleKind, Severity, SourceKind, SourceTier, SubscriptionSettings, Timestamp,
};
use store::{NewOutgoing, NewSource, Processed, Store};

/// Monday 7 December 2026, 00:00 UTC, plus `secs`.
fn at(secs: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

async fn each_store(f: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::stores(dir.path()).await {
        f(name, store.clone()).await;
        store.close().await;
    }
}

fn message(key: &str, body: &[u8]) -> NewOutgoing {
    NewOutgoing {
        dedupe_key: key.to_owned(),
        kind: "alert".to_owned(),
        channel: Channel::Email,
        recipient: "lan@soyte.example.vn".to_owned(),
        subject: format!("[P1] Khủng hoảng: {key} — Lắng Nghe"),
        body: body.to_vec(),
    }
}

const TTL: Duration = Duration::from_secs(300);

#[tokio::test]
async fn one_holder_at_a_time_until_the_lease_runs_out() {
    each_store(async |backend, store| {
        let ttl = Duration::from_secs(30);
        assert!(store.try_lease("outbox", "a", ttl, at(0)).await.unwrap(), "{backend}");
        assert!(!store.try_lease("outbox", "b", ttl, at(10)).await.unwrap(), "{backend}");
        // Another job's lease is another row.
        assert!(store.try_lease("digests", "b", ttl, at(10)).await.unwrap(), "{backend}");
        // The holder renews; the other still waits past the first expiry.
        assert!(store.try_lease("outbox", "a", ttl, at(20)).await.unwrap(), "{backend}");
        assert!(!store.try_lease("outbox", "b", ttl, at(40)).await.unwrap(), "{backend}");
        assert_eq!(store.lease("outbox").await.unwrap(), Some(("a".to_owned(), at(50))));
        // Not renewed, it runs out: b takes it, and a has lost it.
        assert!(store.try_lease("outbox", "b", ttl, at(50)).await.unwrap(), "{backend}");
        assert!(!store.try_lease("outbox", "a", ttl, at(51)).await.unwrap(), "{backend}");
        // Only the holder can release it; released, it is free at once.
        assert!(!store.release_lease("outbox", "a").await.unwrap(), "{backend}");
        assert!(store.release_lease("outbox", "b").await.unwrap(), "{backend}");
        assert!(store.try_lease("outbox", "a", ttl, at(52)).await.unwrap(), "{backend}");
    })
    .await;
}

#[tokio::test]
async fn concurrent_takers_of_a_free_lease_have_one_winner() {
    each_store(async |backend, store| {
        for round in 0..3 {
            let name = format!("spikes-{round}");
            let tries: Vec<_> = (0..8)
                .map(|i| {
                    let (store, name) = (store.clone(), name.clone());
                    tokio::spawn(async move {
                        store
                            .try_lease(&name, &format!("p{i}"), Duration::from_secs(30), at(0))
                            .await
                            .unwrap()
                    })
                })
                .collect();
            let mut won = 0;
            for t in tries {
                won += usize::from(t.await.unwrap());
            }
            assert_eq!(won, 1, "{backend} round {round}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_message_is_written_once_per_dedupe_key() {
    each_store(async |backend, store| {
        // Bytes that are not UTF-8 come back as they went in.
        let body = [0xff, 0x00, 0xfe, b'a'];
        let first = [message("event:1:sub:1", &body), message("event:1:sub:2", b"x")];
        assert_eq!(store.enqueue(&first, at(0)).await.unwrap(), 2, "{backend}");
        let again = [message("event:1:sub:1", b"changed"), message("event:2:sub:1", b"y")];
        assert_eq!(store.enqueue(&again, at(1)).await.unwrap(), 1, "{backend}");
        // Twice in one call is once too.
        let twice = [message("event:3:sub:1", b"z"), message("event:3:sub:1", b"z")];
        assert_eq!(store.enqueue(&twice, at(1)).await.unwrap(), 1, "{backend}");
        let keys = ["event:1:sub:1".to_owned()];
        let entries = store.outbox_by_keys(&keys).await.unwrap();
        assert_eq!(entries.len(), 1, "{backend}");
        assert_eq!(entries[0].state, OutboxState::Pending);
        let claimed = store.claim_outbox(at(2), TTL, 10).await.unwrap();
        let one = claimed.iter().find(|c| c.dedupe_key == "event:1:sub:1").unwrap();
        assert_eq!(one.body, body, "{backend}");
        assert_eq!(one.subject, "[P1] Khủng hoảng: event:1:sub:1 — Lắng Nghe");
        assert_eq!(claimed.len(), 4, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn only_due_messages_are_claimed_and_never_by_two_workers() {
    each_store(async |backend, store| {
        let now = at(0);
        let mut due: Vec<(NewOutgoing, Timestamp)> =
            (0..40).map(|i| (message(&format!("m{i}"), b"x"), now)).collect();
        // Held by quiet hours until an hour from now.
        due.push((message("held", b"x"), at(3600)));
        assert_eq!(store.enqueue_at(&due, now).await.unwrap(), 41, "{backend}");
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let got = store.claim_outbox(at(1), TTL, 3).await.unwrap();
                        if got.is_empty() {
                            return mine;
                        }
                        for c in got {
                            assert!(store.outbox_sent(&c, at(2)).await.unwrap());
                            mine.push(c.dedupe_key);
                        }
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.unwrap());
        }
        let distinct: BTreeSet<&String> = all.iter().collect();
        assert_eq!(all.len(), 40, "{backend}: every due message once");
        assert_eq!(distinct.len(), 40, "{backend}: no message claimed twice");
        assert!(!distinct.contains(&"held".to_owned()), "{backend}");
        // Its hour comes.
        assert_eq!(store.outbox_next_due().await.unwrap(), Some(at(3600)), "{backend}");
        assert!(store.claim_outbox(at(3599), TTL, 10).await.unwrap().is_empty(), "{backend}");
        let held = store.claim_outbox(at(3600), TTL, 10).await.unwrap();
        assert_eq!(held.len(), 1, "{backend}");
        assert_eq!(held[0].dedupe_key, "held");
    })
    .await;
}

#[tokio::test]
async fn outcomes_are_recorded_by_the_claim_that_holds_the_message() {
    each_store(async |backend, store| {
        store
            .enqueue(&[message("a", b"1"), message("b", b"2"), message("c", b"3")], at(0))
            .await
            .unwrap();
        let claimed = store.claim_outbox(at(0), TTL, 10).await.unwrap();
        assert_eq!(claimed.len(), 3, "{backend}");
        assert!(claimed.iter().all(|c| c.attempts == 1), "{backend}");
        let (a, b, c) = (&claimed[0], &claimed[1], &claimed[2]);
        assert!(store.outbox_sent(a, at(1)).await.unwrap(), "{backend}");
        // b failed and may pass: due again in a minute.
        assert!(store.outbox_failed(b, "connection refused", Some(at(61))).await.unwrap());
        // c cannot be delivered: failed at once.
        assert!(store.outbox_failed(c, "address refused", None).await.unwrap());
        assert!(store.claim_outbox(at(60), TTL, 10).await.unwrap().is_empty(), "{backend}");
        let again = store.claim_outbox(at(61), TTL, 10).await.unwrap();
        assert_eq!(again.len(), 1, "{backend}");
        assert_eq!((again[0].dedupe_key.as_str(), again[0].attempts), ("b", 2));
        // The old claim of b no longer counts.
        assert!(!store.outbox_sent(b, at(62)).await.unwrap(), "{backend}");
        assert!(store.outbox_sent(&again[0], at(62)).await.unwrap(), "{backend}");

        let entries = store.outbox_entries(None, 10).await.unwrap();
        let state = |k: &str| entries.iter().find(|e| e.dedupe_key == k).unwrap().clone();
        assert_eq!(state("a").state, OutboxState::Sent);
        assert_eq!(state("a").sent_at, Some(at(1)));
        assert_eq!(state("b").state, OutboxState::Sent);
        assert_eq!(state("b").last_error, None);
        assert_eq!(state("c").state, OutboxState::Failed);
        assert_eq!(state("c").last_error.as_deref(), Some("address refused"));
        assert_eq!(
            store.outbox_counts().await.unwrap(),
            [(OutboxState::Sent, 2), (OutboxState::Failed, 1)],
            "{backend}"
        );
        let failed = store.outbox_entries(Some(OutboxState::Failed), 10).await.unwrap();
        assert_eq!(failed.len(), 1);
        // A person sends it again: due now, with a fresh series of retries.
        assert!(store.outbox_retry(failed[0].id, at(100)).await.unwrap(), "{backend}");
        assert!(!store.outbox_retry(failed[0].id, at(100)).await.unwrap(), "only a failed one");
        let retried = store.claim_outbox(at(100), TTL, 10).await.unwrap();
        assert_eq!((retried[0].dedupe_key.as_str(), retried[0].attempts), ("c", 1));
    })
    .await;
}

#[tokio::test]
async fn a_message_left_sending_by_a_killed_worker_is_due_again_when_its_claim_runs_out() {
    each_store(async |backend, store| {
        store.enqueue(&[message("m", b"1")], at(0)).await.unwrap();
        let first = store.claim_outbox(at(0), TTL, 10).await.unwrap();
        assert_eq!(first.len(), 1);
        // The worker dies here. Before its claim runs out, nobody takes the message.
        assert!(store.claim_outbox(at(299), TTL, 10).await.unwrap().is_empty(), "{backend}");
        let second = store.claim_outbox(at(300), TTL, 10).await.unwrap();
        assert_eq!(second.len(), 1, "{backend}");
        assert_eq!(second[0].attempts, 2);
        // Given back untried, it is due at once and the attempt is not counted.
        assert!(store.outbox_release(&second[0]).await.unwrap(), "{backend}");
        let third = store.claim_outbox(at(301), TTL, 10).await.unwrap();
        assert_eq!(third[0].attempts, 2, "{backend}");
        // Claimed by key, whatever its time.
        store.enqueue_at(&[(message("later", b"2"), at(9_999))], at(301)).await.unwrap();
        let now = store
            .claim_outbox_keys(&["later".to_owned(), "m".to_owned()], at(302), TTL)
            .await
            .unwrap();
        let keys: Vec<&str> = now.iter().map(|c| c.dedupe_key.as_str()).collect();
        assert_eq!(keys, ["later"], "{backend}: m is still claimed");
    })
    .await;
}

#[tokio::test]
async fn messages_and_their_cursor_are_written_together() {
    each_store(async |backend, store| {
        // The migration starts notifications after the events already there (none here).
        assert_eq!(store.job_cursor("notifications").await.unwrap(), 0, "{backend}");
        assert_eq!(store.job_cursor("x").await.unwrap(), 0, "{backend}");
        let batch = [(message("event:5:sub:1", b"x"), at(0))];
        assert_eq!(store.enqueue_advancing("x", 5, &batch, at(0)).await.unwrap(), 1);
        assert_eq!(store.job_cursor("x").await.unwrap(), 5, "{backend}");
        // Read again after a crash: nothing twice, and the cursor never moves back.
        assert_eq!(store.enqueue_advancing("x", 3, &batch, at(1)).await.unwrap(), 0);
        assert_eq!(store.job_cursor("x").await.unwrap(), 5, "{backend}");
        assert_eq!(store.enqueue_advancing("x", 9, &[], at(1)).await.unwrap(), 0);
        assert_eq!(store.job_cursor("x").await.unwrap(), 9, "{backend}");
    })
    .await;
}

fn settings(target: &str) -> SubscriptionSettings {
    SubscriptionSettings {
        channel: Channel::Email,
        target: target.to_owned(),
        kinds: vec![RuleKind::Crisis, RuleKind::Rumor],
        min_priority: Priority::P2,
        topics: vec!["crisis.ngo-doc".to_owned()],
        provinces: vec!["75".to_owned(), "79".to_owned()],
        quiet: Some(QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(6, 30, 0).unwrap(),
        }),
        alerts: true,
        digest: true,
        enabled: true,
    }
}

#[tokio::test]
async fn subscriptions_are_kept_and_only_active_ones_are_subscribers() {
    each_store(async |backend, store| {
        let lan = store.create_user("lan", "x", Role::Officer, at(0)).await.unwrap();
        let minh = store.create_user("minh", "x", Role::Viewer, at(0)).await.unwrap();
        let s = store
            .create_subscription(lan.id, &settings("lan@soyte.example.vn"), at(1))
            .await
            .unwrap();
        assert_eq!(s.settings, settings("lan@soyte.example.vn"), "{backend}");
        assert_eq!((s.user_id, s.created_at, s.updated_at), (lan.id, at(1), at(1)));
        let mut off = settings("lan@nha.example.vn");
        off.enabled = false;
        off.quiet = None;
        off.kinds.clear();
        let second = store.create_subscription(lan.id, &off, at(2)).await.unwrap();
        assert_eq!(second.settings, off, "{backend}");
        let m = store
            .create_subscription(minh.id, &settings("minh@soyte.example.vn"), at(2))
            .await
            .unwrap();
        assert_eq!(store.subscriptions_of(lan.id).await.unwrap().len(), 2, "{backend}");

        let active: Vec<(i64, String, Role)> = store
            .subscribers()
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.subscription.id, s.user.name, s.user.role))
            .collect();
        assert_eq!(
            active,
            [(s.id, "lan".to_owned(), Role::Officer), (m.id, "minh".to_owned(), Role::Viewer)],
            "{backend}"
        );
        // A disabled account hears nothing.
        store.disable_user("minh", at(3)).await.unwrap();
        assert_eq!(store.subscribers().await.unwrap().len(), 1, "{backend}");

        off.enabled = true;
        off.channel = Channel::Webhook;
        off.target = "phong-truyen-thong".into();
        assert!(store.update_subscription(second.id, &off, at(4)).await.unwrap());
        let changed = store.subscription(second.id).await.unwrap().unwrap();
        assert_eq!((changed.settings, changed.updated_at), (off, at(4)), "{backend}");
        assert!(store.delete_subscription(s.id).await.unwrap());
        assert!(!store.delete_subscription(s.id).await.unwrap());
        assert_eq!(store.subscription(s.id).await.unwrap(), None, "{backend}");
        assert!(!store.update_subscription(s.id, &settings("x@y.vn"), at(5)).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn notifications_read_an_alert_with_its_provinces_and_latest_document() {
    each_store(async |backend, store| {
        let src = NewSource {
            name: "Báo Đồng Nai".into(),
            url: "http://127.0.0.1:1/dn.xml".into(),
            kind: SourceKind::Feed,
            tier: SourceTier::Press,
            allow_private: true,
            ..NewSource::default()
        };
        let source = store.upsert_source(&src, at(0)).await.unwrap().id;
        let doc = NewDocument {
            source_id: source,
            url: "https://dn.example.vn/ngo-doc".into(),
            title: "Hơn 100 học sinh ngộ độc sau bữa trưa".into(),
            summary: String::new(),
            body: "Sở Y tế Đồng Nai cho biết các em đã được cấp cứu.".into(),
            author: None,
            published_at: Some(at(0)),
            fetched_at: at(0),
            language: "vi".into(),
            content_hash: "h1".into(),
            post: None,
        };
        let hit = Hit {
            rule_id: "crisis.ngo-doc".into(),
            rule_title: "Ngộ độc tập thể".into(),
            kind: RuleKind::Crisis,
            severity: Severity::Critical,
            terms: vec![MatchedTerm {
                field: "title", start: 16, end: 25, term: "ngộ độc".into()
            }],
        };
        let mut p = Processed::new(doc, vec![hit]);
        p.places = DocumentPlaces { province: Some("75".into()), places: Vec::new() };
        store.insert_batch(&[p]).await.unwrap();
        let alert = store.alert_board(None, 10).await.unwrap()[0].alert.id;
        let facts = store.alert_facts(&[alert, alert, 999_999]).await.unwrap();
        assert_eq!(facts.len(), 1, "{backend}: a missing alert is left out");
        let f = &facts[&alert];
        assert_eq!(f.provinces, ["75"], "{backend}");
        assert_eq!(f.latest_title, "Hơn 100 học sinh ngộ độc sau bữa trưa");
        assert_eq!(f.latest_source, "Báo Đồng Nai");
        assert_eq!(f.alert.handling.priority, Priority::P1, "{backend}");
        assert_eq!(f.alert.rule_title, "Ngộ độc tập thể");
    })
    .await;
}

#[tokio::test]
async fn a_channel_token_is_replaced_whole() {
    each_store(async |backend, store| {
        assert_eq!(store.delivery_token("zalo").await.unwrap(), None, "{backend}");
        store.save_delivery_token("zalo", r#"{"a":1}"#, at(0)).await.unwrap();
        store.save_delivery_token("zalo", r#"{"a":2}"#, at(1)).await.unwrap();
        assert_eq!(store.delivery_token("zalo").await.unwrap().as_deref(), Some(r#"{"a":2}"#));
    })
    .await;
}
