//! Derived forms of a display-form text, each with a span map back to the display form.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;

use crate::fold_char;
use crate::token::{emoticon_at, is_format, normalize_token, scan, with_cache};

/// A derived form (match or fold) of a display-form text, with the display-form byte range
/// every one of its characters came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct View {
    text: String,
    /// One entry per character of `text`: its byte offset in `text` and its source range.
    spans: Vec<(u32, u32, u32)>,
}

impl View {
    /// The derived text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The display-form byte range that the view's bytes `range` came from: the union of
    /// the source ranges of every character the range touches. An empty range maps to an
    /// empty range at the matching display position.
    pub fn source(&self, range: Range<usize>) -> Range<usize> {
        let first = self.spans.partition_point(|s| (s.0 as usize) < range.start);
        let last = self.spans.partition_point(|s| (s.0 as usize) < range.end);
        if first >= last {
            let at = self
                .spans
                .get(first)
                .map_or_else(|| self.spans.last().map_or(0, |s| s.2 as usize), |s| s.1 as usize);
            return at..at;
        }
        let chunk = &self.spans[first..last];
        let start = chunk.iter().map(|s| s.1).min().unwrap_or(0) as usize;
        let end = chunk.iter().map(|s| s.2).max().unwrap_or(0) as usize;
        start..end
    }

    /// Every character of the view as (its byte range in the view, its display range).
    pub fn spans(&self) -> impl Iterator<Item = (Range<usize>, Range<usize>)> + '_ {
        self.spans.iter().enumerate().map(|(i, &(at, s, e))| {
            let next = self.spans.get(i + 1).map_or(self.text.len(), |n| n.0 as usize);
            (at as usize..next, s as usize..e as usize)
        })
    }
}

/// Builds a view, recording spans only when asked (the plain forms skip that cost).
struct Builder {
    text: String,
    spans: Option<Vec<(u32, u32, u32)>>,
}

impl Builder {
    fn new(capacity: usize, spans: bool) -> Builder {
        Builder {
            text: String::with_capacity(capacity),
            spans: spans.then(|| Vec::with_capacity(capacity)),
        }
    }

    fn push(&mut self, c: char, src: Range<usize>) {
        if let Some(spans) = &mut self.spans {
            spans.push((self.text.len() as u32, src.start as u32, src.end as u32));
        }
        self.text.push(c);
    }

    /// Records the characters appended to `text` since `from`, mapping them to `src`
    /// one for one when the counts agree and all to the whole of `src` otherwise.
    fn record(&mut self, from: usize, src_chars: &[(usize, usize)], whole: Range<usize>) {
        let Some(spans) = &mut self.spans else { return };
        let added = &self.text[from..];
        let n = added.chars().count();
        for (k, (i, _)) in added.char_indices().enumerate() {
            let (s, e) = if n == src_chars.len() { src_chars[k] } else { (whole.start, whole.end) };
            spans.push(((from + i) as u32, s as u32, e as u32));
        }
    }

    fn finish(self) -> View {
        View { text: self.text, spans: self.spans.unwrap_or_default() }
    }
}

fn is_pictographic(c: char) -> bool {
    matches!(c as u32, 0x2600..=0x27BF | 0x1F000..=0x1FAFF | 0x2B00..=0x2BFF | 0x2300..=0x23FF)
}

fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// The match form of the characters between tokens: quotes and dashes unified, spaces
/// collapsed, invisible characters dropped (but ZWJ and VS16 kept inside emoji).
fn push_gap(
    b: &mut Builder,
    display: &str,
    range: Range<usize>,
    pending_space: &mut Option<Range<usize>>,
) {
    let gap = &display[range.clone()];
    // Most gaps are a space or a punctuation mark and a space: no format character, quote
    // or compatibility form to look at.
    if gap.is_ascii() {
        for (k, c) in gap.bytes().enumerate() {
            let at = range.start + k;
            if (c as char).is_whitespace() {
                pending_space.get_or_insert(at..at + 1);
                continue;
            }
            flush_space(b, pending_space);
            b.push(char::from(c.to_ascii_lowercase()), at..at + 1);
        }
        return;
    }
    let mut prev: Option<char> = None;
    let mut iter = gap.char_indices().peekable();
    while let Some((k, c)) = iter.next() {
        let at = range.start + k;
        let src = at..at + c.len_utf8();
        let next = iter.peek().map(|&(_, n)| n);
        if is_space(c) {
            pending_space.get_or_insert(src.clone());
            prev = Some(c);
            continue;
        }
        if is_format(c) {
            // A ZWJ may follow the VS16 of the pictograph before it (`❤️‍🔥`).
            let in_emoji = matches!(c, '\u{200D}' | '\u{FE0F}')
                && prev.is_some_and(|p| is_pictographic(p) || (c == '\u{200D}' && p == '\u{FE0F}'))
                && (c == '\u{FE0F}' || next.is_some_and(is_pictographic));
            if !in_emoji {
                continue;
            }
        }
        flush_space(b, pending_space);
        let mapped = match c {
            '“' | '”' | '„' | '‟' | '«' | '»' | '″' => '"',
            '‘' | '’' | 'ʼ' | '‚' | '‛' | '′' => '\'',
            '–' | '—' | '‑' | '‐' | '−' | '‒' | '―' => '-',
            c => c,
        };
        if mapped.is_ascii() {
            b.push(mapped.to_ascii_lowercase(), src);
        } else if is_pictographic(mapped) || matches!(mapped, '\u{200D}' | '\u{FE0F}') {
            b.push(mapped, src);
        } else {
            // Compatibility forms between words unfold (`…` → `...`), unless they would
            // unfold into letters or digits (`¼`, `™`) that the tokenizer would then read
            // as words the display form does not have.
            let unfolded: String =
                std::iter::once(mapped).nfkc().flat_map(char::to_lowercase).collect();
            // Likewise spaces and combining marks (`΅` unfolds to a space and marks).
            if unfolded.chars().any(|c| {
                c.is_alphanumeric()
                    || c.is_whitespace()
                    || unicode_normalization::char::is_combining_mark(c)
                    || is_format(c)
            }) {
                b.push(mapped, src);
            } else {
                for n in unfolded.chars() {
                    b.push(n, src.clone());
                }
            }
        }
        prev = Some(c);
    }
}

fn flush_space(b: &mut Builder, pending: &mut Option<Range<usize>>) {
    if let Some(src) = pending.take()
        && !b.text.is_empty()
    {
        b.push(' ', src);
    }
}

fn build_match(display: &str, spans: bool) -> View {
    let mut b = Builder::new(display.len(), spans);
    let mut pos = 0;
    let mut pending_space: Option<Range<usize>> = None;
    let mut src_chars: Vec<(usize, usize)> = Vec::new();
    let mut after_token = usize::MAX;
    with_cache(|cache| {
        scan(display, |start, end| {
            if start == pos + 1 && display.as_bytes()[pos] == b' ' {
                // The gap between most syllables.
                pending_space.get_or_insert(pos..start);
            } else if start > pos {
                push_gap(&mut b, display, pos..start, &mut pending_space);
            }
            if b.text.len() == after_token && pending_space.is_none() {
                // Two tokens with nothing visible between them (`covid19`) are two words.
                b.push(' ', start..start);
            }
            flush_space(&mut b, &mut pending_space);
            let mut from = b.text.len();
            let token = &display[start..end];
            normalize_token(cache, display, (start, end), &mut b.text, None);
            // A normalised token must not turn the punctuation before it into an emoticon
            // (`:ｖ` becoming `:v`), or the match form would tokenise differently.
            if forms_emoticon(&b.text, from) {
                b.text.insert(from, ' ');
                if let Some(spans) = &mut b.spans {
                    spans.push((from as u32, start as u32, start as u32));
                }
                from += 1;
            }
            if b.spans.is_some() {
                src_chars.clear();
                src_chars.extend(
                    token
                        .char_indices()
                        .filter(|&(_, c)| !is_format(c))
                        .map(|(i, c)| (start + i, start + i + c.len_utf8())),
                );
                b.record(from, &src_chars, start..end);
            }
            after_token = b.text.len();
            pos = end;
        });
    });
    if pos < display.len() {
        push_gap(&mut b, display, pos..display.len(), &mut pending_space);
    }
    b.finish()
}

