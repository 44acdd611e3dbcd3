//! Page metadata that does not depend on the layout: JSON-LD (`NewsArticle` and kin),
//! OpenGraph and other `<meta>` tags, `<link rel="canonical">`.

use std::collections::HashMap;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

use crate::text::squash;

/// What the head and the structured data of a page say.
#[derive(Debug, Default)]
pub(crate) struct PageMeta {
    /// `<meta>` contents by lowercase `property`, `name` or `itemprop`; the first wins.
    tags: HashMap<String, String>,
    pub(crate) ld: LdArticle,
    pub(crate) canonical: Option<String>,
    pub(crate) html_title: Option<String>,
}

/// The fields of the first article object in the page's JSON-LD.
#[derive(Debug, Default)]
pub(crate) struct LdArticle {
    pub(crate) headline: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) published: Option<String>,
    pub(crate) modified: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) body: Option<String>,
    pub(crate) url: Option<String>,
}

const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "NewsArticle",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
    "Report",
    "MedicalScholarlyArticle",
    "ScholarlyArticle",
    "TechArticle",
    "DiscussionForumPosting",
    "SocialMediaPosting",
];

#[derive(Debug)]
pub(crate) struct Selectors {
    meta: Selector,
    ld: Selector,
    canonical: Selector,
    title: Selector,
}

impl Selectors {
    pub(crate) fn new() -> Selectors {
        let s = |css: &str| {
            Selector::parse(css).unwrap_or_else(|e| panic!("built-in selector {css}: {e}"))
        };
        Selectors {
            meta: s("meta[content]"),
            ld: s("script[type]"),
            canonical: s("link[rel][href]"),
            title: s("title"),
        }
    }
}

impl PageMeta {
    pub(crate) fn read(doc: &Html, sel: &Selectors) -> PageMeta {
        let root = doc.root_element();
        let mut tags = HashMap::new();
        for m in root.select(&sel.meta) {
            let el = m.value();
            let Some(content) = el.attr("content") else { continue };
            let content = squash(content);
            if content.is_empty() {
                continue;
            }
            for key in ["property", "name", "itemprop"] {
                if let Some(k) = el.attr(key) {
                    tags.entry(k.trim().to_ascii_lowercase()).or_insert_with(|| content.clone());
                }
            }
        }
        let mut ld = LdArticle::default();
        for script in root.select(&sel.ld) {
            let is_ld = script
                .value()
                .attr("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
            if is_ld && ld.headline.is_none() && ld.body.is_none() {
                let raw: String = script.text().collect();
                ld = read_ld(&raw).unwrap_or_default();
            }
        }
        let canonical = root
            .select(&sel.canonical)
            .find(|l| {
                l.value().attr("rel").is_some_and(|r| {
                    r.split_ascii_whitespace().any(|t| t.eq_ignore_ascii_case("canonical"))
                })
            })
            .and_then(|l| l.value().attr("href"))
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty());
        let html_title = root
            .select(&sel.title)
            .next()
            .map(|t| squash(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty());
        PageMeta { tags, ld, canonical, html_title }
    }

    /// The first present tag among `keys`.
    pub(crate) fn tag(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.tags.get(*k)).map(String::as_str)
    }

    pub(crate) fn title(&self) -> Option<&str> {
        self.ld
            .headline
            .as_deref()
            .or_else(|| self.tag(&["og:title", "twitter:title", "title", "dc.title"]))
    }

    pub(crate) fn description(&self) -> Option<&str> {
        self.tag(&["og:description", "description", "twitter:description", "dc.description"])
            .or(self.ld.description.as_deref())
    }

    pub(crate) fn published(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.ld.published.as_deref().into_iter().collect();
        v.extend(self.tag(&[
            "article:published_time",
            "og:article:published_time",
            "datepublished",
            "pubdate",
            "publishdate",
            "publish-date",
            "article:published",
            "dc.date.issued",
            "dc.date",
            "dcterms.created",
            "dcterms.date",
            "date",
            "parsely-pub-date",
            "sailthru.date",
        ]));
        v
    }

    pub(crate) fn modified(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.ld.modified.as_deref().into_iter().collect();
        v.extend(self.tag(&[
            "article:modified_time",
            "og:updated_time",
            "datemodified",
            "lastmod",
            "last-modified",
            "dc.date.modified",
            "dcterms.modified",
        ]));
        v
    }

    pub(crate) fn author(&self) -> Option<&str> {
        self.ld.author.as_deref().or_else(|| {
            self.tag(&["author", "article:author", "dc.creator", "byl", "parsely-author"])
                .filter(|a| !a.starts_with("http") && !a.contains("://"))
        })
    }

