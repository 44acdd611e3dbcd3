//! `/metrics` in the Prometheus text exposition format: the dashboard's route, and the
//! listener a worker process serves it on alone ([`serve_metrics`]).

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use model::Metrics;
use store::Store;

use crate::AppState;
use crate::error::AppError;

const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub(crate) async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let counts = state.store.counts().await?;
    // Without an index of its own, what is searchable is what has its lexemes.
    let searchable = match &state.index {
        Some(index) => index.num_docs(),
        None => {
            let pending = u64::try_from(state.store.lexemes_pending().await?).unwrap_or_default();
            u64::try_from(counts.documents).unwrap_or_default().saturating_sub(pending)
        }
    };
    Ok((
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        exposition(&counts, Some(searchable), &state.metrics),
    ))
}

/// Serves `/metrics` alone on `listener` until `shutdown` completes: what a worker
/// process, which serves no dashboard, tells a monitoring system about its polls and
/// stages (the store's counts are the same in every process; searchable documents are the
/// web processes' to tell).
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    store: Store,
    metrics: Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    async fn worker_metrics(
        State((store, metrics)): State<(Store, Arc<Metrics>)>,
    ) -> Result<impl IntoResponse, AppError> {
        let counts = store.counts().await?;
        Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], exposition(&counts, None, &metrics)))
    }
    let app = Router::new().route("/metrics", get(worker_metrics)).with_state((store, metrics));
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// The exposition of the store's counts, the searchable documents when this process
/// searches, and this process's counters and stage times.
fn exposition(counts: &store::Counts, searchable: Option<u64>, metrics: &Metrics) -> String {
    let m = metrics.snapshot();
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, kind: &str, value: String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    gauge("langnghe_documents", "Documents in the store.", "gauge", counts.documents.to_string());
    gauge("langnghe_rule_hits", "Rule hits in the store.", "gauge", counts.hits.to_string());
    gauge("langnghe_alerts", "Alerts in the store, any state.", "gauge", counts.alerts.to_string());
    gauge("langnghe_alerts_open", "Alerts not closed.", "gauge", counts.open_alerts.to_string());
    gauge("langnghe_sources", "Configured sources.", "gauge", counts.sources.to_string());
    gauge(
        "langnghe_sources_failing",
        "Sources whose last poll failed.",
        "gauge",
        counts.failing_sources.to_string(),
    );
    if let Some(searchable) = searchable {
        gauge("langnghe_index_documents", "Searchable documents.", "gauge", searchable.to_string());
    }
    gauge("langnghe_polls_total", "Polls since start.", "counter", m.polls.to_string());
    gauge(
        "langnghe_fetch_errors_total",
        "Failed polls since start.",
        "counter",
        m.poll_errors.to_string(),
    );
    gauge(
        "langnghe_not_modified_total",
        "Polls answered 304 since start.",
        "counter",
        m.not_modified.to_string(),
    );
    gauge(
        "langnghe_items_seen_total",
        "Feed items seen since start.",
        "counter",
        m.items_seen.to_string(),
    );
    gauge(
        "langnghe_documents_added_total",
        "Documents added since start.",
        "counter",
        m.documents_added.to_string(),
    );
    gauge(
        "langnghe_duplicates_total",
        "Items dropped as duplicates since start.",
        "counter",
        m.duplicates.to_string(),
    );
    gauge("langnghe_hits_total", "Rule hits since start.", "counter", m.hits.to_string());
    gauge("langnghe_rules", "Rules in the active rule set.", "gauge", m.rules_loaded.to_string());
    gauge(
        "langnghe_rule_reloads_total",
        "Rule sets swapped in since start.",
        "counter",
        m.rule_reloads.to_string(),
    );
    gauge(
        "langnghe_rule_reload_failures_total",
        "Rule reloads refused because a pack had problems.",
        "counter",
        m.rule_reload_failures.to_string(),
    );
    let _ = writeln!(
        out,
        "# HELP langnghe_stage_seconds Time spent per pipeline stage.\n# TYPE langnghe_stage_seconds summary"
    );
    for (stage, n, secs) in &m.stages {
        let _ = writeln!(out, "langnghe_stage_seconds_sum{{stage=\"{stage}\"}} {secs}");
        let _ = writeln!(out, "langnghe_stage_seconds_count{{stage=\"{stage}\"}} {n}");
    }
    out
}
