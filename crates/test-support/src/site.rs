//! A web site on 127.0.0.1 for tests and benchmarks: a table of pages (path to status,
//! content type, body and headers) that the test changes while the site runs, an optional
//! handler for what a table cannot say (answers computed per request, bytes sent raw and
//! slowly), conditional GET against the pages' `ETag` and `Last-Modified`, and a log of
//! every request to count and inspect.
//!
//! The site runs on a thread of its own with its own runtime, so synchronous tests (that
//! run the binary and wait for it) and asynchronous ones use it alike, and a test whose
//! runtime is busy cannot starve it. It answers one request per connection
//! (`Connection: close`) and stops when the [`Site`] is dropped.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::DateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A request as the site read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, `POST`…
    pub method: String,
    /// The request target as sent: the path with its query, if any.
    pub path: String,
    /// The header fields in the order sent, names as spelt by the client.
    pub headers: Vec<(String, String)>,
    /// The body (as long as its `Content-Length` said).
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of the header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether this request's validators say the client already has the representation
    /// with these `etag` and `last_modified`: the test of RFC 9110 §13.2.2, where
    /// `If-None-Match` (weak comparison) decides when sent and `If-Modified-Since` is read
    /// only without it.
    pub fn is_unchanged(&self, etag: Option<&str>, last_modified: Option<&str>) -> bool {
        if let Some(tags) = self.header("If-None-Match") {
            let Some(etag) = etag else { return false };
            let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
            return tags.split(',').any(|t| t.trim() == "*" || opaque(t) == opaque(etag));
        }
        let (Some(since), Some(modified)) = (self.header("If-Modified-Since"), last_modified)
        else {
            return false;
        };
        match (http_date(since), http_date(modified)) {
            (Some(since), Some(modified)) => modified <= since,
            _ => false,
        }
    }
}

/// Seconds since the epoch of an HTTP date (`Wed, 14 Feb 2024 14:00:00 GMT`).
fn http_date(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc2822(text.trim()).ok().map(|d| d.timestamp())
}

/// One page of the site: what is sent for a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`, if one is sent.
    pub content_type: Option<String>,
    /// The body; its length is sent as `Content-Length`.
    pub body: Vec<u8>,
    /// Further header fields (`ETag`, `Location`, `Retry-After`, `Cache-Control`…).
    pub headers: Vec<(String, String)>,
    /// How long the site waits before it answers.
    pub delay: Duration,
    /// Whether an `ETag` made from the body is sent (unless `headers` has one), so that a
    /// test that replaces the body gets a new tag without choosing one.
    pub etag_from_body: bool,
}

impl Page {
    /// A page with `status`, no body and no header fields.
    pub fn status(status: u16) -> Page {
        Page {
            status,
            content_type: None,
            body: Vec::new(),
            headers: Vec::new(),
            delay: Duration::ZERO,
            etag_from_body: false,
        }
    }

