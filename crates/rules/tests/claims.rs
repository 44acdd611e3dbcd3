//! The claim library: reading and validating claim files, claims as rules, similarity of
//! paraphrases and partial copies, ClaimReview export, adding a claim, and the shipped
//! library measured on the labelled social set.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rules::claims::{Style, Verdict, append_claim};
use rules::{Claim, ClaimIndex, ClaimLibrary, RuleSet, SimilarityParams};

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("langnghe-claims-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("claims")).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join("claims").join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GARLIC: &str = r#"
[pack]
title = "Tin sai đã biết: thử nghiệm"
description = "Tệp thử."

[[claims]]
id = "claim.test.toi-chua-covid"
title = "Ăn tỏi phòng và chữa được COVID-19"
severity = "high"
tags = ["covid-19", "bài thuốc dân gian"]
first_seen = "2020-02"
query = '("tỏi" OR toi) NEAR/12 (covid OR corona OR "virus corona")'
phrasings = [
  "Ăn tỏi sống mỗi ngày có thể phòng và chữa khỏi bệnh do virus corona.",
  "CHIA SẺ NGAY: mỗi sáng ăn vài tép tỏi sống là virus corona không lây được, nhà nào cũng nên trữ tỏi.",
  "an toi song moi ngay de phong virus corona, chia se cho nguoi than",
  "ae ơi ăn tỏi sống là k sợ covid nha, share gấp",
]
[claims.refutation]
by = "Bộ Y tế"
date = "2020-02-05"
url = "https://example.org/bac-bo-toi"
summary = "Tỏi không phòng, không chữa được COVID-19."
[[claims.sources]]
publisher = "Báo thử"
title = "Tin đồn ăn tỏi chữa COVID-19"
date = "2020-02-04"
url = "https://example.org/tin-don-toi"
[[claims.sources]]
publisher = "Báo thử hai"
title = "Bóc mẽ mẹo ăn tỏi"
date = "2020-01"
url = "https://example.org/boc-me"

[[claims]]
id = "claim.test.la-du-du-sot-xuat-huyet"
title = "Uống nước lá đu đủ chữa khỏi sốt xuất huyết"
severity = "medium"
tags = ["sốt xuất huyết"]
verdict = "misleading"
query = '"lá đu đủ" NEAR/15 ("sốt xuất huyết" OR sxh OR "tiểu cầu")'
phrasings = [
  "Người bị sốt xuất huyết chỉ cần uống nước lá đu đủ giã nát là tiểu cầu tăng, không cần vào viện.",
  "bị sxh thì uống nước lá đu đủ 2 ngày là hết sốt nha mn",
]
[[claims.sources]]
publisher = "Cục Y tế dự phòng"
title = "Công văn về phòng chống sốt xuất huyết"
document = "Công văn 123/DP-DT"
"#;

fn garlic_library() -> ClaimLibrary {
    let (library, diags) = ClaimLibrary::parse(Path::new("claims/test.toml"), GARLIC);
    assert!(diags.is_empty(), "{diags:?}");
    library
}

#[test]
fn a_clean_file_reads_every_field() {
    let library = garlic_library();
    assert_eq!(library.len(), 2);
    let c = library.get("claim.test.toi-chua-covid").unwrap();
    assert_eq!(c.title, "Ăn tỏi phòng và chữa được COVID-19");
    assert_eq!(c.severity.as_str(), "high");
    assert_eq!(c.first_seen.as_deref(), Some("2020-02"));
    assert_eq!(c.phrasings.len(), 4);
    assert_eq!(c.sources.len(), 2);
    assert_eq!(c.refutation.as_ref().unwrap().by, "Bộ Y tế");
    assert_eq!(c.verdict, Verdict::False);
    let line = |needle: &str| GARLIC[..GARLIC.find(needle).unwrap()].matches('\n').count() + 1;
    assert_eq!(c.line, line("[[claims]]\nid = \"claim.test.toi"));
    assert_eq!(c.query_line, line("query = '(\"tỏi\""));
    assert_eq!(c.phrasing_lines[1], line("  \"CHIA SẺ NGAY"));
    let d = library.get("claim.test.la-du-du-sot-xuat-huyet").unwrap();
    assert_eq!(d.verdict, Verdict::Misleading);
    assert!(d.refutation.is_none(), "a refutation is optional");
    assert_eq!(d.sources[0].document.as_deref(), Some("Công văn 123/DP-DT"));
}

#[test]
fn every_problem_names_the_file_the_claim_and_the_field() {
    let bad = GARLIC
        .replace("severity = \"high\"", "severity = \"urgent\"\ncolour = \"red\"")
        .replace("NEAR/12 (covid", "NEAR/12 (covid OR")
        .replace("date = \"2020-02-05\"", "date = \"2020-02-31\"\nwho = \"x\"")
        .replace("url = \"https://example.org/tin-don-toi\"", "url = \"example.org\"")
        .replace("id = \"claim.test.la-du-du-sot-xuat-huyet\"", "id = \"Claim.Test\"")
        .replace("document = \"Công văn 123/DP-DT\"", "")
        .replace("verdict = \"misleading\"", "verdict = \"wrong\"");
    let (library, diags) = ClaimLibrary::parse(Path::new("claims/test.toml"), &bad);
    assert!(library.is_empty(), "claims with problems are left out");
    let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
    let line = |needle: &str| bad[..bad.find(needle).unwrap()].matches('\n').count() + 1;
    let expect = [
        (line("colour"), "claim.test.toi-chua-covid", "field `colour`: unknown field"),
        (
            line("severity = \"urgent\""),
            "claim.test.toi-chua-covid",
            "field `severity`: unknown severity",
        ),
        (line("query = "), "claim.test.toi-chua-covid", "field `query`: invalid query"),
        (line("who = "), "claim.test.toi-chua-covid", "field `refutation.who`: unknown field"),
        (line("date = \"2020-02-31\""), "claim.test.toi-chua-covid", "field `refutation.date`"),
        (
            line("url = \"example.org\""),
            "claim.test.toi-chua-covid",
            "field `sources.url`: not an http(s) URL",
        ),
        (line("id = \"Claim.Test\""), "Claim.Test", "field `id`: expected `claim.<group>.<slug>`"),
        (line("verdict = \"wrong\""), "Claim.Test", "field `verdict`"),
        (
            line("[[claims.sources]]\npublisher = \"Cục"),
            "Claim.Test",
            "field `sources`: give a `url` or a `document`",
        ),
    ];
    for (l, claim, message) in expect {
        let prefix = format!("claims/test.toml:{l}:");
        assert!(
            shown.iter().any(|d| d.starts_with(&prefix)
                && d.contains(&format!("rule {claim}: "))
                && d.contains(message)),
            "no diagnostic {prefix} … {claim} … {message} in\n{}",
            shown.join("\n")
        );
    }
    assert_eq!(shown.len(), expect.len(), "{}", shown.join("\n"));
    // The query error points at the character where the query goes wrong.
    let q = shown.iter().find(|d| d.contains("invalid query")).unwrap();
    let query_line = bad.lines().nth(line("query = ") - 1).unwrap();
    let col = query_line[..query_line.find("OR OR").unwrap() + 3].chars().count() + 1;
    assert!(q.starts_with(&format!("claims/test.toml:{}:{col}:", line("query = "))), "{q}");
}

#[test]
fn phrasings_and_sources_are_required() {
    let text = r#"
[[claims]]
id = "claim.test.x"
title = "X"
severity = "low"
query = 'x'
phrasings = []
"#;
    let (_, diags) = ClaimLibrary::parse(Path::new("c.toml"), text);
    let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown[0].starts_with("c.toml:7:1: rule claim.test.x: field `phrasings`: at least one"));
    assert!(shown[1].starts_with("c.toml:2:1: rule claim.test.x: field `sources`: at least one"));
    // Unknown top-level keys and broken TOML fail the file with their position.
    let (_, diags) = ClaimLibrary::parse(Path::new("c.toml"), "[[claim]]\nid = \"x\"\n");
    assert!(diags[0].to_string().contains("unknown field `claim`"), "{diags:?}");
    let (_, diags) = ClaimLibrary::parse(Path::new("c.toml"), "[[claims]\n");
    assert!(diags[0].to_string().starts_with("c.toml:1:"), "{diags:?}");
}

