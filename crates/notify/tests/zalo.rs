//! Zalo OA messages against a loopback stand-in for Zalo's two endpoints that follows the
//! documented requests and answers: the token endpoint (form fields `app_id`,
//! `grant_type=refresh_token`, `refresh_token`; header `secret_key`; single-use refresh
//! tokens) and the customer-service message endpoint (header `access_token`, JSON body,
//! HTTP 200 with `error` 0 or a negative code).
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use notify::zalo::TEXT_LIMIT;
use notify::{
    BoxFuture, Channel, Delivery, DeliveryError, MemoryTokenStore, Notifier, NotifyConfig,
    ZaloConfig, ZaloTokenStore, ZaloTokens,
};
use serde_json::{Value, json};
use test_support::{Page, Request, Site};

const APP_ID: &str = "4312598765432109876";
const SECRET_KEY: &str = "khoa-bi-mat-cua-ung-dung";
const USER: &str = "8806141235512345678";
const LINK: &str = "https://langnghe.soyte.example.vn/alerts/17";

/// One request to the token endpoint, as the stand-in saw it.
#[derive(Debug, Clone)]
struct RefreshSeen {
    content_type: String,
    secret_key: String,
    form: Vec<(String, String)>,
}

/// One request to the message endpoint.
#[derive(Debug, Clone)]
struct SendSeen {
    content_type: String,
    access_token: String,
    body: Value,
}

/// Zalo, as far as these tests need it.
#[derive(Debug)]
struct Fake {
    /// The refresh token that works now; each one works once.
    refresh_token: Option<String>,
    /// The access token that works now.
    access_token: Option<String>,
    issued: u32,
    expires_in: Value,
    refreshes: Vec<RefreshSeen>,
    sends: Vec<SendSeen>,
    /// Codes to answer the next messages with, before checking anything else.
    next_errors: VecDeque<(i64, &'static str)>,
}

type Shared = Arc<Mutex<Fake>>;

fn fake(refresh_token: &str) -> Shared {
    Arc::new(Mutex::new(Fake {
        refresh_token: Some(refresh_token.to_owned()),
        access_token: None,
        issued: 0,
        expires_in: json!("90000"),
        refreshes: Vec::new(),
        sends: Vec::new(),
        next_errors: VecDeque::new(),
    }))
}

fn header(request: &Request, name: &str) -> String {
    request.header(name).unwrap_or_default().to_owned()
}

fn token_endpoint(fake: &Shared, request: &Request) -> Value {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let mut fake = fake.lock().unwrap();
    fake.refreshes.push(RefreshSeen {
        content_type: header(request, "content-type"),
        secret_key: header(request, "secret_key"),
        form: form.clone(),
    });
    if header(request, "secret_key") != SECRET_KEY || field("app_id").as_deref() != Some(APP_ID) {
        return json!({
            "error": -14002,
            "error_name": "Invalid app",
            "error_description": "app_id or secret_key is invalid",
        });
    }
    if field("grant_type").as_deref() != Some("refresh_token") {
        return json!({"error": -14001, "error_description": "grant_type is invalid"});
    }
    if field("refresh_token").is_none() || field("refresh_token") != fake.refresh_token {
        return json!({
            "error": -14014,
            "error_name": "Invalid refresh token",
            "error_description": "Invalid refresh token",
        });
    }
    fake.issued += 1;
    let access = format!("at-{}", fake.issued);
    let refresh = format!("rt-{}", fake.issued);
    // The refresh token just used is spent; the old access token stops working too.
    fake.access_token = Some(access.clone());
    fake.refresh_token = Some(refresh.clone());
    json!({"access_token": access, "refresh_token": refresh, "expires_in": fake.expires_in})
}

fn message_endpoint(fake: &Shared, request: &Request) -> Value {
    let mut fake = fake.lock().unwrap();
    let parsed: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let access_token = header(request, "access_token");
    fake.sends.push(SendSeen {
        content_type: header(request, "content-type"),
        access_token: access_token.clone(),
        body: parsed.clone(),
    });
    if fake.access_token.as_deref() != Some(access_token.as_str()) {
        return json!({"error": -216, "message": "Access token is invalid"});
    }
    if let Some((code, message)) = fake.next_errors.pop_front() {
        return json!({"error": code, "message": message});
    }
    let user = parsed["recipient"]["user_id"].as_str();
    let Some(text) = parsed["message"]["text"].as_str() else {
        return json!({"error": -201, "message": "text is invalid"});
    };
    if user.is_none() {
        return json!({"error": -201, "message": "user_id is invalid"});
    }
    if text.chars().count() > TEXT_LIMIT {
        return json!({"error": -210, "message": "Parameter exceeds allowable limit"});
    }
    let id = format!("mid-{}", fake.sends.len());
    json!({"error": 0, "message": "Success", "data": {"message_id": id, "user_id": user}})
}

/// Starts the stand-in on a site of its own: Zalo answers HTTP 200 with a JSON body, the
/// outcome inside it.
fn serve(fake: Shared) -> Site {
    Site::with_handler(move |request| {
        let answer = match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/v4/oa/access_token") => token_endpoint(&fake, request),
            ("POST", "/v3.0/oa/message/cs") => message_endpoint(&fake, request),
            _ => return Page::not_found().into(),
        };
        Page::ok("application/json", answer.to_string()).into()
    })
}

