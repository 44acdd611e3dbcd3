//! Reading one TOML rule pack into rules and health days, with diagnostics that point into
//! the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use model::{RuleKind, Severity};
use serde::Deserialize;
use toml::Spanned;

use crate::calendar::{HealthDay, Ref, parse_when};

/// A problem in a rule pack, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The pack file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The rule concerned, when there is one.
    pub rule: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if let Some(rule) = &self.rule {
            write!(f, "rule {rule}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// One standing query with its metadata and examples.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique id, such as `rumor.than-duoc` (shared with every hit of the rule, like the
    /// title).
    pub id: Arc<str>,
    /// What the rule is for.
    pub kind: RuleKind,
    /// Title shown on alerts, in Vietnamese.
    pub title: Arc<str>,
    /// How urgent its hits are.
    pub severity: Severity,
    /// Free tags, such as the responsible unit.
    pub tags: Vec<String>,
    /// The query as written (checked when the rule is read; compiled by the rule set).
    pub query: String,
    /// Texts the rule must match.
    pub examples_match: Vec<String>,
    /// Texts the rule must not match.
    pub examples_no_match: Vec<String>,
    /// The pack file it came from.
    pub file: PathBuf,
    /// Line of the rule's query in the file, for diagnostics.
    pub line: usize,
}

impl Rule {
    /// A rule built from a query alone, without examples or a pack file (for generated rule
    /// sets and tools); the title is the id.
    pub fn from_query(
        id: &str,
        kind: RuleKind,
        severity: Severity,
        query: &str,
    ) -> Result<Rule, query::ParseError> {
        let id: Arc<str> = id.into();
        Ok(Rule {
            title: Arc::clone(&id),
            id,
            kind,
            severity,
            tags: Vec::new(),
            query: {
                query::parse_with(query, &query::Limits::RULES)?;
                query.to_owned()
            },
            examples_match: Vec::new(),
            examples_no_match: Vec::new(),
            file: PathBuf::new(),
            line: 0,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    #[allow(dead_code)]
    pack: Option<RawPackMeta>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    days: Vec<Spanned<RawDay>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDay {
    id: String,
    title: String,
    when: Spanned<String>,
    lead_days: Spanned<i64>,
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    source: String,
}

/// The longest preparation a day may ask for: a year.
const MAX_LEAD_DAYS: i64 = 366;

/// Everything one pack declares.
#[derive(Debug, Default)]
pub(crate) struct Pack {
    pub(crate) rules: Vec<Rule>,
    pub(crate) days: Vec<HealthDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackMeta {
    #[allow(dead_code)]
    title: String,
    #[allow(dead_code)]
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    kind: Spanned<String>,
    title: String,
    severity: Spanned<String>,
    #[serde(default)]
    tags: Vec<String>,
    query: Spanned<String>,
    #[serde(default, rename = "match")]
    must_match: Vec<String>,
    #[serde(default)]
    no_match: Vec<String>,
}

/// The offset of a TOML string's first character, past its opening quote or quotes.
fn string_start(text: &str, span_start: usize) -> usize {
    let rest = &text[span_start..];
    span_start + if rest.starts_with("'''") || rest.starts_with("\"\"\"") { 3 } else { 1 }
}

/// Parses one pack's text. `file` is only used to label diagnostics.
pub(crate) fn parse_pack(file: &Path, text: &str) -> (Pack, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let diag = |offset: usize, rule: Option<&str>, message: String| {
        let (line, column) = query::line_col(text, offset);
        Diagnostic { file: file.to_owned(), line, column, rule: rule.map(str::to_owned), message }
    };
    let raw: RawPack = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let message = format!("invalid rule pack: {}", e.message());
            return (Pack::default(), vec![diag(offset, None, message)]);
        }
    };
    let mut rules = Vec::new();
    for spanned in raw.rules {
        let rule_offset = spanned.span().start;
        let r = spanned.into_inner();
        let id = r.id.as_str();
        let mut ok = true;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            diags.push(diag(
                rule_offset,
                Some(id),
                "rule id must be non-empty ASCII letters, digits, '-', '_' or '.'".to_owned(),
            ));
            ok = false;
        }
        let kind = match r.kind.get_ref().parse::<RuleKind>() {
            // Spikes are counted by the spike scan over topics, never matched by a rule.
            Ok(RuleKind::Spike) => {
                diags.push(diag(
                    r.kind.span().start,
                    Some(id),
                    "rule kind \"spike\" is raised by the spike scan, not by a rule; use topic, rumor, watch or crisis".to_owned(),
                ));
                Err(())
            }
            // Suspicion is the pipeline's generic score, not a query: a pack that wants to
            // alert on a pattern writes a rumour rule.
            Ok(RuleKind::Suspicion) => {
                diags.push(diag(
                    r.kind.span().start,
                    Some(id),
                    "rule kind \"suspicion\" is raised by the suspicious-post scorer, not by a rule; use topic, rumor, watch or crisis".to_owned(),
                ));
                Err(())
            }
            Ok(k) => Ok(k),
            Err(e) => {
                diags.push(diag(r.kind.span().start, Some(id), e.to_string()));
                Err(())
            }
        };
        let severity = r.severity.get_ref().parse::<Severity>().map_err(|e| {
            diags.push(diag(r.severity.span().start, Some(id), e.to_string()));
        });
        // The query's span covers the TOML string including its quotes; errors inside the
        // query are reported relative to its first character.
        let qspan = r.query.span();
        let parsed = query::parse_with(r.query.get_ref(), &query::Limits::RULES).map_err(|e| {
            diags.push(diag(
                string_start(text, qspan.start) + e.offset,
                Some(id),
                format!("invalid query: {}", e.message),
            ));
        });
        if r.must_match.is_empty() {
            diags.push(diag(
                rule_offset,
                Some(id),
                "no examples: add at least one `match` example".to_owned(),
            ));
        }
        if let (true, Ok(kind), Ok(severity), Ok(_)) = (ok, kind, severity, parsed) {
            rules.push(Rule {
                id: r.id.into(),
                kind,
                title: r.title.into(),
                severity,
                tags: r.tags,
                query: r.query.into_inner(),
                examples_match: r.must_match,
                examples_no_match: r.no_match,
                file: file.to_owned(),
                line: query::line_col(text, qspan.start).0,
            });
        }
    }
    let mut days = Vec::new();
    for spanned in raw.days {
        let day_offset = spanned.span().start;
        let d = spanned.into_inner();
        let id = d.id.as_str();
        let mut ok = true;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            diags.push(diag(
                day_offset,
                Some(id),
                "day id must be non-empty ASCII letters, digits, '-', '_' or '.'".to_owned(),
            ));
            ok = false;
        }
        let when = parse_when(d.when.get_ref()).map_err(|e| {
            let at = string_start(text, d.when.span().start) + e.offset;
            diags.push(diag(at, Some(id), format!("invalid when: {}", e.message)));
        });
        let lead = *d.lead_days.get_ref();
        if !(0..=MAX_LEAD_DAYS).contains(&lead) {
            diags.push(diag(
                d.lead_days.span().start,
                Some(id),
                format!("lead_days must be 0 to {MAX_LEAD_DAYS}, found {lead}"),
            ));
            ok = false;
        }
        let mut refs = Vec::new();
        for (tag, list) in [(false, &d.rules), (true, &d.tags)] {
            for name in list {
                let (line, column) = query::line_col(text, name.span().start);
                refs.push(Ref { tag, name: name.get_ref().clone(), line, column });
            }
        }
        if let (true, Ok(when)) = (ok, when) {
            days.push(HealthDay {
                id: d.id,
                title: d.title,
                when,
                lead_days: u32::try_from(lead).unwrap_or(0),
                rules: d.rules.into_iter().map(Spanned::into_inner).collect(),
                tags: d.tags.into_iter().map(Spanned::into_inner).collect(),
                source: d.source,
                file: file.to_owned(),
                line: query::line_col(text, day_offset).0,
                refs,
            });
        }
    }
    (Pack { rules, days }, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diags(text: &str) -> Vec<String> {
        parse_pack(Path::new("p.toml"), text).1.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn reports_query_errors_at_their_column() {
        let text = "[[rules]]\nid = \"x\"\nkind = \"topic\"\ntitle = \"X\"\nseverity = \"low\"\nquery = '(sốt OR'\nmatch = [\"sốt\"]\n";
        assert_eq!(
            diags(text),
            [
                "p.toml:6:17: rule x: invalid query: unexpected end of the query: expected a term, a phrase or '('"
            ]
        );
    }

    #[test]
    fn reports_unknown_kind_and_missing_examples() {
        let text = "[[rules]]\nid = \"x\"\nkind = \"rumour\"\ntitle = \"X\"\nseverity = \"low\"\nquery = 'a'\n";
        let d = diags(text);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].starts_with("p.toml:3:8: rule x: unknown rule kind \"rumour\""), "{d:?}");
        assert!(d[1].contains("no examples"), "{d:?}");
    }

    #[test]
    fn no_rule_may_claim_the_spike_kind() {
        let text = "[[rules]]\nid = \"x\"\nkind = \"spike\"\ntitle = \"X\"\nseverity = \"low\"\nquery = 'a'\nmatch = ['a']\n";
        let d = diags(text);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].starts_with("p.toml:3:8: rule x: rule kind \"spike\" is raised by the spike scan"),
            "{d:?}"
        );
    }

    #[test]
    fn no_rule_may_claim_the_suspicion_kind() {
        let text = "[[rules]]\nid = \"x\"\nkind = \"suspicion\"\ntitle = \"X\"\nseverity = \"low\"\nquery = 'a'\nmatch = ['a']\n";
        let d = diags(text);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].starts_with("p.toml:3:8: rule x: rule kind \"suspicion\" is raised by the suspicious-post scorer"),
            "{d:?}"
        );
    }

    #[test]
    fn reports_toml_errors_and_unknown_keys() {
        assert!(diags("[[rules]\n")[0].starts_with("p.toml:1:"));
        let d = diags(
            "[[rules]]\nid = \"x\"\nkind = \"topic\"\ntitle = \"X\"\nseverity = \"low\"\nquery = 'a'\nmatch=['a']\nurl = 1\n",
        );
        assert!(d[0].contains("unknown field `url`"), "{d:?}");
    }
}
