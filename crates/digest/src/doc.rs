//! The digest written twice at once: every block goes to the plain text and to the HTML in
//! the same call, so the two parts cannot drift apart in content or order.
//!
//! The HTML is what mail programs render reliably: nested tables for layout, every style
//! inline (no `<style>`, no classes, no external CSS, no scripts), one column at most 640
//! pixels wide that shrinks to a phone's width, images only as inline attachments
//! (`cid:`). Every piece of text is escaped here; callers pass plain text.

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

/// Text colour.
pub(crate) const FG: &str = "#1d2125";
/// Secondary text.
pub(crate) const MUTED: &str = "#5c6670";
/// Lines and borders.
pub(crate) const LINE: &str = "#dde2e6";
/// Links and headings.
pub(crate) const ACCENT: &str = "#0b5cad";
/// Something late or critical.
pub(crate) const RED: &str = "#b00020";
/// Something high.
pub(crate) const ORANGE: &str = "#e65100";
/// Something ordinary.
pub(crate) const GREY: &str = "#607d8b";
/// Something done.
pub(crate) const GREEN: &str = "#2e7d32";

const FONT: &str = "font-family:Arial,Helvetica,sans-serif;";
/// The padding of every row of the column.
const PAD: &str = "padding:6px 20px;";

/// An image attached to the message and shown in the HTML by its Content-ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Its Content-ID, without angle brackets.
    pub cid: String,
    /// The PNG bytes.
    pub png: Vec<u8>,
    /// What it shows, for readers who do not load images.
    pub alt: String,
}

/// One entry of a list: an alert, a story, a response, a health day.
#[derive(Debug, Clone, Default)]
pub(crate) struct Item {
    /// The colour of the bar on its left.
    pub(crate) accent: &'static str,
    /// A short label before the title, with its colour (a priority, a channel).
    pub(crate) badge: Option<(String, &'static str)>,
    pub(crate) title: String,
    /// Where the title links to: a path of the dashboard.
    pub(crate) path: Option<String>,
    /// Smaller lines under the title.
    pub(crate) lines: Vec<String>,
    /// A quotation under them (a response's text), set apart.
    pub(crate) quote: Option<String>,
}

/// A number in the summary strip.
pub(crate) struct Tile {
    pub(crate) label: &'static str,
    pub(crate) value: String,
    pub(crate) colour: &'static str,
}

pub(crate) struct Doc {
    pub(crate) text: String,
    pub(crate) body: String,
    base: String,
    pub(crate) images: Vec<Image>,
}

impl Doc {
    /// A digest whose links start with `base` (the dashboard's public address).
    pub(crate) fn new(base: &str) -> Doc {
        let body = format!(
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" \
             style=\"width:100%;max-width:640px;margin:0 auto;background:#ffffff;border:1px solid {LINE};\
             border-radius:6px;{FONT}color:{FG};font-size:15px;line-height:1.5;\">"
        );
        Doc {
            text: String::new(),
            body,
            base: base.trim_end_matches('/').to_owned(),
            images: Vec::new(),
        }
    }

    /// The absolute address of a dashboard path.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn row(&mut self, style: &str, inner: &str) {
        let _ = write!(self.body, "<tr><td style=\"{PAD}{style}\">{inner}</td></tr>");
    }

    fn link(&self, path: &str, text: &str, style: &str) -> String {
        format!(
            "<a href=\"{}\" style=\"color:{ACCENT};text-decoration:none;{style}\">{}</a>",
            attr(&self.url(path)),
            esc(text)
        )
    }

    /// The masthead: the name, who it is for, the date, and the way to the web view.
    pub(crate) fn masthead(&mut self, title: &str, audience: &str, date: &str, web_path: &str) {
        let _ = writeln!(
            self.text,
            "{}\n{audience}\n{date}\nXem trên bảng điều khiển: {}\n",
            title.to_uppercase(),
            self.url(web_path)
        );
        let link = self.link(web_path, "Xem trên bảng điều khiển", "font-size:13px;");
        let _ = write!(
            self.body,
            "<tr><td style=\"padding:18px 20px 10px;border-bottom:3px solid {ACCENT};\">\
             <div style=\"font-size:13px;color:{ACCENT};font-weight:bold;letter-spacing:1px;\">LẮNG NGHE</div>\
             <h1 style=\"margin:2px 0;font-size:22px;line-height:1.3;color:{FG};\">{}</h1>\
             <div style=\"color:{MUTED};font-size:14px;\">{}<br>{}</div>\
             <div style=\"margin-top:4px;\">{link}</div></td></tr>",
            esc(title),
            esc(audience),
            esc(date),
        );
    }

