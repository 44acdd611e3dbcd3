//! `langnghe claims list|add|check|export`, and the claims inside `rules check` and
//! `rules match`.

use std::path::Path;

use serde_json::Value;

use crate::support::{config_file, langnghe, rules_dir, run, run_ok};

const PACK: &str = r#"
[[rules]]
id = "topic.sot-xuat-huyet"
kind = "topic"
title = "Sốt xuất huyết"
severity = "low"
query = '"sốt xuất huyết" OR sxh'
match = ["Sốt xuất huyết tăng mạnh"]
"#;

const CLAIMS: &str = r#"
[pack]
title = "Tin sai đã biết: thử nghiệm"

[[claims]]
id = "claim.test.la-du-du"
title = "Uống nước lá đu đủ chữa khỏi sốt xuất huyết"
severity = "high"
tags = ["sốt xuất huyết"]
query = '"lá đu đủ" NEAR/15 ("sốt xuất huyết" OR sxh OR "tiểu cầu")'
phrasings = [
  "Người bị sốt xuất huyết chỉ cần uống nước lá đu đủ giã nát là tiểu cầu tăng, không cần vào viện.",
  "bị sxh thì uống nước lá đu đủ 2 ngày là hết sốt nha mn",
]
[claims.refutation]
by = "Bệnh viện thử"
date = "2023-07-01"
url = "https://example.org/bac-bo"
[[claims.sources]]
publisher = "Báo thử"
title = "Lá đu đủ không chữa sốt xuất huyết"
date = "2023-06"
url = "https://example.org/la-du-du"
"#;

fn setup(dir: &Path) -> std::path::PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(rules.join("claims")).unwrap();
    std::fs::write(rules.join("p.toml"), PACK).unwrap();
    std::fs::write(rules.join("claims/test.toml"), CLAIMS).unwrap();
    // This directory alone, so that the counts are its own.
    config_file(dir, &rules, "builtin_rules = false\n")
}

#[test]
fn claims_list_add_check_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let c = setup(dir.path());
    let claims = |args: &[&str]| {
        let mut cmd = langnghe(&c);
        cmd.arg("claims").args(args);
        cmd
    };

    let listed = run_ok(claims(&["list"]), "");
    assert!(listed.starts_with("claim.test.la-du-du\thigh\tUống nước lá đu đủ"), "{listed}");
    assert!(run_ok(claims(&["list", "--tag", "covid-19"]), "").is_empty());

    let add = claims(&[
        "add",
        "--id",
        "claim.office.nuoc-dua",
        "--title",
        "Uống nước dừa làm tan sỏi thận",
        "--query",
        "\"nước dừa\" NEAR/10 \"sỏi thận\"",
        "--phrasing",
        "Mỗi ngày uống nước dừa là sỏi thận tự tan, khỏi phải tán sỏi.",
        "--tag",
        "sỏi thận",
        "--source-url",
        "https://example.org/nuoc-dua",
        "--source-title",
        "Nước dừa không làm tan sỏi thận",
    ]);
    let out = run_ok(add, "");
    assert!(out.contains("added claim.office.nuoc-dua to"), "{out}");
    let office = dir.path().join("rules/claims/office.toml");
    let written = std::fs::read_to_string(&office).unwrap();
    assert!(written.contains("publisher = \"example.org\""), "{written}");

    // A claim whose query misses its own phrasing is refused, and nothing is written.
    let mut bad = claims(&[
        "add",
        "--id",
        "claim.office.sai",
        "--title",
        "X",
        "--query",
        "\"nước mía\"",
        "--phrasing",
        "Uống nước dừa chữa bách bệnh",
        "--source-url",
        "https://example.org/x",
        "--source-title",
        "X",
    ]);
    let out = run(&mut bad, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("example should match but does not"));
    assert_eq!(std::fs::read_to_string(&office).unwrap(), written);

    let lines: Vec<Value> = run_ok(claims(&["list", "--json"]), "")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "claim.office.nuoc-dua");
    assert_eq!(lines[0]["file"], "claims/office.toml");
    assert_eq!(lines[1]["refutation"]["by"], "Bệnh viện thử");

    let checked = run_ok(claims(&["check"]), "");
    assert!(checked.starts_with("ok: 2 claims, 3 phrasings"), "{checked}");

    let out_file = dir.path().join("reviews.json");
    let mut export = claims(&["export", "--out"]);
    export.arg(&out_file);
    run_ok(export, "");
    let reviews: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let reviews = reviews.as_array().unwrap();
    assert_eq!(reviews.len(), 1, "only the refuted claim");
    assert_eq!(reviews[0]["@type"], "ClaimReview");
    assert_eq!(reviews[0]["claimReviewed"], "Uống nước lá đu đủ chữa khỏi sốt xuất huyết");
    assert_eq!(reviews[0]["reviewRating"]["alternateName"], "Sai sự thật");
    assert_eq!(reviews[0]["itemReviewed"]["appearance"][0]["url"], "https://example.org/la-du-du");

    // A broken claim file fails the check with its position.
    std::fs::write(&office, written.replace("severity = \"medium\"", "severity = \"urgent\""))
        .unwrap();
    let out = run(&mut claims(&["check"]), "");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("office.toml:") && text.contains("field `severity`"), "{text}");
}

#[test]
fn rules_check_and_match_include_the_claims() {
    let dir = tempfile::tempdir().unwrap();
    let c = setup(dir.path());
    let mut cmd = langnghe(&c);
    cmd.args(["rules", "check"]);
    let out = run_ok(cmd, "");
    assert!(out.starts_with("ok: 2 rules (1 claims), 3 examples checked"), "{out}");

    let mut cmd = langnghe(&c);
    cmd.args(["rules", "match"]);
    let body = "Mẹo hay: bị sxh thì uống nước lá đu đủ 2 ngày là hết sốt nha mọi người";
    let input = format!("{}\n", serde_json::json!({"id": 1, "title": "", "body": body}));
    let line: Value = serde_json::from_str(run_ok(cmd, &input).trim()).unwrap();
    let rules: Vec<&str> =
        line["hits"].as_array().unwrap().iter().map(|h| h["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["topic.sot-xuat-huyet", "claim.test.la-du-du"]);
    let claim = &line["claims"][0];
    assert_eq!(claim["claim"], "claim.test.la-du-du");
    assert!(claim["similarity"].as_f64().unwrap() > 0.6, "{claim}");
    assert!(
        claim["text"].as_str().unwrap().starts_with("bị sxh thì uống nước lá đu đủ"),
        "{claim}"
    );
}

#[test]
fn the_bundled_claims_check_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = langnghe(&config_file(dir.path(), &rules_dir(), ""));
    cmd.args(["claims", "check"]);
    let out = run_ok(cmd, "");
    let summary = out.lines().last().unwrap();
    let n: usize = summary["ok: ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(n >= 150, "{summary}");
}
