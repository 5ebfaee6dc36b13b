//! The `CAPA` answer (RFC 2449 §6, RFC 2595 §4 `STLS`, RFC 5034 §3 `SASL`), typed.
//!
//! [`Capabilities::parse`] reads the lines of a `CAPA` body: names are case-insensitive, a
//! capability listed twice is merged (two `SASL` lines add up), a known capability with a
//! malformed argument (`EXPIRE soon`) is kept in [`Capabilities::other`] rather than guessed at,
//! and unknown ones (`X-GOOGLE-RICO`) are kept there verbatim. [`Capabilities::lines`] is the
//! server's side: the body lines in a fixed order.

use std::fmt;

/// When the server deletes retrieved messages on its own (RFC 2449 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpirePolicy {
    /// `EXPIRE NEVER`: only `DELE` removes a message.
    Never,
    /// `EXPIRE n`: retrieved messages may be deleted after `n` days; `0` means at the end of the
    /// session that retrieved them, even without `DELE` (Gmail's `EXPIRE 0`).
    Days(u32),
}

/// The `EXPIRE` capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expire {
    /// The policy.
    pub policy: ExpirePolicy,
    /// `USER`: before login this is the minimum; the value after login is the user's.
    pub per_user: bool,
}

/// The `LOGIN-DELAY` capability (RFC 2449 §6.5): the minimum seconds between logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginDelay {
    /// The delay in seconds.
    pub seconds: u32,
    /// `USER`: the value may differ per user.
    pub per_user: bool,
}

/// What a `CAPA` response says the server can do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `USER`: `USER`/`PASS` login is available (now).
    pub user: bool,
    /// `TOP`.
    pub top: bool,
    /// `UIDL`.
    pub uidl: bool,
    /// `STLS` (RFC 2595).
    pub stls: bool,
    /// `PIPELINING`: commands may be sent without waiting for each answer.
    pub pipelining: bool,
    /// `RESP-CODES`: `-ERR` lines may carry extended response codes.
    pub resp_codes: bool,
    /// `AUTH-RESP-CODE` (RFC 3206): the `[AUTH]` code is used.
    pub auth_resp_code: bool,
    /// `SASL mech...` (RFC 5034): the mechanism names, upper case, in the order listed.
    pub sasl: Vec<String>,
    /// `EXPIRE`.
    pub expire: Option<Expire>,
    /// `LOGIN-DELAY`.
    pub login_delay: Option<LoginDelay>,
    /// `IMPLEMENTATION text`.
    pub implementation: Option<String>,
    /// Every other line, as sent (`X-GOOGLE-RICO`, `CAPA`, a malformed `EXPIRE`).
    pub other: Vec<String>,
}

impl Capabilities {
    /// Reads the lines of a `CAPA` body (without the status line and the final `.`).
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Capabilities {
        let mut caps = Capabilities::default();
        for line in lines {
            let line = line.trim_matches([' ', '\t']);
            if !line.is_empty() && !caps.apply(line) {
                caps.other.push(line.to_string());
            }
        }
        caps
    }

    /// Whether `mechanism` is in the `SASL` list (case-insensitive).
    pub fn has_sasl(&self, mechanism: &str) -> bool {
        self.sasl.iter().any(|m| m.eq_ignore_ascii_case(mechanism))
    }

    /// Records one line; `false` if it is not a (well-formed) known capability.
    fn apply(&mut self, line: &str) -> bool {
        let (name, arg) = match line.find([' ', '\t']) {
            Some(at) => (&line[..at], line[at..].trim_start_matches([' ', '\t'])),
            None => (line, ""),
        };
        let flag = match name.to_ascii_uppercase().as_str() {
            "USER" => &mut self.user,
            "TOP" => &mut self.top,
            "UIDL" => &mut self.uidl,
            "STLS" => &mut self.stls,
            "PIPELINING" => &mut self.pipelining,
            "RESP-CODES" => &mut self.resp_codes,
            "AUTH-RESP-CODE" => &mut self.auth_resp_code,
            "SASL" => return self.apply_sasl(arg),
            "EXPIRE" => return parse_expire(arg).map(|e| self.expire = Some(e)).is_some(),
            "LOGIN-DELAY" => {
                return parse_login_delay(arg)
                    .map(|d| self.login_delay = Some(d))
                    .is_some();
            }
            "IMPLEMENTATION" if !arg.is_empty() => {
                self.implementation = Some(arg.to_string());
                return true;
            }
            _ => return false,
        };
        if !arg.is_empty() {
            return false;
        }
        *flag = true;
        true
    }

    fn apply_sasl(&mut self, arg: &str) -> bool {
        let names: Vec<String> = arg
            .split([' ', '\t'])
            .filter(|m| !m.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        if names.is_empty() {
            return false;
        }
        for name in names {
            if !self.sasl.contains(&name) {
                self.sasl.push(name);
            }
        }
        true
    }

    /// The body lines of a `CAPA` response, in a fixed order, unknown lines last.
    pub fn lines(&self) -> Vec<String> {
        let flags = [
            (self.user, "USER"),
            (self.top, "TOP"),
            (self.uidl, "UIDL"),
            (self.stls, "STLS"),
            (self.pipelining, "PIPELINING"),
            (self.resp_codes, "RESP-CODES"),
            (self.auth_resp_code, "AUTH-RESP-CODE"),
        ];
        let mut lines: Vec<String> = flags
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| name.to_string())
            .collect();
        if !self.sasl.is_empty() {
            lines.push(format!("SASL {}", self.sasl.join(" ")));
        }
        if let Some(expire) = &self.expire {
            lines.push(format!("EXPIRE {expire}"));
        }
        if let Some(delay) = &self.login_delay {
            lines.push(format!("LOGIN-DELAY {delay}"));
        }
        if let Some(implementation) = &self.implementation {
            lines.push(format!("IMPLEMENTATION {implementation}"));
        }
        lines.extend(self.other.iter().cloned());
        lines
    }
}

fn parse_expire(arg: &str) -> Option<Expire> {
    let (value, per_user) = value_and_user(arg)?;
    let policy = if value.eq_ignore_ascii_case("NEVER") {
        ExpirePolicy::Never
    } else {
        ExpirePolicy::Days(parse_u32(value)?)
    };
    Some(Expire { policy, per_user })
}

fn parse_login_delay(arg: &str) -> Option<LoginDelay> {
    let (value, per_user) = value_and_user(arg)?;
    Some(LoginDelay {
        seconds: parse_u32(value)?,
        per_user,
    })
}

/// `value` or `value USER`.
fn value_and_user(arg: &str) -> Option<(&str, bool)> {
    let words: Vec<&str> = arg.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
    match words.as_slice() {
        [value] => Some((value, false)),
        [value, user] if user.eq_ignore_ascii_case("USER") => Some((value, true)),
        _ => None,
    }
}

fn parse_u32(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl fmt::Display for Expire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.policy {
            ExpirePolicy::Never => f.write_str("NEVER")?,
            ExpirePolicy::Days(days) => write!(f, "{days}")?,
        }
        if self.per_user {
            f.write_str(" USER")?;
        }
        Ok(())
    }
}

impl fmt::Display for LoginDelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.seconds)?;
        if self.per_user {
            f.write_str(" USER")?;
        }
        Ok(())
    }
}
