//! The sources' names and tiers that search results, facets and filters are labelled with,
//! read from the store at most once every few seconds instead of on every search.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use model::SourceTier;
use store::Store;

/// A source's name and tier, by id.
pub(crate) type Sources = HashMap<i64, (String, SourceTier)>;

/// How long a read of the sources serves searches: a source added or renamed by another
/// process (`langnghe sources add`) shows within this; this process's own changes at once.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// The cached directory.
#[derive(Default)]
pub(crate) struct SourceDirectory {
    cached: Mutex<Option<(Instant, Arc<Sources>)>>,
    /// One reader at a time, so a burst of searches after expiry reads the store once.
    reading: tokio::sync::Mutex<()>,
}

impl SourceDirectory {
    /// Every source's name and tier, read again when older than [`FRESH_FOR`].
    pub(crate) async fn get(&self, store: &Store) -> store::Result<Arc<Sources>> {
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        let _reading = self.reading.lock().await;
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        let sources: Sources =
            store.list_sources().await?.into_iter().map(|s| (s.id, (s.name, s.tier))).collect();
        let sources = Arc::new(sources);
        *self.lock() = Some((Instant::now(), sources.clone()));
        Ok(sources)
    }

    /// Forgets the cached read: this process changed a source.
    pub(crate) fn invalidate(&self) {
        *self.lock() = None;
    }

    fn fresh(&self) -> Option<Arc<Sources>> {
        self.lock()
            .as_ref()
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, sources)| sources.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<Sources>)>> {
        self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_read_serves_until_it_expires_or_this_process_changes_a_source() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.expect("a store");
        let directory = SourceDirectory::default();
        assert!(directory.get(&store).await.expect("read").is_empty());
        let source = store::NewSource {
            name: "Báo Sức khỏe".to_owned(),
            url: "https://a.example/rss".to_owned(),
            ..store::NewSource::default()
        };
        let added = store.upsert_source(&source, chrono::Utc::now()).await.expect("a source");
        // Within its time the cached read is what searches see ...
        assert!(directory.get(&store).await.expect("read").is_empty());
        // ... and this process's own change is seen at once.
        directory.invalidate();
        let sources = directory.get(&store).await.expect("read");
        assert_eq!(sources.get(&added.id).map(|s| s.0.as_str()), Some("Báo Sức khỏe"));
    }
}
