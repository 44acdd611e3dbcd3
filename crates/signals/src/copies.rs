//! Near-duplicates: which earlier document a new one republishes with edits (a "Theo
//! VnExpress" line added, a paragraph trimmed, a lead-only aggregator excerpt). Exact
//! copies are the content hash's business; this finds the near ones (research wave 2,
//! §3.4, stage 1).
//!
//! A document is read as [`Syllables`]: one 64-bit hash per syllable of its match form,
//! title, lead and body end to end, built once from the tokens the pipeline already has
//! and read by both copies and [`crate::stories`].
//!
//! * **Shingles**: every run of 5 consecutive syllables (punctuation is already gone:
//!   tokens are syllables), hashed to 32 bits and kept as a sorted set. Documents whose
//!   lead and body have fewer than 40 syllables get none: title-only items are left to
//!   stories.
//! * **Signature**: 128 MinHash values by one-permutation hashing with optimal
//!   densification (Li, Owen & Zhang 2012; Shrivastava 2017): each shingle is mixed once
//!   (a splitmix64 finaliser), its top 7 bits pick one of 128 bins and the next 32 bits
//!   are its value; a bin keeps its least value, and an empty bin borrows the value of
//!   the first non-empty bin along a probe sequence that depends only on the bin's
//!   number. Two documents then agree at each position with probability equal to their
//!   Jaccard similarity, as with 128 independent permutations, for one mix per shingle
//!   instead of 128 (128 seeded mixes per shingle cost about 60 µs for a 3 KB article on
//!   the development machine; this costs a few microseconds).
//! * **Candidates**: locality-sensitive hashing in 32 bands of 4 rows, so a pair at
//!   Jaccard 0.6 becomes a candidate with probability 0.988 (0.42 is the band threshold).
//! * **Verification** is exact, on the stored shingle sets: a candidate is a copy when
//!   Jaccard ≥ 0.6 or containment |A∩B|/|A| ≥ 0.8 with A the smaller set, which catches
//!   trimmed copies and excerpts.
//!
//! [`CopyIndex`] holds the recent documents (the caller evicts those older than the
//! 7-day window); [`CopyDoc::to_bytes`] is the compact stored form from which the index
//! is rebuilt after a restart without tokenising again.

pub(crate) mod hash;

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use vi_text::Token;

use self::hash::{IdMap, Posting, mix64, post, syllable_hash, unpost};

/// The version byte of [`CopyDoc::to_bytes`]; it changes whenever the hashes, the
/// shingle length or the signature layout change.
pub const FORMAT: u8 = 1;

/// Values in a signature.
pub const SIGNATURE_LEN: usize = 128;
/// LSH bands.
pub const BANDS: usize = 32;
/// Rows (signature values) per band.
pub const ROWS: usize = SIGNATURE_LEN / BANDS;
/// Syllables per shingle.
pub const SHINGLE: usize = 5;

/// The low bit of a syllable hash says whether the syllable is a number.
const NUMBER_BIT: u64 = 1;

/// A document's syllables as hashes of their match forms, by field (title, lead, body),
/// laid end to end. Build it once per document and hand it to both [`CopyDoc::new`] and
/// [`crate::stories::Clusterer::assign`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Syllables {
    hashes: Vec<u64>,
    title_end: usize,
    lead_end: usize,
}

impl Syllables {
    /// Normalises and tokenises the three fields (for callers without tokens at hand).
    pub fn from_text(title: &str, lead: &str, body: &str) -> Syllables {
        let [title, lead, body] =
            [title, lead, body].map(|t| vi_text::tokenize(&vi_text::display(t)));
        Syllables::from_tokens(&title, &lead, &body)
    }

    /// From tokens the pipeline already has (`vi_text::tokenize` of the display forms),
    /// reading each token's match form.
    pub fn from_tokens(title: &[Token], lead: &[Token], body: &[Token]) -> Syllables {
        Syllables::from_forms(
            title.iter().map(|t| t.matched.as_str()),
            lead.iter().map(|t| t.matched.as_str()),
            body.iter().map(|t| t.matched.as_str()),
        )
    }

