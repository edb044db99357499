//! The one shell every platform fills: a [`Host`] gives the store, a clock for durations, a
//! deadline for storing and where a delivery's record goes (its log line and its counters), and
//! [`ingest`] runs a request through the core with it. The server adds its own admission
//! controls (slots, a body budget, the decoding pool) around the same [`finish`].

use std::future::Future;

use drain_core::{Admission, Admitted, Config, Plan, Timestamp};
use drain_store::Store;
use http::HeaderMap;

use crate::{carry_out, Context, Record};

/// What a platform gives.
pub trait Host {
    type Store: Store;
    fn store(&self) -> &Self::Store;
    /// Milliseconds since some fixed point, for durations (a Worker's clock moves only across IO).
    fn millis(&self) -> f64;
    /// Ends when storing a delivery's objects has taken too long (then 503).
    fn deadline(&self) -> impl Future<Output = ()>;
    /// A delivery's record: its counters, and its log line when [`Record::logged`] (never called
    /// for a health check).
    fn record(&self, record: &Record);
}

/// The plan carried out on the host's store within its deadline, the record handed to the
/// host, the answer.
pub async fn finish<H: Host>(host: &H, plan: Plan, context: Context<'_>) -> http::Response<Vec<u8>> {
    let (response, record) = carry_out(host.store(), plan, context, host.deadline(), || host.millis()).await;
    if !record.is_health_check() {
        host.record(&record);
    }
    response
}

/// A request's head as the platform received it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    pub request_id: &'a str,
    pub received_at: Timestamp,
    /// [`Host::millis`] when the request arrived.
    pub started: f64,
}

/// What reading an admitted request's body gave.
#[derive(Debug)]
pub enum Body {
    /// The body whole, and its MACs if the platform computed them ([`drain_core::Request::body_macs`]).
    Read {
        bytes: Vec<u8>,
        macs: Option<Vec<[u8; 20]>>,
    },
    /// It passed `max_body` (nothing past the limit was kept).
    TooLarge,
    /// The sender's stream broke off or was malformed: the source's "can't be decoded" answer.
    Broken(String),
    /// The platform could not read it, through no fault of the sender: a 503 to retry.
    Unavailable(&'static str),
}

/// One request on a platform that reads the body in one go (Lambda, the Worker): admitted from
/// its head, its body read with `read` only then, decided, stored, answered, recorded.
pub async fn ingest<H, F, R>(host: &H, config: &Config, incoming: Incoming<'_>, read: F) -> http::Response<Vec<u8>>
where
    H: Host,
    F: FnOnce(Admitted) -> R,
    R: Future<Output = Body>,
{
    let Incoming {
        method,
        path,
        headers,
        request_id,
        received_at,
        started,
    } = incoming;
    let (plan, bytes_in) = match drain_core::admit(config, method, path, headers) {
        Admission::Answer(plan) => (plan, 0),
        Admission::Read(admitted) => match read(admitted).await {
            Body::Broken(what) => (admitted.unreadable(config, headers, &what), 0),
            Body::Unavailable(why) => (admitted.unavailable(config, headers, why), 0),
            body => {
                let (bytes, macs) = match body {
                    Body::Read { bytes, macs } => (Some(bytes), macs),
                    _ => (None, None),
                };
                let request = drain_core::Request {
                    method,
                    path,
                    headers,
                    body: bytes
                        .as_deref()
                        .map_or(drain_core::Body::TooLarge, drain_core::Body::Complete),
                    request_id,
                    body_macs: macs.as_deref(),
                };
                let plan = crate::decide(config, admitted, &request, received_at);
                (plan, bytes.map_or(0, |b| b.len()))
            }
        },
    };
    let context = Context {
        request_id,
        bytes_in,
        decode_ms: host.millis() - started,
        log: config.log,
    };
    finish(host, plan, context).await
}

/// A body that arrives in chunks (the Worker's stream), kept whole up to `max` bytes: `None`
/// once it passes `max`, declared or as read (nothing past the limit is kept); the stream's
/// error if it broke off.
pub async fn read_within<C, E>(
    chunks: impl futures_util::Stream<Item = Result<C, E>>,
    declared: Option<usize>,
    max: usize,
) -> Result<Option<Vec<u8>>, E>
where
    C: AsRef<[u8]>,
{
    use futures_util::StreamExt;
    if declared.is_some_and(|n| n > max) {
        return Ok(None);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    let mut chunks = std::pin::pin!(chunks);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if body.len() + chunk.as_ref().len() > max {
            return Ok(None);
        }
        body.extend_from_slice(chunk.as_ref());
    }
    Ok(Some(body))
}

/// Headers given as text pairs (the Worker's), those that are valid HTTP kept in order.
pub fn header_map(pairs: impl IntoIterator<Item = (String, String)>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            headers.append(n, v);
        }
    }
    headers
}
