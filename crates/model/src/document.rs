//! Documents: one article, feed item or post, as stored and indexed.

use crate::Timestamp;

/// A document ready to be stored: the output of fetching and extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// The source it came from.
    pub source_id: i64,
    /// Canonical URL; unique in the store.
    pub url: String,
    /// Title in display form.
    pub title: String,
    /// Lead or feed summary in display form (plain text).
    pub summary: String,
    /// Main text in display form (plain text).
    pub body: String,
    /// Author, when known.
    pub author: Option<String>,
    /// When the outlet published it, when known.
    pub published_at: Option<Timestamp>,
    /// When Lắng Nghe fetched it.
    pub fetched_at: Timestamp,
    /// ISO 639-1 language code, such as `vi`.
    pub language: String,
    /// Hash of the normalised title and text, used to drop copies under other URLs.
    pub content_hash: String,
    /// For a social post: where it was posted and how people reacted.
    pub post: Option<Post>,
}

/// What an imported social post carries beyond its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Post {
    /// The platform, such as `facebook`, `zalo`, `tiktok`, `youtube`.
    pub platform: String,
    /// Reactions (likes and the like), when known.
    pub reactions: Option<i64>,
    /// Shares, when known.
    pub shares: Option<i64>,
    /// Comments, when known.
    pub comments: Option<i64>,
}

impl NewDocument {
    /// The text matched, indexed and excerpted: the summary followed by the body, without
    /// repeating the summary when the body already starts with it.
    pub fn full_text(&self) -> String {
        let (summary, body) = (self.summary.trim(), self.body.trim());
        if summary.is_empty() || body.starts_with(summary) {
            body.to_owned()
        } else if body.is_empty() {
            summary.to_owned()
        } else {
            format!("{summary}\n\n{body}")
        }
    }
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Store identifier; increases with insertion order.
    pub id: i64,
    /// Name of the source it came from.
    pub source_name: String,
    /// Everything else, as it was last stored.
    pub doc: NewDocument,
    /// How many times its text was updated after it was first stored.
    pub revision: i64,
    /// When the latest update was stored.
    pub revised_at: Option<Timestamp>,
}

impl Document {
    /// The time to show and sort by: publication time, else fetch time.
    pub fn time(&self) -> Timestamp {
        self.doc.published_at.unwrap_or(self.doc.fetched_at)
    }
}
