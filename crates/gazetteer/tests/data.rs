//! The bundled tables are consistent with each other and, when the shared data folder is
//! present, with the vn-admin-2025 data set they were taken from.
//!
//! The shared data is found through `test-support` (`../shared/data/vn-admin-2025`, or under
//! `$LANGNGHE_TEST_DATA`); a fresh clone has neither, and those tests pass after saying they
//! skipped. `GAZETTEER_REGENERATE=1` rewrites
//! `data/communes.tsv` from `mapping/merges.json` and `mapping/splits.json` instead of
//! comparing.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use gazetteer::{Gazetteer, PlaceKind};

const FORMER: &str = include_str!("../data/former.tsv");
const ALIASES: &str = include_str!("../data/aliases.tsv");
const DISTRICTS: &str = include_str!("../data/districts.tsv");
const COMMUNES: &str = include_str!("../data/communes.tsv");

fn rows(table: &str) -> impl Iterator<Item = Vec<&str>> {
    table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
}

/// Names compared on the match form: tone placement and Unicode form do not matter.
fn key(name: &str) -> String {
    vi_text::match_form(name)
}

fn shared(rel: &str) -> Option<PathBuf> {
    test_support::shared_data(&format!("vn-admin-2025/{rel}"))
}

#[test]
fn tables_parse_without_problems() {
    let problems = Gazetteer::embedded().problems();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn thirty_four_units_and_sixty_three_former_provinces() {
    let g = Gazetteer::embedded();
    let units = g.units();
    assert_eq!(units.len(), 34);
    let codes: HashSet<&str> = units.iter().map(|u| u.code).collect();
    assert_eq!(codes.len(), 34, "unit codes are unique");
    let former = g.former_provinces();
    assert_eq!(former.len(), 63);
    let old: HashSet<&str> = former.iter().map(|f| f.code).collect();
    assert_eq!(old.len(), 63, "each former province appears once");
    for f in former {
        assert!(codes.contains(f.unit), "{} maps to unknown unit {}", f.name, f.unit);
    }
    for u in units {
        // The new code is the code of one of the former units it absorbed.
        assert!(former.iter().any(|f| f.code == u.code && f.unit == u.code), "{}", u.name);
        let absorbed = former.iter().filter(|f| f.unit == u.code).count();
        assert!((1..=3).contains(&absorbed), "{} absorbed {absorbed}", u.name);
        assert!(u.name.ends_with(u.short), "{} / {}", u.name, u.short);
    }
    for r in g.regions() {
        for code in &r.former {
            assert!(old.contains(code), "region {} names unknown former province {code}", r.id);
        }
    }
}

/// Every name in the tables, said plainly in a sentence, is found and placed in its unit.
#[test]
fn every_name_places_its_unit() {
    let g = Gazetteer::embedded();
    let check = |text: &str, code: &str| {
        let found = g.places_in(text);
        assert_eq!(found.codes(), [code], "{text}: {:?}", found.places);
    };
    for row in rows(FORMER) {
        let (name, unit) = (row[1], row[2]);
        check(&format!("Sở Y tế {name} thông báo"), unit);
        check(&format!("tỉnh {name}"), unit);
    }
    for row in rows(ALIASES) {
        let (alias, target, flags) = (row[0], row[1], row[4]);
        if target.starts_with('@') || target == "-" {
            continue;
        }
        let text = if flags.contains("ctx") {
            format!("ở {alias} có dịch")
        } else {
            format!("{alias} có dịch")
        };
        check(&text, target);
    }
    let former: HashMap<&str, &str> = rows(FORMER).map(|r| (r[0], r[2])).collect();
    let mut districts: HashMap<String, HashSet<&str>> = HashMap::new();
    for row in rows(DISTRICTS) {
        districts.entry(key(row[0])).or_default().insert(former[row[2]]);
    }
    for row in rows(DISTRICTS) {
        let (name, kind, old, flags) = (row[0], row[1], row[2], row[3]);
        let unit = former[old];
        if districts[&key(name)].len() > 1 {
            assert!(!flags.contains("bare"), "{name} is in several units and cannot be bare");
            check(&format!("{kind} {name}, tỉnh {}", g.unit(unit).unwrap().short), unit);
            continue;
        }
        check(&format!("Dịch ở {kind} {name} tăng"), unit);
        if flags.contains("bare") {
            let found = g.places_in(&format!("Dịch ở {name} tăng"));
            assert_eq!(found.codes(), [unit], "{name}");
            assert!(matches!(found.places[0].kind, PlaceKind::City | PlaceKind::District));
            assert_eq!(found.places[0].historic, Some(old));
        }
    }
}

#[test]
fn units_agree_with_the_shared_data() {
    let Some(path) = shared("provinces-2025.csv") else { return };
    let g = Gazetteer::embedded();
    let csv = std::fs::read_to_string(path).unwrap();
    let mut n = 0;
    for line in csv.lines().skip(1) {
        let mut cols = line.split(',');
        let (code, name) = (cols.next().unwrap(), cols.next().unwrap());
        let unit = g.unit(code).unwrap_or_else(|| panic!("unit {code} missing"));
        assert_eq!(key(unit.name), key(name), "{code}");
        n += 1;
    }
    assert_eq!(n, 34);
}

#[test]
fn former_provinces_agree_with_the_shared_data() {
    let Some(path) = shared("old-province-aliases.csv") else { return };
    let g = Gazetteer::embedded();
    let csv = std::fs::read_to_string(path).unwrap();
    let mut n = 0;
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let (old, name, new) = (cols[0], cols[1], cols[2]);
        let f = g
            .former_provinces()
            .iter()
            .find(|f| f.code == old)
            .unwrap_or_else(|| panic!("{old} missing"));
        assert_eq!((key(f.name), f.unit), (key(name), new), "{old}");
        n += 1;
    }
    assert_eq!(n, 63);
}

