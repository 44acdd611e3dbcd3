//! Signed webhooks against a receiver on 127.0.0.1 that checks every request with
//! `notify::webhook::verify`, as an office's own receiver would: the signature holds, a
//! changed body or an old timestamp does not, both secrets verify during a rotation, and
//! the receiver's answer decides whether the outbox tries again.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Utc;
use notify::webhook::{TOLERANCE, VerifyError, sign, signature_header, verify};
use notify::{Channel, Delivery, MemoryTokenStore, Notifier, NotifyConfig, WebhookEndpoint};

const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const BODY: &str = r#"{"type":"alert.created","id":"alert-17","data":{"title":"Tin đồn: uống nước muối chữa cúm A","priority":"p1","dashboard_url":"https://langnghe.soyte.example.vn/alerts/17"}}"#;

/// What the receiver saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    headers: HeaderMap,
    body: Bytes,
    verified: Result<(), VerifyError>,
}

#[derive(Clone)]
struct Receiver {
    secrets: Vec<String>,
    answer: Arc<AtomicU16>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn hook(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let secrets: Vec<&str> = receiver.secrets.iter().map(String::as_str).collect();
    let verified = verify(&secrets, &headers, &body, Utc::now(), TOLERANCE);
    let ok = verified.is_ok();
    receiver.seen.lock().unwrap().push(Seen { headers, body, verified });
    if !ok {
        return StatusCode::UNAUTHORIZED;
    }
    StatusCode::from_u16(receiver.answer.load(Ordering::SeqCst)).unwrap()
}

/// A receiver that knows `secrets` and answers `answer` to requests that verify.
async fn receiver(secrets: &[&str], answer: u16) -> (String, Receiver) {
    let state = Receiver {
        secrets: secrets.iter().map(|s| (*s).to_owned()).collect(),
        answer: Arc::new(AtomicU16::new(answer)),
        seen: Arc::new(Mutex::new(Vec::new())),
    };
    let app = axum::Router::new().route("/hook", post(hook)).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

fn endpoint(name: &str, url: &str, secrets: &[&str]) -> WebhookEndpoint {
    WebhookEndpoint {
        name: name.into(),
        url: url.into(),
        secrets: secrets.iter().map(|s| (*s).to_owned()).collect(),
        secrets_env: None,
        timeout_secs: 10,
    }
}

fn notifier(endpoints: Vec<WebhookEndpoint>) -> Notifier {
    let config = NotifyConfig { smtp: None, webhooks: endpoints, zalo: None };
    Notifier::new(config, Arc::new(MemoryTokenStore::default())).unwrap()
}

fn delivery<'a>(id: &'a str, endpoint: &'a str, body: &'a [u8]) -> Delivery<'a> {
    Delivery { id, channel: Channel::Webhook, recipient: endpoint, subject: "alert.created", body }
}

#[test]
fn sign_matches_fixed_vectors() {
    // The reference vector of the Standard Webhooks libraries.
    assert_eq!(
        sign(OLD, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
    // UTF-8 in the body; the expected value was computed with Python's hmac module.
    assert_eq!(
        sign(
            NEW,
            "msg_langnghe_1",
            1751328000,
            r#"{"type":"alert.created","title":"Tin đồn vắc-xin"}"#.as_bytes()
        ),
        "v1,cF3ST09/0lX+SF0jr2jIH2cgbu9MBIUxBs6iTiydx4E="
    );
    let both = signature_header(&[OLD, NEW], "msg_langnghe_1", 1751328000, b"{}");
    let parts: Vec<&str> = both.split(' ').collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1], sign(NEW, "msg_langnghe_1", 1751328000, b"{}"));
}

