//! Query-string parameters shared by the story and trend pages and their API: each one read
//! from text, checked, and refused with a message that names it.
//!
//! An empty value is the same as no value, because a GET form sends its empty fields.

use chrono::{DateTime, Utc};
use model::{SourceTier, Timestamp};

use crate::error::AppError;

/// The longest rule id accepted; rule ids are short, so anything longer is not one.
const MAX_RULE_BYTES: usize = 200;
/// The farthest back a `since` of days may reach.
const MAX_SINCE_DAYS: i64 = 3650;
/// The deepest offset a list may page to.
pub(crate) const MAX_OFFSET: i64 = 100_000;

/// A parameter that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamError {
    pub(crate) name: &'static str,
    pub(crate) message: String,
}

impl ParamError {
    fn new(name: &'static str, message: impl Into<String>) -> ParamError {
        ParamError { name, message: message.into() }
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid parameter {}: {}", self.name, self.message)
    }
}

impl From<ParamError> for AppError {
    fn from(e: ParamError) -> AppError {
        AppError::BadRequest(e.to_string())
    }
}

/// Some text shown back in a message, cut short and stripped of control characters.
fn shown(value: &str) -> String {
    let cut: String = value.chars().filter(|c| !c.is_control()).take(40).collect();
    format!("{cut:?}")
}

/// `path` with a query string of `pairs` (none when empty).
pub(crate) fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let start = path.len() + 1;
    let mut url = url::form_urlencoded::Serializer::for_suffix(format!("{path}?"), start);
    url.extend_pairs(pairs);
    url.finish()
}

/// The value, or `None` when missing or empty.
pub(crate) fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A whole number within `min..=max`.
pub(crate) fn number(
    name: &'static str,
    value: &Option<String>,
    min: i64,
    max: i64,
) -> Result<Option<i64>, ParamError> {
    let Some(v) = present(value) else { return Ok(None) };
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        Ok(_) => Err(ParamError::new(name, format!("{} is not between {min} and {max}", shown(v)))),
        Err(_) => Err(ParamError::new(name, format!("{} is not a whole number", shown(v)))),
    }
}

/// A province code of one of the 34 provincial units.
pub(crate) fn province(value: &Option<String>) -> Result<Option<&'static str>, ParamError> {
    let Some(v) = present(value) else { return Ok(None) };
    gazetteer::unit(v).map(|u| Some(u.code)).ok_or_else(|| {
        ParamError::new("province", format!("{} is not a province code such as 01 or 79", shown(v)))
    })
}

/// A rule id (`topic.sot-xuat-huyet`, `tag:dich-benh`): letters, digits and `.-_:`.
pub(crate) fn rule(
    name: &'static str,
    value: &Option<String>,
) -> Result<Option<String>, ParamError> {
    let Some(v) = present(value) else { return Ok(None) };
    let ok = v.len() <= MAX_RULE_BYTES
        && v.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    if ok {
        Ok(Some(v.to_owned()))
    } else {
        Err(ParamError::new(name, format!("{} is not a rule id", shown(v))))
    }
}

/// A source tier.
pub(crate) fn tier(value: &Option<String>) -> Result<Option<SourceTier>, ParamError> {
    let Some(v) = present(value) else { return Ok(None) };
    v.parse::<SourceTier>().map(Some).map_err(|_| {
        ParamError::new(
            "tier",
            format!("{} is not a tier: expected official, press, aggregator or social", shown(v)),
        )
    })
}

/// A point in time: RFC 3339, or a number of days before `now`.
pub(crate) fn since(
    value: &Option<String>,
    now: Timestamp,
) -> Result<Option<Timestamp>, ParamError> {
    let Some(v) = present(value) else { return Ok(None) };
    if let Ok(days) = v.parse::<i64>() {
        if !(1..=MAX_SINCE_DAYS).contains(&days) {
            return Err(ParamError::new(
                "since",
                format!("{days} days is not between 1 and {MAX_SINCE_DAYS}"),
            ));
        }
        return Ok(Some(now - chrono::Duration::days(days)));
    }
    DateTime::parse_from_rfc3339(v).map(|t| Some(t.with_timezone(&Utc))).map_err(|_| {
        ParamError::new(
            "since",
            format!("{} is neither a number of days nor an RFC 3339 time", shown(v)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn empty_values_are_missing_values() {
        assert_eq!(number("days", &s(""), 1, 5), Ok(None));
        assert_eq!(province(&s("  ")), Ok(None));
        assert_eq!(tier(&None), Ok(None));
    }

    #[test]
    fn values_are_checked_and_errors_name_their_parameter() {
        assert_eq!(number("days", &s("7"), 1, 365), Ok(Some(7)));
        let e = number("days", &s("366"), 1, 365).unwrap_err();
        assert_eq!(e.to_string(), "invalid parameter days: \"366\" is not between 1 and 365");
        assert_eq!(number("limit", &s("x"), 1, 100).unwrap_err().name, "limit");
        assert_eq!(province(&s("79")), Ok(Some("79")));
        assert_eq!(province(&s("74")).unwrap_err().name, "province", "a former code");
        assert_eq!(
            rule("rule", &s("topic.sot-xuat-huyet")),
            Ok(Some("topic.sot-xuat-huyet".into()))
        );
        assert_eq!(rule("topic", &s("tag:dịch-bệnh")), Ok(Some("tag:dịch-bệnh".into())));
        assert!(rule("topic", &s("a' OR 1=1")).is_err());
        assert_eq!(tier(&s("press")), Ok(Some(SourceTier::Press)));
        assert!(tier(&s("tabloid")).is_err());
    }

    #[test]
    fn since_is_days_or_a_time() {
        let now = Utc::now();
        assert_eq!(since(&s("7"), now), Ok(Some(now - chrono::Duration::days(7))));
        let t = since(&s("2026-11-20T08:00:00+07:00"), now).unwrap().unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-20T01:00:00+00:00");
        assert_eq!(since(&s("0"), now).unwrap_err().name, "since");
        assert_eq!(since(&s("hôm qua"), now).unwrap_err().name, "since");
    }
}
