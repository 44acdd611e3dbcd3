//! Exports of a search's results: `/search/export.csv` and `/search/export.xlsx`, the same
//! query, filters and order as the search page, up to [`MAX_EXPORT`] results.
//!
//! Neither holds the results in memory. Both read the search a page of [`EXPORT_PAGE`] at
//! a time, following the cursor, through the same search pool (time budget, concurrency
//! limit) as the page. The CSV body is a stream: each chunk is one page's rows, produced
//! only when the client has taken the chunk before. The XLSX is written row by row by
//! `rust_xlsxwriter` in its constant-memory mode (rows go to a temporary file as they are
//! written), saved to a temporary file, and that file is streamed and removed.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Timelike, Utc};
use futures_util::Stream;
use model::Timestamp;

use super::{Criteria, SearchParams, resolve, rule_titles};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::searching::SearchFailure;
use crate::views::tier_label;

/// The most results one export carries.
pub(crate) const MAX_EXPORT: usize = 10_000;
/// Results read per page.
pub(crate) const EXPORT_PAGE: usize = search::MAX_LIMIT;

/// One result as an export row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExportRow {
    pub(crate) id: i64,
    pub(crate) time: Timestamp,
    pub(crate) source: String,
    pub(crate) tier: &'static str,
    pub(crate) province: String,
    pub(crate) topics: String,
    pub(crate) reach: Option<i64>,
    pub(crate) title: String,
    pub(crate) snippet: String,
    pub(crate) url: String,
}

/// The columns, in Vietnamese, as both formats head them.
pub(crate) const COLUMNS: [&str; 10] = [
    "Mã bài",
    "Thời gian (giờ Việt Nam)",
    "Nguồn",
    "Loại nguồn",
    "Tỉnh, thành",
    "Chủ đề và quy tắc",
    "Lượt tương tác",
    "Tiêu đề",
    "Đoạn trích",
    "Đường dẫn",
];

/// Where an export's rows come from, one page per call: `None` when there are no more.
pub(crate) trait Pages: Send + 'static {
    fn next_page(
        &mut self,
    ) -> impl Future<Output = Result<Option<Vec<ExportRow>>, AppError>> + Send;
}

/// The pages of a search, read through the dashboard's search pool.
pub(crate) struct SearchPages {
    state: AppState,
    q: String,
    request: search::SearchRequest,
    sources: std::sync::Arc<crate::directory::Sources>,
    titles: HashMap<String, String>,
    left: usize,
    done: bool,
}

impl SearchPages {
    pub(crate) async fn new(state: &AppState, c: &Criteria) -> Result<SearchPages, AppError> {
        Ok(SearchPages {
            request: search::SearchRequest {
                sort: c.sort,
                limit: EXPORT_PAGE,
                filter: resolve(state, &c.filters).await?,
                ..search::SearchRequest::default()
            },
            q: c.q.clone(),
            sources: super::sources(state).await?,
            titles: HashMap::new(),
            state: state.clone(),
            left: MAX_EXPORT,
            done: false,
        })
    }
}

fn plain(fragments: &[search::Fragment]) -> String {
    fragments.iter().map(|f| f.text.as_str()).collect::<String>().replace(['\n', '\r'], " ")
}

fn failure(e: SearchFailure, q: &str) -> AppError {
    match e {
        SearchFailure::Query { offset, message } => AppError::BadRequest(format!(
            "Câu truy vấn chưa đúng (vị trí {}): {message}",
            query::line_col(q, offset).1
        )),
        SearchFailure::Other(e) => e,
    }
}

