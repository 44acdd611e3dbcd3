//! Making broken XML well-formed the way a browser would read it: junk before the root
//! dropped, bare `&` and `<` escaped, HTML named entities turned into numeric references,
//! characters XML forbids removed, unquoted attributes quoted, stray end tags dropped and
//! whatever is still open closed (tag soup in descriptions included).
//!
//! Only used when the strict parse failed, so clarity wins over speed here.

/// Rewrites `text` into well-formed XML with the same content as far as it can be told.
pub(crate) fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut stack: Vec<String> = Vec::new();
    let mut rooted = false;
    let b = text.as_bytes();
    // Junk before the first markup is dropped.
    let mut i = first_markup(text).unwrap_or(b.len());
    let mut text_start = i;
    while i < b.len() {
        match b[i] {
            b'<' => {
                flush_text(&mut out, &text[text_start..i], !stack.is_empty());
                text_start = i;
                let rest = &text[i..];
                let consumed = if let Some(comment) = rest.strip_prefix("<!--") {
                    let (body, end) = match comment.find("-->") {
                        Some(e) => (&comment[..e], 4 + e + 3),
                        None => (comment, rest.len()),
                    };
                    if !stack.is_empty() {
                        out.push_str("<!--");
                        out.push_str(&strip_illegal(&body.replace("--", "- -")));
                        out.push_str("-->");
                    }
                    end
                } else if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
                    let (body, end) = match cdata.find("]]>") {
                        Some(e) => (&cdata[..e], 9 + e + 3),
                        None => (cdata, rest.len()),
                    };
                    if !stack.is_empty() {
                        out.push_str("<![CDATA[");
                        out.push_str(&strip_illegal(body));
                        out.push_str("]]>");
                    }
                    end
                } else if rest.starts_with("<!") || rest.starts_with("<?") {
                    // Doctypes and processing instructions carry nothing a feed needs.
                    declaration_end(rest)
                } else if let Some(after) = rest.strip_prefix("</") {
                    let name_len = after
                        .find(|c: char| c.is_whitespace() || c == '>' || c == '<')
                        .unwrap_or(after.len());
                    let name = &after[..name_len];
                    let Some(gt) = after.find('>') else { break };
                    if let Some(pos) = stack.iter().rposition(|open| open == name) {
                        while stack.len() > pos {
                            let open = stack.pop().unwrap_or_default();
                            push_end(&mut out, &open);
                        }
                    }
                    2 + gt + 1
                } else if rest[1..].starts_with(is_name_start) {
                    if rooted && stack.is_empty() {
                        // A second root: everything after the document element is junk.
                        break;
                    }
                    let Some(tag) = StartTag::read(rest) else { break };
                    out.push_str(&tag.xml);
                    if !tag.empty {
                        stack.push(tag.name);
                    }
                    rooted = true;
                    tag.len
                } else {
                    if !stack.is_empty() {
                        out.push_str("&lt;");
                    }
                    1
                };
                i += consumed;
                text_start = i;
            }
            _ => {
                // Text runs are handled in one piece by flush_text.
                i += text[i..].find('<').unwrap_or(text.len() - i);
            }
        }
    }
    if text_start < i.min(b.len()) && !stack.is_empty() {
        flush_text(&mut out, &text[text_start..i.min(b.len())], true);
    }
    while let Some(open) = stack.pop() {
        push_end(&mut out, &open);
    }
    out
}

fn first_markup(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    (0..b.len()).find(|&i| {
        b[i] == b'<'
            && b.get(i + 1).is_some_and(|&c| c == b'?' || c == b'!' || c.is_ascii_alphabetic())
    })
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

fn declaration_end(rest: &str) -> usize {
    // A doctype may hold an internal subset in brackets, with '>' inside it.
    let mut depth = 0i32;
    for (k, c) in rest.char_indices().skip(1) {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '>' if depth <= 0 => return k + 1,
            _ => {}
        }
    }
    rest.len()
}

fn push_end(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends character data: entities repaired, forbidden characters dropped. Text outside
/// the document element is dropped.
fn flush_text(out: &mut String, text: &str, inside: bool) {
    if inside && !text.is_empty() {
        push_escaped(out, text, false);
    }
}

/// Appends `text` with every `&` made into a well-formed reference and, in attribute
/// values, quotes and `<` escaped.
fn push_escaped(out: &mut String, text: &str, attribute: bool) {
    let mut rest = text;
    while let Some(k) =
        rest.find(|c: char| c == '&' || (attribute && (c == '"' || c == '<')) || is_illegal(c))
    {
        out.push_str(&rest[..k]);
        let c = rest[k..].chars().next().unwrap_or('&');
        rest = &rest[k + c.len_utf8()..];
        match c {
            '&' => {
                let (replacement, used) = reference(rest);
                out.push_str(&replacement);
                rest = &rest[used..];
            }
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            _ => {}
        }
    }
    out.push_str(rest);
}

/// What an `&` followed by `rest` should become, and how much of `rest` it used.
fn reference(rest: &str) -> (String, usize) {
    let end = rest.char_indices().take(40).find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'));
    let Some((semi, ';')) = end else { return ("&amp;".to_owned(), 0) };
    let name = &rest[..semi];
    if let Some(num) = name.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse().ok(),
        };
        return match value.and_then(char::from_u32) {
            Some(c) if !is_illegal(c) => (format!("&#{};", c as u32), semi + 1),
            // A reference to a character XML forbids is dropped.
            Some(_) => (String::new(), semi + 1),
            None => ("&amp;".to_owned(), 0),
        };
    }
    if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
        return (format!("&{name};"), semi + 1);
    }
    let entity = format!("&{name};");
    let decoded = html_escape::decode_html_entities(&entity);
    if decoded != entity {
        let refs: String = decoded.chars().map(|c| format!("&#{};", c as u32)).collect();
        return (refs, semi + 1);
    }
    ("&amp;".to_owned(), 0)
}