/// `data/communes.tsv` is exactly what `merges.json` and `splits.json` say (or is rewritten
/// from them with `GAZETTEER_REGENERATE=1`).
#[test]
fn communes_agree_with_the_shared_data() {
    let (Some(merges), Some(splits)) =
        (shared("mapping/merges.json"), shared("mapping/splits.json"))
    else {
        return;
    };
    let read = |p: PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let (merges, splits) = (read(merges), read(splits));
    let former: HashMap<&str, &str> = rows(FORMER).map(|r| (r[0], r[2])).collect();
    let mut communes: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut add = |full: &str, unit: String| {
        let (kind, name) =
            split_kind(full).unwrap_or_else(|| panic!("unknown commune kind: {full}"));
        communes.entry((kind.to_owned(), name)).or_default().insert(unit);
    };
    for province in merges["data"].as_array().unwrap() {
        let code = province["level1_id"].as_str().unwrap();
        for c in province["level2s"].as_array().unwrap() {
            add(c["name"].as_str().unwrap(), code.to_owned());
        }
    }
    for province in splits["data"].as_array().unwrap() {
        let old = province["level1_id"].as_str().unwrap();
        for c in province["level3s"].as_array().unwrap() {
            add(c["name"].as_str().unwrap(), format!("{old}:{}", former[old]));
        }
    }
    let header: String =
        COMMUNES.lines().take_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect();
    let body: String = communes
        .iter()
        .map(|((kind, name), units)| {
            format!("{kind}\t{name}\t{}\n", units.iter().cloned().collect::<Vec<_>>().join(" "))
        })
        .collect();
    let expected = header + &body;
    if std::env::var_os("GAZETTEER_REGENERATE").is_some() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/communes.tsv");
        std::fs::write(path, expected).unwrap();
        return;
    }
    assert!(COMMUNES == expected, "data/communes.tsv differs; rerun with GAZETTEER_REGENERATE=1");
    assert_eq!(merges["stats"]["level2_count"], 3321);
    assert_eq!(splits["stats"]["level3_count"], 10047);
}

/// "Xã Tân An" → ("x", "Tân An"); the data writes the kind with either capitalisation.
fn split_kind(full: &str) -> Option<(&'static str, String)> {
    for (prefix, kind) in [("xã ", "x"), ("phường ", "p"), ("thị trấn ", "t"), ("đặc khu ", "d")]
    {
        let n = prefix.chars().count();
        let head: String = full.chars().take(n).collect();
        if head.to_lowercase() == prefix {
            return Some((kind, full.chars().skip(n).collect()));
        }
    }
    None
}
