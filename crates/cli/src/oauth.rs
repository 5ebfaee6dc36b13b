//! `scanrelay oauth`: log in to the config's `[[oauth]]` accounts, import a refresh token,
//! log out, show status; and the token side of `scanrelay check --oauth NAME`.
//!
//! Every command reads the config `serve` uses and writes only the account's token file
//! (atomically, under its lock), so it is safe while the gateway runs; a `TokenManager` notices
//! a new grant by itself. Tokens and client secrets are never printed.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, anyhow, bail};
use scanrelay_check::{CheckRequest, Secret as CheckSecret};
use scanrelay_gateway::config::{CONFIG_FILE_NAME, load};
use scanrelay_gateway::settings::Settings;
use scanrelay_oauth::{
    AccountConfig, AccountStatus, Flow, HttpOptions, LoopbackRedirect, OAuthClient, OAuthError,
    PASTE_REDIRECT_URI, ProviderKind, Secret, TokenManager, TokenState, TokenStore, account_status,
    import, rfc3339, store_login,
};
use serde_json::{Value, json};

use crate::args::{EndpointArgs, GatewayLocation, OauthAction, OauthArgs};

/// How long the loopback listener waits for the browser.
const BROWSER_WAIT: Duration = Duration::from_secs(600);

/// The config's accounts and where their tokens live.
struct Accounts {
    config: PathBuf,
    settings: Settings,
    store: TokenStore,
}

impl Accounts {
    fn find(&self, name: &str) -> Result<&AccountConfig> {
        self.settings
            .oauth
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .settings
                    .oauth
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect();
                let known = if known.is_empty() {
                    "it has no [[oauth]] accounts".to_string()
                } else {
                    format!("its accounts are {}", known.join(", "))
                };
                anyhow!(
                    "no [[oauth]] account named \"{name}\" in {}: {known}",
                    self.config.display()
                )
            })
    }
}

fn accounts(location: &GatewayLocation) -> Result<Accounts> {
    let data_dir = crate::serve::data_dir(location);
    let config = location
        .config
        .clone()
        .unwrap_or_else(|| data_dir.join(CONFIG_FILE_NAME));
    if !config.is_file() {
        bail!(
            "the config file `{}` does not exist; [[oauth]] accounts are configured there (give --config or --data-dir as for `scanrelay serve`)",
            config.display()
        );
    }
    let settings = load(&config, &data_dir)?.settings;
    let store = TokenStore::new(&settings.data_dir);
    Ok(Accounts {
        config,
        settings,
        store,
    })
}

/// Runs `scanrelay oauth ...`; returns the exit status.
pub fn run(args: &OauthArgs) -> Result<u8> {
    let accounts = accounts(&args.location)?;
    let rt = crate::runtime()?;
    match &args.action {
        OauthAction::Login { name, paste } => {
            rt.block_on(login(&accounts, accounts.find(name)?, *paste))
        }
        OauthAction::Status { json } => Ok(status(&accounts, *json)),
        OauthAction::Import {
            name,
            refresh_token_file,
        } => rt.block_on(import_file(
            &accounts,
            accounts.find(name)?,
            refresh_token_file,
        )),
        OauthAction::Logout { name } => logout(&accounts, accounts.find(name)?),
    }
}

fn say(text: &str) {
    outln!("{text}");
    let _ = std::io::stdout().flush();
}

