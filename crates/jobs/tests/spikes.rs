//! Spike scans against a real store (SQLite, and PostgreSQL when
//! `LANGNGHE_TEST_POSTGRES_URL` is set): sixty quiet days of a topic in Hà Nội, then a
//! burst of stories in Hồ Chí Minh City today, over the day or within hours; and days
//! with a daily rhythm, where only an hour out of its rhythm is a spike.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, TimeZone, Utc};
use jobs::{SpikeConfig, scan_spikes};
use model::{
    Alert, DocumentPlaces, Hit, MatchedTerm, NewDocument, RuleKind, Severity, SourceKind,
    SourceTier, Timestamp,
};
use rules::RuleSet;
use serde_json::Value;
use signals::{Area, Bucket, Method, Params, Series, SeriesKey};
use store::{NewSource, Processed, Store};

const HISTORY: i64 = 60;

/// 15:00 on 20 November 2026 in Vietnam: the day under way.
fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap()
}

/// Midnight (Vietnam) of the day `back` days before today.
fn day(back: i64) -> Timestamp {
    Bucket::Day.unit_start(Bucket::Day.unit_of(now()) - back)
}

/// Topics X and Y and a rumour; `x_tags` is a `tags = […]` line for X, `extra` more tables.
fn rules(x_tags: &str, extra: &str) -> RuleSet {
    let text = format!(
        r#"
[pack]
title = "test"

[[rules]]
id = "topic.x"
kind = "topic"
title = "Sốt xuất huyết"
severity = "low"
query = "sốt"
match = ["sốt cao"]
{x_tags}

[[rules]]
id = "topic.y"
kind = "topic"
title = "Tay chân miệng"
severity = "low"
query = "tay"
match = ["tay chân"]

[[rules]]
id = "rumor.z"
kind = "rumor"
title = "Tin đồn"
severity = "high"
query = "đồn"
match = ["tin đồn"]
{extra}
"#
    );
    let (set, diags) = RuleSet::from_pack(Path::new("test.toml"), &text);
    assert!(diags.is_empty(), "{diags:?}");
    set
}

fn topic_hit(rule: &str) -> Hit {
    Hit {
        rule_id: rule.into(),
        rule_title: rule.into(),
        kind: RuleKind::Topic,
        severity: Severity::Low,
        terms: vec![MatchedTerm { field: "title", start: 0, end: 3, term: "sốt".into() }],
    }
}

struct World {
    store: Store,
    sources: Vec<i64>,
    next: i64,
}

impl World {
    async fn new(store: Store) -> World {
        let mut sources = Vec::new();
        for i in 0..5 {
            let s = NewSource {
                name: format!("Báo {i}"),
                url: format!("http://127.0.0.1:1/{i}.xml"),
                kind: SourceKind::Feed,
                tier: SourceTier::Press,
                interval_secs: 300,
                allow_private: true,
                ..NewSource::default()
            };
            sources.push(store.upsert_source(&s, day(HISTORY + 1)).await.unwrap().id);
        }
        World { store, sources, next: 0 }
    }

    /// A new story on `topic` in `province`, published at `at` by the outlets `outlets`
    /// (the first stores it, the others republish the same text): its id and document.
    async fn story(
        &mut self,
        topic: &str,
        province: &str,
        at: Timestamp,
        outlets: &[usize],
    ) -> (i64, i64) {
        self.next += 1;
        let story = self.next;
        let mut id = None;
        for (k, &o) in outlets.iter().enumerate() {
            let published = at + TimeDelta::minutes(10 * k as i64);
            let doc = NewDocument {
                source_id: self.sources[o],
                url: format!("https://{o}.vn/{story}"),
                title: format!("Tin {story}"),
                summary: String::new(),
                body: "Nội dung.".to_owned(),
                author: None,
                published_at: Some(published),
                // Fetched late, as history is: the publication time must count.
                fetched_at: now(),
                language: "vi".to_owned(),
                content_hash: format!("hash-{story}"),
                post: None,
            };
            let mut p = Processed::new(doc, vec![topic_hit(topic)]);
            p.places = DocumentPlaces { province: Some(province.to_owned()), places: Vec::new() };
            let stored =
                self.store.insert_batch_placed(&[p], &mut store::into_story(story)).await.unwrap();
            if let Some(i) = stored.inserted.first() {
                id = Some(i.id);
            }
        }
        (story, id.unwrap())
    }

