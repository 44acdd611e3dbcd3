//! The feeds error type.

/// What can make a document unreadable.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not a feed at all, even after repair: no RSS, Atom, RDF or JSON Feed root.
    #[error("{url} is not a feed: {message}")]
    NotAFeed {
        /// Where it came from.
        url: String,
        /// What the strict parser said.
        message: String,
    },
    /// Not a sitemap (`urlset` or `sitemapindex`).
    #[error("{url} is not a sitemap: {message}")]
    NotASitemap {
        /// Where it came from.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// An OPML document that cannot be read.
    #[error("cannot read the OPML document: {message} at byte {position}")]
    Opml {
        /// What is wrong.
        message: String,
        /// Byte offset in the decoded text.
        position: u64,
    },
}

/// Result with the feeds [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
