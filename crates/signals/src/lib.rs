//! Signals derived from documents: copies, stories and spikes. Spikes are when a topic's
//! count of stories, nationally or in a province, rises above what its recent baseline
//! predicts, by a named statistical method, and why. Pure: no IO, no clock (`now` is an
//! argument), no randomness.
//!
//! * [`copies`] finds near-copies (edited republications) by MinHash over 5-syllable
//!   shingles, verified exactly; exact copies are the content hash's job.
//! * [`stories`] groups documents into stories online (TF-IDF centroids over a 72-hour
//!   active window, a periodic merge pass) and picks a group's first publisher.
//! * [`method`] holds the methods, each a function of a count series and an index with
//!   its formula in the docs: `ears-c1` and `ears-c2` exactly as R
//!   `surveillance::earsC`, `ears-c3` as the documented statistic, epitweetr's
//!   `ears-t-reweighted`, and the MedISys ratio rule. A [`Detector`] is one of them with
//!   its parameters validated and its quantiles computed once.
//! * [`series`] builds count series (distinct stories, not copies, per Vietnam day, hour
//!   or sliding 24 hours; per topic, nationally and per province) from sightings.
//! * [`spike`] decides whether the latest complete bucket of a series is a spike
//!   ([`scan`], [`assess`]), with the guards against alerts on tiny numbers, and returns
//!   a [`Spike`] that carries everything an officer needs to see why.
//! * [`spikes_csv`] is the `langnghe spikes` command without its file reading.
//! * [`qnorm`] and [`qt`] are the normal and Student-t quantiles the methods need,
//!   accurate to about 1e-13.
#![warn(missing_docs)]

mod cli;
pub mod copies;
mod error;
pub mod method;
mod quantile;
pub mod series;
pub mod spike;
pub mod stories;

pub use cli::{DailyCount, read_counts_csv, spikes_csv};
pub use copies::{CopyDoc, CopyIndex, CopyMatch, Signature, Syllables};
pub use error::Error;
pub use method::{Detector, Explanation, Lags, Method, MethodConfig, Row, WeekdayBaseline};
pub use quantile::{qnorm, qt};
pub use series::{Area, Bucket, Member, Record, Series, SeriesKey, build_series};
pub use spike::{Params, Spike, VolumeGuard, assess, scan};
pub use stories::{Assignment, Clusterer, StoryInput, StoryKey, first_publisher};
