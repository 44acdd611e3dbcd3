//! Correction tracking, the pure part: when each outlet item that carried an alert's claim is
//! checked after the office's response, what a check or a later document says about it, and
//! the coverage figures of an alert computed from its items.
//!
//! Tracking starts at t0, the publication of the official response tracked (the alert's
//! first; its latest when it is answered again after a tracking ended), and lasts
//! [`WINDOW_DAYS`]. Each item that carried the claim (one per outlet and URL) ends in one of
//! the [`CorrectionOutcome`]s, from three kinds of evidence:
//!
//! * **publication** by the same outlet: a later document whose hit on the alert's rule
//!   refutes the claim, or whose title is a formal correction (Luật Báo chí 2016, Art. 42:
//!   "Thông tin cải chính, xin lỗi") in the same story, is [`CorrectionOutcome::Refuted`];
//!   one that carries the office's response (most of its key sentences, or a link to it)
//!   is [`CorrectionOutcome::CarriedResponse`]. These concern the outlet and are kept once
//!   seen: a correction published stays published.
//! * **re-fetching** the item at t0 + [`CHECK_HOURS`]: gone (404, 410, 451, an empty page,
//!   or a redirect to another page such as the home or a section page) is
//!   [`CorrectionOutcome::TakenDown`]; still there without the matched sentences (less
//!   than [`EDITED_OUT_BELOW`] of their shingles left) is [`CorrectionOutcome::EditedOut`];
//!   otherwise [`CorrectionOutcome::Unchanged`]. The latest check wins, so a page that
//!   comes back counts as unchanged again.
//! * **a stored revision** of the item's document that no longer hits the alert's rule is
//!   [`CorrectionOutcome::EditedOut`].
//!
//! An outlet is remedied when it refuted or carried the response, or when every item of it
//! was taken down or edited (wave2-anchors §5.2). Nothing here reads a clock: every function
//! takes the times it compares.

use std::collections::{BTreeMap, BTreeSet};

use chrono::TimeDelta;
use model::{AlertAction, CorrectionOutcome, MatchedTerm, Post, SourceTier, Stance, Timestamp};
use serde_json::{Value, json};

use crate::triage::{Actor, Change, Current, next_state, permitted};

/// When an item is re-fetched, in hours after t0: +1 h, 6 h, 24 h, 72 h and 7 days.
pub const CHECK_HOURS: [i64; 5] = [1, 6, 24, 72, 168];

/// How long tracking lasts after t0.
pub const WINDOW_DAYS: i64 = 14;

/// Items of the alert that appear later than this many hours after t0 are residual spread,
/// not carriers the outlets are expected to correct.
pub const RESIDUAL_AFTER_HOURS: i64 = 24;

/// A re-fetched page keeping less than this share of the matched sentences' shingles has
/// had the claim edited out.
pub const EDITED_OUT_BELOW: f32 = 0.3;

/// A document containing at least this share of the response's key shingles carried it.
pub const CARRIED_RESPONSE_AT: f32 = 0.5;

/// Sentences of the response compared with later documents: the key claims an outlet would
/// quote (wave2-anchors §5.2 defaults to the title and the first two sentences).
pub const KEY_SENTENCES: usize = 3;

/// Titles of a formal correction, lowercase.
const CORRECTION_TITLES: &[&str] =
    &["thông tin cải chính", "cải chính", "đính chính", "xin lỗi bạn đọc"];

/// When tracking that started at `t0` ends.
pub fn window_end(t0: Timestamp) -> Timestamp {
    t0 + TimeDelta::days(WINDOW_DAYS)
}

/// From when on a new item of the alert is residual spread.
pub fn residual_from(t0: Timestamp) -> Timestamp {
    t0 + TimeDelta::hours(RESIDUAL_AFTER_HOURS)
}

/// The time of check `slot` (0-based), `None` past the last.
pub fn check_at(t0: Timestamp, slot: usize) -> Option<Timestamp> {
    CHECK_HOURS.get(slot).map(|&h| t0 + TimeDelta::hours(h))
}

/// The next check of an item that has had `checks_done` checks, `None` when all are done.
pub fn next_check(t0: Timestamp, checks_done: usize) -> Option<Timestamp> {
    check_at(t0, checks_done)
}