#[test]
fn ids_are_unique_across_files_and_against_rule_packs() {
    let dir = TempDir::new();
    dir.write("a.toml", GARLIC);
    let second = &GARLIC[GARLIC.find("[[claims]]\nid = \"claim.test.la-du-du").unwrap()..];
    dir.write("b.toml", second);
    dir.write("notes.txt", "not a claim file");
    let (library, diags) = ClaimLibrary::load_dir(&dir.0);
    assert_eq!(library.len(), 2);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].file.ends_with("claims/b.toml"));
    assert!(diags[0].message.contains("duplicate claim id"), "{diags:?}");

    let (packs, _) = RuleSet::from_pack(
        Path::new("p.toml"),
        "[[rules]]\nid = \"claim.test.toi-chua-covid\"\nkind = \"rumor\"\ntitle = \"X\"\nseverity = \"low\"\nquery = 'tỏi'\nmatch = ['tỏi']\n",
    );
    let clash = library.check_ids(packs.rules());
    assert_eq!(clash.len(), 1);
    assert!(clash[0].to_string().contains("a rule pack already has a rule with this id"));
    assert_eq!(library.without_rule_ids(packs.rules()).len(), 1);

    // No claims directory is an empty library, not a problem.
    let empty = TempDir::new();
    std::fs::remove_dir(empty.0.join("claims")).unwrap();
    let (library, diags) = ClaimLibrary::load_dir(&empty.0);
    assert!(library.is_empty() && diags.is_empty());
}

