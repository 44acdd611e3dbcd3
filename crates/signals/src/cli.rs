//! `langnghe spikes --series FILE.csv --method M [--json]`: a daily count series from CSV
//! run through one method, one output line per day. The binary only reads the file and
//! prints the string this returns.
//!
//! The command computes the reference formulas (the published defaults, no spread floor,
//! consecutive baseline: [`MethodConfig::reference`]), so its output can be checked
//! against R and epitweetr; the guards belong to the running detector, not to this.

use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;

use crate::Error;
use crate::method::{Detector, Lags, Method, MethodConfig, Row};

/// Counts above this are not exact in the `f64` the methods compute with.
const MAX_COUNT: u64 = 1 << 53;

/// One day of a count series read from CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyCount {
    /// The day.
    pub date: NaiveDate,
    /// Its count.
    pub count: u64,
}

/// Reads a daily count series: a header row naming `date` and `count` (other columns are
/// ignored), then one row per day, dates as `YYYY-MM-DD`, consecutive and increasing,
/// counts whole numbers of 0 or more. Errors name the line and the field.
pub fn read_counts_csv(csv_text: &str) -> Result<Vec<DailyCount>, Error> {
    let text = csv_text.strip_prefix('\u{feff}').unwrap_or(csv_text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(Error::MissingHeader),
        Some(row) => row.map_err(|e| bad_row(&e, 1))?,
    };
    let column = |name: &'static str| {
        header.iter().position(|h| h.eq_ignore_ascii_case(name)).ok_or(Error::MissingColumn(name))
    };
    let (date_at, count_at) = (column("date")?, column("count")?);

    let mut out: Vec<DailyCount> = Vec::new();
    for row in records {
        let row = row.map_err(|e| bad_row(&e, 0))?;
        let line = row.position().map_or(0, csv::Position::line);
        let field = |at: usize, name: &'static str| {
            row.get(at).ok_or_else(|| Error::BadRow {
                line,
                message: format!(
                    "expected {} fields as the header has, found {} (no `{name}`)",
                    header.len(),
                    row.len()
                ),
            })
        };
        let (date_text, count_text) = (field(date_at, "date")?, field(count_at, "count")?);
        let bad = |field, message| Error::BadField { line, field, message };
        let date = parse_date(date_text).ok_or_else(|| {
            bad("date", format!("expected a date as YYYY-MM-DD, got {date_text:?}"))
        })?;
        if let Some(prev) = out.last() {
            let next = prev.date + TimeDelta::days(1);
            if date != next {
                return Err(bad(
                    "date",
                    format!("expected {next} (one row per day, in order, no gaps), got {date}"),
                ));
            }
        }
        let count =
            count_text.parse::<u64>().ok().filter(|&c| c <= MAX_COUNT).ok_or_else(|| {
                bad("count", format!("expected a whole number of 0 or more, got {count_text:?}"))
            })?;
        out.push(DailyCount { date, count });
    }
    Ok(out)
}

fn bad_row(e: &csv::Error, fallback_line: u64) -> Error {
    let line = e.position().map_or(fallback_line, csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_owned(),
        _ => e.to_string(),
    };
    Error::BadRow { line, message }
}

/// Exactly `YYYY-MM-DD`: chrono alone would also take `2026-1-8`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[derive(Serialize)]
struct JsonRow {
    date: String,
    count: u64,
    expected: Option<f64>,
    threshold: Option<f64>,
    alert: Option<bool>,
}

/// The output of `langnghe spikes`: for each day the date, count, expected value,
/// threshold and verdict, as aligned plain-text columns under a header (`-` where the
/// baseline is too short, verdict `alert` or `ok`), or with `json` as JSON Lines
/// `{"date":"2026-01-08","count":125,"expected":141.28…,"threshold":179.75…,"alert":false}`
/// with `null` where the baseline is too short. An unknown method is an error listing
/// the valid ones.
pub fn spikes_csv(csv_text: &str, method: &str, json: bool) -> Result<String, Error> {
    let method: Method = method.parse()?;
    let days = read_counts_csv(csv_text)?;
    let counts: Vec<f64> = days.iter().map(|d| d.count as f64).collect();
    let detector = Detector::new(MethodConfig::reference(method))?;
    let rows = detector.rows(&counts, Lags::DAILY);
    if json { render_json(&days, &rows) } else { Ok(render_text(&days, &rows)) }
}

fn render_json(days: &[DailyCount], rows: &[Option<Row>]) -> Result<String, Error> {
    let mut out = String::new();
    for (day, row) in days.iter().zip(rows) {
        let line = JsonRow {
            date: day.date.to_string(),
            count: day.count,
            expected: row.map(|r| r.expected),
            threshold: row.map(|r| r.threshold),
            alert: row.map(|r| r.alert),
        };
        // Serialising plain numbers and strings cannot fail; if it ever did, the line
        // would be a JSON null rather than a lost row.
        out.push_str(&serde_json::to_string(&line).unwrap_or_else(|_| "null".to_owned()));
        out.push('\n');
    }
    Ok(out)
}

