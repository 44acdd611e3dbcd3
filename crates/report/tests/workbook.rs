//! The period report from a store, on every configured back end: a fixture of outlets,
//! documents (with copies, topics, provinces and stances), alerts handled through the
//! workflow with a response, an escalation, a dismissal and correction tracking, and the
//! office's own counts. The figures the store gathers are checked against what the fixture
//! holds; the workbook is read back with calamine and checked sheet by sheet and figure by
//! figure against them; rows add up to their totals; the CSV file parses; the printable
//! page escapes an outlet named like a script.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Cursor;

use alerts::corrections::{Basis, ItemState, ReachBasis};
use alerts::kpi::Period;
use alerts::triage::{Actor, Command};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use model::report::{ActivityIndicator, HealthDayWindow, ReportData, ReportPeriod, ReportRequest};
use model::{
    AlertState, CorrectionOutcome, DismissReason, DocumentPlaces, EscalationTarget, Hit, HitStance,
    MatchedTerm, NewDocument, ResponseChannel, Role, RuleKind, Severity, SourceTier, Stance, Story,
    Timestamp,
};
use report::{Cutoffs, SHEETS, Stylesheet, period};
use store::{
    ItemRole, ItemUpdate, NewCorrectionItem, NewResponse, NewSource, Observed, Processed, Store,
    StoryUpdate,
};

/// A Vietnam wall-clock time in `year`, as UTC.
fn vn(year: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
    Utc.with_ymd_and_hms(year, m, d, h, min, 0).unwrap() - Duration::hours(7)
}

fn day(year: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, m, d).unwrap()
}

/// The report is made on 20 June 2026, after the first half ended.
fn now() -> Timestamp {
    vn(2026, 6, 20, 9, 0)
}

const SCRIPT_OUTLET: &str = "<script>alert(\"x\")</script> Hội nhóm";
const RUMOUR: &str = "rumor.la-du-du";
const DISMISSED: &str = "rumor.thuoc-la";

struct Doc {
    source: usize,
    title: &'static str,
    published: Option<Timestamp>,
    fetched: Timestamp,
    province: Option<&'static str>,
    topics: &'static [&'static str],
    rumour: Option<(&'static str, Option<Stance>)>,
    story: i64,
}

fn hit(rule: &str, kind: RuleKind) -> Hit {
    Hit {
        rule_id: rule.into(),
        rule_title: format!("Quy tắc {rule}").into(),
        kind,
        severity: if kind == RuleKind::Topic { Severity::Low } else { Severity::High },
        terms: vec![MatchedTerm { field: "title", start: 0, end: 3, term: "Lá".into() }],
    }
}

struct Fixture {
    sources: Vec<i64>,
    rumour_alert: i64,
    dismissed_alert: i64,
}