async fn login(accounts: &Accounts, account: &AccountConfig, paste: bool) -> Result<u8> {
    if paste && account.flow != Flow::AuthCode {
        bail!(
            "--paste is for flow = \"auth_code\"; account \"{}\" uses {}",
            account.name,
            account.flow
        );
    }
    let client = OAuthClient::new(account, &HttpOptions::default())?;
    let tokens = match account.flow {
        Flow::DeviceCode => {
            let device = client.start_device().await?;
            say(&format!(
                "To sign in account \"{}\", open {} in a browser on any device and enter the code {}",
                account.name, device.verification_uri, device.user_code
            ));
            if let Some(message) = &device.message {
                say(&format!("({}: {message})", account.provider));
            }
            say(&format!(
                "Waiting for the sign-in (the code expires in {} minutes)...",
                device.expires_in.as_secs() / 60
            ));
            client.poll_device(&device).await?
        }
        Flow::AuthCode if paste => {
            let start = client.start_auth_code(PASTE_REDIRECT_URI)?;
            say(&format!(
                "Open this URL in a browser on any machine and sign in as the mailbox of account \"{}\":\n\n{}\n",
                account.name, start.url
            ));
            say(
                "After the sign-in the browser goes to an address starting with http://localhost/ that does not load. Copy that whole address from the address bar and paste it here, then press Enter:",
            );
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("failed to read the pasted address")?;
            let code = start.code_from_redirect(&line)?;
            client.exchange_code(&start, &code).await?
        }
        Flow::AuthCode => {
            let listener = LoopbackRedirect::bind().await?;
            let start = client.start_auth_code(&listener.redirect_uri())?;
            say(&format!(
                "Open this URL in a browser on this machine and sign in as the mailbox of account \"{}\":\n\n{}\n",
                account.name, start.url
            ));
            say(&format!(
                "Waiting for the browser to come back to {} (on a machine without a browser, run with --paste)...",
                start.redirect_uri
            ));
            let redirected = listener.wait(BROWSER_WAIT).await?;
            let code = start.code_from_redirect(&redirected)?;
            client.exchange_code(&start, &code).await?
        }
        Flow::ClientCredentials => {
            let tokens = client.client_credentials().await?;
            say(&format!(
                "The client secret of account \"{}\" works: app-only tokens need no sign-in; they are requested as needed.",
                account.name
            ));
            tokens
        }
    };
    let grant = store_login(&accounts.store, account, tokens, SystemTime::now()).await?;
    let until = grant
        .access_expires
        .map(rfc3339)
        .unwrap_or_else(|| "unknown".into());
    say(&format!(
        "Signed in: account \"{}\" is ready (access token valid until {until}); tokens stored in {}",
        account.name,
        accounts.store.path(&account.name).display()
    ));
    Ok(0)
}

