//! The evaluator: a document's occurrences by syllable code, and the compiled queries of a
//! [`Program`] run over them, returning the spans that made each match.
//!
//! Positions form a graph: token `t` runs from node `t.position` to node `t.position + 1`,
//! and an alternative from the views (`mọi người` for `mn`) runs from its first token's
//! start node to its last token's end node through nodes of its own, so a phrase can follow
//! either path but never mixes a half of one with the other.

use vi_text::Token;

use crate::hash::{KeyMap, key};
use crate::program::{CodeSet, Label, NONE, NearOp, Op, Program, Query, Sids, TermOp};

/// Where a term matched: a field (by its index in the [`DocIndex`]) and display-form bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Index of the field in the order the fields were indexed (0 title, 1 body).
    pub field: usize,
    /// Byte offset in the field's display text.
    pub start: usize,
    /// Byte offset (exclusive) in the field's display text.
    pub end: usize,
    /// The query term or phrase as written ([`Program::label`]).
    pub label: Label,
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
    /// The [`key`]s of both forms, computed with the overlay.
    pub keys: TokenKeys,
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
                keys: TokenKeys::default(),
            });
            if let Some(o) = out.last_mut() {
                o.keys =
                    TokenKeys { matched: key(&o.matched), folded: key(&o.folded), follows: false };
            }
            from = to;
        }
    }
    out
}

/// One place a syllable occurs: a field, its graph edge, its syllable ordinal and the
/// display bytes it covers.
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    field: u32,
    ord: u32,
    start: u32,
    end: u32,
    from: usize,
    to: usize,
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

/// Where a token is: its display bytes and its graph position, all a [`DocIndex`] reads of
/// it (a sixth of a [`Token`], so a document's tokens stay in cache while it is matched).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spot {
    /// Byte offset in the field's display text.
    pub start: u32,
    /// Byte offset (exclusive).
    pub end: u32,
    /// Graph node it starts at ([`Token::position`]).
    pub position: u32,
}

impl Spot {
    /// The spots of every token, in order.
    pub fn of(tokens: &[Token]) -> Vec<Spot> {
        tokens
            .iter()
            .map(|t| Spot { start: t.start as u32, end: t.end as u32, position: t.position as u32 })
            .collect()
    }
}

/// One field as a [`DocIndex`] takes it: the tokens and the overlays laid over them, each
/// with its ids in the vocabulary of the [`Program`] whose queries will be evaluated.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// Where the field's tokens are.
    pub spots: &'a [Spot],
    /// Their ids, one per token.
    pub sids: &'a [Sids],
    /// Alternatives laid over the tokens.
    pub overlays: &'a [Overlay],
    /// Their ids, one per overlay.
    pub overlay_sids: &'a [Sids],
}

const END: u32 = u32::MAX;

/// A match of a positional expression, for proximity: its field, the syllables it spans and
/// the spans to highlight (`spans[a..b]` of the evaluation's span list).
#[derive(Clone, Copy)]
struct Interval {
    field: usize,
    lo: usize,
    hi: usize,
    spans: (u32, u32),
}

