//! What each reader's digest says, part by part, in the 3C order: grasp (new alerts by
//! priority, spikes with their charts, the stories carried most widely), handle (the queue,
//! the backlog at each day's end, what was handled and how fast), provide (responses,
//! correction coverage, the health days ahead with their coverage so far).
//!
//! Lists are deduplicated here, whatever the caller passed: an alert, a story, a response
//! or a health day (by title and start) appears once.

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use model::{AlertAction, Priority, Timestamp};

use crate::doc::{ACCENT, Doc, FG, GREEN, GREY, Image, Item, ORANGE, RED, Tile};
use crate::{
    Audience, Composed, DigestInput, Handled, HealthDayItem, NewAlert, QueueItem, QueuePart, Spike,
};

/// Related rules named under a health day.
const RELATED: usize = 5;

/// How many of each list each reader sees.
struct Limits {
    /// New alerts listed (leadership and spokesperson see P1 and P2 only).
    alerts: usize,
    all_priorities: bool,
    stories: usize,
    /// Spikes drawn as charts (the others are listed).
    charts: usize,
    handled: usize,
    queue: usize,
    responses: usize,
    /// Response texts quoted.
    quotes: bool,
    corrections: usize,
    /// The outlets yet to correct, named.
    outstanding: bool,
    /// The seven-day backlog table.
    backlog_table: bool,
    planned: bool,
}

fn limits(a: Audience) -> Limits {
    match a {
        Audience::Leadership => Limits {
            alerts: 5,
            all_priorities: false,
            stories: 5,
            charts: 3,
            handled: 5,
            queue: 0,
            responses: 5,
            quotes: false,
            corrections: 5,
            outstanding: false,
            backlog_table: true,
            planned: true,
        },
        Audience::Officer => Limits {
            alerts: 15,
            all_priorities: true,
            stories: 5,
            charts: 3,
            handled: 10,
            queue: 8,
            responses: 5,
            quotes: false,
            corrections: 5,
            outstanding: true,
            backlog_table: true,
            planned: false,
        },
        Audience::Spokesperson => Limits {
            alerts: 5,
            all_priorities: false,
            stories: 10,
            charts: 3,
            handled: 0,
            queue: 0,
            responses: 10,
            quotes: true,
            corrections: 10,
            outstanding: true,
            backlog_table: false,
            planned: true,
        },
    }
}

fn priority_colour(p: Priority) -> &'static str {
    match p {
        Priority::P1 => RED,
        Priority::P2 => ORANGE,
        Priority::P3 => GREY,
    }
}

fn priority_short(p: Priority) -> String {
    p.as_str().to_uppercase()
}

