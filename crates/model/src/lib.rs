//! The shared vocabulary of Lắng Nghe: identifiers, sources, documents, rule hits, places,
//! alerts, users and pipeline metrics.
//!
//! This crate is pure data. It does no IO, reads no environment and knows nothing of SQL,
//! HTTP or the index; every other crate speaks in these types.
#![warn(missing_docs)]

mod alert;
mod dates;
pub mod delivery;
mod document;
mod metrics;
mod place;
pub mod report;
mod sighting;
mod source;
mod story;
mod time;
mod user;
mod workflow;

pub use alert::{Alert, AlertState, Hit, MatchedTerm, RuleKind, Severity};
pub use dates::{parse_datetime, parse_datetime_relative};
pub use delivery::{
    Channel, OutboxState, QuietHours, Subscriber, Subscription, SubscriptionSettings,
};
pub use document::{Document, NewDocument, Post};
pub use metrics::{Metrics, MetricsSnapshot, Stage};
pub use place::{DocumentPlace, DocumentPlaces, PlaceKind};
pub use sighting::Sighting;
pub use source::{ArticleFetch, FetchState, Source, SourceKind, SourceOrigin, SourceTier};
pub use story::{Story, TimelineEntry};
pub use time::{Timestamp, VN_OFFSET, to_vn_time};
pub use user::{Role, User};
pub use workflow::{
    AlertAction, AlertEvent, CorrectionOutcome, DismissReason, EscalationTarget, Handling,
    HitClaim, HitStance, Priority, ResponseChannel, Stance,
};

/// Error returned when a textual enum value (a kind, a role, a state…) is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// What was being parsed, such as `"severity"`.
    pub what: &'static str,
    /// The text that did not parse.
    pub value: String,
    /// The values that would have been accepted.
    pub expected: &'static [&'static str],
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown {} {:?}, expected one of: {}",
            self.what,
            self.value,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownValue {}

/// Declares a closed string-valued enum with `as_str`, `FromStr`, `Display` and `ALL`; the
/// second form also gives each value its Vietnamese `label`, as pages and reports show it.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal : $label:literal),+ $(,)? }) => {
        $crate::string_enum!($(#[$meta])* $name, $what, { $($(#[$vmeta])* $variant => $text),+ });

        impl $name {
            /// The Vietnamese name of the value, as pages and reports show it.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }
        }
    };
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable lowercase name used in files, the database and the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::UnknownValue {
                        what: $what,
                        value: s.to_owned(),
                        expected: &[$($text),+],
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;
