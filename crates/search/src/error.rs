//! The search error type.

/// Everything that can go wrong in the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The query does not parse.
    #[error("invalid query: {0}")]
    Query(#[from] query::ParseError),
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
