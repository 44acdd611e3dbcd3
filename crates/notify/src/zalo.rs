//! Zalo Official Account messages: customer-service text messages to a user who follows
//! the office's OA, with the access token kept fresh.
//!
//! Zalo's tokens work like this (developers.zalo.me, OA API v3/v4): an access token lasts
//! `expires_in` seconds (25 hours at the time of writing; older guides say 1 hour, so the
//! answer is what counts) and comes with a refresh token that lasts three months and can be
//! used **once**. Refreshing is `POST oauth_url` with the form fields `app_id`,
//! `grant_type=refresh_token` and `refresh_token`, and the app's secret in the `secret_key`
//! header; the answer carries a new access token *and a new refresh token*. Losing that new
//! refresh token means an administrator has to grant the app access to the OA again, so
//! the new pair is handed to [`ZaloTokenStore::save`] (the store writes it in a
//! transaction) before anything uses it, and a pair that could not be saved is never used.
//!
//! The token is refreshed when 80 % of its lifetime has passed, and at once when Zalo
//! answers that it is invalid or expired (errors -216 and -220); the message is then sent
//! once more. Refreshes are serialised in the process, and before refreshing the store is
//! read again, so a second process sharing the store picks up a pair another one already
//! obtained instead of spending a refresh token that is no longer valid.
//!
//! Sending is `POST api_url` with the header `access_token` and the JSON body
//! `{"recipient":{"user_id":…},"message":{"text":…}}`. Zalo answers HTTP 200 in every case
//! and puts the outcome in `error` (0 for success). Text is limited to 2,000 characters:
//! [`fit_text`] shortens longer text at a word boundary and keeps a link at its end.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{Env, ZaloConfig, http_url, secret};
use crate::webhook::{classify_status, request_error};
use crate::{DeliveryError, Error};

/// The longest text Zalo accepts in one customer-service message, in characters (counted
/// as UTF-16 code units, as the API's JavaScript heritage suggests; the same as
/// characters for Vietnamese text).
pub const TEXT_LIMIT: usize = 2000;

/// A boxed future that can be sent between threads, as [`ZaloTokenStore`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The current token pair of the OA.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZaloTokens {
    /// Sent in the `access_token` header.
    pub access_token: String,
    /// Used once, to obtain the next pair.
    pub refresh_token: String,
    /// When this pair was issued.
    pub obtained_at: DateTime<Utc>,
    /// When the access token stops working.
    pub expires_at: DateTime<Utc>,
}

impl ZaloTokens {
    /// When the pair should be refreshed: after 80 % of the access token's lifetime.
    pub fn refresh_due(&self) -> DateTime<Utc> {
        let life = self.expires_at - self.obtained_at;
        self.obtained_at + life * 4 / 5
    }

    /// Whether the pair should be refreshed at `now`.
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        now >= self.refresh_due()
    }
}

impl fmt::Debug for ZaloTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZaloTokens")
            .field("access_token", &"<hidden>")
            .field("refresh_token", &"<hidden>")
            .field("obtained_at", &self.obtained_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where the token pair lives between runs. The store saves a pair in one transaction
/// (the refresh token inside it can be used only once, so a half-written pair is a lost
/// one); errors are plain text, shown to the administrator.
pub trait ZaloTokenStore: Send + Sync {
    /// The saved pair, if any.
    fn load(&self) -> BoxFuture<'_, Result<Option<ZaloTokens>, String>>;
    /// Replaces the saved pair.
    fn save(&self, tokens: ZaloTokens) -> BoxFuture<'_, Result<(), String>>;
}

/// A token store in memory: for tests, and for running without Zalo.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: std::sync::Mutex<Option<ZaloTokens>>,
}

impl MemoryTokenStore {
    /// A store holding `tokens`.
    pub fn new(tokens: Option<ZaloTokens>) -> MemoryTokenStore {
        MemoryTokenStore { tokens: std::sync::Mutex::new(tokens) }
    }

    /// The pair saved last.
    pub fn current(&self) -> Option<ZaloTokens> {
        self.tokens
            .lock()
            .map(|t| t.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }
}

impl ZaloTokenStore for MemoryTokenStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<ZaloTokens>, String>> {
        Box::pin(async move { Ok(self.current()) })
    }

    fn save(&self, tokens: ZaloTokens) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let mut slot =
                self.tokens.lock().map_err(|_| "the token store is poisoned".to_owned())?;
            *slot = Some(tokens);
            Ok(())
        })
    }
}

