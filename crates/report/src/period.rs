//! Reporting periods: the half-years of the planning documents, whose reports are due by
//! 15/6 and 15/11 (so the first half ends on 15/6 and the second on 15/11, both cut-offs
//! configurable), the report year made of the two, and any range of days; and the period
//! each is compared with.

use std::fmt;

use chrono::{Datelike, Duration, NaiveDate};
use model::report::ReportPeriod;

/// The longest range of days a report covers: three years is already an archive.
pub const MAX_DAYS: i64 = 3 * 366;

/// The last days of the two halves of a report year, as (month, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// The first half runs from 1 January to this day.
    pub first_half_end: (u32, u32),
    /// The second half runs from the day after the first's end to this day.
    pub second_half_end: (u32, u32),
}

impl Default for Cutoffs {
    /// 15 June and 15 November: the units' deadlines in the provincial plans (reports sent
    /// by 15/6 and 15/11, so the figures end on those days).
    fn default() -> Self {
        Cutoffs { first_half_end: (6, 15), second_half_end: (11, 15) }
    }
}

/// Why a period or a cut-off was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodError {
    /// A cut-off is not a day of the year written `DD/MM`.
    Cutoff(String),
    /// The cut-offs are not in order.
    CutoffOrder,
    /// A period name is neither `YYYY-H1`, `YYYY-H2` nor `YYYY`.
    Name(String),
    /// A range ends before it starts.
    Backwards,
    /// A range is longer than [`MAX_DAYS`].
    TooLong,
    /// A range was given with only one end.
    HalfRange,
    /// Both a period name and a range were given.
    Both,
}

impl fmt::Display for PeriodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeriodError::Cutoff(t) => {
                write!(f, "cut-off {t:?} is not a day of the year written DD/MM, such as 15/06")
            }
            PeriodError::CutoffOrder => {
                f.write_str("the first half must end before the second half ends")
            }
            PeriodError::Name(t) => {
                write!(f, "period {t:?} is not YYYY-H1, YYYY-H2 or YYYY, such as 2026-H1")
            }
            PeriodError::Backwards => f.write_str("the range ends before it starts"),
            PeriodError::TooLong => write!(f, "a range covers at most {MAX_DAYS} days"),
            PeriodError::HalfRange => f.write_str("a range needs both its first and last day"),
            PeriodError::Both => f.write_str("give either a period or a range of days, not both"),
        }
    }
}

impl std::error::Error for PeriodError {}

impl PeriodError {
    /// What to tell a person, in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            PeriodError::Cutoff(_) | PeriodError::CutoffOrder => {
                "ngày chốt kỳ báo cáo trong cấu hình không hợp lệ".to_owned()
            }
            PeriodError::Name(_) => {
                "kỳ báo cáo phải có dạng năm-H1, năm-H2 hoặc năm, ví dụ 2026-H1".to_owned()
            }
            PeriodError::Backwards => "ngày kết thúc phải không trước ngày bắt đầu".to_owned(),
            PeriodError::TooLong => format!("khoảng thời gian dài nhất là {MAX_DAYS} ngày"),
            PeriodError::HalfRange => "cần cả ngày bắt đầu và ngày kết thúc".to_owned(),
            PeriodError::Both => "chọn kỳ báo cáo hoặc khoảng ngày, không chọn cả hai".to_owned(),
        }
    }
}

fn day_of(text: &str) -> Result<(u32, u32), PeriodError> {
    let bad = || PeriodError::Cutoff(text.to_owned());
    let (d, m) = text.trim().split_once('/').ok_or_else(bad)?;
    let (d, m) =
        (d.trim().parse::<u32>().map_err(|_| bad())?, m.trim().parse().map_err(|_| bad())?);
    // A common year: 29 February would not end a half every year.
    NaiveDate::from_ymd_opt(2025, m, d).ok_or_else(bad)?;
    Ok((m, d))
}

