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
#![warn(missing_docs)]

pub mod corrections;
pub mod deadlines;
mod error;
pub mod spikes;

pub use corrections::{
    CorrectionConfig, CorrectionScan, MAX_FETCHES_PER_SCAN, Refetcher, run_corrections,
    scan_corrections,
};
pub use deadlines::{DEADLINE_INTERVAL, check_deadlines, run_deadlines};
pub use error::{Error, Result};
pub use spikes::{HISTORY_DAYS, ScanReport, SpikeConfig, hourly_days, run_spikes, scan_spikes};
