//! The crate's one error type.

/// What can go wrong: an unknown method name, a parameter outside its domain, or a bad
/// row in a count series read from CSV.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A method name that is not one of [`crate::Method::ALL`].
    #[error("unknown method `{given}`: expected one of {valid}")]
    UnknownMethod {
        /// The name as given.
        given: String,
        /// The valid names, comma separated.
        valid: String,
    },
    /// A method or guard parameter outside its domain.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParam {
        /// The parameter's name as in [`crate::MethodConfig`].
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The CSV input has no header row.
    #[error("line 1: expected a header row naming the columns `date` and `count`")]
    MissingHeader,
    /// The header row lacks a required column.
    #[error("line 1: the header has no `{0}` column (expected `date,count`)")]
    MissingColumn(&'static str),
    /// A field of a data row that cannot be read.
    #[error("line {line}: field `{field}`: {message}")]
    BadField {
        /// The line of the input, counting from 1 with the header.
        line: u64,
        /// The column.
        field: &'static str,
        /// What is wrong with the value.
        message: String,
    },
    /// A row that is not valid CSV or has the wrong number of fields.
    #[error("line {line}: {message}")]
    BadRow {
        /// The line of the input, counting from 1 with the header.
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
}
