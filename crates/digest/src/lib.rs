//! Daily digests: composing the day's alerts and top health stories as a MIME message with
//! an HTML and a plain-text part, structured by the 3C principle (grasp, handle, provide).
//!
//! This is the only crate that builds e-mail. It takes plain `model` values and returns
//! bytes; the application decides where they go.
#![warn(missing_docs)]

use std::fmt::Write;

use chrono::NaiveDate;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};
use lettre::message::{Mailbox, MultiPart};
use model::{Alert, Document, Hit, RuleKind, Severity};

/// An alert and its latest document.
#[derive(Debug, Clone)]
pub struct AlertItem {
    /// The alert.
    pub alert: Alert,
    /// Its latest document.
    pub document: Document,
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

/// What goes into one day's digest.
#[derive(Debug, Clone)]
pub struct DigestInput {
    /// The day (Asia/Ho_Chi_Minh).
    pub date: NaiveDate,
    /// Alerts active that day, most recent first.
    pub alerts: Vec<AlertItem>,
    /// The day's documents with the most rule hits.
    pub top: Vec<(Document, Vec<Hit>)>,
    /// Base URL of the dashboard for links, such as `http://127.0.0.1:8080`.
    pub dashboard_url: String,
    /// Health days under way or within their preparation lead, soonest first.
    pub health_days: Vec<HealthDayItem>,
    /// Open alerts at the end of each of the last days, oldest first, ending with the
    /// digest's day.
    pub backlog: Vec<OpenOnDay>,
}

/// A composed digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
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

fn severity_vi(s: Severity) -> &'static str {
    match s {
        Severity::Low => "Thấp",
        Severity::Medium => "Trung bình",
        Severity::High => "Cao",
        Severity::Critical => "Khẩn cấp",
    }
}

fn kind_vi(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Topic => "Chủ đề",
        RuleKind::Rumor => "Tin đồn",
        RuleKind::Watch => "Theo dõi",
        RuleKind::Crisis => "Khủng hoảng",
        RuleKind::Spike => "Tăng đột biến",
        RuleKind::Suspicion => "Nghi vấn tin giả",
    }
}

fn time_vi(d: &Document) -> String {
    model::to_vn_time(d.time()).format("%H:%M %d/%m").to_string()
}

