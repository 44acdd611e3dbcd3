//! Sources and their fetch state.

use model::{FetchState, Source, SourceKind, SourceTier, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, from_millis, millis, parse_enum};

/// A source to create or update (matched by URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSource {
    /// Human name.
    pub name: String,
    /// Feed URL or file path.
    pub url: String,
    /// How it is read.
    pub kind: SourceKind,
    /// Credibility tier.
    pub tier: SourceTier,
    /// Polling interval in seconds.
    pub interval_secs: i64,
    /// Whether loopback and private addresses are allowed.
    pub allow_private: bool,
}

const SOURCE_COLUMNS: &str = "id, name, url, kind, tier, interval_secs, allow_private, enabled, \
     etag, last_modified, error_count, last_error, last_fetched_at, next_poll_at";

fn source_from_row(row: &AnyRow) -> Result<Source> {
    Ok(Source {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        kind: parse_enum(row.try_get::<&str, _>("kind")?)?,
        tier: parse_enum(row.try_get::<&str, _>("tier")?)?,
        interval_secs: row.try_get("interval_secs")?,
        allow_private: row.try_get::<i64, _>("allow_private")? != 0,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        state: FetchState {
            etag: row.try_get("etag")?,
            last_modified: row.try_get("last_modified")?,
            error_count: row.try_get("error_count")?,
            last_error: row.try_get("last_error")?,
            last_fetched_at: row.try_get::<Option<i64>, _>("last_fetched_at")?.map(from_millis),
            next_poll_at: row.try_get::<Option<i64>, _>("next_poll_at")?.map(from_millis),
        },
    })
}

/// Binds `$1`..`$7` of a source insert: name, URL, kind, tier, interval, permission, now.
fn bind_new_source<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    s: &'q NewSource,
    now: Timestamp,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&s.name)
        .bind(&s.url)
        .bind(s.kind.as_str())
        .bind(s.tier.as_str())
        .bind(s.interval_secs)
        .bind(i64::from(s.allow_private))
        .bind(millis(now))
}

impl Store {
    /// Creates the source, or updates name, kind, tier, interval and permission of the
    /// source with the same URL; its fetch state is kept. The source is (re-)enabled.
    pub async fn upsert_source(&self, s: &NewSource, now: Timestamp) -> Result<Source> {
        let sql = format!(
            "INSERT INTO sources (name, url, kind, tier, interval_secs, allow_private, enabled, created_at, next_poll_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) \
             ON CONFLICT (url) DO UPDATE SET name = excluded.name, kind = excluded.kind, tier = excluded.tier, \
             interval_secs = excluded.interval_secs, allow_private = excluded.allow_private, enabled = 1 \
             RETURNING {SOURCE_COLUMNS}"
        );
        let row = bind_new_source(sqlx::query(&sql), s, now).fetch_one(&self.pool).await?;
        source_from_row(&row)
    }

    /// Returns the source with this URL, creating it disabled (so it is never polled on its
    /// own) when it does not exist: used for one-off ingestion.
    pub async fn ensure_source(&self, s: &NewSource, now: Timestamp) -> Result<Source> {
        let insert = sqlx::query(
            "INSERT INTO sources (name, url, kind, tier, interval_secs, allow_private, enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7) ON CONFLICT (url) DO NOTHING",
        );
        bind_new_source(insert, s, now).execute(&self.pool).await?;
        let row = sqlx::query(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE url = $1"))
            .bind(&s.url)
            .fetch_one(&self.pool)
            .await?;
        source_from_row(&row)
    }

    /// Disables the sources whose URL is not in `keep` (sources removed from the
    /// configuration stop being polled; their documents stay).
    pub async fn disable_sources_except(&self, keep: &[String]) -> Result<u64> {
        let mut n = 0;
        for s in self.list_sources().await? {
            if s.enabled && s.kind == model::SourceKind::Feed && !keep.contains(&s.url) {
                n += sqlx::query("UPDATE sources SET enabled = 0 WHERE id = $1")
                    .bind(s.id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
            }
        }
        Ok(n)
    }

    /// Every source, by id.
    pub async fn list_sources(&self) -> Result<Vec<Source>> {
        let rows = sqlx::query(&format!("SELECT {SOURCE_COLUMNS} FROM sources ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(source_from_row).collect()
    }

    /// Enabled sources whose next poll is due at `now`, most overdue first.
    pub async fn due_sources(&self, now: Timestamp, limit: i64) -> Result<Vec<Source>> {
        let rows = sqlx::query(&format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE enabled = 1 \
             AND (next_poll_at IS NULL OR next_poll_at <= $1) ORDER BY next_poll_at, id LIMIT $2"
        ))
        .bind(millis(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(source_from_row).collect()
    }

    /// Records a successful poll: new validators, errors reset, next poll scheduled.
    pub async fn record_fetch_success(
        &self,
        source_id: i64,
        etag: Option<&str>,
        last_modified: Option<&str>,
        now: Timestamp,
        next_poll: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sources SET etag = COALESCE($1, etag), last_modified = COALESCE($2, last_modified), \
             error_count = 0, last_error = NULL, last_fetched_at = $3, next_poll_at = $4 WHERE id = $5",
        )
        .bind(etag)
        .bind(last_modified)
        .bind(millis(now))
        .bind(millis(next_poll))
        .bind(source_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed poll: the error is kept, the count grows, the next poll is pushed back.
    pub async fn record_fetch_failure(
        &self,
        source_id: i64,
        error: &str,
        now: Timestamp,
        next_poll: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sources SET error_count = error_count + 1, last_error = $1, last_fetched_at = $2, \
             next_poll_at = $3 WHERE id = $4",
        )
        .bind(error)
        .bind(millis(now))
        .bind(millis(next_poll))
        .bind(source_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Makes every enabled source due now (used by `fetch --once` and the demo).
    pub async fn make_all_due(&self, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sources SET next_poll_at = $1 WHERE enabled = 1")
            .bind(millis(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
