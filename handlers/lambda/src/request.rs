//! One function URL request through drain-exec's shell: the body from the event, the store S3,
//! the delivery line (JSON with CloudWatch Embedded Metric Format, the counters) to stdout.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use drain_exec::{ingest, wall_clock, Body, Host, Incoming, Record};
use drain_s3::S3Store;
use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::aws_lambda_events::encodings::Body as LambdaBody;

use crate::State;

impl Host for State {
    type Store = S3Store;

    fn store(&self) -> &S3Store {
        &self.store
    }

    fn millis(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    fn deadline(&self) -> impl std::future::Future<Output = ()> {
        tokio::time::sleep(self.store_timeout)
    }

    fn record(&self, record: &Record) {
        if !record.logged() {
            return; // `[log]`: its metrics are in a sampled line, or not wanted
        }
        let now_ms = (wall_clock().unix_nanos() / 1_000_000) as i64;
        println!("{}", record.emf(now_ms));
    }
}

pub async fn handle(state: &State, event: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    let path = event
        .raw_path
        .as_deref()
        .or(event.request_context.http.path.as_deref())
        .unwrap_or("/");
    // The core reads the query string too (a webhook's token, Datadog's `dd-api-key`).
    let target = match event.raw_query_string.as_deref().filter(|q| !q.is_empty()) {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    let incoming = Incoming {
        method: event.request_context.http.method.as_str(),
        path: &target,
        headers: &event.headers,
        // Unique per invocation: part of the key of objects whose events took the reception time.
        request_id: event.request_context.request_id.as_deref().unwrap_or_default(),
        received_at: wall_clock(),
        started: state.millis(),
    };
    let body = |_| async {
        match (event.body.as_deref(), event.is_base64_encoded) {
            (None, _) => Body::Read {
                bytes: Vec::new(),
                macs: None,
            },
            (Some(b), false) => Body::Read {
                bytes: b.as_bytes().to_vec(),
                macs: None,
            },
            (Some(b), true) => match STANDARD.decode(b) {
                Ok(bytes) => Body::Read { bytes, macs: None },
                // The platform handed over a body it had encoded itself, wrongly: not the
                // sender's fault, so the source's 503 (a 4xx makes Logplex drop the frames).
                Err(_) => Body::Unavailable("the body could not be read, retry later"),
            },
        }
    };
    respond(ingest(state, &state.config, incoming, body).await)
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
