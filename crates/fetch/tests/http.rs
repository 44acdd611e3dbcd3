//! The client against real HTTP servers on 127.0.0.1, each misbehaving in one way a real
//! site does: stalling, trickling, answering 304 or 429, redirecting in circles, sending a
//! huge body or a gzip bomb, forbidding us in robots.txt, living at a private address, or
//! redirecting to a cloud metadata service.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::time::{Duration, Instant};

use fetch::{Access, Client, Error, FetchConfig, Fetched, Validators};
use test_support::{Page, Reply, Site, Step};

fn rss() -> Page {
    Page::ok("application/rss+xml", "<rss/>")
}

fn config() -> FetchConfig {
    FetchConfig { host_delay: Duration::ZERO, ..FetchConfig::default() }
}

async fn get(client: &Client, url: &str) -> fetch::Result<Fetched> {
    client.get(url, &Validators::default(), Access::Private).await
}

#[tokio::test]
async fn conditional_get_gets_a_304_and_a_freshness_hint() {
    let server = Site::start();
    let last_modified = "Wed, 14 Feb 2024 14:00:00 GMT";
    server.put(
        "/feed",
        Page::status(200)
            .with_body("<rss/>")
            .with_header("ETag", "\"v1\"")
            .with_header("Last-Modified", last_modified)
            .with_header("Cache-Control", "max-age=900"),
    );
    let client = Client::new(&config()).unwrap();
    let Fetched::Body(first) = get(&client, &server.url("/feed")).await.unwrap() else {
        panic!("expected a body")
    };
    assert_eq!(first.validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(first.bytes, b"<rss/>");
    let again = client.get(&server.url("/feed"), &first.validators, Access::Private).await.unwrap();
    assert_eq!(again, Fetched::NotModified { fresh_for: Some(Duration::from_secs(900)) });
    // The repeat carried both validators the first answer gave.
    let repeat = server.received().pop().unwrap();
    assert_eq!(repeat.header("If-None-Match"), Some("\"v1\""));
    assert_eq!(repeat.header("If-Modified-Since"), Some(last_modified));
}

#[tokio::test]
async fn rate_limits_report_retry_after() {
    let server = Site::start();
    for (path, wait) in [("/feed", "120"), ("/date", "Wed, 21 Oct 2099 07:28:00 GMT")] {
        server.put(path, Page::status(429).with_header("Retry-After", wait).with_body("slow down"));
    }
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
    let server = Site::with_handler(|r| match r.path.as_str() {
        // Headers, then silence.
        "/stall" => Reply::Raw(vec![
            Step::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc".to_vec()),
            Step::Sleep(Duration::from_secs(30)),
        ]),
        // A byte every 300 ms: never silent for long, but never done either.
        "/trickle" => {
            let mut steps =
                vec![Step::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec())];
            for _ in 0..1000 {
                steps.push(Step::Send(b"x".to_vec()));
                steps.push(Step::Sleep(Duration::from_millis(300)));
            }
            Reply::Raw(steps)
        }
        _ => Page::not_found().into(),
    });
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
    // /chain/N redirects to /chain/N-1, and /chain/0 to /final.
    let server = Site::with_handler(|r| match r.path.strip_prefix("/chain/") {
        Some(n) => {
            let n: usize = n.parse().unwrap();
            let to = if n == 0 { "/final".to_owned() } else { format!("/chain/{}", n - 1) };
            Page::redirect(302, &to).into()
        }
        None => Page::not_found().into(),
    });
    server.put("/a", Page::redirect(302, "/b"));
    server.put("/b", Page::redirect(302, "/a"));
    server.put("/final", rss());
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
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    let server = Site::with_handler(|r| match r.path.as_str() {
        // No Content-Length: the body just keeps coming.
        "/endless" => {
            let mut steps =
                vec![Step::Send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec())];
            for _ in 0..64 {
                steps.push(Step::Send(vec![b'y'; 1 << 16]));
            }
            Reply::Raw(steps)
        }
        _ => Page::not_found().into(),
    });
    server.put("/bomb", Page::ok("application/xml", bomb).with_header("Content-Encoding", "gzip"));
    server.put("/declared", Page::status(200).with_body(vec![b'x'; 3 << 20]));
    let client = Client::new(&FetchConfig { max_body_bytes: 1 << 20, ..config() }).unwrap();
    for path in ["/bomb", "/declared", "/endless"] {
        let e = get(&client, &server.url(path)).await.unwrap_err();
        assert!(matches!(e, Error::TooLarge { limit: 1_048_576, .. }), "{path}: {e}");
    }
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let server = Site::start();
    server.put("/feed", rss());
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
    assert_eq!(server.total_requests(), 0, "nothing reached the server");
    // Allowed explicitly, it works.
    assert!(matches!(get(&client, &url).await.unwrap(), Fetched::Body(_)));
}

