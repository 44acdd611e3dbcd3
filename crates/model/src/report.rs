//! The period report as plain data: what the store gathers for a reporting period (the
//! half-years of the planning documents, or any range of days) and the `report` crate lays
//! out as a workbook, a CSV file and a printable page.
//!
//! The types live here, not in `report`, so the store can fill them without building the
//! spreadsheet writer, and the writer can lay them out without knowing SQL.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveTime};

use crate::{
    AlertState, DismissReason, EscalationTarget, Priority, ResponseChannel, RuleKind, SourceTier,
    Timestamp, VN_OFFSET, string_enum,
};

/// A reporting period: whole Vietnam days from `first` to `last`, both included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPeriod {
    /// Its first day.
    pub first: NaiveDate,
    /// Its last day.
    pub last: NaiveDate,
    /// How people name it: "6 tháng đầu năm 2026 (01/01/2026 – 15/06/2026)".
    pub label: String,
    /// A short name for files and links: `2026-H1`, `2026`, `2026-03-01_2026-03-31`.
    pub code: String,
}

/// The instant a Vietnam day starts, in UTC.
pub fn vn_day_start(day: NaiveDate) -> Timestamp {
    let offset = Duration::seconds(i64::from(VN_OFFSET.local_minus_utc()));
    (day.and_time(NaiveTime::MIN) - offset).and_utc()
}

impl ReportPeriod {
    /// A period of the days `first` to `last` named by `label` and `code`.
    pub fn new(first: NaiveDate, last: NaiveDate, label: String, code: String) -> ReportPeriod {
        ReportPeriod { first, last, label, code }
    }

    /// Where it starts: the first day's midnight in Vietnam.
    pub fn from(&self) -> Timestamp {
        vn_day_start(self.first)
    }

    /// Where it ends (excluded): the midnight after its last day in Vietnam.
    pub fn to(&self) -> Timestamp {
        vn_day_start(self.last) + Duration::days(1)
    }

    /// How many days it has.
    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    /// When figures taken at `at` stand, as a person says it: "hết ngày 15/06/2026" when
    /// `at` is the period's end, else the time ("14:30 06/12/2026", Vietnam time).
    pub fn as_of(&self, at: Timestamp) -> String {
        if at >= self.to() {
            format!("hết ngày {}", self.last.format("%d/%m/%Y"))
        } else {
            crate::to_vn_time(at).format("%H:%M %d/%m/%Y").to_string()
        }
    }

    /// The calendar months it touches, in order, as (year, month).
    pub fn months(&self) -> Vec<(i32, u32)> {
        use chrono::Datelike;
        let mut out = Vec::new();
        let mut y = self.first.year();
        let mut m = self.first.month();
        while (y, m) <= (self.last.year(), self.last.month()) {
            out.push((y, m));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        out
    }
}

string_enum!(
    /// A count of the office's own communication work that it enters by hand, as the
    /// half-yearly reports give them (Vĩnh Phúc DoH, first half of 2024: 159 news items
    /// with the press, 97 articles, 40,000 broadcasts, 91,500 leaflets, 57 posters…).
    ActivityIndicator, "activity indicator", {
        /// News items and reportage produced with the press.
        PressItems => "press_items" : "Tin, phóng sự phối hợp với báo chí",
        /// News items and articles written and posted by the office.
        Articles => "articles" : "Tin, bài viết và đăng tải",
        /// Radio and loudspeaker broadcasts.
        Broadcasts => "broadcasts" : "Lượt phát thanh trên đài, loa truyền thanh",
        /// Leaflets printed.
        Leaflets => "leaflets" : "Tờ rơi",
        /// Posters printed.
        Posters => "posters" : "Áp phích",
        /// Panels (pano) put up.
        Panels => "panels" : "Pano",
        /// Other printed material: bulletins, handbooks, standees.
        OtherPrints => "other_prints" : "Tài liệu in khác (bản tin, sổ tay, standee…)",
        /// Video clips.
        Videos => "videos" : "Video clip",
        /// Posts on social media (Zalo, Facebook, fanpages, YouTube).
        SocialPosts => "social_posts" : "Tin bài trên mạng xã hội (Zalo, Facebook, YouTube…)",
        /// Direct communication sessions in the community.
        Sessions => "sessions" : "Buổi truyền thông trực tiếp tại cộng đồng",
        /// People who took part in those sessions.
        Participants => "participants" : "Lượt người tham dự truyền thông trực tiếp",
    }
);

impl ActivityIndicator {
    /// The unit a report gives the count in.
    pub fn unit(self) -> &'static str {
        match self {
            ActivityIndicator::PressItems | ActivityIndicator::Articles => "tin, bài",
            ActivityIndicator::Broadcasts => "lượt",
            ActivityIndicator::Leaflets | ActivityIndicator::Posters => "tờ",
            ActivityIndicator::Panels => "cái",
            ActivityIndicator::OtherPrints => "bản",
            ActivityIndicator::Videos => "video",
            ActivityIndicator::SocialPosts => "tin, bài",
            ActivityIndicator::Sessions => "buổi",
            ActivityIndicator::Participants => "người",
        }
    }
}

