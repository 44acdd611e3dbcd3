//! The on-disk index: schema, writing, committing and searching.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use model::{RuleKind, Stance, Timestamp};
use query::{DocIndex, Expr, Fuel, Program};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::directory::error::LockError;
use tantivy::directory::{Directory, DirectoryLock, INDEX_WRITER_LOCK, MmapDirectory};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, Weight};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, SegmentReader, TERMINATED,
    TantivyDocument, TantivyError, Term,
};

use crate::analyzer::{Analysis, Handoff, Stream, VI_BARE, VI_FOLD, VI_MATCH, ViTokenizer};
use crate::compile::{FieldPair, compile};
use crate::facets::{Counts, FacetCollector, Facets, count_addresses};
use crate::filter::{FactFields, Filter, rule_stance};
use crate::ranking::{Key, SegmentCount, Top};
use crate::{Budget, Error, Fragment, Result, snippet};

/// A document as the index needs it.
#[derive(Debug, Clone, Default)]
pub struct IndexDoc {
    /// Store id.
    pub id: i64,
    /// Title, display form.
    pub title: String,
    /// Summary and body, display form.
    pub body: String,
    /// Source name.
    pub source: String,
    /// ISO 639-1 language code (`und` when unknown).
    pub language: String,
    /// Canonical URL.
    pub url: String,
    /// Publication (or fetch) time.
    pub time: Timestamp,
    /// The source's store id: what the outlet filter and facet go by.
    pub source_id: i64,
    /// The province it is about (a code of the 34 provincial units), if any.
    pub province: Option<String>,
    /// Its rule hits: what the topic, kind and stance filters and facets go by.
    pub rules: Vec<RuleTag>,
    /// The reactions, shares and comments of a social post, summed, when it has any.
    pub reach: Option<i64>,
    /// When the store took the version indexed, if it is a revision (none for the first
    /// version): how [`SearchIndex::census`] tells an entry indexed at an older version.
    pub revised: Option<Timestamp>,
    /// The title's and the body's analysis, when the caller has made it already (the
    /// pipeline's rule matching tokenises every new document): the index takes it instead
    /// of tokenising the texts again. Without it, or made of other texts, the texts are
    /// tokenised.
    pub analysis: Option<[Arc<Analysis>; 2]>,
}

/// What the index holds, for comparing with the store ([`SearchIndex::census`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    /// Per range of store ids (`id / width`): the number of documents and the sum of their
    /// ids.
    pub buckets: BTreeMap<i64, (i64, i64)>,
    /// The revision time (UTC milliseconds) of every document indexed at a revision, by id.
    pub revised: HashMap<i64, i64>,
}

/// One rule hit of a document, as filters see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTag {
    /// The rule's id.
    pub rule: String,
    /// Its kind.
    pub kind: RuleKind,
    /// The stance the document takes towards the rule's claim (rumour and claim hits).
    pub stance: Option<Stance>,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first (BM25).
    #[default]
    Relevance,
    /// Most recent first.
    Newest,
    /// Most reactions, shares and comments first; documents without any (articles, posts
    /// imported without counts) last, newest first among themselves.
    Reach,
}

/// One result.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// Store id.
    pub id: i64,
    /// Relevance score (0 when sorted by time).
    pub score: f32,
    /// Title split into highlighted fragments.
    pub title: Vec<Fragment>,
    /// Body snippet split into highlighted fragments.
    pub snippet: Vec<Fragment>,
    /// Source name.
    pub source: String,
    /// ISO 639-1 language code (`und` when unknown).
    pub language: String,
    /// URL.
    pub url: String,
    /// Publication time.
    pub time: Timestamp,
    /// The source's store id.
    pub source_id: i64,
    /// The province it is about, if any.
    pub province: Option<String>,
    /// The rules that hit it.
    pub rules: Vec<String>,
    /// Its engagement, when it is a post with counts.
    pub reach: Option<i64>,
}

