//! Search and media feeds as their services publish them: Google News search RSS and
//! YouTube channel Atom.

use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn google_news_search_keeps_the_outlet() {
    let url = "https://news.google.com/rss/search?q=%22s%E1%BB%91t+xu%E1%BA%A5t+huy%E1%BA%BFt%22+when:7d&hl=vi&gl=VN&ceid=VN:vi";
    let feed = feeds::parse_feed(
        &fixture("google-news-vi.xml"),
        Some("application/xml; charset=utf-8"),
        url,
    )
    .unwrap();
    assert!(!feed.recovered, "{:?}", feed.problem);
    assert_eq!(feed.title, "\"sốt xuất huyết\" when:7d - Google Tin tức");
    let got: Vec<(&str, Option<&str>)> =
        feed.items.iter().map(|i| (i.title.as_str(), i.outlet.as_deref())).collect();
    assert_eq!(
        got,
        [
            ("Hà Nội ghi nhận thêm 212 ca sốt xuất huyết trong tuần", Some("VnExpress")),
            ("Bộ Y tế khuyến cáo phòng chống sốt xuất huyết mùa mưa", Some("Báo Tuổi Trẻ")),
            ("Cảnh báo tin giả về thuốc đặc trị sốt xuất huyết", Some("Sức khỏe & Đời sống")),
        ]
    );
    let first = &feed.items[0];
    assert!(
        first.url.starts_with("https://news.google.com/rss/articles/CBMiWGh0"),
        "{}",
        first.url
    );
    assert_eq!(first.summary, "Hà Nội ghi nhận thêm 212 ca sốt xuất huyết trong tuần VnExpress");
    assert_eq!(first.published.unwrap().to_rfc3339(), "2024-02-14T14:18:00+00:00");
    // A story cluster lists its other outlets in the description, one per line.
    assert_eq!(
        feed.items[1].summary,
        "Bộ Y tế khuyến cáo phòng chống sốt xuất huyết mùa mưa Báo Tuổi Trẻ\nSốt xuất huyết tăng mạnh ở phía Nam Báo Thanh Niên"
    );
    assert!(!feed.items[2].url.contains("utm_source"), "{}", feed.items[2].url);
}

#[test]
fn youtube_channel_uses_media_description() {
    let url = "https://www.youtube.com/feeds/videos.xml?channel_id=UCexampleBoYTe000000000";
    let feed =
        feeds::parse_feed(&fixture("youtube-channel.xml"), Some("text/xml; charset=UTF-8"), url)
            .unwrap();
    assert!(!feed.recovered);
    assert_eq!(feed.title, "Bộ Y tế - Kênh truyền thông");
    assert_eq!(
        feed.link.as_deref(),
        Some("https://www.youtube.com/channel/UCexampleBoYTe000000000")
    );
    assert_eq!(feed.items.len(), 2);
    let v = &feed.items[0];
    assert_eq!(v.url, "https://www.youtube.com/watch?v=a1B2c3D4e5F&feature=youtu.be");
    assert_eq!(v.id, "yt:video:a1B2c3D4e5F");
    assert_eq!(v.title, "Hướng dẫn diệt bọ gậy phòng chống sốt xuất huyết | VTV24");
    assert_eq!(
        v.summary,
        "Mùa mưa là thời điểm muỗi vằn sinh sản mạnh. Người dân cần lật úp dụng cụ chứa nước, thả cá diệt bọ gậy & ngủ màn. #sotxuathuyet #boyte"
    );
    assert_eq!(v.author.as_deref(), Some("Bộ Y tế - Kênh truyền thông"));
    assert_eq!(v.published.unwrap().to_rfc3339(), "2024-02-14T10:00:07+00:00");
    assert_eq!(v.updated.unwrap().to_rfc3339(), "2024-02-14T12:31:45+00:00");
}

#[test]
fn the_real_vnexpress_feed() {
    let Some(path) = test_support::shared_data("vnexpress-rss-2017/data.xml") else { return };
    let bytes = std::fs::read(&path).unwrap();
    let feed =
        feeds::parse_feed(&bytes, None, "https://vnexpress.net/rss/tin-moi-nhat.rss").unwrap();
    assert!(feed.items.len() > 10, "{}", feed.items.len());
    assert!(feed.unlinked.is_empty());
    for item in &feed.items {
        assert!(
            item.url.starts_with("https://") || item.url.starts_with("http://"),
            "{}",
            item.url
        );
        assert!(!item.title.is_empty() && item.published.is_some(), "{item:?}");
        assert!(!item.summary.contains('<') && !item.summary.contains("&gt;"), "{}", item.summary);
    }
}
