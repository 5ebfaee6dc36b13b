//! Parsing an `strace -f -y -o LOG` log into [`Call`]s: `<unfinished ...>` / `<... resumed>`
//! pairs joined, each call with the log line where it entered the kernel and the line where it
//! returned, its top-level arguments and the paths `-y` printed for its descriptors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Calls that write bytes to a descriptor, for [`Call::is_write`].
const WRITES: &[&str] = &[
    "write", "writev", "pwrite64", "pwritev", "pwritev2", "sendto", "sendmsg",
];
const SYNCS: &[&str] = &["fsync", "fdatasync"];
const RENAMES: &[&str] = &["rename", "renameat", "renameat2"];

/// One system call of a traced process, as strace printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The thread (task id) that made the call; 0 when the log has no pid prefix.
    pub pid: u32,
    /// The call's name: `openat`, `fsync`, `sendto`...
    pub name: String,
    /// The top-level arguments, as printed (string literals still quoted and escaped).
    pub args: Vec<String>,
    /// What follows `=` (`0`, `13</spool/msg>`, `-1 ENOSPC (No space left on device)`);
    /// `None` when the log never shows the call returning.
    pub result: Option<String>,
    /// Log line (1-based) where strace printed the call's entry: it had not run yet.
    pub start: usize,
    /// Log line (1-based) where strace printed its return (the same as `start` for a call
    /// printed on one line); `None` when it never returned in the log.
    pub end: Option<usize>,
    /// The whole call, resumed part joined, as one line of text (for messages).
    pub text: String,
}

impl Call {
    /// Whether this call had returned before `later` entered the kernel (see the module docs of
    /// [`crate::strace`] for why this is the order a durability chain may rely on).
    pub fn returned_before(&self, later: &Call) -> bool {
        self.end.is_some_and(|end| end < later.start)
    }

    /// Whether the call is one of `names`.
    pub fn is(&self, names: &[&str]) -> bool {
        names.contains(&self.name.as_str())
    }

    /// `fsync` or `fdatasync`.
    pub fn is_sync(&self) -> bool {
        self.is(SYNCS)
    }

    /// `rename`, `renameat` or `renameat2`.
    pub fn is_rename(&self) -> bool {
        self.is(RENAMES)
    }

    /// A call that writes bytes to its first argument's descriptor (`write`, `writev`,
    /// `pwrite64`, `sendto`, `sendmsg`...).
    pub fn is_write(&self) -> bool {
        self.is(WRITES)
    }

    /// The number the call returned (`Some(-1)` for a failure), if it returned one.
    pub fn value(&self) -> Option<i64> {
        let result = self.result.as_deref()?;
        let end = result
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
            .map_or(result.len(), |(i, _)| i);
        result[..end].parse().ok()
    }

    /// Whether the call returned and did not fail.
    pub fn succeeded(&self) -> bool {
        self.value().is_some_and(|v| v >= 0)
    }

    /// The path `-y` printed for the first argument's descriptor (`13</spool/tmp/x.eml>` gives
    /// `/spool/tmp/x.eml`; a socket gives `socket:[12345]`).
    pub fn fd_path(&self) -> Option<String> {
        annotation(self.args.first()?)
    }

    /// The path `-y` printed for the descriptor the call returned (`openat`).
    pub fn returned_path(&self) -> Option<String> {
        annotation(self.result.as_deref()?)
    }

    /// Argument `i` decoded, if it is a string literal.
    pub fn string_arg(&self, i: usize) -> Option<Vec<u8>> {
        let arg = self.args.get(i)?;
        arg.starts_with('"').then(|| unquote(arg))
    }

    /// The first string literal in the arguments, decoded: for a write, the bytes it sent
    /// (cut at strace's `-s` length).
    pub fn data(&self) -> Option<Vec<u8>> {
        let text = self
            .args
            .iter()
            .find_map(|a| a.find('"').map(|i| &a[i..]))?;
        Some(unquote(text))
    }