    /// Two stories a day on topic X in Hà Nội (01) for the sixty days before today and
    /// today, each carried by two of four outlets.
    async fn history(&mut self) {
        for back in (0..=HISTORY).rev() {
            for k in 0..2 {
                let o = ((back as usize) + k) % 4;
                self.story(
                    "topic.x",
                    "01",
                    day(back) + TimeDelta::hours(6 + k as i64),
                    &[o, (o + 1) % 4],
                )
                .await;
            }
        }
    }

    /// Stories `ks` on `topic` in Hồ Chí Minh City (79) today, story `k` at 08:00 plus
    /// `20·k` minutes from outlet `k % 4`.
    async fn burst(&mut self, topic: &str, ks: std::ops::Range<usize>) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        for k in ks {
            let at = day(0) + TimeDelta::hours(8) + TimeDelta::minutes(20 * k as i64);
            out.push(self.story(topic, "79", at, &[k % 4]).await);
        }
        out
    }

    /// Stories on topic X in `province` at `at` plus `step·k` minutes, story `k` from
    /// outlet `k % outlets` alone: their (story, document) ids.
    async fn burst_at(
        &mut self,
        province: &str,
        at: Timestamp,
        n: usize,
        step: i64,
        outlets: usize,
    ) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        for k in 0..n {
            let when = at + TimeDelta::minutes(step * k as i64);
            out.push(self.story("topic.x", province, when, &[k % outlets]).await);
        }
        out
    }

    /// Hourly spike alerts (their subject names an hour), sorted by topic and subject.
    async fn hourly_spikes(&self) -> Vec<Alert> {
        self.spikes().await.into_iter().filter(is_hourly).collect()
    }

    async fn spikes(&self) -> Vec<Alert> {
        let mut all = self.store.spike_alerts(100).await.unwrap();
        all.sort_by(|a, b| (&a.rule_id, &a.subject).cmp(&(&b.rule_id, &b.subject)));
        all
    }
}

async fn each_store(f: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::stores(dir.path()).await {
        f(name, store.clone()).await;
        store.close().await;
    }
}

fn keys(alerts: &[Alert]) -> Vec<(&str, &str)> {
    alerts.iter().map(|a| (a.rule_id.as_str(), a.subject.as_str())).collect()
}

fn detail(alert: &Alert) -> Value {
    serde_json::from_str(alert.detail.as_deref().unwrap()).unwrap()
}

fn is_hourly(alert: &Alert) -> bool {
    alert.subject.rsplit(':').next().is_some_and(|w| w.contains('T'))
}

/// What the production detector says of the series "this hour of each day" with these
/// counts, oldest first, the last being today's: computed from the counts alone.
fn expected_hour(area: Area, counts: Vec<u32>) -> signals::Spike {
    let key = SeriesKey { topic: "topic.x".into(), area };
    let back = counts.len() as i64 - 1;
    let series = Series::from_counts(key, Bucket::Day, day(back), counts);
    signals::assess(&series, &Params::production(), None, day(-1)).unwrap()
}

/// What the production detector says of a daily series with these counts, oldest first,
/// the last being today: computed here from the counts alone, apart from the job.
fn expected_spike(area: Area, counts: Vec<u32>) -> signals::Spike {
    let key = SeriesKey { topic: "topic.x".into(), area };
    let series = Series::from_counts(key, Bucket::Day, day(HISTORY), counts);
    signals::assess(&series, &Params::production(), None, day(-1)).unwrap()
}

