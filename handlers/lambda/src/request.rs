//! One function URL request: converted for the core, the plan's objects stored, the answer
//! built. A body that isn't valid base64 is a 400 here, never a panic.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use drain_core::{handle as decide, Body, Timestamp};
use drain_s3::Put;
use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::aws_lambda_events::encodings::Body as LambdaBody;

use crate::State;

pub async fn handle(state: &State, event: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    let started = Instant::now();
    let received_at = now();
    let method = event.request_context.http.method.as_str().to_string();
    let path = event
        .raw_path
        .clone()
        .or_else(|| event.request_context.http.path.clone())
        .unwrap_or_else(|| "/".into());
    let body = match (event.body.as_deref(), event.is_base64_encoded) {
        (None, _) => Vec::new(),
        (Some(b), false) => b.as_bytes().to_vec(),
        (Some(b), true) => match STANDARD.decode(b) {
            Ok(bytes) => bytes,
            // The platform handed over a body it had encoded itself, wrongly: not the sender's
            // fault, so the source's 503 (a 4xx makes Logplex drop the frames).
            Err(e) => {
                tracing::error!(error = %e, "the function URL's base64 body does not decode");
                let r = drain_core::unavailable(&state.config, &path, "the body could not be read, retry later");
                return respond(r.status, &r.headers, r.body);
            }
        },
    };
    let max = state.config.limits.max_body;
    // Unique per invocation: part of the key of objects whose events took the reception time.
    let request_id = event.request_context.request_id.clone().unwrap_or_default();
    let request = drain_core::Request {
        method: &method,
        path: &path,
        headers: &event.headers,
        request_id: &request_id,
        body: if body.len() > max {
            Body::TooLarge
        } else {
            Body::Complete(&body)
        },
    };
    let plan = decide(&state.config, &request, received_at);
    let stored = tokio::time::timeout(state.store_timeout, async {
        let mut existing = 0;
        for object in &plan.objects {
            if state.store.put(object).await? == Put::AlreadyThere {
                existing += 1;
            }
        }
        Ok::<_, String>(existing)
    })
    .await
    .unwrap_or_else(|_| Err(format!("storing took longer than {:?}", state.store_timeout)));
    let (existing, failure) = match stored {
        Ok(n) => (n, None),
        Err(e) => (0, Some(e)),
    };
    let response = if let Some(e) = &failure {
        tracing::error!(source = plan.source.as_deref().unwrap_or("-"), error = %e, "storage failed");
        &plan.on_storage_failure
    } else {
        &plan.response
    };
    tracing::info!(
        source = plan.source.as_deref().unwrap_or("-"),
        status = response.status,
        events = plan.events,
        bytes = body.len(),
        objects = ?plan.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
        already_stored = existing,
        refused = plan.refused.as_deref().unwrap_or(""),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "delivery"
    );
    respond(response.status, &response.headers, response.body.clone())
}

fn respond(status: u16, headers: &[(&'static str, String)], body: Vec<u8>) -> ApiGatewayV2httpResponse {
    let mut r = ApiGatewayV2httpResponse::default();
    r.status_code = i64::from(status);
    for (name, value) in headers {
        if let Ok(v) = http::HeaderValue::from_str(value) {
            r.headers.append(*name, v);
        }
    }
    if !body.is_empty() {
        r.body = Some(match String::from_utf8(body) {
            Ok(text) => LambdaBody::Text(text),
            Err(e) => LambdaBody::Binary(e.into_bytes()),
        });
    }
    r
}

/// The one clock read per request.
fn now() -> Timestamp {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    Timestamp::from_unix_nanos(nanos).expect("the clock is within years 0000-9999")
}
