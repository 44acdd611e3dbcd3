//! When to poll a source next. Pure functions of the source, what it published and the
//! clock (the jitter is passed in, so tests choose it).
//!
//! A source's configured interval is the most often it is polled. A source that publishes
//! rarely is polled less often, up to a ceiling, because most of its polls would find
//! nothing; the server's own freshness hint (`Cache-Control`, `Expires`) is never
//! undercut. Errors back off exponentially, never sooner than `Retry-After`.

use std::time::Duration;

use chrono::TimeDelta;
use model::{Source, Timestamp};

/// Publications looked at to estimate a source's rate.
pub(crate) const RATE_WINDOW: i64 = 10;

/// Polls per typical gap between a source's publications. Each publication costs one full
/// download however often the feed is polled, so the polls after the first in a gap are
/// conditional requests a server answers with a cheap 304. At two per gap only about half
/// the repeat polls were; at three about two in three are, and a new item waits about a
/// sixth of a gap instead of a quarter.
const POLLS_PER_GAP: i64 = 3;

/// The interval after a successful poll, in seconds: about a third of the typical gap
/// between the source's publications (see [`POLLS_PER_GAP`]), within
/// `[source.interval_secs, max_interval]`, and at least the server's freshness hint.
pub(crate) fn adaptive_interval(
    source: &Source,
    published: &[Timestamp],
    fresh_for: Option<Duration>,
    max_interval: Duration,
    now: Timestamp,
) -> i64 {
    let floor = source.interval_secs.max(1);
    let ceiling = i64::try_from(max_interval.as_secs()).unwrap_or(i64::MAX).max(floor);
    let mut interval = floor;
    // Newest first; at least three publications make two gaps worth a median.
    if published.len() >= 3 {
        let mut gaps: Vec<i64> =
            published.windows(2).map(|w| (w[0] - w[1]).num_seconds().max(0)).collect();
        gaps.sort_unstable();
        let median = gaps[gaps.len() / 2];
        let quiet_for = (now - published[0]).num_seconds().max(0);
        // A source that has gone quiet for longer than its usual gap has slowed down.
        let typical = if quiet_for > 2 * median { quiet_for } else { median };
        interval = (typical / POLLS_PER_GAP).clamp(floor, ceiling);
    }
    if let Some(hint) = fresh_for {
        let hint = i64::try_from(hint.as_secs()).unwrap_or(i64::MAX).min(ceiling);
        interval = interval.max(hint);
    }
    interval
}

/// `now + interval`, moved by `jitter` (a fraction in `[-1, 1]`) times a tenth of the
/// interval, so sources added together do not stay in lockstep.
pub(crate) fn next_poll(interval_secs: i64, jitter: f64, now: Timestamp) -> Timestamp {
    let spread = interval_secs as f64 * 0.1 * jitter.clamp(-1.0, 1.0);
    now + TimeDelta::milliseconds(((interval_secs as f64 + spread) * 1000.0) as i64)
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
    use model::{ArticleFetch, FetchState, SourceKind, SourceOrigin, SourceTier};

    fn source(interval_secs: i64) -> Source {
        Source {
            id: 1,
            name: "Báo".to_owned(),
            url: "https://bao.vn/rss".to_owned(),
            kind: SourceKind::Feed,
            tier: SourceTier::Press,
            interval_secs,
            allow_private: false,
            enabled: true,
            origin: SourceOrigin::Config,
            fetch_articles: ArticleFetch::Auto,
            category: None,
            home_province: None,
            state: FetchState::default(),
        }
    }

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

    #[test]
    fn the_interval_follows_the_publication_rate() {
        let now = Utc::now();
        let every = |minutes: i64, n: i64| -> Vec<Timestamp> {
            (0..n).map(|i| now - TimeDelta::minutes(minutes * i)).collect()
        };
        let max = Duration::from_secs(6 * 3600);
        let s = source(300);
        // A new item every 2 hours: poll every 40 minutes.
        assert_eq!(adaptive_interval(&s, &every(120, 10), None, max, now), 2400);
        // Busier than the configured interval allows: the configured interval.
        assert_eq!(adaptive_interval(&s, &every(2, 10), None, max, now), 300);
        // Once a day: capped at the ceiling.
        assert_eq!(adaptive_interval(&s, &every(24 * 60, 10), None, max, now), 6 * 3600);
        // Too little history: the configured interval.
        assert_eq!(adaptive_interval(&s, &every(120, 2), None, max, now), 300);
        // Busy once, silent for 5 hours since: slowed down.
        let stale: Vec<Timestamp> =
            every(10, 10).into_iter().map(|t| t - TimeDelta::hours(5)).collect();
        assert_eq!(adaptive_interval(&s, &stale, None, max, now), 5 * 3600 / 3);
    }

    #[test]
    fn the_servers_freshness_hint_is_respected_within_the_ceiling() {
        let now = Utc::now();
        let max = Duration::from_secs(3600);
        let s = source(300);
        assert_eq!(adaptive_interval(&s, &[], Some(Duration::from_secs(900)), max, now), 900);
        assert_eq!(adaptive_interval(&s, &[], Some(Duration::from_secs(86_400)), max, now), 3600);
        assert_eq!(adaptive_interval(&s, &[], Some(Duration::from_secs(10)), max, now), 300);
    }

    #[test]
    fn jitter_spreads_by_a_tenth() {
        let now = Utc::now();
        let at = |j| (next_poll(600, j, now) - now).num_seconds();
        assert_eq!(at(0.0), 600);
        assert_eq!(at(1.0), 660);
        assert_eq!(at(-1.0), 540);
        assert_eq!(at(7.0), 660);
    }
}
