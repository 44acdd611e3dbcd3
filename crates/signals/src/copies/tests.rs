//! Shingles, signatures and the index on small hand-made texts.

use super::*;

fn at(h: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_752_300_000 + h * 3600, 0).unwrap()
}

const BODY: &str = "Sáng 12/7, Trung tâm Kiểm soát bệnh tật tỉnh cho biết trong tuần qua toàn tỉnh \
    ghi nhận 215 ca sốt xuất huyết, tăng 40 ca so với tuần trước. Các ca bệnh tập trung ở \
    khu vực ven sông, nơi có nhiều dụng cụ chứa nước. Ngành y tế đã phun hóa chất diệt muỗi \
    tại 12 ổ dịch và vận động người dân diệt bọ gậy, ngủ màn kể cả ban ngày.";

#[test]
fn syllables_keep_fields_apart_and_mark_numbers() {
    let s = Syllables::from_text("Sốt xuất huyết", "Tăng 40 ca", BODY);
    assert_eq!(s.title().len(), 3);
    assert_eq!(s.lead().len(), 3);
    assert!(is_number(s.lead()[1]));
    assert!(!is_number(s.lead()[0]));
    assert_eq!(s.len(), s.title().len() + s.lead().len() + s.body().len());
    // Tokens the caller already has give the same hashes as the text.
    let tokens = vi_text::tokenize(BODY);
    assert_eq!(
        Syllables::from_tokens(&[], &[], &tokens).all(),
        Syllables::from_text("", "", BODY).all()
    );
}

#[test]
fn match_forms_decide_not_spelling_or_case() {
    // Old and new tone placement, composed and decomposed, upper and lower case.
    let a = Syllables::from_text("", "", "Hòa Bình THÚY");
    let b = Syllables::from_text("", "", "hoà bình thuý");
    let c = Syllables::from_text("", "", "Ho\u{300}a Bi\u{300}nh Thu\u{301}y");
    assert_eq!(a.all(), b.all());
    assert_eq!(a.all(), c.all());
}

#[test]
fn shingles_are_sorted_distinct_and_need_five_syllables() {
    let s = Syllables::from_text("", "", "một hai ba bốn năm sáu một hai ba bốn năm");
    let sh = shingles(s.all());
    assert!(sh.windows(2).all(|w| w[0] < w[1]));
    // 7 windows, two of them the same ("một hai ba bốn năm").
    assert_eq!(sh.len(), 6);
    assert_eq!(shingles(&s.all()[..3]).len(), 1);
}

#[test]
fn documents_under_the_syllable_floor_are_skipped() {
    let params = Params::default();
    let long_title = "sốt ".repeat(60);
    assert!(CopyDoc::new(&Syllables::from_text(&long_title, "", "ngắn quá"), &params).is_none());
    assert!(CopyDoc::new(&Syllables::from_text("", "", BODY), &params).is_some());
}

#[test]
fn identical_texts_agree_everywhere_and_different_ones_rarely() {
    let params = Params::default();
    let a = CopyDoc::new(&Syllables::from_text("", "", BODY), &params).unwrap();
    let b = CopyDoc::new(&Syllables::from_text("", "", BODY), &params).unwrap();
    assert_eq!(a.signature().estimate(b.signature()), 1.0);
    assert_eq!(a.compare(&b), (1.0, 1.0));
    let other = "Bộ Y tế vừa ban hành hướng dẫn mới về tiêm chủng mở rộng cho trẻ em dưới \
        một tuổi, bổ sung vắc xin phòng tiêu chảy do rota virus và vắc xin phế cầu. Các \
        địa phương cần chuẩn bị dây chuyền lạnh, tập huấn cán bộ y tế và truyền thông cho \
        phụ huynh trước khi triển khai từ tháng 9.";
    let c = CopyDoc::new(&Syllables::from_text("", "", other), &params).unwrap();
    assert!(a.signature().estimate(c.signature()) < 0.1);
    assert_eq!(a.compare(&c).0, 0.0);
}

#[test]
fn a_trimmed_copy_is_found_through_its_containment() {
    let params = Params::default();
    let mut index = CopyIndex::new(params);
    let original = format!("{BODY} Người dân khi sốt cao cần đến cơ sở y tế để được khám.");
    index.insert(
        7,
        at(0),
        CopyDoc::new(&Syllables::from_text("", "", &original), &params).unwrap(),
    );
    let excerpt = CopyDoc::new(&Syllables::from_text("", "", BODY), &params).unwrap();
    let found = index.find_copy(&excerpt).unwrap();
    assert_eq!(found.of, 7);
    assert!(found.containment > 0.99 && found.jaccard < 1.0);
}

#[test]
fn the_best_match_wins_and_ties_go_to_the_earliest() {
    let params = Params::default();
    let mut index = CopyIndex::new(params);
    let doc = || CopyDoc::new(&Syllables::from_text("", "", BODY), &params).unwrap();
    index.insert(9, at(2), doc());
    index.insert(8, at(1), doc());
    assert_eq!(index.find_copy(&doc()).map(|m| m.of), Some(8));
    assert_eq!(index.candidates(doc().signature()), vec![8, 9]);
    // Re-inserting an id replaces it.
    index.insert(9, at(0), doc());
    assert_eq!(index.len(), 2);
    assert_eq!(index.find_copy(&doc()).map(|m| m.of), Some(9));
    assert!(index.remove(9));
    assert!(!index.remove(9));
    assert_eq!(index.find_copy(&doc()).map(|m| m.of), Some(8));
}

