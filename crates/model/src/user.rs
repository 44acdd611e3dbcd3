//! Users and their roles.

use crate::{Timestamp, string_enum};

string_enum!(
    /// What a user may do.
    Role, "role", {
        /// Manages users, sources and rules, and everything below.
        Admin => "admin",
        /// Triage alerts, search, export.
        Officer => "officer",
        /// Read only.
        Viewer => "viewer",
    }
);

/// A dashboard user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Store identifier.
    pub id: i64,
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// When the account was created.
    pub created_at: Timestamp,
    /// When an administrator disabled the account; a disabled user cannot log in and their
    /// sessions and API tokens are refused.
    pub disabled_at: Option<Timestamp>,
}

impl User {
    /// Whether the account may be used.
    pub fn is_enabled(&self) -> bool {
        self.disabled_at.is_none()
    }
}
