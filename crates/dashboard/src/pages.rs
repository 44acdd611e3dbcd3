//! Page handlers: the alert board, documents, login and logout (search, stories and trends
//! have modules of their own).

use std::net::SocketAddr;
use std::time::Instant;

use askama::Template;
use axum::Form;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{
    Admission, ClientKey, CurrentUser, LOGIN_BODY_LIMIT, LOGIN_CSRF_COOKIE, MAX_NEXT_BYTES,
    MAX_PASSWORD_BYTES, SESSION_COOKIE, TOKEN_LEN, cookie, hash_password, new_token, same_secret,
    set_cookie, token_hash, valid_login_name,
};
use crate::error::AppError;
use crate::views::{Chrome, DocumentPage, LoginPage, NotFoundPage};

pub(crate) fn chrome(u: &CurrentUser) -> Chrome {
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
    crate::board::home(&state, &user).await
}

pub(crate) async fn document(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let doc = state.store.document(id).await?;
    let hits = state.store.hits_for_document(id).await?;
    let places = state.store.document_places(id).await?;
    let sightings = state.store.sightings(id).await?;
    let mut page =
        DocumentPage::new(chrome(&user), &doc, &hits, &places).with_sightings(&sightings);
    if let Some(&(_, story)) = state.store.stories_of(&[id]).await?.first() {
        // A document placed in a story whose row is not written yet links to nothing.
        page.story = state.store.story(story).await?.map(|s| (s.id, s.title));
    }
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub(crate) struct LoginParams {
    #[serde(default)]
    next: String,
}

/// Where to go after login: a path on this site, or `/`.
///
/// Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example/`
/// and `/\evil.example` lead to other sites; a server behind may decode `%2F` once or
/// twice. So the value, and every percent-decoded form of it, must be a path starting with
/// one `/` and holding no control character or backslash; the value itself no whitespace
/// either. Letters beyond ASCII are percent-encoded, so the result is always a valid
/// `Location` header.
pub(crate) fn safe_next(next: &str) -> String {
    const HOME: &str = "/";
    if next.len() > MAX_NEXT_BYTES
        || next.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return HOME.to_owned();
    }
    let mut form = next.as_bytes().to_vec();
    // Each round undoes one layer of percent-encoding; more layers than this are refused
    // rather than followed.
    for _ in 0..4 {
        if !is_local_path(&form) {
            return HOME.to_owned();
        }
        let decoded = percent_decode(&form);
        if decoded == form {
            return encode_non_ascii(next);
        }
        form = decoded;
    }
    HOME.to_owned()
}

/// `s` with every character beyond ASCII percent-encoded as UTF-8.
fn encode_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut utf8 = [0u8; 4];
            for b in c.encode_utf8(&mut utf8).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// A path on this site: one leading `/`, then no `/` or `\` right after it, and no control
/// byte or backslash anywhere.
fn is_local_path(path: &[u8]) -> bool {
    path.first() == Some(&b'/')
        && !matches!(path.get(1), Some(b'/' | b'\\'))
        && !path.iter().any(|&b| b < 0x20 || b == 0x7f || b == b'\\')
}

/// `%XX` escapes decoded; anything else, malformed escapes included, kept as it is.
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let escaped = match (s[i], s.get(i + 1), s.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(s[i]);
                i += 1;
            }
        }
    }
    out
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