    /// From syllables in match form (lowercase, NFC, tone placed in the new style, as
    /// `vi_text` gives them), one field at a time.
    pub fn from_forms<'a>(
        title: impl IntoIterator<Item = &'a str>,
        lead: impl IntoIterator<Item = &'a str>,
        body: impl IntoIterator<Item = &'a str>,
    ) -> Syllables {
        let mut hashes = Vec::new();
        hashes.extend(title.into_iter().map(syllable));
        let title_end = hashes.len();
        hashes.extend(lead.into_iter().map(syllable));
        let lead_end = hashes.len();
        hashes.extend(body.into_iter().map(syllable));
        Syllables { hashes, title_end, lead_end }
    }

    /// Every syllable, title, lead and body in that order.
    pub fn all(&self) -> &[u64] {
        &self.hashes
    }

    /// The title's syllables.
    pub fn title(&self) -> &[u64] {
        &self.hashes[..self.title_end]
    }

    /// The lead's syllables.
    pub fn lead(&self) -> &[u64] {
        &self.hashes[self.title_end..self.lead_end]
    }

    /// The body's syllables.
    pub fn body(&self) -> &[u64] {
        &self.hashes[self.lead_end..]
    }

    /// Number of syllables in all three fields.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether there is no syllable at all.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// The hash of one match-form syllable as [`Syllables`] stores it: 63 bits of
/// a 64-bit hash of its bytes and, in the low bit, whether it is a number.
pub fn syllable(form: &str) -> u64 {
    let number = !form.is_empty() && form.bytes().all(|b| b.is_ascii_digit());
    (syllable_hash(form) & !NUMBER_BIT) | u64::from(number)
}

/// Whether a syllable hash (from [`syllable`]) is a number's.
pub fn is_number(syllable: u64) -> bool {
    syllable & NUMBER_BIT != 0
}

/// The near-duplicate thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Fewest syllables of lead and body for a document to be compared at all.
    pub min_syllables: usize,
    /// A candidate with at least this Jaccard similarity is a copy.
    pub min_jaccard: f32,
    /// A candidate whose smaller shingle set is at least this much inside the other is a
    /// copy.
    pub min_containment: f32,
    /// How long a document stays in the index; the caller evicts with
    /// [`CopyIndex::evict_older_than`]`(now - window)`.
    pub window: TimeDelta,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_syllables: 40,
            min_jaccard: 0.6,
            min_containment: 0.8,
            window: TimeDelta::days(7),
        }
    }
}

/// The MinHash signature of a shingle set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u32; SIGNATURE_LEN]);

impl Signature {
    /// The signature of a shingle set (hashes from [`CopyDoc::shingles`]), `None` when it
    /// is empty.
    pub fn of(shingles: &[u32]) -> Option<Signature> {
        const EMPTY: u32 = u32::MAX;
        let mut values = [EMPTY; SIGNATURE_LEN];
        let mut filled = [false; SIGNATURE_LEN];
        for &s in shingles {
            let p = mix64(u64::from(s) ^ 0xD6E8_FEB8_6659_FD93);
            let bin = (p >> 57) as usize;
            let value = (p >> 25) as u32;
            if !filled[bin] || value < values[bin] {
                values[bin] = value;
                filled[bin] = true;
            }
        }
        if !filled.iter().any(|&f| f) {
            return None;
        }
        let mut out = values;
        for bin in 0..SIGNATURE_LEN {
            if !filled[bin] {
                out[bin] = values[densify(bin, &filled)];
            }
        }
        Some(Signature(out))
    }

    /// The estimated Jaccard similarity: the share of positions that agree.
    pub fn estimate(&self, other: &Signature) -> f32 {
        self.agreeing(other) as f32 / SIGNATURE_LEN as f32
    }

    /// How many positions agree.
    fn agreeing(&self, other: &Signature) -> usize {
        self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count()
    }

    /// The 32 band keys, each a hash of the band's number and its 4 values.
    pub fn bands(&self) -> [u64; BANDS] {
        let mut keys = [0u64; BANDS];
        for (b, key) in keys.iter_mut().enumerate() {
            let mut h = mix64(b as u64 ^ 0x2545_F491_4F6C_DD1D);
            for &v in &self.0[b * ROWS..(b + 1) * ROWS] {
                h = mix64(h ^ u64::from(v));
            }
            *key = h;
        }
        keys
    }
}

