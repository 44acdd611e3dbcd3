//! `/admin/rules`: the rule packs in use (rules per pack and kind), checking the packs on
//! disk as `langnghe rules check` does, and trying a rule or a query on the archive.
//!
//! The check reads and compiles every pack and runs every example, off the async workers,
//! one at a time. The trial runs the query through the search index, newest first, with
//! the searches' own time limit and queue, reading at most [`TRIAL_PAGES`] pages: it says
//! how often and on which days the query matched recently, and shows the latest matches.
//! It changes nothing; the running rules are reloaded from their files as always.

use std::collections::BTreeMap;
use std::path::Path;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use model::RuleKind;
use serde::Deserialize;

use super::{RulesHandle, audit, check_csrf, cut};
use crate::AppState;
use crate::auth::{Admin, CurrentUser};
use crate::error::AppError;
use crate::pages::chrome;
use crate::searching::SearchFailure;
use crate::views::{Chrome, HitView, kind_label, severity_label, vn_time};

/// Rules listed per pack at most; a pack's count covers all of them.
const LISTED_RULES: usize = 200;
/// Rule ids offered for the trial at most.
const OFFERED_IDS: usize = 1000;
/// Pages of search results a trial reads at most.
pub(crate) const TRIAL_PAGES: usize = 5;
/// Latest matches a trial shows.
const TRIAL_SAMPLES: usize = 10;
/// How far back a trial may look, in days.
const MAX_TRIAL_DAYS: i64 = 90;
/// How far back a trial looks unless asked.
const DEFAULT_TRIAL_DAYS: i64 = 7;

pub(crate) struct RuleRow {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) kind_label: &'static str,
    pub(crate) severity: &'static str,
    pub(crate) severity_label: &'static str,
}

pub(crate) struct PackRow {
    pub(crate) file: String,
    pub(crate) total: usize,
    /// Rules per kind, in the order of [`RulesPage::kinds`].
    pub(crate) per_kind: Vec<usize>,
    pub(crate) rules: Vec<RuleRow>,
    /// Rules of the pack not listed.
    pub(crate) more: usize,
}

pub(crate) struct ProblemRow {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) rule: String,
    pub(crate) message: String,
}

/// What a check found.
pub(crate) struct CheckView {
    pub(crate) rules: usize,
    pub(crate) examples: usize,
    pub(crate) problems: Vec<ProblemRow>,
}

pub(crate) struct DayRow {
    pub(crate) day: String,
    pub(crate) count: usize,
}

/// What a trial found.
pub(crate) struct TrialView {
    /// The rule tried, or empty for a query typed in.
    pub(crate) rule: String,
    pub(crate) query: String,
    pub(crate) days: i64,
    /// Matches in the whole archive (a lower bound when not `total_exact`).
    pub(crate) total: usize,
    pub(crate) total_exact: bool,
    /// Matches within the days asked for that were read.
    pub(crate) recent: usize,
    /// Whether every match within the days was read (otherwise `recent` is a lower bound).
    pub(crate) complete: bool,
    /// Every day of the period, newest first.
    pub(crate) per_day: Vec<DayRow>,
    pub(crate) widest: usize,
    pub(crate) samples: Vec<HitView>,
}

#[derive(Template)]
#[template(path = "admin_rules.html")]
pub(crate) struct RulesPage {
    pub(crate) chrome: Chrome,
    pub(crate) section: &'static str,
    /// Whether the running rules are known to the dashboard.
    pub(crate) connected: bool,
    pub(crate) total: usize,
    pub(crate) kinds: Vec<&'static str>,
    pub(crate) packs: Vec<PackRow>,
    pub(crate) rule_ids: Vec<String>,
    pub(crate) check: Option<CheckView>,
    pub(crate) trial: Option<TrialView>,
    pub(crate) error: Option<String>,
    /// What the trial form holds.
    pub(crate) form_rule: String,
    pub(crate) form_q: String,
    pub(crate) form_days: String,
    pub(crate) max_days: i64,
}

/// `file` as shown: relative to the rules directory when inside it.
fn shown_file(file: &Path, dir: &Path) -> String {
    file.strip_prefix(dir).unwrap_or(file).display().to_string()
}

