//! Lambda's function URL, runtime-free: the event's request through [`ingest`], the answer as
//! the event's response, and what the function's variables mean.

use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body as EventBody;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use drain_core::{Config, Timestamp};

use crate::{ingest, Body, Host, Incoming};

/// One function URL request: the body from the event (base64 when the platform says so), the
/// target with its query string (a webhook's token, Datadog's `dd-api-key`), the invocation's
/// request id.
pub async fn handle<H: Host>(
    host: &H,
    config: &Config,
    event: &ApiGatewayV2httpRequest,
    now: Timestamp,
) -> ApiGatewayV2httpResponse {
    let path = event
        .raw_path
        .as_deref()
        .or(event.request_context.http.path.as_deref())
        .unwrap_or("/");
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
        received_at: now,
        started: host.millis(),
    };
    let body = |_| async {
        let bytes = match (event.body.as_deref(), event.is_base64_encoded) {
            (None, _) => Vec::new(),
            (Some(b), false) => b.as_bytes().to_vec(),
            (Some(b), true) => match STANDARD.decode(b) {
                Ok(bytes) => bytes,
                // The platform handed over a body it had encoded itself, wrongly: not the
                // sender's fault, so the source's 503 (a 4xx makes Logplex drop the frames).
                Err(_) => return Body::Unavailable("the body could not be read, retry later"),
            },
        };
        Body::Read { bytes, macs: None }
    };
    respond(ingest(host, config, incoming, body).await)
}

/// The answer as the event's response: a text body when it is UTF-8, binary otherwise.
fn respond(response: http::Response<Vec<u8>>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut r = ApiGatewayV2httpResponse::default();
    r.status_code = i64::from(parts.status.as_u16());
    r.headers = parts.headers;
    if !body.is_empty() {
        r.body = Some(match String::from_utf8(body) {
            Ok(text) => EventBody::Text(text),
            Err(e) => EventBody::Binary(e.into_bytes()),
        });
    }
    r
}

/// The ingest function's variables.
#[derive(Debug)]
pub struct Vars {
    pub config: Config,
    pub bucket: String,
    /// `DRAIN_STORE_TIMEOUT` seconds (default 20, under the function's 30 s timeout).
    pub store_timeout: Duration,
}

impl Vars {
    /// From `DRAIN_CONFIG` (`${NAME}` read by `var` too), `DRAIN_BUCKET` and
    /// `DRAIN_STORE_TIMEOUT`; what is missing or wrong, named.
    pub fn from(var: impl Fn(&str) -> Option<String>) -> Result<Vars, String> {
        let config = crate::config_from(&var)?;
        let bucket = var("DRAIN_BUCKET").ok_or("DRAIN_BUCKET is not set")?;
        let store_timeout = match var("DRAIN_STORE_TIMEOUT") {
            None => Duration::from_secs(20),
            Some(s) => Duration::from_secs_f64(
                s.parse::<f64>()
                    .ok()
                    .filter(|t| *t > 0.0 && *t < 900.0)
                    .ok_or("DRAIN_STORE_TIMEOUT must be a number of seconds between 0 and 900")?,
            ),
        };
        Ok(Vars {
            config,
            bucket,
            store_timeout,
        })
    }
}
