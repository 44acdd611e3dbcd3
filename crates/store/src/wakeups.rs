//! Wake-ups across processes: on PostgreSQL, writes that other processes wait for (new
//! documents, alert events, messages to deliver) send a `NOTIFY` in their transaction, which the server delivers
//! to every listening session when it commits and never when it rolls back; one listening
//! connection per process ([`Store::wakeups`]) turns them into wake-ups for whoever
//! subscribed. SQLite has no such thing: its wake-ups never come.
//!
//! A wake-up says only "look again"; the table is the truth. Callers keep polling as the
//! safety net, because a notification sent while the listening connection was down is lost
//! (every subscriber is woken when it reconnects, for that reason) and SQLite sends none.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::{Result, Store};

/// What a wake-up is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// New documents were stored.
    Documents,
    /// Alert events were written (an alert opened, acknowledged, grew back…).
    AlertEvents,
    /// Messages were written to the outbox.
    Outbox,
}

impl Topic {
    const ALL: [Topic; 3] = [Topic::Documents, Topic::AlertEvents, Topic::Outbox];

    /// The PostgreSQL channel it is sent on.
    pub fn channel(self) -> &'static str {
        match self {
            Topic::Documents => "langnghe_documents",
            Topic::AlertEvents => "langnghe_alert_events",
            Topic::Outbox => "langnghe_outbox",
        }
    }

    fn slot(self) -> usize {
        match self {
            Topic::Documents => 0,
            Topic::AlertEvents => 1,
            Topic::Outbox => 2,
        }
    }
}

/// The longest wait between two attempts to connect the listener.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Sends `topic`'s notification on `conn`, inside the caller's transaction: it is
/// delivered when the transaction commits, once however many times it was sent (the
/// server folds identical notifications of one transaction). Nothing on SQLite.
pub(crate) async fn publish(conn: &mut AnyConnection, topic: Topic) -> Result<()> {
    if conn.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    sqlx::query(&format!("NOTIFY {}", topic.channel())).execute(&mut *conn).await?;
    Ok(())
}

/// The process's listener and its subscribers, shared by every clone of a store; empty on
/// SQLite.
#[derive(Clone, Default)]
pub(crate) struct Hub(Option<Arc<Shared>>);

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Hub(postgres)" } else { "Hub(none)" })
    }
}

struct Shared {
    url: String,
    /// A counter per topic, raised at each wake-up; subscribers watch it.
    counters: [watch::Sender<u64>; 3],
    /// Whether the listening connection is up now.
    listening: AtomicBool,
    /// Whether the listening task runs.
    started: Mutex<bool>,
    closing: watch::Sender<bool>,
}

impl Shared {
    fn wake(&self, topic: Topic) {
        self.counters[topic.slot()].send_modify(|n| *n = n.wrapping_add(1));
    }

    fn wake_all(&self) {
        for topic in Topic::ALL {
            self.wake(topic);
        }
    }
}

impl Hub {
    /// The hub of a PostgreSQL database at `url`: its listener connects on first use.
    pub(crate) fn postgres(url: &str) -> Hub {
        Hub(Some(Arc::new(Shared {
            url: url.to_owned(),
            counters: [watch::channel(0).0, watch::channel(0).0, watch::channel(0).0],
            listening: AtomicBool::new(false),
            started: Mutex::new(false),
            closing: watch::channel(false).0,
        })))
    }

    /// Stops the listener for good.
    pub(crate) fn close(&self) {
        if let Some(shared) = &self.0 {
            shared.closing.send_replace(true);
        }
    }

    fn subscribe(&self, topic: Topic) -> Wakeups {
        let Some(shared) = &self.0 else { return Wakeups { rx: None, shared: None } };
        let rx = shared.counters[topic.slot()].subscribe();
        let mut started = shared.started.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !*started && !*shared.closing.borrow() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    *started = true;
                    runtime.spawn(listen(
                        Arc::downgrade(shared),
                        shared.url.clone(),
                        shared.closing.subscribe(),
                    ));
                }
                // Without a runtime nothing could wait for a wake-up anyway.
                Err(_) => tracing::debug!("No runtime to listen for database notifications on."),
            }
        }
        Wakeups { rx: Some(rx), shared: Some(shared.clone()) }
    }
}

