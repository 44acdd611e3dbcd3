//! feedparser's conformance suite run against `feeds::parse_feed`.
//!
//! Every case in `shared/data/feedparser-tests` carries its expectation as a Python
//! expression over feedparser's result model (`Expect:`). Those expressions are parsed and
//! evaluated here against our model, with feedparser's fields mapped onto ours:
//!
//! | feedparser | ours |
//! |---|---|
//! | `feed.title`, `feed.title_detail.value` | `Feed::title` |
//! | `feed.link` | `Feed::link` |
//! | `entries[i].title` | `FeedItem::title` |
//! | `entries[i].link` | `FeedItem::url` (the expected link is canonicalised first) |
//! | `entries[i].id`, `.guid` | `FeedItem::id` |
//! | `entries[i].summary`, `.description` | `FeedItem::summary` (else `body`) |
//! | `entries[i].content[0].value` | `FeedItem::body` |
//! | `entries[i].author`, `.author_detail.name` | `FeedItem::author` |
//! | `entries[i].published_parsed`, `.updated_parsed` | `published`, `updated` (UTC) |
//! | `entries[i].source.title` | `FeedItem::outlet` |
//! | `bozo` | `Feed::recovered`, or an error |
//! | `encoding` | `Feed::encoding` (same WHATWG encoding) |
//!
//! feedparser keeps sanitised markup where we keep text, so an expected string matches
//! when it equals ours as text: whitespace-collapsed, or reduced by `html_to_text` (the
//! expectation does not say whether feedparser held it as text or markup). A case is
//! "not applicable" when it checks something we do not model, with the reason counted.
//! `FEEDS_CONFORMANCE_VERBOSE=1` lists every failure. Without the suite (a fresh clone has
//! no `../shared`) the test is skipped with a line saying so; `LANGNGHE_TEST_DATA` points
//! it at another copy.

mod expr;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use expr::Expr;
use feeds::{Feed, FeedItem};

#[derive(Debug, Clone, PartialEq)]
enum Truth {
    Yes,
    No,
    Na(String),
}

#[derive(Debug, Clone)]
enum Val {
    Str(String),
    Num(f64),
    Bool(bool),
    None,
    Tuple(Vec<Val>),
    /// A text field of ours.
    Text(Option<String>),
    Link(Option<String>),
    Id(Option<String>),
    Time(Option<model::Timestamp>),
    Encoding(String),
    /// Something the expression names that the result does not have.
    Missing,
    /// Not part of our model; the reason is the category.
    Na(String),
}

struct Case<'a> {
    feed: Option<&'a Feed>,
    entries: Vec<&'a FeedItem>,
    encoding: String,
    category: &'a str,
    /// Served as `text/*` without a charset.
    text_default: bool,
}