/// How many check times have come by `now`. An item with fewer checks done is due: one
/// fetch then covers every slot passed (at most one fetch per item per slot, and none to
/// catch up slots missed while the system was down).
pub fn checks_reached(t0: Timestamp, now: Timestamp) -> usize {
    CHECK_HOURS.iter().take_while(|&&h| t0 + TimeDelta::hours(h) <= now).count()
}

/// Whether a title announces a formal correction or an apology to readers.
pub fn is_formal_correction(title: &str) -> bool {
    let title = title.to_lowercase();
    CORRECTION_TITLES.iter().any(|t| title.contains(t))
}

/// Byte ranges of the sentences of `text`, in order, trimmed, empty ones left out. A
/// sentence ends at a line break, or at `.`, `!`, `?` or `…` followed by white space or
/// the end (so `1.000` and `TP.HCM` do not end one).
fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = match c {
            '\n' => Some(i),
            '.' | '!' | '?' | '…' => match chars.peek() {
                None => Some(i + c.len_utf8()),
                Some(&(_, next)) if next.is_whitespace() => Some(i + c.len_utf8()),
                _ => None,
            },
            _ => None,
        };
        if let Some(end) = end {
            push_trimmed(text, start, end, &mut out);
            start = if c == '\n' { i + 1 } else { end };
        }
    }
    push_trimmed(text, start, text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead + trail < piece.len() {
        out.push((start + lead, end - trail));
    }
}

/// The first `n` sentences of `text`, one a line: the key claims of a response.
pub fn key_sentences(text: &str, n: usize) -> String {
    sentences(text).into_iter().take(n).map(|(s, e)| &text[s..e]).collect::<Vec<_>>().join("\n")
}

/// The passage of a document that carried the claim: its title when a term matched there,
/// and every sentence of `body` holding a matched term, in order, one a line. `title` and
/// `body` are the display forms the rule read (the body is the summary and the body, as
/// `NewDocument::full_text` joins them); terms whose span no longer fits the text are left
/// out. Empty when nothing matched.
pub fn passage(title: &str, body: &str, terms: &[MatchedTerm]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if terms.iter().any(|t| t.field == "title") && !title.trim().is_empty() {
        parts.push(title.trim());
    }
    let spans: Vec<(usize, usize)> = terms
        .iter()
        .filter(|t| t.field == "body" && t.start < t.end && t.end <= body.len())
        .filter(|t| body.is_char_boundary(t.start) && body.is_char_boundary(t.end))
        .map(|t| (t.start, t.end))
        .collect();
    if !spans.is_empty() {
        let chosen: BTreeSet<(usize, usize)> = sentences(body)
            .into_iter()
            .filter(|&(s, e)| spans.iter().any(|&(a, b)| a < e && b > s))
            .collect();
        parts.extend(chosen.into_iter().map(|(s, e)| &body[s..e]));
    }
    parts.join("\n")
}

