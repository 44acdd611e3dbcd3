//! The half of the PostgreSQL search backend that knows Vietnamese and the query language,
//! with no database in it: a document's lexemes as a `tsvector` literal built from the
//! analyzer's own tokens, a query compiled to `tsquery` text that selects candidates
//! through a GIN index, and the exact check and highlights of each candidate, the same as
//! the tantivy index gives. `store` runs the SQL.
//!
//! Lexemes are prefixed by field and stream, at the positions the tantivy analyzer gives
//! (plus one: PostgreSQL counts from 1): `tm:` and `bm:` the match form of title and body,
//! `tf:`/`bf:` the fold form, `tb:`/`bb:` the fold form of sentences typed without
//! diacritics; `s:` one per fold-form word of the source name and `l:` the language code.
//! Title lexemes carry weight `A`, so a title match ranks higher. PostgreSQL keeps at most
//! 256 positions per lexeme and none beyond 16383; a document past either limit is
//! *lossy*: its terms are still exact, but its phrases are checked on its text.

use std::collections::HashMap;
use std::fmt::Write as _;

use query::{DocIndex, Expr, Fuel, Program, Scope, Term as QTerm};

use crate::analyzer::Analysis;
use crate::compile::{Kind, approximate, kind};
use crate::{Budget, Cursor, Error, Fragment, MAX_CHECKED_BYTES, Result, Sort, snippet};

/// The last position PostgreSQL keeps; later ones are all stored as this one.
const MAX_POSITION: usize = 16_383;

/// The most positions PostgreSQL keeps per lexeme.
const MAX_POSITIONS_PER_LEXEME: usize = 256;

/// The longest lexeme PostgreSQL takes is 2046 bytes; no syllable comes near it, and one
/// that did is left out rather than fail the document.
const MAX_LEXEME_BYTES: usize = 2_000;

/// A `tsvector` holds at most 1 MB of lexemes and positions; past this estimate a document
/// keeps its lexemes without positions (and is lossy), and past it even so, only the lexemes
/// that fit, in text order.
const MAX_VECTOR_BYTES: usize = 900_000;

/// At most this many candidates of a query answered only approximately are checked
/// exactly, as in the tantivy index.
pub const CHECKED_CANDIDATES: usize = crate::index::PROXIMITY_CANDIDATES;

/// What the reach sort gives a document without engagement counts: below any count.
pub const NO_REACH: i64 = crate::index::NO_REACH;

/// A document's lexemes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexemes {
    /// The `tsvector` literal (cast with `::tsvector`, never parsed by PostgreSQL's own
    /// text search parser).
    pub vector: String,
    /// Some position was past what PostgreSQL keeps, so phrases must be checked on the
    /// text.
    pub lossy: bool,
}

/// The lexemes of a document: title and body (display form), source name and language.
pub fn lexemes(title: &str, body: &str, source: &str, language: &str) -> Lexemes {
    let mut positions: HashMap<String, Vec<usize>> = HashMap::new();
    let mut lossy = false;
    let mut order = Vec::new();
    for (field, text) in [('t', title), ('b', body)] {
        for item in Analysis::of(text).iter() {
            let position = item.position + 1;
            lossy |= position > MAX_POSITION;
            let mut add = |stream: char, form: &str| {
                if form.is_empty() || form.len() > MAX_LEXEME_BYTES {
                    return;
                }
                let key = format!("{field}{stream}:{form}");
                let list = positions.entry(key).or_insert_with_key(|k| {
                    order.push(k.clone());
                    Vec::new()
                });
                if list.last() != Some(&position.min(MAX_POSITION)) {
                    list.push(position.min(MAX_POSITION));
                }
            };
            add('m', item.matched);
            add('f', item.folded);
            if item.unaccented {
                add('b', item.folded);
            }
        }
    }
    // What PostgreSQL stores: an entry per lexeme, its bytes, and two bytes per position.
    let stored = |key: &String, with_positions: bool| {
        let n = positions.get(key).map_or(0, |l| l.len().min(MAX_POSITIONS_PER_LEXEME));
        key.len() + 8 + if with_positions { 2 * n } else { 0 }
    };
    let with_positions = order.iter().map(|k| stored(k, true)).sum::<usize>() <= MAX_VECTOR_BYTES;
    lossy |= !with_positions;
    let mut vector = String::new();
    let mut size = 0;
    for key in &order {
        let Some(list) = positions.get(key) else { continue };
        size += stored(key, with_positions);
        if size > MAX_VECTOR_BYTES {
            break;
        }
        lossy |= list.len() > MAX_POSITIONS_PER_LEXEME;
        quote_into(&mut vector, key);
        if with_positions {
            let weight = if key.starts_with('t') { "A" } else { "" };
            vector.push(':');
            for (i, p) in list.iter().take(MAX_POSITIONS_PER_LEXEME).enumerate() {
                if i > 0 {
                    vector.push(',');
                }
                let _ = write!(vector, "{p}{weight}");
            }
        }
        vector.push(' ');
    }
    // Positionless lexemes for the document-level fields.
    for word in query::source_key(source).split(' ').filter(|w| !w.is_empty()) {
        quote_into(&mut vector, &format!("s:{word}"));
        vector.push(' ');
    }
    quote_into(&mut vector, &format!("l:{}", language.to_ascii_lowercase()));
    Lexemes { vector, lossy }
}

