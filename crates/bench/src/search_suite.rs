//! `search`: search latency through HTTP at scale. A data directory of generated documents
//! is built through the pipeline once (its ingest speed recorded for every tenth) and kept
//! under the target directory; `langnghe serve` is started on it with 5,000 sources and
//! 10,000 rules, and four clients send a fixed query mix for a while: p50, p95 and p99 per
//! query class and overall, and the server's resident memory.
//!
//! Documents are made of real Vietnamese sentences: those of the UD Vietnamese treebank
//! and of the VFND news articles (read in place from `../shared/data`), grouped into
//! events whose articles share sentences, as a news stream's do.
//!
//! The peer is tantivy itself on the same index, in this process and without HTTP: its
//! own query parser over the title and body fields, the top 20 and the count, under four
//! threads for the same query mix. Latency ratios are ours / peer (lower is better).

// Building a million documents takes a while: its progress goes to stderr, the results to
// stdout.
#![allow(clippy::print_stderr)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, TimeDelta, Utc};
use feeds::FeedItem;
use model::{Metrics, Source, SourceKind, SourceTier};
use pipeline::{Pipeline, PipelineConfig};
use rules::RuleSet;
use search::SearchIndex;
use store::{NewSource, PollSuccess, Store};

use crate::lcg::Lcg;

/// Sources the documents come from (and the server holds).
const SOURCES: usize = 5_000;
/// Generated rules the server loads, over the shipped packs.
const RULES: usize = 10_000;
/// Items per batch, as one poll brings them.
const BATCH: usize = 200;
/// Documents generated and ingested at a time.
const CHUNK: usize = 10_000;
/// Articles of one event, about.
const EVENT_DOCS: usize = 25;
/// Concurrent clients.
const CLIENTS: usize = 4;
/// Pages followed by cursor for a deep-page query.
const DEEP_PAGES: usize = 5;

/// What `bench search` is asked to do.
pub(crate) struct Options {
    /// Documents in the data directory.
    pub(crate) docs: usize,
    /// How long the clients send queries.
    pub(crate) secs: u64,
}

/// The sentences documents are made of.
struct Corpus {
    sentences: Vec<String>,
}

