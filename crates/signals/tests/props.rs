//! No method panics on any non-negative series, and every row keeps its invariants.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use signals::{
    Bucket, Detector, Lags, Method, MethodConfig, Params, Series, SeriesKey, VolumeGuard, assess,
    spikes_csv,
};

fn counts() -> impl Strategy<Value = Vec<u32>> {
    let value = prop_oneof![
        4 => Just(0u32),
        4 => 0u32..20,
        2 => 0u32..100_000,
        1 => Just(u32::MAX),
        1 => any::<u32>(),
    ];
    prop::collection::vec(value, 0..200)
}

fn detectors() -> Vec<Detector> {
    let mut all = Vec::new();
    for m in Method::ALL {
        all.push(Detector::reference(m));
        all.push(Detector::production(m));
    }
    all.push(
        Detector::new(MethodConfig {
            baseline: 3,
            ..MethodConfig::reference(Method::EarsTReweighted)
        })
        .unwrap(),
    );
    all.push(
        Detector::new(MethodConfig { baseline: 1, ..MethodConfig::reference(Method::Medisys) })
            .unwrap(),
    );
    all
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_200_400, 0).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_method_panics_and_rows_hold_their_invariants(counts in counts()) {
        for lags in [Lags::DAILY, Lags { step: 24, week: 168 }, Lags { step: 1, week: 168 }] {
            for d in detectors() {
                let rows = d.rows(&counts, lags);
                prop_assert_eq!(rows.len(), counts.len());
                for (t, row) in rows.iter().enumerate() {
                    prop_assert_eq!(row.is_some(), t >= d.first_row(lags));
                    let Some(row) = row else { continue };
                    let y = f64::from(counts[t]);
                    prop_assert!(row.expected.is_finite() && row.expected >= 0.0);
                    prop_assert!(row.threshold.is_finite());
                    if d.method() != Method::Medisys {
                        prop_assert!(row.threshold >= row.expected - 1e-9 * row.expected);
                    }
                    if d.method() != Method::EarsC3 {
                        prop_assert_eq!(row.alert, y > row.threshold);
                    }
                    let e = d.explain(&counts, t, lags).unwrap();
                    prop_assert_eq!(e.row, *row);
                    prop_assert_eq!(e.baseline.len(), d.config().baseline);
                    prop_assert!(e.baseline.iter().all(|&i| i < t));
                }
            }
        }
    }

    #[test]
    fn the_command_and_the_scan_never_panic(counts in counts()) {
        let mut csv = String::from("date,count\n");
        let day0 = chrono::NaiveDate::from_ymd_opt(2024, 2, 27).unwrap();
        for (i, c) in counts.iter().enumerate() {
            csv.push_str(&format!("{},{c}\n", day0 + TimeDelta::days(i as i64)));
        }
        for m in Method::ALL {
            let text = spikes_csv(&csv, m.name(), false).unwrap();
            prop_assert_eq!(text.lines().count(), counts.len() + 1);
            let json = spikes_csv(&csv, m.name(), true).unwrap();
            prop_assert_eq!(json.lines().count(), counts.len());
        }
        let series = Series::from_counts(SeriesKey::province("t", "01"), Bucket::Day, start(), counts.clone());
        for m in Method::ALL {
            let params = Params::new(MethodConfig::production(m), VolumeGuard::default(), Some(34)).unwrap();
            for days in [0, 1, counts.len() as i64, counts.len() as i64 + 3] {
                let _ = assess(&series, &params, Some("day"), start() + TimeDelta::days(days));
            }
        }
    }
}
