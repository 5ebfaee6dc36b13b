//! RFC 5322 header blocks as bytes, the one place the gateway parses them: where the header
//! block ends, its fields (with their continuation lines) and their names, unfolding, and
//! line ends. The listener's streaming fix-up (`listener::headers`), the `From` rewrite
//! (`delivery::rewrite`) and the failure notices (`delivery::dsn`, `delivery::bounce`) all read
//! headers through these, so a field means the same thing to each of them.

/// The length of the header block including its terminating blank line, if `buf` has one.
pub fn header_end(buf: &[u8]) -> Option<usize> {
    if buf.starts_with(b"\r\n") {
        return Some(2);
    }
    if buf.starts_with(b"\n") {
        return Some(1);
    }
    let mut i = 0;
    while let Some(pos) = buf[i..].iter().position(|&b| b == b'\n') {
        let after = i + pos + 1;
        match &buf[after..] {
            [b'\r', b'\n', ..] => return Some(after + 2),
            [b'\n', ..] => return Some(after + 1),
            _ => i = after,
        }
    }
    None
}

/// One header field: its raw bytes (continuation lines included) and its name.
pub(crate) struct Field<'a> {
    pub(crate) raw: &'a [u8],
    pub(crate) name: Option<&'a [u8]>,
}

impl Field<'_> {
    pub(crate) fn is(&self, name: &str) -> bool {
        self.name
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    }

    /// The raw value after the colon (leading blank and final line ending included).
    pub(crate) fn raw_value(&self) -> &[u8] {
        let colon = self.raw.iter().position(|&b| b == b':').unwrap_or(0);
        &self.raw[colon + 1..]
    }
}

/// Splits a header block into fields and the trailing blank line.
pub(crate) fn split_fields(head: &[u8]) -> (Vec<Field<'_>>, &[u8]) {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    let mut trailer = head.len();
    while start < head.len() {
        let end = head[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(head.len(), |p| start + p + 1);
        let line = &head[start..end];
        if line == b"\r\n" || line == b"\n" {
            trailer = start;
            break;
        }
        match spans.last_mut() {
            Some(last) if matches!(line.first(), Some(b' ' | b'\t')) => last.1 = end,
            _ => spans.push((start, end)),
        }
        start = end;
    }
    let fields = spans
        .into_iter()
        .map(|(start, end)| Field {
            raw: &head[start..end],
            name: field_name(&head[start..end]),
        })
        .collect();
    (fields, &head[trailer..])
}

/// The name of a header field (its first line): printable ASCII up to the colon, where blanks
/// before the colon are allowed and not part of the name (`From : a@b`, RFC 5322 §4.5 obsolete
/// syntax). `None` if the line is not a field.
pub(crate) fn field_name(field: &[u8]) -> Option<&[u8]> {
    let line = field.split(|&b| b == b'\n').next().unwrap_or(field);
    let colon = line.iter().position(|&b| b == b':')?;
    let name = line[..colon].trim_ascii_end();
    let ok = !name.is_empty() && name.iter().all(|&b| b.is_ascii_graphic());
    ok.then_some(name)
}

/// RFC 5322 unfolding: line breaks removed, the whitespace after them kept; then trimmed.
pub(crate) fn unfold(value: &[u8]) -> Vec<u8> {
    let kept: Vec<u8> = value
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect();
    kept.trim_ascii().to_vec()
}

pub(crate) fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

/// The header block without its terminating blank line.
pub(crate) fn strip_blank_line(head: &[u8]) -> &[u8] {
    head.strip_suffix(b"\r\n\r\n")
        .map(|h| &head[..h.len() + 2])
        .or_else(|| head.strip_suffix(b"\n\n").map(|h| &head[..h.len() + 1]))
        .unwrap_or(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_and_block_ends() {
        // (line or field, name)
        let names: [(&[u8], Option<&[u8]>); 6] = [
            (b"From: a@b\r\n", Some(b"From")),
            (b"From : a@b\r\n", Some(b"From")),
            (b"Subject: x\r\n\tcontinued: no\r\n", Some(b"Subject")),
            (b"not a field\r\n", None),
            (b": empty name\r\n", None),
            (b"Bad Name: x\r\n", None),
        ];
        for (line, want) in names {
            assert_eq!(field_name(line), want, "{}", String::from_utf8_lossy(line));
        }
        // (buffer, end of the header block)
        let ends: [(&[u8], Option<usize>); 5] = [
            (b"A: 1\r\n\r\nbody", Some(8)),
            (b"A: 1\n\nbody", Some(6)),
            (b"\r\nbody", Some(2)),
            (b"A: 1\r\nB: 2\r\n", None),
            (b"", None),
        ];
        for (buf, want) in ends {
            assert_eq!(header_end(buf), want, "{}", String::from_utf8_lossy(buf));
        }
        let (fields, trailer) = split_fields(b"A: 1\r\n 2\r\nB: 3\r\n\r\n");
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].raw, b"A: 1\r\n 2\r\n");
        assert!(fields[1].is("b"));
        assert_eq!(trailer, b"\r\n");
        assert_eq!(unfold(b" 1\r\n 2\r\n"), b"1 2");
        assert_eq!(strip_blank_line(b"A: 1\r\n\r\n"), b"A: 1\r\n");
    }
}
