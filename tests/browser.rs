//! The dashboard in a real browser: headless Chromium driven through ChromeDriver's
//! WebDriver protocol logs in with the form and sees the alert board with highlights.
//! `.ci/run` installs Debian's `chromium` and `chromium-driver`; without them the test says
//! so and passes.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Running, eventually, free_port, langnghe, rules_dir};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The key WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Driver {
    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = self.http.request(method, url);
        let req = if body.is_null() { req } else { req.json(&body) };
        let res = req.send().await.unwrap();
        let v: Value = res.json().await.unwrap();
        v["value"].clone()
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(reqwest::Method::POST, "/element", json!({"using": "css selector", "value": css}))
            .await;
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {v}")).to_owned()
    }

    async fn count(&self, css: &str) -> usize {
        let v = self
            .call(
                reqwest::Method::POST,
                "/elements",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v.as_array().map_or(0, Vec::len)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_logs_in_and_sees_the_alert_board() {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        eprintln!(
            "SKIPPED: {CHROMIUM} or {CHROMEDRIVER} is absent (Debian packages chromium, chromium-driver)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, format!("rules_dir = {:?}\n", rules_dir().display().to_string()))
        .unwrap();
    let port = free_port();
    let mut cmd = langnghe(&config);
    cmd.args(["demo", "--port", &port.to_string(), "--data-dir"]).arg(dir.path().join("demo"));
    let _app = Running::spawn(cmd);
    let site = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    eventually(Duration::from_secs(60), "the demo dashboard", || async {
        http.get(format!("{site}/healthz")).send().await.ok().filter(|r| r.status().is_success())
    })
    .await;

    let driver_port = free_port();
    let mut chromedriver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let base = format!("http://127.0.0.1:{driver_port}");
    eventually(Duration::from_secs(30), "chromedriver", || async {
        http.get(format!("{base}/status")).send().await.ok().filter(|r| r.status().is_success())
    })
    .await;
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     format!("--user-data-dir={}", dir.path().join("profile").display())]
        }
    }}});
    let created: Value = http
        .post(format!("{base}/session"))
        .json(&caps)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = created["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {created}"))
        .to_owned();
    let d = Driver { http: http.clone(), base: base.clone(), session };

    // The board redirects to the login form; fill it in and submit it like a person would.
    d.call(reqwest::Method::POST, "/url", json!({"url": format!("{site}/")})).await;
    let name = d.find("input[name=name]").await;
    d.call(reqwest::Method::POST, &format!("/element/{name}/value"), json!({"text": "demo"})).await;
    let password = d.find("input[name=password]").await;
    d.call(reqwest::Method::POST, &format!("/element/{password}/value"), json!({"text": "demo"}))
        .await;
    let submit = d.find("button[type=submit]").await;
    d.call(reqwest::Method::POST, &format!("/element/{submit}/click"), json!({})).await;

    // Alerts arrive within seconds; reload until the rumour is on the board.
    let mut page = String::new();
    for _ in 0..60 {
        let source = d.call(reqwest::Method::GET, "/source", Value::Null).await;
        page = source.as_str().map_or_else(|| source.to_string(), str::to_owned);
        if page.contains("Thần dược") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        d.call(reqwest::Method::POST, "/url", json!({"url": format!("{site}/")})).await;
    }
    assert!(
        page.contains("Thần dược"),
        "the rumour never reached the board in the browser:\n{page}"
    );
    assert!(page.contains("Bảng cảnh báo"), "{page}");
    assert!(d.count("mark").await > 0, "no highlighted words on the board");
    // The board's own live updates, served from this origin, are its only script.
    assert_eq!(
        d.count(r#"script:not([src="/static/live.js"])"#).await,
        0,
        "the board runs no script but its live updates"
    );
    let shot = d.call(reqwest::Method::GET, "/screenshot", Value::Null).await;
    assert!(shot.as_str().is_some_and(|s| s.len() > 1_000), "no screenshot");

    d.http.delete(format!("{}/session/{}", d.base, d.session)).send().await.unwrap();
    let _ = chromedriver.kill();
    let _ = chromedriver.wait();
}
