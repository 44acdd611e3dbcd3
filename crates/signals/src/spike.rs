//! The spike decision for the latest complete bucket of a series: the method's verdict,
//! the guards against alerts on tiny numbers, and everything needed to explain it. Pure:
//! the clock and the health-day calendar are passed in.
//!
//! Guards (research wave 2, §2.5):
//! * a floor on the spread (`min_sigma`, 1.0 in production), so a quiet series does not
//!   alert on its first story;
//! * a minimum volume: at least 5 distinct stories from at least 3 distinct sources in
//!   the window, counted on the members the series carries (stories, not copies);
//! * Bonferroni: province series run at α/34, the national series at α;
//! * a national health day related to the topic labels the spike ("expected
//!   (campaign)") and never suppresses it.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::Error;
use crate::method::{Detector, Method, MethodConfig, Row};
use crate::series::{Area, Series, SeriesKey};

/// The number of provinces since 1 July 2025: the default Bonferroni divisor.
pub const PROVINCES: u32 = 34;

/// The label a spike gets while a related health day is under way.
pub const CAMPAIGN_LABEL: &str = "expected (campaign)";

/// The minimum-volume guard (the analogue of Farrington's "at least 5 cases in the last
/// 4 periods"): no spike unless the window has this many distinct stories from this many
/// distinct sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VolumeGuard {
    /// Distinct stories needed.
    pub min_stories: usize,
    /// Distinct sources needed.
    pub min_sources: usize,
}

impl Default for VolumeGuard {
    fn default() -> Self {
        VolumeGuard { min_stories: 5, min_sources: 3 }
    }
}

/// How a scan decides: a method with its parameters, and the guards.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    national: Detector,
    province: Detector,
    volume: VolumeGuard,
    bonferroni: Option<u32>,
}

impl Params {
    /// A method and guards; with `bonferroni = Some(m)` province series run at α/m.
    pub fn new(
        config: MethodConfig,
        volume: VolumeGuard,
        bonferroni: Option<u32>,
    ) -> Result<Self, Error> {
        let national = Detector::new(config)?;
        let province = match bonferroni {
            Some(0) => {
                return Err(Error::InvalidParam {
                    name: "bonferroni",
                    message: "must divide by at least 1".to_owned(),
                });
            }
            Some(m) if config.method.uses_alpha() => {
                Detector::new(MethodConfig { alpha: config.alpha / f64::from(m), ..config })?
            }
            _ => national.clone(),
        };
        Ok(Params { national, province, volume, bonferroni })
    }

    /// The production detector: `ears-t-reweighted` at α = 0.025 nationally and
    /// 0.025/34 per province, α_outlier = 0.05, k = 4, n = 7, the same-weekday baseline
    /// once there is history for it, a spread floor of 1, and at least 5 stories from 3
    /// sources.
    pub fn production() -> Self {
        let config = MethodConfig::production(Method::EarsTReweighted);
        let national = Detector::production(Method::EarsTReweighted);
        // α/34 of a valid α is still between 0 and ½.
        let province = Detector::prepare(MethodConfig {
            alpha: config.alpha / f64::from(PROVINCES),
            ..config
        });
        Params { national, province, volume: VolumeGuard::default(), bonferroni: Some(PROVINCES) }
    }

    /// The method's parameters (α before any Bonferroni division).
    pub fn config(&self) -> &MethodConfig {
        self.national.config()
    }

    /// The volume guard.
    pub fn volume(&self) -> VolumeGuard {
        self.volume
    }

    /// The detector a series in `area` runs.
    pub fn detector(&self, area: &Area) -> &Detector {
        if area.is_province() { &self.province } else { &self.national }
    }

    /// The α a series in `area` runs at, `None` for a method without one.
    pub fn alpha_eff(&self, area: &Area) -> Option<f64> {
        let d = self.detector(area);
        d.method().uses_alpha().then_some(d.config().alpha)
    }
}

/// One bucket of a spike's baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselinePoint {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    /// End of the bucket (exclusive).
    pub end: DateTime<Utc>,
    /// Its count.
    pub count: f64,
}

/// The outcome of the spread floor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SigmaGuard {
    /// The floor.
    pub floor: f64,
    /// Whether it raised the spread (the baseline varied less than the floor).
    pub raised: bool,
}

/// The outcome of the volume guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VolumeCheck {
    /// Distinct stories in the window.
    pub stories: usize,
    /// Distinct sources in the window, `None` when the series carries counts only.
    pub sources: Option<usize>,
    /// Stories needed.
    pub min_stories: usize,
    /// Sources needed.
    pub min_sources: usize,
    /// Whether the window had enough (unknown sources pass only when none are needed).
    pub passed: bool,
}

