//! Reading an OAuth2 sign-in error or a Microsoft Graph error out of pasted text, the way
//! [`crate::parse_pasted`] reads SMTP replies: token-endpoint JSON bodies
//! (`{"error":"invalid_grant","error_description":"AADSTS700082: ..."}`), Python dict
//! reprs, JSON escaped inside a log line, a bare `AADSTS7000215: ...` line, redirect URLs
//! (`?error=access_denied&error_description=...`), Graph bodies
//! (`{"error":{"code":"ErrorAccessDenied","message":"..."}}`, inner error codes included),
//! the Graph SDKs' `Code: ... Message: ...` and `ODataError: <message>` forms, MSAL
//! exceptions, and an HTTP status given as `HTTP/1.1 403 Forbidden`, `Status: 429`,
//! `status code 403`, `(403) Forbidden` or `403 Client Error`.

use serde::Serialize;

use crate::{
    Cause, aadsts_codes, graph_error_cause, graph_errors, oauth_error_cause_with_codes,
    oauth_errors,
};

/// The service an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// An OAuth2 authorization server: the token endpoint, the device-code poll or the
    /// browser sign-in (Microsoft Entra ID, Google).
    OAuth,
    /// Microsoft Graph.
    Graph,
}

/// An OAuth2 or Graph error found in pasted text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceError {
    /// Where it came from.
    pub service: Service,
    /// The HTTP status, when the text gives it.
    pub status: Option<u16>,
    /// The error code: OAuth2's `error` (`invalid_grant`) or Graph's `error.code`
    /// (`ErrorAccessDenied`); `None` when the text has only a message or an AADSTS number.
    pub code: Option<String>,
    /// OAuth2's `error_description` or Graph's `error.message` (with the inner error
    /// codes appended in brackets), when there is one.
    pub message: Option<String>,
    /// Microsoft's AADSTS numbers, from `error_codes` and from the text.
    pub aadsts: Vec<u32>,
}

impl ServiceError {
    /// The diagnosis: [`graph_error_cause`] or [`oauth_error_cause_with_codes`]; an OAuth2
    /// error that names no code but a 5xx status is `oauth.temporarily_unavailable`.
    pub fn cause(&self) -> Cause {
        match self.service {
            Service::Graph => graph_error_cause(
                self.status.unwrap_or(0),
                self.code.as_deref(),
                self.message.as_deref(),
            ),
            Service::OAuth => {
                let silent = self.code.is_none() && self.aadsts.is_empty();
                if silent && self.status.is_some_and(|s| s >= 500) {
                    return Cause::OauthTemporarilyUnavailable;
                }
                let code = self.code.as_deref().unwrap_or("");
                oauth_error_cause_with_codes(code, self.message.as_deref(), &self.aadsts)
            }
        }
    }
}

/// Finds an OAuth2 sign-in error or a Microsoft Graph error in pasted text; `None` when the
/// text has neither (an SMTP reply, say).
///
/// ```
/// use scanrelay_diagnose::{Cause, Service, parse_service_error};
///
/// let e = parse_service_error(
///     r#"HTTP/1.1 403 Forbidden {"error":{"code":"ErrorAccessDenied","message":"Access is denied. Check credentials and try again."}}"#,
/// ).unwrap();
/// assert_eq!((e.service, e.status), (Service::Graph, Some(403)));
/// assert_eq!(e.cause(), Cause::GraphAccessDenied);
///
/// let e = parse_service_error("AADSTS7000215: Invalid client secret provided.").unwrap();
/// assert_eq!((e.service, e.cause()), (Service::OAuth, Cause::OauthClientSecretWrong));
/// assert!(parse_service_error("535 5.7.8 Username and Password not accepted").is_none());
/// ```
pub fn parse_service_error(input: &str) -> Option<ServiceError> {
    let text = if input.contains("\\\"") {
        unescape(input)
    } else {
        input.to_owned()
    };
    let status = find_status(&text);
    let found = graph_body(&text)
        .or_else(|| oauth_body(&text))
        .or_else(|| oauth_redirect(&text))
        .or_else(|| aadsts_line(&text))
        .or_else(|| graph_words(&text))
        .or_else(|| oauth_words(&text))?;
    Some(ServiceError { status, ..found })
}

fn error(service: Service, code: Option<String>, message: Option<String>) -> ServiceError {
    ServiceError {
        service,
        status: None,
        code,
        message,
        aadsts: Vec::new(),
    }
}

/// JSON escaped inside a log line or a string literal (`{\"error\":...}`), back to plain
/// JSON.
fn unescape(input: &str) -> String {
    input
        .replace("\\\\\"", "\"")
        .replace("\\\"", "\"")
        .replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .replace("\\/", "/")
        .replace("\\u0027", "'")
}

