//! Precision and recall of the topic rules on real Vietnamese news, read in place from the
//! shared data folder (never copied into the repository: part of it is GPL).
//!
//! Documents are labelled health or not by the section their URL names (`suc-khoe`,
//! `/y-te/` …) and, where the URL says nothing, by the hand-checked lists below. A
//! document is counted as found when any topic rule fires on it. The test prints the
//! figures, every false positive with the rules that fired and every miss, and fails below
//! the floors measured when the packs were written.
//!
//! ```sh
//! cargo test -p rules --test real_text -- --nocapture
//! ```

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rules::RuleSet;

fn packs() -> RuleSet {
    let (set, diags) =
        RuleSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"));
    assert!(diags.is_empty(), "{diags:?}");
    set
}

/// One labelled document.
struct Doc {
    id: String,
    url: String,
    title: String,
    body: String,
}

/// VFND articles: `Real 48`, `Fake 11` …
fn vfnd() -> Option<Vec<Doc>> {
    let root = test_support::shared_data("vfnd/Dataset")?;
    let mut out = Vec::new();
    for label in ["Real", "Fake"] {
        let dir = root.join(label).join("Article_Contents");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
            let n =
                path.file_stem().unwrap().to_str().unwrap().rsplit('_').next().unwrap().to_owned();
            let body = if s("maintext").is_empty() { s("text") } else { s("maintext") };
            out.push(Doc { id: format!("{label} {n}"), url: s("url"), title: s("title"), body });
        }
    }
    Some(out)
}

/// The 2017 VnExpress feed: title and description of each item, labelled by its link.
fn rss() -> Option<Vec<Doc>> {
    let path = test_support::shared_data("vnexpress-rss-2017/data.xml")?;
    let xml = std::fs::read_to_string(&path).unwrap();
    let tag = |item: &str, name: &str| -> String {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        item.find(&open)
            .and_then(|a| {
                item[a + open.len()..]
                    .find(&close)
                    .map(|b| &item[a + open.len()..a + open.len() + b])
            })
            .unwrap_or("")
            .trim()
            .trim_start_matches("<![CDATA[")
            .trim_end_matches("]]>")
            .to_owned()
    };
    let mut out = Vec::new();
    for (i, item) in xml.split("<item>").skip(1).enumerate() {
        // The description is HTML: keep the text after its image.
        let desc = tag(item, "description");
        let text = desc.rsplit("</br>").next().unwrap_or(&desc).to_owned();
        out.push(Doc {
            id: format!("rss {i}"),
            url: tag(item, "link"),
            title: tag(item, "title"),
            body: text,
        });
    }
    Some(out)
}

/// Whether the URL names a health section.
fn health_by_url(url: &str) -> bool {
    ["suc-khoe", "suckhoe", "/y-te/", "/health"].iter().any(|s| url.contains(s))
}

/// Health articles whose URL names no health section, checked by reading them: a poisoning
/// that killed three tourists, a rash after sea bathing, the Việt Á test kits, a fake mass
/// poisoning, medical-curiosity and remedy pieces, the COVID-19 test-kit claim.
const HEALTH_BY_HAND: &[&str] = &[
    "Real 48", "Real 99", "Real 124", "Fake 11", "Fake 15", "Fake 16", "Fake 20", "Fake 31",
    "Fake 74", "Fake 84", "Fake 85", "Fake 104", "Fake 116",
];

/// Neither health nor not, left out of the figures: a cancer survivor's running story, a
/// worker's death that may be a stroke, a school serving spoiled food, a plane diverted
/// for a pregnant passenger, the trial over the dialysis deaths (law section), the
/// "microwaves are banned in Japan" hoax and its refutations, a celebrity fainting on a
/// plane, a celebrity suicide rumour, a conspiracy text on cancer, a dog-catcher hoax, a
/// sexual-health teaser and an empty page.
const AMBIGUOUS: &[&str] = &[
    "Real 20", "Real 22", "Real 43", "Real 75", "Real 115", "Real 125", "Real 126", "Real 127",
    "Fake 13", "Fake 21", "Fake 36", "Fake 70", "Fake 117", "Fake 129",
];

