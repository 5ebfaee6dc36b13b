//! Dot-stuffing: table, chunk boundaries, SMTP smuggling, and a property test against a small
//! reference unstuffer.

use proptest::prelude::*;
use scanrelay_proto::dot::{DotStuffer, stuff_all};

const TABLE: &[(&[u8], &[u8])] = &[
    // Empty message: just the terminator.
    (b"", b".\r\n"),
    // No trailing newline: one is added.
    (b"a", b"a\r\n.\r\n"),
    (
        b"Subject: x\r\n\r\nbody",
        b"Subject: x\r\n\r\nbody\r\n.\r\n",
    ),
    (b"a\r\n", b"a\r\n.\r\n"),
    // Bare LF and bare CR become CRLF.
    (b"a\n", b"a\r\n.\r\n"),
    (b"a\nb\n", b"a\r\nb\r\n.\r\n"),
    (b"a\rb", b"a\r\nb\r\n.\r\n"),
    (b"a\r", b"a\r\n.\r\n"),
    (b"\r", b"\r\n.\r\n"),
    (b"\n", b"\r\n.\r\n"),
    (b"\r\n", b"\r\n.\r\n"),
    (b"\n\n", b"\r\n\r\n.\r\n"),
    (b"\r\r\n", b"\r\n\r\n.\r\n"),
    (b"\n\r", b"\r\n\r\n.\r\n"),
    (b"a\r\rb", b"a\r\n\r\nb\r\n.\r\n"),
    // Leading dots are doubled at the start of every line, nowhere else.
    (b".", b"..\r\n.\r\n"),
    (b".\r\n", b"..\r\n.\r\n"),
    (b"..", b"...\r\n.\r\n"),
    (b".a\r\n", b"..a\r\n.\r\n"),
    (b"a.b\r\n.c\r\n", b"a.b\r\n..c\r\n.\r\n"),
    (b"a\r\n.\r\nb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"a\n.\nb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"a\r.\rb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"\n.", b"\r\n..\r\n.\r\n"),
    (b" .\r\n", b" .\r\n.\r\n"),
    // SMTP smuggling (CVE-2023-51764/51765/51766): a lone LF-dot-LF must not end the data.
    (
        b"a\n.\nMAIL FROM:<x>\r\n",
        b"a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n",
    ),
    (
        b"a\r\n.\nMAIL FROM:<x>\r\n",
        b"a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n",
    ),
    (
        b"a\n.\r\nMAIL FROM:<x>\r\n",
        b"a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n",
    ),
    (
        b"a\r.\r\nMAIL FROM:<x>\r\n",
        b"a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n",
    ),
    // 8-bit and NUL bytes pass through.
    (b"\xea\xb0\x80\0\xff", b"\xea\xb0\x80\0\xff\r\n.\r\n"),
];

fn show(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

fn stuff_chunks(chunks: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut s = DotStuffer::new();
    for c in chunks {
        s.stuff(c, &mut out);
    }
    s.finish(&mut out);
    out
}

#[test]
fn table() {
    for (input, want) in TABLE {
        assert_eq!(
            show(&stuff_all(input)),
            show(want),
            "input {:?}",
            show(input)
        );
    }
}

#[test]
fn chunk_boundaries_do_not_matter() {
    for (input, want) in TABLE {
        for i in 0..=input.len() {
            assert_eq!(
                stuff_chunks(&[&input[..i], &input[i..]]),
                *want,
                "{:?} split at {i}",
                show(input)
            );
            for j in i..=input.len() {
                assert_eq!(
                    stuff_chunks(&[&input[..i], &input[i..j], &input[j..]]),
                    *want,
                    "{:?} split at {i}, {j}",
                    show(input)
                );
            }
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(
            stuff_chunks(&bytes),
            *want,
            "{:?} byte by byte",
            show(input)
        );
        // Empty chunks change nothing.
        assert_eq!(stuff_chunks(&[b"", input, b""]), *want);
    }
}

#[test]
fn default_is_new() {
    let mut out = Vec::new();
    let mut s = DotStuffer::default();
    s.stuff(b".x", &mut out);
    s.finish(&mut out);
    assert_eq!(out, b"..x\r\n.\r\n");
}

#[test]
fn output_is_appended() {
    let mut out = b"DATA already here|".to_vec();
    let mut s = DotStuffer::new();
    s.stuff(b".\n", &mut out);
    s.finish(&mut out);
    assert_eq!(out, b"DATA already here|..\r\n.\r\n");
}

/// What a receiving server does (RFC 5321 §4.5.2): read CRLF lines until `.`, and drop one
/// leading dot from every other line. Returns the body with CRLF line ends, or None if the
/// data is not properly terminated or has bytes after the terminator.
fn unstuff(wire: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = wire;
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let line = &rest[..end];
        rest = &rest[end + 2..];
        if line == b"." {
            return rest.is_empty().then_some(out);
        }
        out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        out.extend_from_slice(b"\r\n");
    }
}

/// The input with every line ending (CRLF, lone LF, lone CR) turned into CRLF and a final line
/// ending added if the last line lacks one.
pub(crate) fn normalise(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'\r' if input.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[test]
fn reference_helpers() {
    assert_eq!(normalise(b"a\rb\nc\r\nd"), b"a\r\nb\r\nc\r\nd\r\n");
    assert_eq!(normalise(b""), b"");
    assert_eq!(unstuff(b"..a\r\nb\r\n.\r\n").unwrap(), b".a\r\nb\r\n");
    assert_eq!(unstuff(b".\r\n").unwrap(), b"");
    assert_eq!(unstuff(b"a\r\n.\r\nb"), None);
    assert_eq!(unstuff(b"a\r\n"), None);
}

#[test]
fn table_agrees_with_reference_unstuffer() {
    for (input, want) in TABLE {
        assert_eq!(
            unstuff(want).map(|b| show(&b)),
            Some(show(&normalise(input)))
        );
    }
}

/// Bytes weighted towards the ones that matter to stuffing.
fn message() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => Just(b'.'),
        4 => Just(b'\r'),
        4 => Just(b'\n'),
        2 => Just(b'a'),
        1 => any::<u8>(),
    ];
    proptest::collection::vec(byte, 0..64)
}

proptest! {
    #[test]
    fn stuffing_invariants(input in message(), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4)) {
        let out = stuff_all(&input);
        if input.is_empty() {
            prop_assert_eq!(out.as_slice(), b".\r\n");
        } else {
            // Exactly one end-of-data sequence, and it is the very end.
            prop_assert!(out.ends_with(b"\r\n.\r\n"), "{}", show(&out));
            prop_assert_eq!(count(&out, b"\r\n.\r\n"), 1, "{}", show(&out));
            prop_assert!(!out.starts_with(b".\r\n"), "{}", show(&out));
        }
        // Every LF is preceded by CR and every CR followed by LF.
        for (i, &b) in out.iter().enumerate() {
            if b == b'\n' {
                prop_assert!(i > 0 && out[i - 1] == b'\r', "bare LF at {i}: {}", show(&out));
            }
            if b == b'\r' {
                prop_assert_eq!(out.get(i + 1), Some(&b'\n'), "bare CR at {}: {}", i, show(&out));
            }
        }
        // A receiving server gets the message back, line endings normalised.
        prop_assert_eq!(unstuff(&out).map(|b| show(&b)), Some(show(&normalise(&input))));

        // Any chunking gives the same bytes.
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut last = 0;
        for p in points {
            chunks.push(&input[last..p]);
            last = p;
        }
        chunks.push(&input[last..]);
        prop_assert_eq!(show(&stuff_chunks(&chunks)), show(&out));
    }

    #[test]
    fn arbitrary_bytes_unstuff(input in proptest::collection::vec(any::<u8>(), 0..256)) {
        let out = stuff_all(&input);
        prop_assert_eq!(unstuff(&out), Some(normalise(&input)));
    }
}
