//! The authority's state and rules: clients, grants, codes, rotating refresh tokens and
//! access tokens with an audience. Pure logic over a clock value: the routes lock it, call
//! one method, and turn the result into an HTTP answer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use super::{ClientSpec, Shape};

/// An OAuth2 error answer: HTTP status, `error`, and the description without its shape.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub status: u16,
    pub error: &'static str,
    /// Microsoft's AADSTS number, when the Microsoft shape has one.
    pub aadsts: Option<u32>,
    pub microsoft: String,
    pub google: String,
}

impl Refusal {
    fn new(
        status: u16,
        error: &'static str,
        aadsts: Option<u32>,
        microsoft: &str,
        google: &str,
    ) -> Refusal {
        Refusal {
            status,
            error,
            aadsts,
            microsoft: microsoft.to_string(),
            google: google.to_string(),
        }
    }

    /// The description in the shape of the endpoint that was called.
    pub fn description(&self, shape: Shape) -> String {
        match (shape, self.aadsts) {
            (Shape::Microsoft, Some(code)) => format!(
                "AADSTS{code}: {}\r\nTrace ID: 00000000-0000-0000-0000-000000000000\r\n\
                 Correlation ID: 00000000-0000-0000-0000-000000000000\r\nTimestamp: 2026-11-01 00:00:00Z",
                self.microsoft
            ),
            (Shape::Microsoft, None) => self.microsoft.clone(),
            (Shape::Google, _) => self.google.clone(),
        }
    }
}

/// Tokens issued by one successful token request.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: u64,
    pub scope: String,
}

/// A device authorization in progress.
#[derive(Debug, Clone)]
pub(crate) struct DeviceCode {
    pub client_id: String,
    pub user_code: String,
    pub scope: String,
    pub expires: Instant,
    pub polls: u32,
    pub approved: bool,
    /// The user pressed "Deny" (RFC 8628 §3.5 `access_denied`).
    pub denied: bool,
    pub redeemed: bool,
}

#[derive(Debug, Clone)]
struct AuthCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scope: String,
    used: bool,
}

#[derive(Debug, Clone)]
struct GrantRec {
    client_id: String,
    scope: String,
    revoked: bool,
}

#[derive(Debug, Clone)]
struct RefreshRec {
    grant: usize,
    used: bool,
}

/// An access token's claims, for introspection.
#[derive(Debug, Clone)]
pub(crate) struct AccessRec {
    pub client_id: String,
    pub user: String,
    pub scope: String,
    pub aud: String,
    pub expires: Instant,
}

/// What the tests can count per client.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counters {
    pub refreshes: usize,
    pub used_refresh_tokens: Vec<String>,
    pub reused_refresh_tokens: Vec<String>,
    pub token_requests: Vec<String>,
    pub device_polls: u32,
    pub pkce_verified: usize,
    pub access_tokens: Vec<String>,
}

/// Everything the authority knows.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub clients: HashMap<String, ClientSpec>,
    pub counters: HashMap<String, Counters>,
    pub devices: HashMap<String, DeviceCode>,
    codes: HashMap<String, AuthCode>,
    grants: Vec<GrantRec>,
    refresh: HashMap<String, RefreshRec>,
    pub access: HashMap<String, AccessRec>,
    pub introspections: usize,
    next: u64,
}

impl State {
    fn random(&mut self, prefix: &str, len: usize) -> String {
        self.next += 1;
        let seed = format!(
            "{prefix}{}{:?}{:?}",
            self.next,
            Instant::now(),
            std::thread::current().id()
        );
        let mut out = format!("{prefix}{}-", self.next);
        let mut block = Sha256::digest(seed.as_bytes()).to_vec();
        while out.len() < len {
            out.push_str(&URL_SAFE_NO_PAD.encode(&block));
            block = Sha256::digest(&block).to_vec();
        }
        out.truncate(len.max(prefix.len() + 8));
        out
    }

    fn counters(&mut self, client_id: &str) -> &mut Counters {
        self.counters.entry(client_id.to_string()).or_default()
    }

