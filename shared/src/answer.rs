//! The one place where an outcome becomes an HTTP answer, in each sender's dialect (SPEC
//! section 5): a refusal, a stored delivery, a storage failure, a platform too busy or a body
//! not received in time, a config the platform can't use. Above the kinds (a kind's row names
//! its dialect and challenge); below the entry points in `lib.rs`, which only choose.

use http::HeaderMap;

use crate::body::{self, MediaType};
use crate::config::{Auth, Source, SourceKind};
use crate::error::{brief, AuthError, DecodeError, Limit, Refusal, Rejection};
use crate::format::otlp::Signal;
use crate::kinds::Dialect;
use crate::plan::{Object, Plan, Response};

/// Seconds a sender is asked to wait before retrying after a storage failure.
pub const RETRY_AFTER_SECS: u32 = 5;

/// The answer to a rejection, in the dialect of the source's kind (`None`: no source known).
/// The one place a refusal becomes a status, a body and headers.
pub(crate) fn reject(kind: Option<&SourceKind>, r: &Rejection, media: MediaType) -> Response {
    use Rejection::*;
    let dialect = kind.map(|k| k.row().dialect);
    let status = match (r.refusal(), dialect) {
        (Refusal::NotFound, _) => 404,
        (Refusal::MethodNotAllowed, _) => 405,
        (Refusal::Unauthorized, Some(Dialect::Plain | Dialect::Otlp)) => 401,
        (Refusal::Unauthorized, Some(Dialect::Webhook)) if *r != Unauthorized(AuthError::Signature) => 401,
        (Refusal::Unauthorized, Some(Dialect::Splunk)) if *r == Unauthorized(AuthError::Missing) => 401,
        (Refusal::Unauthorized, _) => 403,
        (Refusal::TooDeep | Refusal::UnsupportedType | Refusal::Undecodable, Some(Dialect::BetterStack)) => 406,
        (Refusal::TooDeep | Refusal::Undecodable, _) => 400,
        (Refusal::UnsupportedType | Refusal::UnsupportedEncoding, _) => 415,
        (
            Refusal::TooLarge
            | Refusal::TooManyHours
            | Refusal::TooMuchStored
            | Refusal::EventTooLarge
            | Refusal::TooManyFields,
            _,
        ) => 413,
        (Refusal::Unavailable, _) => 503,
    };
    let mut resp = match dialect {
        Some(Dialect::Vercel) => {
            let (code, error) = match r {
                Unauthorized(_) => ("invalid_signature", "signature didn't match".to_string()),
                Undecodable(e) => ("invalid_body", brief(e.to_string())),
                TooLarge => ("payload_too_large", "payload reached size limit".to_string()),
                LimitExceeded(l @ Limit::Depth(_)) => ("invalid_body", l.to_string()),
                LimitExceeded(l) => ("payload_too_large", l.to_string()),
                UnknownSource | UnknownSignal => ("not_found", r.to_string()),
                MethodNotAllowed { .. } => ("method_not_allowed", r.to_string()),
                UnsupportedType(_) | UnsupportedEncoding(_) => ("unsupported_media_type", brief(r.to_string())),
            };
            Response::json(status, &serde_json::json!({ "code": code, "error": error }))
        }
        Some(Dialect::BetterStack) => Response::text(
            status,
            match r {
                Unauthorized(_) => "Unauthorized".to_string(),
                Undecodable(DecodeError::Msgpack { .. }) => "Couldn't parse MessagePack content.".to_string(),
                Undecodable(_) => "Couldn't parse JSON content.".to_string(),
                TooLarge => "payload reached size limit".to_string(),
                LimitExceeded(Limit::Depth(_)) => "Couldn't parse JSON content.".to_string(),
                LimitExceeded(_) => "payload reached size limit".to_string(),
                other => brief(other.to_string()),
            },
        ),
        Some(Dialect::Otlp) => otlp_status(status, &brief(r.to_string()), media),
        Some(Dialect::Webhook) => Response::json(status, &serde_json::json!({ "error": brief(r.to_string()) })),
        Some(Dialect::Splunk) => Response::json(status, &splunk(r)),
        Some(Dialect::Datadog) => {
            let error = match r {
                Unauthorized(_) => "Forbidden".to_string(),
                other => brief(other.to_string()),
            };
            Response::json(status, &serde_json::json!({ "errors": [error] }))
        }
        None if matches!(r, Unauthorized(_)) => Response::text(status, "Unauthorized".to_string()),
        _ => Response::text(status, brief(r.to_string())),
    };
    if let MethodNotAllowed { allow } = r {
        resp.headers.push(("allow", (*allow).to_string()));
    }
    if let (Unauthorized(_), Some(kind)) = (r, kind) {
        if let Some(c) = (kind.row().challenge)(kind) {
            resp.headers.push(("www-authenticate", c.to_string()));
        }
    }
    resp
}

