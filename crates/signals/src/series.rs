//! Count series: how many distinct stories a topic had per bucket of time, nationally and
//! per province, built from story sightings. Days are Vietnam days (UTC+7); the clock is
//! passed in.
//!
//! A series counts stories, not copies: ten outlets republishing one story in a day count
//! once, so syndication cannot fake a spike. Each bucket also keeps which (story, source)
//! pairs it saw, so the volume guard can ask how many distinct stories and outlets a
//! window really had.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::method::Lags;

/// Vietnam's offset from UTC (no daylight saving), in seconds.
pub const VIETNAM_OFFSET_SECS: i64 = 7 * 3600;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// The time bucket of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bucket {
    /// A calendar day in Vietnam, 00:00 to 24:00 UTC+7.
    Day,
    /// A clock hour (the same in UTC and in Vietnam, whose offset is whole hours).
    Hour,
    /// The 24 hours ending at each full hour: a day-long count that moves forward by the
    /// hour, so a spike shows within the hour rather than at midnight.
    Rolling24h,
}

impl Bucket {
    /// The baseline spacing that suits the bucket: consecutive days for `Day`,
    /// consecutive hours for `Hour`, and non-overlapping days for `Rolling24h`.
    pub fn lags(self) -> Lags {
        match self {
            Bucket::Day => Lags::DAILY,
            Bucket::Hour => Lags { step: 1, week: 168 },
            Bucket::Rolling24h => Lags { step: 24, week: 168 },
        }
    }

    fn unit_secs(self) -> i64 {
        match self {
            Bucket::Day => DAY,
            Bucket::Hour | Bucket::Rolling24h => HOUR,
        }
    }

    fn offset_secs(self) -> i64 {
        match self {
            Bucket::Day => VIETNAM_OFFSET_SECS,
            Bucket::Hour | Bucket::Rolling24h => 0,
        }
    }

    /// How many units (days or hours) one window spans.
    fn window_units(self) -> i64 {
        match self {
            Bucket::Rolling24h => 24,
            Bucket::Day | Bucket::Hour => 1,
        }
    }

    /// The number of the unit (a Vietnam day counted from 1970-01-01, or an hour counted
    /// from the epoch) that contains `at`.
    pub fn unit_of(self, at: DateTime<Utc>) -> i64 {
        (at.timestamp() + self.offset_secs()).div_euclid(self.unit_secs())
    }

    /// The instant unit `unit` starts.
    pub fn unit_start(self, unit: i64) -> DateTime<Utc> {
        let secs = unit.saturating_mul(self.unit_secs()) - self.offset_secs();
        DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// Start and end (exclusive) of the window whose last unit is `unit`.
    pub fn window(self, unit: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.unit_start(unit - self.window_units() + 1), self.unit_start(unit + 1))
    }
}

/// Where a series counts: the whole country or one province.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Every story, wherever it is placed.
    National,
    /// Stories placed in one province, by its code.
    Province(String),
}

impl Area {
    /// Whether this is a province series (whose α a Bonferroni correction divides).
    pub fn is_province(&self) -> bool {
        matches!(self, Area::Province(_))
    }
}

/// What a series is about: a topic (rule id or tag) in an area.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SeriesKey {
    /// The rule id or tag.
    pub topic: String,
    /// National or a province.
    pub area: Area,
}

impl SeriesKey {
    /// The national series of a topic.
    pub fn national(topic: &str) -> Self {
        SeriesKey { topic: topic.to_owned(), area: Area::National }
    }

    /// A province series of a topic.
    pub fn province(topic: &str, code: &str) -> Self {
        SeriesKey { topic: topic.to_owned(), area: Area::Province(code.to_owned()) }
    }
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.area {
            Area::National => write!(f, "{}@national", self.topic),
            Area::Province(code) => write!(f, "{}@{code}", self.topic),
        }
    }
}

/// One story seen from one source in a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Member {
    /// The story id.
    pub story: i64,
    /// The source (outlet or page) id.
    pub source: i64,
}

