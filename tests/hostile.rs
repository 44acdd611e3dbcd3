//! Hostile requests against the real `langnghe serve` on 127.0.0.1: each must get its
//! documented answer, and `/healthz` must keep answering within a second while they run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{
    Running, eventually, free_port, langnghe, login, metric, rules_dir, run, run_ok, serve_config,
};

/// Polls `/healthz` every 100 ms until stopped, keeping the slowest answer (a failure
/// counts as forever).
struct Heartbeat {
    stop: Arc<AtomicBool>,
    slowest_ms: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<u64>,
}

impl Heartbeat {
    fn start(base: &str) -> Heartbeat {
        let stop = Arc::new(AtomicBool::new(false));
        let slowest_ms = Arc::new(AtomicU64::new(0));
        let url = format!("{base}/healthz");
        let (s, w) = (stop.clone(), slowest_ms.clone());
        let task = tokio::spawn(async move {
            let client =
                reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
            let mut beats = 0;
            while !s.load(Ordering::Relaxed) {
                let started = Instant::now();
                let ok = client.get(&url).send().await.is_ok_and(|r| r.status() == StatusCode::OK);
                let ms = if ok { started.elapsed().as_millis() as u64 } else { u64::MAX };
                w.fetch_max(ms, Ordering::Relaxed);
                beats += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            beats
        });
        Heartbeat { stop, slowest_ms, task }
    }

    /// Stops polling; panics unless every beat answered within a second.
    async fn check(self, during: &str) {
        self.stop.store(true, Ordering::Relaxed);
        let beats = self.task.await.unwrap();
        let slowest = self.slowest_ms.load(Ordering::Relaxed);
        assert!(beats > 0, "no heartbeat during {during}");
        assert!(slowest < 1000, "/healthz took {slowest} ms during {during}");
    }
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> (StatusCode, Value, String) {
    // Hostile URLs are long: name them by their start.
    let short: String = url.chars().take(120).collect();
    let res = client.get(url).bearer_auth(token).send().await.unwrap_or_else(|e| {
        panic!("{short}…: {}", e.to_string().chars().take(200).collect::<String>())
    });
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = res.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or_else(|e| {
        panic!(
            "{short}…: answer is not JSON ({e}, {ctype}): {}",
            body.chars().take(300).collect::<String>()
        )
    });
    (status, json, ctype)
}

fn search_url(base: &str, q: &str, extra: &str) -> String {
    let q: String = url_encode(q);
    format!("{base}/api/v1/search?q={q}{extra}")
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Queries that used to overflow the stack or take gigabytes and minutes.
fn hostile_queries() -> Vec<(&'static str, String)> {
    let mut nested_near = String::from("thư");
    for _ in 0..14 {
        nested_near = format!("(ung NEAR/5 {nested_near})");
    }
    let flat_near = std::iter::repeat_n("ung", 31).collect::<Vec<_>>().join(" NEAR/1000 ");
    vec![
        ("1,500 nested parentheses", format!("{}sốt{}", "(".repeat(1500), ")".repeat(1500))),
        ("4,000 minus signs", format!("{}sốt", "-".repeat(4000))),
        ("2,000 NOTs", format!("{}sốt", "NOT ".repeat(2000))),
        // Plain letters: a URL holds at most 64 KB.
        (
            "a chain of 3,000 NEARs",
            std::iter::repeat_n("x", 3001).collect::<Vec<_>>().join(" NEAR/2 "),
        ),
        ("14 nested NEAR/5", nested_near),
        ("30 NEAR/1000 in a row", flat_near),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_requests_get_their_documented_answers() {
    let dir = tempfile::tempdir().unwrap();
    let outlets = demo::corpus();
    let server = demo::FeedServer::start(&outlets, 0, Utc::now() - chrono::Duration::minutes(5))
        .await
        .unwrap();
    let port = free_port();
    let http = "trusted_proxies = [\"127.0.0.1\"]\n[search]\ntimeout_ms = 2000\nmax_concurrent = 2\nmax_queued = 4\n";
    let config = serve_config(dir.path(), &rules_dir(), port, &server, http);
    let base = format!("http://127.0.0.1:{port}");

    let mut add = langnghe(&config);
    add.args(["users", "add", "lan", "--role", "viewer", "--password-stdin"]);
    run_ok(add, "mat-khau-an-toan\n");
    let mut tok = langnghe(&config);
    tok.args(["users", "token", "lan", "--label", "hostile"]);
    let token = run_ok(tok, "").trim().to_owned();

    // A post of 1 MB repeating one phrase is matched and stored in bounded time.
    let big = dir.path().join("big.jsonl");
    let text = "sốt xuất huyết ".repeat(1_000_000 / "sốt xuất huyết ".len());
    let line = serde_json::json!({
        "platform": "facebook", "page": "Trang lặp", "url": "https://www.facebook.com/p/1",
        "time": "2026-11-30T08:00:00+07:00", "text": text,
    });
    std::fs::write(&big, format!("{line}\n")).unwrap();
    let mut ingest = langnghe(&config);
    ingest.arg("ingest").arg(&big);
    run_ok(ingest, "");

    let mut cmd = langnghe(&config);
    cmd.arg("serve");
    let mut serving = Running::spawn(cmd);
    let http = reqwest::Client::new();
    eventually(Duration::from_secs(30), "the dashboard to answer /healthz", || async {
        http.get(format!("{base}/healthz")).send().await.ok().filter(|r| r.status().is_success())
    })
    .await;
    eventually(Duration::from_secs(60), "the demo documents", || async {
        (metric(&base, "langnghe_documents").await? >= 60.0).then_some(())
    })
    .await;

    // 1, 2. Deep nesting and costly proximity: refused by name or answered, never a crash,
    // and the server stays responsive while they run.
    let beat = Heartbeat::start(&base);
    let (viewer, status) = login(&base, "lan", "mat-khau-an-toan").await;
    assert_eq!(status, StatusCode::OK);
    for (what, q) in hostile_queries() {
        let (status, v, ctype) = get_json(&http, &search_url(&base, &q, ""), &token).await;
        assert!(ctype.starts_with("application/json"), "{what}: {ctype}");
        match status {
            StatusCode::OK => assert!(v["total"].is_u64(), "{what}: {v}"),
            StatusCode::BAD_REQUEST => {
                let e = v["error"].as_str().unwrap();
                // Over a limit (named, with the column where), or too expensive to finish.
                assert!(
                    (e.contains("column") && e.contains("limit")) || e.contains("too expensive"),
                    "{what}: {e}"
                );
            }
            other => panic!("{what}: {other} {v}"),
        }
        let page =
            viewer.get(format!("{base}/search?q={}", url_encode(&q))).send().await.unwrap_or_else(
                |e| panic!("{what}: {}", e.to_string().chars().take(200).collect::<String>()),
            );
        let code = page.status();
        let body = page.text().await.unwrap();
        assert!(
            [StatusCode::OK, StatusCode::BAD_REQUEST, StatusCode::SERVICE_UNAVAILABLE]
                .contains(&code),
            "{what}: {code}"
        );
        assert!(body.contains("<h1>Tìm kiếm</h1>"), "{what}: not the search page");
    }
    // 3. Expensive searches side by side do not hold up health checks or other pages.
    let mut flat = String::from("sot");
    for _ in 0..30 {
        flat.push_str(" NEAR/1000 (sot OR xuat OR huyet)");
    }
    let expensive = (0..6).map(|_| {
        let (http, url, token) = (http.clone(), search_url(&base, &flat, ""), token.clone());
        tokio::spawn(async move { get_json(&http, &url, &token).await })
    });
    let answers: Vec<_> = futures_join(expensive.collect()).await;
    for (status, v, _) in &answers {
        assert!(
            [StatusCode::OK, StatusCode::BAD_REQUEST, StatusCode::SERVICE_UNAVAILABLE]
                .contains(status),
            "{status} {v}"
        );
        assert!(v.is_object());
    }
    beat.check("hostile searches").await;

    // 4. Pages: a huge offset is refused by name, a page size over the limit too, and the
    // cursor walks on without repeating a result.
    let (status, v, _) =
        get_json(&http, &search_url(&base, "sot", "&offset=10000000000"), &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("offset"), "{v}");
    let (status, v, _) = get_json(&http, &search_url(&base, "sot", "&limit=100000"), &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("limit"), "{v}");
    let (status, first, _) = get_json(&http, &search_url(&base, "sot", "&limit=3"), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["total_exact"], true);
    let next = first["next"].as_str().expect("a next cursor").to_owned();
    let (_, second, _) =
        get_json(&http, &search_url(&base, "sot", &format!("&limit=3&after={next}")), &token).await;
    let ids = |v: &Value| -> Vec<i64> {
        v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!((a.len(), b.len()), (3, 3));
    assert!(a.iter().all(|id| !b.contains(id)), "{a:?} {b:?}");
    let (_, all, _) = get_json(&http, &search_url(&base, "sot", "&limit=6"), &token).await;
    assert_eq!(ids(&all), [a, b].concat(), "the cursor skipped or reordered results");
    let (status, v, _) =
        get_json(&http, &search_url(&base, "sot", "&after=not-a-cursor"), &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    // 10. Every /api/v1 answer is JSON: unknown paths, wrong methods, bad parameters.
    for (method, path, want) in [
        ("GET", "/api/v1/nothing-here", StatusCode::NOT_FOUND),
        ("POST", "/api/v1/search?q=sot", StatusCode::METHOD_NOT_ALLOWED),
        ("GET", "/api/v1/search?q=sot&offset=-1", StatusCode::BAD_REQUEST),
        ("GET", "/api/v1/alerts?limit=x", StatusCode::BAD_REQUEST),
    ] {
        let res = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), want, "{method} {path}");
        let ctype = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ctype.starts_with("application/json"), "{method} {path}: {ctype}");
        let v: Value = res.json().await.unwrap();
        assert!(v["error"].is_string(), "{method} {path}: {v}");
    }
    // Authenticated answers are never cached.
    let board = viewer.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(board.headers()["cache-control"], "no-store");
    let api = http.get(format!("{base}/api/v1/alerts")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");

    // 10. After login, `next` only ever leads to a path of this site.
    for next in [
        "/\t/evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\u{1}x",
        "https://evil.example/",
    ] {
        let no_redirect = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let form =
            no_redirect.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
        let marker = "name=\"csrf\" value=\"";
        let start = form.find(marker).unwrap() + marker.len();
        let csrf = &form[start..start + form[start..].find('"').unwrap()];
        let res = no_redirect
            .post(format!("{base}/login"))
            .form(&[
                ("csrf", csrf),
                ("next", next),
                ("name", "lan"),
                ("password", "mat-khau-an-toan"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(res.headers()["location"], "/", "{next:?}");
    }

    // 5. Login: forwarded addresses count only from the trusted proxy, a stranger cannot
    // lock the account, and an oversized field is refused before it is used.
    let stranger = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from([127, 0, 0, 3]))
        .build()
        .unwrap();
    let mut throttled = false;
    for i in 0..12 {
        let status = login_from(&stranger, &base, "lan", "sai", &format!("203.0.113.{i}")).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            throttled = true;
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert!(throttled, "rotating X-Forwarded-For from an untrusted peer escaped the limit");
    let proxy = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let status = login_from(&proxy, &base, "lan", "mat-khau-an-toan", "198.51.100.7").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the owner was locked out by a stranger");
    // Well over the 16 KiB a login form may have, yet small enough for the socket buffers:
    // the server answers before reading it all, and a body it never reads would otherwise
    // race its answer (the client may see the connection closed mid-write instead).
    let long_name = "a".repeat(48 * 1024);
    let status = login_from(&proxy, &base, &long_name, "x", "198.51.100.8").await;
    assert!(
        status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::BAD_REQUEST,
        "{status}"
    );

    // 6. A password reset ends sessions; revoked tokens and disabled users are refused.
    let no_follow = |c: &reqwest::Client| c.get(format!("{base}/"));
    assert_eq!(no_follow(&viewer).send().await.unwrap().url().path(), "/");
    let mut reset = langnghe(&config);
    reset.args(["users", "add", "lan", "--role", "viewer", "--password-stdin"]);
    run_ok(reset, "mat-khau-moi-an-toan\n");
    assert_eq!(no_follow(&viewer).send().await.unwrap().url().path(), "/login");
    let alerts = format!("{base}/api/v1/alerts");
    assert_eq!(
        http.get(&alerts).bearer_auth(&token).send().await.unwrap().status(),
        StatusCode::OK
    );
    let mut revoke = langnghe(&config);
    revoke.args(["users", "revoke", "lan", "--all"]);
    run_ok(revoke, "");
    let res = http.get(&alerts).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let mut tok = langnghe(&config);
    tok.args(["users", "token", "lan", "--expires-days", "1"]);
    let fresh = run_ok(tok, "").trim().to_owned();
    assert_eq!(
        http.get(&alerts).bearer_auth(&fresh).send().await.unwrap().status(),
        StatusCode::OK
    );
    let mut disable = langnghe(&config);
    disable.args(["users", "disable", "lan"]);
    run_ok(disable, "");
    let res = http.get(&alerts).bearer_auth(&fresh).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (_, status) = login(&base, "lan", "mat-khau-moi-an-toan").await;
    assert_ne!(status, StatusCode::OK, "a disabled user logged in");

    assert!(serving.terminate(), "serve did not stop cleanly");
    drop(server);
}

/// Posts the login form through `client` (which keeps cookies and follows no redirect) as
/// if from `forwarded_for` (believed only from a trusted proxy); the status of the answer.
async fn login_from(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    password: &str,
    forwarded_for: &str,
) -> StatusCode {
    let form = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let start = form.find(marker).unwrap() + marker.len();
    let csrf = form[start..start + form[start..].find('"').unwrap()].to_owned();
    let request = client
        .post(format!("{base}/login"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("csrf", csrf.as_str()), ("next", "/"), ("name", name), ("password", password)])
        .build()
        .unwrap();
    client.execute(request).await.unwrap().status()
}

/// Awaits every task, in order.
async fn futures_join<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// A damaged index stops nothing for good: `serve` and `search` say what is wrong and how
/// to recover, and `reindex` rebuilds it from the database.
#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_index_is_named_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.xml");
    std::fs::write(
        &feed,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>\
         <item><title>Sốt xuất huyết tăng</title><link>https://a.vn/1</link><description>Ca bệnh tăng.</description></item>\
         <item><title>Tiêm chủng mở rộng</title><link>https://a.vn/2</link><description>Lịch tiêm.</description></item>\
         </channel></rss>",
    )
    .unwrap();
    let config = crate::support::config_file(dir.path(), &rules_dir(), "");
    let mut ingest = langnghe(&config);
    ingest.arg("ingest").arg(&feed);
    run_ok(ingest, "");
    let search = |q: &str| {
        let mut c = langnghe(&config);
        c.args(["search", q, "--json"]);
        run(&mut c, "")
    };
    assert!(search("sot").status.success());

    // One segment file goes missing.
    let index = dir.path().join("data/index");
    let victim = std::fs::read_dir(&index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("a segment's term file");
    std::fs::remove_file(&victim).unwrap();

    let out = search("sot");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("damaged") && err.contains("langnghe reindex"), "{err}");
    let mut serve = langnghe(&config);
    serve.arg("serve");
    let out = run(&mut serve, "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("damaged") && err.contains("langnghe reindex"), "{err}");

    let mut re = langnghe(&config);
    re.arg("reindex");
    assert!(run_ok(re, "").contains("reindexed 2 documents"));
    let out = search("sot");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 1);
}

/// A data directory nothing can be written to is named at once, not after a pool timeout.
#[test]
fn an_unwritable_data_directory_is_named_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // /proc/self is a directory even root cannot create files in.
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!("data_dir = \"/proc/self\"\nrules_dir = {:?}\n", rules_dir().display().to_string()),
    )
    .unwrap();
    let mut cmd = langnghe(&config);
    cmd.arg("reindex");
    let out = run(&mut cmd, "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("/proc/self") && err.contains("not writable"), "{err}");
}

/// 7. With `allow_private`, a redirect to the cloud metadata address is still refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_cloud_metadata_is_refused_even_with_allow_private() {
    let site = test_support::Site::start();
    site.put(
        "/feed.xml",
        test_support::Page::redirect(302, "http://169.254.169.254/latest/meta-data/"),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = crate::support::config_file(dir.path(), &rules_dir(), "");
    let mut cmd = langnghe(&config);
    cmd.args(["ingest", "--allow-private", &site.url("/feed.xml")]);
    let out = tokio::task::spawn_blocking(move || run(&mut cmd, "")).await.unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("169.254.169.254") || text.contains("link-local"), "{text}");
    // The refusal came from following the redirect, not from failing to reach the feed.
    assert!(site.requests("/feed.xml") >= 1, "the feed was never asked for: {text}");
}
