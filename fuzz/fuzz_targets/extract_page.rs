//! Article and listing extraction on arbitrary input: no panic, trimmed fields, absolute
//! http(s) URLs only.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static EXTRACTOR: OnceLock<extract::Extractor> = OnceLock::new();

fuzz_target!(|html: &str| {
    let e = EXTRACTOR.get_or_init(extract::Extractor::new);
    for url in [
        "https://vnexpress.net/a-1234567.html",
        "https://soyte.hanoi.gov.vn/tin",
        "https://example.vn/",
    ] {
        let a = e.article(html, url);
        for field in
            [a.title.as_deref(), a.lead.as_deref(), a.author.as_deref(), Some(a.text.as_str())]
                .into_iter()
                .flatten()
        {
            assert_eq!(field, field.trim());
        }
        for u in a.canonical_url.iter().chain(e.listing(html, url).iter()) {
            assert!(u.starts_with("http://") || u.starts_with("https://"), "{u}");
        }
    }
});