/// The share of `part`'s shingles found in `whole` (both sorted, distinct): |P ∩ W| / |P|,
/// 0 for an empty `part`.
pub fn containment(part: &[u32], whole: &[u32]) -> f32 {
    if part.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < part.len() && j < whole.len() {
        match part[i].cmp(&whole[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f32 / part.len() as f32
}

/// What a re-fetch of an item returned, as the classification needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetch {
    /// An error status, without a page.
    Status(u16),
    /// 304: unchanged since the previous check.
    NotModified,
    /// A page.
    Page {
        /// Where the request ended after redirects.
        final_url: String,
        /// Whether no text could be read from it.
        empty: bool,
        /// The share of the matched sentences' shingles still in its text; `None` when the
        /// item's passage is unknown.
        containment: Option<f32>,
    },
    /// No answer worth judging: a network failure, robots.txt, a refused address.
    Failed,
}

/// Why an item's outcome is what it is: the evidence, for the event and the alert page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// A later document of the outlet whose hit on the alert's rule refutes the claim.
    Refutation,
    /// A later document of the outlet in the story, titled as a formal correction.
    FormalTitle,
    /// A later document of the outlet with most of the response's key sentences.
    ResponseText,
    /// A later document of the outlet linking the response.
    ResponseLink,
    /// The page answered this status.
    Gone(u16),
    /// The page redirects to another page (the home or a section page).
    Redirected,
    /// The page has no text left.
    EmptyPage,
    /// The page no longer holds the matched sentences.
    PassageRemoved,
    /// The page still holds them.
    PassagePresent,
    /// A stored revision of the document no longer matches the alert's rule.
    Revision,
}

impl Basis {
    /// The basis as events record it.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Refutation => "refutation",
            Basis::FormalTitle => "formal_title",
            Basis::ResponseText => "response_text",
            Basis::ResponseLink => "response_link",
            Basis::Gone(_) => "gone",
            Basis::Redirected => "redirected",
            Basis::EmptyPage => "empty_page",
            Basis::PassageRemoved => "passage_removed",
            Basis::PassagePresent => "passage_present",
            Basis::Revision => "revision",
        }
    }

    /// Reads [`Basis::as_str`] (a status goes with `gone`).
    pub fn parse(s: &str, status: Option<u16>) -> Option<Basis> {
        Some(match s {
            "refutation" => Basis::Refutation,
            "formal_title" => Basis::FormalTitle,
            "response_text" => Basis::ResponseText,
            "response_link" => Basis::ResponseLink,
            "gone" => Basis::Gone(status.unwrap_or(404)),
            "redirected" => Basis::Redirected,
            "empty_page" => Basis::EmptyPage,
            "passage_removed" => Basis::PassageRemoved,
            "passage_present" => Basis::PassagePresent,
            "revision" => Basis::Revision,
            _ => return None,
        })
    }

    /// In Vietnamese, for the alert page.
    pub fn label(self) -> String {
        match self {
            Basis::Refutation => "Bài sau của cùng nguồn bác bỏ thông tin".to_owned(),
            Basis::FormalTitle => "Bài cải chính chính thức của cùng nguồn".to_owned(),
            Basis::ResponseText => "Bài sau đăng lại nội dung phản hồi chính thức".to_owned(),
            Basis::ResponseLink => "Bài sau dẫn liên kết phản hồi chính thức".to_owned(),
            Basis::Gone(status) => format!("Trang trả về mã {status}"),
            Basis::Redirected => "Trang chuyển hướng sang trang khác".to_owned(),
            Basis::EmptyPage => "Trang không còn nội dung".to_owned(),
            Basis::PassageRemoved => "Trang không còn đoạn chứa thông tin sai".to_owned(),
            Basis::PassagePresent => "Trang vẫn còn đoạn chứa thông tin sai".to_owned(),
            Basis::Revision => "Bản sửa của bài không còn khớp quy tắc".to_owned(),
        }
    }
}

/// The path of a URL, without its query, fragment or trailing slash.
fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['#', '?']).next().unwrap_or_default();
    rest.find('/').map_or("", |i| &rest[i..]).trim_end_matches('/')
}

/// Whether a request for `requested` that ended at `final_url` was sent away from the item:
/// to the site's home, or to a page whose last path segment is not the item's (a section
/// page, another site's page). The same path on another scheme or host (`www.`, a mobile
/// host) and the same article moved under another section (its slug kept) are not.
pub fn moved_away(requested: &str, final_url: &str) -> bool {
    let (a, b) = (url_path(requested), url_path(final_url));
    if a == b {
        return false;
    }
    let last = |p: &str| p.rsplit('/').next().unwrap_or_default().to_owned();
    b.is_empty() || last(a) != last(b)
}

/// What a re-fetch says of an item: the outcome it shows and why, `None` when it shows
/// nothing (304, a failure, another error status): the item keeps its outcome. A page
/// still holding the matched sentences is unchanged even when no article text was read
/// from it (the claim may be in its title); an empty page without them is taken down.
pub fn classify(requested: &str, fetch: &Fetch) -> Option<(CorrectionOutcome, Basis)> {
    match fetch {
        Fetch::Status(status @ (404 | 410 | 451)) => {
            Some((CorrectionOutcome::TakenDown, Basis::Gone(*status)))
        }
        Fetch::Status(_) | Fetch::NotModified | Fetch::Failed => None,
        Fetch::Page { final_url, empty, containment } => {
            if moved_away(requested, final_url) {
                return Some((CorrectionOutcome::TakenDown, Basis::Redirected));
            }
            match containment {
                Some(c) if *c >= EDITED_OUT_BELOW => {
                    Some((CorrectionOutcome::Unchanged, Basis::PassagePresent))
                }
                _ if *empty => Some((CorrectionOutcome::TakenDown, Basis::EmptyPage)),
                Some(_) => Some((CorrectionOutcome::EditedOut, Basis::PassageRemoved)),
                None => None,
            }
        }
    }
}

