//! Every response the server session sends, in one place. The driver uses
//! [`idle_timeout`] and [`shutting_down`] itself; the session picks the rest.

use crate::capa::Capabilities;
use crate::command::Verb;
use crate::listing::{ListEntry, Stat, UidlEntry};
use crate::response::{RespCode, Response, StatusLine};

fn ok(text: impl Into<String>) -> Response {
    StatusLine::ok(text).into()
}

fn err(text: impl Into<String>) -> Response {
    StatusLine::err(text).into()
}

fn err_with(code: RespCode, text: impl Into<String>) -> Response {
    StatusLine::err_with(code, text).into()
}

/// `+OK <hostname> scanrelay POP3 server ready` (no APOP timestamp: APOP is not offered).
pub fn greeting(hostname: &str) -> Response {
    ok(format!("{hostname} scanrelay POP3 server ready"))
}

/// `+OK Capability list follows` and the list.
pub fn capabilities(caps: &Capabilities) -> Response {
    Response::multi(StatusLine::ok("Capability list follows"), caps.lines())
}

/// `+OK` for NOOP.
pub fn noop() -> Response {
    ok("")
}

/// `+OK` to `USER`.
pub fn user_accepted() -> Response {
    ok("User name accepted, password please")
}

/// `+OK` after a successful login.
pub fn logged_in(stat: Stat) -> Response {
    ok(format!(
        "Logged in, maildrop has {} messages ({} octets)",
        stat.count, stat.size
    ))
}

/// `-ERR [AUTH]`: the credentials were refused.
pub fn auth_failed() -> Response {
    err_with(RespCode::Auth, "Authentication failed")
}

/// `-ERR [AUTH]`: USER/PASS or AUTH before TLS on a listener that does not allow it.
pub fn plaintext_disallowed(stls_offered: bool) -> Response {
    let text = if stls_offered {
        "Plaintext authentication is not allowed before STLS; send STLS first"
    } else {
        "Plaintext authentication is not allowed on this connection; use the POP3S port"
    };
    err_with(RespCode::Auth, text)
}

/// `-ERR [IN-USE]`: the driver found the maildrop locked by another session.
pub fn in_use() -> Response {
    err_with(RespCode::InUse, "Maildrop is in use by another session")
}

/// `-ERR [SYS/TEMP]`: the driver could not open the maildrop.
pub fn temporary_failure() -> Response {
    err_with(RespCode::SysTemp, "Temporary failure, try again later")
}

/// `-ERR`: `PASS` without an accepted `USER`.
pub fn need_user() -> Response {
    err("Send USER first")
}

/// `-ERR`: a command not allowed in the current state.
pub fn wrong_state(verb: Verb, state: &str) -> Response {
    err(format!("{verb} is not allowed in the {state} state"))
}

/// `-ERR`: an unknown keyword (APOP included).
pub fn unknown_command() -> Response {
    err("Unknown command")
}

/// `-ERR Syntax: <usage>`.
pub fn syntax(verb: Verb) -> Response {
    err(format!("Syntax: {}", verb.usage()))
}

/// `-ERR`: bytes that are not printable UTF-8.
pub fn invalid_bytes() -> Response {
    err("Invalid characters in command")
}

/// `-ERR`: a command line (or SASL response) over the limit; it was discarded.
pub fn line_too_long() -> Response {
    err("Line too long")
}

/// `-ERR`: a message number that is not in the maildrop.
pub fn no_such_message(n: u32) -> Response {
    err(format!("No such message {n}"))
}

/// `-ERR`: a message marked as deleted in this session.
pub fn already_deleted(n: u32) -> Response {
    err(format!("Message {n} is already deleted"))
}

/// `+OK count size`.
pub fn stat(stat: Stat) -> Response {
    ok(stat.to_string())
}

/// `+OK n messages (size octets)` and a scan listing per message not deleted.
pub fn list(stat: Stat, entries: &[ListEntry]) -> Response {
    let status = StatusLine::ok(format!("{} messages ({} octets)", stat.count, stat.size));
    Response::multi(status, entries.iter().map(ToString::to_string))
}

/// `+OK n size`.
pub fn list_one(entry: ListEntry) -> Response {
    ok(entry.to_string())
}

/// `+OK` and a unique-id listing per message not deleted.
pub fn uidl(entries: &[UidlEntry]) -> Response {
    let status = StatusLine::ok("Unique-ID listing follows");
    Response::multi(status, entries.iter().map(ToString::to_string))
}

