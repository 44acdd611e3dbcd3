//! The best matches of a search in its order without scoring every match, and the number
//! of matches without collecting them: what keeps a search of a million documents for a
//! common word in milliseconds.
//!
//! Results are ordered by (score, id) or (time or reach, id), all descending, so that a
//! cursor continues a page exactly. By relevance, tantivy's block-max pruning skips blocks
//! of postings that cannot beat the lowest score kept; here that threshold sits just under
//! the lowest kept score, so a document tied with it is still seen and the tie goes to the
//! larger id, as in the unpruned order. By time or reach nothing is scored at all.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};

use tantivy::columnar::ColumnValues;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, SegmentReader, TantivyError};

use crate::index::NO_REACH;
use crate::{Budget, Error, Sort};

/// Sort key of a result: score (or time, or reach), then id; larger comes first.
pub(crate) type Key = (f64, i64);

/// A candidate in the heap, ordered by its key.
#[derive(Clone, Copy)]
struct Entry {
    key: Key,
    doc: DocId,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.0.total_cmp(&other.key.0).then(self.key.1.cmp(&other.key.1))
    }
}

/// How many matches are scored between two looks at the budget.
const BUDGET_STRIDE: u32 = 4096;

/// The `want` first matches in `sort` order, after `after` when a cursor is given.
pub(crate) struct Top<'b> {
    pub(crate) want: usize,
    pub(crate) sort: Sort,
    pub(crate) after: Option<Key>,
    pub(crate) budget: &'b Budget,
}

/// The kept candidates of one segment.
pub(crate) struct SegmentTop {
    ord: u32,
    want: usize,
    after: Option<Key>,
    ids: Option<Arc<dyn ColumnValues<i64>>>,
    /// The time or reach column sorted by (a document without a value has what the
    /// column gives for missing ones); none by relevance.
    primary: Option<Arc<dyn ColumnValues<i64>>>,
    heap: BinaryHeap<Reverse<Entry>>,
}

impl SegmentTop {
    /// Offers a match; the score under which further matches cannot enter.
    fn offer(&mut self, doc: DocId, score: Score) -> Score {
        let id = self.ids.as_ref().map_or(0, |c| c.get_val(doc));
        let primary = match &self.primary {
            None => f64::from(score),
            Some(column) => column.get_val(doc) as f64,
        };
        let key = (primary, id);
        let entry = Entry { key, doc };
        let before_cursor = self
            .after
            .is_some_and(|cursor| Entry { key: cursor, doc: 0 }.cmp(&entry) != Ordering::Greater);
        if !before_cursor {
            if self.heap.len() < self.want {
                self.heap.push(Reverse(entry));
            } else if self.heap.peek().is_some_and(|Reverse(low)| entry > *low) {
                self.heap.pop();
                self.heap.push(Reverse(entry));
            }
        }
        self.threshold()
    }

    /// Just under the lowest kept score once the heap is full, so ties still enter.
    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(Reverse(low)) if self.primary.is_none() && self.heap.len() >= self.want => {
                (low.key.0 as Score).next_down()
            }
            _ => Score::MIN,
        }
    }

    fn into_fruit(self) -> Vec<(Key, DocAddress)> {
        let ord = self.ord;
        self.heap
            .into_iter()
            .map(|Reverse(e)| (e.key, DocAddress { segment_ord: ord, doc_id: e.doc }))
            .collect()
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = Vec<(Key, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.offer(doc, score);
    }

    fn harvest(self) -> Self::Fruit {
        self.into_fruit()
    }
}

impl Collector for Top<'_> {
    type Fruit = Vec<(Key, DocAddress)>;
    type Child = SegmentTop;

    fn for_segment(&self, ord: u32, segment: &SegmentReader) -> tantivy::Result<SegmentTop> {
        let column = |name: &str, missing: i64| {
            segment.fast_fields().i64(name).ok().map(|c| c.first_or_default_col(missing))
        };
        let (primary, missing) = match self.sort {
            Sort::Relevance => (None, 0),
            Sort::Newest => (column("time", 0), 0),
            Sort::Reach => (column("reach", NO_REACH), NO_REACH),
        };
        // A segment without the column sorts every document as missing its value.
        let primary = match self.sort {
            Sort::Relevance => None,
            _ => Some(primary.unwrap_or_else(|| Arc::new(Constant(missing)))),
        };
        Ok(SegmentTop {
            ord,
            want: self.want.max(1),
            after: self.after,
            ids: column("id", 0),
            primary,
            heap: BinaryHeap::with_capacity(self.want.max(1) + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == Sort::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(Key, DocAddress)>>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Key, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.0.total_cmp(&a.0.0).then(b.0.1.cmp(&a.0.1)));
        all.truncate(self.want);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        ord: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<Vec<(Key, DocAddress)>> {
        let spent = |e: Error| TantivyError::InternalError(e.to_string());
        self.budget.check().map_err(spent)?;
        let mut top = self.for_segment(ord, segment)?;
        let alive = segment.alive_bitset();
        if self.sort != Sort::Relevance {
            // Ordered by a column: nothing to score, matches come a block at a time.
            let mut out_of_budget = false;
            weight.for_each_no_score(segment, &mut |docs| {
                if out_of_budget || self.budget.check().is_err() {
                    out_of_budget = true;
                    return;
                }
                for &doc in docs {
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        top.offer(doc, 0.0);
                    }
                }
            })?;
            self.budget.check().map_err(spent)?;
            return Ok(top.into_fruit());
        }
        let (mut seen, mut out_of_budget) = (0u32, false);
        weight.for_each_pruning(Score::MIN, segment, &mut |doc, score| {
            seen = seen.wrapping_add(1);
            if seen.is_multiple_of(BUDGET_STRIDE) && self.budget.check().is_err() {
                out_of_budget = true;
            }
            if out_of_budget {
                // Nothing scores above this: the rest of the segment is skipped.
                return Score::MAX;
            }
            if alive.is_some_and(|a| a.is_deleted(doc)) {
                return top.threshold();
            }
            top.offer(doc, score)
        })?;
        if out_of_budget {
            self.budget.check().map_err(spent)?;
        }
        Ok(top.into_fruit())
    }
}

/// The value of a column a segment does not have.
struct Constant(i64);

impl ColumnValues<i64> for Constant {
    fn get_val(&self, _idx: u32) -> i64 {
        self.0
    }

    fn min_value(&self) -> i64 {
        self.0
    }

    fn max_value(&self) -> i64 {
        self.0
    }

    fn num_vals(&self) -> u32 {
        0
    }
}

/// The number of matches, counted segment by segment by the query itself (a single term
/// answers from its document frequency), with the budget looked at between segments.
pub(crate) struct SegmentCount<'b> {
    pub(crate) budget: &'b Budget,
}

/// Never used to collect document by document: [`SegmentCount`] counts whole segments.
pub(crate) struct NoDocs(u32);

impl SegmentCollector for NoDocs {
    type Fruit = usize;

    fn collect(&mut self, _doc: DocId, _score: Score) {
        self.0 += 1;
    }

    fn harvest(self) -> usize {
        self.0 as usize
    }
}

impl Collector for SegmentCount<'_> {
    type Fruit = usize;
    type Child = NoDocs;

    fn for_segment(&self, _ord: u32, _segment: &SegmentReader) -> tantivy::Result<NoDocs> {
        Ok(NoDocs(0))
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<usize>) -> tantivy::Result<usize> {
        Ok(fruits.into_iter().sum())
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        _ord: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<usize> {
        self.budget.check().map_err(|e| TantivyError::InternalError(e.to_string()))?;
        Ok(weight.count(segment)? as usize)
    }
}
