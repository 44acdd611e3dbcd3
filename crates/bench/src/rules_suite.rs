//! `rules`: standing-query matching with 10,000 and 100,000 generated rules over 3 KB
//! Vietnamese documents: documents per second on one core, build time and memory.
//!
//! Documents are the news articles of VFND (Vietnamese news of 2017–2019 on society,
//! sport, culture, economy, law and health), each joined with the next until it reaches
//! about 3 KB, analysed once beforehand (normalised, tokenised, laid out as syllable
//! streams); analysis is reported as its own line. Rules are written from another corpus,
//! the words of the UD Vietnamese treebank, as a monitor's queries name things: mostly two-
//! and three-syllable phrases (a Vietnamese word is usually two syllables), some single
//! syllables from outside the thousand most frequent: `("a b" OR c) d`, `"a b" NEAR/5 c`,
//! `"a b" -c` … with two phrases in five written without diacritics. So, as with a real
//! monitor's queries, most rules match few documents; hits per document are reported with
//! each run.
//!
//! The peer is a bare Aho-Corasick automaton (the same crate and settings) over every
//! literal of every rule, scanning the same syllable streams and counting the occurrences
//! on syllable boundaries: the least work any literal-based matcher has to do.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, MatchKind};
use anyhow::{Context, Result};
use model::{RuleKind, Severity};
use rules::{Analyzed, ClaimLibrary, Rule, RuleSet};

use crate::alloc;

/// Deterministic xorshift, so every run generates the same rules.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

pub(crate) fn sentences() -> Result<Vec<String>> {
    let dir = test_support::shared_data("ud-vietnamese-vtb")
        .context("the rules suite needs the UD Vietnamese treebank")?;
    let mut lines = Vec::new();
    for file in ["vi_vtb-ud-train.conllu", "vi_vtb-ud-dev.conllu", "vi_vtb-ud-test.conllu"] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        lines.extend(
            text.lines().filter_map(|l| l.strip_prefix("# text =")).map(|l| l.trim().to_owned()),
        );
    }
    anyhow::ensure!(!lines.is_empty(), "no sentences in {}", dir.display());
    Ok(lines)
}

/// News articles (title, body) of about 3 KB: an article with the ones after it appended
/// until the body is long enough, `n` of them, starting at each article in turn.
fn articles(n: usize) -> Result<Vec<(String, String)>> {
    let path = test_support::shared_data("vfnd/CSV/vn_news_226_tlfr.csv")
        .context("the rules suite needs the VFND articles")?;
    let mut reader =
        csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut texts = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        let text = record.get(0).unwrap_or_default().trim();
        if let Some((title, body)) = text.split_once('\n') {
            texts.push((title.trim().to_owned(), body.trim().to_owned()));
        }
    }
    anyhow::ensure!(!texts.is_empty(), "no articles in {}", path.display());
    Ok((0..n)
        .map(|i| {
            let (title, first) = &texts[i % texts.len()];
            let mut body = first.clone();
            let mut k = i;
            while body.len() < 3_000 {
                k += 1;
                body.push_str("\n\n");
                body.push_str(&texts[k % texts.len()].1);
            }
            if body.len() > 3_400 {
                let mut cut = 3_400;
                while !body.is_char_boundary(cut) {
                    cut -= 1;
                }
                body.truncate(cut);
            }
            (title.clone(), body)
        })
        .collect())
}

