//! Which upstream a message leaves through, chosen when it is accepted and stored in its
//! envelope (`route`), so a config change later does not move mail already queued.
//!
//! In order: the device account it authenticated as (`[[device]] upstream = NAME`), then the
//! first `[[route]]` whose `networks` contain the client's address and whose `senders` match
//! the envelope sender (a rule may have either or both), then the default upstream. Offices use
//! this when each department's scans must leave from its own mailbox.

use std::net::IpAddr;

use ipnet::IpNet;

/// One `[[route]]` rule. Both conditions must hold when both are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    /// Client networks; empty matches every client.
    pub networks: Vec<IpNet>,
    /// Envelope-sender patterns: an address (`boss@example.com`), a domain (`@sales.example.com`
    /// or `*@sales.example.com`), compared without regard to case; empty matches every sender.
    pub senders: Vec<String>,
    /// The upstream's name.
    pub upstream: String,
}

impl RouteRule {
    /// Whether the rule takes a message from `client` with envelope sender `mail_from`.
    pub fn matches(&self, client: IpAddr, mail_from: &str) -> bool {
        let client = client.to_canonical();
        let network_ok =
            self.networks.is_empty() || self.networks.iter().any(|n| n.contains(&client));
        let sender_ok =
            self.senders.is_empty() || self.senders.iter().any(|p| sender_matches(p, mail_from));
        network_ok && sender_ok
    }
}

/// Whether `mail_from` matches the sender pattern `pattern`.
fn sender_matches(pattern: &str, mail_from: &str) -> bool {
    let pattern = pattern.trim();
    let domain_pattern = pattern
        .strip_prefix("*@")
        .or_else(|| pattern.strip_prefix('@'));
    match domain_pattern {
        Some(domain) => mail_from
            .rsplit_once('@')
            .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain)),
        None => mail_from.eq_ignore_ascii_case(pattern),
    }
}

/// The routing table of a running gateway.
#[derive(Debug, Clone, Default)]
pub struct Router {
    /// `(device user name, upstream)`.
    pub devices: Vec<(String, String)>,
    /// The `[[route]]` rules, in order.
    pub rules: Vec<RouteRule>,
}

impl Router {
    /// The upstream for a message, or `None` for the default one.
    pub fn route(
        &self,
        auth_user: Option<&str>,
        client: IpAddr,
        mail_from: &str,
    ) -> Option<String> {
        if let Some(user) = auth_user
            && let Some((_, upstream)) = self.devices.iter().find(|(u, _)| u == user)
        {
            return Some(upstream.clone());
        }
        self.rules
            .iter()
            .find(|r| r.matches(client, mail_from))
            .map(|r| r.upstream.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router {
            devices: vec![("mfp-hr".into(), "hr".into())],
            rules: vec![
                RouteRule {
                    networks: vec!["192.168.20.0/24".parse().unwrap()],
                    senders: vec![],
                    upstream: "sales".into(),
                },
                RouteRule {
                    networks: vec![],
                    senders: vec!["*@finance.example.com".into(), "boss@example.com".into()],
                    upstream: "finance".into(),
                },
                RouteRule {
                    networks: vec!["10.0.0.0/8".parse().unwrap()],
                    senders: vec!["@lab.example.com".into()],
                    upstream: "lab".into(),
                },
            ],
        }
    }

    #[test]
    fn device_then_rules_in_order_then_default() {
        let r = router();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let cases = [
            (Some("mfp-hr"), "192.168.20.5", "x@example.com", Some("hr")),
            (
                Some("other"),
                "192.168.20.5",
                "x@example.com",
                Some("sales"),
            ),
            (None, "::ffff:192.168.20.9", "x@example.com", Some("sales")),
            (
                None,
                "192.168.30.1",
                "Kim@FINANCE.example.com",
                Some("finance"),
            ),
            (None, "192.168.30.1", "BOSS@example.com", Some("finance")),
            (None, "10.1.2.3", "a@lab.example.com", Some("lab")),
            (None, "10.1.2.3", "a@example.com", None),
            (None, "192.168.30.1", "", None),
        ];
        for (user, client, from, want) in cases {
            assert_eq!(
                r.route(user, ip(client), from).as_deref(),
                want,
                "{user:?} {client} {from}"
            );
        }
    }
}