#[test]
fn claims_become_rumour_rules_whose_examples_are_their_accented_phrasings() {
    let library = garlic_library();
    let rules = library.rules();
    assert_eq!(rules.len(), 2);
    let r = &rules[0];
    assert_eq!(
        (&*r.id, r.kind.as_str(), &*r.title),
        ("claim.test.toi-chua-covid", "rumor", "Ăn tỏi phòng và chữa được COVID-19")
    );
    assert_eq!(r.tags, ["covid-19", "bài thuốc dân gian", "claim"]);
    assert_eq!(r.examples_match.len(), 3, "the unaccented phrasing is tried apart");
    assert_eq!(Style::of("an toi song moi ngay"), Style::Unaccented);
    assert_eq!(Style::of("ae ơi ăn tỏi sống là k sợ covid"), Style::Accented);
    let set = RuleSet::from_rules(rules);
    assert!(set.check().is_empty(), "{:?}", set.check());
    let hits = set.match_document("", "Nghe nói ăn tỏi chữa được virus corona");
    assert_eq!(&*hits[0].rule_id, "claim.test.toi-chua-covid");

    // A query that misses one of its own accented phrasings is an error of `check`; one
    // that misses a phrasing typed without diacritics is a warning of its own.
    let narrow = GARLIC
        .replace(
            "query = '(\"tỏi\" OR toi) NEAR/12 (covid OR corona OR \"virus corona\")'",
            "query = '\"tỏi sống\" NEAR/12 corona'",
        )
        .replace("de phong virus corona", "cho khoe");
    let (library, _) = ClaimLibrary::parse(Path::new("claims/test.toml"), &narrow);
    let set = RuleSet::from_rules(library.rules());
    let errors: Vec<String> = set.check().iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .contains("rule claim.test.toi-chua-covid: example should match but does not: \"ae ơi")
    );
    let warnings = library.check_unaccented(&set);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let at = narrow[..narrow.find("  \"an toi song").unwrap()].matches('\n').count() + 1;
    assert_eq!(warnings[0].line, at);
    assert!(warnings[0].message.contains("typed without diacritics"));
}

/// A longer health article that shares words with the garlic claim (garlic, virus corona,
/// every day) without saying anything like it.
const UNRELATED: &str = "Giá tỏi Lý Sơn tăng mạnh trong tuần qua do sản lượng giảm. \
Cùng ngày, Bộ Y tế cập nhật số ca nhiễm virus corona mới ghi nhận mỗi ngày tại các tỉnh phía Bắc \
và khuyến cáo người dân tiêm đủ mũi vắc xin, đeo khẩu trang nơi đông người. \
Các bệnh viện tuyến tỉnh đã chuẩn bị đủ giường điều trị cho người bệnh nặng.";

