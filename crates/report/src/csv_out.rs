//! The CSV file: UTF-8 with a byte-order mark (so Excel reads the diacritics) and every table
//! one after the other, each as a line with its sheet name and title, its header line, its
//! rows and total, and an empty line; or one table alone, as a plain grid for a sheet's
//! import. Numbers use a point for decimals, days are `YYYY-MM-DD`, times `YYYY-MM-DD HH:MM`
//! in Vietnam time. Text that a spreadsheet would take for a formula is written with a
//! leading apostrophe, so a scraped title cannot run as one.

use model::report::ReportData;

use crate::tables::{Cell, Table, tables};

/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// Writes one field; `text` fields that a spreadsheet would read as a formula are guarded
/// (numbers, which may be negative, are not text).
fn field(out: &mut String, value: &str, text: bool) {
    let guarded = text && value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = value;
    let needs_quotes = guarded || text.contains([',', '"', '\n', '\r', ';']);
    if needs_quotes {
        out.push('"');
        if guarded {
            out.push('\'');
        }
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// A cell as the CSV file writes it.
pub fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Dec(v, places) => format!("{v:.*}", usize::from(*places)),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::Time(t) => model::to_vn_time(*t).format("%Y-%m-%d %H:%M").to_string(),
    }
}

fn line(out: &mut String, cells: impl Iterator<Item = (String, bool)>) {
    for (i, (c, text)) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, &c, text);
    }
    out.push_str("\r\n");
}

fn texts<I: IntoIterator<Item = String>>(v: I) -> impl Iterator<Item = (String, bool)> {
    v.into_iter().map(|s| (s, true))
}

fn grid(out: &mut String, t: &Table) {
    line(out, texts(t.columns.iter().map(|c| c.header.clone())));
    for row in t.rows.iter().chain(t.total.iter()) {
        line(out, row.iter().map(|c| (cell_text(c), matches!(c, Cell::Text(_)))));
    }
}

/// Every table of the report, one after the other.
pub(crate) fn write(d: &ReportData) -> Vec<u8> {
    let mut out = String::from(BOM);
    line(&mut out, texts([crate::report_title(d), d.period.label.clone()]));
    out.push_str("\r\n");
    for t in tables(d) {
        line(&mut out, texts([t.name.to_owned(), t.title.clone()]));
        grid(&mut out, &t);
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// One table alone, named by its sheet name; `None` when there is no such sheet.
pub(crate) fn write_sheet(d: &ReportData, sheet: &str) -> Option<Vec<u8>> {
    let t = tables(d).into_iter().find(|t| t.name.eq_ignore_ascii_case(sheet))?;
    let mut out = String::from(BOM);
    grid(&mut out, &t);
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let mut out = String::new();
        line(
            &mut out,
            texts(
                ["a,b", "say \"hi\"", "=HYPERLINK(\"x\")", "-5 tin", "thường"].map(str::to_owned),
            )
            .chain([("-12.5".to_owned(), false)]),
        );
        assert_eq!(
            out,
            "\"a,b\",\"say \"\"hi\"\"\",\"'=HYPERLINK(\"\"x\"\")\",\"'-5 tin\",thường,-12.5\r\n"
        );
        assert_eq!(cell_text(&Cell::Dec(12.25, 1)), "12.2");
        assert_eq!(cell_text(&Cell::Int(-3)), "-3");
    }
}
