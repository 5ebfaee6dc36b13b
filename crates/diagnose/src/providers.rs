//! Presets for the mail providers that MFPs most often send through, and recognising a
//! provider from a host name or from the text of its replies.
//!
//! Facts come from `providers.md` (provider documentation, Thunderbird ISPDB and dated
//! protocol captures). Size limits are the EHLO `SIZE` seen in captures: read the live
//! value at run time rather than trusting these.

use scanrelay_proto::TlsMode;

/// The company behind a provider; advice is usually the same within a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderFamily {
    /// Gmail, Google Workspace, smtp-relay.gmail.com.
    Google,
    /// Microsoft 365 (Exchange Online) and Outlook.com.
    Microsoft,
    /// Naver (네이버).
    Naver,
    /// Daum / Hanmail (다음).
    Daum,
    /// Kakao Mail (카카오).
    Kakao,
    /// Yahoo Mail.
    Yahoo,
    /// iCloud Mail.
    Icloud,
    /// Zoho Mail.
    Zoho,
}

/// What kind of password the provider accepts for SMTP AUTH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppPasswordRule {
    /// Google: a 16-letter app password (shown as four groups of four); 2-Step Verification
    /// must be on.
    Google16,
    /// An app-specific password (or the 2-step-verification password) is required; the
    /// format is not fixed.
    Required,
    /// The normal password works unless the account has 2-step verification.
    Optional,
    /// No password login for third-party apps at all: OAuth2 only.
    OauthOnly,
}

/// One provider preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// Stable id: `gmail`, `workspace`, `gmail-relay`, `naver`, `daum`, `kakao`, `outlook`,
    /// `m365`, `yahoo`, `icloud`, `zoho`.
    pub id: &'static str,
    /// Display name in English.
    pub name: &'static str,
    /// Display name in Korean.
    pub name_ko: &'static str,
    /// The SMTP submission host to configure on the device.
    pub host: &'static str,
    /// The recommended port.
    pub port: u16,
    /// How the recommended port is secured.
    pub tls: TlsMode,
    /// The company behind it.
    pub family: ProviderFamily,
    /// Other documented port/TLS combinations.
    pub alt_ports: &'static [(u16, TlsMode)],
    /// EHLO `SIZE` (bytes, after base64 encoding) seen in captures, if known.
    pub size_limit: Option<u64>,
    /// Maximum simultaneous SMTP connections per mailbox, if documented (Microsoft 365: 3).
    pub max_concurrency: Option<u8>,
    /// Messages a minute the provider accepts from one mailbox, if documented (Microsoft 365:
    /// 30, throttled beyond). The gateway paces to it by default.
    pub per_minute: Option<u32>,
    /// Messages a day, if documented (Gmail about 500, Google Workspace 2,000, the Workspace
    /// relay 10,000 per user). The gateway paces to it by default.
    pub per_day: Option<u32>,
    /// Which password SMTP AUTH wants.
    pub app_password: AppPasswordRule,
    /// Whether SMTP XOAUTH2 / OAUTHBEARER can be used.
    pub oauth2: bool,
    /// What to enter as the SMTP AUTH user name.
    pub username_hint: &'static str,
    /// Which sender (From) addresses are accepted.
    pub from_rule: &'static str,
}

impl Provider {
    /// The display name in the given language.
    pub fn display_name(&self, lang: crate::Lang) -> &'static str {
        match lang {
            crate::Lang::En => self.name,
            crate::Lang::Ko => self.name_ko,
        }
    }
}

const GOOGLE_FROM: &str = "Rewritten to the account unless it is a verified 'Send mail as' alias";

