//! Briefing packs: what a spokesperson takes into a press briefing about a story
//! (`/briefing/stories/{id}`) or a topic over a period (`/briefing/topic?rule=…&from=&to=`):
//! the timeline, the first publisher, who carried it (outlets with their times and the
//! stances they took), the office's official responses and how far the outlets corrected
//! what they carried. Each is a printable page (the print style sheet drops the
//! navigation) and an XLSX workbook of the same figures (`…/xlsx`, `topic.xlsx`). Any
//! logged-in user may read them, as they read the stories and alerts they are made of.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use model::{Alert, SourceTier, Stance, Timestamp};
use serde::Deserialize;
use store::{CarriedItem, MAX_BRIEFING_ITEMS};

use super::saved::{id_of, not_found};
use super::{count, rule_titles, stance_label, vn_midnight};
use crate::AppState;
use crate::alert_page::view::CorrectionsView;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::chrome;
use crate::params::present;
use crate::stories::{basis_label, lag_label, relation_label};
use crate::views::{Chrome, is_web_url, kind_label, tier_label, vn_time};

/// Timeline rows a page lists; the workbook has them all.
const PAGE_ITEMS: usize = 500;
/// Alerts of a topic whose responses a pack gathers.
const TOPIC_ALERTS: i64 = 50;
/// A topic pack's period unless asked, and at most, in days.
const DEFAULT_DAYS: i64 = 30;
const MAX_DAYS: i64 = 366;

pub(crate) struct DayRow {
    pub(crate) day: String,
    pub(crate) items: usize,
}

pub(crate) struct ItemRow {
    pub(crate) time: String,
    pub(crate) outlet: String,
    pub(crate) tier: &'static str,
    pub(crate) relation: String,
    pub(crate) lag: String,
    pub(crate) title: String,
    pub(crate) stance: String,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
    pub(crate) document_id: i64,
    pub(crate) origin: bool,
}

pub(crate) struct CarrierRow {
    pub(crate) outlet: String,
    pub(crate) tier: &'static str,
    pub(crate) items: usize,
    pub(crate) first: String,
    pub(crate) last: String,
    pub(crate) carries: usize,
    pub(crate) refutes: usize,
    pub(crate) reports: usize,
}

pub(crate) struct StoryLink {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) items: usize,
    pub(crate) outlets: usize,
}

pub(crate) struct ResponseRow {
    pub(crate) alert_id: i64,
    pub(crate) alert: String,
    pub(crate) channel: &'static str,
    pub(crate) published: String,
    pub(crate) text: String,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
}

pub(crate) struct CorrectionBox {
    pub(crate) alert_id: i64,
    pub(crate) alert: String,
    pub(crate) view: CorrectionsView,
}

/// A briefing pack, ready for the page and the workbook.
#[derive(Template)]
#[template(path = "briefing.html")]
pub(crate) struct BriefingPage {
    pub(crate) chrome: Chrome,
    /// "câu chuyện" or "chủ đề".
    pub(crate) what: &'static str,
    pub(crate) title: String,
    pub(crate) period: String,
    pub(crate) generated: String,
    pub(crate) summary: Vec<(String, String)>,
    pub(crate) first: Option<ItemRow>,
    pub(crate) first_basis: String,
    pub(crate) days: Vec<DayRow>,
    pub(crate) widest: usize,
    pub(crate) timeline: Vec<ItemRow>,
    /// Timeline rows only the workbook has.
    pub(crate) more_items: usize,
    pub(crate) carriers: Vec<CarrierRow>,
    pub(crate) stories: Vec<StoryLink>,
    pub(crate) responses: Vec<ResponseRow>,
    pub(crate) corrections: Vec<CorrectionBox>,
    pub(crate) xlsx: String,
    pub(crate) search: String,
}

/// One place the pack's subject was seen, with the stance the document took.
struct Item {
    time: Timestamp,
    outlet: String,
    tier: SourceTier,
    relation: Option<String>,
    lag: Option<i64>,
    title: String,
    stance: Option<Stance>,
    url: String,
    document_id: i64,
    story: Option<i64>,
    source_id: i64,
}

fn item_row(i: &Item) -> ItemRow {
    ItemRow {
        time: vn_time(i.time),
        outlet: i.outlet.clone(),
        tier: tier_label(i.tier),
        relation: if i.relation.is_some() {
            relation_label(i.relation.as_deref()).to_owned()
        } else {
            String::new()
        },
        lag: if i.lag.is_some() { lag_label(i.lag) } else { String::new() },
        title: i.title.clone(),
        stance: i.stance.map(stance_label).unwrap_or_default().to_owned(),
        url_is_link: is_web_url(&i.url),
        url: i.url.clone(),
        document_id: i.document_id,
        origin: i.relation.as_deref() == Some("origin"),
    }
}

