//! Users' subscriptions to notifications, and what the notification job needs to know of
//! the alerts it tells them about.
//!
//! Lists (kinds, rule ids, provinces) are stored as JSON arrays; an empty list means every
//! value. Quiet hours are stored as `HH:MM` in Vietnam time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveTime;
use model::{
    Alert, QuietHours, Role, RuleKind, Subscriber, Subscription, SubscriptionSettings, Timestamp,
    User,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Error, Result, Store, from_millis, millis, parse_enum};

/// An alert as a notification tells of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFacts {
    /// The alert, with its handling.
    pub alert: Alert,
    /// The provinces (unit codes) it is about: those of its documents and their stories,
    /// or a spike's.
    pub provinces: Vec<String>,
    /// The title of its latest document.
    pub latest_title: String,
    /// The outlet of its latest document.
    pub latest_source: String,
}

const COLUMNS: &str = "s.id, s.user_id, s.channel, s.target, s.kinds, s.min_priority, s.topics, \
     s.provinces, s.quiet_start, s.quiet_end, s.alerts, s.digest, s.enabled, s.created_at, \
     s.updated_at";

fn list(row: &AnyRow, column: &str) -> Result<Vec<String>> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| Error::Corrupt(format!("{column}: {e}")))
}

fn to_json(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

fn time_of(text: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|e| Error::Corrupt(format!("quiet hours {text:?}: {e}")))
}

