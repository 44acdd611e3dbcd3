//! The HTTP client: timeouts, User-Agent, conditional GET, a body cap that holds after
//! decompression, redirects with a limit and loop detection, the SSRF guard, robots.txt
//! and per-host politeness.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, EXPIRES, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED, RETRY_AFTER,
};
use tokio::time::Instant;

use crate::guard::{GuardedResolver, Refused, check_literal};
use crate::hosts::Hosts;
use crate::robots::Robots;
use crate::{Error, Result};

/// How the client behaves. Built by the application from its configuration.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// The `User-Agent` header, which should carry a contact address. Its first word
    /// (`langnghe`) is the product token robots.txt groups are matched against.
    pub user_agent: String,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Longest silence while reading a response (a stalled server).
    pub read_timeout: Duration,
    /// Time allowed for a whole request, body included (a server that trickles).
    pub timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: usize,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Requests at once to one host.
    pub per_host: usize,
    /// Pause between the end of one request to a host and the start of the next.
    pub host_delay: Duration,
    /// Whether robots.txt is honoured.
    pub respect_robots: bool,
    /// How long a site's robots.txt is trusted before it is fetched again.
    pub robots_ttl: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: concat!(
                "langnghe/",
                env!("CARGO_PKG_VERSION"),
                " (+https://langnghe.invalid)"
            )
            .to_owned(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(20),
            timeout: Duration::from_secs(30),
            max_body_bytes: 16 * 1024 * 1024,
            max_redirects: 5,
            per_host: 1,
            host_delay: Duration::from_secs(1),
            respect_robots: true,
            robots_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

/// Which addresses a request may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Public addresses only: the default for every source.
    Public,
    /// Also loopback and private networks, for sources an administrator explicitly
    /// allowed (tests, the demo, an intranet portal). Never link-local or cloud metadata
    /// addresses, on any redirect hop or through any name.
    Private,
}

/// The validators of the previous response, sent back to get a 304 when nothing changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The previous `ETag`.
    pub etag: Option<String>,
    /// The previous `Last-Modified`.
    pub last_modified: Option<String>,
}

/// A response with a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The (decompressed) body.
    pub bytes: Vec<u8>,
    /// The final URL after redirects.
    pub url: String,
    /// The `Content-Type` header, which may name the charset.
    pub content_type: Option<String>,
    /// New validators.
    pub validators: Validators,
    /// How long the server says the resource stays fresh (`Cache-Control: max-age`,
    /// `Expires`): a hint for the next poll.
    pub fresh_for: Option<Duration>,
}

/// What a conditional GET returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// 304: the resource is unchanged since the validators were issued.
    NotModified {
        /// Freshness hint, as for [`Response::fresh_for`].
        fresh_for: Option<Duration>,
    },
    /// A new body.
    Body(Response),
}

/// A redirect the client would not follow.
#[derive(Debug)]
struct RedirectRefused(String);

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedirectRefused {}

struct CachedRobots {
    robots: Robots,
    until: Instant,
}

/// A configured HTTP client. Cheap to clone; clones share the per-host state and the
/// robots.txt cache.
#[derive(Clone)]
pub struct Client {
    public: reqwest::Client,
    private: reqwest::Client,
    hosts: Hosts,
    robots: Arc<Mutex<HashMap<String, CachedRobots>>>,
    config: Arc<FetchConfig>,
    agent: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("config", &self.config).finish_non_exhaustive()
    }
}

fn build(config: &FetchConfig, access: Access) -> Result<reqwest::Client> {
    let max = config.max_redirects;
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        let url = attempt.url().clone();
        if attempt.previous().contains(&url) {
            return attempt.error(RedirectRefused(format!("redirect loop back to {url}")));
        }
        if attempt.previous().len() > max {
            return attempt.error(RedirectRefused(format!("more than {max} redirects")));
        }
        if !matches!(url.scheme(), "http" | "https") {
            return attempt.error(RedirectRefused(format!("redirect to a {} URL", url.scheme())));
        }
        // Every hop, for every source: an allowed source's intranet server must not be able
        // to send it on to the metadata service.
        if let Err(r) = check_literal(&url, access) {
            let reason = format!("redirect to {url}: {}", r.reason);
            return attempt.error(Refused { reason, ..r });
        }
        attempt.follow()
    });
    let builder = reqwest::Client::builder()
        .user_agent(&config.user_agent)
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .timeout(config.timeout)
        .redirect(policy)
        // A proxy would resolve names where the guard cannot see them.
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { access }));
    builder.build().map_err(|e| Error::Client(e.to_string()))
}

