//! Digests gathered from a real store (SQLite, and PostgreSQL when
//! `LANGNGHE_TEST_POSTGRES_URL` is set): a past day counts the alerts waiting then, not
//! their states of today; a spike comes with its topic's daily counts and chart; an
//! officer's digest is their queue; each health day of the shipped calendar is listed once,
//! with its coverage and the plan noted for it; and on the demo's handling history the
//! digest's handled alerts are those the events say.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use alerts::triage::{Actor, Command};
use chrono::{Duration, NaiveDate, TimeDelta, TimeZone, Utc};
use digest::Audience;
use jobs::digests::{compose_digest, gather, upcoming_days, upcoming_days_within};
use model::{
    AlertAction, AlertState, DocumentPlaces, Hit, MatchedTerm, NewDocument, Role, RuleKind,
    Severity, SourceKind, SourceTier, Timestamp,
};
use rules::RuleSet;
use store::{NewSource, Processed, Store};

const PUBLIC: &str = "https://langnghe.soyte.example.vn";

async fn each_store(f: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::stores(dir.path()).await {
        f(name, store.clone()).await;
        store.close().await;
    }
}

fn shipped_rules() -> RuleSet {
    let (set, diags) =
        RuleSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"));
    assert!(diags.is_empty(), "{diags:?}");
    set
}

async fn source(store: &Store, name: &str, at: Timestamp) -> i64 {
    let s = NewSource {
        name: name.into(),
        // One feed per name.
        url: format!(
            "http://127.0.0.1:1/{}.xml",
            name.bytes().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        allow_private: true,
        ..NewSource::default()
    };
    store.upsert_source(&s, at).await.unwrap().id
}

/// A document of `source` at `at` hit by `rule` (a rumour or a topic), in story `story`
/// about `province`: its id.
async fn document(
    store: &Store,
    source: i64,
    rule: &str,
    story: i64,
    province: Option<&str>,
    at: Timestamp,
) -> i64 {
    let url = format!("https://a.vn/{rule}/{story}/{source}/{}", at.timestamp());
    let doc = NewDocument {
        source_id: source,
        url: url.clone(),
        title: format!("Tin nhắn cảnh báo khẩn {story}"),
        summary: String::new(),
        body: format!("Nội dung {rule} {story}."),
        author: None,
        published_at: Some(at),
        fetched_at: at,
        language: "vi".into(),
        content_hash: url,
        post: None,
    };
    let kind = if rule.starts_with("topic.") { RuleKind::Topic } else { RuleKind::Rumor };
    let hit = Hit {
        rule_id: rule.into(),
        rule_title: format!("Quy tắc {rule}").into(),
        kind,
        severity: Severity::Medium,
        terms: vec![MatchedTerm { field: "title", start: 0, end: 7, term: "tin nhắn".into() }],
    };
    let mut p = Processed::new(doc, vec![hit]);
    p.places = DocumentPlaces { province: province.map(str::to_owned), places: Vec::new() };
    let stored = store.insert_batch_placed(&[p], &mut store::into_story(story)).await.unwrap();
    stored.inserted.first().map_or(0, |i| i.id)
}

/// Monday 7 December 2026 plus `days`, `h`:00 in Vietnam.
fn at(days: i64, h: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 12, 6, 17, 0, 0).unwrap() + Duration::days(days) + Duration::hours(h)
}

