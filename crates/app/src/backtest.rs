//! `langnghe rules backtest`: trying a rule or a pack on the stored archive before it goes
//! live, with the matcher the pipeline uses, so what it reports is what the rule would
//! have raised.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use model::{Hit, Timestamp, VN_OFFSET, to_vn_time};
use rules::{Analyzed, RuleSet};

use crate::cli::BacktestArgs;
use crate::config::Config;
use crate::system::open_store;

/// Documents read from the store per query.
const PAGE: i64 = 500;

/// Reads `--since`: a duration back from `now` (`30m`, `24h`, `7d`, `2w`), a date in
/// Vietnam time (`2024-02-01`), or `all`.
pub(crate) fn parse_since(text: &str, now: Timestamp) -> anyhow::Result<Timestamp> {
    let text = text.trim();
    if text == "all" {
        return Ok(Utc.timestamp_opt(0, 0).single().unwrap_or(now));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        return VN_OFFSET
            .from_local_datetime(&local)
            .single()
            .map(|t| t.to_utc())
            .context("--since: not a valid date");
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| {
        anyhow::anyhow!("--since {text:?}: expected a duration such as 7d, 24h, 30m or 2w, a date YYYY-MM-DD, or all")
    })?;
    let step = match unit {
        "m" => TimeDelta::minutes(n),
        "h" => TimeDelta::hours(n),
        "d" | "" => TimeDelta::days(n),
        "w" => TimeDelta::weeks(n),
        _ => bail!("--since {text:?}: unknown unit {unit:?}; use m, h, d or w"),
    };
    Ok(now - step)
}

/// One rule's results.
struct Tally<'a> {
    rule: &'a rules::Rule,
    hits: usize,
    per_day: BTreeMap<NaiveDate, usize>,
    /// The most recent matches, newest last.
    samples: VecDeque<Sample>,
}

struct Sample {
    doc_id: i64,
    time: Timestamp,
    source: String,
    url: String,
    title: Vec<search::Fragment>,
    snippet: Vec<search::Fragment>,
}

fn sample(doc: &model::Document, analyzed: &Analyzed, hit: &Hit) -> Sample {
    let ranges = |field: &str| -> Vec<(usize, usize)> {
        hit.terms.iter().filter(|t| t.field == field).map(|t| (t.start, t.end)).collect()
    };
    let title_ranges = ranges("title");
    let body_ranges = ranges("body");
    Sample {
        doc_id: doc.id,
        time: doc.time(),
        source: doc.source_name.clone(),
        url: doc.doc.url.clone(),
        title: search::snippet(&analyzed.title, &title_ranges, usize::MAX / 2),
        snippet: if body_ranges.is_empty() {
            Vec::new()
        } else {
            search::snippet(&analyzed.body, &body_ranges, 180)
        },
    }
}

