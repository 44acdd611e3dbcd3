//! The generated history against the real story clusterer, gazetteer and rule packs: the
//! spike day has at least ten distinct dengue stories in Đồng Nai while the four weeks
//! before have at most two a day, every item is about the topic and province it was
//! written for and raises no alert, and the rumour is one story seen on four outlets,
//! first by the outlet that published it.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use demo::history::{SPIKE_PROVINCE, SPIKE_TOPIC, vietnam_date};
use demo::rumour::{RUMOUR_ITEM, RUMOUR_OUTLET};
use demo::{Label, Outlet};
use rules::RuleSet;
use signals::copies::{CopyDoc, CopyIndex, Syllables};
use signals::stories::{Clusterer, Params, StoryInput, StoryKey};

/// Instants at several times of a Vietnam day: the spike moves to the evening before
/// when the day is too young to hold it.
fn nows() -> Vec<DateTime<Utc>> {
    [(9, 30), (15, 10), (23, 50), (4, 20), (1, 30)]
        .into_iter()
        .chain((0..24).map(|h| (h, 41)))
        .map(|(h, m)| Utc.with_ymd_and_hms(2026, 3, 18, h, m, 0).unwrap() - Duration::hours(7))
        .collect()
}

fn rules() -> RuleSet {
    let (set, diags) =
        RuleSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"));
    assert!(diags.is_empty(), "{diags:?}");
    set
}

/// One item as the pipeline stores it.
struct Doc {
    outlet: String,
    tier: String,
    slug: String,
    at: DateTime<Utc>,
    title: String,
    summary: String,
    body: String,
}

impl Doc {
    fn text(&self) -> String {
        format!("{}\n\n{}", self.summary, self.body)
    }
}

/// What the pipeline makes of the corpus: documents (an item whose title and text are
/// another's is a sighting of it) and their stories, placed in publication order the way
/// `pipeline::stories` places them, then one merge pass.
struct Run {
    docs: Vec<Doc>,
    /// Document index of each item (sightings point at their document).
    sighting_of: Vec<usize>,
    story: Vec<StoryKey>,
}

/// The order documents reach the clusterer.
#[derive(Debug, Clone, Copy)]
enum Order {
    /// All of them by publication time.
    Time,
    /// Outlet after outlet (in the given direction), each outlet's items by time: what a
    /// fresh install does, one fetched feed per batch.
    ByOutlet { reversed: bool },
}

fn run(outlets: &[Outlet], now: DateTime<Utc>, order: Order) -> Run {
    let mut items: Vec<Doc> = outlets
        .iter()
        .flat_map(|o| {
            o.items.iter().map(|i| Doc {
                outlet: o.slug.clone(),
                tier: o.tier.clone(),
                slug: i.slug.clone(),
                at: demo::published_at(i, now),
                title: i.title.clone(),
                summary: i.summary.clone(),
                body: i.body.clone(),
            })
        })
        .collect();
    let rank: HashMap<&str, usize> =
        outlets.iter().enumerate().map(|(i, o)| (o.slug.as_str(), i)).collect();
    let key = |d: &Doc| match order {
        Order::Time => 0,
        Order::ByOutlet { reversed: false } => rank[d.outlet.as_str()],
        Order::ByOutlet { reversed: true } => outlets.len() - rank[d.outlet.as_str()],
    };
    items.sort_by(|a, b| {
        (key(a), a.at, &a.outlet, &a.slug).cmp(&(key(b), b.at, &b.outlet, &b.slug))
    });
    let mut first: HashMap<(String, String, String), usize> = HashMap::new();
    let mut copies = CopyIndex::new(signals::copies::Params::default());
    let mut clusterer = Clusterer::new(Params::default());
    let mut sighting_of = Vec::new();
    let mut story = Vec::new();
    for (i, d) in items.iter().enumerate() {
        let key = (d.title.clone(), d.summary.clone(), d.body.clone());
        if let Some(&j) = first.get(&key) {
            sighting_of.push(j);
            story.push(story[j]);
            continue;
        }
        first.insert(key, i);
        sighting_of.push(i);
        copies.evict_older_than(d.at - copies.params().window);
        clusterer.evict(d.at);
        let syllables = Syllables::from_text(&d.title, &d.summary, &d.body);
        let copy_of = CopyDoc::new(&syllables, copies.params()).and_then(|doc| {
            let found = copies.find_copy(&doc).map(|c| c.of);
            copies.insert(i as i64, d.at, doc);
            found
        });
        let input = StoryInput { id: i as i64, syllables: &syllables, copy_of };
        story.push(clusterer.assign(&input, d.at).story);
    }
    let mut renamed: BTreeMap<StoryKey, StoryKey> = BTreeMap::new();
    for (from, into) in clusterer.merge_pass(now) {
        renamed.insert(from, into);
    }
    let story = story
        .into_iter()
        .map(|mut k| {
            while let Some(&next) = renamed.get(&k) {
                k = next;
            }
            k
        })
        .collect();
    Run { docs: items, sighting_of, story }
}