static PROVIDERS: &[Provider] = &[
    Provider {
        id: "gmail",
        name: "Gmail",
        name_ko: "Gmail",
        host: "smtp.gmail.com",
        port: 587,
        tls: TlsMode::StartTls,
        family: ProviderFamily::Google,
        alt_ports: &[(465, TlsMode::Implicit)],
        size_limit: Some(35_882_577),
        max_concurrency: None,
        per_minute: None,
        per_day: Some(500),
        app_password: AppPasswordRule::Google16,
        oauth2: true,
        username_hint: "the full Gmail address",
        from_rule: GOOGLE_FROM,
    },
    Provider {
        id: "workspace",
        name: "Google Workspace",
        name_ko: "Google Workspace",
        host: "smtp.gmail.com",
        port: 587,
        tls: TlsMode::StartTls,
        family: ProviderFamily::Google,
        alt_ports: &[(465, TlsMode::Implicit)],
        size_limit: Some(35_882_577),
        max_concurrency: None,
        per_minute: None,
        per_day: Some(2_000),
        app_password: AppPasswordRule::Google16,
        oauth2: true,
        username_hint: "the full Workspace address",
        from_rule: GOOGLE_FROM,
    },
    Provider {
        id: "gmail-relay",
        name: "Google Workspace SMTP relay",
        name_ko: "Google Workspace SMTP 릴레이",
        host: "smtp-relay.gmail.com",
        port: 587,
        tls: TlsMode::StartTls,
        family: ProviderFamily::Google,
        alt_ports: &[(25, TlsMode::None)],
        size_limit: None,
        max_concurrency: None,
        per_minute: None,
        per_day: Some(10_000),
        app_password: AppPasswordRule::Google16,
        oauth2: false,
        username_hint: "a Workspace address, or no AUTH with IP-address authentication",
        from_rule: "Envelope sender and EHLO name in a Workspace domain tied to the registered IP",
    },
    Provider {
        id: "naver",
        name: "Naver",
        name_ko: "네이버",
        host: "smtp.naver.com",
        port: 465,
        tls: TlsMode::Implicit,
        family: ProviderFamily::Naver,
        alt_ports: &[(587, TlsMode::StartTls)],
        size_limit: Some(20_971_520),
        max_concurrency: None,
        per_minute: None,
        per_day: None,
        app_password: AppPasswordRule::Required,
        oauth2: false,
        username_hint: "the Naver ID (the part before @naver.com)",
        from_rule: "Only the account's own @naver.com address",
    },
    Provider {
        id: "daum",
        name: "Daum",
        name_ko: "다음",
        host: "smtp.daum.net",
        port: 465,
        tls: TlsMode::Implicit,
        family: ProviderFamily::Daum,
        alt_ports: &[],
        size_limit: None,
        max_concurrency: None,
        per_minute: None,
        per_day: None,
        app_password: AppPasswordRule::Optional,
        oauth2: false,
        username_hint: "the full @daum.net / @hanmail.net address",
        from_rule: "Not documented; use the account address",
    },
    Provider {
        id: "kakao",
        name: "Kakao Mail",
        name_ko: "카카오메일",
        host: "smtp.kakao.com",
        port: 465,
        tls: TlsMode::Implicit,
        family: ProviderFamily::Kakao,
        alt_ports: &[],
        size_limit: None,
        max_concurrency: None,
        per_minute: None,
        per_day: None,
        app_password: AppPasswordRule::Required,
        oauth2: false,
        username_hint: "the full @kakao.com address",
        from_rule: "Not documented; use the account address",
    },
    Provider {
        id: "outlook",
        name: "Outlook.com",
        name_ko: "Outlook.com",
        host: "smtp-mail.outlook.com",
        port: 587,
        tls: TlsMode::StartTls,
        family: ProviderFamily::Microsoft,
        alt_ports: &[],
        size_limit: Some(157_286_400),
        max_concurrency: None,
        per_minute: Some(30),
        per_day: None,
        app_password: AppPasswordRule::OauthOnly,
        oauth2: true,
        username_hint: "the full Outlook.com / Hotmail address",
        from_rule: "The account address; others get 554 5.2.252 SendAsDenied",
    },
    Provider {
        id: "m365",
        name: "Microsoft 365",
        name_ko: "Microsoft 365",
        host: "smtp.office365.com",
        port: 587,
        tls: TlsMode::StartTls,
        family: ProviderFamily::Microsoft,
        alt_ports: &[(25, TlsMode::StartTls)],
        size_limit: Some(157_286_400),
        max_concurrency: Some(3),
        per_minute: Some(30),
        per_day: None,
        app_password: AppPasswordRule::Optional,
        oauth2: true,
        username_hint: "the full mailbox address (UPN)",
        from_rule: "The authenticated mailbox, or one it has Send As / Send on Behalf rights for",
    },
    Provider {
        id: "yahoo",
        name: "Yahoo Mail",
        name_ko: "Yahoo 메일",
        host: "smtp.mail.yahoo.com",
        port: 465,
        tls: TlsMode::Implicit,
        family: ProviderFamily::Yahoo,
        alt_ports: &[(587, TlsMode::StartTls)],
        size_limit: Some(41_697_280),
        max_concurrency: None,
        per_minute: None,
        per_day: None,
        app_password: AppPasswordRule::Required,
        oauth2: false,
        username_hint: "the full Yahoo address",
        from_rule: "Not documented; use the account address",
    },
    Provider {
        id: "icloud",
        name: "iCloud Mail",
        name_ko: "iCloud 메일",
        host: "smtp.mail.me.com",
        port: 587,
        tls: TlsMode::StartTls,
        family: ProviderFamily::Icloud,
        alt_ports: &[],
        size_limit: None,
        max_concurrency: None,
        per_minute: None,
        per_day: None,
        app_password: AppPasswordRule::Required,
        oauth2: false,
        username_hint: "the full iCloud address",
        from_rule: "Not documented; use the account address",
    },
    Provider {
        id: "zoho",
        name: "Zoho Mail",
        name_ko: "Zoho 메일",
        host: "smtp.zoho.com",
        port: 465,
        tls: TlsMode::Implicit,
        family: ProviderFamily::Zoho,
        alt_ports: &[(587, TlsMode::StartTls)],
        size_limit: Some(53_477_376),
        max_concurrency: None,
        per_minute: None,
        per_day: None,
        app_password: AppPasswordRule::Optional,
        oauth2: false,
        username_hint: "the full Zoho address",
        from_rule: "The account or a verified alias; others get 553 Relaying disallowed after DATA",
    },
];

