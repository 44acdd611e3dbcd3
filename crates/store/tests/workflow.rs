//! Alert handling on every configured back end: every change is one event, refused moves
//! change nothing, merged alerts pass their growth on, and finished alerts come back when
//! they grow.

#![allow(clippy::unwrap_used)]

use alerts::triage::{Actor, Command};
use chrono::{Duration, TimeZone, Utc};
use model::{
    AlertAction, AlertState, DismissReason, Hit, MatchedTerm, NewDocument, Priority,
    ResponseChannel, Role, RuleKind, Severity, SourceKind, SourceTier,
};
use store::{NewResponse, NewSource, Processed, Store};

fn now() -> model::Timestamp {
    // Monday 7 December 2026, 09:00 in Vietnam.
    Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap()
}

fn doc(source_id: i64, url: &str, at: model::Timestamp) -> NewDocument {
    NewDocument {
        source_id,
        url: url.to_owned(),
        title: "Lá đu đủ chữa khỏi sốt xuất huyết".to_owned(),
        summary: String::new(),
        body: "Uống nước lá đu đủ là khỏi sốt xuất huyết.".to_owned(),
        author: None,
        published_at: Some(at),
        fetched_at: at,
        language: "vi".to_owned(),
        content_hash: url.to_owned(),
        post: None,
    }
}

fn rumour(severity: Severity) -> Hit {
    Hit {
        rule_id: "rumor.la-du-du".into(),
        rule_title: "Lá đu đủ chữa sốt xuất huyết".into(),
        kind: RuleKind::Rumor,
        severity,
        terms: vec![MatchedTerm { field: "title", start: 0, end: 9, term: "lá đu đủ".into() }],
    }
}

async fn source(store: &Store, name: &str) -> i64 {
    let s = NewSource {
        name: name.into(),
        url: format!("http://127.0.0.1:1/{name}.xml"),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        interval_secs: 300,
        allow_private: true,
        ..NewSource::default()
    };
    store.upsert_source(&s, now()).await.unwrap().id
}

async fn each_store(f: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::stores(dir.path()).await {
        f(name, store.clone()).await;
        store.close().await;
    }
}

async fn officer(store: &Store) -> Actor {
    let u = store.create_user("can-bo", "x", Role::Officer, now()).await.unwrap();
    Actor::User { id: u.id, role: Role::Officer }
}

/// Stores one rumour document of `source` at `at` and returns its alert's id.
async fn rumour_doc(store: &Store, source: i64, url: &str, at: model::Timestamp) -> i64 {
    store
        .insert_batch(&[Processed::new(doc(source, url, at), vec![rumour(Severity::High)])])
        .await
        .unwrap();
    let board = store.alert_board(None, 10).await.unwrap();
    board.iter().find(|e| e.document.doc.url == url).map(|e| e.alert.id).unwrap()
}

#[tokio::test]
async fn a_new_alert_has_its_opening_event_priority_and_deadline() {
    each_store(async |backend, store| {
        let a = source(&store, "a").await;
        let id = rumour_doc(&store, a, "https://a.vn/1", now()).await;
        let alert = store.alert(id).await.unwrap();
        assert_eq!(alert.state, AlertState::New, "{backend}");
        assert_eq!(alert.handling.priority, Priority::P2, "{backend}");
        // P2: two business hours from Monday 09:00.
        assert_eq!(alert.handling.ack_due, Some(now() + Duration::hours(2)), "{backend}");
        let events = store.alert_events(id).await.unwrap();
        assert_eq!(events.len(), 1, "{backend}");
        assert_eq!((events[0].action, events[0].actor.clone()), (AlertAction::Opened, None));
    })
    .await;
}

