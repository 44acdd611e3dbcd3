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
        /// `Retry-After` in seconds, when the server sent one.
        retry_after_secs: Option<u64>,
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

/// Result with the fetch [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
