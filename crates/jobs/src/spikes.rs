//! The spike scan: every topic's daily count of distinct stories, nationally and per
//! province, tested by the configured method, each raised spike written as the alert of
//! its (topic, area, day) with everything that explains it.
//!
//! A topic is a topic rule of the running rule set, or one of their tags (`tag:TAG`,
//! counting the stories of every topic rule carrying it). Stories are counted on the
//! Vietnam day of their sightings' publication times ([`store::Store::spike_sightings`]);
//! the series start at the first day the store has any topic sighting for, at most
//! [`HISTORY_DAYS`] back, so a new installation waits for a baseline instead of reading
//! the days before it existed as quiet ones.
//!
//! Each scan tests two windows per series: the day under way and the day before. The day
//! under way is tested as it stands: counts only grow within a day and its baseline is the
//! days before, so a count above the threshold at noon is above it at midnight, and the
//! alert comes within a scan interval of the story that tipped it instead of the next
//! morning. The day before is tested complete, which catches stories that arrived (or were
//! fetched) after the last scan of that day and brings its alert's counts up to date. A
//! re-scan of the same window updates the same alert (the store's unique open alert per
//! topic and subject), so scans are idempotent.
//!
//! With [`SpikeConfig::hourly`] each scan also tests hours: every hour of the day under
//! way up to the hour under way (tested as it stands, like the day) and every hour of the
//! day before, counted as distinct stories per clock hour. News has a strong daily rhythm
//! (quiet nights, morning bulletins), so an hour is compared with the same hour of the
//! previous days, not with the hours just before it: the method runs unchanged on the
//! series "this hour of each day" (for `ears-t-reweighted`, the same hour on the 7 days
//! before, α/34 per province, the spread floor of 1), with the same volume guard per hour
//! (5 stories from 3 sources; hours with fewer stories are not assessed at all). The
//! hourly series cover only the days the method's baseline needs ([`hourly_days`]: 9 for
//! `ears-t-reweighted`), so the same-weekday baseline never applies to hours.
//!
//! Hourly spikes are their own incidents (subject `spike:{area}:YYYY-MM-DDTHH`, detail
//! `bucket = "hour"`), apart from the day's alert. To keep a surge that lasts an afternoon
//! from opening an alert an hour, every spiking hour of one Vietnam day is one incident
//! per (topic, area): its alert is named after the hour it began, grows with the
//! documents of each later spiking hour, and lists every spiking hour in its detail
//! (`hours`); its main numbers stay those of the first hour. Once an officer closes it,
//! the later hours of that day open nothing (the day's alert still covers the day).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, TimeDelta};
use model::{RuleKind, Timestamp};
use rules::RuleSet;
use signals::{
    Area, Bucket, Lags, Member, Method, MethodConfig, Params, Record, Series, SeriesKey, Spike,
    VolumeGuard,
};
use store::{SpikeApplied, SpikeSighting, Store};

use crate::Result;

/// How many days of sightings a scan reads: the production method's same-weekday baseline
/// looks seven weeks back and switches on after 51 days of history, and no other method
/// looks further than two weeks; 100 days leave room for both.
pub const HISTORY_DAYS: i64 = 100;

/// How spike scans run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpikeConfig {
    /// Time between scans (one runs at start).
    pub interval: Duration,
    /// The method, with its production parameters and guards.
    pub method: Method,
    /// Whether scans test hours as well as days.
    pub hourly: bool,
    /// The least time between two scans that new documents call for: a scan runs this
    /// long after the previous one (and a few seconds after the documents, so a fetch
    /// round lands whole) instead of waiting for the interval.
    pub after_documents: Duration,
}

impl Default for SpikeConfig {
    /// A scan every 15 minutes of days and hours with the production method
    /// (`ears-t-reweighted`).
    fn default() -> Self {
        SpikeConfig {
            interval: Duration::from_secs(15 * 60),
            method: Method::EarsTReweighted,
            hourly: true,
            after_documents: Duration::from_secs(30),
        }
    }
}

impl SpikeConfig {
    /// The detector and guards a scan runs: the method's production parameters, a spread
    /// floor of 1, at least 5 stories from 3 sources, α/34 for province series.
    pub fn params(&self) -> Result<Params> {
        if self.method == Method::EarsTReweighted {
            return Ok(Params::production());
        }
        Ok(Params::new(
            MethodConfig::production(self.method),
            VolumeGuard::default(),
            Some(signals::spike::PROVINCES),
        )?)
    }
}

