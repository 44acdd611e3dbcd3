//! The health-day calendar: `/calendar` lists the days of the packs' `[[days]]` under way
//! and coming (one entry per day, `jobs::digests::upcoming_days_within`), with what has
//! been published on their related rules since each day's preparation began, and the
//! message the office plans for it. Anyone logged in reads; officers and admins write the
//! plan (`POST /calendar/notes`), every save kept with its author and time.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use jobs::digests::{UpcomingDay, related_ids, upcoming_days_within};
use model::Role;
use serde::Deserialize;
use store::MAX_NOTE_CHARS;

use crate::AppState;
use crate::auth::{CurrentUser, Officer, role_allows, same_secret};
use crate::error::AppError;
use crate::pages::chrome;
use crate::params;
use crate::views::{Chrome, vn_time};

/// How far ahead the calendar looks, in days.
const HORIZON: u32 = jobs::digests::CALENDAR_DAYS;
/// Documents of a day's coverage listed.
const LATEST: i64 = 3;
/// The years a calendar may be asked for.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/calendar", get(page)).route("/calendar/notes", post(save))
}

#[derive(Deserialize, Default)]
pub(crate) struct CalendarParams {
    date: Option<String>,
}

pub(crate) struct CoverageView {
    since: String,
    documents: i64,
    stories: i64,
    outlets: i64,
    /// `(id, title, source, time)`.
    latest: Vec<LatestView>,
}

pub(crate) struct LatestView {
    id: i64,
    title: String,
    source: String,
    at: String,
}

pub(crate) struct NoteView {
    note: String,
    author: String,
    at: String,
}

pub(crate) struct DayView {
    key: String,
    anchor: String,
    title: String,
    dates: String,
    marked: String,
    status: String,
    ongoing: bool,
    preparing: bool,
    /// `(title, trends link)`.
    related: Vec<(String, String)>,
    coverage: Option<CoverageView>,
    no_coverage: String,
    current: Option<NoteView>,
    history: Vec<NoteView>,
    source: String,
}

#[derive(Template)]
#[template(path = "calendar.html")]
pub(crate) struct CalendarPage {
    chrome: Chrome,
    error: Option<String>,
    date: String,
    horizon: u32,
    can_write: bool,
    max_note: usize,
    days: Vec<DayView>,
}

fn vn_today() -> NaiveDate {
    model::to_vn_time(Utc::now()).date_naive()
}

fn day_month(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The calendar's date: today, or the one asked for.
fn date_param(value: &Option<String>, today: NaiveDate) -> Result<NaiveDate, String> {
    let Some(v) = params::present(value) else { return Ok(today) };
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        let shown: String = v.chars().filter(|c| !c.is_control()).take(20).collect();
        format!("ngày “{shown}” không đúng dạng năm-tháng-ngày, ví dụ 2026-12-07")
    })?;
    if !YEARS.contains(&date.year()) {
        return Err(format!("năm phải từ {} đến {}", YEARS.start(), YEARS.end()));
    }
    Ok(date)
}

fn status(d: &UpcomingDay) -> (String, bool, bool) {
    if d.days_until == 0 {
        ("Đang diễn ra".to_owned(), true, false)
    } else if d.needs_preparation {
        (format!("Còn {} ngày · cần chuẩn bị", d.days_until), false, true)
    } else {
        (format!("Còn {} ngày", d.days_until), false, false)
    }
}

