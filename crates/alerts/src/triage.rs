//! The 3C state machine: which action moves an alert from which state to which, who may take
//! it, and what it changes (priority, assignee, deadlines), as one [`Change`] for the store to
//! apply with its event.
//!
//! Every change to an alert goes through [`decide`] (or [`opening`] and [`regrowth`] for the
//! system's own), so the transition table below is the whole truth about the workflow: the
//! dashboard shows the actions [`available`] returns, and the store writes exactly one
//! `alert_events` row per [`Change`].

use model::{
    AlertAction, AlertState, DismissReason, EscalationTarget, Priority, Role, RuleKind, Severity,
    Timestamp,
};
use serde_json::{Value, json};

use crate::deadlines::{DeadlineKind, Schedule};

/// Who acts on an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A logged-in user or an API token's owner.
    User {
        /// The user's id.
        id: i64,
        /// The user's role.
        role: Role,
    },
    /// Lắng Nghe itself: detection, deadlines, correction tracking.
    System,
}

impl Actor {
    /// The user's id, `None` for the system.
    pub fn user_id(self) -> Option<i64> {
        match self {
            Actor::User { id, .. } => Some(id),
            Actor::System => None,
        }
    }
}

/// What somebody asks to do to an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Seen; the priority may be set at the same time.
    Acknowledge {
        /// The priority class, when it changes.
        priority: Option<Priority>,
    },
    /// Give it to a person to verify.
    Assign {
        /// The assignee's id.
        user: i64,
        /// The assignee's role: only officers and admins handle alerts.
        role: Role,
    },
    /// Decide to watch it, without a response for now.
    Monitor,
    /// Decide that the office answers publicly.
    RequireResponse,
    /// Not worth handling.
    Dismiss {
        /// Why.
        reason: DismissReason,
    },
    /// The official response was recorded (the response itself is stored beside the event).
    Respond,
    /// Start tracking corrections.
    Track,
    /// End the handling.
    Close,
    /// Open a dismissed, merged or closed alert again.
    Reopen,
    /// Fold this alert into another.
    Merge {
        /// The alert that carries on.
        into: i64,
    },
    /// Report it to another body; handling carries on.
    Escalate {
        /// To whom.
        to: EscalationTarget,
    },
    /// Change the priority class.
    Prioritize {
        /// The new class.
        priority: Priority,
    },
    /// A note, which must not be empty.
    Note,
}

impl Command {
    /// The action the command records.
    pub fn action(&self) -> AlertAction {
        match self {
            Command::Acknowledge { .. } => AlertAction::Acknowledge,
            Command::Assign { .. } => AlertAction::Assign,
            Command::Monitor => AlertAction::Monitor,
            Command::RequireResponse => AlertAction::RequireResponse,
            Command::Dismiss { .. } => AlertAction::Dismiss,
            Command::Respond => AlertAction::Respond,
            Command::Track => AlertAction::Track,
            Command::Close => AlertAction::Close,
            Command::Reopen => AlertAction::Reopen,
            Command::Merge { .. } => AlertAction::Merge,
            Command::Escalate { .. } => AlertAction::Escalate,
            Command::Prioritize { .. } => AlertAction::Prioritize,
            Command::Note => AlertAction::Note,
        }
    }
}

/// Why an action was refused; the messages name the action and the state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The actor may not take this action at all.
    #[error("the {role} role may not {action} an alert")]
    NotPermitted {
        /// The action.
        action: &'static str,
        /// The actor's role (`system` for the system).
        role: &'static str,
    },
    /// The action does not apply in the alert's state.
    #[error("an alert that is {state} cannot take the action {action}")]
    NotFrom {
        /// The action.
        action: &'static str,
        /// The alert's state.
        state: &'static str,
    },
    /// An alert cannot be merged into itself, or into one already folded away.
    #[error("alert {0} cannot be merged into alert {1}")]
    BadMerge(i64, i64),
    /// Only officers and admins handle alerts.
    #[error("a {0} cannot be assigned an alert")]
    BadAssignee(&'static str),
    /// A note, an escalation or a re-opening says why.
    #[error("the action {0} needs a note")]
    NoteRequired(&'static str),
}

/// A deadline of an alert: when its time started and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// When the time started.
    pub from: Timestamp,
    /// When it ends.
    pub due: Timestamp,
}

