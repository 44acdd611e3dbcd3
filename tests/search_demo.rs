//! `langnghe demo` searched as a spokesperson does, through HTTP: the dengue search with
//! facet counts, narrowed by province and topic to exactly the facet's count, a filter on
//! its own, the search page with its facets, an export, a saved search and a briefing pack.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Demo, eventually, login, start_demo};

async fn get(client: &reqwest::Client, url: &str, token: &str) -> Option<Value> {
    let res = client.get(url).bearer_auth(token).send().await.ok()?;
    if !res.status().is_success() {
        return None;
    }
    res.json().await.ok()
}

fn count(v: &Value, facet: &str, key: &str, value: &str) -> u64 {
    v["facets"][facet]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f[key] == value)
        .and_then(|f| f["count"].as_u64())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_is_searched_with_filters_facets_exports_and_a_briefing() {
    let dir = tempfile::tempdir().unwrap();
    let Demo { mut running, base, token } = start_demo(dir.path()).await;
    let http = reqwest::Client::new();
    let province = demo::history::SPIKE_PROVINCE;
    let topic = demo::history::SPIKE_TOPIC;

    // The spike's incidents are all in: the facets count them.
    let all = eventually(Duration::from_secs(90), "the demo's dengue news indexed", || {
        let (http, base, token) = (&http, &base, &token);
        async move {
            let v = get(
                http,
                &format!("{base}/api/v1/search?q=sot+xuat+huyet&facets=true&limit=5"),
                token,
            )
            .await?;
            (count(&v, "provinces", "code", province) >= demo::history::SPIKE_INCIDENTS as u64)
                .then_some(v)
        }
    })
    .await;
    // The demo is still storing its history: wait until the counts stop changing, so the
    // narrowed searches below see the same documents as these facets.
    let url = format!("{base}/api/v1/search?q=sot+xuat+huyet&facets=true&limit=5");
    let mut all = all;
    let mut same = 0;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Some(now) = get(&http, &url, &token).await else { continue };
        let key = |v: &Value| (v["total"].as_u64(), count(v, "provinces", "code", province));
        same = if key(&now) == key(&all) { same + 1 } else { 0 };
        all = now;
        if same >= 4 {
            break;
        }
    }
    assert!(same >= 4, "the demo's dengue counts kept changing: {all}");
    let in_province = count(&all, "provinces", "code", province);
    let narrowed = get(
        &http,
        &format!("{base}/api/v1/search?q=sot+xuat+huyet&province={province}&facets=true&limit=100"),
        &token,
    )
    .await
    .unwrap();
    assert_eq!(narrowed["total"].as_u64(), Some(in_province), "{narrowed}");
    assert!(narrowed["hits"].as_array().unwrap().iter().all(|h| h["province"] == province));
    let on_topic = count(&narrowed, "rules", "rule", topic);
    let both = get(
        &http,
        &format!("{base}/api/v1/search?q=sot+xuat+huyet&province={province}&topic={topic}&limit=1"),
        &token,
    )
    .await
    .unwrap();
    assert_eq!(both["total"].as_u64(), Some(on_topic), "{both}");
    // A filter alone: the social posts.
    let social =
        get(&http, &format!("{base}/api/v1/search?tier=social&sort=newest&limit=100"), &token)
            .await
            .unwrap();
    assert!(social["total"].as_u64().unwrap() > 0, "{social}");
    assert!(social["hits"].as_array().unwrap().iter().all(|h| h["tier"] == "social"));

    // The pages, as the demo user.
    let (browser, status) = login(&base, "demo", "demo").await;
    assert!(status.is_success(), "{status}");
    let page = browser
        .get(format!("{base}/search?q=sot+xuat+huyet&province={province}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Thống kê kết quả") && page.contains("Chủ đề và quy tắc"), "{page}");
    let csv = browser
        .get(format!("{base}/search/export.csv?q=sot+xuat+huyet&province={province}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.trim_end().lines().count() as u64, in_province + 1, "{csv}");
    let saved = browser.get(format!("{base}/saved")).send().await.unwrap();
    assert_eq!(saved.status(), reqwest::StatusCode::OK);
    let briefing = browser.get(format!("{base}/briefing/topic?rule={topic}")).send().await.unwrap();
    assert_eq!(briefing.status(), reqwest::StatusCode::OK);
    let text = briefing.text().await.unwrap();
    assert!(text.contains("Gói tư liệu chủ đề") && text.contains("Ai đã đăng tin"), "{text}");
    assert!(running.terminate());
}
