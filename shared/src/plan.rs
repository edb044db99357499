//! What the core hands back to a platform handler: the objects to store, then the answer to give.

/// What to do with one request. Store the objects in order, each only if absent when
/// `if_absent` says so (an object that already exists counts as stored), stopping at the first
/// failure; then answer `response`, or `on_storage_failure` if any store failed. The order puts
/// the one unconditional object last, so a retry after a partial failure never stores it twice.
#[must_use = "a plan does nothing until the handler stores its objects and sends its response"]
#[derive(Debug, Clone)]
pub struct Plan {
    /// The source the request was for, when it names one.
    pub source: Option<String>,
    pub objects: Vec<Object>,
    pub response: Response,
    pub on_storage_failure: Response,
    /// Events decoded, for the handler's log line.
    pub events: usize,
    /// Why the request was refused, in full (some senders' answers must be terse), for the
    /// handler's log line. Never holds a credential.
    pub refused: Option<String>,
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

/// An HTTP response with lower-case header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
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

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
