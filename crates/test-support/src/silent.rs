//! [`SilentServer`]: a listener on `127.0.0.1:0` that accepts connections and never writes a
//! byte, like an implicit-TLS port seen by a client waiting for an SMTP banner, or a firewall
//! that lets the SYN through and then drops everything.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::thread::{ServerThread, bind_loopback};

/// At most this many client bytes are kept (a ClientHello fits easily).
const KEEP_BYTES: usize = 64 * 1024;

#[derive(Default)]
struct Seen {
    connections: usize,
    received: Vec<u8>,
}

/// Accepts any number of connections, reads what clients send, never answers. Connections
/// stay open until the client closes them or the server is dropped (which closes them all).
///
/// Like [`ScriptedSmtpServer`](crate::ScriptedSmtpServer) it runs on its own thread.
pub struct SilentServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    _thread: ServerThread<()>,
}

impl SilentServer {
    /// Binds `127.0.0.1:0` and starts accepting.
    ///
    /// # Panics
    /// When the listener cannot be bound.
    pub async fn start() -> SilentServer {
        let listener = bind_loopback();
        let addr = listener
            .local_addr()
            .expect("local address of the listener");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = Arc::clone(&seen);
        let thread = ServerThread::spawn("silent-server", move || async move {
            if let Ok(listener) = TcpListener::from_std(listener) {
                accept_forever(listener, shared).await;
            }
        });
        SilentServer {
            addr,
            seen,
            _thread: thread,
        }
    }

    /// The listening address (`127.0.0.1:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// The bytes clients sent so far, all connections concatenated (the first 64 KiB); a TLS
    /// client's ClientHello starts with `0x16 0x03`.
    pub fn received(&self) -> Vec<u8> {
        self.lock().received.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn accept_forever(listener: TcpListener, seen: Arc<Mutex<Seen>>) {
    let mut connections = JoinSet::new();
    while let Ok((mut stream, _peer)) = listener.accept().await {
        if let Ok(mut s) = seen.lock() {
            s.connections += 1;
        }
        let seen = Arc::clone(&seen);
        connections.spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stream.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = seen.lock() {
                    let room = KEEP_BYTES.saturating_sub(s.received.len());
                    s.received.extend_from_slice(&chunk[..n.min(room)]);
                }
            }
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
}
