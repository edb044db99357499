//! Where `drain` keeps objects: the folder (`--data`, the default) or an S3-compatible bucket
//! (`--s3-bucket`), one [`drain_store::Store`] either way, for serving, compacting and reading.

use std::path::PathBuf;

use drain_cli::read::Objects;
pub use drain_s3::S3Store;
pub use drain_store::Folder;

/// The folder or the bucket, chosen at start-up.
pub type FolderOrBucket = drain_store::Either<Folder, S3Store>;

/// The bucket when one is named (the standard AWS environment: region, credentials,
/// `AWS_ENDPOINT_URL_S3`), the folder otherwise: its IO on tokio's blocking pool when `serving`
/// (never on a thread that reads requests), on the calling thread otherwise (the CLI's commands,
/// compaction's thread). Runs inside a tokio runtime.
pub async fn open(objects: &Objects, serving: bool) -> FolderOrBucket {
    match &objects.s3_bucket {
        Some(bucket) => FolderOrBucket::Right(S3Store::from_env(bucket.clone(), None, None).await),
        None if serving => FolderOrBucket::Left(serving_folder(&objects.data)),
        None => FolderOrBucket::Left(Folder::new(&objects.data)),
    }
}

/// The folder with its IO on tokio's blocking pool (called inside a runtime).
pub fn serving_folder(data: impl Into<PathBuf>) -> Folder {
    Folder::offloaded(
        data,
        std::sync::Arc::new(|job| {
            tokio::task::spawn_blocking(job);
        }),
    )
}
