//! Gathering a digest from the store: one Vietnam day of the office's work, for one reader
//! ([`Audience`]), composed by the `digest` crate. The scheduler, `langnghe digest` and the
//! dashboard's web view all call [`compose_digest`], so the three show the same digest.
//!
//! Counts of open, overdue and unacknowledged alerts are rebuilt from the alerts' events
//! for every day of the series, not read from their states of today, so a digest of a past
//! day counts that day. Handling times come from the same replay (`alerts::kpi`). An
//! officer's queue is read as it stands at `now`. The health days are the packs' `[[days]]`
//! under way or within their preparation lead, one entry per day ([`upcoming_days`]), with
//! the coverage of their related rules since the lead began and the plan last noted on the
//! calendar.

use std::collections::{BTreeSet, HashMap};

use alerts::kpi::{self, Period};
use chrono::{Duration, NaiveDate};
use digest::{
    Audience, Composed, Correction, Coverage, DigestInput, Handled, HealthDayItem, IssuedResponse,
    Medians, NewAlert, OpenOnDay, Queue, QueueItem, QueuePart, Spike, TopStory,
};
use model::{AlertAction, AlertState, Role, RuleKind, Timestamp, User};
use rules::RuleSet;
use store::{AlertFilter, AssigneeFilter, QueueEntry, Store, TrendQuery};

use crate::Result;

/// Days of the backlog series, the digest's own day included.
pub const SERIES_DAYS: i64 = 7;
/// Days a spike's chart covers, its own day included.
pub const CHART_DAYS: i64 = 14;
/// How far ahead the health-day calendar looks, in days.
pub const CALENDAR_DAYS: u32 = 90;
/// New alerts whose document is read for the list (the others are counted).
const DETAILED_ALERTS: usize = 30;
/// Stories, responses, corrections and queue items read at most.
const STORIES: i64 = 10;
const RESPONSES: i64 = 50;
const CORRECTIONS: i64 = 20;
const QUEUE_ITEMS: i64 = 8;

/// The digest of Vietnam day `date` for `role`, as of `now`, with links from `public_url`.
/// `recipient` is the reader: an officer's digest shows their queue (without one, only the
/// unassigned and overdue alerts).
pub async fn compose_digest(
    store: &Store,
    rules: &RuleSet,
    role: Audience,
    date: NaiveDate,
    now: Timestamp,
    public_url: &str,
    recipient: Option<&User>,
) -> Result<Composed> {
    let input = gather(store, rules, role, date, now, public_url, recipient).await?;
    Ok(digest::compose(&input))
}

/// The digest as an RFC 5322 message from `from` to `to`, dated `now`, with a Message-ID
/// that is the same for one day, role and reader ([`message_id`]).
pub fn to_message(
    composed: &Composed,
    from: &str,
    to: &[String],
    now: Timestamp,
    message_id: &str,
) -> std::result::Result<Vec<u8>, digest::Error> {
    digest::to_message(composed, &digest::Headers { from, to, date: now, message_id })
}

/// Who reads the digest a user of `role` subscribes to: officers their queue, viewers the
/// spokesperson's coverage, admins and the configured addresses (`None`) the leadership's
/// summary.
pub fn audience_for(role: Option<Role>) -> Audience {
    match role {
        Some(Role::Officer) => Audience::Officer,
        Some(Role::Viewer) => Audience::Spokesperson,
        Some(Role::Admin) | None => Audience::Leadership,
    }
}

/// A stable Message-ID for the digest of `date` for `role` and `recipient` (a login name
/// or an address), at `domain`: `digest.2026-11-20.officer.lan@domain`.
pub fn message_id(date: NaiveDate, role: Audience, recipient: &str, domain: &str) -> String {
    let who: String = recipient
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .collect();
    format!("digest.{}.{}.{who}@{domain}", date.format("%Y-%m-%d"), role.as_str())
}

