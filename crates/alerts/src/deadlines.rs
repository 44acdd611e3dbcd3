//! Deadlines of alert handling: how long an alert may wait to be acknowledged, decided and
//! answered for each priority, and the business-time arithmetic that turns a start into a
//! due time and into the 80, 100 and 150 per cent escalation marks.
//!
//! P1 runs around the clock: its limits are plain elapsed time, through nights, weekends and
//! Tết. P2 and P3 run in business time: Vietnam time (UTC+7), Monday to Friday within the
//! calendar's working hours, less public holidays, plus the Saturdays the government makes
//! working days when it swaps one next to a holiday. Time outside those hours does not
//! count, so an alert raised on Friday evening starts its clock on Monday morning.
//!
//! A "business day" in the policy is a length of business time: one working day of the
//! calendar, 9 h 30 for 07:30–17:00. One business day from Friday 16:00 is therefore Monday
//! 16:00, and the arithmetic needs no second unit. An office that changes its hours builds its
//! policy with [`DeadlinePolicy::standard`] and the new [`BusinessCalendar::day_length`], so
//! its business days keep meaning whole working days.
//!
//! Nothing here reads the clock: every function is given its `start` and its `now`.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use model::{Priority, Timestamp, UnknownValue, VN_OFFSET};
use serde::Deserialize;

/// The percentages of a deadline's time at which its escalation marks fall: the owner is told
/// at 80, the coordinator at 100 and the leader at 150.
pub const ESCALATION_MARKS: [u8; 3] = [80, 100, 150];

/// Which deadline of an alert: each applies in its own states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeadlineKind {
    /// Seen and given a priority (while the alert is new).
    Acknowledge,
    /// Decided: watch, respond or dismiss (while acknowledged or being verified).
    Decide,
    /// Answered publicly (once a response is needed).
    Respond,
}

impl DeadlineKind {
    /// The deadline that runs while an alert is in `state`: to acknowledge a new alert, to
    /// decide one acknowledged or being verified, to respond once a response is needed.
    pub fn of_state(state: model::AlertState) -> Option<DeadlineKind> {
        use model::AlertState as S;
        match state {
            S::New => Some(DeadlineKind::Acknowledge),
            S::Acknowledged | S::Verifying => Some(DeadlineKind::Decide),
            S::ResponseNeeded => Some(DeadlineKind::Respond),
            _ => None,
        }
    }

    /// Every kind, in the order an alert meets them.
    pub const ALL: &'static [DeadlineKind] =
        &[DeadlineKind::Acknowledge, DeadlineKind::Decide, DeadlineKind::Respond];

    /// The stable lowercase name used in files, the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Acknowledge => "acknowledge",
            DeadlineKind::Decide => "decide",
            DeadlineKind::Respond => "respond",
        }
    }

    /// The Vietnamese name, as pages show it.
    pub fn label(self) -> &'static str {
        match self {
            DeadlineKind::Acknowledge => "Tiếp nhận",
            DeadlineKind::Decide => "Quyết định",
            DeadlineKind::Respond => "Phản hồi",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl FromStr for DeadlineKind {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DeadlineKind::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| UnknownValue {
            what: "deadline",
            value: s.to_owned(),
            expected: &["acknowledge", "decide", "respond"],
        })
    }
}

impl fmt::Display for DeadlineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn priority_index(p: Priority) -> usize {
    match p {
        Priority::P1 => 0,
        Priority::P2 => 1,
        Priority::P3 => 2,
    }
}

/// Which time a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clock {
    /// Every minute counts, day and night, weekends and holidays.
    Around,
    /// Only the working hours of the [`BusinessCalendar`] count.
    Business,
}

impl Clock {
    /// The clock a priority runs on unless configured otherwise: P1 around the clock, P2 and
    /// P3 in business time.
    pub fn of(p: Priority) -> Clock {
        match p {
            Priority::P1 => Clock::Around,
            Priority::P2 | Priority::P3 => Clock::Business,
        }
    }
}

/// How long one deadline gives, and on which clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limit {
    /// The time allowed; positive.
    pub duration: Duration,
    /// Whether it is counted around the clock or in business time.
    pub clock: Clock,
}

