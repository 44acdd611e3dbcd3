//! Queries compiled for evaluation in bulk: every syllable interned once in a vocabulary,
//! every query a few flat records, so a hundred thousand standing queries cost little memory
//! and a document's tokens are compared by number instead of by text.

use std::sync::Arc;

use vi_text::Token;

use crate::eval::{Overlay, TokenKeys};
use crate::hash::{KeyMap, key};
use crate::{Expr, Scope, Term};

/// No id: a syllable outside the vocabulary, a missing node.
pub const NONE: u32 = u32::MAX;

/// Distinct strings, each with a dense id, stored end to end in one buffer.
#[derive(Debug, Clone, Default)]
struct Interner {
    text: String,
    /// String `i` is `text[ends[i - 1]..ends[i]]`.
    ends: Vec<u32>,
    /// Key of the first string with each [`key`]; `same` chains the others (64-bit keys
    /// almost never collide, but lookups must be exact).
    first: KeyMap<u64, u32>,
    same: Vec<u32>,
}

impl Interner {
    fn get(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn find(&self, k: u64, s: &[u8]) -> u32 {
        let mut at = self.first.get(&k).copied().unwrap_or(NONE);
        while at != NONE {
            if self.get(at).as_bytes() == s {
                return at;
            }
            at = self.same[at as usize];
        }
        NONE
    }

    fn intern(&mut self, s: &str) -> u32 {
        let k = key(s);
        let found = self.find(k, s.as_bytes());
        if found != NONE {
            return found;
        }
        let id = self.ends.len() as u32;
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
        let before = self.first.insert(k, id).unwrap_or(NONE);
        self.same.push(before);
        id
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn shrink(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.first.shrink_to_fit();
        self.same.shrink_to_fit();
    }
}

/// Syllables up to this many bytes are kept in their lookup slot (every Vietnamese
/// syllable fits).
const INLINE: usize = 15;
/// The length of a slot holding a longer syllable.
const LONG: u8 = u8::MAX;

/// A slot of the vocabulary's lookup table: a syllable's key, id, the id of its fold form
/// and (when short) its bytes, in 32 bytes, so a lookup reads one cache line.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: u64,
    sid: u32,
    fold: u32,
    len: u8,
    bytes: [u8; INLINE],
}

const EMPTY: Slot = Slot { key: 0, sid: NONE, fold: NONE, len: 0, bytes: [0; INLINE] };

/// Open addressing over [`Slot`]s by key, at most half full, probing linearly.
#[derive(Debug, Clone, Default)]
struct Lookup {
    slots: Vec<Slot>,
}

impl Lookup {
    fn new(vocab: &Interner, fold_of: &[u32]) -> Lookup {
        let size = (vocab.len() * 2).next_power_of_two().max(16);
        let mut slots = vec![EMPTY; size];
        for sid in 0..vocab.len() as u32 {
            let text = vocab.get(sid).as_bytes();
            let k = key(vocab.get(sid));
            let fold = fold_of.get(sid as usize).copied().unwrap_or(NONE);
            let mut slot = Slot { key: k, sid, fold, len: LONG, bytes: [0; INLINE] };
            if text.len() <= INLINE {
                slot.len = text.len() as u8;
                slot.bytes[..text.len()].copy_from_slice(text);
            }
            let mut i = k as usize & (size - 1);
            while slots[i].sid != NONE {
                i = (i + 1) & (size - 1);
            }
            slots[i] = slot;
        }
        Lookup { slots }
    }

