//! Which attachments leave the message, and the skeleton that stays.
//!
//! An attachment is a leaf part with a file name, an `attachment` disposition, or a type that
//! is not text (a scan's PDF/TIFF/JPEG). The largest are taken out first until the skeleton's
//! base64 fits the budget; the skeleton is the message with those parts' bytes cut out
//! (each with its opening delimiter, so the multipart stays well formed). A multipart that
//! would lose every child keeps an empty `text/plain` placeholder; a message that is itself
//! one attachment keeps its other header fields and becomes an empty `text/plain` message.

use std::ops::Range;

use super::decode::{TransferEncoding, base64_len};
use super::{Part, SplitError, Structure};

/// An attachment to take out of the message and upload on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// The part's index in [`Structure::parts`].
    pub part: usize,
    /// Its decoded file name (a generated one when the message gave none).
    pub name: String,
    /// `type/subtype`.
    pub content_type: String,
    /// The exact decoded size.
    pub size: u64,
    /// Whether it was an inline part (disposition `inline` with a `Content-ID`).
    pub inline: bool,
    /// Its `Content-ID`, without angle brackets.
    pub content_id: Option<String>,
    /// Where its encoded body is in the message.
    pub body: Range<u64>,
    /// Its transfer encoding.
    pub encoding: TransferEncoding,
}

/// A cut in the message: bytes `start..end` are replaced by `replacement` (which may be empty;
/// `start == end` inserts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// The first byte removed.
    pub start: u64,
    /// One past the last byte removed.
    pub end: u64,
    /// What goes in their place.
    pub replacement: Vec<u8>,
}

/// The outcome of planning: what to upload, and how to write the skeleton.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitPlan {
    /// Attachments to upload, in message order.
    pub extracted: Vec<Attachment>,
    /// Cuts, sorted by position.
    pub cuts: Vec<Cut>,
    /// Appended at the end: close delimiters the message never wrote.
    pub suffix: Vec<u8>,
    /// The skeleton's exact size in bytes.
    pub skeleton_len: u64,
}

impl Structure {
    /// Every part that counts as an attachment, in message order.
    pub fn attachments(&self) -> Vec<Attachment> {
        let mut counter = 0;
        self.parts
            .iter()
            .enumerate()
            .filter(|(index, part)| is_attachment(*index, part))
            .map(|(index, part)| {
                counter += 1;
                attachment(index, part, counter)
            })
            .collect()
    }
}

fn is_attachment(index: usize, part: &Part) -> bool {
    if part.is_multipart() {
        return false;
    }
    let text = part.content_type.starts_with("text/");
    let attachment = part.disposition.as_deref() == Some("attachment");
    // The message's own text body stays; anything named, marked as an attachment, or not
    // text is a file.
    part.filename.is_some() || attachment || !(text || (index == 0 && part.body.is_empty()))
}

fn attachment(index: usize, part: &Part, counter: usize) -> Attachment {
    let name = part
        .filename
        .as_deref()
        .map(clean_name)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("attachment-{counter}{}", extension(&part.content_type)));
    Attachment {
        part: index,
        name,
        content_type: part.content_type.clone(),
        size: part.decoded_size,
        inline: part.disposition.as_deref() == Some("inline") && part.content_id.is_some(),
        content_id: part.content_id.clone(),
        body: part.body.clone(),
        encoding: part.encoding,
    }
}

/// A file name without control characters or surrounding space.
fn clean_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => ".pdf",
        "image/tiff" => ".tif",
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "message/rfc822" => ".eml",
        t if t.starts_with("text/") => ".txt",
        _ => ".bin",
    }
}

/// Decides which attachments to take out so the skeleton's base64 is at most `budget`
/// bytes: none if the whole message fits, else the largest first.
///
/// # Errors
/// [`SplitError::SkeletonTooLarge`] when even the smallest skeleton does not fit.
pub fn plan(structure: &Structure, budget: u64) -> Result<SplitPlan, SplitError> {
    let mut candidates = structure.attachments();
    candidates.sort_by_key(|a| std::cmp::Reverse(region_len(structure, a.part)));
    let mut candidates = candidates.into_iter();
    let mut chosen: Vec<Attachment> = Vec::new();
    let mut result = build(structure, &chosen);
    // Rebuilding is linear in the parts, so a running estimate (the skeleton shrinks by at
    // least each part's region) decides when to rebuild exactly.
    let mut estimate = result.skeleton_len;
    while base64_len(result.skeleton_len) > budget {
        let Some(next) = candidates.next() else {
            return Err(SplitError::SkeletonTooLarge {
                skeleton: base64_len(result.skeleton_len),
                limit: budget,
            });
        };
        estimate = estimate.saturating_sub(region_len(structure, next.part));
        chosen.push(next);
        if base64_len(estimate) <= budget || candidates.len() == 0 {
            result = build(structure, &chosen);
            estimate = result.skeleton_len;
        }
    }
    Ok(result)
}

