//! Trends: daily counts of distinct stories, by topic and province, with the spike alerts
//! raised over the same days; the `/trends` page (a chart and a tile map drawn as inline SVG
//! on the server, no script) and `/api/v1/trends`.
//!
//! Every label in the SVG goes through askama's escaping like any other text: the geometry is
//! computed here as numbers and the template writes the elements.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use model::SourceTier;
use serde::Deserialize;
use serde_json::json;
use store::{DEFAULT_TREND_DAYS, MAX_TREND_DAYS, TrendQuery};

use crate::AppState;
use crate::auth::{ApiUser, CurrentUser};
use crate::error::AppError;
use crate::pages::chrome;
use crate::params::{self, ParamError};
use crate::spikes::{SpikeDetail, area_name, count};
use crate::views::{Chrome, tier_label};

/// Topic lines drawn beside the total when no topic is chosen.
const TOP_TOPICS: usize = 5;
/// The most spikes read for one trend.
const MAX_SPIKES: i64 = 200;

/// How the province table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sort {
    /// Largest rise from the week before to the last week first.
    Growth,
    /// Most stories over the period first.
    Count,
    /// By name, in Vietnamese order of letters without tones first.
    Name,
}

impl Sort {
    fn parse(v: &Option<String>) -> Result<Sort, ParamError> {
        match params::present(v) {
            None | Some("growth") => Ok(Sort::Growth),
            Some("count") => Ok(Sort::Count),
            Some("name") => Ok(Sort::Name),
            Some(other) => Err(ParamError {
                name: "sort",
                message: format!(
                    "{:?} is not a sort: expected growth, count or name",
                    other.chars().take(40).collect::<String>()
                ),
            }),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Sort::Growth => "growth",
            Sort::Count => "count",
            Sort::Name => "name",
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct TrendParams {
    topic: Option<String>,
    tier: Option<String>,
    province: Option<String>,
    days: Option<String>,
    sort: Option<String>,
}

/// The filters of a trend, checked.
#[derive(Debug, Clone)]
pub(crate) struct Filters {
    topic: Option<String>,
    tier: Option<SourceTier>,
    province: Option<&'static str>,
    days: u32,
    sort: Sort,
}

impl Filters {
    fn parse(p: &TrendParams) -> Result<Filters, ParamError> {
        Ok(Filters {
            topic: params::rule("topic", &p.topic)?,
            tier: params::tier(&p.tier)?,
            province: params::province(&p.province)?,
            days: params::number("days", &p.days, 1, i64::from(MAX_TREND_DAYS))?
                .map_or(DEFAULT_TREND_DAYS, |d| d as u32),
            sort: Sort::parse(&p.sort)?,
        })
    }

    /// `/trends?…` with these filters, some replaced.
    fn url(&self, province: Option<&str>, sort: Sort) -> String {
        let days = self.days.to_string();
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = &self.topic {
            pairs.push(("topic", t));
        }
        if let Some(t) = self.tier {
            pairs.push(("tier", t.as_str()));
        }
        if let Some(p) = province {
            pairs.push(("province", p));
        }
        if self.days != DEFAULT_TREND_DAYS {
            pairs.push(("days", &days));
        }
        if sort != Sort::Growth {
            pairs.push(("sort", sort.as_str()));
        }
        params::link("/trends", &pairs)
    }
}

/// One line of counts, aligned with the trend's days.
pub(crate) struct Series {
    topic: Option<String>,
    title: String,
    counts: Vec<i64>,
}

/// A province's stories over the period and its growth.
pub(crate) struct ProvinceRow {
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    pub(crate) short: &'static str,
    pub(crate) stories: i64,
    pub(crate) recent: i64,
    pub(crate) previous: i64,
}

impl ProvinceRow {
    /// Stories in the last week minus stories in the week before.
    pub(crate) fn growth(&self) -> i64 {
        self.recent - self.previous
    }
}

/// A spike alert on the trend's days.
pub(crate) struct Spike {
    alert_id: i64,
    topic: String,
    title: String,
    area: String,
    date: NaiveDate,
    detail: Option<SpikeDetail>,
}

/// Everything the trends page and its API show.
pub(crate) struct TrendData {
    days: Vec<NaiveDate>,
    /// The total (or the chosen topic) first, then the busiest topics.
    series: Vec<Series>,
    provinces: Vec<ProvinceRow>,
    spikes: Vec<Spike>,
    /// Topics seen over the period, busiest first: `(rule id, title)`.
    topics: Vec<(String, String)>,
}

/// A topic's rule id, title and stories per day.
type TopicCounts = (String, String, Vec<(NaiveDate, i64)>);

fn align(days: &[NaiveDate], counts: impl IntoIterator<Item = (NaiveDate, i64)>) -> Vec<i64> {
    let index: HashMap<NaiveDate, usize> = days.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let mut out = vec![0; days.len()];
    for (d, n) in counts {
        if let Some(&i) = index.get(&d) {
            out[i] += n;
        }
    }
    out
}

async fn load(state: &AppState, f: &Filters, today: NaiveDate) -> Result<TrendData, AppError> {
    let q = TrendQuery {
        today,
        days: f.days,
        topic: f.topic.clone(),
        tier: f.tier,
        province: f.province.map(str::to_owned),
    };
    let days = q.dates();
    let total = state.store.trend_days(&q).await?;
    // Every topic over the period, for the list to choose from and the busiest lines.
    let by_topic = state.store.trend_topics(&TrendQuery { topic: None, ..q.clone() }).await?;
    let mut topics: Vec<TopicCounts> = Vec::new();
    for t in by_topic {
        match topics.last_mut() {
            Some(last) if last.0 == t.rule_id => last.2.push((t.date, t.stories)),
            _ => topics.push((t.rule_id, t.rule_title, vec![(t.date, t.stories)])),
        }
    }
    let sum = |c: &[(NaiveDate, i64)]| c.iter().map(|x| x.1).sum::<i64>();
    topics.sort_by(|a, b| sum(&b.2).cmp(&sum(&a.2)).then(a.0.cmp(&b.0)));
    let title_of = |rule: &str| topics.iter().find(|t| t.0 == rule).map(|t| t.1.clone());
    let mut series = vec![Series {
        topic: f.topic.clone(),
        title: match &f.topic {
            Some(t) => title_of(t).unwrap_or_else(|| t.clone()),
            None => "Tất cả câu chuyện".to_owned(),
        },
        counts: align(&days, total),
    }];
    if f.topic.is_none() {
        for (rule, title, counts) in topics.iter().take(TOP_TOPICS) {
            series.push(Series {
                topic: Some(rule.clone()),
                title: title.clone(),
                counts: align(&days, counts.iter().copied()),
            });
        }
    }
    let counted: HashMap<String, store::ProvinceTrend> =
        state.store.trend_provinces(&q).await?.into_iter().map(|p| (p.code.clone(), p)).collect();
    let mut provinces: Vec<ProvinceRow> = gazetteer::units()
        .iter()
        .map(|u| {
            let c = counted.get(u.code);
            ProvinceRow {
                code: u.code,
                name: u.name,
                short: u.short,
                stories: c.map_or(0, |c| c.stories),
                recent: c.map_or(0, |c| c.recent),
                previous: c.map_or(0, |c| c.previous),
            }
        })
        .collect();
    sort_provinces(&mut provinces, f.sort);
    let spikes = state
        .store
        .trend_spikes(&q, MAX_SPIKES)
        .await?
        .into_iter()
        .filter_map(|a| {
            let date = store::spike_window_date(&a.subject)?;
            let area = a.subject.strip_prefix("spike:")?.split(':').next()?.to_owned();
            Some(Spike {
                alert_id: a.id,
                topic: a.rule_id,
                title: a.rule_title,
                area,
                date,
                detail: a.detail.as_deref().and_then(SpikeDetail::parse),
            })
        })
        .collect();
    let mut topics: Vec<(String, String)> = topics.into_iter().map(|t| (t.0, t.1)).collect();
    if let Some(t) = &f.topic
        && !topics.iter().any(|x| &x.0 == t)
    {
        topics.push((t.clone(), t.clone()));
    }
    Ok(TrendData { days, series, provinces, spikes, topics })
}

/// The province table's order; ties fall back to more stories, then the name.
pub(crate) fn sort_provinces(rows: &mut [ProvinceRow], sort: Sort) {
    let name_key = |r: &ProvinceRow| (vi_text::fold_form(r.short), r.short);
    match sort {
        Sort::Growth => rows.sort_by(|a, b| {
            b.growth()
                .cmp(&a.growth())
                .then(b.recent.cmp(&a.recent))
                .then_with(|| name_key(a).cmp(&name_key(b)))
        }),
        Sort::Count => rows
            .sort_by(|a, b| b.stories.cmp(&a.stories).then_with(|| name_key(a).cmp(&name_key(b)))),
        Sort::Name => rows.sort_by_key(|r| name_key(r)),
    }
}

/// Today's date in Vietnam.
fn vn_today() -> NaiveDate {
    model::to_vn_time(Utc::now()).date_naive()
}

pub(crate) async fn api(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(p): Query<TrendParams>,
) -> Result<Json<serde_json::Value>, AppError> {
    let f = Filters::parse(&p)?;
    let d = load(&state, &f, vn_today()).await?;
    let area = f.province.unwrap_or("national");
    let series: Vec<_> = d
        .series
        .iter()
        .map(|s| json!({"topic": s.topic, "title": s.title, "area": area, "counts": s.counts}))
        .collect();
    let provinces: Vec<_> = d
        .provinces
        .iter()
        .map(|p| {
            json!({
                "code": p.code,
                "name": p.name,
                "stories": p.stories,
                "recent": p.recent,
                "previous": p.previous,
                "growth": p.growth(),
            })
        })
        .collect();
    let spikes: Vec<_> = d
        .spikes
        .iter()
        .map(|s| {
            let detail = s.detail.clone().unwrap_or_default();
            json!({
                "alert_id": s.alert_id,
                "topic": s.topic,
                "area": s.area,
                "date": s.date.to_string(),
                "observed": detail.observed,
                "expected": detail.expected,
                "threshold": detail.threshold,
                "method": if detail.method.is_empty() { None } else { Some(detail.method) },
            })
        })
        .collect();
    let days: Vec<String> = d.days.iter().map(|d| d.to_string()).collect();
    Ok(Json(json!({
        "days": days,
        "series": series,
        "provinces": provinces,
        "spikes": spikes,
    })))
}

// ---- the page ----

/// A bar of the chart: one day of the main series.
pub(crate) struct Bar {
    pub(crate) x: String,
    pub(crate) y: String,
    pub(crate) w: String,
    pub(crate) h: String,
    pub(crate) label: String,
}

/// A topic's line on the chart.
pub(crate) struct Line {
    pub(crate) class: String,
    pub(crate) points: String,
    pub(crate) title: String,
}

/// A text at a position.
pub(crate) struct Label {
    pub(crate) x: String,
    pub(crate) y: String,
    pub(crate) text: String,
}

/// A spike marked on its day.
pub(crate) struct Marker {
    pub(crate) x: String,
    pub(crate) href: String,
    pub(crate) title: String,
}

/// The daily chart, laid out.
pub(crate) struct Chart {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) left: String,
    pub(crate) right: String,
    pub(crate) top: String,
    pub(crate) bottom: String,
    pub(crate) bars: Vec<Bar>,
    pub(crate) lines: Vec<Line>,
    pub(crate) x_labels: Vec<Label>,
    pub(crate) y_labels: Vec<Label>,
    pub(crate) markers: Vec<Marker>,
    /// The legend: class and title of each series, the bars first.
    pub(crate) legend: Vec<(String, String)>,
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// Lays out the chart: bars for the first series, lines for the others, spikes marked.
fn chart(d: &TrendData) -> Chart {
    let (width, height) = (760.0_f64, 260.0_f64);
    let (left, right, top, bottom) = (40.0, width - 10.0, 20.0, height - 30.0);
    let n = d.days.len().max(1);
    let step = (right - left) / n as f64;
    let max = d.series.iter().flat_map(|s| s.counts.iter().copied()).max().unwrap_or(0).max(1);
    let y = |v: i64| bottom - (bottom - top) * v as f64 / max as f64;
    let x_mid = |i: usize| left + step * (i as f64 + 0.5);
    let date_label = |d: &NaiveDate| d.format("%d/%m").to_string();
    let mut bars = Vec::new();
    if let Some(main) = d.series.first() {
        for (i, (&c, day)) in main.counts.iter().zip(&d.days).enumerate() {
            bars.push(Bar {
                x: px(left + step * i as f64 + step * 0.1),
                y: px(y(c)),
                w: px((step * 0.8).max(0.5)),
                h: px(bottom - y(c)),
                label: format!("{}: {c} câu chuyện", date_label(day)),
            });
        }
    }
    let lines = d
        .series
        .iter()
        .enumerate()
        .skip(1)
        .map(|(k, s)| Line {
            class: format!("line s{k}"),
            points: s
                .counts
                .iter()
                .enumerate()
                .map(|(i, &c)| format!("{},{}", px(x_mid(i)), px(y(c))))
                .collect::<Vec<_>>()
                .join(" "),
            title: s.title.clone(),
        })
        .collect();
    // About eight date labels whatever the number of days.
    let every = n.div_ceil(8).max(1);
    let x_labels = d
        .days
        .iter()
        .enumerate()
        // The last day is always labelled, so a regular label too close to it is dropped.
        .filter(|(i, _)| *i == n - 1 || (i % every == 0 && n - 1 - i >= every.div_ceil(2)))
        .map(|(i, day)| Label { x: px(x_mid(i)), y: px(bottom + 16.0), text: date_label(day) })
        .collect();
    let ticks = if max >= 2 { vec![0, max / 2, max] } else { vec![0, max] };
    let y_labels = ticks
        .into_iter()
        .map(|v| Label { x: px(left - 6.0), y: px(y(v) + 4.0), text: v.to_string() })
        .collect();
    let index: HashMap<NaiveDate, usize> =
        d.days.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let markers = d
        .spikes
        .iter()
        .filter_map(|s| {
            let i = *index.get(&s.date)?;
            let how = s.detail.as_ref().map_or_else(String::new, |d| {
                format!(
                    ": {} câu chuyện, dự kiến {}, ngưỡng {}",
                    count(d.observed),
                    count(d.expected),
                    count(d.threshold)
                )
            });
            Some(Marker {
                x: px(x_mid(i)),
                href: format!("/alerts/{}", s.alert_id),
                title: format!(
                    "Tăng đột biến {} — {} — {}{how}",
                    s.title,
                    area_name(&s.area),
                    s.date.format("%d/%m/%Y")
                ),
            })
        })
        .collect();
    let legend = d
        .series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            (if k == 0 { "bar".to_owned() } else { format!("line s{k}") }, s.title.clone())
        })
        .collect();
    Chart {
        width: width as u32,
        height: height as u32,
        left: px(left),
        right: px(right),
        top: px(top),
        bottom: px(bottom),
        bars,
        lines,
        x_labels,
        y_labels,
        markers,
        legend,
    }
}

/// Where each of the 34 units sits on the tile map: `(code, column, row)`. It is a tile
/// grid, one equal square per unit placed roughly where the unit lies (north at the top,
/// the coast on the right), not a map of boundaries: sizes and shapes mean nothing.
const TILES: [(&str, u32, u32); 34] = [
    ("12", 0, 0),
    ("15", 1, 0),
    ("08", 2, 0),
    ("04", 3, 0),
    ("11", 0, 1),
    ("14", 1, 1),
    ("25", 2, 1),
    ("19", 3, 1),
    ("20", 4, 1),
    ("01", 2, 2),
    ("24", 3, 2),
    ("22", 4, 2),
    ("37", 2, 3),
    ("33", 3, 3),
    ("31", 4, 3),
    ("38", 2, 4),
    ("40", 2, 5),
    ("42", 3, 5),
    ("44", 3, 6),
    ("46", 3, 7),
    ("48", 4, 7),
    ("51", 4, 8),
    ("52", 4, 9),
    ("66", 4, 10),
    ("68", 3, 11),
    ("56", 4, 11),
    ("80", 1, 12),
    ("79", 2, 12),
    ("75", 3, 12),
    ("91", 0, 13),
    ("82", 1, 13),
    ("86", 2, 13),
    ("96", 0, 14),
    ("92", 1, 14),
];

const TILE_W: u32 = 64;
const TILE_H: u32 = 30;
const TILE_GAP: u32 = 4;

/// A province's tile.
pub(crate) struct Tile {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) text_x: u32,
    pub(crate) text_y: u32,
    pub(crate) level: u8,
    pub(crate) selected: bool,
    pub(crate) short: &'static str,
    pub(crate) title: String,
    pub(crate) href: String,
}

