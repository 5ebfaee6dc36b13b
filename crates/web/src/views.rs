//! Texts built from gateway values in the page's language: times (local with the UTC offset,
//! and relative), a message's next try, state names. They use the same
//! [`scanrelay_gateway::queue`] pieces as `scanrelay queue show` ([`Clock`], [`NextTry`]), so
//! the console and the CLI say the same thing (in English word for word, except that the
//! console names its Retry button where the CLI names its command).

use scanrelay_diagnose::{Advice, Cause, Lang, Provider, advise, provider, provider_by_host};
use scanrelay_gateway::control::{EventKind, GatewayEvent};
use scanrelay_gateway::queue::{Clock, NextTry, shown};
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

/// An event as one line in the page's language, with its kind (`accepted`, `failed`, ...)
/// for styling. Texts from clients and servers pass through [`shown`].
pub fn event_line(event: &GatewayEvent, t: &Texts) -> (&'static str, String) {
    let s = |text: &str| shown(text);
    match &event.kind {
        EventKind::Accepted {
            id,
            client,
            helo,
            size,
            rcpts,
            ..
        } => (
            "accepted",
            fill(
                t.ev_accepted,
                &[
                    ("id", id),
                    ("client", &client.to_string()),
                    ("helo", &s(helo)),
                    ("rcpts", &rcpts.to_string()),
                    ("size", &size.to_string()),
                ],
            ),
        ),
        EventKind::Delivered {
            id,
            upstream,
            latency_ms,
        } => (
            "delivered",
            fill(
                t.ev_delivered,
                &[
                    ("id", id),
                    ("upstream", upstream),
                    ("ms", &latency_ms.to_string()),
                ],
            ),
        ),
        EventKind::Deferred {
            id,
            upstream,
            cause,
            reply,
        } => (
            "deferred",
            fill(
                t.ev_deferred,
                &[
                    ("id", id),
                    ("upstream", upstream),
                    ("cause", cause),
                    ("reply", &s(reply)),
                ],
            ),
        ),
        EventKind::Failed {
            id,
            upstream,
            cause,
            reply,
        } => (
            "failed",
            fill(
                t.ev_failed,
                &[
                    ("id", id),
                    ("upstream", upstream),
                    ("cause", cause),
                    ("reply", &s(reply)),
                ],
            ),
        ),
        EventKind::Held {
            id,
            upstream,
            cause,
        } => (
            "held",
            fill(
                t.ev_held,
                &[("id", id), ("upstream", upstream), ("cause", cause)],
            ),
        ),
        other => other_line(other, t),
    }
}

/// [`event_line`] for the events that are not about one message.
fn other_line(kind: &EventKind, t: &Texts) -> (&'static str, String) {
    match kind {
        EventKind::AuthFailed {
            client,
            device,
            listener,
        } => {
            let client = client.to_string();
            let text = match device {
                Some(device) => fill(
                    t.ev_auth_failed,
                    &[
                        ("client", &client),
                        ("device", &shown(device)),
                        ("listener", listener),
                    ],
                ),
                None => fill(
                    t.ev_auth_failed_unknown,
                    &[("client", &client), ("listener", listener)],
                ),
            };
            ("auth_failed", text)
        }
        EventKind::Reloaded {
            applied,
            needs_restart,
        } => {
            let mut text = fill(t.ev_reloaded, &[("applied", &applied.join(", "))]);
            if !needs_restart.is_empty() {
                text.push_str("; ");
                text.push_str(&fill(
                    t.ev_needs_restart,
                    &[("keys", &needs_restart.join(", "))],
                ));
            }
            ("reloaded", text)
        }
        EventKind::ReloadFailed { error } => (
            "reload_failed",
            fill(t.ev_reload_failed, &[("error", &shown(error))]),
        ),
        // The message events are handled by `event_line`.
        _ => ("other", String::new()),
    }
}

/// The cause of a failure event with its advice in `lang` (the provider's fix when the
/// upstream has a preset), if the event is a failure with a known cause code.
pub fn failure_advice(
    event: &GatewayEvent,
    settings: &Settings,
    lang: Lang,
) -> Option<(String, Advice)> {
    let (upstream, code) = match &event.kind {
        EventKind::Deferred {
            upstream, cause, ..
        }
        | EventKind::Failed {
            upstream, cause, ..
        }
        | EventKind::Held {
            upstream, cause, ..
        } => (upstream, cause),
        _ => return None,
    };
    let cause: Cause = code.parse().ok()?;
    let provider = provider_of(settings, Some(upstream));
    let advice = advise(cause, provider, lang);
    let account = settings
        .upstreams
        .iter()
        .find(|u| u.name == *upstream)
        .and_then(|u| u.oauth.as_deref());
    let advice = match account {
        Some(name) => advice.with_account(name),
        None => advice,
    };
    Some((code.clone(), advice))
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