/// Appends `lexeme` quoted as `tsvector` and `tsquery` input read it.
fn quote_into(out: &mut String, lexeme: &str) {
    out.push('\'');
    for c in lexeme.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// Which documents a condition selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selects {
    /// Every document.
    All,
    /// None.
    Nothing,
    /// Those whose lexemes match this `tsquery` text.
    Matching(String),
}

/// A query compiled for PostgreSQL.
#[derive(Debug, Clone)]
pub struct TextQuery {
    /// The documents with exact positions that may match: exactly those that match,
    /// unless [`TextQuery::approximate`].
    pub strict: Selects,
    /// For a query with phrases, the lossy documents that may match (their phrases as
    /// conjunctions); they are checked on their text.
    pub lossy: Option<Selects>,
    /// Some part is answered only approximately (`NEAR`, mixed phrases, a source name of
    /// several words): every candidate is checked on its text.
    pub approximate: bool,
}

impl TextQuery {
    /// Compiles `expr` as the tantivy index compiles it, over the prefixed lexemes.
    pub fn compile(expr: &Expr) -> TextQuery {
        let strict = Tq::compile(expr, true, false).selects();
        let lossy = has_phrase(expr).then(|| Tq::compile(expr, true, true).selects());
        TextQuery { strict, lossy, approximate: approximate(expr) }
    }
}

/// Whether some phrase of `expr` has more than one syllable.
fn has_phrase(expr: &Expr) -> bool {
    match expr {
        Expr::Phrase(ts) => ts.len() > 1,
        Expr::And(xs) | Expr::Or(xs) => xs.iter().any(has_phrase),
        Expr::Not(x) => has_phrase(x),
        Expr::Near { left, right, .. } => has_phrase(left) || has_phrase(right),
        Expr::Term(_) | Expr::Source(_) | Expr::Lang(_) => false,
    }
}

/// A `tsquery` being built, with constants folded away.
#[derive(Debug, Clone, PartialEq)]
enum Tq {
    True,
    False,
    Lexeme(String),
    /// Consecutive positions (`<->`).
    Followed(Vec<Tq>),
    And(Vec<Tq>),
    Or(Vec<Tq>),
    Not(Box<Tq>),
}

const FIELDS: [char; 2] = ['t', 'b'];

fn fields(scope: Scope) -> impl Iterator<Item = char> {
    FIELDS.into_iter().enumerate().filter(move |(i, _)| scope.admits(*i)).map(|(_, f)| f)
}

impl Tq {
    fn lexeme(field: char, stream: char, text: &str) -> Tq {
        Tq::Lexeme(format!("{field}{stream}:{text}"))
    }

    fn and(parts: Vec<Tq>) -> Tq {
        let mut out = Vec::new();
        for p in parts {
            match p {
                Tq::True => {}
                Tq::False => return Tq::False,
                Tq::And(xs) => out.extend(xs),
                p => out.push(p),
            }
        }
        match out.len() {
            0 => Tq::True,
            1 => out.pop().unwrap_or(Tq::True),
            _ => Tq::And(out),
        }
    }

