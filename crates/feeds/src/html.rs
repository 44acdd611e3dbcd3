//! Reducing feed HTML to plain text: tags removed, scripts and styles dropped, entities
//! decoded, whitespace collapsed, block boundaries kept as line breaks.

use std::borrow::Cow;

/// Converts an HTML fragment to plain text. Text that contains no tag is only
/// entity-decoded and whitespace-collapsed.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') {
        return collapse_whitespace(&decode_entities(html));
    }
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
        let unslashed = tag.trim_start_matches('/');
        let name_len =
            unslashed.bytes().position(|b| !b.is_ascii_alphanumeric()).unwrap_or(unslashed.len());
        let name = &unslashed[..name_len];
        rest = &after[gt + 1..];
        if !tag.starts_with('/') && RAW_TEXT.iter().any(|r| name.eq_ignore_ascii_case(r)) {
            // Skip everything up to the matching close tag.
            rest = match find_close_tag(rest, name) {
                Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                None => "",
            };
            continue;
        }
        if BLOCKS.iter().any(|b| name.eq_ignore_ascii_case(b)) {
            text.push('\n');
        } else {
            text.push(' ');
        }
    }
    text.push_str(rest);
    collapse_whitespace(&decode_entities(&text))
}

/// Elements whose content is not text to show.
const RAW_TEXT: [&str; 4] = ["script", "style", "noscript", "template"];

/// Elements that break the line.
const BLOCKS: [&str; 18] = [
    "p",
    "br",
    "div",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "section",
    "article",
    "figcaption",
    "table",
    "ul",
    "ol",
];

/// Where `</name` first starts in `html`, in any letter case.
fn find_close_tag(html: &str, name: &str) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut from = 0;
    while let Some(i) = html[from..].find("</") {
        let at = from + i;
        let tail = &bytes[at + 2..];
        if tail.len() >= name.len() && tail[..name.len()].eq_ignore_ascii_case(name.as_bytes()) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// Decodes character references, twice: feeds double-escape often enough (`&amp;#7879;`)
/// that a second pass is worth it. C1 controls, which only appear as references to
/// windows-1252 code points (`&#146;` for ’), become those characters, as in browsers.
/// `s` itself comes back when there is nothing to decode.
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.as_bytes().contains(&b'&') && !has_c1(s) {
        return Cow::Borrowed(s);
    }
    let once = html_escape::decode_html_entities(s);
    let twice = if once.contains('&') {
        html_escape::decode_html_entities(&once).into_owned()
    } else {
        once.into_owned()
    };
    if has_c1(&twice) {
        Cow::Owned(twice.chars().map(windows_1252_c1).collect())
    } else {
        Cow::Owned(twice)
    }
}

/// Whether `s` holds a C1 control (U+0080 to U+009F, which UTF-8 writes as 0xC2 0x80-0x9F).
fn has_c1(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.contains(&0xC2) {
        return false;
    }
    let mut from = 0;
    while let Some(i) = b[from..].iter().position(|&x| x == 0xC2) {
        let at = from + i;
        if b.get(at + 1).is_some_and(|n| (0x80..=0x9F).contains(n)) {
            return true;
        }
        from = at + 1;
    }
    false
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
    squeeze(s, true)
}

