//! The notification pages over a real store: a user adds, edits, tests and deletes their
//! own subscriptions with forms that need no JavaScript, refused in Vietnamese when a field
//! is wrong; somebody else's are out of reach except for admins, whose changes are audited;
//! the outbox page shows admins what waits, went out and failed, and sends a failed message
//! again.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use dashboard::{AppState, DashboardConfig, DeliveryOptions, auth, router};
use model::{Channel, Metrics, OutboxState, Priority, Role, RuleKind};
use search::SearchIndex;
use store::{NewOutgoing, Store};

#[path = "support/http.rs"]
// Shared by the dashboard's tests; each uses part of it.
#[allow(dead_code)]
mod http;
use http::{get, send};

struct Client {
    cookie: String,
    csrf: String,
}

struct Fixture {
    _dir: tempfile::TempDir,
    app: axum::Router,
    store: Store,
    lan: (i64, Client),
    minh: (i64, Client),
    quan: (i64, Client),
}

async fn client(store: &Store, user: i64, csrf: &str) -> Client {
    let now = Utc::now();
    let token = auth::new_token();
    store
        .create_session(&auth::token_hash(&token), user, csrf, now, now + Duration::hours(1))
        .await
        .unwrap();
    Client { cookie: format!("ln_session={token}"), csrf: csrf.to_owned() }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
    let now = Utc::now();
    let lan = store.create_user("lan", "x", Role::Officer, now).await.unwrap();
    let minh = store.create_user("minh", "x", Role::Viewer, now).await.unwrap();
    let quan = store.create_user("quan", "x", Role::Admin, now).await.unwrap();
    let options = DeliveryOptions {
        email: true,
        webhooks: vec!["phong-truyen-thong".into()],
        zalo: false,
        test_message: Some(Arc::new(|s: &model::Subscription, user: &str, _| {
            Ok(NewOutgoing {
                dedupe_key: format!("test:{}", s.id),
                kind: "test".into(),
                channel: s.settings.channel,
                recipient: s.settings.target.clone(),
                subject: format!("Thư thử cho {user}"),
                body: b"x".to_vec(),
            })
        })),
    };
    let state = AppState::new(
        store.clone(),
        index,
        Arc::new(Metrics::default()),
        DashboardConfig::default(),
    )
    .with_delivery(options);
    let peer = std::net::SocketAddr::from(([192, 0, 2, 1], 40000));
    let app = router(state).layer(MockConnectInfo(peer));
    Fixture {
        lan: (lan.id, client(&store, lan.id, "csrf-lan").await),
        minh: (minh.id, client(&store, minh.id, "csrf-minh").await),
        quan: (quan.id, client(&store, quan.id, "csrf-quan").await),
        _dir: dir,
        app,
        store,
    }
}

impl Fixture {
    async fn get(&self, who: &Client, path: &str) -> (StatusCode, String) {
        let (status, _, body) = send(&self.app, get(path, Some(&who.cookie))).await;
        (status, body)
    }

    async fn post(
        &self,
        who: &Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(fields);
        form.append_pair("csrf", &who.csrf);
        let req = Request::post(path)
            .header(header::COOKIE, &who.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.finish()))
            .unwrap();
        let (status, headers, body) = send(&self.app, req).await;
        let to = headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        (status, to.unwrap_or_default(), body)
    }
}

const EMAIL: &[(&str, &str)] = &[
    ("channel", "email"),
    ("target", "lan@soyte.example.vn"),
    ("kinds", "crisis"),
    ("kinds", "rumor"),
    ("min_priority", "p2"),
    ("provinces", "75"),
    ("quiet_start", "22:00"),
    ("quiet_end", "06:30"),
    ("alerts", "1"),
    ("digest", "1"),
    ("enabled", "1"),
];

