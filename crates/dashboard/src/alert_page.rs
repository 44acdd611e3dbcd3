//! One alert: its page (handling, deadlines, history, documents, story, responses and
//! correction coverage), the forms that act on it, and the same under `/api/v1/alerts/{id}`.
//!
//! Pages and the API share one path for every action: what the person asked is read into a
//! [`Wish`], checked, decided by `alerts::triage` here first (so a refusal can be said
//! precisely, in Vietnamese on pages) and then applied by the store, which decides again
//! inside its transaction. Whatever changed between the two is answered as a conflict.

mod api;
pub(crate) mod view;

use alerts::triage::{self, Actor, Command, Refusal};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDateTime, TimeZone, Utc};
use model::{
    AlertAction, AlertState, DismissReason, EscalationTarget, Priority, ResponseChannel, Role,
    Timestamp, User,
};
use serde::Deserialize;
use store::Store;

use crate::AppState;
use crate::auth::{CurrentUser, Officer, same_secret};
use crate::error::AppError;
use crate::views::NotFoundPage;

pub(crate) use view::CorrectionsView;

/// The longest note, response text and URL accepted.
const MAX_NOTE_CHARS: usize = 4000;
const MAX_RESPONSE_CHARS: usize = 20_000;
const MAX_URL_BYTES: usize = 2048;
/// How far ahead of the server's clock a response's publication time may be (a clock a
/// little fast, a form filled in just before the hour).
const FUTURE_SLACK_MINUTES: i64 = 10;

/// The page routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts/{id}", get(page))
        .route("/alerts/{id}/act", post(act))
        .route("/alerts/{id}/responses", post(respond))
}

/// The API routes, under `/api/v1`.
pub(crate) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/alerts/{id}", get(api::alert))
        .route("/alerts/{id}/events", get(api::events))
        .route("/alerts/{id}/transitions", post(api::transition))
        .route("/alerts/{id}/notes", post(api::note))
        .route("/alerts/{id}/assignment", post(api::assignment))
        .route("/alerts/{id}/responses", get(api::responses).post(api::respond))
        .route("/alerts/{id}/corrections", get(api::corrections))
}

/// The correction coverage of an alert, once its response is tracked; `None` before.
pub(crate) async fn corrections_view(
    state: &AppState,
    alert_id: i64,
) -> Result<Option<CorrectionsView>, AppError> {
    Ok(state.store.alert_corrections(alert_id).await?.as_ref().map(CorrectionsView::new))
}

// ---- what was asked, and why it cannot be done ----

/// Who is to be assigned: a form sends the user's id, the API their name.
#[derive(Debug, Clone)]
pub(crate) enum Assignee {
    Id(i64),
    Name(String),
}

/// An action as asked, before it is checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Wish {
    pub(crate) action: String,
    pub(crate) priority: Option<String>,
    pub(crate) assignee: Option<Assignee>,
    pub(crate) reason: Option<String>,
    pub(crate) into: Option<i64>,
    pub(crate) to: Option<String>,
    pub(crate) note: Option<String>,
    /// The state the person saw; when the alert has moved since, nothing is done.
    pub(crate) seen_state: Option<String>,
}

/// A refusal, said for a page (Vietnamese) and for the API (English).
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) detail: String,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>, detail: impl Into<String>) -> Self {
        Failure { status, message: message.into(), detail: detail.into() }
    }

    fn invalid(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Failure::new(StatusCode::BAD_REQUEST, message, detail)
    }

    fn conflict(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Failure::new(StatusCode::CONFLICT, message, detail)
    }

    fn missing(id: i64) -> Self {
        Failure::new(
            StatusCode::NOT_FOUND,
            format!("Không tìm thấy cảnh báo #{id}."),
            format!("no alert {id}"),
        )
    }
}

/// Why an action was not taken: said to the person, or our own fault.
#[derive(Debug)]
pub(crate) enum Trouble {
    Refused(Failure),
    App(AppError),
}

impl From<AppError> for Trouble {
    fn from(e: AppError) -> Self {
        Trouble::App(e)
    }
}

impl From<Failure> for Trouble {
    fn from(f: Failure) -> Self {
        Trouble::Refused(f)
    }
}

