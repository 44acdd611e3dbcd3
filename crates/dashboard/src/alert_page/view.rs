//! What the alert page shows, already formatted: each stored value turned into Vietnamese
//! words, with text kept unescaped for askama to escape.

use std::collections::HashMap;

use alerts::corrections::{Basis, CorrectionReport, ReachBasis, Share};
use alerts::deadlines::DeadlineKind;
use alerts::triage;
use askama::Template;
use chrono::Utc;
use model::{
    AlertAction, AlertEvent, AlertState, CorrectionOutcome, DismissReason, EscalationTarget,
    MatchedTerm, Priority, ResponseChannel, Role, RuleKind, Timestamp,
};
use search::Fragment;
use serde_json::Value;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::chrome;
use crate::stories::{TimelineRow, basis_label, origin_uncertain};
use crate::views::{
    Chrome, SpikeView, is_web_url, kind_label, severity_label, story_of_subject, vn_time,
};

/// The most documents listed on the page; the rest are counted.
const DOCUMENTS: i64 = 100;
/// The most places a story was seen that are listed.
const CARRIERS: usize = 100;
/// The most other alerts named by title (merges); more are shown by number only.
const LINKED_ALERTS: usize = 20;
/// Who the system is, in the history.
const SYSTEM: &str = "Hệ thống";

/// The response form as the person filled it in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Draft {
    pub(crate) channel: String,
    pub(crate) published_at: String,
    pub(crate) text: String,
    pub(crate) url: String,
    pub(crate) note: String,
}

/// A choice of a select.
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
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

/// One action the person may take, as a form.
pub(crate) struct ActionForm {
    /// The action's name (what the form sends).
    pub(crate) action: &'static str,
    pub(crate) label: &'static str,
    /// Whether the note must be filled in.
    pub(crate) note_required: bool,
}

/// Every form of the page, for a person who may act.
pub(crate) struct Forms {
    /// The state the page shows, sent back so a change meanwhile is noticed.
    pub(crate) state: &'static str,
    pub(crate) actions: Vec<ActionForm>,
    /// Whether the response form is offered.
    pub(crate) respond: bool,
    pub(crate) priorities: Vec<Choice>,
    pub(crate) users: Vec<Choice>,
    pub(crate) reasons: Vec<Choice>,
    pub(crate) targets: Vec<Choice>,
    pub(crate) channels: Vec<Choice>,
    pub(crate) draft: Draft,
}

/// A deadline of the alert, with how far through its time it is.
pub(crate) struct DeadlineRow {
    pub(crate) label: String,
    pub(crate) due: String,
    /// Whether it is the deadline that applies in the alert's state.
    pub(crate) active: bool,
    /// Per cent of its time spent (only for the active one).
    pub(crate) percent: Option<u32>,
    /// The percentage drawn, at most 100.
    pub(crate) bar: u32,
    /// `over`, `near` or empty: how it is styled.
    pub(crate) status: &'static str,
    pub(crate) status_label: &'static str,
}

/// A link to another alert.
pub(crate) struct AlertLink {
    pub(crate) id: i64,
    pub(crate) title: String,
}