/// The non-empty bin an empty bin borrows from: the first non-empty one along a probe
/// sequence that depends only on the empty bin's number, so two documents that both have
/// it empty probe the same bins (the condition for the collision probability to equal the
/// Jaccard similarity). A linear scan ends the search if 512 probes find nothing, which
/// needs most bins empty and does not happen at 40 syllables or more.
fn densify(bin: usize, filled: &[bool; SIGNATURE_LEN]) -> usize {
    for attempt in 1..=512u64 {
        let probe = (mix64(((bin as u64) << 32 | attempt) ^ 0x9FB2_1C65_1E98_DF25) >> 57) as usize;
        if filled[probe] {
            return probe;
        }
    }
    (1..SIGNATURE_LEN).map(|d| (bin + d) % SIGNATURE_LEN).find(|&b| filled[b]).unwrap_or(bin)
}

/// What the copy index keeps of a document: its shingle set and its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyDoc {
    shingles: Box<[u32]>,
    signature: Signature,
}

impl CopyDoc {
    /// The shingles and signature of a document, or `None` when its lead and body have
    /// fewer than [`Params::min_syllables`] syllables (stories handle those alone).
    pub fn new(syllables: &Syllables, params: &Params) -> Option<CopyDoc> {
        if syllables.len() - syllables.title_end < params.min_syllables {
            return None;
        }
        let shingles = shingles(syllables.all());
        let signature = Signature::of(&shingles)?;
        Some(CopyDoc { shingles: shingles.into_boxed_slice(), signature })
    }

    /// The sorted, distinct 32-bit shingle hashes.
    pub fn shingles(&self) -> &[u32] {
        &self.shingles
    }

    /// The MinHash signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The exact Jaccard similarity and containment of two documents' shingle sets.
    pub fn compare(&self, other: &CopyDoc) -> (f32, f32) {
        let (a, b) = (&self.shingles, &other.shingles);
        let (mut i, mut j, mut both) = (0, 0, 0usize);
        // Without branches on the comparison: shingle hashes are random, so a branch on
        // which side is smaller would be mispredicted half the time.
        while i < a.len() && j < b.len() {
            let (x, y) = (a[i], b[j]);
            both += usize::from(x == y);
            i += usize::from(x <= y);
            j += usize::from(y <= x);
        }
        let union = a.len() + b.len() - both;
        let smaller = a.len().min(b.len());
        if union == 0 || smaller == 0 {
            return (0.0, 0.0);
        }
        (both as f32 / union as f32, both as f32 / smaller as f32)
    }

    /// [`CopyDoc::compare`] when the pair passes either threshold (Jaccard at least
    /// `min_jaccard` or containment at least `min_containment`) and its Jaccard similarity
    /// is at least `floor` (what a better match than one already found needs), else
    /// `None`. The walk stops as soon as the shingles left could no longer lift the pair
    /// over both thresholds or to the floor: most candidates a band brings share a
    /// paragraph, not the text, and are given up a few hundred shingles in.
    pub fn compare_passing(
        &self,
        other: &CopyDoc,
        min_jaccard: f32,
        min_containment: f32,
        floor: f32,
    ) -> Option<(f32, f32)> {
        /// Shingles walked between two looks at what is left.
        const BLOCK: usize = 64;
        let (a, b) = (&self.shingles, &other.shingles);
        let smaller = a.len().min(b.len());
        // Both ratios grow with the shared count, so the best the rest can give is the
        // count so far plus whatever is left on the shorter side.
        let ratios = |both: usize| {
            let union = a.len() + b.len() - both;
            if union == 0 || smaller == 0 {
                return (0.0, 0.0);
            }
            (both as f32 / union as f32, both as f32 / smaller as f32)
        };
        let passes = |(j, c): (f32, f32)| (j >= min_jaccard || c >= min_containment) && j >= floor;
        let (mut i, mut j, mut both) = (0, 0, 0usize);
        while i < a.len() && j < b.len() {
            let mut steps = BLOCK;
            while steps > 0 && i < a.len() && j < b.len() {
                let (x, y) = (a[i], b[j]);
                both += usize::from(x == y);
                i += usize::from(x <= y);
                j += usize::from(y <= x);
                steps -= 1;
            }
            let left = (a.len() - i).min(b.len() - j);
            if !passes(ratios(both + left)) {
                return None;
            }
        }
        let found = ratios(both);
        passes(found).then_some(found)
    }

