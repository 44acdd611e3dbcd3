//! The tantivy tokenizer over `vi-text` syllables, in match form or fold form, with the
//! view alternatives (teencode expansions, spelling repairs, joined obfuscations) laid over
//! the positions of the tokens they stand for; and the bare stream, the fold form of only
//! what lies in sentences typed without diacritics, where accent-tolerant terms look.
//! A text already tokenised elsewhere (the rule engine's analysis of a new document) is
//! handed over as an [`Analysis`] and not tokenised again.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Name of the accent-sensitive analyzer.
pub(crate) const VI_MATCH: &str = "vi_match";
/// Name of the accent-insensitive analyzer.
pub(crate) const VI_FOLD: &str = "vi_fold";
/// Name of the analyzer of sentences typed without diacritics.
pub(crate) const VI_BARE: &str = "vi_bare";

/// Which form of the syllables a stream emits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    /// Every syllable in match form.
    Match,
    /// Every syllable in fold form.
    Fold,
    /// The syllables of unaccented sentences ([`vi_text::unaccented`]) in fold form, at the
    /// positions the other streams give them: what `query::Reading::Bare` reads.
    Bare,
}

/// Every syllable and alternative of a display-form text at its index position, tokens
/// before the alternatives laid over them: what every stream emits, and what the
/// PostgreSQL backend's lexemes are made of (`fulltext`). The forms share one buffer, so
/// a 3 KB article is two allocations, not two per syllable.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Analysis {
    items: Vec<Entry>,
    forms: String,
}

/// One syllable or alternative, its forms as ranges of [`Analysis::forms`].
#[derive(Clone, Copy, PartialEq, Eq)]
struct Entry {
    position: usize,
    start: usize,
    end: usize,
    matched: (u32, u32),
    folded: (u32, u32),
    unaccented: bool,
}

/// One syllable or alternative to emit.
pub(crate) struct Item<'a> {
    pub(crate) position: usize,
    pub(crate) matched: &'a str,
    pub(crate) folded: &'a str,
    /// In a sentence typed without diacritics.
    pub(crate) unaccented: bool,
}

impl Analysis {
    /// Tokenises `text` (display form) and lays its view alternatives over the tokens.
    pub fn of(text: &str) -> Analysis {
        let tokens = vi_text::tokenize(text);
        let overlays = query::overlays(text, &tokens);
        Analysis::from_tokens(&tokens, &overlays)
    }

    /// The analysis of a text from its tokens ([`vi_text::tokenize`]) and their overlays
    /// ([`query::overlays`]), made by a caller that has both already: equal to
    /// [`Analysis::of`] the same text.
    pub fn from_tokens(tokens: &[vi_text::Token], overlays: &[query::Overlay]) -> Analysis {
        let bytes: usize = tokens.iter().map(|t| t.matched.len() + t.folded.len()).sum::<usize>()
            + overlays.iter().map(|o| o.matched.len() + o.folded.len()).sum::<usize>();
        let mut out = Analysis {
            items: Vec::with_capacity(tokens.len() + overlays.len()),
            forms: String::with_capacity(bytes),
        };
        for t in tokens {
            out.push(t.position, t.start, t.end, &t.matched, &t.folded, t.unaccented);
        }
        // An index position holds one syllable, so a multi-syllable alternative (`mọi người`
        // for `mn`) takes the positions after its token's; phrase search through it and on
        // past it is the exact evaluator's job, which follows the token graph.
        let mut last = 0;
        for o in overlays {
            last = if o.starts_at_token() { o.from } else { last + 1 };
            out.push(last, o.start, o.end, &o.matched, &o.folded, o.unaccented);
        }
        // Stable: a token comes before the alternatives laid over its position.
        if !overlays.is_empty() {
            out.items.sort_by_key(|e| e.position);
        }
        out
    }

