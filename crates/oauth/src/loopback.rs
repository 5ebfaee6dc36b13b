//! The loopback redirect of the authorization code flow (RFC 8252 §7.3): a one-shot HTTP
//! listener on 127.0.0.1 that takes the browser's redirect, answers with a short page, and
//! hands back the redirected address for [`AuthCodeStart::code_from_redirect`].
//!
//! [`AuthCodeStart::code_from_redirect`]: crate::AuthCodeStart::code_from_redirect

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::OAuthError;

/// A bound loopback listener waiting for the redirect.
#[derive(Debug)]
pub struct LoopbackRedirect {
    listener: TcpListener,
    addr: SocketAddr,
}

impl LoopbackRedirect {
    /// Binds 127.0.0.1 on a free port.
    pub async fn bind() -> Result<LoopbackRedirect, OAuthError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|e| {
                OAuthError::Config(format!(
                    "cannot listen on 127.0.0.1 for the sign-in redirect: {e}"
                ))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| OAuthError::Config(e.to_string()))?;
        Ok(LoopbackRedirect { listener, addr })
    }

    /// The redirect URI to register the sign-in with: `http://127.0.0.1:PORT/`.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/", self.addr.port())
    }

    /// Waits (at most `timeout`, on tokio's clock) for a request carrying `code` or `error`,
    /// answers it, and returns the full redirected address. Other requests (a browser's
    /// `/favicon.ico`) get a 404 and the wait goes on.
    pub async fn wait(self, timeout: Duration) -> Result<String, OAuthError> {
        let waited = tokio::time::timeout(timeout, async {
            loop {
                let Ok((stream, _)) = self.listener.accept().await else {
                    continue;
                };
                if let Some(target) = serve(stream).await {
                    return format!("http://127.0.0.1:{}{target}", self.addr.port());
                }
            }
        })
        .await;
        waited.map_err(|_| {
            OAuthError::BadRedirect(format!(
                "no sign-in came back to {} within {} minutes; run the login again (or use --paste)",
                self.redirect_uri(),
                timeout.as_secs() / 60
            ))
        })
    }
}

/// Reads one request; answers it; returns its target when it is the redirect.
async fn serve(mut stream: TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let head = tokio::time::timeout(Duration::from_secs(10), async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    if head.is_err() {
        return None;
    }
    let text = String::from_utf8_lossy(&buf);
    let line = text.lines().next().unwrap_or("");
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?, parts.next()?.to_string());
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let is_redirect = method == "GET"
        && query
            .split('&')
            .any(|kv| kv.starts_with("code=") || kv.starts_with("error="));
    let (status, body) = if is_redirect {
        (
            "200 OK",
            "<!doctype html><html><body><h1>scanrelay</h1><p>The sign-in is done: \
                    you can close this window and go back to the terminal.</p></body></html>",
        )
    } else {
        ("404 Not Found", "not found")
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
    is_redirect.then_some(target)
}
