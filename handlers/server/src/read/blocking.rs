//! `drain logs`'s view of the store (`Blocking`): blocking calls from its reader threads,
//! partition folders listed one at a time (never the whole bucket), each object streamed in
//! ranges of `CHUNK` bytes (never held whole); a Parquet table object read page by page
//! (`Table`).

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
    /// order, with their sizes: gzip NDJSON objects and Parquet table objects.
    pub fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<(String, u64)>> {
        let listed = self
            .rt
            .block_on(self.store.list(prefix, start_after))
            .with_context(|| format!("listing {prefix} in the {}", self.store.describe()))?;
        Ok(listed
            .into_iter()
            .filter(|l| drain_layout::is_object(&l.key) || drain_layout::is_table(&l.key))
            .map(|l| (l.key, l.size))
            .collect())
    }

    /// An object's bytes as a blocking stream; called from a reader thread, never from the
    /// runtime's own threads.
    pub fn open(self: &std::sync::Arc<Self>, key: &str) -> Result<Box<dyn Read + Send>, String> {
        Ok(Box::new(self.ranges(key, 0, CHUNK)))
    }

    fn ranges(self: &std::sync::Arc<Self>, key: &str, at: u64, chunk: u64) -> Ranges {
        Ranges {
            bucket: self.clone(),
            key: key.to_owned(),
            at,
            size: chunk,
            chunk: Vec::new(),
            used: 0,
            done: false,
        }
    }
}

/// A Parquet object of `len` bytes, read as the Parquet reader asks: its footer, then each
/// page's header and body, in order. Ranges are fetched `TABLE_CHUNK` bytes (or a page, if
/// larger) at a time and the last one kept, so consecutive pages cost one request, not two each;
/// what one holds is a chunk or a page, not the object.
pub struct Table {
    pub bucket: std::sync::Arc<Blocking>,
    pub key: String,
    pub len: u64,
    /// The last range fetched: its start and bytes.
    pub chunk: std::sync::Mutex<Option<(u64, drain_compact::table::Bytes)>>,
}

/// Bytes fetched at once from a Parquet object.
const TABLE_CHUNK: u64 = 2 << 20;

impl Table {
    pub fn new(bucket: std::sync::Arc<Blocking>, key: String, len: u64) -> Self {
        Table {
            bucket,
            key,
            len,
            chunk: std::sync::Mutex::new(None),
        }
    }

    /// `length` bytes at `start`, from the kept chunk or a new fetch of at least a chunk.
    fn bytes(&self, start: u64, length: u64) -> parquet::errors::Result<drain_compact::table::Bytes> {
        let mut kept = self.chunk.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, b)) = kept.as_ref() {
            if start >= *at && start + length <= at + b.len() as u64 {
                let from = (start - at) as usize;
                return Ok(b.slice(from..from + length as usize));
            }
        }
        let want = length.max(TABLE_CHUNK).min(self.len.saturating_sub(start)).max(length);
        let b = &self.bucket;
        let got: drain_compact::table::Bytes = b
            .rt
            .block_on(b.store.get_range(&self.key, start, want))
            .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))?
            .ok_or_else(|| parquet::errors::ParquetError::General("the object is gone (deleted while read)".into()))?
            .into();
        if (got.len() as u64) < length {
            return Err(parquet::errors::ParquetError::EOF(format!(
                "{length} bytes at {start} asked, {} read",
                got.len()
            )));
        }
        let out = got.slice(..length as usize);
        *kept = Some((start, got));
        Ok(out)
    }
}

impl drain_compact::table::Length for Table {
    fn len(&self) -> u64 {
        self.len
    }
}

impl drain_compact::table::ChunkReader for Table {
    type T = bytes::buf::Reader<drain_compact::table::Bytes>;

    /// A page header: read from what is left of the chunk at `start` (a header is tens of
    /// bytes; the reader reads no further than it).
    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        use bytes::Buf as _;
        let rest = self.len.saturating_sub(start).min(TABLE_CHUNK);
        Ok(self.bytes(start, rest)?.reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<drain_compact::table::Bytes> {
        self.bytes(start, length as u64)
    }
}

/// An object read `size` bytes at a time from `at`.
pub struct Ranges {
    bucket: std::sync::Arc<Blocking>,
    key: String,
    at: u64,
    size: u64,
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
                b.rt.block_on(b.store.get_range(&self.key, self.at, self.size))
                    .map_err(std::io::Error::other)?
                    .ok_or_else(|| std::io::Error::other("the object is gone (compacted or deleted while read)"))?;
            self.used = 0;
            self.at += self.chunk.len() as u64;
            self.done = (self.chunk.len() as u64) < self.size;
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
