//! Query expressions to tantivy queries over the match and fold fields.

use query::{Expr, Term as QTerm};
use tantivy::Term;
use tantivy::query::{AllQuery, BooleanQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

/// The pair of fields (match form, fold form) a text is indexed under.
#[derive(Clone, Copy)]
pub(crate) struct FieldPair {
    pub(crate) matched: Field,
    pub(crate) folded: Field,
}

pub(crate) fn compile(expr: &Expr, fields: &[FieldPair]) -> Box<dyn Query> {
    match expr {
        Expr::Term(t) => any_field(fields, |f| term_query(f, t)),
        Expr::Phrase(ts) => any_field(fields, |f| phrase_query(f, ts)),
        Expr::And(children) => {
            let clauses = children
                .iter()
                .map(|c| match c {
                    // Negations inside a conjunction exclude directly.
                    Expr::Not(inner) => (Occur::MustNot, compile(inner, fields)),
                    other => (Occur::Must, compile(other, fields)),
                })
                .collect();
            Box::new(BooleanQuery::new(clauses))
        }
        Expr::Or(children) => Box::new(BooleanQuery::new(
            children.iter().map(|c| (Occur::Should, compile(c, fields))).collect(),
        )),
        // Standing alone (for example inside OR), a negation is "everything except".
        Expr::Not(inner) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(AllQuery)),
            (Occur::MustNot, compile(inner, fields)),
        ])),
    }
}

fn any_field(
    fields: &[FieldPair],
    mut one: impl FnMut(&FieldPair) -> Box<dyn Query>,
) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(fields.iter().map(|f| (Occur::Should, one(f))).collect()))
}

fn term_query(f: &FieldPair, t: &QTerm) -> Box<dyn Query> {
    let field = if t.folded { f.folded } else { f.matched };
    Box::new(TermQuery::new(Term::from_field_text(field, &t.text), IndexRecordOption::WithFreqs))
}

fn phrase_query(f: &FieldPair, ts: &[QTerm]) -> Box<dyn Query> {
    // A phrase lives in one field. If any syllable is unaccented the fold field is the only
    // one where every syllable can be found; accented syllables are then compared folded,
    // a superset that the highlighter's exact evaluation narrows down.
    let folded = ts.iter().any(|t| t.folded);
    let terms = ts
        .iter()
        .map(|t| {
            if folded {
                Term::from_field_text(f.folded, &vi_text::fold_str(&t.text))
            } else {
                Term::from_field_text(f.matched, &t.text)
            }
        })
        .collect();
    Box::new(PhraseQuery::new(terms))
}
