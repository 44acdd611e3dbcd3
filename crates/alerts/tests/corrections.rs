//! Correction tracking decisions on an injected clock: the re-fetch schedule, what a fetch
//! or a later document says of an item, how outcomes follow each other, and the coverage
//! figures, including the six-outlet fixture of research wave 2 §5.2.
#![allow(clippy::unwrap_used)]

use alerts::corrections::{
    self as corr, Basis, Carrier, Evidence, Fetch, ItemState, LateItem, ReachBasis, Share, Window,
};
use alerts::triage::{Actor, Current};
use chrono::{TimeDelta, TimeZone, Utc};
use model::{
    AlertAction, AlertState, CorrectionOutcome as O, MatchedTerm, Post, Priority, SourceTier,
    Stance, Timestamp,
};

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap()
}

fn h(hours: i64) -> Timestamp {
    t0() + TimeDelta::hours(hours)
}

#[test]
fn checks_fall_at_one_six_twenty_four_seventy_two_hours_and_a_week() {
    let at: Vec<Timestamp> = (0..5).map(|s| corr::check_at(t0(), s).unwrap()).collect();
    assert_eq!(at, [h(1), h(6), h(24), h(72), h(168)]);
    assert_eq!(corr::check_at(t0(), 5), None);
    assert_eq!(corr::next_check(t0(), 0), Some(h(1)));
    assert_eq!(corr::next_check(t0(), 5), None);
    assert_eq!(corr::window_end(t0()), h(14 * 24));
    assert_eq!(corr::residual_from(t0()), h(24));
    // Slots reached: none before the first hour, one at it, every passed slot at once after
    // a pause (one fetch then covers them all).
    let reached = |t| corr::checks_reached(t0(), t);
    assert_eq!(reached(t0() + TimeDelta::minutes(59)), 0);
    assert_eq!(reached(h(1)), 1);
    assert_eq!(reached(h(8)), 2);
    assert_eq!(reached(h(71)), 3);
    assert_eq!(reached(h(24 * 30)), 5);
    // Reached slots never shrink, and the next check of an item that has them all done
    // lies after now.
    let mut before = 0;
    for minutes in (0..14 * 24 * 60).step_by(37) {
        let now = t0() + TimeDelta::minutes(minutes);
        let n = reached(now);
        assert!(n >= before);
        before = n;
        if let Some(next) = corr::next_check(t0(), n) {
            assert!(next > now, "{minutes}");
        }
    }
}

#[test]
fn formal_corrections_are_told_by_their_title() {
    assert!(corr::is_formal_correction("Thông tin cải chính, xin lỗi"));
    assert!(corr::is_formal_correction("ĐÍNH CHÍNH bài viết ngày 2/12"));
    assert!(corr::is_formal_correction("Xin lỗi bạn đọc về thông tin vắc xin"));
    assert!(!corr::is_formal_correction("Bộ Y tế bác bỏ tin đồn vắc xin gây vô sinh"));
    assert!(!corr::is_formal_correction("Chính sách mới về bảo hiểm y tế"));
}

#[test]
fn the_passage_is_the_title_and_the_sentences_with_matched_terms() {
    let title = "Tiêm vắc xin gây vô sinh?";
    let body = "Mạng xã hội lan truyền tin này. Theo bài viết, 1.000 phụ nữ bị vô sinh sau tiêm! \
                Bộ Y tế chưa lên tiếng.\nNgười dân hoang mang.";
    let span = |field: &'static str, text: &str, word: &str| {
        let start = text.find(word).unwrap();
        MatchedTerm { field, start, end: start + word.len(), term: word.into() }
    };
    let terms = [span("body", body, "vô sinh"), span("title", title, "vắc xin")];
    assert_eq!(
        corr::passage(title, body, &terms),
        "Tiêm vắc xin gây vô sinh?\nTheo bài viết, 1.000 phụ nữ bị vô sinh sau tiêm!"
    );
    // A span that no longer fits the text is left out; nothing matched, nothing carried.
    let stale = MatchedTerm { field: "body", start: 500, end: 510, term: "x".into() };
    assert_eq!(corr::passage(title, body, &[stale]), "");
    assert_eq!(corr::passage(title, body, &[]), "");
    assert_eq!(
        corr::key_sentences("Một. Hai? Ba!\nBốn. Năm.", 3),
        "Một.\nHai?\nBa!",
        "the key sentences are the first three"
    );
}

