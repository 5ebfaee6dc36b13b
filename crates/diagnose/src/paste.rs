//! Reading an SMTP reply out of whatever a user pastes: raw multi-line replies, lines
//! flattened into one, Python `smtplib` tuples, nodemailer and Jakarta Mail messages,
//! JSON-escaped `\n`, quotes, CRLF, and .NET's `SmtpException`, which quotes only the
//! enhanced code (`The server response was: 5.7.57 Client not authenticated ...`).

use crate::ReplyFacts;

/// Finds the SMTP reply in pasted text and splits it into code, enhanced code and text.
///
/// When the text holds no three-digit reply code but does hold an RFC 3463 enhanced code of
/// class 4 or 5 (.NET: `The server response was: 5.7.57 Client not authenticated to send
/// mail`), the reply is read from that code and [`ReplyFacts::code`], which cannot be
/// absent, is derived from its class: `5.x.x` gives `550` and `4.x.x` gives `450`, the
/// generic permanent and temporary failure codes. Classification then rests on the
/// enhanced code and the text, as it does for any reply. Returns `None` when neither a
/// reply code nor such an enhanced code can be found.
pub fn parse_pasted(input: &str) -> Option<ReplyFacts> {
    let text = normalize_newlines(input);
    if let Some(facts) = parse_python_tuple(&text) {
        return Some(facts);
    }
    let Some(start) = find_reply_start(&text) else {
        return parse_enhanced_only(&text);
    };
    let body = cut_at_closing_quote(&text, start);
    let code: u16 = body.get(..3)?.parse().ok()?;
    let lines = reply_lines(code, &unescape(body));
    Some(facts_from_lines(code, &lines))
}

/// A reply quoted by its enhanced code alone (.NET's `SmtpException`): the first `4.x.x` or
/// `5.x.x` at the start of a word, with a subject of 0-7 (RFC 3463 defines no other, which
/// keeps version numbers such as `4.18.2` out). The basic code is derived from the class
/// (see [`parse_pasted`]); the reply runs to the end of its line, plus following lines that
/// repeat the enhanced code.
fn parse_enhanced_only(text: &str) -> Option<ReplyFacts> {
    let (start, enhanced) = text.char_indices().find_map(|(pos, c)| {
        let before = text[..pos].chars().next_back();
        let word_start =
            before.is_none_or(|b| b.is_whitespace() || is_quote(b) || matches!(b, '(' | ':'));
        if !matches!(c, '4' | '5') || !word_start {
            return None;
        }
        let enhanced = leading_enhanced(&text[pos..])?;
        let subject: u16 = enhanced.split('.').nth(1)?.parse().ok()?;
        (subject <= 7).then_some((pos, enhanced))
    })?;
    let code = if enhanced.starts_with('5') { 550 } else { 450 };
    let body = unescape(cut_at_closing_quote(text, start));
    let mut lines = body.lines();
    let mut kept = vec![lines.next().unwrap_or("").to_owned()];
    kept.extend(
        lines
            .map(without_transcript_prefix)
            .take_while(|l| l.starts_with(enhanced))
            .map(str::to_owned),
    );
    Some(facts_from_lines(code, &kept))
}

/// CRLF / CR to LF, and literal `\r\n`, `\n`, `\r`, `\t` escapes to real characters.
fn normalize_newlines(input: &str) -> String {
    input
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .replace("\\r", "")
        .replace("\\t", " ")
}

/// Undoes the quote escapes of Python / JavaScript string literals.
fn unescape(text: &str) -> String {
    text.replace("\\'", "'")
        .replace("\\\"", "\"")
        .replace("\\\\", "\\")
}

fn is_quote(c: char) -> bool {
    matches!(c, '\'' | '"' | '`')
}

/// Python `smtplib`: `(535, b'5.7.8 Username ...\n5.7.8  https://...')`, also inside
/// `SMTPRecipientsRefused: {'a@b': (550, b'...')}`. The per-line codes are already gone.
fn parse_python_tuple(text: &str) -> Option<ReplyFacts> {
    text.match_indices('(').find_map(|(open, _)| {
        let rest = &text[open + 1..];
        let code = reply_code_at(rest)?;
        let after = rest[3..].strip_prefix(", ")?;
        let after = after.strip_prefix('b').unwrap_or(after);
        let quote = after.chars().next().filter(|&c| c == '\'' || c == '"')?;
        let body = &after[1..];
        let end = closing_quote(body, quote).unwrap_or(body.len());
        let body = unescape(&body[..end]);
        let lines: Vec<String> = body.lines().map(str::to_owned).collect();
        Some(facts_from_lines(code, &lines))
    })
}

/// The reply code at the start of `s`: three digits, the first 2-5, the second 0-5
/// (RFC 5321 §4.2), not followed by another digit or a dot.
fn reply_code_at(s: &str) -> Option<u16> {
    let bytes = s.as_bytes();
    let digits = bytes.get(..3)?;
    let ok = digits.iter().all(u8::is_ascii_digit)
        && (b'2'..=b'5').contains(&digits[0])
        && (b'0'..=b'5').contains(&digits[1])
        && !bytes
            .get(3)
            .is_some_and(|b| b.is_ascii_digit() || *b == b'.');
    if ok { s[..3].parse().ok() } else { None }
}

/// Where the reply begins: the first error code (4xx/5xx), so that the failing reply of a
/// pasted session transcript wins over its greeting; else the first code anywhere.
fn find_reply_start(text: &str) -> Option<usize> {
    let candidates = candidates(text);
    candidates
        .iter()
        .find(|(_, code)| *code >= 400)
        .or_else(|| candidates.first())
        .map(|(pos, _)| *pos)
}

