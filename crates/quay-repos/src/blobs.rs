//! Blob metadata of repositories: which blobs a repository holds (pushed or mounted into
//! it) and the uploads in progress. The bytes live in `quay-storage`; this is what the
//! database knows, so any replica can serve a blob or continue an upload.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use quay_core::DomainResult;

/// The storage step of [`BlobMetaStore::store_blob`]: puts a verified blob's bytes at
/// its path.
pub type CommitBytes<'a> = Pin<Box<dyn Future<Output = DomainResult<()>> + Send + 'a>>;

/// An upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub uuid: String,
    pub repository_id: i64,
    /// Bytes received so far.
    pub byte_count: u64,
    /// Chunks stored so far (`uploads/<uuid>-<n>`, n in `0..chunk_count`).
    pub chunk_count: u32,
}

/// Storage of blob metadata (implemented by `quay-persistence`).
#[async_trait]
pub trait BlobMetaStore: Send + Sync {
    /// The size of blob `digest` if the repository holds it.
    async fn repository_blob(&self, repository_id: i64, digest: &str) -> DomainResult<Option<u64>>;

    async fn create_upload(&self, uuid: &str, repository_id: i64) -> DomainResult<()>;

    async fn find_upload(&self, repository_id: i64, uuid: &str) -> DomainResult<Option<Upload>>;

    /// Records the upload's new totals, only if it still has `expected_bytes` (a
    /// concurrent chunk for the same upload loses); `false` if it did not.
    async fn advance_upload(
        &self,
        uuid: &str,
        expected_bytes: u64,
        byte_count: u64,
        chunk_count: u32,
    ) -> DomainResult<bool>;

    /// Stores blob `digest` for the repository: runs `commit` (which puts the verified
    /// bytes at the blob's path), then records the blob (if new) as held by the
    /// repository and ends the upload `uuid` if given, atomically. Garbage collection of
    /// the same digest and this exclude each other, on every replica: collection never
    /// deletes bytes a commit has just found in place, nor does a commit record a blob
    /// whose bytes collection is deleting. Holding the blob again refreshes its grace.
    async fn store_blob(
        &self,
        repository_id: i64,
        digest: &str,
        size: u64,
        upload: Option<&str>,
        commit: CommitBytes<'_>,
    ) -> DomainResult<()>;

    /// Makes blob `digest`, held by `source_repository_id`, held by the repository too
    /// (a cross-repository mount), excluding its collection like [`Self::store_blob`];
    /// its size, or `None` when the source does not hold it.
    async fn mount_blob(
        &self,
        repository_id: i64,
        source_repository_id: i64,
        digest: &str,
    ) -> DomainResult<Option<u64>>;

    /// Ends the upload; `false` if there was none.
    async fn delete_upload(&self, uuid: &str) -> DomainResult<bool>;
}
