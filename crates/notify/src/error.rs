//! The two ways sending can fail: a configuration that cannot work ([`Error`], found at
//! start-up) and one delivery that did not happen ([`DeliveryError`], decided per message).

use std::fmt;
use std::path::PathBuf;

/// A problem with the configuration or with a message handed to [`crate::email::compose`].
///
/// Messages never contain a secret: they name the key or the environment variable, not its
/// value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value that cannot work, named by its key (`notify.smtp.host`…).
    #[error("{key}: {problem}")]
    Config {
        /// The configuration key, such as `notify.webhooks[0].url`.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A file named in the configuration could not be read.
    #[error("{key}: cannot read {}: {source}", path.display())]
    ReadFile {
        /// The configuration key that names the file.
        key: String,
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// An e-mail address that does not parse.
    #[error("not an e-mail address: {address:?} ({problem})")]
    Address {
        /// The text given.
        address: String,
        /// The parser's complaint.
        problem: String,
    },
    /// A message that could not be built.
    #[error("cannot build the message: {0}")]
    Message(String),
}

impl Error {
    pub(crate) fn config(key: impl Into<String>, problem: impl Into<String>) -> Error {
        Error::Config { key: key.into(), problem: problem.into() }
    }
}

/// Why one message was not delivered, and whether trying again later may help.
///
/// `retryable` is the outbox's cue: a server that is down, a timeout, a 5xx, a 429 or a
/// full quota pass with time; a refused login, an unknown recipient or a 4xx do not, and the
/// message is marked failed for a person to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    /// Whether the same message may succeed later without anybody changing anything.
    pub retryable: bool,
    /// What happened, in lowercase, without secrets.
    pub message: String,
}

impl DeliveryError {
    /// A failure that may pass: try again later.
    pub fn retryable(message: impl Into<String>) -> DeliveryError {
        DeliveryError { retryable: true, message: message.into() }
    }

    /// A failure that will not pass by itself.
    pub fn permanent(message: impl Into<String>) -> DeliveryError {
        DeliveryError { retryable: false, message: message.into() }
    }
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if self.retryable { f.write_str(" (will retry)") } else { f.write_str(" (will not retry)") }
    }
}

impl std::error::Error for DeliveryError {}

/// An error with its causes, `a: b: c`, so that "connection refused" is not hidden behind
/// "error sending request"; a cause already in the text, or a part that repeats the one
/// before it, is not written twice.
pub(crate) fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split(": ") {
        if parts.last() != Some(&part) {
            parts.push(part);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_joined_once() {
        let io = std::io::Error::other("Connection error: Connection error: connection refused");
        assert_eq!(describe(&io), "Connection error: connection refused");
        let e = DeliveryError::retryable("cannot connect");
        assert_eq!(e.to_string(), "cannot connect (will retry)");
        assert_eq!(DeliveryError::permanent("no").to_string(), "no (will not retry)");
    }
}
