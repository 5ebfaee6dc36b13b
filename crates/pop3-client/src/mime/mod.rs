//! The attachments of a fetched message: each part mail-parser counts as an attachment, its
//! decoded content and its file name. File names in RFC 2231 form (and raw 8-bit ones) are
//! decoded by [`rfc2231`] (see there for why), RFC 2047 ones by mail-parser; either way
//! [`names::safe_file_name`] makes them safe to create.

#[doc(hidden)]
pub mod fuzz;
pub mod names;
pub mod rfc2231;

use mail_parser::{MessageParser, MimeHeaders};

/// One attachment: a safe file name (not yet made unique in the directory) and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The decoded, sanitized file name.
    pub name: String,
    /// The content, transfer encoding undone.
    pub content: Vec<u8>,
}

/// The attachments of the raw message `raw`. A message mail-parser cannot parse at all has
/// none (it is still kept whole as the `.eml`).
pub fn attachments(raw: &[u8]) -> Vec<Attachment> {
    let Some(message) = MessageParser::default().parse(raw) else {
        return Vec::new();
    };
    let raw_message: &[u8] = message.raw_message.as_ref();
    message
        .attachments()
        .enumerate()
        .map(|(i, part)| {
            let start = part.raw_header_offset() as usize;
            let end = (part.raw_body_offset() as usize).min(raw_message.len());
            let block = raw_message.get(start..end).unwrap_or_default();
            let fallback = fallback_name(
                i + 1,
                part.content_type()
                    .map(|ct| (ct.c_type.as_ref(), ct.c_subtype.as_deref().unwrap_or(""))),
            );
            let decoded = part_name(block).or_else(|| part.attachment_name().map(str::to_string));
            Attachment {
                name: names::safe_file_name(decoded.as_deref().unwrap_or(""), &fallback),
                content: part.contents().to_vec(),
            }
        })
        .collect()
}

/// The name from a part's header block when it is in a form [`rfc2231`] owns:
/// Content-Disposition `filename` first, then Content-Type `name`.
pub fn part_name(block: &[u8]) -> Option<String> {
    [
        ("content-disposition", "filename"),
        ("content-type", "name"),
    ]
    .into_iter()
    .find_map(|(header, param)| {
        let value = rfc2231::header_value(block, header)?;
        rfc2231::decode_param(&rfc2231::parse_params(&value), param)
    })
}

/// `attachment-N` with an extension from the content type when there is an obvious one.
fn fallback_name(n: usize, content_type: Option<(&str, &str)>) -> String {
    let ext = match content_type.map(|(t, s)| (t.to_ascii_lowercase(), s.to_ascii_lowercase())) {
        Some((t, _)) if t == "message" => ".eml",
        Some((_, s)) => match s.as_str() {
            "pdf" => ".pdf",
            "tiff" => ".tif",
            "jpeg" => ".jpg",
            "png" => ".png",
            "plain" => ".txt",
            _ => "",
        },
        None => "",
    };
    format!("attachment-{n}{ext}")
}