/// What the store answered, for an action on `alert_id`.
fn store_trouble(e: store::Error, alert_id: i64) -> Trouble {
    match e {
        store::Error::NotFound(_) => Failure::missing(alert_id).into(),
        // Checked just before, so the alert changed in between.
        store::Error::Refused(m) | store::Error::Stale(m) => Failure::conflict(
            "Cảnh báo vừa được người khác cập nhật. Hãy xem lại trang rồi thao tác lại.",
            m,
        )
        .into(),
        e => Trouble::App(e.into()),
    }
}

fn action_label(name: &str) -> &'static str {
    name.parse::<AlertAction>().map_or("?", AlertAction::label)
}

fn state_label(name: &str) -> &'static str {
    name.parse::<AlertState>().map_or("?", AlertState::label)
}

/// A refusal of the workflow, said in Vietnamese.
pub(crate) fn refusal_failure(r: &Refusal) -> Failure {
    let detail = r.to_string();
    match r {
        Refusal::NotPermitted { action, .. } => Failure::new(
            StatusCode::FORBIDDEN,
            format!(
                "Tài khoản của bạn không được phép thực hiện thao tác «{}».",
                action_label(action)
            ),
            detail,
        ),
        Refusal::NotFrom { action, state } => Failure::conflict(
            format!(
                "Không thể thực hiện thao tác «{}» khi cảnh báo đang ở trạng thái «{}».",
                action_label(action),
                state_label(state)
            ),
            detail,
        ),
        Refusal::BadMerge(from, into) => Failure::conflict(
            format!(
                "Không thể gộp cảnh báo #{from} vào cảnh báo #{into}: cảnh báo đích phải là \
                 một cảnh báo khác và vẫn đang được xử lý."
            ),
            detail,
        ),
        Refusal::BadAssignee(_) => Failure::invalid(
            "Chỉ cán bộ xử lý hoặc quản trị viên mới được giao xử lý cảnh báo.",
            detail,
        ),
        Refusal::NoteRequired(action) => Failure::invalid(
            format!("Thao tác «{}» cần có ghi chú nêu lý do.", action_label(action)),
            detail,
        ),
    }
}

fn actor(user: &User) -> Actor {
    Actor::User { id: user.id, role: user.role }
}

fn parse_choice<T: std::str::FromStr>(
    value: Option<&str>,
    field: &str,
    what: &str,
) -> Result<Option<T>, Failure> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            Failure::invalid(
                format!("Giá trị «{}» không hợp lệ cho {what}.", clip(v, 40)),
                format!("unknown {field} {:?}", clip(v, 40)),
            )
        }),
    }
}

fn required<T>(value: Option<T>, field: &str, what: &str) -> Result<T, Failure> {
    value.ok_or_else(|| {
        Failure::invalid(format!("Hãy chọn {what}."), format!("missing field {field}"))
    })
}

fn clip(s: &str, chars: usize) -> String {
    s.chars().take(chars).collect()
}

