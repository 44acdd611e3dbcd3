//! The JSON API under `/api/v1/`, for scripts and other tools. Bearer tokens only.

use axum::Json;
use axum::extract::{Query, State};
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

#[derive(Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
    limit: Option<usize>,
    offset: Option<usize>,
    sort: Option<String>,
}

#[derive(Serialize)]
struct HitDto {
    id: i64,
    score: f32,
    title: String,
    url: String,
    source: String,
    time: String,
    snippet: String,
    highlights: Vec<String>,
}

pub(crate) async fn search(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(p): Query<SearchParams>,
) -> Result<Json<serde_json::Value>, AppError> {
    if p.q.trim().is_empty() {
        return Err(AppError::BadRequest("missing query parameter q".to_owned()));
    }
    let sort = match p.sort.as_deref() {
        Some("newest") => search::Sort::Newest,
        None | Some("relevance") => search::Sort::Relevance,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "unknown sort {other:?}: expected relevance or newest"
            )));
        }
    };
    let results = state.index.search(
        &p.q,
        sort,
        p.limit.unwrap_or(20).clamp(1, 200),
        p.offset.unwrap_or(0),
    )?;
    let hits: Vec<HitDto> = results
        .hits
        .into_iter()
        .map(|h| {
            let join =
                |f: &[search::Fragment]| f.iter().map(|f| f.text.as_str()).collect::<String>();
            let mut highlights: Vec<String> = h
                .title
                .iter()
                .chain(&h.snippet)
                .filter(|f| f.highlighted)
                .map(|f| f.text.clone())
                .collect();
            highlights.dedup();
            HitDto {
                id: h.id,
                score: h.score,
                title: join(&h.title),
                url: h.url,
                source: h.source,
                time: h.time.to_rfc3339(),
                snippet: join(&h.snippet),
                highlights,
            }
        })
        .collect();
    Ok(Json(serde_json::json!({ "query": p.q, "total": results.total, "hits": hits })))
}
