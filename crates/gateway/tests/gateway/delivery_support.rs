//! Helpers for the delivery tests: a temporary spool, a scripted in-process [`Upstream`], and a
//! running scheduler that can be stopped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scanrelay_diagnose::reply_cause;
use scanrelay_diagnose::{Cause, Stage};
use scanrelay_gateway::delivery::Response;
use scanrelay_gateway::delivery::{
    DeliveryError, DeliveryFuture, DeliveryReport, OutgoingMessage, Scheduler, SchedulerHandle,
    TokioClock, Upstream, Upstreams,
};
use scanrelay_gateway::settings::DeliverySettings;
use scanrelay_proto::Reply;
use scanrelay_spool::{Entry, Envelope, MessageId, Spool};
use tokio::io::AsyncReadExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Unix time at which the tests' clocks start.
pub const BASE: u64 = 1_700_000_000;

/// A spool in a temporary directory (kept alive with it).
pub struct TempSpool {
    pub spool: Spool,
    pub _dir: tempfile::TempDir,
}

pub async fn temp_spool() -> TempSpool {
    let dir = tempfile::tempdir().expect("temp dir");
    let spool = Spool::open(dir.path().join("spool"))
        .await
        .expect("open spool");
    TempSpool { spool, _dir: dir }
}

/// A scan mail as a device sends it.
pub fn scan_mail(from_header: &str) -> Vec<u8> {
    format!(
        "From: {from_header}\r\nTo: boss@example.com\r\nSubject: Scan 3F\r\nMessage-ID: <1@mfp>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nscanned page\r\n.leading dot\r\n"
    )
    .into_bytes()
}

/// The usual test message: a scan from `scan@office.lan` to `boss@example.com`.
pub async fn spool_scan(spool: &Spool) -> MessageId {
    spool_message(
        spool,
        "scan@office.lan",
        &["boss@example.com"],
        &scan_mail("scan@office.lan"),
    )
    .await
}

/// Commits a message as the listener would.
pub async fn spool_message(spool: &Spool, from: &str, to: &[&str], body: &[u8]) -> MessageId {
    spool_routed(spool, from, to, body, None).await
}

/// Commits a message routed to the upstream named `route`.
pub async fn spool_routed(
    spool: &Spool,
    from: &str,
    to: &[&str],
    body: &[u8],
    route: Option<&str>,
) -> MessageId {
    let mut incoming = spool.begin().await.expect("begin");
    incoming.write(body).await.expect("write");
    let envelope = Envelope {
        mail_from: from.to_string(),
        rcpt_to: to.iter().map(|r| r.to_string()).collect(),
        received_at: BASE,
        client_addr: "192.0.2.7:51234".to_string(),
        helo: "mfp-3f".to_string(),
        auth_user: None,
        size: body.len() as u64,
        route: route.map(str::to_string),
        tls: None,
    };
    incoming.commit(envelope).await.expect("commit")
}

/// Retry settings for tests: 60 s .. 1 h, 5 days, rescans every 5 s.
pub fn delivery_settings() -> DeliverySettings {
    DeliverySettings {
        retry_min: Duration::from_secs(60),
        retry_max: Duration::from_secs(3600),
        max_age: Duration::from_secs(5 * 24 * 3600),
        admin_notify: None,
        rescan_interval: Duration::from_secs(5),
    }
}

/// One call to the [`FakeUpstream`].
#[derive(Debug, Clone)]
pub struct Call {
    /// 0-based call number.
    pub n: usize,
    pub id: MessageId,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub body: Vec<u8>,
    /// tokio time of the call.
    pub at: Instant,
    /// `attempts` stored in the spool when the call started.
    pub attempts_before: u32,
}

type Behaviour = Box<dyn Fn(&Call) -> Result<DeliveryReport, DeliveryError> + Send + Sync>;

/// An in-process upstream whose answers a closure decides. It reads the whole body, counts
/// deliveries in flight and can take `hold` (tokio time) per delivery.
pub struct FakeUpstream {
    spool: Spool,
    name: String,
    logins: Option<watch::Receiver<u64>>,
    behaviour: Behaviour,
    pub calls: Mutex<Vec<Call>>,
    max: usize,
    hold: Duration,
    in_flight: AtomicUsize,
    pub peak: AtomicUsize,
}

