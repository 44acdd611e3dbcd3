//! Lexer and recursive-descent parser, with errors that say where and what was expected.

use crate::{Expr, Term};

/// A query that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset})")]
pub struct ParseError {
    /// Byte offset in the query text where the problem is.
    pub offset: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Converts a byte offset in `text` into a 1-based line and column (in characters).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lexeme {
    Open,
    Close,
    Or,
    And,
    Not,
    Minus,
    Phrase(String),
    Word { text: String, exact: bool },
}

#[derive(Debug, Clone)]
struct Lex {
    kind: Lexeme,
    offset: usize,
}

fn describe(l: Option<&Lex>) -> String {
    match l.map(|l| &l.kind) {
        None => "the end of the query".to_owned(),
        Some(Lexeme::Open) => "'('".to_owned(),
        Some(Lexeme::Close) => "')'".to_owned(),
        Some(Lexeme::Or) => "OR".to_owned(),
        Some(Lexeme::And) => "AND".to_owned(),
        Some(Lexeme::Not) => "NOT".to_owned(),
        Some(Lexeme::Minus) => "'-'".to_owned(),
        Some(Lexeme::Phrase(p)) => format!("the phrase \"{p}\""),
        Some(Lexeme::Word { text, .. }) => format!("{text:?}"),
    }
}

fn lex(text: &str) -> Result<Vec<Lex>, ParseError> {
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        match c {
            '(' => {
                it.next();
                out.push(Lex { kind: Lexeme::Open, offset: i });
            }
            ')' => {
                it.next();
                out.push(Lex { kind: Lexeme::Close, offset: i });
            }
            '"' | '“' | '”' => {
                it.next();
                let start = i + c.len_utf8();
                let mut end = None;
                for (j, d) in it.by_ref() {
                    if matches!(d, '"' | '“' | '”') {
                        end = Some(j);
                        break;
                    }
                }
                let Some(end) = end else {
                    return Err(ParseError {
                        offset: i,
                        message: "unclosed quote: expected a closing '\"'".to_owned(),
                    });
                };
                out.push(Lex { kind: Lexeme::Phrase(text[start..end].to_owned()), offset: i });
            }
            '-' if it.clone().nth(1).is_some_and(|(_, d)| !d.is_whitespace()) => {
                it.next();
                out.push(Lex { kind: Lexeme::Minus, offset: i });
            }
            _ => {
                let mut end = text.len();
                while let Some(&(j, d)) = it.peek() {
                    if d.is_whitespace() || matches!(d, '(' | ')' | '"' | '“' | '”') {
                        end = j;
                        break;
                    }
                    it.next();
                }
                let word = &text[i..end];
                let kind = match word {
                    "OR" | "|" => Lexeme::Or,
                    "AND" | "&" => Lexeme::And,
                    "NOT" => Lexeme::Not,
                    _ => match word.strip_prefix('=') {
                        Some(rest) if !rest.is_empty() => {
                            Lexeme::Word { text: rest.to_owned(), exact: true }
                        }
                        _ => Lexeme::Word { text: word.to_owned(), exact: false },
                    },
                };
                out.push(Lex { kind, offset: i });
            }
        }
    }
    Ok(out)
}

/// Parses a query.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let lexemes = lex(text)?;
    if lexemes.is_empty() {
        return Err(ParseError { offset: 0, message: "empty query: expected a term".to_owned() });
    }
    let mut p = Parser { lexemes, pos: 0, text_len: text.len() };
    let expr = p.or()?;
    if let Some(l) = p.peek() {
        return Err(ParseError {
            offset: l.offset,
            message: format!("unexpected {}: expected a term, OR, or the end", describe(Some(l))),
        });
    }
    if !expr.has_positive() {
        return Err(ParseError {
            offset: 0,
            message: "a query made only of NOT matches almost everything: add a term to look for"
                .to_owned(),
        });
    }
    Ok(expr)
}

struct Parser {
    lexemes: Vec<Lex>,
    pos: usize,
    text_len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Lex> {
        self.lexemes.get(self.pos)
    }

