//! drain on Cloudflare Workers: the request read within `max_body`, the clock read with `Date::now()`,
//! `drain-core`'s plan carried out by drain-exec on the R2 binding `LOGS`, the plan's response
//! given, the delivery line (JSON) to Workers Logs and, with a `METRICS` binding, a data point to
//! Workers Analytics Engine. Config from the `DRAIN_CONFIG` var;
//! `${NAME}` is read from the Worker's secrets (or vars). Compaction is a Worker of its own
//! (`handlers/worker-compact`).

#![forbid(unsafe_code)]

mod subtle;

use std::sync::OnceLock;

use drain_core::{Admission, Body, Config, Timestamp};
use drain_exec::{carry_out, Context as Delivery, Record};
use futures_util::StreamExt;
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
    let config = match CONFIG.get_or_init(|| load_config(&env)) {
        Ok(c) => c,
        Err(e) => {
            // The detail (source names, `${NAME}` references, a TOML line that may hold an
            // inlined secret) goes to the Worker's log only; the sender gets a fixed 503 and
            // retries, so nothing is lost while the config is fixed.
            worker::console_error!("drain config can't be used: {e}");
            return respond(drain_core::not_configured());
        }
    };
    let started = clock();
    let received_at = Timestamp::from_unix_millis(started as i64).expect("the clock is sane");
    let method = req.method().to_string();
    let path = req.path();
    let mut headers = http::HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            headers.append(n, v);
        }
    }
    // Cloudflare's id of this request: part of the key of objects whose events took the
    // reception time (the clock is frozen per request, at millisecond resolution). Without one
    // (a local run), the isolate's own counter.
    let request_id = match headers.get("cf-ray").and_then(|v| v.to_str().ok()) {
        Some(ray) => ray.to_string(),
        None => format!("local-{}", LOCAL_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
    };
    // What the head decides (route, method, credentials, content type) is answered before the
    // body is read: an unauthenticated upload costs the isolate no memory.
    let (plan, bytes_in) = match drain_core::admit(config, &method, &path, &headers) {
        Admission::Answer(plan) => (plan, 0),
        Admission::Read(admitted) => match read_body(&mut req, &headers, config.limits.max_body).await {
            // A stream that broke off or failed: the source's "can't be decoded" answer.
            Err(e) => (admitted.unreadable(config, &headers, &e.to_string()), 0),
            Ok(body) => {
                // A large signed body: its MACs by the platform's native HMAC, not in wasm.
                let macs = match (admitted.signature_secrets(config), &body) {
                    (Some(secrets), Some(b)) if b.len() >= subtle::FROM => subtle::body_macs(secrets, b).await,
                    _ => None,
                };
                let request = drain_core::Request {
                    method: &method,
                    path: &path,
                    headers: &headers,
                    body: body.as_deref().map_or(Body::TooLarge, Body::Complete),
                    request_id: &request_id,
                    body_macs: macs.as_deref(),
                };
                (
                    drain_exec::decide(config, admitted, &request, received_at),
                    body.map_or(0, |b| b.len()),
                )
            }
        },
    };
    let context = Delivery {
        request_id: &request_id,
        bytes_in,
        decode_ms: clock() - started,
    };
    let store = drain_r2::R2::from_env(&env, u32::MAX);
    let (response, record) = carry_out(&store, plan, context, Delay::from(STORE_TIMEOUT), clock).await;
    if !record.is_health_check() {
        worker::console_log!("{}", record.json());
        if let Ok(dataset) = env.analytics_engine(METRICS_BINDING) {
            count(&dataset, &record);
        }
    }
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

/// One Analytics Engine data point per delivery: indexed by source; blobs source, kind, status,
/// refusal; doubles events, bytes in, bytes stored, objects, storage failed (0/1), decode and
/// store milliseconds.
fn count(dataset: &worker::AnalyticsEngineDataset, r: &Record) {
    let source = r.source.as_deref().unwrap_or("-");
    let point = AnalyticsEngineDataPointBuilder::new()
        .indexes([source])
        .blobs([
            source,
            r.kind.unwrap_or("-"),
            &r.status.to_string(),
            r.refusal.unwrap_or(""),
        ])
        .doubles([
            r.events as f64,
            r.bytes_in as f64,
            r.bytes_stored as f64,
            r.objects as f64,
            f64::from(u8::from(r.storage_failed())),
            r.decode_ms,
            r.store_ms,
        ])
        .build();
    if let Err(e) = dataset.write_data_point(&point) {
        worker::console_error!("analytics engine: {e}");
    }
}

fn load_config(env: &Env) -> std::result::Result<Config, String> {
    let text = env
        .var("DRAIN_CONFIG")
        .map_err(|_| "the DRAIN_CONFIG var is not set".to_string())?
        .to_string();
    let lookup = |name: &str| env.secret(name).or_else(|_| env.var(name)).ok().map(|v| v.to_string());
    Config::parse(&text, &lookup).map_err(|e| e.to_string())
}

/// The body, or `None` once it passes `max` bytes (nothing past the limit is kept).
async fn read_body(req: &mut Request, headers: &http::HeaderMap, max: usize) -> Result<Option<Vec<u8>>> {
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Ok(None);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    let Ok(mut stream) = req.stream() else {
        return Ok(Some(body));
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > max {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}
