//! Reading the dates that feeds and Vietnamese pages print: RFC 2822 and RFC 3339, and the
//! day-first forms of the Vietnamese press (`Thứ tư, 14/02/2024 21:18 (GMT+7)`,
//! `14/02/2024 - 21:18`, `21:18 14/2/2024`, `21 giờ 18 phút ngày 14/2/2024`,
//! `ngày 14 tháng 2 năm 2024`, `14 Tháng Hai, 2024`).
//!
//! A date without a zone is Vietnam time: that is what every Vietnamese outlet means, and
//! reading it as UTC would move an article seven hours into the future.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use crate::{Timestamp, VN_OFFSET};

/// Parses a date and time as feeds and Vietnamese news pages write them. Returns `None`
/// when no calendar date can be found; a date without a time is taken as midnight.
pub fn parse_datetime(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.to_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(text) {
        return Some(t.to_utc());
    }
    let scan = Scan::new(text);
    let date = scan.date()?;
    let (time, offset) = scan.time_and_offset();
    let local = NaiveDateTime::new(date, time.unwrap_or(NaiveTime::MIN));
    let offset = offset.unwrap_or(VN_OFFSET);
    offset.from_local_datetime(&local).single().map(|t| t.to_utc())
}

/// Like [`parse_datetime`], and also reads the relative times of listing pages
/// (`5 phút trước`, `2 giờ trước`, `3 ngày trước`, `hôm qua`) against `now`.
pub fn parse_datetime_relative(text: &str, now: Timestamp) -> Option<Timestamp> {
    if let Some(t) = parse_datetime(text) {
        return Some(t);
    }
    let lower = text.trim().to_lowercase();
    if lower.contains("vừa xong") || lower.contains("vừa đăng") {
        return Some(now);
    }
    if lower.contains("hôm qua") {
        return Some(now - Duration::days(1));
    }
    let rest = lower.split("trước").next()?;
    let mut words = rest.split_whitespace().rev();
    let unit = words.next()?;
    let n: i64 = words.next()?.parse().ok()?;
    let step = match unit {
        "giây" => Duration::seconds(1),
        "phút" => Duration::minutes(1),
        "giờ" | "tiếng" => Duration::hours(1),
        "ngày" => Duration::days(1),
        "tuần" => Duration::weeks(1),
        _ => return None,
    };
    Some(now - step * i32::try_from(n).ok()?)
}

/// The numbers and markers of a date string, in order.
#[derive(Debug)]
struct Scan {
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    /// A run of digits, with its length (so `07` and `2024` keep their width).
    Number(u32, usize),
    /// A single separator character.
    Sep(char),
    /// A lowercase word.
    Word(String),
}

