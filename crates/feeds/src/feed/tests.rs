use super::*;

fn parse(xml: &str, url: &str) -> Feed {
    parse_feed(xml.as_bytes(), None, url).unwrap()
}

#[test]
fn rss_items_become_text_with_canonical_urls() {
    let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>T</title><link>https://bao.vn/</link>
<item><title>S&#7889;t xu&#7845;t huy&#7871;t t&#259;ng</title>
<link>/suc-khoe/sxh.html?utm_source=rss&amp;id=7</link>
<description><![CDATA[<p>Hà Nội ghi nhận <b>1.200</b> ca.</p><script>alert(1)</script>]]></description>
<pubDate>Wed, 26 Jul 2017 19:55:20 +0700</pubDate><author>Lan Anh</author></item>
</channel></rss>"#;
    let feed = parse(rss, "https://bao.vn/rss/suc-khoe.rss");
    assert_eq!(
        (feed.title.as_str(), feed.link.as_deref(), feed.recovered),
        ("T", Some("https://bao.vn/"), false)
    );
    assert_eq!(feed.items.len(), 1);
    let it = &feed.items[0];
    assert_eq!(it.title, "Sốt xuất huyết tăng");
    assert_eq!(it.url, "https://bao.vn/suc-khoe/sxh.html?id=7");
    assert_eq!(it.id, it.url);
    assert_eq!(it.summary, "Hà Nội ghi nhận 1.200 ca.");
    assert_eq!(it.published.unwrap().to_rfc3339(), "2017-07-26T12:55:20+00:00");
}

#[test]
fn atom_and_json_feed() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><id>urn:x</id><title type="html">Vắc xin &lt;b&gt;mới&lt;/b&gt;</title><link href="https://a.vn/v"/>
<updated>2024-02-14T14:18:00Z</updated><content type="html">&lt;p&gt;Nội dung&lt;/p&gt;</content></entry>
<entry><id>urn:y</id><title type="text">AT&amp;T &lt;rocks&gt;</title><link href="https://a.vn/w"/></entry></feed>"#;
    let items = parse(atom, "https://a.vn/atom.xml").items;
    assert_eq!(
        (items[0].title.as_str(), items[0].body.as_str(), items[0].id.as_str()),
        ("Vắc xin mới", "Nội dung", "urn:x")
    );
    // Plain text keeps its angle brackets.
    assert_eq!(items[1].title, "AT&T <rocks>");
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
        {"id":"1","url":"https://j.vn/1#top","title":"Tin","content_text":"Bệnh sởi","date_published":"2024-02-14T21:18:00+07:00"}]}"#;
    let items = parse(json, "https://j.vn/feed.json").items;
    assert_eq!((items[0].url.as_str(), items[0].body.as_str()), ("https://j.vn/1", "Bệnh sởi"));
}

#[test]
fn garbage_is_an_error_naming_the_url() {
    let e = parse_feed(b"<html>not a feed", None, "https://x.vn/f").unwrap_err().to_string();
    assert!(e.contains("https://x.vn/f") && e.contains("not a feed"), "{e}");
    assert!(parse_feed(b"", None, "https://x.vn/f").is_err());
    assert!(parse_feed(b"{\"version\": 1", None, "https://x.vn/f").is_err());
}

#[test]
fn broken_feeds_are_recovered_and_say_so() {
    let rss = "\u{feff}  junk<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Tin &amp; Sức khỏe&nbsp;24h</title>
<item><title>AT&T\u{1} &eacute;p gi&aacute;</title><link>https://bao.vn/a?x=1&y=2</link>
<description><p>Mở<br>đầu <b>đậm</description></item>
<item><title>Hai</title><link>https://bao.vn/b</link>";
    let feed = parse(rss, "https://bao.vn/rss");
    assert!(feed.recovered, "{feed:?}");
    assert!(
        feed.problem.as_deref().unwrap_or("").contains("not well-formed"),
        "{:?}",
        feed.problem
    );
    assert_eq!(feed.title, "Tin & Sức khỏe 24h");
    let got: Vec<(&str, &str, &str)> =
        feed.items.iter().map(|i| (i.title.as_str(), i.url.as_str(), i.summary.as_str())).collect();
    assert_eq!(
        got,
        [
            ("AT&T ép giá", "https://bao.vn/a?x=1&y=2", "Mở\nđầu đậm"),
            ("Hai", "https://bao.vn/b", "")
        ]
    );
}

#[test]
fn undeclared_rss_versions_and_relative_links() {
    // No version, no feed URL to resolve against: the channel link is the base.
    let rss = r#"<rss><channel><link>https://bao.vn/</link><item><title>x</title><link>tin/1.html#binh-luan</link></item></channel></rss>"#;
    let feed = parse(rss, "file:///var/feeds/bao.xml");
    assert_eq!((feed.items[0].url.as_str(), feed.recovered), ("https://bao.vn/tin/1.html", false));
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.vn/tin/"><title>A</title>
<entry><id>1</id><title>t</title><link href="bai-1.html?fbclid=abc&amp;gclid=x&amp;p=2"/></entry></feed>"#;
    assert_eq!(
        parse(atom, "https://feeds.a.vn/atom").items[0].url,
        "https://a.vn/tin/bai-1.html?p=2"
    );
}

