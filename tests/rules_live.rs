//! Rules on a running system: `serve` reloads a changed rules directory (and on SIGHUP),
//! refuses a broken pack while the previous rules keep working, and `rules backtest`
//! reports on the stored archive exactly what search finds for the same query (read while
//! `serve` runs, as an officer would).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use crate::support::{
    Running, eventually, free_port, langnghe, metric, rules_dir, run, run_ok, serve_config,
};

const EXTRA: &str = r#"
[[rules]]
id = "rumor.la-oi-than-ky"
kind = "rumor"
title = "Nước lá ổi thần kỳ"
severity = "high"
query = '"lá ổi" NEAR/4 ("thần kỳ" OR "chữa khỏi")'
match = ["Uống nước lá ổi thần kỳ chữa khỏi tiểu đường"]
no_match = ["Lá ổi non có vị chát"]
"#;

fn copy_rules(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(rules_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// Publishes the demo outlets again with one more item in the first outlet.
fn publish(server: &demo::FeedServer, outlets: &mut [demo::Outlet], slug: &str, title: &str) {
    outlets[0].items.push(demo::Item {
        slug: slug.to_owned(),
        hours_ago: 0,
        author: "Phóng viên".to_owned(),
        title: title.to_owned(),
        // A post that spreads the claim: a report about it would raise no alert.
        summary: "Mẹo hay của bà con.".to_owned(),
        body: "Mỗi sáng một cốc là đường huyết về bình thường, cả nhà cùng làm nhé.".to_owned(),
    });
    for f in demo::render(outlets, &server.base_url(), Utc::now()) {
        server.put(&f.path, f.content_type, f.body);
    }
}

/// The open alert of `rule` on the board, read through the CLI-created API token.
async fn alert(base: &str, token: &str, rule: &str) -> Option<Value> {
    let v: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/alerts"))
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    v["alerts"].as_array()?.iter().find(|a| a["rule"] == rule).cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_reload_live_and_backtest_agrees_with_search() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    copy_rules(&rules);
    let mut outlets = demo::corpus();
    let server = demo::FeedServer::start(&outlets, 0, Utc::now() - chrono::Duration::minutes(5))
        .await
        .unwrap();
    let port = free_port();
    let config = serve_config(dir.path(), &rules, port, &server, "");
    let base = format!("http://127.0.0.1:{port}");
    let mut add = langnghe(&config);
    add.args(["users", "add", "lan", "--role", "officer", "--password-stdin"]);
    run_ok(add, "mat-khau-an-toan\n");
    let mut tok = langnghe(&config);
    tok.args(["users", "token", "lan"]);
    let token = run_ok(tok, "").trim().to_owned();

    let mut cmd = langnghe(&config);
    cmd.arg("serve");
    let mut serve = Running::spawn(cmd);
    eventually(Duration::from_secs(60), "every demo document", || async {
        (metric(&base, "langnghe_documents").await? == demo::distinct_articles(&outlets) as f64)
            .then_some(())
    })
    .await;
    let bundled = metric(&base, "langnghe_rules").await.unwrap();
    assert!(bundled >= 25.0, "{bundled}");

    // A new pack is picked up without a restart, and applies to what arrives next.
    std::fs::write(rules.join("extra.toml"), EXTRA).unwrap();
    eventually(Duration::from_secs(20), "the reload", || async {
        (metric(&base, "langnghe_rule_reloads_total").await? == 1.0).then_some(())
    })
    .await;
    assert_eq!(metric(&base, "langnghe_rules").await, Some(bundled + 1.0));
    publish(&server, &mut outlets, "la-oi-1", "Nước lá ổi thần kỳ chữa khỏi tiểu đường");
    let first = eventually(Duration::from_secs(90), "the new rule's alert", || async {
        alert(&base, &token, "rumor.la-oi-than-ky").await
    })
    .await;
    assert_eq!(first["doc_count"], 1, "{first}");

    // A broken pack is refused; the rules in use, the new one included, keep working.
    std::fs::write(rules.join("extra.toml"), EXTRA.replace("NEAR/4", "NEAR/")).unwrap();
    eventually(Duration::from_secs(20), "the refused reload", || async {
        (metric(&base, "langnghe_rule_reload_failures_total").await? == 1.0).then_some(())
    })
    .await;
    assert_eq!(metric(&base, "langnghe_rules").await, Some(bundled + 1.0));
    assert_eq!(metric(&base, "langnghe_rule_reloads_total").await, Some(1.0));
    publish(&server, &mut outlets, "la-oi-2", "Uống lá ổi thần kỳ chữa khỏi mọi bệnh");
    eventually(Duration::from_secs(90), "the second matching document", || async {
        let a = alert(&base, &token, "rumor.la-oi-than-ky").await?;
        (a["doc_count"] == 2).then_some(())
    })
    .await;

    // SIGHUP asks for a reload too (still refused: the pack is still broken).
    let pid = serve.child.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    eventually(Duration::from_secs(20), "the reload on SIGHUP", || async {
        (metric(&base, "langnghe_rule_reload_failures_total").await? == 2.0).then_some(())
    })
    .await;
    // For every bundled rule, the backtest counts exactly the documents search returns for
    // the rule's query: the matcher and the index agree on the same language.
    let mut bt = langnghe(&config);
    bt.args(["rules", "backtest"]).arg(rules_dir()).args(["--since", "all", "--json"]);
    let lines: Vec<Value> =
        run_ok(bt, "").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() >= 25);
    let mut compared = 0;
    for line in &lines {
        let Some(rule) = line["rule"].as_str() else { continue };
        // Claims live under `claims/`, in a format of their own; the packs' rules suffice.
        let Some(query) = std::fs::read_dir(rules_dir())
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
            .find_map(|text| query_of(&text, rule))
        else {
            assert!(rule.starts_with("claim."), "query of {rule}");
            continue;
        };
        // The broad health topic's query is longer than a search may be (rule packs have
        // their own, larger limits); it cannot be typed in the search box.
        if query.chars().count() > 2000 {
            continue;
        }
        let found: Value = reqwest::Client::new()
            .get(format!("{base}/api/v1/search"))
            .query(&[("q", query.as_str()), ("limit", "1")])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            line["hits"].as_u64(),
            found["total"].as_u64(),
            "rule {rule}: backtest and search disagree on {query}"
        );
        compared += usize::from(line["hits"].as_u64() > Some(0));
    }
    assert!(compared >= 5, "too few rules hit the demo corpus to compare: {compared}");
    assert!(serve.terminate(), "serve did not exit cleanly");

    // Backtesting the good pack on the archive finds both documents, highlighted.
    let pack = dir.path().join("try.toml");
    std::fs::write(&pack, EXTRA).unwrap();
    let mut bt = langnghe(&config);
    bt.args(["rules", "backtest"]).arg(&pack).args(["--since", "all"]);
    let text = run_ok(bt, "");
    assert!(text.contains("rumor.la-oi-than-ky"), "{text}");
    assert!(text.contains("2 hit(s) on 1 day(s)"), "{text}");
    assert!(text.contains("Nước [lá ổi thần kỳ chữa khỏi] tiểu đường"), "{text}");
    let mut broken = langnghe(&config);
    broken.args(["rules", "backtest"]).arg(rules.join("extra.toml"));
    let out = run(&mut broken, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("extra.toml:7:"), "{out:?}");
}

/// The `query = '…'` of rule `id` in a pack's text.
fn query_of(pack: &str, id: &str) -> Option<String> {
    let table: toml::Value = toml::from_str(pack).ok()?;
    table.get("rules")?.as_array()?.iter().find_map(|r| {
        (r.get("id")?.as_str()? == id).then(|| r.get("query")?.as_str().map(str::to_owned))?
    })
}
