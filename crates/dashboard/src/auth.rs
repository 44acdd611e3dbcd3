//! Passwords, sessions, API tokens, CSRF and login throttling.
//!
//! Passwords are hashed with argon2id. Session and API tokens are 256 random bits; the
//! store only keeps their SHA-256, so a copy of the database logs nobody in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use model::User;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;

/// Name of the session cookie.
pub(crate) const SESSION_COOKIE: &str = "ln_session";
/// Name of the cookie carrying the login form's CSRF token.
pub(crate) const LOGIN_CSRF_COOKIE: &str = "ln_login_csrf";

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A new random token (256 bits, URL-safe base64).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The hash under which a token is stored.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time string comparison for secrets.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads a cookie from the request headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, `Secure` when asked.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// Counts failed logins per key (account and address) and refuses after too many.
#[derive(Debug)]
pub struct LoginLimiter {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub(crate) fn new(max: u32, window: Duration) -> LoginLimiter {
        LoginLimiter { max, window, failures: Mutex::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether another attempt is allowed for `key`.
    pub(crate) fn allowed(&self, key: &str) -> bool {
        let mut map = self.lock();
        let window = self.window;
        map.retain(|_, (_, since)| since.elapsed() < window);
        map.get(key).is_none_or(|(n, _)| *n < self.max)
    }

    /// Records a failed attempt.
    pub(crate) fn failed(&self, key: &str) {
        let mut map = self.lock();
        let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
        entry.0 += 1;
    }

    /// Forgets the failures of `key` after a successful login.
    pub(crate) fn succeeded(&self, key: &str) {
        self.lock().remove(key);
    }
}

/// The logged-in user of a page request.
#[derive(Debug, Clone)]
pub(crate) struct CurrentUser {
    pub(crate) user: User,
    pub(crate) csrf: String,
    pub(crate) token_hash: String,
}

/// Sends the browser to the login page, then back.
pub(crate) struct ToLogin(String);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        let next: String = self
            .0
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ToLogin(next).into_response());
        };
        let hash = token_hash(&token);
        match state.store.session(&hash, Utc::now()).await {
            Ok(Some(s)) => Ok(CurrentUser { user: s.user, csrf: s.csrf_token, token_hash: hash }),
            Ok(None) => Err(ToLogin(next).into_response()),
            Err(e) => Err(crate::error::AppError::from(e).into_response()),
        }
    }
}

/// The user behind an API request's bearer token.
#[derive(Debug, Clone)]
pub(crate) struct ApiUser(#[allow(dead_code)] pub(crate) User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = |message: &str| {
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                axum::Json(serde_json::json!({ "error": message })),
            )
                .into_response()
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(unauthorized("missing bearer token"));
        };
        match state.store.user_by_api_token(&token_hash(token), Utc::now()).await {
            Ok(Some(user)) => Ok(ApiUser(user)),
            Ok(None) => Err(unauthorized("invalid bearer token")),
            Err(e) => Err(crate::error::AppError::from(e).into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("mật khẩu dài").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu dài", &h));
        assert!(!verify_password("mat khau dai", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert!(same_secret(&a, &a.clone()) && !same_secret(&a, &b));
    }

    #[test]
    fn limiter_blocks_after_max_failures() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        assert!(l.allowed("k"));
        l.failed("k");
        l.failed("k");
        assert!(!l.allowed("k"));
        assert!(l.allowed("other"));
        l.succeeded("k");
        assert!(l.allowed("k"));
    }

    #[test]
    fn cookies_parse() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; ln_session=tok; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie(&h, "zz"), None);
    }
}
