//! Facet counts over every match of a search: outlets, provinces, rules, rule kinds and
//! Vietnam months. They are read from columnar fast fields in the pass that ranks the
//! results, counted per segment by term ordinal (a vector index, no string per document)
//! and named only once per segment, so counting costs a few column reads per match.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use model::RuleKind;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader};

/// How many documents of a search's matches fall in each value of each facet, most first
/// (months in calendar order). A document counts once per value it has: once for its
/// outlet, once for each rule that hit it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Per source (store id).
    pub sources: Vec<(i64, u64)>,
    /// Per province code; documents about no province are not counted.
    pub provinces: Vec<(String, u64)>,
    /// Per rule id.
    pub rules: Vec<(String, u64)>,
    /// Per rule kind: documents with at least one hit of that kind.
    pub kinds: Vec<(RuleKind, u64)>,
    /// Per Vietnam month, as `YYYY-MM`, earliest first.
    pub months: Vec<(String, u64)>,
    /// Whether every match was counted; `false` when a query checked document by document
    /// stopped counting early (the counts are then lower bounds).
    pub exact: bool,
}

/// Counts facets when `enabled`; otherwise collects nothing at no cost.
pub(crate) struct FacetCollector {
    pub(crate) enabled: bool,
}

/// Counts of one or more segments, with values named.
#[derive(Default)]
pub(crate) struct Counts {
    sources: HashMap<i64, u64>,
    provinces: HashMap<String, u64>,
    rules: HashMap<String, u64>,
    kinds: HashMap<String, u64>,
    months: HashMap<i32, u64>,
}

impl Counts {
    fn merge(&mut self, other: Counts) {
        fn add<K: std::hash::Hash + Eq>(into: &mut HashMap<K, u64>, from: HashMap<K, u64>) {
            for (k, n) in from {
                *into.entry(k).or_default() += n;
            }
        }
        add(&mut self.sources, other.sources);
        add(&mut self.provinces, other.provinces);
        add(&mut self.rules, other.rules);
        add(&mut self.kinds, other.kinds);
        add(&mut self.months, other.months);
    }

    pub(crate) fn into_facets(self, exact: bool) -> Facets {
        fn ranked<K: Ord>(map: HashMap<K, u64>) -> Vec<(K, u64)> {
            let mut v: Vec<(K, u64)> = map.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
        }
        let mut months: Vec<(i32, u64)> = self.months.into_iter().collect();
        months.sort_unstable();
        Facets {
            sources: ranked(self.sources),
            provinces: ranked(self.provinces),
            rules: ranked(self.rules),
            kinds: ranked(self.kinds)
                .into_iter()
                .filter_map(|(k, n)| k.parse::<RuleKind>().ok().map(|k| (k, n)))
                .collect(),
            months: months
                .into_iter()
                .map(|(m, n)| (format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1), n))
                .collect(),
            exact,
        }
    }
}

/// One segment's columns and counts by term ordinal.
pub(crate) struct FacetSegment {
    enabled: bool,
    sources: Option<Column<i64>>,
    times: Option<Column<i64>>,
    province: Option<StrColumn>,
    rule: Option<StrColumn>,
    kind: Option<StrColumn>,
    source_counts: HashMap<i64, u64>,
    province_counts: Vec<u64>,
    rule_counts: Vec<u64>,
    kind_counts: Vec<u64>,
    month_counts: HashMap<i32, u64>,
    /// The last Vietnam day seen and its month: documents come in id order, which is
    /// roughly time order, so most share their neighbour's day.
    last_day: Option<(i64, i32)>,
}

/// Milliseconds in a day and Vietnam's offset from UTC (no daylight saving).
const DAY_MS: i64 = 86_400_000;
const VN_OFFSET_MS: i64 = 7 * 3_600_000;
/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

fn month_of_day(day: i64) -> i32 {
    let date = i32::try_from(day + EPOCH_DAYS_FROM_CE)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or_default();
    date.year() * 12 + date.month0() as i32
}

