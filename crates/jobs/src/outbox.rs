//! Outbox delivery: claims the messages that are due, hands each to `notify` (the only
//! crate that sends), and records what happened: sent; due again after a back-off of 1
//! minute, 5 minutes, 30 minutes, 2 hours, 6 hours and 24 hours when the failure may pass
//! (a server down, a timeout); failed at once when it cannot (an address refused, an
//! endpoint not configured) or when the retries are spent.
//!
//! A claim lasts [`CLAIM_TTL`]: a message whose worker was killed mid-delivery is due again
//! once its claim runs out, and its outcome can be recorded only by the claim that holds it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use model::Timestamp;
use notify::{Delivery, Notifier};
use store::{Claimed, Store};
use tokio::sync::Notify;

/// How long a claimed message is this worker's: longer than any one delivery may take
/// (SMTP and webhook timeouts are shorter).
pub const CLAIM_TTL: Duration = Duration::from_secs(300);

/// The waits before each retry; after the last one fails the message is given up.
pub const BACKOFF: [Duration; 6] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
];

/// How often due messages are looked for when nothing wakes the job.
pub const DELIVERY_POLL: Duration = Duration::from_secs(2);

/// Messages claimed at a time: few, so a shutdown leaves few claims to give back.
const CLAIM_BATCH: usize = 8;

/// When a message that failed on its `attempts`-th delivery (counting from 1) is tried
/// again, or `None` when it is given up.
pub fn retry_at(attempts: u32, retryable: bool, now: Timestamp) -> Option<Timestamp> {
    if !retryable {
        return None;
    }
    let wait = BACKOFF.get(usize::try_from(attempts.max(1) - 1).ok()?)?;
    Some(now + chrono::Duration::from_std(*wait).ok()?)
}

/// What one round of deliveries did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed and will be tried again.
    pub retrying: usize,
    /// Messages given up.
    pub failed: usize,
}

/// The identifier a message is delivered under: a webhook's `webhook-id`, stable across
/// retries so the receiver can drop a repeat.
pub fn delivery_id(message: &Claimed) -> String {
    format!("msg_{}", message.id)
}

/// Delivers one claimed message and records the outcome.
pub async fn deliver_one(
    store: &Store,
    notifier: &Notifier,
    message: &Claimed,
    now: Timestamp,
    out: &mut Delivered,
) -> crate::Result<()> {
    let id = delivery_id(message);
    let delivery = Delivery {
        id: &id,
        channel: message.channel,
        recipient: &message.recipient,
        subject: &message.subject,
        body: &message.body,
    };
    match notifier.deliver(&delivery, now).await {
        Ok(()) => {
            if !store.outbox_sent(message, now).await? {
                tracing::warn!(
                    outbox_id = message.id,
                    "A message was delivered after its claim ran out."
                );
            }
            out.sent += 1;
            tracing::info!(
                outbox_id = message.id,
                channel = message.channel.as_str(),
                kind = %message.kind,
                "Message delivered."
            );
        }
        Err(e) => {
            let next = retry_at(message.attempts, e.retryable, now);
            store.outbox_failed(message, &e.to_string(), next).await?;
            match next {
                Some(at) => {
                    out.retrying += 1;
                    tracing::warn!(
                        outbox_id = message.id,
                        channel = message.channel.as_str(),
                        attempts = message.attempts,
                        retry_at = %at,
                        error = %e,
                        "Delivery failed; it will be tried again."
                    );
                }
                None => {
                    out.failed += 1;
                    tracing::error!(
                        outbox_id = message.id,
                        channel = message.channel.as_str(),
                        attempts = message.attempts,
                        error = %e,
                        "Delivery failed for good."
                    );
                }
            }
        }
    }
    Ok(())
}

/// Delivers every message due at `clock()` until none is left or `stop` says so; messages
/// claimed but not started when stopping are given back.
pub async fn deliver_due<C>(
    store: &Store,
    notifier: &Notifier,
    clock: &C,
    stopping: &(dyn Fn() -> bool + Sync),
) -> crate::Result<Delivered>
where
    C: Fn() -> Timestamp,
{
    let mut out = Delivered::default();
    loop {
        let claimed = store.claim_outbox(clock(), CLAIM_TTL, CLAIM_BATCH).await?;
        if claimed.is_empty() {
            return Ok(out);
        }
        let mut rest = claimed.iter();
        for message in rest.by_ref() {
            deliver_one(store, notifier, message, clock(), &mut out).await?;
            if stopping() {
                break;
            }
        }
        let unstarted: Vec<&Claimed> = rest.collect();
        if !unstarted.is_empty() {
            for message in unstarted {
                store.outbox_release(message).await?;
            }
            return Ok(out);
        }
    }
}

/// Delivers the messages of `keys` now, whatever their time (for `langnghe digest --send`);
/// failures are recorded with their back-off for the running server to retry.
pub async fn deliver_keys(
    store: &Store,
    notifier: &Notifier,
    keys: &[String],
    now: Timestamp,
) -> crate::Result<Delivered> {
    let mut out = Delivered::default();
    for message in store.claim_outbox_keys(keys, now, CLAIM_TTL).await? {
        deliver_one(store, notifier, &message, now, &mut out).await?;
    }
    Ok(out)
}

/// Delivers due messages until `shutdown`: whenever `wake` is notified (something was
/// written to the outbox) and every [`DELIVERY_POLL`].
pub async fn run_delivery<C>(
    store: Store,
    notifier: Arc<Notifier>,
    wake: Arc<Notify>,
    clock: C,
    shutdown: impl Future<Output = ()>,
) where
    C: Fn() -> Timestamp,
{
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopping = move || *stop_rx.borrow();
    tokio::pin!(shutdown);
    tracing::info!("Outbox delivery started.");
    loop {
        let round = deliver_due(&store, &notifier, &clock, &stopping);
        tokio::pin!(round);
        // A delivery under way is finished, not cut off: cut off, its message could reach
        // the recipient and still be sent again once its claim ran out.
        let result = tokio::select! {
            result = &mut round => result,
            () = &mut shutdown => {
                let _ = stop_tx.send(true);
                round.await
            }
        };
        match result {
            Ok(d) if d == Delivered::default() => {}
            Ok(d) => tracing::debug!(
                sent = d.sent,
                retrying = d.retrying,
                failed = d.failed,
                "Outbox round done."
            ),
            Err(e) => tracing::warn!(error = %e, "Outbox delivery failed; retrying shortly."),
        }
        if *stop_tx.borrow() {
            break;
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(DELIVERY_POLL) => {}
        }
    }
    tracing::info!("Outbox delivery stopped.");
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn back_off_grows_then_gives_up() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
        let waits: Vec<i64> =
            (1..=6).map(|n| (retry_at(n, true, now).unwrap() - now).num_minutes()).collect();
        assert_eq!(waits, [1, 5, 30, 120, 360, 1440]);
        assert_eq!(retry_at(7, true, now), None);
        assert_eq!(retry_at(1, false, now), None);
    }
}
