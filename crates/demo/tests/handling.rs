//! The demo's handling history in a real store: the handling figures computed from its
//! events are real (acknowledgements, decisions, responses, deadlines met and missed, rules
//! dismissed more than others), work is left waiting today, and a second run adds nothing.
#![allow(clippy::unwrap_used)]

use alerts::kpi::Period;
use chrono::{Duration, TimeZone, Utc};
use demo::handling::{DAYS, replay};
use model::Timestamp;
use store::Store;

async fn replayed(now: Timestamp) -> (tempfile::TempDir, Store, demo::handling::Replayed) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let out = replay(&store, now).await.unwrap();
    (dir, store, out)
}

#[tokio::test]
async fn the_figures_of_the_demo_come_from_its_events() {
    // A Wednesday afternoon, and now.
    for now in [Utc.with_ymd_and_hms(2026, 12, 9, 8, 0, 0).unwrap(), Utc::now()] {
        let (_dir, store, out) = replayed(now).await;
        assert!(!out.skipped);
        assert!(out.alerts >= 60, "{out:?}");
        assert!(out.acknowledged > 0 && out.responded > 0 && out.dismissed > 0, "{out:?}");

        let period = Period { from: now - Duration::days(DAYS + 1), to: now };
        let k = store.handling_figures(period, now).await.unwrap();
        assert_eq!(k.counts.opened, out.alerts, "{now}");
        assert_eq!(k.counts.acknowledged, out.acknowledged, "{now}");
        assert_eq!(k.counts.responded, out.responded, "{now}");
        assert!(k.tta.count > 0 && k.tta.median.is_some(), "{now}");
        assert!(k.ttdec.count > 0 && k.ttr.count > 0 && k.ttd.count > 0, "{now}");
        let met: usize = k.sla.iter().map(|c| c.met).sum();
        let missed: usize = k.sla.iter().map(|c| c.missed).sum();
        assert!(met > missed && missed > 0, "{now}: {met} met, {missed} missed");
        // Chain messages are dismissed far more often than fake official documents.
        let rate =
            |rule: &str| k.dismissals.iter().find(|d| d.rule_id == rule).map(|d| d.percent());
        assert!(k.dismissals.len() >= 5, "{now}");
        assert!(rate("rumor.tin-nhan-day-chuyen") > rate("rumor.gia-mao-co-quan-y-te"), "{now}");
        // Work is waiting, some of it late.
        let total = k.backlog.total();
        assert!(total.count > 0 && total.overdue > 0, "{now}: {total:?}");

        // The last week's backlog, day by day, as the digest shows it.
        let today = alerts::kpi::vn_date(now);
        let week = store.backlog_by_day(today - Duration::days(6), today).await.unwrap();
        assert_eq!(week.len(), 7);
        assert!(week.iter().all(|d| d.open > 0), "{week:?}");
        assert!(week.iter().any(|d| d.overdue > 0), "{week:?}");

        // Officers did the work; the history is recognised and not replayed twice.
        assert!(store.user_by_name("can-bo-lan").await.unwrap().is_some());
        let again = replay(&store, now + Duration::hours(1)).await.unwrap();
        assert!(again.skipped);
        let after = store.handling_figures(period, now).await.unwrap();
        assert_eq!(after.counts, k.counts);
    }
}
