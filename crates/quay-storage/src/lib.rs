//! Blob storage over [`object_store`]: the local filesystem under the data directory by
//! default, S3-compatible services (`S3Storage`, `RadosGWStorage`) from Quay's
//! `DISTRIBUTED_STORAGE_CONFIG`.
//!
//! Two kinds of objects: blobs at Quay's content-addressed path
//! (`sha256/<first two hex digits>/<hex>`), and the chunks of uploads in progress
//! (`uploads/<uuid>/<index>`). Invariants:
//! - bytes are streamed: no blob or chunk is ever held whole in memory;
//! - a blob path only ever holds bytes whose SHA-256 was checked against its name: chunks
//!   become a blob in [`BlobStore::commit_upload`], which callers reach only after the
//!   digest checked out, and multipart writes appear atomically when they complete.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest as _, Sha256};

#[cfg(feature = "testing")]
pub mod testing;

/// Local files are read in pieces of this size (`object_store` reads 8 KiB at a time,
/// a blocking-pool round trip each, which caps a pull far below the disk's speed).
const READ_CHUNK: u64 = 1024 * 1024;
/// Pieces of a local file read ahead of the one being sent.
const READ_AHEAD: usize = 2;
/// Reads of at most this many bytes from the local filesystem are made on the calling
/// thread ([`BlobStore::read_small_blob`]).
pub const INLINE_READ_MAX: u64 = 64 * 1024;
/// Where upload chunks and our staging files live: what the sweep of abandoned uploads
/// lists.
const UPLOADS: &str = "uploads";
/// Small blobs of at most this many bytes are written to the local filesystem on the
/// calling thread ([`BlobStore::put_verified_blob`]).
const INLINE_WRITE_MAX: usize = 64 * 1024;
/// Upload chunks are written in parts of this size (S3's minimum is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts in flight per write before waiting (bounds memory to a few parts).
const PARTS_IN_FLIGHT: usize = 2;
/// The largest object S3 copies in one request (`CopyObject`).
const SERVER_COPY_MAX: u64 = 5 * 1024 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    /// The client's body failed (closed early, unreadable): nothing was kept.
    #[error("upload body: {0}")]
    Body(String),
    /// More bytes than allowed.
    #[error("too large")]
    TooLarge,
    /// A stored object could not be read back.
    #[error("reading from storage: {0}")]
    Read(String),
    /// An object could not be written (local files written directly).
    #[error("writing to storage: {0}")]
    Write(String),
    /// A thread working for a transfer (hashing) failed.
    #[error("storage worker: {0}")]
    Worker(String),
    #[error("storage configuration: {0}")]
    Config(String),
    #[error("storage: {0}")]
    Backend(#[from] object_store::Error),
}

pub type StorageResult<T> = Result<T, StorageError>;