fn weekday(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "Thứ Hai",
        Weekday::Tue => "Thứ Ba",
        Weekday::Wed => "Thứ Tư",
        Weekday::Thu => "Thứ Năm",
        Weekday::Fri => "Thứ Sáu",
        Weekday::Sat => "Thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}

fn hm(t: Timestamp) -> String {
    model::to_vn_time(t).format("%H:%M %d/%m").to_string()
}

/// A duration as a person says it: "45 phút", "1 giờ 20 phút", "3 ngày 4 giờ".
pub(crate) fn duration_vi(d: Duration) -> String {
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

fn percent(n: usize, of: usize) -> String {
    (100 * n + of / 2).checked_div(of).map_or_else(|| "—".to_owned(), |p| format!("{p}%"))
}

/// Keeps the first of each key.
fn dedup_by<T, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut seen = HashSet::new();
    items.iter().filter(|i| seen.insert(key(i))).collect()
}

/// Composes the digest of `input` for its audience.
pub fn compose(input: &DigestInput) -> Composed {
    let lim = limits(input.audience);
    let day = input.date.format("%d/%m/%Y").to_string();
    let new_alerts = {
        let mut v = dedup_by(&input.new_alerts, |a| a.id);
        v.sort_by(|a, b| a.priority.cmp(&b.priority).then(b.opened_at.cmp(&a.opened_at)));
        v
    };
    let stories = {
        let mut v = dedup_by(&input.stories, |s| s.id);
        v.sort_by(|a, b| b.outlets.cmp(&a.outlets).then(b.documents.cmp(&a.documents)));
        v
    };
    let spikes = dedup_by(&input.spikes, |s| s.alert_id);
    let handled = dedup_by(&input.handled, |h| h.id);
    let responses =
        dedup_by(&input.responses, |r| (r.alert_id, r.channel, r.published_at, r.text.clone()));
    let corrections = dedup_by(&input.corrections, |c| c.alert_id);
    let health_days = merge_days(&input.health_days);
    let today = input.backlog.iter().find(|b| b.date == input.date).copied();

    let counts = Counts {
        new_alerts: new_alerts.len(),
        overdue: today.map(|b| b.overdue),
        stories: stories.len(),
        responses: responses.len(),
    };
    let subject = subject(input, &day, &counts);
    let web =
        format!("/digest?date={}&role={}", input.date.format("%Y-%m-%d"), input.audience.as_str());
    let mut doc = Doc::new(&input.public_url);
    let audience = match (&input.recipient, input.audience) {
        (Some(name), Audience::Officer) => format!("Dành cho cán bộ xử lý {name}"),
        (_, a) => format!("Dành cho {}", a.label().to_lowercase()),
    };
    doc.masthead(
        &format!("Bản tin ngày {day}"),
        &audience,
        &format!("{}, {day} · số liệu đến {}", weekday(input.date), hm(input.as_of)),
        &web,
    );
    doc.tiles(&[
        Tile { label: "Cảnh báo mới", value: new_alerts.len().to_string(), colour: FG },
        Tile {
            label: "Đang mở cuối ngày",
            value: today.map_or_else(|| "—".to_owned(), |b| b.open.to_string()),
            colour: FG,
        },
        Tile {
            label: "Quá hạn",
            value: today.map_or_else(|| "—".to_owned(), |b| b.overdue.to_string()),
            colour: if today.is_some_and(|b| b.overdue > 0) { RED } else { FG },
        },
        Tile {
            label: "Phản hồi đã đưa ra", value: responses.len().to_string(), colour: GREEN
        },
    ]);

    // ---- 1. Nắm bắt ----
    doc.section(
        1,
        "Nắm bắt",
        "Chủ động nắm bắt thông tin",
        "Cảnh báo mới, chủ đề tăng đột biến và các câu chuyện được nhiều nơi đưa tin.",
    );
    grasp_alerts(&mut doc, &new_alerts, &lim);
    grasp_spikes(&mut doc, &spikes, &lim);
    doc.heading(&format!("Câu chuyện nổi bật ({})", stories.len()));
    if stories.is_empty() {
        doc.note("Không có câu chuyện nào về chủ đề y tế trong ngày.");
    }
    for s in stories.iter().take(lim.stories) {
        let mut lines = vec![format!(
            "{} nơi đưa tin · {} bài · nguồn đầu tiên: {}",
            s.outlets,
            s.documents,
            if s.origin.is_empty() { "chưa rõ" } else { &s.origin }
        )];
        if !s.topics.is_empty() {
            lines.push(format!("Chủ đề: {}", s.topics.join("; ")));
        }
        doc.item(&Item {
            accent: ACCENT,
            title: s.title.clone(),
            path: Some(format!("/stories/{}", s.id)),
            lines,
            ..Item::default()
        });
    }

    // ---- 2. Xử lý ----
    doc.section(
        2,
        "Xử lý",
        "Chủ động xử lý thông tin",
        "Việc đang chờ, tồn đọng cuối mỗi ngày và những gì đã được xử lý, tính từ nhật ký xử lý.",
    );
    if let Some(q) = input.queue.as_ref().filter(|_| lim.queue > 0) {
        doc.heading("Việc của bạn");
        queue_part(&mut doc, "Được giao cho bạn", &q.mine, lim.queue, input.as_of);
        queue_part(&mut doc, "Chưa ai nhận", &q.unassigned, lim.queue, input.as_of);
        queue_part(&mut doc, "Quá hạn", &q.overdue, lim.queue, input.as_of);
        doc.link_line("Mở hàng việc", "/queue");
    }
    doc.heading("Tồn đọng");
    match today {
        Some(b) => doc.para(&format!(
            "Cuối ngày {day}: {} cảnh báo đang mở, {} quá hạn, {} chưa được tiếp nhận.",
            b.open, b.overdue, b.waiting
        )),
        None => doc.note("Chưa có số liệu xử lý của ngày này."),
    }
    if lim.backlog_table && !input.backlog.is_empty() {
        let rows: Vec<Vec<String>> = input
            .backlog
            .iter()
            .map(|b| {
                vec![
                    b.date.format("%d/%m").to_string(),
                    b.open.to_string(),
                    b.overdue.to_string(),
                    b.waiting.to_string(),
                ]
            })
            .collect();
        doc.table(&["Ngày", "Đang mở", "Quá hạn", "Chưa tiếp nhận"], &rows);
    }
    handled_part(&mut doc, &handled, input, &lim);

    // ---- 3. Cung cấp ----
    doc.section(
        3,
        "Cung cấp",
        "Chủ động cung cấp thông tin",
        "Phản hồi chính thức, độ phủ cải chính và các ngày sức khỏe cần chuẩn bị truyền thông.",
    );
    doc.heading(&format!("Phản hồi chính thức trong ngày ({})", responses.len()));
    if responses.is_empty() {
        doc.note("Không có phản hồi chính thức nào được đăng trong ngày.");
    }
    for r in responses.iter().take(lim.responses) {
        let mut lines = vec![format!("Cảnh báo #{} · đăng lúc {}", r.alert_id, hm(r.published_at))];
        if let Some(url) = r.url.as_deref().filter(|_| lim.quotes) {
            lines.push(format!("Địa chỉ: {url}"));
        }
        let quote = lim.quotes.then(|| clip(&r.text, 280));
        doc.item(&Item {
            accent: GREEN,
            badge: Some((r.channel.label().to_owned(), GREEN)),
            title: r.rule_title.clone(),
            path: Some(format!("/alerts/{}", r.alert_id)),
            lines,
            quote,
        });
    }
    doc.heading(&format!("Độ phủ cải chính ({})", corrections.len()));
    if corrections.is_empty() {
        doc.note("Không có phản hồi nào đang được theo dõi cải chính.");
    }
    for c in corrections.iter().take(lim.corrections) {
        let mut lines = vec![if c.outlets == 0 {
            "Chưa ghi nhận nơi nào đưa tin cần cải chính.".to_owned()
        } else {
            format!(
                "{}/{} nơi đã đính chính hoặc đăng lại phản hồi ({}); {}/{} đã khắc phục, kể cả gỡ hoặc sửa bài",
                c.corrected,
                c.outlets,
                percent(c.corrected, c.outlets),
                c.remedied,
                c.outlets
            )
        }];
        if lim.outstanding && !c.outstanding.is_empty() {
            lines.push(format!("Chưa khắc phục: {}", c.outstanding.join(", ")));
        }
        lines.push(if c.finished {
            "Đã kết thúc 14 ngày theo dõi.".to_owned()
        } else {
            "Đang theo dõi.".to_owned()
        });
        doc.item(&Item {
            accent: if c.remedied == c.outlets { GREEN } else { ORANGE },
            title: c.rule_title.clone(),
            path: Some(format!("/alerts/{}", c.alert_id)),
            lines,
            ..Item::default()
        });
    }
    doc.heading(&format!("Ngày sức khỏe sắp tới ({})", health_days.len()));
    if health_days.is_empty() {
        doc.note("Không có ngày sức khỏe nào đang diễn ra hoặc cần chuẩn bị.");
    }
    for d in &health_days {
        let mut lines = vec![health_day_when(d)];
        if let Some(c) = d.coverage {
            lines.push(format!(
                "Đã có {} bài, {} câu chuyện, {} nơi đưa tin từ {}",
                c.documents,
                c.stories,
                c.outlets,
                c.since.format("%d/%m")
            ));
        }
        if !d.related.is_empty() {
            // A day related by a tag can have dozens of rules: the calendar lists them all.
            let mut shown = d.related.iter().take(RELATED).cloned().collect::<Vec<_>>().join("; ");
            if d.related.len() > RELATED {
                shown.push_str(&format!(" và {} chủ đề khác", d.related.len() - RELATED));
            }
            lines.push(format!("Theo dõi: {shown}"));
        }
        let quote = d
            .planned
            .as_ref()
            .filter(|_| lim.planned)
            .map(|p| format!("Thông điệp dự kiến: {}", clip(p, 280)));
        doc.item(&Item {
            accent: if d.days_until == 0 { GREEN } else { ACCENT },
            title: d.title.clone(),
            lines,
            quote,
            ..Item::default()
        });
    }
    doc.link_line("Lịch ngày sức khỏe và thông điệp dự kiến", "/calendar");

    doc.footer(&[
        "Lắng Nghe · Chủ động nắm bắt · Chủ động xử lý · Chủ động cung cấp thông tin".to_owned(),
        format!(
            "Bản tin tự động gửi {}. Mọi số liệu theo giờ Việt Nam.",
            input.audience.label().to_lowercase()
        ),
    ]);
    let html = doc.document(&subject);
    Composed { subject, text: doc.text, html, body: doc.body, images: doc.images }
}

/// What the subject line counts.
struct Counts {
    new_alerts: usize,
    overdue: Option<usize>,
    stories: usize,
    responses: usize,
}

fn subject(input: &DigestInput, day: &str, c: &Counts) -> String {
    let Counts { new_alerts, stories, responses, .. } = *c;
    let overdue = c.overdue.map_or_else(String::new, |n| format!(", {n} quá hạn"));
    match input.audience {
        Audience::Leadership => {
            format!("Lắng Nghe – Bản tin lãnh đạo ngày {day}: {new_alerts} cảnh báo mới{overdue}")
        }
        Audience::Officer => {
            let mine = input.queue.as_ref().map_or(0, |q| q.mine.total);
            let whose = input.recipient.as_deref().map(|n| format!(" của {n}")).unwrap_or_default();
            format!(
                "Lắng Nghe – Việc xử lý{whose} ngày {day}: {mine} việc được giao, {new_alerts} cảnh báo mới{overdue}"
            )
        }
        Audience::Spokesperson => format!(
            "Lắng Nghe – Bản tin truyền thông ngày {day}: {stories} câu chuyện nổi bật, {responses} phản hồi"
        ),
    }
}

fn alert_item(a: &NewAlert) -> Item {
    Item {
        accent: priority_colour(a.priority),
        badge: Some((priority_short(a.priority), priority_colour(a.priority))),
        title: format!("{}: {}", a.rule_title, a.title),
        path: Some(format!("/alerts/{}", a.id)),
        lines: vec![format!(
            "{} · {} · {} bài · {}",
            a.source,
            hm(a.opened_at),
            a.documents,
            a.state.label()
        )],
        ..Item::default()
    }
}

fn grasp_alerts(doc: &mut Doc, alerts: &[&NewAlert], lim: &Limits) {
    doc.heading(&format!("Cảnh báo mới ({})", alerts.len()));
    if alerts.is_empty() {
        doc.note("Không có cảnh báo mới.");
        return;
    }
    let count = |p: Priority| alerts.iter().filter(|a| a.priority == p).count();
    doc.para(&format!(
        "P1 – Khẩn cấp: {} · P2 – Cao: {} · P3 – Bình thường: {}",
        count(Priority::P1),
        count(Priority::P2),
        count(Priority::P3)
    ));
    let shown: Vec<&&NewAlert> = alerts
        .iter()
        .filter(|a| lim.all_priorities || a.priority != Priority::P3)
        .take(lim.alerts)
        .collect();
    for a in &shown {
        doc.item(&alert_item(a));
    }
    let rest = alerts.len() - shown.len();
    if rest > 0 {
        doc.note(&format!("… và {rest} cảnh báo khác trên bảng cảnh báo."));
        doc.link_line("Mở bảng cảnh báo", "/");
    }
}

fn grasp_spikes(doc: &mut Doc, spikes: &[&Spike], lim: &Limits) {
    doc.heading(&format!("Tăng đột biến ({})", spikes.len()));
    if spikes.is_empty() {
        doc.note("Không có chủ đề nào tăng đột biến.");
        return;
    }
    for (i, s) in spikes.iter().enumerate() {
        let last = s.series.last().map_or(0, |p| p.1);
        let before: Vec<i64> = s.series.iter().rev().skip(1).map(|p| p.1).collect();
        let mean = if before.is_empty() {
            0.0
        } else {
            before.iter().sum::<i64>() as f64 / before.len() as f64
        };
        // Vietnamese writes a decimal comma.
        let mean = format!("{mean:.1}").replace('.', ",");
        doc.item(&Item {
            accent: ORANGE,
            badge: Some(("Đột biến".to_owned(), ORANGE)),
            title: format!("{} – {}", s.topic, s.area),
            path: Some(format!("/alerts/{}", s.alert_id)),
            lines: vec![format!(
                "{last} câu chuyện trong ngày; trung bình {} ngày trước đó: {mean}",
                before.len(),
            )],
            ..Item::default()
        });
        if i < lim.charts && !s.series.is_empty() {
            let values: Vec<i64> = s.series.iter().map(|p| p.1).collect();
            let (first, end) = (s.series[0].0, s.series[s.series.len() - 1].0);
            let caption = format!(
                "Số câu chuyện mỗi ngày từ {} đến {}: {}",
                first.format("%d/%m"),
                end.format("%d/%m"),
                values.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            );
            doc.image(
                Image {
                    cid: format!("spike-{}@langnghe", s.alert_id),
                    png: crate::chart::bar_chart(&values),
                    alt: format!("Biểu đồ số câu chuyện mỗi ngày về {} – {}", s.topic, s.area),
                },
                &caption,
            );
        }
    }
}

fn queue_item(q: &QueueItem, now: Timestamp) -> Item {
    let due = match (q.due, q.overdue) {
        (Some(d), true) => format!("quá hạn từ {} ({} trước)", hm(d), duration_vi(now - d)),
        (Some(d), false) => format!("hạn {}", hm(d)),
        (None, _) => "không có thời hạn".to_owned(),
    };
    let who = q.assignee.as_deref().map(|a| format!(" · {a}")).unwrap_or_default();
    Item {
        accent: if q.overdue { RED } else { priority_colour(q.priority) },
        badge: Some((priority_short(q.priority), priority_colour(q.priority))),
        title: format!("{}: {}", q.rule_title, q.title),
        path: Some(format!("/alerts/{}", q.id)),
        lines: vec![format!("{} · {due}{who}", q.state.label())],
        ..Item::default()
    }
}

fn queue_part(doc: &mut Doc, title: &str, part: &QueuePart, limit: usize, now: Timestamp) {
    doc.para(&format!("{title}: {}", part.total));
    let items = dedup_by(&part.items, |q| q.id);
    for q in items.iter().take(limit) {
        doc.item(&queue_item(q, now));
    }
    let shown = items.len().min(limit) as i64;
    if part.total > shown {
        doc.note(&format!("… và {} việc khác trong hàng việc.", part.total - shown));
    }
}

fn action_label(a: AlertAction) -> &'static str {
    match a {
        AlertAction::Monitor => "Theo dõi",
        AlertAction::RequireResponse => "Cần phản hồi",
        AlertAction::Dismiss => "Bỏ qua",
        AlertAction::Respond => "Đã phản hồi",
        AlertAction::Close => "Đóng",
        AlertAction::Acknowledge => "Tiếp nhận",
        other => other.label(),
    }
}