    pub(crate) fn og_url(&self) -> Option<&str> {
        self.tag(&["og:url"])
    }
}

/// Reads the first article object of a JSON-LD block. Sites often leave raw newlines and
/// tabs inside strings, which JSON forbids; they are read as spaces.
fn read_ld(raw: &str) -> Option<LdArticle> {
    let cleaned: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let value: Value = serde_json::from_str(cleaned.trim().trim_end_matches(';')).ok()?;
    let obj = find_article(&value, 0)?;
    let text =
        |key: &str| obj.get(key).and_then(Value::as_str).map(clean).filter(|s| !s.is_empty());
    let url = text("url").or_else(|| match obj.get("mainEntityOfPage") {
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(Value::Object(o)) => o.get("@id").and_then(Value::as_str).map(|s| s.trim().to_owned()),
        _ => None,
    });
    Some(LdArticle {
        headline: text("headline").or_else(|| text("name")),
        description: text("description"),
        published: text("datePublished").or_else(|| text("dateCreated")),
        modified: text("dateModified"),
        author: obj.get("author").and_then(names),
        body: obj
            .get("articleBody")
            .and_then(Value::as_str)
            .map(body_text)
            .filter(|s| !s.is_empty()),
        url,
    })
}

fn find_article(v: &Value, depth: usize) -> Option<&serde_json::Map<String, Value>> {
    if depth > 4 {
        return None;
    }
    match v {
        Value::Array(items) => items.iter().find_map(|i| find_article(i, depth + 1)),
        Value::Object(o) => {
            let typed = match o.get("@type") {
                Some(Value::String(t)) => ARTICLE_TYPES.contains(&t.as_str()),
                Some(Value::Array(ts)) => {
                    ts.iter().filter_map(Value::as_str).any(|t| ARTICLE_TYPES.contains(&t))
                }
                _ => false,
            };
            if typed {
                return Some(o);
            }
            o.get("@graph").and_then(|g| find_article(g, depth + 1))
        }
        _ => None,
    }
}

/// Author names from a string, a `Person`/`Organization` object or a list of them.
fn names(v: &Value) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        let s = clean(s);
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    match v {
        Value::String(s) => push(s),
        Value::Object(o) => {
            if let Some(n) = o.get("name").and_then(Value::as_str) {
                push(n);
            }
        }
        Value::Array(items) => {
            for i in items {
                match i {
                    Value::String(s) => push(s),
                    Value::Object(o) => {
                        if let Some(n) = o.get("name").and_then(Value::as_str) {
                            push(n);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    (!out.is_empty()).then(|| out.join(", "))
}

/// JSON-LD strings are sometimes HTML-escaped a second time.
fn clean(s: &str) -> String {
    if s.contains('&') { squash(&html_escape::decode_html_entities(s)) } else { squash(s) }
}

/// `articleBody` with its paragraph breaks kept: sites separate paragraphs with newlines,
/// which the JSON reader turned into spaces only when they were raw.
fn body_text(s: &str) -> String {
    let s = if s.contains('&') {
        html_escape::decode_html_entities(s).into_owned()
    } else {
        s.to_owned()
    };
    s.split('\n').map(squash).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("\n\n")
}

/// The first value of `sels` found in `root`: an attribute when the selector names one,
/// otherwise the element's text.
pub(crate) fn first_value(
    root: ElementRef<'_>,
    sels: &[crate::adapter::ValueSelector],
) -> Option<String> {
    sels.iter().find_map(|v| {
        root.select(&v.selector).find_map(|el| {
            let s = match &v.attr {
                Some(a) => el.value().attr(a).map(squash),
                None => Some(crate::text::inline(el)),
            };
            s.filter(|s| !s.is_empty())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_in_a_graph_with_raw_newlines_and_escapes() {
        let raw = "{\"@context\":\"https://schema.org\",\"@graph\":[{\"@type\":\"WebPage\"},\
                   {\"@type\":[\"NewsArticle\"],\"headline\":\"Tiêu &quot;đề&quot;\",\
                   \"datePublished\":\"2024-02-14T21:18:00+07:00\",\"author\":[{\"@type\":\"Person\",\
                   \"name\":\"Lan Anh\"},{\"name\":\"Minh\"}],\"articleBody\":\"Đoạn một.\nĐoạn hai.\"}]};";
        let ld = read_ld(raw).unwrap();
        assert_eq!(ld.headline.as_deref(), Some("Tiêu \"đề\""));
        assert_eq!(ld.author.as_deref(), Some("Lan Anh, Minh"));
        assert_eq!(ld.body.as_deref(), Some("Đoạn một. Đoạn hai."));
        assert_eq!(read_ld("{not json").map(|l| l.headline), None);
    }
}
