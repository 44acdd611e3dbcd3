//! Stories: the list of recent stories and one story's page (who carried it when, its first
//! publisher and why, its topics, places, alerts and documents), and the same as JSON under
//! `/api/v1/stories`.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use model::{Alert, Document, Story, TimelineEntry};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{StoryQuery, StoryTopic};

use crate::AppState;
use crate::auth::{ApiUser, CurrentUser};
use crate::error::AppError;
use crate::pages::chrome;
use crate::params::{self, MAX_OFFSET, ParamError};
use crate::views::{
    Chrome, NotFoundPage, is_web_url, kind_label, state_label, tier_label, vn_time,
};

/// Stories per page of the list.
const PAGE_SIZE: i64 = 50;
/// The most documents listed on a story's page.
const STORY_DOCUMENTS: i64 = 200;
/// The story list's default reach, in days.
const DEFAULT_SINCE_DAYS: i64 = 7;

/// How the first publisher was chosen, in Vietnamese.
pub(crate) fn basis_label(basis: &str) -> &'static str {
    match basis {
        "attribution" => "Theo ghi nguồn: các bài đăng sau dẫn nguồn này",
        "earliest" => "Đăng sớm nhất (không tính trang tổng hợp)",
        "uncertain" => "Chưa chắc chắn: chỉ thấy trên trang tổng hợp",
        _ => "Không rõ",
    }
}

/// A sighting's relation to the first publisher, in Vietnamese.
pub(crate) fn relation_label(relation: Option<&str>) -> &'static str {
    match relation {
        Some("origin") => "Nguồn đăng đầu tiên",
        Some("republication_attributed") => "Đăng lại, có ghi nguồn",
        Some("republication_unattributed") => "Đăng lại, không ghi nguồn",
        Some("aggregator_copy") => "Trang tổng hợp đăng lại",
        Some(_) => "Khác",
        None => "Chưa xác định",
    }
}

/// A timestamp oddity, in Vietnamese.
pub(crate) fn anomaly_label(anomaly: &str) -> String {
    match anomaly {
        "published_after_fetch" => "Giờ đăng muộn hơn giờ thu thập".to_owned(),
        "aggregator_too_early" => "Trang tổng hợp đăng sớm bất thường".to_owned(),
        "before_origin" => "Sớm hơn nguồn đầu tiên".to_owned(),
        other => other.to_owned(),
    }
}

/// Minutes after the first publisher, as "+2 giờ 5 phút".
pub(crate) fn lag_label(minutes: Option<i64>) -> String {
    let Some(m) = minutes else { return "—".to_owned() };
    if m == 0 {
        return "0".to_owned();
    }
    let sign = if m < 0 { "−" } else { "+" };
    let m = m.unsigned_abs();
    let (d, h, min) = (m / 1440, m % 1440 / 60, m % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} ngày"));
    }
    if h > 0 {
        parts.push(format!("{h} giờ"));
    }
    if min > 0 && d == 0 {
        parts.push(format!("{min} phút"));
    }
    if parts.is_empty() {
        parts.push("0 phút".to_owned());
    }
    format!("{sign}{}", parts.join(" "))
}

fn province_name(code: Option<&str>) -> String {
    code.and_then(gazetteer::unit).map(|u| u.name.to_owned()).unwrap_or_default()
}

// ---- the list ----

#[derive(Deserialize, Default)]
pub(crate) struct ListParams {
    since: Option<String>,
    province: Option<String>,
    rule: Option<String>,
    page: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

pub(crate) struct StoryRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) publisher: String,
    pub(crate) outlets: i64,
    pub(crate) sightings: i64,
    pub(crate) documents: i64,
    pub(crate) province: String,
    pub(crate) last_seen: String,
}

#[derive(Template)]
#[template(path = "stories.html")]
pub(crate) struct StoriesPage {
    pub(crate) chrome: Chrome,
    pub(crate) since: String,
    pub(crate) province: String,
    pub(crate) rule: String,
    pub(crate) provinces: Vec<(&'static str, &'static str)>,
    pub(crate) stories: Vec<StoryRow>,
    pub(crate) page: i64,
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
    pub(crate) error: Option<String>,
}

fn list_url(since: &str, province: &str, rule: &str, page: i64) -> String {
    let page = page.to_string();
    let pairs: Vec<(&str, &str)> =
        [("since", since), ("province", province), ("rule", rule), ("page", page.as_str())]
            .into_iter()
            .filter(|&(k, v)| !v.is_empty() && (k, v) != ("page", "1"))
            .collect();
    params::link("/stories", &pairs)
}