    /// The summary strip: a few numbers side by side.
    pub(crate) fn tiles(&mut self, tiles: &[Tile]) {
        let parts: Vec<String> =
            tiles.iter().map(|t| format!("{}: {}", t.label, t.value)).collect();
        let _ = writeln!(self.text, "{}", parts.join(" · "));
        let width = 100 / tiles.len().max(1);
        let mut cells = String::new();
        for t in tiles {
            let _ = write!(
                cells,
                "<td width=\"{width}%\" align=\"center\" valign=\"top\" style=\"padding:8px 2px;\">\
                 <div style=\"font-size:24px;font-weight:bold;line-height:1.2;color:{};\">{}</div>\
                 <div style=\"font-size:12px;line-height:1.3;color:{MUTED};\">{}</div></td>",
                t.colour,
                esc(&t.value),
                esc(t.label)
            );
        }
        self.row(
            "padding-top:10px;",
            &format!(
                "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" \
                 style=\"background:#f6f7f8;border-radius:4px;\"><tr>{cells}</tr></table>"
            ),
        );
    }

    /// The start of one of the three parts: its number, its name and what it holds.
    pub(crate) fn section(&mut self, number: u8, name: &str, title: &str, lead: &str) {
        let _ = writeln!(
            self.text,
            "\n{}\n{number}. {} – {title}\n{lead}",
            "=".repeat(60),
            name.to_uppercase()
        );
        let _ = write!(
            self.body,
            "<tr><td style=\"padding:22px 20px 4px;\">\
             <div style=\"border-top:2px solid {LINE};padding-top:12px;font-size:12px;font-weight:bold;\
             letter-spacing:1px;color:{ACCENT};\">{number} · {}</div>\
             <h2 style=\"margin:2px 0 0;font-size:19px;line-height:1.3;color:{FG};\">{}</h2>\
             <div style=\"color:{MUTED};font-size:13px;\">{}</div></td></tr>",
            esc(&name.to_uppercase()),
            esc(title),
            esc(lead)
        );
    }

    /// A heading inside a part.
    pub(crate) fn heading(&mut self, title: &str) {
        let _ = writeln!(self.text, "\n{title}\n{}", "-".repeat(title.chars().count()));
        self.row(
            "padding-top:14px;padding-bottom:2px;",
            &format!(
                "<h3 style=\"margin:0;font-size:16px;line-height:1.3;color:{FG};\">{}</h3>",
                esc(title)
            ),
        );
    }

    /// A paragraph.
    pub(crate) fn para(&mut self, text: &str) {
        let _ = writeln!(self.text, "{text}");
        self.row("", &format!("<p style=\"margin:0;\">{}</p>", esc(text)));
    }

    /// A quieter paragraph: an explanation, or that there is nothing.
    pub(crate) fn note(&mut self, text: &str) {
        let _ = writeln!(self.text, "  {text}");
        self.row(
            "",
            &format!("<p style=\"margin:0;color:{MUTED};font-size:14px;\">{}</p>", esc(text)),
        );
    }

    /// A link on a line of its own.
    pub(crate) fn link_line(&mut self, text: &str, path: &str) {
        let _ = writeln!(self.text, "  {text}: {}", self.url(path));
        let link = self.link(path, &format!("{text} →"), "font-size:14px;");
        self.row("", &link);
    }

