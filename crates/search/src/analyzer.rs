//! The tantivy tokenizer over `vi-text` syllables, in match form or fold form.

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
    tokens: std::vec::IntoIter<vi_text::Token>,
    fold: bool,
    position: usize,
    token: &'a mut Token,
}

impl Tokenizer for ViTokenizer {
    type TokenStream<'a> = ViTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ViTokenStream<'a> {
        self.token.reset();
        ViTokenStream {
            tokens: vi_text::tokenize(text).into_iter(),
            fold: self.fold,
            position: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for ViTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(t) = self.tokens.next() else { return false };
        self.token.offset_from = t.start;
        self.token.offset_to = t.end;
        self.token.position = self.position;
        self.token.position_length = 1;
        self.token.text = if self.fold { t.folded } else { t.matched };
        self.position += 1;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}
