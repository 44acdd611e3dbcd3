//! The client against real HTTP servers on 127.0.0.1, each misbehaving in one way a real
//! site does: stalling, trickling, answering 304 or 429, redirecting in circles, sending a
//! huge body or a gzip bomb, forbidding us in robots.txt, living at a private address, or
//! redirecting to a cloud metadata service.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fetch::{Access, Client, Error, FetchConfig, Fetched, Validators};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the handler sees of a request.
#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A step of a scripted response.
enum Step {
    Send(Vec<u8>),
    Sleep(Duration),
}

fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A loopback server that answers each request with the steps `handler` returns, and
/// counts requests and the most connections open at once.
struct Server {
    base: String,
    requests: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Server {
    async fn start<F>(handler: F) -> Server
    where
        F: Fn(Request) -> Vec<Step> + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let handler = Arc::new(handler);
        let (r, p) = (requests.clone(), peak.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { break };
                let (handler, r, p, open) = (handler.clone(), r.clone(), p.clone(), open.clone());
                tokio::spawn(async move {
                    let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                    p.fetch_max(now, Ordering::SeqCst);
                    serve(stream, &*handler, &r).await;
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Server { base, requests, peak }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn serve<F: Fn(Request) -> Vec<Step>>(mut stream: TcpStream, handler: &F, n: &AtomicUsize) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let mut lines = head.split("\r\n");
    let path = lines.next().unwrap_or_default().split(' ').nth(1).unwrap_or("/").to_owned();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())))
        .collect();
    n.fetch_add(1, Ordering::SeqCst);
    for step in handler(Request { path, headers }) {
        match step {
            Step::Send(bytes) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
                let _ = stream.flush().await;
            }
            Step::Sleep(d) => tokio::time::sleep(d).await,
        }
    }
    let _ = stream.shutdown().await;
}

fn ok(body: &str) -> Vec<Step> {
    vec![Step::Send(response(
        "200 OK",
        &[("Content-Type", "application/rss+xml")],
        body.as_bytes(),
    ))]
}

fn not_found() -> Vec<Step> {
    vec![Step::Send(response("404 Not Found", &[], b"not found"))]
}

fn config() -> FetchConfig {
    FetchConfig { host_delay: Duration::ZERO, ..FetchConfig::default() }
}

async fn get(client: &Client, url: &str) -> fetch::Result<Fetched> {
    client.get(url, &Validators::default(), Access::Private).await
}