#[tokio::test]
async fn a_burst_in_one_province_raises_one_explained_alert_per_area_and_day() {
    each_store(async |backend, store| {
        let mut w = World::new(store).await;
        w.history().await;
        let burst = w.burst("topic.x", 0..12).await;
        let rules = rules("", "");
        let config = SpikeConfig::default();

        let report = scan_spikes(&w.store, &rules, &config, now()).await.unwrap();
        assert_eq!((report.opened, report.raised), (2, 2), "{backend}: {report:?}");
        let spikes = w.spikes().await;
        assert_eq!(
            keys(&spikes),
            [("topic.x", "spike:79:2026-11-20"), ("topic.x", "spike:national:2026-11-20")],
            "{backend}: the quiet province 01 must not alert"
        );

        // Hồ Chí Minh City: nothing before today, twelve stories from four outlets today.
        let hcm = &spikes[0];
        let d = detail(hcm);
        let mut counts = vec![0; HISTORY as usize];
        counts.push(12);
        let want = expected_spike(Area::Province("79".into()), counts);
        assert_eq!(d["observed"].as_f64(), Some(12.0), "{backend}: {d}");
        assert_eq!(d["expected"].as_f64(), Some(want.expected));
        assert_eq!(d["threshold"].as_f64(), Some(want.threshold));
        // The same-weekday baseline of seven zeros, the spread floor of 1, α/34.
        let by_hand = signals::qt(1.0 - 0.025 / 34.0, 6.0) * (8.0f64 / 7.0).sqrt();
        assert!((want.threshold - by_hand).abs() < 1e-9, "{} vs {by_hand}", want.threshold);
        assert_eq!(d["alpha"].as_f64(), Some(0.025 / 34.0));
        assert_eq!(
            (d["topic"].as_str(), d["topic_title"].as_str()),
            (Some("topic.x"), Some("Sốt xuất huyết"))
        );
        assert_eq!((d["area"].as_str(), d["bucket"].as_str()), (Some("79"), Some("day")));
        assert_eq!(d["province_name"].as_str(), gazetteer::unit("79").map(|u| u.name));
        assert_eq!(d["window_start"].as_str(), Some("2026-11-19T17:00:00+00:00"));
        assert_eq!(d["window_end"].as_str(), Some("2026-11-20T17:00:00+00:00"));
        assert_eq!(d["method"], "ears-t-reweighted");
        assert_eq!(d["method_version"], "ears-t-reweighted/1");
        let points = d["baseline"]["points"].as_array().unwrap();
        assert_eq!(points.len(), 7);
        assert_eq!(points[6]["start"].as_str(), Some("2026-11-12T17:00:00+00:00"), "same weekday");
        assert!(points.iter().all(|p| p["count"].as_f64() == Some(0.0)));
        let mut stories: Vec<i64> = burst.iter().map(|b| b.0).collect();
        stories.sort_unstable();
        assert_eq!(d["stories"], serde_json::json!(stories));
        assert_eq!(d["sources"], 4);
        assert_eq!(
            (d["health_day"].clone(), d["labels"].clone()),
            (Value::Null, serde_json::json!([]))
        );
        assert_eq!(hcm.kind, RuleKind::Spike);
        assert_eq!(hcm.rule_title, "Sốt xuất huyết");
        assert_eq!(hcm.severity, alerts::spike_severity(12.0, want.threshold));
        let docs: Vec<i64> = burst.iter().map(|b| b.1).collect();
        assert_eq!(hcm.doc_count, 12);
        assert_eq!(
            w.store.alert_document_ids(hcm.id).await.unwrap().into_iter().collect::<Vec<_>>(),
            docs
        );
        assert_eq!(hcm.last_document_id, *docs.last().unwrap(), "the latest document");

        // The country: two stories a day, fourteen today.
        let national = detail(&spikes[1]);
        let mut counts = vec![2; HISTORY as usize];
        counts.push(14);
        let want = expected_spike(Area::National, counts);
        assert_eq!(national["observed"].as_f64(), Some(14.0));
        assert_eq!(national["expected"].as_f64(), Some(2.0));
        assert_eq!(national["threshold"].as_f64(), Some(want.threshold));
        assert_eq!(national["province_name"], Value::Null);
        // Twelve documents in 79 and today's two in Hà Nội, each seen at two outlets.
        assert_eq!(spikes[1].doc_count, 12 + 2);

        // Scanning again changes nothing.
        let again =
            scan_spikes(&w.store, &rules, &config, now() + TimeDelta::minutes(15)).await.unwrap();
        assert_eq!(
            (again.opened, again.updated, again.unchanged),
            (0, 0, 2),
            "{backend}: {again:?}"
        );
        assert_eq!(w.spikes().await, spikes, "{backend}: a re-scan changed an alert");

        // Two more stories: the same alerts grow.
        let more = w.burst("topic.x", 12..14).await;
        let grown =
            scan_spikes(&w.store, &rules, &config, now() + TimeDelta::minutes(30)).await.unwrap();
        assert_eq!((grown.opened, grown.updated), (0, 2), "{backend}: {grown:?}");
        let after = w.spikes().await;
        assert_eq!(keys(&after), keys(&spikes));
        assert_eq!(after[0].id, hcm.id);
        assert_eq!(detail(&after[0])["observed"].as_f64(), Some(14.0));
        assert_eq!(after[0].doc_count, 14);
        assert_eq!(after[0].last_document_id, more[1].1);

        // The next morning the finished day is scanned again: the same alerts, unchanged.
        let tomorrow =
            scan_spikes(&w.store, &rules, &config, now() + TimeDelta::hours(18)).await.unwrap();
        assert_eq!(
            (tomorrow.opened, tomorrow.updated, tomorrow.unchanged),
            (0, 0, 2),
            "{backend}: {tomorrow:?}"
        );
        assert_eq!(w.spikes().await, after);
    })
    .await;
}

