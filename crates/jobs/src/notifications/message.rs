//! What an alert notification says, on each channel: pure functions of the event, the
//! alert and the subscription, no IO.
//!
//! * E-mail: `[P1] Khủng hoảng: … — Lắng Nghe`, a plain-text part and a small HTML part,
//!   with an absolute link to the alert page; the Message-ID comes from the outbox dedupe
//!   key, so a message written twice would carry the same one.
//! * Webhook: `{type, id, created_at, data: {…, dashboard_url}}`, signed by `notify` when it
//!   is sent.
//! * Zalo: the headline and the link only (the message limit, and what a chat app should
//!   carry of an unverified claim: nothing).

use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};
use model::{AlertEvent, AlertState, Channel, Priority, RuleKind, Subscriber, Timestamp};
use store::{AlertFacts, NewOutgoing};

use crate::notifications::decide::Notice;

/// What every message needs beyond the event: where the dashboard is, and who sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// The dashboard's public address, for absolute links (`https://langnghe.soyte.vn`).
    pub public_url: String,
    /// The e-mail sender (`Lắng Nghe <langnghe@soyte.example.vn>`).
    pub from: String,
}

impl Letterhead {
    fn base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// The absolute address of a dashboard path.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// A Message-ID for the outbox message `dedupe_key`: stable, and unique per message.
    pub fn message_id(&self, dedupe_key: &str) -> String {
        let left: String = dedupe_key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '.' })
            .collect();
        let host = url_host(&self.public_url).unwrap_or("langnghe.invalid");
        format!("<{}.langnghe@{host}>", left.trim_matches('.'))
    }
}

/// The host of an absolute URL, without port, credentials or path.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if host.starts_with('[') { host } else { host.split(':').next()? };
    (!host.is_empty() && !host.starts_with('[')).then_some(host)
}

/// A kind of alert in Vietnamese.
pub fn kind_label(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Topic => "Chủ đề",
        RuleKind::Rumor => "Tin đồn",
        RuleKind::Watch => "Theo dõi",
        RuleKind::Crisis => "Khủng hoảng",
        RuleKind::Spike => "Tăng đột biến",
        RuleKind::Suspicion => "Nghi vấn tin giả",
    }
}

/// `P1`, `P2` or `P3`.
fn short(p: Priority) -> String {
    p.as_str().to_uppercase()
}

/// What happened, in a few words, before the alert's title.
pub fn headline(event: &AlertEvent, notice: Notice, facts: &AlertFacts) -> String {
    let title = &facts.alert.rule_title;
    let what = match notice {
        Notice::Opened => kind_label(facts.alert.kind).to_owned(),
        Notice::Regrown => "Tự mở lại do lan rộng".to_owned(),
        Notice::StateChanged if event.to == AlertState::New => "Mở lại".to_owned(),
        Notice::StateChanged => event.to.label().to_owned(),
        Notice::Escalated(Some(to)) => format!("Đã báo cáo {}", to.label()),
        Notice::Escalated(None) => "Đã báo cáo cấp trên".to_owned(),
        Notice::Deadline { kind, percent } => {
            let step = kind.label().to_lowercase();
            match percent {
                p if p < 100 => format!("Sắp hết hạn {step} ({p}%)"),
                100 => format!("Quá hạn {step}"),
                p => format!("Quá hạn {step} ({p}%)"),
            }
        }
        Notice::Assigned { .. } => "Bạn được phân công xác minh".to_owned(),
        Notice::PriorityRaised { .. } => {
            format!("Nâng mức ưu tiên lên {}", short(facts.alert.handling.priority))
        }
    };
    format!("{what}: {title}")
}

/// The e-mail subject: `[P1] Khủng hoảng: Ngộ độc tập thể — Lắng Nghe`.
pub fn subject(event: &AlertEvent, notice: Notice, facts: &AlertFacts) -> String {
    format!(
        "[{}] {} — Lắng Nghe",
        short(facts.alert.handling.priority),
        headline(event, notice, facts)
    )
}

