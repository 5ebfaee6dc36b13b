//! Client command lines parsed into [`ServerCommand`].
//!
//! Lenient where office devices deviate harmlessly: verbs in any case, extra blanks between
//! tokens, `MAIL FROM: <a@b>`, `MAIL FROM:a@b` without brackets, `HELO` without a domain,
//! trailing blanks, source routes (`<@relay:user@host>`, RFC 5321 §4.1.2). Strict where it
//! matters: addresses and `HELO`/`EHLO` domains with control characters, unbalanced brackets,
//! malformed ESMTP parameters and parameters the server did not advertise are refused.

use std::fmt;

use crate::reply::Reply;
use crate::sasl::Mechanism;

use super::replies;

/// The longest address accepted: 64 (local part) + 1 + 255 (domain), RFC 5321 §4.5.3.1.
pub const MAX_ADDRESS_LEN: usize = 320;

/// The domain recorded for `HELO` / `EHLO` without an argument.
pub const UNKNOWN_DOMAIN: &str = "unknown";

const USAGE_MAIL: &str = "MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME]";
const USAGE_RCPT: &str = "RCPT TO:<address>";
const USAGE_AUTH: &str = "AUTH mechanism [initial-response]";
const USAGE_EHLO: &str = "EHLO domain";
const USAGE_HELO: &str = "HELO domain";

/// A command from the client, parsed from one line (without its line ending).
#[derive(Clone, PartialEq, Eq)]
pub enum ServerCommand {
    /// `EHLO domain`; the domain is [`UNKNOWN_DOMAIN`] when missing.
    Ehlo(String),
    /// `HELO domain`; the domain is [`UNKNOWN_DOMAIN`] when missing.
    Helo(String),
    /// `STARTTLS`.
    StartTls,
    /// `AUTH mechanism [initial-response]`.
    Auth {
        /// The mechanism named (any that [`Mechanism`] knows; the session checks it is offered).
        mechanism: Mechanism,
        /// The initial response, still base64 (`=` for empty). Never shown by `Debug`.
        initial: Option<String>,
    },
    /// `MAIL FROM:<address> params`.
    Mail {
        /// The reverse path without brackets or source route; empty for the null sender `<>`.
        address: String,
        /// The ESMTP parameters as sent (`SIZE=123`, `BODY=8BITMIME`, `AUTH=<>`).
        params: Vec<String>,
        /// The value of the `SIZE` parameter, if given.
        size: Option<u64>,
    },
    /// `RCPT TO:<address>` (no parameters are supported).
    Rcpt {
        /// The forward path without brackets or source route; never empty.
        address: String,
    },
    /// `DATA`.
    Data,
    /// `RSET` (arguments ignored).
    Rset,
    /// `NOOP` (arguments ignored).
    Noop,
    /// `QUIT` (arguments ignored).
    Quit,
    /// `VRFY string`.
    Vrfy(String),
    /// `EXPN string`.
    Expn(String),
    /// `HELP [topic]` (the topic is ignored).
    Help,
}

/// `Debug` never shows an AUTH initial response (it carries the password for PLAIN).
impl fmt::Debug for ServerCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerCommand::Ehlo(d) => f.debug_tuple("Ehlo").field(d).finish(),
            ServerCommand::Helo(d) => f.debug_tuple("Helo").field(d).finish(),
            ServerCommand::StartTls => f.write_str("StartTls"),
            ServerCommand::Auth { mechanism, initial } => f
                .debug_struct("Auth")
                .field("mechanism", mechanism)
                .field("initial", &initial.as_ref().map(|_| "<redacted>"))
                .finish(),
            ServerCommand::Mail {
                address,
                params,
                size,
            } => f
                .debug_struct("Mail")
                .field("address", address)
                .field("params", params)
                .field("size", size)
                .finish(),
            ServerCommand::Rcpt { address } => {
                f.debug_struct("Rcpt").field("address", address).finish()
            }
            ServerCommand::Data => f.write_str("Data"),
            ServerCommand::Rset => f.write_str("Rset"),
            ServerCommand::Noop => f.write_str("Noop"),
            ServerCommand::Quit => f.write_str("Quit"),
            ServerCommand::Vrfy(s) => f.debug_tuple("Vrfy").field(s).finish(),
            ServerCommand::Expn(s) => f.debug_tuple("Expn").field(s).finish(),
            ServerCommand::Help => f.write_str("Help"),
        }
    }
}