#[tokio::test]
async fn every_action_is_one_event_and_refusals_change_nothing() {
    each_store(async |backend, store| {
        let a = source(&store, "a").await;
        let id = rumour_doc(&store, a, "https://a.vn/1", now()).await;
        let me = officer(&store).await;
        let t = |m| now() + Duration::minutes(m);
        store
            .act(id, &Command::Acknowledge { priority: Some(Priority::P1) }, me, None, t(5))
            .await
            .unwrap();
        let user = me.user_id().unwrap();
        store
            .act(id, &Command::Assign { user, role: Role::Officer }, me, None, t(6))
            .await
            .unwrap();
        // Responding before deciding that a response is needed is refused.
        let refused = store
            .respond(
                id,
                &NewResponse {
                    channel: ResponseChannel::Website,
                    published_at: t(7),
                    text: "Sở Y tế khẳng định lá đu đủ không chữa được sốt xuất huyết.".into(),
                    url: Some("https://soyte.example.vn/tin/1".into()),
                },
                me,
                None,
                t(7),
            )
            .await;
        assert!(matches!(refused, Err(store::Error::Refused(_))), "{backend}: {refused:?}");
        store.act(id, &Command::RequireResponse, me, None, t(8)).await.unwrap();
        store
            .respond(
                id,
                &NewResponse {
                    channel: ResponseChannel::Website,
                    published_at: t(9),
                    text: "Sở Y tế khẳng định lá đu đủ không chữa được sốt xuất huyết.".into(),
                    url: Some("https://soyte.example.vn/tin/1".into()),
                },
                me,
                Some("đã đăng"),
                t(9),
            )
            .await
            .unwrap();
        let alert = store.alert(id).await.unwrap();
        assert_eq!(alert.state, AlertState::Responded, "{backend}");
        assert_eq!(alert.handling.priority, Priority::P1, "{backend}");
        assert_eq!(alert.handling.assignee, Some((user, "can-bo".to_owned())), "{backend}");
        assert!(alert.handling.respond_due.is_some(), "{backend}");
        let actions: Vec<AlertAction> =
            store.alert_events(id).await.unwrap().iter().map(|e| e.action).collect();
        assert_eq!(
            actions,
            [
                AlertAction::Opened,
                AlertAction::Acknowledge,
                AlertAction::Assign,
                AlertAction::RequireResponse,
                AlertAction::Respond
            ],
            "{backend}"
        );
        let responses = store.alert_responses(id).await.unwrap();
        assert_eq!(responses.len(), 1, "{backend}");
        assert_eq!(responses[0].recorded_by.as_deref(), Some("can-bo"), "{backend}");
        // The live feed sees them in order.
        let after = store.events_after(0, 100).await.unwrap();
        assert_eq!(after.len(), 5, "{backend}");
        assert_eq!(store.last_event_id().await.unwrap(), after[4].id, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn a_dismissed_alert_comes_back_when_it_grows() {
    each_store(async |backend, store| {
        let (a, b) = (source(&store, "a").await, source(&store, "b").await);
        let id = rumour_doc(&store, a, "https://a.vn/1", now()).await;
        let me = officer(&store).await;
        store
            .act(id, &Command::Dismiss { reason: DismissReason::NotRelevant }, me, None, now())
            .await
            .unwrap();
        let again = rumour_doc(&store, b, "https://b.vn/1", now() + Duration::hours(3)).await;
        assert_eq!(again, id, "{backend}: the same incident comes back");
        let alert = store.alert(id).await.unwrap();
        assert_eq!(alert.state, AlertState::New, "{backend}");
        let reason = alert.handling.regrown.unwrap();
        assert!(reason.contains("1 nguồn") && reason.contains("không liên quan"), "{reason}");
        assert_eq!(alert.doc_count, 2, "{backend}");
        let last = store.alert_events(id).await.unwrap().pop().unwrap();
        assert_eq!(
            (last.action, last.from, last.to),
            (AlertAction::Regrow, AlertState::Dismissed, AlertState::New)
        );
        // Dismissed again, it grows by an outlet it had and one it had not: one new outlet.
        store
            .act(id, &Command::Dismiss { reason: DismissReason::NotRelevant }, me, None, now())
            .await
            .unwrap();
        let c = source(&store, "c").await;
        let later = now() + Duration::hours(5);
        let batch = [
            Processed::new(doc(a, "https://a.vn/2", later), vec![rumour(Severity::High)]),
            Processed::new(doc(c, "https://c.vn/1", later), vec![rumour(Severity::High)]),
        ];
        store.insert_batch(&batch).await.unwrap();
        let alert = store.alert(id).await.unwrap();
        let reason = alert.handling.regrown.unwrap();
        assert!(reason.contains("2 tài liệu từ 1 nguồn"), "{backend}: {reason}");
        assert_eq!(alert.doc_count, 4, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn a_merged_alert_passes_its_documents_and_growth_on() {
    each_store(async |backend, store| {
        let a = source(&store, "a").await;
        let first = rumour_doc(&store, a, "https://a.vn/1", now()).await;
        // Another rule's alert on the same document: a second incident to merge.
        let mut other = rumour(Severity::Medium);
        other.rule_id = "rumor.khac".into();
        store
            .insert_batch(&[Processed::new(doc(a, "https://a.vn/2", now()), vec![other.clone()])])
            .await
            .unwrap();
        let board = store.alert_board(None, 10).await.unwrap();
        let second = board.iter().find(|e| e.alert.rule_id == "rumor.khac").unwrap().alert.id;
        let me = officer(&store).await;
        store.act(second, &Command::Merge { into: first }, me, None, now()).await.unwrap();
        assert_eq!(store.alert(second).await.unwrap().state, AlertState::Merged, "{backend}");
        assert_eq!(store.alert(first).await.unwrap().doc_count, 2, "{backend}");
        // Growth of the merged key lands on the alert that carries on.
        store
            .insert_batch(&[Processed::new(doc(a, "https://a.vn/3", now()), vec![other])])
            .await
            .unwrap();
        assert_eq!(store.alert(first).await.unwrap().doc_count, 3, "{backend}");
        let absorbed = store.alert_events(first).await.unwrap();
        assert!(absorbed.iter().any(|e| e.action == AlertAction::Absorb), "{backend}");
    })
    .await;
}

#[tokio::test]
async fn deadline_marks_are_recorded_once() {
    each_store(async |backend, store| {
        let a = source(&store, "a").await;
        let id = rumour_doc(&store, a, "https://a.vn/1", now()).await;
        // P2, two business hours to acknowledge from 09:00: 80% at 10:36, 100% at 11:00,
        // 150% at 12:00.
        let written = store.record_deadlines(now() + Duration::minutes(150)).await.unwrap();
        assert_eq!(written.len(), 2, "{backend}");
        assert!(store.record_deadlines(now() + Duration::minutes(150)).await.unwrap().is_empty());
        let written = store.record_deadlines(now() + Duration::hours(4)).await.unwrap();
        assert_eq!(written.len(), 1, "{backend}");
        assert_eq!(store.count_events(AlertAction::Deadline).await.unwrap(), 3, "{backend}");
        let _ = id;
    })
    .await;
}
