//! Saved searches: a user's query, its filters and its order, kept under a name, and the
//! cursor of the documents already announced when the user asked to be told of new
//! matches. The messages announcing a batch and the cursor moving past it are written in
//! one transaction, so a match is announced once whatever crashes between two passes.

use chrono::NaiveDate;
use model::{RuleKind, SourceTier, Stance, Timestamp};
use serde_json::{Map, Value};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::outbox::{NewOutgoing, enqueue_in};
use crate::{Error, Result, Store, from_millis, millis, parse_enum, stamp};

/// What narrows a search besides its query: every field set must hold. Dates are Vietnam
/// calendar days, both included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilters {
    /// Published on or after this day.
    pub from: Option<NaiveDate>,
    /// Published on or before this day.
    pub to: Option<NaiveDate>,
    /// Of this source (the outlet).
    pub source: Option<i64>,
    /// Of a source of this tier.
    pub tier: Option<SourceTier>,
    /// Hit by this rule (a topic, rumour, claim, crisis or watch rule id).
    pub topic: Option<String>,
    /// About this province (a code of the 34 units).
    pub province: Option<String>,
    /// Hit by a rule of this kind.
    pub kind: Option<RuleKind>,
    /// With a hit taking this stance (of `topic`'s hit, when a topic is set too).
    pub stance: Option<Stance>,
    /// In this story.
    pub story: Option<i64>,
}

impl SearchFilters {
    /// Whether nothing is narrowed.
    pub fn is_empty(&self) -> bool {
        *self == SearchFilters::default()
    }

    /// As stored: a JSON object of the fields set.
    pub fn to_json(&self) -> String {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        let day = |d: Option<NaiveDate>| d.map(|d| Value::from(d.format("%Y-%m-%d").to_string()));
        put("from", day(self.from));
        put("to", day(self.to));
        put("source", self.source.map(Value::from));
        put("tier", self.tier.map(|t| Value::from(t.as_str())));
        put("topic", self.topic.clone().map(Value::from));
        put("province", self.province.clone().map(Value::from));
        put("kind", self.kind.map(|k| Value::from(k.as_str())));
        put("stance", self.stance.map(|s| Value::from(s.as_str())));
        put("story", self.story.map(Value::from));
        Value::Object(m).to_string()
    }

    /// The search page's query-string parameters for these filters, in a fixed order.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut out = Vec::new();
        let mut put = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                out.push((k, v));
            }
        };
        put("from", self.from.map(day));
        put("to", self.to.map(day));
        put("source", self.source.map(|s| s.to_string()));
        put("tier", self.tier.map(|t| t.as_str().to_owned()));
        put("topic", self.topic.clone());
        put("province", self.province.clone());
        put("kind", self.kind.map(|k| k.as_str().to_owned()));
        put("stance", self.stance.map(|s| s.as_str().to_owned()));
        put("story", self.story.map(|s| s.to_string()));
        out
    }

    /// The search page's address for `query` with these filters in `sort` order
    /// (`relevance` is the page's default and left out), as a path.
    pub fn search_path(&self, query: &str, sort: &str) -> String {
        let mut pairs = vec![("q", query.to_owned())];
        pairs.extend(self.query_pairs());
        if !sort.is_empty() && sort != "relevance" {
            pairs.push(("sort", sort.to_owned()));
        }
        let encoded: Vec<String> =
            pairs.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect();
        format!("/search?{}", encoded.join("&"))
    }

    /// Reads [`SearchFilters::to_json`].
    pub fn from_json(text: &str) -> Result<SearchFilters> {
        let bad = |what: &str| Error::Corrupt(format!("saved search filters ({what}): {text:?}"));
        let value: Value = serde_json::from_str(text).map_err(|_| bad("json"))?;
        let m = value.as_object().ok_or_else(|| bad("object"))?;
        let text_of = |k: &str| m.get(k).and_then(Value::as_str);
        let day = |k: &str| {
            text_of(k)
                .map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| bad(k)))
                .transpose()
        };
        Ok(SearchFilters {
            from: day("from")?,
            to: day("to")?,
            source: m.get("source").and_then(Value::as_i64),
            tier: text_of("tier").map(parse_enum).transpose()?,
            topic: text_of("topic").map(str::to_owned),
            province: text_of("province").map(str::to_owned),
            kind: text_of("kind").map(parse_enum).transpose()?,
            stance: text_of("stance").map(parse_enum).transpose()?,
            story: m.get("story").and_then(Value::as_i64),
        })
    }
}

