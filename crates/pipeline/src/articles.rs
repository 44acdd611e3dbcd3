//! Article pages: the full text behind summary-only feed items, the articles a listing
//! page or a sitemap links to, and single pages given to `langnghe ingest`; and what a URL
//! given to `langnghe ingest` is (feed, sitemap or page), told from its first bytes.
//!
//! Pages are fetched through the same polite client as feeds (one request at a time per
//! host, robots.txt), only for items the store does not know yet, and at most
//! [`MAX_PAGES_PER_POLL`] per poll so one busy source cannot monopolise the fetchers. A
//! page that cannot be fetched or yields no text leaves the item as the feed gave it.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use feeds::FeedItem;
use model::{ArticleFetch, Source, SourceKind};

use crate::{Pipeline, Result};

/// Article pages fetched per poll of one source; the rest wait for the next poll.
pub(crate) const MAX_PAGES_PER_POLL: usize = 40;

/// A feed item's text shorter than this (in characters) is taken for a teaser.
const TEASER_CHARS: usize = 600;

/// A feed item on its way to the store, with the other URLs that lead to it.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) feed: FeedItem,
    /// The feed's link, when the page named another canonical URL.
    pub(crate) aliases: Vec<String>,
}

impl From<FeedItem> for Item {
    fn from(feed: FeedItem) -> Item {
        Item { feed, aliases: Vec::new() }
    }
}

/// Whether an item's page should be fetched for its text.
pub(crate) fn needs_page(source: &Source, item: &FeedItem) -> bool {
    if matches!(source.kind, SourceKind::Import | SourceKind::Page) {
        return false;
    }
    let listed = matches!(source.kind, SourceKind::HtmlListing | SourceKind::Sitemap);
    match source.fetch_articles {
        ArticleFetch::Never => false,
        ArticleFetch::Always => true,
        ArticleFetch::Auto => {
            listed
                || (item.body.trim().is_empty()
                    && item.summary.chars().filter(|c| !c.is_whitespace()).count() < TEASER_CHARS)
        }
    }
}

/// Fills an item from its extracted page: the page's text replaces a teaser, the feed's
/// own title, summary, author and date are kept when it has them.
pub(crate) fn merge(item: &mut Item, page: extract::Article, fetched_url: &str) {
    let feed = &mut item.feed;
    if feed.title.trim().is_empty()
        && let Some(title) = page.title
    {
        feed.title = title;
    }
    if let Some(lead) = page.lead
        && (feed.summary.trim().is_empty() || lead.len() > feed.summary.len())
    {
        feed.summary = lead;
    }
    feed.body = page.text;
    if feed.author.is_none() {
        feed.author = page.author;
    }
    if feed.published.is_none() {
        feed.published = page.published;
    }
    if let Some(modified) = page.modified
        && feed.published.is_some_and(|p| modified > p)
    {
        feed.updated = feed.updated.max(Some(modified));
    }
    // The page's canonical URL (or where the link redirected to) identifies the article;
    // the feed's link becomes an alias, so the next poll recognises it without a fetch.
    let canonical = page
        .canonical_url
        .as_deref()
        .and_then(|u| feeds::canonical_url(u, None))
        .or_else(|| feeds::canonical_url(fetched_url, None));
    if let Some(url) = canonical
        && url != feed.url
    {
        item.aliases.push(std::mem::replace(&mut feed.url, url));
    }
}

