//! What the core hands back to a platform handler: the objects to store, then the answer to give.

use crate::error::Refusal;

/// What to do with one request. Store the objects in order, each only if absent when
/// `if_absent` says so (an object that already exists counts as stored), stopping at the first
/// failure; then answer `response`, or `on_storage_failure` if any store failed. The order puts
/// the one unconditional object last, so a retry after a partial failure never stores it twice.
#[must_use = "a plan does nothing until the handler stores its objects and sends its response"]
#[derive(Debug)]
pub struct Plan {
    /// The source the request was for, when it names one, and its kind.
    pub source: Option<String>,
    pub kind: Option<&'static str>,
    /// What the objects hold (`logs`), when the request was for a source.
    pub signal: Option<&'static str>,
    pub objects: Vec<Object>,
    pub response: http::Response<Vec<u8>>,
    pub on_storage_failure: http::Response<Vec<u8>>,
    /// Events decoded, for the handler's log line.
    pub events: usize,
    /// Matches the source's `redact` replaced in what is stored.
    pub redacted: usize,
    /// Events the source's `min_level` kept out (not stored, not in `events`).
    pub dropped: usize,
    /// A refused delivery kept for a look (a source with `keep_refused`): stored after the
    /// answer is decided, best effort; whether it is stored never changes the answer.
    pub kept: Option<Object>,
    /// Why the request was refused, as a label for the log line and the metrics.
    pub refusal: Option<Refusal>,
    /// The refusal in words, cut to a few hundred bytes (some senders' answers must be terse).
    /// Never holds a credential.
    pub reason: Option<String>,
}

/// One object to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub key: String,
    /// gzip of NDJSON.
    pub body: Vec<u8>,
    /// `application/gzip`; stored with no `Content-Encoding`, so clients hand the `.gz` bytes
    /// over as they are.
    pub content_type: &'static str,
    /// Write only if no object has this key; an existing one means a retry already stored it.
    pub if_absent: bool,
    pub events: usize,
}

/// An HTTP response with lower-case header names, as the core builds it; a [`Plan`] holds it as an
/// `http::Response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn text(status: u16, body: String) -> Self {
        let headers = vec![("content-type", "text/plain; charset=utf-8".to_string())];
        Self {
            status,
            headers,
            body: body.into_bytes(),
        }
    }

    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        let headers = vec![("content-type", "application/json".to_string())];
        Self {
            status,
            headers,
            body: body.to_string().into_bytes(),
        }
    }

    pub fn into_http(self) -> http::Response<Vec<u8>> {
        let mut r = http::Response::new(self.body);
        *r.status_mut() = http::StatusCode::from_u16(self.status).expect("the core's statuses are valid");
        for (name, value) in self.headers {
            if let Ok(v) = http::HeaderValue::from_str(&value) {
                r.headers_mut().append(name, v);
            }
        }
        r
    }
}
