//! `langnghe demo`: bundled feeds served from loopback, alerts on the board within 30 s.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use crate::support::{Running, eventually, free_port, langnghe, login};

#[tokio::test(flavor = "multi_thread")]
async fn demo_shows_alerts_within_thirty_seconds() {
    let dir = tempfile::tempdir().unwrap();
    // No rules directory: the demo runs on the packs and claims built into the binary, from
    // a directory that holds nothing.
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let port = free_port();
    let mut cmd = langnghe(&config);
    cmd.current_dir(dir.path());
    cmd.args(["demo", "--port", &port.to_string(), "--data-dir"]).arg(dir.path().join("demo"));
    let mut running = Running::spawn(cmd);
    let stdout = running.child.stdout.take().unwrap();
    let banner = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.starts_with("Alerts appear");
            lines.push(line);
            if done {
                break;
            }
        }
        lines.join("\n")
    })
    .await
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    assert!(banner.contains(&format!("dashboard: {base}/")), "{banner}");
    assert!(banner.contains("login:     demo / demo"), "{banner}");

    let (client, status) = login(&base, "demo", "demo").await;
    assert!(status.is_success());
    let board = eventually(Duration::from_secs(30), "alerts on the demo board", || async {
        let page = client.get(format!("{base}/")).send().await.ok()?.text().await.ok()?;
        let text = page.replace("<mark>", "").replace("</mark>", "");
        // The medical incident (a crisis rule) and a rumour, both from the demo outlets.
        (text.contains("Sản phụ tử vong sau ca mổ") && text.contains("Thần dược từ rễ cây rừng"))
            .then_some(page)
    })
    .await;
    assert!(board.contains("Khủng hoảng") && board.contains("Tin đồn"), "{board}");
    // The digest and the health-day calendar are there from the start too.
    assert!(banner.contains(&format!("digest:    {base}/digest")), "{banner}");
    let page = |path: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let res = client.get(format!("{base}{path}")).send().await.unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            res.text().await.unwrap()
        }
    };
    let digest = page("/digest?role=spokesperson").await;
    assert!(digest.contains("1 · NẮM BẮT") && digest.contains("3 · CUNG CẤP"), "{digest}");
    assert!(digest.contains("Dành cho người phát ngôn"), "{digest}");
    let calendar = page("/calendar").await;
    assert!(calendar.contains("<h1>Lịch ngày sức khỏe</h1>"), "{calendar}");
    assert!(calendar.contains("Cập nhật bởi can-bo-lan"), "the demo's plan: {calendar}");
    assert!(running.terminate());
}
