//! Against the REAL Dovecot POP3 peer (`scripts/peers`), through a minimal tokio driver written
//! here: plain TCP, STLS with tokio-rustls and the peer CA, then the whole TRANSACTION on a
//! message this test put into the Maildir, byte for byte.
//!
//! Skips (loudly) when the peers are not running; with `SCANRELAY_REQUIRE_PEERS=1` (the test
//! command and CI) a missing peer fails instead.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use scanrelay_pop3::client::Event;
use scanrelay_pop3::{
    Capabilities, ClientConfig, ClientSession, Command, ListEntry, RespCode, SaslClient, Stat,
    UidlEntry, Verb, fuzz,
};
use scanrelay_test_support::Peers;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The minimal tokio driver: one stream, one session.
struct Driver<S> {
    stream: S,
    session: ClientSession,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    /// Reads the greeting and checks it is `+OK`.
    async fn greeted(stream: S, tls: bool) -> Driver<S> {
        let session = ClientSession::new(ClientConfig::default(), tls);
        let mut driver = Driver { stream, session };
        let greeting = driver.events().await;
        assert!(
            matches!(&greeting[..], [Event::Greeting(line)] if line.is_ok()),
            "{greeting:?}"
        );
        driver
    }

    /// Sends `command` and returns the events that answer it.
    async fn ask(&mut self, command: &Command) -> Vec<Event> {
        let wire = self.session.send(command).expect("sendable");
        self.stream.write_all(&wire).await.expect("write");
        self.stream.flush().await.expect("flush");
        self.events().await
    }

    /// Events up to and including the first that is not `BodyStart` / `BodyChunk` once
    /// nothing is pending; body chunks merged.
    async fn events(&mut self) -> Vec<Event> {
        let mut events: Vec<Event> = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match self.session.next_event() {
                Ok(Some(event)) => {
                    let last = !matches!(event, Event::BodyStart { .. } | Event::BodyChunk(_));
                    match (events.last_mut(), event) {
                        (Some(Event::BodyChunk(body)), Event::BodyChunk(more)) => {
                            body.extend(more);
                        }
                        (_, event) => events.push(event),
                    }
                    if last && self.session.pending() == 0 {
                        return events;
                    }
                }
                Ok(None) => {
                    let n = self.stream.read(&mut buf).await.expect("read");
                    assert!(n > 0, "the server closed the connection after {events:?}");
                    self.session.receive(&buf[..n]);
                }
                Err(error) => panic!("protocol error {error} after {events:?}"),
            }
        }
    }

    /// `CAPA`, typed.
    async fn capabilities(&mut self) -> Capabilities {
        match &self.ask(&Command::Capa).await[..] {
            [Event::Capabilities(caps)] => caps.clone(),
            other => panic!("{other:?}"),
        }
    }

    /// `STLS`, the handshake with the peer CA, and the swap.
    async fn stls(mut self, peers: &Peers) -> Driver<TlsStream<S>> {
        assert_eq!(self.ask(&Command::Stls).await, [Event::StartTls]);
        let name = ServerName::try_from(peers.cert_host.clone()).expect("server name");
        let stream = tls_connector(&peers.ca)
            .connect(name, self.stream)
            .await
            .expect("TLS handshake after STLS");
        self.session.tls_established().unwrap();
        Driver {
            stream,
            session: self.session,
        }
    }

    /// `USER` and `PASS`, both accepted.
    async fn login(&mut self, user: &str, password: &str) {
        for command in [Command::User(user.into()), Command::Pass(password.into())] {
            let events = self.ask(&command).await;
            assert!(matches!(&events[..], [Event::Done { .. }]), "{events:?}");
        }
    }

    /// `STAT`, `LIST` and `UIDL`, checked against each other (one snapshot of the maildrop).
    async fn snapshot(&mut self) -> (Vec<ListEntry>, Vec<UidlEntry>) {
        let stat = self.ask(&Command::Stat).await;
        let [Event::Stat(Stat { count, size })] = stat[..] else {
            panic!("{stat:?}")
        };
        let [Event::List(list)] = &self.ask(&Command::List(None)).await[..] else {
            panic!("LIST")
        };
        let [Event::Uidl(uidl)] = &self.ask(&Command::Uidl(None)).await[..] else {
            panic!("UIDL")
        };
        assert_eq!((list.len(), uidl.len()), (count as usize, count as usize));
        assert_eq!(list.iter().map(|e| e.size).sum::<u64>(), size);
        (list.clone(), uidl.clone())
    }

    /// The number of the message whose header holds `X-Test-Id: marker`, found with `TOP n 0`.
    async fn find(&mut self, uidl: &[UidlEntry], marker: &str) -> Option<(u32, Vec<u8>)> {
        let needle = format!("X-Test-Id: {marker}\r\n");
        for entry in uidl {
            let top = self
                .ask(&Command::Top {
                    msg: entry.n,
                    lines: 0,
                })
                .await;
            if matches!(top[..], [Event::Refused { .. }]) {
                continue; // another test's session removed it meanwhile
            }
            let header = body(&top);
            if String::from_utf8_lossy(&header).contains(&needle) {
                return Some((entry.n, header));
            }
        }
        None
    }
}

