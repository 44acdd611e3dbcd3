//! Spike alerts: the alert a raised spike opens or updates, one per (topic, area, window),
//! and the explanation it stores so an officer can see why it fired.
//!
//! The input is a plain description of the spike ([`SpikeSignal`]), not the detector's own
//! type, so this crate decides alerts without knowing how spikes are computed. The key is
//! the topic (a topic rule id or `tag:TAG`) as the alert's rule and `spike:{area}:{window}`
//! as its subject, `area` being `national` or a province code and `window` the Vietnam date
//! (`YYYY-MM-DD`) or hour (`YYYY-MM-DDTHH`) the window starts: a later scan of the same
//! window finds the same open alert and updates it instead of opening another.
//!
//! Hourly spikes are grouped by Vietnam day: every hour of one day that spikes for a
//! (topic, area) is one incident, so a surge lasting an afternoon is one alert that grows
//! rather than one alert an hour. Its subject names the hour the incident began, its
//! upsert carries the day's subject prefix (`spike:79:2026-01-08T`) so the store finds the
//! day's alert whatever hour opened it, and its detail lists every spiking hour (`hours`).

use model::{Severity, Timestamp, to_vn_time};
use serde_json::{Value, json};

/// The area of a national spike in subjects and details.
pub const NATIONAL: &str = "national";

/// The width of a spike's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeBucket {
    /// A Vietnam calendar day.
    Day,
    /// A clock hour.
    Hour,
}

impl SpikeBucket {
    /// The name the detail stores: `day` or `hour`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpikeBucket::Day => "day",
            SpikeBucket::Hour => "hour",
        }
    }

    /// The window as subjects write it: the Vietnam date or hour it starts.
    pub fn window_key(self, start: Timestamp) -> String {
        let local = to_vn_time(start);
        match self {
            SpikeBucket::Day => local.format("%Y-%m-%d").to_string(),
            SpikeBucket::Hour => local.format("%Y-%m-%dT%H").to_string(),
        }
    }
}

/// One bucket of the baseline a spike was measured against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaselinePoint {
    /// Start of the bucket.
    pub start: Timestamp,
    /// End of the bucket (exclusive).
    pub end: Timestamp,
    /// Its count of stories.
    pub count: f64,
}

/// One window of a multi-window incident (an hour of a day's hourly spike): what its
/// detail lists and its severity weighs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SpikeWindow {
    start: Timestamp,
    end: Timestamp,
    observed: f64,
    expected: f64,
    threshold: f64,
}

impl SpikeWindow {
    fn of(s: &SpikeSignal<'_>) -> Self {
        SpikeWindow {
            start: s.window_start,
            end: s.window_end,
            observed: s.observed,
            expected: s.expected,
            threshold: s.threshold,
        }
    }
}

/// A raised spike, as the scan describes it.
#[derive(Debug, Clone, Copy)]
pub struct SpikeSignal<'a> {
    /// The topic: a topic rule id, or `tag:TAG`.
    pub topic: &'a str,
    /// The topic's title (the rule's, or the tag).
    pub topic_title: &'a str,
    /// The province code, `None` for the national series.
    pub province: Option<&'a str>,
    /// The province's name, when known.
    pub province_name: Option<&'a str>,
    /// The window's width.
    pub bucket: SpikeBucket,
    /// Start of the window.
    pub window_start: Timestamp,
    /// End of the window (exclusive).
    pub window_end: Timestamp,
    /// Distinct stories in the window.
    pub observed: f64,
    /// What the baseline predicts.
    pub expected: f64,
    /// The count above which the method alerts.
    pub threshold: f64,
    /// The method's name.
    pub method: &'a str,
    /// The method with its implementation version.
    pub method_version: &'a str,
    /// The significance level applied to this series, for methods that have one.
    pub alpha: Option<f64>,
    /// The baseline buckets, oldest first.
    pub baseline: &'a [BaselinePoint],
    /// The distinct stories driving the count.
    pub stories: &'a [i64],
    /// Distinct sources that carried them in the window.
    pub sources: usize,
    /// The title of the related national health day under way, if any.
    pub health_day: Option<&'a str>,
    /// Labels shown with the alert (such as `expected (campaign)`).
    pub labels: &'a [&'a str],
    /// The documents of the driving stories seen in the window, with when each was seen.
    pub documents: &'a [(i64, Timestamp)],
}

