//! Which hits of a document raise an alert (the verdict the pipeline acts on), and the
//! scoring of a rule set on a labelled set: rumour detection and topics as precision,
//! recall and F1, by label, by register and by topic, with the items it got wrong.
//!
//! The verdict is shared: [`verdict`] is what the pipeline does with the hits of every
//! stored document (the stance of each rumour hit, [`hit_stances`], and the suspicious-post
//! hit when nothing carries a claim), and [`raises`] says whether a hit opens or grows an
//! alert. [`predict`] runs them on one labelled item, so an evaluation measures exactly what
//! the pipeline would raise.
//!
//! Labels (see `rules/eval/README.md`): `rumour` items should be raised, `debunk`, `news`
//! and `other` should not; every label but `other` is health coverage, so some topic
//! should fire on it and none on `other`. A label written as a topic id (`topic.lao`)
//! stands for health coverage of that topic. Other labels (`not_rumour` …) count for
//! rumour detection only, as negatives.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use model::{Hit, HitClaim, HitStance, MatchedTerm, RuleKind, Stance};
use query::Fuel;
use serde::{Deserialize, Serialize};

use crate::claims::CLAIM_TAG;
use crate::{Analyzed, RuleSet, StanceCues, Suspicion};

/// The label of an item that carries or spreads a false health claim.
pub const RUMOUR: &str = "rumour";
/// The label of an item that refutes or corrects one.
pub const DEBUNK: &str = "debunk";
/// The label of genuine health news and information.
pub const NEWS: &str = "news";
/// The label of an item that is not about health.
pub const OTHER: &str = "other";

/// How the document stands towards the claim of each of its rumour hits, in hit order:
/// only a document that carries the claim opens or grows its alert; refutations and
/// reports are kept as the corrections the workflow tracks. Documents without a rumour hit
/// are not scanned for cues at all.
pub fn hit_stances(doc: &Analyzed, hits: &[Hit]) -> Vec<HitStance> {
    let mut rumours = hits.iter().filter(|h| h.kind == RuleKind::Rumor).peekable();
    if rumours.peek().is_none() {
        return Vec::new();
    }
    let scan = StanceCues::builtin().scan(doc);
    rumours
        .map(|hit| {
            let decided = scan.decide(hit);
            HitStance { rule_id: hit.rule_id.clone(), stance: decided.stance, cues: decided.cues }
        })
        .collect()
}

/// What the pipeline acts on for a document whose rules gave `hits`: the hits, with the
/// suspicious-post signal's low-severity hit when no rumour rule or claim carries a claim in
/// it and its generic cues score (new rumours are in no library yet), and the stance of
/// each rumour hit ([`hit_stances`]).
pub fn verdict(doc: &Analyzed, hits: Vec<Hit>) -> (Vec<Hit>, Vec<HitStance>) {
    verdict_cued(doc, hits, None)
}

/// [`verdict`], with the hits of the suspicious-post cue lists when the rules' pass found
/// them already ([`RuleSet::match_cued`]).
fn verdict_cued(
    doc: &Analyzed,
    mut hits: Vec<Hit>,
    cues: Option<Vec<Hit>>,
) -> (Vec<Hit>, Vec<HitStance>) {
    let stances = hit_stances(doc, &hits);
    if !stances.iter().any(|s| s.stance == Stance::Carries) {
        let suspicion = Suspicion::builtin();
        let score = match cues {
            Some(cues) => suspicion.score_cued(doc, cues),
            None => suspicion.score(doc),
        };
        hits.extend(suspicion.hit(&score));
    }
    (hits, stances)
}

/// A repetition of a known claim this close (the share of the claim's weighted shingles
/// found in one window) is a hit of the claim's rule even when its query's terms are not
/// all there: paraphrases and partial copies keep most of a claim's syllable pairs but
/// drop or respell a required word. Below it, similarity is only reported on the hits the
/// query found.
pub const CLAIM_HIT_SIMILARITY: f32 = 0.5;

