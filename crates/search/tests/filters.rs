//! Filters, facets and the reach order on a real index, each held to a count done by hand
//! over the same documents.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};
use model::{RuleKind, Stance, Timestamp};
use search::{Budget, Filter, IndexDoc, RuleTag, SearchIndex, SearchRequest, Sort};

fn tag(rule: &str, kind: RuleKind, stance: Option<Stance>) -> RuleTag {
    RuleTag { rule: rule.to_owned(), kind, stance }
}

fn start() -> Timestamp {
    // 10:00 on 30 April 2026 in Vietnam.
    Utc.with_ymd_and_hms(2026, 4, 30, 3, 0, 0).unwrap()
}

/// Sixty documents about dengue: three sources, three provinces (and none), two months,
/// rumour hits carried, refuted or reported, a crisis hit on some, engagement on some.
fn corpus() -> Vec<IndexDoc> {
    (1..=60)
        .map(|i: i64| {
            let mut rules = vec![tag("topic.sxh", RuleKind::Topic, None)];
            match i % 4 {
                0 => rules.push(tag("rumor.la-du-du", RuleKind::Rumor, Some(Stance::Carries))),
                1 => rules.push(tag("rumor.la-du-du", RuleKind::Rumor, Some(Stance::Refutes))),
                2 => rules.push(tag("rumor.la-du-du", RuleKind::Rumor, Some(Stance::Reports))),
                _ => {}
            }
            if i % 10 == 0 {
                // Carries one rumour, refutes another.
                rules.push(tag("rumor.nuoc-chanh", RuleKind::Rumor, Some(Stance::Refutes)));
            }
            if i % 7 == 0 {
                rules.push(tag("crisis.ngo-doc", RuleKind::Crisis, None));
            }
            IndexDoc {
                id: i,
                title: format!("Tin sốt xuất huyết số {i}"),
                body: if i % 6 == 0 {
                    format!("Ghi nhận ca sốt xuất huyết thứ {i}.")
                } else {
                    format!("Ca sốt xuất huyết thứ {i} được ghi nhận.")
                },
                source: format!("Nguồn {}", i % 3),
                language: "vi".into(),
                url: format!("https://a.vn/{i}"),
                time: start() + Duration::hours(i * 6),
                source_id: 100 + i % 3,
                province: match i % 4 {
                    0 => Some("79".into()),
                    1 => Some("01".into()),
                    2 => Some("75".into()),
                    _ => None,
                },
                rules,
                reach: (i % 5 == 0).then_some(i * 10),
                revised: None,
                analysis: None,
            }
        })
        .collect()
}

fn index(docs: &[IndexDoc]) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    // Two commits, so the documents lie in more than one segment.
    let (a, b) = docs.split_at(docs.len() / 2);
    index.add(a).unwrap();
    index.commit(a.last().map_or(0, |d| d.id)).unwrap();
    index.add(b).unwrap();
    index.commit(docs.last().map_or(0, |d| d.id)).unwrap();
    (dir, index)
}

