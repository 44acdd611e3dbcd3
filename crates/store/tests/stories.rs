//! Stories as stored: placements on documents, alerts per (rule, story), and merges that
//! carry documents and alerts along, on every configured back end.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, TimeZone, Utc};
use model::{Hit, MatchedTerm, NewDocument, RuleKind, Severity, SourceTier, Story};
use store::{NewSource, Placement, Processed, StoryQuery, StoryUpdate};

fn now() -> model::Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

fn doc(source_id: i64, n: u32) -> NewDocument {
    NewDocument {
        source_id,
        url: format!("https://a.vn/{n}"),
        title: format!("Thần dược số {n}"),
        summary: String::new(),
        body: "Bài viết về thần dược chữa ung thư.".to_owned(),
        author: None,
        published_at: Some(now() - Duration::hours(i64::from(n))),
        fetched_at: now(),
        language: "vi".to_owned(),
        content_hash: format!("h{n}"),
        post: None,
    }
}

/// The press outlet every test's documents come from; its id.
async fn outlet(store: &store::Store) -> i64 {
    let s = NewSource {
        name: "Báo A".into(),
        url: "https://a.vn/rss".into(),
        tier: SourceTier::Press,
        ..NewSource::default()
    };
    store.upsert_source(&s, now()).await.unwrap().id
}

fn rumour() -> Hit {
    Hit {
        rule_id: "rumor.than-duoc".into(),
        rule_title: "Thần dược".into(),
        kind: RuleKind::Rumor,
        severity: Severity::High,
        terms: vec![MatchedTerm {
            field: "title", start: 0, end: 12, term: "thần dược".into()
        }],
    }
}

fn story(id: i64, origin: i64, source: i64) -> StoryUpdate {
    StoryUpdate {
        story: Story {
            id,
            title: format!("Câu chuyện {id}"),
            origin_document: origin,
            origin_source: source,
            origin_source_name: String::new(),
            origin_basis: "earliest".into(),
            province: Some("79".into()),
            first_seen: now() - Duration::hours(3),
            last_seen: now(),
            documents: 1,
            sightings: 1,
            outlets: 1,
        },
        relations: Vec::new(),
    }
}

#[tokio::test]
async fn alerts_follow_stories_and_merges_keep_one_incident() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let sid = outlet(&store).await;
        assert_eq!(store.next_story_id().await.unwrap(), 1);
        // Documents 1 and 2 are two stories (7 and 9); document 3 near-copies 2.
        let batch: Vec<Processed> =
            (1..=3).map(|n| Processed::new(doc(sid, n), vec![rumour()])).collect();
        let stored = store
            .insert_batch_placed(
                &batch,
                &mut store::placing(|group, inserted| {
                    assert_eq!(group, 0);
                    inserted
                        .iter()
                        .map(|i| Placement {
                            document_id: i.id,
                            story: Some(if i.batch_index == 0 { 7 } else { 9 }),
                            copy_of: (i.batch_index == 2).then(|| inserted[1].id),
                        })
                        .collect()
                }),
            )
            .await
            .unwrap();
        let ids: Vec<i64> = stored.inserted.iter().map(|i| i.id).collect();
        assert_eq!(store.next_story_id().await.unwrap(), 10, "{backend}");
        let board = store.alert_board(None, 10).await.unwrap();
        let mut subjects: Vec<&str> = board.iter().map(|e| e.alert.subject.as_str()).collect();
        subjects.sort_unstable();
        assert_eq!(subjects, ["story:7", "story:9"], "{backend}: one alert per story");
        let nine = board.iter().find(|e| e.alert.subject == "story:9").unwrap();
        assert_eq!(nine.alert.doc_count, 2);

        store.save_stories(&[story(7, ids[0], sid), story(9, ids[1], sid)], now()).await.unwrap();
        let listed =
            store.stories(&StoryQuery { limit: 10, ..StoryQuery::default() }).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].origin_source_name, "Báo A");
        let by_province =
            StoryQuery { province: Some("01".into()), limit: 10, ..StoryQuery::default() };
        assert!(store.stories(&by_province).await.unwrap().is_empty());
        let by_rule =
            StoryQuery { rule: Some("rumor.than-duoc".into()), limit: 10, ..StoryQuery::default() };
        assert_eq!(store.stories(&by_rule).await.unwrap().len(), 2, "{backend}");
        let other =
            StoryQuery { rule: Some("rumor.khac".into()), limit: 10, ..StoryQuery::default() };
        assert!(store.stories(&other).await.unwrap().is_empty());

        // Story 9 turns out to be story 7's event.
        store.merge_stories(&[(9, 7)], chrono::Utc::now()).await.unwrap();
        assert!(store.story(9).await.unwrap().is_none());
        let docs = store.story_documents(7, 10).await.unwrap();
        assert_eq!(docs.len(), 3, "{backend}");
        let board = store.alert_board(None, 10).await.unwrap();
        assert_eq!(board.len(), 1, "{backend}: {board:#?}");
        assert_eq!(board[0].alert.subject, "story:7");
        assert_eq!(board[0].alert.doc_count, 3);
        assert_eq!(store.story_alerts(7).await.unwrap().len(), 1);
        assert!(store.story_alerts(9).await.unwrap().is_empty());
        assert_eq!(store.alert_documents(board[0].alert.id, 10).await.unwrap().len(), 3);
    }
}

