//! The health-day calendar's data: the messages an office plans for each day (a history of
//! notes, the latest one current) and what has been published about a day's subjects in its
//! run-up (documents hit by its related rules, their stories and outlets).
//!
//! The days themselves live in the rule packs (`[[days]]`), not here: a note is keyed by
//! the day's id and the start of its occurrence, so a pack edit never orphans the store.

use model::Timestamp;
use sqlx::Row;

use crate::{Error, Result, Store, from_millis, millis};

/// The longest note kept, in characters: a plan, not a document.
pub const MAX_NOTE_CHARS: usize = 4000;
/// The longest day key accepted.
const MAX_KEY_BYTES: usize = 200;
/// Rule ids per coverage query: far below either back end's limit on parameters.
const MAX_RULES: usize = 200;

/// When a document appeared: its publication, unless missing or later than its fetch.
const DOC_TIME: &str = "(CASE WHEN d.published_at IS NOT NULL AND d.published_at <= d.fetched_at \
     THEN d.published_at ELSE d.fetched_at END)";

/// One saved version of a day's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthDayNote {
    /// Store identifier; later saves have larger ones.
    pub id: i64,
    /// The occurrence: `{day id}@{start date}`.
    pub day_key: String,
    /// What the office plans to say.
    pub note: String,
    /// Who wrote it (their login name then).
    pub author: String,
    /// When.
    pub updated_at: Timestamp,
}

/// A document of a day's coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoveredDocument {
    /// The document.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its outlet.
    pub source: String,
    /// When it appeared.
    pub at: Timestamp,
}

/// What has been published about some rules' subjects over a period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleCoverage {
    /// Documents hit by any of the rules.
    pub documents: i64,
    /// Distinct stories among them.
    pub stories: i64,
    /// Distinct outlets (sources) among them.
    pub outlets: i64,
    /// The latest of them, newest first.
    pub latest: Vec<CoveredDocument>,
}

/// `sql` with the period's bounds as `$1` and `$2` and the rule ids after them.
fn bound<'q>(
    sql: &'q str,
    from: i64,
    to: i64,
    rule_ids: &'q [String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql).bind(from).bind(to);
    for r in rule_ids {
        q = q.bind(r.as_str());
    }
    q
}