/// Whether the token appended at `token_start` completes an emoticon with the text before
/// it: `:` and a token that normalised to `v`.
#[inline(always)]
pub(crate) fn forms_emoticon(text: &str, token_start: usize) -> bool {
    let bytes = text.as_bytes();
    // The character before the token is part of the emoticon too; usually it is a space.
    let before = token_start.checked_sub(1).map_or(b' ', |k| bytes[k]);
    if matches!(before, b' ' | b'a'..=b'z' | 0x80..) {
        return false;
    }
    completes_emoticon(text, token_start)
}

#[cold]
fn completes_emoticon(text: &str, token_start: usize) -> bool {
    let bytes = text.as_bytes();
    let continues = |b: u8| {
        matches!(
            b,
            b')' | b'('
                | b'v'
                | b'V'
                | b'3'
                | b'd'
                | b'D'
                | b'p'
                | b'P'
                | b'o'
                | b'\''
                | b'^'
                | b'-'
        )
    };
    let before = token_start.checked_sub(1).map_or(b' ', |k| bytes[k]);
    if !continues(before) && !matches!(before, b':' | b';' | b'=' | b'<') {
        return false;
    }
    let first = bytes.get(token_start).copied().unwrap_or(0);
    if !continues(first) {
        return false;
    }
    (token_start.saturating_sub(4)..token_start).any(|k| {
        text.is_char_boundary(k)
            && matches!(text.as_bytes()[k], b':' | b';' | b'=' | b'^' | b'<')
            && emoticon_at(text, k).is_some_and(|len| k + len > token_start)
    })
}

/// The match form with its span map.
pub fn match_view(display: &str) -> View {
    build_match(display, true)
}

/// The match form of a display-form text.
pub(crate) fn match_text(display: &str) -> String {
    build_match(display, false).text
}

/// The fold form with its span map.
pub fn fold_view(display: &str) -> View {
    let m = match_view(display);
    let mut b = Builder::new(m.text.len(), true);
    for (range, src) in m.spans() {
        for c in m.text[range].chars().filter_map(fold_char) {
            b.push(c, src.clone());
        }
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_map_tokens_back_to_the_display_form() {
        let display = "Ông  THỦY nói:\u{a0}“Hòa bình”\u{200B}!";
        let v = match_view(display);
        assert_eq!(v.text(), "ông thuỷ nói: \"hoà bình\"!");
        let at = v.text().find("hoà").unwrap_or(0);
        assert_eq!(&display[v.source(at..at + "hoà".len())], "Hòa");
        let at = v.text().find("thuỷ").unwrap_or(0);
        assert_eq!(&display[v.source(at..at + "thuỷ".len())], "THỦY");
        let f = fold_view(display);
        assert_eq!(f.text(), "ong thuy noi: \"hoa binh\"!");
        let at = f.text().find("binh").unwrap_or(0);
        assert_eq!(&display[f.source(at..at + 4)], "bình");
    }

    #[test]
    fn only_listed_characters_continue_an_emoticon() {
        for e in crate::token::EMOTICONS {
            for b in e.bytes().skip(1) {
                assert!(b")(vV3dDpPo'^-".contains(&b), "{e}");
            }
        }
    }

    #[test]
    fn adjacent_tokens_get_a_space_and_emoji_sequences_survive() {
        assert_eq!(match_text("Covid19"), "covid 19");
        // Found by fuzzing: `΅` unfolds to a space and combining marks.
        assert_eq!(match_text(&match_text("\u{385}")), match_text("\u{385}"));
        assert_eq!(match_text("bác sĩ 👨\u{200D}⚕\u{FE0F} nói"), "bác sĩ 👨\u{200D}⚕\u{FE0F} nói");
        assert_eq!(match_text("❤\u{FE0F}\u{200D}🔥 vui"), "❤\u{FE0F}\u{200D}🔥 vui");
        assert_eq!(match_text("a\u{FE0F}\u{200D}b"), "ab");
        assert_eq!(match_text("“Thần dược” – chữa…"), "\"thần dược\" - chữa...");
    }
}