/// Composes the digest.
pub fn compose(input: &DigestInput) -> Digest {
    let day = input.date.format("%d/%m/%Y");
    let n_alerts = input.alerts.len();
    let subject = format!(
        "Lắng Nghe – Bản tin ngày {day}: {n_alerts} cảnh báo, {} tin y tế nổi bật",
        input.top.len()
    );
    let base = input.dashboard_url.trim_end_matches('/');

    let mut text =
        format!("BẢN TIN LẮNG NGHE – NGÀY {day}\n\n1. NẮM BẮT: CẢNH BÁO TRONG NGÀY ({n_alerts})\n");
    let mut html = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{}</title></head><body style=\"font-family:sans-serif;max-width:46rem\"><h1>Bản tin Lắng Nghe – ngày {day}</h1><h2>1. Nắm bắt: cảnh báo trong ngày ({n_alerts})</h2>",
        esc(&subject)
    );
    if input.alerts.is_empty() {
        text.push_str("   Không có cảnh báo mới.\n");
        html.push_str("<p>Không có cảnh báo mới.</p>");
    } else {
        html.push_str("<ol>");
        for a in &input.alerts {
            let d = &a.document;
            let _ = writeln!(
                text,
                "   [{}] {} – {}: {}\n      {} · {} · {} bài · {}/documents/{}",
                severity_vi(a.alert.severity),
                kind_vi(a.alert.kind),
                a.alert.rule_title,
                d.doc.title,
                d.source_name,
                time_vi(d),
                a.alert.doc_count,
                base,
                d.id
            );
            let _ = write!(
                html,
                "<li><strong>[{}] {} – {}</strong>: <a href=\"{}\">{}</a><br><small>{} · {} · {} bài</small></li>",
                severity_vi(a.alert.severity),
                kind_vi(a.alert.kind),
                esc(&a.alert.rule_title),
                attr(&format!("{base}/documents/{}", d.id)),
                esc(&d.doc.title),
                esc(&d.source_name),
                time_vi(d),
                a.alert.doc_count
            );
        }
        html.push_str("</ol>");
    }

    let _ = writeln!(text, "\n2. TIN Y TẾ NỔI BẬT ({})", input.top.len());
    let _ = write!(html, "<h2>2. Tin y tế nổi bật ({})</h2><ol>", input.top.len());
    for (d, hits) in &input.top {
        let topics: Vec<&str> = hits.iter().map(|h| &*h.rule_title).collect();
        let _ = writeln!(
            text,
            "   - {} ({}, {})\n     Chủ đề: {}",
            d.doc.title,
            d.source_name,
            time_vi(d),
            topics.join("; ")
        );
        let _ = write!(
            html,
            "<li><a href=\"{}\">{}</a> <small>({}, {})</small><br><small>Chủ đề: {}</small></li>",
            attr(&format!("{base}/documents/{}", d.id)),
            esc(&d.doc.title),
            esc(&d.source_name),
            time_vi(d),
            esc(&topics.join("; "))
        );
    }
    html.push_str("</ol>");

    if !input.health_days.is_empty() {
        let _ = writeln!(text, "\n4. CUNG CẤP THÔNG TIN: NGÀY SỨC KHỎE SẮP TỚI");
        html.push_str("<h2>4. Cung cấp thông tin: ngày sức khỏe sắp tới</h2><ul>");
        for d in &input.health_days {
            let when = health_day_when(d);
            let _ = writeln!(text, "   - {} – {when}", d.title);
            let _ = write!(html, "<li><strong>{}</strong> – {}", esc(&d.title), esc(&when));
            if !d.related.is_empty() {
                let _ = writeln!(text, "     Theo dõi: {}", d.related.join("; "));
                let _ = write!(html, "<br><small>Theo dõi: {}</small>", esc(&d.related.join("; ")));
            }
            html.push_str("</li>");
        }
        html.push_str("</ul>");
    }

    let _ = writeln!(text, "\n3. XỬ LÝ");
    html.push_str("<h2>3. Xử lý</h2>");
    match input.backlog.iter().find(|b| b.date == input.date) {
        Some(b) => {
            let _ = writeln!(
                text,
                "   Cuối ngày {day}: {} cảnh báo đang mở, {} quá hạn, {} chưa được tiếp nhận.",
                b.open, b.overdue, b.waiting
            );
            let _ = write!(
                html,
                "<p>Cuối ngày {day}: <strong>{}</strong> cảnh báo đang mở, <strong>{}</strong> quá hạn, <strong>{}</strong> chưa được tiếp nhận.</p>",
                b.open, b.overdue, b.waiting
            );
        }
        None => {
            text.push_str("   Chưa có số liệu xử lý của ngày này.\n");
            html.push_str("<p>Chưa có số liệu xử lý của ngày này.</p>");
        }
    }
    if !input.backlog.is_empty() {
        let _ = writeln!(text, "   Ngày    Đang mở  Quá hạn  Chưa tiếp nhận");
        html.push_str(
            "<table style=\"border-collapse:collapse\"><thead><tr><th style=\"text-align:left;padding:2px 8px\">Ngày</th><th style=\"padding:2px 8px\">Đang mở</th><th style=\"padding:2px 8px\">Quá hạn</th><th style=\"padding:2px 8px\">Chưa tiếp nhận</th></tr></thead><tbody>",
        );
        for b in &input.backlog {
            let date = b.date.format("%d/%m");
            let _ =
                writeln!(text, "   {date}   {:>7}  {:>7}  {:>14}", b.open, b.overdue, b.waiting);
            let _ = write!(
                html,
                "<tr><td style=\"padding:2px 8px\">{date}</td><td style=\"text-align:right;padding:2px 8px\">{}</td><td style=\"text-align:right;padding:2px 8px\">{}</td><td style=\"text-align:right;padding:2px 8px\">{}</td></tr>",
                b.open, b.overdue, b.waiting
            );
        }
        html.push_str("</tbody></table>");
    }
    let _ = writeln!(
        text,
        "   Bảng cảnh báo: {base}/\n\n-- \nLắng Nghe · Chủ động nắm bắt · Chủ động xử lý · Chủ động cung cấp thông tin"
    );
    let _ = write!(
        html,
        "<p><a href=\"{}\">Mở bảng cảnh báo</a></p><hr><p><small>Lắng Nghe · Chủ động nắm bắt · Chủ động xử lý · Chủ động cung cấp thông tin</small></p></body></html>",
        attr(&format!("{base}/"))
    );
    Digest { subject, text, html }
}

fn health_day_when(d: &HealthDayItem) -> String {
    let dates = if d.start == d.end {
        d.start.format("%d/%m").to_string()
    } else {
        format!("{} – {}", d.start.format("%d/%m"), d.end.format("%d/%m"))
    };
    match d.days_until {
        0 => format!("{dates}, đang diễn ra"),
        1 => format!("{dates}, ngày mai"),
        n => format!("{dates}, còn {n} ngày"),
    }
}

fn mailbox(address: &str) -> Result<Mailbox, Error> {
    address.parse().map_err(|e: lettre::address::AddressError| Error::Address {
        address: address.to_owned(),
        message: e.to_string(),
    })
}

