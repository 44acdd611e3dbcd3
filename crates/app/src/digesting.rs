//! Gathering one day's digest from the store: the day's alerts and top documents, and the
//! open, overdue and unacknowledged alerts at the end of each of the last seven days,
//! reconstructed from the alerts' events so a digest of a past day counts that day.

use chrono::{Duration, NaiveDate};
use store::Store;

/// Days of the handling series the digest shows, its own day included.
const SERIES_DAYS: i64 = 7;

/// The digest of Vietnam day `date`.
pub(crate) async fn gather(
    store: &Store,
    date: NaiveDate,
    dashboard_url: String,
    health_days: Vec<digest::HealthDayItem>,
) -> Result<digest::DigestInput, store::Error> {
    let to = alerts::kpi::vn_day_end(date);
    let from = to - Duration::days(1);
    let alerts = store
        .alert_board(Some((from, to)), 100)
        .await?
        .into_iter()
        .map(|e| digest::AlertItem { alert: e.alert, document: e.document })
        .collect();
    let top = store.top_documents_between(from, to, 15).await?;
    let backlog = store
        .backlog_by_day(date - Duration::days(SERIES_DAYS - 1), date)
        .await?
        .into_iter()
        .map(|d| digest::OpenOnDay {
            date: d.date,
            open: d.open,
            overdue: d.overdue,
            waiting: d.new,
        })
        .collect();
    Ok(digest::DigestInput { date, alerts, top, dashboard_url, health_days, backlog })
}

#[cfg(test)]
mod tests {
    use alerts::triage::{Actor, Command};
    use chrono::{TimeZone, Utc};
    use model::{
        AlertState, Hit, MatchedTerm, NewDocument, Role, RuleKind, Severity, SourceKind,
        SourceTier, Timestamp,
    };
    use store::{NewSource, Processed};

    use super::*;

    /// Monday 7 December 2026 plus `days`, `h`:00 in Vietnam.
    fn at(days: i64, h: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 12, 6, 17, 0, 0).unwrap()
            + Duration::days(days)
            + Duration::hours(h)
    }

    async fn open(store: &Store, source: i64, rule: &str, when: Timestamp) -> i64 {
        let url = format!("https://a.vn/{rule}");
        let doc = NewDocument {
            source_id: source,
            url: url.clone(),
            title: "Tin nhắn cảnh báo khẩn, chia sẻ ngay".into(),
            summary: String::new(),
            body: format!("Nội dung {rule}."),
            author: None,
            published_at: Some(when),
            fetched_at: when,
            language: "vi".into(),
            content_hash: url,
            post: None,
        };
        let hit = Hit {
            rule_id: rule.into(),
            rule_title: "Tin nhắn dây chuyền gây hoang mang".into(),
            kind: RuleKind::Rumor,
            severity: Severity::Medium,
            terms: vec![MatchedTerm {
                field: "title", start: 0, end: 7, term: "tin nhắn".into()
            }],
        };
        store.insert_batch(&[Processed::new(doc, vec![hit])]).await.unwrap();
        let board = store.alert_board(None, 20).await.unwrap();
        board.iter().find(|e| e.alert.rule_id == rule).unwrap().alert.id
    }

    #[tokio::test]
    async fn a_past_day_counts_the_alerts_waiting_then_not_their_states_today() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
        let s = NewSource {
            name: "Báo A".into(),
            url: "http://127.0.0.1:1/a.xml".into(),
            kind: SourceKind::Feed,
            tier: SourceTier::Press,
            allow_private: true,
            ..NewSource::default()
        };
        let source = store.upsert_source(&s, at(0, 0)).await.unwrap().id;
        let officer = store.create_user("can-bo", "x", Role::Officer, at(0, 0)).await.unwrap();
        let me = Actor::User { id: officer.id, role: Role::Officer };
        // Two P3 alerts on Monday morning, acknowledged only on Wednesday afternoon: a
        // business day late.
        let a = open(&store, source, "rumor.a", at(0, 8)).await;
        let b = open(&store, source, "rumor.b", at(0, 9)).await;
        for id in [a, b] {
            store
                .act(id, &Command::Acknowledge { priority: None }, me, None, at(2, 14))
                .await
                .unwrap();
        }
        assert_eq!(store.alert(a).await.unwrap().state, AlertState::Acknowledged);

        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let day = |n| monday + Duration::days(n);
        let url = "http://127.0.0.1:8080".to_owned();
        let input = gather(&store, day(0), url.clone(), Vec::new()).await.unwrap();
        assert_eq!(input.alerts.len(), 2);
        let series: Vec<(NaiveDate, usize, usize, usize)> =
            input.backlog.iter().map(|d| (d.date, d.open, d.overdue, d.waiting)).collect();
        assert_eq!(series.len(), 7);
        assert_eq!(series[0], (day(-6), 0, 0, 0));
        // Monday's end: both waiting, neither late yet (one business day to acknowledge).
        assert_eq!(series[6], (day(0), 2, 0, 2));
        let text = digest::compose(&input).text;
        assert!(
            text.contains(
                "Cuối ngày 07/12/2026: 2 cảnh báo đang mở, 0 quá hạn, 2 chưa được tiếp nhận."
            ),
            "{text}"
        );

        // Tuesday's end: still waiting, and now past their deadline.
        let tuesday = gather(&store, day(1), url.clone(), Vec::new()).await.unwrap();
        assert_eq!(tuesday.backlog.last().map(|d| (d.open, d.overdue, d.waiting)), Some((2, 2, 2)));
        assert!(tuesday.alerts.is_empty(), "nothing new on Tuesday");
        let text = digest::compose(&tuesday).text;
        assert!(text.contains("2 cảnh báo đang mở, 2 quá hạn, 2 chưa được tiếp nhận."), "{text}");
        // The series of Wednesday's digest shows the days before it as they were.
        let wednesday = gather(&store, day(2), url, Vec::new()).await.unwrap();
        let last3: Vec<(usize, usize, usize)> =
            wednesday.backlog[4..].iter().map(|d| (d.open, d.overdue, d.waiting)).collect();
        assert_eq!(last3, [(2, 0, 2), (2, 2, 2), (2, 0, 0)]);
    }
}