impl Client {
    /// Builds a client.
    pub fn new(config: &FetchConfig) -> Result<Client> {
        let agent = config
            .user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        Ok(Client {
            public: build(config, Access::Public)?,
            private: build(config, Access::Private)?,
            hosts: Hosts::new(config.per_host, config.host_delay),
            robots: Arc::default(),
            config: Arc::new(config.clone()),
            agent,
        })
    }

    /// GETs `url`, conditionally when validators are given.
    pub async fn get(&self, url: &str, validators: &Validators, access: Access) -> Result<Fetched> {
        let parsed = parse(url)?;
        check_literal(&parsed, access).map_err(|r| Error::Refused {
            url: url.to_owned(),
            reason: r.reason,
            allowable: r.allowable,
        })?;
        if self.config.respect_robots && parsed.path() != "/robots.txt" {
            let robots = self.robots_for(&parsed, access).await?;
            let path = match parsed.query() {
                Some(q) => format!("{}?{q}", parsed.path()),
                None => parsed.path().to_owned(),
            };
            if !robots.allows(&path) {
                return Err(Error::Robots { url: url.to_owned() });
            }
        }
        self.send(&parsed, validators, access, self.config.max_body_bytes).await
    }

    /// GETs a page unconditionally (an article behind a summary-only feed).
    pub async fn get_page(&self, url: &str, access: Access) -> Result<Response> {
        match self.get(url, &Validators::default(), access).await? {
            Fetched::Body(r) => Ok(r),
            Fetched::NotModified { .. } => {
                Err(Error::Status { url: url.to_owned(), status: 304, retry_after: None })
            }
        }
    }

    async fn send(
        &self,
        url: &url::Url,
        validators: &Validators,
        access: Access,
        max_body: usize,
    ) -> Result<Fetched> {
        let text = url.as_str();
        let http = match access {
            Access::Public => &self.public,
            Access::Private => &self.private,
        };
        let _turn = self.hosts.turn(url.host_str().unwrap_or_default()).await;
        let mut request = http.get(url.clone());
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, lm);
        }
        let mut response = request.send().await.map_err(|e| network(text, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified { fresh_for: fresh_for(&headers, Utc::now()) });
        }
        if !status.is_success() {
            return Err(Error::Status {
                url: text.to_owned(),
                status: status.as_u16(),
                retry_after: retry_after(&headers, Utc::now()),
            });
        }
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let final_url = response.url().to_string();
        if response.content_length().is_some_and(|n| n > max_body as u64) {
            return Err(Error::TooLarge { url: text.to_owned(), limit: max_body });
        }
        // Chunks arrive decompressed: a lying Content-Length, an endless body or a
        // compression bomb stops at the cap instead of filling memory.
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| network(text, &e))? {
            if bytes.len() + chunk.len() > max_body {
                return Err(Error::TooLarge { url: text.to_owned(), limit: max_body });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body(Response {
            bytes,
            url: final_url,
            content_type: header(CONTENT_TYPE),
            validators: Validators { etag: header(ETAG), last_modified: header(LAST_MODIFIED) },
            fresh_for: fresh_for(&headers, Utc::now()),
        }))
    }

    /// The robots.txt rules for `url`'s origin, from the cache or fetched now. Fails only
    /// when the guard refuses the host, which the request itself would be too.
    async fn robots_for(&self, url: &url::Url, access: Access) -> Result<Robots> {
        let origin = url.origin().ascii_serialization();
        let now = Instant::now();
        if let Some(hit) = self.cache().get(&origin).filter(|c| c.until > now) {
            return Ok(hit.robots.clone());
        }
        let Ok(robots_url) = url.join("/robots.txt") else { return Ok(Robots::allow_all()) };
        let fetched = self.send(&robots_url, &Validators::default(), access, 512 * 1024).await;
        if let Err(Error::Refused { reason, allowable, .. }) = fetched {
            return Err(Error::Refused { url: url.to_string(), reason, allowable });
        }
        let (robots, ttl) = match &fetched {
            Ok(Fetched::Body(r)) => {
                (Robots::parse(&String::from_utf8_lossy(&r.bytes), &self.agent), None)
            }
            // No robots.txt (or one we may not read): everything is allowed.
            Err(Error::Status { status, .. }) if (400..500).contains(status) && *status != 429 => {
                (Robots::allow_all(), None)
            }
            // Unreachable or rate-limited: RFC 9309 says assume everything is disallowed;
            // ask again soon.
            Ok(Fetched::NotModified { .. }) | Err(_) => {
                (Robots::disallow_all(), Some(Duration::from_secs(600)))
            }
        };
        if let Some(host) = url.host_str() {
            self.hosts.set_crawl_delay(host, robots.crawl_delay());
        }
        let ttl = ttl.unwrap_or(self.config.robots_ttl).min(self.config.robots_ttl);
        tracing::debug!(origin = %origin, allows_root = robots.allows("/"), "robots.txt read.");
        self.cache()
            .insert(origin, CachedRobots { robots: robots.clone(), until: Instant::now() + ttl });
        Ok(robots)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedRobots>> {
        self.robots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn parse(url: &str) -> Result<url::Url> {
    let parsed = url::Url::parse(url)
        .map_err(|e| Error::Url { url: url.to_owned(), message: e.to_string() })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Url {
            url: url.to_owned(),
            message: "expected http or https".to_owned(),
        });
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::Url { url: url.to_owned(), message: "no host".to_owned() });
    }
    Ok(parsed)
}

