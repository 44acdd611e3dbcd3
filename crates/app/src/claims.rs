//! The claim library beside the rule packs: loading both for serve, demo and the `rules`
//! commands, and `langnghe claims list|add|export|check`.
//!
//! Every claim is matched by the rule engine as a `rumor` rule of its own (its query, with
//! its phrasings as examples), and its phrasings feed the [`ClaimIndex`] that says how
//! closely a text repeats it. The shipped claims are built in; the office's live in
//! `claims/*.toml` under its rules directory, so a claim added here is loaded by the next
//! reload of `serve`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use rules::claims::{
    CLAIMS_DIR, ClaimSource, Refutation, Style, Verdict, append_claim, valid_claim_id,
};
use rules::{Claim, ClaimIndex, ClaimLibrary, Diagnostic, RuleSet, RuleSources};

use crate::config::Config;

/// The rule packs and the claim library, loaded together.
pub(crate) struct Loaded {
    /// Every pack's rules and every claim's rule, compiled as one set.
    pub(crate) rules: RuleSet,
    /// The claims that joined the rules.
    pub(crate) library: ClaimLibrary,
    /// The similarity index over the claims' phrasings.
    pub(crate) index: Arc<ClaimIndex>,
    /// Every problem of the packs and the claims, failing examples included: a set with
    /// any is refused by `serve`.
    pub(crate) problems: Vec<Diagnostic>,
    /// Claim phrasings typed without diacritics that their claim's query misses: reported,
    /// never refused.
    pub(crate) warnings: Vec<Diagnostic>,
}

/// Loads the packs and the claims of `sources`, compiles them into one rule set and runs
/// every example: how every command and `serve` read the rules.
pub(crate) fn load(sources: &RuleSources) -> Loaded {
    let (packs, mut problems) = RuleSet::load(sources);
    let (library, claim_problems) = ClaimLibrary::load(sources);
    problems.extend(claim_problems);
    problems.extend(library.check_ids(packs.rules()));
    let library = library.without_rule_ids(packs.rules());
    let rules = if library.is_empty() { packs } else { packs.with_rules(library.rules()) };
    problems.extend(rules.check());
    let warnings = library.check_unaccented(&rules);
    let index = Arc::new(library.index());
    let rules = rules.with_claims(Arc::clone(&index));
    Loaded { rules, library, index, problems, warnings }
}

/// As [`load`], refusing the set when it has any problem: what serve, demo and
/// `rules match` run with.
pub(crate) fn load_clean(sources: &RuleSources) -> anyhow::Result<Loaded> {
    let loaded = load(sources);
    if !loaded.problems.is_empty() {
        let list: Vec<String> = loaded.problems.iter().map(ToString::to_string).collect();
        bail!("the rule packs in {} have problems:\n  {}", describe(sources), list.join("\n  "));
    }
    Ok(loaded)
}

/// Where `sources` reads from, for messages: the built-in packs, the directory, or both.
pub(crate) fn describe(sources: &RuleSources) -> String {
    match (&sources.dir, sources.builtin) {
        (Some(dir), true) if dir.exists() => format!("the built-in packs and {}", dir.display()),
        (_, true) => "the built-in packs".to_owned(),
        (Some(dir), false) => dir.display().to_string(),
        (None, false) => "no rules directory".to_owned(),
    }
}

