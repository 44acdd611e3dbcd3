//! The parsed page: html5ever through `scraper`, depth-capped so that selector matching
//! and every walk stay linear, plus the per-element text statistics the scorer and the
//! cleaner read.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

/// Elements deeper than this are dropped. Real pages stay under 60 levels; without a cap a
/// page of nested `<div>`s makes descendant selectors quadratic.
const MAX_DEPTH: usize = 256;

/// Elements whose content is never text: code, styling, embedded objects and controls.
pub(crate) fn is_opaque(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "iframe"
            | "object"
            | "embed"
            | "svg"
            | "math"
            | "canvas"
            | "video"
            | "audio"
            | "button"
            | "select"
            | "textarea"
            | "input"
            | "head"
            | "title"
            | "meta"
            | "link"
            | "map"
            | "dialog"
    )
}

/// Elements that start and end a block of text.
pub(crate) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "aside"
            | "header"
            | "footer"
            | "nav"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "pre"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "caption"
            | "figure"
            | "figcaption"
            | "address"
            | "hr"
            | "form"
            | "fieldset"
            | "legend"
            | "details"
            | "summary"
            | "center"
            | "body"
            | "html"
    )
}

/// Whether an element is hidden by markup (`hidden`, `display:none`, `aria-hidden`).
pub(crate) fn is_hidden(el: &scraper::node::Element) -> bool {
    if el.attr("hidden").is_some() || el.attr("aria-hidden") == Some("true") {
        return true;
    }
    el.attr("style").is_some_and(|s| {
        let s: String =
            s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    })
}

/// Parses a page and drops elements nested beyond [`MAX_DEPTH`].
pub(crate) fn parse(html: &str) -> Html {
    let html = flatten_deep(html);
    let mut doc = Html::parse_document(&html);
    let mut too_deep = Vec::new();
    let mut depth = 0usize;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(n) => {
                depth += 1;
                if depth == MAX_DEPTH && n.has_children() {
                    too_deep.extend(n.children().map(|c| c.id()));
                }
            }
            Edge::Close(_) => depth -= 1,
        }
    }
    for id in too_deep {
        if let Some(mut n) = doc.tree.get_mut(id) {
            n.detach();
        }
    }
    doc
}

/// Elements whose end tag may be left out: the parser closes them itself, so an
/// unclosed one does not deepen the tree.
fn closes_itself(name: &[u8]) -> bool {
    const OPTIONAL: &[&[u8]] = &[
        b"p",
        b"li",
        b"dt",
        b"dd",
        b"tr",
        b"td",
        b"th",
        b"option",
        b"optgroup",
        b"thead",
        b"tbody",
        b"tfoot",
        b"colgroup",
        b"caption",
        b"rb",
        b"rt",
        b"rp",
        b"rtc",
        b"html",
        b"head",
        b"body",
    ];
    const VOID: &[&[u8]] = &[
        b"area",
        b"base",
        b"br",
        b"col",
        b"embed",
        b"hr",
        b"img",
        b"input",
        b"link",
        b"meta",
        b"param",
        b"source",
        b"track",
        b"wbr",
        b"keygen",
        b"basefont",
        b"bgsound",
        b"frame",
    ];
    OPTIONAL.iter().chain(VOID).any(|n| n.eq_ignore_ascii_case(name))
}

/// Elements whose content is raw text up to their end tag.
fn raw_text(name: &[u8]) -> bool {
    [
        &b"script"[..],
        b"style",
        b"textarea",
        b"title",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"noscript",
        b"plaintext",
    ]
    .iter()
    .any(|n| n.eq_ignore_ascii_case(name))
}

/// The tag at `i` (just after `<`): whether it closes, its name and where it ends.
fn tag_at(b: &[u8], i: usize) -> Option<(bool, &[u8], usize)> {
    let closing = b.get(i) == Some(&b'/');
    let start = i + usize::from(closing);
    let mut j = start;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-' || b[j] == b':') {
        j += 1;
    }
    if j == start || !b[start].is_ascii_alphabetic() {
        return None;
    }
    let name = &b[start..j];
    let end = memchr(b'>', &b[j..]).map_or(b.len(), |k| j + k + 1);
    Some((closing, name, end))
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

/// The html5ever tree builder checks scopes by walking the stack of open elements, so a
/// page of deeply nested tags costs depth × tags. Start tags that would nest deeper than
/// [`MAX_DEPTH`] (and their end tags) are removed from the text before parsing; their
/// content stays. Pages that stay shallower are returned as they are.
fn flatten_deep(html: &str) -> std::borrow::Cow<'_, str> {
    let b = html.as_bytes();
    let mut depth = 0usize;
    let mut max = 0usize;
    // First pass: does any run of unclosed tags go deeper than the cap?
    walk(b, |closing, name, _, _| {
        if closing {
            depth = depth.saturating_sub(1);
        } else if !closes_itself(name) {
            depth += 1;
            max = max.max(depth);
        }
    });
    if max <= MAX_DEPTH {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    depth = 0;
    let mut dropped = 0usize;
    walk(b, |closing, name, start, end| {
        let keep = if closing {
            if dropped > 0 && depth > MAX_DEPTH {
                dropped -= 1;
                depth -= 1;
                false
            } else {
                depth = depth.saturating_sub(1);
                true
            }
        } else if closes_itself(name) {
            true
        } else {
            depth += 1;
            if depth > MAX_DEPTH {
                dropped += 1;
                false
            } else {
                true
            }
        };
        if let Some(text) = html.get(i..start) {
            out.push_str(text);
        }
        if keep && let Some(tag) = html.get(start..end) {
            out.push_str(tag);
        }
        i = end;
    });
    if let Some(rest) = html.get(i..) {
        out.push_str(rest);
    }
    std::borrow::Cow::Owned(out)
}

