//! Every kind of source through the whole pipeline, against a real HTTP server on
//! 127.0.0.1: feeds whose items are teasers (the article page is read), listing pages,
//! news sitemaps, single pages, windows-1258 feeds, updated articles, private addresses,
//! robots.txt, and imported social posts.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use chrono::Utc;
use model::{SourceKind, SourceTier};
use pipeline::{Pipeline, PollReport};
use search::{SearchIndex, Sort};
use store::{NewSource, Store};
use test_support::{Page, Site};

#[path = "support/build.rs"]
// Shared by the pipeline's tests; each uses part of it.
#[allow(dead_code)]
mod build;

/// A page with an ETag, so that a repeat poll of an unchanged page gets a 304.
fn tagged(content_type: &str, body: impl Into<Vec<u8>>) -> Page {
    Page::ok(content_type, body).with_etag_from_body()
}

fn article_page(site: &Site, slug: &str, title: &str, text: &str) -> String {
    let paragraphs: String =
        text.split("\n\n").map(|p| format!("<p class=\"Normal\">{p}</p>")).collect();
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title} - Báo Thử</title>
<link rel="canonical" href="{base}/suc-khoe/{slug}.html">
<meta property="article:published_time" content="2026-11-30T08:00:00+07:00"><meta name="author" content="Lan Anh"></head>
<body><header><nav><a href="/">Trang chủ</a> <a href="/suc-khoe">Sức khỏe</a> <a href="/the-thao">Thể thao</a></nav></header>
<main><article class="fck_detail"><h1 class="title-detail">{title}</h1>
<p class="description">Bộ Y tế khuyến cáo người dân chủ động phòng bệnh.</p>{paragraphs}
<p class="author_mail"><strong>Lan Anh</strong></p></article>
<aside><h3>Tin liên quan</h3><ul><li><a href="/suc-khoe/khac-1.html">Bài khác về giá vàng</a></li></ul></aside></main>
<footer>© Báo Thử. Giấy phép số 1/GP-BTTTT.</footer></body></html>"#,
        base = site.base()
    )
}

const TEXT: &str = "Sở Y tế Hà Nội cho biết trong tuần ghi nhận 412 ca sốt xuất huyết, tăng 18% so với tuần trước, tập trung ở các quận Hoàng Mai, Đống Đa và Thanh Xuân.\n\nNgành y tế đã phun hóa chất diệt muỗi tại 56 ổ dịch và đề nghị người dân loại bỏ dụng cụ chứa nước đọng quanh nhà, ngủ màn kể cả ban ngày.\n\nBác sĩ khuyến cáo khi có sốt cao liên tục, đau đầu, chảy máu chân răng cần đến cơ sở y tế ngay, không tự ý truyền dịch tại nhà.";

async fn pipeline(store: Store, dir: &Path) -> Pipeline {
    build::pipeline(store, dir, build::Rules::Shipped, None)
}

async fn source(
    store: &Store,
    site: &Site,
    path: &str,
    kind: SourceKind,
    allow_private: bool,
) -> model::Source {
    let s = NewSource {
        name: format!("Báo Thử {path}"),
        url: site.url(path),
        kind,
        tier: SourceTier::Press,
        allow_private,
        ..NewSource::default()
    };
    store.upsert_source(&s, Utc::now()).await.unwrap()
}

