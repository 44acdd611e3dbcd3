//! The presearcher: every rule's literals in one syllable trie, so only rules that can
//! possibly match a document are evaluated in full.
//!
//! A rule's positive part is reduced to clauses of literals (a term, or a whole phrase as
//! one literal) such that any match of the rule contains a literal of every clause: an AND
//! contributes the clauses of each side, an OR one clause joining one clause of each side.
//! Each rule is filed under the literals of its rarest clause; a document proposes the rules
//! filed under the literals it contains, and a proposed rule is a candidate only when every
//! other clause has a literal in the document too (Lucene Monitor's multipass idea, without
//! its index).
//!
//! Literals are sequences of syllables, and documents are already sequences of syllables,
//! so the trie steps on syllable codes of the rule set's vocabulary instead of bytes: each
//! token's codes are looked up once per document (the same codes then index it for the
//! full evaluation), the first syllable of a literal is found by indexing an array and a
//! phrase is followed only where its first syllable is. Alternatives from the views (teencode, de-obfuscation) are
//! edges of the token graph beside the tokens; the few paths through them (starting at an
//! alternative or on the tokens just before one) are walked separately, so they cost
//! nothing on text without any. Accent-tolerant terms also file their rules under a bare
//! literal, the fold form read only in sentences typed without diacritics; tokens of
//! accented sentences are never read bare, so those literals cost nothing on news.

use std::collections::HashMap;

use query::{
    CodeSet, Expr, FastMap, Field, KeyFilter, KeyMap, NONE, Program, Reading, Sids, TokenKeys,
};
use vi_text::Token;

/// A literal to look for: syllables separated by single spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Literal {
    /// In the match form of the tokens.
    Match(String),
    /// In the fold form of the tokens.
    Fold(String),
    /// In the fold form of the tokens of sentences typed without diacritics (and of the
    /// alternatives laid over them): where accent-tolerant terms also match.
    Bare(String),
}

impl Literal {
    fn cost(&self) -> f64 {
        // Longer literals are rarer; folded ones match more spellings. Bare ones only occur
        // in text typed without diacritics, a small part of what is read: rules are filed
        // as if they were not there.
        match self {
            Literal::Match(s) => 1.0 / s.len().max(1) as f64,
            Literal::Fold(s) => 2.0 / s.len().max(1) as f64,
            Literal::Bare(_) => 0.0,
        }
    }

    fn text_and_reading(&self) -> (&str, Reading) {
        match self {
            Literal::Match(t) => (t, Reading::Match),
            Literal::Fold(t) => (t, Reading::Fold),
            Literal::Bare(t) => (t, Reading::Bare),
        }
    }
}

/// Clauses beyond the anchor that are checked per proposed rule; more cost memory and
/// time for little extra selectivity.
const MAX_CLAUSES: usize = 4;

fn cost(clause: &[Literal]) -> f64 {
    clause.iter().map(Literal::cost).sum()
}

