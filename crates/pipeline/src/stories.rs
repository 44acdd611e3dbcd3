//! Stories in the pipeline: the near-copy index and the story clusterer held in memory,
//! fed each new document before its alerts are decided, restored from the store after a
//! restart, merged periodically, and the story rows (title, first publisher, counts)
//! recomputed from sightings whenever a story changes.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use model::{Document, NewDocument, SourceTier, Story, Timestamp};
use signals::copies::{CopyDoc, CopyIndex, Syllables};
use signals::stories::{
    Anomaly, Clusterer, OriginBasis, Outlet, Outlets, Replay, StoryInput, StoryKey, TermCounts,
    Tier,
};
use store::{
    Inserted, Placement, SightingRelation, Store, StoryDigest, StoryEntry, StoryLog, StoryMember,
    StoryUpdate,
};

use crate::Result;

/// Documents read per query when restoring or catching up.
const PAGE: i64 = 500;

/// The copy index and the clusterer, as one unit: a document is checked for a near-copy
/// and then placed, under one lock.
pub(crate) struct Stories {
    copies: CopyIndex,
    clusterer: Clusterer,
    last_evict: Option<DateTime<Utc>>,
    /// The end (exclusive) of the block of story keys reserved in the store that new
    /// stories take their keys from (see [`reserve_keys`]); no key is given beyond it.
    keys_end: i64,
    /// The last entry of the store's story log held here: what other processes decided
    /// after it is applied before this one places anything.
    applied: i64,
    /// The log said stories here fell behind it (a rebuild, or entries pruned before they
    /// were read): they must be read from the store again before placing more.
    stale: bool,
}

/// Story keys reserved at a time: most batches take them from the block already held.
const KEY_BLOCK: usize = 256;

/// A new document to place.
pub(crate) struct NewMember<'a> {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub placing: &'a Placing,
}

/// What placing a document reads of its text, made on the preparing threads so that the
/// placing itself, which runs one batch at a time under the stories' lock, only looks up:
/// its syllables, its near-copy shingles and signature, and its story term counts.
pub(crate) struct Placing {
    pub syllables: Syllables,
    pub copy: Option<CopyDoc>,
    pub counts: TermCounts,
}

impl Placing {
    pub(crate) fn new(syllables: Syllables) -> Placing {
        // The parameters every `Stories` holds.
        let copy = CopyDoc::new(&syllables, &signals::copies::Params::default());
        let counts = TermCounts::of(&syllables, &signals::stories::Params::default());
        Placing { syllables, copy, counts }
    }
}

impl Default for Stories {
    fn default() -> Self {
        Stories::starting_at(StoryKey(1))
    }
}

impl Stories {
    fn starting_at(next: StoryKey) -> Stories {
        Stories {
            copies: CopyIndex::new(signals::copies::Params::default()),
            clusterer: Clusterer::starting_at(signals::stories::Params::default(), next),
            last_evict: None,
            keys_end: 0,
            applied: 0,
            stale: false,
        }
    }

    /// The log entry placements here follow from.
    pub(crate) fn applied(&self) -> i64 {
        self.applied
    }

    /// Whether the stories here must be read from the store again.
    pub(crate) fn stale(&self) -> bool {
        self.stale
    }

    /// Applies what other processes decided (read from the story log): their documents
    /// join the stories they were placed in, exactly as a restart replays them, and their
    /// merges are made here too, so every process places the next document among the same
    /// stories. Returns false when the log says these stories are past bringing up to date.
    pub(crate) fn follow(&mut self, log: &StoryLog) -> bool {
        if log.behind || self.stale {
            self.stale = true;
            return false;
        }
        // Others' stories carry keys from their own reserved blocks; new stories here keep
        // taking theirs from this process's block.
        let next = self.clusterer.next_key();
        for entry in &log.entries {
            match entry {
                StoryEntry::Placed { document, story, copy_of } => {
                    if self.clusterer.story_of(document.id).is_some() {
                        continue;
                    }
                    let at = story_time(document.doc.published_at, document.doc.fetched_at);
                    self.evict(at);
                    let syllables = syllables(&document.doc);
                    if let Some(doc) = CopyDoc::new(&syllables, self.copies.params()) {
                        self.copies.insert(document.id, at, doc);
                    }
                    let input =
                        StoryInput { id: document.id, syllables: &syllables, copy_of: *copy_of };
                    self.clusterer.replay(&input, at, Some(StoryKey(*story)));
                }
                StoryEntry::Merged { from, into } => {
                    self.clusterer.apply_merge(StoryKey(*from), StoryKey(*into));
                }
                StoryEntry::Rebuilt => {
                    self.stale = true;
                    return false;
                }
            }
        }
        self.clusterer.allocate_from(next);
        self.applied = self.applied.max(log.end);
        true
    }

