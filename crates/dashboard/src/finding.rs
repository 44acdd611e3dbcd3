//! The spokesperson's search: the search page and its API with filters (dates, outlet,
//! tier, topic, province, kind, stance, story), facet counts, three orders and pages past
//! the first; saved searches and the announcement of their new matches; exports of the
//! results as CSV and XLSX; a saved search tried on the archive and kept as a watch rule;
//! and briefing packs for a topic or a story.
//!
//! Every page here reads the same query-string parameters ([`SearchParams`]), checks them
//! (a value that cannot be read is a 400 naming it) into [`Criteria`], and resolves the
//! filters against the store into an index [`search::Filter`]: a tier becomes its sources,
//! a story its documents, so the index itself only holds facts that never change after a
//! document is indexed.

mod api;
mod briefing;
mod export;
mod page;
mod saved;
mod watch;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use chrono::{NaiveDate, TimeZone};
use model::{RuleKind, SourceTier, Stance, Timestamp};
use serde::Deserialize;
use store::SearchFilters;

use crate::error::AppError;
use crate::params::{self, ParamError, present};
use crate::{AppState, directory};

/// Largest form body: a saved search's name, query and filters fit many times over.
const FORM_BODY_LIMIT: usize = 64 * 1024;

/// The pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/search", get(page::page))
        .route("/search/export.csv", get(export::csv))
        .route("/search/export.xlsx", get(export::xlsx))
        .route("/saved", get(saved::list).post(saved::create))
        .route("/saved/{id}/delete", post(saved::delete))
        .route("/saved/{id}/notify", post(saved::notify))
        .route("/saved/{id}/backtest", get(watch::backtest))
        .route("/saved/{id}/watch", post(watch::create))
        .route("/briefing/stories/{id}", get(briefing::story_page))
        .route("/briefing/stories/{id}/xlsx", get(briefing::story_xlsx))
        .route("/briefing/topic", get(briefing::topic_page))
        .route("/briefing/topic.xlsx", get(briefing::topic_xlsx))
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
}

/// The API, under `/api/v1/`.
pub(crate) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/search", get(api::search))
        .route("/saved-searches", get(api::saved_searches))
}

/// A search as the query string gives it. Every field is text, so that a value that
/// cannot be read is refused with a message naming it rather than by the extractor.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct SearchParams {
    #[serde(default)]
    pub(crate) q: String,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) tier: Option<String>,
    pub(crate) topic: Option<String>,
    pub(crate) province: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) stance: Option<String>,
    pub(crate) story: Option<String>,
    pub(crate) sort: Option<String>,
    /// The `next` cursor of the page before.
    pub(crate) after: Option<String>,
    /// Results per page (the API).
    pub(crate) limit: Option<String>,
    /// Results skipped (the API).
    pub(crate) offset: Option<String>,
    /// The number of the page shown, carried along by the page's links.
    pub(crate) page: Option<String>,
    /// Whether to count facets (the API).
    pub(crate) facets: Option<String>,
}

/// A checked search: the query, its filters and its order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Criteria {
    pub(crate) q: String,
    pub(crate) filters: SearchFilters,
    pub(crate) sort: search::Sort,
}

/// The farthest back a date filter may reach, and forward.
const EARLIEST_YEAR: i32 = 1990;
const LATEST_YEAR: i32 = 2100;

fn shown(value: &str) -> String {
    let cut: String = value.chars().filter(|c| !c.is_control()).take(40).collect();
    format!("{cut:?}")
}

fn bad(name: &'static str, message: String) -> ParamError {
    ParamError { name, message }
}

/// A day written `YYYY-MM-DD` (as a date field sends it) or `DD/MM/YYYY`.
fn day(name: &'static str, value: &Option<String>) -> Result<Option<NaiveDate>, ParamError> {
    let Some(v) = present(value) else { return Ok(None) };
    let parsed = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%d/%m/%Y"))
        .ok()
        .filter(|d| {
            use chrono::Datelike;
            (EARLIEST_YEAR..=LATEST_YEAR).contains(&d.year())
        });
    parsed
        .map(Some)
        .ok_or_else(|| bad(name, format!("{} is not a date such as 2026-05-31", shown(v))))
}

