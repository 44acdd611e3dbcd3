//! A full day's digest input, shared by the tests: alerts of every priority (one listed
//! twice), a spike with its series, stories, a queue, handled alerts, responses, correction
//! tracking and health days (one of them given twice, as the calendar's day-and-month
//! entries give it).

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use digest::{
    Audience, Correction, Coverage, DigestInput, Handled, HealthDayItem, IssuedResponse, Medians,
    NewAlert, OpenOnDay, Queue, QueueItem, QueuePart, Spike, TopStory,
};
use model::{AlertAction, AlertState, Priority, ResponseChannel, RuleKind, Timestamp};

pub(crate) const PUBLIC: &str = "https://langnghe.soyte.example.vn/";

pub(crate) fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// A Vietnam wall-clock time on 20 November 2026.
pub(crate) fn at(h: u32, min: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, h, min, 0).unwrap() - Duration::hours(7)
}

fn alert(id: i64, priority: Priority, rule: &str, title: &str, h: u32) -> NewAlert {
    NewAlert {
        id,
        priority,
        kind: RuleKind::Rumor,
        rule_title: rule.into(),
        title: title.into(),
        source: "Báo <Sức khỏe>".into(),
        opened_at: at(h, 15),
        documents: 3,
        state: AlertState::New,
    }
}

fn queued(id: i64, title: &str, overdue: bool) -> QueueItem {
    QueueItem {
        id,
        priority: Priority::P2,
        rule_title: "Tin nhắn dây chuyền".into(),
        title: title.into(),
        state: AlertState::Acknowledged,
        due: Some(at(if overdue { 8 } else { 17 }, 0)),
        overdue,
        assignee: Some("lan".into()),
    }
}

pub(crate) fn input(audience: Audience) -> DigestInput {
    let mut i = DigestInput::empty(date(11, 20), audience, PUBLIC, at(23, 0));
    i.recipient = (audience == Audience::Officer).then(|| "lan".to_owned());
    let p3 = alert(3, Priority::P3, "Chủ đề sốt xuất huyết", "Sốt xuất huyết tăng ở Đồng Nai", 9);
    i.new_alerts = vec![
        p3.clone(),
        alert(
            1,
            Priority::P1,
            "Giả mạo văn bản Sở Y tế",
            "Công văn giả <script>alert(1)</script>",
            10,
        ),
        alert(2, Priority::P2, "Thần dược", "Lá xạ đen chữa khỏi ung thư", 8),
        p3,
    ];
    i.spikes = vec![Spike {
        alert_id: 40,
        topic: "Sốt xuất huyết".into(),
        area: "Đồng Nai".into(),
        series: (0..14)
            .map(|k| (date(11, 7) + Duration::days(k), if k == 13 { 9 } else { k % 3 }))
            .collect(),
    }];
    let story = |id, title: &str, outlets| TopStory {
        id,
        title: title.into(),
        origin: "Báo Đồng Nai".into(),
        outlets,
        documents: outlets + 2,
        topics: vec!["Sốt xuất huyết".into()],
    };
    i.stories = vec![
        story(11, "Ca sốt xuất huyết tăng gấp đôi", 7),
        story(12, "Bệnh viện quá tải", 4),
        story(11, "Ca sốt xuất huyết tăng gấp đôi", 7),
    ];
    i.backlog = (0..7)
        .map(|k| OpenOnDay {
            date: date(11, 14) + Duration::days(k),
            open: 4 + k as usize,
            overdue: 1,
            waiting: 2,
        })
        .collect();
    i.handled = vec![Handled {
        id: 7,
        priority: Priority::P2,
        rule_title: "Thần dược".into(),
        action: AlertAction::Respond,
        at: at(15, 30),
        to_acknowledge: Some(Duration::minutes(45)),
        to_decide: Some(Duration::minutes(80)),
        to_respond: Some(Duration::hours(6)),
    }];
    i.medians = Medians {
        acknowledge: Some(Duration::minutes(45)),
        decide: Some(Duration::minutes(80)),
        respond: Some(Duration::hours(6)),
    };
    i.queue = (audience == Audience::Officer).then(|| Queue {
        mine: QueuePart { items: vec![queued(21, "Tin nhắn khẩn", false)], total: 1 },
        unassigned: QueuePart { items: vec![queued(22, "Chia sẻ ngay", false)], total: 3 },
        overdue: QueuePart { items: vec![queued(23, "Cảnh báo giả", true)], total: 1 },
    });
    i.responses = vec![IssuedResponse {
        alert_id: 7,
        rule_title: "Thần dược".into(),
        channel: ResponseChannel::PressRelease,
        published_at: at(15, 0),
        text: "Sở Y tế khẳng định lá xạ đen không chữa khỏi ung thư.".into(),
        url: Some("https://soyte.example.vn/thong-cao".into()),
    }];
    i.corrections = vec![Correction {
        alert_id: 7,
        rule_title: "Thần dược".into(),
        outlets: 4,
        corrected: 2,
        remedied: 3,
        outstanding: vec!["Trang <Mẹo vặt>".into()],
        finished: false,
    }];
    let aids = |end, related: &str| HealthDayItem {
        title: "Ngày Thế giới phòng, chống AIDS và Tháng hành động quốc gia phòng, chống HIV/AIDS"
            .into(),
        start: date(12, 1),
        end,
        days_until: 11,
        related: vec![related.into()],
        coverage: Some(Coverage { since: date(11, 1), documents: 12, stories: 8, outlets: 5 }),
        planned: Some("Thông điệp: xét nghiệm HIV miễn phí tại <các> trạm y tế.".into()),
    };
    i.health_days = vec![
        aids(date(12, 1), "HIV/AIDS"),
        aids(date(12, 31), "Tình dục an toàn"),
        HealthDayItem {
            title: "Ngày Thế giới phòng, chống đái tháo đường".into(),
            start: date(11, 14),
            end: date(11, 14),
            days_until: 0,
            related: vec![],
            coverage: None,
            planned: None,
        },
    ];
    i
}