impl Corpus {
    fn load() -> Result<Corpus> {
        let mut sentences = crate::rules_suite::sentences()?;
        let vfnd = test_support::shared_data("vfnd/CSV")
            .context("the search suite needs the VFND articles (../shared/data/vfnd)")?;
        for file in ["vn_news_226_tlfr.csv", "vn_news_223_tdlfr.csv"] {
            let path = vfnd.join(file);
            let mut reader = csv::Reader::from_path(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            for record in reader.records() {
                let record = record.with_context(|| format!("reading {}", path.display()))?;
                let text = record.get(0).unwrap_or_default();
                for line in text.lines() {
                    for s in line.split_inclusive(". ") {
                        let s = s.trim();
                        if (40..=400).contains(&s.len()) {
                            sentences.push(s.to_owned());
                        }
                    }
                }
            }
        }
        sentences.sort();
        sentences.dedup();
        Ok(Corpus { sentences })
    }

    /// The sentences one event's articles share.
    fn event(&self, event: usize) -> Vec<usize> {
        let mut rng = Lcg(0x5eed_0000 ^ (event as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        (0..40).map(|_| rng.below(self.sentences.len())).collect()
    }

    /// Document `i` of `n`, published over the year before `end`.
    fn document(&self, i: usize, n: usize, end: DateTime<Utc>) -> FeedItem {
        let event = self.event(i / EVENT_DOCS);
        let mut rng = Lcg((i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x1234_5678);
        let pick = |rng: &mut Lcg| {
            let k = if rng.next() < 0.3 {
                event[rng.below(event.len())]
            } else {
                rng.below(self.sentences.len())
            };
            self.sentences[k].as_str()
        };
        let words: Vec<&str> = pick(&mut rng).split_whitespace().take(14).collect();
        let title = words.join(" ").trim_end_matches(['.', ',', ';', ':']).to_owned();
        let summary = pick(&mut rng).to_owned();
        let mut body = String::new();
        while body.len() < 3_000 {
            for _ in 0..4 {
                body.push_str(pick(&mut rng));
                body.push(' ');
            }
            body.push_str("\n\n");
        }
        body.push_str(&format!("Bài số {i}."));
        let span = TimeDelta::days(365).num_seconds();
        let at = end - TimeDelta::seconds(span) + TimeDelta::seconds(i as i64 * span / n as i64);
        FeedItem {
            url: format!("https://nguon-{}.example/tin/{i}", source_of(i)),
            title,
            summary,
            body,
            published: Some(at),
            ..FeedItem::default()
        }
    }
}

/// Which of the [`SOURCES`] document `i` comes from: a poll's batch is one source's.
fn source_of(i: usize) -> usize {
    (i / BATCH) % SOURCES
}

/// The target directory this program was built in (`target/release/bench` → `target`).
fn target_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("the bench's own path")?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_owned)
        .context("the bench is not inside a target directory")
}

pub(crate) async fn run(options: &Options) -> Result<Vec<serde_json::Value>> {
    let corpus = Corpus::load()?;
    let dir = target_dir()?.join("bench-search").join(format!("docs-{}", options.docs));
    let curve = build(&dir, &corpus, options.docs).await?;
    let (pairs, words) = crate::rules_suite::vocabulary(&corpus.sentences);
    write_rules(&dir.join("rules"), &pairs, &words)?;
    let mix = query_mix(&corpus, &pairs, &words);

    let server = Server::start(&dir).await?;
    let settled = server.settle().await?;
    eprintln!("search: serve finished its start-up work after {:.1} s", settled.as_secs_f64());
    let ours = server.measure(&mix, options.secs).await;
    let memory = server.memory();
    let refused = server.refused.load(std::sync::atomic::Ordering::Relaxed);
    drop(server);
    let ours = ours?;
    let peer = peer(&dir.join("data").join("index"), &mix, options.secs)?;

    let mut lines = Vec::new();
    let classes: Vec<&str> = {
        let mut c: Vec<&str> = mix.iter().map(|q| q.class).collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let per_class: serde_json::Map<String, serde_json::Value> = classes
        .iter()
        .map(|&class| {
            let ours = Latencies::of(&ours, Some(class));
            let peer = Latencies::of(&peer, Some(class));
            (class.to_owned(), serde_json::json!({ "ours": ours.json(), "peer": peer.json() }))
        })
        .collect();
    let (all, all_peer) = (Latencies::of(&ours, None), Latencies::of(&peer, None));
    let extra = |goal: f64| {
        serde_json::json!({
            "unit": "ms",
            "lower_is_better": true,
            "goal_ms": goal,
            "docs": options.docs,
            "sources": SOURCES,
            "rules": RULES,
            "clients": CLIENTS,
            "secs": options.secs,
            "queries": mix.len(),
            "requests": all.n,
            "refused_as_too_expensive": refused,
            "peer_requests": all_peer.n,
            "peer_name": "tantivy's query parser over title and body, top 20 and count, in process",
        })
    };
    let mut p99 = extra(50.0);
    if let Some(o) = p99.as_object_mut() {
        o.insert("classes".to_owned(), serde_json::Value::Object(per_class));
    }
    lines.push(crate::line("search", "p50_ms", all.p50, all_peer.p50, extra(5.0)));
    lines.push(crate::line("search", "p95_ms", all.p95, all_peer.p95, extra(50.0)));
    lines.push(crate::line("search", "p99_ms", all.p99, all_peer.p99, p99));
    if let Some(m) = memory {
        lines.push(serde_json::json!({
            "suite": "search", "metric": "serve_resident_mib", "ours": m.resident,
            "peak_mib": m.peak, "anonymous_mib": m.anonymous, "file_mib": m.file,
            "settled_after_s": crate::round(settled.as_secs_f64()),
            "goal_mib": 1536, "docs": options.docs, "sources": SOURCES, "rules": RULES,
        }));
    }
    lines.push(serde_json::json!({
        "suite": "search", "metric": "ingest_docs_per_sec_by_tenth", "ours": curve,
        "goal": "the last tenth within 20% of the first",
        "last_over_first": curve.last().zip(curve.first()).map(|(l, f)| crate::round(l / f)),
    }));
    Ok(lines)
}

/// Builds the data directory in `dir` unless a complete one is there; the ingest speed of
/// each tenth of the documents, in documents a second.
async fn build(dir: &Path, corpus: &Corpus, n: usize) -> Result<Vec<f64>> {
    let done = dir.join("built.json");
    if let Ok(text) = std::fs::read_to_string(&done) {
        let curve: Vec<f64> = serde_json::from_str(&text)
            .with_context(|| format!("reading {}; delete it to rebuild", done.display()))?;
        eprintln!("search: reusing {} ({n} documents)", dir.display());
        return Ok(curve);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let store = Store::open_sqlite(&data.join("langnghe.db")).await?;
    let index = Arc::new(SearchIndex::open(&data.join("index"))?);
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (rules, diags) = RuleSet::load_dir(&rules_dir);
    anyhow::ensure!(diags.is_empty(), "rule packs have problems: {diags:?}");
    let pipeline = Pipeline::new(
        store.clone(),
        index,
        rules,
        fetch::Client::new(&fetch::FetchConfig::default())?,
        Arc::new(Metrics::default()),
        PipelineConfig { index_commit_every: Duration::from_secs(1), ..PipelineConfig::default() },
    );
    let sources = make_sources(&store).await?;
    let end = Utc::now();
    let tenth = (n / 10).max(1);
    let mut curve = Vec::new();
    let (mut started, mut stored, mut since) = (Instant::now(), 0, 0);
    let chunk = CHUNK.min(tenth);
    for from in (0..n).step_by(chunk) {
        let to = (from + chunk).min(n);
        let batches: Vec<(Source, Vec<FeedItem>)> = (from..to)
            .step_by(BATCH)
            .map(|b| {
                let items = (b..(b + BATCH).min(to)).map(|i| corpus.document(i, n, end)).collect();
                (sources[source_of(b)].clone(), items)
            })
            .collect();
        let added: usize =
            pipeline.ingest_batches(batches).await?.iter().map(|r| r.added + r.copies).sum();
        stored += added;
        anyhow::ensure!(added == to - from, "only {added} of {} documents were stored", to - from);
        if to.is_multiple_of(tenth) || to == n {
            pipeline.flush_index()?;
            let rate = (to - since) as f64 / started.elapsed().as_secs_f64();
            since = to;
            eprintln!("search: {to} of {n} documents stored, {rate:.0} a second");
            curve.push(rate.round());
            started = Instant::now();
        }
    }
    pipeline.flush_index()?;
    store.close().await;
    anyhow::ensure!(stored == n, "{stored} of {n} documents stored");
    std::fs::write(&done, serde_json::to_string(&curve)?)?;
    Ok(curve)
}

/// The [`SOURCES`] outlets, made in the store.
async fn make_sources(store: &Store) -> Result<Vec<Source>> {
    let tiers =
        [SourceTier::Press, SourceTier::Official, SourceTier::Aggregator, SourceTier::Social];
    let mut out = Vec::with_capacity(SOURCES);
    for s in 0..SOURCES {
        let source = NewSource {
            name: format!("Nguồn {s:04}"),
            // A closed port on this machine: a poll fails at once, with no network.
            url: format!("http://127.0.0.1:9/nguon-{s}/rss"),
            kind: SourceKind::Feed,
            tier: tiers[s % tiers.len()],
            interval_secs: 3_600,
            allow_private: true,
            ..NewSource::default()
        };
        out.push(store.upsert_source(&source, Utc::now()).await?);
    }
    Ok(out)
}

/// Schedules every source's next poll a month ahead, so the server answers searches
/// without polling 5,000 unreachable feeds.
async fn quiet_sources(data: &Path) -> Result<()> {
    let store = Store::open_sqlite(&data.join("langnghe.db")).await?;
    let now = Utc::now();
    for source in store.list_sources().await? {
        let poll = PollSuccess {
            etag: None,
            last_modified: None,
            at: now,
            next_poll: now + TimeDelta::days(30),
            interval_secs: 3_600,
            not_modified: true,
        };
        store.record_fetch_success(source.id, &poll).await?;
    }
    store.close().await;
    Ok(())
}

/// A pack of [`RULES`] generated topic rules in `dir`, written as a monitor's queries are
/// (the rules suite's forms: phrases, two in five without diacritics, OR groups, NEAR,
/// exclusions), each with a `match` example made of its positive words.
fn write_rules(dir: &Path, pairs: &[String], words: &[String]) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Lcg(0xd1b5_4a32_d192_ed03);
    let term = |rng: &mut Lcg| -> (String, String) {
        if rng.next() < 0.8 {
            let p = &pairs[rng.below(pairs.len())];
            let p = if rng.next() < 0.4 { vi_text::fold_str(p) } else { p.clone() };
            (format!("\"{p}\""), p)
        } else {
            let w = words[rng.below(words.len())].clone();
            (w.clone(), w)
        }
    };
    let head =
        "[pack]\ntitle = \"Bench\"\ndescription = \"Generated rules for the search suite.\"\n";
    let mut blocks = Vec::new();
    // A few more than needed: an exclusion that catches its own example (`-nâng` takes
    // the bare `nang` of the phrase) is dropped.
    for k in 0..RULES + RULES / 50 {
        let (a, b) = (term(&mut rng), term(&mut rng));
        let (query, example) = match rng.below(4) {
            0 => (a.0, a.1),
            1 => {
                let c = term(&mut rng);
                (format!("({} OR {}) {}", a.0, b.0, c.0), format!("{} {}", a.1, c.1))
            }
            2 => (format!("{} NEAR/5 {}", a.0, b.0), format!("{} {}", a.1, b.1)),
            _ if b.1.contains(&a.1) || a.1.contains(&b.1) => (a.0, a.1),
            _ => (format!("{} -{}", a.0, b.0), a.1),
        };
        blocks.push((
            format!("bench.{k}"),
            format!(
                "\n[[rules]]\nid = \"bench.{k}\"\nkind = \"topic\"\ntitle = \"Bench {k}\"\n\
                 severity = \"low\"\nquery = '''{query}'''\nmatch = [{example:?}]\n"
            ),
        ));
    }
    let write = |blocks: &[(String, String)]| {
        let text: String =
            std::iter::once(head).chain(blocks.iter().map(|b| b.1.as_str())).collect();
        std::fs::write(dir.join("bench.toml"), text)
    };
    write(&blocks)?;
    let (set, diags) = RuleSet::load_dir(dir);
    anyhow::ensure!(diags.is_empty(), "the generated rules do not load: {:?}", diags.first());
    let failing: std::collections::HashSet<String> =
        set.check().into_iter().filter_map(|d| d.rule).collect();
    blocks.retain(|(id, _)| !failing.contains(id));
    blocks.truncate(RULES);
    write(&blocks)?;
    let (set, diags) = RuleSet::load_dir(dir);
    let diags: Vec<_> = diags.into_iter().chain(set.check()).collect();
    anyhow::ensure!(diags.is_empty(), "the generated rules have problems: {:?}", diags.first());
    anyhow::ensure!(set.len() >= RULES, "only {} generated rules loaded", set.len());
    Ok(())
}

/// One query of the mix: its class, the API's query string, and the peer's query.
struct MixQuery {
    class: &'static str,
    params: Vec<(&'static str, String)>,
    peer: PeerQuery,
}

/// What the peer runs for a query.
#[derive(Clone)]
struct PeerQuery {
    text: String,
    newest: bool,
    offset: usize,
}

/// The fixed query mix: single terms (frequent, middling and rare), phrases, terms and
/// phrases typed without diacritics, NEAR, field scopes, filters with facets, sort by
/// newest and deep pages.
fn query_mix(corpus: &Corpus, pairs: &[String], words: &[String]) -> Vec<MixQuery> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut near: Vec<(String, String)> = Vec::new();
    for s in corpus.sentences.iter().step_by(7) {
        let tokens: Vec<String> = vi_text::tokenize(&vi_text::display(s))
            .into_iter()
            .map(|t| t.matched)
            .filter(|w| w.chars().all(char::is_alphabetic))
            .collect();
        for t in &tokens {
            *counts.entry(t.clone()).or_default() += 1;
        }
        if tokens.len() > 8 && near.len() < 200 {
            near.push((tokens[2].clone(), tokens[6].clone()));
        }
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let ranked: Vec<String> = ranked.into_iter().map(|(w, _)| w).collect();
    let q = |class: &'static str, text: String, more: &[(&'static str, &str)]| {
        let mut params = vec![("q", text.clone())];
        params.extend(more.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let newest = more.iter().any(|(k, v)| *k == "sort" && *v == "newest");
        MixQuery { class, params, peer: PeerQuery { text, newest, offset: 0 } }
    };
    let mut mix = Vec::new();
    for k in 0..10 {
        mix.push(q("term", ranked[20 + k * 4].clone(), &[]));
        mix.push(q("term", ranked[500 + k * 150].clone(), &[]));
        mix.push(q("term", words[k].clone(), &[]));
    }
    for p in pairs.iter().take(20) {
        mix.push(q("phrase", format!("\"{p}\""), &[]));
    }
    for p in pairs.iter().skip(20).take(10) {
        mix.push(q("unaccented", format!("\"{}\"", vi_text::fold_str(p)), &[]));
        mix.push(q("unaccented", vi_text::fold_str(p), &[]));
    }
    for (a, b) in near.iter().step_by(near.len().max(10) / 10).take(10) {
        let mut m = q("near", format!("{a} NEAR/5 {b}"), &[]);
        m.peer.text = format!("\"{a} {b}\"~5");
        mix.push(m);
    }
    for p in pairs.iter().skip(40).take(5) {
        mix.push(q("scope", format!("title:\"{p}\""), &[]));
    }
    for w in ranked.iter().skip(100).step_by(60).take(5) {
        mix.push(q("scope", format!("title:{w}"), &[]));
    }
    let months = ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01", "2026-12-01"];
    for (k, w) in ranked.iter().skip(40).step_by(25).take(10).enumerate() {
        let from = months[k % months.len()];
        mix.push(q("facets", w.clone(), &[("facets", "1"), ("from", from)]));
    }
    for w in ranked.iter().skip(30).step_by(35).take(10) {
        mix.push(q("newest", w.clone(), &[("sort", "newest")]));
    }
    for w in ranked.iter().skip(60).step_by(45).take(5) {
        let mut m = q("deep", w.clone(), &[("sort", "newest")]);
        m.peer.newest = true;
        m.peer.offset = 20 * DEEP_PAGES;
        mix.push(m);
    }
    mix
}

/// `langnghe serve` on the data directory, with a viewer's API token.
struct Server {
    child: Child,
    base: String,
    token: String,
    client: reqwest::Client,
    /// Searches the server refused as too expensive (past its time budget) while
    /// measuring; their latencies count like any answer's.
    refused: std::sync::atomic::AtomicUsize,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(dir: &Path) -> Result<Server> {
        let binary = langnghe_binary()?;
        quiet_sources(&dir.join("data")).await?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let config = dir.join("serve.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\nrules_dir = {:?}\n[http]\nlisten = \"127.0.0.1:{port}\"\n",
                dir.join("data").display().to_string(),
                dir.join("rules").display().to_string()
            ),
        )?;
        let cli = |args: &[&str]| -> Result<String> {
            let out = Command::new(&binary)
                .arg("--config")
                .arg(&config)
                .args(args)
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .output()
                .with_context(|| format!("running langnghe {args:?}"))?;
            if !out.status.success() {
                bail!("langnghe {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
            }
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        };
        cli(&["users", "add", "bench", "--role", "viewer"])?;
        let token = cli(&["users", "token", "bench", "--label", "bench"])?.trim().to_owned();
        let child = Command::new(&binary)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting langnghe serve")?;
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            token,
            client: reqwest::Client::builder().pool_max_idle_per_host(CLIENTS * 2).build()?,
            refused: std::sync::atomic::AtomicUsize::new(0),
        };
        // Start-up checks the index against the store; the server answers after that.
        let started = Instant::now();
        loop {
            if let Ok(r) = server.get(&[("q", "a".to_owned())]).await
                && r.0.is_success()
            {
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!("langnghe serve stopped before answering: {status}");
            }
            if started.elapsed() > Duration::from_secs(900) {
                bail!("langnghe serve did not answer searches within 15 minutes");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        eprintln!("search: serve answered after {:.1} s", started.elapsed().as_secs_f64());
        Ok(server)
    }

    async fn get(
        &self,
        params: &[(&'static str, String)],
    ) -> Result<(reqwest::StatusCode, serde_json::Value)> {
        let r = self
            .client
            .get(format!("{}/api/v1/search", self.base))
            .bearer_auth(&self.token)
            .query(params)
            .send()
            .await?;
        let status = r.status();
        Ok((status, r.json().await.unwrap_or_default()))
    }

    /// One query of the mix, timed; a deep page is each page after the first.
    async fn one(&self, q: &MixQuery, out: &mut Vec<(&'static str, Duration)>) -> Result<()> {
        let started = Instant::now();
        let (status, body) = self.get(&q.params).await?;
        self.answered(&q.params, status, &body)?;
        if q.class != "deep" {
            out.push((q.class, started.elapsed()));
            return Ok(());
        }
        let mut next = body.get("next").and_then(|v| v.as_str()).map(str::to_owned);
        for _ in 0..DEEP_PAGES {
            let Some(after) = next.take() else { break };
            let mut params = q.params.clone();
            params.push(("after", after));
            let started = Instant::now();
            let (status, body) = self.get(&params).await?;
            self.answered(&params, status, &body)?;
            out.push((q.class, started.elapsed()));
            next = body.get("next").and_then(|v| v.as_str()).map(str::to_owned);
        }
        Ok(())
    }

    /// Whether a search was answered: results, or a refusal for running past the
    /// server's time budget (counted); anything else is an error.
    fn answered(
        &self,
        params: &[(&str, String)],
        status: reqwest::StatusCode,
        body: &serde_json::Value,
    ) -> Result<()> {
        let too_expensive = status == reqwest::StatusCode::BAD_REQUEST
            && body["error"].as_str().is_some_and(|e| e.contains("too expensive"));
        if too_expensive {
            self.refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        anyhow::ensure!(status.is_success(), "{params:?} answered {status}: {body}");
        Ok(())
    }

    /// Every query once (warming caches), then [`CLIENTS`] clients for `secs` seconds.
    async fn measure(&self, mix: &[MixQuery], secs: u64) -> Result<Vec<(&'static str, Duration)>> {
        let mut warm = Vec::new();
        for q in mix {
            self.one(q, &mut warm).await?;
        }
        self.refused.store(0, std::sync::atomic::Ordering::Relaxed);
        let until = Instant::now() + Duration::from_secs(secs);
        let clients = (0..CLIENTS).map(|c| async move {
            let mut out = Vec::new();
            let mut k = c * mix.len() / CLIENTS;
            while Instant::now() < until {
                self.one(&mix[k % mix.len()], &mut out).await?;
                k += 1;
            }
            Ok::<_, anyhow::Error>(out)
        });
        let mut all = Vec::new();
        for r in futures_util::future::join_all(clients).await {
            all.extend(r?);
        }
        Ok(all)
    }

    /// Waits until the server has done its start-up work (the census, the spike backfill
    /// and the other jobs a start runs over the whole store), which would otherwise share
    /// the two cores with the first searches: until its CPU time grows by less than a
    /// tenth of a core over two seconds. Returns how long that took.
    async fn settle(&self) -> Result<Duration> {
        let started = Instant::now();
        let pid = self.child.id().to_string();
        let mut before = crate::cpu_time(&pid);
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let now = crate::cpu_time(&pid);
            if now.saturating_sub(before) < Duration::from_millis(200) {
                return Ok(started.elapsed());
            }
            if started.elapsed() > Duration::from_secs(15 * 60) {
                bail!("langnghe serve was still busy 15 minutes after it answered");
            }
            before = now;
        }
    }

    /// The server's resident memory.
    fn memory(&self) -> Option<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .map(|kib| kib / 1024)
        };
        Some(Memory {
            resident: field("VmRSS:")?,
            peak: field("VmHWM:")?,
            anonymous: field("RssAnon:")?,
            file: field("RssFile:")?,
        })
    }
}

/// A process's resident memory in MiB: all of it, its peak, and the two parts it is made
/// of. The file part is pages of the memory-mapped index and database the process
/// touched, which the kernel may take back under pressure; the anonymous part is the
/// process's own.
struct Memory {
    resident: u64,
    peak: u64,
    anonymous: u64,
    file: u64,
}

/// The `langnghe` binary beside this one, built first (cargo runs this bench).
fn langnghe_binary() -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "app", "--bin", "langnghe"])
        .current_dir(&workspace)
        .status()
        .context("running cargo build for langnghe")?;
    anyhow::ensure!(status.success(), "building langnghe failed");
    let binary = target_dir()?.join("release").join("langnghe");
    anyhow::ensure!(binary.exists(), "{} was not built", binary.display());
    Ok(binary)
}

/// The peer: tantivy's query parser on the same index, top 20 and count, [`CLIENTS`]
/// threads for `secs` seconds after one warming pass.
fn peer(index: &Path, mix: &[MixQuery], secs: u64) -> Result<Vec<(&'static str, Duration)>> {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::QueryParser;
    use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};
    let index = tantivy::Index::open_in_dir(index)?;
    for name in ["vi_match", "vi_fold", "vi_bare"] {
        index.tokenizers().register(
            name,
            TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).build(),
        );
    }
    let schema = index.schema();
    let (title, body) = (schema.get_field("title")?, schema.get_field("body")?);
    let mut parser = QueryParser::for_index(&index, vec![title, body]);
    parser.set_conjunction_by_default();
    let reader = index.reader()?;
    let parsed: Vec<(&'static str, PeerQuery, Box<dyn tantivy::query::Query>)> = mix
        .iter()
        .map(|m| (m.class, m.peer.clone(), parser.parse_query_lenient(&m.peer.text).0))
        .collect();
    let run = |q: &(&'static str, PeerQuery, Box<dyn tantivy::query::Query>)| -> Result<Duration> {
        let searcher = reader.searcher();
        let started = Instant::now();
        let limit = TopDocs::with_limit(20).and_offset(q.1.offset);
        if q.1.newest {
            let top = limit.order_by_fast_field::<i64>("time", tantivy::Order::Desc);
            searcher.search(q.2.as_ref(), &(top, Count))?;
        } else {
            searcher.search(q.2.as_ref(), &(limit, Count))?;
        }
        Ok(started.elapsed())
    };
    for q in &parsed {
        run(q)?;
    }
    let until = Instant::now() + Duration::from_secs(secs);
    let results: Vec<Result<Vec<(&'static str, Duration)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let parsed = &parsed;
                let run = &run;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    let mut k = c * parsed.len() / CLIENTS;
                    while Instant::now() < until {
                        let q = &parsed[k % parsed.len()];
                        let pages = if q.0 == "deep" { DEEP_PAGES } else { 1 };
                        for _ in 0..pages {
                            out.push((q.0, run(q)?));
                        }
                        k += 1;
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| bail!("a peer thread panicked")))
            .collect()
    });
    let mut all = Vec::new();
    for r in results {
        all.extend(r?);
    }
    Ok(all)
}

/// Percentiles of latencies, in milliseconds.
struct Latencies {
    n: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Latencies {
    fn of(samples: &[(&'static str, Duration)], class: Option<&str>) -> Latencies {
        let mut ms: Vec<f64> = samples
            .iter()
            .filter(|(c, _)| class.is_none_or(|want| *c == want))
            .map(|(_, d)| d.as_secs_f64() * 1000.0)
            .collect();
        ms.sort_by(f64::total_cmp);
        let at = |p: f64| {
            if ms.is_empty() {
                return 0.0;
            }
            let k = ((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1;
            (ms[k] * 100.0).round() / 100.0
        };
        Latencies { n: ms.len(), p50: at(0.50), p95: at(0.95), p99: at(0.99), max: at(1.0) }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({ "n": self.n, "p50": self.p50, "p95": self.p95, "p99": self.p99, "max": self.max })
    }
}
