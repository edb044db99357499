//! drain's store on an S3 API (AWS S3, R2's S3 API, MinIO, s3s-fs): `PutObject` with
//! `If-None-Match: *` (create-only: a 412 means a retry already stored it) or `If-Match` (the
//! compaction commit), `GetObject` whole or by range, `ListObjectsV2` (paged, with a delimiter for
//! folders), `DeleteObjects` with each key's ETag so only the version named is deleted.

#![forbid(unsafe_code)]

use std::time::Duration;

use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::Client;

mod store;

/// A bucket and a client built once, at start-up.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
}

impl S3Store {
    /// A client from the standard AWS environment (region, credentials, `AWS_ENDPOINT_URL_S3`
    /// for a local or non-AWS server, in which case path-style addressing is used), with an
    /// endpoint (path-style addressing) and a region that the caller was given, where the
    /// environment says nothing of them.
    pub async fn from_env(bucket: String, endpoint: Option<&str>, region: Option<&str>) -> Self {
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
