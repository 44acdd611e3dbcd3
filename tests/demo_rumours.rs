//! `langnghe demo` shows rumours as people type them: the post typed without diacritics and
//! the teencode post each open an alert for their claim, the health department's debunk is
//! stored as refuting the first and shown on its alert without an alert of its own, and the
//! new rumour no rule knows is on the board as a low-severity suspicion.

use std::time::Duration;

use demo::social::{DEBUNK, NO_DIACRITICS, Planted, SUSPICIOUS, TEENCODE};
use serde_json::Value;

use crate::support::{Demo, eventually, login, start_demo};

/// A planted item's title, as the demo writes it.
fn title(p: &Planted) -> String {
    demo::corpus()
        .into_iter()
        .filter(|o| o.slug == p.outlet)
        .flat_map(|o| o.items)
        .find(|i| i.slug == p.item)
        .map(|i| i.title)
        .unwrap()
}

async fn alerts(http: &reqwest::Client, base: &str, token: &str) -> Option<Vec<Value>> {
    let res = http
        .get(format!("{base}/api/v1/alerts?limit=1000"))
        .bearer_auth(token)
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    res.json::<Value>().await.ok()?["alerts"].as_array().cloned()
}

/// Waits for an alert whose document has `title` and which `fits`.
async fn alert_on(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    title: &str,
    what: &str,
    fits: impl Fn(&Value) -> bool,
) -> Value {
    eventually(Duration::from_secs(60), what, || async {
        alerts(http, base, token)
            .await?
            .into_iter()
            .find(|a| a["document"]["title"] == title && fits(a))
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_raises_rumours_typed_bare_and_in_teencode_shows_the_debunk_and_the_suspicion() {
    let dir = tempfile::tempdir().unwrap();
    let Demo { mut running, base, token } = start_demo(dir.path()).await;
    let http = reqwest::Client::new();
    let (browser, status) = login(&base, "demo", "demo").await;
    assert!(status.is_success());

    // The two rumours: each an alert of its claim, opened by the post that carries it.
    let mut rumour_alerts = Vec::new();
    for p in [NO_DIACRITICS, TEENCODE] {
        let claim = p.claim.unwrap();
        let t = title(&p);
        let a = alert_on(&http, &base, &token, &t, &format!("an alert for {t:?}"), |a| {
            a["kind"] == "rumor" && a["rule"] == claim
        })
        .await;
        let page = alert_page(&browser, &base, &a).await;
        let (documents, _) = page.split_once("alert-counterpoints").unwrap_or((&page, ""));
        assert!(documents.contains(&t), "{t:?} not among the alert's documents: {page}");
        assert!(documents.contains("stance stance-carries"), "{t:?} does not carry: {page}");
        rumour_alerts.push((a, page));
    }

    // The debunk: on the alert of the post it quotes, as a refutation, not as one of its
    // documents, and with no alert of its own.
    let debunk = title(&DEBUNK);
    let (_, page) = &rumour_alerts[0];
    let (documents, counterpoints) =
        page.split_once("alert-counterpoints").unwrap_or_else(|| panic!("no refutation: {page}"));
    assert!(!documents.contains(&debunk), "the debunk carries the claim: {page}");
    assert!(counterpoints.contains("Bác bỏ"), "{page}");
    assert!(counterpoints.contains(&debunk), "the debunk is not shown: {page}");
    assert!(counterpoints.contains("stance stance-refutes"), "not stored as refuting: {page}");
    let all = alerts(&http, &base, &token).await.unwrap();
    let raised: Vec<&Value> = all.iter().filter(|a| a["document"]["title"] == debunk).collect();
    assert!(raised.is_empty(), "the debunk raised {raised:?}");

    // The new rumour: only the suspicion signal knows it, at low severity.
    let t = title(&SUSPICIOUS);
    let a = alert_on(&http, &base, &token, &t, "a suspicion for the new rumour", |a| {
        a["kind"] == "suspicion"
    })
    .await;
    assert_eq!(a["rule"], "suspicion.tin-gia", "{a}");
    assert_eq!(a["rule_title"], "Nghi vấn tin giả", "{a}");
    assert_eq!(a["severity"], "low", "{a}");
    let all = alerts(&http, &base, &token).await.unwrap();
    let others: Vec<&Value> =
        all.iter().filter(|x| x["document"]["title"] == t && x["kind"] != "suspicion").collect();
    assert!(others.is_empty(), "a rule knows the new rumour: {others:?}");
    assert!(running.terminate());
}

/// The alert's page, highlights taken out so titles read as written.
async fn alert_page(browser: &reqwest::Client, base: &str, alert: &Value) -> String {
    let id = alert["id"].as_i64().unwrap();
    let res = browser.get(format!("{base}/alerts/{id}")).send().await.unwrap();
    assert!(res.status().is_success(), "/alerts/{id}: {}", res.status());
    res.text().await.unwrap().replace("<mark>", "").replace("</mark>", "")
}
