//! The manifests API (`endpoints/api/manifest.py`, `endpoints/api/secscan.py`): a
//! repository's manifest by digest, its labels (listed, added, read and deleted) and its
//! security status.
//!
//! A manifest is visible while a live tag reaches it (as `/v2` serves it) or a named tag
//! lifetime pointing at it is still inside the namespace's time machine (as the tags API
//! lists it). Labels come from the image config at push (`manifest`, read-only) or from
//! the API (`api`); keys under Quay's reserved prefixes cannot be added over the API.

use std::convert::Infallible;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use quay_core::names::RepositoryName;
use quay_core::role::{RepositoryState, Role};
use quay_core::{Caller, DomainError, DomainResult};
use quay_logs::{LogKind, NewLogEntry};
use serde_json::json;

use crate::{Repositories, Repository};

/// Quay's `VALID_LABEL_KEY_REGEX`, as its error message shows it.
const VALID_LABEL_KEY_REGEX: &str = r"^[a-z0-9](([a-z0-9]|[-.](?![.-]))*[a-z0-9])?$";

/// Quay's `DEFAULT_LABEL_KEY_RESERVED_PREFIXES`: keys only the registry itself may set.
const RESERVED_LABEL_PREFIXES: [&str; 12] = [
    "com.docker.",
    "io.docker.",
    "org.dockerproject.",
    "org.opencontainers.",
    "io.cncf.",
    "io.kubernetes.",
    "io.k8s.",
    "io.quay",
    "com.coreos",
    "com.tectonic",
    "internal",
    "quay",
];

/// The label that gives a pushed tag its expiry (`2h`, `1d`, `3w`, ...).
pub const EXPIRES_AFTER_LABEL: &str = "quay.expires-after";

const LABEL_MEDIA_TYPES: [&str; 2] = ["text/plain", "application/json"];

/// Whether `media_type` is a manifest list: Docker's, or an OCI image index.
pub fn is_manifest_list_type(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/vnd.docker.distribution.manifest.list.v2+json"
            | "application/vnd.oci.image.index.v1+json"
    )
}

/// Quay's `validate_label_key`: at most 255 characters of lowercase letters and digits,
/// with single `-` or `.` between them.
fn is_valid_label_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let separator = |b: u8| b == b'-' || b == b'.';
    key.len() <= 255
        && bytes.first().is_some_and(|b| alnum(*b))
        && bytes.last().is_some_and(|b| alnum(*b))
        && bytes.iter().all(|b| alnum(*b) || separator(*b))
        && bytes
            .windows(2)
            .all(|w| !(separator(w[0]) && separator(w[1])))
}

fn has_reserved_prefix(key: &str) -> bool {
    RESERVED_LABEL_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// The media type Quay infers for a value: JSON if it parses as JSON.
fn inferred_media_type(value: &str) -> &'static str {
    if serde_json::from_str::<serde_json::Value>(value).is_ok() {
        "application/json"
    } else {
        "text/plain"
    }
}

/// Quay's `convert_to_timedelta` for `quay.expires-after`, in seconds: `<n><s|m|h|d|w>`.
pub fn expires_after_seconds(value: &str) -> Option<i64> {
    quay_core::config::parse_duration(value)
}

/// Where a label came from (Quay's `LabelSourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSource {
    /// Read from the manifest's image config at push; immutable.
    Manifest,
    /// Added over the API; may be deleted.
    Api,
    /// Reserved for the registry's own use; immutable.
    Internal,
}

impl LabelSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelSource::Manifest => "manifest",
            LabelSource::Api => "api",
            LabelSource::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "manifest" => Some(LabelSource::Manifest),
            "api" => Some(LabelSource::Api),
            "internal" => Some(LabelSource::Internal),
            _ => None,
        }
    }

    /// Quay's `LabelSourceType.mutable`.
    pub fn mutable(self) -> bool {
        self == LabelSource::Api
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub uuid: String,
    pub key: String,
    pub value: String,
    pub media_type: String,
    pub source: LabelSource,
}

impl Label {
    /// A label read from a manifest at push, its media type inferred from the value.
    pub fn from_manifest(key: String, value: String) -> Self {
        Label {
            uuid: uuid::Uuid::new_v4().to_string(),
            media_type: inferred_media_type(&value).to_string(),
            key,
            value,
            source: LabelSource::Manifest,
        }
    }
}

/// `POST .../labels`: `media_type` `None` lets the value decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLabel {
    pub key: String,
    pub value: String,
    pub media_type: Option<String>,
}

/// A manifest as the manifests API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRecord {
    pub id: i64,
    pub digest: String,
    pub media_type: String,
    pub config_media_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl ManifestRecord {
    pub fn is_manifest_list(&self) -> bool {
        is_manifest_list_type(&self.media_type)
    }
}

