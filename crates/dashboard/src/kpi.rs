//! Handling figures: the `/kpi` page (times to detect, acknowledge, decide and respond;
//! deadlines kept per priority and month; the backlog by state and age; dismissal rates per
//! rule, with bars drawn as inline SVG on the server) and `/api/v1/kpi` with the same as JSON.
//!
//! Every number comes from `alerts::kpi` over the alerts' events; this module only chooses
//! the period and says the numbers in Vietnamese.

use alerts::deadlines::DeadlineKind;
use alerts::kpi::{AGE_BUCKETS, BacklogRow, DurationStats, Figures, Month, Period, SlaCell};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use model::{Priority, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{ApiUser, CurrentUser};
use crate::error::AppError;
use crate::pages::chrome;
use crate::params;
use crate::views::{Chrome, vn_time};

/// The longest custom period, in days: three years of handling is already a report.
const MAX_DAYS: i64 = 3 * 366;
/// Rules drawn on the dismissal chart.
const CHART_RULES: usize = 15;

/// The page.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/kpi", get(page))
}

/// The API, under `/api/v1/`.
pub(crate) fn api_routes() -> Router<AppState> {
    Router::new().route("/kpi", get(api))
}

#[derive(Deserialize, Default)]
pub(crate) struct KpiParams {
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The periods offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Last30,
    Last90,
    HalfYear,
    Custom,
}

impl Choice {
    const ALL: [Choice; 4] = [Choice::Last30, Choice::Last90, Choice::HalfYear, Choice::Custom];

    fn as_str(self) -> &'static str {
        match self {
            Choice::Last30 => "30d",
            Choice::Last90 => "90d",
            Choice::HalfYear => "half",
            Choice::Custom => "custom",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Choice::Last30 => "30 ngày qua",
            Choice::Last90 => "90 ngày qua",
            Choice::HalfYear => "Sáu tháng này",
            Choice::Custom => "Tùy chọn",
        }
    }
}

/// The chosen period, as Vietnam days (both included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chosen {
    choice: Choice,
    first: NaiveDate,
    last: NaiveDate,
}

impl Chosen {
    fn period(&self) -> Period {
        let to = alerts::kpi::vn_day_end(self.last);
        Period { from: alerts::kpi::vn_day_end(self.first) - Duration::days(1), to }
    }
}

fn date(name: &str, value: &Option<String>) -> Result<Option<NaiveDate>, String> {
    let Some(v) = params::present(value) else { return Ok(None) };
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map(Some).map_err(|_| {
        let shown: String = v.chars().filter(|c| !c.is_control()).take(20).collect();
        format!("ngày “{shown}” ({name}) không đúng dạng năm-tháng-ngày, ví dụ 2026-12-07")
    })
}

/// Reads the period: one of the choices, or `from` and `to` (which imply a custom period).
fn choose(p: &KpiParams, today: NaiveDate) -> Result<Chosen, String> {
    let (from, to) = (date("from", &p.from)?, date("to", &p.to)?);
    let choice = match params::present(&p.period) {
        None if from.is_some() || to.is_some() => Choice::Custom,
        None => Choice::Last30,
        Some(v) => Choice::ALL.into_iter().find(|c| c.as_str() == v).ok_or_else(|| {
            "giai đoạn phải là 30 ngày qua, 90 ngày qua, sáu tháng này hoặc tùy chọn".to_owned()
        })?,
    };
    let (first, last) = match choice {
        Choice::Last30 => (today - Duration::days(29), today),
        Choice::Last90 => (today - Duration::days(89), today),
        Choice::HalfYear => {
            let month = if today.month() <= 6 { 1 } else { 7 };
            (NaiveDate::from_ymd_opt(today.year(), month, 1).unwrap_or(today), today)
        }
        Choice::Custom => {
            let (Some(first), Some(last)) = (from, to) else {
                return Err("giai đoạn tùy chọn cần cả ngày bắt đầu và ngày kết thúc".to_owned());
            };
            if last < first {
                return Err("ngày kết thúc phải không trước ngày bắt đầu".to_owned());
            }
            if (last - first).num_days() >= MAX_DAYS {
                return Err(format!("giai đoạn dài nhất là {MAX_DAYS} ngày"));
            }
            (first, last)
        }
    };
    Ok(Chosen { choice, first, last })
}

