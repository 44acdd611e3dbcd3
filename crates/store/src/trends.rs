//! Trends: how many distinct stories appeared per Vietnam day, per topic and per province,
//! and the spike alerts raised over the same days, for the trends page and its API.
//!
//! A story counts once per day on which one of its documents appeared; copies are sightings,
//! not documents, so syndication never counts twice. A document appears at its publication
//! time, unless that is missing or later than its fetch (a feed's clock in the future), in
//! which case at its fetch time. Days are Vietnam days (UTC+7), as the spike scan counts them.

use chrono::{Days, NaiveDate};
use model::{Alert, SourceTier};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use crate::{Result, Store};

/// Days a trend covers when the caller does not say.
pub const DEFAULT_TREND_DAYS: u32 = 60;
/// The most days a trend covers.
pub const MAX_TREND_DAYS: u32 = 365;
/// The days of each half of a province's growth comparison (last week against the one before).
pub const GROWTH_WINDOW_DAYS: u32 = 7;

const DAY_MS: i64 = 86_400_000;
const VN_OFFSET_MS: i64 = 7 * 3_600_000;

/// When a document appeared, in UTC milliseconds.
const DOC_TIME: &str = "(CASE WHEN d.published_at IS NOT NULL AND d.published_at <= d.fetched_at \
     THEN d.published_at ELSE d.fetched_at END)";

/// A condition implied by `DOC_TIME >= $1` that the indexes on both times can answer, so
/// a trend reads the documents of its days rather than every document.
const RECENT_FROM_1: &str = "(d.published_at >= $1 OR d.fetched_at >= $1)";

/// Which stories a trend counts and over which days.
#[derive(Debug, Clone)]
pub struct TrendQuery {
    /// The last Vietnam day counted (today, usually).
    pub today: NaiveDate,
    /// How many days, ending with `today`; clamped to 1..=[`MAX_TREND_DAYS`].
    pub days: u32,
    /// Only documents this rule hits (a topic rule id).
    pub topic: Option<String>,
    /// Only documents from sources of this tier.
    pub tier: Option<SourceTier>,
    /// Only documents about this province (its code).
    pub province: Option<String>,
}

impl TrendQuery {
    /// The days counted, first to last.
    pub fn dates(&self) -> Vec<NaiveDate> {
        let first = self.first_day();
        (0..u64::from(self.days.clamp(1, MAX_TREND_DAYS)))
            .filter_map(|i| first.checked_add_days(Days::new(i)))
            .collect()
    }

    /// The first day counted.
    pub fn first_day(&self) -> NaiveDate {
        let back = u64::from(self.days.clamp(1, MAX_TREND_DAYS) - 1);
        self.today.checked_sub_days(Days::new(back)).unwrap_or(self.today)
    }
}

/// A topic's distinct stories on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDay {
    /// The topic rule.
    pub rule_id: String,
    /// Its title.
    pub rule_title: String,
    /// The Vietnam day.
    pub date: NaiveDate,
    /// Distinct stories that day.
    pub stories: i64,
}

/// A province's distinct stories over a trend's days and over the two growth weeks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceTrend {
    /// The province code.
    pub code: String,
    /// Distinct stories over the trend's days.
    pub stories: i64,
    /// Distinct stories over the last [`GROWTH_WINDOW_DAYS`] days, today included.
    pub recent: i64,
    /// Distinct stories over the [`GROWTH_WINDOW_DAYS`] days before those.
    pub previous: i64,
}

/// The Vietnam day number (days since 1970-01-01) of `date`.
fn day_number(date: NaiveDate) -> i64 {
    date.signed_duration_since(NaiveDate::default()).num_days()
}

fn date_of(day: i64) -> NaiveDate {
    let epoch = NaiveDate::default();
    u64::try_from(day).ok().and_then(|d| epoch.checked_add_days(Days::new(d))).unwrap_or(epoch)
}

/// The UTC milliseconds Vietnam day `date` starts.
fn day_start_ms(date: NaiveDate) -> i64 {
    day_number(date) * DAY_MS - VN_OFFSET_MS
}

/// Where-clauses and their values for a trend's filters, numbered after `first` parameters.
struct Filters {
    sql: String,
    values: Vec<String>,
}