/// Storage of manifest labels (implemented by `quay-persistence`).
#[async_trait]
pub trait LabelStore: Send + Sync {
    /// The manifest `digest` if a live tag reaches it at `now_ms`, or a named tag
    /// lifetime pointing at it ended after `history_from_ms`.
    async fn visible_manifest(
        &self,
        repository_id: i64,
        digest: &str,
        now_ms: i64,
        history_from_ms: i64,
    ) -> DomainResult<Option<ManifestRecord>>;

    /// The manifest `digest` if the repository still holds it, tagged or not.
    async fn stored_manifest(
        &self,
        repository_id: i64,
        digest: &str,
    ) -> DomainResult<Option<ManifestRecord>>;

    /// The manifest's labels in the order they were added; only keys starting with
    /// `prefix` if given.
    async fn manifest_labels(
        &self,
        manifest_id: i64,
        prefix: Option<&str>,
    ) -> DomainResult<Vec<Label>>;

    async fn manifest_label(&self, manifest_id: i64, uuid: &str) -> DomainResult<Option<Label>>;

    /// Adds the label and writes `log`, atomically; `false` if the manifest is gone.
    async fn add_manifest_label(
        &self,
        manifest_id: i64,
        label: &Label,
        log: NewLogEntry,
    ) -> DomainResult<bool>;

    /// Deletes the label and writes `log`, atomically; `false` if there was none.
    async fn delete_manifest_label(
        &self,
        manifest_id: i64,
        uuid: &str,
        log: NewLogEntry,
    ) -> DomainResult<bool>;
}

/// The manifests API of repositories.
#[async_trait]
pub trait ManifestService: Send + Sync {
    async fn manifest(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        digest: &str,
    ) -> DomainResult<ManifestRecord>;

    async fn list_labels(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        digest: &str,
        prefix: Option<&str>,
    ) -> DomainResult<Vec<Label>>;

    async fn get_label(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        digest: &str,
        uuid: &str,
    ) -> DomainResult<Label>;

    /// `label` is the request body as read, or why it is not a valid one: Quay checks
    /// permissions and the repository's state before the body.
    async fn add_label(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        digest: &str,
        label: Result<NewLabel, String>,
    ) -> DomainResult<Label>;

    async fn delete_label(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        digest: &str,
        uuid: &str,
    ) -> DomainResult<()>;

    /// The manifest's vulnerability report. No scanner is wired up, so there is none:
    /// for a manifest the repository holds, the error is Quay's without a scanner.
    async fn security(
        &self,
        caller: &Caller,
        repo: &RepositoryName,
        digest: &str,
    ) -> DomainResult<Infallible>;
}

/// [`ManifestService`] on the repository service (access checks) and a [`LabelStore`].
pub struct Manifests {
    repos: Arc<Repositories>,
    store: Arc<dyn LabelStore>,
}

impl Manifests {
    pub fn new(repos: Arc<Repositories>, store: Arc<dyn LabelStore>) -> Self {
        Self { repos, store }
    }

    async fn visible(&self, repo: &Repository, digest: &str) -> DomainResult<ManifestRecord> {
        let now = Utc::now().timestamp_millis();
        let window = repo.namespace_tag_expiration_s.saturating_mul(1000);
        self.store
            .visible_manifest(repo.id, digest, now, now.saturating_sub(window))
            .await?
            .ok_or(DomainError::NotFound)
    }

    /// Quay's `require_repo_write` then `disallow_for_non_normal_repositories`.
    async fn writable(&self, caller: &Caller, name: &RepositoryName) -> DomainResult<Repository> {
        let (repo, _) = self.repos.authorized(caller, name, Role::Write).await?;
        if repo.state != RepositoryState::Normal {
            return Err(DomainError::Unavailable(format!(
                "Repository is in read only or mirror mode: {}",
                repo.state.as_str()
            )));
        }
        Ok(repo)
    }
}

#[async_trait]
impl ManifestService for Manifests {
    async fn manifest(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        digest: &str,
    ) -> DomainResult<ManifestRecord> {
        let (repo, _) = self.repos.authorized(caller, name, Role::Read).await?;
        self.visible(&repo, digest).await
    }

    async fn list_labels(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        digest: &str,
        prefix: Option<&str>,
    ) -> DomainResult<Vec<Label>> {
        let (repo, _) = self.repos.authorized(caller, name, Role::Read).await?;
        let manifest = self.visible(&repo, digest).await?;
        self.store.manifest_labels(manifest.id, prefix).await
    }

    async fn get_label(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        digest: &str,
        uuid: &str,
    ) -> DomainResult<Label> {
        let (repo, _) = self.repos.authorized(caller, name, Role::Read).await?;
        let manifest = self.visible(&repo, digest).await?;
        self.store
            .manifest_label(manifest.id, uuid)
            .await?
            .ok_or(DomainError::NotFound)
    }

