//! Dot-stuffs a message fed in random chunks and checks the DATA invariants.
//!
//! The first two bytes seed the chunk sizes; the rest is the message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanrelay_proto::dot::{DotStuffer, stuff_all};

/// What a receiving server does: CRLF lines up to `.`, one leading dot dropped per line.
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

/// Every line ending (CRLF, LF, CR) as CRLF, plus a final one if the last line lacks it.
fn normalise(input: &[u8]) -> Vec<u8> {
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

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let mut seed = u32::from(u16::from_le_bytes([data[0], data[1]])) | 1;
    let message = &data[2..];

    let mut out = Vec::new();
    let mut stuffer = DotStuffer::new();
    let mut rest = message;
    while !rest.is_empty() {
        // xorshift32 for chunk sizes 0..=16 (empty chunks included).
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = (seed % 17) as usize;
        let (chunk, tail) = rest.split_at(n.min(rest.len()));
        stuffer.stuff(chunk, &mut out);
        rest = tail;
    }
    stuffer.finish(&mut out);

    assert_eq!(out, stuff_all(message), "chunking changed the output");
    if message.is_empty() {
        assert_eq!(out, b".\r\n");
    } else {
        assert!(out.ends_with(b"\r\n.\r\n"));
        let terminators = out.windows(5).filter(|w| *w == b"\r\n.\r\n").count();
        assert_eq!(terminators, 1, "end-of-data sequence inside the body");
        assert!(!out.starts_with(b".\r\n"));
    }
    for (i, &b) in out.iter().enumerate() {
        if b == b'\n' {
            assert!(i > 0 && out[i - 1] == b'\r', "bare LF at {i}");
        }
        if b == b'\r' {
            assert_eq!(out.get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
    }
    assert_eq!(unstuff(&out), Some(normalise(message)));
});