/// Clauses such that every match of `expr` contains a literal of each; `None` when there is
/// none (the rule must then always be evaluated).
///
/// An accent-tolerant term or phrase matches in one of two ways: in an accented sentence
/// on the match form, in a sentence typed without diacritics on the fold form of
/// occurrences read bare (there every occurrence is, the alternatives too, and a syllable
/// that matches exactly also folds to the term's fold form). A phrase never spans two
/// sentences, so its match is one of the two literals.
fn clauses(expr: &Expr) -> Option<Vec<Vec<Literal>>> {
    let folded = |ts: &[&query::Term]| {
        ts.iter().map(|t| vi_text::fold_str(&t.text)).collect::<Vec<_>>().join(" ")
    };
    match expr {
        Expr::Term(t) if t.folded => Some(vec![vec![Literal::Fold(t.text.clone())]]),
        Expr::Term(t) if t.tolerant => Some(vec![vec![
            Literal::Match(t.text.clone()),
            Literal::Bare(vi_text::fold_str(&t.text)),
        ]]),
        Expr::Term(t) => Some(vec![vec![Literal::Match(t.text.clone())]]),
        Expr::Phrase(ts) => {
            let ts: Vec<&query::Term> = ts.iter().collect();
            if ts.iter().any(|t| t.folded) {
                return Some(vec![vec![Literal::Fold(folded(&ts))]]);
            }
            let exact = ts.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
            let mut clause = vec![Literal::Match(exact)];
            if ts.iter().any(|t| t.tolerant) {
                clause.push(Literal::Bare(folded(&ts)));
            }
            Some(vec![clause])
        }
        Expr::Near { left, right, .. } => all_of([left.as_ref(), right.as_ref()]),
        Expr::And(xs) => all_of(xs.iter()),
        Expr::Or(xs) => {
            let mut joined = Vec::new();
            for x in xs {
                let best = clauses(x)?.into_iter().min_by(|a, b| cost(a).total_cmp(&cost(b)))?;
                joined.extend(best);
            }
            joined.sort();
            joined.dedup();
            Some(vec![joined])
        }
        Expr::Not(_) | Expr::Source(_) | Expr::Lang(_) => None,
    }
}

fn all_of<'a>(xs: impl IntoIterator<Item = &'a Expr>) -> Option<Vec<Vec<Literal>>> {
    let mut all: Vec<Vec<Literal>> = xs.into_iter().filter_map(clauses).flatten().collect();
    if all.is_empty() {
        return None;
    }
    all.sort_by(|a, b| cost(a).total_cmp(&cost(b)));
    all.truncate(MAX_CLAUSES);
    Some(all)
}

/// The literals as a trie over syllable codes ([`query::Sids::code`]; the code says the
/// form too), laid out breadth first: the children of node `n` are the nodes
/// `nodes[n].first_child..nodes[n + 1].first_child`, sorted by the code of the edge into
/// them, so a step is a binary search in a few entries, and most syllables that continue
/// no literal are turned away by one bit of the node's mask before any search.
///
/// `BARE` tries hold the bare literals and read only the tokens and alternatives of
/// sentences typed without diacritics, in [`Reading::Bare`]; the others hold the match and
/// fold literals and read every token in both of those readings. Being two types, each
/// has its own compiled loops: the ones accented text runs carry nothing of the bare
/// reading.
#[derive(Debug, Clone, Default)]
struct Trie<const BARE: bool> {
    /// One bit per code whose first-level node is not empty, and one per code whose
    /// first-level node ends a literal: a few kilobytes that stay in the nearest cache.
    starts: CodeSet,
    single: CodeSet,
    /// The (first code, second code) pairs that begin a literal: with the bits above, most
    /// tokens of a text are turned away before any node is read.
    pairs: KeyFilter,
    /// Every node, and one more whose `first_child` ends the last node's children. The
    /// first level is node `c` for code `c` (empty when no literal starts with it).
    nodes: Vec<Node>,
    /// Per node, the code of the edge into it.
    code: Vec<u32>,
    /// The children of nodes with many, by (node, code): one probe instead of a long
    /// binary search (a first syllable such as `bệnh` starts hundreds of phrases).
    wide: KeyMap<u64, u32>,
    /// Syllables of the longest literal.
    depth: usize,
    /// While building: (parent or [`NONE`], code) to node, and each node's literal.
    edges: FastMap<(u32, u32), u32>,
    ends: Vec<u32>,
}

impl<const BARE: bool> Trie<BARE> {
    fn insert(&mut self, codes: &[u32], literal: u32) {
        let mut node = NONE;
        for &c in codes {
            let fresh = self.ends.len() as u32;
            node = *self.edges.entry((node, c)).or_insert(fresh);
            if node == fresh {
                self.ends.push(NONE);
            }
        }
        if let Some(end) = self.ends.get_mut(node as usize) {
            *end = literal;
        }
        self.depth = self.depth.max(codes.len());
    }

