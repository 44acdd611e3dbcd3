//! Article extraction from Vietnamese news pages: title, lead (sapo), main text, author,
//! dates and canonical URL from an article page, and the article links of a listing page.
//!
//! Pure functions over decoded HTML text and the page URL: no IO, no network. Sites are
//! described by adapters written as data (`adapters.toml`, embedded; administrators add
//! their own files with [`Extractor::with_adapters`]); every other page, and every page
//! whose adapter selectors find nothing, goes through a readability-style generic
//! extractor. JSON-LD, OpenGraph and `<meta>` tags fill in metadata either way.
//!
//! ```
//! let extractor = extract::Extractor::new();
//! let html = r#"<html><head><title>Bộ Y tế khuyến cáo</title></head><body>
//!   <article class="fck_detail"><h1 class="title-detail">Bộ Y tế khuyến cáo</h1>
//!   <p class="Normal">Người dân cần diệt bọ gậy, loăng quăng mỗi tuần một lần.</p></article>
//!   </body></html>"#;
//! let a = extractor.article(html, "https://vnexpress.net/bo-y-te-khuyen-cao-4712345.html");
//! assert_eq!(a.title.as_deref(), Some("Bộ Y tế khuyến cáo"));
//! assert_eq!(a.text, "Người dân cần diệt bọ gậy, loăng quăng mỗi tuần một lần.");
//! assert_eq!(a.adapter.as_deref(), Some("vnexpress"));
//! ```
#![warn(missing_docs)]

mod adapter;
mod dom;
mod eval;
mod generic;
mod listing;
mod meta;
mod text;

use std::collections::HashSet;

use model::Timestamp;
use scraper::{ElementRef, Selector};
use url::Url;

pub use adapter::{AdapterError, AdapterSource, Diagnostic};
pub use eval::{Overlap, token_f1};

use adapter::{Adapter, AdapterSet};
use generic::Cleaner;
use meta::{PageMeta, first_value};

/// What was extracted from an article page. Every field may be missing on a page that
/// does not have it; `text` is empty when no article text was found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Article {
    /// The headline.
    pub title: Option<String>,
    /// The lead paragraph (sapo), not repeated in `text`.
    pub lead: Option<String>,
    /// The main text: paragraphs in order, separated by a blank line; a line break inside
    /// a paragraph is a `\n`; table cells are joined with ` | `.
    pub text: String,
    /// The byline, as the page writes it.
    pub author: Option<String>,
    /// When the article was first published.
    pub published: Option<Timestamp>,
    /// When it was last modified.
    pub modified: Option<Timestamp>,
    /// `<link rel="canonical">`, else `og:url`, resolved against the page URL.
    pub canonical_url: Option<String>,
    /// The adapter whose body selectors found the text; `None` when the generic extractor
    /// did.
    pub adapter: Option<String>,
}

/// Extracts articles and listing links with a set of site adapters.
#[derive(Debug)]
pub struct Extractor {
    adapters: AdapterSet,
    sel: Builtin,
}

#[derive(Debug)]
struct Builtin {
    h1: Selector,
    anchors: Selector,
    lead: Selector,
    heading: Selector,
    author: adapter::ValueSelector,
    time: Selector,
    site_name: Selector,
    meta: meta::Selectors,
}

impl Builtin {
    fn new() -> Builtin {
        let s = |css: &str| {
            Selector::parse(css).unwrap_or_else(|e| panic!("built-in selector {css}: {e}"))
        };
        Builtin {
            h1: s("h1"),
            anchors: s("a[href]"),
            lead: s(
                "[class*=sapo], [class*=summary], .lead, .article-lead, .chapeau, .standfirst, \
                 .excerpt, .description, [itemprop=description]",
            ),
            heading: s("[class*=title], [class*=tieude], [class*=tieu-de], [class*=headline], \
                 [id*=Title], [id*=TieuDe]"),
            author: adapter::ValueSelector {
                selector: s("[itemprop=author] [itemprop=name], [itemprop=author], [rel=author], \
                     .author-name, .byline, .tac-gia, .author"),
                attr: None,
            },
            time: s(
                "time[datetime], [itemprop=datePublished][content], [itemprop=datePublished][datetime]",
            ),
            site_name: s("meta[property='og:site_name'][content]"),
            meta: meta::Selectors::new(),
        }
    }
}

