//! Near-duplicates on the labelled fixtures: pairwise precision and recall of the
//! republication groups against the gold `copy_of`, the unit fixture of research wave 2
//! (§3.6), and the stored signature format.
//!
//!     cargo test -p signals --test copies -- --nocapture
#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "fixtures/corpus.rs"]
mod corpus;

use signals::copies::{self, CopyDoc, CopyIndex, FormatError, Signature, Syllables};
use signals::stories;

#[test]
fn republication_groups_meet_the_floors() {
    let corpus = corpus::load();
    let run = corpus::run(&corpus, copies::Params::default(), stories::Params::default());
    let predicted = corpus::predicted_copy_groups(&run);
    let gold = corpus.gold_copy_groups();
    let (p, r, np, ng) = corpus::pairwise(&predicted, &gold);
    println!("copies: pairwise precision {p:.3} recall {r:.3} ({np} predicted pairs, {ng} gold)");
    for (id, m) in &run.copies {
        if let Some(m) = m
            && gold[id] != gold[&m.of]
        {
            println!("  false copy: {id} of {} (j {:.2}, c {:.2})", m.of, m.jaccard, m.containment);
        }
        if predicted[id] != predicted[&gold[id]] {
            println!("  missed copy: {id} of group {}", gold[id]);
        }
    }
    assert!(p >= 0.95, "copy precision {p:.3} below 0.95");
    assert!(r >= 0.9, "copy recall {r:.3} below 0.9");
}

/// Research wave 2, after §3.6: an item and the same item prefixed "Theo VnExpress" with
/// one paragraph removed are one republication group, with containment ≥ 0.8.
#[test]
fn a_credited_copy_with_a_paragraph_removed_is_a_copy() {
    let corpus = corpus::load();
    let original = corpus.item(102);
    let paragraphs: Vec<&str> = original.body.split("\n\n").collect();
    let trimmed = format!("Theo VnExpress\n\n{}\n\n{}", paragraphs[0], paragraphs[2]);
    let params = copies::Params::default();
    let a = CopyDoc::new(&corpus::syllables(original), &params).unwrap();
    let b = CopyDoc::new(&Syllables::from_text(&original.title, &original.lead, &trimmed), &params)
        .unwrap();
    let (jaccard, containment) = a.compare(&b);
    println!("trimmed copy: jaccard {jaccard:.3} containment {containment:.3}");
    assert!(containment >= 0.8, "containment {containment}");

    let mut index = CopyIndex::new(params);
    index.insert(102, original.fetched, a);
    let found = index.find_copy(&b).unwrap();
    assert_eq!(found.of, 102);
    assert!(found.containment >= 0.8);
}

#[test]
fn own_words_reports_of_one_event_are_not_copies() {
    let corpus = corpus::load();
    let params = copies::Params::default();
    // VnExpress and Dân trí on Hà Nội's dengue week, each in its own words.
    let a = CopyDoc::new(&corpus::syllables(corpus.item(102)), &params).unwrap();
    let b = CopyDoc::new(&corpus::syllables(corpus.item(104)), &params).unwrap();
    let (jaccard, containment) = a.compare(&b);
    assert!(jaccard < 0.2 && containment < 0.3, "{jaccard} {containment}");
}

#[test]
fn short_texts_have_no_copy_signature() {
    let params = copies::Params::default();
    let short = Syllables::from_text(
        "Vắc xin HPV có gây vô sinh không các mẹ?",
        "Nhóm mình đang đồn vắc xin HPV gây vô sinh, có mẹ nào biết không ạ?",
        "",
    );
    assert!(CopyDoc::new(&short, &params).is_none());
}

#[test]
fn the_signature_estimates_jaccard() {
    let corpus = corpus::load();
    let params = copies::Params::default();
    let docs: Vec<CopyDoc> =
        corpus.items.iter().filter_map(|i| CopyDoc::new(&corpus::syllables(i), &params)).collect();
    let mut worst: f32 = 0.0;
    let mut compared = 0;
    for (i, a) in docs.iter().enumerate() {
        for b in &docs[i + 1..] {
            let (jaccard, _) = a.compare(b);
            if jaccard < 0.05 {
                continue;
            }
            compared += 1;
            worst = worst.max((a.signature().estimate(b.signature()) - jaccard).abs());
        }
    }
    println!("signature: largest estimate error {worst:.3} over {compared} overlapping pairs");
    // 128 values: the standard error at J = 0.5 is 0.044; 4.5 of them is far out.
    assert!(worst < 0.2, "estimate off by {worst}");
}

