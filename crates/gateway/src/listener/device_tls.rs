//! TLS towards the devices, per listener: [`DeviceTls`] accepts a handshake on any stream
//! and gives a [`DeviceTlsStream`] the session runs over (STARTTLS stays a type swap). Each
//! listener (`smtp` for STARTTLS, `smtps` for implicit TLS) gets its own, chosen from its
//! settings, so that one listener can differ from the other (an old-TLS listener for devices
//! stuck at TLS 1.0 is the reason) without the session knowing which TLS library is in use.
//! Today both are rustls with TLS 1.2 and 1.3.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsAcceptor;

/// How a listener does TLS with devices.
#[derive(Clone)]
pub(crate) enum DeviceTls {
    /// rustls (TLS 1.2 and 1.3).
    Rustls(TlsAcceptor),
}

/// A device connection after the TLS handshake.
pub(crate) enum DeviceTlsStream<S> {
    /// Over rustls.
    Rustls(Box<tokio_rustls::server::TlsStream<S>>),
}

impl DeviceTls {
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
        }
    }
}

impl<S> DeviceTlsStream<S> {
    /// The session as the devices page shows it: `TLSv1.3 TLS13_AES_256_GCM_SHA384`.
    pub fn describe(&self) -> String {
        match self {
            DeviceTlsStream::Rustls(tls) => super::tls::describe(tls.get_ref().1),
        }
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
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DeviceTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DeviceTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            DeviceTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            DeviceTlsStream::Rustls(tls) => tls.is_write_vectored(),
        }
    }
}
