//! Bytes to text: which character encoding a feed or page is in, and decoding it.
//!
//! The order is the one browsers and feed readers converge on (WHATWG encoding sniffing,
//! RFC 7303 for XML): a byte-order mark, then the `charset` of the HTTP `Content-Type`,
//! then the document's own declaration (`<?xml … encoding=…?>`, `<meta charset>`,
//! `<meta http-equiv>`, looked for in the first KB), then sniffing. A declaration that names
//! a single-byte legacy encoding over bytes that are valid, non-ASCII UTF-8 is wrong (the
//! CMS changed, the template did not): UTF-8 wins and the mismatch is reported.
//!
//! UTF-8 with a few bad bytes (a title cut in the middle of a character, one quote pasted
//! from a Windows editor) is still UTF-8: it is decoded as UTF-8 with U+FFFD for the bad
//! bytes, so one stray byte cannot turn every title into mojibake. Only when invalid
//! sequences are a large share of the non-ASCII (legacy text, where well-formed multi-byte
//! sequences essentially never occur by chance) is the declaration or XML's UTF-8 default
//! overruled by sniffing.
//!
//! windows-1258 (Vietnamese) writes tones as combining marks; the decoded text is composed
//! (NFC) here so that nothing downstream sees `o` + U+0323 where `ọ` was meant.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, WINDOWS_1258};
use unicode_normalization::UnicodeNormalization;

/// How far into a document its own encoding declaration is looked for.
const PRESCAN: usize = 1024;

/// Text decoded from a document's bytes, with what was decided on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without byte-order mark.
    pub text: String,
    /// The encoding used, by its WHATWG name (`UTF-8`, `windows-1258`, `UTF-16LE`…), or
    /// `UTF-32LE` / `UTF-32BE`, which WHATWG does not define but feeds still use.
    pub encoding: &'static str,
    /// Where the encoding came from.
    pub source: EncodingSource,
    /// Some bytes did not decode and were replaced with U+FFFD.
    pub malformed: bool,
    /// A declared charset was unknown or did not fit the bytes, so another was used.
    pub mismatch: bool,
}

/// Where a document's encoding was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSource {
    /// A byte-order mark.
    Bom,
    /// The `charset` parameter of the HTTP `Content-Type`.
    Header,
    /// The XML declaration or an HTML `<meta>`.
    Declaration,
    /// Guessed from the bytes: UTF-16/32 from the first characters, else by statistics.
    Sniffed,
    /// Nothing said otherwise and the bytes are valid UTF-8 (XML's default).
    Default,
}

/// Decodes `bytes` as a server sent them; `content_type` is the HTTP `Content-Type` value
/// when there was one. Never fails: undecodable bytes become U+FFFD and are reported.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    decode_with_hint(bytes, content_type, None)
}

/// Like [`decode`], with the document's URL: its top-level domain steers sniffing when
/// nothing is declared (a `.vn` page in a legacy encoding is windows-1258, not Latin-1).
pub fn decode_for_url(bytes: &[u8], content_type: Option<&str>, url: &str) -> Decoded {
    decode_with_hint(bytes, content_type, tld(url).as_deref())
}

fn decode_with_hint(bytes: &[u8], content_type: Option<&str>, tld: Option<&str>) -> Decoded {
    if let Some((enc, bom_len)) = bom(bytes) {
        let (text, malformed) = enc.decode(&bytes[bom_len..]);
        return finish(text, enc.name(), EncodingSource::Bom, malformed, false);
    }
    let mut mismatch = false;
    if let Some(label) = content_type.and_then(charset_param) {
        match Label::lookup(&label) {
            Some(enc) => return decode_declared(bytes, enc, EncodingSource::Header, tld),
            None => mismatch = true,
        }
    }
    if let Some(enc) = utf16_or_32_without_bom(bytes) {
        let (text, malformed) = enc.decode(bytes);
        return finish(text, enc.name(), EncodingSource::Sniffed, malformed, mismatch);
    }
    if let Some(label) = declared_label(bytes) {
        match Label::lookup(&label) {
            // The declaration was read as ASCII, so the document is not in UTF-16.
            Some(Label::Whatwg(e)) if e == UTF_16LE || e == UTF_16BE => {
                let mut d =
                    decode_declared(bytes, Label::Whatwg(UTF_8), EncodingSource::Declaration, tld);
                d.mismatch = true;
                return d;
            }
            Some(enc) => {
                let mut d = decode_declared(bytes, enc, EncodingSource::Declaration, tld);
                d.mismatch |= mismatch;
                return d;
            }
            None => mismatch = true,
        }
    }
    if let Some(text) = utf8(bytes) {
        return finish(text.to_owned(), UTF_8.name(), EncodingSource::Default, false, mismatch);
    }
    if Utf8Census::of(bytes).is_utf8_with_strays() {
        // XML's default, borne out by nearly all of the bytes.
        let (text, malformed) = UTF_8.decode_without_bom_handling(bytes);
        return finish(
            text.into_owned(),
            UTF_8.name(),
            EncodingSource::Default,
            malformed,
            mismatch,
        );
    }
    let enc = sniff(bytes, tld);
    let (text, _, malformed) = enc.decode(bytes);
    finish(text.into_owned(), enc.name(), EncodingSource::Sniffed, malformed, mismatch)
}

