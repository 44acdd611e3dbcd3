//! Sources: the feeds and files Lắng Nghe polls, and their fetch state.

use crate::{Timestamp, string_enum};

string_enum!(
    /// How a source is read.
    SourceKind, "source kind", {
        /// An RSS, Atom or JSON feed fetched over HTTP(S).
        Feed => "feed",
        /// A feed file on the local disk.
        File => "file",
    }
);

string_enum!(
    /// How much a source is trusted; used in alert scoring and the digest.
    SourceTier, "source tier", {
        /// Government and health-authority portals.
        Official => "official",
        /// Licensed press.
        Press => "press",
        /// News aggregators.
        Aggregator => "aggregator",
        /// Social pages, groups and imported posts.
        Social => "social",
    }
);

/// The conditional-GET and back-off state of a source, updated after every poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchState {
    /// The `ETag` the server sent last time.
    pub etag: Option<String>,
    /// The `Last-Modified` the server sent last time.
    pub last_modified: Option<String>,
    /// Consecutive failed polls; reset to zero by a success.
    pub error_count: i64,
    /// The last error, kept for the administrator.
    pub last_error: Option<String>,
    /// When the source was last polled.
    pub last_fetched_at: Option<Timestamp>,
    /// When the source is next due.
    pub next_poll_at: Option<Timestamp>,
}

/// A source as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Store identifier.
    pub id: i64,
    /// Human name, such as "VnExpress Sức khỏe".
    pub name: String,
    /// Feed URL, or a path for [`SourceKind::File`].
    pub url: String,
    /// How the source is read.
    pub kind: SourceKind,
    /// Credibility tier.
    pub tier: SourceTier,
    /// Polling interval in seconds.
    pub interval_secs: i64,
    /// Whether the source may reach loopback and private addresses (tests and the demo).
    pub allow_private: bool,
    /// Disabled sources are never polled.
    pub enabled: bool,
    /// Fetch state.
    pub state: FetchState,
}