    fn push(
        &mut self,
        position: usize,
        start: usize,
        end: usize,
        matched: &str,
        folded: &str,
        unaccented: bool,
    ) {
        let matched = self.form(matched);
        // Most syllables of news prose carry no mark to fold away.
        let folded = if self.range(matched) == folded { matched } else { self.form(folded) };
        self.items.push(Entry { position, start, end, matched, folded, unaccented });
    }

    fn form(&mut self, form: &str) -> (u32, u32) {
        let start = self.forms.len();
        self.forms.push_str(form);
        (start as u32, self.forms.len() as u32)
    }

    fn range(&self, (start, end): (u32, u32)) -> &str {
        &self.forms[start as usize..end as usize]
    }

    /// Syllables and alternatives in the order the streams emit them.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Item<'_>> {
        self.items.iter().map(|e| self.item(e))
    }

    fn item(&self, e: &Entry) -> Item<'_> {
        Item {
            position: e.position,
            matched: self.range(e.matched),
            folded: self.range(e.folded),
            unaccented: e.unaccented,
        }
    }
}

impl std::fmt::Debug for Analysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysis").field("items", &self.items.len()).finish_non_exhaustive()
    }
}

/// Analyses made before indexing, waiting for the indexing thread, by text: the index adds
/// a document's texts and its analyses here, and the tokenizer takes an analysis when it is
/// asked for the text it was made of. A text nothing was handed over for is tokenised.
#[derive(Default)]
pub(crate) struct Handoff {
    waiting: Mutex<Waiting>,
    hasher: foldhash::fast::FixedState,
}

/// Analyses by a hash of their text, each with the text itself (two texts may share a
/// hash, and one text may come twice, as two documents' equal titles).
type Waiting = HashMap<u64, Vec<(String, Arc<Analysis>)>>;

/// Past this many texts waiting (a writer adding without committing), the oldest are
/// dropped: they are tokenised again, which costs time, never a result.
const MAX_WAITING: usize = 20_000;

impl Handoff {
    /// Offers the analysis of `text` to the tokenizer.
    pub(crate) fn offer(&self, text: &str, analysis: Arc<Analysis>) {
        let key = self.hasher.hash_one(text);
        let mut waiting = self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if waiting.len() >= MAX_WAITING {
            waiting.clear();
        }
        waiting.entry(key).or_default().push((text.to_owned(), analysis));
    }

    /// The analysis offered for `text`, if one waits.
    fn take(&self, text: &str) -> Option<Arc<Analysis>> {
        let key = self.hasher.hash_one(text);
        let mut waiting = self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let list = waiting.get_mut(&key)?;
        let found = list.iter().position(|(t, _)| t == text)?;
        let (_, analysis) = list.swap_remove(found);
        if list.is_empty() {
            waiting.remove(&key);
        }
        Some(analysis)
    }

    /// Drops whatever is still waiting: after a commit every document added before it has
    /// been tokenised.
    pub(crate) fn clear(&self) {
        self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// How many texts wait.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }
}

thread_local! {
    /// The last text analysed on this thread: tantivy asks for the match field, then the
    /// fold and the bare field of the same text, and the analysis is the same for all.
    static LAST: std::cell::RefCell<(String, Arc<Analysis>)> = std::cell::RefCell::default();
}

/// The analysis of `text`: the last one of this thread if it is the same text, else the one
/// handed over for it, else a new one.
pub(crate) fn analyse(text: &str, handoff: Option<&Handoff>) -> Arc<Analysis> {
    if let Some(hit) = LAST.with(|l| {
        let l = l.borrow();
        (l.0 == text).then(|| l.1.clone())
    }) {
        return hit;
    }
    let analysis =
        handoff.and_then(|h| h.take(text)).unwrap_or_else(|| Arc::new(Analysis::of(text)));
    LAST.with(|l| {
        let mut l = l.borrow_mut();
        l.0.clear();
        l.0.push_str(text);
        l.1 = analysis.clone();
    });
    analysis
}

/// Emits one token per syllable of display-form text, in the form of its [`Stream`], with
/// offsets into the display text.
#[derive(Clone)]
pub(crate) struct ViTokenizer {
    stream: Stream,
    token: Token,
    handoff: Option<Arc<Handoff>>,
}

impl ViTokenizer {
    pub(crate) fn new(stream: Stream, handoff: Option<Arc<Handoff>>) -> ViTokenizer {
        ViTokenizer { stream, token: Token::default(), handoff }
    }
}

pub(crate) struct ViTokenStream<'a> {
    analysis: Arc<Analysis>,
    next: usize,
    stream: Stream,
    token: &'a mut Token,
}

