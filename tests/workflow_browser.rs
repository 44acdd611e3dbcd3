//! One incident handled from detection to correction by two officers in two browsers:
//! headless Chromium sessions with their own cookie jars, driven through ChromeDriver's
//! WebDriver protocol against `langnghe serve` and outlets served on 127.0.0.1.
//!
//! Lan acknowledges the papaya-leaf rumour and assigns it to Minh, whose board, open all
//! along, shows both changes without a reload; Minh decides that the office must answer,
//! records its response with the form, and when one of the outlets that carried the rumour
//! publishes a correction, the alert's correction coverage rises. Every step is saved as a
//! screenshot under `target/screenshots/workflow/`.
//!
//! `.ci/run` installs Debian's `chromium` and `chromium-driver`; without them the test says
//! so and passes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    Running, eventually, free_port, langnghe, rules_dir, run_ok, serve_config, workspace,
};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The key WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The rumour's rule.
const RULE: &str = "rumor.than-duoc";
/// How long a page may take to change after something the test did.
const SHORT: Duration = Duration::from_secs(20);
/// How long a poll of the outlets and a correction scan may take together.
const LONG: Duration = Duration::from_secs(100);

/// The outlet that carried the rumour and later corrects it.
const CORRECTING_OUTLET: &str = "tin-nhanh-tong-hop";

/// The rumour's first publisher, with the rumour alone, and two outlets that copied it word
/// for word, each with a harmless post of its own.
fn outlets() -> Vec<demo::Outlet> {
    let mut origin: Vec<demo::Outlet> =
        demo::bundled().into_iter().filter(|o| o.slug == demo::rumour::RUMOUR_OUTLET).collect();
    for o in &mut origin {
        o.items.retain(|i| i.slug == demo::rumour::RUMOUR_ITEM);
    }
    let carriers = demo::rumour::carriers(&origin);
    origin.extend(carriers.into_iter().take(2));
    assert_eq!(origin.len(), 3, "the demo's rumour or its carriers changed");
    assert!(origin.iter().any(|o| o.slug == CORRECTING_OUTLET));
    origin
}

/// The correcting outlet's later article: it names the claim and calls it false.
fn correction() -> demo::Item {
    demo::Item {
        slug: "dinh-chinh-la-du-du".to_owned(),
        hours_ago: 0,
        author: "Ban biên tập".to_owned(),
        title: "Đính chính: thông tin lá đu đủ chữa khỏi sốt xuất huyết là sai sự thật".to_owned(),
        summary: "Bài đăng lại trước đây của chúng tôi về nước lá đu đủ đã đưa thông tin không \
                  được kiểm chứng."
            .to_owned(),
        body: "Thông tin lá đu đủ chữa khỏi sốt xuất huyết là sai sự thật. Người bệnh cần được \
               bác sĩ theo dõi tiểu cầu tại cơ sở y tế. Chúng tôi xin lỗi bạn đọc."
            .to_owned(),
    }
}

/// Where screenshots go: `target/screenshots/workflow/`, emptied of earlier runs' images.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| workspace().join("target"), |t| workspace().join(t));
    let dir = target.join("screenshots").join("workflow");
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
fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0_u32, 0_u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\r' | b'\n' => continue,
            _ => panic!("a screenshot that is not base64: byte {c}"),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// ChromeDriver, stopped with its browsers when dropped.
struct ChromeDriver {
    child: Child,
    port: u16,
    base: String,
}

impl ChromeDriver {
    async fn start(http: &reqwest::Client) -> ChromeDriver {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = ChromeDriver { child, port, base: format!("http://127.0.0.1:{port}") };
        eventually(Duration::from_secs(30), "chromedriver", || async {
            http.get(format!("{}/status", driver.base))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success())
        })
        .await;
        driver
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // Asked to shut down, ChromeDriver quits the browsers of sessions still open (a
        // test that failed half-way); killed, it would leave them running.
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = s.write_all(
                b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            );
            let _ = s.read_to_end(&mut Vec::new());
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser: a WebDriver session with a profile (and so a cookie jar) of its own.
struct Browser {
    who: &'static str,
    /// What its screenshots' names end with.
    tag: &'static str,
    http: reqwest::Client,
    session_url: String,
    shots: PathBuf,
}

impl Browser {
    async fn open(
        who: &'static str,
        tag: &'static str,
        http: &reqwest::Client,
        driver: &ChromeDriver,
        profile: &Path,
        shots: &Path,
    ) -> Browser {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,2200",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let created: Value = http
            .post(format!("{}/session", driver.base))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session for {who}: {created}"));
        Browser {
            who,
            tag,
            http: http.clone(),
            session_url: format!("{}/session/{session}", driver.base),
            shots: shots.to_owned(),
        }
    }

