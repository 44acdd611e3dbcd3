//! `langnghe ingest URL` of a URL it has not seen: the response fetched to tell what the
//! URL is (feed, page) is the one ingested, so the URL is requested once, against a server
//! on 127.0.0.1 that counts requests per path.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use chrono::Utc;
use model::{SourceKind, SourceOrigin, SourceTier};
use pipeline::{Pipeline, PollReport};
use store::{NewSource, Store};
use test_support::{Page, Site};

#[path = "support/build.rs"]
// Shared by the pipeline's tests; each uses part of it.
#[allow(dead_code)]
mod build;

const TEXT: &str = "Sở Y tế Hà Nội cho biết trong tuần ghi nhận 412 ca sốt xuất huyết, tăng 18% so với tuần trước, tập trung ở các quận Hoàng Mai, Đống Đa và Thanh Xuân. Ngành y tế đã phun hóa chất diệt muỗi tại 56 ổ dịch và đề nghị người dân loại bỏ dụng cụ chứa nước đọng quanh nhà, ngủ màn kể cả ban ngày. Bác sĩ khuyến cáo khi có sốt cao liên tục, đau đầu, chảy máu chân răng cần đến cơ sở y tế ngay, không tự ý truyền dịch tại nhà.";

/// A page with an ETag, so that a repeat poll of it can get a 304.
fn tagged(content_type: &str, body: String) -> Page {
    Page::ok(content_type, body).with_etag_from_body()
}

fn site_files(site: &Site) {
    // Full-text items: nothing else on the site needs reading.
    let item = |n: u32, title: &str| {
        format!(
            "<item><title>{title}</title><link>{}/tin/{n}.html</link><pubDate>Mon, 30 Nov 2026 0{n}:00:00 +0700</pubDate><description><![CDATA[<p>{TEXT}</p><p>{TEXT}</p>]]></description></item>",
            site.base()
        )
    };
    let rss = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Thử</title><link>{}/</link>{}{}</channel></rss>"#,
        site.base(),
        item(1, "Hà Nội ghi nhận 412 ca sốt xuất huyết trong tuần"),
        item(2, "Phun hóa chất diệt muỗi tại 56 ổ dịch"),
    );
    site.put("/rss.xml", tagged("application/rss+xml; charset=utf-8", rss));
    let article = format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Tiêm vắc xin cúm mùa trước mùa đông - Báo Thử</title></head>
<body><header><nav><a href="/">Trang chủ</a></nav></header><main><article><h1>Tiêm vắc xin cúm mùa trước mùa đông</h1><p>{TEXT}</p><p>{TEXT}</p></article></main><footer>© Báo Thử</footer></body></html>"#
    );
    site.put("/bai/tiem-vac-xin-cum-mua-4790001.html", tagged("text/html; charset=utf-8", article));
}

async fn pipeline(store: Store, dir: &Path) -> Pipeline {
    build::pipeline(store, dir, build::Rules::None, None)
}

/// What `langnghe ingest --allow-private URL` does with a URL no source has: probe it,
/// store it as a source of the kind found, poll it with the probe's response.
async fn ingest_new(p: &Pipeline, store: &Store, url: &str) -> (SourceKind, PollReport) {
    let probe = p.probe(url, true).await.unwrap();
    let kind = probe.kind;
    let new = NewSource {
        name: url.to_owned(),
        url: url.to_owned(),
        kind,
        tier: SourceTier::Press,
        allow_private: true,
        origin: SourceOrigin::Ingest,
        ..NewSource::default()
    };
    let source = store.ensure_source(&new, Utc::now()).await.unwrap();
    (kind, p.poll_probed(&source, probe).await.unwrap())
}

#[tokio::test]
async fn a_new_feed_or_page_url_is_fetched_once() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start();
    site_files(&site);
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = pipeline(store.clone(), dir.path()).await;

    let feed = site.url("/rss.xml");
    let (kind, report) = ingest_new(&p, &store, &feed).await;
    assert_eq!((kind, build::added(&report)), (SourceKind::Feed, 2));
    assert_eq!(site.requests("/rss.xml"), 1, "the feed was fetched again to be read");

    let page = site.url("/bai/tiem-vac-xin-cum-mua-4790001.html");
    let (kind, report) = ingest_new(&p, &store, &page).await;
    assert_eq!((kind, build::added(&report)), (SourceKind::Page, 1));
    assert_eq!(
        site.requests("/bai/tiem-vac-xin-cum-mua-4790001.html"),
        1,
        "the page was fetched again to be read"
    );
    assert_eq!(site.requests("/robots.txt"), 1, "robots.txt is read once per site");

    // The probe's validators were saved with the items, so the next poll is a 304.
    let source = store.find_source(&feed).await.unwrap();
    assert_eq!(source.state.etag.as_deref().map(|e| e.len() > 2), Some(true));
    let again = p.poll(&source).await.unwrap();
    assert!(matches!(again, PollReport::NotModified { .. }), "{again:?}");
    assert_eq!(site.requests("/rss.xml"), 2);
    store.close().await;
}