impl Case<'_> {
    fn eval(&self, e: &Expr) -> Val {
        match e {
            Expr::Str(s) => Val::Str(s.clone()),
            Expr::Num(n) => Val::Num(*n),
            Expr::Neg(inner) => match self.eval(inner) {
                Val::Num(n) => Val::Num(-n),
                _ => Val::Na("python-specific check".into()),
            },
            Expr::Tuple(items) | Expr::List(items) => {
                Val::Tuple(items.iter().map(|i| self.eval(i)).collect())
            }
            Expr::Dict(_) => Val::Na("entry metadata we do not model".into()),
            Expr::Add(a, b) => match (self.eval(a), self.eval(b)) {
                (Val::Str(x), Val::Str(y)) => Val::Str(x + &y),
                (Val::Na(r), _) | (_, Val::Na(r)) => Val::Na(r),
                _ => Val::Na("python-specific check".into()),
            },
            Expr::Name(n) => match n.as_str() {
                "bozo" => Val::Bool(self.feed.is_none_or(|f| f.recovered)),
                "encoding" => Val::Encoding(self.encoding.clone()),
                "None" => Val::None,
                "True" => Val::Bool(true),
                "False" => Val::Bool(false),
                "version" => Val::Na("feed format version".into()),
                "headers" | "etag" | "modified" | "modified_parsed" | "href" | "status"
                | "newlocation" => Val::Na("HTTP response metadata".into()),
                _ => Val::Na("python-specific check".into()),
            },
            Expr::Call(f, args) => match (&**f, args.as_slice()) {
                (Expr::Name(n), [arg]) if n == "ord" => match self.eval(arg) {
                    Val::Text(Some(t)) if t.chars().count() == 1 => {
                        Val::Num(t.chars().next().map_or(0.0, |c| c as u32 as f64))
                    }
                    Val::Na(r) => Val::Na(r),
                    _ => Val::Missing,
                },
                (Expr::Name(n), [Expr::Name(what)]) if n == "len" && what == "entries" => {
                    Val::Num(self.entries.len() as f64)
                }
                _ => Val::Na("python-specific check".into()),
            },
            Expr::Index(..) | Expr::Attr(..) => self.path(e),
            Expr::Not(_) | Expr::And(_) | Expr::Or(_) | Expr::Compare(..) => match self.truth(e) {
                Truth::Yes => Val::Bool(true),
                Truth::No => Val::Bool(false),
                Truth::Na(r) => Val::Na(r),
            },
        }
    }

    /// `feed[...]`, `entries[i][...]`, `feed.x`: our field, or why we have none.
    fn path(&self, e: &Expr) -> Val {
        let mut keys = Vec::new();
        let mut cur = e;
        loop {
            match cur {
                Expr::Index(base, key) => {
                    match &**key {
                        Expr::Str(s) => keys.push(s.clone()),
                        Expr::Num(n) => keys.push(format!("#{n}")),
                        _ => return Val::Na("python-specific check".into()),
                    }
                    cur = base;
                }
                Expr::Attr(base, name) => {
                    keys.push(name.clone());
                    cur = base;
                }
                Expr::Name(n) => {
                    keys.push(n.clone());
                    break;
                }
                _ => return Val::Na("python-specific check".into()),
            }
        }
        keys.reverse();
        let k: Vec<&str> = keys.iter().map(String::as_str).collect();
        match k.as_slice() {
            ["feed", rest @ ..] => {
                let Some(feed) = self.feed else { return Val::Missing };
                match rest {
                    ["title"] | ["title_detail", "value"] => Val::Text(Some(feed.title.clone())),
                    ["link"] => Val::Link(feed.link.clone()),
                    [field, ..] => Val::Na(self.unmodelled("feed", field)),
                    [] => Val::Na("python-specific check".into()),
                }
            }
            ["entries", index, rest @ ..] => {
                let Some(i) = index.strip_prefix('#').and_then(|n| n.parse::<f64>().ok()) else {
                    return Val::Na("python-specific check".into());
                };
                let item = self.entries.get(i as usize);
                let field = match rest {
                    ["title"] | ["title_detail", "value"] => {
                        Val::Text(item.map(|i| i.title.clone()))
                    }
                    ["link"] => Val::Link(item.map(|i| i.url.clone())),
                    ["id"] | ["guid"] => Val::Id(item.map(|i| i.id.clone())),
                    ["summary" | "description"] | ["summary_detail", "value"] => {
                        Val::Text(item.map(|i| {
                            if i.summary.is_empty() { i.body.clone() } else { i.summary.clone() }
                        }))
                    }
                    ["content", "#0", "value"] => Val::Text(item.map(|i| i.body.clone())),
                    ["author"] | ["author_detail", "name"] => {
                        Val::Text(item.map(|i| i.author.clone().unwrap_or_default()))
                    }
                    ["published_parsed"] => Val::Time(item.and_then(|i| i.published)),
                    ["updated_parsed"] => Val::Time(item.and_then(|i| i.updated)),
                    ["source", "title"] => {
                        Val::Text(item.map(|i| i.outlet.clone().unwrap_or_default()))
                    }
                    [field, ..] => return Val::Na(self.unmodelled("entry", field)),
                    [] => return Val::Na("python-specific check".into()),
                };
                if item.is_none() { Val::Missing } else { field }
            }
            _ => Val::Na("python-specific check".into()),
        }
    }

    fn unmodelled(&self, level: &str, field: &str) -> String {
        let ext = ["itunes", "geo", "psc", "media", "cdf", "georss", "where", "feedburner"];
        if let Some(x) = ext.iter().find(|x| field.starts_with(*x) || self.category.ends_with(*x)) {
            return format!("extension we do not model ({x})");
        }
        if field.ends_with("_detail") && !matches!(field, "title_detail" | "summary_detail") {
            return format!("{level} metadata we do not model");
        }
        if matches!(field, "title_detail" | "summary_detail" | "content") {
            return "text type, language and base we do not record".into();
        }
        format!("{level} metadata we do not model")
    }

    fn truth(&self, e: &Expr) -> Truth {
        match e {
            Expr::Not(inner) => match self.truth(inner) {
                Truth::Yes => Truth::No,
                Truth::No => Truth::Yes,
                na => na,
            },
            Expr::And(parts) => {
                let ts: Vec<Truth> = parts.iter().map(|p| self.truth(p)).collect();
                if let Some(na) = ts.iter().find(|t| matches!(t, Truth::Na(_))) {
                    return na.clone();
                }
                if ts.iter().all(|t| *t == Truth::Yes) { Truth::Yes } else { Truth::No }
            }
            Expr::Or(parts) => {
                let ts: Vec<Truth> = parts.iter().map(|p| self.truth(p)).collect();
                if ts.contains(&Truth::Yes) {
                    return Truth::Yes;
                }
                ts.into_iter().find(|t| matches!(t, Truth::Na(_))).unwrap_or(Truth::No)
            }
            Expr::Compare(first, rest) => {
                let mut left = self.eval(first);
                for (op, right) in rest {
                    let right = self.eval(right);
                    let t = match op.as_str() {
                        "==" | "is" => self.equal(&left, &right),
                        "!=" | "is not" => match self.equal(&left, &right) {
                            Truth::Yes => Truth::No,
                            Truth::No => Truth::Yes,
                            na => na,
                        },
                        _ => Truth::Na("python-specific check".into()),
                    };
                    if t != Truth::Yes {
                        return t;
                    }
                    left = right;
                }
                Truth::Yes
            }
            other => match self.eval(other) {
                Val::Bool(b) => truth(b),
                Val::Num(n) => truth(n != 0.0),
                Val::Str(s) => truth(!s.is_empty()),
                Val::Text(t) | Val::Link(t) | Val::Id(t) => truth(t.is_some_and(|t| !t.is_empty())),
                Val::Time(t) => truth(t.is_some()),
                Val::Na(r) => Truth::Na(r),
                _ => Truth::No,
            },
        }
    }

    fn equal(&self, a: &Val, b: &Val) -> Truth {
        match (a, b) {
            (Val::Na(r), _) | (_, Val::Na(r)) => Truth::Na(r.clone()),
            (Val::Missing, _) | (_, Val::Missing) => Truth::No,
            (
                ours @ (Val::Text(_) | Val::Link(_) | Val::Id(_) | Val::Time(_) | Val::Encoding(_)),
                expected,
            )
            | (
                expected,
                ours @ (Val::Text(_) | Val::Link(_) | Val::Id(_) | Val::Time(_) | Val::Encoding(_)),
            ) => self.field_equal(ours, expected),
            (Val::Str(x), Val::Str(y)) => truth(x == y),
            (Val::Num(x), Val::Num(y)) => truth(x == y),
            (Val::Bool(x), Val::Bool(y)) => truth(x == y),
            (Val::Bool(x), Val::Num(y)) | (Val::Num(y), Val::Bool(x)) => truth((*y != 0.0) == *x),
            (Val::None, Val::None) => Truth::Yes,
            _ => Truth::No,
        }
    }

    fn field_equal(&self, ours: &Val, expected: &Val) -> Truth {
        match (ours, expected) {
            (Val::Text(t) | Val::Link(t) | Val::Id(t), Val::None) => {
                truth(t.as_deref().is_none_or(str::is_empty))
            }
            (Val::Time(t), Val::None) => truth(t.is_none()),
            (Val::Text(ours), Val::Str(exp)) => {
                let ours = ours.clone().unwrap_or_default();
                let as_text = feeds::html_to_text(exp);
                let collapsed = exp.split_whitespace().collect::<Vec<_>>().join(" ");
                if exp.contains(['\u{2329}', '\u{232a}']) {
                    return Truth::Na(
                        "HTML 4 entity table (HTML 5 maps lang and rang to U+27E8/9)".into(),
                    );
                }
                if exp.contains('<') && as_text.is_empty() {
                    return Truth::Na("markup-only expectation (we keep text)".into());
                }
                if self.category == "wellformed/base"
                    && (exp.contains("href=") || exp.contains("src="))
                {
                    return Truth::Na("relative URIs inside markup (we keep text)".into());
                }
                truth(ours == collapsed || ours == as_text)
            }
            (Val::Link(ours), Val::Str(exp)) => {
                let canonical = feeds::canonical_url(exp, None);
                truth(
                    ours.is_some()
                        && (ours.as_deref() == canonical.as_deref()
                            || ours.as_deref() == Some(exp.as_str())),
                )
            }
            (Val::Id(ours), Val::Str(exp)) => {
                truth(ours.as_deref().map(str::trim) == Some(exp.trim()))
            }
            (Val::Time(ours), Val::Tuple(parts)) => {
                let Some(t) = ours else { return Truth::No };
                use chrono::{Datelike, Timelike};
                let want: Vec<f64> = parts
                    .iter()
                    .take(6)
                    .filter_map(|p| if let Val::Num(n) = p { Some(*n) } else { None })
                    .collect();
                let have = [
                    t.year() as f64,
                    t.month() as f64,
                    t.day() as f64,
                    t.hour() as f64,
                    t.minute() as f64,
                    t.second() as f64,
                ];
                truth(want.len() == 6 && want == have)
            }
            (Val::Encoding(_), Val::Str(exp)) if exp == "us-ascii" && self.text_default => {
                Truth::Na(
                    "RFC 3023 us-ascii default for text/* (RFC 7303 reads the declaration)".into(),
                )
            }
            (Val::Encoding(ours), Val::Str(exp)) => truth(same_encoding(ours, exp)),
            _ => Truth::No,
        }
    }
}

