//! The digest on the dashboard: `/digest?date=YYYY-MM-DD&role=leadership|officer|spokesperson`
//! shows the very digest the e-mail carries (`jobs::digests::compose_digest`), its HTML
//! inside the page and its plain text beneath, for any logged-in user. An officer's digest
//! is the reader's own queue.
//!
//! The e-mail's HTML styles itself inline and shows its charts as images, which the
//! dashboard's default Content-Security-Policy forbids (`style-src 'self'`, `img-src
//! 'self'`), so this page sends its own policy allowing inline styles and `data:` images,
//! and nothing more: scripts stay limited to the dashboard's own file.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, NaiveDate, Utc};
use digest::Audience;
use model::Role;
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::chrome;
use crate::params;
use crate::views::Chrome;

/// The furthest back a digest can be asked for: a year of handling.
const MAX_DAYS_BACK: i64 = 366;

/// The policy of this page: the default one, with inline styles and `data:` images.
const POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/digest", get(page))
}

#[derive(Deserialize, Default)]
pub(crate) struct DigestParams {
    date: Option<String>,
    role: Option<String>,
}

#[derive(Template)]
#[template(path = "digest.html")]
pub(crate) struct DigestPage {
    chrome: Chrome,
    error: Option<String>,
    date: String,
    /// `(value, label, selected)`.
    roles: Vec<(&'static str, &'static str, bool)>,
    previous: String,
    next: Option<String>,
    subject: String,
    /// The digest's HTML, composed by the `digest` crate, which escapes every piece of text
    /// it is given; charts as `data:` images.
    body: String,
    text: String,
}

fn vn_today() -> NaiveDate {
    model::to_vn_time(Utc::now()).date_naive()
}

/// Reads the day and the reader; a missing one is today and the reader the user's role
/// suggests (officers their queue, others the summary).
fn choose(p: &DigestParams, role: Role, today: NaiveDate) -> Result<(NaiveDate, Audience), String> {
    let date = match params::present(&p.date) {
        None => today,
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
            let shown: String = v.chars().filter(|c| !c.is_control()).take(20).collect();
            format!("ngày “{shown}” không đúng dạng năm-tháng-ngày, ví dụ 2026-12-07")
        })?,
    };
    if date > today {
        return Err("chưa có bản tin của ngày trong tương lai".to_owned());
    }
    if (today - date).num_days() > MAX_DAYS_BACK {
        return Err(format!("chỉ xem được bản tin trong {MAX_DAYS_BACK} ngày gần đây"));
    }
    let audience = match params::present(&p.role) {
        None if role == Role::Officer => Audience::Officer,
        None => Audience::Leadership,
        Some(v) => v.parse::<Audience>().map_err(|_| {
            "người nhận phải là lãnh đạo (leadership), cán bộ xử lý (officer) hoặc người phát ngôn (spokesperson)"
                .to_owned()
        })?,
    };
    Ok((date, audience))
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<DigestParams>,
) -> Result<Response, AppError> {
    let today = vn_today();
    let mut page = DigestPage {
        chrome: chrome(&user),
        error: None,
        date: params::present(&p.date).unwrap_or_default().chars().take(20).collect(),
        roles: Vec::new(),
        previous: String::new(),
        next: None,
        subject: String::new(),
        body: String::new(),
        text: String::new(),
    };
    let (date, audience) = match choose(&p, user.user.role, today) {
        Ok(chosen) => chosen,
        Err(e) => {
            page.error = Some(e);
            page.roles = Audience::ALL.iter().map(|a| (a.as_str(), a.label(), false)).collect();
            return Ok(answer(StatusCode::BAD_REQUEST, page.render()?));
        }
    };
    let rules = state.rule_set();
    let composed = jobs::digests::compose_digest(
        &state.store,
        &rules,
        audience,
        date,
        Utc::now(),
        // Links stay on the dashboard the page was opened from.
        "",
        Some(&user.user),
    )
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let link = |d: NaiveDate| {
        params::link(
            "/digest",
            &[("date", &d.format("%Y-%m-%d").to_string()), ("role", audience.as_str())],
        )
    };
    page.date = date.format("%Y-%m-%d").to_string();
    page.roles = Audience::ALL.iter().map(|a| (a.as_str(), a.label(), *a == audience)).collect();
    page.previous = link(date - Duration::days(1));
    page.next = (date < today).then(|| link(date + Duration::days(1)));
    page.body = composed.with_data_images(true);
    page.subject = composed.subject;
    page.text = composed.text;
    Ok(answer(StatusCode::OK, page.render()?))
}

fn answer(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(date: Option<&str>, role: Option<&str>) -> DigestParams {
        DigestParams { date: date.map(str::to_owned), role: role.map(str::to_owned) }
    }

    #[test]
    fn the_day_and_reader_are_read_with_sensible_defaults() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
        assert_eq!(choose(&p(None, None), Role::Officer, today), Ok((today, Audience::Officer)));
        assert_eq!(choose(&p(None, None), Role::Viewer, today), Ok((today, Audience::Leadership)));
        assert_eq!(
            choose(&p(Some("2026-11-19"), Some("spokesperson")), Role::Viewer, today),
            Ok((today - Duration::days(1), Audience::Spokesperson))
        );
        assert!(choose(&p(Some("2026-11-21"), None), Role::Admin, today).is_err());
        assert!(choose(&p(Some("20/11/2026"), None), Role::Admin, today).is_err());
        assert!(choose(&p(None, Some("boss")), Role::Admin, today).is_err());
        assert!(choose(&p(Some("2024-01-01"), None), Role::Admin, today).is_err());
    }
}
