//! What the boards and the queue show, already formatted: an alert's row (shared by both and
//! by the live script's `/alerts/{id}/row`), the panels, the counts and the queue's form.

use alerts::deadlines::Schedule;
use alerts::triage;
use askama::Template;
use model::{AlertAction, AlertState, Priority, Role, RuleKind, SourceTier, Timestamp};
use store::{QueueCounts, QueueEntry};

use super::params::RawQueue;
use crate::auth::role_allows;
use crate::views::{AlertView, Chrome, tier_label, vn_time};

/// Who is looking: rows offer actions by role, forms carry the session's token.
#[derive(Debug, Clone)]
pub(crate) struct Looker {
    pub(crate) id: i64,
    pub(crate) role: Role,
    pub(crate) csrf: String,
}

/// An action a row offers as a one-button form.
pub(crate) struct QuickAction {
    pub(crate) label: &'static str,
    pub(crate) action: &'static str,
    /// The user to assign, for an assignment.
    pub(crate) user: Option<i64>,
}

/// One alert in a list.
pub(crate) struct RowView {
    pub(crate) a: AlertView,
    /// Whether the row carries the alert's `id="alert-N"` anchor (only its first row on a
    /// page does).
    pub(crate) anchor: bool,
    pub(crate) state: &'static str,
    pub(crate) priority: &'static str,
    pub(crate) priority_label: &'static str,
    pub(crate) assignee: Option<String>,
    /// The deadline of its state: "Hạn tiếp nhận: 09:30 07/12/2026".
    pub(crate) due: Option<String>,
    /// `overdue`, `due-soon` or empty.
    pub(crate) urgency: &'static str,
    pub(crate) urgency_label: &'static str,
    pub(crate) regrown: Option<String>,
    pub(crate) actions: Vec<QuickAction>,
    pub(crate) csrf: String,
}

/// At or past this share of its time, a deadline is "sắp quá hạn".
const DUE_SOON_PERCENT: u32 = 80;

impl RowView {
    pub(crate) fn new(
        e: &QueueEntry,
        now: Timestamp,
        schedule: &Schedule,
        who: &Looker,
        anchor: bool,
    ) -> RowView {
        let alert = &e.entry.alert;
        let priority = alert.handling.priority;
        let (urgency, urgency_label) = match e.deadline {
            Some(d) if d.due < now => ("overdue", "Quá hạn"),
            Some(d)
                if schedule
                    .progress(priority, d.kind, d.from, now)
                    .is_some_and(|p| p >= DUE_SOON_PERCENT) =>
            {
                ("due-soon", "Sắp quá hạn")
            }
            _ => ("", ""),
        };
        let due = e
            .deadline
            .map(|d| format!("Hạn {}: {}", d.kind.label().to_lowercase(), vn_time(d.due)));
        RowView {
            a: AlertView::new(&e.entry),
            anchor,
            state: alert.state.as_str(),
            priority: priority.as_str(),
            priority_label: priority.label(),
            assignee: alert.handling.assignee.as_ref().map(|(_, name)| name.clone()),
            due,
            urgency,
            urgency_label,
            regrown: alert.handling.regrown.clone(),
            actions: quick_actions(alert.state, alert.handling.assignee.is_some(), who),
            csrf: who.csrf.clone(),
        }
    }
}

/// The actions worth one click from a list: taking in a new alert, and taking on one that
/// nobody verifies yet. Everything else is done on the alert's page.
fn quick_actions(state: AlertState, assigned: bool, who: &Looker) -> Vec<QuickAction> {
    if !role_allows(who.role, Role::Officer) {
        return Vec::new();
    }
    let offered = triage::available(state, who.role);
    let mut out = Vec::new();
    if state == AlertState::New && offered.contains(&AlertAction::Acknowledge) {
        out.push(QuickAction { label: "Tiếp nhận", action: "acknowledge", user: None });
    }
    if state == AlertState::Acknowledged && !assigned && offered.contains(&AlertAction::Assign) {
        out.push(QuickAction { label: "Nhận xử lý", action: "assign", user: Some(who.id) });
    }
    out
}

/// One alert's row alone: what the live script puts in place of a changed one.
#[derive(Template)]
#[template(path = "board_row.html")]
pub(crate) struct RowFragment {
    pub(crate) row: RowView,
}

/// A link of the board switcher.
pub(crate) struct SwitchLink {
    pub(crate) title: String,
    pub(crate) href: String,
    pub(crate) current: bool,
}

/// A count that leads to the queue of what it counts.
pub(crate) struct CountCell {
    pub(crate) n: i64,
    pub(crate) href: String,
}

pub(crate) struct CountsRow {
    pub(crate) state: &'static str,
    pub(crate) label: &'static str,
    pub(crate) cells: Vec<CountCell>,
    pub(crate) total: CountCell,
}

/// Alerts by state and priority, and the late ones by priority.
pub(crate) struct CountsView {
    pub(crate) priorities: Vec<&'static str>,
    pub(crate) rows: Vec<CountsRow>,
    pub(crate) overdue: Vec<CountCell>,
    pub(crate) overdue_total: CountCell,
}

fn queue_link(pairs: &[(&str, &str)]) -> String {
    crate::params::link("/queue", pairs)
}

