//! A loopback HTTP server for the rendered demo files, with conditional GET.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, Uri, header};
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::{FeedFile, Outlet, render};

struct Served {
    file: FeedFile,
    etag: String,
}

struct Shared {
    files: std::sync::RwLock<HashMap<String, Served>>,
    last_modified: String,
    full: AtomicU64,
    not_modified: AtomicU64,
}

/// A running demo feed server. Dropping it stops the server.
pub struct FeedServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl std::fmt::Debug for FeedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

fn etag_of(body: &str) -> String {
    // FNV-1a: stable across runs and enough to tell versions of a small file apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

impl FeedServer {
    /// Serves `outlets` on `127.0.0.1:port` (0 picks a free port), rendered at `now`.
    pub async fn start(
        outlets: &[Outlet],
        port: u16,
        now: DateTime<Utc>,
    ) -> std::io::Result<FeedServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let files = render(outlets, &base, now)
            .into_iter()
            .map(|f| (f.path.clone(), Served { etag: etag_of(&f.body), file: f }))
            .collect();
        let shared = Arc::new(Shared {
            files: std::sync::RwLock::new(files),
            last_modified: now.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            full: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
        });
        let app = Router::new().fallback(serve).with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let result = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = result {
                tracing::error!(error = %error, "Demo feed server failed.");
            }
        });
        Ok(FeedServer { addr, shared, stop: Some(stop) })
    }

    /// The server's origin, such as `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The feeds served: (outlet name, absolute URL, tier).
    pub fn feeds(&self) -> Vec<(String, String, String)> {
        let files = self.shared.files.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut feeds: Vec<_> = files
            .values()
            .filter(|s| !s.file.outlet.is_empty())
            .map(|s| {
                (
                    s.file.outlet.clone(),
                    format!("{}{}", self.base_url(), s.file.path),
                    s.file.tier.clone(),
                )
            })
            .collect();
        feeds.sort();
        feeds
    }

    /// Responses sent so far: (full 200 responses, 304 responses).
    pub fn response_counts(&self) -> (u64, u64) {
        (self.shared.full.load(Ordering::Relaxed), self.shared.not_modified.load(Ordering::Relaxed))
    }

    /// Replaces or adds a file at `path` (for tests that publish new items).
    pub fn put(&self, path: &str, content_type: &'static str, body: String) {
        let mut files =
            self.shared.files.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let file = FeedFile {
            path: path.to_owned(),
            content_type,
            body,
            outlet: String::new(),
            tier: String::new(),
        };
        files.insert(path.to_owned(), Served { etag: etag_of(&file.body), file });
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response<Body> {
    let files = shared.files.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(served) = files.get(uri.path()) else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from("not found"))
            .unwrap_or_default();
    };
    let etag = HeaderValue::from_str(&served.etag).unwrap_or(HeaderValue::from_static("\"0\""));
    let unchanged = headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == etag)
        || (headers.get(header::IF_NONE_MATCH).is_none()
            && headers
                .get(header::IF_MODIFIED_SINCE)
                .is_some_and(|v| v.as_bytes() == shared.last_modified.as_bytes()));
    let builder = Response::builder()
        .header(header::ETAG, etag)
        .header(header::LAST_MODIFIED, shared.last_modified.as_str())
        .header(header::CACHE_CONTROL, "max-age=60");
    if unchanged {
        shared.not_modified.fetch_add(1, Ordering::Relaxed);
        return builder.status(StatusCode::NOT_MODIFIED).body(Body::empty()).unwrap_or_default();
    }
    shared.full.fetch_add(1, Ordering::Relaxed);
    builder
        .header(header::CONTENT_TYPE, served.file.content_type)
        .body(Body::from(served.file.body.clone()))
        .unwrap_or_default()
}
