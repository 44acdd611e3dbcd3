//! Handling figures from hand-built event sequences, with every expected number worked out
//! by hand: the durations and their medians, deadlines met and missed, the backlog, the
//! dismissal rates, and the open and overdue alerts of past days.

use alerts::deadlines::{DeadlineKind, Schedule};
use alerts::kpi::{
    AlertFacts, DurationStats, Month, Outcome, Period, Timeline, backlog_by_day, figures, vn_date,
    vn_day_end,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use model::{AlertAction, AlertEvent, AlertState, DismissReason, Priority, RuleKind, Timestamp};

/// Monday 7 December 2026, 09:00 in Vietnam.
fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap()
}

fn m(minutes: i64) -> Timestamp {
    t0() + Duration::minutes(minutes)
}

fn facts(
    id: i64,
    rule: &str,
    opened: Timestamp,
    origin: Option<Timestamp>,
    p: Priority,
) -> AlertFacts {
    AlertFacts {
        id,
        rule_id: rule.to_owned(),
        rule_title: format!("Quy tắc {rule}"),
        kind: RuleKind::Rumor,
        opened_at: opened,
        origin_published: origin,
        priority: p,
    }
}

/// Builds an alert's events from (time, action, to, data), each moving from the state
/// before; the first is its opening.
struct Events {
    next: i64,
    all: Vec<AlertEvent>,
}

impl Events {
    fn new() -> Events {
        Events { next: 1, all: Vec::new() }
    }

    fn alert(&mut self, id: i64, steps: &[(Timestamp, AlertAction, AlertState, Option<&str>)]) {
        let mut state = AlertState::New;
        for &(at, action, to, data) in steps {
            self.all.push(AlertEvent {
                id: self.next,
                alert_id: id,
                at,
                actor: (action != AlertAction::Opened).then(|| (7, "can-bo".to_owned())),
                action,
                from: state,
                to,
                note: None,
                data: data.map(str::to_owned),
            });
            self.next += 1;
            state = to;
        }
    }
}

use AlertAction as A;
use AlertState as S;

