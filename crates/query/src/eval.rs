//! The reference evaluator: runs an expression over the tokens of a document's fields and
//! returns the spans that made it match.
//!
//! Positions form a graph: token `t` runs from node `t.position` to node `t.position + 1`,
//! and an alternative from the views (`mọi người` for `mn`) runs from its first token's
//! start node to its last token's end node through nodes of its own, so a phrase can follow
//! either path but never mixes a half of one with the other.

use vi_text::Token;

use crate::hash::{KeyFilter, KeyMap, key};
use crate::{Expr, Term};

/// Where a term matched: a field (by its index in the [`DocIndex`]) and display-form bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Index of the field in the order given to [`DocIndex::new`] (0 title, 1 body).
    pub field: usize,
    /// Byte offset in the field's display text.
    pub start: usize,
    /// Byte offset (exclusive) in the field's display text.
    pub end: usize,
    /// The query term or phrase as written.
    pub term: String,
}

/// An alternative syllable laid over the token graph: a teencode expansion (`không` over
/// `ko`), a spelling repair or a joined obfuscation, from the `vi-text` views. It matches
/// like a token and highlights the display text of the tokens it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlay {
    /// Graph node it starts at.
    pub from: usize,
    /// Graph node it ends at.
    pub to: usize,
    /// Index of the first token it stands for, the syllable count `NEAR` uses.
    pub ord: usize,
    /// Display-form byte range it stands for.
    pub start: usize,
    /// End of that range.
    pub end: usize,
    /// Match form.
    pub matched: String,
    /// Fold form.
    pub folded: String,
}

impl Overlay {
    /// Whether it starts where a token starts (the first syllable of its alternative), not
    /// inside a multi-syllable alternative.
    pub fn starts_at_token(&self) -> bool {
        self.from < INNER_NODES
    }
}

/// Nodes inside multi-syllable alternatives are numbered from here, far above any token
/// position, so they never meet a token's node.
const INNER_NODES: usize = usize::MAX / 2;

/// The overlays of a display-form text from its view alternatives.
pub fn overlays(display: &str, tokens: &[Token]) -> Vec<Overlay> {
    let mut out = Vec::new();
    let mut inner = INNER_NODES;
    for alt in vi_text::expansions(display, tokens)
        .into_iter()
        .chain(vi_text::deobfuscations(display, tokens))
    {
        let (Some(first), Some(last)) =
            (tokens.get(alt.token), tokens.get(alt.token + alt.len.max(1) - 1))
        else {
            continue;
        };
        let syllables: Vec<&str> = alt.text.split(' ').filter(|s| !s.is_empty()).collect();
        let mut from = first.position;
        for (j, syllable) in syllables.iter().enumerate() {
            let to = if j + 1 == syllables.len() {
                last.position + 1
            } else {
                inner += 1;
                inner
            };
            out.push(Overlay {
                from,
                to,
                ord: alt.token,
                start: alt.start,
                end: alt.end,
                matched: (*syllable).to_owned(),
                folded: vi_text::fold_str(syllable),
            });
            from = to;
        }
    }
    out
}

/// One place a form occurs: a field, its graph edge, its syllable ordinal and the display
/// bytes it covers.
#[derive(Debug, Clone, Copy)]
struct Occurrence<'a> {
    field: usize,
    from: usize,
    to: usize,
    ord: usize,
    start: usize,
    end: usize,
    matched: &'a str,
    folded: &'a str,
}

/// The [`key`]s of a token's match form and fold form, and whether it directly follows
/// the token before it (no sentence break between), as a phrase needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenKeys {
    /// Key of the match form.
    pub matched: u64,
    /// Key of the fold form.
    pub folded: u64,
    /// The previous token's position is this one's minus one.
    pub follows: bool,
}

impl TokenKeys {
    /// The keys of every token, in order.
    pub fn of(tokens: &[Token]) -> Vec<TokenKeys> {
        let mut prev: Option<usize> = None;
        tokens
            .iter()
            .map(|t| {
                let follows = prev.is_some_and(|p| p + 1 == t.position);
                prev = Some(t.position);
                TokenKeys { matched: key(&t.matched), folded: key(&t.folded), follows }
            })
            .collect()
    }
}