#[test]
fn containment_is_the_share_of_the_part_in_the_whole() {
    assert_eq!(corr::containment(&[1, 2, 3, 4], &[2, 4, 9]), 0.5);
    assert_eq!(corr::containment(&[], &[1]), 0.0);
    assert_eq!(corr::containment(&[5], &[]), 0.0);
}

#[test]
fn a_fetch_shows_a_takedown_an_edit_or_nothing_new() {
    let url = "https://bao-c.vn/suc-khoe/vac-xin-vo-sinh-123.html";
    let page = |final_url: &str, empty: bool, containment: Option<f32>| Fetch::Page {
        final_url: final_url.to_owned(),
        empty,
        containment,
    };
    let c = |f: Fetch| corr::classify(url, &f);
    assert_eq!(c(Fetch::Status(404)), Some((O::TakenDown, Basis::Gone(404))));
    assert_eq!(c(Fetch::Status(410)), Some((O::TakenDown, Basis::Gone(410))));
    assert_eq!(c(Fetch::Status(503)), None, "a server error says nothing");
    assert_eq!(c(Fetch::Status(403)), None);
    assert_eq!(c(Fetch::NotModified), None, "unchanged since the last check");
    assert_eq!(c(Fetch::Failed), None);
    // Sent to the home page or a section page: gone.
    assert_eq!(
        c(page("https://bao-c.vn/", false, Some(0.0))),
        Some((O::TakenDown, Basis::Redirected))
    );
    assert_eq!(
        c(page("https://bao-c.vn/suc-khoe/", false, Some(0.0))),
        Some((O::TakenDown, Basis::Redirected))
    );
    // Another scheme, `www.`, or the same slug under another section: the same article.
    assert!(!corr::moved_away(url, "http://www.bao-c.vn/suc-khoe/vac-xin-vo-sinh-123.html/"));
    assert!(!corr::moved_away(url, "https://bao-c.vn/thoi-su/vac-xin-vo-sinh-123.html"));
    assert!(corr::moved_away(url, "https://khac.vn/"));
    assert_eq!(c(page(url, false, Some(0.9))), Some((O::Unchanged, Basis::PassagePresent)));
    assert_eq!(c(page(url, false, Some(0.1))), Some((O::EditedOut, Basis::PassageRemoved)));
    assert_eq!(c(page(url, false, Some(0.3))), Some((O::Unchanged, Basis::PassagePresent)));
    assert_eq!(c(page(url, true, Some(0.0))), Some((O::TakenDown, Basis::EmptyPage)));
    assert_eq!(c(page(url, true, None)), Some((O::TakenDown, Basis::EmptyPage)));
    assert_eq!(
        c(page(url, true, Some(1.0))),
        Some((O::Unchanged, Basis::PassagePresent)),
        "the claim is still in what could be read"
    );
    assert_eq!(c(page(url, false, None)), None, "no passage to look for");
}

