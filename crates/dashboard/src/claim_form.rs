//! "Đây là tin đồn": an officer turns a document into a claim of the library, prefilled
//! from its text and editable, written to the office's claim file and in use at once.
//!
//! The claim goes through the same checks as `langnghe claims add` (`rules::claims::
//! append_claim`: the file still reads, the id is new, the key terms match every phrasing
//! written with diacritics); nothing is written when one fails, and the form comes back
//! with the problems in Vietnamese. Once written, the running rules are reloaded right
//! away (the directory watcher would pick the file up a second later anyway).

use std::collections::HashSet;
use std::path::PathBuf;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use model::Severity;
use rules::claims::{
    CLAIMS_DIR, ClaimSource, Refutation, Verdict, append_claim, valid_claim_id, valid_partial_date,
};
use serde::Deserialize;

use crate::AppState;
use crate::admin::{audit, check_csrf};
use crate::auth::Officer;
use crate::error::AppError;
use crate::pages::chrome;
use crate::views::{Chrome, severity_label, vn_time};

/// The office's own claims go to this file of the claims directory.
pub(crate) const OFFICE_FILE: &str = "office.toml";
/// Characters of the body offered as a phrasing.
const PHRASING_CHARS: usize = 280;
/// Longest value a field of the form takes.
const MAX_FIELD: usize = 4000;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/claims/new", get(form).post(create))
}

/// What the form holds, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Draft {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    document: i64,
    #[serde(default)]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    query: String,
    /// One phrasing per line.
    #[serde(default)]
    phrasings: String,
    #[serde(default)]
    severity: String,
    /// Comma-separated.
    #[serde(default)]
    tags: String,
    #[serde(default)]
    source_publisher: String,
    #[serde(default)]
    source_title: String,
    #[serde(default)]
    source_url: String,
    #[serde(default)]
    source_date: String,
    #[serde(default)]
    refuted_by: String,
    #[serde(default)]
    refutation_url: String,
    #[serde(default)]
    refutation_date: String,
    #[serde(default)]
    refutation_summary: String,
}

pub(crate) struct SeverityChoice {
    pub(crate) value: &'static str,
    pub(crate) label: &'static str,
    pub(crate) selected: bool,
}

#[derive(Template)]
#[template(path = "claim_new.html")]
pub(crate) struct ClaimPage {
    chrome: Chrome,
    draft: Draft,
    severities: Vec<SeverityChoice>,
    /// Where the document came from, shown above the form.
    seen: Option<(String, String)>,
    problems: Vec<String>,
    /// The claim written and the rules in use after the reload.
    added: Option<Added>,
    /// Whether the dashboard knows the rules directory.
    connected: bool,
}

pub(crate) struct Added {
    pub(crate) id: String,
    pub(crate) file: String,
    /// Rules in use after the reload, or why the reload was refused.
    pub(crate) reload: Result<usize, String>,
    pub(crate) warnings: usize,
}

#[derive(Deserialize)]
pub(crate) struct NewParams {
    document: Option<i64>,
}

/// The form, prefilled from the document when one is named.
async fn form(
    State(state): State<AppState>,
    Officer(me): Officer,
    Query(params): Query<NewParams>,
) -> Result<Html<String>, AppError> {
    let mut draft = Draft { severity: "medium".to_owned(), ..Draft::default() };
    let mut seen = None;
    if let Some(id) = params.document {
        let doc = state.store.document(id).await?;
        seen = Some((doc.source_name.clone(), vn_time(doc.time())));
        let taken = rule_ids(&state);
        draft = prefill(&doc, &taken);
    }
    let page = ClaimPage {
        chrome: chrome(&me),
        severities: severities(&draft.severity),
        draft,
        seen,
        problems: Vec::new(),
        added: None,
        connected: state.rules.is_some(),
    };
    Ok(Html(page.render()?))
}

