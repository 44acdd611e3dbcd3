//! The only crate on the network: fetching feeds politely over HTTP(S).
//!
//! * [`Client`] wraps the HTTP client with the configured timeouts, User-Agent and a cap on
//!   the body size that holds after decompression, and sends conditional requests
//!   (`If-None-Match`, `If-Modified-Since`) so unchanged feeds cost a 304.
//!
//! What the bodies mean (encodings, feed formats, sitemaps) is the `feeds` crate's
//! business. reqwest types never leave this crate.
#![warn(missing_docs)]

mod client;
mod error;

pub use client::{Client, FetchConfig, Fetched, Validators};
pub use error::{Error, Result};
