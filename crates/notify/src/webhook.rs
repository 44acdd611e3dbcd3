//! Signed webhooks as Standard Webhooks 1.0 describes them: a JSON POST with the headers
//! `webhook-id`, `webhook-timestamp` and `webhook-signature`, the signature being
//! `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under a `whsec_<base64>` secret.
//!
//! An endpoint may have several secrets: every one signs every delivery and the signatures
//! are sent space-separated, so a receiver that knows either the old or the new secret
//! accepts the message while a secret is being changed. [`verify`] is what a receiver runs
//! (the tests run it in theirs): constant-time comparison and a ±5 minute window against
//! replays.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::config::{Env, WebhookEndpoint, http_url};
use crate::error::describe;
use crate::{DeliveryError, Error};

/// How far a timestamp may be from the receiver's clock (Standard Webhooks: 5 minutes).
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The prefix of a secret in its written form.
pub const SECRET_PREFIX: &str = "whsec_";

/// The header that carries the message's stable identifier (the outbox id).
pub const ID_HEADER: &str = "webhook-id";
/// The header that carries the signing time, in seconds since 1970.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header that carries the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

type HmacSha256 = Hmac<Sha256>;

/// The key bytes of a written secret: the base64 after `whsec_` (the prefix may be left
/// out), or `None` when that is not base64.
pub fn parse_secret(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.trim();
    let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
    STANDARD.decode(encoded).ok().filter(|key| !key.is_empty())
}

/// The key bytes of a secret; one that is not base64 is used as it is written, so that
/// [`sign`] and [`verify`] agree on any text (the notifier refuses such secrets at start-up).
fn key_bytes(secret: &str) -> Vec<u8> {
    parse_secret(secret).unwrap_or_else(|| secret.as_bytes().to_vec())
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        unreachable!("hmac accepts keys of every length")
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

fn sign_key(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1,{}", STANDARD.encode(mac(key, id, timestamp, body)))
}

/// The signature of one message under one secret: `v1,<base64>`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    sign_key(&key_bytes(secret), id, timestamp, body)
}

/// The `webhook-signature` value for a message signed with every secret, space-separated.
pub fn signature_header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|s| sign(s, id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// Read access to request headers by (case-insensitive) name, so [`verify`] works on an
/// `http::HeaderMap` (axum's and reqwest's) as well as on plain pairs.
pub trait HeaderLookup {
    /// The first value of the header `name`, if present and text.
    fn header(&self, name: &str) -> Option<&str>;
}

impl HeaderLookup for reqwest::header::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.to_str().ok())
    }
}

impl<'a> HeaderLookup for [(&'a str, &'a str)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }
}

impl HeaderLookup for [(String, String)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why a received webhook was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A required header is absent.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not a whole number of seconds.
    #[error("the webhook-timestamp header is not a number")]
    InvalidTimestamp,
    /// The message was signed too long ago: possibly a replay.
    #[error("the message is older than the tolerance")]
    TooOld,
    /// The message claims to be signed in the future.
    #[error("the message is dated in the future beyond the tolerance")]
    TooNew,
    /// No signature matches any secret: the body, id or timestamp was changed, or the
    /// secret is wrong.
    #[error("no signature matches")]
    NoMatch,
}

/// Checks a received webhook: the timestamp is within `tolerance` of `now`, and one of the
/// `v1` signatures in `webhook-signature` is the HMAC of `id.timestamp.body` under one of
/// `secrets` (compared in constant time).
pub fn verify<H: HeaderLookup + ?Sized>(
    secrets: &[&str],
    headers: &H,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), VerifyError> {
    let id = headers.header(ID_HEADER).ok_or(VerifyError::MissingHeader(ID_HEADER))?;
    let timestamp =
        headers.header(TIMESTAMP_HEADER).ok_or(VerifyError::MissingHeader(TIMESTAMP_HEADER))?;
    let signatures =
        headers.header(SIGNATURE_HEADER).ok_or(VerifyError::MissingHeader(SIGNATURE_HEADER))?;
    let timestamp: i64 = timestamp.trim().parse().map_err(|_| VerifyError::InvalidTimestamp)?;
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    let now = now.timestamp();
    if timestamp < now.saturating_sub(tolerance) {
        return Err(VerifyError::TooOld);
    }
    if timestamp > now.saturating_add(tolerance) {
        return Err(VerifyError::TooNew);
    }
    let expected: Vec<[u8; 32]> =
        secrets.iter().map(|s| mac(&key_bytes(s), id, timestamp, body)).collect();
    let mut matched = subtle::Choice::from(0);
    for candidate in signatures.split_whitespace() {
        let Some(encoded) = candidate.strip_prefix("v1,") else { continue };
        let Ok(given) = STANDARD.decode(encoded) else { continue };
        for want in &expected {
            // Lengths are public (always 32 for v1); the bytes are compared in constant time.
            matched |= given.as_slice().ct_eq(want.as_slice());
        }
    }
    if bool::from(matched) { Ok(()) } else { Err(VerifyError::NoMatch) }
}