/// One count the office entered for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEntry {
    /// What it counts.
    pub indicator: ActivityIndicator,
    /// The count.
    pub value: i64,
    /// Where it comes from or what it covers, as the office wrote it.
    pub note: String,
    /// Who entered it last.
    pub author: Option<String>,
    /// When.
    pub updated_at: Timestamp,
}

string_enum!(
    /// A deadline of alert handling, as the compliance tables name it.
    Deadline, "deadline", {
        /// Acknowledge a new alert.
        Acknowledge => "acknowledge" : "Tiếp nhận",
        /// Decide what to do with it.
        Decide => "decide" : "Quyết định",
        /// Publish the office's response.
        Respond => "respond" : "Phản hồi",
    }
);

/// A health day occurring in a period, with the rules whose coverage counts for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthDayWindow {
    /// The day's id in its pack.
    pub id: String,
    /// Its name.
    pub title: String,
    /// The first day of this occurrence.
    pub first: NaiveDate,
    /// The last day of this occurrence.
    pub last: NaiveDate,
    /// The related rules' ids.
    pub rules: Vec<String>,
}

/// What the store needs to gather a report.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// The period reported on.
    pub period: ReportPeriod,
    /// The period it is compared with.
    pub previous: ReportPeriod,
    /// The health days occurring in the period.
    pub health_days: Vec<HealthDayWindow>,
    /// The health days occurring in the previous period.
    pub previous_health_days: Vec<HealthDayWindow>,
    /// Province names by code, for the rows of provinces.
    pub provinces: BTreeMap<String, String>,
    /// The office the report is from (may be empty).
    pub office: String,
    /// Lines for the definitions sheet that only the caller knows (software and rule
    /// versions, the gazetteer), as (name, value).
    pub about: Vec<(String, String)>,
    /// Now: figures of a period not over yet are taken now.
    pub now: Timestamp,
}

/// The part of the 3C work an indicator belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Grasping: what was published and seen.
    Grasp,
    /// Handling: alerts and how fast they were handled.
    Handle,
    /// Providing: the office's responses and the corrections they obtained.
    Provide,
    /// The office's own communication work, entered by hand.
    Activity,
}

impl Part {
    /// Its name in the report.
    pub fn label(self) -> &'static str {
        match self {
            Part::Grasp => "Chủ động nắm bắt thông tin",
            Part::Handle => "Chủ động xử lý thông tin",
            Part::Provide => "Chủ động cung cấp thông tin",
            Part::Activity => "Hoạt động truyền thông của đơn vị",
        }
    }
}

/// One line of the summary: an indicator of the period, with the previous period's value.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// A stable code, such as `TB01`.
    pub code: &'static str,
    /// The part of the work it belongs to.
    pub part: Part,
    /// Its name.
    pub name: String,
    /// Its unit: "tin bài", "giờ", "%".
    pub unit: &'static str,
    /// Its value; `None` when it cannot be computed (no alert acknowledged, nothing entered).
    pub value: Option<f64>,
    /// The previous period's value.
    pub previous: Option<f64>,
    /// How it is computed, for the definitions sheet.
    pub definition: &'static str,
}

