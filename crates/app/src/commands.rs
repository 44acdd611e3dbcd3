//! One function per command.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use model::{Role, SourceKind, SourceTier};
use pipeline::PollReport;
use store::NewSource;

use crate::cli::{Cli, Command, RulesCommand, UsersCommand};
use crate::config::Config;
use crate::system::{System, open_store};

pub(crate) async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Demo { port, data_dir, rules } => demo(config, port, data_dir, rules).await,
        Command::Serve { role } => serve(config, role).await,
        Command::Normalize { form, json } => normalize(&form, json),
        Command::Rules { command: RulesCommand::Check { rules } } => {
            rules_check(&config.rule_sources(rules.as_deref())?)
        }
        Command::Rules { command: RulesCommand::Match { rules } } => {
            rules_match(&config.rule_sources(rules.as_deref())?)
        }
        Command::Rules { command: RulesCommand::Backtest(args) } => {
            crate::backtest::run(&config, &args).await
        }
        Command::Rules { command: RulesCommand::Eval(args) } => {
            crate::rules_eval::run(&config, &args)
        }
        Command::Claims { command } => crate::claims::run(&config, command),
        Command::Ingest { allow_private, kind, inputs } => {
            ingest(&config, allow_private, kind.as_deref(), &inputs).await
        }
        Command::Fetch { .. } => fetch_once(&config).await,
        Command::Search { query, json, newest, limit } => {
            search(&config, &query, json, newest, limit).await
        }
        Command::Reindex => reindex(&config).await,
        Command::Spikes { series, method, json } => spikes(&series, &method, json),
        Command::Places => places(),
        Command::Stories { since, province, limit, json, rebuild } => {
            if rebuild {
                rebuild_stories(&config).await
            } else {
                stories(&config, since.as_deref(), province, limit, json).await
            }
        }
        Command::Digest(args) if args.send => crate::delivering::send_digest(&config, &args).await,
        Command::Digest(args) => crate::digesting::run(&config, &args).await,
        Command::Report(args) => crate::reporting::run(&config, &args).await,
        Command::Users { command } => users(&config, command).await,
        Command::Sources { command } => crate::sources::run(&config, command).await,
    }
}

fn tier(s: &str) -> SourceTier {
    s.parse().unwrap_or(SourceTier::Press)
}

async fn serve(config: Config, role: crate::cli::ServeRole) -> anyhow::Result<ExitCode> {
    let system = System::open_as(&config, &config.rule_sources(None)?, role).await?;
    let now = Utc::now();
    let mut urls = Vec::new();
    for s in &config.sources {
        system.store.upsert_source(&s.to_new_source(), now).await?;
        urls.push(s.url.clone());
    }
    let disabled = system.store.disable_sources_except(&urls).await?;
    tracing::info!(
        n_sources = urls.len(),
        n_disabled = disabled,
        "Sources loaded from the configuration."
    );
    let listen = config.http.listen.clone();
    system
        .run(&config, &listen, |addr| {
            tracing::info!(url = %format!("http://{addr}/"), "Dashboard listening.");
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}

async fn demo(
    mut config: Config,
    port: u16,
    data_dir: PathBuf,
    rules: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    config.data_dir = data_dir;
    config.database_url = String::new();
    // Every demo outlet is on 127.0.0.1: the politeness delay between requests to one host
    // would only make a newcomer wait for the first fetch round.
    config.fetch.host_delay_ms = 0;
    // The built-in packs and claims, with the office's directory over them when there is
    // one (an added claim lands under the demo's data directory otherwise): the demo runs
    // from any directory.
    let sources = config.rule_sources(rules.as_deref())?;
    let system = System::open(&config, &sources).await?;
    let server = demo::FeedServer::start(&demo::corpus(), 0, Utc::now())
        .await
        .context("starting the demo feed server")?;
    let now = Utc::now();
    let mut urls = Vec::new();
    for (name, url, t) in server.feeds() {
        let source = NewSource {
            name,
            url: url.clone(),
            kind: SourceKind::Feed,
            tier: tier(&t),
            interval_secs: 60,
            allow_private: true,
            ..NewSource::default()
        };
        system.store.upsert_source(&source, now).await?;
        urls.push(url);
    }
    // Feeds of an earlier demo run lived on another port.
    system.store.disable_sources_except(&urls).await?;
    let (user, password) = ("demo", "demo");
    let hash = dashboard::auth::hash_password(password)
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    match system.store.create_user(user, &hash, Role::Admin, now).await {
        Ok(_) => {}
        Err(store::Error::Conflict(_)) => {
            system.store.update_user(user, &hash, Role::Admin).await?
        }
        Err(e) => return Err(e.into()),
    }
    demo::handling::replay(&system.store, now)
        .await
        .context("replaying the demo's handling history")?;
    crate::digesting::plan_demo_day(&system.store, &sources, now)
        .await
        .context("noting the demo's plan for the next health day")?;
    let data_dir = config.data_dir.clone();
    let feeds = server.base_url();
    let outlets = server.feeds().len();
    system
        .run(&config, &format!("127.0.0.1:{port}"), move |addr| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "Lắng Nghe demo\n  dashboard: http://{addr}/\n  login:     {user} / {password}\n  digest:    http://{addr}/digest (the daily digest; ?role=officer|spokesperson)\n  calendar:  http://{addr}/calendar (health days, their coverage, planned messages)\n  feeds:     {feeds}/ ({outlets} outlets, served locally)\n  data:      {}\nAlerts appear within seconds. Press Ctrl-C to stop.",
                data_dir.display()
            );
            let _ = out.flush();
        })
        .await?;
    drop(server);
    Ok(ExitCode::SUCCESS)
}

