//! `langnghe rules eval FILE.jsonl`: the rule packs and claims on a labelled set, with the
//! pipeline's matching and stance decision, scored as precision, recall and F1 per label,
//! register and topic, with the rumours missed and the items raised wrongly.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use rules::RuleSet;
use rules::eval::{Counts, GOALS, Item, Prediction, Report};

use crate::cli::EvalArgs;
use crate::config::Config;

pub(crate) fn run(config: &Config, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let sources = config.rule_sources(args.rules.as_deref())?;
    let place = crate::claims::describe(&sources);
    // A failing example must not hide the figures that show how it fails: problems are
    // reported and the rules that loaded are scored.
    let (set, problems) = crate::system::load_checked(&sources);
    if !problems.is_empty() {
        let mut err = std::io::stderr().lock();
        writeln!(err, "{} problem(s) in {place}, scored anyway:", problems.len())?;
        for p in &problems {
            writeln!(err, "  {p}")?;
        }
    }
    if set.is_empty() {
        bail!("no rule loaded from {place}");
    }
    let items = read_items(&args.file)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let evaluated = Evaluated::new(&set, items);
    if args.json {
        writeln!(out, "{}", evaluated.json(&args.file))?;
    } else {
        evaluated.write_text(&mut out, &args.file, !args.summary)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Reads one labelled item per non-empty line; a line that is not one is an error naming it.
pub(crate) fn read_items(path: &Path) -> anyhow::Result<Vec<Item>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut items = Vec::new();
    let mut ids = BTreeSet::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {} line {}", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let item: Item = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not a labelled item", path.display(), n + 1))?;
        if !ids.insert(item.id.clone()) {
            bail!("{} line {}: the id {:?} is used twice", path.display(), n + 1, item.id);
        }
        items.push(item);
    }
    if items.is_empty() {
        bail!("{}: no item", path.display());
    }
    Ok(items)
}

/// A labelled set with what the rules made of each item, and the scores.
pub(crate) struct Evaluated {
    pub(crate) items: Vec<Item>,
    pub(crate) predictions: Vec<Prediction>,
    pub(crate) report: Report,
    rules: usize,
    claims: usize,
}

impl Evaluated {
    pub(crate) fn new(set: &RuleSet, items: Vec<Item>) -> Evaluated {
        let claims = rules::eval::claim_ids(set);
        let predictions: Vec<Prediction> =
            items.iter().map(|item| rules::eval::predict(set, &claims, item)).collect();
        let report = rules::eval::score(&items, &predictions);
        Evaluated { items, predictions, report, rules: set.len(), claims: claims.len() }
    }

    fn item_json(&self, i: usize) -> serde_json::Value {
        let item = &self.items[i];
        let p = &self.predictions[i];
        serde_json::json!({
            "id": item.id,
            "label": item.label,
            "register": item.register.as_deref(),
            "topic": item.topics,
            "title": headline(item),
            "raised": p.rumour,
            "fired": p.fired,
            "topics": p.topics,
        })
    }

    pub(crate) fn json(&self, file: &Path) -> serde_json::Value {
        let list = |ix: &[usize]| ix.iter().map(|&i| self.item_json(i)).collect::<Vec<_>>();
        let r = &self.report;
        serde_json::json!({
            "file": file.display().to_string(),
            "rules": self.rules,
            "claims": self.claims,
            "items": r.items,
            "rumour": r.rumour,
            "registers": r.registers,
            "labels": r.labels,
            "debunks_raised": r.debunks_raised(),
            "found_by": r.found_by,
            "health": r.health,
            "topics": r.topics,
            "goals": r.check(&GOALS),
            "misses": list(&r.misses),
            "false_alarms": list(&r.false_alarms),
            "health_misses": list(&r.health_misses),
            "health_false_alarms": list(&r.health_false_alarms),
        })
    }

