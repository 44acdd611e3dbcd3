//! Accent-tolerant matching in rules: a term written with diacritics also matches the same
//! syllable typed bare in a sentence typed without diacritics, and only there; `=` keeps a
//! term strict; hits point at what was written; the presearcher proposes such rules.
#![allow(clippy::unwrap_used)]

use model::{RuleKind, Severity};
use rules::{Analyzed, Rule, RuleSet};

/// Rules `r0`, `r1` … from queries.
fn set_of(queries: &[&str]) -> RuleSet {
    let rules = queries
        .iter()
        .enumerate()
        .map(|(i, q)| Rule::from_query(&format!("r{i}"), RuleKind::Rumor, Severity::High, q))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    RuleSet::from_rules(rules)
}

/// The ids of the rules that match, each with the text its hit highlights; the
/// presearcher is checked against evaluating every rule on the way.
fn hits(set: &RuleSet, title: &str, body: &str) -> Vec<(String, Vec<String>)> {
    let doc = Analyzed::new(title, body);
    let found = set.match_analyzed(&doc);
    assert_eq!(found, set.match_every_rule(&doc), "the presearcher changed an answer");
    found
        .into_iter()
        .map(|h| {
            let text = |t: &model::MatchedTerm| {
                let field = if t.field == "title" { &doc.title } else { &doc.body };
                field[t.start..t.end].to_owned()
            };
            (h.rule_id.to_string(), h.terms.iter().map(text).collect())
        })
        .collect()
}

fn ids(found: &[(String, Vec<String>)]) -> Vec<&str> {
    found.iter().map(|(id, _)| id.as_str()).collect()
}

#[test]
fn accented_rules_catch_posts_typed_without_diacritics() {
    let set = set_of(&[
        "\"sốt xuất huyết\" (\"lá đu đủ\" OR \"nước dừa\")",
        "\"thần dược\" NEAR/5 (\"ung thư\" OR \"tiểu đường\")",
        "\"không được\" \"tiêm vắc xin\"",
    ]);
    let found = hits(
        &set,
        "",
        "Chia se ngay: be bi sot xuat huyet thi cho uong nuoc la du du, khoi ngay sau 1 dem.",
    );
    assert_eq!(
        found,
        [("r0".to_owned(), vec!["sot xuat huyet".to_owned(), "la du du".to_owned()])]
    );
    let found = hits(&set, "THAN DUOC chua khoi ung thu giai doan cuoi", "");
    assert_eq!(ids(&found), ["r1"]);
    // Teencode and bare syllables mix within one sentence.
    let found = hits(&set, "", "bs noi ko dc tiem vac xin khi dang sot nha mn");
    assert_eq!(found, [("r2".to_owned(), vec!["ko dc".to_owned(), "tiem vac xin".to_owned()])]);
}

#[test]
fn accented_text_keeps_its_diacritics() {
    let set = set_of(&["sốt", "cá", "=sốt", "\"sốt xuất huyết\""]);
    // `sót` is not `sốt`, and a bare word in accented text is that word.
    assert!(hits(&set, "Sót lại sau lũ", "Có 3 ca mắc mới, Ha Noi chưa có ca tử vong.").is_empty());
    // Typed bare, `sot` may be `sốt`; `=sốt` still wants the diacritics.
    assert_eq!(ids(&hits(&set, "", "Con toi bi sot cao")), ["r0"]);
    assert_eq!(ids(&hits(&set, "", "Con tôi bị sốt cao")), ["r0", "r2"]);
    assert_eq!(ids(&hits(&set, "", "toi an ca kho")), ["r1"]);
    // One sentence of an accented article typed bare.
    let found = hits(&set, "", "Bệnh viện quá tải. Con toi bi sot xuat huyet. Bác sĩ khuyên.");
    assert_eq!(
        found,
        [
            ("r0".to_owned(), vec!["sot".to_owned()]),
            ("r3".to_owned(), vec!["sot xuat huyet".to_owned()])
        ]
    );
    // Too short to tell on its own, in an accented paragraph: not bare.
    assert!(hits(&set, "", "Sot xuat. Bệnh viện quá tải.").is_empty());
}

#[test]
fn the_presearcher_files_accent_tolerant_rules_under_their_bare_spelling() {
    let set = set_of(&["\"sốt xuất huyết\"", "cúm", "\"bệnh nhân\" -\"tin giả\""]);
    let post = Analyzed::new("", "tre bi sot xuat huyet va cum, 2 benh nhan nang");
    assert_eq!(set.candidate_count(&post), 3);
    assert_eq!(set.match_analyzed(&post).len(), 3);
    // In accented text the bare spellings are never read: nothing to propose.
    let news = Analyzed::new("", "Sót lại sau lũ, bến nhận hàng bị cùm");
    assert_eq!(set.candidate_count(&news), 0);
}
