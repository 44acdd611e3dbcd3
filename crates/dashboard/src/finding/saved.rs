//! `/saved`: a user's saved searches. Any logged-in user keeps their own (a spokesperson
//! is often a viewer): saved from the search page, listed with their filters in words,
//! opened again, told of new matches or not, deleted, and tried as a watch rule. Nobody
//! sees or changes another user's; one that is not the caller's is answered 404, like one
//! that does not exist.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use store::{NewSavedSearch, SavedSearch};

use super::{SearchParams, filter_parts, rule_titles, sort_name, sort_of};
use crate::AppState;
use crate::auth::{CurrentUser, same_secret};
use crate::error::AppError;
use crate::pages::chrome;
use crate::views::{Chrome, NotFoundPage, vn_time};

/// The longest name kept, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 100;

pub(crate) struct SavedRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) query: String,
    pub(crate) filters: String,
    pub(crate) sort: &'static str,
    pub(crate) notify: bool,
    pub(crate) open: String,
    pub(crate) last_notified: String,
    pub(crate) created: String,
}

#[derive(Template)]
#[template(path = "saved.html")]
pub(crate) struct SavedPage {
    pub(crate) chrome: Chrome,
    pub(crate) rows: Vec<SavedRow>,
    pub(crate) notice: Option<&'static str>,
    pub(crate) error: Option<String>,
}

fn sort_label(sort: &str) -> &'static str {
    match sort {
        "newest" => "Mới nhất",
        "reach" => "Nhiều tương tác nhất",
        _ => "Phù hợp nhất",
    }
}

/// The notice for a `?ok=` code; anything else shows nothing.
fn notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "saved" => "Đã lưu tìm kiếm.",
        "deleted" => "Đã xóa tìm kiếm đã lưu.",
        "notify_on" => "Sẽ báo khi có bài mới khớp, qua các kênh nhận thông báo của bạn.",
        "notify_off" => "Đã tắt thông báo cho tìm kiếm này.",
        _ => return None,
    })
}

