//! `[[oauth]]` accounts: parsed here and validated into [`AccountConfig`]s (provider, tenant,
//! flow, scopes, endpoints). `client_secret_file` is read at load; its content never appears
//! in an error, a warning or the summary.

use std::path::PathBuf;

use scanrelay_oauth::{
    AccountConfig, EndpointOverrides, Flow, ProviderKind, Secret, TokenUse, default_scopes,
    resolve_endpoints,
};
use serde::Deserialize;

use super::ConfigError;
use super::validate::Validator;

/// One `[[oauth]]` as written. No `Debug`: the secret's file is read from it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOAuth {
    pub name: Option<String>,
    pub provider: Option<String>,
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub flow: Option<String>,
    pub scopes: Option<Vec<String>>,
    #[serde(rename = "use")]
    pub token_use: Option<String>,
    pub authority: Option<String>,
    pub auth_url: Option<String>,
    pub token_url: Option<String>,
    pub device_url: Option<String>,
}

type Result<T> = std::result::Result<T, ConfigError>;

impl Validator<'_> {
    /// Every `[[oauth]]` account.
    pub(crate) fn oauth_accounts(&self, raw: Vec<RawOAuth>) -> Result<Vec<AccountConfig>> {
        let mut out: Vec<AccountConfig> = Vec::with_capacity(raw.len());
        for (i, account) in raw.into_iter().enumerate() {
            let account = self.oauth_account(i, account)?;
            if out.iter().any(|a| a.name == account.name) {
                let msg = format!("account \"{}\" is listed twice", account.name);
                return Err(self.invalid(&format!("oauth[{i}].name"), msg));
            }
            out.push(account);
        }
        Ok(out)
    }

    fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid(self.problem(key, message))
    }

    fn oauth_account(&self, i: usize, raw: RawOAuth) -> Result<AccountConfig> {
        let key = |field: &str| format!("oauth[{i}].{field}");
        let name = self.account_name(&key("name"), raw.name.as_deref())?;
        let provider = match raw.provider.as_deref() {
            None => {
                return Err(self.invalid(
                    &key("provider"),
                    "missing: set provider = \"microsoft\", \"google\" or \"custom\"",
                ));
            }
            Some(p) => ProviderKind::parse(p).ok_or_else(|| {
                self.invalid(
                    &key("provider"),
                    format!("unknown provider \"{p}\": expected microsoft, google or custom"),
                )
            })?,
        };
        let flow = self.flow(&key("flow"), provider, raw.flow.as_deref())?;
        let client_id = match raw.client_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => return Err(self.invalid(
                &key("client_id"),
                "missing: set client_id to the application (client) id of your app registration",
            )),
        };
        let client_secret = match &raw.client_secret_file {
            Some(path) => Some(self.client_secret(&key("client_secret_file"), path)?),
            None if flow == Flow::ClientCredentials => {
                return Err(self.invalid(&key("client_secret_file"), "missing: flow = \"client_credentials\" needs the app's client secret in a file (its value, not its ID)"));
            }
            None => None,
        };
        let tenant = self.tenant(&key("tenant"), provider, flow, raw.tenant)?;
        let token_use = match raw.token_use.as_deref() {
            None => TokenUse::Smtp,
            Some(u) => TokenUse::parse(u).ok_or_else(|| {
                self.invalid(
                    &key("use"),
                    format!("unknown use \"{u}\": expected smtp or graph"),
                )
            })?,
        };
        let scopes = self.scopes(&key("scopes"), provider, token_use, flow, raw.scopes)?;
        if provider == ProviderKind::Google
            && flow == Flow::DeviceCode
            && scopes.iter().any(|s| s.contains("mail.google.com"))
        {
            return Err(self.invalid(&key("flow"), "Google's device flow refuses Gmail scopes (invalid_scope): use flow = \"auth_code\" (scanrelay oauth login --paste works from a headless server)"));
        }
        let overrides = EndpointOverrides {
            authority: raw.authority,
            auth_url: raw.auth_url,
            token_url: raw.token_url,
            device_url: raw.device_url,
        };
        let endpoints = resolve_endpoints(provider, tenant.as_deref(), &overrides)
            .map_err(|e| self.invalid(&key(e.key), e.message))?;
        match flow {
            Flow::DeviceCode if endpoints.device.is_none() => {
                return Err(self.invalid(
                    &key("device_url"),
                    "missing: flow = \"device_code\" needs a device authorization endpoint",
                ));
            }
            Flow::AuthCode if endpoints.authorize.is_none() => {
                return Err(self.invalid(
                    &key("auth_url"),
                    "missing: flow = \"auth_code\" needs an authorization endpoint",
                ));
            }
            _ => {}
        }
        Ok(AccountConfig {
            name,
            provider,
            tenant,
            client_id,
            client_secret,
            flow,
            scopes,
            endpoints,
        })
    }

    /// A name that is also a safe file name: letters, digits, `.`, `_`, `-`.
    fn account_name(&self, key: &str, name: Option<&str>) -> Result<String> {
        let Some(name) = name else {
            return Err(self.invalid(
                key,
                "missing: every [[oauth]] account needs a name, e.g. name = \"office\"",
            ));
        };
        let ok = !name.is_empty()
            && !name.starts_with('.')
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(name.to_string())
        } else {
            Err(self.invalid(key, format!("\"{name}\" is not a usable name: use letters, digits, '.', '_' and '-' (at most 64), e.g. \"office\"")))
        }
    }

    fn flow(&self, key: &str, provider: ProviderKind, flow: Option<&str>) -> Result<Flow> {
        match flow {
            Some(f) => Flow::parse(f).ok_or_else(|| {
                self.invalid(key, format!("unknown flow \"{f}\": expected device_code, auth_code or client_credentials"))
            }),
            None => match provider {
                ProviderKind::Microsoft => Ok(Flow::DeviceCode),
                ProviderKind::Google => Ok(Flow::AuthCode),
                ProviderKind::Custom => Err(self.invalid(key, "missing: provider = \"custom\" needs flow = \"device_code\", \"auth_code\" or \"client_credentials\"")),
            },
        }
    }

    fn tenant(
        &self,
        key: &str,
        provider: ProviderKind,
        flow: Flow,
        tenant: Option<String>,
    ) -> Result<Option<String>> {
        match (provider, tenant) {
            (ProviderKind::Microsoft, Some(t)) => {
                let multi = matches!(t.as_str(), "organizations" | "common" | "consumers");
                if flow == Flow::ClientCredentials && multi {
                    return Err(self.invalid(key, format!("\"{t}\" cannot issue app-only tokens: client_credentials needs your tenant id or domain, e.g. \"contoso.onmicrosoft.com\"")));
                }
                Ok(Some(t))
            }
            (ProviderKind::Microsoft, None) if flow == Flow::ClientCredentials => Err(self.invalid(
                key,
                "missing: client_credentials needs your tenant id or domain, e.g. tenant = \"contoso.onmicrosoft.com\"",
            )),
            (ProviderKind::Microsoft, None) => Ok(Some("organizations".to_string())),
            (_, Some(_)) => Err(self.invalid(key, "only for provider = \"microsoft\"")),
            (_, None) => Ok(None),
        }
    }

    fn scopes(
        &self,
        key: &str,
        provider: ProviderKind,
        token_use: TokenUse,
        flow: Flow,
        scopes: Option<Vec<String>>,
    ) -> Result<Vec<String>> {
        match scopes {
            Some(list) => {
                if list.is_empty()
                    || list
                        .iter()
                        .any(|s| s.trim().is_empty() || s.contains(char::is_whitespace))
                {
                    return Err(self.invalid(key, "expected a list of scopes, one per string, e.g. [\"https://outlook.office.com/SMTP.Send\", \"offline_access\"]"));
                }
                Ok(list)
            }
            None => {
                let list = default_scopes(provider, token_use, flow);
                if list.is_empty() {
                    return Err(self.invalid(
                        key,
                        "missing: provider = \"custom\" has no default scopes; list them",
                    ));
                }
                Ok(list)
            }
        }
    }

    /// The secret from its file (first line; trailing newline removed).
    fn client_secret(&self, key: &str, path: &std::path::Path) -> Result<Secret> {
        let full = self.base_dir.join(path);
        let text = self.files.read_to_string(&full).map_err(|e| {
            self.invalid(
                key,
                format!("cannot read {}: {}", full.display(), super::io_reason(&e)),
            )
        })?;
        let secret = text.lines().next().unwrap_or("").trim();
        if secret.is_empty() {
            return Err(self.invalid(key, format!("{} is empty", full.display())));
        }
        Ok(Secret::new(secret))
    }
}
