//! Deadline arithmetic on explicit Vietnam-time instants: weekends, public holidays, Tết,
//! swapped Saturdays, starts outside working hours, escalation marks and their inverse.

use alerts::deadlines::{
    BusinessCalendar, CalendarError, Clock, DeadlineKind, DeadlinePolicy, ESCALATION_MARKS, Limit,
    Schedule, parse_hhmm,
};
use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use model::{Priority, Timestamp, VN_OFFSET};
use proptest::prelude::*;

use DeadlineKind::{Acknowledge, Decide, Respond};
use Priority::{P1, P2, P3};

/// A Vietnam wall-clock instant, as officers read deadlines.
fn vn(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    VN_OFFSET.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("a valid local time").to_utc()
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("a valid time")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn schedule() -> Schedule {
    Schedule::default()
}

#[test]
fn p2_acknowledge_on_friday_afternoon_ends_monday_morning() {
    // Friday 13 March 2026, 16:00: one hour left on Friday, the other on Monday.
    let start = vn(2026, 3, 13, 16, 0);
    assert_eq!(schedule().due(P2, Acknowledge, start), Some(vn(2026, 3, 16, 8, 30)));
}

#[test]
fn one_business_day_is_a_whole_working_day() {
    let start = vn(2026, 3, 13, 16, 0);
    assert_eq!(schedule().due(P2, Decide, start), Some(vn(2026, 3, 16, 16, 0)));
    assert_eq!(schedule().due(P2, Respond, start), Some(vn(2026, 3, 17, 16, 0)));
    assert_eq!(schedule().due(P3, Decide, start), Some(vn(2026, 3, 18, 16, 0)));
}

#[test]
fn reunification_and_labour_day_are_skipped() {
    // 30/4 and 1/5/2026 fall on Thursday and Friday: a Wednesday alert runs on to Monday.
    let s = schedule();
    assert_eq!(s.due(P2, Acknowledge, vn(2026, 4, 29, 16, 0)), Some(vn(2026, 5, 4, 8, 30)));
    assert_eq!(s.due(P2, Decide, vn(2026, 4, 29, 10, 0)), Some(vn(2026, 5, 4, 10, 0)));
}

#[test]
fn a_p3_alert_before_tet_waits_until_after_the_break() {
    // Friday 13/2/2026 14:00: three hours that day, then Tết from 14/2 to 22/2.
    let start = vn(2026, 2, 13, 14, 0);
    let due = schedule().due(P3, Acknowledge, start).expect("P3 has an acknowledge deadline");
    assert_eq!(due, vn(2026, 2, 23, 14, 0));
    assert!(due > vn(2026, 2, 22, 23, 59));
}

#[test]
fn p1_runs_through_weekends_and_tet_unchanged() {
    let s = schedule();
    for start in [vn(2026, 2, 15, 3, 0), vn(2026, 3, 14, 23, 50), vn(2026, 4, 30, 12, 0)] {
        assert_eq!(s.due(P1, Acknowledge, start), Some(start + Duration::minutes(30)));
        assert_eq!(s.due(P1, Decide, start), Some(start + Duration::hours(4)));
        assert_eq!(s.due(P1, Respond, start), Some(start + Duration::hours(24)));
    }
    assert_eq!(s.policy.limit(P1, Acknowledge).map(|l| l.clock), Some(Clock::Around));
}

#[test]
fn a_start_outside_hours_counts_from_the_next_opening() {
    let s = schedule();
    // Tuesday night.
    assert_eq!(s.due(P2, Acknowledge, vn(2026, 3, 10, 22, 0)), Some(vn(2026, 3, 11, 9, 30)));
    // Before opening on a working day.
    assert_eq!(s.due(P2, Acknowledge, vn(2026, 3, 11, 5, 0)), Some(vn(2026, 3, 11, 9, 30)));
    // On Giỗ Tổ Hùng Vương, taken on Monday 27/4/2026.
    assert_eq!(s.due(P2, Acknowledge, vn(2026, 4, 27, 10, 0)), Some(vn(2026, 4, 28, 9, 30)));
    // At closing time exactly.
    assert_eq!(s.due(P2, Acknowledge, vn(2026, 3, 11, 17, 0)), Some(vn(2026, 3, 12, 9, 30)));
    let cal = &s.calendar;
    assert_eq!(cal.next_opening(vn(2026, 2, 13, 18, 0)), vn(2026, 2, 23, 7, 30));
    assert_eq!(cal.next_opening(vn(2026, 3, 11, 9, 0)), vn(2026, 3, 11, 9, 0));
}

#[test]
fn a_sum_that_fills_the_day_ends_at_closing_time() {
    let s = schedule();
    assert_eq!(s.due(P2, Acknowledge, vn(2026, 3, 11, 15, 0)), Some(vn(2026, 3, 11, 17, 0)));
}

#[test]
fn swapped_saturdays_are_worked_and_swapped_fridays_are_not() {
    let s = schedule();
    let cal = &s.calendar;
    assert!(cal.is_holiday(date(2026, 1, 2)) && !cal.is_workday(date(2026, 1, 2)));
    assert!(cal.is_workday(date(2026, 1, 10)) && !cal.is_holiday(date(2026, 1, 10)));
    assert!(cal.is_business_time(vn(2026, 1, 10, 9, 0)));
    // Friday 9/1/2026 16:00: one hour, then the Saturday make-up day.
    assert_eq!(s.due(P2, Acknowledge, vn(2026, 1, 9, 16, 0)), Some(vn(2026, 1, 10, 8, 30)));
    // New Year's Eve 2025 at 16:00: Thursday 1/1 to Sunday 4/1 off.
    assert_eq!(s.due(P2, Acknowledge, vn(2025, 12, 31, 16, 0)), Some(vn(2026, 1, 5, 8, 30)));
}

#[test]
fn the_built_in_calendar_knows_the_statutory_days() {
    let cal = BusinessCalendar::vietnam();
    let off = [
        date(2025, 1, 1),
        date(2025, 1, 29),
        date(2025, 4, 7),
        date(2025, 5, 2),
        date(2025, 9, 1),
        date(2026, 2, 16),
        date(2026, 2, 20),
        date(2026, 4, 27),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2027, 1, 1),
        date(2027, 4, 16),
        date(2027, 5, 3),
    ];
    for d in off {
        assert!(cal.is_holiday(d) && !cal.is_workday(d), "{d}");
    }
    for d in [date(2026, 2, 13), date(2026, 2, 23), date(2026, 4, 28), date(2026, 9, 3)] {
        assert!(cal.is_workday(d), "{d}");
    }
    assert!(!cal.is_workday(date(2026, 3, 14)), "an ordinary Saturday");
}

