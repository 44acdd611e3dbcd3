//! Crash safety: `langnghe serve` and `langnghe ingest` killed with SIGKILL at seeded
//! pseudo-random moments of an ingest, on SQLite and on PostgreSQL, and started again until
//! everything is in. Every restart must start; afterwards every item is stored exactly once,
//! the index holds exactly the stored documents at their latest revision, and sightings,
//! revisions, stories and alerts are neither lost nor doubled.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use serde_json::Value;
use store::Store;
use test_support::{Page, Site};

use crate::support::{Running, config_file, free_port, langnghe, metric, run_ok};

/// The one rule: an alerting one, so that alerts and their documents can be counted.
const RULE: &str = "crisis.ngo-doc-tap-the";
const RULES: &str = r#"
[[rules]]
id = "crisis.ngo-doc-tap-the"
kind = "crisis"
title = "Ngộ độc tập thể"
severity = "high"
query = '"ngộ độc tập thể"'
match = ["Ghi nhận một vụ ngộ độc tập thể sau bữa trưa."]
"#;

/// The sentence that makes a text hit [`RULE`].
const CRISIS: &str = "Ghi nhận một vụ ngộ độc tập thể sau bữa trưa.";

/// Every title and text carries this word, so one query finds every document.
const EVERY: &str = "kiemthu";
/// First versions carry this word and revised ones [`NEW`], so a search tells which
/// version the index holds.
const OLD: &str = "xqcu";
const NEW: &str = "xqmoi";

const SENTENCES: [&str; 12] = [
    "Bệnh viện tỉnh tiếp nhận thêm bệnh nhân sốt xuất huyết.",
    "Trạm y tế xã tổ chức tiêm vắc xin sởi cho trẻ.",
    "Sở Y tế khuyến cáo người dân rửa tay bằng xà phòng.",
    "Nhiều phụ huynh đưa con đi khám vì ho kéo dài.",
    "Ngành y tế diệt lăng quăng tại các khu dân cư.",
    "Bác sĩ nhắc người cao tuổi giữ ấm khi trời lạnh.",
    "Trung tâm kiểm soát bệnh tật giám sát ca cúm mùa.",
    "Nhà thuốc bị xử phạt vì bán thuốc không rõ nguồn gốc.",
    "Học sinh được khám mắt và răng miễn phí đầu năm.",
    "Bệnh viện huyện khai trương khoa cấp cứu mới.",
    "Người hiến máu tình nguyện tăng trong dịp lễ.",
    "Thanh tra kiểm tra an toàn thực phẩm tại chợ đầu mối.",
];

/// A small seeded generator (SplitMix64): the kill points of a run follow from its seed.
struct Rng(u64);

impl Rng {
    /// Seeded from `LANGNGHE_CRASH_SEED`, else from the clock; the seed is printed.
    fn seeded(test: &str) -> Rng {
        let seed =
            std::env::var("LANGNGHE_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(
                || SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64,
            );
        eprintln!("{test}: seed {seed} (LANGNGHE_CRASH_SEED={seed} picks the same kill points)");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.below(hi - lo + 1))
    }
}

#[derive(Clone, Copy, Debug)]
enum Db {
    Sqlite,
    Postgres,
}

/// The `database_url` a test runs on (empty: SQLite in the data directory), or `None` when
/// PostgreSQL is asked for and not configured. A configured server that cannot be reached
/// fails the test.
async fn database_url(db: Db, test: &str) -> Option<String> {
    match db {
        Db::Sqlite => Some(String::new()),
        Db::Postgres => match store::testing::postgres_base_url() {
            Some(base) => Some(store::testing::fresh_postgres_url(&base).await),
            None => {
                eprintln!(
                    "skipped: {test} runs on PostgreSQL only when {} is set",
                    store::testing::POSTGRES_ENV
                );
                None
            }
        },
    }
}

/// The store behind a configuration, opened beside the running binary.
async fn open_store(dir: &Path, database_url: &str) -> Store {
    if database_url.is_empty() {
        Store::open_sqlite(&dir.join("data").join("langnghe.db")).await.unwrap()
    } else {
        Store::open(database_url).await.unwrap()
    }
}

/// Digits as letters (`07` → `ah`), so that a code is one token of the query language.
fn letters(n: usize, width: usize) -> String {
    format!("{n:0width$}").bytes().map(|b| char::from(b'a' + (b - b'0'))).collect()
}

