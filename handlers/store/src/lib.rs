//! The one object store every part of drain works on: ingest stores a plan's objects with it,
//! compaction claims, builds, commits and deletes with it, `drain logs` and `drain sql` list
//! and read with it. Implemented once per place objects live: a folder (`Folder`, here), an S3
//! API (`drain-s3`, which R2's S3 API also serves) and the Workers R2 binding (`drain-r2`).
//!
//! Runtime-free: the trait's futures are not `Send` (the Worker's aren't), and nothing here needs
//! a clock. Every error text is for the log and never holds a credential.

#![forbid(unsafe_code)]

mod counted;
mod either;
#[cfg(feature = "folder")]
mod folder;
mod probe;

pub use counted::{Counted, Requests};
pub use either::Either;
#[cfg(feature = "folder")]
pub use folder::{Folder, Offload};
pub use probe::self_test;

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    /// The store's version tag (S3's ETag); empty when the store has none.
    pub etag: String,
    pub size: u64,
}

/// The condition of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond<'a> {
    /// Unconditional: replaces whatever is there.
    Always,
    /// Create only: refused when the key exists (`If-None-Match: *`).
    IfAbsent,
    /// Replace only this version (`If-Match: etag`).
    IfMatch(&'a str),
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wrote {
    /// Written; the new version's tag.
    Done { etag: String },
    /// The condition did not hold (HTTP 412): nothing was written. For a create-only delivery
    /// object, a retry of a delivery already stored.
    Refused,
}

/// Why a call failed, as far as the caller acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The store asked to slow down (S3 `SlowDown`, HTTP 429/503 with that code).
    Throttled,
    /// No answer, a timeout, a 5xx: worth retrying later.
    Unavailable,
    /// Refused for good: no permission, no such bucket, a binding missing.
    Denied,
    /// Anything else (a local IO error, an answer that could not be read).
    Other,
}

impl ErrorKind {
    /// What a failed HTTP store call (S3's API) means to its caller, by the status it answered
    /// (`None`: no answer at all, a timeout or a refused connection).
    pub fn of_status(status: Option<u16>) -> Self {
        match status {
            Some(429 | 503) => ErrorKind::Throttled,
            Some(s) if s >= 500 => ErrorKind::Unavailable,
            Some(401 | 403 | 404) => ErrorKind::Denied,
            Some(_) => ErrorKind::Other,
            None => ErrorKind::Unavailable,
        }
    }
}

/// A failed store call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    pub fn other(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Other, message)
    }
}

impl From<Error> for String {
    fn from(e: Error) -> String {
        e.message
    }
}

/// Objects under keys: a folder, an S3 bucket, an R2 binding.
#[allow(async_fn_in_trait)] // Send-ness is the platform's business: the Worker's futures aren't.
pub trait Store {
    /// Writes `body` under `key` atomically when `cond` holds (no half-written object is ever
    /// visible under a key).
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str, cond: Cond<'_>) -> Result<Wrote, Error>;
    /// An object's bytes and version tag; `None` when there is no such key.
    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, Error>;
    /// At most `len` bytes of an object from `start` (fewer at its end, none past it); `None`
    /// when there is no such key. A reader streams an object this way without holding it whole.
    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<Option<Vec<u8>>, Error>;
    /// Every object under `prefix`, at any depth, after `start_after` when given, in key order.
    async fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<Listed>, Error>;
    /// The names one level below `prefix` (which ends in `/`), without their trailing `/`, sorted.
    async fn folders(&self, prefix: &str) -> Result<Vec<String>, Error>;
    /// Whether any object is under `prefix` (a store with paged listings asks for one key).
    async fn holds_any(&self, prefix: &str) -> Result<bool, Error> {
        Ok(!self.list(prefix, None).await?.is_empty())
    }
    /// Deletes `key` (only that version, when the store can tell); a missing key is success.
    async fn delete(&self, key: &str, if_match: Option<&str>) -> Result<(), Error>;
    /// Deletes several `(key, version)`s; a store with a batch call makes it one request a page.
    async fn delete_many(&self, keys: &[(&str, Option<&str>)]) -> Result<(), Error> {
        for (key, tag) in keys {
            self.delete(key, *tag).await?;
        }
        Ok(())
    }
    /// Where the objects are, for the log (`folder ./data`, `bucket logs`).
    fn describe(&self) -> String;
}

/// [`Store::folders`] from the common prefixes of a delimited listing (`{prefix}{name}/`): the
/// names below `prefix`, without their `/`, sorted. For stores whose listing pages (S3, R2).
pub fn folder_names(prefix: &str, common_prefixes: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = common_prefixes
        .into_iter()
        .filter_map(|p| Some(p.strip_prefix(prefix)?.trim_end_matches('/').to_owned()))
        .collect();
    out.sort();
    out
}

/// The content type of a key drain writes: gzip NDJSON objects, JSON manifests, Parquet files.
pub fn content_type_of(key: &str) -> &'static str {
    if key.ends_with(".json") {
        "application/json"
    } else if key.ends_with(".parquet") {
        "application/vnd.apache.parquet"
    } else {
        "application/gzip"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn folder_names_are_the_names_below_the_prefix_sorted() {
        let given = ["logs/drain=b/", "logs/drain=a/", "other/x/"].map(String::from);
        assert_eq!(super::folder_names("logs/", given), ["drain=a", "drain=b"]);
    }

    /// Throttled and unavailable calls are retried later (a delivery answers 503); denied ones
    /// are a setup to fix.
    #[test]
    fn an_http_status_says_what_the_caller_does_next() {
        use super::ErrorKind::{self, *};
        let kinds = [None, Some(429), Some(503), Some(500), Some(403), Some(404), Some(400)].map(ErrorKind::of_status);
        assert_eq!(
            kinds,
            [Unavailable, Throttled, Throttled, Unavailable, Denied, Denied, Other]
        );
    }
}