fn provinces(facts: &AlertFacts) -> String {
    facts
        .provinces
        .iter()
        .map(|code| gazetteer::unit(code).map_or_else(|| code.clone(), |u| u.short.to_owned()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn vn_time(t: Timestamp) -> String {
    model::to_vn_time(t).format("%H:%M %d/%m/%Y").to_string()
}

/// The lines of fact every channel but Zalo carries: (label, value).
fn facts_lines(event: &AlertEvent, facts: &AlertFacts) -> Vec<(&'static str, String)> {
    let a = &facts.alert;
    let mut lines = vec![
        ("Mức ưu tiên", a.handling.priority.label().to_owned()),
        ("Loại", kind_label(a.kind).to_owned()),
        ("Trạng thái", a.state.label().to_owned()),
    ];
    if !facts.provinces.is_empty() {
        lines.push(("Tỉnh/thành", provinces(facts)));
    }
    if !facts.latest_title.is_empty() {
        let from = if facts.latest_source.is_empty() {
            String::new()
        } else {
            format!(" ({})", facts.latest_source)
        };
        lines.push(("Tin mới nhất", format!("{}{from}", facts.latest_title)));
    }
    lines.push(("Số tài liệu", a.doc_count.to_string()));
    if let Some((_, name)) = &a.handling.assignee {
        lines.push(("Người xác minh", name.clone()));
    }
    if let Some((_, name)) = &event.actor {
        lines.push(("Người thực hiện", name.clone()));
    }
    if let Some(note) = event.note.as_deref().filter(|n| !n.trim().is_empty()) {
        lines.push(("Ghi chú", note.trim().to_owned()));
    }
    lines.push(("Thời điểm", format!("{} (giờ Việt Nam)", vn_time(event.at))));
    lines
}

/// The dedupe key of the message for `event` to subscription `subscription`.
pub fn dedupe_key(event_id: i64, subscription: i64) -> String {
    format!("event:{event_id}:sub:{subscription}")
}

/// The webhook payload of an event.
pub fn webhook_payload(
    event: &AlertEvent,
    notice: Notice,
    facts: &AlertFacts,
    letterhead: &Letterhead,
) -> serde_json::Value {
    let a = &facts.alert;
    let mut data = serde_json::json!({
        "alert_id": a.id,
        "title": a.rule_title,
        "rule_id": a.rule_id,
        "kind": a.kind.as_str(),
        "priority": a.handling.priority.as_str(),
        "severity": a.severity.as_str(),
        "state": a.state.as_str(),
        "action": event.action.as_str(),
        "from_state": event.from.as_str(),
        "to_state": event.to.as_str(),
        "provinces": facts.provinces,
        "documents": a.doc_count,
        "headline": headline(event, notice, facts),
        "dashboard_url": letterhead.link(&format!("/alerts/{}", a.id)),
    });
    match notice {
        Notice::Deadline { kind, percent } => {
            data["deadline"] = kind.as_str().into();
            data["percent"] = percent.into();
        }
        Notice::Escalated(to) => data["escalated_to"] = to.map(|t| t.as_str()).into(),
        Notice::Assigned { user } => data["assignee_id"] = user.into(),
        Notice::PriorityRaised { from } => data["previous_priority"] = from.as_str().into(),
        Notice::Opened | Notice::Regrown | Notice::StateChanged => {}
    }
    serde_json::json!({
        "type": notice.event_type(),
        "id": format!("evt_{}", event.id),
        "created_at": event.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
}

/// Why a message could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the message for subscription {subscription}: {message}")]
pub struct ComposeError {
    /// The subscription.
    pub subscription: i64,
    /// Why.
    pub message: String,
}

/// The message telling `subscriber` of `event`.
pub fn message(
    event: &AlertEvent,
    notice: Notice,
    facts: &AlertFacts,
    subscriber: &Subscriber,
    letterhead: &Letterhead,
) -> Result<NewOutgoing, ComposeError> {
    let sub = &subscriber.subscription;
    let key = dedupe_key(event.id, sub.id);
    let subject = subject(event, notice, facts);
    let link = letterhead.link(&format!("/alerts/{}", facts.alert.id));
    let body = match sub.settings.channel {
        Channel::Email => {
            let lines = facts_lines(event, facts);
            let headline = headline(event, notice, facts);
            let settings = letterhead.link("/notifications");
            let mut text = format!("{headline}\n\n");
            for (label, value) in &lines {
                text.push_str(&format!("{label}: {value}\n"));
            }
            text.push_str(&format!(
                "\nXem và xử lý: {link}\n\n-- \nLắng Nghe. Bạn nhận thư này theo đăng ký nhận \
                 thông báo của tài khoản {}; thay đổi tại {settings}\n",
                subscriber.user.name
            ));
            let mut html = format!(
                "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"></head>\
                 <body style=\"font-family:Arial,sans-serif;font-size:15px;color:#1a1a1a\">\
                 <p style=\"font-size:17px\"><strong>{}</strong></p><table cellpadding=\"3\">",
                esc(&headline)
            );
            for (label, value) in &lines {
                html.push_str(&format!(
                    "<tr><td style=\"color:#555\">{}</td><td>{}</td></tr>",
                    esc(label),
                    esc(value)
                ));
            }
            html.push_str(&format!(
                "</table><p><a href=\"{}\">Xem và xử lý cảnh báo</a></p>\
                 <p style=\"color:#777;font-size:13px\">Lắng Nghe. Bạn nhận thư này theo đăng ký \
                 nhận thông báo của tài khoản {}; <a href=\"{}\">thay đổi cách nhận</a>.</p>\
                 </body></html>",
                attr(&link),
                esc(&subscriber.user.name),
                attr(&settings)
            ));
            notify::email::compose(
                &letterhead.from,
                &sub.settings.target,
                &subject,
                &text,
                Some(&html),
                &letterhead.message_id(&key),
            )
            .map_err(|e| ComposeError { subscription: sub.id, message: e.to_string() })?
        }
        Channel::Webhook => {
            webhook_payload(event, notice, facts, letterhead).to_string().into_bytes()
        }
        Channel::Zalo => format!(
            "[{}] {}\nXem: {link}",
            short(facts.alert.handling.priority),
            headline(event, notice, facts)
        )
        .into_bytes(),
    };
    Ok(NewOutgoing {
        dedupe_key: key,
        kind: notice.outbox_kind().to_owned(),
        channel: sub.settings.channel,
        recipient: sub.settings.target.clone(),
        subject,
        body,
    })
}

/// A message that only says the subscription works ("Gửi thử" on the notifications page),
/// on the subscription's channel.
pub fn test_message(
    subscription: &model::Subscription,
    user_name: &str,
    letterhead: &Letterhead,
    now: Timestamp,
) -> Result<NewOutgoing, ComposeError> {
    let s = &subscription.settings;
    let key = format!("test:{}:{}", subscription.id, now.timestamp_millis());
    let subject = "Thư thử — Lắng Nghe".to_owned();
    let settings = letterhead.link("/notifications");
    let line = format!(
        "Đây là thư thử của Lắng Nghe cho tài khoản {user_name}, gửi lúc {} (giờ Việt Nam): \
         kênh {} đến {} hoạt động.",
        vn_time(now),
        s.channel.label(),
        s.target
    );
    let body = match s.channel {
        Channel::Email => {
            let text = format!("{line}\n\nThay đổi cách nhận thông báo: {settings}\n");
            let html = format!(
                "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"></head><body>\
                 <p>{}</p><p><a href=\"{}\">Thay đổi cách nhận thông báo</a></p></body></html>",
                esc(&line),
                attr(&settings)
            );
            notify::email::compose(
                &letterhead.from,
                &s.target,
                &subject,
                &text,
                Some(&html),
                &letterhead.message_id(&key),
            )
            .map_err(|e| ComposeError { subscription: subscription.id, message: e.to_string() })?
        }
        Channel::Webhook => serde_json::json!({
            "type": "test",
            "id": format!("test_{}_{}", subscription.id, now.timestamp_millis()),
            "created_at": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": { "message": line, "dashboard_url": settings },
        })
        .to_string()
        .into_bytes(),
        Channel::Zalo => format!("{line}\nXem: {settings}").into_bytes(),
    };
    Ok(NewOutgoing {
        dedupe_key: key,
        kind: "test".to_owned(),
        channel: s.channel,
        recipient: s.target.clone(),
        subject,
        body,
    })
}
