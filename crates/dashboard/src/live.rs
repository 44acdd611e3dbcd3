//! Live updates: `GET /events`, a Server-Sent Events stream of every alert event as it is
//! written, and `/static/live.js`, the one script of the dashboard, which follows it on the
//! pages that ask (a `data-live` attribute) and refreshes the rows of the alerts that changed.
//! Pages work the same without it, by reloading.
//!
//! One poller per running dashboard reads the event table as soon as the store announces
//! new events (a PostgreSQL notification, sent by whichever process wrote them) and about
//! once a second otherwise (every few seconds while notifications arrive), and broadcasts
//! what is new to every open stream; it runs only while somebody listens. A
//! stream starts where its page was rendered (`?after=`) or where the browser's previous
//! stream stopped (`Last-Event-ID`): it first catches up from the table, then follows the
//! broadcast. A stream that falls behind the broadcast ends, and the browser reconnects
//! from its last event, catching up again; so does every stream after ten minutes, so the
//! login is checked again.
//!
//! Event ids come from a sequence, and on PostgreSQL two transactions may commit out of id
//! order: the poller waits a few seconds for a missing id before giving up on it, so a late
//! commit is still delivered (see [`Follower`]).

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use model::AlertEvent;
use serde::{Deserialize, Serialize};
use store::Store;
use tokio::sync::{Semaphore, broadcast, watch};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// How often the poller reads the event table.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How often it reads it while the store's notifications arrive: only a safety net then.
const LISTENING_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Events read per query.
const BATCH: i64 = 200;
/// Events a stream may lag behind the broadcast before it is ended.
const CHANNEL_CAPACITY: usize = 512;
/// The most events a reconnecting stream catches up on; further behind, the page is told
/// to reload instead.
const MAX_CATCH_UP: usize = 1000;
/// The comment sent when nothing else was, so proxies keep the connection open.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How long a browser waits before reconnecting.
const RETRY: Duration = Duration::from_secs(3);
/// Streams open at once; more are answered 503.
const MAX_STREAMS: usize = 512;
/// How long the poller waits for an event id that is missing while later ones are there.
const GAP_WAIT: Duration = Duration::from_secs(5);
/// The widest span of ids the poller keeps track of.
const MAX_GAP_SPAN: i64 = 10_000;
/// How long one stream lasts. The browser then reconnects from its last event, and the
/// login is checked again: a session that ended or an account disabled stops receiving.
const MAX_STREAM_AGE: Duration = Duration::from_secs(10 * 60);

/// An event as the stream sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveEvent {
    pub(crate) id: i64,
    pub(crate) json: String,
}

#[derive(Serialize)]
struct EventJson<'a> {
    id: i64,
    alert_id: i64,
    action: &'static str,
    action_label: &'static str,
    from: &'static str,
    to: &'static str,
    state_label: &'static str,
    actor: Option<&'a str>,
    at: String,
}

impl LiveEvent {
    pub(crate) fn new(e: &AlertEvent) -> LiveEvent {
        let body = EventJson {
            id: e.id,
            alert_id: e.alert_id,
            action: e.action.as_str(),
            action_label: e.action.label(),
            from: e.from.as_str(),
            to: e.to.as_str(),
            state_label: e.to.label(),
            actor: e.actor.as_ref().map(|(_, name)| name.as_str()),
            at: e.at.to_rfc3339(),
        };
        LiveEvent { id: e.id, json: serde_json::to_string(&body).unwrap_or_default() }
    }
}

/// Follows the event table by id, tolerating ids that appear late.
///
/// Everything up to `floor` has been delivered or given up on; above it, `seen` holds the
/// ids delivered and `gaps` the missing ones with when they were first missed.
#[derive(Debug)]
pub(crate) struct Follower {
    floor: i64,
    seen: BTreeSet<i64>,
    gaps: BTreeMap<i64, Instant>,
}

impl Follower {
    pub(crate) fn new(after: i64) -> Follower {
        Follower { floor: after, seen: BTreeSet::new(), gaps: BTreeMap::new() }
    }

    /// Where the next read starts (exclusive).
    pub(crate) fn floor(&self) -> i64 {
        self.floor
    }

    /// Takes a batch read after [`Follower::floor`], in id order; returns the events not
    /// delivered before.
    pub(crate) fn take(&mut self, batch: &[AlertEvent], now: Instant) -> Vec<LiveEvent> {
        let mut fresh = Vec::new();
        for e in batch {
            if e.id > self.floor && self.seen.insert(e.id) {
                self.gaps.remove(&e.id);
                fresh.push(LiveEvent::new(e));
            }
        }
        if let Some(&max) = self.seen.last() {
            if max - self.floor > MAX_GAP_SPAN {
                // Too far apart to wait for: forget the oldest.
                self.floor = max - MAX_GAP_SPAN;
                self.seen.retain(|&id| id > self.floor);
                self.gaps.retain(|&id, _| id > self.floor);
            }
            for id in self.floor + 1..max {
                if !self.seen.contains(&id) {
                    self.gaps.entry(id).or_insert(now);
                }
            }
        }
        loop {
            let next = self.floor + 1;
            if self.seen.remove(&next) {
                self.floor = next;
                continue;
            }
            match self.gaps.get(&next) {
                Some(&since) if now.saturating_duration_since(since) >= GAP_WAIT => {
                    self.gaps.remove(&next);
                    self.floor = next;
                }
                _ => break,
            }
        }
        fresh
    }
}

