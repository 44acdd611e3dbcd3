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
    fn find(&self, vocab: &Interner, k: u64, syllable: &[u8]) -> (u32, u32) {
        const ABSENT: (u32, u32) = (NONE, NONE);
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
                    return (slot.sid, slot.fold);
                }
            }
            i = (i + 1) & mask;
        }
        ABSENT
    }
}

/// How an occurrence is compared with a term: the three ways a document files it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Its match form: accented and strict (`=`) terms.
    Match = 0,
    /// Its fold form: terms written without diacritics.
    Fold = 1,
    /// Its fold form, only where the document is typed without diacritics (the occurrence
    /// is in an unaccented sentence): accent-tolerant terms ([`crate::Term::tolerant`]).
    Bare = 2,
}

impl Reading {
    /// The three readings, in code order.
    pub const ALL: [Reading; 3] = [Reading::Match, Reading::Fold, Reading::Bare];
}

/// A token's syllable ids: its match form and its fold form in a program's vocabulary, or
/// [`NONE`] when no query asks for that form, and whether it is read bare (it is in a
/// sentence typed without diacritics, and filed under [`Reading::Bare`] too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sids {
    matched: u32,
    folded: u32,
    bare: bool,
}

impl Sids {
    /// The ids of an occurrence, read bare or not. An occurrence without a fold-form id has
    /// no bare reading either.
    #[inline]
    pub fn new(matched: u32, folded: u32, bare: bool) -> Sids {
        Sids { matched, folded, bare }
    }

    /// Id of the match form, or [`NONE`].
    #[inline]
    pub fn matched(self) -> u32 {
        self.matched
    }

    /// Id of the fold form, or [`NONE`].
    #[inline]
    pub fn folded(self) -> u32 {
        self.folded
    }

    /// Whether the occurrence is read bare (when it has a fold-form id).
    #[inline]
    pub fn bare(self) -> bool {
        self.bare && self.folded != NONE
    }

    /// The code a term looks for in one reading: the id and the reading in one number, as
    /// the document index files occurrences and [`CodeSet`] holds them; [`NONE`] when the
    /// occurrence has none (no id, or [`Reading::Bare`] of an accented sentence).
    #[inline(always)]
    pub fn code(self, reading: Reading) -> u32 {
        let sid = match reading {
            Reading::Match => self.matched,
            Reading::Fold => self.folded,
            Reading::Bare if self.bare => self.folded,
            Reading::Bare => NONE,
        };
        if sid == NONE { NONE } else { Sids::code_of(sid, reading) }
    }

    /// The code of syllable `sid` in a reading.
    #[inline]
    pub fn code_of(sid: u32, reading: Reading) -> u32 {
        sid * 3 + reading as u32
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
/// the field it must occur in; for an accent-tolerant term, also its fold form, looked for
/// where the document is typed without diacritics.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TermOp {
    pub(crate) sid: u32,
    /// The fold form's id for an accent-tolerant term, else [`NONE`].
    pub(crate) bare: u32,
    /// The term as written; for the first term of a phrase, the whole phrase as written
    /// (a phrase's spans carry the phrase's label, the other terms' labels are not used).
    pub(crate) label: u32,
    pub(crate) folded: bool,
    pub(crate) scope: Scope,
}

impl TermOp {
    pub(crate) fn code(self) -> u32 {
        Sids::code_of(self.sid, if self.folded { Reading::Fold } else { Reading::Match })
    }

    /// The code of the fold form read bare, or [`NONE`] for a term that is not tolerant.
    pub(crate) fn bare_code(self) -> u32 {
        if self.bare == NONE { NONE } else { Sids::code_of(self.bare, Reading::Bare) }
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
        let bare = if t.tolerant { self.vocab.intern(&vi_text::fold_str(&t.text)) } else { NONE };
        let label = self.strings.intern(&t.original);
        self.terms.push(TermOp { sid, bare, label, folded: t.folded, scope: t.scope });
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
        self.vocab.len() * 3
    }

    /// Id of a syllable in the vocabulary, or [`NONE`]; `k` is its [`key`].
    #[inline]
    pub fn sid(&self, k: u64, syllable: &str) -> u32 {
        self.sid_of_bytes(k, syllable.as_bytes())
    }

    #[inline]
    fn sid_of_bytes(&self, k: u64, syllable: &[u8]) -> u32 {
        self.sids_of_bytes(k, syllable).0
    }

