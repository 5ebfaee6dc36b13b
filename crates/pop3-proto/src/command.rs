//! POP3 commands (RFC 1939, RFC 2449 `CAPA`, RFC 2595 `STLS`, RFC 5034 `AUTH`).
//!
//! One type for both sides: the client builds a [`Command`] and writes its `Display` (the wire
//! form, CRLF included; nowhere else in the tree writes POP3 command text), the server parses a
//! received line with [`Command::parse`]. [`Command::redacted`] is the form for transcripts and
//! logs: `PASS` and SASL payloads never appear there.
//!
//! # Parsing rules (server side)
//!
//! Keywords are case-insensitive (RFC 1939 §3); arguments are separated by one or more blanks
//! (RFC 1939 says one space; devices send more). Trailing blanks are ignored, except after
//! `PASS`, whose argument is everything after the first space: RFC 1939 §7 lets a server treat
//! spaces as part of the password, and passwords may end in one. Message numbers are decimal
//! without sign, at most 10 digits, within `u32`; `0` parses (the session answers "no such
//! message"). Control characters (other than a separating tab) and bytes that are not UTF-8 are
//! refused. `APOP` is not supported (see the crate documentation) and parses as an unknown
//! command.

use std::fmt;

use crate::sasl::Mechanism;

/// The longest command line RFC 2449 §4 allows, CRLF included. [`Command::check`] enforces it
/// on everything but SASL responses (RFC 5034 §4 puts no limit on those).
pub const MAX_COMMAND_LINE: usize = 255;

/// The command keywords, for events and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `USER`.
    User,
    /// `PASS`.
    Pass,
    /// `STAT`.
    Stat,
    /// `LIST`.
    List,
    /// `RETR`.
    Retr,
    /// `DELE`.
    Dele,
    /// `NOOP`.
    Noop,
    /// `RSET`.
    Rset,
    /// `QUIT`.
    Quit,
    /// `TOP`.
    Top,
    /// `UIDL`.
    Uidl,
    /// `CAPA`.
    Capa,
    /// `STLS`.
    Stls,
    /// `AUTH` (and the SASL response lines of its exchange).
    Auth,
}

impl Verb {
    /// The keyword as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::User => "USER",
            Verb::Pass => "PASS",
            Verb::Stat => "STAT",
            Verb::List => "LIST",
            Verb::Retr => "RETR",
            Verb::Dele => "DELE",
            Verb::Noop => "NOOP",
            Verb::Rset => "RSET",
            Verb::Quit => "QUIT",
            Verb::Top => "TOP",
            Verb::Uidl => "UIDL",
            Verb::Capa => "CAPA",
            Verb::Stls => "STLS",
            Verb::Auth => "AUTH",
        }
    }

    /// The keyword for `word`, case-insensitively.
    fn from_keyword(word: &str) -> Option<Verb> {
        const ALL: [Verb; 14] = [
            Verb::User,
            Verb::Pass,
            Verb::Stat,
            Verb::List,
            Verb::Retr,
            Verb::Dele,
            Verb::Noop,
            Verb::Rset,
            Verb::Quit,
            Verb::Top,
            Verb::Uidl,
            Verb::Capa,
            Verb::Stls,
            Verb::Auth,
        ];
        ALL.into_iter()
            .find(|verb| verb.as_str().eq_ignore_ascii_case(word))
    }

    /// The usage shown in a syntax error reply.
    pub fn usage(self) -> &'static str {
        match self {
            Verb::User => "USER name",
            Verb::Pass => "PASS password",
            Verb::List => "LIST [msg]",
            Verb::Uidl => "UIDL [msg]",
            Verb::Retr => "RETR msg",
            Verb::Dele => "DELE msg",
            Verb::Top => "TOP msg lines",
            Verb::Auth => "AUTH mechanism [initial-response]",
            Verb::Stat => "STAT",
            Verb::Noop => "NOOP",
            Verb::Rset => "RSET",
            Verb::Quit => "QUIT",
            Verb::Capa => "CAPA",
            Verb::Stls => "STLS",
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A POP3 command. `Debug` shows [`Command::redacted`], never a password.
#[derive(Clone, PartialEq, Eq)]
pub enum Command {
    /// `USER name`.
    User(String),
    /// `PASS password`.
    Pass(String),
    /// `STAT`.
    Stat,
    /// `LIST [msg]`: one scan listing, or all of them (multi-line).
    List(Option<u32>),
    /// `RETR msg` (multi-line).
    Retr(u32),
    /// `DELE msg`.
    Dele(u32),
    /// `NOOP`.
    Noop,
    /// `RSET`.
    Rset,
    /// `QUIT`.
    Quit,
    /// `TOP msg lines` (multi-line): the header and the first `lines` lines of the body.
    Top {
        /// The message number.
        msg: u32,
        /// How many body lines.
        lines: u32,
    },
    /// `UIDL [msg]`: one unique-id listing, or all of them (multi-line).
    Uidl(Option<u32>),
    /// `CAPA` (multi-line).
    Capa,
    /// `STLS`.
    Stls,
    /// `AUTH mechanism [initial-response]`; the response is already base64 (`=` for empty).
    Auth {
        /// The SASL mechanism.
        mechanism: Mechanism,
        /// The base64 initial response, if sent with the command.
        initial: Option<String>,
    },
    /// A base64 line answering a `+ ` challenge (empty, or `*` to cancel). Never produced by
    /// [`Command::parse`]: the server reads these lines only during an `AUTH` exchange.
    AuthResponse(String),
}

/// Why a command line is not a command, or a command cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The keyword is not one this crate knows (`APOP` included).
    #[error("unknown command")]
    Unknown,
    /// Not UTF-8, or a control character.
    #[error("the command line holds bytes that are not printable UTF-8")]
    InvalidBytes,
    /// A known keyword with wrong arguments.
    #[error("syntax error, expected `{}`", .0.usage())]
    Syntax(Verb),
    /// Longer than [`MAX_COMMAND_LINE`] octets with its CRLF.
    #[error("command line longer than {MAX_COMMAND_LINE} octets")]
    TooLong,
}

