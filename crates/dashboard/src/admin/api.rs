//! The admin API under `/api/v1/admin/`: users, API tokens and the audit log as JSON, and
//! revoking a token. Bearer tokens of admins only.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Utc;
use serde_json::{Value, json};
use store::AuditQuery;

use super::audit::{AuditParams, action_filter, user_filter};
use super::tokens::{LISTED_TOKENS, revoke_token};
use crate::AppState;
use crate::auth::ApiAdmin;
use crate::error::AppError;
use crate::params::{self, MAX_OFFSET};

/// Audit entries one call returns at most.
const MAX_AUDIT_LIMIT: i64 = 500;

fn time(t: model::Timestamp) -> String {
    t.to_rfc3339()
}

fn token_json(t: &store::ApiToken, owner: &str, now: model::Timestamp) -> Value {
    json!({
        "id": t.id,
        "user": owner,
        "name": t.name,
        "created_at": time(t.created_at),
        "expires_at": time(t.expires_at),
        "last_used_at": t.last_used_at.map(time),
        "revoked_at": t.revoked_at.map(time),
        "active": t.is_active(now),
    })
}

pub(crate) async fn users(
    State(state): State<AppState>,
    _admin: ApiAdmin,
) -> Result<Json<Value>, AppError> {
    let users: Vec<Value> = state
        .store
        .list_users()
        .await?
        .iter()
        .map(|u| {
            json!({
                "id": u.id,
                "name": u.name,
                "role": u.role.as_str(),
                "created_at": time(u.created_at),
                "disabled_at": u.disabled_at.map(time),
            })
        })
        .collect();
    Ok(Json(json!({ "users": users })))
}

#[derive(serde::Deserialize)]
pub(crate) struct TokenParams {
    limit: Option<String>,
}

pub(crate) async fn tokens(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    Query(p): Query<TokenParams>,
) -> Result<Json<Value>, AppError> {
    let limit = params::number("limit", &p.limit, 1, LISTED_TOKENS)?.unwrap_or(LISTED_TOKENS);
    let now = Utc::now();
    let tokens: Vec<Value> = state
        .store
        .all_api_tokens(limit)
        .await?
        .iter()
        .map(|(t, owner)| token_json(t, &owner.name, now))
        .collect();
    Ok(Json(json!({ "tokens": tokens })))
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    ApiAdmin(admin): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let (revoked, owner) = revoke_token(&state, &admin, id, "api").await?;
    Ok(Json(json!({ "token": token_json(&revoked, &owner, Utc::now()) })))
}

pub(crate) async fn audit(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    Query(p): Query<AuditParams>,
) -> Result<Json<Value>, AppError> {
    let q = AuditQuery {
        user: user_filter(&p.user)?,
        action: action_filter(&p.action)?,
        limit: params::number("limit", &p.limit, 1, MAX_AUDIT_LIMIT)?.unwrap_or(100),
        offset: params::number("offset", &p.offset, 0, MAX_OFFSET)?.unwrap_or(0),
    };
    let entries: Vec<Value> = state
        .store
        .audit_entries(&q)
        .await?
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "at": time(e.at),
                "user": e.user,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            })
        })
        .collect();
    Ok(Json(json!({ "entries": entries, "limit": q.limit, "offset": q.offset })))
}
