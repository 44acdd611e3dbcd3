//! Rendering outlets as feed documents and article pages.

use chrono::{DateTime, Duration, Utc};
use html_escape::encode_text as esc;

use crate::{Item, Outlet};

/// A file the demo server serves.
#[derive(Debug, Clone)]
pub struct FeedFile {
    /// Request path, such as `/suc-khoe-cong-dong/rss.xml`.
    pub path: String,
    /// `Content-Type` header.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
    /// Outlet name, for feeds (empty for article pages).
    pub outlet: String,
    /// Outlet tier, for feeds.
    pub tier: String,
}

fn paragraphs(body: &str) -> String {
    body.split("\n\n").map(|p| format!("<p>{}</p>", esc(p))).collect()
}

fn item_url(base: &str, o: &Outlet, it: &Item) -> String {
    format!("{base}/{}/{}.html", o.slug, it.slug)
}

/// When `item` was published, for feeds rendered at `now`: its hours before `now`, and a
/// minute per character of its slug so items of the same hour do not tie.
pub fn published_at(item: &Item, now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::hours(item.hours_ago) - Duration::minutes(item.slug.len() as i64)
}

/// Renders every outlet's feed and every article page, with times relative to `now`.
/// `base` is the server's origin, such as `http://127.0.0.1:8081`.
pub fn render(outlets: &[Outlet], base: &str, now: DateTime<Utc>) -> Vec<FeedFile> {
    let mut files = Vec::new();
    for o in outlets {
        let time = |it: &Item| published_at(it, now);
        let (path, content_type, body) = match o.format.as_str() {
            "atom" => (
                format!("/{}/atom.xml", o.slug),
                "application/atom+xml; charset=utf-8",
                atom(o, base, now, &time),
            ),
            "json" => (
                format!("/{}/feed.json", o.slug),
                "application/feed+json; charset=utf-8",
                json(o, base, &time),
            ),
            _ => (
                format!("/{}/rss.xml", o.slug),
                "application/rss+xml; charset=utf-8",
                rss(o, base, now, &time),
            ),
        };
        files.push(FeedFile {
            path,
            content_type,
            body,
            outlet: o.name.clone(),
            tier: o.tier.clone(),
        });
        for it in &o.items {
            let page = format!(
                "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{}</title></head><body><article><h1>{}</h1><p><b>{}</b></p>{}<p>{}</p></article></body></html>",
                esc(&it.title),
                esc(&it.title),
                esc(&it.summary),
                paragraphs(&it.body),
                esc(&it.author)
            );
            files.push(FeedFile {
                path: format!("/{}/{}.html", o.slug, it.slug),
                content_type: "text/html; charset=utf-8",
                body: page,
                outlet: String::new(),
                tier: String::new(),
            });
        }
    }
    files
}

fn rss(
    o: &Outlet,
    base: &str,
    now: DateTime<Utc>,
    time: &dyn Fn(&Item) -> DateTime<Utc>,
) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>{}</title><link>{base}/{}/</link><description>{}</description><language>vi</language><lastBuildDate>{}</lastBuildDate>\n",
        esc(&o.name),
        o.slug,
        esc(&o.name),
        now.to_rfc2822()
    );
    for it in &o.items {
        let url = item_url(base, o, it);
        s.push_str(&format!(
            "<item><title>{}</title><link>{url}?utm_source=rss&amp;utm_medium=feed</link><guid isPermaLink=\"true\">{url}</guid><dc:creator>{}</dc:creator><pubDate>{}</pubDate><description>{}</description><content:encoded><![CDATA[{}]]></content:encoded></item>\n",
            esc(&it.title),
            esc(&it.author),
            time(it).to_rfc2822(),
            esc(&it.summary),
            paragraphs(&it.body)
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

fn atom(
    o: &Outlet,
    base: &str,
    now: DateTime<Utc>,
    time: &dyn Fn(&Item) -> DateTime<Utc>,
) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\"><title>{}</title><id>{base}/{}/</id><updated>{}</updated><link href=\"{base}/{}/\"/>\n",
        esc(&o.name),
        o.slug,
        now.to_rfc3339(),
        o.slug
    );
    for it in &o.items {
        let url = item_url(base, o, it);
        let t = time(it).to_rfc3339();
        s.push_str(&format!(
            "<entry><title type=\"html\">{}</title><link rel=\"alternate\" href=\"{url}\"/><id>{url}</id><published>{t}</published><updated>{t}</updated><author><name>{}</name></author><summary>{}</summary><content type=\"html\">{}</content></entry>\n",
            esc(&esc(&it.title)),
            esc(&it.author),
            esc(&it.summary),
            esc(&paragraphs(&it.body))
        ));
    }
    s.push_str("</feed>\n");
    s
}

fn json(o: &Outlet, base: &str, time: &dyn Fn(&Item) -> DateTime<Utc>) -> String {
    let items: Vec<serde_json::Value> = o
        .items
        .iter()
        .map(|it| {
            let url = item_url(base, o, it);
            serde_json::json!({
                "id": url,
                "url": url,
                "title": html_escape::decode_html_entities(&it.title),
                "summary": it.summary,
                "content_html": paragraphs(&it.body),
                "date_published": time(it).to_rfc3339(),
                "authors": [{"name": it.author}],
            })
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": o.name,
        "home_page_url": format!("{base}/{}/", o.slug),
        "feed_url": format!("{base}/{}/feed.json", o.slug),
        "language": "vi",
        "items": items,
    })
    .to_string()
}
