//! The JSON API under `/api/v1/`, for scripts and other tools. Bearer tokens only.

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::AppError;

#[derive(Serialize)]
struct TermDto {
    field: &'static str,
    start: usize,
    end: usize,
    term: String,
}

#[derive(Serialize)]
struct AlertDto {
    id: i64,
    kind: &'static str,
    rule: String,
    rule_title: String,
    subject: String,
    /// The story the alert is about, when its subject is `story:ID`.
    story: Option<i64>,
    /// What explains the alert beyond its documents (a spike's counts), as stored.
    detail: Option<serde_json::Value>,
    severity: &'static str,
    state: &'static str,
    first_seen: String,
    last_seen: String,
    doc_count: i64,
    document: DocumentDto,
    matched: Vec<TermDto>,
}

#[derive(Serialize)]
struct DocumentDto {
    id: i64,
    title: String,
    url: String,
    source: String,
    published_at: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct AlertParams {
    limit: Option<i64>,
}

pub(crate) async fn alerts(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(p): Query<AlertParams>,
) -> Result<Json<serde_json::Value>, AppError> {
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state.store.alert_board(None, limit).await?;
    let alerts: Vec<AlertDto> = entries
        .into_iter()
        .map(|e| AlertDto {
            id: e.alert.id,
            kind: e.alert.kind.as_str(),
            rule: e.alert.rule_id,
            rule_title: e.alert.rule_title,
            story: crate::views::story_of_subject(&e.alert.subject),
            subject: e.alert.subject,
            detail: e.alert.detail.as_deref().and_then(|d| serde_json::from_str(d).ok()),
            severity: e.alert.severity.as_str(),
            state: e.alert.state.as_str(),
            first_seen: e.alert.first_seen.to_rfc3339(),
            last_seen: e.alert.last_seen.to_rfc3339(),
            doc_count: e.alert.doc_count,
            document: DocumentDto {
                id: e.document.id,
                title: e.document.doc.title,
                url: e.document.doc.url,
                source: e.document.source_name,
                published_at: e.document.doc.published_at.map(|t| t.to_rfc3339()),
            },
            matched: e
                .hit
                .terms
                .into_iter()
                .map(|t| TermDto {
                    field: t.field,
                    start: t.start,
                    end: t.end,
                    term: t.term.to_string(),
                })
                .collect(),
        })
        .collect();
    Ok(Json(serde_json::json!({ "alerts": alerts })))
}

/// An API path that does not exist.
pub(crate) async fn not_found() -> AppError {
    AppError::NotFound
}

/// Every API answer is JSON: errors written as text by a handler, an extractor or the
/// router (a bad query string, a wrong method) become `{"error": "…"}` with their status.
pub(crate) async fn json_errors(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let mut message = String::from_utf8_lossy(&text).trim().to_owned();
    if message.is_empty() {
        message = parts.status.canonical_reason().unwrap_or("error").to_lowercase();
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let body = serde_json::json!({ "error": message }).to_string();
    Response::from_parts(parts, Body::from(body))
}