#[test]
fn later_documents_refute_or_carry_the_response() {
    let ev = |title, stance, same_story, containment, link| Evidence {
        title,
        stance,
        same_story,
        response_containment: containment,
        links_response: link,
    };
    let e = |e: Evidence<'_>| corr::evidence_outcome(&e);
    assert_eq!(
        e(ev("Tin khác", Some(Stance::Refutes), false, 0.0, false)),
        Some((O::Refuted, Basis::Refutation)),
        "a refutation of the claim counts in any story"
    );
    assert_eq!(
        e(ev("Thông tin cải chính, xin lỗi", None, true, 0.0, false)),
        Some((O::Refuted, Basis::FormalTitle))
    );
    assert_eq!(e(ev("Thông tin cải chính, xin lỗi", None, false, 0.0, false)), None);
    assert_eq!(
        e(ev("Sở Y tế lên tiếng", Some(Stance::Reports), true, 0.62, false)),
        Some((O::CarriedResponse, Basis::ResponseText))
    );
    assert_eq!(e(ev("Sở Y tế lên tiếng", None, true, 0.49, false)), None);
    assert_eq!(
        e(ev("Sở Y tế lên tiếng", None, false, 0.0, true)),
        Some((O::CarriedResponse, Basis::ResponseLink))
    );
    // In the alert itself such documents are not carriers.
    assert!(corr::is_counter_item(&ev("Đính chính", None, false, 0.0, false)));
    assert!(corr::is_counter_item(&ev("x", None, false, 0.7, false)));
    assert!(!corr::is_counter_item(&ev(
        "Vắc xin gây vô sinh",
        Some(Stance::Carries),
        true,
        0.1,
        false
    )));
}

#[test]
fn outcomes_follow_the_latest_check_but_a_publication_stays() {
    let start = ItemState::default();
    let down = corr::observe(&start, O::TakenDown, h(6)).unwrap();
    assert_eq!(
        (down.outcome, down.outcome_at, down.remedied_at),
        (O::TakenDown, Some(h(6)), Some(h(6)))
    );
    assert_eq!(corr::observe(&down, O::TakenDown, h(24)), None, "no change, no event");
    let edited = corr::observe(&down, O::EditedOut, h(24)).unwrap();
    assert_eq!(edited.remedied_at, Some(h(6)), "remedied without a break since the takedown");
    let back = corr::observe(&edited, O::Unchanged, h(72)).unwrap();
    assert_eq!((back.outcome, back.remedied_at), (O::Unchanged, None), "the page came back");
    // A correction found later, published before the takedown was seen: remedied since then.
    let refuted = corr::observe(&down, O::Refuted, h(3)).unwrap();
    assert_eq!(
        (refuted.outcome, refuted.outcome_at, refuted.remedied_at),
        (O::Refuted, Some(h(3)), Some(h(3)))
    );
    assert_eq!(corr::observe(&refuted, O::TakenDown, h(72)), None, "a correction stays published");
    assert_eq!(corr::observe(&refuted, O::Unchanged, h(72)), None);
    assert_eq!(corr::observe(&refuted, O::CarriedResponse, h(72)), None);
    let carried = corr::observe(&start, O::CarriedResponse, h(2)).unwrap();
    let upgraded = corr::observe(&carried, O::Refuted, h(30)).unwrap();
    assert_eq!((upgraded.outcome, upgraded.remedied_at), (O::Refuted, Some(h(2))));
    assert_eq!(corr::observe(&carried, O::EditedOut, h(30)), None);
}

#[test]
fn reach_is_engagement_when_counted_else_the_tier() {
    let post = Post {
        platform: "facebook".into(),
        reactions: Some(120),
        shares: Some(30),
        comments: None,
    };
    assert_eq!(corr::reach(SourceTier::Social, Some(&post)), (150, ReachBasis::Engagement));
    let uncounted =
        Post { platform: "facebook".into(), reactions: None, shares: None, comments: None };
    assert_eq!(corr::reach(SourceTier::Social, Some(&uncounted)), (50, ReachBasis::Tier));
    assert_eq!(corr::reach(SourceTier::Press, None), (1000, ReachBasis::Tier));
    assert_eq!(corr::reach(SourceTier::Aggregator, None).0, 200);
}

fn current(state: AlertState) -> Current {
    Current {
        id: 7,
        state,
        priority: Priority::P2,
        assignee: Some(3),
        opened_at: h(-48),
        ack: None,
        decide: None,
        respond: None,
        merged_into: None,
        dismiss_reason: None,
        escalated_to: None,
        regrown: None,
    }
}