impl Default for Extractor {
    fn default() -> Self {
        Extractor::new()
    }
}

impl Extractor {
    /// An extractor with the embedded adapters.
    pub fn new() -> Extractor {
        let sources = [AdapterSource::new(adapter::EMBEDDED_ORIGIN, adapter::EMBEDDED)];
        // The embedded file is validated by this crate's tests; it cannot fail here.
        let adapters =
            AdapterSet::load(&sources).unwrap_or_else(|e| panic!("embedded adapters: {e}"));
        Extractor { adapters, sel: Builtin::new() }
    }

    /// An extractor with the embedded adapters and then `files`, in order. An adapter
    /// named like one loaded before replaces it; otherwise the most specific host
    /// pattern wins, and the later file among equals.
    pub fn with_adapters(files: &[AdapterSource]) -> Result<Extractor, AdapterError> {
        let mut sources = vec![AdapterSource::new(adapter::EMBEDDED_ORIGIN, adapter::EMBEDDED)];
        sources.extend_from_slice(files);
        Ok(Extractor { adapters: AdapterSet::load(&sources)?, sel: Builtin::new() })
    }

    /// An extractor with only `files`, without the embedded adapters.
    pub fn with_only(files: &[AdapterSource]) -> Result<Extractor, AdapterError> {
        Ok(Extractor { adapters: AdapterSet::load(files)?, sel: Builtin::new() })
    }

    /// Names of the adapters in force, in load order.
    pub fn adapter_names(&self) -> Vec<String> {
        self.adapters.names().map(str::to_owned).collect()
    }

    /// The adapter that would handle `url`, if any.
    pub fn adapter_for(&self, url: &str) -> Option<String> {
        let u = Url::parse(url).ok()?;
        self.adapters.for_host(u.host_str()?).map(|a| a.name.clone())
    }

    fn adapter(&self, base: Option<&Url>) -> Option<&Adapter> {
        base.and_then(Url::host_str).and_then(|h| self.adapters.for_host(h))
    }