/// UD treebank sentences about health, checked by reading every sentence with a health
/// word: the HIV/AIDS series, the first liver transplant, cancer and Agent Orange stories,
/// and sentences about someone's cancer inside a detective story (judged by the sentence,
/// not the story). Every other sentence counts as not health.
const UD_HEALTH: &[&str] = &[
    "train-s43",
    "train-s101",
    "train-s618",
    "train-s635",
    "train-s762",
    "train-s766",
    "train-s790",
    "train-s791",
    "train-s792",
    "train-s793",
    "train-s794",
    "train-s1260",
    "dev-128",
    "dev-129",
    "dev-131",
    "dev-147",
    "dev-149",
    "dev-150",
    "dev-155",
    "dev-160",
    "dev-162",
    "dev-164",
    "dev-227",
    "dev-302",
    "dev-303",
    "dev-304",
    "dev-309",
    "dev-448",
    "dev-474",
    "dev-476",
    "dev-479",
    "dev-480",
    "dev-523",
    "dev-524",
    "dev-954",
    "dev-1029",
    "dev-1065",
    "dev-1066",
    "dev-1067",
    "dev-1068",
    "dev-1070",
    "dev-1071",
    "dev-1072",
    "dev-1073",
    "dev-1074",
    "dev-1075",
    "dev-1076",
    "dev-1077",
    "dev-1078",
    "dev-1079",
    "dev-1081",
    "dev-1082",
    "dev-1084",
    "dev-1085",
    "dev-1086",
    "dev-1092",
    "dev-1095",
    "dev-1096",
    "dev-1097",
    "dev-1098",
    "dev-1099",
    "dev-1100",
    "dev-1102",
    "text-s309",
    "text-s330",
    "text-s335",
    "text-s338",
    "text-s356",
];

/// UD sentences, each a document with an empty title.
fn ud() -> Option<Vec<Doc>> {
    let mut out = Vec::new();
    for part in ["train", "dev", "test"] {
        let path =
            test_support::shared_data(&format!("ud-vietnamese-vtb/vi_vtb-ud-{part}.conllu"))?;
        let text = std::fs::read_to_string(&path).unwrap();
        let mut id = String::new();
        for line in text.lines() {
            if let Some(s) = line.strip_prefix("# sent_id = ") {
                s.trim().clone_into(&mut id);
            } else if let Some(t) = line.strip_prefix("# text =") {
                let body = t.trim().to_owned();
                out.push(Doc { id: id.clone(), url: String::new(), title: String::new(), body });
            }
        }
    }
    Some(out)
}

/// Counts of "any topic rule fires" against the labels.
#[derive(Default)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
    false_positives: BTreeMap<String, Vec<String>>,
    misses: Vec<String>,
}

impl Score {
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }

    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }

    fn report(&self, name: &str) {
        println!(
            "{name}: precision {:.3} ({} of {} fired on health), recall {:.3} ({} of {} health found), {} non-health silent",
            self.precision(),
            self.tp,
            self.tp + self.fp,
            self.recall(),
            self.tp,
            self.tp + self.fn_,
            self.tn
        );
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for rules in self.false_positives.values() {
            for r in rules {
                *by_rule.entry(r).or_default() += 1;
            }
        }
        println!("  false positives by rule: {by_rule:?}");
        for (doc, rules) in &self.false_positives {
            println!("  false positive {doc}: {rules:?}");
        }
        for doc in &self.misses {
            println!("  missed {doc}");
        }
    }
}

