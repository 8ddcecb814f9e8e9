//! Garbage collection: what it removes (tag lifetimes past the time machine, the
//! manifests and blobs only they reached, abandoned uploads, orphan chunks), what it
//! keeps (anything still referenced, in the time machine, or inside its grace), and that
//! it loses nothing while clients push images sharing layers.

use std::time::Duration;

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use futures_util::future::join_all;
use quay_core::config::Config;
use quay_registry::gc::GcReport;
use quay_storage::Digest;
use serde_json::{json, Value};

const DOCKER: &str = "application/vnd.docker.distribution.manifest.v2+json";
const LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

struct Registry {
    h: Harness,
    api: String,
    registry: String,
}

/// What a push sent: enough to check a pull byte for byte.
#[derive(Clone)]
struct Pushed {
    reference: String,
    manifest: Vec<u8>,
    blobs: Vec<Vec<u8>>,
}

impl Registry {
    async fn new(config: Config) -> Registry {
        let h = Harness::with_config(config).await;
        let api = h.initialize("admin").await;
        let registry =
            registry_token(&h, "admin", "password", &["repository:admin/app:pull,push"]).await;
        Registry { h, api, registry }
    }

    /// The namespace's time machine, in seconds (`0s` lets GC purge ended tags at once).
    async fn time_machine(&self, seconds: i64) {
        let r = self
            .h
            .put(
                "/api/v1/user/",
                Some(&self.api),
                json!({"tag_expiration_s": seconds}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    async fn upload(&self, bytes: &[u8]) -> Value {
        let digest = Digest::of(bytes);
        let r = send(
            &self.h,
            Method::POST,
            &format!("/v2/admin/app/blobs/uploads/?digest={digest}"),
            Some(&self.registry),
            &[],
            bytes,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        json!({"digest": digest.as_str(), "size": bytes.len(),
               "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"})
    }

    async fn put_manifest(&self, reference: &str, media_type: &str, body: &[u8]) -> Reply {
        send(
            &self.h,
            Method::PUT,
            &format!("/v2/admin/app/manifests/{reference}"),
            Some(&self.registry),
            &[("Content-Type", media_type)],
            body,
        )
        .await
    }

    /// Pushes an image of `config` and `layers` as `reference`.
    async fn push(&self, reference: &str, config: &[u8], layers: &[&[u8]]) -> Pushed {
        match self.try_push(reference, config, layers).await {
            Ok(p) => p,
            Err(r) => panic!("push of {reference}: {}", r.error_code()),
        }
    }

    /// Pushes like a client that starts over when the registry answers
    /// `MANIFEST_BLOB_UNKNOWN` (its layers were collected before its manifest came), which
    /// the collector may only do once a push took longer than the blobs' grace.
    async fn push_patiently(
        &self,
        reference: &str,
        config: &[u8],
        layers: &[&[u8]],
        grace: Duration,
    ) -> Pushed {
        loop {
            let started = std::time::Instant::now();
            match self.try_push(reference, config, layers).await {
                Ok(p) => return p,
                Err(r) => {
                    assert_eq!(r.error_code(), "MANIFEST_BLOB_UNKNOWN");
                    assert!(
                        started.elapsed() >= grace,
                        "a blob of {reference} was collected inside its grace"
                    );
                }
            }
        }
    }

    async fn try_push(
        &self,
        reference: &str,
        config: &[u8],
        layers: &[&[u8]],
    ) -> Result<Pushed, Reply> {
        let mut config_ref = self.upload(config).await;
        config_ref["mediaType"] = json!("application/vnd.docker.container.image.v1+json");
        let mut refs = Vec::new();
        for l in layers {
            refs.push(self.upload(l).await);
        }
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": DOCKER, "config": config_ref, "layers": refs,
        }))
        .unwrap();
        let r = self.put_manifest(reference, DOCKER, &manifest).await;
        if r.status != StatusCode::CREATED {
            return Err(r);
        }
        let mut blobs = vec![config.to_vec()];
        blobs.extend(layers.iter().map(|l| l.to_vec()));
        Ok(Pushed {
            reference: reference.to_string(),
            manifest,
            blobs,
        })
    }

    async fn get(&self, path: &str, accept: &str) -> Reply {
        send(
            &self.h,
            Method::GET,
            &format!("/v2/admin/app/{path}"),
            Some(&self.registry),
            &[("Accept", accept)],
            b"",
        )
        .await
    }

    async fn blob_status(&self, bytes: &[u8]) -> StatusCode {
        self.get(&format!("blobs/{}", Digest::of(bytes)), "*/*")
            .await
            .status
    }

    /// Whether the blob's bytes are still in storage at all.
    async fn stored(&self, bytes: &[u8]) -> bool {
        let storage = &self.h.state.registry.blobs.storage;
        storage
            .blob_size(&Digest::of(bytes))
            .await
            .unwrap()
            .is_some()
    }

    /// Pulls `p` back and compares every byte.
    async fn assert_intact(&self, p: &Pushed) {
        let r = self
            .get(
                &format!("manifests/{}", p.reference),
                &format!("{DOCKER}, {LIST}"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{} {}",
            p.reference,
            r.error_code()
        );
        assert_eq!(r.body, p.manifest, "{}", p.reference);
        for b in &p.blobs {
            let r = self.get(&format!("blobs/{}", Digest::of(b)), "*/*").await;
            assert_eq!(r.status, StatusCode::OK, "a blob of {}", p.reference);
            assert_eq!(&r.body, b, "a blob of {}", p.reference);
        }
    }

    async fn delete_tag(&self, tag: &str) {
        let r = self
            .h
            .delete(
                &format!("/api/v1/repository/admin/app/tag/{tag}"),
                Some(&self.api),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    }

    async fn collect(&self) -> GcReport {
        self.h.state.garbage_collector().run_once().await.unwrap()
    }

    /// A collection by a server with `config` on the same database and storage.
    async fn collect_with(&self, config: Config) -> GcReport {
        quay_http::AppState::new(config, self.h.t.db.clone(), b"test-secret", None)
            .with_storage(self.h.state.registry.blobs.storage.clone())
            .garbage_collector()
            .run_once()
            .await
            .unwrap()
    }
}

fn config(grace_s: u64, upload_age_s: u64) -> Config {
    Config {
        push_temp_tag_expiration_sec: grace_s,
        blob_upload_max_age_sec: upload_age_s,
        ..Config::default()
    }
}

#[actix_web::test]
async fn deleted_tags_free_their_manifests_and_only_their_blobs_after_the_time_machine() {
    let r = Registry::new(config(0, 3600)).await;
    let shared: &[u8] = b"shared base layer";
    let a = r.push("a", b"{\"c\": \"a\"}", &[shared, b"only a"]).await;
    let b = r.push("b", b"{\"c\": \"b\"}", &[shared, b"only b"]).await;
    r.delete_tag("a").await;

    // Inside the time machine (two weeks by default) nothing goes: `a` can be restored.
    let report = r.collect().await;
    assert_eq!((report.tags, report.manifests, report.blobs), (0, 0, 0));
    assert!(r.stored(b"only a").await);

    r.time_machine(0).await;
    let report = r.collect().await;
    assert_eq!(report.tags, 1, "{report:?}");
    assert_eq!(report.manifests, 1, "{report:?}");
    assert_eq!(report.blobs, 2, "a's config and own layer: {report:?}");
    assert!(!r.stored(b"only a").await && !r.stored(b"{\"c\": \"a\"}").await);
    assert_eq!(r.blob_status(b"only a").await, StatusCode::NOT_FOUND);
    assert!(r.stored(shared).await);
    let gone = r.get("manifests/a", DOCKER).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let history =
        r.h.get("/api/v1/repository/admin/app/tag/", Some(&r.api))
            .await;
    let names: Vec<&str> = history.body["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b"]);
    r.assert_intact(&b).await;

    // A second collection finds nothing more.
    assert_eq!(r.collect().await, GcReport::default());
    drop(a);
}

#[actix_web::test]
async fn unreferenced_blobs_wait_out_their_grace() {
    let r = Registry::new(config(3600, 3600)).await;
    r.upload(b"pushed, no manifest yet").await;
    assert_eq!(r.collect().await.blobs, 0);
    assert!(r.stored(b"pushed, no manifest yet").await);

    // Past the grace (a collector configured with none, on the same data).
    let report = r.collect_with(config(0, 3600)).await;
    assert_eq!(report.blobs, 1, "{report:?}");
    assert!(!r.stored(b"pushed, no manifest yet").await);
    assert_eq!(
        r.blob_status(b"pushed, no manifest yet").await,
        StatusCode::NOT_FOUND
    );
    // Pushed again, it is stored again.
    r.upload(b"pushed, no manifest yet").await;
    assert!(r.stored(b"pushed, no manifest yet").await);
    assert_eq!(
        r.blob_status(b"pushed, no manifest yet").await,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn an_index_keeps_its_children_until_it_goes() {
    let r = Registry::new(config(0, 3600)).await;
    let amd = r
        .push(
            "placeholder-amd",
            b"{\"arch\": \"amd64\"}",
            &[b"amd64 layer"],
        )
        .await;
    let arm = r
        .push(
            "placeholder-arm",
            b"{\"arch\": \"arm64\"}",
            &[b"arm64 layer"],
        )
        .await;
    let entry = |p: &Pushed| {
        json!({"mediaType": DOCKER, "size": p.manifest.len(),
               "digest": Digest::of(&p.manifest).as_str(), "platform": {"architecture": "x", "os": "linux"}})
    };
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": LIST, "manifests": [entry(&amd), entry(&arm)],
    }))
    .unwrap();
    let put = r.put_manifest("multi", LIST, &index).await;
    assert_eq!(put.status, StatusCode::CREATED);
    r.time_machine(0).await;
    r.delete_tag("placeholder-amd").await;
    r.delete_tag("placeholder-arm").await;

    // The children's own tags are gone, but the index reaches them.
    let report = r.collect().await;
    assert_eq!((report.tags, report.manifests, report.blobs), (2, 0, 0));
    for child in [&amd, &arm] {
        let by_digest = Pushed {
            reference: Digest::of(&child.manifest).to_string(),
            ..child.clone()
        };
        r.assert_intact(&by_digest).await;
    }

    r.delete_tag("multi").await;
    let report = r.collect().await;
    assert_eq!(
        (report.tags, report.manifests, report.blobs),
        (1, 3, 4),
        "the index, then both children and their blobs"
    );
    assert!(!r.stored(b"amd64 layer").await && !r.stored(b"arm64 layer").await);
}

#[actix_web::test]
async fn abandoned_uploads_and_orphan_chunks_are_removed_after_their_age() {
    let r = Registry::new(config(3600, 3600)).await;
    let start = send(
        &r.h,
        Method::POST,
        "/v2/admin/app/blobs/uploads/",
        Some(&r.registry),
        &[],
        b"",
    )
    .await;
    assert_eq!(start.status, StatusCode::ACCEPTED);
    let location = start.header("Location").to_string();
    let patch = send(
        &r.h,
        Method::PATCH,
        &location,
        Some(&r.registry),
        &[("Content-Range", "0-4")],
        b"hello",
    )
    .await;
    assert_eq!(patch.status, StatusCode::ACCEPTED);
    let storage = r.h.state.registry.blobs.storage.clone();
    let orphan = futures_util::stream::iter([Ok::<_, std::io::Error>(
        actix_web::web::Bytes::from_static(b"cut off"),
    )]);
    storage
        .write_chunk(
            "00000000-0000-0000-0000-00000000dead",
            0,
            orphan,
            None,
            1024,
        )
        .await
        .unwrap();
    let chunks = |storage: quay_storage::BlobStore| async move {
        let far_ahead = chrono::Utc::now() + chrono::Duration::days(1);
        storage.upload_chunks_before(far_ahead).await.unwrap().len()
    };
    assert_eq!(chunks(storage.clone()).await, 2);

    // Young: kept.
    let report = r.collect().await;
    assert_eq!((report.uploads, report.orphan_chunks), (0, 0));
    let status = send(&r.h, Method::GET, &location, Some(&r.registry), &[], b"").await;
    assert_eq!(status.status, StatusCode::NO_CONTENT);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let report = r.collect_with(config(3600, 1)).await;
    assert_eq!((report.uploads, report.orphan_chunks), (1, 1), "{report:?}");
    assert_eq!(chunks(storage.clone()).await, 0);
    let status = send(&r.h, Method::GET, &location, Some(&r.registry), &[], b"").await;
    assert_eq!(status.status, StatusCode::NOT_FOUND);
    assert_eq!(status.error_code(), "BLOB_UPLOAD_UNKNOWN");
}

/// Clients push images that share a base layer (and each its own layers) while the
/// collector runs in a loop with no time machine and a short grace: every tag pushed
/// and not moved pulls back byte for byte, and the collector did remove the rest.
#[actix_web::test]
async fn collection_beside_concurrent_pushes_loses_nothing_referenced() {
    const CLIENTS: usize = 4;
    const ROUNDS: usize = 6;
    let grace = Duration::from_secs(2);
    let r = Registry::new(config(grace.as_secs(), 3600)).await;
    r.time_machine(0).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let collector = {
        let gc = r.h.state.garbage_collector();
        let stop = stop.clone();
        actix_web::rt::spawn(async move {
            let mut total = GcReport::default();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let report = gc.run_once().await.unwrap();
                total.tags += report.tags;
                total.manifests += report.manifests;
                total.blobs += report.blobs;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            total
        })
    };
    let client = |k: usize| {
        let r = &r;
        async move {
            let mut kept = Vec::new();
            for round in 0..ROUNDS {
                let own = format!("client {k} round {round} layer");
                let config = format!("{{\"client\": {k}, \"round\": {round}}}");
                let layers: [&[u8]; 3] =
                    [b"the shared base", b"shared by all, too", own.as_bytes()];
                // A tag that moves every round (the old image is garbage at once) and,
                // every other round, one that stays.
                let moving = r
                    .push_patiently(&format!("c{k}"), config.as_bytes(), &layers, grace)
                    .await;
                if round % 2 == 0 {
                    let config = format!("{config} kept");
                    kept.push(
                        r.push_patiently(
                            &format!("c{k}-r{round}"),
                            config.as_bytes(),
                            &layers,
                            grace,
                        )
                        .await,
                    );
                }
                if round == ROUNDS - 1 {
                    kept.push(moving);
                }
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            kept
        }
    };
    let kept: Vec<Pushed> = join_all((0..CLIENTS).map(client))
        .await
        .into_iter()
        .flatten()
        .collect();
    // Past the grace, once more without pushes: all that can go goes.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = collector.await.unwrap();
    let last = r.collect().await;
    total.manifests += last.manifests;
    total.blobs += last.blobs;
    for p in &kept {
        r.assert_intact(p).await;
    }
    // Each client's moved-away images went, with their config and (when no kept image
    // shares it) their own layer; a push started over only adds to the counts.
    let mut garbage = Vec::new();
    for k in 0..CLIENTS {
        for round in 0..ROUNDS - 1 {
            garbage.push(format!("{{\"client\": {k}, \"round\": {round}}}"));
            if round % 2 == 1 {
                garbage.push(format!("client {k} round {round} layer"));
            }
        }
    }
    for g in &garbage {
        assert!(!r.stored(g.as_bytes()).await, "{g} was not collected");
    }
    let moved = (CLIENTS * (ROUNDS - 1)) as u64;
    assert!(total.manifests >= moved, "{total:?}");
    assert!(total.blobs >= garbage.len() as u64, "{total:?}");
}

#[actix_web::test]
async fn a_deleted_repository_leaves_its_blobs_to_the_collector() {
    let r = Registry::new(config(0, 3600)).await;
    r.push(
        "latest",
        b"{\"c\": \"gone with the repo\"}",
        &[b"a layer of the repo"],
    )
    .await;
    let deleted =
        r.h.delete("/api/v1/repository/admin/app", Some(&r.api))
            .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert!(r.stored(b"a layer of the repo").await);
    let report = r.collect().await;
    assert_eq!(report.blobs, 2, "{report:?}");
    assert!(!r.stored(b"a layer of the repo").await);
}

#[actix_web::test]
async fn removing_an_index_from_the_time_machine_takes_its_submanifests_only_when_asked() {
    let r = Registry::new(config(3600, 3600)).await;
    // Children pushed by digest: kept by hidden tags for PUSH_TEMP_TAG_EXPIRATION_SEC.
    let mut children = Vec::new();
    for arch in ["amd64", "arm64", "s390x", "ppc64le"] {
        let config = r
            .upload(format!("{{\"arch\": \"{arch}\"}}").as_bytes())
            .await;
        let layer = r.upload(format!("{arch} layer").as_bytes()).await;
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": DOCKER, "config": config, "layers": [layer],
        }))
        .unwrap();
        let digest = Digest::of(&manifest).to_string();
        let put = r.put_manifest(&digest, DOCKER, &manifest).await;
        assert_eq!(put.status, StatusCode::CREATED);
        children.push((digest, manifest.len()));
    }
    let index = |pair: &[(String, usize)]| {
        let entries: Vec<Value> = pair
            .iter()
            .map(|(d, size)| {
                json!({"mediaType": DOCKER, "size": size, "digest": d,
                                   "platform": {"architecture": "x", "os": "linux"}})
            })
            .collect();
        serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": LIST, "manifests": entries}))
            .unwrap()
    };
    for (tag, pair) in [("multi", &children[..2]), ("other", &children[2..])] {
        let put = r.put_manifest(tag, LIST, &index(pair)).await;
        assert_eq!(put.status, StatusCode::CREATED);
    }
    let expire = |tag: &'static str, body: Value| {
        let r = &r;
        async move {
            let url = format!("/api/v1/repository/admin/app/tag/{tag}/expire");
            let res = r.h.post(&url, Some(&r.api), body).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        }
    };
    expire(
        "multi",
        json!({"is_alive": true, "include_submanifests": true}),
    )
    .await;
    expire("other", json!({"is_alive": true})).await;
    let rr = &r;
    let status =
        |digest: String| async move { rr.get(&format!("manifests/{digest}"), DOCKER).await.status };
    assert_eq!(status(children[0].0.clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(status(children[2].0.clone()).await, StatusCode::OK);

    // Both indexes go at once; only multi's children with them.
    let report = r.collect().await;
    assert_eq!(report.manifests, 4, "{report:?}");
    assert_eq!(status(children[3].0.clone()).await, StatusCode::OK);
}