#[test]
fn similarity_catches_paraphrases_and_partial_copies_and_rejects_unrelated_text() {
    let library = garlic_library();
    let index = library.index();
    assert_eq!(index.params().threshold, SimilarityParams::default().threshold);

    // A paraphrase typed without diacritics, in other words around the claim's.
    let paraphrase = "Moi nguoi nho moi sang an vai tep toi song nhe, virus corona khong lay duoc dau, nha minh ca nha deu an.";
    let m = index.similar("", paraphrase);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(&*m[0].claim_id, "claim.test.toi-chua-covid");
    assert_eq!(m[0].phrasing, 1);
    assert_eq!(m[0].field, "body");
    assert!(m[0].similarity >= 0.4, "{m:?}");
    let passage = &paraphrase[m[0].start..m[0].end];
    assert!(passage.starts_with("moi sang an vai tep toi song"), "{passage}");

    // Part of a phrasing copied into a longer post, with diacritics and capitals changed.
    let copy = format!(
        "{UNRELATED} Trên mạng xã hội lan truyền: MỖI SÁNG ĂN VÀI TÉP TỎI SỐNG LÀ VIRUS CORONA KHÔNG LÂY ĐƯỢC. {UNRELATED}"
    );
    let m = index.similar("", &copy);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].similarity >= 0.5, "{m:?}");
    assert_eq!(
        &copy[m[0].start..m[0].end],
        "MỖI SÁNG ĂN VÀI TÉP TỎI SỐNG LÀ VIRUS CORONA KHÔNG LÂY ĐƯỢC"
    );

    // Teencode is read as the words it stands for.
    let m = index.similar("", "bị sxh thì uống nc lá đu đủ 2 ngày là hết sốt nha mn ơi");
    assert_eq!(m.first().map(|m| &*m.claim_id), Some("claim.test.la-du-du-sot-xuat-huyet"));

    // The title is a field of its own.
    let m =
        index.similar("Ăn tỏi sống mỗi ngày có thể phòng và chữa khỏi bệnh do virus corona", "");
    assert_eq!((m[0].field, m[0].start), ("title", 0));
    assert!(m[0].similarity > 0.99, "{m:?}");

    // Shared words are not a claim.
    assert!(index.similar("Giá tỏi tăng, số ca virus corona giảm", UNRELATED).is_empty());
    let scores = {
        let body = vi_display(UNRELATED);
        let tokens = vi_text::tokenize(&body);
        index.scores("", &[], &body, &tokens)
    };
    assert!(scores.iter().all(|m| m.similarity < 0.2), "{scores:?}");

    // The threshold is the caller's to move.
    let strict = ClaimIndex::new(&library, SimilarityParams::default()).with_threshold(0.95);
    assert!(strict.similar("", paraphrase).is_empty());
}

fn vi_display(text: &str) -> String {
    vi_text::display(text)
}

#[test]
fn the_pipelines_analysed_document_gives_the_same_matches() {
    let index = garlic_library().index();
    let doc = model::NewDocument {
        source_id: 1,
        url: "https://example.org/p/1".to_owned(),
        title: "Tin đồn".to_owned(),
        summary: String::new(),
        body: "CHIA SẺ NGAY: mỗi sáng ăn vài tép tỏi sống là virus corona không lây được"
            .to_owned(),
        author: None,
        published_at: None,
        fetched_at: chrono::Utc::now(),
        language: "vi".to_owned(),
        content_hash: String::new(),
        post: None,
    };
    let (analyzed, tokens) = rules::Analyzed::document_with_tokens(&doc, "Nguồn");
    let m = index.similar_analyzed(&analyzed, &tokens);
    assert_eq!(m, index.similar(&analyzed.title, &analyzed.body));
    assert_eq!(&*m[0].claim_id, "claim.test.toi-chua-covid");
    assert!(analyzed.body[m[0].start..m[0].end].starts_with("CHIA SẺ NGAY"));
}