fn tls_connector(ca: &Path) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("peer CA file") {
        roots.add(cert.expect("peer CA PEM")).expect("peer CA");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// A message stored the way Postfix's virtual(8) stores one (LF line endings), with the lines
/// POP3 must stuff and a long line; returns its Maildir path and the marker header value.
fn deliver_to_maildir(peers: &Peers) -> (PathBuf, String, Vec<u8>) {
    let local = peers.user.split('@').next().expect("local part");
    let domain = peers.user.split('@').nth(1).unwrap_or("example.test");
    let maildir = peers.maildir_root.join(domain).join(local);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let marker = format!("pop3-proto-{nanos}-{}", std::process::id());
    let message = format!(
        "Return-Path: <mfp@example.test>\nX-Test-Id: {marker}\nFrom: mfp@example.test\n\
         To: {user}\nSubject: POP3 round trip\n\n.leading dot\n..two dots\n.\nafter a lone dot\n\
         {long}\n\nlast line\n",
        user = peers.user,
        long = "0123456789".repeat(1000),
    );
    let name = format!("{marker}.localhost");
    let tmp = maildir.join("tmp").join(&name);
    std::fs::write(&tmp, &message).unwrap_or_else(|e| panic!("write {}: {e}", tmp.display()));
    // Dovecot runs as the Maildir's owner and must be able to rename and unlink the file.
    let owner = std::fs::metadata(&maildir).expect("maildir");
    use std::os::unix::fs::MetadataExt as _;
    std::os::unix::fs::chown(&tmp, Some(owner.uid()), Some(owner.gid())).expect("chown");
    let new = maildir.join("new").join(&name);
    std::fs::rename(&tmp, &new).unwrap_or_else(|e| panic!("rename to {}: {e}", new.display()));
    (maildir, marker, message.into_bytes())
}

/// Whether a file whose name starts with `marker` is still in `new/` or `cur/`.
fn still_stored(maildir: &Path, marker: &str) -> bool {
    ["new", "cur"].iter().any(|sub| {
        std::fs::read_dir(maildir.join(sub))
            .map(|dir| {
                dir.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with(marker))
            })
            .unwrap_or(false)
    })
}

