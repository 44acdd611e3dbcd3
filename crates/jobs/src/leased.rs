//! Running a periodic job only while this process holds its lease in the store, so that
//! several processes on one database never run the same job at once.
//!
//! The runner waits until it can take the lease, starts the job, renews the lease at a
//! third of its time to live, and stops the job as soon as a renewal fails (another process
//! took the lease after this one could not renew it in time), then waits for the lease
//! again. On shutdown it stops the job and releases the lease, so another process can take
//! over at once instead of waiting for it to run out. Everything the jobs write is
//! idempotent (upserts, dedupe keys, guarded state changes), so the moment two holders may
//! overlap (a process paused past its lease) costs nothing but repeated work.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use model::Timestamp;
use store::Store;
use tokio::sync::watch;

/// How long a lease lasts unless renewed: another process takes over a job at most this
/// long after its holder died.
pub const LEASE_TTL: Duration = Duration::from_secs(30);

/// How often a process that does not hold a lease tries to take it.
const TAKE_EVERY: Duration = Duration::from_secs(5);

/// Completes when a job must stop: the process is shutting down, or the lease was lost.
pub type Stop = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Who holds leases in this process: its id and the time the leases last.
#[derive(Debug, Clone)]
pub struct Holder {
    /// This process's id in `job_leases` (host, process id and start time).
    pub id: String,
    /// How long a lease lasts unless renewed.
    pub ttl: Duration,
}

impl Holder {
    /// An id for this process: the host's name, the process id and the start time, so two
    /// processes (or one restarted) never share one.
    pub fn for_this_process() -> Holder {
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        Holder { id: format!("{host}:{}:{started:x}", std::process::id()), ttl: LEASE_TTL }
    }
}

fn stop_signal(mut rx: watch::Receiver<bool>) -> Stop {
    Box::pin(async move {
        let _ = rx.wait_for(|stop| *stop).await;
    })
}

/// Runs the job `job` (given the future that says when to stop) while this process holds
/// the lease `name`, until `shutdown` completes.
pub async fn run_leased<C, J, F>(
    store: Store,
    name: &'static str,
    holder: Holder,
    clock: C,
    shutdown: impl Future<Output = ()>,
    mut job: J,
) where
    C: Fn() -> Timestamp,
    J: FnMut(Stop) -> F,
    F: Future<Output = ()>,
{
    tokio::pin!(shutdown);
    let renew_every = holder.ttl / 3;
    'waiting: loop {
        match store.try_lease(name, &holder.id, holder.ttl, clock()).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(job = name, "Another process holds the job's lease; waiting.");
                tokio::select! {
                    () = &mut shutdown => return,
                    () = tokio::time::sleep(TAKE_EVERY) => continue 'waiting,
                }
            }
            Err(e) => {
                tracing::warn!(job = name, error = %e, "Cannot take the job's lease; retrying.");
                tokio::select! {
                    () = &mut shutdown => return,
                    () = tokio::time::sleep(TAKE_EVERY) => continue 'waiting,
                }
            }
        }
        tracing::info!(job = name, holder = %holder.id, "Job lease taken.");
        let mut held_until = clock() + chrono::Duration::from_std(holder.ttl).unwrap_or_default();
        let (stop_tx, stop_rx) = watch::channel(false);
        let running = job(stop_signal(stop_rx));
        tokio::pin!(running);
        let mut renew = tokio::time::interval(renew_every);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        renew.tick().await;
        let lost = loop {
            tokio::select! {
                () = &mut running => {
                    // A job returns only when told to stop; if it ever ends by itself, give
                    // the lease back rather than hold it idle.
                    let _ = store.release_lease(name, &holder.id).await;
                    tracing::warn!(job = name, "The job ended by itself; its lease is released.");
                    return;
                }
                () = &mut shutdown => break false,
                _ = renew.tick() => {
                    let now = clock();
                    match store.try_lease(name, &holder.id, holder.ttl, now).await {
                        Ok(true) => {
                            held_until = now + chrono::Duration::from_std(holder.ttl).unwrap_or_default();
                        }
                        Ok(false) => break true,
                        // The database may come back before the lease runs out.
                        Err(e) if now < held_until => {
                            tracing::warn!(job = name, error = %e, "Cannot renew the job's lease; retrying.");
                        }
                        Err(_) => break true,
                    }
                }
            }
        };
        let _ = stop_tx.send(true);
        running.await;
        if lost {
            tracing::warn!(job = name, "The job's lease was lost; the job stopped.");
            continue 'waiting;
        }
        match store.release_lease(name, &holder.id).await {
            Ok(_) => tracing::info!(job = name, "Job stopped; lease released."),
            Err(e) => {
                tracing::warn!(job = name, error = %e, "Cannot release the job's lease; it runs out by itself.")
            }
        }
        return;
    }
}
