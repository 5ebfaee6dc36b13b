//! The test harness: a fake backend over a real spool, a client that keeps cookies and reads
//! CSRF tokens from pages, and the config with known secrets.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use scanrelay_gateway::config::{ParseOptions, parse_str};
use scanrelay_gateway::control::{
    DayCounts, DeviceSeen, EventKind, GatewayEvent, QueueCounts, Status, UpstreamStatus,
};
use scanrelay_gateway::queue::{RetryReport, RetryTarget, retry};
use scanrelay_gateway::settings::Settings;
use scanrelay_spool::{
    Entry, Envelope, Event, Failure, MessageId, RcptState, RcptStatus, Spool, SpoolError, State,
};
use scanrelay_web::backend::BoxFuture;
use scanrelay_web::{AppState, ConsoleBackend, router};
use tempfile::TempDir;
use tower::ServiceExt as _;

/// The admin password the tests set.
pub const ADMIN_PASSWORD: &str = "console-admin-pw-42";
/// Secrets in the test config: the upstream password and a device account's password.
pub const UPSTREAM_SECRET: &str = "upstream-SECRET-7f3a9c";
/// A device account's password.
pub const DEVICE_SECRET: &str = "dev-SECRET-51e2";
/// What the fake's metrics say.
pub const METRICS: &str = "# TYPE scanrelay_test_total counter\nscanrelay_test_total 7\n# EOF\n";

/// A config whose upstream and device account hold known secrets.
pub fn config_text() -> String {
    format!(
        "[listen]\nsmtp = \"127.0.0.1:0\"\nweb = \"127.0.0.1:0\"\nhostname = \"gw.test\"\n\n\
         [[device]]\nusername = \"mfp-3f\"\npassword = \"{DEVICE_SECRET}\"\n\n\
         [upstream]\nprovider = \"gmail\"\nusername = \"scanner@example.com\"\n\
         password = \"{UPSTREAM_SECRET}\"\n"
    )
}

/// Settings from [`config_text`] with `data_dir`.
pub fn settings(data_dir: &Path) -> Settings {
    let path = data_dir.join("scanrelay.toml");
    let opts = ParseOptions {
        allow_port_zero: true,
    };
    parse_str(&config_text(), &path, data_dir, &opts)
        .expect("test config")
        .settings
}

/// A backend whose queue is a real spool; devices, events and upstreams as the test sets them.
pub struct Fake {
    pub settings: Arc<Settings>,
    pub spool: Spool,
    pub devices: Mutex<Vec<DeviceSeen>>,
    pub events: Mutex<Vec<GatewayEvent>>,
    pub upstreams: Mutex<Vec<UpstreamStatus>>,
}

impl Fake {
    async fn status_now(&self) -> Result<Status, SpoolError> {
        let entries = self.spool.list().await?;
        let mut by_state: BTreeMap<String, u64> = State::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect();
        for e in &entries {
            *by_state
                .entry(e.delivery.state.as_str().into())
                .or_default() += 1;
        }
        let events = self.events.lock().unwrap().clone();
        let mut today = DayCounts::default();
        for ev in &events {
            match ev.kind {
                EventKind::Accepted { .. } => today.accepted += 1,
                EventKind::Delivered { .. } => today.delivered += 1,
                EventKind::Failed { .. } => today.failed += 1,
                _ => {}
            }
        }
        Ok(Status {
            started_at: now() - 3600,
            delivery_running: true,
            refused_delivery_stopped: 0,
            listeners: vec![("smtp".into(), "127.0.0.1:2525".parse().unwrap())],
            queue: QueueCounts {
                by_state,
                oldest_unix: entries.iter().map(|e| e.envelope.received_at).min(),
            },
            today,
            upstreams: self.upstreams.lock().unwrap().clone(),
            last_failures: events.into_iter().filter(|e| e.kind.is_failure()).collect(),
        })
    }
}

impl ConsoleBackend for Fake {
    fn settings(&self) -> Arc<Settings> {
        self.settings.clone()
    }
    fn messages(&self) -> BoxFuture<'_, Result<Vec<Entry>, SpoolError>> {
        Box::pin(self.spool.list())
    }
    fn message<'a>(&'a self, id: &'a MessageId) -> BoxFuture<'a, Result<Entry, SpoolError>> {
        Box::pin(self.spool.load(id))
    }
    fn retry<'a>(
        &'a self,
        target: &'a RetryTarget,
    ) -> BoxFuture<'a, Result<RetryReport, SpoolError>> {
        Box::pin(retry(&self.spool, target, now()))
    }
    fn delete<'a>(&'a self, id: &'a MessageId) -> BoxFuture<'a, Result<(), SpoolError>> {
        Box::pin(self.spool.remove(id))
    }
    fn status(&self) -> BoxFuture<'_, Result<Status, SpoolError>> {
        Box::pin(self.status_now())
    }
    fn devices(&self) -> Vec<DeviceSeen> {
        self.devices.lock().unwrap().clone()
    }
    fn recent_events(&self) -> Vec<GatewayEvent> {
        self.events.lock().unwrap().clone()
    }
    fn metrics_text(&self) -> BoxFuture<'_, String> {
        Box::pin(async { METRICS.to_string() })
    }
}

