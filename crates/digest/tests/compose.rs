//! The digest as each reader gets it: the three parts in 3C order in both the text and the
//! HTML, absolute links from the public address, nothing listed twice, what differs between
//! leadership, officers and the spokesperson, escaping, the chart, and the MIME message.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

#[path = "support/input.rs"]
#[allow(dead_code)]
mod input;

use digest::{Audience, Composed, Headers, compose, to_message};
use input::{PUBLIC, at, input};

fn all() -> Vec<(Audience, Composed)> {
    Audience::ALL.into_iter().map(|a| (a, compose(&input(a)))).collect()
}

/// Where each of `needles` first appears in `hay`, failing when one is missing.
fn positions(hay: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|n| hay.find(n).unwrap_or_else(|| panic!("{n:?} missing from:\n{hay}")))
        .collect()
}

#[test]
fn the_parts_come_in_3c_order_in_text_and_html() {
    for (a, d) in all() {
        let text = positions(&d.text, &["1. NẮM BẮT", "2. XỬ LÝ", "3. CUNG CẤP"]);
        assert!(text.windows(2).all(|w| w[0] < w[1]), "{a:?} text: {text:?}");
        let html = positions(&d.html, &["1 · NẮM BẮT", "2 · XỬ LÝ", "3 · CUNG CẤP"]);
        assert!(html.windows(2).all(|w| w[0] < w[1]), "{a:?} html: {html:?}");
        // Each part's content sits in its part: spikes under grasp, the backlog under
        // handle, health days under provide.
        let t = &d.text;
        let spike = t.find("Tăng đột biến (1)").unwrap();
        let backlog = t.find("Cuối ngày 20/11/2026: 10 cảnh báo đang mở").unwrap();
        let days = t.find("Ngày sức khỏe sắp tới").unwrap();
        assert!(text[0] < spike && spike < text[1], "{a:?}");
        assert!(text[1] < backlog && backlog < text[2], "{a:?}");
        assert!(text[2] < days, "{a:?}");
    }
}

#[test]
fn links_are_absolute_from_the_public_address() {
    for (a, d) in all() {
        assert!(!d.text.contains("127.0.0.1") && !d.html.contains("127.0.0.1"), "{a:?}");
        assert!(d.text.contains("https://langnghe.soyte.example.vn/alerts/7"), "{a:?}");
        assert!(d.html.contains("href=\"https://langnghe.soyte.example.vn/stories/11\""), "{a:?}");
        assert!(d.html.contains("href=\"https://langnghe.soyte.example.vn/calendar\""), "{a:?}");
        let web = format!(
            "https://langnghe.soyte.example.vn/digest?date=2026-11-20&amp;role={}",
            a.as_str()
        );
        assert!(d.html.contains(&web), "{a:?}: the web view is linked");
        // Every link of the HTML is absolute and on the public address.
        for part in d.html.split("href=\"").skip(1) {
            assert!(part.starts_with(PUBLIC), "{a:?}: a link to {}", &part[..40.min(part.len())]);
        }
    }
}

#[test]
fn nothing_is_listed_twice() {
    for (a, d) in all() {
        let aids = "Ngày Thế giới phòng, chống AIDS và Tháng hành động";
        assert_eq!(d.text.matches(aids).count(), 1, "{a:?}:\n{}", d.text);
        assert_eq!(d.html.matches(aids).count(), 1, "{a:?}");
        // The two entries are one, running the whole month, with the rules of both.
        assert!(d.text.contains("01/12 – 31/12, còn 11 ngày"), "{a:?}:\n{}", d.text);
        assert!(d.text.contains("Theo dõi: HIV/AIDS; Tình dục an toàn"), "{a:?}");
        assert!(d.text.contains("Ngày sức khỏe sắp tới (2)"), "{a:?}");
        assert_eq!(d.text.matches("/stories/11\n").count(), 1, "{a:?}");
        assert!(d.text.contains("Câu chuyện nổi bật (2)"), "{a:?}");
        assert!(d.text.contains("Cảnh báo mới (3)"), "{a:?}");
        assert!(d.text.contains("P1 – Khẩn cấp: 1 · P2 – Cao: 1 · P3 – Bình thường: 1"), "{a:?}");
    }
    let officer = compose(&input(Audience::Officer));
    assert_eq!(officer.text.matches("/alerts/3\n").count(), 1, "{}", officer.text);
}