#[test]
fn densification_fills_every_bin_from_a_filled_one() {
    let one = Signature::of(&[1, 2, 3]).unwrap();
    let mut values: Vec<u32> = one.0.to_vec();
    values.sort_unstable();
    values.dedup();
    assert!(values.len() <= 3);
}

#[test]
fn signatures_and_bands_are_pinned() {
    // Stored signatures depend on these values: a change here is a format change.
    let set: Vec<u32> = (1..=100).map(|i| i * 7919).collect();
    let sig = Signature::of(&set).unwrap();
    let fold = |v: &[u64]| v.iter().fold(0u64, |h, &x| mix64(h ^ x));
    let values: Vec<u64> = sig.0.iter().map(|&v| u64::from(v)).collect();
    assert_eq!(fold(&values), 0x8bcc_79c2_5c45_a606);
    assert_eq!(fold(&sig.bands()), 0x841c_6eeb_4328_d077);
    let s = Syllables::from_forms(["sốt"], [], ["xuất", "huyết", "tăng", "mạnh"]);
    assert_eq!(shingles(s.all()), [0x6da5_7128]);
}

proptest::proptest! {
    #[test]
    fn comparing_with_thresholds_keeps_exactly_the_pairs_that_pass(
        shared in proptest::collection::btree_set(0u32..1_000_000, 0..600),
        only_a in proptest::collection::btree_set(1_000_000u32..2_000_000, 0..900),
        only_b in proptest::collection::btree_set(2_000_000u32..3_000_000, 0..900),
        min_jaccard in 0.0f32..1.0,
        min_containment in 0.0f32..1.0,
        floor in proptest::prop_oneof![proptest::strategy::Just(0.0f32), 0.0f32..1.0],
    ) {
        let doc = |own: &std::collections::BTreeSet<u32>| scattered(shared.iter().chain(own).copied());
        let (a, b) = (doc(&only_a), doc(&only_b));
        let (jaccard, containment) = a.compare(&b);
        let want = ((jaccard >= min_jaccard || containment >= min_containment)
            && jaccard >= floor)
            .then_some((jaccard, containment));
        proptest::prop_assert_eq!(a.compare_passing(&b, min_jaccard, min_containment, floor), want);
        proptest::prop_assert_eq!(b.compare_passing(&a, min_jaccard, min_containment, floor), want);
    }
}

/// A document of these shingles, scattered as hashes are (a bijection), so that shingles
/// from different sources interleave.
fn scattered(shingles: impl IntoIterator<Item = u32>) -> CopyDoc {
    let mut shingles: Vec<u32> =
        shingles.into_iter().map(|x| x.wrapping_mul(2_654_435_761)).collect();
    shingles.sort_unstable();
    shingles.dedup();
    let signature = Signature::of(&shingles).unwrap_or(Signature([0; SIGNATURE_LEN]));
    CopyDoc { shingles: shingles.into_boxed_slice(), signature }
}

/// A document made of some of `paragraphs` (by the bits of `pick`) and shingles of its
/// own.
fn recombined(paragraphs: &[Vec<u32>], pick: u32, own: &[u32]) -> CopyDoc {
    scattered(
        paragraphs
            .iter()
            .enumerate()
            .filter(|(i, _)| pick & (1 << i) != 0)
            .flat_map(|(_, p)| p.iter().copied())
            .chain(own.iter().copied()),
    )
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn the_copy_found_is_the_best_of_every_candidate_compared_in_full(
        picks in proptest::collection::vec((1u32..256, 0i64..48), 1..60),
        probe in 1u32..256,
        own in proptest::collection::vec(10_000u32..20_000, 0..30),
    ) {
        // Eight paragraphs of 40 shingles: documents that recombine them are copies of
        // each other to every degree, as republished news is.
        let paragraphs: Vec<Vec<u32>> =
            (0..8u32).map(|p| (0..40).map(|k| p * 1_000 + k).collect()).collect();
        let params = Params::default();
        let mut index = CopyIndex::new(params);
        let mut docs = std::collections::HashMap::new();
        for (id, &(pick, hour)) in picks.iter().enumerate() {
            let id = id as i64 + 1;
            let doc = recombined(&paragraphs, pick, &[]);
            docs.insert(id, (doc.clone(), at(hour)));
            index.insert(id, at(hour), doc);
        }
        let new = recombined(&paragraphs, probe, &own);
        // Every candidate compared in full, the best chosen as find_copy documents it.
        let mut want: Option<(CopyMatch, DateTime<Utc>)> = None;
        for id in index.candidates(new.signature()) {
            let (doc, when) = &docs[&id];
            let (jaccard, containment) = new.compare(doc);
            if jaccard < params.min_jaccard && containment < params.min_containment {
                continue;
            }
            let better = want.as_ref().is_none_or(|(b, t)| {
                (jaccard, containment) > (b.jaccard, b.containment)
                    || ((jaccard, containment) == (b.jaccard, b.containment) && (*when, id) < (*t, b.of))
            });
            if better {
                want = Some((CopyMatch { of: id, jaccard, containment }, *when));
            }
        }
        proptest::prop_assert_eq!(index.find_copy(&new), want.map(|(m, _)| m));
    }
}