fn filters(
    first: usize,
    topic: Option<&str>,
    tier: Option<SourceTier>,
    province: Option<&str>,
) -> Filters {
    let mut out = Filters { sql: String::new(), values: Vec::new() };
    if let Some(t) = tier {
        out.values.push(t.as_str().to_owned());
        out.sql.push_str(&format!(" AND s.tier = ${}", first + out.values.len()));
    }
    if let Some(p) = province {
        out.values.push(p.to_owned());
        out.sql.push_str(&format!(" AND d.province = ${}", first + out.values.len()));
    }
    if let Some(t) = topic {
        out.values.push(t.to_owned());
        out.sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM rule_hits fh WHERE fh.document_id = d.id AND fh.rule_id = ${})",
            first + out.values.len()
        ));
    }
    out
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    values: &'q [String],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for v in values {
        q = q.bind(v.as_str());
    }
    q
}

fn day_from_row(row: &AnyRow) -> Result<NaiveDate> {
    Ok(date_of(row.try_get("vday")?))
}

impl Store {
    /// Distinct stories per day over the query's days, with its filters; days without
    /// stories are left out.
    pub async fn trend_days(&self, q: &TrendQuery) -> Result<Vec<(NaiveDate, i64)>> {
        let f = filters(2, q.topic.as_deref(), q.tier, q.province.as_deref());
        let sql = format!(
            "SELECT ({DOC_TIME} + {VN_OFFSET_MS}) / {DAY_MS} AS vday, COUNT(DISTINCT d.story_id) AS n \
             FROM documents d JOIN sources s ON s.id = d.source_id \
             WHERE d.story_id IS NOT NULL AND {RECENT_FROM_1} AND {DOC_TIME} >= $1 AND {DOC_TIME} < $2{} \
             GROUP BY ({DOC_TIME} + {VN_OFFSET_MS}) / {DAY_MS} ORDER BY vday",
            f.sql
        );
        let (from, to) = bounds(q);
        let rows = bind_all(sqlx::query(&sql).bind(from).bind(to), &f.values)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((day_from_row(r)?, r.try_get("n")?))).collect()
    }

    /// Distinct stories per topic rule (hits of kind `topic`) and day over the query's days,
    /// with its filters (a topic filter keeps that topic only); days without stories are left
    /// out.
    pub async fn trend_topics(&self, q: &TrendQuery) -> Result<Vec<TopicDay>> {
        let f = filters(2, None, q.tier, q.province.as_deref());
        let mut sql = format!(
            "SELECT h.rule_id, MAX(h.rule_title) AS rule_title, \
             ({DOC_TIME} + {VN_OFFSET_MS}) / {DAY_MS} AS vday, COUNT(DISTINCT d.story_id) AS n \
             FROM documents d JOIN sources s ON s.id = d.source_id \
             JOIN rule_hits h ON h.document_id = d.id AND h.kind = 'topic' \
             WHERE d.story_id IS NOT NULL AND {RECENT_FROM_1} AND {DOC_TIME} >= $1 AND {DOC_TIME} < $2{}",
            f.sql
        );
        if q.topic.is_some() {
            sql.push_str(&format!(" AND h.rule_id = ${}", 3 + f.values.len()));
        }
        sql.push_str(&format!(
            " GROUP BY h.rule_id, ({DOC_TIME} + {VN_OFFSET_MS}) / {DAY_MS} ORDER BY h.rule_id, vday"
        ));
        let (from, to) = bounds(q);
        let mut query = bind_all(sqlx::query(&sql).bind(from).bind(to), &f.values);
        if let Some(t) = &q.topic {
            query = query.bind(t.as_str());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(TopicDay {
                    rule_id: r.try_get("rule_id")?,
                    rule_title: r.try_get("rule_title")?,
                    date: day_from_row(r)?,
                    stories: r.try_get("n")?,
                })
            })
            .collect()
    }

    /// Every province with stories over the query's days or the two growth weeks, with the
    /// query's topic and tier filters. Its province filter is ignored: this compares them.
    pub async fn trend_provinces(&self, q: &TrendQuery) -> Result<Vec<ProvinceTrend>> {
        let f = filters(5, q.topic.as_deref(), q.tier, None);
        let growth = u64::from(GROWTH_WINDOW_DAYS);
        let recent = q.today.checked_sub_days(Days::new(growth - 1)).unwrap_or(q.today);
        let previous = q.today.checked_sub_days(Days::new(2 * growth - 1)).unwrap_or(q.today);
        let (period_from, to) = bounds(q);
        let (recent_from, previous_from) = (day_start_ms(recent), day_start_ms(previous));
        let sql = format!(
            "SELECT d.province, \
             COUNT(DISTINCT CASE WHEN {DOC_TIME} >= $1 THEN d.story_id END) AS stories, \
             COUNT(DISTINCT CASE WHEN {DOC_TIME} >= $2 THEN d.story_id END) AS recent, \
             COUNT(DISTINCT CASE WHEN {DOC_TIME} >= $3 AND {DOC_TIME} < $2 THEN d.story_id END) AS previous \
             FROM documents d JOIN sources s ON s.id = d.source_id \
             WHERE d.story_id IS NOT NULL AND d.province IS NOT NULL \
             AND (d.published_at >= $5 OR d.fetched_at >= $5) \
             AND {DOC_TIME} >= $5 AND {DOC_TIME} < $4{} \
             GROUP BY d.province ORDER BY d.province",
            f.sql
        );
        let rows = bind_all(
            sqlx::query(&sql)
                .bind(period_from)
                .bind(recent_from)
                .bind(previous_from)
                .bind(to)
                .bind(period_from.min(previous_from)),
            &f.values,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ProvinceTrend {
                    code: r.try_get("province")?,
                    stories: r.try_get("stories")?,
                    recent: r.try_get("recent")?,
                    previous: r.try_get("previous")?,
                })
            })
            .collect()
    }

    /// Spike alerts whose window falls within the query's days, of its topic (the alert's
    /// rule) and its province (the alert's area; any area when none), earliest window first,
    /// at most `limit`. The tier filter does not apply: spikes are scanned over every source.
    pub async fn trend_spikes(&self, q: &TrendQuery, limit: i64) -> Result<Vec<Alert>> {
        let (first, last) = (q.first_day(), q.today);
        // A spike is raised once its window is over, so one seen before the first day
        // cannot be about the days asked; the window itself is checked on the subject.
        let mut sql = format!(
            "SELECT {} FROM alerts a WHERE a.kind = 'spike' AND a.last_seen >= $1 AND a.subject LIKE $2",
            crate::alerts::ALERT_COLUMNS
        );
        if q.topic.is_some() {
            sql.push_str(" AND a.rule_id = $3");
        }
        let n = if q.topic.is_some() { 4 } else { 3 };
        sql.push_str(&format!(" ORDER BY a.last_seen DESC, a.id DESC LIMIT ${n}"));
        let pattern = match q.province.as_deref() {
            Some(p) => format!("spike:{p}:%"),
            None => "spike:%".to_owned(),
        };
        let mut query = sqlx::query(&sql).bind(day_start_ms(first)).bind(pattern);
        if let Some(t) = &q.topic {
            query = query.bind(t.as_str());
        }
        // Alerts updated late (acknowledged, closed) may be about earlier windows; reading
        // a few times the limit keeps the ones asked for.
        let rows = query.bind(limit.saturating_mul(4)).fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for row in &rows {
            let alert = crate::alerts::alert_from_row(row)?;
            if spike_window_date(&alert.subject).is_some_and(|d| d >= first && d <= last) {
                out.push(alert);
            }
        }
        out.sort_by(|a, b| {
            spike_window_date(&a.subject).cmp(&spike_window_date(&b.subject)).then(a.id.cmp(&b.id))
        });
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }
}

