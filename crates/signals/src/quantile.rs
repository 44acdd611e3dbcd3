//! Normal and Student-t quantiles, computed here because the detectors need them to the
//! ninth decimal and the workspace carries no statistics crate.
//!
//! Both are found the same way: the upper tail probability comes from a regularised
//! incomplete function (gamma for the normal, beta for t) to within a few units in the
//! last place, and a safeguarded Newton iteration solves `tail(x) = q` for `x > 0`. Newton
//! starts from a classical approximation (Hastings for the normal, Cornish–Fisher for t)
//! and falls back to bisection whenever a step would leave the bracket that holds the root,
//! so it converges for any probability and any degrees of freedom. Working with the upper
//! tail `q = 1 − p` directly keeps full relative precision for the small α the province
//! series use (0.025/34).

use std::f64::consts::PI;

/// The Lanczos approximation with g = 7 and nine terms: about 15 significant digits for
/// Γ(x), x ≥ ½, which is every argument the t distribution needs.
const LANCZOS_G: f64 = 7.0;
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// The continued fractions stop when a factor is within this of 1.
const CF_EPS: f64 = 1e-16;
/// Keeps the modified Lentz recurrences away from a division by zero.
const TINY: f64 = 1e-300;
/// Iterations allowed to a continued fraction or series; convergence takes tens.
const MAX_TERMS: usize = 1_000;

/// `ln Γ(x)` for `x > 0`.
pub(crate) fn ln_gamma(x: f64) -> f64 {
    if x < 0.5 {
        // The reflection formula keeps the Lanczos sum in its accurate range.
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = LANCZOS[0];
    for (i, c) in LANCZOS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + LANCZOS_G + 0.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// `ln Γ(a) − ln Γ(a + b)` for `a ≥ 8`, from Stirling's series written as a difference,
/// so the two large logarithms never meet: subtracting them (each near 2,600 for
/// t(1000)) would throw away the last four digits.
fn ln_gamma_ratio(a: f64, b: f64) -> f64 {
    let ab = a + b;
    -(a - 0.5) * (b / a).ln_1p() - b * ab.ln() + b + stirling_tail(a) - stirling_tail(ab)
}

/// `ln Γ(z) − ((z − ½)·ln z − z + ½·ln 2π)`: Stirling's correction, to below 1e-15 for
/// z ≥ 8.
fn stirling_tail(z: f64) -> f64 {
    // The Bernoulli terms B_2k / (2k (2k − 1) z^(2k − 1)), k = 1..7.
    const C: [f64; 7] = [
        1.0 / 12.0,
        -1.0 / 360.0,
        1.0 / 1260.0,
        -1.0 / 1680.0,
        1.0 / 1188.0,
        -691.0 / 360_360.0,
        1.0 / 156.0,
    ];
    let w = 1.0 / (z * z);
    let mut sum = 0.0;
    for c in C.iter().rev() {
        sum = sum * w + c;
    }
    sum / z
}

fn ln_beta(a: f64, b: f64) -> f64 {
    let (small, large) = if a < b { (a, b) } else { (b, a) };
    if large >= 8.0 {
        ln_gamma(small) + ln_gamma_ratio(large, small)
    } else {
        ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
    }
}

/// The regularised incomplete beta function `I_x(a, b)`, given `x`, `y = 1 − x` and
/// their logarithms separately, so a caller that knows them exactly loses nothing to
/// `1 − x` or to the logarithm of a number near 1.
fn inc_beta(a: f64, b: f64, (x, ln_x): (f64, f64), (y, ln_y): (f64, f64)) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    let front = (a * ln_x + b * ln_y - ln_beta(a, b)).exp();
    // The continued fraction converges fast below the mean of the distribution; above
    // it, the symmetry I_x(a, b) = 1 − I_y(b, a) moves the work there.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, y) / b
    }
}

/// The continued fraction of the incomplete beta function, by the modified Lentz method.
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..MAX_TERMS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let factor = d * c;
        h *= factor;
        if (factor - 1.0).abs() < CF_EPS {
            break;
        }
    }
    h
}

/// The regularised upper incomplete gamma function `Q(a, x)`.
fn upper_inc_gamma(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let front = (a * x.ln() - x - ln_gamma(a)).exp();
    if x < a + 1.0 {
        // The series for P converges quickly here, and Q = 1 − P is not small.
        let mut term = 1.0 / a;
        let mut sum = term;
        for n in 1..MAX_TERMS {
            term *= x / (a + n as f64);
            sum += term;
            if term.abs() < sum.abs() * CF_EPS {
                break;
            }
        }
        1.0 - front * sum
    } else {
        let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..MAX_TERMS {
            let i = i as f64;
            let an = -i * (i - a);
            b += 2.0;
            d = 1.0 / guard(an * d + b);
            c = guard(b + an / c);
            let factor = d * c;
            h *= factor;
            if (factor - 1.0).abs() < CF_EPS {
                break;
            }
        }
        front * h
    }
}