/// `s` without leading and trailing whitespace and with every run of whitespace inside
/// it made one space, or one line break when `lines` is set and the run holds one.
/// Stretches already in that form are copied whole.
pub(crate) fn squeeze(s: &str, lines: bool) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    // `s[copied..]` is what is left to write out.
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let Some(skip) = b[i..].iter().position(|&c| MAY_BE_SPACE[usize::from(c)]) else { break };
        i += skip;
        if b[i] == OGHAM_MIDDLE {
            // U+1680 is found by its middle byte; see MAY_BE_SPACE.
            if i > 0 && b[i - 1] == 0xE1 && b.get(i + 1) == Some(&0x80) {
                i -= 1;
            } else {
                i += 1;
                continue;
            }
        }
        // The commonest case by far: one space between two words, which stays.
        if b[i] == b' ' && i > 0 && i + 1 < b.len() && whitespace_len(b, i + 1).is_none() {
            i += 1;
            continue;
        }
        let Some(len) = whitespace_len(b, i) else {
            i += 1;
            continue;
        };
        let start = i;
        let mut newline = false;
        let mut len = Some(len);
        while let Some(l) = len {
            newline |= b[i] == b'\n';
            i += l;
            len = if i < b.len() { whitespace_len(b, i) } else { None };
        }
        let with: &str = if start == 0 || i == b.len() {
            ""
        } else if newline && lines {
            "\n"
        } else {
            " "
        };
        if s[start..i] != *with {
            out.push_str(&s[copied..start]);
            out.push_str(with);
            copied = i;
        }
    }
    out.push_str(&s[copied..]);
    out
}

/// The bytes that may be part of whitespace worth a closer look: the first byte of every
/// whitespace character but U+1680, which is found by its middle byte (0x9A) instead,
/// because its first (0xE1) starts most Vietnamese letters with tone marks.
const MAY_BE_SPACE: [bool; 256] = {
    let mut table = [false; 256];
    let starts = [b'\t', b'\n', 0x0B, 0x0C, b'\r', b' ', 0xC2, OGHAM_MIDDLE, 0xE2, 0xE3];
    let mut k = 0;
    while k < starts.len() {
        table[starts[k] as usize] = true;
        k += 1;
    }
    table
};

/// The middle byte of U+1680 OGHAM SPACE MARK (0xE1 0x9A 0x80).
const OGHAM_MIDDLE: u8 = 0x9A;

/// The length of the character at `i` when it is whitespace (`char::is_whitespace`), read
/// from its UTF-8 bytes: ASCII controls and space, U+0085, U+00A0, U+1680, U+2000-U+200A,
/// U+2028, U+2029, U+202F, U+205F and U+3000.
#[inline]
fn whitespace_len(b: &[u8], i: usize) -> Option<usize> {
    match b[i] {
        b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' => Some(1),
        0xC2 => matches!(b.get(i + 1), Some(0x85 | 0xA0)).then_some(2),
        0xE1 => (b.get(i + 1..i + 3) == Some(&[0x9A, 0x80])).then_some(3),
        0xE2 => match b.get(i + 1..i + 3) {
            Some([0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF] | [0x81, 0x9F]) => Some(3),
            _ => None,
        },
        0xE3 => (b.get(i + 1..i + 3) == Some(&[0x80, 0x80])).then_some(3),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{html_to_text, squeeze, whitespace_len};

    #[test]
    fn whitespace_is_what_rust_calls_whitespace() {
        for c in '\0'..=char::MAX {
            let s = format!("a{c}");
            let len = whitespace_len(s.as_bytes(), 1);
            assert_eq!(len, c.is_whitespace().then_some(c.len_utf8()), "{c:?}");
        }
    }

    #[test]
    fn squeezing_keeps_words_and_line_breaks() {
        let check = |s: &str, words: &str, lines: &str| {
            assert_eq!(squeeze(s, false), words, "{s:?}");
            assert_eq!(squeeze(s, true), lines, "{s:?}");
            assert_eq!(squeeze(s, false), s.split_whitespace().collect::<Vec<_>>().join(" "));
        };
        check("Hà Nội", "Hà Nội", "Hà Nội");
        check("  Hà\t\tNội \n", "Hà Nội", "Hà Nội");
        check("a \n b\n\nc", "a b c", "a\nb\nc");
        check("\u{a0}Sốt\u{3000}xuất\u{1680}huyết\u{2028}", "Sốt xuất huyết", "Sốt xuất huyết");
        // Letters whose UTF-8 shares bytes with U+1680 are not whitespace.
        check("Ớ \u{169a}ᚚ Ú", "Ớ \u{169a}ᚚ Ú", "Ớ \u{169a}ᚚ Ú");
        check("", "", "");
        check(" \n ", "", "");
    }

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