#[tokio::test]
async fn a_past_day_counts_the_alerts_waiting_then_not_their_states_today() {
    each_store(async |backend, store| {
        let src = source(&store, "Báo A", at(0, 0)).await;
        let officer = store.create_user("can-bo", "x", Role::Officer, at(0, 0)).await.unwrap();
        let me = Actor::User { id: officer.id, role: Role::Officer };
        // Two P3 alerts on Monday morning, acknowledged only on Wednesday afternoon: a
        // business day late.
        document(&store, src, "rumor.a", 1, None, at(0, 8)).await;
        document(&store, src, "rumor.b", 2, None, at(0, 9)).await;
        let board = store.alert_board(None, 20).await.unwrap();
        for e in &board {
            store
                .act(e.alert.id, &Command::Acknowledge { priority: None }, me, None, at(2, 14))
                .await
                .unwrap();
        }
        assert_eq!(store.alert(board[0].alert.id).await.unwrap().state, AlertState::Acknowledged);

        let rules = RuleSet::default();
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let day = |n| monday + Duration::days(n);
        let now = at(9, 0);
        let input =
            gather(&store, &rules, Audience::Leadership, day(0), now, PUBLIC, None).await.unwrap();
        assert_eq!(input.new_alerts.len(), 2, "{backend}");
        let series: Vec<(NaiveDate, usize, usize, usize)> =
            input.backlog.iter().map(|d| (d.date, d.open, d.overdue, d.waiting)).collect();
        assert_eq!(series.len(), 7);
        assert_eq!(series[0], (day(-6), 0, 0, 0));
        // Monday's end: both waiting, neither late yet (one business day to acknowledge).
        assert_eq!(series[6], (day(0), 2, 0, 2), "{backend}");
        // The alerts as they were at the end of Monday, not as they are now.
        assert!(input.new_alerts.iter().all(|a| a.state == AlertState::New), "{backend}");
        let text = digest::compose(&input).text;
        assert!(
            text.contains(
                "Cuối ngày 07/12/2026: 2 cảnh báo đang mở, 0 quá hạn, 2 chưa được tiếp nhận."
            ),
            "{text}"
        );

        // Tuesday's end: still waiting, and now past their deadline.
        let tuesday =
            compose_digest(&store, &rules, Audience::Leadership, day(1), now, PUBLIC, None)
                .await
                .unwrap();
        assert!(
            tuesday.text.contains("2 cảnh báo đang mở, 2 quá hạn, 2 chưa được tiếp nhận."),
            "{}",
            tuesday.text
        );
        assert!(tuesday.text.contains("Cảnh báo mới (0)"), "nothing new on Tuesday");
        // Wednesday: the series shows the days before it as they were; both acknowledged,
        // a day late, each with its time to acknowledge.
        let wednesday =
            gather(&store, &rules, Audience::Officer, day(2), now, PUBLIC, Some(&officer))
                .await
                .unwrap();
        let last3: Vec<(usize, usize, usize)> =
            wednesday.backlog[4..].iter().map(|d| (d.open, d.overdue, d.waiting)).collect();
        assert_eq!(last3, [(2, 0, 2), (2, 2, 2), (2, 0, 0)], "{backend}");
        assert_eq!(
            wednesday.medians.acknowledge,
            Some(Duration::hours(53) + Duration::minutes(30))
        );
        // Acknowledging is not handling: nothing was decided.
        assert!(wednesday.handled.is_empty(), "{backend}");
        let q = wednesday.queue.unwrap();
        assert_eq!((q.mine.total, q.unassigned.total), (0, 2), "{backend}");
    })
    .await;
}

/// Writes the row of a story whose first publisher published `document` at `at`, carried
/// by `outlets` outlets.
async fn story_row(
    store: &Store,
    story: i64,
    document: i64,
    source: i64,
    at: Timestamp,
    outlets: i64,
) {
    let row = model::Story {
        id: story,
        title: format!("Câu chuyện {story}"),
        origin_document: document,
        origin_source: source,
        origin_source_name: String::new(),
        origin_basis: "earliest".into(),
        province: None,
        first_seen: at,
        last_seen: at,
        documents: outlets,
        sightings: outlets,
        outlets,
    };
    store
        .save_stories(&[store::StoryUpdate { story: row, relations: Vec::new() }], at)
        .await
        .unwrap();
}

/// Two topic-X stories a day in Hà Nội for the 60 days before today, then twelve in Hồ Chí
/// Minh City today, each story from one of five outlets (today's stories said to be carried
/// by one to four outlets).
async fn quiet_then_burst(store: &Store, today: Timestamp) -> Vec<i64> {
    let mut sources = Vec::new();
    for i in 0..5 {
        sources.push(source(store, &format!("Báo số {i}"), today - Duration::days(70)).await);
    }
    let mut story = 100;
    for back in (1..=60).rev() {
        for k in 0..2 {
            story += 1;
            let when = today - Duration::days(back) + Duration::hours(k);
            document(
                store,
                sources[(back as usize + k as usize) % 5],
                "topic.x",
                story,
                Some("01"),
                when,
            )
            .await;
        }
    }
    for k in 0..12 {
        story += 1;
        let when = today + Duration::minutes(10 * k);
        let source = sources[k as usize % 5];
        let doc = document(store, source, "topic.x", story, Some("79"), when).await;
        story_row(store, story, doc, source, when, k % 4 + 1).await;
    }
    sources
}

