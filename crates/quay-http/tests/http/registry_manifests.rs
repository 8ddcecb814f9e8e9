//! Manifests, tags and referrers on `/v2`: Docker v2 schema 2 and OCI manifests,
//! manifest lists and indexes, artifacts with a subject; every reference must be in the
//! repository; bytes come back exactly as pushed; bad input is a spec error code.

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use quay_storage::Digest;
use serde_json::{json, Value};

const DOCKER: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

struct Repo {
    h: Harness,
    token: String,
}

impl Repo {
    async fn new() -> Repo {
        let h = Harness::new().await;
        let admin = h.initialize("admin").await;
        let r = h
            .post(
                "/api/v1/repository",
                Some(&admin),
                json!({"namespace": "admin", "repository": "app", "description": "", "visibility": "private"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let token =
            registry_token(&h, "admin", "password", &["repository:admin/app:pull,push"]).await;
        Repo { h, token }
    }

    async fn blob(&self, bytes: &[u8]) -> Value {
        push_blob(&self.h, &self.token, "admin/app", bytes).await
    }

    async fn put(&self, reference: &str, media_type: &str, body: &[u8]) -> Reply {
        push_manifest(
            &self.h,
            &self.token,
            "admin/app",
            reference,
            media_type,
            body,
        )
        .await
    }

    async fn get(&self, method: Method, path: &str) -> Reply {
        send(&self.h, method, path, Some(&self.token), &[], b"").await
    }

    /// A Docker image with a config and `layers` layers; its manifest bytes.
    async fn image(&self, seed: &str, layers: usize) -> Vec<u8> {
        let mut config = self
            .blob(format!("{{\"config\": \"{seed}\"}}").as_bytes())
            .await;
        config["mediaType"] = json!("application/vnd.docker.container.image.v1+json");
        let mut ls = Vec::new();
        for i in 0..layers {
            let mut l = self.blob(format!("{seed} layer {i}").as_bytes()).await;
            l["mediaType"] = json!("application/vnd.docker.image.rootfs.diff.tar.gzip");
            ls.push(l);
        }
        // Pretty-printed on purpose: the digest is of these very bytes.
        serde_json::to_vec_pretty(&json!({
            "schemaVersion": 2, "mediaType": DOCKER, "config": config, "layers": ls,
        }))
        .unwrap()
    }
}

#[actix_web::test]
async fn docker_images_push_and_pull_byte_for_byte() {
    let repo = Repo::new().await;
    let manifest = repo.image("one", 2).await;
    let digest = Digest::of(&manifest);
    let r = repo.put("latest", DOCKER, &manifest).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header("Docker-Content-Digest"), digest.as_str());
    assert_eq!(
        r.header("Location"),
        format!("/v2/admin/app/manifests/{digest}")
    );

    for reference in ["latest".to_string(), digest.to_string()] {
        let path = format!("/v2/admin/app/manifests/{reference}");
        let r = repo.get(Method::GET, &path).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, manifest);
        assert_eq!(r.header("Content-Type"), DOCKER);
        assert_eq!(r.header("Docker-Content-Digest"), digest.as_str());
        // HEAD's Content-Length and empty body come from actix's HTTP/1 encoder, which
        // the test service skips: bins/quayd/tests/conformance.rs checks them live.
        let head = repo.get(Method::HEAD, &path).await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.header("Docker-Content-Digest"), digest.as_str());
    }
    // Moving the tag; the old manifest stays reachable by digest.
    let second = repo.image("two", 1).await;
    assert_eq!(
        repo.put("latest", DOCKER, &second).await.status,
        StatusCode::CREATED
    );
    let r = repo
        .get(Method::GET, "/v2/admin/app/manifests/latest")
        .await;
    assert_eq!(r.body, second);
    let r = repo
        .get(Method::GET, &format!("/v2/admin/app/manifests/{digest}"))
        .await;
    assert_eq!(r.body, manifest);