/// Formats the digest as an RFC 5322 message (`multipart/alternative`, UTF-8).
pub fn to_message(digest: &Digest, from: &str, to: &[String]) -> Result<Vec<u8>, Error> {
    let mut builder =
        lettre::Message::builder().from(mailbox(from)?).subject(digest.subject.clone()).date_now();
    for address in to {
        builder = builder.to(mailbox(address)?);
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(digest.text.clone(), digest.html.clone()))
        .map_err(|e| Error::Build(e.to_string()))?;
    Ok(message.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use model::{AlertState, NewDocument};

    fn doc(id: i64, title: &str) -> Document {
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap();
        Document {
            id,
            source_name: "Báo <A>".into(),
            doc: NewDocument {
                source_id: 1,
                url: format!("https://a.vn/{id}"),
                title: title.into(),
                summary: String::new(),
                body: String::new(),
                author: None,
                published_at: Some(t),
                fetched_at: t,
                language: "vi".into(),
                content_hash: id.to_string(),
                post: None,
            },
            revision: 0,
            revised_at: None,
        }
    }

    #[test]
    fn digest_has_both_parts_and_escapes_titles() {
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap();
        let alert = Alert {
            id: 1,
            kind: RuleKind::Rumor,
            rule_id: "rumor.x".into(),
            subject: "rule".into(),
            rule_title: "Thần dược".into(),
            severity: Severity::High,
            state: AlertState::New,
            first_seen: t,
            last_seen: t,
            doc_count: 2,
            last_document_id: 7,
            detail: None,
            handling: Default::default(),
        };
        let input = DigestInput {
            date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            alerts: vec![AlertItem {
                alert, document: doc(7, "Thần dược <script>x</script>")
            }],
            top: vec![(doc(8, "Sốt xuất huyết tăng"), vec![])],
            dashboard_url: "http://127.0.0.1:8080/".into(),
            health_days: vec![
                HealthDayItem {
                    title: "Tháng hành động quốc gia phòng, chống HIV/AIDS".into(),
                    start: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
                    end: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
                    days_until: 0,
                    related: vec!["HIV/AIDS".into()],
                },
                HealthDayItem {
                    title: "Ngày <Thế giới> phòng, chống AIDS".into(),
                    start: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                    end: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                    days_until: 11,
                    related: vec![],
                },
            ],
            backlog: vec![
                OpenOnDay {
                    date: NaiveDate::from_ymd_opt(2026, 11, 19).unwrap(),
                    open: 4,
                    overdue: 2,
                    waiting: 3,
                },
                OpenOnDay {
                    date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                    open: 5,
                    overdue: 1,
                    waiting: 2,
                },
            ],
        };
        let d = compose(&input);
        assert!(d.text.contains("4. CUNG CẤP THÔNG TIN: NGÀY SỨC KHỎE SẮP TỚI"), "{}", d.text);
        assert!(
            d.text.contains(
                "Cuối ngày 20/11/2026: 5 cảnh báo đang mở, 1 quá hạn, 2 chưa được tiếp nhận."
            ),
            "{}",
            d.text
        );
        assert!(d.text.contains("   19/11         4        2               3\n"), "{}", d.text);
        assert!(d.html.contains("<td style=\"padding:2px 8px\">20/11</td>"));
        let mut unknown = input.clone();
        unknown.backlog.clear();
        assert!(compose(&unknown).text.contains("Chưa có số liệu xử lý của ngày này."));
        assert!(d.text.contains(
            "Tháng hành động quốc gia phòng, chống HIV/AIDS – 10/11 – 10/12, đang diễn ra\n     Theo dõi: HIV/AIDS"
        ));
        assert!(d.text.contains("Ngày <Thế giới> phòng, chống AIDS – 01/12, còn 11 ngày"));
        assert!(d.html.contains("Ngày &lt;Thế giới&gt; phòng, chống AIDS"));
        assert_eq!(
            d.subject,
            "Lắng Nghe – Bản tin ngày 20/11/2026: 1 cảnh báo, 1 tin y tế nổi bật"
        );
        assert!(d.text.contains("[Cao] Tin đồn – Thần dược: Thần dược <script>x</script>"));
        assert!(d.text.contains("09:00 20/11"), "times are shown in Vietnam: {}", d.text);
        assert!(
            d.html.contains("Thần dược &lt;script&gt;x&lt;/script&gt;")
                && !d.html.contains("<script>")
        );
        assert!(d.html.contains("Báo &lt;A&gt;"));
        let eml = String::from_utf8(
            to_message(&d, "langnghe@localhost", &["lanhdao@soyte.invalid".into()]).unwrap(),
        )
        .unwrap();
        assert!(
            eml.contains("multipart/alternative")
                && eml.contains("text/plain")
                && eml.contains("text/html")
        );
        assert!(eml.contains("To: lanhdao@soyte.invalid"));
        assert!(to_message(&d, "not an address", &[]).is_err());
    }
}
