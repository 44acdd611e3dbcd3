//! The presearcher: one multi-literal automaton per form over every rule's required
//! literals, so only rules that can possibly match a document are evaluated in full.
//!
//! For each rule a set of literals is chosen such that any match of the rule contains at
//! least one of them (a term, or a whole phrase as one literal). The document's tokens are
//! laid out as a stream of syllables, one space between consecutive positions and a line
//! break across sentence gaps, in match form and in fold form; an automaton hit counts only
//! on syllable boundaries. Alternatives from the views (teencode, de-obfuscation) are not in
//! the streams; their syllables are looked up in a map of every literal syllable instead, a
//! superset that keeps the presearcher exact without enumerating paths.

use aho_corasick::{AhoCorasick, MatchKind};
use query::{Expr, FastMap, Overlay};
use vi_text::Token;

/// A literal to look for: syllables separated by single spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Literal {
    /// In the match-form stream.
    Match(String),
    /// In the fold-form stream.
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

/// Literals such that every match of `expr` contains one; `None` when no such set exists
/// (the rule must then always be evaluated).
fn required(expr: &Expr) -> Option<Vec<Literal>> {
    match expr {
        Expr::Term(t) => Some(vec![if t.folded {
            Literal::Fold(t.text.clone())
        } else {
            Literal::Match(t.text.clone())
        }]),
        Expr::Phrase(ts) => Some(vec![if ts.iter().any(|t| t.folded) {
            let folded: Vec<String> = ts.iter().map(|t| vi_text::fold_str(&t.text)).collect();
            Literal::Fold(folded.join(" "))
        } else {
            Literal::Match(ts.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" "))
        }]),
        Expr::Near { left, right, .. } => cheapest([left.as_ref(), right.as_ref()]),
        Expr::And(xs) => cheapest(xs.iter()),
        Expr::Or(xs) => {
            let mut all = Vec::new();
            for x in xs {
                all.extend(required(x)?);
            }
            Some(all)
        }
        Expr::Not(_) | Expr::Source(_) | Expr::Lang(_) => None,
    }
}

fn cheapest<'a>(xs: impl IntoIterator<Item = &'a Expr>) -> Option<Vec<Literal>> {
    xs.into_iter().filter_map(required).min_by(|a, b| {
        let cost = |l: &[Literal]| l.iter().map(Literal::cost).sum::<f64>();
        cost(a).total_cmp(&cost(b))
    })
}

/// One form's automaton and, per pattern, the rules that need it.
#[derive(Clone)]
struct Scanner {
    automaton: Option<AhoCorasick>,
    rules: Vec<Vec<u32>>,
}

impl Scanner {
    fn build(literals: FastMap<String, Vec<u32>>) -> Scanner {
        let mut patterns: Vec<(String, Vec<u32>)> = literals.into_iter().collect();
        patterns.sort();
        let automaton = if patterns.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(patterns.iter().map(|(p, _)| p))
                .ok()
        };
        Scanner { automaton, rules: patterns.into_iter().map(|(_, r)| r).collect() }
    }

    fn scan(&self, stream: &str, patterns: &mut Vec<u32>) {
        let Some(ac) = &self.automaton else { return };
        let bytes = stream.as_bytes();
        let separator = |i: usize| matches!(bytes.get(i), None | Some(b' ' | b'\n'));
        for m in ac.find_overlapping_iter(stream) {
            if (m.start() == 0 || separator(m.start() - 1)) && separator(m.end()) {
                patterns.push(m.pattern().as_u32());
            }
        }
    }
}

/// Rule candidates for documents: built once per rule set.
#[derive(Clone)]
pub(crate) struct Presearcher {
    matched: Scanner,
    folded: Scanner,
    /// Every syllable of every literal, for the alternatives laid over tokens.
    syllables_match: FastMap<String, Vec<u32>>,
    syllables_fold: FastMap<String, Vec<u32>>,
    /// Rules without a required literal (for example only `source:` and a negation).
    always: Vec<u32>,
    literals: usize,
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
    pub(crate) fn build<'a>(exprs: impl IntoIterator<Item = &'a Expr>) -> Presearcher {
        let mut matched: FastMap<String, Vec<u32>> = FastMap::default();
        let mut folded: FastMap<String, Vec<u32>> = FastMap::default();
        let mut syllables_match: FastMap<String, Vec<u32>> = FastMap::default();
        let mut syllables_fold: FastMap<String, Vec<u32>> = FastMap::default();
        let mut always = Vec::new();
        for (i, expr) in exprs.into_iter().enumerate() {
            let rule = u32::try_from(i).unwrap_or(u32::MAX);
            let Some(mut literals) = required(expr) else {
                always.push(rule);
                continue;
            };
            literals.sort_unstable_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            literals.dedup();
            for literal in literals {
                let (map, syllables, text) = match literal {
                    Literal::Match(t) => (&mut matched, &mut syllables_match, t),
                    Literal::Fold(t) => (&mut folded, &mut syllables_fold, t),
                };
                for s in text.split(' ') {
                    push_unique(syllables.entry(s.to_owned()).or_default(), rule);
                }
                push_unique(map.entry(text).or_default(), rule);
            }
        }
        let literals = matched.len() + folded.len();
        Presearcher {
            matched: Scanner::build(matched),
            folded: Scanner::build(folded),
            syllables_match,
            syllables_fold,
            always,
            literals,
        }
    }

    /// Number of distinct literals in the automata.
    pub(crate) fn literals(&self) -> usize {
        self.literals
    }

    /// The rules that may match, ascending.
    pub(crate) fn candidates(&self, streams: &Streams, overlays: &[&[Overlay]]) -> Vec<u32> {
        let mut patterns = Vec::new();
        let mut out = self.always.clone();
        self.matched.scan(&streams.matched, &mut patterns);
        extend_from(&mut out, &mut patterns, &self.matched.rules);
        self.folded.scan(&streams.folded, &mut patterns);
        extend_from(&mut out, &mut patterns, &self.folded.rules);
        for o in overlays.iter().flat_map(|o| o.iter()) {
            if let Some(rules) = self.syllables_match.get(o.matched.as_str()) {
                out.extend_from_slice(rules);
            }
            if let Some(rules) = self.syllables_fold.get(o.folded.as_str()) {
                out.extend_from_slice(rules);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn push_unique(list: &mut Vec<u32>, rule: u32) {
    if list.last() != Some(&rule) {
        list.push(rule);
    }
}

fn extend_from(out: &mut Vec<u32>, patterns: &mut Vec<u32>, rules: &[Vec<u32>]) {
    patterns.sort_unstable();
    patterns.dedup();
    for &p in patterns.iter() {
        out.extend_from_slice(&rules[p as usize]);
    }
    patterns.clear();
}

/// A document's syllables as the automata read them.
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
