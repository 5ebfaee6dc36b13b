//! The providers the wizard offers, how each can log in, and the upstream values to pre-fill.
//!
//! Host, port, TLS mode, pacing and connection caps come from the gateway's presets
//! (`scanrelay_diagnose::providers`): a pre-filled form shows them, and the config written
//! names only `provider = "..."` unless the form was changed, so the facts live in one place.

use scanrelay_diagnose::{Provider, provider};
use scanrelay_gateway::config::edit::{Change, OAuthField, SecretInput, UpstreamField};
use scanrelay_proto::TlsMode;

use crate::Text;

/// A wizard choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Choice {
    /// A personal Gmail account.
    Gmail,
    /// A Google Workspace account (smtp.gmail.com).
    Workspace,
    /// Google Workspace's SMTP relay service (smtp-relay.gmail.com).
    WorkspaceRelay,
    /// Naver Mail.
    Naver,
    /// Daum (daum.net, hanmail.net) or Kakao Mail (kakao.com).
    DaumKakao,
    /// Microsoft 365 (Exchange Online).
    Microsoft365,
    /// Outlook.com, Hotmail, Live.
    OutlookCom,
    /// Any other SMTP server.
    Other,
}

/// How the gateway logs in to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// A password made for one app (Google's 16 letters, Naver's application password, the
    /// password from Daum's or Kakao's two-step verification page).
    AppPassword,
    /// The account's own password.
    Password,
    /// OAuth2 (XOAUTH2), through an `[[oauth]]` account and `scanrelay oauth login`.
    OAuth2,
    /// No login: the server accepts the gateway by its address.
    NoLogin,
}

impl Method {
    /// The config's `auth` value for this method.
    pub fn auth(self) -> &'static str {
        match self {
            Method::AppPassword | Method::Password => "password",
            Method::OAuth2 => "oauth2",
            Method::NoLogin => "none",
        }
    }

    /// The method's name for a choice list.
    pub fn label(self) -> Text {
        match self {
            Method::AppPassword => Text::fixed("App password", "앱 비밀번호"),
            Method::Password => Text::fixed("Account password", "계정 비밀번호"),
            Method::OAuth2 => Text::fixed("OAuth2 sign-in", "OAuth2 로그인"),
            Method::NoLogin => Text::fixed(
                "No login (accepted by IP address)",
                "로그인 없음(IP 주소로 허용)",
            ),
        }
    }
}

/// One entry of the wizard's first page.
#[derive(Debug, Clone)]
pub struct ProviderChoice {
    /// Which.
    pub choice: Choice,
    /// For URLs: `gmail`, `workspace`, `workspace-relay`, `naver`, `daum-kakao`, `m365`,
    /// `outlook`, `other`.
    pub slug: &'static str,
    /// The gateway presets it uses (`daum-kakao` picks one by the address).
    pub presets: &'static [&'static str],
    /// How it can log in, the recommended way first.
    pub methods: &'static [Method],
}

static CATALOGUE: &[ProviderChoice] = &[
    ProviderChoice {
        choice: Choice::Gmail,
        slug: "gmail",
        presets: &["gmail"],
        methods: &[Method::AppPassword, Method::OAuth2],
    },
    ProviderChoice {
        choice: Choice::Workspace,
        slug: "workspace",
        presets: &["workspace"],
        methods: &[Method::AppPassword, Method::OAuth2],
    },
    ProviderChoice {
        choice: Choice::WorkspaceRelay,
        slug: "workspace-relay",
        presets: &["gmail-relay"],
        methods: &[Method::NoLogin, Method::Password],
    },
    ProviderChoice {
        choice: Choice::Naver,
        slug: "naver",
        presets: &["naver"],
        methods: &[Method::AppPassword],
    },
    ProviderChoice {
        choice: Choice::DaumKakao,
        slug: "daum-kakao",
        presets: &["daum", "kakao"],
        methods: &[Method::AppPassword],
    },
    ProviderChoice {
        choice: Choice::Microsoft365,
        slug: "m365",
        presets: &["m365"],
        methods: &[Method::OAuth2, Method::Password],
    },
    ProviderChoice {
        choice: Choice::OutlookCom,
        slug: "outlook",
        presets: &["outlook"],
        methods: &[Method::OAuth2],
    },
    ProviderChoice {
        choice: Choice::Other,
        slug: "other",
        presets: &[],
        methods: &[Method::Password, Method::NoLogin],
    },
];