fn check_note(note: Option<&str>) -> Result<Option<&str>, Failure> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(Failure::invalid(
            format!("Ghi chú dài quá {MAX_NOTE_CHARS} ký tự."),
            format!("the note is longer than {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(note)
}

/// The user to assign, who must exist and be enabled.
async fn assignee(store: &Store, who: &Assignee) -> Result<(i64, Role), Trouble> {
    let id = match who {
        Assignee::Id(id) => Some(*id),
        Assignee::Name(name) => match crate::auth::valid_login_name(name) {
            Some(name) => store.user_by_name(name).await.map_err(AppError::from)?.map(|u| u.0.id),
            None => None,
        },
    };
    let found = match id {
        Some(id) => store.assignable(id).await.map_err(AppError::from)?.map(|role| (id, role)),
        None => None,
    };
    found.ok_or_else(|| {
        Failure::invalid(
            "Không tìm thấy người được giao, hoặc tài khoản đã bị khóa.",
            "no enabled user by that id or name",
        )
        .into()
    })
}

/// Turns a wish into a command on the alert `current`, checking every field.
async fn command(
    store: &Store,
    current: &triage::Current,
    wish: &Wish,
    action: AlertAction,
) -> Result<Command, Trouble> {
    let priority = || parse_choice::<Priority>(wish.priority.as_deref(), "priority", "mức ưu tiên");
    Ok(match action {
        AlertAction::Acknowledge => Command::Acknowledge { priority: priority()? },
        AlertAction::Assign => {
            let who = required(wish.assignee.as_ref(), "user", "người được giao")?;
            let (user, role) = assignee(store, who).await?;
            Command::Assign { user, role }
        }
        AlertAction::Monitor => Command::Monitor,
        AlertAction::RequireResponse => Command::RequireResponse,
        AlertAction::Dismiss => Command::Dismiss {
            reason: required(
                parse_choice::<DismissReason>(wish.reason.as_deref(), "reason", "lý do bỏ qua")?,
                "reason",
                "lý do bỏ qua",
            )?,
        },
        AlertAction::Track => Command::Track,
        AlertAction::Close => Command::Close,
        AlertAction::Reopen => Command::Reopen,
        AlertAction::Merge => {
            let into = wish.into.ok_or_else(|| {
                Failure::invalid(
                    "Hãy nhập số của cảnh báo cần gộp vào.",
                    "missing field into: the id of the alert to merge into",
                )
            })?;
            if into != current.id {
                match store.alert(into).await {
                    Ok(_) => {}
                    Err(store::Error::NotFound(_)) => {
                        return Err(Failure::invalid(
                            format!("Không có cảnh báo #{into} để gộp vào."),
                            format!("no alert {into} to merge into"),
                        )
                        .into());
                    }
                    Err(e) => return Err(Trouble::App(e.into())),
                }
            }
            Command::Merge { into }
        }
        AlertAction::Escalate => Command::Escalate {
            to: required(
                parse_choice::<EscalationTarget>(wish.to.as_deref(), "to", "nơi báo cáo")?,
                "to",
                "nơi báo cáo",
            )?,
        },
        AlertAction::Prioritize => {
            Command::Prioritize { priority: required(priority()?, "priority", "mức ưu tiên")? }
        }
        AlertAction::Note => Command::Note,
        AlertAction::Respond => {
            return Err(Failure::invalid(
                "Hãy ghi nhận phản hồi chính thức bằng biểu mẫu phản hồi.",
                "record a response with POST /api/v1/alerts/{id}/responses",
            )
            .into());
        }
        AlertAction::Opened
        | AlertAction::Regrow
        | AlertAction::Absorb
        | AlertAction::Deadline
        | AlertAction::Correction => {
            return Err(Failure::invalid(
                "Thao tác này do hệ thống tự thực hiện.",
                format!("the action {} is the system's own", action.as_str()),
            )
            .into());
        }
    })
}

/// The alert as triage sees it, refusing when it moved since the person looked.
async fn current_as_seen(
    store: &Store,
    alert_id: i64,
    seen: Option<&str>,
    action: AlertAction,
) -> Result<triage::Current, Trouble> {
    let current = store.alert_current(alert_id).await.map_err(|e| store_trouble(e, alert_id))?;
    // A note never harms, whatever happened meanwhile.
    if action != AlertAction::Note
        && let Some(seen) = seen.map(str::trim).filter(|s| !s.is_empty())
        && seen != current.state.as_str()
    {
        return Err(Failure::conflict(
            format!(
                "Cảnh báo vừa được người khác chuyển sang trạng thái «{}». Hãy xem lại rồi \
                 thao tác lại.",
                current.state.label()
            ),
            format!("the alert is now {}, not {}", current.state.as_str(), clip(seen, 40)),
        )
        .into());
    }
    Ok(current)
}

/// Takes the action `wish` on alert `alert_id` for `user`.
pub(crate) async fn take(
    state: &AppState,
    alert_id: i64,
    user: &User,
    wish: &Wish,
) -> Result<store::Acted, Trouble> {
    let store = &state.store;
    let action: AlertAction = wish.action.trim().parse().map_err(|_| {
        Failure::invalid(
            "Thao tác không hợp lệ.",
            format!("unknown action {:?}", clip(wish.action.trim(), 40)),
        )
    })?;
    let current = current_as_seen(store, alert_id, wish.seen_state.as_deref(), action).await?;
    let cmd = command(store, &current, wish, action).await?;
    let note = check_note(wish.note.as_deref())?;
    let now = Utc::now();
    let change = triage::decide(&current, &cmd, actor(user), note, now, store.schedule())
        .map_err(|r| refusal_failure(&r))?;
    if let Command::Merge { into } = cmd {
        let target = store.alert_current(into).await.map_err(|e| store_trouble(e, into))?;
        triage::absorb(&target, &change, now).map_err(|r| refusal_failure(&r))?;
    }
    store.act(alert_id, &cmd, actor(user), note, now).await.map_err(|e| store_trouble(e, alert_id))
}

/// An official response as asked, before it is checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseWish {
    pub(crate) channel: String,
    /// When it was published; `None` for now.
    pub(crate) published_at: Option<Timestamp>,
    pub(crate) text: String,
    pub(crate) url: String,
    pub(crate) note: Option<String>,
    pub(crate) seen_state: Option<String>,
}

/// Checks a response's statement address: empty, or an http(s) URL with a host.
fn response_url(url: &str) -> Result<Option<String>, Failure> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let bad = || {
        Failure::invalid(
            "Đường dẫn phải là một địa chỉ web đầy đủ, bắt đầu bằng http:// hoặc https://.",
            "url must be an absolute http or https URL",
        )
    };
    if url.len() > MAX_URL_BYTES {
        return Err(Failure::invalid(
            "Đường dẫn quá dài.",
            format!("url is longer than {MAX_URL_BYTES} bytes"),
        ));
    }
    let parsed = url::Url::parse(url).map_err(|_| bad())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(Some(url.to_owned()))
}