/// One sighting to count: a story seen at a time from a source, with the topics it
/// matched and the province it is placed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// When it was seen (or published).
    pub at: DateTime<Utc>,
    /// The story it belongs to; copies of one story share it.
    pub story: i64,
    /// The outlet or page it was seen on.
    pub source: i64,
    /// The topics (rule ids or tags) it matched.
    pub topics: Vec<String>,
    /// The province it is placed in, if any. A story placed in several provinces is
    /// given as one record per province; the national count still counts it once.
    pub province: Option<String>,
}

/// A regular count series: one count per bucket from a first bucket on, with the
/// members behind each count when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// What it counts.
    pub key: SeriesKey,
    /// Its bucket.
    pub bucket: Bucket,
    first_unit: i64,
    counts: Vec<u32>,
    /// Members of unit `i` are `members[ends[i − 1]..ends[i]]`, sorted; empty when the
    /// series was built from counts alone.
    ends: Vec<usize>,
    members: Vec<Member>,
}

impl Series {
    /// A series from counts alone, its first bucket the one ending with the unit that
    /// contains `start`. Without members the volume guard can count stories (the counts)
    /// but not sources.
    pub fn from_counts(
        key: SeriesKey,
        bucket: Bucket,
        start: DateTime<Utc>,
        counts: Vec<u32>,
    ) -> Self {
        Series {
            key,
            bucket,
            first_unit: bucket.unit_of(start),
            counts,
            ends: Vec::new(),
            members: Vec::new(),
        }
    }

    /// A series from the members of each unit (a day, or an hour for `Hour` and
    /// `Rolling24h`), counting distinct stories per window.
    pub fn from_members(
        key: SeriesKey,
        bucket: Bucket,
        start: DateTime<Utc>,
        per_unit: &[Vec<Member>],
    ) -> Self {
        let mut ends = Vec::with_capacity(per_unit.len());
        let mut members = Vec::new();
        for unit in per_unit {
            let from = members.len();
            members.extend_from_slice(unit);
            members[from..].sort_unstable();
            let mut kept = from;
            for i in from..members.len() {
                if kept == from || members[kept - 1] != members[i] {
                    members[kept] = members[i];
                    kept += 1;
                }
            }
            members.truncate(kept);
            ends.push(members.len());
        }
        Series::from_sorted(key, bucket, bucket.unit_of(start), ends, members)
    }

    /// From per-unit sorted, deduplicated members laid end to end.
    fn from_sorted(
        key: SeriesKey,
        bucket: Bucket,
        first_unit: i64,
        ends: Vec<usize>,
        members: Vec<Member>,
    ) -> Self {
        let mut series = Series {
            key,
            bucket,
            first_unit,
            counts: Vec::with_capacity(ends.len()),
            ends,
            members,
        };
        match bucket {
            Bucket::Day | Bucket::Hour => {
                for i in 0..series.ends.len() {
                    series.counts.push(distinct_stories(series.unit_members(i)));
                }
            }
            Bucket::Rolling24h => {
                // A story counts once per window however many of its hours it spans:
                // keep how many of the window's hours each story appears in.
                let mut hours_seen: HashMap<i64, u32> = HashMap::new();
                let width = bucket.window_units() as usize;
                for i in 0..series.ends.len() {
                    for story in stories_of(series.unit_members(i)) {
                        *hours_seen.entry(story).or_insert(0) += 1;
                    }
                    if i >= width {
                        for story in stories_of(series.unit_members(i - width)) {
                            if let Some(n) = hours_seen.get_mut(&story) {
                                *n -= 1;
                                if *n == 0 {
                                    hours_seen.remove(&story);
                                }
                            }
                        }
                    }
                    series.counts.push(u32::try_from(hours_seen.len()).unwrap_or(u32::MAX));
                }
            }
        }
        series
    }

