//! Why a delivery is refused, as plain types at the bottom of the core: every module below the
//! answers returns these, and `answer.rs` (above the kinds) makes them HTTP answers.

use thiserror::Error;

/// Why a credential was refused.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    #[error("no credentials")]
    Missing,
    #[error("credentials don't match")]
    Mismatch,
    /// A signature over the body that doesn't match (a webhook's: 403 where a credential is 401).
    #[error("signature doesn't match")]
    Signature,
}

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
    #[error("Loki: {0}")]
    Loki(String),
    /// A Splunk HEC envelope that can't be used: its HEC error `code` (6 invalid data, 12 no
    /// `event`, 13 a blank `event`, 5 no data) and the index of the event.
    #[error("event {index}: {what}")]
    Hec { code: u8, index: usize, what: String },
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