#[tokio::test]
async fn conditional_get_gets_a_304_and_a_freshness_hint() {
    let server = Server::start(|r| {
        if r.path == "/robots.txt" {
            return not_found();
        }
        if r.header("If-None-Match") == Some("\"v1\"") {
            return vec![Step::Send(response(
                "304 Not Modified",
                &[("Cache-Control", "max-age=900")],
                b"",
            ))];
        }
        vec![Step::Send(response(
            "200 OK",
            &[("ETag", "\"v1\""), ("Last-Modified", "Wed, 14 Feb 2024 14:00:00 GMT")],
            b"<rss/>",
        ))]
    })
    .await;
    let client = Client::new(&config()).unwrap();
    let Fetched::Body(first) = get(&client, &server.url("/feed")).await.unwrap() else {
        panic!("expected a body")
    };
    assert_eq!(first.validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(first.bytes, b"<rss/>");
    let again = client.get(&server.url("/feed"), &first.validators, Access::Private).await.unwrap();
    assert_eq!(again, Fetched::NotModified { fresh_for: Some(Duration::from_secs(900)) });
}

#[tokio::test]
async fn rate_limits_report_retry_after() {
    let server = Server::start(|r| {
        if r.path == "/robots.txt" {
            return not_found();
        }
        let wait = if r.path == "/date" { "Wed, 21 Oct 2099 07:28:00 GMT" } else { "120" };
        vec![Step::Send(response("429 Too Many Requests", &[("Retry-After", wait)], b"slow down"))]
    })
    .await;
    let client = Client::new(&config()).unwrap();
    match get(&client, &server.url("/feed")).await {
        Err(Error::Status { status: 429, retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)))
        }
        other => panic!("{other:?}"),
    }
    match get(&client, &server.url("/date")).await {
        // A date far in the future is capped at a week.
        Err(Error::Status { status: 429, retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(7 * 24 * 3600)))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn stalled_and_trickling_servers_time_out() {
    let server = Server::start(|r| match r.path.as_str() {
        "/robots.txt" => not_found(),
        // Headers, then silence.
        "/stall" => vec![
            Step::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc".to_vec()),
            Step::Sleep(Duration::from_secs(30)),
        ],
        // A byte every 300 ms: never silent for long, but never done either.
        _ => {
            let mut steps =
                vec![Step::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec())];
            for _ in 0..1000 {
                steps.push(Step::Send(b"x".to_vec()));
                steps.push(Step::Sleep(Duration::from_millis(300)));
            }
            steps
        }
    })
    .await;
    let client = Client::new(&FetchConfig {
        read_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(3),
        ..config()
    })
    .unwrap();
    let started = Instant::now();
    let e = get(&client, &server.url("/stall")).await.unwrap_err();
    assert!(matches!(e, Error::Network { .. }), "{e}");
    assert!(e.to_string().contains("timed out") || e.to_string().contains("timeout"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let started = Instant::now();
    let e = get(&client, &server.url("/trickle")).await.unwrap_err();
    assert!(matches!(e, Error::Network { .. }), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[tokio::test]
async fn redirect_loops_and_chains_stop() {
    let server = Server::start(|r| {
        let to = match r.path.as_str() {
            "/robots.txt" => return not_found(),
            "/a" => "/b".to_owned(),
            "/b" => "/a".to_owned(),
            "/final" => return ok("<rss/>"),
            p => {
                // /chain/N redirects to /chain/N-1, and /chain/0 to /final.
                let n: usize = p.trim_start_matches("/chain/").parse().unwrap_or(0);
                if n == 0 { "/final".to_owned() } else { format!("/chain/{}", n - 1) }
            }
        };
        vec![Step::Send(response("302 Found", &[("Location", &to)], b""))]
    })
    .await;
    let client = Client::new(&config()).unwrap();
    let e = get(&client, &server.url("/a")).await.unwrap_err();
    assert!(matches!(&e, Error::Redirect { message, .. } if message.contains("loop")), "{e}");
    let e = get(&client, &server.url("/chain/9")).await.unwrap_err();
    assert!(
        matches!(&e, Error::Redirect { message, .. } if message.contains("more than 5")),
        "{e}"
    );
    let Fetched::Body(r) = get(&client, &server.url("/chain/3")).await.unwrap() else { panic!() };
    assert!(r.url.ends_with("/final"), "{}", r.url);
}

#[tokio::test]
async fn huge_bodies_and_gzip_bombs_stop_at_the_cap() {
    // 64 MiB of zeros compress to about 64 KiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = Arc::new(gz.finish().unwrap());
    assert!(bomb.len() < 1 << 20);
    let server = Server::start(move |r| match r.path.as_str() {
        "/robots.txt" => not_found(),
        "/bomb" => vec![Step::Send(response(
            "200 OK",
            &[("Content-Encoding", "gzip"), ("Content-Type", "application/xml")],
            &bomb,
        ))],
        "/declared" => vec![Step::Send(response("200 OK", &[], &vec![b'x'; 3 << 20]))],
        // No Content-Length: the body just keeps coming.
        _ => {
            let mut steps =
                vec![Step::Send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec())];
            for _ in 0..64 {
                steps.push(Step::Send(vec![b'y'; 1 << 16]));
            }
            steps
        }
    })
    .await;
    let client = Client::new(&FetchConfig { max_body_bytes: 1 << 20, ..config() }).unwrap();
    for path in ["/bomb", "/declared", "/endless"] {
        let e = get(&client, &server.url(path)).await.unwrap_err();
        assert!(matches!(e, Error::TooLarge { limit: 1_048_576, .. }), "{path}: {e}");
    }
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let server =
        Server::start(|r| if r.path == "/robots.txt" { not_found() } else { ok("<rss/>") }).await;
    let client = Client::new(&config()).unwrap();
    let url = server.url("/feed");
    let e = client.get(&url, &Validators::default(), Access::Public).await.unwrap_err();
    assert!(matches!(&e, Error::Refused { reason, .. } if reason.contains("loopback")), "{e}");
    assert!(e.to_string().contains("allow private addresses"), "{e}");
    // A name is checked after resolution: localhost is 127.0.0.1.
    let by_name = url.replace("127.0.0.1", "localhost");
    let e = client.get(&by_name, &Validators::default(), Access::Public).await.unwrap_err();
    assert!(
        matches!(&e, Error::Refused { reason, .. } if reason.contains("localhost resolves to")),
        "{e}"
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 0, "nothing reached the server");
    // Allowed explicitly, it works.
    assert!(matches!(get(&client, &url).await.unwrap(), Fetched::Body(_)));
}

#[tokio::test]
async fn redirects_to_metadata_addresses_are_refused_even_for_allowed_sources() {
    let server = Server::start(|r| {
        let to = match r.path.as_str() {
            "/robots.txt" => return not_found(),
            "/aws" => "http://169.254.169.254/latest/meta-data/",
            "/aws-decimal" => "http://2852039166/latest/meta-data/",
            "/aws-mapped" => "http://[::ffff:169.254.169.254]/latest/meta-data/",
            "/aws-v6" => "http://[fd00:ec2::254]/latest/meta-data/",
            "/alibaba" => "http://100.100.100.200/latest/meta-data/",
            "/link-local-v6" => "http://[fe80::1]/",
            _ => return ok("<rss/>"),
        };
        vec![Step::Send(response("302 Found", &[("Location", to)], b""))]
    })
    .await;
    let client = Client::new(&config()).unwrap();
    for (path, address) in [
        ("/aws", "169.254.169.254"),
        ("/aws-decimal", "169.254.169.254"),
        ("/aws-mapped", "169.254.169.254"),
        ("/aws-v6", "fd00:ec2::254"),
        ("/alibaba", "100.100.100.200"),
        ("/link-local-v6", "fe80::1"),
    ] {
        let e = get(&client, &server.url(path)).await.unwrap_err();
        let Error::Refused { reason, allowable, .. } = &e else { panic!("{path}: {e}") };
        assert!(reason.contains(&format!("{address} is a")), "{path}: {e}");
        assert!(reason.contains("link-local") || reason.contains("metadata"), "{path}: {e}");
        assert!(!allowable, "{path}: {e}");
        // Allowing private addresses would not help, so the message does not suggest it.
        assert!(!e.to_string().contains("allow private addresses"), "{e}");
    }
    // Each redirect was read, and nothing more: the refused hop was never requested.
    assert_eq!(server.requests.load(Ordering::SeqCst), 1 + 6);
}

#[tokio::test]
async fn allowed_sources_still_follow_redirects_between_loopback_servers() {
    let target =
        Server::start(|r| if r.path == "/robots.txt" { not_found() } else { ok("<rss/>") }).await;
    let to = target.url("/feed");
    let first = Server::start(move |r| match r.path.as_str() {
        "/robots.txt" => not_found(),
        _ => vec![Step::Send(response("301 Moved Permanently", &[("Location", &to)], b""))],
    })
    .await;
    let client = Client::new(&config()).unwrap();
    let Fetched::Body(r) = get(&client, &first.url("/rss")).await.unwrap() else {
        panic!("expected a body")
    };
    assert_eq!((r.url, r.bytes), (target.url("/feed"), b"<rss/>".to_vec()));
    assert_eq!(target.requests.load(Ordering::SeqCst), 1);
    // By name too: localhost resolves to loopback, which the source is allowed.
    let by_name = first.url("/rss").replace("127.0.0.1", "localhost");
    assert!(matches!(get(&client, &by_name).await.unwrap(), Fetched::Body(_)));
}

#[tokio::test]
async fn robots_txt_is_honoured_and_cached() {
    let server = Server::start(|r| match r.path.as_str() {
        "/robots.txt" => ok("User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n\nUser-agent: langnghe\nDisallow: /tim-kiem\n"),
        _ => ok("<rss/>"),
    })
    .await;
    let client = Client::new(&config()).unwrap();
    let e = get(&client, &server.url("/tim-kiem?q=sot")).await.unwrap_err();
    assert!(matches!(e, Error::Robots { .. }), "{e}");
    assert!(e.to_string().contains("robots.txt"), "{e}");
    // Our group applies, not the * group: /private/ is allowed for us.
    assert!(get(&client, &server.url("/private/feed")).await.is_ok());
    assert!(get(&client, &server.url("/rss")).await.is_ok());
    // robots.txt was read once: 1 + the two fetched pages.
    assert_eq!(server.requests.load(Ordering::SeqCst), 3);

    let ignoring = Client::new(&FetchConfig { respect_robots: false, ..config() }).unwrap();
    assert!(get(&ignoring, &server.url("/tim-kiem?q=sot")).await.is_ok());
}

#[tokio::test]
async fn an_unreachable_robots_txt_disallows_for_now() {
    let server = Server::start(|r| match r.path.as_str() {
        "/robots.txt" => vec![Step::Send(response("503 Service Unavailable", &[], b""))],
        _ => ok("<rss/>"),
    })
    .await;
    let client = Client::new(&config()).unwrap();
    let e = get(&client, &server.url("/rss")).await.unwrap_err();
    assert!(matches!(e, Error::Robots { .. }), "{e}");
}

#[tokio::test]
async fn one_request_at_a_time_per_host() {
    let server = Server::start(|r| {
        if r.path == "/robots.txt" {
            return not_found();
        }
        vec![
            Step::Sleep(Duration::from_millis(150)),
            Step::Send(response("200 OK", &[], b"<rss/>")),
        ]
    })
    .await;
    let client =
        Client::new(&FetchConfig { host_delay: Duration::from_millis(100), ..config() }).unwrap();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..4 {
        let (client, url) = (client.clone(), server.url(&format!("/feed/{i}")));
        tasks.push(tokio::spawn(async move { get(&client, &url).await.is_ok() }));
    }
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(server.peak.load(Ordering::SeqCst), 1, "more than one request at once");
    // Four requests of 150 ms with 100 ms pauses between them (plus robots.txt).
    assert!(started.elapsed() >= Duration::from_millis(4 * 150 + 3 * 100));
}
