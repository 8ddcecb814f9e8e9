//! Manifests, tags and referrers on `/v2/{name}/...`.
//!
//! Docker v2 schema 2 manifests and manifest lists, OCI image manifests and indexes
//! (artifacts with `artifactType` and `subject` included) are parsed with `oci-spec`,
//! every referenced blob or child manifest must be in the repository, and the bytes
//! are kept exactly as pushed: the digest is the digest of those bytes.

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use oci_spec::image::{ImageIndex, ImageManifest};
use quay_core::DomainError;
use quay_logs::LogKind;
use quay_notify::events::Performer;
use quay_repos::labels::Label;
use quay_repos::manifests::{ManifestRejection, NewManifest, PushTarget, StoredManifest};
use quay_repos::Repository;
use quay_storage::Digest;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::{authorize, check_quota, query_pairs, Authorized};
use crate::blobs::Blobs;
use crate::error::{RegistryError, API_VERSION};
use crate::scope::Action;
use crate::RegistryState;

/// The largest manifest accepted (the distribution spec's suggested 4 MiB).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

enum Reference {
    Tag(String),
    Digest(Digest),
}

fn manifest_invalid(detail: &str) -> RegistryError {
    let mut e = RegistryError::new(
        StatusCode::BAD_REQUEST,
        "MANIFEST_INVALID",
        "manifest invalid",
    );
    e.detail = Box::new(json!({"message": detail}));
    e
}

fn manifest_unknown() -> RegistryError {
    RegistryError::new(
        StatusCode::NOT_FOUND,
        "MANIFEST_UNKNOWN",
        "manifest unknown",
    )
}

fn reference(s: &str) -> Result<Reference, RegistryError> {
    if s.contains(':') {
        return Digest::parse(s).map(Reference::Digest).ok_or_else(|| {
            RegistryError::new(
                StatusCode::BAD_REQUEST,
                "DIGEST_INVALID",
                "provided digest did not match uploaded content",
            )
        });
    }
    let mut chars = s.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(Reference::Tag(s.to_string()))
    } else {
        Err(RegistryError::new(
            StatusCode::BAD_REQUEST,
            "TAG_INVALID",
            "manifest tag did not match URI",
        ))
    }
}

/// The largest image config read for labels and layer history; a bigger one counts as
/// having none.
pub const MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;
pub const OCI_IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// What a manifest says about itself and references.
struct Parsed {
    media_type: String,
    artifact_type: Option<String>,
    config_media_type: Option<String>,
    /// The config blob of an image manifest.
    config_digest: Option<String>,
    annotations: Vec<(String, String)>,
    subject: Option<String>,
    blobs: Vec<String>,
    children: Vec<String>,
    layers_size: Option<i64>,
}

fn checked_digest(d: &str) -> Result<String, RegistryError> {
    Digest::parse(d)
        .map(|d| d.to_string())
        .ok_or_else(|| manifest_invalid(&format!("unsupported digest {d}")))
}

fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Parsed, RegistryError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| manifest_invalid(&e.to_string()))?;
    if value.get("schemaVersion").and_then(Value::as_u64) != Some(2) {
        return Err(manifest_invalid(
            "only schemaVersion 2 manifests are accepted",
        ));
    }
    let declared = value.get("mediaType").and_then(Value::as_str);
    let header = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim())
        .filter(|c| !c.is_empty() && *c != "application/json" && *c != "application/octet-stream");
    if let (Some(d), Some(h)) = (declared, header) {
        if d != h {
            return Err(manifest_invalid("mediaType does not match Content-Type"));
        }
    }
    let media_type = match declared.or(header) {
        Some(t) => t.to_string(),
        // OCI leaves mediaType optional: the shape tells.
        None if value.get("manifests").is_some() => OCI_INDEX.to_string(),
        None => OCI_MANIFEST.to_string(),
    };
    match media_type.as_str() {
        DOCKER_MANIFEST | OCI_MANIFEST => {
            let m: ImageManifest =
                serde_json::from_value(value).map_err(|e| manifest_invalid(&e.to_string()))?;
            let config_digest = checked_digest(m.config().digest().as_ref())?;
            let mut blobs = vec![config_digest.clone()];
            let mut layers_size: i64 = 0;
            for layer in m.layers() {
                blobs.push(checked_digest(layer.digest().as_ref())?);
                layers_size =
                    layers_size.saturating_add(layer.size().try_into().unwrap_or(i64::MAX));
            }
            blobs.sort();
            blobs.dedup();
            Ok(Parsed {
                artifact_type: m.artifact_type().as_ref().map(|t| t.to_string()),
                config_media_type: Some(m.config().media_type().to_string()),
                config_digest: Some(config_digest),
                annotations: m
                    .annotations()
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                subject: m
                    .subject()
                    .as_ref()
                    .map(|s| checked_digest(s.digest().as_ref()))
                    .transpose()?,
                blobs,
                children: Vec::new(),
                layers_size: Some(layers_size),
                media_type,
            })
        }
        DOCKER_MANIFEST_LIST | OCI_INDEX => {
            let i: ImageIndex =
                serde_json::from_value(value).map_err(|e| manifest_invalid(&e.to_string()))?;
            let mut children = i
                .manifests()
                .iter()
                .map(|d| checked_digest(d.digest().as_ref()))
                .collect::<Result<Vec<_>, _>>()?;
            children.sort();
            children.dedup();
            Ok(Parsed {
                artifact_type: i.artifact_type().as_ref().map(|t| t.to_string()),
                config_media_type: None,
                config_digest: None,
                annotations: Vec::new(),
                subject: i
                    .subject()
                    .as_ref()
                    .map(|s| checked_digest(s.digest().as_ref()))
                    .transpose()?,
                blobs: Vec::new(),
                children,
                layers_size: None,
                media_type,
            })
        }
        other => Err(manifest_invalid(&format!("unsupported media type {other}"))),
    }
}

/// The image config blob `digest` as JSON, if storage has it, it is at most
/// [`MAX_CONFIG_BYTES`] and it parses: anything else is a config without labels or
/// history, not an error.
pub async fn read_config(blobs: &Blobs, digest: &str) -> Option<Value> {
    let digest = Digest::parse(digest)?;
    let size = blobs.storage.blob_size(&digest).await.ok()??;
    if size > MAX_CONFIG_BYTES {
        return None;
    }
    let mut stream = blobs.storage.read_blob(&digest, None).await.ok()?;
    let mut bytes = Vec::with_capacity(size as usize);
    while let Some(piece) = stream.next().await {
        let piece = piece.ok()?;
        if (bytes.len() + piece.len()) as u64 > MAX_CONFIG_BYTES {
            return None;
        }
        bytes.extend_from_slice(&piece);
    }
    serde_json::from_slice(&bytes).ok()
}

/// Quay's `get_manifest_labels`: a Docker image's config labels; an OCI image's config
/// labels and then its annotations; an OCI artifact's annotations. Empty keys and
/// values that are not strings mean nothing and are left out.
async fn manifest_labels(blobs: &Blobs, parsed: &Parsed) -> Vec<Label> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let image = match parsed.media_type.as_str() {
        DOCKER_MANIFEST => true,
        OCI_MANIFEST => parsed.config_media_type.as_deref() == Some(OCI_IMAGE_CONFIG),
        _ => false,
    };
    if image {
        if let Some(config) = match &parsed.config_digest {
            Some(d) => read_config(blobs, d).await,
            None => None,
        } {
            if let Some(labels) = config
                .get("config")
                .and_then(|c| c.get("Labels"))
                .and_then(Value::as_object)
            {
                for (k, v) in labels {
                    if let Some(v) = v.as_str() {
                        pairs.push((k.clone(), v.to_string()));
                    }
                }
            }
        }
    }
    if parsed.media_type == OCI_MANIFEST {
        for (k, v) in &parsed.annotations {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k.clone(), v.clone()));
        }
    }
    pairs
        .into_iter()
        .filter(|(k, _)| !k.is_empty())
        .map(|(key, value)| Label::from_manifest(key, value))
        .collect()
}