fn vn_today() -> NaiveDate {
    model::to_vn_time(Utc::now()).date_naive()
}

/// A duration as a person says it: "45 phút", "1 giờ 20 phút", "3 ngày 4 giờ".
pub(crate) fn vi_duration(d: Duration) -> String {
    let minutes = (d.num_seconds().max(0) + 30) / 60;
    if minutes == 0 {
        return "dưới 1 phút".to_owned();
    }
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let part = |n: i64, unit: &str| (n > 0).then(|| format!("{n} {unit}"));
    let parts: Vec<String> = if days > 0 {
        [part(days, "ngày"), part(hours, "giờ")].into_iter().flatten().collect()
    } else {
        [part(hours, "giờ"), part(mins, "phút")].into_iter().flatten().collect()
    };
    parts.join(" ")
}

fn vi_optional(d: Option<Duration>) -> String {
    d.map_or_else(|| "—".to_owned(), vi_duration)
}

fn percent(n: usize, of: usize) -> String {
    (100 * n + of / 2).checked_div(of).map_or_else(|| "—".to_owned(), |p| format!("{p}%"))
}

fn month_label(m: Month) -> String {
    format!("{:02}/{}", m.month, m.year)
}

// ---- the page ----

/// One measure of time.
pub(crate) struct DurationRow {
    label: &'static str,
    help: &'static str,
    median: String,
    p90: String,
    count: usize,
}

