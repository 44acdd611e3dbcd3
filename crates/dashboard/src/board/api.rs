//! The queue and the boards as JSON: `GET /api/v1/queue` (the queue's filters as query
//! parameters), `GET /api/v1/boards` and `GET /api/v1/boards/{id}` (a board's definition
//! with what each panel holds for the token's user).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};
use store::{QueueCounts, QueueEntry};

use super::params::parse_queue;
use super::spec::{Board, PanelShow};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::AppError;

#[derive(Serialize)]
struct DeadlineDto {
    kind: &'static str,
    from: String,
    due: String,
    /// How far through its time, in per cent (business time for P2 and P3).
    progress: Option<u32>,
}

#[derive(Serialize)]
struct DocumentDto {
    id: i64,
    title: String,
    url: String,
    source: String,
}

#[derive(Serialize)]
struct AlertDto {
    id: i64,
    kind: &'static str,
    rule: String,
    rule_title: String,
    subject: String,
    story: Option<i64>,
    state: &'static str,
    state_label: &'static str,
    priority: &'static str,
    priority_label: &'static str,
    severity: &'static str,
    assignee: Option<Value>,
    first_seen: String,
    last_seen: String,
    doc_count: i64,
    overdue: bool,
    due_soon: bool,
    deadline: Option<DeadlineDto>,
    regrown: Option<String>,
    document: DocumentDto,
}

fn alert_dto(state: &AppState, e: &QueueEntry, now: model::Timestamp) -> AlertDto {
    let a = &e.entry.alert;
    let d = &e.entry.document;
    let progress = e
        .deadline
        .and_then(|dl| state.store.schedule().progress(a.handling.priority, dl.kind, dl.from, now));
    AlertDto {
        id: a.id,
        kind: a.kind.as_str(),
        rule: a.rule_id.clone(),
        rule_title: a.rule_title.clone(),
        subject: a.subject.clone(),
        story: crate::views::story_of_subject(&a.subject),
        state: a.state.as_str(),
        state_label: a.state.label(),
        priority: a.handling.priority.as_str(),
        priority_label: a.handling.priority.label(),
        severity: a.severity.as_str(),
        assignee: a.handling.assignee.as_ref().map(|(id, name)| json!({ "id": id, "name": name })),
        first_seen: a.first_seen.to_rfc3339(),
        last_seen: a.last_seen.to_rfc3339(),
        doc_count: a.doc_count,
        overdue: e.is_overdue(now),
        due_soon: !e.is_overdue(now) && progress.is_some_and(|p| p >= 80),
        deadline: e.deadline.map(|dl| DeadlineDto {
            kind: dl.kind.as_str(),
            from: dl.from.to_rfc3339(),
            due: dl.due.to_rfc3339(),
            progress,
        }),
        regrown: a.handling.regrown.clone(),
        document: DocumentDto {
            id: d.id,
            title: d.doc.title.clone(),
            url: d.doc.url.clone(),
            source: d.source_name.clone(),
        },
    }
}

fn counts_json(c: &QueueCounts) -> Value {
    let by_state: serde_json::Map<String, Value> =
        c.by_state.iter().map(|(s, n)| (s.as_str().to_owned(), json!(n))).collect();
    let overdue: serde_json::Map<String, Value> =
        c.overdue_by_priority.iter().map(|(p, n)| (p.as_str().to_owned(), json!(n))).collect();
    let grid: Vec<Value> = c
        .by_state_priority
        .iter()
        .map(|(s, p, n)| json!({ "state": s.as_str(), "priority": p.as_str(), "count": n }))
        .collect();
    json!({
        "open": c.open,
        "mine": c.mine,
        "unassigned": c.unassigned,
        "overdue": c.overdue,
        "new": c.new,
        "by_state": by_state,
        "by_state_priority": grid,
        "overdue_by_priority": overdue,
    })
}

/// `GET /api/v1/queue`.
pub(crate) async fn queue(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, AppError> {
    let (q, _) = parse_queue(raw.as_deref()).map_err(|e| AppError::BadRequest(e.api_message()))?;
    let now = Utc::now();
    let page = state.store.alert_queue(&q.spec.to_filter(user.id, now, q.limit, q.offset)).await?;
    let counts = state.store.queue_counts(Some(user.id), now).await?;
    let alerts: Vec<AlertDto> = page.items.iter().map(|e| alert_dto(&state, e, now)).collect();
    Ok(Json(json!({
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "more": page.has_more(),
        "alerts": alerts,
        "counts": counts_json(&counts),
    })))
}

fn board_summary(b: &Board, home: bool) -> Value {
    json!({
        "id": b.id,
        "title": b.title,
        "description": b.description,
        "roles": b.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "home": home,
        "href": format!("/boards/{}", b.id),
    })
}

/// `GET /api/v1/boards`.
pub(crate) async fn boards(State(state): State<AppState>, ApiUser(user): ApiUser) -> Json<Value> {
    let home = state.boards.home(user.role).map(|b| b.id.clone());
    let list: Vec<Value> = state
        .boards
        .all()
        .iter()
        .map(|b| board_summary(b, home.as_deref() == Some(b.id.as_str())))
        .collect();
    Json(json!({ "boards": list }))
}

/// `GET /api/v1/boards/{id}`.
pub(crate) async fn board(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let Some(b) = state.boards.get(&id) else { return Err(AppError::NotFound) };
    let home = state.boards.home(user.role).is_some_and(|h| h.id == b.id);
    let now = Utc::now();
    let mut panels = Vec::new();
    for p in &b.panels {
        let filter: serde_json::Map<String, Value> =
            p.filter.pairs().into_iter().map(|(k, v)| (k.to_owned(), json!(v))).collect();
        let mut panel = json!({
            "title": p.title,
            "description": p.description,
            "show": match p.show { PanelShow::Alerts => "alerts", PanelShow::Counts => "counts" },
        });
        match p.show {
            PanelShow::Counts => {
                panel["counts"] = counts_json(&state.store.queue_counts(Some(user.id), now).await?);
            }
            PanelShow::Alerts => {
                let page =
                    state.store.alert_queue(&p.filter.to_filter(user.id, now, p.limit, 0)).await?;
                let alerts: Vec<AlertDto> =
                    page.items.iter().map(|e| alert_dto(&state, e, now)).collect();
                panel["filter"] = Value::Object(filter);
                panel["limit"] = json!(p.limit);
                panel["queue"] = json!(p.filter.queue_href());
                panel["total"] = json!(page.total);
                panel["alerts"] = serde_json::to_value(alerts).unwrap_or_default();
            }
        }
        panels.push(panel);
    }
    let searches: Vec<Value> = b
        .searches
        .iter()
        .map(|s| json!({ "title": s.title, "query": s.query, "href": s.href() }))
        .collect();
    let mut out = board_summary(b, home);
    out["panels"] = Value::Array(panels);
    out["searches"] = Value::Array(searches);
    Ok(Json(out))
}