/// A page of results.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// Number of matching documents: exact when `total_exact`, otherwise a lower bound
    /// (for queries re-checked one document at a time, such as `NEAR`, when counting every
    /// candidate would cost more than the search may spend).
    pub total: usize,
    /// Whether `total` is the exact count.
    pub total_exact: bool,
    /// The requested page.
    pub hits: Vec<SearchHit>,
    /// Where the next page starts, when there is one.
    pub next: Option<Cursor>,
    /// The facet counts over every match, when asked for.
    pub facets: Option<Facets>,
}

/// The most results one page may hold.
pub const MAX_LIMIT: usize = 100;

/// The deepest page reachable by `offset`; deeper pages follow [`SearchResults::next`].
pub const MAX_OFFSET: usize = 10_000;

/// Which page of results a search returns.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The order of results.
    pub sort: Sort,
    /// Results per page, from 1 to [`MAX_LIMIT`] (clamped).
    pub limit: usize,
    /// Results skipped, at most [`MAX_OFFSET`].
    pub offset: usize,
    /// Start after this result of an earlier page (its [`SearchResults::next`]).
    pub after: Option<Cursor>,
    /// Which documents may be returned besides what the query asks.
    pub filter: Filter,
    /// Whether to count [`Facets`] over every match.
    pub facets: bool,
}

/// A position in a result list: the sort key of the last result of a page. Results are
/// ordered by score or time, then by id, so a position is never ambiguous.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub(crate) sort: Sort,
    pub(crate) primary: f64,
    pub(crate) id: i64,
}

impl Cursor {
    /// The cursor as text for a URL (`r.<hex>.<id>`, `n.<hex>.<id>` or `e.<hex>.<id>`).
    pub fn token(&self) -> String {
        let sort = match self.sort {
            Sort::Relevance => 'r',
            Sort::Newest => 'n',
            Sort::Reach => 'e',
        };
        format!("{sort}.{:x}.{}", self.primary.to_bits(), self.id)
    }

    /// Reads a cursor made by [`Cursor::token`].
    pub fn parse(text: &str) -> Result<Cursor> {
        let bad = || {
            Error::Page(format!(
                "invalid cursor {:?}: pass back the `next` value of a page",
                truncate(text, 40)
            ))
        };
        let mut parts = text.splitn(3, '.');
        let sort = match parts.next() {
            Some("r") => Sort::Relevance,
            Some("n") => Sort::Newest,
            Some("e") => Sort::Reach,
            _ => return Err(bad()),
        };
        let primary = parts
            .next()
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .map(f64::from_bits)
            .filter(|p| !p.is_nan())
            .ok_or_else(bad)?;
        let id = parts.next().and_then(|i| i.parse().ok()).ok_or_else(bad)?;
        Ok(Cursor { sort, primary, id })
    }

    fn key(&self) -> Key {
        (self.primary, self.id)
    }
}

