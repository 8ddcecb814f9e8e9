//! The manifests API: a manifest by digest with its layers, labels read at push and
//! added over the API (filters, Quay's refusals, read-only ones), `quay.expires-after`
//! giving the pushed tag its expiry, the security status without a scanner, and who may
//! do what.

use crate::common::*;
use actix_web::http::StatusCode;
use quay_core::config::Config;
use quay_logs::LogStore;
use quay_storage::Digest;
use serde_json::{json, Value};

const DOCKER: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const BASE: &str = "/api/v1/repository/admin/app/manifest";

struct Repo {
    h: Harness,
    /// API token of admin (all scopes).
    api: String,
    registry: String,
}

impl Repo {
    async fn new() -> Repo {
        let config = Config {
            feature_security_scanner: true,
            ..Config::default()
        };
        let h = Harness::with_config(config).await;
        let api = h.initialize("admin").await;
        let r = h
            .post(
                "/api/v1/repository",
                Some(&api),
                json!({"namespace": "admin", "repository": "app", "description": "", "visibility": "private"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let registry =
            registry_token(&h, "admin", "password", &["repository:admin/app:pull,push"]).await;
        Repo { h, api, registry }
    }

    /// Pushes a Docker image with one layer whose config has `labels` and a history as
    /// `reference`; its digest.
    async fn push(&self, seed: &str, labels: Value, reference: &str) -> String {
        let config = json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Labels": labels},
            "history": [
                {"created": "2021-12-13T11:41:16Z", "created_by": format!("/bin/sh -c #(nop) ADD {seed}")},
                {"created": "2021-12-13T11:41:17Z", "created_by": "/bin/sh -c #(nop) LABEL x", "empty_layer": true},
            ],
        });
        let config_bytes = serde_json::to_vec(&config).unwrap();
        self.push_with_config(seed, &config_bytes, reference).await
    }

    async fn push_with_config(&self, seed: &str, config: &[u8], reference: &str) -> String {
        let mut config = push_blob(&self.h, &self.registry, "admin/app", config).await;
        config["mediaType"] = json!("application/vnd.docker.container.image.v1+json");
        let layer_bytes = format!("{seed} layer");
        let mut layer =
            push_blob(&self.h, &self.registry, "admin/app", layer_bytes.as_bytes()).await;
        layer["mediaType"] = json!("application/vnd.docker.image.rootfs.diff.tar.gzip");
        let body = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": DOCKER, "config": config, "layers": [layer],
        }))
        .unwrap();
        let r = push_manifest(
            &self.h,
            &self.registry,
            "admin/app",
            reference,
            DOCKER,
            &body,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        Digest::of(&body).to_string()
    }

    async fn labels(&self, digest: &str, query: &str) -> Vec<Value> {
        let r = self
            .h
            .get(&format!("{BASE}/{digest}/labels{query}"), Some(&self.api))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["labels"].as_array().unwrap().clone()
    }

    async fn add(&self, digest: &str, body: Value) -> Response {
        self.h
            .post(&format!("{BASE}/{digest}/labels"), Some(&self.api), body)
            .await
    }

    /// The namespace's newest audit entry of `kind`.
    async fn last_log(&self, kind: &str) -> Value {
        let ns = self.h.namespace_id("admin").await;
        let store = quay_persistence::SqlStore::new(self.h.t.db.clone());
        let logs = store.namespace_logs(ns, 100).await.unwrap();
        logs.into_iter()
            .find(|l| l.kind == kind)
            .map(|l| l.metadata)
            .unwrap_or_else(|| panic!("no {kind} entry"))
    }
}

fn rejected(r: &Response, message: &str) {
    assert_error(r, 400, "invalid_request", message);
    assert_eq!(r.body["message"], message);
}

