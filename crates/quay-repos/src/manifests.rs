//! Manifests and tags of repositories, as the registry stores them: manifests byte for
//! byte under the digest of those bytes, with the blobs and child manifests they
//! reference; tags with lifetimes, so moving or deleting one keeps its history.
//!
//! A manifest is there for clients while a live tag reaches it: a named tag, the hidden
//! tag of a push by digest, or a live tag of an index that lists it. Deleting a manifest
//! ends those tags; its rows stay for the time machine and garbage collection.

use async_trait::async_trait;
use quay_core::DomainResult;
use quay_logs::NewLogEntry;

use crate::labels::Label;

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
    /// The sum of the layers' sizes (none for an index).
    pub layers_size: Option<i64>,
    /// Labels read from the manifest (its image config's and its annotations), source
    /// `manifest`; stored only when the manifest is new.
    pub labels: Vec<Label>,
}

/// What a pushed manifest is stored under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushTarget<'a> {
    /// A named tag, moved to the manifest. The manifest it leaves, if no other live tag
    /// reaches it, stays reachable by digest for `keep_replaced_ms` (the namespace's
    /// time-machine window), so that pulls pinned to its digest keep working.
    Tag {
        name: &'a str,
        keep_replaced_ms: i64,
    },
    /// A push by digest: a hidden tag keeps the manifest alive until `expires_ms` (an
    /// instant in ms since the epoch), or for good with `None`.
    Digest { expires_ms: Option<i64> },
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
    /// The manifest `digest`, if a live tag reaches it.
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

    /// Whether the named tag `tag` has a lifetime that ended (deleted or expired) and
    /// none alive: a pull of it is `TAG_EXPIRED`, not unknown.
    async fn has_expired_tag(&self, repository_id: i64, tag: &str) -> DomainResult<bool>;

    /// Stores the manifest (once per repository and digest) after checking every
    /// reference, tags it as `target` says (ending a named tag's previous lifetime),
    /// updates the repository's `last_modified` and writes `log`, atomically. A
    /// concurrent move of the same tag yields `Conflict`.
    ///
    /// A new manifest gets its labels, and a named tag pushed with a new manifest whose
    /// `quay.expires-after` label parses (for an index: the same value on every child)
    /// expires that long after the push, unclamped, as Quay's label handler does.
    async fn put_manifest(
        &self,
        manifest: NewManifest,
        target: PushTarget<'_>,
        now_ms: i64,
        log: Option<NewLogEntry>,
    ) -> DomainResult<Result<(), ManifestRejection>>;

    /// Ends the lifetimes of the live tags pointing at the manifest, hidden ones
    /// included, and writes `log` once per named tag, with `tag` added to its metadata;
    /// `false` if no live tag pointed at it.
    async fn delete_manifest(
        &self,
        repository_id: i64,
        digest: &str,
        now_ms: i64,
        log: NewLogEntry,
    ) -> DomainResult<bool>;

    /// Live tag names in order, after `after`, at most `limit`.
    async fn tags(
        &self,
        repository_id: i64,
        after: Option<&str>,
        limit: u64,
    ) -> DomainResult<Vec<String>>;

    /// Live manifests whose subject is `digest`, oldest first; only of `artifact_type`
    /// if given.
    async fn referrers(
        &self,
        repository_id: i64,
        digest: &str,
        artifact_type: Option<&str>,
    ) -> DomainResult<Vec<StoredManifest>>;
}
