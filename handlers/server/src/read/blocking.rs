//! `drain logs`'s view of the store (`Blocking`): blocking calls from its reader threads,
//! partition folders listed one at a time (never the whole bucket), each object streamed in
//! ranges of `CHUNK` bytes (never held whole).

use std::io::Read;

use anyhow::{Context, Result};
use drain_store::Store as _;

use crate::store::FolderOrBucket;

/// Bytes fetched per read of an object: one request for most delivery objects, and with
/// `--concurrency` objects open, what reading holds beyond its event buffer.
const CHUNK: u64 = 1 << 20;

/// The store and the runtime its calls run on.
#[derive(Debug)]
pub struct Blocking {
    pub store: FolderOrBucket,
    pub rt: tokio::runtime::Handle,
}

impl Blocking {
    /// The names one level below `prefix` (which ends in `/`), without the trailing `/`.
    pub fn folders(&self, prefix: &str) -> Result<Vec<String>> {
        self.rt
            .block_on(self.store.folders(prefix))
            .with_context(|| format!("listing {prefix} in the {}", self.store.describe()))
    }

    /// The objects in one partition folder `prefix` (ending in `/`), after `start_after`, in key
    /// order.
    pub fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<String>> {
        let listed = self
            .rt
            .block_on(self.store.list(prefix, start_after))
            .with_context(|| format!("listing {prefix} in the {}", self.store.describe()))?;
        Ok(listed
            .into_iter()
            .map(|l| l.key)
            .filter(|k| drain_layout::is_object(k))
            .collect())
    }

    /// An object's bytes as a blocking stream; called from a reader thread, never from the
    /// runtime's own threads.
    pub fn open(self: &std::sync::Arc<Self>, key: &str) -> Result<Box<dyn Read + Send>, String> {
        Ok(Box::new(Ranges {
            bucket: self.clone(),
            key: key.to_owned(),
            at: 0,
            chunk: Vec::new(),
            used: 0,
            done: false,
        }))
    }
}

/// An object read `CHUNK` bytes at a time.
struct Ranges {
    bucket: std::sync::Arc<Blocking>,
    key: String,
    at: u64,
    chunk: Vec<u8>,
    used: usize,
    done: bool,
}

impl Read for Ranges {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.used == self.chunk.len() {
            if self.done {
                return Ok(0);
            }
            let b = &self.bucket;
            self.chunk =
                b.rt.block_on(b.store.get_range(&self.key, self.at, CHUNK))
                    .map_err(std::io::Error::other)?
                    .ok_or_else(|| std::io::Error::other("the object is gone (compacted or deleted while read)"))?;
            self.used = 0;
            self.at += self.chunk.len() as u64;
            self.done = (self.chunk.len() as u64) < CHUNK;
            if self.chunk.is_empty() {
                return Ok(0);
            }
        }
        let n = out.len().min(self.chunk.len() - self.used);
        out[..n].copy_from_slice(&self.chunk[self.used..self.used + n]);
        self.used += n;
        Ok(n)
    }
}