impl Indicator {
    /// The change from the previous period, in per cent (`None` without both values or
    /// from zero).
    pub fn change_percent(&self) -> Option<f64> {
        match (self.value, self.previous) {
            (Some(v), Some(p)) if p != 0.0 => Some((v - p) / p.abs() * 100.0),
            _ => None,
        }
    }
}

/// Items of one calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthItems {
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// Documents published in it (within the period).
    pub documents: i64,
    /// Places they were seen: each outlet's publication, copies included.
    pub sightings: i64,
    /// Stories first seen in it.
    pub new_stories: i64,
}

/// Items of one tier of sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierItems {
    /// The tier.
    pub tier: SourceTier,
    /// Sources of the tier with a sighting in the period.
    pub outlets: i64,
    /// Documents first published by one of its sources.
    pub documents: i64,
    /// Sightings on its sources.
    pub sightings: i64,
}

/// Items of one outlet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutletItems {
    /// The source.
    pub source_id: i64,
    /// Its name.
    pub name: String,
    /// Its tier.
    pub tier: SourceTier,
    /// Documents it published first (its own, not copies of others').
    pub documents: i64,
    /// Every item seen on it, copies included.
    pub sightings: i64,
}

/// Items of one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicItems {
    /// The topic rule.
    pub rule_id: String,
    /// Its title.
    pub title: String,
    /// Documents it hits.
    pub documents: i64,
    /// Places those documents were seen.
    pub sightings: i64,
    /// Distinct stories of those documents.
    pub stories: i64,
}

/// Items about one province (or none known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceItems {
    /// Its code; `None` for documents whose province is not known.
    pub code: Option<String>,
    /// Its name.
    pub name: String,
    /// Documents about it.
    pub documents: i64,
    /// Distinct stories of those documents.
    pub stories: i64,
}

/// A story of the period, among those carried by the most outlets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryRow {
    /// The story.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its first publisher.
    pub origin: String,
    /// The province it is about, by name.
    pub province: Option<String>,
    /// When it was first seen.
    pub first_seen: Timestamp,
    /// Its documents.
    pub documents: i64,
    /// Its sightings.
    pub sightings: i64,
    /// The outlets that carried it.
    pub outlets: i64,
}

/// What was published in the period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Items {
    /// Documents published in the period (a text counts once, wherever it was copied).
    pub documents: i64,
    /// Every outlet's publication of them, copies included.
    pub sightings: i64,
    /// Stories first seen in the period.
    pub new_stories: i64,
    /// Sources with a sighting in the period.
    pub outlets: i64,
    /// Documents a topic rule hits.
    pub with_topic: i64,
    /// Documents whose province is known.
    pub with_province: i64,
    /// Documents that carry a rumour or a false claim (stance "carries").
    pub carrying_rumours: i64,
    /// Documents that refute one.
    pub refuting_rumours: i64,
    /// Per calendar month of the period, every month listed.
    pub by_month: Vec<MonthItems>,
    /// Per tier, every tier listed.
    pub by_tier: Vec<TierItems>,
    /// Per outlet, most sightings first.
    pub by_outlet: Vec<OutletItems>,
    /// Per topic, most documents first.
    pub by_topic: Vec<TopicItems>,
    /// Per province, most documents first, the unknown province last.
    pub by_province: Vec<ProvinceItems>,
    /// Documents per (topic rule, province code or `None`).
    pub topic_province: Vec<(String, Option<String>, i64)>,
    /// The stories first seen in the period that the most outlets carried.
    pub top_stories: Vec<StoryRow>,
}

/// The middle and the 90th percentile of some durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DurationFigure {
    /// How many.
    pub count: usize,
    /// Their median.
    pub median: Option<Duration>,
    /// Their 90th percentile.
    pub p90: Option<Duration>,
}

