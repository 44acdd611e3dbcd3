//! OPML subscription lists: [`parse`] flattens the outline tree into feeds with the path of
//! folders above each, [`write`] nests them back; `parse(write(x)) == x`.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::{Error, Result, decode};

/// A subscription list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opml {
    /// `<head><title>`.
    pub title: String,
    /// The feeds, in document order.
    pub feeds: Vec<Subscription>,
}

/// One feed of an OPML list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscription {
    /// `title`, else `text`, else the feed URL.
    pub title: String,
    /// `xmlUrl`: the feed.
    pub xml_url: String,
    /// `htmlUrl`: the site, when given.
    pub html_url: Option<String>,
    /// The folders (outlines without `xmlUrl`) above this one, outermost first.
    pub category: Vec<String>,
}

/// Reads an OPML document. Outlines without `xmlUrl` are folders; their `title` (or
/// `text`) becomes the category of the feeds inside.
pub fn parse(bytes: &[u8]) -> Result<Opml> {
    let text = decode(bytes, None).text;
    let mut reader = Reader::from_str(&text);
    let mut out = Opml::default();
    // One entry per open <outline>: the folder name it opened, if it is a folder.
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut in_title = false;
    let mut seen_root = false;
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| Error::Opml { message: e.to_string(), position: pos })?;
        match event {
            Event::Start(e) | Event::Empty(e) if !seen_root => {
                if e.local_name().as_ref() != b"opml" {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    return Err(Error::Opml {
                        message: format!("the root element is <{name}>, not <opml>"),
                        position: pos,
                    });
                }
                seen_root = true;
            }
            Event::Start(e) if e.local_name().as_ref() == b"outline" => {
                let folder = outline(&e, &folders, &mut out.feeds, pos)?;
                folders.push(folder);
            }
            Event::Empty(e) if e.local_name().as_ref() == b"outline" => {
                outline(&e, &folders, &mut out.feeds, pos)?;
            }
            Event::Start(e) if e.local_name().as_ref() == b"title" => in_title = true,
            Event::End(e) if e.local_name().as_ref() == b"title" => in_title = false,
            Event::End(e) if e.local_name().as_ref() == b"outline" => {
                folders.pop();
            }
            Event::Text(t) if in_title => {
                out.title.push_str(&String::from_utf8_lossy(t.as_ref()));
            }
            Event::GeneralRef(r) if in_title => {
                let reference = format!("&{};", String::from_utf8_lossy(r.as_ref()));
                out.title.push_str(&html_escape::decode_html_entities(&reference));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(Error::Opml { message: "no <opml> element".to_owned(), position: 0 });
    }
    out.title = out.title.trim().to_owned();
    Ok(out)
}

/// Records a feed outline, or returns the folder name of a folder outline.
fn outline(
    e: &BytesStart<'_>,
    folders: &[Option<String>],
    feeds: &mut Vec<Subscription>,
    pos: u64,
) -> Result<Option<String>> {
    let mut title = None;
    let mut text = None;
    let mut xml_url = None;
    let mut html_url = None;
    for attr in e.attributes() {
        let attr = attr.map_err(|err| Error::Opml { message: err.to_string(), position: pos })?;
        let raw = String::from_utf8_lossy(&attr.value);
        let value = quick_xml::escape::unescape(&raw)
            .map_err(|err| Error::Opml { message: err.to_string(), position: pos })?
            .trim()
            .to_owned();
        match attr.key.as_ref() {
            b"title" => title = Some(value),
            b"text" => text = Some(value),
            // Some exporters lowercase attribute names.
            b"xmlUrl" | b"xmlurl" => xml_url = Some(value),
            b"htmlUrl" | b"htmlurl" => html_url = Some(value),
            _ => {}
        }
    }
    let name = title.filter(|t| !t.is_empty()).or(text.filter(|t| !t.is_empty()));
    match xml_url.filter(|u| !u.is_empty()) {
        Some(xml_url) => {
            feeds.push(Subscription {
                title: name.unwrap_or_else(|| xml_url.clone()),
                xml_url,
                html_url: html_url.filter(|u| !u.is_empty()),
                category: folders.iter().flatten().cloned().collect(),
            });
            Ok(None)
        }
        None => Ok(name),
    }
}