#[tokio::test]
async fn four_stories_never_alert() {
    each_store(async |backend, store| {
        let mut w = World::new(store).await;
        w.history().await;
        let rules = rules("", "");
        let config = SpikeConfig::default();
        // Topic Y was never in the news; four stories from four outlets today exceed its
        // national threshold (about 2.6), and the volume guard holds them back.
        w.burst("topic.y", 0..4).await;
        let report = scan_spikes(&w.store, &rules, &config, now()).await.unwrap();
        assert_eq!((report.raised, report.held), (0, 1), "{backend}: {report:?}");
        assert!(w.spikes().await.is_empty(), "{backend}");
        // A fifth story makes five from four outlets: the national spike is raised.
        w.burst("topic.y", 4..5).await;
        let report = scan_spikes(&w.store, &rules, &config, now()).await.unwrap();
        assert_eq!((report.raised, report.opened, report.held), (1, 1, 0), "{backend}: {report:?}");
        assert_eq!(keys(&w.spikes().await), [("topic.y", "spike:national:2026-11-20")]);
    })
    .await;
}

#[tokio::test]
async fn tags_and_health_days_with_the_configured_method() {
    each_store(async |backend, store| {
        let mut w = World::new(store).await;
        w.history().await;
        w.burst("topic.x", 0..12).await;
        // Topic X carries a tag, and a health day of that tag is under way today.
        let rules = rules(
            r#"tags = ["bệnh truyền nhiễm"]"#,
            r#"
[[days]]
id = "day.sxh"
title = "Ngày ASEAN phòng chống sốt xuất huyết"
when = "20/11"
lead_days = 7
tags = ["bệnh truyền nhiễm"]
source = "test"
"#,
        );
        let config = SpikeConfig {
            method: Method::Medisys,
            interval: Duration::from_secs(60),
            ..SpikeConfig::default()
        };
        let report = scan_spikes(&w.store, &rules, &config, now()).await.unwrap();
        assert_eq!(report.opened, 4, "{backend}: {report:?}");
        let spikes = w.spikes().await;
        assert_eq!(
            keys(&spikes),
            [
                ("tag:bệnh truyền nhiễm", "spike:79:2026-11-20"),
                ("tag:bệnh truyền nhiễm", "spike:national:2026-11-20"),
                ("topic.x", "spike:79:2026-11-20"),
                ("topic.x", "spike:national:2026-11-20"),
            ],
            "{backend}"
        );
        assert_eq!(spikes[0].rule_title, "bệnh truyền nhiễm");
        for alert in &spikes {
            let d = detail(alert);
            assert_eq!(d["method"], "medisys", "{backend}");
            assert_eq!(d["alpha"], Value::Null, "medisys has no α");
            assert_eq!(
                d["health_day"], "Ngày ASEAN phòng chống sốt xuất huyết",
                "{}",
                alert.rule_id
            );
            assert_eq!(d["labels"], serde_json::json!(["expected (campaign)"]));
            assert_eq!(d["baseline"]["points"].as_array().map(Vec::len), Some(14));
        }
        // MedISys: three times the 14-day average of two stories.
        assert_eq!(detail(&spikes[3])["threshold"].as_f64(), Some(6.0));
    })
    .await;
}