fn normalize(form: &str, json: bool) -> anyhow::Result<ExitCode> {
    let all = form == "all";
    let form: Option<vi_text::Form> = if all {
        None
    } else {
        Some(form.parse().map_err(|e: String| anyhow::anyhow!("--form: {e} or all"))?)
    };
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lines().enumerate() {
        let line = line.with_context(|| format!("reading line {} of stdin", n + 1))?;
        match form {
            Some(form) if !json => writeln!(out, "{}", vi_text::to_form(&line, form))?,
            _ => writeln!(out, "{}", normalize_json(&line, form))?,
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A derived form as JSON: its text and, per character, `[view_start, view_end,
/// display_start, display_end]` in bytes.
fn view_json(view: &vi_text::View) -> serde_json::Value {
    let spans: Vec<[usize; 4]> =
        view.spans().map(|(v, d)| [v.start, v.end, d.start, d.end]).collect();
    serde_json::json!({ "text": view.text(), "spans": spans })
}

fn normalize_json(line: &str, form: Option<vi_text::Form>) -> serde_json::Value {
    let display = vi_text::display(line);
    match form {
        Some(vi_text::Form::Display) => serde_json::json!({ "text": display }),
        Some(vi_text::Form::Match) => view_json(&vi_text::match_view(&display)),
        Some(vi_text::Form::Fold) => view_json(&vi_text::fold_view(&display)),
        None => {
            let tokens = vi_text::tokenize(&display);
            let alternatives: Vec<serde_json::Value> = vi_text::expansions(&display, &tokens)
                .into_iter()
                .chain(vi_text::deobfuscations(&display, &tokens))
                .map(|a| {
                    serde_json::json!({
                        "token": a.token, "tokens": a.len, "start": a.start, "end": a.end,
                        "display": &display[a.start..a.end], "text": a.text,
                        "kind": format!("{:?}", a.kind).to_lowercase(),
                    })
                })
                .collect();
            let tokens: Vec<serde_json::Value> = tokens
                .into_iter()
                .map(|t| {
                    serde_json::json!({
                        "start": t.start, "end": t.end, "display": &display[t.start..t.end],
                        "match": t.matched, "loose": vi_text::loose_key(&t.folded), "fold": t.folded,
                    })
                })
                .collect();
            serde_json::json!({
                "display": display,
                "language": vi_text::language(&display),
                "match": view_json(&vi_text::match_view(&display)),
                "fold": view_json(&vi_text::fold_view(&display)),
                "tokens": tokens,
                "alternatives": alternatives,
            })
        }
    }
}

fn rules_check(sources: &rules::RuleSources) -> anyhow::Result<ExitCode> {
    let crate::claims::Loaded { rules: set, library, problems: diags, warnings, .. } =
        crate::claims::load(sources);
    let place = crate::claims::describe(sources);
    let mut out = std::io::stdout().lock();
    for d in &diags {
        writeln!(out, "{d}")?;
    }
    let examples: usize =
        set.rules().iter().map(|r| r.examples_match.len() + r.examples_no_match.len()).sum();
    if diags.is_empty() {
        writeln!(
            out,
            "ok: {} rules ({} claims), {examples} examples checked in {place}",
            set.len(),
            library.len(),
        )?;
    } else {
        writeln!(out, "{} problem(s) in {place}", diags.len())?;
    }
    if !warnings.is_empty() {
        writeln!(
            out,
            "note: {} claim phrasing(s) typed without diacritics are missed by their query (`langnghe claims check` lists them)",
            warnings.len()
        )?;
    }
    Ok(if diags.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn rules_match(sources: &rules::RuleSources) -> anyhow::Result<ExitCode> {
    let crate::claims::Loaded { rules: set, index: claims, .. } =
        crate::claims::load_clean(sources)?;
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut bad = 0;
    for (n, line) in stdin.lines().enumerate() {
        let line = line.with_context(|| format!("reading line {} of stdin", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Result<serde_json::Value, String> =
            serde_json::from_str::<serde_json::Value>(&line)
                .map_err(|e| format!("line {}: invalid JSON: {e}", n + 1))
                .and_then(|v| {
                    if v.is_object() {
                        Ok(v)
                    } else {
                        Err(format!("line {}: expected a JSON object", n + 1))
                    }
                });
        let value = match parsed {
            Ok(v) => v,
            Err(error) => {
                bad += 1;
                writeln!(out, "{}", serde_json::json!({ "line": n + 1, "error": error }))?;
                continue;
            }
        };
        let text = |k: &str| value.get(k).and_then(serde_json::Value::as_str).unwrap_or_default();
        let analyzed = rules::Analyzed::new(text("title"), text("body"))
            .with_meta(text("source"), text("lang"));
        let hits: Vec<serde_json::Value> = set
            .match_analyzed(&analyzed)
            .into_iter()
            .map(|h| {
                let matched: Vec<serde_json::Value> = h
                    .terms
                    .iter()
                    .map(|t| {
                        let src = if t.field == "title" { &analyzed.title } else { &analyzed.body };
                        serde_json::json!({"field": t.field, "start": t.start, "end": t.end, "text": &src[t.start..t.end], "term": &*t.term})
                    })
                    .collect();
                serde_json::json!({"rule": h.rule_id, "kind": h.kind.as_str(), "severity": h.severity.as_str(), "title": h.rule_title, "matched": matched})
            })
            .collect();
        let similar: Vec<serde_json::Value> = claims
            .similar(text("title"), text("body"))
            .iter()
            .map(|m| {
                let src = if m.field == "title" { &analyzed.title } else { &analyzed.body };
                serde_json::json!({"claim": &*m.claim_id, "similarity": m.similarity, "field": m.field, "start": m.start, "end": m.end, "text": &src[m.start..m.end]})
            })
            .collect();
        let id = value.get("id").cloned().unwrap_or(serde_json::Value::Null);
        writeln!(out, "{}", serde_json::json!({ "id": id, "hits": hits, "claims": similar }))?;
    }
    out.flush()?;
    Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn print_report(out: &mut impl Write, r: &PollReport) -> std::io::Result<()> {
    match r {
        PollReport::NotModified { source } => writeln!(out, "{source}: not modified (304)"),
        PollReport::Ingested { source, report } => writeln!(
            out,
            "{source}: {} items, {} new, {} updated, {} copies, {} duplicates, {} rule hits ({} alerting)",
            report.seen,
            report.added,
            report.revised,
            report.copies,
            report.duplicates,
            report.hits,
            report.alert_hits
        ),
        PollReport::Failed { source, error } => writeln!(out, "{source}: failed: {error}"),
    }
}

async fn ingest(
    config: &Config,
    allow_private: bool,
    kind: Option<&str>,
    inputs: &[String],
) -> anyhow::Result<ExitCode> {
    let kind: Option<SourceKind> =
        kind.map(str::parse).transpose().map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
    if kind == Some(SourceKind::Import) {
        bail!(
            "--kind: import is what files are; a URL is a feed, html-listing, sitemap, search-feed or page"
        );
    }
    let system = System::open_storing(config, &config.rule_sources(None)?).await?;
    system.pipeline.catch_up_index().await?;
    let mut out = std::io::stdout().lock();
    say_index_in_use(config, &system, &mut out)?;
    let mut failed = false;
    for input in inputs {
        let is_url = input.starts_with("http://") || input.starts_with("https://");
        if !is_url && pipeline::is_posts_file(Path::new(input)) {
            match system.pipeline.import_posts(Path::new(input)).await {
                Ok(r) => writeln!(
                    out,
                    "{input}: {} posts from {} page(s), {} new, {} copies of stored posts, {} rule hits",
                    r.posts, r.pages, r.added, r.copies, r.hits
                )?,
                Err(pipeline::Error::Posts { problems }) => {
                    failed = true;
                    for p in &problems {
                        writeln!(out, "{p}")?;
                    }
                    writeln!(out, "{input}: nothing imported ({} problem(s))", problems.len())?;
                }
                Err(e) => return Err(e).with_context(|| format!("importing {input}")),
            }
            continue;
        }
        let url = if is_url {
            crate::sources::web_url(input)?
        } else {
            let path =
                Path::new(input).canonicalize().with_context(|| format!("reading {input}"))?;
            path.display().to_string()
        };
        // A new URL is fetched to tell what it is, and that response is what gets ingested.
        let mut probe = None;
        let kind = if !is_url {
            SourceKind::Import
        } else if let Some(k) = kind {
            k
        } else if let Some(k) = known_kind(&system.store, &url).await? {
            // A listing page would be taken for an article page: what the source is
            // declared as wins over what its content looks like.
            k
        } else {
            match system.pipeline.probe(&url, allow_private).await {
                Ok(p) => probe.insert(p).kind,
                Err(e) => {
                    failed = true;
                    writeln!(out, "{input}: failed: {e}")?;
                    continue;
                }
            }
        };
        let s = NewSource {
            name: input.clone(),
            url,
            kind,
            tier: SourceTier::Press,
            allow_private,
            origin: model::SourceOrigin::Ingest,
            ..NewSource::default()
        };
        let mut source = system.store.ensure_source(&s, Utc::now()).await?;
        // This run's --kind and --allow-private apply to this poll even when the URL is a
        // source already (an earlier ingest, a configured feed); its stored settings stay.
        if source.kind != kind {
            source.kind = kind;
            // Validators of the document read as another kind would answer 304 to it.
            source.state.etag = None;
            source.state.last_modified = None;
        }
        source.allow_private |= allow_private;
        let report = match probe {
            Some(p) => system.pipeline.poll_probed(&source, p).await?,
            None => system.pipeline.poll(&source).await?,
        };
        failed |= matches!(report, PollReport::Failed { .. });
        print_report(&mut out, &report)?;
    }
    system.pipeline.flush_index().context("committing the index")?;
    system.store.close().await;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The kind of the source stored under `url`, if there is one.
async fn known_kind(store: &store::Store, url: &str) -> anyhow::Result<Option<SourceKind>> {
    match store.find_source(url).await {
        Ok(s) => Ok(Some(s.kind)),
        Err(store::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Says so when a command stores documents without the index because another process
/// (a running `serve`) holds it.
fn say_index_in_use(config: &Config, system: &System, out: &mut impl Write) -> anyhow::Result<()> {
    // With the PostgreSQL search backend there is no index: the database is searched.
    let local_index = config.search.backend == crate::config::SearchBackend::Tantivy;
    if system.index.is_none() && local_index {
        writeln!(
            out,
            "The search index is in use by another process: documents are stored in the database, and a running `langnghe serve` indexes them (else the next one to start)."
        )?;
    }
    Ok(())
}

async fn fetch_once(config: &Config) -> anyhow::Result<ExitCode> {
    // Beside a running `serve` too: the sources it is polling are claimed, and it indexes
    // what this stores.
    let system = System::open_storing(config, &config.rule_sources(None)?).await?;
    system.pipeline.catch_up_index().await?;
    let mut out = std::io::stdout().lock();
    say_index_in_use(config, &system, &mut out)?;
    let reports = system.pipeline.fetch_once().await?;
    for r in &reports {
        print_report(&mut out, r)?;
    }
    writeln!(out, "{} source(s) polled", reports.len())?;
    system.pipeline.flush_index().context("committing the index")?;
    system.store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn search(
    config: &Config,
    query: &str,
    json: bool,
    newest: bool,
    limit: usize,
) -> anyhow::Result<ExitCode> {
    let sort = if newest { search::Sort::Newest } else { search::Sort::Relevance };
    let results = match config.search.backend {
        crate::config::SearchBackend::Tantivy => search_index(config, query, sort, limit)?,
        crate::config::SearchBackend::Postgres => search_store(config, query, sort, limit).await?,
    };
    print_results(query, &results, json)
}

/// Runs `query` over the PostgreSQL store's lexemes (`search.backend = "postgres"`).
async fn search_store(
    config: &Config,
    query: &str,
    sort: search::Sort,
    limit: usize,
) -> anyhow::Result<search::SearchResults> {
    let expr = query::parse(query).map_err(|e| {
        let col = query::line_col(query, e.offset).1;
        anyhow::anyhow!("invalid query at column {col}: {}", e.message)
    })?;
    let store = crate::system::open_store(config).await?;
    let request = search::SearchRequest {
        sort,
        limit: limit.clamp(1, search::MAX_LIMIT),
        ..search::SearchRequest::default()
    };
    let results = store.search_text(Some(&expr), &request, &search::Budget::unlimited()).await;
    store.close().await;
    Ok(results?)
}

/// Runs `query` over the index in the data directory.
fn search_index(
    config: &Config,
    query: &str,
    sort: search::Sort,
    limit: usize,
) -> anyhow::Result<search::SearchResults> {
    let dir = config.index_dir();
    if !dir.join("meta.json").exists() {
        bail!(
            "no index at {}: run `langnghe serve`, `langnghe ingest` or `langnghe reindex` first",
            dir.display()
        );
    }
    let index = search::SearchIndex::open_read_only(&dir)
        .with_context(|| format!("opening the index {}", dir.display()))?;
    // A damaged segment can make tantivy panic mid-search: report it, do not abort.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        index.search(query, sort, limit.clamp(1, search::MAX_LIMIT), 0)
    }));
    let results = match run {
        Ok(Ok(r)) => r,
        Ok(Err(search::Error::Query(e))) => {
            let col = query::line_col(query, e.offset).1;
            bail!("invalid query at column {col}: {}", e.message);
        }
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => bail!(
            "the search failed inside the index at {}: it may be damaged; rebuild it with `langnghe reindex`",
            dir.display()
        ),
    };
    Ok(results)
}

fn print_results(
    query: &str,
    results: &search::SearchResults,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let plain = |f: &[search::Fragment]| f.iter().map(|f| f.text.as_str()).collect::<String>();
    let marked = |f: &[search::Fragment]| {
        f.iter()
            .map(|f| if f.highlighted { format!("«{}»", f.text) } else { f.text.clone() })
            .collect::<String>()
    };
    if json {
        let hits: Vec<serde_json::Value> = results
            .hits
            .iter()
            .map(|h| {
                let highlights: Vec<&str> =
                    h.title.iter().chain(&h.snippet).filter(|f| f.highlighted).map(|f| f.text.as_str()).collect();
                serde_json::json!({"id": h.id, "title": plain(&h.title), "url": h.url, "source": h.source,
                    "time": h.time.to_rfc3339(), "score": h.score, "snippet": plain(&h.snippet), "highlights": highlights})
            })
            .collect();
        writeln!(
            out,
            "{}",
            serde_json::json!({"query": query, "total": results.total, "hits": hits})
        )?;
    } else {
        writeln!(out, "{} kết quả", results.total)?;
        for h in &results.hits {
            let t = model::to_vn_time(h.time).format("%H:%M %d/%m/%Y");
            writeln!(
                out,
                "\n[{}] {}\n    {} · {t}\n    {}\n    {}",
                h.id,
                marked(&h.title),
                h.source,
                marked(&h.snippet),
                h.url
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn places() -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lines().enumerate() {
        let line = line.with_context(|| format!("reading line {} of stdin", n + 1))?;
        writeln!(out, "{}", gazetteer::places_json_line(&line))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn spikes(series: &Path, method: &str, json: bool) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(series)
        .with_context(|| format!("reading the series {}", series.display()))?;
    let out = signals::spikes_csv(&text, method, json)
        .with_context(|| format!("in {}", series.display()))?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Reads `--since`: a span back from now (`24h`, `7d`), else a date or date and time
/// (Vietnam time unless an offset is given).
fn parse_since(text: &str, now: model::Timestamp) -> anyhow::Result<model::Timestamp> {
    let t = text.trim();
    let span = |unit: char, per: i64| {
        t.strip_suffix(unit)
            .and_then(|n| n.trim().parse::<i64>().ok())
            .filter(|n| (0..=36_500 * 24).contains(&(n * (24 / per))))
            .map(|n| now - chrono::Duration::hours(n * per))
    };
    span('h', 1)
        .or_else(|| span('d', 24))
        .or_else(|| model::parse_datetime(t))
        .with_context(|| {
            format!("--since {text:?}: expected a date (2026-12-01), a date and time, or a span such as 24h or 7d")
        })
}

async fn stories(
    config: &Config,
    since: Option<&str>,
    province: Option<String>,
    limit: i64,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if !(1..=10_000).contains(&limit) {
        bail!("--limit {limit}: expected 1 to 10000");
    }
    if let Some(p) = &province
        && gazetteer::Gazetteer::embedded().unit(p).is_none()
    {
        bail!(
            "--province {p:?}: not the code of one of the 34 provincial units (such as 01 or 79)"
        );
    }
    let since = since.map(|s| parse_since(s, Utc::now())).transpose()?;
    let store = open_store(config).await?;
    let query = store::StoryQuery { since, province, rule: None, limit, offset: 0 };
    let list = store.stories(&query).await.context("reading stories")?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for s in &list {
        if json {
            let timeline =
                store.story_timeline(s.id).await.context("reading a story's timeline")?;
            writeln!(out, "{}", story_json(s, &timeline))?;
        } else {
            writeln!(
                out,
                "{:>6}  {}  {:>2} outlets {:>3} sightings  {:<4} first: {} ({})  {}",
                s.id,
                vn_datetime(s.last_seen),
                s.outlets,
                s.sightings,
                s.province.as_deref().unwrap_or("-"),
                s.origin_source_name,
                vn_datetime(s.first_seen),
                s.title
            )?;
        }
    }
    out.flush()?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn story_json(s: &model::Story, timeline: &[model::TimelineEntry]) -> serde_json::Value {
    serde_json::json!({
        "id": s.id,
        "title": s.title,
        "first_publisher": {
            "source_id": s.origin_source,
            "source": s.origin_source_name,
            "document_id": s.origin_document,
            "basis": s.origin_basis,
        },
        "province": s.province,
        "first_seen": s.first_seen.to_rfc3339(),
        "last_seen": s.last_seen.to_rfc3339(),
        "documents": s.documents,
        "sightings": s.sightings,
        "outlets": s.outlets,
        "timeline": timeline.iter().map(|e| serde_json::json!({
            "document_id": e.sighting.document_id,
            "source": e.sighting.source_name,
            "url": e.sighting.url,
            "published_at": e.sighting.published_at.map(|t| t.to_rfc3339()),
            "fetched_at": e.sighting.fetched_at.to_rfc3339(),
            "relation": e.relation,
            "lag_minutes": e.lag_minutes,
            "anomalies": e.anomalies,
        })).collect::<Vec<_>>(),
    })
}

async fn rebuild_stories(config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let report = pipeline::rebuild_stories(&store).await.context("rebuilding stories")?;
    writeln!(
        std::io::stdout().lock(),
        "placed {} documents in {} stories; {} alerts re-keyed, {} merged",
        report.documents,
        report.stories,
        report.alerts_rekeyed,
        report.alerts_merged
    )?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn reindex(config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    if config.search.backend == crate::config::SearchBackend::Postgres {
        // The database is the index: every document's lexemes are made again, here and by
        // every running `serve`.
        store.use_lexemes(true).await.context("switching the search lexemes on")?;
        store.requeue_all_lexemes().await.context("queueing the documents")?;
        let mut n = 0;
        loop {
            match store.fill_lexemes(store::LEXEME_BATCH).await.context("filling the lexemes")? {
                0 => break,
                filled => n += filled,
            }
        }
        writeln!(std::io::stdout().lock(), "remade the search lexemes of {n} documents")?;
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let dir = config.index_dir();
    let n = pipeline::rebuild_index(&store, &dir)
        .await
        .with_context(|| format!("rebuilding the index {}", dir.display()))?;
    writeln!(std::io::stdout().lock(), "reindexed {n} documents into {}", dir.display())?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn users(config: &Config, command: UsersCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let now = Utc::now();
    let mut out = std::io::stdout().lock();
    match command {
        UsersCommand::Add { name, role, password_stdin } => {
            let role: Role = role.parse()?;
            check_user_name(&name)?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from stdin")?;
                let p = line.trim_end_matches(['\r', '\n']).to_owned();
                if p.chars().count() < 8 {
                    bail!("the password must have at least 8 characters");
                }
                // The login form refuses longer ones, so such a password could never be used.
                if p.len() > 1024 {
                    bail!("the password must have at most 1024 bytes");
                }
                (p, false)
            } else {
                (dashboard::auth::new_token()[..16].to_owned(), true)
            };
            let hash = dashboard::auth::hash_password(&password)
                .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
            let verb = match store.create_user(&name, &hash, role, now).await {
                Ok(_) => "created",
                Err(store::Error::Conflict(_)) => {
                    store.update_user(&name, &hash, role).await?;
                    "updated"
                }
                Err(e) => return Err(e.into()),
            };
            store
                .audit(
                    None,
                    "user_saved",
                    &format!("user:{name}"),
                    &format!("role={role} via cli"),
                    now,
                )
                .await?;
            writeln!(out, "user {name} {verb} with role {role}")?;
            if verb == "updated" {
                writeln!(out, "their sessions have ended; their API tokens are unchanged")?;
            }
            if generated {
                writeln!(out, "password: {password}")?;
            }
            let (user, _) = existing_user(&store, &name).await?;
            if !user.is_enabled() {
                writeln!(
                    out,
                    "note: {name} is disabled; `langnghe users enable {name}` lets them log in"
                )?;
            }
        }
        UsersCommand::Token { name, label, expires_days } => {
            let (user, _) = existing_user(&store, &name).await?;
            if !user.is_enabled() {
                bail!("user {name:?} is disabled; enable them before creating a token");
            }
            let token = dashboard::auth::new_token();
            let expires = now + chrono::Duration::days(i64::from(expires_days));
            let created = store
                .create_api_token(
                    user.id,
                    &label,
                    &dashboard::auth::token_hash(&token),
                    now,
                    expires,
                )
                .await?;
            store
                .audit(
                    Some(user.id),
                    "api_token_created",
                    &format!("user:{name}"),
                    &format!(
                        "token={} label={label} expires={}",
                        created.id,
                        expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                    now,
                )
                .await?;
            // The token alone on stdout, for scripts; what it is, on stderr.
            writeln!(out, "{token}")?;
            writeln!(
                std::io::stderr().lock(),
                "token {} ({label}) for {name}, expires {}",
                created.id,
                vn_datetime(expires)
            )?;
        }
        UsersCommand::Tokens { name } => {
            let (user, _) = existing_user(&store, &name).await?;
            let tokens = store.api_tokens(user.id).await?;
            if tokens.is_empty() {
                writeln!(out, "{name} has no API tokens")?;
            } else {
                writeln!(
                    out,
                    "{:>5}  {:<20}  {:<16}  {:<16}  {:<16}  state",
                    "id", "label", "created", "last used", "expires"
                )?;
            }
            for t in &tokens {
                let state = if let Some(at) = t.revoked_at {
                    format!("revoked {}", vn_datetime(at))
                } else if !t.is_active(now) {
                    "expired".to_owned()
                } else if !user.is_enabled() {
                    "refused (user disabled)".to_owned()
                } else {
                    "active".to_owned()
                };
                writeln!(
                    out,
                    "{:>5}  {:<20}  {:<16}  {:<16}  {:<16}  {state}",
                    t.id,
                    t.name,
                    vn_datetime(t.created_at),
                    t.last_used_at.map_or_else(|| "never".to_owned(), vn_datetime),
                    vn_datetime(t.expires_at),
                )?;
            }
        }
        UsersCommand::Revoke { name, token, all } => {
            let (user, _) = existing_user(&store, &name).await?;
            let detail = match (token, all) {
                (Some(id), _) => {
                    match store.revoke_api_token(user.id, id, now).await {
                        Ok(_) => {}
                        Err(store::Error::NotFound(_)) => {
                            bail!(
                                "user {name:?} has no API token {id} (see `langnghe users tokens {name}`)"
                            )
                        }
                        Err(e) => return Err(e.into()),
                    }
                    writeln!(out, "token {id} of {name} revoked")?;
                    format!("token={id} via cli")
                }
                (None, true) => {
                    let n = store.revoke_api_tokens(user.id, now).await?;
                    let s = if n == 1 { "" } else { "s" };
                    writeln!(out, "{n} API token{s} of {name} revoked")?;
                    format!("all ({n}) via cli")
                }
                // clap requires one of the two.
                (None, false) => bail!("say which token: --token ID or --all"),
            };
            store.audit(None, "api_token_revoked", &format!("user:{name}"), &detail, now).await?;
        }
        UsersCommand::Disable { name } => {
            let user = match store.disable_user(&name, now).await {
                Err(store::Error::NotFound(_)) => bail!("no user named {name:?}"),
                r => r?,
            };
            store.audit(None, "user_disabled", &format!("user:{name}"), "via cli", now).await?;
            writeln!(
                out,
                "user {name} disabled since {}: sessions ended, API tokens refused",
                vn_datetime(user.disabled_at.unwrap_or(now))
            )?;
        }
        UsersCommand::Enable { name } => {
            match store.enable_user(&name).await {
                Err(store::Error::NotFound(_)) => bail!("no user named {name:?}"),
                r => r?,
            };
            store.audit(None, "user_enabled", &format!("user:{name}"), "via cli", now).await?;
            writeln!(out, "user {name} enabled")?;
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// A name the login form accepts: the form refuses longer names and control characters, so
/// an account named otherwise could never log in.
fn check_user_name(name: &str) -> anyhow::Result<()> {
    if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
        bail!("user name {name:?} must be non-empty and without spaces");
    }
    if name.len() > 64 || name.chars().any(char::is_control) {
        bail!("user name {name:?} must have at most 64 bytes and no control characters");
    }
    Ok(())
}

async fn existing_user(store: &store::Store, name: &str) -> anyhow::Result<(model::User, String)> {
    store.user_by_name(name).await?.with_context(|| format!("no user named {name:?}"))
}

/// A time as administrators in Vietnam read it.
fn vn_datetime(ts: model::Timestamp) -> String {
    model::to_vn_time(ts).format("%Y-%m-%d %H:%M").to_string()
}
