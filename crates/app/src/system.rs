//! Assembling the running system (store, index, rules, pipeline, dashboard, periodic jobs)
//! and running it until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use model::Metrics;
use pipeline::{Pipeline, PipelineConfig};
use rules::{RuleSet, RuleSources};
use search::SearchIndex;
use store::Store;
use tokio::sync::watch;

use crate::cli::ServeRole;
use crate::config::Config;

/// Loads the rule packs and the claims, and runs their examples: the set and every problem
/// found (`crate::claims::load` also gives the claims' similarity index).
pub(crate) fn load_checked(sources: &RuleSources) -> (RuleSet, Vec<rules::Diagnostic>) {
    let loaded = crate::claims::load(sources);
    if !loaded.warnings.is_empty() {
        tracing::info!(
            rules = %crate::claims::describe(sources),
            n_phrasings = loaded.warnings.len(),
            "Claim phrasings typed without diacritics are missed by their query; `langnghe claims check` lists them."
        );
    }
    (loaded.rules, loaded.problems)
}

/// Loads the rule packs, refusing them if any pack has a problem or a failing example.
pub(crate) fn load_rules(sources: &RuleSources) -> anyhow::Result<RuleSet> {
    let (set, diags) = load_checked(sources);
    if !diags.is_empty() {
        let list: Vec<String> = diags.iter().map(ToString::to_string).collect();
        bail!(
            "the rule packs in {} have problems:\n  {}",
            crate::claims::describe(sources),
            list.join("\n  ")
        );
    }
    Ok(set)
}

/// The boards the dashboard shows: the configured directory's, refused if any file has a
/// problem, or the built-in ones.
pub(crate) fn load_boards(config: &Config) -> anyhow::Result<dashboard::Boards> {
    let Some(dir) = &config.dashboards_dir else { return Ok(dashboard::Boards::embedded()) };
    dashboard::Boards::load_dir(dir).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the board files in {} have problems:\n  {}",
            dir.display(),
            list.join("\n  ")
        )
    })
}

pub(crate) async fn open_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    check_writable(&config.data_dir)?;
    let url = config.database_url();
    let store = Store::open(&url)
        .await
        .with_context(|| format!("opening the database {}", store::redact(&url)))?;
    // The configuration was checked when it was read; a schedule that fails here falls back
    // to the built-in one rather than refusing to open the database.
    Ok(store.with_schedule(config.workflow.schedule().unwrap_or_default()))
}

/// Fails at once, naming the directory, when nothing can be written in it: SQLite would
/// otherwise retry until its pool times out and say only that.
fn check_writable(dir: &Path) -> anyhow::Result<()> {
    let probe = dir.join(".langnghe-write-check");
    std::fs::write(&probe, b"").and_then(|()| std::fs::remove_file(&probe)).with_context(|| {
        format!(
            "the data directory {} is not writable: give the user running langnghe write \
                 access to it, or set data_dir to another directory",
            dir.display()
        )
    })
}

pub(crate) fn open_index(config: &Config) -> anyhow::Result<Arc<SearchIndex>> {
    let dir = config.index_dir();
    Ok(Arc::new(
        SearchIndex::open(&dir).with_context(|| format!("opening the index {}", dir.display()))?,
    ))
}

/// The built-in site adapters plus the administrator's files, refusing files with
/// problems (each reported as `file:line:column: message`).
pub(crate) fn load_adapters(files: &[PathBuf]) -> anyhow::Result<extract::Extractor> {
    let mut sources = Vec::with_capacity(files.len());
    for path in files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the adapter file {}", path.display()))?;
        sources.push(extract::AdapterSource::new(path.display().to_string(), text));
    }
    extract::Extractor::with_adapters(&sources)
        .map_err(|e| anyhow::anyhow!("the site adapter files have problems:\n  {e}"))
}

/// Everything a running instance needs.
pub(crate) struct System {
    pub(crate) store: Store,
    /// None in a worker, which stores documents for the web processes' indexes to follow.
    pub(crate) index: Option<Arc<SearchIndex>>,
    /// What `run` runs.
    pub(crate) role: ServeRole,
    pub(crate) pipeline: Pipeline,
    pub(crate) metrics: Arc<Metrics>,
    /// Where the rule packs and claims came from; `run` reloads them from there and
    /// watches the directory.
    pub(crate) rules: RuleSources,
    /// Re-reads the pages that carried an alert's claim, with the pipeline's client.
    pub(crate) refetcher: jobs::Refetcher,
}

impl System {
    pub(crate) async fn open(config: &Config, sources: &RuleSources) -> anyhow::Result<System> {
        System::open_as(config, sources, ServeRole::All).await
    }

    /// Opens what `role` runs: a worker opens no index, so it may share a data directory
    /// with a web process, which holds the index.
    pub(crate) async fn open_as(
        config: &Config,
        sources: &RuleSources,
        role: ServeRole,
    ) -> anyhow::Result<System> {
        // With the PostgreSQL search backend the store answers searches: no index at all.
        let local = config.search.backend == crate::config::SearchBackend::Tantivy;
        let index = if role.serves_web() && local { Some(open_index(config)?) } else { None };
        System::assemble(config, sources, role, index).await
    }

