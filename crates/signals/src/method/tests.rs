//! The methods on hand-checked cases, the research vectors and their parameter domains.

use super::*;

/// The series of research wave 2, §2.7 (epitweetr's own example).
const ANCHORS: [f64; 13] =
    [150., 130., 122., 160., 155., 128., 144., 125., 300., 319., 289., 277., 500.];

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got:.9}, want {want:.9}");
}

#[test]
fn the_wave2_test_vectors_hold_to_the_printed_precision() {
    struct Vector {
        day: usize,
        u0: f64,
        alarm0: bool,
        ybar: f64,
        u0_dw: f64,
        alarm0_dw: bool,
        c1: f64,
        c2: Option<f64>,
    }
    let v = |day, u0, alarm0, ybar, u0_dw, alarm0_dw, c1, c2| Vector {
        day,
        u0,
        alarm0,
        ybar,
        u0_dw,
        alarm0_dw,
        c1,
        c2,
    };
    let table = [
        v(8, 179.752, false, 141.286, 179.752, false, 186.728, None),
        v(9, 177.635, true, 137.714, 177.635, true, 184.875, None),
        v(10, 325.869, false, 162.000, 182.045, true, 355.586, Some(186.728)),
        v(11, 406.514, false, 190.143, 397.914, false, 445.752, Some(184.875)),
        v(12, 441.412, false, 208.571, 441.412, false, 483.636, Some(355.586)),
        v(13, 458.071, true, 226.000, 458.071, true, 500.155, Some(445.752)),
    ];
    let rw = Detector::reference(Method::EarsTReweighted);
    let c1 = Detector::reference(Method::EarsC1);
    let c2 = Detector::reference(Method::EarsC2);
    for Vector { day, u0, alarm0, ybar, u0_dw, alarm0_dw, c1: c1_u, c2: c2_u } in table {
        let t = day - 1;
        let e = rw.explain(&ANCHORS, t, Lags::DAILY).expect("history");
        let plain = e.unweighted.expect("reweighted has the plain fit");
        close(plain.threshold, u0, 1e-3, &format!("U0 day {day}"));
        assert_eq!(plain.alert, alarm0, "alarm0 day {day}");
        close(plain.expected, ybar, 1e-3, &format!("ȳ day {day}"));
        close(e.row.threshold, u0_dw, 1e-3, &format!("U0_dw day {day}"));
        assert_eq!(e.row.alert, alarm0_dw, "alarm0_dw day {day}");
        let r1 = c1.row(&ANCHORS, t, Lags::DAILY).expect("C1 history");
        close(r1.threshold, c1_u, 1e-3, &format!("C1 day {day}"));
        match c2_u {
            Some(u) => close(
                c2.row(&ANCHORS, t, Lags::DAILY).expect("C2 history").threshold,
                u,
                1e-3,
                &format!("C2 day {day}"),
            ),
            None => assert_eq!(c2.row(&ANCHORS, t, Lags::DAILY), None, "C2 day {day}"),
        }
    }
}