impl RulesPage {
    fn new(me: &CurrentUser, handle: Option<&RulesHandle>) -> RulesPage {
        let kinds_all = RuleKind::ALL;
        let mut page = RulesPage {
            chrome: chrome(me),
            section: "rules",
            connected: handle.is_some(),
            total: 0,
            kinds: kinds_all.iter().map(|&k| kind_label(k)).collect(),
            packs: Vec::new(),
            rule_ids: Vec::new(),
            check: None,
            trial: None,
            error: None,
            form_rule: String::new(),
            form_q: String::new(),
            form_days: DEFAULT_TRIAL_DAYS.to_string(),
            max_days: MAX_TRIAL_DAYS,
        };
        let Some(handle) = handle else { return page };
        let set = (handle.current)();
        page.total = set.len();
        let mut packs: BTreeMap<String, PackRow> = BTreeMap::new();
        for rule in set.rules() {
            let file = shown_file(&rule.file, &handle.dir);
            let pack = packs.entry(file.clone()).or_insert_with(|| PackRow {
                file,
                total: 0,
                per_kind: vec![0; kinds_all.len()],
                rules: Vec::new(),
                more: 0,
            });
            pack.total += 1;
            if let Some(i) = kinds_all.iter().position(|&k| k == rule.kind) {
                pack.per_kind[i] += 1;
            }
            if pack.rules.len() < LISTED_RULES {
                pack.rules.push(RuleRow {
                    id: rule.id.to_string(),
                    title: rule.title.to_string(),
                    kind_label: kind_label(rule.kind),
                    severity: rule.severity.as_str(),
                    severity_label: severity_label(rule.severity),
                });
            } else {
                pack.more += 1;
            }
        }
        page.packs = packs.into_values().collect();
        page.rule_ids = set.rules().iter().take(OFFERED_IDS).map(|r| r.id.to_string()).collect();
        page
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(me): Admin,
) -> Result<Html<String>, AppError> {
    Ok(Html(RulesPage::new(&me, state.rules.as_ref()).render()?))
}

#[derive(Deserialize)]
pub(crate) struct CheckForm {
    #[serde(default)]
    csrf: String,
}

/// Loads every pack again from where the running set came from and runs every example, as
/// `langnghe rules check` does; the running rules are not touched.
pub(crate) async fn check(
    State(state): State<AppState>,
    Admin(me): Admin,
    Form(form): Form<CheckForm>,
) -> Result<Response, AppError> {
    check_csrf(&me, &form.csrf)?;
    let mut page = RulesPage::new(&me, state.rules.as_ref());
    let Some(handle) = state.rules.clone() else {
        page.error = Some(NOT_CONNECTED.to_owned());
        return Ok((StatusCode::SERVICE_UNAVAILABLE, Html(page.render()?)).into_response());
    };
    let Ok(_permit) = handle.checking.clone().try_acquire_owned() else {
        page.error =
            Some("Đang có một lần kiểm tra khác; vui lòng thử lại sau giây lát.".to_owned());
        return Ok((StatusCode::SERVICE_UNAVAILABLE, Html(page.render()?)).into_response());
    };
    let sources = handle.sources.clone();
    let (rules, examples, diags) = tokio::task::spawn_blocking(move || {
        let (set, mut diags) = rules::RuleSet::load(&sources);
        diags.extend(set.check());
        let examples: usize =
            set.rules().iter().map(|r| r.examples_match.len() + r.examples_no_match.len()).sum();
        (set.len(), examples, diags)
    })
    .await
    .map_err(|e| AppError::Internal(format!("the rule check panicked: {e}")))?;
    page.check = Some(CheckView {
        rules,
        examples,
        problems: diags
            .iter()
            .map(|d| ProblemRow {
                file: shown_file(&d.file, &handle.dir),
                line: d.line,
                column: d.column,
                rule: d.rule.clone().unwrap_or_default(),
                message: d.message.clone(),
            })
            .collect(),
    });
    let detail = format!("rules={rules} examples={examples} problems={}", diags.len());
    audit(&state, &me.user, "rules_checked", "rules", &detail).await?;
    Ok(Html(page.render()?).into_response())
}

const NOT_CONNECTED: &str = "Bảng điều khiển này không được nối với bộ quy tắc đang chạy (chỉ có khi chạy bằng `langnghe serve`).";

#[derive(Deserialize)]
pub(crate) struct TrialForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    days: String,
}

