//! The typed answers to `STAT`, `LIST` and `UIDL` (RFC 1939 §5, §7), and unique ids.
//!
//! Each type's `Display` is its wire form without line ending (`2 320`, `1 120`,
//! `1 whqtswO00WBw418f9t5JxYwZ`), which is what the server writes after `+OK` or as a line of a
//! multi-line listing; `parse` reads the same, ignoring anything after the fields RFC 1939
//! defines (it "makes no requirement on what follows the message size").

use std::fmt;

/// The longest unique id RFC 1939 §7 allows.
pub const MAX_UID_LEN: usize = 70;

/// A unique id: 1 to 70 characters in `0x21..=0x7E` (RFC 1939 §7).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uid(String);

impl Uid {
    /// The id, if `s` is a valid one.
    pub fn new(s: &str) -> Option<Uid> {
        let valid = (1..=MAX_UID_LEN).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| Uid(s.to_string()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The answer to `STAT`: messages not marked deleted, and their total size in octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// The number of messages.
    pub count: u32,
    /// Their total size in octets.
    pub size: u64,
}

impl Stat {
    /// Parses the text after `+OK`: `count size [anything]`.
    pub fn parse(text: &str) -> Option<Stat> {
        let (count, size) = two_fields(text)?;
        Some(Stat {
            count: number(count)?,
            size: size_field(size)?,
        })
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.count, self.size)
    }
}

/// One scan listing: a message number and its size in octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListEntry {
    /// The message number (1-based).
    pub n: u32,
    /// The size in octets.
    pub size: u64,
}

impl ListEntry {
    /// Parses `n size [anything]` (a listing line, or the text after `+OK` for `LIST n`).
    /// Message number 0 is refused: numbers start at 1.
    pub fn parse(text: &str) -> Option<ListEntry> {
        let (n, size) = two_fields(text)?;
        Some(ListEntry {
            n: message_number(n)?,
            size: size_field(size)?,
        })
    }
}

impl fmt::Display for ListEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.n, self.size)
    }
}

/// One unique-id listing: a message number and its unique id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidlEntry {
    /// The message number (1-based).
    pub n: u32,
    /// The unique id.
    pub uid: Uid,
}

impl UidlEntry {
    /// Parses `n uid [anything]`; the id must be valid (see [`Uid`]).
    pub fn parse(text: &str) -> Option<UidlEntry> {
        let (n, uid) = two_fields(text)?;
        Some(UidlEntry {
            n: message_number(n)?,
            uid: Uid::new(uid)?,
        })
    }
}

impl fmt::Display for UidlEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.n, self.uid)
    }
}

/// The first two blank-separated fields; leading blanks are not allowed (RFC 1939's listings
/// start with the number).
fn two_fields(text: &str) -> Option<(&str, &str)> {
    let mut fields = text.split([' ', '\t']).filter(|f| !f.is_empty());
    if text.starts_with([' ', '\t']) {
        return None;
    }
    Some((fields.next()?, fields.next()?))
}

fn number(s: &str) -> Option<u32> {
    (s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn message_number(s: &str) -> Option<u32> {
    number(s).filter(|&n| n > 0)
}

fn size_field(s: &str) -> Option<u64> {
    (s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}
