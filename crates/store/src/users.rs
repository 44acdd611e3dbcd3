//! Users, login sessions, API tokens and the audit log.
//!
//! Only hashes of session and API tokens are stored, so a copy of the database does not
//! let anybody log in. Credentials end with the account: changing a user's password or
//! role, or disabling them, deletes their sessions, and the queries that accept a session
//! or a token also check that the user is enabled and the token is neither expired nor
//! revoked, so no path lets a stale credential through.

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Store identifier.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Label chosen at creation.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last authenticated a request.
    pub last_used_at: Option<Timestamp>,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    /// Whether the token itself would be accepted at `now` (the owner must also be enabled).
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("user_id")?,
        name: row.try_get("user_name")?,
        role: parse_enum(row.try_get::<&str, _>("role")?)?,
        created_at: from_millis(row.try_get("user_created_at")?),
        disabled_at: row.try_get::<Option<i64>, _>("user_disabled_at")?.map(from_millis),
    })
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        created_at: from_millis(row.try_get("created_at")?),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(from_millis),
        expires_at: from_millis(row.try_get("expires_at")?),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(from_millis),
    })
}

const USER_COLUMNS: &str = "u.id AS user_id, u.name AS user_name, u.role, \
     u.created_at AS user_created_at, u.disabled_at AS user_disabled_at";

/// [`USER_COLUMNS`] for `RETURNING` clauses of statements on `users` alone.
const RETURNED_USER: &str = "id AS user_id, name AS user_name, role, \
     created_at AS user_created_at, disabled_at AS user_disabled_at";

const TOKEN_COLUMNS: &str = "id, user_id, name, created_at, last_used_at, expires_at, revoked_at";

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
        Ok(User { id, name: name.to_owned(), role, created_at: now, disabled_at: None })
    }

    /// Replaces a user's password hash and role, and ends every session of theirs: whoever
    /// logged in with the old password, or under the old role, must log in again. API
    /// tokens are left alone; they are listed and revoked on their own.
    pub async fn update_user(&self, name: &str, password_hash: &str, role: Role) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET password_hash = $1, role = $2 WHERE name = $3 RETURNING id",
        )
        .bind(password_hash)
        .bind(role.as_str())
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Err(Error::NotFound(format!("user {name:?}")));
        };
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables a user and ends their sessions; their API tokens are refused from now on.
    /// Disabling a disabled user keeps the first time.
    pub async fn disable_user(&self, name: &str, now: Timestamp) -> Result<User> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "UPDATE users SET disabled_at = COALESCE(disabled_at, $1) WHERE name = $2 \
             RETURNING {RETURNED_USER}"
        ))
        .bind(millis(now))
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(Error::NotFound(format!("user {name:?}")));
        };
        let user = user_from_row(&row)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Lets a disabled user log in again. Their tokens that have not expired and were not
    /// revoked work again too.
    pub async fn enable_user(&self, name: &str) -> Result<User> {
        let row = sqlx::query(&format!(
            "UPDATE users SET disabled_at = NULL WHERE name = $1 RETURNING {RETURNED_USER}"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Err(Error::NotFound(format!("user {name:?}")));
        };
        user_from_row(&row)
    }

    /// Ends every session of a user; returns how many there were.
    pub async fn end_sessions(&self, user_id: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// A user and their password hash, by name (disabled users too: callers check).
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
             WHERE se.token_hash = $1 AND se.expires_at > $2 AND u.disabled_at IS NULL"
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

    /// Stores an API token hash for a user, valid until `expires_at`.
    pub async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<ApiToken> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(millis(now))
        .bind(millis(expires_at))
        .fetch_one(&self.pool)
        .await?;
        Ok(ApiToken {
            id,
            user_id,
            name: name.to_owned(),
            created_at: now,
            last_used_at: None,
            expires_at,
            revoked_at: None,
        })
    }

    /// The user owning the API token with this hash, when the token has not expired, was
    /// not revoked and its owner is enabled; records its use. A refused token is not marked
    /// as used.
    pub async fn user_by_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>> {
        let row = sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 \
             WHERE token_hash = $2 AND revoked_at IS NULL AND expires_at > $1 \
             AND user_id IN (SELECT id FROM users WHERE disabled_at IS NULL) \
             RETURNING user_id",
        )
        .bind(millis(now))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user_id: i64 = row.try_get("user_id")?;
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND u.disabled_at IS NULL"
        ))
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    /// Every API token of a user, revoked and expired ones included, oldest first.
    pub async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes one API token of a user. Revoking a revoked token keeps the first time; a
    /// token of somebody else is [`Error::NotFound`], so a mistyped id cannot revoke it.
    pub async fn revoke_api_token(
        &self,
        user_id: i64,
        token_id: i64,
        now: Timestamp,
    ) -> Result<ApiToken> {
        let row = sqlx::query(&format!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE id = $2 AND user_id = $3 RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(millis(now))
        .bind(token_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Err(Error::NotFound(format!("api token {token_id} of user {user_id}")));
        };
        token_from_row(&row)
    }

    /// Revokes every API token of a user not already revoked; returns how many.
    pub async fn revoke_api_tokens(&self, user_id: i64, now: Timestamp) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(millis(now))
        .bind(user_id)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Appends to the audit log; returns the entry's id.
    pub async fn audit(
        &self,
        user_id: Option<i64>,
        action: &str,
        target: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(millis(now))
        .bind(user_id)
        .bind(action)
        .bind(target)
        .bind(detail)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Replaces the detail of an audit entry. Only for entries that aggregate repeated
    /// events (failed logins counted per client and window), so that an attacker's attempts
    /// cost one row instead of one each.
    pub async fn update_audit_detail(&self, id: i64, detail: &str) -> Result<()> {
        let n = sqlx::query("UPDATE audit_log SET detail = $1 WHERE id = $2")
            .bind(detail)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!("audit entry {id}")));
        }
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

