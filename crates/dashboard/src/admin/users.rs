//! `/admin/users`: the accounts, and adding, changing the role of, disabling, enabling and
//! resetting the password of one.
//!
//! The rules are the command line's (`langnghe users`): names without spaces or control
//! characters, at most 64 bytes; passwords of 8 characters to 1024 bytes. Changing a role
//! or a password, or disabling, ends the user's sessions (the store does it in the same
//! transaction). An admin cannot disable themselves or give up their own admin role, so
//! there is always an admin left to undo a mistake.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use model::Role;
use serde::Deserialize;

use super::{Notice, audit, check_csrf, done, notice, role_label, role_options};
use crate::AppState;
use crate::auth::{Admin, CurrentUser, MAX_NAME_BYTES, MAX_PASSWORD_BYTES, hash_password};
use crate::error::AppError;
use crate::pages::chrome;
use crate::views::{Chrome, vn_time};

/// The fewest characters a password may have.
const MIN_PASSWORD_CHARS: usize = 8;

pub(crate) struct UserRow {
    pub(crate) name: String,
    pub(crate) role: &'static str,
    pub(crate) role_label: &'static str,
    pub(crate) created: String,
    /// Since when the account is disabled.
    pub(crate) disabled: Option<String>,
    /// Whether it is the admin looking at the page.
    pub(crate) is_me: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub(crate) struct UsersPage {
    pub(crate) chrome: Chrome,
    pub(crate) section: &'static str,
    pub(crate) users: Vec<UserRow>,
    pub(crate) roles: Vec<(&'static str, &'static str)>,
    pub(crate) notice: Option<&'static str>,
    pub(crate) error: Option<String>,
    /// What the add form held, when it was refused.
    pub(crate) new_name: String,
    pub(crate) new_role: String,
}

async fn render(
    state: &AppState,
    me: &CurrentUser,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
    kept: (&str, &str),
) -> Result<Response, AppError> {
    let users = state.store.list_users().await?;
    let page = UsersPage {
        chrome: chrome(me),
        section: "users",
        users: users
            .iter()
            .map(|u| UserRow {
                name: u.name.clone(),
                role: u.role.as_str(),
                role_label: role_label(u.role),
                created: vn_time(u.created_at),
                disabled: u.disabled_at.map(vn_time),
                is_me: u.id == me.user.id,
            })
            .collect(),
        roles: role_options(),
        notice,
        error,
        new_name: kept.0.to_owned(),
        new_role: if kept.1.is_empty() { Role::Viewer.as_str() } else { kept.1 }.to_owned(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The page again, saying why the change was refused.
async fn refused(
    state: &AppState,
    me: &CurrentUser,
    status: StatusCode,
    message: &str,
) -> Result<Response, AppError> {
    render(state, me, status, None, Some(message.to_owned()), ("", "")).await
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(me): Admin,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    render(&state, &me, StatusCode::OK, notice(&n.ok), None, ("", "")).await
}

/// Why a new user's name cannot be an account, if it cannot: the login form refuses longer
/// names and control characters, so such an account could never log in.
fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        Some("Tên đăng nhập không được để trống và không được chứa dấu cách.")
    } else if name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        Some("Tên đăng nhập quá dài (tối đa 64 byte) hoặc chứa ký tự không hợp lệ.")
    } else {
        None
    }
}

/// Why a password cannot be set, if it cannot.
fn password_problem(password: &str) -> Option<&'static str> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        Some("Mật khẩu phải có ít nhất 8 ký tự.")
    } else if password.len() > MAX_PASSWORD_BYTES {
        // The login form refuses longer ones, so such a password could never be used.
        Some("Mật khẩu quá dài (tối đa 1024 byte).")
    } else {
        None
    }
}

/// Hashes off the async workers: argon2 takes a core and memory for a while.
async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(format!("password hashing panicked: {e}")))?
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

#[derive(Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Admin(me): Admin,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    check_csrf(&me, &form.csrf)?;
    let kept = (form.name.as_str(), form.role.as_str());
    let bad = StatusCode::BAD_REQUEST;
    let Ok(role) = form.role.parse::<Role>() else {
        let e = Some("Vai trò không hợp lệ.".to_owned());
        return render(&state, &me, bad, None, e, kept).await;
    };
    if let Some(problem) = name_problem(&form.name).or_else(|| password_problem(&form.password)) {
        return render(&state, &me, bad, None, Some(problem.to_owned()), kept).await;
    }
    let hashed = hash(form.password.clone()).await?;
    match state.store.create_user(&form.name, &hashed, role, Utc::now()).await {
        Ok(_) => {}
        Err(store::Error::Conflict(_)) => {
            let e = Some("Tên đăng nhập này đã có người dùng.".to_owned());
            return render(&state, &me, StatusCode::CONFLICT, None, e, kept).await;
        }
        Err(e) => return Err(e.into()),
    }
    let target = format!("user:{}", form.name);
    audit(&state, &me.user, "user_created", &target, &format!("role={role} via dashboard")).await?;
    Ok(done("/admin/users", "created").into_response())
}