#[tokio::test]
async fn a_spike_comes_with_its_series_and_each_reader_gets_their_part() {
    each_store(async |backend, store| {
        // 08:00 on Friday 20 November 2026 in Vietnam; the burst starts then.
        let burst = Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap();
        let now = burst + TimeDelta::hours(6);
        let date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let sources = quiet_then_burst(&store, burst).await;
        let (rules, diags) = RuleSet::from_pack(
            Path::new("t.toml"),
            r#"
[[rules]]
id = "topic.x"
kind = "topic"
title = "Sốt xuất huyết"
severity = "low"
query = "sốt"
match = ["sốt cao"]
"#,
        );
        assert!(diags.is_empty(), "{diags:?}");
        let report =
            jobs::scan_spikes(&store, &rules, &jobs::SpikeConfig::default(), now).await.unwrap();
        assert!(report.opened >= 1, "{backend}: {report:?}");

        let input =
            gather(&store, &rules, Audience::Leadership, date, now, PUBLIC, None).await.unwrap();
        let hcmc = input
            .spikes
            .iter()
            .find(|s| s.area == "Thành phố Hồ Chí Minh" || s.area.contains("Hồ Chí Minh"));
        let hcmc = hcmc.unwrap_or_else(|| panic!("{backend}: {:?}", input.spikes));
        assert_eq!(hcmc.series.len(), 14);
        assert!(
            input.new_alerts.iter().all(|a| a.kind != RuleKind::Spike),
            "{backend}: spikes are listed once, in their own part"
        );
        assert_eq!(hcmc.series.last().unwrap(), &(date, 12), "{backend}");
        assert!(hcmc.series[..13].iter().all(|d| d.1 == 0), "{backend}: quiet before");
        if let Some(national) = input.spikes.iter().find(|s| s.area == "Toàn quốc") {
            assert_eq!(national.series.last().unwrap().1, 12, "{backend}");
            assert_eq!(national.series[0].1, 2, "{backend}");
        }
        // The widest stories of the day first.
        assert_eq!(input.stories.len(), 10, "{backend}");
        assert_eq!(input.stories[0].outlets, 4, "{backend}");
        assert!(input.stories.windows(2).all(|w| w[0].outlets >= w[1].outlets), "{backend}");
        let d = digest::compose(&input);
        assert!(!d.images.is_empty() && d.images[0].png.starts_with(b"\x89PNG"), "{backend}");
        assert!(d.text.contains(", 12\n"), "{backend}: the chart's numbers are written out");
        assert!(d.html.contains("https://langnghe.soyte.example.vn/alerts/"));
        assert!(!d.html.contains("127.0.0.1"));

        // An officer with an alert of their own, late; a rumour nobody has yet.
        let lan = store.create_user("lan", "x", Role::Officer, now).await.unwrap();
        let quan = store.create_user("quan", "x", Role::Admin, now).await.unwrap();
        document(&store, sources[0], "rumor.a", 900, None, now - TimeDelta::days(3)).await;
        document(&store, sources[1], "rumor.b", 901, None, now - TimeDelta::hours(1)).await;
        let board = store.alert_board(None, 50).await.unwrap();
        let a = board.iter().find(|e| e.alert.rule_id == "rumor.a").unwrap().alert.id;
        let by = Actor::User { id: quan.id, role: Role::Admin };
        for cmd in [
            Command::Acknowledge { priority: None },
            Command::Assign { user: lan.id, role: Role::Officer },
        ] {
            store.act(a, &cmd, by, None, now - TimeDelta::days(3)).await.unwrap();
        }
        let officer =
            compose_digest(&store, &rules, Audience::Officer, date, now, PUBLIC, Some(&lan))
                .await
                .unwrap();
        assert!(
            officer.subject.contains("Việc xử lý của lan ngày 20/11/2026: 1 việc được giao"),
            "{}",
            officer.subject
        );
        assert!(officer.text.contains("Được giao cho bạn: 1"), "{backend}:\n{}", officer.text);
        assert!(officer.text.contains(&format!("{PUBLIC}/alerts/{a}")), "{backend}");
        let lead = compose_digest(&store, &rules, Audience::Leadership, date, now, PUBLIC, None)
            .await
            .unwrap();
        assert!(!lead.text.contains("Được giao cho bạn"), "{backend}");
        assert_ne!(lead.text, officer.text);
    })
    .await;
}