#[test]
fn downweighting_shrinks_the_weight_of_an_earlier_spike() {
    let rw = Detector::reference(Method::EarsTReweighted);
    // Day 10: the baseline is days 3–9, and day 9 (300) is the outlier.
    let e = rw.explain(&ANCHORS, 9, Lags::DAILY).expect("history");
    assert_eq!(e.baseline, [2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(e.values, [122., 160., 155., 128., 144., 125., 300.]);
    assert!(e.weights[6] < 0.1, "{:?}", e.weights);
    assert!(e.weights[..6].iter().all(|&w| w > 1.0), "{:?}", e.weights);
    close(e.weights.iter().sum(), 7.0, 1e-12, "weights sum to n");
    let plain = e.unweighted.expect("plain fit");
    assert!(e.row.expected < plain.expected);
    assert!(!e.same_weekday);
}

#[test]
fn rows_start_once_the_baseline_is_long_enough() {
    let counts = [1u32; 60];
    let weekly = MethodConfig {
        weekday: WeekdayBaseline::Always,
        ..MethodConfig::reference(Method::EarsTReweighted)
    };
    let cases = [
        (Detector::reference(Method::EarsC1), 7),
        (Detector::reference(Method::EarsC2), 9),
        (Detector::reference(Method::EarsC3), 11),
        (Detector::reference(Method::EarsTReweighted), 7),
        (Detector::reference(Method::Medisys), 14),
        (Detector::new(weekly).expect("valid"), 49),
    ];
    for (d, first) in cases {
        let rows = d.rows(&counts, Lags::DAILY);
        let got = rows.iter().position(Option::is_some);
        assert_eq!(got, Some(first), "{:?}", d.config());
        assert_eq!(d.first_row(Lags::DAILY), first);
        assert!(rows[first..].iter().all(Option::is_some));
        // Hourly sliding days step by 24.
        assert_eq!(d.first_row(Lags { step: 24, week: 168 }), first * 24);
    }
    assert_eq!(Detector::reference(Method::EarsC1).row(&counts, 60, Lags::DAILY), None);
    assert_eq!(Detector::reference(Method::EarsC1).rows(&[] as &[u32], Lags::DAILY), vec![]);
}

#[test]
fn the_same_weekday_baseline_switches_on_after_seven_weeks_and_two_days() {
    // Weekdays busy (10), weekends quiet (2): a consecutive baseline mistakes Monday for
    // a spike once the spread floor is low; the same-weekday one does not.
    let counts: Vec<f64> = (0..80).map(|d| if d % 7 < 5 { 10.0 } else { 2.0 }).collect();
    let auto = Detector::production(Method::EarsTReweighted);
    // (t, same weekday, baseline)
    let table: [(usize, bool, [usize; 7]); 4] = [
        (7, false, [0, 1, 2, 3, 4, 5, 6]),
        (50, false, [43, 44, 45, 46, 47, 48, 49]),
        (51, true, [2, 9, 16, 23, 30, 37, 44]),
        (70, true, [21, 28, 35, 42, 49, 56, 63]),
    ];
    for (t, same, baseline) in table {
        let e = auto.explain(&counts, t, Lags::DAILY).expect("history");
        assert_eq!(e.same_weekday, same, "t = {t}");
        assert_eq!(e.baseline, baseline, "t = {t}");
    }
    // Day 70 is a Monday-like busy day after a weekend: the same-weekday baseline
    // expects it exactly.
    let e = auto.explain(&counts, 70, Lags::DAILY).expect("history");
    close(e.row.expected, 10.0, 1e-12, "same weekday expectation");
    assert!(!e.row.alert);
    // Never keeps the consecutive baseline, Always needs seven weeks.
    let never = Detector::reference(Method::EarsTReweighted);
    assert!(!never.explain(&counts, 70, Lags::DAILY).expect("history").same_weekday);
    let always = Detector::new(MethodConfig {
        weekday: WeekdayBaseline::Always,
        ..MethodConfig::reference(Method::EarsTReweighted)
    })
    .expect("valid");
    assert_eq!(always.row(&counts, 48, Lags::DAILY), None);
    assert!(always.explain(&counts, 49, Lags::DAILY).expect("history").same_weekday);
    // On hourly sliding days the week is 168 buckets and the switch comes at 7·168 + 48.
    let hourly = Lags { step: 24, week: 168 };
    let long = vec![3.0; 7 * 168 + 49];
    assert!(!auto.explain(&long, 7 * 168 + 47, hourly).expect("history").same_weekday);
    assert!(auto.explain(&long, 7 * 168 + 48, hourly).expect("history").same_weekday);
}

#[test]
fn c3_sums_the_excess_of_three_days() {
    let c3 =
        Detector::new(MethodConfig { min_sigma: 1.0, ..MethodConfig::reference(Method::EarsC3) })
            .expect("valid");
    let z = 1.959_963_984_540_054;
    // Nine quiet days, so each C2 z-score is the count itself (mean 0, σ floored at 1).
    // (y9, y10, y11, statistic, threshold, alert)
    let table = [
        (0.0, 0.0, 3.0, 2.0, 1.0 + z, true),
        (0.0, 0.0, 2.9, 1.9, 1.0 + z, false),
        (2.5, 0.5, 0.0, 1.5, 1.0 + z - 1.5, false),
        (2.5, 0.5, 1.5, 2.0, 1.0 + z - 1.5, true),
        // The two previous days alone exceed z: an alert at any count, the threshold
        // is where today's own excess would start.
        (2.5, 2.5, 0.0, 3.0, 1.0, true),
    ];
    for (y9, y10, y11, statistic, threshold, alert) in table {
        let mut counts = [0.0; 12];
        counts[9] = y9;
        counts[10] = y10;
        counts[11] = y11;
        let e = c3.explain(&counts, 11, Lags::DAILY).expect("history");
        let what = format!("{y9} {y10} {y11}");
        close(e.statistic.expect("C3 statistic"), statistic, 1e-12, &what);
        close(e.row.threshold, threshold, 1e-12, &what);
        assert_eq!(e.row.alert, alert, "{what}");
        close(e.row.expected, 0.0, 0.0, &what);
        assert_eq!(e.baseline, [2, 3, 4, 5, 6, 7, 8]);
    }
    // Without a floor a flat baseline makes any rise infinitely unusual, and no rise
    // nothing at all (R would divide 0 by 0).
    let bare = Detector::reference(Method::EarsC3);
    let mut flat = [4.0; 12];
    assert!(!bare.row(&flat, 11, Lags::DAILY).expect("history").alert);
    flat[11] = 5.0;
    let row = bare.row(&flat, 11, Lags::DAILY).expect("history");
    assert!(row.alert);
    close(row.threshold, 4.0, 0.0, "flat threshold");
}

#[test]
fn c1_and_c2_read_their_windows() {
    let counts: Vec<f64> = (0..12).map(|i| f64::from(i * i)).collect();
    let c1 = Detector::reference(Method::EarsC1).explain(&counts, 11, Lags::DAILY).expect("c1");
    assert_eq!(c1.baseline, [4, 5, 6, 7, 8, 9, 10]);
    let c2 = Detector::reference(Method::EarsC2).explain(&counts, 11, Lags::DAILY).expect("c2");
    assert_eq!(c2.baseline, [2, 3, 4, 5, 6, 7, 8]);
    let mean = [4., 9., 16., 25., 36., 49., 64.].iter().sum::<f64>() / 7.0;
    close(c2.row.expected, mean, 1e-12, "C2 mean");
    let ss: f64 = [4., 9., 16., 25., 36., 49., 64.].iter().map(|v| (v - mean) * (v - mean)).sum();
    close(c2.sd, (ss / 6.0).sqrt(), 1e-12, "C2 sd");
    close(c2.row.threshold, mean + 3.090_232_306_167_813 * c2.sd, 1e-9, "C2 bound");
    assert!(c2.weights.is_empty());
    // A series of sliding days read every 24 buckets equals the daily series.
    let hourly: Vec<f64> = counts.iter().flat_map(|&c| std::iter::repeat_n(c, 24)).collect();
    let lags = Lags { step: 24, week: 168 };
    let h = Detector::reference(Method::EarsC1).row(&hourly, 11 * 24 + 5, lags).expect("c1");
    assert_eq!(h, c1.row);
}

#[test]
fn medisys_compares_with_a_multiple_of_the_fortnight_average() {
    let mut counts = vec![2.0; 15];
    counts[14] = 7.0;
    let m = Detector::reference(Method::Medisys);
    let e = m.explain(&counts, 14, Lags::DAILY).expect("history");
    close(e.row.expected, 2.0, 0.0, "mean");
    close(e.row.threshold, 6.0, 0.0, "3 × mean");
    assert!(e.row.alert);
    close(e.statistic.expect("ratio"), 3.5, 1e-12, "ratio");
    assert_eq!(e.baseline.len(), 14);
    // Exactly three times the average is not above it.
    counts[14] = 6.0;
    assert!(!m.row(&counts, 14, Lags::DAILY).expect("history").alert);
    // Nothing expected: any story alerts, and there is no ratio.
    let mut quiet = vec![0.0; 15];
    quiet[14] = 1.0;
    let e = m.explain(&quiet, 14, Lags::DAILY).expect("history");
    assert!(e.row.alert);
    assert_eq!(e.statistic, None);
}

#[test]
fn the_spread_floor_applies_to_ears_and_reweighted() {
    let mut counts = [0.0; 8];
    counts[7] = 1.0;
    for m in [Method::EarsC1, Method::EarsTReweighted] {
        let bare = Detector::reference(m).row(&counts, 7, Lags::DAILY).expect("history");
        assert!(bare.alert, "{m} without a floor alerts on one story after a quiet week");
        let floored = Detector::production(m).row(&counts, 7, Lags::DAILY).expect("history");
        assert!(!floored.alert, "{m} with a floor of 1 does not");
    }
}

#[test]
fn defaults_are_valid_and_bad_parameters_are_refused() {
    for m in Method::ALL {
        assert_eq!(Detector::new(MethodConfig::reference(m)).ok(), Some(Detector::reference(m)));
        assert_eq!(Detector::new(MethodConfig::production(m)).ok(), Some(Detector::production(m)));
    }
    let base = MethodConfig::reference(Method::EarsTReweighted);
    let cases = [
        (MethodConfig { alpha: 0.0, ..base }, "alpha"),
        (MethodConfig { alpha: 0.5, ..base }, "alpha"),
        (MethodConfig { alpha: f64::NAN, ..base }, "alpha"),
        (MethodConfig { baseline: 2, ..base }, "baseline"),
        (MethodConfig { baseline: MAX_REWEIGHTED_BASELINE + 1, ..base }, "baseline"),
        (MethodConfig { min_sigma: -1.0, ..base }, "min_sigma"),
        (MethodConfig { min_sigma: f64::INFINITY, ..base }, "min_sigma"),
        (MethodConfig { alpha_outlier: 0.7, ..base }, "alpha_outlier"),
        (MethodConfig { k_decay: -1.0, ..base }, "k_decay"),
        (MethodConfig { ratio: 0.0, ..MethodConfig::reference(Method::Medisys) }, "ratio"),
        (MethodConfig { baseline: 0, ..MethodConfig::reference(Method::Medisys) }, "baseline"),
        (MethodConfig { baseline: 2, ..MethodConfig::reference(Method::EarsC1) }, "baseline"),
    ];
    for (config, param) in cases {
        match Detector::new(config) {
            Err(Error::InvalidParam { name, .. }) => assert_eq!(name, param, "{config:?}"),
            other => panic!("{config:?} gave {other:?}"),
        }
    }
    // MedISys has no α to check; a long EARS baseline needs no stack space.
    assert!(
        Detector::new(MethodConfig { alpha: 0.0, ..MethodConfig::reference(Method::Medisys) })
            .is_ok()
    );
    assert!(
        Detector::new(MethodConfig { baseline: 500, ..MethodConfig::reference(Method::EarsC2) })
            .is_ok()
    );
}

#[test]
fn methods_are_named_for_the_command_line() {
    for m in Method::ALL {
        assert_eq!(m.name().parse::<Method>().ok(), Some(m));
        assert_eq!(serde_json::to_string(&m).ok(), Some(format!("\"{}\"", m.name())));
        assert!(m.version().starts_with(m.name()));
    }
    assert_eq!(" Medisys ".parse::<Method>().ok(), Some(Method::Medisys));
    let err = "c1".parse::<Method>().expect_err("unknown");
    assert!(err.to_string().contains("ears-c1, ears-c2, ears-c3, ears-t-reweighted, medisys"));
}