/// Records the office's response to alert `alert_id` for `user`.
pub(crate) async fn record_response(
    state: &AppState,
    alert_id: i64,
    user: &User,
    wish: &ResponseWish,
) -> Result<store::Acted, Trouble> {
    let store = &state.store;
    let current =
        current_as_seen(store, alert_id, wish.seen_state.as_deref(), AlertAction::Respond).await?;
    let channel = required(
        parse_choice::<ResponseChannel>(Some(&wish.channel), "channel", "kênh phản hồi")?,
        "channel",
        "kênh phản hồi",
    )?;
    let text = wish.text.trim();
    if text.is_empty() {
        return Err(Failure::invalid(
            "Hãy nhập nội dung phản hồi chính thức.",
            "text must not be empty",
        )
        .into());
    }
    if text.chars().count() > MAX_RESPONSE_CHARS {
        return Err(Failure::invalid(
            format!("Nội dung phản hồi dài quá {MAX_RESPONSE_CHARS} ký tự."),
            format!("text is longer than {MAX_RESPONSE_CHARS} characters"),
        )
        .into());
    }
    let url = response_url(&wish.url)?;
    let now = Utc::now();
    let published_at = wish.published_at.unwrap_or(now);
    if published_at > now + chrono::Duration::minutes(FUTURE_SLACK_MINUTES) {
        return Err(Failure::invalid(
            "Thời điểm đăng phản hồi không được ở tương lai.",
            "published_at is in the future",
        )
        .into());
    }
    let note = check_note(wish.note.as_deref())?;
    triage::decide(&current, &Command::Respond, actor(user), note, now, store.schedule())
        .map_err(|r| refusal_failure(&r))?;
    let response = store::NewResponse { channel, published_at, text: text.to_owned(), url };
    store
        .respond(alert_id, &response, actor(user), note, now)
        .await
        .map_err(|e| store_trouble(e, alert_id))
}

/// A Vietnam-time `datetime-local` value (`2025-03-01T14:30`, seconds optional).
pub(crate) fn parse_vn_local(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    model::VN_OFFSET.from_local_datetime(&naive).single().map(|t| t.with_timezone(&Utc))
}

/// `ts` as a `datetime-local` value in Vietnam time.
pub(crate) fn vn_local(ts: Timestamp) -> String {
    model::to_vn_time(ts).format("%Y-%m-%dT%H:%M").to_string()
}

// ---- the page and its forms ----

fn not_found_page() -> Result<Response, AppError> {
    Ok((StatusCode::NOT_FOUND, Html(NotFoundPage {}.render()?)).into_response())
}

