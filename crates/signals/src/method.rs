//! The spike methods: which baseline each compares a count with, by which formula, and
//! the verdict per row. Pure functions of a count series and an index.
//!
//! Notation: `y_t` is the count at index `t`; `s` the baseline step in buckets (1 for a
//! daily series, 24 for 24-hour windows sliding hourly, see [`Lags`]); `b` the baseline
//! length; ȳ and `sd` the sample mean and standard deviation (divisor `b − 1`) of the
//! baseline window; `σ = max(sd, minSigma)`.
//!
//! | method | baseline | upper bound `U_t` | alert |
//! |---|---|---|---|
//! | `ears-c1` | `y_{t−b·s} … y_{t−s}` | `ȳ + z·σ`, `z = qnorm(1 − α)` | `y_t > U_t` |
//! | `ears-c2` | `y_{t−(b+2)·s} … y_{t−3·s}` (two-step guard band) | `ȳ + z·σ` | `y_t > U_t` |
//! | `ears-c3` | C2's, at `t−2s`, `t−s`, `t` | `ȳ_t + σ_t·(1 + max(0, z − L))` | `C3_t > z` |
//! | `ears-t-reweighted` | `y_{t−n·s} … y_{t−s}` (or same weekday) | `ȳ_w + qt(1 − α, n−1)·sd_w·√(1 + 1/n)` | `y_t > U_t` |
//! | `medisys` | `y_{t−b·s} … y_{t−s}` | `ratio·ȳ` | `y_t > U_t` |
//!
//! C1 and C2 are exactly R `surveillance::earsC` (tested against it). C3 is the
//! documented statistic `C3_t = Σ_{i=t−2..t} max(0, C2_i − 1)` with `C2_i = (y_i − ȳ_i)/σ_i`
//! and `L = max(0, C2_{t−2} − 1) + max(0, C2_{t−1} − 1)`: an alert when `C3_t > z` with
//! `z = qnorm(1 − 0.025)`. R's `earsC(method = "C3")` computes its bound as
//! `y_t + σ·(z − L)`, so its alarm depends on the two lagged terms only and never on the
//! current count; this crate does not follow that, and does not test C3 against R. The
//! count threshold reported for C3 is the count above which the current day alone raises
//! the statistic past `z`; when the two previous days already have `L > z` the row alerts
//! whatever its count, the one case where `alert` is not `y_t > threshold`.
//! Defaults: `b = 7`, α = 0.001 for C1 and C2 (z ≈ 3.090), 0.025 for C3 (z ≈ 1.960).
//!
//! `ears-t-reweighted` is epitweetr's `ears_t_reweighted` (α = 0.025, α_outlier = 0.05,
//! k = 4, n = 7). A fit with weights `w` (normalised to sum to `n`) has
//! `ȳ_w = Σ w_i·y_i / n`, `sd_w = √(Σ w_i·(y_i − ȳ_w)² / (n − 1))` and the t prediction
//! bound `U = ȳ_w + qt(1 − α, n − 1)·max(sd_w, minSigma)·√(1 + 1/n)`. The first fit has
//! every `w_i = 1` (epitweetr's `U0`, `alarm0`, `y0bar`: [`Explanation::unweighted`]).
//! Earlier spikes are then downweighted as Farrington does: with `e_i = y_i − ȳ`, the
//! leave-one-out sd `σ_(i)` and the leverage `1/n`, the externally studentised residual is
//! `r*_i = e_i / (σ_(i)·√(1 − 1/n))`, and `w_i = (c / r*_i)^k` when `r*_i > c`,
//! `c = qt(1 − α_outlier, n − 2)` (2.015 for n = 7), else 1; only positive outliers lose
//! weight. The second fit (`U0_dw`, `alarm0_dw`) is the row: production alerts on it. The
//! baseline is the `n` buckets before `t`, or with [`WeekdayBaseline`] the same weekday in
//! each of the `n` weeks before. A constant baseline makes `r*` 0/0, where epitweetr's R
//! returns NA for the downweighted bound; here nothing is downweighted.
//!
//! `medisys` is the alert rule of the JRC's MedISys (patent application EP1973073A1): a
//! topic alerts when its count in the current interval exceeds the average count over a
//! number of past intervals "by a predetermined amount". This crate reads the amount as a
//! multiple: `y_t > ratio·ȳ`, with the published shape of the comparison (the last day
//! against the 14 days before, `b = 14`) and `ratio = 3` as defaults; neither number is
//! documented by the JRC, so both are parameters. It has no significance level and no
//! spread, so on a quiet baseline (ȳ = 0) any story alerts: the volume guard is what
//! keeps it honest.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::quantile::{t_upper, z_upper};

