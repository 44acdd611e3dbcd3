//! The words of alert handling: priorities, actions, reasons, escalation targets, response
//! channels, stances and correction outcomes, each with its Vietnamese label.

use crate::{AlertState, Timestamp, string_enum};

string_enum!(
    /// How fast an alert must be handled; each class has its own deadlines.
    Priority, "priority", {
        /// Critical: around the clock.
        P1 => "p1" : "P1 – Khẩn cấp",
        /// High: business hours.
        P2 => "p2" : "P2 – Cao",
        /// Normal: business hours.
        P3 => "p3" : "P3 – Bình thường",
    }
);

string_enum!(
    /// What happened to an alert: the action of one `alert_events` row.
    AlertAction, "alert action", {
        /// The alert was raised.
        Opened => "opened" : "Phát hiện",
        /// Somebody has seen it and set its priority.
        Acknowledge => "acknowledge" : "Tiếp nhận",
        /// Given to a person to verify (also a re-assignment).
        Assign => "assign" : "Phân công",
        /// Decided: watch for growth, no response now.
        Monitor => "monitor" : "Quyết định theo dõi",
        /// Decided: the office answers publicly.
        RequireResponse => "require_response" : "Quyết định phản hồi",
        /// Dismissed with a reason.
        Dismiss => "dismiss" : "Bỏ qua",
        /// The official response was recorded.
        Respond => "respond" : "Ghi nhận phản hồi",
        /// Correction tracking started.
        Track => "track" : "Bắt đầu theo dõi cải chính",
        /// Handling ended.
        Close => "close" : "Đóng",
        /// Opened again by a person.
        Reopen => "reopen" : "Mở lại",
        /// Came back by itself: it grew after it was dismissed or closed.
        Regrow => "regrow" : "Tự mở lại do lan rộng",
        /// Folded into another alert.
        Merge => "merge" : "Gộp vào sự vụ khác",
        /// Another alert was folded into this one.
        Absorb => "absorb" : "Nhận gộp",
        /// Reported to another body; the handling carries on.
        Escalate => "escalate" : "Báo cáo cấp trên",
        /// The priority changed.
        Prioritize => "prioritize" : "Đổi mức ưu tiên",
        /// A note.
        Note => "note" : "Ghi chú",
        /// A deadline reached 80, 100 or 150 per cent of its time.
        Deadline => "deadline" : "Cảnh báo thời hạn",
        /// An outlet that carried the claim corrected it, or a check found its state.
        Correction => "correction" : "Cải chính",
    }
);

string_enum!(
    /// Why an alert was dismissed; dismissal rates per rule and reason feed rule tuning.
    DismissReason, "dismissal reason", {
        /// The documents are not about what the rule is for.
        NotRelevant => "not_relevant" : "Không liên quan",
        /// Another alert already covers it.
        Duplicate => "duplicate" : "Trùng lặp",
        /// The rule matched words, not the claim: a false positive of the alert's rule.
        FalsePositive => "false_positive" : "Quy tắc nhận nhầm",
        /// True and harmless, or already handled elsewhere.
        NoAction => "no_action" : "Không cần xử lý",
    }
);

string_enum!(
    /// Who an alert is escalated to.
    EscalationTarget, "escalation target", {
        /// The Ministry of Health (Văn phòng Bộ, Phòng Truyền thông Y tế).
        Ministry => "ministry" : "Bộ Y tế",
        /// The province's Department of Health leadership.
        Department => "department" : "Lãnh đạo Sở Y tế",
        /// A hospital or health unit concerned.
        Hospital => "hospital" : "Bệnh viện, đơn vị y tế",
        /// The press authority (Sở/Bộ quản lý báo chí).
        PressAuthority => "press_authority" : "Cơ quan quản lý báo chí",
        /// The police.
        Police => "police" : "Công an",
    }
);

string_enum!(
    /// Where the office's response was published (the forms of Decree 09/2017, Art. 4).
    ResponseChannel, "response channel", {
        /// A press release or a written reply.
        PressRelease => "press_release" : "Thông cáo báo chí",
        /// A press conference.
        PressConference => "press_conference" : "Họp báo",
        /// The office's web portal.
        Website => "website" : "Cổng thông tin điện tử",
        /// The office's Facebook page.
        Facebook => "facebook" : "Trang Facebook",
        /// The office's Zalo Official Account.
        ZaloOa => "zalo_oa" : "Zalo OA",
        /// A statement or interview given to a newspaper.
        Interview => "interview" : "Trả lời phỏng vấn",
        /// A written request to an outlet to correct what it published.
        CorrectionRequest => "correction_request" : "Yêu cầu cải chính",
    }
);

