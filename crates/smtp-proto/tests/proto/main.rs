//! Integration tests for `scanrelay-proto`: one test binary, one module per concern.
//!
//! Every module is table-driven where the rule is a mapping from bytes to values, and uses
//! verbatim provider captures where the rule exists because of a real server.

mod command;
mod dot;
mod ehlo;
mod reply;
mod sasl;
mod server;

/// Turns `\n`-separated reply text (as the fixtures and captures store it) into wire bytes.
pub fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.lines() {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

/// Parses exactly one complete reply and checks that it used every byte.
pub fn parse_one(wire: &str) -> scanrelay_proto::Reply {
    match scanrelay_proto::ReplyParser::parse(wire.as_bytes()) {
        Ok(Some((reply, used))) => {
            assert_eq!(used, wire.len(), "reply did not use all bytes of {wire:?}");
            reply
        }
        other => panic!("expected a complete reply from {wire:?}, got {other:?}"),
    }
}