impl Command {
    /// The keyword.
    pub fn verb(&self) -> Verb {
        match self {
            Command::User(_) => Verb::User,
            Command::Pass(_) => Verb::Pass,
            Command::Stat => Verb::Stat,
            Command::List(_) => Verb::List,
            Command::Retr(_) => Verb::Retr,
            Command::Dele(_) => Verb::Dele,
            Command::Noop => Verb::Noop,
            Command::Rset => Verb::Rset,
            Command::Quit => Verb::Quit,
            Command::Top { .. } => Verb::Top,
            Command::Uidl(_) => Verb::Uidl,
            Command::Capa => Verb::Capa,
            Command::Stls => Verb::Stls,
            Command::Auth { .. } | Command::AuthResponse(_) => Verb::Auth,
        }
    }

    /// Whether a `+OK` to this command is followed by a multi-line body ending in `.`.
    pub fn is_multiline(&self) -> bool {
        matches!(
            self,
            Command::List(None)
                | Command::Uidl(None)
                | Command::Retr(_)
                | Command::Top { .. }
                | Command::Capa
        )
    }

    /// The form shown in transcripts and logs: the wire form without CRLF, except that the
    /// password and SASL payloads are replaced by `<redacted>`.
    pub fn redacted(&self) -> String {
        match self {
            Command::Pass(_) => "PASS <redacted>".to_string(),
            Command::Auth {
                mechanism,
                initial: Some(_),
            } => format!("AUTH {mechanism} <redacted>"),
            Command::AuthResponse(line) if line.is_empty() || line == "*" => line.clone(),
            Command::AuthResponse(_) => "<redacted>".to_string(),
            other => other.to_string().trim_end_matches("\r\n").to_string(),
        }
    }

    /// Whether the wire form carries secret material.
    pub fn is_secret(&self) -> bool {
        matches!(
            self,
            Command::Pass(_)
                | Command::Auth {
                    initial: Some(_),
                    ..
                }
                | Command::AuthResponse(_)
        )
    }

    /// Whether the wire form is a valid command line that parses back to `self`: arguments
    /// printable (no CR, LF or other control characters), a non-empty `USER` name without
    /// surrounding blanks, single-token base64 SASL data, and at most [`MAX_COMMAND_LINE`]
    /// octets (SASL responses excepted). The client session sends nothing that fails this.
    pub fn check(&self) -> Result<(), CommandError> {
        let printable = |s: &str| !s.chars().any(char::is_control);
        let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
        let ok = match self {
            Command::User(name) => {
                printable(name) && !name.is_empty() && name.trim_matches([' ', '\t']) == name
            }
            Command::Pass(password) => printable(password),
            Command::Auth {
                initial: Some(ir), ..
            } => token(ir),
            Command::AuthResponse(line) => line.is_empty() || token(line),
            _ => true,
        };
        if !ok {
            return Err(CommandError::Syntax(self.verb()));
        }
        let too_long =
            !matches!(self, Command::AuthResponse(_)) && self.to_string().len() > MAX_COMMAND_LINE;
        if too_long {
            return Err(CommandError::TooLong);
        }
        Ok(())
    }

