//! When to poll a source next. Pure functions of the source and the clock.

use std::time::Duration;

use chrono::TimeDelta;
use model::{Source, Timestamp};

/// Next poll after a success: one interval later.
pub(crate) fn next_poll_after_success(source: &Source, now: Timestamp) -> Timestamp {
    now + TimeDelta::seconds(source.interval_secs.max(1))
}

/// Next poll after the `errors`-th consecutive failure: the interval doubled per error, at
/// most `max_backoff`, and never sooner than the server's `Retry-After`.
pub fn next_poll_after_error(
    interval_secs: i64,
    errors: i64,
    retry_after: Option<Duration>,
    max_backoff: Duration,
    now: Timestamp,
) -> Timestamp {
    let factor = 1_i64 << errors.clamp(0, 20);
    let max = i64::try_from(max_backoff.as_secs()).unwrap_or(i64::MAX);
    let mut secs = interval_secs.max(1).saturating_mul(factor).min(max);
    if let Some(ra) = retry_after {
        secs = secs.max(i64::try_from(ra.as_secs()).unwrap_or(i64::MAX));
    }
    now + TimeDelta::seconds(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn back_off_doubles_and_is_capped() {
        let now = Utc::now();
        let max = Duration::from_secs(3600);
        let at =
            |errors, ra| (next_poll_after_error(300, errors, ra, max, now) - now).num_seconds();
        assert_eq!(at(1, None), 600);
        assert_eq!(at(2, None), 1200);
        assert_eq!(at(9, None), 3600);
        assert_eq!(at(1, Some(Duration::from_secs(7200))), 7200);
    }
}
