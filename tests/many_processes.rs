//! Many processes on one PostgreSQL database: two `serve --role worker` processes poll 200
//! loopback feeds between them (each telling its own counters on its `/metrics` listener)
//! and one `serve --role web` process serves what they store.
//! Every item is stored once, no feed is polled twice within its interval, a rumour
//! carried by twenty outlets polled by both workers, ten word for word and ten in other
//! words, is one story and one alert, and the web
//! process's API, search and live event stream show what the workers stored.
//!
//! Runs only when `LANGNGHE_TEST_POSTGRES_URL` is set (it then fails if the server cannot
//! be reached); otherwise it prints `skipped:` and passes.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use test_support::{Page, Site};

use crate::support::{Running, eventually, free_port, langnghe, login, metric, rules_dir, run_ok};

const FEEDS: usize = 200;
/// Every `RUMOUR_EVERY`-th feed also carries the same rumour, word for word, and every
/// `RUMOUR_EVERY`-th from the `RUMOUR_EVERY / 2`-th carries it in other words.
const RUMOUR_EVERY: usize = 20;
const RUMOUR_RULE: &str = "rumor.than-duoc";

fn rss(base: &str, n: usize) -> String {
    let mut items = format!(
        "<item><title>Hội nghị tổng kết công tác năm tại đơn vị huyện số {n}</title>\
         <link>{base}/bai/{n}.html</link>\
         <description>Đơn vị huyện số {n} tổ chức hội nghị tổng kết công tác năm, bầu ban \
         chấp hành mới và trao giấy khen cho {n} tập thể.</description>\
         <pubDate>Mon, 30 Nov 2026 08:00:00 +0700</pubDate></item>"
    );
    if n.is_multiple_of(RUMOUR_EVERY) {
        items.push_str(&format!(
            "<item><title>Thần dược từ rễ cây rừng chữa khỏi ung thư giai đoạn cuối</title>\
             <link>{base}/chia-se/{n}.html</link>\
             <description>Một loại rễ cây quý được quảng cáo là thần dược giúp hàng trăm \
             người khỏi bệnh ung thư. Trang bán hàng cam kết khỏi bệnh 100% sau hai liệu \
             trình, khuyên người bệnh ngừng hóa trị để uống sản phẩm.</description>\
             <pubDate>Mon, 30 Nov 2026 07:00:00 +0700</pubDate></item>"
        ));
    }
    if n % RUMOUR_EVERY == RUMOUR_EVERY / 2 {
        items.push_str(&format!(
            "<item><title>Rễ cây rừng quý là thần dược chữa khỏi ung thư giai đoạn cuối, \
             hàng trăm người đã khỏi bệnh</title>\
             <link>{base}/lan-truyen/{n}.html</link>\
             <description>Bài thuốc từ rễ cây rừng quý giúp hàng trăm người bệnh ung thư \
             giai đoạn cuối khỏi bệnh chỉ sau hai liệu trình. Người bán cam kết khỏi bệnh \
             100%, người bệnh nên ngừng hóa trị để uống thần dược này.</description>\
             <pubDate>Mon, 30 Nov 2026 07:30:00 +0700</pubDate></item>"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
         <title>Báo {n}</title><link>{base}/</link>{items}</channel></rss>"
    )
}

fn feed_path(n: usize) -> String {
    format!("/feed/{n}.xml")
}

/// The configuration every process shares; each gets its own data directory and user
/// agent through the environment.
fn config(dir: &Path, database_url: &str, port: u16, site: &Site) -> std::path::PathBuf {
    let mut text = format!(
        "rules_dir = {:?}\ndatabase_url = {database_url:?}\n[http]\nlisten = \"127.0.0.1:{port}\"\n\
         [fetch]\nhost_delay_ms = 0\nper_host = 4\nrespect_robots = false\nmax_interval_secs = 3600\n",
        rules_dir().display().to_string()
    );
    for n in 0..FEEDS {
        text.push_str(&format!(
            "[[sources]]\nname = \"Báo {n}\"\nurl = {:?}\ninterval_secs = 3600\n\
             allow_private = true\nfetch_articles = \"never\"\n",
            site.url(&feed_path(n))
        ));
    }
    let path = dir.join("langnghe.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// What a process called `name` tells sites it is.
fn agent(name: &str) -> String {
    format!("langnghe-{name} (+mailto:e2e@example.invalid)")
}

fn process(config: &Path, data: &Path, name: &str, args: &[&str]) -> Command {
    let mut cmd = langnghe(config);
    cmd.env("LANGNGHE_DATA_DIR", data).env("LANGNGHE_FETCH__USER_AGENT", agent(name)).args(args);
    cmd
}

async fn api(client: &reqwest::Client, url: String, token: &str) -> Value {
    let res = client.get(url).bearer_auth(token).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_and_a_web_process_share_one_postgresql_database() {
    let Some(base_url) = store::testing::postgres_base_url() else {
        eprintln!(
            "skipped: LANGNGHE_TEST_POSTGRES_URL is not set, so the many-process test did not run"
        );
        return;
    };
    let database_url = store::testing::fresh_postgres_url(&base_url).await;
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start();
    for n in 0..FEEDS {
        // A little slow, like a real site, so the workers' polls overlap in time.
        let page = Page::ok("application/rss+xml", rss(site.base(), n))
            .with_delay(Duration::from_millis(100));
        site.put(&feed_path(n), page);
    }
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let config = config(dir.path(), &database_url, port, &site);

    let cli = dir.path().join("cli");
    let add = process(
        &config,
        &cli,
        "cli",
        &["users", "add", "lan", "--role", "officer", "--password-stdin"],
    );
    run_ok(add, "mat-khau-an-toan\n");
    let token =
        run_ok(process(&config, &cli, "cli", &["users", "token", "lan", "--label", "e2e"]), "");
    let token = token.trim().to_owned();

    let mut web = Running::spawn(process(
        &config,
        &dir.path().join("web"),
        "web",
        &["serve", "--role", "web"],
    ));
    let http = reqwest::Client::new();
    eventually(Duration::from_secs(60), "the web process to answer /healthz", || async {
        http.get(format!("{base}/healthz")).send().await.ok().filter(|r| r.status().is_success())
    })
    .await;
    assert_eq!(site.total_requests(), 0, "the web process polled a source");

    // The live stream is open before any worker runs: what they store reaches it.
    let (browser, status) = login(&base, "lan", "mat-khau-an-toan").await;
    assert!(status.is_success(), "{status}");
    let mut stream = browser.get(format!("{base}/events?after=0")).send().await.unwrap();
    assert!(stream.status().is_success(), "{}", stream.status());
    let live = tokio::spawn(async move {
        let mut text = String::new();
        while let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_secs(180), stream.chunk()).await
        {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains("\"action\":\"opened\"") {
                break;
            }
        }
        text
    });

    // Each worker tells its own counters on a /metrics listener of its own.
    let worker_metrics: Vec<String> =
        (0..2).map(|_| format!("http://127.0.0.1:{}", free_port())).collect();
    let mut workers: Vec<Running> = ["worker-a", "worker-b"]
        .iter()
        .zip(&worker_metrics)
        .map(|(agent, metrics)| {
            let data = dir.path().join(agent);
            let mut cmd = process(&config, &data, agent, &["serve", "--role", "worker"]);
            cmd.env("LANGNGHE_HTTP__METRICS_LISTEN", metrics.trim_start_matches("http://"));
            Running::spawn(cmd)
        })
        .collect();

    // Every feed's own item, and the rumour once in each wording: the other carriers of
    // each are sightings.
    let documents = (FEEDS + 2) as f64;
    eventually(
        Duration::from_secs(240),
        "every document stored and searchable on the web",
        || async {
            let stored = metric(&base, "langnghe_documents").await?;
            let indexed = metric(&base, "langnghe_index_documents").await?;
            (stored == documents && indexed == documents).then_some(())
        },
    )
    .await;
    // Give a second poll time to happen, if anything were to make one.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Each feed was asked for once, and the two workers shared them.
    let mut agents = BTreeSet::new();
    let received = site.received();
    let mut per_path: HashMap<&str, usize> = HashMap::new();
    for request in &received {
        *per_path.entry(request.path.as_str()).or_default() += 1;
        agents.insert(request.header("User-Agent").unwrap_or_default().to_owned());
    }
    for n in 0..FEEDS {
        let path = feed_path(n);
        assert_eq!(per_path.get(path.as_str()), Some(&1), "{path} polled other than once");
    }
    assert_eq!(received.len(), FEEDS, "requests beyond the feeds");
    let expected: BTreeSet<String> = ["worker-a", "worker-b"].map(agent).into();
    assert_eq!(agents, expected, "both workers poll, nobody else does");
    // And each says how many polls were its own; a worker has no index to count.
    let mut polls = Vec::new();
    for base in &worker_metrics {
        polls.push(metric(base, "langnghe_polls_total").await.expect("a worker's /metrics"));
        assert_eq!(metric(base, "langnghe_documents").await, Some(documents), "{base}");
        assert_eq!(metric(base, "langnghe_index_documents").await, None, "{base}");
    }
    assert!(polls.iter().all(|&p| p > 0.0), "{polls:?}");
    assert_eq!(polls.iter().sum::<f64>(), FEEDS as f64, "{polls:?}");

    // The web process searches what the workers stored.
    let hits = api(
        &http,
        format!("{base}/api/v1/search?q=%22huy%E1%BB%87n+s%E1%BB%91+137%22&limit=10"),
        &token,
    )
    .await;
    assert_eq!(hits["total"], 1, "{hits}");
    assert!(hits["hits"][0]["title"].as_str().unwrap_or_default().contains("số 137"), "{hits}");

    // One story and one alert for the rumour, whichever worker stored each wording and
    // whichever saw their copies.
    let alerts = api(&http, format!("{base}/api/v1/alerts?limit=1000"), &token).await;
    let rumour: Vec<&Value> =
        alerts["alerts"].as_array().unwrap().iter().filter(|a| a["rule"] == RUMOUR_RULE).collect();
    assert_eq!(rumour.len(), 1, "{alerts}");
    let mut subjects = BTreeSet::new();
    for a in alerts["alerts"].as_array().unwrap() {
        assert!(
            subjects.insert((a["rule"].to_string(), a["subject"].to_string())),
            "duplicate alert {a}"
        );
    }
    let story = rumour[0]["story"].as_i64().expect("the rumour alert is about a story");
    let story = api(&http, format!("{base}/api/v1/stories/{story}"), &token).await;
    let carriers = (2 * FEEDS / RUMOUR_EVERY) as i64;
    assert_eq!(
        (
            story["story"]["documents"].as_i64(),
            story["story"]["sightings"].as_i64(),
            story["story"]["outlets"].as_i64()
        ),
        (Some(2), Some(carriers), Some(carriers)),
        "{story}"
    );

    // The stream the web process had open when a worker opened the alert carried it.
    let text = live.await.unwrap();
    let opened = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|e| e["action"] == "opened")
        .unwrap_or_else(|| panic!("no opened event on the live stream: {text}"));
    assert_eq!(opened["alert_id"], rumour[0]["id"], "{text}");

    // Stopped, nothing is left claimed.
    for worker in &mut workers {
        assert!(worker.terminate(), "a worker did not stop cleanly");
    }
    assert!(web.terminate(), "the web process did not stop cleanly");
    let store = store::Store::open(&database_url).await.unwrap();
    for source in store.list_sources().await.unwrap() {
        assert_eq!(store.source_claim(source.id).await.unwrap(), None, "{}", source.url);
    }
    store.close().await;
}

/// `n` social posts from `first` on, over five pages, each its own text.
fn posts(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|k| {
            serde_json::json!({
                "platform": "facebook",
                "page": format!("Cộng đồng khu phố {}", k % 5),
                "url": format!("https://www.facebook.com/groups/khupho/posts/{k}"),
                "time": "2026-11-30T09:00:00+07:00",
                "text": format!(
                    "Thông báo số {k}: lịch tiêm chủng mở rộng của trạm y tế phường tuần này \
                     đổi sang sáng thứ bảy, bà con mang theo sổ tiêm của cháu."
                ),
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many documents a search of `phrase` finds through the server's API.
async fn found(http: &reqwest::Client, base: &str, token: &str, phrase: &str) -> Option<i64> {
    let res = http
        .get(format!("{base}/api/v1/search"))
        .query(&[("q", format!("\"{phrase}\"")), ("limit", "5".to_owned())])
        .bearer_auth(token)
        .send()
        .await
        .ok()?;
    res.json::<Value>().await.ok()?["total"].as_i64()
}

/// `langnghe ingest` while `serve` runs on the same data directory (and, on PostgreSQL, the
/// same database): the index is the server's, so the command stores the documents without
/// it, says so, and the server indexes them. The server polls feeds of its own meanwhile,
/// so the two write at the same time.
async fn ingest_beside_serve(database_url: Option<String>) {
    const SERVED: usize = 40;
    const POSTED: usize = 150;
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start();
    let mut more = String::new();
    if let Some(url) = &database_url {
        more.push_str(&format!("database_url = {url:?}\n"));
    }
    let port = free_port();
    more.push_str(&format!(
        "[http]\nlisten = \"127.0.0.1:{port}\"\n[fetch]\nhost_delay_ms = 0\nper_host = 4\n\
         respect_robots = false\n"
    ));
    for n in 0..SERVED {
        site.put(&feed_path(n), Page::ok("application/rss+xml", rss(site.base(), n)));
        more.push_str(&format!(
            "[[sources]]\nname = \"Báo {n}\"\nurl = {:?}\ninterval_secs = 3600\n\
             allow_private = true\nfetch_articles = \"never\"\n",
            site.url(&feed_path(n))
        ));
    }
    let config = crate::support::config_file(dir.path(), &rules_dir(), &more);
    let base = format!("http://127.0.0.1:{port}");
    let mut add = langnghe(&config);
    add.args(["users", "add", "lan", "--role", "officer", "--password-stdin"]);
    run_ok(add, "mat-khau-an-toan\n");
    let mut tok = langnghe(&config);
    tok.args(["users", "token", "lan", "--label", "e2e"]);
    let token = run_ok(tok, "").trim().to_owned();

    let mut cmd = langnghe(&config);
    cmd.arg("serve");
    let mut serve = Running::spawn(cmd);
    let http = reqwest::Client::new();
    eventually(Duration::from_secs(60), "the server to answer /healthz", || async {
        http.get(format!("{base}/healthz")).send().await.ok().filter(|r| r.status().is_success())
    })
    .await;

    // Two files in one run while the server polls its feeds: posts and a feed file.
    let posts_file = dir.path().join("posts.jsonl");
    std::fs::write(&posts_file, posts(0, POSTED)).unwrap();
    let feed_file = dir.path().join("feed.xml");
    std::fs::write(&feed_file, rss("https://bao-tinh.example.vn", 4242)).unwrap();
    let mut ingest = langnghe(&config);
    ingest.arg("ingest").arg(&posts_file).arg(&feed_file);
    let said = run_ok(ingest, "");
    let stored = std::time::Instant::now();
    assert!(said.contains("in use by another process"), "{said}");
    assert!(said.contains(&format!("{POSTED} posts from 5 page(s), {POSTED} new")), "{said}");
    assert!(said.contains("1 items, 1 new"), "{said}");

    // Searchable through the server within seconds, not at its next start.
    eventually(Duration::from_secs(20), "the ingested post to be searchable", || async {
        (found(&http, &base, &token, "Thông báo số 137").await? == 1).then_some(())
    })
    .await;
    eprintln!("an ingested post was searchable {:?} after the ingest", stored.elapsed());
    eventually(Duration::from_secs(20), "the ingested feed item to be searchable", || async {
        (found(&http, &base, &token, "đơn vị huyện số 4242").await? == 1).then_some(())
    })
    .await;
    // Everything both wrote is stored once and indexed once: each feed's item, each of the
    // rumour's two wordings once (two feeds carry each), the posts and the feed file's item.
    let documents = (SERVED + 2 + POSTED + 1) as f64;
    eventually(Duration::from_secs(120), "every document stored and indexed", || async {
        let stored = metric(&base, "langnghe_documents").await?;
        let indexed = metric(&base, "langnghe_index_documents").await?;
        (stored == documents && indexed == documents).then_some(())
    })
    .await;
    if database_url.is_some() {
        alerts_reach_the_stream_at_once(&config, &base, dir.path()).await;
    }
    assert!(serve.terminate(), "the server did not stop cleanly");
}

/// Rumours the command stores open alerts, whose `opened` events reach the server's live
/// stream at once: woken by the database's notification, not found by its next poll, which
/// comes only every few seconds while notifications arrive. Each of three rounds must
/// arrive within 2 s of the command's exit (by polling alone, about two in five would).
async fn alerts_reach_the_stream_at_once(config: &Path, base: &str, dir: &Path) {
    let (browser, status) = login(base, "lan", "mat-khau-an-toan").await;
    assert!(status.is_success(), "{status}");
    // From the latest event on: what the server opened itself came before.
    let mut stream = browser.get(format!("{base}/events")).send().await.unwrap();
    assert!(stream.status().is_success(), "{}", stream.status());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(std::time::Instant, Value)>();
    let reader = tokio::spawn(async move {
        let mut pending = String::new();
        while let Ok(Some(chunk)) = stream.chunk().await {
            pending.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = pending.find('\n') {
                let line: String = pending.drain(..=end).collect();
                if let Some(data) = line.trim_end().strip_prefix("data:")
                    && let Ok(event) = serde_json::from_str::<Value>(data.trim())
                    && tx.send((std::time::Instant::now(), event)).is_err()
                {
                    return;
                }
            }
        }
    });
    let rumours = [
        "Đây chính là thần dược mùa đông giúp chữa bách bệnh, các cụ nhà mình dùng rồi",
        "Lá đu đủ chữa khỏi sốt xuất huyết chỉ sau 3 ngày, không cần vào viện",
        "Uống bài thuốc này khỏi hẳn tiểu đường, bỏ thuốc tây đi các bác",
    ];
    for (round, text) in rumours.iter().enumerate() {
        let post = serde_json::json!({
            "platform": "facebook",
            "page": format!("Mẹo sống khỏe {round}"),
            "url": format!("https://www.facebook.com/meo/posts/{round}"),
            "time": "2026-11-30T10:00:00+07:00",
            "text": text,
        });
        let file = dir.join(format!("rumour-{round}.jsonl"));
        std::fs::write(&file, post.to_string()).unwrap();
        let mut ingest = langnghe(config);
        ingest.arg("ingest").arg(&file);
        let said = run_ok(ingest, "");
        let exited = std::time::Instant::now();
        assert!(said.contains("1 new"), "{said}");
        let arrived = loop {
            match tokio::time::timeout(Duration::from_secs(15), rx.recv()).await {
                Ok(Some((at, event))) if event["action"] == "opened" => break at,
                Ok(Some(_)) => {}
                Ok(None) => panic!("the live stream ended"),
                Err(_) => panic!("round {round}: no opened event within 15 s"),
            }
        };
        let late = arrived.saturating_duration_since(exited);
        eprintln!("round {round}: the opened event arrived {late:?} after the ingest exited");
        assert!(late <= Duration::from_secs(2), "round {round}: the event came {late:?} late");
    }
    reader.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_while_serve_runs_on_sqlite_is_indexed_by_the_server() {
    ingest_beside_serve(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_while_serve_runs_on_postgresql_is_indexed_by_the_server() {
    let Some(base_url) = store::testing::postgres_base_url() else {
        eprintln!(
            "skipped: LANGNGHE_TEST_POSTGRES_URL is not set, so the PostgreSQL variant did not run"
        );
        return;
    };
    ingest_beside_serve(Some(store::testing::fresh_postgres_url(&base_url).await)).await;
}