/// A later document of an outlet that carried the claim, as the evidence rules read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence<'a> {
    /// Its title.
    pub title: &'a str,
    /// The stance of its hit on the alert's rule, when it has one and it is known.
    pub stance: Option<Stance>,
    /// Whether it is in the alert's story (one of the stories of the alert's documents).
    pub same_story: bool,
    /// The share of the response's key shingles in its text.
    pub response_containment: f32,
    /// Whether its text links the response's URL.
    pub links_response: bool,
}

/// What a later document of an outlet says of the outlet's items: refuted, carried the
/// response, or nothing.
pub fn evidence_outcome(e: &Evidence<'_>) -> Option<(CorrectionOutcome, Basis)> {
    if e.stance == Some(Stance::Refutes) {
        Some((CorrectionOutcome::Refuted, Basis::Refutation))
    } else if e.same_story && is_formal_correction(e.title) {
        Some((CorrectionOutcome::Refuted, Basis::FormalTitle))
    } else if e.links_response {
        Some((CorrectionOutcome::CarriedResponse, Basis::ResponseLink))
    } else if e.response_containment >= CARRIED_RESPONSE_AT {
        Some((CorrectionOutcome::CarriedResponse, Basis::ResponseText))
    } else {
        None
    }
}

/// Whether an item of the alert is not a carrier of the claim but evidence against it (a
/// refutation, a formal correction, the response republished): it is neither tracked nor
/// counted as spread.
pub fn is_counter_item(e: &Evidence<'_>) -> bool {
    e.stance == Some(Stance::Refutes)
        || is_formal_correction(e.title)
        || e.links_response
        || e.response_containment >= CARRIED_RESPONSE_AT
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemState {
    /// Its outcome.
    pub outcome: CorrectionOutcome,
    /// When the outcome was observed: the evidence's publication, or the check.
    pub outcome_at: Option<Timestamp>,
    /// Since when it has been remedied without a break, `None` while it is not.
    pub remedied_at: Option<Timestamp>,
}

impl Default for ItemState {
    fn default() -> Self {
        ItemState { outcome: CorrectionOutcome::Unchanged, outcome_at: None, remedied_at: None }
    }
}

fn is_publication(o: CorrectionOutcome) -> bool {
    matches!(o, CorrectionOutcome::Refuted | CorrectionOutcome::CarriedResponse)
}

/// The item's new state once `observed` is seen at `at`, `None` when it does not change.
/// A publication outcome is kept whatever a later check finds (only a formal correction
/// replaces a carried response); between the others the latest observation wins.
pub fn observe(state: &ItemState, observed: CorrectionOutcome, at: Timestamp) -> Option<ItemState> {
    if observed == state.outcome {
        return None;
    }
    if is_publication(state.outcome)
        && !(state.outcome == CorrectionOutcome::CarriedResponse
            && observed == CorrectionOutcome::Refuted)
    {
        return None;
    }
    let remedied_at = if observed.is_remedied() {
        Some(state.remedied_at.map_or(at, |since| since.min(at)))
    } else {
        None
    };
    Some(ItemState { outcome: observed, outcome_at: Some(at), remedied_at })
}

/// How much an item reached, and on what basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReachBasis {
    /// Reactions, shares and comments of a social post.
    Engagement,
    /// The source tier's weight, when nothing better is known.
    Tier,
}

impl ReachBasis {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ReachBasis::Engagement => "engagement",
            ReachBasis::Tier => "tier",
        }
    }

    /// Reads [`ReachBasis::as_str`].
    pub fn parse(s: &str) -> Option<ReachBasis> {
        match s {
            "engagement" => Some(ReachBasis::Engagement),
            "tier" => Some(ReachBasis::Tier),
            _ => None,
        }
    }
}

