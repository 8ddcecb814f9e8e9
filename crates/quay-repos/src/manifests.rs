//! Manifests and tags of repositories, as the registry stores them: manifests byte for
//! byte under the digest of those bytes, with the blobs and child manifests they
//! reference; tags with lifetimes, so moving or deleting one keeps its history.

use async_trait::async_trait;
use quay_core::DomainResult;

/// A stored manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredManifest {
    pub digest: String,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub config_media_type: Option<String>,
    pub subject_digest: Option<String>,
    /// Exactly the bytes that were pushed.
    pub bytes: Vec<u8>,
}

/// A manifest to store, with what it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewManifest {
    pub repository_id: i64,
    pub digest: String,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub config_media_type: Option<String>,
    pub subject_digest: Option<String>,
    pub bytes: Vec<u8>,
    /// Digests of the blobs (config and layers) it references.
    pub blobs: Vec<String>,
    /// Digests of the manifests an index references.
    pub children: Vec<String>,
}

/// Why a manifest could not be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestRejection {
    /// A referenced blob or child manifest the repository does not hold.
    MissingReference(String),
}

/// Storage of manifests and tags (implemented by `quay-persistence`).
#[async_trait]
pub trait ManifestStore: Send + Sync {
    async fn manifest_by_digest(
        &self,
        repository_id: i64,
        digest: &str,
    ) -> DomainResult<Option<StoredManifest>>;

    /// The manifest the live tag `tag` points at.
    async fn manifest_by_tag(
        &self,
        repository_id: i64,
        tag: &str,
    ) -> DomainResult<Option<StoredManifest>>;

    /// Stores the manifest (once per repository and digest) after checking every
    /// reference, and points `tag` at it (ending the tag's previous lifetime), with the
    /// repository's `last_modified`, atomically. A concurrent move of the same tag
    /// yields `Conflict`.
    async fn put_manifest(
        &self,
        manifest: NewManifest,
        tag: Option<&str>,
        now_ms: i64,
    ) -> DomainResult<Result<(), ManifestRejection>>;

    /// Ends the lifetimes of the live tags pointing at the manifest; `false` if the
    /// repository holds no such manifest.
    async fn delete_manifest(
        &self,
        repository_id: i64,
        digest: &str,
        now_ms: i64,
    ) -> DomainResult<bool>;

    /// Live tag names in order, after `after`, at most `limit`.
    async fn tags(
        &self,
        repository_id: i64,
        after: Option<&str>,
        limit: u64,
    ) -> DomainResult<Vec<String>>;

    /// Manifests whose subject is `digest`, oldest first; only of `artifact_type` if
    /// given.
    async fn referrers(
        &self,
        repository_id: i64,
        digest: &str,
        artifact_type: Option<&str>,
    ) -> DomainResult<Vec<StoredManifest>>;
}
