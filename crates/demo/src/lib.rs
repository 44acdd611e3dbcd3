//! The bundled demo: five fictional Vietnamese outlets (health news, rumours, a medical
//! incident and unrelated news) rendered as RSS, Atom and JSON Feed, and a small HTTP server
//! on loopback that serves them with `ETag` and `Last-Modified`, so `langnghe demo` and the
//! tests fetch through the same HTTP path as production.
//!
//! Publication times are relative ("hours ago"), resolved when the feeds are rendered, so
//! the demo always shows a fresh day.
#![warn(missing_docs)]

mod corpus;
mod render;
mod server;

pub use corpus::{Item, Outlet, corpus};
pub use render::{FeedFile, render};
pub use server::FeedServer;
