//! The store on a folder (`drain serve --data`, `drain logs`, `drain compact`). A write is a
//! synced hidden temp file linked (create-only: a hard link fails when the key exists, which
//! makes it atomic) or renamed into place, then the folder synced, so no half-written object is
//! ever visible and an acknowledged one survives power loss. A version tag is the file's inode,
//! size and modification time, so a replaced object always gets a new one; compare-and-swap
//! writes and deletes hold an exclusive lock on `_drain/.lock` (two processes serialize on it).
//! Runtime-free: each call's blocking IO runs where the host says (`Folder::offloaded`: the
//! server's blocking pool, never a thread that serves requests), or on the calling thread.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::{Cond, Error, ErrorKind, Listed, Store, Wrote};

/// Runs a job of blocking IO somewhere else (tokio's `spawn_blocking`, given by the host).
pub type Offload = Arc<dyn Fn(Box<dyn FnOnce() + Send>) + Send + Sync>;

#[derive(Clone)]
pub struct Folder {
    root: Arc<PathBuf>,
    counter: Arc<AtomicU64>,
    offload: Option<Offload>,
}

impl std::fmt::Debug for Folder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Folder").field("root", &self.root).finish()
    }
}

impl Folder {
    /// IO on the calling thread (a CLI, a thread of its own).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Folder {
            root: Arc::new(root.into()),
            counter: Arc::default(),
            offload: None,
        }
    }

    /// IO through `offload`.
    pub fn offloaded(root: impl Into<PathBuf>, offload: Offload) -> Self {
        Folder {
            offload: Some(offload),
            ..Folder::new(root)
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Path) -> io::Result<T> + Send + 'static,
    ) -> Result<T, Error> {
        let root = self.root.clone();
        let done = match &self.offload {
            None => f(&root),
            Some(offload) => {
                let (tx, rx) = futures_channel::oneshot::channel();
                offload(Box::new(move || {
                    let _ = tx.send(f(&root));
                }));
                rx.await
                    .map_err(|_| Error::other("the blocking pool dropped the job"))?
            }
        };
        done.map_err(|e| {
            let kind = match e.kind() {
                io::ErrorKind::PermissionDenied => ErrorKind::Denied,
                _ => ErrorKind::Other,
            };
            Error::new(kind, e.to_string())
        })
    }
}

fn tag(meta: &std::fs::Metadata) -> String {
    format!("{}-{}-{}.{}", meta.ino(), meta.len(), meta.mtime(), meta.mtime_nsec())
}

fn current(path: &Path) -> io::Result<Option<String>> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some(tag(&m))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn lock(root: &Path) -> io::Result<std::fs::File> {
    let dir = root.join("_drain");
    std::fs::create_dir_all(&dir)?;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".lock"))?;
    f.lock()?;
    Ok(f)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Writes `body` to `path` through a temp file: linked into place when `if_absent` (refused,
/// `Ok(None)`, when the key exists), renamed otherwise. The new version's tag.
fn write_atomically(path: &Path, body: &[u8], if_absent: bool, n: u64) -> io::Result<Option<String>> {
    let dir = path.parent().ok_or_else(|| io::Error::other("key has no folder"))?;
    if if_absent && path.exists() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create_new(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        // The tag of the version this call wrote, taken from its own file before it has a name
        // (a link or a rename changes neither inode, size nor mtime). Read from the key after
        // the link, it could be a later version's: another run may replace the object at once
        // (a compaction claim committed by a racing run), and a caller holding that tag could
        // then overwrite what it never read.
        let written = tag(&f.metadata()?);
        if if_absent {
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(None),
                Err(e) => return Err(e),
            }
        } else {
            std::fs::rename(&tmp, path)?;
        }
        #[cfg(test)]
        if let Some(hook) = tests::AFTER_NAMING.with(|h| h.take()) {
            hook(path);
        }
        // The new name is durable only once its folder is synced (and a new folder's own name
        // in its parent): without this an acknowledged object can vanish on power loss.
        sync_dir(dir)?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        Ok(Some(written))
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Listed>) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue; // temp files, the lock
        }
        // Deleted between the listing and this look (another compaction run took it): gone, as
        // an S3 listing taken a moment later would say.
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if meta.is_dir() {
            walk(root, &entry.path(), out)?;
        } else if let Ok(rel) = entry.path().strip_prefix(root) {
            out.push(Listed {
                key: rel.to_string_lossy().into_owned(),
                etag: tag(&meta),
                size: meta.len(),
            });
        }
    }
    Ok(())
}

