//! Sitemaps (sitemaps.org `urlset` and `sitemapindex`, with Google News `news:news`) to
//! links with their times. Decompressing `.xml.gz` bodies is the fetch layer's business.

use model::Timestamp;
use quick_xml::Reader;
use quick_xml::events::Event;

use crate::{Error, FeedItem, Result, canonical_url, decode_for_url, html_to_text, repair::repair};

/// A sitemap: article links, or links to more sitemaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sitemap {
    /// Whether it lists pages or other sitemaps.
    pub kind: SitemapKind,
    /// The `<url>` or `<sitemap>` entries in document order, those without a usable
    /// `<loc>` left out.
    pub entries: Vec<SitemapEntry>,
    /// The document was not well-formed and was read by repairing it.
    pub recovered: bool,
}

/// The two sitemap documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitemapKind {
    /// `<urlset>`: pages.
    Urls,
    /// `<sitemapindex>`: more sitemaps to read.
    Index,
}

/// One `<url>` or `<sitemap>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SitemapEntry {
    /// The `<loc>`, canonical for pages (tracking parameters and fragments removed) and
    /// as written, resolved, for child sitemaps.
    pub url: String,
    /// `<lastmod>`.
    pub lastmod: Option<Timestamp>,
    /// The Google News block, when there is one.
    pub news: Option<NewsEntry>,
}

/// A Google News sitemap's `news:news` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewsEntry {
    /// `news:title` as plain text.
    pub title: String,
    /// `news:publication_date`.
    pub published: Option<Timestamp>,
    /// `news:publication/news:name`.
    pub publication: Option<String>,
    /// `news:publication/news:language` (`vi`, `en`…).
    pub language: Option<String>,
}

impl Sitemap {
    /// The pages as feed items (title from the news block when there is one), for the same
    /// ingestion path as feeds. Empty for an index.
    pub fn items(&self) -> Vec<FeedItem> {
        if self.kind == SitemapKind::Index {
            return Vec::new();
        }
        self.entries
            .iter()
            .map(|e| {
                let news = e.news.as_ref();
                FeedItem {
                    url: e.url.clone(),
                    id: e.url.clone(),
                    title: news.map(|n| n.title.clone()).unwrap_or_default(),
                    outlet: news.and_then(|n| n.publication.clone()),
                    published: news.and_then(|n| n.published).or(e.lastmod),
                    updated: e.lastmod,
                    ..FeedItem::default()
                }
            })
            .collect()
    }
}

/// Parses a sitemap from the bytes a server sent (already decompressed). `url` resolves
/// relative locations and labels errors.
pub fn parse_sitemap(bytes: &[u8], content_type: Option<&str>, url: &str) -> Result<Sitemap> {
    let text = decode_for_url(bytes, content_type, url).text;
    let base = url::Url::parse(url).ok();
    match read(&text, base.as_ref()) {
        Ok(map) => Ok(map),
        Err(first) => {
            let mut map = read(&repair(&text), base.as_ref())
                .map_err(|_| Error::NotASitemap { url: url.to_owned(), message: first })?;
            map.recovered = true;
            Ok(map)
        }
    }
}