    /// The id of the syllable and of its fold form, or [`NONE`]s.
    #[inline]
    fn find(&self, vocab: &Interner, k: u64, syllable: &[u8]) -> Sids {
        const ABSENT: Sids = Sids { matched: NONE, folded: NONE };
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = k as usize & mask;
        while let Some(slot) = self.slots.get(i) {
            if slot.sid == NONE {
                return ABSENT;
            }
            if slot.key == k {
                let len = usize::from(slot.len);
                // A byte loop: syllables are a few bytes, less than a call to `memcmp`.
                let same = if slot.len == LONG {
                    vocab.get(slot.sid).as_bytes() == syllable
                } else {
                    len == syllable.len()
                        && slot.bytes[..len].iter().zip(syllable).all(|(a, b)| a == b)
                };
                if same {
                    return Sids { matched: slot.sid, folded: slot.fold };
                }
            }
            i = (i + 1) & mask;
        }
        ABSENT
    }
}

/// A token's syllable ids: its match form and its fold form in a program's vocabulary, or
/// [`NONE`] when no query asks for that form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sids {
    /// Id of the match form.
    pub matched: u32,
    /// Id of the fold form.
    pub folded: u32,
}

impl Sids {
    /// The code a term looks for in one form: the id and the form in one number, as the
    /// document index files occurrences and [`CodeSet`] holds them.
    #[inline]
    pub fn code(self, folded: bool) -> u32 {
        let sid = if folded { self.folded } else { self.matched };
        if sid == NONE { NONE } else { Sids::code_of(sid, folded) }
    }

    /// The code of syllable `sid` looked for in the fold form or in the match form.
    #[inline]
    pub fn code_of(sid: u32, folded: bool) -> u32 {
        sid * 2 + u32::from(folded)
    }
}

/// A set of term codes ([`Sids::code`]), one bit each.
#[derive(Debug, Clone, Default)]
pub struct CodeSet {
    bits: Vec<u64>,
    len: usize,
}

impl CodeSet {
    /// An empty set for the codes of a program.
    pub fn for_program(program: &Program) -> CodeSet {
        CodeSet::for_codes(program.codes())
    }

    /// An empty set for codes below `codes`.
    pub fn for_codes(codes: usize) -> CodeSet {
        CodeSet { bits: vec![0; codes.div_ceil(64)], len: 0 }
    }

    /// Adds a code.
    #[inline]
    pub fn insert(&mut self, code: u32) {
        if let Some(w) = self.bits.get_mut((code / 64) as usize) {
            self.len += usize::from(*w & (1 << (code % 64)) == 0);
            *w |= 1 << (code % 64);
        }
    }

    /// Number of codes in the set.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the code was added.
    #[inline]
    pub fn contains(&self, code: u32) -> bool {
        self.bits.get((code / 64) as usize).is_some_and(|w| w & (1 << (code % 64)) != 0)
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.bits.capacity() * 8
    }
}

/// One step of a compiled query.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    /// `terms[i]`.
    Term(u32),
    /// `terms[a..b]`, consecutive.
    Phrase(u32, u32),
    /// Every op of `kids[a..b]`.
    And(u32, u32),
    /// Any op of `kids[a..b]`.
    Or(u32, u32),
    /// Not the op.
    Not(u32),
    /// `nears[i]`.
    Near(u32),
    /// A source-name string.
    Source(u32),
    /// A language-code string.
    Lang(u32),
}

/// A compiled term: its syllable, the form it is looked for in, the label of its spans and
/// the field it must occur in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TermOp {
    pub(crate) sid: u32,
    /// The term as written; for the first term of a phrase, the whole phrase as written
    /// (a phrase's spans carry the phrase's label, the other terms' labels are not used).
    pub(crate) label: u32,
    pub(crate) folded: bool,
    pub(crate) scope: Scope,
}