    fn or(parts: Vec<Tq>) -> Tq {
        let mut out = Vec::new();
        for p in parts {
            match p {
                Tq::False => {}
                Tq::True => return Tq::True,
                Tq::Or(xs) => out.extend(xs),
                p => out.push(p),
            }
        }
        match out.len() {
            0 => Tq::False,
            1 => out.pop().unwrap_or(Tq::False),
            _ => Tq::Or(out),
        }
    }

    fn not(inner: Tq) -> Tq {
        match inner {
            Tq::True => Tq::False,
            Tq::False => Tq::True,
            Tq::Not(x) => *x,
            x => Tq::Not(Box::new(x)),
        }
    }

    /// `expr` as a superset of its matches, mirroring `compile::compile`: parts answered
    /// approximately count as a conjunction where positive and as nothing under a
    /// negation. With `loose`, phrases of several syllables are such parts too (for the
    /// lossy documents, whose positions are incomplete).
    fn compile(expr: &Expr, positive: bool, loose: bool) -> Tq {
        let rough = approximate(expr) || (loose && has_phrase(expr));
        if !positive && rough && !matches!(expr, Expr::And(_) | Expr::Or(_) | Expr::Not(_)) {
            return Tq::False;
        }
        match expr {
            Expr::Term(t) => Tq::or(fields(t.scope).map(|f| term(f, t)).collect()),
            Expr::Phrase(ts) => {
                let scope = ts.first().map_or(Scope::Any, |t| t.scope);
                let positional = !loose;
                Tq::or(fields(scope).map(|f| phrase(f, ts, positional)).collect())
            }
            Expr::And(_) | Expr::Near { .. } => {
                let mut parts = Vec::new();
                conjuncts(expr, positive, &mut parts);
                Tq::and(
                    parts
                        .into_iter()
                        .map(|c| match c {
                            Expr::Not(inner) => Tq::not(Tq::compile(inner, !positive, loose)),
                            other => Tq::compile(other, positive, loose),
                        })
                        .collect(),
                )
            }
            Expr::Or(xs) => Tq::or(xs.iter().map(|x| Tq::compile(x, positive, loose)).collect()),
            Expr::Not(inner) => Tq::not(Tq::compile(inner, !positive, loose)),
            Expr::Source(words) => Tq::and(
                words
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(|w| Tq::Lexeme(format!("s:{w}")))
                    .collect(),
            ),
            Expr::Lang(code) => Tq::Lexeme(format!("l:{}", code.to_ascii_lowercase())),
        }
    }

    fn selects(self) -> Selects {
        match self {
            Tq::True => Selects::All,
            Tq::False => Selects::Nothing,
            other => {
                let mut out = String::new();
                other.render(&mut out);
                Selects::Matching(out)
            }
        }
    }

    fn render(&self, out: &mut String) {
        let list = |out: &mut String, xs: &[Tq], op: &str| {
            out.push('(');
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push_str(op);
                }
                x.render(out);
            }
            out.push(')');
        };
        match self {
            // Folded away before rendering; kept total for safety.
            Tq::True => out.push_str("!''"),
            Tq::False => out.push_str("''"),
            Tq::Lexeme(l) => quote_into(out, l),
            Tq::Followed(xs) => list(out, xs, " <-> "),
            Tq::And(xs) => list(out, xs, " & "),
            Tq::Or(xs) => list(out, xs, " | "),
            Tq::Not(x) => {
                out.push('!');
                x.render(out);
            }
        }
    }
}

/// The distinct parts of a conjunction, as in `compile.rs`.
fn conjuncts<'a>(expr: &'a Expr, positive: bool, out: &mut Vec<&'a Expr>) {
    match expr {
        Expr::And(xs) => xs.iter().for_each(|x| conjuncts(x, positive, out)),
        Expr::Near { left, right, .. } if positive => {
            conjuncts(left, positive, out);
            conjuncts(right, positive, out);
        }
        other => {
            if !out.contains(&other) {
                out.push(other);
            }
        }
    }
}

