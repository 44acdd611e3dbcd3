//! Following the store into the index, for the process that keeps the index while other
//! processes store the documents (`serve --role web` beside workers).
//!
//! Document ids come from a sequence, and on PostgreSQL concurrent writers commit out of id
//! order (a rolled-back or conflicting insert also uses up an id that never appears), so
//! the follower cannot just read after the highest id it has indexed. It indexes every
//! document it has not seen as soon as it appears, and moves its *floor* (the id the index
//! commit records, where a restart reads from) past a missing id only once that id has been
//! missing for [`GAP_WAIT`]. [`Follower`] makes that decision, the clock passed in.
//! Revisions keep their ids: every round also reads the documents revised since
//! [`REVISION_LOOKBACK`] before the previous round and indexes again those the index holds
//! at another version. What neither can tell (a document whose transaction committed later
//! than those waits, a purge by another process) the index's repair against the store
//! finds ([`Pipeline::catch_up_index`]), which the follower runs at start and every
//! [`REPAIR_EVERY`].
//!
//! A round runs as soon as the store announces new documents (a PostgreSQL notification,
//! `store::Topic::Documents`) and otherwise every tick, longer while notifications arrive:
//! polling is what remains on SQLite and what catches a notification lost with its
//! connection.
//!
//! A process that stores documents itself (`serve --role all`) indexes those as it stores
//! them, and follows the store only for what other processes store (`langnghe ingest`
//! while it runs): [`Pipeline::follow_others`] gives its own pipeline [`SETTLE`] to index
//! a new id before looking whether the index holds it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::time::{Duration, Instant};

use model::Stage;
use search::{IndexDoc, SearchIndex};
use store::{Topic, Wakeups};

use crate::{Pipeline, Result};

/// How long a missing id is waited for: longer than any batch's transaction takes.
pub(crate) const GAP_WAIT: Duration = Duration::from_secs(30);
/// The widest span of ids above the floor kept track of; the floor is moved up to keep
/// within it, giving up on the oldest missing ids.
const MAX_SPAN: i64 = 100_000;
/// New ids read per round, beyond those between the floor and the highest seen.
const READ: i64 = 5_000;
/// How often the index is repaired against the store while following it.
pub(crate) const REPAIR_EVERY: Duration = Duration::from_secs(600);
/// How far before the previous round's reading each round looks for revisions: the
/// processes' clocks differ a little, and a revision's time is taken before its
/// transaction commits.
pub(crate) const REVISION_LOOKBACK: Duration = Duration::from_secs(60);
/// The pause between rounds while notifications arrive: only a safety net then.
const LISTENING_TICK: Duration = Duration::from_secs(10);
/// How long a wake-up waits for more commits before the round, so a burst of small
/// batches is one index commit rather than one each.
const GATHER: Duration = Duration::from_millis(200);
/// How long a process that stores documents itself gives its own pipeline to index a new
/// id before [`Pipeline::follow_others`] indexes it: longer than a batch takes from its
/// store commit to its index commit, so that nothing is indexed twice.
const SETTLE: Duration = Duration::from_secs(2);

/// Which document ids have been seen above a floor below which every id has been seen or
/// given up on.
#[derive(Debug)]
pub(crate) struct Follower {
    floor: i64,
    /// Ids above the floor already seen.
    seen: BTreeSet<i64>,
    /// Ids above the floor, below the highest seen, not seen yet: since when.
    gaps: BTreeMap<i64, Instant>,
    /// The highest id whose absence is tracked in `gaps`.
    scanned: i64,
    wait: Duration,
}

impl Follower {
    pub(crate) fn new(floor: i64, wait: Duration) -> Follower {
        Follower { floor, seen: BTreeSet::new(), gaps: BTreeMap::new(), scanned: floor, wait }
    }

    /// Every id at or below it has been seen or given up on.
    pub(crate) fn floor(&self) -> i64 {
        self.floor
    }

    /// The highest id seen, or the floor.
    pub(crate) fn high(&self) -> i64 {
        self.seen.last().copied().unwrap_or(self.floor).max(self.floor)
    }

