//! Token-level overlap of an extracted text with the expected one, as the
//! article-extraction benchmarks score main-text extractors: bags of lowercase word
//! tokens, precision, recall and F1.

use std::collections::HashMap;

/// Precision, recall and F1 of predicted tokens against expected tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// Share of predicted tokens that are expected.
    pub precision: f64,
    /// Share of expected tokens that were predicted.
    pub recall: f64,
    /// Harmonic mean of the two.
    pub f1: f64,
}

fn bag(text: &str) -> HashMap<String, usize> {
    let mut bag = HashMap::new();
    for token in text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()) {
        *bag.entry(token.to_lowercase()).or_insert(0) += 1;
    }
    bag
}

/// Bag-of-words overlap of `predicted` with `expected`. Two empty texts agree fully; an
/// empty prediction of a non-empty text scores zero.
pub fn token_f1(predicted: &str, expected: &str) -> Overlap {
    let p = bag(predicted);
    let e = bag(expected);
    let np: usize = p.values().sum();
    let ne: usize = e.values().sum();
    if np == 0 && ne == 0 {
        return Overlap { precision: 1.0, recall: 1.0, f1: 1.0 };
    }
    let common: usize = p.iter().map(|(t, n)| (*n).min(e.get(t).copied().unwrap_or(0))).sum();
    let precision = if np == 0 { 0.0 } else { common as f64 / np as f64 };
    let recall = if ne == 0 { 0.0 } else { common as f64 / ne as f64 };
    let f1 = if common == 0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
    Overlap { precision, recall, f1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bags_not_sequences() {
        assert_eq!(token_f1("b a", "A b").f1, 1.0);
        let o = token_f1("sốt xuất huyết tăng", "sốt xuất huyết");
        assert!((o.precision - 0.75).abs() < 1e-9 && o.recall == 1.0);
        assert_eq!(token_f1("", "a").f1, 0.0);
        assert_eq!(token_f1("", "").f1, 1.0);
    }
}
