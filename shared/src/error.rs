//! Why a delivery is refused, and the one place where that becomes an HTTP answer in each
//! sender's dialect (SPEC section 5).

use thiserror::Error;

use crate::auth::AuthError;
use crate::body::MediaType;
use crate::config::{HttpAuth, SourceKind};
use crate::kinds::Dialect;
use crate::plan::Response;

/// Seconds a sender is asked to wait before retrying after a storage failure.
pub const RETRY_AFTER_SECS: u32 = 5;

/// Why a body couldn't be decoded, saying where.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("gzip: {0}")]
    Gzip(String),
    #[error("JSON: {0}")]
    Json(String),
    #[error("event {index}: expected a JSON object, found {found}")]
    NotAnObject { index: usize, found: &'static str },
    #[error("MessagePack at byte {offset}: {what}")]
    Msgpack { offset: usize, what: String },
    #[error("line {line}: {what}")]
    Line { line: usize, what: String },
    #[error("frame {frame} (byte {offset}): {what}")]
    Frame { frame: usize, offset: usize, what: String },
    #[error("OTLP: {0}")]
    Otlp(String),
    #[error("the body could not be read: {0}")]
    Unreadable(String),
}

/// A derived limit (SPEC section 6) that a delivery passed while being decoded.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    #[error("the delivery's events span more than max_objects ({0}) hours")]
    Objects(usize),
    #[error("one stored event would pass max_event_bytes ({0} bytes)")]
    EventBytes(usize),
    #[error("one event has more than max_fields ({0}) keys, nested ones counted")]
    Fields(usize),
    #[error("nesting deeper than max_depth ({0})")]
    Depth(usize),
    #[error("the delivery's stored lines would pass max_stored ({0} bytes)")]
    Stored(usize),
}

/// Everything that stops a request short of being stored.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Rejection {
    #[error("no such source")]
    UnknownSource,
    #[error("an otlp source takes /v1/logs, /v1/traces and /v1/metrics")]
    UnknownSignal,
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("{0}")]
    Unauthorized(AuthError),
    #[error("body over the size limit")]
    TooLarge,
    #[error("{0}")]
    LimitExceeded(Limit),
    #[error("unsupported content type `{0}`")]
    UnsupportedType(String),
    #[error("unsupported content encoding `{0}` (gzip, deflate, zstd and identity are accepted, one at a time)")]
    UnsupportedEncoding(String),
    #[error("{0}")]
    Undecodable(DecodeError),
}

/// At most this many bytes of what a sender sent are echoed in an error text (SPEC section 5).
pub const ECHO_MAX: usize = 200;

/// `text` cut to about [`ECHO_MAX`] bytes on a character boundary, marked when cut: error texts
/// quote sender data (serde_json quotes a whole string it didn't expect), and a refusal must not
/// send a megabyte back or into the log.
pub fn brief(text: impl Into<String>) -> String {
    let mut text = text.into();
    if text.len() > ECHO_MAX {
        let mut end = ECHO_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("… (cut)");
    }
    text
}

/// At most about [`ECHO_MAX`] bytes of `bytes` as text, for an error that quotes what a sender
/// sent: cut before it is copied, so a 90 MiB token costs nothing to quote.
pub fn echo(bytes: &[u8]) -> String {
    let cut = bytes.len() > ECHO_MAX;
    let mut text = String::from_utf8_lossy(&bytes[..bytes.len().min(ECHO_MAX)]).into_owned();
    if cut {
        text.push_str("… (cut)");
    }
    text
}

impl From<Limit> for Rejection {
    fn from(l: Limit) -> Self {
        Rejection::LimitExceeded(l)
    }
}

impl From<DecodeError> for Rejection {
    fn from(e: DecodeError) -> Self {
        Rejection::Undecodable(e)
    }
}

/// Why a request was not stored, as a label: the same on every platform, in the delivery log line
/// and the metrics (`refusal="too_large"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    NotFound,
    MethodNotAllowed,
    Unauthorized,
    TooLarge,
    TooManyHours,
    /// The delivery's stored lines would pass `max_stored`.
    TooMuchStored,
    EventTooLarge,
    TooManyFields,
    TooDeep,
    UnsupportedType,
    UnsupportedEncoding,
    Undecodable,
    /// The platform was too busy, or the body did not arrive in time (503).
    Unavailable,
}