/// The longest baseline `ears-t-reweighted` accepts: its per-row work lives in fixed
/// arrays on the stack, so evaluating a row never allocates.
pub const MAX_REWEIGHTED_BASELINE: usize = 64;

/// A spike detection method, selectable by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    /// CDC EARS C1: the last `b` buckets.
    #[serde(rename = "ears-c1")]
    EarsC1,
    /// CDC EARS C2: `b` buckets before a two-bucket guard band.
    #[serde(rename = "ears-c2")]
    EarsC2,
    /// CDC EARS C3: the C2 excesses of the last three buckets summed.
    #[serde(rename = "ears-c3")]
    EarsC3,
    /// epitweetr's `ears_t_reweighted`: a t prediction interval with earlier spikes
    /// downweighted.
    #[serde(rename = "ears-t-reweighted")]
    EarsTReweighted,
    /// The MedISys ratio rule: the count against a multiple of the baseline average.
    #[serde(rename = "medisys")]
    Medisys,
}

impl Method {
    /// Every method, in the order help texts list them.
    pub const ALL: [Method; 5] =
        [Method::EarsC1, Method::EarsC2, Method::EarsC3, Method::EarsTReweighted, Method::Medisys];

    /// The name the command line and configuration use.
    pub fn name(self) -> &'static str {
        match self {
            Method::EarsC1 => "ears-c1",
            Method::EarsC2 => "ears-c2",
            Method::EarsC3 => "ears-c3",
            Method::EarsTReweighted => "ears-t-reweighted",
            Method::Medisys => "medisys",
        }
    }

    /// The name with the version of its implementation, stored with every spike so a
    /// stored alert says which arithmetic produced it.
    pub fn version(self) -> &'static str {
        match self {
            Method::EarsC1 => "ears-c1/1",
            Method::EarsC2 => "ears-c2/1",
            Method::EarsC3 => "ears-c3/1",
            Method::EarsTReweighted => "ears-t-reweighted/1",
            Method::Medisys => "medisys/1",
        }
    }

    /// The valid names, comma separated, for error messages and help.
    pub fn names() -> String {
        Method::ALL.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
    }

    /// Whether the method has a significance level (all but `medisys`).
    pub fn uses_alpha(self) -> bool {
        self != Method::Medisys
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let wanted = s.trim();
        Method::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Error::UnknownMethod { given: s.to_owned(), valid: Method::names() })
    }
}

/// Which baseline `ears-t-reweighted` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeekdayBaseline {
    /// The `n` buckets just before (epitweetr's default).
    Never,
    /// The same weekday in each of the `n` weeks before.
    Always,
    /// Consecutive buckets until there are `7·n + 2` days of history, then the same
    /// weekday: news volume has a strong weekly rhythm (a weekend drop), which a
    /// consecutive baseline mistakes for spikes on Mondays.
    Auto,
}

/// The parameters of a method. Fields a method does not use are ignored by it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MethodConfig {
    /// The method.
    pub method: Method,
    /// The significance level α, before any Bonferroni division (not used by `medisys`).
    pub alpha: f64,
    /// Baseline length: `b` for EARS and MedISys, `n` for `ears-t-reweighted`.
    pub baseline: usize,
    /// Floor on the standard deviation of the EARS methods and `ears-t-reweighted`.
    pub min_sigma: f64,
    /// `ears-t-reweighted`: residuals beyond the `1 − alpha_outlier` quantile of t(n−2)
    /// are downweighted.
    pub alpha_outlier: f64,
    /// `ears-t-reweighted`: the power `k` in the weight `(threshold / r*)^k`.
    pub k_decay: f64,
    /// `ears-t-reweighted`: consecutive or same-weekday baseline.
    pub weekday: WeekdayBaseline,
    /// `medisys`: the multiple of the baseline average a count must exceed.
    pub ratio: f64,
}

