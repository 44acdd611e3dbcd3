//! The demo corpus: the hand-written outlets embedded from `corpus/*.toml`, the generated
//! history and the rumour's carriers.

use chrono::{DateTime, Utc};
use serde::Deserialize;

const FILES: [&str; 5] = [
    include_str!("../corpus/1-suc-khoe-cong-dong.toml"),
    include_str!("../corpus/2-tin-tuc-thu-do.toml"),
    include_str!("../corpus/3-nhip-song-phuong-nam.toml"),
    include_str!("../corpus/4-so-y-te-binh-an.toml"),
    include_str!("../corpus/5-goc-chia-se.toml"),
];

/// A fictional outlet and its items.
#[derive(Debug, Clone, Deserialize)]
pub struct Outlet {
    /// Path segment of its feed.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// `rss`, `atom` or `json`.
    pub format: String,
    /// Credibility tier (`official`, `press`, `aggregator`, `social`).
    pub tier: String,
    /// Its items, newest first or not: order does not matter.
    #[serde(default)]
    pub items: Vec<Item>,
}

/// One article or post.
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    /// Path segment of its page.
    pub slug: String,
    /// How long before the feed was rendered it was published.
    pub hours_ago: i64,
    /// Byline.
    pub author: String,
    /// Title (may contain HTML entities, which feeds escape once more).
    pub title: String,
    /// Lead.
    pub summary: String,
    /// Text.
    pub body: String,
}

#[derive(Deserialize)]
struct File {
    outlet: Outlet,
    items: Vec<Item>,
}

/// Every demo outlet as of now: see [`corpus_at`].
pub fn corpus() -> Vec<Outlet> {
    corpus_at(Utc::now())
}

/// Every demo outlet, with the history laid out on Vietnam days before `now`: the five
/// hand-written outlets, the seven history outlets ([`crate::history()`]) and the three
/// carriers of the rumour ([`crate::rumour::carriers`]), with the social pages and the
/// debunk of [`crate::social`]. Render it at (about) the same `now`.
pub fn corpus_at(now: DateTime<Utc>) -> Vec<Outlet> {
    let mut outlets = bundled();
    outlets.extend(crate::history(now).outlets);
    let carriers = crate::rumour::carriers(&outlets);
    outlets.extend(carriers);
    crate::social::add(&mut outlets);
    outlets
}

/// How many documents the pipeline keeps of `outlets`: every item, less the ones whose
/// title, lead and text repeat an earlier item's word for word (those are sightings of
/// it, not documents of their own).
pub fn distinct_articles(outlets: &[Outlet]) -> usize {
    let mut seen = std::collections::HashSet::new();
    outlets
        .iter()
        .flat_map(|o| &o.items)
        .filter(|i| seen.insert((i.title.as_str(), i.summary.as_str(), i.body.as_str())))
        .count()
}

/// The five hand-written outlets.
///
/// # Panics
/// Never with the bundled files, which a test parses.
pub fn bundled() -> Vec<Outlet> {
    FILES
        .iter()
        .map(|text| {
            let f: File = toml::from_str(text).expect("bundled demo corpus parses");
            Outlet { items: f.items, ..f.outlet }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn bundled_has_five_outlets_and_sixty_items() {
        let c = super::bundled();
        assert_eq!(c.len(), 5);
        assert!(c.iter().map(|o| o.items.len()).sum::<usize>() >= 60);
        // Sức Khỏe Cộng Đồng's dengue article is reshared word for word by Góc Chia Sẻ.
        let items: usize = c.iter().map(|o| o.items.len()).sum();
        assert_eq!(super::distinct_articles(&c), items - 1);
        let formats: std::collections::BTreeSet<_> = c.iter().map(|o| o.format.as_str()).collect();
        assert_eq!(formats.into_iter().collect::<Vec<_>>(), ["atom", "json", "rss"]);
    }
}
