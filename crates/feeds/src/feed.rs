//! Feed documents (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1) to plain-text
//! items: decoded, parsed strictly, repaired and re-parsed when broken, scanned leniently
//! as a last resort. The strict parse is feed-rs's, done by the direct reader for the
//! RSS and Atom shapes most feeds have and by feed-rs itself for the rest.

use model::Timestamp;

use crate::decode::{EncodingSource, decode_for_url};
use crate::scan::{Field, Scanned, inner_html, scan, well_formed};
use crate::{Error, Result, canonical_url, html_to_text, repair::repair};
use parsed::{Dialect, Parsed, TEXT_PLAIN};

mod direct;
mod parsed;

/// A feed, reduced to what Lắng Nghe stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The channel title as plain text.
    pub title: String,
    /// The channel's own web page, canonical, when it names one.
    pub link: Option<String>,
    /// The entries with a usable link, in document order.
    pub items: Vec<FeedItem>,
    /// The entries without one (`url` empty), in document order: they cannot be stored,
    /// and are kept so that a feed yielding nothing can say why.
    pub unlinked: Vec<FeedItem>,
    /// The document was not well-formed (or not in the encoding it declared) and was read
    /// by repairing it; feedparser calls this `bozo`.
    pub recovered: bool,
    /// What was wrong, when `recovered`.
    pub problem: Option<String>,
    /// The character encoding the bytes were decoded from (see [`crate::Decoded`]).
    pub encoding: &'static str,
}

/// One entry of a feed, reduced to what Lắng Nghe stores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedItem {
    /// Canonical URL of the article.
    pub url: String,
    /// The entry's identifier (`guid`, Atom `id`), or the URL when it has none.
    pub id: String,
    /// Title as plain text.
    pub title: String,
    /// Summary as plain text.
    pub summary: String,
    /// Full text as plain text when the feed carries it, else empty.
    pub body: String,
    /// Author names, comma-separated.
    pub author: Option<String>,
    /// The outlet that published the article when the feed aggregates others (the
    /// `<source>` of Google News items), as plain text.
    pub outlet: Option<String>,
    /// Publication time (or update time when that is all the feed gives).
    pub published: Option<Timestamp>,
    /// Last update time, when given.
    pub updated: Option<Timestamp>,
}

/// Parses a feed from the bytes a server sent. `content_type` is the HTTP `Content-Type`
/// (it may carry the charset); `url` is where the feed came from: it resolves relative
/// links and labels errors.
pub fn parse_feed(bytes: &[u8], content_type: Option<&str>, url: &str) -> Result<Feed> {
    let decoded = decode_for_url(bytes, content_type, url);
    let mut problems: Vec<String> = Vec::new();
    if decoded.malformed {
        problems.push(format!("bytes that are not {} were replaced", decoded.encoding));
    }
    if decoded.mismatch {
        problems.push(format!("the declared charset is wrong; read as {}", decoded.encoding));
    } else if decoded.source == EncodingSource::Sniffed && !decoded.encoding.starts_with("UTF") {
        problems.push(format!("no charset declared; guessed {}", decoded.encoding));
    }
    let text = prepare(decoded.text);
    let base = url::Url::parse(url).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
    let ctx = Context { url, base };

    let mut feed = if text.trim_start().starts_with('{') {
        let parsed = strict(&text, &ctx).map_err(|e| not_a_feed(url, &e))?;
        ctx.read_model(parsed.into(), &text)
    } else if let Some(parsed) = direct::read(&text, ctx.base.as_ref()) {
        ctx.read_model(parsed, &text)
    } else {
        match strict(&text, &ctx) {
            // feed-rs drops RSS 1.0 items without a <link>; read those by element names.
            Ok(parsed)
                if parsed.feed_type == feed_rs::model::FeedType::RSS1
                    && item_tags(&text) > parsed.entries.len() =>
            {
                ctx.read_scan(&scan(&text))
            }
            Ok(parsed) => ctx.read_model(parsed.into(), &text),
            Err(first) if well_formed(&text) => {
                // Well-formed but not what feed-rs expects (an RSS without <channel>, an
                // unknown dialect): nothing to repair, read it by element names.
                let scanned = scan(&text);
                if !is_feed_root(&scanned.root) {
                    return Err(not_a_feed(url, &first));
                }
                ctx.read_scan(&scanned)
            }
            Err(first) => {
                let repaired = prepare(repair(&text));
                problems.push(format!("not well-formed ({first})"));
                match strict(&repaired, &ctx) {
                    Ok(parsed) => ctx.read_model(parsed.into(), &repaired),
                    Err(_) => {
                        let scanned = scan(&repaired);
                        if !is_feed_root(&scanned.root) {
                            return Err(not_a_feed(url, &first));
                        }
                        ctx.read_scan(&scanned)
                    }
                }
            }
        }
    };
    feed.encoding = decoded.encoding;
    feed.recovered = !problems.is_empty();
    feed.problem = (!problems.is_empty()).then(|| problems.join("; "));
    Ok(feed)
}

