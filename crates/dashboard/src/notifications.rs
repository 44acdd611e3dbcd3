//! `/notifications`: a user's subscriptions to notifications (which alerts, on which
//! channel, with quiet hours, and whether the daily digest comes too), managed by the user
//! for themself and by admins for anyone; and `/notifications/outbox`, the messages waiting,
//! sent and failed, for admins.
//!
//! Forms work without JavaScript and carry the session's CSRF token. Somebody else's
//! subscription is refused as not permitted (admins excepted). After a change the browser
//! goes back to the list with a notice from a fixed set (`?ok=…`).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use model::{
    Channel, OutboxState, Priority, QuietHours, Role, RuleKind, Subscription, SubscriptionSettings,
    User,
};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Admin, CurrentUser, same_secret};
use crate::error::AppError;
use crate::pages::chrome;
use crate::views::{Chrome, vn_time};

/// Largest form body: a few hundred rule ids fit.
const FORM_BODY_LIMIT: usize = 64 * 1024;
/// Subscriptions one user may have.
const MAX_PER_USER: usize = 20;
/// Rules, provinces or kinds one subscription may name.
const MAX_LIST: usize = 200;
/// Longest target: an e-mail address is at most 254 bytes.
const MAX_TARGET: usize = 254;
/// Messages the outbox page lists.
const OUTBOX_PAGE: usize = 200;

/// Builds a test message for a subscription (the application's, which knows the channels'
/// formats and the public address); `Err` says why none can be built.
pub type TestMessage = Arc<
    dyn Fn(&Subscription, &str, chrono::DateTime<Utc>) -> Result<store::NewOutgoing, String>
        + Send
        + Sync,
>;

/// What the notification pages offer: the channels configured and how to test one.
#[derive(Clone)]
pub struct DeliveryOptions {
    /// Whether e-mail can be sent (an SMTP server is configured).
    pub email: bool,
    /// The names of the configured webhook endpoints.
    pub webhooks: Vec<String>,
    /// Whether a Zalo Official Account is configured.
    pub zalo: bool,
    /// Builds the message "Gửi thử" sends; `None` hides the button.
    pub test_message: Option<TestMessage>,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions { email: true, webhooks: Vec::new(), zalo: false, test_message: None }
    }
}

impl std::fmt::Debug for DeliveryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryOptions")
            .field("email", &self.email)
            .field("webhooks", &self.webhooks)
            .field("zalo", &self.zalo)
            .finish_non_exhaustive()
    }
}

impl DeliveryOptions {
    fn offers(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.email,
            Channel::Webhook => !self.webhooks.is_empty(),
            Channel::Zalo => self.zalo,
        }
    }
}

impl AppState {
    /// Says which channels the notification pages offer and how to send a test message.
    pub fn with_delivery(mut self, options: DeliveryOptions) -> AppState {
        self.delivery = Arc::new(options);
        self
    }
}

/// The notification pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(page).post(create))
        .route("/notifications/outbox", get(outbox))
        .route("/notifications/outbox/{id}/retry", post(retry))
        .route("/notifications/{id}", get(edit_page).post(save))
        .route("/notifications/{id}/test", post(test))
        .route("/notifications/{id}/delete", post(delete))
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
}

// ---- what the pages show ----

/// One choice of a form: value, label, chosen.
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) chosen: bool,
}

/// A group of choices (rules of one kind).
pub(crate) struct ChoiceGroup {
    pub(crate) label: &'static str,
    pub(crate) choices: Vec<Choice>,
}

/// The subscription form, filled in.
pub(crate) struct FormView {
    /// Where it is posted.
    pub(crate) action: String,
    /// Whose subscription it is (for admins acting for somebody else).
    pub(crate) owner: String,
    pub(crate) channels: Vec<Choice>,
    pub(crate) target: String,
    pub(crate) kinds: Vec<Choice>,
    pub(crate) priorities: Vec<Choice>,
    pub(crate) topics: Vec<ChoiceGroup>,
    pub(crate) provinces: Vec<Choice>,
    pub(crate) quiet_start: String,
    pub(crate) quiet_end: String,
    pub(crate) alerts: bool,
    pub(crate) digest: bool,
    pub(crate) enabled: bool,
    pub(crate) submit: &'static str,
    /// Configured webhook endpoint names, for the help text.
    pub(crate) webhooks: String,
}

