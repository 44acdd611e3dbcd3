//! The printable page: the same tables as the workbook under the three headings of the 3C
//! work, key figures on top and bar charts drawn as inline SVG, in one HTML file with no
//! external asset (its style sheet inline, or linked when a page's security policy forbids
//! inline styles). Every piece of text is escaped; numbers read the Vietnamese way
//! (1.234,5). Print rules keep tables and charts whole and repeat table headers on each page.

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};
use model::report::ReportData;

use crate::report_title;
use crate::tables::{Cell, Group, Table, compliance_label, kind_label, tables};

/// The style sheet of the page.
pub const STYLESHEET: &str = include_str!("report.css");

/// Where the page's style sheet comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stylesheet {
    /// In the page itself: a file that stands alone.
    Inline,
    /// Linked from this address (a page served under `style-src 'self'`).
    Link(String),
}

/// Rows a table shows on the page; the workbook has them all.
const PAGE_ROWS: usize = 40;

/// A number the Vietnamese way: `1.234.567`, `12,5`.
pub fn vi_number(v: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign =
        if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    if frac.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped},{frac}") }
}

fn cell_html(c: &Cell) -> (String, &'static str) {
    match c {
        Cell::Empty => (String::new(), "empty"),
        Cell::Text(s) => (esc(s).into_owned(), "text"),
        Cell::Int(n) => (vi_number(*n as f64, 0), "num"),
        Cell::Dec(v, d) => (vi_number(*v, usize::from(*d)), "num"),
        Cell::Date(d) => (d.format("%d/%m/%Y").to_string(), "date"),
        Cell::Time(t) => (model::to_vn_time(*t).format("%d/%m/%Y %H:%M").to_string(), "date"),
    }
}

fn table_html(out: &mut String, t: &Table, limit: usize) {
    let _ = write!(
        out,
        "<figure class=\"table\" id=\"{}\"><figcaption>{}</figcaption><div class=\"scroll\"><table><thead><tr>",
        attr(t.name),
        esc(&t.title)
    );
    for c in &t.columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(&c.header));
    }
    out.push_str("</tr></thead><tbody>");
    if t.rows.is_empty() {
        let _ = write!(
            out,
            "<tr><td class=\"none\" colspan=\"{}\">Không có số liệu trong kỳ.</td></tr>",
            t.columns.len()
        );
    }
    for row in t.rows.iter().take(limit) {
        out.push_str("<tr>");
        for c in row {
            let (text, class) = cell_html(c);
            let _ = write!(out, "<td class=\"{class}\">{text}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody>");
    if let Some(total) = &t.total {
        out.push_str("<tfoot><tr>");
        for c in total {
            let (text, class) = cell_html(c);
            let _ = write!(out, "<td class=\"{class}\">{text}</td>");
        }
        out.push_str("</tr></tfoot>");
    }
    out.push_str("</table></div>");
    if t.rows.len() > limit {
        let _ = write!(
            out,
            "<p class=\"more\">… và {} dòng khác trong tệp XLSX, CSV (trang tính {}).</p>",
            vi_number((t.rows.len() - limit) as f64, 0),
            esc(t.name)
        );
    }
    if let Some(note) = &t.note {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(note));
    }
    out.push_str("</figure>");
}

// ---- charts ----

const WIDTH: f64 = 720.0;
const LABEL: f64 = 230.0;
const BARS: f64 = 400.0;
const ROW: f64 = 22.0;