impl Scan {
    fn new(text: &str) -> Scan {
        let mut items = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() {
                let mut n: u32 = 0;
                let mut len = 0;
                while let Some(&d) = chars.peek() {
                    let Some(v) = d.to_digit(10) else { break };
                    n = n.saturating_mul(10).saturating_add(v);
                    len += 1;
                    chars.next();
                }
                items.push(Item::Number(n, len));
            } else if c.is_alphabetic() {
                let mut w = String::new();
                while let Some(&d) = chars.peek() {
                    if !d.is_alphabetic() {
                        break;
                    }
                    w.extend(d.to_lowercase());
                    chars.next();
                }
                items.push(Item::Word(w));
            } else {
                if !c.is_whitespace() {
                    items.push(Item::Sep(c));
                }
                chars.next();
            }
        }
        Scan { items }
    }

    fn number(&self, i: usize) -> Option<(u32, usize)> {
        match self.items.get(i) {
            Some(Item::Number(n, len)) => Some((*n, *len)),
            _ => None,
        }
    }

    fn sep(&self, i: usize) -> Option<char> {
        match self.items.get(i) {
            Some(Item::Sep(c)) => Some(*c),
            _ => None,
        }
    }

    fn word(&self, i: usize) -> Option<&str> {
        match self.items.get(i) {
            Some(Item::Word(w)) => Some(w),
            _ => None,
        }
    }

    /// The first calendar date: `yyyy-mm-dd`, day-first `dd/mm/yyyy` (also with `-` or
    /// `.`), or `ngày D tháng M năm Y`, or an English month name.
    fn date(&self) -> Option<NaiveDate> {
        for i in 0..self.items.len() {
            if let Some(d) = self.numeric_date(i) {
                return Some(d);
            }
            if let Some(d) = self.spelled_date(i) {
                return Some(d);
            }
        }
        None
    }

    fn numeric_date(&self, i: usize) -> Option<NaiveDate> {
        let (a, alen) = self.number(i)?;
        let s1 = self.sep(i + 1).filter(|c| matches!(c, '/' | '-' | '.'))?;
        let (b, _) = self.number(i + 2)?;
        self.sep(i + 3).filter(|c| *c == s1)?;
        let (c, clen) = self.number(i + 4)?;
        // A time like 21:18 is never mistaken for a date: ':' is not a date separator.
        let (y, m, d) = if alen == 4 { (a, b, c) } else { (year(c, clen)?, b, a) };
        NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
    }

    fn spelled_date(&self, i: usize) -> Option<NaiveDate> {
        // "ngày 14 tháng 2 năm 2024" or "14 tháng 2, 2024"; "Feb 14, 2024"; "14 Feb 2024".
        let mut j = i;
        if self.word(j) == Some("ngày") {
            j += 1;
        }
        if let Some((d, _)) = self.number(j) {
            if self.word(j + 1) == Some("tháng") {
                let (m, mut k) = match self.number(j + 2) {
                    Some((m, _)) => (m, j + 3),
                    None => self.month_words(j + 2)?,
                };
                while self.sep(k).is_some() || self.word(k) == Some("năm") {
                    k += 1;
                }
                let (y, ylen) = self.number(k)?;
                return NaiveDate::from_ymd_opt(i32::try_from(year(y, ylen)?).ok()?, m, d);
            }
            if let Some(m) = self.word(j + 1).and_then(month_name) {
                let mut k = j + 2;
                while self.sep(k).is_some() {
                    k += 1;
                }
                let (y, ylen) = self.number(k)?;
                return NaiveDate::from_ymd_opt(i32::try_from(year(y, ylen)?).ok()?, m, d);
            }
        }
        let m = self.word(i).and_then(month_name)?;
        let (d, _) = self.number(i + 1)?;
        let mut k = i + 2;
        while self.sep(k).is_some() {
            k += 1;
        }
        let (y, ylen) = self.number(k)?;
        NaiveDate::from_ymd_opt(i32::try_from(year(y, ylen)?).ok()?, m, d)
    }

    /// A month written in words after `tháng` ("Hai", "Mười Một", "Chạp"), as WordPress
    /// and some portals print it, and the index after it. `năm` followed by a number is the
    /// year marker, not May.
    fn month_words(&self, i: usize) -> Option<(u32, usize)> {
        let unit = |w: &str| -> Option<u32> {
            Some(match w {
                "một" | "giêng" => 1,
                "hai" => 2,
                "ba" => 3,
                "tư" | "bốn" => 4,
                "năm" => 5,
                "sáu" => 6,
                "bảy" => 7,
                "tám" => 8,
                "chín" => 9,
                "mười" => 10,
                "chạp" => 12,
                _ => return None,
            })
        };
        let first = self.word(i)?;
        if first == "mười"
            && let Some(m @ (1 | 2)) = self.word(i + 1).and_then(unit)
        {
            return Some((10 + m, i + 2));
        }
        let m = unit(first)?;
        if m == 5 && self.number(i + 1).is_some() {
            return None;
        }
        Some((m, i + 1))
    }

    /// The first time of day (`21:18`, `21:18:05`, `21h18`, with `SA`/`CH`/`AM`/`PM`) and
    /// the first zone (`GMT+7`, `UTC+07:00`, `+0700`, `Z`, `GMT`).
    fn time_and_offset(&self) -> (Option<NaiveTime>, Option<FixedOffset>) {
        let mut time = None;
        let mut offset = None;
        let mut i = 0;
        while i < self.items.len() {
            if time.is_none()
                && let Some((t, next)) = self.time_at(i)
            {
                time = Some(t);
                i = next;
                // A bare sign and number is an offset only right after the time
                // ("21:18:00+07:00"); elsewhere "15-02" is part of a date.
                if offset.is_none()
                    && let Some((o, after)) = self.offset_at(i, false)
                {
                    offset = Some(o);
                    i = after;
                }
                continue;
            }
            if offset.is_none()
                && let Some((o, next)) = self.offset_at(i, true)
            {
                offset = Some(o);
                i = next;
                continue;
            }
            i += 1;
        }
        (time, offset)
    }

    fn time_at(&self, i: usize) -> Option<(NaiveTime, usize)> {
        let (h, hlen) = self.number(i)?;
        if hlen > 2 {
            return None;
        }
        let hour_mark =
            self.sep(i + 1) == Some(':') || matches!(self.word(i + 1), Some("h" | "giờ"));
        if !hour_mark {
            return None;
        }
        let (m, mlen) = self.number(i + 2)?;
        // "21:18" always has two minute digits; "21 giờ 5 phút" need not.
        if mlen != 2 && !(mlen == 1 && self.word(i + 3) == Some("phút")) {
            return None;
        }
        let mut next = i + 3;
        // "21 giờ 18 phút"
        if self.word(next) == Some("phút") {
            next += 1;
        }
        let mut s = 0;
        if self.sep(next) == Some(':')
            && let Some((sec, 2)) = self.number(next + 1)
        {
            s = sec;
            next += 2;
        }
        // Fractions of a second ("21:18:05.123") are dropped.
        if self.sep(next) == Some('.') && self.number(next + 1).is_some() {
            next += 2;
        }
        let mut h = h;
        match self.word(next) {
            Some("pm" | "ch" | "chiều" | "tối") if h < 12 => {
                h += 12;
                next += 1;
            }
            Some("am" | "sa" | "sáng") if h == 12 => {
                h = 0;
                next += 1;
            }
            Some("pm" | "ch" | "am" | "sa" | "sáng" | "chiều" | "tối") => next += 1,
            _ => {}
        }
        Some((NaiveTime::from_hms_opt(h, m, s)?, next))
    }

    /// A zone at `i`: a name (`GMT`, `UTC`, `ICT`, `Z`) with an optional signed offset,
    /// or, when `named_only` is false, a bare signed offset.
    fn offset_at(&self, i: usize, named_only: bool) -> Option<(FixedOffset, usize)> {
        let mut j = i;
        let named = matches!(self.word(j), Some("gmt" | "utc" | "z" | "ict"));
        if named {
            if self.word(j) == Some("ict") {
                return Some((VN_OFFSET, j + 1));
            }
            j += 1;
        } else if named_only {
            return None;
        }
        let sign = match self.sep(j) {
            Some('+') => 1,
            Some('-' | '−') => -1,
            _ if named => return Some((FixedOffset::east_opt(0)?, j)),
            _ => return None,
        };
        let (a, alen) = self.number(j + 1)?;
        let (hours, minutes, next) = match alen {
            4 => (a / 100, a % 100, j + 2),
            1 | 2 => match (self.sep(j + 2), self.number(j + 3)) {
                (Some(':'), Some((m, 2))) => (a, m, j + 4),
                _ => (a, 0, j + 2),
            },
            _ => return None,
        };
        if hours > 14 || minutes > 59 {
            return None;
        }
        let secs = i32::try_from(hours * 3600 + minutes * 60).ok()? * sign;
        Some((FixedOffset::east_opt(secs)?, next))
    }
}

