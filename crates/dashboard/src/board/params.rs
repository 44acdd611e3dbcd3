//! The queue's query string: the same filters as a board panel, written as `GET` parameters
//! (`state=new,acknowledged&assignee=me&overdue=1`), each read, checked and refused with a
//! message in Vietnamese for pages and in English for the API.
//!
//! A list may be written with commas or by repeating the parameter; an empty value is no
//! value, because a `GET` form sends its empty fields.

use model::{AlertState, Priority, RuleKind, SourceTier};
use store::{MAX_QUEUE_LIMIT, MAX_QUEUE_OFFSET, MAX_QUEUE_TEXT_CHARS, QueueSort};

use super::spec::{AssigneeSel, FilterSpec, StateSel};

/// Alerts per page of the queue unless asked otherwise.
pub(crate) const DEFAULT_QUEUE_LIMIT: i64 = 50;
/// The longest query string read.
const MAX_QUERY_BYTES: usize = 4096;

/// A parameter that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamProblem {
    pub(crate) name: &'static str,
    /// For pages.
    pub(crate) vi: String,
    /// For the API.
    pub(crate) en: String,
}

impl ParamProblem {
    fn new(name: &'static str, vi: String, en: String) -> ParamProblem {
        ParamProblem { name, vi, en }
    }

    /// The message of a page.
    pub(crate) fn page_message(&self) -> String {
        format!("Tham số không hợp lệ ({}): {}", self.name, self.vi)
    }

    /// The message of the API.
    pub(crate) fn api_message(&self) -> String {
        format!("invalid parameter {}: {}", self.name, self.en)
    }
}

/// The queue as asked: what to select and which page of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueueQuery {
    pub(crate) spec: FilterSpec,
    pub(crate) limit: i64,
    pub(crate) offset: i64,
}

/// The raw values, as a form shows them back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RawQueue {
    pub(crate) state: String,
    pub(crate) priority: String,
    pub(crate) kind: String,
    pub(crate) province: String,
    pub(crate) assignee: String,
    pub(crate) tier: String,
    pub(crate) overdue: bool,
    pub(crate) q: String,
    pub(crate) sort: String,
}

/// Some text shown back in a message, cut short and stripped of control characters.
fn shown(value: &str) -> String {
    let cut: String = value.chars().filter(|c| !c.is_control()).take(40).collect();
    format!("«{cut}»")
}

fn shown_en(value: &str) -> String {
    let cut: String = value.chars().filter(|c| !c.is_control()).take(40).collect();
    format!("{cut:?}")
}

/// The values of `name`: repeated parameters and comma-separated lists, trimmed, empty
/// ones dropped.
fn items(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

fn one(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .rev()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
}

fn list<T: std::str::FromStr + PartialEq>(
    pairs: &[(String, String)],
    name: &'static str,
    what_vi: &str,
    what_en: &str,
) -> Result<Vec<T>, ParamProblem> {
    let mut out = Vec::new();
    for v in items(pairs, name) {
        match v.parse::<T>() {
            Ok(x) if !out.contains(&x) => out.push(x),
            Ok(_) => {}
            Err(_) => {
                return Err(ParamProblem::new(
                    name,
                    format!("{} không phải là {what_vi}", shown(&v)),
                    format!("{} is not {what_en}", shown_en(&v)),
                ));
            }
        }
    }
    Ok(out)
}

fn number(
    pairs: &[(String, String)],
    name: &'static str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, ParamProblem> {
    let Some(v) = one(pairs, name) else { return Ok(None) };
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(ParamProblem::new(
            name,
            format!("{} không phải là số từ {min} đến {max}", shown(&v)),
            format!("{} is not a whole number between {min} and {max}", shown_en(&v)),
        )),
    }
}