fn render_text(days: &[DailyCount], rows: &[Option<Row>]) -> String {
    let header = ["date", "count", "expected", "threshold", "verdict"];
    let cells: Vec<[String; 5]> = days
        .iter()
        .zip(rows)
        .map(|(day, row)| {
            let (expected, threshold, verdict) = match row {
                Some(r) => (
                    format!("{:.3}", r.expected),
                    format!("{:.3}", r.threshold),
                    if r.alert { "alert" } else { "ok" }.to_owned(),
                ),
                None => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
            };
            [day.date.to_string(), day.count.to_string(), expected, threshold, verdict]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &cells {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let mut line = |row: [&str; 5]| {
        // Date and verdict read left to right; numbers line up on the right.
        let text = format!(
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {:<w4$}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3],
            w4 = width[4],
        );
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header);
    for row in &cells {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANCHORS: &str = "date,count\n2026-01-01,150\n2026-01-02,130\n2026-01-03,122\n\
        2026-01-04,160\n2026-01-05,155\n2026-01-06,128\n2026-01-07,144\n2026-01-08,125\n\
        2026-01-09,300\n2026-01-10,319\n2026-01-11,289\n2026-01-12,277\n2026-01-13,500\n";

    #[test]
    fn plain_text_lines_up_the_columns() {
        let out = spikes_csv(ANCHORS, "ears-t-reweighted", false).expect("valid");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 14);
        assert_eq!(lines[0], "date        count  expected  threshold  verdict");
        assert_eq!(lines[1], "2026-01-01    150         -          -  -");
        assert_eq!(lines[8], "2026-01-08    125   141.286    179.752  ok");
        assert_eq!(lines[9], "2026-01-09    300   137.714    177.635  alert");
        assert_eq!(lines[13], "2026-01-13    500   226.000    458.071  alert");
    }

    #[test]
    fn json_lines_carry_nulls_before_the_baseline() {
        let out = spikes_csv(ANCHORS, "ears-t-reweighted", true).expect("valid");
        let lines: Vec<serde_json::Value> =
            out.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
        assert_eq!(lines.len(), 13);
        assert_eq!(
            out.lines().next(),
            Some(
                r#"{"date":"2026-01-01","count":150,"expected":null,"threshold":null,"alert":null}"#
            )
        );
        let day8 = &lines[7];
        assert_eq!(day8["date"], "2026-01-08");
        assert_eq!(day8["count"], 125);
        assert!((day8["expected"].as_f64().expect("number") - 141.285_714_285_714_3).abs() < 1e-9);
        assert!((day8["threshold"].as_f64().expect("number") - 179.752).abs() < 1e-3);
        assert_eq!(day8["alert"], false);
        assert_eq!(lines[9]["alert"], true);
    }

    #[test]
    fn every_method_runs_from_the_command_line() {
        for m in Method::ALL {
            let out = spikes_csv(ANCHORS, m.name(), false).expect("valid");
            assert_eq!(out.lines().count(), 14, "{m}");
        }
        let c1 = spikes_csv(ANCHORS, "EARS-C1", true).expect("case does not matter");
        assert!(c1.lines().nth(7).is_some_and(|l| l.contains("186.72")), "{c1}");
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let err =
            |csv: &str, method: &str| spikes_csv(csv, method, false).expect_err("bad").to_string();
        assert_eq!(
            err("date,count\n", "ears-c4"),
            "unknown method `ears-c4`: expected one of ears-c1, ears-c2, ears-c3, ears-t-reweighted, medisys"
        );
        assert_eq!(
            err("", "ears-c1"),
            "line 1: expected a header row naming the columns `date` and `count`"
        );
        assert_eq!(
            err("day,count\n2026-01-01,3\n", "ears-c1"),
            "line 1: the header has no `date` column (expected `date,count`)"
        );
        assert_eq!(
            err("date,count\n2026-01-01,3\n2026-01-02,-1\n", "ears-c1"),
            "line 3: field `count`: expected a whole number of 0 or more, got \"-1\""
        );
        assert_eq!(
            err("date,count\n2026-01-01,3\n2026-01-02,2.5\n", "ears-c1"),
            "line 3: field `count`: expected a whole number of 0 or more, got \"2.5\""
        );
        assert_eq!(
            err("date,count\n01/02/2026,3\n", "ears-c1"),
            "line 2: field `date`: expected a date as YYYY-MM-DD, got \"01/02/2026\""
        );
        assert_eq!(
            err("date,count\n2026-02-30,3\n", "ears-c1"),
            "line 2: field `date`: expected a date as YYYY-MM-DD, got \"2026-02-30\""
        );
        assert_eq!(
            err("date,count\n2026-01-01,3\n2026-01-03,3\n", "ears-c1"),
            "line 3: field `date`: expected 2026-01-02 (one row per day, in order, no gaps), got 2026-01-03"
        );
        assert_eq!(
            err("date,count\n2026-01-01,3\n2026-01-01,3\n", "ears-c1"),
            "line 3: field `date`: expected 2026-01-02 (one row per day, in order, no gaps), got 2026-01-01"
        );
        assert_eq!(
            err("date,count\n2026-01-01\n", "ears-c1"),
            "line 2: expected 2 fields as the header has, found 1 (no `count`)"
        );
    }

    #[test]
    fn headers_may_be_reordered_padded_and_carry_more_columns() {
        let csv = "\u{feff}Count , note, DATE\n 7 ,x, 2026-03-01\n8,y,2026-03-02\n";
        let days = read_counts_csv(csv).expect("valid");
        assert_eq!(days.len(), 2);
        assert_eq!(days[1].count, 8);
        assert_eq!(days[0].date.to_string(), "2026-03-01");
        assert_eq!(
            spikes_csv("date,count\n", "medisys", false).expect("valid"),
            "date  count  expected  threshold  verdict\n"
        );
        assert_eq!(spikes_csv("date,count\n", "medisys", true).expect("valid"), "");
    }
}