fn config(base: &str, refresh_token: Option<&str>) -> ZaloConfig {
    ZaloConfig {
        app_id: APP_ID.into(),
        secret_key: Some(SECRET_KEY.into()),
        secret_key_env: None,
        refresh_token: refresh_token.map(str::to_owned),
        refresh_token_env: None,
        oauth_url: format!("{base}/v4/oa/access_token"),
        api_url: format!("{base}/v3.0/oa/message/cs"),
        timeout_secs: 10,
    }
}

fn notifier(config: ZaloConfig, store: Arc<dyn ZaloTokenStore>) -> Notifier {
    Notifier::new(NotifyConfig { smtp: None, webhooks: Vec::new(), zalo: Some(config) }, store)
        .unwrap()
}

async fn send(notifier: &Notifier, text: &str, now: DateTime<Utc>) -> Result<(), DeliveryError> {
    let delivery = Delivery {
        id: "outbox-1",
        channel: Channel::Zalo,
        recipient: USER,
        subject: "alert",
        body: text.as_bytes(),
    };
    notifier.deliver(&delivery, now).await
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 0, 30, 0).unwrap()
}

fn tokens(n: u32, obtained_at: DateTime<Utc>) -> ZaloTokens {
    ZaloTokens {
        access_token: format!("at-{n}"),
        refresh_token: format!("rt-{n}"),
        obtained_at,
        expires_at: obtained_at + Duration::seconds(90_000),
    }
}

/// A stand-in that already issued pair `n`.
fn fake_at(n: u32) -> Shared {
    let fake = fake(&format!("rt-{n}"));
    {
        let mut f = fake.lock().unwrap();
        f.access_token = Some(format!("at-{n}"));
        f.issued = n;
    }
    fake
}

/// A store that can be made to fail, counting saves.
#[derive(Default)]
struct FlakyStore {
    inner: MemoryTokenStore,
    failing: AtomicBool,
    saves: Mutex<u32>,
}

impl ZaloTokenStore for FlakyStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<ZaloTokens>, String>> {
        self.inner.load()
    }

    fn save(&self, tokens: ZaloTokens) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            if self.failing.load(Ordering::SeqCst) {
                return Err("database is locked".to_owned());
            }
            *self.saves.lock().unwrap() += 1;
            self.inner.save(tokens).await
        })
    }
}