/// One event of the history.
pub(crate) struct EventRow {
    pub(crate) id: i64,
    pub(crate) time: String,
    pub(crate) actor: String,
    pub(crate) system: bool,
    /// The action's name, for styling.
    pub(crate) action: &'static str,
    pub(crate) label: &'static str,
    /// The states before and after, when it moved the alert.
    pub(crate) moved: Option<(&'static str, &'static str)>,
    /// What it carried, in words.
    pub(crate) details: Vec<String>,
    /// The other alert of a merge: (lead-in, link).
    pub(crate) link: Option<(&'static str, AlertLink)>,
    pub(crate) note: Option<String>,
    /// A deadline crossed at 100 per cent or more.
    pub(crate) overdue: bool,
    /// The document that showed a correction.
    pub(crate) document: Option<i64>,
}

/// One document of the alert.
pub(crate) struct DocumentRow {
    pub(crate) id: i64,
    pub(crate) title: Vec<Fragment>,
    pub(crate) excerpt: Vec<Fragment>,
    pub(crate) source: String,
    pub(crate) time: String,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
    /// The stance's name and label, when known.
    pub(crate) stance: Option<(&'static str, &'static str)>,
    /// How closely it repeats the known claim ("82 %") and the claim's name, when its hit is
    /// a claim's; the passage is among the highlights.
    pub(crate) claim: Option<(String, String)>,
}

/// The story an alert is about.
pub(crate) struct StoryBox {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) publisher: String,
    pub(crate) origin_document: i64,
    pub(crate) basis: &'static str,
    pub(crate) uncertain: bool,
    pub(crate) outlets: i64,
    pub(crate) sightings: i64,
    pub(crate) first_seen: String,
    pub(crate) last_seen: String,
    pub(crate) carriers: Vec<TimelineRow>,
    /// Places not listed.
    pub(crate) more_carriers: usize,
}

/// One official response.
pub(crate) struct ResponseRow {
    pub(crate) channel: &'static str,
    pub(crate) published: String,
    pub(crate) text: String,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
    pub(crate) recorded_by: String,
    pub(crate) recorded_at: String,
}

/// One outlet that carried the claim, and what became of it.
pub(crate) struct OutletRow {
    pub(crate) source: String,
    pub(crate) items: usize,
    pub(crate) outcome: &'static str,
    pub(crate) remedied: bool,
    /// When it was first remedied, and how long after the response.
    pub(crate) remedied_at: String,
    pub(crate) time_to_correction: String,
}

/// One item that carried the claim, and what was found of it.
pub(crate) struct ItemRow {
    pub(crate) source: String,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
    pub(crate) carried_at: String,
    pub(crate) outcome: &'static str,
    pub(crate) remedied: bool,
    /// Why, once something was observed.
    pub(crate) basis: String,
    pub(crate) evidence_document: Option<i64>,
    /// The latest re-fetch and what it answered.
    pub(crate) last_check: String,
    pub(crate) next_check: String,
}

/// How far the outlets that carried the claim have corrected it.
pub(crate) struct CorrectionsView {
    /// From when (the response's publication) to when tracking runs.
    pub(crate) started: String,
    pub(crate) ends: String,
    pub(crate) finished: Option<String>,
    /// Share of carrying outlets remedied, as "2/3 (67%)".
    pub(crate) coverage: String,
    pub(crate) formal: String,
    pub(crate) response: String,
    /// Remedied reach over all reach, when any is known.
    pub(crate) reach_coverage: Option<String>,
    /// Whether some reach is only estimated from the source's tier.
    pub(crate) reach_estimated: bool,
    pub(crate) median_time: Option<String>,
    pub(crate) p90_time: Option<String>,
    /// Items that carried the claim after the first day, and the new outlets among them.
    pub(crate) residual_items: usize,
    pub(crate) residual_new: Vec<String>,
    /// The first publisher's part, in words.
    pub(crate) origin: Option<String>,
    pub(crate) outstanding: Vec<String>,
    pub(crate) next_check: Option<String>,
    pub(crate) outlets: Vec<OutletRow>,
    pub(crate) items: Vec<ItemRow>,
}

/// A length of time in words: "45 phút", "3 giờ 20 phút", "2 ngày 4 giờ".
pub(crate) fn duration_words(d: chrono::TimeDelta) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (days, hours, mins) {
        (0, 0, m) => format!("{m} phút"),
        (0, h, 0) => format!("{h} giờ"),
        (0, h, m) => format!("{h} giờ {m} phút"),
        (d, 0, _) => format!("{d} ngày"),
        (d, h, _) => format!("{d} ngày {h} giờ"),
    }
}

fn share_words(s: Share) -> String {
    match s.ratio() {
        Some(r) => format!("{}/{} nguồn ({:.0}%)", s.part, s.whole, r * 100.0),
        None => "chưa có nguồn nào".to_owned(),
    }
}