/// What the page says above everything after a refused action, and the response form as
/// it was filled in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notice {
    pub(crate) error: Option<String>,
    pub(crate) draft: Option<view::Draft>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    status: StatusCode,
    notice: Notice,
) -> Result<Response, AppError> {
    match view::load(state, user, id, notice).await? {
        Some(page) => Ok((status, Html(page.render()?)).into_response()),
        None => not_found_page(),
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Ok(id) = id.parse::<i64>() else { return not_found_page() };
    render(&state, &user, id, StatusCode::OK, Notice::default()).await
}

/// The fields of every action form; each form sends the ones its action needs.
#[derive(Deserialize, Default)]
pub(crate) struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    into: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

fn present(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// A number typed in a form: `#12` and `12` are the same.
fn form_number(s: &str) -> Result<Option<i64>, Failure> {
    match present(s) {
        None => Ok(None),
        Some(v) => v.trim_start_matches('#').trim().parse::<i64>().map(Some).map_err(|_| {
            Failure::invalid(
                format!("«{}» không phải là số của một cảnh báo.", clip(&v, 40)),
                "not an alert id",
            )
        }),
    }
}

/// After a refusal the page is shown again with the reason; after anything else, the
/// error as usual.
async fn answer(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    outcome: Result<store::Acted, Trouble>,
    draft: Option<view::Draft>,
) -> Result<Response, AppError> {
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/alerts/{id}")).into_response()),
        Err(Trouble::Refused(f)) if f.status == StatusCode::NOT_FOUND => not_found_page(),
        Err(Trouble::Refused(f)) => {
            let notice = Notice { error: Some(f.message), draft };
            render(state, user, id, f.status, notice).await
        }
        Err(Trouble::App(e)) => Err(e),
    }
}

pub(crate) async fn act(
    State(state): State<AppState>,
    Officer(user): Officer,
    Path(id): Path<String>,
    Form(form): Form<ActForm>,
) -> Result<Response, AppError> {
    if !same_secret(&user.csrf, &form.csrf) {
        return Err(AppError::Forbidden);
    }
    let Ok(id) = id.parse::<i64>() else { return not_found_page() };
    let wish = match form_number(&form.into) {
        Ok(into) => Ok(Wish {
            action: form.action.clone(),
            priority: present(&form.priority),
            assignee: present(&form.user)
                .map(|u| u.parse::<i64>().map_or(Assignee::Name(u), Assignee::Id)),
            reason: present(&form.reason),
            into,
            to: present(&form.to),
            note: present(&form.note),
            seen_state: present(&form.state),
        }),
        Err(f) => Err(Trouble::Refused(f)),
    };
    let outcome = match wish {
        Ok(wish) => take(&state, id, &user.user, &wish).await,
        Err(t) => Err(t),
    };
    answer(&state, &user, id, outcome, None).await
}

#[derive(Deserialize, Default)]
pub(crate) struct ResponseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    published_at: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    note: String,
}

pub(crate) async fn respond(
    State(state): State<AppState>,
    Officer(user): Officer,
    Path(id): Path<String>,
    Form(form): Form<ResponseForm>,
) -> Result<Response, AppError> {
    if !same_secret(&user.csrf, &form.csrf) {
        return Err(AppError::Forbidden);
    }
    let Ok(id) = id.parse::<i64>() else { return not_found_page() };
    let draft = view::Draft {
        channel: form.channel.clone(),
        published_at: form.published_at.clone(),
        text: form.text.clone(),
        url: form.url.clone(),
        note: form.note.clone(),
    };
    let published_at = match present(&form.published_at) {
        None => Ok(None),
        Some(v) => parse_vn_local(&v).map(Some).ok_or_else(|| {
            Trouble::Refused(Failure::invalid(
                "Thời điểm đăng không hợp lệ: hãy chọn ngày và giờ.",
                "published_at is not a date and time",
            ))
        }),
    };
    let outcome = match published_at {
        Ok(published_at) => {
            let wish = ResponseWish {
                channel: form.channel,
                published_at,
                text: form.text,
                url: form.url,
                note: present(&form.note),
                seen_state: present(&form.state),
            };
            record_response(&state, id, &user.user, &wish).await
        }
        Err(t) => Err(t),
    };
    answer(&state, &user, id, outcome, Some(draft)).await
}