impl Store {
    /// Saves a new version of the plan for `day_key`, written by `author` at `at`. Empty
    /// notes are allowed (a plan withdrawn); over-long ones and bad keys are refused.
    pub async fn add_health_day_note(
        &self,
        day_key: &str,
        note: &str,
        author: &str,
        at: Timestamp,
    ) -> Result<HealthDayNote> {
        if day_key.is_empty()
            || day_key.len() > MAX_KEY_BYTES
            || day_key.chars().any(char::is_control)
        {
            return Err(Error::Refused(format!("invalid health day key {day_key:?}")));
        }
        let note = note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(Error::Refused(format!(
                "a health day note has at most {MAX_NOTE_CHARS} characters"
            )));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO health_day_notes (day_key, note, author, updated_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(day_key)
        .bind(note)
        .bind(author)
        .bind(millis(at))
        .fetch_one(&self.pool)
        .await?
        .try_get("id")?;
        Ok(HealthDayNote {
            id,
            day_key: day_key.to_owned(),
            note: note.to_owned(),
            author: author.to_owned(),
            updated_at: at,
        })
    }

    /// Every saved version of the plans of `keys`, newest first within each key (so the
    /// first of a key is its current plan).
    pub async fn health_day_notes(&self, keys: &[String]) -> Result<Vec<HealthDayNote>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(MAX_RULES) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, day_key, note, author, updated_at FROM health_day_notes \
                 WHERE day_key IN ({}) ORDER BY day_key, id DESC",
                list.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for k in chunk {
                q = q.bind(k.as_str());
            }
            for row in q.fetch_all(&self.pool).await? {
                out.push(HealthDayNote {
                    id: row.try_get("id")?,
                    day_key: row.try_get("day_key")?,
                    note: row.try_get("note")?,
                    author: row.try_get("author")?,
                    updated_at: from_millis(row.try_get("updated_at")?),
                });
            }
        }
        Ok(out)
    }

    /// What documents hit by any of `rule_ids` appeared in `[from, to)`: how many, in how
    /// many stories and outlets, and the `latest` newest of them.
    pub async fn rule_coverage(
        &self,
        rule_ids: &[String],
        from: Timestamp,
        to: Timestamp,
        latest: i64,
    ) -> Result<RuleCoverage> {
        let rule_ids = &rule_ids[..rule_ids.len().min(MAX_RULES)];
        if rule_ids.is_empty() || to <= from {
            return Ok(RuleCoverage::default());
        }
        let list: Vec<String> = (3..3 + rule_ids.len()).map(|i| format!("${i}")).collect();
        // The documents of the period hit by one of the rules, each once.
        let matching = format!(
            "FROM documents d JOIN sources s ON s.id = d.source_id \
             WHERE (d.published_at >= $1 OR d.fetched_at >= $1) AND {DOC_TIME} >= $1 AND {DOC_TIME} < $2 \
             AND EXISTS (SELECT 1 FROM rule_hits h WHERE h.document_id = d.id AND h.rule_id IN ({}))",
            list.join(", ")
        );
        let (from, to) = (millis(from), millis(to));
        let counts_sql = format!(
            "SELECT COUNT(*) AS documents, COUNT(DISTINCT d.story_id) AS stories, \
             COUNT(DISTINCT d.source_id) AS outlets {matching}"
        );
        let row = bound(&counts_sql, from, to, rule_ids).fetch_one(&self.pool).await?;
        let latest_sql = format!(
            "SELECT d.id, d.title, s.name AS source, {DOC_TIME} AS at {matching} \
             ORDER BY at DESC, d.id DESC LIMIT {}",
            latest.clamp(0, 100)
        );
        let docs = if latest > 0 {
            bound(&latest_sql, from, to, rule_ids).fetch_all(&self.pool).await?
        } else {
            Vec::new()
        };
        Ok(RuleCoverage {
            documents: row.try_get("documents")?,
            stories: row.try_get("stories")?,
            outlets: row.try_get("outlets")?,
            latest: docs
                .iter()
                .map(|r| {
                    Ok(CoveredDocument {
                        id: r.try_get("id")?,
                        title: r.try_get("title")?,
                        source: r.try_get("source")?,
                        at: from_millis(r.try_get("at")?),
                    })
                })
                .collect::<Result<_>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    // Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
    #![allow(clippy::unwrap_used)]

    use chrono::{Duration, TimeZone, Utc};
    use model::{Hit, NewDocument, RuleKind, Severity};

    use super::*;
    use crate::{NewSource, Processed};

    fn hit(rule: &str) -> Hit {
        Hit {
            rule_id: rule.into(),
            rule_title: format!("Chủ đề {rule}").into(),
            kind: RuleKind::Topic,
            severity: Severity::Low,
            terms: vec![],
        }
    }

    #[tokio::test]
    async fn notes_keep_their_history_and_coverage_counts_the_run_up() {
        let dir = tempfile::tempdir().unwrap();
        for (backend, store) in crate::testing::stores(dir.path()).await {
            let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap();
            let key = "day.the-gioi-phong-chong-aids@2026-12-01".to_owned();
            store.add_health_day_note(&key, "Bản nháp", "lan", t0).await.unwrap();
            store
                .add_health_day_note(
                    &key,
                    "  Xét nghiệm HIV miễn phí <b>tại trạm</b>  ",
                    "minh",
                    t0 + Duration::hours(1),
                )
                .await
                .unwrap();
            store.add_health_day_note("day.khac@2026-12-12", "Khác", "lan", t0).await.unwrap();
            let notes = store.health_day_notes(std::slice::from_ref(&key)).await.unwrap();
            let seen: Vec<(&str, &str)> =
                notes.iter().map(|n| (n.note.as_str(), n.author.as_str())).collect();
            assert_eq!(
                seen,
                [("Xét nghiệm HIV miễn phí <b>tại trạm</b>", "minh"), ("Bản nháp", "lan")],
                "{backend}"
            );
            assert_eq!(notes[0].updated_at, t0 + Duration::hours(1));
            assert!(store.health_day_notes(&[]).await.unwrap().is_empty());
            let long = "x".repeat(MAX_NOTE_CHARS + 1);
            assert!(matches!(
                store.add_health_day_note(&key, &long, "lan", t0).await,
                Err(Error::Refused(_))
            ));
            assert!(store.add_health_day_note("", "x", "lan", t0).await.is_err());

            let mut sources = Vec::new();
            for name in ["Báo A", "Báo B"] {
                let s = NewSource {
                    name: name.into(),
                    url: format!("https://{}.example.vn/rss", name.len() + sources.len()),
                    ..NewSource::default()
                };
                sources.push(store.upsert_source(&s, t0).await.unwrap().id);
            }
            let doc = |n: i64, source: i64, days_ago: i64, rule: &str| {
                let when = t0 - Duration::days(days_ago);
                Processed::new(
                    NewDocument {
                        source_id: source,
                        url: format!("https://a.example.vn/{n}"),
                        title: format!("Bài {n}"),
                        summary: String::new(),
                        body: String::new(),
                        author: None,
                        published_at: Some(when),
                        fetched_at: when,
                        language: "vi".into(),
                        content_hash: format!("h{n}"),
                        post: None,
                    },
                    vec![hit(rule)],
                )
            };
            store
                .insert_batch(&[
                    doc(1, sources[0], 1, "topic.hiv"),
                    doc(2, sources[1], 2, "topic.hiv"),
                    doc(3, sources[1], 3, "topic.tinh-duc-an-toan"),
                    doc(4, sources[0], 40, "topic.hiv"),
                    doc(5, sources[0], 1, "topic.lao"),
                ])
                .await
                .unwrap();
            let rules = vec!["topic.hiv".to_owned(), "topic.tinh-duc-an-toan".to_owned()];
            let c = store
                .rule_coverage(&rules, t0 - Duration::days(30), t0 + Duration::hours(1), 2)
                .await
                .unwrap();
            assert_eq!((c.documents, c.outlets), (3, 2), "{backend}");
            let latest: Vec<&str> = c.latest.iter().map(|d| d.title.as_str()).collect();
            assert_eq!(latest, ["Bài 1", "Bài 2"], "{backend}");
            assert_eq!(c.latest[0].source, "Báo A");
            assert_eq!(store.rule_coverage(&[], t0, t0, 2).await.unwrap(), RuleCoverage::default());
        }
    }
}