#[test]
fn the_default_configuration_scans_every_15_minutes_with_the_production_method() {
    let c = SpikeConfig::default();
    assert_eq!((c.interval, c.method), (Duration::from_secs(900), Method::EarsTReweighted));
    assert!(c.hourly, "hours are scanned by default");
    assert_eq!(c.params().unwrap(), Params::production());
    // Seven baseline days before yesterday, then yesterday and today.
    assert_eq!(jobs::hourly_days(&c.params().unwrap()), 9);
    let medisys = SpikeConfig { method: Method::Medisys, ..c };
    assert_eq!(jobs::hourly_days(&medisys.params().unwrap()), 16);
}

#[tokio::test]
async fn the_loop_scans_at_start_and_stops_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("t.db")).await.unwrap();
    let rules = Arc::new(rules("", ""));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let scans = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = scans.clone();
    let config = SpikeConfig { interval: Duration::from_secs(3600), ..SpikeConfig::default() };
    let task = tokio::spawn(jobs::run_spikes(
        store.clone(),
        move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            rules.clone()
        },
        config,
        Arc::new(tokio::sync::Notify::new()),
        now,
        async {
            let _ = stopped.await;
        },
    ));
    // The first scan runs at once, without waiting for an interval.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while scans.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(std::time::Instant::now() < deadline, "no scan at start");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task).await.expect("stops on shutdown").unwrap();
    assert_eq!(
        scans.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one scan in an hour's interval"
    );
    store.close().await;
}

#[tokio::test]
async fn new_documents_bring_the_next_scan_forward() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("t.db")).await.unwrap();
    let mut w = World::new(store.clone()).await;
    w.history().await;
    let rules = Arc::new(rules("", ""));
    let stored = Arc::new(tokio::sync::Notify::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = SpikeConfig {
        interval: Duration::from_secs(24 * 3600),
        after_documents: Duration::from_millis(200),
        ..SpikeConfig::default()
    };
    let task = tokio::spawn(jobs::run_spikes(
        store.clone(),
        move || rules.clone(),
        config,
        stored.clone(),
        now,
        async {
            let _ = stopped.await;
        },
    ));
    let spikes = || async { store.spike_alerts(10).await.unwrap().len() };
    // The scan at start finds the quiet history quiet.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(spikes().await, 0);
    // A burst is stored and announced: the next scan comes within seconds, not a day.
    w.burst_at("79", day(0) + TimeDelta::hours(5), 12, 20, 4).await;
    stored.notify_one();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while spikes().await == 0 {
        assert!(std::time::Instant::now() < deadline, "no scan after new documents");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task).await.expect("stops on shutdown").unwrap();
    store.close().await;
}

