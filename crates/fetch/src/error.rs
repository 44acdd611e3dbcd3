//! The fetch error type.

/// Everything that can go wrong while fetching a source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client could not be built from the configuration.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The URL is not an absolute http(s) URL.
    #[error("invalid URL {url:?}: {message}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        message: String,
    },
    /// Connecting, sending or reading failed (including timeouts).
    #[error("request to {url} failed: {message}")]
    Network {
        /// The URL.
        url: String,
        /// The underlying error, as text.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// `Retry-After`, when the server sent one (seconds or a date).
        retry_after: Option<std::time::Duration>,
    },
    /// The URL, or a redirect, leads to an address the source may not reach: loopback or a
    /// private network when the source is not allowed private addresses, and link-local or
    /// cloud metadata addresses whatever it is allowed.
    #[error("refusing {url}: {reason}; {}", hint(*.allowable))]
    Refused {
        /// The URL.
        url: String,
        /// Which address, and why it is refused.
        reason: String,
        /// Whether allowing private addresses for the source would admit the address.
        allowable: bool,
    },
    /// The site's robots.txt disallows the URL for our user agent.
    #[error("{url} is disallowed by the site's robots.txt")]
    Robots {
        /// The URL.
        url: String,
    },
    /// A redirect that is not followed: a loop, too many hops, another scheme.
    #[error("{url}: {message}")]
    Redirect {
        /// The URL first requested.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The body exceeded the configured cap (after decompression).
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// A local file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
}

/// What an administrator can do about a refused address.
fn hint(allowable: bool) -> &'static str {
    if allowable {
        "allow private addresses for this source if this is intended"
    } else {
        "no source may reach it, even one allowed private addresses"
    }
}

/// Result with the fetch [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
