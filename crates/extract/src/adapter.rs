//! Site adapters: per-site CSS selectors written as TOML data, their validation (every
//! problem with file, line and column) and the choice of an adapter by host.

use std::fmt;

use regex::Regex;
use scraper::Selector;
use serde::Deserialize;
use toml::Spanned;

/// The adapters shipped with the crate.
pub(crate) const EMBEDDED: &str = include_str!("../adapters.toml");

/// The name under which the embedded adapters report problems.
pub(crate) const EMBEDDED_ORIGIN: &str = "adapters.toml (embedded)";

/// An adapter file to load: where it came from (for messages) and its text.
#[derive(Debug, Clone)]
pub struct AdapterSource {
    /// A path or name shown in error messages.
    pub origin: String,
    /// The TOML text.
    pub text: String,
}

impl AdapterSource {
    /// An adapter file read by the caller from `origin`.
    pub fn new(origin: impl Into<String>, text: impl Into<String>) -> AdapterSource {
        AdapterSource { origin: origin.into(), text: text.into() }
    }
}

/// One problem in an adapter file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file's origin as given in [`AdapterSource::origin`].
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.origin, self.line, self.column, self.message)
    }
}

/// Adapter files that could not be loaded, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct AdapterError {
    /// Every problem, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    adapter: Vec<AdapterSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdapterSpec {
    name: Spanned<String>,
    hosts: Vec<Spanned<String>>,
    #[serde(default)]
    title: Vec<Spanned<String>>,
    #[serde(default)]
    lead: Vec<Spanned<String>>,
    #[serde(default)]
    body: Vec<Spanned<String>>,
    #[serde(default)]
    remove: Vec<Spanned<String>>,
    #[serde(default)]
    author: Vec<Spanned<String>>,
    #[serde(default)]
    published: Vec<Spanned<String>>,
    #[serde(default)]
    modified: Vec<Spanned<String>>,
    listing: Option<ListingSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListingSpec {
    #[serde(default)]
    links: Vec<Spanned<String>>,
    url_pattern: Option<Spanned<String>>,
}

/// A selector for a value: the element's text, or one of its attributes
/// (`"meta[name=pubdate] @content"`).
#[derive(Debug, Clone)]
pub(crate) struct ValueSelector {
    pub(crate) selector: Selector,
    pub(crate) attr: Option<String>,
}

/// A host pattern: labels compared from the right, `*` standing for exactly one label.
/// `vnexpress.net` also matches `m.vnexpress.net`; `soyte.*.gov.vn` matches
/// `soyte.hanoi.gov.vn` and its subdomains.
#[derive(Debug, Clone)]
pub(crate) struct HostPattern {
    labels: Vec<String>,
}

impl HostPattern {
    fn parse(text: &str) -> Result<HostPattern, String> {
        let t = text.trim().trim_end_matches('.').to_ascii_lowercase();
        if t.is_empty() {
            return Err("empty host pattern".into());
        }
        let labels: Vec<String> = t.split('.').map(str::to_owned).collect();
        for l in &labels {
            let ok = l == "*"
                || (!l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            if !ok {
                return Err(format!(
                    "host pattern {text:?}: label {l:?} is not a host label or `*` (write hosts \
                     without scheme, port or path)"
                ));
            }
        }
        if labels.iter().all(|l| l == "*") {
            return Err(format!("host pattern {text:?} matches every host"));
        }
        Ok(HostPattern { labels })
    }

    /// How specifically the pattern matches `host`: `None` when it does not match,
    /// otherwise a rank where more literal labels rank higher.
    fn rank(&self, host: &str) -> Option<usize> {
        let host: Vec<&str> = host.split('.').collect();
        if host.len() < self.labels.len() {
            return None;
        }
        let tail = &host[host.len() - self.labels.len()..];
        let matched =
            self.labels.iter().zip(tail).all(|(p, h)| p == "*" || p.eq_ignore_ascii_case(h));
        matched.then(|| self.labels.iter().filter(|l| *l != "*").count() * 2 + 1)
    }
}

/// A loaded, validated adapter.
#[derive(Debug, Clone)]
pub(crate) struct Adapter {
    pub(crate) name: String,
    hosts: Vec<HostPattern>,
    pub(crate) title: Vec<ValueSelector>,
    pub(crate) lead: Vec<ValueSelector>,
    pub(crate) body: Vec<Selector>,
    pub(crate) remove: Vec<Selector>,
    pub(crate) author: Vec<ValueSelector>,
    pub(crate) published: Vec<ValueSelector>,
    pub(crate) modified: Vec<ValueSelector>,
    pub(crate) listing_links: Vec<Selector>,
    pub(crate) url_pattern: Option<Regex>,
}

/// The adapters in force, in load order.
#[derive(Debug, Clone, Default)]
pub(crate) struct AdapterSet {
    adapters: Vec<Adapter>,
}

impl AdapterSet {
    /// Loads files in order; an adapter with the name of one loaded earlier replaces it.
    pub(crate) fn load(sources: &[AdapterSource]) -> Result<AdapterSet, AdapterError> {
        let mut set = AdapterSet::default();
        let mut diagnostics = Vec::new();
        for source in sources {
            match parse_file(source) {
                Ok(adapters) => {
                    for a in adapters {
                        set.adapters.retain(|old| old.name != a.name);
                        set.adapters.push(a);
                    }
                }
                Err(mut d) => diagnostics.append(&mut d),
            }
        }
        if diagnostics.is_empty() { Ok(set) } else { Err(AdapterError { diagnostics }) }
    }