    // Deleting by digest untags; by tag is not supported (as Quay).
    let second_digest = Digest::of(&second);
    let r = repo
        .get(
            Method::DELETE,
            &format!("/v2/admin/app/manifests/{second_digest}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = repo
        .get(Method::GET, "/v2/admin/app/manifests/latest")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "TAG_EXPIRED");
    let r = repo
        .get(Method::DELETE, "/v2/admin/app/manifests/latest")
        .await;
    assert_eq!(r.error_code(), "UNSUPPORTED");
    let missing = Digest::of(b"nothing");
    let r = repo
        .get(
            Method::DELETE,
            &format!("/v2/admin/app/manifests/{missing}"),
        )
        .await;
    assert_eq!(r.error_code(), "MANIFEST_UNKNOWN");
}

#[actix_web::test]
async fn bad_manifests_get_spec_error_codes_and_store_nothing() {
    let repo = Repo::new().await;
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        ("t1", DOCKER, b"{not json".to_vec(), 400, "MANIFEST_INVALID"),
        (
            "t2",
            DOCKER,
            br#"{"schemaVersion": 1, "name": "x"}"#.to_vec(),
            400,
            "MANIFEST_INVALID",
        ),
        (
            "t3",
            "application/vnd.example.unknown",
            br#"{"schemaVersion": 2, "mediaType": "application/vnd.example.unknown"}"#.to_vec(),
            400,
            "MANIFEST_INVALID",
        ),
        (
            "t4",
            OCI,
            serde_json::to_vec(
                &json!({"schemaVersion": 2, "mediaType": DOCKER, "config": {}, "layers": []}),
            )
            .unwrap(),
            400,
            "MANIFEST_INVALID",
        ),
        ("bad tag!", DOCKER, b"{}".to_vec(), 400, "TAG_INVALID"),
        (
            "t5",
            DOCKER,
            vec![b' '; 4 * 1024 * 1024 + 1],
            413,
            "SIZE_INVALID",
        ),
    ];
    for (reference, media_type, body, status, code) in cases {
        let r = repo
            .put(&reference.replace(' ', "%20"), media_type, &body)
            .await;
        assert_eq!(
            r.status.as_u16(),
            status,
            "{reference}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.error_code(), code, "{reference}");
    }
    // A layer the repository does not hold.
    let absent = Digest::of(b"never uploaded");
    let config = repo.blob(b"{}").await;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": DOCKER,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": config["digest"], "size": 2},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": absent.as_str(), "size": 5}],
    }))
    .unwrap();
    let r = repo.put("t6", DOCKER, &manifest).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "MANIFEST_BLOB_UNKNOWN");
    // A digest reference that is not the digest of the body.
    let good = repo.image("good", 1).await;
    let r = repo.put(&absent.to_string(), DOCKER, &good).await;
    assert_eq!(r.error_code(), "DIGEST_INVALID");
    // None of it is visible.
    let r = repo.get(Method::GET, "/v2/admin/app/tags/list").await;
    let tags: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(tags, json!({"name": "admin/app", "tags": []}));
    // By digest, it is fine.
    let r = repo
        .put(&Digest::of(&good).to_string(), DOCKER, &good)
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn lists_indexes_and_artifacts_with_referrers() {
    let repo = Repo::new().await;
    let amd = repo.image("amd64", 1).await;
    let arm = repo.image("arm64", 1).await;
    let list = |children: &[&Vec<u8>]| {
        let manifests: Vec<Value> = children
            .iter()
            .zip(["amd64", "arm64"])
            .map(|(m, arch)| json!({"mediaType": DOCKER, "digest": Digest::of(m).as_str(), "size": m.len(), "platform": {"architecture": arch, "os": "linux"}}))
            .collect();
        serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": manifests}),
        )
        .unwrap()
    };
    // Children must be pushed first.
    let body = list(&[&amd, &arm]);
    let r = repo.put("multi", DOCKER_LIST, &body).await;
    assert_eq!(r.error_code(), "MANIFEST_BLOB_UNKNOWN");
    for m in [&amd, &arm] {
        assert_eq!(
            repo.put(&Digest::of(m).to_string(), DOCKER, m).await.status,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        repo.put("multi", DOCKER_LIST, &body).await.status,
        StatusCode::CREATED
    );
    let r = repo.get(Method::GET, "/v2/admin/app/manifests/multi").await;
    assert_eq!(r.body, body);
    assert_eq!(r.header("Content-Type"), DOCKER_LIST);

    // An OCI artifact about the amd64 image: OCI-Subject, then found as a referrer.
    let empty = repo.blob(b"{}").await;
    let sbom = repo.blob(b"sbom contents").await;
    let subject = Digest::of(&amd);
    let artifact = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI, "artifactType": "application/spdx+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty["digest"], "size": 2},
        "layers": [{"mediaType": "application/spdx+json", "digest": sbom["digest"], "size": sbom["size"]}],
        "subject": {"mediaType": DOCKER, "digest": subject.as_str(), "size": amd.len()},
        "annotations": {"org.example.kind": "sbom"},
    }))
    .unwrap();
    let artifact_digest = Digest::of(&artifact);
    let r = repo.put(&artifact_digest.to_string(), OCI, &artifact).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header("OCI-Subject"), subject.as_str());
    let signature = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI, "artifactType": "application/vnd.example.signature",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty["digest"], "size": 2},
        "layers": [],
        "subject": {"mediaType": DOCKER, "digest": subject.as_str(), "size": amd.len()},
    }))
    .unwrap();
    assert_eq!(
        repo.put(&Digest::of(&signature).to_string(), OCI, &signature)
            .await
            .status,
        StatusCode::CREATED
    );

    let path = format!("/v2/admin/app/referrers/{subject}");
    let r = repo.get(Method::GET, &path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("Content-Type"), OCI_INDEX);
    assert_eq!(r.header("OCI-Filters-Applied"), "");
    let index: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(index["schemaVersion"], 2);
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2);
    assert_eq!(index["manifests"][0]["digest"], artifact_digest.as_str());
    assert_eq!(
        index["manifests"][0]["artifactType"],
        "application/spdx+json"
    );
    assert_eq!(
        index["manifests"][0]["annotations"]["org.example.kind"],
        "sbom"
    );
    assert_eq!(index["manifests"][0]["size"], artifact.len());
    let r = repo
        .get(
            Method::GET,
            &format!("{path}?artifactType=application/vnd.example.signature"),
        )
        .await;
    assert_eq!(r.header("OCI-Filters-Applied"), "artifactType");
    let index: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    // Nothing refers to the arm64 image: an empty index, not a 404.
    let r = repo
        .get(
            Method::GET,
            &format!("/v2/admin/app/referrers/{}", Digest::of(&arm)),
        )
        .await;
    let index: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(index["manifests"], json!([]));
}