/// Every wizard choice, in the order the first page shows them.
pub fn catalogue() -> &'static [ProviderChoice] {
    CATALOGUE
}

/// The choice with this slug.
pub fn choice(slug: &str) -> Option<&'static ProviderChoice> {
    CATALOGUE.iter().find(|c| c.slug == slug)
}

impl ProviderChoice {
    /// The name to show.
    pub fn name(&self) -> Text {
        match (self.choice, self.presets) {
            (Choice::DaumKakao, _) => Text::fixed("Daum / Kakao Mail", "다음 / 카카오메일"),
            (Choice::Other, _) => Text::fixed("Other SMTP server", "기타 SMTP 서버"),
            (_, [id]) => {
                let p = preset(id);
                Text::fixed(p.name, p.name_ko)
            }
            _ => Text::fixed("", ""),
        }
    }

    /// The preset for an account `address` (Daum / Kakao: by its domain).
    pub fn preset(&self, address: &str) -> Option<&'static Provider> {
        let domain = address
            .rsplit_once('@')
            .map(|(_, d)| d.trim().to_ascii_lowercase());
        match self.presets {
            [] => None,
            [id] => Some(preset(id)),
            _ if domain.as_deref() == Some("kakao.com") => Some(preset("kakao")),
            [first, ..] => Some(preset(first)),
        }
    }

    /// The upstream form's starting values for logging in with `method` as `address`.
    pub fn prefill(&self, method: Method, address: &str) -> Prefill {
        let preset = self.preset(address);
        let address = address.trim();
        let username = match (method, preset.map(|p| p.id)) {
            (Method::NoLogin, _) => String::new(),
            // Naver's SMTP AUTH user name is the Naver ID, the part before @naver.com.
            (_, Some("naver")) => address
                .strip_suffix("@naver.com")
                .unwrap_or(address)
                .to_string(),
            _ => address.to_string(),
        };
        let oauth = (method == Method::OAuth2).then_some(match self.choice {
            Choice::Gmail | Choice::Workspace => OAuthPrefill {
                provider: "google",
                tenant: None,
                flow: "auth_code",
            },
            Choice::OutlookCom => OAuthPrefill {
                provider: "microsoft",
                tenant: Some("consumers"),
                flow: "device_code",
            },
            _ => OAuthPrefill {
                provider: "microsoft",
                tenant: None,
                flow: "device_code",
            },
        });
        Prefill {
            name: preset.map_or("upstream", |p| p.id).to_string(),
            provider: preset.map(|p| p.id),
            server: preset.map_or_else(String::new, |p| p.host.to_string()),
            port: preset.map(|p| p.port),
            tls: preset.map_or(TlsMode::StartTls, |p| p.tls),
            method,
            username,
            per_minute: preset.and_then(|p| p.per_minute),
            per_day: preset.and_then(|p| p.per_day),
            max_connections: preset.and_then(|p| p.max_concurrency),
            needs_helo: self.choice == Choice::WorkspaceRelay,
            oauth,
        }
    }
}

fn preset(id: &str) -> &'static Provider {
    provider(id).unwrap_or_else(|| panic!("the catalogue names preset {id}, which diagnose lacks"))
}

/// The `[[oauth]]` account a choice needs for [`Method::OAuth2`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthPrefill {
    /// `microsoft` or `google`.
    pub provider: &'static str,
    /// Microsoft tenant to suggest (`consumers` for Outlook.com); `None`: the organisation's
    /// own (its domain or Directory (tenant) ID), which the form asks for.
    pub tenant: Option<&'static str>,
    /// `device_code` (Microsoft) or `auth_code` (Google: its device flow refuses Gmail).
    pub flow: &'static str,
}