/// The search as words and as a search page link.
pub(crate) async fn rows(
    state: &AppState,
    saved: &[SavedSearch],
) -> Result<Vec<SavedRow>, AppError> {
    let sources = super::sources(state).await?;
    let topics: HashSet<String> = saved.iter().filter_map(|s| s.filters.topic.clone()).collect();
    let titles: HashMap<String, String> = rule_titles(state, &topics).await?;
    Ok(saved
        .iter()
        .map(|s| SavedRow {
            id: s.id,
            name: s.name.clone(),
            query: s.query.clone(),
            filters: filter_parts(&s.filters, &sources, &titles)
                .into_iter()
                .map(|(label, _)| label)
                .collect::<Vec<_>>()
                .join(" · "),
            sort: sort_label(&s.sort),
            notify: s.notify,
            open: s.filters.search_path(&s.query, &s.sort),
            last_notified: s.last_notified_at.map(vn_time).unwrap_or_default(),
            created: vn_time(s.created_at),
        })
        .collect())
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    notice: Option<&'static str>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let saved = state.store.saved_searches_of(user.user.id).await?;
    let page = SavedPage { chrome: chrome(user), rows: rows(state, &saved).await?, notice, error };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct Notice {
    #[serde(default)]
    ok: String,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    render(&state, &user, notice(&n.ok), None, StatusCode::OK).await
}

/// The save form: a name, whether to be told of new matches, and the search as the search
/// page's parameters.
#[derive(Deserialize, Default)]
pub(crate) struct SaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    notify: Option<String>,
    #[serde(default)]
    q: String,
    from: Option<String>,
    to: Option<String>,
    source: Option<String>,
    tier: Option<String>,
    topic: Option<String>,
    province: Option<String>,
    kind: Option<String>,
    stance: Option<String>,
    story: Option<String>,
    sort: Option<String>,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<SaveForm>,
) -> Result<Response, AppError> {
    if !same_secret(&user.csrf, &form.csrf) {
        return Err(AppError::Forbidden);
    }
    let params = SearchParams {
        q: form.q.clone(),
        from: form.from,
        to: form.to,
        source: form.source,
        tier: form.tier,
        topic: form.topic,
        province: form.province,
        kind: form.kind,
        stance: form.stance,
        story: form.story,
        sort: form.sort.clone(),
        ..SearchParams::default()
    };
    let criteria = match params.criteria() {
        Ok(c) => c,
        Err(e) => {
            return refuse(&state, &user, super::filter_error(&e)).await;
        }
    };
    if criteria.is_empty() {
        return refuse(
            &state,
            &user,
            "Không có gì để lưu: hãy nhập câu truy vấn hoặc chọn bộ lọc.".into(),
        )
        .await;
    }
    if let Err(e) = query_check(&criteria.q) {
        return refuse(&state, &user, e).await;
    }
    let name = form.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return refuse(
            &state,
            &user,
            format!("Tên tìm kiếm phải có từ 1 đến {MAX_NAME_CHARS} ký tự."),
        )
        .await;
    }
    let new = NewSavedSearch {
        owner_id: user.user.id,
        name: name.to_owned(),
        query: criteria.q.trim().to_owned(),
        filters: criteria.filters,
        sort: sort_name(sort_of(&form.sort).unwrap_or_default()).to_owned(),
        notify: form.notify.as_deref().is_some_and(|v| !v.is_empty() && v != "0"),
    };
    match state.store.create_saved_search(&new, Utc::now()).await {
        Ok(saved) => {
            tracing::info!(user = %user.user.name, saved_search = saved.id, "Search saved.");
            Ok(Redirect::to("/saved?ok=saved").into_response())
        }
        Err(store::Error::Conflict(_)) => {
            refuse(
                &state,
                &user,
                format!("Bạn đã có một tìm kiếm tên “{name}”; hãy chọn tên khác."),
            )
            .await
        }
        Err(store::Error::Refused(_)) => {
            refuse(
                &state,
                &user,
                format!(
                    "Mỗi người lưu được tối đa {} tìm kiếm; hãy xóa bớt.",
                    store::MAX_SAVED_SEARCHES
                ),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The list again, with why the search was not saved.
async fn refuse(
    state: &AppState,
    user: &CurrentUser,
    message: String,
) -> Result<Response, AppError> {
    render(state, user, None, Some(message), StatusCode::BAD_REQUEST).await
}

/// A query that would never run is not saved.
fn query_check(q: &str) -> Result<(), String> {
    if q.trim().is_empty() {
        return Ok(());
    }
    query::parse(q).map(|_| ()).map_err(|e| {
        let col = query::line_col(q, e.offset).1;
        format!("Câu truy vấn chưa đúng (vị trí {col}): {}", e.message)
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// The id in a path, or 404 for anything that is not one.
pub(crate) fn id_of(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|&id| id > 0)
}

pub(crate) async fn not_found() -> Result<Response, AppError> {
    Ok((StatusCode::NOT_FOUND, Html(NotFoundPage {}.render()?)).into_response())
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    if !same_secret(&user.csrf, &form.csrf) {
        return Err(AppError::Forbidden);
    }
    let Some(id) = id_of(&id) else { return not_found().await };
    if state.store.delete_saved_search(id, user.user.id).await? {
        Ok(Redirect::to("/saved?ok=deleted").into_response())
    } else {
        not_found().await
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct NotifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    notify: String,
}

pub(crate) async fn notify(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<NotifyForm>,
) -> Result<Response, AppError> {
    if !same_secret(&user.csrf, &form.csrf) {
        return Err(AppError::Forbidden);
    }
    let Some(id) = id_of(&id) else { return not_found().await };
    let on = !form.notify.is_empty() && form.notify != "0";
    if state.store.set_saved_search_notify(id, user.user.id, on).await? {
        Ok(Redirect::to(if on { "/saved?ok=notify_on" } else { "/saved?ok=notify_off" })
            .into_response())
    } else {
        not_found().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_come_from_a_fixed_set() {
        assert!(notice("saved").is_some());
        assert_eq!(notice("<script>"), None);
    }

    #[test]
    fn only_positive_numbers_are_ids() {
        assert_eq!(id_of("12"), Some(12));
        for bad in ["0", "-3", "x", "1.5", ""] {
            assert_eq!(id_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_query_that_does_not_parse_is_refused_in_words() {
        assert!(query_check("").is_ok());
        assert!(query_check("\"lá đu đủ\"").is_ok());
        assert!(query_check("(sốt").unwrap_err().contains("vị trí"));
    }
}
