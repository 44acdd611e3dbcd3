//! `polling`: what the pipeline's own schedule makes of a feed that publishes at a
//! newsroom's pace, served by a real HTTP server on 127.0.0.1 and replayed on a simulated
//! clock: the share of repeat polls answered 304 Not Modified, the share of items
//! collected and how long after publication, and polls and full downloads per day.
//!
//! The server plays a Vietnamese outlet's health section for a week (from a Monday,
//! ICT): an item every 20 to 90 minutes from 06:00 to 22:00 and every 2 to 5 hours at
//! night, the newest 20 in an RSS 2.0 feed with `ETag` and `Last-Modified`, and 304 to a
//! conditional request while nothing new is out. The feed already has two days of items
//! when polling starts. Every poll is `Pipeline::poll_at` on a SQLite store in a temporary
//! directory, and the next one happens when the source's `next_poll_at` says: the
//! pipeline's adaptive interval, with its jitter. Rules are empty and article pages are
//! not fetched, since neither changes when polls happen.
//!
//! The peer is the simple alternative: the same pipeline and server, polled every 5
//! minutes.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use chrono::{TimeDelta, TimeZone, Timelike};
use model::{ArticleFetch, Metrics, SourceKind, SourceTier, Timestamp, VN_OFFSET, to_vn_time};
use pipeline::{Pipeline, PipelineConfig, PollReport};
use rules::RuleSet;
use search::SearchIndex;
use store::{NewSource, Store};
use test_support::{Page, Request, Site};

/// How long polling is replayed.
const DAYS: i64 = 7;
/// Items the feed carries, newest first.
const WINDOW: usize = 20;
/// The peer's fixed interval.
const PEER_EVERY: TimeDelta = TimeDelta::minutes(5);
const FEED_PATH: &str = "/rss/suc-khoe.rss";

/// One published item.
struct Published {
    at: Timestamp,
    slug: String,
    title: String,
    summary: String,
    body: String,
    author: String,
}

/// The outlet's publications from two days before `start` to the end of the replay, in
/// order. The gaps come from a fixed seed, so every run sees the same week.
fn publications(start: Timestamp) -> Vec<Published> {
    let items: Vec<demo::Item> = demo::corpus().into_iter().flat_map(|o| o.items).collect();
    let mut rng = Rng(0x5eed_1a4e_9e37_79b9);
    let end = start + TimeDelta::days(DAYS);
    let mut at = start - TimeDelta::days(2);
    let mut out = Vec::new();
    while at < end {
        let hour = to_vn_time(at).hour();
        let minutes = if (6..22).contains(&hour) {
            rng.between(20.0, 90.0)
        } else {
            rng.between(120.0, 300.0)
        };
        at += TimeDelta::seconds((minutes * 60.0) as i64);
        let k = out.len();
        let item = &items[k % items.len()];
        let local = to_vn_time(at);
        // Each article is its own: the store drops an article it already has under
        // another URL, and the schedule learns only from stored ones.
        let body =
            format!("{}\n\nCập nhật lúc {}.", item.body, local.format("%H:%M ngày %d/%m/%Y"));
        out.push(Published {
            at,
            slug: format!("{}-{k}", item.slug),
            title: item.title.clone(),
            summary: item.summary.clone(),
            body,
            author: item.author.clone(),
        });
    }
    out
}

/// xorshift64*: enough randomness for publication gaps, and the same on every run.
struct Rng(u64);

impl Rng {
    fn between(&mut self, low: f64, high: f64) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        low + (high - low) * (x as f64 / (1u64 << 53) as f64)
    }
}

/// The simulated outlet, as the server sees it.
struct Outlet {
    items: Vec<Published>,
    /// The simulated time, set before each poll.
    clock: Timestamp,
    /// When each item was first sent in a full response.
    first_served: Vec<Option<Timestamp>>,
    /// Feed requests answered in full and with 304.
    full: usize,
    not_modified: usize,
}

