//! Listing pages (a site's section pages): the article links on them, absolute,
//! deduplicated and in page order, without navigation, tag and category links.

use std::collections::HashSet;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::adapter::Adapter;
use crate::generic::in_chrome;

/// Path segments of pages that list or describe rather than report.
const NOT_ARTICLES: &[&str] = &[
    "tag",
    "tags",
    "chu-de",
    "tu-khoa",
    "tac-gia",
    "author",
    "authors",
    "category",
    "categories",
    "chuyen-muc",
    "danh-muc",
    "page",
    "trang",
    "search",
    "tim-kiem",
    "lien-he",
    "contact",
    "gioi-thieu",
    "about",
    "rss",
    "login",
    "dang-nhap",
    "dang-ky",
    "register",
    "feed",
    "su-kien",
    "topic",
    "topics",
    "event",
    "events",
    "video",
    "videos",
    "podcast",
    "podcasts",
    "photo",
    "multimedia",
    "emagazine",
    "infographic",
    "quang-cao",
    "lien-he-quang-cao",
];

/// Article links of a listing page, with the adapter's selectors and URL pattern when the
/// site has them, otherwise with the generic article-URL heuristics.
pub(crate) fn links(
    doc: &Html,
    base: &Url,
    adapter: Option<&Adapter>,
    anchors: &Selector,
) -> Vec<String> {
    let root = doc.root_element();
    let mut picked: Vec<ElementRef<'_>> = Vec::new();
    if let Some(a) = adapter {
        for sel in &a.listing_links {
            for el in root.select(sel) {
                if el.value().name() == "a" {
                    picked.push(el);
                } else {
                    picked.extend(el.select(anchors));
                }
            }
        }
    }
    let by_selector = !picked.is_empty();
    if !by_selector {
        picked = root.select(anchors).filter(|a| !in_chrome(*a)).collect();
    }
    // Selector matches come per selector; put them back in page order (ids follow
    // creation order, which foster parenting can change, so order is taken from a walk).
    picked.sort_by_key(|e| e.id());
    picked.dedup_by_key(|e| e.id());
    if by_selector {
        let order: crate::dom::IdMap<usize> =
            root.descendants().enumerate().map(|(i, n)| (n.id(), i)).collect();
        picked.sort_by_key(|e| order.get(&e.id()).copied().unwrap_or(usize::MAX));
    }
    let page_host = base.host_str().unwrap_or_default().to_ascii_lowercase();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for a in picked {
        let Some(href) = a.value().attr("href") else { continue };
        let Some(url) = resolve(base, href) else { continue };
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if !same_site(&host, &page_host) {
            continue;
        }
        let path = url.path();
        let article = match adapter.and_then(|a| a.url_pattern.as_ref()) {
            Some(re) => {
                let with_query = match url.query() {
                    Some(q) => format!("{path}?{q}"),
                    None => path.to_owned(),
                };
                re.is_match(&with_query)
            }
            None => looks_like_article(&url),
        };
        if !article || strip(base).as_str() == url.as_str() {
            continue;
        }
        if seen.insert(url.as_str().to_owned()) {
            out.push(url.into());
        }
    }
    out
}

/// An absolute http(s) URL without its fragment.
pub(crate) fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

fn strip(u: &Url) -> Url {
    let mut u = u.clone();
    u.set_fragment(None);
    u
}

/// The same site: equal hosts once `www.`, `m.` and `amp.` are set aside, or one a
/// subdomain of the other.
fn same_site(a: &str, b: &str) -> bool {
    let bare = |h: &str| {
        let mut h = h.trim_end_matches('.');
        for p in ["www.", "m.", "amp.", "mobile."] {
            if let Some(rest) = h.strip_prefix(p) {
                h = rest;
            }
        }
        h.to_owned()
    };
    let (a, b) = (bare(a), bare(b));
    a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}"))
}

/// Whether a URL looks like one article: a slug of several words or a numeric id, and no
/// listing or navigation segment.
fn looks_like_article(url: &Url) -> bool {
    let segments: Vec<&str> =
        url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    if segments.iter().any(|s| NOT_ARTICLES.contains(&s.to_ascii_lowercase().as_str())) {
        return false;
    }
    if let Some(q) = url.query() {
        let q = q.to_ascii_lowercase();
        let id_param = q.split('&').any(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            matches!(k, "id" | "newsid" | "itemid" | "articleid" | "news_id" | "tinid" | "p")
                && !v.is_empty()
                && v.chars().all(|c| c.is_ascii_digit())
        });
        if id_param {
            return true;
        }
    }
    // Liferay portals: /-/12345-slug and /.../-/asset_publisher/ID/content/slug.
    if segments.windows(2).any(|w| {
        w[0] == "-" && (w[1] == "asset_publisher" || w[1].starts_with(|c: char| c.is_ascii_digit()))
    }) {
        return segments.contains(&"content")
            || segments.last().is_some_and(|s| s.starts_with(|c: char| c.is_ascii_digit()));
    }
    let Some(last) = segments.last() else { return false };
    let stem = last.rsplit_once('.').map_or(*last, |(s, ext)| {
        if matches!(ext, "htm" | "html" | "aspx" | "php" | "shtml") { s } else { last }
    });
    let words = stem.split(['-', '_']).filter(|w| !w.is_empty()).count();
    let digits = stem.chars().rev().take_while(char::is_ascii_digit).count();
    words >= 4 || (digits >= 5 && words >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_urls_by_shape() {
        let yes = [
            "https://vnexpress.net/cach-phong-sot-xuat-huyet-4712345.html",
            "https://tuoitre.vn/bo-y-te-canh-bao-20240214211800123.htm",
            "https://example.vn/2024/02/14/nguoi-dan-can-tiem-vac-xin-som/",
            "https://moh.gov.vn/tin-noi-bat/-/asset_publisher/3Yst7YhbkA5j/content/bo-y-te-hop",
            "https://soyte.vn/news.aspx?id=12345",
        ];
        let no = [
            "https://vnexpress.net/suc-khoe",
            "https://vnexpress.net/suc-khoe/cac-benh",
            "https://tuoitre.vn/tag/sot-xuat-huyet-moi-nhat-hom-nay.htm",
            "https://dantri.com.vn/suc-khoe/trang-2.htm",
            "https://example.vn/tac-gia/nguyen-van-an-nguoi-viet",
        ];
        for u in yes {
            assert!(looks_like_article(&Url::parse(u).unwrap()), "{u}");
        }
        for u in no {
            assert!(!looks_like_article(&Url::parse(u).unwrap()), "{u}");
        }
        assert!(same_site("m.vnexpress.net", "vnexpress.net"));
        assert!(!same_site("vnexpress.net.evil.com", "vnexpress.net"));
    }
}