/// The activity class of a count: 0 for none, then 1 to 4 by its share of the busiest.
fn level(stories: i64, max: i64) -> u8 {
    if stories <= 0 || max <= 0 { 0 } else { (4 * stories).div_euclid(max).clamp(1, 4) as u8 }
}

fn tiles(d: &TrendData, f: &Filters) -> (Vec<Tile>, Vec<(u8, String)>) {
    let max = d.provinces.iter().map(|p| p.stories).max().unwrap_or(0);
    let rows: HashMap<&str, &ProvinceRow> = d.provinces.iter().map(|p| (p.code, p)).collect();
    let tiles = TILES
        .iter()
        .filter_map(|&(code, col, row)| {
            let p = rows.get(code)?;
            let (x, y) = (col * (TILE_W + TILE_GAP), row * (TILE_H + TILE_GAP));
            let selected = f.province == Some(code);
            Some(Tile {
                x,
                y,
                text_x: x + TILE_W / 2,
                text_y: y + TILE_H / 2 + 4,
                level: level(p.stories, max),
                selected,
                short: p.short,
                title: format!(
                    "{}: {} câu chuyện; 7 ngày qua {}, 7 ngày trước {}",
                    p.name, p.stories, p.recent, p.previous
                ),
                // A click on the chosen unit clears the filter.
                href: f.url(if selected { None } else { Some(code) }, f.sort),
            })
        })
        .collect();
    let bound = |l: i64| (l * max).div_euclid(4);
    let legend = if max == 0 {
        vec![(0, "0".to_owned())]
    } else {
        (0..=4u8)
            .map(|l| {
                let text = match l {
                    0 => "0".to_owned(),
                    4 => max.to_string(),
                    l => {
                        let (lo, hi) = (bound(i64::from(l)).max(1), bound(i64::from(l) + 1) - 1);
                        if hi > lo { format!("{lo}–{hi}") } else { format!("{lo}") }
                    }
                };
                (l, text)
            })
            .collect()
    };
    (tiles, legend)
}

