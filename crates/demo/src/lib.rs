//! The bundled demo: fictional Vietnamese outlets rendered as RSS, Atom and JSON Feed, and
//! a small HTTP server on loopback that serves them with `ETag` and `Last-Modified`, so
//! `langnghe demo` and the tests fetch through the same HTTP path as production.
//!
//! Five outlets are written by hand (health news, rumours, a medical incident and
//! unrelated news); seven more carry sixty days of generated provincial health news that
//! ends in a dengue spike in Đồng Nai ([`history()`]); three carry the papaya-leaf rumour
//! word for word after its first publisher ([`rumour`]); three social pages and the health
//! department add rumours typed without diacritics and in teencode, a debunk and a new
//! rumour only its form gives away ([`social`]).
//!
//! Publication times are relative ("hours ago"), resolved when the feeds are rendered, so
//! the demo always shows a fresh day.
#![warn(missing_docs)]

mod corpus;
pub mod handling;
pub mod history;
mod render;
pub mod rumour;
mod server;
pub mod social;

pub use corpus::{Item, Outlet, bundled, corpus, corpus_at, distinct_articles};
pub use history::{History, Label, history};
pub use render::{FeedFile, published_at, render};
pub use server::FeedServer;