#[test]
fn windows_1258_feeds_are_composed_text() {
    let mut bytes = b"<?xml version=\"1.0\" encoding=\"windows-1258\"?><rss version=\"2.0\"><channel><title>t</title><item><title>".to_vec();
    bytes.extend(crate::decode::tests::cp1258("Bộ Y tế cảnh báo dịch sởi"));
    bytes.extend_from_slice(b"</title><link>https://a.vn/1</link></item></channel></rss>");
    let feed = parse_feed(&bytes, Some("text/xml"), "https://a.vn/rss").unwrap();
    assert_eq!((feed.encoding, feed.recovered), ("windows-1258", false));
    assert_eq!(feed.items[0].title, "Bộ Y tế cảnh báo dịch sởi");
}

#[test]
fn vietnamese_dates_fall_back_to_model() {
    let rss = r#"<rss version="2.0"><channel><item><link>https://a.vn/1</link>
<pubDate>Thứ tư, 14/02/2024 21:18 (GMT+7)</pubDate></item>
<item><link>https://a.vn/2</link><pubDate>14/02/2024 - 21:18</pubDate></item></channel></rss>"#;
    let feed = parse(rss, "https://a.vn/rss");
    for it in &feed.items {
        assert_eq!(it.published.unwrap().to_rfc3339(), "2024-02-14T14:18:00+00:00");
    }
}

#[test]
fn last_resort_scan_reads_what_feed_rs_rejects() {
    // Broken (bare '&', unclosed) and, once repaired, still refused by feed-rs (an
    // xml:base that is no URL): the items are read by element names.
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://[bad"><title>Kênh</title>
<entry><title>A & B</title><link href="https://a.vn/1"/><updated>2024-02-14T14:18:00Z</updated>
<author><name>Lan</name></author><summary type="html">&lt;p&gt;Tóm tắt&lt;/p&gt;</summary></entry>
<entry><title>Hai"#;
    let feed = parse(atom, "https://a.vn/atom");
    assert!(feed.recovered);
    assert_eq!(feed.title, "Kênh");
    let it = &feed.items[0];
    assert_eq!(
        (it.title.as_str(), it.url.as_str(), it.summary.as_str()),
        ("A & B", "https://a.vn/1", "Tóm tắt")
    );
    assert_eq!(
        (it.author.as_deref(), it.published.map(|t| t.to_rfc3339())),
        (Some("Lan"), Some("2024-02-14T14:18:00+00:00".to_owned()))
    );
    assert_eq!(feed.unlinked.len(), 1);
    assert_eq!(feed.unlinked[0].title, "Hai");
}

#[test]
fn well_formed_feeds_feed_rs_rejects_are_not_recovered() {
    // No <channel>, items straight under <rss>: well-formed, so nothing was repaired.
    let feed = parse(
        "<rss><item><title>t</title><link>https://a.vn/1</link></item></rss>",
        "https://a.vn/rss",
    );
    assert_eq!((feed.items.len(), feed.recovered), (1, false));
    assert!(parse_feed(b"<html><body><p>x</p></body></html>", None, "https://a.vn/").is_err());
}

#[test]
fn long_vietnamese_feeds_and_truncations_never_panic() {
    // A multi-byte letter straddling every offset the reader looks ahead to.
    for pad in 0..4 {
        let mut rss = format!("<rss version=\"2.0\"><channel><title>{}</title>", "x".repeat(pad));
        while rss.len() < 5000 {
            rss.push_str(
                "<item><title>Sốt xuất huyết ở Hà Nội</title><link>https://a.vn/1</link></item>",
            );
        }
        rss.push_str("</channel></rss>");
        let feed = parse(&rss, "https://a.vn/rss");
        assert!(!feed.items.is_empty() && !feed.recovered);
        for cut in (0..rss.len()).step_by(61) {
            let _ = parse_feed(&rss.as_bytes()[..cut], None, "https://a.vn/rss");
        }
    }
}

/// Every feed document at hand: feedparser's suite, the fixtures and the VnExpress feed, or
/// `None` when the shared data is absent.
fn documents() -> Option<Vec<(std::path::PathBuf, Vec<u8>)>> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    let suite = test_support::shared_data("feedparser-tests/tests")?;
    let vnexpress = test_support::shared_data("vnexpress-rss-2017")?;
    let mut docs = Vec::new();
    walk(&suite, &mut docs);
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"), &mut docs);
    walk(&vnexpress, &mut docs);
    docs.sort();
    Some(docs)
}

#[test]
fn the_direct_reader_agrees_with_feed_rs() {
    let Some(docs) = documents() else { return };
    // Present but not whole (a partial copy) is a failure, not a skip.
    assert!(docs.len() > 1_000, "feedparser suite incomplete: {} documents", docs.len());
    let mut read = 0;
    for (path, bytes) in &docs {
        let url = "http://127.0.0.1:8097/tests/feed.xml";
        let ctx = Context { url, base: url::Url::parse(url).ok() };
        let text = prepare(decode_for_url(bytes, None, url).text);
        let Some(direct) = direct::read(&text, ctx.base.as_ref()) else { continue };
        read += 1;
        let strict: parsed::Parsed = match strict(&text, &ctx) {
            Ok(feed) => feed.into(),
            Err(e) => {
                panic!("{}: feed-rs refuses what the direct reader read: {e}", path.display())
            }
        };
        assert_eq!(
            (direct.dialect, &direct.title, &direct.links),
            (strict.dialect, &strict.title, &strict.links),
            "{}",
            path.display()
        );
        assert_eq!(direct.entries, strict.entries, "{}", path.display());
    }
    // Most of the suite is in the shapes the direct reader takes.
    assert!(read > docs.len() / 3, "only {read} of {} documents read directly", docs.len());
}
