//! Handling figures (KPIs) computed from alert events alone: how fast alerts were detected,
//! acknowledged, decided and answered, how many deadlines were kept, what is waiting now
//! and how often each rule's alerts were dismissed.
//!
//! Each alert's events are first replayed into a [`Timeline`]: its state changes, its first
//! acknowledgement, decision and response, and each deadline as it ran. The replay recomputes
//! the deadlines with the [`Schedule`] the way `triage` set them (acknowledge from opening or
//! regrowth, decide from acknowledgement or re-opening, respond from opening), so the figures
//! need nothing but the append-only events and a few facts of the alert.
//!
//! Attribution to a period follows the event that completes a measure: a time to acknowledge
//! counts in the period of the acknowledgement, a deadline in the period its outcome became
//! known (when it was met, or when it fell due unmet), the backlog is taken at the end of
//! the period. So "last 30 days" means what the office did in those days.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use model::{
    AlertAction, AlertEvent, AlertState, DismissReason, Priority, RuleKind, Timestamp, VN_OFFSET,
};

use crate::deadlines::{DeadlineKind, Schedule};

/// What the figures need of an alert besides its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFacts {
    /// The alert.
    pub id: i64,
    /// Its rule.
    pub rule_id: String,
    /// The rule's title.
    pub rule_title: String,
    /// The rule's kind.
    pub kind: RuleKind,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// When the first item of its story (the story's first publisher) was published;
    /// `None` when unknown (a spike has no single first item).
    pub origin_published: Option<Timestamp>,
    /// Its priority now, used when an event does not say which it had.
    pub priority: Priority,
}

/// A span of time `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Its start, included.
    pub from: Timestamp,
    /// Its end, excluded.
    pub to: Timestamp,
}

impl Period {
    /// Whether `t` lies in the period.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.to
    }
}

/// Whether a deadline of `kind` runs in `state`; leaving its states ends it.
fn governs(kind: DeadlineKind, state: AlertState) -> bool {
    DeadlineKind::of_state(state) == Some(kind)
}

/// Whether leaving a deadline's states by `action` does what the deadline asks. Leaving a
/// new alert or an undecided one in any way is handling it; a response is only given by
/// responding (deciding to watch instead withdraws the deadline).
fn fulfils(kind: DeadlineKind, action: AlertAction) -> bool {
    match kind {
        DeadlineKind::Acknowledge | DeadlineKind::Decide => true,
        DeadlineKind::Respond => action == AlertAction::Respond,
    }
}

/// One deadline as it ran: from when the alert entered the states it governs until it left
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineSpan {
    /// Which deadline.
    pub kind: DeadlineKind,
    /// The alert's priority at the end of the span (or now).
    pub priority: Priority,
    /// When the alert entered the deadline's states.
    pub entered: Timestamp,
    /// The due time, and each later one a priority change set: `(since, due)`, oldest first.
    pub dues: Vec<(Timestamp, Timestamp)>,
    /// When the alert left the deadline's states, if it did.
    pub ended: Option<Timestamp>,
    /// Whether it left them by doing what the deadline asks (`false` for a response
    /// deadline withdrawn by deciding to watch instead).
    pub fulfilled: bool,
}

/// How a deadline turned out, judged at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Done by its due time.
    Met,
    /// Done after its due time, or not done and past it.
    Missed,
    /// Not done, not due yet.
    Pending,
    /// No longer asked for (a response deadline of an alert decided to be watched instead).
    Withdrawn,
}

impl DeadlineSpan {
    /// The due time in force just before `t`.
    pub fn due_before(&self, t: Timestamp) -> Timestamp {
        let mut due = self.dues[0].1;
        for &(since, d) in &self.dues[1..] {
            if since < t {
                due = d;
            }
        }
        due
    }

    /// The final due time.
    pub fn due(&self) -> Timestamp {
        self.dues.last().map_or(self.entered, |d| d.1)
    }

    /// How it stands judged just before `at` (events at or after `at` are not known yet), and
    /// when that outcome became known: the time it was met, or the time it fell due.
    pub fn outcome(&self, at: Timestamp) -> (Outcome, Option<Timestamp>) {
        let due = self.due_before(at);
        match self.ended.filter(|e| *e < at) {
            Some(_) if !self.fulfilled => (Outcome::Withdrawn, None),
            Some(e) if e <= due => (Outcome::Met, Some(e)),
            Some(_) => (Outcome::Missed, Some(due)),
            None if due < at => (Outcome::Missed, Some(due)),
            None => (Outcome::Pending, None),
        }
    }
}