/// Alerts of one kind opened in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindRow {
    /// The kind.
    pub kind: RuleKind,
    /// Opened.
    pub opened: usize,
    /// Of which P1, P2 and P3 (their priority now).
    pub by_priority: [usize; 3],
}

/// Alerts of one rule handled in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    /// The rule.
    pub rule_id: String,
    /// Its title.
    pub title: String,
    /// Its kind.
    pub kind: RuleKind,
    /// Alerts of it opened in the period.
    pub opened: usize,
    /// Alerts of it decided in the period.
    pub decided: usize,
    /// Of those, dismissed by their latest decision.
    pub dismissed: usize,
}

/// What happened to alerts in the period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertFigures {
    /// Opened in the period.
    pub opened: usize,
    /// Acknowledged in it (at least once).
    pub acknowledged: usize,
    /// Decided in it.
    pub decided: usize,
    /// Whose latest decision in it was to dismiss.
    pub dismissed: usize,
    /// Given an official response in it.
    pub responded: usize,
    /// Closed in it.
    pub closed: usize,
    /// Opened, per kind (every alert kind listed).
    pub by_kind: Vec<KindRow>,
    /// Opened, per priority (their priority now).
    pub by_priority: Vec<(Priority, usize)>,
    /// The state at the end of the period of the alerts opened in it (every state listed).
    pub by_state: Vec<(AlertState, usize)>,
    /// Why the alerts opened in the period and dismissed at its end were dismissed.
    pub dismiss_reasons: Vec<(DismissReason, usize)>,
    /// Per rule, most opened first.
    pub by_rule: Vec<RuleRow>,
    /// Escalations in the period, per target (every target listed).
    pub escalations: Vec<(EscalationTarget, usize)>,
}

/// Deadlines of one priority and kind whose outcome became known in the period (or in one
/// of its months).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplianceRow {
    /// The month, or `None` for the whole period.
    pub month: Option<(i32, u32)>,
    /// The priority.
    pub priority: Priority,
    /// The deadline.
    pub deadline: Deadline,
    /// Met in time.
    pub met: usize,
    /// Missed.
    pub missed: usize,
}

impl ComplianceRow {
    /// The share met, in per cent.
    pub fn percent(&self) -> Option<f64> {
        let n = self.met + self.missed;
        (n > 0).then(|| 100.0 * self.met as f64 / n as f64)
    }
}

/// Open alerts of one state at the end of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BacklogRow {
    /// The state.
    pub state: AlertState,
    /// How many.
    pub count: usize,
    /// Of which past the deadline of their state.
    pub overdue: usize,
}

/// How fast alerts were handled and how many deadlines were kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HandlingFigures {
    /// Time to detect.
    pub ttd: DurationFigure,
    /// Time to acknowledge.
    pub tta: DurationFigure,
    /// Time to decide.
    pub ttdec: DurationFigure,
    /// Time to respond.
    pub ttr: DurationFigure,
    /// Time to respond from the story's first publication.
    pub ttr_origin: DurationFigure,
    /// Deadlines over the whole period, per priority and deadline (every pair listed).
    pub compliance: Vec<ComplianceRow>,
    /// Deadlines per month, priority and deadline (pairs with an outcome only).
    pub compliance_by_month: Vec<ComplianceRow>,
    /// The open alerts at the end of the period, per open state.
    pub backlog: Vec<BacklogRow>,
}

/// Whether the correction reached the outlets that carried one alert's claim.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CorrectionFigures {
    /// Outlets that carried the claim.
    pub outlets: usize,
    /// Of those, remedied: refuted, carried the response, or removed every item.
    pub remedied: usize,
    /// Of those, published a refutation or the response (correction coverage).
    pub corrected: usize,
    /// Reach of the remedied outlets over reach of all.
    pub reach_weighted: Option<f64>,
    /// Items that carried the claim after the first day of tracking.
    pub residual_items: usize,
}