/// Items per Vietnam day, every day of `from..=to`.
fn per_day(items: &[Item], from: NaiveDate, to: NaiveDate) -> Vec<DayRow> {
    let mut counts: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for i in items {
        *counts.entry(model::to_vn_time(i.time).date_naive()).or_default() += 1;
    }
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|d| DayRow {
            day: d.format("%d/%m/%Y").to_string(),
            items: counts.get(&d).copied().unwrap_or(0),
        })
        .collect()
}

/// The outlets that carried it, earliest first, with their stances.
fn carriers(items: &[Item]) -> Vec<CarrierRow> {
    let mut by: Vec<(i64, CarrierRow, Timestamp)> = Vec::new();
    for i in items {
        let at = match by.iter().position(|(id, _, _)| *id == i.source_id) {
            Some(at) => at,
            None => {
                by.push((
                    i.source_id,
                    CarrierRow {
                        outlet: i.outlet.clone(),
                        tier: tier_label(i.tier),
                        items: 0,
                        first: vn_time(i.time),
                        last: String::new(),
                        carries: 0,
                        refutes: 0,
                        reports: 0,
                    },
                    i.time,
                ));
                by.len() - 1
            }
        };
        let row = &mut by[at].1;
        row.items += 1;
        row.last = vn_time(i.time);
        match i.stance {
            Some(Stance::Carries) => row.carries += 1,
            Some(Stance::Refutes) => row.refutes += 1,
            Some(Stance::Reports) => row.reports += 1,
            None => {}
        }
    }
    by.sort_by_key(|(_, _, first)| *first);
    by.into_iter().map(|(_, row, _)| row).collect()
}

/// The responses and correction tracking of `alerts`.
async fn handling(
    state: &AppState,
    alerts: &[Alert],
) -> Result<(Vec<ResponseRow>, Vec<CorrectionBox>), AppError> {
    let mut responses = Vec::new();
    let mut corrections = Vec::new();
    for a in alerts {
        for r in state.store.alert_responses(a.id).await? {
            let url = r.response.url.clone().unwrap_or_default();
            responses.push(ResponseRow {
                alert_id: a.id,
                alert: a.rule_title.clone(),
                channel: r.response.channel.label(),
                published: vn_time(r.response.published_at),
                text: r.response.text.clone(),
                url_is_link: is_web_url(&url),
                url,
            });
        }
        if let Some(report) = state.store.alert_corrections(a.id).await? {
            corrections.push(CorrectionBox {
                alert_id: a.id,
                alert: a.rule_title.clone(),
                view: CorrectionsView::new(&report),
            });
        }
    }
    Ok((responses, corrections))
}

fn empty_page(user: &CurrentUser, what: &'static str) -> BriefingPage {
    BriefingPage {
        chrome: chrome(user),
        what,
        title: String::new(),
        period: String::new(),
        generated: vn_time(Utc::now()),
        summary: Vec::new(),
        first: None,
        first_basis: String::new(),
        days: Vec::new(),
        widest: 1,
        timeline: Vec::new(),
        more_items: 0,
        carriers: Vec::new(),
        stories: Vec::new(),
        responses: Vec::new(),
        corrections: Vec::new(),
        xlsx: String::new(),
        search: String::new(),
    }
}

fn fill(page: &mut BriefingPage, items: &[Item], from: NaiveDate, to: NaiveDate) {
    page.days = per_day(items, from, to);
    page.widest = page.days.iter().map(|d| d.items).max().unwrap_or(1).max(1);
    page.timeline = items.iter().take(PAGE_ITEMS).map(item_row).collect();
    page.more_items = items.len().saturating_sub(PAGE_ITEMS);
    page.carriers = carriers(items);
}