/// Tries a loaded rule's query, or a query typed in, on the search index.
pub(crate) async fn backtest(
    State(state): State<AppState>,
    Admin(me): Admin,
    Form(form): Form<TrialForm>,
) -> Result<Response, AppError> {
    check_csrf(&me, &form.csrf)?;
    let mut page = RulesPage::new(&me, state.rules.as_ref());
    page.form_rule = form.rule.trim().to_owned();
    page.form_q = form.q.clone();
    if !form.days.trim().is_empty() {
        page.form_days = form.days.trim().to_owned();
    }
    let refuse = |mut page: RulesPage, status: StatusCode, message: String| {
        page.error = Some(message);
        Ok::<_, AppError>((status, Html(page.render()?)).into_response())
    };
    let days = match page.form_days.parse::<i64>() {
        Ok(d) if (1..=MAX_TRIAL_DAYS).contains(&d) => d,
        _ => {
            let message = format!("Số ngày phải từ 1 đến {MAX_TRIAL_DAYS}.");
            return refuse(page, StatusCode::BAD_REQUEST, message);
        }
    };
    let (rule, query) = if !page.form_rule.is_empty() {
        let Some(handle) = &state.rules else {
            return refuse(page, StatusCode::SERVICE_UNAVAILABLE, NOT_CONNECTED.to_owned());
        };
        let set = (handle.current)();
        let Some(rule) = set.rules().iter().find(|r| *r.id == *page.form_rule) else {
            let message = "Không có quy tắc nào mang mã này trong bộ quy tắc đang chạy.";
            return refuse(page, StatusCode::NOT_FOUND, message.to_owned());
        };
        (rule.id.to_string(), rule.query.clone())
    } else if !form.q.trim().is_empty() {
        (String::new(), form.q.clone())
    } else {
        let message = "Hãy chọn một quy tắc hoặc nhập một câu truy vấn.";
        return refuse(page, StatusCode::BAD_REQUEST, message.to_owned());
    };
    let trial = match trial(&state, &rule, &query, days).await {
        Ok(trial) => trial,
        Err(SearchFailure::Query { offset, message }) => {
            let col = query::line_col(&query, offset).1;
            let message = format!("Câu truy vấn chưa đúng (vị trí {col}): {message}");
            return refuse(page, StatusCode::BAD_REQUEST, message);
        }
        Err(SearchFailure::Other(AppError::BadRequest(message))) => {
            return refuse(page, StatusCode::BAD_REQUEST, message);
        }
        Err(SearchFailure::Other(AppError::Unavailable(message))) => {
            return refuse(page, StatusCode::SERVICE_UNAVAILABLE, message);
        }
        Err(SearchFailure::Other(e)) => return Err(e),
    };
    let what = if rule.is_empty() {
        format!("query={}", cut(&query, 200))
    } else {
        format!("rule={rule}")
    };
    let detail = format!("{what} days={days} matches={}", trial.recent);
    audit(&state, &me.user, "rules_backtested", "rules", &detail).await?;
    page.trial = Some(trial);
    Ok(Html(page.render()?).into_response())
}

/// Reads the newest matches of `query` page by page until they are older than `days`, the
/// results end, or [`TRIAL_PAGES`] pages are read. A page that fails after the first ends
/// the trial with what was read.
pub(crate) async fn trial(
    state: &AppState,
    rule: &str,
    query: &str,
    days: i64,
) -> Result<TrialView, SearchFailure> {
    let now = Utc::now();
    let since = now - chrono::Duration::days(days);
    let mut per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut view = TrialView {
        rule: rule.to_owned(),
        query: query.to_owned(),
        days,
        total: 0,
        total_exact: true,
        recent: 0,
        complete: false,
        per_day: Vec::new(),
        widest: 1,
        samples: Vec::new(),
    };
    let mut after = None;
    'pages: for n in 0..TRIAL_PAGES {
        let request = search::SearchRequest {
            sort: search::Sort::Newest,
            limit: search::MAX_LIMIT,
            offset: 0,
            after,
            ..search::SearchRequest::default()
        };
        let results = match state.searches.search(query, request).await {
            Ok(results) => results,
            Err(e) if n == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            view.total = results.total;
            view.total_exact = results.total_exact;
        }
        for hit in results.hits {
            if hit.time < since {
                view.complete = true;
                break 'pages;
            }
            view.recent += 1;
            *per_day.entry(model::to_vn_time(hit.time).date_naive()).or_default() += 1;
            if view.samples.len() < TRIAL_SAMPLES {
                view.samples.push(HitView {
                    id: hit.id,
                    title: hit.title,
                    snippet: hit.snippet,
                    source: hit.source,
                    time: vn_time(hit.time),
                });
            }
        }
        match results.next {
            Some(next) => after = Some(next),
            None => {
                view.complete = true;
                break;
            }
        }
    }
    let today = model::to_vn_time(now).date_naive();
    view.widest = per_day.values().copied().max().unwrap_or(1).max(1);
    view.per_day = (0..days)
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(back as u64)))
        .map(|day| DayRow {
            day: day.format("%d/%m/%Y").to_string(),
            count: per_day.get(&day).copied().unwrap_or(0),
        })
        .collect();
    Ok(view)
}
