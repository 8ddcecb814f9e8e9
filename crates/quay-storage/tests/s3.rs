//! Blobs and uploads on S3 (Quay's `S3Storage`), against moto's S3 server.

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use quay_storage::testing::S3Service;
use quay_storage::{BlobStore, Digest, StorageError};
use sha2::{Digest as _, Sha256};

fn body(
    parts: &[&'static [u8]],
) -> impl futures_util::Stream<Item = Result<Bytes, String>> + Unpin {
    futures_util::stream::iter(
        parts
            .iter()
            .map(|p| Ok(Bytes::from_static(p)))
            .collect::<Vec<_>>(),
    )
}

async fn read(store: &BlobStore, digest: &Digest, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    let pieces: Vec<Bytes> = store
        .read_blob(digest, range)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    pieces.concat()
}

/// The bucket itself, without Quay's `storage_path` prefix.
fn bucket_root(params: &serde_json::Value) -> object_store::aws::AmazonS3 {
    object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(params["s3_bucket"].as_str().unwrap())
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .with_endpoint(format!("http://127.0.0.1:{}", params["port"]))
        .with_allow_http(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn uploads_become_blobs_on_s3() {
    let Some(s3) = S3Service::start() else {
        return;
    };
    let params = s3.bucket("quay", "/registry");
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::from_quay_config("S3Storage", &params, dir.path()).unwrap();

    // Two chunks, joined.
    let mut hasher = Sha256::new();
    store
        .write_chunk("u1", 0, body(&[b"hel", b"lo "]), Some(&mut hasher), 1 << 20)
        .await
        .unwrap();
    store
        .write_chunk("u1", 1, body(&[b"world"]), Some(&mut hasher), 1 << 20)
        .await
        .unwrap();
    let joined = Digest::from_hasher(hasher);
    assert_eq!(store.digest_upload("u1", 2).await.unwrap(), joined);
    assert_eq!(store.blob_size(&joined).await.unwrap(), None);
    store.commit_upload("u1", 2, 11, &joined).await.unwrap();
    assert_eq!(store.blob_size(&joined).await.unwrap(), Some(11));
    assert_eq!(read(&store, &joined, None).await, b"hello world");
    assert_eq!(read(&store, &joined, Some(6..11)).await, b"world");
    assert_eq!(
        &store.read_small_blob(&joined, 0..5).await.unwrap()[..],
        b"hello"
    );

    // One chunk: moved (what docker and skopeo push: a session with one PATCH).
    let single = Digest::of(b"single");
    store
        .write_chunk("u2", 0, body(&[b"single"]), None, 1 << 20)
        .await
        .unwrap();
    store.commit_upload("u2", 1, 6, &single).await.unwrap();
    assert_eq!(read(&store, &single, None).await, b"single");

    // No chunk: the empty blob.
    let empty = Digest::of(b"");
    store.commit_upload("u3", 0, 0, &empty).await.unwrap();
    assert_eq!(store.blob_size(&empty).await.unwrap(), Some(0));
    assert!(read(&store, &empty, None).await.is_empty());
    assert!(read(&store, &empty, Some(0..0)).await.is_empty());
    assert!(store
        .read_small_blob(&empty, 0..0)
        .await
        .unwrap()
        .is_empty());

    // The same bytes again: the blob stays as it was.
    store
        .write_chunk("u4", 0, body(&[b"single"]), None, 1 << 20)
        .await
        .unwrap();
    store.commit_upload("u4", 1, 6, &single).await.unwrap();
    assert_eq!(read(&store, &single, None).await, b"single");

    // Blobs pushed whole, small and past the local inline limit, twice each.
    for len in [16 * 1024, 200 * 1024] {
        let bytes = Bytes::from((0..len).map(|i| (i % 253) as u8).collect::<Vec<u8>>());
        let digest = Digest::of(&bytes);
        for _ in 0..2 {
            store
                .put_verified_blob(&digest, bytes.clone())
                .await
                .unwrap();
        }
        assert_eq!(read(&store, &digest, None).await, bytes.to_vec());
    }

    // Every committed upload's chunks are gone; an abandoned one is found and swept.
    let later = chrono::Utc::now() + chrono::Duration::seconds(60);
    assert!(store.upload_chunks_before(later).await.unwrap().is_empty());
    store
        .write_chunk("abandoned", 0, body(&[b"cut off"]), None, 1 << 20)
        .await
        .unwrap();
    let chunks = store.upload_chunks_before(later).await.unwrap();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].upload, "abandoned");
    store.delete_upload_chunk(&chunks[0]).await.unwrap();
    assert!(store.upload_chunks_before(later).await.unwrap().is_empty());

    // Everything lives under Quay's storage_path, in Quay's layout.
    let root = bucket_root(&params);
    let hex = single.hex();
    root.head(&object_store::path::Path::from(format!(
        "registry/sha256/{}/{hex}",
        &hex[..2]
    )))
    .await
    .unwrap();
    let keys: Vec<String> = root
        .list(None)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    assert!(
        keys.iter().all(|k| k.starts_with("registry/sha256/")),
        "{keys:?}"
    );
    assert_eq!(keys.len(), 5, "{keys:?}");

    store.delete_blob(&single).await.unwrap();
    assert_eq!(store.blob_size(&single).await.unwrap(), None);
    assert!(matches!(
        store.read_blob(&single, None).await,
        Err(StorageError::NotFound)
    ));
}

#[tokio::test]
async fn failed_bodies_leave_nothing_on_s3() {
    let Some(s3) = S3Service::start() else {
        return;
    };
    let params = s3.bucket("failures", "");
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::from_quay_config("S3Storage", &params, dir.path()).unwrap();
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
    let keys: Vec<_> = bucket_root(&params).list(None).try_collect().await.unwrap();
    assert!(keys.is_empty(), "{keys:?}");
    store.discard_upload("u", 3).await.unwrap();
}