/// Decodes with a declared encoding, unless the bytes show the declaration is wrong.
fn decode_declared(
    bytes: &[u8],
    label: Label,
    source: EncodingSource,
    tld: Option<&str>,
) -> Decoded {
    let enc = match label {
        Label::Utf32(big_endian) => {
            let (text, malformed) = Label::Utf32(big_endian).decode(bytes);
            return finish(text, label.name(), source, malformed, false);
        }
        Label::Whatwg(enc) => enc,
    };
    if enc == UTF_8 {
        if let Some(text) = utf8(bytes) {
            return finish(text.to_owned(), enc.name(), source, false, false);
        }
        if Utf8Census::of(bytes).is_utf8_with_strays() {
            let (text, malformed) = enc.decode_without_bom_handling(bytes);
            return finish(text.into_owned(), enc.name(), source, malformed, false);
        }
        // Declared UTF-8 but it is not: the commonest lie is a legacy code page.
        let guess = sniff(bytes, tld);
        if guess != UTF_8 {
            let (text, malformed) = guess.decode_without_bom_handling(bytes);
            return finish(
                text.into_owned(),
                guess.name(),
                EncodingSource::Sniffed,
                malformed,
                true,
            );
        }
        let (text, malformed) = enc.decode_without_bom_handling(bytes);
        return finish(text.into_owned(), enc.name(), source, malformed, false);
    }
    if is_single_byte(enc) && !bytes.is_ascii() {
        // Valid non-ASCII UTF-8 is vanishingly unlikely from a legacy encoder.
        if let Some(text) = utf8(bytes) {
            return finish(text.to_owned(), UTF_8.name(), EncodingSource::Sniffed, false, true);
        }
        // Nor is mostly valid UTF-8: the declaration is wrong and a few bytes are bad too.
        // The bar is higher than for a UTF-8 declaration, which the bytes merely confirm.
        if Utf8Census::of(bytes).overrules_a_legacy_declaration() {
            let (text, malformed) = UTF_8.decode_without_bom_handling(bytes);
            return finish(
                text.into_owned(),
                UTF_8.name(),
                EncodingSource::Sniffed,
                malformed,
                true,
            );
        }
    }
    let (text, malformed) = enc.decode_without_bom_handling(bytes);
    finish(text.into_owned(), enc.name(), source, malformed, false)
}

/// `bytes` as text when they are valid UTF-8. encoding_rs checks with SIMD where it can,
/// which is several times faster than the standard library on non-ASCII text.
fn utf8(bytes: &[u8]) -> Option<&str> {
    match UTF_8.decode_without_bom_handling_and_without_replacement(bytes)? {
        std::borrow::Cow::Borrowed(text) => Some(text),
        // UTF-8 that validates is handed back as it is, never copied.
        std::borrow::Cow::Owned(_) => None,
    }
}

/// How much of a document's non-ASCII is well-formed UTF-8: complete multi-byte characters
/// against maximal ill-formed sequences (each a stray byte or a cut-off character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Utf8Census {
    valid: usize,
    invalid: usize,
}

impl Utf8Census {
    fn of(bytes: &[u8]) -> Utf8Census {
        let mut census = Utf8Census { valid: 0, invalid: 0 };
        for chunk in bytes.utf8_chunks() {
            // A lead byte starts every multi-byte character.
            census.valid += chunk.valid().bytes().filter(|&b| b >= 0xC0).count();
            census.invalid += usize::from(!chunk.invalid().is_empty());
        }
        census
    }