#[tokio::test]
async fn teaser_feeds_listings_sitemaps_and_pages_are_read_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start();
    site.put("/robots.txt", tagged("text/plain", "User-agent: *\nDisallow: /rieng/\n"));
    for (slug, title) in [
        ("ha-noi-412-ca-sot-xuat-huyet-4790001", "Hà Nội: 412 ca sốt xuất huyết trong tuần"),
        ("sot-xuat-huyet-tang-o-phia-bac-4790002", "Sốt xuất huyết tăng ở phía Bắc"),
        ("phun-hoa-chat-diet-muoi-4790003", "Phun hóa chất diệt muỗi tại 56 ổ dịch"),
    ] {
        site.put(
            &format!("/bai/{slug}.html"),
            tagged("text/html; charset=utf-8", article_page(&site, slug, title, TEXT)),
        );
    }
    // A feed of teasers: one line each, linking to the article with a tracking parameter.
    site.put("/rss.xml", tagged("application/rss+xml", format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Thử</title>
<item><title>Hà Nội: 412 ca sốt xuất huyết trong tuần</title><link>{}/bai/ha-noi-412-ca-sot-xuat-huyet-4790001.html?utm_source=rss</link>
<description>Số ca tăng 18%.</description><pubDate>Mon, 30 Nov 2026 08:00:00 +0700</pubDate></item></channel></rss>"#,
        site.base()
    )));
    site.put("/suc-khoe", tagged("text/html", format!(
        r#"<html><body><nav><a href="/">Trang chủ</a><a href="/the-thao">Thể thao</a></nav>
<section class="list-news"><article class="item-news"><h3 class="title-news"><a href="{0}/bai/sot-xuat-huyet-tang-o-phia-bac-4790002.html">Sốt xuất huyết tăng ở phía Bắc</a></h3></article>
<article class="item-news"><h3 class="title-news"><a href="/bai/phun-hoa-chat-diet-muoi-4790003.html">Phun hóa chất diệt muỗi tại 56 ổ dịch</a></h3></article></section></body></html>"#,
        site.base()
    )));
    site.put("/sitemap-news.xml", tagged("application/xml", format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{}/bai/phun-hoa-chat-diet-muoi-4790003.html</loc><news:news><news:publication><news:name>Báo Thử</news:name><news:language>vi</news:language></news:publication>
<news:publication_date>2026-11-30T09:00:00+07:00</news:publication_date><news:title>Phun hóa chất diệt muỗi tại 56 ổ dịch</news:title></news:news></url></urlset>"#,
        site.base()
    )));
    for (backend, store) in store::testing::stores(dir.path()).await {
        let p = pipeline(store.clone(), &dir.path().join(backend)).await;
        let feed = source(&store, &site, "/rss.xml", SourceKind::Feed, true).await;
        let before = site.requests("/bai/ha-noi-412-ca-sot-xuat-huyet-4790001.html");
        assert_eq!(build::added(&p.poll(&feed).await.unwrap()), 1, "{backend}");
        let doc = &store.documents_after(0, 10).await.unwrap()[0];
        assert!(
            doc.doc.body.contains("phun hóa chất diệt muỗi tại 56 ổ dịch"),
            "{backend}: {doc:?}"
        );
        assert!(
            !doc.doc.body.contains("giá vàng") && !doc.doc.body.contains("Giấy phép"),
            "{backend}: boilerplate kept"
        );
        assert_eq!(doc.doc.summary, "Bộ Y tế khuyến cáo người dân chủ động phòng bệnh.");
        assert_eq!(doc.doc.author.as_deref(), Some("Lan Anh"));
        assert_eq!(
            doc.doc.url,
            site.url("/suc-khoe/ha-noi-412-ca-sot-xuat-huyet-4790001.html"),
            "{backend}: the page's canonical URL"
        );
        assert_eq!(site.requests("/bai/ha-noi-412-ca-sot-xuat-huyet-4790001.html"), before + 1);
        // The feed changes (another ETag) but the item is known under its feed link: the
        // page is not fetched again.
        let rss = site.page("/rss.xml").unwrap().body;
        let rss = String::from_utf8(rss)
            .unwrap()
            .replace("</channel>", &format!("<!-- {backend} --></channel>"));
        site.put("/rss.xml", tagged("application/rss+xml", rss));
        let feed = store.source(feed.id).await.unwrap();
        assert_eq!(build::added(&p.poll(&feed).await.unwrap()), 0);
        assert_eq!(
            site.requests("/bai/ha-noi-412-ca-sot-xuat-huyet-4790001.html"),
            before + 1,
            "{backend}: page fetched twice"
        );

        let listing = source(&store, &site, "/suc-khoe", SourceKind::HtmlListing, true).await;
        assert_eq!(build::added(&p.poll(&listing).await.unwrap()), 2, "{backend}");
        let sitemap = source(&store, &site, "/sitemap-news.xml", SourceKind::Sitemap, true).await;
        // Its one article came through the listing already.
        assert_eq!(build::added(&p.poll(&sitemap).await.unwrap()), 0, "{backend}");
        let titles: Vec<String> =
            store.documents_after(0, 10).await.unwrap().into_iter().map(|d| d.doc.title).collect();
        assert_eq!(titles.len(), 3, "{backend}: {titles:?}");
        assert!(titles.contains(&"Phun hóa chất diệt muỗi tại 56 ổ dịch".to_owned()));

        let page = source(
            &store,
            &site,
            "/bai/sot-xuat-huyet-tang-o-phia-bac-4790002.html",
            SourceKind::Page,
            true,
        )
        .await;
        assert_eq!(build::added(&p.poll(&page).await.unwrap()), 0, "{backend}: the page is known");
        let index = SearchIndex::open_read_only(&dir.path().join(backend).join("index")).unwrap();
        index.refresh().unwrap();
        let found = index.search("\"phun hoa chat\"", Sort::Relevance, 10, 0).unwrap();
        assert_eq!(found.total, 3, "{backend}: every article's text is searchable");

        // A page the site's robots.txt forbids is an error recorded on its source.
        site.put(
            "/rieng/bai.html",
            tagged("text/html", article_page(&site, "rieng", "Riêng", TEXT)),
        );
        let private = source(&store, &site, "/rieng/bai.html", SourceKind::Page, true).await;
        let PollReport::Failed { error, .. } = p.poll(&private).await.unwrap() else { panic!() };
        assert!(error.contains("robots.txt"), "{error}");
        store.close().await;
    }
}