/// Characters XML 1.0 does not allow anywhere, even as references.
fn is_illegal(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

fn strip_illegal(s: &str) -> String {
    s.chars().filter(|c| !is_illegal(*c)).collect()
}

/// A start tag rewritten as well-formed XML.
struct StartTag {
    name: String,
    xml: String,
    empty: bool,
    /// Bytes of input consumed.
    len: usize,
}

impl StartTag {
    /// Reads the start tag at the beginning of `s`. `None` when the input ends inside it.
    fn read(s: &str) -> Option<StartTag> {
        let body = &s[1..];
        let name_len = body.find(|c: char| !is_name_char(c)).unwrap_or(body.len());
        let name = body[..name_len].trim_end_matches(':').to_owned();
        let mut xml = format!("<{name}");
        let mut seen: Vec<String> = Vec::new();
        let mut rest = &body[name_len..];
        loop {
            let trimmed = rest.trim_start();
            let c = trimmed.chars().next()?;
            rest = trimmed;
            if c == '>' {
                xml.push('>');
                return Some(StartTag { name, xml, empty: false, len: s.len() - rest.len() + 1 });
            }
            if rest.starts_with("/>") {
                xml.push_str("/>");
                return Some(StartTag { name, xml, empty: true, len: s.len() - rest.len() + 2 });
            }
            if c == '<' {
                // The tag never closed; the next one starts here.
                xml.push('>');
                return Some(StartTag { name, xml, empty: false, len: s.len() - rest.len() });
            }
            if !is_name_start(c) {
                rest = &rest[c.len_utf8()..];
                continue;
            }
            let alen = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
            let attr = rest[..alen].to_owned();
            rest = &rest[alen..];
            let after = rest.trim_start();
            let value: String = if let Some(v) = after.strip_prefix('=') {
                let v = v.trim_start();
                match v.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let close = v[1..].find(q)?;
                        rest = &v[1 + close + 1..];
                        v[1..1 + close].to_owned()
                    }
                    _ => {
                        let vlen =
                            v.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(v.len());
                        let mut value = &v[..vlen];
                        if value.ends_with('/') && v[vlen..].starts_with('>') {
                            value = &value[..value.len() - 1];
                            rest = &v[vlen - 1..];
                        } else {
                            rest = &v[vlen..];
                        }
                        value.to_owned()
                    }
                }
            } else {
                // HTML's value-less attributes (`<input checked>`).
                attr.clone()
            };
            if seen.contains(&attr) {
                continue;
            }
            xml.push(' ');
            xml.push_str(&attr);
            xml.push_str("=\"");
            push_escaped(&mut xml, &value, true);
            xml.push('"');
            seen.push(attr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::repair;

    #[test]
    fn entities_and_bare_ampersands() {
        assert_eq!(
            repair("<t>AT&T &nbsp;&eacute; &amp; &#233; &#1; &bogus; a < b, 1<2</t>"),
            "<t>AT&amp;T &#160;&#233; &amp; &#233;  &amp;bogus; a &lt; b, 1&lt;2</t>"
        );
    }

    #[test]
    fn junk_doctype_and_declaration_dropped() {
        assert_eq!(
            repair("\u{feff}junk <?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><rss/>"),
            "<rss/>"
        );
    }

    #[test]
    fn unclosed_and_stray_tags() {
        assert_eq!(
            repair(
                "<rss><channel><title>T</title></bogus><item><description><p>a<br>b</description>"
            ),
            "<rss><channel><title>T</title><item><description><p>a<br>b</br></p></description></item></channel></rss>"
        );
        assert_eq!(repair("<rss version=\"2.0\">\n</rss"), "<rss version=\"2.0\">\n</rss>");
        assert_eq!(repair("<a><b><![CDATA[x <y"), "<a><b><![CDATA[x <y]]></b></a>");
        assert_eq!(repair("<a>x</a><b>after</b>"), "<a>x</a>");
        assert_eq!(repair("<a>x<texti"), "<a>x</a>");
    }

    #[test]
    fn attributes_are_quoted_and_escaped() {
        assert_eq!(
            repair("<a href=/x?a=1&b=2 checked title='say \"hi\"' href=dup>x</a>"),
            "<a href=\"/x?a=1&amp;b=2\" checked=\"checked\" title=\"say &quot;hi&quot;\">x</a>"
        );
        assert_eq!(repair("<a><img src=x/></a>"), "<a><img src=\"x\"/></a>");
        assert_eq!(repair("<a>\u{1}ok\u{b}</a>"), "<a>ok</a>");
    }
}