fn truth(b: bool) -> Truth {
    if b { Truth::Yes } else { Truth::No }
}

/// Whether two labels name the same WHATWG encoding (`us-ascii` and `iso-8859-1` are
/// windows-1252 there; GBK decodes as gb18030).
fn same_encoding(ours: &str, expected: &str) -> bool {
    let norm = |l: &str| -> String {
        let l = l.to_ascii_lowercase().replace('_', "-");
        match l.as_str() {
            "utf-32" | "utf-32be" => "utf-32be".into(),
            "utf-32le" => "utf-32le".into(),
            "utf-16" => "utf-16le".into(),
            _ => match encoding_rs::Encoding::for_label(l.as_bytes()) {
                Some(e) if e == encoding_rs::GBK => "gb18030".into(),
                Some(e) => e.name().to_ascii_lowercase(),
                None => l,
            },
        }
    };
    norm(ours) == norm(expected)
}

/// One case's metadata.
struct Meta {
    expect: String,
    header: Vec<(String, String)>,
}

fn meta(text: &str) -> Option<Meta> {
    let start = text.find("<!--")?;
    let end = start + text[start..].find("-->")?;
    let comment = &text[start + 4..end];
    let mut expect = None;
    let mut header = Vec::new();
    for line in comment.lines() {
        let line = line.trim();
        if let Some(e) = line.strip_prefix("Expect:") {
            expect = Some(e.trim().to_owned());
        } else if let Some(h) = line.strip_prefix("Header:")
            && let Some((k, v)) = h.trim().split_once(':')
        {
            header.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    Some(Meta { expect: expect?, header })
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xml" || x == "json") {
            out.push(p);
        }
    }
}

