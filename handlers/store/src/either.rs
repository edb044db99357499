//! One of two stores chosen at start-up (`drain`'s folder or bucket), as one store.

use crate::{Cond, Error, Listed, Store, Wrote};

#[derive(Debug, Clone)]
pub enum Either<L, R> {
    Left(L),
    Right(R),
}

macro_rules! both {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Either::Left($s) => $e,
            Either::Right($s) => $e,
        }
    };
}

impl<L: Store, R: Store> Store for Either<L, R> {
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str, cond: Cond<'_>) -> Result<Wrote, Error> {
        both!(self, s => s.put(key, body, content_type, cond).await)
    }
    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, Error> {
        both!(self, s => s.get(key).await)
    }
    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<Option<Vec<u8>>, Error> {
        both!(self, s => s.get_range(key, start, len).await)
    }
    async fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<Listed>, Error> {
        both!(self, s => s.list(prefix, start_after).await)
    }
    async fn folders(&self, prefix: &str) -> Result<Vec<String>, Error> {
        both!(self, s => s.folders(prefix).await)
    }
    async fn holds_any(&self, prefix: &str) -> Result<bool, Error> {
        both!(self, s => s.holds_any(prefix).await)
    }
    async fn delete(&self, key: &str, if_match: Option<&str>) -> Result<(), Error> {
        both!(self, s => s.delete(key, if_match).await)
    }
    async fn delete_many(&self, keys: &[(&str, Option<&str>)]) -> Result<(), Error> {
        both!(self, s => s.delete_many(keys).await)
    }
    fn describe(&self) -> String {
        both!(self, s => s.describe())
    }
}