/// Reads the queue's query string.
pub(crate) fn parse_queue(raw: Option<&str>) -> Result<(QueueQuery, RawQueue), ParamProblem> {
    let raw = raw.unwrap_or_default();
    if raw.len() > MAX_QUERY_BYTES {
        return Err(ParamProblem::new(
            "query",
            format!("dài quá {MAX_QUERY_BYTES} byte"),
            format!("longer than {MAX_QUERY_BYTES} bytes"),
        ));
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut spec = FilterSpec::default();
    let states = items(&pairs, "state");
    spec.states = match states.as_slice() {
        [] => StateSel::Open,
        [one] if one == "open" => StateSel::Open,
        [one] if one == "all" => StateSel::All,
        _ => StateSel::Some(list::<AlertState>(
            &pairs,
            "state",
            "trạng thái cảnh báo (new, acknowledged, verifying, …, open hoặc all)",
            "an alert state (new, acknowledged, verifying, …, open or all)",
        )?),
    };
    spec.priorities = list::<Priority>(
        &pairs,
        "priority",
        "mức ưu tiên (p1, p2, p3)",
        "a priority: p1, p2 or p3",
    )?;
    spec.kinds = list::<RuleKind>(
        &pairs,
        "kind",
        "loại cảnh báo (rumor, watch, crisis, spike)",
        "an alert kind: rumor, watch, crisis or spike",
    )?;
    let province = one(&pairs, "province");
    if let Some(code) = &province {
        spec.province = Some(gazetteer::unit(code).map(|u| u.code).ok_or_else(|| {
            ParamProblem::new(
                "province",
                format!("{} không phải là mã tỉnh, thành (ví dụ 01, 79)", shown(code)),
                format!("{} is not a province code such as 01 or 79", shown_en(code)),
            )
        })?);
    }
    let assignee = one(&pairs, "assignee");
    spec.assignee = match assignee.as_deref() {
        None | Some("any") => AssigneeSel::Any,
        Some("me") => AssigneeSel::Me,
        Some("unassigned") => AssigneeSel::Unassigned,
        Some(other) => match other.parse::<i64>() {
            Ok(id) if id > 0 => AssigneeSel::User(id),
            _ => {
                return Err(ParamProblem::new(
                    "assignee",
                    format!(
                        "{} không phải là người xử lý (me, unassigned hoặc mã tài khoản)",
                        shown(other)
                    ),
                    format!("{} is not me, unassigned or a user id", shown_en(other)),
                ));
            }
        },
    };
    let tier = one(&pairs, "tier");
    if let Some(t) = &tier {
        spec.tier = Some(t.parse::<SourceTier>().map_err(|_| {
            ParamProblem::new(
                "tier",
                format!(
                    "{} không phải là loại nguồn (official, press, aggregator, social)",
                    shown(t)
                ),
                format!(
                    "{} is not a tier: expected official, press, aggregator or social",
                    shown_en(t)
                ),
            )
        })?);
    }
    spec.overdue = match one(&pairs, "overdue").as_deref() {
        None | Some("0" | "false" | "no") => false,
        Some("1" | "true" | "on" | "yes") => true,
        Some(other) => {
            return Err(ParamProblem::new(
                "overdue",
                format!("{} không phải là 1 hoặc 0", shown(other)),
                format!("{} is not 1 or 0", shown_en(other)),
            ));
        }
    };
    let q = one(&pairs, "q");
    if let Some(q) = &q {
        if q.chars().count() > MAX_QUEUE_TEXT_CHARS {
            return Err(ParamProblem::new(
                "q",
                format!("dài quá {MAX_QUEUE_TEXT_CHARS} ký tự"),
                format!("longer than {MAX_QUEUE_TEXT_CHARS} characters"),
            ));
        }
        spec.text = Some(q.clone());
    }
    let sort = one(&pairs, "sort");
    spec.sort = match sort.as_deref() {
        None | Some("urgency") => QueueSort::Urgency,
        Some("recent") => QueueSort::Recent,
        Some(other) => {
            return Err(ParamProblem::new(
                "sort",
                format!("{} không phải là urgency hoặc recent", shown(other)),
                format!("{} is not urgency or recent", shown_en(other)),
            ));
        }
    };
    let limit = number(&pairs, "limit", 1, MAX_QUEUE_LIMIT)?.unwrap_or(DEFAULT_QUEUE_LIMIT);
    let offset = number(&pairs, "offset", 0, MAX_QUEUE_OFFSET)?.unwrap_or(0);
    let shown_raw = RawQueue {
        state: states.join(","),
        priority: items(&pairs, "priority").join(","),
        kind: items(&pairs, "kind").join(","),
        province: province.unwrap_or_default(),
        assignee: assignee.unwrap_or_default(),
        tier: tier.unwrap_or_default(),
        overdue: spec.overdue,
        q: q.unwrap_or_default(),
        sort: sort.unwrap_or_default(),
    };
    Ok((QueueQuery { spec, limit, offset }, shown_raw))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parse(q: &str) -> Result<QueueQuery, ParamProblem> {
        parse_queue(Some(q)).map(|(q, _)| q)
    }

    #[test]
    fn an_empty_form_is_every_open_alert() {
        let q = parse("state=&priority=&assignee=&tier=&q=&province=").unwrap();
        assert_eq!(q.spec, FilterSpec::default());
        assert_eq!((q.limit, q.offset), (DEFAULT_QUEUE_LIMIT, 0));
        assert_eq!(parse_queue(None).unwrap().0, q);
    }

    #[test]
    fn lists_are_commas_or_repeated_parameters() {
        let q = parse("state=new,acknowledged&state=new&priority=p1&priority=p2").unwrap();
        assert_eq!(q.spec.states, StateSel::Some(vec![AlertState::New, AlertState::Acknowledged]));
        assert_eq!(q.spec.priorities, [Priority::P1, Priority::P2]);
        assert_eq!(parse("state=all").unwrap().spec.states, StateSel::All);
        let q = parse(
            "assignee=me&overdue=1&tier=social&province=79&q=%C4%91u&sort=recent&limit=5&offset=10",
        )
        .unwrap();
        assert_eq!(q.spec.assignee, AssigneeSel::Me);
        assert!(q.spec.overdue);
        assert_eq!(q.spec.tier, Some(SourceTier::Social));
        assert_eq!(q.spec.province, Some("79"));
        assert_eq!(q.spec.text.as_deref(), Some("đu"));
        assert_eq!((q.spec.sort, q.limit, q.offset), (QueueSort::Recent, 5, 10));
        assert_eq!(parse("assignee=12").unwrap().spec.assignee, AssigneeSel::User(12));
        assert_eq!(parse("assignee=unassigned").unwrap().spec.assignee, AssigneeSel::Unassigned);
    }

    #[test]
    fn bad_values_are_refused_naming_the_parameter() {
        for (q, name) in [
            ("state=opened", "state"),
            ("state=new,all", "state"),
            ("priority=p4", "priority"),
            ("kind=rumour", "kind"),
            ("province=74", "province"),
            ("assignee=lan", "assignee"),
            ("assignee=-1", "assignee"),
            ("tier=tabloid", "tier"),
            ("overdue=maybe", "overdue"),
            ("sort=random", "sort"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("offset=10001", "offset"),
        ] {
            let e = parse(q).unwrap_err();
            assert_eq!(e.name, name, "{q}");
            assert!(e.page_message().starts_with(&format!("Tham số không hợp lệ ({name}): ")));
            assert!(e.api_message().starts_with(&format!("invalid parameter {name}: ")));
        }
        let long = format!("q={}", "a".repeat(201));
        assert_eq!(parse(&long).unwrap_err().name, "q");
    }

    #[test]
    fn a_filter_links_back_to_itself() {
        for q in
            ["state=new%2Cacknowledged&priority=p1&assignee=me&overdue=1", "state=all&sort=recent"]
        {
            let spec = parse(q).unwrap().spec;
            let href = spec.queue_href();
            assert_eq!(parse(href.trim_start_matches("/queue?")).unwrap().spec, spec, "{href}");
        }
    }
}
