//! Who is told of an alert event, and when: a pure decision over the event, the alert as it
//! stands and the subscriptions, with the clock passed in. No IO.
//!
//! An event concerns a subscription when it is news (the alert opened, came back, reached a
//! decision, was escalated, passed a deadline mark, was raised in priority) and the alert
//! passes the subscription's kinds, priority, rule and province filters; an assignment
//! concerns only the person assigned, and the alert's assignee hears of every change to it
//! whatever their filters. Nobody is told of what they did themselves. Quiet hours hold a
//! message back until they end, except for P1 alerts and deadline marks, which go at once.

use std::collections::BTreeMap;

use alerts::deadlines::DeadlineKind;
use chrono::{Days, NaiveTime, TimeZone, Utc};
use model::{
    AlertAction, AlertEvent, EscalationTarget, Priority, QuietHours, Subscriber,
    SubscriptionSettings, Timestamp, VN_OFFSET,
};
use store::AlertFacts;

/// What an event tells a subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The alert was raised.
    Opened,
    /// It came back by itself after it was dismissed or closed.
    Regrown,
    /// It reached a decision, was answered, closed or re-opened.
    StateChanged,
    /// It was reported to another body.
    Escalated(Option<EscalationTarget>),
    /// A deadline passed a mark (80, 100 or 150 per cent of its time).
    Deadline {
        /// Which deadline.
        kind: DeadlineKind,
        /// Which mark.
        percent: u8,
    },
    /// It was given to a person.
    Assigned {
        /// The user it was given to.
        user: i64,
    },
    /// Its priority was raised.
    PriorityRaised {
        /// The priority before.
        from: Priority,
    },
}

impl Notice {
    /// What `event` tells, if anything: notes, acknowledgements, merges, correction checks
    /// and lowered priorities are not news to send.
    pub fn of(event: &AlertEvent) -> Option<Notice> {
        let data: serde_json::Value =
            event.data.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
        let text = |key: &str| data.get(key).and_then(serde_json::Value::as_str);
        Some(match event.action {
            AlertAction::Opened => Notice::Opened,
            AlertAction::Regrow => Notice::Regrown,
            AlertAction::Monitor
            | AlertAction::RequireResponse
            | AlertAction::Dismiss
            | AlertAction::Respond
            | AlertAction::Close
            | AlertAction::Reopen => Notice::StateChanged,
            AlertAction::Escalate => Notice::Escalated(text("to").and_then(|t| t.parse().ok())),
            AlertAction::Deadline => Notice::Deadline {
                kind: text("deadline")?.parse().ok()?,
                percent: u8::try_from(data.get("percent")?.as_u64()?).ok()?,
            },
            AlertAction::Assign => Notice::Assigned { user: data.get("assignee")?.as_i64()? },
            AlertAction::Prioritize => {
                let from: Priority = text("from")?.parse().ok()?;
                let to: Priority = text("to")?.parse().ok()?;
                // P1 is the most urgent and sorts first.
                if to >= from {
                    return None;
                }
                Notice::PriorityRaised { from }
            }
            AlertAction::Acknowledge
            | AlertAction::Track
            | AlertAction::Merge
            | AlertAction::Absorb
            | AlertAction::Note
            | AlertAction::Correction => return None,
        })
    }

    /// The event type a webhook receives (`alert.opened`…).
    pub fn event_type(self) -> &'static str {
        match self {
            Notice::Opened => "alert.opened",
            Notice::Regrown => "alert.regrown",
            Notice::StateChanged => "alert.state_changed",
            Notice::Escalated(_) => "alert.escalated",
            Notice::Deadline { .. } => "alert.deadline",
            Notice::Assigned { .. } => "alert.assigned",
            Notice::PriorityRaised { .. } => "alert.priority_raised",
        }
    }

    /// The outbox kind of its messages: deadline marks and escalations are `escalation`,
    /// the rest `alert`.
    pub fn outbox_kind(self) -> &'static str {
        match self {
            Notice::Escalated(_) | Notice::Deadline { .. } => "escalation",
            _ => "alert",
        }
    }
}

/// One subscription an event concerns, and when its message is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient<'a> {
    /// The subscription and its user.
    pub subscriber: &'a Subscriber,
    /// When the message may be sent: now, or the end of the user's quiet hours.
    pub due: Timestamp,
}

