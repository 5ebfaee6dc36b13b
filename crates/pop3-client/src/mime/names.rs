//! Safe file names for extracted attachments: no directories, no control or bidi-override
//! characters, nothing a Windows share chokes on, and a bounded length.

/// The longest name kept, in bytes (most file systems allow 255).
const MAX_NAME_BYTES: usize = 200;

/// Names Windows reserves whatever the extension (the output directory may be a share).
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A name that is safe to create in the output directory: the last path component of `raw`
/// (`../../etc/passwd` → `passwd`, `C:\x\y.pdf` → `y.pdf`), control characters (C0, C1),
/// bidi controls and `< > : " | ? *` replaced or removed, no leading dots or blanks, at most
/// 200 bytes with the extension kept, never empty (`fallback`).
pub fn safe_file_name(raw: &str, fallback: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = base
        .chars()
        .filter(|c| !is_invisible_control(*c))
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    name = name
        .trim_start_matches(['.', ' ', '\u{3000}'])
        .trim_end_matches(['.', ' ', '\u{3000}'])
        .to_string();
    if name.is_empty() {
        name = fallback.to_string();
    }
    let stem = name.split('.').next().unwrap_or("").to_ascii_uppercase();
    if RESERVED.contains(&stem.as_str()) {
        name.insert(0, '_');
    }
    shorten(&name, MAX_NAME_BYTES)
}

/// Bidi embedding/override/isolate controls and zero-width marks: they make `gpj.exe` look
/// like `exe.jpg`.
fn is_invisible_control(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// At most `max` bytes, cut at a character boundary, keeping a short extension.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let ext = name
        .rfind('.')
        .map(|i| &name[i..])
        .filter(|e| e.len() <= 16)
        .unwrap_or("");
    let mut end = max - ext.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ext}", &name[..end])
}

/// The `n`th alternative of `name`: `scan.pdf` → `scan (2).pdf`, `scan` → `scan (2)`.
pub fn numbered(name: &str, n: u32) -> String {
    match name.rfind('.').filter(|&i| i > 0) {
        Some(i) => format!("{} ({n}){}", &name[..i], &name[i..]),
        None => format!("{name} ({n})"),
    }
}

/// A file name for a POP3 unique id, one-to-one: letters, digits and `-` stay, every other
/// byte becomes `_XX` (hex). Unique ids are printable ASCII (RFC 1939 §7), so `/`, `.` and
/// `_` itself are escaped and the result never leaves the directory.
pub fn uid_file_stem(uid: &str) -> String {
    let mut out = String::with_capacity(uid.len());
    for b in uid.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("_{b:02X}"));
        }
    }
    out
}
