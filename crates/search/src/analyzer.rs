//! The tantivy tokenizer over `vi-text` syllables, in match form or fold form, with the
//! view alternatives (teencode expansions, spelling repairs, joined obfuscations) laid over
//! the positions of the tokens they stand for; and the bare stream, the fold form of only
//! what lies in sentences typed without diacritics, where accent-tolerant terms look.

use std::rc::Rc;

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

/// Emits one token per syllable of display-form text, in the form of its [`Stream`], with
/// offsets into the display text.
#[derive(Clone)]
pub(crate) struct ViTokenizer {
    stream: Stream,
    token: Token,
}

impl ViTokenizer {
    pub(crate) fn new(stream: Stream) -> ViTokenizer {
        ViTokenizer { stream, token: Token::default() }
    }
}

/// One syllable or alternative to emit.
pub(crate) struct Item {
    pub(crate) position: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) matched: String,
    pub(crate) folded: String,
    /// In a sentence typed without diacritics.
    pub(crate) unaccented: bool,
}

thread_local! {
    /// The last text analysed on this thread: tantivy asks for the match field and then the
    /// fold field of the same text, and the analysis is the same for both.
    static LAST: std::cell::RefCell<(String, Rc<Vec<Item>>)> = std::cell::RefCell::default();
}

pub(crate) struct ViTokenStream<'a> {
    items: Rc<Vec<Item>>,
    next: usize,
    stream: Stream,
    token: &'a mut Token,
}

/// Every syllable and alternative of `text` at its index position, tokens before the
/// alternatives laid over them: what every stream emits, and what the PostgreSQL
/// backend's lexemes are made of (`fulltext`).
pub(crate) fn analyse(text: &str) -> Rc<Vec<Item>> {
    if let Some(hit) = LAST.with(|l| {
        let l = l.borrow();
        (l.0 == text).then(|| l.1.clone())
    }) {
        return hit;
    }
    let tokens = vi_text::tokenize(text);
    let overlays = query::overlays(text, &tokens);
    // An index position holds one syllable, so a multi-syllable alternative (`mọi người`
    // for `mn`) takes the positions after its token's; phrase search through it and on past
    // it is the exact evaluator's job, which follows the token graph.
    let mut last = 0;
    let overlay_items = overlays.into_iter().map(|o| {
        last = if o.starts_at_token() { o.from } else { last + 1 };
        let unaccented = o.unaccented;
        Item {
            position: last,
            start: o.start,
            end: o.end,
            matched: o.matched,
            folded: o.folded,
            unaccented,
        }
    });
    let mut items: Vec<Item> = tokens
        .into_iter()
        .map(|t| Item {
            position: t.position,
            start: t.start,
            end: t.end,
            matched: t.matched,
            folded: t.folded,
            unaccented: t.unaccented,
        })
        .chain(overlay_items)
        .collect();
    // Stable: a token comes before the alternatives laid over its position.
    items.sort_by_key(|i| i.position);
    let items = Rc::new(items);
    LAST.with(|l| *l.borrow_mut() = (text.to_owned(), items.clone()));
    items
}

impl Tokenizer for ViTokenizer {
    type TokenStream<'a> = ViTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ViTokenStream<'a> {
        self.token.reset();
        ViTokenStream { items: analyse(text), next: 0, stream: self.stream, token: &mut self.token }
    }
}

impl TokenStream for ViTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let item = loop {
            let Some(item) = self.items.get(self.next) else { return false };
            self.next += 1;
            if self.stream != Stream::Bare || item.unaccented {
                break item;
            }
        };
        self.token.offset_from = item.start;
        self.token.offset_to = item.end;
        self.token.position = item.position;
        self.token.position_length = 1;
        self.token.text.clear();
        self.token.text.push_str(match self.stream {
            Stream::Match => &item.matched,
            Stream::Fold | Stream::Bare => &item.folded,
        });
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}