impl Cutoffs {
    /// The cut-offs written `DD/MM`, such as `15/06` and `15/11`.
    pub fn parse(first_half_end: &str, second_half_end: &str) -> Result<Cutoffs, PeriodError> {
        let c = Cutoffs {
            first_half_end: day_of(first_half_end)?,
            second_half_end: day_of(second_half_end)?,
        };
        if c.first_half_end >= c.second_half_end || c.first_half_end == (1, 1) {
            return Err(PeriodError::CutoffOrder);
        }
        Ok(c)
    }

    fn date(year: i32, (m, d): (u32, u32)) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, m, d).unwrap_or(NaiveDate::MIN)
    }
}

fn dmy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The first (`first` true) or second half of `year`.
pub fn half(year: i32, first: bool, c: &Cutoffs) -> ReportPeriod {
    let end_first = Cutoffs::date(year, c.first_half_end);
    let (from, to, name, code) = if first {
        (Cutoffs::date(year, (1, 1)), end_first, "6 tháng đầu năm", "H1")
    } else {
        let from = end_first + Duration::days(1);
        (from, Cutoffs::date(year, c.second_half_end), "6 tháng cuối năm", "H2")
    };
    ReportPeriod::new(
        from,
        to,
        format!("{name} {year} ({} – {})", dmy(from), dmy(to)),
        format!("{year}-{code}"),
    )
}

/// The report year: both halves of `year`.
pub fn year(year: i32, c: &Cutoffs) -> ReportPeriod {
    let (from, to) = (Cutoffs::date(year, (1, 1)), Cutoffs::date(year, c.second_half_end));
    ReportPeriod::new(
        from,
        to,
        format!("Năm {year} ({} – {})", dmy(from), dmy(to)),
        year.to_string(),
    )
}

/// The days `first` to `last`.
pub fn range(first: NaiveDate, last: NaiveDate) -> Result<ReportPeriod, PeriodError> {
    if last < first {
        return Err(PeriodError::Backwards);
    }
    if (last - first).num_days() >= MAX_DAYS {
        return Err(PeriodError::TooLong);
    }
    Ok(ReportPeriod::new(
        first,
        last,
        format!("Từ {} đến {}", dmy(first), dmy(last)),
        format!("{first}_{last}"),
    ))
}

/// What a period name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Half(i32, bool),
    Year(i32),
}

fn named(text: &str) -> Option<Named> {
    let text = text.trim();
    let (y, half) = match text.split_once('-') {
        Some((y, h)) => (y, Some(h)),
        None => (text, None),
    };
    if y.len() != 4 || !y.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let y: i32 = y.parse().ok()?;
    if !(1970..=9998).contains(&y) {
        return None;
    }
    match half.map(str::to_ascii_uppercase).as_deref() {
        None => Some(Named::Year(y)),
        Some("H1") => Some(Named::Half(y, true)),
        Some("H2") => Some(Named::Half(y, false)),
        Some(_) => None,
    }
}

/// The period a name stands for: `2026-H1`, `2026-H2` or `2026`.
pub fn parse(text: &str, c: &Cutoffs) -> Result<ReportPeriod, PeriodError> {
    match named(text) {
        Some(Named::Half(y, first)) => Ok(half(y, first, c)),
        Some(Named::Year(y)) => Ok(year(y, c)),
        None => Err(PeriodError::Name(text.chars().take(40).collect())),
    }
}

/// The period a code names: a period name (`2026-H1`, `2026`) or a range written
/// `YYYY-MM-DD_YYYY-MM-DD`, as [`ReportPeriod::code`] writes them.
pub fn from_code(code: &str, c: &Cutoffs) -> Result<ReportPeriod, PeriodError> {
    match code.trim().split_once('_') {
        Some((a, b)) => {
            let day = |t: &str| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map_err(|_| PeriodError::Name(code.chars().take(40).collect()))
            };
            range(day(a)?, day(b)?)
        }
        None => parse(code, c),
    }
}

