//! The PostgreSQL search backend's SQL: filling each document's lexemes
//! (`document_lexemes`, migration 0017) from the queue the documents table's triggers
//! keep, and searching them.
//!
//! A search selects candidates with the query's `tsquery` through the GIN index, restricted
//! by the filter on store columns, and orders them by rank (`ts_rank_cd`), time or reach,
//! then id, so cursors are never ambiguous. When every candidate is known to match (no
//! `NEAR`, mixed phrase or several-word source name, and no lossy document among the
//! phrase candidates) a page is one `LIMIT … OFFSET` and the total one count. Otherwise, as
//! the tantivy index does, at most [`search::fulltext::CHECKED_CANDIDATES`] candidates are
//! read in order and checked exactly on their text, filling the page and then counting for
//! a short while. Highlights come from `search::fulltext::Checker`, as the tantivy index's
//! do. Each search runs in one read-only transaction whose statement timeout is what is
//! left of its budget.

use std::collections::HashMap;
use std::fmt::Write as _;

use model::{NewDocument, RuleKind};
use query::Expr;
use search::fulltext::{CHECKED_CANDIDATES, Checker, NO_REACH, Selects, StoredText, TextQuery};
use search::{Budget, Cursor, Facets, Filter, SearchHit, SearchRequest, SearchResults, Sort};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::{Backend, Error, Result, Store, from_millis};

/// Documents whose lexemes one call of [`Store::fill_lexemes`] writes at most.
pub const LEXEME_BATCH: i64 = 200;