    async fn add_label(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        digest: &str,
        new: Result<NewLabel, String>,
    ) -> DomainResult<Label> {
        let repo = self.writable(caller, name).await?;
        let new = new.map_err(DomainError::InvalidRequest)?;
        // Quay refuses reserved prefixes before it looks the manifest up.
        if has_reserved_prefix(&new.key) {
            return Err(DomainError::rejected("Label has a reserved prefix"));
        }
        let manifest = self.visible(&repo, digest).await?;
        if !is_valid_label_key(&new.key) {
            return Err(DomainError::rejected(format!(
                "Label is of an invalid format or missing please use {VALID_LABEL_KEY_REGEX} format for labels"
            )));
        }
        let media_type = match new.media_type {
            Some(t) if LABEL_MEDIA_TYPES.contains(&t.as_str()) => t,
            Some(_) => return Err(DomainError::rejected(
                "Media type is invalid please use a valid media type: text/plain, application/json",
            )),
            None => inferred_media_type(&new.value).to_string(),
        };
        // Ours: a label that says it is JSON must be JSON (Quay stores any text).
        if media_type == "application/json"
            && serde_json::from_str::<serde_json::Value>(&new.value).is_err()
        {
            return Err(DomainError::rejected(
                "Label value is not valid JSON for media type application/json",
            ));
        }
        let label = Label {
            uuid: uuid::Uuid::new_v4().to_string(),
            key: new.key,
            value: new.value,
            media_type,
            source: LabelSource::Api,
        };
        let log = self.repos.log(
            LogKind::ManifestLabelAdd,
            caller,
            &repo,
            json!({
                "id": label.uuid,
                "key": label.key,
                "value": label.value,
                "manifest_digest": digest,
                "media_type": label.media_type,
            }),
        );
        if !self
            .store
            .add_manifest_label(manifest.id, &label, log)
            .await?
        {
            return Err(DomainError::NotFound);
        }
        Ok(label)
    }

    async fn delete_label(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        digest: &str,
        uuid: &str,
    ) -> DomainResult<()> {
        let repo = self.writable(caller, name).await?;
        let manifest = self.visible(&repo, digest).await?;
        let label = self
            .store
            .manifest_label(manifest.id, uuid)
            .await?
            .ok_or(DomainError::NotFound)?;
        if !label.source.mutable() {
            return Err(DomainError::rejected("Cannot delete immutable label"));
        }
        let log = self.repos.log(
            LogKind::ManifestLabelDelete,
            caller,
            &repo,
            json!({
                "id": uuid,
                "key": label.key,
                "value": label.value,
                "manifest_digest": digest,
            }),
        );
        if !self
            .store
            .delete_manifest_label(manifest.id, uuid, log)
            .await?
        {
            return Err(DomainError::NotFound);
        }
        Ok(())
    }

    async fn security(
        &self,
        caller: &Caller,
        name: &RepositoryName,
        digest: &str,
    ) -> DomainResult<Infallible> {
        let (repo, _) = self.repos.authorized(caller, name, Role::Read).await?;
        // Quay looks the manifest up with `allow_dead`: untagged ones have a report too.
        self.store
            .stored_manifest(repo.id, digest)
            .await?
            .ok_or(DomainError::NotFound)?;
        Err(DomainError::Downstream(
            "security scanner misconfigured".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys_follow_quays_expression() {
        for good in [
            "a",
            "foo",
            "com.example.foo",
            "a-b.c",
            "x1",
            &"a".repeat(255),
        ] {
            assert!(is_valid_label_key(good), "{good}");
        }
        for bad in [
            "",
            "Foo",
            "-a",
            "a-",
            "a..b",
            "a.-b",
            "a_b",
            "a b",
            "ä",
            &"a".repeat(256),
        ] {
            assert!(!is_valid_label_key(bad), "{bad}");
        }
    }

    #[test]
    fn reserved_prefixes_and_media_types() {
        assert!(has_reserved_prefix("quay.expires-after"));
        assert!(has_reserved_prefix("io.quayfoo"));
        assert!(has_reserved_prefix("com.docker.x"));
        assert!(!has_reserved_prefix("com.dockerx"));
        assert_eq!(inferred_media_type("{\"a\": 1}"), "application/json");
        assert_eq!(inferred_media_type("12"), "application/json");
        assert_eq!(inferred_media_type("hello"), "text/plain");
    }

    #[test]
    fn expiry_durations() {
        assert_eq!(expires_after_seconds("2h"), Some(7200));
        assert_eq!(expires_after_seconds("3w"), Some(3 * 604_800));
        assert_eq!(expires_after_seconds("soon"), None);
        assert_eq!(expires_after_seconds("2y"), None);
    }
}