    /// The counts, one per bucket.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// The number of buckets.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether the series has no buckets.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Whether the series knows the members behind its counts.
    pub fn has_members(&self) -> bool {
        !self.ends.is_empty()
    }

    /// Start and end (exclusive) of bucket `i`.
    pub fn window(&self, i: usize) -> (DateTime<Utc>, DateTime<Utc>) {
        self.bucket.window(self.first_unit.saturating_add(i as i64))
    }

    /// The index of the last bucket complete at `now` (it may lie past the end of the
    /// series, whose missing buckets then count as zero), or `None` if no bucket of the
    /// series is complete yet.
    pub fn last_complete(&self, now: DateTime<Utc>) -> Option<usize> {
        let last_unit = self.bucket.unit_of(now) - 1;
        usize::try_from(last_unit - self.first_unit).ok()
    }

    fn unit_members(&self, i: usize) -> &[Member] {
        match self.ends.get(i) {
            Some(&end) => {
                let start = if i == 0 { 0 } else { self.ends[i - 1] };
                &self.members[start..end]
            }
            None => &[],
        }
    }

    /// The distinct (story, source) pairs of bucket `i`, sorted; empty past the end or
    /// without members.
    pub fn window_members(&self, i: usize) -> Vec<Member> {
        let width = self.bucket.window_units() as usize;
        let first = (i + 1).saturating_sub(width);
        let mut all: Vec<Member> =
            (first..=i).flat_map(|u| self.unit_members(u).iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

fn stories_of(members: &[Member]) -> impl Iterator<Item = i64> + '_ {
    // Members are sorted by story first, so a story's pairs are adjacent.
    members
        .iter()
        .enumerate()
        .filter(|(i, m)| *i == 0 || members[i - 1].story != m.story)
        .map(|(_, m)| m.story)
}

fn distinct_stories(members: &[Member]) -> u32 {
    u32::try_from(stories_of(members).count()).unwrap_or(u32::MAX)
}

/// Builds every series the records touch: per topic, the national series and one per
/// province that has a record. Buckets run from the one containing `since` to the last
/// one complete at `now`; records outside are ignored, empty buckets count zero. Series
/// come sorted by topic, the national one first, then provinces by code.
pub fn build_series(
    records: &[Record],
    bucket: Bucket,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Series> {
    let first_unit = bucket.unit_of(since);
    let last_unit = bucket.unit_of(now) - 1;
    if last_unit < first_unit {
        return Vec::new();
    }
    let units = usize::try_from(last_unit - first_unit + 1).unwrap_or(0);

    let mut topics: BTreeMap<&str, usize> = BTreeMap::new();
    let mut provinces: BTreeMap<&str, usize> = BTreeMap::new();
    for r in records {
        for t in &r.topics {
            topics.insert(t.as_str(), 0);
        }
        if let Some(p) = &r.province {
            provinces.insert(p.as_str(), 0);
        }
    }
    // Numbered in sorted order, so sorting by number sorts by name.
    for (i, v) in topics.values_mut().enumerate() {
        *v = i;
    }
    for (i, v) in provinces.values_mut().enumerate() {
        *v = i + 1;
    }
    let areas = provinces.len() + 1;

    let mut seen: Vec<(usize, usize, Member)> = Vec::new();
    for r in records {
        let unit = bucket.unit_of(r.at);
        if unit < first_unit || unit > last_unit {
            continue;
        }
        let unit = (unit - first_unit) as usize;
        let member = Member { story: r.story, source: r.source };
        let province = r.province.as_deref().and_then(|p| provinces.get(p)).copied();
        for t in &r.topics {
            let Some(&topic) = topics.get(t.as_str()) else { continue };
            seen.push((topic * areas, unit, member));
            if let Some(p) = province {
                seen.push((topic * areas + p, unit, member));
            }
        }
    }
    seen.sort_unstable();
    seen.dedup();

    let topic_names: Vec<&str> = topics.keys().copied().collect();
    let province_names: Vec<&str> = provinces.keys().copied().collect();
    let mut out = Vec::new();
    let mut rest = seen.as_slice();
    while let Some(&(id, _, _)) = rest.first() {
        let n = rest.iter().take_while(|s| s.0 == id).count();
        let (group, tail) = rest.split_at(n);
        rest = tail;
        let topic = topic_names[id / areas];
        let area = match id % areas {
            0 => Area::National,
            p => Area::Province(province_names[p - 1].to_owned()),
        };
        let mut ends = Vec::with_capacity(units);
        let mut members = Vec::with_capacity(group.len());
        let mut g = group.iter().peekable();
        for unit in 0..units {
            while let Some((_, _, m)) = g.next_if(|s| s.1 == unit) {
                members.push(*m);
            }
            ends.push(members.len());
        }
        let key = SeriesKey { topic: topic.to_owned(), area };
        out.push(Series::from_sorted(key, bucket, first_unit, ends, members));
    }
    out
}

/// The Vietnam calendar date of an instant.
pub fn vietnam_date(at: DateTime<Utc>) -> chrono::NaiveDate {
    (at + TimeDelta::seconds(VIETNAM_OFFSET_SECS)).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        // Written in Vietnam time, stored in UTC.
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid time") - TimeDelta::hours(7)
    }

    fn record(
        when: DateTime<Utc>,
        story: i64,
        source: i64,
        topics: &[&str],
        province: Option<&str>,
    ) -> Record {
        Record {
            at: when,
            story,
            source,
            topics: topics.iter().map(|t| (*t).to_owned()).collect(),
            province: province.map(str::to_owned),
        }
    }

    #[test]
    fn vietnam_days_start_at_midnight_utc_plus_seven() {
        let b = Bucket::Day;
        // 23:59 and 00:00 Vietnam time fall in different days.
        assert_eq!(b.unit_of(at(2026, 1, 8, 0, 0)) - b.unit_of(at(2026, 1, 7, 23, 59)), 1);
        // 06:59 Vietnam time is still the previous UTC day but the same Vietnam day.
        assert_eq!(b.unit_of(at(2026, 1, 8, 6, 59)), b.unit_of(at(2026, 1, 8, 0, 0)));
        let (start, end) = b.window(b.unit_of(at(2026, 1, 8, 12, 0)));
        assert_eq!(start, at(2026, 1, 8, 0, 0));
        assert_eq!(end, at(2026, 1, 9, 0, 0));
        assert_eq!(start.to_rfc3339(), "2026-01-07T17:00:00+00:00");
        assert_eq!(vietnam_date(at(2026, 1, 8, 0, 30)).to_string(), "2026-01-08");
    }

    #[test]
    fn rolling_windows_end_at_each_full_hour() {
        let b = Bucket::Rolling24h;
        let (start, end) = b.window(b.unit_of(at(2026, 1, 8, 10, 15)));
        assert_eq!(start, at(2026, 1, 7, 11, 0));
        assert_eq!(end, at(2026, 1, 8, 11, 0));
    }

    #[test]
    fn copies_count_once_per_topic_area_and_day() {
        let now = at(2026, 1, 10, 9, 0);
        let since = at(2026, 1, 7, 0, 0);
        let records = vec![
            // Story 1 carried by three outlets on 8 January, placed in Hà Nội (01).
            record(at(2026, 1, 8, 8, 0), 1, 10, &["dengue"], Some("01")),
            record(at(2026, 1, 8, 9, 0), 1, 11, &["dengue"], Some("01")),
            record(at(2026, 1, 8, 23, 0), 1, 12, &["dengue"], Some("01")),
            // The same source seeing the same story twice is one member.
            record(at(2026, 1, 8, 23, 30), 1, 12, &["dengue"], Some("01")),
            // Story 2 in Huế (46), two topics.
            record(at(2026, 1, 8, 10, 0), 2, 10, &["dengue", "vaccine"], Some("46")),
            // Story 3 without a province, on 9 January.
            record(at(2026, 1, 9, 1, 0), 3, 13, &["dengue"], None),
            // Before since, and in the incomplete current day: ignored.
            record(at(2026, 1, 6, 23, 0), 4, 10, &["dengue"], None),
            record(at(2026, 1, 10, 8, 0), 5, 10, &["dengue"], None),
        ];
        let series = build_series(&records, Bucket::Day, since, now);
        let keys: Vec<String> = series.iter().map(|s| s.key.to_string()).collect();
        assert_eq!(
            keys,
            ["dengue@national", "dengue@01", "dengue@46", "vaccine@national", "vaccine@46"]
        );
        let counts: Vec<&[u32]> = series.iter().map(Series::counts).collect();
        assert_eq!(counts[0], [0, 2, 1]);
        assert_eq!(counts[1], [0, 1, 0]);
        assert_eq!(counts[2], [0, 1, 0]);
        assert_eq!(counts[3], [0, 1, 0]);
        let members = series[0].window_members(1);
        assert_eq!(members.len(), 4, "{members:?}");
        assert_eq!(series[0].window(1).0, at(2026, 1, 8, 0, 0));
        assert_eq!(series[0].last_complete(now), Some(2));
    }

    #[test]
    fn a_rolling_day_counts_a_story_once_across_its_hours() {
        let now = at(2026, 1, 9, 12, 0);
        let since = at(2026, 1, 8, 0, 0);
        let records = vec![
            record(at(2026, 1, 8, 1, 0), 1, 10, &["t"], None),
            record(at(2026, 1, 8, 5, 0), 1, 11, &["t"], None),
            record(at(2026, 1, 8, 6, 0), 2, 10, &["t"], None),
        ];
        let series = build_series(&records, Bucket::Rolling24h, since, now);
        let s = &series[0];
        assert_eq!(s.len(), 36);
        assert_eq!(s.counts()[0], 0);
        assert_eq!(s.counts()[1], 1);
        assert_eq!(s.counts()[5], 1);
        assert_eq!(s.counts()[6], 2);
        // 01:00–02:00 leaves the window that ends at 02:00 the next day.
        assert_eq!(s.counts()[24], 2);
        assert_eq!(s.counts()[25], 2);
        assert_eq!(s.counts()[29], 1);
        assert_eq!(s.counts()[30], 0);
        assert_eq!(s.window_members(6).len(), 3);
        let hourly = build_series(&records, Bucket::Hour, since, now);
        assert_eq!(&hourly[0].counts()[..7], [0, 1, 0, 0, 0, 1, 1]);
    }

    #[test]
    fn nothing_is_complete_before_the_first_bucket_ends() {
        let since = at(2026, 1, 8, 0, 0);
        assert!(build_series(&[], Bucket::Day, since, at(2026, 1, 8, 23, 0)).is_empty());
        let s = Series::from_counts(SeriesKey::national("t"), Bucket::Day, since, vec![1, 2]);
        assert_eq!(s.last_complete(at(2026, 1, 8, 23, 0)), None);
        assert_eq!(s.last_complete(at(2026, 1, 9, 0, 0)), Some(0));
        assert_eq!(s.last_complete(at(2026, 1, 12, 3, 0)), Some(3));
        assert!(!s.has_members());
    }

    #[test]
    fn members_given_per_unit_are_deduplicated() {
        let since = at(2026, 1, 8, 0, 0);
        let m = |story, source| Member { story, source };
        let s = Series::from_members(
            SeriesKey::province("t", "01"),
            Bucket::Day,
            since,
            &[vec![m(2, 1), m(1, 1), m(2, 1), m(2, 3)], vec![], vec![m(5, 5)]],
        );
        assert_eq!(s.counts(), [2, 0, 1]);
        assert_eq!(s.window_members(0), [m(1, 1), m(2, 1), m(2, 3)]);
        assert!(s.window_members(7).is_empty());
    }
}
