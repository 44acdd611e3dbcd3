//! Rule hits and alerts, with the spans that explain why they fired.

use std::sync::Arc;

use crate::{Timestamp, string_enum};

string_enum!(
    /// What a rule is for.
    RuleKind, "rule kind", {
        /// A health topic: counted and searchable, never an alert by itself.
        Topic => "topic",
        /// A rumour or misinformation pattern: raises an alert.
        Rumor => "rumor",
        /// A watch on the office's own names: raises an alert.
        Watch => "watch",
        /// A crisis or incident pattern: raises an alert.
        Crisis => "crisis",
        /// A volume spike on a topic, raised by the spike scan; no rule has this kind.
        Spike => "spike",
        /// A post scored as suspicious by the generic misinformation cues (calls to share,
        /// insider claims, miracle cures, forged documents, scam links …) that no rumour
        /// rule or claim carries: a low-severity alert for an officer to confirm. Raised by
        /// the pipeline's scorer; no rule has this kind.
        Suspicion => "suspicion",
    }
);

string_enum!(
    /// How urgent a rule's hits are.
    Severity, "severity", {
        /// Worth a look.
        Low => "low",
        /// Worth a look today.
        Medium => "medium",
        /// Needs handling today.
        High => "high",
        /// Needs handling now.
        Critical => "critical",
    }
);

string_enum!(
    /// Where an alert is in the 3C workflow (`alerts::triage` holds the transitions).
    AlertState, "alert state", {
        /// Raised, nobody has looked yet.
        New => "new" : "Mới",
        /// Somebody has seen it and set its priority.
        Acknowledged => "acknowledged" : "Đã tiếp nhận",
        /// Assigned to a person who checks it against the facts.
        Verifying => "verifying" : "Đang xác minh",
        /// Decided: no response now, watched for growth.
        Monitoring => "monitoring" : "Theo dõi thêm",
        /// Decided: the office answers publicly.
        ResponseNeeded => "response_needed" : "Cần phản hồi",
        /// The official response is recorded.
        Responded => "responded" : "Đã phản hồi",
        /// The outlets that carried the claim are watched for corrections.
        Tracking => "tracking" : "Theo dõi cải chính",
        /// Not worth handling, with a reason.
        Dismissed => "dismissed" : "Đã bỏ qua",
        /// Folded into another alert, which carries on as the incident.
        Merged => "merged" : "Đã gộp",
        /// Done.
        Closed => "closed" : "Đã đóng",
    }
);

impl AlertState {
    /// Whether handling has ended: nothing is due and only re-opening moves it on.
    pub fn is_terminal(self) -> bool {
        matches!(self, AlertState::Dismissed | AlertState::Merged | AlertState::Closed)
    }

    /// Whether the alert still waits for the office (every state but the terminal ones).
    pub fn is_open(self) -> bool {
        !self.is_terminal()
    }
}

/// One query term that matched, located in the document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatchedTerm {
    /// `title` or `body` ([`MatchedTerm::field_named`]).
    pub field: &'static str,
    /// Byte offset in the display form of that field.
    pub start: usize,
    /// Byte offset (exclusive) in the display form of that field.
    pub end: usize,
    /// The query term, as written in the rule; shared, since a document's hits repeat
    /// their terms many times.
    pub term: Arc<str>,
}

impl MatchedTerm {
    /// The field name for its text, `title` or `body`.
    pub fn field_named(name: &str) -> Option<&'static str> {
        ["title", "body"].into_iter().find(|f| *f == name)
    }
}

/// A rule that matched a document, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The rule's id (shared with the rule set, like the title: a busy document has
    /// hundreds of hits).
    pub rule_id: Arc<str>,
    /// The rule's title.
    pub rule_title: Arc<str>,
    /// The rule's kind.
    pub kind: RuleKind,
    /// The rule's severity.
    pub severity: Severity,
    /// The matched terms, in document order.
    pub terms: Vec<MatchedTerm>,
}

/// An alert: the open incident a rumour, watch or crisis rule raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Store identifier.
    pub id: i64,
    /// Kind of the rule that raised it.
    pub kind: RuleKind,
    /// Id of the rule that raised it.
    pub rule_id: String,
    /// What the incident is about beside its rule: `story:ID`, or `rule` for an alert that
    /// gathers every document of its rule.
    pub subject: String,
    /// Title of the rule that raised it.
    pub rule_title: String,
    /// Highest severity seen.
    pub severity: Severity,
    /// Workflow state.
    pub state: AlertState,
    /// When the first matching document arrived.
    pub first_seen: Timestamp,
    /// When the latest matching document arrived.
    pub last_seen: Timestamp,
    /// Number of documents attached.
    pub doc_count: i64,
    /// The latest matching document.
    pub last_document_id: i64,
    /// What explains the alert beyond its documents, as JSON: for a spike, the observed
    /// and expected counts, threshold, method, baseline and driving stories.
    pub detail: Option<String>,
    /// How it is being handled.
    pub handling: crate::Handling,
}
