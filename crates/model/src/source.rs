//! Sources: the feeds and files Lắng Nghe polls, and their fetch state.

use crate::{Timestamp, string_enum};

string_enum!(
    /// How a source is read.
    SourceKind, "source kind", {
        /// An RSS (0.9x, 1.0, 2.0), Atom or JSON feed fetched over HTTP(S).
        Feed => "feed",
        /// A section page of a site without feeds: its article links are followed.
        HtmlListing => "html-listing",
        /// A sitemap or Google News sitemap (or a sitemap index).
        Sitemap => "sitemap",
        /// A query feed, such as Google News search RSS or a YouTube channel feed.
        SearchFeed => "search-feed",
        /// One article page, re-read for its updates (an official statement, say).
        Page => "page",
        /// Files on the local disk: feeds, or social posts as JSON Lines or CSV.
        Import => "import",
    }
);

string_enum!(
    /// Where a source was declared, which decides who may disable it: sources from the
    /// configuration file are synchronised with it, the others are managed by hand.
    SourceOrigin, "source origin", {
        /// `[[sources]]` in the configuration file.
        Config => "config",
        /// `langnghe sources add`.
        Cli => "cli",
        /// `langnghe sources import` of an OPML file.
        Opml => "opml",
        /// `langnghe ingest` of a URL or file, once.
        Ingest => "ingest",
    }
);

string_enum!(
    /// Whether the article page behind a feed item is fetched for its full text.
    ArticleFetch, "article fetching", {
        /// When the item carries only a title or a short summary.
        Auto => "auto",
        /// For every new item.
        Always => "always",
        /// Never: the feed's text is all there is.
        Never => "never",
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
    /// The interval the scheduler chose last, from the source's publication rate and the
    /// server's hints; `None` until it has chosen one.
    pub poll_interval_secs: Option<i64>,
    /// Polls since the source was created.
    pub polls: i64,
    /// Of which answered 304 Not Modified.
    pub not_modified: i64,
}

/// A source as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Store identifier.
    pub id: i64,
    /// Human name, such as "VnExpress Sức khỏe".
    pub name: String,
    /// Feed, page or sitemap URL, or a path for [`SourceKind::Import`].
    pub url: String,
    /// How the source is read.
    pub kind: SourceKind,
    /// Credibility tier.
    pub tier: SourceTier,
    /// Base polling interval in seconds; the scheduler adapts around it.
    pub interval_secs: i64,
    /// Whether the source may reach loopback and private addresses (tests and the demo).
    pub allow_private: bool,
    /// Disabled sources are never polled.
    pub enabled: bool,
    /// Where it was declared.
    pub origin: SourceOrigin,
    /// Whether article pages are fetched for the full text.
    pub fetch_articles: ArticleFetch,
    /// A grouping label (an OPML folder, a province …).
    pub category: Option<String>,
    /// The code of the province the source is about when its text does not say (a Sở Y
    /// tế portal's): the main province of its documents that name none.
    pub home_province: Option<String>,
    /// Fetch state.
    pub state: FetchState,
}