    /// The log now ends at `end` with what this process wrote.
    pub(crate) fn written(&mut self, end: i64) {
        self.applied = self.applied.max(end);
    }

    /// How many new stories the reserved keys still allow.
    fn keys_left(&self) -> usize {
        usize::try_from(self.keys_end - self.clusterer.next_key().0).unwrap_or(0)
    }

    /// Takes new stories' keys from the reserved block `first .. first + n`.
    fn use_keys(&mut self, first: i64, n: usize) {
        self.clusterer.allocate_from(StoryKey(first));
        self.keys_end = first.saturating_add(i64::try_from(n).unwrap_or(i64::MAX / 4));
    }

    /// Places documents in time order: each is checked against the recent documents for
    /// a near-copy, then joins its original's story, a similar active story or a new one.
    pub(crate) fn place(&mut self, members: &mut [NewMember<'_>]) -> Vec<Placement> {
        members.sort_by_key(|m| (m.at, m.id));
        let mut out = Vec::with_capacity(members.len());
        for m in members.iter() {
            // Placed already by another process's catch-up, and applied here from the log.
            if self.clusterer.story_of(m.id).is_some() {
                continue;
            }
            // Without a reserved key left, a new story could take a key another process
            // holds: the document is stored without a story and placed by the next
            // catch-up instead. The callers reserve enough first, so this does not happen.
            if self.keys_left() == 0 {
                tracing::warn!(
                    document_id = m.id,
                    "No story key reserved: document left unplaced."
                );
                out.push(Placement { document_id: m.id, story: None, copy_of: None });
                continue;
            }
            self.evict(m.at);
            let copy_of = m.placing.copy.as_ref().and_then(|doc| {
                let found = self.copies.find_copy(doc).map(|c| c.of);
                self.copies.insert(m.id, m.at, doc.clone());
                found
            });
            let input = StoryInput { id: m.id, syllables: &m.placing.syllables, copy_of };
            let a = self.clusterer.assign_counted(&input, &m.placing.counts, m.at);
            out.push(Placement { document_id: m.id, story: Some(a.story.0), copy_of });
        }
        out
    }

    /// Drops what no new document can join any more, at most hourly and never backwards
    /// (history arriving late must not rescale the corpus to an earlier time).
    fn evict(&mut self, now: DateTime<Utc>) {
        if self.last_evict.is_some_and(|t| now - t < TimeDelta::hours(1)) {
            return;
        }
        let window = self.copies.params().window.max(self.clusterer.params().merge_span);
        self.copies.evict_older_than(now - window);
        self.clusterer.evict(now);
        self.last_evict = Some(now);
    }

    /// Merges stories that turned out to be one; returns `(from, into)` pairs.
    pub(crate) fn merge_pass(&mut self, now: DateTime<Utc>) -> Vec<(i64, i64)> {
        self.clusterer.merge_pass(now).into_iter().map(|(a, b)| (a.0, b.0)).collect()
    }
}

/// A document's time for stories: when it was published, unless that is missing or later
/// than its fetch (a wrong clock), so history ingested late lands on its own days.
pub(crate) fn story_time(published: Option<Timestamp>, fetched: Timestamp) -> DateTime<Utc> {
    published.filter(|p| *p <= fetched).unwrap_or(fetched)
}

/// A stored document's syllables, read exactly as a new one's are (through the rules'
/// analysis), so a restart or a rebuild places it as ingestion did.
pub(crate) fn syllables(doc: &NewDocument) -> Syllables {
    from_analyzed(&rules::Analyzed::document(doc, ""), doc)
}

/// A document's syllables from the tokens the rules already read: title, then the
/// summary as lead when the text starts with it, then the body.
pub(crate) fn from_analyzed(analyzed: &rules::Analyzed, doc: &NewDocument) -> Syllables {
    let (summary, body) = (doc.summary.trim(), doc.body.trim());
    // As `NewDocument::full_text` lays them out.
    let lead = if summary.is_empty() || body.starts_with(summary) {
        0
    } else if body.is_empty() {
        usize::MAX
    } else {
        vi_text::tokenize(&vi_text::display(summary)).len()
    };
    let mut text = analyzed.body_syllables();
    let lead_forms: Vec<&str> = text.by_ref().take(lead).collect();
    Syllables::from_forms(analyzed.title_syllables(), lead_forms, text)
}

/// The story time of each document of a batch, with what placing it reads, by batch index.
pub(crate) fn batch_times(
    batch: &[store::Processed],
    placing: Vec<Placing>,
) -> Vec<(DateTime<Utc>, Placing)> {
    batch
        .iter()
        .zip(placing)
        .map(|(p, s)| (story_time(p.doc.published_at, p.doc.fetched_at), s))
        .collect()
}

/// The placer a batch insert calls: the batch's syllables and times, by batch index. It
/// adds the time it spends to `spent`.
pub(crate) struct BatchPlacer<'a> {
    pub stories: &'a std::sync::Mutex<Stories>,
    pub groups: &'a [Vec<(DateTime<Utc>, Placing)>],
    pub spent: std::time::Duration,
}

