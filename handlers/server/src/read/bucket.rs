//! Where `drain logs` reads from: a folder or an S3-compatible bucket, listed one partition
//! folder at a time (never the whole bucket) and read as a stream.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result};
use drain_s3::S3Store;

/// The objects' home: the folder `drain serve --data` writes, or a bucket.
#[derive(Debug)]
pub enum Bucket {
    Dir(PathBuf),
    S3 { store: S3Store, rt: tokio::runtime::Handle },
}

/// Only drain's objects: gzip NDJSON, never a folder store's hidden temporary files.
fn is_object(name: &str) -> bool {
    name.ends_with(".ndjson.gz") && !name.rsplit('/').next().unwrap_or(name).starts_with('.')
}

impl Bucket {
    /// The names one level below `prefix` (which ends in `/`), without the trailing `/`.
    pub fn folders(&self, prefix: &str) -> Result<Vec<String>> {
        let mut out = match self {
            Bucket::Dir(root) => match std::fs::read_dir(root.join(prefix)) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(e).with_context(|| format!("listing {}", root.join(prefix).display())),
            },
            Bucket::S3 { store, rt } => rt
                .block_on(store.list(prefix, Some("/"), None))
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("listing s3://{}/{prefix}", store.bucket()))?
                .prefixes
                .into_iter()
                .filter_map(|p| Some(p.strip_prefix(prefix)?.trim_end_matches('/').to_owned()))
                .collect(),
        };
        out.sort();
        Ok(out)
    }

    /// The objects in one partition folder `prefix` (ending in `/`), after `start_after`, in key
    /// order.
    pub fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<String>> {
        let mut keys: Vec<String> = match self {
            Bucket::Dir(root) => match std::fs::read_dir(root.join(prefix)) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .filter_map(|e| e.file_name().into_string().ok())
                    .map(|name| format!("{prefix}{name}"))
                    .collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(e).with_context(|| format!("listing {}", root.join(prefix).display())),
            },
            Bucket::S3 { store, rt } => rt
                .block_on(store.list(prefix, None, start_after))
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("listing s3://{}/{prefix}", store.bucket()))?
                .objects
                .into_iter()
                .map(|(k, _)| k)
                .collect(),
        };
        keys.retain(|k| is_object(k) && start_after.is_none_or(|a| k.as_str() > a));
        keys.sort();
        Ok(keys)
    }

    /// An object's bytes as a blocking stream; called from a reader thread, never from the
    /// runtime's own threads.
    pub fn open(&self, key: &str) -> Result<Box<dyn Read + Send>, String> {
        match self {
            Bucket::Dir(root) => std::fs::File::open(root.join(key))
                .map(|f| Box::new(f) as Box<dyn Read + Send>)
                .map_err(|e| e.to_string()),
            Bucket::S3 { store, rt } => {
                let body = rt.block_on(store.get(key))?;
                Ok(Box::new(tokio_util::io::SyncIoBridge::new_with_handle(
                    body,
                    rt.clone(),
                )))
            }
        }
    }
}