/// P(Z > z) for a standard normal Z and z ≥ 0: ½·erfc(z/√2) = ½·Q(½, z²/2).
fn normal_upper_tail(z: f64) -> f64 {
    0.5 * upper_inc_gamma(0.5, 0.5 * z * z)
}

fn normal_density(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * PI).sqrt()
}

/// P(T > t) for Student's t with `df` degrees of freedom and t ≥ 0:
/// ½·I_{ν/(ν+t²)}(ν/2, ½).
fn t_upper_tail(t: f64, df: f64) -> f64 {
    let r = t * t / df;
    let ln_1p_r = r.ln_1p();
    // x = ν/(ν + t²) = 1/(1 + r) and y = t²/(ν + t²) = r/(1 + r).
    let x = (1.0 / (1.0 + r), -ln_1p_r);
    let y = (r / (1.0 + r), r.ln() - ln_1p_r);
    0.5 * inc_beta(0.5 * df, 0.5, x, y)
}

fn t_density(t: f64, df: f64) -> f64 {
    let half = 0.5 * df;
    let ln_ratio = if half >= 8.0 {
        -ln_gamma_ratio(half, 0.5)
    } else {
        ln_gamma(half + 0.5) - ln_gamma(half)
    };
    let ln_norm = ln_ratio - 0.5 * (df * PI).ln();
    (ln_norm - 0.5 * (df + 1.0) * (t * t / df).ln_1p()).exp()
}

/// Solves `tail(x) = q` for x > 0, where `tail` decreases from ½ at 0 and `density` is
/// minus its derivative: Newton steps from `start`, bisection when a step leaves the
/// bracket.
fn solve_upper(q: f64, start: f64, tail: impl Fn(f64) -> f64, density: impl Fn(f64) -> f64) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while tail(hi) > q {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return f64::INFINITY;
        }
    }
    let mut x = if start > lo && start < hi { start } else { 0.5 * (lo + hi) };
    for _ in 0..MAX_TERMS {
        let s = tail(x);
        if s == q {
            return x;
        }
        if s > q {
            lo = x;
        } else {
            hi = x;
        }
        let mut next = x + (s - q) / density(x);
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 2.0 * f64::EPSILON * next.abs() || hi - lo <= f64::EPSILON * hi {
            return next;
        }
        x = next;
    }
    x
}

/// The standard normal quantile above which a fraction `q` of the mass lies, for
/// `0 < q ≤ ½`: `z` with P(Z > z) = q.
pub(crate) fn z_upper(q: f64) -> f64 {
    if q.is_nan() || q <= 0.0 {
        return if q == 0.0 { f64::INFINITY } else { f64::NAN };
    }
    if q >= 0.5 {
        return if q == 0.5 { 0.0 } else { -z_upper(1.0 - q) };
    }
    // Hastings' rational approximation (Abramowitz & Stegun 26.2.23, error below 4.5e-4)
    // is a start that Newton refines in a few steps.
    let t = (-2.0 * q.ln()).sqrt();
    let start = t
        - (2.515_517 + 0.802_853 * t + 0.010_328 * t * t)
            / (1.0 + 1.432_788 * t + 0.189_269 * t * t + 0.001_308 * t * t * t);
    solve_upper(q, start, normal_upper_tail, normal_density)
}

/// Student's t quantile above which a fraction `q` of the mass lies, for `0 < q ≤ ½` and
/// `df > 0`: `t` with P(T > t) = q.
pub(crate) fn t_upper(q: f64, df: f64) -> f64 {
    if q.is_nan() || df.is_nan() || df <= 0.0 || q <= 0.0 {
        return if q == 0.0 && df > 0.0 { f64::INFINITY } else { f64::NAN };
    }
    if q >= 0.5 {
        return if q == 0.5 { 0.0 } else { -t_upper(1.0 - q, df) };
    }
    // Cornish–Fisher: the normal quantile corrected for the heavier tails, a fair start
    // for every df above 2 and a harmless one (bisection takes over) below.
    let z = z_upper(q);
    let z3 = z * z * z;
    let start =
        z + (z3 + z) / (4.0 * df) + (5.0 * z3 * z * z + 16.0 * z3 + 3.0 * z) / (96.0 * df * df);
    solve_upper(q, start, |t| t_upper_tail(t, df), |t| t_density(t, df))
}

