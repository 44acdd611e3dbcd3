//! Correction tracking end to end, on an injected clock, against a real store and a site on
//! 127.0.0.1 serving six outlets' pages (research wave 2 §5.2's fixture): A publishes a
//! formal correction, B republishes the office's statement, C answers 404 from +6 h, D
//! edits the sentence out, E leaves it (and answers 304 to conditional requests), F, an
//! aggregator, copies A's correction. Scans at t0 + 1 min, 1 h, 6 h, 24 h, 72 h, 7 days and
//! 14 days.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use alerts::corrections::Share;
use alerts::triage::{Actor, Command};
use chrono::{TimeDelta, TimeZone, Utc};
use jobs::{CorrectionScan, Refetcher, scan_corrections};
use model::{
    AlertAction, AlertState, CorrectionOutcome as O, Hit, MatchedTerm, NewDocument,
    ResponseChannel, Role, RuleKind, Severity, SourceTier, Story, Timestamp,
};
use store::{NewResponse, NewSource, Processed, Store, StoryUpdate};
use test_support::{Page, Request, Site};

const RULE: &str = "rumor.vac-xin-vo-sinh";
const CLAIM: &str = "Tiêm vắc xin phòng cúm gây vô sinh ở phụ nữ trẻ.";
const AGENT: &str = "langnghe-test/1 (+http://127.0.0.1/lien-he)";
const STATEMENT: &str = "Sở Y tế khẳng định vắc xin phòng cúm không gây vô sinh. Thông tin \
     lan truyền trên mạng xã hội là sai sự thật. Người dân yên tâm đưa con đi tiêm chủng.";

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap()
}

fn at(hours: i64) -> Timestamp {
    t0() + TimeDelta::hours(hours)
}

/// Every request the site got for `path`, oldest first.
fn requests(site: &Site, path: &str) -> Vec<Request> {
    site.received().into_iter().filter(|r| r.path == path).collect()
}

fn article(title: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>")).collect();
    format!(
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><header><nav><a href=\"/\">Trang chủ</a></nav></header><main><article>\
         <h1>{title}</h1>{body}</article></main><footer>Báo điện tử</footer></body></html>"
    )
}

const BEFORE: &str = "Một bài đăng trên mạng xã hội được chia sẻ hàng nghìn lần trong hai ngày qua \
     khiến nhiều phụ huynh lo lắng.";
const AFTER: &str = "Phóng viên đã liên hệ cơ quan y tế địa phương để xác minh thông tin và sẽ \
     tiếp tục cập nhật.";

fn rumour_text() -> String {
    format!("{BEFORE} {CLAIM} {AFTER}")
}

fn html(etag: &str, title: &str, paragraphs: &[&str]) -> Page {
    Page::ok("text/html; charset=utf-8", article(title, paragraphs))
        .with_header("ETag", &format!("\"{etag}\""))
}

fn doc(source_id: i64, url: String, title: &str, body: &str, when: Timestamp) -> NewDocument {
    NewDocument {
        source_id,
        url,
        title: title.to_owned(),
        summary: String::new(),
        body: body.to_owned(),
        author: None,
        published_at: Some(when),
        fetched_at: when,
        language: "vi".to_owned(),
        content_hash: format!("{title}|{body}"),
        post: None,
    }
}

/// The rumour rule's hit on a text, at "vô sinh" in the body's display form.
fn hit(body: &str) -> Vec<Hit> {
    let display = vi_text::display(body);
    let start = display.find("vô sinh").unwrap();
    vec![Hit {
        rule_id: RULE.into(),
        rule_title: "Tin đồn vắc xin gây vô sinh".into(),
        kind: RuleKind::Rumor,
        severity: Severity::High,
        terms: vec![MatchedTerm {
            field: "body",
            start,
            end: start + "vô sinh".len(),
            term: "vô sinh".into(),
        }],
    }]
}

async fn put_in_story(store: &Store, batch: Vec<Processed>) -> Vec<i64> {
    let stored = store.insert_batch_placed(&batch, &mut store::into_story(1)).await.unwrap();
    stored.inserted.iter().map(|i| i.id).collect()
}

struct Fixture {
    store: Store,
    site: Site,
    fetcher: Refetcher,
    alert: i64,
    sources: HashMap<&'static str, i64>,
}

