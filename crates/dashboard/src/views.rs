//! Template data: what each page shows, already formatted, with text kept unescaped for
//! askama to escape.

use askama::Template;
use model::{AlertState, Document, Hit, RuleKind, Severity, Timestamp};
use search::Fragment;

pub(crate) fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Low => "Thấp",
        Severity::Medium => "Trung bình",
        Severity::High => "Cao",
        Severity::Critical => "Khẩn cấp",
    }
}

pub(crate) fn kind_label(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Topic => "Chủ đề",
        RuleKind::Rumor => "Tin đồn",
        RuleKind::Watch => "Theo dõi",
        RuleKind::Crisis => "Khủng hoảng",
    }
}

pub(crate) fn state_label(s: AlertState) -> &'static str {
    match s {
        AlertState::New => "Mới",
        AlertState::Acknowledged => "Đã tiếp nhận",
        AlertState::Verifying => "Đang xác minh",
        AlertState::Responded => "Đã phản hồi",
        AlertState::Closed => "Đã đóng",
    }
}

/// Time in Asia/Ho_Chi_Minh, as Vietnamese readers write it.
pub(crate) fn vn_time(ts: Timestamp) -> String {
    model::to_vn_time(ts).format("%H:%M %d/%m/%Y").to_string()
}

/// Only http(s) links are rendered as links; anything else (`javascript:`…) is shown as text.
pub(crate) fn is_web_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// Highlight ranges of a hit in one field.
pub(crate) fn ranges(hits: &[&Hit], field: &str) -> Vec<(usize, usize)> {
    hits.iter()
        .flat_map(|h| h.terms.iter())
        .filter(|t| t.field == field)
        .map(|t| (t.start, t.end))
        .collect()
}

/// The header every page shows.
pub(crate) struct Chrome {
    pub(crate) user: String,
    pub(crate) role: String,
    pub(crate) csrf: String,
}

pub(crate) struct AlertView {
    pub(crate) severity: &'static str,
    pub(crate) severity_label: &'static str,
    pub(crate) kind_label: &'static str,
    pub(crate) state_label: &'static str,
    pub(crate) rule_title: String,
    pub(crate) rule_id: String,
    pub(crate) source: String,
    pub(crate) time: String,
    pub(crate) doc_count: i64,
    pub(crate) doc_id: i64,
    pub(crate) title: Vec<Fragment>,
    pub(crate) excerpt: Vec<Fragment>,
}

impl AlertView {
    pub(crate) fn new(e: &store::BoardEntry) -> AlertView {
        let doc = &e.document;
        let hits = [&e.hit];
        AlertView {
            severity: e.alert.severity.as_str(),
            severity_label: severity_label(e.alert.severity),
            kind_label: kind_label(e.alert.kind),
            state_label: state_label(e.alert.state),
            rule_title: e.alert.rule_title.clone(),
            rule_id: e.alert.rule_id.clone(),
            source: doc.source_name.clone(),
            time: vn_time(e.alert.last_seen),
            doc_count: e.alert.doc_count,
            doc_id: doc.id,
            title: search::snippet(&doc.doc.title, &ranges(&hits, "title"), usize::MAX),
            excerpt: search::snippet(&doc.doc.full_text(), &ranges(&hits, "body"), 280),
        }
    }
}

#[derive(Template)]
#[template(path = "board.html")]
pub(crate) struct BoardPage {
    pub(crate) chrome: Chrome,
    pub(crate) alerts: Vec<AlertView>,
    pub(crate) documents: i64,
    pub(crate) open_alerts: i64,
    pub(crate) failing_sources: i64,
    pub(crate) sources: i64,
}

pub(crate) struct HitView {
    pub(crate) id: i64,
    pub(crate) title: Vec<Fragment>,
    pub(crate) snippet: Vec<Fragment>,
    pub(crate) source: String,
    pub(crate) time: String,
}

#[derive(Template)]
#[template(path = "search.html")]
pub(crate) struct SearchPage {
    pub(crate) chrome: Chrome,
    pub(crate) q: String,
    pub(crate) newest: bool,
    pub(crate) searched: bool,
    pub(crate) total: usize,
    pub(crate) total_exact: bool,
    pub(crate) hits: Vec<HitView>,
    pub(crate) next: Option<String>,
    pub(crate) error: Option<String>,
}

pub(crate) struct HitInfo {
    pub(crate) rule_title: String,
    pub(crate) kind_label: &'static str,
    pub(crate) severity: &'static str,
    pub(crate) severity_label: &'static str,
    pub(crate) terms: String,
}

#[derive(Template)]
#[template(path = "document.html")]
pub(crate) struct DocumentPage {
    pub(crate) chrome: Chrome,
    pub(crate) title: Vec<Fragment>,
    pub(crate) source: String,
    pub(crate) time: String,
    pub(crate) fetched: String,
    pub(crate) author: String,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
    pub(crate) language: String,
    pub(crate) text: Vec<Fragment>,
    pub(crate) hits: Vec<HitInfo>,
}

impl DocumentPage {
    pub(crate) fn new(chrome: Chrome, d: &Document, hits: &[Hit]) -> DocumentPage {
        let refs: Vec<&Hit> = hits.iter().collect();
        DocumentPage {
            chrome,
            title: search::snippet(&d.doc.title, &ranges(&refs, "title"), usize::MAX),
            source: d.source_name.clone(),
            time: vn_time(d.time()),
            fetched: vn_time(d.doc.fetched_at),
            author: d.doc.author.clone().unwrap_or_default(),
            url: d.doc.url.clone(),
            url_is_link: is_web_url(&d.doc.url),
            language: d.doc.language.clone(),
            text: search::snippet(&d.doc.full_text(), &ranges(&refs, "body"), usize::MAX),
            hits: hits
                .iter()
                .map(|h| HitInfo {
                    rule_title: h.rule_title.to_string(),
                    kind_label: kind_label(h.kind),
                    severity: h.severity.as_str(),
                    severity_label: severity_label(h.severity),
                    terms: {
                        let mut t: Vec<&str> = h.terms.iter().map(|t| &*t.term).collect();
                        t.sort_unstable();
                        t.dedup();
                        t.join(", ")
                    },
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub(crate) csrf: String,
    pub(crate) next: String,
    pub(crate) name: String,
    pub(crate) error: Option<String>,
}

#[derive(Template)]
#[template(path = "not_found.html")]
pub(crate) struct NotFoundPage {}
