//! The bundled packs on the demo corpus: the alerts the demo shows are the ones meant, and
//! the unrelated items raise nothing.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use rules::RuleSet;

/// Every demo item as (slug, title, summary and body).
fn items() -> Vec<(String, String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/corpus");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let file: toml::Value = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for item in file["items"].as_array().unwrap() {
            let text = |k: &str| item.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            out.push((
                text("slug"),
                text("title"),
                format!("{}\n{}", text("summary"), text("body")),
            ));
        }
    }
    out
}

/// The alerts each demo item raises: the demo's rumours and crises, each for a reason a
/// reader of the item would give.
/// The warnings against a forged dispatch and impersonating callers match the impersonation
/// rule too, but refute it: they are the authorities' answer, stored and shown, never alerts.
const ALERTS: &[(&str, &[&str])] = &[
    ("ngo-doc-tap-the-truong-hoc", &["crisis.ngo-doc-tap-the"]),
    ("san-phu-tu-vong", &["crisis.san-phu-tu-vong", "crisis.tai-bien-y-khoa"]),
    ("tai-bien-tham-my", &["crisis.tai-bien-y-khoa"]),
    (
        "la-du-du-chua-sot-xuat-huyet",
        &["rumor.than-duoc", "rumor.tin-nhan-day-chuyen", "rumor.chua-benh-sai-cach"],
    ),
    (
        "than-duoc-re-cay-rung",
        &["rumor.than-duoc", "rumor.chua-benh-sai-cach", "rumor.chua-khoi-100"],
    ),
    ("vac-xin-gay-vo-sinh", &["rumor.chong-vac-xin", "rumor.tin-nhan-day-chuyen"]),
    ("cong-van-cam-tiem-soi", &["rumor.gia-mao-co-quan-y-te"]),
    ("chanh-nong-diet-virus", &["rumor.tin-nhan-day-chuyen", "rumor.chua-benh-sai-cach"]),
    ("phan-anh-thai-do-nhan-vien", &["crisis.phan-anh-nguoi-benh"]),
];

/// Items with nothing to do with health: no rule of any kind fires on them.
const UNRELATED: &[&str] = &[
    "ket-xe-gio-cao-diem",
    "gia-vang-tang",
    "bong-da-u23",
    "khanh-thanh-cau",
    "tuyen-sinh-lop-10",
    "chung-khoan-giam",
    "xe-buyt-dien",
    "mua-lua-trung-mua",
    "trieu-cuong",
    "du-lich-mien-tay",
    "meo-nau-an",
    "ca-si-ra-mat",
    "le-hoi-am-thuc",
    "giai-chay-bo",
];

#[test]
fn demo_alerts_are_the_meant_ones_and_unrelated_items_stay_silent() {
    let (set, diags) =
        RuleSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"));
    assert!(diags.is_empty(), "{diags:?}");
    let mut alerts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut any: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (slug, title, body) in items() {
        let doc = rules::Analyzed::new(&title, &body);
        let cues = rules::StanceCues::builtin().scan(&doc);
        for h in set.match_analyzed(&doc) {
            // A rumour rule matches its refutation too; only carrying the claim alerts.
            let carries = h.kind != model::RuleKind::Rumor
                || cues.decide(&h).stance == model::Stance::Carries;
            if alerts::raises_alert(h.kind) && carries {
                alerts.entry(slug.clone()).or_default().push(h.rule_id.to_string());
            }
            any.entry(slug.clone()).or_default().push(h.rule_id.to_string());
        }
    }
    let want: BTreeMap<String, Vec<String>> = ALERTS
        .iter()
        .map(|(slug, ids)| ((*slug).to_owned(), ids.iter().map(|s| (*s).to_owned()).collect()))
        .collect();
    assert_eq!(alerts, want);
    for slug in UNRELATED {
        assert_eq!(any.get(*slug), None, "{slug}");
    }
}
