//! Query expressions to tantivy queries over the match, fold and bare fields.

use query::{Expr, Scope, Term as QTerm};
use tantivy::Term;
use tantivy::query::{AllQuery, BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

/// The fields a text is indexed under: match form, fold form, and the fold form of its
/// sentences typed without diacritics.
#[derive(Clone, Copy)]
pub(crate) struct FieldPair {
    pub(crate) matched: Field,
    pub(crate) folded: Field,
    pub(crate) bare: Field,
}

/// How a term compares ([`QTerm::folded`], [`QTerm::tolerant`], or neither: strict).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Folded,
    Tolerant,
    Strict,
}

pub(crate) fn kind(t: &QTerm) -> Kind {
    if t.folded {
        Kind::Folded
    } else if t.tolerant {
        Kind::Tolerant
    } else {
        Kind::Strict
    }
}

/// The document-level fields `source:` and `lang:` search.
#[derive(Clone, Copy)]
pub(crate) struct MetaFields {
    /// One untokenised term per fold-form word of the source name.
    pub(crate) source_words: Field,
    /// The language code.
    pub(crate) lang: Field,
}

/// Whether the index answers some part of `expr` only approximately, so every candidate
/// must be re-checked by exact evaluation: proximity, a source name of several words, or a
/// phrase mixing terms that compare differently (written with and without diacritics, or
/// strict and accent-tolerant), which no one field holds in sequence.
pub(crate) fn approximate(expr: &Expr) -> bool {
    match expr {
        Expr::Near { .. } => true,
        Expr::Source(words) => words.contains(' '),
        Expr::Phrase(ts) => ts.iter().any(|t| kind(t) != kind(&ts[0])),
        Expr::And(xs) | Expr::Or(xs) => xs.iter().any(approximate),
        Expr::Not(x) => approximate(x),
        Expr::Term(_) | Expr::Lang(_) => false,
    }
}

/// Compiles `expr` over `fields` (title then body) into a superset of its matches. Parts the
/// index answers only approximately ([`approximate`]) compile to a superset where they count
/// positively (`NEAR` to the conjunction of its sides) and to nothing under a negation, so
/// the exact re-check of each candidate gives the true answer.
pub(crate) fn compile(expr: &Expr, fields: &[FieldPair], meta: &MetaFields) -> Box<dyn Query> {
    compile_with(expr, fields, meta, true)
}

fn compile_with(
    expr: &Expr,
    fields: &[FieldPair],
    meta: &MetaFields,
    positive: bool,
) -> Box<dyn Query> {
    if !positive && approximate(expr) && !matches!(expr, Expr::And(_) | Expr::Or(_) | Expr::Not(_))
    {
        return Box::new(EmptyQuery);
    }
    let compile =
        |e: &Expr, _: &[FieldPair], _: &MetaFields| compile_with(e, fields, meta, positive);
    let negated = |e: &Expr| compile_with(e, fields, meta, !positive);
    match expr {
        Expr::Term(t) => any_field(fields, t.scope, |f| term_query(f, t)),
        Expr::Phrase(ts) => {
            let scope = ts.first().map_or(Scope::Any, |t| t.scope);
            any_field(fields, scope, |f| phrase_query(f, ts))
        }
        // Nested conjunctions (and proximity, which counts as one here) become one flat
        // conjunction of distinct parts: tantivy intersects a flat list in time linear in
        // its postings, while intersections nested thirty deep seek each other over and
        // over, outside any budget.
        Expr::And(_) | Expr::Near { .. } => {
            let mut parts = Vec::new();
            conjuncts(expr, positive, &mut parts);
            let clauses = parts
                .into_iter()
                .map(|c| match c {
                    // Negations inside a conjunction exclude directly.
                    Expr::Not(inner) => (Occur::MustNot, negated(inner)),
                    other => (Occur::Must, compile(other, fields, meta)),
                })
                .collect();
            Box::new(BooleanQuery::new(clauses))
        }
        Expr::Or(_) => {
            let mut parts = Vec::new();
            disjuncts(expr, &mut parts);
            Box::new(BooleanQuery::new(
                parts.into_iter().map(|c| (Occur::Should, compile(c, fields, meta))).collect(),
            ))
        }
        // Standing alone (for example inside OR), a negation is "everything except".
        Expr::Not(inner) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(AllQuery)),
            (Occur::MustNot, negated(inner)),
        ])),
        Expr::Source(words) => {
            let terms: Vec<Term> =
                words.split(' ').map(|w| Term::from_field_text(meta.source_words, w)).collect();
            // Source words are separate values of one field, so "all of them" stands in for
            // the phrase; the exact evaluation of each hit checks the order.
            Box::new(BooleanQuery::new(
                terms
                    .into_iter()
                    .map(|t| {
                        let q: Box<dyn Query> =
                            Box::new(TermQuery::new(t, IndexRecordOption::Basic));
                        (Occur::Must, q)
                    })
                    .collect(),
            ))
        }
        Expr::Lang(code) => Box::new(TermQuery::new(
            Term::from_field_text(meta.lang, code),
            IndexRecordOption::Basic,
        )),
    }
}