/// The reach of an item with nothing better known, by its source's tier, in the unit of
/// engagement counts: an article of the press or an official portal weighs as a post with a
/// thousand interactions, an aggregator's copy two hundred, a social page's post without
/// counts fifty. These are proxies chosen to rank outlets, not audience measurements.
pub fn tier_reach(tier: SourceTier) -> i64 {
    match tier {
        SourceTier::Official | SourceTier::Press => 1000,
        SourceTier::Aggregator => 200,
        SourceTier::Social => 50,
    }
}

/// An item's reach: the engagement counts of its post when it has any, else its tier's
/// weight. `post` is the document's own post: a copy of it under another outlet did not
/// earn its counts.
pub fn reach(tier: SourceTier, post: Option<&Post>) -> (i64, ReachBasis) {
    if let Some(p) = post
        && (p.reactions.is_some() || p.shares.is_some() || p.comments.is_some())
    {
        let n = [p.reactions, p.shares, p.comments].iter().flatten().map(|n| (*n).max(0)).sum();
        return (n, ReachBasis::Engagement);
    }
    (tier_reach(tier), ReachBasis::Tier)
}

/// An item's outcome changed: what its event records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeChange<'a> {
    /// The outlet.
    pub source_id: i64,
    /// Its name.
    pub outlet: &'a str,
    /// The item's URL.
    pub url: &'a str,
    /// The outcome before.
    pub from: CorrectionOutcome,
    /// The outcome after.
    pub to: CorrectionOutcome,
    /// Why.
    pub basis: Basis,
    /// The document that shows it (the refutation, the republished response, the revised
    /// item), if any.
    pub evidence_document: Option<i64>,
    /// When it was observed.
    pub observed_at: Timestamp,
}

fn system_change(current: &Current, action: AlertAction, at: Timestamp, data: Value) -> Change {
    Change {
        alert_id: current.id,
        action,
        from: current.state,
        to: next_state(current.state, action).unwrap_or(current.state),
        priority: current.priority,
        assignee: current.assignee,
        ack: current.ack,
        decide: current.decide,
        respond: current.respond,
        merged_into: current.merged_into,
        dismiss_reason: current.dismiss_reason,
        escalated_to: current.escalated_to,
        regrown: current.regrown.clone(),
        actor: Actor::System,
        at,
        note: None,
        data,
    }
}

/// The `correction` event of an outcome change, recorded at `at` by the system. The action
/// keeps the alert's state in every state ([`crate::triage::STAYING`]).
pub fn correction_change(current: &Current, c: &OutcomeChange<'_>, at: Timestamp) -> Change {
    debug_assert!(permitted(Actor::System, AlertAction::Correction));
    let status = match c.basis {
        Basis::Gone(status) => Some(status),
        _ => None,
    };
    system_change(
        current,
        AlertAction::Correction,
        at,
        json!({
            "source": c.outlet,
            "source_id": c.source_id,
            "url": c.url,
            "outcome": c.to.as_str(),
            "previous": c.from.as_str(),
            "basis": c.basis.as_str(),
            "status": status,
            "evidence_document": c.evidence_document,
            "observed_at": c.observed_at.timestamp_millis(),
        }),
    )
}

/// One item of an outlet that carried the claim, with what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Carrier {
    /// The item's row.
    pub id: i64,
    /// The outlet.
    pub source_id: i64,
    /// The outlet's name.
    pub outlet: String,
    /// The item's URL.
    pub url: String,
    /// The document it is (or is a copy of).
    pub document_id: i64,
    /// When it carried the claim (publication, else first seen).
    pub carried_at: Timestamp,
    /// Its reach (see [`reach`]).
    pub reach: i64,
    /// What the reach is based on.
    pub reach_basis: ReachBasis,
    /// Where it stands.
    pub state: ItemState,
    /// Why, once something was observed.
    pub basis: Option<Basis>,
    /// The document showing it, if any.
    pub evidence_document: Option<i64>,
    /// Re-fetch slots done (of [`CHECK_HOURS`]).
    pub checks: usize,
    /// The next re-fetch; `None` when all are done or the item is not fetched (a social
    /// post, an imported file).
    pub next_check: Option<Timestamp>,
    /// The latest re-fetch.
    pub last_checked_at: Option<Timestamp>,
    /// The HTTP status of the latest re-fetch (0 when it failed without one).
    pub last_status: Option<u16>,
}

