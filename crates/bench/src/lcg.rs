//! A small deterministic random generator, so every run of a suite measures the same data.

pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    /// A uniform draw in `[0, 1)`.
    pub(crate) fn next(&mut self) -> f64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform index in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((self.next() * n as f64) as usize).min(n - 1)
    }

    /// A Zipf-distributed rank in `0..n` (exponent 1), by inverting the harmonic CDF
    /// approximately.
    pub(crate) fn zipf(&mut self, n: usize) -> usize {
        let u = self.next();
        (((n as f64 + 1.0).powf(u) - 1.0) as usize).min(n - 1)
    }

    /// A Poisson draw by inversion (rates here are small enough).
    pub(crate) fn poisson(&mut self, rate: f64) -> u32 {
        let mut k = 0;
        let mut p = (-rate).exp();
        let mut cdf = p;
        let u = self.next();
        while u > cdf && k < 10_000 {
            k += 1;
            p *= rate / f64::from(k);
            cdf += p;
        }
        k
    }
}