async fn view(state: &AppState, d: &UpcomingDay, date: NaiveDate) -> Result<DayView, AppError> {
    let since = d.run_up();
    let coverage = if d.related.is_empty() || since > date {
        None
    } else {
        let c = state
            .store
            .rule_coverage(
                &related_ids(d),
                alerts::kpi::vn_day_end(since) - Duration::days(1),
                alerts::kpi::vn_day_end(date.min(d.end)),
                LATEST,
            )
            .await?;
        Some(CoverageView {
            since: day_month(since),
            documents: c.documents,
            stories: c.stories,
            outlets: c.outlets,
            latest: c
                .latest
                .into_iter()
                .map(|l| LatestView {
                    id: l.id,
                    title: l.title,
                    source: l.source,
                    at: vn_time(l.at),
                })
                .collect(),
        })
    };
    let no_coverage = if d.related.is_empty() {
        "Ngày này chưa gắn quy tắc theo dõi nào trong bộ quy tắc.".to_owned()
    } else {
        format!("Bắt đầu chuẩn bị từ {}: khi đó sẽ tính lượng tin bài.", day_month(since))
    };
    let (status, ongoing, preparing) = status(d);
    let dates = if d.start == d.end {
        day_month(d.start)
    } else {
        format!("{} – {}", day_month(d.start), day_month(d.end))
    };
    Ok(DayView {
        key: d.key.clone(),
        anchor: format!("ngay-{}", d.key.replace(['.', '@'], "-")),
        title: d.title.clone(),
        dates,
        marked: d
            .marked
            .iter()
            .map(|m| m.format("%d/%m").to_string())
            .collect::<Vec<_>>()
            .join(", "),
        status,
        ongoing,
        preparing,
        related: d
            .related
            .iter()
            .map(|(id, title)| (title.clone(), params::link("/trends", &[("topic", id)])))
            .collect(),
        coverage,
        no_coverage,
        current: None,
        history: Vec::new(),
        source: d.source.clone(),
    })
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<CalendarParams>,
) -> Result<Response, AppError> {
    let today = vn_today();
    let (date, error) = match date_param(&p.date, today) {
        Ok(d) => (d, None),
        Err(e) => (today, Some(e)),
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = render(&state, &user, date, error).await?;
    Ok((status, Html(page)).into_response())
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    date: NaiveDate,
    error: Option<String>,
) -> Result<String, AppError> {
    let rules = state.rule_set();
    let upcoming = upcoming_days_within(&rules, date, HORIZON);
    let keys: Vec<String> = upcoming.iter().map(|d| d.key.clone()).collect();
    let notes = state.store.health_day_notes(&keys).await?;
    let mut days = Vec::with_capacity(upcoming.len());
    for d in &upcoming {
        let mut v = view(state, d, date).await?;
        let mut mine = notes.iter().filter(|n| n.day_key == d.key).map(|n| NoteView {
            note: n.note.clone(),
            author: n.author.clone(),
            at: vn_time(n.updated_at),
        });
        v.current = mine.next().filter(|n| !n.note.is_empty());
        v.history = mine.collect();
        days.push(v);
    }
    Ok(CalendarPage {
        chrome: chrome(user),
        error,
        date: date.format("%Y-%m-%d").to_string(),
        horizon: HORIZON,
        can_write: role_allows(user.user.role, Role::Officer),
        max_note: MAX_NOTE_CHARS,
        days,
    }
    .render()?)
}

#[derive(Deserialize, Default)]
pub(crate) struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    day_key: String,
    #[serde(default)]
    note: String,
}

async fn save(
    State(state): State<AppState>,
    Officer(user): Officer,
    Form(form): Form<NoteForm>,
) -> Result<Response, AppError> {
    if !same_secret(&user.csrf, &form.csrf) {
        return Err(AppError::Forbidden);
    }
    let today = vn_today();
    let date = date_param(&form.date, today).map_err(AppError::BadRequest)?;
    let rules = state.rule_set();
    // Only a day the calendar of that date shows: the key is not free text.
    let Some(day) =
        upcoming_days_within(&rules, date, HORIZON).into_iter().find(|d| d.key == form.day_key)
    else {
        return Err(AppError::BadRequest(
            "Ngày sức khỏe này không có trong lịch; hãy tải lại trang lịch.".to_owned(),
        ));
    };
    if form.note.trim().chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::BadRequest(format!("Thông điệp dài tối đa {MAX_NOTE_CHARS} ký tự.")));
    }
    state.store.add_health_day_note(&day.key, &form.note, &user.user.name, Utc::now()).await?;
    tracing::info!(day = %day.key, user = %user.user.name, "Health day plan saved.");
    let back = params::link("/calendar", &[("date", &date.format("%Y-%m-%d").to_string())]);
    Ok(Redirect::to(&format!("{back}#ngay-{}", day.key.replace(['.', '@'], "-"))).into_response())
}
