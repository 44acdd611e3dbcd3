//! Indexing and searching Vietnamese text on a real on-disk index.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use search::{Budget, Cursor, IndexDoc, SearchIndex, SearchRequest, Sort};

fn doc(id: i64, title: &str, body: &str, hour: u32) -> IndexDoc {
    IndexDoc {
        id,
        title: vi_text::display(title),
        body: vi_text::display(body),
        source: "Báo A".into(),
        language: "vi".into(),
        url: format!("https://a.vn/{id}"),
        time: Utc.with_ymd_and_hms(2026, 11, 20, hour, 0, 0).unwrap(),
        ..IndexDoc::default()
    }
}

fn ids(index: &SearchIndex, q: &str) -> Vec<i64> {
    let mut v: Vec<i64> =
        index.search(q, Sort::Relevance, 50, 0).unwrap().hits.iter().map(|h| h.id).collect();
    v.sort();
    v
}

fn corpus() -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    index
        .add(&[
            doc(
                1,
                "Hà Nội: 300 ca sốt xuất huyết",
                "Số ca sốt xuất huyết tăng mạnh trong tuần.",
                1,
            ),
            doc(2, "Sót lại sau lũ", "Người dân thu dọn những gì sót lại.", 2),
            doc(3, "Vắc xin sởi", "Tiêm vắc xin sởi cho trẻ. Sốt nhẹ sau tiêm là bình thường.", 3),
            // Decomposed (NFD) input must be found like the rest.
            doc(
                4,
                "Cảnh báo",
                "Bệnh so\u{302}\u{301}t xua\u{302}\u{301}t huye\u{302}\u{301}t ở miền Nam",
                4,
            ),
        ])
        .unwrap();
    index.commit(4).unwrap();
    (dir, index)
}

#[test]
fn unaccented_queries_find_what_accented_ones_find() {
    let (_dir, index) = corpus();
    assert_eq!(ids(&index, "\"sốt xuất huyết\""), [1, 4]);
    assert_eq!(ids(&index, "\"sot xuat huyet\""), [1, 4]);
    assert_eq!(ids(&index, "sot xuat huyet"), [1, 4]);
    assert_eq!(ids(&index, "sốt"), [1, 3, 4]);
    assert_eq!(ids(&index, "sot"), [1, 2, 3, 4]);
    assert_eq!(ids(&index, "vắc xin NOT sởi"), Vec::<i64>::new());
    assert_eq!(ids(&index, "sot NOT tiêm"), [1, 2, 4]);
    assert_eq!(ids(&index, "sởi OR \"thu dọn\""), [2, 3]);
}

#[test]
fn highlights_land_on_the_display_characters() {
    let (_dir, index) = corpus();
    let res = index.search("sot xuat huyet", Sort::Newest, 10, 0).unwrap();
    assert_eq!(res.total, 2);
    assert_eq!(res.hits[0].id, 4, "newest first");
    let marked: Vec<_> =
        res.hits[1].title.iter().filter(|f| f.highlighted).map(|f| f.text.as_str()).collect();
    assert_eq!(marked, ["sốt xuất huyết"]);
    let marked: Vec<_> =
        res.hits[0].snippet.iter().filter(|f| f.highlighted).map(|f| f.text.as_str()).collect();
    assert_eq!(marked, ["sốt xuất huyết"]);
}

#[test]
fn commit_payload_and_replacement() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.last_indexed_id().unwrap(), 0);
        index.add(&[doc(7, "Tin cũ", "cúm mùa", 1)]).unwrap();
        index.commit(7).unwrap();
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.last_indexed_id().unwrap(), 7);
    index.add(&[doc(7, "Tin mới", "cúm mùa", 1)]).unwrap();
    index.commit(7).unwrap();
    assert_eq!(index.num_docs(), 1, "re-adding a document replaces it");
    assert!(index.search("bad (", Sort::Relevance, 10, 0).is_err());
    index.clear().unwrap();
    index.commit(0).unwrap();
    assert_eq!(index.num_docs(), 0);
}

/// One sentence as it reaches us from different keyboards, converters and evasions.
const CANONICAL: &str = "Bộ Y tế khuyến cáo người dân giữ sức khoẻ trong mùa sốt xuất huyết";

