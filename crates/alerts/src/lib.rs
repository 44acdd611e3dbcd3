//! Which signal opens or updates which alert: pure decisions, with the clock and the store
//! left to the caller.
//!
//! An alert is the unit of handling: one incident. A rumour, watch or crisis hit on a
//! document belongs to the alert of its rule and its subject, what the incident is about
//! (its story once stories are known, else the rule as a whole); a batch of documents gives
//! one [`Upsert`] per (rule, subject) it touches, which the store applies in one statement
//! against the partial unique index of open alerts: a matching open alert grows, otherwise
//! a new one opens. Nothing here reads a database or a clock, so every decision is a
//! function of its inputs and is tested as one.
#![warn(missing_docs)]

pub mod corrections;
pub mod deadlines;
pub mod kpi;
mod spike;
pub mod triage;

use std::sync::Arc;

use model::{Hit, HitStance, RuleKind, Severity, Stance, Timestamp};

pub use deadlines::{
    BusinessCalendar, CalendarError, Clock, DeadlineKind, DeadlinePolicy, Limit, Schedule,
};
pub use spike::{
    BaselinePoint, NATIONAL, SpikeBucket, SpikeSignal, SpikeUpsert, spike_detail, spike_severity,
    spike_subject, spike_upsert,
};

/// What an alert is about, beside its rule: its part of the unique key of open alerts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// Every document the rule hits (alerts opened before stories were known).
    Rule,
    /// The documents of one story.
    Story(i64),
}

impl Subject {
    /// The subject as the store keeps it: `rule` or `story:ID`.
    pub fn key(&self) -> String {
        match self {
            Subject::Rule => "rule".to_owned(),
            Subject::Story(id) => format!("story:{id}"),
        }
    }

    /// Reads a subject written by [`Subject::key`]; `None` for anything else.
    pub fn parse(key: &str) -> Option<Subject> {
        match key {
            "rule" => Some(Subject::Rule),
            _ => key.strip_prefix("story:")?.parse().ok().map(Subject::Story),
        }
    }
}

/// Whether a hit of this kind opens or grows an alert: rumours, watches and crises do;
/// topics are counted and searched, never alerted on by themselves.
pub fn raises_alert(kind: RuleKind) -> bool {
    !matches!(kind, RuleKind::Topic)
}

/// A document of a batch, with what is known of it: its hits and its story.
#[derive(Debug, Clone, Copy)]
pub struct Signal<'a> {
    /// The stored document.
    pub document_id: i64,
    /// When it arrived.
    pub at: Timestamp,
    /// Its story, when stories are known.
    pub story: Option<i64>,
    /// The rule hits on it.
    pub hits: &'a [Hit],
    /// The stance of its rumour hits; a hit whose stance is not `carries` (a refutation, or
    /// news about the claim) is stored and shown but opens and grows nothing.
    pub stances: &'a [HitStance],
}

impl Signal<'_> {
    /// Whether `hit` opens or grows an alert: its kind raises alerts and the document does
    /// not refute or merely report its claim.
    pub fn raises(&self, hit: &Hit) -> bool {
        raises_alert(hit.kind)
            && self
                .stances
                .iter()
                .find(|s| s.rule_id == hit.rule_id)
                .is_none_or(|s| s.stance == Stance::Carries)
    }
}

/// The change one (rule, subject) of a batch makes: open the alert, or grow the open one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upsert {
    /// The rule.
    pub rule_id: Arc<str>,
    /// What the incident is about.
    pub subject: Subject,
    /// The rule's kind.
    pub kind: RuleKind,
    /// The rule's title as of the latest document.
    pub rule_title: Arc<str>,
    /// The highest severity among the batch's hits; the store keeps the higher of this and
    /// the open alert's.
    pub severity: Severity,
    /// The earliest arrival among the documents.
    pub first_seen: Timestamp,
    /// The latest arrival among the documents.
    pub last_seen: Timestamp,
    /// The documents to attach, in batch order, with their arrival.
    pub documents: Vec<(i64, Timestamp)>,
}

impl Upsert {
    /// The latest document attached (the last in batch order).
    pub fn last_document(&self) -> Option<i64> {
        self.documents.last().map(|d| d.0)
    }
}

