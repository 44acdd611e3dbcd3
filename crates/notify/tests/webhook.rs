//! Signed webhooks against a receiver on 127.0.0.1 that checks every request with
//! `notify::webhook::verify`, as an office's own receiver would: the signature holds, a
//! changed body or an old timestamp does not, both secrets verify during a rotation, and
//! the receiver's answer decides whether the outbox tries again.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use notify::webhook::{TOLERANCE, VerifyError, sign, signature_header, verify};
use notify::{Channel, Delivery, MemoryTokenStore, Notifier, NotifyConfig, WebhookEndpoint};
use test_support::{Page, Request, Site};

const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const BODY: &str = r#"{"type":"alert.created","id":"alert-17","data":{"title":"Tin đồn: uống nước muối chữa cúm A","priority":"p1","dashboard_url":"https://langnghe.soyte.example.vn/alerts/17"}}"#;

/// One request to `/hook` and whether it verified when it came.
#[derive(Debug, Clone)]
struct Seen {
    request: Request,
    verified: Result<(), VerifyError>,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.request.header(name).unwrap_or_else(|| panic!("no {name} header"))
    }
}

/// A receiver on a site of its own: requests to `/hook` that verify get its answer, the
/// rest 401.
struct Receiver {
    site: Site,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Receiver {
    fn url(&self) -> String {
        self.site.url("/hook")
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A receiver that knows `secrets` and answers `answer` to requests that verify.
fn receiver(secrets: &[&str], answer: u16) -> Receiver {
    let secrets: Vec<String> = secrets.iter().map(|s| (*s).to_owned()).collect();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let site = Site::with_handler(move |request| {
        if (request.method.as_str(), request.path.as_str()) != ("POST", "/hook") {
            return Page::not_found().into();
        }
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let verified =
            verify(&secrets, request.headers.as_slice(), &request.body, Utc::now(), TOLERANCE);
        let status = if verified.is_ok() { answer } else { 401 };
        log.lock().unwrap().push(Seen { request: request.clone(), verified });
        Page::status(status).into()
    });
    Receiver { site, seen }
}

/// `headers` with the value of `name` replaced by `value`.
fn replaced(headers: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let v = if k.eq_ignore_ascii_case(name) { value } else { v.as_str() };
            (k.clone(), v.to_owned())
        })
        .collect()
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
    let rx = receiver(&[NEW], 204);
    let notifier = notifier(vec![endpoint("truyen-thong", &rx.url(), &[NEW])]);
    let now = Utc::now();
    notifier.deliver(&delivery("outbox-17", "truyen-thong", BODY.as_bytes()), now).await.unwrap();

    let seen = rx.seen();
    assert_eq!(seen.len(), 1);
    let seen = &seen[0];
    assert_eq!(seen.verified, Ok(()));
    assert_eq!(seen.request.body, BODY.as_bytes());
    assert_eq!(seen.header("webhook-id"), "outbox-17");
    assert_eq!(seen.header("webhook-timestamp"), now.timestamp().to_string());
    assert_eq!(seen.header("content-type"), "application/json");
    assert_eq!(
        seen.header("webhook-signature"),
        sign(NEW, "outbox-17", now.timestamp(), BODY.as_bytes())
    );

    // The same headers with a changed body, id or timestamp do not verify.
    let headers = seen.request.headers.as_slice();
    let tampered = BODY.replace("p1", "p3");
    assert_eq!(
        verify(&[NEW], headers, tampered.as_bytes(), now, TOLERANCE),
        Err(VerifyError::NoMatch)
    );
    let other_id = replaced(headers, "webhook-id", "outbox-18");
    assert_eq!(
        verify(&[NEW], other_id.as_slice(), BODY.as_bytes(), now, TOLERANCE),
        Err(VerifyError::NoMatch)
    );
    let other_time = replaced(headers, "webhook-timestamp", &(now.timestamp() + 1).to_string());
    assert_eq!(
        verify(&[NEW], other_time.as_slice(), BODY.as_bytes(), now, TOLERANCE),
        Err(VerifyError::NoMatch)
    );
    // A receiver with another secret refuses it.
    assert_eq!(verify(&[OLD], headers, BODY.as_bytes(), now, TOLERANCE), Err(VerifyError::NoMatch));
}

#[tokio::test]
async fn a_timestamp_outside_five_minutes_fails() {
    let rx = receiver(&[NEW], 200);
    let notifier = notifier(vec![endpoint("truyen-thong", &rx.url(), &[NEW])]);
    let now = Utc::now();
    notifier.deliver(&delivery("outbox-1", "truyen-thong", BODY.as_bytes()), now).await.unwrap();
    let seen = rx.seen();
    let headers = seen[0].request.headers.as_slice();
    let body = BODY.as_bytes();
    let minutes = |m: i64| chrono::Duration::seconds(m * 60);
    assert_eq!(verify(&[NEW], headers, body, now + minutes(5), TOLERANCE), Ok(()));
    assert_eq!(
        verify(&[NEW], headers, body, now + minutes(5) + chrono::Duration::seconds(1), TOLERANCE),
        Err(VerifyError::TooOld)
    );
    assert_eq!(
        verify(&[NEW], headers, body, now - minutes(6), TOLERANCE),
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
    assert_eq!(rx.seen()[1].verified, Err(VerifyError::TooOld));
}

#[tokio::test]
async fn during_a_rotation_both_secrets_verify() {
    let rx_old = receiver(&[OLD], 200);
    let rx_new = receiver(&[NEW], 200);
    let rx_both = receiver(&[OLD, NEW], 200);
    let notifier = notifier(vec![
        endpoint("cu", &rx_old.url(), &[OLD, NEW]),
        endpoint("moi", &rx_new.url(), &[OLD, NEW]),
        endpoint("ca-hai", &rx_both.url(), &[NEW]),
    ]);
    assert_eq!(notifier.webhook_names(), vec!["ca-hai", "cu", "moi"]);
    let now = Utc::now();
    for name in ["cu", "moi", "ca-hai"] {
        notifier.deliver(&delivery("outbox-5", name, BODY.as_bytes()), now).await.unwrap();
    }
    for rx in [&rx_old, &rx_new, &rx_both] {
        let seen = rx.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].verified, Ok(()));
    }
    let seen = rx_old.seen();
    let header = seen[0].header("webhook-signature");
    assert_eq!(header.split(' ').count(), 2, "one signature per secret");
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
        let rx = receiver(&[NEW], status);
        let notifier = notifier(vec![endpoint("r", &rx.url(), &[NEW])]);
        let result =
            notifier.deliver(&delivery("outbox-9", "r", BODY.as_bytes()), Utc::now()).await;
        assert_eq!(rx.seen().len(), 1, "{status}");
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
    let site = Site::start();
    site.put("/hook", Page::redirect(301, "http://10.0.0.1/elsewhere"));
    let notifier = notifier(vec![endpoint("r", &site.url("/hook"), &[NEW])]);
    let error =
        notifier.deliver(&delivery("o", "r", BODY.as_bytes()), Utc::now()).await.unwrap_err();
    assert!(!error.retryable && error.message.contains("301"), "{error}");
    assert_eq!(site.total_requests(), 1, "nothing but the endpoint was asked");
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
    let site = Site::start();
    site.put("/hook", Page::status(200).with_delay(Duration::from_secs(30)));
    let mut slow = endpoint("r", &site.url("/hook"), &[NEW]);
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
