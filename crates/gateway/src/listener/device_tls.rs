//! TLS towards the devices, per listener: [`DeviceTls`] accepts a handshake on any stream
//! and gives a [`DeviceTlsStream`] the session runs over (STARTTLS stays a type swap). Each
//! listener (`smtp` for STARTTLS, `smtps` for implicit TLS) gets its own, chosen from its
//! settings, without the session knowing which TLS library is in use:
//!
//! * `tls_min_version = "1.2"` (the default): rustls, TLS 1.2 and 1.3.
//! * `"1.0"` or `"1.1"`: OpenSSL (the system's libssl), because rustls does not implement TLS
//!   older than 1.2. OpenSSL 3 negotiates TLS 1.0/1.1 only at security level 0, so this one
//!   context gets `DEFAULT:@SECLEVEL=0` and the minimum version; a modern client on the same
//!   listener still gets TLS 1.3 (or 1.2 with an ECDHE AEAD suite: the server's preference
//!   order). Client-initiated renegotiation is off. Nothing else in scanrelay uses OpenSSL:
//!   the upstream side, `check` and the console stay on rustls with TLS 1.2 and later.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use openssl::ssl::{Ssl, SslAcceptor, SslFiletype, SslMethod, SslOptions, SslRef, SslVersion};
use scanrelay_spool::SessionTls;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsAcceptor;

use super::tls::{TlsError, TlsIdentity};
use crate::settings::TlsMinVersion;

/// OpenSSL's cipher list for listeners that accept TLS 1.0/1.1: OpenSSL's defaults (which
/// keep the CBC-SHA suites old devices have), at security level 0, without which OpenSSL 3
/// refuses TLS below 1.2 altogether (its SHA-1 handshake signatures).
const LEGACY_CIPHERS: &str = "DEFAULT:@SECLEVEL=0";

/// How a listener does TLS with devices.
#[derive(Clone)]
pub(crate) enum DeviceTls {
    /// rustls (TLS 1.2 and 1.3).
    Rustls(TlsAcceptor),
    /// OpenSSL at security level 0 (TLS 1.0 or 1.1 up to 1.3), for `tls_min_version` below
    /// 1.2.
    OpenSsl(SslAcceptor),
}

/// A device connection after the TLS handshake.
pub(crate) enum DeviceTlsStream<S> {
    /// Over rustls.
    Rustls(Box<tokio_rustls::server::TlsStream<S>>),
    /// Over OpenSSL.
    OpenSsl(Box<tokio_openssl::SslStream<S>>),
}

impl DeviceTls {
    /// The TLS for a device listener serving `identity` with at least `min`: rustls for 1.2,
    /// OpenSSL below.
    pub fn new(identity: &TlsIdentity, min: TlsMinVersion) -> Result<DeviceTls, TlsError> {
        let oldest = match min {
            TlsMinVersion::Tls1_2 => return Ok(DeviceTls::Rustls(identity.acceptor.clone())),
            TlsMinVersion::Tls1_1 => SslVersion::TLS1_1,
            TlsMinVersion::Tls1_0 => SslVersion::TLS1,
        };
        let acceptor = legacy_acceptor(&identity.info.cert_path, &identity.key_path, oldest)?;
        Ok(DeviceTls::OpenSsl(acceptor))
    }

    /// Whether this accepts TLS older than 1.2.
    pub fn allows_legacy(&self) -> bool {
        matches!(self, DeviceTls::OpenSsl(_))
    }

    /// Runs the server side of the handshake over `stream`.
    pub async fn accept<S>(&self, stream: S) -> io::Result<DeviceTlsStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        match self {
            DeviceTls::Rustls(acceptor) => {
                let tls = acceptor.accept(stream).await?;
                Ok(DeviceTlsStream::Rustls(Box::new(tls)))
            }
            DeviceTls::OpenSsl(acceptor) => {
                let ssl = Ssl::new(acceptor.context()).map_err(io::Error::other)?;
                let mut tls =
                    tokio_openssl::SslStream::new(ssl, stream).map_err(io::Error::other)?;
                Pin::new(&mut tls).accept().await.map_err(handshake_error)?;
                Ok(DeviceTlsStream::OpenSsl(Box::new(tls)))
            }
        }
    }
}