fn variants() -> Vec<(&'static str, String)> {
    use unicode_normalization::UnicodeNormalization;
    vec![
        ("decomposed", CANONICAL.nfd().collect()),
        ("old style", CANONICAL.replace("khoẻ", "khỏe")),
        ("tcvn3", "Bé Y tÕ khuyÕn c¸o ng\u{ad}êi d©n gi÷ søc khoÎ trong mïa sèt xuÊt huyÕt".into()),
        (
            "mojibake",
            "Bá»™ Y táº¿ khuyáº¿n cÃ¡o ngÆ°á»\u{9d}i dÃ¢n giá»¯ sá»©c khoáº» trong mÃ¹a sá»‘t xuáº¥t huyáº¿t".into(),
        ),
        ("viqr", "Bo^. Y te^' khuye^'n ca'o ngu+o+`i da^n giu+~ su+'c kho?e trong mu`a so^'t xua^'t huye^'t".into()),
        ("homoglyphs", "Bộ Y tế khuyến cáо người dân giữ sức khоẻ trоng mùа sốt xuất huyết".into()),
        ("invisible", "Bộ Y tế khuyến cáo người dân giữ sức kh\u{200b}oẻ trong mùa sốt\u{a0}xuất huyết".into()),
    ]
}

#[test]
fn every_variant_reaches_the_same_forms_and_is_found_with_exact_highlights() {
    let canonical_match = vi_text::match_form(CANONICAL);
    let canonical_fold = vi_text::fold_form(CANONICAL);
    for (name, text) in variants() {
        assert_eq!(vi_text::match_form(&text), canonical_match, "{name}");
    }
    let unaccented = "Bo Y te khuyen cao nguoi dan giu suc khoe trong mua sot xuat huyet";
    assert_eq!(vi_text::fold_form(unaccented), canonical_fold);

    // Every variant is a document; every variant (and the unaccented text) as a query finds
    // all of them, and the highlight covers exactly the display characters of the phrase.
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let docs: Vec<IndexDoc> = std::iter::once(("canonical", CANONICAL.to_owned()))
        .chain(variants())
        .enumerate()
        .map(|(i, (name, text))| doc(i as i64 + 1, name, &text, 1))
        .collect();
    index.add(&docs).unwrap();
    index.commit(docs.len() as i64).unwrap();
    let all: Vec<i64> = (1..=docs.len() as i64).collect();
    for query in std::iter::once(CANONICAL.to_owned())
        .chain(variants().into_iter().map(|(_, t)| t))
        .chain([unaccented.to_owned()])
    {
        let phrase = format!("\"{query}\"");
        let results = index.search(&phrase, Sort::Relevance, 50, 0).unwrap();
        let mut found: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
        found.sort();
        assert_eq!(found, all, "query {query:?}");
    }
    let results = index.search("\"sức khoẻ\"", Sort::Relevance, 50, 0).unwrap();
    for hit in &results.hits {
        let d = &docs[hit.id as usize - 1];
        let marked: Vec<&str> =
            hit.snippet.iter().filter(|f| f.highlighted).map(|f| f.text.as_str()).collect();
        assert_eq!(marked.len(), 1, "{}: {:?}", d.title, hit.snippet);
        let expected = if d.title == "old style" {
            "sức khỏe"
        } else if d.title == "invisible" {
            "sức kh\u{200b}oẻ"
        } else {
            ""
        };
        if !expected.is_empty() {
            assert_eq!(marked[0], expected, "{}", d.title);
        } else {
            assert_eq!(vi_text::match_form(marked[0]), "sức khoẻ", "{}: {marked:?}", d.title);
        }
        // The highlight is a substring of the stored display form, on character boundaries.
        assert!(d.body.contains(marked[0]), "{}", d.title);
    }
}

