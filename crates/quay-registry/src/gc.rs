//! The garbage collector (Quay's `gcworker` and `blobuploadcleanupworker`): tag
//! lifetimes past the time machine, then the manifests and blobs nothing references
//! any more, then uploads abandoned for too long, from the database and the object store.
//!
//! A blob nothing references yet is only collected once its grace is over
//! (`PUSH_TEMP_TAG_EXPIRATION_SEC` since it was last pushed or mounted into a
//! repository, Quay's `UploadedBlob` expiry): a client pushes layers before the manifest
//! that references them. Everything else a stage deletes it re-checks under lock (see
//! `quay_repos::gc`), so collection can run while clients push, on any replica.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use quay_core::config::Config;
use quay_core::{DomainError, DomainResult};
use quay_repos::gc::GcStore;
use quay_storage::{BlobStore, Digest};

/// How many rows one transaction of a stage deletes at most.
const BATCH: u64 = 500;

/// Blob deletions in flight at once (each a file removal or an object store request).
const DELETES_IN_FLIGHT: usize = 16;

/// What one collection removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GcReport {
    /// Tag lifetimes (visible ones past the time machine, hidden ones ended).
    pub tags: u64,
    pub manifests: u64,
    /// Blobs: rows and bytes.
    pub blobs: u64,
    /// Abandoned uploads (rows and their chunks).
    pub uploads: u64,
    /// Chunks of uploads without a row (a monolithic upload cut off, a crash).
    pub orphan_chunks: u64,
}

/// How long things are kept.
#[derive(Debug, Clone, Copy)]
pub struct GcSettings {
    /// An unreferenced blob's grace after it was last pushed or mounted.
    pub blob_grace: Duration,
    /// An upload not advanced for this long is abandoned.
    pub upload_max_age: Duration,
}

impl GcSettings {
    pub fn from_config(config: &Config) -> Self {
        GcSettings {
            blob_grace: Duration::from_secs(config.push_temp_tag_expiration_sec),
            upload_max_age: Duration::from_secs(config.blob_upload_max_age_sec),
        }
    }
}

pub struct GarbageCollector {
    store: Arc<dyn GcStore>,
    storage: BlobStore,
    settings: GcSettings,
}

fn ago(d: Duration) -> chrono::DateTime<Utc> {
    Utc::now() - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn storage_failed(e: quay_storage::StorageError) -> DomainError {
    DomainError::Internal(format!("garbage collection storage failure: {e}"))
}

/// Deletes the bytes of collected blobs, several at a time. Bytes left behind only cost
/// space: a later commit of the digest finds them in place, which is right for
/// content-addressed bytes.
async fn delete_bytes(storage: BlobStore, digests: Vec<String>) {
    futures_util::stream::iter(digests)
        .for_each_concurrent(DELETES_IN_FLIGHT, |digest| {
            let storage = storage.clone();
            async move {
                let Some(parsed) = Digest::parse(&digest) else {
                    tracing::warn!(%digest, "a collected blob's digest is not valid");
                    return;
                };
                if let Err(e) = storage.delete_blob(&parsed).await {
                    tracing::warn!(%digest, error = %e, "deleting a collected blob's bytes failed");
                }
            }
        })
        .await;
}

impl GarbageCollector {
    pub fn new(store: Arc<dyn GcStore>, storage: BlobStore, settings: GcSettings) -> Self {
        GarbageCollector {
            store,
            storage,
            settings,
        }
    }

    /// One full collection: every stage until it finds nothing more.
    pub async fn run_once(&self) -> DomainResult<GcReport> {
        let mut report = GcReport::default();
        let now_ms = Utc::now().timestamp_millis();
        loop {
            let n = self.store.purge_tags(now_ms, BATCH).await?;
            report.tags += n;
            if n < BATCH {
                break;
            }
        }
        // An index's children become unreferenced only once the index is gone: go on
        // until a round deletes nothing.
        loop {
            let n = self.store.purge_manifests(BATCH).await?;
            report.manifests += n;
            if n == 0 {
                break;
            }
        }
        let storage = self.storage.clone();
        let delete = move |digests: Vec<String>| {
            let storage = storage.clone();
            Box::pin(delete_bytes(storage, digests))
                as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        };
        let received_before = ago(self.settings.blob_grace);
        loop {
            let n = self
                .store
                .collect_blobs(received_before, BATCH, &delete)
                .await?;
            report.blobs += n;
            if n < BATCH {
                break;
            }
        }
        self.collect_uploads(&mut report).await?;
        Ok(report)
    }

    async fn collect_uploads(&self, report: &mut GcReport) -> DomainResult<()> {
        let before = ago(self.settings.upload_max_age);
        loop {
            let abandoned = self.store.purge_uploads(before, BATCH).await?;
            for upload in &abandoned {
                self.storage
                    .discard_upload(&upload.uuid, upload.chunk_count)
                    .await
                    .map_err(storage_failed)?;
            }
            report.uploads += abandoned.len() as u64;
            if (abandoned.len() as u64) < BATCH {
                break;
            }
        }
        let chunks = self
            .storage
            .upload_chunks_before(before)
            .await
            .map_err(storage_failed)?;
        let uploads: Vec<String> = chunks
            .iter()
            .map(|c| c.upload.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut in_progress = HashSet::new();
        for some in uploads.chunks(BATCH as usize) {
            in_progress.extend(self.store.uploads_in_progress(some).await?);
        }
        for chunk in chunks.iter().filter(|c| !in_progress.contains(&c.upload)) {
            self.storage
                .delete_upload_chunk(chunk)
                .await
                .map_err(storage_failed)?;
            report.orphan_chunks += 1;
        }
        Ok(())
    }

    /// Collects every `every`, for good (the server's worker). A failed collection is
    /// logged and the next one tries again.
    pub async fn run_every(self, every: Duration) {
        loop {
            tokio::time::sleep(every).await;
            match self.run_once().await {
                Ok(r) if r == GcReport::default() => {}
                Ok(r) => tracing::info!(
                    tags = r.tags,
                    manifests = r.manifests,
                    blobs = r.blobs,
                    uploads = r.uploads,
                    orphan_chunks = r.orphan_chunks,
                    "garbage collected"
                ),
                Err(e) => tracing::error!(error = %e, "garbage collection failed"),
            }
        }
    }
}