/// Everything the digest of `date` shows (see [`compose_digest`]).
pub async fn gather(
    store: &Store,
    rules: &RuleSet,
    role: Audience,
    date: NaiveDate,
    now: Timestamp,
    public_url: &str,
    recipient: Option<&User>,
) -> Result<DigestInput> {
    let to = kpi::vn_day_end(date);
    let from = to - Duration::days(1);
    let as_of = now.min(to);
    let mut input = DigestInput::empty(date, role, public_url, as_of);
    input.recipient = recipient.map(|u| u.name.clone());

    // The day's alerts and their handling, replayed from events.
    let (facts, events) = store.handling_history(from, to).await?;
    let lines = kpi::timelines(&facts, &events, store.schedule());
    let figures = kpi::figures(&facts, &events, Period { from, to }, now, store.schedule());
    input.medians = Medians {
        acknowledge: figures.tta.median,
        decide: figures.ttdec.median,
        respond: figures.ttr.median,
    };
    let mut opened: Vec<(&kpi::AlertFacts, AlertState)> = facts
        .iter()
        .zip(&lines)
        // Spikes have a part of their own.
        .filter(|(f, _)| f.opened_at >= from && f.opened_at < to && f.kind != RuleKind::Spike)
        // As it stood when the figures were taken, not as it stands today.
        .map(|(f, t)| (f, t.state_before(as_of).unwrap_or(AlertState::New)))
        .filter(|(_, s)| *s != AlertState::Merged)
        .collect();
    opened.sort_by(|a, b| a.0.priority.cmp(&b.0.priority).then(b.0.opened_at.cmp(&a.0.opened_at)));
    for (i, (f, state)) in opened.iter().enumerate() {
        let entry = if i < DETAILED_ALERTS { store.queue_entry(f.id).await? } else { None };
        input.new_alerts.push(NewAlert {
            id: f.id,
            priority: f.priority,
            kind: f.kind,
            rule_title: f.rule_title.clone(),
            title: entry.as_ref().map(|e| e.entry.document.doc.title.clone()).unwrap_or_default(),
            source: entry
                .as_ref()
                .map(|e| e.entry.document.source_name.clone())
                .unwrap_or_default(),
            opened_at: f.opened_at,
            documents: entry.as_ref().map_or(0, |e| e.entry.alert.doc_count),
            state: *state,
        });
    }
    for (f, t) in facts.iter().zip(&lines) {
        let moved = t
            .actions
            .iter()
            .filter(|(at, a)| {
                *at >= from
                    && *at < to
                    && matches!(
                        a,
                        AlertAction::Monitor
                            | AlertAction::RequireResponse
                            | AlertAction::Dismiss
                            | AlertAction::Respond
                            | AlertAction::Close
                    )
            })
            .max_by_key(|(at, _)| *at);
        let Some(&(at, action)) = moved else { continue };
        let before = |x: Option<Timestamp>| x.filter(|x| *x < to);
        let ack = before(t.first_ack);
        input.handled.push(Handled {
            id: f.id,
            priority: f.priority,
            rule_title: f.rule_title.clone(),
            action,
            at,
            to_acknowledge: ack.map(|a| a - f.opened_at),
            to_decide: ack.zip(before(t.first_decision)).map(|(a, d)| d - a),
            to_respond: before(t.first_response).map(|r| r - f.opened_at),
        });
    }
    input.handled.sort_by_key(|h| std::cmp::Reverse(h.at));
    input.backlog = store
        .backlog_by_day(date - Duration::days(SERIES_DAYS - 1), date)
        .await?
        .into_iter()
        .map(|d| OpenOnDay { date: d.date, open: d.open, overdue: d.overdue, waiting: d.new })
        .collect();

    // Spikes of the day, each with its topic's daily counts.
    let q = TrendQuery { today: date, days: 1, topic: None, tier: None, province: None };
    for a in store.trend_spikes(&q, 20).await? {
        let area = a.subject.strip_prefix("spike:").and_then(|s| s.split(':').next()).unwrap_or("");
        let province = (area != "national" && !area.is_empty()).then_some(area);
        let series = store
            .topic_series(
                &topic_rules(rules, &a.rule_id),
                province,
                date - Duration::days(CHART_DAYS - 1),
                date,
            )
            .await?;
        input.spikes.push(Spike {
            alert_id: a.id,
            topic: a.rule_title.clone(),
            area: province.map_or_else(
                || "Toàn quốc".to_owned(),
                |p| gazetteer::unit(p).map_or(p.to_owned(), |u| u.name.to_owned()),
            ),
            series,
        });
    }

    for s in store.stories_between(from, to, STORIES).await? {
        let topics = store.story_topics(s.id).await?;
        input.stories.push(TopStory {
            id: s.id,
            title: s.title,
            origin: s.origin_source_name,
            outlets: s.outlets,
            documents: s.documents,
            topics: topics.into_iter().take(3).map(|t| t.rule_title).collect(),
        });
    }

    if role == Audience::Officer {
        input.queue = Some(queue(store, recipient, now).await?);
    }

    for r in store.responses_between(from, to, RESPONSES).await? {
        input.responses.push(IssuedResponse {
            alert_id: r.response.alert_id,
            rule_title: r.rule_title,
            channel: r.response.response.channel,
            published_at: r.response.response.published_at,
            text: r.response.response.text,
            url: r.response.response.url,
        });
    }
    for t in store.corrections_between(from, to, CORRECTIONS).await? {
        let Some(report) = store.alert_corrections(t.alert_id).await? else { continue };
        input.corrections.push(Correction {
            alert_id: t.alert_id,
            rule_title: t.rule_title,
            outlets: report.correction_coverage.whole,
            corrected: report.correction_coverage.part,
            remedied: report.coverage.part,
            outstanding: report.outstanding,
            finished: report.window.finished_at.is_some_and(|f| f < to),
        });
    }

    let days: Vec<UpcomingDay> =
        upcoming_days(rules, date).into_iter().filter(|d| d.needs_preparation).collect();
    let keys: Vec<String> = days.iter().map(|d| d.key.clone()).collect();
    let mut plans: HashMap<String, String> = HashMap::new();
    for n in store.health_day_notes(&keys).await? {
        // Newest first within a key: the first seen is the current plan.
        plans.entry(n.day_key).or_insert(n.note);
    }
    for d in days {
        let coverage = day_coverage(store, &d, date).await?;
        input.health_days.push(HealthDayItem {
            title: d.title.clone(),
            start: d.start,
            end: d.end,
            days_until: d.days_until,
            related: d.related.iter().map(|r| r.1.clone()).collect(),
            coverage,
            planned: plans.get(&d.key).filter(|p| !p.is_empty()).cloned(),
        });
    }
    Ok(input)
}

