//! Address lists in `To`/`Cc`/`Bcc`: just enough RFC 5322 to pull out the addr-specs
//! (`"Kim, Minsu" <kim@example.com>, lee@example.com`, groups, comments), so the client can
//! compare the recipients Graph would read from the headers with the envelope's.

/// The addresses in an address-list header value, in order, as written (not lowercased).
pub fn addresses(raw: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut angle: Option<Vec<u8>> = None;
    let mut quoted = false;
    let mut escaped = false;
    let mut depth = 0u32;
    for &b in raw {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if quoted || depth > 0 => escaped = true,
            b'"' if depth == 0 => quoted = !quoted,
            _ if quoted => {}
            b'(' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            b'<' => angle = Some(Vec::new()),
            b'>' => {
                if let Some(addr) = angle.take() {
                    push(&mut out, &addr);
                    current.clear();
                }
            }
            // `,` separates addresses; `:` ends a group's display name, `;` ends the group.
            b',' | b':' | b';' if angle.is_none() => {
                push(&mut out, &current);
                current.clear();
            }
            _ => match &mut angle {
                Some(addr) => addr.push(b),
                None => current.push(b),
            },
        }
    }
    push(&mut out, &current);
    out
}

fn push(out: &mut Vec<String>, candidate: &[u8]) {
    let text = String::from_utf8_lossy(candidate);
    let text = text.trim();
    // A bare word without `@` is a display name fragment or a group name, not an address.
    if text.contains('@') && !text.contains(char::is_whitespace) {
        // Source routes (`<@a,@b:user@host>`) keep only the final address.
        let addr = text.rsplit(':').next().unwrap_or(text);
        out.push(addr.to_string());
    }
}

/// The form addresses are compared in: lowercased (domains are case-insensitive and no
/// mail system in an office distinguishes local parts by case).
pub fn normalize(addr: &str) -> String {
    addr.trim().to_ascii_lowercase()
}