fn label_of<'a>(labels: &'a [Label], d: &Doc) -> Option<&'a Label> {
    labels.iter().find(|l| l.outlet == d.outlet && l.item == d.slug)
}

#[test]
fn the_spike_day_has_ten_distinct_dengue_stories_in_dong_nai_and_the_weeks_before_few() {
    let set = rules();
    let orders =
        [Order::Time, Order::ByOutlet { reversed: false }, Order::ByOutlet { reversed: true }];
    for (now, order) in nows().into_iter().flat_map(|n| orders.map(|o| (n, o))) {
        let history = demo::history(now);
        let outlets = demo::corpus_at(now);
        let run = run(&outlets, now, order);
        // A story's day and province are its earliest document's, its topics all of its
        // documents'.
        let mut earliest: BTreeMap<StoryKey, usize> = BTreeMap::new();
        for (i, d) in run.docs.iter().enumerate() {
            let e = earliest.entry(run.story[i]).or_insert(i);
            if d.at < run.docs[*e].at {
                *e = i;
            }
        }
        let mut province: BTreeMap<StoryKey, Option<&'static str>> = BTreeMap::new();
        let mut dengue: BTreeSet<StoryKey> = BTreeSet::new();
        let mut first_day: BTreeMap<StoryKey, NaiveDate> = BTreeMap::new();
        for (i, d) in run.docs.iter().enumerate() {
            if run.sighting_of[i] != i {
                continue;
            }
            let s = run.story[i];
            let e = &run.docs[earliest[&s]];
            province
                .entry(s)
                .or_insert_with(|| gazetteer::places(&e.title, &e.text()).main_province());
            first_day.entry(s).or_insert_with(|| vietnam_date(e.at));
            if set.match_document(&d.title, &d.text()).iter().any(|h| &*h.rule_id == SPIKE_TOPIC) {
                dengue.insert(s);
            }
        }
        let mut per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for s in &dengue {
            if province[s] == Some(SPIKE_PROVINCE) {
                *per_day.entry(first_day[s]).or_default() += 1;
            }
        }
        let spike = per_day.get(&history.spike_day).copied().unwrap_or(0);
        if std::env::var("DEMO_DEBUG").is_ok() {
            for (i, d) in run.docs.iter().enumerate() {
                if vietnam_date(d.at) >= history.spike_day - Duration::days(3) {
                    eprintln!(
                        "{:?} {:?} {} {} | {}",
                        run.story[i], province[&run.story[i]], d.at, d.outlet, d.title
                    );
                }
            }
        }
        assert!(
            spike >= 10,
            "{now} {order:?}: only {spike} dengue stories in Đồng Nai on the spike day"
        );
        for back in 1..=28 {
            let day = history.spike_day - Duration::days(back);
            let n = per_day.get(&day).copied().unwrap_or(0);
            assert!(
                n <= 2,
                "{now} {order:?}: {n} dengue stories in Đồng Nai on {day}: {per_day:?}"
            );
        }
        // The baseline is not empty either: Đồng Nai has dengue every week or two.
        let before: usize =
            per_day.iter().filter(|(d, _)| **d < history.spike_day).map(|(_, n)| n).sum();
        assert!(before >= 4, "{now} {order:?}: a flat baseline {per_day:?}");

        // Each incident of the spike is one story of its own, whichever outlets carry it.
        let mut by_incident: BTreeMap<usize, BTreeSet<StoryKey>> = BTreeMap::new();
        let mut sources = BTreeSet::new();
        for (i, d) in run.docs.iter().enumerate() {
            let Some(l) = label_of(&history.labels, d).filter(|l| l.spike) else { continue };
            assert_eq!(vietnam_date(d.at), history.spike_day, "{now}: {}", d.title);
            assert!(d.at <= now - Duration::hours(1), "{now}: {} is too fresh", d.title);
            assert!(["press", "official"].contains(&d.tier.as_str()));
            by_incident.entry(l.incident).or_default().insert(run.story[i]);
            sources.insert(d.outlet.clone());
        }
        assert!(
            by_incident.values().all(|s| s.len() == 1),
            "{now} {order:?}: an incident split {by_incident:?}"
        );
        let stories: BTreeSet<_> = by_incident.values().flatten().collect();
        assert_eq!(
            stories.len(),
            by_incident.len(),
            "{now} {order:?}: incidents merged {by_incident:?}"
        );
        assert!(sources.len() >= 4, "{now}: the spike comes from {sources:?}");
    }
}

