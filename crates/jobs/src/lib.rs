//! Periodic jobs that run beside the pipeline in `langnghe serve`: each reads the store,
//! decides with the pure crates and writes what it decided back, on a timer, until
//! shutdown.
//!
//! * [`spikes`] scans topic story counts, daily and hourly, nationally and per province,
//!   for spikes and raises one explained alert per (topic, area, day), and one per
//!   (topic, area, day) for the day's spiking hours ([`scan_spikes`] once, [`run_spikes`]
//!   every interval).
#![warn(missing_docs)]

mod error;
pub mod spikes;

pub use error::{Error, Result};
pub use spikes::{HISTORY_DAYS, ScanReport, SpikeConfig, hourly_days, run_spikes, scan_spikes};
