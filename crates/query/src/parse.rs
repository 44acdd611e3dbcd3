//! Lexer and recursive-descent parser, with errors that say where and what was expected.

use crate::{Expr, Scope, Term};

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
    /// `~`: every spelling the loose key merges (final `i`/`y`).
    Loose,
    Phrase(String),
    Word {
        text: String,
        exact: bool,
    },
    Near {
        distance: usize,
        ordered: bool,
    },
    Field(FieldName),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldName {
    Title,
    Body,
    Source,
    Lang,
}

impl FieldName {
    fn parse(name: &str) -> Option<FieldName> {
        match name.to_ascii_lowercase().as_str() {
            "title" => Some(FieldName::Title),
            "body" => Some(FieldName::Body),
            "source" => Some(FieldName::Source),
            "lang" => Some(FieldName::Lang),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            FieldName::Title => "title:",
            FieldName::Body => "body:",
            FieldName::Source => "source:",
            FieldName::Lang => "lang:",
        }
    }
}

/// The most syllables `NEAR/n` may allow between its sides.
pub const MAX_DISTANCE: usize = 1000;

/// The most characters a search query may have ([`Limits::SEARCH`]).
pub const MAX_QUERY_CHARS: usize = 2_000;

/// The most terms (words and quoted phrases, as written) a search query may have
/// ([`Limits::SEARCH`]).
pub const MAX_TERMS: usize = 64;

/// The most levels a query may nest: each `(`, `NOT` or `-`, `title:` or `body:` scope and
/// each `NEAR` of a chain (`a NEAR/1 b NEAR/1 c` nests twice) is a level. It is also the
/// ceiling of every [`Limits::depth`]: everything that walks an [`Expr`] recurses, and
/// this keeps the recursion shallow.
pub const MAX_DEPTH: usize = 32;

/// The most characters a rule's query may have ([`Limits::RULES`]).
pub const MAX_RULE_QUERY_CHARS: usize = 20_000;

/// The most terms a rule's query may have ([`Limits::RULES`]): a topic rule lists dozens
/// of phrases.
pub const MAX_RULE_TERMS: usize = 1_000;

/// How large a query [`parse_with`] accepts. Each limit refused is reported as a
/// [`ParseError`] naming it, at the place where it was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most characters.
    pub chars: usize,
    /// Most terms: words and quoted phrases as written (a `source:` or `lang:` value is
    /// one), however many spellings they expand to.
    pub terms: usize,
    /// Most nesting levels (see [`MAX_DEPTH`]); values above [`MAX_DEPTH`] count as it.
    pub depth: usize,
}

impl Limits {
    /// What the search box and the API accept ([`parse`]).
    pub const SEARCH: Limits =
        Limits { chars: MAX_QUERY_CHARS, terms: MAX_TERMS, depth: MAX_DEPTH };

    /// What rule packs accept: trusted, long lists of phrases, nested no deeper.
    pub const RULES: Limits =
        Limits { chars: MAX_RULE_QUERY_CHARS, terms: MAX_RULE_TERMS, depth: MAX_DEPTH };
}

/// `12345` as `12,345`, as the messages about limits write numbers.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
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
        Some(Lexeme::Loose) => "'~'".to_owned(),
        Some(Lexeme::Phrase(p)) => format!("the phrase \"{p}\""),
        Some(Lexeme::Word { text, .. }) => format!("{text:?}"),
        Some(Lexeme::Near { distance, ordered }) => {
            format!("{}NEAR/{distance}", if *ordered { "O" } else { "" })
        }
        Some(Lexeme::Field(f)) => f.label().to_owned(),
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
            '~' => {
                it.next();
                out.push(Lex { kind: Lexeme::Loose, offset: i });
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
                lex_word(word, i, &mut out)?;
            }
        }
    }
    Ok(out)
}

