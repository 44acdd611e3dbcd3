//! `normalize`: throughput of the match form (display repair, tokenisation, tone placement,
//! span-free, `vi_text::match_form` as the pipeline's content hash uses it) and of the
//! tokens rules and the index are built from (`vi_text::display` then `vi_text::tokenize`:
//! every syllable with its offsets, position, match and fold forms) on Vietnamese news
//! sentences, against Unicode NFC alone (`unicode-normalization`) and against underthesea's
//! `text_normalize` (Python, run as a subprocess on the same lines when it is installed).

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use unicode_normalization::UnicodeNormalization;

/// Sentences of the UD Vietnamese treebank (news text), read in place.
fn corpus() -> Result<Vec<String>> {
    let dir = test_support::shared_data("ud-vietnamese-vtb")
        .context("the normalize suite needs the UD Vietnamese treebank")?;
    let mut lines = Vec::new();
    for file in ["vi_vtb-ud-train.conllu", "vi_vtb-ud-dev.conllu", "vi_vtb-ud-test.conllu"] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        lines.extend(
            text.lines().filter_map(|l| l.strip_prefix("# text =")).map(|l| l.trim().to_owned()),
        );
    }
    anyhow::ensure!(!lines.is_empty(), "no sentences in {}", dir.display());
    Ok(lines)
}

/// Runs `f` over all lines repeatedly for at least `min` and returns bytes per second.
fn throughput(lines: &[String], min: Duration, mut f: impl FnMut(&str) -> usize) -> f64 {
    let bytes: usize = lines.iter().map(String::len).sum();
    let mut sink = 0usize;
    let start = Instant::now();
    let mut rounds = 0usize;
    while rounds == 0 || start.elapsed() < min {
        for l in lines {
            sink = sink.wrapping_add(f(l));
        }
        rounds += 1;
    }
    std::hint::black_box(sink);
    (bytes * rounds) as f64 / start.elapsed().as_secs_f64()
}

const UNDERTHESEA: &str = r#"
import sys, time
from underthesea import text_normalize
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
for l in lines[:200]:
    text_normalize(l)
start = time.perf_counter()
rounds = 0
while True:
    for l in lines:
        text_normalize(l)
    rounds += 1
    if time.perf_counter() - start >= 3.0:
        break
print(sum(len(l.encode("utf-8")) for l in lines) * rounds / (time.perf_counter() - start))
"#;

fn underthesea(lines: &[String]) -> Result<Option<f64>> {
    let dir = tempfile::tempdir()?;
    let file: PathBuf = dir.path().join("lines.txt");
    std::fs::File::create(&file)?.write_all(lines.join("\n").as_bytes())?;
    let out = std::process::Command::new("python3").arg("-c").arg(UNDERTHESEA).arg(&file).output();
    match out {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            Ok(Some(text.trim().parse().with_context(|| format!("underthesea printed {text:?}"))?))
        }
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            note(&format!("underthesea peer skipped: {}", err.lines().last().unwrap_or("")));
            Ok(None)
        }
        Err(e) => {
            note(&format!("underthesea peer skipped: python3: {e}"));
            Ok(None)
        }
    }
}

#[allow(clippy::print_stderr)]
fn note(message: &str) {
    eprintln!("{message} (pip install underthesea to compare)");
}

pub(crate) fn run() -> Result<Vec<serde_json::Value>> {
    let lines = corpus()?;
    let bytes: usize = lines.iter().map(String::len).sum();
    let min = Duration::from_secs(3);
    let ours = throughput(&lines, min, |l| vi_text::match_form(l).len());
    let nfc = throughput(&lines, min, |l| l.nfc().count());
    let tokens = throughput(&lines, min, |l| vi_text::tokenize(&vi_text::display(l)).len());
    let extra =
        || serde_json::json!({ "lines": lines.len(), "corpus_bytes": bytes, "unit": "bytes/s" });
    let mut out = vec![crate::line("normalize", "match_form_vs_nfc", ours, nfc, {
        let mut e = extra();
        e["peer_name"] = "unicode-normalization NFC alone".into();
        e
    })];
    out.push(crate::line("normalize", "tokens_vs_nfc", tokens, nfc, {
        let mut e = extra();
        e["peer_name"] = "unicode-normalization NFC alone".into();
        e
    }));
    if let Some(peer) = underthesea(&lines)? {
        let mut e = extra();
        e["peer_name"] = "underthesea text_normalize (Python)".into();
        out.push(crate::line("normalize", "match_form_vs_underthesea", ours, peer, e));
    }
    Ok(out)
}
