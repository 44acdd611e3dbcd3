//! The PostgreSQL search backend against the tantivy index: the same documents, stored and
//! given their lexemes on one side and indexed on the other, and every query of the
//! query-language corpus (the index's own test queries, accent-less and teencode cases, and
//! queries generated as the accent property test generates them) must find the same
//! documents on both, with equal totals where both are exact, page by page through the
//! cursors, with the same highlights and facets. Needs PostgreSQL
//! (`LANGNGHE_TEST_POSTGRES_URL`): without it the test says so and does nothing; with it
//! set and the server unreachable, it fails.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use model::{Hit, MatchedTerm, NewDocument, Post, RuleKind, Severity, SourceKind, SourceTier};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use search::{Budget, Filter, IndexDoc, RuleTag, SearchIndex, SearchRequest, SearchResults, Sort};
use store::{NewSource, Processed, Store};

/// The chunks the accent property test writes documents and queries from.
const CHUNKS: &[&str] = &[
    "sốt xuất huyết",
    "sot",
    "sót",
    "sợt",
    "Sốt",
    "tử vong",
    "tiêm vắc xin",
    "hoà",
    "hòa",
    "khoẻ",
    "khỏe",
    "không được",
    "ko dc",
    "đc",
    "mọi người ơi",
    "nói",
    "covid 19",
    "cúm",
    "ca bệnh",
    "cá",
    "cả",
    "bệnh nhân",
    "kỹ thuật",
    "kĩ",
    "lý do",
    "bị",
    "rồi",
    "uống thuốc",
    "ko uống",
    "the man can",
];

/// Hand-written documents: (source, title, body, language).
const FIXED: &[(&str, &str, &str, &str)] = &[
    ("Báo A", "Hà Nội: 300 ca sốt xuất huyết", "Số ca sốt xuất huyết tăng mạnh trong tuần.", "vi"),
    ("Báo A", "Sót lại sau lũ", "Người dân thu dọn những gì sót lại.", "vi"),
    ("Báo B", "Vắc xin sởi", "Tiêm vắc xin sởi cho trẻ. Sốt nhẹ sau tiêm là bình thường.", "vi"),
    (
        "Báo B",
        "Cảnh báo",
        "Bệnh so\u{302}\u{301}t xua\u{302}\u{301}t huye\u{302}\u{301}t ở miền Nam",
        "vi",
    ),
    ("Báo A", "mn oi", "ko dc di kham, bs bao la bi sot xuat huyet roi", "vi"),
    ("Báo B", "Kĩ thuật mới", "Bác sĩ nói kỹ thuật này an toàn. Ki thuat cu thi khong.", "vi"),
    ("Báo A", "Dengue fever", "Dengue cases rise in Vietnam; the man can help.", "en"),
    ("Báo B", "Mỹ tăng viện trợ", "Mỹ và Việt Nam hợp tác phòng chống dịch bệnh.", "vi"),
    (
        "Tuổi Trẻ",
        "Bản mới của thuốc",
        "Không được đi khám vì sốt. Thuốc bản mới đã có, mọi người ơi.",
        "vi",
    ),
];

/// Queries of the index's own tests and the accent cases, plus teencode-free and
/// accent-less spellings.
const QUERIES: &[&str] = &[
    "=sot",
    "=sốt",
    "Mỹ",
    "\"bác sĩ\"",
    "\"bản mới\"",
    "\"không được đi khám\"",
    "\"không được\"",
    "\"kỹ thuật\"",
    "\"moi nguoi\"",
    "\"sot xuat huyet\"",
    "\"sót xuat\"",
    "\"sốt xuat\"",
    "\"sốt xuất huyết\"",
    "\"vắc xin\"",
    "body:\"sốt xuất huyết\"",
    "cá",
    "sot NOT tiêm",
    "sot xuat huyet",
    "sot",
    "sót",
    "sốt -(sốt NEAR/1 tiêm)",
    "sốt -(sốt NEAR/2 tiêm)",
    "sốt NEAR/1 huyết",
    "sốt NEAR/1 tiêm",
    "sốt NEAR/2 tiêm",
    "sốt ONEAR/2 tiêm",
    "sốt lang:en",
    "sốt lang:vi",
    "dengue lang:en",
    "sốt source:\"a bao\"",
    "sốt source:\"bao a\"",
    "sốt source:b",
    "sot source:\"tuoi tre\"",
    "sốt xuất huyết",
    "sốt",
    "sởi OR \"thu dọn\"",
    "title:\"sốt xuất\" -bệnh",
    "title:sốt",
    "tiêm ONEAR/1 sốt",
    "vắc xin NOT sởi",
    "~\"ky thuat\"",
    "~ki",
    "không đi khám",
    "khong di kham",
    "\"khong duoc\"",
    "mọi người",
    "bác sĩ",
    "bs",
    "(sốt OR cúm) -\"vắc xin\"",
    "\"sốt\" title:báo OR body:mỹ",
];