/// All provider presets.
pub fn providers() -> &'static [Provider] {
    PROVIDERS
}

/// The preset with this id (case-insensitive), e.g. `gmail`, `m365`, `naver`.
pub fn provider(id: &str) -> Option<&'static Provider> {
    let id = id.trim();
    PROVIDERS.iter().find(|p| p.id.eq_ignore_ascii_case(id))
}

/// Finds a preset from a human label: an id (`gmail`), a name (`Microsoft 365`), a host
/// (`smtp.naver.com`) or a label like `Gmail (smtp.gmail.com)`.
pub fn provider_from_label(label: &str) -> Option<&'static Provider> {
    let label = label.trim();
    if let Some(p) = provider(label) {
        return Some(p);
    }
    if let Some(p) = label_host(label).and_then(provider_by_host) {
        return Some(p);
    }
    let name = label.split('(').next().unwrap_or(label).trim();
    PROVIDERS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name) || p.name_ko == name)
        .or_else(|| provider_by_host(name))
}

/// The host inside `(...)` of a label, if any.
fn label_host(label: &str) -> Option<&str> {
    let start = label.find('(')? + 1;
    let end = start + label[start..].find(')')?;
    Some(label[start..end].trim())
}

/// Host-name patterns: `(suffix, provider id)`, first match wins. A pattern matches the
/// host itself or any sub-domain of it.
static HOST_PATTERNS: &[(&str, &str)] = &[
    ("smtp-relay.gmail.com", "gmail-relay"),
    ("gmail.com", "gmail"),
    ("googlemail.com", "gmail"),
    ("google.com", "gmail"),
    ("smtp-mail.outlook.com", "outlook"),
    ("smtp.live.com", "outlook"),
    ("hotmail.com", "outlook"),
    ("live.com", "outlook"),
    ("office365.com", "m365"),
    ("outlook.com", "m365"),
    ("naver.com", "naver"),
    ("daum.net", "daum"),
    ("hanmail.net", "daum"),
    ("kakao.com", "kakao"),
    ("mail.yahoo.com", "yahoo"),
    ("yahoo.com", "yahoo"),
    ("mail.me.com", "icloud"),
    ("icloud.com", "icloud"),
    ("me.com", "icloud"),
    ("zoho.com", "zoho"),
    ("zoho.eu", "zoho"),
    ("zoho.in", "zoho"),
    ("zoho.jp", "zoho"),
    ("zoho.com.au", "zoho"),
    ("zohocloud.ca", "zoho"),
    ("zohomail.com", "zoho"),
];

/// The preset for an SMTP host name (or any name in one of the provider's domains).
pub fn provider_by_host(host: &str) -> Option<&'static Provider> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = host.rsplit_once(':').map_or(host.as_str(), |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host.as_str()
        }
    });
    HOST_PATTERNS
        .iter()
        .find(|(suffix, _)| {
            host == *suffix
                || host
                    .strip_suffix(suffix)
                    .is_some_and(|rest| rest.ends_with('.'))
        })
        .and_then(|(_, id)| provider(id))
}

/// Reply-text patterns (lower case): `(needle, provider id)`, first match wins.
static TEXT_PATTERNS: &[(&str, &str)] = &[
    ("smtp relay service", "gmail-relay"),
    ("invalid credentials for relay", "gmail-relay"),
    ("daily smtp relay limit", "gmail-relay"),
    ("- gsmtp", "gmail"),
    ("support.google.com/mail", "gmail"),
    ("smtp-mail.outlook.com", "outlook"),
    ("prod.outlook.com", "m365"),
    ("outlook.office365.com", "m365"),
    ("protection.outlook.com", "m365"),
    ("aka.ms/", "m365"),
    ("storedrv.", "m365"),
    ("microsoft esmtp", "m365"),
    ("- nsmtp", "naver"),
    ("(#auth0", "yahoo"),
    ("(#mbr", "yahoo"),
    ("smtp.mail.yahoo.com", "yahoo"),
    ("icloud iscream", "icloud"),
    ("mx.zohomail.com", "zoho"),
];

/// Recognises the provider from the configured host (if any), else from tell-tale parts of
/// the reply text: ` - gsmtp` (Gmail), `prod.outlook.com` / `aka.ms` (Microsoft 365),
/// ` - nsmtp` (Naver), `(#AUTH005)` (Yahoo), or a known host name inside the text.
pub fn detect_provider(host: Option<&str>, text: &str) -> Option<&'static Provider> {
    if let Some(p) = host.and_then(provider_by_host) {
        return Some(p);
    }
    let lower = text.to_lowercase();
    TEXT_PATTERNS
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .and_then(|(_, id)| provider(id))
        .or_else(|| host_in_text(&lower))
}

/// The first word of the text that is a known provider host.
fn host_in_text(lower: &str) -> Option<&'static Provider> {
    lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .filter(|word| word.contains('.') && !word.contains('@'))
        .filter(|word| word.starts_with("smtp") || word.starts_with("mx."))
        .find_map(provider_by_host)
}
