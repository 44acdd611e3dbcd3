//! The evaluator: a document's occurrences by syllable code, and the compiled queries of a
//! [`Program`] run over them, returning the spans that made each match.
//!
//! Positions form a graph: token `t` runs from node `t.position` to node `t.position + 1`,
//! and an alternative from the views (`mọi người` for `mn`) runs from its first token's
//! start node to its last token's end node through nodes of its own, so a phrase can follow
//! either path but never mixes a half of one with the other.
//!
//! Every evaluation is close to linear in the occurrences of the query's terms, whatever
//! the document repeats: a phrase steps from one syllable to the next by binary search in
//! the next term's occurrences sorted by node, and proximity never pairs every match of one
//! side with every match of the other. A `NEAR` passes up its *widest* matches, those whose
//! span no other match's span contains (at most one per starting syllable), found by
//! pairing each match of either side with the partner within reach that ends last; they
//! are exactly what an enclosing `NEAR` needs, since a wider span is closer to everything.
//! Matches are nodes of a graph that point at the two matches they pair, so nothing is
//! copied per pair, and the spans to highlight are collected once, at the end, from every
//! match that has a partner. Only an `ONEAR` whose side is itself a proximity op may see
//! fewer matches than pairing everything would give (it needs that side's match to end
//! before the other side starts, and a narrower match might where the widest does not).
//! Every step spends [`Fuel`], so a caller can bound what a query costs.
//!
//! Occurrences in sentences typed without diacritics ([`Token::unaccented`]) are also
//! filed under their fold form read bare ([`Reading::Bare`]), where accent-tolerant terms
//! look besides their own syllable; elsewhere nothing is filed there and they look up
//! their syllable alone.

use vi_text::Token;

use crate::fuel::{Fuel, OutOfFuel};
use crate::hash::{KeyMap, key};
use crate::program::{CodeSet, Label, NONE, Op, Program, Query, Reading, Sids, TermOp};

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
    /// It stands for tokens of a sentence typed without diacritics: accent-tolerant terms
    /// compare their fold form with its fold form, as with the tokens there.
    pub unaccented: bool,
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
    overlays_of(tokens, vi_text::expansions(display, tokens), display)
}

/// As [`overlays`], from expansions the caller already has
/// ([`vi_text::expansions`] of the same `display` and `tokens`), for a caller that reads
/// them for something else as well.
pub fn overlays_of(
    tokens: &[Token],
    expansions: Vec<vi_text::Alternative>,
    display: &str,
) -> Vec<Overlay> {
    let mut out = Vec::new();
    let mut inner = INNER_NODES;
    for alt in expansions.into_iter().chain(vi_text::deobfuscations(display, tokens)) {
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
                unaccented: first.unaccented,
            });
            if let Some(o) = out.last_mut() {
                o.keys = TokenKeys {
                    matched: key(&o.matched),
                    folded: key(&o.folded),
                    follows: false,
                    bare: o.unaccented,
                };
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

/// The [`key`]s of a token's match form and fold form, whether it directly follows the
/// token before it (no sentence break between), as a phrase needs, and whether it is in a
/// sentence typed without diacritics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenKeys {
    /// Key of the match form.
    pub matched: u64,
    /// Key of the fold form.
    pub folded: u64,
    /// The previous token's position is this one's minus one.
    pub follows: bool,
    /// The token is in an unaccented sentence ([`Token::unaccented`]).
    pub bare: bool,
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
                TokenKeys {
                    matched: key(&t.matched),
                    folded: key(&t.folded),
                    follows,
                    bare: t.unaccented,
                }
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

/// A match of a positional expression, for proximity: its field, the first and last
/// syllable ordinals it covers, and the node of the evaluation that explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interval {
    field: u32,
    lo: u32,
    hi: u32,
    node: u32,
}

/// A proximity match being formed: the hull of two matches (one of each side) and their
/// nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pair {
    field: u32,
    lo: u32,
    hi: u32,
    left: u32,
    right: u32,
}

/// A phrase path being followed: its field, the graph node it has reached, and the end of
/// its display bytes and its last syllable ordinal so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct PathEnd {
    field: u32,
    to: usize,
    end: u32,
    hi: u32,
}

