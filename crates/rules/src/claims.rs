//! The claim library: known false or misleading health statements, read from the built-in
//! claim files and `claims/*.toml` under the rules directory, matched both as rules (their
//! required terms) and by near-duplicate similarity of their phrasings, and exported as
//! ClaimReview.
//!
//! * [`ClaimLibrary::load`] reads and validates every claim file; each problem is a
//!   [`Diagnostic`] naming the file, the line, the claim and the field.
//! * [`ClaimLibrary::rules`] turns every claim into a `rumor` rule whose `match` examples
//!   are its phrasings written with diacritics; [`ClaimLibrary::check_unaccented`] tries
//!   the phrasings typed without them and reports misses as warnings, not errors: how
//!   bare syllables meet accented terms is the query engine's to decide.
//! * [`ClaimIndex`] finds the claims a text repeats or paraphrases: syllable shingles of
//!   every phrasing in fold form (teencode expanded), an inverted index from shingle to
//!   phrasing, and for each phrasing touched the best weighted containment of its
//!   shingles within a window of the text, with the passage that scored.
//! * [`ClaimLibrary::claim_reviews`] gives one schema.org `ClaimReview` per refuted claim;
//!   [`append_claim`] adds a claim to a file after validating the result.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use model::{RuleKind, Severity};
use serde::{Deserialize, Serialize};
use toml::Spanned;
use vi_text::{AltKind, Token};

use crate::builtin::RuleSources;
use crate::pack::{Diagnostic, Rule};
use crate::set::{Analyzed, RuleSet};

/// The tag every claim's rule carries besides its own.
pub const CLAIM_TAG: &str = "claim";

/// The subdirectory of the rules directory that holds the claim files.
pub const CLAIMS_DIR: &str = "claims";

/// How a claim is judged, for the ClaimReview rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verdict {
    /// The statement is false ("Sai sự thật").
    #[default]
    False,
    /// True in part or out of context, and misleading as shared ("Gây hiểu nhầm").
    Misleading,
}

impl Verdict {
    /// The key as written in a claim file.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::False => "false",
            Verdict::Misleading => "misleading",
        }
    }

    /// The rating's name as Vietnamese fact-checkers write it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::False => "Sai sự thật",
            Verdict::Misleading => "Gây hiểu nhầm",
        }
    }
}

/// The official refutation of a claim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refutation {
    /// Who refuted it.
    pub by: String,
    /// When: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: Option<String>,
    /// The statement, or a news report of it.
    pub url: Option<String>,
    /// A document number, such as a dispatch.
    pub document: Option<String>,
    /// One sentence saying what is true.
    pub summary: Option<String>,
}

/// Where a claim is documented: a fact-check, a refutation or a report of the rumour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimSource {
    /// Who published it.
    pub publisher: String,
    /// Its title.
    pub title: String,
    /// When: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Where it is.
    pub url: Option<String>,
    /// A document number, when the source is a document.
    pub document: Option<String>,
}

/// How a phrasing is written, as far as matching cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// With diacritics (news, most posts, teencode typed with a Vietnamese keyboard).
    Accented,
    /// Typed without any diacritic.
    Unaccented,
}

impl Style {
    /// How `text` is written: unaccented when none of its syllables carries a diacritic.
    pub fn of(text: &str) -> Style {
        let tokens = vi_text::tokenize(&vi_text::display(text));
        if tokens.iter().all(Token::is_plain) { Style::Unaccented } else { Style::Accented }
    }
}

/// One known false or misleading health statement.
#[derive(Debug, Clone)]
pub struct Claim {
    /// `claim.<group>.<slug>`, unique across every claim file and rule pack.
    pub id: String,
    /// The claim as officials or fact-checkers name it.
    pub title: String,
    /// How urgent a post carrying it is.
    pub severity: Severity,
    /// Free labels.
    pub tags: Vec<String>,
    /// When it first circulated, as documented (`YYYY` or `YYYY-MM`).
    pub first_seen: Option<String>,
    /// What a text must contain to be about the claim, in the rule language.
    pub query: String,
    /// How it circulates, in several registers.
    pub phrasings: Vec<String>,
    /// False or misleading; false unless the file says otherwise.
    pub verdict: Verdict,
    /// The official refutation, when there is one.
    pub refutation: Option<Refutation>,
    /// Where it is documented (at least one).
    pub sources: Vec<ClaimSource>,
    /// The claim file.
    pub file: PathBuf,
    /// Line of its `[[claims]]` header.
    pub line: usize,
    /// Line of its query, for the rule it becomes.
    pub query_line: usize,
    /// Line of each phrasing (the `phrasings` key's line when one cannot be found).
    pub phrasing_lines: Vec<usize>,
}

impl Default for Claim {
    fn default() -> Claim {
        Claim {
            id: String::new(),
            title: String::new(),
            severity: Severity::Medium,
            tags: Vec::new(),
            first_seen: None,
            query: String::new(),
            phrasings: Vec::new(),
            verdict: Verdict::False,
            refutation: None,
            sources: Vec::new(),
            file: PathBuf::new(),
            line: 0,
            query_line: 0,
            phrasing_lines: Vec::new(),
        }
    }
}

impl Claim {
    /// The claim as a `rumor` rule: its id, title, severity, tags and [`CLAIM_TAG`], its
    /// query, and its phrasings written with diacritics as `match` examples.
    pub fn rule(&self) -> Rule {
        let mut tags = self.tags.clone();
        if !tags.iter().any(|t| t == CLAIM_TAG) {
            tags.push(CLAIM_TAG.to_owned());
        }
        Rule {
            id: self.id.as_str().into(),
            kind: RuleKind::Rumor,
            title: self.title.as_str().into(),
            severity: self.severity,
            tags,
            query: self.query.clone(),
            examples_match: self
                .phrasings
                .iter()
                .filter(|p| Style::of(p) == Style::Accented)
                .cloned()
                .collect(),
            examples_no_match: Vec::new(),
            file: self.file.clone(),
            line: self.query_line,
        }
    }

    /// The claim as a `[[claims]]` table, in the layout of the claim files.
    pub fn to_toml(&self) -> String {
        let s = |v: &str| toml::Value::String(v.to_owned()).to_string();
        let list = |items: &[String]| {
            let inner: Vec<String> = items.iter().map(|i| s(i)).collect();
            format!("[{}]", inner.join(", "))
        };
        let mut out = String::from("[[claims]]\n");
        let mut line = |k: &str, v: String| {
            out.push_str(k);
            out.push_str(" = ");
            out.push_str(&v);
            out.push('\n');
        };
        line("id", s(&self.id));
        line("title", s(&self.title));
        line("severity", s(self.severity.as_str()));
        line("tags", list(&self.tags));
        if let Some(f) = &self.first_seen {
            line("first_seen", s(f));
        }
        if self.verdict != Verdict::False {
            line("verdict", s(self.verdict.as_str()));
        }
        line("query", s(&self.query));
        let phrasings: String = self.phrasings.iter().map(|p| format!("  {},\n", s(p))).collect();
        line("phrasings", format!("[\n{phrasings}]"));
        if let Some(r) = &self.refutation {
            out.push_str("[claims.refutation]\n");
            out.push_str(&format!("by = {}\n", s(&r.by)));
            for (k, v) in [
                ("date", &r.date),
                ("url", &r.url),
                ("document", &r.document),
                ("summary", &r.summary),
            ] {
                if let Some(v) = v {
                    out.push_str(&format!("{k} = {}\n", s(v)));
                }
            }
        }
        for src in &self.sources {
            out.push_str("[[claims.sources]]\n");
            out.push_str(&format!(
                "publisher = {}\ntitle = {}\n",
                s(&src.publisher),
                s(&src.title)
            ));
            for (k, v) in [("date", &src.date), ("url", &src.url), ("document", &src.document)] {
                if let Some(v) = v {
                    out.push_str(&format!("{k} = {}\n", s(v)));
                }
            }
        }
        out
    }
}

