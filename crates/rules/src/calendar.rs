//! The health-day calendar: the days and campaigns an office prepares communication for,
//! read from `[[days]]` tables in rule packs, and which of them occur or come up near a date.
//!
//! A day recurs every year. Its `when` is written the way Vietnamese plans write it: a day
//! (`27/02`), a range within a month (`15 - 21/3`) or across months and even the year end
//! (`15/01 - 15/02`, `20/12 - 10/01`), a week of a month (`tuần 1 tháng 5`) or a whole
//! month (`tháng 12`), several joined by `và` or `;` (`01/12 và tháng 12`).

use std::fmt;
use std::path::PathBuf;

use chrono::{Datelike, Duration, NaiveDate};

/// A day of a month, as a recurring date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
}

impl MonthDay {
    /// The date in `year`. 29 February falls on 28 February in common years.
    fn in_year(self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
            .or_else(|| NaiveDate::from_ymd_opt(year, self.month, self.day - 1))
            .unwrap_or(NaiveDate::MIN)
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{:02}", self.day, self.month)
    }
}

/// When a health day falls, every year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum When {
    /// One day.
    Day(MonthDay),
    /// From one day to another, both included; `to` before `from` runs over the year end.
    Range {
        /// First day.
        from: MonthDay,
        /// Last day.
        to: MonthDay,
    },
    /// The `week`-th Monday-to-Sunday week of `month`, counting as the first week the
    /// first one with at least four of its days in the month (the rule ISO 8601 uses for
    /// the weeks of a year), so its dates depend on the year.
    WeekOfMonth {
        /// 1 to 4.
        week: u32,
        /// 1 to 12.
        month: u32,
    },
    /// A whole month.
    Month(u32),
}

impl When {
    /// The first and last dates of the occurrence that starts in `year`.
    pub fn dates_in(self, year: i32) -> (NaiveDate, NaiveDate) {
        match self {
            When::Day(d) => (d.in_year(year), d.in_year(year)),
            When::Range { from, to } => {
                let end_year = if to < from { year + 1 } else { year };
                (from.in_year(year), to.in_year(end_year))
            }
            When::WeekOfMonth { week, month } => {
                let first = first_of(year, month);
                let weekday = i64::from(first.weekday().num_days_from_monday());
                // Monday to Thursday: the week holding the 1st has four days or more in
                // the month.
                let monday = if weekday <= 3 {
                    first - Duration::days(weekday)
                } else {
                    first + Duration::days(7 - weekday)
                };
                let start = monday + Duration::weeks(i64::from(week) - 1);
                (start, start + Duration::days(6))
            }
            When::Month(month) => {
                let next =
                    if month == 12 { first_of(year + 1, 1) } else { first_of(year, month + 1) };
                (first_of(year, month), next - Duration::days(1))
            }
        }
    }
}

fn first_of(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            When::Day(d) => write!(f, "{d}"),
            When::Range { from, to } => write!(f, "{from} - {to}"),
            When::WeekOfMonth { week, month } => write!(f, "tuần {week} tháng {month}"),
            When::Month(month) => write!(f, "tháng {month}"),
        }
    }
}

/// A `when` that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhenError {
    /// Byte offset in the `when` text.
    pub offset: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Num(u32),
    Slash,
    Dash,
    Sep,
    Week,
    Month,
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>, WhenError> {
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
        } else if c.is_ascii_digit() {
            let mut end = i;
            while let Some(&(j, d)) = it.peek().filter(|(_, d)| d.is_ascii_digit()) {
                end = j + d.len_utf8();
                it.next();
            }
            let n = text[i..end].parse::<u32>().map_err(|_| WhenError {
                offset: i,
                message: format!("number {:?} is too large", &text[i..end]),
            })?;
            out.push((Tok::Num(n), i));
        } else if c.is_alphabetic() {
            let mut end = i;
            while let Some(&(j, d)) = it.peek().filter(|(_, d)| d.is_alphabetic()) {
                end = j + d.len_utf8();
                it.next();
            }
            let word = &text[i..end];
            let tok = match vi_text::fold_str(&word.to_lowercase()).as_str() {
                "tuan" => Tok::Week,
                "thang" => Tok::Month,
                "va" => Tok::Sep,
                _ => {
                    return Err(WhenError {
                        offset: i,
                        message: format!(
                            "unexpected word {word:?}: expected a date such as 27/02, \
                             \"tuần 1 tháng 5\", \"tháng 12\" or \"và\""
                        ),
                    });
                }
            };
            out.push((tok, i));
        } else {
            let tok = match c {
                '/' => Tok::Slash,
                '-' | '–' | '—' => Tok::Dash,
                ';' => Tok::Sep,
                _ => {
                    return Err(WhenError {
                        offset: i,
                        message: format!("unexpected {c:?}: expected a date such as 27/02"),
                    });
                }
            };
            it.next();
            out.push((tok, i));
        }
    }
    Ok(out)
}

