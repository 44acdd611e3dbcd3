//! The period report written out: an XLSX workbook (one sheet per table, named as the
//! export specification names them), a CSV file (UTF-8 with a byte-order mark, for Excel and
//! the Ministry's Google Sheet) and a printable HTML page with charts.
//!
//! The crate is pure: it takes a [`ReportData`] the store gathered and returns bytes; it
//! reads no clock, no file and no database. [`period`] names the reporting periods.
#![warn(missing_docs)]

mod csv_out;
mod html;
pub mod period;
mod tables;
mod xlsx;

pub use csv_out::{BOM, cell_text};
pub use html::{STYLESHEET, Stylesheet, vi_number};
pub use model::report::ReportData;
pub use period::{Cutoffs, PeriodError};
pub use tables::{Cell, Column, Group, SHEETS, Table, kind_label, month_label, tables, tier_label};
pub use xlsx::{HEADER_ROW, serial, serial_of_day};

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spreadsheet writer refused.
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// A table has more columns than a sheet.
    #[error("table {0} has too many columns for a sheet")]
    TooWide(&'static str),
}

/// The formats a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An XLSX workbook.
    Xlsx,
    /// A CSV file.
    Csv,
    /// A printable HTML page.
    Html,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Xlsx, Format::Csv, Format::Html];

    /// Its name: `xlsx`, `csv`, `html` (also the file extension).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }

    /// The format named `s`.
    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Its media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// The report's title (the period follows it on every sheet and page).
pub fn report_title(_d: &ReportData) -> String {
    "Báo cáo công tác thông tin, truyền thông y tế".to_owned()
}

/// A file name for the report in `format`: `bao-cao-2026-H1.xlsx`.
pub fn file_name(d: &ReportData, format: Format) -> String {
    format!("bao-cao-{}.{}", d.period.code, format.as_str())
}

/// The report as an XLSX workbook.
pub fn xlsx(d: &ReportData) -> Result<Vec<u8>, Error> {
    xlsx::write(d)
}

/// The report as one CSV file holding every table.
pub fn csv(d: &ReportData) -> Vec<u8> {
    csv_out::write(d)
}

/// One table of the report as a CSV file, named by its sheet name.
pub fn csv_sheet(d: &ReportData, sheet: &str) -> Option<Vec<u8>> {
    csv_out::write_sheet(d, sheet)
}

/// The report as a printable HTML page.
pub fn html(d: &ReportData, stylesheet: &Stylesheet) -> String {
    html::write(d, stylesheet)
}

/// The report in `format`, as bytes.
pub fn render(d: &ReportData, format: Format, stylesheet: &Stylesheet) -> Result<Vec<u8>, Error> {
    match format {
        Format::Xlsx => xlsx(d),
        Format::Csv => Ok(csv(d)),
        Format::Html => Ok(html(d, stylesheet).into_bytes()),
    }
}