    /// Lays the trie out breadth first for `codes` possible codes.
    #[allow(clippy::cast_possible_truncation)]
    fn finish(&mut self, codes: usize) {
        self.wide = KeyMap::default();
        let mut edges: Vec<(u32, u32, u32)> =
            std::mem::take(&mut self.edges).into_iter().map(|((p, c), n)| (p, c, n)).collect();
        // Parents in build order, `NONE` (the root) last; children by code.
        edges.sort_unstable();
        let children = |parent: u32| {
            let lo = edges.partition_point(|e| e.0 < parent);
            let hi = edges.partition_point(|e| e.0 <= parent);
            &edges[lo..hi]
        };
        // `order[new id]` is the build id. The first level is numbered by code, so that a
        // token's code is its node: one memory access, not a lookup and then the node.
        let mut order: Vec<u32> = vec![NONE; codes];
        let mut code: Vec<u32> = (0..codes as u32).collect();
        for &(_, c, n) in children(NONE) {
            order[c as usize] = n;
        }
        let mut first_child = Vec::with_capacity(order.len() + self.ends.len() + 1);
        let mut i = 0;
        while i < order.len() {
            first_child.push(order.len() as u32);
            if order[i] != NONE {
                for &(_, c, n) in children(order[i]) {
                    order.push(n);
                    code.push(c);
                }
            }
            i += 1;
        }
        first_child.push(order.len() as u32);
        for (n, pair) in first_child.windows(2).enumerate() {
            if pair[1] - pair[0] > WIDE {
                for child in pair[0]..pair[1] {
                    self.wide.insert(step_key(n as u32, code[child as usize]), child);
                }
            }
        }
        self.nodes = first_child
            .iter()
            .enumerate()
            .map(|(n, &first)| {
                let end = first_child.get(n + 1).copied().unwrap_or(first);
                let mask =
                    code[first as usize..end as usize].iter().fold(0, |m, &c| m | child_bit(c));
                let literal = match order.get(n) {
                    Some(&b) if b != NONE => self.ends[b as usize],
                    _ => NONE,
                };
                Node { mask, first_child: first, literal }
            })
            .collect();
        self.starts = CodeSet::for_codes(codes);
        self.single = CodeSet::for_codes(codes);
        for (c, n) in self.nodes.iter().enumerate().take(codes) {
            if n.literal != NONE || n.mask != 0 {
                self.starts.insert(c as u32);
            }
            if n.literal != NONE {
                self.single.insert(c as u32);
            }
        }
        let second_level = self.nodes.get(codes).map_or(0, |n| n.first_child) as usize;
        self.pairs = KeyFilter::with_capacity(second_level.saturating_sub(codes));
        for c in 0..codes {
            let (lo, hi) = (self.nodes[c].first_child, self.nodes[c + 1].first_child);
            for child in lo..hi {
                self.pairs.insert(step_key(c as u32, code[child as usize]));
            }
        }
        self.code = code;
        self.ends = Vec::new();
    }

    #[inline]
    fn child(&self, node: u32, c: u32) -> u32 {
        if node == NONE {
            return if self.starts.contains(c) { c } else { NONE };
        }
        let n = &self.nodes[node as usize];
        if n.mask & child_bit(c) == 0 {
            return NONE;
        }
        let (lo, hi) = (n.first_child as usize, self.nodes[node as usize + 1].first_child as usize);
        if hi - lo > WIDE as usize {
            return self.wide.get(&step_key(node, c)).copied().unwrap_or(NONE);
        }
        match self.code[lo..hi].binary_search(&c) {
            Ok(i) => (lo + i) as u32,
            Err(_) => NONE,
        }
    }

    /// Marks every literal that occurs in the tokens (consecutive positions only), in the
    /// trie's readings.
    fn scan(&self, sids: &[Sids], keys: &[TokenKeys], present: &mut Present) {
        if self.code.is_empty() {
            return;
        }
        for i in 0..sids.len() {
            let follows = keys.get(i + 1).is_some_and(|k| k.follows);
            if BARE {
                if keys[i].bare {
                    self.scan_from(i, Reading::Bare, follows, sids, keys, present);
                }
            } else {
                // Written out, so that each reading's code is computed without a branch.
                self.scan_from(i, Reading::Match, follows, sids, keys, present);
                self.scan_from(i, Reading::Fold, follows, sids, keys, present);
            }
        }
    }

