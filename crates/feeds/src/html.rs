//! Reducing feed HTML to plain text: tags removed, scripts and styles dropped, entities
//! decoded, whitespace collapsed, block boundaries kept as line breaks.

/// Converts an HTML fragment to plain text. Text that contains no tag is only
/// entity-decoded and whitespace-collapsed.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        text.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        if let Some(comment) = after.strip_prefix("!--") {
            // Comments vanish without a trace; an unclosed one runs to the end.
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        // As in HTML's tokenizer, '<' opens a tag only before a letter, '/', '!' or '?':
        // "1 < 2" and "<3" are text.
        let opens = match after.as_bytes() {
            [b'/', c, ..] => c.is_ascii_alphabetic(),
            [c, ..] => c.is_ascii_alphabetic() || *c == b'!' || *c == b'?',
            [] => false,
        };
        let gt = after.find('>').filter(|_| opens);
        let Some(gt) = gt else {
            text.push('<');
            rest = after;
            continue;
        };
        let tag = &after[..gt];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &after[gt + 1..];
        if !tag.starts_with('/')
            && matches!(name.as_str(), "script" | "style" | "noscript" | "template")
        {
            // Skip everything up to the matching close tag.
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&close) {
                Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                None => "",
            };
            continue;
        }
        if matches!(
            name.as_str(),
            "p" | "br"
                | "div"
                | "li"
                | "tr"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "blockquote"
                | "section"
                | "article"
                | "figcaption"
                | "table"
                | "ul"
                | "ol"
        ) {
            text.push('\n');
        } else {
            text.push(' ');
        }
    }
    text.push_str(rest);
    collapse_whitespace(&decode_entities(&text))
}

/// Decodes character references, twice: feeds double-escape often enough (`&amp;#7879;`)
/// that a second pass is worth it. C1 controls, which only appear as references to
/// windows-1252 code points (`&#146;` for ’), become those characters, as in browsers.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') && !s.contains(|c: char| ('\u{80}'..='\u{9f}').contains(&c)) {
        return s.to_owned();
    }
    let once = html_escape::decode_html_entities(s);
    let twice = if once.contains('&') {
        html_escape::decode_html_entities(&once).into_owned()
    } else {
        once.into_owned()
    };
    if twice.contains(|c: char| ('\u{80}'..='\u{9f}').contains(&c)) {
        twice.chars().map(windows_1252_c1).collect()
    } else {
        twice
    }
}

fn windows_1252_c1(c: char) -> char {
    if !('\u{80}'..='\u{9f}').contains(&c) {
        return c;
    }
    let byte = [c as u32 as u8];
    encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte).0.chars().next().unwrap_or(c)
}

/// Collapses runs of whitespace to one space and keeps line breaks between non-empty
/// lines, in one pass.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // What separates the next word from the previous one: nothing yet, a space, a line.
    let mut gap: Option<char> = None;
    for c in s.chars() {
        if c == '\n' {
            if !out.is_empty() {
                gap = Some('\n');
            }
        } else if c.is_whitespace() {
            if !out.is_empty() && gap.is_none() {
                gap = Some(' ');
            }
        } else {
            if let Some(g) = gap.take() {
                out.push(g);
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn strips_tags_and_scripts() {
        assert_eq!(
            html_to_text("<p>Xin <b>chào</b></p><script>x<y</script><p>Hà&nbsp;Nội</p>"),
            "Xin chào\nHà Nội"
        );
        assert_eq!(html_to_text("a < b &amp;&amp;#7879; c"), "a < b &ệ c");
        assert_eq!(html_to_text("<img src=x onerror=alert(1)>Tin"), "Tin");
        assert_eq!(html_to_text("plain"), "plain");
        assert_eq!(html_to_text("1 &lt; 2 and 3 > 2, <3"), "1 < 2 and 3 > 2, <3");
        assert_eq!(html_to_text("don&#146;t"), "don\u{2019}t");
        assert_eq!(html_to_text("sa<!-- <b>x</b> -->fe<!-- open"), "safe");
    }
}