/// The length of `text` as Zalo counts it.
fn units(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Where the link at the end of `text` starts, if its last word is one.
fn trailing_url(text: &str) -> Option<usize> {
    let start = text
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let last = &text[start..];
    (last.starts_with("https://") || last.starts_with("http://")).then_some(start)
}

/// `text` in at most `budget` units, cut after a whole word and ended with "…"; a single
/// word longer than the budget is cut inside it.
fn cut_words(text: &str, budget: usize) -> String {
    if units(text) <= budget {
        return text.to_owned();
    }
    if budget == 0 {
        return String::new();
    }
    let room = budget - 1; // the ellipsis
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if used + c.len_utf16() > room {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    let window = &text[..end];
    let at_boundary = text[end..].chars().next().is_none_or(char::is_whitespace);
    let kept = if at_boundary {
        window
    } else {
        match window.char_indices().rev().find(|(_, c)| c.is_whitespace()) {
            Some((i, _)) => &window[..i],
            None => window,
        }
    };
    format!("{}…", kept.trim_end())
}

/// `text` shortened to at most `limit` characters (UTF-16 units): cut after a whole word,
/// marked with "…", and a link that ends the text is kept whole after the cut (it is what
/// the reader acts on). Text within the limit is returned as it is.
pub fn fit_text(text: &str, limit: usize) -> String {
    if units(text) <= limit {
        return text.to_owned();
    }
    let trimmed = text.trim_end();
    if let Some(start) = trailing_url(trimmed).filter(|&start| start > 0) {
        let (head, link) = trimmed.split_at(start);
        let link_units = units(link);
        // Room for at least one word and the ellipsis before the separator and the link.
        if link_units + 3 <= limit {
            let gap = &head[head.trim_end().len()..];
            let separator = if gap.contains('\n') { "\n" } else { " " };
            let body = cut_words(head.trim_end(), limit - link_units - 1);
            return format!("{body}{separator}{link}");
        }
    }
    cut_words(trimmed, limit)
}

/// What one send attempt came to, short of a failure.
enum Sent {
    Done,
    /// Zalo said the access token is invalid or expired.
    TokenRejected {
        code: i64,
        message: String,
    },
}

/// The tokens in memory and whether they still have to reach the store.
#[derive(Default)]
struct State {
    loaded: bool,
    tokens: Option<ZaloTokens>,
    unsaved: bool,
}

/// The configured Official Account.
pub(crate) struct Zalo {
    app_id: String,
    secret_key: String,
    first_refresh_token: Option<String>,
    oauth_url: url::Url,
    api_url: url::Url,
    timeout: Duration,
    client: reqwest::Client,
    store: Arc<dyn ZaloTokenStore>,
    state: tokio::sync::Mutex<State>,
}

impl Zalo {
    pub(crate) fn new(
        config: &ZaloConfig,
        store: Arc<dyn ZaloTokenStore>,
        client: reqwest::Client,
        env: Env<'_>,
    ) -> Result<Zalo, Error> {
        let app_id = config.app_id.trim();
        if app_id.is_empty() {
            return Err(Error::config("notify.zalo.app_id", "is empty"));
        }
        let secret_key = secret(
            "notify.zalo.secret_key",
            config.secret_key.as_deref(),
            "notify.zalo.secret_key_env",
            config.secret_key_env.as_deref(),
            env,
        )?
        .ok_or_else(|| {
            Error::config(
                "notify.zalo.secret_key",
                "the app's secret key is needed (secret_key or secret_key_env)",
            )
        })?;
        let first_refresh_token = secret(
            "notify.zalo.refresh_token",
            config.refresh_token.as_deref(),
            "notify.zalo.refresh_token_env",
            config.refresh_token_env.as_deref(),
            env,
        )?;
        if config.timeout_secs == 0 {
            return Err(Error::config("notify.zalo.timeout_secs", "must be at least 1"));
        }
        Ok(Zalo {
            app_id: app_id.to_owned(),
            secret_key,
            first_refresh_token,
            oauth_url: http_url("notify.zalo.oauth_url", &config.oauth_url)?,
            api_url: http_url("notify.zalo.api_url", &config.api_url)?,
            timeout: Duration::from_secs(config.timeout_secs),
            client,
            store,
            state: tokio::sync::Mutex::new(State::default()),
        })
    }

    /// Sends `text` (shortened to the limit) to the user `user_id`.
    pub(crate) async fn deliver(
        &self,
        user_id: &str,
        text: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), DeliveryError> {
        let user_id = user_id.trim();
        if user_id.is_empty() {
            return Err(DeliveryError::permanent("the zalo user id is empty"));
        }
        let text = std::str::from_utf8(text)
            .map_err(|_| DeliveryError::permanent("the zalo message is not utf-8 text"))?;
        let text = fit_text(text.trim(), TEXT_LIMIT);
        if text.is_empty() {
            return Err(DeliveryError::permanent("the zalo message is empty"));
        }
        let token = self.access_token(now, None).await?;
        match self.send(&token, user_id, &text).await? {
            Sent::Done => Ok(()),
            Sent::TokenRejected { code, message } => {
                tracing::info!(code, "zalo refused the access token; refreshing it");
                let token = self.access_token(now, Some(&token)).await?;
                match self.send(&token, user_id, &text).await? {
                    Sent::Done => Ok(()),
                    Sent::TokenRejected { code: again, message: said } => {
                        Err(DeliveryError::permanent(format!(
                            "zalo refused a freshly refreshed access token (error {again}: {said}; \
                             before: {code}: {message}); grant the app access to the oa again"
                        )))
                    }
                }
            }
        }
    }

    /// An access token to use at `now`: the current one, unless it is due for refreshing or
    /// is `rejected` (Zalo just refused it), in which case a new pair is obtained and saved
    /// first.
    async fn access_token(
        &self,
        now: DateTime<Utc>,
        rejected: Option<&str>,
    ) -> Result<String, DeliveryError> {
        let mut state = self.state.lock().await;
        if !state.loaded {
            state.tokens = self.load().await?;
            state.loaded = true;
        }
        if state.unsaved {
            if let Some(tokens) = state.tokens.clone() {
                self.save(tokens).await?;
            }
            state.unsaved = false;
        }
        let usable =
            |t: &ZaloTokens| !t.needs_refresh(now) && Some(t.access_token.as_str()) != rejected;
        if let Some(tokens) = state.tokens.as_ref().filter(|t| usable(t)) {
            return Ok(tokens.access_token.clone());
        }
        // Another process sharing the store may have refreshed already; if so its pair is
        // the current one and the refresh token held here is spent.
        if let Some(stored) = self.load().await? {
            let newer =
                state.tokens.as_ref().is_none_or(|t| t.refresh_token != stored.refresh_token);
            if newer {
                let access = stored.access_token.clone();
                let fresh_enough = usable(&stored);
                state.tokens = Some(stored);
                if fresh_enough {
                    return Ok(access);
                }
            }
        }
        let mut candidates: Vec<String> = Vec::new();
        if let Some(tokens) = &state.tokens {
            candidates.push(tokens.refresh_token.clone());
        }
        // The configured token starts the chain, and restarts it after an administrator
        // granted access again; a spent one is simply refused by Zalo.
        if let Some(first) = &self.first_refresh_token
            && !candidates.contains(first)
        {
            candidates.push(first.clone());
        }
        if candidates.is_empty() {
            return Err(DeliveryError::permanent(
                "no zalo refresh token: set notify.zalo.refresh_token_env to the token obtained \
                 when granting the app access to the oa",
            ));
        }
        let mut refused = None;
        for refresh_token in &candidates {
            match self.refresh(refresh_token, now).await {
                Ok(fresh) => {
                    // The refresh token just used is spent: keep the new pair in memory so
                    // it is not lost, but use it only once the store has it.
                    state.tokens = Some(fresh.clone());
                    state.unsaved = true;
                    let access = fresh.access_token.clone();
                    let expires_at = fresh.expires_at;
                    self.save(fresh).await?;
                    state.unsaved = false;
                    tracing::info!(%expires_at, "zalo access token refreshed and saved");
                    return Ok(access);
                }
                Err(e) if !e.retryable => refused = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(refused
            .unwrap_or_else(|| DeliveryError::permanent("zalo refused to refresh the token")))
    }

    async fn load(&self) -> Result<Option<ZaloTokens>, DeliveryError> {
        self.store
            .load()
            .await
            .map_err(|e| DeliveryError::retryable(format!("cannot read the zalo tokens: {e}")))
    }

    async fn save(&self, tokens: ZaloTokens) -> Result<(), DeliveryError> {
        self.store.save(tokens).await.map_err(|e| {
            DeliveryError::retryable(format!(
                "cannot save the new zalo tokens: {e}; messages wait until they are saved"
            ))
        })
    }

    /// Exchanges a refresh token for a new pair.
    async fn refresh(
        &self,
        refresh_token: &str,
        now: DateTime<Utc>,
    ) -> Result<ZaloTokens, DeliveryError> {
        let form = [
            ("app_id", self.app_id.as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        let response = self
            .client
            .post(self.oauth_url.clone())
            .timeout(self.timeout)
            .header("secret_key", &self.secret_key)
            .form(&form)
            .send()
            .await
            .map_err(|e| request_error("zalo token endpoint", e))?;
        classify_status(response.status()).map_err(|mut e| {
            e.message = format!("zalo token endpoint answered {}", e.message);
            e
        })?;
        let body: Value = response.json().await.map_err(|e| {
            DeliveryError::retryable(format!(
                "zalo token endpoint answered with something other than json: {}",
                e.without_url()
            ))
        })?;
        let text = |key: &str| text_field(&body, key);
        match (text("access_token"), text("refresh_token")) {
            (Some(access), Some(refresh)) => {
                let seconds = expires_in(body.get("expires_in")).unwrap_or_else(|| {
                    tracing::warn!("zalo gave no usable expires_in; assuming one hour");
                    3600
                });
                Ok(ZaloTokens {
                    access_token: access.to_owned(),
                    refresh_token: refresh.to_owned(),
                    obtained_at: now,
                    expires_at: now + chrono::Duration::seconds(seconds),
                })
            }
            (Some(_), None) => {
                Err(DeliveryError::permanent("zalo issued an access token without a refresh token"))
            }
            _ => {
                let code = body.get("error").and_then(Value::as_i64).unwrap_or(0);
                let said = ["error_description", "message", "error_name", "error_reason"]
                    .iter()
                    .find_map(|k| text(k))
                    .unwrap_or("no reason given");
                Err(DeliveryError::permanent(format!(
                    "zalo refused to refresh the access token (error {code}: {said}); grant the \
                     app access to the oa again and set notify.zalo.refresh_token_env"
                )))
            }
        }
    }

    /// One send attempt.
    async fn send(&self, token: &str, user_id: &str, text: &str) -> Result<Sent, DeliveryError> {
        let payload = serde_json::json!({
            "recipient": {"user_id": user_id},
            "message": {"text": text},
        });
        let response = self
            .client
            .post(self.api_url.clone())
            .timeout(self.timeout)
            .header("access_token", token)
            .json(&payload)
            .send()
            .await
            .map_err(|e| request_error("zalo", e))?;
        classify_status(response.status()).map_err(|mut e| {
            e.message = format!("zalo answered {}", e.message);
            e
        })?;
        let body: Value = response.json().await.map_err(|e| {
            DeliveryError::retryable(format!(
                "zalo answered with something other than json: {}",
                e.without_url()
            ))
        })?;
        let code = body
            .get("error")
            .and_then(Value::as_i64)
            .ok_or_else(|| DeliveryError::retryable("zalo answered without an error code"))?;
        let said =
            body.get("message").and_then(Value::as_str).unwrap_or("no reason given").to_owned();
        outcome(code, said)
    }
}

/// A non-empty text field of a JSON answer.
fn text_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// `expires_in` as Zalo sends it: a number, or a number in a string.
fn expires_in(value: Option<&Value>) -> Option<i64> {
    let seconds = match value? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (seconds > 0).then_some(seconds)
}

/// What Zalo's `error` code means for the message. Codes from the OA API's error table:
/// -216 and -220 are token problems (refresh and try again); -32 (rate), -211 (the OA's
/// quota), -218 (the user's quota), -234 (no such messages at night), -200 and -214 pass
/// with time; the rest need a person.
fn outcome(code: i64, said: String) -> Result<Sent, DeliveryError> {
    match code {
        0 => Ok(Sent::Done),
        -216 | -220 => Ok(Sent::TokenRejected { code, message: said }),
        -32 => Err(DeliveryError::retryable(format!(
            "zalo's rate limit was reached (error {code}: {said})"
        ))),
        -211 => Err(DeliveryError::retryable(format!(
            "the zalo oa's message quota is used up (error {code}: {said}); retried later"
        ))),
        -218 => Err(DeliveryError::retryable(format!(
            "this zalo user cannot receive more messages for now (error {code}: {said}); retried later"
        ))),
        -234 => Err(DeliveryError::retryable(format!(
            "zalo does not deliver this message at night (error {code}: {said}); retried later"
        ))),
        -200 | -214 => Err(DeliveryError::retryable(format!(
            "zalo could not send the message (error {code}: {said})"
        ))),
        -213 | -230 | -232 => Err(DeliveryError::permanent(format!(
            "the zalo user has not followed the oa or not written to it recently (error {code}: {said})"
        ))),
        _ => Err(DeliveryError::permanent(format!(
            "zalo refused the message (error {code}: {said})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const LINK: &str = "https://langnghe.soyte.example.vn/alerts/1234";

    fn sentence(n: usize) -> String {
        let words =
            ["Tin", "đồn", "về", "vắc-xin", "sởi", "lan", "nhanh", "trên", "mạng", "xã", "hội."];
        (0..n).map(|i| words[i % words.len()]).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn short_text_is_left_alone() {
        let text = format!("Cảnh báo P1: tin đồn mới.\n{LINK}");
        assert_eq!(fit_text(&text, TEXT_LIMIT), text);
    }

    #[test]
    fn long_text_is_cut_at_a_word_and_keeps_its_link() {
        let body = sentence(600);
        let text = format!("{body}\n{LINK}");
        assert!(units(&text) > TEXT_LIMIT);
        let fitted = fit_text(&text, TEXT_LIMIT);
        assert!(units(&fitted) <= TEXT_LIMIT, "{}", units(&fitted));
        assert!(fitted.ends_with(&format!("…\n{LINK}")), "{fitted}");
        let kept = fitted.trim_end_matches(LINK).trim_end().trim_end_matches('…');
        // Every kept word is a whole word of the original, in order.
        assert!(body.starts_with(kept), "{kept}");
        assert!(body[kept.len()..].starts_with(' '));
        // Nearly all the room is used.
        assert!(units(&fitted) > TEXT_LIMIT - 12, "{}", units(&fitted));
    }

    #[test]
    fn text_without_a_link_is_cut_with_an_ellipsis() {
        let text = sentence(700);
        let fitted = fit_text(&text, 100);
        assert!(units(&fitted) <= 100);
        assert!(fitted.ends_with('…'));
        let kept = fitted.trim_end_matches('…');
        assert!(text.starts_with(kept) && text[kept.len()..].starts_with(' '), "{fitted}");
    }

    #[test]
    fn a_link_after_a_space_keeps_the_space_and_one_huge_word_is_cut_inside() {
        let text = format!("{} {LINK}", sentence(50));
        let fitted = fit_text(&text, 120);
        assert!(fitted.ends_with(&format!("… {LINK}")), "{fitted}");
        assert!(units(&fitted) <= 120);
        let word = "x".repeat(300);
        let fitted = fit_text(&word, 50);
        assert_eq!(fitted, format!("{}…", "x".repeat(49)));
        // A link longer than the limit cannot be kept; the text is cut like any other.
        let long_link = format!("xem https://example.vn/{}", "a".repeat(200));
        assert!(units(&fit_text(&long_link, 50)) <= 50);
    }

    #[test]
    fn astral_characters_count_twice() {
        assert_eq!(units("ả"), 1);
        assert_eq!(units("🦠"), 2);
        let text = "🦠 ".repeat(30);
        assert!(units(&fit_text(&text, 20)) <= 20);
    }

    #[test]
    fn refresh_is_due_at_four_fifths_of_the_lifetime() {
        let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let tokens = ZaloTokens {
            access_token: "a".into(),
            refresh_token: "r".into(),
            obtained_at: t0,
            expires_at: t0 + chrono::Duration::seconds(90_000),
        };
        assert_eq!(tokens.refresh_due(), t0 + chrono::Duration::seconds(72_000));
        assert!(!tokens.needs_refresh(t0 + chrono::Duration::seconds(71_999)));
        assert!(tokens.needs_refresh(t0 + chrono::Duration::seconds(72_000)));
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("\"a\"") && !shown.contains("\"r\""), "{shown}");
    }

    #[test]
    fn expires_in_may_be_a_number_or_a_string() {
        assert_eq!(expires_in(Some(&serde_json::json!(90000))), Some(90000));
        assert_eq!(expires_in(Some(&serde_json::json!("90000"))), Some(90000));
        assert_eq!(expires_in(Some(&serde_json::json!("soon"))), None);
        assert_eq!(expires_in(Some(&serde_json::json!(0))), None);
        assert_eq!(expires_in(None), None);
    }

    #[test]
    fn error_codes_are_classified() {
        assert!(matches!(outcome(0, String::new()), Ok(Sent::Done)));
        assert!(matches!(outcome(-216, String::new()), Ok(Sent::TokenRejected { code: -216, .. })));
        assert!(matches!(outcome(-220, String::new()), Ok(Sent::TokenRejected { .. })));
        for code in [-32, -211, -218, -234, -200] {
            assert!(outcome(code, "x".into()).err().unwrap().retryable, "{code}");
        }
        let quota = outcome(-211, "Out of quota".into()).err().unwrap();
        assert!(quota.message.contains("quota is used up"), "{}", quota.message);
        for code in [-201, -213, -230, -232, -240, -244, -999] {
            assert!(!outcome(code, "x".into()).err().unwrap().retryable, "{code}");
        }
    }
}