    /// The id of a syllable and of its fold form.
    #[inline]
    fn sids_of_bytes(&self, k: u64, syllable: &[u8]) -> (u32, u32) {
        match &self.lookup {
            Some(lookup) => lookup.find(&self.vocab, k, syllable),
            // Before `finish` there is no fold-form table.
            None => (self.vocab.find(k, syllable), NONE),
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
                let (matched, found_fold) = self.sids_of_bytes(k.matched, matched_form);
                let folded = if matched != NONE {
                    found_fold
                } else if folded_form.len() == matched_form.len() {
                    // Folding only ever shortens a syllable: at the same length the fold
                    // form is the match form, which is not in the vocabulary.
                    matched
                } else {
                    self.sid_of_bytes(k.folded, folded_form)
                };
                Sids::new(matched, folded, k.bare)
            })
            .collect()
    }

    /// The ids of overlays.
    pub fn overlay_sids(&self, overlays: &[Overlay]) -> Vec<Sids> {
        overlays
            .iter()
            .map(|o| {
                Sids::new(
                    self.sid(o.keys.matched, &o.matched),
                    self.sid(o.keys.folded, &o.folded),
                    o.unaccented,
                )
            })
            .collect()
    }

    /// The code of every term of `query`, negated ones included: what a document index
    /// must hold for the query to be evaluated on it.
    pub fn codes_of(&self, query: Query, out: &mut Vec<u32>) {
        let mut stack = vec![query.0];
        while let Some(op) = stack.pop() {
            match self.ops[op as usize] {
                Op::Term(i) => push_codes(self.terms[i as usize], out),
                Op::Phrase(a, b) => {
                    for &t in &self.terms[a as usize..b as usize] {
                        push_codes(t, out);
                    }
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

/// The codes a term looks for.
fn push_codes(t: TermOp, out: &mut Vec<u32>) {
    out.push(t.code());
    if t.bare != NONE {
        out.push(t.bare_code());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn syllables_are_interned_once_and_found_exactly() {
        let mut p = Program::new();
        p.compile(&parse("\"sốt xuất huyết\" =sốt -xuất").unwrap());
        p.compile(&parse("sot OR title:=huyết").unwrap());
        p.finish();
        // Each accent-tolerant syllable brings its fold form: `sot`, `xuat`, `huyet`.
        assert_eq!(p.syllables(), 6);
        let sid = |s: &str| p.sid(key(s), s);
        assert_eq!(p.syllable(sid("huyết")), "huyết");
        assert_eq!(sid("sot"), 1);
        assert_eq!(sid("sôt"), NONE);
        let tokens = vi_text::tokenize("Sốt cao");
        let sids = p.token_sids(&tokens, &TokenKeys::of(&tokens));
        assert_eq!(sids[0], Sids::new(0, 1, false));
        assert_eq!((sids[1].matched(), sids[1].folded()), (NONE, NONE));
        let codes = |s: Sids| Reading::ALL.map(|r| s.code(r));
        assert_eq!(codes(sids[0]), [0, 4, NONE]);
        assert_eq!(codes(sids[1]), [NONE; 3]);
        // Typed without diacritics, `sot` is read bare too.
        let tokens = vi_text::tokenize("con bi sot cao");
        let sids = p.token_sids(&tokens, &TokenKeys::of(&tokens));
        assert_eq!(sids[2], Sids::new(1, 1, true));
        assert!(sids[2].bare() && sids[2].folded() == 1);
        assert_eq!(codes(sids[2]), [3, 4, 5]);
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
        assert_eq!(sids[0].matched(), sid(long));
        // Without diacritics the fold form is the match form.
        assert_eq!(sids[0].folded(), sids[0].matched());
        assert_eq!((sids[1].matched(), sids[1].folded()), (sid("sốt"), sid("sot")));
    }

    #[test]
    fn codes_of_a_query_include_negated_terms() {
        let mut p = Program::new();
        let a = p.compile(&parse("(sốt OR ho) NEAR/3 =cúm -\"xuất huyết\"").unwrap());
        let b = p.compile(&parse("sot source:vnexpress").unwrap());
        p.finish();
        let mut codes = Vec::new();
        p.codes_of(a, &mut codes);
        codes.sort_unstable();
        let code = |s: &str, r: Reading| Sids::code_of(p.sid(key(s), s), r);
        // `ho` has no diacritic: it is looked for in the fold form; the accented terms
        // but `=cúm` are also looked for bare.
        let mut want = vec![code("ho", Reading::Fold), code("cúm", Reading::Match)];
        for s in ["sốt", "xuất", "huyết"] {
            want.push(code(s, Reading::Match));
            want.push(code(&vi_text::fold_str(s), Reading::Bare));
        }
        want.sort_unstable();
        assert_eq!(codes, want);
        codes.clear();
        p.codes_of(b, &mut codes);
        assert_eq!(codes, [code("sot", Reading::Fold)]);
        let mut set = CodeSet::for_program(&p);
        set.insert(codes[0]);
        assert!(set.contains(codes[0]) && !set.contains(0) && !set.contains(NONE));
    }
}