/// Positions and values of everything that looks like a reply code: three digits at the
/// start of a word (after space, a quote, `(` or `>`), followed by a space, `-`, `:`, a
/// quote or the end, and not a port number.
fn candidates(text: &str) -> Vec<(usize, u16)> {
    let mut found = Vec::new();
    for (pos, _) in text.char_indices() {
        let before = text[..pos].chars().next_back();
        if before.is_some_and(|c| !(c.is_whitespace() || is_quote(c) || c == '(' || c == '>')) {
            continue;
        }
        let Some(code) = reply_code_at(&text[pos..]) else {
            continue;
        };
        let next = text[pos + 3..].chars().next();
        if !next.is_none_or(|c| c == ' ' || c == '-' || c == '\n' || c == ':' || is_quote(c)) {
            continue;
        }
        let line_prefix = text[..pos].rsplit('\n').next().unwrap_or("");
        if line_prefix
            .trim_end()
            .trim_end_matches(':')
            .to_ascii_lowercase()
            .ends_with("port")
        {
            continue;
        }
        found.push((pos, code));
    }
    found
}

/// Whether text before a code on its line is only a transcript marker (`S:`, `<-`, ...).
fn is_transcript_prefix(prefix: &str) -> bool {
    let p = prefix
        .trim()
        .trim_end_matches(':')
        .trim()
        .to_ascii_lowercase();
    matches!(
        p.as_str(),
        "" | "s" | "<" | "<<" | "<<<" | "<-" | "<- s" | "server" | "recv"
    )
}

/// The line without a leading transcript marker such as `S: ` or `<- `.
fn without_transcript_prefix(line: &str) -> &str {
    let line = line.trim_start();
    match line.find(|c: char| c.is_ascii_digit()) {
        Some(i) if i > 0 && is_transcript_prefix(&line[..i]) => &line[i..],
        _ => line,
    }
}

/// When the code directly follows a quote, the reply ends at the matching closing quote.
fn cut_at_closing_quote(text: &str, start: usize) -> &str {
    let body = &text[start..];
    match text[..start].chars().next_back().filter(|&c| is_quote(c)) {
        Some(quote) => &body[..closing_quote(body, quote).unwrap_or(body.len())],
        None => body,
    }
}

/// Byte offset of the first `quote` not escaped by a backslash.
fn closing_quote(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == quote && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

/// The reply's lines, starting at its code: continuation lines start with the same code
/// or the same enhanced code; flattened continuation markers (` 530 5.7.0 `) become
/// line breaks; anything after the reply (stack traces, JSON fields) is dropped.
fn reply_lines(code: u16, body: &str) -> Vec<String> {
    let mut lines = body.lines();
    let first = lines.next().unwrap_or("");
    let enhanced = leading_enhanced(strip_code(code, first.trim_start()).unwrap_or(first));
    let mut kept = vec![first.to_owned()];
    for line in lines {
        let t = without_transcript_prefix(line);
        let continues = strip_code(code, t).is_some() || enhanced.is_some_and(|e| t.starts_with(e));
        if !continues {
            break;
        }
        kept.push(t.to_owned());
    }
    kept.iter()
        .flat_map(|l| split_flattened(code, enhanced, l))
        .collect()
}

/// Splits a line at ` 530 5.7.0 ` / ` 530-5.7.0 ` markers (or ` 250-` / ` 250 ` when the
/// reply has no enhanced code).
fn split_flattened(code: u16, enhanced: Option<&str>, line: &str) -> Vec<String> {
    let markers: Vec<String> = match enhanced {
        Some(e) => vec![format!(" {code}-{e} "), format!(" {code} {e} ")],
        None => vec![format!(" {code}-"), format!(" {code} ")],
    };
    let mut text = format!("{line} ");
    for marker in &markers {
        text = text.replace(marker.as_str(), "\n");
    }
    text.lines().map(str::to_owned).collect()
}

/// `"535-5.7.8 text"` to `"5.7.8 text"`: the text after `code` and its separator.
fn strip_code(code: u16, line: &str) -> Option<&str> {
    let rest = line.strip_prefix(code.to_string().as_str())?;
    match rest.chars().next() {
        None => Some(rest),
        Some('-' | ' ' | ':') => Some(&rest[1..]),
        Some(_) => None,
    }
}

/// The RFC 3463 code at the start of `s` (after spaces), e.g. `5.7.8`.
fn leading_enhanced(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let end = s
        .find(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | ':'))
        .unwrap_or(s.len());
    let candidate = &s[..end];
    let parts: Vec<&str> = candidate.split('.').collect();
    let valid = parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()));
    valid.then_some(candidate)
}

/// Builds the facts: per line, drop the code and enhanced-code prefixes, trim, skip empty
/// lines, join with `'\n'`.
fn facts_from_lines(code: u16, lines: &[String]) -> ReplyFacts {
    let mut enhanced: Option<String> = None;
    let mut text_lines = Vec::new();
    for line in lines {
        let line = line.trim();
        let line = strip_code(code, line).unwrap_or(line);
        let rest = match leading_enhanced(line) {
            Some(e) => {
                enhanced.get_or_insert_with(|| e.to_owned());
                &line.trim_start()[e.len()..]
            }
            None => line,
        };
        let rest = rest.trim();
        if !rest.is_empty() {
            text_lines.push(rest);
        }
    }
    ReplyFacts {
        code,
        enhanced,
        text: text_lines.join("\n"),
    }
}
