//! The JSON API of one alert: read it, its history and its responses (any token); act on it,
//! note, assign and record responses (an officer's or an admin's token). Errors are
//! `{"error": "…"}` with 400, 403, 404 or 409.

use alerts::corrections::{CorrectionReport, Share};
use alerts::deadlines::DeadlineKind;
use alerts::triage;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use model::{AlertEvent, Role};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{Assignee, Failure, ResponseWish, Trouble, Wish, record_response, take};
use crate::AppState;
use crate::auth::{ApiOfficer, ApiUser};

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn trouble(t: Trouble) -> Response {
    match t {
        Trouble::Refused(f) => error(f.status, f.detail),
        Trouble::App(e) => e.into_response(),
    }
}

/// A request the API cannot read: answered 400 with the reason.
struct BadInput(String);

impl IntoResponse for BadInput {
    fn into_response(self) -> Response {
        error(StatusCode::BAD_REQUEST, self.0)
    }
}

fn alert_id(id: &str) -> Result<i64, BadInput> {
    id.parse::<i64>().map_err(|_| BadInput("invalid parameter id: not an alert id".to_owned()))
}

/// The id of an alert that exists, or the answer saying why not (400 or 404).
async fn known_alert(state: &AppState, raw: &str) -> Result<i64, Response> {
    let id = alert_id(raw).map_err(IntoResponse::into_response)?;
    match state.store.alert(id).await {
        Ok(_) => Ok(id),
        Err(store::Error::NotFound(_)) => Err(trouble(Failure::missing(id).into())),
        Err(e) => Err(crate::error::AppError::from(e).into_response()),
    }
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, BadInput> {
    serde_json::from_slice(bytes).map_err(|e| BadInput(format!("invalid JSON body: {e}")))
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// An alert with its handling and the actions `role` may take on it now.
async fn alert_json(state: &AppState, id: i64, role: Role) -> Result<Value, Trouble> {
    let store = &state.store;
    let alert = match store.alert(id).await {
        Ok(a) => a,
        Err(store::Error::NotFound(_)) => return Err(Failure::missing(id).into()),
        Err(e) => return Err(Trouble::App(e.into())),
    };
    let current = store.alert_current(id).await.map_err(|e| Trouble::App(e.into()))?;
    let now = Utc::now();
    let schedule = store.schedule();
    let deadline = |kind: DeadlineKind, d: Option<triage::Deadline>| {
        d.map(|d| {
            json!({
                "from": stamp(d.from),
                "due": stamp(d.due),
                "progress": schedule.progress(current.priority, kind, d.from, now),
            })
        })
    };
    let h = &alert.handling;
    Ok(json!({
        "alert": {
            "id": alert.id,
            "kind": alert.kind.as_str(),
            "rule": alert.rule_id,
            "rule_title": alert.rule_title,
            "subject": alert.subject,
            "story": crate::views::story_of_subject(&alert.subject),
            "detail": alert.detail.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok()),
            "severity": alert.severity.as_str(),
            "state": alert.state.as_str(),
            "first_seen": stamp(alert.first_seen),
            "last_seen": stamp(alert.last_seen),
            "doc_count": alert.doc_count,
        },
        "handling": {
            "priority": h.priority.as_str(),
            "assignee": h.assignee.as_ref().map(|(id, name)| json!({ "id": id, "name": name })),
            "deadlines": {
                "acknowledge": deadline(DeadlineKind::Acknowledge, current.ack),
                "decide": deadline(DeadlineKind::Decide, current.decide),
                "respond": deadline(DeadlineKind::Respond, current.respond),
            },
            "due": h.due_in(alert.state).map(stamp),
            "merged_into": h.merged_into,
            "dismiss_reason": h.dismiss_reason.map(|r| r.as_str()),
            "escalated_to": h.escalated_to.map(|t| t.as_str()),
            "regrown": h.regrown,
            "state_changed_at": h.state_changed_at.map(stamp),
        },
        "actions": triage::available(alert.state, role)
            .into_iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
    }))
}

fn event_json(e: &AlertEvent) -> Value {
    json!({
        "id": e.id,
        "at": stamp(e.at),
        "actor": e.actor.as_ref().map(|(id, name)| json!({ "id": id, "name": name })),
        "action": e.action.as_str(),
        "from": e.from.as_str(),
        "to": e.to.as_str(),
        "note": e.note,
        "data": e.data.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok()),
    })
}

