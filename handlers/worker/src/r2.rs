//! The R2 binding as drain-exec's store: create-only puts through `onlyIf: {etagDoesNotMatch:
//! "*"}` (R2 answers `null` when the object exists: a retry already stored it).

use drain_core::Object;
use drain_exec::{Put, Store};
use worker::{Bucket, Conditional, Data, HttpMetadata};

use crate::BUCKET_BINDING;

/// The R2 binding as a store (or why there is none: every delivery then answers 503).
pub(crate) struct R2 {
    pub(crate) bucket: std::result::Result<Bucket, String>,
}

impl Store for R2 {
    async fn put(&self, o: &Object) -> std::result::Result<Put, String> {
        let bucket = self
            .bucket
            .as_ref()
            .map_err(|e| format!("no R2 binding {BUCKET_BINDING}: {e}"))?;
        let metadata = HttpMetadata {
            content_type: Some(o.content_type.to_string()),
            content_encoding: None,
            ..HttpMetadata::default()
        };
        let mut put = bucket.put(&o.key, Data::Bytes(o.body.clone())).http_metadata(metadata);
        if o.if_absent {
            put = put.only_if(Conditional {
                etag_does_not_match: Some("*".into()),
                ..Conditional::default()
            });
        }
        match put.execute().await {
            Ok(Some(_)) => Ok(Put::Written),
            // The condition failed: the object exists, a retry already stored it.
            Ok(None) => Ok(Put::AlreadyThere),
            Err(e) => Err(e.to_string()),
        }
    }
}