    /// The adapter for `host`: the most specific host pattern wins; among equals, the one
    /// loaded last (an administrator's file over the embedded one).
    pub(crate) fn for_host(&self, host: &str) -> Option<&Adapter> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let mut best: Option<(usize, &Adapter)> = None;
        for a in &self.adapters {
            if let Some(rank) = a.hosts.iter().filter_map(|h| h.rank(&host)).max()
                && best.is_none_or(|(r, _)| rank >= r)
            {
                best = Some((rank, a));
            }
        }
        best.map(|(_, a)| a)
    }

    /// Adapter names, in load order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.adapters.iter().map(|a| a.name.as_str())
    }
}

fn parse_file(source: &AdapterSource) -> Result<Vec<Adapter>, Vec<Diagnostic>> {
    let at = |offset: usize, message: String| {
        let (line, column) = line_column(&source.text, offset);
        Diagnostic { origin: source.origin.clone(), line, column, message }
    };
    let spec: FileSpec = match toml::from_str(&source.text) {
        Ok(spec) => spec,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            return Err(vec![at(offset, e.message().trim().to_owned())]);
        }
    };
    let mut problems = Vec::new();
    let mut adapters = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for spec in spec.adapter {
        let mut bad =
            |s: &Spanned<String>, message: String| problems.push(at(s.span().start, message));
        let name = spec.name.get_ref().trim().to_owned();
        if name.is_empty() {
            bad(&spec.name, "adapter name is empty".into());
        } else if seen.contains(&name) {
            bad(&spec.name, format!("adapter {name:?} is defined twice in this file"));
        }
        seen.push(name.clone());
        if spec.hosts.is_empty() {
            bad(&spec.name, format!("adapter {name:?} has no hosts"));
        }
        let mut hosts = Vec::new();
        for h in &spec.hosts {
            match HostPattern::parse(h.get_ref()) {
                Ok(p) => hosts.push(p),
                Err(m) => bad(h, m),
            }
        }
        let mut values = |list: &[Spanned<String>], field: &str| -> Vec<ValueSelector> {
            list.iter()
                .filter_map(|s| match value_selector(s.get_ref()) {
                    Ok(v) => Some(v),
                    Err(m) => {
                        bad(s, format!("{field}: {m}"));
                        None
                    }
                })
                .collect()
        };
        let title = values(&spec.title, "title");
        let lead = values(&spec.lead, "lead");
        let author = values(&spec.author, "author");
        let published = values(&spec.published, "published");
        let modified = values(&spec.modified, "modified");
        let mut plain = |list: &[Spanned<String>], field: &str| -> Vec<Selector> {
            list.iter()
                .filter_map(|s| match selector(s.get_ref()) {
                    Ok(v) => Some(v),
                    Err(m) => {
                        bad(s, format!("{field}: {m}"));
                        None
                    }
                })
                .collect()
        };
        let body = plain(&spec.body, "body");
        let remove = plain(&spec.remove, "remove");
        let (listing_links, url_pattern) = match &spec.listing {
            None => (Vec::new(), None),
            Some(l) => {
                let links = plain(&l.links, "listing.links");
                let pattern = l.url_pattern.as_ref().and_then(|p| match Regex::new(p.get_ref()) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        bad(p, format!("listing.url_pattern: {}", one_line(&e.to_string())));
                        None
                    }
                });
                if l.links.is_empty() && l.url_pattern.is_none() {
                    bad(&spec.name, "listing needs `links`, `url_pattern` or both".into());
                }
                (links, pattern)
            }
        };
        adapters.push(Adapter {
            name,
            hosts,
            title,
            lead,
            body,
            remove,
            author,
            published,
            modified,
            listing_links,
            url_pattern,
        });
    }
    if problems.is_empty() {
        Ok(adapters)
    } else {
        problems.sort_by_key(|d| (d.line, d.column));
        Err(problems)
    }
}

fn selector(text: &str) -> Result<Selector, String> {
    if text.trim().is_empty() {
        return Err("empty selector".into());
    }
    Selector::parse(text).map_err(|e| {
        let why = match e {
            scraper::error::SelectorErrorKind::UnexpectedSelectorParseError(kind) => {
                words(&format!("{kind:?}"))
            }
            other => other.to_string().to_lowercase(),
        };
        format!("invalid CSS selector {text:?}: {why}")
    })
}