/// Spreads a dense code over the bits a [`KeyMap`] reads.
#[inline]
fn spread(code: u32) -> u64 {
    u64::from(code).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// A document's fields, tokenised, with a lookup from term code ([`Sids::code`]) to
/// occurrences, plus the document's source and language for `source:` and `lang:`. Built
/// once per document and shared by every query of one [`Program`] evaluated on it.
#[derive(Debug)]
pub struct DocIndex {
    occ: Vec<Occurrence>,
    // Each code leads to a chain of links (occurrence, next link): one allocation for the
    // whole document instead of one per distinct syllable.
    heads: KeyMap<u64, u32>,
    links: Vec<(u32, u32)>,
    source: String,
    lang: String,
}

impl DocIndex {
    /// Indexes tokenised fields (title then body), each with the overlays laid over it, for
    /// the queries of `program`.
    pub fn for_program(program: &Program, fields: &[(&[Token], &[Overlay])]) -> DocIndex {
        let sids: Vec<(Vec<Spot>, Vec<Sids>, Vec<Sids>)> = fields
            .iter()
            .map(|(t, o)| {
                (Spot::of(t), program.token_sids(t, &TokenKeys::of(t)), program.overlay_sids(o))
            })
            .collect();
        let fields: Vec<Field<'_>> = fields
            .iter()
            .zip(&sids)
            .map(|(&(_, overlays), (spots, sids, overlay_sids))| Field {
                spots,
                sids,
                overlays,
                overlay_sids,
            })
            .collect();
        DocIndex::build(&fields, None)
    }

    /// Indexes fields whose ids are computed. With `wanted`, an occurrence is filed under
    /// a code only when the set holds it: the set must hold the code of every term
    /// ([`Program::codes_of`]) of every query evaluated on the index.
    pub fn build(fields: &[Field<'_>], wanted: Option<&CodeSet>) -> DocIndex {
        let mut total: usize = fields.iter().map(|f| f.spots.len() + f.overlays.len()).sum();
        if let Some(w) = wanted {
            // Few tokens pass the filter: room for the codes asked for, not for every token.
            total = total.min(w.len());
        }
        let mut index = DocIndex {
            occ: Vec::with_capacity(total),
            heads: KeyMap::with_capacity_and_hasher(total, Default::default()),
            links: Vec::with_capacity(total),
            source: String::new(),
            lang: String::new(),
        };
        // Pushed in reverse so that every chain lists its occurrences in document order:
        // tokens first, field by field, then overlays.
        for (field, f) in fields.iter().enumerate().rev() {
            for (o, &s) in f.overlays.iter().zip(f.overlay_sids).rev() {
                index.push(s, wanted, || Occurrence {
                    field: field as u32,
                    ord: o.ord as u32,
                    start: o.start as u32,
                    end: o.end as u32,
                    from: o.from,
                    to: o.to,
                });
            }
        }
        for (field, f) in fields.iter().enumerate().rev() {
            for (ord, (t, &s)) in f.spots.iter().zip(f.sids).enumerate().rev() {
                index.push(s, wanted, || Occurrence {
                    field: field as u32,
                    ord: ord as u32,
                    start: t.start,
                    end: t.end,
                    from: t.position as usize,
                    to: t.position as usize + 1,
                });
            }
        }
        index
    }

    /// Files an occurrence under its match code, its fold code, or both.
    #[inline]
    fn push(&mut self, sids: Sids, wanted: Option<&CodeSet>, occ: impl FnOnce() -> Occurrence) {
        let id = self.occ.len() as u32;
        let mut filed = false;
        for folded in [false, true] {
            let code = sids.code(folded);
            if code == NONE || wanted.is_some_and(|w| !w.contains(code)) {
                continue;
            }
            let link = self.links.len() as u32;
            let next = std::mem::replace(self.heads.entry(spread(code)).or_insert(END), link);
            self.links.push((id, next));
            filed = true;
        }
        if filed {
            self.occ.push(occ());
        }
    }

    /// Sets the document's source name and language code, for `source:` and `lang:`.
    pub fn with_meta(self, source: &str, lang: &str) -> DocIndex {
        self.with_source_key(&source_key(source), lang)
    }

    /// As [`DocIndex::with_meta`], with the source name already in [`source_key`] form
    /// (computed once per document rather than once per index).
    pub fn with_source_key(mut self, source_key: &str, lang: &str) -> DocIndex {
        source_key.clone_into(&mut self.source);
        self.lang = lang.to_ascii_lowercase();
        self
    }

    fn occurrences(&self, term: TermOp) -> impl Iterator<Item = Occurrence> + '_ {
        let mut at = self.heads.get(&spread(term.code())).copied().unwrap_or(END);
        std::iter::from_fn(move || {
            while at != END {
                let (occ, next) = self.links[at as usize];
                at = next;
                let o = self.occ[occ as usize];
                if term.scope.admits(o.field as usize) {
                    return Some(o);
                }
            }
            None
        })
    }

    /// Whether any occurrence of the term is in scope (cheaper than collecting them).
    fn occurs(&self, term: TermOp) -> bool {
        self.occurrences(term).next().is_some()
    }

    /// Evaluates `query`; `Some(spans)` when it matches (spans sorted, possibly empty for a
    /// purely negative branch), `None` when it does not.
    pub fn evaluate(&self, program: &Program, query: Query) -> Option<Vec<Span>> {
        let mut spans = Vec::new();
        if !self.evaluate_into(program, query, &mut spans) {
            return None;
        }
        spans.sort_unstable();
        spans.dedup();
        Some(spans)
    }

    /// As [`DocIndex::evaluate`], appending the spans (unsorted, possibly repeated) to `out`
    /// and leaving it as it was when the query does not match.
    pub fn evaluate_into(&self, program: &Program, query: Query, out: &mut Vec<Span>) -> bool {
        let mut eval = Eval { index: self, program, pool: Vec::new() };
        let before = out.len();
        let matched = eval.eval(query.0, out);
        if !matched {
            out.truncate(before);
        }
        matched
    }

    /// Whether `query` matches, without collecting spans.
    pub fn matches(&self, program: &Program, query: Query) -> bool {
        Eval { index: self, program, pool: Vec::new() }.matches(query.0)
    }

    fn source_is(&self, wanted: &str) -> bool {
        // Whole words only: `source:tre` must not match "tuoi tre" by a letter run.
        self.source == wanted || format!(" {} ", self.source).contains(&format!(" {wanted} "))
    }
}

/// One evaluation: an index, the program whose ops are run on it, and the spans of the
/// positioned matches proximity combines.
struct Eval<'a> {
    index: &'a DocIndex,
    program: &'a Program,
    pool: Vec<Span>,
}