impl Pages for SearchPages {
    async fn next_page(&mut self) -> Result<Option<Vec<ExportRow>>, AppError> {
        if self.done || self.left == 0 {
            return Ok(None);
        }
        self.request.limit = EXPORT_PAGE.min(self.left);
        let results = self
            .state
            .searches
            .search(&self.q, self.request.clone())
            .await
            .map_err(|e| failure(e, &self.q))?;
        let wanted: HashSet<String> = results
            .hits
            .iter()
            .flat_map(|h| h.rules.iter())
            .filter(|r| !self.titles.contains_key(*r))
            .cloned()
            .collect();
        if !wanted.is_empty() {
            let found = rule_titles(&self.state, &wanted).await?;
            for id in wanted {
                let title = found.get(&id).cloned().unwrap_or_else(|| id.clone());
                self.titles.insert(id, title);
            }
        }
        let rows: Vec<ExportRow> = results
            .hits
            .iter()
            .map(|h| ExportRow {
                id: h.id,
                time: h.time,
                source: h.source.clone(),
                tier: self.sources.get(&h.source_id).map_or("", |s| tier_label(s.1)),
                province: h
                    .province
                    .as_deref()
                    .and_then(gazetteer::unit)
                    .map(|u| u.name.to_owned())
                    .unwrap_or_default(),
                topics: h
                    .rules
                    .iter()
                    .map(|r| self.titles.get(r).map_or(r.as_str(), String::as_str))
                    .collect::<Vec<_>>()
                    .join("; "),
                reach: h.reach,
                title: plain(&h.title),
                snippet: plain(&h.snippet),
                url: h.url.clone(),
            })
            .collect();
        self.left = self.left.saturating_sub(rows.len());
        match results.next {
            Some(next) => self.request.after = Some(next),
            None => self.done = true,
        }
        Ok(if rows.is_empty() { None } else { Some(rows) })
    }
}

/// A cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a tab or a
/// return first) is written after an apostrophe: scraped text must not run in Excel.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn vn(time: Timestamp) -> String {
    model::to_vn_time(time).format("%Y-%m-%d %H:%M").to_string()
}

/// One page of rows as CSV, after the header (and a byte-order mark, for spreadsheets to
/// read UTF-8) when `first`.
fn csv_chunk(rows: &[ExportRow], first: bool) -> Result<Bytes, csv::Error> {
    let mut out = Vec::with_capacity(rows.len() * 300);
    if first {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    {
        let mut w = csv::Writer::from_writer(&mut out);
        if first {
            w.write_record(COLUMNS)?;
        }
        for r in rows {
            w.write_record([
                r.id.to_string(),
                vn(r.time),
                cell(&r.source),
                r.tier.to_owned(),
                r.province.clone(),
                cell(&r.topics),
                r.reach.map(|n| n.to_string()).unwrap_or_default(),
                cell(&r.title),
                cell(&r.snippet),
                cell(&r.url),
            ])?;
        }
        w.flush()?;
    }
    Ok(Bytes::from(out))
}

/// The CSV body: the header with the first page, then one chunk per page, each page read
/// only when the chunk before was taken. A page that fails ends the body early (the client
/// sees a cut file; the failure is logged).
pub(crate) fn csv_stream<P: Pages>(
    pages: P,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    futures_util::stream::unfold((pages, true, false), |(mut pages, first, over)| async move {
        if over {
            return None;
        }
        match pages.next_page().await {
            Ok(Some(rows)) => match csv_chunk(&rows, first) {
                Ok(bytes) => Some((Ok(bytes), (pages, false, false))),
                Err(e) => Some((Err(std::io::Error::other(e)), (pages, false, true))),
            },
            // No results at all: the header alone.
            Ok(None) if first => match csv_chunk(&[], true) {
                Ok(bytes) => Some((Ok(bytes), (pages, false, true))),
                Err(e) => Some((Err(std::io::Error::other(e)), (pages, false, true))),
            },
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = ?e, "An export stopped early.");
                Some((Err(std::io::Error::other("the export stopped early")), (pages, false, true)))
            }
        }
    })
}

/// Checks the request and opens the search's pages; `Err` is the answer to give instead.
async fn open(
    state: &AppState,
    user: &CurrentUser,
    p: &SearchParams,
    format: &str,
) -> Result<(Criteria, SearchPages), Response> {
    let c =
        p.criteria().map_err(|e| AppError::BadRequest(super::filter_error(&e)).into_response())?;
    if c.is_empty() {
        return Err(AppError::BadRequest(
            "Không có gì để xuất: hãy nhập câu truy vấn hoặc chọn bộ lọc.".to_owned(),
        )
        .into_response());
    }
    if let Err(e) = query_parses(&c.q) {
        return Err(e.into_response());
    }
    let pages = SearchPages::new(state, &c).await.map_err(IntoResponse::into_response)?;
    // Results leave the system: who took which, and in what form, is kept.
    let detail = format!("format={format} {}", c.query_string());
    let detail: String = detail.chars().take(1_000).collect();
    if let Err(e) = state
        .store
        .audit(Some(user.user.id), "search_exported", "search", &detail, Utc::now())
        .await
    {
        return Err(AppError::from(e).into_response());
    }
    Ok((c, pages))
}

