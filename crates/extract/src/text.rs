//! Elements to plain text: one block per paragraph-level element, whitespace collapsed,
//! `<br>` kept as a line break, table cells joined with ` | `, opaque and hidden elements
//! never contributing.

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Node};

use crate::dom::{is_block, is_hidden, is_opaque};

/// Collects text blocks while walking elements.
#[derive(Default)]
struct Blocks {
    out: Vec<String>,
    line: String,
    space: bool,
    cell: bool,
}

impl Blocks {
    fn text(&mut self, t: &str) {
        for c in t.chars() {
            if c.is_whitespace() || is_invisible(c) {
                self.space = !self.line.is_empty() && !self.line.ends_with('\n');
                continue;
            }
            if self.cell {
                self.line.push_str(" | ");
                self.cell = false;
                self.space = false;
            } else if self.space {
                self.line.push(' ');
                self.space = false;
            }
            self.line.push(c);
        }
    }

    fn line_break(&mut self) {
        if !self.line.is_empty() {
            self.line.push('\n');
        }
        self.space = false;
    }

    fn end_cell(&mut self) {
        if !self.line.is_empty() && !self.line.ends_with('\n') {
            self.cell = true;
        }
    }

    fn flush(&mut self) {
        self.space = false;
        self.cell = false;
        if self.line.is_empty() {
            return;
        }
        // A `<br><br>` inside one element separates paragraphs, as in portals that write
        // whole articles in a single `<div>`.
        let mut para = String::new();
        for l in self.line.split('\n') {
            let l = l.trim();
            if l.is_empty() {
                if !para.is_empty() {
                    self.out.push(std::mem::take(&mut para));
                }
                continue;
            }
            if !para.is_empty() {
                para.push('\n');
            }
            para.push_str(l);
        }
        if !para.is_empty() {
            self.out.push(para);
        }
        self.line.clear();
    }
}

/// Characters that render as nothing or as a space but are not Unicode whitespace.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}')
}

/// A table being walked: data tables join their cells into rows; layout tables (a page
/// laid out in cells) are walked like `<div>`s.
struct Table {
    data: bool,
    cells: usize,
}

/// Whether a table holds data rather than page layout: no nested table, no cell with
/// several paragraphs or long text.
fn is_data_table(table: ElementRef<'_>) -> bool {
    let mut budget = 4_000usize;
    for cell in table.descendants() {
        budget = budget.saturating_sub(1);
        if budget == 0 {
            return false;
        }
        let Some(el) = cell.value().as_element() else { continue };
        match el.name() {
            "table" if cell.id() != table.id() => return false,
            "td" | "th" => {
                let mut blocks = 0;
                let mut chars = 0usize;
                for d in cell.descendants() {
                    match d.value() {
                        Node::Element(e)
                            if matches!(
                                e.name(),
                                "p" | "div"
                                    | "ul"
                                    | "ol"
                                    | "blockquote"
                                    | "h1"
                                    | "h2"
                                    | "h3"
                                    | "h4"
                                    | "br"
                            ) =>
                        {
                            blocks += 1
                        }
                        Node::Text(t) => chars += t.len(),
                        _ => {}
                    }
                    if blocks >= 2 || chars > 1_200 {
                        return false;
                    }
                }
            }
            _ => {}
        }
    }
    true
}

/// The text blocks of `roots`, skipping every element for which `skip` is true.
pub(crate) fn blocks<'a>(
    roots: impl IntoIterator<Item = ElementRef<'a>>,
    mut skip: impl FnMut(ElementRef<'a>) -> bool,
) -> Vec<String> {
    let mut b = Blocks::default();
    for root in roots {
        let mut skipping: Option<NodeId> = None;
        let mut tables: Vec<Table> = Vec::new();
        for edge in root.traverse() {
            let in_cell = tables.last().is_some_and(|t| t.data && t.cells > 0);
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Text(t) => b.text(t),
                        Node::Element(el) => {
                            let name = el.name();
                            let dropped = is_opaque(name)
                                || is_hidden(el)
                                || ElementRef::wrap(node).is_some_and(&mut skip);
                            if dropped {
                                skipping = Some(node.id());
                                // A dropped block still separates the text around it.
                                if is_block(name) && !in_cell {
                                    b.flush();
                                }
                                continue;
                            }
                            match name {
                                "br" if in_cell => b.text(" "),
                                "br" => b.line_break(),
                                "table" => {
                                    b.flush();
                                    let data = ElementRef::wrap(node).is_some_and(is_data_table);
                                    tables.push(Table { data, cells: 0 });
                                }
                                "td" | "th" => match tables.last_mut() {
                                    Some(t) if t.data => t.cells += 1,
                                    _ => b.flush(),
                                },
                                _ if is_block(name) => {
                                    if in_cell {
                                        b.text(" ");
                                    } else {
                                        b.flush();
                                    }
                                }
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if let Some(id) = skipping {
                        if id == node.id() {
                            skipping = None;
                        }
                        continue;
                    }
                    let Node::Element(el) = node.value() else { continue };
                    match el.name() {
                        "table" => {
                            tables.pop();
                            b.flush();
                        }
                        "td" | "th" => match tables.last_mut() {
                            Some(t) if t.data => {
                                t.cells = t.cells.saturating_sub(1);
                                if t.cells == 0 {
                                    b.end_cell();
                                }
                            }
                            _ => b.flush(),
                        },
                        name if is_block(name) && !in_cell => b.flush(),
                        _ => {}
                    }
                }
            }
        }
        b.flush();
    }
    b.out
}

/// The text of one element as a single line (titles, authors, dates).
pub(crate) fn inline(el: ElementRef<'_>) -> String {
    let blocks = blocks([el], |_| false);
    let mut s = String::new();
    for part in blocks.iter().flat_map(|b| b.split('\n')) {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(part);
    }
    s
}

/// Collapses whitespace in a string taken from an attribute or JSON.
pub(crate) fn squash(s: &str) -> String {
    let mut b = Blocks::default();
    b.text(s);
    b.line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(html: &str) -> Vec<String> {
        let doc = scraper::Html::parse_document(html);
        blocks([doc.root_element()], |_| false)
    }

    #[test]
    fn paragraphs_breaks_cells_and_entities() {
        let got = render(
            "<div>Một&nbsp;&nbsp;hai <b>ba</b>\n bốn<p>Năm<br>sáu</p>bảy<br><br>tám\
             <table><tr><td>A</td><td> B </td></tr><tr><th>C</th><td></td></tr></table>\
             <script>var x = 1;</script><style>p{}</style><span hidden>ẩn</span>\
             <iframe>khung</iframe>&amp;&lt;</div>",
        );
        assert_eq!(got, vec!["Một hai ba bốn", "Năm\nsáu", "bảy", "tám", "A | B", "C", "&<"],);
    }

    #[test]
    fn inline_text_is_one_line() {
        let doc = scraper::Html::parse_document("<h1> Tiêu <br> đề\n mới </h1>");
        let sel = scraper::Selector::parse("h1").unwrap();
        let h1 = doc.select(&sel).next().unwrap();
        assert_eq!(inline(h1), "Tiêu đề mới");
        assert_eq!(squash("  a \u{a0} b\n"), "a b");
    }
}