/// Outlets of every tier (one named like a script), documents in and around the first half
/// of 2026, their stories, two rumour alerts handled through the workflow, correction
/// tracking on one, and the office's counts for this half and the one before.
async fn fixture(store: &Store) -> Fixture {
    let outlets = [
        ("Báo Sức khỏe Đời sống", SourceTier::Press),
        ("Cổng thông tin Sở Y tế", SourceTier::Official),
        (SCRIPT_OUTLET, SourceTier::Social),
        ("Tin Tổng Hợp", SourceTier::Aggregator),
    ];
    let mut sources = Vec::new();
    for (i, (name, tier)) in outlets.iter().enumerate() {
        let s = NewSource {
            name: (*name).to_owned(),
            url: format!("https://nguon{i}.example.vn/rss"),
            tier: *tier,
            ..NewSource::default()
        };
        sources.push(store.upsert_source(&s, vn(2025, 1, 1, 0, 0)).await.unwrap().id);
    }
    let y = 2026;
    let docs = [
        // A and B: story 1 in March, Hồ Chí Minh city.
        Doc {
            source: 0,
            title: "Ca sốt xuất huyết tăng mạnh",
            published: Some(vn(y, 3, 5, 9, 0)),
            fetched: vn(y, 3, 5, 9, 10),
            province: Some("79"),
            topics: &["topic.sxh"],
            rumour: None,
            story: 1,
        },
        Doc {
            source: 1,
            title: "Sở Y tế khuyến cáo phòng sốt xuất huyết và tay chân miệng",
            published: Some(vn(y, 3, 6, 8, 0)),
            fetched: vn(y, 3, 6, 8, 5),
            province: Some("79"),
            topics: &["topic.sxh", "topic.tcm"],
            rumour: None,
            story: 1,
        },
        // C: the rumour, in Hà Nội, carried by the social page.
        Doc {
            source: 2,
            title: "Lá đu đủ chữa khỏi sốt xuất huyết",
            published: Some(vn(y, 4, 10, 20, 0)),
            fetched: vn(y, 4, 10, 20, 10),
            province: Some("01"),
            topics: &["topic.tcm"],
            rumour: Some((RUMOUR, Some(Stance::Carries))),
            story: 2,
        },
        // D: another rumour, dismissed; no province, no topic.
        Doc {
            source: 3,
            title: "Lá thuốc lá chữa ho",
            published: Some(vn(y, 4, 11, 7, 0)),
            fetched: vn(y, 4, 11, 7, 10),
            province: None,
            topics: &[],
            rumour: Some((DISMISSED, None)),
            story: 3,
        },
        // H: the official refutation.
        Doc {
            source: 1,
            title: "Lá đu đủ không chữa được sốt xuất huyết",
            published: Some(vn(y, 4, 12, 8, 0)),
            fetched: vn(y, 4, 12, 8, 5),
            province: None,
            topics: &[],
            rumour: Some((RUMOUR, Some(Stance::Refutes))),
            story: 7,
        },
        // G: no publication time, counted when fetched, in Đà Nẵng.
        Doc {
            source: 0,
            title: "Đà Nẵng diệt lăng quăng",
            published: None,
            fetched: vn(y, 5, 20, 10, 0),
            province: Some("48"),
            topics: &["topic.sxh"],
            rumour: None,
            story: 6,
        },
        // E: the half before (second half of 2025).
        Doc {
            source: 0,
            title: "Sốt xuất huyết mùa mưa",
            published: Some(vn(2025, 10, 1, 9, 0)),
            fetched: vn(2025, 10, 1, 9, 5),
            province: Some("79"),
            topics: &["topic.sxh"],
            rumour: None,
            story: 4,
        },
        // F: the day after the first half's cut-off.
        Doc {
            source: 0,
            title: "Sốt xuất huyết sau 15/6",
            published: Some(vn(y, 6, 16, 8, 0)),
            fetched: vn(y, 6, 16, 8, 5),
            province: Some("79"),
            topics: &["topic.sxh"],
            rumour: None,
            story: 5,
        },
    ];
    let batch: Vec<Processed> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut hits: Vec<Hit> = d.topics.iter().map(|t| hit(t, RuleKind::Topic)).collect();
            if let Some((rule, _)) = d.rumour {
                hits.push(hit(rule, RuleKind::Rumor));
            }
            let mut p = Processed::new(
                NewDocument {
                    source_id: sources[d.source],
                    url: format!("https://nguon{}.example.vn/bai-{i}", d.source),
                    title: d.title.to_owned(),
                    summary: String::new(),
                    body: format!("{} Nội dung bài {i}.", d.title),
                    author: None,
                    published_at: d.published,
                    fetched_at: d.fetched,
                    language: "vi".into(),
                    content_hash: format!("hash-{i}"),
                    post: None,
                },
                hits,
            );
            p.places = DocumentPlaces { province: d.province.map(Into::into), places: vec![] };
            if let Some((rule, Some(stance))) = d.rumour {
                p.stances = vec![HitStance { rule_id: rule.into(), stance, cues: vec![] }];
            }
            p
        })
        .collect();
    let stories: Vec<i64> = docs.iter().map(|d| d.story).collect();
    // One document at a time, so each rumour hit is decided with its story known.
    let mut ids = Vec::new();
    for (i, p) in batch.iter().enumerate() {
        let story = stories[i];
        let stored = store
            .insert_batch_placed(std::slice::from_ref(p), &mut store::into_story(story))
            .await
            .unwrap();
        ids.push(stored.inserted[0].id);
    }
    // Exact copies on the aggregator: of A on 7 March, of the rumour C the same evening.
    for (of, at) in [(0, vn(y, 3, 7, 10, 0)), (2, vn(y, 4, 10, 22, 0))] {
        let mut copy = batch[of].clone();
        copy.doc.source_id = sources[3];
        copy.doc.url = format!("https://nguon3.example.vn/ban-sao-{of}");
        copy.doc.published_at = Some(at);
        copy.doc.fetched_at = at + Duration::minutes(5);
        let stored = store.insert_batch(&[copy]).await.unwrap();
        assert_eq!(stored.copies.len(), 1, "a copy is a sighting");
    }
    let story_rows: Vec<StoryUpdate> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| StoryUpdate {
            story: Story {
                id: d.story,
                title: d.title.to_owned(),
                origin_document: ids[i],
                origin_source: sources[d.source],
                origin_source_name: String::new(),
                origin_basis: "earliest".into(),
                province: d.province.map(Into::into),
                first_seen: d.published.unwrap_or(d.fetched),
                last_seen: d.fetched,
                documents: 1,
                sightings: 1,
                outlets: if d.story == 2 { 2 } else { 1 },
            },
            relations: Vec::new(),
        })
        // Story 1's first document is A.
        .filter(|u| !(u.story.id == 1 && u.story.origin_source == sources[1]))
        .collect();
    store.save_stories(&story_rows, now()).await.unwrap();

    let board = store.alert_board(None, 50).await.unwrap();
    let alert_of = |rule: &str| board.iter().find(|e| e.alert.rule_id == rule).unwrap().alert.id;
    let (rumour_alert, dismissed_alert) = (alert_of(RUMOUR), alert_of(DISMISSED));
    let lan = store.create_user("can-bo-lan", "x", Role::Officer, vn(y, 1, 1, 0, 0)).await.unwrap();
    let me = Actor::User { id: lan.id, role: Role::Officer };
    for (cmd, at) in [
        (Command::Acknowledge { priority: None }, vn(y, 4, 10, 20, 30)),
        (Command::Escalate { to: EscalationTarget::Ministry }, vn(y, 4, 10, 20, 40)),
        (Command::Assign { user: lan.id, role: Role::Officer }, vn(y, 4, 10, 20, 50)),
        (Command::RequireResponse, vn(y, 4, 10, 21, 0)),
    ] {
        let note = matches!(cmd, Command::Escalate { .. }).then_some("Báo cáo Bộ Y tế.");
        store.act(rumour_alert, &cmd, me, note, at).await.unwrap();
    }
    let response = NewResponse {
        channel: ResponseChannel::Website,
        published_at: vn(y, 4, 11, 9, 0),
        text: "Sở Y tế khẳng định lá đu đủ không chữa được sốt xuất huyết.".into(),
        url: Some("https://soyte.example.vn/phan-hoi-la-du-du".into()),
    };
    store.respond(rumour_alert, &response, me, None, vn(y, 4, 11, 9, 5)).await.unwrap();
    let dismiss = Command::Dismiss { reason: DismissReason::FalsePositive };
    store.act(dismissed_alert, &dismiss, me, None, vn(y, 4, 11, 10, 0)).await.unwrap();

    // Correction tracking: the social page and the aggregator carried the rumour; the
    // social page takes its post down.
    assert!(store.start_corrections(rumour_alert, vn(y, 4, 11, 9, 10)).await.unwrap().is_some());
    let items = store.correction_new_items(rumour_alert, RUMOUR, 100).await.unwrap();
    let rows: Vec<NewCorrectionItem> = items
        .iter()
        .filter(|i| i.stance != Some(Stance::Refutes))
        .map(|i| NewCorrectionItem {
            sighting_id: i.sighting_id,
            document_id: i.document.id,
            source_id: i.source_id,
            url: i.url.clone(),
            carried_at: i.carried_at,
            role: ItemRole::Carrier,
            reach: 1000,
            reach_basis: ReachBasis::Tier,
            passage: "Lá đu đủ chữa khỏi sốt xuất huyết".into(),
            fetchable: true,
            next_check_at: None,
            seen_revision: 0,
        })
        .collect();
    assert_eq!(rows.len(), 2, "{items:?}");
    store.add_correction_items(rumour_alert, &rows).await.unwrap();
    let tracked = store.correction_items(rumour_alert, RUMOUR).await.unwrap();
    let social = tracked.iter().find(|t| t.carrier.source_id == sources[2]).unwrap();
    let gone = vn(y, 4, 12, 9, 0);
    let update = ItemUpdate {
        item_id: social.carrier.id,
        observed: Some(Observed {
            from: social.carrier.state,
            to: ItemState {
                outcome: CorrectionOutcome::TakenDown,
                outcome_at: Some(gone),
                remedied_at: Some(gone),
            },
            basis: Basis::Gone(404),
            evidence_document: None,
        }),
        check: None,
        seen_revision: None,
    };
    store.update_correction_item(&update, gone).await.unwrap();

    // The office's counts, for this half and the one before.
    let c = Cutoffs::default();
    let h1 = period::half(y, true, &c);
    let values = [
        (ActivityIndicator::Articles, Some(97), "Cổng thông tin điện tử".to_owned()),
        (ActivityIndicator::Sessions, Some(101), String::new()),
        (ActivityIndicator::Participants, Some(17_000), String::new()),
    ];
    assert_eq!(store.set_office_activity(&h1, &values, "can-bo-lan", now()).await.unwrap(), 3);
    assert_eq!(
        store.set_office_activity(&h1, &values, "khac", now()).await.unwrap(),
        0,
        "unchanged"
    );
    let before = period::previous(&h1, &c);
    let earlier = [(ActivityIndicator::Articles, Some(80), String::new())];
    store.set_office_activity(&before, &earlier, "can-bo-lan", now()).await.unwrap();
    Fixture { sources, rumour_alert, dismissed_alert }
}