/// Whether the alert passes a subscription's filters: its kind, its priority (at least as
/// urgent as asked), its rule and its provinces (an empty filter passes everything).
pub fn passes(settings: &SubscriptionSettings, facts: &AlertFacts) -> bool {
    let alert = &facts.alert;
    (settings.kinds.is_empty() || settings.kinds.contains(&alert.kind))
        && alert.handling.priority <= settings.min_priority
        && (settings.topics.is_empty() || settings.topics.contains(&alert.rule_id))
        && (settings.provinces.is_empty()
            || settings.provinces.iter().any(|p| facts.provinces.contains(p)))
}

/// Whether a notice goes out even in quiet hours: anything about a P1 alert, and every
/// deadline mark.
pub fn is_urgent(notice: Notice, facts: &AlertFacts) -> bool {
    facts.alert.handling.priority == Priority::P1 || matches!(notice, Notice::Deadline { .. })
}

/// The end of the quiet hours `now` falls in, if it falls in them.
pub fn quiet_until(quiet: QuietHours, now: Timestamp) -> Option<Timestamp> {
    let local = model::to_vn_time(now);
    let (date, time) = (local.date_naive(), local.time());
    let QuietHours { start, end } = quiet;
    let end_on = |d: chrono::NaiveDate| {
        VN_OFFSET.from_local_datetime(&d.and_time(end)).single().map(|t| t.with_timezone(&Utc))
    };
    if start == end {
        None
    } else if start < end {
        (start <= time && time < end).then(|| end_on(date)).flatten()
    } else if time >= start {
        end_on(date.checked_add_days(Days::new(1))?)
    } else if time < end {
        end_on(date)
    } else {
        None
    }
}

/// When a message for `settings` may go: now, or when its quiet hours end.
fn due(settings: &SubscriptionSettings, urgent: bool, now: Timestamp) -> Timestamp {
    match settings.quiet {
        Some(q) if !urgent => quiet_until(q, now).unwrap_or(now),
        _ => now,
    }
}

/// The subscriptions `event` concerns, each with the time its message is due.
pub fn recipients<'a>(
    event: &AlertEvent,
    notice: Notice,
    facts: &AlertFacts,
    subscribers: &'a [Subscriber],
    now: Timestamp,
) -> Vec<Recipient<'a>> {
    let actor = event.actor.as_ref().map(|(id, _)| *id);
    let assignee = facts.alert.handling.assignee.as_ref().map(|(id, _)| *id);
    let urgent = is_urgent(notice, facts);
    subscribers
        .iter()
        .filter(|s| {
            let settings = &s.subscription.settings;
            let user = s.subscription.user_id;
            if !settings.enabled || !settings.alerts || actor == Some(user) {
                return false;
            }
            match notice {
                Notice::Assigned { user: to } => to == user,
                // Their own alert, whatever they filter; an opening has nobody assigned yet.
                _ if assignee == Some(user) => true,
                _ => passes(settings, facts),
            }
        })
        .map(|s| Recipient { subscriber: s, due: due(&s.subscription.settings, urgent, now) })
        .collect()
}

/// Where the notification cursor may move after reading the events `ids` (ascending, each
/// after `cursor`): up to the last id before the first gap, because on PostgreSQL an event
/// with a smaller id may still be committed after a larger one. A gap is waited for at
/// most `hold` from when it was first seen (`gaps`, keyed by its first missing id, kept
/// between passes); then it is taken for an id never committed (a rolled-back
/// transaction, a purged alert) and passed.
pub fn settle(
    cursor: i64,
    ids: &[i64],
    gaps: &mut BTreeMap<i64, Timestamp>,
    now: Timestamp,
    hold: chrono::Duration,
) -> i64 {
    let mut at = cursor;
    for &id in ids {
        if id <= at {
            continue;
        }
        if id > at + 1 {
            let seen = *gaps.entry(at + 1).or_insert(now);
            if now - seen < hold {
                break;
            }
        }
        at = id;
    }
    gaps.retain(|&first_missing, _| first_missing > at);
    at
}