impl store::Placer for BatchPlacer<'_> {
    fn position(&self) -> Option<i64> {
        Some(lock(self.stories).applied)
    }

    fn place(&mut self, group: usize, log: StoryLog, inserted: &[Inserted]) -> Vec<Placement> {
        let started = std::time::Instant::now();
        let Some(batch) = self.groups.get(group) else { return Vec::new() };
        let mut stories = lock(self.stories);
        // Stories that fell behind the log place nothing: the documents stay unplaced, and
        // the catch-up after reading the stories again places them.
        if !stories.follow(&log) {
            return Vec::new();
        }
        let mut members: Vec<NewMember<'_>> = inserted
            .iter()
            .filter_map(|i| {
                let (at, placing) = batch.get(i.batch_index)?;
                Some(NewMember { id: i.id, at: *at, placing })
            })
            .collect();
        let placed = stories.place(&mut members);
        self.spent += started.elapsed();
        placed
    }

    fn written(&mut self, end: i64) {
        lock(self.stories).written(end);
    }
}

pub(crate) fn lock(stories: &std::sync::Mutex<Stories>) -> std::sync::MutexGuard<'_, Stories> {
    stories.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Rebuilds the in-memory state from the store: the recent placed documents are replayed
/// into their recorded stories, then documents with no story yet (stored before stories
/// existed, or while the placement failed) are placed and their stories written.
pub(crate) async fn restore(store: &Store, now: DateTime<Utc>) -> Result<Stories> {
    // Read first: what is decided while the documents are read is applied again from the
    // log, which changes nothing for what was read already.
    let applied = store.story_log_end().await?;
    let next = StoryKey(store.next_story_id().await?);
    let keep =
        signals::stories::Params::default().merge_span + signals::stories::Params::default().active;
    let mut replays: Vec<Replay> = Vec::new();
    let mut after = 0;
    loop {
        let page = store.placed_documents_since(now - keep, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.0.id;
        for (doc, story, copy_of) in page {
            replays.push(Replay {
                id: doc.id,
                syllables: syllables(&doc.doc),
                copy_of,
                at: story_time(doc.doc.published_at, doc.doc.fetched_at),
                story: Some(StoryKey(story)),
            });
        }
    }
    replays.sort_by_key(|r| (r.at, r.id));
    let mut stories = Stories::starting_at(next);
    let mut copies = CopyIndex::new(signals::copies::Params::default());
    for r in &replays {
        if let Some(doc) = CopyDoc::new(&r.syllables, copies.params()) {
            copies.insert(r.id, r.at, doc);
        }
    }
    copies.evict_older_than(now - copies.params().window);
    stories.copies = copies;
    stories.clusterer = Clusterer::rebuild(signals::stories::Params::default(), next, replays);
    stories.applied = applied;
    Ok(stories)
}

/// Places stored documents in time order; returns the placements and the latest time.
fn place_stored(
    stories: &mut Stories,
    docs: &[Document],
) -> (Vec<Placement>, Option<DateTime<Utc>>) {
    let placing: Vec<Placing> = docs.iter().map(|d| Placing::new(syllables(&d.doc))).collect();
    let mut members: Vec<NewMember<'_>> = docs
        .iter()
        .zip(&placing)
        .map(|(d, placing)| NewMember {
            id: d.id,
            at: story_time(d.doc.published_at, d.doc.fetched_at),
            placing,
        })
        .collect();
    let last = members.iter().map(|m| m.at).max();
    (stories.place(&mut members), last)
}

/// Makes sure `stories` can give `n` new stories keys no other process gives, reserving a
/// block of keys in the store when the one held is short. Call it before placing `n`
/// documents; the lock is not held while the store answers.
pub(crate) async fn reserve_keys(
    store: &Store,
    stories: &std::sync::Mutex<Stories>,
    n: usize,
) -> Result<()> {
    if lock(stories).keys_left() >= n {
        return Ok(());
    }
    let size = n.max(KEY_BLOCK);
    let first = store.reserve_story_keys(size).await?;
    lock(stories).use_keys(first, size);
    Ok(())
}

/// Places every document that has no story yet, oldest first, and writes their stories,
/// then rewrites the rows a stop left behind their documents. Returns how many it placed.
pub(crate) async fn catch_up(
    store: &Store,
    stories: &std::sync::Mutex<Stories>,
    credits: &Credits,
    now: Timestamp,
) -> Result<usize> {
    let mut placed = 0;
    let mut after = 0;
    loop {
        let page: Vec<Document> = store.unplaced_documents(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        reserve_keys(store, stories, page.len()).await?;
        let applied = lock(stories).applied;
        let (mut decision, log) = store.decide_stories(applied).await?;
        let placements = {
            let mut held = lock(stories);
            if !held.follow(&log) {
                // Read again by the caller before anything is placed.
                return Ok(placed);
            }
            place_stored(&mut held, &page).0
        };
        decision.place(&placements, now).await?;
        let end = decision.commit().await?;
        lock(stories).written(end);
        let touched: BTreeSet<i64> = placements.iter().filter_map(|p| p.story).collect();
        refresh(store, credits, &touched.into_iter().collect::<Vec<_>>(), now).await?;
        placed += placements.len();
    }
    let orphans = store.stories_without_rows().await?;
    for chunk in orphans.chunks(PAGE as usize) {
        refresh(store, credits, chunk, now).await?;
    }
    // A process stopped between a batch's commit and the rewrite of its stories' rows
    // left them counting what they held before.
    let keep =
        signals::stories::Params::default().merge_span + signals::stories::Params::default().active;
    let stale = store.stories_with_stale_rows(now - keep).await?;
    for chunk in stale.chunks(PAGE as usize) {
        refresh(store, credits, chunk, now).await?;
    }
    Ok(placed)
}

/// Recomputes and saves the rows of `stories` from their sightings: the first publisher
/// (earliest, corrected by attribution lines and aggregator delays), the title, the main
/// province and the counts.
pub(crate) async fn refresh(
    store: &Store,
    credits: &Credits,
    stories: &[i64],
    now: Timestamp,
) -> Result<()> {
    refresh_knowing(store, credits, stories, &[], now).await
}

/// [`refresh`], given the texts of documents the caller holds (new ones, just stored):
/// their credits are found from those, and the store reads none of them.
pub(crate) async fn refresh_knowing(
    store: &Store,
    credits: &Credits,
    stories: &[i64],
    texts: &[(i64, &NewDocument)],
    now: Timestamp,
) -> Result<()> {
    if stories.is_empty() {
        return Ok(());
    }
    let mut known = credits.known(store).await?;
    // Forgotten before the texts are chosen, never between choosing and reading them.
    if known.by_document.len() >= CREDITS_KEPT {
        known.by_document.clear();
    }
    for (id, doc) in texts {
        let text = store::attribution_text(&doc.summary, &doc.body);
        let (head, tail) = signals::stories::head_and_tail(&text, store::ATTRIBUTION_CHARS);
        known.credit((*id, &doc.content_hash), head, tail);
    }
    store.refresh_stories(stories, now, &mut Summary(&mut known)).await?;
    Ok(())
}

/// A refresh's side of the story lock: texts only of the sightings whose credit is not
/// known for their document's current text.
struct Summary<'a>(&'a mut KnownCredits);

impl store::StorySummary for Summary<'_> {
    fn wants_text(&self, member: &StoryMember) -> bool {
        !self
            .0
            .by_document
            .contains_key(&credit_key(member.sighting.document_id, &member.content_hash))
    }

    fn summarise(&mut self, stories: &[StoryDigest]) -> Vec<StoryUpdate> {
        stories.iter().filter_map(|d| summarise(d, self.0)).collect()
    }
}