/// Every match of `q` (or of the filter alone) through pages of `limit`, in order.
fn walk(index: &SearchIndex, q: &str, filter: &Filter, sort: Sort, limit: usize) -> Vec<i64> {
    let expr = (!q.is_empty()).then(|| query::parse(q).unwrap());
    let mut after = None;
    let mut out = Vec::new();
    loop {
        let request = SearchRequest {
            sort,
            limit,
            after,
            filter: filter.clone(),
            ..SearchRequest::default()
        };
        let page = index.search_filtered(expr.as_ref(), &request, &Budget::unlimited()).unwrap();
        out.extend(page.hits.iter().map(|h| h.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

fn expected(docs: &[IndexDoc], admit: impl Fn(&IndexDoc) -> bool) -> Vec<i64> {
    docs.iter().filter(|d| admit(d)).map(|d| d.id).collect()
}

fn has(d: &IndexDoc, rule: &str, stance: Option<Stance>) -> bool {
    d.rules.iter().any(|t| t.rule == rule && (stance.is_none() || t.stance == stance))
}

/// Whether a document passes, counted by hand.
type Admit = Box<dyn Fn(&IndexDoc) -> bool>;

#[test]
fn each_filter_admits_what_a_count_by_hand_admits() {
    let docs = corpus();
    let (_dir, index) = index(&docs);
    let cases: Vec<(Filter, Admit)> = vec![
        (Filter::default(), Box::new(|_| true)),
        (
            Filter {
                from: Some(start() + Duration::days(3)),
                until: Some(start() + Duration::days(6)),
                ..Filter::default()
            },
            Box::new(|d| {
                d.time >= start() + Duration::days(3) && d.time < start() + Duration::days(6)
            }),
        ),
        (
            Filter { sources: Some(vec![101]), ..Filter::default() },
            Box::new(|d| d.source_id == 101),
        ),
        (
            Filter { sources: Some(vec![100, 102]), ..Filter::default() },
            Box::new(|d| d.source_id != 101),
        ),
        (Filter { sources: Some(Vec::new()), ..Filter::default() }, Box::new(|_| false)),
        (
            Filter { provinces: vec!["79".into()], ..Filter::default() },
            Box::new(|d| d.province.as_deref() == Some("79")),
        ),
        (
            Filter { rules: vec!["crisis.ngo-doc".into()], ..Filter::default() },
            Box::new(|d| has(d, "crisis.ngo-doc", None)),
        ),
        (
            Filter { kinds: vec![RuleKind::Crisis], ..Filter::default() },
            Box::new(|d| d.rules.iter().any(|t| t.kind == RuleKind::Crisis)),
        ),
        (
            Filter { stances: vec![Stance::Refutes], ..Filter::default() },
            Box::new(|d| d.rules.iter().any(|t| t.stance == Some(Stance::Refutes))),
        ),
        // The stance of a hit of that rule, not of another hit of the document.
        (
            Filter {
                rules: vec!["rumor.la-du-du".into()],
                stances: vec![Stance::Refutes],
                ..Filter::default()
            },
            Box::new(|d| has(d, "rumor.la-du-du", Some(Stance::Refutes))),
        ),
        (
            Filter { documents: Some(vec![3, 4, 5, 999]), ..Filter::default() },
            Box::new(|d| [3, 4, 5].contains(&d.id)),
        ),
        (
            Filter {
                sources: Some(vec![100]),
                provinces: vec!["79".into(), "75".into()],
                stances: vec![Stance::Carries],
                ..Filter::default()
            },
            Box::new(|d| {
                d.source_id == 100
                    && matches!(d.province.as_deref(), Some("79" | "75"))
                    && d.rules.iter().any(|t| t.stance == Some(Stance::Carries))
            }),
        ),
    ];
    for (filter, admit) in &cases {
        let want = expected(&docs, admit);
        // With a query, and with none (the filter alone).
        assert_eq!(sorted(walk(&index, "sốt", filter, Sort::Newest, 7)), want, "{filter:?}");
        assert_eq!(sorted(walk(&index, "", filter, Sort::Relevance, 50)), want, "{filter:?}");
        let request =
            SearchRequest { filter: filter.clone(), limit: 5, ..SearchRequest::default() };
        let page = index.search_filtered(None, &request, &Budget::unlimited()).unwrap();
        assert_eq!(page.total, want.len(), "{filter:?}");
        assert!(page.total_exact);
    }
}

#[test]
fn filters_leave_scores_as_they_were() {
    let docs = corpus();
    let (_dir, index) = index(&docs);
    let expr = query::parse("\"sốt xuất huyết\" OR 17").unwrap();
    let all = SearchRequest { limit: 100, ..SearchRequest::default() };
    let scores: BTreeMap<i64, f32> = index
        .search_with(&expr, &all, &Budget::unlimited())
        .unwrap()
        .hits
        .iter()
        .map(|h| (h.id, h.score))
        .collect();
    let filter = Filter { provinces: vec!["01".into()], ..Filter::default() };
    let filtered = SearchRequest { filter, ..all };
    let page = index.search_with(&expr, &filtered, &Budget::unlimited()).unwrap();
    assert!(!page.hits.is_empty());
    for h in &page.hits {
        assert_eq!(h.province.as_deref(), Some("01"));
        assert!(
            (h.score - scores[&h.id]).abs() < 1e-6,
            "{}: {} vs {}",
            h.id,
            h.score,
            scores[&h.id]
        );
    }
}

#[test]
fn facets_count_every_match_once_per_value() {
    let docs = corpus();
    let (_dir, index) = index(&docs);
    let filter = Filter { from: Some(start() + Duration::hours(12)), ..Filter::default() };
    let request = SearchRequest {
        limit: 3,
        facets: true,
        filter: filter.clone(),
        ..SearchRequest::default()
    };
    let expr = query::parse("sốt").unwrap();
    let page = index.search_with(&expr, &request, &Budget::unlimited()).unwrap();
    let facets = page.facets.unwrap();
    let matched: Vec<&IndexDoc> = docs.iter().filter(|d| d.time >= filter.from.unwrap()).collect();
    assert_eq!(page.total, matched.len());
    assert!(facets.exact);

    let mut sources: BTreeMap<i64, u64> = BTreeMap::new();
    let mut provinces: BTreeMap<String, u64> = BTreeMap::new();
    let mut rules: BTreeMap<String, u64> = BTreeMap::new();
    let mut kinds: BTreeMap<RuleKind, u64> = BTreeMap::new();
    let mut months: BTreeMap<String, u64> = BTreeMap::new();
    for d in &matched {
        *sources.entry(d.source_id).or_default() += 1;
        if let Some(p) = &d.province {
            *provinces.entry(p.clone()).or_default() += 1;
        }
        for t in &d.rules {
            *rules.entry(t.rule.clone()).or_default() += 1;
        }
        let mut ks: Vec<RuleKind> = d.rules.iter().map(|t| t.kind).collect();
        ks.dedup();
        ks.sort();
        ks.dedup();
        for k in ks {
            *kinds.entry(k).or_default() += 1;
        }
        let month = model::to_vn_time(d.time).format("%Y-%m").to_string();
        *months.entry(month).or_default() += 1;
    }
    let as_map = |v: &[(i64, u64)]| v.iter().copied().collect::<BTreeMap<_, _>>();
    assert_eq!(as_map(&facets.sources), sources);
    assert_eq!(facets.provinces.iter().cloned().collect::<BTreeMap<_, _>>(), provinces);
    assert_eq!(facets.rules.iter().cloned().collect::<BTreeMap<_, _>>(), rules);
    assert_eq!(facets.kinds.iter().copied().collect::<BTreeMap<_, _>>(), kinds);
    assert_eq!(facets.months.to_vec(), months.into_iter().collect::<Vec<_>>());
    // Most first.
    assert!(facets.rules.windows(2).all(|w| w[0].1 >= w[1].1));
    assert_eq!(facets.rules[0], ("topic.sxh".to_owned(), matched.len() as u64));
    // The months straddle the end of April in Vietnam time.
    assert_eq!(facets.months.len(), 2, "{:?}", facets.months);

    // Not asked for, not counted; a cursor page counts the whole set all the same.
    let plain = SearchRequest { limit: 3, ..SearchRequest::default() };
    assert!(index.search_with(&expr, &plain, &Budget::unlimited()).unwrap().facets.is_none());
    let later = SearchRequest { after: page.next, ..request };
    let again = index.search_with(&expr, &later, &Budget::unlimited()).unwrap();
    assert_eq!(again.facets.unwrap().sources, facets.sources);
}

#[test]
fn facets_of_a_query_checked_document_by_document_count_its_exact_matches() {
    let docs = corpus();
    let (_dir, index) = index(&docs);
    // Both words are in every document, but close only where the text begins "Ghi nhận
    // ca": every sixth document, all of source 100.
    let expr = query::parse("ghi NEAR/2 ca").unwrap();
    let request = SearchRequest { facets: true, limit: 3, ..SearchRequest::default() };
    let page = index.search_with(&expr, &request, &Budget::unlimited()).unwrap();
    assert_eq!(page.total, 10);
    assert!(page.hits.iter().all(|h| h.id % 6 == 0));
    let facets = page.facets.unwrap();
    assert_eq!(facets.sources, [(100, 10)]);
    // Ties are named in order.
    assert_eq!(
        &facets.rules[..2],
        [("rumor.la-du-du".to_owned(), 10), ("topic.sxh".to_owned(), 10)]
    );
    assert!(facets.exact);
}

#[test]
fn reach_sorts_posts_by_engagement_and_the_rest_last() {
    let docs = corpus();
    let (_dir, index) = index(&docs);
    let order = walk(&index, "sốt", &Filter::default(), Sort::Reach, 4);
    assert_eq!(order.len(), docs.len());
    let engaged: Vec<i64> = (1..=12).rev().map(|k| k * 5).collect();
    assert_eq!(order[..engaged.len()], engaged[..], "{order:?}");
    // The rest, in a stable order: by id, highest first, since none has a reach.
    let rest: Vec<i64> = (1..=60).rev().filter(|i| i % 5 != 0).collect();
    assert_eq!(order[engaged.len()..], rest[..]);
    let request = SearchRequest { sort: Sort::Reach, limit: 3, ..SearchRequest::default() };
    let page = index.search_filtered(None, &request, &Budget::unlimited()).unwrap();
    assert_eq!(page.hits[0].reach, Some(600));
    assert_eq!(page.hits[0].province.as_deref(), Some("79"));
    assert_eq!(page.hits[0].rules, ["topic.sxh", "rumor.la-du-du", "rumor.nuoc-chanh"]);
    let token = page.next.unwrap().token();
    assert!(token.starts_with("e."), "{token}");
    assert_eq!(search::Cursor::parse(&token).unwrap(), page.next.unwrap());
    let wrong = SearchRequest { sort: Sort::Newest, after: page.next, ..request };
    assert!(index.search_filtered(None, &wrong, &Budget::unlimited()).is_err());
}

#[test]
fn newest_pages_past_fifty_in_a_stable_order() {
    let docs = corpus();
    let (_dir, index) = index(&docs);
    let order = walk(&index, "", &Filter::default(), Sort::Newest, 50);
    assert_eq!(order, (1..=60).rev().collect::<Vec<_>>());
    let order = walk(&index, "sốt", &Filter::default(), Sort::Relevance, 50);
    assert_eq!(sorted(order.clone()), (1..=60).collect::<Vec<_>>(), "no repeats, none skipped");
}

#[test]
fn an_index_of_an_older_schema_is_rebuilt_by_a_writer_and_refused_to_a_reader() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut schema = tantivy::schema::Schema::builder();
        let id = schema.add_i64_field("id", tantivy::schema::INDEXED | tantivy::schema::FAST);
        let old = tantivy::Index::create_in_dir(dir.path(), schema.build()).unwrap();
        let mut writer: tantivy::IndexWriter = old.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut doc = tantivy::TantivyDocument::new();
        doc.add_i64(id, 7);
        writer.add_document(doc).unwrap();
        writer.commit().unwrap();
    }
    match SearchIndex::open_read_only(dir.path()) {
        Err(search::Error::Open { message, .. }) => {
            assert!(message.contains("langnghe reindex"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.num_docs(), 0);
    assert_eq!(index.last_indexed_id().unwrap(), 0, "the store's catch-up refills it from 0");
    index.add(&corpus()).unwrap();
    index.commit(60).unwrap();
    let filter = Filter { sources: Some(vec![100]), ..Filter::default() };
    assert_eq!(walk(&index, "", &filter, Sort::Newest, 100).len(), 20);
}
