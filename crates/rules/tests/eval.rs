//! Scoring a rule set on a labelled set: the confusion counts and their ratios, the items
//! read from JSON lines, what a document's hits predict, and the report by label,
//! register and topic.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use model::{Hit, HitStance, MatchedTerm, RuleKind, Severity, Stance};
use rules::eval::{Counts, GOALS, Goals, Item, Prediction, Source, claim_ids, predict, score};
use rules::{Analyzed, RuleSet, StanceCues, Suspicion, hit_stances, raises, verdict};

fn item(line: &str) -> Item {
    serde_json::from_str(line).unwrap()
}

fn hit(id: &str, kind: RuleKind) -> Hit {
    Hit {
        rule_id: id.into(),
        rule_title: id.into(),
        kind,
        severity: Severity::High,
        terms: Vec::new(),
    }
}

fn stance(id: &str, stance: Stance) -> HitStance {
    HitStance { rule_id: id.into(), stance, cues: Vec::new() }
}

/// A prediction raising a rumour or not, with these topics.
fn said(rumour: bool, topics: &[&str]) -> Prediction {
    let mut p = Prediction {
        topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        ..Prediction::default()
    };
    if rumour {
        p.rumour = true;
        p.sources.insert(Source::Pack);
    }
    p
}

#[test]
fn counts_give_precision_recall_and_f1() {
    let mut c = Counts::default();
    for (gold, predicted) in [(true, true), (true, true), (true, false), (false, true)] {
        c.add(gold, predicted);
    }
    c.add(false, false);
    assert_eq!((c.tp, c.fp, c.fn_, c.tn, c.n(), c.positives()), (2, 1, 1, 1, 5, 3));
    assert_eq!(c.precision(), Some(2.0 / 3.0));
    assert_eq!(c.recall(), Some(2.0 / 3.0));
    assert!((c.f1().unwrap() - 2.0 / 3.0).abs() < 1e-12);

    // Nothing raised: precision is undefined, recall and F1 are zero.
    let none = Counts { fn_: 4, tn: 2, ..Counts::default() };
    assert_eq!((none.precision(), none.recall(), none.f1()), (None, Some(0.0), Some(0.0)));
    // Nothing to find and nothing raised: nothing is defined.
    let empty = Counts { tn: 3, ..Counts::default() };
    assert_eq!((empty.precision(), empty.recall(), empty.f1()), (None, None, None));

    let json = serde_json::to_value(c).unwrap();
    assert_eq!(json["fn"], 1);
    assert_eq!(json["tp"], 2);
    assert!(json["precision"].as_f64().is_some());
    assert!(serde_json::to_value(empty).unwrap()["precision"].is_null());
}