#[tokio::test]
async fn the_first_message_refreshes_with_the_granted_token_and_saves_the_new_pair() {
    let fake = fake("rt-0");
    let zalo = serve(fake.clone());
    let base = zalo.base();
    let store = Arc::new(MemoryTokenStore::default());
    let notifier = notifier(config(base, Some("rt-0")), store.clone());
    let text = format!("Cảnh báo P1: tin đồn về vắc-xin sởi lan nhanh.\n{LINK}");
    send(&notifier, &text, t0()).await.unwrap();

    let (refreshes, sends) = {
        let f = fake.lock().unwrap();
        (f.refreshes.clone(), f.sends.clone())
    };
    assert_eq!(refreshes.len(), 1);
    let refresh = &refreshes[0];
    assert_eq!(refresh.content_type, "application/x-www-form-urlencoded");
    assert_eq!(refresh.secret_key, SECRET_KEY);
    let mut form = refresh.form.clone();
    form.sort();
    assert_eq!(
        form,
        vec![
            ("app_id".to_owned(), APP_ID.to_owned()),
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            ("refresh_token".to_owned(), "rt-0".to_owned()),
        ]
    );
    assert_eq!(sends.len(), 1);
    let sent = &sends[0];
    assert_eq!(sent.access_token, "at-1");
    assert_eq!(sent.content_type, "application/json");
    assert_eq!(sent.body, json!({"recipient": {"user_id": USER}, "message": {"text": text}}));

    // The new pair is in the store, with the lifetime Zalo gave ("90000", a string).
    let saved = store.current().unwrap();
    assert_eq!((saved.access_token.as_str(), saved.refresh_token.as_str()), ("at-1", "rt-1"));
    assert_eq!(saved.obtained_at, t0());
    assert_eq!(saved.expires_at, t0() + Duration::seconds(90_000));

    // The refresh token that was used is spent: Zalo refuses it now.
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}/v4/oa/access_token"))
        .header("secret_key", SECRET_KEY)
        .form(&[("app_id", APP_ID), ("grant_type", "refresh_token"), ("refresh_token", "rt-0")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["error"], -14014);
}

#[tokio::test]
async fn the_token_is_used_until_four_fifths_of_its_life_then_refreshed() {
    let fake = fake_at(1);
    fake.lock().unwrap().expires_in = json!(3600);
    let zalo = serve(fake.clone());
    let base = zalo.base();
    let store = Arc::new(MemoryTokenStore::new(Some(tokens(1, t0()))));
    let notifier = notifier(config(base, None), store.clone());

    send(&notifier, "Tin 1", t0() + Duration::hours(1)).await.unwrap();
    send(&notifier, "Tin 2", t0() + Duration::seconds(71_999)).await.unwrap();
    assert_eq!(fake.lock().unwrap().refreshes.len(), 0);

    let due = t0() + Duration::seconds(72_000);
    send(&notifier, "Tin 3", due).await.unwrap();
    let f = fake.lock().unwrap();
    assert_eq!(f.refreshes.len(), 1);
    assert!(f.refreshes[0].form.contains(&("refresh_token".to_owned(), "rt-1".to_owned())));
    let tokens_used: Vec<&str> = f.sends.iter().map(|s| s.access_token.as_str()).collect();
    assert_eq!(tokens_used, vec!["at-1", "at-1", "at-2"]);
    let saved = store.current().unwrap();
    assert_eq!(saved.refresh_token, "rt-2");
    // expires_in came as a number this time.
    assert_eq!(saved.expires_at, due + Duration::seconds(3600));
}

