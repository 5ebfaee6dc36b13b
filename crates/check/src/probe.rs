//! Second looks at the server that the check's SMTP steps cannot take themselves: what
//! answers on a port that sent no SMTP greeting, and whether a certificate that passed is
//! trusted without the CA file. Each is one extra connection, made only in that situation.

use std::time::Duration;

use scanrelay_client::{ClientConfig, ClientError, TlsFailure, establish};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The request sent to a silent port; any web server answers it with a status line.
pub const HTTP_PROBE: &str = "HEAD / HTTP/1.0";

/// Longest wait for the probe (the check's own timeout, but at most this).
const PROBE_LIMIT: Duration = Duration::from_secs(3);

/// Sends [`HTTP_PROBE`] to a port that sent no SMTP greeting and returns the status line of
/// an HTTP answer (`HTTP/1.0 200 OK`), which shows a web server on the port. `None` when the
/// port stays silent, closes, or answers anything else.
pub async fn http_answer(host: &str, port: u16, timeout: Duration) -> Option<String> {
    let work = async {
        let mut tcp = TcpStream::connect((host, port)).await.ok()?;
        tcp.write_all(format!("{HTTP_PROBE}\r\n\r\n").as_bytes())
            .await
            .ok()?;
        let mut buf = vec![0u8; 512];
        let mut got = 0;
        while got < buf.len() && !buf[..got].contains(&b'\n') {
            match tcp.read(&mut buf[got..]).await.ok()? {
                0 => break,
                n => got += n,
            }
        }
        let text = String::from_utf8_lossy(&buf[..got]);
        let line = text.lines().next()?.trim_end();
        line.starts_with("HTTP/")
            .then(|| line.chars().take(120).collect())
    };
    tokio::time::timeout(timeout.min(PROBE_LIMIT), work)
        .await
        .ok()
        .flatten()
}

/// Whether a server whose certificate verified with the CA file is trusted only because of
/// that file: one more connection through the same client, without the CA file and
/// without logging in, must fail on an untrusted chain. `None` when that connection failed
/// for another reason (nothing can be said then).
pub async fn trusted_only_with_ca_file(cfg: &ClientConfig) -> Option<bool> {
    let mut cfg = cfg.clone();
    cfg.ca_file = None;
    cfg.credentials = None;
    // A second look, not steps of the check: nobody is told of its steps.
    cfg.observer = None;
    match establish(&cfg).await {
        Ok(session) => {
            let _ = session.quit().await;
            Some(false)
        }
        Err(failure) => match failure.error {
            ClientError::Tls {
                kind: TlsFailure::Untrusted,
                ..
            } => Some(true),
            _ => None,
        },
    }
}
