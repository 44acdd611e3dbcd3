//! The only crate on the network: fetching feeds politely over HTTP(S) or from files, and
//! turning RSS, Atom and JSON Feed documents into plain-text items.
//!
//! * [`Client`] wraps the HTTP client with the configured timeouts, User-Agent and a cap on
//!   the body size that holds after decompression, and sends conditional requests
//!   (`If-None-Match`, `If-Modified-Since`) so unchanged feeds cost a 304.
//! * [`parse_feed`] reads any feed format into [`FeedItem`]s with canonical URLs and
//!   HTML reduced to text.
//!
//! reqwest types never leave this crate.
#![warn(missing_docs)]

mod client;
mod error;
mod feed;
mod html;
mod urls;

pub use client::{Client, FetchConfig, Fetched, Validators};
pub use error::{Error, Result};
pub use feed::{FeedItem, parse_feed};
pub use html::html_to_text;
pub use urls::canonical_url;