#[test]
fn claim_reviews_are_schema_org_json_ld() {
    let reviews = garlic_library().claim_reviews();
    assert_eq!(reviews.len(), 1, "only refuted claims are reviewed");
    let json = serde_json::to_value(&reviews[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "identifier": "claim.test.toi-chua-covid",
            "url": "https://example.org/bac-bo-toi",
            "claimReviewed": "Ăn tỏi phòng và chữa được COVID-19",
            "datePublished": "2020-02-05",
            "inLanguage": "vi",
            "author": {"@type": "Organization", "name": "Bộ Y tế"},
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": 1,
                "bestRating": 5,
                "worstRating": 1,
                "alternateName": "Sai sự thật"
            },
            "reviewBody": "Tỏi không phòng, không chữa được COVID-19.",
            "itemReviewed": {
                "@type": "Claim",
                "name": "Ăn tỏi phòng và chữa được COVID-19",
                "datePublished": "2020-02",
                "firstAppearance": {
                    "@type": "CreativeWork",
                    "url": "https://example.org/boc-me",
                    "headline": "Bóc mẽ mẹo ăn tỏi",
                    "datePublished": "2020-01",
                    "publisher": {"@type": "Organization", "name": "Báo thử hai"}
                },
                "appearance": [
                    {
                        "@type": "CreativeWork",
                        "url": "https://example.org/tin-don-toi",
                        "headline": "Tin đồn ăn tỏi chữa COVID-19",
                        "datePublished": "2020-02-04",
                        "publisher": {"@type": "Organization", "name": "Báo thử"}
                    },
                    {
                        "@type": "CreativeWork",
                        "url": "https://example.org/boc-me",
                        "headline": "Bóc mẽ mẹo ăn tỏi",
                        "datePublished": "2020-01",
                        "publisher": {"@type": "Organization", "name": "Báo thử hai"}
                    }
                ]
            }
        })
    );
    // A misleading claim is rated as such.
    let text = GARLIC.replace(
        "[[claims.sources]]\npublisher = \"Cục",
        "[claims.refutation]\nby = \"Cục Y tế dự phòng\"\ndocument = \"Công văn 1/DP\"\n[[claims.sources]]\npublisher = \"Cục",
    );
    let (library, diags) = ClaimLibrary::parse(Path::new("c.toml"), &text);
    assert!(diags.is_empty(), "{diags:?}");
    let reviews = library.claim_reviews();
    let json = serde_json::to_value(&reviews[1]).unwrap();
    assert_eq!(json["reviewRating"]["alternateName"], "Gây hiểu nhầm");
    assert_eq!(json["reviewRating"]["ratingValue"], 2);
    assert!(json.get("url").is_none(), "no address was given: {json}");
    assert_eq!(json["itemReviewed"]["appearance"][0]["identifier"], "Công văn 123/DP-DT");
}

fn new_claim() -> Claim {
    Claim {
        id: "claim.office.nuoc-dua-chua-soi-than".to_owned(),
        title: "Uống nước dừa làm tan sỏi thận".to_owned(),
        tags: vec!["sỏi thận".to_owned()],
        query: "\"nước dừa\" NEAR/10 \"sỏi thận\"".to_owned(),
        phrasings: vec![
            "Mỗi ngày uống 2 quả nước dừa là sỏi thận tự tan, không cần tán sỏi.".to_owned(),
            "uong nuoc dua moi ngay la het benh than".to_owned(),
        ],
        sources: vec![rules::claims::ClaimSource {
            publisher: "Báo thử".to_owned(),
            title: "Nước dừa không làm tan sỏi thận".to_owned(),
            date: Some("2024-05".to_owned()),
            url: Some("https://example.org/nuoc-dua".to_owned()),
            document: None,
        }],
        ..Claim::default()
    }
}

