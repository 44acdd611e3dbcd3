//! Claims on sources: which process polls a due source, so that processes sharing a
//! database never poll one source at the same time.
//!
//! A claim is taken in one statement that picks due, unclaimed sources and marks them: on
//! PostgreSQL the candidates are locked `FOR UPDATE SKIP LOCKED`, so concurrent claimers
//! take disjoint sources without waiting for each other, and a candidate another claimer
//! changed meanwhile is checked again on its committed row (the outer condition repeats
//! the claim test for that reason); SQLite runs the statement under its one writer lock. A claim holds until `claimed_until`; its holder renews it
//! while its polls are under way, and recording a poll's outcome
//! ([`Store::record_fetch_success`], [`Store::record_fetch_failure`]) clears it. A holder
//! that dies stops renewing, and its sources are due for another process once the claim
//! has run out.

use std::time::Duration;

use model::{Source, Timestamp};

use crate::sources::{SOURCE_COLUMNS, source_from_row};
use crate::{Backend, Result, Store, millis};

fn claim_until(now: Timestamp, ttl: Duration) -> i64 {
    millis(now).saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2))
}

impl Store {
    /// Claims up to `limit` enabled sources due at `now` that no live claim holds, for
    /// `holder` until `now + ttl`, most overdue first. Each source is claimed by one holder
    /// at a time, whoever else claims concurrently.
    pub async fn claim_due_sources(
        &self,
        holder: &str,
        now: Timestamp,
        ttl: Duration,
        limit: usize,
    ) -> Result<Vec<Source>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE sources SET claimed_by = $1, claimed_until = $2 WHERE id IN \
             (SELECT id FROM sources WHERE enabled = 1 \
             AND (next_poll_at IS NULL OR next_poll_at <= $3) \
             AND (claimed_until IS NULL OR claimed_until <= $3) \
             ORDER BY COALESCE(next_poll_at, 0), id LIMIT $4{lock}) \
             AND (claimed_until IS NULL OR claimed_until <= $3) \
             RETURNING {SOURCE_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(holder)
            .bind(claim_until(now, ttl))
            .bind(millis(now))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let mut sources = rows.iter().map(source_from_row).collect::<Result<Vec<_>>>()?;
        // RETURNING follows no ORDER BY: put the most overdue first again.
        sources.sort_by_key(|s| (s.state.next_poll_at, s.id));
        Ok(sources)
    }

    /// Extends every claim `holder` holds to `now + ttl`; returns how many it holds. A
    /// claim that ran out and was taken by another holder is no longer this one's.
    pub async fn renew_source_claims(
        &self,
        holder: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<u64> {
        let n = sqlx::query("UPDATE sources SET claimed_until = $1 WHERE claimed_by = $2")
            .bind(claim_until(now, ttl))
            .bind(holder)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n)
    }

    /// Stops renewing `holder`'s claim on a source whose poll could not be completed, but
    /// leaves the time the claim has left: the source is polled again (by any process) once
    /// it runs out, not at once, so a poll that keeps failing is not repeated every tick.
    /// Returns whether `holder` held the claim.
    pub async fn abandon_source_claim(&self, source_id: i64, holder: &str) -> Result<bool> {
        let n =
            sqlx::query("UPDATE sources SET claimed_by = NULL WHERE id = $1 AND claimed_by = $2")
                .bind(source_id)
                .bind(holder)
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(n > 0)
    }

    /// Gives up every claim `holder` holds, so other processes may poll those sources at
    /// once (a holder shutting down); returns how many it held.
    pub async fn release_source_claims(&self, holder: &str) -> Result<u64> {
        let n = sqlx::query(
            "UPDATE sources SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1",
        )
        .bind(holder)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n)
    }

    /// Who claims the source and until when, if a claim was taken and not cleared (it may
    /// have run out).
    pub async fn source_claim(
        &self,
        source_id: i64,
    ) -> Result<Option<(Option<String>, Timestamp)>> {
        let row: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT claimed_by, claimed_until FROM sources WHERE id = $1")
                .bind(source_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(by, until)| until.map(|u| (by, crate::from_millis(u)))))
    }
}