pub(crate) async fn alert(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Response {
    let id = match alert_id(&id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    match alert_json(&state, id, user.role).await {
        Ok(v) => Json(v).into_response(),
        Err(t) => trouble(t),
    }
}

pub(crate) async fn events(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<String>,
) -> Response {
    let id = match known_alert(&state, &id).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    match state.store.alert_events(id).await {
        Ok(events) => Json(json!({ "events": events.iter().map(event_json).collect::<Vec<_>>() }))
            .into_response(),
        Err(e) => crate::error::AppError::from(e).into_response(),
    }
}

/// Takes `wish` and answers the event written and the alert as it is now.
async fn acted(
    state: &AppState,
    id: i64,
    user: &model::User,
    wish: &Wish,
    status: StatusCode,
) -> Response {
    match take(state, id, user, wish).await {
        Ok(acted) => match alert_json(state, id, user.role).await {
            Ok(v) => {
                (status, Json(json!({ "event_id": acted.event_id, "alert": v }))).into_response()
            }
            Err(t) => trouble(t),
        },
        Err(t) => trouble(t),
    }
}

/// Any action, with the fields it needs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransitionBody {
    action: String,
    /// `p1`, `p2` or `p3` (acknowledge, prioritize).
    priority: Option<String>,
    /// A user's login name (assign).
    user: Option<String>,
    /// A dismissal reason (dismiss).
    reason: Option<String>,
    /// The alert to merge into (merge).
    into: Option<i64>,
    /// An escalation target (escalate).
    to: Option<String>,
    note: Option<String>,
    /// The state the caller expects the alert to be in; refused with 409 when it is not.
    state: Option<String>,
}

pub(crate) async fn transition(
    State(state): State<AppState>,
    ApiOfficer(user): ApiOfficer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let (id, b) = match alert_id(&id).and_then(|id| Ok((id, body::<TransitionBody>(&bytes)?))) {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let wish = Wish {
        action: b.action,
        priority: b.priority,
        assignee: b.user.map(Assignee::Name),
        reason: b.reason,
        into: b.into,
        to: b.to,
        note: b.note,
        seen_state: b.state,
    };
    acted(&state, id, &user, &wish, StatusCode::OK).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteBody {
    note: String,
}

pub(crate) async fn note(
    State(state): State<AppState>,
    ApiOfficer(user): ApiOfficer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let (id, b) = match alert_id(&id).and_then(|id| Ok((id, body::<NoteBody>(&bytes)?))) {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let wish = Wish { action: "note".to_owned(), note: Some(b.note), ..Wish::default() };
    acted(&state, id, &user, &wish, StatusCode::CREATED).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignmentBody {
    /// The assignee's login name.
    user: String,
    note: Option<String>,
    state: Option<String>,
}

pub(crate) async fn assignment(
    State(state): State<AppState>,
    ApiOfficer(user): ApiOfficer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let (id, b) = match alert_id(&id).and_then(|id| Ok((id, body::<AssignmentBody>(&bytes)?))) {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let wish = Wish {
        action: "assign".to_owned(),
        assignee: Some(Assignee::Name(b.user)),
        note: b.note,
        seen_state: b.state,
        ..Wish::default()
    };
    acted(&state, id, &user, &wish, StatusCode::OK).await
}

fn response_json(r: &store::Response) -> Value {
    json!({
        "id": r.id,
        "channel": r.response.channel.as_str(),
        "published_at": stamp(r.response.published_at),
        "text": r.response.text,
        "url": r.response.url,
        "recorded_by": r.recorded_by,
        "recorded_at": stamp(r.recorded_at),
    })
}

pub(crate) async fn responses(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<String>,
) -> Response {
    let id = match known_alert(&state, &id).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    match state.store.alert_responses(id).await {
        Ok(rs) => Json(json!({ "responses": rs.iter().map(response_json).collect::<Vec<_>>() }))
            .into_response(),
        Err(e) => crate::error::AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResponseBody {
    channel: String,
    /// RFC 3339; now when absent.
    published_at: Option<DateTime<chrono::FixedOffset>>,
    text: String,
    url: Option<String>,
    note: Option<String>,
    state: Option<String>,
}

pub(crate) async fn respond(
    State(state): State<AppState>,
    ApiOfficer(user): ApiOfficer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let (id, b) = match alert_id(&id).and_then(|id| Ok((id, body::<ResponseBody>(&bytes)?))) {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let wish = ResponseWish {
        channel: b.channel,
        published_at: b.published_at.map(|t| t.with_timezone(&Utc)),
        text: b.text,
        url: b.url.unwrap_or_default(),
        note: b.note,
        seen_state: b.state,
    };
    match record_response(&state, id, &user, &wish).await {
        Ok(acted) => match state.store.alert_responses(id).await {
            Ok(rs) => (
                StatusCode::CREATED,
                Json(json!({
                    "event_id": acted.event_id,
                    "responses": rs.iter().map(response_json).collect::<Vec<_>>(),
                })),
            )
                .into_response(),
            Err(e) => crate::error::AppError::from(e).into_response(),
        },
        Err(t) => trouble(t),
    }
}

fn share_json(s: Share) -> Value {
    json!({ "part": s.part, "whole": s.whole, "ratio": s.ratio() })
}

fn corrections_json(r: &CorrectionReport) -> Value {
    let w = &r.window;
    json!({
        "window": {
            "response_id": w.response_id,
            "started_at": stamp(w.started_at),
            "ends_at": stamp(w.ends_at),
            "finished_at": w.finished_at.map(stamp),
        },
        "coverage": share_json(r.coverage),
        "formal_coverage": share_json(r.formal_coverage),
        "response_coverage": share_json(r.response_coverage),
        "correction_coverage": share_json(r.correction_coverage),
        "reach_weighted_coverage": r.reach_weighted_coverage,
        "median_time_to_correction_secs": r.median_time_to_correction.map(|d| d.num_seconds()),
        "p90_time_to_correction_secs": r.p90_time_to_correction.map(|d| d.num_seconds()),
        "residual": {
            "items": r.residual.items,
            "from_known_outlets": r.residual.from_known_outlets,
            "from_new_outlets": r.residual.from_new_outlets,
            "new_outlets": r.residual.new_outlets,
        },
        "origin": r.origin.as_ref().map(|o| json!({
            "source_id": o.source_id,
            "source": o.name,
            "carried": o.carried,
            "remedied": o.remedied,
        })),
        "outstanding": r.outstanding,
        "next_check": r.next_check.map(stamp),
        "outlets": r.outlets.iter().map(|o| json!({
            "source_id": o.source_id,
            "source": o.name,
            "items": o.items,
            "reach": o.reach,
            "outcome": o.outcome.as_str(),
            "remedied": o.remedied,
            "remedied_at": o.remedied_at.map(stamp),
            "time_to_correction_secs": o.time_to_correction.map(|d| d.num_seconds()),
        })).collect::<Vec<_>>(),
        "items": r.carriers.iter().map(|c| json!({
            "id": c.id,
            "source_id": c.source_id,
            "source": c.outlet,
            "url": c.url,
            "document_id": c.document_id,
            "carried_at": stamp(c.carried_at),
            "reach": c.reach,
            "reach_basis": c.reach_basis.as_str(),
            "outcome": c.state.outcome.as_str(),
            "outcome_at": c.state.outcome_at.map(stamp),
            "remedied_at": c.state.remedied_at.map(stamp),
            "basis": c.basis.map(|b| b.as_str()),
            "evidence_document": c.evidence_document,
            "checks": c.checks,
            "last_checked_at": c.last_checked_at.map(stamp),
            "last_status": c.last_status,
            "next_check": c.next_check.map(stamp),
        })).collect::<Vec<_>>(),
    })
}

/// An alert's correction tracking; `{"corrections": null}` while it is not tracked.
pub(crate) async fn corrections(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<String>,
) -> Response {
    let id = match known_alert(&state, &id).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    match state.store.alert_corrections(id).await {
        Ok(report) => {
            Json(json!({ "corrections": report.as_ref().map(corrections_json) })).into_response()
        }
        Err(e) => crate::error::AppError::from(e).into_response(),
    }
}