    /// The client, checked: known, and the right secret for a confidential one.
    pub fn client(&self, id: &str, secret: Option<&str>) -> Result<ClientSpec, Refusal> {
        let Some(c) = self.clients.get(id) else {
            return Err(Refusal::new(
                400,
                "unauthorized_client",
                Some(700016),
                &format!(
                    "Application with identifier '{id}' was not found in the directory 'scanrelay tests'."
                ),
                "The OAuth client was not found.",
            ));
        };
        if let Some(want) = &c.secret
            && secret != Some(want.as_str())
        {
            return Err(Refusal::new(
                401,
                "invalid_client",
                Some(7000215),
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is \
                     the client secret value, not the client secret ID, for a secret added to app '{id}'."
                ),
                "Unauthorized",
            ));
        }
        Ok(c.clone())
    }

    /// A new device authorization.
    pub fn new_device(
        &mut self,
        client: &ClientSpec,
        scope: &str,
        now: Instant,
    ) -> (String, DeviceCode) {
        let device_code = self.random("dc-", 40);
        let n = self.next;
        let user_code = format!("{:04X}-{:04X}", (n * 7919) % 0xFFFF, (n * 104_729) % 0xFFFF);
        let dc = DeviceCode {
            client_id: client.id.clone(),
            user_code,
            scope: scope.to_string(),
            expires: now + Duration::from_secs(client.device.expires_in),
            polls: 0,
            approved: false,
            denied: false,
            redeemed: false,
        };
        self.devices.insert(device_code.clone(), dc.clone());
        (device_code, dc)
    }

    /// One poll of the device code grant.
    pub fn poll_device(
        &mut self,
        client: &ClientSpec,
        device_code: &str,
        now: Instant,
    ) -> Result<Issued, Refusal> {
        self.counters(&client.id).device_polls += 1;
        let script = client.device.clone();
        let Some(dc) = self
            .devices
            .get_mut(device_code)
            .filter(|d| d.client_id == client.id)
        else {
            return Err(Refusal::new(
                400,
                "invalid_grant",
                Some(70000),
                "The provided device code is not valid.",
                "Bad Request",
            ));
        };
        dc.polls += 1;
        if dc.redeemed {
            return Err(Refusal::new(
                400,
                "invalid_grant",
                Some(54005),
                "OAuth2 Authorization code was already redeemed.",
                "Bad Request",
            ));
        }
        if now >= dc.expires {
            return Err(Refusal::new(
                400,
                "expired_token",
                Some(70020),
                "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
                "Expired",
            ));
        }
        if dc.denied {
            return Err(Refusal::new(
                400,
                "access_denied",
                None,
                "The end user denied the authorization request.",
                "Forbidden",
            ));
        }
        if script.slow_down_at == Some(dc.polls) {
            return Err(Refusal::new(
                400,
                "slow_down",
                None,
                "slow_down",
                "Forbidden",
            ));
        }
        if script.approve_after.is_some_and(|n| dc.polls >= n) {
            dc.approved = true;
        }
        if !dc.approved {
            return Err(Refusal::new(
                400,
                "authorization_pending",
                Some(70016),
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                "Precondition Required",
            ));
        }
        dc.redeemed = true;
        let scope = dc.scope.clone();
        Ok(self.new_grant(client, &scope, now))
    }

    /// A new authorization code (the consenting browser).
    pub fn new_code(
        &mut self,
        client: &ClientSpec,
        redirect_uri: &str,
        challenge: &str,
        scope: &str,
    ) -> String {
        let code = self.random("code-", 40);
        self.codes.insert(
            code.clone(),
            AuthCode {
                client_id: client.id.clone(),
                redirect_uri: redirect_uri.to_string(),
                challenge: challenge.to_string(),
                scope: scope.to_string(),
                used: false,
            },
        );
        code
    }

    /// The authorization code grant, with the PKCE check.
    pub fn redeem_code(
        &mut self,
        client: &ClientSpec,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
        now: Instant,
    ) -> Result<Issued, Refusal> {
        let bad = |aadsts, text: &str| {
            Refusal::new(400, "invalid_grant", Some(aadsts), text, "Bad Request")
        };
        let Some(rec) = self
            .codes
            .get_mut(code)
            .filter(|c| c.client_id == client.id)
        else {
            return Err(bad(70000, "The provided authorization code is not valid."));
        };
        if rec.used {
            return Err(bad(
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code.",
            ));
        }
        rec.used = true;
        if rec.redirect_uri != redirect_uri {
            return Err(bad(
                50148,
                "The redirect_uri does not match the one of the authorization request.",
            ));
        }
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if verifier.is_empty() || computed != rec.challenge {
            return Err(bad(
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            ));
        }
        let scope = rec.scope.clone();
        self.counters(&client.id).pkce_verified += 1;
        Ok(self.new_grant(client, &scope, now))
    }

    /// The refresh grant: rotation, reuse detection, revocation.
    pub fn refresh(
        &mut self,
        client: &ClientSpec,
        rt: &str,
        scope: Option<&str>,
        now: Instant,
    ) -> Result<Issued, Refusal> {
        let invalid = |aadsts, ms: &str, google: &str| {
            Refusal::new(400, "invalid_grant", Some(aadsts), ms, google)
        };
        let Some(rec) = self.refresh.get(rt).cloned() else {
            return Err(invalid(
                9002313,
                "Invalid request. Request is malformed or invalid.",
                "Bad Request",
            ));
        };
        let grant = self.grants[rec.grant].clone();
        if grant.client_id != client.id {
            return Err(invalid(
                70000,
                "The refresh token was issued to another client.",
                "Unauthorized",
            ));
        }
        if grant.revoked {
            return Err(invalid(
                700082,
                "The refresh token has expired due to inactivity. The token was issued on 2026-08-01T00:00:00Z and was inactive for 90.00:00:00.",
                "Token has been expired or revoked.",
            ));
        }
        if rec.used {
            self.counters(&client.id)
                .reused_refresh_tokens
                .push(rt.to_string());
            return Err(invalid(
                70000,
                "The provided value for the 'refresh_token' is not valid: it was already used.",
                "Token has been expired or revoked.",
            ));
        }
        self.refresh.get_mut(rt).expect("present").used = true;
        let c = self.counters(&client.id);
        c.refreshes += 1;
        c.used_refresh_tokens.push(rt.to_string());
        let scope = scope
            .filter(|s| !s.is_empty())
            .unwrap_or(&grant.scope)
            .to_string();
        let new_rt = self.random("rt-", 48);
        self.refresh.insert(
            new_rt.clone(),
            RefreshRec {
                grant: rec.grant,
                used: false,
            },
        );
        let access = self.new_access(client, &scope, now);
        Ok(Issued {
            access_token: access,
            refresh_token: Some(new_rt),
            expires_in: client.access_ttl.as_secs(),
            scope,
        })
    }

    /// The client credentials grant.
    pub fn client_credentials(
        &mut self,
        client: &ClientSpec,
        scope: &str,
        now: Instant,
    ) -> Result<Issued, Refusal> {
        if client.secret.is_none() {
            return Err(Refusal::new(
                400,
                "invalid_client",
                Some(7000218),
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                "Unauthorized",
            ));
        }
        if !scope.split_whitespace().all(|s| s.ends_with("/.default")) || scope.is_empty() {
            return Err(Refusal::new(
                400,
                "invalid_scope",
                Some(1002012),
                &format!(
                    "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
                "invalid_scope",
            ));
        }
        let access = self.new_access(client, scope, now);
        Ok(Issued {
            access_token: access,
            refresh_token: None,
            expires_in: client.access_ttl.as_secs(),
            scope: scope.to_string(),
        })
    }

    /// A grant for `client` with a first refresh token (also used to mint tokens for tests).
    pub fn new_grant(&mut self, client: &ClientSpec, scope: &str, now: Instant) -> Issued {
        self.grants.push(GrantRec {
            client_id: client.id.clone(),
            scope: scope.to_string(),
            revoked: false,
        });
        let rt = self.random("rt-", 48);
        self.refresh.insert(
            rt.clone(),
            RefreshRec {
                grant: self.grants.len() - 1,
                used: false,
            },
        );
        let access = self.new_access(client, scope, now);
        Issued {
            access_token: access,
            refresh_token: Some(rt),
            expires_in: client.access_ttl.as_secs(),
            scope: scope.to_string(),
        }
    }

    fn new_access(&mut self, client: &ClientSpec, scope: &str, now: Instant) -> String {
        // Over RFC 4954's 512-octet line when asked for: a JWT-like token of about 1,400 characters.
        let len = if client.long_tokens { 1400 } else { 64 };
        let token = self.random("at-", len);
        self.access.insert(
            token.clone(),
            AccessRec {
                client_id: client.id.clone(),
                user: client.user.clone(),
                scope: scope.to_string(),
                aud: audience(scope),
                expires: now + client.access_ttl,
            },
        );
        self.counters(&client.id).access_tokens.push(token.clone());
        token
    }

    /// Revokes every grant of `client_id`.
    pub fn revoke(&mut self, client_id: &str) {
        for g in self.grants.iter_mut().filter(|g| g.client_id == client_id) {
            g.revoked = true;
        }
    }

    /// The refresh tokens of `client_id` that are still valid.
    pub fn live_refresh_tokens(&self, client_id: &str) -> Vec<String> {
        self.refresh
            .iter()
            .filter(|(_, r)| {
                !r.used
                    && !self.grants[r.grant].revoked
                    && self.grants[r.grant].client_id == client_id
            })
            .map(|(t, _)| t.clone())
            .collect()
    }
}

/// The audience of an access token for `scope`: the resource of its first URL scope
/// (`https://outlook.office.com/SMTP.Send` → `https://outlook.office.com`).
pub(crate) fn audience(scope: &str) -> String {
    scope
        .split_whitespace()
        .find_map(|s| {
            let rest = s.strip_prefix("https://")?;
            let host = rest.split('/').next()?;
            Some(format!("https://{host}"))
        })
        .unwrap_or_default()
}
