//! Stories as stored: each document's story and near-copy link, the story rows pages read
//! (title, first publisher, counts) and each sighting's relation to the first publisher.
//!
//! Everything here is derived: the pipeline's clusterer decides which story a document is
//! in and the first publisher; the store only keeps the result, so it can all be rebuilt
//! from documents and sightings.

use model::{Alert, Document, RuleKind, Sighting, SourceTier, Story, TimelineEntry, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::documents::{DOCUMENT_COLUMNS, document_from_row, placeholders};
use crate::{Result, Store, from_millis, millis, parse_enum};

/// Rows per multi-row statement: 12 values each stays far below SQLite's 32,766 bound
/// parameters and PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 500;

/// Characters read at each end of a text for attribution lines ("Theo …", "Nguồn: …").
pub const ATTRIBUTION_CHARS: usize = 300;

/// What a refresh reads of a document for its attribution lines ([`StoryMember::text`]),
/// made from its lead and body as the store's query makes it: the first
/// [`ATTRIBUTION_CHARS`] characters of the lead and the body (the lead, a line break and
/// the body when there is a lead), a line break, and the last [`ATTRIBUTION_CHARS`] of the
/// body. A caller holding a new document's text makes it without asking the store.
pub fn attribution_text(summary: &str, body: &str) -> String {
    let mut text: String = if summary.is_empty() {
        body.chars().take(ATTRIBUTION_CHARS).collect()
    } else {
        summary
            .chars()
            .chain(std::iter::once('\n'))
            .chain(body.chars())
            .take(ATTRIBUTION_CHARS)
            .collect()
    };
    text.push('\n');
    let tail_start =
        body.char_indices().rev().nth(ATTRIBUTION_CHARS.saturating_sub(1)).map_or(0, |(i, _)| i);
    text.push_str(&body[tail_start..]);
    text
}

/// The earliest sightings of a story its first publisher is chosen among, with every
/// sighting not yet related to it: later ones keep their relation, so a story that keeps
/// growing costs the same to refresh.
pub const PROVENANCE_SIGHTINGS: usize = 100;

/// Where a new document goes: its story and the earlier document it near-copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The stored document.
    pub document_id: i64,
    /// Its story.
    pub story: Option<i64>,
    /// The earlier document it near-copies.
    pub copy_of: Option<i64>,
}

/// One sighting of a story's document, with what the first-publisher decision reads.
#[derive(Debug, Clone)]
pub struct StoryMember {
    /// The story.
    pub story_id: i64,
    /// The sighting's id.
    pub sighting_id: i64,
    /// The sighting (document, source, URL, times).
    pub sighting: Sighting,
    /// The document's title.
    pub title: String,
    /// The document's content hash: which text of it `text` is.
    pub content_hash: String,
    /// The first [`ATTRIBUTION_CHARS`] characters of the document's lead and body, a line
    /// break, and the last [`ATTRIBUTION_CHARS`] of its body: where attribution lines are
    /// (only for the sightings [`PROVENANCE_SIGHTINGS`] describes, and of those only the
    /// ones a refresh's [`StorySummary::wants_text`]; empty for the others).
    pub text: String,
    /// The province the document is about.
    pub province: Option<String>,
    /// Its relation to the first publisher as last written, if any.
    pub relation: Option<SightingRelation>,
}

/// What recomputes story rows under the story lock ([`Store::refresh_stories`]).
pub trait StorySummary: Send + Sync {
    /// Whether a sighting among the earliest of its story (or not yet related) needs its
    /// text read: what the caller read of it before (its attribution line) is not known
    /// for its document's current text.
    fn wants_text(&self, member: &StoryMember) -> bool;
    /// The rows to save, from the stories' digests.
    fn summarise(&mut self, stories: &[StoryDigest]) -> Vec<StoryUpdate>;
}

/// A sighting's relation to its story's first publisher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SightingRelation {
    /// The sighting's id.
    pub sighting_id: i64,
    /// `origin`, `republication_attributed`, `republication_unattributed`, `aggregator_copy`.
    pub relation: String,
    /// Minutes after the first publisher.
    pub lag_minutes: i64,
    /// Oddities of its times.
    pub anomalies: Vec<String>,
}

/// A story's row as the pipeline recomputes it, with its sightings' relations.
#[derive(Debug, Clone)]
pub struct StoryUpdate {
    /// The story (its `origin_source_name` is not stored; the store reads it from sources).
    pub story: Story,
    /// Its sightings' relations to the first publisher (only those that changed need be
    /// given).
    pub relations: Vec<SightingRelation>,
}

/// Which stories to list.
#[derive(Debug, Clone, Default)]
pub struct StoryQuery {
    /// Only stories seen at or after this time.
    pub since: Option<Timestamp>,
    /// Only stories about this province (its code).
    pub province: Option<String>,
    /// Only stories with a document this rule hits.
    pub rule: Option<String>,
    /// At most this many (the caller bounds it).
    pub limit: i64,
    /// Skipping this many.
    pub offset: i64,
}

/// A rule hitting a story's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryTopic {
    /// The rule.
    pub rule_id: String,
    /// Its title.
    pub rule_title: String,
    /// Its kind.
    pub kind: RuleKind,
    /// Documents of the story it hits.
    pub documents: i64,
}

