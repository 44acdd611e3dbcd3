//! The last resort: reading items out of a document no feed parser accepts, by element
//! names alone (`item`/`entry` and their `title`, `link`, `description`, dates…), whatever
//! the root, namespaces or dialect.

use quick_xml::Reader;
use quick_xml::events::Event;

/// One element directly under an item (or the channel).
#[derive(Debug, Clone, Default)]
pub(crate) struct Field {
    /// The local name, lowercased (`title`, `encoded`, `creator`…).
    pub(crate) name: String,
    /// The namespace prefix as written, lowercased (`dc`, `content`, or empty).
    pub(crate) prefix: String,
    /// Attributes, unescaped.
    pub(crate) attrs: Vec<(String, String)>,
    /// The raw XML between the start and end tags.
    pub(crate) inner: String,
}

impl Field {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What the scanner found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scanned {
    /// The root element's local name, lowercased.
    pub(crate) root: String,
    /// Children of the channel (RSS) or feed (Atom) that are not items.
    pub(crate) channel: Vec<Field>,
    /// Each item's children.
    pub(crate) items: Vec<Vec<Field>>,
}

/// Scans well-formed XML (such as the output of `repair`). Stops quietly at an error.
pub(crate) fn scan(xml: &str) -> Scanned {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = false;
    let mut out = Scanned::default();
    // Element names from the root down, and where each started (after its start tag).
    let mut path: Vec<(String, usize)> = Vec::new();
    let mut item_depth: Option<usize> = None;
    let mut current: Vec<Field> = Vec::new();
    let mut open_field: Option<(Field, usize)> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let Ok(event) = reader.read_event() else { break };
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) => {
                let (prefix, name) = split_name(e.name().as_ref());
                let depth = path.len();
                if depth == 0 {
                    out.root = name.clone();
                }
                if item_depth.is_none() && matches!(name.as_str(), "item" | "entry") && depth >= 1 {
                    item_depth = Some(depth);
                    current = Vec::new();
                } else if open_field.is_none() && is_field_depth(item_depth, depth, &path) {
                    let attrs = e
                        .attributes()
                        .flatten()
                        .map(|a| {
                            let key = String::from_utf8_lossy(a.key.as_ref()).to_ascii_lowercase();
                            let raw = String::from_utf8_lossy(&a.value).into_owned();
                            let value = quick_xml::escape::unescape(&raw)
                                .map_or(raw.clone(), |v| v.into_owned());
                            (key, value)
                        })
                        .collect();
                    open_field = Some((
                        Field { name: name.clone(), prefix, attrs, inner: String::new() },
                        depth,
                    ));
                }
                path.push((name, after));
            }
            Event::Empty(e) => {
                let (prefix, name) = split_name(e.name().as_ref());
                if open_field.is_none() && is_field_depth(item_depth, path.len(), &path) {
                    let attrs = e
                        .attributes()
                        .flatten()
                        .map(|a| {
                            let key = String::from_utf8_lossy(a.key.as_ref()).to_ascii_lowercase();
                            let raw = String::from_utf8_lossy(&a.value).into_owned();
                            let value = quick_xml::escape::unescape(&raw)
                                .map_or(raw.clone(), |v| v.into_owned());
                            (key, value)
                        })
                        .collect();
                    let field = Field { name, prefix, attrs, inner: String::new() };
                    push_field(&mut out, &mut current, item_depth, field);
                }
            }
            Event::End(_) => {
                let Some((_, start)) = path.pop() else { break };
                let depth = path.len();
                if let Some((_, fdepth)) = &open_field
                    && *fdepth == depth
                    && let Some((mut field, _)) = open_field.take()
                {
                    field.inner = xml.get(start..before).unwrap_or("").to_owned();
                    push_field(&mut out, &mut current, item_depth, field);
                }
                if item_depth == Some(depth) {
                    out.items.push(std::mem::take(&mut current));
                    item_depth = None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// Fields are the children of an item, or of the channel/feed element outside items.
fn is_field_depth(item_depth: Option<usize>, depth: usize, path: &[(String, usize)]) -> bool {
    match item_depth {
        Some(d) => depth == d + 1,
        None => {
            (depth == 1 && path.first().is_some_and(|(n, _)| n == "feed" || n == "channel"))
                || (depth == 2 && path.get(1).is_some_and(|(n, _)| n == "channel"))
        }
    }
}

fn push_field(
    out: &mut Scanned,
    current: &mut Vec<Field>,
    item_depth: Option<usize>,
    field: Field,
) {
    if item_depth.is_some() {
        current.push(field);
    } else {
        out.channel.push(field);
    }
}

fn split_name(raw: &[u8]) -> (String, String) {
    let name = String::from_utf8_lossy(raw).to_ascii_lowercase();
    match name.split_once(':') {
        Some((p, l)) => (p.to_owned(), l.to_owned()),
        None => (String::new(), name),
    }
}

/// Whether `xml` is well-formed as far as a feed reader cares: every element closed in
/// order, every reference known, one document element.
pub(crate) fn well_formed(xml: &str) -> bool {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        match reader.read_event() {
            Err(_) => return false,
            Ok(Event::Start(_)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(Event::Empty(_)) if depth == 0 => roots += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Text(t)) if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) => {
                return false;
            }
            Ok(Event::GeneralRef(r)) => {
                let known = r.is_char_ref()
                    || matches!(r.as_ref(), b"amp" | b"lt" | b"gt" | b"quot" | b"apos");
                if !known || r.resolve_char_ref().is_err() {
                    return false;
                }
            }
            Ok(Event::Eof) => return depth == 0 && roots == 1,
            Ok(_) => {}
        }
    }
}

/// The inner XML of a field as HTML: CDATA sections unwrapped, XML escapes outside them
/// resolved once (so escaped markup becomes markup, as RSS descriptions intend).
pub(crate) fn inner_html(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(start) = rest.find("<![CDATA[") {
        out.push_str(&unescape(&rest[..start]));
        let body = &rest[start + 9..];
        let end = body.find("]]>").unwrap_or(body.len());
        out.push_str(&body[..end]);
        rest = body.get(end + 3..).unwrap_or("");
    }
    out.push_str(&unescape(rest));
    out
}

fn unescape(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('&') {
        quick_xml::escape::unescape(s).unwrap_or_else(|_| std::borrow::Cow::Owned(s.to_owned()))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_under_any_root() {
        let xml = r#"<weird><channel><title>Kênh</title><item><title>A &amp; B</title>
<dc:creator>Lan</dc:creator><description><![CDATA[<p>x</p>]]> &lt;b&gt;y&lt;/b&gt;</description>
<link href="https://a.vn/1"/></item></channel></weird>"#;
        let s = scan(xml);
        assert_eq!(s.root, "weird");
        assert_eq!(s.items.len(), 1);
        let f = &s.items[0];
        assert_eq!(f[0].name, "title");
        assert_eq!(inner_html(&f[0].inner), "A & B");
        assert_eq!((f[1].prefix.as_str(), f[1].name.as_str()), ("dc", "creator"));
        assert_eq!(inner_html(&f[2].inner), "<p>x</p> <b>y</b>");
        assert_eq!(f[3].attr("href"), Some("https://a.vn/1"));
    }
}