/// The request body, at most `limit` bytes (413 beyond).
async fn read_body(mut payload: Payload, limit: usize) -> Result<Vec<u8>, RegistryError> {
    let mut body = Vec::new();
    while let Some(piece) = payload.next().await {
        let piece = piece.map_err(|e| manifest_invalid(&e.to_string()))?;
        if body.len() + piece.len() > limit {
            return Err(RegistryError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "SIZE_INVALID",
                "manifest is larger than allowed by this registry",
            ));
        }
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

async fn find(
    state: &RegistryState,
    repo: &Repository,
    reference: &Reference,
) -> Result<StoredManifest, RegistryError> {
    let found = match reference {
        Reference::Tag(tag) => state.manifests.manifest_by_tag(repo.id, tag).await,
        Reference::Digest(d) => {
            state
                .manifests
                .manifest_by_digest(repo.id, d.as_str())
                .await
        }
    };
    if let Some(manifest) = found.map_err(RegistryError::internal)? {
        return Ok(manifest);
    }
    if let Reference::Tag(tag) = reference {
        let expired = state
            .manifests
            .has_expired_tag(repo.id, tag)
            .await
            .map_err(RegistryError::internal)?;
        if expired {
            return Err(RegistryError::new(
                StatusCode::NOT_FOUND,
                "TAG_EXPIRED",
                format!("Tag {tag} was deleted or has expired. To pull, revive via time machine"),
            ));
        }
    }
    Err(manifest_unknown())
}

/// `GET`/`HEAD /v2/{name}/manifests/{reference}`.
pub async fn get_manifest(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> Result<HttpResponse, RegistryError> {
    let (name, reference_text) = path.into_inner();
    let access = authorize(&state, &req, &name, Action::Pull).await?;
    let reference = reference(&reference_text)?;
    let manifest = find(&state, &access.repo, &reference).await?;
    // A read-only registry writes nothing, audit entries included (as Quay).
    if !state.config.is_readonly() {
        let what = match &reference {
            Reference::Tag(t) => json!({ "tag": t }),
            Reference::Digest(d) => json!({ "manifest_digest": d.as_str() }),
        };
        // The pull itself succeeded: a failed audit write is logged, not shown.
        let entry = access.log(LogKind::PullRepo, &req, what);
        if let Err(e) = state.logs.write_log(entry).await {
            tracing::warn!(error = %e, "pull_repo audit entry not written");
        }
    }
    let mut res = HttpResponse::Ok();
    res.insert_header(API_VERSION)
        .insert_header((CONTENT_TYPE, manifest.media_type.as_str()))
        .insert_header(("Docker-Content-Digest", manifest.digest.as_str()));
    // HEAD too: actix sends the body's length and leaves the body out.
    Ok(res.body(manifest.bytes))
}

/// `PUT /v2/{name}/manifests/{reference}`.
pub async fn put_manifest(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<(String, String)>,
    payload: Payload,
) -> Result<HttpResponse, RegistryError> {
    let (name, reference_text) = path.into_inner();
    let access = authorize(&state, &req, &name, Action::Push).await?;
    let repo = &access.repo;
    let reference = reference(&reference_text)?;
    let bytes = read_body(payload, MAX_MANIFEST_BYTES).await?;
    check_quota(&state, repo, bytes.len() as u64).await?;
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let parsed = parse(&bytes, content_type)?;
    let digest = Digest::of(&bytes);
    if let Reference::Digest(d) = &reference {
        if d != &digest {
            return Err(RegistryError::new(
                StatusCode::BAD_REQUEST,
                "DIGEST_INVALID",
                "provided digest did not match uploaded content",
            ));
        }
    }
    let subject = parsed.subject.clone();
    // Quay audits pushes of tags; a push by digest is part of a larger one (an index's
    // children, an artifact).
    let (target, log) = match &reference {
        Reference::Tag(t) => (
            PushTarget::Tag {
                name: t,
                keep_replaced_ms: repo.namespace_tag_expiration_s.saturating_mul(1000),
            },
            Some(access.log(LogKind::PushRepo, &req, json!({ "tag": t }))),
        ),
        Reference::Digest(_) => {
            let expires_ms = match subject {
                // Artifacts about another manifest (signatures, SBOMs) are pushed by
                // digest and found through the referrers API: they stay.
                Some(_) => None,
                None => {
                    let secs = state.config.push_temp_tag_expiration_sec;
                    let ttl_ms = i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000);
                    Some(chrono_now_ms().saturating_add(ttl_ms))
                }
            };
            (PushTarget::Digest { expires_ms }, None)
        }
    };
    let labels = manifest_labels(&state.blobs, &parsed).await;
    let new = NewManifest {
        repository_id: repo.id,
        digest: digest.to_string(),
        media_type: parsed.media_type,
        artifact_type: parsed.artifact_type,
        config_media_type: parsed.config_media_type,
        subject_digest: parsed.subject,
        bytes,
        blobs: parsed.blobs,
        children: parsed.children,
        layers_size: parsed.layers_size,
        labels,
    };
    // Two pushes of the same tag at once: the loser tries again on the new state.
    let mut attempts = 0;
    let outcome = loop {
        attempts += 1;
        let now_ms = chrono_now_ms();
        match state
            .manifests
            .put_manifest(new.clone(), target, now_ms, log.clone())
            .await
        {
            Err(DomainError::Conflict(_)) if attempts < 3 => continue,
            other => break other.map_err(RegistryError::internal)?,
        }
    };
    if let Err(ManifestRejection::MissingReference(missing)) = outcome {
        let mut e = RegistryError::new(
            StatusCode::BAD_REQUEST,
            "MANIFEST_BLOB_UNKNOWN",
            "manifest blob unknown to registry",
        );
        e.detail = Box::new(json!({"digest": missing}));
        return Err(e);
    }
    if let Reference::Tag(tag) = &reference {
        notify_push(&state, &access, tag).await;
    }
    let mut res = HttpResponse::Created();
    res.insert_header(API_VERSION)
        .insert_header((
            LOCATION,
            format!("/v2/{}/{}/manifests/{digest}", repo.namespace, repo.name),
        ))
        .insert_header(("Docker-Content-Digest", digest.as_str()))
        .insert_header((CONTENT_LENGTH, "0"));
    if let Some(subject) = subject {
        res.insert_header(("OCI-Subject", subject));
    }
    Ok(res.finish())
}

/// Quay's `repo_push` event for a pushed tag, queued once the push is committed; the
/// push has happened, so a failure to queue is logged, not answered.
async fn notify_push(state: &RegistryState, access: &Authorized, tag: &str) {
    let performer = match (&access.actor.id, &access.actor.name) {
        (Some(id), Some(name)) => Some(Performer {
            id: *id,
            name: name.clone(),
        }),
        _ => None,
    };
    let repo = &access.repo;
    if let Err(e) = state
        .notifier
        .repo_push(
            repo.id,
            &repo.namespace,
            &repo.name,
            &[tag.to_string()],
            performer.as_ref(),
        )
        .await
    {
        tracing::error!(error = %e, "repo_push notifications not queued");
    }
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `DELETE /v2/{name}/manifests/{digest}`: untags the manifest (Quay deletes by digest
/// only).
pub async fn delete_manifest(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> Result<HttpResponse, RegistryError> {
    let (name, reference_text) = path.into_inner();
    let access = authorize(&state, &req, &name, Action::Push).await?;
    let Reference::Digest(digest) = reference(&reference_text)? else {
        return Err(RegistryError::unsupported());
    };
    let log = access.log(
        LogKind::DeleteTag,
        &req,
        json!({ "digest": digest.as_str() }),
    );
    let deleted = state
        .manifests
        .delete_manifest(access.repo.id, digest.as_str(), chrono_now_ms(), log)
        .await
        .map_err(RegistryError::internal)?;
    if !deleted {
        return Err(manifest_unknown());
    }
    Ok(HttpResponse::Accepted().insert_header(API_VERSION).finish())
}

/// `n` of a paged list, at most `V2_PAGINATION_SIZE` (also when absent or not a number,
/// as Quay). Zero is an empty page, as the distribution spec asks (Quay makes it 1).
pub(crate) fn page_size(state: &RegistryState, n: Option<&str>) -> u64 {
    let max = state.config.v2_pagination_size.max(1);
    n.and_then(|n| n.parse::<u64>().ok())
        .map_or(max, |n| n.min(max))
}

#[derive(Deserialize)]
struct TagsQuery {
    n: Option<String>,
    last: Option<String>,
}

/// `GET /v2/{name}/tags/list?n=&last=`, with a `Link` to the next page.
pub async fn list_tags(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let name = path.into_inner();
    let repo = authorize(&state, &req, &name, Action::Pull).await?.repo;
    let q: TagsQuery = query_pairs(&req)?;
    let n = page_size(&state, q.n.as_deref());
    let mut tags = state
        .manifests
        .tags(repo.id, q.last.as_deref(), n + 1)
        .await
        .map_err(RegistryError::internal)?;
    let more = tags.len() as u64 > n;
    tags.truncate(n as usize);
    let full = format!("{}/{}", repo.namespace, repo.name);
    let mut res = HttpResponse::Ok();
    res.insert_header(API_VERSION);
    if let (true, Some(last)) = (more, tags.last()) {
        res.insert_header((
            "Link",
            format!("</v2/{full}/tags/list?n={n}&last={last}>; rel=\"next\""),
        ));
    }
    Ok(res.json(json!({"name": full, "tags": tags})))
}

#[derive(Deserialize)]
struct ReferrersQuery {
    #[serde(rename = "artifactType")]
    artifact_type: Option<String>,
}

/// `GET /v2/{name}/referrers/{digest}?artifactType=`: an OCI index of the manifests
/// whose subject is `digest`.
pub async fn list_referrers(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> Result<HttpResponse, RegistryError> {
    let (name, digest_text) = path.into_inner();
    let repo = authorize(&state, &req, &name, Action::Pull).await?.repo;
    let Reference::Digest(digest) = reference(&digest_text)? else {
        return Err(RegistryError::new(
            StatusCode::BAD_REQUEST,
            "DIGEST_INVALID",
            "provided digest did not match uploaded content",
        ));
    };
    let q: ReferrersQuery = query_pairs(&req)?;
    let filter = q.artifact_type.filter(|t| !t.is_empty());
    let found = state
        .manifests
        .referrers(repo.id, digest.as_str(), filter.as_deref())
        .await
        .map_err(RegistryError::internal)?;
    let manifests: Vec<Value> = found
        .iter()
        .map(|m| {
            let annotations = serde_json::from_slice::<Value>(&m.bytes)
                .ok()
                .and_then(|v| v.get("annotations").cloned());
            let mut d = json!({
                "mediaType": m.media_type,
                "digest": m.digest,
                "size": m.bytes.len(),
            });
            if let Some(t) = m.artifact_type.as_ref().or(m.config_media_type.as_ref()) {
                d["artifactType"] = json!(t);
            }
            if let Some(a) = annotations {
                d["annotations"] = a;
            }
            d
        })
        .collect();
    let mut res = HttpResponse::Ok();
    res.insert_header(API_VERSION)
        .insert_header((CONTENT_TYPE, OCI_INDEX));
    if filter.is_some() {
        res.insert_header(("OCI-Filters-Applied", "artifactType"));
    }
    let body = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    Ok(res.body(body.to_string()))
}