/// Calls `f(closing, name, start, end)` for every tag outside comments and raw text.
fn walk(b: &[u8], mut f: impl FnMut(bool, &[u8], usize, usize)) {
    let mut i = 0;
    while let Some(k) = memchr(b'<', &b[i..]) {
        let lt = i + k;
        if b[lt + 1..].starts_with(b"!--") {
            i = find(b, lt + 4, b"-->").map_or(b.len(), |e| e + 3);
            continue;
        }
        let Some((closing, name, end)) = tag_at(b, lt + 1) else {
            i = lt + 1;
            continue;
        };
        // `/>` is not looked at: html5ever ignores it on HTML elements, so `<div/>` opens
        // a `<div>` too.
        f(closing, name, lt, end);
        i = end;
        if !closing && raw_text(name) {
            // Skip to the matching end tag, whatever the case.
            let mut j = end;
            loop {
                match find(b, j, b"</") {
                    Some(e)
                        if b.len() >= e + 2 + name.len()
                            && b[e + 2..e + 2 + name.len()].eq_ignore_ascii_case(name) =>
                    {
                        i = e;
                        break;
                    }
                    Some(e) => j = e + 2,
                    None => {
                        i = b.len();
                        break;
                    }
                }
            }
        }
    }
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// A hasher for node ids, which are already small distinct integers.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by node id.
pub(crate) type IdMap<V> = HashMap<NodeId, V, BuildHasherDefault<IdHasher>>;

/// Text statistics of one element's visible text (opaque elements excluded).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stats {
    /// Non-space characters of all text inside.
    pub(crate) chars: u32,
    /// Of those, inside links.
    pub(crate) link_chars: u32,
    /// Commas and sentence ends inside.
    pub(crate) punct: u32,
    /// Non-space characters not inside a nested block element (the element's own
    /// paragraph text).
    pub(crate) inline_chars: u32,
    /// Of those, inside links.
    pub(crate) inline_link_chars: u32,
    /// Commas and sentence ends of the inline text.
    pub(crate) inline_punct: u32,
    /// Block elements inside.
    pub(crate) blocks: u32,
}

impl Stats {
    /// The share of text inside links, 0 to 1.
    pub(crate) fn link_density(&self) -> f32 {
        if self.chars == 0 { 0.0 } else { self.link_chars as f32 / self.chars as f32 }
    }
}

/// Statistics for every element under `root`, in one walk.
pub(crate) fn stats(root: ElementRef<'_>) -> IdMap<Stats> {
    let mut map = IdMap::default();
    // (id, stats, is block) of the open elements.
    let mut stack: Vec<(NodeId, Stats, bool)> = Vec::new();
    let mut links = 0usize;
    let mut skip: Option<NodeId> = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if skip.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Element(el) => {
                        if is_opaque(el.name()) || is_hidden(el) {
                            skip = Some(node.id());
                            continue;
                        }
                        if el.name() == "a" {
                            links += 1;
                        }
                        stack.push((node.id(), Stats::default(), is_block(el.name())));
                    }
                    Node::Text(t) => {
                        let (chars, punct) = count(t);
                        let in_link = links > 0;
                        let block = stack.iter().rposition(|(_, _, b)| *b);
                        if let Some(top) = stack.last_mut() {
                            top.1.chars += chars;
                            top.1.punct += punct;
                            if in_link {
                                top.1.link_chars += chars;
                            }
                        }
                        if let Some(i) = block {
                            let s = &mut stack[i].1;
                            s.inline_chars += chars;
                            s.inline_punct += punct;
                            if in_link {
                                s.inline_link_chars += chars;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(id) = skip {
                    if id == node.id() {
                        skip = None;
                    }
                    continue;
                }
                let Node::Element(el) = node.value() else { continue };
                if el.name() == "a" {
                    links = links.saturating_sub(1);
                }
                let Some((id, s, block)) = stack.pop() else { continue };
                if let Some(parent) = stack.last_mut() {
                    parent.1.chars += s.chars;
                    parent.1.link_chars += s.link_chars;
                    parent.1.punct += s.punct;
                    parent.1.blocks += s.blocks + u32::from(block);
                }
                map.insert(id, s);
            }
        }
    }
    map
}

fn count(text: &str) -> (u32, u32) {
    let mut chars = 0u32;
    let mut punct = 0u32;
    for c in text.chars() {
        if !c.is_whitespace() {
            chars = chars.saturating_add(1);
            if matches!(c, ',' | '.' | ';' | '?' | '!' | '，' | '。') {
                punct = punct.saturating_add(1);
            }
        }
    }
    (chars, punct)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_pages_are_untouched_and_deep_ones_lose_only_tags() {
        let page = "<div><p>a<p>b<script>'<div><div>'</script><!-- <div> --><br/></div>";
        assert!(matches!(flatten_deep(page), std::borrow::Cow::Borrowed(_)));
        let deep = format!("{}x{}", "<div/>".repeat(300), "</div>".repeat(300));
        let flat = flatten_deep(&deep);
        assert_eq!(flat.matches("<div").count(), MAX_DEPTH);
        assert_eq!(flat.matches("</div>").count(), MAX_DEPTH);
        assert!(flat.contains('x'));
    }
}