    /// UTF-8 with a few bad bytes rather than another encoding: invalid sequences are under
    /// a fifth of the non-ASCII. Legacy text has almost no valid sequences (a windows-1258
    /// letter or tone byte is followed by ASCII or another letter, not by a continuation
    /// byte), so it lands near all invalid, far from this.
    fn is_utf8_with_strays(self) -> bool {
        self.valid > 0 && self.invalid * 4 < self.valid
    }

    /// Enough well-formed UTF-8, with few enough bad bytes, to overrule a declaration of a
    /// legacy encoding: a few accidental pairs in Latin text are not enough.
    fn overrules_a_legacy_declaration(self) -> bool {
        self.valid >= 8 && self.invalid * 10 <= self.valid
    }
}

fn finish(
    text: impl Into<String>,
    encoding: &'static str,
    source: EncodingSource,
    malformed: bool,
    mismatch: bool,
) -> Decoded {
    let mut text = text.into();
    if encoding == WINDOWS_1258.name() && !text.is_ascii() {
        text = text.nfc().collect();
    }
    Decoded { text, encoding, source, malformed, mismatch }
}

/// An encoding we can decode: a WHATWG one, or UTF-32 (`true` for big-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Whatwg(&'static Encoding),
    Utf32(bool),
}

impl Label {
    fn lookup(label: &str) -> Option<Label> {
        let l = label.trim().to_ascii_lowercase();
        match l.as_str() {
            "utf-32" | "utf32" | "utf-32be" | "ucs-4" | "ucs4" => Some(Label::Utf32(true)),
            "utf-32le" => Some(Label::Utf32(false)),
            // Windows code page names that WHATWG does not list but CMSs write.
            "cp1258" | "windows1258" => Some(Label::Whatwg(WINDOWS_1258)),
            "cp1252" | "windows1252" => Some(Label::Whatwg(WINDOWS_1252)),
            // Labels WHATWG maps to the replacement encoding are ISO-2022 families;
            // decoding them as "replacement" would discard the whole document.
            _ => Encoding::for_label_no_replacement(l.as_bytes()).map(Label::Whatwg),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Label::Whatwg(e) => e.name(),
            Label::Utf32(true) => "UTF-32BE",
            Label::Utf32(false) => "UTF-32LE",
        }
    }

    fn decode(self, bytes: &[u8]) -> (String, bool) {
        match self {
            Label::Whatwg(e) => {
                let (text, malformed) = e.decode_without_bom_handling(bytes);
                (text.into_owned(), malformed)
            }
            Label::Utf32(big_endian) => {
                let mut text = String::with_capacity(bytes.len() / 4);
                let mut malformed = !bytes.len().is_multiple_of(4);
                for unit in bytes.chunks_exact(4) {
                    let unit = [unit[0], unit[1], unit[2], unit[3]];
                    let n = if big_endian {
                        u32::from_be_bytes(unit)
                    } else {
                        u32::from_le_bytes(unit)
                    };
                    match char::from_u32(n) {
                        Some(c) => text.push(c),
                        None => {
                            text.push('\u{fffd}');
                            malformed = true;
                        }
                    }
                }
                (text, malformed)
            }
        }
    }
}

fn bom(bytes: &[u8]) -> Option<(Label, usize)> {
    // UTF-32LE's mark starts with UTF-16LE's, so it is tested first.
    match bytes {
        [0xFF, 0xFE, 0, 0, ..] => Some((Label::Utf32(false), 4)),
        [0, 0, 0xFE, 0xFF, ..] => Some((Label::Utf32(true), 4)),
        [0xEF, 0xBB, 0xBF, ..] => Some((Label::Whatwg(UTF_8), 3)),
        [0xFF, 0xFE, ..] => Some((Label::Whatwg(UTF_16LE), 2)),
        [0xFE, 0xFF, ..] => Some((Label::Whatwg(UTF_16BE), 2)),
        _ => None,
    }
}

/// XML 1.0 Appendix F: a document without a mark still starts with `<` (or `<?xml`),
/// whose zero bytes give the width and order away.
fn utf16_or_32_without_bom(bytes: &[u8]) -> Option<Label> {
    match bytes {
        [0, 0, 0, b'<', ..] => Some(Label::Utf32(true)),
        [b'<', 0, 0, 0, ..] => Some(Label::Utf32(false)),
        [0, b'<', 0, b'?' | b'!' | b'a'..=b'z' | b'A'..=b'Z', ..] => Some(Label::Whatwg(UTF_16BE)),
        [b'<', 0, b'?' | b'!' | b'a'..=b'z' | b'A'..=b'Z', 0, ..] => Some(Label::Whatwg(UTF_16LE)),
        _ => None,
    }
}

