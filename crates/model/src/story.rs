//! Stories: documents about the same event across outlets and days, with who carried them
//! first and when each outlet followed.

use crate::{Sighting, Timestamp};

/// A story as pages and alerts read it (the store keeps it; the clusterer derives it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Story {
    /// Store identifier (the clusterer's key).
    pub id: i64,
    /// A representative title: the title of its first publisher's document.
    pub title: String,
    /// The document its first publisher carried.
    pub origin_document: i64,
    /// The first publisher.
    pub origin_source: i64,
    /// The first publisher's name.
    pub origin_source_name: String,
    /// How the first publisher was chosen: `attribution` (others credit it), `earliest`
    /// (the earliest sighting not an aggregator's) or `uncertain` (only aggregators).
    pub origin_basis: String,
    /// The province most of its documents are about, if any.
    pub province: Option<String>,
    /// Its earliest sighting.
    pub first_seen: Timestamp,
    /// Its latest sighting.
    pub last_seen: Timestamp,
    /// Documents in it (near-copies count as documents; exact copies are sightings).
    pub documents: i64,
    /// Places its documents were seen.
    pub sightings: i64,
    /// Distinct outlets that carried it.
    pub outlets: i64,
}

/// One entry of a story's timeline: a sighting, and how it relates to the first publisher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// The sighting.
    pub sighting: Sighting,
    /// The title of the document seen.
    pub title: String,
    /// `origin`, `republication_attributed`, `republication_unattributed` or
    /// `aggregator_copy`; `None` until the story's provenance is computed.
    pub relation: Option<String>,
    /// Minutes after the first publisher's sighting (negative when earlier).
    pub lag_minutes: Option<i64>,
    /// Oddities of this sighting's times (`published_after_fetch`, `aggregator_too_early`,
    /// `before_origin`).
    pub anomalies: Vec<String>,
}