/// Why a command line was refused; [`CommandError::reply`] is what the client gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Unknown verb: `500 5.5.2`.
    #[error("command unrecognized")]
    Unrecognized,
    /// The line is not UTF-8: `500 5.5.2`.
    #[error("command line is not valid UTF-8")]
    InvalidBytes,
    /// Known verb, wrong arguments: `501 5.5.4 Syntax: <usage>`.
    #[error("syntax error, expected `{usage}`")]
    Syntax {
        /// The expected form, shown to the client.
        usage: &'static str,
    },
    /// The MAIL address is malformed: `501 5.1.7`.
    #[error("bad sender address syntax")]
    BadSender,
    /// The RCPT address is malformed or empty: `501 5.1.3`.
    #[error("bad recipient address syntax")]
    BadRecipient,
    /// A well-formed ESMTP parameter the server does not support: `555 5.5.4`.
    #[error("unsupported parameter `{0}`")]
    UnsupportedParameter(String),
    /// AUTH names a mechanism this crate does not know: `504 5.5.4`.
    #[error("unrecognized authentication type")]
    UnknownMechanism,
}

impl CommandError {
    /// The reply for the client.
    pub fn reply(&self) -> Reply {
        match self {
            CommandError::Unrecognized => replies::unknown_command(),
            CommandError::InvalidBytes => replies::invalid_characters(),
            CommandError::Syntax { usage } => replies::syntax(usage),
            CommandError::BadSender => replies::bad_sender_syntax(),
            CommandError::BadRecipient => replies::bad_recipient_syntax(),
            CommandError::UnsupportedParameter(name) => replies::unsupported_parameter(name),
            CommandError::UnknownMechanism => replies::unknown_mechanism(),
        }
    }
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

impl ServerCommand {
    /// Parses one command line, given without its CRLF / LF.
    pub fn parse(line: &[u8]) -> Result<ServerCommand, CommandError> {
        let line = std::str::from_utf8(line).map_err(|_| CommandError::InvalidBytes)?;
        let line = line.trim_matches(is_blank);
        let (verb, args) = match line.find(is_blank) {
            Some(i) => (&line[..i], line[i..].trim_start_matches(is_blank)),
            None => (line, ""),
        };
        let verb = verb.to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => domain_arg(args, USAGE_EHLO).map(ServerCommand::Ehlo),
            "HELO" => domain_arg(args, USAGE_HELO).map(ServerCommand::Helo),
            "STARTTLS" => no_args(args, ServerCommand::StartTls, "STARTTLS"),
            "AUTH" => parse_auth(args),
            "MAIL" => parse_mail(args),
            "RCPT" => parse_rcpt(args),
            "DATA" => no_args(args, ServerCommand::Data, "DATA"),
            "RSET" => Ok(ServerCommand::Rset),
            "NOOP" => Ok(ServerCommand::Noop),
            "QUIT" => Ok(ServerCommand::Quit),
            "VRFY" => required_arg(args, "VRFY <address>").map(ServerCommand::Vrfy),
            "EXPN" => required_arg(args, "EXPN <list>").map(ServerCommand::Expn),
            "HELP" => Ok(ServerCommand::Help),
            _ => Err(CommandError::Unrecognized),
        }
    }
}

/// The first word of a `HELO`/`EHLO` argument, or [`UNKNOWN_DOMAIN`] when there is none. Any
/// character that is not printable (control characters such as a bare CR, line and paragraph
/// separators, bidirectional overrides) anywhere in the argument is refused: the domain goes
/// into the envelope, the `Received:` field and `scanrelay queue show`. Odd but printable
/// names (`_`, non-ASCII, an address literal) are accepted.
fn domain_arg(args: &str, usage: &'static str) -> Result<String, CommandError> {
    if !args.chars().all(|c| is_blank(c) || printable(c)) {
        return Err(CommandError::Syntax { usage });
    }
    Ok(match args.split(is_blank).next() {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => UNKNOWN_DOMAIN.to_string(),
    })
}

/// Whether `c` shows as itself on a terminal: not a control character and not one of the
/// invisible characters that move or reorder text.
fn printable(c: char) -> bool {
    !c.is_control()
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn no_args(
    args: &str,
    cmd: ServerCommand,
    usage: &'static str,
) -> Result<ServerCommand, CommandError> {
    if args.is_empty() {
        Ok(cmd)
    } else {
        Err(CommandError::Syntax { usage })
    }
}

fn required_arg(args: &str, usage: &'static str) -> Result<String, CommandError> {
    if args.is_empty() {
        Err(CommandError::Syntax { usage })
    } else {
        Ok(args.to_string())
    }
}

fn parse_auth(args: &str) -> Result<ServerCommand, CommandError> {
    let mut words = args.split(is_blank).filter(|w| !w.is_empty());
    let syntax = CommandError::Syntax { usage: USAGE_AUTH };
    let name = words.next().ok_or(syntax.clone())?;
    let initial = words.next().map(str::to_string);
    if words.next().is_some() {
        return Err(syntax);
    }
    let mechanism = name
        .parse::<Mechanism>()
        .map_err(|_| CommandError::UnknownMechanism)?;
    Ok(ServerCommand::Auth { mechanism, initial })
}

/// Strips `prefix` (ASCII, case-insensitive) from the start of `s`.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn parse_mail(args: &str) -> Result<ServerCommand, CommandError> {
    let syntax = CommandError::Syntax { usage: USAGE_MAIL };
    let rest = strip_prefix_ci(args, "FROM:").ok_or(syntax.clone())?;
    let (address, rest) = match parse_path(rest) {
        Ok(parsed) => parsed,
        Err(PathError::Missing) => return Err(syntax),
        Err(PathError::Malformed) => return Err(CommandError::BadSender),
    };
    let params = split_params(rest, USAGE_MAIL)?;
    let mut size = None;
    for param in &params {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        match key.to_ascii_uppercase().as_str() {
            "SIZE" => size = Some(parse_size(value).ok_or(syntax.clone())?),
            "BODY" => {
                if !["7BIT", "8BITMIME"]
                    .iter()
                    .any(|b| b.eq_ignore_ascii_case(value))
                {
                    return Err(CommandError::Syntax {
                        usage: "BODY=7BIT|8BITMIME",
                    });
                }
            }
            "AUTH" => {}
            _ => return Err(CommandError::UnsupportedParameter(key.to_ascii_uppercase())),
        }
    }
    Ok(ServerCommand::Mail {
        address,
        params,
        size,
    })
}