/// What a document should be once everything is in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Want {
    title: String,
    revision: i64,
    alerting: bool,
}

/// Waits for the process to exit, then fails the test with what it wrote.
fn exited(p: &mut Running, what: &str) -> ! {
    let status = p.child.wait().unwrap();
    let mut err = String::new();
    if let Some(mut e) = p.child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    panic!("{what} exited by itself ({status}) instead of running:\n{err}");
}

/// How many documents the index in a configuration's data directory finds, through
/// `langnghe search` (0 before there is an index).
fn indexed(config: &Path) -> u64 {
    let mut cmd = langnghe(config);
    cmd.args(["search", EVERY, "--json", "--limit", "1"]);
    let out = crate::support::run(&mut cmd, "");
    serde_json::from_slice::<Value>(&out.stdout).ok().and_then(|v| v["total"].as_u64()).unwrap_or(0)
}

/// SIGKILL, unless the process already exited on its own, which fails the test.
fn kill_9(p: &mut Running, what: &str) {
    if matches!(p.child.try_wait(), Ok(Some(_))) {
        exited(p, what);
    }
    p.child.kill().unwrap();
    p.child.wait().unwrap();
}

// ---------------------------------------------------------------------------------------
// `serve` on loopback feeds.

const FEEDS: usize = 40;
const ITEMS: usize = 5;
/// Feeds that publish updates (of items 0 and 1) and one new item in the second part.
const UPDATED: usize = 16;
/// How long the site takes to answer a feed, so that reading them all takes seconds.
const FEED_DELAY: Duration = Duration::from_millis(250);

/// The feeds: a code, a version and a publication time per item.
struct Feeds {
    base: String,
    published: DateTime<Utc>,
    /// Per feed, the items it lists and whether each is updated.
    items: Vec<Vec<bool>>,
}

impl Feeds {
    fn new(site: &Site) -> Feeds {
        Feeds {
            base: site.base().to_owned(),
            published: Utc::now() - chrono::Duration::hours(3),
            items: vec![vec![false; ITEMS]; FEEDS],
        }
    }

    fn path(feed: usize) -> String {
        format!("/tin/{feed:02}.atom")
    }

    fn url(&self, feed: usize, item: usize) -> String {
        format!("{}/bai/{feed:02}-{item:02}", self.base)
    }

    fn code(feed: usize, item: usize) -> String {
        format!("zz{}{}", letters(feed, 2), letters(item, 2))
    }

    fn alerting(feed: usize, item: usize) -> bool {
        (feed + item).is_multiple_of(3)
    }

    fn title(feed: usize, item: usize, updated: bool) -> String {
        let code = Feeds::code(feed, item);
        let topic = SENTENCES[(feed * 7 + item * 5) % SENTENCES.len()].trim_end_matches('.');
        if updated {
            format!("Cập nhật {EVERY} {code}: {topic}")
        } else {
            format!("Bản tin {EVERY} {code}: {topic}")
        }
    }

    fn text(feed: usize, item: usize, updated: bool) -> String {
        let code = Feeds::code(feed, item);
        let (marker, other) = if updated { (NEW, 1) } else { (OLD, 0) };
        let sentence = SENTENCES[(feed * 3 + item + other) % SENTENCES.len()];
        let crisis = if Feeds::alerting(feed, item) { CRISIS } else { "" };
        format!("{code} {marker} {EVERY}. {sentence} {crisis}")
    }

    /// The second part: items 0 and 1 of the first [`UPDATED`] feeds are updated and each
    /// of those feeds lists one new item.
    fn update(&mut self) {
        for items in self.items.iter_mut().take(UPDATED) {
            items[0] = true;
            items[1] = true;
            items.push(false);
        }
    }

