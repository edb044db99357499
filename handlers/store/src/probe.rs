//! The self-test compaction runs first: a store that ignores conditional writes (on which two
//! runs could both commit) is refused.

use crate::{Cond, Store, Wrote};

/// A create-only write of `probe` twice (the second must be refused) and a replace with a wrong
/// version tag (refused too). `probe` should be unique to this run (a time and a process id).
pub async fn self_test<S: Store + ?Sized>(store: &S, probe: &str) -> Result<(), String> {
    let key = format!("_drain/self-test/{probe}");
    let Wrote::Done { etag } = store.put(&key, b"1".to_vec(), "text/plain", Cond::IfAbsent).await? else {
        return Err(format!(
            "the probe {key} already existed: run the self-test with a fresh name"
        ));
    };
    let result = async {
        let second = store.put(&key, b"2".to_vec(), "text/plain", Cond::IfAbsent).await?;
        // The tag in the store's own form (quoted or not), one character changed.
        let mut wrong: Vec<char> = etag.chars().collect();
        if let Some(c) = wrong.iter_mut().rev().find(|c| c.is_ascii_alphanumeric()) {
            *c = if *c == '0' { '1' } else { '0' };
        }
        let wrong: String = wrong.into_iter().collect();
        let third = store.put(&key, b"3".to_vec(), "text/plain", Cond::IfMatch(&wrong)).await?;
        match (second, third) {
            (Wrote::Refused, Wrote::Refused) => Ok(()),
            _ => Err("the store ignores conditional writes (If-None-Match / If-Match): compaction would be unsafe on it, so it does not run".into()),
        }
    }
    .await;
    let _ = store.delete(&key, None).await;
    result
}
