//! The parsed form of a query.

/// One syllable to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The syllable in match form (lowercase NFC).
    pub text: String,
    /// Compare against the fold form of the document: the term had no diacritic.
    pub folded: bool,
    /// The syllable as written in the query, for explanations.
    pub original: String,
}

impl Term {
    /// Builds a term from one match-form syllable. `exact` forbids folding even when the
    /// syllable has no diacritic.
    pub fn new(matched: &str, original: &str, exact: bool) -> Term {
        Term {
            text: matched.to_owned(),
            folded: !exact && vi_text::is_folded(matched),
            original: original.to_owned(),
        }
    }
}

/// A query expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A single syllable.
    Term(Term),
    /// Consecutive syllables in one field.
    Phrase(Vec<Term>),
    /// Every child matches.
    And(Vec<Expr>),
    /// At least one child matches.
    Or(Vec<Expr>),
    /// The child does not match.
    Not(Box<Expr>),
}

impl Expr {
    /// Every term that can contribute to a match (terms under `NOT` excluded).
    pub fn positive_terms(&self) -> Vec<&Term> {
        let mut out = Vec::new();
        self.collect_positive(&mut out);
        out
    }

    fn collect_positive<'a>(&'a self, out: &mut Vec<&'a Term>) {
        match self {
            Expr::Term(t) => out.push(t),
            Expr::Phrase(ts) => out.extend(ts),
            Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| x.collect_positive(out)),
            Expr::Not(_) => {}
        }
    }

    /// Whether the expression can match at all without some positive term: a query made
    /// only of negations would match nearly every document.
    pub fn has_positive(&self) -> bool {
        match self {
            Expr::Term(_) | Expr::Phrase(_) => true,
            Expr::And(xs) => xs.iter().any(Expr::has_positive),
            Expr::Or(xs) => xs.iter().all(Expr::has_positive),
            Expr::Not(_) => false,
        }
    }
}
