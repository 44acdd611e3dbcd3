//! From a saved search to a watch rule: `/saved/{id}/backtest` runs the saved query on the
//! archive as the rule trial of the admin pages does (newest first, through the index,
//! which matches as the rules do) and shows its matches per day; an admin may then keep
//! it as a `watch` rule, appended to the local pack `local.toml` in the rules directory.
//! The pack is checked with the rules crate (it must load, its example must match, its id
//! must be new) before it is written, by a rename, so the running system's reload of the
//! rules directory never reads half a file and picks the rule up within seconds.
//!
//! A rule keeps only the query: a saved search's filters (outlet, dates…) have no place
//! in a rule, and the page says which it leaves behind.

use std::collections::HashMap;
use std::path::Path as FsPath;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use model::{Role, RuleKind, Severity};
use serde::Deserialize;
use store::SavedSearch;
use tokio::sync::Mutex;

use super::filter_parts;
use super::saved::{id_of, not_found};
use crate::AppState;
use crate::admin::packs::{TrialView, trial};
use crate::auth::{Admin, CurrentUser, role_allows, same_secret};
use crate::error::AppError;
use crate::pages::chrome;
use crate::searching::SearchFailure;
use crate::views::{Chrome, severity_label};

/// The pack watch rules made here are appended to, in the rules directory.
pub(crate) const LOCAL_PACK: &str = "local.toml";
/// How far back the trial looks unless asked, and at most.
const DEFAULT_DAYS: i64 = 30;
const MAX_DAYS: i64 = 90;
/// The longest example kept, in characters.
const MAX_EXAMPLE_CHARS: usize = 2_000;

/// One writer of the local pack at a time in this process.
static WRITING: Mutex<()> = Mutex::const_new(());

/// What the rule form holds.
pub(crate) struct RuleForm {
    pub(crate) rule_id: String,
    pub(crate) title: String,
    pub(crate) severity: String,
    pub(crate) example: String,
    pub(crate) counter: String,
}

#[derive(Template)]
#[template(path = "saved_backtest.html")]
pub(crate) struct BacktestPage {
    pub(crate) chrome: Chrome,
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) query: String,
    /// The saved search's filters a rule leaves behind, in words.
    pub(crate) dropped: Vec<String>,
    pub(crate) days: i64,
    pub(crate) max_days: i64,
    pub(crate) trial: Option<TrialView>,
    /// Whether the viewer may keep it as a rule (admins, with the rules connected).
    pub(crate) can_save: bool,
    pub(crate) form: RuleForm,
    pub(crate) severities: Vec<(&'static str, &'static str)>,
    pub(crate) pack: &'static str,
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) problems: Vec<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct BacktestParams {
    days: Option<String>,
    ok: Option<String>,
}

/// A rule id made of the saved search's name: `watch.local.<ascii words>`.
fn suggested_id(search: &SavedSearch) -> String {
    let folded = vi_text::fold_str(&search.name.to_lowercase());
    let mut slug = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(40).collect();
    if slug.is_empty() {
        format!("watch.local.tim-kiem-{}", search.id)
    } else {
        format!("watch.local.{slug}")
    }
}

