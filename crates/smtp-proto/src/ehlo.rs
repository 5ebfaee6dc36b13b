//! What a server says about itself in its EHLO reply (RFC 5321 §4.1.1.1).

use crate::reply::Reply;
use crate::sasl::Mechanism;

/// The parsed EHLO reply: the greeting line and every keyword with its parameters, known or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EhloInfo {
    /// The first line (server name and greeting text).
    pub greeting: String,
    /// Every keyword line, upper-cased keyword first, then its parameters, in server order.
    pub keywords: Vec<(String, Vec<String>)>,
}

impl EhloInfo {
    /// Parses a `250` EHLO reply. Keywords are case-insensitive; `AUTH=LOGIN` (an old
    /// Microsoft/Netscape form) is read as `AUTH LOGIN`.
    pub fn parse(reply: &Reply) -> EhloInfo {
        let mut lines = reply.lines.iter();
        let greeting = lines.next().cloned().unwrap_or_default();
        let mut keywords: Vec<(String, Vec<String>)> = Vec::new();
        for line in lines {
            let mut words = line.split_ascii_whitespace();
            let Some(first) = words.next() else { continue };
            let (keyword, mut params) = match first.split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case("AUTH") => {
                    (k.to_ascii_uppercase(), vec![v.to_string()])
                }
                _ => (first.to_ascii_uppercase(), Vec::new()),
            };
            params.extend(words.map(str::to_string));
            match keywords.iter_mut().find(|(k, _)| *k == keyword) {
                Some((_, existing)) => {
                    for p in params {
                        if !existing.iter().any(|e| e.eq_ignore_ascii_case(&p)) {
                            existing.push(p);
                        }
                    }
                }
                None => keywords.push((keyword, params)),
            }
        }
        EhloInfo { greeting, keywords }
    }

    /// Whether the keyword is present.
    pub fn has(&self, keyword: &str) -> bool {
        self.params(keyword).is_some()
    }

    /// The parameters of a keyword, if present.
    pub fn params(&self, keyword: &str) -> Option<&[String]> {
        self.keywords
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(keyword))
            .map(|(_, p)| p.as_slice())
    }

    /// The `SIZE` limit in bytes; `None` if absent, or `SIZE` / `SIZE 0` (no fixed limit).
    pub fn size_limit(&self) -> Option<u64> {
        let n: u64 = self.params("SIZE")?.first()?.parse().ok()?;
        (n > 0).then_some(n)
    }

    /// The SASL mechanism names offered, upper-cased, as the server listed them.
    pub fn auth_mechanism_names(&self) -> Vec<String> {
        self.params("AUTH")
            .map(|p| p.iter().map(|m| m.to_ascii_uppercase()).collect())
            .unwrap_or_default()
    }

    /// The offered mechanisms this crate implements.
    pub fn auth_mechanisms(&self) -> Vec<Mechanism> {
        self.auth_mechanism_names()
            .iter()
            .filter_map(|m| m.parse().ok())
            .collect()
    }

    /// `STARTTLS` is offered.
    pub fn starttls(&self) -> bool {
        self.has("STARTTLS")
    }

    /// `PIPELINING` is offered.
    pub fn pipelining(&self) -> bool {
        self.has("PIPELINING")
    }

    /// `8BITMIME` is offered.
    pub fn eight_bit_mime(&self) -> bool {
        self.has("8BITMIME")
    }

    /// `SMTPUTF8` is offered.
    pub fn smtputf8(&self) -> bool {
        self.has("SMTPUTF8")
    }

    /// `CHUNKING` is offered.
    pub fn chunking(&self) -> bool {
        self.has("CHUNKING")
    }

    /// `ENHANCEDSTATUSCODES` is offered.
    pub fn enhanced_status_codes(&self) -> bool {
        self.has("ENHANCEDSTATUSCODES")
    }

    /// Each keyword line as the server sent it (keyword and parameters), for reports.
    pub fn capability_lines(&self) -> Vec<String> {
        self.keywords
            .iter()
            .map(|(k, p)| {
                if p.is_empty() {
                    k.clone()
                } else {
                    format!("{k} {}", p.join(" "))
                }
            })
            .collect()
    }
}