/// What one scan did. Windows are days and hours; alerts are per (topic, area, day) for
/// days and per (topic, area, day) incident of spiking hours for hours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Topic sightings read (per document, outlet and day).
    pub sightings: usize,
    /// Daily series built (topic × area).
    pub series: usize,
    /// Windows evaluated (with enough baseline).
    pub assessed: usize,
    /// Windows above the method's threshold that the volume guard held back.
    pub held: usize,
    /// Spikes raised.
    pub raised: usize,
    /// Of `assessed`, hours.
    pub hours_assessed: usize,
    /// Of `raised`, hours.
    pub hours_raised: usize,
    /// Alerts opened.
    pub opened: usize,
    /// Open alerts updated (counts grew, documents added).
    pub updated: usize,
    /// Open alerts that already said everything.
    pub unchanged: usize,
    /// Spikes whose window's alert an officer had closed, left closed.
    pub closed: usize,
}

/// The topics of a rule set: which topic keys each topic rule counts for, and each key's
/// title.
struct Topics {
    /// Topic rule id → its keys (itself and `tag:TAG` for each tag).
    keys: HashMap<String, Vec<String>>,
    /// Key → title (the rule's title, or the tag as written).
    titles: BTreeMap<String, String>,
}

impl Topics {
    fn of(rules: &RuleSet) -> Topics {
        let mut keys = HashMap::new();
        let mut titles = BTreeMap::new();
        for rule in rules.rules().iter().filter(|r| r.kind == RuleKind::Topic) {
            let mut own = vec![rule.id.to_string()];
            titles.insert(rule.id.to_string(), rule.title.to_string());
            for tag in &rule.tags {
                let key = tag_key(tag);
                titles.entry(key.clone()).or_insert_with(|| tag.clone());
                own.push(key);
            }
            keys.insert(rule.id.to_string(), own);
        }
        Topics { keys, titles }
    }

