//! The human summary printed by `scanrelay serve --check-config`. Never shows a password.

use std::fmt::Write as _;
use std::time::Duration;

use super::validate::DEVICE_CREDENTIAL_LIMIT;
use crate::settings::{FromPolicy, ListenSettings, Settings, UpstreamKind, UpstreamSettings};

/// A multi-line, password-free description of what the gateway will run with.
pub fn summary(s: &Settings) -> String {
    let mut out = String::new();
    let l = &s.listen;
    let mut listeners = Vec::new();
    if let Some(a) = l.smtp {
        listeners.push(format!("smtp {a} (STARTTLS offered)"));
    }
    if let Some(a) = l.smtps {
        listeners.push(format!("smtps {a} (implicit TLS)"));
    }
    let nets: Vec<String> = l.allow_networks.iter().map(|n| n.to_string()).collect();
    line(&mut out, "listening", &listeners.join(", "));
    line(&mut out, "hostname", &l.hostname);
    line(
        &mut out,
        "relay without AUTH from",
        &or_none(&nets.join(", ")),
    );
    line(&mut out, "devices (AUTH)", &devices(s));
    let auth = if l.allow_plaintext_auth {
        "offered with and without TLS (allow_plaintext_auth = true)"
    } else {
        "offered only after STARTTLS or on smtps"
    };
    line(&mut out, "AUTH", auth);
    let mut tls = match &l.tls_cert {
        Some(cert) => format!("certificate {}", cert.display()),
        None => format!(
            "self-signed certificate under {} (generated on first start)",
            s.data_dir.join("tls").display()
        ),
    };
    if l.tls_min_version.allows_legacy() {
        tls.push_str(&format!(
            "; devices may use TLS {} and later (OpenSSL at security level 0)",
            l.tls_min_version
        ));
    }
    line(&mut out, "TLS", &tls);
    let limits = limits(l);
    line(&mut out, "limits", &limits);
    let throttle = format!(
        "after {} failed AUTH attempts from one address, AUTH from it is refused for {} (outside \
         allow_networks the address is refused altogether)",
        l.max_auth_failures,
        human(l.auth_lockout)
    );
    line(&mut out, "auth failures", &throttle);
    if s.upstreams.is_empty() {
        line(
            &mut out,
            "upstream",
            "none: mail is accepted and held; add [upstream] to the config to deliver it",
        );
    }
    for (i, up) in s.upstreams.iter().enumerate() {
        let label = if i == 0 {
            "upstream (default)"
        } else {
            "upstream"
        };
        line(&mut out, label, &upstream(up));
    }
    if !s.routing.devices.is_empty() || !s.routing.rules.is_empty() {
        line(&mut out, "routes", &routes(s));
    }
    line(&mut out, "oauth accounts", &oauth_accounts(s));
    delivery(&mut out, s);
    line(&mut out, "data dir", &s.data_dir.display().to_string());
    line(&mut out, "spool", &s.spool_dir.display().to_string());
    out
}

/// The listener limits, including those for clients outside `allow_networks`.
fn limits(l: &ListenSettings) -> String {
    let reserved = crate::listener::reserved_slots(l.max_connections);
    format!(
        "message {} bytes, {} recipients, {} connections (outside allow_networks: {} per \
     address, {} in all before AUTH, AUTH within {} of connecting), command timeout {}, data \
     timeout {}, session at most {}",
        l.max_message_size,
        l.max_recipients,
        l.max_connections,
        l.max_connections_per_ip,
        l.max_connections - reserved,
        human(l.unauthenticated_timeout),
        human(l.command_timeout),
        human(l.data_timeout),
        human(l.max_session_time)
    )
}

fn delivery(out: &mut String, s: &Settings) {
    let d = &s.delivery;
    let mut text = format!(
        "retry every {} to {}, give up after {}",
        human(d.retry_min),
        human(d.retry_max),
        human(d.max_age)
    );
    if let Some(admin) = &d.admin_notify {
        let _ = write!(text, ", failure notices also to {admin}");
    }
    line(out, "delivery", &text);
}