#[test]
fn social_posts_are_found_through_their_alternatives() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    index
        .add(&[
            doc(1, "mn ơi", "bs nói ko dc tiêm v.a.c.x.i.n khi đang sốt", 1),
            doc(2, "Tin chính thống", "Bác sĩ khuyên không được tự ý dùng thuốc", 2),
        ])
        .unwrap();
    index.commit(2).unwrap();
    assert_eq!(ids(&index, "\"không được\""), [1, 2]);
    assert_eq!(ids(&index, "\"bác sĩ\""), [1, 2]);
    assert_eq!(ids(&index, "\"vắc xin\""), [1]);
    assert_eq!(ids(&index, "\"moi nguoi\""), [1]);
    let hit = index.search("\"không được\"", Sort::Relevance, 10, 0).unwrap();
    let social = hit.hits.iter().find(|h| h.id == 1).unwrap();
    let marked: Vec<&str> =
        social.snippet.iter().filter(|f| f.highlighted).map(|f| f.text.as_str()).collect();
    assert_eq!(marked, ["ko dc"], "the highlight is on what the post wrote");
}

#[test]
fn accented_terms_find_text_typed_without_diacritics_and_highlight_it() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    index
        .add(&[
            doc(1, "Hỏi đáp", "Be nha toi bi sot xuat huyet roi, mn oi ko dc di kham a", 1),
            doc(2, "Sót lại sau lũ", "Người dân thu dọn những gì sót lại.", 2),
            doc(3, "Tin y tế", "Bé bị sốt xuất huyết, Ha Noi có 3 ca mới.", 3),
            doc(4, "Sot xuat huyet tang manh", "Bệnh viện đông bệnh nhân.", 4),
        ])
        .unwrap();
    index.commit(4).unwrap();
    assert_eq!(ids(&index, "\"sốt xuất huyết\""), [1, 3, 4]);
    assert_eq!(ids(&index, "sốt"), [1, 3, 4]);
    // `sót` finds the bare `sot` too, but never the accented `sốt`.
    assert_eq!(ids(&index, "sót"), [1, 2, 4]);
    assert_eq!(ids(&index, "=sốt"), [3]);
    assert_eq!(ids(&index, "=sot"), [1, 4]);
    // In accented text a bare word is the word it is.
    assert!(ids(&index, "cá").is_empty());
    assert_eq!(ids(&index, "\"không được đi khám\""), [1]);
    assert_eq!(ids(&index, "title:\"sốt xuất\" -bệnh"), Vec::<i64>::new());
    assert_eq!(ids(&index, "sốt NEAR/1 huyết"), [1, 3, 4]);
    assert_eq!(ids(&index, "\"sốt xuat\""), [1, 3, 4]);
    let res = index.search("\"sốt xuất huyết\" OR khám", Sort::Relevance, 10, 0).unwrap();
    let post = res.hits.iter().find(|h| h.id == 1).unwrap();
    let marked: Vec<&str> =
        post.snippet.iter().filter(|f| f.highlighted).map(|f| f.text.as_str()).collect();
    assert_eq!(marked, ["sot xuat huyet", "kham"], "the highlight is on what the post wrote");
}

#[test]
fn tilde_finds_every_i_y_spelling_and_highlights_it() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    index
        .add(&[
            doc(1, "Kĩ thuật mới", "Bệnh viện áp dụng kĩ thuật nội soi.", 1),
            doc(2, "Kỹ thuật cũ", "Kỹ thuật này đã có từ lâu.", 2),
            doc(3, "Kĩ năng sống", "Dạy trẻ kĩ năng tự bảo vệ.", 3),
            doc(4, "Quan hệ Việt – Mĩ", "Hợp tác y tế Việt – Mĩ.", 4),
        ])
        .unwrap();
    index.commit(4).unwrap();
    assert_eq!(ids(&index, "~\"ky thuat\""), [1, 2]);
    assert_eq!(ids(&index, "~ki"), [1, 2, 3]);
    // An accented term written with either letter finds the other spelling too.
    assert_eq!(ids(&index, "\"kỹ thuật\""), [1, 2]);
    assert_eq!(ids(&index, "Mỹ"), [4]);
    let res = index.search("~\"ky thuat\"", Sort::Relevance, 10, 0).unwrap();
    let first = res.hits.iter().find(|h| h.id == 1).unwrap();
    let marked: Vec<&str> =
        first.snippet.iter().filter(|f| f.highlighted).map(|f| f.text.as_str()).collect();
    assert_eq!(marked, ["kĩ thuật"]);
    let title: Vec<&str> =
        first.title.iter().filter(|f| f.highlighted).map(|f| f.text.as_str()).collect();
    assert_eq!(title, ["Kĩ thuật"]);
}