    /// Whether a flags argument holds `flag` (`O_CREAT` in `O_WRONLY|O_CREAT|O_EXCL`).
    pub fn has_flag(&self, flag: &str) -> bool {
        self.args
            .iter()
            .filter(|a| !a.starts_with('"'))
            .any(|a| a.split('|').any(|f| f.trim() == flag))
    }

    /// The file a path-taking call names: for `openat`, its path argument resolved against the
    /// directory descriptor's `-y` path when relative.
    pub fn path_arg(&self) -> Option<PathBuf> {
        match self.name.as_str() {
            "openat" | "openat2" => self.at_path(0, 1),
            "open" | "creat" => self.string_arg(0).map(path_of),
            _ => None,
        }
    }

    /// `(from, to)` of a rename, relative paths resolved against `-y` directory paths (for
    /// `renameat`/`renameat2`; plain `rename` paths are given as printed).
    pub fn rename_paths(&self) -> Option<(PathBuf, PathBuf)> {
        match self.name.as_str() {
            "rename" => Some((path_of(self.string_arg(0)?), path_of(self.string_arg(1)?))),
            "renameat" | "renameat2" => Some((self.at_path(0, 1)?, self.at_path(2, 3)?)),
            _ => None,
        }
    }

    fn at_path(&self, dirfd: usize, path: usize) -> Option<PathBuf> {
        let path = path_of(self.string_arg(path)?);
        if path.is_absolute() {
            return Some(path);
        }
        let dir = self.args.get(dirfd).and_then(|a| annotation(a))?;
        Some(Path::new(&dir).join(path))
    }
}

fn path_of(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// A parsed strace log.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    calls: Vec<Call>,
}

impl Trace {
    /// Parses the text of an `strace -f [-y] -o LOG` log. Lines that are not system calls
    /// (signals, exits) are skipped; an `<unfinished ...>` call is joined with its thread's
    /// next `<... NAME resumed>` line.
    pub fn parse(log: &str) -> Trace {
        let mut calls: Vec<Call> = Vec::new();
        let mut pending: HashMap<u32, usize> = HashMap::new();
        for (i, line) in log.lines().enumerate() {
            let number = i + 1;
            let (pid, rest) = split_pid(line);
            if let Some(tail) = rest.strip_prefix("<...") {
                let tail = tail.split_once("resumed>").map_or("", |(_, t)| t);
                if let Some(at) = pending.remove(&pid) {
                    let text = format!("{}{}", calls[at].text, tail);
                    calls[at] = call(pid, &text, calls[at].start, Some(number));
                }
            } else if let Some(head) = rest.strip_suffix("<unfinished ...>") {
                if is_call(head) {
                    pending.insert(pid, calls.len());
                    calls.push(call(pid, head.trim_end(), number, None));
                }
            } else if is_call(rest) {
                calls.push(call(pid, rest, number, Some(number)));
            }
        }
        Trace { calls }
    }

    /// Reads and parses a log file.
    ///
    /// # Panics
    /// When the file cannot be read.
    pub fn read(path: &Path) -> Trace {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read the strace log {}: {e}", path.display()));
        Trace::parse(&text)
    }

    /// Every call, in the order they entered the kernel.
    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// The first call (by entry) that satisfies `pred`.
    pub fn find(&self, pred: impl Fn(&Call) -> bool) -> Option<&Call> {
        self.calls.iter().find(|c| pred(c))
    }