#[tokio::test]
async fn private_addresses_need_permission_and_failures_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start();
    site.put(
        "/rss.xml",
        tagged("application/rss+xml", "<rss version=\"2.0\"><channel></channel></rss>"),
    );
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = pipeline(store.clone(), dir.path()).await;
    let s = source(&store, &site, "/rss.xml", SourceKind::Feed, false).await;
    let PollReport::Failed { error, .. } = p.poll(&s).await.unwrap() else { panic!() };
    assert!(error.contains("loopback") && error.contains("allow private addresses"), "{error}");
    let s = store.source(s.id).await.unwrap();
    assert_eq!(s.state.error_count, 1);
    assert!(s.state.next_poll_at.unwrap() > Utc::now() + chrono::Duration::minutes(10));
    assert_eq!(site.requests("/rss.xml"), 0, "the request never left");
}

#[tokio::test]
async fn windows_1258_feeds_and_updated_entries() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start();
    // windows-1258 declared only in the HTTP header: "Sốt xuất huyết" with combining tones.
    let mut rss = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><item><title>S\xf4\xect xu\xe2\xect huy\xea\xect</title><link>".to_vec();
    rss.extend_from_slice(site.url("/a/1").as_bytes());
    rss.extend_from_slice(b"</link><description>H\xe0 N\xf4\xf2i ghi nh\xe2\xf2n th\xeam ca b\xea\xf2nh.</description></item></channel></rss>");
    site.put("/rss.xml", tagged("application/rss+xml; charset=windows-1258", rss));
    let atom = |updated: &str, text: &str| {
        format!(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><id>urn:a:1</id><title>Cập nhật ổ dịch</title>
<link href="{}/tin/1"/><published>2026-11-30T08:00:00+07:00</published><updated>{updated}</updated>
<content type="html">{text}</content></entry></feed>"#,
            site.base()
        )
    };
    let long = "Ổ dịch sởi tại xã A có 12 ca. ".repeat(30);
    site.put("/atom.xml", tagged("application/atom+xml", atom("2026-11-30T08:00:00+07:00", &long)));
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = pipeline(store.clone(), dir.path()).await;
    let feed = source(&store, &site, "/rss.xml", SourceKind::Feed, true).await;
    assert_eq!(build::added(&p.poll(&feed).await.unwrap()), 1);
    let doc = &store.documents_after(0, 1).await.unwrap()[0];
    assert_eq!(doc.doc.title, "Sốt xuất huyết");
    assert!(doc.doc.summary.starts_with("Hà Nội ghi nhận"), "{:?}", doc.doc.summary);

    let atom_source = source(&store, &site, "/atom.xml", SourceKind::Feed, true).await;
    assert_eq!(build::added(&p.poll(&atom_source).await.unwrap()), 1);
    let id = store.documents_after(doc.id, 1).await.unwrap()[0].id;
    // The outlet updates the article: a new revision, the old text kept.
    let newer = "Ổ dịch sởi tại xã A đã có 19 ca, ngành y tế tiêm vét cho trẻ. ".repeat(30);
    site.put(
        "/atom.xml",
        tagged("application/atom+xml", atom("2026-11-30T15:00:00+07:00", &newer)),
    );
    let atom_source = store.source(atom_source.id).await.unwrap();
    let PollReport::Ingested { report, .. } = p.poll(&atom_source).await.unwrap() else { panic!() };
    assert_eq!((report.added, report.revised), (0, 1));
    let d = store.document(id).await.unwrap();
    assert_eq!(d.revision, 1);
    assert!(d.doc.body.contains("19 ca"));
    assert!(store.revisions(id).await.unwrap()[0].3.contains("12 ca"));
    // The schedule adapted: an interval was chosen and recorded.
    assert!(store.source(atom_source.id).await.unwrap().state.poll_interval_secs.is_some());
}

