//! The web dashboard and JSON API: the only crate that knows axum.
//!
//! Pages are rendered on the server from compiled askama templates, in Vietnamese, with
//! every piece of scraped text escaped (askama escapes by default; highlights are passed as
//! fragments, never as HTML). Pages need a login session (argon2 passwords, an HttpOnly
//! SameSite cookie, a CSRF token on every form); the API under `/api/v1/` needs a bearer
//! token. `/healthz` and `/metrics` are open, for probes and Prometheus.
#![warn(missing_docs)]

mod admin;
mod alert_page;
mod api;
pub mod auth;
mod board;
mod calendar;
mod claim_form;
mod digest_view;
mod directory;
mod error;
mod finding;
mod kpi;
mod live;
mod metrics;
mod notifications;
mod openapi;
mod pages;
mod params;
mod reports;
mod searching;
mod spikes;
mod stories;
mod trends;
mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
pub use board::{BoardProblem, Boards};
pub use metrics::serve_metrics;
use model::Metrics;
pub use notifications::{DeliveryOptions, TestMessage};
pub use reports::{ReportSettings, health_day_windows, province_names, report_request};
use search::SearchIndex;
pub use searching::SearchLimits;
use store::Store;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct DashboardConfig {
    /// Mark cookies `Secure` (set when served over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// How long a login lasts.
    pub session_ttl: Duration,
    /// Login attempts that may fail per client address (an IPv4 address or an IPv6 /64)
    /// within `login_window`; more are answered 429 until the window ends.
    pub login_attempts: u32,
    /// The window for counting failed logins.
    pub login_window: Duration,
    /// The longest a login on an account with recent failures is held back. Failures from
    /// any address add to the delay, so guessing is slowed, but never refused for the owner.
    pub login_delay_max: Duration,
    /// How many clients, accounts and audit entries the login limiter remembers at most.
    pub login_tracked_keys: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client; empty trusts nobody.
    pub trusted_proxies: auth::TrustedProxies,
    /// How searches are run.
    pub search: SearchLimits,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            login_attempts: 10,
            login_window: Duration::from_secs(15 * 60),
            login_delay_max: Duration::from_secs(2),
            login_tracked_keys: 10_000,
            trusted_proxies: auth::TrustedProxies::default(),
            search: SearchLimits::default(),
        }
    }
}

/// Everything the handlers share.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    /// None when searches go to the PostgreSQL store (`AppState::with_store_search`).
    index: Option<Arc<SearchIndex>>,
    metrics: Arc<Metrics>,
    config: Arc<DashboardConfig>,
    limiter: Arc<auth::LoginLimiter>,
    searches: Arc<searching::SearchPool>,
    /// The running rule packs, for the admin pages (see `AppState::with_rules`).
    rules: Option<admin::RulesHandle>,
    /// The boards pages show (see `AppState::with_boards`).
    boards: Arc<Boards>,
    /// Live updates to every open page.
    live: live::Hub,
    /// The channels the notification pages offer (see `AppState::with_delivery`).
    delivery: Arc<notifications::DeliveryOptions>,
    /// How period reports are made (see `AppState::with_reports`).
    reports: Arc<reports::ReportSettings>,
    /// The sources' names and tiers, as searches label their results.
    sources: Arc<directory::SourceDirectory>,
}

impl AppState {
    /// Assembles the state.
    pub fn new(
        store: Store,
        index: Arc<SearchIndex>,
        metrics: Arc<Metrics>,
        config: DashboardConfig,
    ) -> AppState {
        let searches = Arc::new(searching::SearchPool::new(index.clone(), config.search));
        AppState::assemble(store, Some(index), searches, metrics, config)
    }

    /// Assembles the state of a process whose searches the PostgreSQL store answers
    /// (`search.backend = "postgres"`): it holds no index of its own.
    pub fn with_store_search(
        store: Store,
        metrics: Arc<Metrics>,
        config: DashboardConfig,
    ) -> AppState {
        let searches = Arc::new(searching::SearchPool::postgres(store.clone(), config.search));
        AppState::assemble(store, None, searches, metrics, config)
    }

    fn assemble(
        store: Store,
        index: Option<Arc<SearchIndex>>,
        searches: Arc<searching::SearchPool>,
        metrics: Arc<Metrics>,
        config: DashboardConfig,
    ) -> AppState {
        let limiter = Arc::new(auth::LoginLimiter::new(&config));
        AppState {
            store,
            index,
            metrics,
            config: Arc::new(config),
            limiter,
            searches,
            rules: None,
            boards: Arc::new(Boards::embedded()),
            live: live::Hub::default(),
            delivery: Arc::default(),
            reports: Arc::default(),
            sources: Arc::default(),
        }
    }
}

/// The whole application: pages, API, health and metrics.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::board))
        .route("/documents/{id}", get(pages::document))
        .route("/stories", get(stories::list_page))
        .route("/stories/{id}", get(stories::story_page))
        .route("/trends", get(trends::page))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .merge(admin::routes())
        .merge(alert_page::routes())
        .merge(kpi::routes())
        .merge(calendar::routes())
        .merge(digest_view::routes())
        .merge(notifications::routes())
        .merge(reports::routes())
        .merge(board::routes())
        .merge(claim_form::routes())
        .merge(live::routes())
        .merge(finding::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::metrics))
        .nest("/api/v1", api_routes())
        .route("/static/style.css", get(pages::stylesheet))
        .fallback(pages::not_found)
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn(auth::no_store))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// The JSON API, answering JSON whatever happens.
fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(api::alerts))
        .route("/stories", get(stories::list_api))
        .route("/stories/{id}", get(stories::story_api))
        .route("/trends", get(trends::api))
        .route("/openapi.json", get(openapi::description))
        .merge(admin::api_routes())
        .merge(alert_page::api_routes())
        .merge(kpi::api_routes())
        .merge(board::api_routes())
        .merge(finding::api_routes())
        .fallback(api::not_found)
        .layer(axum::middleware::map_response(api::json_errors))
}

async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // Scripts, styles and connections only from this origin (the one script is the live
    // updates' file, never inline): scraped text that slipped through escaping still could
    // not run.
    // A page that needs more (the digest's inline styles and chart) sets its own policy.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
    response
}

/// Serves the dashboard on `listener` until `shutdown` completes. Handlers see each
/// connection's peer address (login throttling counts by client address).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Live streams never end by themselves: they are closed when the server stops, or it
    // would wait for them forever.
    let live = state.live.clone();
    let shutdown = async move {
        shutdown.await;
        live.close();
    };
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