    /// Marks the literals that start on token `i` in one reading.
    #[inline(always)]
    fn scan_from(
        &self,
        i: usize,
        reading: Reading,
        follows: bool,
        sids: &[Sids],
        keys: &[TokenKeys],
        present: &mut Present,
    ) {
        let c = sids[i].code(reading);
        // Two bit tests in small tables decide for most tokens: whether a literal is the
        // syllable alone, and whether any literal goes on with the next one.
        if self.single.contains(c) {
            present.mark(self.nodes[c as usize].literal);
        }
        if !follows || !self.starts.contains(c) {
            return;
        }
        let next = sids[i + 1].code(reading);
        if next != NONE && self.pairs.may_contain(step_key(c, next)) {
            self.walk(self.child(c, next), i + 1, sids, keys, reading, present);
        }
    }

    /// Follows the tokens after `j` from node `n` (reached on token `j`), marking the
    /// literals that end on the way.
    #[inline(always)]
    fn walk(
        &self,
        mut n: u32,
        mut j: usize,
        sids: &[Sids],
        keys: &[TokenKeys],
        reading: Reading,
        present: &mut Present,
    ) {
        while n != NONE {
            let node = &self.nodes[n as usize];
            if node.literal != NONE {
                present.mark(node.literal);
            }
            j += 1;
            if node.mask == 0 || j >= sids.len() || !keys[j].follows {
                break;
            }
            let c = sids[j].code(reading);
            if c == NONE {
                break;
            }
            n = self.child(n, c);
        }
    }

