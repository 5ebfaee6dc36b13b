//! Parses a reply, then `EhloInfo::parse`, and checks what the accessors promise.
//!
//! First byte even: the rest is raw reply bytes. Odd: the rest is `\n`-separated capability
//! text that the target wraps as a well-formed `250-` ... `250 ` reply, so EhloInfo itself gets
//! most of the fuzzing effort.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanrelay_proto::{EhloInfo, ReplyParser};

fn wrap(text: &[u8]) -> Vec<u8> {
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let mut out = Vec::with_capacity(text.len() + lines.len() * 6);
    for (i, line) in lines.iter().enumerate() {
        out.extend_from_slice(if i + 1 == lines.len() {
            b"250 "
        } else {
            b"250-"
        });
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let buf = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        wrap(rest)
    };
    let Ok(Some((reply, _))) = ReplyParser::parse(&buf) else {
        return;
    };
    let info = EhloInfo::parse(&reply);
    assert_eq!(Some(&info.greeting), reply.lines.first());
    // One entry per keyword: repeated lines (two AUTH lines) are merged.
    for (i, (k, _)) in info.keywords.iter().enumerate() {
        assert!(!k.is_empty());
        assert!(
            !info.keywords[..i].iter().any(|(other, _)| other == k),
            "keyword {k:?} listed twice"
        );
        assert!(info.has(k));
    }
    assert_eq!(info.capability_lines().len(), info.keywords.len());
    if let Some(n) = info.size_limit() {
        assert!(n > 0);
    }
    let names = info.auth_mechanism_names();
    let mechanisms = info.auth_mechanisms();
    assert!(mechanisms.len() <= names.len());
    for m in &mechanisms {
        assert!(
            names.iter().any(|n| n == m.as_str()),
            "{m} not among {names:?}"
        );
    }
    let _ = (
        info.starttls(),
        info.pipelining(),
        info.eight_bit_mime(),
        info.smtputf8(),
        info.chunking(),
        info.enhanced_status_codes(),
    );
});
