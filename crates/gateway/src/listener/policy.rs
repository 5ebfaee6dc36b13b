//! Who may relay: the `allow_networks` rule and the device accounts (see `crate::accounts`),
//! and SMTP AUTH's credentials as a protocol-neutral login attempt.
//!
//! The relay rule is the whole "never an open relay" promise: a client may relay only if its
//! address is in `allow_networks` or it authenticated as a `[[device]]`. Everything else gets a
//! refusal at RCPT, so nothing is ever queued for it.

use std::net::IpAddr;

use ipnet::IpNet;
use scanrelay_proto::Reply;
use scanrelay_proto::server::{ServerCredentials, replies};

use crate::accounts::{DeviceAccounts, LoginAttempt};
use crate::settings::DeviceAccount;

/// The relay decision and the device table.
#[derive(Debug)]
pub(crate) struct RelayPolicy {
    allow: Vec<IpNet>,
    accounts: DeviceAccounts,
}

impl RelayPolicy {
    pub fn new(allow: Vec<IpNet>, devices: Vec<DeviceAccount>) -> RelayPolicy {
        RelayPolicy {
            allow,
            accounts: DeviceAccounts::new(devices),
        }
    }

    /// Whether AUTH is offered at all (there are device accounts).
    pub fn auth_enabled(&self) -> bool {
        self.accounts.any()
    }

    /// Whether a client at `ip` may relay without authenticating. IPv4-mapped IPv6 addresses
    /// (a dual-stack listener) count as their IPv4 address.
    pub fn allowed_network(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.allow.iter().any(|net| net.contains(&ip))
    }

    /// The RCPT verdict: `Ok` for an allowed network or an authenticated device, else
    /// `530 5.7.0` when AUTH could help, `550 5.7.1` when it could not.
    pub fn rcpt_verdict(&self, ip: IpAddr, authenticated: bool) -> Result<(), Reply> {
        if authenticated || self.allowed_network(ip) {
            Ok(())
        } else if self.auth_enabled() {
            Err(replies::auth_required())
        } else {
            Err(replies::relay_denied())
        }
    }

    /// The configured device whose user name is `user`, if any.
    pub fn device_named(&self, user: &str) -> Option<&str> {
        self.accounts.named(user)
    }

    /// The device the credentials prove, if any (see `DeviceAccounts::verify`).
    pub fn verify(&self, creds: &dyn LoginAttempt) -> Option<&str> {
        self.accounts.verify(creds)
    }

    /// The device accounts (mailboxes).
    pub fn accounts(&self) -> &DeviceAccounts {
        &self.accounts
    }
}

/// Whether a recipient may join the open transaction: mail for a device mailbox is kept
/// (not relayed), so it goes in a transaction of its own, with that one mailbox as its only
/// recipient; otherwise `452 4.5.3`, which RFC 5321 §4.5.3.1.10 has clients send again in a
/// separate transaction. `kept_for`: the mailbox the transaction already holds, if any;
/// `relayed`: whether it already has recipients to relay; `mailbox`: whether this recipient
/// is a mailbox address.
pub(crate) fn recipient_fits(
    kept_for: Option<&str>,
    relayed: bool,
    rcpt: &str,
    mailbox: bool,
) -> Result<(), Reply> {
    let fits = match kept_for {
        Some(kept) => mailbox && kept.eq_ignore_ascii_case(rcpt),
        None => !(mailbox && relayed),
    };
    if fits {
        Ok(())
    } else {
        Err(Reply::new(
            452,
            "4.5.3 Too many recipients: mail for a device mailbox goes in a message of its own, \
             send the rest separately",
        ))
    }
}

/// SMTP AUTH's credentials (PLAIN, LOGIN, CRAM-MD5) as a login attempt.
impl LoginAttempt for ServerCredentials {
    fn user(&self) -> &str {
        ServerCredentials::user(self)
    }

    fn proves(&self, password: &str) -> bool {
        self.verify_password(password)
    }

    fn impersonates(&self) -> bool {
        matches!(self, ServerCredentials::Plain { authzid: Some(authzid), user, .. } if authzid != user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(devices: &[(&str, &str)]) -> RelayPolicy {
        let devices = devices
            .iter()
            .map(|(u, p)| DeviceAccount {
                username: u.to_string(),
                password: p.to_string(),
                mailbox_address: None,
            })
            .collect();
        RelayPolicy::new(vec!["10.0.0.0/8".parse().unwrap()], devices)
    }

    #[test]
    fn relay_rule() {
        let open = policy(&[]);
        let lan: IpAddr = "10.1.2.3".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        let outside: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(open.rcpt_verdict(lan, false).is_ok());
        assert!(open.rcpt_verdict(mapped, false).is_ok());
        assert_eq!(open.rcpt_verdict(outside, false).unwrap_err().code, 550);
        let with_auth = policy(&[("mfp", "pw")]);
        assert_eq!(
            with_auth.rcpt_verdict(outside, false).unwrap_err().code,
            530
        );
        assert!(with_auth.rcpt_verdict(outside, true).is_ok());
    }

    #[test]
    fn a_mailbox_recipient_gets_a_transaction_of_its_own() {
        let mb = "scan@office.test";
        // (mailbox held, relay recipients held, recipient, is a mailbox, fits)
        let cases = [
            (None, false, mb, true, true),
            (None, false, "x@example.com", false, true),
            (None, true, "y@example.com", false, true),
            (None, true, mb, true, false),
            (Some(mb), false, "SCAN@office.test", true, true),
            (Some(mb), false, "other@office.test", true, false),
            (Some(mb), false, "x@example.com", false, false),
        ];
        for (kept, relayed, rcpt, mailbox, fits) in cases {
            let verdict = recipient_fits(kept, relayed, rcpt, mailbox);
            assert_eq!(verdict.is_ok(), fits, "{kept:?} {relayed} {rcpt}");
            if let Err(reply) = verdict {
                assert_eq!(reply.code, 452);
            }
        }
    }

    #[test]
    fn credentials() {
        let p = policy(&[("mfp", "secret"), ("other", "pw2")]);
        let login = |user: &str, password: &str| ServerCredentials::Login {
            user: user.into(),
            password: password.into(),
        };
        assert_eq!(p.verify(&login("mfp", "secret")), Some("mfp"));
        assert_eq!(p.verify(&login("mfp", "pw2")), None);
        assert_eq!(p.verify(&login("nobody", "secret")), None);
        let proxy = ServerCredentials::Plain {
            authzid: Some("other".into()),
            user: "mfp".into(),
            password: "secret".into(),
        };
        assert_eq!(p.verify(&proxy), None);
    }
}