    /// Marks the literals on paths through the alternatives laid over the tokens, in the
    /// trie's readings: paths that start at an alternative or on one of the tokens just
    /// before it, and follow tokens and alternatives alike (the token graph of
    /// [`query::Overlay`]).
    fn scan_overlays(&self, field: &Field<'_>, present: &mut Present) {
        if self.code.is_empty() {
            return;
        }
        let spots = field.spots;
        let mut starts: Vec<usize> = Vec::new();
        for o in field.overlays {
            starts.push(o.from);
            if let Ok(i) = spots.binary_search_by_key(&o.from, |t| t.position as usize) {
                for back in 1..self.depth {
                    let Some(j) = i.checked_sub(back) else { break };
                    starts.push(spots[j].position as usize);
                }
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let graph = Graph::new(field);
        let mut stack: Vec<(usize, u32)> = Vec::new();
        let readings: &[Reading] =
            if BARE { &[Reading::Bare] } else { &[Reading::Match, Reading::Fold] };
        for &reading in readings {
            stack.extend(starts.iter().map(|&n| (n, NONE)));
            while let Some((at, node)) = stack.pop() {
                graph.edges_from(at, reading, |to, c| {
                    let next = self.child(node, c);
                    if next != NONE {
                        let literal = self.nodes[next as usize].literal;
                        if literal != NONE {
                            present.mark(literal);
                        }
                        stack.push((to, next));
                    }
                });
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        self.code.capacity() * 4
            + self.starts.heap_bytes()
            + self.single.heap_bytes()
            + self.pairs.heap_bytes()
            + self.wide.capacity() * 13
            + self.nodes.capacity() * std::mem::size_of::<Node>()
    }
}

/// A trie node: one bit per child syllable (of 64, by code), where its children start and
/// the literal ending at it or [`NONE`].
#[derive(Debug, Clone, Copy)]
struct Node {
    mask: u64,
    first_child: u32,
    literal: u32,
}

/// Marks a bare literal in a clause's list of literal ids.
const BARE_LITERAL: u32 = 1 << 31;

/// Nodes with more children than this find them in [`Trie::wide`].
const WIDE: u32 = 8;

#[inline]
fn step_key(node: u32, code: u32) -> u64 {
    // Every bit of the key depends on both numbers: maps and filters index by low bits.
    let mut x = (u64::from(node) << 32 | u64::from(code)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 29;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^ (x >> 32)
}

#[inline]
fn child_bit(code: u32) -> u64 {
    1 << (u64::from(code).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58)
}

/// A field's token graph: token `t` runs from node `t.position` to the next, an
/// alternative from its `from` node to its `to` node.
struct Graph<'a> {
    field: &'a Field<'a>,
    /// The overlays' indexes by the node they start at.
    by_from: Vec<(usize, u32)>,
}

impl<'a> Graph<'a> {
    fn new(field: &'a Field<'a>) -> Graph<'a> {
        let mut by_from: Vec<(usize, u32)> =
            field.overlays.iter().enumerate().map(|(i, o)| (o.from, i as u32)).collect();
        by_from.sort_unstable();
        Graph { field, by_from }
    }

    /// The edges leaving node `at`, with their codes in one reading.
    fn edges_from(&self, at: usize, reading: Reading, mut edge: impl FnMut(usize, u32)) {
        let f = self.field;
        if let Ok(i) = f.spots.binary_search_by_key(&at, |t| t.position as usize) {
            let c = f.sids[i].code(reading);
            if c != NONE {
                edge(at + 1, c);
            }
        }
        let first = self.by_from.partition_point(|&(from, _)| from < at);
        for &(_, o) in self.by_from[first..].iter().take_while(|&&(from, _)| from == at) {
            let c = f.overlay_sids[o as usize].code(reading);
            if c != NONE {
                edge(f.overlays[o as usize].to, c);
            }
        }
    }
}

/// The literals found in one document: a bit per literal and the list of those set.
#[derive(Debug, Default)]
struct Present {
    bits: Vec<u64>,
    list: Vec<u32>,
}

impl Present {
    fn new(literals: usize) -> Present {
        Present { bits: vec![0; literals.div_ceil(64)], list: Vec::new() }
    }

    #[inline]
    fn mark(&mut self, literal: u32) {
        let (word, bit) = ((literal / 64) as usize, literal % 64);
        if self.bits[word] & (1 << bit) == 0 {
            self.bits[word] |= 1 << bit;
            self.list.push(literal);
        }
    }

    #[inline]
    fn has(&self, literal: u32) -> bool {
        self.bits[(literal / 64) as usize] & (1 << (literal % 64)) != 0
    }
}

/// Rule candidates for documents: built once per rule set.
#[derive(Clone, Default)]
pub(crate) struct Presearcher {
    /// Match and fold literals.
    trie: Trie<false>,
    /// Bare literals, apart: accented text, which never reads them, walks a trie without
    /// their nodes.
    bare: Trie<true>,
    /// Distinct literals while building.
    ids: HashMap<Literal, u32>,
    literals: usize,
    /// The rules filed under literal `l` (their anchor clause contains it) are
    /// `filed[filed_bounds[l]..filed_bounds[l + 1]]`; while building, (literal, rule) pairs.
    filed_bounds: Vec<u32>,
    filed: Vec<u32>,
    pairs: Vec<(u32, u32)>,
    /// Every clause's literals, clause after clause, rule after rule; bare literals last in
    /// their clause and marked with [`BARE_LITERAL`].
    clause_literals: Vec<u32>,
    /// Clause `c` is `clause_literals[clause_bounds[c]..clause_bounds[c + 1]]`.
    clause_bounds: Vec<u32>,
    /// Rule `r`'s clauses are `rule_bounds[r]..rule_bounds[r + 1]`, its anchor first.
    rule_bounds: Vec<u32>,
    /// Rules without a required literal (for example only `source:` and a negation).
    always: Vec<u32>,
}

impl std::fmt::Debug for Presearcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presearcher")
            .field("literals", &self.literals)
            .field("always", &self.always.len())
            .finish_non_exhaustive()
    }
}

impl Presearcher {
    pub(crate) fn new() -> Presearcher {
        Presearcher { clause_bounds: vec![0], rule_bounds: vec![0], ..Presearcher::default() }
    }