/// The distinct parts of a conjunction, nested conjunctions flattened; in a positive
/// context a `NEAR` is the conjunction of its sides.
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

/// The distinct alternatives of a disjunction, nested disjunctions flattened.
fn disjuncts<'a>(expr: &'a Expr, out: &mut Vec<&'a Expr>) {
    match expr {
        Expr::Or(xs) => xs.iter().for_each(|x| disjuncts(x, out)),
        other => {
            if !out.contains(&other) {
                out.push(other);
            }
        }
    }
}

fn any_field(
    fields: &[FieldPair],
    scope: Scope,
    mut one: impl FnMut(&FieldPair) -> Box<dyn Query>,
) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        fields
            .iter()
            .enumerate()
            .filter(|(i, _)| scope.admits(*i))
            .map(|(_, f)| (Occur::Should, one(f)))
            .collect(),
    ))
}

fn term_query(f: &FieldPair, t: &QTerm) -> Box<dyn Query> {
    let one = |field: Field, text: &str| -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
    };
    match kind(t) {
        Kind::Folded => one(f.folded, &t.text),
        Kind::Strict => one(f.matched, &t.text),
        // The syllable itself, or its bare spelling where the text is typed without
        // diacritics.
        Kind::Tolerant => Box::new(BooleanQuery::new(vec![
            (Occur::Should, one(f.matched, &t.text)),
            (Occur::Should, one(f.bare, &vi_text::fold_str(&t.text))),
        ])),
    }
}

fn phrase_query(f: &FieldPair, ts: &[QTerm]) -> Box<dyn Query> {
    let phrase = |field: Field, fold: bool| -> Box<dyn Query> {
        let terms = ts
            .iter()
            .map(|t| {
                if fold {
                    Term::from_field_text(field, &vi_text::fold_str(&t.text))
                } else {
                    Term::from_field_text(field, &t.text)
                }
            })
            .collect();
        Box::new(PhraseQuery::new(terms))
    };
    // A phrase lives in one field. If any syllable is unaccented the fold field is the only
    // one where every syllable can be found; accented syllables are then compared folded,
    // a superset that the highlighter's exact evaluation narrows down.
    if ts.iter().any(|t| t.folded) {
        return phrase(f.folded, true);
    }
    // A phrase never spans two sentences, so an accent-tolerant one is either in an
    // accented sentence, exactly, or in one typed without diacritics, bare.
    if ts.iter().any(|t| t.tolerant) {
        return Box::new(BooleanQuery::new(vec![
            (Occur::Should, phrase(f.matched, false)),
            (Occur::Should, phrase(f.bare, true)),
        ]));
    }
    phrase(f.matched, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{STRING, Schema, TEXT};

    fn compiled(q: &str) -> Box<dyn Query> {
        let mut schema = Schema::builder();
        let (tm, tf) = (schema.add_text_field("tm", TEXT), schema.add_text_field("tf", TEXT));
        let (bm, bf) = (schema.add_text_field("bm", TEXT), schema.add_text_field("bf", TEXT));
        let meta = MetaFields {
            source_words: schema.add_text_field("s", STRING),
            lang: schema.add_text_field("l", STRING),
        };
        let (tb, bb) = (schema.add_text_field("tb", TEXT), schema.add_text_field("bb", TEXT));
        let fields = [
            FieldPair { matched: tm, folded: tf, bare: tb },
            FieldPair { matched: bm, folded: bf, bare: bb },
        ];
        compile(&query::parse(q).unwrap(), &fields, &meta)
    }

    /// Boolean clauses below the top, counting nested boolean queries as levels.
    fn depth(q: &dyn Query) -> usize {
        q.downcast_ref::<BooleanQuery>().map_or(0, |b| {
            1 + b.clauses().iter().map(|(_, c)| depth(c.as_ref())).max().unwrap_or(0)
        })
    }

    #[test]
    fn chains_and_nests_of_proximity_compile_flat() {
        let chain = vec!["ung"; 31].join(" NEAR/1000 ");
        let q = compiled(&chain);
        let top = q.downcast_ref::<BooleanQuery>().unwrap();
        assert_eq!(top.clauses().len(), 1, "thirty copies of one term are one clause");
        // The conjunction, then the term's two fields.
        assert_eq!(depth(q.as_ref()), 2);

        let mut nested = "ung".to_owned();
        for _ in 0..14 {
            nested = format!("(sot NEAR/5 {nested})");
        }
        assert_eq!(depth(compiled(&nested).as_ref()), 2);
        let mut flat = String::from("sot");
        for _ in 0..20 {
            flat.push_str(" NEAR/1000 (sot OR xuat OR huyet)");
        }
        let q = compiled(&flat);
        assert_eq!(q.downcast_ref::<BooleanQuery>().unwrap().clauses().len(), 2);
        assert_eq!(depth(q.as_ref()), 3, "conjunction, union, fields");
        assert_eq!(depth(compiled("(a OR (b OR (c OR d)))").as_ref()), 2);
    }
}
