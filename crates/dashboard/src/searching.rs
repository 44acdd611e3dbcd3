//! Searches run off the async workers, on a bounded set of blocking threads with a short
//! queue, each within a time budget: whatever is searched, pages, the API, ingestion and
//! shutdown stay responsive. The searching itself is the tantivy index's, or, with
//! `search.backend = "postgres"`, the store's (`Store::search_text`), which gives the same
//! results from the lexemes PostgreSQL holds.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use search::{Budget, SearchIndex, SearchRequest, SearchResults};
use store::Store;
use tokio::sync::Semaphore;

use crate::error::AppError;

/// How searches are run.
#[derive(Debug, Clone, Copy)]
pub struct SearchLimits {
    /// The longest one search may take, waiting for a thread included.
    pub timeout: Duration,
    /// Searches running at once.
    pub max_concurrent: usize,
    /// Searches waiting for a thread; more are refused at once.
    pub max_queued: usize,
}

impl Default for SearchLimits {
    fn default() -> Self {
        SearchLimits { timeout: Duration::from_secs(3), max_concurrent: 2, max_queued: 16 }
    }
}

/// What answers searches.
enum Engine {
    /// The local tantivy index, searched on blocking threads.
    Index(Arc<SearchIndex>),
    /// The PostgreSQL store's lexemes.
    Store(Store),
}

/// The index and the threads searches run on.
pub(crate) struct SearchPool {
    engine: Engine,
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    limits: SearchLimits,
}

/// Why a search gave no results, for the page or the API to word.
#[derive(Debug)]
pub(crate) enum SearchFailure {
    /// The query does not parse or is over a limit; the byte offset of the problem.
    Query { offset: usize, message: String },
    /// Anything else, already in the words the client sees.
    Other(AppError),
}

impl SearchPool {
    pub(crate) fn new(index: Arc<SearchIndex>, limits: SearchLimits) -> SearchPool {
        SearchPool::with_engine(Engine::Index(index), limits)
    }

    /// Searches answered by the PostgreSQL store, under the same limits.
    pub(crate) fn postgres(store: Store, limits: SearchLimits) -> SearchPool {
        SearchPool::with_engine(Engine::Store(store), limits)
    }

    fn with_engine(engine: Engine, limits: SearchLimits) -> SearchPool {
        SearchPool {
            engine,
            permits: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            waiting: AtomicUsize::new(0),
            limits,
        }
    }

    /// Parses `text` and runs it; an empty text searches every document the request's
    /// filter admits. When the caller's future is dropped (the client went away), the
    /// search is cancelled at its next look at the budget.
    pub(crate) async fn search(
        &self,
        text: &str,
        request: SearchRequest,
    ) -> Result<SearchResults, SearchFailure> {
        let expr = if text.trim().is_empty() {
            None
        } else {
            Some(
                query::parse(text)
                    .map_err(|e| SearchFailure::Query { offset: e.offset, message: e.message })?,
            )
        };
        let budget = Budget::with_timeout(self.limits.timeout);
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let queued = Queued::enter(&self.waiting);
                if queued.ahead >= self.limits.max_queued {
                    return Err(SearchFailure::Other(AppError::Unavailable(busy())));
                }
                let wait = budget.remaining().unwrap_or(self.limits.timeout);
                match tokio::time::timeout(wait, self.permits.clone().acquire_owned()).await {
                    Ok(Ok(permit)) => permit,
                    _ => return Err(SearchFailure::Other(AppError::Unavailable(busy()))),
                }
            }
        };
        let cancel = budget.cancel_on_drop();
        let task = match &self.engine {
            Engine::Index(index) => {
                let index = index.clone();
                tokio::task::spawn_blocking(move || {
                    // The permit travels with the search: a cancelled search keeps its
                    // thread until it notices, so at most `max_concurrent` ever run.
                    let _permit = permit;
                    index.search_filtered(expr.as_ref(), &request, &budget)
                })
            }
            Engine::Store(store) => {
                let store = store.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    store.search_text(expr.as_ref(), &request, &budget).await
                })
            }
        };
        let joined = task.await;
        cancel.disarm();
        match joined {
            Ok(Ok(results)) => Ok(results),
            Ok(Err(search::Error::Query(e))) => {
                Err(SearchFailure::Query { offset: e.offset, message: e.message })
            }
            Ok(Err(e)) => Err(SearchFailure::Other(AppError::from(e))),
            Err(e) => {
                tracing::error!(error = %e, "A search panicked.");
                Err(SearchFailure::Other(AppError::Internal(format!(
                    "search failed ({e}); the index may be damaged: `langnghe reindex` rebuilds it"
                ))))
            }
        }
    }
}

fn busy() -> String {
    "Hệ thống tìm kiếm đang bận, vui lòng thử lại sau giây lát.".to_owned()
}

/// A place in the queue of searches waiting for a thread, left when dropped.
struct Queued<'a> {
    waiting: &'a AtomicUsize,
    ahead: usize,
}

impl<'a> Queued<'a> {
    fn enter(waiting: &'a AtomicUsize) -> Queued<'a> {
        let ahead = waiting.fetch_add(1, Ordering::SeqCst);
        Queued { waiting, ahead }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}