/// Every claim of every claim file.
#[derive(Debug, Clone, Default)]
pub struct ClaimLibrary {
    claims: Vec<Claim>,
}

impl ClaimLibrary {
    /// Reads every `claims/*.toml` under the rules directory `rules_dir`, sorted by name.
    /// No `claims` directory is an empty library, not a problem. Claims with a problem are
    /// left out; ids must be unique across the files.
    pub fn load_dir(rules_dir: &Path) -> (ClaimLibrary, Vec<Diagnostic>) {
        ClaimLibrary::load(&RuleSources::dir_only(rules_dir))
    }

    /// Reads the claim files built into the program ([`crate::builtin::CLAIMS`]).
    pub fn load_builtin() -> (ClaimLibrary, Vec<Diagnostic>) {
        ClaimLibrary::load(&RuleSources::builtin())
    }

    /// Reads the built-in claim files with `rules_dir/claims/*.toml` over them: a file
    /// there replaces the built-in file of the same name, the others add to them.
    pub fn load_layered(rules_dir: &Path) -> (ClaimLibrary, Vec<Diagnostic>) {
        ClaimLibrary::load(&RuleSources::layered(rules_dir))
    }

    /// Reads the claim files of `sources`, in file-name order whichever layer a file is
    /// from. A directory without a `claims` directory adds no claim, and is no problem.
    pub fn load(sources: &RuleSources) -> (ClaimLibrary, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let (inputs, unlisted) = sources.inputs(crate::builtin::CLAIMS, CLAIMS_DIR);
        if let Some((dir, e)) = unlisted
            && e.kind() != std::io::ErrorKind::NotFound
        {
            diags.push(located(&dir, 0, 0, None, format!("cannot read the claims directory: {e}")));
        }
        let mut library = ClaimLibrary::default();
        for input in inputs {
            match input.read() {
                Ok(text) => {
                    let (claims, d) = parse_claims(input.path(), &text);
                    diags.extend(d);
                    library.extend(claims, &mut diags);
                }
                Err(e) => diags.push(located(
                    input.path(),
                    0,
                    0,
                    None,
                    format!("cannot read the claim file: {e}"),
                )),
            }
        }
        (library, diags)
    }

    /// Parses one claim file from text (for tests and tools); `file` labels diagnostics.
    pub fn parse(file: &Path, text: &str) -> (ClaimLibrary, Vec<Diagnostic>) {
        let (claims, mut diags) = parse_claims(file, text);
        let mut library = ClaimLibrary::default();
        library.extend(claims, &mut diags);
        (library, diags)
    }

    fn extend(&mut self, claims: Vec<Claim>, diags: &mut Vec<Diagnostic>) {
        let mut seen: HashSet<String> = self.claims.iter().map(|c| c.id.clone()).collect();
        for claim in claims {
            if !seen.insert(claim.id.clone()) {
                diags.push(located(
                    &claim.file,
                    claim.line,
                    1,
                    Some(&claim.id),
                    "field `id`: duplicate claim id: ids must be unique across all claim files"
                        .to_owned(),
                ));
                continue;
            }
            self.claims.push(claim);
        }
    }

    /// The claims, file by file in name order.
    pub fn claims(&self) -> &[Claim] {
        &self.claims
    }

    /// The claim with this id.
    pub fn get(&self, id: &str) -> Option<&Claim> {
        self.claims.iter().find(|c| c.id == id)
    }

    /// Number of claims.
    pub fn len(&self) -> usize {
        self.claims.len()
    }

    /// Whether there is no claim.
    pub fn is_empty(&self) -> bool {
        self.claims.is_empty()
    }

    /// Every claim as a `rumor` rule (see [`Claim::rule`]).
    pub fn rules(&self) -> Vec<Rule> {
        self.claims.iter().map(Claim::rule).collect()
    }

    /// Claims whose id is also a pack rule's: a problem for each, since the two would be
    /// one rule id with two meanings.
    pub fn check_ids(&self, rules: &[Rule]) -> Vec<Diagnostic> {
        let ids: HashSet<&str> = rules.iter().map(|r| &*r.id).collect();
        self.claims
            .iter()
            .filter(|c| ids.contains(c.id.as_str()))
            .map(|c| {
                located(
                    &c.file,
                    c.line,
                    1,
                    Some(&c.id),
                    "field `id`: a rule pack already has a rule with this id".to_owned(),
                )
            })
            .collect()
    }

    /// The library without the claims whose id a pack rule has (see
    /// [`ClaimLibrary::check_ids`]), so the rest can join the rules.
    pub fn without_rule_ids(&self, rules: &[Rule]) -> ClaimLibrary {
        let ids: HashSet<&str> = rules.iter().map(|r| &*r.id).collect();
        ClaimLibrary {
            claims: self.claims.iter().filter(|c| !ids.contains(c.id.as_str())).cloned().collect(),
        }
    }

    /// Warnings for the claims whose query misses one of their phrasings typed without
    /// diacritics, tried on `set` (which must hold the claims' rules); one per phrasing.
    pub fn check_unaccented(&self, set: &RuleSet) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for claim in &self.claims {
            for (i, p) in claim.phrasings.iter().enumerate() {
                if Style::of(p) != Style::Unaccented {
                    continue;
                }
                let hit = set.match_document("", p).iter().any(|h| *h.rule_id == *claim.id);
                if !hit {
                    out.push(located(
                        &claim.file,
                        claim.phrasing_lines.get(i).copied().unwrap_or(claim.line),
                        1,
                        Some(&claim.id),
                        format!(
                            "field `phrasings`: the query misses this phrasing typed without diacritics: {p:?}"
                        ),
                    ));
                }
            }
        }
        out
    }

    /// The similarity index over every phrasing, with the default parameters.
    pub fn index(&self) -> ClaimIndex {
        ClaimIndex::new(self, SimilarityParams::default())
    }

    /// One ClaimReview per claim with a refutation, in library order.
    pub fn claim_reviews(&self) -> Vec<ClaimReview> {
        self.claims.iter().filter_map(claim_review).collect()
    }
}

fn located(
    file: &Path,
    line: usize,
    column: usize,
    claim: Option<&str>,
    message: String,
) -> Diagnostic {
    Diagnostic { file: file.to_owned(), line, column, rule: claim.map(str::to_owned), message }
}

// ---------------------------------------------------------------------------------------
// Reading claim files
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    pack: Option<Spanned<toml::Value>>,
    #[serde(default)]
    claims: Vec<Spanned<toml::Value>>,
}

const CLAIM_KEYS: [&str; 10] = [
    "id",
    "title",
    "severity",
    "tags",
    "first_seen",
    "query",
    "phrasings",
    "verdict",
    "refutation",
    "sources",
];
const REFUTATION_KEYS: [&str; 5] = ["by", "date", "url", "document", "summary"];
const SOURCE_KEYS: [&str; 5] = ["publisher", "title", "date", "url", "document"];