/// Records what a refresh asked for and got.
struct Recording {
    known: Vec<i64>,
    texts: Vec<(i64, String)>,
}

impl store::StorySummary for Recording {
    fn wants_text(&self, member: &store::StoryMember) -> bool {
        !self.known.contains(&member.sighting.document_id)
    }

    fn summarise(&mut self, stories: &[store::StoryDigest]) -> Vec<StoryUpdate> {
        let members = &stories[0].members;
        self.texts = members.iter().map(|m| (m.sighting.document_id, m.text.clone())).collect();
        vec![story(members[0].story_id, members[0].sighting.document_id, 1)]
    }
}

#[tokio::test]
async fn a_refresh_reads_only_the_texts_its_caller_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let sid = outlet(&store).await;
        let batch: Vec<Processed> = (1..=3)
            .map(|n| {
                let mut d = doc(sid, n);
                d.summary = format!("Sa pô {n}.");
                d.body = format!("Theo TTXVN, bài {n}. {}", "Nội dung dài. ".repeat(40));
                Processed::new(d, Vec::new())
            })
            .collect();
        let stored = store.insert_batch_placed(&batch, &mut store::into_story(5)).await.unwrap();
        let ids: Vec<i64> = stored.inserted.iter().map(|i| i.id).collect();
        let mut summary = Recording { known: vec![ids[1]], texts: Vec::new() };
        store.refresh_stories(&[5], now(), &mut summary).await.unwrap();
        // Earliest first (document 3 was published first); the known one without its text.
        let got: Vec<i64> = summary.texts.iter().map(|t| t.0).collect();
        assert_eq!(got, [ids[2], ids[1], ids[0]], "{backend}");
        assert_eq!(summary.texts[1].1, "", "{backend}");
        for (id, text) in [&summary.texts[0], &summary.texts[2]] {
            let n = ids.iter().position(|i| i == id).unwrap() + 1;
            assert!(
                text.starts_with(&format!("Sa pô {n}.\nTheo TTXVN, bài {n}.")),
                "{backend}: {text}"
            );
            // The head and the tail, each of `ATTRIBUTION_CHARS` characters, on either side
            // of a line break (the head has one of its own, after the lead).
            assert_eq!(text.chars().count(), 2 * store::ATTRIBUTION_CHARS + 1, "{backend}");
            let tail = text.rsplit_once('\n').unwrap().1;
            assert_eq!(tail.chars().count(), store::ATTRIBUTION_CHARS, "{backend}");
            assert!(tail.trim_end().ends_with("Nội dung dài."), "{backend}: {tail}");
        }
        assert_eq!(store.story(5).await.unwrap().unwrap().origin_document, ids[2], "{backend}");
        // Read for a page, every text is there.
        let members = store.story_members(&[5]).await.unwrap();
        assert!(members.iter().all(|m| !m.text.is_empty()), "{backend}");
    }
}

/// A caller that holds a new document's text makes what a refresh would read of it
/// itself: the same characters as the store's query, at every length around the limit.
#[tokio::test]
async fn the_attribution_text_made_from_a_document_is_what_the_store_reads() {
    let dir = tempfile::tempdir().unwrap();
    let n = store::ATTRIBUTION_CHARS;
    let long = |c: &str, k: usize| c.repeat(k);
    let cases: Vec<(String, String)> = vec![
        (String::new(), String::new()),
        (String::new(), "Theo TTXVN.".into()),
        ("Sa pô.".into(), long("ầ", n - 1)),
        ("Sa pô.".into(), long("ầ", n)),
        ("Sa pô.".into(), long("ầ", n + 1)),
        (long("ệ", n - 1), "Theo VnExpress".into()),
        (long("ệ", n), long("a", 2 * n)),
        (String::new(), format!("{}Nguồn: Bộ Y tế{}", long("x", n), long("ữ", n - 7))),
        ("Dòng một\nDòng hai".into(), "🦠 Theo Dân trí 🦠".into()),
    ];
    for (backend, store) in store::testing::stores(dir.path()).await {
        let sid = outlet(&store).await;
        let batch: Vec<Processed> = cases
            .iter()
            .enumerate()
            .map(|(k, (summary, body))| {
                let mut d = doc(sid, k as u32 + 1);
                d.summary = summary.clone();
                d.body = body.clone();
                Processed::new(d, Vec::new())
            })
            .collect();
        let stored = store.insert_batch_placed(&batch, &mut store::into_story(8)).await.unwrap();
        assert_eq!(stored.inserted.len(), cases.len(), "{backend}");
        for m in store.story_members(&[8]).await.unwrap() {
            let k = stored.inserted.iter().find(|i| i.id == m.sighting.document_id).unwrap();
            let (summary, body) = &cases[k.batch_index];
            assert_eq!(m.text, store::attribution_text(summary, body), "{backend}: case {k:?}");
        }
    }
}

