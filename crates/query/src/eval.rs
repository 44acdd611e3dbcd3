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

/// An alternative syllable laid over a token position: a teencode expansion (`không` over
/// `ko`), a spelling repair or a joined obfuscation, from the `vi-text` views. It matches
/// like the token under it and highlights that token's display text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlay {
    /// Token position it sits on (a [`Token::position`]).
    pub pos: usize,
    /// Display-form byte range it stands for.
    pub start: usize,
    /// End of that range.
    pub end: usize,
    /// Match form.
    pub matched: String,
    /// Fold form.
    pub folded: String,
}

/// The overlays of a display-form text from its view alternatives. A multi-syllable
/// alternative (`mọi người` for `mn`) lays its syllables over consecutive positions.
pub fn overlays(display: &str, tokens: &[Token]) -> Vec<Overlay> {
    let mut out = Vec::new();
    for alt in vi_text::expansions(display, tokens)
        .into_iter()
        .chain(vi_text::deobfuscations(display, tokens))
    {
        let Some(first) = tokens.get(alt.token) else { continue };
        for (j, syllable) in alt.text.split(' ').filter(|s| !s.is_empty()).enumerate() {
            out.push(Overlay {
                pos: first.position + j,
                start: alt.start,
                end: alt.end,
                matched: syllable.to_owned(),
                folded: vi_text::fold_str(syllable),
            });
        }
    }
    out
}

/// One place a form occurs: a field, a token position and the display bytes it covers.
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    field: usize,
    pos: usize,
    start: usize,
    end: usize,
}

/// A document's fields, tokenised, with a lookup from match form and fold form to positions.
/// Built once per document and shared by every query evaluated on it.
#[derive(Debug)]
pub struct DocIndex<'a> {
    by_match: HashMap<&'a str, Vec<Occurrence>>,
    by_fold: HashMap<&'a str, Vec<Occurrence>>,
}

impl<'a> DocIndex<'a> {
    /// Indexes the given fields (for example title then body).
    pub fn new(fields: Vec<&'a [Token]>) -> DocIndex<'a> {
        DocIndex::with_overlays(fields, Vec::new())
    }

    /// Indexes the given fields with the overlays of each (same order; missing ones are
    /// empty), so alternatives match where their tokens are.
    pub fn with_overlays(fields: Vec<&'a [Token]>, overlays: Vec<&'a [Overlay]>) -> DocIndex<'a> {
        let mut by_match: HashMap<&str, Vec<Occurrence>> = HashMap::new();
        let mut by_fold: HashMap<&str, Vec<Occurrence>> = HashMap::new();
        for (field, tokens) in fields.iter().enumerate() {
            for t in tokens.iter() {
                let occ = Occurrence { field, pos: t.position, start: t.start, end: t.end };
                by_match.entry(t.matched.as_str()).or_default().push(occ);
                by_fold.entry(t.folded.as_str()).or_default().push(occ);
            }
        }
        for (field, list) in overlays.iter().enumerate() {
            for o in list.iter() {
                let occ = Occurrence { field, pos: o.pos, start: o.start, end: o.end };
                by_match.entry(o.matched.as_str()).or_default().push(occ);
                by_fold.entry(o.folded.as_str()).or_default().push(occ);
            }
        }
        DocIndex { by_match, by_fold }
    }

    fn occurrences(&self, term: &Term) -> &[Occurrence] {
        let map = if term.folded { &self.by_fold } else { &self.by_match };
        map.get(term.text.as_str()).map_or(&[], Vec::as_slice)
    }

    /// Where `term` occurs at `pos` of `field`: the end of its display range.
    fn at(&self, field: usize, pos: usize, term: &Term) -> Option<usize> {
        self.occurrences(term).iter().find(|o| o.field == field && o.pos == pos).map(|o| o.end)
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
                    .occurrences(term)
                    .iter()
                    .map(|o| Span {
                        field: o.field,
                        start: o.start,
                        end: o.end,
                        term: term.original.clone(),
                    })
                    .collect();
                (!spans.is_empty()).then_some(spans)
            }
            Expr::Phrase(terms) => {
                let (first, rest) = terms.split_first()?;
                let label =
                    || terms.iter().map(|t| t.original.as_str()).collect::<Vec<_>>().join(" ");
                let spans: Vec<Span> = self
                    .occurrences(first)
                    .iter()
                    .filter_map(|o| {
                        let mut end = o.end;
                        for (k, t) in rest.iter().enumerate() {
                            end = end.max(self.at(o.field, o.pos + 1 + k, t)?);
                        }
                        Some(Span { field: o.field, start: o.start, end, term: label() })
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
    fn overlays_match_where_their_tokens_are() {
        let body = vi_text::display("mn ơi bs nói ko dc uống thuốc này");
        let tokens = vi_text::tokenize(&body);
        let over = overlays(&body, &tokens);
        let index = DocIndex::with_overlays(vec![&[], &tokens], vec![&[], &over]);
        let hit = |q: &str| {
            index.evaluate(&parse(q).unwrap()).map(|spans| {
                let mut v: Vec<String> =
                    spans.iter().map(|s| body[s.start..s.end].to_owned()).collect();
                v.dedup();
                v
            })
        };
        assert_eq!(hit("\"không được\"").unwrap(), ["ko dc"]);
        assert_eq!(hit("\"khong duoc uong\"").unwrap(), ["ko dc uống"]);
        assert_eq!(hit("\"mọi người\"").unwrap(), ["mn"]);
        assert_eq!(hit("bác sĩ").unwrap(), ["bs"]);
        assert!(DocIndex::new(vec![&tokens]).evaluate(&parse("không").unwrap()).is_none());
    }

    #[test]
    fn phrases_do_not_cross_sentences() {
        assert!(run("\"sốt xuất huyết\"", "", "Bé bị sốt. Xuất huyết dạ dày").is_none());
        assert!(run("sốt xuất huyết", "", "Bé bị sốt. Xuất huyết dạ dày").is_some());
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