impl MethodConfig {
    /// The published defaults, exactly as R `surveillance::earsC` and epitweetr's
    /// `ears_t_reweighted` run them: no floor on the spread, consecutive baseline.
    pub fn reference(method: Method) -> Self {
        let (alpha, baseline) = match method {
            Method::EarsC1 | Method::EarsC2 => (0.001, 7),
            Method::EarsC3 | Method::EarsTReweighted => (0.025, 7),
            Method::Medisys => (0.025, 14),
        };
        MethodConfig {
            method,
            alpha,
            baseline,
            min_sigma: 0.0,
            alpha_outlier: 0.05,
            k_decay: 4.0,
            weekday: WeekdayBaseline::Never,
            ratio: 3.0,
        }
    }

    /// The defaults the running detector uses: the reference ones with a standard
    /// deviation floor of 1 (without it seven quiet days followed by a single story
    /// alert) and the automatic same-weekday baseline.
    pub fn production(method: Method) -> Self {
        MethodConfig {
            min_sigma: 1.0,
            weekday: WeekdayBaseline::Auto,
            ..MethodConfig::reference(method)
        }
    }

    fn validate(&self) -> Result<(), Error> {
        let bad = |name, message: String| Err(Error::InvalidParam { name, message });
        let m = self.method;
        if m.uses_alpha() && !(self.alpha > 0.0 && self.alpha < 0.5) {
            return bad("alpha", format!("must be between 0 and 0.5, got {}", self.alpha));
        }
        let least = match m {
            // R refuses a baseline under 3; t(n − 2) needs n ≥ 3 as well.
            Method::EarsC1 | Method::EarsC2 | Method::EarsC3 | Method::EarsTReweighted => 3,
            Method::Medisys => 1,
        };
        if self.baseline < least {
            return bad("baseline", format!("must be at least {least}, got {}", self.baseline));
        }
        if m == Method::EarsTReweighted && self.baseline > MAX_REWEIGHTED_BASELINE {
            return bad(
                "baseline",
                format!("must be at most {MAX_REWEIGHTED_BASELINE}, got {}", self.baseline),
            );
        }
        if !(self.min_sigma >= 0.0 && self.min_sigma.is_finite()) {
            return bad("min_sigma", format!("must be 0 or more, got {}", self.min_sigma));
        }
        if m == Method::EarsTReweighted {
            if !(self.alpha_outlier > 0.0 && self.alpha_outlier < 0.5) {
                return bad(
                    "alpha_outlier",
                    format!("must be between 0 and 0.5, got {}", self.alpha_outlier),
                );
            }
            if !(self.k_decay >= 0.0 && self.k_decay.is_finite()) {
                return bad("k_decay", format!("must be 0 or more, got {}", self.k_decay));
            }
        }
        if m == Method::Medisys && !(self.ratio > 0.0 && self.ratio.is_finite()) {
            return bad("ratio", format!("must be above 0, got {}", self.ratio));
        }
        Ok(())
    }
}

/// How far apart, in buckets, the baseline points of a series lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lags {
    /// One baseline step: 1 for daily or hourly buckets, 24 for 24-hour windows that
    /// slide by the hour (the baseline days are then non-overlapping).
    pub step: usize,
    /// One week, for the same-weekday baseline: 7 for daily buckets, 168 for hourly.
    pub week: usize,
}

impl Lags {
    /// A daily series.
    pub const DAILY: Lags = Lags { step: 1, week: 7 };
}

/// One row of a method's output.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// What the baseline predicts: its mean (for `ears-t-reweighted` the downweighted
    /// mean the threshold is built on).
    pub expected: f64,
    /// The upper bound: a count above it alerts (see the module docs for C3).
    pub threshold: f64,
    /// The verdict.
    pub alert: bool,
}

/// A row with everything that went into it, for an explainable alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The verdict and its numbers.
    pub row: Row,
    /// The series indices of the baseline window, oldest first.
    pub baseline: Vec<usize>,
    /// The counts at those indices.
    pub values: Vec<f64>,
    /// `ears-t-reweighted`: the weight of each baseline value, normalised to sum to `n`;
    /// empty for the other methods, whose baseline values all weigh the same.
    pub weights: Vec<f64>,
    /// The spread of the baseline before the `min_sigma` floor (for
    /// `ears-t-reweighted`, the downweighted `sd_w`).
    pub sd: f64,
    /// The spread the threshold used: `max(sd, min_sigma)`.
    pub sd_used: f64,
    /// Whether the baseline took the same weekday in earlier weeks.
    pub same_weekday: bool,
    /// `ears-t-reweighted`: the fit without downweighting (epitweetr's `y0bar`, `U0`,
    /// `alarm0`).
    pub unweighted: Option<Row>,
    /// `ears-c3`: the statistic `C3_t`; `medisys`: the ratio `y_t / ȳ` (none when ȳ = 0).
    pub statistic: Option<f64>,
}