#[test]
fn every_history_item_is_about_its_topic_and_province_and_raises_no_alert() {
    let set = rules();
    let now = nows()[1];
    let history = demo::history(now);
    let mut items = 0;
    let mut days = BTreeSet::new();
    for o in &history.outlets {
        assert!(["press", "official"].contains(&o.tier.as_str()), "{}", o.name);
        for it in &o.items {
            items += 1;
            let label =
                history.labels.iter().find(|l| l.outlet == o.slug && l.item == it.slug).unwrap();
            let text = format!("{}\n\n{}", it.summary, it.body);
            let hits = set.match_document(&it.title, &text);
            let ids: Vec<&str> = hits.iter().map(|h| &*h.rule_id).collect();
            assert!(
                ids.contains(&label.topic),
                "{} does not match {}: {ids:?}",
                it.title,
                label.topic
            );
            let alerting: Vec<&str> =
                hits.iter().filter(|h| alerts::raises_alert(h.kind)).map(|h| &*h.rule_id).collect();
            assert!(alerting.is_empty(), "{} raises {alerting:?}", it.title);
            let places = gazetteer::places(&it.title, &text);
            assert_eq!(
                places.main_province(),
                Some(label.province),
                "{}: {text} names {:?}",
                it.title,
                places.codes()
            );
            assert!(!it.title.contains('{') && !text.contains('{'), "{}", it.title);
            days.insert(vietnam_date(demo::published_at(it, now)));
        }
    }
    // Sixty days and today, every one with news, in a few hundred items: the demo
    // fetches and processes them in seconds.
    assert!(days.len() >= 60, "{} days", days.len());
    assert!((120..=400).contains(&items), "{items} items");
    assert_eq!(items, history.labels.len());
    // Several provinces and topics, from at least four outlets.
    let provinces: BTreeSet<_> = history.labels.iter().map(|l| l.province).collect();
    let topics: BTreeSet<_> = history.labels.iter().map(|l| l.topic).collect();
    assert!(provinces.len() >= 6 && topics.len() >= 5, "{provinces:?} {topics:?}");
    assert!(history.outlets.len() >= 4);
}