    /// Opens what a command that stores documents once needs (`ingest`): the index, or,
    /// when another process holds it (a running `serve`, whose index follows the store),
    /// none, like a worker. Whether it indexes is whether `index` is set.
    pub(crate) async fn open_storing(
        config: &Config,
        sources: &RuleSources,
    ) -> anyhow::Result<System> {
        if config.search.backend == crate::config::SearchBackend::Postgres {
            // The serving processes fill the stored documents' lexemes.
            return System::assemble(config, sources, ServeRole::All, None).await;
        }
        let dir = config.index_dir();
        match SearchIndex::open(&dir) {
            Ok(index) => {
                System::assemble(config, sources, ServeRole::All, Some(Arc::new(index))).await
            }
            Err(search::Error::Busy { .. }) => {
                tracing::info!(index = %dir.display(), "The index is held by another process; storing without indexing.");
                System::assemble(config, sources, ServeRole::Worker, None).await
            }
            Err(e) => Err(e).with_context(|| format!("opening the index {}", dir.display())),
        }
    }

    async fn assemble(
        config: &Config,
        sources: &RuleSources,
        role: ServeRole,
        index: Option<Arc<SearchIndex>>,
    ) -> anyhow::Result<System> {
        let rules = load_rules(sources)?;
        let store = open_store(config).await?;
        let metrics = Arc::new(Metrics::default());
        metrics.rules_loaded(rules.len() as u64, false);
        let client =
            fetch::Client::new(&config.fetch_config()).context("building the HTTP client")?;
        let pipeline_config = PipelineConfig {
            tick: Duration::from_secs(2),
            fetch_workers: config.fetch.workers,
            max_backoff: Duration::from_secs(config.fetch.max_backoff_secs),
            max_interval: Duration::from_secs(config.fetch.max_interval_secs),
            // A poll under way is renewed; this is how long the sources of a process that
            // died wait for another.
            claim_ttl: Duration::from_secs(2 * config.fetch.timeout_secs.max(5)),
            // A burst of batches commits the index once a second instead of once a batch;
            // commands that ingest once flush it before they return.
            index_commit_every: Duration::from_secs(1),
        };
        tracing::info!(n_rules = rules.len(), data_dir = %config.data_dir.display(), "System opened.");
        let pipeline = match &index {
            Some(index) => Pipeline::new(
                store.clone(),
                index.clone(),
                rules,
                client.clone(),
                metrics.clone(),
                pipeline_config,
            ),
            None => Pipeline::without_index(
                store.clone(),
                rules,
                client.clone(),
                metrics.clone(),
                pipeline_config,
            ),
        }
        .with_extractor(load_adapters(&config.adapters)?)
        .with_official_pages(config.impersonation.official_pages.clone());
        // One client for both, so a site sees one polite crawler.
        let refetcher = jobs::Refetcher::new(client, Arc::new(load_adapters(&config.adapters)?));
        let rules = sources.clone();
        Ok(System { store, index, role, pipeline, metrics, rules, refetcher })
    }