#[tokio::test]
async fn dovecot_stls_user_pass_retr_top_dele_quit() {
    let peers = scanrelay_test_support::require_peers!();
    let (maildir, marker, stored) = deliver_to_maildir(&peers);
    let expected = fuzz::normalise(&stored);
    let tcp = TcpStream::connect((peers.host.as_str(), peers.pop3_port))
        .await
        .expect("connect to the Dovecot POP3 peer");
    let mut plain = Driver::greeted(tcp, false).await;
    let caps = plain.capabilities().await;
    assert!(caps.stls && caps.uidl && caps.top && caps.resp_codes && caps.has_sasl("PLAIN"));
    let mut pop = plain.stls(&peers).await;
    let caps = pop.capabilities().await;
    assert!(!caps.stls && caps.user, "after STLS: no STLS, USER offered");
    pop.login(&peers.user, &peers.password).await;

    let (list, uidl) = pop.snapshot().await;
    let (n, header) = pop
        .find(&uidl, &marker)
        .await
        .expect("the stored message is listed");
    assert_eq!(
        header,
        fuzz::top_of(&expected, 0),
        "TOP n 0: the header and its blank line"
    );
    let entry = list.iter().find(|e| e.n == n).expect("listed");
    assert_eq!(
        entry.size,
        expected.len() as u64,
        "LIST size is the CRLF size"
    );
    let retr = pop.ask(&Command::Retr(n)).await;
    assert_eq!(
        body(&retr),
        expected,
        "RETR gives back the stored bytes (LF as CRLF)"
    );
    let top = pop.ask(&Command::Top { msg: n, lines: 3 }).await;
    assert_eq!(body(&top), fuzz::top_of(&expected, 3));

    let dele = pop.ask(&Command::Dele(n)).await;
    assert!(
        matches!(
            &dele[..],
            [Event::Done {
                verb: Verb::Dele,
                ..
            }]
        ),
        "{dele:?}"
    );
    assert!(
        still_stored(&maildir, &marker),
        "DELE alone deletes nothing"
    );
    let quit = pop.ask(&Command::Quit).await;
    assert!(
        matches!(&quit[..], [Event::Closed(line)] if line.is_ok()),
        "{quit:?}"
    );
    assert!(!still_stored(&maildir, &marker), "QUIT removed the message");
}

fn body(events: &[Event]) -> Vec<u8> {
    match events {
        [
            Event::BodyStart { .. },
            Event::BodyChunk(body),
            Event::BodyEnd { size },
        ] => {
            assert_eq!(*size, body.len() as u64);
            body.clone()
        }
        other => panic!("not a body: {other:?}"),
    }
}

#[tokio::test]
async fn dovecot_pop3s_auth_plain_and_a_wrong_password() {
    let peers = scanrelay_test_support::require_peers!();
    let connect = || async {
        let tcp = TcpStream::connect((peers.host.as_str(), peers.pop3s_port))
            .await
            .expect("connect to the Dovecot POP3S peer");
        let name = ServerName::try_from(peers.cert_host.clone()).expect("server name");
        let tls = tls_connector(&peers.ca)
            .connect(name, tcp)
            .await
            .expect("TLS handshake");
        Driver::greeted(tls, true).await
    };
    let mut pop = connect().await;
    let mut wrong = SaslClient::plain(peers.user.clone(), "not-the-password");
    let refused = pop.ask(&wrong.start()).await;
    let [
        Event::Refused {
            verb: Verb::Auth,
            line,
        },
    ] = &refused[..]
    else {
        panic!("{refused:?}")
    };
    assert_eq!(
        line.code(),
        Some(&RespCode::Auth),
        "Dovecot says [AUTH]: {line:?}"
    );

    let mut pop = connect().await;
    let mut right = SaslClient::plain(peers.user.clone(), peers.password.clone());
    let done = pop.ask(&right.start()).await;
    assert!(
        matches!(
            &done[..],
            [Event::Done {
                verb: Verb::Auth,
                ..
            }]
        ),
        "{done:?}"
    );
    assert!(matches!(
        pop.ask(&Command::Stat).await[..],
        [Event::Stat(_)]
    ));
    assert!(matches!(
        pop.ask(&Command::Quit).await[..],
        [Event::Closed(_)]
    ));
}