/// A decision on an alert: to watch it, to respond, or to dismiss it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// When.
    pub at: Timestamp,
    /// Which.
    pub action: AlertAction,
    /// Why it was dismissed.
    pub reason: Option<DismissReason>,
}

/// One alert's history replayed: what the figures read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// The alert.
    pub alert_id: i64,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// Every state it had, with when it entered it, starting with `new` at its opening.
    pub states: Vec<(Timestamp, AlertState)>,
    /// Its first acknowledgement.
    pub first_ack: Option<Timestamp>,
    /// Its first decision after its first acknowledgement.
    pub first_decision: Option<Timestamp>,
    /// Its first recorded response.
    pub first_response: Option<Timestamp>,
    /// Every decision, in order.
    pub decisions: Vec<Decision>,
    /// Every deadline, in the order they started.
    pub deadlines: Vec<DeadlineSpan>,
    /// Actions taken, each with its time, for counting.
    pub actions: Vec<(Timestamp, AlertAction)>,
}

fn data_str<'a>(data: &'a Option<serde_json::Value>, key: &str) -> Option<&'a str> {
    data.as_ref()?.get(key)?.as_str()
}

/// The deadlines in force, as `triage` keeps them: `(clock start, due)` per kind.
#[derive(Default)]
struct Running {
    ack: Option<(Timestamp, Timestamp)>,
    decide: Option<(Timestamp, Timestamp)>,
    respond: Option<(Timestamp, Timestamp)>,
}

impl Running {
    fn get(&self, kind: DeadlineKind) -> Option<(Timestamp, Timestamp)> {
        match kind {
            DeadlineKind::Acknowledge => self.ack,
            DeadlineKind::Decide => self.decide,
            DeadlineKind::Respond => self.respond,
        }
    }
}

impl Timeline {
    /// Replays the events of one alert (in any order; they are sorted by time and id).
    /// Events of other alerts are ignored.
    pub fn build(facts: &AlertFacts, events: &[&AlertEvent], schedule: &Schedule) -> Timeline {
        let mut events: Vec<&AlertEvent> =
            events.iter().copied().filter(|e| e.alert_id == facts.id).collect();
        events.sort_by_key(|e| (e.at, e.id));
        let due = |p: Priority, k: DeadlineKind, from: Timestamp| {
            schedule.due(p, k, from).map(|d| (from, d))
        };
        let opened_at = facts.opened_at;
        let mut priority = facts.priority;
        let mut run = Running::default();
        let mut t = Timeline {
            alert_id: facts.id,
            opened_at,
            states: vec![(opened_at, AlertState::New)],
            first_ack: None,
            first_decision: None,
            first_response: None,
            decisions: Vec::new(),
            deadlines: Vec::new(),
            actions: Vec::new(),
        };
        // An alert whose opening event is missing still opens with its deadline.
        if events.first().is_none_or(|e| e.action != AlertAction::Opened) {
            run.ack = due(priority, DeadlineKind::Acknowledge, opened_at);
            t.enter(AlertState::New, opened_at, priority, &run);
        }
        for e in events {
            let data: Option<serde_json::Value> =
                e.data.as_deref().and_then(|d| serde_json::from_str(d).ok());
            let named = |key| data_str(&data, key).and_then(|p| p.parse::<Priority>().ok());
            t.actions.push((e.at, e.action));
            match e.action {
                AlertAction::Opened => {
                    priority = named("priority").unwrap_or(priority);
                    run.ack = due(priority, DeadlineKind::Acknowledge, e.at);
                }
                AlertAction::Acknowledge => {
                    priority = named("priority").unwrap_or(priority);
                    run.decide = due(priority, DeadlineKind::Decide, e.at);
                    t.first_ack.get_or_insert(e.at);
                }
                AlertAction::Regrow => {
                    run.ack = due(priority, DeadlineKind::Acknowledge, e.at);
                    run.decide = None;
                }
                AlertAction::Reopen => {
                    run.decide = due(priority, DeadlineKind::Decide, e.at);
                }
                AlertAction::RequireResponse => {
                    run.respond =
                        run.respond.or_else(|| due(priority, DeadlineKind::Respond, opened_at));
                }
                AlertAction::Prioritize => {
                    priority = named("to").unwrap_or(priority);
                    let again = |d: Option<(Timestamp, Timestamp)>, k| {
                        d.and_then(|(from, _)| due(priority, k, from))
                    };
                    run.ack = again(run.ack, DeadlineKind::Acknowledge);
                    run.decide = again(run.decide, DeadlineKind::Decide);
                    run.respond = again(run.respond, DeadlineKind::Respond);
                    for s in t.deadlines.iter_mut().filter(|s| s.ended.is_none()) {
                        s.priority = priority;
                        if let Some((_, d)) = run.get(s.kind) {
                            s.dues.push((e.at, d));
                        }
                    }
                }
                AlertAction::Respond => {
                    t.first_response.get_or_insert(e.at);
                }
                _ => {}
            }
            if matches!(
                e.action,
                AlertAction::Monitor | AlertAction::RequireResponse | AlertAction::Dismiss
            ) {
                let reason = (e.action == AlertAction::Dismiss)
                    .then(|| data_str(&data, "reason").and_then(|r| r.parse().ok()))
                    .flatten();
                t.decisions.push(Decision { at: e.at, action: e.action, reason });
                if t.first_ack.is_some() && t.first_decision.is_none() {
                    t.first_decision = Some(e.at);
                }
            }
            let before = t.state();
            if e.action == AlertAction::Opened {
                t.enter(e.to, e.at, priority, &run);
            } else if e.to != before {
                t.leave(before, e.to, e.action, e.at);
                t.states.push((e.at, e.to));
                t.enter_from(before, e.to, e.at, priority, &run);
            }
        }
        t
    }

