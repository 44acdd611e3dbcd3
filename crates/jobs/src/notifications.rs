//! The notification fan-out: follows the alert events after a cursor kept in the store,
//! decides for each which subscriptions it concerns ([`decide`]), builds their messages
//! ([`message`]), and writes the messages and the cursor's advance in one transaction, so
//! an event is told once to each subscription whatever crashes in between.
//!
//! It runs every [`FANOUT_POLL`] and as soon as the pipeline stores documents (a new alert
//! is told within seconds), and wakes outbox delivery when it wrote something.

pub mod decide;
pub mod message;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use model::Timestamp;
use store::{NewOutgoing, Store};
use tokio::sync::Notify;

use self::decide::Notice;
pub use self::message::Letterhead;

/// The name of the fan-out's cursor in `job_cursors` (the last alert event it settled).
pub const NOTIFICATIONS_CURSOR: &str = "notifications";

/// The longest the fan-out waits between two looks at the events.
pub const FANOUT_POLL: Duration = Duration::from_secs(2);

/// How long a gap in event ids is waited for before it is taken for an id that will never
/// be committed.
pub const GAP_HOLD: chrono::Duration = chrono::Duration::seconds(30);

/// Events read per pass.
const EVENT_BATCH: i64 = 500;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FanOutReport {
    /// Events read.
    pub events: usize,
    /// Messages written to the outbox.
    pub messages: usize,
    /// Where the cursor stands after it.
    pub cursor: i64,
}

/// The fan-out's memory between passes: the events above the cursor already told (the
/// cursor waits at a gap while later events are handled) and the gaps waited for.
#[derive(Debug, Default)]
pub struct FanOut {
    told: BTreeSet<i64>,
    gaps: BTreeMap<i64, Timestamp>,
}

impl FanOut {
    /// Reads the events after the cursor and writes their messages; repeats while a full
    /// batch was read.
    pub async fn pass(
        &mut self,
        store: &Store,
        letterhead: &Letterhead,
        now: Timestamp,
    ) -> crate::Result<FanOutReport> {
        let mut report = FanOutReport::default();
        loop {
            let cursor = store.job_cursor(NOTIFICATIONS_CURSOR).await?;
            self.told.retain(|&id| id > cursor);
            report.cursor = cursor;
            let events = store.events_after(cursor, EVENT_BATCH).await?;
            if events.is_empty() {
                return Ok(report);
            }
            report.events += events.len();
            let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
            let settled = decide::settle(cursor, &ids, &mut self.gaps, now, GAP_HOLD);
            let fresh: Vec<_> = events.iter().filter(|e| !self.told.contains(&e.id)).collect();
            let mut messages: Vec<(NewOutgoing, Timestamp)> = Vec::new();
            let noticed: Vec<_> =
                fresh.iter().filter_map(|e| Notice::of(e).map(|n| (*e, n))).collect();
            if !noticed.is_empty() {
                let subscribers = store.subscribers().await?;
                if subscribers.iter().any(|s| s.subscription.settings.alerts) {
                    let alert_ids: Vec<i64> = noticed.iter().map(|(e, _)| e.alert_id).collect();
                    let facts = store.alert_facts(&alert_ids).await?;
                    for (event, notice) in &noticed {
                        // An alert purged since has nothing left to tell.
                        let Some(f) = facts.get(&event.alert_id) else { continue };
                        for r in decide::recipients(event, *notice, f, &subscribers, now) {
                            match message::message(event, *notice, f, r.subscriber, letterhead) {
                                Ok(m) => messages.push((m, r.due)),
                                Err(e) => tracing::warn!(
                                    event_id = event.id,
                                    subscription_id = r.subscriber.subscription.id,
                                    error = %e,
                                    "A notification could not be built; it is skipped."
                                ),
                            }
                        }
                    }
                }
            }
            let written =
                store.enqueue_advancing(NOTIFICATIONS_CURSOR, settled, &messages, now).await?;
            report.messages += written;
            report.cursor = settled;
            self.told.extend(ids.iter().copied().filter(|&id| id > settled));
            if events.len() < usize::try_from(EVENT_BATCH).unwrap_or(usize::MAX) {
                return Ok(report);
            }
            if settled == cursor {
                // A full batch behind a gap still waited for: the next pass takes it up.
                return Ok(report);
            }
        }
    }
}

/// Tells subscribers of alert events until `shutdown`: every [`FANOUT_POLL`] and whenever
/// `wake` is notified (documents were stored), waking `delivery` when it wrote messages.
pub async fn run_notifications<C>(
    store: Store,
    letterhead: Letterhead,
    wake: Arc<Notify>,
    delivery: Arc<Notify>,
    clock: C,
    shutdown: impl Future<Output = ()>,
) where
    C: Fn() -> Timestamp,
{
    let mut fan_out = FanOut::default();
    tokio::pin!(shutdown);
    tracing::info!("Notifications started.");
    loop {
        let pass = fan_out.pass(&store, &letterhead, clock());
        let result = tokio::select! {
            () = &mut shutdown => break,
            result = pass => result,
        };
        match result {
            Ok(r) if r.messages > 0 => {
                tracing::info!(
                    events = r.events,
                    messages = r.messages,
                    cursor = r.cursor,
                    "Notifications written."
                );
                delivery.notify_one();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "Notification pass failed; retrying shortly."),
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(FANOUT_POLL) => {}
        }
    }
    tracing::info!("Notifications stopped.");
}
