//! The only crate that knows SQL: migrations and typed queries over SQLite (the embedded
//! default) or PostgreSQL (for scale), chosen by the database URL.
//!
//! Both back ends run the same statements through sqlx's `Any` driver, so every query is
//! written in the dialect subset the two share: `$n` parameters, `ON CONFLICT`,
//! `RETURNING`, and partial unique indexes. Timestamps are stored as UTC milliseconds and
//! flags as 0/1 integers, which both back ends read the same way.
//!
//! sqlx types never leave this crate: callers see [`Error`] and `model` types.
#![warn(missing_docs)]

mod alert_reads;
mod alerts;
mod briefing;
mod corrections;
mod digest_reads;
mod documents;
mod error;
mod figures;
mod fulltext;
mod health_days;
mod leases;
mod outbox;
mod places;
mod queue;
mod report;
mod saved_searches;
mod search_facts;
mod source_claims;
mod sources;
mod spikes;
mod stories;
mod story_log;
mod subscriptions;
pub mod testing;
mod trends;
mod users;
mod wakeups;
mod workflow;

use std::path::Path;
use std::str::FromStr;

use chrono::{TimeZone, Utc};
use model::Timestamp;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use alert_reads::Evidence;
pub use alerts::BoardEntry;
pub use briefing::{CarriedItem, DocumentStance, MAX_BRIEFING_ITEMS};
pub use corrections::{
    AlertItem, CheckDone, CorrectionCandidate, CorrectionStart, CorrectionWatch, ItemRole,
    ItemUpdate, NewCorrectionItem, Observed, TrackedItem,
};
pub use digest_reads::{IssuedResponse, TrackedAlert};
pub use documents::{Copied, Counts, Inserted, KnownDocument, Processed, Revision, Stored};
pub use error::{Error, Result};
pub use fulltext::LEXEME_BATCH;
pub use health_days::{CoveredDocument, HealthDayNote, MAX_NOTE_CHARS, RuleCoverage};
pub use outbox::{Claimed, NewOutgoing, OutboxEntry};
pub use queue::{
    AlertFilter, AssigneeFilter, MAX_QUEUE_LIMIT, MAX_QUEUE_OFFSET, MAX_QUEUE_TEXT_CHARS, Page,
    QueueCounts, QueueEntry, QueueSort, StateDeadline, state_deadline,
};
pub use saved_searches::{MAX_SAVED_SEARCHES, NewSavedSearch, SavedSearch, SearchFilters};
pub use search_facts::{DocumentFacts, HitFact, MAX_STORY_DOCUMENTS};
pub use sources::{NewSource, PollSuccess};
pub use spikes::{SpikeApplied, SpikeSighting};
pub use stories::{
    ATTRIBUTION_CHARS, PROVENANCE_SIGHTINGS, Placement, Rekeyed, SightingRelation, StoryDigest,
    StoryMember, StoryQuery, StorySummary, StoryTopic, StoryUpdate, attribution_text,
};
pub use story_log::{
    Placer, Placing, STORY_LOG_KEPT, StoryDecision, StoryEntry, StoryLog, into_story, placing,
};
pub use subscriptions::AlertFacts;
pub use trends::{
    DEFAULT_TREND_DAYS, GROWTH_WINDOW_DAYS, MAX_TREND_DAYS, ProvinceTrend, TopicDay, TrendQuery,
    spike_window_date,
};
pub use users::{ApiToken, AuditEntry, AuditQuery, Session};
pub use wakeups::{Topic, Wakeups};
pub use workflow::{Acted, NewResponse, Response};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database is behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file in WAL mode.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A connection pool with the schema migrated.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    schedule: Schedule,
    /// Wake-ups from other processes' writes (PostgreSQL only).
    wakeups: wakeups::Hub,
}

/// The deadlines alerts are handled by, shared by every clone of a store.
#[derive(Clone, Default)]
struct Schedule(std::sync::Arc<::alerts::deadlines::Schedule>);

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Schedule")
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`.
    pub async fn open_sqlite(path: &Path) -> Result<Store> {
        Store::open(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Opens the database behind `url` (`sqlite://…` or `postgres://…`) and applies any
    /// pending migrations.
    pub async fn open(url: &str) -> Result<Store> {
        install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Error::Config(format!(
                "unsupported database URL {:?}: expected sqlite://PATH or postgres://…",
                redact(url)
            )));
        };
        let options = AnyPoolOptions::new().max_connections(match backend {
            // One writer at a time is what SQLite allows anyway; a few readers serve the
            // dashboard while the pipeline writes.
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        });
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // A 32 MiB page cache per connection (SQLite's default is 2 MiB): a
                    // store of a million documents keeps its recent pages, which story
                    // refreshes and sightings read on every batch, in memory.
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -32768;").await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options
            .connect(url)
            .await
            .map_err(|e| Error::Connect { url: redact(url), source: e })?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await.map_err(|e| Error::Migrate(e.to_string()))?;
        tracing::debug!(backend = ?backend, "Store opened.");
        let wakeups = match backend {
            Backend::Postgres => wakeups::Hub::postgres(url),
            Backend::Sqlite => wakeups::Hub::default(),
        };
        Ok(Store { pool, backend, schedule: Schedule::default(), wakeups })
    }

    /// The same store, opening and moving alerts by `schedule`'s deadlines.
    pub fn with_schedule(mut self, schedule: ::alerts::deadlines::Schedule) -> Store {
        self.schedule = Schedule(std::sync::Arc::new(schedule));
        self
    }

    /// The deadlines alerts are handled by.
    pub fn schedule(&self) -> &::alerts::deadlines::Schedule {
        &self.schedule.0
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), waiting its turn behind another process's writer: a
    /// transaction that read first could not wait for the lock, SQLite refusing it as
    /// locked when another writer committed since its read.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Which back end this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.wakeups.close();
        self.pool.close().await;
    }
}

/// Hides the password of a database URL so it can be logged or shown.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => {
                    format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub(crate) fn millis(ts: Timestamp) -> i64 {
    ts.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> Timestamp {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A nullable timestamp column of `row`.
pub(crate) fn stamp(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<Timestamp>> {
    use sqlx::Row;
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_millis))
}

pub(crate) fn parse_enum<T: FromStr<Err = model::UnknownValue>>(s: &str) -> Result<T> {
    s.parse::<T>().map_err(|e| Error::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