/// Unix time now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A console over a fake backend in a temporary data dir.
pub struct Harness {
    pub dir: TempDir,
    pub state: AppState,
    pub app: Router,
    pub backend: Arc<Fake>,
}

impl Harness {
    /// Without an admin password.
    pub async fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let settings = Arc::new(settings(dir.path()));
        let spool = Spool::open(settings.spool_dir.clone()).await.unwrap();
        let backend = Arc::new(Fake {
            settings,
            spool,
            devices: Mutex::default(),
            events: Mutex::default(),
            upstreams: Mutex::default(),
        });
        let state = AppState::new(backend.clone(), false);
        let app = router(state.clone());
        Harness {
            dir,
            state,
            app,
            backend,
        }
    }

    /// With [`ADMIN_PASSWORD`] set.
    pub async fn with_password() -> Harness {
        let h = Harness::new().await;
        scanrelay_web::auth::password::store(h.dir.path(), ADMIN_PASSWORD).unwrap();
        h
    }

    /// A client from 127.0.0.1.
    pub fn client(&self) -> Client {
        self.client_from("127.0.0.1:40000")
    }

    /// A client from `addr`.
    pub fn client_from(&self, addr: &str) -> Client {
        Client::over(self.app.clone(), addr)
    }

    /// A client already logged in.
    pub async fn admin(&self) -> Client {
        let mut c = self.client();
        c.login(ADMIN_PASSWORD).await.assert_redirect("/");
        c
    }

    /// Spools a message from `client` (`192.0.2.7:51234`) to `rcpt`; returns its id.
    pub async fn spool_message(&self, client: &str, rcpt: &str) -> MessageId {
        spool_message(&self.backend.spool, client, rcpt).await
    }
}

/// Spools a small message.
pub async fn spool_message(spool: &Spool, client: &str, rcpt: &str) -> MessageId {
    let mut incoming = spool.begin().await.unwrap();
    let body = b"Subject: scan\r\n\r\nscan body\r\n";
    incoming.write(body).await.unwrap();
    let envelope = Envelope {
        mail_from: "mfp@office.example".into(),
        rcpt_to: vec![rcpt.into()],
        received_at: now(),
        client_addr: client.into(),
        helo: "MFP-3F".into(),
        auth_user: Some("mfp-3f".into()),
        size: body.len() as u64,
        route: None,
        tls: None,
    };
    incoming.commit(envelope).await.unwrap()
}

/// Makes `id` fail for good at the upstream with `reply` and cause `auth.bad_credentials`.
pub async fn fail_message(spool: &Spool, id: &MessageId, rcpt: &str, reply: &str) {
    spool
        .apply(id, Event::AttemptStarted { at: now() })
        .await
        .unwrap();
    let statuses = vec![RcptStatus {
        rcpt: rcpt.into(),
        state: RcptState::Failed,
        reply: Some(reply.into()),
    }];
    let failure = Failure {
        reply: Some(reply.into()),
        cause: "auth.bad_credentials".into(),
        error: format!(
            "the upstream refused the login: {}",
            reply.replace('\n', " / ")
        ),
    };
    spool
        .apply(
            id,
            Event::AttemptEnded {
                statuses,
                failure: Some(failure),
                retry_at: now(),
            },
        )
        .await
        .unwrap();
}

/// A response, its body read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    /// Asserts a redirect to `to`.
    #[track_caller]
    pub fn assert_redirect(&self, to: &str) {
        assert!(
            self.status.is_redirection(),
            "expected a redirect to {to}, got {}: {}",
            self.status,
            self.body
        );
        assert_eq!(self.location(), to);
    }

    /// The `Location` header.
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first `name="csrf"` field in the page.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a CSRF field");
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

/// A browser: keeps cookies, sends forms.
pub struct Client {
    app: Router,
    pub addr: SocketAddr,
    pub cookies: BTreeMap<String, String>,
    pub accept_language: Option<String>,
}

impl Client {
    /// A client of `app` from `addr`.
    pub fn over(app: Router, addr: &str) -> Client {
        Client {
            app,
            addr: addr.parse().unwrap(),
            cookies: BTreeMap::new(),
            accept_language: None,
        }
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Method::GET, path, None).await
    }

    /// `POST path` with the form `fields`.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(Method::POST, path, Some(body)).await
    }

    /// `POST path` with `fields` plus the CSRF token of the page at `form_page`.
    pub async fn submit(&mut self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Resp {
        let csrf = self.get(form_page).await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all).await
    }

    /// Logs in with `password` through the login page.
    pub async fn login(&mut self, password: &str) -> Resp {
        self.submit("/login", "/login", &[("password", password)])
            .await
    }

    async fn send(&mut self, method: Method, path: &str, form: Option<String>) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header(header::COOKIE, cookie);
        }
        if let Some(lang) = &self.accept_language {
            req = req.header(header::ACCEPT_LANGUAGE, lang);
        }
        let body = match form {
            Some(form) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form)
            }
            None => Body::empty(),
        };
        let mut req = req.body(body).unwrap();
        req.extensions_mut().insert(ConnectInfo(self.addr));
        let res = self.app.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        for value in parts.headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Resp {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }
}

/// Percent-encodes a form value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