fn chunk() -> impl Strategy<Value = String> {
    proptest::sample::select(CHUNKS).prop_map(str::to_owned)
}

fn word() -> impl Strategy<Value = String> {
    chunk().prop_flat_map(|c| {
        let words: Vec<String> = c.split(' ').map(str::to_owned).collect();
        proptest::sample::select(words)
    })
}

/// Sentences of chunks, each as written or with every diacritic stripped.
fn text() -> impl Strategy<Value = String> {
    let sentence = (proptest::collection::vec(chunk(), 1..6), any::<bool>());
    let stop = prop_oneof![Just(". "), Just("\n"), Just(", "), Just(" ")];
    proptest::collection::vec((sentence, stop), 0..4).prop_map(|ss| {
        let mut text = String::new();
        for ((chunks, bare), stop) in ss {
            let s = chunks.join(" ");
            text.push_str(&if bare { vi_text::fold_str(&s) } else { s });
            text.push_str(stop);
        }
        text
    })
}

fn phrase() -> impl Strategy<Value = String> {
    proptest::collection::vec(chunk(), 1..3).prop_map(|cs| cs.join(" "))
}

/// Queries as the accent property test writes them.
fn query() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => word(),
        2 => word().prop_map(|w| format!("={w}")),
        3 => phrase().prop_map(|p| format!("\"{p}\"")),
        2 => phrase().prop_map(|p| format!("\"{}\"", vi_text::fold_str(&p))),
    ];
    leaf.prop_recursive(3, 10, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|xs| format!("({})", xs.join(" "))),
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|xs| format!("({})", xs.join(" OR "))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} -{b})")),
            (inner.clone(), inner.clone(), 0..5usize, any::<bool>()).prop_map(|(a, b, n, o)| {
                format!("({a} {}NEAR/{n} {b})", if o { "O" } else { "" })
            }),
            (prop_oneof![Just("title:"), Just("body:")], inner)
                .prop_map(|(f, x)| format!("{f}{x}")),
        ]
    })
}

fn now() -> model::Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

async fn source(store: &Store, name: &str, n: usize) -> i64 {
    let s = NewSource {
        name: name.into(),
        url: format!("http://127.0.0.1:1/{n}.xml"),
        kind: SourceKind::Feed,
        tier: SourceTier::Press,
        interval_secs: 300,
        allow_private: true,
        ..NewSource::default()
    };
    store.upsert_source(&s, now()).await.unwrap().id
}

fn hit(rule: &str, kind: RuleKind) -> Hit {
    Hit {
        rule_id: rule.into(),
        rule_title: rule.to_owned().into(),
        kind,
        severity: Severity::Low,
        terms: vec![MatchedTerm { field: "title", start: 0, end: 1, term: "x".into() }],
    }
}

/// One document to store: source, title, body, language.
type Written = (String, String, String, String);

