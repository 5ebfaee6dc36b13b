//! A tiny raw SMTP client (plain, STARTTLS, implicit TLS) and small helpers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

pub(crate) const WAIT: Duration = Duration::from_secs(10);

pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub(crate) struct Client {
    pub(crate) io: Box<dyn Io>,
    pub(crate) buf: Vec<u8>,
}

impl Client {
    pub(crate) async fn connect(addr: SocketAddr) -> Client {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        Client {
            io: Box::new(tcp),
            buf: Vec::new(),
        }
    }

    pub(crate) async fn connect_tls(
        addr: SocketAddr,
        config: Arc<ClientConfig>,
        name: &str,
    ) -> Client {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let tls = tls_connect(tcp, config, name).await.expect("TLS handshake");
        Client {
            io: Box::new(tls),
            buf: Vec::new(),
        }
    }

    pub(crate) async fn starttls(self, config: Arc<ClientConfig>, name: &str) -> Client {
        assert!(self.buf.is_empty(), "server sent bytes after its 220");
        let tls = tls_connect(self.io, config, name)
            .await
            .expect("TLS handshake");
        Client {
            io: Box::new(tls),
            buf: Vec::new(),
        }
    }

    pub(crate) async fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes()).await;
    }

    pub(crate) async fn send_raw(&mut self, bytes: &[u8]) {
        self.io.write_all(bytes).await.expect("write");
        self.io.flush().await.expect("flush");
    }

    /// One raw line, CRLF included; `None` at EOF.
    pub(crate) async fn raw_line(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                return Some(self.buf.drain(..=pos).collect());
            }
            let mut chunk = [0u8; 4096];
            let n = timeout(WAIT, self.io.read(&mut chunk))
                .await
                .expect("server answered in time")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// A whole (multi-line) reply, lines without CRLF.
    pub(crate) async fn reply(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let raw = self.raw_line().await.expect("a reply line, not EOF");
            let line = String::from_utf8(raw).expect("UTF-8 reply");
            let line = line
                .strip_suffix("\r\n")
                .expect("reply lines end in CRLF")
                .to_string();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return lines;
            }
        }
    }

    /// Sends `line` and returns the reply.
    pub(crate) async fn cmd(&mut self, line: &str) -> Vec<String> {
        self.send(line).await;
        self.reply().await
    }

    pub(crate) async fn close(mut self) {
        let _ = self.io.shutdown().await;
    }
}

pub(crate) async fn tls_connect<S: Io + 'static>(
    io: S,
    config: Arc<ClientConfig>,
    name: &str,
) -> std::io::Result<tokio_rustls::client::TlsStream<S>> {
    let name = ServerName::try_from(name.to_string()).expect("valid server name");
    timeout(WAIT, TlsConnector::from(config).connect(name, io))
        .await
        .expect("handshake finished in time")
}

/// The rustls error behind a failed handshake.
pub(crate) fn rustls_error(e: &std::io::Error) -> rustls::Error {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned()
        .unwrap_or_else(|| panic!("not a rustls error: {e:?}"))
}

pub(crate) fn reply_lines(text: &str) -> Vec<String> {
    text.split('\n').map(str::to_string).collect()
}

pub(crate) fn contains(log: &[String], line: &str) -> bool {
    log.iter().any(|l| l == line)
}
