//! Throughput benchmarks: `cargo run --release -p bench -- SUITE [--docs N] [--secs S]`.
//!
//! Every suite runs our code and a peer on the same input in the same process, one after
//! the other, and prints one JSON line per metric with `suite`, `metric`, `ours`, `peer`
//! and `ratio` (ours / peer for rates). Absolute numbers move with the machine; the ratio
//! is what suites are compared on.
#![allow(clippy::print_stdout)]

mod alloc;
mod extract_suite;
mod feeds_suite;
mod lcg;
mod news;
mod normalize_suite;
mod pipeline_suite;
mod polling_suite;
mod rules_suite;
mod search_suite;
mod signals_suite;
mod stories_suite;

use anyhow::{Result, bail};

const SUITES: &[&str] = &[
    "extract",
    "feeds",
    "normalize",
    "pipeline",
    "polling",
    "rules",
    "search",
    "signals",
    "stories",
];

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(suite) = args.next() else {
        bail!("usage: bench SUITE [--docs N] [--secs S]; suites: {}", SUITES.join(", "));
    };
    let (mut docs, mut secs) = (None, 60);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--docs" => {
                let n = args.next().ok_or_else(|| anyhow::anyhow!("--docs needs a number"))?;
                docs = Some(n.parse().map_err(|e| anyhow::anyhow!("--docs {n:?}: {e}"))?);
            }
            "--secs" => {
                let n = args.next().ok_or_else(|| anyhow::anyhow!("--secs needs a number"))?;
                secs = n.parse().map_err(|e| anyhow::anyhow!("--secs {n:?}: {e}"))?;
            }
            other => bail!("unknown argument {other:?}"),
        }
    }
    // The search suite's default is the scale its goal is set at.
    let search_docs = docs.unwrap_or(1_000_000);
    let docs = docs.unwrap_or(5_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let lines = match suite.as_str() {
        "pipeline" => runtime.block_on(pipeline_suite::run(docs))?,
        "feeds" => feeds_suite::run()?,
        "normalize" => normalize_suite::run()?,
        "extract" => extract_suite::run()?,
        "polling" => runtime.block_on(polling_suite::run())?,
        "rules" => rules_suite::run(docs.min(1_000))?,
        "search" => runtime
            .block_on(search_suite::run(&search_suite::Options { docs: search_docs, secs }))?,
        "signals" => signals_suite::run()?,
        "stories" => stories_suite::run()?,
        other => bail!("unknown suite {other:?}; suites: {}", SUITES.join(", ")),
    };
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

/// One result line.
pub(crate) fn line(
    suite: &str,
    metric: &str,
    ours: f64,
    peer: f64,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut v = serde_json::json!({
        "suite": suite,
        "metric": metric,
        "ours": round(ours),
        "peer": round(peer),
        "ratio": round(ours / peer),
    });
    if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v
}

/// The CPU time a process (`self` or a process id) has used, user and system, from
/// `/proc/PROCESS/stat` (zero where that cannot be read).
pub(crate) fn cpu_time(process: &str) -> std::time::Duration {
    let stat = std::fs::read_to_string(format!("/proc/{process}/stat")).unwrap_or_default();
    // The fields after the command name, which may hold spaces, closed by the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of the line, in ticks of 1/100 s on Linux.
    std::time::Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

pub(crate) fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
