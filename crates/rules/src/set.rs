//! A loaded set of rules and matching documents against it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;

use model::{Hit, MatchedTerm};
use query::{
    CodeSet, DocIndex, Expr, Field, Fuel, OutOfFuel, Program, Query, Sids, Spot, TokenKeys,
};

use crate::builtin::{self, RuleSources};
use crate::calendar::{self, HealthDay, Occurrence};
use crate::claims::{self, ClaimIndex};
use crate::pack::{Diagnostic, Pack, Rule, parse_pack};
use crate::presearch::{Presearcher, Streams};

/// The most bytes of a title or a body (display form) that are tokenised and matched; the
/// rest is kept for display but no rule sees it. A long news article is some tens of
/// kilobytes, so a mebibyte is far beyond any real item, yet it bounds what a hostile or
/// broken feed item costs: analysing and matching a mebibyte takes a tenth to a quarter of
/// a second of one core, while every token is held with its forms (ten mebibytes of social
/// text take seconds and up to a gigabyte of memory).
pub const MAX_ANALYZED_BYTES: usize = 1 << 20;

/// The part of `text` that is analysed: all of it up to `cap` bytes, else a prefix of at
/// most `cap` bytes ending at a space if one is near, so no word is cut in two.
fn analysed_part(text: &str, cap: usize) -> &str {
    if text.len() <= cap {
        return text;
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut floor = end.saturating_sub(64);
    while !text.is_char_boundary(floor) {
        floor += 1;
    }
    let cut = text[floor..end].rfind(char::is_whitespace).map_or(end, |i| floor + i);
    &text[..cut]
}

/// A document's title and body, normalised and tokenised once for every rule (each up to
/// [`MAX_ANALYZED_BYTES`]).
#[derive(Debug, Clone)]
pub struct Analyzed {
    /// Title in display form.
    pub title: String,
    /// Body in display form.
    pub body: String,
    /// Where the tokens are: all matching reads of them once they are analysed (their forms
    /// are in `streams`), compact so that a document stays in cache.
    title_spots: Vec<Spot>,
    body_spots: Vec<Spot>,
    title_keys: Vec<TokenKeys>,
    body_keys: Vec<TokenKeys>,
    title_overlays: Vec<query::Overlay>,
    body_overlays: Vec<query::Overlay>,
    /// What teencode and misspelled tokens of the title and the body read as, for claim
    /// similarity.
    readings: [Vec<claims::Reading>; 2],
    /// Whether any token of the title, of the body, is in a sentence typed without
    /// diacritics (so that accent-tolerant terms look at its bare spellings).
    title_bare: bool,
    body_bare: bool,
    streams: Streams,
    /// The source name in `query::source_key` form.
    source: String,
    lang: String,
}

impl Analyzed {
    /// Normalises and tokenises a title and a body, each up to [`MAX_ANALYZED_BYTES`].
    pub fn new(title: &str, body: &str) -> Analyzed {
        Analyzed::with_cap(title, body, MAX_ANALYZED_BYTES)
    }

    /// [`Analyzed::new`], with the tokens of the analysed title and body (offsets into
    /// [`Analyzed::title`] and [`Analyzed::body`]).
    pub fn new_with_tokens(title: &str, body: &str) -> (Analyzed, [Vec<vi_text::Token>; 2]) {
        Analyzed::with_cap_and_tokens(title, body, MAX_ANALYZED_BYTES)
    }

    /// Normalises a title and a body and tokenises the first `cap` bytes of each (display
    /// form, cut at a space). Spans of hits are offsets into the whole display form.
    pub fn with_cap(title: &str, body: &str, cap: usize) -> Analyzed {
        Analyzed::with_cap_and_tokens(title, body, cap).0
    }

    /// [`Analyzed::document`], with the tokens of the analysed title and body (offsets into
    /// [`Analyzed::title`] and [`Analyzed::body`]), for a caller that reads the same text
    /// in other ways (places) without tokenising it again.
    pub fn document_with_tokens(
        doc: &model::NewDocument,
        source: &str,
    ) -> (Analyzed, [Vec<vi_text::Token>; 2]) {
        let (analyzed, tokens) =
            Analyzed::with_cap_and_tokens(&doc.title, &doc.full_text(), MAX_ANALYZED_BYTES);
        (analyzed.with_meta(source, &doc.language), tokens)
    }

    fn with_cap_and_tokens(
        title: &str,
        body: &str,
        cap: usize,
    ) -> (Analyzed, [Vec<vi_text::Token>; 2]) {
        let title = vi_text::display(title);
        let body = vi_text::display(body);
        let (title_part, body_part) = (analysed_part(&title, cap), analysed_part(&body, cap));
        let title_tokens = vi_text::tokenize(title_part);
        let body_tokens = vi_text::tokenize(body_part);
        // Social posts write `ko`, `sxh`, `v.a.c.x.i.n`: rules see the alternatives too.
        // One reading of teencode and misspellings serves the overlays and claim
        // similarity.
        let title_alts = vi_text::expansions(title_part, &title_tokens);
        let body_alts = vi_text::expansions(body_part, &body_tokens);
        let readings = [
            claims::readings(&title_tokens, &title_alts),
            claims::readings(&body_tokens, &body_alts),
        ];
        let title_overlays = query::overlays_of(&title_tokens, title_alts, title_part);
        let body_overlays = query::overlays_of(&body_tokens, body_alts, body_part);
        let streams = Streams::new(&[&title_tokens, &body_tokens]);
        let analyzed = Analyzed {
            title,
            body,
            title_keys: TokenKeys::of(&title_tokens),
            body_keys: TokenKeys::of(&body_tokens),
            title_spots: Spot::of(&title_tokens),
            body_spots: Spot::of(&body_tokens),
            title_overlays,
            body_overlays,
            readings,
            title_bare: title_tokens.iter().any(|t| t.unaccented),
            body_bare: body_tokens.iter().any(|t| t.unaccented),
            streams,
            source: String::new(),
            lang: String::new(),
        };
        (analyzed, [title_tokens, body_tokens])
    }

    /// A stored or new document as the pipeline and backtests match it: the title, the
    /// summary and body as one text, the source name and the language.
    pub fn document(doc: &model::NewDocument, source: &str) -> Analyzed {
        Analyzed::new(&doc.title, &doc.full_text()).with_meta(source, &doc.language)
    }

    /// The alternatives laid over the title's and the body's tokens (teencode expansions,
    /// spelling repairs, joined obfuscations), as [`query::overlays`] makes them.
    pub fn overlays(&self) -> [&[query::Overlay]; 2] {
        [&self.title_overlays, &self.body_overlays]
    }

    /// Adds the source name and language code that `source:` and `lang:` test.
    pub fn with_meta(mut self, source: &str, lang: &str) -> Analyzed {
        self.source = query::source_key(source);
        lang.clone_into(&mut self.lang);
        self
    }

    /// The title's and the body's syllables as claim similarity reads them: fold forms
    /// from the streams, spans from the spots, teencode and misspellings read.
    pub(crate) fn syllables_for_claims(&self) -> [Vec<claims::Syl>; 2] {
        let field = |first: usize, spots: &[Spot], readings: &[claims::Reading]| {
            let forms = self.streams.folded_forms(first..first + spots.len());
            claims::read_syllables(
                forms.zip(spots).map(|(f, s)| (f, s.start, s.end)),
                spots.len(),
                readings,
            )
        };
        [
            field(0, &self.title_spots, &self.readings[0]),
            field(self.title_spots.len(), &self.body_spots, &self.readings[1]),
        ]
    }

    /// The document's syllables in match form and fold form, as the presearcher scans them
    /// (for comparing against a bare automaton).
    pub fn streams(&self) -> [&str; 2] {
        [&self.streams.matched, &self.streams.folded]
    }

    /// The title's syllables in match form, in order: the tokens rules read, for copies
    /// and stories to read too without tokenising again.
    pub fn title_syllables(&self) -> impl Iterator<Item = &str> {
        self.streams.forms(0..self.title_keys.len())
    }

    /// The analysed part of the body's syllables in match form, in order.
    pub fn body_syllables(&self) -> impl Iterator<Item = &str> {
        let start = self.title_keys.len();
        self.streams.forms(start..start + self.body_keys.len())
    }

    /// The ids of the document's tokens and overlays in a program's vocabulary.
    fn sids(&self, program: &Program) -> DocSids {
        DocSids {
            title: self.streams.sids(program, &self.title_keys, 0),
            body: self.streams.sids(program, &self.body_keys, self.title_keys.len()),
            title_overlays: program.overlay_sids(&self.title_overlays),
            body_overlays: program.overlay_sids(&self.body_overlays),
        }
    }

    fn fields<'a>(&'a self, sids: &'a DocSids) -> [Field<'a>; 2] {
        [
            Field {
                spots: &self.title_spots,
                sids: &sids.title,
                overlays: &self.title_overlays,
                overlay_sids: &sids.title_overlays,
            },
            Field {
                spots: &self.body_spots,
                sids: &sids.body,
                overlays: &self.body_overlays,
                overlay_sids: &sids.body_overlays,
            },
        ]
    }

    fn index(&self, fields: &[Field<'_>], wanted: Option<&CodeSet>) -> DocIndex {
        DocIndex::build(fields, wanted).with_source_key(&self.source, &self.lang)
    }

    fn candidates(&self, presearcher: &Presearcher, fields: &[Field<'_>; 2]) -> Vec<u32> {
        presearcher.candidates(&[
            (fields[0], &self.title_keys, self.title_bare),
            (fields[1], &self.body_keys, self.body_bare),
        ])
    }
}

/// A document's token and overlay ids in one rule set's vocabulary.
struct DocSids {
    title: Vec<Sids>,
    body: Vec<Sids>,
    title_overlays: Vec<Sids>,
    body_overlays: Vec<Sids>,
}

const FIELDS: [&str; 2] = ["title", "body"];

/// Every rule of every pack, compiled for matching, and the health days the packs declare.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    days: Vec<HealthDay>,
    /// Every rule's query, compiled: rule `r` is `queries[r]`.
    program: Program,
    queries: Vec<Query>,
    presearcher: Presearcher,
    /// The codes of every rule's terms, rule after rule: rule `r`'s are
    /// `term_codes[term_bounds[r]..term_bounds[r + 1]]`. A document indexes only the tokens
    /// its candidate rules can ask for.
    term_bounds: Vec<u32>,
    term_codes: Vec<u32>,
    /// What a hit of rule `r` copies, side by side for all rules: a document with hundreds
    /// of hits reads these instead of the rules' full records.
    briefs: Vec<Brief>,
    /// The claim library's similarity index, when claims joined the set
    /// ([`RuleSet::with_claims`]): it is swapped with the rules on every reload.
    claims: Option<Arc<ClaimIndex>>,
    /// Rule id to its place in `rules`, for hits made by id ([`RuleSet::hit_of`]).
    by_id: HashMap<Arc<str>, u32>,
}

/// The part of a rule its hits carry.
#[derive(Debug, Clone)]
struct Brief {
    id: Arc<str>,
    title: Arc<str>,
    kind: model::RuleKind,
    severity: model::Severity,
}

impl Default for RuleSet {
    fn default() -> RuleSet {
        RuleSet::compile(Vec::new(), &[])
    }
}

impl RuleSet {
    /// Loads every `*.toml` pack in `dir` (sorted by name). Problems are returned as
    /// diagnostics; the rules that loaded cleanly are kept.
    pub fn load_dir(dir: &Path) -> (RuleSet, Vec<Diagnostic>) {
        RuleSet::load(&RuleSources::dir_only(dir))
    }

    /// Loads the packs built into the program ([`crate::builtin::PACKS`]).
    pub fn load_builtin() -> (RuleSet, Vec<Diagnostic>) {
        RuleSet::load(&RuleSources::builtin())
    }

    /// Loads the built-in packs with `dir`'s over them: a pack of `dir` replaces the
    /// built-in pack of the same file name, the others add to them. A missing `dir` adds
    /// nothing.
    pub fn load_layered(dir: &Path) -> (RuleSet, Vec<Diagnostic>) {
        RuleSet::load(&RuleSources::layered(dir))
    }

    /// Loads the packs of `sources`, in file-name order whichever layer a file is from.
    /// Problems are returned as diagnostics; the rules that loaded cleanly are kept.
    pub fn load(sources: &RuleSources) -> (RuleSet, Vec<Diagnostic>) {
        let mut all = Pack::default();
        let mut diags = Vec::new();
        let (inputs, unlisted) = sources.inputs(builtin::PACKS, "");
        if let Some((dir, e)) = unlisted
            && !(sources.builtin && e.kind() == std::io::ErrorKind::NotFound)
        {
            diags.push(Diagnostic {
                file: dir,
                line: 0,
                column: 0,
                rule: None,
                message: format!("cannot read the rules directory: {e}"),
            });
        }
        for input in inputs {
            match input.read() {
                Ok(text) => {
                    let (more, d) = parse_pack(input.path(), &text);
                    diags.extend(d);
                    extend(&mut all, more, &mut diags);
                }
                Err(e) => diags.push(Diagnostic {
                    file: input.path().to_owned(),
                    line: 0,
                    column: 0,
                    rule: None,
                    message: format!("cannot read the pack: {e}"),
                }),
            }
        }
        RuleSet::from_pack_parts(all, diags)
    }

    /// Parses one pack from text (for tests and tools); `file` labels diagnostics.
    pub fn from_pack(file: &Path, text: &str) -> (RuleSet, Vec<Diagnostic>) {
        let (more, mut diags) = parse_pack(file, text);
        let mut all = Pack::default();
        extend(&mut all, more, &mut diags);
        RuleSet::from_pack_parts(all, diags)
    }

    /// Checks what the days refer to once every pack is read, then compiles.
    fn from_pack_parts(mut all: Pack, mut diags: Vec<Diagnostic>) -> (RuleSet, Vec<Diagnostic>) {
        let ids: HashSet<&str> = all.rules.iter().map(|r| &*r.id).collect();
        let tags: HashSet<&str> =
            all.rules.iter().flat_map(|r| r.tags.iter().map(String::as_str)).collect();
        for day in &mut all.days {
            for r in &day.refs {
                let (known, what) = if r.tag {
                    (tags.contains(r.name.as_str()), "no rule carries the tag")
                } else {
                    (ids.contains(r.name.as_str()), "no rule has the id")
                };
                if !known {
                    diags.push(Diagnostic {
                        file: day.file.clone(),
                        line: r.line,
                        column: r.column,
                        rule: Some(day.id.clone()),
                        message: format!("related {what} {:?}", r.name),
                    });
                }
            }
            day.rules.retain(|id| ids.contains(id.as_str()));
            day.tags.retain(|t| tags.contains(t.as_str()));
        }
        let mut set = RuleSet::from_rules(all.rules);
        set.days = all.days;
        (set, diags)
    }

    /// Compiles rules that are already parsed (ids are assumed unique), without days.
    pub fn from_rules(rules: Vec<Rule>) -> RuleSet {
        RuleSet::compile(rules, crate::suspicion::cue_rules())
    }

    /// Compiles `rules`, and beside them `cues`: queries that [`crate::judge`] evaluates
    /// in the same pass (the suspicious-post cue lists), so a document's syllables are
    /// looked up and scanned once for both. Cues are never hits of the set.
    pub(crate) fn compile(mut rules: Vec<Rule>, cues: &[Rule]) -> RuleSet {
        rules.shrink_to_fit();
        let mut program = Program::new();
        let mut presearcher = Presearcher::new();
        let mut queries = Vec::with_capacity(rules.len() + cues.len());
        for r in rules.iter().chain(cues) {
            // Rules are parsed when they are read and the parse is not kept (a hundred
            // thousand expression trees would outweigh everything else); one that no longer
            // parses would match nothing.
            let expr =
                query::parse_with(&r.query, &query::Limits::RULES).unwrap_or(Expr::Or(Vec::new()));
            queries.push(program.compile(&expr));
            presearcher.add(&expr, &mut program);
        }
        program.finish();
        presearcher.finish(program.codes());
        let mut term_codes = Vec::new();
        let mut term_bounds = Vec::with_capacity(rules.len() + 1);
        term_bounds.push(0);
        let mut one = Vec::new();
        for &q in &queries {
            one.clear();
            program.codes_of(q, &mut one);
            one.sort_unstable();
            one.dedup();
            term_codes.extend_from_slice(&one);
            term_bounds.push(term_codes.len() as u32);
        }
        term_codes.shrink_to_fit();
        let briefs = rules
            .iter()
            .chain(cues)
            .map(|r| Brief {
                id: Arc::clone(&r.id),
                title: Arc::clone(&r.title),
                kind: r.kind,
                severity: r.severity,
            })
            .collect();
        let by_id = rules.iter().enumerate().map(|(i, r)| (Arc::clone(&r.id), i as u32)).collect();
        RuleSet {
            briefs,
            by_id,
            rules,
            days: Vec::new(),
            program,
            queries,
            presearcher,
            term_bounds,
            term_codes,
            claims: None,
        }
    }

    /// These rules and `extra` compiled together (the claim library beside the packs), with
    /// the packs' health days kept.
    pub fn with_rules(&self, extra: Vec<Rule>) -> RuleSet {
        let mut all = self.rules.clone();
        all.extend(extra);
        let mut set = RuleSet::from_rules(all);
        set.days = self.days.clone();
        set.claims = self.claims.clone();
        set
    }

    /// The same set with the claim library's similarity index beside it, so that a text
    /// repeating a known claim is told how closely and where ([`crate::judge`]).
    pub fn with_claims(mut self, index: Arc<ClaimIndex>) -> RuleSet {
        self.claims = Some(index);
        self
    }

    /// The claim library's similarity index, when claims joined the set.
    pub fn claims(&self) -> Option<&ClaimIndex> {
        self.claims.as_deref()
    }

    /// A hit of rule `id` (a claim's rule) whose only evidence is `terms`: the hit a close
    /// repetition of a claim gets when its query's terms are not all there. `None` for an
    /// unknown id.
    pub fn hit_of(&self, id: &str, terms: Vec<MatchedTerm>) -> Option<Hit> {
        let rule = &self.briefs[*self.by_id.get(id)? as usize];
        Some(Hit {
            rule_id: Arc::clone(&rule.id),
            rule_title: Arc::clone(&rule.title),
            kind: rule.kind,
            severity: rule.severity,
            terms,
        })
    }

    /// The health days of every pack, in load order.
    pub fn days(&self) -> &[HealthDay] {
        &self.days
    }

    /// The health days under way on `today` or starting within `within` days after it
    /// (see [`calendar::upcoming`]).
    pub fn upcoming_days(&self, today: NaiveDate, within: u32) -> Vec<Occurrence<'_>> {
        calendar::upcoming(&self.days, today, within)
    }

    /// The rules related to a day: those it names and those carrying one of its tags, in
    /// load order.
    pub fn related_rules(&self, day: &HealthDay) -> Vec<&Rule> {
        self.rules
            .iter()
            .filter(|r| {
                day.rules.iter().any(|id| **id == *r.id)
                    || r.tags.iter().any(|t| day.tags.contains(t))
            })
            .collect()
    }

    /// Number of distinct literals the presearcher's automata look for.
    pub fn literal_count(&self) -> usize {
        self.presearcher.literals()
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Runs every rule's examples: each `match` text must match and each `no_match` text
    /// must not. Examples are read as a body with an empty title.
    pub fn check(&self) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let matches = |i: usize, text: &str| {
            let doc = Analyzed::new("", text);
            let sids = doc.sids(&self.program);
            let index = doc.index(&doc.fields(&sids), None);
            index.matches(&self.program, self.queries[i])
        };
        // A rumour rule matches its claim in refutations too; the stance stage keeps those
        // from raising alerts, so a `no_match` example of a rumour is one that raises none.
        let raises = |rule: &Rule, text: &str| {
            if rule.kind != model::RuleKind::Rumor {
                return true;
            }
            let doc = Analyzed::new("", text);
            let hits = self.match_analyzed(&doc);
            hits.iter().filter(|h| h.rule_id == rule.id).any(|h| {
                crate::StanceCues::builtin().decide(&doc, h).stance == model::Stance::Carries
            })
        };
        for (i, rule) in self.rules.iter().enumerate() {
            let fail = |message: String| Diagnostic {
                file: rule.file.clone(),
                line: rule.line,
                column: 1,
                rule: Some(rule.id.to_string()),
                message,
            };
            for text in &rule.examples_match {
                if !matches(i, text) {
                    diags.push(fail(format!("example should match but does not: {text:?}")));
                }
            }
            for text in &rule.examples_no_match {
                if matches(i, text) && raises(rule, text) {
                    diags.push(fail(format!("example should not match but does: {text:?}")));
                }
            }
        }
        diags
    }

    /// Matches a raw title and body.
    pub fn match_document(&self, title: &str, body: &str) -> Vec<Hit> {
        self.match_analyzed(&Analyzed::new(title, body))
    }

    /// Matches an already analysed document; hits come in rule order. Only the rules the
    /// presearcher proposes are evaluated.
    pub fn match_analyzed(&self, doc: &Analyzed) -> Vec<Hit> {
        let mut fuel = Fuel::unlimited();
        self.match_budgeted(doc, &mut fuel).unwrap_or_default()
    }

    /// As [`RuleSet::match_analyzed`], spending `fuel` on evaluating the proposed rules
    /// (the analysis and the presearcher's scan are linear and not counted): [`OutOfFuel`]
    /// when it runs out, and the document's hits are then unknown.
    pub fn match_budgeted(&self, doc: &Analyzed, fuel: &mut Fuel) -> Result<Vec<Hit>, OutOfFuel> {
        Ok(self.match_cued(doc, fuel, false)?.0)
    }

    /// The document's hits and, with `cues`, the hits of the cue lists compiled beside the
    /// rules ([`RuleSet::compile`]); without, cues are neither evaluated nor paid for.
    pub(crate) fn match_cued(
        &self,
        doc: &Analyzed,
        fuel: &mut Fuel,
        cues: bool,
    ) -> Result<(Vec<Hit>, Vec<Hit>), OutOfFuel> {
        let sids = doc.sids(&self.program);
        let fields = doc.fields(&sids);
        let mut candidates = doc.candidates(&self.presearcher, &fields);
        if !cues {
            // Candidates are sorted, and cues come after the rules.
            let rules = candidates.partition_point(|&i| (i as usize) < self.rules.len());
            candidates.truncate(rules);
        }
        if candidates.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut wanted = CodeSet::for_program(&self.program);
        for &i in &candidates {
            let i = i as usize;
            for &c in
                &self.term_codes[self.term_bounds[i] as usize..self.term_bounds[i + 1] as usize]
            {
                wanted.insert(c);
            }
        }
        let index = doc.index(&fields, Some(&wanted));
        let mut spans = Vec::new();
        let (mut hits, mut cue_hits) = (Vec::new(), Vec::new());
        for &i in &candidates {
            let i = i as usize;
            let hit = self.hit(i, &index, &mut spans, fuel)?;
            if i < self.rules.len() { hits.extend(hit) } else { cue_hits.extend(hit) }
        }
        Ok((hits, cue_hits))
    }

    /// The reference: evaluates every rule on the document, without the presearcher. It
    /// returns exactly what [`RuleSet::match_analyzed`] does, only slower.
    pub fn match_every_rule(&self, doc: &Analyzed) -> Vec<Hit> {
        let sids = doc.sids(&self.program);
        let index = doc.index(&doc.fields(&sids), None);
        let mut spans = Vec::new();
        let mut fuel = Fuel::unlimited();
        (0..self.rules.len())
            .filter_map(|i| self.hit(i, &index, &mut spans, &mut fuel).ok().flatten())
            .collect()
    }

    /// How many rules the presearcher proposes for the document (for measurements).
    pub fn candidate_count(&self, doc: &Analyzed) -> usize {
        let sids = doc.sids(&self.program);
        let candidates = doc.candidates(&self.presearcher, &doc.fields(&sids));
        candidates.partition_point(|&i| (i as usize) < self.rules.len())
    }

    /// Bytes the compiled rules hold beyond the rules themselves: the program, the
    /// presearcher and the term lists (for measurements).
    pub fn compiled_bytes(&self) -> usize {
        self.program.heap_bytes()
            + self.presearcher.heap_bytes()
            + (self.queries.capacity() + self.term_bounds.capacity() + self.term_codes.capacity())
                * 4
            + self.briefs.capacity() * std::mem::size_of::<Brief>()
    }

    /// Rule `i`'s hit on the document, if it matches; `spans` is scratch space.
    fn hit(
        &self,
        i: usize,
        index: &DocIndex,
        spans: &mut Vec<query::Span>,
        fuel: &mut Fuel,
    ) -> Result<Option<Hit>, OutOfFuel> {
        spans.clear();
        let rule = &self.briefs[i];
        if !index.evaluate_into_budgeted(&self.program, self.queries[i], spans, fuel)? {
            return Ok(None);
        }
        spans.sort_unstable();
        spans.dedup();
        Ok(Some(Hit {
            rule_id: Arc::clone(&rule.id),
            rule_title: Arc::clone(&rule.title),
            kind: rule.kind,
            severity: rule.severity,
            terms: spans
                .iter()
                .map(|s| MatchedTerm {
                    field: FIELDS[s.field],
                    start: s.start,
                    end: s.end,
                    term: self.program.shared_label(s.label),
                })
                .collect(),
        }))
    }
}

