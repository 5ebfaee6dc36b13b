//! Integration tests for `scanrelay-pop3`: one test binary, one module per concern.
//!
//! Parser rules are tables of (input, expected); server texts are verbatim captures from real
//! servers where the rule exists because of one (Dovecot from the test peer; Gmail, Microsoft
//! 365, Naver and Nate from public transcripts, cited where used).

mod body;
mod capa;
mod client;
mod command;
mod dovecot;
mod listing;
mod props;
mod response;
mod roundtrip;
mod server;

use scanrelay_pop3::client::{ClientError, Event};
use scanrelay_pop3::{ClientConfig, ClientSession, Command};

/// A client session that has read `greeting` and is in AUTHORIZATION.
pub fn greeted(greeting: &str) -> ClientSession {
    let mut session = ClientSession::new(ClientConfig::default(), false);
    session.receive(greeting.as_bytes());
    match session.next_event() {
        Ok(Some(Event::Greeting(line))) => assert!(line.is_ok(), "{line:?}"),
        other => panic!("expected a greeting, got {other:?}"),
    }
    session
}

/// Sends `command`, feeds `reply`, and returns every event until the session needs more bytes
/// (body chunks merged into one), or the error.
pub fn exchange(
    session: &mut ClientSession,
    command: &Command,
    reply: &[u8],
) -> Result<Vec<Event>, ClientError> {
    session.send(command).expect("sendable");
    session.receive(reply);
    drain(session)
}

/// Every event until the session needs more bytes, body chunks merged.
pub fn drain(session: &mut ClientSession) -> Result<Vec<Event>, ClientError> {
    let mut events: Vec<Event> = Vec::new();
    while let Some(event) = session.next_event()? {
        if let (Some(Event::BodyChunk(previous)), Event::BodyChunk(more)) =
            (events.last_mut(), &event)
        {
            previous.extend_from_slice(more);
            continue;
        }
        events.push(event);
    }
    Ok(events)
}