const STORY_COLUMNS: &str = "t.id, t.title, t.origin_document, t.origin_source, \
     COALESCE(os.name, '') AS origin_source_name, t.origin_basis, t.province, t.first_seen, \
     t.last_seen, t.documents, t.sightings, t.outlets";

fn story_from_row(row: &AnyRow) -> Result<Story> {
    Ok(Story {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        origin_document: row.try_get("origin_document")?,
        origin_source: row.try_get("origin_source")?,
        origin_source_name: row.try_get("origin_source_name")?,
        origin_basis: row.try_get("origin_basis")?,
        province: row.try_get("province")?,
        first_seen: from_millis(row.try_get("first_seen")?),
        last_seen: from_millis(row.try_get("last_seen")?),
        documents: row.try_get("documents")?,
        sightings: row.try_get("sightings")?,
        outlets: row.try_get("outlets")?,
    })
}

pub(crate) fn sighting_from_row(row: &AnyRow) -> Result<Sighting> {
    Ok(Sighting {
        document_id: row.try_get("document_id")?,
        source_id: row.try_get("source_id")?,
        source_name: row.try_get("source_name")?,
        tier: parse_enum::<SourceTier>(row.try_get::<&str, _>("tier")?)?,
        url: row.try_get("url")?,
        published_at: row.try_get::<Option<i64>, _>("published_at")?.map(from_millis),
        fetched_at: from_millis(row.try_get("fetched_at")?),
    })
}

/// Records each placement on its document, inside the caller's transaction.
pub(crate) async fn write_placements(
    tx: &mut Transaction<'_, Any>,
    placements: &[Placement],
) -> Result<()> {
    let placed: Vec<&Placement> =
        placements.iter().filter(|p| p.story.is_some() || p.copy_of.is_some()).collect();
    // One statement for many documents; `column1 …` are what both back ends name the
    // columns of a VALUES list.
    for chunk in placed.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE documents SET story_id = v.story, copy_of = v.copy \
             FROM (SELECT column1 AS id, column2 AS story, column3 AS copy FROM (VALUES {}) AS x) AS v \
             WHERE documents.id = v.id",
            crate::documents::values_list(tx, chunk.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q.bind(p.document_id).bind(p.story).bind(p.copy_of);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Merges stories inside the caller's transaction, as [`Store::merge_stories`] describes.
pub(crate) async fn merge_in(
    tx: &mut Transaction<'_, Any>,
    schedule: &alerts::deadlines::Schedule,
    merges: &[(i64, i64)],
    now: Timestamp,
) -> Result<()> {
    for &(from, into) in merges {
        let (from_key, into_key) = (format!("story:{from}"), format!("story:{into}"));
        sqlx::query("UPDATE documents SET story_id = $1 WHERE story_id = $2")
            .bind(into)
            .bind(from)
            .execute(&mut **tx)
            .await?;
        // Alerts of `from` whose rule has an alert on `into`, in any state.
        let pairs: Vec<(i64, i64)> = sqlx::query(
            "SELECT f.id AS from_id, i.id AS into_id FROM alerts f JOIN alerts i \
                 ON i.rule_id = f.rule_id AND i.subject = $2 WHERE f.subject = $1",
        )
        .bind(&from_key)
        .bind(&into_key)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("from_id")?, r.try_get("into_id")?)))
        .collect::<Result<_>>()?;
        for (f, i) in pairs {
            fold_alert(tx, schedule, f, i, now).await?;
        }
        // The alerts with no counterpart follow their story; folded and finished ones
        // with a counterpart keep their key (one alert per rule and subject).
        sqlx::query(
            "UPDATE alerts SET subject = $1 WHERE subject = $2 AND rule_id NOT IN \
                 (SELECT rule_id FROM alerts WHERE subject = $1)",
        )
        .bind(&into_key)
        .bind(&from_key)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM stories WHERE id = $1").bind(from).execute(&mut **tx).await?;
    }
    Ok(())
}

/// The sightings of `stories`, as [`Store::story_members`] describes them.
async fn members_in(
    conn: &mut sqlx::AnyConnection,
    stories: &[i64],
    wants_text: &(dyn Fn(&StoryMember) -> bool + Sync),
) -> Result<Vec<StoryMember>> {
    let mut out = Vec::new();
    for chunk in stories.chunks(500) {
        let sql = format!(
            "SELECT d.story_id, {MEMBER_COLUMNS} {MEMBER_JOINS} WHERE d.story_id IN {} \
             ORDER BY d.story_id, COALESCE(g.published_at, g.fetched_at), g.id",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.push(member_from_row(&row)?);
        }
    }
    // Texts only where the first publisher is decided (the earliest
    // `PROVENANCE_SIGHTINGS` of each story and every sighting not yet related), and of
    // those only what the caller does not know yet.
    let mut wanted: Vec<bool> = Vec::with_capacity(out.len());
    let mut rank = 0;
    for (i, m) in out.iter().enumerate() {
        rank = if i > 0 && out[i - 1].story_id == m.story_id { rank + 1 } else { 0 };
        wanted.push((rank < PROVENANCE_SIGHTINGS || m.relation.is_none()) && wants_text(m));
    }
    let wanted = out.iter_mut().zip(wanted).filter_map(|(m, w)| w.then_some(m)).collect();
    read_texts(conn, wanted).await?;
    Ok(out)
}