    /// Takes the ids read above the floor at `now`; returns those not seen before, in
    /// ascending order.
    pub(crate) fn take(&mut self, ids: &[i64], now: Instant) -> Vec<i64> {
        let mut fresh: Vec<i64> =
            ids.iter().copied().filter(|&id| id > self.floor && self.seen.insert(id)).collect();
        fresh.sort_unstable();
        for id in &fresh {
            self.gaps.remove(id);
        }
        let high = self.high();
        if high - self.floor > MAX_SPAN {
            self.floor = high - MAX_SPAN;
            let floor = self.floor;
            self.seen.retain(|&id| id > floor);
            self.gaps.retain(|&id, _| id > floor);
        }
        for id in self.scanned.max(self.floor) + 1..high {
            if !self.seen.contains(&id) {
                self.gaps.insert(id, now);
            }
        }
        self.scanned = self.scanned.max(high);
        loop {
            let next = self.floor + 1;
            if self.seen.remove(&next) {
                self.floor = next;
                continue;
            }
            match self.gaps.get(&next) {
                Some(&since) if now.saturating_duration_since(since) >= self.wait => {
                    self.gaps.remove(&next);
                    self.floor = next;
                }
                _ => break,
            }
        }
        fresh
    }
}

/// Where the next reading of revisions starts: [`REVISION_LOOKBACK`] before the previous
/// reading (UTC milliseconds), so a round that failed or came late misses nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RevisionWatch {
    read_at: i64,
}

impl RevisionWatch {
    /// Revisions before `now` are the start-up repair's to find.
    pub(crate) fn starting(now: chrono::DateTime<chrono::Utc>) -> RevisionWatch {
        RevisionWatch { read_at: now.timestamp_millis() }
    }

    /// The time to read revisions from.
    pub(crate) fn since(self) -> i64 {
        let lookback = i64::try_from(REVISION_LOOKBACK.as_millis()).unwrap_or(i64::MAX);
        self.read_at.saturating_sub(lookback)
    }

    /// A reading that started at `now` succeeded.
    pub(crate) fn read(&mut self, now: chrono::DateTime<chrono::Utc>) {
        self.read_at = self.read_at.max(now.timestamp_millis());
    }
}

