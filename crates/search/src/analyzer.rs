//! The tantivy tokenizer over `vi-text` syllables, in match form or fold form, with the
//! view alternatives (teencode expansions, spelling repairs, joined obfuscations) laid over
//! the positions of the tokens they stand for.

use std::rc::Rc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Name of the accent-sensitive analyzer.
pub(crate) const VI_MATCH: &str = "vi_match";
/// Name of the accent-insensitive analyzer.
pub(crate) const VI_FOLD: &str = "vi_fold";

/// Emits one token per syllable of display-form text, in match or fold form, with offsets
/// into the display text.
#[derive(Clone)]
pub(crate) struct ViTokenizer {
    fold: bool,
    token: Token,
}

impl ViTokenizer {
    pub(crate) fn new(fold: bool) -> ViTokenizer {
        ViTokenizer { fold, token: Token::default() }
    }
}

/// (position, display start, display end, match form, fold form), in position order.
type Item = (usize, usize, usize, String, String);

thread_local! {
    /// The last text analysed on this thread: tantivy asks for the match field and then the
    /// fold field of the same text, and the analysis is the same for both.
    static LAST: std::cell::RefCell<(String, Rc<Vec<Item>>)> = std::cell::RefCell::default();
}

pub(crate) struct ViTokenStream<'a> {
    items: Rc<Vec<Item>>,
    next: usize,
    fold: bool,
    token: &'a mut Token,
}

fn analyse(text: &str) -> Rc<Vec<Item>> {
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
        (last, o.start, o.end, o.matched, o.folded)
    });
    let mut items: Vec<Item> = tokens
        .into_iter()
        .map(|t| (t.position, t.start, t.end, t.matched, t.folded))
        .chain(overlay_items)
        .collect();
    // Stable: a token comes before the alternatives laid over its position.
    items.sort_by_key(|i| i.0);
    let items = Rc::new(items);
    LAST.with(|l| *l.borrow_mut() = (text.to_owned(), items.clone()));
    items
}

impl Tokenizer for ViTokenizer {
    type TokenStream<'a> = ViTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ViTokenStream<'a> {
        self.token.reset();
        ViTokenStream { items: analyse(text), next: 0, fold: self.fold, token: &mut self.token }
    }
}

impl TokenStream for ViTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some((position, start, end, matched, folded)) = self.items.get(self.next) else {
            return false;
        };
        self.next += 1;
        self.token.offset_from = *start;
        self.token.offset_to = *end;
        self.token.position = *position;
        self.token.position_length = 1;
        self.token.text.clear();
        self.token.text.push_str(if self.fold { folded } else { matched });
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}
