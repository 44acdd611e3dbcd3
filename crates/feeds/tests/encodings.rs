//! Whole feeds in the encodings Vietnamese sites send, through `parse_feed`: UTF-8 with a
//! few stray bytes keeps its titles, and legacy code pages under a wrong label or none are
//! still read as what they are.
#![allow(clippy::unwrap_used)]

use encoding_rs::{WINDOWS_1252, WINDOWS_1258};
use unicode_normalization::UnicodeNormalization;

const CHANNEL: &str = "Sức khỏe - Báo Thử";
const BYLINE: &str = "Bài viết của phóng viên Báo Thử.";

const TITLES: [&str; 5] = [
    "Hà Nội ghi nhận 412 ca sốt xuất huyết trong tuần",
    "Bộ Y tế khuyến cáo người dân phòng chống dịch bệnh mùa mưa lũ",
    "Cảnh báo tin giả về thuốc đặc trị sốt xuất huyết",
    "Trẻ mắc tay chân miệng tăng ở phía Nam",
    "Tiêm vắc xin cúm mùa trước mùa đông: những điều cần biết",
];

/// An RSS 2.0 feed `channel` of `titles` (each also its item's description, with a byline)
/// as `encode` writes them, declaring `declared` (if any).
fn rss(
    channel: &str,
    titles: &[&str],
    declared: Option<&str>,
    encode: impl Fn(&str) -> Vec<u8>,
) -> Vec<u8> {
    let mut b = match declared {
        Some(e) => format!("<?xml version=\"1.0\" encoding=\"{e}\"?>\n").into_bytes(),
        None => Vec::new(),
    };
    b.extend_from_slice(b"<rss version=\"2.0\"><channel><title>");
    b.extend(encode(channel));
    b.extend_from_slice(b"</title><link>https://baothu.vn/</link>");
    for (i, t) in titles.iter().enumerate() {
        b.extend_from_slice(b"<item><title>");
        b.extend(encode(t));
        b.extend_from_slice(
            format!("</title><link>https://baothu.vn/tin/{i}.html</link><description>").as_bytes(),
        );
        b.extend(encode(&format!("{t}. {BYLINE}")));
        b.extend_from_slice(b"</description></item>");
    }
    b.extend_from_slice(b"</channel></rss>");
    b
}

/// What windows-1258 encoders write: base letters precomposed, tones as combining marks.
fn cp1258(s: &str) -> Vec<u8> {
    const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
    let mut out = String::new();
    for c in s.chars() {
        let parts: Vec<char> = c.nfd().collect();
        let base: String =
            parts.iter().filter(|p| !TONES.contains(p)).collect::<String>().nfc().collect();
        out.push_str(&base);
        out.extend(parts.iter().filter(|p| TONES.contains(p)));
    }
    let (bytes, _, unmappable) = WINDOWS_1258.encode(&out);
    assert!(!unmappable, "{s:?}");
    bytes.into_owned()
}

fn titles(feed: &feeds::Feed) -> Vec<&str> {
    feed.items.iter().map(|i| i.title.as_str()).collect()
}

#[test]
fn a_utf8_feed_with_a_few_stray_bytes_keeps_every_title() {
    let mut bytes = rss(CHANNEL, &TITLES, Some("UTF-8"), |s| s.as_bytes().to_vec());
    // Three bad sequences: a Windows quote after the second title, a lone continuation
    // byte in the fourth title's description, and a character cut short at the end of the
    // fifth title.
    let splice = |bytes: &mut Vec<u8>, after: &str, nth: usize, bad: &[u8]| {
        let after = after.as_bytes();
        let (at, _) =
            bytes.windows(after.len()).enumerate().filter(|(_, w)| *w == after).nth(nth).unwrap();
        let at = at + after.len();
        bytes.splice(at..at, bad.iter().copied());
    };
    splice(&mut bytes, TITLES[1], 0, b"\x93");
    splice(&mut bytes, "phóng viên", 3, b"\x80");
    splice(&mut bytes, TITLES[4], 0, b"\xe1\xbb");
    assert!(std::str::from_utf8(&bytes).is_err());
    for content_type in [Some("application/rss+xml; charset=utf-8"), None] {
        let feed = feeds::parse_feed(&bytes, content_type, "https://baothu.vn/rss").unwrap();
        assert_eq!(feed.encoding, "UTF-8");
        assert_eq!(feed.title, CHANNEL);
        let mut expected: Vec<String> = TITLES.iter().map(|t| (*t).to_owned()).collect();
        expected[1].push('\u{fffd}');
        expected[4].push('\u{fffd}');
        assert_eq!(titles(&feed), expected);
        assert_eq!(
            feed.items[3].summary,
            "Trẻ mắc tay chân miệng tăng ở phía Nam. Bài viết của phóng viên\u{fffd} Báo Thử."
        );
        // The replacement is reported, not hidden.
        assert!(feed.problem.as_deref().is_some_and(|p| p.contains("replaced")), "{feed:?}");
    }
}

#[test]
fn mislabelled_and_unlabelled_legacy_feeds_are_still_read() {
    let vietnamese = [
        // Declared UTF-8 in the document, written in windows-1258.
        (rss(CHANNEL, &TITLES, Some("utf-8"), cp1258), None),
        // Declared UTF-8 by the server.
        (rss(CHANNEL, &TITLES, None, cp1258), Some("application/rss+xml; charset=UTF-8")),
        // Declared nowhere.
        (rss(CHANNEL, &TITLES, None, cp1258), None),
    ];
    for (bytes, content_type) in &vietnamese {
        let feed =
            feeds::parse_feed(bytes, content_type.as_deref(), "https://baothu.vn/rss").unwrap();
        assert_eq!(feed.encoding, "windows-1258", "{content_type:?}");
        assert_eq!(titles(&feed), TITLES, "{content_type:?}");
        assert_eq!(feed.title, CHANNEL);
    }

    let french = ["Café crème: « la brûlée » à la française", "Où trouver l’été — « voilà »"];
    let cp1252 = |s: &str| WINDOWS_1252.encode(s).0.into_owned();
    for (declared, content_type) in
        [(Some("utf-8"), None), (None, Some("text/xml; charset=utf-8")), (None, None)]
    {
        let bytes = rss("Cuisine — Le Journal", &french, declared, cp1252);
        let feed = feeds::parse_feed(&bytes, content_type, "https://example.fr/rss").unwrap();
        assert_eq!(feed.encoding, "windows-1252", "{declared:?} {content_type:?}");
        assert_eq!(titles(&feed), french);
    }
}
