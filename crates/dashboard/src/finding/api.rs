//! `GET /api/v1/search` (the search page's query, filters, orders and pages, with facets on
//! request) and `GET /api/v1/saved-searches` (the caller's saved searches).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use model::SourceTier;
use serde::Serialize;
use serde_json::{Value, json};

use super::{SearchParams, resolve, sort_name};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::AppError;
use crate::params;
use crate::searching::SearchFailure;

#[derive(Serialize)]
struct HitDto {
    id: i64,
    score: f32,
    title: String,
    url: String,
    source: String,
    source_id: i64,
    tier: Option<&'static str>,
    province: Option<String>,
    rules: Vec<String>,
    reach: Option<i64>,
    time: String,
    snippet: String,
    highlights: Vec<String>,
}

fn facets_json(f: &search::Facets, sources: &HashMap<i64, (String, SourceTier)>) -> Value {
    let mut tiers: HashMap<SourceTier, u64> = HashMap::new();
    for (id, n) in &f.sources {
        if let Some((_, t)) = sources.get(id) {
            *tiers.entry(*t).or_default() += n;
        }
    }
    let mut tiers: Vec<(SourceTier, u64)> = tiers.into_iter().collect();
    tiers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    json!({
        "exact": f.exact,
        "sources": f.sources.iter().map(|(id, n)| json!({
            "id": id,
            "name": sources.get(id).map(|s| s.0.as_str()),
            "count": n,
        })).collect::<Vec<_>>(),
        "tiers": tiers.iter().map(|(t, n)| json!({"tier": t.as_str(), "count": n})).collect::<Vec<_>>(),
        "rules": f.rules.iter().map(|(r, n)| json!({"rule": r, "count": n})).collect::<Vec<_>>(),
        "provinces": f.provinces.iter().map(|(p, n)| json!({
            "code": p,
            "name": gazetteer::unit(p).map(|u| u.name),
            "count": n,
        })).collect::<Vec<_>>(),
        "kinds": f.kinds.iter().map(|(k, n)| json!({"kind": k.as_str(), "count": n})).collect::<Vec<_>>(),
        "months": f.months.iter().map(|(m, n)| json!({"month": m, "count": n})).collect::<Vec<_>>(),
    })
}

pub(crate) async fn search(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(p): Query<SearchParams>,
) -> Result<Json<Value>, AppError> {
    let c = p.criteria()?;
    if c.is_empty() {
        return Err(AppError::BadRequest(
            "missing query parameter q: give a query, a filter, or both".to_owned(),
        ));
    }
    let limit = params::number("limit", &p.limit, 1, search::MAX_LIMIT as i64)?.unwrap_or(20);
    let offset = params::number("offset", &p.offset, 0, i64::MAX)?.unwrap_or(0);
    if offset > search::MAX_OFFSET as i64 {
        return Err(AppError::BadRequest(format!(
            "invalid parameter offset: {offset} is beyond {}: follow the `next` cursor of each \
             page to go deeper",
            search::MAX_OFFSET
        )));
    }
    let facets = match params::present(&p.facets) {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => {
            return Err(AppError::BadRequest(
                "invalid parameter facets: expected true or false".to_owned(),
            ));
        }
    };
    let after = params::present(&p.after).map(search::Cursor::parse).transpose()?;
    let request = search::SearchRequest {
        sort: c.sort,
        limit: usize::try_from(limit).unwrap_or(20),
        offset: usize::try_from(offset).unwrap_or(0),
        after,
        filter: resolve(&state, &c.filters).await?,
        facets,
    };
    let results = state.searches.search(&c.q, request).await.map_err(|e| match e {
        SearchFailure::Query { offset, message } => AppError::BadRequest(format!(
            "invalid query at column {}: {message}",
            query::line_col(&c.q, offset).1
        )),
        SearchFailure::Other(e) => e,
    })?;
    let sources = super::sources(&state).await?;
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
                source_id: h.source_id,
                tier: sources.get(&h.source_id).map(|s| s.1.as_str()),
                province: h.province,
                rules: h.rules,
                reach: h.reach,
                time: h.time.to_rfc3339(),
                snippet: join(&h.snippet),
                highlights,
            }
        })
        .collect();
    let mut answer = json!({
        "query": c.q,
        "filters": serde_json::from_str::<Value>(&c.filters.to_json()).unwrap_or(Value::Null),
        "sort": sort_name(c.sort),
        "total": results.total,
        "total_exact": results.total_exact,
        "hits": hits,
        "next": results.next.map(|c| c.token()),
    });
    if let Some(f) = &results.facets {
        answer["facets"] = facets_json(f, &sources);
    }
    Ok(Json(answer))
}

pub(crate) async fn saved_searches(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let saved = state.store.saved_searches_of(user.id).await?;
    let items: Vec<Value> = saved
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "name": s.name,
                "query": s.query,
                "filters": serde_json::from_str::<Value>(&s.filters.to_json()).unwrap_or(Value::Null),
                "sort": s.sort,
                "notify": s.notify,
                "last_notified_at": s.last_notified_at.map(|t| t.to_rfc3339()),
                "created_at": s.created_at.to_rfc3339(),
                "search_url": s.filters.search_path(&s.query, &s.sort),
            })
        })
        .collect();
    Ok(Json(json!({ "saved_searches": items })))
}
