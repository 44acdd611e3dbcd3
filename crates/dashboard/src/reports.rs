//! The period report on the dashboard: `/reports` chooses a half-year (or any range of
//! days), shows its summary and the office's own activity counts (officers and admins enter
//! them, viewers read them), and links to the workbook, the CSV file and the printable page
//! (`/reports/export`, `/reports/view`, with its style sheet at `/static/report.css`).
//!
//! The figures come from `Store::report_data` and the files from the `report` crate: the
//! same functions `langnghe report` calls, so a download and the command give one report.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Datelike, Utc};
use model::Timestamp;
use model::report::{ActivityIndicator, HealthDayWindow, ReportPeriod, ReportRequest};
use report::{Cutoffs, Format, Stylesheet, period};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, Officer, role_allows, same_secret};
use crate::error::AppError;
use crate::pages::chrome;
use crate::params::{link, present};
use crate::views::{Chrome, vn_time};

/// Where the printable page's style sheet is served (pages forbid inline styles).
pub(crate) const STYLESHEET_PATH: &str = "/static/report.css";
/// Half-years offered in the period list.
const OFFERED: usize = 6;
/// Longest note kept with an activity count.
const MAX_NOTE_CHARS: usize = 500;

/// How reports are made: the half-year cut-offs, the office's name, and what the
/// definitions sheet says about the running software.
#[derive(Debug, Clone, Default)]
pub struct ReportSettings {
    /// The last days of the two halves of a report year.
    pub cutoffs: Cutoffs,
    /// The office the reports are from, such as "Sở Y tế tỉnh Lạng Sơn" (may be empty).
    pub office: String,
    /// Lines for the definitions sheet: (name, value).
    pub about: Vec<(String, String)>,
}

impl AppState {
    /// Makes reports with `settings` (by default: cut-offs 15/6 and 15/11, no office name).
    pub fn with_reports(mut self, settings: ReportSettings) -> AppState {
        self.reports = std::sync::Arc::new(settings);
        self
    }
}

/// The province names by code, from the gazetteer.
pub fn province_names() -> BTreeMap<String, String> {
    gazetteer::units().iter().map(|u| (u.code.to_owned(), u.short.to_owned())).collect()
}