#[tokio::test]
async fn an_invalid_token_is_refreshed_and_the_message_sent_once_more() {
    let fake = fake_at(1);
    let zalo = serve(fake.clone());
    let base = zalo.base();
    // Zalo stopped accepting at-1 (revoked, or expired early); rt-1 still works.
    fake.lock().unwrap().access_token = Some("revoked".into());
    let store = Arc::new(MemoryTokenStore::new(Some(tokens(1, t0()))));
    let notifier = notifier(config(base, None), store.clone());
    send(&notifier, "Tin khẩn", t0() + Duration::minutes(5)).await.unwrap();

    let f = fake.lock().unwrap();
    let tokens_used: Vec<&str> = f.sends.iter().map(|s| s.access_token.as_str()).collect();
    assert_eq!(tokens_used, vec!["at-1", "at-2"]);
    assert_eq!(f.refreshes.len(), 1);
    assert_eq!(store.current().unwrap().refresh_token, "rt-2");
}

#[tokio::test]
async fn a_spent_refresh_token_needs_a_new_grant_and_the_error_shows_no_secret() {
    // Zalo has issued up to pair 7 (by another installation, or a test of the grant); the
    // store still holds pair 1, whose refresh token is long spent.
    let fake = fake_at(7);
    let zalo = serve(fake.clone());
    let base = zalo.base();
    let expired = tokens(1, t0() - Duration::days(2));
    let store = Arc::new(MemoryTokenStore::new(Some(expired)));
    let error = send(&notifier(config(base, None), store.clone()), "Tin", t0()).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert!(error.message.contains("-14014") && error.message.contains("grant"), "{error}");
    for secret in ["rt-1", "at-1", SECRET_KEY] {
        assert!(!error.to_string().contains(secret), "{secret} in {error}");
    }
    assert!(fake.lock().unwrap().sends.is_empty());

    // The administrator grants access again and configures the new refresh token: the
    // spent one in the store is tried, refused, and the configured one starts a new chain.
    let notifier = notifier(config(base, Some("rt-7")), store.clone());
    send(&notifier, "Tin", t0()).await.unwrap();
    assert_eq!(store.current().unwrap().refresh_token, "rt-8");
    assert_eq!(fake.lock().unwrap().sends.last().unwrap().access_token, "at-8");
}

#[tokio::test]
async fn a_pair_that_cannot_be_saved_is_not_used_and_not_lost() {
    let fake = fake("rt-0");
    let zalo = serve(fake.clone());
    let base = zalo.base();
    let store = Arc::new(FlakyStore::default());
    store.failing.store(true, Ordering::SeqCst);
    let notifier = notifier(config(base, Some("rt-0")), store.clone());

    let error = send(&notifier, "Tin", t0()).await.unwrap_err();
    assert!(error.retryable && error.message.contains("cannot save"), "{error}");
    assert!(fake.lock().unwrap().sends.is_empty(), "nothing is sent with an unsaved pair");
    assert_eq!(fake.lock().unwrap().refreshes.len(), 1);

    // The store works again: the pair kept in memory is saved first, without spending
    // another refresh token, then used.
    store.failing.store(false, Ordering::SeqCst);
    send(&notifier, "Tin", t0() + Duration::minutes(1)).await.unwrap();
    let f = fake.lock().unwrap();
    assert_eq!(f.refreshes.len(), 1);
    assert_eq!(f.sends.len(), 1);
    assert_eq!(f.sends[0].access_token, "at-1");
    assert_eq!(store.inner.current().unwrap().refresh_token, "rt-1");
    assert_eq!(*store.saves.lock().unwrap(), 1);
}

#[tokio::test]
async fn two_processes_sharing_a_store_refresh_once() {
    let fake = fake_at(1);
    let zalo = serve(fake.clone());
    let base = zalo.base();
    let store: Arc<MemoryTokenStore> = Arc::new(MemoryTokenStore::new(Some(tokens(1, t0()))));
    let first = notifier(config(base, None), store.clone());
    let second = notifier(config(base, None), store.clone());
    // Both have read the pair.
    send(&first, "a", t0()).await.unwrap();
    send(&second, "b", t0()).await.unwrap();

    let due = t0() + Duration::hours(21);
    send(&first, "c", due).await.unwrap();
    // The second finds rt-1 due too, but the store already holds the pair the first got.
    send(&second, "d", due).await.unwrap();
    let f = fake.lock().unwrap();
    assert_eq!(f.refreshes.len(), 1);
    let tokens_used: Vec<&str> = f.sends.iter().map(|s| s.access_token.as_str()).collect();
    assert_eq!(tokens_used, vec!["at-1", "at-1", "at-2", "at-2"]);
}