    fn publish(&self, site: &Site) {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let updated_at = Utc::now() - chrono::Duration::minutes(30);
        for (feed, items) in self.items.iter().enumerate() {
            let mut xml = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
                 <title>Nguồn kiểm thử {feed}</title><id>{base}{path}</id><link href=\"{base}{path}\"/>\
                 <updated>{now}</updated>\n",
                base = self.base,
                path = Feeds::path(feed),
                now = time(Utc::now()),
            );
            for (item, &updated) in items.iter().enumerate() {
                let published = self.published + chrono::Duration::minutes((item * 7) as i64);
                let modified = if updated { updated_at } else { published };
                xml.push_str(&format!(
                    "<entry><title>{title}</title><id>{url}</id><link href=\"{url}\"/>\
                     <published>{published}</published><updated>{modified}</updated>\
                     <summary>{text}</summary></entry>\n",
                    title = Feeds::title(feed, item, updated),
                    url = self.url(feed, item),
                    published = time(published),
                    modified = time(modified),
                    text = Feeds::text(feed, item, updated),
                ));
            }
            xml.push_str("</feed>\n");
            site.put(
                &Feeds::path(feed),
                Page::ok("application/atom+xml; charset=utf-8", xml)
                    .with_etag_from_body()
                    .with_delay(FEED_DELAY),
            );
        }
    }

    /// Every document by URL, as it should be stored.
    fn wanted(&self) -> BTreeMap<String, Want> {
        let mut out = BTreeMap::new();
        for (feed, items) in self.items.iter().enumerate() {
            for (item, &updated) in items.iter().enumerate() {
                out.insert(
                    self.url(feed, item),
                    Want {
                        title: Feeds::title(feed, item, updated),
                        revision: i64::from(updated),
                        alerting: Feeds::alerting(feed, item),
                    },
                );
            }
        }
        out
    }
}

fn serve_config(dir: &Path, port: u16, feeds: &Feeds, database_url: &str) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("crisis.toml"), RULES).unwrap();
    // Short fetch timeouts: a killed process's claims on sources last twice the timeout.
    let mut more = format!(
        "builtin_rules = false\ndatabase_url = {database_url:?}\n\
         [http]\nlisten = \"127.0.0.1:{port}\"\n\
         [fetch]\nworkers = 4\nper_host = 4\nhost_delay_ms = 0\nrespect_robots = false\n\
         connect_timeout_secs = 5\nread_timeout_secs = 5\ntimeout_secs = 5\n"
    );
    for feed in 0..FEEDS {
        more.push_str(&format!(
            "[[sources]]\nname = \"Nguồn kiểm thử {feed}\"\nurl = \"{}{}\"\ntier = \"press\"\n\
             interval_secs = 3600\nallow_private = true\nfetch_articles = \"never\"\n",
            feeds.base,
            Feeds::path(feed)
        ));
    }
    config_file(dir, &rules, &more)
}

fn serve(config: &Path) -> Running {
    let mut cmd = langnghe(config);
    cmd.arg("serve");
    Running::spawn(cmd)
}