/// A validated method with its quantiles computed once, ready to evaluate rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Detector {
    config: MethodConfig,
    /// EARS: `z = qnorm(1 − α)`. Reweighted: `qt(1 − α, n − 1)·√(1 + 1/n)`.
    critical: f64,
    /// Reweighted: `qt(1 − α_outlier, n − 2)`.
    outlier: f64,
}

/// What a method computed at one index, on the stack: rows are evaluated by the million.
struct Fit {
    row: Row,
    sd: f64,
    sd_used: f64,
    step: usize,
    first_lag: usize,
    len: usize,
    same_weekday: bool,
    weights: Option<[f64; MAX_REWEIGHTED_BASELINE]>,
    unweighted: Option<Row>,
    statistic: Option<f64>,
}

impl Detector {
    /// Validates the parameters and computes the quantiles.
    pub fn new(config: MethodConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(Detector::prepare(config))
    }

    /// The reference detector of a method ([`MethodConfig::reference`]).
    pub fn reference(method: Method) -> Self {
        // The defaults are valid (a unit test holds them so).
        Detector::prepare(MethodConfig::reference(method))
    }

    /// The production detector of a method ([`MethodConfig::production`]).
    pub fn production(method: Method) -> Self {
        Detector::prepare(MethodConfig::production(method))
    }

    /// Computes the quantiles of parameters known to be valid.
    pub(crate) fn prepare(config: MethodConfig) -> Self {
        let n = config.baseline as f64;
        let (critical, outlier) = match config.method {
            Method::EarsC1 | Method::EarsC2 | Method::EarsC3 => (z_upper(config.alpha), 0.0),
            Method::EarsTReweighted => (
                t_upper(config.alpha, n - 1.0) * (1.0 + 1.0 / n).sqrt(),
                t_upper(config.alpha_outlier, n - 2.0),
            ),
            Method::Medisys => (0.0, 0.0),
        };
        Detector { config, critical, outlier }
    }

    /// The parameters.
    pub fn config(&self) -> &MethodConfig {
        &self.config
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.config.method
    }

    /// The first index that has enough history for a row.
    pub fn first_row(&self, lags: Lags) -> usize {
        let b = self.config.baseline;
        let s = lags.step.max(1);
        let units = match self.config.method {
            Method::EarsC1 | Method::Medisys => b,
            Method::EarsC2 => b.saturating_add(2),
            Method::EarsC3 => b.saturating_add(4),
            Method::EarsTReweighted => {
                if self.config.weekday == WeekdayBaseline::Always {
                    return b.saturating_mul(lags.week.max(1));
                }
                b
            }
        };
        units.saturating_mul(s)
    }

    /// The row at index `t`, or `None` when the baseline is too short (or `t` is past
    /// the end). Counts must be finite and non-negative; anything else gives meaningless
    /// numbers but never a panic.
    pub fn row<T: Copy + Into<f64>>(&self, counts: &[T], t: usize, lags: Lags) -> Option<Row> {
        self.fit(counts, t, lags).map(|f| f.row)
    }

    /// The rows of a whole series, `None` where the baseline is too short.
    pub fn rows<T: Copy + Into<f64>>(&self, counts: &[T], lags: Lags) -> Vec<Option<Row>> {
        (0..counts.len()).map(|t| self.row(counts, t, lags)).collect()
    }

    /// The row at index `t` with its baseline, weights and intermediate values.
    pub fn explain<T: Copy + Into<f64>>(
        &self,
        counts: &[T],
        t: usize,
        lags: Lags,
    ) -> Option<Explanation> {
        let fit = self.fit(counts, t, lags)?;
        let baseline: Vec<usize> =
            (0..fit.len).rev().map(|k| t - fit.step * (fit.first_lag + k)).collect();
        let values = baseline.iter().map(|&i| counts[i].into()).collect();
        let weights = fit.weights.map(|w| w[..fit.len].to_vec()).unwrap_or_default();
        Some(Explanation {
            row: fit.row,
            baseline,
            values,
            weights,
            sd: fit.sd,
            sd_used: fit.sd_used,
            same_weekday: fit.same_weekday,
            unweighted: fit.unweighted,
            statistic: fit.statistic,
        })
    }