impl Limit {
    /// A limit counted around the clock.
    pub fn around(duration: Duration) -> Limit {
        Limit { duration, clock: Clock::Around }
    }

    /// A limit counted in business time.
    pub fn business(duration: Duration) -> Limit {
        Limit { duration, clock: Clock::Business }
    }

    /// A limit on the clock of the priority ([`Clock::of`]).
    pub fn for_priority(p: Priority, duration: Duration) -> Limit {
        Limit { duration, clock: Clock::of(p) }
    }

    /// Reads a limit such as `30m`, `4h`, `1h30m` or `90 min` (around the clock) or
    /// `2 business hours`, `2h business`, `2 giờ hành chính` (business time); `around the
    /// clock` or `24/7` may be written out too. Days are not accepted, because a business day
    /// depends on the calendar: write its hours (`9h30m business` for 07:30–17:00).
    pub fn parse(text: &str) -> Result<Limit, CalendarError> {
        let (duration, clock) = parse_limit_text(text)?;
        Ok(Limit { duration, clock: clock.unwrap_or(Clock::Around) })
    }
}

/// Written so that [`Limit::parse`] reads it back: `30m`, `9h30m business`.
impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.duration.num_seconds();
        let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60);
        let mut any = false;
        for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
            if n != 0 {
                write!(f, "{n}{unit}")?;
                any = true;
            }
        }
        if !any {
            f.write_str("0m")?;
        }
        if self.clock == Clock::Business {
            f.write_str(" business")?;
        }
        Ok(())
    }
}

/// Reads a duration such as `30m`, `4h`, `1h30m`, `90 min`, `2 hours` or `2 giờ`: whole
/// numbers each followed by a unit of hours, minutes or seconds; the total must be positive.
pub fn parse_duration(text: &str) -> Result<Duration, CalendarError> {
    match parse_limit_text(text)? {
        (d, None) => Ok(d),
        (_, Some(_)) => Err(CalendarError::Duration(text.to_owned())),
    }
}

/// The duration and, when one is written, the clock of a limit's text.
fn parse_limit_text(text: &str) -> Result<(Duration, Option<Clock>), CalendarError> {
    let bad = || CalendarError::Duration(text.to_owned());
    let lower = text
        .to_lowercase()
        .replace("around the clock", " 24/7 ")
        .replace("hành chính", " business ");
    let mut clock = None;
    let mut rest = String::new();
    for word in lower.split_whitespace() {
        let this = match word {
            "business" => Clock::Business,
            "24/7" => Clock::Around,
            _ => {
                rest.push_str(word);
                continue;
            }
        };
        if clock.is_some_and(|c| c != this) {
            return Err(bad());
        }
        clock = Some(this);
    }
    let mut seconds: i64 = 0;
    let mut chars = rest.chars().peekable();
    if chars.peek().is_none() {
        return Err(bad());
    }
    while chars.peek().is_some() {
        let mut number = String::new();
        while let Some(c) = chars.next_if(char::is_ascii_digit) {
            number.push(c);
        }
        let mut unit = String::new();
        while let Some(c) = chars.next_if(|c| c.is_alphabetic()) {
            unit.push(c);
        }
        let n: i64 = number.parse().map_err(|_| bad())?;
        let scale = match unit.as_str() {
            "h" | "hr" | "hrs" | "hour" | "hours" | "giờ" => 3600,
            "m" | "min" | "mins" | "minute" | "minutes" | "phút" => 60,
            "s" | "sec" | "secs" | "second" | "seconds" | "giây" => 1,
            _ => return Err(bad()),
        };
        // A year of hours is far beyond any deadline; the bound keeps the sums exact.
        seconds = n
            .checked_mul(scale)
            .and_then(|x| seconds.checked_add(x))
            .filter(|&s| s <= 366 * 24 * 3600)
            .ok_or_else(bad)?;
    }
    if seconds == 0 {
        return Err(bad());
    }
    Ok((Duration::seconds(seconds), clock))
}

/// Reads a time of day written `HH:MM` (or `H:MM`), as working hours are configured.
pub fn parse_hhmm(text: &str) -> Result<NaiveTime, CalendarError> {
    let bad = || CalendarError::Time(text.to_owned());
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, most: usize| {
        !s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 2) || !digits(m, 2) || m.len() != 2 {
        return Err(bad());
    }
    let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

/// The limit of every deadline of every priority; `None` where a priority has no such
/// deadline (P3's response is decided case by case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlinePolicy {
    limits: [[Option<Limit>; 3]; 3],
}