/// A path spelling a phrase: field, first and last ordinal, display bytes.
#[derive(Debug, Clone, Copy)]
struct PhraseMatch {
    field: u32,
    lo: u32,
    hi: u32,
    start: u32,
    end: u32,
}

/// The second half of a node that is a term's or phrase's match (the first half indexes
/// the evaluation's leaf spans).
const LEAF: u32 = u32::MAX;

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
    /// Whether any occurrence is filed under [`Reading::Bare`]: in accented text none is,
    /// and accent-tolerant terms then look up their syllable alone.
    any_bare: bool,
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
            any_bare: false,
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

    /// Files an occurrence under its match code, its fold code and, in an unaccented
    /// sentence, its bare code, as far as they are wanted.
    #[inline]
    fn push(&mut self, sids: Sids, wanted: Option<&CodeSet>, occ: impl FnOnce() -> Occurrence) {
        let id = self.occ.len() as u32;
        let mut filed = false;
        for reading in [Reading::Match, Reading::Fold] {
            filed |= self.file(id, sids.code(reading), wanted);
        }
        if sids.bare() && self.file(id, sids.code(Reading::Bare), wanted) {
            filed = true;
            self.any_bare = true;
        }
        if filed {
            self.occ.push(occ());
        }
    }

    /// Files occurrence `id` under `code` when it is one and wanted; whether it did.
    #[inline(always)]
    fn file(&mut self, id: u32, code: u32, wanted: Option<&CodeSet>) -> bool {
        if code == NONE || wanted.is_some_and(|w| !w.contains(code)) {
            return false;
        }
        let link = self.links.len() as u32;
        let next = std::mem::replace(self.heads.entry(spread(code)).or_insert(END), link);
        self.links.push((id, next));
        true
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

    /// Every occurrence filed under `code`, in document order (tokens, then overlays).
    fn chain(&self, code: u32) -> impl Iterator<Item = Occurrence> + '_ {
        let mut at = self.heads.get(&spread(code)).copied().unwrap_or(END);
        std::iter::from_fn(move || {
            let (occ, next) = *self.links.get(at as usize)?;
            at = next;
            self.occ.get(occ as usize).copied()
        })
    }

    /// Evaluates `query`; `Some(spans)` when it matches (spans sorted, possibly empty for a
    /// purely negative branch), `None` when it does not.
    pub fn evaluate(&self, program: &Program, query: Query) -> Option<Vec<Span>> {
        let mut fuel = Fuel::unlimited();
        self.evaluate_budgeted(program, query, &mut fuel).unwrap_or_default()
    }

    /// As [`DocIndex::evaluate`], spending `fuel`: [`OutOfFuel`] when it runs out before
    /// the answer is known. What was spent stays spent, so one [`Fuel`] can bound a whole
    /// search.
    pub fn evaluate_budgeted(
        &self,
        program: &Program,
        query: Query,
        fuel: &mut Fuel,
    ) -> Result<Option<Vec<Span>>, OutOfFuel> {
        let mut spans = Vec::new();
        if !self.evaluate_into_budgeted(program, query, &mut spans, fuel)? {
            return Ok(None);
        }
        spans.sort_unstable();
        spans.dedup();
        Ok(Some(spans))
    }

    /// As [`DocIndex::evaluate`], appending the spans (unsorted, possibly repeated) to `out`
    /// and leaving it as it was when the query does not match.
    pub fn evaluate_into(&self, program: &Program, query: Query, out: &mut Vec<Span>) -> bool {
        let mut fuel = Fuel::unlimited();
        self.evaluate_into_budgeted(program, query, out, &mut fuel).unwrap_or(false)
    }

    /// As [`DocIndex::evaluate_into`], spending `fuel`; `out` is left as it was unless the
    /// query matches.
    pub fn evaluate_into_budgeted(
        &self,
        program: &Program,
        query: Query,
        out: &mut Vec<Span>,
        fuel: &mut Fuel,
    ) -> Result<bool, OutOfFuel> {
        let mut eval = Eval::new(self, program, *fuel);
        let before = out.len();
        let matched = eval.eval(query.0, out);
        *fuel = eval.finish();
        if !matched || fuel.is_exhausted() {
            out.truncate(before);
        }
        if fuel.is_exhausted() {
            return Err(OutOfFuel { budget: fuel.budget() });
        }
        Ok(matched)
    }

    /// Whether `query` matches, without collecting spans.
    pub fn matches(&self, program: &Program, query: Query) -> bool {
        let mut fuel = Fuel::unlimited();
        self.matches_budgeted(program, query, &mut fuel).unwrap_or(false)
    }

    /// As [`DocIndex::matches`], spending `fuel`.
    pub fn matches_budgeted(
        &self,
        program: &Program,
        query: Query,
        fuel: &mut Fuel,
    ) -> Result<bool, OutOfFuel> {
        let mut eval = Eval::new(self, program, *fuel);
        let matched = eval.matches(query.0);
        *fuel = eval.finish();
        if fuel.is_exhausted() {
            return Err(OutOfFuel { budget: fuel.budget() });
        }
        Ok(matched)
    }

    fn source_is(&self, wanted: &str) -> bool {
        // Whole words only: `source:tre` must not match "tuoi tre" by a letter run.
        self.source == wanted || format!(" {} ", self.source).contains(&format!(" {wanted} "))
    }
}

