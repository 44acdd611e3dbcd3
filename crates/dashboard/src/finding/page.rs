//! `/search`: the search form with every filter, the results of a page with their outlet,
//! tier, province, topics and reach, the facet counts beside them (each value a link that
//! narrows the search), pages past the first by cursor, and the ways out: export, save,
//! briefing pack.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use model::{RuleKind, SourceTier, Stance};
use search::{Facets, Fragment, SearchResults};

use super::{Criteria, SearchParams, count, resolve, rule_titles, sort_name, stance_label};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::chrome;
use crate::params::present;
use crate::searching::SearchFailure;
use crate::views::{Chrome, is_web_url, kind_label, tier_label, vn_time};

/// Results per page.
pub(crate) const PAGE_SIZE: usize = 50;
/// Values a facet lists; the rest are counted.
const FACET_VALUES: usize = 12;
/// The deepest page number shown (pages go on by cursor; the number is only a label).
const MAX_PAGE_NUMBER: i64 = 100_000;

pub(crate) struct ResultRow {
    pub(crate) id: i64,
    pub(crate) title: Vec<Fragment>,
    pub(crate) snippet: Vec<Fragment>,
    pub(crate) source: String,
    pub(crate) tier: &'static str,
    pub(crate) time: String,
    pub(crate) province: String,
    pub(crate) topics: Vec<String>,
    pub(crate) reach: Option<String>,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
}

pub(crate) struct FacetValue {
    pub(crate) label: String,
    pub(crate) count: String,
    pub(crate) href: String,
    pub(crate) selected: bool,
}

pub(crate) struct FacetGroup {
    pub(crate) title: &'static str,
    pub(crate) values: Vec<FacetValue>,
    /// Values not listed.
    pub(crate) more: usize,
}

pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

/// A filter in force, with the link that lifts it.
pub(crate) struct Active {
    pub(crate) label: String,
    pub(crate) remove: String,
}

/// What the form holds, as typed.
#[derive(Default)]
pub(crate) struct FormView {
    pub(crate) q: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) topic: String,
    pub(crate) story: String,
}

