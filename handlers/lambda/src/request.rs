//! One function URL request: read from the event, decided by the core, carried out by drain-exec
//! on S3, answered; the delivery line (JSON with CloudWatch Embedded Metric Format) to stdout.

use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use drain_core::{Admission, Body};
use drain_exec::{carry_out, wall_clock, Context};
use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::aws_lambda_events::encodings::Body as LambdaBody;

use crate::State;

pub async fn handle(state: &State, event: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    let started = Instant::now();
    let received_at = wall_clock();
    let method = event.request_context.http.method.as_str();
    let path = event
        .raw_path
        .as_deref()
        .or(event.request_context.http.path.as_deref())
        .unwrap_or("/");
    // Unique per invocation: part of the key of objects whose events took the reception time.
    let request_id = event.request_context.request_id.as_deref().unwrap_or_default();
    let body = match (event.body.as_deref(), event.is_base64_encoded) {
        (None, _) => Ok(Vec::new()),
        (Some(b), false) => Ok(b.as_bytes().to_vec()),
        (Some(b), true) => STANDARD.decode(b),
    };
    let plan = match (drain_core::admit(&state.config, method, path, &event.headers), &body) {
        (Admission::Answer(plan), _) => plan,
        (Admission::Read(admitted), Ok(body)) => {
            let request = drain_core::Request {
                method,
                path,
                headers: &event.headers,
                request_id,
                body: Body::Complete(body),
                body_macs: None,
            };
            drain_exec::decide(&state.config, admitted, &request, received_at)
        }
        // The platform handed over a body it had encoded itself, wrongly: not the sender's fault,
        // so the source's 503 (a 4xx makes Logplex drop the frames).
        (Admission::Read(admitted), Err(_)) => {
            admitted.unavailable(&state.config, &event.headers, "the body could not be read, retry later")
        }
    };
    let context = Context {
        request_id,
        bytes_in: body.as_ref().map_or(0, Vec::len),
        decode_ms: started.elapsed().as_secs_f64() * 1000.0,
    };
    let (response, record) = carry_out(
        &state.store,
        plan,
        context,
        tokio::time::sleep(state.store_timeout),
        || started.elapsed().as_secs_f64() * 1000.0,
    )
    .await;
    if !record.is_health_check() {
        println!("{}", record.emf((received_at.unix_nanos() / 1_000_000) as i64));
    }
    respond(response)
}

fn respond(response: http::Response<Vec<u8>>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut r = ApiGatewayV2httpResponse::default();
    r.status_code = i64::from(parts.status.as_u16());
    r.headers = parts.headers;
    if !body.is_empty() {
        r.body = Some(match String::from_utf8(body) {
            Ok(text) => LambdaBody::Text(text),
            Err(e) => LambdaBody::Binary(e.into_bytes()),
        });
    }
    r
}