const OUTLETS: [(&str, &str, SourceTier); 6] = [
    ("a", "Báo A", SourceTier::Press),
    ("b", "Báo B", SourceTier::Press),
    ("c", "Báo C", SourceTier::Press),
    ("d", "Báo D", SourceTier::Press),
    ("e", "Báo E", SourceTier::Press),
    ("f", "Trang F", SourceTier::Aggregator),
];

fn page_path(key: &str) -> String {
    format!("/{key}/suc-khoe/tin-vac-xin-{key}.html")
}

async fn fixture(store: Store) -> Fixture {
    let site = Site::start();
    let mut sources = HashMap::new();
    let mut batch = Vec::new();
    for (i, &(key, name, tier)) in OUTLETS.iter().enumerate() {
        let s = NewSource {
            name: name.into(),
            url: site.url(&format!("/{key}/rss.xml")),
            tier,
            allow_private: true,
            ..NewSource::default()
        };
        let id = store.upsert_source(&s, t0()).await.unwrap().id;
        sources.insert(key, id);
        // Each outlet's own wording around the same sentence.
        let title = format!("Lo ngại vắc xin phòng cúm ({name})");
        let body = format!("{} Bài {i}.", rumour_text());
        site.put(&page_path(key), html(&format!("{key}1"), &title, &[BEFORE, CLAIM, AFTER]));
        let when = t0() - TimeDelta::hours(12 - i as i64);
        batch.push(Processed::new(
            doc(id, site.url(&page_path(key)), &title, &body, when),
            hit(&body),
        ));
    }
    let docs = put_in_story(&store, batch).await;
    let story = Story {
        id: 1,
        title: "Tin đồn vắc xin phòng cúm gây vô sinh".into(),
        origin_document: docs[0],
        origin_source: sources["a"],
        origin_source_name: String::new(),
        origin_basis: "earliest".into(),
        province: None,
        first_seen: t0() - TimeDelta::hours(12),
        last_seen: t0(),
        documents: 6,
        sightings: 6,
        outlets: 6,
    };
    store.save_stories(&[StoryUpdate { story, relations: Vec::new() }], t0()).await.unwrap();

    let officer = store.create_user("can-bo", "x", Role::Officer, t0()).await.unwrap();
    let actor = Actor::User { id: officer.id, role: Role::Officer };
    let alert = store.alert_board(None, 10).await.unwrap()[0].alert.id;
    let early = t0() - TimeDelta::hours(3);
    store.act(alert, &Command::Acknowledge { priority: None }, actor, None, early).await.unwrap();
    let assign = Command::Assign { user: officer.id, role: Role::Officer };
    store.act(alert, &assign, actor, None, early).await.unwrap();
    store.act(alert, &Command::RequireResponse, actor, None, early).await.unwrap();
    let response = NewResponse {
        channel: ResponseChannel::Website,
        published_at: t0(),
        text: STATEMENT.into(),
        url: Some("https://soyte.example.gov.vn/thong-cao/vac-xin-cum".into()),
    };
    store.respond(alert, &response, actor, None, t0()).await.unwrap();

    let client = fetch::Client::new(&fetch::FetchConfig {
        user_agent: AGENT.into(),
        host_delay: Duration::from_millis(5),
        ..fetch::FetchConfig::default()
    })
    .unwrap();
    let fetcher = Refetcher::new(client, Arc::new(extract::Extractor::new()));
    Fixture { store, site, fetcher, alert, sources }
}

impl Fixture {
    async fn scan(&self, when: Timestamp) -> CorrectionScan {
        scan_corrections(&self.store, &self.fetcher, when).await.unwrap()
    }

    /// Each outlet's item outcome, in outlet order.
    async fn outcomes(&self) -> Vec<O> {
        let report = self.store.alert_corrections(self.alert).await.unwrap().unwrap();
        OUTLETS
            .iter()
            .map(|(key, _, _)| {
                let url = self.site.url(&page_path(key));
                report.carriers.iter().find(|c| c.url == url).unwrap().state.outcome
            })
            .collect()
    }

    async fn corrections(&self) -> Vec<serde_json::Value> {
        self.store
            .alert_events(self.alert)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == AlertAction::Correction)
            .map(|e| serde_json::from_str(e.data.as_deref().unwrap()).unwrap())
            .collect()
    }

    async fn publish(
        &self,
        key: &str,
        path: &str,
        title: &str,
        body: &str,
        when: Timestamp,
        hits: Vec<Hit>,
    ) -> Vec<i64> {
        let url = self.site.url(path);
        put_in_story(
            &self.store,
            vec![Processed::new(doc(self.sources[key], url, title, body, when), hits)],
        )
        .await
    }
}