    fn state(&self) -> AlertState {
        self.states.last().map_or(AlertState::New, |s| s.1)
    }

    /// Opens the deadline spans of `state` (at the opening, every deadline it governs).
    fn enter(&mut self, state: AlertState, at: Timestamp, priority: Priority, run: &Running) {
        for &kind in DeadlineKind::ALL {
            let open = self.deadlines.iter().any(|s| s.kind == kind && s.ended.is_none());
            if governs(kind, state)
                && !open
                && let Some((_, due)) = run.get(kind)
            {
                self.deadlines.push(DeadlineSpan {
                    kind,
                    priority,
                    entered: at,
                    dues: vec![(at, due)],
                    ended: None,
                    fulfilled: false,
                });
            }
        }
    }

    fn enter_from(
        &mut self,
        before: AlertState,
        after: AlertState,
        at: Timestamp,
        priority: Priority,
        run: &Running,
    ) {
        if DeadlineKind::ALL.iter().any(|&k| governs(k, after) && !governs(k, before)) {
            self.enter(after, at, priority, run);
        }
    }

    fn leave(&mut self, before: AlertState, after: AlertState, action: AlertAction, at: Timestamp) {
        for s in self.deadlines.iter_mut().filter(|s| s.ended.is_none()) {
            if governs(s.kind, before) && !governs(s.kind, after) {
                s.ended = Some(at);
                s.fulfilled = fulfils(s.kind, action);
            }
        }
    }

    /// The state just before `t` (`None` before the alert was opened). For the end of a
    /// day, pass the next midnight: what happened at midnight belongs to the next day.
    pub fn state_before(&self, t: Timestamp) -> Option<AlertState> {
        if self.opened_at >= t {
            return None;
        }
        self.states.iter().take_while(|s| s.0 < t).last().map(|s| s.1)
    }

    /// Whether the alert was open just before `t`.
    pub fn open_before(&self, t: Timestamp) -> bool {
        self.state_before(t).is_some_and(AlertState::is_open)
    }

    /// When the alert last became open before `t`: its opening, or its latest return from
    /// a dismissed, merged or closed state.
    pub fn open_since(&self, t: Timestamp) -> Option<Timestamp> {
        let mut since = None;
        let mut was_open = false;
        for &(at, state) in self.states.iter().take_while(|s| s.0 < t) {
            if state.is_open() && !was_open {
                since = Some(at);
            }
            was_open = state.is_open();
        }
        since.filter(|_| was_open)
    }

    /// Whether the alert was open and past the deadline of its state just before `t`.
    pub fn overdue_before(&self, t: Timestamp) -> bool {
        self.open_before(t)
            && self
                .deadlines
                .iter()
                .any(|s| s.entered < t && s.ended.is_none_or(|e| e >= t) && s.due_before(t) < t)
    }
}

