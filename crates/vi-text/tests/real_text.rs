//! The forms on real Vietnamese from `../shared/data`, read in place: the UD Vietnamese
//! treebank, misspelling pairs from social media (VMDS) and a VnExpress feed. Each test
//! is skipped, saying so, when its data is absent (a fresh clone without `../shared`).

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails; the
// measurements are reported on stderr.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use test_support::shared_data;
use unicode_normalization::UnicodeNormalization;

/// Folding by the textbook recipe (NFD, drop combining marks, `đ` → `d`, lowercase),
/// written independently of the crate as a reference.
fn reference_fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' | 'ð' | 'Ð' => 'd',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[test]
fn every_treebank_sentence_normalises_consistently() {
    let Some(dir) = shared_data("ud-vietnamese-vtb") else { return };
    let mut sentences = 0;
    let mut respelled = 0;
    let mut not_vi = 0;
    for file in ["vi_vtb-ud-train.conllu", "vi_vtb-ud-dev.conllu", "vi_vtb-ud-test.conllu"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let mut gold: Vec<String> = Vec::new();
        let mut sentence = String::new();
        for line in text.lines().chain(std::iter::once("")) {
            if let Some(t) = line.strip_prefix("# text =") {
                sentence = t.trim().to_owned();
            } else if line.is_empty() {
                if !sentence.is_empty() {
                    check_sentence(&sentence, &gold, &mut respelled, &mut not_vi);
                    sentences += 1;
                }
                sentence.clear();
                gold.clear();
            } else if !line.starts_with('#') {
                let form = line.split('\t').nth(1).unwrap_or("");
                // Syllables of the gold words that are plain Vietnamese letters.
                for syl in form.split(|c: char| !c.is_alphanumeric()) {
                    if !syl.is_empty() && syl.chars().all(char::is_alphabetic) {
                        gold.push(syl.to_owned());
                    }
                }
            }
        }
    }
    eprintln!("treebank: {sentences} sentences, {respelled} syllables re-spelled to the new style");
    assert!(sentences > 3_000, "only {sentences} sentences read");
    // Very short sentences without diacritics ("Con anh !") are rightly undecided.
    assert!(
        not_vi * 1000 <= sentences,
        "{not_vi} of {sentences} sentences not recognised as Vietnamese"
    );
}

fn check_sentence(sentence: &str, gold: &[String], respelled: &mut usize, not_vi: &mut usize) {
    let display = vi_text::display(sentence);
    let matched = vi_text::match_view(&display);
    assert_eq!(
        vi_text::match_view(matched.text()).text(),
        matched.text(),
        "match form not idempotent: {sentence}"
    );
    assert_eq!(
        vi_text::fold_view(&display).text(),
        vi_text::fold_view(matched.text()).text(),
        "fold differs from fold of match: {sentence}"
    );
    let tokens = vi_text::tokenize(&display);
    let again: Vec<String> =
        vi_text::tokenize(matched.text()).into_iter().map(|t| t.matched).collect();
    let first: Vec<String> = tokens.iter().map(|t| t.matched.clone()).collect();
    assert_eq!(first, again, "re-tokenising the match form changed the syllables: {sentence}");
    // The gold syllables are exactly our alphabetic tokens, in order.
    // (Tokens split off a letter-digit run, such as `A` of `A5`, are not gold words.)
    let glued = |t: &vi_text::Token| {
        display[..t.start].chars().next_back().is_some_and(char::is_alphanumeric)
            || display[t.end..].chars().next().is_some_and(char::is_alphanumeric)
    };
    let ours: Vec<&str> = tokens
        .iter()
        .filter(|t| !glued(t))
        .map(|t| &display[t.start..t.end])
        .filter(|s| s.chars().all(char::is_alphabetic))
        .collect();
    assert_eq!(ours, gold, "syllables differ from the treebank's words: {sentence}");
    // Re-spelling only moves tones (new style) or lowercases: folding is unchanged.
    for t in &tokens {
        let lower: String = display[t.start..t.end].chars().flat_map(char::to_lowercase).collect();
        if t.matched != lower {
            *respelled += 1;
            assert_eq!(
                reference_fold(&t.matched),
                reference_fold(&lower),
                "{lower} → {}",
                t.matched
            );
        }
        assert_eq!(t.folded, reference_fold(&t.matched));
    }
    if vi_text::language(&display) != "vi" {
        eprintln!("not recognised as Vietnamese: {sentence}");
        *not_vi += 1;
    }
}