#[tokio::test]
async fn six_outlets_are_followed_for_fourteen_days() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in store::testing::stores(dir.path()).await {
        let f = fixture(store).await;
        use O::{
            CarriedResponse as Carried, EditedOut as Edited, Refuted, TakenDown as Down,
            Unchanged as Up,
        };

        // A minute after the response: tracking starts, six carriers, nothing fetched yet.
        let s = f.scan(t0() + TimeDelta::minutes(1)).await;
        assert_eq!((s.started, s.items, s.fetches), (1, 6, 0), "{backend}: {s:?}");
        assert_eq!(f.store.alert(f.alert).await.unwrap().state, AlertState::Tracking);
        let track = f.store.alert_events(f.alert).await.unwrap().pop().unwrap();
        assert_eq!((track.action, track.actor), (AlertAction::Track, None));
        assert_eq!(f.outcomes().await, [Up; 6]);

        // +1 h: every page read once, all still carry the sentence.
        let s = f.scan(at(1)).await;
        assert_eq!((s.fetches, s.changes), (6, 0), "{backend}: {s:?}");
        let again = f.scan(at(1) + TimeDelta::minutes(1)).await;
        assert_eq!(again.fetches, 0, "one fetch per page per slot");
        let e_path = page_path("e");
        let first = &requests(&f.site, &e_path)[0];
        assert_eq!(first.header("user-agent"), Some(AGENT), "the crawler's own user agent");
        assert_eq!(first.header("if-none-match"), None);

        // B republishes the statement at +3 h (its text matches the rule too, and it is no
        // carrier); C's page is gone by +6 h.
        let b_body =
            format!("{STATEMENT} Trước đó, mạng xã hội lan truyền tin vắc xin gây vô sinh.");
        f.publish(
            "b",
            "/b/thoi-su/so-y-te-bac-tin-don.html",
            "Sở Y tế bác tin vắc xin gây vô sinh",
            &b_body,
            at(3),
            hit(&b_body),
        )
        .await;
        f.site.put(&page_path("c"), Page::not_found());
        let s = f.scan(at(6)).await;
        assert_eq!((s.fetches, s.changes), (6, 2), "{backend}: {s:?}");
        assert_eq!(f.outcomes().await, [Up, Carried, Down, Up, Up, Up], "{backend}");
        // E answered 304 to its validators.
        let e_requests = requests(&f.site, &e_path);
        assert_eq!(e_requests.len(), 2);
        assert_eq!(e_requests[1].header("if-none-match"), Some("\"e1\""));

        // A's formal correction at +20 h; D edits the sentence out before the +24 h check.
        let a_body = "Bài viết ngày 2/12 đưa thông tin vắc xin phòng cúm gây vô sinh là không chính xác. \
                      Báo A xin lỗi bạn đọc và Sở Y tế.";
        let correction = f
            .publish(
                "a",
                "/a/cai-chinh/thong-tin-cai-chinh.html",
                "Thông tin cải chính, xin lỗi bạn đọc",
                a_body,
                at(20),
                hit(a_body),
            )
            .await;
        f.site.put(
            &page_path("d"),
            html("d2", "Lo ngại vắc xin phòng cúm (Báo D)", &[BEFORE, AFTER]),
        );
        let s = f.scan(at(24)).await;
        assert_eq!((s.fetches, s.changes), (6, 2), "{backend}: {s:?}");
        assert_eq!(f.outcomes().await, [Refuted, Carried, Down, Edited, Up, Up], "{backend}");

        // F, an aggregator, copies A's correction word for word at +26 h: a sighting of A's
        // document under F. Later carriers: E again and a new page G, after the first day.
        f.publish(
            "f",
            "/f/tong-hop/cai-chinh.html",
            "Thông tin cải chính, xin lỗi bạn đọc",
            a_body,
            at(26),
            Vec::new(),
        )
        .await;
        let g = f
            .store
            .upsert_source(
                &NewSource {
                    name: "Trang G".into(),
                    url: f.site.url("/g/rss"),
                    tier: SourceTier::Social,
                    allow_private: true,
                    ..NewSource::default()
                },
                t0(),
            )
            .await
            .unwrap()
            .id;
        let late_body = format!("Chia sẻ lại: {CLAIM} Mọi người cẩn thận.");
        put_in_story(
            &f.store,
            vec![
                Processed::new(
                    doc(g, f.site.url("/g/1.html"), "Cảnh báo vắc xin", &late_body, at(30)),
                    hit(&late_body),
                ),
                Processed::new(
                    doc(
                        f.sources["e"],
                        f.site.url("/e/2.html"),
                        "Vắc xin và vô sinh",
                        &format!("{late_body} Bài hai."),
                        at(40),
                    ),
                    hit(&late_body),
                ),
            ],
        )
        .await;
        let s = f.scan(at(72)).await;
        assert_eq!((s.fetches, s.changes), (6, 1), "{backend}: {s:?}");
        assert_eq!(f.outcomes().await, [Refuted, Carried, Down, Edited, Up, Refuted], "{backend}");

        let s = f.scan(at(7 * 24)).await;
        assert_eq!((s.fetches, s.changes), (6, 0), "{backend}: {s:?}");
        assert_eq!(f.site.requests(&page_path("a")), 5, "one request per slot");
        assert!(f.scan(at(10 * 24)).await.fetches == 0, "no slot after a week");

        // Every outcome change is one event, saying who, where and why.
        let events = f.corrections().await;
        let summary: Vec<(String, String)> = events
            .iter()
            .map(|e| {
                (
                    e["source"].as_str().unwrap().to_owned(),
                    e["outcome"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let pairs: Vec<(&str, &str)> =
            summary.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("Báo B", "carried_response"),
                ("Báo C", "taken_down"),
                ("Báo A", "refuted"),
                ("Báo D", "edited_out"),
                ("Trang F", "refuted"),
            ],
            "{backend}"
        );
        assert_eq!(events[1]["status"], 404);
        assert_eq!(events[2]["basis"], "formal_title");
        assert_eq!(events[2]["evidence_document"], correction[0]);
        assert_eq!(
            events[4]["evidence_document"], correction[0],
            "F's copy is a sighting of A's document"
        );
        assert_eq!(events[0]["basis"], "response_text");

        let r = f.store.alert_corrections(f.alert).await.unwrap().unwrap();
        assert_eq!(
            r.carriers.len(),
            6,
            "{backend}: the correction and the statement are no carriers"
        );
        assert_eq!(r.formal_coverage, Share { part: 2, whole: 6 });
        assert_eq!(r.response_coverage, Share { part: 1, whole: 6 });
        assert_eq!(r.coverage, Share { part: 5, whole: 6 });
        assert_eq!(r.outstanding, ["Báo E"]);
        let reach = r.reach_weighted_coverage.unwrap();
        assert!((reach - 4200.0 / 5200.0).abs() < 1e-9, "{reach}");
        // B +3 h, C +6 h, A +20 h, D +24 h (the check that saw it), F +26 h.
        assert_eq!(r.median_time_to_correction, Some(TimeDelta::hours(20)));
        assert_eq!(
            (r.residual.items, r.residual.from_known_outlets, r.residual.from_new_outlets),
            (2, 1, 1)
        );
        assert_eq!(r.residual.new_outlets, ["Trang G"]);
        let origin = r.origin.clone().unwrap();
        assert!(origin.name == "Báo A" && origin.remedied, "{origin:?}");
        let c = r.carriers.iter().find(|c| c.outlet == "Báo C").unwrap();
        assert_eq!((c.checks, c.next_check, c.last_status), (5, None, Some(404)));
        assert!(r.window.finished_at.is_none());

        // Fourteen days after the response the system closes the alert with the figures.
        let s = f.scan(at(14 * 24)).await;
        assert_eq!((s.finished, s.closed), (1, 1), "{backend}: {s:?}");
        let alert = f.store.alert(f.alert).await.unwrap();
        assert_eq!(alert.state, AlertState::Closed);
        let close = f.store.alert_events(f.alert).await.unwrap().pop().unwrap();
        assert_eq!((close.action, close.actor, close.at), (AlertAction::Close, None, at(14 * 24)));
        let note = close.note.unwrap();
        assert!(note.contains("5/6") && note.contains("Chưa cải chính: Báo E."), "{note}");
        let s = f.scan(at(15 * 24)).await;
        assert_eq!((s.tracked, s.started, s.closed), (0, 0, 0), "{backend}: finished for good");
    }
}

#[tokio::test]
async fn the_run_loop_scans_on_its_clock_until_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("run.db")).await.unwrap();
    let f = fixture(store).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(jobs::run_corrections(
        f.store.clone(),
        f.fetcher.clone(),
        jobs::CorrectionConfig { interval: Duration::from_millis(50) },
        || at(2),
        async {
            let _ = stopped.await;
        },
    ));
    // The first scan starts tracking and reads every page once for the slot of +1 h.
    for _ in 0..200 {
        if f.site.requests(&page_path("f")) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    run.await.unwrap();
    assert_eq!(f.store.alert(f.alert).await.unwrap().state, AlertState::Tracking);
    for (key, _, _) in OUTLETS {
        assert_eq!(f.site.requests(&page_path(key)), 1, "{key}: several scans, one slot");
    }
}

