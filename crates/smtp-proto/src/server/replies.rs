//! Every reply the server side sends, in one place.
//!
//! The session builds all its replies from these functions; the driver uses them too for the
//! replies it chooses (a rejected recipient, the final DATA verdict, a timeout), so that every
//! text and code the gateway puts on the wire can be reviewed here.
//!
//! All `2yz`, `4yz` and `5yz` replies carry an RFC 3463 enhanced status code (the server
//! advertises `ENHANCEDSTATUSCODES`, RFC 2034), except the `220` greeting and the replies to
//! `EHLO` / `HELO`, which RFC 2034 §3 exempts. `3yz` replies (`334`, `354`) carry none.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::reply::Reply;
use crate::sasl::Mechanism;

/// The longest piece of client-supplied text echoed in a reply.
const MAX_ECHO: usize = 64;

/// `220 <hostname> ESMTP scanrelay`: the greeting sent when the connection opens.
pub fn greeting(hostname: &str) -> Reply {
    Reply::new(220, format!("{hostname} ESMTP scanrelay"))
}

/// What the `EHLO` reply advertises besides the fixed keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EhloOffer<'a> {
    /// The `SIZE` limit; `0` advertises a bare `SIZE` (no fixed limit, RFC 1870).
    pub max_message_size: u64,
    /// Whether to list `STARTTLS`.
    pub starttls: bool,
    /// The SASL mechanisms to list after `AUTH` (nothing is listed when empty).
    pub auth: &'a [Mechanism],
}

/// The multi-line `250` reply to `EHLO`: the host name, then `SIZE`, `PIPELINING`, `8BITMIME`,
/// `ENHANCEDSTATUSCODES`, `STARTTLS` if offered, and `AUTH` plus the old `AUTH=` form (which
/// some pre-RFC 2554 clients look for) if any mechanism is offered.
pub fn ehlo(hostname: &str, offer: EhloOffer<'_>) -> Reply {
    let mut lines = vec![hostname.to_string()];
    lines.push(match offer.max_message_size {
        0 => "SIZE".to_string(),
        n => format!("SIZE {n}"),
    });
    lines.extend(["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"].map(String::from));
    if offer.starttls {
        lines.push("STARTTLS".to_string());
    }
    if !offer.auth.is_empty() {
        let names: Vec<&str> = offer.auth.iter().map(|m| m.as_str()).collect();
        lines.push(format!("AUTH {}", names.join(" ")));
        lines.push(format!("AUTH={}", names.join(" ")));
    }
    Reply::multi(250, lines)
}

/// The single-line `250 <hostname>` reply to `HELO`.
pub fn helo(hostname: &str) -> Reply {
    Reply::new(250, hostname.to_string())
}

/// `250 2.0.0 OK` (RSET, NOOP).
pub fn ok() -> Reply {
    Reply::new(250, "2.0.0 OK")
}

/// `250 2.1.0 Sender OK`.
pub fn sender_ok() -> Reply {
    Reply::new(250, "2.1.0 Sender OK")
}

/// `250 2.1.5 Recipient OK`.
pub fn recipient_ok() -> Reply {
    Reply::new(250, "2.1.5 Recipient OK")
}

/// `354 End data with <CR><LF>.<CR><LF>`.
pub fn start_data() -> Reply {
    Reply::new(354, "End data with <CR><LF>.<CR><LF>")
}

/// `250 2.0.0 OK: queued as <id>`: for the driver, after it committed a message.
pub fn queued(id: &str) -> Reply {
    Reply::new(250, format!("2.0.0 OK: queued as {}", sanitize(id)))
}

/// `221 2.0.0 <hostname> closing connection`: the answer to QUIT.
pub fn bye(hostname: &str) -> Reply {
    Reply::new(221, format!("2.0.0 {hostname} closing connection"))
}

/// `252 2.5.2`: the answer to VRFY (RFC 5321 §3.5.3: neither confirm nor deny).
pub fn vrfy() -> Reply {
    Reply::new(
        252,
        "2.5.2 Cannot VRFY user, but will accept message and attempt delivery",
    )
}

/// `502 5.5.1 EXPN not supported`.
pub fn expn() -> Reply {
    Reply::new(502, "5.5.1 EXPN not supported")
}

/// `214 2.0.0`: the answer to HELP.
pub fn help() -> Reply {
    Reply::new(
        214,
        "2.0.0 Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT",
    )
}

