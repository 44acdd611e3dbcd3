//! Hostile and broken pages: no panic, no script or style text in any field, whitespace
//! normalised, whatever the markup.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use extract::{Article, Extractor};
use proptest::prelude::*;

const MARK: &str = "KHONG_PHAI_VAN_BAN";

/// What must hold for any page.
fn check(a: &Article) {
    for field in [a.title.as_deref(), a.lead.as_deref(), a.author.as_deref(), Some(a.text.as_str())]
        .into_iter()
        .flatten()
    {
        assert!(!field.contains(MARK), "script or style text leaked: {field:?}");
        assert_eq!(field, field.trim(), "untrimmed field {field:?}");
        assert!(!field.contains("\n\n\n"), "more than one blank line in {field:?}");
        assert!(!field.contains("  "), "double space in {field:?}");
    }
    for block in a.text.split("\n\n") {
        assert_eq!(block, block.trim(), "untrimmed paragraph {block:?}");
    }
    if let Some(u) = &a.canonical_url {
        assert!(u.starts_with("http://") || u.starts_with("https://"), "{u}");
    }
}

fn noise() -> String {
    format!(
        "<script>var s = '{MARK}'; document.write('<p>{MARK}</p>');</script>\
         <style>p::after {{ content: '{MARK}'; }}</style><noscript>{MARK}</noscript>\
         <iframe srcdoc='<p>{MARK}</p>'>{MARK}</iframe><template><p>{MARK}</p></template>\
         <svg><text>{MARK}</text></svg><div hidden>{MARK}</div><p style='display: none'>{MARK}</p>"
    )
}

#[test]
fn scripts_styles_iframes_and_hidden_text_never_count() {
    let e = Extractor::new();
    let html = format!(
        "<html><head><title>Tiêu đề</title>{n}</head><body>{n}<article><h1>Bản tin y tế hôm nay</h1>{n}\
         <p>Người dân cần rửa tay bằng xà phòng, đeo khẩu trang nơi đông người và đi khám sớm khi sốt.</p>\
         {n}<p>Ngành y tế khuyến cáo tiêm vắc xin đầy đủ, đúng lịch cho trẻ em và người cao tuổi.</p></article>{n}</body></html>",
        n = noise()
    );
    for url in [
        "https://example.vn/ban-tin-y-te-hom-nay-123456.html",
        "https://vnexpress.net/a-1234567.html",
    ] {
        let a = e.article(&html, url);
        check(&a);
        assert!(a.text.contains("rửa tay bằng xà phòng"), "{a:?}");
    }
}

#[test]
fn entities_are_decoded_and_whitespace_normalised() {
    let e = Extractor::new();
    let html = "<body><div class=content><p>  Sốt&nbsp;xuất&#32;huyết &amp; tay chân miệng:\t\r\n\
                &quot;phòng&quot; bệnh &#x111;úng c&aacute;ch, vệ sinh môi trường sạch sẽ mỗi tuần. </p>\
                <p>Đoạn hai\u{200B} của bài, với đủ dấu phẩy, dấu chấm và nội dung để được chọn.</p></div></body>";
    let a = e.article(html, "https://example.vn/bai-viet-ve-sot-xuat-huyet");
    check(&a);
    assert_eq!(
        a.text,
        "Sốt xuất huyết & tay chân miệng: \"phòng\" bệnh đúng cách, vệ sinh môi trường sạch sẽ mỗi tuần.\n\n\
         Đoạn hai của bài, với đủ dấu phẩy, dấu chấm và nội dung để được chọn."
    );
}

#[test]
fn malformed_markup_still_yields_the_text() {
    let e = Extractor::new();
    let html = "<html><body><div class='detail'><p>Đoạn một chưa đóng thẻ, nhưng vẫn là văn bản của bài báo.\
                <p>Đoạn hai <b>in đậm <i>lồng</b> sai</i> thứ tự, vẫn phải đọc được trọn vẹn.\
                </div></div></div><table><p>Đoạn ba nằm lạc trong bảng, trình duyệt đưa nó ra ngoài.</table>\
                <p class=x id=>Đoạn bốn có thuộc tính <a href=>hỏng</a>, dấu < lẻ và &bogus; thực thể lạ, vẫn là một đoạn văn đủ dài.</p>";
    let a = e.article(html, "not a url");
    check(&a);
    assert!(a.text.contains("Đoạn hai in đậm lồng sai thứ tự"), "{}", a.text);
    assert!(a.text.contains("dấu < lẻ và &bogus; thực thể lạ"), "{}", a.text);
}

