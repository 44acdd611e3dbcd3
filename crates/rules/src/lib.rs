//! Rule packs and the standing-query matcher: does this article mention a health topic, a
//! rumour, a crisis or one of our own names?
//!
//! Rule packs are TOML files (format in `rules/README.md`); the shipped ones are built in
//! ([`builtin`]), and an office's directory adds to them or replaces them file by file
//! ([`RuleSources`]). Loading never fails wholesale: [`RuleSet::load`] returns the rules it
//! could read together with a [`Diagnostic`] for every problem, each naming the file
//! (`builtin:topics.toml` for a built-in one), line and column. [`RuleSet::check`] also runs
//! every rule's embedded examples. [`RuleSet::match_document`] returns explainable
//! [`model::Hit`]s whose spans point into the display form of the title and body.
//!
//! Packs may also declare the health-day calendar (`[[days]]`): [`RuleSet::days`] lists
//! the days and [`RuleSet::upcoming_days`] those under way or coming up near a date, each
//! with the rules whose coverage matters for it ([`RuleSet::related_rules`]).
#![warn(missing_docs)]

pub mod builtin;
pub mod calendar;
pub mod claims;
pub mod eval;
pub mod impersonation;
mod pack;
mod presearch;
mod set;
pub mod stance;
pub mod suspicion;

pub use builtin::RuleSources;
pub use calendar::{HealthDay, MonthDay, Occurrence, When};
pub use claims::{Claim, ClaimIndex, ClaimLibrary, ClaimMatch, SimilarityParams};
pub use eval::{CLAIM_HIT_SIMILARITY, Judged, hit_stances, judge, raises, verdict};
pub use impersonation::{Imitation, Impersonation, OfficialPage};
pub use pack::{Diagnostic, Rule};
pub use set::{Analyzed, MAX_ANALYZED_BYTES, RuleSet};
pub use stance::{CueScan, StanceCues, StanceDecision};
pub use suspicion::{Family, Suspicion, SuspicionScore};
