//! Imported social posts: JSON Lines or CSV files of posts that officers captured from
//! Facebook groups, Zalo, TikTok or YouTube, one post per line or row.
//!
//! Every line is validated before anything is stored, and every problem is reported with
//! its line number; a file is imported whole or not at all (one transaction for the pages
//! it names and their posts). Each page (or author, when the post names no page) becomes a
//! source of the `social` tier, so posts are searched, matched and alerted on like news.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;
use model::{Post, SourceKind, SourceOrigin, SourceTier, Timestamp};
use serde_json::Value;
use store::{NewSource, Processed};

use crate::articles::Item;
use crate::process::to_processed_timed;
use crate::stories::Placing;
use crate::{Error, Pipeline, Result};

/// The fields a post may have; `platform`, `url`, `time`, `text` and one of `page` and
/// `author` are required.
pub const FIELDS: [&str; 11] = [
    "platform",
    "page",
    "page_url",
    "author",
    "url",
    "time",
    "title",
    "text",
    "reactions",
    "shares",
    "comments",
];

/// One valid post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPost {
    /// Platform, lowercase (`facebook`, `zalo` …).
    pub platform: String,
    /// Page, group or channel, when given.
    pub page: Option<String>,
    /// The page's own URL, when given.
    pub page_url: Option<String>,
    /// Who wrote it, when given.
    pub author: Option<String>,
    /// The post's URL.
    pub url: String,
    /// When it was posted.
    pub time: Timestamp,
    /// A title, when the export has one.
    pub title: Option<String>,
    /// The text.
    pub text: String,
    /// Reactions, shares and comments, when known.
    pub reactions: Option<i64>,
    /// Shares.
    pub shares: Option<i64>,
    /// Comments.
    pub comments: Option<i64>,
}

/// What importing a file did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Posts in the file.
    pub posts: usize,
    /// Posts stored (the rest were already known).
    pub added: usize,
    /// Posts repeating the text of a stored one under another URL, recorded as sightings
    /// of it.
    pub copies: usize,
    /// Pages (sources) they came from.
    pub pages: usize,
    /// Rule hits on the new posts.
    pub hits: usize,
}

/// Whether a path is a posts file by its extension.
pub fn is_posts_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
        Some("jsonl" | "ndjson" | "csv")
    )
}

/// Reads and validates a posts file. `Err` lists every problem as `file:line: message`.
pub fn read_posts(path: &Path) -> std::result::Result<Vec<RawPost>, Vec<String>> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| vec![format!("{name}: cannot read: {e}")])?;
    let text = String::from_utf8(bytes).map_err(|e| {
        vec![format!("{name}: not UTF-8 text (byte {})", e.utf8_error().valid_up_to())]
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    // Lines that cannot be read are reported along with the problems of the lines that
    // can, in line order, so one pass over the file shows everything to fix.
    let (records, mut problems) = if csv { csv_records(text) } else { json_records(text) };
    let mut posts = Vec::with_capacity(records.len());
    for (line, fields) in records {
        match validate(&fields) {
            Ok(post) => posts.push(post),
            Err(list) => problems.extend(list.into_iter().map(|p| (line, p))),
        }
    }
    problems.sort_by_key(|(line, _)| *line);
    let mut problems: Vec<String> =
        problems.into_iter().map(|(line, p)| format!("{name}:{line}: {p}")).collect();
    if posts.is_empty() && problems.is_empty() {
        problems.push(format!("{name}: no posts"));
    }
    if problems.is_empty() { Ok(posts) } else { Err(problems) }
}

/// A record and the line it starts on.
type Record = (usize, BTreeMap<String, String>);

/// A problem and its line.
type Problem = (usize, String);

fn json_records(text: &str) -> (Vec<Record>, Vec<Problem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i + 1;
        let value: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                problems.push((line_no, format!("invalid JSON: {e}")));
                continue;
            }
        };
        let Value::Object(map) = value else {
            problems.push((line_no, "expected a JSON object".to_owned()));
            continue;
        };
        let mut fields = BTreeMap::new();
        let mut readable = true;
        for (k, v) in map {
            let text = match v {
                Value::Null => continue,
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                other => {
                    problems
                        .push((line_no, format!("{k}: expected text or a number, found {other}")));
                    readable = false;
                    continue;
                }
            };
            fields.insert(k, text);
        }
        if readable {
            out.push((line_no, fields));
        }
    }
    (out, problems)
}

