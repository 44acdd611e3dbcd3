//! A loaded set of rules and matching documents against it.

use std::collections::HashSet;
use std::path::Path;

use model::{Hit, MatchedTerm};
use query::DocIndex;
use vi_text::Token;

use crate::pack::{Diagnostic, Rule, parse_pack};

/// A document's title and body, normalised and tokenised once for every rule.
#[derive(Debug, Clone)]
pub struct Analyzed {
    /// Title in display form.
    pub title: String,
    /// Body in display form.
    pub body: String,
    title_tokens: Vec<Token>,
    body_tokens: Vec<Token>,
    title_overlays: Vec<query::Overlay>,
    body_overlays: Vec<query::Overlay>,
}

impl Analyzed {
    /// Normalises and tokenises a title and a body.
    pub fn new(title: &str, body: &str) -> Analyzed {
        let title = vi_text::display(title);
        let body = vi_text::display(body);
        let title_tokens = vi_text::tokenize(&title);
        let body_tokens = vi_text::tokenize(&body);
        // Social posts write `ko`, `sxh`, `v.a.c.x.i.n`: rules see the alternatives too.
        let title_overlays = query::overlays(&title, &title_tokens);
        let body_overlays = query::overlays(&body, &body_tokens);
        Analyzed { title, body, title_tokens, body_tokens, title_overlays, body_overlays }
    }
}

const FIELDS: [&str; 2] = ["title", "body"];

/// Every rule of every pack, ready to match.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Loads every `*.toml` pack in `dir` (sorted by name). Problems are returned as
    /// diagnostics; the rules that loaded cleanly are kept.
    pub fn load_dir(dir: &Path) -> (RuleSet, Vec<Diagnostic>) {
        let mut set = RuleSet::default();
        let mut diags = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                diags.push(Diagnostic {
                    file: dir.to_owned(),
                    line: 0,
                    column: 0,
                    rule: None,
                    message: format!("cannot read the rules directory: {e}"),
                });
                return (set, diags);
            }
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let (rules, d) = parse_pack(&path, &text);
                    diags.extend(d);
                    set.extend(rules, &mut diags);
                }
                Err(e) => diags.push(Diagnostic {
                    file: path.clone(),
                    line: 0,
                    column: 0,
                    rule: None,
                    message: format!("cannot read the pack: {e}"),
                }),
            }
        }
        (set, diags)
    }

    /// Parses one pack from text (for tests and tools); `file` labels diagnostics.
    pub fn from_pack(file: &Path, text: &str) -> (RuleSet, Vec<Diagnostic>) {
        let (rules, mut diags) = parse_pack(file, text);
        let mut set = RuleSet::default();
        set.extend(rules, &mut diags);
        (set, diags)
    }

    fn extend(&mut self, rules: Vec<Rule>, diags: &mut Vec<Diagnostic>) {
        let mut seen: HashSet<String> = self.rules.iter().map(|r| r.id.clone()).collect();
        for rule in rules {
            if !seen.insert(rule.id.clone()) {
                diags.push(Diagnostic {
                    file: rule.file.clone(),
                    line: rule.line,
                    column: 1,
                    rule: Some(rule.id.clone()),
                    message: "duplicate rule id: ids must be unique across all packs".to_owned(),
                });
                continue;
            }
            self.rules.push(rule);
        }
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
        for rule in &self.rules {
            let fail = |message: String| Diagnostic {
                file: rule.file.clone(),
                line: rule.line,
                column: 1,
                rule: Some(rule.id.clone()),
                message,
            };
            for text in &rule.examples_match {
                let doc = Analyzed::new("", text);
                if self.evaluate(rule, &index(&doc)).is_none() {
                    diags.push(fail(format!("example should match but does not: {text:?}")));
                }
            }
            for text in &rule.examples_no_match {
                let doc = Analyzed::new("", text);
                if self.evaluate(rule, &index(&doc)).is_some() {
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

    /// Matches an already analysed document; hits come in rule order.
    pub fn match_analyzed(&self, doc: &Analyzed) -> Vec<Hit> {
        let index = index(doc);
        self.rules
            .iter()
            .filter_map(|rule| {
                let spans = self.evaluate(rule, &index)?;
                Some(Hit {
                    rule_id: rule.id.clone(),
                    rule_title: rule.title.clone(),
                    kind: rule.kind,
                    severity: rule.severity,
                    terms: spans
                        .into_iter()
                        .map(|s| MatchedTerm {
                            field: FIELDS[s.field].to_owned(),
                            start: s.start,
                            end: s.end,
                            term: s.term,
                        })
                        .collect(),
                })
            })
            .collect()
    }

    fn evaluate(&self, rule: &Rule, index: &DocIndex<'_>) -> Option<Vec<query::Span>> {
        index.evaluate(&rule.expr)
    }
}

fn index(doc: &Analyzed) -> DocIndex<'_> {
    DocIndex::with_overlays(
        vec![&doc.title_tokens, &doc.body_tokens],
        vec![&doc.title_overlays, &doc.body_overlays],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let ids: Vec<_> = hits.iter().map(|h| h.rule_id.as_str()).collect();
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
}
