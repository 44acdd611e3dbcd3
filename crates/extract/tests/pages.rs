//! The saved test set: article and listing pages of Vietnamese outlets, ministry and
//! provincial portals and other sites (`testdata/*.html`), each with the expected result
//! written by hand (`testdata/*.toml`).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use extract::{Article, Extractor, token_f1};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    url: String,
    adapter: Option<String>,
    title: Option<String>,
    lead: Option<String>,
    author: Option<String>,
    published: Option<String>,
    modified: Option<String>,
    canonical_url: Option<String>,
    text: Option<String>,
    links: Option<Vec<String>>,
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn cases() -> Vec<(String, String, Expected)> {
    let mut out = Vec::new();
    let mut paths: Vec<_> =
        std::fs::read_dir(testdata()).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let expected: Expected = toml::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let html = std::fs::read_to_string(path.with_extension("html")).unwrap();
        out.push((name, html, expected));
    }
    out
}

fn stamp(t: Option<model::Timestamp>) -> Option<String> {
    t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Every field that differs, as `field: got … expected …`.
fn differences(a: &Article, e: &Expected) -> Vec<String> {
    let mut d = Vec::new();
    let mut check = |field: &str, got: Option<&str>, want: Option<&str>| {
        if got != want {
            d.push(format!("  {field}:\n    got      {got:?}\n    expected {want:?}"));
        }
    };
    let adapter = e.adapter.as_deref().filter(|a| !a.is_empty());
    check("adapter", a.adapter.as_deref(), adapter);
    check("title", a.title.as_deref(), e.title.as_deref());
    check("lead", a.lead.as_deref(), e.lead.as_deref());
    check("author", a.author.as_deref(), e.author.as_deref());
    check("published", stamp(a.published).as_deref(), e.published.as_deref());
    check("modified", stamp(a.modified).as_deref(), e.modified.as_deref());
    check("canonical_url", a.canonical_url.as_deref(), e.canonical_url.as_deref());
    check("text", Some(a.text.as_str()), e.text.as_deref());
    d
}

#[test]
fn every_saved_page_extracts_as_expected() {
    let extractor = Extractor::new();
    let mut failures = Vec::new();
    let (mut articles, mut listings) = (0, 0);
    for (name, html, expected) in cases() {
        if let Some(links) = &expected.links {
            listings += 1;
            let got = extractor.listing(&html, &expected.url);
            if &got != links {
                failures.push(format!(
                    "{name} (listing):\n    got      {got:#?}\n    expected {links:#?}"
                ));
            }
            continue;
        }
        articles += 1;
        let got = extractor.article(&html, &expected.url);
        let d = differences(&got, &expected);
        if !d.is_empty() {
            failures.push(format!("{name}:\n{}", d.join("\n")));
        }
    }
    assert!(articles >= 24 && listings >= 4, "{articles} articles, {listings} listings");
    assert!(
        failures.is_empty(),
        "{} of {} pages differ:\n{}",
        failures.len(),
        articles + listings,
        failures.join("\n")
    );
}

/// Main-text F1 per page (lead and text together, since the benchmarks score the article
/// body and outlets differ on whether the sapo is part of it), printed with
/// `cargo test -p extract --test pages -- --nocapture`.
///
/// The floors: every page at least 0.90 and the mean at least 0.97. The exact test above
/// already demands equality; these catch a regression in a form that says how far off it
/// is, and 0.90 per page is the level at which an extraction still carries the article
/// (the published extractors score 0.92–0.96 on the scrapinghub set).
#[test]
fn main_text_f1_per_page_and_overall() {
    let extractor = Extractor::new();
    let mut scores = Vec::new();
    for (name, html, expected) in cases() {
        if expected.links.is_some() {
            continue;
        }
        let got = extractor.article(&html, &expected.url);
        let join = |lead: Option<&str>, text: &str| match lead {
            Some(l) => format!("{l}\n\n{text}"),
            None => text.to_owned(),
        };
        let predicted = join(got.lead.as_deref(), &got.text);
        let gold = join(expected.lead.as_deref(), expected.text.as_deref().unwrap_or(""));
        let o = token_f1(&predicted, &gold);
        println!("{name:45} P {:.3}  R {:.3}  F1 {:.3}", o.precision, o.recall, o.f1);
        scores.push((name, o.f1));
    }
    let mean = scores.iter().map(|(_, f)| f).sum::<f64>() / scores.len() as f64;
    println!("{:45} mean F1 {mean:.3} over {} pages", "", scores.len());
    let low: Vec<_> = scores.iter().filter(|(_, f)| *f < 0.90).collect();
    assert!(low.is_empty(), "pages below F1 0.90: {low:?}");
    assert!(mean >= 0.97, "mean F1 {mean:.3} below 0.97");
}

/// The generic extractor alone on every page, outlets included (no adapters): how well it
/// stands in when an outlet changes its markup. Printed like the test above.
#[test]
fn generic_extractor_alone_on_every_page() {
    let extractor = Extractor::with_only(&[]).unwrap();
    let mut scores = Vec::new();
    for (name, html, expected) in cases() {
        if expected.links.is_some() {
            continue;
        }
        let got = extractor.article(&html, &expected.url);
        assert_eq!(got.adapter, None);
        let join = |lead: Option<&str>, text: &str| match lead {
            Some(l) => format!("{l}\n\n{text}"),
            None => text.to_owned(),
        };
        let predicted = join(got.lead.as_deref(), &got.text);
        let gold = join(expected.lead.as_deref(), expected.text.as_deref().unwrap_or(""));
        let o = token_f1(&predicted, &gold);
        println!("{name:45} P {:.3}  R {:.3}  F1 {:.3}", o.precision, o.recall, o.f1);
        scores.push((name, o.f1));
    }
    let mean = scores.iter().map(|(_, f)| f).sum::<f64>() / scores.len() as f64;
    println!("{:45} mean F1 {mean:.3} over {} pages (generic only)", "", scores.len());
    assert!(mean >= 0.90, "generic mean F1 {mean:.3} below 0.90");
}