#[test]
fn a_claim_is_appended_only_when_the_result_is_valid() {
    let dir = TempDir::new();
    dir.write("a.toml", GARLIC);
    let office = dir.0.join("claims/office.toml");
    let claim = new_claim();
    let done = append_claim(&dir.0, &office, &claim, &HashSet::new()).unwrap();
    assert_eq!(done.file, office);
    // A phrasing without diacritics that the query misses is a warning, not a refusal.
    assert_eq!(done.warnings.len(), 1, "{:?}", done.warnings);
    let (library, diags) = ClaimLibrary::load_dir(&dir.0);
    assert!(diags.is_empty(), "{diags:?}");
    let read = library.get("claim.office.nuoc-dua-chua-soi-than").unwrap();
    assert_eq!(
        (read.phrasings.clone(), read.sources.clone()),
        (claim.phrasings.clone(), claim.sources.clone())
    );
    assert!(
        std::fs::read_to_string(&office).unwrap().starts_with("# Claims recorded by the office")
    );

    // A second claim goes after the first, in the same file.
    let mut second = new_claim();
    second.id = "claim.office.nuoc-dua-2".to_owned();
    second.query = "'quote' NEAR/3 \"nước dừa\"".to_owned();
    second.phrasings = vec!["Nước dừa có 'quote' là thần dược chữa sỏi thận".to_owned()];
    second.refutation = Some(rules::claims::Refutation {
        by: "Sở Y tế".to_owned(),
        url: Some("https://example.org/bac-bo".to_owned()),
        ..Default::default()
    });
    append_claim(&dir.0, &office, &second, &HashSet::new()).unwrap();
    let (library, diags) = ClaimLibrary::load_dir(&dir.0);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(library.len(), 4);
    assert_eq!(
        library.get("claim.office.nuoc-dua-2").unwrap().refutation.as_ref().unwrap().by,
        "Sở Y tế"
    );

    // Refused, and nothing written: a taken id, a rule's id, a query missing its own
    // phrasing, a claim without a source.
    let before = std::fs::read_to_string(&office).unwrap();
    let mut taken = new_claim();
    taken.id = "claim.test.toi-chua-covid".to_owned();
    let e = append_claim(&dir.0, &office, &taken, &HashSet::new()).unwrap_err();
    assert!(e[0].message.contains("another claim file already has"), "{e:?}");
    let rule_ids: HashSet<String> = ["claim.office.rule".to_owned()].into();
    let mut rule = new_claim();
    rule.id = "claim.office.rule".to_owned();
    let e = append_claim(&dir.0, &office, &rule, &rule_ids).unwrap_err();
    assert!(e[0].message.contains("a rule pack already has"), "{e:?}");
    let mut missing = new_claim();
    missing.id = "claim.office.khac".to_owned();
    missing.query = "\"nước mía\"".to_owned();
    let e = append_claim(&dir.0, &office, &missing, &HashSet::new()).unwrap_err();
    assert!(e[0].message.contains("example should match but does not"), "{e:?}");
    let mut unsourced = new_claim();
    unsourced.id = "claim.office.khong-nguon".to_owned();
    unsourced.sources.clear();
    let e = append_claim(&dir.0, &office, &unsourced, &HashSet::new()).unwrap_err();
    assert!(e[0].message.contains("field `sources`"), "{e:?}");
    assert_eq!(std::fs::read_to_string(&office).unwrap(), before);
}

fn repo_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

#[test]
fn the_shipped_library_is_clean_and_every_query_matches_its_phrasings() {
    let dir = repo_rules();
    let (library, diags) = ClaimLibrary::load_dir(&dir);
    let mut problems: Vec<String> = diags.iter().map(ToString::to_string).collect();
    let (packs, _) = RuleSet::load_dir(&dir);
    problems.extend(library.check_ids(packs.rules()).iter().map(ToString::to_string));
    let set = RuleSet::from_rules(library.rules());
    problems.extend(set.check().iter().map(ToString::to_string));
    assert!(problems.is_empty(), "claim problems:\n{}", problems.join("\n"));
    assert!(library.len() >= 150, "expected the shipped claims, found {}", library.len());
    for claim in library.claims() {
        assert!(!claim.sources.is_empty(), "{} has no provenance", claim.id);
        assert!(
            claim.phrasings.iter().any(|p| Style::of(p) == Style::Accented),
            "{} has no phrasing with diacritics",
            claim.id
        );
    }
}

/// The labelled social set, read as (id, title, body, label).
fn eval_items() -> Vec<(String, String, String, String)> {
    let text = std::fs::read_to_string(repo_rules().join("eval/social.jsonl")).unwrap();
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (s("id"), s("title"), s("body"), s("label"))
        })
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    rumour: usize,
    caught: usize,
    debunk: usize,
    news: usize,
    other: usize,
}