    /// 200 with `body` of `content_type`.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Page {
        Page { content_type: Some(content_type.to_owned()), body: body.into(), ..Page::status(200) }
    }

    /// 404 with no body: what the site answers for a path it does not know.
    pub fn not_found() -> Page {
        Page::status(404)
    }

    /// A redirect (`status` 301, 302, 307…) to `location`.
    pub fn redirect(status: u16, location: &str) -> Page {
        Page::status(status).with_header("Location", location)
    }

    /// This page with the header field `name: value` added.
    pub fn with_header(mut self, name: &str, value: &str) -> Page {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// This page with `body`.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Page {
        self.body = body.into();
        self
    }

    /// This page, answered after `delay`.
    pub fn with_delay(mut self, delay: Duration) -> Page {
        self.delay = delay;
        self
    }

    /// This page with an `ETag` made from its body (see [`Page::etag_from_body`]).
    pub fn with_etag_from_body(mut self) -> Page {
        self.etag_from_body = true;
        self
    }

    /// The value of the header field `name` among [`Page::headers`] (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The `ETag` sent with the page: its own header, or one made from the body.
    pub fn etag(&self) -> Option<String> {
        if let Some(tag) = self.header("ETag") {
            return Some(tag.to_owned());
        }
        self.etag_from_body.then(|| {
            let mut hasher = DefaultHasher::new();
            self.body.hash(&mut hasher);
            format!("\"{:x}-{:016x}\"", self.body.len(), hasher.finish())
        })
    }

    /// The page as sent in answer to `request`: 304 when it is a 200 with validators the
    /// request already has, without a body for `HEAD`.
    fn render(&self, request: &Request) -> Vec<u8> {
        let etag = self.etag();
        let derived = etag.as_deref().filter(|_| self.header("ETag").is_none());
        let conditional = matches!(request.method.as_str(), "GET" | "HEAD");
        if self.status == 200
            && conditional
            && request.is_unchanged(etag.as_deref(), self.header("Last-Modified"))
        {
            // A 304 carries the fields a cache updates its stored response with
            // (RFC 9110 §15.4.5), and no body.
            let mut head = String::from("HTTP/1.1 304 Not Modified\r\nConnection: close\r\n");
            if let Some(tag) = derived {
                head.push_str(&format!("ETag: {tag}\r\n"));
            }
            const KEPT: [&str; 7] = [
                "ETag",
                "Last-Modified",
                "Cache-Control",
                "Expires",
                "Vary",
                "Content-Location",
                "Date",
            ];
            for (name, value) in &self.headers {
                if KEPT.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
            }
            head.push_str("\r\n");
            return head.into_bytes();
        }
        let mut head =
            format!("HTTP/1.1 {} {}\r\nConnection: close\r\n", self.status, reason(self.status));
        if let Some(content_type) = &self.content_type {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        if let Some(tag) = derived {
            head.push_str(&format!("ETag: {tag}\r\n"));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let bodiless = self.status == 304 || self.status == 204 || self.status < 200;
        if !bodiless {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        if !bodiless && request.method != "HEAD" {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

/// The reason phrase for `status` (clients ignore it; people reading a capture do not).
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// One step of a raw answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send these bytes as they are.
    Send(Vec<u8>),
    /// Wait, sending nothing.
    Sleep(Duration),
}

/// What a handler answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A page, sent as the table's pages are (with conditional GET).
    Page(Page),
    /// Bytes and pauses, in order, then the connection closes: for answers no well-formed
    /// page gives (a body that stalls, trickles, never ends or is shorter than declared).
    Raw(Vec<Step>),
}

impl From<Page> for Reply {
    fn from(page: Page) -> Reply {
        Reply::Page(page)
    }
}

/// What answers the paths the table has no page for.
pub type Handler = Box<dyn Fn(&Request) -> Reply + Send + Sync>;

/// What the serving thread and the test share.
struct Shared {
    pages: Mutex<HashMap<String, Page>>,
    handler: Option<Handler>,
    received: Mutex<Vec<Request>>,
    open: AtomicUsize,
    peak: AtomicUsize,
}

/// A poisoned lock means a test already failed on another thread; its data is still the
/// best account of what happened.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running site on 127.0.0.1; stopped when dropped.
pub struct Site {
    base: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site").field("base", &self.base).finish_non_exhaustive()
    }
}

impl Site {
    /// A site answering from its table only: 404 for every path until pages are put.
    ///
    /// Panics when no port on 127.0.0.1 can be bound.
    pub fn start() -> Site {
        Site::try_start(None).unwrap_or_else(|e| panic!("starting a site on 127.0.0.1: {e}"))
    }

    /// A site where `handler` answers every path the table has no page for.
    ///
    /// Panics when no port on 127.0.0.1 can be bound.
    pub fn with_handler<F>(handler: F) -> Site
    where
        F: Fn(&Request) -> Reply + Send + Sync + 'static,
    {
        Site::try_start(Some(Box::new(handler)))
            .unwrap_or_else(|e| panic!("starting a site on 127.0.0.1: {e}"))
    }

    /// [`Site::start`] or [`Site::with_handler`], with the error instead of a panic.
    pub fn try_start(handler: Option<Handler>) -> io::Result<Site> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let listener = {
            let _context = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let shared = Arc::new(Shared {
            pages: Mutex::default(),
            handler,
            received: Mutex::default(),
            open: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = shared.clone();
        let thread = std::thread::Builder::new().name(format!("site {addr}")).spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = accept(listener, serving) => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime here cancels the connections still being answered.
        })?;
        Ok(Site {
            base: format!("http://{addr}"),
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The address the site listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of `path` (which starts with `/`) on this site.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Serves `page` at `path` (matched exactly, query included) from now on, in place of
    /// whatever was there.
    pub fn put(&self, path: &str, page: Page) {
        lock(&self.shared.pages).insert(path.to_owned(), page);
    }

    /// Stops serving `path` from the table; returns the page that was there.
    pub fn remove(&self, path: &str) -> Option<Page> {
        lock(&self.shared.pages).remove(path)
    }

    /// The page the table has at `path`.
    pub fn page(&self, path: &str) -> Option<Page> {
        lock(&self.shared.pages).get(path).cloned()
    }

    /// How many requests asked for `path` (matched exactly, query included).
    pub fn requests(&self, path: &str) -> usize {
        lock(&self.shared.received).iter().filter(|r| r.path == path).count()
    }

    /// How many requests the site has read.
    pub fn total_requests(&self) -> usize {
        lock(&self.shared.received).len()
    }

    /// Every request read so far, oldest first.
    pub fn received(&self) -> Vec<Request> {
        lock(&self.shared.received).clone()
    }

    /// The most connections that were open at once.
    pub fn peak_connections(&self) -> usize {
        self.shared.peak.load(Ordering::SeqCst)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(connection(stream, shared.clone()));
    }
}

/// Counts a connection as open for as long as it lives.
struct Open<'a>(&'a AtomicUsize);

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let now = shared.open.fetch_add(1, Ordering::SeqCst) + 1;
    let _open = Open(&shared.open);
    shared.peak.fetch_max(now, Ordering::SeqCst);
    let Some(request) = read_request(&mut stream).await else { return };
    lock(&shared.received).push(request.clone());
    let page = lock(&shared.pages).get(&request.path).cloned();
    let reply = match (page, &shared.handler) {
        (Some(page), _) => Reply::Page(page),
        (None, Some(handler)) => handler(&request),
        (None, None) => Reply::Page(Page::not_found()),
    };
    let steps = match reply {
        Reply::Page(page) => vec![Step::Sleep(page.delay), Step::Send(page.render(&request))],
        Reply::Raw(steps) => steps,
    };
    for step in steps {
        match step {
            Step::Send(bytes) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
                let _ = stream.flush().await;
            }
            Step::Sleep(pause) => tokio::time::sleep(pause).await,
        }
    }
    let _ = stream.shutdown().await;
}

/// Reads one request: the head, then as much body as `Content-Length` says. `None` when the
/// client goes away first or sends something that is not HTTP.
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buf[end..end + length].to_vec();
    Some(Request { method, path, headers, body })
}
