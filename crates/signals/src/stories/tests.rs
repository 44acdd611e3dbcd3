//! The vector, the join rule and first-publisher attribution on small hand-made texts.

use super::*;

fn at(h: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_752_300_000 + h * 3600, 0).unwrap()
}

/// The item vector and probe terms of a document.
fn vector(c: &mut Clusterer, s: &Syllables, now: DateTime<Utc>) -> (Vector, Vec<u64>) {
    c.vectorise(s, None, now);
    (c.scratch.item.clone(), c.scratch.probe.clone())
}

fn syl(title: &str, lead: &str) -> Syllables {
    Syllables::from_text(title, lead, "")
}

#[test]
fn the_stop_list_is_about_150_syllables_and_matches_tokens() {
    assert!((150..=200).contains(&stop::len()), "{}", stop::len());
    for word in ["của", "được", "Những", "NGƯỜI", "hôm"] {
        let t = vi_text::tokenize(word);
        assert!(stop::is_stop(crate::copies::syllable(&t[0].matched)), "{word}");
    }
    for word in ["sốt", "dại", "Bạch", "mai", "tin", "toàn"] {
        let t = vi_text::tokenize(word);
        assert!(!stop::is_stop(crate::copies::syllable(&t[0].matched)), "{word}");
    }
}

#[test]
fn vectors_are_unit_length_capped_and_skip_stop_syllables_and_numbers() {
    let mut c = Clusterer::new(Params::default());
    let s = syl("Hà Nội có 1.215 ca sốt xuất huyết", "và của được các những trong");
    let (v, probe) = vector(&mut c, &s, at(0));
    // hà, nội, ca, sốt, xuất, huyết and the bigrams hà nội, ca sốt, sốt xuất, xuất huyết
    // ("có" and the number break the runs).
    assert_eq!(v.len(), 10, "{v:?}");
    assert_eq!(probe.len(), 10);
    assert!(v.windows(2).all(|w| w[0].0 < w[1].0));
    let norm: f32 = v.iter().map(|(_, w)| w * w).sum();
    assert!((norm - 1.0).abs() < 1e-5);
    let long: String = (0..200u8)
        .map(|i| format!("k{}{} ", char::from(b'a' + i / 26), char::from(b'a' + i % 26)))
        .collect();
    let (v, probe) = vector(&mut c, &Syllables::from_text("", "", &long), at(0));
    assert_eq!(v.len(), 60);
    assert_eq!(probe.len(), 10);
}

#[test]
fn idf_favours_rare_terms_and_forgets_with_time() {
    let mut c = Clusterer::new(Params::default());
    for h in 0..20 {
        vector(&mut c, &syl("sốt xuất huyết", ""), at(h));
    }
    let (v, _) = vector(&mut c, &syl("sốt xuất huyết Đan Phượng", ""), at(20));
    let weight = |form: &str| {
        let h = crate::copies::syllable(form);
        v.iter().find(|(t, _)| *t == h).map(|(_, w)| *w).unwrap()
    };
    let early = weight("phượng") / weight("sốt");
    assert!(early > 2.0, "{early}");
    // Two months later the old documents count for little (2^(-60/14) each).
    let (v, _) = vector(&mut c, &syl("sốt xuất huyết Đan Phượng", ""), at(24 * 60));
    let weight = |form: &str| {
        let h = crate::copies::syllable(form);
        v.iter().find(|(t, _)| *t == h).map(|(_, w)| *w).unwrap()
    };
    let late = weight("phượng") / weight("sốt");
    assert!(late > 1.0 && late < early / 2.0, "{late} vs {early}");
    assert_eq!(c.evict(at(24 * 60)), 0);
}

#[test]
fn a_copy_joins_its_original_without_scoring() {
    let mut c = Clusterer::new(Params::default());
    let a = c.assign(
        &StoryInput {
            id: 1, syllables: &syl("Ngộ độc methanol ở TP.HCM", ""), copy_of: None
        },
        at(0),
    );
    let unrelated = syl("Bé trai mắc cúm A/H5N1", "");
    let b = c.assign(&StoryInput { id: 2, syllables: &unrelated, copy_of: Some(1) }, at(1));
    assert_eq!((b.story, b.via, b.new_story), (a.story, Via::CopyOf, false));
    // A copy of a document no longer held is scored like any other.
    let d = c.assign(&StoryInput { id: 3, syllables: &unrelated, copy_of: Some(99) }, at(2));
    assert_ne!(d.via, Via::CopyOf);
}

