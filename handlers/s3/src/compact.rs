//! Compaction's bucket on S3 (and any S3 API that honours conditional writes, which
//! `drain_compact::self_test` checks): ETags from the listing, create-only and compare-and-swap
//! `PutObject`, `DeleteObjects` with each key's ETag so only the version a manifest names is
//! deleted.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use drain_compact::{Bucket, Cond, Listed, Wrote};

use crate::S3Store;

/// The HTTP status of a failed call, when the store answered.
fn status<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    match e {
        SdkError::ServiceError(_) => e.raw_response().map(|r| r.status().as_u16()),
        _ => None,
    }
}

fn text<E: std::error::Error + 'static, R: std::fmt::Debug + 'static>(e: SdkError<E, R>) -> String {
    DisplayErrorContext(e).to_string()
}

impl Bucket for S3Store {
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, String> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let resp = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(text)?;
            out.extend(resp.contents().iter().filter_map(|o| {
                Some(Listed {
                    key: o.key()?.to_owned(),
                    etag: o.e_tag().unwrap_or_default().to_owned(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                })
            }));
            match resp.next_continuation_token() {
                Some(t) if resp.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn folders(&self, prefix: &str) -> Result<Vec<String>, String> {
        let listing = S3Store::list(self, prefix, Some("/"), None).await?;
        Ok(listing
            .prefixes
            .into_iter()
            .filter_map(|p| Some(p.strip_prefix(prefix)?.trim_end_matches('/').to_owned()))
            .collect())
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, String> {
        let resp = match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(r) => r,
            Err(e) if status(&e) == Some(404) => return Ok(None),
            Err(e) => return Err(text(e)),
        };
        let etag = resp.e_tag().unwrap_or_default().to_owned();
        let body = resp.body.collect().await.map_err(|e| e.to_string())?;
        Ok(Some((body.to_vec(), etag)))
    }

    async fn put(&self, key: &str, body: Vec<u8>, cond: Cond<'_>) -> Result<Wrote, String> {
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(if key.ends_with(".json") {
                "application/json"
            } else {
                "application/gzip"
            })
            .body(ByteStream::from(body));
        let req = match cond {
            Cond::IfAbsent => req.if_none_match("*"),
            Cond::IfMatch(etag) => req.if_match(etag),
        };
        match req.send().await {
            Ok(r) => Ok(Wrote::Done {
                etag: r.e_tag().unwrap_or_default().to_owned(),
            }),
            // 412: the condition failed; 409: S3's answer to a conditional write racing another.
            Err(e) if matches!(status(&e), Some(412 | 409)) => Ok(Wrote::Refused),
            // If-Match on a key that does not exist (S3 answers 404 to it).
            Err(e) if matches!(cond, Cond::IfMatch(_)) && status(&e) == Some(404) => Ok(Wrote::Refused),
            Err(e) => Err(text(e)),
        }
    }

    /// `DeleteObjects`, up to 1,000 keys a request, each with its ETag (S3's conditional delete).
    async fn delete_many(&self, keys: &[(&str, Option<&str>)]) -> Result<(), String> {
        for batch in keys.chunks(1000) {
            let objects = batch
                .iter()
                .map(|(k, tag)| {
                    ObjectIdentifier::builder()
                        .key(*k)
                        .set_e_tag(tag.map(str::to_owned))
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| e.to_string())?;
            let resp = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(text)?;
            // Gone already, or another version than the one named: not errors here.
            if let Some(e) = resp
                .errors()
                .iter()
                .find(|e| !matches!(e.code(), Some("NoSuchKey" | "PreconditionFailed")))
            {
                return Err(format!(
                    "deleting {}: {} {}",
                    e.key().unwrap_or("?"),
                    e.code().unwrap_or("?"),
                    e.message().unwrap_or("")
                ));
            }
        }
        Ok(())
    }

    async fn delete(&self, key: &str, if_match: Option<&str>) -> Result<(), String> {
        let req = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .set_if_match(if_match.map(str::to_owned));
        match req.send().await {
            Ok(_) => Ok(()),
            // Gone already, or another version than the one named: either way not to delete.
            Err(e) if matches!(status(&e), Some(404 | 412)) => Ok(()),
            Err(e) => Err(text(e)),
        }
    }
}