/// A story's pack.
async fn story_pack(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<Option<(BriefingPage, Vec<Item>)>, AppError> {
    let Some(story) = state.store.story(id).await? else { return Ok(None) };
    let timeline = state.store.story_timeline(id).await?;
    let mut stances: HashMap<i64, Stance> = HashMap::new();
    for s in state.store.story_stances(id).await? {
        // A document that carries one claim and refutes another is shown as carrying.
        let e = stances.entry(s.document_id).or_insert(s.stance);
        if s.stance == Stance::Carries {
            *e = Stance::Carries;
        }
    }
    let items: Vec<Item> = timeline
        .iter()
        .map(|t| Item {
            time: t.sighting.time(),
            outlet: t.sighting.source_name.clone(),
            tier: t.sighting.tier,
            relation: t.relation.clone(),
            lag: t.lag_minutes,
            title: t.title.clone(),
            stance: stances.get(&t.sighting.document_id).copied(),
            url: t.sighting.url.clone(),
            document_id: t.sighting.document_id,
            story: Some(id),
            source_id: t.sighting.source_id,
        })
        .collect();
    let alerts = state.store.story_alerts(id).await?;
    let (responses, corrections) = handling(state, &alerts).await?;
    let mut page = empty_page(user, "câu chuyện");
    let (from, to) = (
        model::to_vn_time(story.first_seen).date_naive(),
        model::to_vn_time(story.last_seen).date_naive(),
    );
    page.title = story.title.clone();
    page.period = format!("{} – {}", vn_time(story.first_seen), vn_time(story.last_seen));
    let province = story
        .province
        .as_deref()
        .and_then(gazetteer::unit)
        .map(|u| u.name.to_owned())
        .unwrap_or_else(|| "—".to_owned());
    page.summary = vec![
        ("Câu chuyện".into(), format!("#{}", story.id)),
        ("Nguồn đăng tin".into(), count(story.outlets.max(0) as u64)),
        ("Lần xuất hiện".into(), count(story.sightings.max(0) as u64)),
        ("Số bài".into(), count(story.documents.max(0) as u64)),
        ("Tỉnh, thành".into(), province),
        ("Cảnh báo".into(), count(alerts.len() as u64)),
        ("Phản hồi chính thức".into(), count(responses.len() as u64)),
    ];
    page.first = items.iter().find(|i| i.document_id == story.origin_document).map(item_row);
    page.first_basis = basis_label(&story.origin_basis).to_owned();
    fill(&mut page, &items, from, to);
    page.responses = responses;
    page.corrections = corrections;
    page.xlsx = format!("/briefing/stories/{id}/xlsx");
    page.search = format!("/search?story={id}&sort=newest");
    Ok(Some((page, items)))
}

#[derive(Deserialize, Default)]
pub(crate) struct TopicParams {
    rule: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// A topic's pack over a period.
async fn topic_pack(
    state: &AppState,
    user: &CurrentUser,
    p: &TopicParams,
) -> Result<Option<(BriefingPage, Vec<Item>)>, AppError> {
    let Some(rule) = crate::params::rule("rule", &p.rule)? else {
        return Err(AppError::BadRequest(
            "missing parameter rule: the topic's rule id, such as topic.sot-xuat-huyet".into(),
        ));
    };
    let search = super::SearchParams {
        from: p.from.clone(),
        to: p.to.clone(),
        ..super::SearchParams::default()
    };
    let filters = search.criteria()?.filters;
    let today = model::to_vn_time(Utc::now()).date_naive();
    let to = filters.to.unwrap_or(today);
    let from = filters.from.unwrap_or(to - chrono::Duration::days(DEFAULT_DAYS - 1));
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::BadRequest(format!(
            "invalid parameter from: a briefing covers at most {MAX_DAYS} days"
        )));
    }
    let titles = rule_titles(state, &[rule.clone()].into_iter().collect()).await?;
    let kind = match &state.rules {
        Some(h) => h.current().rules().iter().find(|r| *r.id == *rule).map(|r| r.kind),
        None => None,
    };
    let kind = match kind {
        Some(k) => Some(k),
        None => state.store.rule_hit_title(&rule).await?.map(|(_, k)| k),
    };
    let Some(kind) = kind else { return Ok(None) };
    let until = to.succ_opt().map_or_else(Utc::now, vn_midnight);
    let carried =
        state.store.rule_sightings(&rule, vn_midnight(from), until, MAX_BRIEFING_ITEMS).await?;
    let items: Vec<Item> = carried.iter().map(topic_item).collect();
    let alerts = state.store.rule_alerts(&rule, vn_midnight(from), until, TOPIC_ALERTS).await?;
    let (responses, corrections) = handling(state, &alerts).await?;
    let mut page = empty_page(user, "chủ đề");
    page.title = titles.get(&rule).cloned().unwrap_or_else(|| rule.clone());
    page.period = format!("{} – {}", from.format("%d/%m/%Y"), to.format("%d/%m/%Y"));
    let documents: std::collections::HashSet<i64> = items.iter().map(|i| i.document_id).collect();
    let outlets: std::collections::HashSet<i64> = items.iter().map(|i| i.source_id).collect();
    page.summary = vec![
        ("Quy tắc".into(), format!("{rule} ({})", kind_label(kind))),
        ("Số bài".into(), count(documents.len() as u64)),
        ("Lần xuất hiện".into(), count(items.len() as u64)),
        ("Nguồn đăng tin".into(), count(outlets.len() as u64)),
        ("Cảnh báo".into(), count(alerts.len() as u64)),
        ("Phản hồi chính thức".into(), count(responses.len() as u64)),
    ];
    if items.len() as i64 >= MAX_BRIEFING_ITEMS {
        page.summary.push((
            "Lưu ý".into(),
            format!(
                "chỉ gồm {} lần xuất hiện đầu tiên; hãy thu hẹp giai đoạn",
                count(MAX_BRIEFING_ITEMS as u64)
            ),
        ));
    }
    // The first publisher of the period: its earliest sighting that is not an aggregator's,
    // else its earliest.
    let first = items.iter().find(|i| i.tier != SourceTier::Aggregator).or_else(|| items.first());
    page.first = first.map(item_row);
    page.first_basis = if first.is_some_and(|i| i.tier != SourceTier::Aggregator) {
        basis_label("earliest").to_owned()
    } else {
        basis_label("uncertain").to_owned()
    };
    fill(&mut page, &items, from, to);
    page.stories = stories_of(&items);
    page.responses = responses;
    page.corrections = corrections;
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("rule", &rule);
    q.append_pair("from", &from.format("%Y-%m-%d").to_string());
    q.append_pair("to", &to.format("%Y-%m-%d").to_string());
    let q = q.finish();
    page.xlsx = format!("/briefing/topic.xlsx?{q}");
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair("topic", &rule);
    s.append_pair("from", &from.format("%Y-%m-%d").to_string());
    s.append_pair("to", &to.format("%Y-%m-%d").to_string());
    s.append_pair("sort", "newest");
    page.search = format!("/search?q=&{}", s.finish());
    Ok(Some((page, items)))
}

