//! The workbook: one sheet per table, each with the report's title and period above its
//! header row (row 4), numbers as numbers, days and times as Excel dates in Vietnam time,
//! the header frozen and printed on every page.

use chrono::{NaiveDate, Timelike};
use model::report::ReportData;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};

use crate::tables::{Cell, Table, tables};
use crate::{Error, report_title};

/// The row (0-based) of every sheet's header; data starts on the next.
pub const HEADER_ROW: u32 = 3;

/// Days since Excel's epoch (30 December 1899) of a day.
fn serial_day(d: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or(NaiveDate::MIN);
    (d - epoch).num_days() as f64
}

/// Excel's serial number of an instant, in Vietnam time.
pub fn serial(t: model::Timestamp) -> f64 {
    let local = model::to_vn_time(t);
    let secs = f64::from(local.num_seconds_from_midnight());
    serial_day(local.date_naive()) + secs / 86_400.0
}

/// Excel's serial number of a day.
pub fn serial_of_day(d: NaiveDate) -> f64 {
    serial_day(d)
}

struct Formats {
    title: Format,
    subtitle: Format,
    header: Format,
    text: Format,
    int: Format,
    dec: Format,
    date: Format,
    time: Format,
    note: Format,
    total_text: Format,
    total_int: Format,
    total_dec: Format,
}

impl Formats {
    fn new() -> Formats {
        let border = |f: Format| f.set_border(FormatBorder::Thin);
        let bold_top = |f: Format| f.set_bold().set_border_top(FormatBorder::Double);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            subtitle: Format::new().set_italic(),
            header: border(
                Format::new()
                    .set_bold()
                    .set_text_wrap()
                    .set_align(FormatAlign::Center)
                    .set_align(FormatAlign::VerticalCenter)
                    .set_background_color(0xDDEBF7),
            ),
            text: border(Format::new().set_text_wrap().set_align(FormatAlign::Top)),
            int: border(Format::new().set_num_format("#,##0").set_align(FormatAlign::Top)),
            dec: border(Format::new().set_num_format("#,##0.0").set_align(FormatAlign::Top)),
            date: border(Format::new().set_num_format("dd/mm/yyyy").set_align(FormatAlign::Top)),
            time: border(
                Format::new().set_num_format("dd/mm/yyyy hh:mm").set_align(FormatAlign::Top),
            ),
            note: Format::new().set_italic().set_text_wrap(),
            total_text: bold_top(border(Format::new())),
            total_int: bold_top(border(Format::new().set_num_format("#,##0"))),
            total_dec: bold_top(border(Format::new().set_num_format("#,##0.0"))),
        }
    }
}

/// Excel refuses strings longer than this.
const MAX_TEXT: usize = 32_000;

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    f: &Formats,
    total: bool,
) -> Result<(), Error> {
    let (text, int, dec) =
        if total { (&f.total_text, &f.total_int, &f.total_dec) } else { (&f.text, &f.int, &f.dec) };
    match cell {
        Cell::Empty => {
            ws.write_blank(row, col, text)?;
        }
        Cell::Text(s) => {
            let s: String =
                if s.len() > MAX_TEXT { s.chars().take(MAX_TEXT / 4).collect() } else { s.clone() };
            ws.write_string_with_format(row, col, s, text)?;
        }
        Cell::Int(n) => {
            ws.write_number_with_format(row, col, *n as f64, int)?;
        }
        Cell::Dec(v, _) => {
            ws.write_number_with_format(row, col, (*v * 10.0).round() / 10.0, dec)?;
        }
        Cell::Date(d) => {
            ws.write_number_with_format(row, col, serial_day(*d), &f.date)?;
        }
        Cell::Time(t) => {
            ws.write_number_with_format(row, col, serial(*t), &f.time)?;
        }
    }
    Ok(())
}

fn write_table(wb: &mut Workbook, t: &Table, heading: &str, f: &Formats) -> Result<(), Error> {
    let ws = wb.add_worksheet();
    ws.set_name(t.name)?;
    ws.write_string_with_format(0, 0, &t.title, &f.title)?;
    ws.write_string_with_format(1, 0, heading, &f.subtitle)?;
    for (i, c) in t.columns.iter().enumerate() {
        let col = u16::try_from(i).map_err(|_| Error::TooWide(t.name))?;
        ws.set_column_width(col, c.width)?;
        ws.write_string_with_format(HEADER_ROW, col, &c.header, &f.header)?;
    }
    let mut row = HEADER_ROW + 1;
    for cells in &t.rows {
        for (i, cell) in cells.iter().enumerate() {
            let col = u16::try_from(i).map_err(|_| Error::TooWide(t.name))?;
            write_cell(ws, row, col, cell, f, false)?;
        }
        row += 1;
    }
    if let Some(total) = &t.total {
        for (i, cell) in total.iter().enumerate() {
            let col = u16::try_from(i).map_err(|_| Error::TooWide(t.name))?;
            write_cell(ws, row, col, cell, f, true)?;
        }
        row += 1;
    }
    if let Some(note) = &t.note {
        ws.write_string_with_format(row + 1, 0, note, &f.note)?;
    }
    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
    ws.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    ws.set_landscape();
    // A4, one page wide however long.
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

/// The report as an XLSX workbook.
pub(crate) fn write(d: &ReportData) -> Result<Vec<u8>, Error> {
    let mut wb = Workbook::new();
    // Document properties keep their times in UTC.
    let utc = d.generated_at.naive_utc();
    let created = ExcelDateTime::from_serial_datetime(
        serial_day(utc.date()) + f64::from(utc.num_seconds_from_midnight()) / 86_400.0,
    )?;
    let title = report_title(d);
    wb.set_properties(
        &DocProperties::new()
            .set_title(&title)
            .set_subject(&d.period.label)
            .set_author(if d.office.is_empty() { "Lắng Nghe" } else { d.office.as_str() })
            .set_comment("Lập bằng Lắng Nghe")
            .set_creation_datetime(&created),
    );
    let f = Formats::new();
    let heading = if d.office.is_empty() {
        d.period.label.clone()
    } else {
        format!("{} · {}", d.office, d.period.label)
    };
    for t in tables(d) {
        write_table(&mut wb, &t, &heading, &f)?;
    }
    Ok(wb.save_to_buffer()?)
}