/// A configured endpoint, checked.
struct Endpoint {
    url: url::Url,
    keys: Vec<Vec<u8>>,
    timeout: Duration,
}

/// The configured endpoints and the HTTP client that reaches them.
pub(crate) struct Webhooks {
    endpoints: HashMap<String, Endpoint>,
    client: reqwest::Client,
}

impl Webhooks {
    pub(crate) fn new(
        config: &[WebhookEndpoint],
        client: reqwest::Client,
        env: Env<'_>,
    ) -> Result<Webhooks, Error> {
        let mut endpoints = HashMap::new();
        for (i, endpoint) in config.iter().enumerate() {
            let key = |field: &str| format!("notify.webhooks[{i}].{field}");
            let name = endpoint.name.trim();
            if name.is_empty() {
                return Err(Error::config(key("name"), "is empty"));
            }
            let url = http_url(&key("url"), &endpoint.url)?;
            let mut written: Vec<String> = endpoint.secrets.clone();
            if let Some(var) = &endpoint.secrets_env {
                let value = env(var).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                    Error::config(
                        key("secrets_env"),
                        format!("the environment variable {var} is not set"),
                    )
                })?;
                written.extend(
                    value
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                );
            }
            if written.is_empty() {
                return Err(Error::config(key("secrets"), "an endpoint needs at least one secret"));
            }
            let mut keys = Vec::new();
            for (j, secret) in written.iter().enumerate() {
                let decoded = parse_secret(secret).ok_or_else(|| {
                    Error::config(
                        key("secrets"),
                        format!("secret {} is not whsec_ followed by base64", j + 1),
                    )
                })?;
                keys.push(decoded);
            }
            if endpoint.timeout_secs == 0 {
                return Err(Error::config(key("timeout_secs"), "must be at least 1"));
            }
            let timeout = Duration::from_secs(endpoint.timeout_secs);
            if endpoints.insert(name.to_owned(), Endpoint { url, keys, timeout }).is_some() {
                return Err(Error::config(key("name"), format!("{name:?} is used twice")));
            }
        }
        Ok(Webhooks { endpoints, client })
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.endpoints.keys().map(String::as_str)
    }

    /// Posts `body` to the endpoint called `name`, signed now.
    pub(crate) async fn deliver(
        &self,
        id: &str,
        name: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), DeliveryError> {
        let endpoint = self.endpoints.get(name).ok_or_else(|| {
            DeliveryError::permanent(format!("no webhook endpoint is called {name:?}"))
        })?;
        let timestamp = now.timestamp();
        let signature = endpoint
            .keys
            .iter()
            .map(|key| sign_key(key, id, timestamp, body))
            .collect::<Vec<_>>()
            .join(" ");
        let response = self
            .client
            .post(endpoint.url.clone())
            .timeout(endpoint.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(ID_HEADER, id)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| request_error(&format!("webhook {name:?}"), e))?;
        classify_status(response.status()).map_err(|mut e| {
            e.message = format!("webhook {name:?} answered {}", e.message);
            e
        })
    }
}

/// A failed HTTP exchange. The URL is left out: webhook URLs often carry a token.
pub(crate) fn request_error(what: &str, error: reqwest::Error) -> DeliveryError {
    let error = error.without_url();
    if error.is_builder() {
        DeliveryError::permanent(format!("{what}: cannot build the request: {error}"))
    } else if error.is_timeout() {
        DeliveryError::retryable(format!("{what}: no answer in time"))
    } else if error.is_connect() {
        DeliveryError::retryable(format!("{what}: cannot connect: {}", describe(&error)))
    } else {
        DeliveryError::retryable(format!("{what}: {}", describe(&error)))
    }
}