#[test]
fn marks_fall_at_80_100_and_150_per_cent_of_business_time() {
    // 2 business hours from Friday 16:00: 96, 120 and 180 minutes of business time.
    let start = vn(2026, 3, 13, 16, 0);
    let marks = schedule().marks(P2, Acknowledge, start).expect("P2 acknowledges");
    assert_eq!(
        marks,
        [(80, vn(2026, 3, 16, 8, 6)), (100, vn(2026, 3, 16, 8, 30)), (150, vn(2026, 3, 16, 9, 30))]
    );
    assert_eq!(marks.map(|m| m.0), ESCALATION_MARKS);
    let p1 = schedule().marks(P1, Acknowledge, start).expect("P1 acknowledges");
    assert_eq!(p1.map(|m| m.1 - start), [24, 30, 45].map(Duration::minutes));
}

#[test]
fn crossings_report_only_marks_not_yet_recorded() {
    let s = schedule();
    let start = vn(2026, 3, 13, 16, 0);
    let now = vn(2026, 3, 16, 8, 40);
    let (m80, m100, m150) = (vn(2026, 3, 16, 8, 6), vn(2026, 3, 16, 8, 30), vn(2026, 3, 16, 9, 30));
    assert_eq!(s.crossings(P2, Acknowledge, start, now, &[]), [(80, m80), (100, m100)]);
    assert_eq!(s.crossings(P2, Acknowledge, start, now, &[80]), [(100, m100)]);
    assert_eq!(s.crossings(P2, Acknowledge, start, now, &[80, 100]), []);
    assert_eq!(s.crossings(P2, Acknowledge, start, vn(2026, 3, 14, 12, 0), &[]), []);
    let late = vn(2026, 3, 20, 12, 0);
    assert_eq!(s.crossings(P2, Acknowledge, start, late, &[80, 100]), [(150, m150)]);
    assert_eq!(s.crossings(P2, Acknowledge, start, m80, &[]), [(80, m80)]);
    assert_eq!(s.crossings(P3, Respond, start, late, &[]), []);
}