fn request(p: ReportPeriod) -> ReportRequest {
    let c = Cutoffs::default();
    let previous = period::previous(&p, &c);
    let windows = vec![
        HealthDayWindow {
            id: "thang-sxh".into(),
            title: "Tháng cao điểm diệt lăng quăng".into(),
            first: day(2026, 3, 1),
            last: day(2026, 3, 31),
            rules: vec!["topic.sxh".into()],
        },
        HealthDayWindow {
            id: "asean-sxh".into(),
            title: "Ngày ASEAN phòng chống sốt xuất huyết".into(),
            first: day(2026, 6, 15),
            last: day(2026, 6, 15),
            rules: vec!["topic.sxh".into()],
        },
    ];
    let provinces: BTreeMap<String, String> =
        [("79", "Hồ Chí Minh"), ("01", "Hà Nội"), ("48", "Đà Nẵng")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
    ReportRequest {
        period: p,
        previous,
        health_days: windows,
        previous_health_days: Vec::new(),
        provinces,
        office: "Sở Y tế Thành phố Hồ Chí Minh".into(),
        about: vec![("Phần mềm".into(), "Lắng Nghe (thử)".into())],
        now: now(),
    }
}

fn value(d: &ReportData, code: &str) -> (Option<f64>, Option<f64>) {
    let i = d.summary.iter().find(|i| i.code == code).unwrap();
    (i.value, i.previous)
}

/// Figures the store gathers, against what the fixture holds.
fn check_figures(d: &ReportData, f: &Fixture, backend: &str) {
    let i = &d.items;
    // A, B, C, D, H, G in the half; E before it, F after it.
    assert_eq!(i.documents, 6, "{backend}");
    // Their own places, and the two copies on the aggregator.
    assert_eq!(i.sightings, 8, "{backend}");
    assert_eq!(i.new_stories, 5, "{backend}: stories 1, 2, 3, 6, 7");
    assert_eq!(i.outlets, 4, "{backend}");
    assert_eq!(i.with_topic, 4, "{backend}");
    assert_eq!(i.with_province, 4, "{backend}");
    assert_eq!((i.carrying_rumours, i.refuting_rumours), (1, 1), "{backend}");
    let months: Vec<(u32, i64, i64, i64)> =
        i.by_month.iter().map(|m| (m.month, m.documents, m.sightings, m.new_stories)).collect();
    assert_eq!(
        months,
        [(1, 0, 0, 0), (2, 0, 0, 0), (3, 2, 3, 1), (4, 3, 4, 3), (5, 1, 1, 1), (6, 0, 0, 0)],
        "{backend}"
    );
    let outlet = |id: i64| i.by_outlet.iter().find(|o| o.source_id == id).unwrap();
    assert_eq!((outlet(f.sources[0]).documents, outlet(f.sources[0]).sightings), (2, 2));
    assert_eq!((outlet(f.sources[3]).documents, outlet(f.sources[3]).sightings), (1, 3));
    assert_eq!(outlet(f.sources[2]).name, SCRIPT_OUTLET);
    let province = |c: Option<&str>| {
        i.by_province
            .iter()
            .find(|p| p.code.as_deref() == c)
            .map(|p| (p.name.as_str(), p.documents))
    };
    assert_eq!(province(Some("79")), Some(("Hồ Chí Minh", 2)), "{backend}");
    assert_eq!(province(Some("48")), Some(("Đà Nẵng", 1)), "{backend}");
    assert_eq!(province(None), Some(("Chưa xác định địa bàn", 2)), "{backend}");
    let topic = |r: &str| i.by_topic.iter().find(|t| t.rule_id == r).unwrap();
    assert_eq!(
        (topic("topic.sxh").documents, topic("topic.sxh").sightings, topic("topic.sxh").stories),
        (3, 4, 2)
    );
    assert_eq!(
        (topic("topic.tcm").documents, topic("topic.tcm").sightings, topic("topic.tcm").stories),
        (2, 3, 2)
    );
    assert_eq!(i.top_stories.first().map(|s| (s.id, s.outlets)), Some((2, 2)), "{backend}");

    let a = &d.alerts;
    assert_eq!(a.opened, 2, "{backend}");
    let rumours = a.by_kind.iter().find(|k| k.kind == RuleKind::Rumor).unwrap();
    assert_eq!((rumours.opened, rumours.by_priority), (2, [0, 2, 0]), "{backend}");
    let state = |s: AlertState| a.by_state.iter().find(|x| x.0 == s).unwrap().1;
    assert_eq!((state(AlertState::Tracking), state(AlertState::Dismissed)), (1, 1), "{backend}");
    assert_eq!(a.by_state.iter().map(|s| s.1).sum::<usize>(), a.opened);
    let reason = |r: DismissReason| a.dismiss_reasons.iter().find(|x| x.0 == r).unwrap().1;
    assert_eq!(reason(DismissReason::FalsePositive), 1);
    let escalated = |t: EscalationTarget| a.escalations.iter().find(|x| x.0 == t).unwrap().1;
    assert_eq!(escalated(EscalationTarget::Ministry), 1, "{backend}");
    assert_eq!((a.acknowledged, a.decided, a.dismissed, a.responded), (1, 2, 1, 1), "{backend}");

    let h = &d.handling;
    assert_eq!((h.tta.count, h.tta.median), (1, Some(Duration::minutes(20))), "{backend}");
    assert_eq!(h.ttr.median, Some(Duration::minutes(12 * 60 + 55)), "{backend}");

    assert_eq!(d.rumours.len(), 2, "{backend}");
    let r = d.rumours.iter().find(|r| r.alert_id == f.rumour_alert).unwrap();
    assert_eq!(r.state, AlertState::Tracking);
    assert_eq!(r.story_title.as_deref(), Some("Lá đu đủ chữa khỏi sốt xuất huyết"));
    assert_eq!(r.origin.as_deref(), Some(SCRIPT_OUTLET));
    assert_eq!(r.first_response.as_ref().map(|x| x.0), Some(ResponseChannel::Website));
    let c = r.correction.unwrap();
    assert_eq!((c.outlets, c.remedied), (2, 1), "{backend}");
    let dismissed = d.rumours.iter().find(|r| r.alert_id == f.dismissed_alert).unwrap();
    assert_eq!((dismissed.state, dismissed.correction.is_none()), (AlertState::Dismissed, true));

    let p = &d.responses;
    assert_eq!((p.total, p.alerts_answered, p.tracked), (1, 1, 1), "{backend}");
    assert_eq!(p.corrections.coverage_percent(), Some(50.0));
    assert_eq!(p.list[0].rule_title, format!("Quy tắc {RUMOUR}"));

    let days: Vec<(&str, i64, i64, i64)> = d
        .health_days
        .iter()
        .map(|h| (h.title.as_str(), h.documents, h.stories, h.outlets))
        .collect();
    assert_eq!(
        days,
        [
            ("Tháng cao điểm diệt lăng quăng", 2, 1, 2),
            ("Ngày ASEAN phòng chống sốt xuất huyết", 0, 0, 0),
        ],
        "{backend}"
    );

    let articles = d.activity.iter().find(|a| a.indicator == ActivityIndicator::Articles).unwrap();
    assert_eq!(
        articles.entry.as_ref().map(|e| (e.value, e.note.as_str())),
        Some((97, "Cổng thông tin điện tử"))
    );
    assert_eq!(articles.previous, Some(80));
    assert!(
        d.activity
            .iter()
            .find(|a| a.indicator == ActivityIndicator::Videos)
            .unwrap()
            .entry
            .is_none()
    );

    // The summary compares with the half before: one document then.
    assert_eq!(value(d, "TB01"), (Some(6.0), Some(1.0)), "{backend}");
    assert_eq!(d.summary.iter().find(|i| i.code == "TB01").unwrap().change_percent(), Some(500.0));
    assert_eq!(value(d, "CB01"), (Some(2.0), Some(0.0)));
    assert_eq!(value(d, "CB05"), (Some(50.0), None));
    assert_eq!(value(d, "PH04"), (Some(50.0), None));
    assert_eq!(value(d, "PH05"), (Some(1.0), Some(0.0)));
    assert_eq!(value(d, "HD02"), (Some(97.0), Some(80.0)));
    assert_eq!(value(d, "HD05"), (None, None), "not entered");
}

/// A sheet as a grid of cells, from its first row and column.
type Grid = Vec<Vec<Data>>;

fn read_workbook(bytes: &[u8]) -> (Vec<String>, BTreeMap<String, Grid>) {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let names = wb.sheet_names();
    let mut out = BTreeMap::new();
    for name in &names {
        let range = wb.worksheet_range(name).unwrap();
        let (rows, cols) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
        let grid = (0..rows)
            .map(|r| {
                (0..cols).map(|c| range.get_value((r, c)).cloned().unwrap_or(Data::Empty)).collect()
            })
            .collect();
        out.insert(name.clone(), grid);
    }
    (names, out)
}

fn text(c: &Data) -> String {
    match c {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

fn number(c: &Data) -> Option<f64> {
    match c {
        Data::Float(v) => Some(*v),
        Data::Int(v) => Some(*v as f64),
        Data::DateTime(d) => Some(d.as_f64()),
        Data::Empty => None,
        other => panic!("not a number: {other:?}"),
    }
}

const HEADER: usize = report::HEADER_ROW as usize;

/// The data rows of a sheet (below the header, down to the first empty row), and the row
/// after them when it is a total.
fn rows(grid: &Grid) -> (Vec<&Vec<Data>>, Option<&Vec<Data>>) {
    let body: Vec<&Vec<Data>> =
        grid[HEADER + 1..].iter().take_while(|r| r.iter().any(|c| *c != Data::Empty)).collect();
    match body.split_last() {
        Some((last, rest)) if matches!(&last[0], Data::String(s) if s.starts_with("Tổng")) => {
            (rest.to_vec(), Some(*last))
        }
        _ => (body, None),
    }
}

fn row_named<'a>(grid: &'a Grid, first: &str) -> &'a Vec<Data> {
    grid[HEADER + 1..]
        .iter()
        .find(|r| text(&r[0]) == first)
        .unwrap_or_else(|| panic!("no row {first:?}"))
}

fn column_sum(rows: &[&Vec<Data>], col: usize) -> f64 {
    rows.iter().map(|r| number(&r[col]).unwrap_or(0.0)).sum()
}

/// The workbook, read back, against the report's figures.
fn check_workbook(d: &ReportData, bytes: &[u8]) {
    assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip archive");
    let (names, sheets) = read_workbook(bytes);
    assert_eq!(names, SHEETS.map(str::to_owned), "sheets in order");
    for (name, grid) in &sheets {
        assert!(text(&grid[1][0]).contains(&d.period.label), "{name}: the period above the table");
        assert!(!text(&grid[HEADER][0]).is_empty(), "{name}: a header");
    }

    // 1_TongHop: every indicator, its value and the previous period's.
    let summary = &sheets["1_TongHop"];
    let (lines, _) = rows(summary);
    assert_eq!(lines.len(), d.summary.len());
    for (row, i) in lines.iter().zip(&d.summary) {
        assert_eq!(text(&row[0]), i.code);
        assert_eq!(text(&row[2]), i.name);
        assert_eq!(text(&row[3]), i.unit);
        let rounded = |v: Option<f64>| v.map(|v| (v * 10.0).round() / 10.0);
        assert_eq!(number(&row[4]), rounded(i.value), "{} value", i.code);
        assert_eq!(number(&row[5]), rounded(i.previous), "{} previous", i.code);
        assert_eq!(number(&row[6]), rounded(i.change_percent()), "{} change", i.code);
    }
    let tb01 = row_named(summary, "TB01");
    assert_eq!(
        (number(&tb01[4]), number(&tb01[5]), number(&tb01[6])),
        (Some(6.0), Some(1.0), Some(500.0))
    );

    // Items per month, tier, outlet, province: the rows add up to the totals.
    let (months, total) = rows(&sheets["2_TinBai_Thang"]);
    assert_eq!(months.len(), 6);
    let total = total.unwrap();
    for (col, whole) in [(1, d.items.documents), (2, d.items.sightings), (3, d.items.new_stories)] {
        assert_eq!(column_sum(&months, col), whole as f64, "month column {col}");
        assert_eq!(number(&total[col]), Some(whole as f64));
    }
    let april = row_named(&sheets["2_TinBai_Thang"], "Tháng 04/2026");
    assert_eq!(
        (number(&april[1]), number(&april[2]), number(&april[3])),
        (Some(3.0), Some(4.0), Some(3.0))
    );
    let (tiers, total) = rows(&sheets["2_TinBai_LoaiNguon"]);
    assert_eq!(tiers.len(), 4);
    assert_eq!(column_sum(&tiers, 2), d.items.documents as f64);
    assert_eq!(number(&total.unwrap()[1]), Some(d.items.outlets as f64));
    let outlets = &sheets["2_TinBai_Nguon"];
    let (lines, total) = rows(outlets);
    assert_eq!(lines.len(), 4);
    assert_eq!(column_sum(&lines, 2), d.items.documents as f64);
    assert_eq!(column_sum(&lines, 3), d.items.sightings as f64);
    assert_eq!(number(&total.unwrap()[3]), Some(d.items.sightings as f64));
    let script = row_named(outlets, SCRIPT_OUTLET);
    assert_eq!(
        (text(&script[1]), number(&script[2]), number(&script[3])),
        ("Mạng xã hội".to_owned(), Some(1.0), Some(1.0))
    );
    let provinces = &sheets["3_DiaBan"];
    let (lines, total) = rows(provinces);
    assert_eq!(column_sum(&lines, 2), d.items.documents as f64);
    assert_eq!(number(&total.unwrap()[2]), Some(d.items.documents as f64));
    let hcm = row_named(provinces, "Hồ Chí Minh");
    assert_eq!(
        (text(&hcm[1]), number(&hcm[2]), number(&hcm[3])),
        ("79".to_owned(), Some(2.0), Some(1.0))
    );
    assert_eq!(
        text(&lines.last().unwrap()[0]),
        "Chưa xác định địa bàn",
        "the unknown province last"
    );

    // Topics, and the topic × province grid whose rows add up to each topic's documents.
    let (topics, total) = rows(&sheets["3_ChuDe"]);
    assert_eq!(topics.len(), d.items.by_topic.len());
    for (row, t) in topics.iter().zip(&d.items.by_topic) {
        assert_eq!(
            (text(&row[1]), number(&row[2]), number(&row[3]), number(&row[4])),
            (
                t.rule_id.clone(),
                Some(t.documents as f64),
                Some(t.sightings as f64),
                Some(t.stories as f64)
            )
        );
    }
    assert_eq!(number(&total.unwrap()[2]), Some(5.0), "3 + 2 topic assignments");
    let grid = &sheets["3_ChuDe_DiaBan"];
    let (lines, total) = rows(grid);
    let width = grid[HEADER].iter().filter(|c| **c != Data::Empty).count();
    let headers: Vec<String> = grid[HEADER][..width].iter().map(text).collect();
    assert_eq!(headers, ["Chủ đề", "Hồ Chí Minh", "Hà Nội", "Đà Nẵng", "Tổng"]);
    for (row, t) in lines.iter().zip(&d.items.by_topic) {
        let cells: f64 = (1..width - 1).map(|c| number(&row[c]).unwrap()).sum();
        assert_eq!(cells, t.documents as f64, "{}", t.rule_id);
        assert_eq!(number(&row[width - 1]), Some(t.documents as f64));
    }
    assert_eq!(number(&total.unwrap()[1]), Some(3.0), "Hồ Chí Minh: A (sxh), B (sxh, tcm)");
    let stories = &sheets["3_CauChuyen"];
    let first = &stories[HEADER + 1];
    assert_eq!(text(&first[0]), "Lá đu đủ chữa khỏi sốt xuất huyết");
    assert_eq!(
        number(&first[3]),
        Some(report::serial(d.items.top_stories[0].first_seen)),
        "a date and time"
    );

    // Alerts.
    let (kinds, total) = rows(&sheets["4_CanhBao_Loai"]);
    assert_eq!(column_sum(&kinds, 1), d.alerts.opened as f64);
    assert_eq!(number(&total.unwrap()[3]), Some(2.0), "two P2 alerts");
    let outcomes = &sheets["4_CanhBao"];
    let find = |group: &str, item: &str| {
        outcomes[HEADER + 1..]
            .iter()
            .find(|r| text(&r[0]) == group && text(&r[1]) == item)
            .and_then(|r| number(&r[2]))
    };
    assert_eq!(find("Xử lý trong kỳ", "Cảnh báo mới"), Some(2.0));
    assert_eq!(find("Trạng thái cuối kỳ của cảnh báo mới", "Theo dõi cải chính"), Some(1.0));
    assert_eq!(find("Lý do bỏ qua", "Quy tắc nhận nhầm"), Some(1.0));
    assert_eq!(find("Báo cáo cấp trên (lượt)", "Bộ Y tế"), Some(1.0));
    let (rules, _) = rows(&sheets["4_CanhBao_QuyTac"]);
    let dismissed = rules.iter().find(|r| text(&r[1]) == DISMISSED).unwrap();
    assert_eq!(
        (number(&dismissed[3]), number(&dismissed[5]), number(&dismissed[6])),
        (Some(1.0), Some(1.0), Some(100.0))
    );

    // Handling times in hours, deadlines as the KPI figures count them.
    let times = &sheets["4_XuLy_ThoiGian"];
    let tta = row_named(times, "Thời gian tiếp nhận");
    assert_eq!((number(&tta[2]), number(&tta[3])), (Some(1.0), Some(0.3)));
    let ttr = row_named(times, "Thời gian phản hồi");
    assert_eq!(number(&ttr[3]), Some(12.9));
    let (lines, total) = rows(&sheets["4_XuLy_DungHan"]);
    let whole: Vec<&&Vec<Data>> = lines.iter().filter(|r| text(&r[0]) == "Cả kỳ").collect();
    assert_eq!(whole.len(), d.handling.compliance.len());
    for (row, c) in whole.iter().zip(&d.handling.compliance) {
        assert_eq!((number(&row[3]), number(&row[4])), (Some(c.met as f64), Some(c.missed as f64)));
    }
    let met: usize = d.handling.compliance.iter().map(|c| c.met).sum();
    let missed: usize = d.handling.compliance.iter().map(|c| c.missed).sum();
    assert!(met + missed > 0, "deadlines had outcomes");
    assert_eq!(number(&total.unwrap()[3]), Some(met as f64));

    // Rumours with their responses and correction coverage.
    let (lines, _) = rows(&sheets["5_TinDon_TinGia"]);
    assert_eq!(lines.len(), 2);
    let r = &d.rumours[0];
    let row = lines.iter().find(|l| number(&l[0]) == Some(r.alert_id as f64)).unwrap();
    assert_eq!(text(&row[7]), "Theo dõi cải chính");
    assert_eq!(text(&row[10]), "Cổng thông tin điện tử");
    assert_eq!(text(&row[11]), "https://soyte.example.vn/phan-hoi-la-du-du");
    assert_eq!(
        (text(&row[12]), number(&row[13]), number(&row[15])),
        ("1/2".to_owned(), Some(50.0), Some(50.0))
    );
    let (channels, total) = rows(&sheets["6_PhanHoi_Kenh"]);
    assert_eq!(channels.len(), ResponseChannel::ALL.len());
    assert_eq!(number(&total.unwrap()[1]), Some(1.0));
    let (responses, _) = rows(&sheets["6_PhanHoi"]);
    assert_eq!(responses.len(), 1);
    assert!(text(&responses[0][4]).starts_with("Sở Y tế khẳng định"));
    let (days, _) = rows(&sheets["6_NgaySucKhoe"]);
    assert_eq!(
        (number(&days[0][1]), number(&days[0][4])),
        (Some(report::serial_of_day(day(2026, 3, 1))), Some(2.0))
    );

    // The office's counts and the definitions.
    let activity = &sheets["7_HoatDongTT"];
    let articles = row_named(activity, "articles");
    assert_eq!(
        (number(&articles[3]), number(&articles[4]), text(&articles[6])),
        (Some(97.0), Some(80.0), "can-bo-lan".to_owned())
    );
    assert_eq!(number(&row_named(activity, "videos")[3]), None);
    let about = &sheets["8_DinhNghia"];
    assert_eq!(text(&row_named(about, "Kỳ báo cáo")[1]), d.period.label);
    assert_eq!(text(&row_named(about, "Phần mềm")[1]), "Lắng Nghe (thử)");
    assert!(text(&row_named(about, "Phiên bản cơ sở dữ liệu")[1]).starts_with("lược đồ số "));
}

fn check_csv(d: &ReportData, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).unwrap();
    let body = text.strip_prefix(report::BOM).expect("a byte-order mark for Excel");
    let records: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes())
        .records()
        .collect::<Result<_, _>>()
        .unwrap();
    let starts: Vec<&str> =
        records.iter().filter_map(|r| r.get(0)).filter(|c| SHEETS.contains(c)).collect();
    assert_eq!(starts, SHEETS, "every table, in order");
    let tb01 = records.iter().find(|r| r.get(0) == Some("TB01")).unwrap();
    assert_eq!((tb01.get(4), tb01.get(5), tb01.get(6)), (Some("6"), Some("1"), Some("500.0")));
    assert!(records.iter().any(|r| r.get(0) == Some(SCRIPT_OUTLET)), "text as it is, quoted");
    let one = report::csv_sheet(d, "3_DiaBan").unwrap();
    let grid: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .from_reader(
            std::str::from_utf8(&one).unwrap().strip_prefix(report::BOM).unwrap().as_bytes(),
        )
        .records()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(grid.last().unwrap().get(2), Some("6"), "the total row");
}