/// Keeps the digests a refresh reads; saves nothing.
struct Digesting(Vec<store::StoryDigest>);

impl store::StorySummary for Digesting {
    fn wants_text(&self, member: &store::StoryMember) -> bool {
        member.sighting.document_id % 2 == 0
    }

    fn summarise(&mut self, stories: &[store::StoryDigest]) -> Vec<StoryUpdate> {
        self.0 = stories.to_vec();
        Vec::new()
    }
}

/// A refresh has the database count a story and reads only the sightings its first
/// publisher is chosen among: the digest says what reading every sighting says, for a
/// story past `PROVENANCE_SIGHTINGS` with copies, several outlets and provinces, times
/// published after their fetch or not at all, and sightings related before.
#[tokio::test]
async fn a_story_digest_says_what_every_sighting_says() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let mut outlets = vec![outlet(&store).await];
        for name in ["Báo B", "Trang C"] {
            let s = NewSource {
                name: name.into(),
                url: format!("https://{}.vn/rss", name.len()),
                tier: SourceTier::Press,
                ..NewSource::default()
            };
            outlets.push(store.upsert_source(&s, now()).await.unwrap().id);
        }
        // Each batch seen a day after the one before.
        let item = |n: u32, url: String, source: i64, day: i64| {
            let mut d = doc(source, n);
            d.url = url;
            d.fetched_at = now() + Duration::days(day) - Duration::minutes(i64::from(n % 90) * 17);
            d.published_at = match n % 5 {
                0 => None,
                1 => Some(d.fetched_at + Duration::minutes(9)),
                _ => Some(d.fetched_at - Duration::minutes(i64::from(n % 13) * 31)),
            };
            d.body = format!("Bài {n}. {}", "Nội dung. ".repeat(n as usize % 70));
            let mut p = Processed::new(d, Vec::new());
            p.places.province = ["01", "79", "48"].get(n as usize % 4).map(|p| (*p).to_owned());
            p
        };
        let first: Vec<Processed> = (1..=150)
            .map(|n| item(n, format!("https://a.vn/{n}"), outlets[n as usize % 3], 0))
            .collect();
        store.insert_batch_placed(&first, &mut store::into_story(5)).await.unwrap();
        // The earliest 120 were related by an earlier refresh.
        let related: Vec<store::SightingRelation> = store
            .story_members(&[5])
            .await
            .unwrap()
            .iter()
            .take(120)
            .map(|m| store::SightingRelation {
                sighting_id: m.sighting_id,
                relation: "republication_unattributed".into(),
                lag_minutes: 3,
                anomalies: vec!["before_origin".into()],
            })
            .collect();
        let update = StoryUpdate { relations: related, ..story(5, 1, outlets[0]) };
        store.save_stories(&[update], now()).await.unwrap();
        // Copies of the first sixty elsewhere, forty new documents, and another story.
        let mut second: Vec<Processed> = (1..=60)
            .map(|n| item(n, format!("https://b.vn/{n}"), outlets[(n as usize + 1) % 3], 1))
            .collect();
        second.extend((151..=190).map(|n| item(n, format!("https://a.vn/{n}"), outlets[0], 1)));
        let stored = store.insert_batch_placed(&second, &mut store::into_story(5)).await.unwrap();
        assert_eq!((stored.copies.len(), stored.inserted.len()), (60, 40), "{backend}");
        let other: Vec<Processed> =
            (191..=195).map(|n| item(n, format!("https://c.vn/{n}"), outlets[2], 2)).collect();
        store.insert_batch_placed(&other, &mut store::into_story(6)).await.unwrap();

        let mut digesting = Digesting(Vec::new());
        store.refresh_stories(&[5, 6, 7], now(), &mut digesting).await.unwrap();
        let digests = digesting.0;
        assert_eq!(digests.iter().map(|d| d.story_id).collect::<Vec<_>>(), [5, 6], "{backend}");
        for digest in &digests {
            let all = store.story_members(&[digest.story_id]).await.unwrap();
            let at = |m: &store::StoryMember| match m.sighting.published_at {
                Some(p) if p <= m.sighting.fetched_at => p,
                _ => m.sighting.fetched_at,
            };
            let documents: BTreeMap<i64, Option<&str>> =
                all.iter().map(|m| (m.sighting.document_id, m.province.as_deref())).collect();
            let mut provinces: BTreeMap<String, i64> = BTreeMap::new();
            for p in documents.values().flatten() {
                *provinces.entry((*p).to_owned()).or_default() += 1;
            }
            let outlets: BTreeSet<i64> = all.iter().map(|m| m.sighting.source_id).collect();
            let mut got_provinces = digest.provinces.clone();
            got_provinces.sort();
            let story = digest.story_id;
            assert_eq!(digest.sightings, all.len() as i64, "{backend} {story}");
            assert_eq!(digest.documents, documents.len() as i64, "{backend} {story}");
            assert_eq!(digest.outlets, outlets.len() as i64, "{backend} {story}");
            assert_eq!(digest.first_seen, all.iter().map(at).min().unwrap(), "{backend} {story}");
            assert_eq!(digest.last_seen, all.iter().map(at).max().unwrap(), "{backend} {story}");
            assert_eq!(got_provinces, provinces.into_iter().collect::<Vec<_>>(), "{backend}");
            // The earliest hundred and those not yet related, in the same order, each with
            // its text where the summary wants it.
            let chosen: Vec<&store::StoryMember> = all
                .iter()
                .enumerate()
                .filter(|(i, m)| *i < store::PROVENANCE_SIGHTINGS || m.relation.is_none())
                .map(|(_, m)| m)
                .collect();
            let ids = |ms: &mut dyn Iterator<Item = &store::StoryMember>| {
                ms.map(|m| m.sighting_id).collect::<Vec<_>>()
            };
            assert_eq!(
                ids(&mut digest.members.iter()),
                ids(&mut chosen.iter().copied()),
                "{backend} {story}"
            );
            for (got, want) in digest.members.iter().zip(&chosen) {
                assert_eq!(got.relation, want.relation, "{backend}");
                assert_eq!((&got.title, &got.province), (&want.title, &want.province));
                let text = if got.sighting.document_id % 2 == 0 { want.text.as_str() } else { "" };
                assert_eq!(got.text, text, "{backend} sighting {}", got.sighting_id);
            }
        }
        let big = &digests[0];
        // The first day's earliest hundred, its thirty not related, the second day's hundred.
        assert_eq!((big.sightings, big.members.len()), (250, 230), "{backend}");
        assert!(big.first_seen < big.last_seen && big.provinces.len() == 3, "{backend}");
    }
}

