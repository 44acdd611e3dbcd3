//! Every pack in the repository's `rules/` directory loads without a diagnostic and every
//! embedded example passes: a broken rule fails the build's tests.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use rules::RuleSet;

#[test]
fn bundled_packs_are_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (set, diags) = RuleSet::load_dir(&dir);
    let mut problems: Vec<String> = diags.iter().map(ToString::to_string).collect();
    problems.extend(set.check().iter().map(ToString::to_string));
    assert!(problems.is_empty(), "rule pack problems:\n{}", problems.join("\n"));
    let count = |kind: &str| set.rules().iter().filter(|r| r.kind.as_str() == kind).count();
    assert!(count("topic") >= 50, "expected the bundled topics, found {}", count("topic"));
    assert!(count("rumor") >= 11, "expected the bundled rumours, found {}", count("rumor"));
    assert!(count("crisis") >= 12, "expected the bundled crises, found {}", count("crisis"));
    // Every row of Phụ lục 4 and Ngày Sức khỏe toàn dân.
    assert_eq!(set.days().len(), 39);
    assert!(set.days().iter().all(|d| !d.rules.is_empty()
        || !d.tags.is_empty()
        || d.id == "day.suc-khoe-the-gioi"
        || d.id == "day.nan-nhan-chat-doc-da-cam"));
}

#[test]
fn the_watch_template_loads_and_its_examples_pass() {
    // Not in rules/, so never loaded by default; checked here so it never rots.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/templates");
    let (set, diags) = RuleSet::load_dir(&dir);
    let mut problems: Vec<String> = diags.iter().map(ToString::to_string).collect();
    problems.extend(set.check().iter().map(ToString::to_string));
    assert!(problems.is_empty(), "template problems:\n{}", problems.join("\n"));
    assert!(set.len() >= 4);
    assert!(set.rules().iter().all(|r| r.kind.as_str() == "watch" && r.id.starts_with("watch.")));
    // The template's placeholders are in capitals: the office fills them in.
    assert!(set.rules().iter().all(|r| r.query.contains("TÊN")));
    // Loaded together with the bundled packs, nothing collides.
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (all, _) = RuleSet::load_dir(&bundled);
    assert!(set.rules().iter().all(|r| all.rules().iter().all(|b| b.id != r.id)));
}

#[test]
fn demo_corpus_raises_the_expected_alerts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (set, _) = RuleSet::load_dir(&dir);
    let hits = |title: &str, body: &str| -> Vec<String> {
        set.match_document(title, body)
            .into_iter()
            .filter(|h| alerts::raises_alert(h.kind))
            .map(|h| h.rule_id.to_string())
            .collect()
    };
    // Unrelated news raises nothing.
    assert!(
        hits(
            "Giá vàng trong nước tăng mạnh phiên đầu tuần",
            "Các chuyên gia khuyến cáo nhà đầu tư thận trọng."
        )
        .is_empty()
    );
    assert!(
        hits(
            "Phục hồi chức năng",
            "Châm cứu giúp người bệnh sau tai biến mạch máu não phục hồi tốt hơn."
        )
        .is_empty()
    );
    assert_eq!(
        hits("Thần dược từ rễ cây rừng chữa khỏi ung thư giai đoạn cuối", ""),
        ["rumor.than-duoc"]
    );
}

#[test]
fn rumours_in_social_spelling_still_fire() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (set, _) = RuleSet::load_dir(&dir);
    let body = "mn ơi tiêm v.a.c.x.i.n là bị vô sinh đó, ko nên tiêm";
    let hits = set.match_document("", body);
    let rumour = hits
        .iter()
        .find(|h| *h.rule_id == *"rumor.chong-vac-xin")
        .expect("the anti-vaccine rumour fires");
    let matched: Vec<&str> = rumour.terms.iter().map(|t| &body[t.start..t.end]).collect();
    assert!(matched.contains(&"v.a.c.x.i.n"), "{matched:?}");
    assert!(matched.contains(&"vô sinh"), "{matched:?}");
}

#[test]
fn a_rule_can_ask_for_every_i_y_spelling() {
    let pack = r#"
[pack]
title = "Kiểm thử"

[[rules]]
id = "watch.ky-thuat-tiem"
kind = "watch"
title = "Kỹ thuật tiêm mới"
severity = "low"
query = '~"ky thuat" tiêm'
match = ["Kĩ thuật tiêm mới", "Kỹ thuật tiêm", "ki thuat tiêm", "kì thuật tiêm"]
no_match = ["Kĩ năng tiêm chủng", "thuật ngữ tiêm"]
"#;
    let (set, diags) = RuleSet::from_pack(Path::new("test.toml"), pack);
    assert!(diags.is_empty(), "{diags:?}");
    let problems: Vec<String> = set.check().iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{problems:?}");
    let body = "Bệnh viện áp dụng kĩ thuật tiêm mới";
    let hits = set.match_document("", body);
    let hit = hits.iter().find(|h| *h.rule_id == *"watch.ky-thuat-tiem").expect("the rule fires");
    let matched: Vec<&str> = hit.terms.iter().map(|t| &body[t.start..t.end]).collect();
    assert!(matched.contains(&"kĩ thuật"), "{matched:?}");
}