/// Classifies one whitespace-delimited word: an operator, a `field:` prefix (followed by
/// the rest of the word, if any) or a term.
fn lex_word(word: &str, offset: usize, out: &mut Vec<Lex>) -> Result<(), ParseError> {
    if let Some(near) = near_operator(word, offset)? {
        out.push(Lex { kind: near, offset });
        return Ok(());
    }
    if let Some((name, rest)) = word.split_once(':')
        && !name.is_empty()
        && name.len() <= 12
        && name.bytes().all(|b| b.is_ascii_alphabetic())
        && !rest.starts_with('/')
    {
        let Some(field) = FieldName::parse(name) else {
            return Err(ParseError {
                offset,
                message: format!(
                    "unknown field {name:?}: expected title:, body:, source: or lang: \
                     (quote the word to search for it as text)"
                ),
            });
        };
        out.push(Lex { kind: Lexeme::Field(field), offset });
        let mut at = offset + name.len() + 1;
        let rest = match rest.strip_prefix('~') {
            Some(after) => {
                out.push(Lex { kind: Lexeme::Loose, offset: at });
                at += 1;
                after
            }
            None => rest,
        };
        if !rest.is_empty() {
            out.push(Lex { kind: word_lexeme(rest), offset: at });
        }
        return Ok(());
    }
    out.push(Lex { kind: word_lexeme(word), offset });
    Ok(())
}

fn word_lexeme(word: &str) -> Lexeme {
    match word {
        "OR" | "|" => Lexeme::Or,
        "AND" | "&" => Lexeme::And,
        "NOT" => Lexeme::Not,
        _ => match word.strip_prefix('=') {
            Some(rest) if !rest.is_empty() => Lexeme::Word { text: rest.to_owned(), exact: true },
            _ => Lexeme::Word { text: word.to_owned(), exact: false },
        },
    }
}

/// `NEAR/n` and `ONEAR/n`; `None` for any other word.
fn near_operator(word: &str, offset: usize) -> Result<Option<Lexeme>, ParseError> {
    let (ordered, rest) = if let Some(rest) = word.strip_prefix("ONEAR") {
        (true, rest)
    } else if let Some(rest) = word.strip_prefix("NEAR") {
        (false, rest)
    } else {
        return Ok(None);
    };
    let op = if ordered { "ONEAR" } else { "NEAR" };
    let Some(number) = rest.strip_prefix('/') else {
        if rest.is_empty() {
            return Err(ParseError {
                offset,
                message: format!(
                    "{op} needs a distance: write {op}/5 for at most 5 syllables between"
                ),
            });
        }
        return Ok(None);
    };
    match number.parse::<usize>() {
        Ok(distance) if distance <= MAX_DISTANCE => Ok(Some(Lexeme::Near { distance, ordered })),
        _ => Err(ParseError {
            offset: offset + op.len() + 1,
            message: format!(
                "expected a number of syllables from 0 to {MAX_DISTANCE} after {op}/, found {number:?}"
            ),
        }),
    }
}

/// Parses a query typed by a user, within [`Limits::SEARCH`].
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    parse_with(text, &Limits::SEARCH)
}

/// Parses a query within `limits`. The expression is at most `2 * MAX_DEPTH + 4` levels
/// deep, whatever the input, so that everything walking it may recurse.
pub fn parse_with(text: &str, limits: &Limits) -> Result<Expr, ParseError> {
    // Counted before lexing, so that the lexer's work is bounded too.
    if let Some((offset, _)) = text.char_indices().nth(limits.chars) {
        return Err(ParseError {
            offset,
            message: format!(
                "the query is longer than {} characters (the limit): shorten it or split it \
                 into several queries",
                grouped(limits.chars)
            ),
        });
    }
    let lexemes = lex(text)?;
    if lexemes.is_empty() {
        return Err(ParseError { offset: 0, message: "empty query: expected a term".to_owned() });
    }
    let terms =
        lexemes.iter().filter(|l| matches!(l.kind, Lexeme::Word { .. } | Lexeme::Phrase(_)));
    if let Some(l) = terms.clone().nth(limits.terms) {
        return Err(ParseError {
            offset: l.offset,
            message: format!(
                "the query has more than {} terms (the limit): split it into several queries",
                grouped(limits.terms)
            ),
        });
    }
    let mut p = Parser {
        lexemes,
        pos: 0,
        text_len: text.len(),
        depth: 0,
        max_depth: limits.depth.min(MAX_DEPTH),
    };
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
            message: "a query made only of NOT, source: or lang: matches almost everything: add a term to look for"
                .to_owned(),
        });
    }
    Ok(expr)
}

