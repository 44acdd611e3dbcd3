//! The presearcher: every rule's literals in one syllable trie per form, so only rules that
//! can possibly match a document are evaluated in full.
//!
//! A rule's positive part is reduced to clauses of literals (a term, or a whole phrase as
//! one literal) such that any match of the rule contains a literal of every clause: an AND
//! contributes the clauses of each side, an OR one clause joining one clause of each side.
//! Each rule is filed under the literals of its rarest clause; a document proposes the rules
//! filed under the literals it contains, and a proposed rule is a candidate only when every
//! other clause has a literal in the document too (Lucene Monitor's multipass idea, without
//! its index).
//!
//! Literals are sequences of syllables, and documents are already sequences of syllables
//! with a [`query::key`] per token computed when they are analysed, so the tries step on
//! keys instead of bytes: one map lookup per token and form, a phrase followed only where
//! its first syllable is. Keys that collide only propose more rules, never fewer; the full
//! evaluation compares text. Alternatives from the views (teencode, de-obfuscation) are
//! edges of the token graph beside the tokens; the few paths through them (starting at an
//! alternative or on the tokens just before one) are walked separately, so they cost
//! nothing on text without any.

use query::{Expr, KeyFilter, KeyMap, Overlay, TokenKeys, key};
use vi_text::Token;

/// A literal to look for: syllables separated by single spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Literal {
    /// In the match form of the tokens.
    Match(String),
    /// In the fold form of the tokens.
    Fold(String),
}