/// What an HTTP status means for a delivery: 2xx delivered; 408, 429 and 5xx retried
/// later; anything else (other 4xx, a redirect, which is not followed) refused for good.
pub(crate) fn classify_status(status: reqwest::StatusCode) -> Result<(), DeliveryError> {
    let code = status.as_u16();
    if status.is_success() {
        Ok(())
    } else if code == 408 || code == 429 || status.is_server_error() {
        Err(DeliveryError::retryable(status.to_string()))
    } else if status.is_redirection() {
        Err(DeliveryError::permanent(format!("{status} (redirects are not followed)")))
    } else {
        Err(DeliveryError::permanent(status.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::StatusCode;

    #[test]
    fn secrets_parse_with_or_without_the_prefix() {
        assert_eq!(parse_secret("whsec_AAEC").unwrap(), vec![0, 1, 2]);
        assert_eq!(parse_secret("AAEC").unwrap(), vec![0, 1, 2]);
        assert_eq!(parse_secret("whsec_not base64!"), None);
        assert_eq!(parse_secret("whsec_"), None);
    }

    #[test]
    fn secrets_can_come_from_the_environment() {
        let config: Vec<WebhookEndpoint> = vec![
            toml::from_str("name = 'a'\nurl = 'https://x.vn/h'\nsecrets_env = 'HOOK_SECRETS'")
                .unwrap(),
        ];
        let env =
            |name: &str| (name == "HOOK_SECRETS").then(|| "whsec_AAEC ,whsec_AQID".to_owned());
        let hooks = Webhooks::new(&config, reqwest::Client::new(), &env).unwrap();
        assert_eq!(hooks.endpoints["a"].keys, vec![vec![0, 1, 2], vec![1, 2, 3]]);
        let none = |_: &str| None;
        let e = Webhooks::new(&config, reqwest::Client::new(), &none).err().unwrap().to_string();
        assert_eq!(
            e,
            "notify.webhooks[0].secrets_env: the environment variable HOOK_SECRETS is not set"
        );
    }

    #[test]
    fn statuses_are_classified() {
        for code in [200, 201, 202, 204] {
            assert!(classify_status(StatusCode::from_u16(code).unwrap()).is_ok(), "{code}");
        }
        for code in [408, 429, 500, 502, 503, 504] {
            let e = classify_status(StatusCode::from_u16(code).unwrap()).unwrap_err();
            assert!(e.retryable, "{code}");
        }
        for code in [301, 302, 400, 401, 403, 404, 410, 413, 422] {
            let e = classify_status(StatusCode::from_u16(code).unwrap()).unwrap_err();
            assert!(!e.retryable, "{code}");
        }
    }

    #[test]
    fn headers_are_found_whatever_their_case() {
        let pairs: &[(&str, &str)] = &[("Webhook-ID", "msg_1")];
        assert_eq!(pairs.header("webhook-id"), Some("msg_1"));
        assert_eq!(pairs.header("webhook-timestamp"), None);
    }

    #[test]
    fn a_signature_with_unknown_versions_beside_it_still_verifies() {
        let secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let now = Utc.with_ymd_and_hms(2026, 6, 15, 1, 0, 0).unwrap();
        let ts = now.timestamp().to_string();
        let good = sign(secret, "msg_1", now.timestamp(), b"{}");
        let header = format!("v2,abc v1,!!notbase64 {good}");
        let headers: &[(&str, &str)] =
            &[("webhook-id", "msg_1"), ("webhook-timestamp", &ts), ("webhook-signature", &header)];
        assert_eq!(verify(&[secret], headers, b"{}", now, TOLERANCE), Ok(()));
        let only_junk: &[(&str, &str)] = &[
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", &ts),
            ("webhook-signature", "v2,abc v1,AAAA"),
        ];
        assert_eq!(verify(&[secret], only_junk, b"{}", now, TOLERANCE), Err(VerifyError::NoMatch));
        let no_ts: &[(&str, &str)] = &[("webhook-id", "msg_1"), ("webhook-signature", &header)];
        assert_eq!(
            verify(&[secret], no_ts, b"{}", now, TOLERANCE),
            Err(VerifyError::MissingHeader(TIMESTAMP_HEADER))
        );
        let bad_ts: &[(&str, &str)] = &[
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", "soon"),
            ("webhook-signature", &header),
        ];
        assert_eq!(
            verify(&[secret], bad_ts, b"{}", now, TOLERANCE),
            Err(VerifyError::InvalidTimestamp)
        );
    }
}
