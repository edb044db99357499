//! The server's admission control, runtime-free: a delivery as the server takes it, from the
//! head to the answer, with the host giving only a timer, a pool to decode on and the clock.
//! The decoding slots are tokio's semaphore (its `sync` part, which needs no runtime) because
//! it is fair: waiters are served in order, so a delivery never waits behind later ones.
//!
//! Memory is bounded by three limits, none of which a slow sender can exhaust cheaply: the body
//! bytes held across all deliveries (`max_buffered`, reserved as they arrive, or up front when the
//! length is declared and the sender already proved who it is; past it, 503), the deliveries
//! decoded at once (`max_decoding`, each holding at most `max_decompressed` inflated; the others
//! wait, at most `decode_wait`), and the deliveries in progress (`max_concurrent`, of which at
//! most `max_unauthenticated` read a body whose signature is still to be checked; past either,
//! 503). What the head decides, a declared length over `max_body` included, is answered before
//! anything is reserved.

mod body;
mod quota;

use std::fmt::Display;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use drain_core::{Admission, Config, Plan, Timestamp};
use futures_util::future::{select, Either};

pub use body::{kib, DISCARD_LIMIT};
pub use quota::{Held, Quota};

use crate::{Context, Host};

/// The limits and times by which the server bounds what it holds (README "Limits").
#[derive(Debug, Clone)]
pub struct Settings {
    /// Longest time to receive a whole body.
    pub read_timeout: Duration,
    /// Longest time to store a delivery's objects before answering 503.
    pub store_timeout: Duration,
    /// Deliveries in progress at once (receiving, decoding or storing); past that, 503.
    pub max_concurrent: usize,
    /// Body bytes held at once across all deliveries; a delivery that would pass it gets 503.
    pub max_buffered: usize,
    /// Deliveries decoded at once (CPU-bound, off the async workers); the others wait.
    pub max_decoding: usize,
    /// Deliveries at once reading a body before the sender is known (a body signature); below
    /// `max_concurrent`, so unsigned uploads can't take every slot.
    pub max_unauthenticated: usize,
    /// Longest wait for a decoding slot before answering 503.
    pub decode_wait: Duration,
    /// Connections open at once; past that, new ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// Longest time to receive a request's head (method, path, headers).
    pub header_timeout: Duration,
    /// How the process log and delivery lines are written: text, or JSON (the same line as on
    /// Lambda and Workers).
    pub log: crate::logs::Format,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            read_timeout: Duration::from_secs(60),
            store_timeout: Duration::from_secs(30),
            max_concurrent: 1024,
            max_buffered: 256 << 20,
            max_decoding: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_unauthenticated: 256,
            decode_wait: Duration::from_secs(10),
            max_connections: 4096,
            header_timeout: Duration::from_secs(10),
            log: crate::logs::Format::Text,
        }
    }
}

/// The budgets every delivery takes from, and the request ids.
#[derive(Debug)]
pub struct Gate {
    pub settings: Settings,
    slots: Quota,
    /// Deliveries reading a body whose signature is still to be checked.
    unauthenticated: Quota,
    /// KiB of body held.
    buffered: Quota,
    decoding: tokio::sync::Semaphore,
    /// This process's start (any number unique to it) and how many requests it has numbered:
    /// the request id that keeps keys of timestamp-less deliveries unique.
    started: u128,
    requests: AtomicU64,
}

impl Gate {
    /// `started`: a number no other run of this server uses (its start in Unix nanoseconds).
    pub fn new(settings: Settings, started: u128) -> Self {
        Gate {
            slots: Quota::new(settings.max_concurrent),
            unauthenticated: Quota::new(settings.max_unauthenticated.max(1)),
            buffered: Quota::new(kib(settings.max_buffered).max(1)),
            decoding: tokio::sync::Semaphore::new(settings.max_decoding.max(1)),
            settings,
            started,
            requests: AtomicU64::new(0),
        }
    }

    /// KiB of the body budget (`max_buffered`) not reserved right now: what the tests read to
    /// see that an upload reserved no more than it should.
    pub fn buffered_free_kib(&self) -> usize {
        self.buffered.free()
    }

    /// The decoding slots, for tests that hold them all to see what a waiting delivery answers.
    #[doc(hidden)]
    pub fn decoding_slots(&self) -> &tokio::sync::Semaphore {
        &self.decoding
    }
}

/// What the server gives besides a [`Host`]'s store, clock, deadline and record.
pub trait Server: Host + Send + Sync + 'static {
    fn config(&self) -> &Config;
    fn gate(&self) -> &Gate;
    /// Now, as the core's time.
    fn now(&self) -> Timestamp;
    /// Ends after `duration`.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;
    /// Runs `job` off the threads that read requests; `None` if it did not finish (it panicked).
    fn offload(&self, job: Box<dyn FnOnce() -> Plan + Send>) -> impl Future<Output = Option<Plan>>;
}

/// Plain bodies up to this size are decoded on the task that read them.
const INLINE_DECODE: usize = 256 << 10;

