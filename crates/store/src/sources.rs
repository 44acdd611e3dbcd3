//! Sources and their fetch state.

use model::{ArticleFetch, FetchState, Source, SourceKind, SourceOrigin, SourceTier, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Error, Result, Store, from_millis, millis, parse_enum};

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
    /// Base polling interval in seconds.
    pub interval_secs: i64,
    /// Whether loopback and private addresses are allowed.
    pub allow_private: bool,
    /// Where it is declared.
    pub origin: SourceOrigin,
    /// Whether article pages are fetched for the full text.
    pub fetch_articles: ArticleFetch,
    /// A grouping label.
    pub category: Option<String>,
    /// The current code of the province the source is about when its text does not say.
    pub home_province: Option<String>,
}

impl Default for NewSource {
    fn default() -> NewSource {
        NewSource {
            name: String::new(),
            url: String::new(),
            kind: SourceKind::Feed,
            tier: SourceTier::Press,
            interval_secs: 600,
            allow_private: false,
            origin: SourceOrigin::Config,
            fetch_articles: ArticleFetch::Auto,
            category: None,
            home_province: None,
        }
    }
}

pub(crate) const SOURCE_COLUMNS: &str = "id, name, url, kind, tier, interval_secs, allow_private, enabled, \
     origin, fetch_articles, category, etag, last_modified, error_count, last_error, \
     last_fetched_at, next_poll_at, poll_interval_secs, polls, not_modified, home_province";

pub(crate) fn source_from_row(row: &AnyRow) -> Result<Source> {
    Ok(Source {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        kind: parse_enum(row.try_get::<&str, _>("kind")?)?,
        tier: parse_enum(row.try_get::<&str, _>("tier")?)?,
        interval_secs: row.try_get("interval_secs")?,
        allow_private: row.try_get::<i64, _>("allow_private")? != 0,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        origin: parse_enum(row.try_get::<&str, _>("origin")?)?,
        fetch_articles: parse_enum(row.try_get::<&str, _>("fetch_articles")?)?,
        category: row.try_get("category")?,
        home_province: row.try_get("home_province")?,
        state: FetchState {
            etag: row.try_get("etag")?,
            last_modified: row.try_get("last_modified")?,
            error_count: row.try_get("error_count")?,
            last_error: row.try_get("last_error")?,
            last_fetched_at: row.try_get::<Option<i64>, _>("last_fetched_at")?.map(from_millis),
            next_poll_at: row.try_get::<Option<i64>, _>("next_poll_at")?.map(from_millis),
            poll_interval_secs: row.try_get("poll_interval_secs")?,
            polls: row.try_get("polls")?,
            not_modified: row.try_get("not_modified")?,
        },
    })
}

/// The columns a source insert sets, in the order [`bind_new_source`] binds them.
const INSERT_COLUMNS: &str = "name, url, kind, tier, interval_secs, allow_private, origin, \
     fetch_articles, category, created_at, home_province";

/// Binds `$1`..`$11` of a source insert: name, URL, kind, tier, interval, permission,
/// origin, article fetching, category, now, home province.
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
        .bind(s.origin.as_str())
        .bind(s.fetch_articles.as_str())
        .bind(s.category.as_deref())
        .bind(millis(now))
        .bind(s.home_province.as_deref())
}