fn term(field: char, t: &QTerm) -> Tq {
    match kind(t) {
        Kind::Folded => Tq::lexeme(field, 'f', &t.text),
        Kind::Strict => Tq::lexeme(field, 'm', &t.text),
        // The syllable itself, or its bare spelling where the text is typed without
        // diacritics.
        Kind::Tolerant => Tq::or(vec![
            Tq::lexeme(field, 'm', &t.text),
            Tq::lexeme(field, 'b', &vi_text::fold_str(&t.text)),
        ]),
    }
}

/// A phrase in one field, as `compile::phrase_query` reads it; with `positional` false, the
/// conjunction of its syllables.
fn phrase(field: char, ts: &[QTerm], positional: bool) -> Tq {
    let one = |stream: char, fold: bool| {
        let parts: Vec<Tq> = ts
            .iter()
            .map(|t| {
                let text = if fold { vi_text::fold_str(&t.text) } else { t.text.clone() };
                Tq::lexeme(field, stream, &text)
            })
            .collect();
        match (positional, parts.len()) {
            (_, 1) => Tq::and(parts),
            (true, _) => Tq::Followed(parts),
            (false, _) => Tq::and(parts),
        }
    };
    if ts.iter().any(|t| t.folded) {
        return one('f', true);
    }
    if ts.iter().any(|t| t.tolerant) {
        return Tq::or(vec![one('m', false), one('b', true)]);
    }
    one('m', false)
}

/// A stored document's text and names, as the exact check and the highlights read them.
#[derive(Debug, Clone, Copy)]
pub struct StoredText<'a> {
    /// Title, display form.
    pub title: &'a str,
    /// Summary and body, display form.
    pub body: &'a str,
    /// Source name.
    pub source: &'a str,
    /// Language code.
    pub language: &'a str,
}

/// Checks candidates exactly and finds their highlights, as the tantivy index does on its
/// stored text.
pub struct Checker {
    program: Option<(Program, query::Query)>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker").finish_non_exhaustive()
    }
}

/// A title and a body snippet split into highlighted fragments.
pub type Highlighted = (Vec<Fragment>, Vec<Fragment>);

impl Checker {
    /// For `expr`, or for a search without a query (results shown plain).
    pub fn new(expr: Option<&Expr>) -> Checker {
        Checker { program: expr.map(Program::single) }
    }

    /// The work one search may spend evaluating documents: the engine's default with a
    /// deadline, unlimited without.
    pub fn fuel(budget: &Budget) -> Fuel {
        if budget.remaining().is_some() { Fuel::default() } else { Fuel::unlimited() }
    }

    /// The title and snippet of `doc` with what the query matched highlighted; with
    /// `exact`, `None` when the query does not in fact match it. Reads at most
    /// [`MAX_CHECKED_BYTES`] of the body, as the tantivy index does.
    pub fn hit(
        &self,
        doc: &StoredText<'_>,
        fuel: &mut Fuel,
        exact: bool,
    ) -> Result<Option<Highlighted>> {
        let body = &doc.body[..floor_char_boundary(doc.body, MAX_CHECKED_BYTES)];
        let spans = match &self.program {
            Some((program, compiled)) => {
                let (tt, bt) = (vi_text::tokenize(doc.title), vi_text::tokenize(body));
                let (to, bo) = (query::overlays(doc.title, &tt), query::overlays(body, &bt));
                let evaluated = DocIndex::for_program(program, &[(&tt, &to), (&bt, &bo)])
                    .with_meta(doc.source, doc.language)
                    .evaluate_budgeted(program, *compiled, fuel);
                let evaluated = match evaluated {
                    Ok(spans) => spans,
                    Err(_) if !exact => None,
                    Err(_) => return Err(Error::TooCostly),
                };
                if exact && evaluated.is_none() {
                    return Ok(None);
                }
                evaluated.unwrap_or_default()
            }
            None => Vec::new(),
        };
        let ranges = |field: usize| {
            spans.iter().filter(|s| s.field == field).map(|s| (s.start, s.end)).collect::<Vec<_>>()
        };
        Ok(Some((snippet(doc.title, &ranges(0), usize::MAX), snippet(body, &ranges(1), 240))))
    }
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

impl Cursor {
    /// A cursor after the result with this sort key and id (a backend outside this crate
    /// makes its pages' cursors with it).
    pub fn new(sort: Sort, primary: f64, id: i64) -> Cursor {
        Cursor { sort, primary, id }
    }

