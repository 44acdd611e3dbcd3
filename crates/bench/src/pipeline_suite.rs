//! `pipeline`: documents per second from parsed feed items to committed store rows, rule
//! hits, alerts and index segments, on a temporary SQLite data directory.
//!
//! The peer is the floor under any such system: the same rows inserted into SQLite with
//! sqlx, one transaction per batch, and the same text indexed by tantivy's default
//! tokenizer, one commit per batch, with no normalisation, deduplication or rule matching.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::Utc;
use feeds::FeedItem;
use model::{Metrics, SourceKind, SourceTier};
use pipeline::{Pipeline, PipelineConfig};
use rules::RuleSet;
use search::SearchIndex;
use store::{NewSource, Store};

const BATCH: usize = 200;

/// About 3 KB articles built from the demo corpus, every one unique in URL and content.
fn corpus(n: usize) -> Vec<FeedItem> {
    let items: Vec<demo::Item> = demo::corpus().into_iter().flat_map(|o| o.items).collect();
    let now = Utc::now();
    (0..n)
        .map(|i| {
            let item = &items[i % items.len()];
            let mut body = String::new();
            let mut k = i;
            while body.len() < 3_000 {
                body.push_str(&items[k % items.len()].body);
                body.push_str("\n\n");
                k += 7;
            }
            body.push_str(&format!("Bài số {i}."));
            FeedItem {
                url: format!("https://bench.example/bai/{i}"),
                title: item.title.clone(),
                summary: item.summary.clone(),
                body,
                author: Some(item.author.clone()),
                published: Some(now - chrono::Duration::seconds(i as i64)),
                ..FeedItem::default()
            }
        })
        .collect()
}

/// The same number of articles as a news stream (`news.rs`): one event per twenty
/// articles, a fifth of them edited copies, published over the last twelve hours.
fn news_stream(n: usize) -> Vec<FeedItem> {
    let stream = crate::news::Stream {
        docs: n,
        events: (n / 20).max(41),
        span_hours: 12,
        start: Utc::now() - chrono::Duration::hours(12),
    };
    crate::news::articles(&mut crate::lcg::Lcg(2026), &stream)
        .into_iter()
        .enumerate()
        .map(|(i, a)| FeedItem {
            url: format!("https://bench.example/tin/{i}"),
            title: a.title,
            summary: a.lead,
            body: a.body,
            published: Some(a.at),
            ..FeedItem::default()
        })
        .collect()
}

pub(crate) async fn run(n: usize) -> Result<Vec<serde_json::Value>> {
    // `LANGNGHE_BENCH_CORPUS=demo|news` runs one of the two (to profile it alone).
    let only = std::env::var("LANGNGHE_BENCH_CORPUS").unwrap_or_default();
    let mut out = Vec::new();
    if only != "news" {
        out.extend(measure("docs_per_sec", corpus(n), "the demo corpus recombined").await?);
    }
    if only != "demo" {
        out.extend(
            measure("docs_per_sec_news_stream", news_stream(n), "a generated news stream").await?,
        );
    }
    Ok(out)
}

async fn measure(
    metric: &str,
    items: Vec<FeedItem>,
    corpus: &str,
) -> Result<Vec<serde_json::Value>> {
    let n = items.len();
    let bytes: usize = items.iter().map(|i| i.title.len() + i.summary.len() + i.body.len()).sum();
    let dir = tempfile::tempdir()?;
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (rules, diags) = RuleSet::load_dir(&rules_dir);
    anyhow::ensure!(diags.is_empty(), "rule packs have problems: {diags:?}");
    let n_rules = rules.len();

    let (ours, stages) = ours(&dir.path().join("ours"), rules, &items).await?;
    let plain = peer(&dir.path().join("peer"), &items, false).await?;
    // A sighting is one more row per document, written in the document's transaction:
    // its cost is what that row adds to the peer's own insert loop.
    let peer_sighted = peer(&dir.path().join("peer-sighted"), &items, true).await?;
    let sightings = peer_sighted.saturating_sub(plain).as_secs_f64();
    let stage = |name: &str| stages.get(name).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
    let total = ours.as_secs_f64();
    let share = |secs: f64| (secs / total * 1000.0).round() / 10.0;
    let grasp = serde_json::json!({
        "places_pct": share(stage("places")),
        "stories_pct": share(stage("stories")),
        "sightings_pct": share(sightings),
        "together_pct": share(stage("places") + stage("stories") + sightings),
        "goal_pct": 15.0,
    });
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let extra = serde_json::json!({
        "docs": n,
        "mean_doc_bytes": bytes / n.max(1),
        "rules": n_rules,
        "batch": BATCH,
        "corpus": corpus,
        "peer_name": "sqlx sqlite insert + tantivy default tokenizer, no text processing",
        "stage_secs": stages,
        "places_stories_sightings": grasp,
    });
    Ok(vec![crate::line("pipeline", metric, rate(ours), rate(plain), extra)])
}