    /// The calls that satisfy `pred`, one per line as `line N pid P: call`, for messages.
    pub fn excerpt(&self, pred: impl Fn(&Call) -> bool) -> String {
        self.calls
            .iter()
            .filter(|c| pred(c))
            .map(describe)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `line N pid P: call` (`lines N-M` when the call was split by other threads' calls).
pub fn describe(call: &Call) -> String {
    let lines = match call.end {
        Some(end) if end != call.start => format!("lines {}-{end}", call.start),
        Some(_) => format!("line {}", call.start),
        None => format!("line {} (never returned)", call.start),
    };
    format!("{lines} pid {}: {}", call.pid, call.text)
}

/// `(pid, rest)`: `1234  fsync(3) = 0` and `[pid  1234] fsync(3) = 0` both give 1234.
fn split_pid(line: &str) -> (u32, &str) {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("[pid")
        && let Some((pid, rest)) = rest.split_once(']')
    {
        return (pid.trim().parse().unwrap_or(0), rest.trim_start());
    }
    match line.split_once(char::is_whitespace) {
        Some((pid, rest)) if pid.bytes().all(|b| b.is_ascii_digit()) => {
            (pid.parse().unwrap_or(0), rest.trim_start())
        }
        _ => (0, line),
    }
}

/// Whether `text` starts like `name(`.
fn is_call(text: &str) -> bool {
    text.split_once('(').is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

fn call(pid: u32, text: &str, start: usize, end: Option<usize>) -> Call {
    let (name, rest) = text.split_once('(').unwrap_or((text, ""));
    let (args, after) = split_args(rest);
    let result = match (end, after) {
        (Some(_), Some(after)) => after
            .trim_start()
            .strip_prefix('=')
            .map(|r| r.trim().to_string()),
        _ => None,
    };
    Call {
        pid,
        name: name.to_string(),
        args,
        result,
        start,
        end,
        text: text.to_string(),
    }
}

/// Splits `a, "b, c", [d, e]) = 0` into its top-level arguments and the text after the
/// closing parenthesis (`None` when there is none: the call never returned).
fn split_args(text: &str) -> (Vec<String>, Option<&str>) {
    let mut args = Vec::new();
    let (mut depth, mut from) = (0usize, 0usize);
    let (mut in_string, mut escaped, mut in_annotation) = (false, false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if in_annotation {
            in_annotation = c != '>';
            continue;
        }
        match c {
            '"' => in_string = true,
            '<' => in_annotation = true,
            '(' | '[' | '{' => depth += 1,
            ')' if depth == 0 => {
                push_arg(&mut args, &text[from..i]);
                return (args, Some(&text[i + 1..]));
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                push_arg(&mut args, &text[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    push_arg(&mut args, &text[from..]);
    (args, None)
}

fn push_arg(args: &mut Vec<String>, arg: &str) {
    let arg = arg.trim();
    if !arg.is_empty() {
        args.push(arg.to_string());
    }
}

/// The decoded text between the first `<` and the last `>` of `arg`: the `-y` path.
fn annotation(arg: &str) -> Option<String> {
    let open = arg.find('<')?;
    let close = arg.rfind('>').filter(|&c| c > open)?;
    Some(String::from_utf8_lossy(&unescape(&arg[open + 1..close])).into_owned())
}

/// Decodes a quoted strace string literal (`"a\r\n"...` gives `a\r\n`), up to its closing
/// quote.
fn unquote(literal: &str) -> Vec<u8> {
    let body = literal.strip_prefix('"').unwrap_or(literal);
    let mut end = body.len();
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    unescape(&body[..end])
}

/// strace's C escapes (`\n`, `\"`, `\\`, octal `\377`, hex `\xff`) decoded to bytes.
fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 == bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let (byte, used) = escape(&bytes[i + 1..]);
        out.push(byte);
        i += 1 + used;
    }
    out
}

/// One escape after its backslash: the byte and how many input bytes it used.
fn escape(rest: &[u8]) -> (u8, usize) {
    let digits = |radix: u32, max: usize, from: usize| {
        let n = rest[from..]
            .iter()
            .take(max)
            .take_while(|b| (b.to_ascii_lowercase() as char).is_digit(radix))
            .count();
        let text = std::str::from_utf8(&rest[from..from + n]).unwrap_or("0");
        (u32::from_str_radix(text, radix).unwrap_or(0) as u8, n)
    };
    match rest[0] {
        b'n' => (b'\n', 1),
        b'r' => (b'\r', 1),
        b't' => (b'\t', 1),
        b'v' => (0x0b, 1),
        b'f' => (0x0c, 1),
        b'x' => match digits(16, 2, 1) {
            (_, 0) => (b'x', 1),
            (byte, n) => (byte, 1 + n),
        },
        b'0'..=b'7' => digits(8, 3, 0),
        other => (other, 1),
    }
}