    /// The sort order it belongs to.
    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// The sort key of the result it follows: score, time in milliseconds or reach.
    pub fn primary(&self) -> f64 {
        self.primary
    }

    /// The id of the result it follows.
    pub fn id(&self) -> i64 {
        self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(q: &str) -> Selects {
        TextQuery::compile(&query::parse(q).unwrap()).strict
    }

    #[test]
    fn lexemes_carry_every_stream_at_the_analyzer_positions() {
        let l = lexemes("Sốt xuất huyết", "bi sot rồi", "Tuổi Trẻ", "VI");
        for want in [
            "'tm:sốt':1A",
            "'tf:sot':1A",
            "'tm:xuất':2A",
            "'bm:bi':1",
            "'bf:sot':2",
            "'s:tuoi'",
            "'s:tre'",
            "'l:vi'",
        ] {
            assert!(l.vector.contains(want), "{want} in {}", l.vector);
        }
        assert!(!l.lossy);
        // An accented title sentence has no bare stream.
        assert!(!l.vector.contains("'tb:"), "{}", l.vector);
    }

    #[test]
    fn long_documents_are_lossy() {
        let body = vec!["sốt"; 300].join(" ");
        let l = lexemes("", &body, "", "vi");
        assert!(l.lossy);
        assert_eq!(l.vector.matches(',').count(), 2 * (MAX_POSITIONS_PER_LEXEME - 1));
    }

    #[test]
    fn a_huge_document_keeps_what_fits_without_positions() {
        // Positions are bounded (later ones all fall on 16383), distinct lexemes are not.
        let body = (100_000..160_000).map(|n| n.to_string()).collect::<Vec<_>>().join(" ");
        let l = lexemes("Tiêu đề", &body, "", "vi");
        assert!(l.lossy);
        assert!(l.vector.len() <= MAX_VECTOR_BYTES, "{}", l.vector.len());
        assert!(l.vector.starts_with("'tm:tiêu' 'tf:tieu' "), "text order, without positions");
        assert!(l.vector.contains("'bm:100000' "));
        assert!(!l.vector.contains("'bm:159999'"), "what does not fit is left out");
    }

    #[test]
    fn quotes_are_escaped() {
        let mut out = String::new();
        quote_into(&mut out, "a'b\\c");
        assert_eq!(out, "'a''b\\\\c'");
    }

    #[test]
    fn queries_compile_like_the_tantivy_ones() {
        assert_eq!(strict("sot"), Selects::Matching("('tf:sot' | 'bf:sot')".into()));
        assert_eq!(
            strict("title:sốt"),
            Selects::Matching("('tm:sốt' | 'tb:sot')".into()),
            "a tolerant term: itself, or bare"
        );
        assert_eq!(
            strict("\"sot xuat\""),
            Selects::Matching("(('tf:sot' <-> 'tf:xuat') | ('bf:sot' <-> 'bf:xuat'))".into())
        );
        // A proximity under a negation excludes nothing, so only the other part selects.
        assert_eq!(strict("cum -(sot NEAR/2 xuat)"), strict("cum"));
        let q = TextQuery::compile(&query::parse("\"sot xuat\" -\"a b\"").unwrap());
        assert!(!q.approximate);
        assert_eq!(
            q.lossy,
            Some(Selects::Matching("(('tf:sot' & 'tf:xuat') | ('bf:sot' & 'bf:xuat'))".into())),
            "loose phrases are conjunctions and exclude nothing"
        );
        assert!(TextQuery::compile(&query::parse("sot NEAR/3 xuat").unwrap()).approximate);
        assert_eq!(strict("title:cum lang:VI"), Selects::Matching("('tf:cum' & 'l:vi')".into()));
    }
}