impl DeadlinePolicy {
    /// A policy with no deadlines at all.
    pub fn empty() -> DeadlinePolicy {
        DeadlinePolicy { limits: [[None; 3]; 3] }
    }

    /// The proposed SLA classes, a business day being `business_day` of business time:
    ///
    /// | priority | acknowledge | decide | respond |
    /// |---|---|---|---|
    /// | P1 (around the clock) | 30 min | 4 h | 24 h |
    /// | P2 (business time) | 2 h | 1 business day | 2 business days |
    /// | P3 (business time) | 1 business day | 3 business days | none |
    pub fn standard(business_day: Duration) -> DeadlinePolicy {
        use DeadlineKind::{Acknowledge, Decide, Respond};
        use Priority::{P1, P2, P3};
        let (around, business) = (Limit::around, Limit::business);
        let mut policy = DeadlinePolicy::empty();
        policy.set(P1, Acknowledge, Some(around(Duration::minutes(30))));
        policy.set(P1, Decide, Some(around(Duration::hours(4))));
        policy.set(P1, Respond, Some(around(Duration::hours(24))));
        policy.set(P2, Acknowledge, Some(business(Duration::hours(2))));
        policy.set(P2, Decide, Some(business(business_day)));
        policy.set(P2, Respond, Some(business(business_day * 2)));
        policy.set(P3, Acknowledge, Some(business(business_day)));
        policy.set(P3, Decide, Some(business(business_day * 3)));
        policy
    }

    /// The limit of deadline `k` for priority `p`.
    pub fn limit(&self, p: Priority, k: DeadlineKind) -> Option<Limit> {
        self.limits[priority_index(p)][k.index()]
    }

    /// Replaces the limit of deadline `k` for priority `p`; `None` removes the deadline.
    pub fn set(&mut self, p: Priority, k: DeadlineKind, limit: Option<Limit>) {
        self.limits[priority_index(p)][k.index()] = limit;
    }

    /// Sets a limit in minutes on the clock of the priority ([`Clock::of`]); `None` or zero
    /// removes the deadline.
    pub fn set_minutes(&mut self, p: Priority, k: DeadlineKind, minutes: Option<u32>) {
        let limit = minutes
            .filter(|&m| m > 0)
            .map(|m| Limit::for_priority(p, Duration::minutes(i64::from(m))));
        self.set(p, k, limit);
    }

    /// Sets a limit from configuration text: `none` removes the deadline; otherwise a
    /// duration as [`Limit::parse`] reads it, on the clock of the priority unless the text
    /// names one (`2h` is around the clock for P1 and in business time for P2 and P3).
    pub fn set_text(
        &mut self,
        p: Priority,
        k: DeadlineKind,
        text: &str,
    ) -> Result<(), CalendarError> {
        let limit = if text.trim().eq_ignore_ascii_case("none") {
            None
        } else {
            let (duration, clock) = parse_limit_text(text)?;
            Some(Limit { duration, clock: clock.unwrap_or(Clock::of(p)) })
        };
        self.set(p, k, limit);
        Ok(())
    }

    /// Every (priority, deadline, limit), priorities first, as a settings page lists them.
    pub fn iter(&self) -> impl Iterator<Item = (Priority, DeadlineKind, Option<Limit>)> + '_ {
        [Priority::P1, Priority::P2, Priority::P3]
            .into_iter()
            .flat_map(move |p| DeadlineKind::ALL.iter().map(move |&k| (p, k, self.limit(p, k))))
    }
}

/// The standard policy with the business day of 07:30–17:00 (9 h 30).
impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy::standard(Duration::minutes(9 * 60 + 30))
    }
}

