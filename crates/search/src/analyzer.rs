//! The tantivy tokenizer over `vi-text` syllables, in match form or fold form, with the
//! view alternatives (teencode expansions, spelling repairs, joined obfuscations) laid over
//! the positions of the tokens they stand for.

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

pub(crate) struct ViTokenStream<'a> {
    /// (position, display start, display end, match form, fold form), in position order.
    items: std::vec::IntoIter<(usize, usize, usize, String, String)>,
    fold: bool,
    token: &'a mut Token,
}

impl Tokenizer for ViTokenizer {
    type TokenStream<'a> = ViTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ViTokenStream<'a> {
        self.token.reset();
        let tokens = vi_text::tokenize(text);
        let overlays = query::overlays(text, &tokens);
        let mut items: Vec<(usize, usize, usize, String, String)> = tokens
            .into_iter()
            .enumerate()
            .map(|(p, t)| (p, t.start, t.end, t.matched, t.folded))
            .chain(overlays.into_iter().map(|o| (o.pos, o.start, o.end, o.matched, o.folded)))
            .collect();
        // Stable: a token comes before the alternatives laid over its position.
        items.sort_by_key(|i| i.0);
        ViTokenStream { items: items.into_iter(), fold: self.fold, token: &mut self.token }
    }
}

impl TokenStream for ViTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some((position, start, end, matched, folded)) = self.items.next() else { return false };
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.position = position;
        self.token.position_length = 1;
        self.token.text = if self.fold { folded } else { matched };
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}