/// `220 2.0.0 Ready to start TLS`.
pub fn ready_to_start_tls() -> Reply {
    Reply::new(220, "2.0.0 Ready to start TLS")
}

/// `503 5.5.1 TLS already active`.
pub fn tls_already_active() -> Reply {
    Reply::new(503, "5.5.1 TLS already active")
}

/// `502 5.5.1 STARTTLS not available` (not configured on this listener).
pub fn tls_not_available() -> Reply {
    Reply::new(502, "5.5.1 STARTTLS not available")
}

/// `503 5.5.1 Mail transaction in progress` (STARTTLS between MAIL and the end of DATA).
pub fn transaction_in_progress() -> Reply {
    Reply::new(503, "5.5.1 Mail transaction in progress")
}

/// `334 ` with an empty challenge (AUTH PLAIN without an initial response).
pub fn auth_continue() -> Reply {
    Reply::new(334, "")
}

/// `334 VXNlcm5hbWU6`: base64 `Username:`, the first LOGIN prompt. Some Xerox devices give up
/// on any other text, so it is exactly this.
pub fn login_username() -> Reply {
    Reply::new(334, "VXNlcm5hbWU6")
}

/// `334 UGFzc3dvcmQ6`: base64 `Password:`, the second LOGIN prompt.
pub fn login_password() -> Reply {
    Reply::new(334, "UGFzc3dvcmQ6")
}

/// `334 <base64 challenge>` for CRAM-MD5.
pub fn cram_md5_challenge(challenge: &str) -> Reply {
    Reply::new(334, B64.encode(challenge.as_bytes()))
}

/// `235 2.7.0 Authentication successful`.
pub fn auth_succeeded() -> Reply {
    Reply::new(235, "2.7.0 Authentication successful")
}

/// `535 5.7.8 Authentication credentials invalid`.
pub fn auth_failed() -> Reply {
    Reply::new(535, "5.7.8 Authentication credentials invalid")
}

/// `454 4.7.0 ...`: AUTH from this address is locked for `minutes` after too many failed
/// attempts; the credentials were not checked.
pub fn auth_locked(minutes: u64) -> Reply {
    Reply::new(
        454,
        format!(
            "4.7.0 Too many failed AUTH attempts from this address; AUTH is locked for {minutes} more minute(s), credentials not checked"
        ),
    )
}

/// `501 5.0.0 Authentication cancelled` (the client answered a 334 with `*`).
pub fn auth_cancelled() -> Reply {
    Reply::new(501, "5.0.0 Authentication cancelled")
}

/// `501 5.5.2 Invalid base64 data`.
pub fn auth_bad_base64() -> Reply {
    Reply::new(501, "5.5.2 Invalid base64 data")
}

/// `501 5.5.2 Malformed authentication response` (base64 fine, content not).
pub fn auth_malformed() -> Reply {
    Reply::new(501, "5.5.2 Malformed authentication response")
}

/// `503 5.5.1 Already authenticated`.
pub fn already_authenticated() -> Reply {
    Reply::new(503, "5.5.1 Already authenticated")
}

/// `503 5.5.1 AUTH not permitted during a mail transaction` (RFC 4954 §4).
pub fn auth_in_transaction() -> Reply {
    Reply::new(503, "5.5.1 AUTH not permitted during a mail transaction")
}

/// `503 5.5.1 Authentication not enabled` (no mechanism configured).
pub fn auth_not_enabled() -> Reply {
    Reply::new(503, "5.5.1 Authentication not enabled")
}

/// `538 5.7.11 Encryption required for requested authentication mechanism` (RFC 4954 §6).
pub fn encryption_required() -> Reply {
    Reply::new(
        538,
        "5.7.11 Encryption required for requested authentication mechanism",
    )
}

/// `504 5.5.4 Unrecognized authentication type`.
pub fn unknown_mechanism() -> Reply {
    Reply::new(504, "5.5.4 Unrecognized authentication type")
}

/// `530 5.7.0 Authentication required`: for the driver, to refuse MAIL from a client that must
/// authenticate first.
pub fn auth_required() -> Reply {
    Reply::new(530, "5.7.0 Authentication required")
}

/// `503 5.5.1 Send HELO/EHLO first`.
pub fn need_helo() -> Reply {
    Reply::new(503, "5.5.1 Send HELO/EHLO first")
}

