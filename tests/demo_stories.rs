//! `langnghe demo` tells its two stories through the API and the pages: the papaya-leaf
//! rumour is one story seen on four outlets with its first publisher and a timeline in
//! time order, and today's dengue incidents in Đồng Nai raise a spike alert that explains
//! itself, with the province's trend chart on the trends page.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Demo, eventually, login, start_demo, within};

/// The outlet that publishes the rumour first, as the demo names it.
fn rumour_publisher() -> String {
    demo::bundled()
        .into_iter()
        .find(|o| o.slug == demo::rumour::RUMOUR_OUTLET)
        .map(|o| o.name)
        .unwrap()
}

/// The rumour's title, as the demo writes it.
fn rumour_title() -> String {
    demo::bundled()
        .into_iter()
        .flat_map(|o| o.items)
        .find(|i| i.slug == demo::rumour::RUMOUR_ITEM)
        .map(|i| i.title)
        .unwrap()
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> Option<Value> {
    let res = client.get(url).bearer_auth(token).send().await.ok()?;
    if !res.status().is_success() {
        return None;
    }
    res.json().await.ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_shows_the_rumour_story_and_the_dengue_spike() {
    let dir = tempfile::tempdir().unwrap();
    // Spike scans keep their default interval: new documents bring the next scan forward,
    // which is what a newcomer's first minute relies on.
    let Demo { mut running, base, token } = start_demo(dir.path()).await;
    let http = reqwest::Client::new();

    // The rumour: one story, four sightings on four outlets, first published by the outlet
    // that wrote it.
    let title = rumour_title();
    let rumour = eventually(Duration::from_secs(60), "the rumour's story on four outlets", || {
        let (http, base, token, title) = (&http, &base, &token, &title);
        async move {
            let v =
                get(http, &format!("{base}/api/v1/stories?rule=rumor.than-duoc&limit=100"), token)
                    .await?;
            v["stories"]
                .as_array()?
                .iter()
                .find(|s| s["title"] == title.as_str() && s["sightings"] == 4)
                .cloned()
        }
    })
    .await;
    assert_eq!(rumour["outlets"], 4, "{rumour}");
    assert_eq!(rumour["first_publisher"]["source"], rumour_publisher().as_str(), "{rumour}");
    let id = rumour["id"].as_i64().unwrap();
    let story = get(&http, &format!("{base}/api/v1/stories/{id}"), &token).await.unwrap();
    let timeline = story["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 4, "{story}");
    let sources: Vec<&str> = timeline.iter().map(|t| t["source"].as_str().unwrap()).collect();
    let distinct: std::collections::BTreeSet<_> = sources.iter().collect();
    assert_eq!(distinct.len(), 4, "{sources:?}");
    assert_eq!(sources[0], rumour_publisher(), "{story}");
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = timeline
        .iter()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t["published_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "not in time order: {story}");

    // The spike: a dengue alert for Đồng Nai that says what it saw, against what, by which
    // method.
    let province = demo::history::SPIKE_PROVINCE;
    // A loaded machine (the whole suite on two cores) may take minutes to fetch every
    // outlet and scan after the last of them; on a timeout the message lists the spike
    // alerts there were, so a failure says what the scans saw.
    let seen = std::sync::Mutex::new(String::new());
    let spike = within(Duration::from_secs(300), || {
        let (http, base, token, seen) = (&http, &base, &token, &seen);
        async move {
            let v = get(http, &format!("{base}/api/v1/alerts?limit=1000"), token).await?;
            let alerts = v["alerts"].as_array()?;
            let spikes: Vec<String> = alerts
                .iter()
                .filter(|a| a["kind"] == "spike")
                .map(|a| format!("{} {} {}", a["rule"], a["subject"], a["detail"]["bucket"]))
                .collect();
            *seen.lock().unwrap() = spikes.join("; ");
            alerts
                .iter()
                .find(|a| {
                    // The day's spike: early in a Vietnamese day its hours can spike too.
                    a["kind"] == "spike"
                        && a["detail"]["bucket"] != "hour"
                        && a["rule"] == demo::history::SPIKE_TOPIC
                        && a["subject"]
                            .as_str()
                            .is_some_and(|s| s.starts_with(&format!("spike:{province}:")))
                })
                .cloned()
        }
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "timed out waiting for the dengue spike in Đồng Nai; spike alerts: {}",
            seen.lock().unwrap()
        )
    });
    let detail = &spike["detail"];
    let observed = detail["observed"].as_f64().unwrap();
    let threshold = detail["threshold"].as_f64().unwrap();
    assert!(observed >= 10.0 && observed > threshold, "{spike}");
    assert!(detail["expected"].as_f64().unwrap() < threshold, "{spike}");
    assert!(detail["method"].as_str().is_some_and(|m| !m.is_empty()), "{spike}");
    // Its stories are today's distinct incidents, also listed as the province's stories.
    let listed = get(
        &http,
        &format!(
            "{base}/api/v1/stories?province={province}&rule={}&since=2&limit=100",
            demo::history::SPIKE_TOPIC
        ),
        &token,
    )
    .await
    .unwrap();
    assert!(listed["stories"].as_array().unwrap().len() >= 10, "{listed}");

    // The trends page draws the province's series.
    let (browser, status) = login(&base, "demo", "demo").await;
    assert!(status.is_success());
    let page = browser
        .get(format!("{base}/trends?province={province}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg"), "{page}");
    assert!(running.terminate());
}