/// What the store knows of an alert before a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// The alert's id.
    pub id: i64,
    /// Its state.
    pub state: AlertState,
    /// Its priority class.
    pub priority: Priority,
    /// Who verifies it.
    pub assignee: Option<i64>,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// The deadline to acknowledge.
    pub ack: Option<Deadline>,
    /// The deadline to decide.
    pub decide: Option<Deadline>,
    /// The deadline to respond.
    pub respond: Option<Deadline>,
    /// The alert it was merged into.
    pub merged_into: Option<i64>,
    /// Why it was dismissed.
    pub dismiss_reason: Option<DismissReason>,
    /// Whom it was last escalated to.
    pub escalated_to: Option<EscalationTarget>,
    /// Why it came back by itself, until a person acts on it.
    pub regrown: Option<String>,
}

impl Current {
    /// The alert's deadline of `kind`, if it has one.
    pub fn deadline(&self, kind: DeadlineKind) -> Option<Deadline> {
        match kind {
            DeadlineKind::Acknowledge => self.ack,
            DeadlineKind::Decide => self.decide,
            DeadlineKind::Respond => self.respond,
        }
    }
}

/// One change to an alert: its new handling fields and the event that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The alert.
    pub alert_id: i64,
    /// What happened.
    pub action: AlertAction,
    /// The state before.
    pub from: AlertState,
    /// The state after.
    pub to: AlertState,
    /// The priority after.
    pub priority: Priority,
    /// The assignee after.
    pub assignee: Option<i64>,
    /// The deadlines after.
    pub ack: Option<Deadline>,
    /// The deadline to decide after.
    pub decide: Option<Deadline>,
    /// The deadline to respond after.
    pub respond: Option<Deadline>,
    /// The merge target after.
    pub merged_into: Option<i64>,
    /// The dismissal reason after (cleared when the alert comes back).
    pub dismiss_reason: Option<DismissReason>,
    /// The latest escalation after.
    pub escalated_to: Option<EscalationTarget>,
    /// Why it came back by itself (set by [`regrowth`], cleared by a person's action).
    pub regrown: Option<String>,
    /// Who acted.
    pub actor: Actor,
    /// When.
    pub at: Timestamp,
    /// The person's note.
    pub note: Option<String>,
    /// The event's data.
    pub data: Value,
}

use AlertAction as A;
use AlertState as S;

/// Every state change the workflow allows: (from, action, to). Actions that leave the state
/// as it is ([`STAYING`]) are not listed here.
pub const TRANSITIONS: &[(AlertState, AlertAction, AlertState)] = &[
    (S::New, A::Acknowledge, S::Acknowledged),
    (S::New, A::Dismiss, S::Dismissed),
    (S::New, A::Merge, S::Merged),
    (S::Acknowledged, A::Assign, S::Verifying),
    (S::Acknowledged, A::Dismiss, S::Dismissed),
    (S::Acknowledged, A::Merge, S::Merged),
    (S::Verifying, A::Monitor, S::Monitoring),
    (S::Verifying, A::RequireResponse, S::ResponseNeeded),
    (S::Verifying, A::Dismiss, S::Dismissed),
    (S::Verifying, A::Merge, S::Merged),
    (S::Monitoring, A::RequireResponse, S::ResponseNeeded),
    (S::Monitoring, A::Dismiss, S::Dismissed),
    (S::Monitoring, A::Close, S::Closed),
    (S::Monitoring, A::Merge, S::Merged),
    (S::ResponseNeeded, A::Respond, S::Responded),
    (S::ResponseNeeded, A::Monitor, S::Monitoring),
    (S::ResponseNeeded, A::Merge, S::Merged),
    (S::Responded, A::Track, S::Tracking),
    (S::Responded, A::Close, S::Closed),
    (S::Tracking, A::Close, S::Closed),
    (S::Dismissed, A::Reopen, S::Acknowledged),
    (S::Dismissed, A::Regrow, S::New),
    (S::Closed, A::Reopen, S::Acknowledged),
    (S::Closed, A::Regrow, S::New),
    (S::Merged, A::Reopen, S::Acknowledged),
];

