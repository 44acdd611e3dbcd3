//! The pipeline error type: failures of the store or the index. Fetch failures are not
//! errors here; they are recorded on the source.

/// What stops a pipeline operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] search::Error),
    /// A local file or feed could not be read or parsed.
    #[error(transparent)]
    Fetch(#[from] fetch::Error),
    /// Processing a batch stopped unexpectedly (a panic on the processing thread); nothing
    /// of the batch was stored.
    #[error("processing a batch failed: {0}")]
    Processing(String),
    /// A posts file has problems; nothing of it was imported.
    #[error("nothing imported: the file has {} problem(s):\n  {}", problems.len(), problems.join("\n  "))]
    Posts {
        /// Each as `file:line: field: message`.
        problems: Vec<String>,
    },
}

/// Result with the pipeline [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
