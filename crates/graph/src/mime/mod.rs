//! The streaming MIME splitter: finds a message's part structure in one bounded-memory pass
//! ([`Scanner`]), decides which attachments to take out so the rest fits one Graph request
//! ([`plan`]), writes that rest ([`SkeletonBuilder`]) and decodes the attachments
//! ([`BodyDecoder`]) from later passes over the same bytes.
//!
//! Everything here is sans-IO: it takes byte slices and their offsets and never reads a file
//! or a socket, so the fuzz target and the table tests drive it directly.

pub mod address;
pub mod decode;
pub mod params;
mod plan;
mod scan;

pub use decode::{BodyDecoder, Counter, Sink, TransferEncoding, base64_len};
pub use plan::{Attachment, Cut, SkeletonBuilder, SplitPlan, plan};
pub use scan::{FIELD_CAP, MAX_DEPTH, MAX_PARTS, PROBE_CAP, Scanner};

use std::ops::Range;

/// Why a message cannot be split.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// A header field the splitter must read is longer than it keeps in memory.
    #[error("the {name} header field is longer than {limit} bytes")]
    HeaderTooLong {
        /// The field's name, lowercased.
        name: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// More body parts than the splitter tracks.
    #[error("the message has more than {limit} MIME parts")]
    TooManyParts {
        /// The limit.
        limit: usize,
    },
    /// Multiparts nested deeper than the splitter follows.
    #[error("the message nests multiparts deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// Even without every attachment the message does not fit one Graph request.
    #[error(
        "the message without its attachments still needs {skeleton} bytes as base64, over the \
         {limit} bytes one Graph request may carry"
    )]
    SkeletonTooLarge {
        /// The base64 size of the smallest skeleton.
        skeleton: u64,
        /// The limit it had to fit.
        limit: u64,
    },
}

/// One MIME entity of the message (the message itself is part 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The enclosing multipart's index; `None` for the message itself.
    pub parent: Option<usize>,
    /// Where removing this part starts: its opening delimiter, with the line break before it.
    pub delim_start: u64,
    /// The first byte of its header.
    pub header_start: u64,
    /// Where the blank line that ends its header starts (or the header's end).
    pub header_end: u64,
    /// Its body, without the line break that belongs to the next delimiter.
    pub body: Range<u64>,
    /// `type/subtype`, lowercased (`text/plain` when absent).
    pub content_type: String,
    /// Its transfer encoding.
    pub encoding: TransferEncoding,
    /// The disposition type, lowercased (`attachment`, `inline`), if given.
    pub disposition: Option<String>,
    /// The decoded file name (`filename` of the disposition, else `name` of the type).
    pub filename: Option<String>,
    /// `Content-ID` without its angle brackets.
    pub content_id: Option<String>,
    /// For a multipart: its boundary.
    pub boundary: Option<Vec<u8>>,
    /// For a leaf: the exact size of its decoded body.
    pub decoded_size: u64,
}

impl Part {
    /// Whether this is a multipart with children.
    pub fn is_multipart(&self) -> bool {
        self.boundary.is_some()
    }
}

/// The structure pass 1 found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Structure {
    /// The message's length in bytes.
    pub len: u64,
    /// Every part in file order; part 0 is the message.
    pub parts: Vec<Part>,
    /// Addresses in the message's `To`, `Cc` and `Bcc` header fields.
    pub to: Vec<String>,
    /// See `to`.
    pub cc: Vec<String>,
    /// See `to`.
    pub bcc: Vec<String>,
    /// Byte ranges of the message's own `Content-*` header fields (with their folded lines).
    pub root_content_fields: Vec<Range<u64>>,
    /// Boundaries of multiparts never closed before the end, innermost last.
    pub unclosed: Vec<Vec<u8>>,
}