/// Completes when `closing` says so or its store is gone.
async fn closed(closing: &mut watch::Receiver<bool>) {
    let _ = closing.wait_for(|c| *c).await;
}

/// The listening task: connects, listens on every topic's channel and raises the counter
/// of each notification's topic; after a lost connection it wakes everybody (what was
/// sent meanwhile is lost) and connects again, waiting longer after each failure.
async fn listen(shared: Weak<Shared>, url: String, mut closing: watch::Receiver<bool>) {
    let channels: Vec<&str> = Topic::ALL.iter().map(|t| t.channel()).collect();
    let mut backoff = Duration::from_secs(1);
    loop {
        let connected = tokio::select! {
            () = closed(&mut closing) => return,
            c = async {
                let mut listener = PgListener::connect(&url).await?;
                listener.listen_all(channels.iter().copied()).await?;
                Ok::<_, sqlx::Error>(listener)
            } => c,
        };
        match connected {
            Ok(mut listener) => {
                let Some(s) = shared.upgrade() else { return };
                s.listening.store(true, Ordering::Relaxed);
                // Whatever was written while nobody listened is looked at now.
                s.wake_all();
                drop(s);
                backoff = Duration::from_secs(1);
                tracing::debug!("Listening for database notifications.");
                loop {
                    let got = tokio::select! {
                        () = closed(&mut closing) => return,
                        got = listener.try_recv() => got,
                    };
                    let Some(s) = shared.upgrade() else { return };
                    match got {
                        Ok(Some(n)) => {
                            if let Some(topic) =
                                Topic::ALL.into_iter().find(|t| t.channel() == n.channel())
                            {
                                s.wake(topic);
                            }
                        }
                        // The connection dropped and was made again: anything may have
                        // been missed in between.
                        Ok(None) => {
                            tracing::info!(
                                "The database notification connection was re-established."
                            );
                            s.wake_all();
                        }
                        Err(error) => {
                            s.listening.store(false, Ordering::Relaxed);
                            s.wake_all();
                            tracing::warn!(error = %error, "Lost the database notification connection; polling until it is back.");
                            break;
                        }
                    }
                }
            }
            Err(error) => {
                if let Some(s) = shared.upgrade() {
                    s.listening.store(false, Ordering::Relaxed);
                }
                tracing::warn!(error = %error, retry_secs = backoff.as_secs(), "Cannot listen for database notifications; polling until it can.");
            }
        }
        tokio::select! {
            () = closed(&mut closing) => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// A subscription to one topic's wake-ups.
pub struct Wakeups {
    rx: Option<watch::Receiver<u64>>,
    shared: Option<Arc<Shared>>,
}

impl std::fmt::Debug for Wakeups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wakeups").field("listening", &self.listening()).finish()
    }
}

impl Wakeups {
    /// Completes at the next wake-up since the last one this subscription saw (several
    /// meanwhile count as one); never on SQLite or after the store closed.
    pub async fn next(&mut self) {
        match &mut self.rx {
            Some(rx) => {
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    }

    /// Whether wake-ups are being received now: a caller may poll less often while so.
    pub fn listening(&self) -> bool {
        self.shared.as_ref().is_some_and(|s| s.listening.load(Ordering::Relaxed))
    }
}

impl Store {
    /// Wake-ups for `topic`: on PostgreSQL, each time another process (or this one)
    /// commits a write of that kind; on SQLite, none.
    pub fn wakeups(&self, topic: Topic) -> Wakeups {
        self.wakeups.subscribe(topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits at most `limit` for a wake-up; whether one came.
    async fn woken(w: &mut Wakeups, limit: Duration) -> bool {
        tokio::time::timeout(limit, w.next()).await.is_ok()
    }

    async fn listening(w: &Wakeups) {
        for _ in 0..200 {
            if w.listening() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the listener did not connect");
    }

    /// Two stores on one fresh PostgreSQL database: two processes as far as the server can
    /// tell. None (the test skips) when no test database is configured.
    async fn two_processes() -> Option<(Store, Store)> {
        let Some(base) = crate::testing::postgres_base_url() else {
            eprintln!("skipped: LANGNGHE_TEST_POSTGRES_URL is not set");
            return None;
        };
        let url = crate::testing::fresh_postgres_url(&base).await;
        let store = Store::open(&url).await.expect("open postgres");
        let other = Store::open(&url).await.expect("open postgres again");
        Some((store, other))
    }

    #[tokio::test]
    async fn a_committed_notification_wakes_and_a_rolled_back_one_does_not() {
        let Some((store, other)) = two_processes().await else { return };
        let mut docs = store.wakeups(Topic::Documents);
        let mut events = store.wakeups(Topic::AlertEvents);
        listening(&docs).await;
        // Connecting wakes everybody once, for what may have been missed before.
        assert!(woken(&mut docs, Duration::from_secs(5)).await);
        assert!(woken(&mut events, Duration::from_secs(5)).await);

        let mut tx = other.pool.begin().await.expect("begin");
        publish(&mut tx, Topic::Documents).await.expect("notify");
        tx.rollback().await.expect("rollback");
        assert!(!woken(&mut docs, Duration::from_millis(700)).await, "a rollback woke");

        let mut tx = other.pool.begin().await.expect("begin");
        publish(&mut tx, Topic::Documents).await.expect("notify");
        // Not before the commit.
        assert!(!woken(&mut docs, Duration::from_millis(300)).await, "woken before commit");
        tx.commit().await.expect("commit");
        assert!(woken(&mut docs, Duration::from_secs(5)).await, "a commit did not wake");
        // Only the topic sent.
        assert!(!woken(&mut events, Duration::from_millis(300)).await);

        // After the store closes, its listener stops and nothing more comes.
        store.close().await;
        let mut tx = other.pool.begin().await.expect("begin");
        publish(&mut tx, Topic::Documents).await.expect("notify");
        tx.commit().await.expect("commit");
        assert!(!woken(&mut docs, Duration::from_millis(500)).await);
        other.close().await;
    }

    #[tokio::test]
    async fn messages_written_to_the_outbox_wake_delivery_in_another_process() {
        let Some((store, other)) = two_processes().await else { return };
        let mut outbox = store.wakeups(Topic::Outbox);
        let mut docs = store.wakeups(Topic::Documents);
        listening(&outbox).await;
        assert!(woken(&mut outbox, Duration::from_secs(5)).await);
        assert!(woken(&mut docs, Duration::from_secs(5)).await);

        let now = chrono::Utc::now();
        let message = crate::NewOutgoing {
            dedupe_key: "wake:1".into(),
            kind: "alert".into(),
            channel: model::Channel::Email,
            recipient: "a@example.org".into(),
            subject: "Cảnh báo".into(),
            body: b"{}".to_vec(),
        };
        assert_eq!(other.enqueue(std::slice::from_ref(&message), now).await.expect("enqueue"), 1);
        assert!(woken(&mut outbox, Duration::from_secs(5)).await, "an enqueue did not wake");
        assert!(!woken(&mut docs, Duration::from_millis(300)).await, "another topic woke");
        // A message already in the outbox is not written again, and wakes nobody.
        assert_eq!(other.enqueue(&[message], now).await.expect("enqueue"), 0);
        assert!(!woken(&mut outbox, Duration::from_millis(500)).await, "nothing new woke");
        store.close().await;
        other.close().await;
    }

    #[tokio::test]
    async fn sqlite_never_wakes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open_sqlite(&dir.path().join("w.db")).await.expect("open sqlite");
        let mut docs = store.wakeups(Topic::Documents);
        assert!(!docs.listening());
        let mut tx = store.pool.begin().await.expect("begin");
        publish(&mut tx, Topic::Documents).await.expect("a no-op");
        tx.commit().await.expect("commit");
        assert!(!woken(&mut docs, Duration::from_millis(300)).await);
        store.close().await;
    }
}