/// The most days a month can have, counting 29 February.
fn month_length(month: u32) -> u32 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    len: usize,
}

impl Parser {
    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.len, |t| t.1)
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, WhenError> {
        Err(WhenError { offset: self.offset(), message: message.into() })
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn number(&mut self, what: &str) -> Result<(u32, usize), WhenError> {
        match self.toks.get(self.pos) {
            Some(&(Tok::Num(n), at)) => {
                self.pos += 1;
                Ok((n, at))
            }
            _ => self.err(format!("expected {what}")),
        }
    }

    fn month(&mut self) -> Result<u32, WhenError> {
        let (m, at) = self.number("a month number")?;
        if !(1..=12).contains(&m) {
            return Err(WhenError {
                offset: at,
                message: format!("month {m} does not exist: expected 1 to 12"),
            });
        }
        Ok(m)
    }

    fn day_of(&self, day: (u32, usize), month: u32) -> Result<MonthDay, WhenError> {
        let (d, at) = day;
        if d == 0 || d > month_length(month) {
            return Err(WhenError {
                offset: at,
                message: format!(
                    "impossible date {d:02}/{month:02}: month {month} has {} days",
                    month_length(month)
                ),
            });
        }
        Ok(MonthDay { month, day: d })
    }

    fn slash_date(&mut self) -> Result<MonthDay, WhenError> {
        let day = self.number("a day such as 27/02")?;
        if !self.eat(&Tok::Slash) {
            return self.err("expected '/' and a month after the day");
        }
        let month = self.month()?;
        self.day_of(day, month)
    }

    fn part(&mut self) -> Result<When, WhenError> {
        if self.eat(&Tok::Month) {
            return Ok(When::Month(self.month()?));
        }
        if self.eat(&Tok::Week) {
            let (week, at) = self.number("a week number after \"tuần\"")?;
            if !(1..=4).contains(&week) {
                return Err(WhenError {
                    offset: at,
                    message: format!(
                        "week {week} of a month: expected 1 to 4 (a fifth week does not occur every year)"
                    ),
                });
            }
            if !self.eat(&Tok::Month) {
                return self.err("expected \"tháng\" and a month after the week");
            }
            return Ok(When::WeekOfMonth { week, month: self.month()? });
        }
        let first = self.number("a date such as 27/02, \"tuần 1 tháng 5\" or \"tháng 12\"")?;
        if self.eat(&Tok::Dash) {
            // `15 - 21/3`: both days in the month written once, at the end.
            let to = self.slash_date()?;
            let from = self.day_of(first, to.month)?;
            if from.day > to.day {
                return Err(WhenError {
                    offset: first.1,
                    message: format!("the range {from} - {to} ends before it starts"),
                });
            }
            return Ok(When::Range { from, to });
        }
        if !self.eat(&Tok::Slash) {
            return self.err("expected '/' and a month after the day");
        }
        let month = self.month()?;
        let from = self.day_of(first, month)?;
        if self.eat(&Tok::Dash) {
            let to = self.slash_date()?;
            if to == from {
                return Ok(When::Day(from));
            }
            return Ok(When::Range { from, to });
        }
        Ok(When::Day(from))
    }
}

/// Reads a `when` text: one or more dates joined by `và` or `;`.
pub fn parse_when(text: &str) -> Result<Vec<When>, WhenError> {
    let toks = lex(text)?;
    let mut p = Parser { toks, pos: 0, len: text.len() };
    let mut out = vec![p.part()?];
    while p.pos < p.toks.len() {
        if !p.eat(&Tok::Sep) {
            return p.err("expected \"và\" or ';' before another date, or the end");
        }
        out.push(p.part()?);
    }
    Ok(out)
}