#[test]
fn a_known_document_stays_put() {
    let mut c = Clusterer::new(Params::default());
    let s = syl("Ngộ độc methanol ở TP.HCM", "Năm công nhân nhập viện sau khi uống rượu");
    let a = c.assign(&StoryInput { id: 1, syllables: &s, copy_of: None }, at(0));
    let b = c.assign(&StoryInput { id: 1, syllables: &s, copy_of: None }, at(1));
    assert_eq!((b.story, b.via), (a.story, Via::Known));
    assert_eq!(c.members(a.story), &[1]);
}

#[test]
fn inactive_stories_take_no_new_members() {
    let mut c = Clusterer::new(Params::default());
    let s = syl("Ngộ độc methanol ở TP.HCM", "Năm công nhân nhập viện sau khi uống rượu");
    let a = c.assign(&StoryInput { id: 1, syllables: &s, copy_of: None }, at(0));
    let b = c.assign(&StoryInput { id: 2, syllables: &s, copy_of: None }, at(71));
    assert_eq!(b.story, a.story);
    let d = c.assign(&StoryInput { id: 3, syllables: &s, copy_of: None }, at(71 + 73));
    assert!(d.new_story);
    // The merge pass then joins the two: alike, and within 7 days of each other.
    assert_eq!(c.merge_pass(at(71 + 73)), vec![(d.story, a.story)]);
    assert_eq!(c.story_of(3), Some(a.story));
    assert_eq!(c.time_range(a.story), Some((at(0), at(144))));
}

#[test]
fn a_merge_decided_elsewhere_leaves_the_same_stories() {
    let s = syl("Ngộ độc methanol ở TP.HCM", "Năm công nhân nhập viện sau khi uống rượu");
    let place = |c: &mut Clusterer| {
        let a = c.assign(&StoryInput { id: 1, syllables: &s, copy_of: None }, at(0));
        let d = c.assign(&StoryInput { id: 3, syllables: &s, copy_of: None }, at(71 + 73));
        (a.story, d.story)
    };
    let (mut here, mut there) =
        (Clusterer::new(Params::default()), Clusterer::new(Params::default()));
    let (a, d) = place(&mut here);
    assert_eq!(place(&mut there), (a, d));
    assert_eq!(here.merge_pass(at(71 + 73)), vec![(d, a)]);
    assert!(there.apply_merge(d, a));
    assert_eq!((there.story_of(3), there.members(a)), (Some(a), &[1, 3][..]));
    assert_eq!(there.time_range(a), here.time_range(a));
    assert_eq!(there.len(), 1);
    // Applied twice, or for a story not held, nothing changes.
    assert!(!there.apply_merge(d, a));
    // A story whose partner is gone here carries on under the partner's key.
    let mut alone = Clusterer::new(Params::default());
    let only = alone.assign(&StoryInput { id: 3, syllables: &s, copy_of: None }, at(0)).story;
    assert!(alone.apply_merge(only, StoryKey(77)));
    assert_eq!((alone.story_of(3), alone.members(StoryKey(77))), (Some(StoryKey(77)), &[3][..]));
    assert!(alone.members(only).is_empty());
    let next = alone.assign(&StoryInput { id: 4, syllables: &s, copy_of: None }, at(1));
    assert_eq!(next.story, StoryKey(77));
}
#[test]
fn stored_keys_are_restored_and_allocation_continues_after_them() {
    let s = syl("Ngộ độc methanol ở TP.HCM", "Năm công nhân nhập viện sau khi uống rượu");
    let docs = vec![
        Replay { id: 1, syllables: s.clone(), copy_of: None, at: at(0), story: Some(StoryKey(40)) },
        Replay { id: 2, syllables: s.clone(), copy_of: None, at: at(1), story: Some(StoryKey(40)) },
    ];
    let mut c = Clusterer::rebuild(Params::default(), StoryKey(7), docs);
    assert_eq!(c.next_key(), StoryKey(41));
    assert_eq!(c.members(StoryKey(40)), &[1, 2]);
    let other = syl("Bé trai mắc cúm A/H5N1 ở Tây Ninh", "");
    assert_eq!(
        c.assign(&StoryInput { id: 3, syllables: &other, copy_of: None }, at(2)).story,
        StoryKey(41)
    );
}