    /// The topic keys of a sighting's topic rules; rules no longer in the set count for
    /// nothing.
    fn expand(&self, rules: &[String]) -> Vec<String> {
        let mut out: Vec<String> =
            rules.iter().filter_map(|r| self.keys.get(r)).flatten().cloned().collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn tag_key(tag: &str) -> String {
    format!("tag:{tag}")
}

/// The health days under way on a date, by the topic keys they relate to: a rule the day
/// names or that carries one of its tags, and the tags of those rules and of the day.
fn health_days(rules: &RuleSet, date: NaiveDate) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for occurrence in rules.upcoming_days(date, 0).iter().filter(|o| o.is_ongoing()) {
        let day = occurrence.day;
        let mut keys: Vec<String> = day.tags.iter().map(|t| tag_key(t)).collect();
        for rule in rules.related_rules(day) {
            keys.push(rule.id.to_string());
            keys.extend(rule.tags.iter().map(|t| tag_key(t)));
        }
        for key in keys {
            // Occurrences come sorted by start: the day that began first names the label.
            out.entry(key).or_insert_with(|| day.title.clone());
        }
    }
    out
}

/// Scans every topic once at `now`: reads the sightings of the last [`HISTORY_DAYS`]
/// (Vietnam days, up to the end of the day under way), tests the day under way and the
/// day before in every series, and, with [`SpikeConfig::hourly`], the hours of those two
/// days from the last [`hourly_days`] of the same sightings (no second read); writes each
/// raised daily spike's alert and each day's hourly incident's alert.
pub async fn scan_spikes(
    store: &Store,
    rules: &RuleSet,
    config: &SpikeConfig,
    now: Timestamp,
) -> Result<ScanReport> {
    let params = config.params()?;
    let topics = Topics::of(rules);
    let mut report = ScanReport::default();
    if topics.titles.is_empty() {
        return Ok(report);
    }
    let bucket = Bucket::Day;
    let today = bucket.unit_of(now);
    let (today_start, today_end) = bucket.window(today);
    let from = bucket.unit_start(today - HISTORY_DAYS);
    let sightings = store.spike_sightings(from, today_end).await?;
    report.sightings = sightings.len();

    let mut records = Vec::with_capacity(sightings.len());
    let mut keys_of = Vec::with_capacity(sightings.len());
    for s in &sightings {
        let keys = topics.expand(&s.topics);
        if !keys.is_empty() {
            records.push(Record {
                at: s.at,
                story: s.story,
                source: s.source,
                topics: keys.clone(),
                province: s.province.clone(),
            });
        }
        keys_of.push(keys);
    }
    // The store's coverage starts with its first counted sighting; days before it are
    // unknown, not quiet.
    let Some(first) = records.iter().map(|r| r.at).min() else { return Ok(report) };
    let series = signals::build_series(&records, bucket, first, today_end);
    report.series = series.len();

    // (evaluation instant, window date): the day under way as it stands, then the day
    // before complete.
    let windows = [
        (today_end, signals::series::vietnam_date(today_start)),
        (today_start, signals::series::vietnam_date(today_start - TimeDelta::days(1))),
    ];
    let days: Vec<HashMap<String, String>> =
        windows.iter().map(|&(_, date)| health_days(rules, date)).collect();
    for s in &series {
        for (&(at, _), days) in windows.iter().zip(&days) {
            let health_day = days.get(&s.key.topic).map(String::as_str);
            let Some(spike) = signals::assess(s, &params, health_day, at) else { continue };
            report.assessed += 1;
            if !spike.raised() {
                if spike.exceeds {
                    report.held += 1;
                    tracing::debug!(
                        topic = %spike.key.topic, area = ?spike.key.area,
                        window_start = %spike.window_start, observed = spike.observed,
                        threshold = spike.threshold, stories = spike.guards.volume.stories,
                        sources = ?spike.guards.volume.sources,
                        "Spike held back by the volume guard."
                    );
                }
                continue;
            }
            report.raised += 1;
            let documents = driving_documents(&spike, &sightings, &keys_of);
            let title = topics.titles.get(&spike.key.topic).map_or("", String::as_str);
            let applied = apply(store, &spike, title, &documents).await?;
            count_applied(&mut report, applied, &spike, alerts::SpikeBucket::Day);
        }
    }

    if config.hourly {
        let scan = scan_hours(&records, first, now, &params, |date, topic| {
            let days = windows.iter().zip(&days).find(|((_, d), _)| *d == date);
            days.and_then(|(_, days)| days.get(topic)).cloned()
        });
        report.assessed += scan.assessed;
        report.hours_assessed += scan.assessed;
        report.held += scan.held;
        report.raised += scan.raised;
        report.hours_raised += scan.raised;
        for incident in &scan.incidents {
            let mut documents = Vec::new();
            for hour in &incident.hours {
                documents.extend(driving_documents(hour, &sightings, &keys_of));
            }
            let title = topics.titles.get(&incident.key.topic).map_or("", String::as_str);
            let applied = apply_hours(store, incident, title, &documents).await?;
            count_applied(&mut report, applied, &incident.hours[0], alerts::SpikeBucket::Hour);
        }
    }
    Ok(report)
}

/// How many Vietnam days of sightings the hourly series cover: the days the method's
/// baseline needs before an hour (counted on the same hour of each day), then the day
/// before and the day under way, whose hours are tested. Nine for `ears-t-reweighted`
/// (a baseline of 7 days), sixteen at most (`medisys`, 14).
pub fn hourly_days(params: &Params) -> i64 {
    // Province series differ from the national one only by α, not by baseline length.
    let baseline = params.detector(&Area::National).first_row(Lags::DAILY);
    i64::try_from(baseline).unwrap_or(i64::MAX).saturating_add(2)
}

/// The spiking hours of one (topic, area) on one Vietnam day, in order.
struct HourlyIncident {
    key: SeriesKey,
    /// Each spiking hour's spike; never empty.
    hours: Vec<Spike>,
    /// The distinct (story, source) pairs of all those hours.
    members: Vec<Member>,
}

/// What the hourly part of a scan found.
#[derive(Default)]
struct HourScan {
    assessed: usize,
    held: usize,
    raised: usize,
    incidents: Vec<HourlyIncident>,
}

/// Tests every hour of the day before and of the day under way (up to the hour under way,
/// as it stands) in every topic × area series, each against the same hour of the days
/// before, and groups the raised hours by (topic, area, day). `health_day(date, topic)`
/// names a related health day under way on a date.
fn scan_hours(
    records: &[Record],
    first: Timestamp,
    now: Timestamp,
    params: &Params,
    health_day: impl Fn(NaiveDate, &str) -> Option<String>,
) -> HourScan {
    let mut out = HourScan::default();
    let (day, hour) = (Bucket::Day, Bucket::Hour);
    let today = day.unit_of(now);
    // Days before the first counted sighting are unknown, not quiet.
    let first_day = (today - (hourly_days(params) - 1)).max(day.unit_of(first));
    let since = day.unit_start(first_day);
    let until = hour.unit_start(hour.unit_of(now) + 1);
    // Records outside [since, until) are left out by `build_series`.
    let series = signals::build_series(records, hour, since, until);
    let tested_from = hour.unit_of(day.unit_start(today - 1)) - hour.unit_of(since);
    let tested_from = usize::try_from(tested_from).unwrap_or(0);
    let min_stories = params.volume().min_stories;
    for s in &series {
        let mut current: Option<(usize, HourlyIncident)> = None;
        for i in tested_from..s.len() {
            // The volume guard counts the hour's distinct stories, which is its count: an
            // hour with fewer can never be raised, and most hours are such.
            if (s.counts()[i] as usize) < min_stories {
                continue;
            }
            let (d, h) = (i / 24, i % 24);
            let same_hour: Vec<Vec<Member>> =
                (0..=d).map(|k| s.window_members(k * 24 + h)).collect();
            let daily = Series::from_members(s.key.clone(), day, since, &same_hour);
            let date = signals::series::vietnam_date(day.unit_start(first_day + d as i64));
            let festival = health_day(date, &s.key.topic);
            // Evaluated at the end of its day, so the hour (the day's unit) is complete.
            let at = day.unit_start(first_day + d as i64 + 1);
            let Some(spike) = signals::assess(&daily, params, festival.as_deref(), at) else {
                continue;
            };
            out.assessed += 1;
            if !spike.raised() {
                if spike.exceeds {
                    out.held += 1;
                }
                continue;
            }
            out.raised += 1;
            let spike = at_hour(spike, h);
            let members = s.window_members(i);
            match &mut current {
                Some((cd, incident)) if *cd == d => {
                    incident.hours.push(spike);
                    incident.members.extend(members);
                }
                _ => {
                    if let Some((_, done)) = current.take() {
                        out.incidents.push(done);
                    }
                    let key = s.key.clone();
                    current = Some((d, HourlyIncident { key, hours: vec![spike], members }));
                }
            }
        }
        out.incidents.extend(current.map(|(_, incident)| incident));
    }
    for incident in &mut out.incidents {
        incident.members.sort_unstable();
        incident.members.dedup();
    }
    out
}

/// A spike of the series "hour `h` of each day" moved onto the clock: its window and its
/// baseline points become that hour of their days (Vietnam has no daylight saving, so
/// hour `h` of a day always starts `h` hours after its midnight).
fn at_hour(mut spike: Spike, h: usize) -> Spike {
    let shift = TimeDelta::hours(h as i64);
    spike.window_start += shift;
    spike.window_end = spike.window_start + TimeDelta::hours(1);
    for p in &mut spike.baseline {
        p.start += shift;
        p.end = p.start + TimeDelta::hours(1);
    }
    spike
}

/// Counts what writing a spike's alert did, and logs alerts that changed.
fn count_applied(
    report: &mut ScanReport,
    applied: Option<SpikeApplied>,
    spike: &Spike,
    bucket: alerts::SpikeBucket,
) {
    let Some(applied) = applied else { return };
    let outcome = match applied {
        SpikeApplied::Opened(_) => {
            report.opened += 1;
            "opened"
        }
        SpikeApplied::Updated(_) => {
            report.updated += 1;
            "updated"
        }
        SpikeApplied::Unchanged(_) => {
            report.unchanged += 1;
            "unchanged"
        }
        SpikeApplied::Closed(_) => {
            report.closed += 1;
            "closed"
        }
    };
    let area = match &spike.key.area {
        Area::National => alerts::NATIONAL,
        Area::Province(code) => code.as_str(),
    };
    if matches!(applied, SpikeApplied::Opened(_) | SpikeApplied::Updated(_)) {
        tracing::info!(
            alert_id = applied.alert_id(), outcome, topic = %spike.key.topic, area,
            bucket = bucket.as_str(), window_start = %spike.window_start,
            observed = spike.observed, expected = spike.expected, threshold = spike.threshold,
            method = spike.method_version, health_day = ?spike.health_day,
            "Spike alert."
        );
    }
}

/// The documents of the stories driving a spike that were seen in its window, in its
/// area, on its topic, each at its first sighting there.
fn driving_documents(
    spike: &Spike,
    sightings: &[SpikeSighting],
    keys_of: &[Vec<String>],
) -> Vec<(i64, Timestamp)> {
    let stories: HashSet<i64> = spike.stories.iter().copied().collect();
    let mut first: BTreeMap<i64, Timestamp> = BTreeMap::new();
    for (s, keys) in sightings.iter().zip(keys_of) {
        let in_area = match &spike.key.area {
            Area::National => true,
            Area::Province(code) => s.province.as_deref() == Some(code.as_str()),
        };
        if in_area
            && stories.contains(&s.story)
            && s.at >= spike.window_start
            && s.at < spike.window_end
            && keys.binary_search(&spike.key.topic).is_ok()
        {
            let at = first.entry(s.document_id).or_insert(s.at);
            *at = (*at).min(s.at);
        }
    }
    first.into_iter().collect()
}

/// The baseline of a spike as alerts describe it.
fn baseline_of(spike: &Spike) -> Vec<alerts::BaselinePoint> {
    spike
        .baseline
        .iter()
        .map(|p| alerts::BaselinePoint { start: p.start, end: p.end, count: p.count })
        .collect()
}

/// A spike as alerts describe it.
fn signal<'a>(
    spike: &'a Spike,
    title: &'a str,
    bucket: alerts::SpikeBucket,
    baseline: &'a [alerts::BaselinePoint],
    labels: &'a [&'a str],
    documents: &'a [(i64, Timestamp)],
) -> alerts::SpikeSignal<'a> {
    let province = match &spike.key.area {
        Area::National => None,
        Area::Province(code) => Some(code.as_str()),
    };
    alerts::SpikeSignal {
        topic: &spike.key.topic,
        topic_title: title,
        province,
        province_name: province.and_then(gazetteer::unit).map(|u| u.name),
        bucket,
        window_start: spike.window_start,
        window_end: spike.window_end,
        observed: spike.observed,
        expected: spike.expected,
        threshold: spike.threshold,
        method: spike.method.name(),
        method_version: spike.method_version,
        alpha: spike.alpha_eff,
        baseline,
        stories: &spike.stories,
        sources: spike.guards.volume.sources.unwrap_or_default(),
        health_day: spike.health_day.as_deref(),
        labels,
        documents,
    }
}