/// What the pipeline makes of one analysed document: its hits (rules, close repetitions of
/// known claims, and the suspicious-post signal), the stance of each rumour hit, and how
/// closely it repeats each claim it is about.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Judged {
    /// The hits.
    pub hits: Vec<Hit>,
    /// The stance of each rumour hit towards its claim.
    pub stances: Vec<HitStance>,
    /// For each hit of a claim's rule, the similarity and the passage that repeats it.
    pub claims: Vec<HitClaim>,
}

/// Matches `doc` against `set` and its claim library ([`RuleSet::with_claims`]) and
/// decides what it raises ([`verdict`]). `tokens` are the tokens of the analysed title and
/// body ([`Analyzed::new_with_tokens`], [`Analyzed::document_with_tokens`]).
pub fn judge(set: &RuleSet, doc: &Analyzed, tokens: &[Vec<vi_text::Token>; 2]) -> Judged {
    // The cue lists are compiled beside the rules: one pass over the syllables for both.
    let (mut hits, cues) = set.match_cued(doc, &mut Fuel::unlimited(), true).unwrap_or_default();
    let mut claims = Vec::new();
    if let Some(index) = set.claims() {
        for m in index.similar_analyzed(doc, tokens) {
            let has_hit = hits.iter().any(|h| h.rule_id == m.claim_id);
            if !has_hit && m.similarity < CLAIM_HIT_SIMILARITY {
                continue;
            }
            let Some(mut hit) = set.hit_of(&m.claim_id, Vec::new()) else {
                continue;
            };
            let passage = MatchedTerm {
                field: m.field,
                start: m.start,
                end: m.end,
                term: Arc::clone(&hit.rule_title),
            };
            if !has_hit {
                hit.terms.push(passage.clone());
                hits.push(hit);
            }
            claims.push(HitClaim { rule_id: m.claim_id, similarity: m.similarity, passage });
        }
    }
    let (hits, stances) = verdict_cued(doc, hits, Some(cues));
    Judged { hits, stances, claims }
}

/// Whether `hit` opens or grows an alert: its kind raises alerts (every kind but `topic`)
/// and the document does not refute or merely report its claim.
pub fn raises(hit: &Hit, stances: &[HitStance]) -> bool {
    !matches!(hit.kind, RuleKind::Topic)
        && stances
            .iter()
            .find(|s| s.rule_id == hit.rule_id)
            .is_none_or(|s| s.stance == Stance::Carries)
}

/// One labelled item, a line of an evaluation file:
/// `{"id","title","body","label", "topic"?, "register"?}`. Other keys (`note`) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Item {
    /// The item's id, a string or a number in the file.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The title; empty for most social posts.
    #[serde(default)]
    pub title: String,
    /// The text.
    #[serde(default)]
    pub body: String,
    /// `rumour`, `debunk`, `news`, `other`, a topic id, or another negative label.
    pub label: String,
    /// The topic ids the item is about (`"topic"` in the file: one id or a list).
    #[serde(rename = "topic", default, deserialize_with = "one_or_many")]
    pub topics: Vec<String>,
    /// How the text is written (`news`, `facebook_nodiacritics`, `teencode` …).
    #[serde(default)]
    pub register: Option<String>,
}

impl Item {
    /// Whether a rumour should be raised on it.
    pub fn is_rumour(&self) -> bool {
        self.label == RUMOUR
    }

    /// Whether it is health coverage (some topic should fire), when the label says.
    pub fn health(&self) -> Option<bool> {
        if !self.topics.is_empty() || self.label.starts_with("topic.") {
            return Some(true);
        }
        match self.label.as_str() {
            RUMOUR | DEBUNK | NEWS => Some(true),
            OTHER => Some(false),
            _ => None,
        }
    }

    /// The topic ids it is labelled with, the label's own when it is one.
    pub fn gold_topics(&self) -> BTreeSet<&str> {
        let mut out: BTreeSet<&str> = self.topics.iter().map(String::as_str).collect();
        if self.label.starts_with("topic.") {
            out.insert(&self.label);
        }
        out
    }

