//! Reading RSS 0.91/0.92/2.0 and Atom 1.0 documents straight from quick-xml's borrowed
//! events, into what feed-rs would have made of them, without its owned event stream.
//!
//! Only the shapes most feeds have are read: namespaces declared on the root, no
//! `xml:base`, no DOCTYPE, no Media RSS or iTunes elements, Atom text of the three plain
//! types. Anything else makes the reader give up (`None`) so that feed-rs reads the
//! document, which keeps the two readers' results the same by construction.

use std::borrow::Cow;

use quick_xml::encoding::Decoder;
use quick_xml::events::{BytesEnd, BytesStart, Event};
use url::Url;

use crate::feed::parsed::{
    Content, Dialect, Entry, Href, Link, Parsed, Person, TEXT_HTML, TEXT_PLAIN, Text,
};

/// Reads `text` (prepared: no byte-order mark, no XML declaration) as feed-rs would with
/// `base` as the document's URL, or `None` when the document is not one this reader takes.
pub(crate) fn read(text: &str, base: Option<&Url>) -> Option<Parsed> {
    let mut xml = quick_xml::Reader::from_str(text);
    let config = xml.config_mut();
    config.expand_empty_elements = true;
    config.trim_markup_names_in_closing_tags = true;
    config.trim_text(false);
    let decoder = xml.decoder();
    let mut r = Reader {
        text,
        xml,
        decoder,
        pending: None,
        peeked: None,
        ns: Namespaces::none(),
        base,
        below_root: false,
    };
    let root = loop {
        match r.next()? {
            Ev::Start(e) => break e,
            Ev::End(_) => return None,
            Ev::Text(_) => {}
            Ev::Eof => return None,
        }
    };
    let dialect = match (local_name(root.name().as_ref())?, r.attr(&root, "version").as_deref()) {
        ("feed", _) => Dialect::Atom,
        ("rss", Some("2.0" | "0.91" | "0.92")) => Dialect::Other,
        _ => return None,
    };
    if contains(root.attributes_raw(), b"xml:base") {
        return None;
    }
    r.ns =
        Namespaces::declared_on(&root, if dialect == Dialect::Atom { Ns::Atom } else { Ns::Rss })?;
    r.below_root = true;
    if dialect == Dialect::Atom { r.atom_feed() } else { r.rss() }
}

/// The namespaces feed-rs tells apart; elements of any other are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Rss,
    Atom,
    Content,
    DublinCore,
    Media,
    Itunes,
    Other,
}

impl Ns {
    fn of(uri: &[u8]) -> Ns {
        match uri {
            b"http://purl.org/rss/1.0/" => Ns::Rss,
            b"http://www.w3.org/2005/Atom" => Ns::Atom,
            b"http://purl.org/rss/1.0/modules/content/" => Ns::Content,
            b"http://purl.org/dc/elements/1.1/" => Ns::DublinCore,
            b"http://search.yahoo.com/mrss/" => Ns::Media,
            b"http://www.itunes.com/dtds/podcast-1.0.dtd" => Ns::Itunes,
            _ => Ns::Other,
        }
    }
}

const XML_NS: &[u8] = b"http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &[u8] = b"http://www.w3.org/2000/xmlns/";

/// The root's namespace declarations, resolved as quick-xml's resolver and feed-rs do.
#[derive(Debug)]
struct Namespaces {
    /// The namespace of unprefixed names, when the root declares one (`xmlns=""`
    /// declares none).
    default: Option<Ns>,
    /// Declared prefixes, in order; `None` for an undeclaration (`xmlns:p=""`).
    prefixes: Vec<(Vec<u8>, Option<Ns>)>,
    /// What feed-rs assumes for names bound to no namespace: the dialect's own.
    fallback: Ns,
}

impl Namespaces {
    /// Before the root, where nothing is resolved yet.
    fn none() -> Namespaces {
        Namespaces { default: None, prefixes: Vec::new(), fallback: Ns::Other }
    }

    /// The declarations on `root`, or `None` for any that quick-xml would reject.
    fn declared_on(root: &BytesStart<'_>, fallback: Ns) -> Option<Namespaces> {
        let mut ns = Namespaces { default: None, prefixes: Vec::new(), fallback };
        let mut n = 0;
        for attr in root.attributes().with_checks(false) {
            let attr = attr.ok()?;
            let key = attr.key.as_ref();
            let value: &[u8] = &attr.value;
            let bound = (!value.is_empty()).then(|| Ns::of(value));
            if key == b"xmlns" {
                ns.default = bound;
            } else if let Some(prefix) = key.strip_prefix(b"xmlns:") {
                if matches!(prefix, b"xml" | b"xmlns") || value == XML_NS || value == XMLNS_NS {
                    return None;
                }
                ns.prefixes.push((prefix.to_vec(), bound));
            } else {
                continue;
            }
            n += 1;
            if n > 64 {
                return None;
            }
        }
        Some(ns)
    }

