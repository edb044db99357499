//! drain on Cloudflare Workers: the request read within `max_body`, the clock read once with
//! `Date::now()`, `drain-core`'s plan carried out on the R2 binding `LOGS` (create-only-if-absent
//! where the plan says so), the plan's response given. Config from the `DRAIN_CONFIG` var;
//! `${NAME}` is read from the Worker's secrets (or vars).

#![forbid(unsafe_code)]

use std::sync::OnceLock;

use drain_core::{handle, Body, Config, Object, Timestamp};
use futures_util::StreamExt;
use worker::{event, Bucket, Conditional, Context, Data, Date, Env, Headers, HttpMetadata, Request, Response, Result};

/// The R2 binding that holds the objects.
const BUCKET_BINDING: &str = "LOGS";

/// Request ids when there is no `cf-ray` header (`wrangler dev`).
static LOCAL_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Parsed once per isolate; a new deploy or secret makes a new isolate.
static CONFIG: OnceLock<std::result::Result<Config, String>> = OnceLock::new();

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let config = match CONFIG.get_or_init(|| load_config(&env)) {
        Ok(c) => c,
        Err(e) => {
            worker::console_error!("drain config can't be used: {e}");
            return Response::error(format!("drain is misconfigured: {e}"), 500);
        }
    };
    let received_at = Timestamp::from_unix_millis(Date::now().as_millis() as i64).expect("the clock is sane");
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
    // What the head decides (route, method, credentials, content type) is answered before the
    // body is read: an unauthenticated upload costs the isolate no memory.
    if let Some(plan) = drain_core::admit(config, &method, &path, &headers) {
        worker::console_log!(
            "delivery source={} status={} refused={:?} (before the body)",
            plan.source.as_deref().unwrap_or("-"),
            plan.response.status,
            plan.refused.as_deref().unwrap_or("")
        );
        return to_response(&plan.response);
    }
    let body = read_body(&mut req, &headers, config.limits.max_body).await?;
    // Cloudflare's id of this request: part of the key of objects whose events took the
    // reception time (the clock is frozen per request, at millisecond resolution). Without one
    // (a local run), the isolate's own counter.
    let request_id = match headers.get("cf-ray").and_then(|v| v.to_str().ok()) {
        Some(ray) => ray.to_string(),
        None => format!("local-{}", LOCAL_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
    };
    let request = drain_core::Request {
        method: &method,
        path: &path,
        headers: &headers,
        body: body.as_deref().map_or(Body::TooLarge, Body::Complete),
        request_id: &request_id,
    };
    let plan = handle(config, &request, received_at);

    let mut outcome = Ok(0usize);
    if !plan.objects.is_empty() {
        outcome = match env.bucket(BUCKET_BINDING) {
            Ok(bucket) => store_all(&bucket, &plan.objects).await,
            Err(e) => Err(format!("no R2 binding {BUCKET_BINDING}: {e}")),
        };
    }
    let response = match &outcome {
        Ok(_) => &plan.response,
        Err(_) => &plan.on_storage_failure,
    };
    let keys: Vec<&str> = plan.objects.iter().map(|o| o.key.as_str()).collect();
    match &outcome {
        Ok(existing) => worker::console_log!(
            "delivery source={} status={} events={} bytes={} objects={keys:?} already_stored={existing} refused={:?}",
            plan.source.as_deref().unwrap_or("-"),
            response.status,
            plan.events,
            body.as_ref().map_or(0, |b| b.len()),
            plan.refused.as_deref().unwrap_or("")
        ),
        Err(e) => worker::console_error!(
            "storage failed source={} objects={keys:?}: {e}",
            plan.source.as_deref().unwrap_or("-")
        ),
    }
    to_response(response)
}

fn to_response(response: &drain_core::Response) -> Result<Response> {
    let out = Headers::new();
    for (name, value) in &response.headers {
        out.append(name, value)?;
    }
    Ok(Response::from_bytes(response.body.clone())?
        .with_status(response.status)
        .with_headers(out))
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

/// Stores every object; counts those a retry had already stored.
async fn store_all(bucket: &Bucket, objects: &[Object]) -> std::result::Result<usize, String> {
    let mut existing = 0;
    for o in objects {
        let metadata = HttpMetadata {
            content_type: Some(o.content_type.to_string()),
            content_encoding: None,
            ..HttpMetadata::default()
        };
        let mut put = bucket.put(&o.key, Data::Bytes(o.body.clone())).http_metadata(metadata);
        if o.if_absent {
            put = put.only_if(Conditional {
                etag_does_not_match: Some("*".into()),
                ..Conditional::default()
            });
        }
        match put.execute().await {
            Ok(Some(_)) => {}
            // The condition failed: the object exists, a retry already stored it.
            Ok(None) => existing += 1,
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(existing)
}