#[test]
fn progress_counts_business_time_and_agrees_with_the_marks() {
    let s = schedule();
    let start = vn(2026, 3, 13, 16, 0);
    let at = |t| s.progress(P2, Acknowledge, start, t);
    assert_eq!(at(vn(2026, 3, 13, 12, 0)), Some(0));
    assert_eq!(at(start), Some(0));
    assert_eq!(at(vn(2026, 3, 14, 12, 0)), Some(50));
    assert_eq!(at(vn(2026, 3, 16, 8, 30)), Some(100));
    assert_eq!(at(vn(2026, 3, 16, 9, 30)), Some(150));
    for (percent, t) in s.marks(P2, Acknowledge, start).expect("P2 acknowledges") {
        assert_eq!(at(t), Some(u32::from(percent)));
        assert!(at(t - Duration::nanoseconds(1)) < Some(u32::from(percent)));
    }
    assert_eq!(s.progress(P1, Acknowledge, start, start + Duration::minutes(15)), Some(50));
    assert_eq!(s.progress(P3, Respond, start, start), None);
}

#[test]
fn a_lunch_break_is_not_business_time() {
    let cal = BusinessCalendar::new(
        vec![(time(13, 0), time(17, 0)), (time(7, 30), time(11, 30))],
        [],
        [],
    )
    .expect("valid hours");
    assert_eq!(cal.spans(), [(time(7, 30), time(11, 30)), (time(13, 0), time(17, 0))]);
    assert_eq!(cal.day_length(), Duration::hours(8));
    let start = vn(2026, 3, 11, 11, 0);
    assert_eq!(cal.add(start, Duration::hours(2)), vn(2026, 3, 11, 14, 30));
    assert!(!cal.is_business_time(vn(2026, 3, 11, 12, 0)));
    assert_eq!(cal.elapsed(start, vn(2026, 3, 11, 14, 30)), Duration::hours(2));
    let schedule = Schedule { policy: DeadlinePolicy::standard(cal.day_length()), calendar: cal };
    assert_eq!(schedule.due(P2, Decide, start), Some(vn(2026, 3, 12, 11, 0)));
}

#[test]
fn bad_working_hours_are_refused() {
    let none: [NaiveDate; 0] = [];
    let new = |spans| BusinessCalendar::new(spans, none, none);
    assert_eq!(new(vec![]), Err(CalendarError::NoHours));
    assert_eq!(
        new(vec![(time(17, 0), time(7, 30))]),
        Err(CalendarError::Backwards(time(17, 0), time(7, 30)))
    );
    assert_eq!(
        new(vec![(time(9, 0), time(9, 0))]),
        Err(CalendarError::Backwards(time(9, 0), time(9, 0)))
    );
    let overlap = new(vec![(time(13, 0), time(17, 0)), (time(7, 30), time(13, 30))]);
    assert_eq!(
        overlap,
        Err(CalendarError::Overlap((time(7, 30), time(13, 30)), (time(13, 0), time(17, 0))))
    );
    let message = overlap.expect_err("overlaps").to_string();
    assert_eq!(message, "working hours 07:30-13:30 and 13:00-17:00 overlap");
    assert!(new(vec![(time(7, 30), time(11, 30)), (time(11, 30), time(17, 0))]).is_ok());
    let hours = BusinessCalendar::vietnam().with_spans(vec![(time(8, 0), time(7, 0))]);
    assert!(matches!(hours, Err(CalendarError::Backwards(..))));
}