/// One subscription in the list.
pub(crate) struct Row {
    pub(crate) id: i64,
    pub(crate) channel: &'static str,
    pub(crate) target: String,
    pub(crate) receives: String,
    pub(crate) kinds: String,
    pub(crate) priority: &'static str,
    pub(crate) topics: String,
    pub(crate) provinces: String,
    pub(crate) quiet: String,
    pub(crate) enabled: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
pub(crate) struct ListPage {
    pub(crate) chrome: Chrome,
    pub(crate) owner: String,
    pub(crate) is_me: bool,
    pub(crate) is_admin: bool,
    /// Users an admin may switch to.
    pub(crate) users: Vec<Choice>,
    pub(crate) rows: Vec<Row>,
    pub(crate) can_test: bool,
    /// Whether any channel is configured at all.
    pub(crate) any_channel: bool,
    pub(crate) full: bool,
    pub(crate) form: FormView,
    pub(crate) notice: Option<&'static str>,
    pub(crate) error: Option<String>,
}

#[derive(Template)]
#[template(path = "notification_edit.html")]
pub(crate) struct EditPage {
    pub(crate) chrome: Chrome,
    pub(crate) owner: String,
    pub(crate) form: FormView,
    pub(crate) error: Option<String>,
}

/// One message on the outbox page.
pub(crate) struct OutboxRow {
    pub(crate) id: i64,
    pub(crate) created: String,
    pub(crate) kind: &'static str,
    pub(crate) channel: &'static str,
    pub(crate) recipient: String,
    pub(crate) subject: String,
    pub(crate) state: &'static str,
    pub(crate) state_class: &'static str,
    pub(crate) progress: String,
    pub(crate) failed: bool,
}

#[derive(Template)]
#[template(path = "outbox.html")]
pub(crate) struct OutboxPage {
    pub(crate) chrome: Chrome,
    pub(crate) counts: Vec<(&'static str, i64)>,
    pub(crate) states: Vec<Choice>,
    pub(crate) rows: Vec<OutboxRow>,
    pub(crate) notice: Option<&'static str>,
}

fn kind_label(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Topic => "Chủ đề",
        RuleKind::Rumor => "Tin đồn",
        RuleKind::Watch => "Theo dõi",
        RuleKind::Crisis => "Khủng hoảng",
        RuleKind::Spike => "Tăng đột biến",
        RuleKind::Suspicion => "Nghi vấn tin giả",
    }
}

/// The kinds an alert can be of (topics never raise one by themselves).
const ALERT_KINDS: [RuleKind; 5] =
    [RuleKind::Crisis, RuleKind::Rumor, RuleKind::Watch, RuleKind::Spike, RuleKind::Suspicion];

/// What a subscription's least urgent priority means, in words.
fn priority_choice(p: Priority) -> &'static str {
    match p {
        Priority::P1 => "Chỉ P1 – Khẩn cấp",
        Priority::P2 => "P1 và P2",
        Priority::P3 => "Mọi mức (P1, P2, P3)",
    }
}

fn outbox_kind_label(kind: &str) -> &'static str {
    match kind {
        "alert" => "Cảnh báo",
        "escalation" => "Quá hạn, báo cáo",
        "digest" => "Bản tin hằng ngày",
        "saved_search" => "Tìm kiếm đã lưu",
        "report" => "Báo cáo định kỳ",
        "test" => "Thư thử",
        _ => "Khác",
    }
}

fn province_name(code: &str) -> String {
    gazetteer::unit(code).map_or_else(|| code.to_owned(), |u| u.short.to_owned())
}