    /// One entry of a list.
    pub(crate) fn item(&mut self, item: &Item) {
        let badge_text = item.badge.as_ref().map(|(b, _)| format!("[{b}] ")).unwrap_or_default();
        let _ = writeln!(self.text, "  * {badge_text}{}", item.title);
        for line in &item.lines {
            let _ = writeln!(self.text, "    {line}");
        }
        if let Some(q) = &item.quote {
            let _ = writeln!(self.text, "    « {q} »");
        }
        if let Some(p) = &item.path {
            let _ = writeln!(self.text, "    {}", self.url(p));
        }
        let badge = item
            .badge
            .as_ref()
            .map(|(b, colour)| {
                format!(
                    "<span style=\"display:inline-block;padding:0 6px;margin-right:4px;border-radius:3px;\
                     background:{colour};color:#ffffff;font-size:12px;font-weight:bold;line-height:18px;\">{}</span>",
                    esc(b)
                )
            })
            .unwrap_or_default();
        let title = match &item.path {
            Some(p) => self.link(p, &item.title, "font-weight:bold;"),
            None => format!("<strong>{}</strong>", esc(&item.title)),
        };
        let mut inner = format!("{badge}{title}");
        for line in &item.lines {
            let _ = write!(
                inner,
                "<div style=\"color:{MUTED};font-size:13px;line-height:1.4;\">{}</div>",
                esc(line)
            );
        }
        if let Some(q) = &item.quote {
            let _ = write!(
                inner,
                "<div style=\"margin-top:4px;padding:4px 8px;background:#f6f7f8;font-size:13px;\
                 line-height:1.4;color:{FG};\">{}</div>",
                esc(q)
            );
        }
        self.row(
            "padding-top:3px;padding-bottom:3px;",
            &format!(
                "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>\
                 <td width=\"4\" style=\"width:4px;background:{};font-size:0;line-height:0;\">&nbsp;</td>\
                 <td style=\"padding:4px 10px;word-break:break-word;\">{inner}</td></tr></table>",
                item.accent
            ),
        );
    }

    /// A small table of numbers: the first column is text, the others right-aligned.
    pub(crate) fn table(&mut self, head: &[&str], rows: &[Vec<String>]) {
        let widths: Vec<usize> = (0..head.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .chain([head[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<&str>| -> String {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = widths[i].saturating_sub(c.chars().count());
                    if i == 0 {
                        format!("{c}{}", " ".repeat(pad))
                    } else {
                        format!("{}{c}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        let _ = writeln!(self.text, "  {}", line(head.to_vec()));
        for r in rows {
            let _ = writeln!(self.text, "  {}", line(r.iter().map(String::as_str).collect()));
        }
        let cell = |i: usize, tag: &str, c: &str| {
            let align = if i == 0 { "left" } else { "right" };
            format!(
                "<{tag} align=\"{align}\" style=\"padding:3px 6px;border-bottom:1px solid {LINE};\
                 text-align:{align};font-size:13px;{}\">{}</{tag}>",
                if tag == "th" {
                    format!("color:{MUTED};font-weight:normal;")
                } else {
                    String::new()
                },
                esc(c)
            )
        };
        let mut html = String::from(
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" \
             style=\"border-collapse:collapse;\"><tr>",
        );
        for (i, h) in head.iter().enumerate() {
            html.push_str(&cell(i, "th", h));
        }
        html.push_str("</tr>");
        for r in rows {
            html.push_str("<tr>");
            for (i, c) in r.iter().enumerate() {
                html.push_str(&cell(i, "td", c));
            }
            html.push_str("</tr>");
        }
        html.push_str("</table>");
        self.row("", &html);
    }

    /// A chart attached as an inline image, with its numbers written under it.
    pub(crate) fn image(&mut self, image: Image, caption: &str) {
        let _ = writeln!(self.text, "    {caption}");
        let html = format!(
            "<img src=\"cid:{}\" width=\"{}\" height=\"{}\" alt=\"{}\" \
             style=\"display:block;border:0;width:100%;max-width:{}px;height:auto;\">\
             <div style=\"color:{MUTED};font-size:12px;line-height:1.4;\">{}</div>",
            attr(&image.cid),
            crate::chart::WIDTH,
            crate::chart::HEIGHT,
            attr(&image.alt),
            crate::chart::WIDTH,
            esc(caption)
        );
        self.row("padding-left:34px;padding-top:0;", &html);
        self.images.push(image);
    }

    /// The closing lines.
    pub(crate) fn footer(&mut self, lines: &[String]) {
        let _ = writeln!(self.text, "\n-- ");
        let mut html = String::new();
        for l in lines {
            let _ = writeln!(self.text, "{l}");
            let _ = write!(html, "<div>{}</div>", esc(l));
        }
        let _ = write!(
            self.body,
            "<tr><td style=\"padding:18px 20px;border-top:1px solid {LINE};color:{MUTED};font-size:12px;\
             line-height:1.5;\">{html}</td></tr></table>"
        );
    }

    /// The whole HTML document around the body.
    pub(crate) fn document(&self, title: &str) -> String {
        format!(
            "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"x-apple-disable-message-reformatting\"><title>{}</title></head>\
             <body style=\"margin:0;padding:0;background:#eef1f4;\">\
             <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" \
             style=\"background:#eef1f4;\"><tr><td align=\"center\" style=\"padding:16px 8px;\">{}</td></tr></table>\
             </body></html>",
            esc(title),
            self.body
        )
    }
}