fn truncate(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// How much of a document's text is read to highlight a result and to check a query the
/// index answers only approximately (`NEAR`, mixed phrases): matches further in are found
/// by the index alone.
pub const MAX_CHECKED_BYTES: usize = 256 * 1024;

/// Once a page of a re-checked query is full, counting the rest of its candidates goes on
/// for this long before the total is given as a lower bound: a search answers in tens of
/// milliseconds, and a count of "at least" this many serves the reader as well.
pub(crate) const COUNT_SLICE: Duration = Duration::from_millis(15);

/// ... but counts at least this many more candidates first, so that a small result set is
/// counted exactly however slow the machine.
const COUNTED_AT_LEAST: usize = 500;

/// Counting the candidates of a re-checked query after its page is full
/// ([`COUNT_SLICE`], [`COUNTED_AT_LEAST`]).
pub struct Counting {
    until: Instant,
    left: usize,
}

impl Counting {
    /// Counting starts now.
    pub fn start() -> Counting {
        Counting { until: Instant::now() + COUNT_SLICE, left: COUNTED_AT_LEAST }
    }

    /// Whether counting is over, before the next candidate.
    pub fn over(&mut self) -> bool {
        if self.left > 0 {
            self.left -= 1;
            return false;
        }
        Instant::now() >= self.until
    }
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: FieldPair,
    body: FieldPair,
    source: Field,
    url: Field,
    time: Field,
    meta: crate::compile::MetaFields,
    facts: FactFields,
    revised: Field,
}

/// At most this many candidates are re-checked exactly for a query the index answers only
/// approximately (`NEAR`, for one: both sides present in the field).
pub(crate) const PROXIMITY_CANDIDATES: usize = 10_000;

/// The index. At most one writer (one process) at a time; any number of read-only handles,
/// in the same process or others, search concurrently with writing.
pub struct SearchIndex {
    index: Index,
    writer: Option<Mutex<IndexWriter>>,
    reader: IndexReader,
    fields: Fields,
    /// Analyses added with documents, on their way to the indexing thread.
    handoff: Arc<Handoff>,
}

/// An index being rebuilt beside the live one ([`SearchIndex::begin_rebuild`]).
pub struct Rebuild {
    live: PathBuf,
    fresh: PathBuf,
    index: SearchIndex,
    _lock: Option<DirectoryLock>,
}

impl Rebuild {
    /// The fresh index to add documents to and commit.
    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Puts the fresh index in place of the live one and removes the old files.
    pub fn finish(self) -> Result<()> {
        let Rebuild { live, fresh, index, _lock } = self;
        drop(index);
        let io = |e: std::io::Error| Error::Open {
            path: live.display().to_string(),
            message: e.to_string(),
        };
        let old = sibling(&live, "old");
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(io)?;
        }
        if live.exists() {
            std::fs::rename(&live, &old).map_err(io)?;
        }
        std::fs::rename(&fresh, &live).map_err(io)?;
        drop(_lock);
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(io)?;
        }
        Ok(())
    }
}

/// `dir` with a suffix added to its last component (`index` → `index.rebuild`).
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(".");
    name.push(suffix);
    dir.with_file_name(name)
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str, stored: bool| {
        let o = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored { o.set_stored() } else { o }
    };
    let id = b.add_i64_field("id", INDEXED | STORED | FAST);
    let title = FieldPair {
        matched: b.add_text_field("title", text(VI_MATCH, true)),
        folded: b.add_text_field("title_fold", text(VI_FOLD, false)),
        bare: b.add_text_field("title_bare", text(VI_BARE, false)),
    };
    let body = FieldPair {
        matched: b.add_text_field("body", text(VI_MATCH, true)),
        folded: b.add_text_field("body_fold", text(VI_FOLD, false)),
        bare: b.add_text_field("body_bare", text(VI_BARE, false)),
    };
    let source = b.add_text_field("source", STRING | STORED);
    let url = b.add_text_field("url", STORED);
    let time = b.add_i64_field("time", INDEXED | STORED | FAST);
    let meta = crate::compile::MetaFields {
        source_words: b.add_text_field("source_words", STRING),
        lang: b.add_text_field("lang", STRING | STORED),
    };
    // The facts filters and facets go by; fast fields for those counted or sorted by. A
    // change here changes the schema, which makes a writer rebuild an older index from the
    // store (see `open_with`).
    let facts = FactFields {
        id,
        time,
        source_id: b.add_i64_field("source_id", INDEXED | STORED | FAST),
        province: b.add_text_field("province", STRING | STORED | FAST),
        rule: b.add_text_field("rule", STRING | STORED | FAST),
        kind: b.add_text_field("kind", STRING | FAST),
        stance: b.add_text_field("stance", STRING),
        rule_stance: b.add_text_field("rule_stance", STRING),
        reach: b.add_i64_field("reach", STORED | FAST),
    };
    let revised = b.add_i64_field("revised", FAST);
    (b.build(), Fields { id, title, body, source, url, time, meta, facts, revised })
}