fn parse_size(value: &str) -> Option<u64> {
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn parse_rcpt(args: &str) -> Result<ServerCommand, CommandError> {
    let syntax = CommandError::Syntax { usage: USAGE_RCPT };
    let rest = strip_prefix_ci(args, "TO:").ok_or(syntax.clone())?;
    let (address, rest) = match parse_path(rest) {
        Ok((address, _)) if address.is_empty() => return Err(CommandError::BadRecipient),
        Ok(parsed) => parsed,
        Err(PathError::Missing) => return Err(syntax),
        Err(PathError::Malformed) => return Err(CommandError::BadRecipient),
    };
    let params = split_params(rest, USAGE_RCPT)?;
    if let Some(param) = params.first() {
        let key = param.split_once('=').map_or(param.as_str(), |(k, _)| k);
        return Err(CommandError::UnsupportedParameter(key.to_ascii_uppercase()));
    }
    Ok(ServerCommand::Rcpt { address })
}

/// Splits ESMTP parameters (`KEY` or `KEY=VALUE`, RFC 5321 §4.1.2) and checks their form.
fn split_params(rest: &str, usage: &'static str) -> Result<Vec<String>, CommandError> {
    let mut params = Vec::new();
    for word in rest.split(is_blank).filter(|w| !w.is_empty()) {
        let (key, value) = match word.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (word, None),
        };
        let key_ok = key.len() <= 32
            && key.starts_with(|c: char| c.is_ascii_alphanumeric())
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let value_ok = value
            .is_none_or(|v| !v.is_empty() && !v.contains('=') && !v.contains(char::is_control));
        if !key_ok || !value_ok {
            return Err(CommandError::Syntax { usage });
        }
        params.push(word.to_string());
    }
    Ok(params)
}

#[derive(Debug, PartialEq, Eq)]
enum PathError {
    /// Nothing after `FROM:` / `TO:`.
    Missing,
    /// Something there, but not an address.
    Malformed,
}

/// Parses `<address>` or a bare `address` at the start of `rest`; returns the address (without
/// brackets and source route) and the text after it.
fn parse_path(rest: &str) -> Result<(String, &str), PathError> {
    let rest = rest.trim_start_matches(is_blank);
    if rest.is_empty() {
        return Err(PathError::Missing);
    }
    let (raw, after) = match rest.strip_prefix('<') {
        Some(inner) => {
            let end = closing_bracket(inner).ok_or(PathError::Malformed)?;
            (&inner[..end], &inner[end + 1..])
        }
        None => {
            let end = rest.find(is_blank).unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        }
    };
    let address = strip_source_route(raw).ok_or(PathError::Malformed)?;
    if !valid_address(address) {
        return Err(PathError::Malformed);
    }
    Ok((address.to_string(), after))
}

/// The index of the `>` closing a path, skipping quoted strings (`<"a>b"@c>`).
fn closing_bracket(inner: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// `@a,@b:user@host` -> `user@host`; anything else unchanged.
fn strip_source_route(raw: &str) -> Option<&str> {
    if raw.starts_with('@') {
        raw.split_once(':').map(|(_, mailbox)| mailbox)
    } else {
        Some(raw)
    }
}

/// No control characters, no blanks or angle brackets outside a quoted local part, not too long.
fn valid_address(address: &str) -> bool {
    if address.len() > MAX_ADDRESS_LEN {
        return false;
    }
    let mut quoted = false;
    let mut escaped = false;
    for c in address.chars() {
        if c.is_control() {
            return false;
        }
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ' ' | '<' | '>' if !quoted => return false,
            _ => {}
        }
    }
    !quoted
}
