//! Blobs and blob uploads on `/v2/{name}/blobs/...`.
//!
//! An upload session is a database row (bytes and chunks so far) plus its chunks in
//! storage, so it can continue on any replica; a monolithic `POST ?digest=` has nothing
//! to continue and no row. The SHA-256 is computed while the bytes stream in;
//! the hash state stays in the process that received the previous chunk, and a replica
//! that did not see them reads the chunks back at the end. Nothing becomes a blob
//! before its digest checks out.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE};
use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::{StreamExt, TryStreamExt};
use quay_auth::secret::random_uuid;
use quay_core::cache::TtlCache;
use quay_core::DomainError;
use quay_repos::blobs::{BlobMetaStore, Upload};
use quay_repos::Repository;
use quay_storage::{BlobStore, Digest, StorageError, INLINE_READ_MAX};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::access::{authorize, check_quota, query_pairs};
use crate::error::{RegistryError, API_VERSION};
use crate::scope::Action;
use crate::RegistryState;

/// Quay's `MAXIMUM_LAYER_SIZE` default: 20 GiB.
pub const MAX_BLOB_BYTES: u64 = 20 * 1024 * 1024 * 1024;
/// The largest monolithic upload received in memory rather than streamed to storage.
const SMALL_BLOB_BYTES: u64 = 1024 * 1024;
/// Hash states kept for uploads in progress in this process.
const MAX_HASHERS: usize = 10_000;
/// Blob links (repository, digest) remembered in this process.
const MAX_LINKS: usize = 50_000;

/// Blob bytes and metadata, and this process's hash states of uploads in progress.
pub struct Blobs {
    pub storage: BlobStore,
    pub meta: Arc<dyn BlobMetaStore>,
    /// Upload uuid → (bytes hashed, state).
    hashers: Mutex<HashMap<String, (u64, Sha256)>>,
    /// (repository, digest) → size, for links known to exist, kept for `CACHE_TTL_MS`
    /// (Quay's data model cache keeps them 60 s): a pull asks for the same blobs again
    /// and again, and each question would be a database round trip. A link that does
    /// not exist is never remembered, so a push is seen at once on every replica; a
    /// link removed since (its repository deleted, its blob collected) is served at most
    /// that long, and only while the bytes remain: bytes that are gone are
    /// `BLOB_UNKNOWN`.
    links: Arc<TtlCache<(i64, String), u64>>,
}

impl Blobs {
    pub fn new(storage: BlobStore, meta: Arc<dyn BlobMetaStore>, cache_ttl: Duration) -> Self {
        Self {
            storage,
            meta,
            hashers: Mutex::new(HashMap::new()),
            links: Arc::new(TtlCache::new(cache_ttl, MAX_LINKS)),
        }
    }

    /// The same storage, metadata and remembered links, with no hash states (those
    /// belong to the `Blobs` that received the chunks).
    pub fn share(&self) -> Self {
        Self {
            storage: self.storage.clone(),
            meta: self.meta.clone(),
            hashers: Mutex::new(HashMap::new()),
            links: self.links.clone(),
        }
    }

    /// The size of blob `digest` if repository `repository_id` holds it.
    async fn size_in(
        &self,
        repository_id: i64,
        digest: &Digest,
    ) -> Result<Option<u64>, RegistryError> {
        let key = (repository_id, digest.as_str().to_string());
        if let Some(size) = self.links.get(&key) {
            return Ok(Some(size));
        }
        let size = self
            .meta
            .repository_blob(repository_id, digest.as_str())
            .await
            .map_err(RegistryError::internal)?;
        if let Some(size) = size {
            self.links.insert(key, size);
        }
        Ok(size)
    }

    /// Notes a link just committed, so the pull that usually follows finds it here.
    fn remember(&self, repository_id: i64, digest: &Digest, size: u64) {
        self.links
            .insert((repository_id, digest.as_str().to_string()), size);
    }