    /// Parses one command line as a server receives it, without its line ending. Never returns
    /// [`Command::AuthResponse`]. The length limit is the caller's (the server session drops
    /// over-long lines before they get here).
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        let line = std::str::from_utf8(line).map_err(|_| CommandError::InvalidBytes)?;
        if line.chars().any(|c| c.is_control() && c != '\t') {
            return Err(CommandError::InvalidBytes);
        }
        let (keyword, rest) = match line.find([' ', '\t']) {
            Some(at) => (&line[..at], &line[at + 1..]),
            None => (line, ""),
        };
        let verb = Verb::from_keyword(keyword).ok_or(CommandError::Unknown)?;
        if verb == Verb::Pass {
            // Everything after the first separator is the password, blanks included.
            if line.len() == keyword.len() || line.contains('\t') {
                return Err(CommandError::Syntax(verb));
            }
            return Ok(Command::Pass(rest.to_string()));
        }
        let args: Vec<&str> = rest.split([' ', '\t']).filter(|a| !a.is_empty()).collect();
        parse_args(verb, &args, rest).ok_or(CommandError::Syntax(verb))
    }
}

/// The arguments of every keyword but `PASS`; `rest` is the raw text after the keyword.
fn parse_args(verb: Verb, args: &[&str], rest: &str) -> Option<Command> {
    let optional_number = || match args {
        [] => Some(None),
        [n] => parse_number(n).map(Some),
        _ => None,
    };
    let one_number = || match args {
        [n] => parse_number(n),
        _ => None,
    };
    let none = |command: Command| args.is_empty().then_some(command);
    match verb {
        Verb::User => {
            let name = rest.trim_matches([' ', '\t']);
            (!name.is_empty() && !name.contains('\t')).then(|| Command::User(name.to_string()))
        }
        Verb::Stat => none(Command::Stat),
        Verb::Noop => none(Command::Noop),
        Verb::Rset => none(Command::Rset),
        Verb::Quit => none(Command::Quit),
        Verb::Capa => none(Command::Capa),
        Verb::Stls => none(Command::Stls),
        Verb::List => optional_number().map(Command::List),
        Verb::Uidl => optional_number().map(Command::Uidl),
        Verb::Retr => one_number().map(Command::Retr),
        Verb::Dele => one_number().map(Command::Dele),
        Verb::Top => match args {
            [msg, lines] => Some(Command::Top {
                msg: parse_number(msg)?,
                lines: parse_number(lines)?,
            }),
            _ => None,
        },
        Verb::Auth => parse_auth(args),
        Verb::Pass => None,
    }
}

fn parse_auth(args: &[&str]) -> Option<Command> {
    let (name, initial) = match args {
        [name] => (name, None),
        [name, ir] if ir.bytes().all(|b| b.is_ascii_graphic()) => (name, Some(ir.to_string())),
        _ => return None,
    };
    Some(Command::Auth {
        mechanism: Mechanism::parse(name)?,
        initial,
    })
}

/// A message number or line count: 1 to 10 ASCII digits within `u32`.
fn parse_number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::User(name) => write!(f, "USER {name}")?,
            Command::Pass(password) => write!(f, "PASS {password}")?,
            Command::List(Some(n)) => write!(f, "LIST {n}")?,
            Command::Uidl(Some(n)) => write!(f, "UIDL {n}")?,
            Command::Retr(n) => write!(f, "RETR {n}")?,
            Command::Dele(n) => write!(f, "DELE {n}")?,
            Command::Top { msg, lines } => write!(f, "TOP {msg} {lines}")?,
            Command::Auth {
                mechanism,
                initial: None,
            } => write!(f, "AUTH {mechanism}")?,
            Command::Auth {
                mechanism,
                initial: Some(ir),
            } => write!(f, "AUTH {mechanism} {ir}")?,
            Command::AuthResponse(line) => f.write_str(line)?,
            other => f.write_str(other.verb().as_str())?,
        }
        f.write_str("\r\n")
    }
}

/// Debug never prints secrets.
impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({:?})", self.redacted())
    }
}
