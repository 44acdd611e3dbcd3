//! Spike alerts as the dashboard shows them: the explanation stored in an alert's `detail`
//! read back (leniently: a field missing or of the wrong type is shown as unknown, never an
//! error), and a sparkline of the baseline and the observed count.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// What a spike alert's `detail` says, as far as it can be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SpikeDetail {
    pub(crate) topic: String,
    pub(crate) topic_title: String,
    /// `national` or a province code.
    pub(crate) area: String,
    pub(crate) bucket: String,
    pub(crate) window_start: Option<DateTime<Utc>>,
    pub(crate) observed: Option<f64>,
    pub(crate) expected: Option<f64>,
    pub(crate) threshold: Option<f64>,
    pub(crate) method: String,
    pub(crate) method_version: String,
    pub(crate) baseline_from: Option<DateTime<Utc>>,
    pub(crate) baseline_to: Option<DateTime<Utc>>,
    /// Baseline counts, oldest first.
    pub(crate) baseline: Vec<f64>,
    pub(crate) stories: Vec<i64>,
    pub(crate) sources: Option<i64>,
    pub(crate) health_day: Option<String>,
    pub(crate) labels: Vec<String>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// The most baseline points read; a detail with more is cut, not refused.
const MAX_POINTS: usize = 400;
/// The most driving stories listed.
const MAX_STORIES: usize = 50;

impl SpikeDetail {
    /// Reads a stored detail; `None` when it is not a JSON object.
    pub(crate) fn parse(detail: &str) -> Option<SpikeDetail> {
        let v: Value = serde_json::from_str(detail).ok()?;
        if !v.is_object() {
            return None;
        }
        let baseline = v.get("baseline");
        Some(SpikeDetail {
            topic: text(&v, "topic"),
            topic_title: text(&v, "topic_title"),
            area: text(&v, "area"),
            bucket: text(&v, "bucket"),
            window_start: time(v.get("window_start")),
            observed: v.get("observed").and_then(Value::as_f64),
            expected: v.get("expected").and_then(Value::as_f64),
            threshold: v.get("threshold").and_then(Value::as_f64),
            method: text(&v, "method"),
            method_version: text(&v, "method_version"),
            baseline_from: time(baseline.and_then(|b| b.get("from"))),
            baseline_to: time(baseline.and_then(|b| b.get("to"))),
            baseline: baseline
                .and_then(|b| b.get("points"))
                .and_then(Value::as_array)
                .map(|points| {
                    points
                        .iter()
                        .take(MAX_POINTS)
                        // Points are `{"count": n}` objects; plain numbers are read too.
                        .filter_map(|p| p.get("count").unwrap_or(p).as_f64())
                        .collect()
                })
                .unwrap_or_default(),
            stories: v
                .get("stories")
                .and_then(Value::as_array)
                .map(|s| s.iter().filter_map(Value::as_i64).take(MAX_STORIES).collect())
                .unwrap_or_default(),
            sources: v.get("sources").and_then(Value::as_i64),
            health_day: v
                .get("health_day")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            labels: v
                .get("labels")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).take(10).map(str::to_owned).collect())
                .unwrap_or_default(),
        })
    }
}

/// The area of a spike in Vietnamese: "Toàn quốc" or the province's name.
pub(crate) fn area_name(area: &str) -> String {
    match area {
        "national" | "" => "Toàn quốc".to_owned(),
        code => gazetteer::unit(code).map_or_else(|| code.to_owned(), |u| u.name.to_owned()),
    }
}