    pub(crate) fn write_text(
        &self,
        out: &mut impl Write,
        file: &Path,
        lists: bool,
    ) -> std::io::Result<()> {
        let r = &self.report;
        writeln!(
            out,
            "{} items in {}; {} rules, of which {} claims",
            r.items,
            file.display(),
            self.rules,
            self.claims
        )?;
        writeln!(out)?;
        header(out, "rumour detection")?;
        row(out, "all", &r.rumour)?;
        for (name, c) in &r.registers {
            row(out, &format!("  {name}"), c)?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "{:<34} {:>5} {:>7} {:>7} {:>7}",
            "by label", "n", "raised", "share", "topic"
        )?;
        for (name, l) in &r.labels {
            writeln!(
                out,
                "{:<34} {:>5} {:>7} {:>7} {:>7}",
                format!("  {name}"),
                l.n,
                l.raised,
                fig(l.raised_share()),
                l.topic
            )?;
        }
        let found: Vec<String> =
            r.found_by.iter().map(|(s, n)| format!("{} {n}", s.as_str())).collect();
        writeln!(
            out,
            "rumours found by: {}",
            if found.is_empty() { "nothing".to_owned() } else { found.join(", ") }
        )?;
        writeln!(out)?;
        header(out, "topics")?;
        row(out, "health (any topic)", &r.health)?;
        for (name, c) in &r.topics {
            row(out, &format!("  {name}"), c)?;
        }
        writeln!(out)?;
        writeln!(out, "goals")?;
        for g in r.check(&GOALS) {
            writeln!(
                out,
                "  {:<34} {:>6} {} {:.2}  {}",
                g.what,
                fig(g.value),
                if g.at_most { "<=" } else { ">=" },
                g.target,
                if g.met { "met" } else { "NOT MET" }
            )?;
        }
        if lists {
            self.write_list(out, "misses: rumours not raised", &r.misses)?;
            self.write_list(out, "false alarms: raised, not rumours", &r.false_alarms)?;
            self.write_list(out, "health items without a topic", &r.health_misses)?;
            self.write_list(out, "non-health items with a topic", &r.health_false_alarms)?;
        }
        Ok(())
    }

    fn write_list(&self, out: &mut impl Write, title: &str, ix: &[usize]) -> std::io::Result<()> {
        writeln!(out)?;
        writeln!(out, "{title} ({})", ix.len())?;
        for &i in ix {
            let item = &self.items[i];
            let p = &self.predictions[i];
            let fired: Vec<String> = p
                .fired
                .iter()
                .map(|f| match (f.stance, f.cues.is_empty()) {
                    (Some(s), _) => format!("{} ({s})", f.rule),
                    (None, false) => format!("{} [{}]", f.rule, f.cues.join(", ")),
                    (None, true) => f.rule.clone(),
                })
                .collect();
            let topics: Vec<&str> = p.topics.iter().map(String::as_str).collect();
            writeln!(
                out,
                "  {} {} {} {:?}",
                item.id,
                item.label,
                item.register(),
                shorten(&headline(item), 90)
            )?;
            if !fired.is_empty() {
                writeln!(out, "      fired: {}", fired.join(", "))?;
            }
            if !topics.is_empty() {
                writeln!(out, "      topics: {}", topics.join(", "))?;
            }
        }
        Ok(())
    }
}

/// The title, or the body's start for a post without one.
fn headline(item: &Item) -> String {
    let t = item.title.trim();
    if t.is_empty() { item.body.trim().to_owned() } else { t.to_owned() }
}

fn shorten(s: &str, chars: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

fn fig(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))
}

fn header(out: &mut impl Write, name: &str) -> std::io::Result<()> {
    writeln!(
        out,
        "{name:<34} {:>5} {:>5} {:>5} {:>5} {:>5} {:>9} {:>7} {:>7}",
        "n", "tp", "fp", "fn", "tn", "precision", "recall", "f1"
    )
}