impl Store {
    /// Writes the lexemes of up to `limit` queued documents (new, changed, or of a renamed
    /// source) and returns how many it took from the queue; 0 when it is empty, and always
    /// on SQLite, which has no lexemes. Safe to run in several processes at once: each
    /// takes queue rows no other holds, and deletes them in the transaction that writes
    /// their lexemes.
    pub async fn fill_lexemes(&self, limit: i64) -> Result<usize> {
        if self.backend != Backend::Postgres {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT document_id FROM lexeme_queue ORDER BY document_id LIMIT $1 \
             FOR UPDATE SKIP LOCKED",
        )
        .bind(limit.max(1))
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let list = id_list(&ids);
        let rows = sqlx::query(&format!(
            "SELECT d.id, d.source_id, d.url, d.title, d.summary, d.body, d.fetched_at, \
             d.language, d.content_hash, d.revision, s.name AS source_name \
             FROM documents d JOIN sources s ON s.id = d.source_id WHERE d.id IN ({list})"
        ))
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let doc = searched_document(row)?;
            // The same text the tantivy index is given.
            let source: String = row.try_get("source_name")?;
            let lexemes =
                search::fulltext::lexemes(&doc.title, &doc.full_text(), &source, &doc.language);
            sqlx::query(
                "INSERT INTO document_lexemes (document_id, lexemes, lossy, revision) \
                 VALUES ($1, CAST($2 AS tsvector), $3, $4) \
                 ON CONFLICT (document_id) DO UPDATE SET lexemes = EXCLUDED.lexemes, \
                 lossy = EXCLUDED.lossy, revision = EXCLUDED.revision",
            )
            .bind(id)
            .bind(&lexemes.vector)
            .bind(lexemes.lossy)
            .bind(row.try_get::<i64, _>("revision")?)
            .execute(&mut *tx)
            .await?;
        }
        // Queue rows of documents since deleted go too.
        sqlx::query(&format!("DELETE FROM lexeme_queue WHERE document_id IN ({list})"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::debug!(n_documents = rows.len(), "Lexemes written.");
        Ok(ids.len())
    }

    /// Turns the lexemes on (the database is searched: every document stored from now on
    /// is queued, and turning them on queues every document stored, whose lexemes may be
    /// missing or out of date) or off (the tantivy index is searched: nothing is queued
    /// and the queue is emptied). `serve` sets it from `search.backend`. Nothing on SQLite.
    pub async fn use_lexemes(&self, on: bool) -> Result<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        let was: bool = sqlx::query_scalar("SELECT enabled FROM lexeme_switch FOR UPDATE")
            .fetch_one(&mut *tx)
            .await?;
        if was != on {
            sqlx::query("UPDATE lexeme_switch SET enabled = $1").bind(on).execute(&mut *tx).await?;
            let queue = if on {
                "INSERT INTO lexeme_queue (document_id) SELECT id FROM documents ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM lexeme_queue"
            };
            let n = sqlx::query(queue).execute(&mut *tx).await?.rows_affected();
            tracing::info!(on, n_documents = n, "Search lexemes switched.");
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many documents wait for their lexemes (0 on SQLite).
    pub async fn lexemes_pending(&self) -> Result<i64> {
        if self.backend != Backend::Postgres {
            return Ok(0);
        }
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM lexeme_queue").fetch_one(&self.pool).await?)
    }

    /// Queues every document for new lexemes (after a change of how they are made); the
    /// fillers rewrite them. Returns how many were queued.
    pub async fn requeue_all_lexemes(&self) -> Result<u64> {
        if self.backend != Backend::Postgres {
            return Ok(0);
        }
        Ok(sqlx::query(
            "INSERT INTO lexeme_queue (document_id) SELECT id FROM documents ON CONFLICT DO NOTHING",
        )
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Runs a parsed query, or with `None` every document the request's filter admits, for
    /// one page of results within `budget`, over the stored lexemes: what
    /// `search::SearchIndex::search_filtered` does over the tantivy index, with the same
    /// matches, pages, cursors, facets and highlights. Only on PostgreSQL.
    pub async fn search_text(
        &self,
        expr: Option<&Expr>,
        request: &SearchRequest,
        budget: &Budget,
    ) -> search::Result<SearchResults> {
        if self.backend != Backend::Postgres {
            return Err(search::Error::Index(
                "the PostgreSQL search backend needs a PostgreSQL database".to_owned(),
            ));
        }
        if request.offset > search::MAX_OFFSET {
            return Err(search::Error::Page(format!(
                "offset {} is beyond {}: follow the `next` cursor of each page to go deeper",
                request.offset,
                search::MAX_OFFSET
            )));
        }
        if let Some(c) = request.after
            && c.sort() != request.sort
        {
            return Err(search::Error::Page("the cursor belongs to another sort order".to_owned()));
        }
        budget.check()?;
        let plan = Plan::new(expr, request);
        let mut tx = self.pool.begin().await.map_err(|e| db(e.into(), budget))?;
        if let Some(left) = budget.remaining() {
            let ms = left.as_millis().clamp(1, i32::MAX as u128);
            sqlx::query(&format!("SET LOCAL statement_timeout = {ms}"))
                .execute(&mut *tx)
                .await
                .map_err(|e| db(e.into(), budget))?;
        }
        let result = plan.run(&mut tx, request, budget).await;
        // Read only: nothing to keep.
        let _ = tx.rollback().await;
        result
    }
}

/// A database error as a search error: a statement cut off by the budget's timeout is the
/// budget's error.
fn db(e: Error, budget: &Budget) -> search::Error {
    match budget.check() {
        Err(spent) => spent,
        Ok(()) => search::Error::Index(format!("database: {e}")),
    }
}

/// Ids as an SQL list (integers only, so nothing to escape).
fn id_list(ids: &[i64]) -> String {
    let mut out = String::new();
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{id}");
    }
    out
}

/// A bound parameter.
#[derive(Debug, Clone)]
enum Arg {
    Int(i64),
    Float(f64),
    Text(String),
}

/// One statement being written, with its parameters.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Int(i) => q.bind(*i),
                Arg::Float(f) => q.bind(*f),
                Arg::Text(t) => q.bind(t.clone()),
            };
        }
        q
    }
}

/// The document's time, as the index keeps it.
const TIME: &str = "COALESCE(d.published_at, d.fetched_at)";