/// Starts `serve` and kills it `rounds` times at random moments: early (during start-up or
/// the first batches), or a random time after a random number of feeds were asked for.
/// Stops early once `done`.
async fn crash_rounds(
    config: &Path,
    site: &Site,
    rng: &mut Rng,
    rounds: usize,
    part: &str,
    done: impl AsyncFn() -> (usize, usize, bool),
) {
    for round in 0..rounds {
        let asked = site.total_requests();
        let started = Instant::now();
        let mut p = serve(config);
        let what = format!("{part}, round {round}: serve");
        let how = if rng.below(4) == 0 {
            // Early: start-up (migrations, the index repair, the story state) or the first
            // batches.
            tokio::time::sleep(rng.millis(0, 1500)).await;
            "at a random early moment".to_owned()
        } else {
            let wanted = asked + 1 + rng.below(8) as usize;
            // The sources a killed process had claimed wait for their claims to run out
            // (twice the fetch timeout) before another process polls them.
            let deadline = Instant::now() + Duration::from_secs(15);
            while site.total_requests() < wanted && Instant::now() < deadline {
                if matches!(p.child.try_wait(), Ok(Some(_))) {
                    exited(&mut p, &what);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(rng.millis(0, 400)).await;
            format!("after {} feed request(s)", site.total_requests() - asked)
        };
        kill_9(&mut p, &what);
        let lived = started.elapsed().as_millis();
        let (stored, want, complete) = done().await;
        eprintln!(
            "{what} killed {how}, {lived} ms after start: {stored} of {want} documents stored \
             as wanted, {} indexed",
            indexed(config)
        );
        if complete {
            break;
        }
    }
}

/// `GET` an API path with the token.
async fn api(http: &reqwest::Client, base: &str, token: &str, path: &str) -> Value {
    let res = http.get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

/// Every hit of a query through the search API, following the cursor: id to URL.
async fn search_all(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    q: &str,
) -> BTreeMap<i64, String> {
    let mut out = BTreeMap::new();
    let mut after = String::new();
    loop {
        let page =
            api(http, base, token, &format!("/api/v1/search?q={q}&sort=newest&limit=100{after}"))
                .await;
        for h in page["hits"].as_array().unwrap() {
            let id = h["id"].as_i64().unwrap();
            let url = h["url"].as_str().unwrap().to_owned();
            assert!(out.insert(id, url).is_none(), "{q}: document {id} listed twice");
        }
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return out,
        }
    }
}

/// What the index holds, through the search API: every document, and those at their first
/// and at their updated version.
type IndexView = (BTreeMap<i64, String>, BTreeSet<i64>, BTreeSet<i64>);

async fn index_view(http: &reqwest::Client, base: &str, token: &str) -> IndexView {
    let all = search_all(http, base, token, EVERY).await;
    let old = search_all(http, base, token, OLD).await.into_keys().collect();
    let new = search_all(http, base, token, NEW).await.into_keys().collect();
    (all, old, new)
}

/// The same, as the store says the index should be.
fn store_view(docs: &[Doc]) -> IndexView {
    let all = docs.iter().map(|d| (d.id, d.url.clone())).collect();
    let old = docs.iter().filter(|d| d.revision == 0).map(|d| d.id).collect();
    let new = docs.iter().filter(|d| d.revision > 0).map(|d| d.id).collect();
    (all, old, new)
}

/// A stored document, reduced to what the checks compare.
#[derive(Debug, Clone)]
struct Doc {
    id: i64,
    url: String,
    title: String,
    text: String,
    revision: i64,
}

async fn stored(store: &Store) -> Vec<Doc> {
    store
        .documents_after(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|d| Doc {
            id: d.id,
            url: d.doc.url.clone(),
            title: d.doc.title.clone(),
            text: d.doc.full_text(),
            revision: d.revision,
        })
        .collect()
}

/// Whether the store holds every wanted document at its wanted version.
fn complete(docs: &[Doc], want: &BTreeMap<String, Want>) -> bool {
    docs.len() == want.len()
        && docs.iter().all(|d| want.get(&d.url).is_some_and(|w| w.title == d.title))
}

/// Runs `serve` until the store holds everything and the index agrees with it, then
/// stops it with SIGTERM.
async fn complete_run(
    config: &Path,
    store: &Store,
    port: u16,
    token: &str,
    want: &BTreeMap<String, Want>,
    part: &str,
) {
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut p = serve(config);
    let what = format!("{part}, last run: serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if matches!(p.child.try_wait(), Ok(Some(_))) {
            exited(&mut p, &what);
        }
        if complete(&stored(store).await, want) {
            eprintln!("{what}: store complete after {} ms", started.elapsed().as_millis());
            break;
        }
        let docs = stored(store).await;
        assert!(
            Instant::now() < deadline,
            "{part}: the store never held everything: {} of {} documents, {} at their version",
            docs.len(),
            want.len(),
            docs.iter().filter(|d| want.get(&d.url).is_some_and(|w| w.title == d.title)).count()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The index follows the store within moments of a commit.
    let expected = store_view(&stored(store).await);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let healthy =
            http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success());
        if healthy {
            let seen = index_view(&http, &base, token).await;
            if seen == expected {
                break;
            }
            if Instant::now() >= deadline {
                let ids = |m: &BTreeMap<i64, String>| m.keys().copied().collect::<BTreeSet<_>>();
                let (all, old, new) = (ids(&seen.0), &seen.1, &seen.2);
                let (want_all, want_old, want_new) = (ids(&expected.0), &expected.1, &expected.2);
                panic!(
                    "{part}: the index disagrees with the store:\n\
                     not indexed: {:?}\nindexed but not stored: {:?}\n\
                     indexed at the first version but updated: {:?}\n\
                     indexed at the update but not updated: {:?}",
                    want_all.difference(&all).collect::<Vec<_>>(),
                    all.difference(&want_all).collect::<Vec<_>>(),
                    old.difference(want_old).collect::<Vec<_>>(),
                    new.difference(want_new).collect::<Vec<_>>(),
                );
            }
        } else if matches!(p.child.try_wait(), Ok(Some(_))) {
            exited(&mut p, &what);
        } else {
            assert!(Instant::now() < deadline, "{what}: /healthz never answered");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("{what}: store and index complete after {} ms", started.elapsed().as_millis());
    let n = want.len() as f64;
    assert_eq!(metric(&base, "langnghe_documents").await, Some(n), "{part}");
    assert_eq!(metric(&base, "langnghe_index_documents").await, Some(n), "{part}");
    assert!(p.terminate(), "{what} did not stop cleanly on SIGTERM");
}

/// Everything the store says about the documents: each once, at its version, with its own
/// sighting once, its revisions once each, in one story whose row counts it, and in exactly
/// one alert of the rule when it hits the rule, each alert opened once.
async fn check_store(store: &Store, want: &BTreeMap<String, Want>, part: &str) {
    let docs = stored(store).await;
    let urls: BTreeSet<&str> = docs.iter().map(|d| d.url.as_str()).collect();
    assert_eq!(urls.len(), docs.len(), "{part}: a URL is stored twice");
    assert_eq!(
        urls,
        want.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        "{part}: stored URLs"
    );
    let mut alerting = BTreeSet::new();
    for d in &docs {
        let w = &want[&d.url];
        assert_eq!((&d.title, d.revision), (&w.title, w.revision), "{part}: {}", d.url);
        assert_eq!(
            store.revisions(d.id).await.unwrap().len() as i64,
            w.revision,
            "{part}: revisions of {}",
            d.url
        );
        let sightings: Vec<String> =
            store.sightings(d.id).await.unwrap().into_iter().map(|s| s.url).collect();
        assert_eq!(
            sightings,
            std::slice::from_ref(&d.url),
            "{part}: sightings of document {}",
            d.id
        );
        assert_eq!(w.alerting, d.text.contains("ngộ độc tập thể"), "{part}: {}", d.url);
        if w.alerting {
            alerting.insert(d.id);
        }
    }

    let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
    let placed = store.stories_of(&ids).await.unwrap();
    let mut story_of = BTreeMap::new();
    let mut members: BTreeMap<i64, i64> = BTreeMap::new();
    for (doc, story) in placed {
        assert!(story_of.insert(doc, story).is_none(), "{part}: document {doc} in two stories");
        *members.entry(story).or_default() += 1;
    }
    assert_eq!(story_of.len(), ids.len(), "{part}: documents without a story");
    for (story, n) in &members {
        let row = store.story(*story).await.unwrap();
        let row = row.unwrap_or_else(|| panic!("{part}: story {story} has no row"));
        assert_eq!(
            (row.documents, row.sightings),
            (*n, *n),
            "{part}: the row of story {story} counts other documents than it has"
        );
    }

    let mut in_alert: BTreeMap<i64, i64> = BTreeMap::new();
    for entry in store.alert_board(None, 100_000).await.unwrap() {
        let a = entry.alert;
        assert_eq!(a.rule_id, RULE, "{part}");
        let docs = store.alert_documents(a.id, 100_000).await.unwrap();
        assert_eq!(a.doc_count, docs.len() as i64, "{part}: alert {}", a.id);
        for d in &docs {
            if let Some(other) = in_alert.insert(d.id, a.id) {
                panic!("{part}: document {} is in alerts {other} and {}", d.id, a.id);
            }
            assert_eq!(a.subject, format!("story:{}", story_of[&d.id]), "{part}: alert {}", a.id);
        }
        let opened = store
            .alert_events(a.id)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action.as_str() == "opened")
            .count();
        assert_eq!(opened, 1, "{part}: alert {} was opened {opened} times", a.id);
    }
    assert_eq!(
        in_alert.keys().copied().collect::<BTreeSet<_>>(),
        alerting,
        "{part}: the documents in alerts are not those that hit the rule"
    );
}

fn api_token(config: &Path) -> String {
    let mut add = langnghe(config);
    add.args(["users", "add", "lan", "--role", "officer", "--password-stdin"]);
    run_ok(add, "mat-khau-an-toan\n");
    let mut tok = langnghe(config);
    tok.args(["users", "token", "lan", "--label", "crash"]);
    run_ok(tok, "").trim().to_owned()
}

async fn serve_killed_and_restarted(db: Db) {
    let test = format!("crash_serve_{db:?}").to_lowercase();
    let Some(database_url) = database_url(db, &test).await else { return };
    let mut rng = Rng::seeded(&test);
    crate::support::binary();
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start();
    let mut feeds = Feeds::new(&site);
    feeds.publish(&site);
    let port = free_port();
    let config = serve_config(dir.path(), port, &feeds, &database_url);
    let token = api_token(&config);
    let store = open_store(dir.path(), &database_url).await;

    // The first reading of every feed, killed at random moments.
    let want = feeds.wanted();
    let progress = async || {
        let docs = stored(&store).await;
        (docs.len(), want.len(), complete(&docs, &want))
    };
    let part = format!("{test}, first reading");
    crash_rounds(&config, &site, &mut rng, 3, &part, progress).await;
    complete_run(&config, &store, port, &token, &want, &part).await;
    check_store(&store, &want, &part).await;

    // Updates and new items in some feeds, which become due again; killed again.
    feeds.update();
    feeds.publish(&site);
    for feed in 0..UPDATED {
        let mut enable = langnghe(&config);
        enable.args(["sources", "enable", &site.url(&Feeds::path(feed))]);
        run_ok(enable, "");
    }
    let want = feeds.wanted();
    let progress = async || {
        let docs = stored(&store).await;
        let at_version =
            docs.iter().filter(|d| want.get(&d.url).is_some_and(|w| w.title == d.title)).count();
        (at_version, want.len(), complete(&docs, &want))
    };
    let part = format!("{test}, updates");
    crash_rounds(&config, &site, &mut rng, 2, &part, progress).await;
    complete_run(&config, &store, port, &token, &want, &part).await;
    check_store(&store, &want, &part).await;

    // The command line's read-only view of the index agrees too.
    let mut search = langnghe(&config);
    search.args(["search", EVERY, "--json"]);
    let out: Value = serde_json::from_str(&run_ok(search, "")).unwrap();
    assert_eq!(out["total"].as_u64(), Some(want.len() as u64), "{out}");
    store.close().await;
    eprintln!("{test}: done in {} s", started.elapsed().as_secs());
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_serve_sqlite() {
    serve_killed_and_restarted(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_serve_postgres() {
    serve_killed_and_restarted(Db::Postgres).await;
}

// ---------------------------------------------------------------------------------------
// `ingest` of social posts files.

const FILES: usize = 8;
const POSTS: usize = 400;

fn post_url(file: usize, n: usize) -> String {
    format!("https://www.facebook.com/groups/kiemthu{file}/posts/{n}")
}

fn post_code(file: usize, n: usize) -> String {
    format!("zq{}{}", letters(file, 1), letters(n, 3))
}

/// The word every post of `file` carries.
fn file_word(file: usize) -> String {
    format!("tep{}", letters(file, 1))
}

fn write_posts(dir: &Path) -> Vec<String> {
    let start = Utc::now() - chrono::Duration::days(1);
    (0..FILES)
        .map(|file| {
            let mut lines = String::new();
            for n in 0..POSTS {
                let sentence = SENTENCES[(file * 5 + n) % SENTENCES.len()];
                let crisis = if n.is_multiple_of(9) { CRISIS } else { "" };
                let post = serde_json::json!({
                    "platform": "facebook",
                    "page": format!("Nhóm kiểm thử {file}"),
                    "url": post_url(file, n),
                    "time": (start + chrono::Duration::seconds((file * POSTS + n) as i64 * 20)).to_rfc3339(),
                    "text": format!("{} {} {EVERY}. {sentence} {crisis}", post_code(file, n), file_word(file)),
                    "reactions": n % 50,
                });
                lines.push_str(&post.to_string());
                lines.push('\n');
            }
            let path = dir.join(format!("posts-{file}.jsonl"));
            std::fs::write(&path, lines).unwrap();
            path.display().to_string()
        })
        .collect()
}

/// How many posts of each file are stored.
async fn stored_per_file(store: &Store) -> Vec<usize> {
    let docs = stored(store).await;
    (0..FILES)
        .map(|file| {
            let prefix = format!("https://www.facebook.com/groups/kiemthu{file}/posts/");
            docs.iter().filter(|d| d.url.starts_with(&prefix)).count()
        })
        .collect()
}

fn search_json(config: &Path, q: &str) -> Value {
    let mut cmd = langnghe(config);
    cmd.args(["search", q, "--json", "--limit", "100"]);
    serde_json::from_str(&run_ok(cmd, "")).unwrap()
}

async fn ingest_killed_and_rerun(db: Db) {
    let test = format!("crash_ingest_{db:?}").to_lowercase();
    let Some(database_url) = database_url(db, &test).await else { return };
    let mut rng = Rng::seeded(&test);
    crate::support::binary();
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("crisis.toml"), RULES).unwrap();
    let config = config_file(
        dir.path(),
        &rules,
        &format!("builtin_rules = false\ndatabase_url = {database_url:?}\n"),
    );
    let files = write_posts(dir.path());
    let ingest = || {
        let mut cmd = langnghe(&config);
        cmd.arg("ingest").args(&files);
        cmd
    };
    let mut store: Option<Store> = None;

    for round in 0..5 {
        let what = format!("round {round}: ingest");
        let started = Instant::now();
        let mut child = ingest().stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // A line per file imported: the kill waits for a random number of them, then a
        // random moment more.
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let wanted = rng.below(FILES as u64) as usize;
        let mut seen = 0;
        let deadline = Instant::now() + Duration::from_secs(30);
        while seen < wanted && Instant::now() < deadline {
            match lines.recv_timeout(Duration::from_millis(20)) {
                Ok(_) => seen += 1,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        tokio::time::sleep(rng.millis(0, 600)).await;
        let mut p = Running { child };
        let finished = matches!(p.child.try_wait(), Ok(Some(s)) if s.success());
        if !finished {
            kill_9(&mut p, &what);
        }
        let store = match &store {
            Some(s) => s,
            None => store.insert(open_store(dir.path(), &database_url).await),
        };
        let per_file = stored_per_file(store).await;
        eprintln!(
            "{test} {what} {} {} ms after start ({seen} file(s) reported): stored per file \
             {per_file:?}, {} indexed",
            if finished { "finished" } else { "killed" },
            started.elapsed().as_millis(),
            indexed(&config)
        );
        for (file, n) in per_file.iter().enumerate() {
            assert!(*n == 0 || *n == POSTS, "{what}: file {file} is stored in part: {n} posts");
        }
        if finished {
            break;
        }
    }

    // A run to the end: whatever is in already is known, the rest is imported.
    let said = run_ok(ingest(), "");
    let store = match store {
        Some(s) => s,
        None => open_store(dir.path(), &database_url).await,
    };
    assert_eq!(stored_per_file(&store).await, vec![POSTS; FILES], "{said}");
    let docs = stored(&store).await;
    let urls: BTreeSet<&str> = docs.iter().map(|d| d.url.as_str()).collect();
    assert_eq!(urls.len(), FILES * POSTS, "a post is stored twice");
    let by_url: BTreeMap<&str, i64> = docs.iter().map(|d| (d.url.as_str(), d.id)).collect();
    for d in &docs {
        let sightings = store.sightings(d.id).await.unwrap();
        assert_eq!(sightings.len(), 1, "sightings of {}", d.url);
    }

    // The index holds every stored post once: the totals of the whole and of each file,
    // and a few posts found by their own code under their own id.
    assert_eq!(search_json(&config, EVERY)["total"].as_u64(), Some((FILES * POSTS) as u64));
    for file in 0..FILES {
        let total = search_json(&config, &file_word(file))["total"].as_u64();
        assert_eq!(total, Some(POSTS as u64), "file {file}");
    }
    for _ in 0..8 {
        let (file, n) = (rng.below(FILES as u64) as usize, rng.below(POSTS as u64) as usize);
        let found = search_json(&config, &post_code(file, n));
        let ids: Vec<i64> =
            found["hits"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [by_url[post_url(file, n).as_str()]], "post {n} of file {file}: {found}");
    }
    // Alerts: every post that hits the rule is in exactly one of them.
    let mut in_alert = BTreeSet::new();
    for entry in store.alert_board(None, 100_000).await.unwrap() {
        for d in store.alert_documents(entry.alert.id, 100_000).await.unwrap() {
            assert!(in_alert.insert(d.id), "document {} is in two alerts", d.id);
        }
    }
    let hitting: BTreeSet<i64> =
        docs.iter().filter(|d| d.text.contains("ngộ độc tập thể")).map(|d| d.id).collect();
    assert_eq!(in_alert, hitting);
    store.close().await;
    eprintln!("{test}: done in {} s", started.elapsed().as_secs());
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_ingest_sqlite() {
    ingest_killed_and_rerun(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_ingest_postgres() {
    ingest_killed_and_rerun(Db::Postgres).await;
}