fn score(set: &RuleSet, docs: &[Doc], is_health: impl Fn(&Doc) -> Option<bool>) -> Score {
    let mut s = Score::default();
    for d in docs {
        let Some(health) = is_health(d) else { continue };
        let topics: Vec<String> = set
            .match_document(&d.title, &d.body)
            .into_iter()
            .filter(|h| !alerts::raises_alert(h.kind))
            .map(|h| h.rule_id.to_string())
            .collect();
        let label = format!("{} {:?}", d.id, d.title.chars().take(60).collect::<String>());
        match (health, topics.is_empty()) {
            (true, false) => s.tp += 1,
            (true, true) => {
                s.fn_ += 1;
                s.misses.push(format!("{label} {:?}", d.body.chars().take(80).collect::<String>()));
            }
            (false, false) => {
                s.fp += 1;
                s.false_positives.insert(label, topics);
            }
            (false, true) => s.tn += 1,
        }
    }
    s
}

#[test]
fn topic_rules_on_real_news() {
    let set = packs();
    let mut articles = Vec::new();
    articles.extend(vfnd().unwrap_or_default());
    articles.extend(rss().unwrap_or_default());
    if articles.is_empty() {
        println!("note: no real articles, nothing measured");
        return;
    }
    let hand: BTreeSet<&str> = HEALTH_BY_HAND.iter().copied().collect();
    let skip: BTreeSet<&str> = AMBIGUOUS.iter().copied().collect();
    let s = score(&set, &articles, |d| {
        if skip.contains(d.id.as_str()) {
            None
        } else {
            Some(health_by_url(&d.url) || hand.contains(d.id.as_str()))
        }
    });
    s.report("articles (VFND, VnExpress feed)");
    // Floors just under the measurement when the packs were written: precision 0.571 (16
    // of 28), recall 0.889 (16 of 18), 241 of 253 non-health articles silent. The false
    // positives left are single mentions (a relative with throat cancer in a land dispute,
    // a village clinic in a family story, HIV in a crime story) that words alone cannot
    // tell from a health story; the misses are clickbait with no medical word.
    assert!(s.tp + s.fn_ >= 15, "too few health articles labelled: {}", s.tp + s.fn_);
    assert!(s.precision() >= 0.55, "article precision {:.3}", s.precision());
    assert!(s.recall() >= 0.85, "article recall {:.3}", s.recall());

    let Some(sentences) = ud() else { return };
    let ud_health: BTreeSet<&str> = UD_HEALTH.iter().copied().collect();
    let s = score(&set, &sentences, |d| Some(ud_health.contains(d.id.as_str())));
    s.report("UD treebank sentences");
    // Measured: precision 0.939 (46 of 49), recall 0.676 (46 of 68); a sentence rarely
    // carries the context a 3 KB article gives, so recall is lower here by design.
    assert!(s.precision() >= 0.90, "sentence precision {:.3}", s.precision());
    assert!(s.recall() >= 0.65, "sentence recall {:.3}", s.recall());
}

#[test]
fn rumour_rules_fire_on_health_rumours_and_rarely_on_real_news() {
    let Some(articles) = vfnd() else { return };
    let set = packs();
    let alerts = |d: &Doc, kinds: &[&str]| -> Vec<String> {
        set.match_document(&d.title, &d.body)
            .into_iter()
            .filter(|h| kinds.contains(&h.kind.as_str()))
            .map(|h| h.rule_id.to_string())
            .collect()
    };
    // The fake health stories: a mass poisoning that never happened and a vegetable sold
    // as a cure-all "thần dược".
    for id in ["Fake 11", "Fake 31"] {
        let d = articles.iter().find(|d| d.id == id).unwrap();
        let fired = alerts(d, &["rumor", "crisis"]);
        println!("{id}: {fired:?}");
        assert!(!fired.is_empty(), "no alert on {id} {:?}", d.title);
    }
    assert!(!alerts(articles.iter().find(|d| d.id == "Fake 31").unwrap(), &["rumor"]).is_empty());
    let real: Vec<(&str, Vec<String>)> = articles
        .iter()
        .filter(|d| d.id.starts_with("Real"))
        .map(|d| (d.id.as_str(), alerts(d, &["rumor"])))
        .filter(|(_, fired)| !fired.is_empty())
        .collect();
    println!("rumour rules on real articles: {real:?}");
    assert!(real.len() <= 2, "rumour rules fire on real news: {real:?}");
}