/// Creates or updates a source (see [`Store::upsert_source`]) through any executor, so an
/// import can do it inside its transaction; `enable` decides whether an existing source
/// is re-enabled (a new one is created enabled only if `enable`).
pub(crate) async fn upsert_source_in<'e, E>(
    executor: E,
    s: &NewSource,
    now: Timestamp,
    enable: bool,
) -> Result<Source>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let enabled = i64::from(enable);
    // The configuration file is the truth for its sources, so a home province removed
    // from it goes; an import or OPML entry that names none keeps the one set before.
    let home_province = "CASE WHEN excluded.origin = 'config' THEN excluded.home_province \
         ELSE COALESCE(excluded.home_province, sources.home_province) END";
    let sql = format!(
        "INSERT INTO sources ({INSERT_COLUMNS}, enabled, next_poll_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, {enabled}, $10) \
         ON CONFLICT (url) DO UPDATE SET name = excluded.name, kind = excluded.kind, tier = excluded.tier, \
         interval_secs = excluded.interval_secs, allow_private = excluded.allow_private, \
         origin = excluded.origin, fetch_articles = excluded.fetch_articles, \
         category = COALESCE(excluded.category, sources.category), \
         home_province = {home_province}, \
         enabled = CASE WHEN {enabled} = 1 THEN 1 ELSE sources.enabled END \
         RETURNING {SOURCE_COLUMNS}"
    );
    let row = bind_new_source(sqlx::query(&sql), s, now).fetch_one(executor).await?;
    source_from_row(&row)
}

/// The outcome of a successful poll, as recorded on its source.
#[derive(Debug, Clone)]
pub struct PollSuccess<'a> {
    /// New `ETag`, if any.
    pub etag: Option<&'a str>,
    /// New `Last-Modified`, if any.
    pub last_modified: Option<&'a str>,
    /// When it was polled.
    pub at: Timestamp,
    /// The interval chosen for the next poll.
    pub interval_secs: i64,
    /// When it is due next.
    pub next_poll: Timestamp,
    /// Whether the server answered 304.
    pub not_modified: bool,
}

impl Store {
    /// Creates the source, or updates name, kind, tier, interval and permission of the
    /// source with the same URL; its fetch state is kept. The source is (re-)enabled.
    pub async fn upsert_source(&self, s: &NewSource, now: Timestamp) -> Result<Source> {
        upsert_source_in(&self.pool, s, now, true).await
    }