async fn import_file(accounts: &Accounts, account: &AccountConfig, path: &Path) -> Result<u8> {
    if account.flow == Flow::ClientCredentials {
        bail!(
            "account \"{}\" uses client_credentials, which has no refresh token: nothing to import",
            account.name
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read `{}`", path.display()))?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.is_empty() {
        bail!(
            "`{}` is empty: it should hold the refresh token on its first line",
            path.display()
        );
    }
    let client = OAuthClient::new(account, &HttpOptions::default())?;
    let given = Secret::new(token);
    let grant = import(&client, &accounts.store, given.clone(), SystemTime::now())
        .await
        .map_err(|e| {
            anyhow!(
                "the refresh token in `{}` does not work: {e}",
                path.display()
            )
        })?;
    let rotated = grant.refresh_token.as_ref() != Some(&given);
    say(&format!(
        "Imported: the refresh token works (one refresh made{}); account \"{}\" is ready, tokens stored in {}",
        if rotated {
            ", and the authority issued a new one, which is stored: the old one is no longer needed"
        } else {
            ""
        },
        account.name,
        accounts.store.path(&account.name).display()
    ));
    Ok(0)
}

fn logout(accounts: &Accounts, account: &AccountConfig) -> Result<u8> {
    let path = accounts.store.path(&account.name);
    if accounts.store.remove(&account.name)? {
        say(&format!(
            "Logged out: removed {}. The grant itself stays valid at the provider until it expires or is revoked there.",
            path.display()
        ));
    } else {
        say(&format!(
            "Account \"{}\" had no stored tokens ({} does not exist).",
            account.name,
            path.display()
        ));
    }
    Ok(0)
}

/// What to do about an account that is not ok.
fn fix(s: &AccountStatus) -> Option<String> {
    match s.state {
        TokenState::Ok => None,
        TokenState::NeedsLogin => Some(match s.flow {
            Flow::AuthCode => format!(
                "run `scanrelay oauth login {}` (add --paste on a machine without a browser)",
                s.name
            ),
            _ => format!("run `scanrelay oauth login {}`", s.name),
        }),
        TokenState::Error => Some(format!(
            "check the account's settings and the network; `scanrelay check --oauth {}` tries it now",
            s.name
        )),
    }
}

fn status(accounts: &Accounts, json: bool) -> u8 {
    let now = SystemTime::now();
    let list: Vec<AccountStatus> = accounts
        .settings
        .oauth
        .iter()
        .map(|a| account_status(a, &accounts.store, now))
        .collect();
    if json {
        let v = json!({"accounts": list.iter().map(status_json).collect::<Vec<Value>>()});
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else if list.is_empty() {
        say(&format!(
            "{} has no [[oauth]] accounts",
            accounts.config.display()
        ));
    } else {
        for s in &list {
            print_status(s);
        }
    }
    u8::from(list.iter().any(|s| s.state != TokenState::Ok))
}

fn status_json(s: &AccountStatus) -> Value {
    json!({
        "name": s.name,
        "provider": s.provider.as_str(),
        "flow": s.flow.as_str(),
        "state": s.state.as_str(),
        "access_expires": s.access_expires.map(rfc3339),
        "last_refresh": s.last_refresh.map(rfc3339),
        "login_at": s.login_at.map(rfc3339),
        "warnings": s.warnings,
        "reason": s.reason,
        "error": s.cause.as_ref().map(|c| c.error.clone()),
        "error_description": s.cause.as_ref().and_then(|c| c.description.clone()),
        "aadsts": s.cause.as_ref().map(|c| c.aadsts.clone()).unwrap_or_default(),
        "fix": fix(s),
    })
}

fn print_status(s: &AccountStatus) {
    outln!(
        "{} ({}, {}): {}",
        s.name,
        s.provider,
        s.flow,
        s.state.as_str()
    );
    if let Some(reason) = &s.reason {
        outln!("  why: {reason}");
    }
    let time = |t: Option<SystemTime>, none: &str| t.map_or_else(|| none.to_string(), rfc3339);
    if s.login_at.is_some() || s.access_expires.is_some() {
        outln!("  signed in: {}", time(s.login_at, "unknown"));
        outln!(
            "  access token valid until: {}",
            time(s.access_expires, "none stored")
        );
        outln!("  last refresh: {}", time(s.last_refresh, "never"));
    }
    for w in &s.warnings {
        outln!("  warning: {w}");
    }
    if let Some(f) = fix(s) {
        outln!("  fix: {f}");
    }
}

/// `check --oauth NAME`: the check's request from the flags, with the server filled in from
/// the config's upstream or the account's provider, the mailbox, and a fresh access token as
/// its secret. Where to connect is validated before a token is fetched.
pub fn check_request(args: &EndpointArgs, name: &str) -> Result<CheckRequest> {
    let accounts = accounts(&args.location)?;
    let account = accounts.find(name)?.clone();
    // The SMTP upstream that logs in with this account, if the config has one.
    let upstream = accounts.settings.upstreams.iter().find(|u| {
        u.oauth.as_deref() == Some(name)
            && u.kind == scanrelay_gateway::settings::UpstreamKind::Smtp
    });
    let user = args
        .user
        .clone()
        .or_else(|| upstream.and_then(|u| u.username.clone()))
        .ok_or_else(|| anyhow!("--oauth {name} needs the mailbox the token is for: give --user, e.g. --user scanner@example.com"))?;
    let mut request = crate::check::plan::request(args);
    request.user = Some(user);
    if request.server.is_none() && request.provider.is_none() {
        if let Some(up) = upstream {
            request.server = Some(up.server.clone());
            request.port = request.port.or(Some(up.port));
            request.tls = request.tls.or(Some(up.tls));
            request.ca_file = request.ca_file.or_else(|| up.ca_file.clone());
        } else {
            request.provider = match account.provider {
                ProviderKind::Microsoft => Some("m365".into()),
                ProviderKind::Google => Some("gmail".into()),
                ProviderKind::Custom => {
                    bail!("--oauth {name}: give --server (the account's provider is custom)")
                }
            };
        }
    }
    request
        .endpoint()
        .map_err(crate::check::plan::usage_error)?;
    let rt = crate::runtime()?;
    let manager = TokenManager::new(account, &accounts.settings.data_dir)?;
    let token = rt.block_on(manager.bearer()).map_err(|e| match e {
        e @ OAuthError::NeedsLogin { .. } => anyhow!("{e}"),
        e => anyhow!("cannot get an access token for account \"{name}\": {e}"),
    })?;
    request.secret = Some(CheckSecret::AccessToken(token.expose().to_string()));
    Ok(request)
}

/// `fetch --oauth NAME`: the account's token manager, which refreshes the access token as
/// needed (a `fetch --watch` outlives one token).
pub fn token_manager(location: &GatewayLocation, name: &str) -> Result<TokenManager> {
    let accounts = accounts(location)?;
    let account = accounts.find(name)?.clone();
    Ok(TokenManager::new(account, &accounts.settings.data_dir)?)
}

/// A fresh access token of account `name` from its manager.
pub async fn bearer(manager: &TokenManager, name: &str) -> Result<String> {
    let token = manager.bearer().await.map_err(|e| match e {
        e @ OAuthError::NeedsLogin { .. } => anyhow!("{e}"),
        e => anyhow!("cannot get an access token for account \"{name}\": {e}"),
    })?;
    Ok(token.expose().to_string())
}