/// Where the value of `"key":` (or `'key':`) starts, searching from `from`; the value is
/// whatever follows the colon and blanks.
fn value_at(text: &str, key: &str, from: usize) -> Option<usize> {
    let keys = [format!("\"{key}\""), format!("'{key}'")];
    let mut search = from;
    loop {
        let rest = text.get(search..)?;
        let at = keys.iter().filter_map(|k| rest.find(k.as_str())).min()?;
        let after = search + at + key.len() + 2;
        if let Some(value) = text[after..].trim_start().strip_prefix(':') {
            return Some(text.len() - value.trim_start().len());
        }
        search = after;
    }
}

/// The string value of `key` after `from`: `"key": "value"` (double or single quotes).
fn string_field(text: &str, key: &str, from: usize) -> Option<(String, usize)> {
    let start = value_at(text, key, from)?;
    let quote = text[start..]
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'')?;
    let body = &text[start + 1..];
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == quote && !escaped => return Some((out, start + 1 + i)),
            c => {
                escaped = false;
                out.push(c);
            }
        }
    }
    // A truncated paste: the value runs to the end of its line.
    Some((out.lines().next().unwrap_or("").to_owned(), text.len()))
}

/// Graph's `{"error": {"code": ..., "message": ..., "innerError": {"code": ...}}}`.
fn graph_body(text: &str) -> Option<ServiceError> {
    let open = value_at(text, "error", 0).filter(|&at| text[at..].starts_with('{'))?;
    let (code, after) = string_field(text, "code", open)?;
    let message = string_field(text, "message", open).map(|(m, _)| m);
    let mut inner = Vec::new();
    let mut from = after;
    while let Some((c, end)) = string_field(text, "code", from) {
        if !c.is_empty() && c != code && !inner.contains(&c) {
            inner.push(c);
        }
        from = end;
    }
    let message = match (message, inner.is_empty()) {
        (m, true) => m,
        (m, false) => Some(format!("{} [{}]", m.unwrap_or_default(), inner.join(", "))),
    };
    Some(error(Service::Graph, Some(code), message))
}

/// A token-endpoint body: `{"error": "invalid_grant", "error_description": "...",
/// "error_codes": [700082]}`.
fn oauth_body(text: &str) -> Option<ServiceError> {
    let (code, _) = string_field(text, "error", 0)?;
    let description = string_field(text, "error_description", 0).map(|(d, _)| d);
    // Other tools log {"error": "<any message>"}: only an OAuth2 error code counts.
    let known = oauth_errors::known_error_codes().any(|k| k.eq_ignore_ascii_case(&code));
    let snake = code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let looks_oauth = known || (snake && description.is_some());
    if !looks_oauth {
        return None;
    }
    let mut aadsts = number_list(text, "error_codes");
    for n in aadsts_codes(text) {
        if !aadsts.contains(&n) {
            aadsts.push(n);
        }
    }
    Some(ServiceError {
        aadsts,
        ..error(Service::OAuth, Some(code), description)
    })
}

/// `"key": [1, 2]` as numbers.
fn number_list(text: &str, key: &str) -> Vec<u32> {
    let Some(start) = value_at(text, key, 0) else {
        return Vec::new();
    };
    let Some(list) = text[start..].strip_prefix('[') else {
        return Vec::new();
    };
    let list = &list[..list.find(']').unwrap_or(list.len())];
    list.split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// A redirect the browser sign-in came back with: `...?error=access_denied&error_description=...`.
fn oauth_redirect(text: &str) -> Option<ServiceError> {
    let value = |key: &str| {
        text.match_indices(&format!("{key}="))
            .find(|(at, _)| {
                text[..*at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| matches!(c, '?' | '&' | '#') || c.is_whitespace())
            })
            .map(|(at, m)| {
                let raw = &text[at + m.len()..];
                let end = raw
                    .find(|c: char| c == '&' || c.is_whitespace())
                    .unwrap_or(raw.len());
                percent_decode(&raw[..end])
            })
    };
    let code = value("error")?;
    let known = oauth_errors::known_error_codes().any(|k| k.eq_ignore_ascii_case(&code));
    if !known {
        return None;
    }
    let description = value("error_description");
    let aadsts = description.as_deref().map(aadsts_codes).unwrap_or_default();
    Some(ServiceError {
        aadsts,
        ..error(Service::OAuth, Some(code), description)
    })
}

/// `+` and `%xx` of a URL query value.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A line with an AADSTS number (an MSAL exception, a log line); the OAuth2 `error` code
/// is taken from the text when it names one.
fn aadsts_line(text: &str) -> Option<ServiceError> {
    let aadsts = aadsts_codes(text);
    let first = *aadsts.first()?;
    let upper = text.to_ascii_uppercase();
    let at = upper.find(&format!("AADSTS{first}")).unwrap_or(0);
    let line: String = text[at..]
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .take(300)
        .collect();
    let code = oauth_word(text).or_else(|| msal_code(text));
    Some(ServiceError {
        aadsts,
        ..error(Service::OAuth, code, Some(line))
    })
}

/// What MSAL's exception class says when the text has no `error` code.
fn msal_code(text: &str) -> Option<String> {
    text.contains("MsalUiRequiredException")
        .then(|| "interaction_required".to_owned())
}

/// Graph error codes or Graph's own message words without a JSON body: the SDKs'
/// `Code: ErrorAccessDenied` / `Message: ...` lines, `ODataError: <message>`, or a 4xx/5xx
/// for a graph.microsoft.com URL.
fn graph_words(text: &str) -> Option<ServiceError> {
    let code = graph_errors::known_codes()
        .filter(|c| *c != "accessdenied")
        .find_map(|c| word_in(text, c));
    let message = labelled(text, "message:").or_else(|| labelled(text, "odataerror:"));
    let graph_url =
        text.to_lowercase().contains("graph.microsoft.com") && find_status(text).is_some();
    if code.is_some() || graph_errors::is_graph_message(text) || graph_url {
        let message = message.or_else(|| {
            line_with(text, |l| {
                graph_errors::is_graph_message(l) || code.as_ref().is_some_and(|c| l.contains(c))
            })
        });
        return Some(error(Service::Graph, code, message));
    }
    None
}

/// The first line that `wanted` accepts (else the first non-blank line), trimmed and cut
/// to 300 characters: the message of free text is one line, not a whole pasted log that
/// might hold anything.
fn line_with(text: &str, wanted: impl Fn(&str) -> bool) -> Option<String> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = lines.clone().find(|l| wanted(l)).or_else(|| lines.next())?;
    Some(line.chars().take(300).collect())
}