impl Tokenizer for ViTokenizer {
    type TokenStream<'a> = ViTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ViTokenStream<'a> {
        self.token.reset();
        ViTokenStream {
            analysis: analyse(text, self.handoff.as_deref()),
            next: 0,
            stream: self.stream,
            token: &mut self.token,
        }
    }
}

impl TokenStream for ViTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let entry = loop {
            let Some(entry) = self.analysis.items.get(self.next) else { return false };
            self.next += 1;
            if self.stream != Stream::Bare || entry.unaccented {
                break entry;
            }
        };
        self.token.offset_from = entry.start;
        self.token.offset_to = entry.end;
        self.token.position = entry.position;
        self.token.position_length = 1;
        self.token.text.clear();
        self.token.text.push_str(self.analysis.range(match self.stream {
            Stream::Match => entry.matched,
            Stream::Fold | Stream::Bare => entry.folded,
        }));
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: &[&str] = &[
        "Sở Y tế Hà Nội cảnh báo sốt xuất huyết tăng mạnh. Người dân cần diệt lăng quăng!",
        "mn ơi bs nói ko dc uống thuốc này, v.a.c.x.i.n gây vô sinh",
        "Tiem vac xin xong bi sot cao. Bộ Y tế khẳng định đây là tin giả.",
        "",
    ];

    #[test]
    fn an_analysis_from_tokens_is_the_analysis_of_the_text() {
        for text in TEXTS {
            let tokens = vi_text::tokenize(text);
            let overlays = query::overlays(text, &tokens);
            assert!(Analysis::from_tokens(&tokens, &overlays) == Analysis::of(text), "{text}");
        }
        // The alternatives are there: `ko` also reads `không`, after its token.
        let a = Analysis::of(TEXTS[1]);
        let at = a.iter().find(|i| i.matched == "ko").map(|i| i.position);
        let ko: Vec<&str> =
            a.iter().filter(|i| Some(i.position) == at).map(|i| i.matched).collect();
        assert_eq!(ko, ["ko", "không"]);
    }

    #[test]
    fn the_tokenizer_takes_what_was_handed_over_once() {
        let handoff = Handoff::default();
        let text = "Tin nhắn lạ về vắc xin";
        // A marked analysis: the tokenizer must emit it, not tokenise the text again.
        let mut marked = Analysis::of("tin giả");
        marked.forms = marked.forms.replace("tin", "TIN");
        handoff.offer(text, Arc::new(marked));
        handoff.offer("khác", Arc::new(Analysis::of("khác")));
        assert_eq!(handoff.waiting(), 2);
        let emitted = |tokenizer: &mut ViTokenizer| {
            let mut stream = tokenizer.token_stream(text);
            let mut out = Vec::new();
            while stream.advance() {
                out.push(stream.token().text.clone());
            }
            out
        };
        let mut tokenizer = ViTokenizer::new(Stream::Match, Some(Arc::new(handoff)));
        assert_eq!(emitted(&mut tokenizer), ["TIN", "giả"]);
        // Taken: the next time (another thread, no cache) the text is tokenised.
        let handoff = tokenizer.handoff.clone().unwrap();
        assert_eq!(handoff.waiting(), 1);
        let other = std::thread::spawn(move || emitted(&mut tokenizer)).join().unwrap();
        assert_eq!(other, ["tin", "nhắn", "lạ", "về", "vắc", "xin"]);
        handoff.clear();
        assert_eq!(handoff.waiting(), 0);
    }
}