    /// The hash state of `upload` if this process hashed exactly its bytes so far.
    fn take_hasher(&self, upload: &Upload) -> Option<Sha256> {
        let mut map = self.hashers.lock().unwrap_or_else(|e| e.into_inner());
        match map.remove(&upload.uuid) {
            Some((bytes, hasher)) if bytes == upload.byte_count => Some(hasher),
            _ => None,
        }
    }

    fn keep_hasher(&self, uuid: &str, bytes: u64, hasher: Sha256) {
        let mut map = self.hashers.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_HASHERS {
            // Abandoned uploads: their digests can still be read back from storage.
            map.clear();
        }
        map.insert(uuid.to_string(), (bytes, hasher));
    }

    fn forget_hasher(&self, uuid: &str) {
        let mut map = self.hashers.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(uuid);
    }
}

fn storage_error(e: StorageError) -> RegistryError {
    match e {
        StorageError::Body(_) => RegistryError::new(
            StatusCode::BAD_REQUEST,
            "BLOB_UPLOAD_INVALID",
            "blob upload invalid",
        ),
        StorageError::TooLarge => RegistryError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "SIZE_INVALID",
            "Uploaded blob is larger than allowed by this registry",
        ),
        StorageError::NotFound => blob_unknown(),
        other => RegistryError::internal(other),
    }
}

fn blob_unknown() -> RegistryError {
    RegistryError::new(
        StatusCode::NOT_FOUND,
        "BLOB_UNKNOWN",
        "blob unknown to registry",
    )
}

fn upload_unknown() -> RegistryError {
    RegistryError::new(
        StatusCode::NOT_FOUND,
        "BLOB_UPLOAD_UNKNOWN",
        "blob upload unknown to registry",
    )
}

fn digest_invalid() -> RegistryError {
    RegistryError::new(
        StatusCode::BAD_REQUEST,
        "DIGEST_INVALID",
        "provided digest did not match uploaded content",
    )
}

fn range_invalid() -> RegistryError {
    RegistryError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "BLOB_UPLOAD_INVALID",
        "blob upload invalid",
    )
}

/// The `Range` value of an upload holding `bytes` (Docker's inclusive `0-<last>`).
fn upload_range(bytes: u64) -> String {
    format!("0-{}", bytes.saturating_sub(1))
}

fn upload_location(repo: &Repository, uuid: &str) -> String {
    format!("/v2/{}/{}/blobs/uploads/{uuid}", repo.namespace, repo.name)
}

fn blob_location(repo: &Repository, digest: &Digest) -> String {
    format!("/v2/{}/{}/blobs/{digest}", repo.namespace, repo.name)
}

fn parse_digest(s: &str) -> Result<Digest, RegistryError> {
    Digest::parse(s).ok_or_else(digest_invalid)
}

/// A `Range: bytes=a-b` request within a blob of `size` bytes.
fn requested_range(req: &HttpRequest, size: u64) -> Result<Option<Range<u64>>, RegistryError> {
    let Some(value) = req.headers().get(RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let invalid = || {
        RegistryError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "BLOB_UNKNOWN",
            "requested range not satisfiable",
        )
    };
    let spec = value.strip_prefix("bytes=").ok_or_else(invalid)?;
    let (start, end) = spec.split_once('-').ok_or_else(invalid)?;
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(s), Ok(e)) if s <= e && s < size => s..(e + 1).min(size),
        (Ok(s), Err(_)) if end.is_empty() && s < size => s..size,
        (Err(_), Ok(n)) if start.is_empty() && n > 0 => size.saturating_sub(n)..size,
        _ => return Err(invalid()),
    };
    Ok(Some(range))
}

/// How long a blob's direct download URL stays valid (Quay's 60 s): long enough to
/// follow the redirect, not to keep.
const DIRECT_DOWNLOAD_EXPIRY: Duration = Duration::from_secs(60);