/// The occurrences of the packs' health days that touch `p`, with their related rules.
pub fn health_day_windows(set: &rules::RuleSet, p: &ReportPeriod) -> Vec<HealthDayWindow> {
    let mut out: Vec<HealthDayWindow> = Vec::new();
    for day in set.days() {
        let rules: Vec<String> = set.related_rules(day).iter().map(|r| r.id.to_string()).collect();
        for when in &day.when {
            // An occurrence starting the year before may run into the period (20/12 – 10/01).
            for year in p.first.year() - 1..=p.last.year() {
                let (first, last) = when.dates_in(year);
                if last < p.first || first > p.last {
                    continue;
                }
                if out.iter().any(|w| w.id == day.id && w.first == first && w.last == last) {
                    continue;
                }
                out.push(HealthDayWindow {
                    id: day.id.clone(),
                    title: day.title.clone(),
                    first,
                    last,
                    rules: rules.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.first.cmp(&b.first).then(a.id.cmp(&b.id)));
    out
}

/// What the store needs for the report of `p`: the period before it, the health days of
/// both, province names and the definitions lines.
pub fn report_request(
    p: ReportPeriod,
    settings: &ReportSettings,
    rules: Option<&rules::RuleSet>,
    now: Timestamp,
) -> ReportRequest {
    let previous = period::previous(&p, &settings.cutoffs);
    let (health_days, previous_health_days) = match rules {
        Some(set) => (health_day_windows(set, &p), health_day_windows(set, &previous)),
        None => (Vec::new(), Vec::new()),
    };
    let mut about = settings.about.clone();
    if let Some(set) = rules {
        about.push(("Quy tắc đang dùng".to_owned(), format!("{} quy tắc", set.len())));
    }
    about.push((
        "Danh mục địa bàn".to_owned(),
        format!(
            "{} tỉnh, thành phố theo Nghị quyết 202/2025/QH15 (từ 01/07/2025)",
            gazetteer::units().len()
        ),
    ));
    let (first, second) = (settings.cutoffs.first_half_end, settings.cutoffs.second_half_end);
    about.push((
        "Kỳ báo cáo 6 tháng".to_owned(),
        format!(
            "6 tháng đầu năm: 01/01 – {:02}/{:02}; 6 tháng cuối năm: đến {:02}/{:02}",
            first.1, first.0, second.1, second.0
        ),
    ));
    ReportRequest {
        period: p,
        previous,
        health_days,
        previous_health_days,
        provinces: province_names(),
        office: settings.office.clone(),
        about,
        now,
    }
}

fn vn_today() -> chrono::NaiveDate {
    model::to_vn_time(Utc::now()).date_naive()
}

#[derive(Deserialize, Default)]
pub(crate) struct ReportParams {
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    saved: Option<String>,
}

fn date_param(v: &Option<String>) -> Result<Option<chrono::NaiveDate>, String> {
    let Some(v) = present(v) else { return Ok(None) };
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| "ngày phải có dạng năm-tháng-ngày, ví dụ 2026-06-15".to_owned())
}

/// The period asked for: a code (`2026-H1`, a range's code), a range, or the current half.
fn chosen(p: &ReportParams, cutoffs: &Cutoffs) -> Result<ReportPeriod, String> {
    let (from, to) = (date_param(&p.from)?, date_param(&p.to)?);
    match present(&p.period) {
        Some(code) if from.is_none() && to.is_none() => {
            period::from_code(code, cutoffs).map_err(|e| e.vi())
        }
        _ => period::resolve(None, from, to, vn_today(), cutoffs).map_err(|e| e.vi()),
    }
}

async fn gather(state: &AppState, p: ReportPeriod) -> Result<model::report::ReportData, AppError> {
    let set = state.rules.as_ref().map(|r| r.current_set());
    let req = report_request(p, &state.reports, set.as_deref(), Utc::now());
    Ok(state.store.report_data(&req).await?)
}

/// One line of the summary as the page shows it.
pub(crate) struct SummaryLine {
    code: &'static str,
    part: &'static str,
    name: String,
    unit: &'static str,
    value: String,
    previous: String,
    change: String,
}

/// One activity count as the page shows and edits it.
pub(crate) struct ActivityLine {
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    value: String,
    note: String,
    previous: String,
    by: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
pub(crate) struct ReportsPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    offered: Vec<(String, String)>,
    selected: String,
    from: String,
    to: String,
    label: String,
    previous: String,
    at: String,
    code: String,
    xlsx: String,
    csv: String,
    html: String,
    view: String,
    summary: Vec<SummaryLine>,
    activity: Vec<ActivityLine>,
    can_edit: bool,
}

fn shown(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(v) if unit == "giờ" || unit == "%" || v.fract() != 0.0 => report::vi_number(v, 1),
        Some(v) => report::vi_number(v, 0),
        None => "—".to_owned(),
    }
}

fn links(code: &str) -> [String; 4] {
    let export = |f: &str| link("/reports/export", &[("period", code), ("format", f)]);
    [export("xlsx"), export("csv"), export("html"), link("/reports/view", &[("period", code)])]
}

pub(crate) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<ReportParams>,
) -> Result<Response, AppError> {
    let cutoffs = state.reports.cutoffs;
    let mut page = ReportsPage {
        chrome: chrome(&user),
        error: None,
        notice: present(&p.saved).map(|_| "Đã lưu số liệu hoạt động của đơn vị.".to_owned()),
        offered: period::recent(vn_today(), OFFERED, &cutoffs)
            .into_iter()
            .map(|q| (q.code, q.label))
            .collect(),
        selected: String::new(),
        from: present(&p.from).unwrap_or("").chars().take(10).collect(),
        to: present(&p.to).unwrap_or("").chars().take(10).collect(),
        label: String::new(),
        previous: String::new(),
        at: String::new(),
        code: String::new(),
        xlsx: String::new(),
        csv: String::new(),
        html: String::new(),
        view: String::new(),
        summary: Vec::new(),
        activity: Vec::new(),
        can_edit: role_allows(user.user.role, model::Role::Officer),
    };
    let chosen = match chosen(&p, &cutoffs) {
        Ok(c) => c,
        Err(message) => {
            page.error = Some(format!("Kỳ báo cáo không hợp lệ: {message}."));
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
    };
    if !page.offered.iter().any(|o| o.0 == chosen.code) {
        page.from = chosen.first.to_string();
        page.to = chosen.last.to_string();
        // So the list shows what is on the page.
        page.offered.insert(0, (chosen.code.clone(), chosen.label.clone()));
    }
    let data = gather(&state, chosen).await?;
    page.selected = data.period.code.clone();
    page.label = data.period.label.clone();
    page.previous = data.previous.label.clone();
    page.at = data.period.as_of(data.figures_at);
    page.code = data.period.code.clone();
    [page.xlsx, page.csv, page.html, page.view] = links(&data.period.code);
    page.summary = data
        .summary
        .iter()
        .filter(|i| i.part != model::report::Part::Activity)
        .map(|i| SummaryLine {
            code: i.code,
            part: i.part.label(),
            name: i.name.clone(),
            unit: i.unit,
            value: shown(i.value, i.unit),
            previous: shown(i.previous, i.unit),
            change: i.change_percent().map_or_else(
                || "—".to_owned(),
                |c| format!("{}{}%", if c > 0.0 { "+" } else { "" }, report::vi_number(c, 1)),
            ),
        })
        .collect();
    page.activity = data
        .activity
        .iter()
        .map(|a| ActivityLine {
            key: a.indicator.as_str(),
            label: a.indicator.label(),
            unit: a.indicator.unit(),
            value: a.entry.as_ref().map_or_else(String::new, |e| e.value.to_string()),
            note: a.entry.as_ref().map_or_else(String::new, |e| e.note.clone()),
            previous: a.previous.map_or_else(|| "—".to_owned(), |v| report::vi_number(v as f64, 0)),
            by: a.entry.as_ref().map_or_else(String::new, |e| {
                format!("{} · {}", e.author.as_deref().unwrap_or(""), vn_time(e.updated_at))
            }),
        })
        .collect();
    Ok(Html(page.render()?).into_response())
}

/// A report file to download: `format` is `xlsx`, `csv` or `html`.
pub(crate) async fn export(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(p): Query<ReportParams>,
) -> Result<Response, AppError> {
    let cutoffs = state.reports.cutoffs;
    let format = match present(&p.format) {
        None => Format::Xlsx,
        Some(f) => Format::parse(f).ok_or_else(|| {
            AppError::BadRequest("Định dạng phải là xlsx, csv hoặc html.".to_owned())
        })?,
    };
    let chosen = chosen(&p, &cutoffs)
        .map_err(|m| AppError::BadRequest(format!("Kỳ báo cáo không hợp lệ: {m}.")))?;
    let data = gather(&state, chosen).await?;
    let bytes = report::render(&data, format, &Stylesheet::Inline)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let disposition = format!("attachment; filename=\"{}\"", report::file_name(&data, format));
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// The printable page, served with its style sheet linked.
pub(crate) async fn view(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(p): Query<ReportParams>,
) -> Result<Response, AppError> {
    let chosen = chosen(&p, &state.reports.cutoffs)
        .map_err(|m| AppError::BadRequest(format!("Kỳ báo cáo không hợp lệ: {m}.")))?;
    let data = gather(&state, chosen).await?;
    Ok(Html(report::html(&data, &Stylesheet::Link(STYLESHEET_PATH.to_owned()))).into_response())
}

pub(crate) async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], report::STYLESHEET).into_response()
}

