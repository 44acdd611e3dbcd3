//! Administrators' adapter files through the public API.
#![allow(clippy::unwrap_used)]

use extract::{AdapterSource, Extractor};

const PAGE: &str = "<html><head><meta property='og:title' content='Tiêu đề og'></head><body>\
    <div class='bai'><h2 class='tieu-de'>Tiêu đề riêng</h2><div class='than'>\
    <p>Đoạn văn của bài báo, đủ dài, có dấu phẩy, dấu chấm để được đọc như một đoạn.</p>\
    <div class='quang-cao'>Quảng cáo ở giữa bài</div></div></div></body></html>";

#[test]
fn an_administrators_file_adds_and_overrides_adapters() {
    let file = AdapterSource::new(
        "/etc/langnghe/adapters/bao-tinh.toml",
        "[[adapter]]\nname = \"baotinh\"\nhosts = [\"baotinh.vn\"]\ntitle = [\"h2.tieu-de\"]\n\
         body = [\"div.than\"]\nremove = [\".quang-cao\"]\n\
         [[adapter]]\nname = \"vnexpress\"\nhosts = [\"vnexpress.net\"]\nbody = [\"div.than\"]\n",
    );
    let e = Extractor::with_adapters(&[file]).unwrap();
    let a = e.article(PAGE, "https://www.baotinh.vn/bai-123456.html");
    assert_eq!(a.adapter.as_deref(), Some("baotinh"));
    assert_eq!(a.title.as_deref(), Some("Tiêu đề riêng"));
    assert_eq!(
        a.text,
        "Đoạn văn của bài báo, đủ dài, có dấu phẩy, dấu chấm để được đọc như một đoạn."
    );
    // The embedded VnExpress adapter was replaced by the file's one of the same name.
    let a = e.article(PAGE, "https://vnexpress.net/x-1234567.html");
    assert_eq!(a.adapter.as_deref(), Some("vnexpress"));
    assert_eq!(a.title.as_deref(), Some("Tiêu đề og"));
    assert!(e.adapter_names().iter().filter(|n| *n == "vnexpress").count() == 1);
    assert_eq!(e.adapter_for("https://m.baotinh.vn/a").as_deref(), Some("baotinh"));
    assert_eq!(Extractor::new().adapter_for("https://baotinh.vn/a"), None);
}

#[test]
fn every_problem_of_every_file_is_reported_with_its_origin() {
    let e = Extractor::with_adapters(&[
        AdapterSource::new(
            "a.toml",
            "[[adapter]]\nname = \"a\"\nhosts = [\"a.vn\"]\nbody = [\"div[\"]\n",
        ),
        AdapterSource::new("b.toml", "[[adapter]]\nname = \"b\"\nhost = [\"b.vn\"]\n"),
    ])
    .unwrap_err();
    let lines: Vec<String> = e.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 2, "{e}");
    assert!(lines[0].starts_with("a.toml:4:9: body: invalid CSS selector \"div[\""), "{e}");
    assert!(lines[1].starts_with("b.toml:3:1: unknown field `host`"), "{e}");
}

#[test]
fn the_extractor_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Extractor>();
}