/// Writes a raised daily spike's alert.
async fn apply(
    store: &Store,
    spike: &Spike,
    title: &str,
    documents: &[(i64, Timestamp)],
) -> Result<Option<SpikeApplied>> {
    let baseline = baseline_of(spike);
    let labels = spike.labels();
    let signal = signal(spike, title, alerts::SpikeBucket::Day, &baseline, &labels, documents);
    let Some(upsert) = alerts::spike_upsert(&signal) else { return Ok(None) };
    Ok(store.apply_spike(&upsert).await?)
}

/// Writes the alert of a day's spiking hours: described by its first hour, with the
/// stories, sources and documents of them all.
async fn apply_hours(
    store: &Store,
    incident: &HourlyIncident,
    title: &str,
    documents: &[(i64, Timestamp)],
) -> Result<Option<SpikeApplied>> {
    let hour = alerts::SpikeBucket::Hour;
    let first = &incident.hours[0];
    let baseline = baseline_of(first);
    let labels = first.labels();
    let mut stories: Vec<i64> = incident.members.iter().map(|m| m.story).collect();
    stories.dedup();
    let mut sources: Vec<i64> = incident.members.iter().map(|m| m.source).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut main = signal(first, title, hour, &baseline, &labels, documents);
    main.stories = &stories;
    main.sources = sources.len();
    let hours: Vec<alerts::SpikeSignal<'_>> =
        incident.hours.iter().map(|h| signal(h, title, hour, &[], &[], &[])).collect();
    let Some(upsert) = alerts::SpikeUpsert::of_incident(&main, &hours) else { return Ok(None) };
    Ok(store.apply_spike(&upsert).await?)
}

