//! The 3C state machine as a table: no transition outside it is accepted, no role does what
//! it may not, re-opening leaves an event, and deadlines follow the priority.

use alerts::deadlines::Schedule;
use alerts::triage::{
    Actor, Command, Current, Refusal, TRANSITIONS, absorb, available, decide, next_state, opening,
    permitted, regrowth,
};
use chrono::{Duration, TimeZone, Utc};
use model::{
    AlertAction, AlertState, DismissReason, EscalationTarget, Priority, Role, RuleKind, Severity,
    Timestamp,
};
use proptest::prelude::*;

fn at(hours: i64) -> Timestamp {
    // Monday 7 December 2026, 09:00 in Vietnam.
    Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap() + Duration::hours(hours)
}

fn current(state: AlertState) -> Current {
    let schedule = Schedule::default();
    let open = opening(1, RuleKind::Rumor, Severity::High, at(0), &schedule);
    Current {
        id: 1,
        state,
        priority: open.priority,
        assignee: None,
        opened_at: at(0),
        ack: open.ack,
        decide: None,
        respond: None,
        merged_into: None,
        dismiss_reason: None,
        escalated_to: None,
        regrown: None,
    }
}

fn command_for(action: AlertAction) -> Option<Command> {
    Some(match action {
        AlertAction::Acknowledge => Command::Acknowledge { priority: Some(Priority::P2) },
        AlertAction::Assign => Command::Assign { user: 7, role: Role::Officer },
        AlertAction::Monitor => Command::Monitor,
        AlertAction::RequireResponse => Command::RequireResponse,
        AlertAction::Dismiss => Command::Dismiss { reason: DismissReason::FalsePositive },
        AlertAction::Respond => Command::Respond,
        AlertAction::Track => Command::Track,
        AlertAction::Close => Command::Close,
        AlertAction::Reopen => Command::Reopen,
        AlertAction::Merge => Command::Merge { into: 2 },
        AlertAction::Escalate => Command::Escalate { to: EscalationTarget::Ministry },
        AlertAction::Prioritize => Command::Prioritize { priority: Priority::P1 },
        AlertAction::Note => Command::Note,
        // The system's own: never a person's command.
        AlertAction::Opened
        | AlertAction::Regrow
        | AlertAction::Absorb
        | AlertAction::Deadline
        | AlertAction::Correction => return None,
    })
}