#[test]
fn bad_extra_working_days_are_refused() {
    let hours = vec![(time(7, 30), time(17, 0))];
    let monday = date(2026, 3, 16);
    let saturday = date(2026, 3, 14);
    assert_eq!(
        BusinessCalendar::new(hours.clone(), [], [monday]),
        Err(CalendarError::WeekdayWorkday(monday))
    );
    assert_eq!(
        BusinessCalendar::new(hours.clone(), [saturday], [saturday]),
        Err(CalendarError::HolidayWorkday(saturday))
    );
    let cal = BusinessCalendar::new(hours, [], [saturday]).expect("valid");
    assert!(cal.is_workday(saturday));
    // A holiday added later wins over the extra working day.
    assert!(!cal.with_holidays([saturday]).is_workday(saturday));
}

#[test]
fn office_holidays_extend_the_built_in_ones() {
    let day = date(2026, 3, 16);
    let cal = BusinessCalendar::vietnam().with_holidays([day]);
    assert!(cal.is_holiday(day) && cal.is_holiday(date(2026, 2, 17)));
    let schedule = Schedule { policy: DeadlinePolicy::default(), calendar: cal };
    assert_eq!(schedule.due(P2, Acknowledge, vn(2026, 3, 13, 16, 0)), Some(vn(2026, 3, 17, 8, 30)));
}

#[test]
fn the_default_policy_is_the_proposed_table() {
    let p = DeadlinePolicy::default();
    let day = Duration::minutes(570);
    let expected = [
        (P1, Acknowledge, Some(Limit::around(Duration::minutes(30)))),
        (P1, Decide, Some(Limit::around(Duration::hours(4)))),
        (P1, Respond, Some(Limit::around(Duration::hours(24)))),
        (P2, Acknowledge, Some(Limit::business(Duration::hours(2)))),
        (P2, Decide, Some(Limit::business(day))),
        (P2, Respond, Some(Limit::business(day * 2))),
        (P3, Acknowledge, Some(Limit::business(day))),
        (P3, Decide, Some(Limit::business(day * 3))),
        (P3, Respond, None),
    ];
    assert_eq!(p.iter().collect::<Vec<_>>(), expected);
}

#[test]
fn configuration_text_takes_the_clock_of_the_priority() {
    let mut p = DeadlinePolicy::default();
    p.set_text(P1, Acknowledge, "20m").expect("valid");
    p.set_text(P2, Acknowledge, "3h").expect("valid");
    p.set_text(P3, Respond, "5 days").expect_err("days depend on the calendar");
    p.set_text(P3, Respond, "19h business").expect("valid");
    p.set_text(P3, Decide, "none").expect("valid");
    p.set_text(P2, Decide, "8h around the clock").expect("valid");
    assert_eq!(p.limit(P1, Acknowledge), Some(Limit::around(Duration::minutes(20))));
    assert_eq!(p.limit(P2, Acknowledge), Some(Limit::business(Duration::hours(3))));
    assert_eq!(p.limit(P3, Respond), Some(Limit::business(Duration::hours(19))));
    assert_eq!(p.limit(P3, Decide), None);
    assert_eq!(p.limit(P2, Decide), Some(Limit::around(Duration::hours(8))));
    p.set_minutes(P1, Decide, Some(90));
    p.set_minutes(P2, Respond, Some(120));
    p.set_minutes(P3, Acknowledge, Some(0));
    assert_eq!(p.limit(P1, Decide), Some(Limit::around(Duration::minutes(90))));
    assert_eq!(p.limit(P2, Respond), Some(Limit::business(Duration::hours(2))));
    assert_eq!(p.limit(P3, Acknowledge), None);
}

