//! `polling`: how many repeat polls a server answers 304 (Not Modified) when a source is
//! polled on the pipeline's adaptive schedule, and how late new items are collected, on a
//! simulated week of a Vietnamese outlet's health section served by a real HTTP server on
//! 127.0.0.1.
//!
//! The server publishes an item every 20 to 90 minutes between 06:00 and 22:00 (Vietnam
//! time) and every 2 to 5 hours at night, serves the 20 newest as RSS with an `ETag` and a
//! `Last-Modified`, and answers a matching `If-None-Match` with 304. Every poll is a real
//! conditional GET through `fetch::Client` and the answer is read with
//! `feeds::parse_feed`; the clock is simulated, and the next poll is chosen by the
//! pipeline's own schedule (`pipeline::adaptive_interval` from the publication times seen,
//! then `pipeline::next_poll` with jitter), within the default floor (5 minutes) and
//! ceiling (6 hours). The peer polls the same server every 5 minutes, as a fixed-interval
//! poller does.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration as Span, TimeZone, Timelike, Utc};
use model::{ArticleFetch, FetchState, Source, SourceKind, SourceOrigin, SourceTier, Timestamp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FLOOR_SECS: i64 = 300;
const CEILING: Duration = Duration::from_secs(6 * 3600);
const DAYS: i64 = 7;

/// Deterministic xorshift, so every run simulates the same week.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

/// Publication times of the simulated week, oldest first.
fn publications(start: Timestamp) -> Vec<Timestamp> {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut out = Vec::new();
    let mut t = start;
    while t < start + Span::days(DAYS + 1) {
        let hour = model::to_vn_time(t).hour();
        let gap = if (6..22).contains(&hour) {
            rng.between(20, 90) * 60
        } else {
            rng.between(120, 300) * 60
        };
        t += Span::seconds(gap);
        out.push(t);
    }
    out
}

fn rss(items: &[(usize, Timestamp)]) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Sức khỏe - Báo Thử</title><link>http://127.0.0.1/suc-khoe</link>",
    );
    for (n, t) in items {
        let date = model::to_vn_time(*t).format("%a, %d %b %Y %H:%M:%S %z");
        x.push_str(&format!(
            "<item><title>Tin sức khỏe số {n}</title><link>http://127.0.0.1/suc-khoe/tin-{n}.html</link><description>Bộ Y tế khuyến cáo người dân chủ động phòng bệnh, tin số {n}.</description><pubDate>{date}</pubDate></item>"
        ));
    }
    x.push_str("</channel></rss>");
    x
}