/// `HEAD`/`GET /v2/{name}/blobs/{digest}`: a `GET` is redirected to storage where it
/// signs download URLs (S3), unless `FEATURE_PROXY_STORAGE`.
pub async fn get_blob(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> Result<HttpResponse, RegistryError> {
    let (name, digest) = path.into_inner();
    let repo = authorize(&state, &req, &name, Action::Pull).await?.repo;
    let digest = parse_digest(&digest)?;
    let size = state
        .blobs
        .size_in(repo.id, &digest)
        .await?
        .ok_or_else(blob_unknown)?;
    if req.method() == actix_web::http::Method::GET && !state.config.feature_proxy_storage {
        if let Some(url) = state
            .blobs
            .storage
            .direct_url(&digest, DIRECT_DOWNLOAD_EXPIRY)
            .await
            .map_err(storage_error)?
        {
            // As Quay: the client fetches the bytes (and any range of them) from
            // storage itself, and they never pass through this server.
            return Ok(HttpResponse::Found()
                .insert_header(API_VERSION)
                .insert_header((LOCATION, url))
                .insert_header(("Docker-Content-Digest", digest.as_str()))
                .insert_header(("Accept-Ranges", "bytes"))
                .finish());
        }
    }
    let range = requested_range(&req, size)?;
    let mut res = match &range {
        Some(r) => {
            let mut res = HttpResponse::PartialContent();
            res.insert_header((
                CONTENT_RANGE,
                format!("bytes {}-{}/{size}", r.start, r.end - 1),
            ));
            res
        }
        None => HttpResponse::Ok(),
    };
    res.insert_header(API_VERSION)
        .insert_header(("Docker-Content-Digest", digest.as_str()))
        .insert_header(("Accept-Ranges", "bytes"))
        .insert_header((CONTENT_TYPE, "application/octet-stream"));
    let length = range.as_ref().map_or(size, |r| r.end - r.start);
    if req.method() == actix_web::http::Method::HEAD {
        // A body of `length` bytes that is never read: actix answers a HEAD with the
        // body's size and without the body.
        let nothing = futures_util::stream::empty::<Result<bytes::Bytes, actix_web::Error>>();
        return Ok(res.no_chunking(length).streaming(nothing));
    }
    if length <= INLINE_READ_MAX {
        let bytes = state
            .blobs
            .storage
            .read_small_blob(&digest, range.unwrap_or(0..size))
            .await
            .map_err(storage_error)?;
        return Ok(res.body(bytes));
    }
    let stream = state
        .blobs
        .storage
        .read_blob(&digest, range)
        .await
        .map_err(storage_error)?
        .map_err(actix_web::error::ErrorInternalServerError);
    Ok(res.no_chunking(length).streaming(stream))
}

/// `DELETE /v2/{name}/blobs/{digest}`: Quay does not delete blobs over the API.
pub async fn delete_blob(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> Result<HttpResponse, RegistryError> {
    let (name, _) = path.into_inner();
    authorize(&state, &req, &name, Action::Push).await?;
    Err(RegistryError::unsupported())
}

#[derive(Deserialize)]
struct StartQuery {
    digest: Option<String>,
    mount: Option<String>,
    from: Option<String>,
}

/// Streams the request body into the next chunk of `upload`, checking `Content-Range`
/// against what is there; returns the upload's new totals.
async fn receive_chunk(
    state: &RegistryState,
    req: &HttpRequest,
    upload: &Upload,
    body: Payload,
) -> Result<Upload, RegistryError> {
    if let Some(range) = req
        .headers()
        .get(CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
    {
        // `start-end` (inclusive), continuing exactly where the upload stands.
        let start = range
            .trim_start_matches("bytes ")
            .split_once('-')
            .and_then(|(s, _)| s.parse::<u64>().ok());
        if start != Some(upload.byte_count) {
            return Err(range_invalid());
        }
    }
    let blobs = &state.blobs;
    let mut hasher = blobs.take_hasher(upload);
    let room = MAX_BLOB_BYTES.saturating_sub(upload.byte_count);
    let written = blobs
        .storage
        .write_chunk(
            &upload.uuid,
            upload.chunk_count,
            body,
            hasher.as_mut(),
            room,
        )
        .await
        .map_err(storage_error)?;
    let next = Upload {
        byte_count: upload.byte_count + written,
        chunk_count: upload.chunk_count + 1,
        ..upload.clone()
    };
    let advanced = blobs
        .meta
        .advance_upload(
            &upload.uuid,
            upload.byte_count,
            next.byte_count,
            next.chunk_count,
        )
        .await
        .map_err(RegistryError::internal)?;
    if !advanced {
        // Another request for this upload got there first; its chunk stands.
        return Err(range_invalid());
    }
    if let Some(h) = hasher {
        blobs.keep_hasher(&upload.uuid, next.byte_count, h);
    }
    Ok(next)
}

/// Verifies the finished upload against `expected` and makes it a blob of `repo`; on
/// a mismatch the upload is discarded and nothing is stored.
async fn finish(
    state: &RegistryState,
    repo: &Repository,
    upload: &Upload,
    expected: &Digest,
) -> Result<HttpResponse, RegistryError> {
    let blobs = &state.blobs;
    let actual = match blobs.take_hasher(upload) {
        Some(h) if upload.chunk_count > 0 => Digest::from_hasher(h),
        _ if upload.chunk_count == 0 => Digest::of(b""),
        _ => blobs
            .storage
            .digest_upload(&upload.uuid, upload.chunk_count)
            .await
            .map_err(storage_error)?,
    };
    commit(state, repo, upload, &actual, expected, true).await
}

/// Makes the chunks of `upload`, whose digest is `actual`, the blob `expected` of
/// `repo` if the two agree and the quota allows, ending the upload's row with it when
/// there is one; otherwise discards the upload, so nothing is stored.
async fn commit(
    state: &RegistryState,
    repo: &Repository,
    upload: &Upload,
    actual: &Digest,
    expected: &Digest,
    has_row: bool,
) -> Result<HttpResponse, RegistryError> {
    match store_blob(state, repo, upload, actual, expected, has_row).await {
        Ok(()) => {
            state.blobs.remember(repo.id, expected, upload.byte_count);
            Ok(created(repo, expected))
        }
        Err(refused) => {
            discard(state, upload, has_row).await?;
            Err(refused)
        }
    }
}

async fn store_blob(
    state: &RegistryState,
    repo: &Repository,
    upload: &Upload,
    actual: &Digest,
    expected: &Digest,
    has_row: bool,
) -> Result<(), RegistryError> {
    if actual != expected {
        return Err(digest_invalid());
    }
    check_quota(state, repo, upload.byte_count).await?;
    let storage = &state.blobs.storage;
    state
        .blobs
        .meta
        .store_blob(
            repo.id,
            expected.as_str(),
            upload.byte_count,
            has_row.then_some(upload.uuid.as_str()),
            Box::pin(async move {
                storage
                    .commit_upload(
                        &upload.uuid,
                        upload.chunk_count,
                        upload.byte_count,
                        expected,
                    )
                    .await
                    .map_err(commit_failed)
            }),
        )
        .await
        .map_err(RegistryError::internal)
}

/// A storage failure while committing verified bytes: always ours, never the client's.
fn commit_failed(e: StorageError) -> DomainError {
    DomainError::Internal(format!("committing a blob failed: {e}"))
}

fn created(repo: &Repository, digest: &Digest) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(API_VERSION)
        .insert_header((LOCATION, blob_location(repo, digest)))
        .insert_header(("Docker-Content-Digest", digest.as_str()))
        .insert_header((CONTENT_LENGTH, "0"))
        .finish()
}

/// `POST ?digest=` with the whole blob: nothing to continue elsewhere, so no upload
/// row; the bytes go to a chunk that becomes the blob once verified, or is removed.
/// A small body (its declared length at most [`SMALL_BLOB_BYTES`]) is received whole
/// and written once, at its digest's path, only after it checks out.
async fn monolithic(
    state: &RegistryState,
    req: &HttpRequest,
    repo: &Repository,
    body: Payload,
    expected: &Digest,
) -> Result<HttpResponse, RegistryError> {
    if let Some(length) = declared_length(req).filter(|n| *n <= SMALL_BLOB_BYTES) {
        return monolithic_small(state, repo, body, length, expected).await;
    }
    let uuid = random_uuid();
    let mut hasher = Sha256::new();
    let written = state
        .blobs
        .storage
        .write_chunk(&uuid, 0, body, Some(&mut hasher), MAX_BLOB_BYTES)
        .await
        .map_err(storage_error)?;
    let upload = Upload {
        uuid,
        repository_id: repo.id,
        byte_count: written,
        chunk_count: 1,
    };
    let actual = Digest::from_hasher(hasher);
    commit(state, repo, &upload, &actual, expected, false).await
}

/// The request's `Content-Length`, if it declares one.
fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// A whole small blob: the per-request cost of a streamed upload (a staging file, a
/// hashing thread, a rename) is most of the work for a few KiB, so it is hashed in
/// memory and stored with one write, and a wrong digest writes nothing at all.
async fn monolithic_small(
    state: &RegistryState,
    repo: &Repository,
    mut body: Payload,
    length: u64,
    expected: &Digest,
) -> Result<HttpResponse, RegistryError> {
    // `length` is at most SMALL_BLOB_BYTES, and the body cannot outgrow it: the
    // HTTP decoder ends a body at its declared length.
    let mut bytes = bytes::BytesMut::with_capacity(length as usize);
    while let Some(piece) = body.next().await {
        let piece = piece.map_err(|e| storage_error(StorageError::Body(e.to_string())))?;
        bytes.extend_from_slice(&piece);
    }
    let bytes = bytes.freeze();
    if Digest::of(&bytes) != *expected {
        return Err(digest_invalid());
    }
    let size = bytes.len() as u64;
    check_quota(state, repo, size).await?;
    let storage = &state.blobs.storage;
    state
        .blobs
        .meta
        .store_blob(
            repo.id,
            expected.as_str(),
            size,
            None,
            Box::pin(async move {
                storage
                    .put_verified_blob(expected, bytes)
                    .await
                    .map_err(commit_failed)
            }),
        )
        .await
        .map_err(RegistryError::internal)?;
    state.blobs.remember(repo.id, expected, size);
    Ok(created(repo, expected))
}

/// Removes the upload's chunks, its hash state and (`has_row`) its database row.
async fn discard(
    state: &RegistryState,
    upload: &Upload,
    has_row: bool,
) -> Result<(), RegistryError> {
    state.blobs.forget_hasher(&upload.uuid);
    state
        .blobs
        .storage
        .discard_upload(&upload.uuid, upload.chunk_count)
        .await
        .map_err(storage_error)?;
    if has_row {
        state
            .blobs
            .meta
            .delete_upload(&upload.uuid)
            .await
            .map_err(RegistryError::internal)?;
    }
    Ok(())
}

fn accepted(repo: &Repository, upload: &Upload) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header(API_VERSION)
        .insert_header((LOCATION, upload_location(repo, &upload.uuid)))
        .insert_header(("Range", upload_range(upload.byte_count)))
        .insert_header(("Docker-Upload-UUID", upload.uuid.as_str()))
        .insert_header((CONTENT_LENGTH, "0"))
        .finish()
}

/// `POST /v2/{name}/blobs/uploads/`: a cross-repository mount, a monolithic upload
/// (`?digest=`), or a new upload session.
pub async fn start_upload(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<String>,
    body: Payload,
) -> Result<HttpResponse, RegistryError> {
    let name = path.into_inner();
    let repo = authorize(&state, &req, &name, Action::Push).await?.repo;
    check_quota(&state, &repo, 0).await?;
    let q: StartQuery = query_pairs(&req)?;
    if let (Some(mount), Some(from)) = (&q.mount, &q.from) {
        let digest = parse_digest(mount)?;
        // Only from a repository the caller may pull; otherwise a plain upload.
        if let Ok(source) = authorize(&state, &req, from, Action::Pull)
            .await
            .map(|a| a.repo)
        {
            let size = state.blobs.size_in(source.id, &digest).await?;
            if let Some(size) = size {
                check_quota(&state, &repo, size).await?;
                let mounted = state
                    .blobs
                    .meta
                    .mount_blob(repo.id, source.id, digest.as_str())
                    .await
                    .map_err(RegistryError::internal)?;
                // Gone since (collected): a plain upload, as for a source without it.
                if mounted.is_some() {
                    state.blobs.remember(repo.id, &digest, size);
                    return Ok(created(&repo, &digest));
                }
            }
        }
    }
    if let Some(digest) = &q.digest {
        return monolithic(&state, &req, &repo, body, &parse_digest(digest)?).await;
    }
    let uuid = random_uuid();
    state
        .blobs
        .meta
        .create_upload(&uuid, repo.id)
        .await
        .map_err(RegistryError::internal)?;
    let upload = Upload {
        uuid,
        repository_id: repo.id,
        byte_count: 0,
        chunk_count: 0,
    };
    state.blobs.keep_hasher(&upload.uuid, 0, Sha256::new());
    Ok(accepted(&repo, &upload))
}

async fn existing_upload(
    state: &RegistryState,
    req: &HttpRequest,
    name: &str,
    uuid: &str,
) -> Result<(Repository, Upload), RegistryError> {
    let repo = authorize(state, req, name, Action::Push).await?.repo;
    let upload = state
        .blobs
        .meta
        .find_upload(repo.id, uuid)
        .await
        .map_err(RegistryError::internal)?
        .ok_or_else(upload_unknown)?;
    Ok((repo, upload))
}

/// `GET /v2/{name}/blobs/uploads/{uuid}`: how far the upload is.
pub async fn upload_status(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> Result<HttpResponse, RegistryError> {
    let (name, uuid) = path.into_inner();
    let (repo, upload) = existing_upload(&state, &req, &name, &uuid).await?;
    Ok(HttpResponse::NoContent()
        .insert_header(API_VERSION)
        .insert_header((LOCATION, upload_location(&repo, &upload.uuid)))
        .insert_header(("Range", upload_range(upload.byte_count)))
        .insert_header(("Docker-Upload-UUID", upload.uuid.as_str()))
        .finish())
}

/// `PATCH /v2/{name}/blobs/uploads/{uuid}`: one more chunk.
pub async fn upload_chunk(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<(String, String)>,
    body: Payload,
) -> Result<HttpResponse, RegistryError> {
    let (name, uuid) = path.into_inner();
    let (repo, upload) = existing_upload(&state, &req, &name, &uuid).await?;
    let upload = receive_chunk(&state, &req, &upload, body).await?;
    Ok(accepted(&repo, &upload))
}

/// `PUT /v2/{name}/blobs/uploads/{uuid}?digest=`: the last chunk (optional) and the
/// digest the whole must have.
pub async fn finish_upload(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<(String, String)>,
    body: Payload,
) -> Result<HttpResponse, RegistryError> {
    let (name, uuid) = path.into_inner();
    let (repo, mut upload) = existing_upload(&state, &req, &name, &uuid).await?;
    let q: StartQuery = query_pairs(&req)?;
    let expected = q
        .digest
        .as_deref()
        .and_then(Digest::parse)
        .ok_or_else(digest_invalid)?;
    let has_body = declared_length(&req).is_some_and(|n| n > 0)
        || req.headers().contains_key("transfer-encoding");
    if has_body {
        upload = receive_chunk(&state, &req, &upload, body).await?;
    }
    finish(&state, &repo, &upload, &expected).await
}

/// `DELETE /v2/{name}/blobs/uploads/{uuid}`: cancel.
pub async fn cancel_upload(
    state: Data<RegistryState>,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> Result<HttpResponse, RegistryError> {
    let (name, uuid) = path.into_inner();
    let (_, upload) = existing_upload(&state, &req, &name, &uuid).await?;
    discard(&state, &upload, true).await?;
    Ok(HttpResponse::NoContent()
        .insert_header(API_VERSION)
        .finish())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use quay_core::DomainResult;
    use quay_repos::blobs::CommitBytes;

    use super::*;

    /// Holds one blob (`sha256:aa…`, 7 bytes) in repository 1 and counts the questions.
    #[derive(Default)]
    struct OneBlob {
        asked: AtomicUsize,
    }

    #[async_trait]
    impl BlobMetaStore for OneBlob {
        async fn repository_blob(
            &self,
            repository_id: i64,
            digest: &str,
        ) -> DomainResult<Option<u64>> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            Ok((repository_id == 1 && digest == held().as_str()).then_some(7))
        }
        async fn create_upload(&self, _: &str, _: i64) -> DomainResult<()> {
            unreachable!("not asked by these tests")
        }
        async fn find_upload(&self, _: i64, _: &str) -> DomainResult<Option<Upload>> {
            unreachable!("not asked by these tests")
        }
        async fn advance_upload(&self, _: &str, _: u64, _: u64, _: u32) -> DomainResult<bool> {
            unreachable!("not asked by these tests")
        }
        async fn store_blob(
            &self,
            _: i64,
            _: &str,
            _: u64,
            _: Option<&str>,
            _: CommitBytes<'_>,
        ) -> DomainResult<()> {
            unreachable!("not asked by these tests")
        }
        async fn mount_blob(&self, _: i64, _: i64, _: &str) -> DomainResult<Option<u64>> {
            unreachable!("not asked by these tests")
        }
        async fn delete_upload(&self, _: &str) -> DomainResult<bool> {
            unreachable!("not asked by these tests")
        }
    }

    fn held() -> Digest {
        parse_digest(&format!("sha256:{}", "a".repeat(64))).unwrap()
    }

    fn other() -> Digest {
        parse_digest(&format!("sha256:{}", "b".repeat(64))).unwrap()
    }

    fn blobs(ttl: Duration) -> (Blobs, Arc<OneBlob>) {
        let meta = Arc::new(OneBlob::default());
        (Blobs::new(BlobStore::in_memory(), meta.clone(), ttl), meta)
    }

    #[tokio::test]
    async fn a_link_that_exists_is_asked_for_once_while_it_is_remembered() {
        let (blobs, meta) = blobs(Duration::from_secs(60));
        assert_eq!(blobs.size_in(1, &held()).await.unwrap(), Some(7));
        assert_eq!(blobs.size_in(1, &held()).await.unwrap(), Some(7));
        assert_eq!(blobs.share().size_in(1, &held()).await.unwrap(), Some(7));
        assert_eq!(meta.asked.load(Ordering::SeqCst), 1);
        // Another repository's link is its own question.
        assert_eq!(blobs.size_in(2, &held()).await.unwrap(), None);
        assert_eq!(meta.asked.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_missing_link_is_asked_for_every_time() {
        let (blobs, meta) = blobs(Duration::from_secs(60));
        assert_eq!(blobs.size_in(1, &other()).await.unwrap(), None);
        assert_eq!(blobs.size_in(1, &other()).await.unwrap(), None);
        assert_eq!(meta.asked.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_committed_link_is_found_without_asking() {
        let (blobs, meta) = blobs(Duration::from_secs(60));
        blobs.remember(3, &other(), 12);
        assert_eq!(blobs.size_in(3, &other()).await.unwrap(), Some(12));
        assert_eq!(meta.asked.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn with_caching_off_every_pull_asks() {
        let (blobs, meta) = blobs(Duration::ZERO);
        blobs.remember(1, &held(), 7);
        assert_eq!(blobs.size_in(1, &held()).await.unwrap(), Some(7));
        assert_eq!(blobs.size_in(1, &held()).await.unwrap(), Some(7));
        assert_eq!(meta.asked.load(Ordering::SeqCst), 2);
    }
}