#[test]
fn new_stories_take_keys_from_the_range_given() {
    let s = syl("Ngộ độc methanol ở TP.HCM", "Năm công nhân nhập viện sau khi uống rượu");
    let mut c = Clusterer::new(Params::default());
    let a = c.assign(&StoryInput { id: 1, syllables: &s, copy_of: None }, at(0));
    assert_eq!(a.story, StoryKey(1));
    c.allocate_from(StoryKey(500));
    let other = syl("Bé trai mắc cúm A/H5N1 ở Tây Ninh", "");
    let b = c.assign(&StoryInput { id: 2, syllables: &other, copy_of: None }, at(1));
    assert_eq!((b.story, c.next_key()), (StoryKey(500), StoryKey(501)));
    // A story held before keeps its key and its members.
    let again = c.assign(&StoryInput { id: 3, syllables: &s, copy_of: None }, at(2));
    assert_eq!(again.story, StoryKey(1));
}

mod origin {
    use super::super::origin::*;
    use super::at;

    fn outlets() -> Outlets {
        Outlets::new([
            Outlet { source: 1, name: "VnExpress – Sức khỏe", aliases: &["vnexpress.net"] },
            Outlet { source: 2, name: "Tuổi Trẻ Online", aliases: &["Tuổi Trẻ"] },
            Outlet { source: 3, name: "Báo Dân trí", aliases: &["Dân trí", "dantri.com.vn"] },
            Outlet { source: 4, name: "TTXVN", aliases: &["Thông tấn xã Việt Nam"] },
            Outlet { source: 5, name: "Báo Mới", aliases: &[] },
            Outlet { source: 6, name: "Sở Y tế Hà Nội", aliases: &[] },
            Outlet { source: 7, name: "VnExpress – Thời sự", aliases: &[] },
        ])
    }

    fn credited(head: &str, tail: &str) -> Option<Vec<i64>> {
        let o = outlets();
        attribution(&o, head, tail).map(|e| {
            let s = o.clone();
            first_sources(&s, e)
        })
    }

    fn first_sources(o: &Outlets, e: usize) -> Vec<i64> {
        o.sources_of(e).to_vec()
    }

    #[test]
    fn credit_lines_name_outlets_with_or_without_diacritics() {
        assert_eq!(credited("Theo VnExpress\n\nSáng 12/7, ...", ""), Some(vec![1, 7]));
        assert_eq!(credited("", "... không qua khỏi.\n\n(Theo TTXVN)"), Some(vec![4]));
        assert_eq!(
            credited("", "... không qua khỏi.\n\nTheo Thông tấn xã Việt Nam"),
            Some(vec![4])
        );
        assert_eq!(credited("Theo báo Dân trí, sáng 12/7 ...", ""), Some(vec![3]));
        assert_eq!(credited("Theo bao Dan tri, sang 12/7 ...", ""), Some(vec![3]));
        assert_eq!(credited("", "Nguồn: Tuổi Trẻ Online"), Some(vec![2]));
        assert_eq!(credited("", "Nguon: dantri.com.vn"), Some(vec![3]));
        assert_eq!(credited("Hà Nội (TTXVN) - Ngày 14/7, ...", ""), Some(vec![4]));
        assert_eq!(credited("(Dân trí) - Sau bữa trưa ...", ""), Some(vec![3]));
    }

    #[test]
    fn citing_an_authority_in_a_report_is_no_credit() {
        assert_eq!(credited("Sáng 12/7, theo Sở Y tế Hà Nội cho biết tuần qua ...", ""), None);
        assert_eq!(
            credited("Tuần qua ...\nTheo Sở Y tế Hà Nội, các ca bệnh tập trung ở ...", ""),
            None
        );
        assert_eq!(credited("Nguồn lây bệnh là muỗi vằn ...", ""), None);
        assert_eq!(credited("Theo bác sĩ Trung tâm Chống độc, ...", ""), None);
        assert_eq!(credited("Nguồn tin từ Sở Y tế Hà Nội cho biết ...", ""), None);
        assert_eq!(credited("Theo trang tin điện tử Dân trí\n\n...", ""), Some(vec![3]));
        assert_eq!(credited("Người dân (tuổi trẻ và người già) ...", ""), None);
    }

