//! Spike detection at national scale: 100 topics × (34 provinces + the national series) ×
//! two years of daily counts, through every method's production detector (a full
//! backfill), the production scan of the latest day of every series, and building the
//! series from a million sightings. The peer is the goal the product sets itself: a whole
//! scan within one second.

use std::time::Instant;

use anyhow::{Result, ensure};
use chrono::{DateTime, TimeDelta, Utc};
use signals::{Bucket, Detector, Method, Params, Record, Series, SeriesKey, assess, build_series};

use crate::lcg::Lcg;
use crate::line;

const TOPICS: usize = 100;
const PROVINCES: usize = 34;
const DAYS: usize = 730;

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_704_042_000, 0).expect("a valid instant")
}

fn series(rng: &mut Lcg) -> Vec<Series> {
    let mut out = Vec::with_capacity(TOPICS * (PROVINCES + 1));
    for topic in 0..TOPICS {
        let name = format!("topic-{topic:03}");
        for area in 0..=PROVINCES {
            let rate = if area == 0 { 40.0 } else { 0.2 + 5.0 * rng.next() };
            let counts = (0..DAYS)
                .map(|d| {
                    let weekday = if d % 7 < 5 { 1.0 } else { 0.4 };
                    let burst = if rng.next() < 0.01 { 6.0 } else { 1.0 };
                    rng.poisson(rate * weekday * burst)
                })
                .collect();
            let key = if area == 0 {
                SeriesKey::national(&name)
            } else {
                SeriesKey::province(&name, &format!("{area:02}"))
            };
            out.push(Series::from_counts(key, Bucket::Day, start(), counts));
        }
    }
    out
}

/// The budget a spike scan of every series has, in seconds.
const GOAL_SECONDS: f64 = 1.0;

fn timed(metric: &str, seconds: f64, items: usize, unit: &str) -> serde_json::Value {
    line(
        "signals",
        metric,
        seconds,
        GOAL_SECONDS,
        serde_json::json!({
            "unit": "seconds",
            "peer_is": "the goal: one second",
            "items": items,
            "items_unit": unit,
            "per_second": (items as f64 / seconds).round(),
        }),
    )
}

pub(crate) fn run() -> Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    let mut rng = Lcg(2026);
    let all = series(&mut rng);
    let rows_total = all.len() * DAYS;
    for m in Method::ALL {
        let d = Detector::production(m);
        let started = Instant::now();
        let mut alerts = 0usize;
        for s in &all {
            alerts +=
                d.rows(s.counts(), s.bucket.lags()).iter().flatten().filter(|r| r.alert).count();
        }
        let secs = started.elapsed().as_secs_f64();
        ensure!(alerts > 0, "{} raised no alert on series with bursts", m.name());
        out.push(timed(&format!("backfill_{}", m.name()), secs, rows_total, "rows"));
    }

    let params = Params::production();
    let now = start() + TimeDelta::days(DAYS as i64) + TimeDelta::hours(1);
    let started = Instant::now();
    let mut assessed = 0usize;
    for s in &all {
        assessed += usize::from(assess(s, &params, None, now).is_some());
    }
    out.push(timed("scan_latest_day", started.elapsed().as_secs_f64(), assessed, "series"));

    // A million sightings over the two years, each with two topics and a province.
    let records: Vec<Record> = (0..1_000_000i64)
        .map(|i| {
            let at = start() + TimeDelta::seconds((rng.next() * (DAYS as f64) * 86_400.0) as i64);
            let topic = (rng.next() * TOPICS as f64) as usize;
            Record {
                at,
                story: i / 3,
                source: (rng.next() * 500.0) as i64,
                topics: vec![
                    format!("topic-{topic:03}"),
                    format!("topic-{:03}", (topic + 7) % TOPICS),
                ],
                province: Some(format!("{:02}", 1 + (rng.next() * PROVINCES as f64) as usize)),
            }
        })
        .collect();
    let started = Instant::now();
    let built = build_series(&records, Bucket::Day, start(), now);
    ensure!(built.len() > TOPICS * PROVINCES, "too few series built: {}", built.len());
    out.push(timed(
        "build_daily_series",
        started.elapsed().as_secs_f64(),
        records.len(),
        "records",
    ));
    Ok(out)
}
