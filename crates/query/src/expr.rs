//! The parsed form of a query.

/// Which text field a term is looked for in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// Title or body.
    #[default]
    Any,
    /// Only the title (field 0 of a [`crate::DocIndex`]).
    Title,
    /// Only the body (field 1 of a [`crate::DocIndex`]).
    Body,
}

impl Scope {
    /// Whether the field with this index (0 title, 1 body) is in scope.
    pub fn admits(self, field: usize) -> bool {
        match self {
            Scope::Any => true,
            Scope::Title => field == 0,
            Scope::Body => field == 1,
        }
    }
}

/// One syllable to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The syllable in match form (lowercase NFC).
    pub text: String,
    /// Compare against the fold form of the document: the term had no diacritic.
    pub folded: bool,
    /// Written with diacritics and without `=`: besides the syllable itself, it matches its
    /// fold form where the document is typed without diacritics (an occurrence in an
    /// unaccented sentence, [`vi_text::unaccented`]), so `sốt` finds the `sot` of "bi sot
    /// xuat huyet" but never the `sót` of accented text.
    pub tolerant: bool,
    /// The syllable as written in the query, for explanations.
    pub original: String,
    /// The field it must occur in.
    pub scope: Scope,
}

impl Term {
    /// Builds a term from one match-form syllable. `exact` forbids folding even when the
    /// syllable has no diacritic, and tolerance when it has some.
    pub fn new(matched: &str, original: &str, exact: bool) -> Term {
        let folded = vi_text::is_folded(matched);
        Term {
            text: matched.to_owned(),
            folded: !exact && folded,
            tolerant: !exact && !folded,
            original: original.to_owned(),
            scope: Scope::Any,
        }
    }
}

/// A query expression. Its methods, [`crate::Program::compile`] and everything else that
/// walks it recurse: [`crate::parse`] builds none deeper than `2 * MAX_DEPTH + 4` levels
/// ([`crate::MAX_DEPTH`]), and code that builds one by hand must keep to that too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A single syllable.
    Term(Term),
    /// Consecutive syllables in one field and one sentence.
    Phrase(Vec<Term>),
    /// Every child matches.
    And(Vec<Expr>),
    /// At least one child matches.
    Or(Vec<Expr>),
    /// The child does not match.
    Not(Box<Expr>),
    /// Both sides match in the same field with at most `distance` syllables between them;
    /// `ordered` requires the left side first. Sides are terms, phrases, OR-groups of them
    /// or other proximity expressions.
    Near {
        /// Left side.
        left: Box<Expr>,
        /// Right side.
        right: Box<Expr>,
        /// Most syllables allowed between the two sides.
        distance: usize,
        /// Whether the left side must come first.
        ordered: bool,
    },
    /// The document comes from a source whose name contains these words (fold form,
    /// space-separated), or whose name is exactly this.
    Source(String),
    /// The document's language code is this (`vi`, `en`, `und` …).
    Lang(String),
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
            Expr::Near { left, right, .. } => {
                left.collect_positive(out);
                right.collect_positive(out);
            }
            Expr::Not(_) | Expr::Source(_) | Expr::Lang(_) => {}
        }
    }

    /// Whether the expression can match at all without some positive term: a query made
    /// only of negations (or only of `source:` and `lang:` filters) would match nearly every
    /// document.
    pub fn has_positive(&self) -> bool {
        match self {
            Expr::Term(_) | Expr::Phrase(_) | Expr::Near { .. } => true,
            Expr::And(xs) => xs.iter().any(Expr::has_positive),
            Expr::Or(xs) => xs.iter().all(Expr::has_positive),
            Expr::Not(_) | Expr::Source(_) | Expr::Lang(_) => false,
        }
    }

    /// Whether the expression can be a side of `NEAR`: it yields positioned matches.
    pub fn is_positional(&self) -> bool {
        match self {
            Expr::Term(_) | Expr::Phrase(_) | Expr::Near { .. } => true,
            Expr::Or(xs) => xs.iter().all(Expr::is_positional),
            Expr::And(_) | Expr::Not(_) | Expr::Source(_) | Expr::Lang(_) => false,
        }
    }

    /// Whether any part needs positions beyond what a term index answers (proximity).
    pub fn has_near(&self) -> bool {
        match self {
            Expr::Near { .. } => true,
            Expr::And(xs) | Expr::Or(xs) => xs.iter().any(Expr::has_near),
            Expr::Not(x) => x.has_near(),
            Expr::Term(_) | Expr::Phrase(_) | Expr::Source(_) | Expr::Lang(_) => false,
        }
    }
}