#[test]
fn each_reader_gets_their_own_digest() {
    let [lead, officer, spokes] = [Audience::Leadership, Audience::Officer, Audience::Spokesperson]
        .map(|a| compose(&input(a)));
    // Leadership: the summary: P1 and P2 listed, the rest counted; the week's backlog.
    assert!(
        lead.subject
            .starts_with("Lắng Nghe – Bản tin lãnh đạo ngày 20/11/2026: 3 cảnh báo mới, 1 quá hạn")
    );
    assert!(lead.text.contains("Dành cho lãnh đạo"));
    assert!(!lead.text.contains("Sốt xuất huyết tăng ở Đồng Nai"), "P3 is counted, not listed");
    assert!(lead.text.contains("… và 1 cảnh báo khác"));
    assert!(lead.text.contains("Ngày   Đang mở  Quá hạn  Chưa tiếp nhận"));
    assert!(!lead.text.contains("Việc của bạn"));
    assert!(!lead.text.contains("« Sở Y tế khẳng định"), "no response texts for leadership");
    // The officer: their queue, every new alert, each handled alert's times.
    assert!(officer.subject.contains("Việc xử lý của lan ngày 20/11/2026: 1 việc được giao"));
    assert!(officer.text.contains("Dành cho cán bộ xử lý lan"));
    for part in ["Việc của bạn", "Được giao cho bạn: 1", "Chưa ai nhận: 3", "Quá hạn: 1"]
    {
        assert!(officer.text.contains(part), "{part}:\n{}", officer.text);
    }
    assert!(officer.text.contains("… và 2 việc khác trong hàng việc."));
    assert!(officer.text.contains("quá hạn từ 08:00 20/11 (15 giờ trước)"), "{}", officer.text);
    assert!(officer.text.contains("Sốt xuất huyết tăng ở Đồng Nai"), "the officer sees P3");
    assert!(
        officer
            .text
            .contains("tiếp nhận sau 45 phút, quyết định sau 1 giờ 20 phút, phản hồi sau 6 giờ")
    );
    assert!(officer.text.contains("Chưa khắc phục: Trang <Mẹo vặt>"));
    assert!(!officer.text.contains("Thông điệp dự kiến"));
    // The spokesperson: what was said and who has not corrected, what to say next.
    assert!(
        spokes
            .subject
            .contains("Bản tin truyền thông ngày 20/11/2026: 2 câu chuyện nổi bật, 1 phản hồi")
    );
    assert!(spokes.text.contains("« Sở Y tế khẳng định lá xạ đen không chữa khỏi ung thư. »"));
    assert!(spokes.text.contains("Địa chỉ: https://soyte.example.vn/thong-cao"));
    assert!(spokes.text.contains("Thông điệp dự kiến: Thông điệp: xét nghiệm HIV"));
    assert!(!spokes.text.contains("Việc của bạn"));
    assert!(!spokes.text.contains("Ngày   Đang mở"), "no backlog table for the spokesperson");
    assert!(!spokes.text.contains("tiếp nhận sau 45 phút"));
    // Everyone: the day's numbers and 3C parts.
    for d in [&lead, &officer, &spokes] {
        assert!(d.text.contains(
            "Cảnh báo mới: 3 · Đang mở cuối ngày: 10 · Quá hạn: 1 · Phản hồi đã đưa ra: 1"
        ));
        assert!(d.text.contains("3/4 đã khắc phục") || d.text.contains("2/4 nơi đã đính chính"));
    }
}

#[test]
fn untrusted_text_is_escaped_and_the_html_is_mail_safe() {
    for (a, d) in all() {
        assert!(!d.html.contains("<script"), "{a:?}");
        assert!(d.html.contains("Công văn giả &lt;script&gt;alert(1)&lt;/script&gt;"), "{a:?}");
        assert!(d.html.contains("Báo &lt;Sức khỏe&gt;"), "{a:?}");
        assert!(
            d.text.contains("Công văn giả <script>alert(1)</script>"),
            "{a:?}: text stays text"
        );
        // Inline styles only: no style sheet, no classes, no remote images, no scripts.
        for banned in ["<style", "<link", "class=", "<script", "src=\"http", "javascript:"] {
            assert!(!d.html.contains(banned), "{a:?}: {banned}");
        }
        assert!(d.html.contains("max-width:640px"), "{a:?}");
        assert!(d.html.contains("<meta name=\"viewport\""), "{a:?}");
        assert!(d.html.starts_with("<!doctype html><html lang=\"vi\">"), "{a:?}");
        assert!(d.html.contains(&d.body), "{a:?}: the page holds the body");
    }
}

