//! Device accounts and the login check, independent of the protocol: SMTP AUTH and POP3 both
//! present a [`LoginAttempt`] and share the accounts and the failure counting
//! ([`AuthThrottle`]), so a device has one password and a guesser one lockout. A POP3 login
//! may also open a POP-before-SMTP window ([`PopGrants`]).

mod grants;
mod throttle;

use std::net::{IpAddr, Ipv6Addr};

use crate::settings::DeviceAccount;

pub(crate) use grants::PopGrants;
pub(crate) use throttle::AuthThrottle;

/// What a client presented to log in, whatever the protocol: a user name, and a check of a
/// candidate password (a plain password compares it, a challenge-response computes with it).
pub(crate) trait LoginAttempt {
    /// The user name given.
    fn user(&self) -> &str;
    /// Whether the attempt proves knowledge of `password` (constant time where it compares).
    fn proves(&self, password: &str) -> bool;
    /// Whether the attempt asks to act as someone else (a PLAIN authorization identity other
    /// than the user): refused, there is no proxy authorization.
    fn impersonates(&self) -> bool {
        false
    }
}

/// The `[[device]]` accounts.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeviceAccounts {
    devices: Vec<DeviceAccount>,
}

impl DeviceAccounts {
    pub fn new(devices: Vec<DeviceAccount>) -> DeviceAccounts {
        DeviceAccounts { devices }
    }

    /// Whether there is any account (AUTH is offered only then).
    pub fn any(&self) -> bool {
        !self.devices.is_empty()
    }

    /// The configured device whose user name is `user`, if any: what a failed login may log
    /// instead of the attempted name (which may be a password typed into the wrong field).
    pub fn named(&self, user: &str) -> Option<&str> {
        self.devices
            .iter()
            .find(|d| d.username == user)
            .map(|d| d.username.as_str())
    }

    /// The device whose `mailbox_address` is `address` (compared without regard to case), if
    /// any.
    pub fn mailbox_owner(&self, address: &str) -> Option<&str> {
        self.devices
            .iter()
            .find(|d| {
                d.mailbox_address
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(address))
            })
            .map(|d| d.username.as_str())
    }

    /// The `mailbox_address` of device `user`, if it has one.
    pub fn mailbox_of(&self, user: &str) -> Option<&str> {
        self.devices
            .iter()
            .find(|d| d.username == user)
            .and_then(|d| d.mailbox_address.as_deref())
    }

    /// The device the attempt proves, if any. Every account is checked, so the time taken
    /// does not tell which user names exist.
    pub fn verify(&self, attempt: &dyn LoginAttempt) -> Option<&str> {
        if attempt.impersonates() {
            return None;
        }
        let mut found = None;
        for device in &self.devices {
            let name_ok = device.username == attempt.user();
            let pass_ok = attempt.proves(&device.password);
            if name_ok && pass_ok {
                found = Some(device.username.as_str());
            }
        }
        found
    }
}

/// The unit a client is counted by: its canonical address (an IPv4-mapped IPv6 address as
/// IPv4), an IPv6 client by its /64, which one host or customer line typically owns whole.
pub(crate) fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A USER/PASS login as POP3 will present it.
    struct UserPass(&'static str, &'static str);

    impl LoginAttempt for UserPass {
        fn user(&self) -> &str {
            self.0
        }
        fn proves(&self, password: &str) -> bool {
            self.1 == password
        }
    }

    #[test]
    fn any_protocol_proves_the_same_accounts() {
        let accounts = DeviceAccounts::new(vec![
            DeviceAccount {
                username: "mfp-3f".into(),
                password: "secret-3f".into(),
                mailbox_address: Some("Scan-3F@office.test".into()),
            },
            DeviceAccount {
                username: "mfp-5f".into(),
                password: "secret-5f".into(),
                mailbox_address: None,
            },
        ]);
        let cases = [
            (UserPass("mfp-3f", "secret-3f"), Some("mfp-3f")),
            (UserPass("mfp-3f", "secret-5f"), None),
            (UserPass("nobody", "secret-3f"), None),
            (UserPass("mfp-5f", "secret-5f"), Some("mfp-5f")),
        ];
        for (attempt, want) in &cases {
            assert_eq!(accounts.verify(attempt), *want, "{}", attempt.0);
        }
        assert_eq!(accounts.named("mfp-5f"), Some("mfp-5f"));
        assert_eq!(accounts.named("secret-5f"), None);
        assert!(!DeviceAccounts::default().any());
        assert_eq!(
            accounts.mailbox_owner("scan-3f@OFFICE.test"),
            Some("mfp-3f")
        );
        assert_eq!(accounts.mailbox_owner("scan-5f@office.test"), None);
        assert_eq!(accounts.mailbox_of("mfp-3f"), Some("Scan-3F@office.test"));
        assert_eq!(accounts.mailbox_of("mfp-5f"), None);
    }
}