fn row(s: &Subscription, rules: &[(String, String, RuleKind)]) -> Row {
    let st = &s.settings;
    let all = |v: Vec<String>| if v.is_empty() { "Tất cả".to_owned() } else { v.join(", ") };
    let mut receives = Vec::new();
    if st.alerts {
        receives.push("Cảnh báo");
    }
    if st.digest {
        receives.push("Bản tin hằng ngày");
    }
    Row {
        id: s.id,
        channel: st.channel.label(),
        target: st.target.clone(),
        receives: receives.join(", "),
        kinds: all(st.kinds.iter().map(|k| kind_label(*k).to_owned()).collect()),
        priority: priority_choice(st.min_priority),
        topics: all(st
            .topics
            .iter()
            .map(|t| rules.iter().find(|r| &r.0 == t).map_or_else(|| t.clone(), |r| r.1.clone()))
            .collect()),
        provinces: all(st.provinces.iter().map(|p| province_name(p)).collect()),
        quiet: st.quiet.map_or_else(
            || "Không".to_owned(),
            |q| format!("{}–{}", q.start.format("%H:%M"), q.end.format("%H:%M")),
        ),
        enabled: st.enabled,
    }
}

/// The rules a subscription may name: (id, title, kind), by kind then title.
fn rule_list(state: &AppState) -> Vec<(String, String, RuleKind)> {
    let Some(handle) = &state.rules else { return Vec::new() };
    let set = handle.current_set();
    let mut out: Vec<(String, String, RuleKind)> =
        set.rules().iter().map(|r| (r.id.to_string(), r.title.to_string(), r.kind)).collect();
    out.sort_by(|a, b| (a.2, &a.1, &a.0).cmp(&(b.2, &b.1, &b.0)));
    out
}

fn form_view(
    state: &AppState,
    rules: &[(String, String, RuleKind)],
    action: String,
    owner: &str,
    s: &SubscriptionSettings,
    submit: &'static str,
) -> FormView {
    let options = &state.delivery;
    let channels = Channel::ALL
        .iter()
        .filter(|c| options.offers(**c) || **c == s.channel)
        .map(|c| Choice {
            value: c.as_str().into(),
            label: c.label().into(),
            chosen: *c == s.channel,
        })
        .collect();
    let kinds = ALERT_KINDS
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: kind_label(*k).into(),
            chosen: s.kinds.contains(k),
        })
        .collect();
    let priorities = Priority::ALL
        .iter()
        .map(|p| Choice {
            value: p.as_str().into(),
            label: priority_choice(*p).to_owned(),
            chosen: *p == s.min_priority,
        })
        .collect();
    let mut topics: Vec<ChoiceGroup> = Vec::new();
    for kind in [RuleKind::Crisis, RuleKind::Rumor, RuleKind::Watch, RuleKind::Topic] {
        let choices: Vec<Choice> = rules
            .iter()
            .filter(|r| r.2 == kind)
            .map(|r| Choice {
                value: r.0.clone(),
                label: r.1.clone(),
                chosen: s.topics.contains(&r.0),
            })
            .collect();
        if !choices.is_empty() {
            topics.push(ChoiceGroup { label: kind_label(kind), choices });
        }
    }
    // A rule no longer loaded stays chosen, so saving does not drop it silently.
    let unknown: Vec<Choice> = s
        .topics
        .iter()
        .filter(|t| !rules.iter().any(|r| &r.0 == *t))
        .map(|t| Choice { value: t.clone(), label: t.clone(), chosen: true })
        .collect();
    if !unknown.is_empty() {
        topics.push(ChoiceGroup { label: "Quy tắc không còn nạp", choices: unknown });
    }
    let mut provinces: Vec<Choice> = gazetteer::units()
        .iter()
        .map(|u| Choice {
            value: u.code.into(),
            label: u.short.into(),
            chosen: s.provinces.iter().any(|p| p == u.code),
        })
        .collect();
    provinces.sort_by_key(|a| vi_text::fold_form(&a.label));
    FormView {
        action,
        owner: owner.to_owned(),
        channels,
        target: s.target.clone(),
        kinds,
        priorities,
        topics,
        provinces,
        quiet_start: s.quiet.map(|q| q.start.format("%H:%M").to_string()).unwrap_or_default(),
        quiet_end: s.quiet.map(|q| q.end.format("%H:%M").to_string()).unwrap_or_default(),
        alerts: s.alerts,
        digest: s.digest,
        enabled: s.enabled,
        submit,
        webhooks: options.webhooks.join(", "),
    }
}