#[tokio::test]
async fn each_health_day_is_listed_once_with_its_coverage_and_plan() {
    let rules = shipped_rules();
    let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let days = upcoming_days(&rules, date);
    let aids: Vec<_> = days.iter().filter(|d| d.id == "day.the-gioi-phong-chong-aids").collect();
    assert_eq!(aids.len(), 1, "{days:#?}");
    let aids = aids[0];
    assert_eq!((aids.start, aids.end), (date + Duration::days(6), date + Duration::days(36)));
    assert_eq!(aids.days_until, 6);
    assert_eq!(aids.key, "day.the-gioi-phong-chong-aids@2026-12-01");
    assert!(aids.related.iter().any(|r| r.1.starts_with("HIV/AIDS")), "{:?}", aids.related);
    assert_eq!(aids.marked, [aids.start], "1/12 is a day of its own inside the month");
    // Looking far enough ahead to see 26/12 as well: still one entry for the population
    // day, its own date marked inside its month.
    let ahead = upcoming_days_within(&rules, date, 40);
    let population: Vec<_> = ahead.iter().filter(|d| d.id == "day.dan-so-viet-nam").collect();
    assert_eq!(population.len(), 1, "the day inside its month is one entry: {ahead:#?}");
    assert_eq!(population[0].marked, [NaiveDate::from_ymd_opt(2026, 12, 26).unwrap()]);
    let keys: BTreeSet<&str> = days.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys.len(), days.len());
    let titles: BTreeSet<(&str, NaiveDate)> =
        days.iter().map(|d| (d.title.as_str(), d.start)).collect();
    assert_eq!(titles.len(), days.len());
    assert!(days.windows(2).all(|w| w[0].start <= w[1].start));
    // Further ahead, days not yet to prepare for are listed too, marked so.
    let later = upcoming_days_within(&rules, date, 90);
    assert!(later.iter().any(|d| d.id == "day.thang-hanh-dong-attp" && !d.needs_preparation));

    each_store(async |backend, store| {
        let src = source(&store, "Báo Sức khỏe", Utc::now()).await;
        let hiv = aids
            .related
            .iter()
            .find(|r| r.0.contains("hiv"))
            .map_or_else(|| aids.related[0].0.clone(), |r| r.0.clone());
        // Two documents in the run-up, one before it.
        let noon = |d: NaiveDate| alerts::kpi::vn_day_end(d) - Duration::hours(12);
        document(&store, src, &hiv, 1, None, noon(date - Duration::days(1))).await;
        document(&store, src, &hiv, 2, None, noon(date)).await;
        document(&store, src, &hiv, 3, None, noon(date - Duration::days(60))).await;
        store
            .add_health_day_note(
                &aids.key,
                "Thông điệp: xét nghiệm sớm, điều trị sớm.",
                "lan",
                Utc::now(),
            )
            .await
            .unwrap();
        let now = alerts::kpi::vn_day_end(date);
        let d = compose_digest(&store, &rules, Audience::Spokesperson, date, now, PUBLIC, None)
            .await
            .unwrap();
        let title = "Ngày Thế giới phòng, chống AIDS và Tháng hành động";
        assert_eq!(d.text.matches(title).count(), 1, "{backend}:\n{}", d.text);
        assert_eq!(d.html.matches(title).count(), 1, "{backend}");
        assert!(d.text.contains("01/12 – 31/12, còn 6 ngày"), "{backend}:\n{}", d.text);
        assert!(
            d.text.contains("Đã có 2 bài, 2 câu chuyện, 1 nơi đưa tin từ 01/11"),
            "{backend}:\n{}",
            d.text
        );
        assert!(
            d.text.contains("Thông điệp dự kiến: Thông điệp: xét nghiệm sớm, điều trị sớm."),
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn on_the_demo_history_the_handled_alerts_are_those_the_events_say() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 12, 9, 8, 0, 0).unwrap();
    demo::handling::replay(&store, now).await.unwrap();
    let rules = RuleSet::default();
    let today = alerts::kpi::vn_date(now);
    let mut handled_days = 0;
    for back in 1..=7 {
        let date = today - Duration::days(back);
        let to = alerts::kpi::vn_day_end(date);
        let events = store.events_between(to - Duration::days(1), to).await.unwrap();
        let moved: BTreeSet<i64> = events
            .iter()
            .filter(|e| {
                matches!(
                    e.action,
                    AlertAction::Monitor
                        | AlertAction::RequireResponse
                        | AlertAction::Dismiss
                        | AlertAction::Respond
                        | AlertAction::Close
                )
            })
            .map(|e| e.alert_id)
            .collect();
        let input =
            gather(&store, &rules, Audience::Officer, date, now, PUBLIC, None).await.unwrap();
        let handled: BTreeSet<i64> = input.handled.iter().map(|h| h.id).collect();
        assert_eq!(handled, moved, "{date}");
        handled_days += usize::from(!handled.is_empty());
        for h in &input.handled {
            if let Some(t) = h.to_acknowledge {
                assert!(t >= Duration::zero(), "{h:?}");
            }
        }
    }
    assert!(handled_days >= 3, "the demo handles alerts most days");
}