#[tokio::test]
async fn an_hourly_burst_raises_one_alert_per_area_and_day_that_grows() {
    each_store(async |backend, store| {
        let mut w = World::new(store).await;
        w.history().await;
        // Six stories from four outlets between 10:00 and 10:40 in Hồ Chí Minh City.
        let burst = w.burst_at("79", day(0) + TimeDelta::hours(10), 6, 8, 4).await;
        let rules = rules("", "");

        // Without hours, only the day's alerts.
        let daily_only = SpikeConfig { hourly: false, ..SpikeConfig::default() };
        let report = scan_spikes(&w.store, &rules, &daily_only, now()).await.unwrap();
        assert_eq!((report.opened, report.hours_assessed), (2, 0), "{backend}: {report:?}");
        assert!(w.hourly_spikes().await.is_empty(), "{backend}");

        let config = SpikeConfig::default();
        let report = scan_spikes(&w.store, &rules, &config, now()).await.unwrap();
        assert_eq!(
            (report.opened, report.unchanged, report.hours_raised),
            (2, 2, 2),
            "{backend}: {report:?}"
        );
        let all = w.spikes().await;
        assert_eq!(
            keys(&all),
            [
                ("topic.x", "spike:79:2026-11-20"),
                ("topic.x", "spike:79:2026-11-20T10"),
                ("topic.x", "spike:national:2026-11-20"),
                ("topic.x", "spike:national:2026-11-20T10"),
            ],
            "{backend}: the hour is an incident apart from the day"
        );
        let hourly = w.hourly_spikes().await;

        // Hồ Chí Minh City at 10:00: nothing at that hour on the seven days before.
        let hcm = &hourly[0];
        let d = detail(hcm);
        let want = expected_hour(Area::Province("79".into()), vec![0, 0, 0, 0, 0, 0, 0, 0, 6]);
        assert!(want.exceeds, "the reference must exceed: {want:?}");
        assert_eq!((d["bucket"].as_str(), d["area"].as_str()), (Some("hour"), Some("79")));
        assert_eq!(d["window_start"].as_str(), Some("2026-11-20T03:00:00+00:00"), "{d}");
        assert_eq!(d["window_end"].as_str(), Some("2026-11-20T04:00:00+00:00"));
        assert_eq!(d["observed"].as_f64(), Some(6.0));
        assert_eq!(d["expected"].as_f64(), Some(want.expected));
        assert_eq!(d["threshold"].as_f64(), Some(want.threshold));
        let by_hand = signals::qt(1.0 - 0.025 / 34.0, 6.0) * (8.0f64 / 7.0).sqrt();
        assert!((want.threshold - by_hand).abs() < 1e-9, "{} vs {by_hand}", want.threshold);
        assert!(want.threshold < 6.0, "six stories in an hour must be enough");
        assert_eq!(d["alpha"].as_f64(), Some(0.025 / 34.0));
        assert_eq!(d["method_version"], "ears-t-reweighted/1");
        // The baseline is 10:00–11:00 on each of the seven days before.
        let points = d["baseline"]["points"].as_array().unwrap();
        assert_eq!(points.len(), 7);
        assert_eq!(points[0]["start"].as_str(), Some("2026-11-13T03:00:00+00:00"));
        assert_eq!(points[6]["start"].as_str(), Some("2026-11-19T03:00:00+00:00"));
        assert_eq!(points[6]["end"].as_str(), Some("2026-11-19T04:00:00+00:00"));
        let mut stories: Vec<i64> = burst.iter().map(|b| b.0).collect();
        stories.sort_unstable();
        assert_eq!(d["stories"], serde_json::json!(stories));
        assert_eq!(d["sources"], 4);
        assert_eq!(d["hours"].as_array().map(Vec::len), Some(1));
        assert_eq!(hcm.rule_title, "Sốt xuất huyết");
        assert_eq!(hcm.severity, alerts::spike_severity(6.0, want.threshold));
        let docs: Vec<i64> = burst.iter().map(|b| b.1).collect();
        assert_eq!(hcm.doc_count, 6);
        assert_eq!(
            w.store.alert_document_ids(hcm.id).await.unwrap().into_iter().collect::<Vec<_>>(),
            docs
        );
        assert_eq!(hcm.last_document_id, *docs.last().unwrap());
        // Nationally the same six stories, at the national α.
        let national = detail(&hourly[1]);
        let want = expected_hour(Area::National, vec![0, 0, 0, 0, 0, 0, 0, 0, 6]);
        assert_eq!(national["threshold"].as_f64(), Some(want.threshold));
        assert_eq!(national["province_name"], Value::Null);

        // Scanning again changes nothing.
        let again =
            scan_spikes(&w.store, &rules, &config, now() + TimeDelta::minutes(15)).await.unwrap();
        assert_eq!((again.opened, again.updated, again.unchanged), (0, 0, 4), "{backend}");
        assert_eq!(w.spikes().await, all, "{backend}: a re-scan changed an alert");

        // Bursts at 13:00 and in the hour under way (15:00–15:20, scanned at 15:30): the
        // same alerts grow, no hourly alert opens.
        let later = w.burst_at("79", day(0) + TimeDelta::hours(13), 6, 5, 3).await;
        let under_way = w.burst_at("79", day(0) + TimeDelta::hours(15), 6, 4, 3).await;
        let at = now() + TimeDelta::minutes(30);
        let grown = scan_spikes(&w.store, &rules, &config, at).await.unwrap();
        assert_eq!((grown.opened, grown.updated), (0, 4), "{backend}: {grown:?}");
        assert_eq!(grown.hours_raised, 6, "{backend}: three hours in two areas");
        let after = w.spikes().await;
        assert_eq!(keys(&after), keys(&all), "{backend}: an hour opened its own alert");
        let hcm_after = after.iter().find(|a| a.id == hcm.id).unwrap();
        let d = detail(hcm_after);
        assert_eq!(d["window_start"].as_str(), Some("2026-11-20T03:00:00+00:00"), "the first");
        assert_eq!(d["observed"].as_f64(), Some(6.0));
        let hours: Vec<&str> =
            d["hours"].as_array().unwrap().iter().map(|h| h["start"].as_str().unwrap()).collect();
        assert_eq!(
            hours,
            ["2026-11-20T03:00:00+00:00", "2026-11-20T06:00:00+00:00", "2026-11-20T08:00:00+00:00"]
        );
        assert_eq!(d["stories"].as_array().map(Vec::len), Some(18));
        assert_eq!(hcm_after.doc_count, 18);
        assert_eq!(hcm_after.last_document_id, under_way.last().unwrap().1);
        assert!(later.iter().all(|l| l.0 != under_way[0].0));

        // The next morning the finished day's hours are scanned again: unchanged.
        let tomorrow =
            scan_spikes(&w.store, &rules, &config, now() + TimeDelta::hours(18)).await.unwrap();
        assert_eq!(
            (tomorrow.opened, tomorrow.updated, tomorrow.unchanged),
            (0, 0, 4),
            "{backend}: {tomorrow:?}"
        );
        assert_eq!(w.spikes().await, after);
    })
    .await;
}

