//! Feeds bytes to `ReplyParser::parse` in a loop, consuming one reply at a time.
//!
//! The first byte picks the mode: even means the rest is raw bytes; odd means every byte is
//! mapped onto an SMTP-ish alphabet (digits, `-`, blank, CR, LF, a few letters), which reaches
//! multi-line replies, code mismatches and limits far more often than raw bytes do.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanrelay_proto::ReplyParser;

/// Weighted towards what makes reply structure: the code digits 2-5, `-`, blank and line ends.
const ALPHABET: &[u8] = b"2222333344445555016789----    \r\r\n\n\n\n.OKAUTHSIZE=abc\t";

fn map(data: &[u8]) -> Vec<u8> {
    data.iter()
        .map(|&b| ALPHABET[usize::from(b) % ALPHABET.len()])
        .collect()
}

fn run(buf: &[u8]) {
    let mut pos = 0;
    while pos < buf.len() {
        let rest = &buf[pos..];
        let Ok(Some((reply, used))) = ReplyParser::parse(rest) else {
            return;
        };
        assert!(
            used > 0 && used <= rest.len(),
            "used {used} of {}",
            rest.len()
        );
        assert!((200..600).contains(&reply.code), "code {}", reply.code);
        assert!(!reply.lines.is_empty());
        assert_eq!(rest[used - 1], b'\n', "a reply ends at a line end");
        // One byte less is an incomplete reply, never an error or a different reply.
        assert_eq!(ReplyParser::parse(&rest[..used - 1]), Ok(None));
        // The wire form parses back to the same reply.
        let wire = reply.to_string();
        assert_eq!(
            ReplyParser::parse(wire.as_bytes()),
            Ok(Some((reply.clone(), wire.len())))
        );
        let _ = (reply.enhanced(), reply.text(), reply.severity());
        pos += used;
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        run(rest);
    } else {
        run(&map(rest));
    }
});