/// Maps a reqwest error to ours, recognising the guard's and the redirect policy's own.
fn network(url: &str, e: &reqwest::Error) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return Error::Refused {
                url: url.to_owned(),
                reason: r.reason.clone(),
                allowable: r.allowable,
            };
        }
        if let Some(r) = s.downcast_ref::<RedirectRefused>() {
            return Error::Redirect { url: url.to_owned(), message: r.0.clone() };
        }
        source = s.source();
    }
    let kind = if e.is_timeout() {
        "timed out: "
    } else if e.is_connect() {
        "cannot connect: "
    } else {
        ""
    };
    Error::Network { url: url.to_owned(), message: format!("{kind}{}", error_chain(e)) }
}

/// `Retry-After`, as seconds or an HTTP date, capped at a week.
pub(crate) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs = match value.parse::<u64>() {
        Ok(secs) => secs,
        Err(_) => {
            let at = DateTime::parse_from_rfc2822(value).ok()?.to_utc();
            u64::try_from((at - now).num_seconds()).unwrap_or(0)
        }
    };
    Some(Duration::from_secs(secs.min(7 * 24 * 3600)))
}

/// How long the response stays fresh according to `Cache-Control` or `Expires`.
pub(crate) fn fresh_for(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    if let Some(cc) = headers.get(CACHE_CONTROL).and_then(|v| v.to_str().ok()) {
        let directives: Vec<String> =
            cc.split(',').map(|d| d.trim().to_ascii_lowercase()).collect();
        if directives.iter().any(|d| d == "no-cache" || d == "no-store") {
            return None;
        }
        if let Some(secs) = directives
            .iter()
            .find_map(|d| d.strip_prefix("max-age=").and_then(|v| v.trim_matches('"').parse().ok()))
        {
            return Some(Duration::from_secs(secs));
        }
    }
    let expires = headers.get(EXPIRES)?.to_str().ok()?;
    let at = DateTime::parse_from_rfc2822(expires).ok()?.to_utc();
    u64::try_from((at - now).num_seconds()).ok().map(Duration::from_secs)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(reqwest::header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc2822("Wed, 14 Feb 2024 14:00:00 GMT").unwrap().to_utc();
        let h = |v| retry_after(&headers(&[(RETRY_AFTER, v)]), now);
        assert_eq!(h("120"), Some(Duration::from_secs(120)));
        assert_eq!(h("Wed, 14 Feb 2024 14:10:00 GMT"), Some(Duration::from_secs(600)));
        assert_eq!(h("Wed, 14 Feb 2024 13:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(h("99999999"), Some(Duration::from_secs(7 * 24 * 3600)));
        assert_eq!(h("soon"), None);
    }

    #[test]
    fn freshness_from_cache_control_or_expires() {
        let now = DateTime::parse_from_rfc2822("Wed, 14 Feb 2024 14:00:00 GMT").unwrap().to_utc();
        let f = |pairs: &[(reqwest::header::HeaderName, &str)]| fresh_for(&headers(pairs), now);
        assert_eq!(f(&[(CACHE_CONTROL, "public, max-age=300")]), Some(Duration::from_secs(300)));
        assert_eq!(
            f(&[(CACHE_CONTROL, "no-cache"), (EXPIRES, "Wed, 14 Feb 2024 15:00:00 GMT")]),
            None
        );
        assert_eq!(
            f(&[(EXPIRES, "Wed, 14 Feb 2024 15:00:00 GMT")]),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(f(&[(EXPIRES, "0")]), None);
        assert_eq!(f(&[]), None);
    }
}