/// Fourteen days before today of topic X in Hà Nội (01) with a daily rhythm: a morning
/// bulletin of six stories from four outlets between 07:00 and 07:50, and one story at
/// each of 09:00 to 12:00, ten a day.
async fn rhythm(w: &mut World) {
    for back in (1..=14).rev() {
        w.burst_at("01", day(back) + TimeDelta::hours(7), 6, 10, 4).await;
        for h in 9..=12 {
            w.burst_at("01", day(back) + TimeDelta::hours(h), 1, 0, 4).await;
        }
    }
}

#[tokio::test]
async fn a_busy_hour_that_is_busy_every_day_is_no_spike() {
    each_store(async |backend, store| {
        let mut w = World::new(store).await;
        rhythm(&mut w).await;
        // Today: the usual bulletin, then five stories spread over the day; eleven in all.
        w.burst_at("01", day(0) + TimeDelta::hours(7), 6, 10, 4).await;
        for h in [8, 10, 11, 13, 14] {
            w.burst_at("01", day(0) + TimeDelta::hours(h), 1, 0, 4).await;
        }
        let rules = rules("", "");
        let report = scan_spikes(&w.store, &rules, &SpikeConfig::default(), now()).await.unwrap();
        // Today's and yesterday's bulletins (six stories each, nationally and in 01) were
        // assessed against their hour of the days before, and held nothing back.
        assert_eq!(
            (report.hours_assessed, report.hours_raised, report.held),
            (4, 0, 0),
            "{backend}: {report:?}"
        );
        assert!(w.spikes().await.is_empty(), "{backend}: {:?}", w.spikes().await);

        // Against the hours just before it (quiet night hours), the bulletin would look
        // like a spike every morning: what the same-hour baseline avoids.
        let mut night = vec![0u32; 7 * 24];
        night.push(6);
        let start = Bucket::Hour.unit_start(Bucket::Hour.unit_of(day(0) + TimeDelta::hours(7)))
            - TimeDelta::hours(7 * 24);
        let consecutive =
            Series::from_counts(SeriesKey::national("topic.x"), Bucket::Hour, start, night);
        let naive = signals::assess(
            &consecutive,
            &Params::production(),
            None,
            day(0) + TimeDelta::hours(8),
        )
        .unwrap();
        assert!(naive.exceeds, "{naive:?}");
    })
    .await;
}