/// `text` encoded as a form value: unreserved bytes as they are, spaces as `+`, every
/// other byte as `%XX`.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A saved search to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSavedSearch {
    /// Whose it is.
    pub owner_id: i64,
    /// Its name, unique per owner.
    pub name: String,
    /// The query, in the query language (empty: the filters alone).
    pub query: String,
    /// Its filters.
    pub filters: SearchFilters,
    /// Its order: `relevance`, `newest` or `reach`.
    pub sort: String,
    /// Whether new matches are announced to the owner.
    pub notify: bool,
}

/// A stored saved search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSearch {
    /// Store identifier.
    pub id: i64,
    /// Whose it is.
    pub owner_id: i64,
    /// Its name.
    pub name: String,
    /// The query.
    pub query: String,
    /// Its filters.
    pub filters: SearchFilters,
    /// Its order.
    pub sort: String,
    /// Whether new matches are announced.
    pub notify: bool,
    /// Documents up to this id have been looked at for announcements.
    pub last_notified_doc: i64,
    /// When matches were last announced.
    pub last_notified_at: Option<Timestamp>,
    /// When it was saved.
    pub created_at: Timestamp,
}

/// Saved searches one user may keep.
pub const MAX_SAVED_SEARCHES: i64 = 200;

const COLUMNS: &str = "id, owner_id, name, query, filters, sort, notify, last_notified_doc, \
     last_notified_at, created_at";

fn saved_from_row(row: &AnyRow) -> Result<SavedSearch> {
    Ok(SavedSearch {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        name: row.try_get("name")?,
        query: row.try_get("query")?,
        filters: SearchFilters::from_json(row.try_get::<&str, _>("filters")?)?,
        sort: row.try_get("sort")?,
        notify: row.try_get::<i64, _>("notify")? != 0,
        last_notified_doc: row.try_get("last_notified_doc")?,
        last_notified_at: stamp(row, "last_notified_at")?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

impl Store {
    /// The highest document id stored so far (0 for none): where announcements of a newly
    /// saved search start, so only what comes after is news.
    pub async fn last_document_id(&self) -> Result<i64> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM documents").fetch_one(&self.pool).await?;
        Ok(id.unwrap_or(0))
    }

    /// Saves a search. A name its owner already uses is a [`Error::Conflict`]; an owner at
    /// [`MAX_SAVED_SEARCHES`] is [`Error::Refused`].
    pub async fn create_saved_search(
        &self,
        s: &NewSavedSearch,
        now: Timestamp,
    ) -> Result<SavedSearch> {
        let mut tx = self.begin_write().await?;
        // A refused insert (a name taken) must end its transaction before the next writer
        // comes: SQLite refuses at once, without waiting, a read transaction that wants to
        // write while another connection still holds its write lock.
        match insert_saved_search(&mut tx, s, now).await {
            Ok(saved) => {
                tx.commit().await?;
                Ok(saved)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }

    /// One saved search.
    pub async fn saved_search(&self, id: i64) -> Result<Option<SavedSearch>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM saved_searches WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(saved_from_row).transpose()
    }

    /// A user's saved searches, by name.
    pub async fn saved_searches_of(&self, owner_id: i64) -> Result<Vec<SavedSearch>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM saved_searches WHERE owner_id = $1 ORDER BY name, id"
        ))
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(saved_from_row).collect()
    }

    /// Deletes a saved search of `owner_id`; `false` when it has none with that id.
    pub async fn delete_saved_search(&self, id: i64, owner_id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM saved_searches WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Turns announcements of a saved search of `owner_id` on or off; `false` when it has
    /// none with that id. Turned on, only documents stored from now on are news.
    pub async fn set_saved_search_notify(
        &self,
        id: i64,
        owner_id: i64,
        notify: bool,
    ) -> Result<bool> {
        let sql = if notify {
            "UPDATE saved_searches SET notify = 1, last_notified_doc = \
             (SELECT COALESCE(MAX(id), 0) FROM documents) \
             WHERE id = $1 AND owner_id = $2 AND notify = 0"
        } else {
            "UPDATE saved_searches SET notify = 0 WHERE id = $1 AND owner_id = $2"
        };
        let done = sqlx::query(sql).bind(id).bind(owner_id).execute(&self.pool).await?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        // Already on: nothing to change, but the search is there.
        Ok(self.saved_search(id).await?.is_some_and(|s| s.owner_id == owner_id))
    }

    /// Every saved search whose owner asked to be told of new matches, whose account is
    /// enabled, by id.
    pub async fn notifying_saved_searches(&self) -> Result<Vec<SavedSearch>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM saved_searches s JOIN users u ON u.id = s.owner_id \
             WHERE s.notify = 1 AND u.disabled_at IS NULL ORDER BY s.id",
            COLUMNS.split(", ").map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ")
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(saved_from_row).collect()
    }

    /// Writes the messages announcing a saved search's new matches and moves its cursor
    /// from `from_doc` to `to_doc`, in one transaction. When the cursor is no longer at
    /// `from_doc` (another process announced the same batch), nothing is written and the
    /// answer is `None`; otherwise how many messages were written (a message whose dedupe
    /// key is already in the outbox is skipped).
    pub async fn saved_search_notified(
        &self,
        id: i64,
        from_doc: i64,
        to_doc: i64,
        messages: &[(NewOutgoing, Timestamp)],
        now: Timestamp,
    ) -> Result<Option<usize>> {
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE saved_searches SET last_notified_doc = $1, \
             last_notified_at = CASE WHEN $2 = 1 THEN $3 ELSE last_notified_at END \
             WHERE id = $4 AND last_notified_doc = $5",
        )
        .bind(to_doc)
        .bind(i64::from(!messages.is_empty()))
        .bind(millis(now))
        .bind(id)
        .bind(from_doc)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Ok(None);
        }
        let written = enqueue_in(&mut tx, messages, now).await?;
        tx.commit().await?;
        Ok(Some(written))
    }
}

