//! The outbox: every outgoing message as a row, written in the same transaction as its
//! cause and delivered afterwards by whichever process holds the delivery lease.
//!
//! A row is `pending` until its time comes (now, after a back-off, or at the end of its
//! recipient's quiet hours), `sending` while a worker has claimed it (the claim runs out
//! at `lease_until`, so a row left by a killed process becomes due again), then `sent` or
//! `failed`. Its dedupe key is unique: writing the same message twice writes it once.
//! Claiming is one statement: on PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`,
//! so concurrent workers take disjoint rows; SQLite has one writer at a time.

use std::time::Duration;

use model::{Channel, OutboxState, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::{Backend, Result, Store, from_millis, millis, parse_enum, stamp};

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutgoing {
    /// What makes it this message and no other (`event:{event}:sub:{subscription}`,
    /// `digest:{date}:{subscription}`…): a second message with the same key is not written.
    pub dedupe_key: String,
    /// What it is: `alert`, `escalation`, `digest`, `saved_search`, `report` or `test`.
    pub kind: String,
    /// How it leaves.
    pub channel: Channel,
    /// To whom: an e-mail address, a webhook endpoint's name or a Zalo user id.
    pub recipient: String,
    /// Its subject, for the outbox page and the e-mail's `Subject`.
    pub subject: String,
    /// What is sent: the whole RFC 5322 message, the webhook's JSON payload, or Zalo text.
    pub body: Vec<u8>,
}

/// A message claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Store identifier.
    pub id: i64,
    /// Its dedupe key.
    pub dedupe_key: String,
    /// What it is.
    pub kind: String,
    /// How it leaves.
    pub channel: Channel,
    /// To whom.
    pub recipient: String,
    /// Its subject.
    pub subject: String,
    /// What is sent.
    pub body: Vec<u8>,
    /// Deliveries tried, this one included.
    pub attempts: u32,
    /// When this claim runs out: the outcome is recorded only while it holds.
    pub claim: Timestamp,
    /// When it was written.
    pub created_at: Timestamp,
}

/// A message as the outbox page lists it (without its body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Store identifier.
    pub id: i64,
    /// Its dedupe key.
    pub dedupe_key: String,
    /// What it is.
    pub kind: String,
    /// How it leaves.
    pub channel: Channel,
    /// To whom.
    pub recipient: String,
    /// Its subject.
    pub subject: String,
    /// Where it is.
    pub state: OutboxState,
    /// Deliveries tried.
    pub attempts: u32,
    /// When it is due (pending), or was last due.
    pub next_attempt_at: Timestamp,
    /// Why the last delivery failed.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it was delivered.
    pub sent_at: Option<Timestamp>,
}

/// Rows per insert statement (10 columns each; SQLite allows 32,766 parameters).
const INSERT_CHUNK: usize = 200;
/// Longest error text kept.
const MAX_ERROR_CHARS: usize = 1_000;

const CLAIMED_COLUMNS: &str =
    "id, dedupe_key, kind, channel, recipient, subject, body, attempts, lease_until, created_at";
const ENTRY_COLUMNS: &str = "id, dedupe_key, kind, channel, recipient, subject, state, attempts, \
     next_attempt_at, last_error, created_at, sent_at";

fn claimed_from_row(row: &AnyRow) -> Result<Claimed> {
    Ok(Claimed {
        id: row.try_get("id")?,
        dedupe_key: row.try_get("dedupe_key")?,
        kind: row.try_get("kind")?,
        channel: parse_enum(row.try_get::<&str, _>("channel")?)?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        claim: from_millis(row.try_get("lease_until")?),
        created_at: from_millis(row.try_get("created_at")?),
    })
}

fn entry_from_row(row: &AnyRow) -> Result<OutboxEntry> {
    Ok(OutboxEntry {
        id: row.try_get("id")?,
        dedupe_key: row.try_get("dedupe_key")?,
        kind: row.try_get("kind")?,
        channel: parse_enum(row.try_get::<&str, _>("channel")?)?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        state: parse_enum(row.try_get::<&str, _>("state")?)?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: from_millis(row.try_get("next_attempt_at")?),
        last_error: row.try_get("last_error")?,
        created_at: from_millis(row.try_get("created_at")?),
        sent_at: stamp(row, "sent_at")?,
    })
}