/// Distinct syllable pairs and syllables of the corpus (match form), each list in random
/// order, skipping the most frequent syllables so that no rule fires on every document.
pub(crate) fn vocabulary(sentences: &[String]) -> (Vec<String>, Vec<String>) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut pairs: HashSet<String> = HashSet::new();
    for s in sentences {
        let tokens = vi_text::tokenize(&vi_text::display(s));
        let word = |t: &vi_text::Token| t.matched.chars().all(char::is_alphabetic);
        for w in tokens.windows(2) {
            if word(&w[0]) && word(&w[1]) && w[1].position == w[0].position + 1 {
                pairs.insert(format!("{} {}", w[0].matched, w[1].matched));
            }
        }
        for w in tokens.windows(3) {
            if w.iter().all(word) && w[2].position == w[0].position + 2 {
                pairs.insert(format!("{} {} {}", w[0].matched, w[1].matched, w[2].matched));
            }
        }
        for t in tokens {
            if t.matched.chars().all(char::is_alphabetic) {
                *counts.entry(t.matched).or_default() += 1;
            }
        }
    }
    let mut by_count: Vec<(String, usize)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let common: HashSet<&str> = by_count.iter().take(300).map(|(w, _)| w.as_str()).collect();
    // A syllable written without diacritics matches every accented one (`co`: có, cô,
    // cơ …); as a rule's only word that is no name of anything, so those are left out
    // unless long enough to be a foreign name.
    let mut words: Vec<String> = by_count
        .iter()
        .skip(1_000)
        .map(|(w, _)| w.clone())
        .filter(|w| vi_text::fold_str(w) != *w || w.len() >= 6)
        .collect();
    let mut pairs: Vec<String> = pairs
        .into_iter()
        .filter(|p| p.split(' ').all(|w| !common.contains(w)) || p.len() > 14)
        .collect();
    pairs.sort();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    shuffle(&mut words, &mut rng);
    shuffle(&mut pairs, &mut rng);
    (pairs, words)
}

fn shuffle<T>(v: &mut [T], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
}

/// Generated rule queries.
fn queries(n: usize, pairs: &[String], words: &[String]) -> Vec<String> {
    let mut rng = Rng(0xd1b5_4a32_d192_ed03);
    let term = |rng: &mut Rng| {
        // People leave out diacritics in phrases ("sot xuat huyet"); a single syllable
        // without them names nothing (`co` is có, cô, cơ, cỏ …), so those keep theirs.
        if rng.chance(80) {
            let phrase = format!("\"{}\"", pairs[rng.below(pairs.len())]);
            if rng.chance(40) { vi_text::fold_str(&phrase) } else { phrase }
        } else {
            words[rng.below(words.len())].clone()
        }
    };
    (0..n)
        .map(|_| match rng.below(5) {
            0 => term(&mut rng),
            1 => format!("({} OR {}) {}", term(&mut rng), term(&mut rng), term(&mut rng)),
            2 => format!("{} NEAR/5 {}", term(&mut rng), term(&mut rng)),
            3 => format!("{} -{}", term(&mut rng), term(&mut rng)),
            _ => format!(
                "({} OR {} OR {}) title:{}",
                term(&mut rng),
                term(&mut rng),
                term(&mut rng),
                term(&mut rng)
            ),
        })
        .collect()
}

/// Every literal of every rule, in the form the presearcher scans for it.
fn all_literals(queries: &[String]) -> Vec<String> {
    let mut out = HashSet::new();
    for q in queries {
        let Ok(expr) = query::parse(q) else { continue };
        let mut stack = vec![&expr];
        while let Some(e) = stack.pop() {
            match e {
                query::Expr::Term(t) => {
                    out.insert(t.text.clone());
                }
                query::Expr::Phrase(ts) => {
                    out.insert(
                        ts.iter()
                            .map(
                                |t| {
                                    if t.folded {
                                        vi_text::fold_str(&t.text)
                                    } else {
                                        t.text.clone()
                                    }
                                },
                            )
                            .collect::<Vec<_>>()
                            .join(" "),
                    );
                }
                query::Expr::And(xs) | query::Expr::Or(xs) => stack.extend(xs),
                query::Expr::Not(x) => stack.push(x),
                query::Expr::Near { left, right, .. } => {
                    stack.push(left);
                    stack.push(right);
                }
                query::Expr::Source(_) | query::Expr::Lang(_) => {}
            }
        }
    }
    let mut v: Vec<String> = out.into_iter().collect();
    v.sort();
    v
}