async fn insert_saved_search(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    s: &NewSavedSearch,
    now: Timestamp,
) -> Result<SavedSearch> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM saved_searches WHERE owner_id = $1")
        .bind(s.owner_id)
        .fetch_one(&mut **tx)
        .await?;
    if count >= MAX_SAVED_SEARCHES {
        return Err(Error::Refused(format!(
            "at most {MAX_SAVED_SEARCHES} saved searches per user"
        )));
    }
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(id) FROM documents").fetch_one(&mut **tx).await?;
    let row = sqlx::query(&format!(
        "INSERT INTO saved_searches (owner_id, name, query, filters, sort, notify, \
         last_notified_doc, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING {COLUMNS}"
    ))
    .bind(s.owner_id)
    .bind(s.name.as_str())
    .bind(s.query.as_str())
    .bind(s.filters.to_json())
    .bind(s.sort.as_str())
    .bind(i64::from(s.notify))
    .bind(last.unwrap_or(0))
    .bind(millis(now))
    .fetch_one(&mut **tx)
    .await?;
    saved_from_row(&row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_json() {
        let f = SearchFilters {
            from: NaiveDate::from_ymd_opt(2026, 5, 1),
            to: NaiveDate::from_ymd_opt(2026, 5, 31),
            source: Some(3),
            tier: Some(SourceTier::Social),
            topic: Some("rumor.la-du-du".into()),
            province: Some("75".into()),
            kind: Some(RuleKind::Rumor),
            stance: Some(Stance::Carries),
            story: Some(12),
        };
        assert_eq!(SearchFilters::from_json(&f.to_json()).unwrap(), f);
        assert_eq!(SearchFilters::default().to_json(), "{}");
        assert!(SearchFilters::from_json("{}").unwrap().is_empty());
        assert!(SearchFilters::from_json(r#"{"tier": "tabloid"}"#).is_err());
        assert!(SearchFilters::from_json("[]").is_err());
    }

    #[test]
    fn a_saved_search_has_the_search_page_address() {
        let f = SearchFilters {
            from: NaiveDate::from_ymd_opt(2026, 5, 1),
            tier: Some(SourceTier::Press),
            topic: Some("topic.sot-xuat-huyet".into()),
            ..SearchFilters::default()
        };
        assert_eq!(
            f.search_path("sốt \"lá đu đủ\"", "newest"),
            "/search?q=s%E1%BB%91t+%22l%C3%A1+%C4%91u+%C4%91%E1%BB%A7%22&from=2026-05-01\
             &tier=press&topic=topic.sot-xuat-huyet&sort=newest"
        );
        assert_eq!(SearchFilters::default().search_path("", "relevance"), "/search?q=");
    }
}