fn category(rel: &Path) -> String {
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    match parts.first().map(String::as_str) {
        Some("wellformed") if parts.len() > 2 => format!("wellformed/{}", parts[1]),
        Some(first) => first.to_owned(),
        None => "?".into(),
    }
}

#[derive(Default)]
struct Tally {
    pass: usize,
    fail: usize,
    na: usize,
}

/// Pass-rate floors per category, over the cases that apply (pass + fail), set just under
/// the rates measured when they were written so that a regression fails the build. What
/// keeps each below 100%:
/// * rss (94.3%): feedparser's own mapping of `<summary>` next to `<description>`, and
///   `dc:creator` text with an email in it.
/// * atom10 (77.8%), atom (82.4%): text constructs of type `application/octet-stream`
///   (base64, which feed-rs reports as plain text), XHTML content holding an escaped `<`
///   (feed-rs unescapes it while re-serialising, so it reads as a tag), an entry with two
///   `<link>`s of which the first lacks `href`, and `author` formatted as `name (email)`.
/// * rdf (88.9%): one RSS 0.90 item feed-rs drops.
/// * encoding (92.8%): UTF-8 mojibake inside references (`&#226;&#128;&#166;` for `…`),
///   `bozo` for `text/plain` responses (we read them), and line noise.
/// * illformed (87.5%): an undeclared namespace prefix (read without complaint) and KOI8-R
///   sniffed as its superset KOI8-U.
/// * sanitize (94.6%): feedparser's exact output for deliberately contorted comment and
///   script soup, and base64 content.
/// * amp, entities, base: complete.
const FLOORS: &[(&str, f64)] = &[
    ("wellformed/rss", 0.94),
    ("wellformed/atom10", 0.77),
    ("wellformed/atom", 0.82),
    ("wellformed/rdf", 0.88),
    ("wellformed/amp", 1.0),
    ("wellformed/base", 1.0),
    ("wellformed/sanitize", 0.94),
    ("entities", 1.0),
    ("encoding", 0.92),
    ("illformed", 0.87),
];

