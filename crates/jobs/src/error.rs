//! The crate's one error type.

/// What can stop a job's run: the store failing, a detector that cannot be built, or a
/// digest that cannot be composed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] store::Error),
    /// The configured spike method has invalid parameters.
    #[error("spike method: {0}")]
    Method(#[from] signals::Error),
    /// The day's digest could not be composed.
    #[error("digest: {0}")]
    Digest(String),
}

/// A job's result.
pub type Result<T> = std::result::Result<T, Error>;