/// One health day of the calendar, as a pack declares it.
#[derive(Debug, Clone)]
pub struct HealthDay {
    /// Unique id, such as `day.the-gioi-phong-chong-lao`.
    pub id: String,
    /// Its name, in Vietnamese.
    pub title: String,
    /// When it falls every year (at least one).
    pub when: Vec<When>,
    /// How many days before it an office starts preparing.
    pub lead_days: u32,
    /// Ids of the rules whose coverage matters for it.
    pub rules: Vec<String>,
    /// Tags: every rule carrying one of them is related too.
    pub tags: Vec<String>,
    /// The document it comes from.
    pub source: String,
    /// The pack file.
    pub file: PathBuf,
    /// Line of its `[[days]]` table.
    pub line: usize,
    /// Where each rule id and tag was written, for diagnostics once every pack is read.
    pub(crate) refs: Vec<Ref>,
}

/// A rule id or tag as written in a day, with its position.
#[derive(Debug, Clone)]
pub(crate) struct Ref {
    pub(crate) tag: bool,
    pub(crate) name: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// One occurrence of a health day around a given date.
#[derive(Debug, Clone, Copy)]
pub struct Occurrence<'a> {
    /// The day.
    pub day: &'a HealthDay,
    /// Which of its `when` this occurrence is.
    pub when: When,
    /// First date.
    pub start: NaiveDate,
    /// Last date (the same as `start` for a single day).
    pub end: NaiveDate,
    /// Days from the given date to `start`; 0 when it has started.
    pub days_until: i64,
}

impl Occurrence<'_> {
    /// Whether the given date is inside the occurrence.
    pub fn is_ongoing(&self) -> bool {
        self.days_until == 0
    }

    /// Whether the occurrence is ongoing or close enough that preparation should have
    /// started (`days_until` within the day's `lead_days`).
    pub fn needs_preparation(&self) -> bool {
        self.days_until <= i64::from(self.day.lead_days)
    }
}