/// A deadline kind's compliance table: a row per priority, a column per month.
pub(crate) struct SlaTable {
    title: &'static str,
    rows: Vec<(&'static str, Vec<String>, String)>,
}

pub(crate) struct BacklogView {
    label: &'static str,
    count: usize,
    by_age: [usize; 4],
    overdue: usize,
    oldest: String,
}

pub(crate) struct DismissalView {
    rule_id: String,
    title: String,
    href: String,
    decided: usize,
    dismissed: usize,
    rate: String,
    reasons: String,
}

/// A piece of a bar.
pub(crate) struct Segment {
    x: String,
    w: String,
    class: &'static str,
    title: String,
}

/// One bar of a horizontal chart, with its label and the value written after it.
pub(crate) struct BarRow {
    y: String,
    h: String,
    text_y: String,
    label: String,
    segments: Vec<Segment>,
    value_x: String,
    value: String,
}

/// A horizontal bar chart, laid out.
pub(crate) struct BarChart {
    label: String,
    width: u32,
    height: u32,
    left: String,
    rows: Vec<BarRow>,
    legend: Vec<(&'static str, String)>,
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

const CHART_WIDTH: f64 = 760.0;
const LABEL_WIDTH: f64 = 250.0;
const BAR_SPACE: f64 = 420.0;
const ROW_HEIGHT: f64 = 24.0;

/// A part of a bar before layout: its share of the bar space, class and title.
type Part = (f64, &'static str, String);

/// Lays out bars: each row's label, parts and value.
fn bar_chart(
    label: &str,
    rows: Vec<(String, Vec<Part>, String)>,
    legend: Vec<(&'static str, String)>,
) -> Option<BarChart> {
    if rows.is_empty() {
        return None;
    }
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, parts, value))| {
            let top = 8.0 + ROW_HEIGHT * i as f64;
            let mut x = LABEL_WIDTH;
            let segments = parts
                .into_iter()
                .filter(|p| p.0 > 0.0)
                .map(|(share, class, title)| {
                    let w = BAR_SPACE * share.clamp(0.0, 1.0);
                    let s = Segment { x: px(x), w: px(w.max(0.5)), class, title };
                    x += w;
                    s
                })
                .collect();
            BarRow {
                y: px(top),
                h: px(ROW_HEIGHT - 8.0),
                text_y: px(top + ROW_HEIGHT / 2.0),
                label,
                segments,
                value_x: px(x + 6.0),
                value,
            }
        })
        .collect::<Vec<_>>();
    let height = 16.0 + ROW_HEIGHT * bars.len() as f64;
    Some(BarChart {
        label: label.to_owned(),
        width: CHART_WIDTH as u32,
        height: height as u32,
        left: px(LABEL_WIDTH - 8.0),
        rows: bars,
        legend,
    })
}

/// Cuts a label to fit the chart's margin.
fn short(text: &str, chars: usize) -> String {
    let mut out: String = text.chars().take(chars).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[derive(Template)]
#[template(path = "kpi.html")]
pub(crate) struct KpiPage {
    chrome: Chrome,
    error: Option<String>,
    period: &'static str,
    from: String,
    to: String,
    choices: Vec<(&'static str, &'static str)>,
    heading: String,
    at: String,
    counts: Vec<(&'static str, usize)>,
    medians: Vec<(&'static str, String)>,
    durations: Vec<DurationRow>,
    months: Vec<String>,
    sla: Vec<SlaTable>,
    sla_chart: Option<BarChart>,
    age_labels: [&'static str; 4],
    backlog: Vec<BacklogView>,
    backlog_total: Option<BacklogView>,
    backlog_chart: Option<BarChart>,
    dismissals: Vec<DismissalView>,
    dismissal_chart: Option<BarChart>,
}

const PRIORITIES: [Priority; 3] = [Priority::P1, Priority::P2, Priority::P3];

fn durations(k: &Figures) -> Vec<DurationRow> {
    let row = |label, help, s: &DurationStats| DurationRow {
        label,
        help,
        median: vi_optional(s.median),
        p90: vi_optional(s.p90),
        count: s.count,
    };
    vec![
        row(
            "Thời gian phát hiện",
            "Từ khi bài đầu tiên của câu chuyện được đăng đến khi cảnh báo được tạo.",
            &k.ttd,
        ),
        row("Thời gian tiếp nhận", "Từ khi cảnh báo được tạo đến lần tiếp nhận đầu tiên.", &k.tta),
        row(
            "Thời gian quyết định",
            "Từ lần tiếp nhận đầu tiên đến quyết định đầu tiên: theo dõi, phản hồi hoặc bỏ qua.",
            &k.ttdec,
        ),
        row(
            "Thời gian phản hồi",
            "Từ khi cảnh báo được tạo đến khi ghi nhận phản hồi chính thức đầu tiên.",
            &k.ttr,
        ),
        row(
            "Phản hồi tính từ bài gốc",
            "Từ khi bài đầu tiên của câu chuyện được đăng đến phản hồi chính thức đầu tiên.",
            &k.ttr_origin,
        ),
    ]
}

fn cell_text(c: &SlaCell) -> String {
    let n = c.met + c.missed;
    if n == 0 { "—".to_owned() } else { format!("{} ({}/{n})", percent(c.met, n), c.met) }
}

fn backlog_view(label: &'static str, r: &BacklogRow) -> BacklogView {
    BacklogView {
        label,
        count: r.count,
        by_age: r.by_age,
        overdue: r.overdue,
        oldest: vi_optional(r.oldest),
    }
}

fn reasons_text(d: &alerts::kpi::RuleDismissals) -> String {
    d.reasons.iter().map(|(r, n)| format!("{}: {n}", r.label())).collect::<Vec<_>>().join("; ")
}

fn rule_href(rule_id: &str) -> String {
    params::link("/queue", &[("state", "all"), ("q", rule_id)])
}

fn fill(page: &mut KpiPage, k: &Figures) {
    let c = k.counts;
    page.counts = vec![
        ("Cảnh báo mới", c.opened),
        ("Đã tiếp nhận", c.acknowledged),
        ("Đã quyết định", c.decided),
        ("Đã bỏ qua", c.dismissed),
        ("Đã phản hồi", c.responded),
        ("Đã đóng", c.closed),
    ];
    page.medians = vec![
        ("Thời gian phát hiện (trung vị)", vi_optional(k.ttd.median)),
        ("Thời gian tiếp nhận (trung vị)", vi_optional(k.tta.median)),
        ("Thời gian quyết định (trung vị)", vi_optional(k.ttdec.median)),
        ("Thời gian phản hồi (trung vị)", vi_optional(k.ttr.median)),
    ];
    page.durations = durations(k);
    let months = k.months();
    page.months = months.iter().copied().map(month_label).collect();
    page.sla = DeadlineKind::ALL
        .iter()
        .map(|&kind| SlaTable {
            title: kind.label(),
            rows: PRIORITIES
                .iter()
                .map(|&p| {
                    let cells = months
                        .iter()
                        .map(|m| {
                            k.sla
                                .iter()
                                .find(|c| c.priority == p && c.kind == kind && c.month == *m)
                                .map_or_else(|| "—".to_owned(), cell_text)
                        })
                        .collect();
                    (p.label(), cells, cell_text(&k.sla_total(p, kind)))
                })
                .collect(),
        })
        .collect();
    let sla_rows = PRIORITIES
        .iter()
        .flat_map(|&p| DeadlineKind::ALL.iter().map(move |&kind| (p, kind)))
        .filter_map(|(p, kind)| {
            let c = k.sla_total(p, kind);
            let n = c.met + c.missed;
            (n > 0).then(|| {
                let label = format!("{} · {}", p.as_str().to_uppercase(), kind.label());
                let parts = vec![
                    (c.met as f64 / n as f64, "met", format!("{label}: {} đúng hạn", c.met)),
                    (
                        c.missed as f64 / n as f64,
                        "missed",
                        format!("{label}: {} trễ hạn", c.missed),
                    ),
                ];
                (label, parts, cell_text(&c))
            })
        })
        .collect();
    page.sla_chart = bar_chart(
        "Tỷ lệ đúng hạn theo mức ưu tiên và thời hạn",
        sla_rows,
        vec![("met", "Đúng hạn".to_owned()), ("missed", "Trễ hạn".to_owned())],
    );
    page.backlog = k.backlog.rows.iter().map(|r| backlog_view(r.state.label(), r)).collect();
    let total = k.backlog.total();
    page.backlog_total = Some(backlog_view("Tổng", &total));
    let max = k.backlog.rows.iter().map(|r| r.count).max().unwrap_or(0).max(1);
    let classes = ["age0", "age1", "age2", "age3"];
    let backlog_rows = k
        .backlog
        .rows
        .iter()
        .filter(|r| r.count > 0)
        .map(|r| {
            let parts = (0..4)
                .map(|i| {
                    (
                        r.by_age[i] as f64 / max as f64,
                        classes[i],
                        format!("{}: {} cảnh báo {}", r.state.label(), r.by_age[i], AGE_BUCKETS[i]),
                    )
                })
                .collect();
            let value = if r.overdue > 0 {
                format!("{} ({} quá hạn)", r.count, r.overdue)
            } else {
                r.count.to_string()
            };
            (r.state.label().to_owned(), parts, value)
        })
        .collect();
    page.backlog_chart = bar_chart(
        "Cảnh báo đang mở theo trạng thái và thời gian chờ",
        backlog_rows,
        classes.iter().zip(AGE_BUCKETS).map(|(c, l)| (*c, l.to_owned())).collect(),
    );
    page.dismissals = k
        .dismissals
        .iter()
        .map(|d| DismissalView {
            rule_id: d.rule_id.clone(),
            title: d.rule_title.clone(),
            href: rule_href(&d.rule_id),
            decided: d.decided,
            dismissed: d.dismissed,
            rate: percent(d.dismissed, d.decided),
            reasons: reasons_text(d),
        })
        .collect();
    let dismissal_rows = k
        .dismissals
        .iter()
        .take(CHART_RULES)
        .map(|d| {
            let share = if d.decided == 0 { 0.0 } else { d.dismissed as f64 / d.decided as f64 };
            (
                short(&d.rule_title, 34),
                vec![(share, "dismissed", format!("{}: {}", d.rule_title, reasons_text(d)))],
                format!("{} ({}/{})", percent(d.dismissed, d.decided), d.dismissed, d.decided),
            )
        })
        .collect();
    page.dismissal_chart = bar_chart(
        "Tỷ lệ bỏ qua theo quy tắc",
        dismissal_rows,
        vec![("dismissed", "Bị bỏ qua trên số đã quyết định".to_owned())],
    );
}

pub(crate) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<KpiParams>,
) -> Result<Response, AppError> {
    let mut page = KpiPage {
        chrome: chrome(&user),
        error: None,
        period: Choice::Last30.as_str(),
        from: params::present(&p.from).unwrap_or("").chars().take(10).collect(),
        to: params::present(&p.to).unwrap_or("").chars().take(10).collect(),
        choices: Choice::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
        heading: String::new(),
        at: String::new(),
        counts: Vec::new(),
        medians: Vec::new(),
        durations: Vec::new(),
        months: Vec::new(),
        sla: Vec::new(),
        sla_chart: None,
        age_labels: AGE_BUCKETS,
        backlog: Vec::new(),
        backlog_total: None,
        backlog_chart: None,
        dismissals: Vec::new(),
        dismissal_chart: None,
    };
    let chosen = match choose(&p, vn_today()) {
        Ok(c) => c,
        Err(message) => {
            page.error = Some(format!("Giai đoạn không hợp lệ: {message}."));
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
    };
    let k = state.store.handling_figures(chosen.period(), Utc::now()).await?;
    page.period = chosen.choice.as_str();
    page.from = chosen.first.to_string();
    page.to = chosen.last.to_string();
    page.heading = format!(
        "{} – {} ({})",
        chosen.first.format("%d/%m/%Y"),
        chosen.last.format("%d/%m/%Y"),
        chosen.choice.label().to_lowercase()
    );
    page.at = vn_time(k.at);
    fill(&mut page, &k);
    Ok(Html(page.render()?).into_response())
}

// ---- the API ----

fn seconds(d: Option<Duration>) -> Value {
    d.map_or(Value::Null, |d| json!(d.num_milliseconds() as f64 / 1000.0))
}

fn stats(s: &DurationStats) -> Value {
    json!({
        "count": s.count,
        "median_seconds": seconds(s.median),
        "p90_seconds": seconds(s.p90),
        "median_text": s.median.map(vi_duration),
    })
}

fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn backlog_json(r: &BacklogRow) -> Value {
    json!({
        "count": r.count,
        "by_age": {
            "under_1_day": r.by_age[0],
            "1_to_3_days": r.by_age[1],
            "3_to_7_days": r.by_age[2],
            "over_7_days": r.by_age[3],
        },
        "overdue": r.overdue,
        "oldest_seconds": seconds(r.oldest),
    })
}

/// The figures as JSON: durations in seconds, months as `YYYY-MM`, times in UTC.
pub(crate) fn figures_json(chosen_first: NaiveDate, chosen_last: NaiveDate, k: &Figures) -> Value {
    let c = k.counts;
    json!({
        "period": {
            "first_day": chosen_first.to_string(),
            "last_day": chosen_last.to_string(),
            "from": rfc3339(k.period.from),
            "to": rfc3339(k.period.to),
            "at": rfc3339(k.at),
        },
        "counts": {
            "opened": c.opened,
            "acknowledged": c.acknowledged,
            "decided": c.decided,
            "dismissed": c.dismissed,
            "responded": c.responded,
            "closed": c.closed,
        },
        "durations": {
            "time_to_detect": stats(&k.ttd),
            "time_to_acknowledge": stats(&k.tta),
            "time_to_decide": stats(&k.ttdec),
            "time_to_respond": stats(&k.ttr),
            "time_to_respond_from_origin": stats(&k.ttr_origin),
        },
        "sla": k.sla.iter().map(|c| json!({
            "priority": c.priority.as_str(),
            "deadline": c.kind.as_str(),
            "month": format!("{}-{:02}", c.month.year, c.month.month),
            "met": c.met,
            "missed": c.missed,
            "percent": c.percent(),
        })).collect::<Vec<_>>(),
        "backlog": {
            "at": rfc3339(k.backlog.at),
            "states": k.backlog.rows.iter().map(|r| {
                let mut v = backlog_json(r);
                v["state"] = json!(r.state.as_str());
                v
            }).collect::<Vec<_>>(),
            "total": backlog_json(&k.backlog.total()),
        },
        "dismissals": k.dismissals.iter().map(|d| json!({
            "rule_id": d.rule_id,
            "rule_title": d.rule_title,
            "decided": d.decided,
            "dismissed": d.dismissed,
            "percent": d.percent(),
            "reasons": d.reasons.iter().map(|(r, n)| json!({"reason": r.as_str(), "count": n})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

pub(crate) async fn api(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(p): Query<KpiParams>,
) -> Result<Json<Value>, AppError> {
    let chosen = choose(&p, vn_today()).map_err(AppError::BadRequest)?;
    let k = state.store.handling_figures(chosen.period(), Utc::now()).await?;
    Ok(Json(figures_json(chosen.first, chosen.last, &k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(vi_duration(Duration::minutes(80)), "1 giờ 20 phút");
        assert_eq!(vi_duration(Duration::minutes(45)), "45 phút");
        assert_eq!(vi_duration(Duration::hours(2)), "2 giờ");
        assert_eq!(vi_duration(Duration::hours(76) + Duration::minutes(10)), "3 ngày 4 giờ");
        assert_eq!(vi_duration(Duration::days(2)), "2 ngày");
        assert_eq!(vi_duration(Duration::seconds(20)), "dưới 1 phút");
        assert_eq!(vi_duration(Duration::seconds(90)), "2 phút");
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn params(period: Option<&str>, from: Option<&str>, to: Option<&str>) -> KpiParams {
        KpiParams {
            period: period.map(str::to_owned),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        }
    }

    #[test]
    fn periods_are_chosen_or_given() {
        let today = day("2026-12-07");
        let got = |p| choose(&p, today).map(|c| (c.choice, c.first, c.last));
        assert_eq!(got(params(None, None, None)), Ok((Choice::Last30, day("2026-11-08"), today)));
        assert_eq!(
            got(params(Some("90d"), None, None)),
            Ok((Choice::Last90, day("2026-09-09"), today))
        );
        assert_eq!(
            got(params(Some("half"), None, None)),
            Ok((Choice::HalfYear, day("2026-07-01"), today))
        );
        assert_eq!(
            got(params(None, Some("2026-10-01"), Some("2026-10-31"))),
            Ok((Choice::Custom, day("2026-10-01"), day("2026-10-31")))
        );
        for bad in [
            params(Some("year"), None, None),
            params(Some("custom"), Some("2026-10-01"), None),
            params(None, Some("2026-10-31"), Some("2026-10-01")),
            params(None, Some("01/10/2026"), Some("2026-10-31")),
            params(None, Some("2020-01-01"), Some("2026-10-31")),
        ] {
            assert!(choose(&bad, today).is_err());
        }
        let p = choose(&params(None, Some("2026-12-07"), Some("2026-12-07")), today)
            .unwrap_or(Chosen { choice: Choice::Last30, first: today, last: today });
        assert_eq!(p.period().to - p.period().from, Duration::days(1));
    }
}