/// The bytes taking a part out removes.
fn region_len(structure: &Structure, part: usize) -> u64 {
    let p = &structure.parts[part];
    if part == 0 {
        p.body.end - p.body.start
    } else {
        p.body.end - p.delim_start
    }
}

fn build(structure: &Structure, chosen: &[Attachment]) -> SplitPlan {
    let mut cuts = Vec::new();
    let mut extracted: Vec<Attachment> = chosen.to_vec();
    extracted.sort_by_key(|a| a.part);
    for a in &extracted {
        let part = &structure.parts[a.part];
        let Some(parent) = part.parent else {
            cuts.extend(root_cuts(structure));
            continue;
        };
        let mut replacement = Vec::new();
        let last_child = structure
            .parts
            .iter()
            .rposition(|p| p.parent == Some(parent));
        let all_out = structure
            .parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.parent == Some(parent))
            .all(|(index, _)| extracted.iter().any(|e| e.part == index));
        if all_out && last_child == Some(a.part) {
            let boundary = structure.parts[parent]
                .boundary
                .as_deref()
                .unwrap_or_default();
            replacement.extend_from_slice(b"\r\n--");
            replacement.extend_from_slice(boundary);
            replacement
                .extend_from_slice(b"\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n");
        }
        cuts.push(Cut {
            start: part.delim_start,
            end: part.body.end,
            replacement,
        });
    }
    cuts.sort_by_key(|c| (c.start, c.end));
    let mut suffix = Vec::new();
    for boundary in structure.unclosed.iter().rev() {
        suffix.extend_from_slice(b"\r\n--");
        suffix.extend_from_slice(boundary);
        suffix.extend_from_slice(b"--\r\n");
    }
    let removed: u64 = cuts.iter().map(|c| c.end - c.start).sum();
    let added: u64 = cuts.iter().map(|c| c.replacement.len() as u64).sum();
    SplitPlan {
        skeleton_len: structure.len - removed + added + suffix.len() as u64,
        extracted,
        cuts,
        suffix,
    }
}

/// The message is one attachment: drop its `Content-*` fields and its body, declare it an
/// empty text message.
fn root_cuts(structure: &Structure) -> Vec<Cut> {
    let root = &structure.parts[0];
    let mut cuts: Vec<Cut> = structure
        .root_content_fields
        .iter()
        .map(|r| Cut {
            start: r.start,
            end: r.end,
            replacement: Vec::new(),
        })
        .collect();
    cuts.push(Cut {
        start: root.header_end,
        end: root.header_end,
        replacement: b"Content-Type: text/plain; charset=us-ascii\r\n".to_vec(),
    });
    if root.header_end == root.body.start {
        // The header never ended: end it.
        cuts.push(Cut {
            start: root.body.start,
            end: root.body.start,
            replacement: b"\r\n".to_vec(),
        });
    }
    cuts.push(Cut {
        start: root.body.start,
        end: root.body.end,
        replacement: Vec::new(),
    });
    cuts
}

/// Writes the skeleton from the message's bytes, fed in order with their offsets.
#[derive(Debug)]
pub struct SkeletonBuilder<'a> {
    plan: &'a SplitPlan,
    next: usize,
    replaced: bool,
    out: Vec<u8>,
}

impl<'a> SkeletonBuilder<'a> {
    /// A builder for `plan`'s skeleton.
    pub fn new(plan: &'a SplitPlan) -> SkeletonBuilder<'a> {
        SkeletonBuilder {
            plan,
            next: 0,
            replaced: false,
            out: Vec::with_capacity(usize::try_from(plan.skeleton_len).unwrap_or(0)),
        }
    }

    /// Takes the message bytes at `offset..offset + data.len()`.
    pub fn feed(&mut self, offset: u64, data: &[u8]) {
        let end = offset + data.len() as u64;
        let mut pos = offset;
        while pos < end {
            while let Some(cut) = self.plan.cuts.get(self.next) {
                if cut.start > pos {
                    break;
                }
                if !self.replaced {
                    self.out.extend_from_slice(&cut.replacement);
                    self.replaced = true;
                }
                if cut.end > pos {
                    pos = cut.end.min(end);
                    if pos < cut.end {
                        return;
                    }
                }
                self.next += 1;
                self.replaced = false;
            }
            let stop = self
                .plan
                .cuts
                .get(self.next)
                .map_or(end, |c| c.start.min(end));
            let from = usize::try_from(pos - offset).unwrap_or(0);
            let to = usize::try_from(stop - offset).unwrap_or(0);
            self.out.extend_from_slice(&data[from..to]);
            pos = stop;
        }
    }

    /// The skeleton, once every byte was fed.
    pub fn finish(mut self) -> Vec<u8> {
        while let Some(cut) = self.plan.cuts.get(self.next) {
            if !self.replaced {
                self.out.extend_from_slice(&cut.replacement);
            }
            self.replaced = false;
            self.next += 1;
        }
        self.out.extend_from_slice(&self.plan.suffix);
        self.out
    }
}