    /// Runs what the role runs until a shutdown signal: the dashboard (`all`, `web`), the
    /// pipeline and the periodic jobs (`all`, `worker`), or the index following the store
    /// (`web`). `ready` is called with the dashboard's address once it accepts connections.
    pub(crate) async fn run(
        self,
        config: &Config,
        listen: &str,
        ready: impl FnOnce(SocketAddr),
    ) -> anyhow::Result<()> {
        let role = self.role;
        let boards = if role.serves_web() { Some(load_boards(config)?) } else { None };
        // Checked before the dashboard listens: a [notify] that cannot work stops start-up.
        let notifier = crate::delivering::notifier(config, &self.store)?;
        let clock = crate::clock::Clock::from_env()?;
        let store_search = config.search.backend == crate::config::SearchBackend::Postgres;
        // The database keeps lexemes only while it is what is searched.
        self.store.use_lexemes(store_search).await.context("switching the search lexemes")?;
        let listener = match (&boards, self.index.is_some() || store_search) {
            (Some(_), true) => Some(
                tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("listening on {listen}"))?,
            ),
            _ => None,
        };
        // Read before the pipeline's own catch-up, which covers every document up to it.
        let others_from = if role.works() && self.index.is_some() {
            Some(self.store.last_document_id().await.context("reading the highest document id")?)
        } else {
            None
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let mut web = None;
        if let (Some(listener), Some(boards)) = (listener, boards) {
            let addr = listener.local_addr()?;
            let state = self.dashboard_state(config, self.index.clone(), boards, &notifier)?;
            web = Some((
                addr,
                tokio::spawn(dashboard::serve(listener, state, stopped(stop_rx.clone()))),
            ));
        }
        // Every process keeps the PostgreSQL search backend's lexemes filled.
        let lexemes = store_search.then(|| {
            tokio::spawn(crate::fulltext::fill_lexemes(
                self.store.clone(),
                stopped(stop_rx.clone()),
            ))
        });
        let watcher = tokio::spawn(crate::reload::watch(
            self.rules.clone(),
            self.pipeline.clone(),
            self.metrics.clone(),
            stopped(stop_rx.clone()),
        ));
        // Spike scans, deadlines, correction tracking, notifications, digests and delivery,
        // each while this process holds its lease.
        let jobs = if role.works() {
            crate::delivering::spawn_jobs(
                crate::delivering::Jobs {
                    store: self.store.clone(),
                    pipeline: self.pipeline.clone(),
                    refetcher: self.refetcher.clone(),
                    config,
                    clock,
                    notifier,
                },
                &stop_rx,
            )
        } else {
            Vec::new()
        };
        // A worker serves no dashboard; it tells a monitoring system its own counters.
        let worker_metrics = match (&web, &config.http.metrics_listen) {
            (None, Some(addr)) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening for /metrics on {addr}"))?;
                tracing::info!(url = %format!("http://{}/metrics", listener.local_addr()?), "Worker metrics listening.");
                Some(tokio::spawn(dashboard::serve_metrics(
                    listener,
                    self.store.clone(),
                    self.metrics.clone(),
                    stopped(stop_rx.clone()),
                )))
            }
            _ => None,
        };
        match &web {
            Some((addr, _)) => ready(*addr),
            None => tracing::info!("Worker running: polling sources and running periodic jobs."),
        }
        // What other processes store (`langnghe ingest` while this runs) is indexed too.
        let others = others_from.map(|from| {
            let (pipeline, stop) = (self.pipeline.clone(), stopped(stop_rx.clone()));
            tokio::spawn(async move { pipeline.follow_others(from, stop).await })
        });
        let result = if role.works() {
            self.pipeline.run(stopped(stop_rx)).await
        } else {
            self.pipeline.follow_store(stopped(stop_rx)).await
        };
        if let Some(others) = others {
            match others.await {
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "Following other processes' documents failed.")
                }
                Err(e) => {
                    tracing::error!(error = %e, "Following other processes' documents panicked.")
                }
                Ok(Ok(())) => {}
            }
        }
        for (job, task) in jobs {
            if let Err(e) = task.await {
                tracing::error!(job, error = %e, "A periodic job panicked.");
            }
        }
        if let Some(Err(e)) = match lexemes {
            Some(task) => Some(task.await),
            None => None,
        } {
            tracing::error!(error = %e, "Filling the search lexemes panicked.");
        }
        if let Err(e) = watcher.await {
            tracing::error!(error = %e, "The rule watcher panicked.");
        }
        if let Some((_, web)) = web {
            match web.await {
                Ok(Err(e)) => tracing::error!(error = %e, "The dashboard server failed."),
                Err(e) => tracing::error!(error = %e, "The dashboard task panicked."),
                Ok(Ok(())) => {}
            }
        }
        if let Some(task) = worker_metrics {
            match task.await {
                Ok(Err(e)) => tracing::error!(error = %e, "The worker metrics server failed."),
                Err(e) => tracing::error!(error = %e, "The worker metrics task panicked."),
                Ok(Ok(())) => {}
            }
        }
        self.store.close().await;
        result.context("running the pipeline")?;
        tracing::info!("Stopped cleanly.");
        Ok(())
    }

    /// The dashboard over this system's store and `index`.
    fn dashboard_state(
        &self,
        config: &Config,
        index: Option<Arc<SearchIndex>>,
        boards: dashboard::Boards,
        notifier: &notify::Notifier,
    ) -> anyhow::Result<dashboard::AppState> {
        let dashboard_config = dashboard::DashboardConfig {
            secure_cookies: config.http.secure_cookies,
            search: config.search_limits(),
            trusted_proxies: dashboard::auth::TrustedProxies::parse(&config.http.trusted_proxies)
                .context("http.trusted_proxies")?,
            ..dashboard::DashboardConfig::default()
        };
        // The admin pages show the rules the pipeline matches with, reloads included.
        let in_use = self.pipeline.clone();
        let state = match index {
            Some(index) => dashboard::AppState::new(
                self.store.clone(),
                index,
                self.metrics.clone(),
                dashboard_config,
            ),
            // Searches go to the PostgreSQL store (`search.backend = "postgres"`).
            None => dashboard::AppState::with_store_search(
                self.store.clone(),
                self.metrics.clone(),
                dashboard_config,
            ),
        };
        Ok(state
            .with_rules(self.rules.dir.clone().unwrap_or_default(), move || in_use.rules())
            .with_rule_sources(self.rules.clone())
            .with_rule_reload({
                let (sources, pipeline, metrics) =
                    (self.rules.clone(), self.pipeline.clone(), self.metrics.clone());
                move || match crate::reload::reload(&sources, &pipeline, &metrics) {
                    crate::reload::Reload::Applied { rules } => Ok(rules),
                    crate::reload::Reload::Refused { problems } => Err(problems),
                }
            })
            .with_boards(boards)
            .with_delivery(crate::delivering::delivery_options(
                notifier,
                crate::delivering::letterhead(config),
            ))
            .with_reports(config.report.settings()?))
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "Cannot listen for Ctrl-C.");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "Cannot listen for SIGTERM.");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("Shutdown requested.");
}