struct Parser {
    lexemes: Vec<Lex>,
    pos: usize,
    text_len: usize,
    /// Levels entered so far (see [`MAX_DEPTH`]); checked before every recursion, which
    /// is what bounds the parser's stack and the depth of the expression it builds.
    depth: usize,
    max_depth: usize,
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

    /// Enters one more level of nesting, for the operator at `offset`.
    fn deeper(&mut self, offset: usize) -> Result<(), ParseError> {
        if self.depth >= self.max_depth {
            return Err(ParseError {
                offset,
                message: format!(
                    "the query is nested more than {} levels deep (the limit): use fewer \
                     parentheses, NOT, field scopes or chained NEAR",
                    self.max_depth
                ),
            });
        }
        self.depth += 1;
        Ok(())
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
        let mut parts = vec![self.near()?];
        loop {
            match self.peek().map(|l| &l.kind) {
                None | Some(Lexeme::Or | Lexeme::Close) => break,
                Some(Lexeme::And) => {
                    self.next();
                    parts.push(self.near()?);
                }
                Some(_) => parts.push(self.near()?),
            }
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    fn near(&mut self) -> Result<Expr, ParseError> {
        let left_offset = self.offset();
        let mut left = self.unary()?;
        // Each NEAR of a chain nests the chain so far one level deeper on its left.
        let mut chained = 0;
        while let Some(&Lex { kind: Lexeme::Near { distance, ordered }, offset }) = self.peek() {
            self.deeper(offset)?;
            chained += 1;
            self.next();
            let right_offset = self.offset();
            let right = self.unary()?;
            for (side, at) in [(&left, left_offset), (&right, right_offset)] {
                if !side.is_positional() {
                    return Err(ParseError {
                        offset: at,
                        message: format!(
                            "the sides of the NEAR at byte {offset} must be terms, phrases or \
                             (… OR …) groups of them, not NOT, AND or source:/lang: filters"
                        ),
                    });
                }
            }
            left = Expr::Near { left: Box::new(left), right: Box::new(right), distance, ordered };
        }
        self.depth -= chained;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek().map(|l| &l.kind) {
            Some(Lexeme::Not | Lexeme::Minus) => {
                let offset = self.offset();
                self.next();
                self.deeper(offset)?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Some(&Lexeme::Field(field)) => {
                let offset = self.offset();
                self.next();
                self.scoped(field, offset)
            }
            Some(Lexeme::Loose) => {
                let offset = self.offset();
                self.next();
                match self.next() {
                    Some(Lex {
                        kind: Lexeme::Word { text, .. } | Lexeme::Phrase(text), ..
                    }) => loose(&text, offset),
                    other => Err(ParseError {
                        offset: other.as_ref().map_or(self.text_len, |l| l.offset),
                        message: format!(
                            "expected a word or a quoted phrase right after '~', found {}",
                            describe(other.as_ref())
                        ),
                    }),
                }
            }
            _ => self.primary(),
        }
    }

    fn scoped(&mut self, field: FieldName, offset: usize) -> Result<Expr, ParseError> {
        let scope = match field {
            FieldName::Title => Scope::Title,
            FieldName::Body => Scope::Body,
            FieldName::Source | FieldName::Lang => {
                let value = match self.next() {
                    Some(Lex {
                        kind: Lexeme::Word { text, .. } | Lexeme::Phrase(text), ..
                    }) => text,
                    other => {
                        return Err(ParseError {
                            offset: other.as_ref().map_or(self.text_len, |l| l.offset),
                            message: format!(
                                "expected a name after {}, found {}",
                                field.label(),
                                describe(other.as_ref())
                            ),
                        });
                    }
                };
                let words: Vec<String> = vi_text::tokenize(&vi_text::display(&value))
                    .into_iter()
                    .map(|t| t.folded)
                    .collect();
                if words.is_empty() {
                    return Err(ParseError {
                        offset,
                        message: format!("expected a name with letters after {}", field.label()),
                    });
                }
                return Ok(if field == FieldName::Source {
                    Expr::Source(words.join(" "))
                } else {
                    Expr::Lang(words.concat())
                });
            }
        };
        let inner_offset = self.offset();
        self.deeper(offset)?;
        let mut inner = self.unary()?;
        self.depth -= 1;
        apply_scope(&mut inner, scope).map_err(|message| ParseError {
            offset: inner_offset,
            message: format!("{message} inside {}", field.label()),
        })?;
        Ok(inner)
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
                self.deeper(l.offset)?;
                let inner = self.or()?;
                self.depth -= 1;
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
                if terms.is_empty() {
                    return Err(ParseError {
                        offset,
                        message: "empty phrase: expected letters or digits between the quotes"
                            .to_owned(),
                    });
                }
                spelled(with_iy_variants(terms), offset, &p)
            }
            Lexeme::Word { text, exact } => {
                let terms = terms_of(&text, exact);
                if terms.is_empty() {
                    return Err(ParseError {
                        offset,
                        message: format!("{text:?} has no letters or digits: expected a term"),
                    });
                }
                // `covid-19` is one word to the user but two syllables to the index.
                let alternatives = if exact {
                    terms.into_iter().map(|t| vec![t]).collect()
                } else {
                    with_iy_variants(terms)
                };
                spelled(alternatives, offset, &text)
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

/// Restricts every term of `expr` to `scope`.
fn apply_scope(expr: &mut Expr, scope: Scope) -> Result<(), String> {
    let set = |t: &mut Term| {
        if t.scope != Scope::Any && t.scope != scope {
            return Err("conflicting field scopes: title: and body: cannot both apply".to_owned());
        }
        t.scope = scope;
        Ok(())
    };
    match expr {
        Expr::Term(t) => set(t),
        Expr::Phrase(ts) => ts.iter_mut().try_for_each(set),
        Expr::And(xs) | Expr::Or(xs) => xs.iter_mut().try_for_each(|x| apply_scope(x, scope)),
        Expr::Not(x) => apply_scope(x, scope),
        Expr::Near { left, right, .. } => {
            apply_scope(left, scope)?;
            apply_scope(right, scope)
        }
        Expr::Source(_) | Expr::Lang(_) => {
            Err("source: and lang: describe the document, not a field".to_owned())
        }
    }
}

/// The most spellings one term or phrase may expand to (two per syllable spelt with a final
/// `i` or `y`).
const MAX_SPELLINGS: usize = 64;

/// Each syllable with its accented `i`/`y` twin, when it has one (`kỹ` and `kĩ`, see
/// [`vi_text::iy_variant`]).
fn with_iy_variants(terms: Vec<Term>) -> Vec<Vec<Term>> {
    terms
        .into_iter()
        .map(|t| {
            let twin = if t.folded { None } else { vi_text::iy_variant(&t.text) };
            match twin {
                Some(text) => {
                    let other = Term { text, ..t.clone() };
                    vec![t, other]
                }
                None => vec![t],
            }
        })
        .collect()
}

/// `~word` and `~"phrase"`: every syllable on the fold form, with each spelling the loose
/// key merges (`ky`/`ki`, `quy`/`qui`).
fn loose(text: &str, offset: usize) -> Result<Expr, ParseError> {
    let terms = terms_of(text, false);
    if terms.is_empty() {
        return Err(ParseError {
            offset,
            message: format!("~{text:?} has no letters or digits: expected a term"),
        });
    }
    let alternatives = terms
        .into_iter()
        .map(|t| {
            vi_text::loose_spellings(&vi_text::fold_str(&t.text))
                .into_iter()
                .map(|text| Term { text, folded: true, tolerant: false, ..t.clone() })
                .collect()
        })
        .collect();
    spelled(alternatives, offset, text)
}

/// The expression for consecutive syllables given with their alternative spellings: a
/// term or a phrase, or an `OR` of every combination.
fn spelled(alternatives: Vec<Vec<Term>>, offset: usize, text: &str) -> Result<Expr, ParseError> {
    let count = alternatives.iter().try_fold(1usize, |n, a| n.checked_mul(a.len().max(1)));
    if count.is_none_or(|n| n > MAX_SPELLINGS) {
        return Err(ParseError {
            offset,
            message: format!(
                "{text:?} has too many syllables spelt with a final i or y: it would expand to \
                 more than {MAX_SPELLINGS} spellings; split it"
            ),
        });
    }
    let mut phrases: Vec<Vec<Term>> = vec![Vec::new()];
    for options in alternatives {
        phrases = phrases
            .into_iter()
            .flat_map(|p| {
                options.iter().map(move |t| {
                    let mut p = p.clone();
                    p.push(t.clone());
                    p
                })
            })
            .collect();
    }
    let mut exprs: Vec<Expr> = phrases
        .into_iter()
        .map(|mut p| if p.len() == 1 { Expr::Term(p.remove(0)) } else { Expr::Phrase(p) })
        .collect();
    Ok(if exprs.len() == 1 { exprs.remove(0) } else { Expr::Or(exprs) })
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
            Expr::Term(t) => {
                let scope = match t.scope {
                    Scope::Any => "",
                    Scope::Title => "title:",
                    Scope::Body => "body:",
                };
                format!("{scope}{}{}", if t.folded { "~" } else { "" }, t.text)
            }
            Expr::Near { left, right, distance, ordered } => format!(
                "({}NEAR/{distance} {} {})",
                if *ordered { "O" } else { "" },
                show(left),
                show(right)
            ),
            Expr::Source(s) => format!("source={s}"),
            Expr::Lang(s) => format!("lang={s}"),
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
    fn proximity_binds_tighter_than_and() {
        check("tử vong NEAR/5 tiêm", "(AND tử (NEAR/5 ~vong tiêm))");
        check("\"tử vong\" ONEAR/3 (tiêm OR vắc)", "(ONEAR/3 \"tử ~vong\" (OR tiêm vắc))");
        check("a NEAR/1 b NEAR/2 c", "(NEAR/2 (NEAR/1 ~a ~b) ~c)");
        check_err("a NEAR b", 2, "needs a distance");
        check_err("a NEAR/x b", 7, "expected a number");
        check_err("a NEAR/5000 b", 7, "from 0 to 1000");
        check_err("(a b) NEAR/3 c", 0, "must be terms, phrases");
        check_err("a NEAR/3 -b", 9, "must be terms, phrases");
        check_err("a NEAR/3", 8, "unexpected end");
        // A word that merely starts with NEAR is a term.
        check("NEARBY", "~nearby");
    }

    #[test]
    fn field_scopes() {
        check("title:sốt body:\"xuất huyết\"", "(AND title:sốt \"body:xuất body:huyết\")");
        check("title:(a -b) OR c", "(OR (AND title:~a (NOT title:~b)) ~c)");
        check("source:VnExpress lang:VI a", "(AND source=vnexpress lang=vi ~a)");
        check("source:\"Tuổi Trẻ\" a", "(AND source=tuoi tre ~a)");
        check("TITLE: a", "title:~a");
        check_err("tittle:sốt", 0, "unknown field \"tittle\"");
        check_err("title:(body:a)", 6, "conflicting field scopes");
        check_err("title:(source:x a)", 6, "describe the document");
        check_err("source:(a)", 7, "expected a name after source:");
        check_err("lang:vi", 0, "only of NOT");
        // URLs and times are text, not fields.
        check("https://moh.gov.vn", "\"~https ~moh ~gov ~vn\"");
        check("10:30", "\"~10 ~30\"");
    }

    #[test]
    fn tilde_matches_every_i_y_spelling_on_the_fold_form() {
        check("~ky", "(OR ~ky ~ki)");
        check("~kỹ", "(OR ~ky ~ki)");
        check("~\"ky thuat\"", "(OR \"~ky ~thuat\" \"~ki ~thuat\")");
        check("~\"quy ly\"", "(OR \"~quy ~ly\" \"~quy ~li\" \"~qui ~ly\" \"~qui ~li\")");
        check("~thuat", "~thuat");
        check("title:~my a", "(AND (OR title:~my title:~mi) ~a)");
        check("body:~\"ky thuat\"", "(OR \"body:~ky body:~thuat\" \"body:~ki body:~thuat\")");
        check("~ky NEAR/2 thuat", "(NEAR/2 (OR ~ky ~ki) ~thuat)");
        check("-~ky a", "(AND (NOT (OR ~ky ~ki)) ~a)");
        check_err("~(a OR b)", 1, "right after '~'");
        check_err("a ~", 3, "right after '~'");
        check_err("~\"ki li mi ti hi si qui\"", 0, "too many syllables");
    }

    #[test]
    fn accented_final_i_and_y_match_both_spellings() {
        check("kỹ thuật", "(AND (OR kỹ kĩ) thuật)");
        check("\"lý do\"", "(OR \"lý ~do\" \"lí ~do\")");
        check("Mỹ", "(OR mỹ mĩ)");
        check("\"bác sĩ\"", "(OR \"bác sĩ\" \"bác sỹ\")");
        // Not `vi`/`Vy`, not syllables without a tone, not `=` exact words.
        check("vì", "vì");
        check("ly", "~ly");
        check("=kỹ", "kỹ");
    }

    #[test]
    fn accented_terms_are_tolerant_unless_strict() {
        let kinds = |q: &str| -> Vec<(bool, bool)> {
            parse(q).unwrap().positive_terms().iter().map(|t| (t.folded, t.tolerant)).collect()
        };
        assert_eq!(kinds("sốt"), [(false, true)]);
        assert_eq!(kinds("sot"), [(true, false)]);
        assert_eq!(kinds("=sốt"), [(false, false)]);
        assert_eq!(kinds("=sot"), [(false, false)]);
        assert_eq!(kinds("~sốt"), [(true, false)]);
        assert_eq!(kinds("\"sốt xuat\""), [(false, true), (true, false)]);
        assert_eq!(kinds("kỹ"), [(false, true), (false, true)]);
    }

    fn depth(e: &Expr) -> usize {
        1 + match e {
            Expr::And(xs) | Expr::Or(xs) => xs.iter().map(depth).max().unwrap_or(0),
            Expr::Not(x) => depth(x),
            Expr::Near { left, right, .. } => depth(left).max(depth(right)),
            Expr::Term(_) | Expr::Phrase(_) | Expr::Source(_) | Expr::Lang(_) => 0,
        }
    }

    #[track_caller]
    fn check_limit(q: &str, limits: &Limits, offset: usize, needle: &str) {
        let e = parse_with(q, limits).unwrap_err();
        assert_eq!(e.offset, offset, "{e}");
        assert!(e.message.contains(needle), "{e}");
    }

    #[test]
    fn hostile_nesting_is_refused_where_it_goes_too_deep() {
        let deep = format!("{}a", "(".repeat(1500));
        check_err(&deep, 32, "nested more than 32 levels deep (the limit)");
        let closed = format!("{}a{}", "(".repeat(1500), ")".repeat(1500));
        check_err(&closed, 2000, "longer than 2,000 characters");
        check_limit(&closed, &Limits::RULES, 32, "nested more than 32 levels deep");
        let minus = format!("{}a", "-".repeat(4000));
        check_err(&minus, 2000, "longer than 2,000 characters (the limit)");
        check_limit(&minus, &Limits::RULES, 32, "nested more than 32 levels");
        let nots = format!("{}a", "NOT ".repeat(2000));
        check_limit(&nots, &Limits::RULES, 4 * 32, "nested more than 32 levels");
        let scopes = format!("{}a", "title: ".repeat(40));
        check_limit(&scopes, &Limits::RULES, 7 * 32, "nested more than 32 levels");
        // A chain of NEAR nests on its left: the 33rd is one too many.
        let chain = format!("a{}", " NEAR/1 a".repeat(40));
        check_limit(&chain, &Limits::RULES, 1 + 9 * 32 + 1, "nested more than 32 levels");
        let chain = format!("a{}", " NEAR/1000 a".repeat(3000));
        check_err(&chain, 2000, "longer than 2,000 characters");
        check_limit(&chain, &Limits::RULES, 20_000, "longer than 20,000 characters");
        // Offsets are bytes, limits characters.
        let long = "ố".repeat(2001);
        check_err(&long, "ố".len() * 2000, "longer than 2,000 characters");
        assert!(parse_with(&long, &Limits::RULES).is_ok());
    }

    #[test]
    fn too_many_terms_are_refused_at_the_first_one_over() {
        let words = "a ".repeat(65);
        check_err(&words, 128, "more than 64 terms (the limit)");
        assert!(parse(&"a ".repeat(64)).is_ok());
        assert!(parse_with(&words, &Limits::RULES).is_ok());
        let phrases = "\"a b\" ".repeat(65);
        check_err(&phrases, 6 * 64, "more than 64 terms");
        let tight = Limits { chars: 100, terms: 2, depth: 1 };
        check_limit("a b c", &tight, 4, "more than 2 terms");
        check_limit("((a))", &tight, 1, "nested more than 1 levels");
        // A depth above the ceiling is the ceiling.
        let loose = Limits { depth: 1_000_000, ..Limits::RULES };
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        check_limit(&deep, &loose, 32, "nested more than 32 levels");
    }

    #[test]
    fn queries_at_the_limits_parse_and_stay_shallow() {
        let bound = 2 * MAX_DEPTH + 4;
        // Every kind of level, as deep as allowed.
        let mixed = [
            format!("{}a{}", "(b OR (c ".repeat(16), "))".repeat(16)),
            format!("b {}a", "-".repeat(32)),
            format!("a{}", " NEAR/3 b".repeat(32)),
            format!("{}\"bác sĩ\"{}", "(x -(".repeat(10), "))".repeat(10)),
            format!("{}kỹ{}", "(x NEAR/2 (".repeat(10), "))".repeat(10)),
            format!("{}a", "title: ".repeat(32)),
        ];
        for q in &mixed {
            let e = parse_with(q, &Limits::RULES).unwrap();
            assert!(depth(&e) <= bound, "{q}: {}", depth(&e));
        }
        // The attacks that were reported, at a size the limits allow, parse.
        let nested = format!("{}thư{}", "(ung NEAR/5 ".repeat(14), ")".repeat(14));
        assert!(parse(&nested).is_ok());
        let flat = format!("ung{}", " NEAR/1000 thư".repeat(30));
        assert!(parse(&flat).is_ok());
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncốt x", 9), (2, 5));
        assert_eq!(line_col("abc", 0), (1, 1));
    }
}
