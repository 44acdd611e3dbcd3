//! The administration pages (users, API tokens, sources, rule packs, the audit log) and
//! their JSON counterparts: for admins only, every change through a form carrying the
//! session's CSRF token, and every change written to the audit log.
//!
//! After a change the browser is sent back to the list with a notice chosen from a fixed
//! set (`?ok=…`), so reloading the page does not repeat the change and nothing a link
//! carries is shown as it is. Refusals are shown on the page itself, in Vietnamese.

mod api;
mod audit;
pub(crate) mod packs;
mod sources;
mod tokens;
mod users;

use std::path::PathBuf;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use model::{Role, User};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::AppState;
use crate::auth::{Admin, CurrentUser, same_secret};
use crate::error::AppError;
use crate::pages::chrome;
use crate::views::Chrome;

/// Largest admin form body: a password and a query fit many times over.
const FORM_BODY_LIMIT: usize = 64 * 1024;

/// The rule packs the running pipeline matches with, as the rule pages see them.
#[derive(Clone)]
pub(crate) struct RulesHandle {
    /// The office's rules directory: rules from there are shown relative to it, and local
    /// packs and claims are written to it.
    pub(crate) dir: PathBuf,
    /// Where a check reads the packs again from: `dir` alone unless
    /// [`AppState::with_rule_sources`] says otherwise.
    pub(crate) sources: rules::RuleSources,
    /// The set in use now (it changes when the packs are reloaded).
    pub(crate) current: Arc<dyn Fn() -> Arc<rules::RuleSet> + Send + Sync>,
    /// A check compiles every pack and runs every example: one at a time. Adding a claim
    /// takes it too, so two officers never extend the claim file at once.
    pub(crate) checking: Arc<Semaphore>,
    /// Reloads the running rules from `dir` now: the rules in use, or the problems that
    /// kept the previous set (see [`AppState::with_rule_reload`]).
    pub(crate) reload: Option<Reloader>,
}

/// Reloads the running rules: how many are in use, or the problems that refused the new
/// set.
pub(crate) type Reloader = Arc<dyn Fn() -> Result<usize, Vec<String>> + Send + Sync>;

impl RulesHandle {
    /// The set in use now.
    pub(crate) fn current_set(&self) -> Arc<rules::RuleSet> {
        (self.current)()
    }
}

impl RulesHandle {
    /// Where the packs are read from (and a local pack is written to).
    pub(crate) fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The set documents are matched against now.
    pub(crate) fn current(&self) -> Arc<rules::RuleSet> {
        (self.current)()
    }
}

impl AppState {
    /// Lets the admin pages show and check the rule packs: `dir` is where they are loaded
    /// from, `current` returns the set documents are matched against now (the pipeline's,
    /// which a reload replaces).
    pub fn with_rules(
        mut self,
        dir: PathBuf,
        current: impl Fn() -> Arc<rules::RuleSet> + Send + Sync + 'static,
    ) -> AppState {
        self.rules = Some(RulesHandle {
            sources: rules::RuleSources::dir_only(&dir),
            dir,
            current: Arc::new(current),
            checking: Arc::new(Semaphore::new(1)),
            reload: None,
        });
        self
    }

    /// The rule set in use now; an empty one when no packs were given (pages that show the
    /// packs' health days show none).
    pub(crate) fn rule_set(&self) -> Arc<rules::RuleSet> {
        self.rules.as_ref().map_or_else(|| Arc::new(rules::RuleSet::default()), |h| (h.current)())
    }

    /// Where a check of the packs reads them from (the built-in packs with the rules
    /// directory over them, as the running set was loaded). Only after
    /// [`AppState::with_rules`].
    pub fn with_rule_sources(mut self, sources: rules::RuleSources) -> AppState {
        if let Some(handle) = &mut self.rules {
            handle.sources = sources;
        }
        self
    }

    /// Lets a claim added from the dashboard take effect at once: `reload` loads the packs
    /// and claims again and swaps them in when clean. Only after [`AppState::with_rules`].
    pub fn with_rule_reload(
        mut self,
        reload: impl Fn() -> Result<usize, Vec<String>> + Send + Sync + 'static,
    ) -> AppState {
        if let Some(handle) = &mut self.rules {
            handle.reload = Some(Arc::new(reload));
        }
        self
    }
}