#[test]
fn deeply_nested_and_huge_pages_finish() {
    let e = Extractor::new();
    let depth = 20_000;
    let mut html = String::from("<html><body>");
    html.push_str(&"<div class='content'>".repeat(depth));
    html.push_str("<p>Văn bản ở tầng sâu nhất, với dấu phẩy, dấu chấm.</p>");
    html.push_str(&"</div>".repeat(depth));
    html.push_str("<article><p>Văn bản ở tầng nông, đủ dài để là một đoạn của bài viết, có dấu phẩy, dấu chấm.</p></article></body></html>");
    let a = e.article(&html, "https://example.vn/bai-rat-sau-123456.html");
    check(&a);
    assert!(a.text.contains("tầng nông"), "{}", a.text);
    assert!(e.listing(&html, "https://example.vn/").is_empty());

    let para = "<p>Một đoạn văn dài vừa phải về sức khỏe cộng đồng, có dấu phẩy, có dấu chấm. </p>";
    let big =
        format!("<html><body><div class='article'>{}</div></body></html>", para.repeat(40_000));
    let a = e.article(&big, "https://example.vn/bai-rat-dai-123456.html");
    check(&a);
    assert_eq!(a.text.matches("sức khỏe cộng đồng").count(), 40_000);
}

/// Every saved page, cut, spliced and sprinkled with markup characters.
#[test]
fn mangled_saved_pages_never_panic() {
    let e = Extractor::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|d| d.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    pages.sort();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    for path in pages {
        let html = std::fs::read_to_string(&path).unwrap();
        let chars: Vec<char> = html.chars().collect();
        for round in 0..6 {
            let mut m: Vec<char> = chars.clone();
            match round {
                0 => m.truncate(next(m.len())),
                1 => {
                    let a = next(m.len());
                    let b = (a + next(5_000)).min(m.len());
                    m.drain(a..b);
                }
                2 => {
                    let a = next(m.len());
                    let b = (a + next(3_000)).min(m.len());
                    let piece: Vec<char> = m[a..b].to_vec();
                    let at = next(m.len());
                    m.splice(at..at, piece);
                }
                _ => {
                    for _ in 0..200 {
                        let at = next(m.len());
                        m.insert(at, ['<', '>', '"', '\'', '&', '/', '='][next(7)]);
                    }
                }
            }
            let text: String = m.into_iter().collect();
            for url in [
                "https://vnexpress.net/x-1234567.html",
                "https://soyte.hanoi.gov.vn/a",
                "https://example.vn/",
            ] {
                check(&e.article(&text, url));
                for link in e.listing(&text, url) {
                    assert!(link.starts_with("http"), "{link}");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_tag_soup_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("<div class='content'>".to_owned()), Just("</div>".to_owned()),
                Just("<p>".to_owned()), Just("</p>".to_owned()), Just("<table><tr><td>".to_owned()),
                Just("</td></tr></table>".to_owned()), Just("<a href='/tin-tuc-123456.html'>".to_owned()),
                Just("</a>".to_owned()), Just("<br>".to_owned()), Just("<script>".to_owned()),
                Just("<h1>".to_owned()), Just("<figure><figcaption>".to_owned()),
                Just("<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":".to_owned()),
                Just("<meta property='og:url' content='//x/'>".to_owned()),
                Just("<link rel=canonical href='javascript:alert(1)'>".to_owned()),
                Just("Xem thêm: ".to_owned()), Just("&nbsp;&amp;&#0;&#xD800;".to_owned()),
                "[a-zA-Zàáạảãăắằẳẵặâấầẩẫậđèéẹẻẽêếềểễệ ,.:;]{0,40}",
                "\\PC{0,20}",
            ],
            0..60,
        ),
        url in prop_oneof![
            Just("https://vnexpress.net/a-1234567.html"), Just("https://moh.gov.vn/-/123-a"),
            Just("https://soyte.camau.gov.vn/x"), Just("http://example.vn/"), Just("::"),
        ],
    ) {
        let html: String = parts.concat();
        let e = Extractor::new();
        check(&e.article(&html, url));
        let _ = e.listing(&html, url);
    }
}
