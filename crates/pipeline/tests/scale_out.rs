//! Pipelines sharing one database, as separate processes run them (SQLite always,
//! PostgreSQL when `LANGNGHE_TEST_POSTGRES_URL` is set): each source is polled once however
//! many pipelines poll, a claim left by a pipeline that died holds its sources until it
//! runs out, pipelines placing documents side by side keep one set of stories, and
//! a pipeline that keeps no index beside one that follows the store leaves every document
//! searchable.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use model::Metrics;
use pipeline::{Pipeline, PipelineConfig};
use rules::RuleSet;
use search::SearchIndex;
use store::{NewSource, Store};
use test_support::{Page, Reply, Site};

#[path = "support/build.rs"]
// Shared by the pipeline's tests; each uses part of it.
#[allow(dead_code)]
mod build;

const FEEDS: usize = 60;
const ITEMS: usize = 2;
const TICK: Duration = Duration::from_millis(100);

/// A feed of `ITEMS` items of its own.
fn feed(base: &str, n: usize) -> String {
    let items: String = (0..ITEMS)
        .map(|i| {
            format!(
                "<item><title>Tin {n}-{i}: bệnh viện số {n} tiếp nhận ca bệnh thứ {i}</title>\
                 <link>{base}/bai/{n}-{i}.html</link>\
                 <description>Bệnh viện số {n} cho biết đã tiếp nhận ca bệnh thứ {i} trong ngày {n}-{i}.</description>\
                 <pubDate>Mon, 30 Nov 2026 0{i}:00:00 +0700</pubDate></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
         <title>Báo {n}</title><link>{base}/</link>{items}</channel></rss>"
    )
}

/// When each path was asked for, and by which user agent.
type Log = Arc<Mutex<HashMap<String, Vec<(DateTime<Utc>, String)>>>>;

/// A site serving `FEEDS` feeds at `/feed/N.xml`, noting when each request came and from
/// whom.
fn feeds_site() -> (Site, Log) {
    let times: Log = Arc::default();
    let noted = times.clone();
    let base = Arc::new(Mutex::new(String::new()));
    let site_base = base.clone();
    let site = Site::with_handler(move |request| {
        let agent = request.header("User-Agent").unwrap_or_default().to_owned();
        noted.lock().unwrap().entry(request.path.clone()).or_default().push((Utc::now(), agent));
        let n = request
            .path
            .strip_prefix("/feed/")
            .and_then(|p| p.strip_suffix(".xml"))
            .and_then(|n| n.parse::<usize>().ok());
        match n {
            Some(n) if n < FEEDS => {
                let base = site_base.lock().unwrap().clone();
                Reply::Page(Page::ok("application/rss+xml", feed(&base, n)))
            }
            _ => Reply::Page(Page::not_found()),
        }
    });
    *base.lock().unwrap() = site.base().to_owned();
    (site, times)
}

async fn add_sources(store: &Store, site: &Site) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in 0..FEEDS {
        let s = NewSource {
            name: format!("Báo {n}"),
            url: site.url(&format!("/feed/{n}.xml")),
            interval_secs: 3600,
            allow_private: true,
            fetch_articles: model::ArticleFetch::Never,
            ..NewSource::default()
        };
        ids.push(store.upsert_source(&s, Utc::now()).await.unwrap().id);
    }
    ids
}

/// A pipeline that stores without indexing, as a worker process runs it, fetching as
/// `agent`.
fn worker(store: &Store, agent: &str, metrics: Arc<Metrics>, claim_ttl: Duration) -> Pipeline {
    let client = fetch::Client::new(&fetch::FetchConfig {
        user_agent: agent.to_owned(),
        host_delay: Duration::ZERO,
        per_host: 4,
        respect_robots: false,
        ..Default::default()
    })
    .unwrap();
    let config = PipelineConfig { tick: TICK, claim_ttl, ..PipelineConfig::default() };
    Pipeline::without_index(store.clone(), RuleSet::default(), client, metrics, config)
}

type Stop = tokio::sync::oneshot::Sender<()>;

fn run(p: &Pipeline, follow: bool) -> (Stop, tokio::task::JoinHandle<pipeline::Result<()>>) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let p = p.clone();
    let task = tokio::spawn(async move {
        let stopped = async {
            stopped.await.ok();
        };
        if follow { p.follow_store(stopped).await } else { p.run(stopped).await }
    });
    (stop, task)
}

