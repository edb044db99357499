//! Where objects land: a folder by default, or an S3-compatible bucket. A folder write is atomic
//! (a hidden temp file, synced, then renamed or linked into place), so no half-written object is
//! ever visible under its key; an S3 `PutObject` is atomic by itself.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use drain_core::Object;
pub use drain_exec::Put;
pub use drain_s3::S3Store;

#[derive(Debug)]
pub enum Store {
    Dir(DirStore),
    S3(S3Store),
}

impl Store {
    pub fn dir(root: impl Into<PathBuf>) -> Self {
        Store::Dir(DirStore {
            root: root.into(),
            counter: AtomicU64::new(0),
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Store::Dir(d) => format!("folder {}", d.root.display()),
            Store::S3(s) => format!("bucket {}", s.bucket()),
        }
    }
}

impl drain_exec::Store for Store {
    async fn put(&self, object: &Object) -> Result<Put, String> {
        match self {
            Store::Dir(d) => d.put(object).await.map_err(|e| e.to_string()),
            Store::S3(s) => drain_exec::Store::put(s, object).await,
        }
    }
}

#[derive(Debug)]
pub struct DirStore {
    root: PathBuf,
    counter: AtomicU64,
}

impl DirStore {
    async fn put(&self, object: &Object) -> io::Result<Put> {
        let path = self.root.join(&object.key);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let body = object.body.clone();
        let if_absent = object.if_absent;
        tokio::task::spawn_blocking(move || write_atomically(&path, &body, if_absent, n))
            .await
            .map_err(io::Error::other)?
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

fn write_atomically(path: &Path, body: &[u8], if_absent: bool, n: u64) -> io::Result<Put> {
    let dir = path.parent().ok_or_else(|| io::Error::other("key has no folder"))?;
    if if_absent && path.exists() {
        return Ok(Put::AlreadyThere);
    }
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create_new(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        let put = if if_absent {
            // A hard link fails if the key exists, which makes "only if absent" atomic.
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => Put::Written,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(Put::AlreadyThere),
                Err(e) => return Err(e),
            }
        } else {
            std::fs::rename(&tmp, path)?;
            Put::Written
        };
        // The new name is durable only once its folder is synced (and a new folder's own name
        // in its parent): without this an acknowledged object can vanish on power loss.
        sync_dir(dir)?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        Ok(put)
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}
