//! The social pages and the debunk of `demo::social` in the corpus, read the way the
//! pipeline reads them: each planted item is where it says and recent, the rumours are
//! their claims typed bare and in teencode, the debunk refutes its claim and lands in the
//! story of the post it quotes, and the new rumour has every generic cue but matches no
//! rule or claim.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use demo::rumour::{RUMOUR_ITEM, RUMOUR_OUTLET};
use demo::social::{DEBUNK, NO_DIACRITICS, PLANTED, Planted, QUOTED, Role, SUSPICIOUS, TEENCODE};
use demo::{Item, Outlet};
use model::{RuleKind, Stance};
use rules::{Analyzed, ClaimLibrary, RuleSet};
use signals::copies::{CopyDoc, CopyIndex, Syllables};
use signals::stories::{Clusterer, Params, StoryInput, StoryKey};

fn rules_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

/// The shipped packs and claims compiled as one set, as `langnghe demo` loads them.
fn rules() -> RuleSet {
    let (packs, diags) = RuleSet::load_dir(&rules_dir());
    assert!(diags.is_empty(), "{diags:?}");
    let (library, diags) = ClaimLibrary::load_dir(&rules_dir());
    assert!(diags.is_empty(), "{diags:?}");
    let mut all = packs.rules().to_vec();
    all.extend(library.without_rule_ids(packs.rules()).rules());
    RuleSet::from_rules(all)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 18, 8, 10, 0).unwrap()
}

fn outlet<'a>(outlets: &'a [Outlet], p: &Planted) -> &'a Outlet {
    outlets.iter().find(|o| o.slug == p.outlet).unwrap_or_else(|| panic!("no {}", p.outlet))
}

fn item<'a>(outlets: &'a [Outlet], p: &Planted) -> &'a Item {
    outlet(outlets, p).items.iter().find(|i| i.slug == p.item).unwrap()
}

/// An item as the pipeline matches it: its title, and its lead and text.
fn text(i: &Item) -> String {
    format!("{}\n\n{}", i.summary, i.body)
}

fn whole(i: &Item) -> String {
    format!("{}\n{}", i.title, text(i))
}

/// Vietnamese letters without their diacritics.
fn bare(s: &str) -> String {
    const FROM: [&str; 12] = [
        "àáảãạăằắẳẵặâầấẩẫậ",
        "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ",
        "èéẻẽẹêềếểễệ",
        "ÈÉẺẼẸÊỀẾỂỄỆ",
        "ìíỉĩị",
        "ÌÍỈĨỊ",
        "òóỏõọôồốổỗộơờớởỡợ",
        "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
        "ùúủũụưừứửữự",
        "ÙÚỦŨỤƯỪỨỬỮỰ",
        "ỳýỷỹỵđ",
        "ỲÝỶỸỴĐ",
    ];
    const TO: [&str; 12] = ["a", "A", "e", "E", "i", "I", "o", "O", "u", "U", "yyyyyd", "YYYYYD"];
    s.chars()
        .map(|c| {
            for (from, to) in FROM.iter().zip(TO) {
                if let Some(k) = from.chars().position(|f| f == c) {
                    return to.chars().nth(k).or_else(|| to.chars().next()).unwrap();
                }
            }
            c
        })
        .collect()
}

/// The syllables of a text, lowercase, split at anything but letters and digits.
fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn has_phrase(s: &str, phrase: &str) -> bool {
    let (w, p) = (words(s), words(phrase));
    w.windows(p.len()).any(|x| x == p.as_slice())
}