impl Pipeline {
    /// Fetches and extracts the pages of the items that need them and are not stored yet.
    pub(crate) async fn complete_from_pages(
        &self,
        source: &Source,
        items: &mut [Item],
    ) -> Result<()> {
        let wanted: Vec<usize> =
            (0..items.len()).filter(|&i| needs_page(source, &items[i].feed)).collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let urls: Vec<String> = wanted.iter().map(|&i| items[i].feed.url.clone()).collect();
        let known = self.store.known_documents(&urls).await?;
        let mut fetched = 0;
        let mut failed = 0;
        for i in wanted {
            if known.contains_key(&items[i].feed.url) {
                continue;
            }
            if fetched + failed >= MAX_PAGES_PER_POLL {
                tracing::debug!(feed_id = source.id, "Page budget of this poll spent.");
                break;
            }
            let url = items[i].feed.url.clone();
            match self.client.get_page(&url, crate::process::access(source)).await {
                Ok(response) => {
                    let html = decode_html(
                        &response.bytes,
                        response.content_type.as_deref(),
                        &response.url,
                    );
                    let page = self.extractor.article(&html, &response.url);
                    if page.text.trim().is_empty() {
                        failed += 1;
                        tracing::warn!(feed_id = source.id, page_url = %url, "No article text found on the page.");
                        continue;
                    }
                    merge(&mut items[i], page, &response.url);
                    fetched += 1;
                }
                Err(error) => {
                    failed += 1;
                    tracing::warn!(feed_id = source.id, page_url = %url, error = %error, "Article page not fetched.");
                }
            }
        }
        if fetched + failed > 0 {
            tracing::info!(
                feed_id = source.id,
                n_pages = fetched,
                n_failed = failed,
                "Article pages read."
            );
        }
        Ok(())
    }

    /// The items of a listing page: one per article link, empty until its page is read.
    pub(crate) fn listing_items(&self, html: &str, url: &str) -> Vec<Item> {
        let mut seen = HashSet::new();
        self.extractor
            .listing(html, url)
            .into_iter()
            .filter_map(|link| feeds::canonical_url(&link, None))
            .filter(|link| seen.insert(link.clone()))
            .map(|link| Item::from(empty_item(link)))
            .collect()
    }
}

/// What a document at a URL is, from its first bytes: a feed, a sitemap or a page.
pub fn sniff_kind(bytes: &[u8], content_type: Option<&str>) -> SourceKind {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('{') {
        return SourceKind::Feed;
    }
    if head.contains("<urlset") || head.contains("<sitemapindex") {
        return SourceKind::Sitemap;
    }
    if head.contains("<rss") || head.contains("<feed") || head.contains("<rdf:rdf") {
        return SourceKind::Feed;
    }
    let html_type = content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html"));
    if html_type || head.contains("<html") || head.contains("<!doctype html") {
        return SourceKind::Page;
    }
    SourceKind::Feed
}

/// A URL fetched to tell what it is, with the response: the poll that follows
/// ([`Pipeline::poll_probed`]) reads these bytes instead of fetching the URL again.
#[derive(Debug, Clone)]
pub struct Probe {
    /// What the document is.
    pub kind: SourceKind,
    /// The URL as requested (a source's URL; the response's may differ after redirects).
    pub(crate) url: String,
    pub(crate) response: fetch::Response,
    /// How long the fetch took, counted into the poll's fetch stage.
    pub(crate) took: Duration,
}

impl Pipeline {
    /// Fetches `url` to tell what it is (for `langnghe ingest` of a bare URL), keeping the
    /// response for [`Pipeline::poll_probed`].
    pub async fn probe(&self, url: &str, allow_private: bool) -> fetch::Result<Probe> {
        let access = if allow_private { fetch::Access::Private } else { fetch::Access::Public };
        let started = Instant::now();
        let response = self.client.get_page(url, access).await?;
        Ok(Probe {
            kind: sniff_kind(&response.bytes, response.content_type.as_deref()),
            url: url.to_owned(),
            response,
            took: started.elapsed(),
        })
    }
}

/// A feed item that only knows its URL.
pub(crate) fn empty_item(url: String) -> FeedItem {
    FeedItem { url, ..FeedItem::default() }
}