impl Tally {
    fn add(&mut self, label: &str, fired: bool) {
        match (label, fired) {
            ("rumour", true) => {
                self.rumour += 1;
                self.caught += 1;
            }
            ("rumour", false) => self.rumour += 1,
            ("debunk", true) => self.debunk += 1,
            ("news", true) => self.news += 1,
            ("other", true) => self.other += 1,
            _ => {}
        }
    }

    fn line(&self) -> String {
        let fired = self.caught + self.debunk + self.news + self.other;
        format!(
            "rumours caught {}/{} (recall {:.2}); fired on debunk {}, news {}, other {}; precision for rumour {:.2}, for a known claim (rumour or debunk) {:.2}",
            self.caught,
            self.rumour,
            self.caught as f32 / self.rumour.max(1) as f32,
            self.debunk,
            self.news,
            self.other,
            self.caught as f32 / fired.max(1) as f32,
            (self.caught + self.debunk) as f32 / fired.max(1) as f32,
        )
    }
}

/// `cargo test -p rules --test claims -- --nocapture` prints what the claims' rules and the
/// similarity catch on `rules/eval/social.jsonl` at several thresholds; the floors hold the
/// default threshold to what it was chosen for: few alarms on news and unrelated text.
#[test]
#[allow(clippy::print_stdout)]
fn similarity_on_the_labelled_social_set() {
    let dir = repo_rules();
    let (library, _) = ClaimLibrary::load_dir(&dir);
    let set = RuleSet::from_rules(library.rules());
    let items = eval_items();
    let ruled: Vec<bool> =
        items.iter().map(|(_, t, b, _)| !set.match_document(t, b).is_empty()).collect();
    let index = library.index();
    let best: Vec<f32> = items
        .iter()
        .map(|(_, t, b, _)| {
            let (t, b) = (vi_text::display(t), vi_text::display(b));
            let (tt, bt) = (vi_text::tokenize(&t), vi_text::tokenize(&b));
            index.scores(&t, &tt, &b, &bt).first().map_or(0.0, |m| m.similarity)
        })
        .collect();
    let mut rules_only = Tally::default();
    for ((_, _, _, label), &r) in items.iter().zip(&ruled) {
        rules_only.add(label, r);
    }
    println!("{} claims, {} items", library.len(), items.len());
    println!("claim rules alone: {}", rules_only.line());
    let default = SimilarityParams::default().threshold;
    let mut at_default = Tally::default();
    for t in [0.25f32, 0.3, 0.35, 0.4, 0.45, 0.5] {
        let (mut sim, mut union) = (Tally::default(), Tally::default());
        for (((_, _, _, label), &s), &r) in items.iter().zip(&best).zip(&ruled) {
            sim.add(label, s >= t);
            union.add(label, s >= t || r);
            if (t - default).abs() < 1e-6 {
                at_default.add(label, s >= t);
            }
        }
        println!("similarity >= {t:.2}: {}", sim.line());
        println!("  or claim rule:    {}", union.line());
    }
    let fired: Vec<String> = items
        .iter()
        .zip(&best)
        .filter(|(_, s)| **s >= default)
        .map(|((id, t, b, label), s)| {
            let m = index.similar(t, b);
            format!("{id} {label} {s:.2} {}", m[0].claim_id)
        })
        .collect();
    println!("fired at {default}:\n  {}", fired.join("\n  "));
    assert!(at_default.news + at_default.other <= 4, "{at_default:?}");
    assert!(at_default.caught * 5 >= at_default.rumour, "{at_default:?}");
}

#[test]
#[allow(clippy::print_stdout)]
fn similarity_is_fast_on_long_articles() {
    let (library, _) = ClaimLibrary::load_dir(&repo_rules());
    let index = library.index();
    // A 3 KB health article of ordinary news sentences.
    let body = UNRELATED.repeat(6);
    let display = vi_text::display(&body);
    let tokens = vi_text::tokenize(&display);
    let runs = 200;
    let start = std::time::Instant::now();
    for _ in 0..runs {
        std::hint::black_box(index.similar_tokens("", &[], &display, &tokens));
    }
    let per_doc = start.elapsed() / runs;
    println!("similarity: {per_doc:?} per {} byte article ({} claims)", display.len(), index.len());
    assert!(per_doc < std::time::Duration::from_millis(20), "{per_doc:?}");
}