impl CountsView {
    pub(crate) fn new(c: &QueueCounts) -> CountsView {
        let rows = AlertState::ALL
            .iter()
            .map(|&s| CountsRow {
                state: s.as_str(),
                label: s.label(),
                cells: Priority::ALL
                    .iter()
                    .map(|&p| CountCell {
                        n: c.in_state_priority(s, p),
                        href: queue_link(&[("state", s.as_str()), ("priority", p.as_str())]),
                    })
                    .collect(),
                total: CountCell { n: c.in_state(s), href: queue_link(&[("state", s.as_str())]) },
            })
            .collect();
        CountsView {
            priorities: Priority::ALL.iter().map(|p| p.label()).collect(),
            rows,
            overdue: c
                .overdue_by_priority
                .iter()
                .map(|&(p, n)| CountCell {
                    n,
                    href: queue_link(&[("overdue", "1"), ("priority", p.as_str())]),
                })
                .collect(),
            overdue_total: CountCell { n: c.overdue, href: queue_link(&[("overdue", "1")]) },
        }
    }
}

/// One panel of a board.
pub(crate) struct PanelView {
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) total: i64,
    pub(crate) rows: Vec<RowView>,
    pub(crate) counts: Option<CountsView>,
    /// The queue with the panel's filter.
    pub(crate) href: String,
    /// Whether the queue holds more than the panel shows.
    pub(crate) more: bool,
    /// Whether a new alert surely belongs here (the live script adds it).
    pub(crate) takes_new: bool,
}

/// A board.
#[derive(Template)]
#[template(path = "board.html")]
pub(crate) struct BoardPage {
    pub(crate) chrome: Chrome,
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) switcher: Vec<SwitchLink>,
    pub(crate) panels: Vec<PanelView>,
    pub(crate) searches: Vec<(String, String)>,
    /// The latest alert event when the page was made: live updates start after it.
    pub(crate) last_event: i64,
    pub(crate) open: i64,
    pub(crate) overdue: i64,
    pub(crate) new: i64,
    pub(crate) documents: i64,
    pub(crate) sources: i64,
    pub(crate) failing_sources: i64,
}

/// A tab or a state of the queue, with its count.
pub(crate) struct Tab {
    pub(crate) label: &'static str,
    pub(crate) n: i64,
    pub(crate) href: String,
    pub(crate) current: bool,
}

/// The choices of the queue's filter form: (value, label), the current one marked.
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

fn choices(
    current: &str,
    any: &str,
    values: impl IntoIterator<Item = (String, String)>,
) -> Vec<Choice> {
    let mut out =
        vec![Choice { value: String::new(), label: any.to_owned(), selected: current.is_empty() }];
    let mut found = current.is_empty();
    for (value, label) in values {
        let selected = value == current;
        found |= selected;
        out.push(Choice { value, label, selected });
    }
    if !found {
        // A combination the list cannot show (several states from a link): kept as it is.
        out.push(Choice { value: current.to_owned(), label: current.to_owned(), selected: true });
    }
    out
}

/// Every list of the queue's form.
pub(crate) struct FormChoices {
    pub(crate) states: Vec<Choice>,
    pub(crate) priorities: Vec<Choice>,
    pub(crate) kinds: Vec<Choice>,
    pub(crate) provinces: Vec<Choice>,
    pub(crate) assignees: Vec<Choice>,
    pub(crate) tiers: Vec<Choice>,
    pub(crate) sorts: Vec<Choice>,
}

impl FormChoices {
    /// `people` are the users who may be assigned alerts: (id, name).
    pub(crate) fn new(raw: &RawQueue, people: &[(i64, String)]) -> FormChoices {
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
        };
        let mut states = pairs(&[("all", "Mọi trạng thái")]);
        states
            .extend(AlertState::ALL.iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())));
        let mut assignees = pairs(&[("me", "Của tôi"), ("unassigned", "Chưa phân công")]);
        assignees.extend(people.iter().map(|(id, name)| (id.to_string(), name.clone())));
        FormChoices {
            states: choices(&raw.state, "Đang mở", states),
            priorities: choices(
                &raw.priority,
                "Mọi mức",
                Priority::ALL.iter().map(|p| (p.as_str().to_owned(), p.label().to_owned())),
            ),
            kinds: choices(
                &raw.kind,
                "Mọi loại",
                RuleKind::ALL
                    .iter()
                    .filter(|k| **k != RuleKind::Topic)
                    .map(|k| (k.as_str().to_owned(), crate::views::kind_label(*k).to_owned())),
            ),
            provinces: choices(
                &raw.province,
                "Mọi tỉnh, thành",
                gazetteer::units().iter().map(|u| (u.code.to_owned(), u.name.to_owned())),
            ),
            assignees: choices(&raw.assignee, "Mọi người", assignees),
            tiers: choices(
                &raw.tier,
                "Mọi loại nguồn",
                SourceTier::ALL.iter().map(|t| (t.as_str().to_owned(), tier_label(*t).to_owned())),
            ),
            sorts: choices(
                if raw.sort == "urgency" { "" } else { &raw.sort },
                "Cần xử lý trước",
                pairs(&[("recent", "Mới cập nhật trước")]),
            ),
        }
    }
}

/// The officer's queue.
#[derive(Template)]
#[template(path = "queue.html")]
pub(crate) struct QueuePage {
    pub(crate) chrome: Chrome,
    pub(crate) raw: RawQueue,
    pub(crate) form: FormChoices,
    pub(crate) tabs: Vec<Tab>,
    pub(crate) states: Vec<Tab>,
    pub(crate) rows: Vec<RowView>,
    pub(crate) total: i64,
    pub(crate) first: i64,
    pub(crate) last: i64,
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) last_event: i64,
    pub(crate) takes_new: bool,
}