#[test]
fn an_outcome_change_is_a_system_event_that_keeps_the_state() {
    for state in [AlertState::Tracking, AlertState::Closed, AlertState::New] {
        let change = corr::correction_change(
            &current(state),
            &corr::OutcomeChange {
                source_id: 12,
                outlet: "Báo C",
                url: "https://bao-c.vn/a.html",
                from: O::Unchanged,
                to: O::TakenDown,
                basis: Basis::Gone(404),
                evidence_document: None,
                observed_at: h(6),
            },
            h(6) + TimeDelta::minutes(1),
        );
        assert_eq!(
            (change.action, change.from, change.to),
            (AlertAction::Correction, state, state)
        );
        assert_eq!(change.actor, Actor::System);
        assert_eq!((change.priority, change.assignee), (Priority::P2, Some(3)));
        assert_eq!(change.data["source"], "Báo C");
        assert_eq!(change.data["url"], "https://bao-c.vn/a.html");
        assert_eq!(change.data["outcome"], "taken_down");
        assert_eq!(change.data["previous"], "unchanged");
        assert_eq!(change.data["basis"], "gone");
        assert_eq!(change.data["status"], 404);
        assert!(change.data["evidence_document"].is_null());
    }
}

fn carrier(id: i64, outlet: &str, outcome: O, at: Option<Timestamp>, reach: i64) -> Carrier {
    Carrier {
        id,
        source_id: id,
        outlet: outlet.to_owned(),
        url: format!("https://{}.vn/bai-{id}.html", outlet.to_lowercase().replace(' ', "-")),
        document_id: 100 + id,
        carried_at: h(-20) + TimeDelta::hours(id),
        reach,
        reach_basis: ReachBasis::Tier,
        state: ItemState {
            outcome,
            outcome_at: at,
            remedied_at: at.filter(|_| outcome.is_remedied()),
        },
        basis: None,
        evidence_document: None,
        checks: 2,
        next_check: Some(h(24)),
        last_checked_at: Some(h(6)),
        last_status: Some(200),
    }
}

fn window() -> Window {
    Window {
        alert_id: 7,
        response_id: 1,
        started_at: t0(),
        ends_at: corr::window_end(t0()),
        finished_at: None,
    }
}

/// The fixture of wave2-anchors §5.2: A publishes a formal correction, B republishes the statement, C
/// answers 404 at +6 h, D edits the sentence out, E leaves it, F (an aggregator) copies A's
/// correction.
fn six_outlets() -> Vec<Carrier> {
    vec![
        carrier(1, "Báo A", O::Refuted, Some(h(20)), 1000),
        carrier(2, "Báo B", O::CarriedResponse, Some(h(3)), 1000),
        carrier(3, "Báo C", O::TakenDown, Some(h(6)), 1000),
        carrier(4, "Báo D", O::EditedOut, Some(h(24)), 1000),
        carrier(5, "Báo E", O::Unchanged, None, 1000),
        carrier(6, "Trang F", O::Refuted, Some(h(26)), 200),
    ]
}