/// One entry of the audit log, with the name of the user who acted (none for the command
/// line and for failed logins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Store identifier; later entries have larger ones.
    pub id: i64,
    /// When it happened.
    pub at: Timestamp,
    /// Who acted, when a logged-in user did.
    pub user: Option<String>,
    /// What was done (`login`, `user_disabled` …).
    pub action: String,
    /// What it was done to (`user:lan`, `source:3` …).
    pub target: String,
    /// Free detail.
    pub detail: String,
}

/// Which audit entries to read, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries made by this user or about them (target `user:NAME`): the command line
    /// writes entries about users without an acting user.
    pub user: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// At most this many entries.
    pub limit: i64,
    /// Entries skipped, newest first.
    pub offset: i64,
}

fn audit_from_row(r: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: from_millis(r.try_get("at")?),
        user: r.try_get("name")?,
        action: r.try_get("action")?,
        target: r.try_get("target")?,
        detail: r.try_get("detail")?,
    })
}

impl Store {
    /// Every user, disabled ones included, by name.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Changes a user's role and ends their sessions, so nobody keeps working under the old
    /// role; their API tokens act under the new role from their next request.
    pub async fn set_user_role(&self, name: &str, role: Role) -> Result<User> {
        self.update_user_column(name, "role", role.as_str()).await
    }

    /// Replaces a user's password hash and ends their sessions: whoever logged in with the
    /// old password must log in again. API tokens are left alone.
    pub async fn set_user_password(&self, name: &str, password_hash: &str) -> Result<User> {
        self.update_user_column(name, "password_hash", password_hash).await
    }

    /// Sets one column of a user (a name from this file, never from a caller) and ends their
    /// sessions, in one transaction.
    async fn update_user_column(&self, name: &str, column: &str, value: &str) -> Result<User> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "UPDATE users SET {column} = $1 WHERE name = $2 RETURNING {RETURNED_USER}"
        ))
        .bind(value)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(Error::NotFound(format!("user {name:?}")));
        };
        let user = user_from_row(&row)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// One API token by id, whoever owns it.
    pub async fn api_token(&self, token_id: i64) -> Result<ApiToken> {
        let row = sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"))
            .bind(token_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Err(Error::NotFound(format!("api token {token_id}")));
        };
        token_from_row(&row)
    }

    /// The newest API tokens of every user, revoked and expired ones included, each with
    /// its owner; at most `limit`.
    pub async fn all_api_tokens(&self, limit: i64) -> Result<Vec<(ApiToken, User)>> {
        let rows = sqlx::query(&format!(
            "SELECT t.id, t.name, t.created_at, t.last_used_at, t.expires_at, t.revoked_at, \
             {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             ORDER BY t.id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        // `user_id` is the owner's id under both readers' names.
        rows.iter().map(|r| Ok((token_from_row(r)?, user_from_row(r)?))).collect()
    }

    /// Audit entries, newest first, filtered by who acted or whom they concern, and by
    /// action.
    pub async fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut conditions = Vec::new();
        let mut n = 0;
        let mut param = || {
            n += 1;
            format!("${n}")
        };
        let user_target = q.user.as_ref().map(|u| format!("user:{u}"));
        if q.user.is_some() {
            conditions.push(format!("(u.name = {} OR a.target = {})", param(), param()));
        }
        if q.action.is_some() {
            conditions.push(format!("a.action = {}", param()));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let (limit, offset) = (param(), param());
        let sql = format!(
            "SELECT a.id, a.at, u.name, a.action, a.target, a.detail FROM audit_log a \
             LEFT JOIN users u ON u.id = a.user_id {filter} ORDER BY a.id DESC \
             LIMIT {limit} OFFSET {offset}"
        );
        let mut query = sqlx::query(&sql);
        if let (Some(user), Some(target)) = (&q.user, &user_target) {
            query = query.bind(user).bind(target);
        }
        if let Some(action) = &q.action {
            query = query.bind(action);
        }
        let rows = query.bind(q.limit).bind(q.offset).fetch_all(&self.pool).await?;
        rows.iter().map(audit_from_row).collect()
    }
}
