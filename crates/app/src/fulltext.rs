//! Keeping the PostgreSQL search backend's lexemes (`search.backend = "postgres"`): every
//! serving process fills what the store queued, woken when documents are stored and
//! every few seconds besides; processes side by side take disjoint rows.

use std::time::Duration;

use store::{Store, Topic};

/// How often the queue is looked at without a wake-up.
const TICK: Duration = Duration::from_secs(2);

/// Fills queued lexemes until `shutdown` completes.
pub(crate) async fn fill_lexemes(store: Store, shutdown: impl Future<Output = ()>) {
    let mut wakeups = store.wakeups(Topic::Documents);
    tokio::pin!(shutdown);
    loop {
        loop {
            match store.fill_lexemes(store::LEXEME_BATCH).await {
                Ok(0) => break,
                Ok(n) => tracing::debug!(n_documents = n, "Lexemes filled."),
                Err(error) => {
                    tracing::error!(error = %error, "Filling the search lexemes failed.");
                    break;
                }
            }
            if futures_ready(&mut shutdown).await {
                return;
            }
        }
        tokio::select! {
            () = shutdown.as_mut() => return,
            () = wakeups.next() => {}
            () = tokio::time::sleep(TICK) => {}
        }
    }
}

/// Whether `shutdown` has completed, without waiting for it.
async fn futures_ready(shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>) -> bool {
    tokio::select! {
        biased;
        () = shutdown.as_mut() => true,
        () = std::future::ready(()) => false,
    }
}