async fn ours(
    dir: &Path,
    rules: RuleSet,
    items: &[FeedItem],
) -> Result<(Duration, serde_json::Value)> {
    std::fs::create_dir_all(dir)?;
    let store = Store::open_sqlite(&dir.join("langnghe.db")).await?;
    let index = Arc::new(SearchIndex::open(&dir.join("index"))?);
    let client = fetch::Client::new(&fetch::FetchConfig::default())?;
    let metrics = Arc::new(Metrics::default());
    let pipeline = Pipeline::new(
        store.clone(),
        index,
        rules,
        client,
        metrics.clone(),
        // As `serve` runs it: the index commits at most once a second during a burst.
        PipelineConfig { index_commit_every: Duration::from_secs(1), ..PipelineConfig::default() },
    );
    let source = NewSource {
        name: "Bench".to_owned(),
        url: "https://bench.example/rss".to_owned(),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        interval_secs: 600,
        allow_private: false,
        ..NewSource::default()
    };
    let source = store.upsert_source(&source, Utc::now()).await?;
    let batches: Vec<(model::Source, Vec<FeedItem>)> =
        items.chunks(BATCH).map(|b| (source.clone(), b.to_vec())).collect();
    let start = Instant::now();
    let cpu_start = crate::cpu_time("self");
    // A news stream repeats itself word for word now and then: a sighting, stored too.
    let added: usize =
        pipeline.ingest_batches(batches).await?.iter().map(|r| r.added + r.copies).sum();
    // The clock stops when the last document is searchable.
    let flushed = Instant::now();
    pipeline.flush_index()?;
    metrics.observe(model::Stage::Index, flushed.elapsed());
    let elapsed = start.elapsed();
    let cpu = crate::cpu_time("self").saturating_sub(cpu_start);
    anyhow::ensure!(added == items.len(), "only {added} of {} items were stored", items.len());
    store.close().await;
    // Where the time went, per stage, in seconds: what to optimise next.
    let mut stages: serde_json::Map<String, serde_json::Value> = metrics
        .snapshot()
        .stages
        .into_iter()
        .filter(|(_, n, _)| *n > 0)
        .map(|(name, _, secs)| {
            (name.to_owned(), serde_json::json!((secs * 1000.0).round() / 1000.0))
        })
        .collect();
    // How busy the cores were: below the core count, a serial stage holds the rest back.
    stages.insert("cpu".to_owned(), serde_json::json!(crate::round(cpu.as_secs_f64())));
    Ok((elapsed, serde_json::Value::Object(stages)))
}

async fn peer(dir: &Path, items: &[FeedItem], sightings: bool) -> Result<Duration> {
    use tantivy::schema::{STORED, STRING, Schema, TEXT};
    std::fs::create_dir_all(dir.join("index"))?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("peer.db").display());
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            url.parse::<sqlx::sqlite::SqliteConnectOptions>()?
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal),
        )
        .await?;
    sqlx::query(
        "CREATE TABLE documents (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
         summary TEXT NOT NULL, body TEXT NOT NULL, author TEXT, published_at INTEGER)",
    )
    .execute(&pool)
    .await?;
    for ddl in [
        "CREATE TABLE sightings (id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL, \
         source_id INTEGER NOT NULL, url TEXT NOT NULL UNIQUE, published_at INTEGER, \
         fetched_at INTEGER NOT NULL)",
        "CREATE INDEX sightings_document ON sightings (document_id)",
        "CREATE INDEX sightings_source ON sightings (source_id)",
        "CREATE INDEX sightings_counted_at ON sightings ((CASE WHEN published_at IS NOT NULL \
         AND published_at <= fetched_at THEN published_at ELSE fetched_at END))",
    ] {
        sqlx::query(ddl).execute(&pool).await?;
    }
    let mut schema = Schema::builder();
    let f_id = schema.add_u64_field("id", STORED);
    let f_url = schema.add_text_field("url", STRING | STORED);
    let f_title = schema.add_text_field("title", TEXT | STORED);
    let f_body = schema.add_text_field("body", TEXT);
    let index = tantivy::Index::create_in_dir(dir.join("index"), schema.build())?;
    let mut writer: tantivy::IndexWriter = index.writer(100_000_000)?;

    let start = Instant::now();
    let mut id = 0u64;
    for batch in items.chunks(BATCH) {
        let mut tx = pool.begin().await?;
        for item in batch {
            id += 1;
            sqlx::query(
                "INSERT INTO documents (id, url, title, summary, body, author, published_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id as i64)
            .bind(&item.url)
            .bind(&item.title)
            .bind(&item.summary)
            .bind(&item.body)
            .bind(&item.author)
            .bind(item.published.map(|t| t.timestamp_millis()))
            .execute(&mut *tx)
            .await?;
            if sightings {
                sqlx::query(
                    "INSERT INTO sightings (document_id, source_id, url, published_at, fetched_at)
                     VALUES (?, 1, ?, ?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(id as i64)
                .bind(&item.url)
                .bind(item.published.map(|t| t.timestamp_millis()))
                .bind(Utc::now().timestamp_millis())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        for (k, item) in batch.iter().enumerate() {
            let doc_id = id - (batch.len() - 1 - k) as u64;
            let mut doc = tantivy::TantivyDocument::new();
            doc.add_u64(f_id, doc_id);
            doc.add_text(f_url, &item.url);
            doc.add_text(f_title, &item.title);
            doc.add_text(f_body, format!("{}\n{}", item.summary, item.body));
            writer.add_document(doc)?;
        }
        writer.commit().context("peer index commit")?;
    }
    let elapsed = start.elapsed();
    pool.close().await;
    Ok(elapsed)
}