    fn fit<T: Copy + Into<f64>>(&self, counts: &[T], t: usize, lags: Lags) -> Option<Fit> {
        if t >= counts.len() {
            return None;
        }
        let step = lags.step.max(1);
        match self.config.method {
            Method::EarsC1 => self.ears(counts, t, step, 1),
            Method::EarsC2 => self.ears(counts, t, step, 3),
            Method::EarsC3 => self.ears_c3(counts, t, step),
            Method::EarsTReweighted => self.reweighted(counts, t, step, lags.week.max(1)),
            Method::Medisys => self.medisys(counts, t, step),
        }
    }

    /// C1 (`first_lag` 1) and C2 (`first_lag` 3): `U = ȳ + z·max(sd, minSigma)`.
    fn ears<T: Copy + Into<f64>>(
        &self,
        counts: &[T],
        t: usize,
        step: usize,
        first_lag: usize,
    ) -> Option<Fit> {
        let b = self.config.baseline;
        let (mean, sd) = window_stats(counts, t, step, first_lag, b)?;
        let sd_used = sd.max(self.config.min_sigma);
        let threshold = mean + self.critical * sd_used;
        let alert = counts[t].into() > threshold;
        Some(Fit {
            row: Row { expected: mean, threshold, alert },
            sd,
            sd_used,
            step,
            first_lag,
            len: b,
            same_weekday: false,
            weights: None,
            unweighted: None,
            statistic: None,
        })
    }

    /// C3: `C3_t = Σ_{i=t−2..t} max(0, C2_i − 1) > z`.
    fn ears_c3<T: Copy + Into<f64>>(&self, counts: &[T], t: usize, step: usize) -> Option<Fit> {
        let b = self.config.baseline;
        let floor = self.config.min_sigma;
        let c2 = |i: usize| -> Option<(f64, f64, f64, f64)> {
            let (mean, sd) = window_stats(counts, i, step, 3, b)?;
            let sigma = sd.max(floor);
            Some((z_score(counts[i].into() - mean, sigma), mean, sd, sigma))
        };
        let lag2 = c2(t.checked_sub(2 * step)?)?.0;
        let lag1 = c2(t - step)?.0;
        let (now, mean, sd, sigma) = c2(t)?;
        let lagged = (lag2 - 1.0).max(0.0) + (lag1 - 1.0).max(0.0);
        let statistic = lagged + (now - 1.0).max(0.0);
        let z = self.critical;
        Some(Fit {
            row: Row {
                expected: mean,
                threshold: mean + sigma * (1.0 + (z - lagged).max(0.0)),
                alert: statistic > z,
            },
            sd,
            sd_used: sigma,
            step,
            first_lag: 3,
            len: b,
            same_weekday: false,
            weights: None,
            unweighted: None,
            statistic: Some(statistic),
        })
    }

    /// epitweetr's `ears_t_reweighted`, with an optional floor on the spread.
    fn reweighted<T: Copy + Into<f64>>(
        &self,
        counts: &[T],
        t: usize,
        step: usize,
        week: usize,
    ) -> Option<Fit> {
        let n = self.config.baseline;
        let same_weekday = match self.config.weekday {
            WeekdayBaseline::Never => false,
            WeekdayBaseline::Always => true,
            // epitweetr reads 7·n + 2 days back for a same-weekday baseline; before that
            // much history exists the consecutive baseline serves.
            WeekdayBaseline::Auto => {
                t >= n.saturating_mul(week).saturating_add(2usize.saturating_mul(step))
            }
        };
        let s = if same_weekday { week } else { step };
        if t < n.checked_mul(s)? {
            return None;
        }
        let mut y = [0.0; MAX_REWEIGHTED_BASELINE];
        for (i, slot) in y.iter_mut().enumerate().take(n) {
            *slot = counts[t - (n - i) * s].into();
        }
        let y = &y[..n];
        let y0: f64 = counts[t].into();
        let nf = n as f64;

        let ones = [1.0; MAX_REWEIGHTED_BASELINE];
        let plain = self.weighted_fit(y, &ones[..n], y0);

        // Farrington-style downweighting of earlier spikes: externally studentised
        // residuals r*_i = e_i / (σ_(i)·√(1 − 1/n)), σ_(i) the sd without point i.
        let mut w = [1.0; MAX_REWEIGHTED_BASELINE];
        let total: f64 = y.iter().sum();
        let leverage = (1.0 - 1.0 / nf).sqrt();
        for i in 0..n {
            let others_mean = (total - y[i]) / (nf - 1.0);
            let mut ss = 0.0;
            for (j, &v) in y.iter().enumerate() {
                if j != i {
                    ss += (v - others_mean) * (v - others_mean);
                }
            }
            let sigma_i = (ss / (nf - 2.0)).sqrt();
            let r = (y[i] - plain.0.expected) / (sigma_i * leverage);
            // A constant baseline gives 0/0 here. epitweetr's R then returns NA for the
            // downweighted bound; a value equal to all the others is no outlier, so its
            // weight stays 1.
            if r > self.outlier {
                w[i] = (self.outlier / r).powf(self.config.k_decay);
            }
        }
        let (row, sd, sd_used, normalised) = self.weighted_fit(y, &w[..n], y0);
        Some(Fit {
            row,
            sd,
            sd_used,
            step: s,
            first_lag: 1,
            len: n,
            same_weekday,
            weights: Some(normalised),
            unweighted: Some(plain.0),
            statistic: None,
        })
    }

