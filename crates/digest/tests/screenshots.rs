//! The digest's HTML as mail programs on a desktop and on a phone show it: headless
//! Chromium driven over WebDriver (ChromeDriver) opens each reader's digest at 1280 and at
//! 390 pixels wide, checks that the column keeps to its 640 pixels on the desktop and fits
//! the phone without sideways scrolling, and saves full-length screenshots under
//! `target/screenshots/digest/`.
//!
//! `.ci/run` installs Debian's `chromium` and `chromium-driver`; without them the test says
//! so and passes.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

#[path = "support/input.rs"]
#[allow(dead_code)]
mod input;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use digest::{Audience, compose};
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The workspace's `target/screenshots/digest/`, emptied of earlier runs' images.
fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| workspace.join("target"), |t| workspace.join(t));
    let dir = target.join("screenshots").join("digest");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "png" || x == "html") {
            std::fs::remove_file(path).unwrap();
        }
    }
    dir
}

/// ChromeDriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(http: &reqwest::Client, method: reqwest::Method, url: &str, body: Value) -> Value {
    let req = http.request(method, url);
    let req = if body.is_null() { req } else { req.json(&body) };
    let v: Value = req.send().await.unwrap().json().await.unwrap();
    assert!(v["value"].get("error").is_none(), "WebDriver {url} failed: {v}");
    v["value"].clone()
}

#[tokio::test]
async fn the_digest_fits_a_desktop_and_a_phone() {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        eprintln!("SKIPPED: {CHROMIUM} or {CHROMEDRIVER} is not installed");
        return;
    }
    let dir = screenshot_dir();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver { child, base: format!("http://127.0.0.1:{port}") };
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{}/status", driver.base)).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = tempfile::tempdir().unwrap();
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--hide-scrollbars", format!("--user-data-dir={}", profile.path().display())]
        }
    }}});
    let created =
        call(&http, reqwest::Method::POST, &format!("{}/session", driver.base), caps).await;
    let session = format!("{}/session/{}", driver.base, created["sessionId"].as_str().unwrap());
    let cdp = |width: i64, height: i64| {
        json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600
        }})
    };
    let mut saved = Vec::new();
    for audience in Audience::ALL {
        let d = compose(&input::input(audience));
        let page = dir.join(format!("{}.html", audience.as_str()));
        std::fs::write(&page, d.with_data_images(false)).unwrap();
        for (width, name) in [(1280, "desktop"), (390, "phone")] {
            let post = reqwest::Method::POST;
            call(&http, post.clone(), &format!("{session}/goog/cdp/execute"), cdp(width, 800))
                .await;
            let url = format!("file://{}", page.canonicalize().unwrap().display());
            call(&http, post.clone(), &format!("{session}/url"), json!({ "url": url })).await;
            let script = json!({"script": "const t = document.querySelector('body table table'); \
                 return [document.documentElement.scrollWidth, document.documentElement.scrollHeight, \
                 t.getBoundingClientRect().width, document.images.length, \
                 Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)];", "args": []});
            let m = call(&http, post.clone(), &format!("{session}/execute/sync"), script).await;
            let (scroll_w, height, column) =
                (m[0].as_f64().unwrap(), m[1].as_i64().unwrap(), m[2].as_f64().unwrap());
            let what = format!("{} at {width}", audience.as_str());
            assert!(scroll_w <= width as f64, "{what}: scrolls sideways ({scroll_w} px)");
            if width > 640 {
                assert!((column - 640.0).abs() < 1.0, "{what}: the column is {column} px");
            } else {
                assert!(column <= width as f64 - 8.0, "{what}: the column is {column} px");
            }
            assert_eq!(m[3], json!(d.images.len()), "{what}");
            assert_eq!(m[4], json!(true), "{what}: every chart decodes in the browser");
            call(&http, post, &format!("{session}/goog/cdp/execute"), cdp(width, height)).await;
            let shot =
                call(&http, reqwest::Method::GET, &format!("{session}/screenshot"), Value::Null)
                    .await;
            let png =
                base64::engine::general_purpose::STANDARD.decode(shot.as_str().unwrap()).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{what}: the screenshot is no PNG");
            let path = dir.join(format!("{}-{name}.png", audience.as_str()));
            std::fs::write(&path, &png).unwrap();
            saved.push(path);
        }
    }
    let _ = http.delete(&session).send().await;
    eprintln!(
        "screenshots: {}",
        saved.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    assert_eq!(saved.len(), 6);
}
