//! drain on Cloudflare Workers: the request read within `max_body`, the clock read with `Date::now()`,
//! `drain-core`'s plan carried out by drain-exec on the R2 binding `LOGS`, the plan's response
//! given, the delivery line (JSON) to Workers Logs and, with a `METRICS` binding, a data point to
//! Workers Analytics Engine. Config from the `DRAIN_CONFIG` var;
//! `${NAME}` is read from the Worker's secrets (or vars). Compaction is a Worker of its own
//! (`handlers/worker-compact`).

#![forbid(unsafe_code)]

mod subtle;

use std::sync::OnceLock;

use drain_core::{Config, Timestamp};
use drain_exec::{ingest, read_within, Body, Host, Incoming, Record};
use worker::{event, AnalyticsEngineDataPointBuilder, Context, Date, Delay, Env, Headers, Request, Response, Result};

/// The Workers Analytics Engine dataset binding the delivery counts go to, when configured.
const METRICS_BINDING: &str = "METRICS";

/// Longest time to store a delivery's objects before answering 503.
const STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(25);

/// Request ids when there is no `cf-ray` header (`wrangler dev`).
static LOCAL_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Parsed once per isolate; a new deploy or secret makes a new isolate.
static CONFIG: OnceLock<std::result::Result<Config, String>> = OnceLock::new();

/// Milliseconds (Workers advance the clock only across IO: store time shows, CPU time doesn't).
fn clock() -> f64 {
    Date::now().as_millis() as f64
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let config = match CONFIG.get_or_init(|| {
        drain_exec::config_from(&|name| env.secret(name).or_else(|_| env.var(name)).ok().map(|v| v.to_string()))
    }) {
        Ok(c) => c,
        Err(e) => {
            // The detail (source names, `${NAME}` references, a TOML line that may hold an
            // inlined secret) goes to the Worker's log only; the sender gets a fixed 503 and
            // retries, so nothing is lost while the config is fixed.
            worker::console_error!("{e}");
            return respond(drain_core::not_configured());
        }
    };
    let started = clock();
    let received_at = Timestamp::from_unix_millis(started as i64).expect("the clock is sane");
    let method = req.method().to_string();
    // The path and its query string (a webhook's token, Datadog's `dd-api-key`), taken from the
    // runtime's URL text: `req.url()` would link the `url` crate and IDNA (~80 KB of wasm).
    let path = match req.inner().url().split_once('?') {
        Some((_, query)) => format!("{}?{query}", req.path()),
        None => req.path(),
    };
    let headers = drain_exec::header_map(req.headers());
    // Cloudflare's id of this request: part of the key of objects whose events took the
    // reception time (the clock is frozen per request, at millisecond resolution). Without one
    // (a local run), the isolate's own counter.
    let request_id = match headers.get("cf-ray").and_then(|v| v.to_str().ok()) {
        Some(ray) => ray.to_string(),
        None => format!("local-{}", LOCAL_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
    };
    let host = WorkerHost {
        store: drain_r2::R2::from_env(&env, u32::MAX),
        metrics: env.analytics_engine(METRICS_BINDING).ok(),
    };
    let incoming = Incoming {
        method: &method,
        path: &path,
        headers: &headers,
        request_id: &request_id,
        received_at,
        started,
    };
    // The body is read only once the head is admitted: an unauthenticated upload costs the
    // isolate no memory.
    let (req, headers_ref) = (&mut req, &headers);
    let read = |admitted: drain_core::Admitted| async move {
        let declared = headers_ref
            .get("content-length")
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        let read = match req.stream() {
            Ok(stream) => read_within(stream, declared, config.limits.max_body).await,
            Err(_) => Ok(Some(Vec::new())),
        };
        match read {
            // A stream that broke off or failed: the source's "can't be decoded" answer.
            Err(e) => Body::Broken(e.to_string()),
            Ok(None) => Body::TooLarge,
            Ok(Some(bytes)) => {
                // A large signed body: its MACs by the platform's native HMAC, not in wasm.
                let macs = match admitted.signature_secrets(config) {
                    Some(secrets) if bytes.len() >= subtle::FROM => subtle::body_macs(secrets, &bytes).await,
                    _ => None,
                };
                Body::Read { bytes, macs }
            }
        }
    };
    let response = ingest(&host, config, incoming, read).await;
    respond(response)
}

/// The core's answer as the Workers runtime's.
fn respond(response: http::Response<Vec<u8>>) -> Result<Response> {
    let (parts, body) = response.into_parts();
    let out = Headers::new();
    for (name, value) in &parts.headers {
        out.append(name.as_str(), value.to_str().unwrap_or_default())?;
    }
    Ok(Response::from_bytes(body)?
        .with_status(parts.status.as_u16())
        .with_headers(out))
}

/// The R2 binding, and the Analytics Engine dataset when bound.
struct WorkerHost {
    store: drain_r2::R2,
    metrics: Option<worker::AnalyticsEngineDataset>,
}

impl Host for WorkerHost {
    type Store = drain_r2::R2;

    fn store(&self) -> &drain_r2::R2 {
        &self.store
    }

    fn millis(&self) -> f64 {
        clock()
    }

    fn deadline(&self) -> impl std::future::Future<Output = ()> {
        Delay::from(STORE_TIMEOUT)
    }

    /// The JSON line to Workers Logs; with a `METRICS` binding, one Analytics Engine data point
    /// ([`Record::analytics_blobs`], [`Record::counts`]).
    fn record(&self, r: &Record) {
        if r.logged() {
            worker::console_log!("{}", r.json());
        }
        let Some(dataset) = &self.metrics else {
            return;
        };
        let blobs = r.analytics_blobs();
        let point = AnalyticsEngineDataPointBuilder::new()
            .indexes([blobs[0].as_str()])
            .blobs(blobs.each_ref().map(|b| b.as_str()))
            .doubles(r.counts())
            .build();
        if let Err(e) = dataset.write_data_point(&point) {
            worker::console_error!("analytics engine: {e}");
        }
    }
}