fn handled_part(doc: &mut Doc, handled: &[&Handled], input: &DigestInput, lim: &Limits) {
    doc.heading(&format!("Đã xử lý trong ngày ({})", handled.len()));
    let m = input.medians;
    let med = |d: Option<Duration>| d.map_or_else(|| "—".to_owned(), duration_vi);
    doc.para(&format!(
        "Thời gian trung vị: tiếp nhận {} · ra quyết định {} · phản hồi {}",
        med(m.acknowledge),
        med(m.decide),
        med(m.respond)
    ));
    if handled.is_empty() {
        doc.note("Không có cảnh báo nào được xử lý trong ngày.");
        return;
    }
    for h in handled.iter().take(lim.handled) {
        let mut times = Vec::new();
        if let Some(d) = h.to_acknowledge {
            times.push(format!("tiếp nhận sau {}", duration_vi(d)));
        }
        if let Some(d) = h.to_decide {
            times.push(format!("quyết định sau {}", duration_vi(d)));
        }
        if let Some(d) = h.to_respond {
            times.push(format!("phản hồi sau {}", duration_vi(d)));
        }
        let mut lines = vec![format!("{} lúc {}", action_label(h.action), hm(h.at))];
        if !times.is_empty() {
            lines.push(times.join(", "));
        }
        doc.item(&Item {
            accent: GREEN,
            badge: Some((priority_short(h.priority), priority_colour(h.priority))),
            title: h.rule_title.clone(),
            path: Some(format!("/alerts/{}", h.id)),
            lines,
            ..Item::default()
        });
    }
    if handled.len() > lim.handled && lim.handled > 0 {
        doc.note(&format!("… và {} cảnh báo khác.", handled.len() - lim.handled));
    }
}