/// What a story refresh reads of one story: the sightings its first publisher is chosen
/// among, and what its row counts over every sighting.
#[derive(Debug, Clone)]
pub struct StoryDigest {
    /// The story.
    pub story_id: i64,
    /// Its earliest [`PROVENANCE_SIGHTINGS`] sightings and every one not yet related to
    /// the first publisher, earliest first, with the texts the refresh wants.
    pub members: Vec<StoryMember>,
    /// Sightings of its documents.
    pub sightings: i64,
    /// Its documents that have a sighting.
    pub documents: i64,
    /// Outlets among its sightings.
    pub outlets: i64,
    /// The earliest and the latest time of its sightings: the publication time where it
    /// is not after the fetch, the fetch time otherwise.
    pub first_seen: Timestamp,
    /// See `first_seen`.
    pub last_seen: Timestamp,
    /// How many of its documents are about each province.
    pub provinces: Vec<(String, i64)>,
}

/// The story time of the row `alias` names (a sighting or a document), in SQL: its
/// publication time where that is not after its fetch, its fetch time otherwise.
fn story_time(alias: &str) -> String {
    format!(
        "CASE WHEN {alias}.published_at IS NOT NULL AND {alias}.published_at <= {alias}.fetched_at \
         THEN {alias}.published_at ELSE {alias}.fetched_at END"
    )
}

const MEMBER_COLUMNS: &str = "g.id AS sighting_id, g.document_id, g.source_id, \
     s.name AS source_name, s.tier, g.url, g.published_at, g.fetched_at, d.title, \
     d.content_hash, d.province, g.relation, g.lag_minutes, g.anomalies";

const MEMBER_JOINS: &str = "FROM sightings g JOIN documents d ON d.id = g.document_id \
     JOIN sources s ON s.id = g.source_id";

/// The digests of `stories` that have sightings, in story order. A story's counts are
/// aggregated by the database, and only its earliest and unrelated sightings are read
/// row by row, so a refresh costs the same however large a story has grown.
async fn digests_in(
    conn: &mut sqlx::AnyConnection,
    stories: &[i64],
    wants_text: &(dyn Fn(&StoryMember) -> bool + Sync),
) -> Result<Vec<StoryDigest>> {
    let mut digests: std::collections::BTreeMap<i64, StoryDigest> = Default::default();
    for chunk in stories.chunks(500) {
        let list = placeholders(1, chunk.len());
        let time = story_time("g");
        let sql = format!(
            "SELECT d.story_id, COUNT(*) AS sightings, COUNT(DISTINCT g.document_id) AS documents, \
             COUNT(DISTINCT g.source_id) AS outlets, MIN({time}) AS first_seen, \
             MAX({time}) AS last_seen \
             FROM sightings g JOIN documents d ON d.id = g.document_id \
             WHERE d.story_id IN {list} GROUP BY d.story_id"
        );
        for row in bind_ids(&sql, chunk).fetch_all(&mut *conn).await? {
            let story_id: i64 = row.try_get("story_id")?;
            digests.insert(
                story_id,
                StoryDigest {
                    story_id,
                    members: Vec::new(),
                    sightings: row.try_get("sightings")?,
                    documents: row.try_get("documents")?,
                    outlets: row.try_get("outlets")?,
                    first_seen: from_millis(row.try_get("first_seen")?),
                    last_seen: from_millis(row.try_get("last_seen")?),
                    provinces: Vec::new(),
                },
            );
        }
        // The story and province are both in one index: the documents' rows, bodies and
        // all, are not read.
        let sql = format!(
            "SELECT d.story_id, d.province, COUNT(*) AS documents FROM documents d \
             WHERE d.story_id IN {list} AND d.province IS NOT NULL \
             AND EXISTS (SELECT 1 FROM sightings g WHERE g.document_id = d.id) \
             GROUP BY d.story_id, d.province"
        );
        for row in bind_ids(&sql, chunk).fetch_all(&mut *conn).await? {
            if let Some(d) = digests.get_mut(&row.try_get::<i64, _>("story_id")?) {
                d.provinces.push((row.try_get("province")?, row.try_get("documents")?));
            }
        }
        let sql = format!(
            "SELECT m.story_id, {MEMBER_COLUMNS} FROM (SELECT story_id, id FROM \
               (SELECT d.story_id, g.id, g.relation IS NULL AS unrelated, \
                ROW_NUMBER() OVER (PARTITION BY d.story_id \
                  ORDER BY COALESCE(g.published_at, g.fetched_at), g.id) AS place \
                FROM sightings g JOIN documents d ON d.id = g.document_id \
                WHERE d.story_id IN {list}) ranked \
               WHERE place <= {PROVENANCE_SIGHTINGS} OR unrelated) m \
             JOIN sightings g ON g.id = m.id JOIN documents d ON d.id = g.document_id \
             JOIN sources s ON s.id = g.source_id \
             ORDER BY m.story_id, COALESCE(g.published_at, g.fetched_at), g.id"
        );
        for row in bind_ids(&sql, chunk).fetch_all(&mut *conn).await? {
            let member = member_from_row(&row)?;
            if let Some(d) = digests.get_mut(&member.story_id) {
                d.members.push(member);
            }
        }
    }
    let mut digests: Vec<StoryDigest> = digests.into_values().collect();
    let wanted =
        digests.iter_mut().flat_map(|d| d.members.iter_mut()).filter(|m| wants_text(m)).collect();
    read_texts(conn, wanted).await?;
    Ok(digests)
}