#[tokio::test]
async fn an_hourly_burst_alerts_even_when_the_day_looks_ordinary() {
    each_store(async |backend, store| {
        let mut w = World::new(store).await;
        rhythm(&mut w).await;
        // Today: only part of the bulletin, then six stories from three outlets between
        // 14:00 and 14:50; ten in the day, the usual total.
        w.burst_at("01", day(0) + TimeDelta::hours(7), 4, 10, 4).await;
        let burst = w.burst_at("01", day(0) + TimeDelta::hours(14), 6, 10, 3).await;
        let rules = rules("", "");
        let report = scan_spikes(&w.store, &rules, &SpikeConfig::default(), now()).await.unwrap();
        assert_eq!(
            keys(&w.spikes().await),
            [("topic.x", "spike:01:2026-11-20T14"), ("topic.x", "spike:national:2026-11-20T14")],
            "{backend}: {report:?}"
        );
        // The day alone says nothing: ten stories against ten a day.
        let day_in_01 = expected_spike_from(Area::Province("01".into()), vec![10; 15]);
        assert!(!day_in_01.exceeds, "{day_in_01:?}");
        let hourly = w.hourly_spikes().await;
        let d = detail(&hourly[0]);
        assert_eq!(d["observed"].as_f64(), Some(6.0), "{backend}: {d}");
        assert_eq!(d["sources"], 3);
        let mut stories: Vec<i64> = burst.iter().map(|b| b.0).collect();
        stories.sort_unstable();
        assert_eq!(d["stories"], serde_json::json!(stories));
        assert_eq!(hourly[0].doc_count, 6);
    })
    .await;
}

/// What the production detector says of a daily series of topic X starting 14 days
/// before today, the last count being today's.
fn expected_spike_from(area: Area, counts: Vec<u32>) -> signals::Spike {
    let key = SeriesKey { topic: "topic.x".into(), area };
    let back = counts.len() as i64 - 1;
    let series = Series::from_counts(key, Bucket::Day, day(back), counts);
    signals::assess(&series, &Params::production(), None, day(-1)).unwrap()
}
