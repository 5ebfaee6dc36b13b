//! OAuth2 accounts as the gateway config describes them: the provider, the flow, the scopes
//! and the endpoints, resolved from the provider's defaults, a Microsoft authority and tenant,
//! or explicit URLs (sovereign clouds, tests).

use std::fmt;
use std::net::IpAddr;

use crate::Secret;

/// Microsoft's public cloud authority.
pub const MICROSOFT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Google's authorization endpoint.
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/auth";
/// Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

/// Who issues the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Microsoft Entra ID (Microsoft 365, Outlook.com).
    Microsoft,
    /// Google (Gmail, Workspace).
    Google,
    /// Any other OAuth2 authority, with explicit endpoints.
    Custom,
}

impl ProviderKind {
    /// The config spelling: `microsoft`, `google`, `custom`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Microsoft => "microsoft",
            ProviderKind::Google => "google",
            ProviderKind::Custom => "custom",
        }
    }

    /// Parses the config spelling.
    pub fn parse(text: &str) -> Option<ProviderKind> {
        match text {
            "microsoft" => Some(ProviderKind::Microsoft),
            "google" => Some(ProviderKind::Google),
            "custom" => Some(ProviderKind::Custom),
            _ => None,
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the account gets its first grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Device authorization grant (RFC 8628): a code typed on another device. Microsoft.
    DeviceCode,
    /// Authorization code with PKCE and a loopback redirect (or a pasted redirect URL).
    AuthCode,
    /// Client credentials (app-only): no user, no login, no refresh token.
    ClientCredentials,
}

impl Flow {
    /// The config spelling: `device_code`, `auth_code`, `client_credentials`.
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::DeviceCode => "device_code",
            Flow::AuthCode => "auth_code",
            Flow::ClientCredentials => "client_credentials",
        }
    }

    /// Parses the config spelling.
    pub fn parse(text: &str) -> Option<Flow> {
        match text {
            "device_code" => Some(Flow::DeviceCode),
            "auth_code" => Some(Flow::AuthCode),
            "client_credentials" => Some(Flow::ClientCredentials),
            _ => None,
        }
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the tokens are for; picks the default scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    /// SMTP AUTH XOAUTH2 / OAUTHBEARER.
    Smtp,
    /// Microsoft Graph mail sending.
    Graph,
}

impl TokenUse {
    /// The config spelling: `smtp`, `graph`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Smtp => "smtp",
            TokenUse::Graph => "graph",
        }
    }

    /// Parses the config spelling.
    pub fn parse(text: &str) -> Option<TokenUse> {
        match text {
            "smtp" => Some(TokenUse::Smtp),
            "graph" => Some(TokenUse::Graph),
            _ => None,
        }
    }
}

/// The endpoints of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Authorization endpoint (auth code flow).
    pub authorize: Option<String>,
    /// Token endpoint.
    pub token: String,
    /// Device authorization endpoint (device code flow).
    pub device: Option<String>,
}

/// Explicit endpoint settings from the config.
#[derive(Debug, Clone, Default)]
pub struct EndpointOverrides {
    /// `authority`: Microsoft only; default [`MICROSOFT_AUTHORITY`].
    pub authority: Option<String>,
    /// `auth_url`.
    pub auth_url: Option<String>,
    /// `token_url`.
    pub token_url: Option<String>,
    /// `device_url`.
    pub device_url: Option<String>,
}

/// Why endpoints could not be resolved: the config key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointError {
    /// The config key (`token_url`, `authority`, `tenant`, ...).
    pub key: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

/// One validated OAuth2 account. `Debug` never shows the client secret.
#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// The account's name (`[[oauth]] name`), also its token file's name.
    pub name: String,
    /// Who issues the tokens.
    pub provider: ProviderKind,
    /// Microsoft tenant (id, domain, `organizations`, `consumers`, `common`).
    pub tenant: Option<String>,
    /// The application (client) id.
    pub client_id: String,
    /// The client secret of a confidential client.
    pub client_secret: Option<Secret>,
    /// How the first grant is obtained.
    pub flow: Flow,
    /// Scopes requested (explicit, or [`default_scopes`]).
    pub scopes: Vec<String>,
    /// Resolved endpoints.
    pub endpoints: Endpoints,
}