impl CorrectionsView {
    pub(crate) fn new(r: &CorrectionReport) -> CorrectionsView {
        CorrectionsView {
            started: vn_time(r.window.started_at),
            ends: vn_time(r.window.ends_at),
            finished: r.window.finished_at.map(vn_time),
            coverage: share_words(r.coverage),
            formal: share_words(r.formal_coverage),
            response: share_words(r.response_coverage),
            reach_coverage: r.reach_weighted_coverage.map(|c| format!("{:.0}%", c * 100.0)),
            reach_estimated: r.carriers.iter().any(|c| c.reach_basis == ReachBasis::Tier),
            median_time: r.median_time_to_correction.map(duration_words),
            p90_time: r.p90_time_to_correction.map(duration_words),
            residual_items: r.residual.items,
            residual_new: r.residual.new_outlets.clone(),
            origin: r.origin.as_ref().map(|o| match (o.carried, o.remedied) {
                (true, true) => format!("{} đã khắc phục.", o.name),
                (true, false) => format!("{} chưa khắc phục.", o.name),
                (false, _) => {
                    format!("{} không nằm trong các nguồn đăng tin được theo dõi.", o.name)
                }
            }),
            outstanding: r.outstanding.clone(),
            next_check: r.next_check.map(vn_time),
            outlets: r
                .outlets
                .iter()
                .map(|o| OutletRow {
                    source: o.name.clone(),
                    items: o.items,
                    outcome: o.outcome.label(),
                    remedied: o.remedied,
                    remedied_at: o.remedied_at.map(vn_time).unwrap_or_default(),
                    time_to_correction: o
                        .time_to_correction
                        .map(duration_words)
                        .unwrap_or_default(),
                })
                .collect(),
            items: r
                .carriers
                .iter()
                .map(|c| ItemRow {
                    source: c.outlet.clone(),
                    url_is_link: is_web_url(&c.url),
                    url: c.url.clone(),
                    carried_at: vn_time(c.carried_at),
                    outcome: c.state.outcome.label(),
                    remedied: c.state.outcome.is_remedied(),
                    basis: c.basis.map(Basis::label).unwrap_or_default(),
                    evidence_document: c.evidence_document,
                    last_check: match (c.last_checked_at, c.last_status) {
                        (Some(at), Some(0)) => format!("{} (không kết nối được)", vn_time(at)),
                        (Some(at), Some(status)) => format!("{} (mã {status})", vn_time(at)),
                        (Some(at), None) => vn_time(at),
                        (None, _) => String::new(),
                    },
                    next_check: c.next_check.map(vn_time).unwrap_or_default(),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "alert.html")]
pub(crate) struct AlertPage {
    pub(crate) chrome: Chrome,
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) rule_id: String,
    pub(crate) spike: Option<SpikeView>,
    pub(crate) kind_label: &'static str,
    pub(crate) severity: &'static str,
    pub(crate) severity_label: &'static str,
    pub(crate) state: &'static str,
    pub(crate) state_label: &'static str,
    pub(crate) priority: &'static str,
    pub(crate) priority_label: &'static str,
    pub(crate) assignee: Option<String>,
    pub(crate) first_seen: String,
    pub(crate) last_seen: String,
    pub(crate) state_since: Option<String>,
    pub(crate) doc_count: i64,
    pub(crate) deadlines: Vec<DeadlineRow>,
    pub(crate) regrown: Option<String>,
    pub(crate) dismiss_reason: Option<&'static str>,
    pub(crate) merged_into: Option<AlertLink>,
    pub(crate) merged_from: Vec<AlertLink>,
    pub(crate) escalated_to: Option<&'static str>,
    pub(crate) events: Vec<EventRow>,
    pub(crate) documents: Vec<DocumentRow>,
    pub(crate) more_documents: i64,
    /// Refutations and reports of the claim: stored with their stance, never alerts.
    pub(crate) counterpoints: Vec<DocumentRow>,
    /// The latest event, for the live updates to start after.
    pub(crate) last_event_id: i64,
    pub(crate) story: Option<StoryBox>,
    pub(crate) responses: Vec<ResponseRow>,
    pub(crate) corrections: Option<CorrectionsView>,
    /// Whether correction tracking concerns the alert yet (a response was recorded).
    pub(crate) tracking: bool,
    pub(crate) forms: Option<Forms>,
    pub(crate) error: Option<String>,
}

/// "tiếp nhận", as the middle of a sentence writes a deadline's name.
fn deadline_words(kind: DeadlineKind) -> String {
    kind.label().to_lowercase()
}

fn deadlines(
    schedule: &alerts::deadlines::Schedule,
    state: AlertState,
    current: &triage::Current,
    now: Timestamp,
) -> Vec<DeadlineRow> {
    [
        (DeadlineKind::Acknowledge, current.ack),
        (DeadlineKind::Decide, current.decide),
        (DeadlineKind::Respond, current.respond),
    ]
    .into_iter()
    .filter_map(|(kind, d)| {
        let d = d?;
        let active = DeadlineKind::of_state(state) == Some(kind);
        let percent =
            if active { schedule.progress(current.priority, kind, d.from, now) } else { None };
        let (status, status_label) = match percent {
            Some(p) if p >= 100 => ("over", "quá hạn"),
            Some(p) if p >= 80 => ("near", "sắp quá hạn"),
            _ => ("", ""),
        };
        Some(DeadlineRow {
            label: format!("Hạn {}", deadline_words(kind)),
            due: vn_time(d.due),
            active,
            percent,
            bar: percent.unwrap_or(0).min(100),
            status,
            status_label,
        })
    })
    .collect()
}

/// What the page knows of people and other alerts, to name them in the history.
struct Names {
    users: HashMap<i64, String>,
    alerts: HashMap<i64, String>,
}

impl Names {
    fn user(&self, id: Option<i64>) -> Option<String> {
        let id = id?;
        Some(self.users.get(&id).cloned().unwrap_or_else(|| format!("người dùng #{id}")))
    }

    fn alert(&self, id: i64) -> AlertLink {
        AlertLink { id, title: self.alerts.get(&id).cloned().unwrap_or_default() }
    }
}

fn str_of<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key).and_then(Value::as_str)
}