/// What a sighting's credit is known by: its document and that document's text (every
/// sighting of a document carries its one text).
fn credit_key(document: i64, content_hash: &str) -> (i64, u64) {
    use std::hash::BuildHasher;
    (document, foldhash::fast::FixedState::default().hash_one(content_hash))
}

/// What story refreshes keep from batch to batch: the outlets attribution lines are read
/// against (the sources, read again every [`OUTLETS_FOR`]) and the credit each document's
/// text gives, so a growing story's earliest hundred sightings are not read again on
/// every batch, and a new document's text, which the pipeline holds, is not read at all.
#[derive(Default)]
pub(crate) struct Credits {
    state: tokio::sync::Mutex<KnownCredits>,
}

/// How long a read of the sources serves attribution: a source added or renamed meanwhile
/// is credited from the next read on.
const OUTLETS_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// Credits known past this many sightings are forgotten, all at once.
const CREDITS_KEPT: usize = 200_000;

#[derive(Default)]
pub(crate) struct KnownCredits {
    read_at: Option<std::time::Instant>,
    /// Each source's id and name, as last read: a change forgets every credit.
    sources: Vec<(i64, String)>,
    outlets: Outlets,
    /// By document and a hash of its content hash ([`credit_key`]): a revised text is
    /// read again.
    by_document: HashMap<(i64, u64), Option<usize>>,
}