impl Pipeline {
    /// Keeps the index equal to the store while other processes store the documents:
    /// at each wake-up from the store, and every tick otherwise, it indexes the documents
    /// that appeared since, until `shutdown` completes. Does nothing without an index.
    pub async fn follow_store(&self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let Some(index) = self.index.clone() else { return Ok(()) };
        self.catch_up_index().await?;
        let mut follower = Follower::new(index.last_indexed_id()?, GAP_WAIT);
        let mut revisions = RevisionWatch::starting(chrono::Utc::now());
        let mut repaired = Instant::now();
        let mut wakeups = self.store.wakeups(Topic::Documents);
        tokio::pin!(shutdown);
        loop {
            if repaired.elapsed() >= REPAIR_EVERY {
                repaired = Instant::now();
                if let Err(error) = self.catch_up_index().await {
                    tracing::error!(error = %error, "Repairing the index against the store failed.");
                }
            }
            match self.follow_round(&index, &mut follower).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(n_items = n, "Index followed the store."),
                Err(error) => {
                    tracing::error!(error = %error, "Following the store into the index failed.");
                    // What was taken but not committed is read again from the last commit.
                    follower = Follower::new(index.last_indexed_id()?, GAP_WAIT);
                }
            }
            self.follow_revisions_logged(&index, &mut revisions, follower.floor()).await;
            let wait = self.tick(&wakeups);
            if !self.pause(&mut wakeups, wait, &mut shutdown).await {
                break;
            }
        }
        Ok(())
    }

    /// Keeps the index holding what other processes store, in a process whose pipeline
    /// indexes what it stores itself: every document id above `from` that appears and that
    /// the index does not hold [`SETTLE`] later is indexed, until `shutdown` completes.
    /// `from` is the highest stored id when the pipeline's own catch-up started, which
    /// covers everything up to it. Does nothing without an index.
    pub async fn follow_others(&self, from: i64, shutdown: impl Future<Output = ()>) -> Result<()> {
        let Some(index) = self.index.clone() else { return Ok(()) };
        let mut follower = Follower::new(from, GAP_WAIT);
        let mut revisions = RevisionWatch::starting(chrono::Utc::now());
        // New ids with when they were first seen, oldest first.
        let mut settling: VecDeque<(Instant, Vec<i64>)> = VecDeque::new();
        let mut wakeups = self.store.wakeups(Topic::Documents);
        tokio::pin!(shutdown);
        loop {
            let floor = follower.floor();
            match self.store.document_ids_after(floor, follower.high() - floor + READ).await {
                Ok(ids) => {
                    let fresh = follower.take(&ids, Instant::now());
                    if !fresh.is_empty() {
                        settling.push_back((Instant::now(), fresh));
                    }
                }
                Err(error) => {
                    tracing::error!(error = %error, "Reading new document ids failed.");
                }
            }
            let mut due = Vec::new();
            while settling.front().is_some_and(|(seen, _)| seen.elapsed() >= SETTLE) {
                if let Some((_, ids)) = settling.pop_front() {
                    due.extend(ids);
                }
            }
            if !due.is_empty() {
                match self.index_missing(&index, &due).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(n_items = n, "Indexed documents another process stored.")
                    }
                    Err(error) => {
                        tracing::error!(error = %error, "Indexing documents another process stored failed.");
                        // Tried again at the next round.
                        settling.push_front((
                            Instant::now().checked_sub(SETTLE).unwrap_or_else(Instant::now),
                            due,
                        ));
                    }
                }
            }
            // The recorded id is the pipeline's to move: ids below it may still be on
            // their way through it.
            let recorded = index.last_indexed_id().unwrap_or(0);
            self.follow_revisions_logged(&index, &mut revisions, recorded).await;
            let mut wait = self.tick(&wakeups);
            if let Some((seen, _)) = settling.front() {
                wait = wait.min(SETTLE.saturating_sub(seen.elapsed()));
            }
            if !self.pause(&mut wakeups, wait, &mut shutdown).await {
                break;
            }
        }
        Ok(())
    }

    /// [`Pipeline::follow_revisions`], its outcome logged.
    async fn follow_revisions_logged(
        &self,
        index: &SearchIndex,
        watch: &mut RevisionWatch,
        recorded: i64,
    ) {
        match self.follow_revisions(index, watch, recorded).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n_items = n, "Indexed revisions another process stored."),
            Err(error) => {
                tracing::error!(error = %error, "Indexing revisions another process stored failed.");
            }
        }
    }

    /// Indexes again the documents revised since `watch` last read that the index holds
    /// at another version, committing with `recorded` as the highest id indexed; returns
    /// how many.
    async fn follow_revisions(
        &self,
        index: &SearchIndex,
        watch: &mut RevisionWatch,
        recorded: i64,
    ) -> Result<usize> {
        let now = chrono::Utc::now();
        let revised = self.store.revised_since(watch.since()).await?;
        let ids: Vec<i64> = revised.iter().map(|r| r.0).collect();
        let held = if ids.is_empty() { Default::default() } else { index.revisions_held(&ids)? };
        // A document the index does not hold yet is the id follower's to index.
        let stale: Vec<i64> = revised
            .iter()
            .filter(|(id, at)| held.get(id).is_some_and(|h| h != at))
            .map(|r| r.0)
            .collect();
        if !stale.is_empty() {
            let started = Instant::now();
            crate::repair::reindex(&self.store, index, &stale).await?;
            index.commit(recorded)?;
            self.metrics.observe(Stage::Index, started.elapsed());
        }
        watch.read(now);
        Ok(stale.len())
    }

    /// Indexes those of `ids` the index does not hold; returns how many.
    async fn index_missing(&self, index: &SearchIndex, ids: &[i64]) -> Result<usize> {
        let held = index.holds(ids)?;
        let mut missing: Vec<i64> = ids.iter().copied().filter(|id| !held.contains(id)).collect();
        if missing.is_empty() {
            return Ok(0);
        }
        missing.sort_unstable();
        let started = Instant::now();
        self.index_ids(index, &missing).await?;
        // The recorded id is the pipeline's to move: ids below these may still be on
        // their way through it.
        index.commit(index.last_indexed_id()?)?;
        self.metrics.observe(Stage::Index, started.elapsed());
        Ok(missing.len())
    }

    /// The pause between two rounds: the pipeline's tick, or [`LISTENING_TICK`] while the
    /// store's notifications arrive.
    fn tick(&self, wakeups: &Wakeups) -> Duration {
        if wakeups.listening() { self.config.tick.max(LISTENING_TICK) } else { self.config.tick }
    }

    /// Waits `wait`, or less when new documents are announced; false when `shutdown`
    /// completed.
    async fn pause(
        &self,
        wakeups: &mut Wakeups,
        wait: Duration,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        tokio::select! {
            () = shutdown.as_mut() => return false,
            () = wakeups.next() => {}
            () = tokio::time::sleep(wait) => return true,
        }
        tokio::select! {
            () = shutdown.as_mut() => false,
            () = tokio::time::sleep(GATHER) => true,
        }
    }

    /// Adds the stored documents `ids` (ascending) to the index, uncommitted.
    async fn index_ids(&self, index: &SearchIndex, ids: &[i64]) -> Result<()> {
        let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else { return Ok(()) };
        let docs = self.store.documents_by_ids(ids).await?;
        let facts = self.store.document_facts(first - 1, last).await?;
        let batch: Vec<IndexDoc> =
            docs.iter().map(|d| crate::process::stored_index_doc(d, facts.get(&d.id))).collect();
        index.add(&batch)?;
        Ok(())
    }

    /// One round of [`Pipeline::follow_store`]; returns how many documents it indexed.
    async fn follow_round(&self, index: &SearchIndex, follower: &mut Follower) -> Result<usize> {
        let floor = follower.floor();
        let ids = self.store.document_ids_after(floor, follower.high() - floor + READ).await?;
        let fresh = follower.take(&ids, Instant::now());
        if fresh.is_empty() && follower.floor() == floor {
            return Ok(0);
        }
        let started = Instant::now();
        self.index_ids(index, &fresh).await?;
        index.commit(follower.floor())?;
        self.metrics.observe(Stage::Index, started.elapsed());
        Ok(fresh.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(30);

    #[test]
    fn ids_in_order_move_the_floor_at_once() {
        let t = Instant::now();
        let mut f = Follower::new(0, WAIT);
        assert_eq!(f.take(&[1, 2, 3], t), vec![1, 2, 3]);
        assert_eq!(f.floor(), 3);
        assert_eq!(f.take(&[4], t), vec![4]);
        assert_eq!((f.floor(), f.high()), (4, 4));
        assert!(f.take(&[], t).is_empty());
    }

    #[test]
    fn a_late_commit_is_taken_and_the_floor_waits_for_it() {
        let t = Instant::now();
        let mut f = Follower::new(10, WAIT);
        // 12 is committed before 11: it is indexed at once, the floor stays below 11.
        assert_eq!(f.take(&[12, 13], t), vec![12, 13]);
        assert_eq!((f.floor(), f.high()), (10, 13));
        // Read again (the floor has not moved): nothing new.
        assert!(f.take(&[12, 13], t + Duration::from_secs(5)).is_empty());
        // 11 commits late, within the wait: taken, and the floor passes every seen id.
        assert_eq!(f.take(&[11, 12, 13], t + Duration::from_secs(10)), vec![11]);
        assert_eq!(f.floor(), 13);
    }

    #[test]
    fn an_id_that_never_appears_is_given_up_after_the_wait() {
        let t = Instant::now();
        let mut f = Follower::new(0, WAIT);
        assert_eq!(f.take(&[1, 3, 4], t), vec![1, 3, 4]);
        assert_eq!(f.floor(), 1);
        assert!(f.take(&[3, 4], t + WAIT - Duration::from_millis(1)).is_empty());
        assert_eq!(f.floor(), 1);
        // Later gaps (5, 6) are timed from when they were first seen, not from the first one.
        assert_eq!(f.take(&[3, 4, 7], t + WAIT), vec![7]);
        assert_eq!(f.floor(), 4);
        assert!(f.take(&[7], t + WAIT + Duration::from_secs(1)).is_empty());
        assert_eq!(f.floor(), 4);
        assert!(f.take(&[7], t + 2 * WAIT).is_empty());
        assert_eq!(f.floor(), 7);
    }

    #[test]
    fn the_span_kept_track_of_is_bounded() {
        let t = Instant::now();
        let mut f = Follower::new(0, WAIT);
        let far = MAX_SPAN + 50;
        assert_eq!(f.take(&[far], t), vec![far]);
        assert_eq!(f.floor(), 50);
        assert!(f.gaps.len() < usize::try_from(MAX_SPAN).unwrap_or(usize::MAX));
        // An id below the new floor is not taken again.
        assert!(f.take(&[10], t).is_empty());
    }
}
