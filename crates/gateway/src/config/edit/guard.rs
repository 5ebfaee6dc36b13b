//! The console's own rule against an open relay, on top of the config's: when a change through
//! the console touches a listener address or `allow_networks`, a listener reachable from other
//! hosts may not let a wide public network send without AUTH.
//!
//! The config refuses an allow list that covers every address (`0.0.0.0/0`, `::/0`, or halves
//! that add up to it). That leaves `0.0.0.0/1` or `8.0.0.0/8`: most of the Internet, still an
//! open relay in practice. Such a list in a hand-written file still loads (some sites have
//! their devices on public addresses); the console just does not write one. A public network
//! of a /16 or narrower (IPv6: /48) is allowed: an organisation's own address block.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::fields::ListenField;
use super::{Change, FieldError, Form};
use crate::settings::Settings;

/// Widest public IPv4 network an allow list may hold (as a prefix length).
const WIDEST_PUBLIC_V4: u8 = 16;
/// Widest public IPv6 network.
const WIDEST_PUBLIC_V6: u8 = 48;

/// Address ranges that are not reachable from the Internet.
const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
];

/// The error for the first too-wide public network, when `changes` (those not `skipped`)
/// touch the listener side and a listener is reachable from other hosts.
pub(super) fn check(
    settings: &Settings,
    changes: &[Change],
    skipped: &[bool],
) -> Option<FieldError> {
    let touches = changes.iter().zip(skipped).any(|(c, &skip)| {
        !skip
            && matches!(
                c,
                Change::Listen(
                    ListenField::Smtp | ListenField::Smtps | ListenField::AllowNetworks,
                    _
                )
            )
    });
    let listen = &settings.listen;
    let exposed = [("listen.smtp", listen.smtp), ("listen.smtps", listen.smtps)]
        .into_iter()
        .find_map(|(key, addr)| addr.filter(|a| !a.ip().is_loopback()).map(|a| (key, a)));
    let (key, addr) = exposed.filter(|_| touches)?;
    let wide = too_wide(&listen.allow_networks)?;
    Some(FieldError {
        form: Form::Listen,
        field: Some("allow_networks".into()),
        key: Some("listen.allow_networks".into()),
        message: format!(
            "refusing to save: {wide} holds public Internet addresses and is wider than a \
             /{WIDEST_PUBLIC_V4} (IPv6: /{WIDEST_PUBLIC_V6}), and {key} = \"{addr}\" is reachable \
             from other hosts, so anyone in that range could send mail through your upstream \
             account without a password (an open relay). List only the networks your devices \
             are on (e.g. \"192.168.1.0/24\"), or give the devices [[device]] accounts"
        ),
    })
}

/// The first network (after merging neighbours) that is public and wider than allowed.
fn too_wide(nets: &[IpNet]) -> Option<IpNet> {
    let private: Vec<IpNet> = PRIVATE.iter().map(|p| p.parse().expect("valid")).collect();
    let v4: Vec<Ipv4Net> = nets
        .iter()
        .filter_map(|n| match n {
            IpNet::V4(n) => Some(*n),
            IpNet::V6(_) => None,
        })
        .collect();
    let v6: Vec<Ipv6Net> = nets
        .iter()
        .filter_map(|n| match n {
            IpNet::V6(n) => Some(*n),
            IpNet::V4(_) => None,
        })
        .collect();
    let merged = Ipv4Net::aggregate(&v4)
        .into_iter()
        .map(IpNet::V4)
        .chain(Ipv6Net::aggregate(&v6).into_iter().map(IpNet::V6));
    merged.into_iter().find(|net| {
        let limit = match net {
            IpNet::V4(_) => WIDEST_PUBLIC_V4,
            IpNet::V6(_) => WIDEST_PUBLIC_V6,
        };
        net.prefix_len() < limit && !private.iter().any(|p| p.contains(net))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_public_networks_are_found() {
        let cases: &[(&[&str], Option<&str>)] = &[
            (&["192.168.0.0/16", "10.0.0.0/8"], None),
            (&["130.1.0.0/16"], None),
            (&["0.0.0.0/1"], Some("0.0.0.0/1")),
            (&["8.0.0.0/8"], Some("8.0.0.0/8")),
            (&["130.0.0.0/16", "130.1.0.0/16"], Some("130.0.0.0/15")),
            (&["2001:db8::/32"], Some("2001:db8::/32")),
            (&["2001:db8:1::/48", "fd00::/8"], None),
            (&["100.64.0.0/10", "172.16.0.0/12"], None),
        ];
        for (list, want) in cases {
            let nets: Vec<IpNet> = list.iter().map(|s| s.parse().unwrap()).collect();
            assert_eq!(
                too_wide(&nets).map(|n| n.to_string()).as_deref(),
                *want,
                "{list:?}"
            );
        }
    }
}