    /// Its register, `-` when the file gives none.
    pub fn register(&self) -> &str {
        self.register.as_deref().filter(|r| !r.is_empty()).unwrap_or("-")
    }
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(i64),
    }
    Ok(match Id::deserialize(d)? {
        Id::Text(s) => s,
        Id::Number(n) => n.to_string(),
    })
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Topics {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<Topics>::deserialize(d)? {
        None => Vec::new(),
        Some(Topics::One(s)) if s.is_empty() => Vec::new(),
        Some(Topics::One(s)) => vec![s],
        Some(Topics::Many(v)) => v,
    })
}

/// Where a raised rumour came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A rule of a pack.
    Pack,
    /// A claim of the claim library.
    Claim,
    /// The suspicious-post signal.
    Suspicion,
}

impl Source {
    /// Its name: `pack`, `claim` or `suspicion`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Pack => "pack",
            Source::Claim => "claim",
            Source::Suspicion => "suspicion",
        }
    }
}

/// A rule that fired on an item, other than a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fired {
    /// The rule's id.
    pub rule: String,
    /// Its kind: `rumor`, `crisis` or `watch`.
    pub kind: &'static str,
    /// Whether it is a claim of the library.
    pub claim: bool,
    /// The stance of a rumour hit: `carries`, `refutes` or `reports`.
    pub stance: Option<&'static str>,
    /// Whether it opens or grows an alert.
    pub raises: bool,
    /// For the suspicious-post signal, the families of cues that scored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cues: Vec<String>,
}

/// What a rule set makes of one item.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Prediction {
    /// Raised as a rumour: a rumour or claim hit that carries, or a suspicious post.
    pub rumour: bool,
    /// What raised it, each source once.
    pub sources: BTreeSet<Source>,
    /// Every hit but the topics', in hit order.
    pub fired: Vec<Fired>,
    /// The topic rules that fired.
    pub topics: BTreeSet<String>,
}

impl Prediction {
    /// The prediction from a document's hits and the stances of its rumour hits;
    /// `claims` holds the ids of the claim library's rules.
    pub fn from_hits(hits: &[Hit], stances: &[HitStance], claims: &BTreeSet<&str>) -> Prediction {
        let mut p = Prediction::default();
        for hit in hits {
            if hit.kind == RuleKind::Topic {
                p.topics.insert(hit.rule_id.to_string());
                continue;
            }
            let claim = claims.contains(&*hit.rule_id);
            let raised = raises(hit, stances);
            let stance = stances.iter().find(|s| s.rule_id == hit.rule_id).map(|s| s.stance);
            let source = match hit.kind {
                RuleKind::Rumor if claim => Some(Source::Claim),
                RuleKind::Rumor => Some(Source::Pack),
                RuleKind::Suspicion => Some(Source::Suspicion),
                _ => None,
            };
            if let Some(source) = source.filter(|_| raised) {
                p.rumour = true;
                p.sources.insert(source);
            }
            let mut cues: Vec<String> = Vec::new();
            if hit.kind == RuleKind::Suspicion {
                for t in &hit.terms {
                    if !cues.iter().any(|c| **c == *t.term) {
                        cues.push(t.term.to_string());
                    }
                }
            }
            p.fired.push(Fired {
                rule: hit.rule_id.to_string(),
                kind: hit.kind.as_str(),
                claim,
                stance: stance.map(Stance::as_str),
                raises: raised,
                cues,
            });
        }
        p
    }
}

/// The ids of the claim library's rules in a set.
pub fn claim_ids(set: &RuleSet) -> BTreeSet<&str> {
    set.rules().iter().filter(|r| r.tags.iter().any(|t| t == CLAIM_TAG)).map(|r| &*r.id).collect()
}

