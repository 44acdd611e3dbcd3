//! Job leases and job cursors: which process runs a periodic job (`job_leases`), and how
//! far a job has read a log (`job_cursors`).
//!
//! A lease is taken, renewed and released with single statements, so two processes on one
//! database can never both believe they hold it: the upsert's `WHERE` is evaluated on the
//! row as it stands once the conflicting row is locked (PostgreSQL) or under the one writer
//! lock (SQLite).

use std::time::Duration;

use model::Timestamp;
use sqlx::{Any, Transaction};

use crate::{Result, Store, millis};

impl Store {
    /// Takes the lease `name` for `holder` until `now + ttl` when it is free, has run out, or
    /// is already `holder`'s (a renewal); returns whether `holder` holds it now.
    pub async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: Timestamp,
    ) -> Result<bool> {
        let until = millis(now) + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO job_leases (name, holder, until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
             WHERE job_leases.until <= $4 OR job_leases.holder = excluded.holder \
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(until)
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(taken.is_some())
    }

    /// Gives the lease `name` up if `holder` holds it, so another process may take it at
    /// once; returns whether it was held.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM job_leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(done > 0)
    }

    /// Who holds the lease `name` and until when, if anybody ever took it (it may have run
    /// out).
    pub async fn lease(&self, name: &str) -> Result<Option<(String, Timestamp)>> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT holder, until FROM job_leases WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(holder, until)| (holder, crate::from_millis(until))))
    }

    /// How far the job `name` has read its log; 0 before it ever advanced.
    pub async fn job_cursor(&self, name: &str) -> Result<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT last_id FROM job_cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }
}

/// Moves the cursor `name` forward to `last_id`, inside the caller's transaction; a cursor
/// never moves back, so a late writer cannot undo a later one's progress.
pub(crate) async fn advance_cursor(
    tx: &mut Transaction<'_, Any>,
    name: &str,
    last_id: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO job_cursors (name, last_id) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET last_id = CASE \
         WHEN job_cursors.last_id < excluded.last_id THEN excluded.last_id \
         ELSE job_cursors.last_id END",
    )
    .bind(name)
    .bind(last_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
