//! The period report in a real browser, on the demo: headless Chromium driven through
//! ChromeDriver's WebDriver protocol logs in, opens the report page over the demo's sixty
//! days of handled history (real numbers from the store), then the printable page at a
//! desktop and a phone width. Screenshots go to `target/screenshots/report/`.
//!
//! `.ci/run` installs Debian's `chromium` and `chromium-driver`; without them the test says
//! so and passes.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Running, eventually, free_port, langnghe, rules_dir, workspace};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The key WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where the screenshots go, emptied of an earlier run's.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| workspace().join("target"), |t| workspace().join(t));
    let dir = target.join("screenshots").join("report");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "png") {
            std::fs::remove_file(path).unwrap();
        }
    }
    dir
}

/// Standard base64, as WebDriver sends screenshots.
fn decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let n = chunk.iter().fold(0_u32, |acc, &v| (acc << 6) | u32::from(v))
            << (6 * (4 - chunk.len()));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
}

impl Browser {
    async fn call(&self, method: Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = self.http.request(method, url);
        let req = if body.is_null() { req } else { req.json(&body) };
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }

    async fn open(&self, url: &str) {
        self.call(Method::POST, "/url", json!({ "url": url })).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(Method::POST, "/element", json!({"using": "css selector", "value": css}))
            .await;
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {v}")).to_owned()
    }

    async fn count(&self, css: &str) -> usize {
        let v = self
            .call(Method::POST, "/elements", json!({"using": "css selector", "value": css}))
            .await;
        v.as_array().map_or(0, Vec::len)
    }

    async fn source(&self) -> String {
        let v = self.call(Method::GET, "/source", Value::Null).await;
        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
    }

    async fn size(&self, width: u32, height: u32) {
        self.call(Method::POST, "/window/rect", json!({"width": width, "height": height})).await;
    }

    async fn screenshot(&self, dir: &std::path::Path, name: &str) -> PathBuf {
        let shot = self.call(Method::GET, "/screenshot", Value::Null).await;
        let png = decode(shot.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "{name} is not a PNG");
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_s_report_in_a_browser() {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        eprintln!(
            "SKIPPED: {CHROMIUM} or {CHROMEDRIVER} is absent (Debian packages chromium, chromium-driver)"
        );
        return;
    }
    let shots = screenshot_dir();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "rules_dir = {:?}\n[report]\noffice = \"Sở Y tế (bản trình diễn)\"\n",
            rules_dir().display().to_string()
        ),
    )
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
    let driver = Command::new(CHROMEDRIVER)
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
                     "--window-size=1280,1000", "--lang=vi",
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
    let b = Browser { http: http.clone(), base, session, driver };

    // Log in like a person, then open the report over the demo's sixty days.
    b.open(&format!("{site}/reports")).await;
    let name = b.find("input[name=name]").await;
    b.call(Method::POST, &format!("/element/{name}/value"), json!({"text": "demo"})).await;
    let password = b.find("input[name=password]").await;
    b.call(Method::POST, &format!("/element/{password}/value"), json!({"text": "demo"})).await;
    let submit = b.find("button[type=submit]").await;
    b.call(Method::POST, &format!("/element/{submit}/click"), json!({})).await;
    // The login answers with a redirect: wait for it before leaving the page, or the next
    // navigation cancels the login and its session never starts.
    for _ in 0..100 {
        if !b.source().await.contains("name=\"password\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .date_naive();
    let first = today - chrono::Duration::days(59);
    b.open(&format!("{site}/reports?from={first}&to={today}")).await;
    let page = b.source().await;
    assert!(page.contains("Báo cáo định kỳ"), "{page}");
    // The demo's handled alerts, from events: the count of new alerts is not zero.
    let cell = |code: &str| {
        let at =
            page.find(&format!("<td>{code}</td>")).unwrap_or_else(|| panic!("no {code}: {page}"));
        let row = &page[at..at + page[at..].find("</tr>").unwrap()];
        let value = row.split("<td class=\"num\">").nth(1).unwrap();
        value[..value.find("</td>").unwrap()].to_owned()
    };
    for code in ["TB01", "CB01", "PH01"] {
        let v = cell(code);
        assert!(v != "0" && v != "—", "{code} is {v} on the demo");
    }
    assert!(cell("XL01") != "—", "acknowledgement times from the demo's events");
    assert_eq!(b.count("script:not([src=\"/static/live.js\"])").await, 0);
    b.screenshot(&shots, "1-reports-page.png").await;

    // The printable page, as the office prints or sends it.
    let view = b.find("a[href^=\"/reports/view\"]").await;
    b.call(Method::POST, &format!("/element/{view}/click"), json!({})).await;
    let page = b.source().await;
    assert!(page.contains("Báo cáo công tác thông tin, truyền thông y tế"), "{page}");
    assert!(page.contains("Sở Y tế (bản trình diễn)"));
    assert!(b.count("svg rect").await > 3, "charts with bars");
    assert!(b.count("table").await >= 10, "the tables");
    b.screenshot(&shots, "2-report-desktop.png").await;
    b.size(390, 844).await;
    b.screenshot(&shots, "3-report-phone.png").await;
    b.size(1280, 1000).await;
    b.call(Method::POST, "/execute/sync", json!({"script": "document.getElementById('4_XuLy_DungHan').scrollIntoView(); return 1;", "args": []})).await;
    b.screenshot(&shots, "4-report-handling.png").await;

    let pngs = std::fs::read_dir(&shots)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "png"))
        .count();
    assert_eq!(pngs, 4);
    eprintln!("report in the browser: screenshots in {}", shots.display());
    b.http.delete(format!("{}/session/{}", b.base, b.session)).send().await.unwrap();
}