fn enum_value<T: std::str::FromStr>(
    name: &'static str,
    value: &Option<String>,
    expected: &str,
) -> Result<Option<T>, ParamError> {
    let Some(v) = present(value) else { return Ok(None) };
    v.parse::<T>()
        .map(Some)
        .map_err(|_| bad(name, format!("{} is not one of: {expected}", shown(v))))
}

/// The order a `sort` value names.
pub(crate) fn sort_of(value: &Option<String>) -> Result<search::Sort, ParamError> {
    match present(value) {
        None | Some("relevance") => Ok(search::Sort::Relevance),
        Some("newest") => Ok(search::Sort::Newest),
        Some("reach") => Ok(search::Sort::Reach),
        Some(other) => {
            Err(bad("sort", format!("{} is not one of: relevance, newest, reach", shown(other))))
        }
    }
}

/// The value of `sort` for an order.
pub(crate) fn sort_name(sort: search::Sort) -> &'static str {
    match sort {
        search::Sort::Relevance => "relevance",
        search::Sort::Newest => "newest",
        search::Sort::Reach => "reach",
    }
}

impl SearchParams {
    /// Checks every parameter of the search itself (not the page's).
    pub(crate) fn criteria(&self) -> Result<Criteria, ParamError> {
        let kinds = "topic, rumor, watch, crisis, spike, suspicion";
        let filters = SearchFilters {
            from: day("from", &self.from)?,
            to: day("to", &self.to)?,
            source: params::number("source", &self.source, 1, i64::MAX)?,
            tier: params::tier(&self.tier)?,
            topic: params::rule("topic", &self.topic)?,
            province: params::province(&self.province)?.map(str::to_owned),
            kind: enum_value::<RuleKind>("kind", &self.kind, kinds)?,
            stance: enum_value::<Stance>("stance", &self.stance, "carries, refutes, reports")?,
            story: params::number("story", &self.story, 1, i64::MAX)?,
        };
        if let (Some(from), Some(to)) = (filters.from, filters.to)
            && from > to
        {
            return Err(bad("to", "the last day is before the first".to_owned()));
        }
        Ok(Criteria { q: self.q.clone(), filters, sort: sort_of(&self.sort)? })
    }
}

impl Criteria {
    /// Whether there is anything to search for: a query or a filter.
    pub(crate) fn is_empty(&self) -> bool {
        self.q.trim().is_empty() && self.filters.is_empty()
    }

    /// The query string of this search (without a cursor or a page).
    pub(crate) fn query_string(&self) -> String {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        url.append_pair("q", &self.q);
        for (k, v) in self.filters.query_pairs() {
            url.append_pair(k, &v);
        }
        if self.sort != search::Sort::Relevance {
            url.append_pair("sort", sort_name(self.sort));
        }
        url.finish()
    }

    /// `path` with this search's query string.
    pub(crate) fn link(&self, path: &str) -> String {
        format!("{path}?{}", self.query_string())
    }

    /// The same search with `change` made to its filters, as a search page link.
    pub(crate) fn with(&self, change: impl FnOnce(&mut SearchFilters)) -> String {
        let mut other = self.clone();
        change(&mut other.filters);
        other.link("/search")
    }
}