fn subscription_from_row(row: &AnyRow) -> Result<Subscription> {
    let quiet = match (
        row.try_get::<Option<String>, _>("quiet_start")?,
        row.try_get::<Option<String>, _>("quiet_end")?,
    ) {
        (Some(start), Some(end)) => {
            Some(QuietHours { start: time_of(&start)?, end: time_of(&end)? })
        }
        _ => None,
    };
    let kinds = list(row, "kinds")?
        .iter()
        .map(|k| parse_enum::<RuleKind>(k))
        .collect::<Result<Vec<_>>>()?;
    Ok(Subscription {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        settings: SubscriptionSettings {
            channel: parse_enum(row.try_get::<&str, _>("channel")?)?,
            target: row.try_get("target")?,
            kinds,
            min_priority: parse_enum(row.try_get::<&str, _>("min_priority")?)?,
            topics: list(row, "topics")?,
            provinces: list(row, "provinces")?,
            quiet,
            alerts: row.try_get::<i64, _>("alerts")? != 0,
            digest: row.try_get::<i64, _>("digest")? != 0,
            enabled: row.try_get::<i64, _>("enabled")? != 0,
        },
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

/// The values of the settings columns, in `COLUMNS`' order from `channel` to `enabled`.
struct Columns {
    channel: &'static str,
    target: String,
    kinds: String,
    min_priority: &'static str,
    topics: String,
    provinces: String,
    quiet_start: Option<String>,
    quiet_end: Option<String>,
    alerts: i64,
    digest: i64,
    enabled: i64,
}

fn columns(s: &SubscriptionSettings) -> Columns {
    let kinds: Vec<String> = s.kinds.iter().map(|k| k.as_str().to_owned()).collect();
    Columns {
        channel: s.channel.as_str(),
        target: s.target.clone(),
        kinds: to_json(&kinds),
        min_priority: s.min_priority.as_str(),
        topics: to_json(&s.topics),
        provinces: to_json(&s.provinces),
        quiet_start: s.quiet.map(|q| hhmm(q.start)),
        quiet_end: s.quiet.map(|q| hhmm(q.end)),
        alerts: i64::from(s.alerts),
        digest: i64::from(s.digest),
        enabled: i64::from(s.enabled),
    }
}

impl Store {
    /// Adds a subscription for `user_id`.
    pub async fn create_subscription(
        &self,
        user_id: i64,
        settings: &SubscriptionSettings,
        now: Timestamp,
    ) -> Result<Subscription> {
        let c = columns(settings);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO subscriptions (user_id, channel, target, kinds, min_priority, topics, \
             provinces, quiet_start, quiet_end, alerts, digest, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(user_id)
        .bind(c.channel)
        .bind(c.target)
        .bind(c.kinds)
        .bind(c.min_priority)
        .bind(c.topics)
        .bind(c.provinces)
        .bind(c.quiet_start)
        .bind(c.quiet_end)
        .bind(c.alerts)
        .bind(c.digest)
        .bind(c.enabled)
        .bind(millis(now))
        .fetch_one(&self.pool)
        .await?;
        self.subscription(id).await?.ok_or_else(|| Error::NotFound(format!("subscription {id}")))
    }

    /// Replaces what subscription `id` asks for; `false` when there is no such subscription.
    pub async fn update_subscription(
        &self,
        id: i64,
        settings: &SubscriptionSettings,
        now: Timestamp,
    ) -> Result<bool> {
        let c = columns(settings);
        let done = sqlx::query(
            "UPDATE subscriptions SET channel = $1, target = $2, kinds = $3, min_priority = $4, \
             topics = $5, provinces = $6, quiet_start = $7, quiet_end = $8, alerts = $9, \
             digest = $10, enabled = $11, updated_at = $12 WHERE id = $13",
        )
        .bind(c.channel)
        .bind(c.target)
        .bind(c.kinds)
        .bind(c.min_priority)
        .bind(c.topics)
        .bind(c.provinces)
        .bind(c.quiet_start)
        .bind(c.quiet_end)
        .bind(c.alerts)
        .bind(c.digest)
        .bind(c.enabled)
        .bind(millis(now))
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done > 0)
    }

    /// Removes subscription `id`; `false` when there was none. Messages already written to
    /// the outbox for it are still delivered.
    pub async fn delete_subscription(&self, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM subscriptions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(done > 0)
    }

    /// Subscription `id`.
    pub async fn subscription(&self, id: i64) -> Result<Option<Subscription>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM subscriptions s WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(subscription_from_row).transpose()
    }

    /// Every subscription of `user_id`, oldest first.
    pub async fn subscriptions_of(&self, user_id: i64) -> Result<Vec<Subscription>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions s WHERE s.user_id = $1 ORDER BY s.id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(subscription_from_row).collect()
    }

    /// Every enabled subscription of a user whose account is enabled, with the user's name
    /// and role: who may be told anything now.
    pub async fn subscribers(&self) -> Result<Vec<Subscriber>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, u.name AS user_name, u.role AS user_role, \
             u.created_at AS user_created_at FROM subscriptions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.enabled = 1 AND u.disabled_at IS NULL ORDER BY s.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let subscription = subscription_from_row(row)?;
                let user = User {
                    id: subscription.user_id,
                    name: row.try_get("user_name")?,
                    role: parse_enum::<Role>(row.try_get::<&str, _>("user_role")?)?,
                    created_at: from_millis(row.try_get("user_created_at")?),
                    disabled_at: None,
                };
                Ok(Subscriber { subscription, user })
            })
            .collect()
    }

    /// What notifications say of the alerts `ids` (those that still exist), by id.
    pub async fn alert_facts(&self, ids: &[i64]) -> Result<BTreeMap<i64, AlertFacts>> {
        let mut out = BTreeMap::new();
        let ids: Vec<i64> = ids.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
        for chunk in ids.chunks(500) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let list = list.join(", ");
            let sql = format!(
                "SELECT {}, d.title AS latest_title, src.name AS latest_source FROM alerts a \
                 LEFT JOIN documents d ON d.id = a.last_document_id \
                 LEFT JOIN sources src ON src.id = d.source_id WHERE a.id IN ({list})",
                crate::alerts::ALERT_COLUMNS
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&self.pool).await? {
                let alert = crate::alerts::alert_from_row(&row)?;
                let mut provinces = BTreeSet::new();
                // A spike's subject names its area: `spike:{code|national}:{window}`.
                if let Some(area) =
                    alert.subject.strip_prefix("spike:").and_then(|r| r.split(':').next())
                    && !area.is_empty()
                    && area.bytes().all(|b| b.is_ascii_digit())
                {
                    provinces.insert(area.to_owned());
                }
                out.insert(
                    alert.id,
                    AlertFacts {
                        provinces: provinces.into_iter().collect(),
                        latest_title: row
                            .try_get::<Option<String>, _>("latest_title")?
                            .unwrap_or_default(),
                        latest_source: row
                            .try_get::<Option<String>, _>("latest_source")?
                            .unwrap_or_default(),
                        alert,
                    },
                );
            }
            let sql = format!(
                "SELECT DISTINCT ad.alert_id, d.province AS document_province, \
                 st.province AS story_province FROM alert_documents ad \
                 JOIN documents d ON d.id = ad.document_id \
                 LEFT JOIN stories st ON st.id = d.story_id WHERE ad.alert_id IN ({list})"
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&self.pool).await? {
                let id: i64 = row.try_get("alert_id")?;
                let Some(facts) = out.get_mut(&id) else { continue };
                for column in ["document_province", "story_province"] {
                    if let Some(p) = row.try_get::<Option<String>, _>(column)?
                        && !facts.provinces.contains(&p)
                    {
                        facts.provinces.push(p);
                    }
                }
            }
        }
        for facts in out.values_mut() {
            facts.provinces.sort();
        }
        Ok(out)
    }
}
