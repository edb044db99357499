//! Accepting connections: at most `max_connections` open at once (the rest wait in the kernel's
//! backlog), each served by hyper over HTTP/1 only with a time limit on reading a request's head, and a graceful
//! shutdown that lets deliveries in flight finish.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::app::{app, AppState};

/// Serves `state` on `listener` until `shutdown` completes, then waits for the connections'
/// requests in flight.
pub async fn serve(listener: TcpListener, state: Arc<AppState>, shutdown: impl Future<Output = ()>) {
    let settings = state.settings().clone();
    let router: Router = app(state);
    let open = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    // HTTP/1 only: no sender speaks h2c, and an HTTP/2 connection has no head to time out, so
    // an idle one (the preface and an empty SETTINGS, then nothing) would hold a permit for
    // good. A request head that isn't complete in time closes the connection, idle keep-alive
    // connections included: slow or absent headers hold a connection for this long at most
    // (hyper's limit on the head's size bounds its memory).
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&open).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service).into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