const END: u32 = u32::MAX;

/// A match of a positional expression, for proximity: its field, the syllables it spans and
/// the spans to highlight.
struct Interval {
    field: usize,
    lo: usize,
    hi: usize,
    spans: Vec<Span>,
}

/// A document's fields, tokenised, with a lookup from match form and fold form to
/// occurrences, plus the document's source and language for `source:` and `lang:`. Built
/// once per document and shared by every query evaluated on it.
#[derive(Debug)]
pub struct DocIndex<'a> {
    occ: Vec<Occurrence<'a>>,
    // Each key leads to a chain of occurrences through `next_*`: one allocation for the
    // whole document instead of one per distinct syllable. Keys are computed when the
    // document is analysed; syllables that share one share a chain, and lookups compare
    // the text.
    by_match: KeyMap<u64, u32>,
    by_fold: KeyMap<u64, u32>,
    next_match: Vec<u32>,
    next_fold: Vec<u32>,
    source: String,
    lang: String,
}

impl<'a> DocIndex<'a> {
    /// Indexes the given fields (title then body).
    pub fn new(fields: Vec<&'a [Token]>) -> DocIndex<'a> {
        DocIndex::with_overlays(fields, Vec::new())
    }

    /// Indexes the given fields with the overlays of each (same order; missing ones are
    /// empty), so alternatives match where their tokens are.
    pub fn with_overlays(fields: Vec<&'a [Token]>, overlays: Vec<&'a [Overlay]>) -> DocIndex<'a> {
        let keys: Vec<Vec<TokenKeys>> = fields.iter().map(|f| TokenKeys::of(f)).collect();
        let keys: Vec<&[TokenKeys]> = keys.iter().map(Vec::as_slice).collect();
        DocIndex::with_keys(fields, &keys, overlays, None)
    }