/// `+OK n uid`.
pub fn uidl_one(entry: &UidlEntry) -> Response {
    ok(entry.to_string())
}

/// `+OK size octets` before a `RETR` body.
pub fn retr(size: u64) -> Response {
    ok(format!("{size} octets"))
}

/// `+OK` before a `TOP` body.
pub fn top() -> Response {
    ok("Top of message follows")
}

/// `-ERR [SYS/TEMP]`: the driver could not open the message.
pub fn message_unavailable(n: u32) -> Response {
    err_with(
        RespCode::SysTemp,
        format!("Message {n} cannot be read right now, try again later"),
    )
}

/// `+OK` to `DELE`.
pub fn deleted(n: u32) -> Response {
    ok(format!("Message {n} deleted"))
}

/// `+OK` to `RSET`.
pub fn reset(stat: Stat) -> Response {
    ok(format!(
        "Maildrop has {} messages ({} octets)",
        stat.count, stat.size
    ))
}

/// `+OK` to `STLS`.
pub fn stls_ready() -> Response {
    ok("Begin TLS negotiation now")
}

/// `-ERR`: `STLS` on a listener without a certificate.
pub fn stls_unavailable() -> Response {
    err("STLS is not available")
}

/// `-ERR`: `STLS` on an encrypted connection.
pub fn tls_active() -> Response {
    err("TLS is already active")
}

/// `+ ` (empty challenge): send the PLAIN response.
pub fn auth_continue() -> Response {
    Response::Continuation(String::new())
}

/// `-ERR`: a mechanism other than PLAIN, or PLAIN when it is not enabled.
pub fn unknown_mechanism() -> Response {
    err("Unsupported authentication mechanism")
}

/// `-ERR`: the client sent `*`.
pub fn auth_cancelled() -> Response {
    err("Authentication cancelled")
}

/// `-ERR`: the SASL response is not base64 or not a PLAIN message.
pub fn auth_malformed() -> Response {
    err("Malformed authentication data")
}

/// `+OK` to `QUIT` with nothing to delete.
pub fn bye(hostname: &str) -> Response {
    ok(format!("{hostname} POP3 server signing off"))
}

/// `+OK` to `QUIT` after the driver deleted `count` messages.
pub fn bye_deleted(hostname: &str, count: usize) -> Response {
    ok(format!(
        "{hostname} POP3 server signing off ({count} messages deleted)"
    ))
}

/// `-ERR [SYS/TEMP]` to `QUIT` when the driver could not delete every marked message.
pub fn update_failed() -> Response {
    err_with(
        RespCode::SysTemp,
        "Some deleted messages were not removed, try again later",
    )
}

/// `-ERR` before closing after too many errors.
pub fn too_many_errors() -> Response {
    err("Too many errors, closing connection")
}

/// `-ERR [SYS/TEMP]` before closing after the command limit.
pub fn too_many_commands() -> Response {
    err_with(
        RespCode::SysTemp,
        "Command limit reached, closing connection",
    )
}

/// `-ERR [SYS/TEMP]`: for the driver, when the client was idle too long (RFC 1939 §3's
/// autologout timer); then close without UPDATE.
pub fn idle_timeout() -> Response {
    err_with(RespCode::SysTemp, "Idle for too long, closing connection")
}

/// `-ERR [SYS/TEMP]`: for the driver, when the gateway shuts down; then close without UPDATE.
pub fn shutting_down() -> Response {
    err_with(RespCode::SysTemp, "Server shutting down, try again later")
}

/// `-ERR [AUTH]`: for the driver, when the client's address is locked out after too many
/// failed logins; then close.
pub fn locked_out() -> Response {
    err_with(
        RespCode::Auth,
        "Too many failed logins from your address, try again later",
    )
}

/// `-ERR [SYS/TEMP]`: for the driver, instead of the greeting when the connection limit is
/// reached; then close.
pub fn too_many_connections() -> Response {
    err_with(RespCode::SysTemp, "Too many connections, try again later")
}

/// `-ERR [SYS/TEMP]`: for the driver, when the session reached its time limit; then close
/// without UPDATE.
pub fn session_too_long() -> Response {
    err_with(
        RespCode::SysTemp,
        "Session time limit reached, closing connection",
    )
}