fn check_html(d: &ReportData) {
    let page = report::html(d, &Stylesheet::Inline);
    assert!(page.contains("&lt;script&gt;alert"), "the outlet's name is escaped");
    assert!(!page.contains("<script"), "no script at all");
    assert!(page.contains("<svg"), "charts");
    assert!(page.contains("<style>") && page.contains("@media print"));
    assert!(page.contains(&d.period.label));
    let linked = report::html(d, &Stylesheet::Link("/static/report.css".into()));
    assert!(!linked.contains("<style>") && linked.contains("href=\"/static/report.css\""));
    assert!(!linked.contains(" style="), "no inline style attributes (page security policy)");
}

#[tokio::test]
async fn the_workbook_holds_the_store_s_figures() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let f = fixture(&store).await;
        let h1 = period::half(2026, true, &Cutoffs::default());
        let data = store.report_data(&request(h1.clone())).await.unwrap();
        check_figures(&data, &f, backend);
        // The handling figures are the KPI page's, over the same period.
        let k =
            store.handling_figures(Period { from: h1.from(), to: h1.to() }, now()).await.unwrap();
        assert_eq!(data.alerts.opened, k.counts.opened, "{backend}");
        assert_eq!(data.handling.tta.median, k.tta.median);
        assert_eq!(data.handling.ttdec.median, k.ttdec.median);
        assert_eq!(data.figures_at, h1.to(), "a period over is taken at its end");
        check_workbook(&data, &report::xlsx(&data).unwrap());
        check_csv(&data, &report::csv(&data));
        check_html(&data);

        // A range of days is compared with as many days before it.
        let april = period::range(day(2026, 4, 1), day(2026, 4, 30)).unwrap();
        let data = store.report_data(&request(april)).await.unwrap();
        assert_eq!((data.items.documents, data.alerts.opened), (3, 2), "{backend}");
        assert_eq!(value(&data, "TB01"), (Some(3.0), Some(2.0)), "{backend}: March's two");
        assert!(data.activity.iter().all(|a| a.entry.is_none()), "counts are per period");
        store.close().await;
    }
}