#[test]
fn every_planted_item_is_on_its_page_and_recent() {
    let now = now();
    let outlets = demo::corpus_at(now);
    let mut slugs = BTreeSet::new();
    for p in PLANTED {
        let o = outlet(&outlets, &p);
        let tier = if p.role == Role::Debunk { "official" } else { "social" };
        assert_eq!(o.tier, tier, "{}", o.name);
        let at = demo::published_at(item(&outlets, &p), now);
        // On the board in the demo's first minute: published in the last few hours.
        assert!(at < now && at > now - Duration::hours(5), "{}: {at}", p.item);
        assert!(slugs.insert((p.outlet, p.item)));
    }
    // The debunk answers the post it quotes, later.
    let posted = demo::published_at(item(&outlets, &NO_DIACRITICS), now);
    assert!(demo::published_at(item(&outlets, &DEBUNK), now) > posted);
    assert_eq!(DEBUNK.claim, NO_DIACRITICS.claim);
    assert!(NO_DIACRITICS.claim.is_some() && TEENCODE.claim.is_some());
    assert_ne!(NO_DIACRITICS.claim, TEENCODE.claim);
    assert_eq!(SUSPICIOUS.claim, None);
    // Every page also posts something else, and nothing repeats another item word for word.
    for p in [NO_DIACRITICS, TEENCODE, SUSPICIOUS] {
        assert!(outlet(&outlets, &p).items.len() >= 2, "{}", p.outlet);
    }
    let without = {
        let mut o = demo::bundled();
        o.extend(demo::history(now).outlets);
        let carriers = demo::rumour::carriers(&o);
        o.extend(carriers);
        o
    };
    let added: usize = outlets.iter().map(|o| o.items.len()).sum::<usize>()
        - without.iter().map(|o| o.items.len()).sum::<usize>();
    assert_eq!(
        demo::distinct_articles(&outlets) - demo::distinct_articles(&without),
        added,
        "a planted item repeats another"
    );
    // The debunk's outlet is the demo's health department, on the same feed as before.
    let portal = outlets.iter().find(|o| o.slug == demo::social::DEBUNK_OUTLET).unwrap();
    assert!(portal.name.contains("Sở Y tế"), "{}", portal.name);
    assert_eq!(outlets.iter().filter(|o| o.slug == portal.slug).count(), 1);
}

#[test]
fn the_rumours_are_typed_bare_and_in_teencode_and_never_spell_dengue_bare() {
    let outlets = demo::corpus_at(now());
    for p in [NO_DIACRITICS, TEENCODE] {
        let t = whole(item(&outlets, &p));
        assert!(t.is_ascii(), "{}: diacritics in {t}", p.item);
        // A search for "sốt xuất huyết" must find only what writes it.
        let w = words(&t);
        assert!(!["sot", "xuat", "huyet"].iter().all(|s| w.iter().any(|x| x == s)), "{t}");
    }
    let teen = words(&whole(item(&outlets, &TEENCODE)));
    for abbreviation in ["ae", "nc", "k", "ko", "sxh", "j", "t", "ng"] {
        assert!(teen.iter().any(|w| w == abbreviation), "no {abbreviation:?} in {teen:?}");
    }
    // The debunk quotes the post's first sentence as it was typed.
    let post = item(&outlets, &NO_DIACRITICS);
    assert!(post.summary.starts_with(QUOTED), "{}", post.summary);
    let debunk = item(&outlets, &DEBUNK);
    assert!(debunk.summary.contains(&format!("“{QUOTED}”")), "{}", debunk.summary);
    assert!(!debunk.title.is_ascii() && debunk.title.contains("Sở Y tế"), "{}", debunk.title);
    assert!(debunk.title.contains("sai sự thật"), "{}", debunk.title);
}

/// What each rumour says, with its diacritics restored and its abbreviations kept: the
/// post is this reading typed bare, and the claim's query matches the reading, so a term
/// written with diacritics that also matches its bare syllable catches the post.
const READINGS: [(Planted, &str); 2] = [
    (
        NO_DIACRITICS,
        "Bé bị thủy đậu phải kiêng nước kiêng gió tuyệt đối nha các mẹ\nBé bị thủy đậu phải kiêng nước kiêng gió tuyệt đối, không tắm, ở trong phòng kín cho nốt mọc hết ra ngoài. Dính nước là nốt lan ra khắp người, để lại sẹo xấu lắm.\n\nNhà mình 2 đứa đều bị thủy đậu, bà nội bắt kiêng nước kiêng gió tròn 10 ngày, đóng kín cửa không cho ra khỏi phòng, giờ đứa nào cũng hết nốt mà không để sẹo. Các mẹ có con nhỏ lưu lại, chia sẻ cho các mẹ khác cùng biết nha.",
    ),
    (
        TEENCODE,
        "ae ơi uống nc lá đu đủ là khỏi sxh nha\nae ơi uống nc lá đu đủ là khỏi sxh nha, k cần đi viện đâu\n\nhôm trc thằng em t bị sxh, tiểu cầu tụt còn 60, bà ngoại giã lá đu đủ vắt lấy nc cho uống 3 ngày là tiểu cầu lên vù vù, k cần truyền j hết. ae nào có ng nhà bị thì thử liền nha, ko tốn 1 đồng nào",
    ),
];

