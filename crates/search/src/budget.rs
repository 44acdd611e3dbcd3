//! What one search may spend: a deadline, and a flag its caller raises when the answer is
//! no longer wanted (the client went away).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// The time a search may take and whether it has been called off. Cheap to check: the
/// search checks it between segments, every few thousand matching documents and before
/// every document it re-reads.
#[derive(Debug, Clone)]
pub struct Budget {
    deadline: Option<Instant>,
    allowed: Duration,
    cancelled: Arc<AtomicBool>,
}

impl Budget {
    /// No deadline (the command line and tests); it can still be cancelled.
    pub fn unlimited() -> Budget {
        Budget { deadline: None, allowed: Duration::MAX, cancelled: Arc::default() }
    }

    /// At most `allowed` from now.
    pub fn with_timeout(allowed: Duration) -> Budget {
        Budget { deadline: Instant::now().checked_add(allowed), allowed, cancelled: Arc::default() }
    }

    /// A guard that cancels the search when dropped, unless [`CancelOnDrop::disarm`]ed
    /// first: a web handler holds it, so a client that disconnects stops its search.
    pub fn cancel_on_drop(&self) -> CancelOnDrop {
        CancelOnDrop { cancelled: Some(self.cancelled.clone()) }
    }

    /// Whether the search was called off.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Time left before the deadline (`None` without one).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Fails when the search was cancelled or its time is up.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            return Err(Error::Cancelled);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::TooExpensive { allowed: self.allowed });
        }
        Ok(())
    }
}

/// Cancels a search when dropped (see [`Budget::cancel_on_drop`]).
#[derive(Debug)]
pub struct CancelOnDrop {
    cancelled: Option<Arc<AtomicBool>>,
}

impl CancelOnDrop {
    /// The search finished: dropping the guard no longer cancels anything.
    pub fn disarm(mut self) {
        self.cancelled = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(flag) = &self.cancelled {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_guard_cancels_and_a_disarmed_one_does_not() {
        let b = Budget::unlimited();
        b.cancel_on_drop().disarm();
        assert!(b.check().is_ok());
        drop(b.cancel_on_drop());
        assert!(matches!(b.check(), Err(Error::Cancelled)));
    }

    #[test]
    fn a_spent_budget_says_how_much_was_allowed() {
        let b = Budget::with_timeout(Duration::ZERO);
        match b.check() {
            Err(Error::TooExpensive { allowed }) => assert_eq!(allowed, Duration::ZERO),
            other => panic!("{other:?}"),
        }
        assert_eq!(b.remaining(), Some(Duration::ZERO));
        assert!(Budget::unlimited().remaining().is_none());
    }
}
