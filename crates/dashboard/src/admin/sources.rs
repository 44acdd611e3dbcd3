//! `/admin/sources`: every source with its fetch state and last error, and turning one on
//! or off (what `langnghe sources enable|disable` does).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use super::{CsrfForm, Notice, audit, check_csrf, cut, done, notice};
use crate::AppState;
use crate::auth::{Admin, CurrentUser};
use crate::error::AppError;
use crate::pages::chrome;
use crate::views::{Chrome, is_web_url, tier_label, vn_time};

/// The most of a last error shown; the rest is in the logs.
const ERROR_CHARS: usize = 300;

pub(crate) struct SourceRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
    pub(crate) kind: &'static str,
    pub(crate) tier_label: &'static str,
    pub(crate) enabled: bool,
    pub(crate) error_count: i64,
    pub(crate) last_error: String,
    pub(crate) last_fetch: String,
    pub(crate) next_poll: String,
}

#[derive(Template)]
#[template(path = "admin_sources.html")]
pub(crate) struct SourcesPage {
    pub(crate) chrome: Chrome,
    pub(crate) section: &'static str,
    pub(crate) sources: Vec<SourceRow>,
    pub(crate) enabled: usize,
    pub(crate) failing: usize,
    pub(crate) notice: Option<&'static str>,
    pub(crate) error: Option<String>,
}

async fn render(
    state: &AppState,
    me: &CurrentUser,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let sources = state.store.list_sources().await?;
    let never = || "Chưa".to_owned();
    let rows: Vec<SourceRow> = sources
        .iter()
        .map(|s| SourceRow {
            id: s.id,
            name: s.name.clone(),
            url: s.url.clone(),
            url_is_link: is_web_url(&s.url),
            kind: s.kind.as_str(),
            tier_label: tier_label(s.tier),
            enabled: s.enabled,
            error_count: s.state.error_count,
            last_error: s
                .state
                .last_error
                .as_deref()
                .map(|e| cut(e, ERROR_CHARS))
                .unwrap_or_default(),
            last_fetch: s.state.last_fetched_at.map_or_else(never, vn_time),
            next_poll: if s.enabled {
                s.state.next_poll_at.map_or_else(|| "Ngay".to_owned(), vn_time)
            } else {
                "—".to_owned()
            },
        })
        .collect();
    let page = SourcesPage {
        chrome: chrome(me),
        section: "sources",
        enabled: rows.iter().filter(|r| r.enabled).count(),
        failing: rows.iter().filter(|r| r.enabled && r.error_count > 0).count(),
        sources: rows,
        notice,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(me): Admin,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    render(&state, &me, StatusCode::OK, notice(&n.ok), None).await
}

async fn set_enabled(
    state: AppState,
    me: CurrentUser,
    id: String,
    csrf: String,
    enabled: bool,
) -> Result<Response, AppError> {
    check_csrf(&me, &csrf)?;
    let found = match id.parse::<i64>() {
        Ok(id) => state.store.source(id).await,
        Err(_) => Err(store::Error::NotFound(String::new())),
    };
    let source = match found {
        Ok(s) => s,
        Err(store::Error::NotFound(_)) => {
            let message = Some("Không tìm thấy nguồn này.".to_owned());
            return render(&state, &me, StatusCode::NOT_FOUND, None, message).await;
        }
        Err(e) => return Err(e.into()),
    };
    state.store.set_source_enabled(source.id, enabled, Utc::now()).await?;
    state.sources.invalidate();
    let (action, code) = if enabled {
        ("source_enabled", "source_enabled")
    } else {
        ("source_disabled", "source_disabled")
    };
    let detail = format!("url={} via dashboard", cut(&source.url, 500));
    audit(&state, &me.user, action, &format!("source:{}", source.id), &detail).await?;
    Ok(done("/admin/sources", code).into_response())
}

pub(crate) async fn enable(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    set_enabled(state, me, id, form.csrf, true).await
}

pub(crate) async fn disable(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    set_enabled(state, me, id, form.csrf, false).await
}