/// One evaluation: an index, the program whose ops are run on it, the fuel it may spend,
/// and the positioned matches proximity combines, as a graph of nodes: a leaf is a term's
/// or phrase's match, an inner node a proximity match of two others. Nodes are shared, so
/// nested proximity never copies what its sides matched.
struct Eval<'a> {
    index: &'a DocIndex,
    program: &'a Program,
    fuel: Fuel,
    s: Box<Scratch>,
}

/// The buffers of an evaluation, kept by the thread for the next one: a rule set evaluates
/// hundreds of queries on each document, and allocating them anew for every query costs
/// more than most evaluations.
#[derive(Default)]
struct Scratch {
    /// The spans of the leaves.
    leaves: Vec<Span>,
    /// `(leaf, LEAF)` for a leaf (an index into `leaves`), `(left, right)` for a proximity
    /// match of two nodes.
    nodes: Vec<(u32, u32)>,
    /// For phrases: the later terms' occurrences, term after term, `steps[bounds[k]..
    /// bounds[k + 1]]` for the term after `k + 1` others; the paths being followed; the
    /// paths found.
    steps: Vec<Occurrence>,
    bounds: Vec<usize>,
    paths: Vec<PathEnd>,
    next: Vec<PathEnd>,
    found: Vec<PhraseMatch>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Box<Scratch>>> = const { std::cell::Cell::new(None) };
}

/// Buffers that grew beyond this many entries are not kept (a huge document's would
/// otherwise stay with the thread).
const KEPT: usize = 1 << 16;

impl Scratch {
    fn take() -> Box<Scratch> {
        SCRATCH.with(std::cell::Cell::take).unwrap_or_default()
    }

    fn give_back(mut self: Box<Scratch>) {
        let big = [
            self.leaves.capacity(),
            self.nodes.capacity(),
            self.steps.capacity(),
            self.paths.capacity(),
            self.next.capacity(),
            self.found.capacity(),
        ];
        if big.iter().any(|&c| c > KEPT) {
            return;
        }
        self.leaves.clear();
        self.nodes.clear();
        SCRATCH.with(|s| s.set(Some(self)));
    }
}