/// The rest of the line after `label` (compared without case), trimmed.
fn labelled(text: &str, label: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(label)? + label.len();
    let line = text[at..].lines().next().unwrap_or("").trim();
    (!line.is_empty()).then(|| line.to_owned())
}

/// An OAuth2 error code, Google's description or an MSAL exception that needs the user, in
/// prose (`Error 400: redirect_uri_mismatch`, `invalid_grant: Token has been expired or
/// revoked.`, `MsalUiRequiredException: ...`).
fn oauth_words(text: &str) -> Option<ServiceError> {
    let code = oauth_word(text).or_else(|| msal_code(text));
    let google = text
        .to_lowercase()
        .contains("token has been expired or revoked");
    if code.is_none() && !google {
        return None;
    }
    let message = line_with(text, |l| {
        let lower = l.to_ascii_lowercase();
        lower.contains("token has been expired or revoked")
            || code.as_ref().is_some_and(|c| l.contains(c))
    });
    Some(error(Service::OAuth, code, message))
}

fn oauth_word(text: &str) -> Option<String> {
    oauth_errors::known_error_codes().find_map(|c| word_in(text, c))
}

/// `word` (lower case) in `text` as a whole word, in the text's own spelling.
fn word_in(text: &str, word: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let part = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    lower.match_indices(word).find_map(|(at, m)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + m.len()..].chars().next();
        (!part(before) && !part(after)).then(|| text[at..at + m.len()].to_owned())
    })
}

/// Reason phrases that may follow a status code.
const REASONS: &[&str] = &[
    "bad request",
    "unauthorized",
    "forbidden",
    "not found",
    "request entity too large",
    "payload too large",
    "content too large",
    "too many requests",
    "internal server error",
    "bad gateway",
    "service unavailable",
    "gateway timeout",
    "client error",
    "server error",
];

/// The HTTP status the text gives, if any: `HTTP/1.1 403`, then a labelled one
/// (`Status: 429`, `status code 403`, `StatusCode=403`, `"status": 400`), then a code
/// followed by its reason phrase (`403 Forbidden`, `(403) Forbidden`, `403 Client Error`).
fn find_status(text: &str) -> Option<u16> {
    let lower = text.to_ascii_lowercase();
    let http = lower.match_indices("http/").find_map(|(at, m)| {
        let rest = &lower[at + m.len()..];
        let version = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let gap = &rest[version..];
        let digits = gap.trim_start_matches(' ');
        (digits.len() < gap.len()).then(|| status_at(digits))?
    });
    let labelled = || {
        lower.match_indices("status").find_map(|(at, m)| {
            let rest = &lower[at + m.len()..];
            let rest = rest
                .strip_prefix(" code")
                .or_else(|| rest.strip_prefix("code"))
                .unwrap_or(rest);
            status_at(rest.trim_start_matches(['"', '\'', ':', '=', ' ']))
        })
    };
    let reason = || {
        lower.char_indices().find_map(|(at, _)| {
            let n = status_at(&lower[at..])?;
            let before = lower[..at].chars().next_back();
            let starts = before.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '.');
            let rest = lower[at + 3..].trim_start_matches([')', ' ', '-', ':']);
            (starts && REASONS.iter().any(|r| rest.starts_with(r))).then_some(n)
        })
    };
    http.or_else(labelled).or_else(reason)
}

/// Three digits at the start of `s`, not followed by a fourth, read as a status 100-599.
fn status_at(s: &str) -> Option<u16> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let n: u16 = s.get(..3)?.parse().ok().filter(|_| digits == 3)?;
    (100..=599).contains(&n).then_some(n)
}