#[test]
fn the_six_outlet_fixture() {
    let late = [
        LateItem {
            document_id: 200,
            source_id: 5,
            outlet: "Báo E".into(),
            url: "https://e.vn/2".into(),
            at: h(30),
        },
        LateItem {
            document_id: 201,
            source_id: 9,
            outlet: "Trang G".into(),
            url: "https://g.vn/1".into(),
            at: h(40),
        },
        LateItem {
            document_id: 202,
            source_id: 9,
            outlet: "Trang G".into(),
            url: "https://g.vn/2".into(),
            at: h(41),
        },
        // Within the first day: not residual spread.
        LateItem {
            document_id: 203,
            source_id: 10,
            outlet: "Trang H".into(),
            url: "https://h.vn/1".into(),
            at: h(23),
        },
    ];
    let r = corr::report(window(), six_outlets(), &late, Some((1, "Báo A".to_owned())));
    assert_eq!(r.formal_coverage, Share { part: 2, whole: 6 });
    assert_eq!(r.response_coverage, Share { part: 1, whole: 6 });
    assert_eq!(r.coverage, Share { part: 5, whole: 6 }, "remediation coverage");
    assert_eq!(r.correction_coverage, Share { part: 3, whole: 6 });
    assert_eq!(r.coverage.to_string(), "5/6");
    assert_eq!(r.outstanding, ["Báo E"]);
    // Reach: five press outlets at 1000 and the aggregator at 200; E is the one missing.
    let weighted = r.reach_weighted_coverage.unwrap();
    assert!((weighted - 4200.0 / 5200.0).abs() < 1e-9, "{weighted}");
    // Times to correction: 3, 6, 20, 24 and 26 hours.
    assert_eq!(r.median_time_to_correction, Some(TimeDelta::hours(20)));
    assert_eq!(r.p90_time_to_correction, Some(TimeDelta::minutes(25 * 60 + 12)));
    assert_eq!(r.residual.items, 3);
    assert_eq!((r.residual.from_known_outlets, r.residual.from_new_outlets), (1, 2));
    assert_eq!(r.residual.new_outlets, ["Trang G"]);
    let origin = r.origin.clone().unwrap();
    assert!(origin.carried && origin.remedied, "{origin:?}");
    assert_eq!(r.next_check, Some(h(24)));
    let outcome = |name: &str| r.outlets.iter().find(|o| o.name == name).unwrap().outcome;
    assert_eq!(
        ["Báo A", "Báo B", "Báo C", "Báo D", "Báo E", "Trang F"].map(outcome),
        [O::Refuted, O::CarriedResponse, O::TakenDown, O::EditedOut, O::Unchanged, O::Refuted]
    );
    let note = corr::closing_note(&r);
    assert!(note.contains("5/6 (83%)"), "{note}");
    assert!(note.contains("Chưa cải chính: Báo E."), "{note}");
    assert!(note.contains("3 bài (2 từ nguồn mới)"), "{note}");
    let data = corr::closing_data(&r);
    assert_eq!((data["outlets"].as_u64(), data["remedied"].as_u64()), (Some(6), Some(5)));
}

#[test]
fn an_outlet_is_remedied_when_every_item_went_or_it_published() {
    let mut two = vec![
        carrier(1, "Báo A", O::TakenDown, Some(h(6)), 1000),
        Carrier { id: 2, source_id: 1, ..carrier(2, "Báo A", O::Unchanged, None, 1000) },
    ];
    let r = corr::report(window(), two.clone(), &[], None);
    assert_eq!(r.coverage, Share { part: 0, whole: 1 }, "one item is still up");
    assert_eq!(r.outlets[0].items, 2);
    assert_eq!(r.outlets[0].reach, 2000);
    assert_eq!(r.median_time_to_correction, None);
    two[1].state =
        ItemState { outcome: O::EditedOut, outcome_at: Some(h(72)), remedied_at: Some(h(72)) };
    let r = corr::report(window(), two.clone(), &[], None);
    assert_eq!(r.coverage, Share { part: 1, whole: 1 });
    assert_eq!(r.outlets[0].outcome, O::EditedOut);
    assert_eq!(r.outlets[0].time_to_correction, Some(TimeDelta::hours(72)), "when the last went");
    // A correction published at +30 h remedies the outlet then, whatever its items.
    two[1].state = ItemState { outcome: O::Unchanged, outcome_at: None, remedied_at: None };
    two[0].state =
        ItemState { outcome: O::Refuted, outcome_at: Some(h(30)), remedied_at: Some(h(6)) };
    let r = corr::report(window(), two, &[], None);
    assert_eq!(
        (r.outlets[0].outcome, r.outlets[0].time_to_correction),
        (O::Refuted, Some(TimeDelta::hours(30)))
    );
    // Corrected before the response: no negative time.
    let early = vec![carrier(1, "Báo A", O::Refuted, Some(h(-2)), 1000)];
    let r = corr::report(window(), early, &[], Some((99, "Khác".into())));
    assert_eq!(r.median_time_to_correction, Some(TimeDelta::zero()));
    let origin = r.origin.unwrap();
    assert!(!origin.carried && !origin.remedied);
    // Nothing carried: nothing to divide.
    let r = corr::report(window(), Vec::new(), &[], None);
    assert_eq!((r.coverage.ratio(), r.reach_weighted_coverage), (None, None));
}