/// The broadcast of new events to every open stream, and the poller behind it.
#[derive(Clone)]
pub(crate) struct Hub {
    running: Arc<Mutex<Option<broadcast::Sender<Arc<LiveEvent>>>>>,
    closing: Arc<watch::Sender<bool>>,
    streams: Arc<Semaphore>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            running: Arc::new(Mutex::new(None)),
            closing: Arc::new(watch::channel(false).0),
            streams: Arc::new(Semaphore::new(MAX_STREAMS)),
        }
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Hub {
    /// Ends every stream and the poller: the server is stopping, and a stream never ends
    /// by itself.
    pub(crate) fn close(&self) {
        self.closing.send_replace(true);
    }

    /// A receiver of every event after `head` (the latest id when the caller looked),
    /// starting the poller there if none runs.
    fn subscribe(&self, store: &Store, head: i64) -> broadcast::Receiver<Arc<LiveEvent>> {
        let mut running = locked(&self.running);
        if let Some(tx) = running.as_ref() {
            return tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(CHANNEL_CAPACITY);
        *running = Some(tx.clone());
        tokio::spawn(poll(store.clone(), tx, self.running.clone(), self.closing.subscribe(), head));
        rx
    }
}

/// Reads new events and broadcasts them until nobody listens or the hub closes.
async fn poll(
    store: Store,
    tx: broadcast::Sender<Arc<LiveEvent>>,
    running: Arc<Mutex<Option<broadcast::Sender<Arc<LiveEvent>>>>>,
    mut closing: watch::Receiver<bool>,
    head: i64,
) {
    let mut follower = Follower::new(head);
    let mut wakeups = store.wakeups(store::Topic::AlertEvents);
    loop {
        {
            // Checked under the lock a new stream subscribes under, so none is left
            // listening to a poller that has stopped.
            let mut slot = locked(&running);
            if tx.receiver_count() == 0 || *closing.borrow() {
                *slot = None;
                return;
            }
        }
        let mut again = false;
        match store.events_after(follower.floor(), BATCH).await {
            Ok(batch) => {
                let fresh = follower.take(&batch, Instant::now());
                again = batch.len() as i64 == BATCH && !fresh.is_empty();
                for e in fresh {
                    // Nobody listening now is not an error: the check above ends the loop.
                    let _ = tx.send(Arc::new(e));
                }
            }
            Err(e) => tracing::warn!(error = %e, "Cannot read alert events for live updates."),
        }
        if !again {
            let pause = if wakeups.listening() { LISTENING_POLL_INTERVAL } else { POLL_INTERVAL };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = wakeups.next() => {}
                _ = closing.changed() => {}
            }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct EventParams {
    /// The last event the page knew of when it was rendered.
    after: Option<String>,
}

/// A stream's state between two events it sends.
struct Stream {
    store: Store,
    rx: broadcast::Receiver<Arc<LiveEvent>>,
    closing: watch::Receiver<bool>,
    /// The latest id sent, which the browser sends back when it reconnects.
    cursor: i64,
    /// Where the stream started: nothing at or before it is sent.
    start: i64,
    /// Catching up from the table, before following the broadcast.
    catching_up: bool,
    caught: usize,
    /// Ids sent while catching up, which the broadcast may carry again.
    sent: HashSet<i64>,
    queue: VecDeque<Event>,
    /// When the stream ends by itself.
    until: tokio::time::Instant,
    /// The stream's place among [`MAX_STREAMS`], given back when it ends.
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Stream {
    fn push(&mut self, e: &LiveEvent) {
        self.cursor = self.cursor.max(e.id);
        self.queue.push_back(Event::default().id(self.cursor.to_string()).data(e.json.clone()));
    }

    /// The next event to send; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Some(e);
            }
            if *self.closing.borrow() || tokio::time::Instant::now() >= self.until {
                return None;
            }
            if self.catching_up {
                let batch = match self.store.events_after(self.cursor, BATCH).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(error = %e, "Cannot read alert events for a live stream.");
                        // The browser reconnects and tries again from its last event.
                        return None;
                    }
                };
                self.catching_up = batch.len() as i64 == BATCH;
                self.caught += batch.len();
                if self.caught > MAX_CATCH_UP {
                    // Too far behind to replay: the page reloads instead.
                    self.catching_up = false;
                    if let Ok(head) = self.store.last_event_id().await {
                        self.cursor = self.cursor.max(head);
                    }
                    self.queue.push_back(
                        Event::default().event("reset").id(self.cursor.to_string()).data("{}"),
                    );
                    continue;
                }
                for e in &batch {
                    self.sent.insert(e.id);
                    self.push(&LiveEvent::new(e));
                }
                continue;
            }
            tokio::select! {
                got = self.rx.recv() => match got {
                    Ok(e) => {
                        if e.id > self.start && !self.sent.contains(&e.id) {
                            self.push(&e);
                        }
                    }
                    // Fallen behind, or the poller is gone: the browser reconnects from
                    // its last event and catches up.
                    Err(_) => return None,
                },
                _ = self.closing.changed() => return None,
                () = tokio::time::sleep_until(self.until) => return None,
            }
        }
    }
}