#[tokio::test]
async fn redirects_revisions_and_social_posts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(&dir.path().join("more.db")).await.unwrap();
    let f = fixture(store).await;
    // Besides the six: a social post with its counts, which is never re-fetched.
    let page = f
        .store
        .upsert_source(
            &NewSource {
                name: "Nhóm P".into(),
                url: "/tmp/posts.jsonl".into(),
                kind: model::SourceKind::Import,
                tier: SourceTier::Social,
                ..NewSource::default()
            },
            t0(),
        )
        .await
        .unwrap()
        .id;
    let body = format!("Cả nhà ơi! {CLAIM} Chia sẻ ngay.");
    let mut post = doc(page, "https://facebook.com/groups/p/posts/1".into(), "", &body, at(-2));
    post.post = Some(model::Post {
        platform: "facebook".into(),
        reactions: Some(300),
        shares: Some(50),
        comments: Some(10),
    });
    put_in_story(&f.store, vec![Processed::new(post, hit(&body))]).await;
    let s = f.scan(t0() + TimeDelta::minutes(1)).await;
    assert_eq!(s.items, 7);

    // A sends its page to the home page, B's server fails, C's document is revised by the
    // pipeline without the claim.
    f.site.put("/", html("home", "Báo A - Trang chủ", &["Tin mới nhất trong ngày về y tế."]));
    f.site.put(&page_path("a"), Page::redirect(302, "/"));
    f.site.put(&page_path("b"), Page::status(503));
    let s = f.scan(at(1)).await;
    assert_eq!((s.fetches, s.changes), (6, 1), "{s:?}");
    let c_doc = f.store.alert_documents(f.alert, 20).await.unwrap();
    let c_doc = c_doc.iter().find(|d| d.doc.url == f.site.url(&page_path("c"))).unwrap();
    let mut revised = c_doc.doc.clone();
    revised.body = format!("{BEFORE} {AFTER}");
    revised.content_hash = "revised".into();
    let revision = store::Revision { id: c_doc.id, new: Processed::new(revised, Vec::new()) };
    assert_eq!(f.store.revise(&[revision], at(2)).await.unwrap(), [c_doc.id]);
    let s = f.scan(at(2)).await;
    assert_eq!((s.fetches, s.changes), (0, 1), "{s:?}: no slot due, the revision read");

    let r = f.store.alert_corrections(f.alert).await.unwrap().unwrap();
    let by = |outlet: &str| r.carriers.iter().find(|c| c.outlet == outlet).unwrap().clone();
    let a = by("Báo A");
    assert_eq!(
        (a.state.outcome, a.basis),
        (O::TakenDown, Some(alerts::corrections::Basis::Redirected))
    );
    let b = by("Báo B");
    assert_eq!((b.state.outcome, b.last_status, b.checks), (O::Unchanged, Some(503), 1));
    let c = by("Báo C");
    assert_eq!(
        (c.state.outcome, c.basis),
        (O::EditedOut, Some(alerts::corrections::Basis::Revision))
    );
    assert_eq!((c.evidence_document, c.state.outcome_at), (Some(c_doc.id), Some(at(2))));
    let p = by("Nhóm P");
    assert_eq!((p.reach, p.reach_basis), (360, alerts::corrections::ReachBasis::Engagement));
    assert_eq!((p.checks, p.next_check), (0, None), "a post is not a page to ask for again");
    assert_eq!(r.coverage, Share { part: 2, whole: 7 });
    let weighted = r.reach_weighted_coverage.unwrap();
    assert!((weighted - 2000.0 / 5560.0).abs() < 1e-9, "{weighted}");
}