/// Actions that keep the state, with the states they apply in.
pub const STAYING: &[(AlertAction, &[AlertState])] = &[
    (A::Assign, &[S::Verifying, S::Monitoring, S::ResponseNeeded, S::Responded, S::Tracking]),
    (A::Respond, &[S::Responded, S::Tracking]),
    (A::Escalate, OPEN),
    (A::Prioritize, OPEN),
    (A::Absorb, OPEN),
    (A::Deadline, OPEN),
    (A::Note, ALL_STATES),
    (A::Correction, ALL_STATES),
];

const OPEN: &[AlertState] = &[
    S::New,
    S::Acknowledged,
    S::Verifying,
    S::Monitoring,
    S::ResponseNeeded,
    S::Responded,
    S::Tracking,
];
const ALL_STATES: &[AlertState] = AlertState::ALL;

/// The state `action` moves an alert in `from` to, or `None` when it does not apply there.
pub fn next_state(from: AlertState, action: AlertAction) -> Option<AlertState> {
    if let Some(&(_, _, to)) = TRANSITIONS.iter().find(|(f, a, _)| *f == from && *a == action) {
        return Some(to);
    }
    STAYING.iter().find(|(a, states)| *a == action && states.contains(&from)).map(|_| from)
}

/// Actions only the system takes: detection, growth, deadlines and correction checks; and
/// the other half of a merge, which follows from the person's merge.
const SYSTEM_ONLY: &[AlertAction] = &[A::Opened, A::Regrow, A::Absorb, A::Deadline, A::Correction];

/// Actions the system takes besides its own: starting the tracking once a response is
/// recorded, and closing when the tracking window ends.
const SYSTEM_ALSO: &[AlertAction] = &[A::Track, A::Close];

/// Whether `actor` may take `action` at all (in some state). Viewers read; officers and
/// admins act on alerts; the system opens, regrows and records what it observes.
pub fn permitted(actor: Actor, action: AlertAction) -> bool {
    match actor {
        Actor::System => SYSTEM_ONLY.contains(&action) || SYSTEM_ALSO.contains(&action),
        Actor::User { role: Role::Viewer, .. } => false,
        Actor::User { .. } => !SYSTEM_ONLY.contains(&action),
    }
}

/// The actions a user with `role` may take on an alert in `state`, in table order, for the
/// alert page to offer as forms.
pub fn available(state: AlertState, role: Role) -> Vec<AlertAction> {
    let actor = Actor::User { id: 0, role };
    AlertAction::ALL
        .iter()
        .copied()
        .filter(|&a| permitted(actor, a) && next_state(state, a).is_some())
        .collect()
}

/// The priority an alert opens with: critical hits are P1, high ones and spikes P2, the rest
/// P3. The person who acknowledges it may change it.
pub fn default_priority(kind: RuleKind, severity: Severity) -> Priority {
    match (kind, severity) {
        (_, Severity::Critical) => Priority::P1,
        (RuleKind::Spike, _) | (_, Severity::High) => Priority::P2,
        _ => Priority::P3,
    }
}

fn deadline(
    schedule: &Schedule,
    priority: Priority,
    kind: DeadlineKind,
    from: Timestamp,
) -> Option<Deadline> {
    schedule.due(priority, kind, from).map(|due| Deadline { from, due })
}