/// `sql` with `ids` bound to its parameters in order.
fn bind_ids<'q>(
    sql: &'q str,
    ids: &'q [i64],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    ids.iter().fold(sqlx::query(sql), |q, id| q.bind(*id))
}

/// A sighting of a story's document as [`MEMBER_COLUMNS`] and the story id read it,
/// without its text.
fn member_from_row(row: &AnyRow) -> Result<StoryMember> {
    let sighting_id: i64 = row.try_get("sighting_id")?;
    let relation = match row.try_get::<Option<String>, _>("relation")? {
        Some(relation) => Some(SightingRelation {
            sighting_id,
            relation,
            lag_minutes: row.try_get::<Option<i64>, _>("lag_minutes")?.unwrap_or(0),
            anomalies: row
                .try_get::<Option<String>, _>("anomalies")?
                .unwrap_or_default()
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
        }),
        None => None,
    };
    Ok(StoryMember {
        story_id: row.try_get("story_id")?,
        sighting_id,
        sighting: sighting_from_row(row)?,
        title: row.try_get("title")?,
        content_hash: row.try_get("content_hash")?,
        text: String::new(),
        province: row.try_get("province")?,
        relation,
    })
}

/// Reads the texts ([`StoryMember::text`]) of `members`, every document's once, a few
/// statements for all of them.
async fn read_texts(conn: &mut sqlx::AnyConnection, members: Vec<&mut StoryMember>) -> Result<()> {
    let mut documents: Vec<i64> = members.iter().map(|m| m.sighting.document_id).collect();
    documents.sort_unstable();
    documents.dedup();
    let mut texts: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    for chunk in documents.chunks(500) {
        let sql = format!(
            "SELECT id, SUBSTR(CASE WHEN summary = '' THEN body ELSE summary || '\n' || body END, \
             1, {ATTRIBUTION_CHARS}) AS head, \
             SUBSTR(body, CASE WHEN LENGTH(body) > {ATTRIBUTION_CHARS} \
               THEN LENGTH(body) - {ATTRIBUTION_CHARS} + 1 ELSE 1 END) AS tail \
             FROM documents WHERE id IN {}",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let (head, tail): (String, String) = (row.try_get("head")?, row.try_get("tail")?);
            texts.insert(row.try_get("id")?, format!("{head}\n{tail}"));
        }
    }
    for m in members {
        if let Some(text) = texts.get(&m.sighting.document_id) {
            m.text.clone_from(text);
        }
    }
    Ok(())
}