/// A post's engagement, as the index keeps it (`NO_REACH` without counts).
fn reach_sql() -> String {
    format!(
        "(CASE WHEN d.platform IS NULL OR (d.reactions IS NULL AND d.shares IS NULL AND \
         d.comments IS NULL) THEN {NO_REACH} ELSE GREATEST(COALESCE(d.reactions, 0), 0) + \
         GREATEST(COALESCE(d.shares, 0), 0) + GREATEST(COALESCE(d.comments, 0), 0) END)"
    )
}

/// What one search runs.
struct Plan<'a> {
    expr: Option<&'a Expr>,
    query: Option<TextQuery>,
    filter: &'a Filter,
    sort: Sort,
    after: Option<Cursor>,
}

/// A candidate in result order.
struct Candidate {
    id: i64,
    key: f64,
    /// Known to match without reading its text.
    sure: bool,
}

impl<'a> Plan<'a> {
    fn new(expr: Option<&'a Expr>, request: &'a SearchRequest) -> Plan<'a> {
        Plan {
            expr,
            query: expr.map(TextQuery::compile),
            filter: &request.filter,
            sort: request.sort,
            after: request.after,
        }
    }

    /// `FROM … WHERE …` of the matches: the text condition, the filter, and with `cursor`
    /// the results after the request's cursor.
    fn matches_sql(&self, sql: &mut Sql, cursor: bool) -> String {
        let mut out = String::new();
        let mut conds: Vec<String> = Vec::new();
        match &self.query {
            Some(q) => {
                out.push_str("FROM document_lexemes l JOIN documents d ON d.id = l.document_id");
                let strict = selects(sql, &q.strict);
                conds.push(match &q.lossy {
                    Some(lossy) => format!("({strict} OR (l.lossy AND {}))", selects(sql, lossy)),
                    None => strict,
                });
            }
            None => out.push_str("FROM documents d"),
        }
        self.filter_conditions(sql, &mut conds);
        if cursor && let Some(c) = self.after {
            let key = self.key_sql(sql);
            let (p, i) = (sql.arg(Arg::Float(c.primary())), sql.arg(Arg::Int(c.id())));
            conds.push(format!("({key}, d.id) < ({p}, {i})"));
        }
        if !conds.is_empty() {
            out.push_str(" WHERE ");
            out.push_str(&conds.join(" AND "));
        }
        out
    }

    fn filter_conditions(&self, sql: &mut Sql, conds: &mut Vec<String>) {
        let f = self.filter;
        if let Some(from) = f.from {
            conds.push(format!("{TIME} >= {}", sql.arg(Arg::Int(from.timestamp_millis()))));
        }
        if let Some(until) = f.until {
            conds.push(format!("{TIME} < {}", sql.arg(Arg::Int(until.timestamp_millis()))));
        }
        let ids = |column: &str, ids: &[i64]| {
            if ids.is_empty() {
                "FALSE".to_owned()
            } else {
                format!("{column} IN ({})", id_list(ids))
            }
        };
        if let Some(sources) = &f.sources {
            conds.push(ids("d.source_id", sources));
        }
        if let Some(documents) = &f.documents {
            conds.push(ids("d.id", documents));
        }
        let texts = |sql: &mut Sql, values: &mut dyn Iterator<Item = String>| {
            values.map(|v| sql.arg(Arg::Text(v))).collect::<Vec<_>>().join(", ")
        };
        if !f.provinces.is_empty() {
            let list = texts(sql, &mut f.provinces.iter().cloned());
            conds.push(format!("d.province IN ({list})"));
        }
        let hit = |cond: String| {
            format!("EXISTS (SELECT 1 FROM rule_hits h WHERE h.document_id = d.id AND {cond})")
        };
        if !f.kinds.is_empty() {
            let list = texts(sql, &mut f.kinds.iter().map(|k| k.as_str().to_owned()));
            conds.push(hit(format!("h.kind IN ({list})")));
        }
        // With both, the stance must be that of a hit of one of the rules.
        let mut on_hit = Vec::new();
        if !f.rules.is_empty() {
            let list = texts(sql, &mut f.rules.iter().cloned());
            on_hit.push(format!("h.rule_id IN ({list})"));
        }
        if !f.stances.is_empty() {
            let list = texts(sql, &mut f.stances.iter().map(|s| s.as_str().to_owned()));
            on_hit.push(format!("h.stance IN ({list})"));
        }
        if !on_hit.is_empty() {
            conds.push(hit(on_hit.join(" AND ")));
        }
    }

    /// The primary sort key, as a double as cursors carry it.
    fn key_sql(&self, sql: &mut Sql) -> String {
        match self.sort {
            Sort::Relevance => match self.query.as_ref().map(|q| &q.strict) {
                Some(Selects::Matching(q)) => format!(
                    "CAST(ts_rank_cd(l.lexemes, CAST({} AS tsquery)) AS DOUBLE PRECISION)",
                    sql.arg(Arg::Text(q.clone()))
                ),
                _ => "CAST(0 AS DOUBLE PRECISION)".to_owned(),
            },
            Sort::Newest => format!("CAST({TIME} AS DOUBLE PRECISION)"),
            Sort::Reach => format!("CAST({} AS DOUBLE PRECISION)", reach_sql()),
        }
    }

    /// Whether every candidate is a match without reading its text, and, if not, whether
    /// a candidate is (`sure_sql`).
    async fn direct(&self, tx: &mut Transaction<'_, Any>) -> Result<bool> {
        let Some(q) = &self.query else { return Ok(true) };
        if q.approximate {
            return Ok(false);
        }
        let Some(lossy) = &q.lossy else { return Ok(true) };
        // Only phrases on lossy documents need their text: are there any such candidates?
        let mut sql = Sql::default();
        let cond = selects(&mut sql, lossy);
        sql.text = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM document_lexemes l WHERE l.lossy AND {cond} \
             LIMIT 1) x"
        );
        let n: i64 = sql.query().fetch_one(&mut **tx).await?.try_get(0)?;
        Ok(n == 0)
    }

    fn sure_sql(&self) -> &'static str {
        match &self.query {
            None => "TRUE",
            Some(q) if q.approximate => "FALSE",
            Some(q) if q.lossy.is_some() => "NOT l.lossy",
            Some(_) => "TRUE",
        }
    }

    async fn run(
        &self,
        tx: &mut Transaction<'_, Any>,
        request: &SearchRequest,
        budget: &Budget,
    ) -> search::Result<SearchResults> {
        let limit = request.limit.clamp(1, search::MAX_LIMIT);
        let direct = self.direct(tx).await.map_err(|e| db(e, budget))?;
        let checker = Checker::new(self.expr);
        let mut fuel = Checker::fuel(budget);
        if direct {
            let mut sql = Sql::default();
            let key = self.key_sql(&mut sql);
            let from = self.matches_sql(&mut sql, true);
            let (n, skip) =
                (sql.arg(Arg::Int(limit as i64 + 1)), sql.arg(Arg::Int(request.offset as i64)));
            sql.text = format!(
                "SELECT d.id, {key} AS k {from} ORDER BY k DESC, d.id DESC LIMIT {n} OFFSET {skip}"
            );
            let rows = sql.query().fetch_all(&mut **tx).await.map_err(|e| db(e.into(), budget))?;
            let mut keyed = rows
                .iter()
                .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<f64, _>(1)?)))
                .collect::<Result<Vec<(i64, f64)>>>()
                .map_err(|e| db(e, budget))?;
            let next = (keyed.len() > limit).then(|| keyed[limit - 1]);
            keyed.truncate(limit);
            budget.check()?;
            let mut sql = Sql::default();
            let from = self.matches_sql(&mut sql, false);
            sql.text = format!("SELECT COUNT(*) {from}");
            let total: i64 = sql
                .query()
                .fetch_one(&mut **tx)
                .await
                .and_then(|r| r.try_get(0))
                .map_err(|e| db(e.into(), budget))?;
            let facets = if request.facets {
                let mut sql = Sql::default();
                let from = self.matches_sql(&mut sql, false);
                Some(facets(tx, sql, &format!("SELECT d.id {from}"), true, budget).await?)
            } else {
                None
            };
            let texts =
                read_texts(tx, &keyed.iter().map(|k| k.0).collect::<Vec<_>>(), budget).await?;
            let mut hits = Vec::with_capacity(keyed.len());
            for (id, key) in keyed {
                budget.check()?;
                let Some(text) = texts.get(&id) else { continue };
                if let Some(hit) = text.hit(&checker, &mut fuel, false, self.score(key))? {
                    hits.push(hit);
                }
            }
            return Ok(SearchResults {
                total: usize::try_from(total).unwrap_or_default(),
                total_exact: true,
                hits,
                next: next.map(|(id, key)| Cursor::new(self.sort, key, id)),
                facets,
            });
        }
        self.run_checked(tx, request, limit, &checker, &mut fuel, budget).await
    }

    fn score(&self, key: f64) -> f32 {
        if self.sort == Sort::Relevance { key as f32 } else { 0.0 }
    }

    /// Reads candidates in result order and checks those not known to match on their
    /// text: the page fills, then counting goes on ([`search::Counting`]); a count cut short
    /// is a lower bound.
    async fn run_checked(
        &self,
        tx: &mut Transaction<'_, Any>,
        request: &SearchRequest,
        limit: usize,
        checker: &Checker,
        fuel: &mut query::Fuel,
        budget: &Budget,
    ) -> search::Result<SearchResults> {
        let mut sql = Sql::default();
        let key = self.key_sql(&mut sql);
        let from = self.matches_sql(&mut sql, true);
        let want = sql.arg(Arg::Int(CHECKED_CANDIDATES as i64));
        sql.text = format!(
            "SELECT d.id, {key} AS k, {} AS sure {from} ORDER BY k DESC, d.id DESC LIMIT {want}",
            self.sure_sql()
        );
        let rows = sql.query().fetch_all(&mut **tx).await.map_err(|e| db(e.into(), budget))?;
        let candidates = rows
            .iter()
            .map(|r| Ok(Candidate { id: r.try_get(0)?, key: r.try_get(1)?, sure: r.try_get(2)? }))
            .collect::<Result<Vec<Candidate>>>()
            .map_err(|e| db(e, budget))?;
        let capped = candidates.len() >= CHECKED_CANDIDATES;
        let mut page: Vec<SearchHit> = Vec::with_capacity(limit);
        let mut last_on_page: Option<(i64, f64)> = None;
        let mut next = None;
        let mut matched: Vec<i64> = Vec::new();
        let mut counting: Option<search::Counting> = None;
        let mut checked_all = true;
        'chunks: for chunk in candidates.chunks(CHUNK) {
            // Texts for the candidates to check, and for all of them while the page is open.
            let page_open = page.len() < limit;
            let wanted: Vec<i64> =
                chunk.iter().filter(|c| page_open || !c.sure).map(|c| c.id).collect();
            let texts = if wanted.is_empty() {
                HashMap::new()
            } else {
                match read_texts(tx, &wanted, budget).await {
                    Ok(texts) => texts,
                    Err(_) if page.len() >= limit => {
                        next = next.or(last_on_page);
                        checked_all = false;
                        break 'chunks;
                    }
                    Err(e) => return Err(e),
                }
            };
            for c in chunk {
                let stop = budget.check().err().or_else(|| {
                    counting
                        .as_mut()
                        .is_some_and(search::Counting::over)
                        .then_some(search::Error::Cancelled)
                });
                if let Some(e) = stop {
                    if page.len() < limit {
                        return Err(e);
                    }
                    next = next.or(last_on_page);
                    checked_all = false;
                    break 'chunks;
                }
                let on_page = matched.len() >= request.offset && page.len() < limit;
                // A candidate known to match is read only to be shown, and then only highlighted.
                let hit = match (c.sure, texts.get(&c.id)) {
                    (true, _) if !on_page => None,
                    (_, Some(text)) => match text.hit(checker, fuel, !c.sure, self.score(c.key))? {
                        Some(hit) => Some(hit),
                        None => continue,
                    },
                    // Deleted since it was selected.
                    (_, None) => continue,
                };
                matched.push(c.id);
                if matched.len() <= request.offset {
                    continue;
                }
                if let Some(hit) = hit.filter(|_| page.len() < limit) {
                    page.push(hit);
                    last_on_page = Some((c.id, c.key));
                } else if next.is_none() {
                    next = last_on_page;
                    counting = Some(search::Counting::start());
                }
            }
        }
        let total = matched.len();
        let total_exact = request.after.is_none() && checked_all && !capped;
        let facets = if request.facets {
            let mut sql = Sql::default();
            let list = sql.arg(Arg::Text(id_list(&matched)));
            let from = format!(
                "SELECT d.id FROM documents d WHERE d.id = ANY(CAST(string_to_array({list}, ',') \
                 AS BIGINT[]))"
            );
            Some(facets(tx, sql, &from, total_exact, budget).await?)
        } else {
            None
        };
        Ok(SearchResults {
            total,
            total_exact,
            hits: page,
            next: next.map(|(id, key)| Cursor::new(self.sort, key, id)),
            facets,
        })
    }
}