/// Every guard's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guards {
    /// The spread floor (EARS methods and `ears-t-reweighted`).
    pub min_sigma: SigmaGuard,
    /// The minimum volume.
    pub volume: VolumeCheck,
    /// The Bonferroni divisor applied to α, if any.
    pub bonferroni: Option<u32>,
}

/// The evaluation of the latest complete bucket of a series, with everything that went
/// into it: what an alert stores so an officer can see why it fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spike {
    /// The series.
    pub key: SeriesKey,
    /// Start of the window evaluated.
    pub window_start: DateTime<Utc>,
    /// End of the window evaluated (exclusive).
    pub window_end: DateTime<Utc>,
    /// Distinct stories in the window.
    pub observed: f64,
    /// What the baseline predicts.
    pub expected: f64,
    /// The upper bound.
    pub threshold: f64,
    /// The method's verdict before the volume guard.
    pub exceeds: bool,
    /// `observed / expected`, the MedISys-style ratio shown beside every method (none
    /// when nothing was expected).
    pub ratio: Option<f64>,
    /// The method.
    pub method: Method,
    /// The method with its implementation version.
    pub method_version: &'static str,
    /// The baseline buckets, oldest first.
    pub baseline: Vec<BaselinePoint>,
    /// `ears-t-reweighted`: the baseline weights (summing to n); empty otherwise.
    pub weights: Vec<f64>,
    /// The baseline's spread before the floor.
    pub sd: f64,
    /// Whether the baseline took the same weekday in earlier weeks.
    pub same_weekday: bool,
    /// `ears-t-reweighted`: the fit without downweighting.
    pub unweighted: Option<Row>,
    /// `ears-c3`: the C3 statistic; `medisys`: its ratio.
    pub statistic: Option<f64>,
    /// α before any Bonferroni division (none for `medisys`).
    pub alpha: Option<f64>,
    /// α as applied to this series.
    pub alpha_eff: Option<f64>,
    /// The guards' outcomes.
    pub guards: Guards,
    /// The distinct stories in the window, the ones driving the count.
    pub stories: Vec<i64>,
    /// The related health day under way, if any: the spike is then labelled
    /// [`CAMPAIGN_LABEL`], never suppressed.
    pub health_day: Option<String>,
}

impl Spike {
    /// Whether this is a spike to alert on: the method says so and the volume guard
    /// passes.
    pub fn raised(&self) -> bool {
        self.exceeds && self.guards.volume.passed
    }

    /// The labels an alert shows with it.
    pub fn labels(&self) -> Vec<&'static str> {
        self.health_day.iter().map(|_| CAMPAIGN_LABEL).collect()
    }
}

/// The latest complete bucket of `series` at `now`, evaluated whatever the verdict, or
/// `None` when no bucket is complete or the baseline is too short. `health_day` names a
/// related health day under way (the caller looks it up in the calendar).
pub fn assess(
    series: &Series,
    params: &Params,
    health_day: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Spike> {
    let t = series.last_complete(now)?;
    let counts: Cow<'_, [u32]> = match series.counts().get(..=t) {
        Some(c) => Cow::Borrowed(c),
        None => {
            // Buckets with no sighting after the series ends are zeros.
            let mut padded = series.counts().to_vec();
            padded.resize(t + 1, 0);
            Cow::Owned(padded)
        }
    };
    let detector = params.detector(&series.key.area);
    let explained = detector.explain(&counts, t, series.bucket.lags())?;
    let observed = f64::from(counts[t]);

    let (stories, volume) = if series.has_members() {
        let members = series.window_members(t);
        let mut stories: Vec<i64> = members.iter().map(|m| m.story).collect();
        stories.dedup();
        let mut sources: Vec<i64> = members.iter().map(|m| m.source).collect();
        sources.sort_unstable();
        sources.dedup();
        let check = VolumeCheck {
            stories: stories.len(),
            sources: Some(sources.len()),
            min_stories: params.volume.min_stories,
            min_sources: params.volume.min_sources,
            passed: stories.len() >= params.volume.min_stories
                && sources.len() >= params.volume.min_sources,
        };
        (stories, check)
    } else {
        let n = counts[t] as usize;
        let check = VolumeCheck {
            stories: n,
            sources: None,
            min_stories: params.volume.min_stories,
            min_sources: params.volume.min_sources,
            passed: n >= params.volume.min_stories && params.volume.min_sources == 0,
        };
        (Vec::new(), check)
    };

    let config = detector.config();
    let floor = match config.method {
        Method::Medisys => 0.0,
        _ => config.min_sigma,
    };
    let (window_start, window_end) = series.window(t);
    let row = explained.row;
    Some(Spike {
        key: series.key.clone(),
        window_start,
        window_end,
        observed,
        expected: row.expected,
        threshold: row.threshold,
        exceeds: row.alert,
        ratio: (row.expected > 0.0).then(|| observed / row.expected),
        method: config.method,
        method_version: config.method.version(),
        baseline: explained
            .baseline
            .iter()
            .zip(&explained.values)
            .map(|(&i, &count)| {
                let (start, end) = series.window(i);
                BaselinePoint { start, end, count }
            })
            .collect(),
        weights: explained.weights,
        sd: explained.sd,
        same_weekday: explained.same_weekday,
        unweighted: explained.unweighted,
        statistic: explained.statistic,
        alpha: config.method.uses_alpha().then_some(params.config().alpha),
        alpha_eff: params.alpha_eff(&series.key.area),
        guards: Guards {
            min_sigma: SigmaGuard { floor, raised: explained.sd < floor },
            volume,
            bonferroni: params
                .bonferroni
                .filter(|_| series.key.area.is_province() && config.method.uses_alpha()),
        },
        stories,
        health_day: health_day.map(str::to_owned),
    })
}

