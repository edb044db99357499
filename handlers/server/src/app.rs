//! The HTTP side: one fallback handler that reads the body within the limit and the time, calls
//! the core, stores the objects, and answers; plus the delivery log line.
//!
//! Memory is bounded by three limits, none of which a slow sender can exhaust cheaply: the body
//! bytes held across all deliveries (`max_buffered`, reserved as they arrive, or up front when the
//! length is declared and the sender already proved who it is; past it, 503), the deliveries
//! decoded at once (`max_decoding`, each holding at most `max_decompressed` inflated; the others
//! wait, at most `decode_wait`), and the deliveries in progress (`max_concurrent`, of which at
//! most `max_unauthenticated` read a body whose signature is still to be checked; past either,
//! 503). What the head decides, a declared length over `max_body` included, is answered before
//! anything is reserved.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body as AxumBody;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
pub use drain_cli::Settings;
use drain_core::{Admission, Body, Config, Plan};
use drain_exec::{Context, Host, Record};
use tokio::sync::Semaphore;

use crate::body::{kib, read_body, Read, DISCARD_LIMIT};
use crate::store::FolderOrBucket;
use drain_exec::prometheus::Metrics;

pub struct AppState {
    pub config: Config,
    pub store: FolderOrBucket,
    pub settings: Settings,
    pub metrics: Metrics,
    slots: Semaphore,
    /// When this process started (Unix nanoseconds) and how many requests it has numbered: the
    /// request id that keeps keys of timestamp-less deliveries unique.
    started: u128,
    /// The same start, for durations.
    epoch: Instant,
    requests: std::sync::atomic::AtomicU64,
    /// One permit per KiB of body held.
    pub(crate) buffered: Semaphore,
    decoding: Semaphore,
    /// Deliveries reading a body whose signature is still to be checked.
    unauthenticated: Semaphore,
}

impl AppState {
    pub fn new(config: Config, store: FolderOrBucket, settings: Settings) -> Arc<Self> {
        Arc::new(Self {
            config,
            store,
            slots: Semaphore::new(settings.max_concurrent),
            started: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
            epoch: Instant::now(),
            requests: std::sync::atomic::AtomicU64::new(0),
            buffered: Semaphore::new(kib(settings.max_buffered).max(1)),
            decoding: Semaphore::new(settings.max_decoding.max(1)),
            unauthenticated: Semaphore::new(settings.max_unauthenticated.max(1)),
            metrics: Metrics::default(),
            settings,
        })
    }

    /// KiB of the body budget (`max_buffered`) not reserved right now: what the tests read to
    /// see that an upload reserved no more than it should.
    pub fn buffered_free_kib(&self) -> usize {
        self.buffered.available_permits()
    }

    /// The decoding slots, for tests that hold them all to see what a waiting delivery answers.
    #[doc(hidden)]
    pub fn decoding_slots(&self) -> &Semaphore {
        &self.decoding
    }
}

/// The whole server as a router, for `axum::serve` and for tests.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new().fallback(deliver).with_state(state)
}