/// The quantile function of the standard normal distribution (R's `qnorm(p)`): the `z`
/// with P(Z ≤ z) = p. `NaN` outside `[0, 1]`, ∓∞ at 0 and 1.
pub fn qnorm(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p >= 0.5 { z_upper(1.0 - p) } else { -z_upper(p) }
}

/// The quantile function of Student's t distribution with `df` degrees of freedom (R's
/// `qt(p, df)`): the `t` with P(T ≤ t) = p. `NaN` outside `[0, 1]` or for `df ≤ 0`.
pub fn qt(p: f64, df: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if p >= 0.5 { t_upper(1.0 - p, df) } else { -t_upper(p, df) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, tol: f64) {
        assert!((got - want).abs() <= tol, "got {got:.15}, want {want:.15}");
    }

    #[test]
    fn the_quantiles_the_methods_use_match_r_to_the_ninth_decimal() {
        close(qt(0.975, 6.0), 2.446_911_851_1, 1e-9);
        close(qt(0.95, 5.0), 2.015_048_373_3, 1e-9);
        close(qnorm(0.999), 3.090_232_306, 1e-9);
        close(qnorm(0.975), 1.959_963_985, 1e-9);
    }

    #[test]
    fn known_values_to_full_precision() {
        // Values printed by R 4.2 with `sprintf("%.17g", …)`.
        close(qnorm(0.999), 3.090_232_306_167_813, 1e-13);
        close(qnorm(0.975), 1.959_963_984_540_053_6, 1e-13);
        close(qnorm(0.5), 0.0, 0.0);
        close(qnorm(0.025), -1.959_963_984_540_053_6, 1e-13);
        close(qt(0.975, 6.0), 2.446_911_851_144_969, 1e-13);
        close(qt(0.95, 5.0), 2.015_048_373_333_022_4, 1e-13);
        close(qt(0.999, 2.0), 22.327_124_770_119_866, 1e-11);
        // The Cauchy distribution has a closed form: tan(π(p − ½)).
        close(qt(0.975, 1.0), (PI * 0.475).tan(), 1e-9);
        // Two degrees of freedom too: t = (2p − 1)·sqrt(2 / (4p(1 − p))).
        let p: f64 = 0.999;
        close(qt(p, 2.0), (2.0 * p - 1.0) * (2.0 / (4.0 * p * (1.0 - p))).sqrt(), 1e-9);
    }

    #[test]
    fn tails_stay_precise_for_small_alpha() {
        // The province α: 0.025 / 34. A round trip through the tail must hold.
        let q = 0.025 / 34.0;
        for df in [1.0, 2.0, 5.0, 6.0, 30.0, 1000.0] {
            let t = t_upper(q, df);
            close(t_upper_tail(t, df) / q, 1.0, 1e-12);
        }
        let z = z_upper(q);
        close(normal_upper_tail(z) / q, 1.0, 1e-12);
        close(z_upper(1e-300) / 37.0, 1.0, 0.01);
    }

    #[test]
    fn out_of_range_probabilities_are_not_numbers() {
        assert!(qnorm(-0.1).is_nan());
        assert!(qnorm(1.5).is_nan());
        assert!(qt(0.9, 0.0).is_nan());
        assert!(qt(f64::NAN, 3.0).is_nan());
        assert_eq!(qnorm(1.0), f64::INFINITY);
        assert_eq!(qnorm(0.0), f64::NEG_INFINITY);
        assert_eq!(qt(1.0, 4.0), f64::INFINITY);
    }

    #[test]
    fn the_gamma_ratio_agrees_with_the_plain_difference_where_that_is_precise() {
        for (a, b) in [(8.0, 0.5), (10.0, 0.5), (12.5, 3.0), (30.0, 0.5)] {
            close(ln_gamma_ratio(a, b), ln_gamma(a) - ln_gamma(a + b), 1e-13);
        }
        // Γ(a)/Γ(a + ½) ≈ a^(−½)(1 + 1/(8a)) for large a.
        let a: f64 = 1e6;
        close(ln_gamma_ratio(a, 0.5), -0.5 * a.ln() + (1.0 / (8.0 * a)).ln_1p(), 1e-12);
    }

    #[test]
    fn ln_gamma_of_integers_and_a_half() {
        close(ln_gamma(1.0), 0.0, 1e-14);
        close(ln_gamma(5.0), 24.0_f64.ln(), 1e-13);
        close(ln_gamma(0.5), PI.sqrt().ln(), 1e-14);
        close(ln_gamma(0.25), 1.288_022_524_698_077_5, 1e-13);
    }
}