    /// Adds the next rule; the syllables of its literals join the program's vocabulary.
    pub(crate) fn add(&mut self, expr: &Expr, program: &mut Program) {
        let rule = (self.rule_bounds.len() - 1) as u32;
        let clauses = clauses(expr);
        if clauses.is_none() {
            self.always.push(rule);
        }
        for (c, mut clause) in clauses.into_iter().flatten().enumerate() {
            // Bare literals last: a document without any text typed bare stops before them.
            clause.sort_by_key(|l| matches!(l, Literal::Bare(_)));
            for literal in clause {
                let bare = matches!(literal, Literal::Bare(_));
                let id = match self.ids.get(&literal) {
                    Some(&id) => id,
                    None => {
                        let id = self.literals as u32;
                        self.literals += 1;
                        let (text, reading) = literal.text_and_reading();
                        let codes: Vec<u32> = text
                            .split(' ')
                            .map(|s| Sids::code_of(program.intern(s), reading))
                            .collect();
                        if bare {
                            self.bare.insert(&codes, id);
                        } else {
                            self.trie.insert(&codes, id);
                        }
                        self.ids.insert(literal, id);
                        id
                    }
                };
                // The first clause is the cheapest: the rule is filed under it.
                if c == 0 {
                    self.pairs.push((id, rule));
                }
                self.clause_literals.push(if bare { id | BARE_LITERAL } else { id });
            }
            self.clause_bounds.push(self.clause_literals.len() as u32);
        }
        self.rule_bounds.push(self.clause_bounds.len() as u32 - 1);
    }

    /// Done adding rules; `codes` bounds the codes of the program's vocabulary.
    pub(crate) fn finish(&mut self, codes: usize) {
        self.trie.finish(codes);
        self.bare.finish(codes);
        self.ids = HashMap::new();
        let mut pairs = std::mem::take(&mut self.pairs);
        pairs.sort_unstable();
        pairs.dedup();
        self.filed_bounds = Vec::with_capacity(self.literals + 1);
        self.filed = pairs.iter().map(|p| p.1).collect();
        let mut at = 0;
        for l in 0..=self.literals as u32 {
            self.filed_bounds.push(at as u32);
            while at < pairs.len() && pairs[at].0 == l {
                at += 1;
            }
        }
        self.clause_literals.shrink_to_fit();
        self.clause_bounds.shrink_to_fit();
        self.rule_bounds.shrink_to_fit();
        self.always.shrink_to_fit();
    }

    /// Number of distinct literals in the trie.
    pub(crate) fn literals(&self) -> usize {
        self.literals
    }