async fn deliver(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let started = state.millis();
    // This process's start and a counter: unique per delivery, even within one millisecond.
    let request_id = format!(
        "{}-{}",
        state.started,
        state.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    if req.uri().path() == "/metrics" && req.method() == http::Method::GET {
        return http::Response::builder()
            .header(
                "content-type",
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )
            .body(AxumBody::from(state.metrics.render()))
            .expect("static response");
    }
    let (parts, body) = req.into_parts();
    // Shared with the thread that decodes, without copying the headers.
    let parts = Arc::new(parts);
    let compressed = parts.headers.contains_key(http::header::CONTENT_ENCODING);
    let max = state.config.limits.max_body;
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    // What the head decides (route, method, credentials, content coding and type, a declared
    // length over max_body) is decided before a byte of the body is read or reserved and before
    // a delivery slot is taken, so an unauthenticated upload holds no body memory and no slot.
    let admitted = match drain_core::admit(&state.config, parts.method.as_str(), target(&parts.uri), &parts.headers) {
        Admission::Read(admitted) => admitted,
        Admission::Answer(plan) => {
            let over = declared.is_some_and(|n| n > max as u64);
            if over && declared.is_some_and(|n| n <= (max + DISCARD_LIMIT) as u64) {
                // A sender that writes its whole body before it reads an answer sees the 413
                // rather than a reset connection: the body is read and thrown away (no byte
                // kept, nothing reserved, no slot held), within the read timeout.
                let _ = tokio::time::timeout(state.settings.read_timeout, discard(body, max + DISCARD_LIMIT)).await;
            }
            let mut response = finish(&state, plan, &request_id, 0, started).await;
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
    let busy = |why: &'static str| {
        let plan = admitted.unavailable(&state.config, &parts.headers, why);
        finish(&state, plan, &request_id, 0, started)
    };
    let Ok(_slot) = state.slots.try_acquire() else {
        return busy("too many deliveries at once, retry later").await;
    };
    // A body signature (vercel, otlp with secrets) is checked over the body, so until then the
    // sender is unknown: such reads are capped below max_concurrent, and reserve the budget as
    // bytes arrive rather than the length they declare.
    let signed = admitted.signature_secrets(&state.config).is_some();
    let _unauthenticated = if signed {
        match state.unauthenticated.try_acquire() {
            Ok(permit) => Some(permit),
            Err(_) => return busy("too many unsigned uploads at once, retry later").await,
        }
    } else {
        None
    };
    let reserve_up_front = if signed { None } else { declared };
    let read = if declared.is_some_and(|n| n > (max + DISCARD_LIMIT) as u64) {
        Ok(Read::TooLarge)
    } else {
        match tokio::time::timeout(
            state.settings.read_timeout,
            read_body(&state, body, max, reserve_up_front),
        )
        .await
        {
            // Never a 408: a 4xx makes Logplex drop the frames.
            Err(_) => return busy("the body did not arrive in time, retry later").await,
            Ok(read) => read,
        }
    };
    let (bytes, _held) = match read {
        Ok(Read::Complete(bytes, held)) => (Some(bytes), Some(held)),
        Ok(Read::TooLarge) => (None, None),
        Ok(Read::OverBudget) => return busy("too many bytes in flight, retry later").await,
        Err(e) => {
            tracing::info!(error = %e, "body read failed");
            let plan = admitted.unreadable(
                &state.config,
                &parts.headers,
                "the request body broke off or was malformed",
            );
            return finish(&state, plan, &request_id, 0, started).await;
        }
    };
    let received_at = drain_exec::wall_clock();
    let wire = bytes.as_ref().map_or(0, |b| b.len());
    // Every delivery decodes holding one of `max_decoding` slots: a small body can make up to
    // `max_stored` of lines too (an OTLP resource copied into every record), so the slots, not
    // the body sizes, bound what decoding holds. A slot not free within `decode_wait` is a 503
    // the sender retries, not a wait without end. A small plain body is then decoded right here
    // (well under a millisecond); a large or compressed one (up to `max_decompressed` inflated)
    // on the blocking pool, so the async workers keep reading other bodies meanwhile.
    let inline = wire <= INLINE_DECODE && !compressed;
    let _decoding = match tokio::time::timeout(state.settings.decode_wait, state.decoding.acquire()).await {
        Ok(Ok(permit)) => permit,
        Ok(Err(_)) => return busy("shutting down").await,
        Err(_) => return busy("every decoder is busy, retry later").await,
    };
    let decide = {
        let state = Arc::clone(&state);
        let request_id = request_id.clone();
        let parts = Arc::clone(&parts);
        move || {
            let request = drain_core::Request {
                method: parts.method.as_str(),
                path: target(&parts.uri),
                headers: &parts.headers,
                body: bytes.as_deref().map_or(Body::TooLarge, Body::Complete),
                request_id: &request_id,
                body_macs: None,
            };
            drain_exec::decide(&state.config, admitted, &request, received_at)
        }
    };
    let plan = if inline {
        decide()
    } else {
        match tokio::task::spawn_blocking(decide).await {
            Ok(plan) => plan,
            Err(e) => {
                tracing::error!(error = %e, "decoding failed");
                admitted.unavailable(&state.config, &parts.headers, "decoding failed, retry later")
            }
        }
    };
    finish(&state, plan, &request_id, wire, started).await
}

/// Plain bodies up to this size are decoded on the async worker that read them.
const INLINE_DECODE: usize = 256 << 10;

/// The plan carried out by drain-exec's shell on this host.
async fn finish(state: &AppState, plan: Plan, request_id: &str, bytes_in: usize, started: f64) -> Response {
    let context = Context {
        request_id,
        bytes_in,
        decode_ms: state.millis() - started,
        log: state.config.log,
    };
    drain_exec::finish(state, plan, context).await.map(AxumBody::from)
}

impl Host for AppState {
    type Store = FolderOrBucket;

    fn store(&self) -> &FolderOrBucket {
        &self.store
    }

    fn millis(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64() * 1000.0
    }

    fn deadline(&self) -> impl std::future::Future<Output = ()> {
        tokio::time::sleep(self.settings.store_timeout)
    }

    /// Counted for `/metrics`; the delivery line to stderr (JSON, or text with `tracing`).
    fn record(&self, record: &Record) {
        self.metrics.observe(record);
        if !record.logged() {
            return;
        }
        if self.settings.log_json {
            eprintln!("{}", record.json());
        } else if record.storage_failed() {
            tracing::error!("{}", record.text());
        } else {
            tracing::info!("{}", record.text());
        }
    }
}

/// Reads a body and keeps none of it, up to `limit` bytes.
async fn discard(mut body: AxumBody, limit: usize) {
    use http_body_util::BodyExt;
    let mut seen = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        seen += frame.data_ref().map_or(0, |d| d.len());
        if seen > limit {
            break;
        }
    }
}

/// The request target the core reads: the path and its query string.
fn target(uri: &http::Uri) -> &str {
    uri.path_and_query().map_or(uri.path(), |pq| pq.as_str())
}