    /// epitweetr's `compute_threshold`: weights normalised to sum to n, the weighted mean
    /// and sd, and the t prediction bound.
    fn weighted_fit(
        &self,
        y: &[f64],
        w: &[f64],
        y0: f64,
    ) -> (Row, f64, f64, [f64; MAX_REWEIGHTED_BASELINE]) {
        let n = y.len() as f64;
        let sum_w: f64 = w.iter().sum();
        let mut wn = [0.0; MAX_REWEIGHTED_BASELINE];
        let mut weighted = 0.0;
        for (i, (&wi, &yi)) in w.iter().zip(y).enumerate() {
            wn[i] = wi / sum_w * n;
            weighted += wn[i] * yi;
        }
        let mean = weighted / n;
        let mut ss = 0.0;
        for (&wi, &yi) in wn.iter().zip(y) {
            ss += wi * (yi - mean) * (yi - mean);
        }
        let sd = (ss / (n - 1.0)).sqrt();
        let sd_used = sd.max(self.config.min_sigma);
        let threshold = mean + self.critical * sd_used;
        (Row { expected: mean, threshold, alert: y0 > threshold }, sd, sd_used, wn)
    }

    /// MedISys: `U = ratio·ȳ` over the last `b` buckets.
    fn medisys<T: Copy + Into<f64>>(&self, counts: &[T], t: usize, step: usize) -> Option<Fit> {
        let b = self.config.baseline;
        let (mean, sd) = window_stats(counts, t, step, 1, b)?;
        let y: f64 = counts[t].into();
        let threshold = self.config.ratio * mean;
        Some(Fit {
            row: Row { expected: mean, threshold, alert: y > threshold },
            sd,
            sd_used: sd,
            step,
            first_lag: 1,
            len: b,
            same_weekday: false,
            weights: None,
            unweighted: None,
            statistic: (mean > 0.0).then(|| y / mean),
        })
    }
}

/// Mean and sample sd (divisor `len − 1`) of `y[t − step·(first_lag + k)]` for
/// `k = 0..len`, summed oldest first as R does; `None` when the window starts before the
/// series. Two passes rather than running sums: with a baseline of 7 they cost the same
/// and keep R's precision on large counts.
fn window_stats<T: Copy + Into<f64>>(
    counts: &[T],
    t: usize,
    step: usize,
    first_lag: usize,
    len: usize,
) -> Option<(f64, f64)> {
    let oldest = step.checked_mul(first_lag.checked_add(len)?.checked_sub(1)?)?;
    let start = t.checked_sub(oldest)?;
    let at = |k: usize| -> f64 { counts[start + k * step].into() };
    let mut sum = 0.0;
    for k in 0..len {
        sum += at(k);
    }
    let n = len as f64;
    let mean = sum / n;
    let mut ss = 0.0;
    for k in 0..len {
        let d = at(k) - mean;
        ss += d * d;
    }
    let sd = if len > 1 { (ss / (n - 1.0)).sqrt() } else { 0.0 };
    Some((mean, sd))
}

/// `d / sigma`, with a zero spread read as "no excess" for `d = 0` and as an infinite
/// excess otherwise (R divides and gets NaN or ±Inf).
fn z_score(d: f64, sigma: f64) -> f64 {
    if sigma > 0.0 {
        d / sigma
    } else if d > 0.0 {
        f64::INFINITY
    } else if d < 0.0 {
        f64::NEG_INFINITY
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests;