#[test]
fn phrases_do_not_cross_sentences() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    index
        .add(&[
            doc(1, "Tin 1", "Bé bị sốt. Xuất huyết dạ dày ở người lớn", 1),
            doc(2, "Tin 2", "Bé bị sốt xuất huyết", 2),
        ])
        .unwrap();
    index.commit(2).unwrap();
    assert_eq!(ids(&index, "\"sốt xuất huyết\""), [2]);
    assert_eq!(ids(&index, "sốt xuất huyết"), [1, 2]);
}

#[test]
fn proximity_scopes_and_document_filters() {
    let (_dir, index) = corpus();
    // Doc 3: "Tiêm vắc xin sởi cho trẻ. Sốt nhẹ sau tiêm là bình thường."
    assert_eq!(ids(&index, "sốt NEAR/2 tiêm"), [3]);
    assert_eq!(ids(&index, "sốt ONEAR/2 tiêm"), [3]);
    assert!(ids(&index, "sốt NEAR/1 tiêm").is_empty());
    assert!(ids(&index, "tiêm ONEAR/1 sốt").is_empty());
    // Under a negation the approximate part must not exclude too much.
    assert_eq!(ids(&index, "sốt -(sốt NEAR/1 tiêm)"), [1, 3, 4]);
    assert_eq!(ids(&index, "sốt -(sốt NEAR/2 tiêm)"), [1, 4]);
    let page = index.search("sốt NEAR/2 tiêm", Sort::Relevance, 10, 0).unwrap();
    assert_eq!(page.total, 1);
    assert!(page.hits[0].snippet.iter().any(|f| f.highlighted && f.text == "Sốt"));
    assert_eq!(ids(&index, "title:sốt"), [1]);
    assert_eq!(ids(&index, "body:\"sốt xuất huyết\""), [1, 4]);
    assert_eq!(ids(&index, "sốt source:\"bao a\""), [1, 3, 4]);
    assert!(ids(&index, "sốt source:\"a bao\"").is_empty());
    assert!(ids(&index, "sốt source:b").is_empty());
    assert_eq!(ids(&index, "sốt lang:vi"), [1, 3, 4]);
    assert!(ids(&index, "sốt lang:en").is_empty());
    // A phrase mixing accented and unaccented syllables is exact too.
    assert_eq!(ids(&index, "\"sốt xuat\""), [1, 4]);
    assert!(ids(&index, "\"sót xuat\"").is_empty());
}

/// An index of `n` documents that all say "sốt xuất huyết", some at the same hour.
fn many(n: i64) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let docs: Vec<IndexDoc> = (1..=n)
        .map(|i| doc(i, &format!("Tin {i}"), "Ca sốt xuất huyết; bản tin y tế", (i % 5) as u32))
        .collect();
    index.add(&docs).unwrap();
    index.commit(n).unwrap();
    (dir, index)
}

fn walk(index: &SearchIndex, q: &str, sort: Sort, limit: usize) -> Vec<i64> {
    let expr = query::parse(q).unwrap();
    let mut after = None;
    let mut seen = Vec::new();
    loop {
        let request = SearchRequest { sort, limit, offset: 0, after, ..SearchRequest::default() };
        let first = after.is_none();
        let page = index.search_with(&expr, &request, &Budget::unlimited()).unwrap();
        // Past a cursor, a query checked document by document only knows a lower bound.
        assert!(page.total_exact || !first, "{q}");
        assert!(page.total <= 57, "{q}");
        seen.extend(page.hits.iter().map(|h| h.id));
        match page.next {
            Some(c) => after = Some(Cursor::parse(&c.token()).unwrap()),
            None => break,
        }
        assert!(seen.len() <= 1000, "the cursor went round in circles");
    }
    seen
}