/// A refusal in Splunk HEC's `{"text","code"}` (its documented codes).
fn splunk(r: &Rejection) -> serde_json::Value {
    use Rejection::*;
    let (text, code) = match r {
        Unauthorized(AuthError::Missing) => ("Token is required".to_string(), 2),
        Unauthorized(_) => ("Invalid token".to_string(), 4),
        Undecodable(DecodeError::Hec { code, index, .. }) => {
            let text = match code {
                5 => "No data",
                12 => "Event field is required",
                13 => "Event field cannot be blank",
                _ => "Invalid data format",
            };
            return serde_json::json!({ "text": text, "code": code, "invalid-event-number": index });
        }
        Undecodable(_) | LimitExceeded(Limit::Depth(_)) => {
            return serde_json::json!({ "text": "Invalid data format", "code": 6, "invalid-event-number": 0 });
        }
        other => (brief(other.to_string()), 6),
    };
    serde_json::json!({ "text": text, "code": code })
}

/// The answer when the objects couldn't be stored: always 503 with `Retry-After`, so that every
/// sender (Logplex drops frames on a 4xx) retries.
pub(crate) fn storage_failed(kind: Option<&SourceKind>, media: MediaType) -> Response {
    let mut resp = match kind.map(|k| k.row().dialect) {
        Some(Dialect::Vercel) => Response::json(
            503,
            &serde_json::json!({ "code": "storage_unavailable", "error": "storage failed, retry later" }),
        ),
        _ => return unavailable(kind, "storage failed, retry later", media),
    };
    resp.headers.push(("retry-after", RETRY_AFTER_SECS.to_string()));
    resp
}

/// The answer when the platform is too busy or the body didn't arrive in time: 503 with
/// `Retry-After`, `why` in the source's dialect (OTLP: a `google.rpc.Status` `UNAVAILABLE` in
/// the request's encoding).
pub(crate) fn unavailable(kind: Option<&SourceKind>, why: &'static str, media: MediaType) -> Response {
    let mut resp = match kind.map(|k| k.row().dialect) {
        Some(Dialect::Vercel) => Response::json(503, &serde_json::json!({ "code": "unavailable", "error": why })),
        Some(Dialect::Otlp) => otlp_status(503, why, media),
        Some(Dialect::Webhook) => Response::json(503, &serde_json::json!({ "error": why })),
        Some(Dialect::Splunk) => Response::json(503, &serde_json::json!({ "text": "Server is busy", "code": 9 })),
        Some(Dialect::Datadog) => Response::json(503, &serde_json::json!({ "errors": [why] })),
        _ => Response::text(503, why.to_string()),
    };
    resp.headers.push(("retry-after", RETRY_AFTER_SECS.to_string()));
    resp
}

/// The answer once every object is stored: an OTLP export's is the empty
/// `Export…ServiceResponse` in the request's encoding.
pub(crate) fn accepted(kind: &SourceKind, media: MediaType) -> Response {
    let status = kind.row().success;
    match kind.row().dialect {
        Dialect::Otlp => {
            let mut r = Response::empty(status);
            let (content_type, body) = match media {
                MediaType::Protobuf => ("application/x-protobuf", Vec::new()),
                _ => ("application/json", b"{}".to_vec()),
            };
            r.headers.push(("content-type", content_type.to_string()));
            r.body = body;
            r
        }
        Dialect::Webhook => Response::json(status, &serde_json::json!({ "ok": true })),
        Dialect::Splunk => Response::json(status, &serde_json::json!({ "text": "Success", "code": 0 })),
        Dialect::Datadog => Response::json(status, &serde_json::json!({})),
        _ => Response::empty(status),
    }
}

/// Splunk HEC's health answer (`GET …/services/collector/health`, no auth).
pub(crate) fn hec_healthy() -> Response {
    Response::json(200, &serde_json::json!({ "text": "HEC is healthy", "code": 17 }))
}