/// The occurrences of `days` that are under way on `today` or start within `within` days
/// after it, sorted by start date then id. Ranges that began before `today` (even in the
/// previous year) and have not ended are included.
pub fn upcoming(days: &[HealthDay], today: NaiveDate, within: u32) -> Vec<Occurrence<'_>> {
    let horizon = today + Duration::days(i64::from(within));
    let mut out = Vec::new();
    for day in days {
        for &when in &day.when {
            for year in today.year() - 1..=horizon.year() {
                let (start, end) = when.dates_in(year);
                if end >= today && start <= horizon {
                    let days_until = (start - today).num_days().max(0);
                    out.push(Occurrence { day, when, start, end, days_until });
                }
            }
        }
    }
    out.sort_by(|a, b| (a.start, &a.day.id).cmp(&(b.start, &b.day.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn md(day: u32, month: u32) -> MonthDay {
        MonthDay { month, day }
    }

    #[test]
    fn reads_every_form_of_the_plans() {
        assert_eq!(parse_when("27/02").unwrap(), [When::Day(md(27, 2))]);
        assert_eq!(parse_when("7/4").unwrap(), [When::Day(md(7, 4))]);
        assert_eq!(
            parse_when("15/01 - 15/02").unwrap(),
            [When::Range { from: md(15, 1), to: md(15, 2) }]
        );
        assert_eq!(
            parse_when("15 – 21/3").unwrap(),
            [When::Range { from: md(15, 3), to: md(21, 3) }]
        );
        assert_eq!(
            parse_when("Tuần 1 tháng 5").unwrap(),
            [When::WeekOfMonth { week: 1, month: 5 }]
        );
        assert_eq!(
            parse_when("tuan 2 thang 10").unwrap()[0],
            When::WeekOfMonth { week: 2, month: 10 }
        );
        assert_eq!(
            parse_when("01/12 và Tháng 12").unwrap(),
            [When::Day(md(1, 12)), When::Month(12)]
        );
        assert_eq!(parse_when("26/12; tháng 12").unwrap().len(), 2);
        assert_eq!(parse_when("29/02").unwrap(), [When::Day(md(29, 2))]);
    }

    #[track_caller]
    fn fails(text: &str, offset: usize, needle: &str) {
        let e = parse_when(text).unwrap_err();
        assert_eq!(e.offset, offset, "{e:?}");
        assert!(e.message.contains(needle), "{e:?}");
    }

    #[test]
    fn impossible_and_malformed_dates_are_refused_where_they_are() {
        fails("31/02", 0, "impossible date 31/02: month 2 has 29 days");
        fails("31/04", 0, "month 4 has 30 days");
        fails("0/5", 0, "impossible date");
        fails("12/13", 3, "month 13 does not exist");
        fails("10 - 31/4", 5, "impossible date 31/04");
        fails("21 - 15/3", 0, "ends before it starts");
        fails("tuần 5 tháng 5", 7, "expected 1 to 4");
        fails("tuần 1", 8, "expected \"tháng\"");
        fails("ngày 7/4", 0, "unexpected word \"ngày\"");
        fails("7/4 8/4", 4, "expected \"và\"");
        fails("7.4", 1, "unexpected '.'");
        fails("", 0, "expected a date");
        fails("7/", 2, "expected a month number");
    }

    #[test]
    fn dates_of_each_form() {
        assert_eq!(When::Day(md(29, 2)).dates_in(2024), (date(2024, 2, 29), date(2024, 2, 29)));
        assert_eq!(When::Day(md(29, 2)).dates_in(2025).0, date(2025, 2, 28));
        let over_new_year = When::Range { from: md(20, 12), to: md(10, 1) };
        assert_eq!(over_new_year.dates_in(2025), (date(2025, 12, 20), date(2026, 1, 10)));
        assert_eq!(When::Month(2).dates_in(2024), (date(2024, 2, 1), date(2024, 2, 29)));
        assert_eq!(When::Month(12).dates_in(2025), (date(2025, 12, 1), date(2025, 12, 31)));
        // May 2025 starts on a Thursday: its first week is 28/4 - 4/5. May 2026 starts on
        // a Friday: the first week with four days in May is 4/5 - 10/5.
        let asthma = When::WeekOfMonth { week: 1, month: 5 };
        assert_eq!(asthma.dates_in(2025), (date(2025, 4, 28), date(2025, 5, 4)));
        assert_eq!(asthma.dates_in(2026), (date(2026, 5, 4), date(2026, 5, 10)));
        let second = When::WeekOfMonth { week: 2, month: 9 };
        // 1/9/2024 is a Sunday.
        assert_eq!(second.dates_in(2024), (date(2024, 9, 9), date(2024, 9, 15)));
    }

    fn day(id: &str, when: &str, lead_days: u32) -> HealthDay {
        HealthDay {
            id: id.to_owned(),
            title: id.to_owned(),
            when: parse_when(when).unwrap(),
            lead_days,
            rules: Vec::new(),
            tags: Vec::new(),
            source: String::new(),
            file: PathBuf::new(),
            line: 0,
            refs: Vec::new(),
        }
    }

    fn ids(found: &[Occurrence<'_>]) -> Vec<String> {
        found.iter().map(|o| format!("{} {} +{}", o.day.id, o.start, o.days_until)).collect()
    }

    #[test]
    fn upcoming_days_cross_month_and_year_ends() {
        let days = [
            day("attp", "15/01 - 15/02", 21),
            day("lao", "24/3", 14),
            day("aids", "01/12 và tháng 12", 30),
            day("tet", "20/12 - 10/01", 7),
            day("hen", "tuần 1 tháng 5", 10),
        ];
        // In late December: AIDS month and the year-end campaign are ongoing, the food
        // safety month starts in January of the next year.
        let found = upcoming(&days, date(2025, 12, 28), 20);
        assert_eq!(ids(&found), ["aids 2025-12-01 +0", "tet 2025-12-20 +0", "attp 2026-01-15 +18"]);
        assert!(found.iter().all(Occurrence::needs_preparation));
        // Early January: the range that began last year is still on.
        let found = upcoming(&days, date(2026, 1, 5), 5);
        assert_eq!(ids(&found), ["tet 2025-12-20 +0"]);
        assert!(found[0].is_ongoing());
        // A range across a month end, seen from inside it.
        let found = upcoming(&days, date(2026, 2, 1), 0);
        assert_eq!(ids(&found), ["attp 2026-01-15 +0"]);
        // The week of a month is computed for the year asked about.
        assert_eq!(ids(&upcoming(&days, date(2026, 4, 30), 4)), ["hen 2026-05-04 +4"]);
        assert_eq!(ids(&upcoming(&days, date(2025, 4, 30), 0)), ["hen 2025-04-28 +0"]);
        // Lead time: World TB day is 24 days away, beyond its 14 days of preparation.
        let found = upcoming(&days, date(2026, 2, 28), 30);
        assert_eq!(ids(&found), ["lao 2026-03-24 +24"]);
        assert!(!found[0].needs_preparation());
        assert!(upcoming(&days, date(2026, 6, 1), 30).is_empty());
    }
}
