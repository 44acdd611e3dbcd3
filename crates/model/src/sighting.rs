//! Sightings: the places a document was seen, its own URL and every copy's.

use crate::{SourceTier, Timestamp};

/// One place a document was seen: an outlet, a URL and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The document seen.
    pub document_id: i64,
    /// Where it was seen.
    pub source_id: i64,
    /// The source's name.
    pub source_name: String,
    /// The source's tier (an aggregator's copy is not an outlet's own).
    pub tier: SourceTier,
    /// The URL it was seen at.
    pub url: String,
    /// When the outlet published it there, when known.
    pub published_at: Option<Timestamp>,
    /// When Lắng Nghe fetched it there.
    pub fetched_at: Timestamp,
}

impl Sighting {
    /// The time it appeared there: publication time, else fetch time.
    pub fn time(&self) -> Timestamp {
        self.published_at.unwrap_or(self.fetched_at)
    }
}