/// The handling an alert opens with, recorded as its `opened` event.
pub fn opening(
    alert_id: i64,
    kind: RuleKind,
    severity: Severity,
    opened_at: Timestamp,
    schedule: &Schedule,
) -> Change {
    let priority = default_priority(kind, severity);
    Change {
        alert_id,
        action: A::Opened,
        from: S::New,
        to: S::New,
        priority,
        assignee: None,
        ack: deadline(schedule, priority, DeadlineKind::Acknowledge, opened_at),
        decide: None,
        respond: None,
        merged_into: None,
        dismiss_reason: None,
        escalated_to: None,
        regrown: None,
        actor: Actor::System,
        at: opened_at,
        note: None,
        data: json!({ "priority": priority.as_str() }),
    }
}

/// What growth does to an alert that was dismissed or closed: it comes back as new, with the
/// reason shown and a fresh deadline to acknowledge. `None` when the alert is open (it just
/// grows) or merged (its growth belongs to the alert it was merged into).
pub fn regrowth(
    current: &Current,
    new_documents: usize,
    new_outlets: usize,
    at: Timestamp,
    schedule: &Schedule,
) -> Option<Change> {
    let to = next_state(current.state, A::Regrow)?;
    let was = match current.state {
        S::Dismissed => match current.dismiss_reason {
            Some(r) => format!("đã bỏ qua ({})", r.label().to_lowercase()),
            None => "đã bỏ qua".to_owned(),
        },
        _ => "đã đóng".to_owned(),
    };
    let reason =
        format!("Có thêm {new_documents} tài liệu từ {new_outlets} nguồn sau khi cảnh báo {was}.");
    let mut change = base(current, A::Regrow, to, Actor::System, at, None);
    change.ack = deadline(schedule, current.priority, DeadlineKind::Acknowledge, at);
    change.decide = None;
    change.data = json!({
        "documents": new_documents,
        "outlets": new_outlets,
        "previous_state": current.state.as_str(),
        "previous_reason": current.dismiss_reason.map(|r| r.as_str()),
        "reason": reason,
    });
    change.regrown = Some(reason);
    change.dismiss_reason = None;
    Some(change)
}

fn base(
    current: &Current,
    action: AlertAction,
    to: AlertState,
    actor: Actor,
    at: Timestamp,
    note: Option<&str>,
) -> Change {
    Change {
        alert_id: current.id,
        action,
        from: current.state,
        to,
        priority: current.priority,
        assignee: current.assignee,
        ack: current.ack,
        decide: current.decide,
        respond: current.respond,
        merged_into: current.merged_into,
        dismiss_reason: current.dismiss_reason,
        escalated_to: current.escalated_to,
        regrown: current.regrown.clone(),
        actor,
        at,
        note: note.map(str::to_owned),
        data: Value::Null,
    }
}