/// Replays every alert of `facts` with its events.
pub fn timelines(
    facts: &[AlertFacts],
    events: &[AlertEvent],
    schedule: &Schedule,
) -> Vec<Timeline> {
    let mut by_alert: HashMap<i64, Vec<&AlertEvent>> = HashMap::new();
    for e in events {
        by_alert.entry(e.alert_id).or_default().push(e);
    }
    facts
        .iter()
        .map(|f| Timeline::build(f, by_alert.get(&f.id).map_or(&[][..], Vec::as_slice), schedule))
        .collect()
}

/// The instant a Vietnam day ends: the next midnight in Vietnam, in UTC.
pub fn vn_day_end(date: NaiveDate) -> Timestamp {
    let offset = Duration::seconds(i64::from(VN_OFFSET.local_minus_utc()));
    (date.and_time(NaiveTime::MIN) + Duration::days(1) - offset).and_utc()
}

/// The Vietnam date of an instant.
pub fn vn_date(t: Timestamp) -> NaiveDate {
    t.with_timezone(&VN_OFFSET).date_naive()
}

/// How many alerts were open, overdue and still new at the end of one Vietnam day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayBacklog {
    /// The day.
    pub date: NaiveDate,
    /// Alerts open at its end.
    pub open: usize,
    /// Of those, alerts past the deadline of their state.
    pub overdue: usize,
    /// Of those, alerts nobody had acknowledged yet.
    pub new: usize,
}

/// The open, overdue and new alerts at the end of each of `days`.
pub fn backlog_by_day(
    timelines: &[Timeline],
    days: impl IntoIterator<Item = NaiveDate>,
) -> Vec<DayBacklog> {
    days.into_iter()
        .map(|date| {
            let end = vn_day_end(date);
            let mut b = DayBacklog { date, open: 0, overdue: 0, new: 0 };
            for t in timelines.iter().filter(|t| t.open_before(end)) {
                b.open += 1;
                b.overdue += usize::from(t.overdue_before(end));
                b.new += usize::from(t.state_before(end) == Some(AlertState::New));
            }
            b
        })
        .collect()
}

/// The middle and the 90th percentile of some durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DurationStats {
    /// How many durations.
    pub count: usize,
    /// Their median (`None` when there are none).
    pub median: Option<Duration>,
    /// Their 90th percentile.
    pub p90: Option<Duration>,
}

/// The `p` quantile of sorted milliseconds, interpolated linearly between the two nearest
/// ranks (so the median of an even count is the mean of the middle two).
fn quantile(sorted: &[i64], p: f64) -> Option<Duration> {
    let last = sorted.len().checked_sub(1)?;
    let rank = p * last as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let (a, b) = (sorted[lo] as f64, sorted[hi.min(last)] as f64);
    Some(Duration::milliseconds((a + (b - a) * (rank - lo as f64)).round() as i64))
}

impl DurationStats {
    /// The statistics of `values` (negative ones count as zero: a clock gone wrong).
    pub fn of(values: impl IntoIterator<Item = Duration>) -> DurationStats {
        let mut ms: Vec<i64> = values.into_iter().map(|d| d.num_milliseconds().max(0)).collect();
        ms.sort_unstable();
        DurationStats { count: ms.len(), median: quantile(&ms, 0.5), p90: quantile(&ms, 0.9) }
    }
}

/// How many alerts had each thing happen in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Opened.
    pub opened: usize,
    /// Acknowledged (at least once).
    pub acknowledged: usize,
    /// Decided: watched, response required or dismissed.
    pub decided: usize,
    /// Whose latest decision of the period was to dismiss.
    pub dismissed: usize,
    /// Given an official response.
    pub responded: usize,
    /// Closed.
    pub closed: usize,
}

/// A calendar month in Vietnam time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
}

impl Month {
    /// The Vietnam month of an instant.
    pub fn of(t: Timestamp) -> Month {
        let d = vn_date(t);
        Month { year: d.year(), month: d.month() }
    }
}

/// Deadlines of one priority and kind whose outcome became known in one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaCell {
    /// The priority.
    pub priority: Priority,
    /// The deadline.
    pub kind: DeadlineKind,
    /// The month.
    pub month: Month,
    /// Met in time.
    pub met: usize,
    /// Missed.
    pub missed: usize,
}

impl SlaCell {
    /// The share met, in per cent (`None` when nothing was due).
    pub fn percent(&self) -> Option<f64> {
        let n = self.met + self.missed;
        (n > 0).then(|| 100.0 * self.met as f64 / n as f64)
    }
}