impl Eval<'_> {
    fn term(&self, i: u32) -> TermOp {
        self.program.terms[i as usize]
    }

    fn matches(&mut self, op: u32) -> bool {
        match self.program.ops[op as usize] {
            Op::Term(i) => self.index.occurs(self.term(i)),
            Op::Phrase(a, b) => self.phrases(a, b, None),
            Op::And(a, b) => (a..b).all(|k| self.matches(self.program.kids[k as usize])),
            Op::Or(a, b) => (a..b).any(|k| self.matches(self.program.kids[k as usize])),
            Op::Not(x) => !self.matches(x),
            Op::Near(_) => {
                let mut found = Vec::new();
                self.intervals(op, &mut found);
                !found.is_empty()
            }
            Op::Source(s) => self.index.source_is(self.program.string(s)),
            Op::Lang(l) => self.index.lang == self.program.string(l),
        }
    }

    /// Appends the spans of a match to `out` and says whether it matched; on `false`,
    /// what was appended is garbage the caller truncates.
    fn eval(&mut self, op: u32, out: &mut Vec<Span>) -> bool {
        match self.program.ops[op as usize] {
            Op::Term(i) => {
                let term = self.term(i);
                let before = out.len();
                out.extend(self.index.occurrences(term).map(|o| Span {
                    field: o.field as usize,
                    start: o.start as usize,
                    end: o.end as usize,
                    label: Label(term.label),
                }));
                out.len() > before
            }
            Op::Phrase(a, b) => self.phrases(a, b, Some(out)),
            Op::Near(_) => {
                let mut found = Vec::new();
                self.intervals(op, &mut found);
                for i in &found {
                    out.extend_from_slice(&self.pool[i.spans.0 as usize..i.spans.1 as usize]);
                }
                !found.is_empty()
            }
            Op::And(a, b) => {
                for k in a..b {
                    if !self.eval(self.program.kids[k as usize], out) {
                        return false;
                    }
                }
                true
            }
            Op::Or(a, b) => {
                let mut any = false;
                for k in a..b {
                    let before = out.len();
                    if self.eval(self.program.kids[k as usize], out) {
                        any = true;
                    } else {
                        out.truncate(before);
                    }
                }
                any
            }
            Op::Not(_) | Op::Source(_) | Op::Lang(_) => self.matches(op),
        }
    }

    /// Follows the paths through the token graph that spell `terms[a..b]`. With `out`,
    /// appends each path's span and says whether there was one; without, stops at the first.
    fn phrases(&self, a: u32, b: u32, out: Option<&mut Vec<Span>>) -> bool {
        let label = Label(self.term(a).label);
        let mut found = false;
        match out {
            Some(out) => self.phrase_paths(a, b, |_, (field, start, end, _)| {
                found = true;
                out.push(Span { field, start, end, label });
                true
            }),
            None => self.phrase_paths(a, b, |_, _| {
                found = true;
                false
            }),
        }
        found
    }

    /// Calls `each(lo, (field, start, end, hi))` for every path spelling `terms[a..b]`
    /// until it returns `false`.
    fn phrase_paths(
        &self,
        a: u32,
        b: u32,
        mut each: impl FnMut(usize, (usize, usize, usize, usize)) -> bool,
    ) {
        let terms = &self.program.terms[a as usize..b as usize];
        let Some((&first, rest)) = terms.split_first() else { return };
        let mut paths = Vec::new();
        let mut next = Vec::new();
        for o in self.index.occurrences(first) {
            // Paths can branch where alternatives overlap; follow each.
            paths.clear();
            paths.push((o, o.end, o.ord));
            for &t in rest {
                next.clear();
                for &(head, end, hi) in &paths {
                    for p in self.index.occurrences(t) {
                        if p.field == head.field && p.from == head.to {
                            next.push((p, end.max(p.end), hi.max(p.ord)));
                        }
                    }
                }
                std::mem::swap(&mut paths, &mut next);
                if paths.is_empty() {
                    break;
                }
            }
            for &(_, end, hi) in &paths {
                let span = (o.field as usize, o.start as usize, end as usize, hi as usize);
                if !each(o.ord as usize, span) {
                    return;
                }
            }
        }
    }

    /// Appends the positioned matches of a term, phrase, OR-group or proximity op to
    /// `found`, their spans to the pool.
    fn intervals(&mut self, op: u32, found: &mut Vec<Interval>) {
        match self.program.ops[op as usize] {
            Op::Term(i) => {
                let t = self.term(i);
                for o in self.index.occurrences(t) {
                    let at = self.pool.len() as u32;
                    self.pool.push(Span {
                        field: o.field as usize,
                        start: o.start as usize,
                        end: o.end as usize,
                        label: Label(t.label),
                    });
                    found.push(Interval {
                        field: o.field as usize,
                        lo: o.ord as usize,
                        hi: o.ord as usize,
                        spans: (at, at + 1),
                    });
                }
            }
            Op::Phrase(a, b) => {
                let label = Label(self.term(a).label);
                let mut paths = Vec::new();
                self.phrase_paths(a, b, |lo, p| {
                    paths.push((lo, p));
                    true
                });
                for (lo, (field, start, end, hi)) in paths {
                    let at = self.pool.len() as u32;
                    self.pool.push(Span { field, start, end, label });
                    found.push(Interval { field, lo, hi, spans: (at, at + 1) });
                }
            }
            Op::Or(a, b) => {
                for k in a..b {
                    self.intervals(self.program.kids[k as usize], found);
                }
            }
            Op::Near(i) => {
                let NearOp { left, right, distance, ordered } = self.program.nears[i as usize];
                let (mut l, mut r) = (Vec::new(), Vec::new());
                self.intervals(left, &mut l);
                self.intervals(right, &mut r);
                for a in &l {
                    for b in r.iter().filter(|b| b.field == a.field) {
                        let gap = if a.hi < b.lo {
                            b.lo - a.hi - 1
                        } else if ordered {
                            continue;
                        } else if b.hi < a.lo {
                            a.lo - b.hi - 1
                        } else {
                            0
                        };
                        if gap <= distance as usize {
                            let at = self.pool.len();
                            self.pool.extend_from_within(a.spans.0 as usize..a.spans.1 as usize);
                            self.pool.extend_from_within(b.spans.0 as usize..b.spans.1 as usize);
                            found.push(Interval {
                                field: a.field,
                                lo: a.lo.min(b.lo),
                                hi: a.hi.max(b.hi),
                                spans: (at as u32, self.pool.len() as u32),
                            });
                        }
                    }
                }
            }
            Op::And(..) | Op::Not(_) | Op::Source(_) | Op::Lang(_) => {}
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
    use crate::{Expr, parse};

    /// The spans of one expression on fields with their overlays, and their labels.
    fn evaluate(
        expr: &Expr,
        fields: &[(&[Token], &[Overlay])],
        source: &str,
        lang: &str,
    ) -> Option<Vec<(Span, String)>> {
        let (program, query) = Program::single(expr);
        let index = DocIndex::for_program(&program, fields).with_meta(source, lang);
        let spans = index.evaluate(&program, query)?;
        Some(spans.into_iter().map(|s| (s, program.label(s.label).to_owned())).collect())
    }

    fn run(q: &str, title: &str, body: &str) -> Option<Vec<String>> {
        let (title, body) = (vi_text::display(title), vi_text::display(body));
        let (tt, bt) = (vi_text::tokenize(&title), vi_text::tokenize(&body));
        let texts = [&title, &body];
        evaluate(&parse(q).unwrap(), &[(&tt, &[]), (&bt, &[])], "", "").map(|spans| {
            spans.iter().map(|(s, _)| texts[s.field][s.start..s.end].to_owned()).collect()
        })
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
        let hit = |q: &str| {
            evaluate(&parse(q).unwrap(), &[(&[], &[]), (&tokens, &over)], "", "").map(|spans| {
                let mut v: Vec<String> =
                    spans.iter().map(|(s, _)| body[s.start..s.end].to_owned()).collect();
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
        assert!(evaluate(&parse("không").unwrap(), &[(&tokens, &[])], "", "").is_none());
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
        let yes = |q: &str| {
            let (program, query) = Program::single(&parse(q).unwrap());
            DocIndex::for_program(&program, &[(&tt, &[]), (&bt, &[])])
                .with_meta("Báo Tuổi Trẻ", "vi")
                .matches(&program, query)
        };
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
        let mut program = Program::new();
        let queries: Vec<(&str, Query)> = [
            "sốt",
            "\"tử vong\" NEAR/8 sốt",
            "cúm OR (sốt -cảnh)",
            "\"sốt xuất\" -cảnh",
            "title:sốt",
            "cảnh NOT \"cảnh báo\"",
        ]
        .into_iter()
        .map(|q| (q, program.compile(&parse(q).unwrap())))
        .collect();
        program.finish();
        // One index serves every query of the program.
        let index = DocIndex::for_program(&program, &[(&[], &[]), (&tokens, &[])]);
        let mut matched = 0;
        for (q, query) in queries {
            let m = index.matches(&program, query);
            assert_eq!(m, index.evaluate(&program, query).is_some(), "{q}");
            matched += usize::from(m);
        }
        assert_eq!(matched, 2);
    }

    #[test]
    fn spans_carry_the_term_or_phrase_as_written() {
        let body = vi_text::display("Sốt xuất huyết: bé sốt cao, tử vong sau tiêm");
        let tokens = vi_text::tokenize(&body);
        let q = parse("(\"Sốt Xuất Huyết\" OR Sot) \"tu vong\" NEAR/2 tiêm").unwrap();
        let spans = evaluate(&q, &[(&tokens, &[])], "", "").unwrap();
        let shown: Vec<(&str, &str)> =
            spans.iter().map(|(s, label)| (&body[s.start..s.end], label.as_str())).collect();
        assert_eq!(
            shown,
            [
                ("Sốt", "Sot"),
                ("Sốt xuất huyết", "Sốt Xuất Huyết"),
                ("sốt", "Sot"),
                ("tử vong", "tu vong"),
                ("tiêm", "tiêm"),
            ]
        );
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