#[tokio::test]
async fn social_posts_are_imported_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
    let p = pipeline(store.clone(), dir.path()).await;
    let good = dir.path().join("posts.jsonl");
    std::fs::write(&good, concat!(
        r#"{"platform":"facebook","page":"Hội mẹ bỉm sữa Hà Nội","url":"https://facebook.com/groups/1/posts/10","time":"2026-11-30 08:15","text":"Mn ơi tiêm vắc xin sởi xong bé bị sốt cao, có phải vắc xin gây vô sinh không ạ? Chia sẻ ngay cho các mẹ!","reactions":"1,2K","shares":340,"comments":"56"}"#, "\n",
        "\n",
        r#"{"platform":"tiktok","author":"@thaythuoc.dan.gian","url":"https://www.tiktok.com/@x/video/2","time":"30/11/2026 09:00","text":"Lá đu đủ chữa khỏi sốt xuất huyết chỉ sau 3 ngày"}"#, "\n",
    )).unwrap();
    let r = p.import_posts(&good).await.unwrap();
    assert_eq!((r.posts, r.added, r.pages), (2, 2, 2));
    assert!(r.hits >= 2, "{r:?}");
    let docs = store.documents_after(0, 10).await.unwrap();
    let fb = docs.iter().find(|d| d.source_name == "Facebook: Hội mẹ bỉm sữa Hà Nội").unwrap();
    let post = fb.doc.post.as_ref().unwrap();
    assert_eq!(
        (post.platform.as_str(), post.reactions, post.shares, post.comments),
        ("facebook", Some(1200), Some(340), Some(56))
    );
    assert_eq!(fb.doc.published_at.unwrap().to_rfc3339(), "2026-11-30T01:15:00+00:00");
    let sources = store.list_sources().await.unwrap();
    assert!(sources.iter().all(|s| s.tier == SourceTier::Social && !s.enabled), "{sources:?}");
    // Importing again changes nothing.
    assert_eq!(p.import_posts(&good).await.unwrap().added, 0);

    // One bad row among good ones: nothing of the file is stored, every problem is named.
    let bad = dir.path().join("posts.csv");
    std::fs::write(&bad, "platform,page,url,time,text,shares\nzalo,Nhóm phụ huynh,https://zalo.me/g/1,2026-11-30 10:00,Cảnh báo khẩn: thuốc hạ sốt giả,3\nzalo,Nhóm phụ huynh,not a url,hôm kia,,nhiều\n").unwrap();
    let e = p.import_posts(&bad).await.unwrap_err().to_string();
    assert!(e.contains("posts.csv:3: url"), "{e}");
    assert!(e.contains("posts.csv:3: time: cannot read \"hôm kia\""), "{e}");
    assert!(e.contains("posts.csv:3: text: missing"), "{e}");
    assert!(e.contains("posts.csv:3: shares"), "{e}");
    assert_eq!(store.counts().await.unwrap().documents, 2, "nothing of the bad file was stored");
    std::fs::write(&bad, "platform,page,url,time,text\nzalo,Nhóm phụ huynh,https://zalo.me/g/1,2026-11-30 10:00,Cảnh báo khẩn: thuốc hạ sốt giả\n").unwrap();
    assert_eq!(p.import_posts(&bad).await.unwrap().added, 1);
}