string_enum!(
    /// How a document stands towards the claim a rumour rule or a claim matched.
    Stance, "stance", {
        /// It asserts or spreads the claim: only these open or grow an alert.
        Carries => "carries" : "Lan truyền",
        /// It denies or corrects the claim.
        Refutes => "refutes" : "Bác bỏ",
        /// It reports on the claim without taking a side.
        Reports => "reports" : "Đưa tin",
    }
);

string_enum!(
    /// What became of one outlet that carried an alert's claim, once the office responded.
    CorrectionOutcome, "correction outcome", {
        /// Still carries the claim, or not checked yet.
        Unchanged => "unchanged" : "Chưa cải chính",
        /// Published a refutation or a formal correction.
        Refuted => "refuted" : "Đã đăng cải chính",
        /// Carried the office's response.
        CarriedResponse => "carried_response" : "Đã đăng phản hồi chính thức",
        /// The item is gone (404/410, or redirected away).
        TakenDown => "taken_down" : "Đã gỡ bài",
        /// The item is still there without the claim.
        EditedOut => "edited_out" : "Đã sửa bỏ nội dung sai",
    }
);

impl CorrectionOutcome {
    /// Whether the outlet has remedied what it carried.
    pub fn is_remedied(self) -> bool {
        !matches!(self, CorrectionOutcome::Unchanged)
    }
}

/// The stance a document takes towards the claim of one of its rumour hits, with the cue
/// spans that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitStance {
    /// The rumour or claim rule.
    pub rule_id: std::sync::Arc<str>,
    /// Carries, refutes or reports.
    pub stance: Stance,
    /// The cues, in the display text of the title or body like hit terms.
    pub cues: Vec<crate::MatchedTerm>,
}

/// How closely a document repeats a known claim of the library, and where: the claim's
/// rule, the similarity of the best window (0 to 1, weighted shingles of normalised
/// syllables) and the passage that repeats it.
#[derive(Debug, Clone, PartialEq)]
pub struct HitClaim {
    /// The claim's rule.
    pub rule_id: std::sync::Arc<str>,
    /// 0 to 1.
    pub similarity: f32,
    /// The passage, in the display text of the title or body like hit terms; its `term` is
    /// the claim's phrasing it repeats most closely.
    pub passage: crate::MatchedTerm,
}

/// How an alert is being handled: who has it, how urgent it is, what is due when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handling {
    /// Its priority class.
    pub priority: Priority,
    /// The user verifying it, with their login name.
    pub assignee: Option<(i64, String)>,
    /// When it must be acknowledged by (while it is new).
    pub ack_due: Option<Timestamp>,
    /// When it must be decided by (while it is acknowledged or being verified).
    pub decide_due: Option<Timestamp>,
    /// When the office must have responded by (once a response is needed).
    pub respond_due: Option<Timestamp>,
    /// The alert it was merged into.
    pub merged_into: Option<i64>,
    /// Why it was dismissed.
    pub dismiss_reason: Option<DismissReason>,
    /// Whom it was escalated to, the latest first.
    pub escalated_to: Option<EscalationTarget>,
    /// Why it came back by itself, when it did.
    pub regrown: Option<String>,
    /// When its state last changed.
    pub state_changed_at: Option<Timestamp>,
}

impl Default for Handling {
    fn default() -> Self {
        Handling {
            priority: Priority::P3,
            assignee: None,
            ack_due: None,
            decide_due: None,
            respond_due: None,
            merged_into: None,
            dismiss_reason: None,
            escalated_to: None,
            regrown: None,
            state_changed_at: None,
        }
    }
}

impl Handling {
    /// The deadline that applies in `state`, if any.
    pub fn due_in(&self, state: AlertState) -> Option<Timestamp> {
        match state {
            AlertState::New => self.ack_due,
            AlertState::Acknowledged | AlertState::Verifying => self.decide_due,
            AlertState::ResponseNeeded => self.respond_due,
            _ => None,
        }
    }
}

/// One row of an alert's history: every change to an alert is one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEvent {
    /// Store identifier, increasing with time.
    pub id: i64,
    /// The alert.
    pub alert_id: i64,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it: a user id and name, or `None` for the system.
    pub actor: Option<(i64, String)>,
    /// What happened.
    pub action: AlertAction,
    /// The state before.
    pub from: AlertState,
    /// The state after (the same as `from` for notes and other non-moves).
    pub to: AlertState,
    /// The person's note, if any.
    pub note: Option<String>,
    /// What the action carried, as JSON (priority, assignee, reason, target, deadline…).
    pub data: Option<String>,
}