/// The period `p` is compared with: the half before a half (the second half of the year
/// before for a first half), the year before a year, and the same number of days just
/// before for a range.
pub fn previous(p: &ReportPeriod, c: &Cutoffs) -> ReportPeriod {
    match named(&p.code) {
        Some(Named::Half(y, true)) => half(y - 1, false, c),
        Some(Named::Half(y, false)) => half(y, true, c),
        Some(Named::Year(y)) => year(y - 1, c),
        None => {
            let n = p.days();
            let last = p.first - Duration::days(1);
            let first = last - Duration::days(n - 1);
            ReportPeriod::new(
                first,
                last,
                format!("Từ {} đến {}", dmy(first), dmy(last)),
                format!("{first}_{last}"),
            )
        }
    }
}

/// The half-year a report made on `today` is about: the half under way, or the second half
/// once its cut-off has passed (the days after it belong to no half until 1 January).
pub fn current(today: NaiveDate, c: &Cutoffs) -> ReportPeriod {
    let y = today.year();
    if today <= Cutoffs::date(y, c.first_half_end) { half(y, true, c) } else { half(y, false, c) }
}

/// The `n` half-years up to the current one, latest first: what a page offers.
pub fn recent(today: NaiveDate, n: usize, c: &Cutoffs) -> Vec<ReportPeriod> {
    let mut out = Vec::with_capacity(n);
    let mut p = current(today, c);
    for _ in 0..n {
        let before = previous(&p, c);
        out.push(p);
        p = before;
    }
    out
}