/// Writes story rows and relations inside the caller's transaction.
async fn save_in(
    tx: &mut Transaction<'_, Any>,
    updates: &[StoryUpdate],
    now: Timestamp,
) -> Result<()> {
    for chunk in updates.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO stories (id, title, origin_document, origin_source, origin_basis, province, \
             first_seen, last_seen, documents, sightings, outlets, updated_at) VALUES {} \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, \
             origin_document = excluded.origin_document, origin_source = excluded.origin_source, \
             origin_basis = excluded.origin_basis, province = excluded.province, \
             first_seen = excluded.first_seen, last_seen = excluded.last_seen, \
             documents = excluded.documents, sightings = excluded.sightings, \
             outlets = excluded.outlets, updated_at = excluded.updated_at",
            crate::documents::values_list(tx, chunk.len(), 12)
        );
        let mut q = sqlx::query(&sql);
        for u in chunk {
            let s = &u.story;
            q = q
                .bind(s.id)
                .bind(&s.title)
                .bind(s.origin_document)
                .bind(s.origin_source)
                .bind(&s.origin_basis)
                .bind(s.province.as_deref())
                .bind(millis(s.first_seen))
                .bind(millis(s.last_seen))
                .bind(s.documents)
                .bind(s.sightings)
                .bind(s.outlets)
                .bind(millis(now));
        }
        q.execute(&mut **tx).await?;
    }
    let relations: Vec<&SightingRelation> = updates.iter().flat_map(|u| &u.relations).collect();
    for chunk in relations.chunks(ROWS_PER_STATEMENT) {
        // `column1…` are the names both back ends give the columns of a VALUES list.
        let sql = format!(
            "UPDATE sightings SET relation = v.column2, lag_minutes = v.column3, \
             anomalies = v.column4 FROM (VALUES {}) AS v WHERE sightings.id = v.column1",
            crate::documents::values_list(tx, chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.sighting_id)
                .bind(&r.relation)
                .bind(r.lag_minutes)
                .bind(r.anomalies.join(","));
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// The next free story id: above every story stored or recorded on a document.
    pub async fn next_story_id(&self) -> Result<i64> {
        let max: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(m) FROM (SELECT MAX(story_id) AS m FROM documents \
             UNION ALL SELECT MAX(id) AS m FROM stories) x",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// Reserves `n` story keys for this process alone; returns the first (the block is
    /// `first .. first + n`). A block starts above every story key in use, those given
    /// out another way (a rebuild) included, so processes placing documents side by side
    /// never give two stories one key.
    pub async fn reserve_story_keys(&self, n: usize) -> Result<i64> {
        let n = i64::try_from(n).unwrap_or(i64::MAX / 4);
        let greatest = match self.backend {
            crate::Backend::Postgres => "GREATEST",
            crate::Backend::Sqlite => "MAX",
        };
        let first: i64 = sqlx::query_scalar(&format!(
            "UPDATE id_blocks SET next_id = {greatest}(next_id, \
             (SELECT COALESCE(MAX(story_id), 0) + 1 FROM documents), \
             (SELECT COALESCE(MAX(id), 0) + 1 FROM stories)) + $1 \
             WHERE name = 'stories' RETURNING next_id - $1"
        ))
        .bind(n)
        .fetch_one(&self.pool)
        .await?;
        Ok(first)
    }

    /// Documents with no story yet (stored before stories, or by an import), oldest id
    /// first, after `after`.
    pub async fn unplaced_documents(&self, after: i64, limit: i64) -> Result<Vec<Document>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d JOIN sources s ON s.id = d.source_id \
             WHERE d.story_id IS NULL AND d.id > $1 ORDER BY d.id LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_from_row).collect()
    }

    /// Documents that have a story, fetched at or after `since` and seen then or later
    /// (by their story time, as [`StoryDigest::first_seen`] counts it), in id order after `after`, with
    /// their story and near-copy link: what the clusterer replays after a restart, which keeps
    /// stories by their members' times. An old article fetched lately is not among them.
    pub async fn placed_documents_since(
        &self,
        since: Timestamp,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(Document, i64, Option<i64>)>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS}, d.story_id, d.copy_of FROM documents d \
             JOIN sources s ON s.id = d.source_id \
             WHERE d.story_id IS NOT NULL AND d.fetched_at >= $1 AND d.id > $2 \
             AND {} >= $1 ORDER BY d.id LIMIT $3",
            story_time("d")
        ))
        .bind(millis(since))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((document_from_row(row)?, row.try_get("story_id")?, row.try_get("copy_of")?))
            })
            .collect()
    }

    /// Records placements decided outside a batch (documents stored before stories).
    pub async fn place_documents(&self, placements: &[Placement], now: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        crate::story_log::lock(&mut tx).await?;
        crate::story_log::record(&mut tx, placements, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stories that have documents but no row (their row went with a purged source).
    pub async fn stories_without_rows(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT d.story_id FROM documents d WHERE d.story_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM stories t WHERE t.id = d.story_id) ORDER BY d.story_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The stories with a document fetched since `since` whose row counts other documents
    /// or sightings than the story has: rows a process stopped before rewriting (a story's
    /// row is rewritten after the transaction that placed its documents).
    pub async fn stories_with_stale_rows(&self, since: Timestamp) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT x.story_id FROM (SELECT d.story_id, COUNT(DISTINCT d.id) AS documents, \
             COUNT(g.id) AS sightings FROM documents d JOIN sightings g ON g.document_id = d.id \
             WHERE d.story_id IN (SELECT story_id FROM documents WHERE fetched_at >= $1 \
             AND story_id IS NOT NULL) GROUP BY d.story_id) x \
             JOIN stories t ON t.id = x.story_id \
             WHERE t.documents <> x.documents OR t.sightings <> x.sightings ORDER BY x.story_id",
        )
        .bind(millis(since))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The story of each of `documents` that has one.
    pub async fn stories_of(&self, documents: &[i64]) -> Result<Vec<(i64, i64)>> {
        let mut out = Vec::new();
        for chunk in documents.chunks(500) {
            let sql = format!(
                "SELECT id, story_id FROM documents WHERE story_id IS NOT NULL AND id IN {}",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for row in q.fetch_all(&self.pool).await? {
                out.push((row.try_get("id")?, row.try_get("story_id")?));
            }
        }
        Ok(out)
    }

    /// Every sighting of the documents of `stories`, earliest first within each story, with
    /// the texts [`StoryMember::text`] describes.
    pub async fn story_members(&self, stories: &[i64]) -> Result<Vec<StoryMember>> {
        members_in(&mut *self.pool.acquire().await?, stories, &|_| true).await
    }

    /// Writes recomputed story rows and their sightings' relations in one transaction, a
    /// few statements per batch of stories rather than one per row.
    pub async fn save_stories(&self, updates: &[StoryUpdate], now: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        save_in(&mut tx, updates, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Recomputes the rows of `stories` under the story lock: `summary` says which texts it
    /// needs, then gets each story's [`StoryDigest`] (its counts, and the sightings the
    /// first publisher is chosen among) and answers the rows to save. Holding the lock, no
    /// placement is under way, so the rows count every document placed so far, and a
    /// refresh that read less cannot be saved after one that read more.
    pub async fn refresh_stories(
        &self,
        stories: &[i64],
        now: Timestamp,
        summary: &mut dyn StorySummary,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        crate::story_log::lock(&mut tx).await?;
        let digests = digests_in(&mut tx, stories, &|m| summary.wants_text(m)).await?;
        save_in(&mut tx, &summary.summarise(&digests), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Merges stories, each `(from, into)` in order: `from`'s documents move to `into`, and
    /// so do its alerts; where `into` already has an alert of the same rule, `from`'s open
    /// alert hands it its documents and is merged into it (both record the merge), so one
    /// incident stays one alert.
    /// `from`'s row goes (the caller saves `into`'s recomputed row).
    pub async fn merge_stories(&self, merges: &[(i64, i64)], now: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        crate::story_log::lock(&mut tx).await?;
        merge_in(&mut tx, self.schedule(), merges, now).await?;
        crate::story_log::log_merges(&mut tx, merges, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stories, most recently seen first.
    pub async fn stories(&self, q: &StoryQuery) -> Result<Vec<Story>> {
        let mut sql = format!(
            "SELECT {STORY_COLUMNS} FROM stories t LEFT JOIN sources os ON os.id = t.origin_source \
             WHERE t.last_seen >= $1"
        );
        let mut n = 1;
        if q.province.is_some() {
            n += 1;
            sql.push_str(&format!(
                " AND (t.province = ${n} OR EXISTS (SELECT 1 FROM documents d \
                 WHERE d.story_id = t.id AND d.province = ${n}))"
            ));
        }
        if q.rule.is_some() {
            n += 1;
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM documents d JOIN rule_hits h ON h.document_id = d.id \
                 WHERE d.story_id = t.id AND h.rule_id = ${n})"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY t.last_seen DESC, t.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ));
        let mut query = sqlx::query(&sql).bind(q.since.map_or(i64::MIN, millis));
        if let Some(p) = &q.province {
            query = query.bind(p);
        }
        if let Some(r) = &q.rule {
            query = query.bind(r);
        }
        let rows = query.bind(q.limit).bind(q.offset).fetch_all(&self.pool).await?;
        rows.iter().map(story_from_row).collect()
    }

    /// One story.
    pub async fn story(&self, id: i64) -> Result<Option<Story>> {
        let row = sqlx::query(&format!(
            "SELECT {STORY_COLUMNS} FROM stories t LEFT JOIN sources os ON os.id = t.origin_source \
             WHERE t.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(story_from_row).transpose()
    }

    /// Who carried a story when: every sighting of its documents, earliest first, with its
    /// relation to the first publisher.
    pub async fn story_timeline(&self, id: i64) -> Result<Vec<TimelineEntry>> {
        let rows = sqlx::query(
            "SELECT g.document_id, g.source_id, s.name AS source_name, s.tier, g.url, g.published_at, \
             g.fetched_at, g.relation, g.lag_minutes, g.anomalies, d.title \
             FROM sightings g JOIN documents d ON d.id = g.document_id \
             JOIN sources s ON s.id = g.source_id WHERE d.story_id = $1 \
             ORDER BY COALESCE(g.published_at, g.fetched_at), g.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let anomalies: Option<String> = row.try_get("anomalies")?;
                Ok(TimelineEntry {
                    sighting: sighting_from_row(row)?,
                    title: row.try_get("title")?,
                    relation: row.try_get("relation")?,
                    lag_minutes: row.try_get("lag_minutes")?,
                    anomalies: anomalies
                        .unwrap_or_default()
                        .split(',')
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .collect()
    }

    /// A story's documents, earliest first.
    pub async fn story_documents(&self, id: i64, limit: i64) -> Result<Vec<Document>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d JOIN sources s ON s.id = d.source_id \
             WHERE d.story_id = $1 ORDER BY COALESCE(d.published_at, d.fetched_at), d.id LIMIT $2"
        ))
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_from_row).collect()
    }

    /// The rules hitting a story's documents, most documents first.
    pub async fn story_topics(&self, id: i64) -> Result<Vec<StoryTopic>> {
        let rows = sqlx::query(
            "SELECT h.rule_id, MAX(h.rule_title) AS rule_title, MAX(h.kind) AS kind, \
             COUNT(DISTINCT h.document_id) AS n FROM rule_hits h JOIN documents d ON d.id = h.document_id \
             WHERE d.story_id = $1 GROUP BY h.rule_id ORDER BY n DESC, h.rule_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoryTopic {
                    rule_id: row.try_get("rule_id")?,
                    rule_title: row.try_get("rule_title")?,
                    kind: parse_enum(row.try_get::<&str, _>("kind")?)?,
                    documents: row.try_get("n")?,
                })
            })
            .collect()
    }

    /// The provinces a story's documents are about, most documents first.
    pub async fn story_places(&self, id: i64) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT province, COUNT(*) AS n FROM documents WHERE story_id = $1 AND province IS NOT NULL \
             GROUP BY province ORDER BY n DESC, province",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("province")?, row.try_get("n")?))).collect()
    }

    /// The alerts opened on a story, newest first.
    pub async fn story_alerts(&self, id: i64) -> Result<Vec<Alert>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM alerts a WHERE a.subject = $1 AND a.state <> 'merged' \
             ORDER BY a.last_seen DESC, a.id DESC",
            crate::alerts::ALERT_COLUMNS
        ))
        .bind(format!("story:{id}"))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::alerts::alert_from_row).collect()
    }
}