/// An item of the alert first seen after the first day of tracking: residual spread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateItem {
    /// The document.
    pub document_id: i64,
    /// The outlet.
    pub source_id: i64,
    /// The outlet's name.
    pub outlet: String,
    /// The item's URL.
    pub url: String,
    /// When it carried the claim.
    pub at: Timestamp,
}

/// A part of a whole, exact: `2/6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Share {
    /// The part.
    pub part: usize,
    /// The whole.
    pub whole: usize,
}

impl Share {
    /// The ratio, `None` of nothing.
    pub fn ratio(self) -> Option<f64> {
        (self.whole > 0).then(|| self.part as f64 / self.whole as f64)
    }
}

impl std::fmt::Display for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.part, self.whole)
    }
}

/// One outlet that carried the claim, with its items taken together.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlet {
    /// The source.
    pub source_id: i64,
    /// Its name.
    pub name: String,
    /// Its items that carried the claim.
    pub items: usize,
    /// The sum of its items' reach.
    pub reach: i64,
    /// It published a refutation or a formal correction.
    pub refuted: bool,
    /// It carried the office's response.
    pub carried_response: bool,
    /// Every item of it was taken down or edited.
    pub removed: bool,
    /// Refuted, carried the response, or removed everything.
    pub remedied: bool,
    /// What the outlet did, in one outcome: refuted, else carried the response, else taken
    /// down (every item gone) or edited out (every item gone or edited), else unchanged.
    pub outcome: CorrectionOutcome,
    /// When it was first remedied.
    pub remedied_at: Option<Timestamp>,
    /// From t0 to then (zero when it corrected before the response).
    pub time_to_correction: Option<TimeDelta>,
}

/// What spread after the first day of tracking.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Residual {
    /// New items in all.
    pub items: usize,
    /// Of which from outlets that already carried the claim.
    pub from_known_outlets: usize,
    /// Of which from outlets that had not.
    pub from_new_outlets: usize,
    /// Those new outlets, by name.
    pub new_outlets: Vec<String>,
}

/// The story's first publisher, and whether it corrected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The source.
    pub source_id: i64,
    /// Its name.
    pub name: String,
    /// Whether it is among the outlets that carried the alert's claim.
    pub carried: bool,
    /// Whether it remedied.
    pub remedied: bool,
}

/// The tracking of one alert, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The alert.
    pub alert_id: i64,
    /// The response tracked from.
    pub response_id: i64,
    /// t0: when the response was published.
    pub started_at: Timestamp,
    /// When tracking ends.
    pub ends_at: Timestamp,
    /// When it was finished, if it was.
    pub finished_at: Option<Timestamp>,
}

/// Did the correction reach the outlets that carried the claim: one alert's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectionReport {
    /// The tracking window.
    pub window: Window,
    /// Every item that carried the claim, by outlet name then carrying time.
    pub carriers: Vec<Carrier>,
    /// The outlets, by name.
    pub outlets: Vec<Outlet>,
    /// Remediation coverage: remedied outlets / outlets that carried the claim.
    pub coverage: Share,
    /// Outlets that published a refutation or formal correction / outlets.
    pub formal_coverage: Share,
    /// Outlets that carried the response / outlets.
    pub response_coverage: Share,
    /// Outlets that did either (wave2-anchors' correction coverage) / outlets.
    pub correction_coverage: Share,
    /// Reach of the remedied outlets / reach of all; `None` without reach.
    pub reach_weighted_coverage: Option<f64>,
    /// The median time from t0 to correction over the remedied outlets.
    pub median_time_to_correction: Option<TimeDelta>,
    /// Its 90th percentile.
    pub p90_time_to_correction: Option<TimeDelta>,
    /// New items after the first day.
    pub residual: Residual,
    /// The story's first publisher, when the alert has a story.
    pub origin: Option<Origin>,
    /// The outlets not remedied, by name.
    pub outstanding: Vec<String>,
    /// The next re-fetch of any item.
    pub next_check: Option<Timestamp>,
}