/// The `charset` parameter of a `Content-Type` value, unquoted.
fn charset_param(content_type: &str) -> Option<String> {
    for param in content_type.split(';').skip(1) {
        let Some((name, value)) = param.split_once('=') else { continue };
        if name.trim().eq_ignore_ascii_case("charset") {
            let v = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            return (!v.is_empty()).then(|| v.to_owned());
        }
    }
    None
}

/// The encoding a document declares for itself in its first KB: the XML declaration's
/// `encoding`, else an HTML `<meta charset>` or `<meta http-equiv=Content-Type>`.
fn declared_label(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(PRESCAN)];
    let head: String = head.iter().map(|&b| if b.is_ascii() { b as char } else { ' ' }).collect();
    let trimmed = head.trim_start();
    if let Some(decl) = trimmed.strip_prefix("<?xml") {
        let decl = &decl[..decl.find("?>").unwrap_or(decl.len())];
        return attribute(decl, "encoding");
    }
    let lower = head.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("<meta") {
        let tag = &rest[i + 5..];
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        if let Some(cs) = attribute(tag, "charset") {
            return Some(cs);
        }
        if attribute(tag, "http-equiv").is_some_and(|v| v == "content-type")
            && let Some(content) = attribute(tag, "content")
            && let Some(cs) = charset_param(&content.replace(',', ";"))
        {
            return Some(cs);
        }
        rest = &rest[i + 5..];
    }
    None
}

/// The value of `name=` in a tag or declaration, quoted or not.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let start = from + i;
        from = start + name.len();
        let before_ok = start == 0 || !lower.as_bytes()[start - 1].is_ascii_alphanumeric();
        let after = tag[from..].trim_start();
        if !before_ok || !after.starts_with('=') {
            continue;
        }
        let value = after[1..].trim_start();
        let v = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
            _ => value
                .split(|c: char| c.is_whitespace() || matches!(c, '>' | '/' | ';' | '"' | '\''))
                .next()
                .unwrap_or(""),
        };
        let v = v.trim();
        return (!v.is_empty()).then(|| v.to_owned());
    }
    None
}

fn is_single_byte(enc: &'static Encoding) -> bool {
    enc.is_single_byte()
}

/// Guesses the legacy encoding of bytes that are not UTF-8.
fn sniff(bytes: &[u8], tld: Option<&str>) -> &'static Encoding {
    if vietnamese_1258_score(bytes) {
        return WINDOWS_1258;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    detector.guess(tld.map(str::as_bytes), true)
}