impl Refusal {
    pub const ALL: [Refusal; 13] = [
        Refusal::NotFound,
        Refusal::MethodNotAllowed,
        Refusal::Unauthorized,
        Refusal::TooLarge,
        Refusal::TooManyHours,
        Refusal::TooMuchStored,
        Refusal::EventTooLarge,
        Refusal::TooManyFields,
        Refusal::TooDeep,
        Refusal::UnsupportedType,
        Refusal::UnsupportedEncoding,
        Refusal::Undecodable,
        Refusal::Unavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::NotFound => "not_found",
            Refusal::MethodNotAllowed => "method_not_allowed",
            Refusal::Unauthorized => "unauthorized",
            Refusal::TooLarge => "too_large",
            Refusal::TooManyHours => "too_many_hours",
            Refusal::TooMuchStored => "too_much_stored",
            Refusal::EventTooLarge => "event_too_large",
            Refusal::TooManyFields => "too_many_fields",
            Refusal::TooDeep => "too_deep",
            Refusal::UnsupportedType => "unsupported_type",
            Refusal::UnsupportedEncoding => "unsupported_encoding",
            Refusal::Undecodable => "undecodable",
            Refusal::Unavailable => "unavailable",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Rejection {
    pub fn refusal(&self) -> Refusal {
        match self {
            Rejection::UnknownSource | Rejection::UnknownSignal => Refusal::NotFound,
            Rejection::MethodNotAllowed { .. } => Refusal::MethodNotAllowed,
            Rejection::Unauthorized(_) => Refusal::Unauthorized,
            Rejection::TooLarge => Refusal::TooLarge,
            Rejection::LimitExceeded(Limit::Objects(_)) => Refusal::TooManyHours,
            Rejection::LimitExceeded(Limit::Stored(_)) => Refusal::TooMuchStored,
            Rejection::LimitExceeded(Limit::EventBytes(_)) => Refusal::EventTooLarge,
            Rejection::LimitExceeded(Limit::Fields(_)) => Refusal::TooManyFields,
            Rejection::LimitExceeded(Limit::Depth(_)) => Refusal::TooDeep,
            Rejection::UnsupportedType(_) => Refusal::UnsupportedType,
            Rejection::UnsupportedEncoding(_) => Refusal::UnsupportedEncoding,
            Rejection::Undecodable(_) => Refusal::Undecodable,
        }
    }
}

/// The answer to a rejection, in the dialect of the source's kind (`None`: no source known).
/// The one place a refusal becomes a status, a body and headers.
pub(crate) fn reject(kind: Option<&SourceKind>, r: &Rejection, media: MediaType) -> Response {
    use Rejection::*;
    let dialect = kind.map(|k| k.row().dialect);
    let status = match (r.refusal(), dialect) {
        (Refusal::NotFound, _) => 404,
        (Refusal::MethodNotAllowed, _) => 405,
        (Refusal::Unauthorized, Some(Dialect::Plain | Dialect::Otlp)) => 401,
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
        None if matches!(r, Unauthorized(_)) => Response::text(status, "Unauthorized".to_string()),
        _ => Response::text(status, brief(r.to_string())),
    };
    if let MethodNotAllowed { allow } = r {
        resp.headers.push(("allow", (*allow).to_string()));
    }
    if let Unauthorized(_) = r {
        let challenge = match kind {
            Some(SourceKind::Northflank {
                auth: HttpAuth::Bearer(_),
            }) => Some("Bearer realm=\"drain\""),
            Some(SourceKind::Northflank { .. } | SourceKind::Logplex { .. }) => Some("Basic realm=\"drain\""),
            _ => None,
        };
        if let Some(c) = challenge {
            resp.headers.push(("www-authenticate", c.to_string()));
        }
    }
    resp
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
        _ => Response::text(503, why.to_string()),
    };
    resp.headers.push(("retry-after", RETRY_AFTER_SECS.to_string()));
    resp
}

/// The answer once every object is stored: an OTLP export's is the empty
/// `Export…ServiceResponse` in the request's encoding.
pub(crate) fn accepted(kind: &SourceKind, media: MediaType) -> Response {
    let mut r = Response::empty(kind.row().success);
    if kind.row().dialect == Dialect::Otlp {
        let (content_type, body) = match media {
            MediaType::Protobuf => ("application/x-protobuf", Vec::new()),
            _ => ("application/json", b"{}".to_vec()),
        };
        r.headers.push(("content-type", content_type.to_string()));
        r.body = body;
    }
    r
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