/// Where things are in one claim's part of the file: its text runs from its `[[claims]]`
/// header to the next one.
struct Place<'a> {
    file: &'a Path,
    text: &'a str,
    start: usize,
    end: usize,
}

impl Place<'_> {
    /// The offset of `key = …` in the claim's text, or inside its `table` (a header such as
    /// `[claims.refutation]`, the `nth` one when it repeats).
    fn key(&self, table: Option<(&str, usize)>, key: &str) -> Option<usize> {
        let at = match table {
            Some((header, nth)) => self.header(header, nth)?,
            None => self.start,
        };
        // A table runs from the line after its header to the next header.
        let from = self.text[at..self.end].find('\n').map_or(self.end, |i| at + i + 1);
        let to = line_starts(self.text, from, self.end)
            .find(|&o| self.text[o..].trim_start().starts_with('['))
            .unwrap_or(self.end);
        line_starts(self.text, from, to).find_map(|o| {
            let line = &self.text[o..];
            let trimmed = line.trim_start();
            let rest = trimmed.strip_prefix(key)?;
            rest.trim_start().starts_with('=').then_some(o + (line.len() - trimmed.len()))
        })
    }

    fn header(&self, header: &str, nth: usize) -> Option<usize> {
        line_starts(self.text, self.start, self.end)
            .filter(|&o| self.text[o..].trim_start().starts_with(header))
            .nth(nth)
    }

    fn line_of(&self, offset: usize) -> (usize, usize) {
        query::line_col(self.text, offset)
    }

    fn diag(&self, at: Option<usize>, claim: &str, message: String) -> Diagnostic {
        let (line, column) = self.line_of(at.unwrap_or(self.start));
        located(self.file, line, column, Some(claim), message)
    }
}

/// The offsets of the lines that start in `from..to`.
fn line_starts(text: &str, from: usize, to: usize) -> impl Iterator<Item = usize> + '_ {
    let first = text[..from].rfind('\n').map_or(0, |i| i + 1);
    std::iter::once(first)
        .chain(text[first..to].match_indices('\n').map(move |(i, _)| first + i + 1))
        .filter(move |&o| o < to && o >= first)
}

/// Parses one claim file. Claims with a problem are left out, with a diagnostic for each
/// problem.
fn parse_claims(file: &Path, text: &str) -> (Vec<Claim>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let (line, column) = query::line_col(text, offset);
            let message = format!("invalid claim file: {}", e.message());
            return (Vec::new(), vec![located(file, line, column, None, message)]);
        }
    };
    if let Some(pack) = &raw.pack {
        check_pack_table(file, text, pack, &mut diags);
    }
    let starts: Vec<usize> = raw.claims.iter().map(|c| c.span().start).collect();
    let mut claims = Vec::new();
    for (i, spanned) in raw.claims.iter().enumerate() {
        let start = spanned.span().start;
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let place = Place { file, text, start, end };
        if let Some(claim) = read_claim(&place, spanned.get_ref(), &mut diags) {
            claims.push(claim);
        }
    }
    (claims, diags)
}

fn check_pack_table(
    file: &Path,
    text: &str,
    pack: &Spanned<toml::Value>,
    diags: &mut Vec<Diagnostic>,
) {
    let (line, column) = query::line_col(text, pack.span().start);
    let at = |message: String| located(file, line, column, None, message);
    let Some(table) = pack.get_ref().as_table() else {
        diags.push(at("field `pack`: expected a table with title and description".to_owned()));
        return;
    };
    for (k, v) in table {
        match k.as_str() {
            "title" | "description" if v.is_str() => {}
            "title" | "description" => {
                diags.push(at(format!("field `pack.{k}`: expected a string")))
            }
            _ => diags.push(at(format!(
                "field `pack.{k}`: unknown field, expected `title` or `description`"
            ))),
        }
    }
    if !table.contains_key("title") {
        diags.push(at("field `pack.title`: missing".to_owned()));
    }
}

/// Whether an id is `claim.` and at least two more segments of `a-z`, `0-9` and `-`.
pub fn valid_claim_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("claim.") else { return false };
    let segments: Vec<&str> = rest.split('.').collect();
    segments.len() >= 2
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Whether a date is `YYYY`, `YYYY-MM` or `YYYY-MM-DD` and exists.
pub fn valid_partial_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    let num = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    match parts.as_slice() {
        [y] => num(y, 4).is_some_and(|y| (1900..=2100).contains(&y)),
        [y, m] => {
            num(y, 4).is_some_and(|y| (1900..=2100).contains(&y))
                && num(m, 2).is_some_and(|m| (1..=12).contains(&m))
        }
        [y, m, d] => match (num(y, 4), num(m, 2), num(d, 2)) {
            (Some(y), Some(m), Some(d)) => {
                (1900..=2100).contains(&y)
                    && chrono::NaiveDate::from_ymd_opt(y as i32, m, d).is_some()
            }
            _ => false,
        },
        _ => false,
    }
}

fn valid_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        host.contains('.') && !r.chars().any(char::is_whitespace)
    })
}

/// A sub-table of a claim as its header is written, and which one of them when it repeats.
type Table = Option<(&'static str, usize)>;

const REFUTATION: Table = Some(("[claims.refutation]", 0));

/// Reads the fields of one claim, collecting a diagnostic for every problem.
struct Reader<'a> {
    place: &'a Place<'a>,
    id: String,
    problems: Vec<Diagnostic>,
}

