//! Correction tracking as stored, on every configured back end: tracking starts from the
//! first response and moves the alert to `tracking`, the alert's sightings become items
//! once, outcome changes are written with their events, later documents of the carrying
//! outlets are read past a cursor, and the end of the window closes the alert unless a
//! person did.
#![allow(clippy::unwrap_used)]

use alerts::corrections::{Basis, ItemState, ReachBasis, Share};
use alerts::triage::{Actor, Command};
use chrono::{Duration, TimeZone, Utc};
use model::{
    AlertAction, AlertState, CorrectionOutcome, Hit, MatchedTerm, NewDocument, ResponseChannel,
    Role, RuleKind, Severity, SourceTier, Story, Timestamp,
};
use store::{
    CheckDone, ItemRole, ItemUpdate, NewCorrectionItem, NewResponse, NewSource, Observed,
    Processed, Store, StoryUpdate,
};

const RULE: &str = "rumor.vac-xin-vo-sinh";
const CLAIM: &str = "Tiêm vắc xin gây vô sinh ở phụ nữ trẻ.";

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap()
}

fn doc(source_id: i64, url: &str, title: &str, body: &str, at: Timestamp) -> NewDocument {
    NewDocument {
        source_id,
        url: url.to_owned(),
        title: title.to_owned(),
        summary: String::new(),
        body: body.to_owned(),
        author: None,
        published_at: Some(at),
        fetched_at: at,
        language: "vi".to_owned(),
        content_hash: format!("{title}|{body}"),
        post: None,
    }
}

fn rumour(body: &str) -> Hit {
    let start = body.find("vô sinh").unwrap();
    Hit {
        rule_id: RULE.into(),
        rule_title: "Tin đồn vắc xin gây vô sinh".into(),
        kind: RuleKind::Rumor,
        severity: Severity::High,
        terms: vec![MatchedTerm {
            field: "body",
            start,
            end: start + "vô sinh".len(),
            term: "vô sinh".into(),
        }],
    }
}

async fn source(store: &Store, name: &str) -> i64 {
    let s = NewSource {
        name: name.into(),
        url: format!("https://{}.vn/rss", name.to_lowercase().replace(' ', "-")),
        tier: SourceTier::Press,
        ..NewSource::default()
    };
    store.upsert_source(&s, t0()).await.unwrap().id
}

/// Stores documents in story 1.
async fn store_in_story(store: &Store, batch: Vec<Processed>) -> Vec<i64> {
    let stored = store.insert_batch_placed(&batch, &mut store::into_story(1)).await.unwrap();
    stored.inserted.iter().map(|i| i.id).collect()
}

/// An alert on story 1 carried by three outlets, the office's response published at t0.
async fn responded(store: &Store) -> (i64, [i64; 3]) {
    let a = source(store, "Báo A").await;
    let b = source(store, "Báo B").await;
    let c = source(store, "Báo C").await;
    let body = format!("Mạng xã hội lan truyền. {CLAIM} Nhiều người hoang mang.");
    let batch: Vec<Processed> =
        [(a, "https://a.vn/1"), (b, "https://b.vn/1"), (c, "https://c.vn/1")]
            .iter()
            .enumerate()
            .map(|(i, &(s, url))| {
                let at = t0() - Duration::hours(10 - i as i64);
                Processed::new(
                    doc(s, url, &format!("Tin đồn vắc xin {i}"), &body, at),
                    vec![rumour(&body)],
                )
            })
            .collect();
    let docs = store_in_story(store, batch).await;
    let story = Story {
        id: 1,
        title: "Tin đồn vắc xin".into(),
        origin_document: docs[0],
        origin_source: a,
        origin_source_name: String::new(),
        origin_basis: "earliest".into(),
        province: None,
        first_seen: t0() - Duration::hours(10),
        last_seen: t0(),
        documents: 3,
        sightings: 3,
        outlets: 3,
    };
    store.save_stories(&[StoryUpdate { story, relations: Vec::new() }], t0()).await.unwrap();
    let officer = store.create_user("can-bo", "x", Role::Officer, t0()).await.unwrap();
    let actor = Actor::User { id: officer.id, role: Role::Officer };
    let alert = store.alert_board(None, 10).await.unwrap()[0].alert.id;
    let at = t0() - Duration::hours(5);
    store.act(alert, &Command::Acknowledge { priority: None }, actor, None, at).await.unwrap();
    let assign = Command::Assign { user: officer.id, role: Role::Officer };
    store.act(alert, &assign, actor, None, at).await.unwrap();
    store.act(alert, &Command::RequireResponse, actor, None, at).await.unwrap();
    let response = NewResponse {
        channel: ResponseChannel::Website,
        published_at: t0(),
        text: "Sở Y tế khẳng định vắc xin không gây vô sinh. Thông tin lan truyền là sai sự thật."
            .into(),
        url: Some("https://soyte.gov.vn/phan-hoi-1".into()),
    };
    store.respond(alert, &response, actor, None, t0() + Duration::minutes(30)).await.unwrap();
    (alert, [a, b, c])
}