impl Credits {
    async fn known(&self, store: &Store) -> Result<tokio::sync::MutexGuard<'_, KnownCredits>> {
        let mut known = self.state.lock().await;
        if known.read_at.is_none_or(|at| at.elapsed() >= OUTLETS_FOR) {
            let sources: Vec<(i64, String)> =
                store.list_sources().await?.into_iter().map(|s| (s.id, s.name)).collect();
            if sources != known.sources {
                known.outlets = Outlets::new(sources.iter().map(|(id, name)| Outlet {
                    source: *id,
                    name,
                    aliases: &[],
                }));
                known.sources = sources;
                known.by_document.clear();
            }
            known.read_at = Some(std::time::Instant::now());
        }
        Ok(known)
    }
}

impl KnownCredits {
    /// The credit of a document's text (`(id, content hash)`), found once: read from
    /// `head` and `tail` (its text, which a refresh reads only for documents whose credit
    /// it does not know).
    fn credit(&mut self, (id, content_hash): (i64, &str), head: &str, tail: &str) -> Option<usize> {
        let key = credit_key(id, content_hash);
        if let Some(known) = self.by_document.get(&key) {
            return *known;
        }
        let found = signals::stories::credit(&self.outlets, head, tail);
        self.by_document.insert(key, found);
        found
    }
}

fn tier(t: SourceTier) -> Tier {
    match t {
        SourceTier::Official => Tier::Official,
        SourceTier::Press => Tier::Press,
        SourceTier::Aggregator => Tier::Aggregator,
        SourceTier::Social => Tier::Social,
    }
}

fn anomaly_name(a: Anomaly) -> &'static str {
    match a {
        Anomaly::PublishedAfterFetch => "published_after_fetch",
        Anomaly::AggregatorTooEarly => "aggregator_too_early",
        Anomaly::BeforeOrigin => "before_origin",
    }
}

fn basis_name(b: OriginBasis) -> &'static str {
    match b {
        OriginBasis::Attribution => "attribution",
        OriginBasis::Earliest => "earliest",
        OriginBasis::Uncertain => "uncertain",
    }
}

