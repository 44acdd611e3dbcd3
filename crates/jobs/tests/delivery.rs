//! Notifications, the digest schedule and outbox delivery against a real store (SQLite, and
//! PostgreSQL when configured) on an injected clock: each alert event reaches each
//! subscription it concerns once, held to the end of quiet hours unless it is urgent; the
//! day's digest is written once whatever the number of passes; delivery through `notify`
//! to a webhook receiver on 127.0.0.1 retries on a 503 after the back-off, gives up at
//! once on what cannot pass, and signs what it sends.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use jobs::digests_schedule::{DigestPlan, enqueue_scheduled};
use jobs::notifications::{FanOut, Letterhead, NOTIFICATIONS_CURSOR};
use model::{
    Channel, Hit, MatchedTerm, NewDocument, OutboxState, Priority, QuietHours, Role, RuleKind,
    Severity, SourceKind, SourceTier, SubscriptionSettings, Timestamp, VN_OFFSET,
};
use notify::{MemoryTokenStore, Notifier, NotifyConfig, WebhookEndpoint};
use store::{NewSource, Processed, Store};
use test_support::{Page, Request, Site};

const SECRET: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// Monday 7 December 2026, `h:m` in Vietnam.
fn vn(h: u32, m: u32) -> Timestamp {
    VN_OFFSET.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap().with_timezone(&Utc)
}

fn letterhead() -> Letterhead {
    Letterhead {
        public_url: "https://langnghe.soyte.example.vn/".into(),
        from: "Lắng Nghe <canhbao@soyte.example.vn>".into(),
    }
}

async fn each_store(f: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::stores(dir.path()).await {
        f(name, store.clone()).await;
        store.close().await;
    }
}

/// Stores one document hit by `rule` of `kind` and `severity`, opening its alert.
async fn raise(store: &Store, source: i64, rule: &str, severity: Severity, at: Timestamp) {
    let url = format!("https://baothu.example.vn/{rule}");
    let doc = NewDocument {
        source_id: source,
        url: url.clone(),
        title: format!("Tin {rule}"),
        summary: String::new(),
        body: "Nội dung.".into(),
        author: None,
        published_at: Some(at),
        fetched_at: at,
        language: "vi".into(),
        content_hash: url,
        post: None,
    };
    let kind = if rule.starts_with("crisis") { RuleKind::Crisis } else { RuleKind::Rumor };
    let hit = Hit {
        rule_id: rule.into(),
        rule_title: format!("Quy tắc {rule}").into(),
        kind,
        severity,
        terms: vec![MatchedTerm { field: "title", start: 0, end: 3, term: "tin".into() }],
    };
    store.insert_batch(&[Processed::new(doc, vec![hit])]).await.unwrap();
}