/// What the rule set makes of `item`: the pipeline's matching and [`verdict`].
pub fn predict(set: &RuleSet, claims: &BTreeSet<&str>, item: &Item) -> Prediction {
    let (doc, tokens) = Analyzed::new_with_tokens(&item.title, &item.body);
    let judged = judge(set, &doc, &tokens);
    Prediction::from_hits(&judged.hits, &judged.stances, claims)
}

/// A confusion matrix of one binary decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Positives found.
    pub tp: usize,
    /// Negatives taken for positives.
    pub fp: usize,
    /// Positives missed.
    pub fn_: usize,
    /// Negatives left alone.
    pub tn: usize,
}

impl Counts {
    /// Counts one decision.
    pub fn add(&mut self, gold: bool, predicted: bool) {
        match (gold, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }

    /// Decisions counted.
    pub fn n(&self) -> usize {
        self.tp + self.fp + self.fn_ + self.tn
    }

    /// Positives in the labels.
    pub fn positives(&self) -> usize {
        self.tp + self.fn_
    }

    /// Share of the raised that are positives; none when nothing was raised.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// Share of the positives raised; none when there is no positive.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// The harmonic mean of precision and recall; zero when either is zero or undefined
    /// and there is something to find or something raised.
    pub fn f1(&self) -> Option<f64> {
        if self.tp + self.fp + self.fn_ == 0 {
            return None;
        }
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Figures {
            tp: usize,
            fp: usize,
            #[serde(rename = "fn")]
            fn_: usize,
            tn: usize,
            precision: Option<f64>,
            recall: Option<f64>,
            f1: Option<f64>,
        }
        Figures {
            tp: self.tp,
            fp: self.fp,
            fn_: self.fn_,
            tn: self.tn,
            precision: self.precision(),
            recall: self.recall(),
            f1: self.f1(),
        }
        .serialize(s)
    }
}

/// How the items of one label fared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LabelRow {
    /// Items with the label.
    pub n: usize,
    /// Of which raised as rumours.
    pub raised: usize,
    /// Of which some topic fired on.
    pub topic: usize,
}

impl LabelRow {
    /// Share raised as rumours.
    pub fn raised_share(&self) -> Option<f64> {
        ratio(self.raised, self.n)
    }
}

/// The scores of a rule set on a labelled set. Lists hold indices into the items.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Items scored.
    pub items: usize,
    /// Rumour detection over every item.
    pub rumour: Counts,
    /// Rumour detection within each register.
    pub registers: BTreeMap<String, Counts>,
    /// Each label's items: how many, how many raised, how many with a topic.
    pub labels: BTreeMap<String, LabelRow>,
    /// Rumours found, by what raised them (an item raised by two counts for both).
    pub found_by: BTreeMap<Source, usize>,
    /// Health coverage ("some topic fires") over the items whose label says.
    pub health: Counts,
    /// Each topic id the labels name: the items labelled with it against those it fired on,
    /// over the items labelled with some topic and the items that are not about health.
    pub topics: BTreeMap<String, Counts>,
    /// Rumours not raised.
    pub misses: Vec<usize>,
    /// Items raised that are not rumours.
    pub false_alarms: Vec<usize>,
    /// Health items on which no topic fired.
    pub health_misses: Vec<usize>,
    /// Non-health items on which a topic fired.
    pub health_false_alarms: Vec<usize>,
}