const P1: Option<&str> = Some(r#"{"priority":"p1"}"#);
const P2: Option<&str> = Some(r#"{"priority":"p2"}"#);

/// Five alerts of one day, judged a day after the first opened.
fn five() -> (Vec<AlertFacts>, Vec<AlertEvent>) {
    let mut e = Events::new();
    // 1: P1, acknowledged in 20 min, response required at 3 h, answered at 10 h.
    e.alert(
        1,
        &[
            (m(0), A::Opened, S::New, P1),
            (m(20), A::Acknowledge, S::Acknowledged, P1),
            (m(30), A::Assign, S::Verifying, Some(r#"{"assignee":7}"#)),
            (m(180), A::RequireResponse, S::ResponseNeeded, None),
            (m(600), A::Respond, S::Responded, Some(r#"{"channel":"website"}"#)),
        ],
    );
    // 2: P1, acknowledged 50 min after opening (late), dismissed an hour later.
    e.alert(
        2,
        &[
            (m(60), A::Opened, S::New, P1),
            (m(110), A::Acknowledge, S::Acknowledged, P1),
            (m(170), A::Dismiss, S::Dismissed, Some(r#"{"reason":"false_positive"}"#)),
        ],
    );
    // 3: P1, never acknowledged.
    e.alert(3, &[(m(120), A::Opened, S::New, P1)]);
    // 4: P2, acknowledged in an hour, decided to watch four hours later.
    e.alert(
        4,
        &[
            (m(0), A::Opened, S::New, P2),
            (m(60), A::Acknowledge, S::Acknowledged, P2),
            (m(120), A::Assign, S::Verifying, None),
            (m(300), A::Monitor, S::Monitoring, None),
        ],
    );
    // 5: P1, response required 50 min after acknowledgement, not answered yet.
    e.alert(
        5,
        &[
            (m(180), A::Opened, S::New, P1),
            (m(190), A::Acknowledge, S::Acknowledged, P1),
            (m(200), A::Assign, S::Verifying, None),
            (m(240), A::RequireResponse, S::ResponseNeeded, None),
        ],
    );
    let f = vec![
        facts(1, "rumor.a", m(0), Some(m(-120)), Priority::P1),
        facts(2, "rumor.a", m(60), Some(m(30)), Priority::P1),
        facts(3, "crisis.b", m(120), None, Priority::P1),
        facts(4, "rumor.a", m(0), Some(m(-360)), Priority::P2),
        facts(5, "crisis.b", m(180), Some(m(165)), Priority::P1),
    ];
    (f, e.all)
}

fn mins(n: i64) -> Option<Duration> {
    Some(Duration::minutes(n))
}

#[test]
fn durations_have_exact_medians_and_90th_percentiles() {
    let (f, events) = five();
    let period = Period { from: m(-24 * 60), to: m(24 * 60) };
    let k = figures(&f, &events, period, m(24 * 60), &Schedule::default());
    assert_eq!(k.at, m(24 * 60));
    // Detection: 15 min, 30 min, 2 h, 6 h.
    assert_eq!(k.ttd, DurationStats { count: 4, median: mins(75), p90: mins(288) });
    // Acknowledgement: 10, 20, 50 and 60 min.
    assert_eq!(k.tta, DurationStats { count: 4, median: mins(35), p90: mins(57) });
    // Decision: 50 min, 1 h, 2 h 40, 4 h.
    assert_eq!(k.ttdec, DurationStats { count: 4, median: mins(110), p90: mins(216) });
    assert_eq!(k.ttr, DurationStats { count: 1, median: mins(600), p90: mins(600) });
    assert_eq!(k.ttr_origin, DurationStats { count: 1, median: mins(720), p90: mins(720) });
    let c = k.counts;
    assert_eq!(
        (c.opened, c.acknowledged, c.decided, c.dismissed, c.responded, c.closed),
        (5, 4, 4, 1, 1, 0)
    );
}

#[test]
fn deadlines_are_met_missed_or_pending_per_priority_and_month() {
    let (f, events) = five();
    let period = Period { from: m(-24 * 60), to: m(24 * 60) };
    let k = figures(&f, &events, period, m(24 * 60), &Schedule::default());
    let cell = |p, kind| {
        let c = k.sla_total(p, kind);
        (c.met, c.missed)
    };
    // Acknowledged in 20 and 10 min; 50 min late and never.
    assert_eq!(cell(Priority::P1, DeadlineKind::Acknowledge), (2, 2));
    assert_eq!(cell(Priority::P1, DeadlineKind::Decide), (3, 0));
    // Alert 5's response is due a day after its opening: still pending, not counted.
    assert_eq!(cell(Priority::P1, DeadlineKind::Respond), (1, 0));
    assert_eq!(cell(Priority::P2, DeadlineKind::Acknowledge), (1, 0));
    assert_eq!(cell(Priority::P2, DeadlineKind::Decide), (1, 0));
    assert_eq!(cell(Priority::P3, DeadlineKind::Acknowledge), (0, 0));
    assert_eq!(k.months(), [Month { year: 2026, month: 12 }]);
    assert_eq!(k.sla_total(Priority::P1, DeadlineKind::Acknowledge).percent(), Some(50.0));

    // A day later alert 5's response is overdue and counted as missed, on the day it fell
    // due.
    let later = figures(
        &f,
        &events,
        Period { from: m(0), to: m(3 * 24 * 60) },
        m(2 * 24 * 60),
        &Schedule::default(),
    );
    let c = later.sla_total(Priority::P1, DeadlineKind::Respond);
    assert_eq!((c.met, c.missed), (1, 1));
}

#[test]
fn the_backlog_counts_open_alerts_by_state_age_and_deadline() {
    let (f, events) = five();
    let period = Period { from: m(-24 * 60), to: m(24 * 60) };
    let k = figures(&f, &events, period, m(24 * 60), &Schedule::default());
    let row = |s| k.backlog.rows.iter().find(|r| r.state == s).copied().unwrap();
    let new = row(S::New);
    assert_eq!(
        (new.count, new.overdue, new.by_age, new.oldest),
        (1, 1, [1, 0, 0, 0], mins(22 * 60))
    );
    let responded = row(S::Responded);
    // Exactly a day old: in the class of one to three days.
    assert_eq!(
        (responded.count, responded.by_age, responded.oldest),
        (1, [0, 1, 0, 0], mins(24 * 60))
    );
    assert_eq!(row(S::Monitoring).count, 1);
    let waiting = row(S::ResponseNeeded);
    assert_eq!((waiting.count, waiting.overdue, waiting.oldest), (1, 0, mins(21 * 60)));
    assert_eq!((row(S::Acknowledged).count, row(S::Verifying).count), (0, 0));
    let total = k.backlog.total();
    assert_eq!(
        (total.count, total.overdue, total.by_age, total.oldest),
        (4, 1, [2, 2, 0, 0], mins(24 * 60))
    );
}

#[test]
fn dismissal_rates_per_rule_come_highest_first_with_their_reasons() {
    let (mut f, mut events) = five();
    // Two more alerts of crisis.b dismissed as duplicates and one as not relevant.
    let mut e = Events { next: 100, all: Vec::new() };
    for (id, reason) in [(6, "duplicate"), (7, "duplicate"), (8, "not_relevant")] {
        e.alert(
            id,
            &[
                (m(10), A::Opened, S::New, P1),
                (m(15), A::Dismiss, S::Dismissed, Some(&format!(r#"{{"reason":"{reason}"}}"#))),
            ],
        );
        f.push(facts(id, "crisis.b", m(10), None, Priority::P1));
    }
    events.extend(e.all);
    let k = figures(
        &f,
        &events,
        Period { from: m(0), to: m(24 * 60) },
        m(24 * 60),
        &Schedule::default(),
    );
    let rates: Vec<(&str, usize, usize)> =
        k.dismissals.iter().map(|d| (d.rule_id.as_str(), d.decided, d.dismissed)).collect();
    assert_eq!(rates, [("crisis.b", 4, 3), ("rumor.a", 3, 1)]);
    assert_eq!(k.dismissals[0].percent(), 75.0);
    assert_eq!(
        k.dismissals[0].reasons,
        [(DismissReason::Duplicate, 2), (DismissReason::NotRelevant, 1)]
    );
    assert_eq!(k.dismissals[1].reasons, [(DismissReason::FalsePositive, 1)]);
    assert_eq!(k.dismissals[0].rule_title, "Quy tắc crisis.b");
    // Dismissed without being acknowledged: a decision, but no time to decide.
    assert_eq!(k.ttdec.count, 4);
}

#[test]
fn a_period_counts_what_happened_in_it() {
    let (f, events) = five();
    // From 2 h 30: alert 2's dismissal and alert 5's whole handling, but no opening of 1–4.
    let k = figures(
        &f,
        &events,
        Period { from: m(150), to: m(24 * 60) },
        m(24 * 60),
        &Schedule::default(),
    );
    assert_eq!(k.counts.opened, 1);
    assert_eq!(k.tta, DurationStats { count: 1, median: mins(10), p90: mins(10) });
    // Alert 1 decided at 3 h, alert 2 at 2 h 50, alert 4 at 5 h, alert 5 at 4 h.
    assert_eq!(k.ttdec.count, 4);
    // Alert 3's acknowledgement fell due at 2 h 30: missed inside the period; alert 2's
    // at 1 h 30, before it.
    assert_eq!(k.sla_total(Priority::P1, DeadlineKind::Acknowledge).missed, 1);
}

#[test]
fn regrowth_reopens_deadlines_and_a_priority_change_moves_them() {
    let mut e = Events::new();
    let tue = |h: i64| m(24 * 60 + h * 60);
    e.alert(
        1,
        &[
            (m(0), A::Opened, S::New, Some(r#"{"priority":"p3"}"#)),
            (m(60), A::Dismiss, S::Dismissed, Some(r#"{"reason":"not_relevant"}"#)),
            // Back on Tuesday 09:00 with a fresh day to acknowledge.
            (tue(0), A::Regrow, S::New, Some(r#"{"reason":"Có thêm tài liệu"}"#)),
            // Raised to P1 at 10:00: thirty minutes from 09:00 have passed already.
            (tue(1), A::Prioritize, S::New, Some(r#"{"from":"p3","to":"p1"}"#)),
        ],
    );
    let f = facts(1, "rumor.a", m(0), None, Priority::P1);
    let refs: Vec<&AlertEvent> = e.all.iter().collect();
    let t = Timeline::build(&f, &refs, &Schedule::default());
    assert_eq!(t.state_before(m(0)), None);
    assert_eq!(t.state_before(m(1)), Some(S::New));
    assert_eq!(t.state_before(m(60)), Some(S::New));
    assert_eq!(t.state_before(m(61)), Some(S::Dismissed));
    assert_eq!(t.open_since(tue(2)), Some(tue(0)));
    assert_eq!(t.deadlines.len(), 2);
    assert_eq!(t.deadlines[0].outcome(tue(3)), (Outcome::Met, Some(m(60))));
    let again = &t.deadlines[1];
    assert_eq!(
        (again.kind, again.priority, again.entered),
        (DeadlineKind::Acknowledge, Priority::P1, tue(0))
    );
    // P3: one business day, Wednesday 09:00; then P1: 09:30.
    assert_eq!(again.dues, [(tue(0), tue(24)), (tue(1), tue(0) + Duration::minutes(30))]);
    assert!(!t.overdue_before(tue(0) + Duration::minutes(45)), "still judged as P3 before 10:00");
    assert!(t.overdue_before(tue(1) + Duration::minutes(1)));
    assert_eq!(t.first_ack, None);

    let monday = vn_date(m(0));
    let days = backlog_by_day(&[t], [monday, monday.succ_opt().unwrap()]);
    let counts: Vec<(usize, usize, usize)> =
        days.iter().map(|d| (d.open, d.overdue, d.new)).collect();
    assert_eq!(counts, [(0, 0, 0), (1, 1, 1)]);
}

#[test]
fn a_withdrawn_response_deadline_is_not_counted_and_a_late_one_is_missed() {
    let mut e = Events::new();
    e.alert(
        1,
        &[
            (m(0), A::Opened, S::New, P1),
            (m(5), A::Acknowledge, S::Acknowledged, P1),
            (m(10), A::Assign, S::Verifying, None),
            (m(20), A::RequireResponse, S::ResponseNeeded, None),
            // Decided to watch instead: the response deadline is withdrawn…
            (m(60), A::Monitor, S::Monitoring, None),
            // …and comes back with its first due time (a day after opening) when a response
            // is required again two days later.
            (m(48 * 60), A::RequireResponse, S::ResponseNeeded, None),
            (m(49 * 60), A::Respond, S::Responded, None),
        ],
    );
    let f = [facts(1, "rumor.a", m(0), None, Priority::P1)];
    let k = figures(
        &f,
        &e.all,
        Period { from: m(0), to: m(72 * 60) },
        m(72 * 60),
        &Schedule::default(),
    );
    let c = k.sla_total(Priority::P1, DeadlineKind::Respond);
    assert_eq!((c.met, c.missed), (0, 1));
    // Only the first decision after the acknowledgement counts: 15 minutes.
    assert_eq!(k.ttdec.median, mins(15));
    assert_eq!(k.ttr.median, mins(49 * 60));
    // A response deadline counted on the day it fell due, a day after the opening.
    assert_eq!(k.sla.iter().filter(|s| s.kind == DeadlineKind::Respond).count(), 1);
}

#[test]
fn the_end_of_a_vietnam_day_is_the_next_midnight_there() {
    let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    assert_eq!(vn_day_end(d), Utc.with_ymd_and_hms(2026, 12, 7, 17, 0, 0).unwrap());
    assert_eq!(vn_date(vn_day_end(d)), d.succ_opt().unwrap());
    assert_eq!(vn_date(vn_day_end(d) - Duration::milliseconds(1)), d);
}

#[test]
fn statistics_of_nothing_one_and_many() {
    assert_eq!(DurationStats::of([]), DurationStats { count: 0, median: None, p90: None });
    let one = DurationStats::of([Duration::minutes(7)]);
    assert_eq!((one.median, one.p90), (mins(7), mins(7)));
    let ten = DurationStats::of((1..=10).map(Duration::minutes));
    // Median between 5 and 6; P90 at rank 8.1 of 0..9: 9 min 6 s.
    assert_eq!(ten.median, Some(Duration::seconds(330)));
    assert_eq!(ten.p90, Some(Duration::seconds(546)));
    // A clock gone wrong counts as zero.
    assert_eq!(DurationStats::of([Duration::minutes(-5)]).median, Some(Duration::zero()));
}