#[test]
fn misspelling_pairs_that_differ_only_in_diacritics_fold_equal() {
    let Some(dir) = shared_data("vmds-sample") else { return };
    let text = std::fs::read_to_string(dir.join("sample.csv")).unwrap();
    let mut pairs = 0;
    let mut tone_only = 0;
    for line in text.lines().skip(1) {
        let mut cols = line.splitn(3, ',');
        let (Some(_), Some(wrong), Some(right)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        pairs += 1;
        if reference_fold(wrong.trim()) != reference_fold(right.trim()) {
            continue;
        }
        tone_only += 1;
        assert_eq!(vi_text::fold_form(wrong), vi_text::fold_form(right), "{wrong:?} / {right:?}");
        // The corrected side mixes old and new tone placement; the match form does not.
        let right_match = vi_text::match_form(right);
        assert_eq!(vi_text::match_form(&right.nfd().collect::<String>()), right_match);
    }
    eprintln!("vmds: {pairs} pairs, {tone_only} differ only in diacritics");
    assert!(pairs >= 500 && tone_only >= 100, "{pairs} pairs, {tone_only} tone-only");
}

#[test]
fn vnexpress_feed_text_is_vietnamese_and_maps_back() {
    let Some(dir) = shared_data("vnexpress-rss-2017") else { return };
    let xml = std::fs::read_to_string(dir.join("data.xml")).unwrap();
    let titles: Vec<&str> = xml
        .split("<title>")
        .skip(1)
        .filter_map(|s| s.split("</title>").next())
        .map(str::trim)
        .collect();
    assert!(titles.len() >= 25);
    let mut vietnamese = 0;
    for &title in &titles {
        let display = vi_text::display(title);
        // One headline of the feed is in English.
        let english = title.starts_with("Hanoi woman's Facebook rant");
        let lang = vi_text::language(&display);
        assert_eq!(lang == "vi", !english, "{title}: {lang}");
        vietnamese += usize::from(lang == "vi");
        let view = vi_text::match_view(&display);
        for (v, d) in view.spans() {
            let out = &view.text()[v];
            let src = &display[d];
            // Every character comes from characters that fold to the same letters.
            if out != " " && !src.is_empty() {
                assert_eq!(reference_fold(out).trim(), reference_fold(src).trim(), "{title}");
            }
        }
    }
    assert_eq!(vietnamese, titles.len() - 1);
}

#[test]
fn two_and_three_word_unaccented_prefixes_of_treebank_sentences_are_vietnamese() {
    let Some(dir) = shared_data("ud-vietnamese-vtb") else { return };
    let text = std::fs::read_to_string(dir.join("vi_vtb-ud-test.conllu")).unwrap();
    for n in [2, 3] {
        let mut total = 0;
        let mut vi = 0;
        for sentence in text.lines().filter_map(|l| l.strip_prefix("# text =")) {
            let words: Vec<String> = sentence
                .split_whitespace()
                .filter(|w| w.chars().all(char::is_alphabetic))
                .take(n)
                .map(reference_fold)
                .collect();
            if words.len() < n {
                continue;
            }
            total += 1;
            let prefix = words.join(" ");
            if vi_text::language(&prefix) == "vi" {
                vi += 1;
            } else {
                eprintln!("{n} words, not recognised: {prefix}");
            }
        }
        eprintln!("{n}-word unaccented prefixes: {vi} of {total} recognised as Vietnamese");
        assert!(total > 500 && vi * 100 >= total * 95, "{n} words: {vi} of {total}");
    }
}

/// Treebank sentences as written and with their diacritics stripped: the stripped ones are
/// judged unaccented, the written ones all but never (one treebank sentence is itself typed
/// without diacritics: "Hay khai sinh cho con ?").
#[test]
fn treebank_sentences_are_unaccented_only_when_stripped() {
    let Some(dir) = shared_data("ud-vietnamese-vtb") else { return };
    let (mut sentences, mut stripped_found, mut written_found, mut long) = (0, 0, 0, 0);
    for file in ["vi_vtb-ud-train.conllu", "vi_vtb-ud-dev.conllu", "vi_vtb-ud-test.conllu"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        for line in text.lines().filter_map(|l| l.strip_prefix("# text =")) {
            let written = vi_text::display(line.trim());
            let stripped = reference_fold(&written);
            let tokens = vi_text::tokenize(&stripped);
            let words =
                tokens.iter().filter(|t| t.matched.chars().all(char::is_alphabetic)).count();
            sentences += 1;
            if words >= 3 {
                long += 1;
                // Every token of a stripped sentence of three words or more.
                if tokens.iter().all(|t| t.unaccented) {
                    stripped_found += 1;
                }
            }
            if vi_text::tokenize(&written).iter().any(|t| t.unaccented) {
                written_found += 1;
            }
        }
    }
    eprintln!(
        "treebank: {stripped_found} of {long} stripped sentences of 3+ words judged unaccented; \
         {written_found} of {sentences} written sentences with an unaccented token"
    );
    assert!(stripped_found * 100 >= long * 97, "{stripped_found} of {long}");
    assert!(written_found * 1000 <= sentences, "{written_found} of {sentences}");
}

/// News articles are accented: almost none of their tokens are in a sentence judged
/// unaccented (those that are are mostly URL slugs, which are typed without diacritics),
/// so accent-tolerant terms cost next to nothing there.
#[test]
fn news_articles_are_accented() {
    let Some(path) = shared_data("vfnd/CSV/vn_news_226_tlfr.csv") else { return };
    let text = std::fs::read_to_string(&path).unwrap();
    let (mut tokens, mut unaccented) = (0usize, 0usize);
    for t in vi_text::tokenize(&vi_text::display(&text)).iter() {
        tokens += 1;
        unaccented += usize::from(t.unaccented);
    }
    eprintln!("vfnd: {unaccented} of {tokens} tokens in unaccented sentences");
    assert!(unaccented * 100 <= tokens, "{unaccented} of {tokens}");
}
