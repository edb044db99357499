//! Stores a plan's objects in an S3-compatible bucket: `PutObject`, with `If-None-Match: *` where
//! the core asks for create-only-if-absent (a 412 means a retry already stored it); reads them
//! back for `drain logs` (`ListObjectsV2` under one prefix, `GetObject` as a stream); and is
//! compaction's bucket (`compact.rs`: conditional puts and deletes).

#![forbid(unsafe_code)]

use std::time::Duration;

use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use drain_core::Object;
use drain_exec::{Put, Store};

mod compact;

/// A bucket and a client built once, at start-up.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
}

impl S3Store {
    /// A client from the standard AWS environment (region, credentials, `AWS_ENDPOINT_URL_S3`
    /// for a local or non-AWS server, in which case path-style addressing is used).
    pub async fn from_env(bucket: String) -> Self {
        Self::from_env_at(bucket, None, None).await
    }

    /// As [`S3Store::from_env`], with an endpoint (path-style addressing) and a region that the
    /// caller was given, where the environment says nothing of them.
    pub async fn from_env_at(bucket: String, endpoint: Option<&str>, region: Option<&str>) -> Self {
        let sdk = aws_config::load_from_env().await;
        let custom_endpoint = endpoint.is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(10))
            .operation_timeout(Duration::from_secs(25))
            .build();
        let mut conf = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(custom_endpoint)
            .timeout_config(timeouts);
        if let Some(e) = endpoint {
            conf = conf.endpoint_url(e);
        }
        if sdk.region().is_none() {
            if let Some(r) = region {
                conf = conf.region(aws_sdk_s3::config::Region::new(r.to_owned()));
            }
        }
        let conf = conf.build();
        Self {
            client: Client::from_conf(conf),
            bucket,
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Opens the connection (DNS, TCP, TLS) ahead of the first delivery. Any HTTP answer counts,
    /// a 403 included: the function may put and get objects but not list the bucket.
    pub async fn warm_up(&self) -> Result<(), String> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) | Err(SdkError::ServiceError(_)) => Ok(()),
            Err(e) => Err(DisplayErrorContext(e).to_string()),
        }
    }
}

/// One page-through of `ListObjectsV2`: the objects under a prefix (with `delimiter`, the
/// "folders" one level down instead of what is below them).
#[derive(Debug, Default)]
pub struct Listing {
    /// Keys and sizes, in key order.
    pub objects: Vec<(String, u64)>,
    /// With a delimiter: the common prefixes, in key order.
    pub prefixes: Vec<String>,
}

impl S3Store {
    /// Whether any object is stored under `prefix` (one `ListObjectsV2` of one key).
    pub async fn holds_any(&self, prefix: &str) -> Result<bool, String> {
        let resp = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .max_keys(1)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?;
        Ok(!resp.contents().is_empty())
    }

    /// Every key under `prefix` (after `start_after` when given), following continuation tokens.
    pub async fn list(
        &self,
        prefix: &str,
        delimiter: Option<&str>,
        start_after: Option<&str>,
    ) -> Result<Listing, String> {
        let mut out = Listing::default();
        let mut token: Option<String> = None;
        loop {
            let resp = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_delimiter(delimiter.map(str::to_owned))
                .set_start_after(start_after.map(str::to_owned))
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| DisplayErrorContext(e).to_string())?;
            for o in resp.contents() {
                if let Some(k) = o.key() {
                    out.objects.push((k.to_owned(), o.size().unwrap_or(0).max(0) as u64));
                }
            }
            out.prefixes.extend(
                resp.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned)),
            );
            match resp.next_continuation_token() {
                Some(t) if resp.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// An object's bytes as a stream (never held whole).
    pub async fn get(&self, key: &str) -> Result<impl tokio::io::AsyncRead + Send + Unpin + 'static, String> {
        let resp = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?;
        Ok(resp.body.into_async_read())
    }
}

impl Store for S3Store {
    async fn put(&self, object: &Object) -> Result<Put, String> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&object.key)
            .content_type(object.content_type)
            .body(ByteStream::from(object.body.clone()));
        if object.if_absent {
            req = req.if_none_match("*");
        }
        match req.send().await {
            Ok(_) => Ok(Put::Written),
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 412 => Ok(Put::AlreadyThere),
            Err(e) => Err(DisplayErrorContext(e).to_string()),
        }
    }
}