/// Whether `s` starts with a URI scheme (`tag:`, `urn:`, `https:`).
fn has_scheme(s: &str) -> bool {
    let s = s.trim();
    s.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// How many `<item>` start tags the text has (not `<items>`).
fn item_tags(text: &str) -> usize {
    text.match_indices("<item")
        .filter(|(i, _)| text[i + 5..].starts_with([' ', '>', '\n', '\t', '\r', '/']))
        .count()
}

fn is_feed_root(name: &str) -> bool {
    matches!(name, "rss" | "rdf" | "feed" | "channel")
}

fn not_a_feed(url: &str, e: &feed_rs::parser::ParseFeedError) -> Error {
    Error::NotAFeed { url: url.to_owned(), message: e.to_string() }
}

/// Readies decoded text for the XML parser: no byte-order mark, no leading whitespace,
/// no XML declaration (the text is UTF-8 now, whatever it says), and an `<rss>` root
/// whose `version` feed-rs dispatches on.
fn prepare(mut text: String) -> String {
    let lead =
        text.len() - text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}').len();
    text.drain(..lead);
    if text.starts_with("<?xml")
        && let Some(end) = text.find("?>")
    {
        text.drain(..end + 2);
    }
    // Atom 0.3 and RSS 0.90 are read by the Atom 1.0 and RSS 1.0 parsers, which accept
    // everything they have, once the elements are in the namespaces those expect.
    for (old, new) in [
        ("http://purl.org/atom/ns#", "http://www.w3.org/2005/Atom"),
        ("http://my.netscape.com/rdf/simple/0.9/", "http://purl.org/rss/1.0/"),
    ] {
        if text.contains(old) {
            text = text.replace(old, new);
        }
    }
    if let Some(expanded) = expand_internal_entities(&text) {
        text = expanded;
    }
    if let Some((start, end)) = rss_root(&text) {
        let tag = &text[start..end];
        let ok = ["\"2.0\"", "'2.0'", "\"0.91\"", "'0.91'", "\"0.92\"", "'0.92'"]
            .iter()
            .any(|v| tag.contains(&format!("version={v}")));
        if !ok {
            // RSS 0.90, 0.93, 0.94, 2.0.1 and version-less roots are all read as 2.0,
            // whose parser accepts everything those dialects have.
            let without: String = remove_attribute(tag, "version");
            let fixed = format!("<rss version=\"2.0\"{}", &without[4..]);
            text.replace_range(start..end, &fixed);
        }
    }
    text
}