/// Runs `f` over the documents repeatedly for at least `min`; documents per second.
fn rate<T>(docs: &[T], min: Duration, mut f: impl FnMut(&T) -> usize) -> (f64, usize) {
    let mut sink = 0;
    let mut n = 0usize;
    let start = Instant::now();
    while start.elapsed() < min {
        for d in docs {
            sink += f(d);
        }
        n += docs.len();
    }
    (n as f64 / start.elapsed().as_secs_f64(), sink)
}

pub(crate) fn run(n_docs: usize) -> Result<Vec<serde_json::Value>> {
    let sentences = sentences()?;
    let raw = articles(n_docs.min(2_000))?;
    let started = Instant::now();
    let docs: Vec<Analyzed> =
        raw.iter().map(|(t, b)| Analyzed::new(t, b).with_meta("Báo A", "vi")).collect();
    let analyse = docs.len() as f64 / started.elapsed().as_secs_f64();
    let bytes: usize = raw.iter().map(|(t, b)| t.len() + b.len()).sum();
    let (pairs, words) = vocabulary(&sentences);
    let mut lines = Vec::new();
    lines.push(serde_json::json!({
        "suite": "rules", "metric": "analyse_docs_per_s", "ours": analyse.round(),
        "docs": docs.len(), "mean_doc_bytes": bytes / docs.len().max(1),
    }));
    // `LANGNGHE_BENCH_RULES=10000` runs one size only (for profiling).
    let sizes: Vec<usize> = match std::env::var("LANGNGHE_BENCH_RULES") {
        Ok(n) => vec![n.parse().with_context(|| format!("LANGNGHE_BENCH_RULES={n:?}"))?],
        Err(_) => vec![10_000, 100_000],
    };
    for n_rules in sizes {
        let queries = queries(n_rules, &pairs, &words);

        let before = alloc::live_bytes();
        let started = Instant::now();
        let rules: Vec<Rule> = queries
            .iter()
            .enumerate()
            .filter_map(|(i, q)| {
                Rule::from_query(&format!("r{i}"), RuleKind::Topic, Severity::Low, q).ok()
            })
            .collect();
        let parsed = alloc::live_bytes().saturating_sub(before) as f64 / (1024.0 * 1024.0);
        let set = RuleSet::from_rules(rules);
        let build = started.elapsed().as_secs_f64();
        let memory = alloc::live_bytes().saturating_sub(before) as f64 / (1024.0 * 1024.0);

        let literals = all_literals(&queries);
        let started = Instant::now();
        let bare = AhoCorasick::builder().match_kind(MatchKind::Standard).build(&literals)?;
        let peer_build = started.elapsed().as_secs_f64();

        let min = Duration::from_secs(3);
        let (ours, _) = rate(&docs, min, |d| set.match_analyzed(d).len());
        let (peer, _) = rate(&docs, min, |d| {
            d.streams()
                .iter()
                .map(|s| {
                    let b = s.as_bytes();
                    let sep = |i: usize| matches!(b.get(i), None | Some(b' ' | b'\n'));
                    bare.find_overlapping_iter(s)
                        .filter(|m| (m.start() == 0 || sep(m.start() - 1)) && sep(m.end()))
                        .count()
                })
                .sum()
        });
        let (presearch, _) = rate(&docs, min, |d| set.candidate_count(d));
        let candidates: usize = docs.iter().map(|d| set.candidate_count(d)).sum();
        let (mut matched, mut terms) = (0, 0);
        let mut firing: HashSet<String> = HashSet::new();
        for d in &docs {
            for hit in set.match_analyzed(d) {
                matched += 1;
                terms += hit.terms.len();
                firing.insert(hit.rule_id.to_string());
            }
        }
        lines.push(crate::line(
            "rules",
            &format!("docs_per_s_{n_rules}_rules"),
            ours,
            peer,
            serde_json::json!({
                "rules": set.len(),
                "literals": set.literal_count(),
                "bare_literals": literals.len(),
                "build_s": (build * 1000.0).round() / 1000.0,
                "bare_build_s": (peer_build * 1000.0).round() / 1000.0,
                "memory_mib": (memory * 10.0).round() / 10.0,
                "parsed_rules_mib": (parsed * 10.0).round() / 10.0,
                "compiled_mib": (set.compiled_bytes() as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0,
                "presearch_docs_per_s": presearch.round(),
                "candidates_per_doc": (candidates as f64 / docs.len() as f64 * 10.0).round() / 10.0,
                "rules_firing": firing.len(),
                "hits_per_doc": (matched as f64 / docs.len() as f64 * 100.0).round() / 100.0,
                "terms_per_hit": (terms as f64 / matched.max(1) as f64 * 10.0).round() / 10.0,
            }),
        ));
    }
    lines.push(shipped(&raw, &pairs, &words)?);
    Ok(lines)
}

/// What `serve` matches with: the shipped packs and claim library beside 10,000 generated
/// rules, through [`rules::judge`] (matching, claim similarity, stance and the
/// suspicious-post signal), against plain matching of the same set as the peer; the claim
/// similarity's own rate is reported beside it.
fn shipped(
    raw: &[(String, String)],
    pairs: &[String],
    words: &[String],
) -> Result<serde_json::Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (packs, problems) = RuleSet::load_dir(&dir);
    anyhow::ensure!(problems.is_empty(), "the shipped packs have problems: {problems:?}");
    let (library, problems) = ClaimLibrary::load_dir(&dir);
    anyhow::ensure!(problems.is_empty(), "the shipped claims have problems: {problems:?}");
    let library = library.without_rule_ids(packs.rules());
    let index = Arc::new(library.index());
    let mut extra = library.rules();
    extra.extend(queries(10_000, pairs, words).iter().enumerate().filter_map(|(i, q)| {
        Rule::from_query(&format!("r{i}"), RuleKind::Topic, Severity::Low, q).ok()
    }));
    let set = packs.with_rules(extra).with_claims(Arc::clone(&index));
    let docs: Vec<(Analyzed, [Vec<vi_text::Token>; 2])> =
        raw.iter().map(|(t, b)| Analyzed::new_with_tokens(t, b)).collect();
    let min = Duration::from_secs(3);
    let (ours, _) = rate(&docs, min, |(d, tokens)| rules::judge(&set, d, tokens).hits.len());
    let (peer, _) = rate(&docs, min, |(d, _)| set.match_analyzed(d).len());
    let (similar, _) = rate(&docs, min, |(d, tokens)| index.similar_analyzed(d, tokens).len());
    let (presearch, _) = rate(&docs, min, |(d, _)| set.candidate_count(d));
    let (suspicion, _) =
        rate(&docs, min, |(d, _)| rules::Suspicion::builtin().score(d).score as usize);
    let (plain_verdict, _) = rate(&docs, min, |(d, _)| rules::verdict(d, Vec::new()).0.len());
    let claim_hits: usize = docs.iter().map(|(d, t)| rules::judge(&set, d, t).claims.len()).sum();
    Ok(crate::line(
        "rules",
        "judge_docs_per_s_shipped_plus_10000_rules",
        ours,
        peer,
        serde_json::json!({
            "rules": set.len(),
            "claims": index.len(),
            "claim_similarity_docs_per_s": similar.round(),
            "presearch_docs_per_s": presearch.round(),
            "claim_similarity_us_per_doc": (1e6 / similar * 10.0).round() / 10.0,
            "claim_matches_per_doc": (claim_hits as f64 / docs.len().max(1) as f64 * 1000.0).round() / 1000.0,
            "peer_is": "plain matching of the same set (no similarity, stance or suspicion)",
            "suspicion_docs_per_s": suspicion.round(),
            "verdict_without_hits_docs_per_s": plain_verdict.round(),
        }),
    ))
}