fn devices(s: &Settings) -> String {
    let names: Vec<String> = s
        .devices
        .iter()
        .map(|d| {
            let long = d.password.chars().count() > DEVICE_CREDENTIAL_LIMIT;
            let note = if long {
                " (password set; longer than many devices accept)"
            } else {
                " (password set)"
            };
            format!("{}{note}", d.username)
        })
        .collect();
    or_none(&names.join(", "))
}

fn upstream(up: &UpstreamSettings) -> String {
    let mut text = match &up.kind {
        UpstreamKind::Smtp => format!("{}: {}:{} ({})", up.name, up.server, up.port, up.tls),
        UpstreamKind::Graph { mailbox, graph_url } => {
            format!("{}: Microsoft Graph {graph_url} as {mailbox}", up.name)
        }
    };
    if let Some(p) = &up.provider {
        let _ = write!(text, ", preset {p}");
    }
    match (&up.username, &up.password, &up.oauth, &up.kind) {
        (_, _, Some(account), UpstreamKind::Graph { .. }) => {
            let _ = write!(text, ", token of oauth account {account}");
        }
        (Some(user), _, Some(account), _) => {
            let _ = write!(text, ", AUTH XOAUTH2 as {user} (oauth account {account})");
        }
        (Some(user), Some(_), None, _) => {
            let _ = write!(text, ", AUTH as {user} (password set)");
        }
        _ => text.push_str(", no AUTH"),
    }
    let pace = |n: Option<u32>, per: &str| n.map(|n| format!("{n} a {per}"));
    let pacing: Vec<String> = [
        pace(up.pacing.per_minute, "minute"),
        pace(up.pacing.per_day, "day"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !pacing.is_empty() {
        let _ = write!(text, ", at most {}", pacing.join(" and "));
    }
    let policy = match up.from_policy {
        FromPolicy::Rewrite => "rewrite",
        FromPolicy::Keep => "keep",
    };
    let _ = write!(
        text,
        ", from_policy {policy}, at most {} connections",
        up.max_connections
    );
    if let Some(ca) = &up.ca_file {
        let _ = write!(text, ", extra CA {}", ca.display());
    }
    text
}

/// Device accounts and `[[route]]` rules that choose an upstream.
fn routes(s: &Settings) -> String {
    let devices = s
        .routing
        .devices
        .iter()
        .map(|(user, up)| format!("device {user} -> {up}"));
    let rules = s.routing.rules.iter().map(|r| {
        let mut from: Vec<String> = r.networks.iter().map(ToString::to_string).collect();
        from.extend(r.senders.iter().cloned());
        format!("{} -> {}", from.join(", "), r.upstream)
    });
    devices.chain(rules).collect::<Vec<_>>().join("; ")
}

/// `[[oauth]]` accounts: name, provider, flow, scopes; never the secret (only that one is set).
fn oauth_accounts(s: &Settings) -> String {
    let list: Vec<String> = s
        .oauth
        .iter()
        .map(|a| {
            let mut text = format!("{} ({}", a.name, a.provider);
            if let Some(t) = &a.tenant {
                let _ = write!(text, " tenant {t}");
            }
            let _ = write!(text, ", {}, scopes {}", a.flow, a.scopes.join(" "));
            if a.client_secret.is_some() {
                text.push_str(", client secret set");
            }
            text.push(')');
            text
        })
        .collect();
    or_none(&list.join("; "))
}

fn line(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "{:<24} {value}", format!("{label}:"));
}

fn or_none(text: &str) -> String {
    if text.is_empty() {
        "none".to_string()
    } else {
        text.to_string()
    }
}

/// `300s` → `5m`, `432000s` → `5d`.
pub(crate) fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_millis() != 0 || secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}