impl Outlet {
    /// The answer to a feed request: 304 when its validators match the feed as it is at
    /// the simulated time, else the newest items.
    fn answer(&mut self, request: &Request) -> Page {
        let n = self.items.partition_point(|p| p.at <= self.clock);
        let newest = n.checked_sub(1).map_or(self.clock, |i| self.items[i].at);
        let etag = format!("\"{n}-{}\"", newest.timestamp());
        let last_modified = newest.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let validators = |page: Page| {
            page.with_header("ETag", &etag)
                .with_header("Last-Modified", &last_modified)
                .with_header("Cache-Control", "max-age=60")
        };
        if request.is_unchanged(Some(&etag), Some(&last_modified)) {
            self.not_modified += 1;
            return validators(Page::status(304));
        }
        self.full += 1;
        let from = n.saturating_sub(WINDOW);
        for seen in &mut self.first_served[from..n] {
            seen.get_or_insert(self.clock);
        }
        validators(Page::ok("application/rss+xml; charset=utf-8", rss(&self.items[from..n])))
    }
}

fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// The feed of `items` (oldest first), newest first as CMSs write them.
fn rss(items: &[Published]) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>Sức khỏe - Báo Mô Phỏng</title>\n<link>https://baomophong.example.vn/suc-khoe</link>\n<description>Tin sức khỏe mới nhất</description>\n<language>vi</language>\n",
    );
    for p in items.iter().rev() {
        let body: String =
            p.body.split("\n\n").map(|para| format!("<p>{}</p>", esc(para))).collect();
        x.push_str(&format!(
            "<item>\n<title>{}</title>\n<link>https://baomophong.example.vn/suc-khoe/{}.html</link>\n<guid isPermaLink=\"false\">bmp-{}</guid>\n<dc:creator>{}</dc:creator>\n<pubDate>{}</pubDate>\n<description>{}</description>\n<content:encoded><![CDATA[{body}]]></content:encoded>\n</item>\n",
            esc(&p.title),
            p.slug,
            p.slug,
            esc(&p.author),
            to_vn_time(p.at).format("%a, %d %b %Y %H:%M:%S %z"),
            esc(&p.summary),
        ));
    }
    x.push_str("</channel>\n</rss>\n");
    x
}

/// Serves the outlet on 127.0.0.1 until the site is dropped.
fn serve(outlet: Arc<Mutex<Outlet>>) -> Result<Site> {
    let handler = move |request: &Request| {
        if request.path == FEED_PATH {
            outlet.lock().unwrap_or_else(PoisonError::into_inner).answer(request).into()
        } else {
            Page::not_found().into()
        }
    };
    Site::try_start(Some(Box::new(handler))).context("starting the outlet on 127.0.0.1")
}

/// When the next poll happens.
#[derive(Clone, Copy)]
enum Policy {
    /// When the pipeline scheduled it.
    Pipeline,
    /// A fixed time after the last one.
    Every(TimeDelta),
}

/// What a week of polling came to.
struct Outcome {
    polls: i64,
    not_modified: i64,
    full: usize,
    items: usize,
    collected: usize,
    mean_delay_minutes: f64,
}

impl Outcome {
    fn repeat_share_304(&self) -> f64 {
        self.not_modified as f64 / (self.polls - 1).max(1) as f64
    }
}