/// An OpenSSL handshake failure as an I/O error: the socket's own error when there is one,
/// else OpenSSL's reason (`unsupported protocol`, `no shared cipher`).
fn handshake_error(e: openssl::ssl::Error) -> io::Error {
    match e.into_io_error() {
        Ok(io) => io,
        Err(e) => io::Error::other(e),
    }
}

/// The OpenSSL context of an old-TLS listener: Mozilla's "intermediate" server settings
/// (ECDH curves, DH parameters, TLS 1.3 suites, server cipher order), opened down to `oldest`
/// with [`LEGACY_CIPHERS`], no renegotiation, and the listener's certificate and key (the
/// same files rustls serves: only the protocol stack differs).
fn legacy_acceptor(cert: &Path, key: &Path, oldest: SslVersion) -> Result<SslAcceptor, TlsError> {
    let fail = |op: String| move |source| TlsError::OpenSsl { op, source };
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
        .map_err(fail("create a TLS context".into()))?;
    b.clear_options(SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
    // A device that closes TCP without close_notify (old stacks often do) reads as a plain
    // EOF, not an error: SMTP's own end-of-data line is what marks a complete message.
    b.set_options(
        SslOptions::NO_RENEGOTIATION
            | SslOptions::CIPHER_SERVER_PREFERENCE
            | SslOptions::IGNORE_UNEXPECTED_EOF,
    );
    b.set_min_proto_version(Some(oldest))
        .map_err(fail("set the oldest TLS version".into()))?;
    b.set_cipher_list(LEGACY_CIPHERS)
        .map_err(fail(format!("set the cipher list `{LEGACY_CIPHERS}`")))?;
    b.set_certificate_chain_file(cert).map_err(fail(format!(
        "load the certificate chain from `{}`",
        cert.display()
    )))?;
    b.set_private_key_file(key, SslFiletype::PEM)
        .map_err(fail(format!(
            "load the private key from `{}`",
            key.display()
        )))?;
    b.check_private_key().map_err(fail(format!(
        "match `{}` with `{}`",
        key.display(),
        cert.display()
    )))?;
    Ok(b.build())
}

impl<S> DeviceTlsStream<S> {
    /// The negotiated version and cipher suite, as logged, stored with each message and
    /// shown on the devices page (`TLSv1.0 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA`).
    pub fn session(&self) -> SessionTls {
        match self {
            DeviceTlsStream::Rustls(tls) => super::tls::describe(tls.get_ref().1),
            DeviceTlsStream::OpenSsl(tls) => openssl_session(tls.ssl()),
        }
    }
}

/// OpenSSL's facts in the words rustls uses: `TLSv1.0` (OpenSSL says `TLSv1`) and the
/// suite's IANA name.
fn openssl_session(ssl: &SslRef) -> SessionTls {
    let version = match ssl.version_str() {
        "TLSv1" => "TLSv1.0",
        other => other,
    };
    let cipher = ssl
        .current_cipher()
        .map(|c| c.standard_name().unwrap_or(c.name()).to_string())
        .unwrap_or_default();
    SessionTls {
        version: version.to_string(),
        cipher,
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for DeviceTlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DeviceTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
            DeviceTlsStream::OpenSsl(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for DeviceTlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            DeviceTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
            DeviceTlsStream::OpenSsl(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DeviceTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
            DeviceTlsStream::OpenSsl(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DeviceTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
            DeviceTlsStream::OpenSsl(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            DeviceTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
            DeviceTlsStream::OpenSsl(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            DeviceTlsStream::Rustls(tls) => tls.is_write_vectored(),
            DeviceTlsStream::OpenSsl(tls) => tls.is_write_vectored(),
        }
    }
}