/// What [`Store::replace_placements`] did to alerts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rekeyed {
    /// Story alerts now keyed to their document's new story.
    pub alerts: u64,
    /// Open alerts folded into another of the same rule and new story.
    pub merged: u64,
}

impl Store {
    /// Every document's id and times (publication, fetch), for replaying them in time order.
    pub async fn document_times(&self) -> Result<Vec<(i64, Option<Timestamp>, Timestamp)>> {
        let rows = sqlx::query("SELECT id, published_at, fetched_at FROM documents ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get::<Option<i64>, _>("published_at")?.map(from_millis),
                    from_millis(r.try_get("fetched_at")?),
                ))
            })
            .collect()
    }

    /// The documents with these ids, in the order given (missing ones left out).
    pub async fn documents_by_ids(&self, ids: &[i64]) -> Result<Vec<Document>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {DOCUMENT_COLUMNS} FROM documents d JOIN sources s ON s.id = d.source_id \
                 WHERE d.id IN {}",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            let mut docs: Vec<Document> = q
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(document_from_row)
                .collect::<Result<_>>()?;
            docs.sort_by_key(|d| chunk.iter().position(|&i| i == d.id));
            out.extend(docs);
        }
        Ok(out)
    }

    /// Replaces every document's story with a fresh clustering, in one transaction: the
    /// story rows go (the caller rewrites them), each story alert follows its latest
    /// document to its new story, and open alerts of one rule that land on one story fold
    /// into the oldest of them, so an incident stays one alert.
    pub async fn replace_placements(
        &self,
        placements: &[Placement],
        now: Timestamp,
    ) -> Result<Rekeyed> {
        let mut tx = self.begin_write().await?;
        crate::story_log::lock(&mut tx).await?;
        crate::story_log::log_rebuild(&mut tx, now).await?;
        sqlx::query("UPDATE documents SET story_id = NULL, copy_of = NULL")
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sightings SET relation = NULL, lag_minutes = NULL, anomalies = NULL")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM stories").execute(&mut *tx).await?;
        write_placements(&mut tx, placements).await?;
        let rows = sqlx::query(
            "SELECT a.id, a.rule_id, a.state, d.story_id FROM alerts a \
             JOIN documents d ON d.id = a.last_document_id \
             WHERE a.subject LIKE 'story:%' ORDER BY a.id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut keep: std::collections::HashMap<(String, i64), i64> = Default::default();
        let mut moves: Vec<(i64, String)> = Vec::new();
        let mut folds: Vec<(i64, i64)> = Vec::new();
        for r in &rows {
            let (id, rule, state): (i64, String, String) =
                (r.try_get("id")?, r.try_get("rule_id")?, r.try_get("state")?);
            let Some(story) = r.try_get::<Option<i64>, _>("story_id")? else { continue };
            let open = state.parse::<model::AlertState>().is_ok_and(model::AlertState::is_open);
            match keep.get(&(rule.clone(), story)) {
                None => {
                    keep.insert((rule, story), id);
                    moves.push((id, format!("story:{story}")));
                }
                Some(&into) if open => folds.push((id, into)),
                // A finished alert keeps its history under a key of its own.
                Some(_) => moves.push((id, format!("story:{story}:{id}"))),
            }
        }
        for &(from, into) in &folds {
            fold_alert(&mut tx, self.schedule(), from, into, now).await?;
        }
        // Through a temporary key, so no two open alerts ever share one on the way.
        for (id, _) in &moves {
            sqlx::query("UPDATE alerts SET subject = $1 WHERE id = $2")
                .bind(format!("rekey:{id}"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for (id, subject) in &moves {
            sqlx::query("UPDATE alerts SET subject = $1 WHERE id = $2")
                .bind(subject)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Rekeyed { alerts: moves.len() as u64, merged: folds.len() as u64 })
    }
}

/// Folds alert `from` into `into`: its documents move, the counts and times widen, and
/// `from` goes.
async fn fold_alert(
    tx: &mut Transaction<'_, Any>,
    schedule: &alerts::deadlines::Schedule,
    from: i64,
    into: i64,
    at: Timestamp,
) -> Result<()> {
    let moved = sqlx::query(
        "INSERT INTO alert_documents (alert_id, document_id, added_at) \
         SELECT $1, document_id, added_at FROM alert_documents WHERE alert_id = $2 \
         ON CONFLICT DO NOTHING",
    )
    .bind(into)
    .bind(from)
    .execute(&mut **tx)
    .await?
    .rows_affected() as usize;
    sqlx::query(
        "UPDATE alerts SET doc_count = (SELECT COUNT(*) FROM alert_documents WHERE alert_id = $1), \
         first_seen = CASE WHEN first_seen < (SELECT first_seen FROM alerts WHERE id = $2) \
           THEN first_seen ELSE (SELECT first_seen FROM alerts WHERE id = $2) END, \
         last_seen = CASE WHEN last_seen > (SELECT last_seen FROM alerts WHERE id = $2) \
           THEN last_seen ELSE (SELECT last_seen FROM alerts WHERE id = $2) END \
         WHERE id = $1",
    )
    .bind(into)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    // The folded alert keeps its documents and history, as merged into the one that stays.
    let f = crate::workflow::current(tx, from).await?;
    let Some(fold) = alerts::triage::folding(&f, into, at) else { return Ok(()) };
    crate::workflow::apply_change(tx, &fold).await?;
    let i = crate::workflow::current(tx, into).await?;
    match alerts::triage::absorb(&i, &fold, at) {
        Ok(absorbed) => {
            crate::workflow::apply_change(tx, &absorbed).await?;
        }
        Err(_) if moved > 0 => {
            crate::workflow::record_growth(tx, schedule, &i, moved, 0, at).await?;
        }
        Err(_) => {}
    }
    Ok(())
}

impl Store {
    /// Splits the open alerts opened before stories (subject `rule`, every document of a
    /// rule in one alert) into one alert per (rule, story) once their documents have
    /// stories: the story of the latest document keeps the alert (its state, history and
    /// id), each other story's documents move to that story's open alert or a new one in
    /// the same state. Documents still without a story stay where they are. Returns the
    /// alerts opened. One transaction; running it again changes nothing.
    pub async fn split_rule_alerts(&self, now: Timestamp) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let legacy: Vec<(i64, i64)> = sqlx::query(
            "SELECT id, last_document_id FROM alerts WHERE subject = 'rule' \
             AND state NOT IN ('dismissed', 'merged', 'closed') ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("last_document_id")?)))
        .collect::<Result<_>>()?;
        let mut opened = 0;
        for (alert, last_doc) in legacy {
            let rows = sqlx::query(
                "SELECT ad.document_id, d.story_id FROM alert_documents ad \
                 JOIN documents d ON d.id = ad.document_id \
                 WHERE ad.alert_id = $1 AND d.story_id IS NOT NULL ORDER BY ad.document_id",
            )
            .bind(alert)
            .fetch_all(&mut *tx)
            .await?;
            let mut groups: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
            let mut own = None;
            for r in &rows {
                let (doc, story): (i64, i64) = (r.try_get("document_id")?, r.try_get("story_id")?);
                groups.entry(story).or_default().push(doc);
                if doc == last_doc {
                    own = Some(story);
                }
            }
            let Some(own) = own else { continue };
            // Other stories' documents first, so the alert keeps only its own story's.
            for (&story, docs) in groups.iter().filter(|(s, _)| **s != own) {
                let target = story_alert(&mut tx, alert, story).await?;
                if target.1 {
                    opened += 1;
                }
                move_documents(&mut tx, alert, target.0, docs).await?;
                recount(&mut tx, target.0).await?;
            }
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT b.id FROM alerts a JOIN alerts b ON b.rule_id = a.rule_id AND b.subject = $2 \
                 WHERE a.id = $1",
            )
            .bind(alert)
            .bind(format!("story:{own}"))
            .fetch_optional(&mut *tx)
            .await?;
            match existing {
                Some(other) => fold_alert(&mut tx, self.schedule(), alert, other, now).await?,
                None => {
                    sqlx::query("UPDATE alerts SET subject = $1 WHERE id = $2")
                        .bind(format!("story:{own}"))
                        .bind(alert)
                        .execute(&mut *tx)
                        .await?;
                    recount(&mut tx, alert).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(opened)
    }
}

/// The open alert of `from`'s rule on `story`, opening it (in `from`'s state) when there
/// is none; and whether it was opened.
async fn story_alert(tx: &mut Transaction<'_, Any>, from: i64, story: i64) -> Result<(i64, bool)> {
    let subject = format!("story:{story}");
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT b.id FROM alerts a JOIN alerts b ON b.rule_id = a.rule_id AND b.subject = $2 \
         WHERE a.id = $1",
    )
    .bind(from)
    .bind(&subject)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = found {
        return Ok((id, false));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alerts (kind, rule_id, subject, rule_title, severity, state, first_seen, \
         last_seen, doc_count, last_document_id) SELECT kind, rule_id, $2, rule_title, severity, \
         state, first_seen, last_seen, 0, last_document_id FROM alerts WHERE id = $1 RETURNING id",
    )
    .bind(from)
    .bind(&subject)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, true))
}

async fn move_documents(
    tx: &mut Transaction<'_, Any>,
    from: i64,
    into: i64,
    docs: &[i64],
) -> Result<()> {
    for doc in docs {
        sqlx::query(
            "INSERT INTO alert_documents (alert_id, document_id, added_at) \
             SELECT $1, document_id, added_at FROM alert_documents WHERE alert_id = $2 AND document_id = $3 \
             ON CONFLICT DO NOTHING",
        )
        .bind(into)
        .bind(from)
        .bind(doc)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM alert_documents WHERE alert_id = $1 AND document_id = $2")
            .bind(from)
            .bind(doc)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Recomputes an alert's count, times and latest document from its documents.
async fn recount(tx: &mut Transaction<'_, Any>, alert: i64) -> Result<()> {
    sqlx::query(
        "UPDATE alerts SET doc_count = (SELECT COUNT(*) FROM alert_documents WHERE alert_id = $1), \
         first_seen = COALESCE((SELECT MIN(added_at) FROM alert_documents WHERE alert_id = $1), first_seen), \
         last_seen = COALESCE((SELECT MAX(added_at) FROM alert_documents WHERE alert_id = $1), last_seen), \
         last_document_id = COALESCE((SELECT MAX(document_id) FROM alert_documents WHERE alert_id = $1), last_document_id) \
         WHERE id = $1",
    )
    .bind(alert)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