#[test]
fn the_cursor_walks_every_result_once_in_order() {
    let (_dir, index) = many(57);
    for sort in [Sort::Relevance, Sort::Newest] {
        for q in ["sot xuat huyet", "\"bản tin\"", "sốt NEAR/3 huyết"] {
            let walked = walk(&index, q, sort, 10);
            let mut sorted = walked.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, (1..=57).collect::<Vec<_>>(), "{q} {sort:?}");
            assert_eq!(walked.len(), 57, "{q} {sort:?}: a result came twice");
            let whole = index.search(q, sort, 100, 0).unwrap();
            let ids: Vec<i64> = whole.hits.iter().map(|h| h.id).collect();
            assert_eq!(walked, ids, "{q} {sort:?}: pages differ from one long page");
        }
    }
    // Newest first, ties broken by id.
    let newest = walk(&index, "sot", Sort::Newest, 7);
    assert_eq!(&newest[..3], [54, 49, 44]);
}

#[test]
fn pages_are_bounded_and_totals_say_whether_they_are_exact() {
    let (_dir, index) = many(30);
    let expr = query::parse("sot").unwrap();
    let deep =
        SearchRequest { offset: search::MAX_OFFSET + 1, limit: 10, ..SearchRequest::default() };
    match index.search_with(&expr, &deep, &Budget::unlimited()) {
        Err(search::Error::Page(m)) => assert!(m.contains("offset") && m.contains("cursor"), "{m}"),
        other => panic!("{other:?}"),
    }
    let huge = SearchRequest { limit: 1_000_000, ..SearchRequest::default() };
    let page = index.search_with(&expr, &huge, &Budget::unlimited()).unwrap();
    assert_eq!((page.hits.len(), page.total, page.total_exact), (30, 30, true));
    // A mixed phrase is checked document by document; the whole count fits the budget.
    let mixed = index.search("\"bản tin\"", Sort::Relevance, 5, 0).unwrap();
    assert_eq!((mixed.total, mixed.total_exact, mixed.hits.len()), (30, true, 5));
    assert!(search::Cursor::parse("r.zz.1").is_err() && search::Cursor::parse("").is_err());
}

#[test]
fn a_spent_or_cancelled_budget_stops_the_search() {
    let (_dir, index) = many(20);
    let expr = query::parse("sot NEAR/5 huyet").unwrap();
    let request = SearchRequest { limit: 10, ..SearchRequest::default() };
    let spent = Budget::with_timeout(std::time::Duration::ZERO);
    assert!(matches!(
        index.search_with(&expr, &request, &spent),
        Err(search::Error::TooExpensive { .. })
    ));
    let cancelled = Budget::unlimited();
    drop(cancelled.cancel_on_drop());
    assert!(matches!(
        index.search_with(&expr, &request, &cancelled),
        Err(search::Error::Cancelled)
    ));
}