/// A `sha256:<64 hex>` content digest (the only algorithm accepted).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// `None` unless `s` is `sha256:` followed by 64 lowercase hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.strip_prefix("sha256:")?;
        (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Digest(s.to_string()))
    }

    /// The digest of finished hash state.
    pub fn from_hasher(hasher: Sha256) -> Self {
        Digest(format!("sha256:{}", hex::encode(hasher.finalize())))
    }

    pub fn of(bytes: &[u8]) -> Self {
        Self::from_hasher(Sha256::new_with_prefix(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Content-addressed blobs and upload chunks.
#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// The directory `inner` keeps its objects in, when it is the local filesystem:
    /// blob reads then open and read in one trip to the blocking pool, not two.
    local_root: Option<std::path::PathBuf>,
    /// Where `inner` is S3: the bucket, which signs URLs for direct downloads, and the
    /// prefix `inner` puts before every path in it.
    signer: Option<(Arc<dyn Signer>, String)>,
}

impl BlobStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        BlobStore {
            inner,
            local_root: None,
            signer: None,
        }
    }

    /// Objects in memory: for tests and embedding, gone with the process.
    pub fn in_memory() -> Self {
        Self::new(Arc::new(object_store::memory::InMemory::new()))
    }

    /// The configured location (Quay's `DISTRIBUTED_STORAGE_CONFIG`), or the local
    /// filesystem under `data_dir/storage`.
    pub fn for_server(
        location: Option<(String, serde_json::Value)>,
        data_dir: &std::path::Path,
    ) -> StorageResult<Self> {
        match location {
            Some((driver, params)) => Self::from_quay_config(&driver, &params, data_dir),
            None => Self::local(&data_dir.join("storage")),
        }
    }

    /// Objects under `root` on the local filesystem (created if missing).
    pub fn local(root: &std::path::Path) -> StorageResult<Self> {
        std::fs::create_dir_all(root)
            .map_err(|e| StorageError::Config(format!("{}: {e}", root.display())))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(root)?;
        Ok(BlobStore {
            inner: Arc::new(fs),
            local_root: Some(root.to_path_buf()),
            signer: None,
        })
    }

    /// Quay's `DISTRIBUTED_STORAGE_CONFIG` entry `[driver, {params}]`: `LocalStorage`
    /// (`storage_path`, relative paths under `data_dir`), `S3Storage` and
    /// `RadosGWStorage` (`s3_bucket`/`bucket_name`, `s3_access_key`/`access_key`,
    /// `s3_secret_key`/`secret_key`, `hostname`, `port`, `is_secure`, `s3_region`,
    /// `storage_path`; keys and region otherwise from the `AWS_*` environment).
    pub fn from_quay_config(
        driver: &str,
        params: &serde_json::Value,
        data_dir: &std::path::Path,
    ) -> StorageResult<Self> {
        let text = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| params.get(*k).and_then(|v| v.as_str()))
                .map(str::to_string)
        };
        let prefix = text(&["storage_path"]).unwrap_or_default();
        match driver {
            "LocalStorage" => {
                let path = std::path::Path::new(&prefix);
                let root = if path.is_absolute() {
                    path.to_path_buf()
                } else {
                    data_dir.join(path)
                };
                Self::local(&root)
            }
            "S3Storage" | "RadosGWStorage" => {
                let bucket = text(&["s3_bucket", "bucket_name"])
                    .ok_or_else(|| StorageError::Config("no bucket".into()))?;
                // What the configuration leaves out comes from the `AWS_*` environment,
                // as Quay's boto takes it (keys, region, a web identity token), and
                // without keys there either, from the instance's role.
                let mut builder =
                    object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(region) = text(&["s3_region"]) {
                    builder = builder.with_region(region);
                }
                if let Some(key) = text(&["s3_access_key", "access_key"]) {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = text(&["s3_secret_key", "secret_key"]) {
                    builder = builder.with_secret_access_key(secret);
                }
                if let Some(host) = text(&["hostname", "host"]) {
                    let secure = params
                        .get("is_secure")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(true);
                    let scheme = if secure { "https" } else { "http" };
                    let port = params
                        .get("port")
                        .and_then(|v| v.as_u64())
                        .map(|p| format!(":{p}"))
                        .unwrap_or_default();
                    builder = builder
                        .with_endpoint(format!("{scheme}://{host}{port}"))
                        .with_virtual_hosted_style_request(false)
                        .with_allow_http(!secure);
                }
                let bucket = Arc::new(builder.build()?);
                let prefix = prefix.trim_matches('/').to_string();
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    bucket.clone()
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(
                        bucket.clone(),
                        prefix.as_str(),
                    ))
                };
                Ok(BlobStore {
                    signer: Some((bucket, prefix)),
                    ..Self::new(store)
                })
            }
            other => Err(StorageError::Config(format!(
                "storage driver {other} is not supported"
            ))),
        }
    }

    /// Quay's content-addressed layout: `sha256/ab/abcdef...`.
    pub fn blob_path(digest: &Digest) -> Path {
        let hex = digest.hex();
        Path::from(format!("sha256/{}/{hex}", &hex[..2]))
    }

    fn chunk_path(upload: &str, index: u32) -> Path {
        // Flat, not a directory per upload: the local filesystem would keep every
        // upload's emptied directory.
        Path::from(format!("{UPLOADS}/{upload}-{index:08}"))
    }

    /// Streams `body` into chunk `index` of `upload`, feeding `hasher` on the way;
    /// refuses (and keeps nothing of) a body that goes past `max_bytes`. Returns the
    /// number of bytes written.
    ///
    /// The hashing runs on a thread of its own, beside the task that receives and the
    /// blocking pool that writes: SHA-256 is the slowest of the three, and inline it
    /// would hold up the reads.
    pub async fn write_chunk<S, E>(
        &self,
        upload: &str,
        index: u32,
        body: S,
        hasher: Option<&mut Sha256>,
        max_bytes: u64,
    ) -> StorageResult<u64>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let path = Self::chunk_path(upload, index);
        let multipart = self.inner.put_multipart(&path).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(multipart, PART_SIZE);
        let mut hashing = hasher.map(|h| (Hashing::start(std::mem::take(h)), h));
        let mut body = body;
        let mut written: u64 = 0;
        let failure = loop {
            let piece = match body.next().await {
                None => break None,
                Some(Ok(piece)) => piece,
                Some(Err(e)) => break Some(StorageError::Body(e.to_string())),
            };
            written += piece.len() as u64;
            if written > max_bytes {
                break Some(StorageError::TooLarge);
            }
            if let Some((h, _)) = &mut hashing {
                h.feed(piece.clone()).await;
            }
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                break Some(e.into());
            }
            writer.put(piece);
        };
        match failure {
            None => {
                writer.finish().await?;
                if let Some((h, out)) = hashing {
                    *out = h.finish().await?;
                }
                Ok(written)
            }
            Some(e) => {
                // Aborting leaves nothing behind; an abort failure changes nothing for
                // the caller, whose request fails either way (and whose hash state is
                // no longer of any use).
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    /// The upload's chunks, in order, as one stream.
    fn chunks(&self, upload: &str, chunks: u32) -> BoxStream<'static, StorageResult<Bytes>> {
        let store = self.inner.clone();
        let paths: Vec<Path> = (0..chunks).map(|i| Self::chunk_path(upload, i)).collect();
        futures_util::stream::iter(paths)
            .then(move |path| {
                let store = store.clone();
                async move { store.get(&path).await.map(|r| r.into_stream()) }
            })
            .map_ok(|s| s.map_err(StorageError::from))
            .map_err(StorageError::from)
            .try_flatten()
            .boxed()
    }

    /// SHA-256 of the upload's chunks, read back from storage (for an upload whose
    /// hash state is not in this process, e.g. continued on another replica).
    pub async fn digest_upload(&self, upload: &str, chunks: u32) -> StorageResult<Digest> {
        let mut hasher = Sha256::new();
        let mut stream = self.chunks(upload, chunks);
        while let Some(piece) = stream.try_next().await? {
            hasher.update(&piece);
        }
        Ok(Digest::from_hasher(hasher))
    }

    /// Makes the upload's chunks, `size` bytes in all, the blob `digest` (already
    /// verified by the caller), then removes them. A blob that already exists is kept:
    /// bytes are only ever replaced by the same bytes.
    pub async fn commit_upload(
        &self,
        upload: &str,
        chunks: u32,
        size: u64,
        digest: &Digest,
    ) -> StorageResult<()> {
        let target = Self::blob_path(digest);
        if self.blob_size(digest).await?.is_none() {
            match chunks {
                0 => {
                    self.inner.put(&target, PutPayload::default()).await?;
                }
                // One chunk: a move, not a copy (a rename locally, a server-side copy on
                // S3, whose single copy stops at 5 GiB). Not `rename_if_not_exists`:
                // S3 offers it only where a bucket was set up for it, and a blob that
                // appeared meanwhile holds the same bytes.
                1 if self.local_root.is_some() || size <= SERVER_COPY_MAX => {
                    // The move took the only chunk: nothing left to discard.
                    return Ok(self
                        .inner
                        .rename(&Self::chunk_path(upload, 0), &target)
                        .await?);
                }
                _ => self.join_chunks(upload, chunks, &target).await?,
            }
        }
        self.discard_upload(upload, chunks).await
    }

    /// Copies the upload's chunks, in order, into the blob at `target`. The object is
    /// written whole before `target` names it: on S3 a multipart write appears only
    /// when complete; on the local filesystem it is written as one more chunk of the
    /// upload, then renamed, so object_store's staging file (`<path>#<n>`) is under
    /// `uploads/`, where the sweep of abandoned uploads removes one a crash left.
    async fn join_chunks(&self, upload: &str, chunks: u32, target: &Path) -> StorageResult<()> {
        let joined = match self.local_root {
            Some(_) => Self::chunk_path(upload, chunks),
            None => target.clone(),
        };
        let multipart = self.inner.put_multipart(&joined).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(multipart, PART_SIZE);
        let mut stream = self.chunks(upload, chunks);
        let copied: StorageResult<()> = async {
            while let Some(piece) = stream.try_next().await? {
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                writer.put(piece);
            }
            Ok(())
        }
        .await;
        if let Err(e) = copied {
            let _ = writer.abort().await;
            return Err(e);
        }
        writer.finish().await?;
        if joined != *target {
            self.inner.rename(&joined, target).await?;
        }
        Ok(())
    }

    /// Removes the upload's chunks (a cancelled or failed upload).
    pub async fn discard_upload(&self, upload: &str, chunks: u32) -> StorageResult<()> {
        for i in 0..chunks {
            match self.inner.delete(&Self::chunk_path(upload, i)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Stores small content (a manifest) at its digest's path.
    pub async fn put_blob(&self, bytes: Bytes) -> StorageResult<Digest> {
        let digest = Digest::of(&bytes);
        self.put_verified_blob(&digest, bytes).await?;
        Ok(digest)
    }

    /// Stores small content the caller has hashed to `digest` (a small blob pushed
    /// whole, verified before it gets here). The path never holds a partial blob: the
    /// local filesystem writes a staging file under `uploads/` and renames it into
    /// place, S3 publishes a put whole. One already there holds the same bytes, so it
    /// is simply replaced (no conditional put, which not every S3 service offers).
    ///
    /// Up to [`INLINE_WRITE_MAX`] bytes on the local filesystem are written on the
    /// calling thread, for the reason [`BlobStore::read_small_blob`] reads there: the
    /// blocking pool's two thread wake-ups cost more than a file of a few KiB (measured:
    /// about 340 µs a 16 KiB blob through the pool, against 60 to 150 µs for the file
    /// operations themselves).
    pub async fn put_verified_blob(&self, digest: &Digest, bytes: Bytes) -> StorageResult<()> {
        debug_assert_eq!(&Digest::of(&bytes), digest);
        match &self.local_root {
            Some(root) if bytes.len() <= INLINE_WRITE_MAX => put_local_file(root, digest, &bytes),
            Some(root) => {
                let (root, digest) = (root.clone(), digest.clone());
                tokio::task::spawn_blocking(move || put_local_file(&root, &digest, &bytes))
                    .await
                    .map_err(|e| StorageError::Worker(e.to_string()))?
            }
            None => {
                self.inner
                    .put(&Self::blob_path(digest), PutPayload::from_bytes(bytes))
                    .await?;
                Ok(())
            }
        }
    }

    /// Where an exported-logs file lives: `exports/<name>`, apart from the blob layout.
    fn export_path(name: &str) -> Path {
        Path::from(format!("exports/{name}"))
    }

    /// Stores an exported-logs file (`name` is the server's own, never a client's path).
    pub async fn put_export(&self, name: &str, bytes: Bytes) -> StorageResult<()> {
        self.inner
            .put(&Self::export_path(name), PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    /// An exported-logs file, if there is one by that name.
    pub async fn get_export(&self, name: &str) -> StorageResult<Option<Bytes>> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Ok(None);
        }
        match self.inner.get(&Self::export_path(name)).await {
            Ok(got) => Ok(Some(got.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The blob's size, if it is stored.
    pub async fn blob_size(&self, digest: &Digest) -> StorageResult<Option<u64>> {
        match self.inner.head(&Self::blob_path(digest)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A URL from which anyone holding it may `GET` blob `digest` for `expires_in`,
    /// straight from storage, where storage signs such URLs (S3); `None` elsewhere.
    /// Signing is local: no request is made.
    pub async fn direct_url(
        &self,
        digest: &Digest,
        expires_in: std::time::Duration,
    ) -> StorageResult<Option<String>> {
        let Some((bucket, prefix)) = &self.signer else {
            return Ok(None);
        };
        let path = Self::blob_path(digest);
        let path = match prefix.as_str() {
            "" => path,
            prefix => Path::from(format!("{prefix}/{path}")),
        };
        let url = bucket
            .signed_url(object_store::signer::Method::GET, &path, expires_in)
            .await?;
        Ok(Some(url.to_string()))
    }

    /// The blob's bytes (or the `range` of them), streamed.
    pub async fn read_blob(
        &self,
        digest: &Digest,
        range: Option<Range<u64>>,
    ) -> StorageResult<BoxStream<'static, StorageResult<Bytes>>> {
        let path = Self::blob_path(digest);
        if let Some(root) = &self.local_root {
            return read_local_file(root.join(path.as_ref()), range).await;
        }
        // S3 refuses an empty range.
        if range.as_ref().is_some_and(|r| r.is_empty()) {
            return Ok(futures_util::stream::empty().boxed());
        }
        let options = object_store::GetOptions {
            range: range.map(object_store::GetRange::from),
            ..Default::default()
        };
        match self.inner.get_opts(&path, options).await {
            Ok(result) => Ok(match result.payload {
                object_store::GetResultPayload::File(file, _) => file_stream(file, result.range),
                object_store::GetResultPayload::Stream(s) => s.map_err(StorageError::from).boxed(),
            }),
            Err(object_store::Error::NotFound { .. }) => Err(StorageError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// `range` of the blob, at most [`INLINE_READ_MAX`] bytes, whole. From the local
    /// filesystem it is read on the calling thread: a read of a few KiB, usually from
    /// the page cache, takes a few microseconds, and a trip to the blocking pool and
    /// back costs more than that (two thread wake-ups), which is most of a small
    /// blob's pull.
    pub async fn read_small_blob(
        &self,
        digest: &Digest,
        range: Range<u64>,
    ) -> StorageResult<Bytes> {
        if range.end - range.start > INLINE_READ_MAX {
            return Err(StorageError::TooLarge);
        }
        // S3 refuses an empty range (the empty blob's whole).
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        let path = Self::blob_path(digest);
        if let Some(root) = &self.local_root {
            return read_file_range(&root.join(path.as_ref()), range);
        }
        let options = object_store::GetOptions {
            range: Some(object_store::GetRange::from(range)),
            ..Default::default()
        };
        match self.inner.get_opts(&path, options).await {
            Ok(result) => Ok(result.bytes().await?),
            Err(object_store::Error::NotFound { .. }) => Err(StorageError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Upload chunks last written before `before`, with the upload each belongs to (for
    /// sweeping the chunks of uploads that no longer exist). On the local filesystem
    /// the directory is read itself: object_store's listing hides its own staging files
    /// (`<path>#<n>`), and one a crashed write left would never be found.
    pub async fn upload_chunks_before(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> StorageResult<Vec<UploadChunk>> {
        if let Some(root) = &self.local_root {
            let dir = root.join(UPLOADS);
            return tokio::task::spawn_blocking(move || local_chunks_before(&dir, before))
                .await
                .map_err(|e| StorageError::Worker(e.to_string()))?;
        }
        let mut listing = self.inner.list(Some(&Path::from(UPLOADS)));
        let mut chunks = Vec::new();
        while let Some(meta) = listing.try_next().await? {
            if meta.last_modified >= before {
                continue;
            }
            if let Some(chunk) = meta.location.filename().and_then(|name| {
                UploadChunk::named(name, ChunkLocation::Object(meta.location.clone()))
            }) {
                chunks.push(chunk);
            }
        }
        Ok(chunks)
    }

    /// Removes one upload chunk found by [`Self::upload_chunks_before`].
    pub async fn delete_upload_chunk(&self, chunk: &UploadChunk) -> StorageResult<()> {
        match &chunk.location {
            ChunkLocation::Object(path) => match self.inner.delete(path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            },
            ChunkLocation::File(path) => {
                let path = path.clone();
                let removed = tokio::task::spawn_blocking(move || std::fs::remove_file(path))
                    .await
                    .map_err(|e| StorageError::Worker(e.to_string()))?;
                match removed {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(write_error(e)),
                    _ => Ok(()),
                }
            }
        }
    }

    pub async fn delete_blob(&self, digest: &Digest) -> StorageResult<()> {
        match self.inner.delete(&Self::blob_path(digest)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// A stored chunk of upload `upload` (or a staging file, which belongs to none).
#[derive(Debug, Clone)]
pub struct UploadChunk {
    pub upload: String,
    location: ChunkLocation,
}

#[derive(Debug, Clone)]
enum ChunkLocation {
    Object(Path),
    /// A local file, which object_store may not name (its own staging files).
    File(std::path::PathBuf),
}

impl UploadChunk {
    /// The chunk of file name `name`: `<upload>-<index>`, possibly followed by
    /// object_store's `#<n>` (its staging file), or our staging file
    /// `<hex>.<n>-staging`, whose "upload" exists nowhere.
    fn named(name: &str, location: ChunkLocation) -> Option<UploadChunk> {
        let (upload, _) = name.rsplit_once('-')?;
        Some(UploadChunk {
            upload: upload.to_string(),
            location,
        })
    }
}

/// The files of the local `uploads/` directory `dir` last modified before `before`.
fn local_chunks_before(
    dir: &std::path::Path,
    before: chrono::DateTime<chrono::Utc>,
) -> StorageResult<Vec<UploadChunk>> {
    let entries = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        entries => entries.map_err(read_error)?,
    };
    let before = std::time::SystemTime::from(before);
    let mut chunks = Vec::new();
    for entry in entries {
        let entry = entry.map_err(read_error)?;
        let meta = match entry.metadata() {
            // Gone since the listing (committed or discarded meanwhile).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            meta => meta.map_err(read_error)?,
        };
        if !meta.is_file() || meta.modified().map_err(read_error)? >= before {
            continue;
        }
        let name = entry.file_name();
        if let Some(chunk) = name
            .to_str()
            .and_then(|n| UploadChunk::named(n, ChunkLocation::File(entry.path())))
        {
            chunks.push(chunk);
        }
    }
    Ok(chunks)
}

/// A SHA-256 state fed on a blocking-pool thread, in batches of about [`Hashing::BATCH`]
/// bytes (a body arrives in pieces of a few KiB: one hand-over each would cost more
/// than it saves).
struct Hashing {
    batches: tokio::sync::mpsc::Sender<Vec<Bytes>>,
    pending: Vec<Bytes>,
    pending_bytes: usize,
    done: tokio::task::JoinHandle<Sha256>,
}

impl Hashing {
    const BATCH: usize = 1024 * 1024;
    /// Batches queued before the receiving task waits for the hasher.
    const QUEUE: usize = 4;

    fn start(mut state: Sha256) -> Hashing {
        let (batches, mut queue) = tokio::sync::mpsc::channel::<Vec<Bytes>>(Self::QUEUE);
        let done = tokio::task::spawn_blocking(move || {
            while let Some(batch) = queue.blocking_recv() {
                for piece in batch {
                    state.update(&piece);
                }
            }
            state
        });
        Hashing {
            batches,
            pending: Vec::new(),
            pending_bytes: 0,
            done,
        }
    }

    async fn feed(&mut self, piece: Bytes) {
        self.pending_bytes += piece.len();
        self.pending.push(piece);
        if self.pending_bytes >= Self::BATCH {
            self.flush().await;
        }
    }

    async fn flush(&mut self) {
        self.pending_bytes = 0;
        let batch = std::mem::take(&mut self.pending);
        // The hasher only stops when `batches` is dropped: sending cannot fail.
        let _ = self.batches.send(batch).await;
    }

    async fn finish(mut self) -> StorageResult<Sha256> {
        self.flush().await;
        drop(self.batches);
        self.done
            .await
            .map_err(|e| StorageError::Worker(e.to_string()))
    }
}

/// Writes `bytes` as the blob `digest` in the local store at `root`, as object_store's
/// create: a staging file is written, then renamed into place, so the blob's path
/// never holds a partial file (one already there, with the same bytes, is replaced
/// atomically: a reader that has it open goes on reading it). The staging file is
/// under `uploads/`, named like a chunk of an upload that does not exist
/// (`<hex>.<n>-staging`): one a crashed writer left behind is swept with the chunks of
/// abandoned uploads (`upload_chunks_before`).
fn put_local_file(root: &std::path::Path, digest: &Digest, bytes: &[u8]) -> StorageResult<()> {
    use std::io::Write;
    let path = root.join(BlobStore::blob_path(digest).as_ref());
    let (mut file, staging) = create_staging(&root.join(UPLOADS), digest.hex())?;
    let published = file
        .write_all(bytes)
        .and_then(|()| rename_into_place(&staging, &path));
    if published.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    published.map_err(write_error)
}

/// Renames `staging` to `path`, creating `path`'s directory if missing.
fn rename_into_place(staging: &std::path::Path, path: &std::path::Path) -> std::io::Result<()> {
    match std::fs::rename(staging, path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::rename(staging, path)
        }
        renamed => renamed,
    }
}

/// A new staging file `<name>.<n>-staging` in `dir` (the first free `n`: concurrent
/// writers of the same blob each get their own), creating `dir` if missing.
fn create_staging(
    dir: &std::path::Path,
    name: &str,
) -> StorageResult<(std::fs::File, std::path::PathBuf)> {
    use std::io::ErrorKind;
    let mut created_dir = false;
    let mut n = 1;
    loop {
        let staging = dir.join(format!("{name}.{n}-staging"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staging)
        {
            Ok(file) => return Ok((file, staging)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => n += 1,
            Err(e) if e.kind() == ErrorKind::NotFound && !created_dir => {
                std::fs::create_dir_all(dir).map_err(write_error)?;
                created_dir = true;
            }
            Err(e) => return Err(write_error(e)),
        }
    }
}

fn write_error(e: std::io::Error) -> StorageError {
    StorageError::Write(e.to_string())
}

/// The local file at `path`, opened for reading (a missing one is [`StorageError::NotFound`]).
fn open_local_file(path: &std::path::Path) -> StorageResult<std::fs::File> {
    std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => StorageError::NotFound,
        _ => read_error(e),
    })
}

fn read_error(e: std::io::Error) -> StorageError {
    StorageError::Read(e.to_string())
}

/// Exactly `len` bytes of `file` from `start` (a shorter file is an error). Positional,
/// so reads of one file may run at once (see [`file_stream`]).
fn read_at(file: &std::fs::File, start: u64, len: u64) -> StorageResult<Bytes> {
    use std::os::unix::fs::FileExt;
    let mut piece = vec![0; len as usize];
    file.read_exact_at(&mut piece, start).map_err(read_error)?;
    Ok(Bytes::from(piece))
}

/// `range` of the local file at `path`, read whole.
fn read_file_range(path: &std::path::Path, range: Range<u64>) -> StorageResult<Bytes> {
    let file = open_local_file(path)?;
    read_at(&file, range.start, range.end - range.start)
}

/// `range` (all if `None`) of the local file at `path`: the file is opened, and its
/// first piece read, in one trip to the blocking pool (a small blob takes one trip in
/// all); the rest streams from [`file_stream`].
async fn read_local_file(
    path: std::path::PathBuf,
    range: Option<Range<u64>>,
) -> StorageResult<BoxStream<'static, StorageResult<Bytes>>> {
    let opened = tokio::task::spawn_blocking(move || {
        let file = open_local_file(&path)?;
        let size = file.metadata().map_err(read_error)?.len();
        let range = range.unwrap_or(0..size);
        let range = range.start..range.end.min(size);
        if range.start > range.end {
            return Err(StorageError::Read(format!(
                "range {}.. past the end ({size} bytes)",
                range.start
            )));
        }
        let len = (range.end - range.start).min(READ_CHUNK);
        let first = read_at(&file, range.start, len)?;
        Ok((file, first, range.start + len..range.end))
    })
    .await
    .map_err(|e| StorageError::Worker(e.to_string()))?;
    let (file, first, rest) = opened?;
    let first = futures_util::stream::iter((!first.is_empty()).then_some(Ok(first)));
    Ok(first.chain(file_stream(file, rest)).boxed())
}

/// `range` of a local file, streamed in [`READ_CHUNK`] pieces read on the blocking pool,
/// [`READ_AHEAD`] of them at a time: the next pieces are read while the last one is
/// sent, rather than the socket and the disk taking turns.
fn file_stream(file: std::fs::File, range: Range<u64>) -> BoxStream<'static, StorageResult<Bytes>> {
    let file = Arc::new(file);
    let end = range.end;
    futures_util::stream::iter(range.step_by(READ_CHUNK as usize))
        .map(move |start| {
            let file = file.clone();
            let len = (end - start).min(READ_CHUNK);
            async move {
                tokio::task::spawn_blocking(move || read_at(&file, start, len))
                    .await
                    .map_err(|e| StorageError::Worker(e.to_string()))?
            }
        })
        .buffered(READ_AHEAD)
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[&[u8]]) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::copy_from_slice(p)))
                .collect::<Vec<_>>(),
        )
    }

    async fn read_all(store: &BlobStore, digest: &Digest, range: Option<Range<u64>>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut s = store.read_blob(digest, range).await.unwrap();
        while let Some(piece) = s.try_next().await.unwrap() {
            out.extend_from_slice(&piece);
        }
        out
    }

    #[test]
    fn digests_are_sha256_lowercase_hex() {
        let d = Digest::of(b"hello");
        assert_eq!(
            d.as_str(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(Digest::parse(d.as_str()), Some(d.clone()));
        assert_eq!(
            BlobStore::blob_path(&d).as_ref(),
            format!("sha256/2c/{}", d.hex())
        );
        for bad in [
            "sha256:XYZ",
            "sha512:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ] {
            assert_eq!(Digest::parse(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn chunks_become_a_blob_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::local(dir.path()).unwrap();
        let mut hasher = Sha256::new();
        let n0 = store
            .write_chunk("u1", 0, body(&[b"hel", b"lo "]), Some(&mut hasher), 1 << 20)
            .await
            .unwrap();
        let n1 = store
            .write_chunk("u1", 1, body(&[b"world"]), Some(&mut hasher), 1 << 20)
            .await
            .unwrap();
        assert_eq!((n0, n1), (6, 5));
        let digest = Digest::from_hasher(hasher);
        assert_eq!(digest, Digest::of(b"hello world"));
        // Read back, the chunks hash the same (another replica's way).
        assert_eq!(store.digest_upload("u1", 2).await.unwrap(), digest);
        // Not a blob yet.
        assert_eq!(store.blob_size(&digest).await.unwrap(), None);
        store.commit_upload("u1", 2, 11, &digest).await.unwrap();
        assert_eq!(store.blob_size(&digest).await.unwrap(), Some(11));
        assert_eq!(read_all(&store, &digest, None).await, b"hello world");
        assert_eq!(read_all(&store, &digest, Some(6..11)).await, b"world");
        // The chunks are gone, and nothing is left in the uploads area.
        assert_eq!(dir.path().join("uploads").read_dir().unwrap().count(), 0);

        // A single chunk is moved; committing a blob that exists keeps it.
        store
            .write_chunk("u2", 0, body(&[b"hello world"]), None, 1 << 20)
            .await
            .unwrap();
        store.commit_upload("u2", 1, 11, &digest).await.unwrap();
        assert_eq!(read_all(&store, &digest, None).await, b"hello world");
        let single = Digest::of(b"single");
        store
            .write_chunk("u3", 0, body(&[b"single"]), None, 1 << 20)
            .await
            .unwrap();
        store.commit_upload("u3", 1, 6, &single).await.unwrap();
        assert_eq!(read_all(&store, &single, None).await, b"single");
    }

    #[tokio::test]
    async fn local_and_object_store_reads_agree_across_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let local = BlobStore::local(dir.path()).unwrap();
        let memory = BlobStore::in_memory();
        let bytes: Vec<u8> = (0..(2 * READ_CHUNK + 7)).map(|i| (i % 251) as u8).collect();
        let digest = local.put_blob(Bytes::from(bytes.clone())).await.unwrap();
        memory.put_blob(Bytes::from(bytes.clone())).await.unwrap();
        let n = bytes.len() as u64;
        let c = READ_CHUNK;
        for range in [
            None,
            Some(0..1),
            Some(c - 1..c + 1),
            Some(c..2 * c),
            Some(5..n),
            Some(n - 1..n),
        ] {
            let want = match &range {
                Some(r) => bytes[r.start as usize..r.end as usize].to_vec(),
                None => bytes.clone(),
            };
            assert_eq!(
                read_all(&local, &digest, range.clone()).await,
                want,
                "{range:?}"
            );
            assert_eq!(
                read_all(&memory, &digest, range.clone()).await,
                want,
                "{range:?}"
            );
        }
        for range in [0..1, c - 3..c + 3, n - INLINE_READ_MAX..n] {
            let want = &bytes[range.start as usize..range.end as usize];
            for store in [&local, &memory] {
                let got = store.read_small_blob(&digest, range.clone()).await.unwrap();
                assert_eq!(&got[..], want, "{range:?}");
            }
        }
        assert!(matches!(
            local.read_small_blob(&digest, 0..INLINE_READ_MAX + 1).await,
            Err(StorageError::TooLarge)
        ));
        assert!(matches!(
            local.read_small_blob(&Digest::of(b"missing"), 0..1).await,
            Err(StorageError::NotFound)
        ));
        let empty = local.put_blob(Bytes::new()).await.unwrap();
        assert!(read_all(&local, &empty, None).await.is_empty());
        assert!(matches!(
            local.read_blob(&Digest::of(b"missing"), None).await,
            Err(StorageError::NotFound)
        ));
    }

    #[tokio::test]
    async fn small_blobs_written_directly_are_what_the_object_store_sees() {
        let dir = tempfile::tempdir().unwrap();
        let local = BlobStore::local(dir.path()).unwrap();
        let small = Bytes::from(vec![7u8; 16 * 1024]);
        let limit = Bytes::from(vec![8u8; INLINE_WRITE_MAX]);
        let large = Bytes::from(vec![9u8; INLINE_WRITE_MAX + 1]);
        // A writer that crashed after creating its staging file left it behind: it is
        // neither in the way nor the blob.
        let (mut crashed, _) =
            create_staging(&dir.path().join("uploads"), Digest::of(&small).hex()).unwrap();
        std::io::Write::write_all(&mut crashed, b"partial").unwrap();
        drop(crashed);
        for bytes in [&small, &limit, &large] {
            let digest = Digest::of(bytes);
            let writes = (0..4).map(|_| local.put_verified_blob(&digest, bytes.clone()));
            for written in futures_util::future::join_all(writes).await {
                written.unwrap();
            }
            assert_eq!(
                local.blob_size(&digest).await.unwrap(),
                Some(bytes.len() as u64)
            );
            assert_eq!(read_all(&local, &digest, None).await, bytes.to_vec());
        }
        // The sweep of abandoned uploads finds it (it belongs to no upload) and removes it.
        let later = chrono::Utc::now() + chrono::Duration::seconds(5);
        let leftovers = local.upload_chunks_before(later).await.unwrap();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        assert_eq!(
            leftovers[0].upload,
            format!("{}.1", Digest::of(&small).hex())
        );
        local.delete_upload_chunk(&leftovers[0]).await.unwrap();
        let mut files = walk(dir.path());
        files.sort();
        let mut want: Vec<_> = [&small, &limit, &large]
            .iter()
            .map(|b| {
                dir.path()
                    .join(BlobStore::blob_path(&Digest::of(b)).as_ref())
            })
            .collect();
        want.sort();
        assert_eq!(files, want, "one file per blob, no staging file left");
    }

    #[tokio::test]
    async fn failed_or_oversized_bodies_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::local(dir.path()).unwrap();
        let broken = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"part")),
            Err("connection reset".to_string()),
        ]);
        let err = store.write_chunk("u", 0, broken, None, 1 << 20).await;
        assert!(matches!(err, Err(StorageError::Body(_))), "{err:?}");
        let err = store
            .write_chunk("u", 0, body(&[b"0123456789"]), None, 5)
            .await;
        assert!(matches!(err, Err(StorageError::TooLarge)), "{err:?}");
        let leftovers: Vec<_> = walk(dir.path());
        assert!(leftovers.is_empty(), "{leftovers:?}");
        // Discarding an upload with missing chunks is fine.
        store.discard_upload("u", 3).await.unwrap();
        assert!(matches!(
            store.read_blob(&Digest::of(b"x"), None).await,
            Err(StorageError::NotFound)
        ));
    }

    #[tokio::test]
    async fn the_sweep_finds_what_a_crashed_write_left_in_uploads() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::local(dir.path()).unwrap();
        store
            .write_chunk("u1", 0, body(&[b"kept"]), None, 1 << 20)
            .await
            .unwrap();
        // A chunk's write, and the joining of an upload's chunks, that stopped midway
        // (the process died: nothing aborted them) leave object_store's staging files,
        // which its own listing hides.
        for index in [1, 2] {
            let path = BlobStore::chunk_path("u1", index);
            let mut upload = store.inner.put_multipart(&path).await.unwrap();
            upload
                .put_part(PutPayload::from_static(b"cut off"))
                .await
                .unwrap();
            std::mem::forget(upload);
        }
        let staged = walk(&dir.path().join(UPLOADS))
            .into_iter()
            .filter(|p| p.to_string_lossy().contains('#'))
            .count();
        assert_eq!(staged, 2, "{:?}", walk(dir.path()));
        let listed: Vec<_> = store
            .inner
            .list(Some(&Path::from(UPLOADS)))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            listed.len(),
            1,
            "object_store lists only the finished chunk"
        );

        let earlier = chrono::Utc::now() - chrono::Duration::seconds(60);
        assert!(store
            .upload_chunks_before(earlier)
            .await
            .unwrap()
            .is_empty());
        let later = chrono::Utc::now() + chrono::Duration::seconds(5);
        let chunks = store.upload_chunks_before(later).await.unwrap();
        assert_eq!(chunks.len(), 3, "{chunks:?}");
        assert!(chunks.iter().all(|c| c.upload == "u1"), "{chunks:?}");
        for chunk in &chunks {
            store.delete_upload_chunk(chunk).await.unwrap();
        }
        assert!(walk(dir.path()).is_empty(), "{:?}", walk(dir.path()));
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    #[test]
    fn quay_storage_configs_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let local = serde_json::json!({"storage_path": "blobs"});
        BlobStore::from_quay_config("LocalStorage", &local, dir.path()).unwrap();
        assert!(dir.path().join("blobs").is_dir());
        let s3 = serde_json::json!({"s3_bucket": "quay", "s3_access_key": "k", "s3_secret_key": "s",
            "hostname": "127.0.0.1", "port": 9000, "is_secure": false, "storage_path": "/registry"});
        BlobStore::from_quay_config("S3Storage", &s3, dir.path()).unwrap();
        let rados = serde_json::json!({"bucket_name": "quay", "access_key": "k", "secret_key": "s",
            "hostname": "ceph.local"});
        BlobStore::from_quay_config("RadosGWStorage", &rados, dir.path()).unwrap();
        assert!(
            BlobStore::from_quay_config("S3Storage", &serde_json::json!({}), dir.path()).is_err()
        );
        assert!(BlobStore::from_quay_config("SwiftStorage", &local, dir.path()).is_err());
    }
}
