//! The Lắng Nghe query language, shared by the search box, saved searches and rules, so a
//! search can be promoted to a rule unchanged.
//!
//! ```text
//! sốt xuất huyết            every term (AND), anywhere in the document
//! "sốt xuất huyết"          the exact phrase (consecutive syllables)
//! sxh OR "sốt xuất huyết"   either
//! vắc xin NOT "tiêm chủng"  the first without the second (also: -"tiêm chủng")
//! (cúm OR covid) tử vong    parentheses group
//! =sot                      exact: only the unaccented spelling
//! =sốt                      exact: not even `sot` in text typed without diacritics
//! ~"ky thuat"               every i/y spelling on the fold form: kỹ/kĩ/ki thuật …
//! ```
//!
//! Precedence is NOT, then AND (juxtaposition or the `AND` keyword), then OR. A term written
//! without any diacritic matches every accented variant (`sot` finds `sốt`, `sót`, `sợt`);
//! a term with diacritics matches only those diacritics, except that a tone on a final `i`
//! or `y` after `h k l m qu s t` also matches the other current spelling (`kỹ` and `kĩ`),
//! and that in a sentence typed without diacritics ([`vi_text::unaccented`]) it matches
//! the same syllable typed bare (`sốt` finds "bi sot xuat huyet" but not the `sót` of
//! accented text; `=sốt` does not); case never matters.
//!
//! [`parse`] turns text into an [`Expr`] or a [`ParseError`] with its byte offset;
//! A [`Program`] holds compiled queries (one vocabulary, flat ops; [`Program::single`] for
//! one); a [`DocIndex`] built once per document evaluates them and returns the matched
//! spans, so every match can be explained and highlighted.
//!
//! Hostile input is bounded at every stage. [`parse`] refuses a query longer than
//! [`MAX_QUERY_CHARS`] characters, with more than [`MAX_TERMS`] terms or nested more than
//! [`MAX_DEPTH`] levels ([`parse_with`] takes other [`Limits`], such as [`Limits::RULES`],
//! under the same depth ceiling), so nothing that walks an [`Expr`] recurses deeply.
//! Evaluation is close to linear in the occurrences of the query's terms, and
//! [`DocIndex::evaluate_budgeted`] stops with [`OutOfFuel`] once it has spent its [`Fuel`].
#![warn(missing_docs)]

mod eval;
mod expr;
mod fuel;
mod hash;
mod parse;
mod program;

pub use eval::{
    DocIndex, Field, Overlay, Span, Spot, TokenKeys, overlays, overlays_of, source_key,
};
pub use expr::{Expr, Scope, Term};
pub use fuel::{DEFAULT_FUEL, Fuel, OutOfFuel};
pub use hash::{FastHasher, FastMap, KeyFilter, KeyHasher, KeyMap, key};
pub use parse::{
    Limits, MAX_DEPTH, MAX_DISTANCE, MAX_QUERY_CHARS, MAX_RULE_QUERY_CHARS, MAX_RULE_TERMS,
    MAX_TERMS, ParseError, line_col, parse, parse_with,
};
pub use program::{CodeSet, Label, NONE, Program, Query, Reading, Sids};