/// The Vietnam date of a spike subject's window (`spike:{area}:{YYYY-MM-DD}` or
/// `spike:{area}:{YYYY-MM-DDTHH}`).
pub fn spike_window_date(subject: &str) -> Option<NaiveDate> {
    let window = subject.strip_prefix("spike:")?.rsplit_once(':')?.1;
    NaiveDate::parse_from_str(window.get(..10)?, "%Y-%m-%d").ok()
}

/// The UTC milliseconds the query's first day starts and its last day ends.
fn bounds(q: &TrendQuery) -> (i64, i64) {
    (day_start_ms(q.first_day()), day_start_ms(q.today) + DAY_MS)
}

#[cfg(test)]
mod tests {
    // Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
    #![allow(clippy::unwrap_used)]

    use std::collections::HashMap;

    use chrono::{DateTime, Duration, TimeZone, Utc};
    use model::{DocumentPlaces, Hit, NewDocument, RuleKind, Severity};

    use super::*;
    use crate::{NewSource, Placement, Processed};

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    /// A Vietnam wall-clock time, as UTC.
    fn vn(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap() - Duration::hours(7)
    }

    #[test]
    fn vietnam_days_start_at_seventeen_hundred_utc_the_day_before() {
        let d = date(11, 20);
        let utc = DateTime::from_timestamp_millis(day_start_ms(d)).unwrap();
        assert_eq!(utc.to_rfc3339(), "2026-11-19T17:00:00+00:00");
        assert_eq!(date_of(day_number(d)), d);
        let q = TrendQuery { today: d, days: 3, topic: None, tier: None, province: None };
        assert_eq!(q.dates(), vec![date(11, 18), date(11, 19), date(11, 20)]);
        let q = TrendQuery { days: 0, ..q };
        assert_eq!(q.dates(), vec![d]);
    }

