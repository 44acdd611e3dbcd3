//! Filters on the facts indexed with each document (time, outlet, province, rule hits and
//! their stances, store ids), compiled to tantivy clauses that never change a score.

use std::ops::Bound;

use model::{RuleKind, Stance, Timestamp};
use tantivy::Term;
use tantivy::query::{ConstScoreQuery, EmptyQuery, Query, RangeQuery, TermSetQuery};
use tantivy::schema::Field;

/// Which documents a search may return, besides what its query asks. Within one dimension
/// any listed value admits a document; across dimensions every one must.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Published (else fetched) at or after this time.
    pub from: Option<Timestamp>,
    /// Published (else fetched) before this time.
    pub until: Option<Timestamp>,
    /// Only documents of these sources (store ids); `Some` of an empty list admits nothing.
    pub sources: Option<Vec<i64>>,
    /// Only documents about one of these provinces (codes).
    pub provinces: Vec<String>,
    /// Only documents one of these rules hit.
    pub rules: Vec<String>,
    /// Only documents hit by a rule of one of these kinds.
    pub kinds: Vec<RuleKind>,
    /// Only documents with a hit taking one of these stances; with `rules`, a hit of one of
    /// those rules taking one of these stances.
    pub stances: Vec<Stance>,
    /// Only these documents (store ids); `Some` of an empty list admits nothing.
    pub documents: Option<Vec<i64>>,
}

impl Filter {
    /// Whether it admits every document.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// The index fields filters and facets read.
#[derive(Clone, Copy)]
pub(crate) struct FactFields {
    pub(crate) id: Field,
    pub(crate) time: Field,
    pub(crate) source_id: Field,
    pub(crate) province: Field,
    pub(crate) rule: Field,
    pub(crate) kind: Field,
    pub(crate) stance: Field,
    pub(crate) rule_stance: Field,
    pub(crate) reach: Field,
}

/// The term of a (rule, stance) pair in the `rule_stance` field.
pub(crate) fn rule_stance(rule: &str, stance: Stance) -> String {
    format!("{rule} {}", stance.as_str())
}

/// One clause per restricted dimension, each matching the documents it admits with a score
/// of zero, so a filtered search ranks its matches as the unfiltered one does.
pub(crate) fn clauses(filter: &Filter, f: &FactFields) -> Vec<Box<dyn Query>> {
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    let mut push = |q: Box<dyn Query>| out.push(Box::new(ConstScoreQuery::new(q, 0.0)));
    if filter.from.is_some() || filter.until.is_some() {
        let at = |t: Timestamp| Term::from_field_i64(f.time, t.timestamp_millis());
        let lower = filter.from.map_or(Bound::Unbounded, |t| Bound::Included(at(t)));
        let upper = filter.until.map_or(Bound::Unbounded, |t| Bound::Excluded(at(t)));
        push(Box::new(RangeQuery::new(lower, upper)));
    }
    let ids = |field: Field, ids: &[i64]| -> Box<dyn Query> {
        if ids.is_empty() {
            return Box::new(EmptyQuery);
        }
        Box::new(TermSetQuery::new(ids.iter().map(|&i| Term::from_field_i64(field, i))))
    };
    let texts = |field: Field, values: &mut dyn Iterator<Item = String>| -> Box<dyn Query> {
        Box::new(TermSetQuery::new(values.map(|v| Term::from_field_text(field, &v))))
    };
    if let Some(sources) = &filter.sources {
        push(ids(f.source_id, sources));
    }
    if let Some(documents) = &filter.documents {
        push(ids(f.id, documents));
    }
    if !filter.provinces.is_empty() {
        push(texts(f.province, &mut filter.provinces.iter().cloned()));
    }
    if !filter.kinds.is_empty() {
        push(texts(f.kind, &mut filter.kinds.iter().map(|k| k.as_str().to_owned())));
    }
    match (filter.rules.is_empty(), filter.stances.is_empty()) {
        (true, true) => {}
        (false, true) => push(texts(f.rule, &mut filter.rules.iter().cloned())),
        (true, false) => {
            push(texts(f.stance, &mut filter.stances.iter().map(|s| s.as_str().to_owned())))
        }
        // The stance must be the stance of a hit of one of the rules, not of another hit.
        (false, false) => {
            let pairs = filter
                .rules
                .iter()
                .flat_map(|r| filter.stances.iter().map(move |&s| rule_stance(r, s)));
            push(texts(f.rule_stance, &mut pairs.collect::<Vec<_>>().into_iter()))
        }
    }
    out
}
