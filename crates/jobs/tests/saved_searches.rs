//! Saved-search notifications on a real store: new matches are announced once per
//! subscription channel of the owner, with the search's filters applied to each document's
//! facts, quiet hours respected, and nothing announced twice however often the pass runs.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use jobs::notifications::Letterhead;
use jobs::scan_saved_searches;
use model::{
    Channel, Hit, HitStance, MatchedTerm, NewDocument, OutboxState, Priority, QuietHours, Role,
    RuleKind, Severity, SourceTier, Stance, SubscriptionSettings, Timestamp,
};
use store::{NewSavedSearch, NewSource, Processed, SearchFilters, Store};

fn now() -> Timestamp {
    // 14:00 in Vietnam.
    Utc.with_ymd_and_hms(2026, 11, 20, 7, 0, 0).unwrap()
}

fn letterhead() -> Letterhead {
    Letterhead {
        public_url: "https://langnghe.soyte.example.vn".into(),
        from: "Lắng Nghe <langnghe@soyte.example.vn>".into(),
    }
}

fn settings(channel: Channel, target: &str) -> SubscriptionSettings {
    SubscriptionSettings {
        channel,
        target: target.into(),
        kinds: Vec::new(),
        min_priority: Priority::P3,
        topics: Vec::new(),
        provinces: Vec::new(),
        quiet: None,
        alerts: true,
        digest: false,
        enabled: true,
    }
}

/// A document of `source` with `title`, hit by the papaya-leaf rumour with `stance` when
/// given.
fn item(source: i64, n: u32, title: &str, stance: Option<Stance>) -> Processed {
    let doc = NewDocument {
        source_id: source,
        url: format!("https://a.vn/{n}"),
        title: title.into(),
        summary: String::new(),
        body: format!("Bài số {n}."),
        author: None,
        published_at: Some(now() - Duration::minutes(i64::from(n))),
        fetched_at: now(),
        language: "vi".into(),
        content_hash: format!("h{n}"),
        post: None,
    };
    let mut p = Processed::new(doc, Vec::new());
    if let Some(stance) = stance {
        p.hits.push(Hit {
            rule_id: "rumor.la-du-du".into(),
            rule_title: "Lá đu đủ chữa sốt xuất huyết".into(),
            kind: RuleKind::Rumor,
            severity: Severity::High,
            terms: vec![MatchedTerm {
                field: "title", start: 0, end: 9, term: "lá đu đủ".into()
            }],
        });
        p.stances.push(HitStance { rule_id: "rumor.la-du-du".into(), stance, cues: Vec::new() });
    }
    p
}

async fn source(store: &Store, name: &str, tier: SourceTier) -> i64 {
    let s = NewSource {
        name: name.into(),
        url: format!("https://{}.vn/rss", name.to_lowercase().replace(' ', "-")),
        tier,
        ..NewSource::default()
    };
    store.upsert_source(&s, now()).await.unwrap().id
}