#[derive(Template)]
#[template(path = "search.html")]
pub(crate) struct SearchPage {
    pub(crate) chrome: Chrome,
    pub(crate) form: FormView,
    pub(crate) sources: Vec<Choice>,
    pub(crate) tiers: Vec<Choice>,
    pub(crate) kinds: Vec<Choice>,
    pub(crate) stances: Vec<Choice>,
    pub(crate) provinces: Vec<Choice>,
    pub(crate) sorts: Vec<Choice>,
    pub(crate) topics: Vec<(String, String)>,
    pub(crate) searched: bool,
    pub(crate) total: String,
    pub(crate) total_exact: bool,
    /// Positions of the first and last result shown (1-based).
    pub(crate) first: usize,
    pub(crate) last: usize,
    pub(crate) hits: Vec<ResultRow>,
    pub(crate) facets: Vec<FacetGroup>,
    pub(crate) active: Vec<Active>,
    pub(crate) next: Option<String>,
    pub(crate) first_page: Option<String>,
    pub(crate) export_csv: String,
    pub(crate) export_xlsx: String,
    pub(crate) briefing: Option<(String, String)>,
    /// The search as hidden fields of the save form.
    pub(crate) hidden: Vec<(&'static str, String)>,
    pub(crate) error: Option<String>,
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
    selected: Option<T>,
) -> Vec<Choice> {
    all.iter()
        .map(|&t| Choice {
            value: value(t).to_owned(),
            label: label(t).to_owned(),
            selected: selected == Some(t),
        })
        .collect()
}

/// The hidden fields that carry a search into the save form.
pub(crate) fn hidden_fields(c: &Criteria) -> Vec<(&'static str, String)> {
    let mut out = vec![("q", c.q.clone())];
    out.extend(c.filters.query_pairs());
    out.push(("sort", sort_name(c.sort).to_owned()));
    out
}

impl SearchPage {
    async fn new(
        state: &AppState,
        user: &CurrentUser,
        p: &SearchParams,
        c: Option<&Criteria>,
    ) -> Result<SearchPage, AppError> {
        let f = c.map(|c| c.filters.clone()).unwrap_or_default();
        let mut sources: Vec<(i64, String)> =
            super::sources(state).await?.iter().map(|(id, s)| (*id, s.0.clone())).collect();
        sources.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let mut topics: Vec<(String, String)> = Vec::new();
        if let Some(handle) = &state.rules {
            const OFFERED: usize = 1000;
            let set = handle.current();
            // Topics first: they are what a spokesperson narrows by most.
            let mut rules: Vec<&rules::Rule> = set.rules().iter().collect();
            rules.sort_by_key(|r| (r.kind != RuleKind::Topic, r.id.clone()));
            topics = rules
                .into_iter()
                .take(OFFERED)
                .map(|r| (r.id.to_string(), r.title.to_string()))
                .collect();
        }
        let sort = c.map(|c| c.sort).unwrap_or_default();
        Ok(SearchPage {
            chrome: chrome(user),
            form: FormView {
                q: p.q.clone(),
                from: present(&p.from).unwrap_or_default().to_owned(),
                to: present(&p.to).unwrap_or_default().to_owned(),
                topic: present(&p.topic).unwrap_or_default().to_owned(),
                story: present(&p.story).unwrap_or_default().to_owned(),
            },
            sources: sources
                .into_iter()
                .map(|(id, name)| Choice {
                    value: id.to_string(),
                    label: name,
                    selected: f.source == Some(id),
                })
                .collect(),
            tiers: choices(SourceTier::ALL, SourceTier::as_str, tier_label, f.tier),
            kinds: choices(RuleKind::ALL, RuleKind::as_str, kind_label, f.kind),
            stances: choices(Stance::ALL, Stance::as_str, stance_label, f.stance),
            provinces: crate::stories::province_options()
                .into_iter()
                .map(|(code, name)| Choice {
                    value: code.to_owned(),
                    label: name.to_owned(),
                    selected: f.province.as_deref() == Some(code),
                })
                .collect(),
            sorts: [
                (search::Sort::Relevance, "Phù hợp nhất"),
                (search::Sort::Newest, "Mới nhất"),
                (search::Sort::Reach, "Nhiều tương tác nhất"),
            ]
            .into_iter()
            .map(|(s, label)| Choice {
                value: sort_name(s).to_owned(),
                label: label.to_owned(),
                selected: s == sort,
            })
            .collect(),
            topics,
            searched: false,
            total: String::new(),
            total_exact: true,
            first: 0,
            last: 0,
            hits: Vec::new(),
            facets: Vec::new(),
            active: Vec::new(),
            next: None,
            first_page: None,
            export_csv: c.map(|c| c.link("/search/export.csv")).unwrap_or_default(),
            export_xlsx: c.map(|c| c.link("/search/export.xlsx")).unwrap_or_default(),
            briefing: c.and_then(briefing_link),
            hidden: c.map(hidden_fields).unwrap_or_default(),
            error: None,
        })
    }
}

/// The briefing pack a search leads to: its story's, else its topic's.
fn briefing_link(c: &Criteria) -> Option<(String, String)> {
    if let Some(story) = c.filters.story {
        return Some((format!("/briefing/stories/{story}"), "Gói tư liệu của câu chuyện".into()));
    }
    let topic = c.filters.topic.as_ref()?;
    let mut url = url::form_urlencoded::Serializer::new(String::from("/briefing/topic?"));
    url.append_pair("rule", topic);
    if let Some(from) = c.filters.from {
        url.append_pair("from", &from.format("%Y-%m-%d").to_string());
    }
    if let Some(to) = c.filters.to {
        url.append_pair("to", &to.format("%Y-%m-%d").to_string());
    }
    Some((url.finish(), "Gói tư liệu của chủ đề".into()))
}

/// The filters in force, each with the link that lifts it.
fn active(
    c: &Criteria,
    sources: &HashMap<i64, (String, SourceTier)>,
    titles: &HashMap<String, String>,
) -> Vec<Active> {
    super::filter_parts(&c.filters, sources, titles)
        .into_iter()
        .map(|(label, clear)| Active { label, remove: c.with(clear) })
        .collect()
}

/// One facet's values, most first, each a link narrowing the search to it.
fn group<K>(
    title: &'static str,
    values: &[(K, u64)],
    label: impl Fn(&K) -> String,
    selected: impl Fn(&K) -> bool,
    narrow: impl Fn(&K) -> String,
) -> FacetGroup {
    FacetGroup {
        title,
        values: values
            .iter()
            .take(FACET_VALUES)
            .map(|(k, n)| FacetValue {
                label: label(k),
                count: count(*n),
                href: narrow(k),
                selected: selected(k),
            })
            .collect(),
        more: values.len().saturating_sub(FACET_VALUES),
    }
}

/// The facet panel: outlets, tiers (the outlets' counts summed by tier), topics,
/// provinces, kinds and months.
fn facet_groups(
    c: &Criteria,
    facets: &Facets,
    sources: &HashMap<i64, (String, SourceTier)>,
    titles: &HashMap<String, String>,
) -> Vec<FacetGroup> {
    let f = &c.filters;
    let mut tiers: HashMap<SourceTier, u64> = HashMap::new();
    for (id, n) in &facets.sources {
        if let Some((_, t)) = sources.get(id) {
            *tiers.entry(*t).or_default() += n;
        }
    }
    let mut tiers: Vec<(SourceTier, u64)> = tiers.into_iter().collect();
    tiers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let months: Vec<(String, u64)> = facets.months.iter().rev().cloned().collect();
    vec![
        group(
            "Nguồn",
            &facets.sources,
            |id| sources.get(id).map_or_else(|| format!("#{id}"), |s| s.0.clone()),
            |id| f.source == Some(*id),
            |id| c.with(|f| f.source = Some(*id)),
        ),
        group(
            "Loại nguồn",
            &tiers,
            |t| tier_label(*t).to_owned(),
            |t| f.tier == Some(*t),
            |t| c.with(|f| f.tier = Some(*t)),
        ),
        group(
            "Chủ đề và quy tắc",
            &facets.rules,
            |r| titles.get(r).cloned().unwrap_or_else(|| r.clone()),
            |r| f.topic.as_ref() == Some(r),
            |r| c.with(|f| f.topic = Some(r.clone())),
        ),
        group(
            "Tỉnh, thành",
            &facets.provinces,
            |p| gazetteer::unit(p).map_or_else(|| p.clone(), |u| u.name.to_owned()),
            |p| f.province.as_ref() == Some(p),
            |p| c.with(|f| f.province = Some(p.clone())),
        ),
        group(
            "Loại quy tắc",
            &facets.kinds,
            |k| kind_label(*k).to_owned(),
            |k| f.kind == Some(*k),
            |k| c.with(|f| f.kind = Some(*k)),
        ),
        group(
            "Tháng",
            &months,
            |m| month_label(m),
            |_| false,
            |m| {
                c.with(|f| {
                    let (from, to) = month_bounds(m);
                    f.from = from;
                    f.to = to;
                })
            },
        ),
    ]
    .into_iter()
    .filter(|g| !g.values.is_empty())
    .collect()
}

/// `2026-05` as `05/2026`.
fn month_label(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) => format!("{m}/{y}"),
        None => month.to_owned(),
    }
}