/// A query that cannot be parsed is refused before any byte of the file is sent.
fn query_parses(q: &str) -> Result<(), AppError> {
    if q.trim().is_empty() {
        return Ok(());
    }
    query::parse(q).map(|_| ()).map_err(|e| {
        AppError::BadRequest(format!(
            "Câu truy vấn chưa đúng (vị trí {}): {}",
            query::line_col(q, e.offset).1,
            e.message
        ))
    })
}

fn attachment(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"))
}

fn file_name(extension: &str) -> String {
    format!("langnghe-tim-kiem-{}.{extension}", model::to_vn_time(Utc::now()).format("%Y%m%d-%H%M"))
}

pub(crate) async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<SearchParams>,
) -> Response {
    let (_, pages) = match open(&state, &user, &p, "csv").await {
        Ok(opened) => opened,
        Err(answer) => return answer,
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, attachment(&file_name("csv"))),
        ],
        Body::from_stream(csv_stream(pages)),
    )
        .into_response()
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// Writes every page into a constant-memory worksheet and saves the workbook to `path`.
pub(crate) async fn write_xlsx<P: Pages>(
    mut pages: P,
    path: &std::path::Path,
    title: &str,
) -> Result<usize, AppError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let when = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    {
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(xlsx_error)?;
        sheet.set_name("Kết quả").map_err(xlsx_error)?;
        for (i, width) in
            [8.0, 18.0, 24.0, 14.0, 16.0, 30.0, 10.0, 50.0, 60.0, 40.0].iter().enumerate()
        {
            sheet.set_column_width(i as u16, *width).map_err(xlsx_error)?;
        }
        sheet.write_string_with_format(0, 0, title, &bold).map_err(xlsx_error)?;
        for (i, c) in COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(1, i as u16, *c, &bold).map_err(xlsx_error)?;
        }
    }
    let mut row: u32 = 2;
    while let Some(rows) = pages.next_page().await? {
        let sheet = workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        for r in rows {
            let t = model::to_vn_time(r.time);
            let mut cells = || -> Result<(), rust_xlsxwriter::XlsxError> {
                sheet.write_number(row, 0, r.id as f64)?;
                let date = ExcelDateTime::from_ymd(
                    u16::try_from(t.year()).unwrap_or(1900),
                    t.month() as u8,
                    t.day() as u8,
                )?
                .and_hms(t.hour() as u16, t.minute() as u8, t.second())?;
                sheet.write_datetime_with_format(row, 1, date, &when)?;
                sheet.write_string(row, 2, &r.source)?;
                sheet.write_string(row, 3, r.tier)?;
                sheet.write_string(row, 4, &r.province)?;
                sheet.write_string(row, 5, &r.topics)?;
                if let Some(n) = r.reach {
                    sheet.write_number(row, 6, n as f64)?;
                }
                sheet.write_string(row, 7, &r.title)?;
                sheet.write_string(row, 8, &r.snippet)?;
                sheet.write_string(row, 9, &r.url)?;
                Ok(())
            };
            cells().map_err(xlsx_error)?;
            row += 1;
        }
    }
    let path = path.to_owned();
    // Assembling and compressing the file is work for a blocking thread.
    tokio::task::spawn_blocking(move || workbook.save(&path))
        .await
        .map_err(|e| AppError::Internal(format!("xlsx writer panicked: {e}")))?
        .map_err(xlsx_error)?;
    Ok((row - 2) as usize)
}

/// A file streamed in chunks; it is removed when the stream is dropped (sent or not).
pub(crate) fn file_stream(
    file: tokio::fs::File,
    keep: Arc<tempfile::TempPath>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold((file, keep), |(mut file, keep)| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), (file, keep)))
            }
            Err(e) => Some((Err(e), (file, keep))),
        }
    })
}

/// An XLSX file at a temporary path, ready to stream.
pub(crate) async fn xlsx_response(
    path: tempfile::TempPath,
    name: &str,
) -> Result<Response, AppError> {
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| AppError::Internal(format!("opening the export: {e}")))?;
    let length = file.metadata().await.map(|m| m.len()).ok();
    let mut response = (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            ),
            (header::CONTENT_DISPOSITION, attachment(name)),
        ],
        Body::from_stream(file_stream(file, Arc::new(path))),
    )
        .into_response();
    if let Some(n) = length {
        response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    Ok(response)
}