async fn wait_for_documents(store: &Store, n: i64, index: Option<&Path>) {
    for _ in 0..600 {
        let stored = store.counts().await.unwrap().documents;
        let indexed = match index {
            Some(dir) => SearchIndex::open_read_only(dir).map(|i| i.num_docs() as i64).unwrap_or(0),
            None => n,
        };
        if stored == n && indexed == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {n} documents");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_pipelines_poll_each_source_once_and_a_third_indexes_what_they_store() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let (site, times) = feeds_site();
        let sources = add_sources(&store, &site).await;
        let (ma, mb) = (Arc::new(Metrics::default()), Arc::new(Metrics::default()));
        let a = worker(&store, "a", ma.clone(), Duration::from_secs(60));
        let b = worker(&store, "b", mb.clone(), Duration::from_secs(60));
        let index_dir = dir.path().join(format!("index-{backend}"));
        let web = build::pipeline(store.clone(), &index_dir, build::Rules::None, Some(TICK));
        let running = [run(&a, false), run(&b, false), run(&web, true)];

        wait_for_documents(&store, (FEEDS * ITEMS) as i64, Some(&index_dir.join("index"))).await;
        for (stop, task) in running {
            stop.send(()).unwrap();
            task.await.unwrap().unwrap();
        }

        let log = times.lock().unwrap().clone();
        for n in 0..FEEDS {
            let path = format!("/feed/{n}.xml");
            assert_eq!(
                log.get(&path).map_or(0, Vec::len),
                1,
                "{backend}: {path} was not polled exactly once"
            );
        }
        let (pa, pb) = (ma.snapshot().polls, mb.snapshot().polls);
        assert_eq!(pa + pb, FEEDS as u64, "{backend}");
        assert!(pa > 0 && pb > 0, "{backend}: one pipeline polled everything ({pa}, {pb})");
        for &id in &sources {
            assert_eq!(store.source_claim(id).await.unwrap(), None, "{backend}: claim left");
        }

        // The pipelines placed side by side among one set of stories: every document has
        // a story, and each story's row counts every document placed in it, whichever
        // pipeline placed it and refreshed the row last.
        let docs = store.documents_after(0, 1000).await.unwrap();
        let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
        let placed = store.stories_of(&ids).await.unwrap();
        assert_eq!(placed.len(), ids.len(), "{backend}: every document placed");
        let mut per_story: HashMap<i64, i64> = HashMap::new();
        for (_, story) in &placed {
            *per_story.entry(*story).or_default() += 1;
        }
        for (story, n) in &per_story {
            let row = store.story(*story).await.unwrap().unwrap();
            assert_eq!(row.documents, *n, "{backend}: story {story}");
        }
        let index = SearchIndex::open_read_only(&index_dir.join("index")).unwrap();
        assert_eq!(index.num_docs(), (FEEDS * ITEMS) as u64, "{backend}");
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sources_claimed_by_a_pipeline_that_died_wait_for_its_claim_to_run_out() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let (site, times) = feeds_site();
        add_sources(&store, &site).await;
        // A process claimed five sources and died before polling them.
        let ttl = Duration::from_secs(2);
        let dead = store.claim_due_sources("dead", Utc::now(), ttl, 5).await.unwrap();
        assert_eq!(dead.len(), 5, "{backend}");
        let expires = store.source_claim(dead[0].id).await.unwrap().unwrap().1;

        let metrics = Arc::new(Metrics::default());
        let live = worker(&store, "live", metrics, Duration::from_secs(60));
        let (stop, task) = run(&live, false);
        wait_for_documents(&store, (FEEDS * ITEMS) as i64, None).await;
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();

        let times = times.lock().unwrap().clone();
        for s in &dead {
            let path = s.url.strip_prefix(site.base()).unwrap();
            let polled = &times[path];
            assert_eq!(polled.len(), 1, "{backend}: {path}");
            assert!(polled[0].0 >= expires, "{backend}: {path} polled while claimed by another");
        }
        assert_eq!(times.values().map(Vec::len).sum::<usize>(), FEEDS, "{backend}: {times:?}");
        store.close().await;
    }
}