    #[test]
    fn spike_subjects_give_their_window_date() {
        let d = Some(date(11, 20));
        assert_eq!(spike_window_date("spike:national:2026-11-20"), d);
        assert_eq!(spike_window_date("spike:79:2026-11-20T13"), d);
        assert_eq!(spike_window_date("story:12"), None);
        assert_eq!(spike_window_date("spike:79:nonsense"), None);
    }

    struct Doc {
        source: usize,
        story: Option<i64>,
        province: Option<&'static str>,
        topics: &'static [&'static str],
        published: Option<DateTime<Utc>>,
        fetched: DateTime<Utc>,
        hash: &'static str,
    }

    fn hit(rule: &str) -> Hit {
        let kind = if rule.starts_with("topic.") { RuleKind::Topic } else { RuleKind::Rumor };
        Hit {
            rule_id: rule.into(),
            rule_title: format!("Tiêu đề {rule}").into(),
            kind,
            severity: Severity::Low,
            terms: vec![],
        }
    }

    /// The fixture: three outlets and stories spread over a few days around 20 Nov 2026.
    async fn fill(store: &Store) -> Vec<i64> {
        let now = vn(11, 21, 12, 0);
        let mut sources = Vec::new();
        for (i, tier) in [SourceTier::Press, SourceTier::Aggregator, SourceTier::Official]
            .into_iter()
            .enumerate()
        {
            let s = NewSource {
                name: format!("Nguồn {i}"),
                url: format!("https://nguon{i}.example.vn/rss"),
                tier,
                ..NewSource::default()
            };
            sources.push(store.upsert_source(&s, now).await.unwrap().id);
        }
        let docs = [
            // Story 1: two documents of the press outlet on the 20th, one official on the 19th.
            Doc {
                source: 0,
                story: Some(1),
                province: Some("79"),
                topics: &["topic.sxh"],
                published: Some(vn(11, 20, 8, 0)),
                fetched: vn(11, 20, 9, 0),
                hash: "a",
            },
            Doc {
                source: 0,
                story: Some(1),
                province: Some("79"),
                topics: &["topic.sxh"],
                published: Some(vn(11, 20, 10, 0)),
                fetched: vn(11, 20, 10, 5),
                hash: "b",
            },
            Doc {
                source: 2,
                story: Some(1),
                province: Some("79"),
                topics: &["topic.sxh"],
                published: Some(vn(11, 19, 23, 59)),
                fetched: vn(11, 20, 0, 30),
                hash: "c",
            },
            // Story 2: late on the 20th, Vietnam time (the 20th, 16:30 UTC).
            Doc {
                source: 1,
                story: Some(2),
                province: Some("01"),
                topics: &["topic.sxh", "topic.cum"],
                published: Some(vn(11, 20, 23, 30)),
                fetched: vn(11, 20, 23, 40),
                hash: "d",
            },
            // Story 3: just after midnight of the 21st, beyond the last day.
            Doc {
                source: 0,
                story: Some(3),
                province: Some("01"),
                topics: &["topic.sxh"],
                published: Some(vn(11, 21, 0, 30)),
                fetched: vn(11, 21, 0, 40),
                hash: "e",
            },
            // Story 4: the week before last, with a rumour (not a topic).
            Doc {
                source: 0,
                story: Some(4),
                province: Some("01"),
                topics: &["rumor.x"],
                published: Some(vn(11, 10, 12, 0)),
                fetched: vn(11, 10, 12, 5),
                hash: "f",
            },
            // No story yet: never counted.
            Doc {
                source: 0,
                story: None,
                province: Some("01"),
                topics: &["topic.sxh"],
                published: Some(vn(11, 20, 12, 0)),
                fetched: vn(11, 20, 12, 5),
                hash: "g",
            },
            // Story 5: a publication time after the fetch counts at the fetch.
            Doc {
                source: 2,
                story: Some(5),
                province: None,
                topics: &[],
                published: Some(vn(11, 25, 0, 0)),
                fetched: vn(11, 18, 6, 0),
                hash: "h",
            },
        ];
        let mut batch = Vec::new();
        for (i, d) in docs.iter().enumerate() {
            let mut p = Processed::new(
                NewDocument {
                    source_id: sources[d.source],
                    url: format!("https://nguon{}.example.vn/bai-{i}", d.source),
                    title: format!("Bài {i}"),
                    summary: String::new(),
                    body: "Nội dung.".into(),
                    author: None,
                    published_at: d.published,
                    fetched_at: d.fetched,
                    language: "vi".into(),
                    content_hash: d.hash.into(),
                    post: None,
                },
                d.topics.iter().map(|t| hit(t)).collect(),
            );
            p.places = DocumentPlaces { province: d.province.map(Into::into), places: vec![] };
            batch.push(p);
        }
        // An aggregator's exact copy of story 2's document on the 19th: a sighting only.
        let mut copy = batch[0].clone();
        copy.doc.source_id = sources[1];
        copy.doc.url = "https://nguon1.example.vn/ban-sao".into();
        copy.doc.published_at = Some(vn(11, 19, 8, 0));
        let stories: Vec<Option<i64>> = docs.iter().map(|d| d.story).collect();
        let stored = store
            .insert_batch_placed(
                &batch,
                &mut crate::placing(|_, inserted| {
                    inserted
                        .iter()
                        .map(|ins| Placement {
                            document_id: ins.id,
                            story: stories[ins.batch_index],
                            copy_of: None,
                        })
                        .collect()
                }),
            )
            .await
            .unwrap();
        let copied = store.insert_batch(&[copy]).await.unwrap();
        assert_eq!(copied.copies.len(), 1, "the copy is a sighting");
        stored.inserted.iter().map(|i| i.id).collect()
    }

    fn query(days: u32) -> TrendQuery {
        TrendQuery { today: date(11, 20), days, topic: None, tier: None, province: None }
    }

    async fn each_store(f: impl AsyncFn(&'static str, Store)) {
        let dir = tempfile::tempdir().unwrap();
        for (name, store) in crate::testing::stores(dir.path()).await {
            f(name, store.clone()).await;
            store.close().await;
        }
    }

    #[tokio::test]
    async fn stories_are_counted_once_per_vietnam_day_with_filters() {
        each_store(async |name, store| {
            fill(&store).await;
            let all = store.trend_days(&query(60)).await.unwrap();
            assert_eq!(
                all,
                vec![(date(11, 10), 1), (date(11, 18), 1), (date(11, 19), 1), (date(11, 20), 2)],
                "{name}"
            );
            let press = TrendQuery { tier: Some(SourceTier::Press), ..query(60) };
            assert_eq!(
                store.trend_days(&press).await.unwrap(),
                vec![(date(11, 10), 1), (date(11, 20), 1)],
                "{name}"
            );
            let sxh = TrendQuery { topic: Some("topic.sxh".into()), ..query(60) };
            assert_eq!(
                store.trend_days(&sxh).await.unwrap(),
                vec![(date(11, 19), 1), (date(11, 20), 2)],
                "{name}"
            );
            let hanoi = TrendQuery { province: Some("01".into()), ..query(60) };
            assert_eq!(
                store.trend_days(&hanoi).await.unwrap(),
                vec![(date(11, 10), 1), (date(11, 20), 1)],
                "{name}"
            );
            // Three days: the 18th to the 20th.
            assert_eq!(
                store.trend_days(&query(3)).await.unwrap(),
                vec![(date(11, 18), 1), (date(11, 19), 1), (date(11, 20), 2)],
                "{name}"
            );
        })
        .await;
    }

    #[tokio::test]
    async fn topics_count_their_own_stories_per_day() {
        each_store(async |name, store| {
            fill(&store).await;
            let topics = store.trend_topics(&query(60)).await.unwrap();
            let got: Vec<(&str, NaiveDate, i64)> =
                topics.iter().map(|t| (t.rule_id.as_str(), t.date, t.stories)).collect();
            assert_eq!(
                got,
                vec![
                    ("topic.cum", date(11, 20), 1),
                    ("topic.sxh", date(11, 19), 1),
                    ("topic.sxh", date(11, 20), 2),
                ],
                "{name}: rumours are not topics"
            );
            assert_eq!(topics[0].rule_title, "Tiêu đề topic.cum");
            let one = TrendQuery {
                topic: Some("topic.cum".into()),
                tier: Some(SourceTier::Aggregator),
                ..query(60)
            };
            let got = store.trend_topics(&one).await.unwrap();
            assert_eq!(got.len(), 1, "{name}");
            assert_eq!((got[0].rule_id.as_str(), got[0].stories), ("topic.cum", 1));
            let official = TrendQuery { tier: Some(SourceTier::Official), ..one };
            assert!(store.trend_topics(&official).await.unwrap().is_empty(), "{name}");
        })
        .await;
    }

    #[tokio::test]
    async fn provinces_compare_the_last_week_with_the_one_before() {
        each_store(async |name, store| {
            fill(&store).await;
            let by_code = |v: Vec<ProvinceTrend>| -> HashMap<String, (i64, i64, i64)> {
                v.into_iter().map(|p| (p.code, (p.stories, p.recent, p.previous))).collect()
            };
            let got = by_code(store.trend_provinces(&query(60)).await.unwrap());
            assert_eq!(got.len(), 2, "{name}: {got:?}");
            assert_eq!(got["79"], (1, 1, 0), "{name}");
            assert_eq!(got["01"], (2, 1, 1), "{name}");
            // Over three days, the week before still counts for growth.
            let got = by_code(store.trend_provinces(&query(3)).await.unwrap());
            assert_eq!(got["01"], (1, 1, 1), "{name}");
            // The province filter is not applied; the topic filter is.
            let q = TrendQuery {
                province: Some("79".into()),
                topic: Some("topic.sxh".into()),
                ..query(60)
            };
            let got = by_code(store.trend_provinces(&q).await.unwrap());
            assert_eq!(got["01"], (1, 1, 0), "{name}");
            assert_eq!(got["79"], (1, 1, 0), "{name}");
        })
        .await;
    }

    #[tokio::test]
    async fn spikes_are_found_by_window_topic_and_area() {
        each_store(async |name, store| {
            let ids = fill(&store).await;
            let spikes = [
                ("topic.sxh", "spike:79:2026-11-19", vn(11, 20, 0, 5)),
                ("topic.sxh", "spike:national:2026-11-20", vn(11, 21, 0, 5)),
                ("topic.cum", "spike:01:2026-11-20T05", vn(11, 20, 6, 5)),
                // Before the days asked: never shown.
                ("topic.sxh", "spike:79:2026-08-01", vn(8, 2, 0, 5)),
                // Not a spike.
                ("topic.sxh", "story:1", vn(11, 20, 0, 5)),
            ];
            for (rule, subject, at) in spikes {
                let kind = if subject.starts_with("spike:") { "spike" } else { "rumor" };
                sqlx::query(
                    "INSERT INTO alerts (kind, rule_id, subject, rule_title, severity, state, \
                     first_seen, last_seen, doc_count, last_document_id, detail) \
                     VALUES ($1, $2, $3, 'x', 'medium', 'new', $4, $4, 1, $5, '{}')",
                )
                .bind(kind)
                .bind(rule)
                .bind(subject)
                .bind(at.timestamp_millis())
                .bind(ids[0])
                .execute(&store.pool)
                .await
                .unwrap();
            }
            let subjects = |v: Vec<Alert>| v.into_iter().map(|a| a.subject).collect::<Vec<_>>();
            assert_eq!(
                subjects(store.trend_spikes(&query(60), 100).await.unwrap()),
                ["spike:79:2026-11-19", "spike:national:2026-11-20", "spike:01:2026-11-20T05"],
                "{name}"
            );
            let q = TrendQuery { province: Some("79".into()), ..query(60) };
            assert_eq!(
                subjects(store.trend_spikes(&q, 100).await.unwrap()),
                ["spike:79:2026-11-19"],
                "{name}"
            );
            let q = TrendQuery { topic: Some("topic.cum".into()), ..query(60) };
            assert_eq!(
                subjects(store.trend_spikes(&q, 100).await.unwrap()),
                ["spike:01:2026-11-20T05"],
                "{name}"
            );
            assert_eq!(
                subjects(store.trend_spikes(&query(1), 100).await.unwrap()),
                ["spike:national:2026-11-20", "spike:01:2026-11-20T05"],
                "{name}"
            );
            assert_eq!(store.trend_spikes(&query(60), 1).await.unwrap().len(), 1, "{name}");
        })
        .await;
    }
}
