//! Periodic jobs that run beside the pipeline in `langnghe serve`: each reads the store,
//! decides with the pure crates and writes what it decided back, on a timer, until
//! shutdown.
//!
//! * [`spikes`] scans topic story counts, daily and hourly, nationally and per province,
//!   for spikes and raises one explained alert per (topic, area, day), and one per
//!   (topic, area, day) for the day's spiking hours ([`scan_spikes`] once, [`run_spikes`]
//!   every interval).
//! * [`corrections`] follows every alert the office responded to for 14 days: whether the
//!   outlets that carried its claim corrected it, took it down or edited it out, re-fetching
//!   their pages politely ([`scan_corrections`] once, [`run_corrections`] every interval).
//! * [`deadlines`] records the escalation marks (80, 100, 150 per cent) each open alert's
//!   deadline reaches ([`check_deadlines`] once, [`run_deadlines`] every minute).
//! * [`notifications`] tells subscribers of alert events: it follows the events after a
//!   cursor and writes their messages to the outbox with the cursor's advance, in one
//!   transaction ([`run_notifications`]).
//! * [`digests`] gathers one day's digest from the store for one reader (leadership,
//!   an officer, the spokesperson) and composes it ([`digests::compose_digest`]).
//! * [`digests_schedule`] writes each day's digest to the outbox at `[digest] send_at`
//!   ([`run_digests`]).
//! * [`outbox`] delivers what is due in the outbox through `notify`, with retries and
//!   back-off ([`run_delivery`]).
//! * [`saved_searches`] announces the new matches of saved searches to their owners
//!   ([`scan_saved_searches`] once, [`run_saved_searches`] every interval).
//!
//! In `serve` each job runs only while its process holds the job's lease in the store
//! ([`run_leased`]), so several processes on one database never run one job twice.
#![warn(missing_docs)]

pub mod corrections;
pub mod deadlines;
pub mod digests;
pub mod digests_schedule;
mod error;
pub mod leased;
pub mod notifications;
pub mod outbox;
pub mod saved_searches;
pub mod spikes;

pub use corrections::{
    CorrectionConfig, CorrectionScan, MAX_FETCHES_PER_SCAN, Refetcher, run_corrections,
    scan_corrections,
};
pub use deadlines::{DEADLINE_INTERVAL, check_deadlines, run_deadlines};
pub use digests_schedule::{DigestPlan, run_digests};
pub use error::{Error, Result};
pub use leased::{Holder, LEASE_TTL, Stop, run_leased};
pub use notifications::{Letterhead, run_notifications};
pub use outbox::{Delivered, deliver_keys, run_delivery};
pub use saved_searches::{
    SAVED_SEARCH_INTERVAL, SavedSearchScan, run_saved_searches, scan_saved_searches,
};
pub use spikes::{HISTORY_DAYS, ScanReport, SpikeConfig, hourly_days, run_spikes, scan_spikes};