/// Writes an OPML 2.0 document; feeds sharing a category path share the folder.
pub fn write(opml: &Opml) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>",
    );
    out.push_str(&escape(&opml.title));
    out.push_str("</title>\n  </head>\n  <body>\n");
    let mut open: Vec<&str> = Vec::new();
    for feed in &opml.feeds {
        let common = open.iter().zip(&feed.category).take_while(|(a, b)| **a == b.as_str()).count();
        while open.len() > common {
            open.pop();
            indent(&mut out, open.len());
            out.push_str("</outline>\n");
        }
        for folder in &feed.category[common..] {
            indent(&mut out, open.len());
            out.push_str(&format!("<outline text=\"{0}\" title=\"{0}\">\n", escape(folder)));
            open.push(folder);
        }
        indent(&mut out, open.len());
        out.push_str(&format!(
            "<outline type=\"rss\" text=\"{0}\" title=\"{0}\" xmlUrl=\"{1}\"",
            escape(&feed.title),
            escape(&feed.xml_url)
        ));
        if let Some(html) = &feed.html_url {
            out.push_str(&format!(" htmlUrl=\"{}\"", escape(html)));
        }
        out.push_str("/>\n");
    }
    while !open.is_empty() {
        open.pop();
        indent(&mut out, open.len());
        out.push_str("</outline>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth + 2 {
        out.push_str("  ");
    }
}

/// Escapes text for an attribute or element; newlines and tabs as references so that
/// attribute-value normalisation does not turn them into spaces.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Nguồn theo dõi &amp; cảnh báo</title></head><body>
  <outline text="Báo chí">
    <outline text="Sức khỏe">
      <outline text="VnExpress Sức khỏe" type="rss" xmlUrl="https://vnexpress.net/rss/suc-khoe.rss" htmlUrl="https://vnexpress.net/suc-khoe"/>
    </outline>
    <outline title="Tuổi Trẻ" text="ignored" xmlUrl="https://tuoitre.vn/rss/suc-khoe.rss"/>
  </outline>
  <outline xmlUrl="https://moh.gov.vn/rss"/>
  <outline text="Thư mục trống"></outline>
</body></opml>"#;

    #[test]
    fn nested_folders_become_categories() {
        let o = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(o.title, "Nguồn theo dõi & cảnh báo");
        let got: Vec<(&str, &str, Vec<&str>)> = o
            .feeds
            .iter()
            .map(|f| {
                (
                    f.title.as_str(),
                    f.xml_url.as_str(),
                    f.category.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "VnExpress Sức khỏe",
                    "https://vnexpress.net/rss/suc-khoe.rss",
                    vec!["Báo chí", "Sức khỏe"]
                ),
                ("Tuổi Trẻ", "https://tuoitre.vn/rss/suc-khoe.rss", vec!["Báo chí"]),
                ("https://moh.gov.vn/rss", "https://moh.gov.vn/rss", vec![]),
            ]
        );
        assert_eq!(o.feeds[0].html_url.as_deref(), Some("https://vnexpress.net/suc-khoe"));
    }

    #[test]
    fn write_round_trips_and_escapes() {
        let o = Opml {
            title: "A & B <\"x\">".to_owned(),
            feeds: vec![
                Subscription {
                    title: "Tin \"nóng\" & <mới>".into(),
                    xml_url: "https://a.vn/rss?x=1&y=2".into(),
                    html_url: None,
                    category: vec!["Y tế".into(), "Dịch".into()],
                },
                Subscription {
                    title: "Hai\ndòng".into(),
                    xml_url: "https://b.vn/rss".into(),
                    html_url: Some("https://b.vn/".into()),
                    category: vec!["Y tế".into()],
                },
                Subscription {
                    title: "C".into(),
                    xml_url: "https://c.vn/rss".into(),
                    html_url: None,
                    category: vec![],
                },
                Subscription {
                    title: "D".into(),
                    xml_url: "https://d.vn/rss".into(),
                    html_url: None,
                    category: vec!["Y tế".into(), "Dịch".into()],
                },
            ],
        };
        let xml = write(&o);
        assert!(xml.contains("xmlUrl=\"https://a.vn/rss?x=1&amp;y=2\""), "{xml}");
        assert_eq!(parse(xml.as_bytes()).unwrap(), o);
    }

    #[test]
    fn not_opml_is_an_error() {
        let e = parse(b"<rss/>").unwrap_err().to_string();
        assert!(e.contains("<rss>"), "{e}");
        assert!(parse(b"<opml><body><outline xmlUrl=\"x\" bad></body></opml>").is_err());
    }
}