/// `langnghe claims …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ClaimsCommand {
    /// List the claims: id, severity, title, tags and who refuted it.
    List {
        /// Only claims with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// One JSON object per claim, with its phrasings, refutation and sources.
        #[arg(long)]
        json: bool,
        /// Rules directory over the built-in packs (defaults to the configured rules_dir).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Add a claim to the office's claim file, after checking that the file still reads,
    /// the id is new and the query matches the phrasings.
    Add(Box<ClaimAddArgs>),
    /// Write every refuted claim as schema.org ClaimReview JSON-LD, for partners.
    Export {
        /// claimreview (the only format).
        #[arg(long, default_value = "claimreview")]
        format: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Rules directory over the built-in packs (defaults to the configured rules_dir).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Validate the claim files: fields, ids, queries and phrasings; exit status 1 on a
    /// problem. Phrasings typed without diacritics that a query misses are warnings.
    Check {
        /// Rules directory over the built-in packs (defaults to the configured rules_dir).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct ClaimAddArgs {
    /// claim.<group>.<slug>, such as claim.office.nuoc-dua-tan-soi-than.
    #[arg(long)]
    id: String,
    /// The claim as officials name it, in Vietnamese.
    #[arg(long)]
    title: String,
    /// What a text must contain to be about the claim (the rule language).
    #[arg(long)]
    query: String,
    /// How the claim circulates; repeat for each register.
    #[arg(long = "phrasing", required = true)]
    phrasings: Vec<String>,
    /// low, medium, high or critical.
    #[arg(long, default_value = "medium")]
    severity: String,
    /// A label; repeat for more.
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// When it first circulated: YYYY or YYYY-MM.
    #[arg(long)]
    first_seen: Option<String>,
    /// false or misleading.
    #[arg(long, default_value = "false")]
    verdict: String,
    /// Where the claim is documented: its address.
    #[arg(long)]
    source_url: Option<String>,
    /// Where the claim is documented: a document number, when there is no address.
    #[arg(long)]
    source_document: Option<String>,
    /// The documenting source's title.
    #[arg(long)]
    source_title: String,
    /// Its publisher (the address's host when omitted).
    #[arg(long)]
    source_publisher: Option<String>,
    /// Its date: YYYY, YYYY-MM or YYYY-MM-DD.
    #[arg(long)]
    source_date: Option<String>,
    /// Who refuted the claim (the refutation is optional).
    #[arg(long)]
    refuted_by: Option<String>,
    /// The refutation's address.
    #[arg(long, requires = "refuted_by")]
    refutation_url: Option<String>,
    /// The refutation's document number.
    #[arg(long, requires = "refuted_by")]
    refutation_document: Option<String>,
    /// The refutation's date.
    #[arg(long, requires = "refuted_by")]
    refutation_date: Option<String>,
    /// What is true, in one Vietnamese sentence.
    #[arg(long, requires = "refuted_by")]
    refutation_summary: Option<String>,
    /// The claim file, relative to the rules directory.
    #[arg(long, default_value = "claims/office.toml")]
    file: PathBuf,
    /// The rules directory to write to, created if need be (defaults to the configured
    /// rules_dir, else `rules` under the data directory).
    #[arg(long)]
    rules: Option<PathBuf>,
}

pub(crate) fn run(config: &Config, command: ClaimsCommand) -> anyhow::Result<ExitCode> {
    let sources = |rules: Option<PathBuf>| config.rule_sources(rules.as_deref());
    match command {
        ClaimsCommand::List { tag, json, rules } => list(&sources(rules)?, tag.as_deref(), json),
        ClaimsCommand::Add(args) => {
            // The directory written to is created when missing, named on the command line
            // or not.
            let dir = args.rules.clone().unwrap_or_else(|| config.local_rules_dir());
            add(&RuleSources { builtin: config.builtin_rules, dir: Some(dir) }, &args)
        }
        ClaimsCommand::Export { format, out, rules } => {
            export(&sources(rules)?, &format, out.as_deref())
        }
        ClaimsCommand::Check { rules } => check(&sources(rules)?),
    }
}

/// The library of `sources`, refused when a claim file has a problem.
fn library(sources: &RuleSources) -> anyhow::Result<ClaimLibrary> {
    let (library, problems) = ClaimLibrary::load(sources);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        bail!("the claim files in {} have problems:\n  {}", describe(sources), list.join("\n  "));
    }
    Ok(library)
}

fn list(sources: &RuleSources, tag: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    let library = library(sources)?;
    let dir = sources.dir.as_deref().unwrap_or(Path::new(""));
    let mut out = std::io::stdout().lock();
    let chosen =
        library.claims().iter().filter(|c| tag.is_none_or(|t| c.tags.iter().any(|x| x == t)));
    for c in chosen {
        if json {
            writeln!(out, "{}", claim_json(c, dir))?;
        } else {
            let refuted =
                c.refutation.as_ref().map_or_else(String::new, |r| format!("  [bác bỏ: {}]", r.by));
            writeln!(
                out,
                "{}\t{}\t{}\t{}{refuted}",
                c.id,
                c.severity.as_str(),
                c.title,
                c.tags.join(", ")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn claim_json(c: &Claim, dir: &Path) -> serde_json::Value {
    let file = c.file.strip_prefix(dir).unwrap_or(&c.file);
    serde_json::json!({
        "id": c.id,
        "title": c.title,
        "severity": c.severity.as_str(),
        "tags": c.tags,
        "first_seen": c.first_seen,
        "verdict": c.verdict.as_str(),
        "query": c.query,
        "phrasings": c.phrasings,
        "refutation": c.refutation.as_ref().map(|r| serde_json::json!({
            "by": r.by, "date": r.date, "url": r.url, "document": r.document, "summary": r.summary,
        })),
        "sources": c.sources.iter().map(|s| serde_json::json!({
            "publisher": s.publisher, "title": s.title, "date": s.date, "url": s.url, "document": s.document,
        })).collect::<Vec<_>>(),
        "file": file.display().to_string(),
        "line": c.line,
    })
}

/// The host of an http(s) address, for a publisher nobody named.
fn host(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed.host_str().map(|h| h.trim_start_matches("www.").to_owned())
}

fn add(sources: &RuleSources, args: &ClaimAddArgs) -> anyhow::Result<ExitCode> {
    let dir = sources.dir.as_deref().unwrap_or(Path::new(""));
    if !valid_claim_id(&args.id) {
        bail!(
            "--id {:?}: expected claim.<group>.<slug> in lowercase ASCII letters, digits and '-'",
            args.id
        );
    }
    let severity =
        args.severity.parse::<model::Severity>().map_err(|e| anyhow::anyhow!("--severity: {e}"))?;
    let verdict = match args.verdict.as_str() {
        "false" => Verdict::False,
        "misleading" => Verdict::Misleading,
        other => bail!("--verdict {other:?}: expected false or misleading"),
    };
    if args.source_url.is_none() && args.source_document.is_none() {
        bail!("where is the claim documented? give --source-url or --source-document");
    }
    let publisher = args
        .source_publisher
        .clone()
        .or_else(|| args.source_url.as_deref().and_then(host))
        .context("give --source-publisher")?;
    let claims_dir = dir.join(CLAIMS_DIR);
    let file = if args.file.is_absolute() { args.file.clone() } else { dir.join(&args.file) };
    // Only files directly in the claims directory are loaded.
    let parent_ok = file.parent().is_some_and(|p| same_path(p, &claims_dir));
    if !parent_ok || file.extension().is_none_or(|x| x != "toml") {
        bail!(
            "--file {}: claims are loaded from {}/*.toml only",
            args.file.display(),
            claims_dir.display()
        );
    }
    let claim = Claim {
        id: args.id.clone(),
        title: args.title.clone(),
        severity,
        tags: args.tags.clone(),
        first_seen: args.first_seen.clone(),
        query: args.query.clone(),
        phrasings: args.phrasings.clone(),
        verdict,
        refutation: args.refuted_by.as_ref().map(|by| Refutation {
            by: by.clone(),
            date: args.refutation_date.clone(),
            url: args.refutation_url.clone(),
            document: args.refutation_document.clone(),
            summary: args.refutation_summary.clone(),
        }),
        sources: vec![ClaimSource {
            publisher,
            title: args.source_title.clone(),
            date: args.source_date.clone(),
            url: args.source_url.clone(),
            document: args.source_document.clone(),
        }],
        ..Claim::default()
    };
    // Every id in use: `append_claim` looks through the directory's claim files itself, the
    // built-in claims are told to it like the packs' rules.
    let (packs, _) = RuleSet::load(sources);
    let (claims, _) = ClaimLibrary::load(sources);
    let builtin_claims =
        claims.claims().iter().filter(|c| rules::builtin::is_builtin(&c.file)).map(|c| &c.id);
    let rule_ids: HashSet<String> =
        packs.rules().iter().map(|r| r.id.to_string()).chain(builtin_claims.cloned()).collect();
    std::fs::create_dir_all(&claims_dir)
        .with_context(|| format!("creating {}", claims_dir.display()))?;
    // A file of the directory replaces the built-in one of its name: a new one starts as a
    // copy of it, so that adding a claim there does not drop the shipped ones.
    let seeded = seed_from_builtin(sources, dir, &file)?;
    let mut out = std::io::stdout().lock();
    let appended = append_claim(dir, &file, &claim, &rule_ids);
    if appended.is_err() && seeded {
        std::fs::remove_file(&file).with_context(|| format!("removing {}", file.display()))?;
    }
    match appended {
        Ok(done) => {
            for w in &done.warnings {
                writeln!(out, "warning: {w}")?;
            }
            writeln!(out, "added {} to {}", claim.id, done.file.display())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for p in &problems {
                writeln!(out, "{p}")?;
            }
            writeln!(out, "{} problem(s): the claim was not added", problems.len())?;
            Ok(ExitCode::from(1))
        }
    }
}

/// Writes the built-in claim file that `file` (in the rules directory `dir`) would replace
/// to `file` when it does not exist yet; whether it did.
fn seed_from_builtin(sources: &RuleSources, dir: &Path, file: &Path) -> anyhow::Result<bool> {
    if !sources.builtin || file.exists() {
        return Ok(false);
    }
    let Some(name) = file.strip_prefix(dir).ok().and_then(|rel| rel.to_str()) else {
        return Ok(false);
    };
    let Some(text) = rules::builtin::text(&name.replace('\\', "/")) else { return Ok(false) };
    std::fs::write(file, text).with_context(|| format!("writing {}", file.display()))?;
    Ok(true)
}

fn same_path(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

fn export(sources: &RuleSources, format: &str, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    if format != "claimreview" {
        bail!("--format {format:?}: the only format is claimreview");
    }
    let reviews = library(sources)?.claim_reviews();
    let mut text = serde_json::to_string_pretty(&reviews)?;
    text.push('\n');
    match out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{} ClaimReview(s) written to {}", reviews.len(), path.display())?;
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn check(sources: &RuleSources) -> anyhow::Result<ExitCode> {
    let (library, mut problems) = ClaimLibrary::load(sources);
    let (packs, _) = RuleSet::load(sources);
    problems.extend(library.check_ids(packs.rules()));
    let set = RuleSet::from_rules(library.rules());
    problems.extend(set.check());
    let warnings = library.check_unaccented(&set);
    let mut out = std::io::stdout().lock();
    for p in &problems {
        writeln!(out, "{p}")?;
    }
    for w in &warnings {
        writeln!(out, "warning: {w}")?;
    }
    let phrasings: usize = library.claims().iter().map(|c| c.phrasings.len()).sum();
    let unaccented = library
        .claims()
        .iter()
        .flat_map(|c| &c.phrasings)
        .filter(|p| Style::of(p) == Style::Unaccented)
        .count();
    let summary = format!(
        "{} claims, {phrasings} phrasings ({unaccented} without diacritics, {} of them missed by their query) in {}",
        library.len(),
        warnings.len(),
        describe(sources)
    );
    if problems.is_empty() {
        writeln!(out, "ok: {summary}")?;
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(out, "{} problem(s); {summary}", problems.len())?;
        Ok(ExitCode::from(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_claim_file_named_like_a_built_in_one_starts_as_its_copy() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let claims = dir.path().join(CLAIMS_DIR);
        std::fs::create_dir_all(&claims).expect("claims directory");
        let sources = RuleSources::layered(dir.path());
        let food = claims.join("food-hoaxes.toml");
        assert!(seed_from_builtin(&sources, dir.path(), &food).expect("seeds"));
        let shipped = rules::builtin::text("claims/food-hoaxes.toml");
        assert_eq!(std::fs::read_to_string(&food).ok().as_deref(), shipped);
        assert!(!seed_from_builtin(&sources, dir.path(), &food).expect("runs"), "it exists now");
        let office = claims.join("office.toml");
        assert!(!seed_from_builtin(&sources, dir.path(), &office).expect("runs"));
        // Without the built-in claims there is nothing to keep.
        let alone = RuleSources::dir_only(dir.path());
        let covid = claims.join("covid-vaccines.toml");
        assert!(!seed_from_builtin(&alone, dir.path(), &covid).expect("runs"));
        assert!(!covid.exists() && !office.exists());
    }
}