/// Saves the office's counts for a period: fields `v_<indicator>` (a whole number, or empty
/// to clear) and `n_<indicator>` (a note).
pub(crate) async fn save_activity(
    State(state): State<AppState>,
    Officer(user): Officer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if !same_secret(&user.csrf, get("csrf").unwrap_or("")) {
        return Err(AppError::Forbidden);
    }
    let code = get("period").unwrap_or("").trim().to_owned();
    let p = period::from_code(&code, &state.reports.cutoffs)
        .map_err(|e| AppError::BadRequest(format!("Kỳ báo cáo không hợp lệ: {}.", e.vi())))?;
    let mut values = Vec::new();
    for &indicator in ActivityIndicator::ALL {
        let key = indicator.as_str();
        let Some(raw) = get(&format!("v_{key}")) else { continue };
        let raw: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '.').collect();
        let value = if raw.is_empty() {
            None
        } else {
            match raw.parse::<i64>() {
                Ok(n) if n >= 0 => Some(n),
                _ => {
                    return Err(AppError::BadRequest(format!(
                        "“{}” phải là một số nguyên không âm.",
                        indicator.label()
                    )));
                }
            }
        };
        let note: String =
            get(&format!("n_{key}")).unwrap_or("").trim().chars().take(MAX_NOTE_CHARS).collect();
        values.push((indicator, value, note));
    }
    let now = Utc::now();
    let changed = state.store.set_office_activity(&p, &values, &user.user.name, now).await?;
    if changed > 0 {
        state
            .store
            .audit(
                Some(user.user.id),
                "report.activity",
                &p.code,
                &format!("{changed} activity counts changed"),
                now,
            )
            .await?;
        tracing::info!(period = %p.code, user = %user.user.name, n_changed = changed, "Activity counts saved.");
    }
    let back = link("/reports", &[("period", &p.code), ("saved", "1")]);
    Ok(Redirect::to(&format!("{back}#hoat-dong")).into_response())
}