/// The spike of `series` at `now`, if its latest complete bucket is one: the method
/// alerts and the volume guard passes (see [`assess`] for the decision either way).
pub fn scan(
    series: &Series,
    params: &Params,
    health_day: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Spike> {
    assess(series, params, health_day, now).filter(Spike::raised)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::WeekdayBaseline;
    use crate::series::{Bucket, Member};
    use chrono::{TimeDelta, TimeZone};

    fn day0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid") - TimeDelta::hours(7)
    }

    /// A daily series whose last day has `stories` stories from `sources` sources, after
    /// a quiet baseline of two stories a day.
    fn series(area: Area, stories: i64, sources: i64) -> Series {
        let mut per_day: Vec<Vec<Member>> = (0..14)
            .map(|d| (0..2).map(|k| Member { story: d * 100 + k, source: k }).collect())
            .collect();
        per_day
            .push((0..stories).map(|k| Member { story: 5000 + k, source: k % sources }).collect());
        Series::from_members(
            SeriesKey { topic: "dengue".into(), area },
            Bucket::Day,
            day0(),
            &per_day,
        )
    }

    fn now() -> DateTime<Utc> {
        day0() + TimeDelta::days(15) + TimeDelta::hours(2)
    }

    #[test]
    fn the_volume_guard_decides_on_distinct_stories_and_sources() {
        let params = Params::production();
        // The baseline is two stories a day, so the bound is 2 + qt(0.975, 6)·1·√(8/7)
        // ≈ 4.62 with the spread floor of 1: five stories exceed it, four do not.
        // (stories, sources, exceeds, raised)
        let table = [
            (12, 4, true, true),
            (12, 2, true, false),
            (5, 3, true, true),
            (5, 2, true, false),
            (30, 1, true, false),
            (4, 4, false, false),
        ];
        for (stories, sources, exceeds, raised) in table {
            let s = series(Area::National, stories, sources);
            let spike = assess(&s, &params, None, now()).expect("enough history");
            assert_eq!(spike.exceeds, exceeds, "{stories}/{sources}: {spike:?}");
            assert_eq!(spike.raised(), raised, "{stories}/{sources}");
            assert_eq!(spike.guards.volume.stories, stories as usize);
            assert_eq!(spike.guards.volume.sources, Some(sources as usize));
            assert_eq!(scan(&s, &params, None, now()).is_some(), raised);
            assert_eq!(spike.stories.len(), stories as usize);
        }
    }

    #[test]
    fn the_spread_floor_stops_a_quiet_series_alerting_on_one_story() {
        let quiet = |floor: f64| {
            let config =
                MethodConfig { min_sigma: floor, ..MethodConfig::reference(Method::EarsC1) };
            let params = Params::new(config, VolumeGuard { min_stories: 0, min_sources: 0 }, None)
                .expect("valid");
            let s = Series::from_counts(
                SeriesKey::national("t"),
                Bucket::Day,
                day0(),
                vec![0, 0, 0, 0, 0, 0, 0, 1],
            );
            assess(&s, &params, None, day0() + TimeDelta::days(8)).expect("history")
        };
        let bare = quiet(0.0);
        assert!(bare.raised());
        assert!(!bare.guards.min_sigma.raised);
        let floored = quiet(1.0);
        assert!(!floored.raised());
        assert!(floored.guards.min_sigma.raised);
        assert!((floored.threshold - 3.090_232_306_167_813).abs() < 1e-12);
    }

    #[test]
    fn province_series_run_at_alpha_over_34() {
        let params = Params::production();
        let national = assess(&series(Area::National, 12, 4), &params, None, now()).expect("spike");
        let province = assess(&series(Area::Province("01".into()), 12, 4), &params, None, now())
            .expect("spike");
        assert_eq!(national.alpha_eff, Some(0.025));
        assert_eq!(national.guards.bonferroni, None);
        assert_eq!(province.alpha, Some(0.025));
        assert_eq!(province.alpha_eff, Some(0.025 / 34.0));
        assert_eq!(province.guards.bonferroni, Some(34));
        assert!(province.threshold > national.threshold);
        assert!(
            Params::new(MethodConfig::reference(Method::EarsC1), VolumeGuard::default(), Some(0))
                .is_err()
        );
    }

    #[test]
    fn a_health_day_labels_and_never_suppresses() {
        let params = Params::production();
        let s = series(Area::National, 12, 4);
        let plain = scan(&s, &params, None, now()).expect("spike");
        let campaign = scan(&s, &params, Some("ngay-the-gioi-phong-chong-sot-xuat-huyet"), now())
            .expect("still a spike");
        assert!(plain.labels().is_empty());
        assert_eq!(campaign.labels(), [CAMPAIGN_LABEL]);
        assert_eq!(
            campaign.health_day.as_deref(),
            Some("ngay-the-gioi-phong-chong-sot-xuat-huyet")
        );
        assert_eq!(campaign.threshold, plain.threshold);
    }

    #[test]
    fn the_spike_explains_itself() {
        let params = Params::production();
        let s = series(Area::National, 12, 4);
        let spike = scan(&s, &params, None, now()).expect("spike");
        assert_eq!(spike.window_start, day0() + TimeDelta::days(14));
        assert_eq!(spike.window_end, day0() + TimeDelta::days(15));
        assert_eq!(spike.observed, 12.0);
        assert_eq!(spike.baseline.len(), 7);
        assert_eq!(spike.baseline[0].start, day0() + TimeDelta::days(7));
        assert!(spike.baseline.iter().all(|p| p.count == 2.0));
        assert_eq!(spike.weights, vec![1.0; 7]);
        assert_eq!(spike.method_version, "ears-t-reweighted/1");
        assert!(spike.guards.min_sigma.raised);
        assert_eq!(spike.ratio, Some(6.0));
        let json = serde_json::to_value(&spike).expect("serialises");
        assert_eq!(json["key"]["area"], "national");
        assert_eq!(json["method"], "ears-t-reweighted");
    }

    #[test]
    fn the_clock_picks_the_bucket() {
        let params = Params::production();
        let s = series(Area::National, 12, 4);
        // In the middle of the last day, that day is not complete: the day before is
        // evaluated, and it is not a spike.
        let midday = day0() + TimeDelta::days(14) + TimeDelta::hours(12);
        let earlier = assess(&s, &params, None, midday).expect("history");
        assert_eq!(earlier.observed, 2.0);
        assert!(!earlier.exceeds);
        // Two days after the series ends, the missing days count zero.
        let later = assess(&s, &params, None, now() + TimeDelta::days(2)).expect("history");
        assert_eq!(later.observed, 0.0);
        assert!(later.stories.is_empty());
        // Before any bucket is complete, nothing.
        assert!(assess(&s, &params, None, day0()).is_none());
        // Too little history for the method.
        assert!(assess(&s, &params, None, day0() + TimeDelta::days(3)).is_none());
    }

    #[test]
    fn a_counts_only_series_passes_the_volume_guard_only_without_a_source_minimum() {
        let counts = vec![2, 2, 2, 2, 2, 2, 2, 2, 20];
        let s = Series::from_counts(SeriesKey::national("t"), Bucket::Day, day0(), counts);
        let at = day0() + TimeDelta::days(9);
        assert!(scan(&s, &Params::production(), None, at).is_none());
        let config = MethodConfig {
            weekday: WeekdayBaseline::Never,
            ..MethodConfig::production(Method::EarsTReweighted)
        };
        let lenient = Params::new(config, VolumeGuard { min_stories: 5, min_sources: 0 }, None)
            .expect("valid");
        let spike = scan(&s, &lenient, None, at).expect("spike");
        assert_eq!(spike.guards.volume.sources, None);
        assert!(spike.stories.is_empty());
    }
}