#[test]
fn the_spike_chart_is_an_inline_png() {
    let d = compose(&input(Audience::Leadership));
    assert_eq!(d.images.len(), 1);
    let image = &d.images[0];
    assert_eq!(image.cid, "spike-40@langnghe");
    assert!(d.html.contains("src=\"cid:spike-40@langnghe\""));
    assert!(image.png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(&image.png[12..16], b"IHDR");
    let w = u32::from_be_bytes(image.png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(image.png[20..24].try_into().unwrap());
    assert_eq!((w, h), (digest::chart::WIDTH * 2, digest::chart::HEIGHT * 2));
    assert!(d.text.contains(
        "Số câu chuyện mỗi ngày từ 07/11 đến 20/11: 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 9"
    ));
    assert!(
        d.text.contains("9 câu chuyện trong ngày; trung bình 13 ngày trước đó: 0,9"),
        "{}",
        d.text
    );
    // The web view carries the same image as data.
    let web = d.with_data_images(true);
    assert!(web.contains("src=\"data:image/png;base64,iVBORw0KGgo"));
    assert!(!web.contains("cid:"));
}

#[test]
fn the_message_has_text_html_and_the_chart_inline() {
    let d = compose(&input(Audience::Spokesperson));
    let to = vec!["phat-ngon@soyte.example.vn".to_owned()];
    let headers = Headers {
        from: "langnghe@soyte.example.vn",
        to: &to,
        date: at(7, 0),
        message_id: "digest-2026-11-20-spokesperson@soyte.example.vn",
    };
    let eml = String::from_utf8(to_message(&d, &headers).unwrap()).unwrap();
    for part in [
        "multipart/alternative",
        "multipart/related",
        "text/plain; charset=utf-8",
        "text/html; charset=utf-8",
        "Content-Type: image/png",
        "Content-ID: <spike-40@langnghe>",
        "Content-Disposition: inline",
        "Message-ID: <digest-2026-11-20-spokesperson@soyte.example.vn>",
        "To: phat-ngon@soyte.example.vn",
        "Date: Fri, 20 Nov 2026 00:00:00 +0000",
    ] {
        assert!(eml.contains(part), "{part}:\n{}", &eml[..2000.min(eml.len())]);
    }
    // Plain text before the HTML, as readers choose the last part they can show.
    assert!(eml.find("text/plain").unwrap() < eml.find("text/html").unwrap());
    let bad = Headers { from: "not an address", ..headers };
    assert!(to_message(&d, &bad).is_err());
    // Without charts, no related part.
    let mut plain = input::input(Audience::Officer);
    plain.spikes.clear();
    let eml = to_message(&compose(&plain), &headers).unwrap();
    assert!(!String::from_utf8(eml).unwrap().contains("multipart/related"));
}

#[test]
fn an_empty_day_still_has_every_part() {
    let empty = digest::DigestInput::empty(
        input::date(11, 20),
        Audience::Leadership,
        "http://127.0.0.1:8080",
        at(23, 0),
    );
    let d = compose(&empty);
    for part in [
        "Không có cảnh báo mới.",
        "Không có chủ đề nào tăng đột biến.",
        "Chưa có số liệu xử lý của ngày này.",
        "Không có phản hồi chính thức nào được đăng trong ngày.",
        "Không có ngày sức khỏe nào đang diễn ra hoặc cần chuẩn bị.",
    ] {
        assert!(d.text.contains(part), "{part}:\n{}", d.text);
    }
    assert!(d.images.is_empty());
    assert!(
        d.text.contains("http://127.0.0.1:8080/calendar"),
        "the configured address, whatever it is"
    );
}

#[test]
fn long_lists_are_cut_and_empty_figures_said_in_words() {
    let mut i = input(Audience::Leadership);
    i.health_days[2].related = (1..=8).map(|n| format!("Chủ đề {n}")).collect();
    i.corrections[0].outlets = 0;
    i.corrections[0].corrected = 0;
    i.corrections[0].remedied = 0;
    let d = compose(&i);
    assert!(
        d.text.contains(
            "Theo dõi: Chủ đề 1; Chủ đề 2; Chủ đề 3; Chủ đề 4; Chủ đề 5 và 3 chủ đề khác"
        ),
        "{}",
        d.text
    );
    assert!(d.text.contains("Chưa ghi nhận nơi nào đưa tin cần cải chính."));
    assert!(!d.text.contains("0/0"));
}