    /// The namespace and local name of an element name, or `None` for a name with more
    /// than one colon.
    fn resolve<'n>(&self, name: &'n [u8]) -> Option<(Ns, &'n str)> {
        let fallback = self.fallback;
        let local = local_name(name)?;
        let ns = match name.iter().position(|&b| b == b':') {
            None => self.default.unwrap_or(fallback),
            Some(i) if name[i + 1..].contains(&b':') => return None,
            Some(i) => match &name[..i] {
                b"xml" | b"xmlns" => Ns::Other,
                prefix => self
                    .prefixes
                    .iter()
                    .rev()
                    .find(|(p, _)| p.as_slice() == prefix)
                    .and_then(|(_, ns)| *ns)
                    .unwrap_or(fallback),
            },
        };
        Some((ns, local))
    }
}

/// The name after the last colon, as feed-rs names elements.
fn local_name(name: &[u8]) -> Option<&str> {
    let name = std::str::from_utf8(name).ok()?;
    Some(name.rsplit(':').next().unwrap_or(name))
}

/// An event as feed-rs sees it: text, CDATA and references between two tags coalesced.
enum Ev<'a> {
    Start(BytesStart<'a>),
    End(BytesEnd<'a>),
    Text(Cow<'a, str>),
    Eof,
}

struct Reader<'a, 'b> {
    /// The document, which every borrowed event is a part of.
    text: &'a str,
    xml: quick_xml::Reader<&'a [u8]>,
    decoder: Decoder,
    /// The tag that ended a run of text, returned after it.
    pending: Option<Ev<'a>>,
    /// An event looked at and not consumed.
    peeked: Option<Ev<'a>>,
    ns: Namespaces,
    base: Option<&'b Url>,
    /// Past the root's start tag, where no namespace may be declared.
    below_root: bool,
}

impl<'a> Reader<'a, '_> {
    fn next(&mut self) -> Option<Ev<'a>> {
        match self.peeked.take() {
            Some(ev) => Some(ev),
            None => self.fetch(),
        }
    }

    fn fetch(&mut self) -> Option<Ev<'a>> {
        if let Some(ev) = self.pending.take() {
            return Some(ev);
        }
        let mut text: Option<Cow<'a, str>> = None;
        loop {
            let tag = match self.xml.read_event().ok()? {
                Event::Start(e) => {
                    // Declarations below the root would scope namespaces to subtrees,
                    // which this reader does not track; feed-rs resolves links against
                    // every xml:base it meets.
                    let attrs = e.attributes_raw();
                    if self.below_root
                        && (contains(attrs, b"xmlns") || contains(attrs, b"xml:base"))
                    {
                        return None;
                    }
                    Ev::Start(e)
                }
                Event::End(e) => Ev::End(e),
                Event::Eof => Ev::Eof,
                Event::Text(t) => {
                    let Cow::Borrowed(raw) = t.into_inner() else { return None };
                    if !raw.is_empty() {
                        append(&mut text, Cow::Borrowed(self.str_of(raw)?));
                    }
                    continue;
                }
                Event::CData(t) => {
                    let Cow::Borrowed(raw) = t.into_inner() else { return None };
                    if !raw.is_empty() {
                        append(&mut text, Cow::Borrowed(self.str_of(raw)?));
                    }
                    continue;
                }
                Event::GeneralRef(r) => {
                    let buf = text.get_or_insert(Cow::Borrowed("")).to_mut();
                    if let Some(c) = r.resolve_char_ref().ok()? {
                        buf.push(c);
                    } else {
                        let name = self.decoder.decode(&r).ok()?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(resolved) => buf.push_str(resolved),
                            None => {
                                buf.push('&');
                                buf.push_str(&name);
                                buf.push(';');
                            }
                        }
                    }
                    continue;
                }
                Event::Comment(_) | Event::PI(_) => continue,
                // Declarations and DOCTYPEs (with their entities) are feed-rs's business.
                Event::Decl(_) | Event::DocType(_) | Event::Empty(_) => return None,
            };
            return Some(match text {
                Some(text) => {
                    self.pending = Some(tag);
                    Ev::Text(text)
                }
                None => tag,
            });
        }
    }

    /// `raw`, a part of the document, as the text it is: cut out of the document rather
    /// than validated as UTF-8 again (which is what decoding it would come to).
    fn str_of(&self, raw: &'a [u8]) -> Option<&'a str> {
        let offset = (raw.as_ptr() as usize).checked_sub(self.text.as_ptr() as usize)?;
        self.text.get(offset..offset.checked_add(raw.len())?)
    }

    /// The text right after the start tag just read, consumed, if the element starts with
    /// text (feed-rs's `child_as_text`).
    fn child_text(&mut self) -> Option<Option<String>> {
        match self.next()? {
            Ev::Text(t) => Some(Some(t.into_owned())),
            other => {
                self.peeked = Some(other);
                Some(None)
            }
        }
    }

    /// Consumes the rest of the current element, up to and including its end tag.
    fn skip(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Ev::Start(_) => depth += 1,
                Ev::End(_) if depth == 0 => return Some(()),
                Ev::End(_) => depth -= 1,
                Ev::Text(_) => {}
                Ev::Eof => return None,
            }
        }
    }

    /// The current element's content re-serialised as feed-rs does (local names,
    /// attribute values unescaped), consuming its end tag (`children_as_string`).
    fn inner_string(&mut self) -> Option<String> {
        let mut out = String::new();
        // Most elements hold one run of text, which is taken as it is.
        match self.next()? {
            Ev::Text(t) => match self.next()? {
                Ev::End(_) => return Some(t.into_owned()),
                other => {
                    out.push_str(&t);
                    self.peeked = Some(other);
                }
            },
            other => self.peeked = Some(other),
        }
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Ev::Start(e) => {
                    depth += 1;
                    out.push('<');
                    out.push_str(local_name(e.name().as_ref()).unwrap_or_default());
                    for (key, value) in self.attrs(&e) {
                        out.push(' ');
                        out.push_str(&key);
                        out.push_str("=\"");
                        out.push_str(&value);
                        out.push('"');
                    }
                    out.push('>');
                }
                Ev::Text(t) => out.push_str(&t),
                Ev::End(_) if depth == 0 => return Some(out),
                Ev::End(e) => {
                    depth -= 1;
                    out.push_str("</");
                    out.push_str(local_name(e.name().as_ref()).unwrap_or_default());
                    out.push('>');
                }
                Ev::Eof => return None,
            }
        }
    }

    /// Calls `each` with every child element's start tag, namespace and local name until
    /// the current element ends; `each` consumes the child up to its end tag.
    fn children(
        &mut self,
        mut each: impl FnMut(&mut Self, &BytesStart<'a>, Ns, &str) -> Option<()>,
    ) -> Option<()> {
        loop {
            match self.next()? {
                Ev::Start(e) => {
                    let (ns, local) = self.ns.resolve(e.name().into_inner())?;
                    each(self, &e, ns, local)?;
                }
                Ev::End(_) => return Some(()),
                Ev::Text(_) => {}
                Ev::Eof => return None,
            }
        }
    }

    /// The attributes as feed-rs lists them: well-formed ones only, values unescaped
    /// (or as written when they do not unescape).
    fn attrs(&self, e: &BytesStart<'_>) -> Vec<(String, String)> {
        e.attributes()
            .filter_map(|a| {
                let a = a.ok()?;
                let key = self.decoder.decode(a.key.as_ref()).ok()?;
                let value = self.decoder.decode(&a.value).ok()?;
                let value = quick_xml::escape::unescape(&value)
                    .unwrap_or_else(|_| value.clone())
                    .to_string();
                Some((key.into_owned(), value))
            })
            .collect()
    }

    /// The first attribute named `name`, as [`Reader::attrs`] lists them.
    fn attr(&self, e: &BytesStart<'_>, name: &str) -> Option<String> {
        e.attributes().find_map(|a| {
            let a = a.ok().filter(|a| a.key.as_ref() == name.as_bytes())?;
            let value = self.decoder.decode(&a.value).ok()?;
            Some(quick_xml::escape::unescape(&value).unwrap_or_else(|_| value.clone()).into_owned())
        })
    }

    /// A link as feed-rs stores it: resolved against the document URL when it parses as
    /// a URL (or a relative one), else as written; trimmed.
    fn link(&self, href: &str, rel: Option<String>) -> Link {
        let resolved = match Url::parse(href) {
            Ok(url) => Some(url),
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                self.base.and_then(|b| b.join(href).ok())
            }
            Err(_) => None,
        };
        let href = match resolved {
            Some(url) if url.as_str().trim().len() == url.as_str().len() => Href::Url(url),
            Some(url) => Href::Text(url.as_str().trim().to_owned()),
            None => Href::Text(href.trim().to_owned()),
        };
        Link { href, rel }
    }

    fn rss(mut self) -> Option<Parsed> {
        // The first child called channel, in any namespace, is the feed; feed-rs reads no
        // further.
        loop {
            match self.next()? {
                Ev::Start(e) if local_name(e.name().as_ref())? == "channel" => break,
                Ev::Start(_) => self.skip()?,
                Ev::Text(_) => {}
                Ev::End(_) | Ev::Eof => return None,
            }
        }
        let mut feed =
            Parsed { dialect: Dialect::Other, title: None, links: Vec::new(), entries: Vec::new() };
        self.children(|r, e, ns, name| {
            match (ns, name) {
                (Ns::Rss, "title") => feed.title = Some(trimmed(r.inner_string()?, TEXT_PLAIN)),
                (Ns::Rss, "link") => {
                    if let Some(href) = r.child_text()? {
                        feed.links.push(r.link(&href, None));
                    }
                    r.skip()?;
                }
                (Ns::Atom, "link") => {
                    if let Some(link) = r.atom_link(e) {
                        feed.links.push(link);
                    }
                    r.skip()?;
                }
                (Ns::Rss, "item") => feed.entries.push(r.rss_item()?),
                (Ns::Itunes, _) => return None,
                _ => r.skip()?,
            }
            Some(())
        })?;
        Some(feed)
    }

    fn rss_item(&mut self) -> Option<Entry> {
        let mut entry = Entry::default();
        let mut enclosure = false;
        self.children(|r, e, ns, name| {
            match (ns, name) {
                (Ns::Rss, "title") => entry.title = Some(trimmed(r.inner_string()?, TEXT_PLAIN)),
                (Ns::Rss, "link") => {
                    if let Some(href) = r.child_text()? {
                        entry.links.push(r.link(&href, None));
                    }
                    r.skip()?;
                }
                (Ns::Rss, "description") => {
                    entry.summary = Some(trimmed(r.inner_string()?, TEXT_HTML));
                }
                (Ns::Rss, "author") => {
                    if let Some(email) = r.child_text()? {
                        entry.authors.push(Person { name: "author".into(), email: Some(email) });
                    }
                    r.skip()?;
                }
                (Ns::Rss, "guid") => {
                    if let Some(guid) = r.child_text()? {
                        entry.id = guid.trim().to_owned();
                    }
                    r.skip()?;
                }
                (Ns::Rss, "enclosure") => {
                    // feed-rs keeps an enclosure whose url it can resolve as a media object.
                    let attrs = r.attrs(e);
                    let url = attrs.iter().rev().find(|(k, _)| k == "url");
                    enclosure |= url.is_some_and(|(_, v)| r.resolves(v));
                    r.skip()?;
                }
                (Ns::Rss, "pubDate") | (Ns::DublinCore, "date") => {
                    entry.published = r.child_text()?.and_then(|t| model::parse_datetime(&t));
                    r.skip()?;
                }
                (Ns::Content, "encoded") => {
                    let body = r.inner_string()?;
                    entry.content = (!body.is_empty()).then_some(Content {
                        body: Some(body),
                        media_type: Cow::Borrowed(TEXT_HTML),
                    });
                }
                (Ns::DublinCore, "creator") => {
                    let name = r.inner_string()?;
                    entry.authors.push(Person { name: name.trim().to_owned(), email: None });
                }
                (Ns::Itunes | Ns::Media, _) => return None,
                _ => r.skip()?,
            }
            Some(())
        })?;
        if enclosure {
            entry.media.push(None);
        }
        entry.updated = entry.published;
        Some(entry)
    }

    /// Whether feed-rs would make a URL of an enclosure's `url`.
    fn resolves(&self, href: &str) -> bool {
        match Url::parse(href) {
            Ok(_) => true,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                self.base.is_some_and(|b| b.join(href).is_ok())
            }
            Err(_) => false,
        }
    }

    /// An Atom `<link>`: its `href` (required) and `rel` (`alternate` when absent).
    fn atom_link(&self, e: &BytesStart<'_>) -> Option<Link> {
        let attrs = self.attrs(e);
        let href = attrs.iter().find(|(k, _)| k == "href")?;
        let rel = attrs.iter().rev().find(|(k, _)| k == "rel").map(|(_, v)| v.clone());
        Some(self.link(&href.1, rel.or_else(|| Some("alternate".into()))))
    }

    fn atom_feed(mut self) -> Option<Parsed> {
        let mut feed =
            Parsed { dialect: Dialect::Atom, title: None, links: Vec::new(), entries: Vec::new() };
        self.children(|r, e, ns, name| {
            match (ns, name) {
                (Ns::Atom, "title") => feed.title = Some(r.atom_text(e)?),
                // Read only for the errors feed-rs would raise on them.
                (Ns::Atom, "rights" | "subtitle") => {
                    r.atom_text(e)?;
                }
                (Ns::Atom, "link") => {
                    if let Some(link) = r.atom_link(e) {
                        feed.links.push(link);
                    }
                    r.skip()?;
                }
                (Ns::Atom, "entry") => feed.entries.push(r.atom_entry()?),
                _ => r.skip()?,
            }
            Some(())
        })?;
        Some(feed)
    }

    fn atom_entry(&mut self) -> Option<Entry> {
        let mut entry = Entry::default();
        self.children(|r, e, ns, name| {
            match (ns, name) {
                (Ns::Atom, "id") => {
                    if let Some(id) = r.child_text()? {
                        entry.id = id;
                    }
                    r.skip()?;
                }
                (Ns::Atom, "title") => entry.title = Some(r.atom_text(e)?),
                (Ns::Atom, "summary") => entry.summary = Some(r.atom_text(e)?),
                (Ns::Atom, "rights") => {
                    r.atom_text(e)?;
                }
                (Ns::Atom, "content") => {
                    // Content by reference, or inline of a media type, is feed-rs's.
                    if r.attr(e, "src").is_some() {
                        return None;
                    }
                    let text = match r.attr(e, "type").as_deref() {
                        None | Some("text" | "html" | "xhtml" | "text/html") => r.atom_text(e)?,
                        Some(_) => return None,
                    };
                    entry.content =
                        Some(Content { body: Some(text.content), media_type: text.media_type });
                }
                (Ns::Atom, "updated") => {
                    if let Some(t) = r.child_text()? {
                        entry.updated = model::parse_datetime(&t);
                    }
                    r.skip()?;
                }
                (Ns::Atom, "published" | "pubDate") => {
                    if let Some(t) = r.child_text()? {
                        entry.published = model::parse_datetime(&t);
                    }
                    r.skip()?;
                }
                (Ns::Atom, "author") => entry.authors.push(r.atom_person()?),
                (Ns::Atom, "link") => {
                    if let Some(link) = r.atom_link(e) {
                        entry.links.push(link);
                    }
                    r.skip()?;
                }
                (Ns::Media, _) => return None,
                _ => r.skip()?,
            }
            Some(())
        })?;
        Some(entry)
    }

    /// An Atom text construct; `None` for a `type` feed-rs refuses.
    fn atom_text(&mut self, e: &BytesStart<'_>) -> Option<Text> {
        let media_type = match self.attr(e, "type").as_deref() {
            None | Some("text") => TEXT_PLAIN,
            Some("html" | "xhtml" | "text/html") => TEXT_HTML,
            Some(_) => return None,
        };
        Some(trimmed(self.inner_string()?, media_type))
    }

    /// An Atom person: the text of its `name` child (`unknown` without one) and `email`.
    fn atom_person(&mut self) -> Option<Person> {
        let mut person = Person { name: "unknown".into(), email: None };
        self.children(|r, _, _, name| {
            let text = r.child_text()?;
            match (name, text) {
                ("name", Some(n)) => person.name = n,
                ("email", email) => person.email = email,
                _ => {}
            }
            r.skip()
        })?;
        Some(person)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn append<'a>(text: &mut Option<Cow<'a, str>>, piece: Cow<'a, str>) {
    match text {
        None => *text = Some(piece),
        Some(t) => t.to_mut().push_str(&piece),
    }
}

/// A text construct as feed-rs builds one: trimmed.
fn trimmed(content: String, media_type: &'static str) -> Text {
    let content = match content.trim() {
        t if t.len() == content.len() => content,
        t => t.to_owned(),
    };
    Text { content, media_type: Cow::Borrowed(media_type) }
}
