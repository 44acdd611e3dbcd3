//! `/admin/tokens`: every user's API tokens, revoking one, and creating one for a user.
//!
//! A new token is shown once, in the answer to the form that created it (never in a URL,
//! and the answer is not cached); the store keeps only its hash.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use model::{Timestamp, User};
use serde::Deserialize;
use store::ApiToken;

use super::{CsrfForm, Notice, audit, check_csrf, done, notice};
use crate::AppState;
use crate::auth::{Admin, CurrentUser, new_token, token_hash};
use crate::error::AppError;
use crate::pages::chrome;
use crate::views::{Chrome, vn_time};

/// Tokens listed at most, newest first.
pub(crate) const LISTED_TOKENS: i64 = 500;
/// The longest a token may live, as on the command line.
const MAX_EXPIRY_DAYS: i64 = 730;
/// A new token's lifetime unless the admin says otherwise.
const DEFAULT_EXPIRY_DAYS: i64 = 90;
/// The longest label.
const MAX_LABEL_CHARS: usize = 100;

/// A token's state in words, as of `now`.
pub(crate) fn state_label(t: &ApiToken, owner: &User, now: Timestamp) -> String {
    if let Some(at) = t.revoked_at {
        format!("Đã thu hồi lúc {}", vn_time(at))
    } else if !t.is_active(now) {
        "Hết hạn".to_owned()
    } else if !owner.is_enabled() {
        "Bị từ chối (tài khoản đã khóa)".to_owned()
    } else {
        "Đang dùng được".to_owned()
    }
}

pub(crate) struct TokenRow {
    pub(crate) id: i64,
    pub(crate) owner: String,
    pub(crate) label: String,
    pub(crate) created: String,
    pub(crate) expires: String,
    pub(crate) last_used: String,
    pub(crate) state: String,
    pub(crate) revoked: bool,
}

/// A token just created: shown this once.
pub(crate) struct CreatedToken {
    pub(crate) token: String,
    pub(crate) owner: String,
    pub(crate) label: String,
    pub(crate) expires: String,
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
pub(crate) struct TokensPage {
    pub(crate) chrome: Chrome,
    pub(crate) section: &'static str,
    pub(crate) tokens: Vec<TokenRow>,
    /// Whether older tokens are not listed.
    pub(crate) truncated: bool,
    pub(crate) listed: i64,
    /// Users a token may be created for (enabled ones).
    pub(crate) users: Vec<String>,
    pub(crate) created: Option<CreatedToken>,
    pub(crate) notice: Option<&'static str>,
    pub(crate) error: Option<String>,
    pub(crate) default_days: i64,
    pub(crate) max_days: i64,
}

async fn render(
    state: &AppState,
    me: &CurrentUser,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
    created: Option<CreatedToken>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let mut listed = state.store.all_api_tokens(LISTED_TOKENS + 1).await?;
    let truncated = listed.len() as i64 > LISTED_TOKENS;
    listed.truncate(LISTED_TOKENS as usize);
    let users = state.store.list_users().await?;
    let page = TokensPage {
        chrome: chrome(me),
        section: "tokens",
        tokens: listed
            .iter()
            .map(|(t, owner)| TokenRow {
                id: t.id,
                owner: owner.name.clone(),
                label: t.name.clone(),
                created: vn_time(t.created_at),
                expires: vn_time(t.expires_at),
                last_used: t.last_used_at.map_or_else(|| "Chưa dùng".to_owned(), vn_time),
                state: state_label(t, owner, now),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
        truncated,
        listed: LISTED_TOKENS,
        users: users.into_iter().filter(User::is_enabled).map(|u| u.name).collect(),
        created,
        notice,
        error,
        default_days: DEFAULT_EXPIRY_DAYS,
        max_days: MAX_EXPIRY_DAYS,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(me): Admin,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    render(&state, &me, StatusCode::OK, notice(&n.ok), None, None).await
}

#[derive(Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    expires_days: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Admin(me): Admin,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    check_csrf(&me, &form.csrf)?;
    let refuse = |status: StatusCode, message: &str| {
        let message = Some(message.to_owned());
        let (state, me) = (state.clone(), me.clone());
        async move { render(&state, &me, status, None, message, None).await }
    };
    let days = match form.expires_days.trim() {
        "" => DEFAULT_EXPIRY_DAYS,
        text => match text.parse::<i64>() {
            Ok(d) if (1..=MAX_EXPIRY_DAYS).contains(&d) => d,
            _ => {
                let message = "Thời hạn phải là số ngày từ 1 đến 730.";
                return refuse(StatusCode::BAD_REQUEST, message).await;
            }
        },
    };
    let label = match form.label.trim() {
        "" => "dashboard",
        l => l,
    };
    if label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        let message = "Nhãn quá dài (tối đa 100 ký tự) hoặc chứa ký tự không hợp lệ.";
        return refuse(StatusCode::BAD_REQUEST, message).await;
    }
    let Some((owner, _)) = state.store.user_by_name(&form.user).await? else {
        return refuse(StatusCode::NOT_FOUND, "Không tìm thấy tài khoản này.").await;
    };
    if !owner.is_enabled() {
        let message = "Tài khoản này đang bị khóa; hãy mở khóa trước khi tạo mã API.";
        return refuse(StatusCode::BAD_REQUEST, message).await;
    }
    let token = new_token();
    let now = Utc::now();
    let expires = now + chrono::Duration::days(days);
    let created =
        state.store.create_api_token(owner.id, label, &token_hash(&token), now, expires).await?;
    let detail = format!(
        "token={} label={label} expires={} via dashboard",
        created.id,
        expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    audit(&state, &me.user, "api_token_created", &format!("user:{}", owner.name), &detail).await?;
    let shown = CreatedToken {
        token,
        owner: owner.name,
        label: label.to_owned(),
        expires: vn_time(expires),
    };
    render(&state, &me, StatusCode::OK, None, None, Some(shown)).await
}

/// Revokes a token and records it against its owner; revoking it again changes nothing.
/// Returns the token and its owner's name.
pub(crate) async fn revoke_token(
    state: &AppState,
    by: &User,
    id: i64,
    via: &str,
) -> Result<(ApiToken, String), AppError> {
    let token = state.store.api_token(id).await?;
    let owner = state
        .store
        .list_users()
        .await?
        .into_iter()
        .find(|u| u.id == token.user_id)
        .map_or_else(|| format!("#{}", token.user_id), |u| u.name);
    let revoked = state.store.revoke_api_token(token.user_id, id, Utc::now()).await?;
    let detail = format!("token={id} via {via}");
    audit(state, by, "api_token_revoked", &format!("user:{owner}"), &detail).await?;
    Ok((revoked, owner))
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    check_csrf(&me, &form.csrf)?;
    let revoked = match id.parse::<i64>() {
        Ok(id) => revoke_token(&state, &me.user, id, "dashboard").await,
        Err(_) => Err(AppError::NotFound),
    };
    match revoked {
        Ok(_) => Ok(done("/admin/tokens", "revoked").into_response()),
        Err(AppError::NotFound) => {
            let message = Some("Không tìm thấy mã API này.".to_owned());
            render(&state, &me, StatusCode::NOT_FOUND, None, message, None).await
        }
        Err(e) => Err(e),
    }
}