fn topic_item(c: &CarriedItem) -> Item {
    Item {
        time: c.sighting.time(),
        outlet: c.sighting.source_name.clone(),
        tier: c.sighting.tier,
        relation: None,
        lag: None,
        title: c.title.clone(),
        stance: c.stance,
        url: c.sighting.url.clone(),
        document_id: c.sighting.document_id,
        story: c.story,
        source_id: c.sighting.source_id,
    }
}

/// The stories of a topic's items, most items first.
fn stories_of(items: &[Item]) -> Vec<StoryLink> {
    let mut by: BTreeMap<i64, (String, usize, std::collections::HashSet<i64>)> = BTreeMap::new();
    for i in items {
        if let Some(s) = i.story {
            let e = by.entry(s).or_insert_with(|| (i.title.clone(), 0, Default::default()));
            e.1 += 1;
            e.2.insert(i.source_id);
        }
    }
    let mut out: Vec<StoryLink> = by
        .into_iter()
        .map(|(id, (title, items, outlets))| StoryLink { id, title, items, outlets: outlets.len() })
        .collect();
    out.sort_by(|a, b| b.items.cmp(&a.items).then(a.id.cmp(&b.id)));
    out.truncate(20);
    out
}

pub(crate) async fn story_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Some(id) = id_of(&id) else { return not_found().await };
    match story_pack(&state, &user, id).await? {
        Some((page, _)) => Ok(Html(page.render()?).into_response()),
        None => not_found().await,
    }
}

pub(crate) async fn topic_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<TopicParams>,
) -> Result<Response, AppError> {
    match topic_pack(&state, &user, &p).await? {
        Some((page, _)) => Ok(Html(page.render()?).into_response()),
        None => not_found().await,
    }
}

pub(crate) async fn story_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Some(id) = id_of(&id) else { return not_found().await };
    match story_pack(&state, &user, id).await? {
        Some((page, items)) => {
            workbook(page, items, &format!("langnghe-cau-chuyen-{id}.xlsx")).await
        }
        None => not_found().await,
    }
}

