//! `drain-fault-proxy --listen ADDR --upstream URL`: an HTTP proxy in front of a local S3 server
//! that injects storage faults into `PUT`s on command, for the fault cases. Everything else, and
//! every `PUT` while no fault is set, is forwarded unchanged (the `Host` header kept, so SigV4
//! signatures still verify upstream).
//!
//! Control, on the same port: `POST /__fault` with one of
//! - `none`: forward everything;
//! - `status:CODE`: answer every `PUT` with CODE and an S3 XML error, storing nothing;
//! - `hang:MS`: hold every `PUT` for MS milliseconds, then forward it, even if the client gave up
//!   meanwhile (a write that lands after the handler's deadline);
//! - `fail-after:N`: forward the next N `PUT`s, answer 500 to the ones after.
//!
//! `GET /__fault/settle` answers once no forwarded request is in flight.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    Status(u16),
    Hang(Duration),
    FailAfter(usize),
}

impl Fault {
    fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        Ok(match s.split_once(':') {
            None if s == "none" => Fault::None,
            Some(("status", code)) => Fault::Status(code.parse()?),
            Some(("hang", ms)) => Fault::Hang(Duration::from_millis(ms.parse()?)),
            Some(("fail-after", n)) => Fault::FailAfter(n.parse()?),
            _ => bail!("unknown fault {s:?}: none, status:CODE, hang:MS or fail-after:N"),
        })
    }
}

struct Proxy {
    upstream: http::Uri,
    client: Client<HttpConnector, Body>,
    fault: Mutex<Fault>,
    in_flight: AtomicUsize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let (mut listen, mut upstream) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next(),
            "--upstream" => upstream = args.next(),
            _ => bail!("usage: drain-fault-proxy --listen ADDR --upstream URL"),
        }
    }
    let listen: SocketAddr = listen.context("--listen ADDR")?.parse()?;
    let upstream: http::Uri = upstream.context("--upstream URL")?.parse()?;
    let proxy = Arc::new(Proxy {
        upstream,
        client: Client::builder(TokioExecutor::new()).build_http(),
        fault: Mutex::new(Fault::None),
        in_flight: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/__fault", post(set_fault))
        .route("/__fault/settle", get(settle))
        .fallback(forward)
        .with_state(proxy);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!("drain-fault-proxy on {listen}");
    axum::serve(listener, app).await?;
    Ok(())
}

async fn set_fault(State(p): State<Arc<Proxy>>, body: String) -> Response {
    match Fault::parse(&body) {
        Ok(f) => {
            *p.fault.lock().expect("fault lock") = f;
            eprintln!("fault: {f:?}");
            reply(200, "ok")
        }
        Err(e) => reply(400, &e.to_string()),
    }
}

async fn settle(State(p): State<Arc<Proxy>>) -> Response {
    while p.in_flight.load(Ordering::SeqCst) > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    reply(200, "settled")
}

async fn forward(State(p): State<Arc<Proxy>>, req: Request) -> Response {
    let mut delay = Duration::ZERO;
    if req.method() == http::Method::PUT {
        let mut fault = p.fault.lock().expect("fault lock");
        match *fault {
            Fault::None => {}
            Fault::Status(code) => return s3_error(code),
            Fault::Hang(d) => delay = d,
            Fault::FailAfter(0) => return s3_error(500),
            Fault::FailAfter(n) => *fault = Fault::FailAfter(n - 1),
        }
    }
    let (mut parts, body) = req.into_parts();
    // The whole body is read before the hold, as a server would have it when it stalls.
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return reply(400, &format!("reading the request: {e}")),
    };
    let mut uri = p.upstream.clone().into_parts();
    uri.path_and_query = parts.uri.path_and_query().cloned();
    parts.uri = match http::Uri::from_parts(uri) {
        Ok(u) => u,
        Err(e) => return reply(500, &e.to_string()),
    };
    p.in_flight.fetch_add(1, Ordering::SeqCst);
    // A task of its own: it finishes even when the client drops this request.
    let task = tokio::spawn({
        let p = Arc::clone(&p);
        async move {
            tokio::time::sleep(delay).await;
            let out = p
                .client
                .request(http::Request::from_parts(parts, Body::from(body)))
                .await;
            let out = match out {
                Ok(resp) => {
                    let (parts, body) = resp.into_parts();
                    body.collect()
                        .await
                        .map(|b| Response::from_parts(parts, Body::from(b.to_bytes())))
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            p.in_flight.fetch_sub(1, Ordering::SeqCst);
            out
        }
    });
    match task.await {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => reply(502, &format!("upstream: {e}")),
        Err(e) => reply(500, &e.to_string()),
    }
}

fn s3_error(code: u16) -> Response {
    let name = if code == 503 { "SlowDown" } else { "InternalError" };
    let mut r = reply(
        code,
        &format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{name}</Code><Message>injected by drain-fault-proxy</Message></Error>"),
    );
    r.headers_mut()
        .insert("content-type", http::HeaderValue::from_static("application/xml"));
    r
}

fn reply(status: u16, text: &str) -> Response {
    http::Response::builder()
        .status(status)
        .body(Body::from(text.to_string()))
        .expect("valid response")
}