/// Runs the backtest and prints its report.
pub(crate) async fn run(config: &Config, args: &BacktestArgs) -> anyhow::Result<ExitCode> {
    let set = load(&args.file)?;
    let mut out = std::io::stdout().lock();
    let warnings = set.check();
    let selected: Vec<&rules::Rule> = match &args.rule {
        Some(id) => {
            let Some(rule) = set.rules().iter().find(|r| *r.id == **id) else {
                bail!("no rule {id:?} in {}", args.file.display());
            };
            vec![rule]
        }
        None => set.rules().iter().collect(),
    };
    let now = Utc::now();
    let since = parse_since(&args.since, now)?;
    let store = open_store(config).await?;
    let mut tallies: Vec<Tally<'_>> = selected
        .iter()
        .map(|&rule| Tally { rule, hits: 0, per_day: BTreeMap::new(), samples: VecDeque::new() })
        .collect();
    let position: BTreeMap<&str, usize> =
        selected.iter().enumerate().map(|(i, r)| (&*r.id, i)).collect();
    let mut after = 0;
    let mut scanned = 0usize;
    loop {
        let page = store.documents_since(after, since, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        scanned += page.len();
        for doc in &page {
            let analyzed = Analyzed::document(&doc.doc, &doc.source_name);
            for hit in set.match_analyzed(&analyzed) {
                let Some(&i) = position.get(&*hit.rule_id) else { continue };
                let tally = &mut tallies[i];
                tally.hits += 1;
                *tally.per_day.entry(to_vn_time(doc.time()).date_naive()).or_default() += 1;
                tally.samples.push_back(sample(doc, &analyzed, &hit));
                if tally.samples.len() > args.samples {
                    tally.samples.pop_front();
                }
            }
        }
    }
    store.close().await;
    if args.json {
        for w in &warnings {
            writeln!(out, "{}", serde_json::json!({ "warning": w.to_string() }))?;
        }
        for t in &tallies {
            writeln!(out, "{}", tally_json(t, scanned))?;
        }
    } else {
        for w in &warnings {
            writeln!(out, "warning: {w}")?;
        }
        let since_text = to_vn_time(since).format("%Y-%m-%d %H:%M");
        writeln!(
            out,
            "{} rule(s) from {} over {scanned} document(s) since {since_text} (Vietnam time)\n",
            tallies.len(),
            args.file.display()
        )?;
        for t in &tallies {
            write_tally(&mut out, t)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A pack file, or every pack of a directory; any load problem stops the backtest.
fn load(path: &Path) -> anyhow::Result<RuleSet> {
    let (set, diags) = if path.is_dir() {
        // A rules directory brings its claims too; what is tried is its files alone.
        let loaded = crate::claims::load(&rules::RuleSources::dir_only(path));
        (loaded.rules, loaded.problems)
    } else {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        RuleSet::from_pack(path, &text)
    };
    if !diags.is_empty() {
        let list: Vec<String> = diags.iter().map(ToString::to_string).collect();
        bail!("{} cannot be loaded:\n  {}", path.display(), list.join("\n  "));
    }
    if set.is_empty() {
        bail!("{} has no rules", path.display());
    }
    Ok(set)
}

fn plain(fragments: &[search::Fragment], open: &str, close: &str) -> String {
    let mut s = String::new();
    for f in fragments {
        if f.highlighted {
            s.push_str(open);
            s.push_str(&f.text);
            s.push_str(close);
        } else {
            s.push_str(&f.text);
        }
    }
    s.replace('\n', " ")
}

fn write_tally(out: &mut impl Write, t: &Tally<'_>) -> std::io::Result<()> {
    let r = t.rule;
    writeln!(out, "{}  {}  [{}, {}]", r.id, r.title, r.kind, r.severity)?;
    writeln!(out, "  query: {}", r.query)?;
    if t.hits == 0 {
        return writeln!(out, "  no hits\n");
    }
    let days = t.per_day.len();
    writeln!(out, "  {} hit(s) on {days} day(s)", t.hits)?;
    let widest = t.per_day.values().copied().max().unwrap_or(1).max(1);
    for (day, n) in &t.per_day {
        let bar = "█".repeat((n * 40).div_ceil(widest));
        writeln!(out, "  {day}  {n:>5}  {bar}")?;
    }
    writeln!(out, "  latest matches:")?;
    for s in t.samples.iter().rev() {
        writeln!(
            out,
            "  - {}  {}  #{}  {}",
            to_vn_time(s.time).format("%Y-%m-%d %H:%M"),
            s.source,
            s.doc_id,
            plain(&s.title, "[", "]")
        )?;
        if !s.snippet.is_empty() {
            writeln!(out, "      {}", plain(&s.snippet, "[", "]"))?;
        }
        writeln!(out, "      {}", s.url)?;
    }
    writeln!(out)
}

fn tally_json(t: &Tally<'_>, scanned: usize) -> serde_json::Value {
    let fragments = |f: &[search::Fragment]| -> Vec<serde_json::Value> {
        f.iter()
            .map(|f| serde_json::json!({ "text": f.text, "highlighted": f.highlighted }))
            .collect()
    };
    let per_day: serde_json::Map<String, serde_json::Value> =
        t.per_day.iter().map(|(d, n)| (d.to_string(), serde_json::json!(n))).collect();
    let samples: Vec<serde_json::Value> = t
        .samples
        .iter()
        .rev()
        .map(|s| {
            serde_json::json!({
                "document": s.doc_id, "time": s.time.to_rfc3339(), "source": s.source,
                "url": s.url, "title": fragments(&s.title), "snippet": fragments(&s.snippet),
            })
        })
        .collect();
    serde_json::json!({
        "rule": t.rule.id, "kind": t.rule.kind.as_str(), "title": t.rule.title,
        "documents": scanned, "hits": t.hits, "per_day": per_day, "samples": samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_durations_dates_and_all() {
        let now = Utc.with_ymd_and_hms(2024, 2, 14, 12, 0, 0).unwrap();
        let back = |s: &str| (now - parse_since(s, now).unwrap()).num_minutes();
        assert_eq!(back("7d"), 7 * 24 * 60);
        assert_eq!(back("24h"), 24 * 60);
        assert_eq!(back("30m"), 30);
        assert_eq!(back("2w"), 14 * 24 * 60);
        assert_eq!(
            parse_since("2024-02-01", now).unwrap().to_rfc3339(),
            "2024-01-31T17:00:00+00:00"
        );
        assert_eq!(parse_since("all", now).unwrap().timestamp(), 0);
        let e = parse_since("7 days", now).unwrap_err().to_string();
        assert!(e.contains("unknown unit"), "{e}");
        assert!(parse_since("soon", now).is_err());
    }
}