/// Midnight in Vietnam at the start of `day`.
pub(crate) fn vn_midnight(day: NaiveDate) -> Timestamp {
    model::VN_OFFSET
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

/// The index filter of `filters`, looked up in the store where needed: a tier is the
/// sources of that tier now, a story its documents now.
pub(crate) async fn resolve(
    state: &AppState,
    filters: &SearchFilters,
) -> Result<search::Filter, AppError> {
    let mut f = search::Filter {
        from: filters.from.map(vn_midnight),
        until: filters.to.and_then(|d| d.succ_opt()).map(vn_midnight),
        provinces: filters.province.iter().cloned().collect(),
        rules: filters.topic.iter().cloned().collect(),
        kinds: filters.kind.into_iter().collect(),
        stances: filters.stance.into_iter().collect(),
        ..search::Filter::default()
    };
    f.sources = match (filters.source, filters.tier) {
        (None, None) => None,
        (Some(id), None) => Some(vec![id]),
        (source, Some(tier)) => Some(
            state
                .sources
                .get(&state.store)
                .await?
                .iter()
                .filter(|(id, s)| s.1 == tier && source.is_none_or(|want| want == **id))
                .map(|(id, _)| *id)
                .collect(),
        ),
    };
    if let Some(story) = filters.story {
        f.documents = Some(state.store.story_document_ids(story).await?);
    }
    Ok(f)
}

/// Every source, by id: its name and tier.
pub(crate) async fn sources(state: &AppState) -> Result<Arc<directory::Sources>, AppError> {
    Ok(state.sources.get(&state.store).await?)
}

/// Rule titles for `ids`: from the running rules when the dashboard has them, else from
/// the hits the store recorded (for a few), else the id itself.
pub(crate) async fn rule_titles(
    state: &AppState,
    ids: &HashSet<String>,
) -> Result<HashMap<String, String>, AppError> {
    let mut titles = HashMap::new();
    if let Some(handle) = &state.rules {
        for r in handle.current().rules() {
            if ids.contains(&*r.id) {
                titles.insert(r.id.to_string(), r.title.to_string());
            }
        }
    }
    const LOOKED_UP: usize = 20;
    let missing: Vec<&String> = ids.iter().filter(|id| !titles.contains_key(*id)).collect();
    for id in missing.into_iter().take(LOOKED_UP) {
        if let Some((title, _)) = state.store.rule_hit_title(id).await? {
            titles.insert(id.clone(), title);
        }
    }
    Ok(titles)
}

/// A filter in words, with the change that lifts it.
pub(crate) type FilterPart = (String, fn(&mut SearchFilters));

/// The filters set, each in words with the change that lifts it, in the form's order.
pub(crate) fn filter_parts(
    f: &SearchFilters,
    sources: &HashMap<i64, (String, SourceTier)>,
    titles: &HashMap<String, String>,
) -> Vec<FilterPart> {
    let mut out: Vec<FilterPart> = Vec::new();
    if let Some(d) = f.from {
        out.push((format!("Từ ngày {}", d.format("%d/%m/%Y")), |f| f.from = None));
    }
    if let Some(d) = f.to {
        out.push((format!("Đến ngày {}", d.format("%d/%m/%Y")), |f| f.to = None));
    }
    if let Some(id) = f.source {
        let name = sources.get(&id).map_or_else(|| format!("#{id}"), |s| s.0.clone());
        out.push((format!("Nguồn: {name}"), |f| f.source = None));
    }
    if let Some(t) = f.tier {
        out.push((format!("Loại nguồn: {}", crate::views::tier_label(t)), |f| f.tier = None));
    }
    if let Some(t) = &f.topic {
        let title = titles.get(t).cloned().unwrap_or_else(|| t.clone());
        out.push((format!("Chủ đề: {title}"), |f| f.topic = None));
    }
    if let Some(p) = &f.province {
        let name = gazetteer::unit(p).map_or(p.as_str(), |u| u.name);
        out.push((format!("Tỉnh, thành: {name}"), |f| f.province = None));
    }
    if let Some(k) = f.kind {
        out.push((format!("Loại quy tắc: {}", crate::views::kind_label(k)), |f| f.kind = None));
    }
    if let Some(s) = f.stance {
        out.push((format!("Lập trường: {}", stance_label(s)), |f| f.stance = None));
    }
    if let Some(s) = f.story {
        out.push((format!("Câu chuyện #{s}"), |f| f.story = None));
    }
    out
}

/// A filter that cannot be read, in the words of the search form.
pub(crate) fn filter_error(e: &ParamError) -> String {
    let label = match e.name {
        "from" => "Từ ngày",
        "to" => "Đến ngày",
        "source" => "Nguồn",
        "tier" => "Loại nguồn",
        "topic" => "Chủ đề",
        "province" => "Tỉnh, thành",
        "kind" => "Loại quy tắc",
        "stance" => "Lập trường",
        "story" => "Câu chuyện số",
        "sort" => "Sắp xếp",
        other => other,
    };
    if e.name == "to" && e.message.contains("before") {
        return "Ngày kết thúc đứng trước ngày bắt đầu.".to_owned();
    }
    format!("Không đọc được bộ lọc “{label}”; hãy kiểm tra lại giá trị đã nhập.")
}

/// A stance as pages name it.
pub(crate) fn stance_label(s: Stance) -> &'static str {
    s.label()
}