    fn sighting<'a>(
        document: i64,
        source: i64,
        tier: Tier,
        published: Option<i64>,
        fetched: i64,
        head: &'a str,
    ) -> Sighting<'a> {
        Sighting {
            document,
            source,
            source_name: "",
            tier,
            published: published.map(|m| at(0) + chrono::TimeDelta::minutes(m)),
            fetched: at(0) + chrono::TimeDelta::minutes(fetched),
            head,
            tail: "",
        }
    }

    #[test]
    fn a_credit_beats_an_earlier_clock() {
        let s = [
            sighting(10, 2, Tier::Press, Some(0), 5, "Theo VnExpress\n\n..."),
            sighting(11, 1, Tier::Press, Some(20), 25, "Sáng nay ..."),
            sighting(12, 5, Tier::Aggregator, Some(30), 31, "Sáng nay ..."),
        ];
        let p = first_publisher(&s, &outlets()).unwrap();
        assert_eq!((p.origin, p.basis), (1, OriginBasis::Attribution));
        let r: Vec<Relation> = p.members.iter().map(|m| m.relation).collect();
        assert_eq!(
            r,
            [Relation::RepublicationAttributed, Relation::Origin, Relation::AggregatorCopy]
        );
        assert_eq!(p.members[0].anomalies, [Anomaly::BeforeOrigin]);
        assert_eq!(p.members[0].lag, chrono::TimeDelta::minutes(-20));
        assert_eq!(p.members[2].anomalies, [Anomaly::AggregatorTooEarly]);
    }

    #[test]
    fn an_aggregator_never_wins_while_the_press_has_it() {
        let s = [
            sighting(20, 5, Tier::Aggregator, Some(0), 1, "..."),
            sighting(21, 2, Tier::Press, Some(90), 95, "..."),
        ];
        let p = first_publisher(&s, &outlets()).unwrap();
        assert_eq!((p.origin, p.basis), (1, OriginBasis::Earliest));
        // Credited by a press member, it still does not win.
        let s = [
            sighting(20, 5, Tier::Aggregator, Some(0), 1, "..."),
            sighting(21, 2, Tier::Press, Some(90), 95, "Theo Báo Mới\n\n..."),
        ];
        assert_eq!(first_publisher(&s, &outlets()).unwrap().origin, 1);
        let s = [
            sighting(20, 5, Tier::Aggregator, Some(30), 31, "..."),
            sighting(22, 5, Tier::Aggregator, None, 10, "..."),
        ];
        let p = first_publisher(&s, &outlets()).unwrap();
        assert_eq!((p.origin, p.basis), (1, OriginBasis::Uncertain));
        assert!(first_publisher(&[], &outlets()).is_none());
    }

    #[test]
    fn credits_are_followed_to_the_start_of_the_chain() {
        let s = [
            sighting(30, 5, Tier::Aggregator, Some(200), 201, "Theo Dân trí\n\n..."),
            sighting(31, 3, Tier::Press, Some(100), 101, "..."),
            sighting(32, 4, Tier::Press, Some(150), 151, "..."),
        ];
        let mut s = s;
        s[1].tail = "... \n\n(Theo TTXVN)";
        let p = first_publisher(&s, &outlets()).unwrap();
        assert_eq!((p.origin, p.basis), (2, OriginBasis::Attribution));
    }

    #[test]
    fn a_dateline_of_ones_own_is_no_credit_and_bad_clocks_are_flagged() {
        let s = [
            sighting(40, 3, Tier::Press, Some(60), 70, "(Dân trí) - Sáng nay ..."),
            sighting(41, 2, Tier::Press, Some(200), 30, "..."),
        ];
        let p = first_publisher(&s, &outlets()).unwrap();
        // Tuổi Trẻ's clock says 200 minutes but it was fetched at 30: its time is 30.
        assert_eq!((p.origin, p.basis), (1, OriginBasis::Earliest));
        assert_eq!(p.members[1].anomalies, [Anomaly::PublishedAfterFetch]);
        assert_eq!(p.members[1].time, at(0) + chrono::TimeDelta::minutes(30));
        assert_eq!(p.members[0].attribution, None);
        assert_eq!(p.members[0].relation, Relation::RepublicationUnattributed);
    }

    #[test]
    fn head_and_tail_cut_on_characters() {
        let text = "Sốt xuất huyết";
        assert_eq!(head_and_tail(text, 3), ("Sốt", "yết"));
        assert_eq!(head_and_tail(text, 100), (text, text));
        assert_eq!(head_and_tail(text, 0), ("", ""));
    }

    #[test]
    fn tiers_and_relations_have_stable_names() {
        for t in [Tier::Official, Tier::Press, Tier::Social, Tier::Aggregator] {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
        assert_eq!(Tier::parse("blog"), None);
        assert_eq!(Relation::AggregatorCopy.as_str(), "aggregator_copy");
    }
}