async fn replay(dir: &std::path::Path, policy: Policy, start: Timestamp) -> Result<Outcome> {
    let items = publications(start);
    let n_items = items.len();
    let outlet = Arc::new(Mutex::new(Outlet {
        items,
        clock: start,
        first_served: vec![None; n_items],
        full: 0,
        not_modified: 0,
    }));
    let site = serve(outlet.clone())?;
    std::fs::create_dir_all(dir)?;
    let store = Store::open_sqlite(&dir.join("langnghe.db")).await?;
    let index = Arc::new(SearchIndex::open(&dir.join("index"))?);
    let client = fetch::Client::new(&fetch::FetchConfig {
        host_delay: Duration::ZERO,
        ..Default::default()
    })?;
    let pipeline = Pipeline::new(
        store.clone(),
        index,
        RuleSet::default(),
        client,
        Arc::new(Metrics::default()),
        PipelineConfig::default(),
    );
    let new = NewSource {
        name: "Báo Mô Phỏng - Sức khỏe".to_owned(),
        url: site.url(FEED_PATH),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        allow_private: true,
        fetch_articles: ArticleFetch::Never,
        ..NewSource::default()
    };
    let mut source = store.upsert_source(&new, start).await?;
    let end = start + TimeDelta::days(DAYS);
    let mut now = start;
    while now < end {
        outlet.lock().unwrap_or_else(PoisonError::into_inner).clock = now;
        if let PollReport::Failed { error, .. } = pipeline.poll_at(&source, now).await? {
            bail!("the poll at {now} failed: {error}");
        }
        source = store.source(source.id).await?;
        let next = match policy {
            Policy::Pipeline => source.state.next_poll_at.context("no next poll scheduled")?,
            Policy::Every(every) => now + every,
        };
        ensure!(next > now, "next poll at {next} is not after {now}");
        now = next;
    }
    let stored = store.documents_after(0, 100_000).await?.len();
    store.close().await;

    let outlet = outlet.lock().unwrap_or_else(PoisonError::into_inner);
    // The store's counters and the server's log must tell the same story.
    ensure!(
        (outlet.full + outlet.not_modified) as i64 == source.state.polls
            && outlet.not_modified as i64 == source.state.not_modified,
        "server saw {} full and {} 304 answers, the store counts {} polls and {} 304",
        outlet.full,
        outlet.not_modified,
        source.state.polls,
        source.state.not_modified
    );
    let served = outlet.first_served.iter().filter(|s| s.is_some()).count();
    ensure!(stored == served, "{served} items were served but {stored} stored");
    let in_replay: Vec<(usize, &Published)> =
        outlet.items.iter().enumerate().filter(|(_, p)| p.at >= start && p.at < end).collect();
    let delays: Vec<f64> = in_replay
        .iter()
        .filter_map(|(i, p)| {
            outlet.first_served[*i].map(|s| (s - p.at).num_seconds() as f64 / 60.0)
        })
        .collect();
    Ok(Outcome {
        polls: source.state.polls,
        not_modified: source.state.not_modified,
        full: outlet.full,
        items: in_replay.len(),
        collected: delays.len(),
        mean_delay_minutes: delays.iter().sum::<f64>() / delays.len().max(1) as f64,
    })
}

pub(crate) async fn run() -> Result<Vec<serde_json::Value>> {
    // A Monday at midnight in Hanoi, long enough ago that no publication is in the future
    // of the store's own clock.
    let start = VN_OFFSET
        .with_ymd_and_hms(2024, 3, 4, 0, 0, 0)
        .single()
        .context("fixed start time")?
        .to_utc();
    let dir = tempfile::tempdir()?;
    let ours = replay(&dir.path().join("ours"), Policy::Pipeline, start).await?;
    let peer = replay(&dir.path().join("peer"), Policy::Every(PEER_EVERY), start).await?;
    let per_day = |n: f64| n / DAYS as f64;
    let extra = |unit: &str| {
        serde_json::json!({
            "days": DAYS,
            "items_published": ours.items,
            "polls_ours": ours.polls,
            "polls_peer": peer.polls,
            "interval_secs": NewSource::default().interval_secs,
            "max_interval_secs": PipelineConfig::default().max_interval.as_secs(),
            "unit": unit,
            "peer_name": "the same pipeline polling every 5 minutes",
        })
    };
    let mut share = extra("share of repeat polls");
    share["goal_ours_at_least"] = serde_json::json!(0.6);
    Ok(vec![
        crate::line(
            "polling",
            "repeat_polls_answered_304",
            ours.repeat_share_304(),
            peer.repeat_share_304(),
            share,
        ),
        crate::line(
            "polling",
            "items_collected",
            ours.collected as f64 / ours.items.max(1) as f64,
            peer.collected as f64 / peer.items.max(1) as f64,
            extra("share of items published"),
        ),
        crate::line(
            "polling",
            "mean_delay_minutes",
            ours.mean_delay_minutes,
            peer.mean_delay_minutes,
            extra("minutes after publication"),
        ),
        crate::line(
            "polling",
            "polls_per_day",
            per_day(ours.polls as f64),
            per_day(peer.polls as f64),
            extra("polls/day"),
        ),
        crate::line(
            "polling",
            "full_downloads_per_day",
            per_day(ours.full as f64),
            per_day(peer.full as f64),
            extra("200 responses/day"),
        ),
    ])
}