/// The alert changes a batch of documents calls for: one [`Upsert`] per (rule, subject),
/// in the order each was first met, each with its documents in batch order. Hits of kinds
/// that do not raise alerts are left out.
pub fn upserts<'a>(signals: impl IntoIterator<Item = Signal<'a>>) -> Vec<Upsert> {
    let mut out: Vec<Upsert> = Vec::new();
    for s in signals {
        let subject = s.story.map_or(Subject::Rule, Subject::Story);
        for hit in s.hits.iter().filter(|h| s.raises(h)) {
            let doc = (s.document_id, s.at);
            match out.iter_mut().find(|u| u.rule_id == hit.rule_id && u.subject == subject) {
                Some(u) => {
                    u.rule_title = hit.rule_title.clone();
                    u.severity = u.severity.max(hit.severity);
                    u.first_seen = u.first_seen.min(s.at);
                    u.last_seen = u.last_seen.max(s.at);
                    if !u.documents.iter().any(|d| d.0 == s.document_id) {
                        u.documents.push(doc);
                    }
                }
                None => out.push(Upsert {
                    rule_id: hit.rule_id.clone(),
                    subject: subject.clone(),
                    kind: hit.kind,
                    rule_title: hit.rule_title.clone(),
                    severity: hit.severity,
                    first_seen: s.at,
                    last_seen: s.at,
                    documents: vec![doc],
                }),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use model::MatchedTerm;

    use super::*;

    fn hit(rule: &str, kind: RuleKind, severity: Severity) -> Hit {
        Hit {
            rule_id: rule.into(),
            rule_title: format!("Rule {rule}").into(),
            kind,
            severity,
            terms: vec![MatchedTerm { field: "body", start: 0, end: 3, term: "sốt".into() }],
        }
    }

    fn at(minutes: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn one_upsert_per_rule_and_story_in_order_met() {
        let rumor = hit("rumor.x", RuleKind::Rumor, Severity::Medium);
        let crisis = hit("crisis.y", RuleKind::Crisis, Severity::High);
        let topic = hit("topic.z", RuleKind::Topic, Severity::Low);
        let (h1, h2, h3) =
            (vec![rumor.clone(), topic.clone()], vec![crisis, rumor.clone()], vec![rumor]);
        let got = upserts([
            Signal { document_id: 1, at: at(5), story: Some(10), hits: &h1, stances: &[] },
            Signal { document_id: 2, at: at(1), story: Some(10), hits: &h2, stances: &[] },
            Signal { document_id: 3, at: at(9), story: Some(11), hits: &h3, stances: &[] },
        ]);
        let keys: Vec<(&str, Subject, Vec<i64>)> = got
            .iter()
            .map(|u| (&*u.rule_id, u.subject.clone(), u.documents.iter().map(|d| d.0).collect()))
            .collect();
        assert_eq!(
            keys,
            [
                ("rumor.x", Subject::Story(10), vec![1, 2]),
                ("crisis.y", Subject::Story(10), vec![2]),
                ("rumor.x", Subject::Story(11), vec![3]),
            ]
        );
        assert_eq!((got[0].first_seen, got[0].last_seen), (at(1), at(5)));
        assert_eq!(got[0].last_document(), Some(2));
    }

    #[test]
    fn severity_is_the_highest_and_topics_never_alert() {
        let low = vec![hit("rumor.x", RuleKind::Rumor, Severity::Low)];
        let high = vec![hit("rumor.x", RuleKind::Rumor, Severity::Critical)];
        let topic = vec![hit("topic.z", RuleKind::Topic, Severity::Critical)];
        let got = upserts([
            Signal { document_id: 1, at: at(0), story: None, hits: &high, stances: &[] },
            Signal { document_id: 2, at: at(1), story: None, hits: &low, stances: &[] },
            Signal { document_id: 3, at: at(2), story: None, hits: &topic, stances: &[] },
        ]);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].severity, got[0].subject.clone()), (Severity::Critical, Subject::Rule));
        assert!(!raises_alert(RuleKind::Topic) && raises_alert(RuleKind::Watch));
    }

    #[test]
    fn only_documents_that_carry_a_claim_raise_its_alert() {
        let rumour = vec![hit("rumor.x", RuleKind::Rumor, Severity::High)];
        let refutes =
            [HitStance { rule_id: "rumor.x".into(), stance: Stance::Refutes, cues: Vec::new() }];
        let reports = [HitStance { stance: Stance::Reports, ..refutes[0].clone() }];
        let carries = [HitStance { stance: Stance::Carries, ..refutes[0].clone() }];
        let signal = |id, stances| Signal {
            document_id: id,
            at: at(0),
            story: Some(1),
            hits: &rumour,
            stances,
        };
        let got = upserts([signal(1, &refutes), signal(2, &reports), signal(3, &carries)]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].documents, [(3, at(0))]);
        assert!(upserts([signal(1, &refutes)]).is_empty());
        // No stance recorded (a watch or crisis hit, or a rumour before stances): it raises.
        assert_eq!(upserts([signal(4, &[])]).len(), 1);
    }

    #[test]
    fn a_document_is_attached_once_and_subjects_round_trip() {
        let twice = vec![
            hit("rumor.x", RuleKind::Rumor, Severity::Low),
            hit("rumor.x", RuleKind::Rumor, Severity::High),
        ];
        let got = upserts([Signal {
            document_id: 7,
            at: at(0),
            story: Some(3),
            hits: &twice,
            stances: &[],
        }]);
        assert_eq!(got[0].documents, [(7, at(0))]);
        assert_eq!(got[0].severity, Severity::High);
        for s in [Subject::Rule, Subject::Story(42)] {
            assert_eq!(Subject::parse(&s.key()), Some(s));
        }
        assert_eq!(Subject::parse("story:x"), None);
        assert_eq!(Subject::parse("spike"), None);
    }
}