/// `GET /events`: the event stream, for any logged-in user.
pub(crate) async fn events(
    State(state): State<AppState>,
    _user: CurrentUser,
    headers: HeaderMap,
    Query(p): Query<EventParams>,
) -> Result<Response, AppError> {
    let Ok(permit) = state.live.streams.clone().try_acquire_owned() else {
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, HeaderValue::from_static("30"))],
            "Quá nhiều kết nối cập nhật trực tiếp, vui lòng thử lại sau.",
        )
            .into_response());
    };
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(p.after.as_deref())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|&id| id >= 0);
    // Read before subscribing: whatever comes after is broadcast, whatever came before is
    // in the table for the catch-up.
    let head = state.store.last_event_id().await?;
    let rx = state.live.subscribe(&state.store, head);
    let start = resume.unwrap_or(head);
    let stream = Stream {
        store: state.store.clone(),
        rx,
        closing: state.live.closing.subscribe(),
        cursor: start,
        start,
        catching_up: resume.is_some(),
        caught: 0,
        sent: HashSet::new(),
        queue: VecDeque::from([Event::default().retry(RETRY).comment("live")]),
        until: tokio::time::Instant::now() + MAX_STREAM_AGE,
        _permit: permit,
    };
    let events = futures_util::stream::unfold(stream, |mut s| async move {
        let e = s.next().await?;
        Some((Ok::<_, std::convert::Infallible>(e), s))
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("ping"))
        .into_response();
    // Proxies that buffer responses would hold the events back.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// The live-update script: the same for everybody, so it may be cached a while.
pub(crate) async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../static/live.js"),
    )
}

/// The stream and the script.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/events", get(events)).route("/static/live.js", get(script))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use model::{AlertAction, AlertState};

    use super::*;

    fn event(id: i64) -> AlertEvent {
        AlertEvent {
            id,
            alert_id: 7,
            at: Utc::now(),
            actor: Some((1, "lan".to_owned())),
            action: AlertAction::Acknowledge,
            from: AlertState::New,
            to: AlertState::Acknowledged,
            note: Some("ghi chú riêng".to_owned()),
            data: None,
        }
    }

    fn ids(events: &[LiveEvent]) -> Vec<i64> {
        events.iter().map(|e| e.id).collect()
    }

    #[test]
    fn an_event_is_sent_without_its_note() {
        let e = LiveEvent::new(&event(3));
        let v: serde_json::Value = serde_json::from_str(&e.json).unwrap_or_default();
        assert_eq!(v["action"], "acknowledge");
        assert_eq!(v["action_label"], "Tiếp nhận");
        assert_eq!((v["from"].as_str(), v["to"].as_str()), (Some("new"), Some("acknowledged")));
        assert_eq!(v["state_label"], "Đã tiếp nhận");
        assert_eq!(v["actor"], "lan");
        assert!(!e.json.contains("ghi chú"), "{}", e.json);
    }

    #[test]
    fn the_follower_delivers_each_event_once_and_waits_for_late_ids() {
        let t0 = Instant::now();
        let mut f = Follower::new(10);
        let batch: Vec<AlertEvent> = [11, 12].map(event).to_vec();
        assert_eq!(ids(&f.take(&batch, t0)), [11, 12]);
        assert_eq!(f.floor(), 12);
        // 14 commits before 13: delivered, and the floor waits below 13.
        assert_eq!(ids(&f.take(&[event(14)], t0)), [14]);
        assert_eq!(f.floor(), 12);
        // The same read again delivers nothing twice.
        assert!(f.take(&[event(14)], t0 + Duration::from_secs(1)).is_empty());
        // 13 arrives late: delivered, and the floor moves past both.
        assert_eq!(ids(&f.take(&[event(13), event(14)], t0 + Duration::from_secs(2))), [13]);
        assert_eq!(f.floor(), 14);
        // An id that never comes (a rolled-back transaction) is given up after a while.
        assert_eq!(ids(&f.take(&[event(16)], t0)), [16]);
        assert_eq!(f.floor(), 14);
        assert!(f.take(&[event(16)], t0 + GAP_WAIT).is_empty());
        assert_eq!(f.floor(), 16);
        // A huge jump does not make it track every id in between.
        assert_eq!(ids(&f.take(&[event(1_000_000)], t0)), [1_000_000]);
        assert!(f.gaps.len() as i64 <= MAX_GAP_SPAN);
    }
}
