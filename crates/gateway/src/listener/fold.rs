//! Folding header lines longer than RFC 5322 allows.
//!
//! RFC 5322 §2.1.1: a line MUST be at most 998 octets without its CRLF, and providers refuse
//! messages with longer ones (so relaying them as they are only turns a `250` into a bounce
//! later). A device that writes a long `Subject:` or puts fifty addresses on one `To:` line is
//! fixed here by *folding*: a CRLF is inserted before a space or tab of the line, so that no
//! line is longer than 998 octets.
//!
//! That is safe for every field, structured or not: RFC 5322 §2.2.3 defines unfolding as
//! removing each CRLF that is immediately followed by whitespace, so the unfolded field is
//! byte for byte what the device wrote, and whitespace inside a structured field stands where
//! folding white space is allowed (between tokens, inside quoted strings and comments). Only a
//! DKIM signature with "simple" header canonicalisation would notice, and devices do not sign.
//!
//! A line with a stretch of more than 998 octets without a space or tab (a long encoded word,
//! a base64 blob in a header) cannot be folded without changing its meaning. The message is
//! then refused at the end of DATA with [`long_header_reply`], a permanent `554 5.6.0` that
//! says why: accepting it would only fail later, at the provider, as a bounce the device's
//! user may never read.

use scanrelay_proto::Reply;

/// The longest line RFC 5322 allows, without its CRLF.
pub(crate) const MAX_LINE: usize = 998;

/// A header line that cannot be folded to [`MAX_LINE`] octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unfoldable;

/// `554 5.6.0 ...`: the end-of-DATA reply for a header line that cannot be folded.
pub(crate) fn long_header_reply() -> Reply {
    Reply::new(
        554,
        "5.6.0 Message refused: a header line is longer than 998 characters with no space \
         to fold it at (RFC 5322 section 2.1.1); shorten the subject or file name",
    )
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Where to fold `rest` (longer than [`MAX_LINE`]): the last space or tab at an index from 1
/// to [`MAX_LINE`] that has something other than whitespace before it, so that no line is
/// empty or only whitespace.
pub(crate) fn fold_point(rest: &[u8]) -> Option<usize> {
    let first_text = rest.iter().position(|&b| !is_wsp(b))?;
    (first_text + 1..=MAX_LINE.min(rest.len() - 1))
        .rev()
        .find(|&i| is_wsp(rest[i]))
}

/// Appends `line` (a header line without its CRLF) to `out`, folded so that no line is longer
/// than [`MAX_LINE`] octets, and a CRLF. A line that is short enough is appended unchanged.
pub(crate) fn fold_into(line: &[u8], out: &mut Vec<u8>) -> Result<(), Unfoldable> {
    let mut rest = line;
    while rest.len() > MAX_LINE {
        let at = fold_point(rest).ok_or(Unfoldable)?;
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[at..];
    }
    out.extend_from_slice(rest);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(line: &[u8]) -> Result<Vec<u8>, Unfoldable> {
        let mut out = Vec::new();
        fold_into(line, &mut out).map(|()| out)
    }

    /// Unfolding per RFC 5322 §2.2.3: every CRLF followed by whitespace is removed.
    fn unfold(folded: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < folded.len() {
            if folded[i..].starts_with(b"\r\n") && folded.get(i + 2).copied().is_some_and(is_wsp) {
                i += 2;
                continue;
            }
            out.push(folded[i]);
            i += 1;
        }
        out
    }

    fn words(name: &str, word: &str, n: usize, sep: &str) -> Vec<u8> {
        let mut line = format!("{name}:");
        for _ in 0..n {
            line.push_str(sep);
            line.push_str(word);
        }
        line.into_bytes()
    }

    #[test]
    fn long_lines_fold_at_whitespace_and_unfold_to_the_original() {
        let cases: Vec<Vec<u8>> = vec![
            words("Subject", "scan", 400, " "),
            words("To", "user@example.com,", 120, " "),
            words("X-Tabbed", "abcdefgh", 300, "\t"),
            [b"Subject: ".as_slice(), &[b'a'; 990], b" tail"].concat(),
            [b"Subject:".as_slice(), &[b' '; 5], &[b'b'; 990], b" c"].concat(),
            words(" continued", "word", 300, " "),
        ];
        for line in cases {
            let folded = fold(&line).unwrap();
            assert!(folded.ends_with(b"\r\n"));
            let body = &folded[..folded.len() - 2];
            for (n, part) in body.split(|&b| b == b'\n').enumerate() {
                let part = part.strip_suffix(b"\r").unwrap_or(part);
                assert!(part.len() <= MAX_LINE, "line {n} has {} octets", part.len());
                assert!(part.iter().any(|&b| !is_wsp(b)), "line {n} is only blanks");
                if n > 0 {
                    assert!(is_wsp(part[0]), "line {n} is no continuation");
                }
            }
            assert_eq!(unfold(body), line);
        }
    }

    #[test]
    fn short_lines_are_left_alone() {
        for line in [b"Subject: hi".as_slice(), &[b'x'; MAX_LINE]] {
            assert_eq!(fold(line).unwrap(), [line, b"\r\n"].concat());
        }
    }

    #[test]
    fn a_stretch_of_more_than_998_octets_without_blanks_is_unfoldable() {
        let cases = [
            [b"Subject:".as_slice(), &[b'x'; 999]].concat(),
            [b"Subject: short ".as_slice(), &[b'='; 1200]].concat(),
            [b"X: ".as_slice(), &[b' '; 500], &[b'q'; 1000]].concat(),
        ];
        for line in cases {
            assert_eq!(fold(&line), Err(Unfoldable), "{}", line.len());
        }
    }
}
