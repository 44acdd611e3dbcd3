//! Feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) to plain-text items.

use model::Timestamp;

use crate::{Error, Result, canonical_url, html_to_text};

/// One entry of a feed, reduced to what Lắng Nghe stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedItem {
    /// Canonical URL of the article.
    pub url: String,
    /// Title as plain text.
    pub title: String,
    /// Summary as plain text.
    pub summary: String,
    /// Full text as plain text when the feed carries it, else empty.
    pub body: String,
    /// Author names, comma-separated.
    pub author: Option<String>,
    /// Publication time (or update time when that is all the feed gives).
    pub published: Option<Timestamp>,
    /// When the entry was last updated, when the feed says so (Atom `updated`).
    pub updated: Option<Timestamp>,
}

/// Parses a feed. `source_url` resolves relative links and labels errors.
pub fn parse_feed(bytes: &[u8], source_url: &str) -> Result<Vec<FeedItem>> {
    let base = url::Url::parse(source_url).ok();
    let feed = feed_rs::parser::Builder::new()
        .base_uri(base.as_ref().map(url::Url::as_str))
        .build()
        .parse(bytes)
        .map_err(|e| Error::Parse { url: source_url.to_owned(), message: e.to_string() })?;
    let mut items = Vec::with_capacity(feed.entries.len());
    for entry in feed.entries {
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or_else(|| entry.links.first())
            .map(|l| l.href.clone())
            .or_else(|| entry.id.starts_with("http").then(|| entry.id.clone()));
        let Some(link) = link else {
            tracing::debug!(feed_url = source_url, entry_id = %entry.id, "Feed entry without a link skipped.");
            continue;
        };
        let Some(url) = canonical_url(&link, base.as_ref()) else {
            tracing::debug!(feed_url = source_url, link = %link, "Feed entry with an unusable link skipped.");
            continue;
        };
        let title = entry.title.map(|t| html_to_text(&t.content)).unwrap_or_default();
        let summary = entry.summary.map(|t| html_to_text(&t.content)).unwrap_or_default();
        let body = entry.content.and_then(|c| c.body).map(|b| html_to_text(&b)).unwrap_or_default();
        let authors: Vec<String> = entry
            .authors
            .into_iter()
            .map(|p| p.name.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect();
        items.push(FeedItem {
            url,
            title,
            summary,
            body,
            author: (!authors.is_empty()).then(|| authors.join(", ")),
            published: entry.published.or(entry.updated),
            updated: entry.updated.filter(|u| entry.published.is_some_and(|p| *u > p)),
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_items_become_text_with_canonical_urls() {
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>T</title><link>https://bao.vn/</link>
<item><title>S&#7889;t xu&#7845;t huy&#7871;t t&#259;ng</title>
<link>/suc-khoe/sxh.html?utm_source=rss&amp;id=7</link>
<description><![CDATA[<p>Hà Nội ghi nhận <b>1.200</b> ca.</p><script>alert(1)</script>]]></description>
<pubDate>Wed, 26 Jul 2017 19:55:20 +0700</pubDate><author>Lan Anh</author></item>
</channel></rss>"#.as_bytes();
        let items = parse_feed(rss, "https://bao.vn/rss/suc-khoe.rss").unwrap();
        assert_eq!(items.len(), 1);
        let it = &items[0];
        assert_eq!(it.title, "Sốt xuất huyết tăng");
        assert_eq!(it.url, "https://bao.vn/suc-khoe/sxh.html?id=7");
        assert_eq!(it.summary, "Hà Nội ghi nhận 1.200 ca.");
        assert_eq!(it.published.unwrap().to_rfc3339(), "2017-07-26T12:55:20+00:00");
    }

    #[test]
    fn atom_and_json_feed() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><id>urn:x</id><title type="html">Vắc xin &lt;b&gt;mới&lt;/b&gt;</title><link href="https://a.vn/v"/>
<updated>2024-02-14T14:18:00Z</updated><content type="html">&lt;p&gt;Nội dung&lt;/p&gt;</content></entry></feed>"#.as_bytes();
        let items = parse_feed(atom, "https://a.vn/atom.xml").unwrap();
        assert_eq!((items[0].title.as_str(), items[0].body.as_str()), ("Vắc xin mới", "Nội dung"));
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
            {"id":"1","url":"https://j.vn/1#top","title":"Tin","content_text":"Bệnh sởi","date_published":"2024-02-14T21:18:00+07:00"}]}"#.as_bytes();
        let items = parse_feed(json, "https://j.vn/feed.json").unwrap();
        assert_eq!((items[0].url.as_str(), items[0].body.as_str()), ("https://j.vn/1", "Bệnh sởi"));
    }

    #[test]
    fn garbage_is_a_parse_error_naming_the_url() {
        let e = parse_feed(b"<html>not a feed", "https://x.vn/f").unwrap_err().to_string();
        assert!(e.contains("https://x.vn/f"), "{e}");
    }
}