/// The age classes of the backlog.
pub const AGE_BUCKETS: [&str; 4] = ["< 1 ngày", "1–3 ngày", "3–7 ngày", "> 7 ngày"];

fn age_bucket(age: Duration) -> usize {
    match age.num_seconds() {
        s if s < 86_400 => 0,
        s if s < 3 * 86_400 => 1,
        s if s < 7 * 86_400 => 2,
        _ => 3,
    }
}

/// Open alerts of one state at the end of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BacklogRow {
    /// The state.
    pub state: AlertState,
    /// How many.
    pub count: usize,
    /// How many in each age class of [`AGE_BUCKETS`] (age since the alert last opened).
    pub by_age: [usize; 4],
    /// How many past the deadline of their state.
    pub overdue: usize,
    /// The age of the oldest.
    pub oldest: Option<Duration>,
}

/// The open alerts at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// When it was taken.
    pub at: Timestamp,
    /// One row per open state, in workflow order (states with no alert included).
    pub rows: Vec<BacklogRow>,
}

impl Backlog {
    /// Every open alert together.
    pub fn total(&self) -> BacklogRow {
        let mut t = BacklogRow {
            state: AlertState::New,
            count: 0,
            by_age: [0; 4],
            overdue: 0,
            oldest: None,
        };
        for r in &self.rows {
            t.count += r.count;
            t.overdue += r.overdue;
            for (a, b) in t.by_age.iter_mut().zip(r.by_age) {
                *a += b;
            }
            t.oldest = t.oldest.max(r.oldest);
        }
        t
    }
}

/// How often one rule's alerts were dismissed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDismissals {
    /// The rule.
    pub rule_id: String,
    /// Its title.
    pub rule_title: String,
    /// Alerts of the rule decided in the period.
    pub decided: usize,
    /// Of those, alerts whose latest decision was to dismiss.
    pub dismissed: usize,
    /// The reasons of those dismissals, most frequent first.
    pub reasons: Vec<(DismissReason, usize)>,
}

impl RuleDismissals {
    /// The share dismissed, in per cent.
    pub fn percent(&self) -> f64 {
        if self.decided == 0 { 0.0 } else { 100.0 * self.dismissed as f64 / self.decided as f64 }
    }
}

/// Every handling figure of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The period.
    pub period: Period,
    /// When the figures were taken: the end of the period, or now if it has not ended.
    pub at: Timestamp,
    /// What happened how often.
    pub counts: Counts,
    /// Time to detect: opening − first publication of the story (alerts opened in the period).
    pub ttd: DurationStats,
    /// Time to acknowledge: first acknowledgement − opening.
    pub tta: DurationStats,
    /// Time to decide: first decision − first acknowledgement.
    pub ttdec: DurationStats,
    /// Time to respond: first response − opening.
    pub ttr: DurationStats,
    /// Time to respond from the story's first publication: first response − origin.
    pub ttr_origin: DurationStats,
    /// Deadline outcomes per priority, kind and month, ordered by month, priority, kind.
    pub sla: Vec<SlaCell>,
    /// The open alerts at the end of the period.
    pub backlog: Backlog,
    /// Dismissal rates per rule, highest rate first (then most decided, then rule id).
    pub dismissals: Vec<RuleDismissals>,
}

impl Figures {
    /// Deadlines of `priority` and `kind` over the whole period.
    pub fn sla_total(&self, priority: Priority, kind: DeadlineKind) -> SlaCell {
        let mut out =
            SlaCell { priority, kind, month: Month::of(self.period.from), met: 0, missed: 0 };
        for c in self.sla.iter().filter(|c| c.priority == priority && c.kind == kind) {
            out.met += c.met;
            out.missed += c.missed;
        }
        out
    }

    /// The months with any deadline outcome, in order.
    pub fn months(&self) -> Vec<Month> {
        let mut m: Vec<Month> = self.sla.iter().map(|c| c.month).collect();
        m.sort_unstable();
        m.dedup();
        m
    }
}

/// The open states, in workflow order.
const OPEN_STATES: [AlertState; 7] = [
    AlertState::New,
    AlertState::Acknowledged,
    AlertState::Verifying,
    AlertState::Monitoring,
    AlertState::ResponseNeeded,
    AlertState::Responded,
    AlertState::Tracking,
];