    fn next(&mut self) -> Option<Lex> {
        let l = self.lexemes.get(self.pos).cloned();
        self.pos += 1;
        l
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.text_len, |l| l.offset)
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut alts = vec![self.and()?];
        while matches!(self.peek().map(|l| &l.kind), Some(Lexeme::Or)) {
            self.next();
            alts.push(self.and()?);
        }
        Ok(if alts.len() == 1 { alts.remove(0) } else { Expr::Or(alts) })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek().map(|l| &l.kind) {
                None | Some(Lexeme::Or | Lexeme::Close) => break,
                Some(Lexeme::And) => {
                    self.next();
                    parts.push(self.unary()?);
                }
                Some(_) => parts.push(self.unary()?),
            }
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek().map(|l| &l.kind) {
            Some(Lexeme::Not | Lexeme::Minus) => {
                self.next();
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let offset = self.offset();
        let Some(l) = self.next() else {
            return Err(ParseError {
                offset,
                message: "unexpected end of the query: expected a term, a phrase or '('".to_owned(),
            });
        };
        match l.kind {
            Lexeme::Open => {
                let inner = self.or()?;
                match self.next() {
                    Some(Lex { kind: Lexeme::Close, .. }) => Ok(inner),
                    other => Err(ParseError {
                        offset: other.as_ref().map_or(self.text_len, |l| l.offset),
                        message: format!(
                            "expected ')' to close the '(' at byte {}, found {}",
                            l.offset,
                            describe(other.as_ref())
                        ),
                    }),
                }
            }
            Lexeme::Phrase(p) => {
                let terms = terms_of(&p, false);
                match terms.len() {
                    0 => Err(ParseError {
                        offset,
                        message: "empty phrase: expected letters or digits between the quotes"
                            .to_owned(),
                    }),
                    1 => Ok(Expr::Term(terms.into_iter().next().expect("one term"))),
                    _ => Ok(Expr::Phrase(terms)),
                }
            }
            Lexeme::Word { text, exact } => {
                let terms = terms_of(&text, exact);
                match terms.len() {
                    0 => Err(ParseError {
                        offset,
                        message: format!("{text:?} has no letters or digits: expected a term"),
                    }),
                    // `covid-19` is one word to the user but two syllables to the index.
                    1 => Ok(Expr::Term(terms.into_iter().next().expect("one term"))),
                    _ => Ok(Expr::Phrase(terms)),
                }
            }
            other => Err(ParseError {
                offset,
                message: format!(
                    "unexpected {}: expected a term, a phrase or '('",
                    describe(Some(&Lex { kind: other, offset }))
                ),
            }),
        }
    }
}

fn terms_of(text: &str, exact: bool) -> Vec<Term> {
    let display = vi_text::display(text);
    vi_text::tokenize(&display)
        .into_iter()
        .map(|t| Term::new(&t.matched, &display[t.start..t.end], exact))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(e: &Expr) -> String {
        match e {
            Expr::Term(t) => format!("{}{}", if t.folded { "~" } else { "" }, t.text),
            Expr::Phrase(ts) => {
                format!(
                    "\"{}\"",
                    ts.iter().map(|t| show(&Expr::Term(t.clone()))).collect::<Vec<_>>().join(" ")
                )
            }
            Expr::And(xs) => format!("(AND {})", xs.iter().map(show).collect::<Vec<_>>().join(" ")),
            Expr::Or(xs) => format!("(OR {})", xs.iter().map(show).collect::<Vec<_>>().join(" ")),
            Expr::Not(x) => format!("(NOT {})", show(x)),
        }
    }

    #[track_caller]
    fn check(q: &str, want: &str) {
        assert_eq!(show(&parse(q).unwrap()), want);
    }

    #[track_caller]
    fn check_err(q: &str, offset: usize, needle: &str) {
        let e = parse(q).unwrap_err();
        assert_eq!(e.offset, offset, "{e}");
        assert!(e.message.contains(needle), "{e}");
    }

    #[test]
    fn juxtaposition_is_and_and_or_binds_loosest() {
        check("sốt xuất huyết OR SXH", "(OR (AND sốt xuất huyết) ~sxh)");
        check("a (b OR c) NOT d", "(AND ~a (OR ~b ~c) (NOT ~d))");
        check("vắc AND xin", "(AND vắc ~xin)");
    }

    #[test]
    fn phrases_minus_and_exact() {
        check(
            "\"Sốt Xuất Huyết\" -\"tiêm chủng\"",
            "(AND \"sốt xuất huyết\" (NOT \"tiêm chủng\"))",
        );
        check("=sot", "sot");
        check("covid-19", "\"~covid ~19\"");
        check("“thần dược”", "\"thần dược\"");
    }

    #[test]
    fn errors_have_positions() {
        check_err("(sốt OR", 9, "unexpected end");
        check_err("sốt )", 6, "unexpected ')'");
        check_err("\"sốt xuất", 0, "unclosed quote");
        check_err("a OR OR b", 5, "unexpected OR");
        check_err("NOT a", 0, "only of NOT");
        check_err("!!!", 0, "no letters");
        check_err("  ", 0, "empty query");
        check_err("(a b", 4, "expected ')'");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncốt x", 9), (2, 5));
        assert_eq!(line_col("abc", 0), (1, 1));
    }
}