#[test]
fn items_read_ids_topics_and_registers_as_the_files_write_them() {
    let a = item(
        r#"{"id":"s001","title":"","body":"b","label":"rumour","register":"teencode","topic":"topic.soi","note":"x"}"#,
    );
    assert_eq!(a.id, "s001");
    assert_eq!(a.topics, ["topic.soi"]);
    assert_eq!(a.register(), "teencode");
    assert!(a.is_rumour());
    assert_eq!(a.health(), Some(true));

    let b = item(r#"{"id":7,"title":"t","label":"other","topic":["topic.a","topic.b"]}"#);
    assert_eq!((b.id.as_str(), b.body.as_str(), b.register()), ("7", "", "-"));
    assert_eq!(b.topics.len(), 2);
    // A topic overrides "other": the label is about the rumour, the topic about health.
    assert_eq!(b.health(), Some(true));

    let c = item(r#"{"id":"c","label":"other","topic":""}"#);
    assert!(c.topics.is_empty());
    assert_eq!(c.health(), Some(false));

    let d = item(r#"{"id":"d","label":"topic.lao","topic":null}"#);
    assert_eq!(d.gold_topics(), BTreeSet::from(["topic.lao"]));
    assert_eq!(d.health(), Some(true));
    assert!(!d.is_rumour());

    let e = item(r#"{"id":"e","label":"not_rumour"}"#);
    assert_eq!(e.health(), None, "a label that says nothing of health");
    assert!(serde_json::from_str::<Item>(r#"{"id":"f","title":"no label"}"#).is_err());
}

#[test]
fn only_a_rumour_hit_that_carries_raises_a_rumour() {
    let claims = BTreeSet::from(["claim.x"]);
    let hits = [
        hit("topic.soi", RuleKind::Topic),
        hit("rumor.a", RuleKind::Rumor),
        hit("claim.x", RuleKind::Rumor),
        hit("crisis.c", RuleKind::Crisis),
    ];
    let stances = [stance("rumor.a", Stance::Refutes), stance("claim.x", Stance::Reports)];
    let p = Prediction::from_hits(&hits, &stances, &claims);
    assert!(!p.rumour, "a refutation and a report raise no rumour; a crisis is no rumour");
    assert!(p.sources.is_empty());
    assert_eq!(p.topics, BTreeSet::from(["topic.soi".to_owned()]));
    let fired: Vec<(&str, Option<&str>, bool, bool)> =
        p.fired.iter().map(|f| (f.rule.as_str(), f.stance, f.claim, f.raises)).collect();
    assert_eq!(
        fired,
        [
            ("rumor.a", Some("refutes"), false, false),
            ("claim.x", Some("reports"), true, false),
            ("crisis.c", None, false, true),
        ]
    );

    let stances = [stance("rumor.a", Stance::Refutes), stance("claim.x", Stance::Carries)];
    let p = Prediction::from_hits(&hits, &stances, &claims);
    assert!(p.rumour);
    assert_eq!(p.sources, BTreeSet::from([Source::Claim]));

    // A hit without a stance carries, as the pipeline treats it.
    let p = Prediction::from_hits(&hits[1..2], &[], &claims);
    assert_eq!(p.sources, BTreeSet::from([Source::Pack]));

    let mut suspicion = hit("suspicion.tin-gia", RuleKind::Suspicion);
    for label in ["kêu gọi chia sẻ", "tin nội bộ", "kêu gọi chia sẻ"] {
        suspicion.terms.push(MatchedTerm { field: "body", start: 0, end: 1, term: label.into() });
    }
    let p = Prediction::from_hits(&[suspicion], &[], &claims);
    assert!(p.rumour);
    assert_eq!(p.sources, BTreeSet::from([Source::Suspicion]));
    assert_eq!(p.fired[0].cues, ["kêu gọi chia sẻ", "tin nội bộ"], "each family once");
}

#[test]
fn raises_follows_the_kind_and_the_stance() {
    let rumour = hit("rumor.a", RuleKind::Rumor);
    assert!(raises(&rumour, &[]));
    assert!(raises(&rumour, &[stance("rumor.a", Stance::Carries)]));
    assert!(raises(&rumour, &[stance("rumor.b", Stance::Refutes)]), "another rule's stance");
    assert!(!raises(&rumour, &[stance("rumor.a", Stance::Refutes)]));
    assert!(!raises(&rumour, &[stance("rumor.a", Stance::Reports)]));
    assert!(!raises(&hit("topic.x", RuleKind::Topic), &[]));
    assert!(raises(&hit("watch.x", RuleKind::Watch), &[]));
}

const PACK: &str = r#"
[[rules]]
id = "rumor.vac-xin-vo-sinh"
kind = "rumor"
title = "Vắc xin gây vô sinh"
severity = "high"
query = '("vắc xin" OR "vac xin") NEAR/8 ("vô sinh" OR "vo sinh")'
match = ["Vắc xin HPV gây vô sinh ở trẻ em gái"]

[[rules]]
id = "claim.vac-xin.hpv"
kind = "rumor"
title = "Vắc xin HPV gây vô sinh"
severity = "high"
tags = ["claim"]
query = 'hpv NEAR/8 ("vô sinh" OR "vo sinh")'
match = ["Vắc xin HPV gây vô sinh"]

[[rules]]
id = "topic.tiem-chung"
kind = "topic"
title = "Tiêm chủng"
severity = "low"
query = '"vắc xin" OR "tiêm chủng"'
match = ["Tiêm vắc xin"]
"#;

fn pack() -> RuleSet {
    let (set, diags) = RuleSet::from_pack(Path::new("p.toml"), PACK);
    assert!(diags.is_empty(), "{diags:?}");
    set
}

#[test]
fn hit_stances_decide_each_rumour_hit_as_the_cue_scan_does() {
    let set = pack();
    let doc = Analyzed::new("Bộ Y tế bác bỏ tin vắc xin HPV gây vô sinh", "");
    let hits = set.match_analyzed(&doc);
    let stances = hit_stances(&doc, &hits);
    let rumours: Vec<&Hit> = hits.iter().filter(|h| h.kind == RuleKind::Rumor).collect();
    assert_eq!(stances.len(), rumours.len());
    assert_eq!(rumours.len(), 2);
    for (s, h) in stances.iter().zip(&rumours) {
        assert_eq!(s.rule_id, h.rule_id);
        let decided = StanceCues::builtin().decide(&doc, h);
        assert_eq!((s.stance, &s.cues), (decided.stance, &decided.cues));
        assert_eq!(s.stance, Stance::Refutes);
    }
    let news = Analyzed::new("Tiêm vắc xin cho trẻ", "");
    assert!(hit_stances(&news, &set.match_analyzed(&news)).is_empty());
}

#[test]
fn predict_runs_the_matching_and_the_stances() {
    let set = pack();
    let claims = claim_ids(&set);
    assert_eq!(claims, BTreeSet::from(["claim.vac-xin.hpv"]));
    let carries = item(
        r#"{"id":"1","title":"","body":"Các mẹ ơi vắc xin HPV gây vô sinh đấy, đừng cho con tiêm","label":"rumour"}"#,
    );
    let p = predict(&set, &claims, &carries);
    assert!(p.rumour, "{p:?}");
    assert_eq!(p.sources, BTreeSet::from([Source::Pack, Source::Claim]));
    assert!(p.topics.contains("topic.tiem-chung"));
    let refutes = item(
        r#"{"id":"2","title":"Bộ Y tế bác bỏ tin vắc xin HPV gây vô sinh","body":"","label":"debunk"}"#,
    );
    let p = predict(&set, &claims, &refutes);
    assert!(!p.rumour, "{p:?}");
    assert!(p.fired.iter().all(|f| f.stance == Some("refutes")));
}

#[test]
fn the_report_counts_by_label_register_and_topic_and_lists_the_errors() {
    let items = [
        item(r#"{"id":"r1","label":"rumour","register":"teencode","topic":"topic.a"}"#),
        item(r#"{"id":"r2","label":"rumour","register":"teencode"}"#),
        item(r#"{"id":"r3","label":"rumour","register":"news"}"#),
        item(r#"{"id":"d1","label":"debunk","register":"news","topic":"topic.a"}"#),
        item(r#"{"id":"n1","label":"news","register":"news","topic":"topic.b"}"#),
        item(r#"{"id":"o1","label":"other","register":"news"}"#),
        item(r#"{"id":"x1","label":"not_rumour"}"#),
    ];
    let predictions = [
        said(true, &["topic.a"]),
        said(false, &[]),
        said(true, &["topic.b"]),
        said(true, &["topic.a"]),
        said(false, &["topic.a"]),
        said(false, &["topic.c"]),
        said(false, &[]),
    ];
    let r = score(&items, &predictions);
    assert_eq!(r.items, 7);
    assert_eq!((r.rumour.tp, r.rumour.fp, r.rumour.fn_, r.rumour.tn), (2, 1, 1, 3));
    assert_eq!(r.misses, [1]);
    assert_eq!(r.false_alarms, [3]);
    let teencode = r.registers["teencode"];
    assert_eq!((teencode.tp, teencode.fn_), (1, 1));
    assert_eq!(r.registers["-"].tn, 1, "an item without a register");
    assert_eq!(r.labels["debunk"].raised, 1);
    assert_eq!(r.labels["news"].topic, 1);
    assert_eq!(r.debunks_raised(), Some(1.0));
    assert_eq!(r.found_by[&Source::Pack], 2);

    // Health: every label but other (and the unknown one, left out) should have a topic.
    assert_eq!((r.health.tp, r.health.fp, r.health.fn_, r.health.tn), (4, 1, 1, 0));
    assert_eq!(r.health_misses, [1]);
    assert_eq!(r.health_false_alarms, [5]);
    // Per topic, only the ids the labels name.
    assert_eq!(r.topics.keys().collect::<Vec<_>>(), ["topic.a", "topic.b"]);
    // Over the items labelled with a topic and the non-health ones: r2, r3 (health, no topic
    // named) and x1 (no word on health) say nothing of topics.
    let a = r.topics["topic.a"];
    assert_eq!((a.tp, a.fp, a.fn_, a.tn), (2, 1, 0, 1));
    let b = r.topics["topic.b"];
    assert_eq!((b.tp, b.fp, b.fn_, b.tn), (0, 0, 1, 3));

    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["found_by"]["pack"], 2);
    assert_eq!(json["labels"]["rumour"]["n"], 3);
}

#[test]
fn the_goals_are_checked_against_the_report() {
    let items: Vec<Item> = [
        r#"{"id":"1","label":"rumour","register":"teencode"}"#,
        r#"{"id":"2","label":"rumour","register":"teencode"}"#,
        r#"{"id":"3","label":"rumour","register":"zalo_forward"}"#,
        r#"{"id":"4","label":"rumour","register":"news"}"#,
        r#"{"id":"5","label":"debunk","register":"news"}"#,
    ]
    .into_iter()
    .map(item)
    .collect();
    let predictions =
        [said(true, &[]), said(false, &[]), said(true, &[]), said(true, &[]), said(false, &[])];
    let r = score(&items, &predictions);
    let checks = r.check(&GOALS);
    let by = |what: &str| checks.iter().find(|c| c.what == what).unwrap().clone();
    assert!(by("rumour precision").met);
    assert_eq!(by("rumour recall").value, Some(0.75));
    assert!(by("rumour recall").met);
    // A register's bound is half the measured recall: 0.375.
    let teencode = by("recall teencode");
    assert_eq!((teencode.value, teencode.target, teencode.met), (Some(0.5), 0.375, true));
    assert!(checks.iter().all(|c| c.what != "recall facebook_nodiacritics"), "absent register");
    let debunks = by("debunks raised");
    assert!(debunks.at_most && debunks.met && debunks.value == Some(0.0));

    let strict = Goals { recall: 0.9, ..GOALS };
    assert!(!r.check(&strict).iter().find(|c| c.what == "rumour recall").unwrap().met);
}

#[test]
#[should_panic(expected = "one prediction per item")]
fn a_prediction_must_come_for_every_item() {
    score(&[item(r#"{"id":"1","label":"rumour"}"#)], &[]);
}

#[test]
fn shared_rule_ids_keep_their_arc() {
    // The stances point at the hit's own id: the alert code compares them by value.
    let set = pack();
    let doc = Analyzed::new("", "Vắc xin HPV gây vô sinh, chia sẻ ngay");
    let hits = set.match_analyzed(&doc);
    let stances = hit_stances(&doc, &hits);
    let first = hits.iter().find(|h| h.kind == RuleKind::Rumor).unwrap();
    assert!(Arc::ptr_eq(&stances[0].rule_id, &first.rule_id));
}

#[test]
fn the_verdict_adds_the_suspicion_hit_only_when_no_claim_is_carried() {
    let post = "mn ơi tin nội bộ từ bạn mk làm ở bv: đang có virus mới lây qua dây sạc điện thoại \
                dùng chung, sốt cao 3 ngày là liệt 😱 đừng mượn sạc của ai nha, chia sẻ ngay";
    let doc = Analyzed::new("", post);
    let suspicion = Suspicion::builtin();
    let expected = suspicion.hit(&suspicion.score(&doc)).expect("a suspicious post");

    // No rule knows the claim: the signal's hit joins the (no) hits.
    let (hits, stances) = verdict(&doc, Vec::new());
    assert!(stances.is_empty());
    assert_eq!(hits, std::slice::from_ref(&expected));
    let p = Prediction::from_hits(&hits, &stances, &BTreeSet::new());
    assert!(p.rumour && p.sources.contains(&Source::Suspicion), "{p:?}");

    // A rumour hit that carries is the alert already: no suspicion hit beside it.
    let carried = Hit { terms: expected.terms.clone(), ..hit("rumor.x", RuleKind::Rumor) };
    let (hits, stances) = verdict(&doc, vec![carried]);
    assert_eq!(stances.len(), 1);
    assert_eq!(stances[0].stance, Stance::Carries, "{stances:?}");
    assert!(hits.iter().all(|h| h.kind != RuleKind::Suspicion), "{hits:?}");
}