/// The queue parts an officer reads, as of `now`.
async fn queue(store: &Store, recipient: Option<&User>, now: Timestamp) -> Result<Queue> {
    let part = |assignee: AssigneeFilter, overdue: bool| AlertFilter {
        assignee,
        overdue,
        limit: QUEUE_ITEMS,
        ..AlertFilter::open(now)
    };
    let item = |q: &QueueEntry| QueueItem {
        id: q.entry.alert.id,
        priority: q.entry.alert.handling.priority,
        rule_title: q.entry.alert.rule_title.clone(),
        title: q.entry.document.doc.title.clone(),
        state: q.entry.alert.state,
        due: q.deadline.map(|d| d.due),
        overdue: q.is_overdue(now),
        assignee: q.entry.alert.handling.assignee.as_ref().map(|a| a.1.clone()),
    };
    let mut out = Queue::default();
    let mut filters = vec![(AssigneeFilter::Unassigned, false), (AssigneeFilter::Any, true)];
    if let Some(u) = recipient {
        filters.insert(0, (AssigneeFilter::User(u.id), false));
    }
    for (assignee, overdue) in filters {
        let mine = matches!(assignee, AssigneeFilter::User(_));
        let page = store.alert_queue(&part(assignee, overdue)).await?;
        let p = QueuePart { items: page.items.iter().map(item).collect(), total: page.total };
        match (mine, overdue) {
            (true, _) => out.mine = p,
            (false, false) => out.unassigned = p,
            (false, true) => out.overdue = p,
        }
    }
    Ok(out)
}

/// The topic rules a spike's topic stands for: the rule itself, or every topic rule of a
/// tag (`tag:TAG`).
fn topic_rules(rules: &RuleSet, topic: &str) -> Vec<String> {
    match topic.strip_prefix("tag:") {
        Some(tag) => rules
            .rules()
            .iter()
            .filter(|r| r.kind == RuleKind::Topic && r.tags.iter().any(|t| t == tag))
            .map(|r| r.id.to_string())
            .collect(),
        None => vec![topic.to_owned()],
    }
}

