//! Passwords, sessions, API tokens, CSRF, login throttling and who the client is.
//!
//! Passwords are hashed with argon2id. Session and API tokens are 256 random bits; the
//! store only keeps their SHA-256, so a copy of the database logs nobody in.
//!
//! Login throttling counts against two things, differently. A client address (an IPv4
//! address or an IPv6 /64) gets a fixed number of failed attempts per window and then 429:
//! that is what stops guessing. An account only gets slower: each recent failure, from
//! anywhere, adds to a delay capped at a few seconds, so a stranger can slow the owner down
//! but never lock them out. The client address is the TCP peer; forwarding headers count
//! only when the peer is a configured reverse proxy, because anybody can write them.
//! Everything the limiter remembers is bounded: a fixed number of keys, each forgotten when
//! its window ends, the oldest first when full.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use model::{Role, Timestamp, User};
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::Store;

use crate::{AppState, DashboardConfig};

/// Name of the session cookie.
pub(crate) const SESSION_COOKIE: &str = "ln_session";
/// Name of the cookie carrying the login form's CSRF token.
pub(crate) const LOGIN_CSRF_COOKIE: &str = "ln_login_csrf";

/// Length of every token [`new_token`] makes (32 bytes in unpadded base64).
pub(crate) const TOKEN_LEN: usize = 43;
/// Longest user name a login may carry; longer ones fail without being looked up or kept.
pub(crate) const MAX_NAME_BYTES: usize = 64;
/// Longest password a login may carry; argon2 would hash megabytes just as patiently.
pub(crate) const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest place to return to after login.
pub(crate) const MAX_NEXT_BYTES: usize = 2048;
/// Largest login form body: every field at its limit, percent-encoded, with room to spare.
pub(crate) const LOGIN_BODY_LIMIT: usize = 16 * 1024;
/// Failures on one account before its logins are slowed down (a few typos cost nothing).
const FREE_ACCOUNT_FAILURES: u32 = 3;
/// The first delay; each further failure doubles it, up to the configured maximum.
const FIRST_ACCOUNT_DELAY: Duration = Duration::from_millis(250);
/// Forwarding hops read at most; a longer chain is cut there.
const MAX_FORWARDED_HOPS: usize = 20;
/// Password checks running at once. Each argon2 check takes about 19 MiB and a core for a
/// while; unbounded, a burst of logins from many addresses would exhaust memory.
const CONCURRENT_PASSWORD_CHECKS: usize = 4;

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

/// A user name as a login may carry it: not empty, at most [`MAX_NAME_BYTES`], no control
/// character. Anything else cannot be an account (the command line refuses to create one),
/// so it is refused before the store sees it.
pub(crate) fn valid_login_name(name: &str) -> Option<&str> {
    (!name.is_empty() && name.len() <= MAX_NAME_BYTES && !name.chars().any(char::is_control))
        .then_some(name)
}

/// An address or a block of addresses, written `10.0.0.1`, `10.0.0.0/8` or `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

/// A trusted-proxy entry that is not an address or a network.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an IP address or network such as 10.0.0.1, 10.0.0.0/8 or fd00::/8")]
pub struct InvalidNet(String);

impl FromStr for IpNet {
    type Err = InvalidNet;

    fn from_str(s: &str) -> Result<IpNet, InvalidNet> {
        let invalid = || InvalidNet(s.to_owned());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr = addr.parse::<IpAddr>().map_err(|_| invalid())?;
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= bits).ok_or_else(invalid)?,
        };
        Ok(IpNet { addr: masked(addr, prefix), prefix })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl IpNet {
    /// Whether `ip` is in the network. An IPv4 address written as IPv6 (`::ffff:a.b.c.d`,
    /// as dual-stack sockets report it) counts as the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.addr.is_ipv4() && masked(ip, self.prefix) == self.addr
    }
}