impl FakeUpstream {
    pub fn new(
        spool: &Spool,
        behaviour: impl Fn(&Call) -> Result<DeliveryReport, DeliveryError> + Send + Sync + 'static,
    ) -> FakeUpstream {
        FakeUpstream {
            spool: spool.clone(),
            name: "default".to_string(),
            logins: None,
            behaviour: Box::new(behaviour),
            calls: Mutex::new(Vec::new()),
            max: 3,
            hold: Duration::ZERO,
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Named `name` (routes refer to it).
    pub fn named(mut self, name: &str) -> FakeUpstream {
        self.name = name.to_string();
        self
    }

    /// Reports new credentials through `logins` (as an OAuth2 source does after a login).
    pub fn with_logins(mut self, logins: watch::Receiver<u64>) -> FakeUpstream {
        self.logins = Some(logins);
        self
    }

    pub fn with_limit(mut self, max: usize, hold: Duration) -> FakeUpstream {
        self.max = max;
        self.hold = hold;
        self
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The calls that carried bounces (null sender).
    pub fn bounces(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.mail_from.is_empty())
            .collect()
    }

    async fn run(&self, msg: OutgoingMessage) -> Result<DeliveryReport, DeliveryError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let mut body = Vec::new();
        let mut reader = msg.body.open().await.expect("open body");
        reader.read_to_end(&mut body).await.expect("read body");
        assert_eq!(body.len() as u64, msg.size, "size announced for {}", msg.id);
        let attempts_before = self
            .spool
            .load(&msg.id)
            .await
            .map_or(0, |e| e.delivery.attempts);
        tokio::time::sleep(self.hold).await;
        let call = {
            let mut calls = self.calls.lock().unwrap();
            let call = Call {
                n: calls.len(),
                id: msg.id,
                mail_from: msg.mail_from,
                rcpt_to: msg.rcpt_to,
                body,
                at: Instant::now(),
                attempts_before,
            };
            calls.push(call.clone());
            call
        };
        let result = (self.behaviour)(&call);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

impl Upstream for FakeUpstream {
    fn deliver(&self, msg: OutgoingMessage) -> DeliveryFuture<'_> {
        Box::pin(self.run(msg))
    }

    fn max_concurrency(&self) -> usize {
        self.max
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn credentials_changed(&self) -> Option<watch::Receiver<u64>> {
        self.logins.clone()
    }

    fn remote_host(&self) -> &str {
        "smtp.fake.example"
    }
}

/// A successful transaction for every recipient of `call`.
pub fn accept_all(call: &Call) -> Result<DeliveryReport, DeliveryError> {
    Ok(DeliveryReport {
        accepted: call.rcpt_to.clone(),
        refused: Vec::new(),
        response: Some(Response::from(Reply::new(250, "2.0.0 OK queued"))),
    })
}

/// A reply from its wire text, e.g. `"451 4.3.0 try later"`.
pub fn reply(text: &str) -> Reply {
    let (code, rest) = text.split_once(' ').expect("code and text");
    Reply::new(code.parse().expect("code"), rest)
}

/// The upstream refusing the message at `stage` with `text`.
pub fn refused(stage: Stage, text: &str) -> Result<DeliveryReport, DeliveryError> {
    let reply = reply(text);
    let cause: Cause = reply_cause(stage, &reply, None);
    Err(DeliveryError::Rejected {
        stage,
        response: Response::from(reply),
        retry_after: None,
        cause,
    })
}

/// A scheduler running in the background.
pub struct Running {
    pub handle: SchedulerHandle,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    pub fn start(
        spool: &Spool,
        upstream: Option<Arc<dyn Upstream>>,
        settings: DeliverySettings,
    ) -> Running {
        let upstreams = upstream.map_or_else(Upstreams::none, Upstreams::single);
        Running::start_with(spool, upstreams, settings)
    }

    /// A scheduler over several upstreams.
    pub fn start_with(spool: &Spool, upstreams: Upstreams, settings: DeliverySettings) -> Running {
        let scheduler = Scheduler::with_upstreams(spool.clone(), upstreams, settings)
            .expect("valid settings")
            .with_clock(Arc::new(TokioClock::starting_at(BASE)))
            .with_hostname("gw.office.lan");
        let handle = scheduler.handle();
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(scheduler.run(rx));
        Running { handle, stop, task }
    }

    pub async fn stop(self) {
        self.stop.send(true).expect("scheduler listening");
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("scheduler stops")
            .expect("scheduler task");
    }
}

/// Polls `check` every 200 ms of tokio time (virtual under `pause`) until it holds.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every message in the spool.
pub async fn entries(spool: &Spool) -> Vec<Entry> {
    spool.list().await.expect("list spool")
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}