/// One story's row from its digest.
fn summarise(digest: &StoryDigest, known: &mut KnownCredits) -> Option<StoryUpdate> {
    // The store read the earliest sightings (`store::PROVENANCE_SIGHTINGS`) and those not
    // yet related: the first publisher is among them.
    let members = &digest.members;
    let heads: Vec<(&str, &str)> = members
        .iter()
        .map(|m| signals::stories::head_and_tail(&m.text, store::ATTRIBUTION_CHARS))
        .collect();
    let sightings: Vec<signals::stories::Sighting<'_>> = members
        .iter()
        .zip(&heads)
        .map(|(m, (head, tail))| signals::stories::Sighting {
            document: m.sighting.document_id,
            source: m.sighting.source_id,
            source_name: &m.sighting.source_name,
            tier: tier(m.sighting.tier),
            published: m.sighting.published_at,
            fetched: m.sighting.fetched_at,
            head,
            tail,
        })
        .collect();
    let credits: Vec<Option<usize>> = members
        .iter()
        .zip(&heads)
        .map(|(m, (head, tail))| {
            known.credit((m.sighting.document_id, &m.content_hash), head, tail)
        })
        .collect();
    let provenance =
        signals::stories::first_publisher_credited(&sightings, &known.outlets, &credits)?;
    let origin = &members[provenance.origin];
    // A sighting published a little after its fetch counts as published for its first
    // publisher (`signals::stories`), later than the digest's time of it.
    let times = provenance.members.iter().map(|r| r.time);
    let first_seen = times.clone().chain([digest.first_seen]).min()?;
    let last_seen = times.chain([digest.last_seen]).max()?;
    // The province most of its documents are about; ties go to the first publisher's.
    let province = digest
        .provinces
        .iter()
        .max_by(|(pa, na), (pb, nb)| {
            let of_origin = |p: &str| origin.province.as_deref() == Some(p);
            (na, of_origin(pa)).cmp(&(nb, of_origin(pb))).then_with(|| pb.cmp(pa))
        })
        .map(|(p, _)| p.clone());
    // Only what changed is written: a growing story's earlier sightings mostly keep theirs.
    let relations = provenance
        .members
        .iter()
        .filter_map(|r| {
            let new = SightingRelation {
                sighting_id: members[r.index].sighting_id,
                relation: r.relation.as_str().to_owned(),
                lag_minutes: r.lag.num_minutes(),
                anomalies: r.anomalies.iter().map(|a| anomaly_name(*a).to_owned()).collect(),
            };
            (members[r.index].relation.as_ref() != Some(&new)).then_some(new)
        })
        .collect();
    Some(StoryUpdate {
        story: Story {
            id: digest.story_id,
            title: origin.title.clone(),
            origin_document: origin.sighting.document_id,
            origin_source: origin.sighting.source_id,
            origin_source_name: origin.sighting.source_name.clone(),
            origin_basis: basis_name(provenance.basis).to_owned(),
            province,
            first_seen,
            last_seen,
            documents: digest.documents,
            sightings: digest.sightings,
            outlets: digest.outlets,
        },
        relations,
    })
}

/// What [`rebuild`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoriesRebuilt {
    /// Documents placed.
    pub documents: usize,
    /// Stories they make.
    pub stories: usize,
    /// Story alerts re-keyed to the new stories.
    pub alerts_rekeyed: u64,
    /// Open alerts folded into another of the same rule and story.
    pub alerts_merged: u64,
}

/// Re-clusters every stored document from scratch, in time order, with fresh story ids
/// above the old ones, then rewrites every story row: stories are derived from documents
/// and sightings, and this derives them again.
pub(crate) async fn rebuild(store: &Store, now: Timestamp) -> Result<StoriesRebuilt> {
    let mut times = store.document_times().await?;
    times.sort_by_key(|&(id, published, fetched)| (story_time(published, fetched), id));
    let mut stories = Stories::starting_at(StoryKey(store.next_story_id().await?));
    let size = times.len().max(1);
    stories.use_keys(store.reserve_story_keys(size).await?, size);
    let mut placements = Vec::with_capacity(times.len());
    let mut merges = Vec::new();
    for chunk in times.chunks(PAGE as usize) {
        let ids: Vec<i64> = chunk.iter().map(|t| t.0).collect();
        let docs = store.documents_by_ids(&ids).await?;
        let (placed, last) = place_stored(&mut stories, &docs);
        placements.extend(placed);
        // The periodic pass merges stories as they grow; replayed, it runs per page.
        if let Some(last) = last {
            merges.extend(stories.merge_pass(last));
        }
    }
    merges.extend(stories.merge_pass(now));
    // A story that absorbed another never merges out of itself, so one step resolves.
    let mut into: HashMap<i64, i64> = HashMap::new();
    for (from, to) in merges {
        let to = *into.get(&to).unwrap_or(&to);
        into.insert(from, to);
    }
    for p in &mut placements {
        if let Some(s) = p.story
            && let Some(&to) = into.get(&s)
        {
            p.story = Some(to);
        }
    }
    let rekeyed = store.replace_placements(&placements, chrono::Utc::now()).await?;
    let ids: BTreeSet<i64> = placements.iter().filter_map(|p| p.story).collect();
    let ids: Vec<i64> = ids.into_iter().collect();
    let credits = Credits::default();
    for chunk in ids.chunks(PAGE as usize) {
        refresh(store, &credits, chunk, now).await?;
    }
    Ok(StoriesRebuilt {
        documents: placements.len(),
        stories: ids.len(),
        alerts_rekeyed: rekeyed.alerts,
        alerts_merged: rekeyed.merged,
    })
}
