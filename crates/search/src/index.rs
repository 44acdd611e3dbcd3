//! The on-disk index: schema, writing, committing and searching.

use std::path::Path;
use std::sync::Mutex;

use model::Timestamp;
use query::{DocIndex, Expr, Program};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

use crate::analyzer::{VI_FOLD, VI_MATCH, ViTokenizer};
use crate::compile::{FieldPair, compile};
use crate::{Error, Fragment, Result, snippet};

/// A document as the index needs it.
#[derive(Debug, Clone)]
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
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first (BM25).
    #[default]
    Relevance,
    /// Most recent first.
    Newest,
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
}

/// A page of results.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// Number of matching documents.
    pub total: usize,
    /// The requested page.
    pub hits: Vec<SearchHit>,
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
}

/// At most this many candidates are re-checked exactly for a query the index answers only
/// approximately (`NEAR`, for one: both sides present in the field).
const PROXIMITY_CANDIDATES: usize = 10_000;

/// The index. At most one writer (one process) at a time; any number of read-only handles,
/// in the same process or others, search concurrently with writing.
pub struct SearchIndex {
    index: Index,
    writer: Option<Mutex<IndexWriter>>,
    reader: IndexReader,
    fields: Fields,
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
    };
    let body = FieldPair {
        matched: b.add_text_field("body", text(VI_MATCH, true)),
        folded: b.add_text_field("body_fold", text(VI_FOLD, false)),
    };
    let source = b.add_text_field("source", STRING | STORED);
    let url = b.add_text_field("url", STORED);
    let time = b.add_i64_field("time", INDEXED | STORED | FAST);
    let meta = crate::compile::MetaFields {
        source_words: b.add_text_field("source_words", STRING),
        lang: b.add_text_field("lang", STRING | STORED),
    };
    (b.build(), Fields { id, title, body, source, url, time, meta })
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
        let open_err = |message: String| Error::Open { path: dir.display().to_string(), message };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.to_string()))?;
        let (schema, fields) = schema();
        let index = match Index::open_or_create(directory, schema.clone()) {
            Ok(index) => index,
            // An index written by an earlier version with another schema: the store holds
            // every document, so a writer starts afresh and the pipeline's catch-up refills it.
            Err(tantivy::TantivyError::SchemaError(e)) if write => {
                tracing::warn!(path = %dir.display(), error = %e, "Index schema changed; rebuilding the index from the store.");
                std::fs::remove_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
                std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
                let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.to_string()))?;
                Index::open_or_create(directory, schema).map_err(|e| open_err(e.to_string()))?
            }
            Err(tantivy::TantivyError::SchemaError(e)) => {
                return Err(open_err(format!(
                    "{e}: the index was written by another version; run `langnghe reindex`"
                )));
            }
            Err(e) => return Err(open_err(e.to_string())),
        };
        index.tokenizers().register(VI_MATCH, TextAnalyzer::from(ViTokenizer::new(false)));
        index.tokenizers().register(VI_FOLD, TextAnalyzer::from(ViTokenizer::new(true)));
        let (writer, policy) = if write {
            // One indexing thread keeps the second core for the rest of the pipeline. The
            // writer reloads its reader itself right after each commit.
            let writer = index
                .writer_with_num_threads(1, 64 * 1024 * 1024)
                .map_err(|e| open_err(format!("{e} (is another langnghe process writing it?)")))?;
            (Some(Mutex::new(writer)), ReloadPolicy::Manual)
        } else {
            (None, ReloadPolicy::OnCommitWithDelay)
        };
        let reader = index.reader_builder().reload_policy(policy).try_into()?;
        Ok(SearchIndex { index, writer, reader, fields })
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
            doc.add_text(f.title.matched, &d.title);
            doc.add_text(f.title.folded, &d.title);
            doc.add_text(f.body.matched, &d.body);
            doc.add_text(f.body.folded, &d.body);
            doc.add_text(f.source, &d.source);
            // Each source word is its own term so `source:tuoi` finds "Tuổi Trẻ"; the
            // phrase of all of them finds the name.
            for word in query::source_key(&d.source).split(' ').filter(|w| !w.is_empty()) {
                doc.add_text(f.meta.source_words, word);
            }
            doc.add_text(f.meta.lang, &d.language);
            doc.add_text(f.url, &d.url);
            doc.add_i64(f.time, d.time.timestamp_millis());
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

    /// Runs a query in the Lắng Nghe query language.
    pub fn search(
        &self,
        text: &str,
        sort: Sort,
        limit: usize,
        offset: usize,
    ) -> Result<SearchResults> {
        let expr = query::parse(text)?;
        self.search_expr(&expr, sort, limit, offset)
    }

    /// Runs a parsed query.
    pub fn search_expr(
        &self,
        expr: &Expr,
        sort: Sort,
        limit: usize,
        offset: usize,
    ) -> Result<SearchResults> {
        let f = self.fields;
        let q = compile(expr, &[f.title, f.body], &f.meta);
        let searcher = self.reader.searcher();
        let limit = limit.max(1);
        // Proximity is checked exactly on the stored text, so the page is cut after that.
        let exact = crate::compile::approximate(expr);
        let (want, skip) = if exact { (PROXIMITY_CANDIDATES, 0) } else { (limit, offset) };
        let (addresses, mut total): (Vec<(f32, tantivy::DocAddress)>, usize) = match sort {
            Sort::Relevance => {
                searcher.search(&q, &(TopDocs::with_limit(want).and_offset(skip), Count))?
            }
            Sort::Newest => {
                let top = TopDocs::with_limit(want)
                    .and_offset(skip)
                    .order_by_fast_field::<i64>("time", Order::Desc);
                let (docs, total) = searcher.search(&q, &(top, Count))?;
                (docs.into_iter().map(|(_, a)| (0.0, a)).collect(), total)
            }
        };
        let mut hits = Vec::with_capacity(addresses.len().min(limit));
        let mut exact_matches = 0;
        let (program, compiled) = Program::single(expr);
        for (score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| {
                doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned()
            };
            let int =
                |field: Field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or_default();
            let (title, body) = (text(f.title.matched), text(f.body.matched));
            let source = text(f.source);
            // Re-evaluate exactly on the stored text to find the spans to highlight.
            let (tt, bt) = (vi_text::tokenize(&title), vi_text::tokenize(&body));
            let (to, bo) = (query::overlays(&title, &tt), query::overlays(&body, &bt));
            let evaluated = DocIndex::for_program(&program, &[(&tt, &to), (&bt, &bo)])
                .with_meta(&source, &text(f.meta.lang))
                .evaluate(&program, compiled);
            if exact {
                if evaluated.is_none() {
                    continue;
                }
                exact_matches += 1;
                if exact_matches <= offset || hits.len() >= limit {
                    continue;
                }
            }
            let spans = evaluated.unwrap_or_default();
            let ranges = |field: usize| {
                spans
                    .iter()
                    .filter(|s| s.field == field)
                    .map(|s| (s.start, s.end))
                    .collect::<Vec<_>>()
            };
            hits.push(SearchHit {
                id: int(f.id),
                score,
                title: snippet(&title, &ranges(0), usize::MAX),
                snippet: snippet(&body, &ranges(1), 240),
                source,
                language: text(f.meta.lang),
                url: text(f.url),
                time: chrono::DateTime::from_timestamp_millis(int(f.time)).unwrap_or_default(),
            });
        }
        if exact {
            total = exact_matches;
        }
        Ok(SearchResults { total, hits })
    }
}