/// Serves the feed as of the simulated clock.
async fn serve(clock: Arc<AtomicI64>, published: Arc<Vec<Timestamp>>) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/rss.xml", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (clock, published) = (clock.clone(), published.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 2048];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                let now = Utc.timestamp_opt(clock.load(Ordering::SeqCst), 0).single();
                let count = now.map_or(0, |now| published.partition_point(|p| *p <= now));
                let etag = format!("\"v{count}\"");
                let sent = head.lines().find_map(|l| l.strip_prefix("if-none-match: "));
                let reply = if sent == Some(etag.as_str()) {
                    format!(
                        "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
                    )
                } else {
                    let items: Vec<(usize, Timestamp)> = (count.saturating_sub(20)..count)
                        .rev()
                        .map(|i| (i, published[i]))
                        .collect();
                    let modified = items
                        .first()
                        .map(|(_, t)| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
                        .unwrap_or_default();
                    let body = rss(&items);
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nETag: {etag}\r\nLast-Modified: {modified}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Ok(url)
}

/// What one way of polling did over the week.
struct Outcome {
    repeat_polls: usize,
    not_modified: usize,
    unchanged: usize,
    unchanged_not_modified: usize,
    collected: usize,
    published: usize,
    mean_delay_min: f64,
}

fn source(url: &str) -> Source {
    Source {
        id: 1,
        name: "Báo Thử".into(),
        url: url.into(),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        interval_secs: FLOOR_SECS,
        allow_private: true,
        enabled: true,
        origin: SourceOrigin::Config,
        fetch_articles: ArticleFetch::Auto,
        category: None,
        state: FetchState::default(),
    }
}

async fn simulate(
    client: &fetch::Client,
    url: &str,
    clock: &AtomicI64,
    published: &[Timestamp],
    start: Timestamp,
    adaptive: bool,
) -> Result<Outcome> {
    let src = source(url);
    let end = start + Span::days(DAYS);
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let mut now = start + Span::hours(1);
    let mut validators = fetch::Validators::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut times: Vec<Timestamp> = Vec::new();
    let (mut polls, mut not_modified, mut unchanged, mut unchanged_nm) = (0usize, 0, 0, 0);
    let mut delays: Vec<f64> = Vec::new();
    let mut last_count = usize::MAX;
    while now < end {
        clock.store(now.timestamp(), Ordering::SeqCst);
        let count = published.partition_point(|p| *p <= now);
        let fetched = client
            .get(url, &validators, fetch::Access::Private)
            .await
            .with_context(|| format!("polling {url}"))?;
        let repeat = polls > 0;
        polls += 1;
        let same = count == last_count;
        last_count = count;
        let fresh_for = match fetched {
            fetch::Fetched::NotModified { fresh_for } => {
                not_modified += usize::from(repeat);
                unchanged_nm += usize::from(same);
                fresh_for
            }
            fetch::Fetched::Body(response) => {
                let feed = feeds::parse_feed(
                    &response.bytes,
                    response.content_type.as_deref(),
                    &response.url,
                )?;
                for item in feed.items {
                    if seen.insert(item.url.clone())
                        && let Some(p) = item.published
                    {
                        delays.push((now - p).num_seconds() as f64 / 60.0);
                        times.push(p);
                    }
                }
                validators = response.validators;
                response.fresh_for
            }
        };
        unchanged += usize::from(same);
        let interval = if adaptive {
            times.sort_unstable_by(|a, b| b.cmp(a));
            times.truncate(pipeline::RATE_WINDOW as usize);
            pipeline::adaptive_interval(&src, &times, fresh_for, CEILING, now)
        } else {
            FLOOR_SECS
        };
        now = pipeline::next_poll(interval, rng.unit() * 2.0 - 1.0, now);
    }
    let in_week = published.iter().filter(|p| **p > start && **p < end).count();
    Ok(Outcome {
        repeat_polls: polls.saturating_sub(1),
        not_modified,
        unchanged,
        unchanged_not_modified: unchanged_nm,
        collected: delays.len(),
        published: in_week,
        mean_delay_min: delays.iter().sum::<f64>() / delays.len().max(1) as f64,
    })
}

fn share(a: usize, b: usize) -> f64 {
    (a as f64 / b.max(1) as f64 * 1000.0).round() / 1000.0
}

pub(crate) async fn run() -> Result<Vec<serde_json::Value>> {
    let start: DateTime<Utc> =
        Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).single().context("a date")?;
    let published = Arc::new(publications(start));
    let clock = Arc::new(AtomicI64::new(start.timestamp()));
    let url = serve(clock.clone(), published.clone()).await?;
    let client = fetch::Client::new(&fetch::FetchConfig {
        host_delay: Duration::ZERO,
        respect_robots: false,
        ..fetch::FetchConfig::default()
    })?;
    let ours = simulate(&client, &url, &clock, &published, start, true).await?;
    let peer = simulate(&client, &url, &clock, &published, start, false).await?;
    let detail = |o: &Outcome| {
        serde_json::json!({
            "repeat_polls": o.repeat_polls,
            "polls_per_day": (o.repeat_polls as f64 / DAYS as f64).round(),
            "unchanged_polls_answered_304": share(o.unchanged_not_modified, o.unchanged),
            "items_collected": o.collected,
            "items_published": o.published,
            "mean_delay_min": (o.mean_delay_min * 10.0).round() / 10.0,
        })
    };
    Ok(vec![
        crate::line(
            "polling",
            "repeat_polls_answered_304",
            share(ours.not_modified, ours.repeat_polls),
            share(peer.not_modified, peer.repeat_polls),
            serde_json::json!({
                "peer_name": "fixed 5-minute interval",
                "days": DAYS,
                "ours_detail": detail(&ours),
                "peer_detail": detail(&peer),
            }),
        ),
        serde_json::json!({
            "suite": "polling", "metric": "mean_delay_min", "ours": (ours.mean_delay_min * 10.0).round() / 10.0,
            "peer": (peer.mean_delay_min * 10.0).round() / 10.0, "peer_name": "fixed 5-minute interval",
        }),
    ])
}