#[tokio::test]
async fn zalo_error_codes_decide_whether_to_retry() {
    let fake = fake_at(1);
    let zalo = serve(fake.clone());
    let base = zalo.base();
    let store = Arc::new(MemoryTokenStore::new(Some(tokens(1, t0()))));
    let notifier = notifier(config(base, None), store);
    for (code, said, retryable, words) in [
        (-211, "Out of quota", true, "quota is used up"),
        (-32, "Your application reached limit call api", true, "rate limit"),
        (-230, "User has not interacted with OA in past 7 days", false, "not followed the oa"),
        (-201, "user_id is invalid", false, "refused the message"),
    ] {
        fake.lock().unwrap().next_errors.push_back((code, said));
        let error = send(&notifier, "Tin", t0()).await.unwrap_err();
        assert_eq!(error.retryable, retryable, "{code}: {error}");
        assert!(error.message.contains(words), "{code}: {error}");
        assert!(error.message.contains(&code.to_string()) && error.message.contains(said));
    }
    assert_eq!(
        fake.lock().unwrap().refreshes.len(),
        0,
        "no refresh for errors that are not about the token"
    );
}

#[tokio::test]
async fn long_text_is_cut_to_the_limit_keeping_the_link() {
    let fake = fake_at(1);
    let zalo = serve(fake.clone());
    let base = zalo.base();
    let store = Arc::new(MemoryTokenStore::new(Some(tokens(1, t0()))));
    let notifier = notifier(config(base, None), store);
    let sentence =
        "Tin đồn về việc tiêm vắc-xin sởi gây vô sinh đang lan trên nhiều hội nhóm Zalo. ";
    let text = format!("{}\nXem và xử lý:\n{LINK}", sentence.repeat(40));
    assert!(text.chars().count() > TEXT_LIMIT);
    send(&notifier, &text, t0()).await.unwrap();
    let f = fake.lock().unwrap();
    let received = f.sends[0].body["message"]["text"].as_str().unwrap();
    assert!(received.chars().count() <= TEXT_LIMIT, "{}", received.chars().count());
    assert!(received.ends_with(&format!("…\n{LINK}")), "{received}");
    let kept = received.trim_end_matches(LINK).trim_end().trim_end_matches('…');
    assert!(text.starts_with(kept), "only whole words of the original, in order");
    assert!(text[kept.len()..].starts_with(char::is_whitespace), "cut at a word boundary");
}

#[tokio::test]
async fn zalo_unreachable_is_retried_and_missing_configuration_is_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let store = Arc::new(MemoryTokenStore::new(Some(tokens(1, t0()))));
    let error = send(&notifier(config(&base, None), store), "Tin", t0()).await.unwrap_err();
    assert!(error.retryable, "{error}");

    let mut no_secret = config(&base, None);
    no_secret.secret_key = None;
    let refused = Notifier::new(
        NotifyConfig { smtp: None, webhooks: Vec::new(), zalo: Some(no_secret) },
        Arc::new(MemoryTokenStore::default()),
    )
    .unwrap_err();
    assert!(refused.to_string().starts_with("notify.zalo.secret_key:"), "{refused}");

    // No token in the store and none configured: nothing to start from.
    let fake = fake("rt-0");
    let zalo = serve(fake.clone());
    let base = zalo.base();
    let empty = Arc::new(MemoryTokenStore::default());
    let error = send(&notifier(config(base, None), empty), "Tin", t0()).await.unwrap_err();
    assert!(!error.retryable && error.message.contains("refresh_token_env"), "{error}");
    assert!(fake.lock().unwrap().refreshes.is_empty());
}
