//! `/admin/audit`: the audit log, newest first, a page at a time, filtered by user (who
//! acted, or whom it was about) and by action.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use store::{AuditEntry, AuditQuery};

use crate::AppState;
use crate::auth::{Admin, MAX_NAME_BYTES};
use crate::error::AppError;
use crate::pages::chrome;
use crate::params::{self, MAX_OFFSET, ParamError};
use crate::views::{Chrome, vn_time};

/// Entries per page.
const PAGE_SIZE: i64 = 50;
/// The longest action name; ours are short words joined by `_`.
const MAX_ACTION_BYTES: usize = 64;

/// An action as the log page names it; actions it does not know are shown as written.
pub(crate) fn action_label(action: &str) -> &str {
    match action {
        "login" => "Đăng nhập",
        "logout" => "Đăng xuất",
        "login_failed" => "Đăng nhập sai",
        "login_throttled" => "Đăng nhập bị chặn tạm thời",
        "user_saved" => "Lưu tài khoản (dòng lệnh)",
        "user_created" => "Tạo tài khoản",
        "user_role_changed" => "Đổi vai trò",
        "user_password_reset" => "Đặt lại mật khẩu",
        "user_disabled" => "Khóa tài khoản",
        "user_enabled" => "Mở khóa tài khoản",
        "api_token_created" => "Tạo mã API",
        "api_token_revoked" => "Thu hồi mã API",
        "source_enabled" => "Bật nguồn",
        "source_disabled" => "Tắt nguồn",
        "rules_checked" => "Kiểm tra bộ quy tắc",
        "rules_backtested" => "Chạy thử quy tắc",
        other => other,
    }
}

/// A user filter: a name a login could carry.
pub(crate) fn user_filter(value: &Option<String>) -> Result<Option<String>, ParamError> {
    let Some(v) = params::present(value) else { return Ok(None) };
    if v.len() > MAX_NAME_BYTES || v.chars().any(char::is_control) {
        return Err(ParamError { name: "user", message: "not a user name".to_owned() });
    }
    Ok(Some(v.to_owned()))
}

/// An action filter: lowercase letters, digits and `_`.
pub(crate) fn action_filter(value: &Option<String>) -> Result<Option<String>, ParamError> {
    let Some(v) = params::present(value) else { return Ok(None) };
    let ok = v.len() <= MAX_ACTION_BYTES
        && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        return Err(ParamError { name: "action", message: "not an action name".to_owned() });
    }
    Ok(Some(v.to_owned()))
}

#[derive(Deserialize, Default)]
pub(crate) struct AuditParams {
    pub(crate) user: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) page: Option<String>,
    pub(crate) limit: Option<String>,
    pub(crate) offset: Option<String>,
}

pub(crate) struct EntryRow {
    pub(crate) time: String,
    pub(crate) user: String,
    /// The log filtered by the user, when there is one.
    pub(crate) user_href: Option<String>,
    pub(crate) action: String,
    pub(crate) action_label: String,
    pub(crate) action_href: String,
    pub(crate) target: String,
    pub(crate) detail: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
pub(crate) struct AuditPage {
    pub(crate) chrome: Chrome,
    pub(crate) section: &'static str,
    pub(crate) user: String,
    pub(crate) action: String,
    pub(crate) entries: Vec<EntryRow>,
    pub(crate) page: i64,
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
    pub(crate) error: Option<String>,
}

fn page_url(user: &str, action: &str, page: i64) -> String {
    let page = page.to_string();
    let pairs: Vec<(&str, &str)> = [("user", user), ("action", action), ("page", page.as_str())]
        .into_iter()
        .filter(|&(k, v)| !v.is_empty() && (k, v) != ("page", "1"))
        .collect();
    params::link("/admin/audit", &pairs)
}

fn row(e: &AuditEntry) -> EntryRow {
    EntryRow {
        time: vn_time(e.at),
        user: e.user.clone().unwrap_or_else(|| "—".to_owned()),
        user_href: e.user.as_deref().map(|u| page_url(u, "", 1)),
        action: e.action.clone(),
        action_label: action_label(&e.action).to_owned(),
        action_href: page_url("", &e.action, 1),
        target: e.target.clone(),
        detail: e.detail.clone(),
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(me): Admin,
    Query(p): Query<AuditParams>,
) -> Result<Response, AppError> {
    let mut page = AuditPage {
        chrome: chrome(&me),
        section: "audit",
        user: params::present(&p.user).unwrap_or("").to_owned(),
        action: params::present(&p.action).unwrap_or("").to_owned(),
        entries: Vec::new(),
        page: 1,
        prev: None,
        next: None,
        error: None,
    };
    let parsed = (|| -> Result<_, ParamError> {
        let user = user_filter(&p.user)?;
        let action = action_filter(&p.action)?;
        let number = params::number("page", &p.page, 1, MAX_OFFSET / PAGE_SIZE)?.unwrap_or(1);
        Ok((user, action, number))
    })();
    let (user, action, number) = match parsed {
        Ok(v) => v,
        Err(e) => {
            let what = match e.name {
                "user" => "tên người dùng",
                "action" => "hành động",
                _ => "số trang",
            };
            page.error = Some(format!("Bộ lọc không hợp lệ: {what}."));
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
    };
    let q = AuditQuery { user, action, limit: PAGE_SIZE + 1, offset: (number - 1) * PAGE_SIZE };
    let mut entries = state.store.audit_entries(&q).await?;
    let more = entries.len() as i64 > PAGE_SIZE;
    entries.truncate(PAGE_SIZE as usize);
    page.page = number;
    page.entries = entries.iter().map(row).collect();
    if number > 1 {
        page.prev = Some(page_url(&page.user, &page.action, number - 1));
    }
    if more {
        page.next = Some(page_url(&page.user, &page.action, number + 1));
    }
    Ok(Html(page.render()?).into_response())
}