/// One entry per health day: occurrences with the same title and start are one (a day
/// that is also the first of its month-long campaign), the longest kept, the rules of both
/// listed; soonest first.
pub(crate) fn merge_days(days: &[HealthDayItem]) -> Vec<HealthDayItem> {
    let mut out: Vec<HealthDayItem> = Vec::new();
    for d in days {
        let key = |x: &HealthDayItem| (x.title.trim().to_lowercase(), x.start);
        match out.iter_mut().find(|o| key(o) == key(d)) {
            Some(o) => {
                o.end = o.end.max(d.end);
                for r in &d.related {
                    if !o.related.contains(r) {
                        o.related.push(r.clone());
                    }
                }
                o.coverage = o.coverage.or(d.coverage);
                o.planned = o.planned.take().or_else(|| d.planned.clone());
            }
            None => out.push(d.clone()),
        }
    }
    out.sort_by(|a, b| (a.start, &a.title).cmp(&(b.start, &b.title)));
    out
}

fn health_day_when(d: &HealthDayItem) -> String {
    let dates = if d.start == d.end {
        d.start.format("%d/%m").to_string()
    } else {
        format!("{} – {}", d.start.format("%d/%m"), d.end.format("%d/%m"))
    };
    match d.days_until {
        0 => format!("{dates}, đang diễn ra"),
        1 => format!("{dates}, ngày mai"),
        n => format!("{dates}, còn {n} ngày"),
    }
}

/// At most `chars` characters, cut at a word, with an ellipsis when cut.
fn clip(text: &str, chars: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= chars {
        return text;
    }
    let cut: String = text.chars().take(chars).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a).to_owned();
    format!("{cut}…")
}