impl Reader<'_> {
    /// A problem with `key` of the claim or of one of its sub-tables, located at the key
    /// (or at the sub-table's header when the key is not written).
    fn problem(&mut self, table: Table, key: &str, message: String) {
        let place = self.place;
        let at = place.key(table, key).or_else(|| table.and_then(|(h, n)| place.header(h, n)));
        self.problems.push(place.diag(at, &self.id, message));
    }

    fn unknown_keys(&mut self, t: &toml::Table, table: Table, prefix: &str, known: &[&str]) {
        for key in t.keys() {
            if !known.contains(&key.as_str()) {
                let message = format!(
                    "field `{prefix}{key}`: unknown field, expected one of {}",
                    known.join(", ")
                );
                self.problem(table, key, message);
            }
        }
    }

    /// A string field: `None` when it is absent or empty (a problem when `required`).
    fn string(
        &mut self,
        t: &toml::Table,
        table: Table,
        prefix: &str,
        key: &str,
        required: bool,
    ) -> Option<String> {
        let problem = match t.get(key) {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => return Some(s.clone()),
            Some(toml::Value::String(_)) if required => "must not be empty",
            Some(toml::Value::String(_)) => return None,
            Some(_) => "expected a string",
            None if required => "missing",
            None => return None,
        };
        self.problem(table, key, format!("field `{prefix}{key}`: {problem}"));
        None
    }

    /// A list of non-empty strings of the claim itself.
    fn strings(&mut self, t: &toml::Table, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        match t.get(key) {
            None => {}
            Some(toml::Value::Array(items)) => {
                for item in items {
                    match item.as_str() {
                        Some(s) if !s.trim().is_empty() => out.push(s.to_owned()),
                        Some(_) => self.problem(None, key, format!("field `{key}`: empty string")),
                        None => self.problem(None, key, format!("field `{key}`: expected strings")),
                    }
                }
            }
            Some(_) => {
                self.problem(None, key, format!("field `{key}`: expected a list of strings"))
            }
        }
        out
    }

    /// Checks a date and an address once they are read.
    fn check_date_and_url(
        &mut self,
        table: Table,
        prefix: &str,
        date: Option<&str>,
        url: Option<&str>,
    ) {
        if let Some(d) = date
            && !valid_partial_date(d)
        {
            let message =
                format!("field `{prefix}date`: expected YYYY, YYYY-MM or YYYY-MM-DD, found {d:?}");
            self.problem(table, "date", message);
        }
        if let Some(u) = url
            && !valid_url(u)
        {
            self.problem(table, "url", format!("field `{prefix}url`: not an http(s) URL: {u:?}"));
        }
    }

    fn refutation(&mut self, t: &toml::Table) -> Refutation {
        let prefix = "refutation.";
        self.unknown_keys(t, REFUTATION, prefix, &REFUTATION_KEYS);
        let r = Refutation {
            by: self.string(t, REFUTATION, prefix, "by", true).unwrap_or_default(),
            date: self.string(t, REFUTATION, prefix, "date", false),
            url: self.string(t, REFUTATION, prefix, "url", false),
            document: self.string(t, REFUTATION, prefix, "document", false),
            summary: self.string(t, REFUTATION, prefix, "summary", false),
        };
        self.check_date_and_url(REFUTATION, prefix, r.date.as_deref(), r.url.as_deref());
        if r.url.is_none() && r.document.is_none() {
            self.problem(
                REFUTATION,
                "url",
                "field `refutation`: give a `url` or a `document`".to_owned(),
            );
        }
        r
    }

    fn sources(&mut self, value: Option<&toml::Value>) -> Vec<ClaimSource> {
        let expected = "field `sources`: expected [[claims.sources]] tables";
        let mut sources = Vec::new();
        let items = match value {
            Some(toml::Value::Array(items)) => items.as_slice(),
            Some(_) => {
                self.problem(None, "sources", expected.to_owned());
                return sources;
            }
            None => &[],
        };
        let prefix = "sources.";
        for (n, item) in items.iter().enumerate() {
            let table = Some(("[[claims.sources]]", n));
            let Some(t) = item.as_table() else {
                self.problem(None, "sources", expected.to_owned());
                continue;
            };
            self.unknown_keys(t, table, prefix, &SOURCE_KEYS);
            let s = ClaimSource {
                publisher: self.string(t, table, prefix, "publisher", true).unwrap_or_default(),
                title: self.string(t, table, prefix, "title", true).unwrap_or_default(),
                date: self.string(t, table, prefix, "date", false),
                url: self.string(t, table, prefix, "url", false),
                document: self.string(t, table, prefix, "document", false),
            };
            self.check_date_and_url(table, prefix, s.date.as_deref(), s.url.as_deref());
            if s.url.is_none() && s.document.is_none() {
                self.problem(
                    table,
                    "url",
                    "field `sources`: give a `url` or a `document`".to_owned(),
                );
            }
            sources.push(s);
        }
        if sources.is_empty() && items.is_empty() {
            self.problem(
                None,
                "sources",
                "field `sources`: at least one [[claims.sources]] with a url or a document is needed"
                    .to_owned(),
            );
        }
        sources
    }

    /// Checks that the query parses, locating an error at its character in the file
    /// (exact for a query written without escapes).
    fn query(&mut self, query: &str) {
        let Err(e) = query::parse_with(query, &query::Limits::RULES) else { return };
        let place = self.place;
        let key = place.key(None, "query");
        let at = key.and_then(|o| {
            let eq = place.text[o..].find('=')? + o + 1;
            let q = place.text[eq..].find(['\'', '"'])? + eq;
            Some(string_start(place.text, q) + e.offset)
        });
        self.problems.push(place.diag(
            at.or(key),
            &self.id,
            format!("field `query`: invalid query: {}", e.message),
        ));
    }
}

/// Reads one claim table, reporting every problem it has; a claim with a problem is left
/// out.
fn read_claim(
    place: &Place<'_>,
    value: &toml::Value,
    diags: &mut Vec<Diagnostic>,
) -> Option<Claim> {
    let Some(table) = value.as_table() else {
        diags.push(place.diag(None, "?", "expected a [[claims]] table".to_owned()));
        return None;
    };
    let id = table.get("id").and_then(toml::Value::as_str).unwrap_or("?").to_owned();
    let mut r = Reader { place, id, problems: Vec::new() };
    r.unknown_keys(table, None, "", &CLAIM_KEYS);
    if r.string(table, None, "", "id", true).is_some_and(|id| !valid_claim_id(&id)) {
        let message = "field `id`: expected `claim.<group>.<slug>` in lowercase ASCII letters, digits and '-'";
        r.problem(None, "id", message.to_owned());
    }
    let title = r.string(table, None, "", "title", true).unwrap_or_default();
    let severity = match r.string(table, None, "", "severity", true).map(|s| s.parse::<Severity>())
    {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            r.problem(None, "severity", format!("field `severity`: {e}"));
            Severity::Low
        }
        None => Severity::Low,
    };
    let tags = r.strings(table, "tags");
    let first_seen = r.string(table, None, "", "first_seen", false);
    if let Some(f) = &first_seen
        && !valid_partial_date(f)
    {
        r.problem(
            None,
            "first_seen",
            format!("field `first_seen`: expected YYYY or YYYY-MM, found {f:?}"),
        );
    }
    let verdict = match r.string(table, None, "", "verdict", false).as_deref() {
        None | Some("false") => Verdict::False,
        Some("misleading") => Verdict::Misleading,
        Some(other) => {
            let message =
                format!("field `verdict`: expected \"false\" or \"misleading\", found {other:?}");
            r.problem(None, "verdict", message);
            Verdict::False
        }
    };
    let query = r.string(table, None, "", "query", true).unwrap_or_default();
    let phrasings = r.strings(table, "phrasings");
    if phrasings.is_empty() {
        r.problem(
            None,
            "phrasings",
            "field `phrasings`: at least one phrasing is needed".to_owned(),
        );
    }
    let refutation = match table.get("refutation") {
        None => None,
        Some(toml::Value::Table(t)) => Some(r.refutation(t)),
        Some(_) => {
            r.problem(None, "refutation", "field `refutation`: expected a table".to_owned());
            None
        }
    };
    let sources = r.sources(table.get("sources"));
    if !query.is_empty() {
        r.query(&query);
    }
    let Reader { id, problems, .. } = r;
    if !problems.is_empty() {
        diags.extend(problems);
        return None;
    }
    let (line, _) = place.line_of(place.start);
    let line_of_key = |key: &str| place.key(None, key).map_or(line, |o| place.line_of(o).0);
    let phrasings_line = line_of_key("phrasings");
    let phrasing_lines = phrasings
        .iter()
        .map(|p| {
            // Found where it is written as it reads, with nothing escaped in its first words.
            let head: String = p.chars().take(24).collect();
            place.text[place.start..place.end]
                .find(&head)
                .map_or(phrasings_line, |o| place.line_of(place.start + o).0)
        })
        .collect();
    Some(Claim {
        id,
        title,
        severity,
        tags,
        first_seen,
        query,
        phrasings,
        verdict,
        refutation,
        sources,
        file: place.file.to_owned(),
        line,
        query_line: line_of_key("query"),
        phrasing_lines,
    })
}

/// The offset of a TOML string's first character, past its opening quote or quotes.
fn string_start(text: &str, quote: usize) -> usize {
    let rest = &text[quote..];
    quote + if rest.starts_with("'''") || rest.starts_with("\"\"\"") { 3 } else { 1 }
}

// ---------------------------------------------------------------------------------------
// Adding a claim
// ---------------------------------------------------------------------------------------