    /// A WebDriver command; its `value`, which holds `error` when it failed.
    async fn try_call(&self, method: Method, path: &str, body: Value) -> Value {
        let req = self.http.request(method, format!("{}{path}", self.session_url));
        let req = if body.is_null() { req } else { req.json(&body) };
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }

    async fn call(&self, method: Method, path: &str, body: Value) -> Value {
        let v = self.try_call(method, path, body).await;
        assert!(v.get("error").is_none(), "{}: WebDriver {path} failed: {v}", self.who);
        v
    }

    async fn go(&self, url: &str) {
        self.call(Method::POST, "/url", json!({ "url": url })).await;
    }

    async fn reload(&self) {
        self.call(Method::POST, "/refresh", json!({})).await;
    }

    /// The element `css` selects, if any.
    async fn try_find(&self, using: &str, selector: &str) -> Option<String> {
        let v = self
            .try_call(Method::POST, "/element", json!({"using": using, "value": selector}))
            .await;
        v[ELEMENT].as_str().map(str::to_owned)
    }

    async fn find(&self, css: &str) -> String {
        self.try_find("css selector", css)
            .await
            .unwrap_or_else(|| panic!("{}: no element {css}", self.who))
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(Method::POST, &format!("/element/{el}/click"), json!({})).await;
    }

    /// Chooses the option of a select by clicking it, as a person would.
    async fn choose_xpath(&self, xpath: &str) {
        let el = self
            .try_find("xpath", xpath)
            .await
            .unwrap_or_else(|| panic!("{}: no option {xpath}", self.who));
        self.call(Method::POST, &format!("/element/{el}/click"), json!({})).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(Method::POST, &format!("/element/{el}/clear"), json!({})).await;
        self.call(Method::POST, &format!("/element/{el}/value"), json!({ "text": text })).await;
    }

    /// Runs `script` (a function body) in the page and returns what it returns.
    async fn run(&self, script: &str) -> Value {
        self.call(Method::POST, "/execute/sync", json!({"script": script, "args": []})).await
    }

    /// The text of the first element `css` selects, empty when there is none.
    async fn text(&self, css: &str) -> String {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.textContent : '';",
            json!(css)
        );
        self.run(&script).await.as_str().unwrap_or_default().trim().to_owned()
    }

    /// Waits until `check` of the page's text under `css` holds, reloading the page first
    /// each time when `reload` (without it, only the page's own script can change it).
    async fn wait_text(
        &self,
        css: &str,
        what: &str,
        timeout: Duration,
        reload: bool,
        check: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.text(css).await;
            if check(&text) {
                return text;
            }
            if Instant::now() >= deadline {
                self.shot("zz-failed").await;
                panic!("{}: timed out waiting for {what}; {css} reads {text:?}", self.who);
            }
            tokio::time::sleep(Duration::from_millis(if reload { 2000 } else { 250 })).await;
            if reload {
                self.reload().await;
            }
        }
    }

    /// Scrolls the window as little as it takes to show the first element `css` selects
    /// (to its top when `top`), then saves a screenshot (see [`Browser::shot`]).
    async fn shot_at(&self, name: &str, css: &str, top: bool) -> PathBuf {
        let block = if top { "start" } else { "nearest" };
        let script = format!(
            "const e = document.querySelector({}); \
             if (e) e.scrollIntoView({{block: '{block}'}}); return !!e;",
            json!(css)
        );
        assert_eq!(self.run(&script).await, true, "{}: nothing to show at {css}", self.who);
        self.shot(name).await
    }

    /// Saves a screenshot as `name-tag.png`, checking it is a real image.
    async fn shot(&self, name: &str) -> PathBuf {
        let v = self.call(Method::GET, "/screenshot", Value::Null).await;
        let png = base64_decode(v.as_str().unwrap_or_default());
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{}: the screenshot is no PNG", self.who);
        let path = self.shots.join(format!("{name}-{}.png", self.tag));
        std::fs::write(&path, &png).unwrap();
        path
    }

    async fn log_in(&self, site: &str, name: &str, password: &str) {
        // The board sends a stranger to the login form; fill it in like a person would.
        self.go(&format!("{site}/")).await;
        self.type_into("input[name=name]", name).await;
        self.type_into("input[name=password]", password).await;
        self.click("button[type=submit]").await;
        self.wait_text("h1", "the officer's board after logging in", SHORT, false, |t| {
            t.contains("Bảng việc")
        })
        .await;
    }

    async fn close(self) {
        let _ = self.http.delete(&self.session_url).send().await;
    }
}

