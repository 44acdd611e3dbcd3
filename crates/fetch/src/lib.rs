//! The only crate on the network: fetching feeds politely over HTTP(S) or from files, and
//! turning RSS, Atom and JSON Feed documents into plain-text items.
//!
//! * [`Client`] wraps the HTTP client with the configured timeouts (connect, read, total),
//!   User-Agent and a cap on the body size that holds after decompression, and sends
//!   conditional requests (`If-None-Match`, `If-Modified-Since`) so unchanged feeds cost a
//!   304. It is polite: one request at a time per host with a pause between requests,
//!   robots.txt honoured and cached, `Retry-After` and freshness hints reported to the
//!   scheduler. It is guarded: loopback, private, link-local and cloud-metadata addresses
//!   are refused after DNS resolution and on every redirect, unless the source is allowed
//!   ([`Access::Private`]); redirects are limited and loops detected.
//! * [`parse_feed`] reads any feed format into [`FeedItem`]s with canonical URLs and
//!   HTML reduced to text.
//!
//! reqwest types never leave this crate.
#![warn(missing_docs)]

mod client;
mod error;
mod feed;
mod guard;
mod hosts;
mod html;
mod robots;
mod urls;

pub use client::{Access, Client, FetchConfig, Fetched, Response, Validators};
pub use error::{Error, Result};
pub use feed::{FeedItem, parse_feed};
pub use html::html_to_text;
pub use robots::Robots;
pub use urls::canonical_url;