/// The header a new claim file starts with.
fn new_file_header() -> String {
    "# Claims recorded by the office (`langnghe claims add`), each with the refutation and\n\
     # the reports that document it beside it.\n\
     [pack]\n\
     title = \"Tin sai đã biết: do văn phòng ghi nhận\"\n\
     description = \"Tin sai, tin gây hiểu nhầm về sức khỏe do cán bộ văn phòng ghi nhận và bổ sung.\"\n"
        .to_owned()
}

/// What [`append_claim`] did.
#[derive(Debug)]
pub struct Appended {
    /// The file written.
    pub file: PathBuf,
    /// Problems that do not stop the claim (phrasings typed without diacritics that its
    /// query misses).
    pub warnings: Vec<Diagnostic>,
}

/// Appends `claim` to `file` (created with a `[pack]` header when missing) after checking
/// that the file still reads without a problem, that the id is new across the claim library
/// of `rules_dir` and the rule ids in `rule_ids`, and that the query matches the claim's
/// phrasings written with diacritics. Nothing is written when anything is wrong.
pub fn append_claim(
    rules_dir: &Path,
    file: &Path,
    claim: &Claim,
    rule_ids: &HashSet<String>,
) -> Result<Appended, Vec<Diagnostic>> {
    let existing = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => new_file_header(),
        Err(e) => {
            return Err(vec![located(
                file,
                0,
                0,
                None,
                format!("cannot read the claim file: {e}"),
            )]);
        }
    };
    let mut text = existing;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&claim.to_toml());
    let (parsed, mut problems) = ClaimLibrary::parse(file, &text);
    let Some(added) = parsed.get(&claim.id).cloned() else {
        if problems.is_empty() {
            problems.push(located(
                file,
                0,
                0,
                Some(&claim.id),
                "the claim did not read back".to_owned(),
            ));
        }
        return Err(problems);
    };
    let (library, _) = ClaimLibrary::load_dir(rules_dir);
    let same_file = |c: &Claim| same_path(&c.file, file);
    if library.claims().iter().any(|c| c.id == claim.id && !same_file(c)) {
        problems.push(located(
            &added.file,
            added.line,
            1,
            Some(&claim.id),
            "field `id`: another claim file already has a claim with this id".to_owned(),
        ));
    }
    if rule_ids.contains(&claim.id) {
        problems.push(located(
            &added.file,
            added.line,
            1,
            Some(&claim.id),
            "field `id`: a rule pack already has a rule with this id".to_owned(),
        ));
    }
    let set = RuleSet::from_rules(vec![added.rule()]);
    problems.extend(set.check());
    if !problems.is_empty() {
        return Err(problems);
    }
    let warnings = ClaimLibrary { claims: vec![added] }.check_unaccented(&set);
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            vec![located(parent, 0, 0, None, format!("cannot create the claims directory: {e}"))]
        })?;
    }
    // Written beside and renamed, so a watcher never reads half a file.
    let tmp = file.with_extension("toml.tmp");
    std::fs::write(&tmp, &text).and_then(|()| std::fs::rename(&tmp, file)).map_err(|e| {
        vec![located(file, 0, 0, None, format!("cannot write the claim file: {e}"))]
    })?;
    Ok(Appended { file: file.to_owned(), warnings })
}

fn same_path(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

// ---------------------------------------------------------------------------------------
// ClaimReview
// ---------------------------------------------------------------------------------------

/// A schema.org `ClaimReview` (JSON-LD), as fact-check partners and search engines read it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClaimReview {
    /// `https://schema.org`.
    #[serde(rename = "@context")]
    pub context: &'static str,
    /// `ClaimReview`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// The claim's id in the library.
    pub identifier: String,
    /// The refutation's address (else the first documenting source's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The claim's title.
    #[serde(rename = "claimReviewed")]
    pub claim_reviewed: String,
    /// When the refutation was published.
    #[serde(rename = "datePublished", skip_serializing_if = "Option::is_none")]
    pub date_published: Option<String>,
    /// `vi`.
    #[serde(rename = "inLanguage")]
    pub in_language: &'static str,
    /// Who refuted it.
    pub author: Organization,
    /// The verdict.
    #[serde(rename = "reviewRating")]
    pub review_rating: Rating,
    /// The claim as it circulated.
    #[serde(rename = "itemReviewed")]
    pub item_reviewed: ItemClaim,
    /// The refutation's one-sentence summary.
    #[serde(rename = "reviewBody", skip_serializing_if = "Option::is_none")]
    pub review_body: Option<String>,
}

/// A schema.org `Organization` named by the claim file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Organization {
    /// `Organization`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// Its name.
    pub name: String,
}

/// A schema.org `Rating` on a 1 (false) to 5 (true) scale.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rating {
    /// `Rating`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// 1 for false, 2 for misleading.
    #[serde(rename = "ratingValue")]
    pub rating_value: u8,
    /// 5.
    #[serde(rename = "bestRating")]
    pub best_rating: u8,
    /// 1.
    #[serde(rename = "worstRating")]
    pub worst_rating: u8,
    /// "Sai sự thật" or "Gây hiểu nhầm".
    #[serde(rename = "alternateName")]
    pub alternate_name: &'static str,
}

/// The schema.org `Claim` reviewed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemClaim {
    /// `Claim`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// The claim's title.
    pub name: String,
    /// When it first circulated.
    #[serde(rename = "datePublished", skip_serializing_if = "Option::is_none")]
    pub date_published: Option<String>,
    /// The earliest documenting source.
    #[serde(rename = "firstAppearance", skip_serializing_if = "Option::is_none")]
    pub first_appearance: Option<Appearance>,
    /// Every documenting source.
    pub appearance: Vec<Appearance>,
}

/// A schema.org `CreativeWork` where the claim is documented.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Appearance {
    /// `CreativeWork`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// Its address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Its title.
    pub headline: String,
    /// A document number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// When it was published.
    #[serde(rename = "datePublished", skip_serializing_if = "Option::is_none")]
    pub date_published: Option<String>,
    /// Who published it.
    pub publisher: Organization,
}

fn organization(name: &str) -> Organization {
    Organization { kind: "Organization", name: name.to_owned() }
}

fn claim_review(claim: &Claim) -> Option<ClaimReview> {
    let r = claim.refutation.as_ref()?;
    let appearance: Vec<Appearance> = claim
        .sources
        .iter()
        .map(|s| Appearance {
            kind: "CreativeWork",
            url: s.url.clone(),
            headline: s.title.clone(),
            identifier: s.document.clone(),
            date_published: s.date.clone(),
            publisher: organization(&s.publisher),
        })
        .collect();
    // Partial dates compare as text: "2020" sorts before "2020-02", which is right.
    let first_appearance = appearance
        .iter()
        .filter(|a| a.date_published.is_some())
        .min_by(|a, b| a.date_published.cmp(&b.date_published))
        .or(appearance.first())
        .cloned();
    let (rating_value, alternate_name) = match claim.verdict {
        Verdict::False => (1, Verdict::False.label()),
        Verdict::Misleading => (2, Verdict::Misleading.label()),
    };
    Some(ClaimReview {
        context: "https://schema.org",
        kind: "ClaimReview",
        identifier: claim.id.clone(),
        url: r.url.clone().or_else(|| claim.sources.iter().find_map(|s| s.url.clone())),
        claim_reviewed: claim.title.clone(),
        date_published: r.date.clone(),
        in_language: "vi",
        author: organization(&r.by),
        review_rating: Rating {
            kind: "Rating",
            rating_value,
            best_rating: 5,
            worst_rating: 1,
            alternate_name,
        },
        item_reviewed: ItemClaim {
            kind: "Claim",
            name: claim.title.clone(),
            date_published: claim.first_seen.clone(),
            first_appearance,
            appearance,
        },
        review_body: r.summary.clone(),
    })
}

