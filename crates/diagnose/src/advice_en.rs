//! Generic advice in English, written for the person configuring the device's
//! Send > E-mail settings (server, port, SSL/STARTTLS, SMTP AUTH, user, password).

use crate::Cause;
use crate::advice::Text;

const fn t(summary: &'static str, fix: &'static str) -> Text {
    Text { summary, fix }
}

/// The provider-independent advice, one entry per cause (English).
pub(crate) static GENERIC: [(Cause, Text); 35] = [
    (
        Cause::Ok,
        t(
            "The server accepted the command; nothing is wrong at this step.",
            "No action needed. If the scan still does not arrive, look at the next step of the \
             connection check and at the recipient's spam folder.",
        ),
    ),
    (
        Cause::DnsNotFound,
        t(
            "The SMTP server name could not be found (DNS lookup failed).",
            "Check the spelling of the SMTP server in the device's E-mail settings (for example \
             smtp.gmail.com, not gmail.com) and check that the device's network settings have a \
             working DNS server.",
        ),
    ),
    (
        Cause::ConnectRefused,
        t(
            "The server refused the connection on this port.",
            "Check the SMTP port number: use 587 with STARTTLS or 465 with SSL, as the provider \
             documents. If the port is right, a firewall or the Internet provider is blocking \
             outgoing SMTP (port 25 is often blocked).",
        ),
    ),
    (
        Cause::ConnectTimeout,
        t(
            "The connection to the SMTP server timed out.",
            "Check that the device can reach the Internet (default gateway, DNS, proxy) and that \
             the firewall allows outgoing connections to the SMTP port. Try again later; if it \
             keeps failing, the port is blocked.",
        ),
    ),
    (
        Cause::ConnectNotSmtp,
        t(
            "The server on this port is not an SMTP server (it answers like a POP3, IMAP, web or \
             SSH server).",
            "The port number is probably wrong: use the provider's SMTP port for sending, 587 \
             with STARTTLS or 465 with SSL (25 only for a relay without login). Common mix-ups: \
             110 and 995 are POP3 (receiving mail), 143 and 993 are IMAP, 80 and 443 are the web \
             (HTTP/HTTPS), 22 is SSH. Also check that the SMTP server is the sending server (for \
             example smtp.gmail.com, not pop.gmail.com or imap.gmail.com).",
        ),
    ),
    (
        Cause::ConnectNotPop3,
        t(
            "The server on this port is not a POP3 server (it answers like an SMTP, IMAP, web \
             or SSH server).",
            "The port number is probably wrong: POP3 is 995 with SSL (implicit TLS) or 110 \
             with STLS. Common mix-ups: 25, 465 and 587 are SMTP (sending mail), 143 and 993 \
             are IMAP, 80 and 443 are the web. Also check that the server is the receiving \
             server (for example pop.gmail.com, not smtp.gmail.com).",
        ),
    ),
    (
        Cause::TlsModeMismatch,
        t(
            "The encryption setting does not match the port: the device and the server disagree \
             on SSL versus STARTTLS.",
            "Port 465 means SSL (implicit TLS, encrypted from the first byte); port 587 means \
             STARTTLS (a plain connection that switches to TLS). Never use SSL on port 587. Set \
             the port number and the SSL/STARTTLS option in the device's E-mail settings as a \
             matching pair.",
        ),
    ),
    (
        Cause::TlsHandshakeFailed,
        t(
            "The TLS (SSL) handshake with the server failed.",
            "Check that port and encryption match (465 = SSL, 587 = STARTTLS), update the device \
             firmware so that it supports TLS 1.2, and check the device's date and time. If the \
             device cannot be updated, let it send to the scanrelay gateway on the LAN: with its \
             old TLS (set [listen] tls_min_version = \"1.0\" in the gateway's config) or with \
             SSL/STARTTLS turned off (list the device's network in the gateway's \
             allow_networks); the gateway delivers to the provider with TLS 1.2 or newer.",
        ),
    ),
    (
        Cause::TlsVersionRejected,
        t(
            "The server refused the TLS version the device offered (TLS 1.0 and 1.1 are no longer \
             accepted).",
            "Update the device firmware and enable TLS 1.2 in its security (SSL/TLS) settings. A \
             device that only speaks TLS 1.0 or 1.1 can send to the scanrelay gateway on the LAN, \
             whose device listeners accept TLS 1.0/1.1 when the gateway's config says [listen] \
             tls_min_version = \"1.0\" (or \"1.1\"), and the gateway submits the mail upstream \
             with TLS 1.2 or newer.",
        ),
    ),
    (
        Cause::TlsCertificateUntrusted,
        t(
            "The server's certificate is not issued by an authority the device trusts.",
            "On the device: enter the provider's real SMTP host name as the SMTP server (not an IP \
             address or a local proxy), update its root certificates (firmware update) or import \
             the issuing CA certificate into its trusted certificates; turn certificate \
             verification off only as a last resort. If the server's certificate comes from a \
             private (company) CA: give that CA certificate to scanrelay check with --ca-file \
             and to the scanrelay gateway with `ca_file` in its [upstream] section; the device \
             still needs the same CA certificate imported.",
        ),
    ),
    (
        Cause::TlsHostnameMismatch,
        t(
            "The server's certificate is for a different name than the configured SMTP server.",
            "Enter the SMTP server exactly as the provider documents it (for example \
             smtp.office365.com), not as an IP address or an alias.",
        ),
    ),
    (
        Cause::TlsCertificateExpired,
        t(
            "The server's certificate is expired, or not yet valid according to the device's \
             clock.",
            "Check the device's date, time and time zone and set up NTP time synchronisation. If \
             the clock is right, the certificate really is expired: contact the mail server's \
             administrator.",
        ),
    ),
    (
        Cause::TlsStarttlsRequired,
        t(
            "The server requires encryption (STARTTLS) before login or sending, but the device \
             talked in plain text.",
            "Turn on SSL/TLS in the device's E-mail settings: STARTTLS with port 587, or SSL with \
             port 465.",
        ),
    ),
    (
        Cause::TlsStarttlsUnavailable,
        t(
            "The server does not offer STARTTLS on this port.",
            "Use the provider's submission port (587 with STARTTLS or 465 with SSL). For an \
             internal relay, ask its administrator to enable TLS; turn STARTTLS off on the device \
             only for a trusted relay on the LAN.",
        ),
    ),
    (
        Cause::AuthNotOffered,
        t(
            "The server did not offer SMTP authentication (AUTH) at this point.",
            "Most providers offer AUTH only after encryption: turn on SSL/STARTTLS (587 with \
             STARTTLS or 465 with SSL). If the server is an internal relay without login, turn \
             SMTP AUTH off on the device.",
        ),
    ),
    (
        Cause::AuthMechanismUnsupported,
        t(
            "The server does not support the login method (SASL mechanism) the device chose.",
            "Set the device's SMTP AUTH method to LOGIN or PLAIN (or Auto); most providers do not \
             offer CRAM-MD5 or NTLM.",
        ),
    ),
    (
        Cause::AuthRequired,
        t(
            "The server requires a login (SMTP AUTH) before sending, but the device did not log \
             in.",
            "Turn on SMTP AUTH in the device's E-mail settings and enter the user name (usually \
             the full e-mail address) and the password, then run the connection check and \
             confirm that the login succeeds.",
        ),
    ),
    (
        Cause::AuthAppPasswordRequired,
        t(
            "The account needs an app password: the normal account password is refused for SMTP.",
            "Turn on 2-Step Verification for the account, create an app password in the \
             account's security settings, and enter it without spaces as the SMTP AUTH password \
             on the device.",
        ),
    ),
    (
        Cause::AuthBadCredentials,
        t(
            "The server rejected the user name or password.",
            "Re-enter the SMTP AUTH user name (usually the full e-mail address) and the password \
             on the device. Many providers require an app password instead of the normal \
             password; if unsure, create a new app password and enter it.",
        ),
    ),
    (
        Cause::AuthSmtpAuthDisabled,
        t(
            "SMTP AUTH (login for sending) is turned off for this mailbox or organisation.",
            "Ask the mail administrator to enable SMTP AUTH (authenticated SMTP) for the sending \
             mailbox, or send through a relay that does not need a login.",
        ),
    ),
    (
        Cause::AuthBasicAuthDisabled,
        t(
            "Password (Basic) login is disabled for this account; the server only accepts OAuth2.",
            concat!(
                "Set the device to log in with OAuth2 (XOAUTH2) if it supports it. A device without \
                 OAuth2 can send through the scanrelay gateway on the LAN, which logs in upstream \
                 with OAuth2 for it (Microsoft and Google accounts): add an [[oauth]] account, set \
                 `auth = \"oauth2\"` and `oauth = \"NAME\"` in [upstream], and run `scanrelay \
                 oauth login NAME` once",
                name_note_en!(),
                ". Otherwise send through another account or relay service that accepts SMTP AUTH \
                 with a password or an app password, or ask the mail administrator for a relay that \
                 accepts the device without a login."
            ),
        ),
    ),
    (
        Cause::AuthOauthTokenRejected,
        t(
            "The server rejected the OAuth2 access token.",
            concat!(
                "Sign in again to get a new token; for the scanrelay gateway run `scanrelay oauth \
                 login NAME`",
                name_note_en!(),
                ". Check that the token is issued for sending mail (Google scope \
                 https://mail.google.com/, Microsoft https://outlook.office.com/SMTP.Send) and that \
                 the user in the login is the sending mailbox."
            ),
        ),
    ),
    (
        Cause::AuthTooManyAttempts,
        t(
            "Too many login attempts in a short time; the server is temporarily refusing logins.",
            "Wait 10 to 30 minutes before trying again and stop repeating a failing login (fix \
             the password first). Reduce the number of devices that log in with this account at \
             the same time.",
        ),
    ),
    (
        Cause::SenderNotAllowed,
        t(
            "The server does not allow this sender (From) address for the logged-in account.",
            "Set the device's sender e-mail address to exactly the address of the SMTP AUTH \
             account, or ask the administrator to allow that account to send as the other \
             address.",
        ),
    ),
    (
        Cause::RelayDenied,
        t(
            "The server refused to relay the mail for this device or sender.",
            "Turn on SMTP AUTH with a valid account, or ask the server's administrator to allow \
             relaying from the device's IP address. Also check that the sender address is in a \
             domain the server accepts.",
        ),
    ),
    (
        Cause::RecipientRejected,
        t(
            "The server rejected the recipient address.",
            "Check the destination address in the device's address book for typos and make sure \
             the mailbox exists; send a test to your own address.",
        ),
    ),
    (
        Cause::MessageTooLarge,
        t(
            "The scanned message is larger than the server accepts.",
            "Lower the scan resolution, scan in black and white or with higher compression, or \
             set the device's maximum data size for sending so that large jobs are divided. \
             E-mail encoding makes files about 37% larger.",
        ),
    ),
    (
        Cause::QuotaExceeded,
        t(
            "The account has reached its sending limit (messages or recipients per day).",
            "Wait until the limit resets (up to 24 hours) and send less; spread the devices over \
             several accounts or use the provider's relay service for devices.",
        ),
    ),
    (
        Cause::MailboxFull,
        t(
            "A mailbox involved is full (the recipient's, or the sender's own where sent mail is \
             stored).",
            "Free up space in the mailbox or raise its quota; for the sending account, empty Sent \
             Items and Deleted Items.",
        ),
    ),
    (
        Cause::RateLimited,
        t(
            "The server is throttling this account or connection: too many messages or \
             connections at once.",
            "Wait a few minutes and try again. Send fewer messages at once and do not let several \
             devices use the same account at the same time; the scanrelay gateway queues and \
             retries automatically.",
        ),
    ),
    (
        Cause::ServerTemporary,
        t(
            "The server reported a temporary problem.",
            "Try again in a few minutes; no setting needs to change unless the error keeps \
             coming back.",
        ),
    ),
    (
        Cause::SyntaxError,
        t(
            "The server did not understand a command or an address the device sent.",
            "Check the sender and recipient addresses for display names, spaces or non-ASCII \
             characters (enter a bare address such as user@example.com) and update the device \
             firmware. The scanrelay gateway accepts common device quirks (a space after MAIL \
             FROM:, an address without angle brackets) and passes the commands on in standard \
             form, so sending through it can help.",
        ),
    ),
    (
        Cause::PolicyRejected,
        t(
            "The server refused the message because of a security or content policy.",
            "Read the server's reply for the reason (spam filter, blocked attachment type, sender \
             reputation). Send a small test scan as PDF; if it is still refused, ask the mail \
             administrator to check the policy. If the reply names the client host, a blocklist \
             (\"blocked using\"), the reverse hostname or the HELO name, the server refuses the \
             device's network address or host name: send through the provider's submission \
             server with SMTP AUTH (port 587) instead of straight to port 25, or give the device \
             a fully qualified host name. If it says there are too many recipients, send the \
             scan to fewer recipients per message (split the list into several jobs).",
        ),
    ),
    (
        Cause::PopMailboxInUse,
        t(
            "The POP3 mailbox is in use by another session (another program or device is \
             fetching it).",
            "Wait for the other session to finish and try again. If it keeps happening, find \
             the other program or device that fetches this mailbox (a mail app, a phone, \
             another scanrelay fetch) and stop it or give it a longer interval.",
        ),
    ),
    (
        Cause::Unknown,
        t(
            "The reply does not match a known problem.",
            "Read the server's full reply, run the device's connection check again, and compare \
             server, port, SSL/STARTTLS, SMTP AUTH, user name and password with the provider's \
             settings.",
        ),
    ),
];

/// Fixes that replace the generic one when the connection was already encrypted (implicit
/// TLS or a completed STARTTLS), so "turn on SSL/STARTTLS" would be wrong (English).
pub(crate) static ENCRYPTED: [(Cause, &str); 1] = [(
    Cause::AuthNotOffered,
    "The connection is already encrypted and the server still offers no AUTH, so this port \
     does not accept logins: it is a relay or incoming-mail port (often port 25). To send with \
     a login, use the provider's submission port, 587 with STARTTLS or 465 with SSL. If the \
     server is an internal relay that accepts the device by its IP address, turn SMTP AUTH off \
     on the device.",
)];