/// An OTLP refusal: a `google.rpc.Status` (`code`, `message`) in the request's encoding.
fn otlp_status(status: u16, message: &str, media: MediaType) -> Response {
    // The gRPC code closest to the HTTP status.
    let code: i32 = match status {
        401 => 16, // UNAUTHENTICATED
        404 => 5,  // NOT_FOUND
        405 => 12, // UNIMPLEMENTED
        413 => 8,  // RESOURCE_EXHAUSTED
        503 => 14, // UNAVAILABLE
        _ => 3,    // INVALID_ARGUMENT
    };
    if media == MediaType::Protobuf {
        let mut body = Vec::new();
        prost::encoding::int32::encode(1, &code, &mut body);
        prost::encoding::string::encode(2, &message.to_string(), &mut body);
        Response {
            status,
            headers: vec![("content-type", "application/x-protobuf".to_string())],
            body,
        }
    } else {
        Response::json(status, &serde_json::json!({ "code": code, "message": message }))
    }
}

/// The answer of a platform that can't use its config (the Worker's `DRAIN_CONFIG` broken or
/// missing): a fixed 503 with `Retry-After`, so senders retry while it is fixed. It names
/// nothing of the config (a TOML error quotes the line, which may hold an inlined secret).
pub fn not_configured() -> http::Response<Vec<u8>> {
    let mut r = Response::text(503, "drain is not configured, retry later".to_string());
    r.headers.push(("retry-after", RETRY_AFTER_SECS.to_string()));
    r.into_http()
}

/// A plan being made: the core's own response type until [`Draft::finish`] makes it a [`Plan`].
pub(crate) struct Draft {
    pub objects: Vec<Object>,
    pub response: Response,
    pub events: usize,
    pub redacted: usize,
    pub dropped: usize,
    pub kept: Option<Object>,
    pub refusal: Option<Refusal>,
    pub reason: Option<String>,
}

fn media_of(headers: &HeaderMap) -> MediaType {
    body::MediaType::parse(headers.get(http::header::CONTENT_TYPE).map(|v| v.as_bytes()))
}

impl Draft {
    /// Stores nothing and gives `response`.
    pub fn answer(response: Response) -> Self {
        Draft {
            objects: Vec::new(),
            response,
            events: 0,
            redacted: 0,
            dropped: 0,
            kept: None,
            refusal: None,
            reason: None,
        }
    }

    /// Refused, in the dialect of `kind` (`None`: no source known), in the request's encoding
    /// where the dialect has several (OTLP).
    pub fn refuse(kind: Option<&SourceKind>, r: &Rejection, headers: &HeaderMap) -> Self {
        Draft {
            refusal: Some(r.refusal()),
            reason: Some(brief(r.to_string())),
            ..Self::answer(reject(kind, r, media_of(headers)))
        }
    }

    /// The platform too busy, or the body not received in time: 503 with `Retry-After` in the
    /// source's dialect, never a 408 (a 4xx makes Logplex drop frames).
    pub fn unavailable(kind: Option<&SourceKind>, why: &'static str, headers: &HeaderMap) -> Self {
        Draft {
            refusal: Some(Refusal::Unavailable),
            reason: Some(why.to_string()),
            ..Self::answer(unavailable(kind, why, media_of(headers)))
        }
    }

    /// The plan, every answer to a vercel source carrying its `x-vercel-verify` when it has one,
    /// a storage failure answered in the source's dialect and the request's encoding.
    pub fn finish(self, source: Option<&Source>, signal: Option<Signal>, headers: &HeaderMap) -> Plan {
        let mut response = self.response;
        let mut on_storage_failure = storage_failed(source.map(|s| &s.kind), media_of(headers));
        if let Some(Auth::Vercel { verify: Some(v), .. }) = source.map(|s| &s.kind.auth) {
            response.headers.push(("x-vercel-verify", v.clone()));
            on_storage_failure.headers.push(("x-vercel-verify", v.clone()));
        }
        Plan {
            source: source.map(|s| s.name.clone()),
            kind: source.map(|s| s.kind.row().name),
            signal: source.map(|_| signal.map_or("logs", Signal::name)),
            objects: self.objects,
            response: response.into_http(),
            on_storage_failure: on_storage_failure.into_http(),
            events: self.events,
            redacted: self.redacted,
            dropped: self.dropped,
            kept: self.kept,
            refusal: self.refusal,
            reason: self.reason,
        }
    }
}
