//! The boards and the officer's queue: `/` (the board of the user's role), `/boards/{id}`,
//! `/queue` (every filter a `GET` parameter, so the form works without a script),
//! `/alerts/{id}/row` (one row, for the live script), and their JSON under `/api/v1/`.
//!
//! Boards are data (`dashboards/*.toml`, [`spec`]); each panel is a query of the queue.
//! Overdue alerts stand out (class `overdue`, "Quá hạn"), and so do those past 80 per cent
//! of their deadline ("Sắp quá hạn").

mod api;
mod params;
mod spec;
mod view;

use std::collections::HashSet;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use model::{AlertState, Role};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::chrome;
use crate::views::NotFoundPage;
use spec::{Board, PanelShow};
pub use spec::{BoardProblem, Boards};
use view::{
    BoardPage, CountsView, FormChoices, Looker, PanelView, QueuePage, RowFragment, RowView,
    SwitchLink, Tab,
};

impl AppState {
    /// Shows `boards` instead of the ones shipped with Lắng Nghe.
    pub fn with_boards(mut self, boards: Boards) -> AppState {
        self.boards = Arc::new(boards);
        self
    }
}

/// The page routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/boards/{id}", get(board_page))
        .route("/queue", get(queue_page))
        .route("/alerts/{id}/row", get(row))
}

/// The API routes, under `/api/v1`.
pub(crate) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/queue", get(api::queue))
        .route("/boards", get(api::boards))
        .route("/boards/{id}", get(api::board))
}

fn looker(user: &CurrentUser) -> Looker {
    Looker { id: user.user.id, role: user.user.role, csrf: user.csrf.clone() }
}

/// The board of the user's role, for `/`.
pub(crate) async fn home(state: &AppState, user: &CurrentUser) -> Result<Html<String>, AppError> {
    let boards = state.boards.clone();
    render(state, user, boards.home(user.user.role)).await
}

async fn board_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let boards = state.boards.clone();
    match boards.get(&id) {
        Some(b) => Ok(render(&state, &user, Some(b)).await?.into_response()),
        None => Ok((StatusCode::NOT_FOUND, Html(NotFoundPage {}.render()?)).into_response()),
    }
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    board: Option<&Board>,
) -> Result<Html<String>, AppError> {
    let now = Utc::now();
    let who = looker(user);
    // Read first: live updates start after it, so nothing that happens while the page is
    // made is missed.
    let last_event = state.store.last_event_id().await?;
    let counts = state.store.queue_counts(Some(who.id), now).await?;
    let totals = state.store.counts().await?;
    let schedule = state.store.schedule();
    let mut anchored = HashSet::new();
    let mut panels = Vec::new();
    for p in board.map_or(&[][..], |b| &b.panels) {
        let href = p.filter.queue_href();
        let panel = match p.show {
            PanelShow::Counts => PanelView {
                title: p.title.clone(),
                description: p.description.clone(),
                total: counts.open,
                rows: Vec::new(),
                counts: Some(CountsView::new(&counts)),
                href: "/queue".to_owned(),
                more: false,
                takes_new: false,
            },
            PanelShow::Alerts => {
                let page =
                    state.store.alert_queue(&p.filter.to_filter(who.id, now, p.limit, 0)).await?;
                let rows = page
                    .items
                    .iter()
                    .map(|e| {
                        let anchor = anchored.insert(e.entry.alert.id);
                        RowView::new(e, now, schedule, &who, anchor)
                    })
                    .collect();
                PanelView {
                    title: p.title.clone(),
                    description: p.description.clone(),
                    total: page.total,
                    rows,
                    counts: None,
                    href,
                    more: page.has_more(),
                    takes_new: p.filter.takes_new_alerts(),
                }
            }
        };
        panels.push(panel);
    }
    let current = board.map(|b| b.id.as_str());
    let page = BoardPage {
        chrome: chrome(user),
        id: current.unwrap_or_default().to_owned(),
        title: board.map_or_else(|| "Bảng cảnh báo".to_owned(), |b| b.title.clone()),
        description: board.map(|b| b.description.clone()).unwrap_or_default(),
        switcher: state
            .boards
            .all()
            .iter()
            .map(|b| SwitchLink {
                title: b.title.clone(),
                href: format!("/boards/{}", b.id),
                current: Some(b.id.as_str()) == current,
            })
            .collect(),
        panels,
        searches: board
            .map(|b| b.searches.iter().map(|s| (s.title.clone(), s.href())).collect())
            .unwrap_or_default(),
        last_event,
        open: counts.open,
        overdue: counts.overdue,
        new: counts.new,
        documents: totals.documents,
        sources: totals.sources,
        failing_sources: totals.failing_sources,
    };
    Ok(Html(page.render()?))
}