impl Literal {
    fn cost(&self) -> f64 {
        // Longer literals are rarer; folded ones match more spellings.
        match self {
            Literal::Match(s) => 1.0 / s.len().max(1) as f64,
            Literal::Fold(s) => 2.0 / s.len().max(1) as f64,
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
fn clauses(expr: &Expr) -> Option<Vec<Vec<Literal>>> {
    match expr {
        Expr::Term(t) => Some(vec![vec![if t.folded {
            Literal::Fold(t.text.clone())
        } else {
            Literal::Match(t.text.clone())
        }]]),
        Expr::Phrase(ts) => Some(vec![vec![if ts.iter().any(|t| t.folded) {
            let folded: Vec<String> = ts.iter().map(|t| vi_text::fold_str(&t.text)).collect();
            Literal::Fold(folded.join(" "))
        } else {
            Literal::Match(ts.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" "))
        }]]),
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

const NONE: u32 = u32::MAX;

/// One form's literals as a trie over syllable keys.
#[derive(Debug, Clone, Default)]
struct Trie {
    /// First syllable to node.
    first: KeyMap<u64, Node>,
    /// The keys of `first`, to turn away most other syllables with one bit test.
    starts: Option<KeyFilter>,
    /// (node, next syllable) to node.
    step: KeyMap<(u32, u64), Node>,
    /// Per node, where it is filed: (parent or [`NONE`], syllable key). Only while
    /// building.
    at: Vec<(u32, u64)>,
    /// Syllables of the longest literal.
    depth: usize,
}

/// A trie node, kept in the map slot that leads to it so a step costs one memory access:
/// its id, the literal ending there or [`NONE`], and one bit per child syllable (of 64, by
/// key), so that most syllables that follow no literal's prefix are turned away without a
/// lookup in `step`.
#[derive(Debug, Clone, Copy)]
struct Node {
    id: u32,
    literal: u32,
    children: u64,
}

#[inline]
fn child_bit(k: u64) -> u64 {
    1 << (k >> 58)
}

impl Trie {
    fn insert(&mut self, syllables: &[&str], literal: u32) {
        let mut node = NONE;
        for (i, s) in syllables.iter().enumerate() {
            let k = key(s);
            let fresh = Node { id: self.at.len() as u32, literal: NONE, children: 0 };
            let child = if i == 0 {
                self.first.entry(k).or_insert(fresh).id
            } else {
                self.step.entry((node, k)).or_insert(fresh).id
            };
            if child == fresh.id {
                self.at.push((node, k));
            }
            if let Some(parent) = self.node_mut(node) {
                parent.children |= child_bit(k);
            }
            node = child;
        }
        if let Some(n) = self.node_mut(node) {
            n.literal = literal;
        }
        self.depth = self.depth.max(syllables.len());
    }

    fn node_mut(&mut self, id: u32) -> Option<&mut Node> {
        let &(parent, k) = self.at.get(id as usize)?;
        if parent == NONE { self.first.get_mut(&k) } else { self.step.get_mut(&(parent, k)) }
    }

    fn finish(&mut self) {
        let mut starts = KeyFilter::with_capacity(self.first.len());
        for &k in self.first.keys() {
            starts.insert(k);
        }
        self.starts = Some(starts);
        self.at = Vec::new();
        self.first.shrink_to_fit();
        self.step.shrink_to_fit();
    }

    fn child(&self, node: u32, k: u64) -> Option<Node> {
        if node == NONE { self.first.get(&k) } else { self.step.get(&(node, k)) }.copied()
    }

    /// Marks the literals on paths through the alternatives laid over the tokens: paths
    /// that start at an alternative or on one of the tokens just before it, and follow
    /// tokens and alternatives alike (the token graph of [`query::Overlay`]).
    fn scan_overlays(
        &self,
        tokens: &[Token],
        keys: &[TokenKeys],
        overlays: &[Overlay],
        folded: bool,
        present: &mut Present,
    ) {
        if self.first.is_empty() {
            return;
        }
        let overlay_keys: Vec<u64> =
            overlays.iter().map(|o| key(if folded { &o.folded } else { &o.matched })).collect();
        let mut starts: Vec<usize> = Vec::new();
        for o in overlays {
            starts.push(o.from);
            if let Ok(i) = tokens.binary_search_by_key(&o.from, |t| t.position) {
                for back in 1..self.depth {
                    let Some(j) = i.checked_sub(back) else { break };
                    starts.push(tokens[j].position);
                }
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let graph = Graph { tokens, keys, folded, overlays, overlay_keys: &overlay_keys };
        let mut stack: Vec<(usize, u32)> = starts.into_iter().map(|n| (n, NONE)).collect();
        while let Some((at, node)) = stack.pop() {
            graph.edges_from(at, |to, k| {
                if let Some(next) = self.child(node, k) {
                    if next.literal != NONE {
                        present.mark(next.literal);
                    }
                    stack.push((to, next.id));
                }
            });
        }
    }

    /// Marks every literal that occurs in the tokens (consecutive positions only).
    fn scan(&self, keys: &[TokenKeys], folded: bool, present: &mut Present) {
        let Some(starts) = self.starts.as_ref().filter(|_| !self.first.is_empty()) else {
            return;
        };
        let form = |k: &TokenKeys| if folded { k.folded } else { k.matched };
        for (i, k) in keys.iter().enumerate() {
            let k = form(k);
            if !starts.may_contain(k) {
                continue;
            }
            let Some(&start) = self.first.get(&k) else { continue };
            let mut n = start;
            let mut j = i;
            loop {
                if n.literal != NONE {
                    present.mark(n.literal);
                }
                let Some(next) = keys.get(j + 1) else { break };
                let k = form(next);
                if n.children & child_bit(k) == 0 || !next.follows {
                    break;
                }
                match self.step.get(&(n.id, k)) {
                    Some(&child) => n = child,
                    None => break,
                }
                j += 1;
            }
        }
    }
}

/// A field's token graph: token `t` runs from node `t.position` to the next, an
/// alternative from its `from` node to its `to` node.
struct Graph<'a> {
    tokens: &'a [Token],
    keys: &'a [TokenKeys],
    /// Which form's keys the edges carry.
    folded: bool,
    overlays: &'a [Overlay],
    overlay_keys: &'a [u64],
}

impl Graph<'_> {
    fn edges_from(&self, at: usize, mut edge: impl FnMut(usize, u64)) {
        if let Ok(i) = self.tokens.binary_search_by_key(&at, |t| t.position) {
            let k = &self.keys[i];
            edge(at + 1, if self.folded { k.folded } else { k.matched });
        }
        for (o, &k) in self.overlays.iter().zip(self.overlay_keys) {
            if o.from == at {
                edge(o.to, k);
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
#[derive(Clone)]
pub(crate) struct Presearcher {
    matched: Trie,
    folded: Trie,
    /// Per literal, the rules filed under it (their anchor clause contains it).
    filed: Vec<Vec<u32>>,
    /// Every clause's literals, clause after clause, rule after rule.
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
            .field("literals", &self.filed.len())
            .field("always", &self.always.len())
            .finish_non_exhaustive()
    }
}

impl Presearcher {
    pub(crate) fn build<'a>(exprs: impl IntoIterator<Item = &'a Expr>) -> Presearcher {
        let mut p = Presearcher {
            matched: Trie::default(),
            folded: Trie::default(),
            filed: Vec::new(),
            clause_literals: Vec::new(),
            clause_bounds: vec![0],
            rule_bounds: vec![0],
            always: Vec::new(),
        };
        let mut ids: std::collections::HashMap<Literal, u32> = std::collections::HashMap::new();
        for (i, expr) in exprs.into_iter().enumerate() {
            let rule = u32::try_from(i).unwrap_or(u32::MAX);
            let clauses = clauses(expr);
            if clauses.is_none() {
                p.always.push(rule);
            }
            for (c, clause) in clauses.into_iter().flatten().enumerate() {
                for literal in clause {
                    let id = match ids.get(&literal) {
                        Some(&id) => id,
                        None => {
                            let id = p.filed.len() as u32;
                            p.filed.push(Vec::new());
                            p.add_literal(&literal, id);
                            ids.insert(literal, id);
                            id
                        }
                    };
                    // The first clause is the cheapest: the rule is filed under it.
                    if c == 0 && p.filed[id as usize].last() != Some(&rule) {
                        p.filed[id as usize].push(rule);
                    }
                    p.clause_literals.push(id);
                }
                p.clause_bounds.push(p.clause_literals.len() as u32);
            }
            p.rule_bounds.push(p.clause_bounds.len() as u32 - 1);
        }
        p.matched.finish();
        p.folded.finish();
        p
    }

    fn add_literal(&mut self, literal: &Literal, id: u32) {
        let (trie, text) = match literal {
            Literal::Match(t) => (&mut self.matched, t),
            Literal::Fold(t) => (&mut self.folded, t),
        };
        let parts: Vec<&str> = text.split(' ').collect();
        trie.insert(&parts, id);
    }

    /// Number of distinct literals in the tries.
    pub(crate) fn literals(&self) -> usize {
        self.filed.len()
    }

    /// The rules that may match, ascending. `fields` are the tokens of each field with
    /// their keys and the alternatives laid over them.
    pub(crate) fn candidates(&self, fields: &[(&[Token], &[TokenKeys], &[Overlay])]) -> Vec<u32> {
        let mut present = Present::new(self.filed.len());
        for &(tokens, token_keys, overlays) in fields {
            for (trie, folded) in [(&self.matched, false), (&self.folded, true)] {
                trie.scan(token_keys, folded, &mut present);
                if !overlays.is_empty() {
                    trie.scan_overlays(tokens, token_keys, overlays, folded, &mut present);
                }
            }
        }
        let mut out = self.always.clone();
        for &literal in &present.list {
            for &rule in &self.filed[literal as usize] {
                if self.clauses_hold(rule, &present) {
                    out.push(rule);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether every clause of the rule after its anchor has a literal in the document.
    fn clauses_hold(&self, rule: u32, present: &Present) -> bool {
        let r = rule as usize;
        (self.rule_bounds[r] + 1..self.rule_bounds[r + 1]).all(|c| {
            let c = c as usize;
            let (a, b) = (self.clause_bounds[c] as usize, self.clause_bounds[c + 1] as usize);
            self.clause_literals[a..b].iter().any(|&l| present.has(l))
        })
    }
}

/// A document's syllables as byte streams, one space between consecutive positions and a
/// line break across sentence gaps, in match form and in fold form: what a byte automaton
/// over the same literals reads (the benchmark's peer scans these).
#[derive(Debug, Clone, Default)]
pub(crate) struct Streams {
    pub(crate) matched: String,
    pub(crate) folded: String,
}

impl Streams {
    /// Lays out the tokens of each field; fields are separated like sentences.
    pub(crate) fn new(fields: &[&[Token]]) -> Streams {
        let len: usize = fields.iter().flat_map(|f| f.iter()).map(|t| t.matched.len() + 1).sum();
        let mut s =
            Streams { matched: String::with_capacity(len), folded: String::with_capacity(len) };
        for tokens in fields {
            let mut prev: Option<usize> = None;
            for t in tokens.iter() {
                if !s.matched.is_empty() {
                    let sep = if prev == Some(t.position.wrapping_sub(1)) { ' ' } else { '\n' };
                    s.matched.push(sep);
                    s.folded.push(sep);
                }
                s.matched.push_str(&t.matched);
                s.folded.push_str(&t.folded);
                prev = Some(t.position);
            }
            if !s.matched.is_empty() && !s.matched.ends_with('\n') {
                s.matched.push('\n');
                s.folded.push('\n');
            }
        }
        s
    }
}