/// Stores `docs` (the n-th an hour before the (n-1)-th, some with rule hits, provinces
/// and engagement), fills their lexemes, and indexes the stored documents in tantivy as
/// the pipeline does.
async fn load(store: &Store, docs: &[Written]) -> (tempfile::TempDir, SearchIndex) {
    let mut sources = std::collections::HashMap::new();
    for (name, ..) in docs {
        if !sources.contains_key(name) {
            let n = sources.len();
            sources.insert(name.clone(), source(store, name, n).await);
        }
    }
    let batch: Vec<Processed> = docs
        .iter()
        .enumerate()
        .map(|(i, (name, title, body, language))| {
            let doc = NewDocument {
                source_id: sources[name],
                url: format!("https://a.vn/{i}"),
                title: vi_text::display(title),
                summary: if i % 5 == 0 { "Tóm tắt: sốt.".to_owned() } else { String::new() },
                body: vi_text::display(body),
                author: None,
                published_at: Some(now() - Duration::hours(i as i64 % 50)),
                fetched_at: now(),
                language: language.clone(),
                content_hash: format!("h{i}"),
                post: (i % 4 == 1).then(|| Post {
                    platform: "facebook".into(),
                    reactions: Some(i as i64),
                    shares: None,
                    comments: Some(2),
                }),
            };
            let hits = match i % 3 {
                0 => vec![hit("topic.sxh", RuleKind::Topic)],
                1 => vec![hit("topic.sxh", RuleKind::Topic), hit("rumor.x", RuleKind::Rumor)],
                _ => Vec::new(),
            };
            let mut p = Processed::new(doc, hits);
            if i % 2 == 0 {
                p.places.province = Some(if i % 4 == 0 { "01" } else { "79" }.to_owned());
            }
            p
        })
        .collect();
    for part in batch.chunks(200) {
        store.insert_batch(part).await.unwrap();
    }
    while store.fill_lexemes(store::LEXEME_BATCH).await.unwrap() > 0 {}
    assert_eq!(store.lexemes_pending().await.unwrap(), 0);

    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let stored = store.documents_after(0, 100_000).await.unwrap();
    let facts = store.document_facts(0, i64::MAX).await.unwrap();
    let indexed: Vec<IndexDoc> = stored
        .iter()
        .map(|d| {
            let f = facts.get(&d.id);
            let reach = d.doc.post.as_ref().and_then(|p| {
                let counts = [p.reactions, p.shares, p.comments];
                counts
                    .iter()
                    .any(Option::is_some)
                    .then(|| counts.iter().flatten().map(|n| (*n).max(0)).sum())
            });
            IndexDoc {
                id: d.id,
                title: d.doc.title.clone(),
                body: d.doc.full_text(),
                source: d.source_name.clone(),
                language: d.doc.language.clone(),
                url: d.doc.url.clone(),
                time: d.doc.published_at.unwrap_or(d.doc.fetched_at),
                source_id: d.doc.source_id,
                province: f.and_then(|f| f.province.clone()),
                rules: f
                    .map(|f| {
                        f.hits
                            .iter()
                            .map(|h| RuleTag {
                                rule: h.rule_id.clone(),
                                kind: h.kind,
                                stance: h.stance,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                reach,
                revised: None,
                analysis: None,
            }
        })
        .collect();
    index.add(&indexed).unwrap();
    index.commit(stored.last().map_or(0, |d| d.id)).unwrap();
    (dir, index)
}

/// Every result of a query, page by page through the cursors, and the first page.
fn walk_tantivy(
    index: &SearchIndex,
    expr: &query::Expr,
    request: &SearchRequest,
) -> (Vec<i64>, SearchResults) {
    let mut request = request.clone();
    let first = index.search_filtered(Some(expr), &request, &Budget::unlimited()).unwrap();
    let mut ids: Vec<i64> = first.hits.iter().map(|h| h.id).collect();
    let mut next = first.next;
    while let Some(after) = next {
        request.after = Some(after);
        let page = index.search_filtered(Some(expr), &request, &Budget::unlimited()).unwrap();
        ids.extend(page.hits.iter().map(|h| h.id));
        next = page.next;
    }
    (ids, first)
}

async fn walk_postgres(
    store: &Store,
    expr: &query::Expr,
    request: &SearchRequest,
) -> (Vec<i64>, SearchResults) {
    let mut request = request.clone();
    let first = store.search_text(Some(expr), &request, &Budget::unlimited()).await.unwrap();
    let mut ids: Vec<i64> = first.hits.iter().map(|h| h.id).collect();
    let mut next = first.next;
    while let Some(after) = next {
        request.after = Some(after);
        let page = store.search_text(Some(expr), &request, &Budget::unlimited()).await.unwrap();
        ids.extend(page.hits.iter().map(|h| h.id));
        next = page.next;
    }
    (ids, first)
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids
}

/// The ids and highlighted title fragments of a page, by id.
fn highlights(r: &SearchResults) -> Vec<(i64, Vec<String>, Vec<String>)> {
    let marked = |fs: &[search::Fragment]| {
        fs.iter().filter(|f| f.highlighted).map(|f| f.text.clone()).collect::<Vec<_>>()
    };
    let mut v: Vec<_> =
        r.hits.iter().map(|h| (h.id, marked(&h.title), marked(&h.snippet))).collect();
    v.sort();
    v
}

/// Compares one query on both backends: same set of documents under every sort (each
/// walked through its cursors, each in its order), equal totals when both are exact, and
/// on a page holding every match, the same highlights and facets.
async fn compare(store: &Store, index: &SearchIndex, q: &str) -> usize {
    let Ok(expr) = query::parse(q) else { return 0 };
    let mut found = 0;
    for (sort, limit) in [(Sort::Relevance, 100), (Sort::Newest, 7), (Sort::Reach, 5)] {
        let request = SearchRequest { sort, limit, facets: true, ..SearchRequest::default() };
        let (t_ids, t_first) = walk_tantivy(index, &expr, &request);
        let (p_ids, p_first) = walk_postgres(store, &expr, &request).await;
        if sort != Sort::Relevance {
            // Time and reach orders are the same facts on both sides.
            assert_eq!(p_ids, t_ids, "{q:?} sorted {sort:?}");
        }
        let (t_set, p_set) = (sorted(t_ids.clone()), sorted(p_ids));
        assert_eq!(p_set, t_set, "{q:?} sorted {sort:?}");
        let mut dedup = t_set.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), t_set.len(), "{q:?}: a cursor walk repeats a result");
        if t_first.total_exact && p_first.total_exact {
            assert_eq!(p_first.total, t_first.total, "{q:?} total");
        }
        if sort == Sort::Relevance && t_first.next.is_none() {
            assert_eq!(highlights(&p_first), highlights(&t_first), "{q:?} highlights");
            let (tf, pf) = (t_first.facets.unwrap(), p_first.facets.unwrap());
            if tf.exact && pf.exact {
                assert_eq!(pf, tf, "{q:?} facets");
            }
        }
        found = t_set.len();
    }
    found
}

#[tokio::test]
async fn postgres_and_tantivy_find_the_same_documents() {
    let Some(base) = store::testing::postgres_base_url() else {
        eprintln!(
            "skipped: set {} to compare the PostgreSQL search backend with tantivy",
            store::testing::POSTGRES_ENV
        );
        return;
    };
    let store = Store::open(&store::testing::fresh_postgres_url(&base).await).await.unwrap();
    store.use_lexemes(true).await.unwrap();

    // Generated documents and queries, as the accent property test makes them, from a
    // fixed seed so a failure repeats.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut docs: Vec<Written> = FIXED
        .iter()
        .map(|(s, t, b, l)| (s.to_string(), t.to_string(), b.to_string(), l.to_string()))
        .collect();
    let names = ["Báo A", "Báo B", "Tuổi Trẻ"];
    for i in 0..240 {
        let title = text().new_tree(&mut runner).unwrap().current();
        let body = text().new_tree(&mut runner).unwrap().current();
        docs.push((names[i % 3].to_owned(), title, body, "vi".to_owned()));
    }
    let (_dir, index) = load(&store, &docs).await;

    let mut queries: Vec<String> = QUERIES.iter().map(|q| q.to_string()).collect();
    for _ in 0..400 {
        queries.push(query().new_tree(&mut runner).unwrap().current());
    }
    let (mut ran, mut matching) = (0, 0);
    for q in &queries {
        // Both backends refuse what the parser refuses.
        if query::parse(q).is_err() {
            continue;
        }
        ran += 1;
        if compare(&store, &index, q).await > 0 {
            matching += 1;
        }
    }
    // The corpus is meant to exercise matches, not only empty answers.
    assert!(ran >= 300 && matching * 2 >= ran, "{matching} of {ran} queries match something");
    store.close().await;
}

#[tokio::test]
async fn filters_cursors_and_revisions_on_postgres() {
    let Some(base) = store::testing::postgres_base_url() else {
        eprintln!(
            "skipped: set {} to test the PostgreSQL search backend",
            store::testing::POSTGRES_ENV
        );
        return;
    };
    let store = Store::open(&store::testing::fresh_postgres_url(&base).await).await.unwrap();
    store.use_lexemes(true).await.unwrap();
    let docs: Vec<Written> = (0..30)
        .map(|i| {
            let name = ["Báo A", "Báo B"][i % 2];
            let body =
                if i % 3 == 0 { "bệnh sốt xuất huyết tăng" } else { "trời mưa to" };
            (name.to_owned(), format!("Tin số {i}"), body.to_owned(), "vi".to_owned())
        })
        .collect();
    let (_dir, index) = load(&store, &docs).await;
    let expr = query::parse("sốt OR mưa").unwrap();
    let ids = store.documents_after(0, 100).await.unwrap();
    let first_source = ids[0].doc.source_id;
    let filters = [
        Filter { sources: Some(vec![first_source]), ..Filter::default() },
        Filter { sources: Some(vec![]), ..Filter::default() },
        Filter { provinces: vec!["79".into()], ..Filter::default() },
        Filter { rules: vec!["rumor.x".into()], ..Filter::default() },
        Filter { kinds: vec![RuleKind::Topic], ..Filter::default() },
        Filter { from: Some(now() - Duration::hours(10)), until: Some(now()), ..Filter::default() },
        Filter { documents: Some(ids.iter().take(5).map(|d| d.id).collect()), ..Filter::default() },
    ];
    for filter in filters {
        for sort in [Sort::Relevance, Sort::Newest, Sort::Reach] {
            let request = SearchRequest {
                sort,
                limit: 4,
                filter: filter.clone(),
                facets: true,
                ..SearchRequest::default()
            };
            let (t, tf) = walk_tantivy(&index, &expr, &request);
            let (p, pf) = walk_postgres(&store, &expr, &request).await;
            assert_eq!(sorted(p.clone()), sorted(t.clone()), "{filter:?} {sort:?}");
            if sort != Sort::Relevance {
                assert_eq!(p, t, "{filter:?} {sort:?}");
            }
            assert_eq!((pf.total, pf.total_exact), (tf.total, tf.total_exact), "{filter:?}");
            assert_eq!(pf.facets, tf.facets, "{filter:?}");
        }
        // Offsets as well as cursors.
        let request = SearchRequest { limit: 3, offset: 4, filter, ..SearchRequest::default() };
        let t = index.search_filtered(Some(&expr), &request, &Budget::unlimited()).unwrap();
        let p = store.search_text(Some(&expr), &request, &Budget::unlimited()).await.unwrap();
        assert_eq!(p.hits.len(), t.hits.len());
        assert_eq!(p.next.is_some(), t.next.is_some());
    }
    // A search without a query lists what the filter admits.
    let request = SearchRequest { sort: Sort::Newest, limit: 100, ..SearchRequest::default() };
    let all = store.search_text(None, &request, &Budget::unlimited()).await.unwrap();
    assert_eq!(all.total, 30);

    // A revision queues its document again, and its new text is what is found.
    let target = ids[1].id;
    assert!(
        store
            .search_text(
                Some(&query::parse("\"cúm gia cầm\"").unwrap()),
                &request,
                &Budget::unlimited()
            )
            .await
            .unwrap()
            .hits
            .is_empty()
    );
    let mut new = ids[1].doc.clone();
    new.body = "Dịch cúm gia cầm bùng phát.".into();
    new.content_hash = "revised".into();
    let revised = store
        .revise(&[store::Revision { id: target, new: Processed::new(new, vec![]) }], now())
        .await
        .unwrap();
    assert_eq!(revised, [target]);
    assert_eq!(store.lexemes_pending().await.unwrap(), 1);
    // Two fillers at once take disjoint rows and leave nothing behind.
    let (a, b) = tokio::join!(store.fill_lexemes(1), store.fill_lexemes(1));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(store.lexemes_pending().await.unwrap(), 0);
    let found = store
        .search_text(
            Some(&query::parse("\"cúm gia cầm\"").unwrap()),
            &request,
            &Budget::unlimited(),
        )
        .await
        .unwrap();
    assert_eq!(found.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [target]);
    assert_eq!(
        found.hits[0]
            .snippet
            .iter()
            .filter(|f| f.highlighted)
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>(),
        ["cúm gia cầm"]
    );

    // A spent budget stops the search with the budget's error.
    let spent = Budget::with_timeout(std::time::Duration::ZERO);
    assert!(matches!(
        store.search_text(Some(&expr), &request, &spent).await,
        Err(search::Error::TooExpensive { .. })
    ));
    store.close().await;
}

#[tokio::test]
async fn lossy_documents_have_their_phrases_checked() {
    let Some(base) = store::testing::postgres_base_url() else {
        eprintln!(
            "skipped: set {} to test the PostgreSQL search backend",
            store::testing::POSTGRES_ENV
        );
        return;
    };
    let store = Store::open(&store::testing::fresh_postgres_url(&base).await).await.unwrap();
    store.use_lexemes(true).await.unwrap();
    // More than 256 of one syllable, and a phrase past position 16383: PostgreSQL keeps
    // neither position, so the phrase is found by checking the text.
    let long =
        format!("{} sốt xuất huyết. {} cuối bài", "mưa ".repeat(300), "nắng ".repeat(17_000));
    let docs: Vec<Written> = vec![
        ("Báo A".into(), "Dài".into(), long, "vi".into()),
        ("Báo A".into(), "Ngắn".into(), "sốt xuất huyết cuối bài".into(), "vi".into()),
        ("Báo A".into(), "Khác".into(), "cuối cùng thì bài viết".into(), "vi".into()),
        // More distinct words than a tsvector holds: it keeps those that fit.
        (
            "Báo A".into(),
            "Số".into(),
            (100_000..160_000).map(|n| n.to_string()).collect::<Vec<_>>().join(" "),
            "vi".into(),
        ),
    ];
    let (_dir, index) = load(&store, &docs).await;
    for q in
        ["\"cuối bài\"", "\"sốt xuất huyết\"", "\"mưa mưa\"", "\"nắng cuối\"", "bài -\"cuối bài\""]
    {
        assert!(compare(&store, &index, q).await > 0 || q.starts_with("bài"), "{q}");
    }
    assert_eq!(compare(&store, &index, "100000 100001").await, 1);
    store.close().await;
}

#[tokio::test]
async fn lexemes_are_queued_only_while_switched_on() {
    let Some(base) = store::testing::postgres_base_url() else {
        eprintln!(
            "skipped: set {} to test the PostgreSQL search backend",
            store::testing::POSTGRES_ENV
        );
        return;
    };
    let store = Store::open(&store::testing::fresh_postgres_url(&base).await).await.unwrap();
    let doc = |i: usize| {
        ("Báo A".to_owned(), format!("Tin số {i}"), "trời mưa to".to_owned(), "vi".to_owned())
    };
    // Off, as a database searched through the tantivy index is: nothing queues.
    let _ = load(&store, &[doc(0), doc(1)]).await;
    assert_eq!(store.lexemes_pending().await.unwrap(), 0);
    // On: what was stored before is queued, and so is what is stored after.
    store.use_lexemes(true).await.unwrap();
    assert_eq!(store.lexemes_pending().await.unwrap(), 2);
    store.use_lexemes(true).await.unwrap();
    assert_eq!(store.lexemes_pending().await.unwrap(), 2, "switching on twice queues once");
    // Off again: the queue goes, and new documents do not queue.
    store.use_lexemes(false).await.unwrap();
    assert_eq!(store.lexemes_pending().await.unwrap(), 0);
    store.close().await;
}
