//! The demo corpus, embedded from `corpus/*.toml`.

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

/// The five demo outlets.
///
/// # Panics
/// Never with the bundled files, which a test parses.
pub fn corpus() -> Vec<Outlet> {
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
    fn corpus_has_five_outlets_and_sixty_items() {
        let c = super::corpus();
        assert_eq!(c.len(), 5);
        assert!(c.iter().map(|o| o.items.len()).sum::<usize>() >= 60);
        let formats: std::collections::BTreeSet<_> = c.iter().map(|o| o.format.as_str()).collect();
        assert_eq!(formats.into_iter().collect::<Vec<_>>(), ["atom", "json", "rss"]);
    }
}