/// Writes `messages`, each due at its time, inside the caller's transaction; messages whose
/// dedupe key is already in the outbox are skipped. Returns how many were written.
pub(crate) async fn enqueue_in(
    tx: &mut Transaction<'_, Any>,
    messages: &[(NewOutgoing, Timestamp)],
    now: Timestamp,
) -> Result<usize> {
    let mut written = 0;
    for chunk in messages.chunks(INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO outbox (dedupe_key, kind, channel, recipient, subject, body, state, \
             attempts, next_attempt_at, created_at) VALUES {} ON CONFLICT (dedupe_key) DO NOTHING",
            crate::documents::placeholders(chunk.len(), 10)
        );
        let mut q = sqlx::query(&sql);
        for (m, due) in chunk {
            q = q
                .bind(m.dedupe_key.as_str())
                .bind(m.kind.as_str())
                .bind(m.channel.as_str())
                .bind(m.recipient.as_str())
                .bind(m.subject.as_str())
                .bind(m.body.as_slice())
                .bind(OutboxState::Pending.as_str())
                .bind(0_i64)
                .bind(millis(*due))
                .bind(millis(now));
        }
        written += q.execute(&mut **tx).await?.rows_affected();
    }
    if written > 0 {
        crate::wakeups::publish(tx, crate::Topic::Outbox).await?;
    }
    Ok(usize::try_from(written).unwrap_or(usize::MAX))
}

fn cut_error(error: &str) -> String {
    let mut out: String = error.chars().take(MAX_ERROR_CHARS).collect();
    if out.len() < error.len() {
        out.push('…');
    }
    out
}

impl Store {
    /// Writes `messages`, due now; a message whose dedupe key is already in the outbox is
    /// skipped. Returns how many were written.
    pub async fn enqueue(&self, messages: &[NewOutgoing], now: Timestamp) -> Result<usize> {
        let due: Vec<(NewOutgoing, Timestamp)> =
            messages.iter().map(|m| (m.clone(), now)).collect();
        self.enqueue_at(&due, now).await
    }

    /// Writes `messages`, each due at its own time (the end of quiet hours, the time a
    /// digest is for); a message whose dedupe key is already in the outbox is skipped.
    pub async fn enqueue_at(
        &self,
        messages: &[(NewOutgoing, Timestamp)],
        now: Timestamp,
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let written = enqueue_in(&mut tx, messages, now).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Writes `messages` and moves the job cursor `cursor` forward to `last_id`, in one
    /// transaction: a job that reads a log (alert events, days of digests) and sends what
    /// it read sends each entry once, whatever crashes between its passes.
    pub async fn enqueue_advancing(
        &self,
        cursor: &str,
        last_id: i64,
        messages: &[(NewOutgoing, Timestamp)],
        now: Timestamp,
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let written = enqueue_in(&mut tx, messages, now).await?;
        crate::leases::advance_cursor(&mut tx, cursor, last_id).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Claims up to `limit` messages due at `now` (pending ones whose time has come, and
    /// ones left `sending` by a claim that ran out) until `now + ttl`, oldest due first.
    pub async fn claim_outbox(
        &self,
        now: Timestamp,
        ttl: Duration,
        limit: usize,
    ) -> Result<Vec<Claimed>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_until = $1 \
             WHERE id IN (SELECT id FROM outbox WHERE (state = 'pending' AND next_attempt_at <= $2) \
             OR (state = 'sending' AND lease_until <= $2) ORDER BY next_attempt_at, id LIMIT $3{lock}) \
             RETURNING {CLAIMED_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(claim_until(now, ttl))
            .bind(millis(now))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let mut claimed = rows.iter().map(claimed_from_row).collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    }

    /// Claims the messages of `keys` that are still to send (pending, whatever their time,
    /// or left by a claim that ran out), until `now + ttl`: for sending a message at once.
    pub async fn claim_outbox_keys(
        &self,
        keys: &[String],
        now: Timestamp,
        ttl: Duration,
    ) -> Result<Vec<Claimed>> {
        let mut claimed = Vec::new();
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        for chunk in keys.chunks(INSERT_CHUNK) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_until = $1 \
                 WHERE id IN (SELECT id FROM outbox WHERE dedupe_key IN ({}) \
                 AND (state = 'pending' OR (state = 'sending' AND lease_until <= $2)){lock}) \
                 RETURNING {CLAIMED_COLUMNS}",
                list.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(claim_until(now, ttl)).bind(millis(now));
            for key in chunk {
                q = q.bind(key.as_str());
            }
            for row in q.fetch_all(&self.pool).await? {
                claimed.push(claimed_from_row(&row)?);
            }
        }
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    }

    /// Records that a claimed message was delivered; `false` when the claim had run out and
    /// the row is no longer this claim's.
    pub async fn outbox_sent(&self, message: &Claimed, now: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL \
             WHERE id = $2 AND state = 'sending' AND lease_until = $3",
        )
        .bind(millis(now))
        .bind(message.id)
        .bind(millis(message.claim))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done > 0)
    }

