//! The story log: every placement, merge and rebuild of stories in the order it was
//! decided, and the lock under which processes placing documents side by side decide
//! one at a time, each first applying what the others wrote since its last reading.

use model::{Document, Timestamp};
use sqlx::{Any, Row, Transaction};

use crate::documents::{DOCUMENT_COLUMNS, Inserted, document_from_row};
use crate::stories::Placement;
use crate::{Backend, Result, Store, millis};

/// The PostgreSQL advisory lock stories are decided under (any fixed number will do; this
/// one spells "LNSTORY1"). On SQLite the database's write lock serves.
const STORY_LOCK: i64 = 0x4C4E_5354_4F52_5931;

/// A process this many entries behind reads its stories again instead of replaying them.
const MAX_ENTRIES: i64 = 50_000;

/// How long entries are kept: a process that read nothing for longer reads its stories
/// again.
pub const STORY_LOG_KEPT: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// One decision about stories, as another process wrote it.
#[derive(Debug, Clone)]
pub enum StoryEntry {
    /// A document was placed in a story.
    Placed {
        /// The document, as stored now.
        document: Box<Document>,
        /// Its story.
        story: i64,
        /// The earlier document it near-copies.
        copy_of: Option<i64>,
    },
    /// One story was merged into another.
    Merged {
        /// The story merged away.
        from: i64,
        /// The story it went into.
        into: i64,
    },
    /// Every story was decided again from scratch.
    Rebuilt,
}

/// The entries after a reader's position.
#[derive(Debug, Clone, Default)]
pub struct StoryLog {
    /// Oldest first; placements of documents deleted since are left out.
    pub entries: Vec<StoryEntry>,
    /// The last entry's number (the reader's position when there is none).
    pub end: i64,
    /// Entries after the reader's position are gone (pruned, or too many to replay): the
    /// reader must read its stories from the store again.
    pub behind: bool,
}

/// Decides the stories of documents a batch stores, inside the batch's transaction.
pub trait Placer: Send {
    /// The last entry of the story log this placer has applied, or `None` when it keeps no
    /// stories of its own to bring up to date (the log is then not read).
    fn position(&self) -> Option<i64>;
    /// Applies `log` (what others decided since [`Placer::position`]) and then places the
    /// new documents of group `group`.
    fn place(&mut self, group: usize, log: StoryLog, inserted: &[Inserted]) -> Vec<Placement>;
    /// The log now ends at `end` with this placer's own placements.
    fn written(&mut self, end: i64);
}

/// A placer made of a function that decides each group's placements by itself.
pub struct Placing<F>(F);

/// Places with `f`, given each group and its new documents.
pub fn placing<F>(f: F) -> Placing<F>
where
    F: FnMut(usize, &[Inserted]) -> Vec<Placement> + Send,
{
    Placing(f)
}

/// Places every new document in `story`: for callers that know the story already (an
/// import of one event's documents, a fixture).
pub fn into_story(story: i64) -> Placing<impl FnMut(usize, &[Inserted]) -> Vec<Placement> + Send> {
    placing(move |_, inserted: &[Inserted]| {
        inserted
            .iter()
            .map(|i| Placement { document_id: i.id, story: Some(story), copy_of: None })
            .collect()
    })
}

impl<F> Placer for Placing<F>
where
    F: FnMut(usize, &[Inserted]) -> Vec<Placement> + Send,
{
    fn position(&self) -> Option<i64> {
        None
    }

    fn place(&mut self, group: usize, _: StoryLog, inserted: &[Inserted]) -> Vec<Placement> {
        (self.0)(group, inserted)
    }

    fn written(&mut self, _: i64) {}
}

/// Takes the story lock for the rest of `tx` (PostgreSQL; SQLite's write transactions
/// hold the database's lock already).
pub(crate) async fn lock(tx: &mut Transaction<'_, Any>) -> Result<()> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(STORY_LOCK).execute(&mut **tx).await?;
    }
    Ok(())
}

/// The entries after `after`; call it holding the lock.
pub(crate) async fn read(tx: &mut Transaction<'_, Any>, after: i64) -> Result<StoryLog> {
    let pruned: i64 =
        sqlx::query_scalar("SELECT next_id FROM id_blocks WHERE name = 'story_log_pruned'")
            .fetch_optional(&mut **tx)
            .await?
            .unwrap_or(0);
    let end = end_in(tx).await?.max(after);
    if after < pruned || end - after > MAX_ENTRIES {
        return Ok(StoryLog { entries: Vec::new(), end, behind: true });
    }
    if end == after {
        return Ok(StoryLog { entries: Vec::new(), end, behind: false });
    }
    let rows = sqlx::query(&format!(
        "SELECT l.seq, l.kind, l.story_id AS log_story, l.copy_of AS log_copy_of, l.into_story, \
         {DOCUMENT_COLUMNS} FROM story_log l LEFT JOIN documents d ON d.id = l.document_id \
         LEFT JOIN sources s ON s.id = d.source_id WHERE l.seq > $1 ORDER BY l.seq"
    ))
    .bind(after)
    .fetch_all(&mut **tx)
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let kind: String = row.try_get("kind")?;
        match kind.as_str() {
            "placed" => {
                // A document deleted since (its source purged) is nobody's to replay.
                if row.try_get::<Option<i64>, _>("id")?.is_none() {
                    continue;
                }
                let Some(story) = row.try_get::<Option<i64>, _>("log_story")? else { continue };
                entries.push(StoryEntry::Placed {
                    document: Box::new(document_from_row(row)?),
                    story,
                    copy_of: row.try_get("log_copy_of")?,
                });
            }
            "merged" => {
                let (from, into): (Option<i64>, Option<i64>) =
                    (row.try_get("log_story")?, row.try_get("into_story")?);
                if let (Some(from), Some(into)) = (from, into) {
                    entries.push(StoryEntry::Merged { from, into });
                }
            }
            _ => entries.push(StoryEntry::Rebuilt),
        }
    }
    Ok(StoryLog { entries, end, behind: false })
}

