//! Daily digests: one day of the office's work written for one reader, in the 3C order
//! (*nắm bắt*, grasp; *xử lý*, handle; *cung cấp*, provide), as e-mail-safe HTML and plain
//! text with the same content, and as a MIME message with its charts attached inline.
//!
//! Three readers get three digests from the same day ([`Audience`]): leadership the
//! summary, an officer their queue, the spokesperson the coverage and what was said. This
//! crate takes plain values ([`DigestInput`], gathered from the store by
//! `jobs::digests`) and returns text and bytes; it does no IO and sends nothing.
#![warn(missing_docs)]

pub mod chart;
mod compose;
mod doc;
mod message;

use chrono::{Duration, NaiveDate};
use model::{AlertAction, AlertState, Priority, ResponseChannel, RuleKind, Timestamp};

pub use compose::compose;
pub use doc::Image;
pub use message::{Headers, to_message};

/// Who a digest is written for. Users have the roles viewer, officer and admin; the digest
/// has readers: an officer reads the officer's digest, anyone may read the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The office's leadership: the summary.
    Leadership,
    /// An officer: their queue, and what was handled.
    Officer,
    /// The spokesperson: the coverage, the responses and what to say next.
    Spokesperson,
}

impl Audience {
    /// Every audience, in the order pages offer them.
    pub const ALL: [Audience; 3] =
        [Audience::Leadership, Audience::Officer, Audience::Spokesperson];

    /// The name used in links, configuration and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Leadership => "leadership",
            Audience::Officer => "officer",
            Audience::Spokesperson => "spokesperson",
        }
    }

    /// Who it is for, in Vietnamese.
    pub fn label(self) -> &'static str {
        match self {
            Audience::Leadership => "Lãnh đạo",
            Audience::Officer => "Cán bộ xử lý",
            Audience::Spokesperson => "Người phát ngôn",
        }
    }
}

impl std::str::FromStr for Audience {
    type Err = UnknownAudience;

    fn from_str(s: &str) -> Result<Audience, UnknownAudience> {
        Audience::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| UnknownAudience(s.into()))
    }
}

/// A digest audience that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown digest role {0:?}: expected leadership, officer or spokesperson")]
pub struct UnknownAudience(pub String);

/// An alert opened on the digest's day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// The alert.
    pub id: i64,
    /// Its priority class.
    pub priority: Priority,
    /// Its rule's kind.
    pub kind: RuleKind,
    /// Its rule's title.
    pub rule_title: String,
    /// The title of its latest document.
    pub title: String,
    /// The outlet of that document.
    pub source: String,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// Documents attached to it.
    pub documents: i64,
    /// Its state now.
    pub state: AlertState,
}

/// A spike raised for the digest's day, with the daily counts of its topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spike {
    /// The spike alert.
    pub alert_id: i64,
    /// The topic's title.
    pub topic: String,
    /// Where: "Toàn quốc" or a province's name.
    pub area: String,
    /// Distinct stories of the topic in the area per day, oldest first, ending with the
    /// digest's day.
    pub series: Vec<(NaiveDate, i64)>,
}

/// A story of the day, with how widely it was carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopStory {
    /// The story.
    pub id: i64,
    /// Its title (its first publisher's).
    pub title: String,
    /// Its first publisher.
    pub origin: String,
    /// Distinct outlets that carried it.
    pub outlets: i64,
    /// Its documents.
    pub documents: i64,
    /// Titles of the rules its documents hit.
    pub topics: Vec<String>,
}

/// How many alerts were waiting for the office at the end of one day, as the alerts' events
/// tell it (not their states of today).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOnDay {
    /// The day (Asia/Ho_Chi_Minh).
    pub date: NaiveDate,
    /// Alerts open at its end.
    pub open: usize,
    /// Of those, alerts past the deadline of their state.
    pub overdue: usize,
    /// Of those, alerts nobody had acknowledged yet.
    pub waiting: usize,
}

/// An alert the office moved on during the day, with how long each step took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The alert.
    pub id: i64,
    /// Its priority class.
    pub priority: Priority,
    /// Its rule's title.
    pub rule_title: String,
    /// The last step taken that day.
    pub action: AlertAction,
    /// When.
    pub at: Timestamp,
    /// From opening to its first acknowledgement.
    pub to_acknowledge: Option<Duration>,
    /// From that acknowledgement to its first decision.
    pub to_decide: Option<Duration>,
    /// From opening to its first response.
    pub to_respond: Option<Duration>,
}

/// The medians of the day's handling times (over the alerts whose step completed that day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Medians {
    /// Time to acknowledge.
    pub acknowledge: Option<Duration>,
    /// Time to decide.
    pub decide: Option<Duration>,
    /// Time to respond.
    pub respond: Option<Duration>,
}

/// An alert of an officer's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    /// The alert.
    pub id: i64,
    /// Its priority class.
    pub priority: Priority,
    /// Its rule's title.
    pub rule_title: String,
    /// The title of its latest document.
    pub title: String,
    /// Its state.
    pub state: AlertState,
    /// When its current deadline falls due.
    pub due: Option<Timestamp>,
    /// Whether that deadline has passed.
    pub overdue: bool,
    /// Who it is assigned to.
    pub assignee: Option<String>,
}

/// One part of a queue: the first items and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueuePart {
    /// The first items, most urgent first.
    pub items: Vec<QueueItem>,
    /// How many in all.
    pub total: i64,
}

