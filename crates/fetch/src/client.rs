//! The HTTP client: timeouts, User-Agent, conditional GET, a body cap.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};

use crate::{Error, Result};

/// How the client behaves. Built by the application from its configuration.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// The `User-Agent` header, which should carry a contact address.
    pub user_agent: String,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included.
    pub timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: usize,
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
            timeout: Duration::from_secs(30),
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

/// The validators of the previous response, sent back to get a 304 when nothing changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The previous `ETag`.
    pub etag: Option<String>,
    /// The previous `Last-Modified`.
    pub last_modified: Option<String>,
}

/// What a conditional GET returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// 304: the resource is unchanged since the validators were issued.
    NotModified,
    /// A new body, with the validators to send next time.
    Body {
        /// The (decompressed) body.
        bytes: Vec<u8>,
        /// The final URL after redirects.
        url: String,
        /// New validators.
        validators: Validators,
    },
}

/// A configured HTTP client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    max_body_bytes: usize,
}

impl Client {
    /// Builds a client.
    pub fn new(config: &FetchConfig) -> Result<Client> {
        let http = reqwest::Client::builder()
            .user_agent(&config.user_agent)
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| Error::Client(e.to_string()))?;
        Ok(Client { http, max_body_bytes: config.max_body_bytes })
    }

    /// GETs `url`, conditionally when validators are given.
    pub async fn get(&self, url: &str, validators: &Validators) -> Result<Fetched> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::Url { url: url.to_owned(), message: e.to_string() })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Url {
                url: url.to_owned(),
                message: "expected http or https".to_owned(),
            });
        }
        let mut request = self.http.get(parsed);
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, lm);
        }
        let network =
            |e: reqwest::Error| Error::Network { url: url.to_owned(), message: error_chain(&e) };
        let mut response = request.send().await.map_err(network)?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            let retry_after_secs = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            return Err(Error::Status {
                url: url.to_owned(),
                status: status.as_u16(),
                retry_after_secs,
            });
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let validators = Validators { etag: header(ETAG), last_modified: header(LAST_MODIFIED) };
        let final_url = response.url().to_string();
        if response.content_length().is_some_and(|n| n > self.max_body_bytes as u64) {
            return Err(Error::TooLarge { url: url.to_owned(), limit: self.max_body_bytes });
        }
        // Read chunk by chunk so a lying Content-Length, an endless body or a compression
        // bomb stops at the cap instead of filling memory.
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if bytes.len() + chunk.len() > self.max_body_bytes {
                return Err(Error::TooLarge { url: url.to_owned(), limit: self.max_body_bytes });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body { bytes, url: final_url, validators })
    }
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