fn csv_records(text: &str) -> (Vec<Record>, Vec<Problem>) {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_ascii_lowercase()).collect(),
        Err(e) => return (Vec::new(), vec![(1, format!("cannot read the header row: {e}"))]),
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                let fields = headers
                    .iter()
                    .zip(r.iter())
                    .filter(|(_, v)| !v.trim().is_empty())
                    .map(|(k, v)| (k.clone(), v.to_owned()))
                    .collect();
                out.push((line, fields));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push((line, e.to_string()));
            }
        }
    }
    (out, problems)
}

/// Checks one record; every problem of it at once.
fn validate(fields: &BTreeMap<String, String>) -> std::result::Result<RawPost, Vec<String>> {
    let mut problems = Vec::new();
    for key in fields.keys() {
        if !FIELDS.contains(&key.as_str()) {
            problems.push(format!("unknown field {key:?}; expected one of: {}", FIELDS.join(", ")));
        }
    }
    let get = |k: &str| fields.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut required = |k: &str| -> String {
        get(k).map(str::to_owned).unwrap_or_else(|| {
            problems.push(format!("{k}: missing"));
            String::new()
        })
    };
    let platform = required("platform").to_lowercase();
    let url = required("url");
    let time_text = required("time");
    let text = required("text");
    let page = get("page").map(str::to_owned);
    let author = get("author").map(str::to_owned);
    if page.is_none() && author.is_none() {
        problems.push(
            "page or author: one of them is needed to know where the post is from".to_owned(),
        );
    }
    let web = |u: &str| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if !url.is_empty() && !web(&url) {
        problems.push(format!("url: {url:?} is not an http or https URL"));
    }
    let page_url = get("page_url").map(str::to_owned);
    if let Some(p) = &page_url
        && !web(p)
    {
        problems.push(format!("page_url: {p:?} is not an http or https URL"));
    }
    let time = model::parse_datetime(&time_text);
    if time.is_none() && !time_text.is_empty() {
        problems.push(format!("time: cannot read {time_text:?} as a date and time"));
    }
    let mut count = |k: &str| match get(k) {
        None => None,
        Some(v) => match parse_count(v) {
            Some(n) => Some(n),
            None => {
                problems.push(format!("{k}: {v:?} is not a count (such as 120, 1.234 or 1,2K)"));
                None
            }
        },
    };
    let (reactions, shares, comments) = (count("reactions"), count("shares"), count("comments"));
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(RawPost {
        platform,
        page,
        page_url,
        author,
        url: feeds::canonical_url(&url, None).unwrap_or(url),
        time: time.unwrap_or_default(),
        title: get("title").map(str::to_owned),
        text,
        reactions,
        shares,
        comments,
    })
}

/// A count as social platforms print it: `120`, `1.234`, `1,234`, `1,2K`, `3.5k`, `2 N`
/// (nghìn), `1,1M`, `1 Tr` (triệu).
pub fn parse_count(text: &str) -> Option<i64> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_alphabetic()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number = number.trim();
    let factor: f64 = match unit.trim().to_lowercase().as_str() {
        "" => 1.0,
        "k" | "n" | "nghìn" | "ngàn" => 1e3,
        "m" | "tr" | "triệu" => 1e6,
        _ => return None,
    };
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        return None;
    }
    let value: f64 = if factor == 1.0 {
        // Without a unit, '.' and ',' group thousands.
        number.replace(['.', ','], "").parse().ok()?
    } else {
        // With one, the single separator is the decimal mark.
        number.replace(',', ".").parse().ok()?
    };
    (value >= 0.0).then(|| (value * factor).round() as i64)
}

impl RawPost {
    fn page_source(&self) -> NewSource {
        let who = self.page.as_deref().or(self.author.as_deref()).unwrap_or_default();
        let platform = capitalise(&self.platform);
        NewSource {
            name: format!("{platform}: {who}"),
            url: self
                .page_url
                .clone()
                .unwrap_or_else(|| format!("social:{}/{}", self.platform, vi_text::fold_str(who))),
            kind: SourceKind::Import,
            tier: SourceTier::Social,
            origin: SourceOrigin::Ingest,
            ..NewSource::default()
        }
    }

