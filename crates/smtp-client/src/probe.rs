//! The TLS probe behind the mode-mismatch diagnosis: does this port speak TLS from the first
//! byte? Only a TLS record from the server counts as proof (a completed handshake, or a TLS
//! alert such as "protocol version" from a server that only knows TLS 1.0); silence, a reset
//! or plaintext prove nothing.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::config::ClientConfig;
use crate::tls::{conn_tls, rustls_error, version_name};

/// Evidence that `addr` speaks implicit TLS, or `None`.
pub(crate) async fn tls_probe(
    cfg: &ClientConfig,
    addr: SocketAddr,
    roots: &Arc<RootCertStore>,
) -> Option<String> {
    let tcp = timeout(cfg.timeout, TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    let tls = conn_tls(roots.clone(), true).ok()?;
    let name = ServerName::try_from(cfg.server_name().to_string()).ok()?;
    let connector = tokio_rustls::TlsConnector::from(tls.config.clone());
    let waited = cfg.banner_probe_after.unwrap_or_default().as_secs_f32();
    match timeout(cfg.timeout, connector.connect(name, tcp))
        .await
        .ok()?
    {
        Ok(stream) => {
            let (_, conn) = stream.get_ref();
            let version = conn
                .protocol_version()
                .map(version_name)
                .unwrap_or_default();
            Some(format!(
                "no SMTP greeting after {waited:.1} s, but the port completed a TLS handshake ({version}): it expects implicit TLS (SSL) from the first byte"
            ))
        }
        Err(e) => match rustls_error(&e) {
            Some(rustls::Error::InvalidMessage(_)) | None => None,
            Some(err) => Some(format!(
                "no SMTP greeting after {waited:.1} s, but the port answered a TLS hello with a TLS message ({err}): it expects implicit TLS (SSL), possibly with an old TLS version"
            )),
        },
    }
}
