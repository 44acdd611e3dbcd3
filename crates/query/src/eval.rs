//! The reference evaluator: runs an expression over the tokens of a document's fields and
//! returns the spans that made it match.

use std::collections::HashMap;

use vi_text::Token;

use crate::{Expr, Term};

/// Where a term matched: a field (by its index in the [`DocIndex`]) and display-form bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Index of the field in the order given to [`DocIndex::new`].
    pub field: usize,
    /// Byte offset in the field's display text.
    pub start: usize,
    /// Byte offset (exclusive) in the field's display text.
    pub end: usize,
    /// The query term or phrase as written.
    pub term: String,
}

/// A document's fields, tokenised, with a lookup from match form and fold form to positions.
/// Built once per document and shared by every query evaluated on it.
#[derive(Debug)]
pub struct DocIndex<'a> {
    fields: Vec<&'a [Token]>,
    by_match: HashMap<&'a str, Vec<(usize, usize)>>,
    by_fold: HashMap<&'a str, Vec<(usize, usize)>>,
}

impl<'a> DocIndex<'a> {
    /// Indexes the given fields (for example title then body).
    pub fn new(fields: Vec<&'a [Token]>) -> DocIndex<'a> {
        let mut by_match: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        let mut by_fold: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        for (f, tokens) in fields.iter().enumerate() {
            for (p, t) in tokens.iter().enumerate() {
                by_match.entry(t.matched.as_str()).or_default().push((f, p));
                by_fold.entry(t.folded.as_str()).or_default().push((f, p));
            }
        }
        DocIndex { fields, by_match, by_fold }
    }

    fn positions(&self, term: &Term) -> &[(usize, usize)] {
        let map = if term.folded { &self.by_fold } else { &self.by_match };
        map.get(term.text.as_str()).map_or(&[], Vec::as_slice)
    }

    fn token_is(&self, field: usize, pos: usize, term: &Term) -> bool {
        self.fields[field].get(pos).is_some_and(|t| {
            if term.folded { t.folded == term.text } else { t.matched == term.text }
        })
    }

    /// Evaluates `expr`; `Some(spans)` when it matches (spans sorted, possibly empty for a
    /// purely negative branch), `None` when it does not.
    pub fn evaluate(&self, expr: &Expr) -> Option<Vec<Span>> {
        let mut spans = self.eval(expr)?;
        spans.sort();
        spans.dedup();
        Some(spans)
    }

    fn eval(&self, expr: &Expr) -> Option<Vec<Span>> {
        match expr {
            Expr::Term(term) => {
                let spans: Vec<Span> = self
                    .positions(term)
                    .iter()
                    .map(|&(f, p)| {
                        let t = &self.fields[f][p];
                        Span { field: f, start: t.start, end: t.end, term: term.original.clone() }
                    })
                    .collect();
                (!spans.is_empty()).then_some(spans)
            }
            Expr::Phrase(terms) => {
                let (first, rest) = terms.split_first()?;
                let label =
                    || terms.iter().map(|t| t.original.as_str()).collect::<Vec<_>>().join(" ");
                let spans: Vec<Span> = self
                    .positions(first)
                    .iter()
                    .filter(|&&(f, p)| {
                        rest.iter().enumerate().all(|(k, t)| self.token_is(f, p + 1 + k, t))
                    })
                    .map(|&(f, p)| Span {
                        field: f,
                        start: self.fields[f][p].start,
                        end: self.fields[f][p + rest.len()].end,
                        term: label(),
                    })
                    .collect();
                (!spans.is_empty()).then_some(spans)
            }
            Expr::And(children) => {
                let mut all = Vec::new();
                for child in children {
                    all.extend(self.eval(child)?);
                }
                Some(all)
            }
            Expr::Or(children) => {
                let mut any = None;
                for child in children {
                    if let Some(spans) = self.eval(child) {
                        any.get_or_insert_with(Vec::new).extend(spans);
                    }
                }
                any
            }
            Expr::Not(child) => match self.eval(child) {
                Some(_) => None,
                None => Some(Vec::new()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn run(q: &str, title: &str, body: &str) -> Option<Vec<String>> {
        let (title, body) = (vi_text::display(title), vi_text::display(body));
        let (tt, bt) = (vi_text::tokenize(&title), vi_text::tokenize(&body));
        let index = DocIndex::new(vec![&tt, &bt]);
        let texts = [&title, &body];
        index
            .evaluate(&parse(q).unwrap())
            .map(|spans| spans.iter().map(|s| texts[s.field][s.start..s.end].to_owned()).collect())
    }

    #[test]
    fn unaccented_terms_match_every_variant() {
        let hit = run("sot xuat huyet", "", "Bệnh Sốt Xuất Huyết tăng");
        assert_eq!(hit.unwrap(), ["Sốt", "Xuất", "Huyết"]);
        assert_eq!(run("sot", "", "sót lại").unwrap(), ["sót"]);
    }

    #[test]
    fn accented_terms_keep_their_accents() {
        assert!(run("sốt", "", "sót lại").is_none());
        assert!(run("=sot", "", "sốt cao").is_none());
        assert_eq!(run("=sot", "", "sot cao").unwrap(), ["sot"]);
    }

    #[test]
    fn phrases_need_consecutive_syllables_in_one_field() {
        assert_eq!(
            run("\"sốt xuất huyết\"", "", "ca sốt xuất huyết mới").unwrap(),
            ["sốt xuất huyết"]
        );
        assert!(run("\"sốt xuất huyết\"", "sốt xuất", "huyết").is_none());
        assert!(run("\"sốt huyết\"", "", "sốt xuất huyết").is_none());
    }

    #[test]
    fn boolean_operators() {
        assert_eq!(run("vắc xin NOT giả", "Vắc xin", "an toàn").unwrap(), ["Vắc", "xin"]);
        assert!(run("vắc xin NOT giả", "Vắc xin giả", "").is_none());
        assert_eq!(
            run("(cúm OR covid) \"tử vong\"", "", "Covid: 3 ca tử vong").unwrap(),
            ["Covid", "tử vong"]
        );
    }
}
