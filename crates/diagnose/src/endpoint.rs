//! Where to connect, from what a person wrote and a provider preset: the one rule for the port
//! and TLS mode, used by `check`, by the gateway's upstreams (and by `send` and `fetch` as
//! they come), so that `check` tests exactly what the gateway will use.

use scanrelay_proto::TlsMode;

use crate::providers::Provider;

/// The port and TLS mode from what was written (`port`, `tls`), the `preset`, and the usual
/// pairings: a port alone takes the preset's mode for it (its main or an alternative port),
/// else implicit TLS for 465 and STARTTLS for anything else (25 included: a password never goes
/// out in clear unless `tls = none` says so); a mode alone takes the preset's port for it, else
/// 465, 587 or 25; neither takes the preset's main endpoint, else 587 with STARTTLS.
///
/// ```
/// use scanrelay_diagnose::{port_and_tls, provider};
/// use scanrelay_proto::TlsMode;
///
/// let gmail = provider("gmail");
/// assert_eq!(port_and_tls(gmail, None, None), (587, TlsMode::StartTls));
/// assert_eq!(port_and_tls(gmail, Some(465), None), (465, TlsMode::Implicit));
/// assert_eq!(port_and_tls(None, Some(2525), None), (2525, TlsMode::StartTls));
/// assert_eq!(port_and_tls(None, None, Some(TlsMode::None)), (25, TlsMode::None));
/// ```
pub fn port_and_tls(
    preset: Option<&Provider>,
    port: Option<u16>,
    tls: Option<TlsMode>,
) -> (u16, TlsMode) {
    let pairs = |p: &Provider| {
        std::iter::once((p.port, p.tls))
            .chain(p.alt_ports.iter().copied())
            .collect::<Vec<_>>()
    };
    let preset_tls = |port: u16| {
        preset.and_then(|p| {
            pairs(p)
                .into_iter()
                .find(|&(pp, _)| pp == port)
                .map(|(_, t)| t)
        })
    };
    let preset_port = |tls: TlsMode| {
        preset.and_then(|p| {
            pairs(p)
                .into_iter()
                .find(|&(_, t)| t == tls)
                .map(|(pp, _)| pp)
        })
    };
    match (port, tls) {
        (Some(port), Some(tls)) => (port, tls),
        (Some(port), None) => {
            let usual = if port == 465 {
                TlsMode::Implicit
            } else {
                TlsMode::StartTls
            };
            (port, preset_tls(port).unwrap_or(usual))
        }
        (None, Some(tls)) => (preset_port(tls).unwrap_or(default_port(tls)), tls),
        (None, None) => preset.map_or((587, TlsMode::StartTls), |p| (p.port, p.tls)),
    }
}

/// The usual port of a TLS mode: 465, 587 or 25.
pub fn default_port(tls: TlsMode) -> u16 {
    match tls {
        TlsMode::Implicit => 465,
        TlsMode::StartTls => 587,
        TlsMode::None => 25,
    }
}

/// The port and TLS mode of a POP3 server from what was written: a port alone takes implicit
/// TLS for 995 and `STLS` for anything else (110 included: a password never goes out in clear
/// unless `tls = none` says so); a mode alone takes 995 for implicit TLS, else 110; neither
/// takes 995 with implicit TLS (what Gmail, Naver and Microsoft 365 offer).
///
/// ```
/// use scanrelay_diagnose::pop3_port_and_tls;
/// use scanrelay_proto::TlsMode;
///
/// assert_eq!(pop3_port_and_tls(None, None), (995, TlsMode::Implicit));
/// assert_eq!(pop3_port_and_tls(Some(110), None), (110, TlsMode::StartTls));
/// assert_eq!(pop3_port_and_tls(None, Some(TlsMode::StartTls)), (110, TlsMode::StartTls));
/// assert_eq!(pop3_port_and_tls(Some(1995), Some(TlsMode::Implicit)), (1995, TlsMode::Implicit));
/// ```
pub fn pop3_port_and_tls(port: Option<u16>, tls: Option<TlsMode>) -> (u16, TlsMode) {
    match (port, tls) {
        (Some(port), Some(tls)) => (port, tls),
        (Some(995), None) => (995, TlsMode::Implicit),
        (Some(port), None) => (port, TlsMode::StartTls),
        (None, Some(TlsMode::Implicit)) => (995, TlsMode::Implicit),
        (None, Some(tls)) => (110, tls),
        (None, None) => (995, TlsMode::Implicit),
    }
}
