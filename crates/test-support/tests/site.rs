//! The test site against a real HTTP client: pages changed while it runs, conditional GET,
//! handlers, raw and slow answers, request bodies, the request log, and stopping on drop.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use test_support::{Page, Reply, Request, Site, Step};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn request(headers: &[(&str, &str)]) -> Request {
    Request {
        method: "GET".to_owned(),
        path: "/".to_owned(),
        headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        body: Vec::new(),
    }
}

#[tokio::test]
async fn pages_are_served_changed_and_removed_while_the_site_runs() {
    let site = Site::start();
    site.put(
        "/rss.xml",
        Page::ok("application/rss+xml; charset=utf-8", "<rss>một</rss>")
            .with_header("X-Served-By", "test"),
    );
    let c = client();
    let res = c.get(site.url("/rss.xml")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/rss+xml; charset=utf-8");
    assert_eq!(res.headers()["x-served-by"], "test");
    assert_eq!(res.text().await.unwrap(), "<rss>một</rss>");

    site.put("/rss.xml", Page::ok("application/rss+xml", "<rss>hai</rss>"));
    assert_eq!(
        c.get(site.url("/rss.xml")).send().await.unwrap().text().await.unwrap(),
        "<rss>hai</rss>"
    );
    assert_eq!(site.page("/rss.xml").unwrap().body, b"<rss>hai</rss>");

    let res = c.get(site.url("/khong-co")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The query is part of the path: a page is found only under the target it was put at.
    let res = c.get(site.url("/rss.xml?utm_source=x")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    assert!(site.remove("/rss.xml").is_some());
    assert_eq!(c.get(site.url("/rss.xml")).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    assert_eq!(site.requests("/rss.xml"), 3);
    assert_eq!(site.requests("/rss.xml?utm_source=x"), 1);
    assert_eq!(site.requests("/khong-co"), 1);
    assert_eq!(site.total_requests(), 5);
    let log = site.received();
    assert_eq!(log[0].method, "GET");
    assert!(log[0].header("host").unwrap().starts_with("127.0.0.1:"), "{log:?}");
}

#[tokio::test]
async fn an_etag_from_the_body_gives_304_until_the_body_changes() {
    let site = Site::start();
    site.put(
        "/feed",
        Page::ok("application/xml", "<rss/>")
            .with_etag_from_body()
            .with_header("Cache-Control", "max-age=60"),
    );
    let c = client();
    let first = c.get(site.url("/feed")).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    let again = c.get(site.url("/feed")).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert_eq!(again.headers()["cache-control"], "max-age=60");
    assert!(again.headers().get("content-type").is_none());
    assert_eq!(again.bytes().await.unwrap().len(), 0);
    // Weak comparison, and a list of tags.
    let weak = format!("\"other\", W/{etag}");
    let res = c.get(site.url("/feed")).header("If-None-Match", weak).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    site.put("/feed", Page::ok("application/xml", "<rss>mới</rss>").with_etag_from_body());
    let changed = c.get(site.url("/feed")).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"], etag.as_str());
    assert_eq!(changed.text().await.unwrap(), "<rss>mới</rss>");
    let sent: Vec<Option<String>> =
        site.received().iter().map(|r| r.header("If-None-Match").map(str::to_owned)).collect();
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[0], None);
    assert_eq!(sent[3].as_deref(), Some(etag.as_str()));
}

#[tokio::test]
async fn last_modified_is_compared_as_a_date_and_if_none_match_wins() {
    let site = Site::start();
    site.put(
        "/feed",
        Page::ok("application/xml", "<rss/>")
            .with_header("ETag", "\"v2\"")
            .with_header("Last-Modified", "Wed, 14 Feb 2024 14:00:00 GMT"),
    );
    let c = client();
    let status = |headers: Vec<(&'static str, &'static str)>| {
        let mut req = c.get(site.url("/feed"));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(vec![("If-Modified-Since", "Wed, 14 Feb 2024 14:00:00 GMT")]).await, 304);
    assert_eq!(status(vec![("If-Modified-Since", "Thu, 15 Feb 2024 00:00:00 GMT")]).await, 304);
    assert_eq!(status(vec![("If-Modified-Since", "Wed, 14 Feb 2024 13:59:59 GMT")]).await, 200);
    assert_eq!(status(vec![("If-Modified-Since", "hôm qua")]).await, 200);
    // If-None-Match decides when it is sent, even when the date alone would say 304.
    let both =
        vec![("If-None-Match", "\"v1\""), ("If-Modified-Since", "Thu, 15 Feb 2024 00:00:00 GMT")];
    assert_eq!(status(both).await, 200);
    assert_eq!(status(vec![("If-None-Match", "*")]).await, 304);

    // Only a 200 is turned into a 304.
    site.put("/gone", Page::status(410).with_header("ETag", "\"v2\""));
    let res = c.get(site.url("/gone")).header("If-None-Match", "\"v2\"").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::GONE);
}

#[test]
fn validators_follow_rfc_9110() {
    let lm = Some("Wed, 14 Feb 2024 14:00:00 GMT");
    assert!(!request(&[]).is_unchanged(Some("\"a\""), lm));
    assert!(request(&[("if-none-match", "W/\"a\"")]).is_unchanged(Some("\"a\""), None));
    assert!(!request(&[("If-None-Match", "\"a\"")]).is_unchanged(None, lm));
    assert!(
        request(&[("If-Modified-Since", "Wed, 14 Feb 2024 15:00:00 +0100")]).is_unchanged(None, lm)
    );
    assert!(
        !request(&[("If-Modified-Since", "Wed, 14 Feb 2024 14:00:00 GMT")])
            .is_unchanged(None, None)
    );
}

#[tokio::test]
async fn a_handler_answers_what_the_table_does_not_and_redirects_are_plain_pages() {
    let site = Site::with_handler(|r| {
        if let Some(n) = r.path.strip_prefix("/chain/") {
            let n: u32 = n.parse().unwrap();
            let to = if n == 0 { "/final".to_owned() } else { format!("/chain/{}", n - 1) };
            return Page::redirect(302, &to).into();
        }
        Page::status(429).with_header("Retry-After", "120").with_body("chậm lại").into()
    });
    site.put("/final", Page::ok("text/plain", "đích"));
    let c = client();
    let res = c.get(site.url("/chain/1")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "/chain/0");
    let res = c.get(site.url("/final")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "đích");
    let res = c.get(site.url("/robots.txt")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "120");
    assert_eq!(res.text().await.unwrap(), "chậm lại");

    // A redirect-following client goes the whole way.
    let body = reqwest::get(site.url("/chain/3")).await.unwrap().text().await.unwrap();
    assert_eq!(body, "đích");
    assert_eq!(site.requests("/final"), 2);
}

#[tokio::test]
async fn raw_answers_and_delays_take_their_time_and_connections_are_counted() {
    let site = Site::with_handler(|_| {
        Reply::Raw(vec![
            Step::Send(
                b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nab".to_vec(),
            ),
            Step::Sleep(Duration::from_millis(200)),
            Step::Send(b"cd".to_vec()),
        ])
    });
    site.put("/slow", Page::ok("text/plain", "xong").with_delay(Duration::from_millis(200)));
    let c = client();
    let started = Instant::now();
    assert_eq!(c.get(site.url("/raw")).send().await.unwrap().text().await.unwrap(), "abcd");
    assert!(started.elapsed() >= Duration::from_millis(200));

    let started = Instant::now();
    let (a, b) = tokio::join!(c.get(site.url("/slow")).send(), c.get(site.url("/slow")).send());
    assert_eq!(a.unwrap().text().await.unwrap(), "xong");
    assert_eq!(b.unwrap().text().await.unwrap(), "xong");
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Both were waiting at once: one slow page does not hold up the next request.
    assert_eq!(site.peak_connections(), 2);
}

#[tokio::test]
async fn request_bodies_are_kept_and_head_gets_no_body() {
    let site = Site::start();
    site.put("/hook", Page::status(204));
    site.put("/page", Page::ok("text/html", "<p>trang</p>"));
    let c = client();
    let res = c.post(site.url("/hook")).body("{\"tin\":\"sốt\"}").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = c.head(site.url("/page")).send().await.unwrap();
    assert_eq!(res.headers()["content-length"], "12");
    assert_eq!(res.bytes().await.unwrap().len(), 0);
    let log = site.received();
    assert_eq!((log[0].method.as_str(), log[0].path.as_str()), ("POST", "/hook"));
    assert_eq!(String::from_utf8(log[0].body.clone()).unwrap(), "{\"tin\":\"sốt\"}");
    assert_eq!(log[1].method, "HEAD");
}

/// No runtime here: the site brings its own, and stops when dropped, even while an
/// answer is still stalled.
#[test]
fn a_synchronous_test_can_use_it_and_dropping_it_stops_it() {
    let site = Site::with_handler(|_| Reply::Raw(vec![Step::Sleep(Duration::from_secs(60))]));
    site.put("/a", Page::ok("text/plain", "a"));
    let mut stream = std::net::TcpStream::connect(site.addr()).unwrap();
    stream.write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with("\r\n\r\na"), "{reply}");

    let mut stalled = std::net::TcpStream::connect(site.addr()).unwrap();
    stalled.write_all(b"GET /stall HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    while site.requests("/stall") == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let addr = site.addr();
    let started = Instant::now();
    drop(site);
    assert!(started.elapsed() < Duration::from_secs(5));
    let mut rest = Vec::new();
    // The stalled connection is closed, not left hanging.
    stalled.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(stalled.read_to_end(&mut rest).unwrap(), 0);
    assert!(std::net::TcpStream::connect(addr).is_err(), "still listening");
}