/// Resolves the endpoints of an account. Microsoft: `{authority}/{tenant}/oauth2/v2.0/
/// {authorize,token,devicecode}` (explicit URLs still win); Google: its public endpoints;
/// custom: `token_url` is required. Every URL must be `https://`, or `http://` to a loopback
/// host (127.0.0.0/8, ::1, localhost).
pub fn resolve_endpoints(
    provider: ProviderKind,
    tenant: Option<&str>,
    o: &EndpointOverrides,
) -> Result<Endpoints, EndpointError> {
    let (authorize, token, device) = match provider {
        ProviderKind::Microsoft => {
            let authority = o.authority.as_deref().unwrap_or(MICROSOFT_AUTHORITY);
            check_url("authority", authority)?;
            let tenant = tenant.unwrap_or("organizations");
            if tenant.is_empty()
                || !tenant
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            {
                return Err(EndpointError {
                    key: "tenant",
                    message: format!(
                        "\"{tenant}\" is not a tenant: expected a tenant id, a domain such as \
                         contoso.onmicrosoft.com, organizations, consumers or common"
                    ),
                });
            }
            let base = format!("{}/{tenant}/oauth2/v2.0", authority.trim_end_matches('/'));
            (
                Some(format!("{base}/authorize")),
                Some(format!("{base}/token")),
                Some(format!("{base}/devicecode")),
            )
        }
        ProviderKind::Google => (
            Some(GOOGLE_AUTH_URL.to_string()),
            Some(GOOGLE_TOKEN_URL.to_string()),
            None,
        ),
        ProviderKind::Custom => (None, None, None),
    };
    if provider != ProviderKind::Microsoft && o.authority.is_some() {
        return Err(EndpointError {
            key: "authority",
            message: "only for provider = \"microsoft\"; use auth_url and token_url".into(),
        });
    }
    let pick =
        |key: &'static str, explicit: &Option<String>, default: Option<String>| match explicit {
            Some(url) => check_url(key, url).map(|()| Some(url.clone())),
            None => Ok(default),
        };
    let authorize = pick("auth_url", &o.auth_url, authorize)?;
    let device = pick("device_url", &o.device_url, device)?;
    let token = pick("token_url", &o.token_url, token)?.ok_or_else(|| EndpointError {
        key: "token_url",
        message: "missing: provider = \"custom\" needs token_url (and auth_url or device_url for a login)"
            .into(),
    })?;
    Ok(Endpoints {
        authorize,
        token,
        device,
    })
}

/// An endpoint URL must be `https://`, or plain `http://` to a loopback host.
pub fn check_url(key: &'static str, url: &str) -> Result<(), EndpointError> {
    let err = |message: String| Err(EndpointError { key, message });
    let parsed = match reqwest::Url::parse(url) {
        Ok(u) => u,
        Err(e) => {
            return err(format!(
                "\"{url}\" is not a URL ({e}): expected e.g. \"https://login.example.com/token\""
            ));
        }
    };
    let host = parsed.host_str().unwrap_or("");
    match parsed.scheme() {
        "https" if !host.is_empty() => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" => err(format!(
            "\"{url}\" is plain http: tokens would cross the network unencrypted; use https:// \
             (http:// is accepted only for 127.0.0.1, ::1 and localhost)"
        )),
        _ => err(format!("\"{url}\" is not an https:// URL")),
    }
}

