//! Indexing and searching Vietnamese text on a real on-disk index.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use search::{IndexDoc, SearchIndex, Sort};

fn doc(id: i64, title: &str, body: &str, hour: u32) -> IndexDoc {
    IndexDoc {
        id,
        title: vi_text::display(title),
        body: vi_text::display(body),
        source: "Báo A".into(),
        url: format!("https://a.vn/{id}"),
        time: Utc.with_ymd_and_hms(2026, 11, 20, hour, 0, 0).unwrap(),
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
