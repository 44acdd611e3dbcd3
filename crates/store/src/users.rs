//! Users, login sessions, API tokens and the audit log.
//!
//! Only hashes of session and API tokens are stored, so a copy of the database does not
//! let anybody log in.

use model::{Role, Timestamp, User};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Error, Result, Store, from_millis, millis, parse_enum};

/// A live login session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is logged in.
    pub user: User,
    /// The session's CSRF token, to embed in forms.
    pub csrf_token: String,
    /// When it expires.
    pub expires_at: Timestamp,
}

/// An API token's metadata (the token itself is never stored).
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// Store identifier.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Label chosen at creation.
    pub name: String,
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("user_id")?,
        name: row.try_get("user_name")?,
        role: parse_enum(row.try_get::<&str, _>("role")?)?,
        created_at: from_millis(row.try_get("user_created_at")?),
    })
}

const USER_COLUMNS: &str =
    "u.id AS user_id, u.name AS user_name, u.role, u.created_at AS user_created_at";

impl Store {
    /// Creates a user; fails with [`Error::Conflict`] when the name is taken.
    pub async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        role: Role,
        now: Timestamp,
    ) -> Result<User> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (name, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(millis(now))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match Error::from(e) {
            Error::Conflict(_) => Error::Conflict(format!("user {name:?}")),
            e => e,
        })?;
        Ok(User { id, name: name.to_owned(), role, created_at: now })
    }

    /// Replaces a user's password hash and role.
    pub async fn update_user(&self, name: &str, password_hash: &str, role: Role) -> Result<()> {
        let n = sqlx::query("UPDATE users SET password_hash = $1, role = $2 WHERE name = $3")
            .bind(password_hash)
            .bind(role.as_str())
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!("user {name:?}")));
        }
        Ok(())
    }

    /// A user and their password hash, by name.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((user_from_row(&r)?, r.try_get("password_hash")?))).transpose()
    }

    /// Stores a new session.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(millis(now))
        .bind(millis(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live session with this token hash, if any.
    pub async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<Session>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, se.csrf_token, se.expires_at FROM sessions se JOIN users u ON u.id = se.user_id \
             WHERE se.token_hash = $1 AND se.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Session {
                user: user_from_row(&r)?,
                csrf_token: r.try_get("csrf_token")?,
                expires_at: from_millis(r.try_get("expires_at")?),
            })
        })
        .transpose()
    }

    /// Ends a session, and removes every expired one.
    pub async fn delete_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(millis(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores an API token hash for a user.
    pub async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<ApiToken> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(millis(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(ApiToken { id, user_id, name: name.to_owned() })
    }

    /// The user owning the API token with this hash; records its use.
    pub async fn user_by_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>> {
        let row = sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 RETURNING user_id",
        )
        .bind(millis(now))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user_id: i64 = row.try_get("user_id")?;
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(user_from_row(&row)?))
    }

    /// Appends to the audit log.
    pub async fn audit(
        &self,
        user_id: Option<i64>,
        action: &str,
        target: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query("INSERT INTO audit_log (at, user_id, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(millis(now))
            .bind(user_id)
            .bind(action)
            .bind(target)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The most recent audit entries: (time, user name, action, target, detail).
    pub async fn audit_log(
        &self,
        limit: i64,
    ) -> Result<Vec<(Timestamp, Option<String>, String, String, String)>> {
        let rows = sqlx::query(
            "SELECT a.at, u.name, a.action, a.target, a.detail FROM audit_log a LEFT JOIN users u ON u.id = a.user_id \
             ORDER BY a.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    from_millis(r.try_get("at")?),
                    r.try_get("name")?,
                    r.try_get("action")?,
                    r.try_get("target")?,
                    r.try_get("detail")?,
                ))
            })
            .collect()
    }
}