    /// Extracts an article from the decoded HTML of the page at `url`.
    pub fn article(&self, html: &str, url: &str) -> Article {
        let base = Url::parse(url).ok();
        let adapter = self.adapter(base.as_ref());
        let doc = dom::parse(html);
        let meta = PageMeta::read(&doc, &self.sel.meta);
        let root = doc.root_element();
        let stats = dom::stats(root);

        let mut used = None;
        let mut blocks = Vec::new();
        let mut region: Option<ElementRef<'_>> = None;
        if let Some(a) = adapter {
            let body = a.body.iter().find_map(|s| {
                root.select(s).find(|e| stats.get(&e.id()).is_some_and(|st| st.chars > 0))
            });
            if let Some(body) = body {
                let removed: HashSet<_> =
                    a.remove.iter().flat_map(|s| body.select(s).map(|e| e.id())).collect();
                let cleaner = Cleaner { stats: &stats, class_hints: false };
                blocks = text::blocks([body], |e| removed.contains(&e.id()) || cleaner.drop(e));
                if !blocks.is_empty() {
                    used = Some(a.name.clone());
                    region = Some(body);
                }
            }
        }
        if blocks.is_empty() {
            let containers = generic::containers(root, &stats);
            region = containers.first().copied();
            let cleaner = Cleaner { stats: &stats, class_hints: true };
            blocks = text::blocks(containers, |e| cleaner.drop(e));
        }

        let scope = region.map(near);
        let title = adapter
            .and_then(|a| first_value(root, &a.title))
            .or_else(|| self.generic_title(root, scope, &stats, &meta));
        let mut lead = adapter
            .and_then(|a| first_value(root, &a.lead))
            .or_else(|| scope.and_then(|s| self.lead_in(s, &stats)));
        let described = lead.is_none();
        if described {
            lead = meta.description().map(str::to_owned);
        }
        let author = adapter
            .and_then(|a| first_value(root, &a.author))
            .or_else(|| meta.author().map(str::to_owned))
            .or_else(|| first_value(root, std::slice::from_ref(&self.sel.author)))
            .map(|a| clean_author(&a))
            .filter(|a| !a.is_empty() && a.chars().count() <= 120);
        let published = date(adapter.map(|a| &a.published[..]), root, meta.published())
            .or_else(|| {
                root.select(&self.sel.time).find_map(|t| {
                    let v = t.value();
                    v.attr("datetime").or(v.attr("content")).and_then(model::parse_datetime)
                })
            })
            .or_else(|| scope.and_then(date_text));
        let modified = date(adapter.map(|a| &a.modified[..]), root, meta.modified());

        let text = finish(
            blocks,
            title.as_deref(),
            lead.as_deref(),
            author.as_deref(),
            meta.ld.body.as_deref(),
        );
        // A description that only repeats the opening of the text is a snippet, not a lead.
        if described && lead.as_deref().is_some_and(|l| is_snippet_of(l, &text)) {
            lead = None;
        }
        let canonical_url = meta
            .canonical
            .as_deref()
            .or(meta.og_url())
            .or(meta.ld.url.as_deref())
            .and_then(|c| match &base {
                Some(b) => listing::resolve(b, c),
                None => Url::parse(c).ok().filter(|u| matches!(u.scheme(), "http" | "https")),
            })
            .map(String::from);
        Article { title, lead, text, author, published, modified, canonical_url, adapter: used }
    }

    /// The article links of a listing page at `url`: absolute, without fragments,
    /// deduplicated, in page order, only links of the same site that look like articles.
    pub fn listing(&self, html: &str, url: &str) -> Vec<String> {
        let Ok(base) = Url::parse(url) else { return Vec::new() };
        let doc = dom::parse(html);
        listing::links(&doc, &base, self.adapter(Some(&base)), &self.sel.anchors)
    }

    fn generic_title(
        &self,
        root: ElementRef<'_>,
        scope: Option<ElementRef<'_>>,
        stats: &dom::IdMap<dom::Stats>,
        meta: &PageMeta,
    ) -> Option<String> {
        let h1 = root.select(&self.sel.h1).map(text::inline).find(|t| t.chars().count() >= 5);
        let site = root
            .select(&self.sel.site_name)
            .next()
            .and_then(|m| m.value().attr("content"))
            .map(text::squash);
        let strip = |t: &str| strip_site_name(t, site.as_deref());
        if let Some(t) = meta.title() {
            // An `og:title` that carries the site name around the headline.
            if let Some(h) = &h1
                && t.contains(h.as_str())
            {
                return Some(h.clone());
            }
            return Some(strip(t));
        }
        if h1.is_some() {
            return h1;
        }
        // Portals without `<h1>` mark the headline by class (`tieude_tin`, `news-title`).
        let marked = scope.and_then(|s| {
            s.select(&self.sel.heading).find_map(|el| {
                let st = stats.get(&el.id())?;
                if st.chars < 10 || st.chars > 300 || st.link_density() > 0.1 || st.blocks > 2 {
                    return None;
                }
                Some(text::inline(el)).filter(|t| !generic::is_boilerplate_text(t))
            })
        });
        marked.or_else(|| meta.html_title.as_deref().map(strip))
    }

    /// A lead element near the article container.
    fn lead_in(&self, scope: ElementRef<'_>, stats: &dom::IdMap<dom::Stats>) -> Option<String> {
        scope.select(&self.sel.lead).find_map(|el| {
            let s = stats.get(&el.id())?;
            if s.chars < 30 || s.chars > 1_500 || s.link_density() > 0.3 {
                return None;
            }
            Some(text::inline(el)).filter(|t| !t.is_empty())
        })
    }
}