fn year(n: u32, len: usize) -> Option<u32> {
    match len {
        4 => Some(n),
        2 => Some(2000 + n),
        _ => None,
    }
}

fn month_name(w: &str) -> Option<u32> {
    let m = match w.get(..3)? {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected_utc: &str) {
        let got = parse_datetime(text).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        assert_eq!(got.as_deref(), Some(expected_utc), "{text:?}");
    }

    #[test]
    fn vietnamese_press_formats_are_vietnam_time() {
        check("Thứ tư, 14/02/2024 21:18 (GMT+7)", "2024-02-14T14:18:00Z");
        check("14/02/2024 - 21:18", "2024-02-14T14:18:00Z");
        check("21:18 14/2/2024", "2024-02-14T14:18:00Z");
        check("Thứ Năm, ngày 15/02/2024 - 06:05", "2024-02-14T23:05:00Z");
        check("Cập nhật: 15-02-2024 06:05:09", "2024-02-14T23:05:09Z");
        check("15.02.2024 | 6h05", "2024-02-14T23:05:00Z");
        check("ngày 14 tháng 2 năm 2024", "2024-02-13T17:00:00Z");
        check("14/02/2024 09:18 CH", "2024-02-14T14:18:00Z");
        check("14/02/24 21:18", "2024-02-14T14:18:00Z");
        check("14 Tháng Hai, 2024", "2024-02-13T17:00:00Z");
        check("ngày 2 tháng Mười Một năm 2024 lúc 8:05", "2024-11-02T01:05:00Z");
        check("15 tháng Năm, 2024", "2024-05-14T17:00:00Z");
        check("1 tháng Chạp 2023", "2023-11-30T17:00:00Z");
        check("Thứ Tư, 14/2/2024, 21:18 (GMT+7)", "2024-02-14T14:18:00Z");
        check("21 giờ 18 phút, ngày 14/2/2024", "2024-02-14T14:18:00Z");
        check("Cập nhật lúc 6 giờ 5 phút ngày 15/02/2024", "2024-02-14T23:05:00Z");
        check("Chủ nhật, 18/2/2024 | 08:00 GMT+7", "2024-02-18T01:00:00Z");
    }

    #[test]
    fn feed_dates_in_the_wild() {
        check("Thu, 01 Jan 04 19:48:21 EST", "2004-01-02T00:48:21Z");
        check("Thu, 1 Jan 2004 19:48:21 GMT", "2004-01-01T19:48:21Z");
        check("2004-01-01T19:48:21+07:00", "2004-01-01T12:48:21Z");
        check("2024-02-14", "2024-02-13T17:00:00Z");
    }

    #[test]
    fn standard_and_zoned_formats() {
        check("Wed, 26 Jul 2017 19:55:20 +0700", "2017-07-26T12:55:20Z");
        check("2024-02-14T21:18:00+07:00", "2024-02-14T14:18:00Z");
        check("2024-02-14T14:18:00Z", "2024-02-14T14:18:00Z");
        check("2024-02-14 21:18:00", "2024-02-14T14:18:00Z");
        check("2024-02-14 21:18 GMT+7", "2024-02-14T14:18:00Z");
        check("14/02/2024 14:18 GMT", "2024-02-14T14:18:00Z");
        check("14/02/2024 16:18 UTC+09:00", "2024-02-14T07:18:00Z");
        check("Feb 14, 2024 9:18 PM", "2024-02-14T14:18:00Z");
        check("2024-02-14T21:18:00.123+07:00", "2024-02-14T14:18:00Z");
    }

    #[test]
    fn impossible_or_missing_dates_are_none() {
        for text in ["", "hôm nay", "31/02/2024 10:00", "21:18", "10/2024", "Số 12/3 ngõ 4"] {
            assert_eq!(parse_datetime(text), None, "{text:?}");
        }
    }

    #[test]
    fn relative_times_count_back_from_now() {
        let now = parse_datetime("2024-02-14T12:00:00Z").unwrap();
        let at = |s| parse_datetime_relative(s, now).map(|t| (now - t).num_minutes());
        assert_eq!(at("5 phút trước"), Some(5));
        assert_eq!(at("2 giờ trước"), Some(120));
        assert_eq!(at("Hôm qua"), Some(24 * 60));
        assert_eq!(at("1 ngày trước"), Some(24 * 60));
        assert_eq!(at("mới"), None);
    }
}