impl FacetSegment {
    fn open(enabled: bool, segment: &SegmentReader) -> FacetSegment {
        let fast = segment.fast_fields();
        let (sources, times, province, rule, kind) = if enabled {
            let str_column = |name: &str| fast.str(name).ok().flatten();
            (
                fast.i64("source_id").ok(),
                fast.i64("time").ok(),
                str_column("province"),
                str_column("rule"),
                str_column("kind"),
            )
        } else {
            (None, None, None, None, None)
        };
        let slots = |c: &Option<StrColumn>| vec![0u64; c.as_ref().map_or(0, |c| c.num_terms())];
        FacetSegment {
            enabled,
            province_counts: slots(&province),
            rule_counts: slots(&rule),
            kind_counts: slots(&kind),
            sources,
            times,
            province,
            rule,
            kind,
            source_counts: HashMap::new(),
            month_counts: HashMap::new(),
            last_day: None,
        }
    }

    pub(crate) fn count(&mut self, doc: DocId) {
        if !self.enabled {
            return;
        }
        if let Some(source) = self.sources.as_ref().and_then(|c| c.first(doc)) {
            *self.source_counts.entry(source).or_default() += 1;
        }
        if let Some(ms) = self.times.as_ref().and_then(|c| c.first(doc)) {
            let day = (ms + VN_OFFSET_MS).div_euclid(DAY_MS);
            let month = match self.last_day {
                Some((d, m)) if d == day => m,
                _ => {
                    let m = month_of_day(day);
                    self.last_day = Some((day, m));
                    m
                }
            };
            *self.month_counts.entry(month).or_default() += 1;
        }
        for (column, counts) in [
            (&self.province, &mut self.province_counts),
            (&self.rule, &mut self.rule_counts),
            (&self.kind, &mut self.kind_counts),
        ] {
            if let Some(c) = column {
                for ord in c.term_ords(doc) {
                    if let Some(slot) = usize::try_from(ord).ok().and_then(|o| counts.get_mut(o)) {
                        *slot += 1;
                    }
                }
            }
        }
    }

    pub(crate) fn finish(self) -> Counts {
        let named = |column: &Option<StrColumn>, counts: Vec<u64>| {
            let mut out = HashMap::new();
            let Some(c) = column else { return out };
            let mut text = String::new();
            for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                text.clear();
                if c.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                    out.insert(text.clone(), n);
                }
            }
            out
        };
        Counts {
            provinces: named(&self.province, self.province_counts),
            rules: named(&self.rule, self.rule_counts),
            kinds: named(&self.kind, self.kind_counts),
            sources: self.source_counts,
            months: self.month_counts,
        }
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.count(doc);
    }

    fn harvest(self) -> Counts {
        self.finish()
    }
}

impl Collector for FacetCollector {
    type Fruit = Counts;
    type Child = FacetSegment;

    fn for_segment(&self, _ord: u32, segment: &SegmentReader) -> tantivy::Result<FacetSegment> {
        Ok(FacetSegment::open(self.enabled, segment))
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut all = Counts::default();
        for f in fruits {
            all.merge(f);
        }
        Ok(all)
    }
}

/// Counts the facets of chosen documents (the exact matches of a query the index answers
/// only approximately).
pub(crate) fn count_addresses(searcher: &Searcher, addresses: &[DocAddress]) -> Counts {
    let mut by_segment: HashMap<u32, Vec<DocId>> = HashMap::new();
    for a in addresses {
        by_segment.entry(a.segment_ord).or_default().push(a.doc_id);
    }
    let mut all = Counts::default();
    for (ord, docs) in by_segment {
        let segment = searcher.segment_reader(ord);
        let mut counter = FacetSegment::open(true, segment);
        for doc in docs {
            counter.count(doc);
        }
        all.merge(counter.finish());
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_vietnam_months() {
        // 2026-05-31 17:30 UTC is already 1 June in Vietnam.
        let ms = chrono::DateTime::parse_from_rfc3339("2026-05-31T17:30:00Z")
            .unwrap()
            .timestamp_millis();
        let day = (ms + VN_OFFSET_MS).div_euclid(DAY_MS);
        assert_eq!(month_of_day(day), 2026 * 12 + 5);
        let before = (ms - 3_600_000 + VN_OFFSET_MS).div_euclid(DAY_MS);
        assert_eq!(month_of_day(before), 2026 * 12 + 4);
        let c = Counts { months: HashMap::from([(2026 * 12 + 5, 3)]), ..Counts::default() };
        assert_eq!(c.into_facets(true).months, [("2026-06".to_owned(), 3)]);
    }
}