/// The first and last day of a `YYYY-MM` month.
fn month_bounds(month: &str) -> (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) {
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok();
    let last =
        first.and_then(|d| d.checked_add_months(chrono::Months::new(1))).and_then(|d| d.pred_opt());
    (first, last)
}

/// A page's results as rows.
pub(crate) fn rows(
    results: &SearchResults,
    sources: &HashMap<i64, (String, SourceTier)>,
    titles: &HashMap<String, String>,
) -> Vec<ResultRow> {
    results
        .hits
        .iter()
        .map(|h| ResultRow {
            id: h.id,
            title: h.title.clone(),
            snippet: h.snippet.clone(),
            source: h.source.clone(),
            tier: sources.get(&h.source_id).map_or("", |s| tier_label(s.1)),
            time: vn_time(h.time),
            province: h
                .province
                .as_deref()
                .and_then(gazetteer::unit)
                .map(|u| u.name.to_owned())
                .unwrap_or_default(),
            topics: h
                .rules
                .iter()
                .map(|r| titles.get(r).cloned().unwrap_or_else(|| r.clone()))
                .collect(),
            reach: h.reach.map(|n| count(u64::try_from(n).unwrap_or(0))),
            url: h.url.clone(),
            url_is_link: is_web_url(&h.url),
        })
        .collect()
}