    /// The stored form: [`FORMAT`], the signature (128 × 4 bytes) and the shingles (4
    /// bytes each), all little-endian: about 3 KB for a 3 KB article.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 4 * (SIGNATURE_LEN + self.shingles.len()));
        out.push(FORMAT);
        for v in self.signature.0.iter().chain(self.shingles.iter()) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Reads [`CopyDoc::to_bytes`]; a wrong version, a bad length or unsorted shingles
    /// are an error (the caller then recomputes from the text).
    pub fn from_bytes(bytes: &[u8]) -> Result<CopyDoc, FormatError> {
        let (&version, rest) = bytes.split_first().ok_or(FormatError::Empty)?;
        if version != FORMAT {
            return Err(FormatError::Version(version));
        }
        if rest.len() % 4 != 0 || rest.len() < 4 * (SIGNATURE_LEN + 1) {
            return Err(FormatError::Length(bytes.len()));
        }
        let mut words = rest.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let mut signature = [0u32; SIGNATURE_LEN];
        for (slot, v) in signature.iter_mut().zip(&mut words) {
            *slot = v;
        }
        let shingles: Box<[u32]> = words.collect();
        if shingles.windows(2).any(|w| w[0] >= w[1]) {
            return Err(FormatError::Unsorted);
        }
        Ok(CopyDoc { shingles, signature: Signature(signature) })
    }
}

/// Why stored copy data cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// No bytes at all.
    #[error("empty copy signature")]
    Empty,
    /// Written by another version of the format.
    #[error("copy signature format {0}, expected {FORMAT}")]
    Version(u8),
    /// Not a whole signature followed by at least one shingle.
    #[error("copy signature of {0} bytes is truncated")]
    Length(usize),
    /// Shingles out of order or repeated.
    #[error("copy signature shingles are not sorted")]
    Unsorted,
}

/// The sorted distinct hashes of every run of [`SHINGLE`] syllables; a text shorter than
/// that is one shingle.
fn shingles(syllables: &[u64]) -> Vec<u32> {
    let mut out: Vec<u32> = if syllables.len() < SHINGLE {
        vec![shingle_hash(syllables)]
    } else {
        syllables.windows(SHINGLE).map(shingle_hash).collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

fn shingle_hash(window: &[u64]) -> u32 {
    let mut h = 0x6A09_E667_F3BC_C908u64;
    for (i, &s) in window.iter().enumerate() {
        h ^= s.rotate_left(13 * i as u32 + 1);
    }
    (mix64(h) >> 32) as u32
}

/// A verified near-copy: the earlier document and how much of the text they share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CopyMatch {
    /// The document copied.
    pub of: i64,
    /// |A∩B| / |A∪B| on shingles.
    pub jaccard: f32,
    /// |A∩B| / |A| with A the smaller shingle set.
    pub containment: f32,
}

struct Entry {
    id: i64,
    at: DateTime<Utc>,
    doc: CopyDoc,
    bands: [u64; BANDS],
}

/// The recent documents' shingles and signatures, with the LSH band tables that propose
/// candidates. In memory: about 1 KB plus 4 bytes a shingle per document.
#[derive(Default)]
pub struct CopyIndex {
    params: Params,
    entries: Vec<Option<Entry>>,
    free: Vec<u32>,
    by_id: IdMap<i64, u32>,
    by_time: BTreeMap<(DateTime<Utc>, u32), ()>,
    bands: IdMap<u64, Posting>,
}

impl std::fmt::Debug for CopyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyIndex").field("params", &self.params).field("len", &self.len()).finish()
    }
}

impl CopyIndex {
    /// An empty index with these thresholds.
    pub fn new(params: Params) -> CopyIndex {
        CopyIndex { params, ..CopyIndex::default() }
    }

