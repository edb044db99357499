//! Stores a plan's objects in an S3-compatible bucket: `PutObject`, with `If-None-Match: *` where
//! the core asks for create-only-if-absent (a 412 means a retry already stored it).

#![forbid(unsafe_code)]

use std::time::Duration;

use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use drain_core::Object;
use drain_exec::{Put, Store};

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
        let sdk = aws_config::load_from_env().await;
        let custom_endpoint =
            std::env::var_os("AWS_ENDPOINT_URL_S3").is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(10))
            .operation_timeout(Duration::from_secs(25))
            .build();
        let conf = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(custom_endpoint)
            .timeout_config(timeouts)
            .build();
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