/// A count as people read it: whole numbers without decimals, others with one or two.
pub(crate) fn count(x: Option<f64>) -> String {
    match x {
        None => "?".to_owned(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        Some(x) => {
            let s = format!("{x:.2}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    }
}

/// A sparkline: the baseline then the observed count, scaled to a small box.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sparkline {
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// The baseline's polyline points.
    pub(crate) points: String,
    /// Where the observed count is drawn.
    pub(crate) last_x: String,
    pub(crate) last_y: String,
    /// The threshold's height, when there is one.
    pub(crate) threshold_y: Option<String>,
}

/// The sparkline of a spike, or `None` without baseline or observed count.
pub(crate) fn sparkline(d: &SpikeDetail) -> Option<Sparkline> {
    let observed = d.observed?;
    if d.baseline.is_empty() {
        return None;
    }
    let (width, height, pad) = (160.0_f64, 36.0_f64, 3.0_f64);
    let top = d
        .baseline
        .iter()
        .copied()
        .chain([observed, d.threshold.unwrap_or(0.0)])
        .filter(|x| x.is_finite())
        .fold(1.0_f64, f64::max);
    let n = d.baseline.len() + 1;
    let x = |i: usize| pad + (width - 2.0 * pad) * i as f64 / (n - 1).max(1) as f64;
    let y = |v: f64| height - pad - (height - 2.0 * pad) * (v.max(0.0) / top);
    let points: Vec<String> = d
        .baseline
        .iter()
        .chain([&observed])
        .enumerate()
        .map(|(i, &v)| format!("{:.1},{:.1}", x(i), y(v)))
        .collect();
    Some(Sparkline {
        width: width as u32,
        height: height as u32,
        points: points.join(" "),
        last_x: format!("{:.1}", x(n - 1)),
        last_y: format!("{:.1}", y(observed)),
        threshold_y: d.threshold.filter(|t| t.is_finite()).map(|t| format!("{:.1}", y(t))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DETAIL: &str = r#"{"topic":"topic.sxh","topic_title":"Sốt xuất huyết","area":"79",
        "province_name":"Thành phố Hồ Chí Minh","bucket":"day",
        "window_start":"2026-11-19T17:00:00+00:00","window_end":"2026-11-20T17:00:00+00:00",
        "observed":12,"expected":3.5,"threshold":7.25,"method":"ears-c2","method_version":"ears-c2/1",
        "baseline":{"from":"2026-11-10T17:00:00+00:00","to":"2026-11-17T17:00:00+00:00",
          "points":[{"count":2},{"count":4},{"count":3}]},
        "stories":[5,9],"sources":4,"health_day":null,"labels":["x"]}"#;

    #[test]
    fn a_detail_is_read_back() {
        let d = SpikeDetail::parse(DETAIL).unwrap();
        assert_eq!(d.topic, "topic.sxh");
        assert_eq!(d.area, "79");
        assert_eq!((d.observed, d.expected, d.threshold), (Some(12.0), Some(3.5), Some(7.25)));
        assert_eq!(d.baseline, vec![2.0, 4.0, 3.0]);
        assert_eq!(d.stories, vec![5, 9]);
        assert_eq!(d.health_day, None);
        assert_eq!(area_name(&d.area), "Thành phố Hồ Chí Minh");
        assert_eq!(count(d.threshold), "7.25");
        assert_eq!(count(d.observed), "12");
        assert_eq!(count(None), "?");
    }

    #[test]
    fn odd_details_are_read_as_far_as_they_go() {
        assert_eq!(SpikeDetail::parse("not json"), None);
        assert_eq!(SpikeDetail::parse("[1]"), None);
        let d = SpikeDetail::parse(r#"{"observed":"many","stories":["x",3]}"#).unwrap();
        assert_eq!((d.observed, &d.stories), (None, &vec![3]));
        assert_eq!(sparkline(&d), None);
    }

    #[test]
    fn the_sparkline_ends_at_the_observed_count_at_the_top() {
        let d = SpikeDetail::parse(DETAIL).unwrap();
        let s = sparkline(&d).unwrap();
        assert_eq!(s.points.split(' ').count(), 4);
        // The observed count is the highest value: drawn at the top padding.
        assert_eq!(s.last_y, "3.0");
        assert_eq!(s.last_x, "157.0");
        assert!(s.threshold_y.is_some());
    }
}
