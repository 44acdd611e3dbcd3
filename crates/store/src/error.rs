//! The store's error type; sqlx errors are translated here and go no further.

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database URL or options are unusable.
    #[error("{0}")]
    Config(String),
    /// The database could not be reached.
    #[error("cannot connect to the database {url}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(String),
    /// The row asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A unique value is already taken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// Somebody changed the row meanwhile; reading it again and retrying is safe.
    #[error("{0}")]
    Stale(String),
    /// The workflow does not allow the action (who may do what, from which state).
    #[error("{0}")]
    Refused(String),
    /// A stored value could not be read back (an unknown enum name, bad JSON…).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Error::NotFound("row".to_owned()),
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                Error::Conflict(db.message().to_owned())
            }
            e => Error::Database(e),
        }
    }
}

/// Result with the store's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