/// The units for a province filter, in code order.
pub(crate) fn province_options() -> Vec<(&'static str, &'static str)> {
    gazetteer::units().iter().map(|u| (u.code, u.name)).collect()
}

pub(crate) async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<ListParams>,
) -> Result<Response, AppError> {
    let mut page = StoriesPage {
        chrome: chrome(&user),
        since: params::present(&p.since).unwrap_or("").to_owned(),
        province: params::present(&p.province).unwrap_or("").to_owned(),
        rule: params::present(&p.rule).unwrap_or("").to_owned(),
        provinces: province_options(),
        stories: Vec::new(),
        page: 1,
        prev: None,
        next: None,
        error: None,
    };
    let parsed = (|| -> Result<_, ParamError> {
        let days = params::number("since", &p.since, 1, 3650)?.unwrap_or(DEFAULT_SINCE_DAYS);
        let province = params::province(&p.province)?;
        let rule = params::rule("rule", &p.rule)?;
        let number = params::number("page", &p.page, 1, MAX_OFFSET / PAGE_SIZE)?.unwrap_or(1);
        Ok((days, province, rule, number))
    })();
    let (days, province, rule, number) = match parsed {
        Ok(v) => v,
        Err(e) => {
            page.error = Some(format!("Tham số không hợp lệ ({}): {}", e.name, e.message));
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
    };
    if page.since.is_empty() {
        page.since = days.to_string();
    }
    let q = StoryQuery {
        since: Some(Utc::now() - chrono::Duration::days(days)),
        province: province.map(str::to_owned),
        rule,
        limit: PAGE_SIZE + 1,
        offset: (number - 1) * PAGE_SIZE,
    };
    let mut stories = state.store.stories(&q).await?;
    let more = stories.len() as i64 > PAGE_SIZE;
    stories.truncate(PAGE_SIZE as usize);
    page.page = number;
    page.stories = stories
        .iter()
        .map(|s| StoryRow {
            id: s.id,
            title: s.title.clone(),
            publisher: s.origin_source_name.clone(),
            outlets: s.outlets,
            sightings: s.sightings,
            documents: s.documents,
            province: province_name(s.province.as_deref()),
            last_seen: vn_time(s.last_seen),
        })
        .collect();
    if number > 1 {
        page.prev = Some(list_url(&page.since, &page.province, &page.rule, number - 1));
    }
    if more {
        page.next = Some(list_url(&page.since, &page.province, &page.rule, number + 1));
    }
    Ok(Html(page.render()?).into_response())
}

// ---- one story ----

pub(crate) struct TimelineRow {
    pub(crate) document_id: i64,
    pub(crate) source: String,
    pub(crate) tier_label: &'static str,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
    pub(crate) time: String,
    pub(crate) relation: &'static str,
    pub(crate) origin: bool,
    pub(crate) lag: String,
    pub(crate) anomalies: Vec<String>,
}

impl TimelineRow {
    /// One place a story was seen, as the story page and the alert page list it.
    pub(crate) fn new(t: &model::TimelineEntry) -> TimelineRow {
        TimelineRow {
            document_id: t.sighting.document_id,
            source: t.sighting.source_name.clone(),
            tier_label: tier_label(t.sighting.tier),
            url: t.sighting.url.clone(),
            url_is_link: is_web_url(&t.sighting.url),
            time: vn_time(t.sighting.time()),
            relation: relation_label(t.relation.as_deref()),
            origin: t.relation.as_deref() == Some("origin"),
            lag: lag_label(t.lag_minutes),
            anomalies: t.anomalies.iter().map(|a| anomaly_label(a)).collect(),
        }
    }
}

/// Whether the first publisher was inferred rather than named or seen first.
pub(crate) fn origin_uncertain(basis: &str) -> bool {
    basis != "attribution" && basis != "earliest"
}

pub(crate) struct TopicRow {
    pub(crate) title: String,
    pub(crate) kind_label: &'static str,
    pub(crate) documents: i64,
    /// The story list filtered by this rule.
    pub(crate) href: String,
}

pub(crate) struct AlertRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) kind_label: &'static str,
    pub(crate) severity: &'static str,
    pub(crate) severity_label: &'static str,
    pub(crate) state_label: &'static str,
    pub(crate) doc_count: i64,
    pub(crate) time: String,
}