/// Candidates whose texts are read in one statement.
const CHUNK: usize = 64;

/// The `tsquery` condition of a selection.
fn selects(sql: &mut Sql, s: &Selects) -> String {
    match s {
        Selects::All => "TRUE".to_owned(),
        Selects::Nothing => "FALSE".to_owned(),
        Selects::Matching(q) => {
            format!("l.lexemes @@ CAST({} AS tsquery)", sql.arg(Arg::Text(q.clone())))
        }
    }
}

/// What a result shows, read from the store.
struct Text {
    id: i64,
    title: String,
    body: String,
    source: String,
    language: String,
    url: String,
    time: i64,
    source_id: i64,
    province: Option<String>,
    rules: Vec<String>,
    reach: i64,
}

impl Text {
    fn hit(
        &self,
        checker: &Checker,
        fuel: &mut query::Fuel,
        exact: bool,
        score: f32,
    ) -> search::Result<Option<SearchHit>> {
        let stored = StoredText {
            title: &self.title,
            body: &self.body,
            source: &self.source,
            language: &self.language,
        };
        let Some((title, snippet)) = checker.hit(&stored, fuel, exact)? else { return Ok(None) };
        Ok(Some(SearchHit {
            id: self.id,
            score,
            title,
            snippet,
            source: self.source.clone(),
            language: self.language.clone(),
            url: self.url.clone(),
            time: from_millis(self.time),
            source_id: self.source_id,
            province: self.province.clone().filter(|p| !p.is_empty()),
            rules: self.rules.clone(),
            reach: (self.reach != NO_REACH).then_some(self.reach),
        }))
    }
}