/// `503 5.5.1 Sender already specified` (MAIL inside a transaction).
pub fn nested_mail() -> Reply {
    Reply::new(503, "5.5.1 Sender already specified")
}

/// `503 5.5.1 Need MAIL command first`.
pub fn need_mail() -> Reply {
    Reply::new(503, "5.5.1 Need MAIL command first")
}

/// `503 5.5.1 Need RCPT command first`.
pub fn need_rcpt() -> Reply {
    Reply::new(503, "5.5.1 Need RCPT command first")
}

/// `554 5.5.1 No valid recipients` (DATA after every RCPT was refused, RFC 2920 §3.1).
pub fn no_valid_recipients() -> Reply {
    Reply::new(554, "5.5.1 No valid recipients")
}

/// `452 4.5.3 Too many recipients`.
pub fn too_many_recipients() -> Reply {
    Reply::new(452, "4.5.3 Too many recipients")
}

/// `550 5.7.1 Relay access denied`: for the driver, to refuse a recipient.
pub fn relay_denied() -> Reply {
    Reply::new(550, "5.7.1 Relay access denied")
}

/// `552 5.3.4 Message size exceeds fixed maximum message size` (RFC 1870).
pub fn message_too_large() -> Reply {
    Reply::new(552, "5.3.4 Message size exceeds fixed maximum message size")
}

/// `451 4.3.0 Local error in processing`: for the driver, when committing a message failed.
pub fn local_error() -> Reply {
    Reply::new(451, "4.3.0 Local error in processing")
}

/// `451 4.3.2 ...`: for the driver, when nothing would deliver the message (the gateway's
/// delivery stopped): the client keeps it and tries again later.
pub fn not_accepting() -> Reply {
    Reply::new(
        451,
        "4.3.2 Delivery is stopped on this gateway; not accepting mail now, try again later",
    )
}

/// `452 4.3.1 Insufficient system storage`: for the driver, when the spool is full.
pub fn insufficient_storage() -> Reply {
    Reply::new(452, "4.3.1 Insufficient system storage")
}

/// `500 5.5.2 Command unrecognized`.
pub fn unknown_command() -> Reply {
    Reply::new(500, "5.5.2 Command unrecognized")
}

/// `500 5.5.2 Invalid characters in command` (a command line that is not UTF-8).
pub fn invalid_characters() -> Reply {
    Reply::new(500, "5.5.2 Invalid characters in command")
}

/// `501 5.5.4 Syntax: <usage>`.
pub fn syntax(usage: &str) -> Reply {
    Reply::new(501, format!("5.5.4 Syntax: {usage}"))
}

/// `501 5.1.7 Bad sender address syntax`.
pub fn bad_sender_syntax() -> Reply {
    Reply::new(501, "5.1.7 Bad sender address syntax")
}

/// `501 5.1.3 Bad recipient address syntax`.
pub fn bad_recipient_syntax() -> Reply {
    Reply::new(501, "5.1.3 Bad recipient address syntax")
}

/// `555 5.5.4 Unsupported parameter <NAME>` (RFC 5321 §4.1.1.11).
pub fn unsupported_parameter(name: &str) -> Reply {
    Reply::new(
        555,
        format!("5.5.4 Unsupported parameter {}", sanitize(name)),
    )
}

/// `500 5.5.6 Line too long`.
pub fn line_too_long() -> Reply {
    Reply::new(500, "5.5.6 Line too long")
}

/// `421 4.7.0 <hostname> Too many errors, closing connection`.
pub fn too_many_errors(hostname: &str) -> Reply {
    Reply::new(
        421,
        format!("4.7.0 {hostname} Too many errors, closing connection"),
    )
}

/// `421 4.4.2 <hostname> Timeout exceeded, closing connection`: for the driver's idle timer.
pub fn timeout(hostname: &str) -> Reply {
    Reply::new(
        421,
        format!("4.4.2 {hostname} Timeout exceeded, closing connection"),
    )
}

/// `421 4.3.2 <hostname> Service shutting down`: for the driver on shutdown.
pub fn shutting_down(hostname: &str) -> Reply {
    Reply::new(421, format!("4.3.2 {hostname} Service shutting down"))
}

/// Client-supplied text fit for a reply: printable ASCII only, at most [`MAX_ECHO`] characters.
fn sanitize(text: &str) -> String {
    text.chars()
        .take(MAX_ECHO)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}