// ---------------------------------------------------------------------------------------
// Similarity
// ---------------------------------------------------------------------------------------

/// The similarity parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimilarityParams {
    /// Syllables per shingle.
    pub shingle: usize,
    /// A claim is reported at this similarity or more.
    pub threshold: f32,
    /// The window of the text a phrasing is looked for in, as a multiple of the
    /// phrasing's length in syllables (plus [`SimilarityParams::slack`]).
    pub window_factor: f32,
    /// Syllables added to every window.
    pub slack: usize,
    /// Fewest distinct shingles of a phrasing that must be found for it to count.
    pub min_shingles: usize,
    /// A phrasing with fewer shingles than this is scored as if it had this many of its
    /// average weight, so a short one is not fully repeated by a few shared words.
    pub min_length: usize,
    /// The weight of a shingle is multiplied by this for each common syllable in it.
    pub common_weight: f32,
}

impl Default for SimilarityParams {
    fn default() -> Self {
        SimilarityParams {
            shingle: 2,
            threshold: 0.4,
            window_factor: 1.5,
            slack: 10,
            min_shingles: 3,
            min_length: 12,
            common_weight: 0.3,
        }
    }
}

/// A claim a text repeats or paraphrases.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimMatch {
    /// The claim's id (the id of its rule too).
    pub claim_id: Arc<str>,
    /// The weighted share of the best phrasing's shingles found in one window of the text,
    /// 0 to 1.
    pub similarity: f32,
    /// Which phrasing of the claim scored (its index).
    pub phrasing: usize,
    /// `title` or `body`.
    pub field: &'static str,
    /// Byte offset of the passage in that field's display form.
    pub start: usize,
    /// End of the passage.
    pub end: usize,
}

/// One phrasing in the index.
#[derive(Debug, Clone)]
struct Phrasing {
    claim: u32,
    index: u16,
    /// Syllables, for the window.
    len: u32,
    /// Weight of each distinct shingle, by slot.
    weights: Vec<f32>,
    total: f32,
}

/// A phrasing that has a shingle: which, the shingle's slot in it, and the share of the
/// phrasing's weight the shingle carries.
#[derive(Debug, Clone, Copy)]
struct Posting {
    phrasing: u32,
    slot: u16,
    share: f32,
}

/// The phrasings a shingle is in: `first`, then `more[from..to]` of the index.
#[derive(Debug, Clone, Copy)]
struct Postings {
    first: Posting,
    from: u32,
    to: u32,
}

/// Every phrasing of every claim as shingles, with an inverted index from shingle to the
/// phrasings that have it. Cheap to share: build it once per library.
#[derive(Debug, Clone, Default)]
pub struct ClaimIndex {
    params: SimilarityParams,
    ids: Vec<Arc<str>>,
    phrasings: Vec<Phrasing>,
    /// Shingle hash to the phrasings that have it: the first in the map's own slot (most
    /// shingles are in one phrasing, read with the probe), the others in `more`.
    postings: HashMap<u64, Postings, BuildHasherDefault<Premixed>>,
    more: Vec<Posting>,
    /// A Bloom filter of the shingle hashes in `postings`, two bits each: most of a text's
    /// shingles are in no claim, and two bit reads reject them before the map does.
    filter: Vec<u64>,
}

/// Filter bits per shingle of the library: with two bits each, about one shingle in two
/// hundred that no claim has gets past the filter.
const FILTER_BITS_PER_KEY: usize = 16;

/// The two bits of `hash` in a filter of `words` 64-bit words (a power of two): word and
/// mask of each, from bits of the hash the map does not index by.
fn filter_bits(hash: u64, words: usize) -> [(usize, u64); 2] {
    let bits = words * 64 - 1;
    let a = (hash >> 40) as usize & bits;
    let b = (hash >> 16) as usize & bits;
    [(a / 64, 1 << (a % 64)), (b / 64, 1 << (b % 64))]
}

/// A syllable of a text as the index reads it: the hash of its fold form, whether it is
/// one of the [`COMMON`] syllables, and its span.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syl {
    hash: u64,
    common: bool,
    start: usize,
    end: usize,
}

/// Syllables (fold form) that every kind of text is full of: function words, pronouns and
/// the particles of chat. A shingle made of them says little about which claim a text
/// repeats, so it weighs less. Folded forms that are also frequent content words in claims
/// are left out: `tu` ("tử vong"), `ho` (the cough), `gio` (the wind), `vi` ("vi khuẩn"),
/// `toi` ("tỏi"), `tai` ("tai nạn"), `cu` ("củ"), `the` ("thẻ"), `da` and `day` ("dạ dày").
const COMMON: &[&str] = &[
    "a", "ai", "anh", "ay", "ba", "bi", "cac", "cai", "can", "chi", "cho", "chu", "chung", "co",
    "con", "cua", "cung", "dang", "de", "den", "di", "dieu", "do", "duoc", "em", "gi", "ha", "hay",
    "hoac", "khi", "khong", "la", "lai", "lam", "len", "luon", "ma", "minh", "moi", "mot", "nao",
    "nay", "ne", "nen", "neu", "nha", "nhe", "nhi", "nhieu", "nhu", "nhung", "no", "nua", "o",
    "oi", "phai", "qua", "ra", "rang", "rat", "roi", "sau", "se", "ta", "tat", "theo", "thi",
    "thoi", "tren", "trong", "truoc", "va", "vao", "vay", "ve", "viec", "voi", "vua", "xong",
];

/// The hashes of the [`COMMON`] syllables in an open-addressed table a quarter full: a
/// syllable is looked up by the hash it needs anyway, every syllable of every text.
fn common_hashes() -> &'static CommonTable {
    static TABLE: OnceLock<CommonTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut slots = vec![0u64; (COMMON.len() * 4).next_power_of_two()];
        let mask = slots.len() - 1;
        for w in COMMON {
            let h = word_hash(w);
            let mut i = h as usize & mask;
            while slots[i] != 0 && slots[i] != h {
                i = (i + 1) & mask;
            }
            slots[i] = h;
        }
        CommonTable { slots, mask }
    })
}

/// See [`common_hashes`]; 0 marks an empty slot (no syllable hashes to 0 in practice, and
/// one that did would only weigh as a common syllable).
struct CommonTable {
    slots: Vec<u64>,
    mask: usize,
}

impl CommonTable {
    fn contains(&self, hash: u64) -> bool {
        let mut i = hash as usize & self.mask;
        loop {
            match self.slots[i] {
                0 => return false,
                h if h == hash => return true,
                _ => i = (i + 1) & self.mask,
            }
        }
    }
}

fn syl(word: &str, start: u32, end: u32, common: &CommonTable) -> Syl {
    let hash = word_hash(word);
    Syl { hash, common: common.contains(hash), start: start as usize, end: end as usize }
}

/// The syllables of a display-form text, in fold form, with teencode and misspellings
/// read as the words they stand for (`k` → `khong`, `ae` → `anh em`).
fn syllables(display: &str, tokens: &[Token]) -> Vec<Syl> {
    syllables_read(tokens, &readings(tokens, &vi_text::expansions(display, tokens)))
}

