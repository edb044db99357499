//! [`drain_store::Store`] on S3: every call one request (a listing one a page), every failure
//! typed by what the caller does next.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use drain_store::{Cond, Error, ErrorKind, Listed, Store, Wrote};

use crate::S3Store;

/// The HTTP status of a failed call, when the store answered.
fn status<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    match e {
        SdkError::ServiceError(_) => e.raw_response().map(|r| r.status().as_u16()),
        _ => None,
    }
}

fn error<E: std::error::Error + 'static>(e: SdkError<E, HttpResponse>) -> Error {
    Error::new(ErrorKind::of_status(status(&e)), DisplayErrorContext(e).to_string())
}

impl S3Store {
    /// One `ListObjectsV2` walk, page by page: objects (or, with `delimiter`, the common
    /// prefixes).
    async fn pages(
        &self,
        prefix: &str,
        delimiter: Option<&str>,
        start_after: Option<&str>,
        out: &mut Vec<Listed>,
        prefixes: &mut Vec<String>,
    ) -> Result<(), Error> {
        let list = self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix);
        let list = list.set_delimiter(delimiter.map(str::to_owned));
        let mut pages = list
            .set_start_after(start_after.map(str::to_owned))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(error)?;
            out.extend(page.contents().iter().filter_map(|o| {
                Some(Listed {
                    key: o.key()?.to_owned(),
                    etag: o.e_tag().unwrap_or_default().to_owned(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                })
            }));
            prefixes.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned)),
            );
        }
        Ok(())
    }
}

impl S3Store {
    /// `GetObject`, whole or a `Range`: the bytes and the ETag, `None` for no such key.
    async fn fetch(&self, key: &str, range: Option<String>) -> Result<Option<(Vec<u8>, String)>, Error> {
        let get = self.client.get_object().bucket(&self.bucket).key(key).set_range(range);
        let resp = match get.send().await {
            Ok(r) => r,
            Err(e) if status(&e) == Some(404) => return Ok(None),
            // A range past the end (an object whose length is a multiple of the reader's chunk).
            Err(e) if status(&e) == Some(416) => return Ok(Some((Vec::new(), String::new()))),
            Err(e) => return Err(error(e)),
        };
        let etag = resp.e_tag().unwrap_or_default().to_owned();
        let body = resp.body.collect().await;
        let body = body.map_err(|e| Error::new(ErrorKind::Unavailable, e.to_string()))?;
        Ok(Some((body.to_vec(), etag)))
    }
}

impl Store for S3Store {
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str, cond: Cond<'_>) -> Result<Wrote, Error> {
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body));
        let req = match cond {
            Cond::Always => req,
            Cond::IfAbsent => req.if_none_match("*"),
            Cond::IfMatch(etag) => req.if_match(etag),
        };
        match req.send().await {
            Ok(r) => Ok(Wrote::Done {
                etag: r.e_tag().unwrap_or_default().to_owned(),
            }),
            // 412: the condition failed; 409: S3's answer to a conditional write racing another.
            Err(e) if cond != Cond::Always && matches!(status(&e), Some(412 | 409)) => Ok(Wrote::Refused),
            // If-Match on a key that does not exist (S3 answers 404 to it).
            Err(e) if matches!(cond, Cond::IfMatch(_)) && status(&e) == Some(404) => Ok(Wrote::Refused),
            Err(e) => Err(error(e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, Error> {
        self.fetch(key, None).await
    }

    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<Option<Vec<u8>>, Error> {
        if len == 0 {
            return Ok(Some(Vec::new()));
        }
        let range = format!("bytes={start}-{}", start + len - 1);
        Ok(self.fetch(key, Some(range)).await?.map(|(bytes, _)| bytes))
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>) -> Result<Vec<Listed>, Error> {
        let mut out = Vec::new();
        self.pages(prefix, None, start_after, &mut out, &mut Vec::new()).await?;
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn folders(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let mut prefixes = Vec::new();
        self.pages(prefix, Some("/"), None, &mut Vec::new(), &mut prefixes)
            .await?;
        Ok(drain_store::folder_names(prefix, prefixes))
    }

    async fn holds_any(&self, prefix: &str) -> Result<bool, Error> {
        let resp = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .max_keys(1)
            .send()
            .await
            .map_err(error)?;
        Ok(!resp.contents().is_empty())
    }

    async fn delete(&self, key: &str, if_match: Option<&str>) -> Result<(), Error> {
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
            Err(e) => Err(error(e)),
        }
    }

    /// `DeleteObjects`, up to 1,000 keys a request, each with its ETag (S3's conditional delete).
    async fn delete_many(&self, keys: &[(&str, Option<&str>)]) -> Result<(), Error> {
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
                .map_err(|e| Error::other(e.to_string()))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| Error::other(e.to_string()))?;
            let resp = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(error)?;
            // Gone already, or another version than the one named: not errors here.
            if let Some(e) = resp
                .errors()
                .iter()
                .find(|e| !matches!(e.code(), Some("NoSuchKey" | "PreconditionFailed")))
            {
                return Err(Error::other(format!(
                    "deleting {}: {} {}",
                    e.key().unwrap_or("?"),
                    e.code().unwrap_or("?"),
                    e.message().unwrap_or("")
                )));
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("bucket {}", self.bucket)
    }
}