/// Whether the non-ASCII bytes look like windows-1258 Vietnamese: a vowel followed by one
/// of the five combining tone bytes, again and again. In windows-1252 those pairs would be
/// letters like `aÌ`, `oò`, which no Western language writes.
fn vietnamese_1258_score(bytes: &[u8]) -> bool {
    const TONES: [u8; 5] = [0xCC, 0xEC, 0xDE, 0xD2, 0xF2];
    let is_vowel = |b: u8| {
        matches!(b.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
            || matches!(
                b,
                0xC2 | 0xE2 | 0xC3 | 0xE3 | 0xCA | 0xEA | 0xD4 | 0xF4 | 0xD5 | 0xF5 | 0xDD | 0xFD
            )
    };
    let mut toned = 0usize;
    let mut high = 0usize;
    for w in bytes.windows(2) {
        if w[1] >= 0x80 {
            high += 1;
            if TONES.contains(&w[1]) && is_vowel(w[0]) {
                toned += 1;
            }
        }
    }
    toned >= 2 && toned * 3 >= high
}

/// The top-level domain of a URL, lowercased.
fn tld(url: &str) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
    let tld = host.rsplit('.').next()?;
    (!tld.is_empty() && tld.bytes().all(|b| b.is_ascii_alphabetic())).then(|| tld.to_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The form windows-1258 encoders write: letters with circumflex, breve or horn
    /// precomposed, tones as separate combining marks.
    pub(crate) fn cp1258(s: &str) -> Vec<u8> {
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
        assert!(!unmappable, "{s:?} does not encode in windows-1258");
        bytes.into_owned()
    }

    #[test]
    fn bom_beats_header_and_declaration() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(
            "<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>Hà</a>".as_bytes(),
        );
        let d = decode(&bytes, Some("text/xml; charset=iso-8859-1"));
        assert_eq!((d.encoding, d.source), ("UTF-8", EncodingSource::Bom));
        assert!(d.text.starts_with("<?xml") && d.text.ends_with("<a>Hà</a>"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<a>Hà</a>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16, None).text, "<a>Hà</a>");
        let utf32: Vec<u8> = [0, 0, 0xFE, 0xFF]
            .into_iter()
            .chain("<a>Hà</a>".chars().flat_map(|c| (c as u32).to_be_bytes()))
            .collect();
        let d = decode(&utf32, None);
        assert_eq!((d.text.as_str(), d.encoding), ("<a>Hà</a>", "UTF-32BE"));
    }

    #[test]
    fn header_beats_declaration_and_declaration_beats_default() {
        let body = b"<?xml version='1.0' encoding='iso-8859-1'?><a>\xa3</a>";
        let d = decode(body, Some("application/xml; charset = \"windows-1252\""));
        assert_eq!(
            (d.encoding, d.source, d.text.ends_with("<a>£</a>")),
            ("windows-1252", EncodingSource::Header, true)
        );
        let d = decode(&cp1258_doc(), Some("application/rss+xml"));
        assert_eq!((d.encoding, d.source), ("windows-1258", EncodingSource::Declaration));
        assert!(d.text.contains("Sốt xuất huyết ở Hà Nội"), "{}", d.text);
        assert_eq!(d.text.nfc().collect::<String>(), d.text, "windows-1258 text is composed");
    }

    fn cp1258_doc() -> Vec<u8> {
        let mut b = b"<?xml version=\"1.0\" encoding=\"windows-1258\"?>\n<rss><title>".to_vec();
        b.extend(cp1258("Sốt xuất huyết ở Hà Nội tăng mạnh"));
        b.extend_from_slice(b"</title></rss>");
        b
    }

    #[test]
    fn html_meta_declarations() {
        let page = b"<!doctype html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1258\"><title>x</title>";
        assert_eq!(decode(page, Some("text/html")).encoding, "windows-1258");
        assert_eq!(
            decode(b"<html><meta charset=utf-8><p>x", None).source,
            EncodingSource::Declaration
        );
    }

    #[test]
    fn wrong_declarations_are_overridden() {
        // Declared Latin-1, written in UTF-8: the CMS upgraded, the template did not.
        let body = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Bộ Y tế</a>".as_bytes();
        let d = decode(body, None);
        assert_eq!((d.encoding, d.mismatch), ("UTF-8", true));
        assert!(d.text.contains("Bộ Y tế"));
        // Declared UTF-8, written in windows-1258.
        let mut body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>".to_vec();
        body.extend(cp1258("Bộ Y tế khuyến cáo người dân"));
        let d = decode(&body, None);
        assert_eq!((d.encoding, d.mismatch), ("windows-1258", true));
        assert!(d.text.contains("Bộ Y tế khuyến cáo người dân"), "{}", d.text);
        // Unknown label: reported, and the bytes decide.
        let d = decode(b"<?xml version=\"1.0\" encoding=\"bogus\"?><a/>", None);
        assert_eq!((d.encoding, d.mismatch), ("UTF-8", true));
    }

    #[test]
    fn undeclared_legacy_bytes_are_sniffed() {
        let mut body = b"<rss><title>".to_vec();
        body.extend(cp1258("Hướng dẫn phòng chống dịch bệnh mùa mưa lũ"));
        body.extend_from_slice(b"</title></rss>");
        let d = decode(&body, None);
        assert_eq!((d.encoding, d.source), ("windows-1258", EncodingSource::Sniffed));
        assert!(d.text.contains("Hướng dẫn phòng chống dịch bệnh mùa mưa lũ"));
        let latin = b"<rss><title>Caf\xe9 cr\xe8me br\xfbl\xe9e \x93quoted\x94</title></rss>";
        let d = decode(latin, None);
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.text.contains("Café crème brûlée “quoted”"));
    }

    /// A Vietnamese RSS document in UTF-8 with `bad` spliced in at each `|` of `titles`.
    fn utf8_feed_with(titles: &[&str], bad: &[&[u8]]) -> Vec<u8> {
        let mut b = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><channel>".to_vec();
        let mut bad = bad.iter();
        for t in titles {
            b.extend_from_slice(b"<item><title>");
            for (i, part) in t.split('|').enumerate() {
                if i > 0 {
                    b.extend_from_slice(bad.next().expect("a bad sequence for every |"));
                }
                b.extend_from_slice(part.as_bytes());
            }
            b.extend_from_slice(b"</title></item>");
        }
        b.extend_from_slice(b"</channel></rss>");
        b
    }

    #[test]
    fn utf8_with_a_few_bad_bytes_is_still_utf8() {
        let titles = [
            "Hà Nội ghi nhận 412 ca sốt xuất huyết trong tuần|",
            "Bộ Y tế khuyến cáo phòng chống dịch bệnh mùa mưa lũ",
            "Cảnh báo |tin giả về thuốc đặc trị",
            "Trẻ mắc tay chân miệng tăng ở phía Nam|",
        ];
        // A Windows quote, a lone continuation byte, and "ế" cut after its second byte.
        let body = utf8_feed_with(&titles, &[b"\x93", b"\x80", b"\xe1\xba"]);
        let expected: Vec<String> = titles.iter().map(|t| t.replace('|', "\u{fffd}")).collect();
        for content_type in [None, Some("application/rss+xml; charset=utf-8")] {
            let d = decode(&body, content_type);
            assert_eq!((d.encoding, d.malformed, d.mismatch), ("UTF-8", true, false));
            for t in &expected {
                assert!(d.text.contains(&format!("<title>{t}</title>")), "{t}\n{}", d.text);
            }
            assert_eq!(d.text.matches('\u{fffd}').count(), 3);
        }
        // Undeclared, XML's default holds for the same bytes.
        let undeclared = &body[body.iter().position(|&b| b == b'>').unwrap() + 1..];
        let d = decode(undeclared, None);
        assert_eq!((d.encoding, d.source, d.malformed), ("UTF-8", EncodingSource::Default, true));
        assert!(d.text.contains(&expected[1]), "{}", d.text);
        // Declared Latin-1 over the same bytes: the bytes win, as for valid UTF-8.
        let mut latin = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>".to_vec();
        latin.extend_from_slice(undeclared);
        let d = decode(&latin, None);
        assert_eq!((d.encoding, d.mismatch), ("UTF-8", true));
        assert!(d.text.contains(&expected[0]), "{}", d.text);
    }

    #[test]
    fn legacy_text_with_a_few_utf8_lookalikes_stays_legacy() {
        // windows-1258 text whose tone bytes happen to precede a curly quote (`à”` is
        // CC 94, a well-formed UTF-8 combining mark) under a UTF-8 label.
        let mut body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><title>".to_vec();
        body.extend(cp1258("“Hà” và “Nhà” được nhắc đến trong bài viết về dịch bệnh ở miền Bắc"));
        body.extend_from_slice(b"</title></rss>");
        let census = Utf8Census::of(&body);
        assert!(census.valid >= 2 && !census.is_utf8_with_strays(), "{census:?}");
        let d = decode(&body, Some("application/rss+xml; charset=UTF-8"));
        assert_eq!((d.encoding, d.mismatch), ("windows-1258", true));
        assert!(d.text.contains("“Hà” và “Nhà” được nhắc đến"), "{}", d.text);
        // windows-1252 under a UTF-8 label, and under none.
        let latin = b"<rss><title>Caf\xe9 cr\xe8me br\xfbl\xe9e \x93quoted\x94 \xe0 la fran\xe7aise</title></rss>";
        for content_type in [Some("text/xml; charset=utf-8"), None] {
            let d = decode(latin, content_type);
            assert_eq!(d.encoding, "windows-1252", "{content_type:?}");
            assert!(d.text.contains("Café crème brûlée “quoted” à la française"), "{}", d.text);
        }
    }

    #[test]
    fn utf16_without_bom_and_content_type_params() {
        let body: Vec<u8> =
            "<?xml version=\"1.0\"?><a>Đ</a>".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let d = decode(&body, None);
        assert_eq!((d.encoding, d.text.as_str()), ("UTF-16BE", "<?xml version=\"1.0\"?><a>Đ</a>"));
        assert_eq!(charset_param("text/xml; charset='us-ascii'").as_deref(), Some("us-ascii"));
        assert_eq!(charset_param("text/xml; charset:iso-8859-1"), None);
        assert_eq!(charset_param("text/xml;"), None);
        assert_eq!(tld("https://Suckhoe.GOV.VN/rss").as_deref(), Some("vn"));
    }
}