/// The fold-form reading of each token that teencode or a misspelling stands for, by
/// token index in ascending order: the first such expansion of a token wins.
pub(crate) fn readings(tokens: &[Token], expansions: &[vi_text::Alternative]) -> Vec<Reading> {
    let mut out: Vec<Reading> = Vec::new();
    for alt in expansions {
        if alt.len == 1
            && matches!(alt.kind, AltKind::Teencode | AltKind::Spelling)
            && alt.token < tokens.len()
            && out.last().is_none_or(|r| (r.token as usize) < alt.token)
        {
            out.push(Reading {
                token: alt.token as u32,
                folded: vi_text::fold_str(&alt.text).into(),
            });
        }
    }
    out
}

/// What one token reads as when it is teencode or a misspelling ([`readings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reading {
    token: u32,
    folded: Box<str>,
}

/// [`syllables`], with the tokens' readings already made.
fn syllables_read(tokens: &[Token], readings: &[Reading]) -> Vec<Syl> {
    read_syllables(
        tokens.iter().map(|t| (t.folded.as_str(), t.start as u32, t.end as u32)),
        tokens.len(),
        readings,
    )
}

/// The syllables of tokens given as (fold form, display start, display end), in order,
/// with their readings.
pub(crate) fn read_syllables<'a>(
    tokens: impl Iterator<Item = (&'a str, u32, u32)>,
    n: usize,
    readings: &[Reading],
) -> Vec<Syl> {
    let common = common_hashes();
    let mut out = Vec::with_capacity(n + n / 8);
    let mut next = readings.iter().peekable();
    for (i, (folded, start, end)) in tokens.enumerate() {
        match next.next_if(|r| r.token as usize == i) {
            Some(r) => out.extend(r.folded.split_whitespace().map(|w| syl(w, start, end, common))),
            None => out.push(syl(folded, start, end, common)),
        }
    }
    out
}

/// A hasher for keys that are already well-mixed 64-bit hashes (shingles): it passes them
/// through instead of hashing them again.
#[derive(Debug, Default, Clone, Copy)]
struct Premixed(u64);