/// Quantile `p` of sorted values, linearly interpolated between order statistics (type 7).
fn quantile(sorted: &[i64], p: f64) -> Option<i64> {
    let last = sorted.len().checked_sub(1)?;
    let h = last as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(last);
    let frac = h - lo as f64;
    Some(sorted[lo] + ((sorted[hi] - sorted[lo]) as f64 * frac).round() as i64)
}

fn outlet_of(source_id: i64, items: &[&Carrier], t0: Timestamp) -> Outlet {
    let has = |o| items.iter().any(|c| c.state.outcome == o);
    let refuted = has(CorrectionOutcome::Refuted);
    let carried_response = has(CorrectionOutcome::CarriedResponse);
    let removed = items.iter().all(|c| {
        matches!(c.state.outcome, CorrectionOutcome::TakenDown | CorrectionOutcome::EditedOut)
    });
    let remedied = refuted || carried_response || removed;
    let outcome = if refuted {
        CorrectionOutcome::Refuted
    } else if carried_response {
        CorrectionOutcome::CarriedResponse
    } else if removed && items.iter().all(|c| c.state.outcome == CorrectionOutcome::TakenDown) {
        CorrectionOutcome::TakenDown
    } else if removed {
        CorrectionOutcome::EditedOut
    } else {
        CorrectionOutcome::Unchanged
    };
    // Remedied when it published (the earliest publication) or when its last item went,
    // whichever came first.
    let published = items
        .iter()
        .filter(|c| is_publication(c.state.outcome))
        .filter_map(|c| c.state.outcome_at)
        .min();
    let all_gone = if items.iter().all(|c| c.state.outcome.is_remedied()) {
        items
            .iter()
            .map(|c| c.state.remedied_at)
            .collect::<Option<Vec<_>>>()
            .and_then(|v| v.into_iter().max())
    } else {
        None
    };
    let remedied_at = if remedied {
        match (published, all_gone) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    } else {
        None
    };
    Outlet {
        source_id,
        name: items.first().map(|c| c.outlet.clone()).unwrap_or_default(),
        items: items.len(),
        reach: items.iter().map(|c| c.reach).sum(),
        refuted,
        carried_response,
        removed,
        remedied,
        outcome,
        remedied_at,
        time_to_correction: remedied_at.map(|at| (at - t0).max(TimeDelta::zero())),
    }
}