/// Leaves a mark on the page that a reload would wipe out.
const MARK: &str = "window.langngheMark = 'chưa tải lại'; return true;";
/// Whether the page was not reloaded since [`MARK`].
const MARKED: &str = "return window.langngheMark === 'chưa tải lại';";

/// What live updates did to an alert's row on a board: (the row's text, whether the script
/// replaced it, whether the notice is showing), for the alert id given.
fn live_row_script(alert: i64) -> String {
    format!(
        "const row = document.querySelector('[data-live=\"board\"] [data-alert-id=\"{alert}\"]');
         const notice = document.querySelector('.live-notice');
         return {{
           text: row ? row.textContent.replace(/\\s+/g, ' ') : '',
           replaced: !!row && row.classList.contains('live-changed'),
           notice: !!notice && !notice.hidden && notice.textContent.includes('Có cập nhật mới'),
         }};"
    )
}

/// Waits until the row of `alert` on `b`'s board was replaced by the live script with one
/// that satisfies `check`, the notice shown, and the page never reloaded.
async fn wait_live_row(b: &Browser, alert: i64, what: &str, check: impl Fn(&str) -> bool) {
    let script = live_row_script(alert);
    let deadline = Instant::now() + SHORT;
    loop {
        let v = b.run(&script).await;
        let text = v["text"].as_str().unwrap_or_default();
        if v["replaced"] == true && v["notice"] == true && check(text) {
            break;
        }
        if Instant::now() >= deadline {
            b.shot("zz-failed").await;
            panic!("{}: the board never showed {what} live: {v}", b.who);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(b.run(MARKED).await, true, "{}: the board was reloaded", b.who);
}

/// Fails, with what it said, when the server has stopped.
fn assert_running(serve: &mut Running) {
    if let Ok(Some(status)) = serve.child.try_wait() {
        let mut said = String::new();
        if let Some(mut err) = serve.child.stderr.take() {
            let _ = err.read_to_string(&mut said);
        }
        panic!("langnghe serve stopped ({status}):\n{said}");
    }
}

/// The rumour's alert and its story once all three outlets were read, through the API.
async fn rumour_alert(http: &reqwest::Client, site: &str, token: &str) -> Option<i64> {
    let get = |path: String| async move {
        let res = http.get(format!("{site}{path}")).bearer_auth(token).send().await.ok()?;
        res.status().is_success().then_some(())?;
        res.json::<Value>().await.ok()
    };
    let stories = get(format!("/api/v1/stories?rule={RULE}&limit=100")).await?;
    let story =
        stories["stories"].as_array()?.iter().find(|s| s["outlets"] == 3)?["id"].as_i64()?;
    let alerts = get("/api/v1/alerts?limit=1000".to_owned()).await?;
    let subject = format!("story:{story}");
    alerts["alerts"]
        .as_array()?
        .iter()
        .find(|a| a["rule"] == RULE && a["subject"] == subject.as_str())?["id"]
        .as_i64()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_officers_handle_a_rumour_until_an_outlet_corrects_it() {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        eprintln!(
            "SKIPPED: {CHROMIUM} or {CHROMEDRIVER} is absent (Debian packages chromium, chromium-driver)"
        );
        return;
    }
    let shots = screenshot_dir();
    let dir = tempfile::tempdir().unwrap();
    let rendered = Utc::now() - chrono::Duration::minutes(5);
    let mut outlets = outlets();
    let feeds = demo::FeedServer::start(&outlets, 0, rendered).await.unwrap();
    let port = free_port();
    // Correction scans as often as allowed, so a correction shows within seconds.
    let config =
        serve_config(dir.path(), &rules_dir(), port, &feeds, "[corrections]\ninterval_secs = 10\n");
    for (name, password) in [("lan", "mat-khau-cua-lan"), ("minh", "mat-khau-cua-minh")] {
        let mut add = langnghe(&config);
        add.args(["users", "add", name, "--role", "officer", "--password-stdin"]);
        run_ok(add, &format!("{password}\n"));
    }
    let mut tok = langnghe(&config);
    tok.args(["users", "token", "lan", "--label", "e2e"]);
    let token = run_ok(tok, "").trim().to_owned();
    // From here on the binary is built: what is timed is the flow.
    let started = Instant::now();
    let mut cmd = langnghe(&config);
    cmd.arg("serve");
    let mut serve = Running::spawn(cmd);
    let site = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let alert = eventually(Duration::from_secs(60), "the rumour's alert on three outlets", || {
        assert_running(&mut serve);
        rumour_alert(&http, &site, &token)
    })
    .await;

    let driver = ChromeDriver::start(&http).await;
    let a = Browser::open("lan", "a", &http, &driver, &dir.path().join("profile-a"), &shots).await;
    let b = Browser::open("minh", "b", &http, &driver, &dir.path().join("profile-b"), &shots).await;
    a.log_in(&site, "lan", "mat-khau-cua-lan").await;
    b.log_in(&site, "minh", "mat-khau-cua-minh").await;
    let row = format!("[data-alert-id=\"{alert}\"]");

    // Both boards show the new alert; Minh's stays open, following live updates.
    a.wait_text(&row, "the new alert on lan's board", SHORT, true, |t| t.contains("Lá đu đủ"))
        .await;
    a.shot("01-board").await;
    b.wait_text(&row, "the new alert on minh's board", SHORT, true, |t| t.contains("Mới")).await;
    assert_eq!(b.run(MARK).await, true);
    b.shot("02-board").await;

    // Lan opens the alert from the board and acknowledges it as P2.
    a.click(&format!("{row} a.rule")).await;
    let crumb = format!("Cảnh báo #{alert}");
    a.wait_text(".crumbs", "the alert page", SHORT, false, |t| t.ends_with(&crumb)).await;
    assert!(a.text(".alert-story").await.contains("Lá đu đủ chữa khỏi sốt xuất huyết"));
    a.shot("03-alert").await;
    a.choose_xpath(
        "//form[contains(@class,'action-acknowledge')]//select[@name='priority']/option[@value='p2']",
    )
    .await;
    a.click("form.action-acknowledge button[type=submit]").await;
    a.wait_text(".meta .state-label", "the acknowledged state", SHORT, false, |t| {
        t == "Đã tiếp nhận"
    })
    .await;
    assert!(a.text(".meta .priority").await.starts_with("P2"), "{}", a.text(".meta").await);
    a.shot("04-acknowledged").await;

    // Minh's board changes by itself.
    wait_live_row(&b, alert, "the acknowledgement", |t| t.contains("Đã tiếp nhận")).await;
    b.shot_at("05-board-live-acknowledged", &row, false).await;

    // Lan assigns it to Minh.
    a.choose_xpath(
        "//form[contains(@class,'action-assign')]//select[@name='user']/option[normalize-space()='minh']",
    )
    .await;
    a.click("form.action-assign button[type=submit]").await;
    a.wait_text(".meta .state-label", "the verifying state", SHORT, false, |t| {
        t == "Đang xác minh"
    })
    .await;
    assert_eq!(a.text("dl.handling dd").await, "minh");
    assert_eq!(a.run(MARK).await, true);
    a.shot("06-assigned").await;

    wait_live_row(&b, alert, "the assignment to minh", |t| {
        t.contains("Người xử lý: minh") && t.contains("Đang xác minh")
    })
    .await;
    b.shot_at("07-board-live-assigned", &row, false).await;

    // Minh opens the alert from the row the script put in place and decides to respond.
    b.click(&format!("{row} a.rule")).await;
    b.wait_text(".crumbs", "the alert page", SHORT, false, |t| t.ends_with(&crumb)).await;
    assert_eq!(b.text(".meta .state-label").await, "Đang xác minh");
    b.shot("08-alert").await;
    b.click("form.action-require_response button[type=submit]").await;
    b.wait_text(".meta .state-label", "the response-needed state", SHORT, false, |t| {
        t == "Cần phản hồi"
    })
    .await;
    b.shot("09-response-needed").await;

    // Lan's alert page, open since the assignment, says that the alert changed.
    a.wait_text(
        "[data-live=\"alert\"] .live-notice",
        "the notice on lan's alert page",
        SHORT,
        false,
        |t| t.contains("Có cập nhật mới"),
    )
    .await;
    assert_eq!(a.run(MARKED).await, true, "lan's alert page was reloaded");
    a.shot("10-alert-live-notice").await;

    // Minh records the office's response, published on the Department's own site.
    let statement = format!("{}/so-y-te/thong-cao-la-du-du.html", feeds.base_url());
    feeds.put(
        "/so-y-te/thong-cao-la-du-du.html",
        "text/html; charset=utf-8",
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Thông cáo</title>\
         </head><body><p>Sở Y tế khuyến cáo người dân không tự điều trị sốt xuất huyết tại nhà.</p>\
         </body></html>"
            .to_owned(),
    );
    let answer = "Sở Y tế khuyến cáo: chưa có bằng chứng khoa học nào cho thấy nước lá đu đủ \
                  điều trị được bệnh. Người có dấu hiệu sốt cao cần đến cơ sở y tế để được khám \
                  và theo dõi.";
    b.choose_xpath(
        "//form[contains(@class,'respond')]//select[@name='channel']/option[@value='website']",
    )
    .await;
    b.type_into("form.respond textarea[name=text]", answer).await;
    b.type_into("form.respond input[name=url]", &statement).await;
    b.shot_at("11-response-form", "form.respond", true).await;
    b.click("form.respond button[type=submit]").await;
    b.wait_text(".meta .state-label", "the responded state", SHORT, false, |t| t == "Đã phản hồi")
        .await;
    assert_eq!(b.text(".responses blockquote").await, answer);
    assert!(b.text(".responses .meta").await.contains(&statement));
    b.shot_at("12-responded", ".responses", true).await;

    // Correction tracking starts by itself: nobody has corrected anything yet.
    let coverage = b
        .wait_text("#corrections .coverage", "correction tracking to start", LONG, true, |t| {
            !t.is_empty()
        })
        .await;
    assert!(coverage.starts_with("0/3 nguồn"), "{coverage}");
    assert_eq!(b.text(".meta .state-label").await, "Theo dõi cải chính");
    b.shot_at("13-tracking", "#corrections", true).await;

    // One of the outlets that carried the rumour corrects it; it is read at once.
    let correcting = outlets.iter_mut().find(|o| o.slug == CORRECTING_OUTLET).unwrap();
    correcting.items.push(correction());
    let correcting_name = correcting.name.clone();
    // Read before republishing: a file put again is no longer listed as a feed.
    let feed = feeds
        .feeds()
        .into_iter()
        .find(|(name, _, _)| *name == correcting_name)
        .map(|(_, url, _)| url)
        .unwrap();
    // Rendered so that the correction is dated now (the renderer dates an item a minute
    // per character of its slug before the time it is given), after the response.
    let now = Utc::now() + chrono::Duration::minutes(correction().slug.len() as i64);
    for f in demo::render(std::slice::from_ref(correcting), &feeds.base_url(), now) {
        feeds.put(&f.path, f.content_type, f.body);
    }
    let mut poll = langnghe(&config);
    poll.args(["sources", "enable", &feed]);
    run_ok(poll, "");
    let coverage = b
        .wait_text(
            "#corrections .coverage",
            "the correction to raise the coverage",
            LONG,
            true,
            |t| t.starts_with("1/3 nguồn"),
        )
        .await;
    assert!(coverage.contains("33%"), "{coverage}");
    let remedied = b.text("#corrections table.outlets tr.remedied").await;
    assert!(remedied.contains(&correcting_name), "{remedied}");
    // It counts as a refutation of the claim, shown apart from the rumour's documents.
    let refutation = b.text(".alert-counterpoints li.result").await;
    assert!(refutation.contains(&correction().title), "{refutation}");
    assert!(refutation.contains(&correcting_name), "{refutation}");
    assert_eq!(b.text(".alert-counterpoints .stance-refutes").await, "Bác bỏ");
    // The history holds the system's start of tracking and the outlet's correction.
    assert!(b.text("#timeline .event-track").await.contains("Hệ thống"));
    let event = b.text("#timeline .event-correction").await;
    assert!(event.contains(&correcting_name), "{event}");
    b.shot_at("14-corrected", "#corrections", true).await;

    // The screenshots are there and show something.
    let mut written: Vec<(String, u64)> = std::fs::read_dir(&shots)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().len()))
        .collect();
    written.sort();
    assert_eq!(written.len(), 14, "{written:?}");
    assert!(written.iter().all(|(_, len)| *len > 10_000), "{written:?}");
    eprintln!(
        "workflow in the browser: {} s, screenshots in {}",
        started.elapsed().as_secs(),
        shots.display()
    );

    a.close().await;
    b.close().await;
    drop(driver);
    assert!(serve.terminate());
}