impl CorrectionFigures {
    /// Remedied outlets over outlets, in per cent.
    pub fn coverage_percent(&self) -> Option<f64> {
        (self.outlets > 0).then(|| 100.0 * self.remedied as f64 / self.outlets as f64)
    }

    /// Correcting outlets over outlets, in per cent.
    pub fn correction_percent(&self) -> Option<f64> {
        (self.outlets > 0).then(|| 100.0 * self.corrected as f64 / self.outlets as f64)
    }
}

/// A rumour or false claim handled in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct RumourRow {
    /// The alert.
    pub alert_id: i64,
    /// Its kind (rumour or suspicious post).
    pub kind: RuleKind,
    /// Its rule's title.
    pub rule_title: String,
    /// Its story's title, when it has one.
    pub story_title: Option<String>,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// Its story's first publisher.
    pub origin: Option<String>,
    /// The outlets that carried its story.
    pub outlets: Option<i64>,
    /// Its priority now.
    pub priority: Priority,
    /// Its state at the end of the period.
    pub state: AlertState,
    /// Time to acknowledge.
    pub tta: Option<Duration>,
    /// Time to respond.
    pub ttr: Option<Duration>,
    /// Official responses recorded on it.
    pub responses: usize,
    /// The first response's channel and address.
    pub first_response: Option<(ResponseChannel, Option<String>)>,
    /// Correction tracking, when it ran.
    pub correction: Option<CorrectionFigures>,
}

/// An official response published in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRow {
    /// When it was published.
    pub published_at: Timestamp,
    /// Where.
    pub channel: ResponseChannel,
    /// The alert it answers.
    pub alert_id: i64,
    /// That alert's rule title.
    pub rule_title: String,
    /// Its text.
    pub text: String,
    /// Its address.
    pub url: Option<String>,
}

/// What the office provided in the period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResponseFigures {
    /// Responses published in the period.
    pub total: usize,
    /// Per channel (every channel listed).
    pub by_channel: Vec<(ResponseChannel, usize)>,
    /// Alerts with a response published in the period.
    pub alerts_answered: usize,
    /// The responses, oldest first.
    pub list: Vec<ResponseRow>,
    /// Alerts whose correction tracking started in the period.
    pub tracked: usize,
    /// Their correction figures taken together.
    pub corrections: CorrectionFigures,
}

/// A health day of the period and the coverage of its related rules during it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthDayRow {
    /// Its name.
    pub title: String,
    /// Its first day.
    pub first: NaiveDate,
    /// Its last day.
    pub last: NaiveDate,
    /// Related rules.
    pub rules: usize,
    /// Documents of the related rules published during it.
    pub documents: i64,
    /// Their distinct stories.
    pub stories: i64,
    /// Their distinct outlets.
    pub outlets: i64,
}

/// An activity count with the previous period's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    /// What it counts.
    pub indicator: ActivityIndicator,
    /// What was entered for the period, if anything.
    pub entry: Option<ActivityEntry>,
    /// What was entered for the previous period.
    pub previous: Option<i64>,
}

/// Everything a period report holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    /// The office it is from (may be empty).
    pub office: String,
    /// The period.
    pub period: ReportPeriod,
    /// The period compared with.
    pub previous: ReportPeriod,
    /// When it was made.
    pub generated_at: Timestamp,
    /// When the figures were taken: the end of the period, or when it was made if earlier.
    pub figures_at: Timestamp,
    /// The indicators, with the previous period's values.
    pub summary: Vec<Indicator>,
    /// What was published.
    pub items: Items,
    /// What happened to alerts.
    pub alerts: AlertFigures,
    /// How fast.
    pub handling: HandlingFigures,
    /// Rumours and false claims handled.
    pub rumours: Vec<RumourRow>,
    /// Responses and corrections.
    pub responses: ResponseFigures,
    /// Health days.
    pub health_days: Vec<HealthDayRow>,
    /// The office's own counts, one row per indicator.
    pub activity: Vec<ActivityRow>,
    /// The definitions sheet: (name, value).
    pub definitions: Vec<(String, String)>,
}
