//! The search error type.

use std::time::Duration;

/// Everything that can go wrong in the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The query does not parse, or is over a limit.
    #[error("invalid query: {0}")]
    Query(#[from] query::ParseError),
    /// The page asked for is out of range.
    #[error("{0}")]
    Page(String),
    /// The search ran out of its time budget.
    #[error(
        "the query is too expensive: it did not finish within {} ms; narrow it (fewer NEAR, \
         rarer words, a field scope) or add a date filter",
        allowed.as_millis()
    )]
    TooExpensive {
        /// The budget it had.
        allowed: Duration,
    },
    /// Checking the candidates exactly needs more work than one search may spend.
    #[error(
        "the query is too expensive: checking its matches needs more work than one search may \
         spend; narrow it (fewer NEAR, rarer words, a field scope)"
    )]
    TooCostly,
    /// The caller stopped waiting (the client went away).
    #[error("the search was cancelled")]
    Cancelled,
    /// Another process holds the index for writing.
    #[error("the index at {path} is in use by another langnghe process (stop it first)")]
    Busy {
        /// The directory.
        path: String,
    },
    /// The index cannot be read: files are missing or damaged.
    #[error(
        "the search index at {path} is damaged ({message}); rebuild it from the database with \
         `langnghe reindex` (the database is not affected)"
    )]
    Damaged {
        /// The directory.
        path: String,
        /// What tantivy found.
        message: String,
    },
    /// The index directory cannot be used.
    #[error("cannot open the index at {path}: {message}")]
    Open {
        /// The directory.
        path: String,
        /// Why.
        message: String,
    },
    /// tantivy failed.
    #[error("index error: {0}")]
    Index(String),
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Index(e.to_string())
    }
}

/// Result with the search [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
