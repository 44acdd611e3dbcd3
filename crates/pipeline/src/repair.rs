//! Repairing the index against the store at start-up, for what the commit payload (the
//! highest id indexed) cannot tell. A process killed between a store commit and the index
//! commit after it leaves a revision indexed at its old text, or documents removed from the
//! store (a purge whose process could not open the index) still in the index; and with
//! writers that commit out of id order, a document can be missing below the recorded id.
//!
//! The store and the index are each summed per range of ids (count and sum of ids) and the
//! revision times of revised documents compared. A range that differs is deleted from the
//! index and indexed again from the store, and so is each document whose revision the index
//! does not hold. Both sums read ids and fast fields only, so the check costs little when
//! nothing is wrong, which is always but after a crash.

use std::collections::BTreeSet;

use search::{IndexDoc, SearchIndex};
use store::Store;

use crate::Result;
use crate::process::stored_index_doc;

/// Ids per range compared; a range that differs is read again whole.
const RANGE: i64 = 1024;

/// Makes the index hold exactly the stored documents at their stored versions. Returns how
/// many documents it indexed again.
pub(crate) async fn repair_index(store: &Store, index: &SearchIndex) -> Result<usize> {
    let have = index.census(RANGE)?;
    let want = store.id_census(RANGE).await?;
    let ranges: BTreeSet<i64> = want
        .keys()
        .chain(have.buckets.keys())
        .copied()
        .filter(|r| want.get(r) != have.buckets.get(r))
        .collect();
    let revised = store.revision_times().await?;
    // Revisions the index holds at another version, both ways round.
    let mut stale: BTreeSet<i64> = revised
        .iter()
        .filter(|(id, at)| have.revised.get(id) != Some(at))
        .chain(have.revised.iter().filter(|(id, at)| revised.get(id) != Some(at)))
        .map(|(id, _)| *id)
        .collect();
    stale.retain(|id| !ranges.contains(&id.div_euclid(RANGE)));
    if ranges.is_empty() && stale.is_empty() {
        return Ok(0);
    }

    let mut indexed = 0;
    for &range in &ranges {
        let (first, end) = (range * RANGE, (range + 1) * RANGE);
        let docs = store.documents_after(first - 1, RANGE).await?;
        let facts = store.document_facts(first - 1, end - 1).await?;
        let batch: Vec<IndexDoc> = docs
            .iter()
            .filter(|d| d.id < end)
            .map(|d| stored_index_doc(d, facts.get(&d.id)))
            .collect();
        // Whatever the index has in the range and the store does not goes with the rest.
        index.delete(&(first..end).collect::<Vec<_>>())?;
        index.add(&batch)?;
        indexed += batch.len();
    }
    let stale: Vec<i64> = stale.into_iter().collect();
    for chunk in stale.chunks(RANGE as usize) {
        indexed += reindex(store, index, chunk).await?;
    }
    index.commit(index.last_indexed_id()?)?;
    tracing::warn!(
        n_ranges = ranges.len(),
        n_revisions = stale.len(),
        n_items = indexed,
        "The index disagreed with the store (left by a crash); the ranges and revisions that differed were indexed again."
    );
    Ok(indexed)
}

/// Replaces `ids` in the index with their stored versions, uncommitted (an id the store no
/// longer holds just leaves the index); returns how many were indexed.
pub(crate) async fn reindex(store: &Store, index: &SearchIndex, ids: &[i64]) -> Result<usize> {
    let docs = store.documents_by_ids(ids).await?;
    let mut batch = Vec::with_capacity(docs.len());
    for d in &docs {
        let facts = store.document_facts(d.id - 1, d.id).await?;
        batch.push(stored_index_doc(d, facts.get(&d.id)));
    }
    index.delete(ids)?;
    index.add(&batch)?;
    Ok(batch.len())
}