/// Users who may be assigned alerts, for the queue's filter: (id, name).
async fn assignable_people(state: &AppState) -> Result<Vec<(i64, String)>, AppError> {
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.is_enabled() && matches!(u.role, Role::Officer | Role::Admin))
        .map(|u| (u.id, u.name))
        .collect())
}

async fn queue_page(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let who = looker(&user);
    let last_event = state.store.last_event_id().await?;
    let counts = state.store.queue_counts(Some(who.id), now).await?;
    let people = assignable_people(&state).await?;
    let parsed = params::parse_queue(raw.as_deref());
    let current = parsed.as_ref().ok().map(|(q, _)| q.spec.clone());
    let tab = |label: &'static str, n: i64, href: &str| Tab {
        label,
        n,
        href: href.to_owned(),
        current: current.as_ref().is_some_and(|spec| {
            let query = href.split_once('?').map_or("", |(_, q)| q);
            params::parse_queue(Some(query)).is_ok_and(|(q, _)| q.spec == *spec)
        }),
    };
    let tabs = vec![
        tab("Việc của tôi", counts.mine, "/queue?assignee=me"),
        tab("Chưa phân công", counts.unassigned, "/queue?assignee=unassigned"),
        tab("Quá hạn", counts.overdue, "/queue?overdue=1"),
        tab("Mới", counts.new, "/queue?state=new"),
        tab("Tất cả đang mở", counts.open, "/queue"),
    ];
    let states = AlertState::ALL
        .iter()
        .map(|s| {
            let href = format!("/queue?state={}", s.as_str());
            tab(s.label(), counts.in_state(*s), &href)
        })
        .collect();
    let mut page = QueuePage {
        chrome: chrome(&user),
        raw: params::RawQueue::default(),
        form: FormChoices::new(&params::RawQueue::default(), &people),
        tabs,
        states,
        rows: Vec::new(),
        total: 0,
        first: 0,
        last: 0,
        prev: None,
        next: None,
        error: None,
        last_event,
        takes_new: false,
    };
    let (q, raw) = match parsed {
        Ok(ok) => ok,
        Err(e) => {
            page.error = Some(e.page_message());
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
    };
    let found = state.store.alert_queue(&q.spec.to_filter(who.id, now, q.limit, q.offset)).await?;
    let schedule = state.store.schedule();
    page.rows = found.items.iter().map(|e| RowView::new(e, now, schedule, &who, true)).collect();
    page.total = found.total;
    page.first = if found.items.is_empty() { 0 } else { found.offset + 1 };
    page.last = found.offset + found.items.len() as i64;
    let at = |offset: i64| {
        let mut pairs = q.spec.pairs();
        if q.limit != params::DEFAULT_QUEUE_LIMIT {
            pairs.push(("limit", q.limit.to_string()));
        }
        if offset > 0 {
            pairs.push(("offset", offset.to_string()));
        }
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        crate::params::link("/queue", &refs)
    };
    if found.offset > 0 {
        page.prev = Some(at((found.offset - found.limit).max(0)));
    }
    if found.has_more() && found.offset + found.limit <= store::MAX_QUEUE_OFFSET {
        page.next = Some(at(found.offset + found.limit));
    }
    page.takes_new = q.offset == 0 && q.spec.takes_new_alerts();
    page.form = FormChoices::new(&raw, &people);
    page.raw = raw;
    Ok(Html(page.render()?).into_response())
}

/// One alert's row, as a fragment of HTML, whatever its state.
async fn row(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let entry = match id.parse::<i64>() {
        Ok(id) => state.store.queue_entry(id).await?,
        Err(_) => None,
    };
    let Some(entry) = entry else { return Err(AppError::NotFound) };
    let row = RowView::new(&entry, Utc::now(), state.store.schedule(), &looker(&user), false);
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], RowFragment { row }.render()?)
        .into_response())
}