#[test]
fn the_stored_form_round_trips_and_rejects_damage() {
    let corpus = corpus::load();
    let params = copies::Params::default();
    let doc = CopyDoc::new(&corpus::syllables(corpus.item(301)), &params).unwrap();
    let bytes = doc.to_bytes();
    assert_eq!(bytes[0], copies::FORMAT);
    assert_eq!(bytes.len(), 1 + 4 * (copies::SIGNATURE_LEN + doc.shingles().len()));
    assert_eq!(CopyDoc::from_bytes(&bytes).unwrap(), doc);

    assert_eq!(CopyDoc::from_bytes(&[]), Err(FormatError::Empty));
    let mut wrong = bytes.clone();
    wrong[0] = 99;
    assert_eq!(CopyDoc::from_bytes(&wrong), Err(FormatError::Version(99)));
    assert!(matches!(CopyDoc::from_bytes(&bytes[..bytes.len() - 2]), Err(FormatError::Length(_))));
    let mut unsorted = bytes.clone();
    let n = unsorted.len();
    unsorted.copy_within(n - 4..n, n - 8);
    assert_eq!(CopyDoc::from_bytes(&unsorted), Err(FormatError::Unsorted));
}

#[test]
fn an_index_rebuilt_from_stored_forms_finds_the_same_copies() {
    let corpus = corpus::load();
    let params = copies::Params::default();
    let mut live = CopyIndex::new(params);
    let mut stored = Vec::new();
    let mut found = Vec::new();
    for item in &corpus.items {
        let Some(doc) = CopyDoc::new(&corpus::syllables(item), &params) else { continue };
        found.push((item.id, live.find_copy(&doc).map(|m| m.of)));
        stored.push((item.id, item.fetched, doc.to_bytes()));
        live.insert(item.id, item.fetched, doc);
    }
    let mut rebuilt = CopyIndex::new(params);
    let mut again = Vec::new();
    for (id, at, bytes) in &stored {
        let doc = CopyDoc::from_bytes(bytes).unwrap();
        again.push((*id, rebuilt.find_copy(&doc).map(|m| m.of)));
        rebuilt.insert(*id, *at, doc);
    }
    assert_eq!(found, again);
    assert_eq!(rebuilt.len(), live.len());
}

#[test]
fn eviction_forgets_old_documents() {
    let corpus = corpus::load();
    let params = copies::Params::default();
    let original = corpus.item(301);
    let copy = corpus.item(302);
    let mut index = CopyIndex::new(params);
    index.insert(
        301,
        original.fetched,
        CopyDoc::new(&corpus::syllables(original), &params).unwrap(),
    );
    let doc = CopyDoc::new(&corpus::syllables(copy), &params).unwrap();
    assert_eq!(index.candidates(doc.signature()), vec![301]);
    assert_eq!(index.evict_older_than(original.fetched), 0);
    assert_eq!(index.evict_older_than(original.fetched + params.window), 1);
    assert!(index.is_empty());
    assert!(index.find_copy(&doc).is_none());
    assert!(index.candidates(doc.signature()).is_empty());
}

#[test]
fn an_empty_shingle_set_has_no_signature() {
    assert!(Signature::of(&[]).is_none());
    let one = Signature::of(&[42]).unwrap();
    assert!(one.0.iter().all(|&v| v == one.0[0]), "one shingle fills every bin");
}

/// How far the thresholds are from the data: the weakest true copy and the closest pair
/// that is not one, on both measures, and pairwise scores over a small threshold sweep.
#[test]
fn threshold_margins() {
    let corpus = corpus::load();
    let gold = corpus.gold_copy_groups();
    let params = copies::Params::default();
    let docs: Vec<(i64, CopyDoc)> = corpus
        .items
        .iter()
        .filter_map(|i| CopyDoc::new(&corpus::syllables(i), &params).map(|d| (i.id, d)))
        .collect();
    let (mut weakest, mut closest) = ((1.0f32, 1.0f32), (0.0f32, 0.0f32));
    for (i, (a, da)) in docs.iter().enumerate() {
        for (b, db) in &docs[i + 1..] {
            let (j, c) = da.compare(db);
            if gold[a] == gold[b] {
                // Score a copy by the better of its two tests, as the rule does.
                if j.max(c) < weakest.0.max(weakest.1) {
                    weakest = (j, c);
                }
            } else if j.max(c) > closest.0.max(closest.1) {
                closest = (j, c);
            }
        }
    }
    println!(
        "copy margins: weakest true copy jaccard {:.3} containment {:.3}; closest non-copy jaccard {:.3} containment {:.3}",
        weakest.0, weakest.1, closest.0, closest.1
    );
    assert!(weakest.1 >= params.min_containment || weakest.0 >= params.min_jaccard);
    assert!(closest.1 < params.min_containment && closest.0 < params.min_jaccard);
    println!("jaccard  containment  P      R");
    for (j, c) in [(0.5, 0.7), (0.6, 0.8), (0.7, 0.9), (0.9, 1.0)] {
        let p = copies::Params { min_jaccard: j, min_containment: c, ..params };
        let run = corpus::run(&corpus, p, stories::Params::default());
        let (precision, recall, _, _) =
            corpus::pairwise(&corpus::predicted_copy_groups(&run), &gold);
        println!("{j:.1}      {c:.1}          {precision:.3}  {recall:.3}");
    }
}