fn extend(all: &mut Pack, more: Pack, diags: &mut Vec<Diagnostic>) {
    let mut seen: HashSet<String> = all.days.iter().map(|d| d.id.clone()).collect();
    for day in more.days {
        if !seen.insert(day.id.clone()) {
            diags.push(Diagnostic {
                file: day.file.clone(),
                line: day.line,
                column: 1,
                rule: Some(day.id.clone()),
                message: "duplicate day id: ids must be unique across all packs".to_owned(),
            });
            continue;
        }
        all.days.push(day);
    }
    let rules = &mut all.rules;
    let mut seen: HashSet<Arc<str>> = rules.iter().map(|r| Arc::clone(&r.id)).collect();
    for rule in more.rules {
        if !seen.insert(Arc::clone(&rule.id)) {
            diags.push(Diagnostic {
                file: rule.file.clone(),
                line: rule.line,
                column: 1,
                rule: Some(rule.id.to_string()),
                message: "duplicate rule id: ids must be unique across all packs".to_owned(),
            });
            continue;
        }
        rules.push(rule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::When;

    const PACK: &str = r#"
[[rules]]
id = "rumor.than-duoc"
kind = "rumor"
title = "Thần dược chữa bách bệnh"
severity = "high"
query = '"thần dược" (chữa OR khỏi) NOT "cảnh báo"'
match = ["Thần dược chữa khỏi ung thư"]
no_match = ["Bộ Y tế cảnh báo về thần dược chữa bệnh"]

[[rules]]
id = "topic.dengue"
kind = "topic"
title = "Sốt xuất huyết"
severity = "low"
query = '"sot xuat huyet" OR sxh'
match = ["Sốt xuất huyết tăng mạnh"]
"#;

    #[test]
    fn examples_pass_and_hits_are_explained() {
        let (set, diags) = RuleSet::from_pack(Path::new("t.toml"), PACK);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(set.check().is_empty());
        let title = "Cảnh giác: thần dược chữa khỏi sốt xuất huyết";
        let hits = set.match_document(title, "Bài đăng lan truyền trên mạng.");
        let ids: Vec<_> = hits.iter().map(|h| &*h.rule_id).collect();
        assert_eq!(ids, ["rumor.than-duoc", "topic.dengue"]);
        let words: Vec<_> = hits[0].terms.iter().map(|t| &title[t.start..t.end]).collect();
        assert_eq!(words, ["thần dược", "chữa", "khỏi"]);
        assert_eq!(hits[1].terms[0].field, "title");
        assert_eq!(&title[hits[1].terms[0].start..hits[1].terms[0].end], "sốt xuất huyết");
    }

    #[test]
    fn failing_examples_are_reported() {
        let bad = PACK.replace("Bộ Y tế cảnh báo về thần dược chữa bệnh", "thần dược chữa bệnh");
        let (set, _) = RuleSet::from_pack(Path::new("t.toml"), &bad);
        let d = set.check();
        assert_eq!(d.len(), 1);
        assert!(d[0].to_string().contains("should not match but does"), "{}", d[0]);
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let twice =
            format!("{PACK}\n{}", &PACK[PACK.find("[[rules]]\nid = \"topic.dengue\"").unwrap()..]);
        let (set, diags) = RuleSet::from_pack(Path::new("t.toml"), &twice);
        assert_eq!(set.len(), 2);
        assert!(diags[0].message.contains("duplicate rule id"));
    }

    const DAYS: &str = r#"
[[days]]
id = "day.sxh"
title = "Ngày ASEAN phòng, chống sốt xuất huyết"
when = "15/6"
lead_days = 14
rules = ["topic.dengue"]
source = "Phụ lục 4"

[[days]]
id = "day.bad"
title = "X"
when = "01/12 và 31/02"
lead_days = 400
rules = ["topic.dengue", "topic.nope"]
tags = ["no-such-tag"]
source = "X"
"#;

    #[test]
    fn days_load_with_their_related_rules_and_diagnostics() {
        let text = format!("{PACK}{DAYS}");
        let (set, diags) = RuleSet::from_pack(Path::new("t.toml"), &text);
        let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
        let line = |needle: &str| text[..text.find(needle).unwrap()].matches('\n').count() + 1;
        assert_eq!(
            shown,
            [
                format!(
                    "t.toml:{}:18: rule day.bad: invalid when: impossible date 31/02: month 2 has 29 days",
                    line("when = \"01/12")
                ),
                format!(
                    "t.toml:{}:13: rule day.bad: lead_days must be 0 to 366, found 400",
                    line("lead_days = 400")
                ),
            ]
        );
        // The bad day is dropped; the good one keeps its rule.
        assert_eq!(set.days().len(), 1);
        let day = &set.days()[0];
        assert_eq!(day.when, [When::Day(crate::MonthDay { month: 6, day: 15 })]);
        let related: Vec<&str> = set.related_rules(day).iter().map(|r| &*r.id).collect();
        assert_eq!(related, ["topic.dengue"]);
        let today = NaiveDate::from_ymd_opt(2026, 6, 3).unwrap();
        let soon = set.upcoming_days(today, 30);
        assert_eq!((soon.len(), soon[0].days_until, soon[0].needs_preparation()), (1, 12, true));

        // Unknown rule ids and tags are reported where they are written.
        let fixed = text.replace("01/12 và 31/02", "01/12").replace("400", "7");
        let (set, diags) = RuleSet::from_pack(Path::new("t.toml"), &fixed);
        let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
        let at = line("rules = [\"topic.dengue\", \"topic.nope\"]");
        assert_eq!(
            shown,
            [
                format!("t.toml:{at}:26: rule day.bad: related no rule has the id \"topic.nope\""),
                format!(
                    "t.toml:{}:9: rule day.bad: related no rule carries the tag \"no-such-tag\"",
                    at + 1
                ),
            ]
        );
        let bad = &set.days()[1];
        assert_eq!(
            (bad.rules.as_slice(), bad.tags.len()),
            (["topic.dengue".to_owned()].as_slice(), 0)
        );

        // Unknown keys and duplicate ids are refused too.
        let (_, diags) = RuleSet::from_pack(
            Path::new("t.toml"),
            &format!("{PACK}{DAYS}").replace("source = \"X\"", "source = \"X\"\nurl = 1"),
        );
        assert!(diags[0].message.contains("unknown field `url`"), "{diags:?}");
        let twice = format!(
            "{PACK}{}{}",
            &DAYS[..DAYS.find("[[days]]\nid = \"day.bad\"").unwrap()],
            &DAYS[..DAYS.find("[[days]]\nid = \"day.bad\"").unwrap()]
        );
        let (set, diags) = RuleSet::from_pack(Path::new("t.toml"), &twice);
        assert_eq!(set.days().len(), 1);
        assert!(diags[0].message.contains("duplicate day id"), "{diags:?}");
    }
}
