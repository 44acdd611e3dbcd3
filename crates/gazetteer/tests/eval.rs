//! Precision and recall of the main province on `tests/places.tsv`: hand-written sentences
//! in news and social-post registers, each with the province it is mostly about (or none).
//!
//! A prediction is correct when it equals the expected code; precision is correct over
//! predicted, recall correct over expected-non-empty. The test prints both for each split
//! (`dev`, used while writing the rules, and `holdout`, written afterwards and never tuned
//! on), then every miss, and fails below precision 0.95 or recall 0.90 on the whole set.
//!
//! ```sh
//! cargo test -p gazetteer --test eval -- --nocapture
//! ```

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use gazetteer::Gazetteer;

const SET: &str = include_str!("places.tsv");

#[derive(Default)]
struct Tally {
    rows: usize,
    expected: usize,
    predicted: usize,
    correct: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        if self.predicted == 0 { 1.0 } else { self.correct as f64 / self.predicted as f64 }
    }

    fn recall(&self) -> f64 {
        if self.expected == 0 { 1.0 } else { self.correct as f64 / self.expected as f64 }
    }

    fn line(&self, name: &str) -> String {
        format!(
            "{name:8} rows {:3}  precision {:.3} ({}/{})  recall {:.3} ({}/{})",
            self.rows,
            self.precision(),
            self.correct,
            self.predicted,
            self.recall(),
            self.correct,
            self.expected,
        )
    }
}

#[test]
fn main_province_precision_and_recall() {
    let gazetteer = Gazetteer::embedded();
    let (mut all, mut dev, mut holdout) = (Tally::default(), Tally::default(), Tally::default());
    let mut misses = Vec::new();
    for (n, line) in SET.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "places.tsv:{}: expected 4 columns", n + 1);
        let (expected, split, title, body) = (cols[0], cols[1], cols[2], cols[3]);
        let title = vi_text::display(title);
        let body = vi_text::display(body);
        let got = gazetteer.places(&title, &body).main_province().unwrap_or("");
        let tally = match split {
            "dev" => &mut dev,
            "holdout" => &mut holdout,
            other => panic!("places.tsv:{}: unknown split {other:?}", n + 1),
        };
        for t in [&mut all, tally] {
            t.rows += 1;
            t.expected += usize::from(!expected.is_empty());
            t.predicted += usize::from(!got.is_empty());
            t.correct += usize::from(!got.is_empty() && got == expected);
        }
        if got != expected {
            misses.push(format!(
                "  {split} line {}: expected {expected:?}, got {got:?}: {title} {body}",
                n + 1
            ));
        }
    }
    println!("{}", dev.line("dev"));
    println!("{}", holdout.line("holdout"));
    println!("{}", all.line("all"));
    for miss in &misses {
        println!("{miss}");
    }
    assert!(all.rows >= 250, "the set has {} sentences, fewer than 250", all.rows);
    assert!(all.precision() >= 0.95, "precision {:.3} below 0.95", all.precision());
    assert!(all.recall() >= 0.90, "recall {:.3} below 0.90", all.recall());
}
