//! `extract`: article pages per second and main-text F1 of `extract` on its saved test
//! set (`crates/extract/testdata`), against Python trafilatura on the same pages
//! (`trafilatura.extract(html, url=..., include_comments=False)`, run as a subprocess
//! when it is installed; only its extraction loop is timed).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

struct Page {
    name: String,
    url: String,
    html: String,
    /// Lead and text as expected.
    gold: String,
    /// The text alone.
    gold_text: String,
}

fn pages() -> Result<Vec<Page>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../extract/testdata");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let expected: toml::Value = toml::from_str(&std::fs::read_to_string(&path)?)
            .with_context(|| format!("parsing {}", path.display()))?;
        let Some(text) = expected.get("text").and_then(toml::Value::as_str) else {
            continue; // a listing page
        };
        let gold = match expected.get("lead").and_then(toml::Value::as_str) {
            Some(lead) => format!("{lead}\n\n{text}"),
            None => text.to_owned(),
        };
        let url = expected.get("url").and_then(toml::Value::as_str).unwrap_or_default().to_owned();
        let html = std::fs::read_to_string(path.with_extension("html"))?;
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        out.push(Page { name, url, html, gold, gold_text: text.to_owned() });
    }
    anyhow::ensure!(!out.is_empty(), "no article pages in {}", dir.display());
    Ok(out)
}

/// F1 against the expected lead and text, or the text alone when that scores higher:
/// outlets differ on whether the sapo belongs to the body, and neither extractor is
/// penalised for either reading.
fn f1(page: &Page, predicted: &str) -> f64 {
    let full = extract::token_f1(predicted, &page.gold).f1;
    full.max(extract::token_f1(predicted, &page.gold_text).f1)
}

fn mean_f1(pages: &[Page], predicted: &[String]) -> f64 {
    pages.iter().zip(predicted).map(|(p, t)| f1(p, t)).sum::<f64>() / pages.len() as f64
}

const TRAFILATURA: &str = r#"
import json, sys, time
import trafilatura
pages = json.load(open(sys.argv[1], encoding="utf-8"))
def run(p):
    return trafilatura.extract(p["html"], url=p["url"], include_comments=False) or ""
texts = [run(p) for p in pages]
start = time.perf_counter()
n = 0
while True:
    for p in pages:
        run(p)
    n += len(pages)
    if time.perf_counter() - start >= 3.0:
        break
print(json.dumps({"pages_per_sec": n / (time.perf_counter() - start), "texts": texts,
                  "version": trafilatura.__version__}, ensure_ascii=False))
"#;

struct Peer {
    pages_per_sec: f64,
    texts: Vec<String>,
    version: String,
}

fn trafilatura(pages: &[Page]) -> Result<Option<Peer>> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("pages.json");
    let list: Vec<_> =
        pages.iter().map(|p| serde_json::json!({ "url": p.url, "html": p.html })).collect();
    std::fs::write(&file, serde_json::to_vec(&list)?)?;
    let out = std::process::Command::new("python3").arg("-c").arg(TRAFILATURA).arg(&file).output();
    match out {
        Ok(out) if out.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
                format!("trafilatura printed {:?}", String::from_utf8_lossy(&out.stdout))
            })?;
            let texts = v["texts"]
                .as_array()
                .map(|a| a.iter().map(|t| t.as_str().unwrap_or_default().to_owned()).collect())
                .unwrap_or_default();
            Ok(Some(Peer {
                pages_per_sec: v["pages_per_sec"].as_f64().unwrap_or(f64::NAN),
                texts,
                version: v["version"].as_str().unwrap_or_default().to_owned(),
            }))
        }
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            note(&format!("trafilatura peer skipped: {}", err.lines().last().unwrap_or("")));
            Ok(None)
        }
        Err(e) => {
            note(&format!("trafilatura peer skipped: python3: {e}"));
            Ok(None)
        }
    }
}

#[allow(clippy::print_stderr)]
fn note(message: &str) {
    eprintln!("{message} (pip install trafilatura lxml_html_clean to compare)");
}

pub(crate) fn run() -> Result<Vec<serde_json::Value>> {
    let pages = pages()?;
    let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
    let extractor = extract::Extractor::new();
    let join = |a: &extract::Article| match &a.lead {
        Some(l) => format!("{l}\n\n{}", a.text),
        None => a.text.clone(),
    };
    let ours_texts: Vec<String> =
        pages.iter().map(|p| join(&extractor.article(&p.html, &p.url))).collect();
    for p in pages.iter().zip(&ours_texts).filter(|(p, t)| f1(p, t) < 0.9) {
        note(&format!("low F1 on {}", p.0.name));
    }

    let min = Duration::from_secs(3);
    let start = Instant::now();
    let mut n = 0usize;
    let mut sink = 0usize;
    while n == 0 || start.elapsed() < min {
        for p in &pages {
            sink = sink.wrapping_add(extractor.article(&p.html, &p.url).text.len());
        }
        n += pages.len();
    }
    std::hint::black_box(sink);
    let ours_rate = n as f64 / start.elapsed().as_secs_f64();
    let ours_f1 = mean_f1(&pages, &ours_texts);

    let extra = |peer: &str| {
        serde_json::json!({
            "pages": pages.len(),
            "corpus_bytes": bytes,
            "peer_name": peer,
        })
    };
    let Some(peer) = trafilatura(&pages)? else {
        return Ok(vec![serde_json::json!({
            "suite": "extract", "metric": "pages_per_sec", "ours": ours_rate, "peer": null,
            "ratio": null, "main_text_f1": ours_f1, "pages": pages.len(), "corpus_bytes": bytes,
            "note": "trafilatura not installed",
        })]);
    };
    let name = format!("trafilatura {} (Python)", peer.version);
    let peer_f1 = mean_f1(&pages, &peer.texts);
    let mut rate = extra(&name);
    rate["unit"] = "pages/s".into();
    let mut f1_extra = extra(&name);
    f1_extra["unit"] = "mean token F1 (lead + text, or text alone if higher)".into();
    Ok(vec![
        crate::line("extract", "pages_per_sec_vs_trafilatura", ours_rate, peer.pages_per_sec, rate),
        crate::line("extract", "main_text_f1_vs_trafilatura", ours_f1, peer_f1, f1_extra),
    ])
}