/// Checks a login. Anyone may call it, so it is careful with what it is given: the body is
/// read up to [`LOGIN_BODY_LIMIT`], a field over its limit fails the login without being
/// looked up, logged or kept, the client is counted by address ([`crate::auth`]), and
/// failures are audited one entry per client and window.
pub(crate) async fn login(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, AppError> {
    let (mut parts, body) = request.into_parts();
    let Ok(ConnectInfo(peer)) =
        ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, &state).await
    else {
        return Err(AppError::Internal(
            "no peer address: serve the router with into_make_service_with_connect_info".to_owned(),
        ));
    };
    let Ok(body) = axum::body::to_bytes(body, LOGIN_BODY_LIMIT).await else {
        return Ok((StatusCode::PAYLOAD_TOO_LARGE, "Yêu cầu quá lớn.").into_response());
    };
    let headers = parts.headers.clone();
    let form =
        Form::<LoginForm>::from_request(Request::from_parts(parts, Body::from(body)), &()).await;
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    // Double-submit check: the form's token must equal the cookie set with the form.
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.len() != TOKEN_LEN || !same_secret(&expected, &form.csrf) {
        return Err(AppError::Forbidden);
    }
    let client = ClientKey::of(state.config.trusted_proxies.client_addr(peer.ip(), &headers));
    let name = valid_login_name(&form.name);
    let password_fits = form.password.len() <= MAX_PASSWORD_BYTES;
    let next = safe_next(&form.next);
    match state.limiter.admit(client, name, Instant::now()) {
        Admission::Throttled { retry_after } => {
            tracing::warn!(client = %client, "Login throttled.");
            state
                .limiter
                .audit_failure(&state.store, client, "login_throttled", "login", Utc::now())
                .await;
            let mut response = AppError::TooManyRequests.into_response();
            let secs = retry_after.as_secs().max(1);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return Ok(response);
        }
        Admission::Admitted { delay } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
    }
    let found = match name {
        Some(name) if password_fits => state.store.user_by_name(name).await?,
        _ => None,
    };
    let ok = if name.is_some() && password_fits {
        // Unknown names cost a check too, so response times do not tell which names exist.
        let hash = found.as_ref().map_or_else(|| dummy_hash().to_owned(), |(_, h)| h.clone());
        let matches = state.limiter.check_password(form.password, hash).await;
        matches && found.as_ref().is_some_and(|(user, _)| user.is_enabled())
    } else {
        false
    };
    let Some((user, _)) = found.filter(|_| ok) else {
        let target = name.map_or_else(|| "user:(invalid name)".to_owned(), |n| format!("user:{n}"));
        tracing::info!(client = %client, user = ?name, "Login failed.");
        state
            .limiter
            .audit_failure(&state.store, client, "login_failed", &target, Utc::now())
            .await;
        return login_page(
            &state,
            &next,
            name.unwrap_or_default(),
            Some("Sai tên đăng nhập hoặc mật khẩu.".to_owned()),
            StatusCode::UNAUTHORIZED,
        );
    };
    state.limiter.succeeded(client, &user.name, Instant::now());
    // Everything the response needs is built before the session exists, so nothing can fail
    // after it is created: a session nobody received would be a session nobody can end.
    let token = new_token();
    let ttl = state.config.session_ttl;
    let cookie = HeaderValue::from_str(&set_cookie(
        SESSION_COOKIE,
        &token,
        ttl,
        state.config.secure_cookies,
    ))
    .map_err(|e| AppError::Internal(format!("session cookie: {e}")))?;
    let location = HeaderValue::from_str(&next).unwrap_or(HeaderValue::from_static("/"));
    let now = Utc::now();
    let expires = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(12));
    state.store.create_session(&token_hash(&token), user.id, &new_token(), now, expires).await?;
    if let Err(e) = state
        .store
        .audit(
            Some(user.id),
            "login",
            &format!("user:{}", user.name),
            &format!("client={client}"),
            now,
        )
        .await
    {
        tracing::error!(error = %e, user = %user.name, "Cannot write the audit log.");
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

fn dummy_hash() -> &'static str {
    DUMMY_HASH.get_or_init(|| hash_password("x").unwrap_or_default())
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
    use axum::http::HeaderValue;

    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        for ok in
            ["/", "/search?q=x", "/documents/12#hit", "/search?q=a%20b&sort=newest", "/a/../b"]
        {
            assert_eq!(safe_next(ok), ok);
        }
        // A lone or malformed `%` is text, not an escape.
        assert_eq!(safe_next("/search?q=100%"), "/search?q=100%");
        assert_eq!(safe_next("/search?q=%zz"), "/search?q=%zz");
        // Letters beyond ASCII are sent percent-encoded; encoding again changes nothing.
        assert_eq!(safe_next("/search?q=sốt"), "/search?q=s%E1%BB%91t");
        assert_eq!(safe_next("/search?q=s%E1%BB%91t"), "/search?q=s%E1%BB%91t");
    }

    #[test]
    fn hostile_places_to_return_to_become_the_home_page() {
        let long = format!("/{}", "a".repeat(2048));
        let hostile = [
            "",
            "search",
            "//evil.example/",
            "///evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\\evil.example",
            "\\\\evil.example",
            "/a\\b",
            // Browsers strip tabs and newlines: these become //evil.example/.
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\r\n/evil.example/",
            "\t//evil.example/",
            " /evil",
            "/ /evil",
            "/\0",
            "/\u{7f}",
            "/\u{85}/evil.example",
            "/\u{a0}/evil.example",
            "/\u{3000}/evil.example",
            "/\u{2028}/evil.example",
            "/\r\nSet-Cookie: x=1",
            // Encoded, once or more.
            "/%2F/evil.example",
            "/%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%09/evil.example",
            "/%0d%0aSet-Cookie:%20x=1",
            "/%00",
            "/%252F%252Fevil.example",
            "/%25252F%25252Fevil.example",
            "/%2525252F%2525252Fevil",
            "/%252525252Fx",
            "%2F%2Fevil.example",
            &long,
        ];
        for next in hostile {
            assert_eq!(safe_next(next), "/", "{next:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(2047))).len(), 2048);
    }

    #[test]
    fn whatever_is_asked_the_result_is_a_valid_location() {
        let samples =
            ["/search?q=\"<>{}|^`", "/ồ/ạ?x=ử#ữ", "/\u{202e}/x", "/\u{200b}/x", "/%ff%fe"];
        for next in samples {
            let safe = safe_next(next);
            assert!(safe.starts_with('/') && !safe.starts_with("//"), "{next:?} → {safe:?}");
            assert!(HeaderValue::from_str(&safe).is_ok(), "{next:?} → {safe:?}");
        }
        // Every single character after a slash, and every byte escaped.
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let safe = safe_next(&format!("/{c}x"));
            assert!(HeaderValue::from_str(&safe).is_ok() && !safe.starts_with("//"), "{c:?}");
        }
        for b in 0u8..=255 {
            let safe = safe_next(&format!("/%{b:02X}x"));
            assert!(!safe.starts_with("//") && !safe.starts_with("/\\"), "{b:02X}: {safe}");
        }
    }
}
