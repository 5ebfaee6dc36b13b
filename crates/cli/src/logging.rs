//! The gateway's log, fit for where it goes: colour only on a terminal and never with
//! `NO_COLOR` set (<https://no-color.org>), RFC 3339 UTC times, and `--log-format json` (one
//! object per line, event fields at the top level) for collectors. Under systemd, when
//! standard error is the journal (systemd sets `JOURNAL_STREAM` to its `device:inode`,
//! <https://systemd.io/JOURNAL_NATIVE_PROTOCOL/>) and no `--log-format` was given, entries go
//! to journald natively: the event's fields as journal fields (`F_ID`, `F_UPSTREAM`, ...) and
//! `PRIORITY` from the level. If journald cannot be reached the log stays plain text.
//! The level comes from `SCANRELAY_LOG` (an `EnvFilter`, default `info`).

use std::ffi::{OsStr, OsString};
use std::io::IsTerminal as _;
use std::os::fd::AsFd as _;
use std::os::unix::fs::MetadataExt as _;

use tracing_journald::{Priority, PriorityMappings};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::args::LogFormat;

/// Where the log goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    /// Human-readable lines on standard error.
    Text,
    /// One JSON object per line on standard error.
    Json,
    /// Native journald entries (falls back to `Text` when journald is not there).
    Journal,
}

/// Installs the subscriber (once; later calls do nothing). `flag` is `--log-format` if given.
pub fn init(flag: Option<LogFormat>) {
    let journal_stream = std::env::var_os("JOURNAL_STREAM");
    let sink = choose(flag, journal_stream.as_deref(), stderr_identity());
    if sink == Sink::Journal {
        // No journald (a container, a test machine without systemd): plain text, no error.
        if let Ok(layer) = tracing_journald::layer() {
            let layer = layer.with_priority_mappings(priorities());
            let _ = tracing_subscriber::registry()
                .with(filter())
                .with(layer)
                .try_init();
            return;
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_timer(SystemTime);
    let _ = match sink {
        Sink::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        Sink::Text | Sink::Journal => builder
            .with_ansi(colour(
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR"),
            ))
            .try_init(),
    };
}

fn filter() -> EnvFilter {
    EnvFilter::try_from_env("SCANRELAY_LOG").unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The syslog meaning of each level: routine events are "informational" (6), as a mail
/// server's are, so `journalctl -p notice` shows only what needs a look.
fn priorities() -> PriorityMappings {
    PriorityMappings {
        error: Priority::Error,
        warn: Priority::Warning,
        info: Priority::Informational,
        debug: Priority::Debug,
        trace: Priority::Debug,
    }
}

/// The sink: an explicit `--log-format` wins; otherwise the journal when `JOURNAL_STREAM`
/// names standard error's own `(device, inode)` (a child that inherited the variable but
/// writes elsewhere must not), else text.
fn choose(
    flag: Option<LogFormat>,
    journal_stream: Option<&OsStr>,
    stderr: Option<(u64, u64)>,
) -> Sink {
    match flag {
        Some(LogFormat::Text) => Sink::Text,
        Some(LogFormat::Json) => Sink::Json,
        None => match (journal_stream.and_then(parse_journal_stream), stderr) {
            (Some(stream), Some(stderr)) if stream == stderr => Sink::Journal,
            _ => Sink::Text,
        },
    }
}

/// `JOURNAL_STREAM` is `DEVICE:INODE`, both decimal (systemd.exec(5)).
fn parse_journal_stream(value: &OsStr) -> Option<(u64, u64)> {
    let (dev, ino) = value.to_str()?.split_once(':')?;
    Some((dev.parse().ok()?, ino.parse().ok()?))
}

/// Standard error's `(device, inode)`, from `fstat` on a duplicate of its descriptor.
fn stderr_identity() -> Option<(u64, u64)> {
    let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    Some((meta.dev(), meta.ino()))
}

/// Whether to colour: only on a terminal, and not when `NO_COLOR` is set to anything but "".
fn colour(terminal: bool, no_color: Option<OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let set = |v: &str| Some(OsString::from(v));
        assert!(colour(true, None));
        assert!(colour(true, set("")));
        assert!(!colour(true, set("1")));
        assert!(!colour(false, None));
        assert!(!colour(false, set("")));
    }

    #[test]
    fn journal_only_when_stderr_is_the_journal_stream_and_no_flag() {
        let me = Some((2049, 1234));
        let text = Some(LogFormat::Text);
        let json = Some(LogFormat::Json);
        let stream = |s: &'static str| Some(OsStr::new(s));
        type Case = (
            Option<LogFormat>,
            Option<&'static OsStr>,
            Option<(u64, u64)>,
            Sink,
        );
        let cases: &[Case] = &[
            (None, stream("2049:1234"), me, Sink::Journal),
            // An explicit --log-format wins over the journal.
            (text, stream("2049:1234"), me, Sink::Text),
            (json, stream("2049:1234"), me, Sink::Json),
            // Not under systemd: today's behaviour.
            (None, None, me, Sink::Text),
            (json, None, me, Sink::Json),
            // Inherited by a process whose stderr was redirected elsewhere.
            (None, stream("2049:9999"), me, Sink::Text),
            (None, stream("7:1234"), me, Sink::Text),
            // Unreadable values or an unknown stderr.
            (None, stream("2049:1234"), None, Sink::Text),
            (None, stream("2049"), me, Sink::Text),
            (None, stream("a:b"), me, Sink::Text),
            (None, stream(""), me, Sink::Text),
        ];
        for (flag, env, stderr, want) in cases {
            assert_eq!(
                choose(*flag, *env, *stderr),
                *want,
                "{flag:?} {env:?} {stderr:?}"
            );
        }
    }

    #[test]
    fn journal_stream_values() {
        let parse = |s: &str| parse_journal_stream(OsStr::new(s));
        assert_eq!(parse("8:12345"), Some((8, 12345)));
        assert_eq!(parse("18446744073709551615:1"), Some((u64::MAX, 1)));
        assert_eq!(parse("8:"), None);
        assert_eq!(parse(":8"), None);
        assert_eq!(parse("8:1:2"), None);
        assert_eq!(parse("-1:2"), None);
    }

    #[test]
    fn stderr_identity_is_the_file_it_writes_to() {
        // The test harness's stderr is some file, pipe or terminal: fstat must work on it, and
        // its identity must be what a `stat` of the same descriptor says.
        let (dev, ino) = stderr_identity().expect("fstat of stderr");
        let meta = std::fs::metadata("/proc/self/fd/2").expect("stat /proc/self/fd/2");
        assert_eq!((dev, ino), (meta.dev(), meta.ino()));
    }
}