fn actor(role: Option<Role>) -> Actor {
    match role {
        Some(role) => Actor::User { id: 7, role },
        None => Actor::System,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever the state, action and actor, a command is accepted exactly when the table
    /// has the move and the actor may take the action, and then it lands where the table
    /// says, with one event's worth of change.
    #[test]
    fn only_the_table_moves_an_alert(
        state in prop::sample::select(AlertState::ALL),
        action in prop::sample::select(AlertAction::ALL),
        role in prop::option::of(prop::sample::select(Role::ALL)),
    ) {
        let Some(command) = command_for(action) else { return Ok(()) };
        let before = current(state);
        let who = actor(role);
        let got = decide(&before, &command, who, Some("ghi chú"), at(1), &Schedule::default());
        let expected = next_state(state, action).filter(|_| permitted(who, action));
        match (got, expected) {
            (Ok(change), Some(to)) => {
                prop_assert_eq!(change.from, state);
                prop_assert_eq!(change.to, to);
                prop_assert_eq!(change.action, action);
                prop_assert_eq!(change.actor, who);
            }
            (Err(_), None) => {}
            (got, expected) => prop_assert!(false, "{state:?} {action:?} by {who:?}: got {got:?}, table says {expected:?}"),
        }
    }

    /// A viewer can do nothing; the system cannot take a person's decisions.
    #[test]
    fn no_role_does_what_it_may_not(
        state in prop::sample::select(AlertState::ALL),
        action in prop::sample::select(AlertAction::ALL),
    ) {
        let Some(command) = command_for(action) else { return Ok(()) };
        let before = current(state);
        let viewer = decide(&before, &command, actor(Some(Role::Viewer)), Some("x"), at(1), &Schedule::default());
        let is_not_permitted = matches!(viewer, Err(Refusal::NotPermitted { .. }));
        prop_assert!(is_not_permitted);
        let system = decide(&before, &command, Actor::System, Some("x"), at(1), &Schedule::default());
        if !matches!(action, AlertAction::Track | AlertAction::Close) {
            let is_not_permitted = matches!(system, Err(Refusal::NotPermitted { .. }));
            prop_assert!(is_not_permitted);
        }
        prop_assert!(available(state, Role::Viewer).is_empty());
    }
}

#[test]
fn every_listed_transition_is_reachable_by_an_officer_or_the_system() {
    for &(from, action, to) in TRANSITIONS {
        let by_officer = command_for(action).map(|c| {
            decide(
                &current(from),
                &c,
                actor(Some(Role::Officer)),
                Some("n"),
                at(1),
                &Schedule::default(),
            )
        });
        let ok = match by_officer {
            Some(Ok(change)) => change.to == to,
            _ => matches!(action, AlertAction::Regrow),
        };
        assert!(ok, "{from:?} --{action:?}--> {to:?}");
    }
}

#[test]
fn reopening_needs_a_note_and_leaves_an_event() {
    let officer = actor(Some(Role::Officer));
    let closed = current(AlertState::Closed);
    let refused = decide(&closed, &Command::Reopen, officer, None, at(2), &Schedule::default());
    assert_eq!(refused, Err(Refusal::NoteRequired("reopen")));
    let change =
        decide(&closed, &Command::Reopen, officer, Some("có bài mới"), at(2), &Schedule::default())
            .unwrap();
    assert_eq!(
        (change.action, change.from, change.to),
        (AlertAction::Reopen, AlertState::Closed, AlertState::Acknowledged)
    );
    assert_eq!(change.note.as_deref(), Some("có bài mới"));
    assert!(change.decide.is_some(), "a re-opened alert has a deadline to decide again");
}

#[test]
fn acknowledging_sets_the_priority_and_the_deadline_to_decide() {
    let schedule = Schedule::default();
    let change = decide(
        &current(AlertState::New),
        &Command::Acknowledge { priority: Some(Priority::P1) },
        actor(Some(Role::Officer)),
        None,
        at(1),
        &schedule,
    )
    .unwrap();
    assert_eq!(change.priority, Priority::P1);
    let decide_by = change.decide.unwrap();
    // P1 decides within 4 hours, around the clock.
    assert_eq!((decide_by.from, decide_by.due), (at(1), at(5)));
}

#[test]
fn critical_hits_open_as_p1_and_spikes_as_p2() {
    let schedule = Schedule::default();
    let p1 = opening(1, RuleKind::Rumor, Severity::Critical, at(0), &schedule);
    assert_eq!(p1.priority, Priority::P1);
    assert_eq!(p1.ack.unwrap().due, at(0) + Duration::minutes(30));
    assert_eq!(opening(2, RuleKind::Spike, Severity::Low, at(0), &schedule).priority, Priority::P2);
    assert_eq!(
        opening(3, RuleKind::Watch, Severity::Medium, at(0), &schedule).priority,
        Priority::P3
    );
    assert_eq!((p1.action, p1.actor), (AlertAction::Opened, Actor::System));
}

#[test]
fn a_dismissed_alert_that_grows_comes_back_with_its_reason() {
    let mut dismissed = current(AlertState::Dismissed);
    dismissed.dismiss_reason = Some(DismissReason::NotRelevant);
    let change = regrowth(&dismissed, 3, 2, at(30), &Schedule::default()).unwrap();
    assert_eq!(
        (change.from, change.to, change.action),
        (AlertState::Dismissed, AlertState::New, AlertAction::Regrow)
    );
    let reason = change.regrown.unwrap();
    assert!(reason.contains("3 tài liệu") && reason.contains("2 nguồn"), "{reason}");
    assert!(reason.contains("không liên quan"), "{reason}");
    assert!(change.ack.is_some());
    assert_eq!(change.dismiss_reason, None);
    // Open or merged alerts do not regrow.
    assert!(
        regrowth(&current(AlertState::Verifying), 1, 1, at(30), &Schedule::default()).is_none()
    );
    assert!(regrowth(&current(AlertState::Merged), 1, 1, at(30), &Schedule::default()).is_none());
}

#[test]
fn merging_into_itself_or_a_finished_alert_is_refused() {
    let officer = actor(Some(Role::Officer));
    let mut a = current(AlertState::Verifying);
    a.id = 2;
    let into_self =
        decide(&a, &Command::Merge { into: 2 }, officer, None, at(1), &Schedule::default());
    assert_eq!(into_self, Err(Refusal::BadMerge(2, 2)));
    let merge = decide(
        &current(AlertState::New),
        &Command::Merge { into: 2 },
        officer,
        None,
        at(1),
        &Schedule::default(),
    )
    .unwrap();
    assert!(absorb(&a, &merge, at(1)).is_ok());
    let mut closed = current(AlertState::Closed);
    closed.id = 2;
    assert!(absorb(&closed, &merge, at(1)).is_err());
}

#[test]
fn a_viewer_cannot_be_assigned_and_notes_cannot_be_empty() {
    let officer = actor(Some(Role::Officer));
    let ack = current(AlertState::Acknowledged);
    let viewer = Command::Assign { user: 3, role: Role::Viewer };
    assert_eq!(
        decide(&ack, &viewer, officer, None, at(1), &Schedule::default()),
        Err(Refusal::BadAssignee("viewer"))
    );
    assert_eq!(
        decide(&ack, &Command::Note, officer, Some("   "), at(1), &Schedule::default()),
        Err(Refusal::NoteRequired("note"))
    );
}

#[test]
fn officers_are_offered_the_actions_of_the_state() {
    let offered = available(AlertState::New, Role::Officer);
    assert!(offered.contains(&AlertAction::Acknowledge));
    assert!(offered.contains(&AlertAction::Dismiss));
    assert!(!offered.contains(&AlertAction::Respond));
    assert!(!offered.contains(&AlertAction::Opened));
    let closed = available(AlertState::Closed, Role::Admin);
    assert_eq!(closed, [AlertAction::Reopen, AlertAction::Note]);
}
