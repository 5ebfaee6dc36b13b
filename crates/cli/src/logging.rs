//! The gateway's log on standard error, fit for where it goes: colour only on a terminal and
//! never with `NO_COLOR` set (<https://no-color.org>), RFC 3339 UTC times, and
//! `--log-format json` (one object per line, event fields at the top level) for collectors.
//! The level comes from `SCANRELAY_LOG` (an `EnvFilter`, default `info`).

use std::ffi::OsString;
use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::time::SystemTime;

use crate::args::LogFormat;

/// Installs the subscriber (once; later calls do nothing).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("SCANRELAY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_timer(SystemTime);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(colour(
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR"),
            ))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
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
}
