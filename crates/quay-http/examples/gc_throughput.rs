//! Garbage collection throughput: a repository holding `IMAGES` images whose tags ended
//! past the time machine (garbage) beside as many live ones sharing nothing with them,
//! each image a manifest and `BLOBS_PER_IMAGE` blobs stored as files on the local
//! filesystem. One collection removes the garbage (tags, manifests, blob rows and
//! files); prints a Markdown table row with the rates. `scripts/bench-gc.sh` puts the
//! rows into `docs/benchmarks.md`.
//!
//! Run: `cargo run --release -p quay-http --example gc_throughput` (SQLite), or with
//! `QUAY_TEST_DATABASE_URL=postgres://...` for PostgreSQL.

use std::time::Instant;

use quay_core::config::Config;
use quay_core::role::{RepositoryKind, Visibility};
use quay_http::AppState;
use quay_orgs::InitializeUser;
use quay_persistence::testing::{bulk_load_images, seed_token, BulkImage, TestDatabase};
use quay_repos::CreateRepository;
use quay_storage::BlobStore;

const BLOBS_PER_IMAGE: usize = 5;
const DAY_MS: i64 = 24 * 3600 * 1000;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Stores `count` images' blobs (distinct small files) under `tag`, returning them.
async fn images(storage: &BlobStore, tag: &str, count: usize) -> Vec<BulkImage> {
    let mut images = Vec::with_capacity(count);
    for i in 0..count {
        let mut blobs = Vec::with_capacity(BLOBS_PER_IMAGE);
        for b in 0..BLOBS_PER_IMAGE {
            let bytes = format!("{tag} image {i} blob {b} {}", "x".repeat(1000));
            let size = bytes.len() as u64;
            let digest = storage.put_blob(bytes.into()).await.expect("store blob");
            blobs.push((digest.to_string(), size));
        }
        images.push(BulkImage {
            manifest_digest: format!("sha256:{:064x}", (tag.len() << 40) + i),
            blobs,
        });
    }
    images
}

#[actix_web::main]
async fn main() {
    let count = env("IMAGES", 4000);
    let t = TestDatabase::new().await;
    let backend = if t.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let dir = tempfile::tempdir().expect("storage directory");
    let storage = BlobStore::local(dir.path()).expect("local storage");
    let state = AppState::new(Config::default(), t.db.clone(), b"bench-secret", None)
        .with_storage(storage.clone());
    let user = state
        .users
        .initialize(InitializeUser {
            username: "bench".into(),
            password: "benchmark".into(),
            email: None,
            access_token: false,
        })
        .await
        .expect("first user");
    let token = seed_token(&t.db, user.user.id, "repo:read repo:create", 3600).await;
    let caller = quay_core::Caller::user(
        state
            .authenticator
            .authenticate_bearer(&token, chrono::Utc::now())
            .await
            .expect("token lookup")
            .expect("token"),
    );
    let repo = state
        .repos
        .create_repository(
            &caller,
            CreateRepository {
                namespace: None,
                name: "busy".into(),
                visibility: Visibility::Private,
                description: String::new(),
                kind: RepositoryKind::Image,
            },
        )
        .await
        .expect("repository");
    let loading = Instant::now();
    let garbage = images(&storage, "garbage", count).await;
    let live = images(&storage, "live", count).await;
    // Ended a month ago (past the default two-week time machine), received as long ago.
    bulk_load_images(
        &t.db,
        repo.id,
        &garbage,
        "old-",
        30 * DAY_MS,
        Some(30 * DAY_MS),
    )
    .await;
    bulk_load_images(&t.db, repo.id, &live, "live-", 30 * DAY_MS, None).await;
    eprintln!(
        "{backend}: {} images loaded in {:.1} s",
        2 * count,
        loading.elapsed().as_secs_f64()
    );

    let gc = state.garbage_collector();
    let started = Instant::now();
    let report = gc.run_once().await.expect("collection");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(report.manifests as usize, count, "{report:?}");
    assert_eq!(report.blobs as usize, count * BLOBS_PER_IMAGE, "{report:?}");
    for image in live.iter().take(10) {
        let digest = quay_storage::Digest::parse(&image.blobs[0].0).expect("digest");
        assert!(storage.blob_size(&digest).await.expect("head").is_some());
    }
    println!(
        "| {backend} | {} | {} | {} | {:.2} s | {:.0} blobs/s | {:.0} manifests/s |",
        2 * count,
        report.manifests,
        report.blobs,
        secs,
        report.blobs as f64 / secs,
        report.manifests as f64 / secs,
    );
}