fn blank(options: &DeliveryOptions) -> SubscriptionSettings {
    let channel =
        Channel::ALL.iter().copied().find(|c| options.offers(*c)).unwrap_or(Channel::Email);
    SubscriptionSettings {
        channel,
        target: String::new(),
        kinds: Vec::new(),
        min_priority: Priority::P2,
        topics: Vec::new(),
        provinces: Vec::new(),
        quiet: None,
        alerts: true,
        digest: false,
        enabled: true,
    }
}

// ---- reading the form ----

/// The subscription form as posted: every field, repeated ones (kinds, rules, provinces)
/// included.
struct Posted(Vec<(String, String)>);

impl Posted {
    fn one(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    fn checked(&self, name: &str) -> bool {
        !self.one(name).is_empty()
    }
}

/// Whether `text` looks like an e-mail address a server would take.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else { return false };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && text.len() <= MAX_TARGET
        && !text.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
        })
}

/// The settings a form asks for, or why they cannot be (in Vietnamese).
fn read_form(
    p: &Posted,
    options: &DeliveryOptions,
    rules: &[(String, String, RuleKind)],
    before: Option<&SubscriptionSettings>,
) -> Result<SubscriptionSettings, String> {
    let channel: Channel =
        p.one("channel").parse().map_err(|_| "Kênh nhận không hợp lệ.".to_owned())?;
    // A channel no longer configured may stay on a subscription that has it, not be chosen anew.
    if !options.offers(channel) && before.is_none_or(|b| b.channel != channel) {
        return Err(format!("Kênh {} chưa được cấu hình trên máy chủ này.", channel.label()));
    }
    let target = p.one("target").trim().to_owned();
    match channel {
        Channel::Email if !is_email(&target) => {
            return Err("Địa chỉ e-mail không hợp lệ.".to_owned());
        }
        Channel::Webhook if !options.webhooks.contains(&target) => {
            let known = if options.webhooks.is_empty() {
                "chưa có webhook nào được cấu hình".to_owned()
            } else {
                format!("các tên đã cấu hình: {}", options.webhooks.join(", "))
            };
            return Err(format!("Tên webhook không có trong cấu hình ({known})."));
        }
        Channel::Zalo
            if target.is_empty()
                || target.len() > 32
                || !target.bytes().all(|b| b.is_ascii_digit()) =>
        {
            return Err("Mã người dùng Zalo chỉ gồm chữ số (tối đa 32).".to_owned());
        }
        _ => {}
    }
    let mut kinds = Vec::new();
    for k in p.all("kinds") {
        match k.parse::<RuleKind>() {
            Ok(kind) if ALERT_KINDS.contains(&kind) => {
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
            _ => return Err("Loại cảnh báo không hợp lệ.".to_owned()),
        }
    }
    let min_priority: Priority =
        p.one("min_priority").parse().map_err(|_| "Mức ưu tiên không hợp lệ.".to_owned())?;
    let mut topics: Vec<String> = Vec::new();
    for t in p.all("topics") {
        let t = t.trim();
        let known = rules.iter().any(|r| r.0 == t)
            || before.is_some_and(|b| b.topics.iter().any(|x| x == t));
        if !known {
            return Err("Quy tắc đã chọn không còn trong bộ quy tắc.".to_owned());
        }
        if !topics.iter().any(|x| x == t) {
            topics.push(t.to_owned());
        }
    }
    let mut provinces: Vec<String> = Vec::new();
    for code in p.all("provinces") {
        if gazetteer::unit(code).is_none() {
            return Err("Tỉnh/thành không hợp lệ.".to_owned());
        }
        if !provinces.iter().any(|x| x == code) {
            provinces.push(code.to_owned());
        }
    }
    if kinds.len() > MAX_LIST || topics.len() > MAX_LIST || provinces.len() > MAX_LIST {
        return Err("Chọn quá nhiều mục.".to_owned());
    }
    let (qs, qe) = (p.one("quiet_start").trim(), p.one("quiet_end").trim());
    let quiet = match (qs.is_empty(), qe.is_empty()) {
        (true, true) => None,
        (false, false) => {
            let parse = |t: &str| alerts::deadlines::parse_hhmm(t).ok();
            match (parse(qs), parse(qe)) {
                (Some(start), Some(end)) if start != end => Some(QuietHours { start, end }),
                (Some(_), Some(_)) => {
                    return Err("Giờ bắt đầu và kết thúc giờ yên lặng phải khác nhau.".to_owned());
                }
                _ => return Err("Giờ yên lặng phải viết dạng GG:PP, ví dụ 22:00.".to_owned()),
            }
        }
        _ => {
            return Err("Hãy nhập cả giờ bắt đầu và giờ kết thúc, hoặc để trống cả hai.".to_owned());
        }
    };
    let (alerts, digest) = (p.checked("alerts"), p.checked("digest"));
    if !alerts && !digest {
        return Err("Hãy chọn nhận cảnh báo, bản tin hằng ngày, hoặc cả hai.".to_owned());
    }
    Ok(SubscriptionSettings {
        channel,
        target,
        kinds,
        min_priority,
        topics,
        provinces,
        quiet,
        alerts,
        digest,
        enabled: p.checked("enabled"),
    })
}

// ---- who may see what ----

fn check_csrf(user: &CurrentUser, posted: &Posted) -> Result<(), AppError> {
    if same_secret(&user.csrf, posted.one("csrf")) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// The user whose subscriptions are shown: the caller, or for an admin anyone by name.
async fn owner_named(state: &AppState, me: &CurrentUser, name: &str) -> Result<User, AppError> {
    if name.is_empty() || name == me.user.name {
        return Ok(me.user.clone());
    }
    if me.user.role != Role::Admin {
        return Err(AppError::NotPermitted);
    }
    state.store.user_by_name(name).await?.map(|(u, _)| u).ok_or(AppError::NotFound)
}

/// Subscription `id`, if the caller may manage it (theirs, or any for an admin), with its
/// owner.
async fn owned(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
) -> Result<(Subscription, User), AppError> {
    let s = state.store.subscription(id).await?.ok_or(AppError::NotFound)?;
    if s.user_id == me.user.id {
        return Ok((s, me.user.clone()));
    }
    if me.user.role != Role::Admin {
        return Err(AppError::NotPermitted);
    }
    let owner = state
        .store
        .list_users()
        .await?
        .into_iter()
        .find(|u| u.id == s.user_id)
        .ok_or(AppError::NotFound)?;
    Ok((s, owner))
}

/// The list page's address for `owner`, as `me` reaches it.
fn list_path(me: &CurrentUser, owner: &User) -> String {
    if owner.id == me.user.id {
        "/notifications".to_owned()
    } else {
        let name: String = url::form_urlencoded::byte_serialize(owner.name.as_bytes()).collect();
        format!("/notifications?user={name}")
    }
}

/// Writes an admin's change to somebody else's subscriptions to the audit log (a user's
/// changes to their own are theirs to make).
async fn audit_for(
    state: &AppState,
    me: &CurrentUser,
    owner: &User,
    action: &str,
    detail: &str,
) -> Result<(), AppError> {
    if owner.id != me.user.id {
        crate::admin::audit(state, &me.user, action, &owner.name, detail).await?;
    }
    Ok(())
}

fn done(path: &str, code: &str) -> Redirect {
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}ok={code}"))
}

fn notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "Đã thêm đăng ký nhận thông báo.",
        "saved" => "Đã lưu thay đổi.",
        "deleted" => "Đã xóa đăng ký.",
        "tested" => "Đã xếp thư thử vào hàng đợi gửi; thư sẽ đến trong ít giây nếu kênh hoạt động.",
        "retried" => "Đã xếp lại thư vào hàng đợi gửi.",
        _ => return None,
    })
}