#[test]
fn a_damaged_index_is_refused_by_name_and_rebuilt_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    {
        let index = SearchIndex::open(&path).unwrap();
        index.add(&[doc(1, "Sốt xuất huyết", "Ca bệnh", 1)]).unwrap();
        index.commit(1).unwrap();
    }
    let victim = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "fast"))
        .unwrap();
    std::fs::remove_file(&victim).unwrap();
    for result in [SearchIndex::open(&path), SearchIndex::open_read_only(&path)] {
        match result {
            Err(e @ search::Error::Damaged { .. }) => {
                assert!(e.to_string().contains("langnghe reindex"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
    let rebuild = SearchIndex::begin_rebuild(&path).unwrap();
    // The live index is held while it is rebuilt.
    assert!(matches!(SearchIndex::begin_rebuild(&path), Err(search::Error::Busy { .. })));
    rebuild.index().add(&[doc(1, "Sốt xuất huyết", "Ca bệnh", 1)]).unwrap();
    rebuild.index().commit(1).unwrap();
    rebuild.finish().unwrap();
    let index = SearchIndex::open(&path).unwrap();
    assert_eq!(ids(&index, "sot"), [1]);
    assert_eq!(index.last_indexed_id().unwrap(), 1);
    // A writer in use refuses a rebuild.
    assert!(matches!(SearchIndex::begin_rebuild(&path), Err(search::Error::Busy { .. })));
}

#[test]
fn a_census_counts_the_live_documents_per_id_range_with_their_revision_times() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let revised = Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap();
    let ms = revised.timestamp_millis();
    index
        .add(&[
            doc(1, "Tin một", "Nội dung một.", 1),
            doc(2, "Tin hai", "Nội dung hai.", 2),
            IndexDoc { revised: Some(revised), ..doc(1030, "Tin ba", "Nội dung ba.", 3) },
        ])
        .unwrap();
    index.commit(1030).unwrap();
    // A later commit, in a segment of its own: one document replaced by its revision, one
    // deleted, and what is not committed yet is not counted.
    index.add(&[IndexDoc { revised: Some(revised), ..doc(2, "Tin hai", "Bản mới.", 2) }]).unwrap();
    index.delete(&[1]).unwrap();
    index.commit(1030).unwrap();
    index.add(&[doc(7, "Tin bảy", "Chưa lưu.", 4)]).unwrap();
    let census = index.census(1024).unwrap();
    assert_eq!(census.buckets, std::collections::BTreeMap::from([(0, (1, 2)), (1, (1, 1030))]));
    assert_eq!(census.revised, std::collections::HashMap::from([(2, ms), (1030, ms)]));
    assert_eq!(ids(&index, "\"bản mới\""), [2]);
}

/// Pages walked by cursor over several segments with deleted documents and many tied
/// scores: block-max pruning by relevance keeps the (score, id) order exactly, and the
/// orders by time and by reach (which score nothing) keep theirs.
#[test]
fn pruned_ranking_walks_every_result_once_in_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    // Three kinds of body, so scores tie within each kind, over three segments.
    let body = |i: i64| match i % 3 {
        0 => "Ca sốt xuất huyết tăng.".to_owned(),
        1 => "Sốt xuất huyết: sốt cao, bản tin y tế cuối tuần của phường.".to_owned(),
        _ => "Sốt, sốt và sốt: bản tin.".to_owned(),
    };
    for part in 0..3 {
        let docs: Vec<IndexDoc> = (part * 500 + 1..=part * 500 + 500)
            .map(|i| IndexDoc {
                reach: (i % 4 != 0).then_some(i % 7),
                ..doc(i, &format!("Tin {i}"), &body(i), (i % 24) as u32)
            })
            .collect();
        index.add(&docs).unwrap();
        index.commit(part * 500 + 500).unwrap();
    }
    let deleted: Vec<i64> = (1..=1500).filter(|i| i % 11 == 0).collect();
    index.delete(&deleted).unwrap();
    index.commit(1500).unwrap();
    let live: Vec<i64> = (1..=1500).filter(|i| i % 11 != 0).collect();
    let expr = query::parse("sốt").unwrap();
    for sort in [Sort::Relevance, Sort::Newest, Sort::Reach] {
        let mut after = None;
        let mut walked: Vec<(f64, i64)> = Vec::new();
        loop {
            let request =
                SearchRequest { sort, limit: 25, offset: 0, after, ..SearchRequest::default() };
            let page = index.search_with(&expr, &request, &Budget::unlimited()).unwrap();
            if after.is_none() {
                assert_eq!((page.total, page.total_exact), (live.len(), true), "{sort:?}");
            }
            for h in &page.hits {
                let primary = match sort {
                    Sort::Relevance => f64::from(h.score),
                    Sort::Newest => h.time.timestamp_millis() as f64,
                    Sort::Reach => h.reach.unwrap_or(-1) as f64,
                };
                walked.push((primary, h.id));
            }
            match page.next {
                Some(c) => after = Some(Cursor::parse(&c.token()).unwrap()),
                None => break,
            }
            assert!(walked.len() <= 2 * live.len(), "the cursor went round in circles");
        }
        for pair in walked.windows(2) {
            assert!(
                pair[0].0 > pair[1].0 || (pair[0].0 == pair[1].0 && pair[0].1 > pair[1].1),
                "{sort:?}: {:?} came before {:?}",
                pair[0],
                pair[1]
            );
        }
        let mut ids: Vec<i64> = walked.iter().map(|w| w.1).collect();
        ids.sort_unstable();
        assert_eq!(ids, live, "{sort:?}: every live document once");
    }
}