/// The last entry's number.
async fn end_in(conn: &mut sqlx::AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM story_log")
        .fetch_one(conn)
        .await?
        .unwrap_or(0))
}

/// Writes placements on their documents and logs those with a story; returns the log's
/// end. Call it holding the lock.
pub(crate) async fn record(
    tx: &mut Transaction<'_, Any>,
    placements: &[Placement],
    now: Timestamp,
) -> Result<i64> {
    crate::stories::write_placements(tx, placements).await?;
    log_placements(tx, placements, now).await
}

/// Logs placements with a story (the caller writes them on their documents); returns the
/// log's end.
pub(crate) async fn log_placements(
    tx: &mut Transaction<'_, Any>,
    placements: &[Placement],
    now: Timestamp,
) -> Result<i64> {
    let placed: Vec<(i64, i64, Option<i64>)> =
        placements.iter().filter_map(|p| Some((p.document_id, p.story?, p.copy_of))).collect();
    for chunk in placed.chunks(500) {
        let sql = format!(
            "INSERT INTO story_log (at, kind, document_id, story_id, copy_of) VALUES {}",
            crate::documents::values_list(tx, chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (document, story, copy_of) in chunk {
            q = q.bind(millis(now)).bind("placed").bind(*document).bind(*story).bind(*copy_of);
        }
        q.execute(&mut **tx).await?;
    }
    end_in(tx).await
}

/// Logs merges (the caller applies them to the stored stories).
pub(crate) async fn log_merges(
    tx: &mut Transaction<'_, Any>,
    merges: &[(i64, i64)],
    now: Timestamp,
) -> Result<()> {
    for &(from, into) in merges {
        sqlx::query(
            "INSERT INTO story_log (at, kind, story_id, into_story) VALUES ($1, 'merged', $2, $3)",
        )
        .bind(millis(now))
        .bind(from)
        .bind(into)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Logs a rebuild: every process reads its stories again.
pub(crate) async fn log_rebuild(tx: &mut Transaction<'_, Any>, now: Timestamp) -> Result<()> {
    sqlx::query("INSERT INTO story_log (at, kind) VALUES ($1, 'rebuilt')")
        .bind(millis(now))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stories being decided by this process alone: a write transaction holding the story
/// lock. Dropped without [`StoryDecision::commit`], nothing it wrote is kept.
pub struct StoryDecision {
    tx: Transaction<'static, Any>,
    schedule: alerts::deadlines::Schedule,
}

impl StoryDecision {
    /// Writes placements decided outside a batch (documents stored before stories, or by
    /// a process that could not place them).
    pub async fn place(&mut self, placements: &[Placement], now: Timestamp) -> Result<()> {
        record(&mut self.tx, placements, now).await?;
        Ok(())
    }

    /// Merges stories, `(from, into)` in the order they were decided: documents and
    /// alerts follow, as [`Store::merge_stories`] does.
    pub async fn merge(&mut self, merges: &[(i64, i64)], now: Timestamp) -> Result<()> {
        crate::stories::merge_in(&mut self.tx, &self.schedule, merges, now).await?;
        log_merges(&mut self.tx, merges, now).await
    }

    /// Commits; returns the log's end, this decision's own entries included.
    pub async fn commit(mut self) -> Result<i64> {
        let end = end_in(&mut self.tx).await?;
        self.tx.commit().await?;
        Ok(end)
    }
}

impl Store {
    /// Begins deciding stories: takes the story lock (waiting for another process that
    /// holds it) and reads what was decided after `after`.
    pub async fn decide_stories(&self, after: i64) -> Result<(StoryDecision, StoryLog)> {
        let mut tx = self.begin_write().await?;
        lock(&mut tx).await?;
        let log = read(&mut tx, after).await?;
        Ok((StoryDecision { tx, schedule: self.schedule().clone() }, log))
    }

    /// The story log's last entry: where a process that reads its stories now starts
    /// following (read before the stories, so nothing decided meanwhile is missed).
    pub async fn story_log_end(&self) -> Result<i64> {
        end_in(&mut *self.pool.acquire().await?).await
    }

    /// Drops the entries written before `before`; returns how many.
    pub async fn prune_story_log(&self, before: Timestamp) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        lock(&mut tx).await?;
        let cut: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM story_log WHERE at < $1")
            .bind(millis(before))
            .fetch_one(&mut *tx)
            .await?;
        let Some(cut) = cut else { return Ok(0) };
        let dropped = sqlx::query("DELETE FROM story_log WHERE seq <= $1")
            .bind(cut)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let greatest = match self.backend {
            Backend::Postgres => "GREATEST",
            Backend::Sqlite => "MAX",
        };
        sqlx::query(&format!(
            "UPDATE id_blocks SET next_id = {greatest}(next_id, $1) WHERE name = 'story_log_pruned'"
        ))
        .bind(cut)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(dropped)
    }
}