/// A partial copy that drops the word the claim's query needs is still a hit of the claim
/// when it repeats enough of a phrasing; the hit says how similar and which passage, and a
/// hit the query found carries its similarity too.
#[test]
fn judge_gives_claim_hits_their_similarity_and_passage() {
    let library = garlic_library();
    let set =
        RuleSet::from_rules(library.rules()).with_claims(std::sync::Arc::new(library.index()));
    // No "covid", "corona" or "virus corona" near "tỏi": the query cannot match.
    let copy = "Tin từ người quen: mỗi sáng ăn vài tép tỏi sống là con virus này không lây được, \
                nhà nào cũng nên trữ tỏi. Mọi người nhớ nhé.";
    let (doc, tokens) = rules::Analyzed::new_with_tokens("", copy);
    assert!(set.match_analyzed(&doc).is_empty(), "the query alone misses the copy");
    let judged = rules::judge(&set, &doc, &tokens);
    let hit = judged.hits.iter().find(|h| &*h.rule_id == "claim.test.toi-chua-covid");
    let hit = hit.expect("a close copy is a hit of its claim");
    let claim = &judged.claims[0];
    assert_eq!(&*claim.rule_id, "claim.test.toi-chua-covid");
    assert!(claim.similarity >= rules::CLAIM_HIT_SIMILARITY, "{}", claim.similarity);
    let passage = &doc.body[claim.passage.start..claim.passage.end];
    assert!(passage.contains("tép tỏi sống"), "{passage}");
    assert_eq!(hit.terms, vec![claim.passage.clone()], "the passage is the hit's evidence");
    assert_eq!(&*claim.passage.term, "Ăn tỏi phòng và chữa được COVID-19");

    // The query's own hit keeps its terms and gains the similarity.
    let (doc, tokens) = rules::Analyzed::new_with_tokens("", GARLIC_POST);
    let judged = rules::judge(&set, &doc, &tokens);
    let hit = judged.hits.iter().find(|h| &*h.rule_id == "claim.test.toi-chua-covid").unwrap();
    assert!(hit.terms.iter().any(|t| &*t.term == "covid"), "{:?}", hit.terms);
    assert!(judged.claims.iter().any(|c| &*c.rule_id == "claim.test.toi-chua-covid"));

    // Unrelated text: nothing, and no similarity reported.
    let (doc, tokens) = rules::Analyzed::new_with_tokens(
        "",
        "Bệnh viện tổ chức khám sức khỏe miễn phí cho người cao tuổi.",
    );
    let judged = rules::judge(&set, &doc, &tokens);
    assert!(judged.hits.is_empty() && judged.claims.is_empty());
}

const GARLIC_POST: &str = "ae ơi ăn tỏi sống mỗi sáng là k sợ covid nha, share gấp cho cả nhà";

/// Similarity skips the phrasings a text cannot repeat closely enough (their shingles found
/// anywhere in it weigh less than the threshold): on every labelled item, with the shipped
/// library at several thresholds, what it reports is exactly what scoring every phrasing
/// and keeping those at the threshold gives.
#[test]
fn skipping_phrasings_under_the_threshold_changes_no_match() {
    let (library, _) = ClaimLibrary::load_dir(&repo_rules());
    let mut reported = 0;
    for threshold in [0.2, 0.4, 0.6] {
        let index = library.index().with_threshold(threshold);
        for (id, title, body, _) in eval_items() {
            let (title, body) = (vi_display(&title), vi_display(&body));
            let (tt, bt) = (vi_text::tokenize(&title), vi_text::tokenize(&body));
            let mut all = index.scores(&title, &tt, &body, &bt);
            all.retain(|m| m.similarity >= threshold);
            let similar = index.similar(&title, &body);
            assert_eq!(similar, all, "item {id} at threshold {threshold}");
            reported += similar.len();
        }
    }
    assert!(reported > 100, "the items repeat claims: {reported} matches");
}
