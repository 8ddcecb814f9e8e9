//! A real client against a real server: `skopeo copy` pushes an OCI image layout (a
//! multi-layer image, then a two-platform index) into `quayd` with a user password and
//! with a robot token, copies it back out, and the digests match.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use quay_persistence::testing::TestDatabase;
use quay_storage::testing::S3Service;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Writes `bytes` as a blob of the layout; returns its descriptor.
fn blob(layout: &Path, media_type: &str, bytes: &[u8]) -> Value {
    let digest = sha256(bytes);
    let dir = layout.join("blobs/sha256");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&digest["sha256:".len()..]), bytes).unwrap();
    json!({"mediaType": media_type, "digest": digest, "size": bytes.len()})
}

/// An image of `layers` layers (of a few hundred KiB each) for `arch`; its manifest
/// descriptor.
fn image(layout: &Path, arch: &str, layers: usize) -> Value {
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for i in 0..layers {
        let bytes: Vec<u8> = (0..300_000u32)
            .map(|n| (n.wrapping_mul(31).wrapping_add(i as u32 * 7) ^ arch.len() as u32) as u8)
            .collect();
        // Compressed, as registries hold layers (skopeo would compress it otherwise,
        // changing the digests).
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &bytes).unwrap();
        let compressed = gz.finish().unwrap();
        diff_ids.push(json!(sha256(&bytes)));
        descriptors.push(blob(
            layout,
            "application/vnd.oci.image.layer.v1.tar+gzip",
            &compressed,
        ));
    }
    let config = serde_json::to_vec(&json!({
        "architecture": arch, "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {},
    }))
    .unwrap();
    let config = blob(layout, "application/vnd.oci.image.config.v1+json", &config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config, "layers": descriptors,
    }))
    .unwrap();
    let mut d = blob(
        layout,
        "application/vnd.oci.image.manifest.v1+json",
        &manifest,
    );
    d["platform"] = json!({"architecture": arch, "os": "linux"});
    d
}

/// An OCI layout holding `manifest` under the reference `name`.
fn layout_with(layout: &Path, name: &str, manifest: Value) {
    std::fs::create_dir_all(layout).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion": "1.0.0"}"#,
    )
    .unwrap();
    let mut m = manifest;
    m["annotations"] = json!({"org.opencontainers.image.ref.name": name});
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [m]});
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
}

fn skopeo(args: &[&str]) {
    let out = Command::new("skopeo").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "skopeo {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The digest of the manifest `index.json` of a layout points at.
fn layout_digest(layout: &Path) -> String {
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

fn api(port: u16, method: &str, path: &str, token: &str, body: &str) -> Value {
    let out = Command::new("curl")
        .args([
            "-s",
            "-X",
            method,
            &format!("http://127.0.0.1:{port}{path}"),
            "-H",
            &format!("Authorization: Bearer {token}"),
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
        ])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

/// Whether skopeo and curl are here (CI must have them).
fn clients_installed() -> bool {
    if !have("skopeo") || !have("curl") {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install skopeo and curl"
        );
        eprintln!("skipping: skopeo (Debian package `skopeo`) or curl is not installed");
        return false;
    }
    true
}

#[tokio::test]
async fn skopeo_copies_images_and_indexes_in_and_out() {
    if clients_installed() {
        let log = copies_in_and_out(&[]).await;
        let statuses = blob_get_statuses(&log);
        assert!(
            !statuses.is_empty() && statuses.iter().all(|s| *s == 200),
            "{statuses:?}"
        );
    }
}

/// The same with the blobs in S3 (Quay's `S3Storage`), where a layer pushed as one
/// chunk is moved by a server-side copy.
#[tokio::test]
async fn skopeo_copies_in_and_out_of_s3_storage() {
    if !clients_installed() {
        return;
    }
    let Some(s3) = S3Service::start() else {
        return;
    };
    let location = json!({"default": ["S3Storage", s3.bucket("registry", "")]}).to_string();
    let log = copies_in_and_out(&[
        ("QUAY_DISTRIBUTED_STORAGE_CONFIG", &location),
        ("QUAY_DISTRIBUTED_STORAGE_PREFERENCE", "[default]"),
    ])
    .await;
    // skopeo read every layer from S3 itself, following quayd's redirects.
    let statuses = blob_get_statuses(&log);
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| *s == 302),
        "{statuses:?}"
    );
}

