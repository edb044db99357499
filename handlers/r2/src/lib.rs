//! [`drain_store::Store`] on the R2 binding, for both Workers. Create-only and compare-and-swap
//! puts through `onlyIf` (`etagDoesNotMatch: "*"`, `etagMatches`; R2 answers `null` when the
//! condition fails); deletes are unconditional (the binding has none), which is safe because a
//! delivery key is written once and never rewritten. Each call is a subrequest: a store made
//! with a budget refuses the call past it (the compaction Worker's `DRAIN_COMPACT_BUDGET`).

#![forbid(unsafe_code)]

use std::cell::Cell;

use drain_store::{Cond, Error, ErrorKind, Listed, Store, Wrote};
use worker::{Bucket, Conditional, Data, Env, HttpMetadata, Range};

/// The R2 binding that holds the objects (both Workers bind the same bucket under this name).
pub const BINDING: &str = "LOGS";

/// The binding (or why there is none: every call then fails, a delivery answers 503), and the
/// calls spent.
pub struct R2 {
    bucket: Result<Bucket, String>,
    calls: Cell<u32>,
    budget: u32,
}

fn error(e: worker::Error) -> Error {
    Error::new(ErrorKind::Unavailable, e.to_string())
}

impl R2 {
    /// The `LOGS` binding of `env`, with at most `budget` calls.
    pub fn from_env(env: &Env, budget: u32) -> Self {
        R2 {
            bucket: env.bucket(BINDING).map_err(|e| e.to_string()),
            calls: Cell::new(0),
            budget,
        }
    }

    pub fn calls(&self) -> u32 {
        self.calls.get()
    }

    /// Whether the binding exists (its error for the log otherwise).
    pub fn binding(&self) -> Result<(), String> {
        self.bucket.as_ref().map(|_| ()).map_err(Clone::clone)
    }

    fn spend(&self) -> Result<&Bucket, Error> {
        let bucket = self
            .bucket
            .as_ref()
            .map_err(|e| Error::new(ErrorKind::Denied, format!("no R2 binding {BINDING}: {e}")))?;
        let n = self.calls.get() + 1;
        self.calls.set(n);
        if n > self.budget {
            return Err(Error::new(
                ErrorKind::Throttled,
                format!("{} R2 calls spent (the budget); the next run goes on", self.budget),
            ));
        }
        Ok(bucket)
    }

    /// An object, whole or a range: its bytes and ETag, `None` for no such key.
    async fn fetch(&self, key: &str, range: Option<Range>) -> Result<Option<(Vec<u8>, String)>, Error> {
        let mut get = self.spend()?.get(key);
        if let Some(range) = range {
            get = get.range(range);
        }
        let Some(object) = get.execute().await.map_err(error)? else {
            return Ok(None);
        };
        let bytes = match object.body() {
            Some(body) => body.bytes().await.map_err(error)?,
            None => Vec::new(),
        };
        Ok(Some((bytes, object.etag())))
    }

    async fn pages(
        &self,
        prefix: &str,
        delimited: bool,
        start_after: Option<&str>,
    ) -> Result<(Vec<Listed>, Vec<String>), Error> {
        let (mut objects, mut prefixes) = (Vec::new(), Vec::new());
        let mut cursor: Option<String> = None;
        loop {
            let mut req = self.spend()?.list().prefix(prefix);
            if delimited {
                req = req.delimiter("/");
            }
            if let Some(a) = start_after {
                req = req.start_after(a);
            }
            if let Some(c) = cursor.take() {
                req = req.cursor(c);
            }
            let page = req.execute().await.map_err(error)?;
            objects.extend(page.objects().into_iter().map(|o| Listed {
                key: o.key(),
                etag: o.etag(),
                size: o.size(),
            }));
            prefixes.extend(page.delimited_prefixes());
            match page.cursor() {
                Some(c) if page.truncated() => cursor = Some(c),
                _ => return Ok((objects, prefixes)),
            }
        }
    }
}

impl Store for R2 {
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str, cond: Cond<'_>) -> Result<Wrote, Error> {
        let metadata = HttpMetadata {
            content_type: Some(content_type.to_owned()),
            ..HttpMetadata::default()
        };
        let mut put = self.spend()?.put(key, Data::Bytes(body)).http_metadata(metadata);
        match cond {
            Cond::Always => {}
            Cond::IfAbsent => {
                put = put.only_if(Conditional {
                    etag_does_not_match: Some("*".into()),
                    ..Conditional::default()
                })
            }
            Cond::IfMatch(etag) => {
                put = put.only_if(Conditional {
                    etag_matches: Some(etag.to_owned()),
                    ..Conditional::default()
                })
            }
        }
        match put.execute().await.map_err(error)? {
            Some(o) => Ok(Wrote::Done { etag: o.etag() }),
            // The condition failed (for a delivery: the object exists, a retry already stored it).
            None => Ok(Wrote::Refused),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, Error> {
        self.fetch(key, None).await
    }

    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<Option<Vec<u8>>, Error> {
        let range = Range::OffsetWithLength {
            offset: start,
            length: len,
        };
        Ok(self.fetch(key, Some(range)).await?.map(|(bytes, _)| bytes))
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<Listed>, Error> {
        let (mut out, _) = self.pages(prefix, false, start_after).await?;
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn folders(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let (_, prefixes) = self.pages(prefix, true, None).await?;
        Ok(drain_store::folder_names(prefix, prefixes))
    }

    async fn delete(&self, key: &str, _if_match: Option<&str>) -> Result<(), Error> {
        self.spend()?.delete(key).await.map_err(error)
    }

    /// One call per 1,000 keys.
    async fn delete_many(&self, keys: &[(&str, Option<&str>)]) -> Result<(), Error> {
        for batch in keys.chunks(1000) {
            let keys: Vec<&str> = batch.iter().map(|(k, _)| *k).collect();
            self.spend()?.delete_multiple(keys).await.map_err(error)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("R2 binding {BINDING}")
    }
}