impl Hasher for Premixed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix64(self.0 ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A syllable's hash: its bytes read eight at a time (a fold form is rarely longer), so
/// that hashing every syllable of a text is a load and a mix, not a multiply per byte.
fn word_hash(word: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325 ^ word.len() as u64;
    for chunk in word.as_bytes().chunks(8) {
        let mut bytes = [0u8; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        h = mix64(h ^ u64::from_le_bytes(bytes));
    }
    h
}

/// The shingles of `syls`: one per run of `k` syllables; a text shorter than `k`
/// syllables is one shingle.
fn shingles(syls: &[Syl], k: usize) -> impl Iterator<Item = Shingle> + '_ {
    let k = k.max(1).min(syls.len().max(1));
    syls.windows(k).enumerate().map(move |(i, w)| Shingle {
        hash: w.iter().fold(0x9E37_79B9_7F4A_7C15u64, |h, s| mix64(h.rotate_left(17) ^ s.hash)),
        common: w.iter().filter(|s| s.common).count() as u32,
        first: i as u32,
        last: (i + k - 1) as u32,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Shingle {
    hash: u64,
    /// How many of its syllables are common ones.
    common: u32,
    /// Its first and last syllable.
    first: u32,
    last: u32,
}

impl ClaimIndex {
    /// Indexes every phrasing of every claim of the library.
    pub fn new(library: &ClaimLibrary, params: SimilarityParams) -> ClaimIndex {
        let mut index = ClaimIndex { params, ..ClaimIndex::default() };
        let mut sets: Vec<Vec<Shingle>> = Vec::new();
        // In how many claims each shingle occurs: shingles many claims share ("chia sẻ
        // ngay", "bộ y tế") say little about which claim a text repeats.
        let mut df: HashMap<u64, u32> = HashMap::new();
        for (c, claim) in library.claims().iter().enumerate() {
            index.ids.push(claim.id.as_str().into());
            let mut of_claim: HashSet<u64> = HashSet::new();
            for (p, text) in claim.phrasings.iter().enumerate() {
                let display = vi_text::display(text);
                let syls = syllables(&display, &vi_text::tokenize(&display));
                let mut set: Vec<Shingle> = shingles(&syls, params.shingle).collect();
                set.sort_unstable();
                set.dedup_by_key(|s| s.hash);
                of_claim.extend(set.iter().map(|s| s.hash));
                index.phrasings.push(Phrasing {
                    claim: c as u32,
                    index: p as u16,
                    len: syls.len() as u32,
                    weights: Vec::new(),
                    total: 0.0,
                });
                sets.push(set);
            }
            for s in of_claim {
                *df.entry(s).or_default() += 1;
            }
        }
        let claims = library.len().max(1) as f32;
        let mut lists: HashMap<u64, Vec<Posting>> = HashMap::new();
        for (p, set) in sets.into_iter().enumerate() {
            let phrasing = &mut index.phrasings[p];
            for (slot, s) in set.iter().enumerate() {
                let w = (1.0 + claims / df[&s.hash] as f32).ln()
                    * params.common_weight.powi(s.common as i32);
                phrasing.weights.push(w);
                phrasing.total += w;
                lists.entry(s.hash).or_default().push(Posting {
                    phrasing: p as u32,
                    slot: slot as u16,
                    share: 0.0,
                });
            }
            // A short phrasing is not fully repeated by a few words it shares with a text.
            if !set.is_empty() {
                let floor = phrasing.total / set.len() as f32 * params.min_length as f32;
                phrasing.total = phrasing.total.max(floor);
            }
        }
        for (hash, mut list) in lists {
            for posting in &mut list {
                let phrasing = &index.phrasings[posting.phrasing as usize];
                posting.share = phrasing.weights[usize::from(posting.slot)] / phrasing.total;
            }
            let from = index.more.len() as u32;
            index.more.extend_from_slice(&list[1..]);
            let to = index.more.len() as u32;
            index.postings.insert(hash, Postings { first: list[0], from, to });
        }
        let words = (index.postings.len() * FILTER_BITS_PER_KEY / 64).next_power_of_two().max(8);
        index.filter = vec![0; words];
        for &hash in index.postings.keys() {
            for (word, bit) in filter_bits(hash, words) {
                index.filter[word] |= bit;
            }
        }
        index
    }

    /// The parameters in use.
    pub fn params(&self) -> SimilarityParams {
        self.params
    }

    /// The same index with another report threshold.
    pub fn with_threshold(mut self, threshold: f32) -> ClaimIndex {
        self.params.threshold = threshold;
        self
    }

    /// Number of claims indexed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no claim is indexed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The claims a raw title and body repeat or paraphrase at the threshold or more, most
    /// similar first, one match per claim.
    pub fn similar(&self, title: &str, body: &str) -> Vec<ClaimMatch> {
        let title = vi_text::display(title);
        let body = vi_text::display(body);
        let tokens = [vi_text::tokenize(&title), vi_text::tokenize(&body)];
        self.similar_tokens(&title, &tokens[0], &body, &tokens[1])
    }

    /// As [`ClaimIndex::similar`], for a document the pipeline has already analysed, with
    /// the tokens [`Analyzed::document_with_tokens`] returned: nothing is tokenised again
    /// and spans point into [`Analyzed::title`] and [`Analyzed::body`].
    pub fn similar_analyzed(&self, doc: &Analyzed, tokens: &[Vec<Token>; 2]) -> Vec<ClaimMatch> {
        // The analysis read teencode and misspellings already, and laid the fold forms
        // out in one buffer: both are reused.
        let _ = tokens;
        let [title, body] = doc.syllables_for_claims();
        let mut out = self.scores_syls([("title", title), ("body", body)], self.params.threshold);
        out.retain(|m| m.similarity >= self.params.threshold);
        out
    }

    /// As [`ClaimIndex::similar`], from display forms and their tokens.
    pub fn similar_tokens(
        &self,
        title: &str,
        title_tokens: &[Token],
        body: &str,
        body_tokens: &[Token],
    ) -> Vec<ClaimMatch> {
        let title_readings = readings(title_tokens, &vi_text::expansions(title, title_tokens));
        let body_readings = readings(body_tokens, &vi_text::expansions(body, body_tokens));
        let mut out = self.scores_read(
            [("title", title_tokens, &title_readings), ("body", body_tokens, &body_readings)],
            self.params.threshold,
        );
        out.retain(|m| m.similarity >= self.params.threshold);
        out
    }

    /// Every claim the text touches at all, with its best score (however low), most
    /// similar first: for a caller that wants the similarity of a claim its rule matched.
    pub fn scores(
        &self,
        title: &str,
        title_tokens: &[Token],
        body: &str,
        body_tokens: &[Token],
    ) -> Vec<ClaimMatch> {
        let title_readings = readings(title_tokens, &vi_text::expansions(title, title_tokens));
        let body_readings = readings(body_tokens, &vi_text::expansions(body, body_tokens));
        self.scores_read(
            [("title", title_tokens, &title_readings), ("body", body_tokens, &body_readings)],
            0.0,
        )
    }

    /// [`ClaimIndex::scores`] of fields whose tokens' readings are made, of the phrasings
    /// that may reach `floor`.
    fn scores_read(
        &self,
        fields: [(&'static str, &[Token], &[Reading]); 2],
        floor: f32,
    ) -> Vec<ClaimMatch> {
        if self.phrasings.is_empty() {
            return Vec::new();
        }
        let [(a, ta, ra), (b, tb, rb)] = fields;
        self.scores_syls([(a, syllables_read(ta, ra)), (b, syllables_read(tb, rb))], floor)
    }

    /// [`ClaimIndex::scores`] of fields read as syllables: every phrasing whose score may
    /// reach `floor` is scored (others may be too).
    fn scores_syls(&self, fields: [(&'static str, Vec<Syl>); 2], floor: f32) -> Vec<ClaimMatch> {
        let mut best: HashMap<u32, ClaimMatch> = HashMap::new();
        if self.phrasings.is_empty() {
            return Vec::new();
        }
        for (field, syls) in fields {
            if syls.is_empty() {
                continue;
            }
            for m in self.field_scores(&syls, floor) {
                let claim = self.phrasings[m.phrasing].claim;
                let better = best.get(&claim).is_none_or(|b| m.similarity > b.similarity);
                if better {
                    best.insert(
                        claim,
                        ClaimMatch {
                            claim_id: Arc::clone(&self.ids[claim as usize]),
                            similarity: m.similarity,
                            phrasing: usize::from(self.phrasings[m.phrasing].index),
                            field,
                            start: m.start,
                            end: m.end,
                        },
                    );
                }
            }
        }
        let mut out: Vec<ClaimMatch> = best.into_values().collect();
        out.sort_by(|a, b| {
            b.similarity.total_cmp(&a.similarity).then_with(|| a.claim_id.cmp(&b.claim_id))
        });
        out
    }

    /// The best window of one field for every phrasing it touches that may score `floor`
    /// or more.
    fn field_scores(&self, syls: &[Syl], floor: f32) -> Vec<FieldScore> {
        // Every shingle of the text found in a phrasing, and for each phrasing the sum of
        // the shares its found shingles carry, repeats counted twice: no window of the text
        // holds more of the phrasing than that, so a phrasing whose sum stays under the
        // floor is not scored. Shingles many phrasings share ("bộ y tế", "người dân") come
        // up in most health news; this keeps them from making every such phrasing a
        // window to slide.
        let mut found: Vec<(u32, Hit)> = Vec::new();
        let mut reach = vec![0f32; self.phrasings.len()];
        let words = self.filter.len();
        for sh in shingles(syls, self.params.shingle) {
            if words == 0
                || filter_bits(sh.hash, words)
                    .iter()
                    .any(|&(word, bit)| self.filter[word] & bit == 0)
            {
                continue;
            }
            if let Some(p) = self.postings.get(&sh.hash) {
                let more = &self.more[p.from as usize..p.to as usize];
                for posting in std::iter::once(&p.first).chain(more) {
                    reach[posting.phrasing as usize] += posting.share;
                    found.push((
                        posting.phrasing,
                        Hit { first: sh.first, last: sh.last, slot: posting.slot },
                    ));
                }
            }
        }
        // Sums of a few floats in another order differ in their last bits.
        let floor = floor - 1e-4;
        found.retain(|&(p, _)| reach[p as usize] >= floor);
        if found.is_empty() {
            return Vec::new();
        }
        // Hits grouped by phrasing, in text order within each (found is in text order and
        // the sort is stable).
        found.sort_by_key(|&(p, _)| p);
        let mut out = Vec::new();
        let mut counts: Vec<u16> = Vec::new();
        for group in found.chunk_by(|a, b| a.0 == b.0) {
            let p = group[0].0;
            let phrasing = &self.phrasings[p as usize];
            let needed = self.params.min_shingles.min(phrasing.weights.len());
            counts.clear();
            counts.resize(phrasing.weights.len(), 0);
            if group
                .iter()
                .filter(|(_, h)| std::mem::replace(&mut counts[usize::from(h.slot)], 1) == 0)
                .count()
                < needed
            {
                continue;
            }
            counts.fill(0);
            let list = |i: usize| group[i].1;
            let window =
                (phrasing.len as f32 * self.params.window_factor) as u32 + self.params.slack as u32;
            let (mut weight, mut distinct) = (0.0f32, 0usize);
            let mut best: Option<(f32, usize, usize)> = None;
            let mut left = 0;
            for right in 0..group.len() {
                let hit = list(right);
                let slot = usize::from(hit.slot);
                if counts[slot] == 0 {
                    weight += phrasing.weights[slot];
                    distinct += 1;
                }
                counts[slot] += 1;
                while hit.first - list(left).first >= window {
                    let s = usize::from(list(left).slot);
                    counts[s] -= 1;
                    if counts[s] == 0 {
                        weight -= phrasing.weights[s];
                        distinct -= 1;
                    }
                    left += 1;
                }
                if distinct >= needed && best.is_none_or(|b| weight > b.0) {
                    let end =
                        group[left..=right].iter().map(|h| h.1.last).max().unwrap_or(hit.last);
                    best = Some((weight, list(left).first as usize, end as usize));
                }
            }
            if let Some((weight, first, last)) = best {
                out.push(FieldScore {
                    phrasing: p as usize,
                    similarity: (weight / phrasing.total).min(1.0),
                    start: syls[first].start,
                    end: syls[last].end,
                });
            }
        }
        out
    }
}

/// A shingle of a text found in a phrasing: where in the text, and which of the
/// phrasing's shingles.
#[derive(Debug, Clone, Copy)]
struct Hit {
    first: u32,
    last: u32,
    slot: u16,
}

struct FieldScore {
    phrasing: usize,
    similarity: f32,
    start: usize,
    end: usize,
}