/// The texts and facts of `ids`, by id.
async fn read_texts(
    tx: &mut Transaction<'_, Any>,
    ids: &[i64],
    budget: &Budget,
) -> search::Result<HashMap<i64, Text>> {
    budget.check()?;
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let list = id_list(ids);
    let rows = sqlx::query(&format!(
        "SELECT d.id, d.source_id, d.url, d.title, d.summary, d.body, d.fetched_at, d.language, \
         d.content_hash, s.name AS source_name, {TIME} AS t, d.province, {} AS reach \
         FROM documents d JOIN sources s ON s.id = d.source_id WHERE d.id IN ({list})",
        reach_sql()
    ))
    .fetch_all(&mut **tx)
    .await
    .map_err(|e| db(e.into(), budget))?;
    let hits = sqlx::query(&format!(
        "SELECT document_id, rule_id FROM rule_hits WHERE document_id IN ({list}) \
         ORDER BY document_id, rule_id"
    ))
    .fetch_all(&mut **tx)
    .await
    .map_err(|e| db(e.into(), budget))?;
    let mut rules: HashMap<i64, Vec<String>> = HashMap::new();
    for row in &hits {
        let (id, rule): (i64, String) = (
            row.try_get(0).map_err(|e| db(e.into(), budget))?,
            row.try_get(1).map_err(|e| db(e.into(), budget))?,
        );
        rules.entry(id).or_default().push(rule);
    }
    let mut out = HashMap::with_capacity(rows.len());
    for row in &rows {
        let text = text_of(row, &mut rules).map_err(|e| db(e, budget))?;
        out.insert(text.id, text);
    }
    Ok(out)
}