/// 127.0.0.0/8, ::1 or localhost.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The scopes an account asks for when the config names none.
///
/// | provider | use | flow | scopes |
/// |---|---|---|---|
/// | Microsoft | SMTP | delegated | `https://outlook.office.com/SMTP.Send offline_access` |
/// | Microsoft | SMTP | client credentials | `https://outlook.office365.com/.default` |
/// | Microsoft | Graph | delegated | `https://graph.microsoft.com/Mail.Send https://graph.microsoft.com/Mail.ReadWrite offline_access` (Mail.ReadWrite for drafts: scans over the sendMail limit) |
/// | Microsoft | Graph | client credentials | `https://graph.microsoft.com/.default` |
/// | Google | any | any | `https://mail.google.com/` |
/// | custom | | | none (the config must list them) |
pub fn default_scopes(provider: ProviderKind, token_use: TokenUse, flow: Flow) -> Vec<String> {
    let app_only = flow == Flow::ClientCredentials;
    let list: &[&str] = match (provider, token_use, app_only) {
        (ProviderKind::Microsoft, TokenUse::Smtp, false) => {
            &["https://outlook.office.com/SMTP.Send", "offline_access"]
        }
        (ProviderKind::Microsoft, TokenUse::Smtp, true) => {
            &["https://outlook.office365.com/.default"]
        }
        (ProviderKind::Microsoft, TokenUse::Graph, false) => &[
            "https://graph.microsoft.com/Mail.Send",
            "https://graph.microsoft.com/Mail.ReadWrite",
            "offline_access",
        ],
        (ProviderKind::Microsoft, TokenUse::Graph, true) => {
            &["https://graph.microsoft.com/.default"]
        }
        (ProviderKind::Google, _, _) => &["https://mail.google.com/"],
        (ProviderKind::Custom, _, _) => &[],
    };
    list.iter().map(|s| (*s).to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_endpoints_follow_authority_and_tenant() {
        let e = resolve_endpoints(
            ProviderKind::Microsoft,
            Some("contoso.com"),
            &EndpointOverrides::default(),
        )
        .unwrap();
        assert_eq!(
            e.token,
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"
        );
        assert_eq!(
            e.device.as_deref(),
            Some("https://login.microsoftonline.com/contoso.com/oauth2/v2.0/devicecode")
        );
        let o = EndpointOverrides {
            authority: Some("https://login.microsoftonline.us/".into()),
            ..Default::default()
        };
        let e = resolve_endpoints(ProviderKind::Microsoft, None, &o).unwrap();
        assert_eq!(
            e.authorize.as_deref(),
            Some("https://login.microsoftonline.us/organizations/oauth2/v2.0/authorize")
        );
    }

    #[test]
    fn urls_must_be_https_unless_loopback() {
        let table = [
            ("https://login.example.com/t", true),
            ("http://127.0.0.1:9/t", true),
            ("http://127.8.0.1/t", true),
            ("http://[::1]:9/t", true),
            ("http://localhost:9/t", true),
            ("http://login.example.com/t", false),
            ("http://10.0.0.1/t", false),
            ("ftp://x/", false),
            ("not a url", false),
        ];
        for (url, ok) in table {
            assert_eq!(check_url("token_url", url).is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn custom_needs_a_token_url() {
        let e = resolve_endpoints(ProviderKind::Custom, None, &EndpointOverrides::default())
            .unwrap_err();
        assert_eq!(e.key, "token_url");
        let e = resolve_endpoints(
            ProviderKind::Google,
            None,
            &EndpointOverrides {
                authority: Some("https://x".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.key, "authority");
    }

    #[test]
    fn default_scopes_table() {
        use Flow::*;
        use ProviderKind::*;
        use TokenUse::*;
        let table: &[(ProviderKind, TokenUse, Flow, &str)] = &[
            (
                Microsoft,
                Smtp,
                DeviceCode,
                "https://outlook.office.com/SMTP.Send offline_access",
            ),
            (
                Microsoft,
                Smtp,
                AuthCode,
                "https://outlook.office.com/SMTP.Send offline_access",
            ),
            (
                Microsoft,
                Smtp,
                ClientCredentials,
                "https://outlook.office365.com/.default",
            ),
            (
                Microsoft,
                Graph,
                ClientCredentials,
                "https://graph.microsoft.com/.default",
            ),
            (
                Microsoft,
                Graph,
                DeviceCode,
                "https://graph.microsoft.com/Mail.Send https://graph.microsoft.com/Mail.ReadWrite offline_access",
            ),
            (Google, Smtp, AuthCode, "https://mail.google.com/"),
            (Custom, Smtp, AuthCode, ""),
        ];
        for (p, u, f, want) in table {
            assert_eq!(default_scopes(*p, *u, *f).join(" "), *want, "{p} {u:?} {f}");
        }
    }
}