    /// As [`DocIndex::with_overlays`], with the tokens' keys already computed (one slice per
    /// field, as long as its tokens). With `wanted`, a token form is indexed only when the
    /// filter may contain its key: the filter must hold the key of every term (match form,
    /// or fold form for folded terms) of every expression evaluated on the index.
    pub fn with_keys(
        fields: Vec<&'a [Token]>,
        keys: &[&[TokenKeys]],
        overlays: Vec<&'a [Overlay]>,
        wanted: Option<&KeyFilter>,
    ) -> DocIndex<'a> {
        let mut total = fields.iter().map(|f| f.len()).sum::<usize>()
            + overlays.iter().map(|o| o.len()).sum::<usize>();
        if wanted.is_some() {
            // Few tokens pass the filter: start small rather than clear room for all.
            total = total.min(64);
        }
        let mut index = DocIndex {
            occ: Vec::with_capacity(total),
            by_match: KeyMap::with_capacity_and_hasher(total, Default::default()),
            by_fold: KeyMap::with_capacity_and_hasher(total, Default::default()),
            next_match: Vec::with_capacity(total),
            next_fold: Vec::with_capacity(total),
            source: String::new(),
            lang: String::new(),
        };
        // Pushed in reverse so that every chain lists its occurrences in document order.
        for (field, list) in overlays.iter().enumerate().rev() {
            for o in list.iter().rev() {
                let occ = Occurrence {
                    field,
                    from: o.from,
                    to: o.to,
                    ord: o.ord,
                    start: o.start,
                    end: o.end,
                    matched: &o.matched,
                    folded: &o.folded,
                };
                let k =
                    TokenKeys { matched: key(&o.matched), folded: key(&o.folded), follows: false };
                index.push(occ, k);
            }
        }
        for (field, tokens) in fields.iter().enumerate().rev() {
            let keys = keys.get(field).copied().unwrap_or_default();
            for (ord, t) in tokens.iter().enumerate().rev() {
                let occ = Occurrence {
                    field,
                    from: t.position,
                    to: t.position + 1,
                    ord,
                    start: t.start,
                    end: t.end,
                    matched: &t.matched,
                    folded: &t.folded,
                };
                let k = keys.get(ord).copied().unwrap_or_else(|| TokenKeys {
                    matched: key(&t.matched),
                    folded: key(&t.folded),
                    follows: false,
                });
                match wanted {
                    None => index.push(occ, k),
                    Some(f) => {
                        let (m, fo) = (f.may_contain(k.matched), f.may_contain(k.folded));
                        if m || fo {
                            index.push_some(occ, k, m, fo);
                        }
                    }
                }
            }
        }
        index
    }

    fn push(&mut self, occ: Occurrence<'a>, keys: TokenKeys) {
        self.push_some(occ, keys, true, true);
    }

    /// Indexes an occurrence under its match form, its fold form, or both.
    fn push_some(&mut self, occ: Occurrence<'a>, keys: TokenKeys, matched: bool, folded: bool) {
        let id = u32::try_from(self.occ.len()).unwrap_or(END);
        if id == END {
            return;
        }
        self.occ.push(occ);
        let link = |map: &mut KeyMap<u64, u32>, k: u64, on: bool| {
            if on { std::mem::replace(map.entry(k).or_insert(END), id) } else { END }
        };
        let next = link(&mut self.by_match, keys.matched, matched);
        self.next_match.push(next);
        let next = link(&mut self.by_fold, keys.folded, folded);
        self.next_fold.push(next);
    }

    /// Sets the document's source name and language code, for `source:` and `lang:`.
    pub fn with_meta(mut self, source: &str, lang: &str) -> DocIndex<'a> {
        self.source = source_key(source);
        self.lang = lang.to_ascii_lowercase();
        self
    }

    fn occurrences<'s>(&'s self, term: &'s Term) -> impl Iterator<Item = Occurrence<'a>> + 's {
        let (map, next) = if term.folded {
            (&self.by_fold, &self.next_fold)
        } else {
            (&self.by_match, &self.next_match)
        };
        let mut at = map.get(&key(&term.text)).copied().unwrap_or(END);
        std::iter::from_fn(move || {
            while at != END {
                let i = at as usize;
                at = next[i];
                let o = self.occ[i];
                let text = if term.folded { o.folded } else { o.matched };
                if term.scope.admits(o.field) && text == term.text {
                    return Some(o);
                }
            }
            None
        })
    }

    /// Whether any occurrence of `term` is in scope (cheaper than collecting them).
    fn occurs(&self, term: &Term) -> bool {
        self.occurrences(term).next().is_some()
    }

    /// Evaluates `expr`; `Some(spans)` when it matches (spans sorted, possibly empty for a
    /// purely negative branch), `None` when it does not.
    pub fn evaluate(&self, expr: &Expr) -> Option<Vec<Span>> {
        let mut spans = self.eval(expr)?;
        spans.sort();
        spans.dedup();
        Some(spans)
    }

    /// Whether `expr` matches, without collecting spans.
    pub fn matches(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Term(t) => self.occurs(t),
            Expr::Phrase(ts) => !self.phrases(ts).is_empty(),
            Expr::And(xs) => xs.iter().all(|x| self.matches(x)),
            Expr::Or(xs) => xs.iter().any(|x| self.matches(x)),
            Expr::Not(x) => !self.matches(x),
            Expr::Near { .. } => !self.intervals(expr).is_empty(),
            Expr::Source(s) => self.source_is(s),
            Expr::Lang(l) => self.lang == *l,
        }
    }

    fn source_is(&self, wanted: &str) -> bool {
        // Whole words only: `source:tre` must not match "tuoi tre" by a letter run.
        self.source == wanted || format!(" {} ", self.source).contains(&format!(" {wanted} "))
    }

    fn eval(&self, expr: &Expr) -> Option<Vec<Span>> {
        match expr {
            Expr::Term(term) => {
                let spans: Vec<Span> = self
                    .occurrences(term)
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
                let spans: Vec<Span> =
                    self.phrases(terms).into_iter().flat_map(|i| i.spans).collect();
                (!spans.is_empty()).then_some(spans)
            }
            Expr::Near { .. } => {
                let spans: Vec<Span> =
                    self.intervals(expr).into_iter().flat_map(|i| i.spans).collect();
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
            Expr::Not(child) => (!self.matches(child)).then(Vec::new),
            Expr::Source(s) => self.source_is(s).then(Vec::new),
            Expr::Lang(l) => (self.lang == *l).then(Vec::new),
        }
    }

    /// Every path through the token graph that spells `terms`, as intervals.
    fn phrases(&self, terms: &[Term]) -> Vec<Interval> {
        let Some((first, rest)) = terms.split_first() else { return Vec::new() };
        let label = || terms.iter().map(|t| t.original.as_str()).collect::<Vec<_>>().join(" ");
        let mut out = Vec::new();
        for o in self.occurrences(first) {
            // Paths can branch where alternatives overlap; follow each.
            let mut paths = vec![(o, o.end, o.ord)];
            for t in rest {
                let mut next = Vec::new();
                for (head, end, hi) in paths {
                    for p in self.occurrences(t) {
                        if p.field == head.field && p.from == head.to {
                            next.push((p, end.max(p.end), hi.max(p.ord)));
                        }
                    }
                }
                paths = next;
                if paths.is_empty() {
                    break;
                }
            }
            for (_, end, hi) in paths {
                out.push(Interval {
                    field: o.field,
                    lo: o.ord,
                    hi,
                    spans: vec![Span { field: o.field, start: o.start, end, term: label() }],
                });
            }
        }
        out
    }

    /// The positioned matches of a term, phrase, OR-group or proximity expression.
    fn intervals(&self, expr: &Expr) -> Vec<Interval> {
        match expr {
            Expr::Term(t) => self
                .occurrences(t)
                .map(|o| Interval {
                    field: o.field,
                    lo: o.ord,
                    hi: o.ord,
                    spans: vec![Span {
                        field: o.field,
                        start: o.start,
                        end: o.end,
                        term: t.original.clone(),
                    }],
                })
                .collect(),
            Expr::Phrase(ts) => self.phrases(ts),
            Expr::Or(xs) => xs.iter().flat_map(|x| self.intervals(x)).collect(),
            Expr::Near { left, right, distance, ordered } => {
                let (left, right) = (self.intervals(left), self.intervals(right));
                let mut out = Vec::new();
                for a in &left {
                    for b in right.iter().filter(|b| b.field == a.field) {
                        let gap = if a.hi < b.lo {
                            b.lo - a.hi - 1
                        } else if *ordered {
                            continue;
                        } else if b.hi < a.lo {
                            a.lo - b.hi - 1
                        } else {
                            0
                        };
                        if gap <= *distance {
                            let mut spans = a.spans.clone();
                            spans.extend(b.spans.iter().cloned());
                            out.push(Interval {
                                field: a.field,
                                lo: a.lo.min(b.lo),
                                hi: a.hi.max(b.hi),
                                spans,
                            });
                        }
                    }
                }
                out
            }
            Expr::And(_) | Expr::Not(_) | Expr::Source(_) | Expr::Lang(_) => Vec::new(),
        }
    }
}