fn item(i: &store::AlertItem, role: ItemRole) -> NewCorrectionItem {
    NewCorrectionItem {
        sighting_id: i.sighting_id,
        document_id: i.document.id,
        source_id: i.source_id,
        url: i.url.clone(),
        carried_at: i.carried_at,
        role,
        reach: 1000,
        reach_basis: ReachBasis::Tier,
        passage: CLAIM.into(),
        fetchable: true,
        next_check_at: Some(t0() + Duration::hours(1)),
        seen_revision: 0,
    }
}

#[tokio::test]
async fn tracking_runs_from_the_response_to_the_close() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let (alert, [a, b, c]) = responded(&store).await;
        assert_eq!(store.corrections_to_start().await.unwrap(), [alert], "{backend}");
        let now = t0() + Duration::minutes(31);
        let start = store.start_corrections(alert, now).await.unwrap().unwrap();
        assert_eq!(start.window.started_at, t0(), "{backend}: t0 is the response's publication");
        assert_eq!(start.window.ends_at, t0() + Duration::days(14));
        assert!(start.event_id.is_some());
        assert_eq!(store.alert(alert).await.unwrap().state, AlertState::Tracking);
        let events = store.alert_events(alert).await.unwrap();
        let track = events.last().unwrap();
        assert_eq!((track.action, track.actor.clone()), (AlertAction::Track, None), "{backend}");
        assert!(track.data.as_deref().unwrap().contains("\"response\""));
        assert!(store.start_corrections(alert, now).await.unwrap().is_none(), "started once");
        assert!(store.corrections_to_start().await.unwrap().is_empty());

        let active = store.corrections_active().await.unwrap();
        assert_eq!(active.len(), 1);
        assert_eq!((active[0].rule_id.as_str(), active[0].stories.as_slice()), (RULE, &[1][..]));
        assert_eq!(active[0].response_url.as_deref(), Some("https://soyte.gov.vn/phan-hoi-1"));

        // Every sighting of the alert's documents, once.
        let new = store.correction_new_items(alert, RULE, 100).await.unwrap();
        assert_eq!(new.len(), 3, "{backend}");
        assert!(new.iter().all(|i| i.own && i.story == Some(1) && i.terms.len() == 1));
        assert_eq!(new[0].carried_at, t0() - Duration::hours(10));
        assert_eq!(new[0].stance, None, "no stance until the stance stage writes one");
        let rows: Vec<NewCorrectionItem> = new.iter().map(|i| item(i, ItemRole::Carrier)).collect();
        assert_eq!(store.add_correction_items(alert, &rows).await.unwrap(), 3);
        assert_eq!(store.add_correction_items(alert, &rows).await.unwrap(), 0, "once per URL");
        assert!(store.correction_new_items(alert, RULE, 100).await.unwrap().is_empty());

        let items = store.correction_items(alert, RULE).await.unwrap();
        assert_eq!(items.len(), 3);
        let of =
            |source: i64| items.iter().find(|i| i.carrier.source_id == source).unwrap().clone();
        let item_c = of(c);
        assert_eq!(item_c.carrier.outlet, "Báo C");
        assert!(item_c.still_hits && item_c.fetchable && item_c.passage == CLAIM);

        // C answers 404 at +6 h: its outcome and a check, with the event, in one write.
        let at = t0() + Duration::hours(6);
        let to = ItemState {
            outcome: CorrectionOutcome::TakenDown,
            outcome_at: Some(at),
            remedied_at: Some(at),
        };
        let update = ItemUpdate {
            item_id: item_c.carrier.id,
            observed: Some(Observed {
                from: item_c.carrier.state,
                to,
                basis: Basis::Gone(404),
                evidence_document: None,
            }),
            check: Some(CheckDone {
                checks: 2,
                next_check_at: Some(t0() + Duration::hours(24)),
                at,
                status: 404,
                etag: None,
                last_modified: None,
            }),
            seen_revision: None,
        };
        let event = store.update_correction_item(&update, at).await.unwrap();
        assert!(event.is_some(), "{backend}");
        let e = store.alert_events(alert).await.unwrap().pop().unwrap();
        assert_eq!(
            (e.action, e.from, e.to),
            (AlertAction::Correction, AlertState::Tracking, AlertState::Tracking)
        );
        let data: serde_json::Value = serde_json::from_str(e.data.as_deref().unwrap()).unwrap();
        assert_eq!(data["source"], "Báo C");
        assert_eq!(data["url"], "https://c.vn/1");
        assert_eq!(data["outcome"], "taken_down");
        assert_eq!(data["status"], 404);
        // Written over an outcome that changed meanwhile: refused.
        let again = store.update_correction_item(&update, at).await;
        assert!(matches!(again, Err(store::Error::Stale(_))), "{backend}: {again:?}");
        let item_c = store
            .correction_items(alert, RULE)
            .await
            .unwrap()
            .into_iter()
            .find(|i| i.carrier.source_id == c)
            .unwrap();
        assert_eq!(
            (
                item_c.carrier.state.outcome,
                item_c.carrier.checks,
                item_c.carrier.last_status,
                item_c.carrier.basis
            ),
            (CorrectionOutcome::TakenDown, 2, Some(404), Some(Basis::Gone(404)))
        );

        // Later documents of the carrying outlets: A's formal correction, and an unrelated
        // outlet's article that is never read.
        let d = source(&store, "Báo D").await;
        let later = t0() + Duration::hours(20);
        let fixed = store_in_story(
            &store,
            vec![
                Processed::new(
                    doc(
                        a,
                        "https://a.vn/cai-chinh",
                        "Thông tin cải chính, xin lỗi bạn đọc",
                        "Bài ngày 2/12 đưa tin sai.",
                        later,
                    ),
                    Vec::new(),
                ),
                Processed::new(
                    doc(d, "https://d.vn/1", "Thông tin cải chính", "Không liên quan.", later),
                    Vec::new(),
                ),
            ],
        )
        .await;
        let found = store
            .correction_candidates(alert, RULE, 0, t0() - Duration::hours(10), 100)
            .await
            .unwrap();
        let urls: Vec<&str> = found.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(
            urls,
            ["https://a.vn/1", "https://b.vn/1", "https://c.vn/1", "https://a.vn/cai-chinh"],
            "{backend}"
        );
        let correction = found.last().unwrap();
        assert_eq!(
            (correction.document.id, correction.story, correction.at),
            (fixed[0], Some(1), later)
        );
        store.set_correction_cursor(alert, correction.sighting_id).await.unwrap();
        store.set_correction_cursor(alert, 1).await.unwrap();
        let cursor = store.corrections_active().await.unwrap()[0].evidence_cursor;
        assert_eq!(cursor, correction.sighting_id, "the cursor never goes back");
        assert!(
            store.correction_candidates(alert, RULE, cursor, t0(), 100).await.unwrap().is_empty()
        );

        let item_a = of(a);
        let to = ItemState {
            outcome: CorrectionOutcome::Refuted,
            outcome_at: Some(later),
            remedied_at: Some(later),
        };
        let refuted = ItemUpdate {
            item_id: item_a.carrier.id,
            observed: Some(Observed {
                from: item_a.carrier.state,
                to,
                basis: Basis::FormalTitle,
                evidence_document: Some(fixed[0]),
            }),
            ..ItemUpdate::default()
        };
        store.update_correction_item(&refuted, later + Duration::minutes(1)).await.unwrap();

        let report = store.alert_corrections(alert).await.unwrap().unwrap();
        assert_eq!(report.coverage, Share { part: 2, whole: 3 }, "{backend}");
        assert_eq!(report.formal_coverage, Share { part: 1, whole: 3 });
        assert_eq!(report.outstanding, ["Báo B"]);
        let origin = report.origin.clone().unwrap();
        assert_eq!((origin.source_id, origin.name.as_str(), origin.remedied), (a, "Báo A", true));
        assert_eq!(report.median_time_to_correction, Some(Duration::hours(13)));
        assert_eq!(
            report.carriers.iter().find(|c| c.source_id == a).unwrap().evidence_document,
            Some(fixed[0])
        );
        assert!(
            report
                .carriers
                .iter()
                .any(|c| c.source_id == b && c.state.outcome == CorrectionOutcome::Unchanged)
        );

        // The window ends: the system closes the alert with the figures as its note.
        let end = t0() + Duration::days(14);
        let closed = store.finish_corrections(alert, end).await.unwrap();
        assert!(closed.is_some(), "{backend}");
        let alert_now = store.alert(alert).await.unwrap();
        assert_eq!(alert_now.state, AlertState::Closed);
        let close = store.alert_events(alert).await.unwrap().pop().unwrap();
        assert_eq!((close.action, close.actor.clone()), (AlertAction::Close, None));
        let note = close.note.unwrap();
        assert!(note.contains("2/3") && note.contains("Báo B"), "{note}");
        assert!(store.corrections_active().await.unwrap().is_empty());
        assert!(store.finish_corrections(alert, end).await.unwrap().is_none(), "closed once");
        let report = store.alert_corrections(alert).await.unwrap().unwrap();
        assert_eq!(report.window.finished_at, Some(end));

        // Re-opened, answered again: tracked again from the new response, the outcomes kept.
        let officer = store.user_by_name("can-bo").await.unwrap().unwrap().0;
        let actor = Actor::User { id: officer.id, role: Role::Officer };
        let later = t0() + Duration::days(20);
        store.act(alert, &Command::Reopen, actor, Some("Lan truyền lại"), later).await.unwrap();
        let assign = Command::Assign { user: officer.id, role: Role::Officer };
        store.act(alert, &assign, actor, None, later).await.unwrap();
        store.act(alert, &Command::RequireResponse, actor, None, later).await.unwrap();
        assert!(store.corrections_to_start().await.unwrap().is_empty(), "no new response yet");
        let again = NewResponse {
            channel: ResponseChannel::PressConference,
            published_at: later,
            text: "Họp báo: vắc xin an toàn.".into(),
            url: None,
        };
        store.respond(alert, &again, actor, None, later).await.unwrap();
        assert_eq!(store.corrections_to_start().await.unwrap(), [alert], "{backend}");
        let restart = store.start_corrections(alert, later).await.unwrap().unwrap();
        assert_eq!((restart.window.started_at, restart.window.finished_at), (later, None));
        assert!(restart.event_id.is_some());
        assert_eq!(store.alert(alert).await.unwrap().state, AlertState::Tracking);
        let report = store.alert_corrections(alert).await.unwrap().unwrap();
        assert_eq!(report.coverage, Share { part: 2, whole: 3 }, "{backend}: outcomes kept");
        assert!(
            report
                .carriers
                .iter()
                .all(|c| c.checks == 0 && c.next_check == Some(later + Duration::hours(1)))
        );
        assert!(store.start_corrections(alert, later).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_person_who_closed_first_is_not_overruled() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let (alert, _) = responded(&store).await;
        // Not tracked yet: no report.
        assert!(store.alert_corrections(alert).await.unwrap().is_none());
        store.start_corrections(alert, t0() + Duration::hours(1)).await.unwrap().unwrap();
        let officer = store.user_by_name("can-bo").await.unwrap().unwrap().0;
        let actor = Actor::User { id: officer.id, role: Role::Officer };
        store.act(alert, &Command::Close, actor, None, t0() + Duration::days(3)).await.unwrap();
        let before = store.alert_events(alert).await.unwrap().len();
        assert!(
            store.finish_corrections(alert, t0() + Duration::days(14)).await.unwrap().is_none(),
            "{backend}"
        );
        assert_eq!(store.alert_events(alert).await.unwrap().len(), before);
        assert!(store.corrections_active().await.unwrap().is_empty());
        // A closed alert with a response never starts tracking again.
        assert!(store.corrections_to_start().await.unwrap().is_empty());
    }
}
