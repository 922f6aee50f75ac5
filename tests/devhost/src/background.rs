//! Servers the tests start on `127.0.0.1`: a thread with its own single-threaded runtime that
//! serves a listener until the handle is dropped.

use std::future::Future;
use std::net::{SocketAddr, TcpListener as StdListener};

use tokio::net::TcpListener;

/// A server running in the background; dropping it stops the server.
pub struct Background {
    /// Where it listens.
    pub addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Binds `127.0.0.1:0` and serves it with `serve` (see [`serve_on`]).
pub fn serve<F, Fut>(serve: F) -> std::io::Result<Background>
where
    F: FnOnce(TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    serve_on(StdListener::bind("127.0.0.1:0")?, serve)
}

/// Serves the bound listener `l` with `serve` in a thread of its own (a current-thread tokio
/// runtime) until the returned handle is dropped.
pub fn serve_on<F, Fut>(l: StdListener, serve: F) -> std::io::Result<Background>
where
    F: FnOnce(TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    l.set_nonblocking(true)?;
    let addr = l.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            let Ok(listener) = TcpListener::from_std(l) else {
                return;
            };
            tokio::select! {
                _ = serve(listener) => {}
                _ = rx => {}
            }
        });
    });
    Ok(Background { addr, _stop: tx })
}