/// One bar of a horizontal chart: its label, its parts (value, class, what it is) and the
/// figure written after it.
struct Bar {
    label: String,
    parts: Vec<(f64, &'static str, String)>,
    value: String,
}

fn short(text: &str, chars: usize) -> String {
    let mut out: String = text.chars().take(chars).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn legend(out: &mut String, items: &[(&'static str, &str)]) {
    if items.is_empty() {
        return;
    }
    out.push_str("<p class=\"legend\">");
    for (class, label) in items {
        let _ = write!(out, "<span class=\"key {class}\"></span>{} ", esc(label));
    }
    out.push_str("</p>");
}

/// Horizontal bars, scaled to the largest total.
fn hbars(out: &mut String, title: &str, bars: &[Bar], keys: &[(&'static str, &str)]) {
    if bars.is_empty() {
        return;
    }
    let max = bars
        .iter()
        .map(|b| b.parts.iter().map(|p| p.0).sum::<f64>())
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let height = 12.0 + ROW * bars.len() as f64;
    let _ = write!(
        out,
        "<figure class=\"chart\"><figcaption>{t}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{a}\"><title>{t}</title>",
        t = esc(title),
        a = attr(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 6.0 + ROW * i as f64;
        let _ = write!(
            out,
            "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL - 8.0,
            y + ROW / 2.0 + 4.0,
            esc(&short(&b.label, 36))
        );
        let mut x = LABEL;
        for (v, class, what) in &b.parts {
            if *v <= 0.0 {
                continue;
            }
            let w = (BARS * v / max).max(1.0);
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\"><title>{}</title></rect>",
                y + 3.0,
                ROW - 6.0,
                esc(what)
            );
            x += w;
        }
        let _ = write!(
            out,
            "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 6.0,
            y + ROW / 2.0 + 4.0,
            esc(&b.value)
        );
    }
    out.push_str("</svg>");
    legend(out, keys);
    out.push_str("</figure>");
}

/// Vertical bars, one per label, with the value above each.
fn vbars(out: &mut String, title: &str, bars: &[(String, f64)]) {
    if bars.is_empty() {
        return;
    }
    let (height, bottom, top) = (220.0, 30.0, 20.0);
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1.0);
    let slot = (WIDTH - 40.0) / bars.len() as f64;
    let w = (slot * 0.6).min(60.0);
    let _ = write!(
        out,
        "<figure class=\"chart\"><figcaption>{t}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{a}\"><title>{t}</title>",
        t = esc(title),
        a = attr(title)
    );
    let base = height - bottom;
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"20\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/>",
        WIDTH - 20.0
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let cx = 20.0 + slot * (i as f64 + 0.5);
        let h = (base - top) * v / max;
        let _ = write!(
            out,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h:.1}\"><title>{}: {}</title></rect>",
            cx - w / 2.0,
            base - h,
            esc(label),
            vi_number(*v, 0)
        );
        let _ = write!(
            out,
            "<text class=\"value\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            base - h - 4.0,
            vi_number(*v, 0)
        );
        let _ = write!(
            out,
            "<text class=\"label\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            base + 16.0,
            esc(label)
        );
    }
    out.push_str("</svg></figure>");
}

fn single(label: &str, v: f64, class: &'static str, value: String) -> Bar {
    Bar { label: label.to_owned(), parts: vec![(v, class, format!("{label}: {value}"))], value }
}

fn charts_grasp(out: &mut String, d: &ReportData) {
    let months: Vec<(String, f64)> = d
        .items
        .by_month
        .iter()
        .map(|m| (format!("{:02}/{}", m.month, m.year), m.documents as f64))
        .collect();
    vbars(out, "Tin bài theo tháng", &months);
    let topics: Vec<Bar> = d
        .items
        .by_topic
        .iter()
        .take(10)
        .map(|t| single(&t.title, t.documents as f64, "bar", vi_number(t.documents as f64, 0)))
        .collect();
    hbars(out, "Mười chủ đề nhiều tin bài nhất", &topics, &[]);
    let provinces: Vec<Bar> = d
        .items
        .by_province
        .iter()
        .filter(|p| p.code.is_some())
        .take(10)
        .map(|p| single(&p.name, p.documents as f64, "bar", vi_number(p.documents as f64, 0)))
        .collect();
    hbars(out, "Mười địa bàn nhiều tin bài nhất", &provinces, &[]);
}

fn charts_handle(out: &mut String, d: &ReportData) {
    let kinds: Vec<Bar> = d
        .alerts
        .by_kind
        .iter()
        .filter(|k| k.opened > 0)
        .map(|k| {
            let label = kind_label(k.kind);
            Bar {
                label: label.to_owned(),
                parts: ["p1", "p2", "p3"]
                    .into_iter()
                    .zip(k.by_priority)
                    .enumerate()
                    .map(|(i, (class, n))| {
                        (n as f64, class, format!("{label}: {n} cảnh báo P{}", i + 1))
                    })
                    .collect(),
                value: vi_number(k.opened as f64, 0),
            }
        })
        .collect();
    hbars(
        out,
        "Cảnh báo mới theo loại và mức ưu tiên",
        &kinds,
        &[("p1", "P1 – Khẩn cấp"), ("p2", "P2 – Cao"), ("p3", "P3 – Bình thường")],
    );
    let sla: Vec<Bar> = d
        .handling
        .compliance
        .iter()
        .filter(|c| c.met + c.missed > 0)
        .map(|c| {
            let label = compliance_label(c.priority, c.deadline);
            let n = (c.met + c.missed) as f64;
            Bar {
                label: label.clone(),
                parts: vec![
                    (c.met as f64 / n, "met", format!("{label}: {} đúng hạn", c.met)),
                    (c.missed as f64 / n, "missed", format!("{label}: {} trễ hạn", c.missed)),
                ],
                value: format!(
                    "{}% ({}/{})",
                    vi_number(c.percent().unwrap_or(0.0), 0),
                    c.met,
                    c.met + c.missed
                ),
            }
        })
        .collect();
    hbars(
        out,
        "Tỷ lệ đúng hạn theo mức ưu tiên và thời hạn",
        &sla,
        &[("met", "Đúng hạn"), ("missed", "Trễ hạn")],
    );
}

fn charts_provide(out: &mut String, d: &ReportData) {
    let channels: Vec<Bar> = d
        .responses
        .by_channel
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| single(c.label(), *n as f64, "bar", n.to_string()))
        .collect();
    hbars(out, "Phản hồi chính thức theo hình thức", &channels, &[]);
}

fn cards(out: &mut String, d: &ReportData) {
    out.push_str("<section class=\"cards\">");
    for code in ["TB01", "TB03", "CB01", "XL05", "PH01", "PH04"] {
        let Some(i) = d.summary.iter().find(|i| i.code == code) else { continue };
        let decimals = usize::from(i.unit == "%" || i.unit == "giờ");
        let value = i.value.map_or_else(|| "—".to_owned(), |v| vi_number(v, decimals));
        let unit = if i.unit == "%" { "%" } else { "" };
        let change = i.change_percent().map_or_else(String::new, |c| {
            format!(
                "<span class=\"change\">{}{}% so với kỳ trước</span>",
                if c > 0.0 { "+" } else { "" },
                vi_number(c, 1)
            )
        });
        let _ = write!(
            out,
            "<div class=\"card\"><span class=\"figure\">{value}{unit}</span><span class=\"what\">{}</span>{change}</div>",
            esc(&i.name)
        );
    }
    out.push_str("</section>");
}

/// The report as one HTML page.
pub(crate) fn write(d: &ReportData, stylesheet: &Stylesheet) -> String {
    let title = report_title(d);
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} – {}</title>\n",
        esc(&title),
        esc(&d.period.label)
    );
    match stylesheet {
        Stylesheet::Inline => {
            let _ = write!(out, "<style>\n{STYLESHEET}</style>\n");
        }
        Stylesheet::Link(href) => {
            let _ = writeln!(out, "<link rel=\"stylesheet\" href=\"{}\">", attr(href));
        }
    }
    out.push_str("</head>\n<body class=\"report\">\n<header class=\"cover\">");
    if !d.office.is_empty() {
        let _ = write!(out, "<p class=\"office\">{}</p>", esc(&d.office));
    }
    let _ = writeln!(
        out,
        "<h1>{}</h1><p class=\"period\">{}</p><p class=\"meta\">Lập lúc {} · số liệu tính đến {} · so sánh với kỳ trước: {}</p></header>",
        esc(&title),
        esc(&d.period.label),
        model::to_vn_time(d.generated_at).format("%H:%M %d/%m/%Y"),
        d.period.as_of(d.figures_at),
        esc(&d.previous.label)
    );
    cards(&mut out, d);
    let all = tables(d);
    let sections = [
        (Group::Summary, "1. Tổng hợp chỉ số"),
        (Group::Grasp, "2. Chủ động nắm bắt thông tin"),
        (Group::Handle, "3. Chủ động xử lý thông tin"),
        (Group::Provide, "4. Chủ động cung cấp thông tin"),
        (Group::Activity, "5. Hoạt động truyền thông của đơn vị"),
        (Group::About, "6. Định nghĩa và nguồn số liệu"),
    ];
    for (group, heading) in sections {
        let _ = write!(out, "<section class=\"part\"><h2>{}</h2>", esc(heading));
        match group {
            Group::Grasp => charts_grasp(&mut out, d),
            Group::Handle => charts_handle(&mut out, d),
            Group::Provide => charts_provide(&mut out, d),
            _ => {}
        }
        for t in all.iter().filter(|t| t.group == group) {
            // The topic × province grid is too wide for a page: the workbook has it.
            if t.name == "3_ChuDe_DiaBan" {
                let _ = write!(
                    out,
                    "<p class=\"note\">Bảng {} ({}) có trong tệp XLSX và CSV.</p>",
                    esc(&t.title.to_lowercase()),
                    esc(t.name)
                );
                continue;
            }
            let limit = if t.group == Group::Summary || t.group == Group::About {
                usize::MAX
            } else {
                PAGE_ROWS
            };
            table_html(&mut out, t, limit);
        }
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        "<footer>Lập bằng Lắng Nghe · kỳ {}</footer>\n</body>\n</html>\n",
        esc(&d.period.code)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_vietnamese_way() {
        assert_eq!(vi_number(1_234_567.0, 0), "1.234.567");
        assert_eq!(vi_number(12.54, 1), "12,5");
        assert_eq!(vi_number(-1234.5, 1), "-1.234,5");
        assert_eq!(vi_number(-0.01, 1), "0,0");
        assert_eq!(vi_number(999.0, 0), "999");
        assert_eq!(vi_number(0.0, 0), "0");
    }
}