/// A temporary path for a file being written.
pub(crate) fn temp_path(suffix: &str) -> Result<tempfile::TempPath, AppError> {
    tempfile::Builder::new()
        .prefix("langnghe-export-")
        .suffix(suffix)
        .tempfile()
        .map(tempfile::NamedTempFile::into_temp_path)
        .map_err(|e| AppError::Internal(format!("temporary file: {e}")))
}

pub(crate) async fn xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<SearchParams>,
) -> Response {
    let (c, pages) = match open(&state, &user, &p, "xlsx").await {
        Ok(opened) => opened,
        Err(answer) => return answer,
    };
    let made = async {
        let path = temp_path(".xlsx")?;
        let title = if c.q.trim().is_empty() {
            "Kết quả tìm kiếm (chỉ bộ lọc)".to_owned()
        } else {
            format!("Kết quả tìm kiếm: {}", c.q)
        };
        write_xlsx(pages, &path, &title).await?;
        xlsx_response(path, &file_name("xlsx")).await
    };
    match made.await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures_util::StreamExt;

    use super::*;

    /// `pages` pages of `size` rows, counting how many were read.
    struct Counted {
        pages: usize,
        size: usize,
        read: Arc<AtomicUsize>,
    }

    impl Pages for Counted {
        async fn next_page(&mut self) -> Result<Option<Vec<ExportRow>>, AppError> {
            let n = self.read.load(Ordering::SeqCst);
            if n >= self.pages {
                return Ok(None);
            }
            self.read.fetch_add(1, Ordering::SeqCst);
            Ok(Some(
                (0..self.size)
                    .map(|i| ExportRow {
                        id: (n * self.size + i) as i64 + 1,
                        time: Utc::now(),
                        source: "Báo A".into(),
                        tier: "Báo chí",
                        province: "Đồng Nai".into(),
                        topics: "Sốt xuất huyết".into(),
                        reach: None,
                        title: format!("=HYPERLINK(\"x\") tin {i}"),
                        snippet: "Câu có \"ngoặc\", dấu phẩy\nvà xuống dòng".into(),
                        url: "https://a.vn/1".into(),
                    })
                    .collect(),
            ))
        }
    }

    #[tokio::test]
    async fn five_thousand_results_stream_a_page_at_a_time() {
        let read = Arc::new(AtomicUsize::new(0));
        let pages = Counted { pages: 50, size: 100, read: read.clone() };
        let mut stream = Box::pin(csv_stream(pages));
        let mut chunks = 0;
        let mut records = 0;
        let mut all = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            chunks += 1;
            // Each chunk is produced when asked for, from the page read for it: never
            // more pages read than chunks taken.
            assert_eq!(read.load(Ordering::SeqCst), chunks);
            all.extend_from_slice(&chunk);
            records += 1;
        }
        assert_eq!((chunks, records), (50, 50));
        let text = String::from_utf8(all).unwrap();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), COLUMNS);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 5_000);
        assert_eq!(&rows[4_999][0], "5000");
        // A formula is defused, quotes and new lines survive.
        assert!(rows[0][7].starts_with("'=HYPERLINK"), "{:?}", &rows[0][7]);
        assert_eq!(&rows[0][8], "Câu có \"ngoặc\", dấu phẩy\nvà xuống dòng");
    }

    #[tokio::test]
    async fn an_empty_export_is_its_header() {
        let read = Arc::new(AtomicUsize::new(0));
        let stream = csv_stream(Counted { pages: 0, size: 0, read });
        let chunks: Vec<_> = stream.collect().await;
        assert_eq!(chunks.len(), 1);
        let text = String::from_utf8(chunks[0].as_ref().unwrap().to_vec()).unwrap();
        assert!(text.starts_with('\u{feff}') && text.contains("Mã bài"), "{text}");
    }

    #[tokio::test]
    async fn the_xlsx_is_written_row_by_row_and_read_back() {
        let read = Arc::new(AtomicUsize::new(0));
        let path = temp_path(".xlsx").unwrap();
        let n = write_xlsx(Counted { pages: 3, size: 10, read: read.clone() }, &path, "Thử")
            .await
            .unwrap();
        assert_eq!((n, read.load(Ordering::SeqCst)), (30, 3));
        assert!(std::fs::metadata(&path).unwrap().len() > 0);
        let kept = path.to_path_buf();
        drop(path);
        assert!(!kept.exists(), "the temporary file is removed");
    }
}