    fn item(&self) -> Item {
        // Posts have no headline: the first line, cut at a word, stands for one.
        let title = self.title.clone().unwrap_or_else(|| headline(&self.text));
        Item::from(feeds::FeedItem {
            url: self.url.clone(),
            title,
            body: self.text.clone(),
            author: self.author.clone(),
            published: Some(self.time),
            ..feeds::FeedItem::default()
        })
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The first line of a post, at most about 120 characters, cut between words.
fn headline(text: &str) -> String {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default().trim();
    if first.chars().count() <= 120 {
        return first.to_owned();
    }
    let mut out = String::new();
    for word in first.split_whitespace() {
        if out.chars().count() + word.chars().count() > 117 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push('…');
    out
}

impl Pipeline {
    /// Imports a posts file whole (see the module docs) and indexes what is new.
    pub async fn import_posts(&self, path: &Path) -> Result<ImportReport> {
        let posts = read_posts(path).map_err(|problems| Error::Posts { problems })?;
        let now = Utc::now();
        let rules = self.rules();
        // A page known already may have a home province (given in the configuration): its
        // posts that name no place are about it, as a polled source's items are.
        let known = self.store.list_sources().await?;
        let seen: std::collections::HashSet<String> = known.iter().map(|s| s.url.clone()).collect();
        let homes: BTreeMap<String, String> =
            known.into_iter().filter_map(|s| Some((s.url, s.home_province?))).collect();
        // Every post is normalised and matched on every core, then grouped in file order.
        let done: Vec<(Processed, Placing, std::time::Duration)> = {
            use rayon::prelude::*;
            posts
                .par_iter()
                .with_min_len(4)
                .map(|post| {
                    let source = post.page_source();
                    let home = homes.get(&source.url).map(String::as_str);
                    let mut places = std::time::Duration::ZERO;
                    let (p, made) = to_processed_timed(
                        &rules,
                        (0, &source.name, home),
                        &post.item(),
                        now,
                        &mut places,
                    );
                    // Posts are short: the index tokenises them again, for less than holding
                    // every post's tokens until the import commits would cost.
                    (p, made.placing, places)
                })
                .collect()
        };
        let places_time = done.iter().map(|d| d.2).sum();
        let mut groups: BTreeMap<String, (NewSource, Vec<Processed>, Vec<Placing>)> =
            BTreeMap::new();
        for (post, (mut processed, placing, _)) in posts.iter().zip(done) {
            let source = post.page_source();
            processed.doc.post = Some(Post {
                platform: post.platform.clone(),
                reactions: post.reactions,
                shares: post.shares,
                comments: post.comments,
            });
            // A page posing as a health body is raised once, on its first post.
            let new_page = !seen.contains(&source.url) && !groups.contains_key(&source.url);
            let who = post.page.as_deref().or(post.author.as_deref()).unwrap_or_default();
            if new_page
                && let Some(posing) = self.impersonation.check(who, post.page_url.as_deref())
            {
                processed.hits.push(posing.hit());
            }
            let entry = groups
                .entry(source.url.clone())
                .or_insert_with(|| (source, Vec::new(), Vec::new()));
            entry.1.push(processed);
            entry.2.push(placing);
        }
        self.metrics.observe(model::Stage::Places, places_time);
        let pages = groups.len();
        let mut placings: Vec<Vec<Placing>> = Vec::with_capacity(groups.len());
        let mut groups: Vec<(NewSource, Vec<Processed>)> = groups
            .into_values()
            .map(|(source, batch, group)| {
                placings.push(group);
                (source, batch)
            })
            .collect();
        self.catch_up_stories().await?;
        let placing = groups.iter().map(|(_, batch)| batch.len()).sum();
        crate::stories::reserve_keys(&self.store, &self.stories, placing).await?;
        let placings: Vec<_> = groups
            .iter()
            .zip(placings)
            .map(|((_, batch), group)| crate::stories::batch_times(batch, group))
            .collect();
        let mut placer = crate::stories::BatchPlacer {
            stories: &self.stories,
            groups: &placings,
            spent: std::time::Duration::ZERO,
        };
        let stored = match self.store.import(&mut groups, now, &mut placer).await {
            Ok(stored) => stored,
            Err(e) => {
                self.invalidate_stories().await;
                return Err(e.into());
            }
        };
        let stories_time = placer.spent;
        self.invalidate_stale_stories().await;
        let refreshing = std::time::Instant::now();
        for ((_, s), (_, batch)) in stored.iter().zip(&groups) {
            self.refresh_stories(&s.inserted, &s.copies, batch, now).await?;
        }
        self.metrics.observe(model::Stage::Stories, stories_time + refreshing.elapsed());
        if stored.iter().any(|(_, s)| !s.inserted.is_empty() || !s.copies.is_empty()) {
            self.stored.notify_one();
        }
        let mut report = ImportReport { posts: posts.len(), pages, ..ImportReport::default() };
        let mut index_docs = Vec::new();
        for ((source, stored), (_, batch)) in stored.iter().zip(&groups) {
            let inserted = &stored.inserted;
            report.copies += stored.copies.len();
            for i in inserted {
                let p = &batch[i.batch_index];
                index_docs.push(crate::process::index_doc(i.id, &source.name, p));
                report.hits += p.hits.len();
            }
            report.added += inserted.len();
        }
        if let Some(last) = stored.iter().flat_map(|(_, s)| s.inserted.iter().map(|i| i.id)).max()
            && let Some(index) = &self.index
        {
            index.add(&index_docs)?;
            index.commit(last.max(index.last_indexed_id()?))?;
        }
        self.metrics.items(
            report.posts as u64,
            report.added as u64,
            (report.posts - report.added) as u64,
            report.hits as u64,
        );
        tracing::info!(path = %path.display(), n_posts = report.posts, n_added = report.added, n_pages = pages, "Posts imported.");
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_as_platforms_print_them() {
        for (text, n) in [
            ("120", 120),
            ("1.234", 1234),
            ("1,234", 1234),
            ("1,2K", 1200),
            ("3.5k", 3500),
            ("2 N", 2000),
            ("1,1M", 1_100_000),
            ("1 Tr", 1_000_000),
            ("0", 0),
        ] {
            assert_eq!(parse_count(text), Some(n), "{text}");
        }
        for bad in ["", "nhiều", "-3", "1,2X", "K"] {
            assert_eq!(parse_count(bad), None, "{bad}");
        }
    }

    #[test]
    fn headlines_are_the_first_line_cut_between_words() {
        assert_eq!(
            headline("\nMẹ bỉm truyền tai nhau mẹo này\nđoạn hai"),
            "Mẹ bỉm truyền tai nhau mẹo này"
        );
        let long = "từ ".repeat(60);
        let h = headline(&long);
        assert!(h.ends_with('…') && h.chars().count() <= 120, "{h}");
    }

    #[test]
    fn lines_that_cannot_be_read_do_not_hide_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let good = r#""platform":"zalo","page":"P","url":"https://zalo.me/p/1","text":"a""#;
        std::fs::write(
            &path,
            format!("{{{good},\"time\":\"hôm kia\"}}\nnot json\n{{{good},\"time\":[1]}}\n"),
        )
        .unwrap();
        let name = path.display();
        assert_eq!(
            read_posts(&path).unwrap_err(),
            [
                format!("{name}:1: time: cannot read \"hôm kia\" as a date and time"),
                format!("{name}:2: invalid JSON: expected ident at line 1 column 2"),
                format!("{name}:3: time: expected text or a number, found [1]"),
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut f = BTreeMap::new();
        f.insert("platform".to_owned(), "facebook".to_owned());
        f.insert("url".to_owned(), "ftp://x".to_owned());
        f.insert("time".to_owned(), "hôm kia".to_owned());
        f.insert("shares".to_owned(), "nhiều".to_owned());
        f.insert("likes".to_owned(), "3".to_owned());
        let problems = validate(&f).unwrap_err();
        let all = problems.join("\n");
        for expected in [
            "unknown field \"likes\"",
            "text: missing",
            "page or author",
            "url: \"ftp://x\"",
            "time: cannot read \"hôm kia\"",
            "shares: \"nhiều\"",
        ] {
            assert!(all.contains(expected), "{expected} not in:\n{all}");
        }
    }
}