#[actix_web::test]
async fn tags_list_pages_with_link_headers() {
    let repo = Repo::new().await;
    let manifest = repo.image("base", 1).await;
    for tag in ["v3", "v1", "latest", "v2", "dev"] {
        assert_eq!(
            repo.put(tag, DOCKER, &manifest).await.status,
            StatusCode::CREATED
        );
    }
    let r = repo.get(Method::GET, "/v2/admin/app/tags/list").await;
    let all: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(all["tags"], json!(["dev", "latest", "v1", "v2", "v3"]));
    assert_eq!(r.header("Link"), "");
    let r = repo.get(Method::GET, "/v2/admin/app/tags/list?n=2").await;
    let page: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(page["tags"], json!(["dev", "latest"]));
    assert_eq!(
        r.header("Link"),
        r#"</v2/admin/app/tags/list?n=2&last=latest>; rel="next""#
    );
    let r = repo
        .get(Method::GET, "/v2/admin/app/tags/list?n=2&last=latest")
        .await;
    let page: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(page["tags"], json!(["v1", "v2"]));
    let r = repo
        .get(Method::GET, "/v2/admin/app/tags/list?n=2&last=v2")
        .await;
    let page: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(page["tags"], json!(["v3"]));
    assert_eq!(r.header("Link"), "");
    // As Quay: `n` that is not a number is the default page; 0 is an empty page (the
    // spec; Quay makes it 1).
    let r = repo.get(Method::GET, "/v2/admin/app/tags/list?n=x").await;
    let page: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(page["tags"], all["tags"]);
    let r = repo.get(Method::GET, "/v2/admin/app/tags/list?n=0").await;
    let page: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(page["tags"], json!([]));
    assert_eq!(r.header("Link"), "");
    // Without a token for the repository: nothing.
    let r = send(
        &repo.h,
        Method::GET,
        "/v2/admin/app/tags/list",
        None,
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