/// A row of the province table.
pub(crate) struct ProvinceView {
    pub(crate) name: &'static str,
    pub(crate) href: String,
    pub(crate) stories: i64,
    pub(crate) recent: i64,
    pub(crate) previous: i64,
    pub(crate) growth: String,
    pub(crate) rising: bool,
    pub(crate) selected: bool,
}

/// A spike listed under the chart.
pub(crate) struct SpikeView {
    pub(crate) alert_id: i64,
    pub(crate) title: String,
    pub(crate) area: String,
    pub(crate) date: String,
    pub(crate) observed: String,
    pub(crate) expected: String,
    pub(crate) threshold: String,
    pub(crate) method: String,
}

#[derive(Template)]
#[template(path = "trends.html")]
pub(crate) struct TrendsPage {
    pub(crate) chrome: Chrome,
    pub(crate) error: Option<String>,
    pub(crate) topic: String,
    pub(crate) tier: String,
    pub(crate) province: String,
    pub(crate) days: u32,
    pub(crate) sort: &'static str,
    pub(crate) topics: Vec<(String, String)>,
    pub(crate) tiers: Vec<(&'static str, &'static str)>,
    pub(crate) provinces_options: Vec<(&'static str, &'static str)>,
    pub(crate) heading: String,
    pub(crate) total: i64,
    pub(crate) chart: Option<Chart>,
    pub(crate) tiles: Vec<Tile>,
    pub(crate) tile_width: u32,
    pub(crate) tile_height: u32,
    pub(crate) tile_w: u32,
    pub(crate) tile_h: u32,
    pub(crate) legend: Vec<(u8, String)>,
    pub(crate) rows: Vec<ProvinceView>,
    pub(crate) sort_links: Vec<(&'static str, String, bool)>,
    pub(crate) spikes: Vec<SpikeView>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<TrendParams>,
) -> Result<Response, AppError> {
    let mut page = TrendsPage {
        chrome: chrome(&user),
        error: None,
        topic: params::present(&p.topic).unwrap_or("").to_owned(),
        tier: params::present(&p.tier).unwrap_or("").to_owned(),
        province: params::present(&p.province).unwrap_or("").to_owned(),
        days: DEFAULT_TREND_DAYS,
        sort: "growth",
        topics: Vec::new(),
        tiers: [
            SourceTier::Official,
            SourceTier::Press,
            SourceTier::Aggregator,
            SourceTier::Social,
        ]
        .into_iter()
        .map(|t| (t.as_str(), tier_label(t)))
        .collect(),
        provinces_options: crate::stories::province_options(),
        heading: String::new(),
        total: 0,
        chart: None,
        tiles: Vec::new(),
        tile_width: 5 * (TILE_W + TILE_GAP),
        tile_height: 15 * (TILE_H + TILE_GAP),
        tile_w: TILE_W,
        tile_h: TILE_H,
        legend: Vec::new(),
        rows: Vec::new(),
        sort_links: Vec::new(),
        spikes: Vec::new(),
    };
    let f = match Filters::parse(&p) {
        Ok(f) => f,
        Err(e) => {
            page.error = Some(format!("Tham số không hợp lệ ({}): {}", e.name, e.message));
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
    };
    let d = load(&state, &f, vn_today()).await?;
    page.days = f.days;
    page.sort = f.sort.as_str();
    page.heading = format!(
        "{} — {}",
        d.series.first().map_or("", |s| s.title.as_str()),
        f.province.map_or_else(|| "Toàn quốc".to_owned(), area_name)
    );
    page.total = d.series.first().map_or(0, |s| s.counts.iter().sum());
    page.chart = Some(chart(&d));
    (page.tiles, page.legend) = tiles(&d, &f);
    page.rows = d
        .provinces
        .iter()
        .map(|p| ProvinceView {
            name: p.name,
            href: f.url(Some(p.code), f.sort),
            stories: p.stories,
            recent: p.recent,
            previous: p.previous,
            growth: match p.growth() {
                g if g > 0 => format!("+{g}"),
                g => g.to_string(),
            },
            rising: p.growth() > 0,
            selected: f.province == Some(p.code),
        })
        .collect();
    page.sort_links = [(Sort::Name, "name"), (Sort::Count, "count"), (Sort::Growth, "growth")]
        .into_iter()
        .map(|(s, key)| (key, f.url(f.province, s), s == f.sort))
        .collect();
    page.spikes = d
        .spikes
        .iter()
        .map(|s| {
            let detail = s.detail.clone().unwrap_or_default();
            SpikeView {
                alert_id: s.alert_id,
                title: s.title.clone(),
                area: area_name(&s.area),
                date: s.date.format("%d/%m/%Y").to_string(),
                observed: count(detail.observed),
                expected: count(detail.expected),
                threshold: count(detail.threshold),
                method: detail.method,
            }
        })
        .collect();
    page.topics = d.topics;
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_has_one_tile_and_no_two_tiles_overlap() {
        let mut seen = std::collections::HashSet::new();
        for (code, col, row) in TILES {
            assert!(gazetteer::unit(code).is_some(), "{code}");
            assert!(seen.insert((col, row)), "{code} overlaps");
            assert!(col < 5 && row < 15);
        }
        let mut codes: Vec<_> = TILES.iter().map(|t| t.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), gazetteer::units().len());
    }

    #[test]
    fn activity_levels_split_the_busiest_count_in_four() {
        assert_eq!(level(0, 10), 0);
        assert_eq!(level(1, 10), 1);
        assert_eq!(level(5, 10), 2);
        assert_eq!(level(10, 10), 4);
        assert_eq!(level(3, 0), 0);
    }

    fn row(code: &'static str, stories: i64, recent: i64, previous: i64) -> ProvinceRow {
        let u = gazetteer::unit(code).unwrap_or(&gazetteer::units()[0]);
        ProvinceRow { code: u.code, name: u.name, short: u.short, stories, recent, previous }
    }

    #[test]
    fn provinces_sort_by_growth_count_or_name() {
        let mut rows = vec![row("01", 9, 2, 5), row("79", 4, 4, 0), row("66", 6, 3, 1)];
        let order = |rows: &[ProvinceRow]| rows.iter().map(|r| r.code).collect::<Vec<_>>();
        sort_provinces(&mut rows, Sort::Growth);
        assert_eq!(order(&rows), ["79", "66", "01"]);
        sort_provinces(&mut rows, Sort::Count);
        assert_eq!(order(&rows), ["01", "66", "79"]);
        // Đắk Lắk, Hà Nội, Hồ Chí Minh: "Đ" is read as "D".
        sort_provinces(&mut rows, Sort::Name);
        assert_eq!(order(&rows), ["66", "01", "79"]);
    }
}