/// Page bytes to text, in whatever charset the page is in (header, `<meta>`, sniffing).
pub(crate) fn decode_html(bytes: &[u8], content_type: Option<&str>, url: &str) -> String {
    feeds::decode_for_url(bytes, content_type, url).text
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{FetchState, SourceOrigin, SourceTier};

    fn source(kind: SourceKind, fetch_articles: ArticleFetch) -> Source {
        Source {
            id: 1,
            name: "Báo".to_owned(),
            url: "https://bao.vn/rss".to_owned(),
            kind,
            tier: SourceTier::Press,
            interval_secs: 600,
            allow_private: false,
            enabled: true,
            origin: SourceOrigin::Config,
            fetch_articles,
            category: None,
            home_province: None,
            state: FetchState::default(),
        }
    }

    #[test]
    fn documents_are_told_apart_by_their_first_bytes() {
        let kind = |b: &str, t: Option<&str>| sniff_kind(b.as_bytes(), t);
        assert_eq!(kind("<?xml version=\"1.0\"?><rss version=\"2.0\">", None), SourceKind::Feed);
        assert_eq!(
            kind("\u{feff}<feed xmlns=\"http://www.w3.org/2005/Atom\">", None),
            SourceKind::Feed
        );
        assert_eq!(
            kind("{\"version\":\"https://jsonfeed.org/version/1.1\"}", None),
            SourceKind::Feed
        );
        assert_eq!(kind("<?xml version=\"1.0\"?><urlset xmlns=\"…\">", None), SourceKind::Sitemap);
        assert_eq!(kind("<!DOCTYPE html><html lang=\"vi\">", None), SourceKind::Page);
        assert_eq!(kind("<div>tin</div>", Some("text/html; charset=utf-8")), SourceKind::Page);
    }

    #[test]
    fn teasers_and_listed_links_need_their_page() {
        let mut item = empty_item("https://bao.vn/a.html".to_owned());
        item.summary = "Hà Nội ghi nhận thêm ca sốt xuất huyết.".to_owned();
        let feed = source(SourceKind::Feed, ArticleFetch::Auto);
        assert!(needs_page(&feed, &item));
        let mut full = item.clone();
        full.body = "Toàn văn bài viết.".repeat(50);
        assert!(!needs_page(&feed, &full), "the feed carries the text");
        assert!(needs_page(&source(SourceKind::Feed, ArticleFetch::Always), &full));
        assert!(!needs_page(&source(SourceKind::Feed, ArticleFetch::Never), &item));
        assert!(needs_page(&source(SourceKind::HtmlListing, ArticleFetch::Auto), &full));
        assert!(!needs_page(&source(SourceKind::Import, ArticleFetch::Always), &item));
    }

    #[test]
    fn the_page_fills_the_teaser_and_its_canonical_url_wins() {
        let mut item = Item::from(empty_item("https://bao.vn/a.html?utm_source=rss".to_owned()));
        item.feed.title = "Tiêu đề của feed".to_owned();
        item.feed.summary = "Tóm tắt ngắn".to_owned();
        let page = extract::Article {
            title: Some("Tiêu đề của trang".to_owned()),
            lead: Some("Sapo đầy đủ của bài viết trên trang".to_owned()),
            text: "Đoạn một.\n\nĐoạn hai.".to_owned(),
            author: Some("Lan Anh".to_owned()),
            canonical_url: Some("https://bao.vn/suc-khoe/a-123.html".to_owned()),
            ..extract::Article::default()
        };
        merge(&mut item, page, "https://bao.vn/a.html");
        assert_eq!(item.feed.title, "Tiêu đề của feed");
        assert_eq!(item.feed.summary, "Sapo đầy đủ của bài viết trên trang");
        assert_eq!(item.feed.body, "Đoạn một.\n\nĐoạn hai.");
        assert_eq!(item.feed.author.as_deref(), Some("Lan Anh"));
        assert_eq!(item.feed.url, "https://bao.vn/suc-khoe/a-123.html");
        assert_eq!(item.aliases, ["https://bao.vn/a.html?utm_source=rss"]);
    }
}