/// What a restart replays: placed documents fetched since a time and seen since then by
/// their story time; an old article fetched lately stays out, however many there are.
#[tokio::test]
async fn a_restart_replays_the_documents_seen_lately() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let sid = outlet(&store).await;
        let since = now() - Duration::days(10);
        let cases = [
            // (published, fetched, replayed)
            (Some(now() - Duration::days(1)), now(), true),
            (Some(now() - Duration::days(30)), now(), false),
            (None, now(), true),
            // Published after its fetch: seen when fetched.
            (Some(now() + Duration::days(3)), now() - Duration::days(2), true),
            (Some(now() - Duration::days(11)), now() - Duration::days(11), false),
            (Some(since), since, true),
        ];
        let batch: Vec<Processed> = cases
            .iter()
            .enumerate()
            .map(|(k, (published, fetched, _))| {
                let mut d = doc(sid, k as u32 + 1);
                (d.published_at, d.fetched_at) = (*published, *fetched);
                Processed::new(d, Vec::new())
            })
            .collect();
        let stored = store.insert_batch_placed(&batch, &mut store::into_story(3)).await.unwrap();
        let ids: Vec<i64> = stored.inserted.iter().map(|i| i.id).collect();
        let mut replayed = Vec::new();
        let mut after = 0;
        loop {
            let page = store.placed_documents_since(since, after, 2).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.0.id;
            replayed.extend(page.iter().map(|(d, story, _)| (d.id, *story)));
        }
        let want: Vec<(i64, i64)> =
            cases.iter().zip(&ids).filter(|(c, _)| c.2).map(|(_, id)| (*id, 3)).collect();
        assert_eq!(replayed, want, "{backend}");
    }
}