/// The period a command or a form asks for: a name, a range, or by default the current
/// half-year.
pub fn resolve(
    name: Option<&str>,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
    today: NaiveDate,
    c: &Cutoffs,
) -> Result<ReportPeriod, PeriodError> {
    match (name.map(str::trim).filter(|n| !n.is_empty()), first, last) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(PeriodError::Both),
        (Some(n), None, None) => parse(n, c),
        (None, Some(f), Some(l)) => range(f, l),
        (None, None, None) => Ok(current(today, c)),
        (None, _, _) => Err(PeriodError::HalfRange),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn halves_meet_the_planning_deadlines() {
        let c = Cutoffs::default();
        let h1 = parse("2026-H1", &c);
        assert_eq!(h1.as_ref().map(|p| (p.first, p.last)), Ok((d(2026, 1, 1), d(2026, 6, 15))));
        let h1 = h1.unwrap_or_else(|_| year(2026, &c));
        assert_eq!(h1.label, "6 tháng đầu năm 2026 (01/01/2026 – 15/06/2026)");
        assert_eq!(h1.days(), 166);
        let h2 = parse("2026-h2", &c).unwrap_or_else(|_| year(2026, &c));
        assert_eq!(
            (h2.first, h2.last, h2.code.as_str()),
            (d(2026, 6, 16), d(2026, 11, 15), "2026-H2")
        );
        let y = parse("2026", &c).unwrap_or_else(|_| h2.clone());
        assert_eq!((y.first, y.last), (d(2026, 1, 1), d(2026, 11, 15)));
        assert_eq!(h1.days() + h2.days(), y.days(), "the year is its two halves");
        for bad in ["2026-H3", "26-H1", "H1", "2026-", "abcd", ""] {
            assert!(matches!(parse(bad, &c), Err(PeriodError::Name(_))), "{bad}");
        }
    }

    #[test]
    fn each_period_is_compared_with_the_one_before() {
        let c = Cutoffs::default();
        let prev = |p: ReportPeriod| {
            let q = previous(&p, &c);
            (q.first, q.last)
        };
        assert_eq!(prev(half(2026, true, &c)), (d(2025, 6, 16), d(2025, 11, 15)));
        assert_eq!(prev(half(2026, false, &c)), (d(2026, 1, 1), d(2026, 6, 15)));
        assert_eq!(prev(year(2026, &c)), (d(2025, 1, 1), d(2025, 11, 15)));
        let march = range(d(2026, 3, 1), d(2026, 3, 31)).unwrap_or_else(|_| year(2026, &c));
        assert_eq!(prev(march), (d(2026, 1, 29), d(2026, 2, 28)));
    }

    #[test]
    fn cut_offs_are_configurable_and_checked() {
        let c = Cutoffs::parse("30/06", "30/11");
        assert_eq!(c, Ok(Cutoffs { first_half_end: (6, 30), second_half_end: (11, 30) }));
        let c = c.unwrap_or_default();
        assert_eq!(half(2026, false, &c).first, d(2026, 7, 1));
        assert_eq!(current(d(2026, 6, 30), &c).code, "2026-H1");
        assert_eq!(current(d(2026, 7, 1), &c).code, "2026-H2");
        assert_eq!(current(d(2026, 12, 20), &c).code, "2026-H2", "after the cut-off");
        assert!(Cutoffs::parse("31/02", "15/11").is_err());
        assert!(Cutoffs::parse("29/02", "15/11").is_err());
        assert_eq!(Cutoffs::parse("15/11", "15/06"), Err(PeriodError::CutoffOrder));
        assert!(Cutoffs::parse("15-06", "15/11").is_err());
    }

    #[test]
    fn commands_and_forms_resolve_to_one_period() {
        let c = Cutoffs::default();
        let today = d(2026, 12, 7);
        let code = |r: Result<ReportPeriod, PeriodError>| r.map(|p| p.code);
        assert_eq!(code(resolve(None, None, None, today, &c)), Ok("2026-H2".to_owned()));
        assert_eq!(code(resolve(Some("2025-H1"), None, None, today, &c)), Ok("2025-H1".to_owned()));
        assert_eq!(
            code(resolve(None, Some(d(2026, 3, 1)), Some(d(2026, 3, 31)), today, &c)),
            Ok("2026-03-01_2026-03-31".to_owned())
        );
        assert_eq!(
            resolve(Some("2026"), Some(d(2026, 3, 1)), None, today, &c),
            Err(PeriodError::Both)
        );
        assert_eq!(
            resolve(None, Some(d(2026, 3, 1)), None, today, &c),
            Err(PeriodError::HalfRange)
        );
        assert_eq!(
            resolve(None, Some(d(2026, 3, 2)), Some(d(2026, 3, 1)), today, &c),
            Err(PeriodError::Backwards)
        );
        assert_eq!(
            resolve(None, Some(d(2020, 1, 1)), Some(d(2026, 3, 1)), today, &c),
            Err(PeriodError::TooLong)
        );
        let march = range(d(2026, 3, 1), d(2026, 3, 31)).unwrap_or_else(|_| year(2026, &c));
        assert_eq!(from_code(&march.code, &c).map(|p| p.label), Ok(march.label));
        assert_eq!(from_code("2026-H1", &c).map(|p| p.code), Ok("2026-H1".to_owned()));
        assert!(from_code("2026-03-01_x", &c).is_err());
        let offered: Vec<String> = recent(today, 3, &c).into_iter().map(|p| p.code).collect();
        assert_eq!(offered, ["2026-H2", "2026-H1", "2025-H2"]);
    }

    #[test]
    fn periods_are_whole_vietnam_days() {
        let p = half(2026, true, &Cutoffs::default());
        assert_eq!(p.from().to_rfc3339(), "2025-12-31T17:00:00+00:00");
        assert_eq!(p.to().to_rfc3339(), "2026-06-15T17:00:00+00:00");
        assert_eq!(p.months().len(), 6);
        assert_eq!(p.months().first(), Some(&(2026, 1)));
        assert_eq!(p.as_of(p.to()), "hết ngày 15/06/2026");
        assert_eq!(p.as_of(p.to() - Duration::hours(10)), "14:00 15/06/2026");
    }
}