#[tokio::test]
async fn a_delivery_is_signed_and_the_receiver_verifies_it() {
    let (url, rx) = receiver(&[NEW], 204).await;
    let notifier = notifier(vec![endpoint("truyen-thong", &url, &[NEW])]);
    let now = Utc::now();
    notifier.deliver(&delivery("outbox-17", "truyen-thong", BODY.as_bytes()), now).await.unwrap();

    let seen = rx.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let seen = &seen[0];
    assert_eq!(seen.verified, Ok(()));
    assert_eq!(seen.body.as_ref(), BODY.as_bytes());
    assert_eq!(seen.headers["webhook-id"], "outbox-17");
    assert_eq!(seen.headers["webhook-timestamp"], now.timestamp().to_string().as_str());
    assert_eq!(seen.headers["content-type"], "application/json");
    assert_eq!(
        seen.headers["webhook-signature"],
        sign(NEW, "outbox-17", now.timestamp(), BODY.as_bytes()).as_str()
    );

    // The same headers with a changed body, id or timestamp do not verify.
    let tampered = BODY.replace("p1", "p3");
    assert_eq!(
        verify(&[NEW], &seen.headers, tampered.as_bytes(), now, TOLERANCE),
        Err(VerifyError::NoMatch)
    );
    let mut other_id = seen.headers.clone();
    other_id.insert("webhook-id", "outbox-18".parse().unwrap());
    assert_eq!(
        verify(&[NEW], &other_id, BODY.as_bytes(), now, TOLERANCE),
        Err(VerifyError::NoMatch)
    );
    let mut other_time = seen.headers.clone();
    other_time.insert("webhook-timestamp", (now.timestamp() + 1).to_string().parse().unwrap());
    assert_eq!(
        verify(&[NEW], &other_time, BODY.as_bytes(), now, TOLERANCE),
        Err(VerifyError::NoMatch)
    );
    // A receiver with another secret refuses it.
    assert_eq!(
        verify(&[OLD], &seen.headers, BODY.as_bytes(), now, TOLERANCE),
        Err(VerifyError::NoMatch)
    );
}

#[tokio::test]
async fn a_timestamp_outside_five_minutes_fails() {
    let (url, rx) = receiver(&[NEW], 200).await;
    let notifier = notifier(vec![endpoint("truyen-thong", &url, &[NEW])]);
    let now = Utc::now();
    notifier.deliver(&delivery("outbox-1", "truyen-thong", BODY.as_bytes()), now).await.unwrap();
    let headers = rx.seen.lock().unwrap()[0].headers.clone();
    let body = BODY.as_bytes();
    let minutes = |m: i64| chrono::Duration::seconds(m * 60);
    assert_eq!(verify(&[NEW], &headers, body, now + minutes(5), TOLERANCE), Ok(()));
    assert_eq!(
        verify(&[NEW], &headers, body, now + minutes(5) + chrono::Duration::seconds(1), TOLERANCE),
        Err(VerifyError::TooOld)
    );
    assert_eq!(
        verify(&[NEW], &headers, body, now - minutes(6), TOLERANCE),
        Err(VerifyError::TooNew)
    );

    // Signed ten minutes ago (a replay, or a sender with a wrong clock): the receiver
    // refuses it, and a 4xx is not retried.
    let stale = now - minutes(10);
    let error = notifier
        .deliver(&delivery("outbox-2", "truyen-thong", BODY.as_bytes()), stale)
        .await
        .unwrap_err();
    assert!(!error.retryable, "{error}");
    assert!(error.message.contains("401"), "{error}");
    assert_eq!(rx.seen.lock().unwrap()[1].verified, Err(VerifyError::TooOld));
}

#[tokio::test]
async fn during_a_rotation_both_secrets_verify() {
    let (url_old, rx_old) = receiver(&[OLD], 200).await;
    let (url_new, rx_new) = receiver(&[NEW], 200).await;
    let (url_both, rx_both) = receiver(&[OLD, NEW], 200).await;
    let notifier = notifier(vec![
        endpoint("cu", &url_old, &[OLD, NEW]),
        endpoint("moi", &url_new, &[OLD, NEW]),
        endpoint("ca-hai", &url_both, &[NEW]),
    ]);
    assert_eq!(notifier.webhook_names(), vec!["ca-hai", "cu", "moi"]);
    let now = Utc::now();
    for name in ["cu", "moi", "ca-hai"] {
        notifier.deliver(&delivery("outbox-5", name, BODY.as_bytes()), now).await.unwrap();
    }
    for rx in [&rx_old, &rx_new, &rx_both] {
        let seen = rx.seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].verified, Ok(()));
    }
    let header = rx_old.seen.lock().unwrap()[0].headers["webhook-signature"].clone();
    assert_eq!(header.to_str().unwrap().split(' ').count(), 2, "one signature per secret");
}