/// The neighbourhood of the article container where its headline, lead and date sit.
fn near(region: ElementRef<'_>) -> ElementRef<'_> {
    let mut el = region;
    for _ in 0..4 {
        match el.parent().and_then(ElementRef::wrap) {
            Some(p) if p.value().name() != "html" => el = p,
            _ => break,
        }
    }
    el
}

/// The first short text in `scope` that reads as a date (`Ngày đăng: 15/08/2024`).
fn date_text(scope: ElementRef<'_>) -> Option<Timestamp> {
    scope
        .descendants()
        .filter(|n| {
            !n.parent()
                .and_then(|p| p.value().as_element().map(|e| dom::is_opaque(e.name())))
                .unwrap_or(false)
        })
        .filter_map(|n| n.value().as_text())
        .map(|t| t.trim())
        .filter(|t| {
            t.len() >= 8 && t.chars().count() <= 80 && t.contains(|c: char| c.is_ascii_digit())
        })
        .find_map(model::parse_datetime)
}

fn is_snippet_of(lead: &str, text: &str) -> bool {
    let l = norm(lead.trim_end_matches(['.', '…', ' ']));
    let n = l.chars().count();
    // Only as much of the text as the lead can cover is normalised.
    let head: String = text.chars().take(n * 2 + 16).collect();
    n >= 20 && norm(&head).starts_with(&l)
}

/// The first date among the adapter's selectors, then the metadata.
fn date(
    sels: Option<&[adapter::ValueSelector]>,
    root: ElementRef<'_>,
    meta: Vec<&str>,
) -> Option<Timestamp> {
    sels.into_iter()
        .flatten()
        .find_map(|v| {
            first_value(root, std::slice::from_ref(v)).and_then(|s| model::parse_datetime(&s))
        })
        .or_else(|| meta.into_iter().find_map(model::parse_datetime))
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Joins the blocks into the main text: the title, the lead and a trailing byline are not
/// repeated, boilerplate lines go, and the JSON-LD `articleBody` stands in when the page
/// markup gave much less.
fn finish(
    mut blocks: Vec<String>,
    title: Option<&str>,
    lead: Option<&str>,
    author: Option<&str>,
    ld_body: Option<&str>,
) -> String {
    let title = title.map(norm);
    let lead = lead.map(norm);
    while let Some(first) = blocks.first().map(|b| norm(b)) {
        if Some(&first) == title.as_ref() || Some(&first) == lead.as_ref() {
            blocks.remove(0);
        } else {
            break;
        }
    }
    blocks.retain(|b| !generic::is_boilerplate_text(b));
    if let (Some(a), Some(last)) = (author, blocks.last())
        && norm(last) == norm(a)
    {
        blocks.pop();
    }
    let text = blocks.join("\n\n");
    match ld_body {
        Some(body) if text.chars().count() * 2 < body.chars().count() => body.to_owned(),
        _ => text,
    }
}

fn strip_site_name(title: &str, site: Option<&str>) -> String {
    for sep in [" | ", " - ", " – ", " — ", " :: "] {
        if let Some((head, tail)) = title.rsplit_once(sep) {
            let tail_is_site = site.is_some_and(|s| norm(s) == norm(tail))
                || (tail.chars().count() <= 30 && head.chars().count() > 2 * tail.chars().count());
            if tail_is_site && !head.trim().is_empty() {
                return head.trim().to_owned();
            }
        }
    }
    title.trim().to_owned()
}

fn clean_author(a: &str) -> String {
    let mut s = a.trim();
    for p in ["Tác giả:", "Tác giả", "Bài và ảnh:", "Bài, ảnh:", "By ", "Người viết:"]
    {
        if let Some(rest) = s.strip_prefix(p) {
            s = rest.trim_start();
        }
    }
    s.trim_matches(|c: char| c.is_whitespace() || c == '-' || c == '|').to_owned()
}
