//! Handling figures on every configured back end: the open, overdue and unacknowledged
//! alerts of past days come from the events, not from today's states, and the figures of a
//! period read the alerts' first publication.

#![allow(clippy::unwrap_used)]

use alerts::kpi::Period;
use alerts::triage::{Actor, Command};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use model::{
    DismissReason, Hit, MatchedTerm, NewDocument, Role, RuleKind, Severity, SourceKind, SourceTier,
    Timestamp,
};
use store::{NewSource, Processed, Store};

/// Monday 7 December 2026, `h`:00 in Vietnam, plus `days`.
fn at(days: i64, h: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap() - Duration::hours(7)
        + Duration::days(days)
        + Duration::hours(h)
}

fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
}

async fn each_store(f: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::stores(dir.path()).await {
        f(name, store.clone()).await;
        store.close().await;
    }
}

/// Opens an alert of rule `rule` (high severity: P2) with one document fetched at `when`
/// and published half an hour before.
async fn open(store: &Store, source: i64, rule: &str, when: Timestamp) -> i64 {
    let url = format!("https://a.vn/{rule}");
    let doc = NewDocument {
        source_id: source,
        url: url.clone(),
        title: "Lá đu đủ chữa khỏi sốt xuất huyết".into(),
        summary: String::new(),
        body: format!("Tin đồn {rule}."),
        author: None,
        published_at: Some(when - Duration::minutes(30)),
        fetched_at: when,
        language: "vi".into(),
        content_hash: url.clone(),
        post: None,
    };
    let hit = Hit {
        rule_id: rule.into(),
        rule_title: format!("Tin đồn {rule}").into(),
        kind: RuleKind::Rumor,
        severity: Severity::High,
        terms: vec![MatchedTerm { field: "title", start: 0, end: 9, term: "lá đu đủ".into() }],
    };
    store.insert_batch(&[Processed::new(doc, vec![hit])]).await.unwrap();
    let board = store.alert_board(None, 50).await.unwrap();
    board.iter().find(|e| e.alert.rule_id == rule).unwrap().alert.id
}

#[tokio::test]
async fn open_and_overdue_alerts_of_past_days_come_from_the_events() {
    each_store(async |backend, store| {
        let s = NewSource {
            name: "Báo A".into(),
            url: "http://127.0.0.1:1/a.xml".into(),
            kind: SourceKind::Feed,
            tier: SourceTier::Press,
            allow_private: true,
            ..NewSource::default()
        };
        let source = store.upsert_source(&s, at(0, 0)).await.unwrap().id;
        let u = store.create_user("can-bo", "x", Role::Officer, at(0, 0)).await.unwrap();
        let me = Actor::User { id: u.id, role: Role::Officer };
        let ack = Command::Acknowledge { priority: None };
        // A: Monday 09:00, due 11:00, acknowledged only on Wednesday 09:00.
        let a = open(&store, source, "rumor.a", at(0, 9)).await;
        // B: Monday 10:00, dismissed at 15:00.
        let b = open(&store, source, "rumor.b", at(0, 10)).await;
        store
            .act(b, &Command::Dismiss { reason: DismissReason::NotRelevant }, me, None, at(0, 15))
            .await
            .unwrap();
        // C: Tuesday 09:00, acknowledged at once; to be decided by Wednesday 09:00 (one
        // business day), and never decided.
        let c = open(&store, source, "rumor.c", at(1, 9)).await;
        store.act(c, &ack, me, None, at(1, 9)).await.unwrap();
        store.act(a, &ack, me, None, at(2, 9)).await.unwrap();

        let days = store.backlog_by_day(monday(), monday() + Duration::days(3)).await.unwrap();
        let got: Vec<(NaiveDate, usize, usize, usize)> =
            days.iter().map(|d| (d.date, d.open, d.overdue, d.new)).collect();
        let day = |n| monday() + Duration::days(n);
        assert_eq!(
            got,
            [
                // Monday: A waits past its deadline; B is dismissed.
                (day(0), 1, 1, 1),
                // Tuesday: A still waits; C is acknowledged and within its time.
                (day(1), 2, 1, 1),
                // Wednesday: A is acknowledged (decision due Thursday 09:00); C is late.
                (day(2), 2, 1, 0),
                (day(3), 2, 2, 0),
            ],
            "{backend}"
        );
        assert_eq!(store.open_alerts_on(day(0)).await.unwrap(), 1, "{backend}");
        assert_eq!(store.overdue_alerts_on(day(3)).await.unwrap(), 2, "{backend}");
        // Before anything was opened.
        assert_eq!(store.open_alerts_on(day(-1)).await.unwrap(), 0, "{backend}");

        let k = store
            .handling_figures(Period { from: at(0, 0), to: at(7, 0) }, at(3, 12))
            .await
            .unwrap();
        assert_eq!(k.counts.opened, 3, "{backend}");
        // Each published half an hour before it was fetched.
        assert_eq!(k.ttd.median, Some(Duration::minutes(30)), "{backend}");
        // A in 48 hours, C at once.
        assert_eq!(k.tta.count, 2, "{backend}");
        assert_eq!(k.tta.median, Some(Duration::hours(24)), "{backend}");
        assert_eq!(k.dismissals.len(), 1, "{backend}");
        assert_eq!(k.backlog.total().count, 2, "{backend}");

        // A period after Monday still sees A, which was open throughout it.
        let (facts, _) = store.handling_history(at(1, 0), at(2, 0)).await.unwrap();
        let ids: Vec<i64> = facts.iter().map(|f| f.id).collect();
        assert_eq!(ids, [a, c], "{backend}: B was dismissed before the period");
    })
    .await;
}
