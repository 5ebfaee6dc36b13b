//! [`http_get`]: the smallest HTTP/1.1 GET, for tests that play a browser against loopback
//! servers (the authority's authorize endpoint, the CLI's redirect listener).

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// What a GET got back.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    /// Status code.
    pub status: u16,
    /// The `Location` header, if any.
    pub location: Option<String>,
    /// The body, as text.
    pub body: String,
}

/// GETs `url` (`http://127.0.0.1:PORT/...` or `http://localhost:PORT/...` only).
///
/// # Panics
/// On a URL that is not plain http to a loopback host, or when the server does not answer
/// within 10 seconds.
pub async fn http_get(url: &str) -> HttpAnswer {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not an http:// URL: {url}"));
    let (hostport, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "80"));
    assert!(
        host == "127.0.0.1" || host == "localhost",
        "tests only browse loopback hosts, not {host}"
    );
    let fetch = async {
        let mut s = TcpStream::connect(("127.0.0.1", port.parse::<u16>().expect("port")))
            .await
            .expect("connect");
        let req = format!("GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.expect("send the request");
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.expect("read the answer");
        buf
    };
    let buf = tokio::time::timeout(Duration::from_secs(10), fetch)
        .await
        .expect("an answer within 10 s");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = head.lines().find_map(|l| {
        l.split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
            .map(|(_, v)| v.trim().to_string())
    });
    HttpAnswer {
        status,
        location,
        body: body.to_string(),
    }
}