impl OAuthPrefill {
    /// The change that adds the account `name`. `client_secret_file` may be empty (Microsoft
    /// device code needs none; Google asks for one).
    pub fn change(
        &self,
        name: &str,
        client_id: &str,
        tenant: &str,
        client_secret_file: &str,
    ) -> Change {
        let tenant = if tenant.trim().is_empty() {
            self.tenant.unwrap_or("")
        } else {
            tenant
        };
        let mut fields = vec![
            (OAuthField::Provider, self.provider.to_string()),
            (OAuthField::ClientId, client_id.to_string()),
            (OAuthField::Flow, self.flow.to_string()),
        ];
        if self.provider == "microsoft" {
            fields.push((OAuthField::Tenant, tenant.to_string()));
        }
        fields.push((OAuthField::ClientSecretFile, client_secret_file.to_string()));
        Change::AddOAuth {
            name: name.to_string(),
            fields,
        }
    }
}

/// The upstream form's starting values. Values from the preset are shown for reference; the
/// config only gets those the form changes (see [`Prefill::change`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefill {
    /// Suggested upstream name.
    pub name: String,
    /// The preset id written as `provider`, if any.
    pub provider: Option<&'static str>,
    /// SMTP host (empty for "other": the form asks).
    pub server: String,
    /// Port (`None` for "other").
    pub port: Option<u16>,
    /// TLS mode.
    pub tls: TlsMode,
    /// How it logs in.
    pub method: Method,
    /// The SMTP AUTH user name (empty for no login).
    pub username: String,
    /// The preset's messages a minute (the gateway paces to it).
    pub per_minute: Option<u32>,
    /// The preset's messages a day.
    pub per_day: Option<u32>,
    /// The preset's cap on simultaneous connections.
    pub max_connections: Option<u8>,
    /// Whether the form must ask for an EHLO name in the organisation's domain (the Workspace
    /// relay checks it).
    pub needs_helo: bool,
    /// The `[[oauth]]` account to create for OAuth2.
    pub oauth: Option<OAuthPrefill>,
}

/// What the upstream form sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamForm {
    /// Upstream name.
    pub name: String,
    /// Server.
    pub server: String,
    /// Port (text, as typed).
    pub port: String,
    /// `starttls`, `implicit` or `none`.
    pub tls: String,
    /// User name.
    pub username: String,
    /// Password (empty: none).
    pub password: SecretInput,
    /// The `[[oauth]]` account's name (OAuth2 only).
    pub oauth: String,
    /// EHLO name (empty: the gateway's host name).
    pub helo: String,
}

impl Prefill {
    /// The change that adds the upstream the form describes: `provider` from the preset, and
    /// server, port and TLS only where the form differs from it; `auth` from the method.
    pub fn change(&self, form: &UpstreamForm) -> Change {
        let mut fields: Vec<(UpstreamField, String)> = Vec::new();
        if let Some(id) = self.provider {
            fields.push((UpstreamField::Provider, id.to_string()));
        }
        let differs = |typed: &str, preset: String| {
            let typed = typed.trim();
            (self.provider.is_none() || typed != preset).then(|| typed.to_string())
        };
        let port = self.port.map_or_else(String::new, |p| p.to_string());
        for (field, value) in [
            (
                UpstreamField::Server,
                differs(&form.server, self.server.clone()),
            ),
            (UpstreamField::Port, differs(&form.port, port)),
            (
                UpstreamField::Tls,
                differs(&form.tls, self.tls.as_str().to_string()),
            ),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                fields.push((field, v));
            }
        }
        fields.push((UpstreamField::Auth, self.method.auth().to_string()));
        for (field, value) in [
            (UpstreamField::Username, &form.username),
            (UpstreamField::Oauth, &form.oauth),
            (UpstreamField::Helo, &form.helo),
        ] {
            if !value.trim().is_empty() {
                fields.push((field, value.trim().to_string()));
            }
        }
        Change::AddUpstream {
            name: form.name.clone(),
            fields,
            password: form.password.clone(),
        }
    }
}