/// What is wrong with working hours, holidays or a limit's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A time of day that is not `HH:MM`.
    #[error("invalid time of day {0:?}: expected HH:MM")]
    Time(String),
    /// No working hours at all.
    #[error("no working hours given")]
    NoHours,
    /// A span of working hours that does not end after it starts.
    #[error("working hours {}-{} do not end after they start", .0.format("%H:%M"), .1.format("%H:%M"))]
    Backwards(NaiveTime, NaiveTime),
    /// Two spans of working hours that overlap.
    #[error(
        "working hours {}-{} and {}-{} overlap",
        .0.0.format("%H:%M"), .0.1.format("%H:%M"), .1.0.format("%H:%M"), .1.1.format("%H:%M")
    )]
    Overlap((NaiveTime, NaiveTime), (NaiveTime, NaiveTime)),
    /// An extra working day that is a weekday already.
    #[error("extra working day {0} is not a Saturday or a Sunday")]
    WeekdayWorkday(NaiveDate),
    /// A day listed both as a holiday and as an extra working day.
    #[error("{0} is both a holiday and an extra working day")]
    HolidayWorkday(NaiveDate),
    /// A limit's text that does not read as a positive duration.
    #[error("invalid duration {0:?}: expected e.g. 30m, 4h, 1h30m or 2 business hours")]
    Duration(String),
    /// A holiday table that does not parse or holds an impossible entry.
    #[error("invalid holiday table: {0}")]
    Table(String),
}