#[tokio::test]
async fn the_receivers_answer_decides_whether_to_retry() {
    for (status, outcome) in [
        (200, None),
        (202, None),
        (204, None),
        (408, Some(true)),
        (429, Some(true)),
        (500, Some(true)),
        (502, Some(true)),
        (503, Some(true)),
        (400, Some(false)),
        (404, Some(false)),
        (410, Some(false)),
        (422, Some(false)),
    ] {
        let (url, rx) = receiver(&[NEW], status).await;
        let notifier = notifier(vec![endpoint("r", &url, &[NEW])]);
        let result =
            notifier.deliver(&delivery("outbox-9", "r", BODY.as_bytes()), Utc::now()).await;
        assert_eq!(rx.seen.lock().unwrap().len(), 1, "{status}");
        match outcome {
            None => assert!(result.is_ok(), "{status}: {result:?}"),
            Some(retryable) => {
                let error = result.unwrap_err();
                assert_eq!(error.retryable, retryable, "{status}: {error}");
                assert!(error.message.contains(&status.to_string()), "{error}");
            }
        }
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let app = axum::Router::new().route(
        "/hook",
        post(|| async {
            (StatusCode::MOVED_PERMANENTLY, [("location", "http://10.0.0.1/elsewhere")])
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let notifier = notifier(vec![endpoint("r", &url, &[NEW])]);
    let error =
        notifier.deliver(&delivery("o", "r", BODY.as_bytes()), Utc::now()).await.unwrap_err();
    assert!(!error.retryable && error.message.contains("301"), "{error}");
}

#[tokio::test]
async fn an_endpoint_that_is_down_is_retried_and_its_url_stays_private() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/hook?token=bi-mat-8842");
    let notifier = notifier(vec![endpoint("r", &url, &[NEW])]);
    let error =
        notifier.deliver(&delivery("o", "r", BODY.as_bytes()), Utc::now()).await.unwrap_err();
    assert!(error.retryable, "{error}");
    assert!(!error.to_string().contains("bi-mat-8842"), "{error}");
    assert!(error.message.contains("webhook \"r\""), "{error}");

    let error = notifier
        .deliver(&delivery("o", "khong-co", BODY.as_bytes()), Utc::now())
        .await
        .unwrap_err();
    assert!(!error.retryable && error.message.contains("khong-co"), "{error}");
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_in_time_is_retried() {
    let app = axum::Router::new().route(
        "/hook",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut slow = endpoint("r", &url, &[NEW]);
    slow.timeout_secs = 1;
    let notifier = notifier(vec![slow]);
    let error =
        notifier.deliver(&delivery("o", "r", BODY.as_bytes()), Utc::now()).await.unwrap_err();
    assert!(error.retryable && error.message.contains("no answer in time"), "{error}");
}

#[test]
fn bad_endpoint_configurations_are_refused_with_their_key() {
    let store = || -> Arc<dyn notify::ZaloTokenStore> { Arc::new(MemoryTokenStore::default()) };
    let refuse = |endpoints: Vec<WebhookEndpoint>| {
        Notifier::new(NotifyConfig { smtp: None, webhooks: endpoints, zalo: None }, store())
            .unwrap_err()
            .to_string()
    };
    let e = refuse(vec![endpoint("a", "ftp://x.vn/h", &[NEW])]);
    assert!(e.starts_with("notify.webhooks[0].url:"), "{e}");
    let e = refuse(vec![endpoint("a", "https://x.vn/h", &["whsec_khong phai base64"])]);
    assert!(e.starts_with("notify.webhooks[0].secrets:"), "{e}");
    assert!(!e.contains("khong phai"), "the secret is not repeated: {e}");
    let e = refuse(vec![endpoint("a", "https://x.vn/h", &[])]);
    assert!(e.contains("at least one secret"), "{e}");
    let e = refuse(vec![
        endpoint("a", "https://x.vn/h", &[NEW]),
        endpoint("a", "https://y.vn/h", &[NEW]),
    ]);
    assert!(e.starts_with("notify.webhooks[1].name:") && e.contains("twice"), "{e}");
}