    /// The rules that may match, ascending. `fields` are the document's fields with the
    /// keys of their tokens and whether any of them is read bare.
    pub(crate) fn candidates(&self, fields: &[(Field<'_>, &[TokenKeys], bool)]) -> Vec<u32> {
        let mut present = Present::new(self.literals);
        let mut bare = false;
        for &(ref field, keys, bare_field) in fields {
            self.trie.scan(field.sids, keys, &mut present);
            if bare_field {
                self.bare.scan(field.sids, keys, &mut present);
            }
            if !field.overlays.is_empty() {
                self.trie.scan_overlays(field, &mut present);
                if bare_field {
                    self.bare.scan_overlays(field, &mut present);
                }
            }
            bare |= bare_field;
        }
        let mut out = self.always.clone();
        for &literal in &present.list {
            let l = literal as usize;
            let filed =
                &self.filed[self.filed_bounds[l] as usize..self.filed_bounds[l + 1] as usize];
            for &rule in filed {
                if self.clauses_hold(rule, &present, bare) {
                    out.push(rule);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether every clause of the rule after its anchor has a literal in the document;
    /// `bare` says whether the document has text typed without diacritics, without which
    /// no bare literal can be present.
    fn clauses_hold(&self, rule: u32, present: &Present, bare: bool) -> bool {
        let r = rule as usize;
        (self.rule_bounds[r] + 1..self.rule_bounds[r + 1]).all(|c| {
            let c = c as usize;
            let (a, b) = (self.clause_bounds[c] as usize, self.clause_bounds[c + 1] as usize);
            let literals = &self.clause_literals[a..b];
            if bare {
                literals.iter().any(|&l| present.has(l & !BARE_LITERAL))
            } else {
                literals.iter().take_while(|&&l| l & BARE_LITERAL == 0).any(|&l| present.has(l))
            }
        })
    }

    /// Bytes held, roughly (for measurements).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.trie.heap_bytes()
            + self.bare.heap_bytes()
            + (self.filed_bounds.capacity()
                + self.filed.capacity()
                + self.clause_literals.capacity()
                + self.clause_bounds.capacity()
                + self.rule_bounds.capacity()
                + self.always.capacity())
                * 4
    }
}

/// A document's syllables as byte streams, one space between consecutive positions and a
/// line break across sentence gaps, in match form and in fold form: what a byte automaton
/// over the same literals reads (the benchmark's peer scans these).
#[derive(Debug, Clone, Default)]
pub(crate) struct Streams {
    pub(crate) matched: String,
    pub(crate) folded: String,
    /// Where each token (of every field, in order) is in `matched` and in `folded`: start
    /// and end in each, so finding its ids reads these and the streams, not the tokens.
    at: Vec<[u32; 4]>,
}

impl Streams {
    /// The match forms of tokens `range` (counted over every field, in order).
    pub(crate) fn forms(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = &str> {
        self.at[range].iter().map(|a| &self.matched[a[0] as usize..a[1] as usize])
    }

    /// The fold forms of tokens `range` (counted over every field, in order).
    pub(crate) fn folded_forms(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = &str> {
        self.at[range].iter().map(|a| &self.folded[a[2] as usize..a[3] as usize])
    }

    /// Lays out the tokens of each field; fields are separated like sentences.
    pub(crate) fn new(fields: &[&[Token]]) -> Streams {
        let len: usize = fields.iter().flat_map(|f| f.iter()).map(|t| t.matched.len() + 1).sum();
        let mut s = Streams {
            matched: String::with_capacity(len),
            folded: String::with_capacity(len),
            at: Vec::with_capacity(fields.iter().map(|f| f.len()).sum()),
        };
        for tokens in fields {
            let mut prev: Option<usize> = None;
            for t in tokens.iter() {
                if !s.matched.is_empty() {
                    let sep = if prev == Some(t.position.wrapping_sub(1)) { ' ' } else { '\n' };
                    s.matched.push(sep);
                    s.folded.push(sep);
                }
                let (m, f) = (s.matched.len() as u32, s.folded.len() as u32);
                s.matched.push_str(&t.matched);
                s.folded.push_str(&t.folded);
                s.at.push([m, s.matched.len() as u32, f, s.folded.len() as u32]);
                prev = Some(t.position);
            }
            if !s.matched.is_empty() && !s.matched.ends_with('\n') {
                s.matched.push('\n');
                s.folded.push('\n');
            }
        }
        s
    }

    /// The ids of the tokens of one field, `first` being the index of its first token
    /// among all the fields' tokens. The forms are read from the streams, one buffer each,
    /// instead of a string per token.
    pub(crate) fn sids(&self, program: &Program, keys: &[TokenKeys], first: usize) -> Vec<Sids> {
        let at = &self.at[first..first + keys.len()];
        let (matched, folded) = (self.matched.as_bytes(), self.folded.as_bytes());
        program.sids_of(keys.iter().zip(at).map(|(&k, &[m0, m1, f0, f1])| {
            (k, &matched[m0 as usize..m1 as usize], &folded[f0 as usize..f1 as usize])
        }))
    }
}
