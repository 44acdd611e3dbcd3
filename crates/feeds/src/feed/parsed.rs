//! What a feed parser found, before it is reduced to plain text: the parts of a feed that
//! `read_model` uses, filled either from feed-rs's model or by the direct reader.

use std::borrow::Cow;

use model::Timestamp;

/// The dialects `parse_feed` treats differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// RSS 1.0 (RDF), whose link-less items feed-rs drops.
    Rss1,
    /// Atom, whose entry ids are IRIs.
    Atom,
    /// RSS 0.9x and 2.0, JSON Feed.
    Other,
}

/// A feed as parsed.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) dialect: Dialect,
    pub(crate) title: Option<Text>,
    pub(crate) links: Vec<Link>,
    pub(crate) entries: Vec<Entry>,
}

/// A text construct and the media type (essence) it declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text {
    pub(crate) content: String,
    pub(crate) media_type: Cow<'static, str>,
}

pub(crate) const TEXT_PLAIN: &str = "text/plain";
pub(crate) const TEXT_HTML: &str = "text/html";

/// A link: where it points, resolved as the parser resolves it, and its relation.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub(crate) href: Href,
    pub(crate) rel: Option<String>,
}

/// A link's target: the URL the parser made of it, so that it is not parsed again, or the
/// text it kept.
#[derive(Debug, Clone)]
pub(crate) enum Href {
    Url(url::Url),
    Text(String),
}

impl Href {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Href::Url(url) => url.as_str(),
            Href::Text(text) => text,
        }
    }
}

/// Links are the same when they point at the same text, however it is held.
impl PartialEq for Link {
    fn eq(&self, other: &Link) -> bool {
        self.href.as_str() == other.href.as_str() && self.rel == other.rel
    }
}

impl Eq for Link {}

/// An author as the parser names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Person {
    pub(crate) name: String,
    pub(crate) email: Option<String>,
}

/// An entry's full content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Content {
    pub(crate) body: Option<String>,
    pub(crate) media_type: Cow<'static, str>,
}

/// One entry as parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Empty when the entry has none.
    pub(crate) id: String,
    pub(crate) title: Option<Text>,
    pub(crate) summary: Option<Text>,
    pub(crate) content: Option<Content>,
    /// One element per media object attached to the entry: its description, if any.
    pub(crate) media: Vec<Option<Text>>,
    pub(crate) authors: Vec<Person>,
    pub(crate) links: Vec<Link>,
    pub(crate) published: Option<Timestamp>,
    pub(crate) updated: Option<Timestamp>,
}

impl From<feed_rs::model::Feed> for Parsed {
    fn from(feed: feed_rs::model::Feed) -> Parsed {
        let dialect = match feed.feed_type {
            feed_rs::model::FeedType::RSS1 => Dialect::Rss1,
            feed_rs::model::FeedType::Atom => Dialect::Atom,
            _ => Dialect::Other,
        };
        Parsed {
            dialect,
            title: feed.title.map(Text::from),
            links: feed.links.into_iter().map(Link::from).collect(),
            entries: feed.entries.into_iter().map(Entry::from).collect(),
        }
    }
}

impl From<feed_rs::model::Entry> for Entry {
    fn from(e: feed_rs::model::Entry) -> Entry {
        Entry {
            id: e.id,
            title: e.title.map(Text::from),
            summary: e.summary.map(Text::from),
            content: e.content.map(|c| Content {
                body: c.body,
                media_type: essence(c.content_type.essence().to_string()),
            }),
            media: e.media.into_iter().map(|m| m.description.map(Text::from)).collect(),
            authors: e
                .authors
                .into_iter()
                .map(|p| Person { name: p.name, email: p.email })
                .collect(),
            links: e.links.into_iter().map(Link::from).collect(),
            published: e.published,
            updated: e.updated,
        }
    }
}

impl From<feed_rs::model::Text> for Text {
    fn from(t: feed_rs::model::Text) -> Text {
        Text { media_type: essence(t.content_type.essence().to_string()), content: t.content }
    }
}

impl From<feed_rs::model::Link> for Link {
    fn from(l: feed_rs::model::Link) -> Link {
        Link { href: Href::Text(l.href), rel: l.rel }
    }
}

/// A media type's type and subtype (its essence), shared when it is a common one.
fn essence(essence: String) -> Cow<'static, str> {
    match essence.as_str() {
        TEXT_PLAIN => Cow::Borrowed(TEXT_PLAIN),
        TEXT_HTML => Cow::Borrowed(TEXT_HTML),
        _ => Cow::Owned(essence),
    }
}