    /// The thresholds.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Documents held.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Adds a document seen at `at` (its fetch or publication time: what eviction
    /// compares). A document already held is replaced.
    pub fn insert(&mut self, id: i64, at: DateTime<Utc>, doc: CopyDoc) {
        self.remove(id);
        let bands = doc.signature.bands();
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.entries.push(None);
                (self.entries.len() - 1) as u32
            }
        };
        for key in bands {
            post(&mut self.bands, key, slot);
        }
        self.entries[slot as usize] = Some(Entry { id, at, doc, bands });
        self.by_id.insert(id, slot);
        self.by_time.insert((at, slot), ());
    }

    /// Removes a document; whether it was there.
    pub fn remove(&mut self, id: i64) -> bool {
        let Some(slot) = self.by_id.remove(&id) else { return false };
        let Some(entry) = self.entries[slot as usize].take() else { return false };
        for key in entry.bands {
            unpost(&mut self.bands, key, slot);
        }
        self.by_time.remove(&(entry.at, slot));
        self.free.push(slot);
        true
    }

    /// Drops every document seen before `cutoff`; how many.
    pub fn evict_older_than(&mut self, cutoff: DateTime<Utc>) -> usize {
        let old: Vec<i64> = self
            .by_time
            .range(..(cutoff, 0))
            .filter_map(|(&(_, slot), ())| self.entries[slot as usize].as_ref().map(|e| e.id))
            .collect();
        for &id in &old {
            self.remove(id);
        }
        old.len()
    }

    /// The documents sharing at least one band with a signature, by id.
    pub fn candidates(&self, signature: &Signature) -> Vec<i64> {
        let mut ids: Vec<i64> =
            self.candidate_slots(signature).into_iter().filter_map(|s| self.id_of(s)).collect();
        ids.sort_unstable();
        ids
    }

    fn id_of(&self, slot: u32) -> Option<i64> {
        self.entries[slot as usize].as_ref().map(|e| e.id)
    }

    fn candidate_slots(&self, signature: &Signature) -> Vec<u32> {
        let mut slots = Vec::new();
        for key in signature.bands() {
            if let Some(posting) = self.bands.get(&key) {
                slots.extend_from_slice(posting.as_slice());
            }
        }
        slots.sort_unstable();
        slots.dedup();
        slots
    }

    /// The document this one copies: among the candidates that pass the exact check, the
    /// one with the highest Jaccard similarity (then containment, then the earliest, then
    /// the smallest id). Call it before inserting the document itself.
    pub fn find_copy(&self, doc: &CopyDoc) -> Option<CopyMatch> {
        // The likeliest best first, by the signatures' estimate: a text republished many
        // times brings hundreds of candidates that pass, and once the best is known the
        // others are given up as soon as they cannot reach its similarity.
        let mut candidates: Vec<(usize, u32, &Entry)> = self
            .candidate_slots(&doc.signature)
            .into_iter()
            .filter_map(|slot| {
                let entry = self.entries[slot as usize].as_ref()?;
                Some((doc.signature.agreeing(&entry.doc.signature), slot, entry))
            })
            .collect();
        candidates.sort_unstable_by_key(|&(agree, slot, _)| (std::cmp::Reverse(agree), slot));
        let mut best: Option<(CopyMatch, DateTime<Utc>)> = None;
        for (_, _, entry) in candidates {
            let floor = best.as_ref().map_or(0.0, |(b, _)| b.jaccard);
            let Some((jaccard, containment)) = doc.compare_passing(
                &entry.doc,
                self.params.min_jaccard,
                self.params.min_containment,
                floor,
            ) else {
                continue;
            };
            let found = CopyMatch { of: entry.id, jaccard, containment };
            let better = match &best {
                None => true,
                Some((b, at)) => {
                    (jaccard, containment)
                        .partial_cmp(&(b.jaccard, b.containment))
                        .is_some_and(|o| o.is_gt())
                        || ((jaccard, containment) == (b.jaccard, b.containment)
                            && (entry.at, entry.id) < (*at, b.of))
                }
            };
            if better {
                best = Some((found, entry.at));
            }
        }
        best.map(|(m, _)| m)
    }
}

#[cfg(test)]
mod tests;
