//! Finding the line of a key path (`listen.allow_networks`, `device[1].password`) in the
//! config text, for validation errors that happen after deserialization.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Line lookups over one config text.
pub(crate) struct Locator<'a> {
    text: &'a str,
    root: Option<Spanned<DeTable<'a>>>,
}

impl<'a> Locator<'a> {
    /// Parses `text` for spans; a text that does not parse locates nothing.
    pub fn new(text: &'a str) -> Locator<'a> {
        Locator {
            text,
            root: DeTable::parse(text).ok(),
        }
    }

    /// The 1-based line of a byte offset.
    pub fn line_at(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// The line where `path` is written; for a missing key, the line of the nearest table
    /// that exists (e.g. the `[upstream]` header for a missing `upstream.server`).
    pub fn line_of(&self, path: &str) -> Option<usize> {
        self.span_of(path).map(|span| self.line_at(span.start))
    }

    fn span_of(&self, path: &str) -> Option<Range<usize>> {
        let root = self.root.as_ref()?;
        let mut table: &DeTable<'_> = root.get_ref();
        let mut best: Option<Range<usize>> = None;
        let mut current: Option<&Spanned<DeValue<'_>>> = None;
        for segment in segments(path) {
            let next = match (segment, current) {
                (Segment::Key(key), _) => {
                    let (k, v) = table.iter().find(|(k, _)| k.get_ref() == key)?;
                    best = Some(k.span());
                    v
                }
                (Segment::Index(i), Some(value)) => {
                    let item = value.get_ref().as_array()?.get(i)?;
                    best = Some(item.span());
                    item
                }
                (Segment::Index(_), None) => return best,
            };
            current = Some(next);
            if let Some(t) = next.get_ref().as_table() {
                table = t;
            }
        }
        best
    }
}

/// Like [`Locator::span_of`] but stops at the deepest existing segment instead of failing.
impl Locator<'_> {
    /// The line of `path`, or of its longest existing prefix.
    pub fn nearest_line(&self, path: &str) -> Option<usize> {
        let mut prefix = path.to_string();
        loop {
            if let Some(line) = self.line_of(&prefix) {
                return Some(line);
            }
            let cut = prefix.rfind(['.', '['])?;
            prefix.truncate(cut);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'p> {
    Key(&'p str),
    Index(usize),
}

/// `device[1].password` → `device`, `1`, `password`.
fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        for index in rest.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                out.push(Segment::Index(i));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[listen]\nsmtp = \"x\"\n\n[[device]]\nusername = \"a\"\n\n[[device]]\nusername = \"b\"\npassword = \"c\"\n";

    #[test]
    fn lines_of_keys() {
        let loc = Locator::new(TEXT);
        assert_eq!(loc.line_of("listen.smtp"), Some(2));
        assert_eq!(loc.line_of("device[1].password"), Some(9));
        assert_eq!(loc.line_of("device[0].username"), Some(5));
        assert_eq!(loc.line_of("listen.missing"), None);
        assert_eq!(loc.nearest_line("listen.missing"), Some(1));
    }
}