/// Decides what `command` by `actor` does to the alert `current` at `now`.
pub fn decide(
    current: &Current,
    command: &Command,
    actor: Actor,
    note: Option<&str>,
    now: Timestamp,
    schedule: &Schedule,
) -> Result<Change, Refusal> {
    let action = command.action();
    if !permitted(actor, action) {
        let role = match actor {
            Actor::System => "system",
            Actor::User { role, .. } => role.as_str(),
        };
        return Err(Refusal::NotPermitted { action: action.as_str(), role });
    }
    let to = next_state(current.state, action)
        .ok_or(Refusal::NotFrom { action: action.as_str(), state: current.state.as_str() })?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_none() && matches!(action, A::Note | A::Escalate | A::Reopen) {
        return Err(Refusal::NoteRequired(action.as_str()));
    }
    let mut c = base(current, action, to, actor, now, note);
    if matches!(actor, Actor::User { .. }) {
        // A person has looked at it since it came back.
        c.regrown = None;
    }
    match command {
        Command::Acknowledge { priority } => {
            c.priority = priority.unwrap_or(current.priority);
            c.decide = deadline(schedule, c.priority, DeadlineKind::Decide, now);
            c.data = json!({ "priority": c.priority.as_str() });
        }
        Command::Assign { user, role } => {
            if *role == Role::Viewer {
                return Err(Refusal::BadAssignee(role.as_str()));
            }
            c.assignee = Some(*user);
            c.data = json!({ "assignee": user, "previous": current.assignee });
        }
        Command::Monitor | Command::Respond | Command::Track | Command::Close | Command::Note => {}
        Command::RequireResponse => {
            c.respond = current.respond.or_else(|| {
                deadline(schedule, c.priority, DeadlineKind::Respond, current.opened_at)
            });
        }
        Command::Dismiss { reason } => {
            c.dismiss_reason = Some(*reason);
            c.data = json!({ "reason": reason.as_str() });
        }
        Command::Reopen => {
            c.dismiss_reason = None;
            c.merged_into = None;
            c.decide = deadline(schedule, c.priority, DeadlineKind::Decide, now);
            c.data = json!({ "previous_state": current.state.as_str() });
        }
        Command::Merge { into } => {
            if *into == current.id {
                return Err(Refusal::BadMerge(current.id, *into));
            }
            c.merged_into = Some(*into);
            c.data = json!({ "into": into });
        }
        Command::Escalate { to } => {
            c.escalated_to = Some(*to);
            c.data = json!({ "to": to.as_str() });
        }
        Command::Prioritize { priority } => {
            c.priority = *priority;
            let again = |d: Option<Deadline>, kind| {
                d.and_then(|d| deadline(schedule, *priority, kind, d.from))
            };
            c.ack = again(current.ack, DeadlineKind::Acknowledge);
            c.decide = again(current.decide, DeadlineKind::Decide);
            c.respond = again(current.respond, DeadlineKind::Respond);
            c.data = json!({ "from": current.priority.as_str(), "to": priority.as_str() });
        }
    }
    Ok(c)
}

/// The system's merge, when two stories turn out to be one: the alert of the story that goes
/// is folded into the alert of the same rule on the story that stays. `None` when it is not
/// open (a dismissed or closed alert keeps its own key and history).
pub fn folding(current: &Current, into: i64, at: Timestamp) -> Option<Change> {
    if current.state.is_terminal() || current.id == into {
        return None;
    }
    let mut c = base(current, A::Merge, S::Merged, Actor::System, at, None);
    c.merged_into = Some(into);
    c.data = json!({ "into": into, "cause": "story" });
    Some(c)
}

/// The other half of a merge: the alert that carries on records what it absorbed. Refused
/// when the target is folded away or closed itself.
pub fn absorb(target: &Current, merged: &Change, now: Timestamp) -> Result<Change, Refusal> {
    if target.id == merged.alert_id || next_state(target.state, A::Absorb).is_none() {
        return Err(Refusal::BadMerge(merged.alert_id, target.id));
    }
    let mut c = base(target, A::Absorb, target.state, merged.actor, now, merged.note.as_deref());
    c.data = json!({ "from": merged.alert_id });
    Ok(c)
}

/// The events a deadline check records: each escalation mark (80, 100 and 150 per cent) of
/// the deadline that applies in the alert's state, reached by `now` and not yet recorded.
pub fn deadline_events(
    current: &Current,
    recorded: &[(DeadlineKind, u8)],
    now: Timestamp,
    schedule: &Schedule,
) -> Vec<Change> {
    let Some(kind) = DeadlineKind::of_state(current.state) else { return Vec::new() };
    let Some(d) = current.deadline(kind) else { return Vec::new() };
    let already: Vec<u8> = recorded.iter().filter(|(k, _)| *k == kind).map(|r| r.1).collect();
    schedule
        .crossings(current.priority, kind, d.from, now, &already)
        .into_iter()
        .map(|(percent, at)| {
            let mut c = base(current, A::Deadline, current.state, Actor::System, at, None);
            c.data = json!({
                "deadline": kind.as_str(),
                "percent": percent,
                "due": d.due.timestamp_millis(),
            });
            c
        })
        .collect()
}