fn row(out: &mut impl Write, name: &str, c: &Counts) -> std::io::Result<()> {
    writeln!(
        out,
        "{name:<34} {:>5} {:>5} {:>5} {:>5} {:>5} {:>9} {:>7} {:>7}",
        c.n(),
        c.tp,
        c.fp,
        c.fn_,
        c.tn,
        fig(c.precision()),
        fig(c.recall()),
        fig(c.f1())
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command, RulesCommand};

    fn rules_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
    }

    #[test]
    fn the_command_line_reaches_the_evaluation() {
        let cli = Cli::try_parse_from(["langnghe", "rules", "eval", "set.jsonl", "--json"])
            .expect("parses");
        let Command::Rules { command: RulesCommand::Eval(args) } = cli.command else {
            panic!("not rules eval");
        };
        assert_eq!(args.file, PathBuf::from("set.jsonl"));
        assert!(args.json && !args.summary && args.rules.is_none());
    }

    #[test]
    fn a_small_file_is_scored_and_listed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("small.jsonl");
        let lines = [
            r#"{"id":"r1","title":"","body":"Lá đu đủ chữa khỏi sốt xuất huyết chỉ sau 3 ngày, không cần đi viện","label":"rumour","register":"facebook","topic":"topic.sot-xuat-huyet"}"#,
            r#"{"id":"r2","title":"","body":"Hôm nay trời đẹp, cả nhà đi chơi công viên.","label":"rumour","register":"facebook"}"#,
            r#"{"id":"n1","title":"Hà Nội ghi nhận 1.200 ca sốt xuất huyết","body":"","label":"news","register":"news","topic":"topic.sot-xuat-huyet"}"#,
            "",
            r#"{"id":7,"title":"Giá vàng tăng mạnh","body":"Thị trường sôi động.","label":"other","register":"news","note":"ignored"}"#,
        ];
        std::fs::write(&file, lines.join("\n")).expect("write");
        let (set, _) = crate::system::load_checked(&rules::RuleSources::builtin());
        let items = read_items(&file).expect("reads");
        assert_eq!(items.len(), 4);
        assert_eq!(items[3].id, "7");
        let e = Evaluated::new(&set, items);
        let r = &e.report;
        assert_eq!(r.rumour.tp, 1, "{:?}", e.predictions[0]);
        assert_eq!((r.rumour.fn_, r.rumour.fp, r.rumour.tn), (1, 0, 2));
        assert_eq!(r.misses, vec![1]);
        assert!(e.predictions[2].topics.contains("topic.sot-xuat-huyet"));
        assert!(e.predictions[3].topics.is_empty());

        let mut text = Vec::new();
        e.write_text(&mut text, &file, true).expect("writes");
        let text = String::from_utf8(text).expect("utf-8");
        assert!(text.contains("4 items in"), "{text}");
        assert!(text.lines().any(|l| l.starts_with("all ") && l.contains("1.000")), "{text}");
        assert!(text.contains("misses: rumours not raised (1)\n  r2 rumour facebook"), "{text}");
        assert!(text.contains("topic.sot-xuat-huyet"), "{text}");

        let json = e.json(&file);
        assert_eq!(json["rumour"]["tp"], 1);
        assert_eq!(json["rumour"]["recall"], 0.5);
        assert_eq!(json["misses"][0]["id"], "r2");
        assert_eq!(json["topics"]["topic.sot-xuat-huyet"]["tp"], 2);
    }

    #[test]
    fn a_bad_line_is_refused_with_its_number() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("bad.jsonl");
        std::fs::write(&file, "{\"id\":\"a\",\"label\":\"news\"}\n{\"id\":\"b\"}\n")
            .expect("write");
        let e = read_items(&file).expect_err("refused");
        assert!(format!("{e:#}").contains("line 2"), "{e:#}");
        std::fs::write(
            &file,
            "{\"id\":\"a\",\"label\":\"news\"}\n{\"id\":\"a\",\"label\":\"x\"}\n",
        )
        .expect("write");
        assert!(format!("{:#}", read_items(&file).expect_err("refused")).contains("twice"));
    }

    // Floors just under what the packs, the claims and the suspicious-post signal reached on
    // `rules/eval/social.jsonl` when the evaluation was written: precision 0.987, recall
    // 0.613 (posts without diacritics 0.750, teencode 0.630, Zalo forwards 0.536), no debunk
    // raised, a topic on 0.816 of the health items. [`GOALS`] are the bounds the figures
    // must keep (0.85, 0.60, each hard register at least half the overall recall, at most
    // one debunk in ten); raise a floor whenever a change lifts its figure.
    const FLOOR_PRECISION: f64 = 0.95;
    const FLOOR_RECALL: f64 = 0.58;
    const FLOOR_NODIACRITICS: f64 = 0.70;
    const FLOOR_TEENCODE: f64 = 0.60;
    const FLOOR_ZALO: f64 = 0.50;
    const FLOOR_HEALTH_RECALL: f64 = 0.78;
    const CEILING_DEBUNKS: f64 = 0.05;

    /// The packs and claims on `rules/eval/social.jsonl`, held above their floors.
    #[test]
    fn the_labelled_social_set_stays_above_its_floors() {
        let (set, _) = crate::system::load_checked(&rules::RuleSources::builtin());
        let items = read_items(&rules_dir().join("eval/social.jsonl")).expect("reads");
        let e = Evaluated::new(&set, items);
        let r = &e.report;
        let mut text = Vec::new();
        e.write_text(&mut text, Path::new("rules/eval/social.jsonl"), false).expect("writes");
        println!("{}", String::from_utf8_lossy(&text));
        let recall = |name: &str| r.registers.get(name).and_then(Counts::recall).unwrap_or(0.0);
        let floors = [
            ("precision", r.rumour.precision().unwrap_or(0.0), FLOOR_PRECISION),
            ("recall", r.rumour.recall().unwrap_or(0.0), FLOOR_RECALL),
            ("recall facebook_nodiacritics", recall("facebook_nodiacritics"), FLOOR_NODIACRITICS),
            ("recall teencode", recall("teencode"), FLOOR_TEENCODE),
            ("recall zalo_forward", recall("zalo_forward"), FLOOR_ZALO),
            ("health recall", r.health.recall().unwrap_or(0.0), FLOOR_HEALTH_RECALL),
        ];
        for (what, value, floor) in floors {
            assert!(value >= floor, "{what} {value:.3} fell below its floor {floor}");
        }
        let debunks = r.debunks_raised().unwrap_or(1.0);
        assert!(debunks <= CEILING_DEBUNKS, "debunks raised {debunks:.3} > {CEILING_DEBUNKS}");
        assert!(
            r.labels.get("other").is_some_and(|l| l.raised == 0),
            "a non-health item raised as a rumour"
        );
    }
}