/// `ip` with every bit after the first `prefix` cleared.
fn masked(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed. Empty (the default) believes
/// nobody: the client is the TCP peer.
///
/// Only `X-Forwarded-For` is read, not `Forwarded`: a proxy that appends to one passes the
/// other through as the client wrote it, so reading both would let a client pick.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Trusts the proxies in `nets`.
    pub fn new(nets: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(nets)
    }

    /// Parses entries such as `127.0.0.1` or `10.0.0.0/8`.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, InvalidNet> {
        entries.iter().map(|s| s.as_ref().parse()).collect::<Result<_, _>>().map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client's address for a request that came from `peer`: the peer itself, unless
    /// it is a trusted proxy; then the right-most `X-Forwarded-For` address that is not a
    /// trusted proxy. Proxies append the address they received from, so everything to the
    /// left of the first untrusted hop was written by the client and means nothing. An
    /// entry that is not an address ends the walk at the last hop read.
    pub fn client_addr(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .rev()
            .flat_map(|v| match v.to_str() {
                Ok(s) => s.rsplit(',').map(Some).collect::<Vec<_>>(),
                Err(_) => vec![None],
            })
            .take(MAX_FORWARDED_HOPS);
        for hop in hops {
            let Some(ip) = hop.and_then(parse_hop) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `2001:db8::1`, `1.2.3.4:5678` or `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
        .map(|ip| ip.to_canonical())
}

/// Whom failed logins are counted against: an IPv4 address, or the /64 network of an IPv6
/// address, because one subscriber is usually given a whole /64 and counting single
/// addresses would hand an attacker 2^64 fresh starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey(IpAddr);

impl ClientKey {
    pub(crate) fn of(ip: IpAddr) -> ClientKey {
        match ip.to_canonical() {
            v4 @ IpAddr::V4(_) => ClientKey(v4),
            v6 @ IpAddr::V6(_) => ClientKey(masked(v6, 64)),
        }
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// A map whose entries each live one window from their creation, with at most `capacity`
/// of them: when full, the entry created first is forgotten to make room. Entries are
/// ordered by creation, which is also the order they expire in, so both are cheap.
#[derive(Debug)]
struct Expiring<K, V> {
    window: Duration,
    capacity: usize,
    entries: HashMap<K, Slot<V>>,
    order: BTreeMap<(Instant, u64), K>,
    next_seq: u64,
}

#[derive(Debug)]
struct Slot<V> {
    value: V,
    start: Instant,
    seq: u64,
}

impl<K: Clone + Eq + Hash, V> Expiring<K, V> {
    fn new(window: Duration, capacity: usize) -> Self {
        Expiring {
            window,
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
        }
    }

    fn expire(&mut self, now: Instant) {
        while let Some((&(start, _), _)) = self.order.first_key_value() {
            if now.saturating_duration_since(start) < self.window {
                break;
            }
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) -> bool {
        match self.order.pop_first() {
            Some((_, key)) => {
                self.entries.remove(&key);
                true
            }
            None => false,
        }
    }

    fn get(&mut self, key: &K, now: Instant) -> Option<&mut V> {
        self.expire(now);
        self.entries.get_mut(key).map(|slot| &mut slot.value)
    }

    fn get_or_insert_with(&mut self, key: &K, now: Instant, value: impl FnOnce() -> V) -> &mut V {
        self.expire(now);
        if !self.entries.contains_key(key) {
            while self.entries.len() >= self.capacity && self.pop_oldest() {}
        }
        let (order, next_seq) = (&mut self.order, &mut self.next_seq);
        let slot = self.entries.entry(key.clone()).or_insert_with(|| {
            let seq = *next_seq;
            *next_seq += 1;
            order.insert((now, seq), key.clone());
            Slot { value: value(), start: now, seq }
        });
        &mut slot.value
    }

    fn remove(&mut self, key: &K) {
        if let Some(slot) = self.entries.remove(key) {
            self.order.remove(&(slot.start, slot.seq));
        }
    }

    /// How long the entry of `key` has left.
    fn remaining(&self, key: &K, now: Instant) -> Option<Duration> {
        let slot = self.entries.get(key)?;
        Some(self.window.saturating_sub(now.saturating_duration_since(slot.start)))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// What the limiter says about a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// The client has failed too often; try again after this.
    Throttled { retry_after: Duration },
    /// Go ahead after waiting this long (zero unless the account had recent failures).
    Admitted { delay: Duration },
}

/// What to write to the audit log for one more failure of an aggregated kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuditStep {
    /// The first in its window: append an entry.
    Insert,
    /// Rewrite entry `row` with the new count.
    Update { row: i64, count: u32 },
    /// The first is being written; it will carry this one's count.
    Pending,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AuditKey {
    client: ClientKey,
    action: &'static str,
    target: String,
}

#[derive(Debug, Default)]
struct AuditCount {
    count: u32,
    row: Option<i64>,
}

#[derive(Debug)]
struct Tables {
    /// Attempts per client in the current window (successes are given back).
    clients: Expiring<ClientKey, u32>,
    /// Failures per account name since its last successful login, within a window.
    accounts: Expiring<String, u32>,
}

/// Login throttling per client and per account, and the aggregation of failed-login
/// audit entries.
#[derive(Debug)]
pub struct LoginLimiter {
    per_client: u32,
    delay_max: Duration,
    tables: Mutex<Tables>,
    audit: Mutex<Expiring<AuditKey, AuditCount>>,
    password_checks: tokio::sync::Semaphore,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LoginLimiter {
    pub(crate) fn new(config: &DashboardConfig) -> LoginLimiter {
        let (window, keys) = (config.login_window, config.login_tracked_keys);
        LoginLimiter {
            per_client: config.login_attempts.max(1),
            delay_max: config.login_delay_max,
            tables: Mutex::new(Tables {
                clients: Expiring::new(window, keys),
                accounts: Expiring::new(window, keys),
            }),
            audit: Mutex::new(Expiring::new(window, keys)),
            password_checks: tokio::sync::Semaphore::new(CONCURRENT_PASSWORD_CHECKS),
        }
    }

    /// Decides on an attempt by `client` on `account` (`None` when the name cannot be an
    /// account). An admitted attempt is counted at once, before the password is checked, so
    /// a burst of parallel requests cannot all slip in under the limit; a successful login
    /// gives it back ([`LoginLimiter::succeeded`]).
    pub(crate) fn admit(
        &self,
        client: ClientKey,
        account: Option<&str>,
        now: Instant,
    ) -> Admission {
        let mut t = locked(&self.tables);
        let attempts = t.clients.get(&client, now).map_or(0, |n| *n);
        if attempts >= self.per_client {
            let retry_after = t.clients.remaining(&client, now).unwrap_or_default();
            return Admission::Throttled { retry_after };
        }
        *t.clients.get_or_insert_with(&client, now, || 0) += 1;
        let Some(account) = account else {
            return Admission::Admitted { delay: Duration::ZERO };
        };
        let key = account.to_owned();
        let failures = t.accounts.get(&key, now).map_or(0, |n| *n);
        *t.accounts.get_or_insert_with(&key, now, || 0) += 1;
        Admission::Admitted { delay: self.account_delay(failures) }
    }

    /// The wait before checking a password for an account with `failures` recent ones:
    /// nothing for the first few, then doubling up to the maximum. It slows guessing at one
    /// account from many addresses without ever refusing its owner.
    fn account_delay(&self, failures: u32) -> Duration {
        let Some(over) = failures.checked_sub(FREE_ACCOUNT_FAILURES) else {
            return Duration::ZERO;
        };
        FIRST_ACCOUNT_DELAY.saturating_mul(1u32 << over.min(16)).min(self.delay_max)
    }

    /// A successful login: the client's attempt is given back and the account's failures
    /// are forgotten (its owner has just proved who they are).
    pub(crate) fn succeeded(&self, client: ClientKey, account: &str, now: Instant) {
        let mut t = locked(&self.tables);
        if let Some(n) = t.clients.get(&client, now) {
            *n = n.saturating_sub(1);
        }
        t.accounts.remove(&account.to_owned());
    }

    /// Checks a password off the async threads, a few at a time.
    pub(crate) async fn check_password(&self, password: String, hash: String) -> bool {
        let Ok(_permit) = self.password_checks.acquire().await else { return false };
        tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .unwrap_or(false)
    }

    fn audit_step(&self, key: &AuditKey, now: Instant) -> AuditStep {
        let mut audit = locked(&self.audit);
        let entry = audit.get_or_insert_with(key, now, AuditCount::default);
        entry.count = entry.count.saturating_add(1);
        match (entry.count, entry.row) {
            (1, _) => AuditStep::Insert,
            (count, Some(row)) => AuditStep::Update { row, count },
            (_, None) => AuditStep::Pending,
        }
    }

    /// Records the row written for `key`; returns the count it should show when more
    /// failures arrived while it was being written.
    fn audit_written(&self, key: &AuditKey, row: i64, now: Instant) -> Option<u32> {
        let mut audit = locked(&self.audit);
        let entry = audit.get(key, now)?;
        entry.row = Some(row);
        (entry.count > 1).then_some(entry.count)
    }

    /// Writes one more failure of kind `action` on `target` by `client` to the audit log:
    /// one entry per client, action and target per window, its detail counting them. An
    /// audit that cannot be written is logged, not fatal: refusing logins because the log
    /// is down would only help an attacker.
    pub(crate) async fn audit_failure(
        &self,
        store: &Store,
        client: ClientKey,
        action: &'static str,
        target: &str,
        at: Timestamp,
    ) {
        let key = AuditKey { client, action, target: target.to_owned() };
        let detail = |count: u32| format!("client={client} count={count}");
        let result = match self.audit_step(&key, Instant::now()) {
            AuditStep::Insert => match store.audit(None, action, target, &detail(1), at).await {
                Ok(row) => match self.audit_written(&key, row, Instant::now()) {
                    Some(count) => store.update_audit_detail(row, &detail(count)).await,
                    None => Ok(()),
                },
                Err(e) => Err(e),
            },
            AuditStep::Update { row, count } => {
                store.update_audit_detail(row, &detail(count)).await
            }
            AuditStep::Pending => Ok(()),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, action, client = %client, "Cannot write the audit log.");
        }
    }
}

/// Every response not meant for caches says so: pages and API answers carry what the user
/// may see, and a shared cache or the browser's history must not keep them. A handler that
/// set its own `Cache-Control` (the public stylesheet) keeps it, except under `/api/`.
pub(crate) async fn no_store(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if api || !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
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
        // A place too long to return to is dropped here rather than carried around.
        let next = if self.0.len() > MAX_NEXT_BYTES { "/" } else { self.0.as_str() };
        let next: String = next
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
pub(crate) struct ApiUser(pub(crate) User);

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
        // Not one of ours: no need to hash and look up whatever was sent.
        if token.len() != TOKEN_LEN {
            return Err(unauthorized("invalid bearer token"));
        }
        match state.store.user_by_api_token(&token_hash(token), Utc::now()).await {
            Ok(Some(user)) => Ok(ApiUser(user)),
            Ok(None) => Err(unauthorized("invalid bearer token")),
            Err(e) => Err(crate::error::AppError::from(e).into_response()),
        }
    }
}

/// Whether `role` includes `needed`: an admin may do what an officer may, an officer what a
/// viewer may.
pub(crate) fn role_allows(role: Role, needed: Role) -> bool {
    let rank = |r: Role| match r {
        Role::Viewer => 0,
        Role::Officer => 1,
        Role::Admin => 2,
    };
    rank(role) >= rank(needed)
}

/// A page request by an officer or an admin: acting on alerts.
#[derive(Debug, Clone)]
pub(crate) struct Officer(pub(crate) CurrentUser);

/// A page request by an admin: administering users, tokens, sources and rules.
#[derive(Debug, Clone)]
pub(crate) struct Admin(pub(crate) CurrentUser);

async fn page_user_with(
    parts: &mut Parts,
    state: &AppState,
    needed: Role,
) -> Result<CurrentUser, Response> {
    let user = CurrentUser::from_request_parts(parts, state).await?;
    if role_allows(user.user.role, needed) {
        Ok(user)
    } else {
        Err(crate::error::AppError::NotPermitted.into_response())
    }
}

impl FromRequestParts<AppState> for Officer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        page_user_with(parts, state, Role::Officer).await.map(Officer)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        page_user_with(parts, state, Role::Admin).await.map(Admin)
    }
}

/// An API request by an officer or an admin.
#[derive(Debug, Clone)]
pub(crate) struct ApiOfficer(pub(crate) User);

/// An API request by an admin.
#[derive(Debug, Clone)]
pub(crate) struct ApiAdmin(pub(crate) User);

async fn api_user_with(
    parts: &mut Parts,
    state: &AppState,
    needed: Role,
) -> Result<User, Response> {
    let ApiUser(user) = ApiUser::from_request_parts(parts, state).await?;
    if role_allows(user.role, needed) {
        Ok(user)
    } else {
        Err((
            StatusCode::FORBIDDEN,
            axum::Json(serde_json::json!({
                "error": format!("this needs the {} role; the token's user is {}", needed.as_str(), user.role.as_str())
            })),
        )
            .into_response())
    }
}

impl FromRequestParts<AppState> for ApiOfficer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        api_user_with(parts, state, Role::Officer).await.map(ApiOfficer)
    }
}

impl FromRequestParts<AppState> for ApiAdmin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        api_user_with(parts, state, Role::Admin).await.map(ApiAdmin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(attempts: u32, keys: usize) -> DashboardConfig {
        DashboardConfig {
            login_attempts: attempts,
            login_window: Duration::from_secs(60),
            login_delay_max: Duration::from_secs(2),
            login_tracked_keys: keys,
            ..DashboardConfig::default()
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn admitted(a: Admission) -> bool {
        matches!(a, Admission::Admitted { .. })
    }

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
        assert_eq!(a.len(), TOKEN_LEN);
        assert_eq!(token_hash(&a).len(), 64);
        assert!(same_secret(&a, &a.clone()) && !same_secret(&a, &b));
    }

    #[test]
    fn cookies_parse() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; ln_session=tok; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie(&h, "zz"), None);
    }

    #[test]
    fn login_names_are_bounded() {
        assert_eq!(valid_login_name("lan"), Some("lan"));
        assert_eq!(valid_login_name(&"a".repeat(64)).map(str::len), Some(64));
        assert_eq!(valid_login_name(&"a".repeat(65)), None);
        assert_eq!(valid_login_name(&"ầ".repeat(30)), None, "bytes count, not letters");
        assert_eq!(valid_login_name(""), None);
        assert_eq!(valid_login_name("lan\0"), None);
        assert_eq!(valid_login_name("lan\r\nX-Evil: 1"), None);
    }

    #[test]
    fn networks_parse_and_contain() {
        let net: IpNet = "10.1.2.3/8".parse().unwrap();
        assert_eq!(net.to_string(), "10.0.0.0/8");
        assert!(net.contains(ip("10.255.0.1")) && !net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.0.0.9")), "an IPv4-mapped peer is the IPv4 address");
        let one: IpNet = " 192.0.2.7 ".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: IpNet = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.1")) && !all.contains(ip("::1")));
        for bad in
            ["", "10.0.0.0/33", "::/129", "10.0.0/8", "localhost", "10.0.0.1/x", "1.2.3.4:80"]
        {
            let e = bad.parse::<IpNet>().unwrap_err().to_string();
            assert!(e.contains("is not an IP address"), "{bad}: {e}");
        }
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        let h = xff(&["1.2.3.4"]);
        assert_eq!(none.client_addr(ip("203.0.113.5"), &h), ip("203.0.113.5"));
        assert_eq!(none.client_addr(ip("127.0.0.1"), &h), ip("127.0.0.1"));

        let proxies = TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8"]).unwrap();
        // An untrusted peer's header is ignored, whatever it says.
        assert_eq!(proxies.client_addr(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        // A trusted proxy's: the right-most address that is not a proxy.
        assert_eq!(proxies.client_addr(ip("127.0.0.1"), &h), ip("1.2.3.4"));
        let chain = xff(&["6.6.6.6, 1.2.3.4, 10.0.0.7"]);
        assert_eq!(proxies.client_addr(ip("127.0.0.1"), &chain), ip("1.2.3.4"));
        // The same chain split over several header lines.
        let split = xff(&["6.6.6.6", "1.2.3.4, 10.0.0.7"]);
        assert_eq!(proxies.client_addr(ip("127.0.0.1"), &split), ip("1.2.3.4"));
        // No header: the proxy itself.
        assert_eq!(proxies.client_addr(ip("10.0.0.7"), &HeaderMap::new()), ip("10.0.0.7"));
        // Every hop a proxy: the left-most one.
        let inner = xff(&["10.9.9.9, 10.0.0.7"]);
        assert_eq!(proxies.client_addr(ip("127.0.0.1"), &inner), ip("10.9.9.9"));
        // Garbage stops the walk at the last address read.
        let junk = xff(&["1.2.3.4, unknown, 10.0.0.7"]);
        assert_eq!(proxies.client_addr(ip("127.0.0.1"), &junk), ip("10.0.0.7"));
        // Ports and brackets, as some proxies write them.
        let ports = xff(&["[2001:db8::1]:443"]);
        assert_eq!(proxies.client_addr(ip("127.0.0.1"), &ports), ip("2001:db8::1"));
        let port4 = xff(&["1.2.3.4:5678"]);
        assert_eq!(proxies.client_addr(ip("127.0.0.1"), &port4), ip("1.2.3.4"));
        // A dual-stack socket reports IPv4 peers as mapped IPv6.
        assert_eq!(proxies.client_addr(ip("::ffff:127.0.0.1"), &h), ip("1.2.3.4"));
        // A chain longer than the hops read ends at the last one read, a proxy.
        let long = vec!["10.0.0.1"; 50].join(",");
        let long = xff(&[&format!("1.2.3.4,{long}")]);
        assert!(proxies.trusts(proxies.client_addr(ip("127.0.0.1"), &long)));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a = ClientKey::of(ip("2001:db8:1:2:aaaa::1"));
        assert_eq!(a, ClientKey::of(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(a, ClientKey::of(ip("2001:db8:1:3::1")));
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_eq!(ClientKey::of(ip("::ffff:1.2.3.4")), ClientKey::of(ip("1.2.3.4")));
        assert_eq!(ClientKey::of(ip("1.2.3.4")).to_string(), "1.2.3.4");
    }

    #[test]
    fn a_spoofed_forwarding_header_does_not_reset_the_count() {
        let l = LoginLimiter::new(&config(5, 100));
        let proxies = TrustedProxies::default();
        let t = Instant::now();
        let peer = ip("198.51.100.1");
        let verdicts: Vec<bool> = (0..8)
            .map(|i| {
                let client = proxies.client_addr(peer, &xff(&[&format!("9.9.9.{i}")]));
                admitted(l.admit(ClientKey::of(client), Some("lan"), t))
            })
            .collect();
        assert_eq!(verdicts, [true, true, true, true, true, false, false, false]);
        match l.admit(ClientKey::of(peer), None, t + Duration::from_secs(10)) {
            Admission::Throttled { retry_after } => {
                assert_eq!(retry_after, Duration::from_secs(50))
            }
            a => panic!("{a:?}"),
        }
        // The window ends and the client may try again.
        assert!(admitted(l.admit(ClientKey::of(peer), None, t + Duration::from_secs(60))));
    }

    #[test]
    fn a_trusted_proxy_chain_is_counted_per_client() {
        let l = LoginLimiter::new(&config(2, 100));
        let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        let t = Instant::now();
        let via = |chain: &str| ClientKey::of(proxies.client_addr(ip("10.0.0.2"), &xff(&[chain])));
        assert!(admitted(l.admit(via("7.7.7.7, 1.1.1.1"), None, t)));
        assert!(admitted(l.admit(via("8.8.8.8, 1.1.1.1, 10.0.0.3"), None, t)));
        assert!(!admitted(l.admit(via("1.1.1.1"), None, t)), "one client behind the proxy");
        assert!(admitted(l.admit(via("2.2.2.2"), None, t)), "another client is not held back");
    }

    #[test]
    fn a_stranger_only_slows_an_account_down() {
        let l = LoginLimiter::new(&config(5, 1000));
        let t = Instant::now();
        let mut delays = Vec::new();
        for i in 0..200u32 {
            let stranger = ClientKey::of(IpAddr::from([203, 0, (i / 250) as u8, (i % 250) as u8]));
            match l.admit(stranger, Some("lan"), t) {
                Admission::Admitted { delay } => delays.push(delay),
                a => panic!("{a:?}"),
            }
        }
        assert_eq!(
            delays[..4],
            [Duration::ZERO, Duration::ZERO, Duration::ZERO, FIRST_ACCOUNT_DELAY]
        );
        assert!(delays.windows(2).all(|w| w[0] <= w[1]), "the delay grows");
        assert_eq!(delays.last(), Some(&Duration::from_secs(2)), "and stops at the cap");
        // The owner, from their own address, is admitted after at most the cap.
        let owner = ClientKey::of(ip("192.0.2.10"));
        assert_eq!(
            l.admit(owner, Some("lan"), t),
            Admission::Admitted { delay: Duration::from_secs(2) }
        );
        // Logging in clears the account's failures, and gives the owner's attempt back.
        l.succeeded(owner, "lan", t);
        assert_eq!(l.admit(owner, Some("lan"), t), Admission::Admitted { delay: Duration::ZERO });
        let mut t2 = locked(&l.tables);
        assert_eq!(t2.clients.get(&owner, t).copied(), Some(1));
    }

    #[test]
    fn the_limiter_forgets_the_oldest_when_full() {
        let l = LoginLimiter::new(&config(1, 100));
        let t = Instant::now();
        for i in 0..10_000u32 {
            let c = ClientKey::of(IpAddr::from(i.to_be_bytes()));
            l.admit(c, Some(&format!("user{i}")), t + Duration::from_millis(u64::from(i)));
        }
        {
            let tables = locked(&l.tables);
            assert_eq!((tables.clients.len(), tables.accounts.len()), (100, 100));
            assert_eq!(tables.clients.order.len(), 100);
        }
        // The newest are still counted, the oldest forgotten.
        let newest = ClientKey::of(IpAddr::from(9_999u32.to_be_bytes()));
        assert!(!admitted(l.admit(newest, None, t + Duration::from_secs(10))));
        let oldest = ClientKey::of(IpAddr::from(0u32.to_be_bytes()));
        assert!(admitted(l.admit(oldest, None, t + Duration::from_secs(10))));
        // And everything expires with its window.
        l.admit(newest, None, t + Duration::from_secs(3600));
        let tables = locked(&l.tables);
        assert_eq!((tables.clients.len(), tables.clients.order.len()), (1, 1));
    }

    #[test]
    fn failed_logins_are_audited_once_per_client_and_window() {
        let l = LoginLimiter::new(&config(5, 2));
        let t = Instant::now();
        let a = AuditKey {
            client: ClientKey::of(ip("1.2.3.4")),
            action: "login_failed",
            target: "user:lan".into(),
        };
        assert_eq!(l.audit_step(&a, t), AuditStep::Insert);
        // Failures that arrive while the first entry is written are counted into it.
        assert_eq!(l.audit_step(&a, t), AuditStep::Pending);
        assert_eq!(l.audit_written(&a, 41, t), Some(2));
        assert_eq!(l.audit_step(&a, t), AuditStep::Update { row: 41, count: 3 });
        let b = AuditKey { target: "user:minh".into(), ..a.clone() };
        assert_eq!(l.audit_step(&b, t), AuditStep::Insert);
        assert_eq!(l.audit_written(&b, 42, t), None);
        // A new window starts a new entry.
        let later = t + Duration::from_secs(61);
        assert_eq!(l.audit_step(&a, later), AuditStep::Insert);
        // Bounded like the counters: a third key pushes out the oldest.
        let c = AuditKey { client: ClientKey::of(ip("5.6.7.8")), ..a.clone() };
        assert_eq!(l.audit_step(&c, later), AuditStep::Insert);
        assert_eq!(l.audit_step(&b, later), AuditStep::Insert);
        assert!(locked(&l.audit).len() <= 2);
    }
}