// ---- handlers ----

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    ok: String,
}

async fn render_list(
    state: &AppState,
    me: &CurrentUser,
    owner: &User,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
    kept: Option<SubscriptionSettings>,
) -> Result<Response, AppError> {
    let rules = rule_list(state);
    let subs = state.store.subscriptions_of(owner.id).await?;
    let is_admin = me.user.role == Role::Admin;
    let users = if is_admin {
        state
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| u.is_enabled())
            .map(|u| Choice { chosen: u.id == owner.id, value: u.name.clone(), label: u.name })
            .collect()
    } else {
        Vec::new()
    };
    let settings = kept.unwrap_or_else(|| blank(&state.delivery));
    let page = ListPage {
        chrome: chrome(me),
        owner: owner.name.clone(),
        is_me: owner.id == me.user.id,
        is_admin,
        users,
        rows: subs.iter().map(|s| row(s, &rules)).collect(),
        can_test: state.delivery.test_message.is_some(),
        any_channel: Channel::ALL.iter().any(|c| state.delivery.offers(*c)),
        full: subs.len() >= MAX_PER_USER,
        form: form_view(
            state,
            &rules,
            "/notifications".to_owned(),
            &owner.name,
            &settings,
            "Thêm đăng ký",
        ),
        notice,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let owner = owner_named(&state, &me, &q.user).await?;
    render_list(&state, &me, &owner, StatusCode::OK, notice(&q.ok), None, None).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let posted = Posted(fields);
    check_csrf(&me, &posted)?;
    let owner = owner_named(&state, &me, posted.one("owner")).await?;
    let rules = rule_list(&state);
    let settings = match read_form(&posted, &state.delivery, &rules, None) {
        Ok(s) => s,
        Err(message) => {
            return render_list(
                &state,
                &me,
                &owner,
                StatusCode::BAD_REQUEST,
                None,
                Some(message),
                None,
            )
            .await;
        }
    };
    if state.store.subscriptions_of(owner.id).await?.len() >= MAX_PER_USER {
        let message = format!("Mỗi tài khoản có tối đa {MAX_PER_USER} đăng ký.");
        return render_list(
            &state,
            &me,
            &owner,
            StatusCode::BAD_REQUEST,
            None,
            Some(message),
            Some(settings),
        )
        .await;
    }
    let s = state.store.create_subscription(owner.id, &settings, Utc::now()).await?;
    audit_for(&state, &me, &owner, "subscription_add", &format!("{} {}", settings.channel, s.id))
        .await?;
    tracing::info!(subscription_id = s.id, user = %owner.name, by = %me.user.name, channel = settings.channel.as_str(), "Subscription added.");
    Ok(done(&list_path(&me, &owner), "created").into_response())
}