/// The statuses of the blob `GET`s in the server's access log.
fn blob_get_statuses(log: &str) -> Vec<u16> {
    log.lines()
        .map(without_colours)
        .filter(|line| line.contains("method=GET") && line.contains("/blobs/sha256:"))
        .filter_map(|line| {
            let status = line.split("status=").nth(1)?;
            status.get(..3)?.parse().ok()
        })
        .collect()
}

/// `line` without its terminal colour codes (`ESC [ ... m`).
fn without_colours(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| *c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

/// Copies an image and an index in and out of a server started with `env` set; what
/// the server printed.
async fn copies_in_and_out(env: &[(&str, &str)]) -> String {
    let db = TestDatabase::new().await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let host = format!("127.0.0.1:{port}");
    let server = Server::start(
        data.path(),
        port,
        db.is_postgres().then(|| db.url()),
        // The access log at info: the tests read the blob GETs' statuses from it.
        &[
            &[
                ("QUAY_SERVER_HOSTNAME", host.as_str()),
                ("RUST_LOG", "info"),
            ],
            env,
        ]
        .concat(),
    );
    let out = Command::new("curl")
        .args([
            "-s",
            "-X",
            "POST",
            &format!("http://{host}/api/v1/user/initialize"),
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"username": "admin", "password": "password123", "email": "admin@example.com", "access_token": true}"#,
        ])
        .output()
        .unwrap();
    let init: Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = init["access_token"].as_str().unwrap().to_string();
    let work = tempfile::tempdir().unwrap();

    // A three-layer image, pushed with the user's password (the repository is created
    // by the push), pulled back: the same manifest digest.
    let source = work.path().join("image");
    let manifest = image(&source, "amd64", 3);
    layout_with(&source, "latest", manifest.clone());
    let user = [
        "--dest-tls-verify=false",
        "--dest-creds",
        "admin:password123",
    ];
    skopeo(
        &[
            &["copy"][..],
            &user,
            &[
                &format!("oci:{}:latest", source.display()),
                &format!("docker://{host}/admin/image:latest"),
            ],
        ]
        .concat(),
    );
    let back = work.path().join("back");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        "admin:password123",
        &format!("docker://{host}/admin/image:latest"),
        &format!("oci:{}:latest", back.display()),
    ]);
    assert_eq!(layout_digest(&back), manifest["digest"].as_str().unwrap());

    // A robot with write access pushes a two-platform index into another repository.
    api(
        port,
        "POST",
        "/api/v1/repository",
        &token,
        r#"{"namespace": "admin", "repository": "multi", "visibility": "private", "description": ""}"#,
    );
    let robot = api(port, "PUT", "/api/v1/user/robots/ci", &token, "{}");
    let robot_token = robot["token"].as_str().unwrap().to_string();
    api(
        port,
        "PUT",
        "/api/v1/repository/admin/multi/permissions/user/admin+ci",
        &token,
        r#"{"role": "write"}"#,
    );
    let multi = work.path().join("multi");
    let amd = image(&multi, "amd64", 2);
    let arm = image(&multi, "arm64", 2);
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [amd, arm],
    }))
    .unwrap();
    let index = blob(&multi, "application/vnd.oci.image.index.v1+json", &index);
    layout_with(&multi, "v1", index.clone());
    let creds = format!("admin+ci:{robot_token}");
    skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
        &format!("oci:{}:v1", multi.display()),
        &format!("docker://{host}/admin/multi:v1"),
    ]);
    let multi_back = work.path().join("multi-back");
    skopeo(&[
        "copy",
        "--all",
        "--src-tls-verify=false",
        "--src-creds",
        &creds,
        &format!("docker://{host}/admin/multi:v1"),
        &format!("oci:{}:v1", multi_back.display()),
    ]);
    assert_eq!(
        layout_digest(&multi_back),
        index["digest"].as_str().unwrap()
    );
    // Every platform's image came along, byte for byte.
    for m in [&amd, &arm] {
        let hex = &m["digest"].as_str().unwrap()["sha256:".len()..];
        assert!(multi_back.join("blobs/sha256").join(hex).is_file());
    }

    // A wrong password is refused.
    let out = Command::new("skopeo")
        .args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            "admin:wrong",
            &format!("docker://{host}/admin/image:latest"),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let (status, log) = server.terminate();
    assert!(status.success());
    log
}