impl TermOp {
    pub(crate) fn code(self) -> u32 {
        Sids::code_of(self.sid, self.folded)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct NearOp {
    pub(crate) left: u32,
    pub(crate) right: u32,
    pub(crate) distance: u32,
    pub(crate) ordered: bool,
}

/// A compiled query of a [`Program`]: the op it starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query(pub(crate) u32);

/// What a span matched, as written in the query: a term or a phrase. [`Program::label`]
/// gives the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(pub(crate) u32);

/// Many queries compiled together: one vocabulary of the syllables they look for and flat
/// op arrays. Build with [`Program::compile`] for each query, then [`Program::finish`].
#[derive(Debug, Clone, Default)]
pub struct Program {
    vocab: Interner,
    /// Finding a syllable reads one slot, which also holds the id of its fold form, so a
    /// token whose match form is known needs no second lookup (built by `finish`).
    lookup: Option<Lookup>,
    /// Terms as written, phrases' labels, `source:` and `lang:` values.
    strings: Interner,
    /// The same strings, shared, for hits to hold without copying (built by `finish`).
    shared: Vec<Arc<str>>,
    pub(crate) ops: Vec<Op>,
    pub(crate) kids: Vec<u32>,
    pub(crate) terms: Vec<TermOp>,
    pub(crate) nears: Vec<NearOp>,
}

impl Program {
    /// An empty program.
    pub fn new() -> Program {
        Program::default()
    }

    /// A program of one query.
    pub fn single(expr: &Expr) -> (Program, Query) {
        let mut p = Program::new();
        let q = p.compile(expr);
        p.finish();
        (p, q)
    }

    /// Compiles a query; its syllables join the vocabulary.
    pub fn compile(&mut self, expr: &Expr) -> Query {
        Query(self.op(expr))
    }

    fn op(&mut self, expr: &Expr) -> u32 {
        let op = match expr {
            Expr::Term(t) => Op::Term(self.term(t)),
            Expr::Phrase(ts) => {
                let start = self.terms.len() as u32;
                for t in ts {
                    self.term(t);
                }
                let words: Vec<&str> = ts.iter().map(|t| t.original.as_str()).collect();
                let label = self.strings.intern(&words.join(" "));
                if let Some(first) = self.terms.get_mut(start as usize) {
                    first.label = label;
                }
                Op::Phrase(start, self.terms.len() as u32)
            }
            Expr::And(xs) | Expr::Or(xs) => {
                let children: Vec<u32> = xs.iter().map(|x| self.op(x)).collect();
                let start = self.kids.len() as u32;
                self.kids.extend(children);
                let end = self.kids.len() as u32;
                if matches!(expr, Expr::And(_)) { Op::And(start, end) } else { Op::Or(start, end) }
            }
            Expr::Not(x) => Op::Not(self.op(x)),
            Expr::Near { left, right, distance, ordered } => {
                let (left, right) = (self.op(left), self.op(right));
                self.nears.push(NearOp {
                    left,
                    right,
                    distance: u32::try_from(*distance).unwrap_or(u32::MAX),
                    ordered: *ordered,
                });
                Op::Near(self.nears.len() as u32 - 1)
            }
            Expr::Source(s) => Op::Source(self.strings.intern(s)),
            Expr::Lang(l) => Op::Lang(self.strings.intern(l)),
        };
        self.ops.push(op);
        self.ops.len() as u32 - 1
    }

    fn term(&mut self, t: &Term) -> u32 {
        let sid = self.vocab.intern(&t.text);
        let label = self.strings.intern(&t.original);
        self.terms.push(TermOp { sid, label, folded: t.folded, scope: t.scope });
        self.terms.len() as u32 - 1
    }

    /// Adds a syllable to the vocabulary without a query (for literals looked for in a
    /// form no term names, such as the fold form of an accented phrase); its id.
    pub fn intern(&mut self, syllable: &str) -> u32 {
        self.vocab.intern(syllable)
    }

    /// Done compiling: the vocabulary's lookups are built and spare room returned.
    pub fn finish(&mut self) {
        self.shared =
            (0..self.strings.len() as u32).map(|i| Arc::from(self.strings.get(i))).collect();
        let fold_of: Vec<u32> = (0..self.vocab.len() as u32)
            .map(|sid| {
                let folded = vi_text::fold_str(self.vocab.get(sid));
                self.vocab.find(key(&folded), folded.as_bytes())
            })
            .collect();
        self.lookup = Some(Lookup::new(&self.vocab, &fold_of));
        self.vocab.shrink();
        self.strings.shrink();
        self.ops.shrink_to_fit();
        self.kids.shrink_to_fit();
        self.terms.shrink_to_fit();
        self.nears.shrink_to_fit();
    }

    /// Number of distinct syllables in the vocabulary.
    pub fn syllables(&self) -> usize {
        self.vocab.len()
    }

    /// Every code is below this.
    pub fn codes(&self) -> usize {
        self.vocab.len() * 2
    }

    /// Id of a syllable in the vocabulary, or [`NONE`]; `k` is its [`key`].
    #[inline]
    pub fn sid(&self, k: u64, syllable: &str) -> u32 {
        self.sid_of_bytes(k, syllable.as_bytes())
    }

    #[inline]
    fn sid_of_bytes(&self, k: u64, syllable: &[u8]) -> u32 {
        self.sids_of_bytes(k, syllable).matched
    }

    /// The id of a syllable and of its fold form.
    #[inline]
    fn sids_of_bytes(&self, k: u64, syllable: &[u8]) -> Sids {
        match &self.lookup {
            Some(lookup) => lookup.find(&self.vocab, k, syllable),
            // Before `finish` there is no fold-form table.
            None => Sids { matched: self.vocab.find(k, syllable), folded: NONE },
        }
    }

    /// The syllable with this id.
    pub fn syllable(&self, sid: u32) -> &str {
        self.vocab.get(sid)
    }

    /// The ids of tokens whose keys are computed.
    pub fn token_sids(&self, tokens: &[Token], keys: &[TokenKeys]) -> Vec<Sids> {
        self.sids_of(
            keys.iter().zip(tokens).map(|(&k, t)| (k, t.matched.as_bytes(), t.folded.as_bytes())),
        )
    }

    /// The ids of tokens given as their keys and the bytes of their match form and fold
    /// form (the forms may be slices of one buffer, which reads faster than a string per
    /// token).
    pub fn sids_of<'t>(
        &self,
        tokens: impl Iterator<Item = (TokenKeys, &'t [u8], &'t [u8])>,
    ) -> Vec<Sids> {
        tokens
            .map(|(k, matched_form, folded_form)| {
                let found = self.sids_of_bytes(k.matched, matched_form);
                let matched = found.matched;
                let folded = if matched != NONE {
                    found.folded
                } else if folded_form.len() == matched_form.len() {
                    // Folding only ever shortens a syllable: at the same length the fold
                    // form is the match form, which is not in the vocabulary.
                    matched
                } else {
                    self.sid_of_bytes(k.folded, folded_form)
                };
                Sids { matched, folded }
            })
            .collect()
    }

    /// The ids of overlays.
    pub fn overlay_sids(&self, overlays: &[Overlay]) -> Vec<Sids> {
        overlays
            .iter()
            .map(|o| Sids {
                matched: self.sid(o.keys.matched, &o.matched),
                folded: self.sid(o.keys.folded, &o.folded),
            })
            .collect()
    }

    /// The code of every term of `query`, negated ones included: what a document index
    /// must hold for the query to be evaluated on it.
    pub fn codes_of(&self, query: Query, out: &mut Vec<u32>) {
        let mut stack = vec![query.0];
        while let Some(op) = stack.pop() {
            match self.ops[op as usize] {
                Op::Term(i) => out.push(self.terms[i as usize].code()),
                Op::Phrase(a, b) => {
                    out.extend(self.terms[a as usize..b as usize].iter().map(|t| t.code()));
                }
                Op::And(a, b) | Op::Or(a, b) => {
                    stack.extend_from_slice(&self.kids[a as usize..b as usize]);
                }
                Op::Not(x) => stack.push(x),
                Op::Near(i) => {
                    let n = self.nears[i as usize];
                    stack.extend([n.left, n.right]);
                }
                Op::Source(_) | Op::Lang(_) => {}
            }
        }
    }

    pub(crate) fn string(&self, id: u32) -> &str {
        self.strings.get(id)
    }

    /// The term or phrase a span matched, as written.
    pub fn label(&self, label: Label) -> &str {
        self.strings.get(label.0)
    }

    /// [`Program::label`], shared: cloning it copies no text.
    pub fn shared_label(&self, label: Label) -> Arc<str> {
        match self.shared.get(label.0 as usize) {
            Some(s) => Arc::clone(s),
            None => Arc::from(self.label(label)),
        }
    }

    /// Bytes held, roughly (for measurements).
    pub fn heap_bytes(&self) -> usize {
        let interner = |i: &Interner| {
            i.text.capacity()
                + i.ends.capacity() * 4
                + i.same.capacity() * 4
                + i.first.capacity() * 13
        };
        interner(&self.vocab)
            + interner(&self.strings)
            + self.lookup.as_ref().map_or(0, |l| l.slots.capacity() * std::mem::size_of::<Slot>())
            + self.shared.iter().map(|s| s.len() + 32).sum::<usize>()
            + self.ops.capacity() * std::mem::size_of::<Op>()
            + self.kids.capacity() * 4
            + self.terms.capacity() * std::mem::size_of::<TermOp>()
            + self.nears.capacity() * std::mem::size_of::<NearOp>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn syllables_are_interned_once_and_found_exactly() {
        let mut p = Program::new();
        p.compile(&parse("\"sốt xuất huyết\" sốt -xuất").unwrap());
        p.compile(&parse("sot OR title:huyết").unwrap());
        p.finish();
        assert_eq!(p.syllables(), 4);
        let sid = |s: &str| p.sid(key(s), s);
        assert_eq!(p.syllable(sid("huyết")), "huyết");
        assert_eq!(sid("sot"), 3);
        assert_eq!(sid("sôt"), NONE);
        let tokens = vi_text::tokenize("Sốt cao");
        let sids = p.token_sids(&tokens, &TokenKeys::of(&tokens));
        assert_eq!(sids[0], Sids { matched: 0, folded: 3 });
        assert_eq!((sids[1].matched, sids[1].folded), (NONE, NONE));
        assert_eq!((sids[0].code(false), sids[0].code(true), sids[1].code(true)), (0, 7, NONE));
    }

    #[test]
    fn long_syllables_are_compared_in_full() {
        // Longer than a lookup slot holds: compared against the vocabulary's text.
        let long = "methylprednisolone";
        assert!(long.len() > INLINE);
        let mut p = Program::new();
        p.compile(&parse(&format!("{long} OR sốt")).unwrap());
        p.finish();
        let sid = |s: &str| p.sid(key(s), s);
        assert_eq!(p.syllable(sid(long)), long);
        assert_eq!(sid("methylprednisolona"), NONE);
        let tokens = vi_text::tokenize("Methylprednisolone, sốt");
        let sids = p.token_sids(&tokens, &TokenKeys::of(&tokens));
        assert_eq!(sids[0].matched, sid(long));
        // Without diacritics the fold form is the match form.
        assert_eq!(sids[0].folded, sids[0].matched);
        assert_eq!((sids[1].matched, sids[1].folded), (sid("sốt"), NONE));
    }

    #[test]
    fn codes_of_a_query_include_negated_terms() {
        let mut p = Program::new();
        let a = p.compile(&parse("(sốt OR ho) NEAR/3 cúm -\"xuất huyết\"").unwrap());
        let b = p.compile(&parse("sot source:vnexpress").unwrap());
        p.finish();
        let mut codes = Vec::new();
        p.codes_of(a, &mut codes);
        codes.sort_unstable();
        let want: Vec<u32> =
            ["sốt", "ho", "xuất", "huyết", "cúm"].iter().map(|s| p.sid(key(s), s) * 2).collect();
        let mut want = want;
        want[1] += 1; // `ho` has no diacritic: it is looked for in the fold form.
        want.sort_unstable();
        assert_eq!(codes, want);
        codes.clear();
        p.codes_of(b, &mut codes);
        assert_eq!(codes, [p.sid(key("sot"), "sot") * 2 + 1]);
        let mut set = CodeSet::for_program(&p);
        set.insert(codes[0]);
        assert!(set.contains(codes[0]) && !set.contains(0) && !set.contains(NONE));
    }
}