/// The figures of one alert's tracking, from its items, its later items and its story's
/// first publisher.
pub fn report(
    window: Window,
    mut carriers: Vec<Carrier>,
    late: &[LateItem],
    origin: Option<(i64, String)>,
) -> CorrectionReport {
    let t0 = window.started_at;
    carriers.sort_by(|a, b| {
        (a.outlet.as_str(), a.carried_at, a.id).cmp(&(b.outlet.as_str(), b.carried_at, b.id))
    });
    let mut by_source: BTreeMap<i64, Vec<&Carrier>> = BTreeMap::new();
    for c in &carriers {
        by_source.entry(c.source_id).or_default().push(c);
    }
    let mut outlets: Vec<Outlet> =
        by_source.iter().map(|(&id, items)| outlet_of(id, items, t0)).collect();
    outlets.sort_by(|a, b| (a.name.as_str(), a.source_id).cmp(&(b.name.as_str(), b.source_id)));
    let whole = outlets.len();
    let share = |f: &dyn Fn(&Outlet) -> bool| Share {
        part: outlets.iter().filter(|o| f(o)).count(),
        whole,
    };
    let coverage = share(&|o| o.remedied);
    let formal_coverage = share(&|o| o.refuted);
    let response_coverage = share(&|o| o.carried_response);
    let correction_coverage = share(&|o| o.refuted || o.carried_response);
    let total_reach: i64 = outlets.iter().map(|o| o.reach).sum();
    let remedied_reach: i64 = outlets.iter().filter(|o| o.remedied).map(|o| o.reach).sum();
    let reach_weighted_coverage =
        (total_reach > 0).then(|| remedied_reach as f64 / total_reach as f64);
    let mut times: Vec<i64> =
        outlets.iter().filter_map(|o| o.time_to_correction).map(|d| d.num_seconds()).collect();
    times.sort_unstable();
    let median_time_to_correction = quantile(&times, 0.5).map(TimeDelta::seconds);
    let p90_time_to_correction = quantile(&times, 0.9).map(TimeDelta::seconds);

    let known: BTreeSet<i64> = by_source.keys().copied().collect();
    let from = residual_from(t0);
    let mut residual = Residual::default();
    let mut new_outlets: BTreeSet<&str> = BTreeSet::new();
    for item in late.iter().filter(|i| i.at > from) {
        residual.items += 1;
        if known.contains(&item.source_id) {
            residual.from_known_outlets += 1;
        } else {
            residual.from_new_outlets += 1;
            new_outlets.insert(&item.outlet);
        }
    }
    residual.new_outlets = new_outlets.into_iter().map(str::to_owned).collect();

    let origin = origin.map(|(source_id, name)| {
        let o = outlets.iter().find(|o| o.source_id == source_id);
        Origin { source_id, name, carried: o.is_some(), remedied: o.is_some_and(|o| o.remedied) }
    });
    let outstanding = outlets.iter().filter(|o| !o.remedied).map(|o| o.name.clone()).collect();
    let next_check = carriers.iter().filter_map(|c| c.next_check).min();
    CorrectionReport {
        window,
        carriers,
        outlets,
        coverage,
        formal_coverage,
        response_coverage,
        correction_coverage,
        reach_weighted_coverage,
        median_time_to_correction,
        p90_time_to_correction,
        residual,
        origin,
        outstanding,
        next_check,
    }
}

fn percent(s: Share) -> String {
    match s.ratio() {
        Some(r) => format!("{s} ({:.0}%)", r * 100.0),
        None => s.to_string(),
    }
}

fn hours(d: TimeDelta) -> String {
    let minutes = d.num_minutes();
    if minutes < 60 {
        format!("{minutes} phút")
    } else if minutes < 48 * 60 {
        format!("{:.1} giờ", minutes as f64 / 60.0)
    } else {
        format!("{:.1} ngày", minutes as f64 / 1440.0)
    }
}

/// The note the system closes an alert with when tracking ends: the coverage in words.
pub fn closing_note(r: &CorrectionReport) -> String {
    let mut note = format!(
        "Kết thúc {WINDOW_DAYS} ngày theo dõi cải chính. Đã khắc phục: {} nguồn \
         (cải chính {}, đăng phản hồi chính thức {}).",
        percent(r.coverage),
        r.formal_coverage,
        r.response_coverage,
    );
    if let Some(m) = r.median_time_to_correction {
        note.push_str(&format!(" Thời gian khắc phục trung vị: {}.", hours(m)));
    }
    if r.outstanding.is_empty() {
        note.push_str(" Không còn nguồn nào chưa cải chính.");
    } else {
        note.push_str(&format!(" Chưa cải chính: {}.", r.outstanding.join(", ")));
    }
    if r.residual.items > 0 {
        note.push_str(&format!(
            " Lan truyền sau phản hồi: {} bài ({} từ nguồn mới).",
            r.residual.items, r.residual.from_new_outlets
        ));
    }
    note
}

/// What the `close` event of the end of tracking carries beside its note.
pub fn closing_data(r: &CorrectionReport) -> Value {
    json!({
        "cause": "correction_window",
        "outlets": r.coverage.whole,
        "remedied": r.coverage.part,
        "formal": r.formal_coverage.part,
        "response": r.response_coverage.part,
        "reach_weighted": r.reach_weighted_coverage,
        "median_seconds": r.median_time_to_correction.map(|d| d.num_seconds()),
        "residual": r.residual.items,
    })
}

/// What the `track` event records when tracking starts.
pub fn tracking_data(response_id: i64, t0: Timestamp) -> Value {
    json!({
        "response": response_id,
        "started_at": t0.timestamp_millis(),
        "ends_at": window_end(t0).timestamp_millis(),
    })
}
