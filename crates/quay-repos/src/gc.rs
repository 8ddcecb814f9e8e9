//! What garbage collection asks of the database. Collection goes down the reference
//! chain, each stage freeing the next: tag lifetimes past the time machine, then
//! manifests no tag row and no index reaches, then blobs no manifest references and no
//! repository received within the grace window, and uploads abandoned for too long.
//!
//! Every stage re-checks, under lock, that what it deletes is still unreferenced, so it
//! is safe beside pushes on any replica: a push that references a manifest or blob
//! either commits first (and the stage keeps it) or finds it gone (and stores it anew).

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quay_core::DomainResult;

/// Deletes the stored bytes of the blobs with these digests (the storage step of
/// [`GcStore::collect_blobs`]); a failure only costs space, so it reports none.
pub type DeleteBytes<'a> =
    &'a (dyn Fn(Vec<String>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Sync);

/// An upload row left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbandonedUpload {
    pub uuid: String,
    pub chunk_count: u32,
}

/// Storage of what collection removes (implemented by `quay-persistence`).
#[async_trait]
pub trait GcStore: Send + Sync {
    /// Deletes up to `limit` tag rows that no one can see or restore any more: visible
    /// lifetimes that ended before their namespace's time-machine window
    /// (`removed_tag_expiration_s`) counted back from `now_ms`, hidden ones that ended.
    /// Returns how many.
    async fn purge_tags(&self, now_ms: i64, limit: u64) -> DomainResult<u64>;

    /// Deletes up to `limit` manifests that no tag row (live or in the time machine)
    /// and no index references, with what only they hold (their blob references,
    /// child links and labels). Returns how many.
    async fn purge_manifests(&self, limit: u64) -> DomainResult<u64>;

    /// Deletes up to `limit` blobs that no manifest references, created and last
    /// received by a repository (pushed or mounted) before `received_before`: their
    /// rows, then through `delete` their bytes, each under the lock that
    /// [`crate::blobs::BlobMetaStore::store_blob`] takes. Returns how many.
    async fn collect_blobs(
        &self,
        received_before: DateTime<Utc>,
        limit: u64,
        delete: DeleteBytes<'_>,
    ) -> DomainResult<u64>;

    /// Deletes up to `limit` upload rows not advanced since `updated_before`, returning
    /// them so their chunks can go too.
    async fn purge_uploads(
        &self,
        updated_before: DateTime<Utc>,
        limit: u64,
    ) -> DomainResult<Vec<AbandonedUpload>>;

    /// Which of `uuids` are uploads in progress (rows still present).
    async fn uploads_in_progress(&self, uuids: &[String]) -> DomainResult<Vec<String>>;
}