/// The days of a holiday table (the format of `data/holidays-vn.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayTable {
    /// Every day off, ranges expanded.
    pub holidays: BTreeSet<NaiveDate>,
    /// The weekend days worked instead of a swapped weekday.
    pub workdays: BTreeSet<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    #[serde(default)]
    holiday: Vec<HolidayEntry>,
    #[serde(default)]
    workday: Vec<WorkdayEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayEntry {
    name: String,
    from: NaiveDate,
    to: Option<NaiveDate>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkdayEntry {
    name: String,
    date: NaiveDate,
    source: String,
}

impl DayTable {
    /// The longest range one holiday entry may cover: Tết with its weekends is nine or ten
    /// days, so anything past a month is a mistyped date.
    const LONGEST: i64 = 31;

    /// Reads a table of `[[holiday]]` (`name`, `from`, optional `to`, `source`) and
    /// `[[workday]]` (`name`, `date`, `source`) entries; every entry must name its source.
    pub fn parse(text: &str) -> Result<DayTable, CalendarError> {
        let file: TableFile =
            toml::from_str(text).map_err(|e| CalendarError::Table(e.message().to_owned()))?;
        let mut table = DayTable::default();
        for h in file.holiday {
            let to = h.to.unwrap_or(h.from);
            let days = (to - h.from).num_days();
            if !(0..Self::LONGEST).contains(&days) {
                return Err(CalendarError::Table(format!(
                    "holiday {:?} must end on or after {} and within {} days",
                    h.name,
                    h.from,
                    Self::LONGEST
                )));
            }
            if h.source.trim().is_empty() {
                return Err(CalendarError::Table(format!("holiday {:?} names no source", h.name)));
            }
            table.holidays.extend(h.from.iter_days().take(days as usize + 1));
        }
        for w in file.workday {
            if w.source.trim().is_empty() {
                return Err(CalendarError::Table(format!("workday {:?} names no source", w.name)));
            }
            table.workdays.insert(w.date);
        }
        Ok(table)
    }
}

static HOLIDAYS_VN: &str = include_str!("../data/holidays-vn.toml");

static VIETNAM: LazyLock<BusinessCalendar> = LazyLock::new(|| {
    let table = DayTable::parse(HOLIDAYS_VN).expect("the built-in holiday table parses");
    let (open, close) = (NaiveTime::from_hms_opt(7, 30, 0), NaiveTime::from_hms_opt(17, 0, 0));
    let spans = vec![(open.expect("07:30 is a time"), close.expect("17:00 is a time"))];
    BusinessCalendar::new(spans, table.holidays, table.workdays)
        .expect("the built-in calendar is consistent")
});

/// When business time runs, in Vietnam time: Monday to Friday within the working hours,
/// less public holidays, plus the extra working days the government sets.
///
/// A holiday wins over an extra working day added later with [`BusinessCalendar::with_holidays`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    spans: Vec<(NaiveTime, NaiveTime)>,
    holidays: BTreeSet<NaiveDate>,
    extra_workdays: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    /// Offices of the state in Vietnam: 07:30–17:00, Monday to Friday, with the public
    /// holidays and swapped Saturdays of `data/holidays-vn.toml`.
    pub fn vietnam() -> BusinessCalendar {
        VIETNAM.clone()
    }

    /// A calendar of the given working hours (local times, one or more spans a day, such as
    /// 07:30–11:30 and 13:00–17:00 around a lunch break), holidays and extra working days.
    /// Spans must end after they start and not overlap (they may touch); extra working days
    /// must be weekend days and not holidays.
    pub fn new(
        spans: Vec<(NaiveTime, NaiveTime)>,
        holidays: impl IntoIterator<Item = NaiveDate>,
        extra_workdays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<BusinessCalendar, CalendarError> {
        let calendar = BusinessCalendar {
            spans: checked_spans(spans)?,
            holidays: holidays.into_iter().collect(),
            extra_workdays: BTreeSet::new(),
        };
        calendar.with_workdays(extra_workdays)
    }

    /// The same calendar with other working hours, checked as [`BusinessCalendar::new`] does.
    pub fn with_spans(self, spans: Vec<(NaiveTime, NaiveTime)>) -> Result<Self, CalendarError> {
        Ok(BusinessCalendar { spans: checked_spans(spans)?, ..self })
    }

    /// The same calendar with more holidays, such as an office's own days off.
    pub fn with_holidays(mut self, more: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.holidays.extend(more);
        self
    }

    /// The same calendar with more extra working days, checked as [`BusinessCalendar::new`]
    /// does.
    pub fn with_workdays(
        mut self,
        more: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Self, CalendarError> {
        for d in more {
            if !is_weekend(d) {
                return Err(CalendarError::WeekdayWorkday(d));
            }
            if self.holidays.contains(&d) {
                return Err(CalendarError::HolidayWorkday(d));
            }
            self.extra_workdays.insert(d);
        }
        Ok(self)
    }

    /// The working hours of a day, in order.
    pub fn spans(&self) -> &[(NaiveTime, NaiveTime)] {
        &self.spans
    }

    /// The business time of one working day: what a "business day" of the policy should be.
    pub fn day_length(&self) -> Duration {
        self.spans.iter().map(|&(a, b)| b - a).fold(Duration::zero(), |x, y| x + y)
    }

    /// Whether `d` is a public holiday of this calendar.
    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.holidays.contains(&d)
    }

    /// Whether `d` is a working day: a weekday or an extra working day, and not a holiday.
    pub fn is_workday(&self, d: NaiveDate) -> bool {
        !self.is_holiday(d) && (!is_weekend(d) || self.extra_workdays.contains(&d))
    }

    /// Whether business time is running at `t` (spans include their start, not their end).
    pub fn is_business_time(&self, t: Timestamp) -> bool {
        let local = to_local(t);
        self.is_workday(local.date())
            && self.spans.iter().any(|&(a, b)| (a..b).contains(&local.time()))
    }

    /// The first instant at or after `t` when business time runs.
    pub fn next_opening(&self, t: Timestamp) -> Timestamp {
        let cursor = to_local(t);
        for day in cursor.date().iter_days() {
            if !self.is_workday(day) {
                continue;
            }
            for &(a, b) in &self.spans {
                if day.and_time(b) > cursor {
                    return to_utc(day.and_time(a).max(cursor));
                }
            }
        }
        unreachable!("a calendar with working hours and finitely many holidays has a next opening")
    }

    /// The earliest instant by which `d` of business time has run since `start`: a start
    /// outside working hours counts from the next opening, and a sum that fills a span exactly
    /// ends at its close (17:00, not the next morning). A zero or negative `d` gives `start`.
    pub fn add(&self, start: Timestamp, d: Duration) -> Timestamp {
        if d <= Duration::zero() {
            return start;
        }
        let cursor = to_local(start);
        let mut left = d;
        for day in cursor.date().iter_days() {
            if !self.is_workday(day) {
                continue;
            }
            for &(a, b) in &self.spans {
                let (from, close) = (day.and_time(a).max(cursor), day.and_time(b));
                if from >= close {
                    continue;
                }
                let room = close - from;
                if left <= room {
                    return to_utc(from + left);
                }
                left -= room;
            }
        }
        unreachable!("a calendar with working hours and finitely many holidays never runs out")
    }

    /// The business time between `from` and `to`; zero when `to` is not after `from`.
    pub fn elapsed(&self, from: Timestamp, to: Timestamp) -> Duration {
        let (a, b) = (to_local(from), to_local(to));
        let mut total = Duration::zero();
        if b <= a {
            return total;
        }
        for day in a.date().iter_days().take_while(|day| *day <= b.date()) {
            if !self.is_workday(day) {
                continue;
            }
            for &(open, close) in &self.spans {
                let (x, y) = (day.and_time(open).max(a), day.and_time(close).min(b));
                if y > x {
                    total += y - x;
                }
            }
        }
        total
    }
}

fn checked_spans(
    mut spans: Vec<(NaiveTime, NaiveTime)>,
) -> Result<Vec<(NaiveTime, NaiveTime)>, CalendarError> {
    if spans.is_empty() {
        return Err(CalendarError::NoHours);
    }
    if let Some(&(a, b)) = spans.iter().find(|(a, b)| b <= a) {
        return Err(CalendarError::Backwards(a, b));
    }
    spans.sort();
    if let Some(w) = spans.windows(2).find(|w| w[1].0 < w[0].1) {
        return Err(CalendarError::Overlap(w[0], w[1]));
    }
    Ok(spans)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn to_local(t: Timestamp) -> NaiveDateTime {
    t.with_timezone(&VN_OFFSET).naive_local()
}

fn to_utc(local: NaiveDateTime) -> Timestamp {
    (local - Duration::seconds(i64::from(VN_OFFSET.local_minus_utc()))).and_utc()
}

fn nanos(d: Duration) -> i128 {
    i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos())
}

/// `percent` of `d`, rounded up to the nanosecond: a mark is then reached exactly when
/// [`Schedule::progress`] reaches its percentage, never a nanosecond before.
fn share(d: Duration, percent: u8) -> Duration {
    let n = (nanos(d) * i128::from(percent)).div_euclid(100)
        + i128::from((nanos(d) * i128::from(percent)).rem_euclid(100) != 0);
    Duration::nanoseconds(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The deadlines of every priority on one calendar: what the workflow asks when an alert
/// moves, and what the deadline check asks as time passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The limits.
    pub policy: DeadlinePolicy,
    /// The business time the P2 and P3 limits count.
    pub calendar: BusinessCalendar,
}

/// The standard policy on the Vietnam calendar.
impl Default for Schedule {
    fn default() -> Self {
        Schedule { policy: DeadlinePolicy::default(), calendar: BusinessCalendar::vietnam() }
    }
}

impl Schedule {
    fn after(&self, clock: Clock, start: Timestamp, d: Duration) -> Timestamp {
        match clock {
            Clock::Around => start + d,
            Clock::Business => self.calendar.add(start, d),
        }
    }

    fn spent(&self, clock: Clock, start: Timestamp, now: Timestamp) -> Duration {
        match clock {
            Clock::Around => (now - start).max(Duration::zero()),
            Clock::Business => self.calendar.elapsed(start, now),
        }
    }

    /// When deadline `k` of a `p` alert whose clock started at `start` falls due; `None`
    /// when the policy sets no such deadline.
    pub fn due(&self, p: Priority, k: DeadlineKind, start: Timestamp) -> Option<Timestamp> {
        let limit = self.policy.limit(p, k)?;
        Some(self.after(limit.clock, start, limit.duration))
    }

    /// The three escalation marks of a deadline: 80, 100 and 150 per cent of its time
    /// (business or around the clock), each with the instant it falls.
    pub fn marks(
        &self,
        p: Priority,
        k: DeadlineKind,
        start: Timestamp,
    ) -> Option<[(u8, Timestamp); 3]> {
        let limit = self.policy.limit(p, k)?;
        Some(
            ESCALATION_MARKS
                .map(|pc| (pc, self.after(limit.clock, start, share(limit.duration, pc)))),
        )
    }

    /// The marks reached by `now` that are not in `already` (percentages already recorded),
    /// in order: a check that runs late reports every mark it missed, each at its own time.
    pub fn crossings(
        &self,
        p: Priority,
        k: DeadlineKind,
        start: Timestamp,
        now: Timestamp,
        already: &[u8],
    ) -> Vec<(u8, Timestamp)> {
        self.marks(p, k, start)
            .into_iter()
            .flatten()
            .filter(|(pc, at)| *at <= now && !already.contains(pc))
            .collect()
    }

    /// How far through its time a deadline is at `now`, in per cent, rounded down (for the
    /// board: 80 and more is "sắp quá hạn", 100 and more "quá hạn"). A mark of
    /// [`Schedule::marks`] is reached exactly when this reaches its percentage.
    pub fn progress(
        &self,
        p: Priority,
        k: DeadlineKind,
        start: Timestamp,
        now: Timestamp,
    ) -> Option<u32> {
        let limit = self.policy.limit(p, k)?;
        let total = nanos(limit.duration);
        if total <= 0 {
            return Some(if now >= start { 100 } else { 0 });
        }
        let percent = nanos(self.spent(limit.clock, start, now)) * 100 / total;
        Some(u32::try_from(percent).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("a test date")
    }

    #[test]
    fn the_built_in_table_parses_with_its_known_days() {
        let table = DayTable::parse(HOLIDAYS_VN).expect("parses");
        for d in
            ["2025-01-29", "2025-09-01", "2026-01-02", "2026-02-17", "2026-04-27", "2026-09-01"]
        {
            assert!(table.holidays.contains(&date(d)), "{d}");
        }
        for d in ["2025-04-26", "2026-01-10", "2026-08-22"] {
            assert!(table.workdays.contains(&date(d)), "{d}");
        }
        assert!(!table.holidays.contains(&date("2026-02-23")));
        assert_eq!(BusinessCalendar::vietnam().day_length(), Duration::minutes(570));
    }

    #[test]
    fn table_entries_are_checked() {
        let backwards = "[[holiday]]\nname = \"x\"\nfrom = \"2026-05-02\"\nto = \"2026-05-01\"\nsource = \"s\"\n";
        let unsourced = "[[holiday]]\nname = \"x\"\nfrom = \"2026-05-01\"\nsource = \" \"\n";
        let too_long = "[[holiday]]\nname = \"x\"\nfrom = \"2026-01-01\"\nto = \"2026-12-31\"\nsource = \"s\"\n";
        let unknown = "[[holiday]]\nname = \"x\"\nday = \"2026-01-01\"\nsource = \"s\"\n";
        for text in [backwards, unsourced, too_long, unknown, "holiday = 3"] {
            assert!(matches!(DayTable::parse(text), Err(CalendarError::Table(_))), "{text}");
        }
        let one =
            DayTable::parse("[[holiday]]\nname = \"x\"\nfrom = \"2026-05-01\"\nsource = \"s\"\n");
        assert_eq!(one.map(|t| t.holidays.len()), Ok(1));
    }

    #[test]
    fn times_of_day_parse_strictly() {
        assert_eq!(parse_hhmm("07:30"), Ok(NaiveTime::from_hms_opt(7, 30, 0).expect("time")));
        assert_eq!(parse_hhmm(" 7:05 "), Ok(NaiveTime::from_hms_opt(7, 5, 0).expect("time")));
        for bad in ["7", "07:3", "24:00", "07:60", "7h30", "-1:00", "07:30:00", ""] {
            assert_eq!(parse_hhmm(bad), Err(CalendarError::Time(bad.to_owned())), "{bad}");
        }
    }

    #[test]
    fn durations_parse_in_hours_minutes_and_seconds() {
        let cases = [
            ("30m", 30),
            ("4h", 240),
            ("1h30m", 90),
            ("1h 30m", 90),
            ("90 min", 90),
            ("2 hours", 120),
            ("2 giờ", 120),
            ("45 phút", 45),
        ];
        for (text, minutes) in cases {
            assert_eq!(parse_duration(text), Ok(Duration::minutes(minutes)), "{text}");
        }
        for bad in ["", "0m", "2", "h", "2d", "1.5h", "2 business hours", "-3h", "99999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn marks_round_up_so_progress_agrees() {
        assert_eq!(share(Duration::nanoseconds(7), 80), Duration::nanoseconds(6));
        assert_eq!(share(Duration::minutes(30), 150), Duration::minutes(45));
    }
}
