//! Page handlers: the alert board, search, documents, login and logout.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{
    CurrentUser, LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, hash_password, new_token, same_secret,
    set_cookie, token_hash, verify_password,
};
use crate::error::AppError;
use crate::views::{
    AlertView, BoardPage, Chrome, DocumentPage, HitView, LoginPage, NotFoundPage, SearchPage,
    vn_time,
};

fn chrome(u: &CurrentUser) -> Chrome {
    Chrome {
        user: u.user.name.clone(),
        role: u.user.role.as_str().to_owned(),
        csrf: u.csrf.clone(),
    }
}

pub(crate) async fn board(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Html<String>, AppError> {
    let entries = state.store.alert_board(None, 200).await?;
    let counts = state.store.counts().await?;
    let page = BoardPage {
        chrome: chrome(&user),
        alerts: entries.iter().map(AlertView::new).collect(),
        documents: counts.documents,
        open_alerts: counts.open_alerts,
        failing_sources: counts.failing_sources,
        sources: counts.sources,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
}

pub(crate) async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<SearchParams>,
) -> Result<Response, AppError> {
    let newest = params.sort == "newest";
    let mut page = SearchPage {
        chrome: chrome(&user),
        q: params.q.clone(),
        newest,
        searched: false,
        total: 0,
        hits: Vec::new(),
        error: None,
    };
    let mut status = StatusCode::OK;
    if !params.q.trim().is_empty() {
        let sort = if newest { search::Sort::Newest } else { search::Sort::Relevance };
        match state.index.search(&params.q, sort, 50, 0) {
            Ok(results) => {
                page.searched = true;
                page.total = results.total;
                page.hits = results
                    .hits
                    .into_iter()
                    .map(|h| HitView {
                        id: h.id,
                        title: h.title,
                        snippet: h.snippet,
                        source: h.source,
                        time: vn_time(h.time),
                    })
                    .collect();
            }
            Err(search::Error::Query(e)) => {
                status = StatusCode::BAD_REQUEST;
                let col = params.q[..e.offset.min(params.q.len())].chars().count() + 1;
                page.error = Some(format!("Câu truy vấn chưa đúng (vị trí {col}): {}", e.message));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn document(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let doc = state.store.document(id).await?;
    let hits = state.store.hits_for_document(id).await?;
    Ok(Html(DocumentPage::new(chrome(&user), &doc, &hits).render()?))
}

#[derive(Deserialize)]
pub(crate) struct LoginParams {
    #[serde(default)]
    next: String,
}

/// Only same-site paths are valid places to return to after login.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

fn login_page(
    state: &AppState,
    next: &str,
    name: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let csrf = new_token();
    let page =
        LoginPage { csrf: csrf.clone(), next: safe_next(next), name: name.to_owned(), error };
    let cookie = set_cookie(
        LOGIN_CSRF_COOKIE,
        &csrf,
        std::time::Duration::from_secs(3600),
        state.config.secure_cookies,
    );
    Ok((status, [(header::SET_COOKIE, cookie)], Html(page.render()?)).into_response())
}

pub(crate) async fn login_form(
    State(state): State<AppState>,
    Query(p): Query<LoginParams>,
) -> Result<Response, AppError> {
    login_page(&state, &p.next, "", None, StatusCode::OK)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    // Double-submit check: the form's token must equal the cookie set with the form.
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&expected, &form.csrf) {
        return Err(AppError::Forbidden);
    }
    let client = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .unwrap_or("direct")
        .trim()
        .to_owned();
    let key = format!("{}|{client}", form.name);
    if !state.limiter.allowed(&key) {
        tracing::warn!(user = %form.name, "Login throttled.");
        return Err(AppError::TooManyRequests);
    }
    let found = state.store.user_by_name(&form.name).await?;
    let ok = match &found {
        Some((_, hash)) => verify_password(&form.password, hash),
        None => {
            // Spend the same time as a real check so response times do not reveal names.
            let _ = verify_password(
                &form.password,
                DUMMY_HASH.get_or_init(|| hash_password("x").unwrap_or_default()),
            );
            false
        }
    };
    let now = Utc::now();
    let Some((user, _)) = found.filter(|_| ok) else {
        state.limiter.failed(&key);
        state.store.audit(None, "login_failed", &format!("user:{}", form.name), "", now).await?;
        return login_page(
            &state,
            &form.next,
            &form.name,
            Some("Sai tên đăng nhập hoặc mật khẩu.".to_owned()),
            StatusCode::UNAUTHORIZED,
        );
    };
    state.limiter.succeeded(&key);
    let token = new_token();
    let ttl = state.config.session_ttl;
    let expires = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(12));
    state.store.create_session(&token_hash(&token), user.id, &new_token(), now, expires).await?;
    state.store.audit(Some(user.id), "login", &format!("user:{}", user.name), "", now).await?;
    let cookie = set_cookie(SESSION_COOKIE, &token, ttl, state.config.secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&safe_next(&form.next))).into_response())
}

static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    if !same_secret(&user.csrf, &form.csrf) {
        return Err(AppError::Forbidden);
    }
    let now = Utc::now();
    state.store.delete_session(&user.token_hash, now).await?;
    state
        .store
        .audit(Some(user.user.id), "logout", &format!("user:{}", user.user.name), "", now)
        .await?;
    let cookie =
        set_cookie(SESSION_COOKIE, "", std::time::Duration::ZERO, state.config.secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}

pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../templates/style.css"),
    )
}

pub(crate) async fn not_found() -> Result<Response, AppError> {
    Ok((StatusCode::NOT_FOUND, Html(NotFoundPage {}.render()?)).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/search?q=x"), "/search?q=x");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
    }
}
