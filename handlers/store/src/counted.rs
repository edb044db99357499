//! A store that counts the requests it makes, by the classes object stores bill: writes and
//! listings (S3 PUT/LIST, R2 Class A), reads (S3 GET, R2 Class B) and deletes (free on both).
//! `infra/cost` reads these counts from compaction's report to price a compacted hour.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Cond, Error, Listed, Store, Wrote};

/// The most keys one listing or batch-delete request returns or takes (S3 and R2 alike).
pub const PAGE: usize = 1000;

/// The requests made so far, by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requests {
    pub puts: u64,
    pub gets: u64,
    /// Listing requests: a listing of `n` keys counts `max(1, ceil(n / 1000))`, the pages S3 and
    /// R2 return.
    pub lists: u64,
    /// Keys deleted (one request per key or per batch of 1,000, depending on the store).
    pub deletes: u64,
}

/// `S` with its requests counted.
#[derive(Debug, Default)]
pub struct Counted<S> {
    inner: S,
    puts: AtomicU64,
    gets: AtomicU64,
    lists: AtomicU64,
    deletes: AtomicU64,
}

fn pages(n: usize) -> u64 {
    n.div_ceil(PAGE).max(1) as u64
}

impl<S> Counted<S> {
    pub fn new(inner: S) -> Self {
        Counted {
            inner,
            puts: AtomicU64::new(0),
            gets: AtomicU64::new(0),
            lists: AtomicU64::new(0),
            deletes: AtomicU64::new(0),
        }
    }

    pub fn requests(&self) -> Requests {
        Requests {
            puts: self.puts.load(Ordering::Relaxed),
            gets: self.gets.load(Ordering::Relaxed),
            lists: self.lists.load(Ordering::Relaxed),
            deletes: self.deletes.load(Ordering::Relaxed),
        }
    }

    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

impl<S: Store + ?Sized> Store for Counted<&S> {
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str, cond: Cond<'_>) -> Result<Wrote, Error> {
        Self::add(&self.puts, 1);
        self.inner.put(key, body, content_type, cond).await
    }
    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, Error> {
        Self::add(&self.gets, 1);
        self.inner.get(key).await
    }
    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<Option<Vec<u8>>, Error> {
        Self::add(&self.gets, 1);
        self.inner.get_range(key, start, len).await
    }
    async fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<Listed>, Error> {
        let listed = self.inner.list(prefix, start_after).await;
        Self::add(&self.lists, pages(listed.as_ref().map_or(0, Vec::len)));
        listed
    }
    async fn folders(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let found = self.inner.folders(prefix).await;
        Self::add(&self.lists, pages(found.as_ref().map_or(0, Vec::len)));
        found
    }
    async fn holds_any(&self, prefix: &str) -> Result<bool, Error> {
        Self::add(&self.lists, 1);
        self.inner.holds_any(prefix).await
    }
    async fn delete(&self, key: &str, if_match: Option<&str>) -> Result<(), Error> {
        Self::add(&self.deletes, 1);
        self.inner.delete(key, if_match).await
    }
    async fn delete_many(&self, keys: &[(&str, Option<&str>)]) -> Result<(), Error> {
        Self::add(&self.deletes, keys.len() as u64);
        self.inner.delete_many(keys).await
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[cfg(all(test, feature = "folder"))]
mod tests {
    use super::*;
    use crate::Folder;

    #[tokio::test]
    async fn counts_each_class_and_listing_pages() {
        let dir = tempfile::tempdir().unwrap();
        let folder = Folder::new(dir.path());
        let store = Counted::new(&folder);
        for i in 0..1001 {
            let key = format!("p/{i:04}");
            store
                .put(&key, b"x".to_vec(), "text/plain", Cond::IfAbsent)
                .await
                .unwrap();
        }
        assert_eq!(store.list("p/", None).await.unwrap().len(), 1001);
        assert_eq!(store.list("none/", None).await.unwrap().len(), 0);
        assert!(store.get("p/0000").await.unwrap().is_some());
        assert!(store.get_range("p/0001", 0, 1).await.unwrap().is_some());
        store.delete_many(&[("p/0000", None), ("p/0001", None)]).await.unwrap();
        assert_eq!(
            store.requests(),
            Requests {
                puts: 1001,
                gets: 2,
                lists: 3,
                deletes: 2
            }
        );
    }
}
