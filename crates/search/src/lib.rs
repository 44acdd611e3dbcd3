//! The only crate that knows tantivy: the schema, the Vietnamese analyzers, indexing, and
//! searching with the Lắng Nghe query language, with highlighted snippets.
//!
//! Three analyzers share one tokenizer from `vi-text`: `vi_match` indexes syllables in match
//! form (accent-sensitive fields `title`, `body`), `vi_fold` in fold form (`title_fold`,
//! `body_fold`) and `vi_bare` the fold form of only the syllables of sentences typed
//! without diacritics (`title_bare`, `body_bare`, at the same positions), so that a term
//! written with diacritics finds its bare spelling there and only there, exactly as rules
//! do. All keep offsets into the display form, which is what is stored, so highlights land
//! on the characters the reader sees.
//!
//! Beside the text, each document carries the facts a spokesperson narrows a search by: its
//! time, source, province and rule hits with their stances, and a post's engagement.
//! [`Filter`] restricts a search by them without changing scores, [`Facets`] counts the
//! matches per outlet, province, rule, kind and month in the same pass, and results sort by
//! relevance, time or engagement ([`Sort`]).
//!
//! Each commit carries the highest store id indexed so far as its payload; after a crash the
//! application re-indexes everything above it, and adding a document first deletes any
//! earlier copy, so indexing is idempotent. [`SearchIndex::census`] sums what the index
//! holds per range of ids, with each document's revision time, so the application can find
//! and redo the ranges and revisions a crash left behind the store.
//!
//! [`fulltext`] is the same search for PostgreSQL: the same tokens as `tsvector` lexemes,
//! queries as `tsquery`, and the same exact check and highlights of each candidate.
#![warn(missing_docs)]

mod analyzer;
mod budget;
mod compile;
mod error;
mod facets;
mod filter;
pub mod fulltext;
mod highlight;
mod index;
mod ranking;

pub use analyzer::Analysis;
pub use budget::{Budget, CancelOnDrop};
pub use error::{Error, Result};
pub use facets::Facets;
pub use filter::Filter;
pub use highlight::{Fragment, snippet};
pub use index::{
    Census, Counting, Cursor, IndexDoc, MAX_CHECKED_BYTES, MAX_LIMIT, MAX_OFFSET, Rebuild, RuleTag,
    SearchHit, SearchIndex, SearchRequest, SearchResults, Sort,
};