fn label_of<T: std::str::FromStr>(
    data: &Value,
    key: &str,
    label: fn(T) -> &'static str,
) -> Option<&'static str> {
    str_of(data, key).and_then(|v| v.parse::<T>().ok()).map(label)
}

fn time_of(data: &Value, key: &str) -> Option<String> {
    data.get(key)
        .and_then(Value::as_i64)
        .and_then(chrono::DateTime::<Utc>::from_timestamp_millis)
        .map(vn_time)
}

/// The ids of the other alerts an event names.
fn linked_alert(e: &AlertEvent) -> Option<i64> {
    let data: Value = serde_json::from_str(e.data.as_deref()?).ok()?;
    match e.action {
        AlertAction::Merge => data.get("into")?.as_i64(),
        AlertAction::Absorb => data.get("from")?.as_i64(),
        _ => None,
    }
}

fn event_row(e: &AlertEvent, names: &Names) -> EventRow {
    let data: Value =
        e.data.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or(Value::Null);
    let mut details = Vec::new();
    let mut link = None;
    let mut overdue = false;
    let mut document = None;
    let priority = |key: &str| label_of::<Priority>(&data, key, Priority::label);
    match e.action {
        AlertAction::Opened | AlertAction::Acknowledge => {
            if let Some(p) = priority("priority") {
                details.push(format!("Mức ưu tiên: {p}"));
            }
        }
        AlertAction::Assign => {
            let to = names.user(data.get("assignee").and_then(Value::as_i64));
            let before = names.user(data.get("previous").and_then(Value::as_i64));
            match (to, before) {
                (Some(to), Some(before)) if to != before => {
                    details.push(format!("Giao cho: {to} (thay cho {before})"));
                }
                (Some(to), _) => details.push(format!("Giao cho: {to}")),
                _ => {}
            }
        }
        AlertAction::Dismiss => {
            if let Some(r) = label_of::<DismissReason>(&data, "reason", DismissReason::label) {
                details.push(format!("Lý do: {r}"));
            }
        }
        AlertAction::Reopen => {
            if let Some(s) = label_of::<AlertState>(&data, "previous_state", AlertState::label) {
                details.push(format!("Trạng thái trước đó: {s}"));
            }
        }
        AlertAction::Regrow => {
            if let Some(r) = str_of(&data, "reason") {
                details.push(r.to_owned());
            }
        }
        AlertAction::Merge => {
            if let Some(into) = data.get("into").and_then(Value::as_i64) {
                link = Some(("Gộp vào", names.alert(into)));
            }
            if str_of(&data, "cause") == Some("story") {
                details.push("Hai câu chuyện được xác định là một.".to_owned());
            }
        }
        AlertAction::Absorb => {
            if let Some(from) = data.get("from").and_then(Value::as_i64) {
                link = Some(("Nhận gộp từ", names.alert(from)));
            }
        }
        AlertAction::Escalate => {
            if let Some(t) = label_of::<EscalationTarget>(&data, "to", EscalationTarget::label) {
                details.push(format!("Báo cáo tới: {t}"));
            }
        }
        AlertAction::Prioritize => {
            if let (Some(from), Some(to)) = (priority("from"), priority("to")) {
                details.push(format!("Mức ưu tiên: {from} → {to}"));
            }
        }
        AlertAction::Deadline => {
            let kind = str_of(&data, "deadline").and_then(|k| k.parse::<DeadlineKind>().ok());
            let percent = data.get("percent").and_then(Value::as_u64);
            if let (Some(kind), Some(percent)) = (kind, percent) {
                overdue = percent >= 100;
                details.push(format!("{percent}% thời hạn {}", deadline_words(kind)));
            }
            if let Some(due) = time_of(&data, "due") {
                details.push(format!("Hạn: {due}"));
            }
        }
        AlertAction::Respond => {
            if let Some(c) = label_of::<ResponseChannel>(&data, "channel", ResponseChannel::label) {
                details.push(format!("Kênh: {c}"));
            }
            if let Some(t) = time_of(&data, "published_at") {
                details.push(format!("Đăng lúc: {t}"));
            }
        }
        AlertAction::Correction => {
            if let Some(s) = str_of(&data, "source") {
                details.push(format!("Nguồn: {s}"));
            }
            let outcome = |key| label_of::<CorrectionOutcome>(&data, key, CorrectionOutcome::label);
            match (outcome("outcome"), outcome("previous")) {
                (Some(to), Some(from)) => details.push(format!("Kết quả: {from} → {to}")),
                (Some(to), None) => details.push(format!("Kết quả: {to}")),
                _ => {}
            }
            let status =
                data.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok());
            if let Some(b) = str_of(&data, "basis").and_then(|b| Basis::parse(b, status)) {
                details.push(format!("Căn cứ: {}", b.label()));
            }
            document = data.get("evidence_document").and_then(Value::as_i64);
        }
        AlertAction::Track => {
            if let Some(t) = time_of(&data, "ends_at") {
                details.push(format!("Theo dõi đến: {t}"));
            }
        }
        AlertAction::Monitor
        | AlertAction::RequireResponse
        | AlertAction::Close
        | AlertAction::Note => {}
    }
    EventRow {
        id: e.id,
        time: vn_time(e.at),
        actor: e.actor.as_ref().map_or_else(|| SYSTEM.to_owned(), |(_, name)| name.clone()),
        system: e.actor.is_none(),
        action: e.action.as_str(),
        label: e.action.label(),
        moved: (e.from != e.to).then(|| (e.from.label(), e.to.label())),
        details,
        link,
        note: e.note.clone(),
        overdue,
        document,
    }
}