impl SearchIndex {
    /// Opens the index in `dir` for writing, creating it (and the directory) when missing.
    /// Fails when another writer holds the index.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        SearchIndex::open_with(dir, true)
    }

    /// Opens the index in `dir` for searching only; it follows the writer's commits.
    pub fn open_read_only(dir: &Path) -> Result<SearchIndex> {
        SearchIndex::open_with(dir, false)
    }

    fn open_with(dir: &Path, write: bool) -> Result<SearchIndex> {
        let path = || dir.display().to_string();
        let open_err = |message: String| Error::Open { path: path(), message };
        let damaged = |e: TantivyError| Error::Damaged { path: path(), message: e.to_string() };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.to_string()))?;
        let (schema, fields) = schema();
        let index = match Index::open_or_create(directory, schema.clone()) {
            Ok(index) => index,
            // An index written by an earlier version with another schema: the store holds
            // every document, so a writer starts afresh and the pipeline's catch-up refills it.
            Err(TantivyError::SchemaError(e)) if write => {
                tracing::warn!(path = %dir.display(), error = %e, "Index schema changed; rebuilding the index from the store.");
                std::fs::remove_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
                std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
                let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.to_string()))?;
                Index::open_or_create(directory, schema).map_err(|e| open_err(e.to_string()))?
            }
            Err(TantivyError::SchemaError(e)) => {
                return Err(open_err(format!(
                    "{e}: the index was written by another version; run `langnghe reindex`"
                )));
            }
            Err(e) => return Err(damaged(e)),
        };
        let handoff = Arc::new(Handoff::default());
        for (name, stream) in
            [(VI_MATCH, Stream::Match), (VI_FOLD, Stream::Fold), (VI_BARE, Stream::Bare)]
        {
            let handoff = write.then(|| handoff.clone());
            index
                .tokenizers()
                .register(name, TextAnalyzer::from(ViTokenizer::new(stream, handoff)));
        }
        let (writer, policy) = if write {
            // One indexing thread keeps the second core for the rest of the pipeline. The
            // writer reloads its reader itself right after each commit.
            let writer =
                index.writer_with_num_threads(1, 64 * 1024 * 1024).map_err(|e| match e {
                    TantivyError::LockFailure(LockError::LockBusy, _) => {
                        Error::Busy { path: path() }
                    }
                    e => damaged(e),
                })?;
            (Some(Mutex::new(writer)), ReloadPolicy::Manual)
        } else {
            (None, ReloadPolicy::OnCommitWithDelay)
        };
        let reader = index.reader_builder().reload_policy(policy).try_into().map_err(damaged)?;
        let opened = SearchIndex { index, writer, reader, fields, handoff };
        // A segment whose files are missing or garbled fails here, at start-up, rather than
        // in the middle of a search.
        opened.verify().map_err(|message| Error::Damaged { path: path(), message })?;
        Ok(opened)
    }

    /// Reads every segment's document store header and fast fields once, so damage shows
    /// when the index is opened.
    fn verify(&self) -> std::result::Result<(), String> {
        let searcher = self.reader.searcher();
        for segment in searcher.segment_readers() {
            let id = segment.segment_id().short_uuid_string();
            segment.fast_fields().i64("id").map_err(|e| format!("segment {id}: {e}"))?;
            segment.get_store_reader(0).map_err(|e| format!("segment {id}: {e}"))?;
        }
        Ok(())
    }

    /// Starts rebuilding the index in `dir` from scratch, whatever state it is in: a fresh
    /// index is written beside it and replaces it only when [`Rebuild::finish`] is called,
    /// so a failed rebuild leaves the old index as it was. Refused while another process
    /// holds the index for writing.
    pub fn begin_rebuild(dir: &Path) -> Result<Rebuild> {
        let path = || dir.display().to_string();
        let open_err = |message: String| Error::Open { path: path(), message };
        // Holding the live index's writer lock for the whole rebuild keeps `serve` from
        // starting on it halfway; its files need not be readable for that.
        let lock = if dir.exists() {
            let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.to_string()))?;
            match directory.acquire_lock(&INDEX_WRITER_LOCK) {
                Ok(lock) => Some(lock),
                Err(LockError::LockBusy) => return Err(Error::Busy { path: path() }),
                Err(e) => return Err(open_err(e.to_string())),
            }
        } else {
            None
        };
        let fresh = sibling(dir, "rebuild");
        if fresh.exists() {
            std::fs::remove_dir_all(&fresh).map_err(|e| open_err(e.to_string()))?;
        }
        let index = SearchIndex::open(&fresh)?;
        Ok(Rebuild { live: dir.to_owned(), fresh, index, _lock: lock })
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>> {
        let writer = self
            .writer
            .as_ref()
            .ok_or_else(|| Error::Index("the index was opened read-only".to_owned()))?;
        // A panic while holding the lock leaves the writer usable: tantivy rolls back
        // uncommitted work on the next commit or rollback.
        Ok(writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Adds (or replaces) documents. They become searchable at the next [`commit`](Self::commit).
    pub fn add(&self, docs: &[IndexDoc]) -> Result<()> {
        let writer = self.writer()?;
        let f = self.fields;
        for d in docs {
            writer.delete_term(Term::from_field_i64(f.id, d.id));
            let mut doc = TantivyDocument::new();
            doc.add_i64(f.id, d.id);
            if let Some([title, body]) = &d.analysis {
                self.handoff.offer(&d.title, title.clone());
                self.handoff.offer(&d.body, body.clone());
            }
            for (pair, text) in [(f.title, &d.title), (f.body, &d.body)] {
                for field in [pair.matched, pair.folded, pair.bare] {
                    doc.add_text(field, text);
                }
            }
            doc.add_text(f.source, &d.source);
            // Each source word is its own term so `source:tuoi` finds "Tuổi Trẻ"; the
            // phrase of all of them finds the name.
            for word in query::source_key(&d.source).split(' ').filter(|w| !w.is_empty()) {
                doc.add_text(f.meta.source_words, word);
            }
            doc.add_text(f.meta.lang, &d.language);
            doc.add_text(f.url, &d.url);
            doc.add_i64(f.time, d.time.timestamp_millis());
            doc.add_i64(f.revised, d.revised.map_or(0, |t| t.timestamp_millis()));
            add_facts(&mut doc, &f.facts, d);
            writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Makes everything added so far durable and searchable, recording `last_id` (the
    /// highest store id now indexed) in the commit.
    pub fn commit(&self, last_id: i64) -> Result<()> {
        let mut writer = self.writer()?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&last_id.to_string());
        prepared.commit()?;
        // Every document added before the commit is tokenised now; documents added after it
        // wait for the writer, so nothing they hand over is cleared.
        self.handoff.clear();
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Removes documents by store id. Takes effect at the next commit.
    pub fn delete(&self, ids: &[i64]) -> Result<()> {
        let writer = self.writer()?;
        for &id in ids {
            writer.delete_term(Term::from_field_i64(self.fields.id, id));
        }
        Ok(())
    }

    /// Removes every document (before a rebuild). Takes effect at the next commit.
    pub fn clear(&self) -> Result<()> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    /// The highest store id recorded by the last commit (0 for a new index).
    pub fn last_indexed_id(&self) -> Result<i64> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Picks up the latest commit now (read-only handles otherwise follow within a second).
    pub fn refresh(&self) -> Result<()> {
        self.reader.reload()?;
        Ok(())
    }

    /// Number of searchable documents.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Counts the committed documents per range of `width` store ids and collects the
    /// revision time of those indexed at a revision, from the fast fields alone.
    pub fn census(&self, width: i64) -> Result<Census> {
        let width = width.max(1);
        let mut census = Census::default();
        for segment in self.reader.searcher().segment_readers() {
            let fast = segment.fast_fields();
            let ids = fast.i64("id")?;
            let revised = fast.i64("revised")?;
            let alive = segment.alive_bitset();
            for doc in 0..segment.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    continue;
                }
                let Some(id) = ids.first(doc) else { continue };
                let bucket = census.buckets.entry(id.div_euclid(width)).or_default();
                bucket.0 += 1;
                bucket.1 += id;
                if let Some(at) = revised.first(doc).filter(|&at| at != 0) {
                    census.revised.insert(id, at);
                }
            }
        }
        Ok(census)
    }

    /// Which of `ids` (store ids) the index holds as of its last commit.
    pub fn holds(&self, ids: &[i64]) -> Result<std::collections::HashSet<i64>> {
        Ok(self.revisions_held(ids)?.into_keys().collect())
    }

    /// The revision time each of `ids` (store ids) is indexed at as of the last commit:
    /// 0 for a document indexed at its first version, nothing for one not held.
    pub fn revisions_held(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, i64>> {
        let searcher = self.reader.searcher();
        let mut held = std::collections::HashMap::new();
        for &id in ids {
            let query = tantivy::query::TermQuery::new(
                Term::from_field_i64(self.fields.id, id),
                IndexRecordOption::Basic,
            );
            for address in searcher.search(&query, &tantivy::collector::DocSetCollector)? {
                let segment = searcher.segment_reader(address.segment_ord);
                let revised = segment.fast_fields().i64("revised")?;
                held.insert(id, revised.first(address.doc_id).unwrap_or(0));
            }
        }
        Ok(held)
    }

    /// Runs a query in the Lắng Nghe query language, without a time budget (the command
    /// line and tests).
    pub fn search(
        &self,
        text: &str,
        sort: Sort,
        limit: usize,
        offset: usize,
    ) -> Result<SearchResults> {
        let expr = query::parse(text)?;
        let request = SearchRequest { sort, limit, offset, ..SearchRequest::default() };
        self.search_with(&expr, &request, &Budget::unlimited())
    }

    /// Runs a parsed query for one page of results, within `budget`.
    pub fn search_with(
        &self,
        expr: &Expr,
        request: &SearchRequest,
        budget: &Budget,
    ) -> Result<SearchResults> {
        self.search_filtered(Some(expr), request, budget)
    }

    /// Runs a parsed query, or with `None` every document the request's filter admits, for
    /// one page of results, within `budget`.
    pub fn search_filtered(
        &self,
        expr: Option<&Expr>,
        request: &SearchRequest,
        budget: &Budget,
    ) -> Result<SearchResults> {
        if request.offset > MAX_OFFSET {
            return Err(Error::Page(format!(
                "offset {} is beyond {MAX_OFFSET}: follow the `next` cursor of each page to go deeper",
                request.offset
            )));
        }
        if let Some(c) = request.after
            && c.sort != request.sort
        {
            return Err(Error::Page("the cursor belongs to another sort order".to_owned()));
        }
        let limit = request.limit.clamp(1, MAX_LIMIT);
        budget.check()?;
        let q = self.query(expr, &request.filter);
        let searcher = self.reader.searcher();
        // Queries the index answers only approximately are checked exactly on the stored
        // text, so their page is cut after that.
        let exact = expr.is_some_and(crate::compile::approximate);
        let want = if exact { PROXIMITY_CANDIDATES } else { request.offset + limit + 1 };
        let (sort, after) = (request.sort, request.after.map(|c| c.key()));
        // Facets of an approximate query are counted on its exact matches below.
        let facets = FacetCollector { enabled: request.facets && !exact };
        let spent = |e: TantivyError| budget.check().err().unwrap_or_else(|| Error::from(e));
        // Ranked (with pruning by relevance, unscored by time or reach), counted by
        // segment, and facets (when asked) in a pass of their own that scores nothing:
        // each cheaper than one pass doing all three.
        let top = Top { want, sort, after, budget };
        let candidates = searcher.search(q.as_ref(), &top).map_err(spent)?;
        let total = searcher.search(q.as_ref(), &SegmentCount { budget }).map_err(spent)?;
        let counts = if facets.enabled {
            searcher.search(q.as_ref(), &Budgeted { inner: facets, budget }).map_err(spent)?
        } else {
            Counts::default()
        };
        let program = expr.map(Program::single);
        let program = program.as_ref().map(|(p, c)| (p, *c));
        // Work, as well as time, is bounded: a search with a deadline gets the engine's
        // default fuel for every document it evaluates together.
        let mut fuel =
            if budget.remaining().is_some() { Fuel::default() } else { Fuel::unlimited() };
        let mut page = Vec::with_capacity(limit);
        let mut next = None;
        let (mut total, mut total_exact) = (total, true);
        let mut facets = request.facets.then(|| counts.into_facets(true));
        if exact {
            // Every candidate is read and evaluated: fill the page, then keep counting for a
            // little while; a count cut short is a lower bound.
            let capped = candidates.len() >= want;
            let mut matched = Vec::new();
            let mut counting: Option<Counting> = None;
            let mut checked_all = true;
            for (key, address) in candidates {
                let stop = budget.check().err().or_else(|| {
                    counting.as_mut().is_some_and(Counting::over).then_some(Error::Cancelled)
                });
                if let Some(e) = stop {
                    if page.len() < limit {
                        return Err(e);
                    }
                    // The page is full; more may follow.
                    next = next.or(page.last().map(|&(key, _)| key));
                    checked_all = false;
                    break;
                }
                let Some(hit) = self.read_hit(&searcher, address, program, &mut fuel, true)? else {
                    continue;
                };
                matched.push(address);
                if matched.len() <= request.offset {
                    continue;
                }
                if page.len() < limit {
                    page.push((key, hit));
                } else if next.is_none() {
                    next = page.last().map(|&(key, _)| key);
                    counting = Some(Counting::start());
                }
            }
            total = matched.len();
            // Past a cursor only the matches after it were counted.
            total_exact = request.after.is_none() && checked_all && !capped;
            if request.facets {
                facets = Some(count_addresses(&searcher, &matched).into_facets(total_exact));
            }
        } else {
            if candidates.len() > request.offset + limit {
                next = candidates.get(request.offset + limit - 1).map(|&(key, _)| key);
            }
            for &(key, address) in candidates.iter().skip(request.offset).take(limit) {
                budget.check()?;
                if let Some(hit) = self.read_hit(&searcher, address, program, &mut fuel, false)? {
                    page.push((key, hit));
                }
            }
        }
        Ok(SearchResults {
            total,
            total_exact,
            hits: page
                .into_iter()
                .map(|(key, mut hit)| {
                    if sort == Sort::Relevance {
                        hit.score = key.0 as f32;
                    }
                    hit
                })
                .collect(),
            next: next.map(|(primary, id)| Cursor { sort, primary, id }),
            facets,
        })
    }

    /// The tantivy query of a search: the compiled expression (every document without
    /// one) restricted by the filter's clauses, which add nothing to scores.
    fn query(&self, expr: Option<&Expr>, filter: &Filter) -> Box<dyn Query> {
        let f = self.fields;
        let text = expr.map(|e| compile(e, &[f.title, f.body], &f.meta));
        let filters = crate::filter::clauses(filter, &f.facts);
        match (text, filters.is_empty()) {
            (Some(q), true) => q,
            (None, true) => Box::new(AllQuery),
            (text, false) => Box::new(BooleanQuery::new(
                text.into_iter().chain(filters).map(|q| (Occur::Must, q)).collect(),
            )),
        }
    }

    /// Reads a result and finds its highlights by evaluating the query on its stored text;
    /// with `exact`, `None` when the query does not in fact match it. Without a query the
    /// result is shown from the start of its text, unhighlighted.
    fn read_hit(
        &self,
        searcher: &tantivy::Searcher,
        address: tantivy::DocAddress,
        program: Option<(&Program, query::Query)>,
        fuel: &mut Fuel,
        exact: bool,
    ) -> Result<Option<SearchHit>> {
        let f = self.fields;
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| {
            doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned()
        };
        let int = |field: Field| doc.get_first(field).and_then(|v| v.as_i64());
        let (title, mut body) = (text(f.title.matched), text(f.body.matched));
        // Highlights and exact checks read a bounded prefix: a giant document must not make
        // every search that finds it slow.
        body.truncate(floor_char_boundary(&body, MAX_CHECKED_BYTES));
        let source = text(f.source);
        let language = text(f.meta.lang);
        let spans = match program {
            Some((program, compiled)) => {
                let (tt, bt) = (vi_text::tokenize(&title), vi_text::tokenize(&body));
                let (to, bo) = (query::overlays(&title, &tt), query::overlays(&body, &bt));
                let evaluated = DocIndex::for_program(program, &[(&tt, &to), (&bt, &bo)])
                    .with_meta(&source, &language)
                    .evaluate_budgeted(program, compiled, fuel);
                let evaluated = match evaluated {
                    Ok(spans) => spans,
                    // Highlights are a nicety: without fuel the result is shown plain.
                    Err(_) if !exact => None,
                    Err(_) => return Err(Error::TooCostly),
                };
                if exact && evaluated.is_none() {
                    return Ok(None);
                }
                evaluated.unwrap_or_default()
            }
            None => Vec::new(),
        };
        let ranges = |field: usize| {
            spans.iter().filter(|s| s.field == field).map(|s| (s.start, s.end)).collect::<Vec<_>>()
        };
        let province = doc.get_first(f.facts.province).and_then(|v| v.as_str()).map(str::to_owned);
        let rules =
            doc.get_all(f.facts.rule).filter_map(|v| v.as_str()).map(str::to_owned).collect();
        Ok(Some(SearchHit {
            id: int(f.id).unwrap_or_default(),
            score: 0.0,
            title: snippet(&title, &ranges(0), usize::MAX),
            snippet: snippet(&body, &ranges(1), 240),
            source,
            language,
            url: text(f.url),
            time: chrono::DateTime::from_timestamp_millis(int(f.time).unwrap_or_default())
                .unwrap_or_default(),
            source_id: int(f.facts.source_id).unwrap_or_default(),
            province,
            rules,
            reach: int(f.facts.reach),
        }))
    }
}

/// What the reach column holds for a document without engagement counts: below any count,
/// so such documents sort last by reach.
pub(crate) const NO_REACH: i64 = -1;

/// Adds the facts filters and facets go by.
fn add_facts(doc: &mut TantivyDocument, f: &FactFields, d: &IndexDoc) {
    doc.add_i64(f.source_id, d.source_id);
    if let Some(p) = d.province.as_deref().filter(|p| !p.is_empty()) {
        doc.add_text(f.province, p);
    }
    // Each value once, so a facet counts the document once per value.
    let mut kinds = std::collections::BTreeSet::new();
    let mut stances = std::collections::BTreeSet::new();
    let mut rules = std::collections::BTreeSet::new();
    for t in &d.rules {
        if !rules.insert(t.rule.as_str()) {
            continue;
        }
        doc.add_text(f.rule, &t.rule);
        kinds.insert(t.kind.as_str());
        if let Some(s) = t.stance {
            stances.insert(s.as_str());
            doc.add_text(f.rule_stance, rule_stance(&t.rule, s));
        }
    }
    for k in kinds {
        doc.add_text(f.kind, k);
    }
    for s in stances {
        doc.add_text(f.stance, s);
    }
    if let Some(r) = d.reach {
        doc.add_i64(f.reach, r.max(0));
    }
}

/// The largest index `<= at` that is a character boundary of `text`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

/// A collector that stops when its search's [`Budget`] is spent: between segments and
/// every few thousand matching documents.
struct Budgeted<'b, C> {
    inner: C,
    budget: &'b Budget,
}

/// How many matching documents are collected between two looks at the budget.
const BUDGET_STRIDE: u32 = 4096;

impl<C: Collector> Collector for Budgeted<'_, C> {
    type Fruit = C::Fruit;
    type Child = C::Child;

    fn for_segment(&self, ord: u32, segment: &SegmentReader) -> tantivy::Result<C::Child> {
        self.inner.for_segment(ord, segment)
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<C::Child as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<C::Fruit> {
        self.inner.merge_fruits(fruits)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        ord: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<<C::Child as SegmentCollector>::Fruit> {
        let spent = |e: Error| TantivyError::InternalError(e.to_string());
        self.budget.check().map_err(spent)?;
        let mut child = self.inner.for_segment(ord, segment)?;
        let mut scorer = weight.scorer(segment, 1.0)?;
        let alive = segment.alive_bitset();
        let scoring = self.inner.requires_scoring();
        let mut doc = scorer.doc();
        let mut seen = 0u32;
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                let score = if scoring { scorer.score() } else { 0.0 };
                child.collect(doc, score);
            }
            seen = seen.wrapping_add(1);
            if seen.is_multiple_of(BUDGET_STRIDE) {
                self.budget.check().map_err(spent)?;
            }
            doc = scorer.advance();
        }
        Ok(child.harvest())
    }
}
