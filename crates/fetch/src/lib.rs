//! The only crate on the network: fetching feeds politely over HTTP(S).
//!
//! * [`Client`] wraps the HTTP client with the configured timeouts (connect, read, total),
//!   User-Agent and a cap on the body size that holds after decompression, and sends
//!   conditional requests (`If-None-Match`, `If-Modified-Since`) so unchanged feeds cost a
//!   304. It is polite: one request at a time per host with a pause between requests,
//!   robots.txt honoured and cached, `Retry-After` and freshness hints reported to the
//!   scheduler. It is guarded, after DNS resolution and on every redirect hop: loopback and
//!   private addresses are refused unless the source is allowed them ([`Access::Private`]),
//!   link-local and cloud-metadata addresses whatever it is allowed; redirects are limited
//!   and loops detected.
//!
//! What the bodies mean (encodings, feed formats, sitemaps) is the `feeds` crate's
//! business. reqwest types never leave this crate.
#![warn(missing_docs)]

mod client;
mod error;
mod guard;
mod hosts;
mod robots;

pub use client::{Access, Client, FetchConfig, Fetched, Response, Validators};
pub use error::{Error, Result};
pub use robots::Robots;