/// The parts of a document row that search reads: its texts, source, language and fetch
/// time.
fn searched_document(row: &AnyRow) -> Result<NewDocument> {
    Ok(NewDocument {
        source_id: row.try_get("source_id")?,
        url: row.try_get("url")?,
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        body: row.try_get("body")?,
        author: None,
        published_at: None,
        fetched_at: from_millis(row.try_get("fetched_at")?),
        language: row.try_get("language")?,
        content_hash: row.try_get("content_hash")?,
        post: None,
    })
}

fn text_of(row: &AnyRow, rules: &mut HashMap<i64, Vec<String>>) -> Result<Text> {
    let id: i64 = row.try_get("id")?;
    let doc = searched_document(row)?;
    Ok(Text {
        id,
        body: doc.full_text(),
        title: doc.title,
        source: row.try_get("source_name")?,
        language: doc.language,
        url: doc.url,
        time: row.try_get("t")?,
        source_id: doc.source_id,
        province: row.try_get("province")?,
        rules: rules.remove(&id).unwrap_or_default(),
        reach: row.try_get("reach")?,
    })
}

/// The facet counts of the documents `matches` selects (a `SELECT d.id …` written with
/// `sql`'s parameters), in one statement.
async fn facets(
    tx: &mut Transaction<'_, Any>,
    mut sql: Sql,
    matches: &str,
    exact: bool,
    budget: &Budget,
) -> search::Result<Facets> {
    budget.check()?;
    sql.text = format!(
        "WITH m AS MATERIALIZED ({matches}), \
         f AS (SELECT d.id, d.source_id, d.province, {TIME} AS t FROM documents d \
               WHERE d.id IN (SELECT id FROM m)) \
         SELECT 'source' AS facet, CAST(source_id AS TEXT) AS value, COUNT(*) AS n FROM f \
           GROUP BY source_id \
         UNION ALL SELECT 'province', province, COUNT(*) FROM f \
           WHERE province IS NOT NULL AND province <> '' GROUP BY province \
         UNION ALL SELECT 'rule', h.rule_id, COUNT(DISTINCT h.document_id) FROM f \
           JOIN rule_hits h ON h.document_id = f.id GROUP BY h.rule_id \
         UNION ALL SELECT 'kind', h.kind, COUNT(DISTINCT h.document_id) FROM f \
           JOIN rule_hits h ON h.document_id = f.id GROUP BY h.kind \
         UNION ALL SELECT 'month', to_char(to_timestamp((t + 25200000) / 1000.0) \
           AT TIME ZONE 'UTC', 'YYYY-MM'), COUNT(*) FROM f GROUP BY 2"
    );
    let rows = sql.query().fetch_all(&mut **tx).await.map_err(|e| db(e.into(), budget))?;
    let mut out = Facets { exact, ..Facets::default() };
    for row in &rows {
        let get = || -> Result<(String, String, u64)> {
            let n: i64 = row.try_get(2)?;
            Ok((row.try_get(0)?, row.try_get(1)?, u64::try_from(n).unwrap_or_default()))
        };
        let (facet, value, n) = get().map_err(|e| db(e, budget))?;
        match facet.as_str() {
            "source" => {
                if let Ok(id) = value.parse() {
                    out.sources.push((id, n));
                }
            }
            "province" => out.provinces.push((value, n)),
            "rule" => out.rules.push((value, n)),
            "kind" => {
                if let Ok(kind) = value.parse::<RuleKind>() {
                    out.kinds.push((kind, n));
                }
            }
            _ => out.months.push((value, n)),
        }
    }
    // Most first, then by value, as the index ranks them; months in calendar order.
    out.sources.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out.provinces.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_str().cmp(b.0.as_str())));
    out.months.sort();
    Ok(out)
}