pub(crate) struct DocumentRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) source: String,
    pub(crate) time: String,
}

#[derive(Template)]
#[template(path = "story.html")]
pub(crate) struct StoryPage {
    pub(crate) chrome: Chrome,
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) publisher: String,
    pub(crate) origin_document: i64,
    pub(crate) basis: &'static str,
    pub(crate) uncertain: bool,
    pub(crate) province: String,
    pub(crate) first_seen: String,
    pub(crate) last_seen: String,
    pub(crate) outlets: i64,
    pub(crate) sightings: i64,
    pub(crate) documents_count: i64,
    pub(crate) timeline: Vec<TimelineRow>,
    pub(crate) topics: Vec<TopicRow>,
    pub(crate) places: Vec<(String, i64)>,
    pub(crate) alerts: Vec<AlertRow>,
    pub(crate) documents: Vec<DocumentRow>,
}

/// Everything a story's page and its API answer show.
struct StoryData {
    story: Story,
    timeline: Vec<TimelineEntry>,
    topics: Vec<StoryTopic>,
    places: Vec<(String, i64)>,
    alerts: Vec<Alert>,
    documents: Vec<Document>,
}

async fn load(state: &AppState, id: i64) -> Result<Option<StoryData>, AppError> {
    let Some(story) = state.store.story(id).await? else { return Ok(None) };
    Ok(Some(StoryData {
        story,
        timeline: state.store.story_timeline(id).await?,
        topics: state.store.story_topics(id).await?,
        places: state.store.story_places(id).await?,
        alerts: state.store.story_alerts(id).await?,
        documents: state.store.story_documents(id, STORY_DOCUMENTS).await?,
    }))
}

