//! Reading what sources send: bytes to text, feeds to items, sitemaps to links, OPML to
//! subscriptions. Pure functions over bytes and strings: no IO, no network, no clock.
//!
//! * [`decode`] finds a document's character encoding (byte-order mark, HTTP charset,
//!   XML or HTML declaration, sniffing; windows-1258 included) and decodes it.
//! * [`parse_feed`] reads RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed into a [`Feed`] of
//!   [`FeedItem`]s with canonical URLs and HTML reduced to text. Broken XML is repaired
//!   the way a browser would read it, and the feed says so ([`Feed::recovered`]).
//! * [`parse_sitemap`] reads `urlset`, `sitemapindex` and Google News sitemaps.
//! * [`opml`] imports and exports subscription lists.
//! * [`html_to_text`] and [`canonical_url`] are the text and link rules all of them use.
#![warn(missing_docs)]

mod decode;
mod error;
mod feed;
mod html;
pub mod opml;
mod repair;
mod scan;
mod sitemap;
mod urls;

pub use decode::{Decoded, EncodingSource, decode, decode_for_url};
pub use error::{Error, Result};
pub use feed::{Feed, FeedItem, parse_feed};
pub use html::html_to_text;
pub use sitemap::{NewsEntry, Sitemap, SitemapEntry, SitemapKind, parse_sitemap};
pub use urls::canonical_url;