/// `future`, unless `sleep` ends first.
async fn within<T>(sleep: impl Future<Output = ()>, future: impl Future<Output = T>) -> Option<T> {
    match select(pin!(future), pin!(sleep)).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

/// The request target the core reads: the path and its query string.
fn target(uri: &http::Uri) -> &str {
    uri.path_and_query().map_or(uri.path(), |pq| pq.as_str())
}

/// One delivery: its head admitted, its body read within the budgets and the read timeout,
/// decoded holding a decoding slot (large or compressed bodies on the host's pool), its plan
/// carried out, recorded and answered.
pub async fn deliver<S, B>(server: &Arc<S>, request: http::Request<B>) -> http::Response<Vec<u8>>
where
    S: Server,
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Display,
{
    let started = server.millis();
    let (gate, config) = (server.gate(), server.config());
    let settings = &gate.settings;
    // This process's start and a counter: unique per delivery, even within one millisecond.
    let request_id = format!("{}-{}", gate.started, gate.requests.fetch_add(1, Ordering::Relaxed));
    let answer = |plan: Plan, bytes_in: usize| {
        let context = Context {
            request_id: &request_id,
            bytes_in,
            decode_ms: server.millis() - started,
            log: config.log,
        };
        crate::finish(server.as_ref(), plan, context)
    };
    let (parts, body) = request.into_parts();
    // Shared with the thread that decodes, without copying the headers.
    let parts = Arc::new(parts);
    let compressed = parts.headers.contains_key(http::header::CONTENT_ENCODING);
    let max = config.limits.max_body;
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    // What the head decides (route, method, credentials, content coding and type, a declared
    // length over max_body) is decided before a byte of the body is read or reserved and before
    // a delivery slot is taken, so an unauthenticated upload holds no body memory and no slot.
    let admitted = match drain_core::admit(config, parts.method.as_str(), target(&parts.uri), &parts.headers) {
        Admission::Read(admitted) => admitted,
        Admission::Answer(plan) => {
            let over = declared.is_some_and(|n| n > max as u64);
            if over && declared.is_some_and(|n| n <= (max + DISCARD_LIMIT) as u64) {
                // A sender that writes its whole body before it reads an answer sees the 413
                // rather than a reset connection: the body is read and thrown away (no byte
                // kept, nothing reserved, no slot held), within the read timeout.
                within(
                    server.sleep(settings.read_timeout),
                    body::discard(body, max + DISCARD_LIMIT),
                )
                .await;
            }
            let mut response = answer(plan, 0).await;
            if over {
                // The connection can't carry another request after a body it did not take.
                response
                    .headers_mut()
                    .insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
            }
            return response;
        }
    };
    // Every answer from here on is the admitted source's, in its dialect.
    let busy = |why: &'static str| answer(admitted.unavailable(config, &parts.headers, why), 0);
    let Some(_slot) = gate.slots.try_take(1) else {
        return busy("too many deliveries at once, retry later").await;
    };
    // A body signature (vercel, otlp with secrets) is checked over the body, so until then the
    // sender is unknown: such reads are capped below max_concurrent, and reserve the budget as
    // bytes arrive rather than the length they declare.
    let signed = admitted.signature_secrets(config).is_some();
    let _unauthenticated = if signed {
        match gate.unauthenticated.try_take(1) {
            Some(held) => Some(held),
            None => return busy("too many unsigned uploads at once, retry later").await,
        }
    } else {
        None
    };
    let reserve_up_front = if signed { None } else { declared };
    let read = if declared.is_some_and(|n| n > (max + DISCARD_LIMIT) as u64) {
        Ok(body::Read::TooLarge)
    } else {
        let read = body::read(&gate.buffered, body, max, reserve_up_front);
        match within(server.sleep(settings.read_timeout), read).await {
            // Never a 408: a 4xx makes Logplex drop the frames.
            None => return busy("the body did not arrive in time, retry later").await,
            Some(read) => read,
        }
    };
    let (bytes, _held) = match read {
        Ok(body::Read::Complete(bytes, held)) => (Some(bytes), Some(held)),
        Ok(body::Read::TooLarge) => (None, None),
        Ok(body::Read::OverBudget) => return busy("too many bytes in flight, retry later").await,
        Err(e) => {
            tracing::info!(error = %e, "body read failed");
            let plan = admitted.unreadable(config, &parts.headers, "the request body broke off or was malformed");
            return answer(plan, 0).await;
        }
    };
    let received_at = server.now();
    let wire = bytes.as_ref().map_or(0, |b| b.len());
    // Every delivery decodes holding one of `max_decoding` slots: a small body can make up to
    // `max_stored` of lines too (an OTLP resource copied into every record), so the slots, not
    // the body sizes, bound what decoding holds. A slot not free within `decode_wait` is a 503
    // the sender retries, not a wait without end. A small plain body is then decoded right here
    // (well under a millisecond); a large or compressed one (up to `max_decompressed` inflated)
    // on the host's pool, so the async workers keep reading other bodies meanwhile.
    let Some(Ok(_decoding)) = within(server.sleep(settings.decode_wait), gate.decoding.acquire()).await else {
        return busy("every decoder is busy, retry later").await;
    };
    let decide = {
        let (server, request_id, parts) = (Arc::clone(server), request_id.clone(), Arc::clone(&parts));
        move || {
            let request = drain_core::Request {
                method: parts.method.as_str(),
                path: target(&parts.uri),
                headers: &parts.headers,
                body: bytes
                    .as_deref()
                    .map_or(drain_core::Body::TooLarge, drain_core::Body::Complete),
                request_id: &request_id,
                body_macs: None,
            };
            crate::decide(server.config(), admitted, &request, received_at)
        }
    };
    let plan = if wire <= INLINE_DECODE && !compressed {
        decide()
    } else {
        match server.offload(Box::new(decide)).await {
            Some(plan) => plan,
            None => {
                tracing::error!("decoding failed");
                admitted.unavailable(config, &parts.headers, "decoding failed, retry later")
            }
        }
    };
    answer(plan, wire).await
}
