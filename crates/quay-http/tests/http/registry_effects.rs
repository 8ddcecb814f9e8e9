//! What the registry does besides moving bytes: the catalog, audit entries of pushes,
//! pulls and deletions, manifests that are gone once deleted, and the refusals that
//! come from the namespace or the instance (disabled namespace, read-only registry,
//! quota).

use std::sync::Arc;

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use actix_web::web::Data;
use async_trait::async_trait;
use quay_core::config::Config;
use quay_core::DomainResult;
use quay_http::AppState;
use quay_logs::{LogEntry, LogStore};
use quay_repos::quota::NamespaceQuota;
use quay_storage::Digest;
use serde_json::{json, Value};

const OCI: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

async fn create_repo(h: &Harness, token: &str, namespace: &str, name: &str, visibility: &str) {
    let r = h
        .post(
            "/api/v1/repository",
            Some(token),
            json!({"namespace": namespace, "repository": name, "description": "", "visibility": visibility}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

async fn push_blob(h: &Harness, repo: &str, token: &str, bytes: &[u8]) -> Reply {
    send(
        h,
        Method::POST,
        &format!("/v2/{repo}/blobs/uploads/?digest={}", Digest::of(bytes)),
        Some(token),
        &[],
        bytes,
    )
    .await
}

/// Pushes a one-layer OCI image (`subject`: an artifact about that manifest) under
/// `reference`; returns the manifest bytes.
async fn push_image(
    h: &Harness,
    repo: &str,
    token: &str,
    reference: &str,
    seed: &str,
    subject: Option<&Value>,
) -> Vec<u8> {
    let config = format!("{{\"seed\": \"{seed}\"}}");
    let layer = format!("layer of {seed}");
    for bytes in [config.as_bytes(), layer.as_bytes()] {
        let r = push_blob(h, repo, token, bytes).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let mut manifest = json!({
        "schemaVersion": 2, "mediaType": OCI,
        "config": {"mediaType": CONFIG, "digest": Digest::of(config.as_bytes()).as_str(), "size": config.len()},
        "layers": [{"mediaType": LAYER, "digest": Digest::of(layer.as_bytes()).as_str(), "size": layer.len()}],
    });
    if let Some(s) = subject {
        manifest["subject"] = s.clone();
    }
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let r = send(
        h,
        Method::PUT,
        &format!("/v2/{repo}/manifests/{reference}"),
        Some(token),
        &[("Content-Type", OCI)],
        &bytes,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    bytes
}

async fn logs(h: &Harness, namespace: &str) -> Vec<LogEntry> {
    let store = quay_persistence::SqlStore::new(h.t.db.clone());
    let mut entries = store
        .namespace_logs(h.namespace_id(namespace).await, 100)
        .await
        .unwrap();
    entries.reverse();
    entries
}

fn json_body(r: &Reply) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

#[actix_web::test]
async fn the_catalog_lists_what_the_token_may_read_in_pages() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    for name in ["a1", "a2", "a3"] {
        create_repo(&h, &admin, "admin", name, "private").await;
    }
    create_repo(&h, &admin, "admin", "open", "public").await;
    let (_, other) = h.user("other", ALL_SCOPES).await;
    create_repo(&h, &other, "other", "mine", "private").await;
    let r = h
        .put(
            "/api/v1/repository/admin/a2/permissions/user/other",
            Some(&admin),
            json!({"role": "read"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The catalog scope is accepted (Quay refuses it with a 400) and changes nothing.
    let admin_token = registry_token(&h, "admin", "password", &["registry:catalog:*"]).await;
    let other_token = registry_token(&h, "$oauthtoken", &other, &[]).await;

    let r = send(
        &h,
        Method::GET,
        "/v2/_catalog",
        Some(&admin_token),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        json_body(&r),
        json!({"repositories": ["admin/a1", "admin/a2", "admin/a3", "admin/open"]})
    );
    let r = send(
        &h,
        Method::GET,
        "/v2/_catalog",
        Some(&other_token),
        &[],
        b"",
    )
    .await;
    assert_eq!(
        json_body(&r),
        json!({"repositories": ["admin/a2", "other/mine"]}),
        "granted and own repositories, not public ones without FEATURE_PUBLIC_CATALOG"
    );
    // Anonymous callers see nothing (nothing is public in the catalog by default).
    let r = send(&h, Method::GET, "/v2/_catalog", None, &[], b"").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(json_body(&r), json!({"repositories": []}));
    // An invalid token is refused with a challenge for the catalog scope.
    let r = send(&h, Method::GET, "/v2/_catalog", Some("not-a-jwt"), &[], b"").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header("WWW-Authenticate").contains("registry:catalog:*"));

    // Pages: follow the Link header until it ends.
    let mut seen = Vec::new();
    let mut next = Some("/v2/_catalog?n=3".to_string());
    while let Some(path) = next.take() {
        let r = send(&h, Method::GET, &path, Some(&admin_token), &[], b"").await;
        assert_eq!(r.status, StatusCode::OK);
        let names = json_body(&r)["repositories"].as_array().unwrap().clone();
        assert!(names.len() <= 3);
        seen.extend(names);
        let link = r.header("Link");
        if !link.is_empty() {
            let url = link.trim_start_matches('<').split('>').next().unwrap();
            next = Some(url.to_string());
        }
    }
    assert_eq!(
        seen,
        vec!["admin/a1", "admin/a2", "admin/a3", "admin/open"],
        "every repository once, in order"
    );
    let r = send(
        &h,
        Method::GET,
        "/v2/_catalog?next_page=bogus",
        Some(&admin_token),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "INVALID_REQUEST");

    // With FEATURE_PUBLIC_CATALOG, public repositories are listed to everyone.
    let public = h.replica(Config {
        feature_public_catalog: true,
        ..Config::default()
    });
    let r = send(&public, Method::GET, "/v2/_catalog", None, &[], b"").await;
    assert_eq!(json_body(&r), json!({"repositories": ["admin/open"]}));
    let r = send(
        &public,
        Method::GET,
        "/v2/_catalog",
        Some(&other_token),
        &[],
        b"",
    )
    .await;
    assert_eq!(
        json_body(&r),
        json!({"repositories": ["admin/a2", "admin/open", "other/mine"]})
    );
}

#[actix_web::test]
async fn pushes_pulls_and_deletions_are_audited() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    create_repo(&h, &admin, "admin", "app", "private").await;
    let scope = ["repository:admin/app:pull,push"];
    let token = registry_token(&h, "admin", "password", &scope).await;
    let manifest = push_image(&h, "admin/app", &token, "v1", "one", None).await;
    let digest = Digest::of(&manifest);
    // A push by digest is part of a larger push: Quay audits only tagged pushes.
    let untagged = push_image(&h, "admin/app", &token, "v2", "two", None).await;
    let r = send(
        &h,
        Method::PUT,
        &format!("/v2/admin/app/manifests/{}", Digest::of(&untagged)),
        Some(&token),
        &[("Content-Type", OCI)],
        &untagged,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);

    for path in [
        "/v2/admin/app/manifests/v1".to_string(),
        format!("/v2/admin/app/manifests/{digest}"),
    ] {
        let r = send(
            &h,
            Method::GET,
            &path,
            Some(&token),
            &[("User-Agent", "skopeo/1.9")],
            b"",
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // A robot pulls: the robot is the performer.
    let r = h
        .put("/api/v1/user/robots/ci", Some(&admin), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let robot_token = r.body["token"].as_str().unwrap().to_string();
    let r = h
        .put(
            "/api/v1/repository/admin/app/permissions/user/admin+ci",
            Some(&admin),
            json!({"role": "read"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let robot = registry_token(&h, "admin+ci", &robot_token, &["repository:admin/app:pull"]).await;
    let r = send(
        &h,
        Method::HEAD,
        "/v2/admin/app/manifests/v1",
        Some(&robot),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // Deleting the manifest deletes its tags, each audited.
    let r = send(
        &h,
        Method::PUT,
        "/v2/admin/app/manifests/also-v1",
        Some(&token),
        &[("Content-Type", OCI)],
        &manifest,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = send(
        &h,
        Method::DELETE,
        &format!("/v2/admin/app/manifests/{digest}"),
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);

    let admin_id = h.namespace_id("admin").await;
    let robot_id = h.namespace_id("admin+ci").await;
    let repo_entries: Vec<LogEntry> = logs(&h, "admin")
        .await
        .into_iter()
        .filter(|e| e.kind.ends_with("_repo") || e.kind == "delete_tag")
        .filter(|e| e.kind != "create_repo")
        .collect();
    let summary: Vec<(String, Option<i64>, Value)> = repo_entries
        .iter()
        .map(|e| {
            let mut m = e.metadata.clone();
            m.as_object_mut().unwrap().remove("user-agent");
            (e.kind.clone(), e.performer_id, m)
        })
        .collect();
    let who = json!({"repo": "app", "namespace": "admin", "username": "admin"});
    let with = |extra: Value| {
        let mut m = who.clone();
        m.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        m
    };
    let mut expected = vec![
        (
            "push_repo".to_string(),
            Some(admin_id),
            with(json!({"tag": "v1"})),
        ),
        (
            "push_repo".to_string(),
            Some(admin_id),
            with(json!({"tag": "v2"})),
        ),
        (
            "pull_repo".to_string(),
            Some(admin_id),
            with(json!({"tag": "v1"})),
        ),
        (
            "pull_repo".to_string(),
            Some(admin_id),
            with(json!({"manifest_digest": digest.as_str()})),
        ),
        (
            "pull_repo".to_string(),
            Some(robot_id),
            json!({"repo": "app", "namespace": "admin", "robot": "admin+ci", "tag": "v1"}),
        ),
        (
            "push_repo".to_string(),
            Some(admin_id),
            with(json!({"tag": "also-v1"})),
        ),
    ];
    let deletes: Vec<_> = summary.iter().skip(expected.len()).cloned().collect();
    let mut tags: Vec<String> = deletes
        .iter()
        .map(|(kind, performer, m)| {
            assert_eq!(kind, "delete_tag");
            assert_eq!(*performer, Some(admin_id));
            assert_eq!(m["digest"], digest.as_str());
            m["tag"].as_str().unwrap().to_string()
        })
        .collect();
    tags.sort();
    assert_eq!(tags, ["also-v1", "v1"]);
    expected.truncate(summary.len() - deletes.len());
    assert_eq!(summary[..expected.len()], expected[..]);
    assert_eq!(repo_entries[2].metadata["user-agent"], "skopeo/1.9");
    assert!(repo_entries.iter().all(|e| e.repository_id.is_some()));
}

#[actix_web::test]
async fn deleted_and_expired_manifests_are_gone() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    create_repo(&h, &admin, "admin", "app", "private").await;
    let token = registry_token(&h, "admin", "password", &["repository:admin/app:pull,push"]).await;
    let get = |path: String| {
        let h = &h;
        let token = token.clone();
        async move { send(h, Method::GET, &path, Some(&token), &[], b"").await }
    };
    let manifest = push_image(&h, "admin/app", &token, "latest", "one", None).await;
    let digest = Digest::of(&manifest);
    // An artifact about it, pushed by digest, found by the referrers API.
    let subject = json!({"mediaType": OCI, "digest": digest.as_str(), "size": manifest.len()});
    let probe = push_image(&h, "admin/app", &token, "probe", "sig", Some(&subject)).await;
    let artifact_digest = Digest::of(&probe);
    let r = send(
        &h,
        Method::PUT,
        &format!("/v2/admin/app/manifests/{artifact_digest}"),
        Some(&token),
        &[("Content-Type", OCI)],
        &probe,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = send(
        &h,
        Method::DELETE,
        "/v2/admin/app/manifests/probe",
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "tags are deleted through the digest"
    );

    let r = send(
        &h,
        Method::DELETE,
        &format!("/v2/admin/app/manifests/{digest}"),
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    for path in [
        format!("/v2/admin/app/manifests/{digest}"),
        "/v2/admin/app/manifests/latest".to_string(),
    ] {
        let r = get(path.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        // A tag that was deleted is expired (Quay's TAG_EXPIRED), a digest unknown.
        let code = if path.ends_with("latest") {
            "TAG_EXPIRED"
        } else {
            "MANIFEST_UNKNOWN"
        };
        assert_eq!(r.error_code(), code, "{path}");
    }
    let r = send(
        &h,
        Method::DELETE,
        &format!("/v2/admin/app/manifests/{digest}"),
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a second delete");
    assert_eq!(r.error_code(), "MANIFEST_UNKNOWN");
    let r = get("/v2/admin/app/tags/list".into()).await;
    assert_eq!(
        json_body(&r),
        json!({"name": "admin/app", "tags": ["probe"]}),
        "hidden tags of pushes by digest are never listed"
    );
    // The artifact pushed by digest stays, and is still a referrer.
    let r = get(format!("/v2/admin/app/manifests/{artifact_digest}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = get(format!("/v2/admin/app/referrers/{digest}")).await;
    assert_eq!(
        json_body(&r)["manifests"][0]["digest"],
        artifact_digest.as_str()
    );
    // Pushing the same bytes again brings the manifest back.
    let r = send(
        &h,
        Method::PUT,
        &format!("/v2/admin/app/manifests/{digest}"),
        Some(&token),
        &[("Content-Type", OCI)],
        &manifest,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = get(format!("/v2/admin/app/manifests/{digest}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, manifest);

    // A plain manifest pushed by digest lives PUSH_TEMP_TAG_EXPIRATION_SEC unless
    // something tags it: with 0 it is gone at once.
    let brief = h.replica(Config {
        push_temp_tag_expiration_sec: 0,
        ..Config::default()
    });
    let other = push_image(&brief, "admin/app", &token, "keep", "two", None).await;
    let other_digest = Digest::of(&other);
    let r = send(
        &brief,
        Method::DELETE,
        &format!("/v2/admin/app/manifests/{other_digest}"),
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = send(
        &brief,
        Method::PUT,
        &format!("/v2/admin/app/manifests/{other_digest}"),
        Some(&token),
        &[("Content-Type", OCI)],
        &other,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = get(format!("/v2/admin/app/manifests/{other_digest}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn disabled_namespaces_and_read_only_registries_refuse_with_denied() {
    let config = Config {
        cache_ttl_ms: 0,
        super_users: vec!["admin".into()],
        ..Config::default()
    };
    let h = Harness::with_config(config.clone()).await;
    let admin = h.initialize("admin").await;
    create_repo(&h, &admin, "admin", "app", "public").await;
    let (_, other) = h.user("other", ALL_SCOPES).await;
    create_repo(&h, &other, "other", "thing", "public").await;
    let token = registry_token(&h, "admin", "password", &["repository:admin/app:pull,push"]).await;
    push_image(&h, "admin/app", &token, "latest", "one", None).await;
    let pull_other =
        registry_token(&h, "admin", "password", &["repository:other/thing:pull"]).await;

    // Read-only: pulls work, writes are DENIED with `is_readonly`, nothing is created.
    let readonly = h.replica(Config {
        registry_state: "readonly".into(),
        ..config.clone()
    });
    let r = send(
        &readonly,
        Method::GET,
        "/v2/admin/app/manifests/latest",
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    for (method, path) in [
        (Method::POST, "/v2/admin/app/blobs/uploads/"),
        (Method::PUT, "/v2/admin/app/manifests/v2"),
        (
            Method::DELETE,
            "/v2/admin/app/manifests/sha256:0000000000000000000000000000000000000000000000000000000000000000",
        ),
    ] {
        let r = send(&readonly, method, path, Some(&token), &[], b"{}").await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        let body = json_body(&r);
        assert_eq!(body["errors"][0]["code"], "DENIED");
        assert_eq!(body["errors"][0]["is_readonly"], true);
    }
    let t = registry_token(
        &readonly,
        "admin",
        "password",
        &["repository:admin/new:push"],
    )
    .await;
    assert!(t.len() > 10);
    let r = h.get("/api/v1/repository/admin/new", Some(&admin)).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "no repository created on push"
    );

    // A disabled namespace: tokens are refused, and so are requests with older ones.
    let r = h
        .put(
            "/api/v1/superuser/users/other",
            Some(&admin),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "admin:password")
    );
    for scope in ["repository:other/thing:pull", "repository:other/new:push"] {
        let r = h
            .call_with(
                Method::GET,
                &format!("/v2/auth?service=localhost:8080&scope={scope}"),
                &[("Authorization", auth.clone())],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{scope}");
        assert_eq!(r.body["errors"][0]["code"], "DENIED");
        assert_eq!(
            r.body["errors"][0]["message"],
            "This namespace is disabled. Please contact your system administrator."
        );
    }
    for token in [Some(pull_other.as_str()), None] {
        let r = send(
            &h,
            Method::GET,
            "/v2/other/thing/tags/list",
            token,
            &[],
            b"",
        )
        .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.error_code(), "DENIED");
    }
    // Other namespaces are unaffected.
    let r = send(&h, Method::GET, "/v2/admin/app/tags/list", None, &[], b"").await;
    assert_eq!(r.status, StatusCode::OK);
}

/// A quota that refuses anything over `limit` bytes per push.
struct Limit(u64);

#[async_trait]
impl NamespaceQuota for Limit {
    async fn allows(&self, _namespace_id: i64, additional_bytes: u64) -> DomainResult<bool> {
        Ok(additional_bytes <= self.0)
    }
}

#[actix_web::test]
async fn the_namespace_quota_is_asked_before_bytes_are_kept() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    create_repo(&h, &admin, "admin", "app", "private").await;
    let token = registry_token(&h, "admin", "password", &["repository:admin/app:pull,push"]).await;
    let state = AppState::new(Config::default(), h.t.db.clone(), b"test-secret", None)
        .with_namespace_quota(Arc::new(Limit(10)));
    let limited = Harness {
        t: h.t.clone(),
        state: Data::new(state),
    };
    let small = b"tiny";
    let r = push_blob(&limited, "admin/app", &token, small).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let big = b"more than ten bytes";
    let r = push_blob(&limited, "admin/app", &token, big).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let body = json_body(&r);
    assert_eq!(body["errors"][0]["code"], "DENIED");
    assert_eq!(
        body["errors"][0]["message"],
        "Quota has been exceeded on namespace"
    );
    let r = send(
        &limited,
        Method::HEAD,
        &format!("/v2/admin/app/blobs/{}", Digest::of(big)),
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "the refused blob is not kept"
    );
    // A mount adds the blob to the namespace too.
    create_repo(&h, &admin, "admin", "source", "private").await;
    let both = registry_token(
        &h,
        "admin",
        "password",
        &[
            "repository:admin/app:pull,push",
            "repository:admin/source:pull,push",
        ],
    )
    .await;
    let r = push_blob(&h, "admin/source", &both, big).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = send(
        &limited,
        Method::POST,
        &format!(
            "/v2/admin/app/blobs/uploads/?mount={}&from=admin/source",
            Digest::of(big)
        ),
        Some(&both),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "DENIED");
    // Manifests count too.
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI,
        "config": {"mediaType": CONFIG, "digest": Digest::of(small).as_str(), "size": small.len()},
        "layers": [],
    }))
    .unwrap();
    let r = send(
        &limited,
        Method::PUT,
        "/v2/admin/app/manifests/latest",
        Some(&token),
        &[("Content-Type", OCI)],
        &manifest,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &h,
        Method::GET,
        "/v2/admin/app/tags/list",
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(json_body(&r)["tags"], json!([]));
}