/// How long a scan called for by new documents waits after them, so the rest of a fetch
/// round is stored before it counts.
const SETTLE: Duration = Duration::from_secs(3);

/// When to scan again after `failures` scans in a row failed: 15 seconds after the first,
/// doubling with each further one, never later than the regular `interval`. A spike
/// waiting a whole interval behind a passing fault (a dropped connection, a busy
/// database) is a spike seen late.
fn retry_after(failures: u32, interval: Duration) -> Duration {
    let first = Duration::from_secs(15);
    first.saturating_mul(1 << failures.saturating_sub(1).min(16)).min(interval)
}

/// Scans at once, then every `config.interval`, and soon after `stored` is notified (new
/// documents: a spike is raised within about `config.after_documents` of the story that
/// tips it, not at the next interval), until `shutdown` completes, with the rule set
/// `rules` returns at each scan (so reloaded packs take effect at the next one) and the
/// time `clock` gives. A failed
/// scan is logged and tried again soon ([`retry_after`]); a scan under way when `shutdown`
/// completes is abandoned (its transaction rolls back, the next start redoes it).
pub async fn run_spikes<R, C>(
    store: Store,
    rules: R,
    config: SpikeConfig,
    stored: Arc<tokio::sync::Notify>,
    clock: C,
    shutdown: impl Future<Output = ()>,
) where
    R: Fn() -> Arc<RuleSet>,
    C: Fn() -> Timestamp,
{
    let mut ticker = tokio::time::interval(config.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_scan: Option<tokio::time::Instant> = None;
    let mut failures = 0u32;
    tokio::pin!(shutdown);
    tracing::info!(
        interval_secs = config.interval.as_secs(),
        method = config.method.name(),
        hourly = config.hourly,
        "Spike scans started."
    );
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticker.tick() => {}
            () = stored.notified() => {
                let now = tokio::time::Instant::now();
                let at = last_scan.map_or(now, |t| t + config.after_documents).max(now + SETTLE);
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep_until(at) => {}
                }
                // A notification while waiting leaves one permit: one more scan, no storm.
                ticker.reset();
            }
        }
        last_scan = Some(tokio::time::Instant::now());
        let rules = rules();
        let started = std::time::Instant::now();
        let scan = scan_spikes(&store, &rules, &config, clock());
        let result = tokio::select! {
            () = &mut shutdown => break,
            result = scan => result,
        };
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        failures = if result.is_ok() { 0 } else { failures.saturating_add(1) };
        match result {
            // A scan that changed nothing is routine every interval: debug, not info.
            Ok(r) if r.opened + r.updated == 0 => tracing::debug!(
                sightings = r.sightings,
                series = r.series,
                assessed = r.assessed,
                raised = r.raised,
                hours_raised = r.hours_raised,
                held = r.held,
                unchanged = r.unchanged,
                closed = r.closed,
                elapsed_ms,
                "Spike scan done."
            ),
            Ok(r) => tracing::info!(
                sightings = r.sightings,
                series = r.series,
                assessed = r.assessed,
                raised = r.raised,
                hours_raised = r.hours_raised,
                held = r.held,
                opened = r.opened,
                updated = r.updated,
                unchanged = r.unchanged,
                closed = r.closed,
                elapsed_ms,
                "Spike scan done."
            ),
            Err(e) => {
                let retry = retry_after(failures, config.interval);
                tracing::warn!(
                    error = %e,
                    failures,
                    retry_secs = retry.as_secs(),
                    "Spike scan failed; trying again soon."
                );
                ticker.reset_after(retry);
            }
        }
    }
    tracing::info!("Spike scans stopped.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_scan_is_tried_again_soon_then_less_often_never_past_the_interval() {
        let interval = Duration::from_secs(900);
        let waits: Vec<u64> = (1..=8).map(|n| retry_after(n, interval).as_secs()).collect();
        assert_eq!(waits, [15, 30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(retry_after(u32::MAX, interval), interval);
        assert_eq!(retry_after(1, Duration::from_secs(10)), Duration::from_secs(10));
    }
}