#[actix_web::test]
async fn a_manifest_shows_its_bytes_and_layers_with_history() {
    let repo = Repo::new().await;
    let digest = repo.push("one", json!({}), "v1").await;
    let r = repo
        .h
        .get(&format!("{BASE}/{digest}"), Some(&repo.api))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let keys: Vec<&str> = r
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "digest",
            "is_manifest_list",
            "manifest_data",
            "config_media_type",
            "layers"
        ]
    );
    assert_eq!(r.body["digest"], digest);
    assert_eq!(r.body["is_manifest_list"], false);
    assert_eq!(
        r.body["config_media_type"],
        "application/vnd.docker.container.image.v1+json"
    );
    let data: Value = serde_json::from_str(r.body["manifest_data"].as_str().unwrap()).unwrap();
    assert_eq!(data["mediaType"], DOCKER);
    let layers = r.body["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2, "{layers:?}");
    assert_eq!(layers[0]["index"], 0);
    assert_eq!(layers[0]["blob_digest"], data["layers"][0]["digest"]);
    assert_eq!(layers[0]["compressed_size"], data["layers"][0]["size"]);
    assert_eq!(layers[0]["command"], json!(["/bin/sh -c #(nop) ADD one"]));
    assert_eq!(
        layers[0]["created_datetime"],
        "Mon, 13 Dec 2021 11:41:16 -0000"
    );
    assert_eq!(layers[0]["is_remote"], false);
    assert_eq!(layers[1]["compressed_size"], 32);

    // Unknown digests and references that are not digests: Quay's 404 bodies.
    let absent = Digest::of(b"nothing");
    let r = repo
        .h
        .get(&format!("{BASE}/{absent}"), Some(&repo.api))
        .await;
    assert_error(&r, 404, "not_found", "Not Found");
    for bad in ["latest", "sha256:xyz", "sha256:"] {
        let r = repo.h.get(&format!("{BASE}/{bad}"), Some(&repo.api)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}: {}", r.body);
        assert_eq!(r.body["error_type"], "not_found");
        let r = repo
            .add(bad, json!({"key": "a", "value": "b", "media_type": null}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}: {}", r.body);
    }

    // A deleted tag's manifest stays visible for the time machine; once out of it, gone.
    let r = repo
        .h
        .delete("/api/v1/repository/admin/app/tag/v1", Some(&repo.api))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = repo
        .h
        .get(&format!("{BASE}/{digest}"), Some(&repo.api))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = repo
        .h
        .post(
            "/api/v1/repository/admin/app/tag/v1/expire",
            Some(&repo.api),
            json!({"manifest_digest": digest, "is_alive": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = repo
        .h
        .get(&format!("{BASE}/{digest}"), Some(&repo.api))
        .await;
    assert_error(&r, 404, "not_found", "Not Found");
}

#[actix_web::test]
async fn a_manifest_list_has_no_layers() {
    let repo = Repo::new().await;
    let amd = repo.push("amd64", json!({}), "amd").await;
    let arm = repo.push("arm64", json!({}), "arm").await;
    let manifests: Vec<Value> = [&amd, &arm]
        .iter()
        .zip(["amd64", "arm64"])
        .map(|(d, arch)| json!({"mediaType": DOCKER, "digest": d, "size": 1, "platform": {"architecture": arch, "os": "linux"}}))
        .collect();
    let body = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": manifests}),
    )
    .unwrap();
    let r = push_manifest(
        &repo.h,
        &repo.registry,
        "admin/app",
        "multi",
        DOCKER_LIST,
        &body,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let digest = Digest::of(&body);
    let r = repo
        .h
        .get(&format!("{BASE}/{digest}"), Some(&repo.api))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["is_manifest_list"], true);
    assert_eq!(r.body["layers"], Value::Null);
    assert_eq!(r.body["config_media_type"], Value::Null);
    assert_eq!(repo.labels(digest.as_str(), "").await, Vec::<Value>::new());
}

#[actix_web::test]
async fn labels_are_added_listed_filtered_and_deleted() {
    let repo = Repo::new().await;
    let digest = repo.push("one", json!({}), "v1").await;
    assert!(repo.labels(&digest, "").await.is_empty());

    let r = repo
        .add(
            &digest,
            json!({"key": "com.example.owner", "value": "team-a", "media_type": "text/plain"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let label = r.body["label"].clone();
    let id = label["id"].as_str().unwrap().to_string();
    assert_eq!(
        label,
        json!({"id": id, "key": "com.example.owner", "value": "team-a", "source_type": "api", "media_type": "text/plain"})
    );
    assert_eq!(
        r.headers.get("location").unwrap().to_str().unwrap(),
        format!("{BASE}/{digest}/labels/{id}")
    );
    let log = repo.last_log("manifest_label_add").await;
    assert_eq!(
        log,
        json!({"repo": "app", "namespace": "admin", "id": id, "key": "com.example.owner",
            "value": "team-a", "manifest_digest": digest, "media_type": "text/plain"})
    );

    // A null media type is inferred from the value; JSON ones must be JSON.
    let r = repo
        .add(
            &digest,
            json!({"key": "config", "value": "{\"a\": 1}", "media_type": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["label"]["media_type"], "application/json");
    let r = repo
        .add(
            &digest,
            json!({"key": "comment", "value": "x", "media_type": "application/json"}),
        )
        .await;
    rejected(
        &r,
        "Label value is not valid JSON for media type application/json",
    );

    let all = repo.labels(&digest, "").await;
    let keys: Vec<&str> = all.iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["com.example.owner", "config"]);
    let filtered = repo.labels(&digest, "?filter=com.").await;
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0]["id"], id.as_str());
    // Prefixes are matched literally (`_` and `%` are no wildcards).
    assert!(repo.labels(&digest, "?filter=c_n").await.is_empty());

    let one = format!("{BASE}/{digest}/labels/{id}");
    let r = repo.h.get(&one, Some(&repo.api)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, label);
    let r = repo.h.delete(&one, Some(&repo.api)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let log = repo.last_log("manifest_label_delete").await;
    assert_eq!(
        log,
        json!({"repo": "app", "namespace": "admin", "id": id, "key": "com.example.owner",
            "value": "team-a", "manifest_digest": digest})
    );
    let r = repo.h.get(&one, Some(&repo.api)).await;
    assert_error(&r, 404, "not_found", "Not Found");
    let r = repo.h.delete(&one, Some(&repo.api)).await;
    assert_error(&r, 404, "not_found", "Not Found");
    assert_eq!(repo.labels(&digest, "").await.len(), 1);
}

#[actix_web::test]
async fn bad_labels_get_quays_errors() {
    let repo = Repo::new().await;
    let digest = repo.push("one", json!({}), "v1").await;
    let r = repo
        .add(
            &digest,
            json!({"key": "quay.expires-after", "value": "1h", "media_type": null}),
        )
        .await;
    rejected(&r, "Label has a reserved prefix");
    // The prefix is refused before the manifest is looked up.
    let absent = Digest::of(b"nothing");
    let r = repo
        .add(
            absent.as_str(),
            json!({"key": "io.k8s.x", "value": "1", "media_type": null}),
        )
        .await;
    rejected(&r, "Label has a reserved prefix");
    let r = repo
        .add(
            absent.as_str(),
            json!({"key": "fine", "value": "1", "media_type": null}),
        )
        .await;
    assert_error(&r, 404, "not_found", "Not Found");
    for key in ["", "Upper", "a..b", "-a", "a_b"] {
        let r = repo
            .add(
                &digest,
                json!({"key": key, "value": "v", "media_type": "text/plain"}),
            )
            .await;
        rejected(
            &r,
            "Label is of an invalid format or missing please use ^[a-z0-9](([a-z0-9]|[-.](?![.-]))*[a-z0-9])?$ format for labels",
        );
    }
    let r = repo
        .add(
            &digest,
            json!({"key": "a", "value": "v", "media_type": "text/html"}),
        )
        .await;
    assert_error(
        &r,
        400,
        "invalid_request",
        "'text/html' is not one of ['text/plain', 'application/json', None]",
    );
    let r = repo.add(&digest, json!({"key": "a", "value": "v"})).await;
    assert_error(
        &r,
        400,
        "invalid_request",
        "'media_type' is a required property",
    );
    let r = repo
        .add(&digest, json!({"key": "a", "value": 5, "media_type": null}))
        .await;
    assert_error(&r, 400, "invalid_request", "5 is not of type 'string'");
    assert!(repo.labels(&digest, "").await.is_empty());
}

#[actix_web::test]
async fn config_labels_are_read_only_and_expires_after_sets_the_tag_expiry() {
    let repo = Repo::new().await;
    let before = chrono::Utc::now().timestamp();
    let digest = repo
        .push(
            "exp",
            json!({"quay.expires-after": "2h", "maintainer": "someone", "settings": "{\"a\": 1}"}),
            "temp",
        )
        .await;
    let after = chrono::Utc::now().timestamp();

    let r = repo
        .h
        .get(
            "/api/v1/repository/admin/app/tag/?specificTag=temp",
            Some(&repo.api),
        )
        .await;
    let tag = &r.body["tags"][0];
    let (start, end) = (
        tag["start_ts"].as_i64().unwrap(),
        tag["end_ts"].as_i64().unwrap(),
    );
    assert!((before..=after).contains(&start), "{tag}");
    assert_eq!(end, start + 7200, "{tag}");
    assert!(
        tag["expiration"].as_str().unwrap().ends_with("-0000"),
        "{tag}"
    );

    let labels = repo.labels(&digest, "").await;
    let mut found: Vec<(String, String, String)> = labels
        .iter()
        .map(|l| {
            assert_eq!(l["source_type"], "manifest", "{l}");
            (
                l["key"].as_str().unwrap().into(),
                l["value"].as_str().unwrap().into(),
                l["media_type"].as_str().unwrap().into(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("maintainer".into(), "someone".into(), "text/plain".into()),
            (
                "quay.expires-after".into(),
                "2h".into(),
                "text/plain".into()
            ),
            (
                "settings".into(),
                "{\"a\": 1}".into(),
                "application/json".into()
            ),
        ]
    );
    let expiry = labels
        .iter()
        .find(|l| l["key"] == "quay.expires-after")
        .unwrap();
    let one = format!("{BASE}/{digest}/labels/{}", expiry["id"].as_str().unwrap());
    let r = repo.h.delete(&one, Some(&repo.api)).await;
    rejected(&r, "Cannot delete immutable label");
    let r = repo.h.get(&one, Some(&repo.api)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["source_type"], "manifest");
    assert_eq!(repo.labels(&digest, "?filter=quay.").await.len(), 1);
}

#[actix_web::test]
async fn expiry_labels_that_do_not_parse_or_bad_configs_change_nothing() {
    let repo = Repo::new().await;
    repo.push("bad", json!({"quay.expires-after": "soon"}), "v1")
        .await;
    // A config that is not JSON: the push works, there are no labels.
    let digest = repo.push_with_config("raw", b"not json at all", "v2").await;
    let r = repo
        .h
        .get("/api/v1/repository/admin/app/tag/", Some(&repo.api))
        .await;
    for tag in r.body["tags"].as_array().unwrap() {
        assert!(tag.get("end_ts").is_none(), "{tag}");
    }
    assert!(repo.labels(&digest, "").await.is_empty());
    // Its layers are listed without history.
    let r = repo
        .h
        .get(&format!("{BASE}/{digest}"), Some(&repo.api))
        .await;
    assert_eq!(r.body["layers"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["layers"][0]["command"], Value::Null);
}

#[actix_web::test]
async fn an_index_expires_when_every_child_says_so() {
    let repo = Repo::new().await;
    let amd = repo
        .push("amd64", json!({"quay.expires-after": "1d"}), "amd")
        .await;
    let arm = repo
        .push("arm64", json!({"quay.expires-after": "1d"}), "arm")
        .await;
    let odd = repo
        .push("odd", json!({"quay.expires-after": "2d"}), "odd")
        .await;
    let index = |children: &[&String]| {
        let manifests: Vec<Value> = children
            .iter()
            .map(|d| json!({"mediaType": DOCKER, "digest": d, "size": 1, "platform": {"architecture": "amd64", "os": "linux"}}))
            .collect();
        serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": manifests}),
        )
        .unwrap()
    };
    for (tag, children) in [("same", vec![&amd, &arm]), ("mixed", vec![&amd, &odd])] {
        let body = index(&children);
        let r = push_manifest(
            &repo.h,
            &repo.registry,
            "admin/app",
            tag,
            DOCKER_LIST,
            &body,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let r = repo
        .h
        .get(
            "/api/v1/repository/admin/app/tag/?specificTag=same",
            Some(&repo.api),
        )
        .await;
    let t = &r.body["tags"][0];
    assert_eq!(
        t["end_ts"].as_i64().unwrap(),
        t["start_ts"].as_i64().unwrap() + 86_400
    );
    let r = repo
        .h
        .get(
            "/api/v1/repository/admin/app/tag/?specificTag=mixed",
            Some(&repo.api),
        )
        .await;
    assert!(r.body["tags"][0].get("end_ts").is_none(), "{}", r.body);
}

#[actix_web::test]
async fn security_without_a_scanner_is_a_downstream_issue() {
    let repo = Repo::new().await;
    let digest = repo.push("sec", json!({}), "v1").await;
    let path = format!("{BASE}/{digest}/security?vulnerabilities=true");
    let r = repo.h.get(&path, Some(&repo.api)).await;
    assert_error(
        &r,
        520,
        "downstream_issue",
        "security scanner misconfigured",
    );
    let absent = Digest::of(b"nothing");
    let r = repo
        .h
        .get(&format!("{BASE}/{absent}/security"), Some(&repo.api))
        .await;
    assert_error(&r, 404, "not_found", "Not Found");
    let r = repo.h.get(&path, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Without FEATURE_SECURITY_SCANNER the endpoint does not exist.
    let off = Harness::new().await;
    let token = off.initialize("admin").await;
    let r = off.get(&path, Some(&token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn anonymous_outsiders_readers_and_writers() {
    let repo = Repo::new().await;
    let digest = repo.push("perm", json!({"from": "config"}), "v1").await;
    let (_, outsider) = repo.h.user("outsider", ALL_SCOPES).await;
    let (_, reader) = repo.h.user("reader", ALL_SCOPES).await;
    let (writer_id, writer) = repo.h.user("writer", ALL_SCOPES).await;
    for (who, role) in [("reader", "read"), ("writer", "write")] {
        let r = repo
            .h
            .put(
                &format!("/api/v1/repository/admin/app/permissions/user/{who}"),
                Some(&repo.api),
                json!({"role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let label = json!({"key": "k", "value": "v", "media_type": null});
    let absent = Digest::of(b"nothing").to_string();
    let some_label = repo.labels(&digest, "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest = format!("{BASE}/{digest}");
    let labels = format!("{BASE}/{digest}/labels");
    let one = format!("{labels}/{some_label}");
    let missing_repo = format!("/api/v1/repository/admin/nothing/manifest/{digest}");

    // Reads: anonymous 401, outsiders 403 (also for a repository that is not there),
    // readers and writers 200.
    for path in [&manifest, &labels, &one] {
        assert_eq!(
            repo.h.get(path, None).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_eq!(
            repo.h.get(path, Some(&outsider)).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            repo.h.get(path, Some(&reader)).await.status,
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            repo.h.get(path, Some(&writer)).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(
        repo.h.get(&missing_repo, Some(&outsider)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        repo.h.get(&missing_repo, Some(&repo.api)).await.status,
        StatusCode::NOT_FOUND
    );

    // Changes: anonymous 401 and readers 403 before the body or the manifest is looked
    // at; writers get as far as the manifest.
    let r = repo
        .h
        .call(
            actix_web::http::Method::POST,
            &labels,
            None,
            Some("not json"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = repo
        .h
        .call(
            actix_web::http::Method::POST,
            &labels,
            Some(&reader),
            Some("not json"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = repo
        .h
        .post(
            &format!("{BASE}/{absent}/labels"),
            Some(&outsider),
            label.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = repo
        .h
        .post(
            &format!("{BASE}/{absent}/labels"),
            Some(&writer),
            label.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        repo.h.delete(&one, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        repo.h.delete(&one, Some(&reader)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        repo.h.delete(&one, Some(&outsider)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = repo.h.post(&labels, Some(&writer), label).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let added = format!("{labels}/{}", r.body["label"]["id"].as_str().unwrap());
    assert_eq!(
        repo.h.delete(&added, Some(&writer)).await.status,
        StatusCode::NO_CONTENT
    );
    // A token without repo:write cannot add labels, whatever its user may do.
    let read_only = repo.h.token(writer_id, "repo:read").await;
    let r = repo
        .h
        .post(
            &labels,
            Some(&read_only),
            json!({"key": "k", "value": "v", "media_type": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A public repository's manifest and labels are readable by anyone.
    let r = repo
        .h
        .post(
            "/api/v1/repository/admin/app/changevisibility",
            Some(&repo.api),
            json!({"visibility": "public"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    for path in [&manifest, &labels, &one] {
        assert_eq!(
            repo.h.get(path, None).await.status,
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            repo.h.get(path, Some(&outsider)).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    let r = repo.h.get(&format!("{manifest}/security"), None).await;
    assert_eq!(r.status.as_u16(), 520);
}