fn read(text: &str, base: Option<&url::Url>) -> std::result::Result<Sitemap, String> {
    let mut reader = Reader::from_str(text);
    let mut kind = None;
    let mut entries = Vec::new();
    let mut entry: Option<SitemapEntry> = None;
    let mut path: Vec<String> = Vec::new();
    // The text of the innermost element; entity references split it into pieces.
    let mut buf = String::new();
    loop {
        let event =
            reader.read_event().map_err(|e| format!("{e} at byte {}", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                if path.is_empty() {
                    kind = match name.as_str() {
                        "urlset" => Some(SitemapKind::Urls),
                        "sitemapindex" => Some(SitemapKind::Index),
                        other => {
                            return Err(format!(
                                "the root element is <{other}>, not <urlset> or <sitemapindex>"
                            ));
                        }
                    };
                }
                if path.len() == 1 && matches!(name.as_str(), "url" | "sitemap") {
                    entry = Some(SitemapEntry::default());
                }
                if name == "news"
                    && path.len() == 2
                    && let Some(e) = entry.as_mut()
                {
                    e.news = Some(NewsEntry::default());
                }
                path.push(name);
                buf.clear();
            }
            Event::Text(t) => {
                let raw = String::from_utf8_lossy(t.as_ref());
                buf.push_str(
                    &quick_xml::escape::unescape(&raw)
                        .map_or_else(|_| raw.to_string(), |v| v.into_owned()),
                );
            }
            Event::GeneralRef(r) => {
                let reference = format!("&{};", String::from_utf8_lossy(r.as_ref()));
                // HTML entities are not XML, but sitemaps written by hand use them.
                buf.push_str(&html_escape::decode_html_entities(&reference));
            }
            Event::CData(t) => buf.push_str(&String::from_utf8_lossy(t.as_ref())),
            Event::End(_) => {
                set(entry.as_mut(), &path, buf.trim());
                buf.clear();
                let name = path.pop().unwrap_or_default();
                if path.len() == 1
                    && matches!(name.as_str(), "url" | "sitemap")
                    && let Some(e) = entry.take().filter(|e| !e.url.is_empty())
                {
                    entries.push(e);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let kind = kind.ok_or_else(|| "no <urlset> or <sitemapindex> element".to_owned())?;
    Ok(Sitemap { kind, entries: finish(entries, kind, base), recovered: false })
}

/// Stores the text of the element at the end of `path` in its field.
fn set(entry: Option<&mut SitemapEntry>, path: &[String], value: &str) {
    let Some(entry) = entry else { return };
    if value.is_empty() {
        return;
    }
    let leaf = path.last().map(String::as_str).unwrap_or("");
    let parent = path.len().checked_sub(2).map(|i| path[i].as_str()).unwrap_or("");
    let news = entry.news.as_mut();
    match (parent, leaf, news) {
        ("url" | "sitemap", "loc", _) => entry.url = value.to_owned(),
        ("url" | "sitemap", "lastmod", _) => entry.lastmod = model::parse_datetime(value),
        ("news", "title", Some(n)) => n.title = html_to_text(value),
        ("news", "publication_date", Some(n)) => n.published = model::parse_datetime(value),
        ("publication", "name", Some(n)) => n.publication = Some(value.to_owned()),
        ("publication", "language", Some(n)) => n.language = Some(value.to_ascii_lowercase()),
        _ => {}
    }
}

fn finish(
    entries: Vec<SitemapEntry>,
    kind: SitemapKind,
    base: Option<&url::Url>,
) -> Vec<SitemapEntry> {
    entries
        .into_iter()
        .filter_map(|mut e| {
            e.url = match kind {
                SitemapKind::Urls => canonical_url(&e.url, base)?,
                SitemapKind::Index => match base {
                    Some(b) => b.join(&e.url).ok()?.to_string(),
                    None => url::Url::parse(&e.url).ok()?.to_string(),
                },
            };
            Some(e)
        })
        .collect()
}

fn local(raw: &[u8]) -> String {
    let name = String::from_utf8_lossy(raw);
    name.rsplit(':').next().unwrap_or("").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEWS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://suckhoe.example.vn/bo-y-te-canh-bao-sot-xuat-huyet-4711.html?utm_source=sitemap</loc>
    <lastmod>2024-02-14T21:30:00+07:00</lastmod>
    <news:news>
      <news:publication><news:name>Sức khỏe &amp; Đời sống</news:name><news:language>vi</news:language></news:publication>
      <news:publication_date>2024-02-14T21:18:00+07:00</news:publication_date>
      <news:title><![CDATA[Bộ Y tế cảnh báo sốt xuất huyết]]></news:title>
    </news:news>
  </url>
  <url><loc>/tin/2.html</loc><lastmod>2024-02-13</lastmod></url>
  <url><lastmod>2024-02-13</lastmod></url>
</urlset>"#;

    #[test]
    fn google_news_sitemap() {
        let map = parse_sitemap(
            NEWS.as_bytes(),
            Some("application/xml"),
            "https://suckhoe.example.vn/sitemap-news.xml",
        )
        .unwrap();
        assert_eq!((map.kind, map.entries.len(), map.recovered), (SitemapKind::Urls, 2, false));
        let e = &map.entries[0];
        assert_eq!(e.url, "https://suckhoe.example.vn/bo-y-te-canh-bao-sot-xuat-huyet-4711.html");
        assert_eq!(e.lastmod.unwrap().to_rfc3339(), "2024-02-14T14:30:00+00:00");
        let n = e.news.as_ref().unwrap();
        assert_eq!(n.title, "Bộ Y tế cảnh báo sốt xuất huyết");
        assert_eq!(n.publication.as_deref(), Some("Sức khỏe & Đời sống"));
        assert_eq!(n.language.as_deref(), Some("vi"));
        assert_eq!(n.published.unwrap().to_rfc3339(), "2024-02-14T14:18:00+00:00");
        assert_eq!(map.entries[1].url, "https://suckhoe.example.vn/tin/2.html");
        // A date alone is Vietnam midnight.
        assert_eq!(map.entries[1].lastmod.unwrap().to_rfc3339(), "2024-02-12T17:00:00+00:00");
        let items = map.items();
        assert_eq!(
            (items[0].title.as_str(), items[0].outlet.as_deref()),
            ("Bộ Y tế cảnh báo sốt xuất huyết", Some("Sức khỏe & Đời sống"))
        );
        assert_eq!(items[1].published, map.entries[1].lastmod);
    }

    #[test]
    fn sitemap_index_and_broken_sitemaps() {
        let index = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://a.vn/sitemap-1.xml.gz</loc><lastmod>2024-02-14T00:00:00Z</lastmod></sitemap>
<sitemap><loc>sitemap-2.xml</loc></sitemap></sitemapindex>"#;
        let map = parse_sitemap(index.as_bytes(), None, "https://a.vn/sitemap.xml").unwrap();
        assert_eq!(map.kind, SitemapKind::Index);
        let urls: Vec<&str> = map.entries.iter().map(|e| e.url.as_str()).collect();
        assert_eq!(urls, ["https://a.vn/sitemap-1.xml.gz", "https://a.vn/sitemap-2.xml"]);
        assert!(map.items().is_empty());
        let broken = "<urlset><url><loc>https://a.vn/x?a=1&b=2</loc></url><url><loc>https://a.vn/y";
        let map = parse_sitemap(broken.as_bytes(), None, "https://a.vn/s.xml").unwrap();
        assert!(map.recovered);
        let urls: Vec<&str> = map.entries.iter().map(|e| e.url.as_str()).collect();
        assert_eq!(urls, ["https://a.vn/x?a=1&b=2", "https://a.vn/y"]);
        let e = parse_sitemap(b"<rss><channel/></rss>", None, "https://a.vn/s.xml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("https://a.vn/s.xml") && e.contains("<rss>"), "{e}");
    }
}