#[test]
fn feedparser_suite() {
    let Some(root) = test_support::shared_data("feedparser-tests/tests") else { return };
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    // Present but not whole (a partial copy) is a failure, not a skip.
    assert!(paths.len() > 1_000, "feedparser suite incomplete under {}", root.display());
    let verbose = std::env::var_os("FEEDS_CONFORMANCE_VERBOSE").is_some();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for path in &paths {
        let rel = path.strip_prefix(&root).unwrap_or(path);
        let cat = category(rel);
        let bytes = std::fs::read(path).unwrap_or_default();
        let peek = feeds::decode(&bytes, None).text;
        let meta = if path.extension().is_some_and(|x| x == "json") {
            // The JSON example carries its expectation in "__TEST__".
            peek.split("Expect:").nth(1).map(|e| Meta {
                expect: e.split("-->").next().unwrap_or("").trim().to_owned(),
                header: Vec::new(),
            })
        } else {
            meta(&peek)
        };
        let Some(meta) = meta else { continue };
        let tally = tallies.entry(cat.clone()).or_default();
        let content_type =
            meta.header.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.as_str());
        let served = format!("http://127.0.0.1:8097/tests/{}", rel.display());
        // The fetch layer would take Content-Location as the document's base.
        let url = meta
            .header
            .iter()
            .find(|(k, _)| k == "content-location")
            .and_then(|(_, v)| url::Url::parse(&served).ok()?.join(v).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map_or(served.clone(), |u| u.to_string());
        let result = std::panic::catch_unwind(|| feeds::parse_feed(&bytes, content_type, &url));
        let Ok(result) = result else {
            tally.fail += 1;
            failures.push(format!("{}: PANIC", rel.display()));
            continue;
        };
        let feed = result.as_ref().ok();
        let outcome = if meta.expect.trim() == "1" {
            // The case only asks that reading does not fail.
            truth(feed.is_some())
        } else {
            match expr::parse(&meta.expect) {
                Err(e) => Truth::Na(format!("expression we cannot parse ({e})")),
                Ok(expr) => {
                    let mut entries: Vec<&FeedItem> = Vec::new();
                    if let Some(f) = feed {
                        entries = merge(f);
                    }
                    let encoding = feed.map_or_else(
                        || feeds::decode_for_url(&bytes, content_type, &url).encoding.to_owned(),
                        |f| f.encoding.to_owned(),
                    );
                    let text_default = content_type.is_some_and(|ct| {
                        ct.trim_start().to_ascii_lowercase().starts_with("text/")
                            && !ct.to_ascii_lowercase().contains("charset=")
                    });
                    let case = Case { feed, entries, encoding, category: &cat, text_default };
                    case.truth(&expr)
                }
            }
        };
        match outcome {
            Truth::Yes => tally.pass += 1,
            Truth::No => {
                tally.fail += 1;
                let got = match &result {
                    Ok(f) => format!(
                        "recovered={} enc={} title={:?} items={:?}",
                        f.recovered,
                        f.encoding,
                        f.title,
                        merge(f)
                            .iter()
                            .take(1)
                            .map(|i| (
                                &i.url,
                                &i.id,
                                &i.title,
                                &i.summary,
                                &i.body,
                                &i.author,
                                i.published
                            ))
                            .collect::<Vec<_>>()
                    ),
                    Err(e) => format!("error: {e}"),
                };
                failures.push(format!("{}: {}\n    got {got}", rel.display(), meta.expect));
            }
            Truth::Na(reason) => {
                tally.na += 1;
                *reasons.entry(reason).or_default() += 1;
            }
        }
    }
    let mut report = String::from("feedparser conformance (pass rate over applicable cases)\n");
    let (mut tp, mut tf, mut tn) = (0, 0, 0);
    for (cat, t) in &tallies {
        let rate = rate(t);
        report.push_str(&format!(
            "  {cat:<28} {:>5.1}%  pass {:>4}  fail {:>4}  n/a {:>4}\n",
            rate * 100.0,
            t.pass,
            t.fail,
            t.na
        ));
        tp += t.pass;
        tf += t.fail;
        tn += t.na;
    }
    report.push_str(&format!(
        "  {:<28} {:>5.1}%  pass {tp:>4}  fail {tf:>4}  n/a {tn:>4}\n",
        "all",
        tp as f64 * 100.0 / (tp + tf).max(1) as f64
    ));
    report.push_str("not applicable, by reason:\n");
    for (reason, n) in &reasons {
        report.push_str(&format!("  {n:>5}  {reason}\n"));
    }
    if verbose {
        report.push_str("failures:\n");
        for f in &failures {
            report.push_str(&format!("  {f}\n"));
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{report}");
    }
    let mut below = Vec::new();
    for (cat, floor) in FLOORS {
        let t = tallies.get(*cat).unwrap_or_else(|| panic!("no cases in {cat}"));
        if rate(t) < *floor {
            below.push(format!("{cat}: {:.1}% < {:.1}%", rate(t) * 100.0, floor * 100.0));
        }
    }
    assert!(below.is_empty(), "pass rates below their floors: {below:?}\n{report}");
}

fn rate(t: &Tally) -> f64 {
    t.pass as f64 / (t.pass + t.fail).max(1) as f64
}

/// feedparser counts entries without links; we set them aside. Both lists are in document
/// order; a case mixing them is rare enough that linked-first is good enough.
fn merge(f: &Feed) -> Vec<&FeedItem> {
    f.items.iter().chain(f.unlinked.iter()).collect()
}