/// A health day around a date, one entry per day (see [`upcoming_days`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpcomingDay {
    /// What notes on the calendar are kept under: `{id}@{start}`.
    pub key: String,
    /// The day's id in its pack.
    pub id: String,
    /// Its name.
    pub title: String,
    /// First date of this occurrence.
    pub start: NaiveDate,
    /// Last date.
    pub end: NaiveDate,
    /// Single dates that fall inside it and are days of their own (1/12 inside the
    /// December campaign).
    pub marked: Vec<NaiveDate>,
    /// Days from the date asked to `start`; 0 when under way.
    pub days_until: i64,
    /// How many days before it an office starts preparing.
    pub lead_days: u32,
    /// Whether it is under way or within its lead.
    pub needs_preparation: bool,
    /// The related rules: `(id, title)`.
    pub related: Vec<(String, String)>,
    /// Where the day is written down.
    pub source: String,
}

impl UpcomingDay {
    /// The first day of its run-up: `lead_days` before it starts.
    pub fn run_up(&self) -> NaiveDate {
        self.start - Duration::days(i64::from(self.lead_days))
    }
}

/// The health days of the packs under way on `date` or starting within the longest lead
/// any day declares, soonest first. A day is listed once: its occurrences that overlap
/// (a day and the month-long campaign that starts or holds it, as "01/12 và tháng 12"
/// gives) are one entry spanning both, and days of different packs with the same title
/// and start are one entry with the rules of both.
pub fn upcoming_days(rules: &RuleSet, date: NaiveDate) -> Vec<UpcomingDay> {
    let within = rules.days().iter().map(|d| d.lead_days).max().unwrap_or(0);
    upcoming_days_within(rules, date, within)
}

/// [`upcoming_days`] looking `within` days ahead.
pub fn upcoming_days_within(rules: &RuleSet, date: NaiveDate, within: u32) -> Vec<UpcomingDay> {
    let mut out: Vec<UpcomingDay> = Vec::new();
    for o in rules.upcoming_days(date, within) {
        let related: Vec<(String, String)> = rules
            .related_rules(o.day)
            .iter()
            .map(|r| (r.id.to_string(), r.title.to_string()))
            .collect();
        let same = |u: &UpcomingDay| {
            let overlaps = u.start <= o.end && o.start <= u.end;
            (u.id == o.day.id && overlaps)
                || (u.title.trim().to_lowercase() == o.day.title.trim().to_lowercase()
                    && u.start == o.start)
        };
        if let Some(u) = out.iter_mut().find(|u| same(u)) {
            for d in [(u.start, u.end), (o.start, o.end)] {
                if d.0 == d.1 && !u.marked.contains(&d.0) {
                    u.marked.push(d.0);
                }
            }
            u.start = u.start.min(o.start);
            u.end = u.end.max(o.end);
            u.lead_days = u.lead_days.max(o.day.lead_days);
            for r in related {
                if !u.related.contains(&r) {
                    u.related.push(r);
                }
            }
            continue;
        }
        out.push(UpcomingDay {
            key: String::new(),
            id: o.day.id.clone(),
            title: o.day.title.clone(),
            start: o.start,
            end: o.end,
            marked: Vec::new(),
            days_until: 0,
            lead_days: o.day.lead_days,
            needs_preparation: false,
            related,
            source: o.day.source.clone(),
        });
    }
    for u in &mut out {
        u.marked.retain(|d| (u.start..=u.end).contains(d) && u.start != u.end);
        u.marked.sort_unstable();
        u.days_until = (u.start - date).num_days().max(0);
        u.needs_preparation = u.days_until <= i64::from(u.lead_days);
        u.key = format!("{}@{}", u.id, u.start.format("%Y-%m-%d"));
    }
    out.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
    out
}

/// What has been published about a day's related rules from the start of its run-up to the
/// end of `date` (or of the day, when it is over); `None` before the run-up begins or
/// without related rules.
pub async fn day_coverage(
    store: &Store,
    day: &UpcomingDay,
    date: NaiveDate,
) -> Result<Option<Coverage>> {
    let since = day.run_up();
    if day.related.is_empty() || since > date {
        return Ok(None);
    }
    let c = store
        .rule_coverage(
            &related_ids(day),
            kpi::vn_day_end(since) - Duration::days(1),
            kpi::vn_day_end(date.min(day.end)),
            0,
        )
        .await?;
    Ok(Some(Coverage { since, documents: c.documents, stories: c.stories, outlets: c.outlets }))
}

/// The ids of a day's related rules.
pub fn related_ids(day: &UpcomingDay) -> Vec<String> {
    day.related.iter().map(|r| r.0.clone()).collect::<BTreeSet<_>>().into_iter().collect()
}