#[tokio::test]
async fn redirects_to_metadata_addresses_are_refused_even_for_allowed_sources() {
    let server = Site::start();
    for (path, to) in [
        ("/aws", "http://169.254.169.254/latest/meta-data/"),
        ("/aws-decimal", "http://2852039166/latest/meta-data/"),
        ("/aws-mapped", "http://[::ffff:169.254.169.254]/latest/meta-data/"),
        ("/aws-v6", "http://[fd00:ec2::254]/latest/meta-data/"),
        ("/alibaba", "http://100.100.100.200/latest/meta-data/"),
        ("/link-local-v6", "http://[fe80::1]/"),
    ] {
        server.put(path, Page::redirect(302, to));
    }
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
    assert_eq!(server.total_requests(), 1 + 6);
    assert_eq!(server.requests("/robots.txt"), 1);
}

#[tokio::test]
async fn allowed_sources_still_follow_redirects_between_loopback_servers() {
    let target = Site::start();
    target.put("/feed", rss());
    let first = Site::start();
    first.put("/rss", Page::redirect(301, &target.url("/feed")));
    let client = Client::new(&config()).unwrap();
    let Fetched::Body(r) = get(&client, &first.url("/rss")).await.unwrap() else {
        panic!("expected a body")
    };
    assert_eq!((r.url, r.bytes), (target.url("/feed"), b"<rss/>".to_vec()));
    assert_eq!(target.requests("/feed"), 1);
    // By name too: localhost resolves to loopback, which the source is allowed.
    let by_name = first.url("/rss").replace("127.0.0.1", "localhost");
    assert!(matches!(get(&client, &by_name).await.unwrap(), Fetched::Body(_)));
}

#[tokio::test]
async fn robots_txt_is_honoured_and_cached() {
    let server = Site::with_handler(|_| rss().into());
    server.put(
        "/robots.txt",
        Page::ok(
            "text/plain",
            "User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n\nUser-agent: langnghe\nDisallow: /tim-kiem\n",
        ),
    );
    let client = Client::new(&config()).unwrap();
    let e = get(&client, &server.url("/tim-kiem?q=sot")).await.unwrap_err();
    assert!(matches!(e, Error::Robots { .. }), "{e}");
    assert!(e.to_string().contains("robots.txt"), "{e}");
    // Our group applies, not the * group: /private/ is allowed for us.
    assert!(get(&client, &server.url("/private/feed")).await.is_ok());
    assert!(get(&client, &server.url("/rss")).await.is_ok());
    // robots.txt was read once: 1 + the two fetched pages.
    assert_eq!(server.total_requests(), 3);
    assert_eq!(server.requests("/robots.txt"), 1);
    assert_eq!(server.requests("/tim-kiem?q=sot"), 0);

    let ignoring = Client::new(&FetchConfig { respect_robots: false, ..config() }).unwrap();
    assert!(get(&ignoring, &server.url("/tim-kiem?q=sot")).await.is_ok());
}

#[tokio::test]
async fn an_unreachable_robots_txt_disallows_for_now() {
    let server = Site::with_handler(|_| rss().into());
    server.put("/robots.txt", Page::status(503));
    let client = Client::new(&config()).unwrap();
    let e = get(&client, &server.url("/rss")).await.unwrap_err();
    assert!(matches!(e, Error::Robots { .. }), "{e}");
}

#[tokio::test]
async fn one_request_at_a_time_per_host() {
    let server = Site::with_handler(|r| {
        if r.path == "/robots.txt" {
            return Page::not_found().into();
        }
        Page::status(200).with_body("<rss/>").with_delay(Duration::from_millis(150)).into()
    });
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
    assert_eq!(server.peak_connections(), 1, "more than one request at once");
    // Four requests of 150 ms with 100 ms pauses between them (plus robots.txt).
    assert!(started.elapsed() >= Duration::from_millis(4 * 150 + 3 * 100));
}