/// The change a raised spike makes: open the alert of its (topic, subject), or update the
/// open one.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeUpsert {
    /// The topic, as the alert's rule.
    pub rule_id: String,
    /// `spike:{area}:{window}`.
    pub subject: String,
    /// Hourly spikes: the subject prefix every hour of the window's Vietnam day shares
    /// (`spike:{area}:YYYY-MM-DDT`). An alert of the rule whose subject starts with it is
    /// this spike's alert, whichever hour opened it: one hourly incident per topic, area
    /// and day. `None` for daily spikes, whose subject alone is the key.
    pub subject_prefix: Option<String>,
    /// The topic's title.
    pub rule_title: String,
    /// Medium, or high when the count is at least twice the threshold; the store keeps the
    /// higher of this and the open alert's.
    pub severity: Severity,
    /// When the earliest driving document was seen.
    pub first_seen: Timestamp,
    /// When the latest driving document was seen.
    pub last_seen: Timestamp,
    /// The documents to attach, oldest first (by time, then id), each once; the last is
    /// the alert's latest document.
    pub documents: Vec<(i64, Timestamp)>,
    /// The explanation, a JSON object (see [`spike_detail`]).
    pub detail: String,
}

impl SpikeUpsert {
    /// The alert change of an incident of several windows, the spiking hours of one day:
    /// `incident` describes the first hour (its window, numbers and baseline) and carries
    /// the stories, source count and documents of the whole incident; `windows` are every
    /// spiking hour's signal in order, of which only the window and its numbers are read.
    /// The detail lists them as `hours` and the severity is the highest any hour earns.
    /// `None` when no document is known.
    pub fn of_incident(
        incident: &SpikeSignal<'_>,
        windows: &[SpikeSignal<'_>],
    ) -> Option<SpikeUpsert> {
        let windows: Vec<SpikeWindow> = windows.iter().map(SpikeWindow::of).collect();
        spike_upsert_with_windows(incident, &windows)
    }

    /// The latest document attached.
    pub fn last_document(&self) -> Option<i64> {
        self.documents.last().map(|d| d.0)
    }
}

/// The subject of a spike alert: `spike:national:2026-01-08`, `spike:79:2026-01-08T14`.
pub fn spike_subject(
    province: Option<&str>,
    bucket: SpikeBucket,
    window_start: Timestamp,
) -> String {
    format!("spike:{}:{}", province.unwrap_or(NATIONAL), bucket.window_key(window_start))
}

/// The prefix the subjects of every hour of the day of `window_start` share, for an
/// hourly spike: `spike:79:2026-01-08T`; `None` for a daily one.
fn spike_subject_prefix(
    province: Option<&str>,
    bucket: SpikeBucket,
    window_start: Timestamp,
) -> Option<String> {
    (bucket == SpikeBucket::Hour).then(|| {
        let day = SpikeBucket::Day.window_key(window_start);
        format!("spike:{}:{day}T", province.unwrap_or(NATIONAL))
    })
}

/// Medium, or high when the count reaches twice the threshold: far past the bound is
/// rarely noise. A threshold of zero or less (a method with nothing expected) never makes
/// a count "twice" it.
pub fn spike_severity(observed: f64, threshold: f64) -> Severity {
    if threshold > 0.0 && observed >= 2.0 * threshold { Severity::High } else { Severity::Medium }
}

/// The explanation a spike alert stores: `{"topic", "topic_title", "area",
/// "province_name", "bucket", "window_start", "window_end", "observed", "expected",
/// "threshold", "ratio", "method", "method_version", "alpha", "baseline": {"from", "to",
/// "points": [{"start", "end", "count"}]}, "stories", "sources", "health_day", "labels"}`,
/// times in RFC 3339 (UTC). `ratio` is observed/expected (null when nothing was expected);
/// numbers that are not finite are written as null. An hourly spike's detail also lists
/// `"hours": [{"start", "end", "observed", "expected", "threshold"}]`, here just its own.
pub fn spike_detail(s: &SpikeSignal<'_>) -> Value {
    spike_detail_with_windows(s, &[])
}

/// [`spike_detail`] of an incident of several windows: an hourly spike's detail also has
/// `"hours": [{"start", "end", "observed", "expected", "threshold"}]`, every spiking hour
/// of its day in order (the signal's own hour when `windows` is empty).
fn spike_detail_with_windows(s: &SpikeSignal<'_>, windows: &[SpikeWindow]) -> Value {
    let time = |t: Timestamp| t.to_rfc3339();
    let num = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
    let points: Vec<Value> = s
        .baseline
        .iter()
        .map(|p| json!({"start": time(p.start), "end": time(p.end), "count": num(p.count)}))
        .collect();
    let mut detail = json!({
        "topic": s.topic,
        "topic_title": s.topic_title,
        "area": s.province.unwrap_or(NATIONAL),
        "province_name": s.province.and(s.province_name),
        "bucket": s.bucket.as_str(),
        "window_start": time(s.window_start),
        "window_end": time(s.window_end),
        "observed": num(s.observed),
        "expected": num(s.expected),
        "threshold": num(s.threshold),
        "ratio": if s.expected > 0.0 { num(s.observed / s.expected) } else { Value::Null },
        "method": s.method,
        "method_version": s.method_version,
        "alpha": s.alpha.map_or(Value::Null, num),
        "baseline": {
            "from": s.baseline.first().map(|p| time(p.start)),
            "to": s.baseline.last().map(|p| time(p.end)),
            "points": points,
        },
        "stories": s.stories,
        "sources": s.sources,
        "health_day": s.health_day,
        "labels": s.labels,
    });
    if s.bucket == SpikeBucket::Hour {
        let own = [SpikeWindow::of(s)];
        let windows = if windows.is_empty() { &own[..] } else { windows };
        let hours: Vec<Value> = windows
            .iter()
            .map(|w| {
                json!({
                    "start": time(w.start),
                    "end": time(w.end),
                    "observed": num(w.observed),
                    "expected": num(w.expected),
                    "threshold": num(w.threshold),
                })
            })
            .collect();
        detail["hours"] = Value::Array(hours);
    }
    detail
}

/// The alert change a raised spike calls for, or `None` when none of its documents is
/// known (an alert always points at a latest document).
pub fn spike_upsert(s: &SpikeSignal<'_>) -> Option<SpikeUpsert> {
    spike_upsert_with_windows(s, &[])
}

fn spike_upsert_with_windows(s: &SpikeSignal<'_>, windows: &[SpikeWindow]) -> Option<SpikeUpsert> {
    let mut documents = s.documents.to_vec();
    // A document seen at several times (several outlets) counts from its first sighting.
    documents.sort_unstable_by_key(|&(id, at)| (id, at));
    documents.dedup_by_key(|d| d.0);
    documents.sort_unstable_by_key(|&(id, at)| (at, id));
    let first_seen = documents.first()?.1;
    let last_seen = documents.last()?.1;
    Some(SpikeUpsert {
        rule_id: s.topic.to_owned(),
        subject: spike_subject(s.province, s.bucket, s.window_start),
        subject_prefix: spike_subject_prefix(s.province, s.bucket, s.window_start),
        rule_title: s.topic_title.to_owned(),
        severity: windows
            .iter()
            .map(|w| spike_severity(w.observed, w.threshold))
            .fold(spike_severity(s.observed, s.threshold), Ord::max),
        first_seen,
        last_seen,
        documents,
        detail: spike_detail_with_windows(s, windows).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    /// Midnight of 8 January 2026 in Vietnam.
    fn day() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 1, 7, 17, 0, 0).unwrap()
    }

    fn signal<'a>(
        province: Option<&'a str>,
        observed: f64,
        threshold: f64,
        baseline: &'a [BaselinePoint],
        documents: &'a [(i64, Timestamp)],
    ) -> SpikeSignal<'a> {
        SpikeSignal {
            topic: "topic.sot-xuat-huyet",
            topic_title: "Sốt xuất huyết",
            province,
            province_name: province.map(|_| "Hồ Chí Minh"),
            bucket: SpikeBucket::Day,
            window_start: day(),
            window_end: day() + Duration::days(1),
            observed,
            expected: 2.0,
            threshold,
            method: "ears-t-reweighted",
            method_version: "ears-t-reweighted/1",
            alpha: Some(0.025 / 34.0),
            baseline,
            stories: &[11, 12],
            sources: 4,
            health_day: None,
            labels: &[],
            documents,
        }
    }

    #[test]
    fn subjects_name_the_area_and_the_vietnam_window() {
        // 23:30 UTC on 7 January is 06:30 on 8 January in Vietnam.
        let late = Utc.with_ymd_and_hms(2026, 1, 7, 23, 30, 0).unwrap();
        assert_eq!(spike_subject(None, SpikeBucket::Day, day()), "spike:national:2026-01-08");
        assert_eq!(spike_subject(Some("79"), SpikeBucket::Day, late), "spike:79:2026-01-08");
        assert_eq!(spike_subject(Some("01"), SpikeBucket::Hour, late), "spike:01:2026-01-08T06");
    }

    #[test]
    fn severity_is_high_from_twice_the_threshold() {
        // (observed, threshold, severity)
        let table = [
            (12.0, 6.0, Severity::High),
            (11.9, 6.0, Severity::Medium),
            (7.0, 6.0, Severity::Medium),
            (5.0, 0.0, Severity::Medium),
            (5.0, f64::NAN, Severity::Medium),
        ];
        for (observed, threshold, severity) in table {
            assert_eq!(spike_severity(observed, threshold), severity, "{observed}/{threshold}");
        }
    }

    #[test]
    fn the_upsert_attaches_each_document_once_latest_last() {
        let h = |n: i64| day() + Duration::hours(n);
        let docs = [(7, h(9)), (5, h(3)), (7, h(2)), (9, h(9)), (6, h(12))];
        let baseline = [BaselinePoint { start: day() - Duration::days(7), end: day(), count: 2.0 }];
        let u = spike_upsert(&signal(Some("79"), 12.0, 6.0, &baseline, &docs)).unwrap();
        assert_eq!(u.documents, [(7, h(2)), (5, h(3)), (9, h(9)), (6, h(12))]);
        assert_eq!((u.first_seen, u.last_seen, u.last_document()), (h(2), h(12), Some(6)));
        assert_eq!(u.rule_id, "topic.sot-xuat-huyet");
        assert_eq!(u.subject, "spike:79:2026-01-08");
        assert_eq!(u.rule_title, "Sốt xuất huyết");
        assert_eq!(u.severity, Severity::High);
        assert!(spike_upsert(&signal(None, 12.0, 6.0, &baseline, &[])).is_none());
    }

    #[test]
    fn the_detail_explains_the_spike() {
        let baseline = [
            BaselinePoint {
                start: day() - Duration::days(14),
                end: day() - Duration::days(13),
                count: 1.0,
            },
            BaselinePoint {
                start: day() - Duration::days(7),
                end: day() - Duration::days(6),
                count: 3.0,
            },
        ];
        let docs = [(1, day() + Duration::hours(1))];
        let mut s = signal(Some("79"), 9.0, 6.5, &baseline, &docs);
        s.health_day = Some("Ngày ASEAN phòng chống sốt xuất huyết");
        s.labels = &["expected (campaign)"];
        let u = spike_upsert(&s).unwrap();
        let d: Value = serde_json::from_str(&u.detail).unwrap();
        assert_eq!(d["topic"], "topic.sot-xuat-huyet");
        assert_eq!(d["area"], "79");
        assert_eq!(d["province_name"], "Hồ Chí Minh");
        assert_eq!(d["bucket"], "day");
        assert_eq!(d["window_start"], "2026-01-07T17:00:00+00:00");
        assert_eq!(d["window_end"], "2026-01-08T17:00:00+00:00");
        assert_eq!((d["observed"].as_f64(), d["expected"].as_f64()), (Some(9.0), Some(2.0)));
        assert_eq!((d["threshold"].as_f64(), d["ratio"].as_f64()), (Some(6.5), Some(4.5)));
        assert_eq!(d["method_version"], "ears-t-reweighted/1");
        assert_eq!(d["baseline"]["from"], "2025-12-24T17:00:00+00:00");
        assert_eq!(d["baseline"]["to"], "2026-01-01T17:00:00+00:00");
        assert_eq!(d["baseline"]["points"][1]["count"].as_f64(), Some(3.0));
        assert_eq!(d["stories"], json!([11, 12]));
        assert_eq!(d["sources"], 4);
        assert_eq!(d["health_day"], "Ngày ASEAN phòng chống sốt xuất huyết");
        assert_eq!(d["labels"], json!(["expected (campaign)"]));
        assert_eq!(u.severity, Severity::Medium);

        let national = spike_detail(&signal(None, 3.0, 2.5, &[], &docs));
        assert_eq!(national["area"], NATIONAL);
        assert_eq!(national["province_name"], Value::Null, "a national spike names no province");
        assert_eq!(national["baseline"]["from"], Value::Null);
        assert_eq!(national["health_day"], Value::Null);
        let mut nothing_expected = signal(None, 3.0, 2.5, &[], &docs);
        nothing_expected.expected = 0.0;
        assert_eq!(spike_detail(&nothing_expected)["ratio"], Value::Null);
        assert_eq!(d.get("hours"), None, "a daily spike lists no hours");
        assert_eq!(u.subject_prefix, None, "a daily spike is keyed by its subject alone");
    }

    #[test]
    fn an_hourly_incident_is_keyed_by_its_day_and_lists_its_hours() {
        let h = |n: i64| day() + Duration::hours(n);
        let docs = [(1, h(10)), (2, h(14))];
        let mut s = signal(Some("79"), 7.0, 6.0, &[], &docs);
        s.bucket = SpikeBucket::Hour;
        s.window_start = h(10);
        s.window_end = h(11);

        let alone = spike_upsert(&s).unwrap();
        assert_eq!(alone.subject, "spike:79:2026-01-08T10");
        assert_eq!(alone.subject_prefix.as_deref(), Some("spike:79:2026-01-08T"));
        assert_eq!(alone.severity, Severity::Medium);
        let d: Value = serde_json::from_str(&alone.detail).unwrap();
        assert_eq!(d["bucket"], "hour");
        let hours = d["hours"].as_array().unwrap();
        assert_eq!(hours.len(), 1, "the signal's own hour: {d}");
        assert_eq!(hours[0]["start"], "2026-01-08T03:00:00+00:00");
        assert_eq!(hours[0]["observed"].as_f64(), Some(7.0));

        // 14:00 spiked too, far past its bound: the same incident, now high.
        let mut later = s;
        (later.window_start, later.window_end) = (h(14), h(15));
        (later.observed, later.threshold) = (13.0, 6.2);
        let grown = SpikeUpsert::of_incident(&s, &[s, later]).unwrap();
        assert_eq!(
            (grown.subject.as_str(), grown.subject_prefix),
            ("spike:79:2026-01-08T10", Some("spike:79:2026-01-08T".to_owned()))
        );
        assert_eq!(grown.severity, Severity::High);
        let d: Value = serde_json::from_str(&grown.detail).unwrap();
        assert_eq!(d["window_start"], "2026-01-08T03:00:00+00:00", "the hour it began");
        assert_eq!(d["observed"].as_f64(), Some(7.0));
        let hours = d["hours"].as_array().unwrap();
        assert_eq!(hours.len(), 2);
        assert_eq!(hours[1]["start"], "2026-01-08T07:00:00+00:00");
        assert_eq!(hours[1]["end"], "2026-01-08T08:00:00+00:00");
        assert_eq!(hours[1]["threshold"].as_f64(), Some(6.2));

        // 23:30 on 8 January in Vietnam is still 8 January; national areas too.
        assert_eq!(
            spike_subject_prefix(None, SpikeBucket::Hour, h(23) + Duration::minutes(30)).as_deref(),
            Some("spike:national:2026-01-08T")
        );
        assert_eq!(
            spike_subject_prefix(None, SpikeBucket::Hour, h(24)).as_deref(),
            Some("spike:national:2026-01-09T")
        );
    }
}