#[tokio::test]
async fn a_user_manages_their_own_subscriptions_with_plain_forms() {
    let f = fixture().await;
    let (lan_id, lan) = (&f.lan.0, &f.lan.1);
    let (status, page) = f.get(lan, "/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Chưa có đăng ký nào"), "{page}");
    assert!(!page.contains("<script"), "forms work without scripts");
    // Only the configured channels are offered.
    assert!(page.contains(r#"<option value="webhook""#) && !page.contains(r#"value="zalo""#));

    let (status, to, _) = f.post(lan, "/notifications", EMAIL).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/notifications?ok=created"));
    let subs = f.store.subscriptions_of(*lan_id).await.unwrap();
    assert_eq!(subs.len(), 1);
    let s = &subs[0].settings;
    assert_eq!((s.channel, s.min_priority), (Channel::Email, Priority::P2));
    assert_eq!(s.kinds, [RuleKind::Crisis, RuleKind::Rumor]);
    assert_eq!(s.provinces, ["75"]);
    assert!(s.alerts && s.digest && s.enabled);
    let (_, page) = f.get(lan, "/notifications?ok=created").await;
    assert!(page.contains("Đã thêm đăng ký nhận thông báo."), "{page}");
    assert!(page.contains("lan@soyte.example.vn") && page.contains("Đồng Nai"), "{page}");
    assert!(page.contains("22:00–06:30") && page.contains("P1 và P2"), "{page}");

    // A wrong field is refused on the page, in Vietnamese, and nothing is stored.
    let mut wrong: Vec<(&str, &str)> = EMAIL.to_vec();
    wrong[1] = ("target", "khong-phai-dia-chi");
    let (status, _, page) = f.post(lan, "/notifications", &wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Địa chỉ e-mail không hợp lệ."), "{page}");
    wrong[1] = ("target", "lan@soyte.example.vn");
    wrong[6] = ("quiet_start", "25:00");
    let (status, _, page) = f.post(lan, "/notifications", &wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Giờ yên lặng phải viết dạng GG:PP"), "{page}");
    let hook: &[(&str, &str)] =
        &[("channel", "webhook"), ("target", "kenh-khac"), ("min_priority", "p1"), ("alerts", "1")];
    let (status, _, page) = f.post(lan, "/notifications", hook).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("phong-truyen-thong"), "names the configured endpoints: {page}");
    assert_eq!(f.store.subscriptions_of(*lan_id).await.unwrap().len(), 1);

    // Edited through its own page: quiet hours off, the digest only.
    let id = subs[0].id;
    let (status, page) = f.get(lan, &format!("/notifications/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"value="22:00""#) && page.contains(r#"<option value="75" selected>"#));
    let edit: &[(&str, &str)] = &[
        ("channel", "email"),
        ("target", "lan@soyte.example.vn"),
        ("min_priority", "p3"),
        ("digest", "1"),
    ];
    let (status, to, _) = f.post(lan, &format!("/notifications/{id}"), edit).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/notifications?ok=saved"));
    let s = f.store.subscription(id).await.unwrap().unwrap().settings;
    assert!(s.quiet.is_none() && s.digest && !s.alerts && !s.enabled, "{s:?}");

    // A test message goes to the outbox; deleting removes the subscription.
    let (status, to, _) = f.post(lan, &format!("/notifications/{id}/test"), &[]).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/notifications?ok=tested"));
    let out = f.store.outbox_entries(None, 10).await.unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].kind.as_str(), out[0].subject.as_str()), ("test", "Thư thử cho lan"));
    let (status, to, _) = f.post(lan, &format!("/notifications/{id}/delete"), &[]).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/notifications?ok=deleted"));
    assert!(f.store.subscriptions_of(*lan_id).await.unwrap().is_empty());
    // Nothing of a user's own changes goes to the admins' audit log.
    assert!(f.store.audit_log(100).await.unwrap().is_empty());
}

#[tokio::test]
async fn somebody_elses_subscriptions_are_for_admins_only() {
    let f = fixture().await;
    let (lan_id, lan) = (f.lan.0, &f.lan.1);
    let (minh, quan) = (&f.minh.1, &f.quan.1);
    f.post(lan, "/notifications", EMAIL).await;
    let id = f.store.subscriptions_of(lan_id).await.unwrap()[0].id;
    for (path, fields) in [
        (format!("/notifications/{id}"), EMAIL),
        (format!("/notifications/{id}/test"), &[][..]),
        (format!("/notifications/{id}/delete"), &[][..]),
    ] {
        let (status, _, page) = f.post(minh, &path, fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.contains("không có quyền"), "{page}");
    }
    let (status, _) = f.get(minh, &format!("/notifications/{id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = f.get(minh, "/notifications?user=lan").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another user's form field does not make the subscription theirs.
    let mut as_lan: Vec<(&str, &str)> = EMAIL.to_vec();
    as_lan.push(("owner", "lan"));
    let (status, _, _) = f.post(minh, "/notifications", &as_lan).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(f.store.subscriptions_of(lan_id).await.unwrap().len(), 1);
    assert!(f.store.subscriptions_of(f.minh.0).await.unwrap().is_empty());

    // The admin looks at Lan's, changes one, adds one for her: each in the audit log.
    let (status, page) = f.get(quan, "/notifications?user=lan").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Nhận thông báo của lan") && page.contains("lan@soyte.example.vn"));
    let (status, to, _) = f.post(quan, &format!("/notifications/{id}"), EMAIL).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/notifications?user=lan&ok=saved"));
    let (status, _, _) = f.post(quan, "/notifications", &as_lan).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(f.store.subscriptions_of(lan_id).await.unwrap().len(), 2);
    let audit = f.store.audit_log(100).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.2.as_str()).collect();
    assert!(actions.contains(&"subscription_change") && actions.contains(&"subscription_add"));
}

#[tokio::test]
async fn admins_see_the_outbox_and_send_a_failed_message_again() {
    let f = fixture().await;
    let now = Utc::now();
    let message = |key: &str, subject: &str| NewOutgoing {
        dedupe_key: key.into(),
        kind: "alert".into(),
        channel: Channel::Email,
        recipient: "lan@soyte.example.vn".into(),
        subject: subject.into(),
        body: b"x".to_vec(),
    };
    f.store
        .enqueue(
            &[
                message("a", "[P1] Khủng hoảng: <b>thử</b> — Lắng Nghe"),
                message("b", "[P2] Tin đồn: thử — Lắng Nghe"),
            ],
            now,
        )
        .await
        .unwrap();
    let claimed = f.store.claim_outbox(now, std::time::Duration::from_secs(60), 10).await.unwrap();
    f.store.outbox_sent(&claimed[0], now).await.unwrap();
    f.store.outbox_failed(&claimed[1], "550 mailbox unavailable", None).await.unwrap();

    let (status, _) = f.get(&f.lan.1, "/notifications/outbox").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let quan = &f.quan.1;
    let (status, page) = f.get(quan, "/notifications/outbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("<b>thử") && page.contains("&#60;b&#62;thử"), "escaped: {page}");
    assert!(page.contains("Đã gửi lúc") && page.contains("Không gửi được sau 1 lần"), "{page}");
    assert!(!page.contains("550 mailbox"), "no raw error on the page: {page}");
    let (_, failed_only) = f.get(quan, "/notifications/outbox?state=failed").await;
    assert!(failed_only.contains("[P2] Tin đồn") && !failed_only.contains("Khủng hoảng"));
    let (status, _) = f.get(quan, "/notifications/outbox?state=la").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let failed = claimed[1].id;
    let (status, to, _) = f.post(quan, &format!("/notifications/outbox/{failed}/retry"), &[]).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/notifications/outbox?ok=retried"));
    let entries = f.store.outbox_entries(Some(OutboxState::Pending), 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, failed);
    // A message that has not failed cannot be sent again.
    let sent = claimed[0].id;
    let (status, _, _) = f.post(quan, &format!("/notifications/outbox/{sent}/retry"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