#[test]
fn each_rumour_is_its_claim_typed_without_diacritics() {
    let set = rules();
    let outlets = demo::corpus_at(now());
    for (p, reading) in READINGS {
        let post = item(&outlets, &p);
        assert_eq!(bare(reading), whole(post), "{}", p.item);
        let (title, body) = reading.split_once('\n').unwrap();
        let hits = set.match_document(title, body);
        let claim = p.claim.unwrap();
        assert!(hits.iter().any(|h| &*h.rule_id == claim), "{claim} misses {reading}: {hits:?}");
        let doc = Analyzed::new(title, body);
        let stances = rules::hit_stances(&doc, &hits);
        let stance = stances.iter().find(|s| &*s.rule_id == claim).unwrap();
        assert_eq!(stance.stance, Stance::Carries, "{reading}: {stance:?}");
    }
}

#[test]
fn the_debunk_refutes_its_claim_and_raises_nothing() {
    let set = rules();
    let outlets = demo::corpus_at(now());
    let debunk = item(&outlets, &DEBUNK);
    let doc = Analyzed::new(&debunk.title, &text(debunk));
    let hits = set.match_analyzed(&doc);
    let stances = rules::hit_stances(&doc, &hits);
    let claim = DEBUNK.claim.unwrap();
    let own = stances.iter().find(|s| &*s.rule_id == claim);
    assert_eq!(own.map(|s| s.stance), Some(Stance::Refutes), "{hits:?} {stances:?}");
    let raised: Vec<&str> =
        hits.iter().filter(|h| rules::raises(h, &stances)).map(|h| &*h.rule_id).collect();
    assert!(raised.is_empty(), "the debunk raises {raised:?}");
}

#[test]
fn the_new_rumour_has_every_generic_cue_and_no_rule_knows_it() {
    let outlets = demo::corpus_at(now());
    let post = item(&outlets, &SUSPICIOUS);
    let t = whole(post);
    // Shouting: the headline in capitals, an urgent word, exclamation marks.
    assert!(!post.title.chars().any(char::is_lowercase), "{}", post.title);
    assert!(post.title.starts_with("KHẨN") && t.contains("!!!"), "{t}");
    for cue in ["chia sẻ ngay", "tin nội bộ", "bác sĩ đầu ngành", "tiết lộ", "giữ kín"]
    {
        assert!(has_phrase(&t, cue), "no {cue:?} in {t}");
    }
    assert!(t.contains("CHIA SẺ NGAY"), "{t}");
    assert!(t.split_whitespace().any(|w| w.starts_with("bit.ly/")), "no short link in {t}");
    let digits: String = t
        .split(|c: char| !(c.is_ascii_digit() || c == ' '))
        .map(|s| s.replace(' ', ""))
        .max_by_key(String::len)
        .unwrap();
    assert!(digits.len() == 10 && digits.starts_with('0'), "no phone number in {t}");
    // No rule, claim or crisis pattern knows it: only its form can raise it.
    let set = rules();
    let hits = set.match_document(&post.title, &text(post));
    let raised: Vec<&str> =
        hits.iter().filter(|h| h.kind != RuleKind::Topic).map(|h| &*h.rule_id).collect();
    assert!(raised.is_empty(), "{raised:?}");
}

#[test]
fn the_pages_other_posts_raise_nothing() {
    let set = rules();
    let outlets = demo::corpus_at(now());
    for p in [NO_DIACRITICS, TEENCODE, SUSPICIOUS] {
        for i in outlet(&outlets, &p).items.iter().filter(|i| i.slug != p.item) {
            let doc = Analyzed::new(&i.title, &text(i));
            let hits = set.match_analyzed(&doc);
            let stances = rules::hit_stances(&doc, &hits);
            let raised: Vec<&str> =
                hits.iter().filter(|h| rules::raises(h, &stances)).map(|h| &*h.rule_id).collect();
            assert!(raised.is_empty(), "{}: {raised:?}", i.title);
        }
    }
}