#[derive(Deserialize)]
pub(crate) struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

pub(crate) async fn set_role(
    State(state): State<AppState>,
    Admin(me): Admin,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    check_csrf(&me, &form.csrf)?;
    let Ok(role) = form.role.parse::<Role>() else {
        return refused(&state, &me, StatusCode::BAD_REQUEST, "Vai trò không hợp lệ.").await;
    };
    if form.name == me.user.name && role != Role::Admin {
        let message =
            "Bạn không thể tự bỏ quyền quản trị của mình; hãy nhờ một quản trị viên khác.";
        return refused(&state, &me, StatusCode::BAD_REQUEST, message).await;
    }
    let before = match state.store.user_by_name(&form.name).await? {
        Some((user, _)) => user.role,
        None => return no_such_user(&state, &me).await,
    };
    // The same role again changes nothing, and keeps the user's sessions.
    if before == role {
        return Ok(done("/admin/users", "role").into_response());
    }
    match state.store.set_user_role(&form.name, role).await {
        Ok(_) => {}
        Err(store::Error::NotFound(_)) => return no_such_user(&state, &me).await,
        Err(e) => return Err(e.into()),
    }
    let target = format!("user:{}", form.name);
    audit(&state, &me.user, "user_role_changed", &target, &format!("{before} → {role}")).await?;
    Ok(done("/admin/users", "role").into_response())
}

async fn no_such_user(state: &AppState, me: &CurrentUser) -> Result<Response, AppError> {
    refused(state, me, StatusCode::NOT_FOUND, "Không tìm thấy tài khoản này.").await
}

#[derive(Deserialize)]
pub(crate) struct NameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub(crate) async fn disable(
    State(state): State<AppState>,
    Admin(me): Admin,
    Form(form): Form<NameForm>,
) -> Result<Response, AppError> {
    check_csrf(&me, &form.csrf)?;
    if form.name == me.user.name {
        let message = "Bạn không thể tự khóa tài khoản của mình.";
        return refused(&state, &me, StatusCode::BAD_REQUEST, message).await;
    }
    match state.store.disable_user(&form.name, Utc::now()).await {
        Ok(_) => {}
        Err(store::Error::NotFound(_)) => return no_such_user(&state, &me).await,
        Err(e) => return Err(e.into()),
    }
    let target = format!("user:{}", form.name);
    audit(&state, &me.user, "user_disabled", &target, "via dashboard").await?;
    Ok(done("/admin/users", "disabled").into_response())
}

pub(crate) async fn enable(
    State(state): State<AppState>,
    Admin(me): Admin,
    Form(form): Form<NameForm>,
) -> Result<Response, AppError> {
    check_csrf(&me, &form.csrf)?;
    match state.store.enable_user(&form.name).await {
        Ok(_) => {}
        Err(store::Error::NotFound(_)) => return no_such_user(&state, &me).await,
        Err(e) => return Err(e.into()),
    }
    let target = format!("user:{}", form.name);
    audit(&state, &me.user, "user_enabled", &target, "via dashboard").await?;
    Ok(done("/admin/users", "enabled").into_response())
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// Sets the password the admin typed. The user's sessions end; when it is the admin's own
/// password, theirs too, so they are sent to log in with it.
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    Admin(me): Admin,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    check_csrf(&me, &form.csrf)?;
    if let Some(problem) = password_problem(&form.password) {
        return refused(&state, &me, StatusCode::BAD_REQUEST, problem).await;
    }
    let hashed = hash(form.password.clone()).await?;
    let user = match state.store.set_user_password(&form.name, &hashed).await {
        Ok(user) => user,
        Err(store::Error::NotFound(_)) => return no_such_user(&state, &me).await,
        Err(e) => return Err(e.into()),
    };
    let target = format!("user:{}", form.name);
    audit(&state, &me.user, "user_password_reset", &target, "sessions ended; via dashboard")
        .await?;
    if user.id == me.user.id {
        return Ok(Redirect::to("/login?next=/admin/users").into_response());
    }
    Ok(done("/admin/users", "password").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passwords_follow_the_command_line_rules() {
        assert_eq!(name_problem("lan"), None);
        assert!(name_problem("").is_some());
        assert!(name_problem("lan anh").is_some());
        assert!(name_problem(&"a".repeat(65)).is_some());
        assert!(name_problem("lan\u{7}").is_some());
        assert_eq!(password_problem("mật khẩu dài"), None);
        assert!(password_problem("ngắn").is_some());
        assert!(password_problem(&"x".repeat(1025)).is_some());
    }
}