/// The search can be seen here by its owner and by admins.
async fn load(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<Option<SavedSearch>, AppError> {
    let Some(id) = id_of(id) else { return Ok(None) };
    let Some(s) = state.store.saved_search(id).await? else { return Ok(None) };
    if s.owner_id == user.user.id || role_allows(user.user.role, Role::Admin) {
        Ok(Some(s))
    } else {
        Ok(None)
    }
}

/// The first recent match whose title and excerpt the query matches on their own: the
/// rule's `match` example, so it passes the check.
fn example(query: &str, trial: &TrialView) -> String {
    let Ok(rule) = rules::Rule::from_query("watch.example", RuleKind::Watch, Severity::Low, query)
    else {
        return String::new();
    };
    let set = rules::RuleSet::from_rules(vec![rule]);
    let plain = |f: &[search::Fragment]| f.iter().map(|f| f.text.as_str()).collect::<String>();
    trial
        .samples
        .iter()
        .map(|h| {
            let snippet = plain(&h.snippet);
            let snippet = snippet.trim_start_matches('…').trim_end_matches('…').trim();
            format!("{}. {snippet}", plain(&h.title)).chars().take(MAX_EXAMPLE_CHARS).collect()
        })
        .find(|text: &String| !set.match_document("", text).is_empty())
        .unwrap_or_default()
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    s: &SavedSearch,
    days: i64,
) -> Result<BacktestPage, AppError> {
    let sources = super::sources(state).await?;
    let titles: HashMap<String, String> =
        super::rule_titles(state, &s.filters.topic.iter().cloned().collect()).await?;
    let can_save = role_allows(user.user.role, Role::Admin) && state.rules.is_some();
    Ok(BacktestPage {
        chrome: chrome(user),
        id: s.id,
        name: s.name.clone(),
        query: s.query.clone(),
        dropped: filter_parts(&s.filters, &sources, &titles).into_iter().map(|(l, _)| l).collect(),
        days,
        max_days: MAX_DAYS,
        trial: None,
        can_save,
        form: RuleForm {
            rule_id: suggested_id(s),
            title: s.name.clone(),
            severity: Severity::Medium.as_str().to_owned(),
            example: String::new(),
            counter: String::new(),
        },
        severities: Severity::ALL.iter().map(|&v| (v.as_str(), severity_label(v))).collect(),
        pack: LOCAL_PACK,
        notice: None,
        error: None,
        problems: Vec::new(),
    })
}

/// Runs the trial onto the page; a failure is said on the page with its status.
async fn run_trial(state: &AppState, page: &mut BacktestPage) -> Result<StatusCode, AppError> {
    if page.query.trim().is_empty() {
        page.error = Some(
            "Tìm kiếm này chỉ có bộ lọc, không có câu truy vấn, nên không thành quy tắc được."
                .to_owned(),
        );
        page.can_save = false;
        return Ok(StatusCode::OK);
    }
    match trial(state, "", &page.query, page.days).await {
        Ok(t) => {
            if page.form.example.is_empty() {
                page.form.example = example(&page.query, &t);
            }
            page.trial = Some(t);
            Ok(StatusCode::OK)
        }
        Err(SearchFailure::Query { offset, message }) => {
            let col = query::line_col(&page.query, offset).1;
            page.error = Some(format!("Câu truy vấn chưa đúng (vị trí {col}): {message}"));
            page.can_save = false;
            Ok(StatusCode::BAD_REQUEST)
        }
        Err(SearchFailure::Other(AppError::BadRequest(m))) => {
            page.error = Some(m);
            Ok(StatusCode::BAD_REQUEST)
        }
        Err(SearchFailure::Other(AppError::Unavailable(m))) => {
            page.error = Some(m);
            Ok(StatusCode::SERVICE_UNAVAILABLE)
        }
        Err(SearchFailure::Other(e)) => Err(e),
    }
}

pub(crate) async fn backtest(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(p): Query<BacktestParams>,
) -> Result<Response, AppError> {
    let Some(s) = load(&state, &user, &id).await? else { return not_found().await };
    let days = match crate::params::number("days", &p.days, 1, MAX_DAYS) {
        Ok(d) => d.unwrap_or(DEFAULT_DAYS),
        Err(e) => return Err(e.into()),
    };
    let mut page = page(&state, &user, &s, days).await?;
    if p.ok.as_deref() == Some("watch") {
        page.notice = Some(format!(
            "Đã thêm quy tắc theo dõi vào {LOCAL_PACK}; hệ thống nạp lại bộ quy tắc trong vài giây."
        ));
    }
    let status = run_trial(&state, &mut page).await?;
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct WatchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rule_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    example: String,
    #[serde(default)]
    counter: String,
    #[serde(default)]
    days: String,
}

/// The `[[rules]]` block of a watch rule, every value a TOML string.
fn rule_block(
    id: &str,
    title: &str,
    severity: Severity,
    query: &str,
    example: &str,
    counter: &str,
    from: &SavedSearch,
) -> String {
    let s = |v: &str| toml::Value::String(v.to_owned()).to_string();
    let mut block = format!(
        "\n# From the saved search #{} ({}).\n[[rules]]\nid = {}\nkind = \"watch\"\ntitle = {}\n\
         severity = \"{}\"\ntags = [\"tìm kiếm đã lưu\"]\nquery = {}\nmatch = [{}]\n",
        from.id,
        from.name.replace(['\n', '\r'], " "),
        s(id),
        s(title),
        severity.as_str(),
        s(query),
        s(example)
    );
    if !counter.trim().is_empty() {
        block.push_str(&format!("no_match = [{}]\n", s(counter)));
    }
    block
}

const PACK_HEADER: &str = "# Watch rules kept from saved searches on the dashboard\n\
    # (/saved → Thử làm quy tắc theo dõi). Edit or remove them like any other rule.\n\n\
    [pack]\ntitle = \"Quy tắc theo dõi của đơn vị\"\n\
    description = \"Các quy tắc theo dõi tạo từ tìm kiếm đã lưu.\"\n";

/// Checks `text` as the local pack together with the running rules: every problem, or
/// none.
fn check_pack(file: &FsPath, text: &str, running: &rules::RuleSet, new_id: &str) -> Vec<String> {
    let (set, diags) = rules::RuleSet::from_pack(file, text);
    let mut problems: Vec<String> = diags.iter().map(|d| d.message.clone()).collect();
    if problems.is_empty() {
        problems.extend(set.check().iter().map(|d| d.message.clone()));
    }
    if running.rules().iter().any(|r| *r.id == *new_id) {
        problems.push(format!("mã {new_id} đã có trong bộ quy tắc đang chạy"));
    }
    problems
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
    Form(form): Form<WatchForm>,
) -> Result<Response, AppError> {
    if !same_secret(&me.csrf, &form.csrf) {
        return Err(AppError::Forbidden);
    }
    let Some(s) = load(&state, &me, &id).await? else { return not_found().await };
    let days = form.days.trim().parse::<i64>().ok().filter(|d| (1..=MAX_DAYS).contains(d));
    let mut page = page(&state, &me, &s, days.unwrap_or(DEFAULT_DAYS)).await?;
    page.form = RuleForm {
        rule_id: form.rule_id.trim().to_owned(),
        title: form.title.trim().to_owned(),
        severity: form.severity.trim().to_owned(),
        example: form.example.trim().chars().take(MAX_EXAMPLE_CHARS).collect(),
        counter: form.counter.trim().chars().take(MAX_EXAMPLE_CHARS).collect(),
    };
    let Some(handle) = state.rules.clone() else {
        page.error = Some(
            "Bảng điều khiển này không được nối với bộ quy tắc đang chạy (chỉ có khi chạy bằng `langnghe serve`).".to_owned(),
        );
        return Ok((StatusCode::SERVICE_UNAVAILABLE, Html(page.render()?)).into_response());
    };
    let mut refusals = Vec::new();
    if s.query.trim().is_empty() {
        refusals.push("tìm kiếm chỉ có bộ lọc, không có câu truy vấn".to_owned());
    }
    let f = &page.form;
    let id_ok = f.rule_id.starts_with("watch.")
        && f.rule_id.len() <= 100
        && f.rule_id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if !id_ok {
        refusals.push(
            "mã quy tắc phải bắt đầu bằng watch. và chỉ gồm chữ thường không dấu, số, - _ ."
                .to_owned(),
        );
    }
    if f.title.is_empty() || f.title.chars().count() > 200 {
        refusals.push("tên quy tắc phải có từ 1 đến 200 ký tự".to_owned());
    }
    let severity = f.severity.parse::<Severity>().ok();
    if severity.is_none() {
        refusals.push("mức độ không hợp lệ".to_owned());
    }
    if f.example.is_empty() {
        refusals.push("cần một câu ví dụ mà quy tắc phải khớp".to_owned());
    }
    let file = handle.dir().join(LOCAL_PACK);
    let written = if refusals.is_empty() {
        let _writing = WRITING.lock().await;
        let existing = match tokio::fs::read_to_string(&file).await {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => PACK_HEADER.to_owned(),
            Err(e) => return Err(AppError::Internal(format!("reading {}: {e}", file.display()))),
        };
        let block = rule_block(
            &f.rule_id,
            &f.title,
            severity.unwrap_or(Severity::Medium),
            &s.query,
            &f.example,
            &f.counter,
            &s,
        );
        let mut text = existing;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&block);
        let checked = {
            let (file, text, running, id) =
                (file.clone(), text.clone(), handle.current(), f.rule_id.clone());
            tokio::task::spawn_blocking(move || check_pack(&file, &text, &running, &id))
                .await
                .map_err(|e| AppError::Internal(format!("the rule check panicked: {e}")))?
        };
        if checked.is_empty() {
            // Written beside, then renamed over: a reload never reads half a file.
            let fresh = file.with_extension("toml.tmp");
            let io =
                |e: std::io::Error| AppError::Internal(format!("writing {}: {e}", file.display()));
            tokio::fs::write(&fresh, text.as_bytes()).await.map_err(io)?;
            tokio::fs::rename(&fresh, &file).await.map_err(io)?;
            true
        } else {
            refusals.extend(checked);
            false
        }
    } else {
        false
    };
    if !written {
        page.problems = refusals;
        page.error = Some("Chưa thêm được quy tắc:".to_owned());
        run_trial(&state, &mut page).await?;
        return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
    }
    let detail = format!("saved_search={} file={LOCAL_PACK}", s.id);
    state
        .store
        .audit(
            Some(me.user.id),
            "watch_rule_created",
            &format!("rule:{}", page.form.rule_id),
            &detail,
            chrono::Utc::now(),
        )
        .await?;
    tracing::info!(rule = %page.form.rule_id, saved_search = s.id, "Watch rule added to the local pack.");
    Ok(Redirect::to(&format!("/saved/{}/backtest?ok=watch", s.id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(name: &str) -> SavedSearch {
        SavedSearch {
            id: 7,
            owner_id: 1,
            name: name.to_owned(),
            query: "\"lá đu đủ\" NOT 'x'".to_owned(),
            filters: store::SearchFilters::default(),
            sort: "newest".to_owned(),
            notify: false,
            last_notified_doc: 0,
            last_notified_at: None,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn ids_come_from_the_name_without_diacritics() {
        assert_eq!(
            suggested_id(&saved("Lá đu đủ & sốt xuất huyết")),
            "watch.local.la-du-du-sot-xuat-huyet"
        );
        assert_eq!(suggested_id(&saved("“”")), "watch.local.tim-kiem-7");
    }

    #[test]
    fn a_rule_block_is_a_valid_pack_whatever_the_text() {
        let s = saved("Tên có \"ngoặc\"\nvà xuống dòng");
        let block = rule_block(
            "watch.local.x",
            "Tiêu đề \"lạ\" 'cũng' \\ được",
            Severity::High,
            &s.query,
            "Uống nước lá đu đủ chữa sốt",
            "",
            &s,
        );
        let text = format!("{PACK_HEADER}{block}");
        let (set, diags) = rules::RuleSet::from_pack(FsPath::new("local.toml"), &text);
        assert!(diags.is_empty(), "{diags:?}\n{text}");
        let rule = &set.rules()[0];
        assert_eq!(rule.query, s.query);
        assert_eq!(&*rule.title, "Tiêu đề \"lạ\" 'cũng' \\ được");
        assert_eq!(rule.kind, RuleKind::Watch);
        assert!(set.check().is_empty(), "{:?}", set.check());
        // An example the query does not match fails the check.
        let bad =
            rule_block("watch.local.y", "t", Severity::Low, &s.query, "không liên quan", "", &s);
        let problems = check_pack(
            FsPath::new("local.toml"),
            &format!("{PACK_HEADER}{bad}"),
            &rules::RuleSet::default(),
            "watch.local.y",
        );
        assert!(!problems.is_empty());
    }
}