impl<'a> Eval<'a> {
    fn new(index: &'a DocIndex, program: &'a Program, fuel: Fuel) -> Eval<'a> {
        Eval { index, program, fuel, s: Scratch::take() }
    }

    /// Ends the evaluation: the buffers go back to the thread; the fuel left.
    fn finish(self) -> Fuel {
        self.s.give_back();
        self.fuel
    }

    fn term(&self, i: u32) -> TermOp {
        self.program.terms[i as usize]
    }

    /// Calls `each` on the occurrences of `term` in its scope until it returns `false`,
    /// paying a unit for every occurrence visited, in scope or not. An accent-tolerant
    /// term's occurrences are those of its syllable, then those of its fold form read bare
    /// (no occurrence is both: a bare occurrence has no diacritic, the syllable has some).
    fn for_each_occurrence(
        &mut self,
        term: TermOp,
        mut each: impl FnMut(&mut Self, Occurrence) -> bool,
    ) {
        let index = self.index;
        let bare = if index.any_bare { term.bare_code() } else { NONE };
        for code in [term.code(), bare] {
            if code == NONE {
                continue;
            }
            for o in index.chain(code) {
                if !self.fuel.burn(1) {
                    return;
                }
                if term.scope.admits(o.field as usize) && !each(self, o) {
                    return;
                }
            }
        }
    }

    fn matches(&mut self, op: u32) -> bool {
        if !self.fuel.burn(1) {
            return false;
        }
        match self.program.ops[op as usize] {
            Op::Term(i) => {
                let mut found = false;
                self.for_each_occurrence(self.term(i), |_, _| {
                    found = true;
                    false
                });
                found
            }
            Op::Phrase(a, b) => {
                let found = self.phrase_paths(a, b, true);
                let any = !found.is_empty();
                self.s.found = found;
                any
            }
            Op::And(a, b) => (a..b).all(|k| self.matches(self.program.kids[k as usize])),
            Op::Or(a, b) => (a..b).any(|k| self.matches(self.program.kids[k as usize])),
            Op::Not(x) => !self.matches(x),
            Op::Near(i) => {
                let mut found = Vec::new();
                self.near(i, &mut found, None);
                !found.is_empty()
            }
            Op::Source(s) => self.index.source_is(self.program.string(s)),
            Op::Lang(l) => self.index.lang == self.program.string(l),
        }
    }

    /// Appends the spans of a match to `out` and says whether it matched; on `false`,
    /// what was appended is garbage the caller truncates.
    fn eval(&mut self, op: u32, out: &mut Vec<Span>) -> bool {
        if !self.fuel.burn(1) {
            return false;
        }
        match self.program.ops[op as usize] {
            Op::Term(i) => {
                let term = self.term(i);
                let before = out.len();
                self.for_each_occurrence(term, |_, o| {
                    out.push(Span {
                        field: o.field as usize,
                        start: o.start as usize,
                        end: o.end as usize,
                        label: Label(term.label),
                    });
                    true
                });
                out.len() > before
            }
            Op::Phrase(a, b) => {
                let label = Label(self.term(a).label);
                let found = self.phrase_paths(a, b, false);
                out.extend(found.iter().map(|m| Span {
                    field: m.field as usize,
                    start: m.start as usize,
                    end: m.end as usize,
                    label,
                }));
                let any = !found.is_empty();
                self.s.found = found;
                any
            }
            Op::Near(i) => {
                let (mut found, mut sides) = (Vec::new(), Vec::new());
                self.near(i, &mut found, Some(&mut sides));
                if found.is_empty() {
                    return false;
                }
                self.collect_spans(&sides, out);
                true
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

    /// Every path through the token graph that spells `terms[a..b]` (only the first with
    /// `first_only`), in the scratch list the caller gives back. The occurrences of each
    /// later term are sorted by the node they start at, so a path takes each step by a
    /// binary search: the work is the terms' occurrences and the paths, never their product
    /// (a long text repeating the phrase would otherwise cost its square).
    fn phrase_paths(&mut self, a: u32, b: u32, first_only: bool) -> Vec<PhraseMatch> {
        let mut found = std::mem::take(&mut self.s.found);
        found.clear();
        let program = self.program;
        let terms = &program.terms[a as usize..b as usize];
        let Some((&first, rest)) = terms.split_first() else { return found };
        // Most phrases are absent: a missing first term costs a probe.
        let mut any = false;
        self.for_each_occurrence(first, |_, _| {
            any = true;
            false
        });
        if !any {
            return found;
        }
        let mut steps = std::mem::take(&mut self.s.steps);
        let mut bounds = std::mem::take(&mut self.s.bounds);
        steps.clear();
        bounds.clear();
        bounds.push(0);
        for &t in rest {
            self.for_each_occurrence(t, |_, o| {
                steps.push(o);
                true
            });
            let start = bounds[bounds.len() - 1];
            if steps.len() == start || self.fuel.is_exhausted() {
                (self.s.steps, self.s.bounds) = (steps, bounds);
                return found;
            }
            steps[start..].sort_unstable_by_key(|o| (o.field, o.from));
            bounds.push(steps.len());
        }
        let mut paths = std::mem::take(&mut self.s.paths);
        let mut next = std::mem::take(&mut self.s.next);
        self.for_each_occurrence(first, |eval, o| {
            paths.clear();
            paths.push(PathEnd { field: o.field, to: o.to, end: o.end, hi: o.ord });
            for k in 0..rest.len() {
                let level = &steps[bounds[k]..bounds[k + 1]];
                next.clear();
                for p in &paths {
                    let i = level.partition_point(|s| (s.field, s.from) < (p.field, p.to));
                    for s in level[i..].iter().take_while(|s| s.field == p.field && s.from == p.to)
                    {
                        if !eval.fuel.burn(1) {
                            return false;
                        }
                        next.push(PathEnd {
                            field: p.field,
                            to: s.to,
                            end: p.end.max(s.end),
                            hi: p.hi.max(s.ord),
                        });
                    }
                }
                if next.len() > 1 {
                    // Parallel edges (a token and an overlay of the same form) would
                    // otherwise double the paths at every step.
                    next.sort_unstable();
                    next.dedup();
                }
                std::mem::swap(&mut paths, &mut next);
                if paths.is_empty() {
                    return true;
                }
            }
            for p in &paths {
                found.push(PhraseMatch {
                    field: o.field,
                    lo: o.ord,
                    hi: p.hi,
                    start: o.start,
                    end: p.end,
                });
                if first_only {
                    return false;
                }
            }
            true
        });
        (self.s.steps, self.s.bounds, self.s.paths, self.s.next) = (steps, bounds, paths, next);
        found
    }

    fn leaf(&mut self, span: Span) -> u32 {
        self.s.leaves.push(span);
        self.s.nodes.push((self.s.leaves.len() as u32 - 1, LEAF));
        self.s.nodes.len() as u32 - 1
    }

    /// Appends the positioned matches of a term, phrase, OR-group or proximity op to
    /// `found`.
    fn intervals(&mut self, op: u32, found: &mut Vec<Interval>) {
        if !self.fuel.burn(1) {
            return;
        }
        match self.program.ops[op as usize] {
            Op::Term(i) => {
                let t = self.term(i);
                self.for_each_occurrence(t, |eval, o| {
                    let node = eval.leaf(Span {
                        field: o.field as usize,
                        start: o.start as usize,
                        end: o.end as usize,
                        label: Label(t.label),
                    });
                    found.push(Interval { field: o.field, lo: o.ord, hi: o.ord, node });
                    true
                });
            }
            Op::Phrase(a, b) => {
                let label = Label(self.term(a).label);
                let paths = self.phrase_paths(a, b, false);
                for m in &paths {
                    let node = self.leaf(Span {
                        field: m.field as usize,
                        start: m.start as usize,
                        end: m.end as usize,
                        label,
                    });
                    found.push(Interval { field: m.field, lo: m.lo, hi: m.hi, node });
                }
                self.s.found = paths;
            }
            Op::Or(a, b) => {
                for k in a..b {
                    self.intervals(self.program.kids[k as usize], found);
                }
            }
            Op::Near(i) => self.near(i, found, None),
            Op::And(..) | Op::Not(_) | Op::Source(_) | Op::Lang(_) => {}
        }
    }

    /// Appends the widest matches of proximity op `i` to `found` (see [`pair_up`]); with
    /// `sides`, also the node of every match of either side that has a partner, which is
    /// what a match highlights.
    fn near(&mut self, i: u32, found: &mut Vec<Interval>, sides: Option<&mut Vec<u32>>) {
        let n = self.program.nears[i as usize];
        let (mut l, mut r) = (Vec::new(), Vec::new());
        self.intervals(n.left, &mut l);
        if l.is_empty() {
            return;
        }
        self.intervals(n.right, &mut r);
        // Sorting and pairing cost a few steps for every match of either side.
        if r.is_empty() || !self.fuel.burn((l.len() + r.len()) as u64) {
            return;
        }
        let mut pairs = Vec::new();
        pair_up(&mut l, &mut r, n.distance, n.ordered, &mut pairs, sides);
        if !self.fuel.burn(pairs.len() as u64) {
            return;
        }
        widest(&mut pairs);
        for p in pairs {
            self.s.nodes.push((p.left, p.right));
            let node = self.s.nodes.len() as u32 - 1;
            found.push(Interval { field: p.field, lo: p.lo, hi: p.hi, node });
        }
    }

    /// Appends the spans of the leaves under `roots`, visiting each node once: proximity
    /// matches share their sides' nodes, and walking the shared parts again for each would
    /// cost as much as pairing everything.
    fn collect_spans(&mut self, roots: &[u32], out: &mut Vec<Span>) {
        let mut seen = vec![0u64; self.s.nodes.len().div_ceil(64)];
        let mut stack = roots.to_vec();
        while let Some(n) = stack.pop() {
            let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
            if seen[word] & bit != 0 {
                continue;
            }
            seen[word] |= bit;
            if !self.fuel.burn(1) {
                return;
            }
            match self.s.nodes[n as usize] {
                (leaf, LEAF) => out.push(self.s.leaves[leaf as usize]),
                (left, right) => stack.extend([right, left]),
            }
        }
    }
}

/// Pairs the matches of the two sides of a proximity op (at most `distance` syllables
/// between them; with `ordered`, the left one first) into `pairs`, and with `sides` lists
/// the nodes of every match that has a partner.
///
/// Pairing every match with every partner costs the product of their numbers, and nesting
/// proximity compounds it. What a proximity match is used for only needs the *widest*
/// ones (see [`widest`]): a side of an enclosing `NEAR` is within reach of something when
/// its span is, and a wider span reaches further. So each match of either side is paired
/// only with the partner within reach that ends last; every qualifying pair's span lies
/// inside one of those (if it ends on the partner's side, inside the pair of its own match;
/// otherwise inside its partner's pair), so the widest of these are the widest of all.
/// Sorting the sides is the dominant cost.
fn pair_up(
    l: &mut [Interval],
    r: &mut [Interval],
    distance: u32,
    ordered: bool,
    pairs: &mut Vec<Pair>,
    mut sides: Option<&mut Vec<u32>>,
) {
    // A partner starting at most `reach` ordinals after a match ends is within distance.
    let reach = u64::from(distance) + 1;
    if ordered {
        l.sort_unstable_by_key(|x| (x.field, x.hi, x.lo, x.node));
    } else {
        l.sort_unstable_by_key(|x| (x.field, x.lo, x.hi, x.node));
    }
    r.sort_unstable_by_key(|x| (x.field, x.lo, x.hi, x.node));
    let mut at = 0;
    while let Some(first) = l.get(at) {
        let field = first.field;
        let end = at + l[at..].partition_point(|x| x.field == field);
        let r_start = r.partition_point(|x| x.field < field);
        let r_end = r_start + r[r_start..].partition_point(|x| x.field == field);
        let (lf, rf) = (&l[at..end], &r[r_start..r_end]);
        if !rf.is_empty() {
            if ordered {
                pair_in_order(lf, rf, reach, pairs, sides.as_deref_mut());
            } else {
                pair_either_way(lf, rf, reach, false, pairs, sides.as_deref_mut());
                pair_either_way(rf, lf, reach, true, pairs, sides.as_deref_mut());
            }
        }
        at = end;
    }
}

/// Unordered proximity in one field, from the side of `anchors` (sorted by start): each
/// is paired with the partner within reach that ends last. Of the partners that start no
/// later than `reach` after an anchor ends, the one ending last is within reach if any is.
/// `swapped` says the anchors are the right side.
fn pair_either_way(
    anchors: &[Interval],
    partners: &[Interval],
    reach: u64,
    swapped: bool,
    pairs: &mut Vec<Pair>,
    mut sides: Option<&mut Vec<u32>>,
) {
    // `last[j]`: the index of the partner ending last among `partners[..=j]`.
    let mut last = Vec::with_capacity(partners.len());
    let mut best = 0;
    for (j, p) in partners.iter().enumerate() {
        if p.hi > partners[best].hi {
            best = j;
        }
        last.push(best);
    }
    for a in anchors {
        let starts_in_reach =
            partners.partition_point(|b| u64::from(b.lo) <= u64::from(a.hi) + reach);
        let Some(&j) = starts_in_reach.checked_sub(1).and_then(|k| last.get(k)) else {
            continue;
        };
        let b = partners[j];
        if u64::from(b.hi) + reach < u64::from(a.lo) {
            continue;
        }
        let (left, right) = if swapped { (b.node, a.node) } else { (a.node, b.node) };
        pairs.push(Pair { field: a.field, lo: a.lo.min(b.lo), hi: a.hi.max(b.hi), left, right });
        if let Some(s) = sides.as_deref_mut() {
            s.extend([a.node, b.node]);
        }
    }
}

/// Ordered proximity in one field: `l` sorted by end, `r` by start. The right matches
/// starting after a left match ends and within reach form a window that only moves
/// forward as the left match's end does; a queue keeps the one in it that ends last.
fn pair_in_order(
    l: &[Interval],
    r: &[Interval],
    reach: u64,
    pairs: &mut Vec<Pair>,
    sides: Option<&mut Vec<u32>>,
) {
    let mut sides = sides;
    let mut queue: Vec<usize> = Vec::new();
    let (mut head, mut start, mut end) = (0, 0, 0);
    for a in l {
        let a_end = u64::from(a.hi);
        while let Some(b) = r.get(end).filter(|b| u64::from(b.lo) <= a_end + reach) {
            while queue.len() > head && queue.last().is_some_and(|&q| r[q].hi <= b.hi) {
                queue.pop();
            }
            queue.push(end);
            end += 1;
        }
        while start < end && u64::from(r[start].lo) <= a_end {
            start += 1;
        }
        while queue.get(head).is_some_and(|&q| q < start) {
            head += 1;
        }
        if let Some(&j) = queue.get(head) {
            let b = r[j];
            pairs.push(Pair { field: a.field, lo: a.lo, hi: b.hi, left: a.node, right: b.node });
            if let Some(s) = sides.as_deref_mut() {
                s.extend([a.node, b.node]);
            }
        }
    }
    let Some(sides) = sides else { return };
    // A right match has a partner when the first left match ending no more than `reach`
    // before its start ends before it.
    let mut i = 0;
    for b in r {
        while l.get(i).is_some_and(|a| u64::from(a.hi) + reach < u64::from(b.lo)) {
            i += 1;
        }
        if let Some(a) = l.get(i).filter(|a| a.hi < b.lo) {
            sides.extend([a.node, b.node]);
        }
    }
}

/// Keeps, field by field, the pairs whose span no other pair's span contains (one pair per
/// span): the widest matches, what a proximity op passes to its parent. They are at most
/// one per start ordinal, so nesting never multiplies them.
fn widest(pairs: &mut Vec<Pair>) {
    pairs.sort_unstable_by_key(|p| (p.field, p.lo, std::cmp::Reverse(p.hi), p.left, p.right));
    let mut furthest: Option<(u32, u32)> = None;
    pairs.retain(|p| {
        let keep = furthest.is_none_or(|(field, hi)| field != p.field || p.hi > hi);
        if keep {
            furthest = Some((p.field, p.hi));
        }
        keep
    });
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
    fn accented_terms_find_the_same_syllables_typed_without_diacritics() {
        let post = "Be nha toi bi sot xuat huyet roi. Bé bị sốt cao, sót lại ca mổ.";
        assert_eq!(run("\"sốt xuất huyết\"", "", post).unwrap(), ["sot xuat huyet"]);
        assert_eq!(run("sốt", "", post).unwrap(), ["sot", "sốt"]);
        // In accented text the diacritics still decide (typed bare, `sot` may be `sót` as
        // well), and `=` asks for them everywhere.
        assert_eq!(run("sót", "", post).unwrap(), ["sot", "sót"]);
        assert!(run("=sốt", "", "bi sot xuat huyet roi").is_none());
        assert!(run("cá", "", "Có 3 ca mắc mới").is_none());
        assert_eq!(run("cá", "", "toi an ca kho").unwrap(), ["ca"]);
        // A phrase may mix the two kinds of terms; the title is judged on its own.
        assert_eq!(run("\"sốt xuat\"", "bi sot xuat huyet roi", "").unwrap(), ["sot xuat"]);
        assert!(run("\"sốt xuất\"", "Sot xuat", "").is_none(), "too short to tell");
        assert_eq!(run("sốt NEAR/2 huyết", "", post).unwrap(), ["sot", "huyet"]);
        // Alternatives of a bare sentence are compared bare too, whatever their spelling.
        let body = vi_text::display("mn oi ko dc di kham");
        let tokens = vi_text::tokenize(&body);
        let over = overlays(&body, &tokens);
        let hit = |q: &str| {
            evaluate(&parse(q).unwrap(), &[(&[], &[]), (&tokens, &over)], "", "").map(|spans| {
                spans.iter().map(|(s, _)| body[s.start..s.end].to_owned()).collect::<Vec<_>>()
            })
        };
        assert_eq!(hit("\"không được đi khám\"").unwrap(), ["ko dc di kham"]);
        assert_eq!(hit("\"mọi người ơi\"").unwrap(), ["mn oi"]);
        assert_eq!(hit("khống").unwrap(), ["ko"]);
        assert!(hit("=khám").is_none());
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

    /// Intervals from (field, start, length) triples, numbered as nodes.
    fn intervals_of(raw: &[(u32, u32, u32)], first_node: u32) -> Vec<Interval> {
        raw.iter()
            .zip(first_node..)
            .map(|(&(field, lo, len), node)| Interval { field, lo, hi: lo + len, node })
            .collect()
    }

    fn qualifies(a: &Interval, b: &Interval, distance: u32, ordered: bool) -> bool {
        let d = i64::from(distance);
        let (alo, ahi, blo, bhi) =
            (i64::from(a.lo), i64::from(a.hi), i64::from(b.lo), i64::from(b.hi));
        a.field == b.field
            && if ordered {
                ahi < blo && blo - ahi - 1 <= d
            } else {
                (ahi < blo && blo - ahi - 1 <= d)
                    || (bhi < alo && alo - bhi - 1 <= d)
                    || (ahi >= blo && bhi >= alo)
            }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        #[test]
        fn pairing_the_furthest_reaching_partner_finds_the_widest_of_all_pairs(
            l in proptest::collection::vec((0..2u32, 0..40u32, 0..12u32), 0..14),
            r in proptest::collection::vec((0..2u32, 0..40u32, 0..12u32), 0..14),
            distance in 0..8u32,
            ordered in proptest::bool::ANY,
        ) {
            let (l, r) = (intervals_of(&l, 0), intervals_of(&r, 100));
            let mut all = Vec::new();
            let mut partnered = std::collections::BTreeSet::new();
            for a in &l {
                for b in r.iter().filter(|b| qualifies(a, b, distance, ordered)) {
                    all.push((a.field, a.lo.min(b.lo), a.hi.max(b.hi)));
                    partnered.extend([a.node, b.node]);
                }
            }
            let want: std::collections::BTreeSet<_> = all
                .iter()
                .filter(|&&(f, lo, hi)| {
                    !all.iter().any(|&(g, x, y)| g == f && x <= lo && y >= hi && (x, y) != (lo, hi))
                })
                .copied()
                .collect();
            let (mut lm, mut rm) = (l.clone(), r.clone());
            let (mut pairs, mut sides) = (Vec::new(), Vec::new());
            pair_up(&mut lm, &mut rm, distance, ordered, &mut pairs, Some(&mut sides));
            widest(&mut pairs);
            let got: Vec<(u32, u32, u32)> = pairs.iter().map(|p| (p.field, p.lo, p.hi)).collect();
            // One pair per span, and each made of two matches that qualify.
            let spans: std::collections::BTreeSet<_> = got.iter().copied().collect();
            proptest::prop_assert_eq!(spans, want);
            proptest::prop_assert_eq!(got.len(), pairs.len());
            for p in &pairs {
                let (a, b) = (&l[p.left as usize], &r[(p.right - 100) as usize]);
                proptest::prop_assert!(qualifies(a, b, distance, ordered));
                proptest::prop_assert_eq!((p.lo, p.hi), (a.lo.min(b.lo), a.hi.max(b.hi)));
            }
            let sides: std::collections::BTreeSet<u32> = sides.into_iter().collect();
            proptest::prop_assert_eq!(sides, partnered);
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
