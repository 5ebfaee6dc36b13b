//! Texts built from gateway values in the page's language: times (local with the UTC offset,
//! and relative), a message's next try, state names. They use the same
//! [`scanrelay_gateway::queue`] pieces as `scanrelay queue show` ([`Clock`], [`NextTry`]), so
//! the console and the CLI say the same thing (in English word for word, except that the
//! console names its Retry button where the CLI names its command).

use scanrelay_diagnose::{Provider, provider, provider_by_host};
use scanrelay_gateway::queue::{Clock, NextTry};
use scanrelay_gateway::settings::Settings;
use scanrelay_spool::{Entry, HoldReason, State};

use crate::i18n::{Texts, fill};

/// `in 4m` / `5m ago` / `now` in the page's language.
pub fn relative(clock: &Clock, t: &Texts, unix: u64) -> String {
    let english = clock.relative(unix);
    if let Some(span) = english.strip_prefix("in ") {
        fill(t.in_future, &[("d", span)])
    } else if let Some(span) = english.strip_suffix(" ago") {
        fill(t.ago, &[("d", span)])
    } else {
        t.next_now.to_string()
    }
}

/// `2026-12-04 17:06:18 +01:00 (in 4m)`.
pub fn when(clock: &Clock, t: &Texts, unix: u64) -> String {
    format!("{} ({})", clock.local(unix), relative(clock, t, unix))
}

/// When `entry` is tried next, as `queue show` says it.
pub fn next_try(entry: &Entry, clock: &Clock, t: &Texts) -> String {
    match NextTry::of(entry) {
        NextTry::Held(HoldReason::NoUpstream) => t.next_held_no_upstream.to_string(),
        NextTry::Held(HoldReason::Login) => t.next_held_login.to_string(),
        NextTry::Held(HoldReason::Setup) => t.next_held_setup.to_string(),
        NextTry::Paced(at) => fill(t.next_paced, &[("t", &when(clock, t, at))]),
        NextTry::Sending => t.next_sending.to_string(),
        NextTry::Never => t.next_never.to_string(),
        NextTry::At(at) if at <= clock.now => t.next_now.to_string(),
        NextTry::At(at) => when(clock, t, at),
    }
}

/// The short form for lists: `held`, `sending`, `-`, `now`, `in 4m`.
pub fn next_short(entry: &Entry, clock: &Clock, t: &Texts) -> String {
    match NextTry::of(entry) {
        NextTry::Held(_) => t.state_waiting.to_string(),
        NextTry::Sending => t.state_sending.to_string(),
        NextTry::Never => t.none.to_string(),
        NextTry::At(at) | NextTry::Paced(at) if at <= clock.now => t.next_now.to_string(),
        NextTry::At(at) | NextTry::Paced(at) => relative(clock, t, at),
    }
}

/// A state's name in the page's language.
pub fn state_label(t: &Texts, state: State) -> &'static str {
    match state {
        State::Queued => t.state_queued,
        State::Waiting => t.state_waiting,
        State::Deferred => t.state_deferred,
        State::Paced => t.state_paced,
        State::Sending => t.state_sending,
        State::Delivered => t.state_delivered,
        State::Failed => t.state_failed,
    }
}

/// The provider preset of the upstream `name` (the default upstream for `None`), for the
/// provider-specific fix of a cause.
pub fn provider_of(settings: &Settings, name: Option<&str>) -> Option<&'static Provider> {
    let upstream = match name {
        Some(name) => settings.upstreams.iter().find(|u| u.name == name),
        None => settings.default_upstream(),
    }?;
    match &upstream.provider {
        Some(name) => provider(name),
        None => provider_by_host(&upstream.server),
    }
}

/// The device's IP address from the envelope's `client_addr` (`192.0.2.7:51234`,
/// `[2001:db8::7]:51234`).
pub fn client_ip(client_addr: &str) -> &str {
    match client_addr.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.is_empty() => {
            host.trim_start_matches('[').trim_end_matches(']')
        }
        _ => client_addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ips() {
        for (addr, ip) in [
            ("192.0.2.7:51234", "192.0.2.7"),
            ("[2001:db8::7]:51234", "2001:db8::7"),
            ("192.0.2.7", "192.0.2.7"),
            ("localhost", "localhost"),
        ] {
            assert_eq!(client_ip(addr), ip);
        }
    }

    #[test]
    fn english_relative_times_match_the_cli() {
        let clock = Clock::at(1_000_000, jiff::tz::TimeZone::UTC);
        for at in [1_000_000, 1_000_045, 1_000_000 + 7500, 999_700] {
            assert_eq!(relative(&clock, &crate::i18n::EN, at), clock.relative(at));
        }
        assert_eq!(relative(&clock, &crate::i18n::KO, 1_000_045), "45s 후");
    }
}
