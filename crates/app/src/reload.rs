//! Reloading the rule packs while the system runs: on SIGHUP, or when a pack or claim file
//! in the rules directory is added, changed or removed (the built-in ones cannot change).
//!
//! A new set replaces the old one only when every pack loads and every example passes;
//! otherwise the problems are logged and the running set stays. The pipeline swaps the set
//! between batches, so no document is ever matched by a half-loaded set.

use std::path::{Path, PathBuf};

use rules::RuleSources;
use std::time::{Duration, SystemTime};

use model::Metrics;
use pipeline::Pipeline;

use crate::system::load_checked;

/// How often the directory is looked at.
const POLL: Duration = Duration::from_secs(1);

/// What identifies the directory's content without reading it: every pack's name, size
/// and modification time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Fingerprint(Vec<(PathBuf, u64, Option<SystemTime>)>);

impl Fingerprint {
    pub(crate) fn of(dir: &Path) -> Fingerprint {
        // The claim files are rules too.
        let claims = dir.join(rules::claims::CLAIMS_DIR);
        let mut files: Vec<(PathBuf, u64, Option<SystemTime>)> = std::fs::read_dir(dir)
            .into_iter()
            .chain(std::fs::read_dir(claims))
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((e.path(), meta.len(), meta.modified().ok()))
            })
            .collect();
        files.sort();
        Fingerprint(files)
    }
}

/// Outcome of one reload attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reload {
    /// The new set is in use.
    Applied {
        /// Its number of rules.
        rules: usize,
    },
    /// The packs have problems; the previous set is still in use.
    Refused {
        /// The problems, as `file:line:column: message`.
        problems: Vec<String>,
    },
}

/// Loads the packs and claims of `sources` and swaps them in if they are clean.
pub(crate) fn reload(sources: &RuleSources, pipeline: &Pipeline, metrics: &Metrics) -> Reload {
    let place = crate::claims::describe(sources);
    let (set, problems) = load_checked(sources);
    if !problems.is_empty() {
        metrics.rule_reload_failed();
        let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
        for p in &problems {
            tracing::warn!(rules = %place, problem = %p, "Rule pack problem.");
        }
        tracing::warn!(
            rules = %place,
            n_problems = problems.len(),
            n_rules = pipeline.rules().len(),
            "Rule reload refused: the previous rules stay in use."
        );
        return Reload::Refused { problems };
    }
    let rules = set.len();
    pipeline.set_rules(set);
    metrics.rules_loaded(rules as u64, true);
    tracing::info!(rules = %place, n_rules = rules, "Rules reloaded.");
    Reload::Applied { rules }
}

/// Watches the directory of `sources` until `shutdown` completes, reloading on SIGHUP and
/// on changes (a directory that does not exist yet is watched for its creation).
pub(crate) async fn watch(
    sources: RuleSources,
    pipeline: Pipeline,
    metrics: std::sync::Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let dir = sources.dir.clone().unwrap_or_default();
    let mut hangup = hangup_signals();
    let mut seen = Fingerprint::of(&dir);
    loop {
        let reason = tokio::select! {
            () = &mut shutdown => return,
            () = next_hangup(&mut hangup) => "SIGHUP",
            () = tokio::time::sleep(POLL) => {
                let now = Fingerprint::of(&dir);
                if now == seen {
                    continue;
                }
                // Editors and `cp` write in several steps: wait until the files settle.
                tokio::time::sleep(Duration::from_millis(300)).await;
                if Fingerprint::of(&dir) != now {
                    continue;
                }
                "change"
            }
        };
        seen = Fingerprint::of(&dir);
        tracing::info!(rules_dir = %dir.display(), reason, "Reloading rules.");
        let (sources, pipeline, metrics) = (sources.clone(), pipeline.clone(), metrics.clone());
        // Loading compiles every rule: keep it off the async workers.
        let outcome =
            tokio::task::spawn_blocking(move || reload(&sources, &pipeline, &metrics)).await;
        if let Err(e) = outcome {
            tracing::error!(error = %e, "The rule reload panicked.");
        }
    }
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = ();

#[cfg(unix)]
fn hangup_signals() -> Hangup {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(error = %e, "Cannot listen for SIGHUP; rules reload on file changes only.");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangup_signals() -> Hangup {}

#[cfg(unix)]
async fn next_hangup(signal: &mut Hangup) {
    match signal {
        Some(s) => {
            if s.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangup) {
    std::future::pending::<()>().await
}
