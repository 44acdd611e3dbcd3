//! Deadline checks: every interval, each open alert's current deadline is checked and the
//! escalation marks it reached (80, 100 and 150 per cent of its time) are recorded as
//! `deadline` events, once each, for the board to show and notifications to deliver.

use std::future::Future;
use std::time::Duration;

use model::Timestamp;
use store::Store;

/// How often deadlines are checked by default: marks of a P1 deadline (30 minutes to
/// acknowledge) fall minutes apart.
pub const DEADLINE_INTERVAL: Duration = Duration::from_secs(60);

/// Records the deadline marks reached by `now`; returns how many were written.
pub async fn check_deadlines(store: &Store, now: Timestamp) -> crate::Result<usize> {
    Ok(store.record_deadlines(now).await?.len())
}

/// Checks deadlines every `interval` until `shutdown` completes.
pub async fn run_deadlines<C>(
    store: Store,
    interval: Duration,
    clock: C,
    shutdown: impl Future<Output = ()>,
) where
    C: Fn() -> Timestamp,
{
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    tracing::info!(interval_secs = interval.as_secs(), "Deadline checks started.");
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticker.tick() => {}
        }
        let check = check_deadlines(&store, clock());
        let result = tokio::select! {
            () = &mut shutdown => break,
            result = check => result,
        };
        match result {
            Ok(0) => {}
            Ok(marks) => tracing::info!(marks, "Deadline marks recorded."),
            Err(e) => tracing::warn!(error = %e, "Deadline check failed; retrying next interval."),
        }
    }
    tracing::info!("Deadline checks stopped.");
}
