//! The syllable parser against the Debian `hunspell-vi` dictionary (GPL data, installed by
//! `.ci/run`, read in place and never bundled): every Vietnamese syllable in it must parse
//! and come back unchanged, because the dictionary spells in the new style.

use std::path::Path;

const DIC: &str = "/usr/share/hunspell/vi_VN.dic";

#[test]
fn every_dictionary_syllable_comes_back_unchanged() {
    if !Path::new(DIC).exists() {
        eprintln!(
            "SKIPPED: {DIC} is absent; install the Debian package hunspell-vi to run this oracle"
        );
        return;
    }
    let text = std::fs::read_to_string(DIC).expect("read the dictionary");
    let mut accepted = 0;
    let mut rejected = Vec::new();
    let mut changed = Vec::new();
    for line in text.lines().skip(1) {
        let word = line.split('/').next().unwrap_or("").trim();
        if word.is_empty() || word.contains(' ') || word.chars().any(char::is_uppercase) {
            continue;
        }
        let matched = vi_text::match_form(word);
        if vi_text::is_syllable(word) {
            accepted += 1;
            if matched != word {
                changed.push(format!("{word} → {matched}"));
            }
        } else {
            rejected.push(word.to_owned());
        }
    }
    eprintln!(
        "hunspell-vi: {accepted} syllables accepted, {} rejected: {rejected:?}",
        rejected.len()
    );
    assert!(
        changed.is_empty(),
        "{} dictionary syllables were re-spelled: {changed:?}",
        changed.len()
    );
    // The dictionary also lists a few loanwords and typos (email, gram, tivi, têt …).
    assert!(accepted >= 6_580, "only {accepted} syllables accepted; rejected: {rejected:?}");
    assert!(rejected.len() <= 25, "{} rejected: {rejected:?}", rejected.len());
}