    /// Returns the source with this URL, creating it disabled (so it is never polled on its
    /// own) when it does not exist: used for one-off ingestion.
    pub async fn ensure_source(&self, s: &NewSource, now: Timestamp) -> Result<Source> {
        let sql = format!(
            "INSERT INTO sources ({INSERT_COLUMNS}, enabled) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0) ON CONFLICT (url) DO NOTHING"
        );
        bind_new_source(sqlx::query(&sql), s, now).execute(&self.pool).await?;
        let row = sqlx::query(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE url = $1"))
            .bind(&s.url)
            .fetch_one(&self.pool)
            .await?;
        source_from_row(&row)
    }

    /// Disables the sources declared in the configuration whose URL is not in `keep`
    /// (sources removed from the file stop being polled; their documents stay). Sources
    /// added by hand or from OPML are left alone.
    pub async fn disable_sources_except(&self, keep: &[String]) -> Result<u64> {
        let mut n = 0;
        for s in self.list_sources().await? {
            if s.enabled && s.origin == SourceOrigin::Config && !keep.contains(&s.url) {
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

    /// Records a successful poll: new validators, errors reset, the interval chosen and
    /// the next poll scheduled, and whether it was answered 304. The poll's claim on the
    /// source ends with it (see [`Store::claim_due_sources`]).
    pub async fn record_fetch_success(&self, source_id: i64, poll: &PollSuccess<'_>) -> Result<()> {
        sqlx::query(
            "UPDATE sources SET etag = COALESCE($1, etag), last_modified = COALESCE($2, last_modified), \
             error_count = 0, last_error = NULL, last_fetched_at = $3, next_poll_at = $4, \
             poll_interval_secs = $5, polls = polls + 1, not_modified = not_modified + $6, \
             claimed_by = NULL, claimed_until = NULL WHERE id = $7",
        )
        .bind(poll.etag)
        .bind(poll.last_modified)
        .bind(millis(poll.at))
        .bind(millis(poll.next_poll))
        .bind(poll.interval_secs)
        .bind(i64::from(poll.not_modified))
        .bind(source_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One source by id.
    pub async fn source(&self, id: i64) -> Result<Source> {
        let row = sqlx::query(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::NotFound(format!("source {id}")))?;
        source_from_row(&row)
    }

    /// One source by id (when `key` is a number) or by URL.
    pub async fn find_source(&self, key: &str) -> Result<Source> {
        if let Ok(id) = key.parse::<i64>() {
            return self.source(id).await;
        }
        let row = sqlx::query(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE url = $1"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::NotFound(format!("source {key:?}")))?;
        source_from_row(&row)
    }

    /// Enables or disables a source; enabling makes it due now.
    pub async fn set_source_enabled(&self, id: i64, enabled: bool, now: Timestamp) -> Result<()> {
        let n = sqlx::query(
            "UPDATE sources SET enabled = $1, next_poll_at = CASE WHEN $1 = 1 THEN $2 ELSE next_poll_at END WHERE id = $3",
        )
        .bind(i64::from(enabled))
        .bind(millis(now))
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!("source {id}")));
        }
        Ok(())
    }

    /// Deletes a source. A source with documents is only deleted with `purge`, which
    /// deletes its documents, their hits, places and revisions and their links to alerts too;
    /// returns the ids of the documents deleted, for the index.
    pub async fn remove_source(&self, id: i64, purge: bool) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let docs: Vec<i64> = sqlx::query_scalar("SELECT id FROM documents WHERE source_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        // Copies of other outlets' documents seen here count like documents of its own.
        let copies: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sightings g JOIN documents d ON d.id = g.document_id \
             WHERE g.source_id = $1 AND d.source_id <> $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if (!docs.is_empty() || copies > 0) && !purge {
            return Err(Error::Conflict(format!(
                "source {id} has {} documents and {copies} copies of others: disable it to keep \
                 them, or purge them with it",
                docs.len()
            )));
        }
        let of_source = "SELECT id FROM documents WHERE source_id = $1";
        let alerts: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT DISTINCT alert_id FROM alert_documents WHERE document_id IN ({of_source})"
        ))
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "DELETE FROM sightings WHERE source_id = $1 OR document_id IN ({of_source})"
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for table in [
            "rule_hits",
            "alert_documents",
            "document_revisions",
            "document_urls",
            "document_places",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE document_id IN ({of_source})"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        // Alerts keep their other documents; an alert left with none goes.
        for alert in alerts {
            let left: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM alert_documents WHERE alert_id = $1")
                    .bind(alert)
                    .fetch_one(&mut *tx)
                    .await?;
            if left == 0 {
                crate::workflow::delete_alert(&mut tx, alert).await?;
            } else {
                sqlx::query(
                    "UPDATE alerts SET doc_count = $1, last_document_id = \
                     (SELECT MAX(document_id) FROM alert_documents WHERE alert_id = $2) WHERE id = $2",
                )
                .bind(left)
                .bind(alert)
                .execute(&mut *tx)
                .await?;
            }
        }
        // The stories it carried lose documents or sightings: their rows go, and the
        // pipeline writes them again from what is left (`Store::stories_without_rows`).
        sqlx::query(
            "DELETE FROM stories WHERE origin_source = $1 OR id IN \
             (SELECT story_id FROM documents WHERE source_id = $1 AND story_id IS NOT NULL)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!("UPDATE documents SET copy_of = NULL WHERE copy_of IN ({of_source})"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM documents WHERE source_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query("DELETE FROM sources WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!("source {id}")));
        }
        tx.commit().await?;
        Ok(docs)
    }

    /// Records a failed poll: the error is kept, the count grows, the next poll is pushed
    /// back, and the poll's claim on the source ends.
    pub async fn record_fetch_failure(
        &self,
        source_id: i64,
        error: &str,
        now: Timestamp,
        next_poll: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sources SET error_count = error_count + 1, last_error = $1, last_fetched_at = $2, \
             next_poll_at = $3, claimed_by = NULL, claimed_until = NULL WHERE id = $4",
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