fn ranges(terms: &[MatchedTerm], field: &str) -> Vec<(usize, usize)> {
    terms.iter().filter(|t| t.field == field).map(|t| (t.start, t.end)).collect()
}

async fn story_box(state: &AppState, id: i64) -> Result<Option<StoryBox>, AppError> {
    let Some(s) = state.store.story(id).await? else { return Ok(None) };
    let timeline = state.store.story_timeline(id).await?;
    let more_carriers = timeline.len().saturating_sub(CARRIERS);
    Ok(Some(StoryBox {
        id: s.id,
        title: s.title.clone(),
        publisher: s.origin_source_name.clone(),
        origin_document: s.origin_document,
        basis: basis_label(&s.origin_basis),
        uncertain: origin_uncertain(&s.origin_basis),
        outlets: s.outlets,
        sightings: s.sightings,
        first_seen: vn_time(s.first_seen),
        last_seen: vn_time(s.last_seen),
        carriers: timeline.iter().take(CARRIERS).map(TimelineRow::new).collect(),
        more_carriers,
    }))
}

/// Everything the page of alert `id` shows to `user`; `None` when there is no such alert.
pub(crate) async fn load(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    notice: super::Notice,
) -> Result<Option<AlertPage>, AppError> {
    let store = &state.store;
    let alert = match store.alert(id).await {
        Ok(a) => a,
        Err(store::Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let now = Utc::now();
    let current = store.alert_current(id).await?;
    let events = store.alert_events(id).await?;
    let evidence = store.alert_evidence(id, DOCUMENTS).await?;
    let counterpoints = store.alert_counterpoints(id, DOCUMENTS).await?;
    let responses = store.alert_responses(id).await?;
    let people = store.list_users().await?;
    let corrections = super::corrections_view(state, id).await?;
    let story = match story_of_subject(&alert.subject) {
        Some(story) => story_box(state, story).await?,
        None => None,
    };

    let mut linked: Vec<i64> = alert
        .handling
        .merged_into
        .into_iter()
        .chain(events.iter().filter_map(linked_alert))
        .collect();
    linked.sort_unstable();
    linked.dedup();
    let mut titles = HashMap::new();
    for &other in linked.iter().take(LINKED_ALERTS) {
        match store.alert(other).await {
            Ok(a) => {
                titles.insert(other, a.rule_title);
            }
            Err(store::Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let names =
        Names { users: people.iter().map(|u| (u.id, u.name.clone())).collect(), alerts: titles };

    let h = &alert.handling;
    let spike = (alert.kind == RuleKind::Spike).then(|| SpikeView::new(&alert));
    let title = match &spike {
        Some(s) => format!("Tăng đột biến: {} — {} — {}", alert.rule_title, s.area, s.window),
        None => alert.rule_title.clone(),
    };
    let merged_from: Vec<AlertLink> = events
        .iter()
        .filter(|e| e.action == AlertAction::Absorb)
        .filter_map(linked_alert)
        .map(|from| names.alert(from))
        .collect();

    let actions = triage::available(alert.state, user.user.role);
    let forms = (!actions.is_empty()).then(|| {
        let draft = notice.draft.clone().unwrap_or_else(|| Draft {
            channel: String::new(),
            published_at: super::vn_local(now),
            text: String::new(),
            url: String::new(),
            note: String::new(),
        });
        let channel = draft.channel.parse::<ResponseChannel>().ok();
        Forms {
            state: alert.state.as_str(),
            respond: actions.contains(&AlertAction::Respond),
            actions: actions
                .iter()
                .filter(|&&a| a != AlertAction::Respond)
                .map(|&a| ActionForm {
                    action: a.as_str(),
                    label: a.label(),
                    note_required: matches!(
                        a,
                        AlertAction::Note | AlertAction::Escalate | AlertAction::Reopen
                    ),
                })
                .collect(),
            priorities: choices(Priority::ALL, Priority::as_str, Priority::label, Some(h.priority)),
            users: people
                .iter()
                .filter(|u| u.is_enabled() && u.role != Role::Viewer)
                .map(|u| Choice {
                    value: u.id.to_string(),
                    label: u.name.clone(),
                    selected: h.assignee.as_ref().is_some_and(|a| a.0 == u.id),
                })
                .collect(),
            reasons: choices(DismissReason::ALL, DismissReason::as_str, DismissReason::label, None),
            targets: choices(
                EscalationTarget::ALL,
                EscalationTarget::as_str,
                EscalationTarget::label,
                None,
            ),
            channels: choices(
                ResponseChannel::ALL,
                ResponseChannel::as_str,
                ResponseChannel::label,
                channel,
            ),
            draft,
        }
    });

    let shown = evidence.len() as i64;
    Ok(Some(AlertPage {
        chrome: chrome(user),
        id: alert.id,
        title,
        rule_id: alert.rule_id.clone(),
        kind_label: kind_label(alert.kind),
        severity: alert.severity.as_str(),
        severity_label: severity_label(alert.severity),
        state: alert.state.as_str(),
        state_label: alert.state.label(),
        priority: h.priority.as_str(),
        priority_label: h.priority.label(),
        assignee: h.assignee.as_ref().map(|a| a.1.clone()),
        first_seen: vn_time(alert.first_seen),
        last_seen: vn_time(alert.last_seen),
        state_since: h.state_changed_at.map(vn_time),
        doc_count: alert.doc_count,
        deadlines: deadlines(store.schedule(), alert.state, &current, now),
        regrown: h.regrown.clone(),
        dismiss_reason: h.dismiss_reason.map(DismissReason::label),
        merged_into: h.merged_into.map(|into| names.alert(into)),
        merged_from,
        escalated_to: h.escalated_to.map(EscalationTarget::label),
        events: events.iter().map(|e| event_row(e, &names)).collect(),
        documents: evidence
            .iter()
            .map(|e| {
                let d = &e.document;
                let marks: Vec<MatchedTerm> =
                    e.terms.iter().chain(e.claim.as_ref().map(|c| &c.passage)).cloned().collect();
                DocumentRow {
                    id: d.id,
                    title: search::snippet(&d.doc.title, &ranges(&marks, "title"), usize::MAX),
                    excerpt: search::snippet(&d.doc.full_text(), &ranges(&marks, "body"), 280),
                    source: d.source_name.clone(),
                    time: vn_time(d.time()),
                    url: d.doc.url.clone(),
                    url_is_link: is_web_url(&d.doc.url),
                    stance: e.stance.map(|s| (s.as_str(), s.label())),
                    claim: e.claim.as_ref().map(|c| {
                        (format!("{:.0} %", c.similarity * 100.0), c.passage.term.to_string())
                    }),
                }
            })
            .collect(),
        more_documents: (alert.doc_count - shown).max(0),
        counterpoints: counterpoints
            .iter()
            .map(|(d, terms, stance, cues)| {
                let marks: Vec<MatchedTerm> = terms.iter().chain(cues).cloned().collect();
                DocumentRow {
                    id: d.id,
                    title: search::snippet(&d.doc.title, &ranges(&marks, "title"), usize::MAX),
                    excerpt: search::snippet(&d.doc.full_text(), &ranges(&marks, "body"), 280),
                    source: d.source_name.clone(),
                    time: vn_time(d.time()),
                    url: d.doc.url.clone(),
                    url_is_link: is_web_url(&d.doc.url),
                    stance: Some((stance.as_str(), stance.label())),
                    claim: None,
                }
            })
            .collect(),
        last_event_id: events.last().map_or(0, |e| e.id),
        story,
        tracking: !responses.is_empty(),
        responses: responses
            .iter()
            .map(|r| ResponseRow {
                channel: r.response.channel.label(),
                published: vn_time(r.response.published_at),
                text: r.response.text.clone(),
                url: r.response.url.clone().unwrap_or_default(),
                url_is_link: r.response.url.as_deref().is_some_and(is_web_url),
                recorded_by: r.recorded_by.clone().unwrap_or_else(|| SYSTEM.to_owned()),
                recorded_at: vn_time(r.recorded_at),
            })
            .collect(),
        corrections,
        forms,
        error: notice.error,
        spike,
    }))
}