/// The admin pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/users", get(users::page).post(users::create))
        .route("/admin/users/role", post(users::set_role))
        .route("/admin/users/disable", post(users::disable))
        .route("/admin/users/enable", post(users::enable))
        .route("/admin/users/password", post(users::reset_password))
        .route("/admin/tokens", get(tokens::page).post(tokens::create))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/sources", get(sources::page))
        .route("/admin/sources/{id}/enable", post(sources::enable))
        .route("/admin/sources/{id}/disable", post(sources::disable))
        .route("/admin/rules", get(packs::page))
        .route("/admin/rules/check", post(packs::check))
        .route("/admin/rules/backtest", post(packs::backtest))
        .route("/admin/audit", get(audit::page))
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
}

/// The admin API, under `/api/v1/`.
pub(crate) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(api::users))
        .route("/admin/tokens", get(api::tokens))
        .route("/admin/tokens/{id}/revoke", post(api::revoke))
        .route("/admin/audit", get(api::audit))
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
}

/// A form that carries nothing but the CSRF token.
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Refuses a form whose token is not the session's.
pub(crate) fn check_csrf(user: &CurrentUser, csrf: &str) -> Result<(), AppError> {
    if same_secret(&user.csrf, csrf) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// Writes an admin's action to the audit log. The change is made by then; a log that
/// cannot be written fails the request, so the admin learns of it.
pub(crate) async fn audit(
    state: &AppState,
    by: &User,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), AppError> {
    state.store.audit(Some(by.id), action, target, detail, chrono::Utc::now()).await?;
    Ok(())
}

/// Back to `path` with the notice `code` (one of [`notice`]'s).
fn done(path: &str, code: &str) -> Redirect {
    Redirect::to(&format!("{path}?ok={code}"))
}

/// The `?ok=` of a page after a change.
#[derive(Deserialize, Default)]
pub(crate) struct Notice {
    #[serde(default)]
    ok: String,
}

/// The notice shown for a code; anything else shows nothing.
fn notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "Đã tạo tài khoản.",
        "role" => "Đã đổi vai trò; người đó cần đăng nhập lại.",
        "disabled" => "Đã khóa tài khoản: mọi phiên đã kết thúc và mã API bị từ chối.",
        "enabled" => "Đã mở khóa tài khoản.",
        "password" => "Đã đặt lại mật khẩu; mọi phiên của người đó đã kết thúc.",
        "revoked" => "Đã thu hồi mã API.",
        "source_enabled" => "Đã bật nguồn; nguồn sẽ được lấy tin ngay.",
        "source_disabled" => "Đã tắt nguồn; các bài đã thu thập vẫn được giữ.",
        _ => return None,
    })
}

/// A role as the pages name it.
pub(crate) fn role_label(role: Role) -> &'static str {
    match role {
        Role::Admin => "Quản trị viên",
        Role::Officer => "Cán bộ xử lý",
        Role::Viewer => "Người xem",
    }
}

/// Every role, as a form's choices: value and label.
fn role_options() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|&r| (r.as_str(), role_label(r))).collect()
}

/// `text` cut to at most `chars` characters, marked when cut.
fn cut(text: &str, chars: usize) -> String {
    let mut out: String = text.chars().take(chars).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[derive(Template)]
#[template(path = "admin_index.html")]
struct IndexPage {
    chrome: Chrome,
    section: &'static str,
}

async fn index(Admin(user): Admin) -> Result<Html<String>, AppError> {
    Ok(Html(IndexPage { chrome: chrome(&user), section: "index" }.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_come_from_a_fixed_set() {
        assert!(notice("created").is_some());
        assert_eq!(notice("<b>x</b>"), None);
        assert_eq!(notice(""), None);
    }

    #[test]
    fn long_text_is_cut_on_characters() {
        assert_eq!(cut("ngắn", 10), "ngắn");
        assert_eq!(cut("lỗi kết nối", 3), "lỗi…");
    }
}