async fn render_edit(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    owner: &User,
    settings: &SubscriptionSettings,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let rules = rule_list(state);
    let page = EditPage {
        chrome: chrome(me),
        owner: owner.name.clone(),
        form: form_view(
            state,
            &rules,
            format!("/notifications/{id}"),
            &owner.name,
            settings,
            "Lưu thay đổi",
        ),
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn edit_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (s, owner) = owned(&state, &me, id).await?;
    render_edit(&state, &me, id, &owner, &s.settings, StatusCode::OK, None).await
}

pub(crate) async fn save(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let posted = Posted(fields);
    check_csrf(&me, &posted)?;
    let (s, owner) = owned(&state, &me, id).await?;
    let rules = rule_list(&state);
    match read_form(&posted, &state.delivery, &rules, Some(&s.settings)) {
        Ok(settings) => {
            state.store.update_subscription(id, &settings, Utc::now()).await?;
            audit_for(&state, &me, &owner, "subscription_change", &id.to_string()).await?;
            tracing::info!(subscription_id = id, by = %me.user.name, "Subscription changed.");
            Ok(done(&list_path(&me, &owner), "saved").into_response())
        }
        Err(message) => {
            render_edit(
                &state,
                &me,
                id,
                &owner,
                &s.settings,
                StatusCode::BAD_REQUEST,
                Some(message),
            )
            .await
        }
    }
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let posted = Posted(fields);
    check_csrf(&me, &posted)?;
    let (_, owner) = owned(&state, &me, id).await?;
    state.store.delete_subscription(id).await?;
    audit_for(&state, &me, &owner, "subscription_remove", &id.to_string()).await?;
    tracing::info!(subscription_id = id, by = %me.user.name, "Subscription removed.");
    Ok(done(&list_path(&me, &owner), "deleted").into_response())
}

pub(crate) async fn test(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let posted = Posted(fields);
    check_csrf(&me, &posted)?;
    let (s, owner) = owned(&state, &me, id).await?;
    let Some(build) = state.delivery.test_message.clone() else {
        return render_list(
            &state,
            &me,
            &owner,
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            Some("Máy chủ này chưa cấu hình việc gửi thông báo.".to_owned()),
            None,
        )
        .await;
    };
    let now = Utc::now();
    match build(&s, &owner.name, now) {
        Ok(message) => {
            state.store.enqueue(&[message], now).await?;
            tracing::info!(subscription_id = id, by = %me.user.name, "Test message written to the outbox.");
            Ok(done(&list_path(&me, &owner), "tested").into_response())
        }
        Err(e) => {
            tracing::warn!(subscription_id = id, error = %e, "A test message could not be built.");
            render_list(
                &state,
                &me,
                &owner,
                StatusCode::BAD_REQUEST,
                None,
                Some(
                    "Không tạo được thư thử cho đăng ký này; hãy kiểm tra địa chỉ nhận.".to_owned(),
                ),
                None,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct OutboxQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    ok: String,
}

fn state_class(s: OutboxState) -> &'static str {
    match s {
        OutboxState::Pending => "pending",
        OutboxState::Sending => "sending",
        OutboxState::Sent => "sent",
        OutboxState::Failed => "failed",
    }
}

pub(crate) async fn outbox(
    State(state): State<AppState>,
    Admin(me): Admin,
    Query(q): Query<OutboxQuery>,
) -> Result<Response, AppError> {
    let filter: Option<OutboxState> = if q.state.is_empty() {
        None
    } else {
        Some(
            q.state
                .parse()
                .map_err(|_| AppError::BadRequest("Trạng thái không hợp lệ.".to_owned()))?,
        )
    };
    let counts = state.store.outbox_counts().await?;
    let entries = state.store.outbox_entries(filter, OUTBOX_PAGE).await?;
    let now = Utc::now();
    let rows = entries
        .iter()
        .map(|e| {
            let progress = match e.state {
                OutboxState::Pending if e.attempts == 0 && e.next_attempt_at > now => {
                    format!("Giữ đến {} (giờ yên lặng)", vn_time(e.next_attempt_at))
                }
                OutboxState::Pending if e.attempts == 0 => "Chờ gửi".to_owned(),
                OutboxState::Pending => format!(
                    "Đã thử {} lần, lỗi tạm thời; thử lại lúc {}",
                    e.attempts,
                    vn_time(e.next_attempt_at)
                ),
                OutboxState::Sending => format!("Đang gửi (lần {})", e.attempts),
                OutboxState::Sent => e
                    .sent_at
                    .map_or_else(|| "Đã gửi".to_owned(), |t| format!("Đã gửi lúc {}", vn_time(t))),
                OutboxState::Failed => format!(
                    "Không gửi được sau {} lần; chi tiết lỗi có trong nhật ký máy chủ (outbox_id={})",
                    e.attempts, e.id
                ),
            };
            OutboxRow {
                id: e.id,
                created: vn_time(e.created_at),
                kind: outbox_kind_label(&e.kind),
                channel: e.channel.label(),
                recipient: e.recipient.clone(),
                subject: e.subject.clone(),
                state: e.state.label(),
                state_class: state_class(e.state),
                progress,
                failed: e.state == OutboxState::Failed,
            }
        })
        .collect();
    let states = std::iter::once(Choice {
        value: String::new(),
        label: "Tất cả".into(),
        chosen: filter.is_none(),
    })
    .chain(OutboxState::ALL.iter().map(|s| Choice {
        value: s.as_str().into(),
        label: s.label().into(),
        chosen: filter == Some(*s),
    }))
    .collect();
    let page = OutboxPage {
        chrome: chrome(&me),
        counts: counts.iter().map(|(s, n)| (s.label(), *n)).collect(),
        states,
        rows,
        notice: notice(&q.ok),
    };
    Ok(Html(page.render()?).into_response())
}

pub(crate) async fn retry(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let posted = Posted(fields);
    check_csrf(&me, &posted)?;
    if !state.store.outbox_retry(id, Utc::now()).await? {
        return Err(AppError::NotFound);
    }
    crate::admin::audit(&state, &me.user, "outbox_retry", &id.to_string(), "").await?;
    tracing::info!(outbox_id = id, by = %me.user.name, "Failed message queued again.");
    Ok(done("/notifications/outbox", "retried").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        Posted(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    fn options() -> DeliveryOptions {
        DeliveryOptions {
            email: true,
            webhooks: vec!["phong-tt".into()],
            zalo: false,
            test_message: None,
        }
    }

    #[test]
    fn a_form_reads_into_settings_with_repeated_fields() {
        let rules = vec![("crisis.ngo-doc".to_owned(), "Ngộ độc".to_owned(), RuleKind::Crisis)];
        let p = posted(&[
            ("channel", "email"),
            ("target", " lan@soyte.example.vn "),
            ("kinds", "crisis"),
            ("kinds", "rumor"),
            ("min_priority", "p2"),
            ("topics", "crisis.ngo-doc"),
            ("provinces", "75"),
            ("provinces", "79"),
            ("quiet_start", "22:00"),
            ("quiet_end", "06:30"),
            ("alerts", "1"),
            ("enabled", "1"),
        ]);
        let s = read_form(&p, &options(), &rules, None).unwrap();
        assert_eq!(s.target, "lan@soyte.example.vn");
        assert_eq!(s.kinds, [RuleKind::Crisis, RuleKind::Rumor]);
        assert_eq!(s.provinces, ["75", "79"]);
        assert_eq!(s.min_priority, Priority::P2);
        assert!(s.alerts && !s.digest && s.enabled);
        assert_eq!(s.quiet.unwrap().start.format("%H:%M").to_string(), "22:00");
    }

    #[test]
    fn bad_forms_are_refused_in_vietnamese() {
        let o = options();
        let base = [
            ("channel", "email"),
            ("target", "lan@soyte.example.vn"),
            ("min_priority", "p3"),
            ("alerts", "1"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v: Vec<(&str, &str)> = base.to_vec();
            for (k, val) in extra {
                v.retain(|(x, _)| x != k);
                v.push((k, val));
            }
            read_form(&posted(&v), &o, &[], None)
        };
        assert!(with(&[]).is_ok());
        assert!(with(&[("target", "khong-phai-email")]).unwrap_err().contains("e-mail"));
        assert!(
            with(&[("channel", "zalo"), ("target", "123")])
                .unwrap_err()
                .contains("chưa được cấu hình")
        );
        assert!(
            with(&[("channel", "webhook"), ("target", "khac")]).unwrap_err().contains("phong-tt")
        );
        assert!(with(&[("channel", "webhook"), ("target", "phong-tt")]).is_ok());
        assert!(with(&[("kinds", "topic")]).is_err());
        assert!(with(&[("provinces", "74")]).unwrap_err().contains("Tỉnh"));
        assert!(with(&[("topics", "rumor.x")]).is_err());
        assert!(with(&[("quiet_start", "22:00")]).unwrap_err().contains("cả hai"));
        assert!(with(&[("quiet_start", "25:00"), ("quiet_end", "06:00")]).is_err());
        assert!(with(&[("alerts", "")]).unwrap_err().contains("bản tin"));
    }

    #[test]
    fn notices_come_from_a_fixed_set() {
        assert!(notice("created").is_some());
        assert_eq!(notice("<b>"), None);
    }
}