/// `ClassNeedsIdent(..)` as `class needs ident`.
fn words(debug: &str) -> String {
    let name = debug.split(|c: char| !c.is_alphanumeric()).next().unwrap_or(debug);
    let mut out = String::new();
    for c in name.chars() {
        if c.is_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn value_selector(text: &str) -> Result<ValueSelector, String> {
    let (css, attr) = match text.rsplit_once(" @") {
        Some((css, attr)) => {
            let attr = attr.trim();
            if attr.is_empty()
                || !attr.chars().all(|c| c.is_ascii_alphanumeric() || "-_:".contains(c))
            {
                return Err(format!("{text:?}: `@` must be followed by an attribute name"));
            }
            (css, Some(attr.to_ascii_lowercase()))
        }
        None => (text, None),
    };
    Ok(ValueSelector { selector: selector(css)?, attr })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 1-based line and character column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<AdapterSet, AdapterError> {
        AdapterSet::load(&[AdapterSource::new("sites.toml", text)])
    }

    #[test]
    fn the_readme_example_is_a_valid_adapter_file() {
        let readme = include_str!("../../../README.md");
        let section = readme.split("## Site adapters").nth(1).unwrap();
        let example = section.split("```toml\n").nth(1).unwrap().split("```").next().unwrap();
        let set = load(example).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.for_host("m.baotinh.vn").map(|a| a.name.as_str()), Some("baotinh"));
    }

    #[test]
    fn embedded_adapters_load() {
        let set = AdapterSet::load(&[AdapterSource::new(EMBEDDED_ORIGIN, EMBEDDED)]);
        let set = set.unwrap_or_else(|e| panic!("{e}"));
        assert!(set.names().count() >= 11);
    }

    #[test]
    fn unknown_keys_are_errors_with_position() {
        let e =
            load("[[adapter]]\nname = \"x\"\nhosts = [\"x.vn\"]\ntitel = [\"h1\"]\n").unwrap_err();
        assert_eq!(e.diagnostics.len(), 1);
        let d = &e.diagnostics[0];
        assert_eq!((d.line, d.column), (4, 1), "{d}");
        assert!(d.message.contains("unknown field `titel`"), "{d}");
        assert!(d.to_string().starts_with("sites.toml:4:1: "), "{d}");
    }

    #[test]
    fn bad_selectors_hosts_and_patterns_are_all_reported() {
        let text = "[[adapter]]\nname = \"x\"\nhosts = [\"https://x.vn/\"]\nbody = [\"div..a\", \"article\"]\n\
                    published = [\"time @\"]\n[adapter.listing]\nurl_pattern = \"(\"\n";
        let e = load(text).unwrap_err();
        let got: Vec<(usize, usize)> = e.diagnostics.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(got, vec![(3, 10), (4, 9), (5, 14), (7, 15)], "{e}");
        assert_eq!(
            e.diagnostics[1].message,
            "body: invalid CSS selector \"div..a\": class needs ident"
        );
    }

    #[test]
    fn syntax_errors_point_at_the_line() {
        let e = load("[[adapter]]\nname = \"x\"\nhosts = [\"x.vn\"\n").unwrap_err();
        assert_eq!(e.diagnostics.len(), 1);
        assert!(e.diagnostics[0].line >= 3, "{e}");
    }

    #[test]
    fn hosts_match_subdomains_and_wildcards_most_specific_first() {
        let set = load(
            "[[adapter]]\nname = \"portal\"\nhosts = [\"soyte.*.gov.vn\"]\n\
             [[adapter]]\nname = \"hanoi\"\nhosts = [\"soyte.hanoi.gov.vn\"]\n\
             [[adapter]]\nname = \"vne\"\nhosts = [\"vnexpress.net\"]\n",
        )
        .unwrap();
        let name = |h: &str| set.for_host(h).map(|a| a.name.clone());
        assert_eq!(name("vnexpress.net").as_deref(), Some("vne"));
        assert_eq!(name("m.vnexpress.net").as_deref(), Some("vne"));
        assert_eq!(name("VNEXPRESS.NET.").as_deref(), Some("vne"));
        assert_eq!(name("notvnexpress.net"), None);
        assert_eq!(name("soyte.hanoi.gov.vn").as_deref(), Some("hanoi"));
        assert_eq!(name("soyte.camau.gov.vn").as_deref(), Some("portal"));
        assert_eq!(name("soyte.gov.vn"), None);
    }

    #[test]
    fn a_later_file_replaces_an_adapter_of_the_same_name() {
        let set = AdapterSet::load(&[
            AdapterSource::new("a", "[[adapter]]\nname = \"x\"\nhosts = [\"a.vn\"]\n"),
            AdapterSource::new("b", "[[adapter]]\nname = \"x\"\nhosts = [\"b.vn\"]\n"),
        ])
        .unwrap();
        assert!(set.for_host("a.vn").is_none());
        assert!(set.for_host("b.vn").is_some());
    }
}