/// The story of every document of the corpus, placed the way `pipeline::stories` places
/// them: in publication order, or outlet after outlet (a fresh install fetches one feed per
/// batch), each checked for a near-copy first, then one merge pass. Items that repeat
/// another's title and text are sightings of it. Keys are (outlet, item).
fn stories(
    outlets: &[Outlet],
    now: DateTime<Utc>,
    by_outlet: Option<bool>,
) -> BTreeMap<(String, String), StoryKey> {
    let mut items: Vec<(usize, DateTime<Utc>, &Outlet, &Item)> = outlets
        .iter()
        .enumerate()
        .flat_map(|(k, o)| o.items.iter().map(move |i| (k, demo::published_at(i, now), o, i)))
        .collect();
    items.sort_by_key(|&(k, at, o, i)| {
        let rank = match by_outlet {
            None => 0,
            Some(false) => k,
            Some(true) => outlets.len() - k,
        };
        (rank, at, o.slug.clone(), i.slug.clone())
    });
    let mut copies = CopyIndex::new(signals::copies::Params::default());
    let mut clusterer = Clusterer::new(Params::default());
    let mut first: BTreeMap<(&str, &str, &str), StoryKey> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (n, &(_, at, o, i)) in items.iter().enumerate() {
        let key = (i.title.as_str(), i.summary.as_str(), i.body.as_str());
        let story = if let Some(&s) = first.get(&key) {
            s
        } else {
            copies.evict_older_than(at - copies.params().window);
            clusterer.evict(at);
            let syllables = Syllables::from_text(&i.title, &i.summary, &i.body);
            let copy_of = CopyDoc::new(&syllables, copies.params()).and_then(|doc| {
                let found = copies.find_copy(&doc).map(|c| c.of);
                copies.insert(n as i64, at, doc);
                found
            });
            assert!(copy_of.is_none() || !PLANTED.iter().any(|p| p.item == i.slug), "{}", i.slug);
            let s = clusterer
                .assign(&StoryInput { id: n as i64, syllables: &syllables, copy_of }, at)
                .story;
            first.insert(key, s);
            s
        };
        out.insert((o.slug.clone(), i.slug.clone()), story);
    }
    let renamed: BTreeMap<StoryKey, StoryKey> = clusterer.merge_pass(now).into_iter().collect();
    for k in out.values_mut() {
        while let Some(&next) = renamed.get(k) {
            *k = next;
        }
    }
    out
}

#[test]
fn the_debunk_joins_the_story_of_the_post_it_quotes_and_no_other() {
    let key = |p: &Planted| (p.outlet.to_owned(), p.item.to_owned());
    for hour in [1, 5, 9, 13, 17, 21] {
        let now = Utc.with_ymd_and_hms(2026, 3, 18, hour, 40, 0).unwrap();
        let outlets = demo::corpus_at(now);
        for order in [None, Some(false), Some(true)] {
            let s = stories(&outlets, now, order);
            let story = |p: &Planted| s[&key(p)];
            let rumour = s[&(RUMOUR_OUTLET.to_owned(), RUMOUR_ITEM.to_owned())];
            assert_eq!(story(&DEBUNK), story(&NO_DIACRITICS), "{now} {order:?}");
            // The post and its debunk are a story of their own: not the papaya-leaf rumour's,
            // not the teencode post's, not the new rumour's.
            for other in [TEENCODE, SUSPICIOUS] {
                assert_ne!(story(&other), story(&NO_DIACRITICS), "{now} {order:?}");
            }
            for p in PLANTED {
                assert_ne!(story(&p), rumour, "{} joined the papaya-leaf rumour", p.item);
            }
            let members: Vec<_> =
                s.iter().filter(|(_, k)| **k == story(&NO_DIACRITICS)).map(|(i, _)| i).collect();
            assert_eq!(members.len(), 2, "{now} {order:?}: {members:?}");
        }
    }
}