/// A count as Vietnamese readers write it: `12.345`.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> SearchParams {
        let q = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        serde_urlencoded_like(&q)
    }

    /// Reads a query string as axum's `Query` does.
    fn serde_urlencoded_like(q: &str) -> SearchParams {
        let uri: axum::http::Uri = format!("/search?{q}").parse().unwrap();
        axum::extract::Query::<SearchParams>::try_from_uri(&uri).unwrap().0
    }

    #[test]
    fn parameters_are_checked_and_errors_name_them() {
        let c = p(&[("q", "sốt"), ("from", "2026-05-01"), ("to", "31/05/2026"), ("tier", "press")])
            .criteria()
            .unwrap();
        assert_eq!(c.filters.from, NaiveDate::from_ymd_opt(2026, 5, 1));
        assert_eq!(c.filters.to, NaiveDate::from_ymd_opt(2026, 5, 31));
        assert_eq!(c.filters.tier, Some(SourceTier::Press));
        for (name, value) in [
            ("from", "hôm qua"),
            ("to", "2026-02-30"),
            ("source", "x"),
            ("tier", "tabloid"),
            ("topic", "a' OR 1=1"),
            ("province", "74"),
            ("kind", "gossip"),
            ("stance", "likes"),
            ("story", "-1"),
            ("sort", "oldest"),
        ] {
            let e = p(&[(name, value)]).criteria().unwrap_err();
            assert_eq!(e.name, name, "{name}={value}: {e}");
        }
        let e = p(&[("from", "2026-05-02"), ("to", "2026-05-01")]).criteria().unwrap_err();
        assert_eq!(e.name, "to");
        assert_eq!(filter_error(&e), "Ngày kết thúc đứng trước ngày bắt đầu.");
        let e = p(&[("stance", "likes")]).criteria().unwrap_err();
        assert!(filter_error(&e).contains("“Lập trường”"), "{}", filter_error(&e));
        // Empty values are missing values, as a GET form sends them.
        let c = p(&[("q", ""), ("from", ""), ("kind", ""), ("sort", "")]).criteria().unwrap();
        assert!(c.is_empty());
    }

    #[test]
    fn a_search_links_back_to_itself() {
        let c = p(&[("q", "lá đu đủ"), ("stance", "carries"), ("sort", "reach"), ("story", "7")])
            .criteria()
            .unwrap();
        let again = serde_urlencoded_like(&c.query_string()).criteria().unwrap();
        assert_eq!(again, c);
        assert!(c.with(|f| f.stance = None).contains("story=7"));
        assert!(!c.with(|f| f.stance = None).contains("stance"));
        assert_eq!(count(1_234_567), "1.234.567");
        assert_eq!(count(12), "12");
    }

    #[test]
    fn days_are_vietnam_days() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        assert_eq!(vn_midnight(d).to_rfc3339(), "2026-04-30T17:00:00+00:00");
    }
}