/// Writes the claim and reloads the rules; the form again with the problems otherwise.
async fn create(
    State(state): State<AppState>,
    Officer(me): Officer,
    Form(mut draft): Form<Draft>,
) -> Result<Response, AppError> {
    check_csrf(&me, &draft.csrf)?;
    draft.csrf.clear();
    let render = |draft: Draft, problems: Vec<String>, added: Option<Added>, status| {
        let page = ClaimPage {
            chrome: chrome(&me),
            severities: severities(&draft.severity),
            draft,
            seen: None,
            problems,
            added,
            connected: state.rules.is_some(),
        };
        Ok::<_, AppError>((status, Html(page.render()?)).into_response())
    };
    let Some(handle) = state.rules.clone() else {
        let problem =
            "Bảng điều khiển không được nối với thư mục quy tắc nên không thể thêm tin đồn; \
                       hãy dùng lệnh langnghe claims add."
                .to_owned();
        return render(draft, vec![problem], None, StatusCode::SERVICE_UNAVAILABLE);
    };
    let claim = match to_claim(&draft) {
        Ok(c) => c,
        Err(problems) => return render(draft, problems, None, StatusCode::UNPROCESSABLE_ENTITY),
    };
    // One writer at a time: the file is read, extended and renamed into place.
    let _permit = handle
        .checking
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(format!("the rule lock is closed: {e}")))?;
    let taken = rule_ids(&state);
    let dir = handle.dir.clone();
    let file = dir.join(CLAIMS_DIR).join(OFFICE_FILE);
    let written = {
        let (dir, file, claim) = (dir.clone(), file.clone(), claim.clone());
        tokio::task::spawn_blocking(move || append_claim(&dir, &file, &claim, &taken))
            .await
            .map_err(|e| AppError::Internal(format!("adding the claim panicked: {e}")))?
    };
    let appended = match written {
        Ok(a) => a,
        Err(problems) => {
            let problems = problems.iter().map(|p| problem_vi(&p.message)).collect();
            return render(draft, problems, None, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let reload = match &handle.reload {
        Some(reload) => {
            let reload = reload.clone();
            tokio::task::spawn_blocking(move || reload())
                .await
                .map_err(|e| AppError::Internal(format!("the rule reload panicked: {e}")))?
                .map_err(|problems| format!("{} vấn đề trong bộ quy tắc", problems.len()))
        }
        None => Err("các quy tắc sẽ được nạp lại trong giây lát".to_owned()),
    };
    let detail = format!("id={} document={}", claim.id, draft.document);
    audit(&state, &me.user, "claim_added", &claim.id, &detail).await?;
    tracing::info!(claim = %claim.id, user = me.user.id, "Claim added from the dashboard.");
    let shown = appended
        .file
        .strip_prefix(&dir)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| appended.file.display().to_string());
    let added =
        Added { id: claim.id.clone(), file: shown, reload, warnings: appended.warnings.len() };
    render(draft, Vec::new(), Some(added), StatusCode::OK)
}

fn rule_ids(state: &AppState) -> HashSet<String> {
    state
        .rules
        .as_ref()
        .map(|h| (h.current)().rules().iter().map(|r| r.id.to_string()).collect())
        .unwrap_or_default()
}

fn severities(selected: &str) -> Vec<SeverityChoice> {
    [Severity::Low, Severity::Medium, Severity::High, Severity::Critical]
        .into_iter()
        .map(|s| SeverityChoice {
            value: s.as_str(),
            label: severity_label(s),
            selected: s.as_str() == selected,
        })
        .collect()
}

/// The form as the document suggests it: its title and opening as phrasings, key terms
/// taken from the first phrasing, the document as where the claim was seen, and a new id.
fn prefill(doc: &model::Document, taken: &HashSet<String>) -> Draft {
    let title = doc.doc.title.trim().to_owned();
    let body = doc.doc.full_text();
    let opening = opening(&body, PHRASING_CHARS);
    let mut phrasings: Vec<String> = Vec::new();
    for p in [title.clone(), opening] {
        if !p.is_empty() && !phrasings.contains(&p) {
            phrasings.push(p);
        }
    }
    let first = phrasings.first().cloned().unwrap_or_default();
    let date = doc.time().date_naive().format("%Y-%m-%d").to_string();
    Draft {
        document: doc.id,
        id: new_id(&first, taken),
        title: if title.is_empty() { cut_words(&first, 120) } else { title.clone() },
        query: suggested_query(&first),
        phrasings: phrasings.join("\n"),
        severity: "medium".to_owned(),
        tags: String::new(),
        source_publisher: doc.source_name.clone(),
        source_title: if title.is_empty() { cut_words(&first, 120) } else { title },
        source_url: if is_web(&doc.doc.url) { doc.doc.url.clone() } else { String::new() },
        source_date: date,
        ..Draft::default()
    }
}

/// The start of `text` up to `chars` characters, cut after a sentence when one ends in
/// the second half, else at a space.
fn opening(text: &str, chars: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= chars {
        return text;
    }
    let head: String = text.chars().take(chars).collect();
    let half = head.len() / 2;
    if let Some(end) = head.rfind(['.', '!', '?']).filter(|&e| e >= half) {
        return head[..=end].to_owned();
    }
    cut_words(&text, chars)
}

fn cut_words(text: &str, chars: usize) -> String {
    let head: String = text.chars().take(chars).collect();
    if head.len() == text.len() {
        return head;
    }
    match head.rfind(' ') {
        Some(space) => head[..space].to_owned(),
        None => head,
    }
}

/// Syllables that say nothing about which claim a post carries: alarm and sharing words,
/// greetings, pronouns and particles.
const FILLER: &[&str] = &[
    "cảnh", "báo", "khẩn", "chia", "sẻ", "ngay", "share", "gấp", "tin", "nóng", "mọi", "người",
    "ơi", "các", "bạn", "ae", "anh", "em", "chị", "nhé", "nha", "nhá", "là", "và", "thì", "của",
    "có", "được", "không", "này", "đó", "cho", "với", "những", "một", "đã", "sẽ", "đang", "rất",
];

/// Key terms the first phrasing certainly matches: its first and last pairs of
/// meaningful adjacent words, as phrases near each other. The officer edits them.
fn suggested_query(phrasing: &str) -> String {
    let display = vi_text::display(phrasing);
    let tokens = vi_text::tokenize(&display);
    let words: Vec<&str> = tokens.iter().map(|t| &display[t.start..t.end]).collect();
    let meaningful = |w: &str| {
        let lower = w.to_lowercase();
        w.chars().count() > 1 && !FILLER.contains(&lower.as_str())
    };
    let pairs: Vec<String> = words
        .windows(2)
        .filter(|w| meaningful(w[0]) && meaningful(w[1]))
        .map(|w| format!("{} {}", w[0], w[1]).to_lowercase())
        .collect();
    match (pairs.first(), pairs.last()) {
        (Some(a), Some(b)) if a != b => format!("\"{a}\" NEAR/30 \"{b}\""),
        (Some(a), _) => format!("\"{a}\""),
        _ => words.iter().find(|w| meaningful(w)).map(|w| w.to_lowercase()).unwrap_or_default(),
    }
}

/// `claim.office.<slug>` from the first words of `text`, numbered when taken.
fn new_id(text: &str, taken: &HashSet<String>) -> String {
    let folded = vi_text::fold_str(text);
    let slug: Vec<String> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_ascii_lowercase)
        .collect();
    let slug = if slug.is_empty() { "tin-don".to_owned() } else { slug.join("-") };
    let base = format!("claim.office.{slug}");
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

fn is_web(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

fn field(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The claim the form describes, or every problem with it in Vietnamese.
fn to_claim(d: &Draft) -> Result<rules::Claim, Vec<String>> {
    let mut problems = Vec::new();
    let too_long =
        [&d.id, &d.title, &d.query, &d.phrasings, &d.tags, &d.source_title, &d.refutation_summary]
            .iter()
            .any(|f| f.len() > MAX_FIELD);
    if too_long {
        problems.push(format!("Mỗi ô nhập tối đa {MAX_FIELD} ký tự."));
    }
    let id = d.id.trim();
    if !valid_claim_id(id) {
        problems.push(
            "Mã tin đồn phải có dạng claim.<nhóm>.<tên>, chỉ gồm chữ thường không dấu, số và dấu gạch ngang."
                .to_owned(),
        );
    }
    if d.title.trim().is_empty() {
        problems.push("Hãy ghi tên tin đồn như cơ quan chức năng gọi nó.".to_owned());
    }
    if d.query.trim().is_empty() {
        problems.push("Hãy ghi từ khóa chính mà một bài phải có để nói về tin đồn này.".to_owned());
    }
    let phrasings: Vec<String> =
        d.phrasings.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    if phrasings.is_empty() {
        problems.push("Hãy ghi ít nhất một cách diễn đạt tin đồn (mỗi dòng một cách).".to_owned());
    }
    let severity = d.severity.parse::<Severity>().unwrap_or_else(|_| {
        problems.push("Mức độ không hợp lệ.".to_owned());
        Severity::Medium
    });
    let (source_url, source_date) = (field(&d.source_url), field(&d.source_date));
    if source_url.as_deref().is_some_and(|u| !is_web(u)) {
        problems.push("Địa chỉ nơi ghi nhận phải bắt đầu bằng http:// hoặc https://.".to_owned());
    }
    if source_url.is_none() {
        problems.push("Hãy ghi địa chỉ nơi tin đồn được ghi nhận.".to_owned());
    }
    if field(&d.source_publisher).is_none() || field(&d.source_title).is_none() {
        problems.push("Hãy ghi nơi đăng và tiêu đề của bài ghi nhận tin đồn.".to_owned());
    }
    let bad_date = |date: &Option<String>| date.as_deref().is_some_and(|x| !valid_partial_date(x));
    let refutation_date = field(&d.refutation_date);
    if bad_date(&source_date) || bad_date(&refutation_date) {
        problems.push("Ngày phải có dạng NNNN, NNNN-TT hoặc NNNN-TT-NN và có thật.".to_owned());
    }
    let refutation = match field(&d.refuted_by) {
        Some(by) => {
            let url = field(&d.refutation_url);
            if url.as_deref().is_none_or(|u| !is_web(u)) {
                problems
                    .push("Hãy ghi địa chỉ (http:// hoặc https://) của văn bản bác bỏ.".to_owned());
            }
            Some(Refutation {
                by,
                date: refutation_date,
                url,
                document: None,
                summary: field(&d.refutation_summary),
            })
        }
        None => None,
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(rules::Claim {
        id: id.to_owned(),
        title: d.title.trim().to_owned(),
        severity,
        tags: d.tags.split(',').filter_map(field).collect(),
        first_seen: source_date.as_ref().map(|s| s.chars().take(7).collect()),
        query: d.query.trim().to_owned(),
        phrasings,
        verdict: Verdict::False,
        refutation,
        sources: vec![ClaimSource {
            publisher: d.source_publisher.trim().to_owned(),
            title: d.source_title.trim().to_owned(),
            date: source_date,
            url: source_url,
            document: None,
        }],
        file: PathBuf::new(),
        ..rules::Claim::default()
    })
}

/// A problem `append_claim` found, as an officer reads it.
fn problem_vi(message: &str) -> String {
    if message.contains("example should match") {
        let phrasing = message.split_once(": ").map_or("", |(_, p)| p);
        return format!(
            "Từ khóa chính không khớp với cách diễn đạt {phrasing}: hãy sửa từ khóa hoặc cách diễn đạt."
        );
    }
    if message.contains("already has") || message.contains("duplicate claim id") {
        return "Mã tin đồn này đã có trong thư viện hoặc trong một bộ quy tắc: hãy chọn mã khác."
            .to_owned();
    }
    if message.contains("invalid query") {
        return "Từ khóa chính viết chưa đúng cú pháp (cụm từ trong ngoặc kép, OR, NOT, NEAR/n, ngoặc đơn)."
            .to_owned();
    }
    if message.starts_with("cannot") {
        return "Không ghi được tệp tin đồn của đơn vị; hãy báo quản trị viên kiểm tra quyền ghi thư mục quy tắc."
            .to_owned();
    }
    "Tin đồn chưa hợp lệ; hãy kiểm tra lại các ô đã nhập.".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suggested_query_matches_the_phrasing_it_came_from() {
        for text in [
            "CẢNH BÁO: uống nước lá đu đủ chữa khỏi sốt xuất huyết, chia sẻ ngay",
            "ae ơi ăn tỏi sống mỗi sáng là k sợ covid nha",
            "Tiêm vắc xin HPV gây vô sinh",
        ] {
            let query = suggested_query(text);
            let set = rules::RuleSet::from_rules(vec![rules::Rule {
                id: "claim.t.x".into(),
                kind: model::RuleKind::Rumor,
                title: "x".into(),
                severity: Severity::Low,
                tags: Vec::new(),
                query: query.clone(),
                examples_match: vec![text.to_owned()],
                examples_no_match: Vec::new(),
                file: PathBuf::new(),
                line: 0,
            }]);
            assert!(set.check().is_empty(), "{query} misses {text}");
            assert!(!query.contains("cảnh báo") && !query.contains("chia sẻ"), "{query}");
        }
    }

    #[test]
    fn ids_are_slugs_numbered_when_taken() {
        let taken: HashSet<String> =
            ["claim.office.tiem-vac-xin-hpv-gay-vo-sinh".to_owned()].into();
        assert_eq!(
            new_id("Tiêm vắc xin HPV gây vô sinh", &HashSet::new()),
            "claim.office.tiem-vac-xin-hpv-gay-vo-sinh"
        );
        assert_eq!(
            new_id("Tiêm vắc xin HPV gây vô sinh", &taken),
            "claim.office.tiem-vac-xin-hpv-gay-vo-sinh-2"
        );
        assert_eq!(new_id("!!!", &HashSet::new()), "claim.office.tin-don");
        assert!(valid_claim_id(&new_id("Đường ĐỎ — 100%", &HashSet::new())));
    }

    #[test]
    fn the_opening_ends_at_a_sentence_or_a_word() {
        let text = format!(
            "{} Câu hai rất dài {}",
            "Câu một kết thúc ở đây.".repeat(5),
            "chữ ".repeat(200)
        );
        let o = opening(&text, 200);
        assert!(o.ends_with('.') && o.chars().count() <= 200, "{o}");
        let words = "chữ ".repeat(200);
        assert!(opening(&words, 50).ends_with("chữ"));
    }

    #[test]
    fn a_draft_without_the_essentials_is_refused_in_vietnamese() {
        let problems =
            to_claim(&Draft { id: "Bad Id".to_owned(), ..Draft::default() }).expect_err("refused");
        assert!(problems.len() >= 5, "{problems:?}");
        assert!(problems.iter().all(|p| !p.contains("field")), "{problems:?}");
    }
}