pub(crate) async fn story_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let data = match id.parse::<i64>() {
        Ok(id) => load(&state, id).await?,
        Err(_) => None,
    };
    let Some(d) = data else {
        return Ok((StatusCode::NOT_FOUND, Html(NotFoundPage {}.render()?)).into_response());
    };
    let s = &d.story;
    let page = StoryPage {
        chrome: chrome(&user),
        id: s.id,
        title: s.title.clone(),
        publisher: s.origin_source_name.clone(),
        origin_document: s.origin_document,
        basis: basis_label(&s.origin_basis),
        uncertain: origin_uncertain(&s.origin_basis),
        province: province_name(s.province.as_deref()),
        first_seen: vn_time(s.first_seen),
        last_seen: vn_time(s.last_seen),
        outlets: s.outlets,
        sightings: s.sightings,
        documents_count: s.documents,
        timeline: d.timeline.iter().map(TimelineRow::new).collect(),
        topics: d
            .topics
            .iter()
            .map(|t| TopicRow {
                title: t.rule_title.clone(),
                kind_label: kind_label(t.kind),
                documents: t.documents,
                href: list_url("", "", &t.rule_id, 1),
            })
            .collect(),
        places: d
            .places
            .iter()
            .map(|(code, n)| (province_name(Some(code)).to_owned(), *n))
            .filter(|(name, _)| !name.is_empty())
            .collect(),
        alerts: d
            .alerts
            .iter()
            .map(|a| AlertRow {
                id: a.id,
                title: a.rule_title.clone(),
                kind_label: kind_label(a.kind),
                severity: a.severity.as_str(),
                severity_label: crate::views::severity_label(a.severity),
                state_label: state_label(a.state),
                doc_count: a.doc_count,
                time: vn_time(a.last_seen),
            })
            .collect(),
        documents: d
            .documents
            .iter()
            .map(|doc| DocumentRow {
                id: doc.id,
                title: doc.doc.title.clone(),
                source: doc.source_name.clone(),
                time: vn_time(doc.time()),
            })
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

// ---- the API ----

#[derive(Serialize)]
struct PublisherDto {
    source_id: i64,
    source: String,
    document_id: i64,
    basis: String,
}

#[derive(Serialize)]
struct ProvinceDto {
    code: String,
    name: String,
}

#[derive(Serialize)]
struct StoryDto {
    id: i64,
    title: String,
    first_publisher: PublisherDto,
    province: Option<ProvinceDto>,
    first_seen: String,
    last_seen: String,
    documents: i64,
    sightings: i64,
    outlets: i64,
}

fn story_dto(s: &Story) -> StoryDto {
    StoryDto {
        id: s.id,
        title: s.title.clone(),
        first_publisher: PublisherDto {
            source_id: s.origin_source,
            source: s.origin_source_name.clone(),
            document_id: s.origin_document,
            basis: s.origin_basis.clone(),
        },
        province: s
            .province
            .as_deref()
            .map(|code| ProvinceDto { code: code.to_owned(), name: province_name(Some(code)) }),
        first_seen: s.first_seen.to_rfc3339(),
        last_seen: s.last_seen.to_rfc3339(),
        documents: s.documents,
        sightings: s.sightings,
        outlets: s.outlets,
    }
}

pub(crate) async fn list_api(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(p): Query<ListParams>,
) -> Result<Json<serde_json::Value>, AppError> {
    let q = StoryQuery {
        since: params::since(&p.since, Utc::now())?,
        province: params::province(&p.province)?.map(str::to_owned),
        rule: params::rule("rule", &p.rule)?,
        limit: params::number("limit", &p.limit, 1, 100)?.unwrap_or(50),
        offset: params::number("offset", &p.offset, 0, MAX_OFFSET)?.unwrap_or(0),
    };
    let stories = state.store.stories(&q).await?;
    let stories: Vec<StoryDto> = stories.iter().map(story_dto).collect();
    Ok(Json(json!({ "stories": stories })))
}

pub(crate) async fn story_api(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| AppError::BadRequest("invalid parameter id: not a story id".to_owned()))?;
    let Some(d) = load(&state, id).await? else { return Err(AppError::NotFound) };
    let timeline: Vec<serde_json::Value> = d
        .timeline
        .iter()
        .map(|t| {
            json!({
                "document_id": t.sighting.document_id,
                "title": t.title,
                "source_id": t.sighting.source_id,
                "source": t.sighting.source_name,
                "tier": t.sighting.tier.as_str(),
                "url": t.sighting.url,
                "published_at": t.sighting.published_at.map(|x| x.to_rfc3339()),
                "fetched_at": t.sighting.fetched_at.to_rfc3339(),
                "relation": t.relation,
                "lag_minutes": t.lag_minutes,
                "anomalies": t.anomalies,
            })
        })
        .collect();
    let topics: Vec<serde_json::Value> = d
        .topics
        .iter()
        .map(|t| {
            json!({"rule": t.rule_id, "title": t.rule_title, "kind": t.kind.as_str(), "documents": t.documents})
        })
        .collect();
    let places: Vec<serde_json::Value> = d
        .places
        .iter()
        .map(|(code, n)| json!({"code": code, "name": province_name(Some(code)), "documents": n}))
        .collect();
    let alerts: Vec<serde_json::Value> = d
        .alerts
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "kind": a.kind.as_str(),
                "rule": a.rule_id,
                "state": a.state.as_str(),
                "doc_count": a.doc_count,
                "last_seen": a.last_seen.to_rfc3339(),
            })
        })
        .collect();
    let documents: Vec<serde_json::Value> = d
        .documents
        .iter()
        .map(|doc| {
            json!({
                "id": doc.id,
                "title": doc.doc.title,
                "url": doc.doc.url,
                "source": doc.source_name,
                "published_at": doc.doc.published_at.map(|x| x.to_rfc3339()),
            })
        })
        .collect();
    Ok(Json(json!({
        "story": story_dto(&d.story),
        "timeline": timeline,
        "topics": topics,
        "places": places,
        "alerts": alerts,
        "documents": documents,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lags_read_as_durations() {
        assert_eq!(lag_label(None), "—");
        assert_eq!(lag_label(Some(0)), "0");
        assert_eq!(lag_label(Some(45)), "+45 phút");
        assert_eq!(lag_label(Some(125)), "+2 giờ 5 phút");
        assert_eq!(lag_label(Some(60)), "+1 giờ");
        assert_eq!(lag_label(Some(-10)), "−10 phút");
        assert_eq!(lag_label(Some(3 * 1440 + 61)), "+3 ngày 1 giờ");
    }

    #[test]
    fn relations_and_bases_are_said_in_vietnamese() {
        assert_eq!(relation_label(Some("origin")), "Nguồn đăng đầu tiên");
        assert_eq!(relation_label(None), "Chưa xác định");
        assert_eq!(basis_label("uncertain"), "Chưa chắc chắn: chỉ thấy trên trang tổng hợp");
        assert_eq!(anomaly_label("before_origin"), "Sớm hơn nguồn đầu tiên");
        assert_eq!(anomaly_label("new_kind"), "new_kind");
    }
}