/// The pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(page))
        .route("/reports/export", get(export))
        .route("/reports/view", get(view))
        .route("/reports/activity", post(save_activity))
        .route("/static/report.css", get(stylesheet))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_days_touching_a_period_are_found_with_their_rules() {
        let dir = std::env::temp_dir().join(format!("ln-report-days-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let pack = r#"
[[rules]]
id = "topic.sxh"
kind = "topic"
title = "Sốt xuất huyết"
severity = "low"
query = '"sốt xuất huyết"'
match = ["Ca sốt xuất huyết tăng"]

[[days]]
id = "asean-sxh"
title = "Ngày ASEAN phòng chống sốt xuất huyết"
when = "15/06"
lead_days = 7
rules = ["topic.sxh"]
source = "thử"

[[days]]
id = "tet"
title = "Tháng hành động Tết"
when = "20/12 - 10/01"
lead_days = 7
rules = ["topic.sxh"]
source = "thử"
"#;
        let _ = std::fs::write(dir.join("p.toml"), pack);
        let (set, diags) = rules::RuleSet::load_dir(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(diags.is_empty(), "{diags:?}");
        let h1 = period::half(2026, true, &Cutoffs::default());
        let w = health_day_windows(&set, &h1);
        let got: Vec<(&str, String, String)> =
            w.iter().map(|w| (w.id.as_str(), w.first.to_string(), w.last.to_string())).collect();
        assert_eq!(
            got,
            [
                ("tet", "2025-12-20".to_owned(), "2026-01-10".to_owned()),
                ("asean-sxh", "2026-06-15".to_owned(), "2026-06-15".to_owned()),
            ]
        );
        assert_eq!(w[0].rules, ["topic.sxh"]);
        let h2 = period::half(2026, false, &Cutoffs::default());
        assert!(health_day_windows(&set, &h2).is_empty());
    }
}