/// A source name as `source:` compares it: fold-form words separated by single spaces.
pub fn source_key(name: &str) -> String {
    vi_text::tokenize(&vi_text::display(name))
        .into_iter()
        .map(|t| t.folded)
        .collect::<Vec<_>>()
        .join(" ")
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
    fn tilde_finds_every_i_y_spelling_and_highlights_it() {
        let body = "Kĩ thuật mới, kỹ thuật cũ và ki thuat gõ không dấu; kì thi.";
        assert_eq!(run("~\"ky thuat\"", "", body).unwrap(), ["Kĩ thuật", "kỹ thuật", "ki thuat"]);
        assert_eq!(run("~ky", "", body).unwrap(), ["Kĩ", "kỹ", "ki", "kì"]);
        assert_eq!(run("~\"ky thuat\"", "", "kĩ năng, thuật ngữ"), None);
        // Accented terms written with either letter find the other spelling too.
        assert_eq!(run("\"kỹ thuật\"", "", body).unwrap(), ["Kĩ thuật", "kỹ thuật"]);
        assert_eq!(run("Mĩ", "Quan hệ Việt – Mỹ", "").unwrap(), ["Mỹ"]);
        assert_eq!(run("\"lý do\"", "", "Lí do là thế").unwrap(), ["Lí do"]);
        // `vi` is not `Vy`.
        assert_eq!(run("vì", "", "Vỳ"), None);
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
        // A multi-syllable alternative is a path of its own: what follows it follows its
        // last syllable, and its halves never mix with the original tokens.
        assert_eq!(hit("\"bác sĩ nói\"").unwrap(), ["bs nói"]);
        assert_eq!(hit("\"mọi người ơi\"").unwrap(), ["mn ơi"]);
        assert!(hit("\"người ơi bác\"").is_some());
        assert!(hit("\"người bác\"").is_none());
        assert!(hit("\"mọi ơi\"").is_none());
        assert!(DocIndex::new(vec![&tokens]).evaluate(&parse("không").unwrap()).is_none());
    }

    #[test]
    fn phrases_do_not_cross_sentences() {
        assert!(run("\"sốt xuất huyết\"", "", "Bé bị sốt. Xuất huyết dạ dày").is_none());
        assert!(run("sốt xuất huyết", "", "Bé bị sốt. Xuất huyết dạ dày").is_some());
    }

    #[test]
    fn proximity_counts_syllables_between() {
        let body = "Bé trai tử vong sau khi được tiêm vắc xin tại trạm y tế";
        assert_eq!(run("\"tử vong\" NEAR/3 tiêm", "", body).unwrap(), ["tử vong", "tiêm"]);
        assert!(run("\"tử vong\" NEAR/2 tiêm", "", body).is_none());
        assert!(run("tiêm ONEAR/3 \"tử vong\"", "", body).is_none());
        assert!(run("tiêm NEAR/3 \"tử vong\"", "", body).is_some());
        assert_eq!(
            run("(tiêm OR uống) ONEAR/0 \"vắc xin\"", "", body).unwrap(),
            ["tiêm", "vắc xin"]
        );
        let nested = |n: usize| {
            let q = format!("(tử NEAR/0 vong) NEAR/{n} (\"trạm y tế\" OR \"bệnh viện\")");
            run(&q, "", body).is_some()
        };
        assert!(nested(7) && !nested(6));
        assert!(run("tử NEAR/5 tiêm", body, "").is_some());
        // Both sides must be in one field.
        assert!(run("tử NEAR/50 tiêm", "tử vong", "tiêm").is_none());
    }

    #[test]
    fn field_scopes_and_document_filters() {
        assert!(run("title:sốt", "Sốt xuất huyết", "").is_some());
        assert!(run("title:sốt", "", "Sốt xuất huyết").is_none());
        assert!(run("body:\"xuất huyết\"", "", "Sốt xuất huyết").is_some());
        let (tt, bt) = (vi_text::tokenize("Sốt"), vi_text::tokenize(""));
        let index = DocIndex::new(vec![&tt, &bt]).with_meta("Báo Tuổi Trẻ", "vi");
        let yes = |q: &str| index.matches(&parse(q).unwrap());
        assert!(yes("sốt source:\"tuổi trẻ\""));
        assert!(yes("sốt source:tuoi"));
        assert!(!yes("sốt source:tuo"));
        assert!(!yes("sốt -source:\"tuoi tre\""));
        assert!(yes("sốt lang:vi") && !yes("sốt lang:en"));
    }

    #[test]
    fn matches_agrees_with_evaluate() {
        let body = vi_text::display("Ca sốt xuất huyết thứ 3 tử vong. Bộ Y tế cảnh báo");
        let tokens = vi_text::tokenize(&body);
        let index = DocIndex::new(vec![&[], &tokens]);
        for q in [
            "sốt",
            "\"tử vong\" NEAR/8 sốt",
            "cúm OR (sốt -cảnh)",
            "\"sốt xuất\" -cảnh",
            "title:sốt",
        ] {
            let e = parse(q).unwrap();
            assert_eq!(index.matches(&e), index.evaluate(&e).is_some(), "{q}");
        }
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
