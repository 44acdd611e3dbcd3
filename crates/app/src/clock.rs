//! The clock `serve`'s jobs (digest schedule, notifications, saved-search matches, outbox
//! delivery, leases, deadlines, spikes, corrections) and `langnghe digest` read: the system
//! clock, or, for tests, a clock that starts at `LANGNGHE_TEST_CLOCK_START` (RFC 3339) when
//! the process starts and runs at real speed. The pipeline and the dashboard keep the
//! system clock.

use chrono::{DateTime, NaiveDate, Utc};
use model::Timestamp;

/// The environment variable that moves the jobs' clock (tests only).
pub(crate) const CLOCK_START_ENV: &str = "LANGNGHE_TEST_CLOCK_START";

/// The jobs' clock: the system clock shifted by a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clock {
    offset: chrono::Duration,
}

impl Clock {
    /// A clock that reads `start` now and runs at real speed from there.
    pub(crate) fn starting_at(start: Timestamp) -> Clock {
        Clock { offset: start - Utc::now() }
    }

    /// The clock `LANGNGHE_TEST_CLOCK_START` asks for, else the system clock.
    #[allow(clippy::disallowed_methods)]
    pub(crate) fn from_env() -> anyhow::Result<Clock> {
        match std::env::var(CLOCK_START_ENV) {
            Ok(text) if !text.trim().is_empty() => {
                let start = DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
                    anyhow::anyhow!(
                        "{CLOCK_START_ENV} {text:?} is not an RFC 3339 time such as 2026-12-07T06:59:30+07:00: {e}"
                    )
                })?;
                let clock = Clock::starting_at(start.with_timezone(&Utc));
                tracing::warn!(start = %start, "The jobs' clock is moved by {CLOCK_START_ENV} (for tests).");
                Ok(clock)
            }
            _ => Ok(Clock { offset: chrono::Duration::zero() }),
        }
    }

    /// The time now.
    pub(crate) fn now(&self) -> Timestamp {
        Utc::now() + self.offset
    }

    /// The clock as the function the jobs take.
    pub(crate) fn reader(self) -> impl Fn() -> Timestamp + Clone + Send + Sync + 'static {
        move || self.now()
    }
}

/// Today in Vietnam by the jobs' clock: the default day of `langnghe digest`.
pub(crate) fn today_vn() -> NaiveDate {
    let now = Clock::from_env().map_or_else(|_| Utc::now(), |c| c.now());
    model::to_vn_time(now).date_naive()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_moved_clock_reads_its_start_and_runs_on() {
        let start = Utc.with_ymd_and_hms(2026, 12, 6, 23, 59, 30).unwrap();
        let clock = Clock::starting_at(start);
        let read = clock.now();
        // It starts where it was told and runs forward (an hour is beyond any test's pace).
        assert!(read >= start && read - start < chrono::Duration::hours(1), "{read}");
        assert!(clock.now() >= read);
    }
}