    /// Records a failed delivery of a claimed message: due again at `retry_at`, or failed
    /// for good when there is none. `false` when the claim had run out.
    pub async fn outbox_failed(
        &self,
        message: &Claimed,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool> {
        let (state, next) = match retry_at {
            Some(at) => (OutboxState::Pending, Some(millis(at))),
            None => (OutboxState::Failed, None),
        };
        let done = sqlx::query(
            "UPDATE outbox SET state = $1, next_attempt_at = COALESCE($2, next_attempt_at), \
             lease_until = NULL, last_error = $3 \
             WHERE id = $4 AND state = 'sending' AND lease_until = $5",
        )
        .bind(state.as_str())
        .bind(next)
        .bind(cut_error(error))
        .bind(message.id)
        .bind(millis(message.claim))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done > 0)
    }

    /// Gives a claimed message back untried (a worker stopping before it got to it): due
    /// again at once, the claim's attempt not counted. `false` when the claim had run out.
    pub async fn outbox_release(&self, message: &Claimed) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = attempts - 1, lease_until = NULL \
             WHERE id = $1 AND state = 'sending' AND lease_until = $2",
        )
        .bind(message.id)
        .bind(millis(message.claim))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done > 0)
    }

    /// The credential `name` a channel keeps (the Zalo OA's token pair, as JSON).
    pub async fn delivery_token(&self, name: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM delivery_tokens WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Replaces the credential `name` in one statement: a renewed token pair is either
    /// saved whole or not at all.
    pub async fn save_delivery_token(&self, name: &str, value: &str, now: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO delivery_tokens (name, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(value)
        .bind(millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Makes a failed message due again now, with a fresh series of retries; `false` when
    /// there is no failed message `id`.
    pub async fn outbox_retry(&self, id: i64, now: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1 \
             WHERE id = $2 AND state = 'failed'",
        )
        .bind(millis(now))
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done > 0)
    }

    /// The latest messages, newest first, at most `limit`; only those in `state` when given.
    pub async fn outbox_entries(
        &self,
        state: Option<OutboxState>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows =
            match state {
                Some(s) => sqlx::query(&format!(
                    "SELECT {ENTRY_COLUMNS} FROM outbox WHERE state = $1 ORDER BY id DESC LIMIT $2"
                ))
                .bind(s.as_str())
                .bind(limit)
                .fetch_all(&self.pool)
                .await?,
                None => {
                    sqlx::query(&format!(
                        "SELECT {ENTRY_COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1"
                    ))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                }
            };
        rows.iter().map(entry_from_row).collect()
    }

    /// The messages of `keys`, in key order of the outbox (by id).
    pub async fn outbox_by_keys(&self, keys: &[String]) -> Result<Vec<OutboxEntry>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(INSERT_CHUNK) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 1)).collect();
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox WHERE dedupe_key IN ({}) ORDER BY id",
                list.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for key in chunk {
                q = q.bind(key.as_str());
            }
            for row in q.fetch_all(&self.pool).await? {
                out.push(entry_from_row(&row)?);
            }
        }
        out.sort_by_key(|e| e.id);
        Ok(out)
    }

    /// How many messages are in each state (states with none are left out).
    pub async fn outbox_counts(&self) -> Result<Vec<(OutboxState, i64)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state")
                .fetch_all(&self.pool)
                .await?;
        let mut counts = rows
            .into_iter()
            .map(|(s, n)| Ok((parse_enum::<OutboxState>(&s)?, n)))
            .collect::<Result<Vec<_>>>()?;
        counts.sort();
        Ok(counts)
    }

    /// The earliest time a pending message is due, if any is: how long delivery may sleep.
    pub async fn outbox_next_due(&self) -> Result<Option<Timestamp>> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(CASE WHEN state = 'pending' THEN next_attempt_at ELSE lease_until END) \
             FROM outbox WHERE state IN ('pending', 'sending')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(next.map(from_millis))
    }
}

fn claim_until(now: Timestamp, ttl: Duration) -> i64 {
    millis(now) + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)
}