/// Entities the document declares in its own DOCTYPE (`<!ENTITY id "tag:…">`), replaced
/// where they are used. One pass, no recursion, and a cap on growth, so a "billion laughs"
/// document stays small.
fn expand_internal_entities(text: &str) -> Option<String> {
    let mut n = text.len().min(4096);
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    let head = &text[..n];
    let doctype = head.find("<!DOCTYPE")?;
    let open = doctype + head[doctype..].find('[')?;
    let close = open + text[open..].find("]>")?;
    let mut entities: Vec<(String, String)> = Vec::new();
    let mut rest = &text[open..close];
    while let Some(i) = rest.find("<!ENTITY") {
        rest = &rest[i + 8..];
        let decl = rest.trim_start();
        if decl.starts_with('%') {
            continue;
        }
        let name: String = decl.chars().take_while(|c| !c.is_whitespace()).collect();
        let after = decl[name.len()..].trim_start();
        let Some(q @ ('"' | '\'')) = after.chars().next() else { continue };
        let Some(end) = after[1..].find(q) else { break };
        entities.push((format!("&{name};"), after[1..1 + end].to_owned()));
    }
    if entities.is_empty() {
        return None;
    }
    let body = &text[close + 2..];
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..close + 2]);
    let mut rest = body;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match entities.iter().find(|(r, _)| rest.starts_with(r.as_str())) {
            Some((r, v)) if out.len() < text.len() * 4 => {
                out.push_str(v);
                rest = &rest[r.len()..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The byte range of the `<rss …>` start tag when it is the document element.
fn rss_root(text: &str) -> Option<(usize, usize)> {
    let mut rest = 0;
    // Skip comments, doctypes and processing instructions before the root.
    loop {
        let at = rest + text[rest..].find('<')?;
        let tail = &text[at..];
        if let Some(comment) = tail.strip_prefix("<!--") {
            rest = at + 4 + comment.find("-->")? + 3;
        } else if tail.starts_with("<!") || tail.starts_with("<?") {
            rest = at + tail.find('>')? + 1;
        } else {
            let is_rss = tail.starts_with("<rss")
                && tail[4..].starts_with(|c: char| c.is_whitespace() || c == '>');
            return is_rss
                .then(|| (at, at + tail.find('>').map_or(tail.len(), |e| e)))
                .filter(|&(_, e)| e > at);
        }
    }
}

fn remove_attribute(tag: &str, name: &str) -> String {
    let Some(i) = tag.find(&format!("{name}=")) else { return tag.to_owned() };
    let value = &tag[i + name.len() + 1..];
    let len = match value.chars().next() {
        Some(q @ ('"' | '\'')) => value[1..].find(q).map_or(value.len(), |e| e + 2),
        _ => value.find(char::is_whitespace).unwrap_or(value.len()),
    };
    format!("{}{}", &tag[..i], &value[len..])
}

fn strict(
    text: &str,
    ctx: &Context<'_>,
) -> Result<feed_rs::model::Feed, feed_rs::parser::ParseFeedError> {
    feed_rs::parser::Builder::new()
        .base_uri(ctx.base.as_ref().map(url::Url::as_str))
        .timestamp_parser(model::parse_datetime)
        // An entry without an id gets its URL, not a random UUID.
        .id_generator(|_, _, _| String::new())
        .build()
        .parse(text.as_bytes())
}

struct Context<'a> {
    url: &'a str,
    /// The feed URL, when it is one links can be resolved against.
    base: Option<url::Url>,
}

impl Context<'_> {
    /// The base for links still relative after xml:base and the feed URL: the channel's
    /// own link (local files and feeds read from disk).
    fn base_with(&self, channel: Option<&str>) -> Option<url::Url> {
        self.base.clone().or_else(|| {
            channel
                .and_then(|c| url::Url::parse(c).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
        })
    }

    fn read_model(&self, feed: Parsed, text: &str) -> Feed {
        let channel_link = pick_link(&feed.links);
        let base = self.base_with(channel_link.as_deref());
        let link = channel_link.as_deref().and_then(|l| canonical_url(l, base.as_ref()));
        // feed-rs has no model for RSS <source>, Atom 0.3 dates or dcterms; the scanner
        // reads them when the document has them.
        let supplement = text.contains("<source")
            || feed.title.is_none()
            || feed.entries.iter().any(|e| {
                (e.published.is_none() && e.updated.is_none())
                    || e.title.is_none()
                    || (e.summary.is_none() && e.content.is_none() && e.media.is_empty())
            });
        let scanned = if supplement { scan(text) } else { Scanned::default() };
        let atom = feed.dialect == Dialect::Atom;
        let mut items = Vec::with_capacity(feed.entries.len());
        let mut unlinked = Vec::new();
        for (n, mut entry) in feed.entries.into_iter().enumerate() {
            // The canonical URL, or what the link said when it gives none.
            let url: Result<String, String> = match pick(&entry.links)
                .map(|i| entry.links.swap_remove(i).href)
            {
                Some(parsed::Href::Url(parsed)) => {
                    crate::urls::canonical(parsed).map_err(String::from)
                }
                Some(parsed::Href::Text(href)) => canonical_url(&href, base.as_ref()).ok_or(href),
                None if entry.id.starts_with("http") => {
                    canonical_url(&entry.id, base.as_ref()).ok_or_else(|| entry.id.clone())
                }
                None => Err(String::new()),
            };
            if let Err(href) = &url {
                tracing::debug!(feed_url = self.url, entry_id = %entry.id, link = href.trim(), "Feed entry without a usable link set aside.");
            }
            let url = url.unwrap_or_default();
            let fields: &[Field] = scanned.items.get(n).map_or(&[], Vec::as_slice);
            let mut summary = entry.summary.as_ref().map(text_of).unwrap_or_default();
            if summary.is_empty() {
                // YouTube and other media feeds describe the entry in media:description.
                summary = entry
                    .media
                    .iter()
                    .find_map(|m| m.as_ref().map(text_of).filter(|s| !s.is_empty()))
                    .unwrap_or_default();
            }
            if summary.is_empty() {
                summary = field_html(fields, &["description", "summary", "abstract"]);
            }
            let body = entry
                .content
                .as_ref()
                .and_then(|c| c.body.as_deref().map(|b| typed_text(b, &c.media_type)))
                .unwrap_or_default();
            let body = if body.is_empty() {
                field_html(fields, &["encoded", "fullitem", "body"])
            } else {
                body
            };
            let mut authors: Vec<String> =
                entry.authors.iter().map(person).filter(|n| !n.is_empty()).collect();
            if authors.is_empty() {
                authors.extend(
                    fields
                        .iter()
                        .filter(|f| matches!(f.name.as_str(), "creator" | "author"))
                        .map(field_author),
                );
                authors.retain(|a| !a.is_empty());
            }
            let id = if entry.id.is_empty() {
                url.clone()
            } else if atom
                && !has_scheme(&entry.id)
                && entry.id.trim_start().starts_with(['/', '.'])
            {
                // An Atom id is an IRI; one written as a path is resolved against the base.
                base.as_ref()
                    .and_then(|b| b.join(entry.id.trim()).ok())
                    .map_or_else(|| entry.id.clone(), |u| u.to_string())
            } else {
                entry.id.clone()
            };
            let outlet = outlet(fields);
            let mut title = entry.title.as_ref().map(text_of).unwrap_or_default();
            if title.is_empty() {
                title = fields
                    .iter()
                    .find(|f| f.name == "title")
                    .map(|f| plain_or_html(&inner_html(&f.inner)))
                    .unwrap_or_default();
            }
            let title = without_outlet(title, outlet.as_deref());
            let list = if url.is_empty() { &mut unlinked } else { &mut items };
            list.push(FeedItem {
                id,
                title,
                summary,
                body,
                author: (!authors.is_empty()).then(|| authors.join(", ")),
                outlet,
                published: entry
                    .published
                    .or(entry.updated)
                    .or_else(|| field_date(fields, PUBLISHED)),
                updated: entry.updated.or_else(|| field_date(fields, UPDATED)),
                url,
            });
        }
        let title = feed.title.as_ref().map(text_of).unwrap_or_default();
        let title = if title.is_empty() {
            scanned
                .channel
                .iter()
                .find(|f| f.name == "title")
                .map(|f| plain_or_html(&inner_html(&f.inner)))
                .unwrap_or_default()
        } else {
            title
        };
        Feed { title, link, items, unlinked, recovered: false, problem: None, encoding: "UTF-8" }
    }

    fn read_scan(&self, scanned: &Scanned) -> Feed {
        let channel_link = scanned.channel.iter().find(|f| f.name == "link").and_then(field_link);
        let base = self.base_with(channel_link.as_deref());
        let mut items = Vec::new();
        let mut unlinked = Vec::new();
        for fields in &scanned.items {
            let get = |names: &[&str]| fields.iter().find(|f| names.contains(&f.name.as_str()));
            let text = |names: &[&str]| {
                get(names).map(|f| html_to_text(&inner_html(&f.inner))).unwrap_or_default()
            };
            let href =
                fields.iter().filter(|f| f.name == "link").find_map(field_link).or_else(|| {
                    get(&["guid", "id"])
                        .map(|f| plain_text(&inner_html(&f.inner)))
                        .filter(|g| g.starts_with("http"))
                });
            let url = href.and_then(|h| canonical_url(&h, base.as_ref())).unwrap_or_default();
            let author = get(&["author", "creator"]).map(field_author);
            let id = get(&["guid", "id"])
                .map(|f| plain_text(&inner_html(&f.inner)))
                .filter(|s| !s.is_empty());
            let outlet = outlet(fields);
            let title =
                get(&["title"]).map(|f| plain_or_html(&inner_html(&f.inner))).unwrap_or_default();
            let title = without_outlet(title, outlet.as_deref());
            let published = field_date(fields, PUBLISHED);
            let updated = field_date(fields, UPDATED);
            let list = if url.is_empty() { &mut unlinked } else { &mut items };
            list.push(FeedItem {
                id: id.unwrap_or_else(|| url.clone()),
                title,
                summary: text(&["description", "summary", "abstract"]),
                body: fields
                    .iter()
                    .find(|f| {
                        matches!(f.name.as_str(), "encoded" | "fullitem" | "body")
                            || (f.name == "content" && f.prefix.is_empty())
                    })
                    .map(|f| html_to_text(&inner_html(&f.inner)))
                    .unwrap_or_default(),
                author: author.filter(|a| !a.is_empty()),
                outlet,
                published: published.or(updated),
                updated,
                url,
            });
        }
        let title = scanned.channel.iter().find(|f| f.name == "title");
        Feed {
            title: title.map(|f| plain_or_html(&inner_html(&f.inner))).unwrap_or_default(),
            link: channel_link.and_then(|l| canonical_url(&l, base.as_ref())),
            items,
            unlinked,
            recovered: false,
            problem: None,
            encoding: "UTF-8",
        }
    }
}

/// Element names (local, lowercased) that date an entry's publication, in preference order:
/// RSS, Atom 1.0, Atom 0.3, Dublin Core and DC terms.
const PUBLISHED: &[&str] = &["pubdate", "published", "issued", "date", "created"];
/// And its last update.
const UPDATED: &[&str] = &["updated", "modified"];

fn field_date(fields: &[Field], names: &[&str]) -> Option<Timestamp> {
    names.iter().find_map(|name| {
        fields
            .iter()
            .filter(|f| f.name == *name)
            .find_map(|f| model::parse_datetime(&plain_text(&inner_html(&f.inner))))
    })
}

/// Aggregators append the outlet to the headline (`… - VnExpress`); with the outlet kept
/// apart, the headline alone matches the outlet's own feed.
fn without_outlet(title: String, outlet: Option<&str>) -> String {
    match outlet.and_then(|o| title.strip_suffix(o)).and_then(|t| t.strip_suffix(" - ")) {
        Some(t) if !t.trim().is_empty() => t.trim_end().to_owned(),
        _ => title,
    }
}

/// The outlet an aggregated entry came from: RSS `<source>` text, or the `<title>` of an
/// Atom `<source>`.
fn outlet(fields: &[Field]) -> Option<String> {
    let source = fields.iter().find(|f| f.name == "source" && f.prefix.is_empty())?;
    let inner = inner_html(&source.inner);
    let text = match element_text(&source.inner, "title") {
        Some(title) => plain_or_html(&inner_html(title)),
        None => plain_text(&inner),
    };
    (!text.is_empty()).then_some(text)
}

/// The raw content of the first `<name>` child in `xml`.
fn element_text<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = xml.find(&format!("<{name}"))?;
    let start = open + xml[open..].find('>')? + 1;
    let end = start + xml[start..].find(&format!("</{name}"))?;
    Some(&xml[start..end])
}

/// The first of `names` that has text, as text.
fn field_html(fields: &[Field], names: &[&str]) -> String {
    names
        .iter()
        .find_map(|n| {
            fields
                .iter()
                .find(|f| f.name == *n)
                .map(|f| html_to_text(&inner_html(&f.inner)))
                .filter(|t| !t.is_empty())
        })
        .unwrap_or_default()
}

/// An author element's name: Atom's `<name>` child, or RSS's `email (Name)` text.
fn field_author(f: &Field) -> String {
    match element_text(&f.inner, "name") {
        Some(name) => plain_text(&inner_html(name)),
        None => contact_name(&plain_text(&inner_html(&f.inner))),
    }
}

/// feed-rs names an RSS `<author>` "author" and keeps its text as the email.
fn person(p: &parsed::Person) -> String {
    match (&p.email, p.name.as_str()) {
        (Some(email), "author" | "managingEditor" | "webMaster") => {
            contact_name(&plain_text(email))
        }
        _ => plain_text(&p.name),
    }
}

/// `me@example.com (Example editor)` and `Example editor <me@example.com>` to the name; a
/// bare address or name stays as it is.
fn contact_name(s: &str) -> String {
    let s = s.trim();
    if let (Some(open), true) = (s.find('('), s.ends_with(')')) {
        let name = s[open + 1..s.len() - 1].trim();
        if !name.is_empty() && s[..open].contains('@') {
            return name.to_owned();
        }
    }
    if let (Some(open), true) = (s.find('('), s.ends_with(')'))
        && s[open..].contains('@')
    {
        let name = s[..open].trim();
        if !name.is_empty() {
            return name.to_owned();
        }
    }
    if let (Some(open), true) = (s.find('<'), s.ends_with('>')) {
        let name = s[..open].trim().trim_matches('"');
        if !name.is_empty() {
            return name.to_owned();
        }
    }
    s.to_owned()
}

/// An RSS `<link>` holds the URL as text; an Atom one in `href` (alternate or unmarked).
fn field_link(f: &Field) -> Option<String> {
    if let Some(href) = f.attr("href") {
        let alternate = f.attr("rel").is_none_or(|r| r.eq_ignore_ascii_case("alternate"));
        return alternate.then(|| href.trim().to_owned());
    }
    let text = plain_text(&inner_html(&f.inner));
    (!text.is_empty()).then_some(text)
}

fn pick_link(links: &[parsed::Link]) -> Option<String> {
    pick(links).map(|i| links[i].href.as_str().trim().to_owned())
}

/// Which link is the entry's: the alternate (or unmarked) one, else the first.
fn pick(links: &[parsed::Link]) -> Option<usize> {
    links
        .iter()
        .position(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| (!links.is_empty()).then_some(0))
}

fn text_of(t: &parsed::Text) -> String {
    typed_text(&t.content, &t.media_type)
}

/// Atom text constructs of a binary media type are base64 (RFC 4287 §4.1.3.3).
fn binary_text(content: &str, media_type: &str) -> Option<String> {
    use base64::Engine;
    if media_type.starts_with("text/") || media_type.contains("xml") || media_type.contains("html")
    {
        return None;
    }
    let compact: String = content.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).ok()?;
    String::from_utf8(bytes).ok()
}
/// Text content by its declared type: markup is reduced to text, plain text is only
/// entity-decoded (feeds escape twice often enough) unless it plainly holds HTML.
fn typed_text(content: &str, media_type: &str) -> String {
    if media_type == TEXT_PLAIN {
        return plain_or_html(content);
    }
    match binary_text(content, media_type) {
        Some(decoded) => html_to_text(&decoded),
        None => html_to_text(content),
    }
}

/// Text declared plain that may still carry HTML, as RSS titles often do; the test is
/// feedparser's: a known element's tag or an entity.
fn plain_or_html(s: &str) -> String {
    if looks_like_html(s) { html_to_text(s) } else { plain_text(s) }
}

fn looks_like_html(s: &str) -> bool {
    const TAGS: [&str; 18] = [
        "<b>", "<i>", "<p>", "<p ", "<br", "<a ", "<em>", "<strong>", "<span", "<div", "<img",
        "<font", "<u>", "</b>", "</i>", "</p>", "</a>", "<script",
    ];
    s.match_indices('<').any(|(i, _)| {
        let tail = &s.as_bytes()[i..];
        TAGS.iter()
            .any(|t| tail.len() >= t.len() && tail[..t.len()].eq_ignore_ascii_case(t.as_bytes()))
    })
}

/// Entities decoded (twice, for feeds that escape twice), whitespace collapsed.
fn plain_text(s: &str) -> String {
    crate::html::squeeze(&crate::html::decode_entities(s), false)
}

#[cfg(test)]
mod tests;