pub(crate) async fn topic_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<TopicParams>,
) -> Result<Response, AppError> {
    let name = format!(
        "langnghe-chu-de-{}.xlsx",
        present(&p.rule)
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
            .take(60)
            .collect::<String>()
    );
    match topic_pack(&state, &user, &p).await? {
        Some((page, items)) => workbook(page, items, &name).await,
        None => not_found().await,
    }
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// The pack as a workbook: a summary, the timeline (every item), the outlets, the
/// responses and the correction coverage, one sheet each.
fn build(page: &BriefingPage, items: &[Item]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let head = |sheet: &mut rust_xlsxwriter::Worksheet, row: u32, cols: &[&str]| {
        for (i, c) in cols.iter().enumerate() {
            sheet.write_string_with_format(row, i as u16, *c, &bold)?;
        }
        Ok::<(), rust_xlsxwriter::XlsxError>(())
    };
    let s = wb.add_worksheet().set_name("Tóm tắt")?;
    s.set_column_width(0, 26)?;
    s.set_column_width(1, 70)?;
    s.write_string_with_format(0, 0, format!("Gói tư liệu {}: {}", page.what, page.title), &bold)?;
    s.write_string(1, 0, "Giai đoạn")?;
    s.write_string(1, 1, &page.period)?;
    s.write_string(2, 0, "Lập lúc")?;
    s.write_string(2, 1, &page.generated)?;
    let mut row = 3;
    for (k, v) in &page.summary {
        s.write_string(row, 0, k)?;
        s.write_string(row, 1, v)?;
        row += 1;
    }
    if let Some(f) = &page.first {
        s.write_string(row, 0, "Nguồn đăng đầu tiên")?;
        s.write_string(row, 1, format!("{} — {} ({})", f.outlet, f.time, page.first_basis))?;
    }

    let s = wb.add_worksheet().set_name("Dòng thời gian")?;
    head(
        s,
        0,
        &[
            "Thời gian (giờ Việt Nam)",
            "Nguồn",
            "Loại nguồn",
            "Quan hệ",
            "Lập trường",
            "Tiêu đề",
            "Đường dẫn",
        ],
    )?;
    for (n, i) in items.iter().enumerate() {
        let r = item_row(i);
        let row = n as u32 + 1;
        s.write_string(row, 0, &r.time)?;
        s.write_string(row, 1, &r.outlet)?;
        s.write_string(row, 2, r.tier)?;
        s.write_string(row, 3, &r.relation)?;
        s.write_string(row, 4, &r.stance)?;
        s.write_string(row, 5, &r.title)?;
        s.write_string(row, 6, &r.url)?;
    }

    let s = wb.add_worksheet().set_name("Nguồn đăng")?;
    head(
        s,
        0,
        &[
            "Nguồn",
            "Loại nguồn",
            "Số lần",
            "Lần đầu",
            "Lần cuối",
            "Lan truyền",
            "Bác bỏ",
            "Đưa tin",
        ],
    )?;
    for (n, c) in page.carriers.iter().enumerate() {
        let row = n as u32 + 1;
        s.write_string(row, 0, &c.outlet)?;
        s.write_string(row, 1, c.tier)?;
        s.write_number(row, 2, c.items as f64)?;
        s.write_string(row, 3, &c.first)?;
        s.write_string(row, 4, &c.last)?;
        s.write_number(row, 5, c.carries as f64)?;
        s.write_number(row, 6, c.refutes as f64)?;
        s.write_number(row, 7, c.reports as f64)?;
    }

    let s = wb.add_worksheet().set_name("Phản hồi")?;
    head(s, 0, &["Cảnh báo", "Kênh", "Đăng lúc", "Nội dung", "Đường dẫn"])?;
    for (n, r) in page.responses.iter().enumerate() {
        let row = n as u32 + 1;
        s.write_string(row, 0, format!("#{} {}", r.alert_id, r.alert))?;
        s.write_string(row, 1, r.channel)?;
        s.write_string(row, 2, &r.published)?;
        s.write_string(row, 3, &r.text)?;
        s.write_string(row, 4, &r.url)?;
    }

    let s = wb.add_worksheet().set_name("Cải chính")?;
    head(s, 0, &["Cảnh báo", "Nguồn", "Số bài", "Kết quả", "Khắc phục lúc", "Sau phản hồi"])?;
    let mut row = 1;
    for c in &page.corrections {
        s.write_string(
            row,
            0,
            format!("#{} {} — đã khắc phục {}", c.alert_id, c.alert, c.view.coverage),
        )?;
        row += 1;
        for o in &c.view.outlets {
            s.write_string(row, 0, format!("#{}", c.alert_id))?;
            s.write_string(row, 1, &o.source)?;
            s.write_number(row, 2, o.items as f64)?;
            s.write_string(row, 3, o.outcome)?;
            s.write_string(row, 4, &o.remedied_at)?;
            s.write_string(row, 5, &o.time_to_correction)?;
            row += 1;
        }
    }
    wb.save_to_buffer()
}

async fn workbook(page: BriefingPage, items: Vec<Item>, name: &str) -> Result<Response, AppError> {
    let bytes = tokio::task::spawn_blocking(move || build(&page, &items))
        .await
        .map_err(|e| AppError::Internal(format!("xlsx writer panicked: {e}")))?
        .map_err(xlsx_error)?;
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        StatusCode::OK,
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