/// `HH:MM` as a time of day, for quiet hours and the digest's hour.
pub fn parse_hhmm(text: &str) -> Option<NaiveTime> {
    alerts::deadlines::parse_hhmm(text).ok()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use model::{Alert, AlertState, Channel, Handling, Role, RuleKind, Severity, Subscription};

    use super::*;

    /// Monday 7 December 2026, `h:m` in Vietnam.
    fn vn(h: u32, m: u32) -> Timestamp {
        VN_OFFSET.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap().with_timezone(&Utc)
    }

    fn facts(kind: RuleKind, priority: Priority, provinces: &[&str]) -> AlertFacts {
        AlertFacts {
            alert: Alert {
                id: 7,
                kind,
                rule_id: "crisis.ngo-doc".into(),
                subject: "story:3".into(),
                rule_title: "Ngộ độc tập thể".into(),
                severity: Severity::Critical,
                state: AlertState::New,
                first_seen: vn(6, 0),
                last_seen: vn(6, 0),
                doc_count: 1,
                last_document_id: 1,
                detail: None,
                handling: Handling { priority, ..Handling::default() },
            },
            provinces: provinces.iter().map(|p| (*p).to_owned()).collect(),
            latest_title: "Hơn 100 học sinh ngộ độc sau bữa trưa".into(),
            latest_source: "Báo A".into(),
        }
    }

    fn settings() -> SubscriptionSettings {
        SubscriptionSettings {
            channel: Channel::Email,
            target: "lan@soyte.example.vn".into(),
            kinds: Vec::new(),
            min_priority: Priority::P3,
            topics: Vec::new(),
            provinces: Vec::new(),
            quiet: None,
            alerts: true,
            digest: false,
            enabled: true,
        }
    }

    fn subscriber(id: i64, user: i64, settings: SubscriptionSettings) -> Subscriber {
        Subscriber {
            subscription: Subscription {
                id,
                user_id: user,
                settings,
                created_at: vn(0, 0),
                updated_at: vn(0, 0),
            },
            user: model::User {
                id: user,
                name: format!("u{user}"),
                role: Role::Officer,
                created_at: vn(0, 0),
                disabled_at: None,
            },
        }
    }

    fn event(action: AlertAction, actor: Option<i64>, data: &str) -> AlertEvent {
        AlertEvent {
            id: 1,
            alert_id: 7,
            at: vn(6, 0),
            actor: actor.map(|id| (id, format!("u{id}"))),
            action,
            from: AlertState::New,
            to: AlertState::New,
            note: None,
            data: (!data.is_empty()).then(|| data.to_owned()),
        }
    }

    fn ids(r: &[Recipient<'_>]) -> Vec<i64> {
        r.iter().map(|r| r.subscriber.subscription.id).collect()
    }

    #[test]
    fn news_is_told_and_chatter_is_not() {
        let of = |action, data| Notice::of(&event(action, None, data));
        assert_eq!(of(AlertAction::Opened, r#"{"priority":"p1"}"#), Some(Notice::Opened));
        assert_eq!(of(AlertAction::Note, ""), None);
        assert_eq!(of(AlertAction::Acknowledge, r#"{"priority":"p2"}"#), None);
        assert_eq!(
            of(AlertAction::Deadline, r#"{"deadline":"acknowledge","percent":100,"due":1}"#),
            Some(Notice::Deadline { kind: DeadlineKind::Acknowledge, percent: 100 })
        );
        assert_eq!(
            of(AlertAction::Assign, r#"{"assignee":4,"previous":null}"#),
            Some(Notice::Assigned { user: 4 })
        );
        assert_eq!(
            of(AlertAction::Prioritize, r#"{"from":"p3","to":"p1"}"#),
            Some(Notice::PriorityRaised { from: Priority::P3 })
        );
        assert_eq!(of(AlertAction::Prioritize, r#"{"from":"p1","to":"p3"}"#), None);
        assert_eq!(
            of(AlertAction::Escalate, r#"{"to":"ministry"}"#),
            Some(Notice::Escalated(Some(EscalationTarget::Ministry)))
        );
        assert_eq!(Notice::Opened.event_type(), "alert.opened");
        assert_eq!(
            Notice::Deadline { kind: DeadlineKind::Decide, percent: 80 }.outbox_kind(),
            "escalation"
        );
    }

    #[test]
    fn filters_pick_kinds_priorities_rules_and_provinces() {
        let f = facts(RuleKind::Crisis, Priority::P2, &["75"]);
        let mut s = settings();
        assert!(passes(&s, &f));
        s.kinds = vec![RuleKind::Rumor];
        assert!(!passes(&s, &f));
        s.kinds = vec![RuleKind::Rumor, RuleKind::Crisis];
        assert!(passes(&s, &f));
        s.min_priority = Priority::P1;
        assert!(!passes(&s, &f), "P2 is less urgent than asked");
        s.min_priority = Priority::P2;
        assert!(passes(&s, &f));
        s.topics = vec!["rumor.than-duoc".into()];
        assert!(!passes(&s, &f));
        s.topics.push("crisis.ngo-doc".into());
        assert!(passes(&s, &f));
        s.provinces = vec!["79".into()];
        assert!(!passes(&s, &f));
        s.provinces.push("75".into());
        assert!(passes(&s, &f));
        // A province filter leaves out alerts about no province.
        assert!(!passes(&s, &facts(RuleKind::Crisis, Priority::P2, &[])));
    }

    #[test]
    fn quiet_hours_hold_until_they_end_even_over_midnight() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let night = QuietHours { start: t(22, 0), end: t(6, 30) };
        assert_eq!(quiet_until(night, vn(23, 15)), Some(vn(6, 30) + Duration::days(1)));
        assert_eq!(quiet_until(night, vn(2, 0)), Some(vn(6, 30)));
        assert_eq!(quiet_until(night, vn(6, 30)), None);
        assert_eq!(quiet_until(night, vn(12, 0)), None);
        let lunch = QuietHours { start: t(11, 30), end: t(13, 30) };
        assert_eq!(quiet_until(lunch, vn(11, 30)), Some(vn(13, 30)));
        assert_eq!(quiet_until(lunch, vn(13, 30)), None);
        assert_eq!(quiet_until(QuietHours { start: t(8, 0), end: t(8, 0) }, vn(8, 0)), None);
    }

    #[test]
    fn p1_alerts_and_deadline_marks_break_quiet_hours_the_rest_waits() {
        let mut quiet = settings();
        quiet.quiet = Some(QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(6, 30, 0).unwrap(),
        });
        let subs = [subscriber(1, 10, quiet)];
        let now = vn(23, 0);
        let opened = event(AlertAction::Opened, None, "");
        let p1 = recipients(
            &opened,
            Notice::Opened,
            &facts(RuleKind::Crisis, Priority::P1, &[]),
            &subs,
            now,
        );
        assert_eq!(p1[0].due, now);
        let p2 = recipients(
            &opened,
            Notice::Opened,
            &facts(RuleKind::Rumor, Priority::P2, &[]),
            &subs,
            now,
        );
        assert_eq!(p2[0].due, vn(6, 30) + Duration::days(1));
        let mark = Notice::Deadline { kind: DeadlineKind::Acknowledge, percent: 80 };
        let d = recipients(
            &event(AlertAction::Deadline, None, ""),
            mark,
            &facts(RuleKind::Rumor, Priority::P3, &[]),
            &subs,
            now,
        );
        assert_eq!(d[0].due, now);
    }

    #[test]
    fn assignments_go_to_the_assignee_and_nobody_hears_of_their_own_acts() {
        let mut narrow = settings();
        narrow.kinds = vec![RuleKind::Spike];
        let mut off = settings();
        off.alerts = false;
        let subs = [
            subscriber(1, 10, settings()),
            subscriber(2, 11, narrow),
            subscriber(3, 12, settings()),
            subscriber(4, 13, off),
        ];
        let mut f = facts(RuleKind::Rumor, Priority::P2, &[]);
        let now = vn(9, 0);
        let assign = event(AlertAction::Assign, Some(12), r#"{"assignee":11}"#);
        let notice = Notice::of(&assign).unwrap();
        // Only the person assigned, though their filter would leave the alert out.
        assert_eq!(ids(&recipients(&assign, notice, &f, &subs, now)), [2]);
        // Once assigned, they hear of every change; the one who acted hears nothing.
        f.alert.handling.assignee = Some((11, "u11".into()));
        let decided = event(AlertAction::RequireResponse, Some(12), "");
        assert_eq!(ids(&recipients(&decided, Notice::StateChanged, &f, &subs, now)), [1, 2]);
        // A disabled subscription hears nothing.
        let opened = event(AlertAction::Opened, None, "");
        assert!(!ids(&recipients(&opened, Notice::Opened, &f, &subs, now)).contains(&4));
    }

    #[test]
    fn the_cursor_waits_for_gaps_for_a_while_then_passes_them() {
        let hold = Duration::seconds(30);
        let mut gaps = BTreeMap::new();
        let t0 = vn(9, 0);
        assert_eq!(settle(10, &[11, 12, 13], &mut gaps, t0, hold), 13);
        assert!(gaps.is_empty());
        // 15 is missing: 16 and 17 are handled, the cursor stops at 14.
        assert_eq!(settle(13, &[14, 16, 17], &mut gaps, t0, hold), 14);
        assert_eq!(gaps.len(), 1);
        // It commits: everything passes.
        assert_eq!(settle(14, &[15, 16, 17], &mut gaps, t0 + Duration::seconds(2), hold), 17);
        assert!(gaps.is_empty());
        // 18 never comes: waited for, then passed.
        assert_eq!(settle(17, &[19], &mut gaps, t0, hold), 17);
        assert_eq!(settle(17, &[19], &mut gaps, t0 + Duration::seconds(29), hold), 17);
        assert_eq!(settle(17, &[19], &mut gaps, t0 + Duration::seconds(30), hold), 19);
        assert!(gaps.is_empty());
    }
}