#[tokio::test]
async fn new_matches_are_announced_once_on_every_channel_of_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let page = source(&store, "Trang Mẹ Bỉm", SourceTier::Social).await;
        let paper = source(&store, "Báo A", SourceTier::Press).await;
        // Before the search is saved: history, not news.
        store
            .insert_batch(&[item(
                page,
                1,
                "Lá đu đủ chữa khỏi sốt xuất huyết",
                Some(Stance::Carries),
            )])
            .await
            .unwrap();
        let lan = store.create_user("lan", "x", Role::Viewer, now()).await.unwrap();
        let mail = store
            .create_subscription(lan.id, &settings(Channel::Email, "lan@soyte.example.vn"), now())
            .await
            .unwrap();
        let hook = store
            .create_subscription(lan.id, &settings(Channel::Webhook, "phong-truyen-thong"), now())
            .await
            .unwrap();
        let mut off = settings(Channel::Zalo, "8472");
        off.enabled = false;
        store.create_subscription(lan.id, &off, now()).await.unwrap();
        // Social posts that carry the rumour, and everything a filter-only search sees.
        let carried = NewSavedSearch {
            owner_id: lan.id,
            name: "Lá đu đủ trên mạng".into(),
            query: "\"lá đu đủ\"".into(),
            filters: SearchFilters {
                tier: Some(SourceTier::Social),
                topic: Some("rumor.la-du-du".into()),
                stance: Some(Stance::Carries),
                ..SearchFilters::default()
            },
            sort: "newest".into(),
            notify: true,
        };
        let carried = store.create_saved_search(&carried, now()).await.unwrap();
        let press = NewSavedSearch {
            owner_id: lan.id,
            name: "Báo chí".into(),
            query: String::new(),
            filters: SearchFilters { source: Some(paper), ..SearchFilters::default() },
            sort: "relevance".into(),
            notify: true,
        };
        let press = store.create_saved_search(&press, now()).await.unwrap();
        let quiet = scan_saved_searches(&store, &letterhead(), now()).await.unwrap();
        assert_eq!((quiet.searches, quiet.documents, quiet.messages), (2, 0, 0), "{backend}");

        let batch = [
            item(page, 2, "Lá đu đủ chữa sốt xuất huyết, chia sẻ ngay", Some(Stance::Carries)),
            // Refutes: the stance filter leaves it out.
            item(page, 3, "Sự thật về lá đu đủ và sốt xuất huyết", Some(Stance::Refutes)),
            // The press: the tier filter leaves it out of the first, the second takes it.
            item(paper, 4, "Lá đu đủ không chữa được sốt xuất huyết", Some(Stance::Carries)),
            item(page, 5, "Mẹo hay: lá đu đủ <b>hạ sốt</b>", Some(Stance::Carries)),
        ];
        store.insert_batch(&batch).await.unwrap();
        let scan = scan_saved_searches(&store, &letterhead(), now()).await.unwrap();
        assert_eq!(scan.documents, 4, "{backend}");
        assert_eq!(scan.matches, 3, "{backend}: two posts and one article");
        assert_eq!(scan.messages, 4, "{backend}: two searches, two enabled channels each");
        let entries = store.outbox_entries(None, 100).await.unwrap();
        assert_eq!(entries.len(), 4);
        assert!(
            entries.iter().all(|e| e.kind == "saved_search" && e.state == OutboxState::Pending)
        );
        let last = store.last_document_id().await.unwrap();
        let keys = [
            format!("saved_search:{}:doc:{last}:sub:{}", carried.id, mail.id),
            format!("saved_search:{}:doc:{last}:sub:{}", carried.id, hook.id),
        ];
        let mine = store.outbox_by_keys(&keys).await.unwrap();
        assert_eq!(mine.len(), 2, "{backend}: {entries:?}");
        assert!(mine[0].subject.contains("2 bài mới"), "{}", mine[0].subject);
        let claimed = store
            .claim_outbox_keys(&keys, now(), std::time::Duration::from_secs(60))
            .await
            .unwrap();
        let email = claimed.iter().find(|c| c.channel == Channel::Email).unwrap();
        // Quoted-printable, with its soft line breaks undone.
        let text = String::from_utf8_lossy(&email.body).replace("=\r\n", "").replace("=\n", "");
        assert!(text.contains("lan@soyte.example.vn") && text.contains("Message-ID"), "{text}");
        assert!(text.contains("https://langnghe.soyte.example.vn/search?q=3D"), "{text}");
        assert!(text.contains("/documents/5") && text.contains("/documents/2"), "{text}");
        assert!(text.contains("&lt;b&gt;h"), "the HTML part escapes titles: {text}");
        let hook_body: serde_json::Value = serde_json::from_slice(
            &claimed.iter().find(|c| c.channel == Channel::Webhook).unwrap().body,
        )
        .unwrap();
        assert_eq!(hook_body["type"], "saved_search.matches");
        assert_eq!(hook_body["data"]["total"], 2);
        assert_eq!(hook_body["data"]["saved_search"]["id"], carried.id);

        // Nothing new: nothing written, however often it runs.
        for _ in 0..2 {
            let again = scan_saved_searches(&store, &letterhead(), now()).await.unwrap();
            assert_eq!((again.documents, again.messages), (0, 0), "{backend}");
        }
        let cursor = store.saved_search(press.id).await.unwrap().unwrap().last_notified_doc;
        assert_eq!(cursor, last);

        // Quiet hours hold a message until they end.
        let mut night = settings(Channel::Email, "lan.dem@soyte.example.vn");
        night.quiet = Some(QuietHours {
            start: NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(15, 0, 0).unwrap(),
        });
        store.create_subscription(lan.id, &night, now()).await.unwrap();
        store.insert_batch(&[item(paper, 6, "Báo A đưa tin mới", None)]).await.unwrap();
        let scan = scan_saved_searches(&store, &letterhead(), now()).await.unwrap();
        assert_eq!((scan.matches, scan.messages), (1, 3), "{backend}");
        let held = store.outbox_entries(None, 100).await.unwrap();
        let held = held.iter().find(|e| e.recipient == "lan.dem@soyte.example.vn").unwrap();
        assert_eq!(held.next_attempt_at, now() + Duration::hours(1), "{backend}");
        store.close().await;
    }
}
