//! Politeness per host: at most `per_host` requests at a time to one host, and a minimum
//! delay between the end of one request and the start of the next (raised to the site's
//! `Crawl-delay` when its robots.txt asks for more).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

struct Slot {
    permits: Arc<Semaphore>,
    /// The earliest time the next request may start.
    next: Mutex<Instant>,
    /// The site's own wish, from robots.txt.
    crawl_delay: Mutex<Option<Duration>>,
}

/// The hosts being fetched from. Cheap to clone; clones share state.
#[derive(Clone)]
pub(crate) struct Hosts {
    slots: Arc<Mutex<HashMap<String, Arc<Slot>>>>,
    per_host: usize,
    delay: Duration,
}

/// The right to send one request to a host; dropping it starts the host's delay.
pub(crate) struct Turn {
    slot: Arc<Slot>,
    delay: Duration,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let wanted = self.slot.crawl_delay.lock().map(|d| *d).unwrap_or(None);
        let delay = self.delay.max(wanted.unwrap_or_default());
        if let Ok(mut next) = self.slot.next.lock() {
            *next = Instant::now() + delay;
        }
    }
}

impl Hosts {
    pub(crate) fn new(per_host: usize, delay: Duration) -> Hosts {
        Hosts { slots: Arc::default(), per_host: per_host.max(1), delay }
    }

    fn slot(&self, host: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        slots
            .entry(host.to_ascii_lowercase())
            .or_insert_with(|| {
                Arc::new(Slot {
                    permits: Arc::new(Semaphore::new(self.per_host)),
                    next: Mutex::new(Instant::now()),
                    crawl_delay: Mutex::new(None),
                })
            })
            .clone()
    }

    /// Waits for a turn at `host`: a free slot, then the end of the host's delay.
    pub(crate) async fn turn(&self, host: &str) -> Turn {
        let slot = self.slot(host);
        let permit =
            slot.permits.clone().acquire_owned().await.expect("a host's semaphore is never closed");
        let at = slot.next.lock().map(|n| *n).unwrap_or_else(|_| Instant::now());
        tokio::time::sleep_until(at).await;
        Turn { slot, delay: self.delay, _permit: permit }
    }

    /// Records the `Crawl-delay` a host's robots.txt asks for.
    pub(crate) fn set_crawl_delay(&self, host: &str, delay: Option<Duration>) {
        if let Ok(mut d) = self.slot(host).crawl_delay.lock() {
            *d = delay;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_request_at_a_time_with_a_delay_between() {
        let hosts = Hosts::new(1, Duration::from_millis(300));
        let start = Instant::now();
        let first = hosts.turn("Bao.VN").await;
        let h2 = hosts.clone();
        let second = tokio::spawn(async move {
            let _t = h2.turn("bao.vn").await;
            Instant::now()
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(first);
        let waited = second.await.unwrap() - start;
        // The second waits for the first to end (200 ms), then for the delay (300 ms).
        assert!(waited >= Duration::from_millis(500), "{waited:?}");
        // Another host does not wait for this one.
        let t = Instant::now();
        let _other = hosts.turn("khac.vn").await;
        assert!(t.elapsed() < Duration::from_millis(250), "{:?}", t.elapsed());
    }

    #[tokio::test]
    async fn crawl_delay_raises_the_delay() {
        let hosts = Hosts::new(1, Duration::from_millis(10));
        hosts.set_crawl_delay("a.vn", Some(Duration::from_millis(600)));
        drop(hosts.turn("a.vn").await);
        let t = Instant::now();
        let _again = hosts.turn("a.vn").await;
        assert!(t.elapsed() >= Duration::from_millis(600), "{:?}", t.elapsed());
    }
}