/// Computes every figure of `period` from the alerts' facts and events, judged at `now`
/// (or at the end of the period if that is earlier).
pub fn figures(
    facts: &[AlertFacts],
    events: &[AlertEvent],
    period: Period,
    now: Timestamp,
    schedule: &Schedule,
) -> Figures {
    let lines = timelines(facts, events, schedule);
    let at = period.to.min(now);
    let within = |t: Timestamp| period.contains(t) && t < at;
    let mut counts = Counts::default();
    let (mut ttd, mut tta, mut ttdec, mut ttr, mut ttr_origin) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut sla: BTreeMap<(Month, Priority, DeadlineKind), (usize, usize)> = BTreeMap::new();
    let mut rows: Vec<BacklogRow> = OPEN_STATES
        .iter()
        .map(|&state| BacklogRow { state, count: 0, by_age: [0; 4], overdue: 0, oldest: None })
        .collect();
    let mut by_rule: BTreeMap<&str, RuleDismissals> = BTreeMap::new();
    for (f, t) in facts.iter().zip(&lines) {
        let did = |a: AlertAction| t.actions.iter().any(|&(when, x)| x == a && within(when));
        if within(f.opened_at) {
            counts.opened += 1;
            if let Some(o) = f.origin_published {
                ttd.push(f.opened_at - o);
            }
        }
        counts.acknowledged += usize::from(did(AlertAction::Acknowledge));
        counts.responded += usize::from(did(AlertAction::Respond));
        counts.closed += usize::from(did(AlertAction::Close));
        if let Some(a) = t.first_ack.filter(|a| within(*a)) {
            tta.push(a - f.opened_at);
        }
        if let (Some(a), Some(d)) = (t.first_ack, t.first_decision.filter(|d| within(*d))) {
            ttdec.push(d - a);
        }
        if let Some(r) = t.first_response.filter(|r| within(*r)) {
            ttr.push(r - f.opened_at);
            if let Some(o) = f.origin_published {
                ttr_origin.push(r - o);
            }
        }
        for s in &t.deadlines {
            let (outcome, known) = s.outcome(at);
            let Some(known) = known.filter(|k| period.contains(*k)) else { continue };
            let cell = sla.entry((Month::of(known), s.priority, s.kind)).or_default();
            match outcome {
                Outcome::Met => cell.0 += 1,
                Outcome::Missed => cell.1 += 1,
                Outcome::Pending | Outcome::Withdrawn => {}
            }
        }
        if let Some(state) = t.state_before(at).filter(|s| s.is_open())
            && let Some(row) = rows.iter_mut().find(|r| r.state == state)
        {
            let age = at - t.open_since(at).unwrap_or(f.opened_at);
            row.count += 1;
            row.by_age[age_bucket(age)] += 1;
            row.overdue += usize::from(t.overdue_before(at));
            row.oldest = row.oldest.max(Some(age));
        }
        if let Some(last) = t.decisions.iter().rfind(|d| within(d.at)) {
            counts.decided += 1;
            let r = by_rule.entry(&f.rule_id).or_insert_with(|| RuleDismissals {
                rule_id: f.rule_id.clone(),
                rule_title: f.rule_title.clone(),
                decided: 0,
                dismissed: 0,
                reasons: Vec::new(),
            });
            r.decided += 1;
            if last.action == AlertAction::Dismiss {
                counts.dismissed += 1;
                r.dismissed += 1;
                if let Some(reason) = last.reason {
                    match r.reasons.iter_mut().find(|x| x.0 == reason) {
                        Some(x) => x.1 += 1,
                        None => r.reasons.push((reason, 1)),
                    }
                }
            }
        }
    }
    let mut dismissals: Vec<RuleDismissals> = by_rule.into_values().collect();
    for d in &mut dismissals {
        d.reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
    }
    dismissals.sort_by(|a, b| {
        b.percent()
            .total_cmp(&a.percent())
            .then(b.decided.cmp(&a.decided))
            .then(a.rule_id.cmp(&b.rule_id))
    });
    Figures {
        period,
        at,
        counts,
        ttd: DurationStats::of(ttd),
        tta: DurationStats::of(tta),
        ttdec: DurationStats::of(ttdec),
        ttr: DurationStats::of(ttr),
        ttr_origin: DurationStats::of(ttr_origin),
        sla: sla
            .into_iter()
            .map(|((month, priority, kind), (met, missed))| SlaCell {
                priority,
                kind,
                month,
                met,
                missed,
            })
            .collect(),
        backlog: Backlog { at, rows },
        dismissals,
    }
}