#[tokio::test]
async fn activity_counts_are_set_changed_and_cleared() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let p = period::half(2026, false, &Cutoffs::default());
        let set =
            |v: Option<i64>, note: &str| vec![(ActivityIndicator::Leaflets, v, note.to_owned())];
        assert_eq!(
            store.set_office_activity(&p, &set(Some(91_500), "in"), "a", now()).await.unwrap(),
            1
        );
        assert_eq!(
            store.set_office_activity(&p, &set(Some(91_500), " in "), "b", now()).await.unwrap(),
            0
        );
        let later = now() + Duration::hours(1);
        assert_eq!(
            store.set_office_activity(&p, &set(Some(92_000), "in"), "b", later).await.unwrap(),
            1
        );
        let got = store.office_activity(&p).await.unwrap();
        assert_eq!(got.len(), 1, "{backend}");
        assert_eq!(
            (got[0].value, got[0].author.as_deref(), got[0].updated_at),
            (92_000, Some("b"), later)
        );
        let refused = store.set_office_activity(&p, &set(Some(-1), ""), "b", now()).await;
        assert!(matches!(refused, Err(store::Error::Refused(_))), "{backend}");
        assert_eq!(store.set_office_activity(&p, &set(None, ""), "b", now()).await.unwrap(), 1);
        assert!(store.office_activity(&p).await.unwrap().is_empty(), "{backend}: cleared");
        store.close().await;
    }
}