/// The rule ids a page of results and its facets name.
pub(crate) fn named_rules(results: &SearchResults, c: &Criteria) -> HashSet<String> {
    let mut ids: HashSet<String> =
        results.hits.iter().flat_map(|h| h.rules.iter().cloned()).collect();
    if let Some(f) = &results.facets {
        ids.extend(f.rules.iter().take(FACET_VALUES).map(|(r, _)| r.clone()));
    }
    ids.extend(c.filters.topic.iter().cloned());
    ids
}

pub(crate) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<SearchParams>,
) -> Result<Response, AppError> {
    let criteria = p.criteria();
    let mut page = SearchPage::new(&state, &user, &p, criteria.as_ref().ok()).await?;
    let c = match criteria {
        Ok(c) => c,
        Err(e) => {
            page.error = Some(super::filter_error(&e));
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
    };
    if c.is_empty() {
        return Ok(Html(page.render()?).into_response());
    }
    let number =
        crate::params::number("page", &p.page, 1, MAX_PAGE_NUMBER).unwrap_or(None).unwrap_or(1);
    let Ok(after) = present(&p.after).map(search::Cursor::parse).transpose() else {
        page.error =
            Some("Liên kết sang trang sau không đọc được; hãy tìm lại từ trang đầu.".into());
        return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
    };
    let filter = resolve(&state, &c.filters).await?;
    let request = search::SearchRequest {
        sort: c.sort,
        limit: PAGE_SIZE,
        after,
        filter,
        facets: true,
        ..search::SearchRequest::default()
    };
    let results = match state.searches.search(&c.q, request).await {
        Ok(results) => results,
        Err(failure) => {
            let (status, message) = match failure {
                SearchFailure::Query { offset, message } => {
                    let col = query::line_col(&c.q, offset).1;
                    (
                        StatusCode::BAD_REQUEST,
                        format!("Câu truy vấn chưa đúng (vị trí {col}): {message}"),
                    )
                }
                SearchFailure::Other(AppError::BadRequest(m)) => (StatusCode::BAD_REQUEST, m),
                SearchFailure::Other(AppError::Unavailable(m)) => {
                    (StatusCode::SERVICE_UNAVAILABLE, m)
                }
                SearchFailure::Other(e) => return Err(e),
            };
            page.error = Some(message);
            return Ok((status, Html(page.render()?)).into_response());
        }
    };
    let sources = super::sources(&state).await?;
    let titles = rule_titles(&state, &named_rules(&results, &c)).await?;
    page.searched = true;
    page.total = count(results.total as u64);
    page.total_exact = results.total_exact;
    let shown_before = usize::try_from(number - 1).unwrap_or(0) * PAGE_SIZE;
    page.first = shown_before + 1;
    page.last = shown_before + results.hits.len();
    page.hits = rows(&results, &sources, &titles);
    page.active = active(&c, &sources, &titles);
    if let Some(f) = &results.facets {
        page.facets = facet_groups(&c, f, &sources, &titles);
    }
    page.next = results.next.map(|cursor| {
        let start = "/search?".len();
        let mut url = url::form_urlencoded::Serializer::for_suffix(c.link("/search"), start);
        url.append_pair("after", &cursor.token());
        url.append_pair("page", &(number + 1).min(MAX_PAGE_NUMBER).to_string());
        url.finish()
    });
    if after.is_some() {
        page.first_page = Some(c.link("/search"));
    }
    Ok(Html(page.render()?).into_response())
}