#[test]
fn the_history_is_the_same_on_every_run_and_distinct_in_its_wording() {
    let now = nows()[0];
    let a = demo::history(now);
    let b = demo::history(now);
    assert_eq!(a.labels, b.labels);
    let titles: Vec<_> = a.outlets.iter().flat_map(|o| o.items.iter().map(|i| &i.title)).collect();
    let distinct: BTreeSet<_> = titles.iter().collect();
    let mut seen = BTreeSet::new();
    let twice: Vec<_> = titles.iter().filter(|t| !seen.insert(**t)).collect();
    assert_eq!(distinct.len(), titles.len(), "titles used twice: {twice:?}");
}

#[test]
fn the_rumour_is_one_story_seen_on_four_outlets_first_by_its_publisher() {
    for now in nows() {
        let outlets = demo::corpus_at(now);
        let run = run(&outlets, now, Order::Time);
        let rumour: Vec<usize> =
            (0..run.docs.len()).filter(|&i| run.docs[i].slug == RUMOUR_ITEM).collect();
        let outlets_seen: BTreeSet<_> =
            rumour.iter().map(|&i| run.docs[i].outlet.as_str()).collect();
        assert_eq!(outlets_seen.len(), 4, "{outlets_seen:?}");
        // Word for word: one document, the others sightings of it.
        let documents: BTreeSet<_> = rumour.iter().map(|&i| run.sighting_of[i]).collect();
        assert_eq!(documents.len(), 1);
        let first = rumour.iter().min_by_key(|&&i| run.docs[i].at).unwrap();
        assert_eq!(run.docs[*first].outlet, RUMOUR_OUTLET);
        let times: BTreeSet<_> = rumour.iter().map(|&i| run.docs[i].at).collect();
        assert_eq!(times.len(), 4, "two outlets at the same minute");
        // Its story holds nothing else.
        let story = run.story[*first];
        let members: Vec<&str> = (0..run.docs.len())
            .filter(|&i| run.story[i] == story)
            .map(|i| run.docs[i].title.as_str())
            .collect();
        assert_eq!(members.len(), 4, "{members:?}");
    }
}

#[test]
fn no_other_topic_has_the_volume_of_a_spike_on_the_spike_day() {
    // The spike scan needs at least five distinct stories of a topic (a topic rule, or a
    // tag of topic rules) in a day: only the dengue spike and the tags of its rule may
    // reach it, or the demo's one spike drowns among accidental ones.
    let set = rules();
    let tags: HashMap<&str, &[String]> =
        set.rules().iter().map(|r| (&*r.id, r.tags.as_slice())).collect();
    let spike_tags: BTreeSet<String> =
        tags[SPIKE_TOPIC].iter().map(|t| format!("tag:{t}")).collect();
    let mut loud = Vec::new();
    for now in nows() {
        let history = demo::history(now);
        let run = run(&demo::corpus_at(now), now, Order::Time);
        let mut per_topic: BTreeMap<(String, NaiveDate), BTreeSet<StoryKey>> = BTreeMap::new();
        for (i, d) in run.docs.iter().enumerate() {
            for h in set.match_document(&d.title, &d.text()) {
                if alerts::raises_alert(h.kind) {
                    continue;
                }
                let keys = std::iter::once(h.rule_id.to_string())
                    .chain(tags[&*h.rule_id].iter().map(|t| format!("tag:{t}")));
                // The umbrella topic counts every health story, the spike's among them.
                let umbrella = |k: &String| k == "topic.suc-khoe" || k == "tag:sức khỏe";
                for key in
                    keys.filter(|k| k != SPIKE_TOPIC && !spike_tags.contains(k) && !umbrella(k))
                {
                    per_topic.entry((key, vietnam_date(d.at))).or_default().insert(run.story[i]);
                }
            }
        }
        for day in [history.spike_day, history.spike_day - Duration::days(1)] {
            for ((topic, d), stories) in &per_topic {
                if *d == day && stories.len() >= 5 {
                    loud.push(format!("{now}: {} stories of {topic} on {day}", stories.len()));
                }
            }
        }
    }
    assert!(loud.is_empty(), "{loud:#?}");
}