/// An officer's queue at the time of the digest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Queue {
    /// Assigned to the reader.
    pub mine: QueuePart,
    /// Assigned to nobody.
    pub unassigned: QueuePart,
    /// Past their deadline, whoever has them.
    pub overdue: QueuePart,
}

/// An official response published during the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedResponse {
    /// The alert it answers.
    pub alert_id: i64,
    /// The alert's rule title.
    pub rule_title: String,
    /// Where it was published.
    pub channel: ResponseChannel,
    /// When.
    pub published_at: Timestamp,
    /// Its text.
    pub text: String,
    /// Its address, when online.
    pub url: Option<String>,
}

/// Whether the outlets that carried an answered claim corrected it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// The alert.
    pub alert_id: i64,
    /// Its rule's title.
    pub rule_title: String,
    /// Outlets that carried the claim.
    pub outlets: usize,
    /// Of those, outlets that published a refutation, a correction or the response.
    pub corrected: usize,
    /// Of those, outlets that corrected it or took it down or edited it out.
    pub remedied: usize,
    /// The outlets that have done nothing yet, by name.
    pub outstanding: Vec<String>,
    /// Whether the tracking window has ended.
    pub finished: bool,
}

/// What has been published so far about a health day's subjects in its run-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// The first day counted (the start of the preparation lead).
    pub since: NaiveDate,
    /// Documents hit by the day's related rules.
    pub documents: i64,
    /// Distinct stories among them.
    pub stories: i64,
    /// Distinct outlets among them.
    pub outlets: i64,
}

/// A health day under way or coming up, for the office to prepare its communication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthDayItem {
    /// Its name, such as "Ngày Thế giới phòng, chống lao".
    pub title: String,
    /// First date.
    pub start: NaiveDate,
    /// Last date (the same as `start` for a single day).
    pub end: NaiveDate,
    /// Days from the digest's date to `start`; 0 when under way.
    pub days_until: i64,
    /// Titles of the rules whose coverage matters for it.
    pub related: Vec<String>,
    /// The coverage so far, when counted.
    pub coverage: Option<Coverage>,
    /// The message the office plans, as last noted on the calendar.
    pub planned: Option<String>,
}

/// What goes into one digest.
#[derive(Debug, Clone)]
pub struct DigestInput {
    /// The day (Asia/Ho_Chi_Minh).
    pub date: NaiveDate,
    /// Who reads it.
    pub audience: Audience,
    /// The reader's login name, when the digest is theirs.
    pub recipient: Option<String>,
    /// The dashboard's public address, such as `https://langnghe.soyte.example.vn`; every
    /// link is built from it.
    pub public_url: String,
    /// When the figures were taken.
    pub as_of: Timestamp,
    /// Alerts opened that day.
    pub new_alerts: Vec<NewAlert>,
    /// Spikes of that day.
    pub spikes: Vec<Spike>,
    /// The stories of the day carried by the most outlets, first the widest.
    pub stories: Vec<TopStory>,
    /// Open alerts at the end of each of the last days, oldest first, ending with the
    /// digest's day.
    pub backlog: Vec<OpenOnDay>,
    /// Alerts moved on that day.
    pub handled: Vec<Handled>,
    /// The day's median handling times.
    pub medians: Medians,
    /// The reader's queue (officers).
    pub queue: Option<Queue>,
    /// Responses published that day.
    pub responses: Vec<IssuedResponse>,
    /// Correction tracking under way or ended that day.
    pub corrections: Vec<Correction>,
    /// Health days under way or within their preparation lead, soonest first.
    pub health_days: Vec<HealthDayItem>,
}

impl DigestInput {
    /// An input with nothing in it, to be filled.
    pub fn empty(date: NaiveDate, audience: Audience, public_url: &str, as_of: Timestamp) -> Self {
        DigestInput {
            date,
            audience,
            recipient: None,
            public_url: public_url.to_owned(),
            as_of,
            new_alerts: Vec::new(),
            spikes: Vec::new(),
            stories: Vec::new(),
            backlog: Vec::new(),
            handled: Vec::new(),
            medians: Medians::default(),
            queue: None,
            responses: Vec::new(),
            corrections: Vec::new(),
            health_days: Vec::new(),
        }
    }
}

/// A composed digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// The whole HTML document.
    pub html: String,
    /// The HTML of the digest alone (one table), to show inside a page.
    pub body: String,
    /// The charts the HTML shows by Content-ID.
    pub images: Vec<Image>,
}

impl Composed {
    /// `html` (or `body` when `fragment`) with each `cid:` image replaced by a `data:` URI,
    /// for a browser, which cannot resolve Content-IDs.
    pub fn with_data_images(&self, fragment: bool) -> String {
        use base64::Engine;
        let mut out = if fragment { self.body.clone() } else { self.html.clone() };
        for image in &self.images {
            let data = base64::engine::general_purpose::STANDARD.encode(&image.png);
            out = out.replace(
                &format!("src=\"cid:{}\"", image.cid),
                &format!("src=\"data:image/png;base64,{data}\""),
            );
        }
        out
    }
}

/// Errors while building the message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An address does not parse.
    #[error("invalid e-mail address {address:?}: {message}")]
    Address {
        /// The address.
        address: String,
        /// Why.
        message: String,
    },
    /// The message could not be built.
    #[error("cannot build the message: {0}")]
    Build(String),
}