fn not_found<T>(r: io::Result<T>) -> io::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl Store for Folder {
    async fn put(&self, key: &str, body: Vec<u8>, _content_type: &str, cond: Cond<'_>) -> Result<Wrote, Error> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let (key, cond) = (key.to_owned(), cond.map_owned());
        self.blocking(move |root| {
            let path = root.join(&key);
            let written = match &cond {
                OwnedCond::Always => write_atomically(&path, &body, false, n)?,
                OwnedCond::IfAbsent => write_atomically(&path, &body, true, n)?,
                OwnedCond::IfMatch(want) => {
                    let _lock = lock(root)?;
                    if current(&path)?.as_deref() != Some(want.as_str()) {
                        None
                    } else {
                        write_atomically(&path, &body, false, n)?
                    }
                }
            };
            Ok(written.map_or(Wrote::Refused, |etag| Wrote::Done { etag }))
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, Error> {
        let key = key.to_owned();
        self.blocking(move |root| {
            not_found(std::fs::File::open(root.join(&key)).and_then(|mut f| {
                let meta = f.metadata()?;
                let mut body = Vec::with_capacity(meta.len() as usize);
                f.read_to_end(&mut body)?;
                Ok((body, tag(&meta)))
            }))
        })
        .await
    }

    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<Option<Vec<u8>>, Error> {
        let key = key.to_owned();
        self.blocking(move |root| {
            not_found(std::fs::File::open(root.join(&key)).and_then(|mut f| {
                f.seek(SeekFrom::Start(start))?;
                let mut out = Vec::new();
                f.take(len).read_to_end(&mut out)?;
                Ok(out)
            }))
        })
        .await
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<Listed>, Error> {
        let (prefix, after) = (prefix.to_owned(), start_after.map(str::to_owned));
        self.blocking(move |root| {
            // The folder the prefix names (its part up to the last `/`), then the keys under it
            // that start with the whole prefix.
            let dir = prefix.rfind('/').map_or("", |i| &prefix[..i]);
            let mut out = Vec::new();
            walk(root, &root.join(dir), &mut out)?;
            out.retain(|l| l.key.starts_with(&prefix) && after.as_deref().is_none_or(|a| l.key.as_str() > a));
            out.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(out)
        })
        .await
    }

    async fn folders(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let prefix = prefix.to_owned();
        self.blocking(move |root| {
            let mut out: Vec<String> = match std::fs::read_dir(root.join(&prefix)) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| !n.starts_with('.'))
                    .collect(),
                Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Vec::new(),
                Err(e) => return Err(e),
            };
            out.sort();
            Ok(out)
        })
        .await
    }

    async fn delete(&self, key: &str, if_match: Option<&str>) -> Result<(), Error> {
        let (key, want) = (key.to_owned(), if_match.map(str::to_owned));
        self.blocking(move |root| {
            let path = root.join(&key);
            let _lock = match &want {
                Some(want) => {
                    let l = lock(root)?;
                    if current(&path)?.is_some_and(|now| &now != want) {
                        return Ok(()); // another version than the one named
                    }
                    Some(l)
                }
                None => None,
            };
            not_found(std::fs::remove_file(&path)).map(|_| ())
        })
        .await
    }

    fn describe(&self) -> String {
        format!("folder {}", self.root.display())
    }
}

enum OwnedCond {
    Always,
    IfAbsent,
    IfMatch(String),
}

impl Cond<'_> {
    fn map_owned(self) -> OwnedCond {
        match self {
            Cond::Always => OwnedCond::Always,
            Cond::IfAbsent => OwnedCond::IfAbsent,
            Cond::IfMatch(e) => OwnedCond::IfMatch(e.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Hook = Box<dyn FnOnce(&Path)>;

    thread_local! {
        /// Runs once, on the calling thread, right after the next write gives its file the key's
        /// name: where another process could replace it.
        pub(super) static AFTER_NAMING: std::cell::Cell<Option<Hook>> = const { std::cell::Cell::new(None) };
    }

    /// A compaction run claims a generation (create-only) and may abort it later with the tag it
    /// got back. Another run may commit that generation the instant the claim has a name; the tag
    /// must still be the claim's, or the abort overwrites the commit and deletes its output.
    #[tokio::test]
    async fn a_write_returns_the_tag_of_what_it_wrote_even_when_replaced_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = Folder::new(dir.path());
        for (i, cond) in [Cond::IfAbsent, Cond::Always].into_iter().enumerate() {
            let k = format!("_drain/manifests/p/g00000{i}.json");
            AFTER_NAMING.with(|h| {
                h.set(Some(Box::new(|path: &Path| {
                    let other = path.with_file_name(".by-another-run");
                    std::fs::write(&other, b"committed by another run").unwrap();
                    std::fs::rename(&other, path).unwrap();
                })))
            });
            let Wrote::Done { etag } = f.put(&k, b"pending".to_vec(), "", cond).await.unwrap() else {
                panic!("the write is written")
            };
            let (now, now_tag) = f.get(&k).await.unwrap().unwrap();
            assert_eq!(now, b"committed by another run");
            assert_ne!(etag, now_tag, "{cond:?}: the tag is the replaced version's");
            assert_eq!(
                f.put(&k, b"aborted".to_vec(), "", Cond::IfMatch(&etag)).await.unwrap(),
                Wrote::Refused,
                "{cond:?}: a compare-and-swap on the tag the write returned overwrote a later version"
            );
        }
    }

    #[tokio::test]
    async fn conditions_listing_ranges_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let offload: Offload = Arc::new(|job| {
            tokio::task::spawn_blocking(job);
        });
        let f = Folder::offloaded(dir.path(), offload);
        let k = "logs/drain=a/x.ndjson.gz";
        let Wrote::Done { etag } = f
            .put(k, b"one".to_vec(), "application/gzip", Cond::IfAbsent)
            .await
            .unwrap()
        else {
            panic!("the first create-only write is written")
        };
        assert_eq!(
            f.put(k, b"two".to_vec(), "", Cond::IfAbsent).await.unwrap(),
            Wrote::Refused
        );
        assert_eq!(
            f.put(k, b"two".to_vec(), "", Cond::IfMatch("nope")).await.unwrap(),
            Wrote::Refused
        );
        assert!(matches!(
            f.put(k, b"two!".to_vec(), "", Cond::IfMatch(&etag)).await.unwrap(),
            Wrote::Done { .. }
        ));
        assert_eq!(f.get(k).await.unwrap().unwrap().0, b"two!");
        assert_eq!(f.get_range(k, 1, 2).await.unwrap().unwrap(), b"wo");
        assert_eq!(f.get_range(k, 9, 2).await.unwrap().unwrap(), b"");
        assert_eq!(f.get("logs/none").await.unwrap(), None);
        f.put("logs/drain=b/y", b"y".to_vec(), "", Cond::Always).await.unwrap();
        let keys: Vec<String> = f
            .list("logs/", None)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.key)
            .collect();
        assert_eq!(keys, [k, "logs/drain=b/y"]);
        let after: Vec<String> = f
            .list("logs/", Some(k))
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.key)
            .collect();
        assert_eq!(after, ["logs/drain=b/y"]);
        assert_eq!(
            f.list("logs/drain=a", None).await.unwrap().len(),
            1,
            "a prefix that is not a folder"
        );
        assert_eq!(f.folders("logs/").await.unwrap(), ["drain=a", "drain=b"]);
        assert!(f.holds_any("logs/drain=b/").await.unwrap());
        f.delete(k, Some("another version")).await.unwrap();
        assert!(
            f.get(k).await.unwrap().is_some(),
            "a delete of another version leaves it"
        );
        f.delete(k, None).await.unwrap();
        f.delete(k, None).await.unwrap();
        assert!(!f.holds_any("logs/drain=a/").await.unwrap());
        crate::self_test(&f, "probe").await.unwrap();
        // The same on the calling thread.
        let inline = Folder::new(dir.path());
        assert_eq!(inline.folders("logs/").await.unwrap(), ["drain=a", "drain=b"]);
    }
}