/// Scores `predictions` (one per item, in order) against the labels of `items`.
///
/// # Panics
/// When the two lists differ in length.
pub fn score(items: &[Item], predictions: &[Prediction]) -> Report {
    assert_eq!(items.len(), predictions.len(), "one prediction per item");
    let mut r = Report { items: items.len(), ..Report::default() };
    let named: BTreeSet<&str> = items.iter().flat_map(Item::gold_topics).collect();
    for name in named {
        r.topics.insert(name.to_owned(), Counts::default());
    }
    for (i, (item, p)) in items.iter().zip(predictions).enumerate() {
        let gold = item.is_rumour();
        r.rumour.add(gold, p.rumour);
        r.registers.entry(item.register().to_owned()).or_default().add(gold, p.rumour);
        let row = r.labels.entry(item.label.clone()).or_default();
        row.n += 1;
        row.raised += usize::from(p.rumour);
        row.topic += usize::from(!p.topics.is_empty());
        match (gold, p.rumour) {
            (true, true) => {
                for s in &p.sources {
                    *r.found_by.entry(*s).or_default() += 1;
                }
            }
            (true, false) => r.misses.push(i),
            (false, true) => r.false_alarms.push(i),
            (false, false) => {}
        }
        if let Some(health) = item.health() {
            let fired = !p.topics.is_empty();
            r.health.add(health, fired);
            match (health, fired) {
                (true, false) => r.health_misses.push(i),
                (false, true) => r.health_false_alarms.push(i),
                _ => {}
            }
        }
        // A health item without a topic label says nothing of which topics are right.
        let gold_topics = item.gold_topics();
        if !gold_topics.is_empty() || item.health() == Some(false) {
            for (name, counts) in &mut r.topics {
                counts.add(gold_topics.contains(name.as_str()), p.topics.contains(name));
            }
        }
    }
    r
}

/// What the rumour detection must reach on the labelled set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goals {
    /// Precision of rumour detection over every item, at least.
    pub precision: f64,
    /// Recall over every item, at least.
    pub recall: f64,
    /// The registers that are hardest to match.
    pub registers: &'static [&'static str],
    /// Each of those registers' recall, at least this share of the overall recall.
    pub register_share: f64,
    /// Share of the debunks raised as rumours, at most.
    pub debunks_raised: f64,
}

/// The goals for `rules/eval/social.jsonl`: most of what is raised is a rumour, most
/// rumours are raised, the posts typed without diacritics, in teencode or forwarded on
/// Zalo are not left behind, and a refutation is rarely taken for the rumour it refutes.
pub const GOALS: Goals = Goals {
    precision: 0.85,
    recall: 0.60,
    registers: &["facebook_nodiacritics", "teencode", "zalo_forward"],
    register_share: 0.5,
    debunks_raised: 0.10,
};

/// One goal against the measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalCheck {
    /// What is measured.
    pub what: String,
    /// The measurement; none when nothing could be measured.
    pub value: Option<f64>,
    /// The bound.
    pub target: f64,
    /// Whether the bound is a maximum (else a minimum).
    pub at_most: bool,
    /// Whether the measurement is within the bound.
    pub met: bool,
}

impl GoalCheck {
    fn new(what: String, value: Option<f64>, target: f64, at_most: bool) -> GoalCheck {
        let met = value.is_some_and(|v| if at_most { v <= target } else { v >= target });
        GoalCheck { what, value, target, at_most, met }
    }
}

impl Report {
    /// Share of the debunks raised as rumours; none without debunks.
    pub fn debunks_raised(&self) -> Option<f64> {
        self.labels.get(DEBUNK).and_then(LabelRow::raised_share)
    }

    /// Each goal against the measurement. A register's bound is the given share of the
    /// measured overall recall; registers absent from the set are left out.
    pub fn check(&self, goals: &Goals) -> Vec<GoalCheck> {
        let recall = self.rumour.recall();
        let mut out = vec![
            GoalCheck::new(
                "rumour precision".into(),
                self.rumour.precision(),
                goals.precision,
                false,
            ),
            GoalCheck::new("rumour recall".into(), recall, goals.recall, false),
        ];
        for name in goals.registers {
            let Some(c) = self.registers.get(*name).filter(|c| c.positives() > 0) else {
                continue;
            };
            let target = recall.unwrap_or(0.0) * goals.register_share;
            out.push(GoalCheck::new(format!("recall {name}"), c.recall(), target, false));
        }
        if self.labels.get(DEBUNK).is_some_and(|l| l.n > 0) {
            out.push(GoalCheck::new(
                "debunks raised".into(),
                self.debunks_raised(),
                goals.debunks_raised,
                true,
            ));
        }
        out
    }
}
