//! The digest as an RFC 5322 message: `multipart/alternative` with the plain text first and
//! the HTML last (what readers prefer), the HTML inside `multipart/related` with its charts
//! as inline parts, each with the Content-ID the HTML refers to.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use model::Timestamp;

use crate::{Composed, Error};

/// The envelope of one message.
#[derive(Debug, Clone)]
pub struct Headers<'a> {
    /// The sender.
    pub from: &'a str,
    /// The recipients.
    pub to: &'a [String],
    /// The message's date.
    pub date: Timestamp,
    /// Its Message-ID, with or without angle brackets (`digest-2026-11-20-leadership@host`):
    /// stable for one digest and reader, so a message sent twice is recognisably one.
    pub message_id: &'a str,
}

fn mailbox(address: &str) -> Result<Mailbox, Error> {
    address.parse().map_err(|e: lettre::address::AddressError| Error::Address {
        address: address.to_owned(),
        message: e.to_string(),
    })
}

/// Formats the digest as a MIME message (UTF-8, the subject encoded as RFC 2047 wants).
pub fn to_message(digest: &Composed, headers: &Headers<'_>) -> Result<Vec<u8>, Error> {
    let id = headers.message_id.trim_start_matches('<').trim_end_matches('>');
    let mut builder = lettre::Message::builder()
        .from(mailbox(headers.from)?)
        .subject(digest.subject.clone())
        .date(headers.date.into())
        .message_id(Some(format!("<{id}>")));
    for address in headers.to {
        builder = builder.to(mailbox(address)?);
    }
    let body = if digest.images.is_empty() {
        MultiPart::alternative_plain_html(digest.text.clone(), digest.html.clone())
    } else {
        let png = ContentType::parse("image/png").map_err(|e| Error::Build(e.to_string()))?;
        let mut related = MultiPart::related().singlepart(SinglePart::html(digest.html.clone()));
        for image in &digest.images {
            related = related.singlepart(
                Attachment::new_inline(image.cid.clone()).body(image.png.clone(), png.clone()),
            );
        }
        MultiPart::alternative()
            .singlepart(SinglePart::plain(digest.text.clone()))
            .multipart(related)
    };
    let message = builder.multipart(body).map_err(|e| Error::Build(e.to_string()))?;
    Ok(message.formatted())
}