#[test]
fn limits_parse_and_print_back() {
    let cases = [
        ("30m", Limit::around(Duration::minutes(30))),
        ("4h", Limit::around(Duration::hours(4))),
        ("2 business hours", Limit::business(Duration::hours(2))),
        ("2h business", Limit::business(Duration::hours(2))),
        ("2 giờ hành chính", Limit::business(Duration::hours(2))),
        ("9h30m business", Limit::business(Duration::minutes(570))),
        ("24h 24/7", Limit::around(Duration::hours(24))),
    ];
    for (text, limit) in cases {
        assert_eq!(Limit::parse(text), Ok(limit), "{text}");
        assert_eq!(Limit::parse(&limit.to_string()), Ok(limit), "{limit}");
    }
    assert_eq!(Limit::business(Duration::minutes(570)).to_string(), "9h30m business");
    for bad in ["", "business", "2h business 24/7", "soon", "0h"] {
        assert_eq!(Limit::parse(bad), Err(CalendarError::Duration(bad.to_owned())), "{bad}");
    }
    assert_eq!(parse_hhmm("17:00"), Ok(time(17, 0)));
}

#[test]
fn deadline_kinds_round_trip() {
    for &k in DeadlineKind::ALL {
        assert_eq!(k.as_str().parse::<DeadlineKind>(), Ok(k));
        assert_eq!(k.to_string(), k.as_str());
    }
    assert_eq!(Acknowledge.label(), "Tiếp nhận");
    assert_eq!(Decide.label(), "Quyết định");
    assert_eq!(Respond.label(), "Phản hồi");
    let err = "ack".parse::<DeadlineKind>().expect_err("unknown");
    assert_eq!(err.value, "ack");
}

#[test]
fn elapsed_is_zero_backwards_and_counts_only_working_hours() {
    let cal = BusinessCalendar::vietnam();
    let (fri, mon) = (vn(2026, 3, 13, 7, 30), vn(2026, 3, 16, 17, 0));
    assert_eq!(cal.elapsed(fri, mon), Duration::hours(19));
    assert_eq!(cal.elapsed(mon, fri), Duration::zero());
    // A whole Tết week counts nothing.
    assert_eq!(cal.elapsed(vn(2026, 2, 13, 17, 0), vn(2026, 2, 23, 7, 30)), Duration::zero());
    assert_eq!(cal.add(fri, Duration::zero()), fri);
    assert_eq!(cal.add(fri, -Duration::hours(1)), fri);
}

/// Instants from 2025 to the end of 2027, at second precision, around the clock.
fn instant() -> impl Strategy<Value = Timestamp> {
    let (lo, hi) = (
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap().timestamp(),
        Utc.with_ymd_and_hms(2027, 12, 31, 0, 0, 0).unwrap().timestamp(),
    );
    (lo..hi).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn elapsed_undoes_add(start in instant(), seconds in 0i64..200 * 3600) {
        let cal = BusinessCalendar::vietnam();
        let d = Duration::seconds(seconds);
        let end = cal.add(start, d);
        prop_assert_eq!(cal.elapsed(start, end), d);
        prop_assert!(end >= start);
        if d > Duration::zero() {
            // The earliest such instant: a second less would not be enough.
            prop_assert!(cal.elapsed(start, end - Duration::seconds(1)) < d);
        }
    }

    #[test]
    fn add_undoes_elapsed_within_business_time(start in instant(), end in instant()) {
        let cal = BusinessCalendar::vietnam();
        let back = cal.add(start, cal.elapsed(start, end));
        // Whole seconds: when the second before `end` is business time, `end` is the only
        // instant that has run exactly this much.
        if end > start && cal.is_business_time(end - Duration::seconds(1)) {
            prop_assert_eq!(back, end);
        } else {
            prop_assert!(back <= end.max(start));
            prop_assert_eq!(cal.elapsed(back, end), Duration::zero());
        }
    }

    #[test]
    fn progress_reaches_each_mark_at_its_instant(start in instant(), p in 0usize..3, k in 0usize..3) {
        let s = Schedule::default();
        let (p, k) = ([P1, P2, P3][p], DeadlineKind::ALL[k]);
        if let Some(marks) = s.marks(p, k, start) {
            for (percent, at) in marks {
                prop_assert_eq!(s.progress(p, k, start, at), Some(u32::from(percent)));
            }
            prop_assert_eq!(marks[1].1, s.due(p, k, start).unwrap());
        }
    }
}
