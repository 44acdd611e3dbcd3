//! What a day's digest reads beyond the board, the queue and the handling figures: the
//! stories of the day's health documents, a topic's daily story counts (one rule, or every
//! rule of a tag), the responses published in a period, and the alerts whose correction
//! tracking ran in it.

use chrono::{Days, NaiveDate};
use model::{Story, Timestamp};
use sqlx::Row;

use crate::workflow::{NewResponse, Response};
use crate::{Result, Store, from_millis, millis, parse_enum};

/// When a document appeared: its publication, unless missing or later than its fetch (a
/// feed's clock in the future), as the trends count it.
const DOC_TIME: &str = "(CASE WHEN d.published_at IS NOT NULL AND d.published_at <= d.fetched_at \
     THEN d.published_at ELSE d.fetched_at END)";
/// A condition implied by `DOC_TIME >= $1` that the indexes on both times answer.
const RECENT_FROM_1: &str = "(d.published_at >= $1 OR d.fetched_at >= $1)";
const DAY_MS: i64 = 86_400_000;
const VN_OFFSET_MS: i64 = 7 * 3_600_000;
/// Rule ids per series query.
const MAX_RULES: usize = 200;

/// A response with the rule of the alert it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedResponse {
    /// The response.
    pub response: Response,
    /// The title of the alert's rule.
    pub rule_title: String,
}

/// Correction tracking that ran during a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedAlert {
    /// The alert.
    pub alert_id: i64,
    /// The title of its rule.
    pub rule_title: String,
}

/// The Vietnam day number (days since 1970-01-01) of `date`.
fn day_number(date: NaiveDate) -> i64 {
    date.signed_duration_since(NaiveDate::default()).num_days()
}

/// The UTC milliseconds Vietnam day `date` starts.
fn day_start_ms(date: NaiveDate) -> i64 {
    day_number(date) * DAY_MS - VN_OFFSET_MS
}

impl Store {
    /// The stories with a document that appeared in `[from, to)` and hit a rule, carried by
    /// the most outlets first (then the most documents), at most `limit`.
    pub async fn stories_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: i64,
    ) -> Result<Vec<Story>> {
        let rows = sqlx::query(&format!(
            "SELECT t.id FROM stories t WHERE t.id IN (SELECT d.story_id FROM documents d \
             WHERE d.story_id IS NOT NULL AND {RECENT_FROM_1} AND {DOC_TIME} >= $1 AND {DOC_TIME} < $2 \
             AND EXISTS (SELECT 1 FROM rule_hits h WHERE h.document_id = d.id)) \
             ORDER BY t.outlets DESC, t.documents DESC, t.id DESC LIMIT $3"
        ))
        .bind(millis(from))
        .bind(millis(to))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(story) = self.story(row.try_get("id")?).await? {
                out.push(story);
            }
        }
        Ok(out)
    }

    /// Distinct stories per Vietnam day from `first` to `last` (every day listed, zeros
    /// included) among documents hit by any of `rule_ids`, about `province` when given: a
    /// topic's series as the spike scan and the trends page count it.
    pub async fn topic_series(
        &self,
        rule_ids: &[String],
        province: Option<&str>,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<(NaiveDate, i64)>> {
        let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
        let rule_ids = &rule_ids[..rule_ids.len().min(MAX_RULES)];
        let mut counts = vec![0_i64; days.len()];
        if !rule_ids.is_empty() && !days.is_empty() {
            let mut n = 2;
            let province_sql = if province.is_some() {
                n += 1;
                format!(" AND d.province = ${n}")
            } else {
                String::new()
            };
            let list: Vec<String> = (n + 1..=n + rule_ids.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT ({DOC_TIME} + {VN_OFFSET_MS}) / {DAY_MS} AS vday, COUNT(DISTINCT d.story_id) AS n \
                 FROM documents d WHERE d.story_id IS NOT NULL AND {RECENT_FROM_1} \
                 AND {DOC_TIME} >= $1 AND {DOC_TIME} < $2{province_sql} \
                 AND EXISTS (SELECT 1 FROM rule_hits h WHERE h.document_id = d.id AND h.rule_id IN ({})) \
                 GROUP BY ({DOC_TIME} + {VN_OFFSET_MS}) / {DAY_MS}",
                list.join(", ")
            );
            let end = last.checked_add_days(Days::new(1)).unwrap_or(last);
            let mut q = sqlx::query(&sql).bind(day_start_ms(first)).bind(day_start_ms(end));
            if let Some(p) = province {
                q = q.bind(p);
            }
            for r in rule_ids {
                q = q.bind(r.as_str());
            }
            for row in q.fetch_all(&self.pool).await? {
                let vday: i64 = row.try_get("vday")?;
                if let Some(slot) =
                    usize::try_from(vday - day_number(first)).ok().and_then(|i| counts.get_mut(i))
                {
                    *slot = row.try_get("n")?;
                }
            }
        }
        Ok(days.into_iter().zip(counts).collect())
    }

    /// The official responses published in `[from, to)`, earliest first, at most `limit`.
    pub async fn responses_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: i64,
    ) -> Result<Vec<IssuedResponse>> {
        let rows = sqlx::query(
            "SELECT r.id, r.alert_id, r.channel, r.published_at, r.text, r.url, u.name AS user_name, \
             e.at AS recorded_at, a.rule_title FROM alert_responses r \
             JOIN alert_events e ON e.id = r.event_id JOIN alerts a ON a.id = r.alert_id \
             LEFT JOIN users u ON u.id = r.user_id \
             WHERE r.published_at >= $1 AND r.published_at < $2 ORDER BY r.published_at, r.id LIMIT $3",
        )
        .bind(millis(from))
        .bind(millis(to))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(IssuedResponse {
                    response: Response {
                        id: row.try_get("id")?,
                        alert_id: row.try_get("alert_id")?,
                        recorded_by: row.try_get("user_name")?,
                        recorded_at: from_millis(row.try_get("recorded_at")?),
                        response: NewResponse {
                            channel: parse_enum(row.try_get::<&str, _>("channel")?)?,
                            published_at: from_millis(row.try_get("published_at")?),
                            text: row.try_get("text")?,
                            url: row.try_get("url")?,
                        },
                    },
                    rule_title: row.try_get("rule_title")?,
                })
            })
            .collect()
    }

    /// The alerts whose correction tracking ran during `[from, to)`: started before its end
    /// and not finished before its start; the latest started first, at most `limit`.
    pub async fn corrections_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: i64,
    ) -> Result<Vec<TrackedAlert>> {
        let rows = sqlx::query(
            "SELECT t.alert_id, a.rule_title FROM correction_tracking t JOIN alerts a ON a.id = t.alert_id \
             WHERE t.started_at < $2 AND (t.finished_at IS NULL OR t.finished_at >= $1) \
             ORDER BY t.started_at DESC, t.alert_id DESC LIMIT $3",
        )
        .bind(millis(from))
        .bind(millis(to))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TrackedAlert {
                    alert_id: row.try_get("alert_id")?,
                    rule_title: row.try_get("rule_title")?,
                })
            })
            .collect()
    }
}
