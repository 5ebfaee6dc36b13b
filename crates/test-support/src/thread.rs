//! Servers run on their own thread with their own tokio runtime, so they keep serving while
//! the test blocks (waiting on a child process, say) and their timeouts keep real time when
//! the test pauses tokio's clock (`tokio::time::pause()`).

use std::future::Future;
use std::net::{Ipv4Addr, TcpListener};

use tokio::sync::oneshot;

/// A server running on its own thread; dropping it stops the server.
pub(crate) struct ServerThread<T> {
    result: Option<oneshot::Receiver<T>>,
    _stop: oneshot::Sender<()>,
}

impl<T: Send + 'static> ServerThread<T> {
    /// Runs the future `make` builds on a new thread with a current-thread runtime, until it
    /// ends or the returned handle is dropped.
    ///
    /// # Panics
    /// When the thread or its runtime cannot be created.
    pub(crate) fn spawn<F, Fut>(name: &str, make: F) -> ServerThread<T>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T>,
    {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (result_tx, result_rx) = oneshot::channel();
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build a tokio runtime for a test server");
                runtime.block_on(async move {
                    tokio::select! {
                        out = make() => { let _ = result_tx.send(out); }
                        _ = stop_rx => {}
                    }
                });
            })
            .expect("spawn a test server thread");
        ServerThread {
            result: Some(result_rx),
            _stop: stop_tx,
        }
    }

    /// Waits for the server's result; `None` if its thread died (panicked).
    pub(crate) async fn join(mut self) -> Option<T> {
        let result = self.result.take()?;
        result.await.ok()
    }
}

/// A non-blocking std listener on `127.0.0.1:0`, ready for `tokio::net::TcpListener::from_std`
/// on the server's own runtime.
///
/// # Panics
/// When the port cannot be bound.
pub(crate) fn bind_loopback() -> TcpListener {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("make the listener non-blocking");
    listener
}
