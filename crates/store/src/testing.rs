//! Throw-away databases for tests: a temporary SQLite file, and, when
//! `LANGNGHE_TEST_POSTGRES_URL` is set, a freshly created PostgreSQL database.
//!
//! When the variable is set, PostgreSQL is required: an unreachable server fails the
//! test instead of silently skipping it.

use sqlx::Executor;
use sqlx::any::AnyPoolOptions;

use crate::Store;

/// The environment variable naming the PostgreSQL server used by tests.
pub const POSTGRES_ENV: &str = "LANGNGHE_TEST_POSTGRES_URL";

/// Returns the PostgreSQL base URL for tests, if configured.
#[allow(clippy::disallowed_methods)]
pub fn postgres_base_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty())
}

/// Creates an empty PostgreSQL database on the server at `base_url` and returns its URL.
///
/// # Panics
/// When the server cannot be reached or refuses, because a configured test database that
/// does not work must fail the test run.
pub async fn fresh_postgres_url(base_url: &str) -> String {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(base_url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but PostgreSQL is unreachable: {e}"));
    // Tests in one process run on parallel threads and the clock can read the same
    // nanosecond on two of them, so a per-process sequence keeps the names apart.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "langnghe_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    pool.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    pool.close().await;
    let (prefix, _) = base_url.rsplit_once('/').expect("a PostgreSQL URL has a database path");
    format!("{prefix}/{name}")
}

/// Every store a test should run against: SQLite in `dir`, and PostgreSQL when configured.
pub async fn stores(dir: &std::path::Path) -> Vec<(&'static str, Store)> {
    let mut out =
        vec![("sqlite", Store::open_sqlite(&dir.join("test.db")).await.expect("open sqlite"))];
    if let Some(base) = postgres_base_url() {
        let url = fresh_postgres_url(&base).await;
        out.push(("postgres", Store::open(&url).await.expect("open postgres")));
    }
    out
}