async fn source(store: &Store) -> i64 {
    let s = NewSource {
        name: "Báo Thử".into(),
        url: "http://127.0.0.1:1/rss.xml".into(),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        allow_private: true,
        ..NewSource::default()
    };
    store.upsert_source(&s, vn(0, 0)).await.unwrap().id
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

#[tokio::test]
async fn each_event_reaches_each_subscription_once_and_quiet_hours_hold_the_rest() {
    each_store(async |backend, store| {
        let src = source(&store).await;
        let lan = store.create_user("lan", "x", Role::Officer, vn(0, 0)).await.unwrap();
        let mut night = settings(Channel::Email, "lan@soyte.example.vn");
        night.quiet = Some(QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(6, 30, 0).unwrap(),
        });
        let email = store.create_subscription(lan.id, &night, vn(0, 0)).await.unwrap();
        let mut p1_only = settings(Channel::Webhook, "phong-truyen-thong");
        p1_only.min_priority = Priority::P1;
        let hook = store.create_subscription(lan.id, &p1_only, vn(0, 0)).await.unwrap();

        // 23:00: a critical crisis (P1) and a medium rumour (P3).
        raise(&store, src, "crisis.ngo-doc", Severity::Critical, vn(23, 0)).await;
        raise(&store, src, "rumor.la-du-du", Severity::Medium, vn(23, 0)).await;
        let mut fan = FanOut::default();
        let report = fan.pass(&store, &letterhead(), vn(23, 0)).await.unwrap();
        assert_eq!(report.messages, 3, "{backend}: P1 by e-mail and webhook, P3 by e-mail");
        let last = store.last_event_id().await.unwrap();
        assert_eq!(report.cursor, last, "{backend}");
        assert_eq!(store.job_cursor(NOTIFICATIONS_CURSOR).await.unwrap(), last);

        let entries = store.outbox_entries(None, 10).await.unwrap();
        let key = |sub: i64, rule: &str| {
            entries
                .iter()
                .find(|e| {
                    e.dedupe_key.ends_with(&format!(":sub:{sub}")) && e.subject.contains(rule)
                })
                .unwrap_or_else(|| {
                    panic!("{backend}: no message for {sub} about {rule}: {entries:?}")
                })
                .clone()
        };
        let p1_mail = key(email.id, "crisis.ngo-doc");
        assert_eq!(p1_mail.subject, "[P1] Khủng hoảng: Quy tắc crisis.ngo-doc — Lắng Nghe");
        assert_eq!(p1_mail.next_attempt_at, vn(23, 0), "{backend}: P1 breaks quiet hours");
        let p3_mail = key(email.id, "rumor.la-du-du");
        assert_eq!(
            p3_mail.next_attempt_at,
            vn(6, 30) + chrono::Duration::days(1),
            "{backend}: held until the quiet hours end"
        );
        assert_eq!(key(hook.id, "crisis.ngo-doc").channel, Channel::Webhook);
        assert_eq!(p1_mail.state, OutboxState::Pending);

        // The webhook's payload names the event and links to the alert.
        let claimed = store.claim_outbox(vn(23, 0), Duration::from_secs(60), 10).await.unwrap();
        let payload = claimed.iter().find(|c| c.channel == Channel::Webhook).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&payload.body).unwrap();
        assert_eq!(json["type"], "alert.opened");
        assert_eq!(json["data"]["priority"], "p1");
        let alert = json["data"]["alert_id"].as_i64().unwrap();
        assert_eq!(
            json["data"]["dashboard_url"],
            format!("https://langnghe.soyte.example.vn/alerts/{alert}")
        );
        let mail = claimed.iter().find(|c| c.channel == Channel::Email).unwrap();
        let text = String::from_utf8_lossy(&mail.body);
        assert!(text.contains("Message-ID: <event."), "{text}");
        assert!(text.contains(&format!("https://langnghe.soyte.example.vn/alerts/{alert}")));

        // Passes after a crash or by a second process tell nothing twice.
        let mut fresh = FanOut::default();
        assert_eq!(fresh.pass(&store, &letterhead(), vn(23, 1)).await.unwrap().messages, 0);
        assert_eq!(fan.pass(&store, &letterhead(), vn(23, 1)).await.unwrap().messages, 0);
        assert_eq!(store.outbox_entries(None, 10).await.unwrap().len(), 3, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn the_days_digest_is_written_once() {
    each_store(async |backend, store| {
        let lan = store.create_user("lan", "x", Role::Officer, vn(0, 0)).await.unwrap();
        let minh = store.create_user("minh", "x", Role::Viewer, vn(0, 0)).await.unwrap();
        let mut digest = settings(Channel::Email, "lan@soyte.example.vn");
        digest.digest = true;
        store.create_subscription(lan.id, &digest, vn(0, 0)).await.unwrap();
        let mut zalo = settings(Channel::Zalo, "8412345");
        zalo.digest = true;
        store.create_subscription(minh.id, &zalo, vn(0, 0)).await.unwrap();
        // Alerts only: no digest.
        store
            .create_subscription(
                minh.id,
                &settings(Channel::Email, "minh@soyte.example.vn"),
                vn(0, 0),
            )
            .await
            .unwrap();
        let plan = DigestPlan {
            send_at: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
            to: vec!["lanh-dao@soyte.example.vn".into()],
            letterhead: letterhead(),
        };
        let rules = rules::RuleSet::default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let written = enqueue_scheduled(&store, &rules, &plan, day, vn(7, 0)).await.unwrap();
        assert_eq!(written, 3, "{backend}");
        assert_eq!(store.job_cursor("digests").await.unwrap(), 20_261_207, "{backend}");
        assert_eq!(enqueue_scheduled(&store, &rules, &plan, day, vn(7, 1)).await.unwrap(), 0);
        let entries = store.outbox_entries(None, 10).await.unwrap();
        let mut recipients: Vec<&str> = entries.iter().map(|e| e.recipient.as_str()).collect();
        recipients.sort_unstable();
        assert_eq!(recipients, ["8412345", "lan@soyte.example.vn", "lanh-dao@soyte.example.vn"]);
        assert!(entries.iter().all(|e| e.kind == "digest"), "{backend}");
        let claimed = store.claim_outbox(vn(7, 0), Duration::from_secs(60), 10).await.unwrap();
        let zalo = claimed.iter().find(|c| c.channel == Channel::Zalo).unwrap();
        let text = String::from_utf8(zalo.body.clone()).unwrap();
        assert!(
            text.ends_with(
                "Xem: https://langnghe.soyte.example.vn/digest?date=2026-12-07&role=spokesperson"
            ),
            "{text}"
        );
    })
    .await;
}

/// A webhook receiver answering each request with the next status of `statuses` (then
/// 204); the site keeps what it got.
fn receiver(statuses: Vec<u16>) -> Site {
    let statuses = Mutex::new(statuses.into_iter());
    Site::with_handler(move |_| Page::status(statuses.lock().unwrap().next().unwrap_or(204)).into())
}

#[tokio::test]
async fn delivery_retries_after_the_back_off_and_gives_up_on_what_cannot_pass() {
    each_store(async |backend, store| {
        let site = receiver(vec![503]);
        let config = NotifyConfig {
            webhooks: vec![WebhookEndpoint {
                name: "phong-truyen-thong".into(),
                url: site.url("/hook"),
                secrets: vec![SECRET.into()],
                secrets_env: None,
                timeout_secs: 10,
            }],
            ..NotifyConfig::default()
        };
        let notifier = Notifier::new(config, Arc::new(MemoryTokenStore::default())).unwrap();
        let message = |key: &str, channel: Channel, to: &str| store::NewOutgoing {
            dedupe_key: key.into(),
            kind: "alert".into(),
            channel,
            recipient: to.into(),
            subject: "[P1] Khủng hoảng: thử — Lắng Nghe".into(),
            body: br#"{"type":"alert.opened"}"#.to_vec(),
        };
        store
            .enqueue(
                &[
                    message("hook", Channel::Webhook, "phong-truyen-thong"),
                    message("nowhere", Channel::Webhook, "khong-co"),
                    message("zalo", Channel::Zalo, "8412345"),
                ],
                vn(9, 0),
            )
            .await
            .unwrap();
        let never = || false;
        let clock = || vn(9, 0);
        let first = jobs::outbox::deliver_due(&store, &notifier, &clock, &never).await.unwrap();
        // The 503 may pass: again in a minute. An unknown endpoint and an unconfigured Zalo
        // cannot: failed at once.
        assert_eq!((first.sent, first.retrying, first.failed), (0, 1, 2), "{backend}");
        let later = || vn(9, 0) + chrono::Duration::seconds(59);
        let none = jobs::outbox::deliver_due(&store, &notifier, &later, &never).await.unwrap();
        assert_eq!(none, jobs::Delivered::default(), "{backend}: not before the back-off");
        let minute = || vn(9, 1);
        let second = jobs::outbox::deliver_due(&store, &notifier, &minute, &never).await.unwrap();
        assert_eq!((second.sent, second.retrying, second.failed), (1, 0, 0), "{backend}");
        let counts = store.outbox_counts().await.unwrap();
        assert_eq!(counts, [(OutboxState::Sent, 1), (OutboxState::Failed, 2)], "{backend}");

        // Both attempts carried the same webhook-id and a valid signature.
        let requests = site.received();
        assert_eq!(requests.len(), 2, "{backend}");
        assert!(requests.iter().all(|r| r.method == "POST" && r.path == "/hook"), "{backend}");
        let id = |r: &Request| r.header("webhook-id").unwrap().to_owned();
        assert_eq!(id(&requests[0]), id(&requests[1]));
        let last = &requests[1];
        notify::webhook::verify(
            &[SECRET],
            last.headers.as_slice(),
            &last.body,
            vn(9, 1),
            Duration::from_secs(300),
        )
        .unwrap();
    })
    .await;
}
