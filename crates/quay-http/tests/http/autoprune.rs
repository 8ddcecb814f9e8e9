//! Auto-prune policies: the organization, user and repository endpoints (views,
//! statuses, Quay's messages, who may call them, the feature gate), and the worker's
//! pass over real tags (what it keeps, what it prunes, its log entries, the time machine).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use chrono::Utc;
use quay_core::config::Config;
use quay_logs::LogStore;
use quay_persistence::testing::{query_texts, set_tag_start};
use quay_storage::Digest;
use serde_json::{json, Value};

const DOCKER: &str = "application/vnd.docker.distribution.manifest.v2+json";
const UNKNOWN_ROUTE: &str = "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.";
const DAY_MS: i64 = 86_400_000;

fn config() -> Config {
    Config {
        feature_auto_prune: true,
        ..Config::default()
    }
}

/// An installation with the feature on: `admin` (all scopes) owning the repositories
/// `admin/app` and `admin/other` and administering the organization `acme`.
struct Setup {
    h: Harness,
    api: String,
}

impl Setup {
    async fn new() -> Setup {
        Self::with_config(config()).await
    }

    async fn with_config(config: Config) -> Setup {
        let h = Harness::with_config(config).await;
        let api = h.initialize("admin").await;
        for repo in ["app", "other"] {
            let r = h
                .post(
                    "/api/v1/repository",
                    Some(&api),
                    json!({"namespace": "admin", "repository": repo, "description": "", "visibility": "private"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let r = h
            .post(
                "/api/v1/organization/",
                Some(&api),
                json!({"name": "acme", "email": "acme@example.com"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        Setup { h, api }
    }

    async fn registry(&self, repo: &str) -> String {
        registry_token(
            &self.h,
            "admin",
            "password",
            &[&format!("repository:admin/{repo}:pull,push")],
        )
        .await
    }

    async fn blob(&self, repo: &str, token: &str, bytes: &[u8]) -> Value {
        let digest = Digest::of(bytes);
        let r = send(
            &self.h,
            Method::POST,
            &format!("/v2/admin/{repo}/blobs/uploads/?digest={digest}"),
            Some(token),
            &[],
            bytes,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        json!({"digest": digest.as_str(), "size": bytes.len()})
    }

    /// Pushes an image to `admin/{repo}` by `reference` (a tag, or `None`: by digest);
    /// its digest.
    async fn push(&self, repo: &str, seed: &str, reference: Option<&str>) -> String {
        let token = self.registry(repo).await;
        let mut config = self
            .blob(repo, &token, format!("{{\"c\": \"{seed}\"}}").as_bytes())
            .await;
        config["mediaType"] = json!("application/vnd.docker.container.image.v1+json");
        let mut layer = self
            .blob(repo, &token, format!("{seed} layer").as_bytes())
            .await;
        layer["mediaType"] = json!("application/vnd.docker.image.rootfs.diff.tar.gzip");
        let body = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": DOCKER, "config": config, "layers": [layer],
        }))
        .unwrap();
        let digest = Digest::of(&body).to_string();
        let r = send(
            &self.h,
            Method::PUT,
            &format!(
                "/v2/admin/{repo}/manifests/{}",
                reference.unwrap_or(&digest)
            ),
            Some(&token),
            &[("Content-Type", DOCKER)],
            &body,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        digest
    }

    /// Tags `names` on one image pushed to `admin/{repo}` as `base` (list it too), each
    /// started `age_days` days ago, a second apart in list order (the first is the
    /// newest); the digest.
    async fn tags(&self, repo: &str, names: &[(&str, i64)]) -> String {
        let digest = self.push(repo, repo, Some("base")).await;
        let now = Utc::now().timestamp_millis();
        for (i, (name, age_days)) in names.iter().enumerate() {
            if *name != "base" {
                let r = self
                    .h
                    .put(
                        &format!("/api/v1/repository/admin/{repo}/tag/{name}"),
                        Some(&self.api),
                        json!({"manifest_digest": digest}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            }
            let start = now - age_days * DAY_MS - 1000 * (i as i64 + 1);
            set_tag_start(&self.h.t.db, &format!("admin/{repo}"), name, start).await;
        }
        digest
    }

    /// The live tag names of `admin/{repo}`.
    async fn live(&self, repo: &str) -> BTreeSet<String> {
        let r = self
            .h
            .get(
                &format!("/api/v1/repository/admin/{repo}/tag/?onlyActiveTags=true&limit=100"),
                Some(&self.api),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    }

    async fn policy(&self, path: &str, body: Value) -> String {
        let r = self.h.post(path, Some(&self.api), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["uuid"].as_str().unwrap().to_string()
    }

    async fn prune(&self) -> u64 {
        self.h.state.autopruner.run_once().await.unwrap().pruned
    }

    /// The `autoprune_tag_delete` entries of `admin`: (repo, tag), oldest first.
    async fn prune_logs(&self) -> Vec<(String, String)> {
        let id = self.h.namespace_id("admin").await;
        let store = quay_persistence::SqlStore::new(self.h.t.db.clone());
        let mut logs: Vec<_> = store
            .namespace_logs(id, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.kind == "autoprune_tag_delete")
            .map(|l| {
                assert_eq!(l.performer_id, None);
                assert!(l.repository_id.is_some());
                assert_eq!(l.metadata["performer"], "autoprune worker");
                assert_eq!(l.metadata["namespace"], "admin");
                (
                    l.metadata["repo"].as_str().unwrap().to_string(),
                    l.metadata["tag"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        logs.reverse();
        logs
    }
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[actix_web::test]
async fn organization_policies_are_created_listed_changed_and_deleted() {
    let s = Setup::new().await;
    let base = "/api/v1/organization/acme/autoprunepolicy/";
    let r = s.h.get(base, Some(&s.api)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"policies": []}));

    let uuid = s
        .policy(base, json!({"method": "number_of_tags", "value": 10}))
        .await;
    let r = s.h.get(base, Some(&s.api)).await;
    let view = json!({"uuid": uuid, "method": "number_of_tags", "value": 10, "tagPattern": null, "tagPatternMatches": true});
    assert_eq!(r.body, json!({"policies": [view.clone()]}));
    let keys: Vec<&str> = r.body["policies"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["uuid", "method", "value", "tagPattern", "tagPatternMatches"]
    );
    let one = format!("{base}{uuid}");
    let r = s.h.get(&one, Some(&s.api)).await;
    assert_eq!((r.status, r.body), (StatusCode::OK, view));

    // Quay 3.11: one policy per namespace.
    let r =
        s.h.post(
            base,
            Some(&s.api),
            json!({"method": "creation_date", "value": "5d"}),
        )
        .await;
    assert_error(
        &r,
        400,
        "invalid_request",
        "Policy for this namespace already exists, delete existing to create new policy",
    );

    let r = s
        .h
        .put(
            &one,
            Some(&s.api),
            json!({"method": "creation_date", "value": "5d", "tagPattern": "^dev-", "tagPatternMatches": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.body, Value::Null);
    let r = s.h.get(&one, Some(&s.api)).await;
    assert_eq!(
        r.body,
        json!({"uuid": uuid, "method": "creation_date", "value": "5d", "tagPattern": "^dev-", "tagPatternMatches": false})
    );

    // Deleting answers 200 with the uuid; then it is gone.
    let r = s.h.delete(&one, Some(&s.api)).await;
    assert_eq!((r.status, r.body), (StatusCode::OK, json!({"uuid": uuid})));
    let r = s.h.get(&one, Some(&s.api)).await;
    assert_error(&r, 404, "not_found", "Not Found");
    let r = s.h.delete(&one, Some(&s.api)).await;
    assert_error(&r, 404, "not_found", "Not Found");
    let r =
        s.h.put(
            &one,
            Some(&s.api),
            json!({"method": "number_of_tags", "value": 1}),
        )
        .await;
    assert_error(&r, 404, "not_found", "Not Found");

    let acme = s.h.namespace_id("acme").await;
    let kinds = s.h.log_kinds(acme).await;
    assert!(kinds.ends_with(&[
        "create_namespace_autoprune_policy".to_string(),
        "update_namespace_autoprune_policy".to_string(),
        "delete_namespace_autoprune_policy".to_string(),
    ]));
    let store = quay_persistence::SqlStore::new(s.h.t.db.clone());
    let logs = store.namespace_logs(acme, 3).await.unwrap();
    assert_eq!(
        logs[0].metadata,
        json!({"policy_uuid": uuid, "namespace": "acme"})
    );
    assert_eq!(
        logs[1].metadata,
        json!({"method": "creation_date", "value": "5d", "tag_pattern": "^dev-", "tag_pattern_matches": false, "namespace": "acme"})
    );
    assert!(logs[1].performer_id.is_some());
}

#[actix_web::test]
async fn bad_bodies_get_quays_messages() {
    let s = Setup::new().await;
    let base = "/api/v1/organization/acme/autoprunepolicy/";
    for (body, detail) in [
        (
            json!({"method": "weekly", "value": 3}),
            "Invalid method provided",
        ),
        (
            json!({"method": "number_of_tags", "value": 0}),
            "Invalid value given for method type",
        ),
        (
            json!({"method": "number_of_tags", "value": -2}),
            "Invalid value given for method type",
        ),
        (
            json!({"method": "number_of_tags", "value": "10"}),
            "Invalid value given for method type",
        ),
        (
            json!({"method": "creation_date", "value": "5x"}),
            "Invalid value given for method type",
        ),
        (
            json!({"method": "creation_date", "value": "five days"}),
            "Invalid value given for method type",
        ),
        (
            json!({"method": "creation_date", "value": 5}),
            "Invalid value given for method type",
        ),
        (
            json!({"method": "creation_date", "value": "5d", "tagPattern": "v[1"}),
            "tag_pattern must be a valid regular expression",
        ),
        (
            json!({"method": "creation_date", "value": "5d", "tagPattern": " "}),
            "tag_pattern cannot be empty",
        ),
        (
            json!({"method": "creation_date", "value": "5d", "tagPattern": 7}),
            "tag_pattern must be string",
        ),
        (
            json!({"method": "creation_date", "value": "5d", "tagPatternMatches": "no"}),
            "tag_pattern_matches must be bool",
        ),
        (
            json!({"method": "number_of_tags"}),
            "'value' is a required property",
        ),
        (json!({"value": 3}), "'method' is a required property"),
    ] {
        let r = s.h.post(base, Some(&s.api), body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert_eq!(r.body["detail"], detail, "{body}");
    }
    let r =
        s.h.post(base, Some(&s.api), json!({"method": 3, "value": 3}))
            .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = s.h.call(Method::POST, base, Some(&s.api), Some("{")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Nothing was created by any of them; an update is checked the same way.
    let uuid = s
        .policy(base, json!({"method": "number_of_tags", "value": 3}))
        .await;
    let r =
        s.h.put(
            &format!("{base}{uuid}"),
            Some(&s.api),
            json!({"method": "number_of_tags", "value": 0}),
        )
        .await;
    assert_error(
        &r,
        400,
        "invalid_request",
        "Invalid value given for method type",
    );
}

#[actix_web::test]
async fn who_may_call_which_policy_endpoint() {
    let s = Setup::new().await;
    let (_, outsider) = s.h.user("outsider", ALL_SCOPES).await;
    let (_, repo_only) = s.h.user("reponly", "repo:admin").await;
    let org = "/api/v1/organization/acme/autoprunepolicy/";
    let body = json!({"method": "number_of_tags", "value": 3});

    // Anonymous: 401; an outsider: 403, for a missing organization too.
    let r = s.h.get(org, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = s.h.post(org, None, body.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for path in [org, "/api/v1/organization/ghost/autoprunepolicy/"] {
        let r = s.h.get(path, Some(&outsider)).await;
        assert_error(&r, 403, "insufficient_scope", "Unauthorized");
        let r = s.h.post(path, Some(&outsider), body.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    // A token without `org:admin` cannot reach it.
    let r = s.h.get(org, Some(&repo_only)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Another user's namespace is not theirs; their own is, by name too.
    let r =
        s.h.get(
            "/api/v1/organization/admin/autoprunepolicy/",
            Some(&outsider),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r =
        s.h.get(
            "/api/v1/organization/outsider/autoprunepolicy/",
            Some(&outsider),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Nobody administers a missing organization; the admin of one gets 404 for a
    // missing policy.
    let r =
        s.h.get("/api/v1/organization/ghost/autoprunepolicy/", Some(&s.api))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s.h.get(&format!("{org}nosuchuuid"), Some(&s.api)).await;
    assert_error(&r, 404, "not_found", "Not Found");

    // Repository policies: repository admins only; permission before existence.
    let repo = "/api/v1/repository/admin/app/autoprunepolicy/";
    let r = s.h.get(repo, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for path in [repo, "/api/v1/repository/admin/ghost/autoprunepolicy/"] {
        let r = s.h.get(path, Some(&outsider)).await;
        assert_error(&r, 403, "insufficient_scope", "Unauthorized");
    }
    let r =
        s.h.get(
            "/api/v1/repository/admin/ghost/autoprunepolicy/",
            Some(&s.api),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r =
        s.h.post(
            "/api/v1/repository/admin/ghost/autoprunepolicy/",
            Some(&s.api),
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s.h.post(repo, None, body.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // The user endpoints: any user, for their own namespace only.
    let r = s.h.get("/api/v1/user/autoprunepolicy/", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let mine = s
        .policy("/api/v1/user/autoprunepolicy/", body.clone())
        .await;
    let r =
        s.h.get(
            &format!("/api/v1/user/autoprunepolicy/{mine}"),
            Some(&outsider),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r =
        s.h.delete(
            &format!("/api/v1/user/autoprunepolicy/{mine}"),
            Some(&outsider),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r =
        s.h.get("/api/v1/user/autoprunepolicy/", Some(&outsider))
            .await;
    assert_eq!(r.body, json!({"policies": []}));
}

#[actix_web::test]
async fn superusers_act_where_quay_lets_them() {
    let s = Setup::with_config(Config {
        super_users: vec!["boss".into()],
        global_readonly_super_users: vec!["auditor".into()],
        feature_superusers_full_access: true,
        ..config()
    })
    .await;
    let (_, boss) = s.h.user("boss", ALL_SCOPES).await;
    let (_, auditor) = s.h.user("auditor", ALL_SCOPES).await;
    let body = json!({"method": "number_of_tags", "value": 3});
    for base in [
        "/api/v1/organization/acme/autoprunepolicy/",
        "/api/v1/repository/admin/app/autoprunepolicy/",
    ] {
        let uuid = {
            let r = s.h.post(base, Some(&boss), body.clone()).await;
            assert_eq!(r.status, StatusCode::CREATED, "{base}: {}", r.body);
            r.body["uuid"].as_str().unwrap().to_string()
        };
        let one = format!("{base}{uuid}");
        // Global read-only superusers read, and change nothing.
        let r = s.h.get(base, Some(&auditor)).await;
        assert_eq!(r.body["policies"][0]["uuid"], uuid.as_str(), "{base}");
        let r = s.h.get(&one, Some(&auditor)).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = s.h.put(&one, Some(&auditor), body.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = s.h.delete(&one, Some(&auditor)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = s.h.put(&one, Some(&boss), body.clone()).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = s.h.delete(&one, Some(&boss)).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // Past the permission check, what does not exist is 404.
    let r =
        s.h.get("/api/v1/organization/ghost/autoprunepolicy/", Some(&boss))
            .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn user_and_repository_policies_have_their_own_endpoints() {
    let s = Setup::new().await;
    let user = "/api/v1/user/autoprunepolicy/";
    let uuid = s
        .policy(user, json!({"method": "creation_date", "value": "2w"}))
        .await;
    let r = s.h.get(user, Some(&s.api)).await;
    assert_eq!(
        r.body,
        json!({"policies": [{"uuid": uuid, "method": "creation_date", "value": "2w", "tagPattern": null, "tagPatternMatches": true}]})
    );
    // The same namespace through the organization path.
    let r =
        s.h.get(
            &format!("/api/v1/organization/admin/autoprunepolicy/{uuid}"),
            Some(&s.api),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r =
        s.h.post(
            user,
            Some(&s.api),
            json!({"method": "number_of_tags", "value": 4}),
        )
        .await;
    assert_error(
        &r,
        400,
        "invalid_request",
        "Policy for this namespace already exists, delete existing to create new policy",
    );
    let r =
        s.h.put(
            &format!("{user}{uuid}"),
            Some(&s.api),
            json!({"method": "number_of_tags", "value": 4}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.h.get(&format!("{user}{uuid}"), Some(&s.api)).await;
    assert_eq!(r.body["value"], 4);

    // A repository's policy is not the namespace's, nor another repository's.
    let repo = "/api/v1/repository/admin/app/autoprunepolicy/";
    let r = s.h.get(repo, Some(&s.api)).await;
    assert_eq!(r.body, json!({"policies": []}));
    let ruuid = s
        .policy(
            repo,
            json!({"method": "number_of_tags", "value": 2, "tagPattern": "^v"}),
        )
        .await;
    let r = s.h.get(repo, Some(&s.api)).await;
    assert_eq!(
        r.body,
        json!({"policies": [{"uuid": ruuid, "method": "number_of_tags", "value": 2, "tagPattern": "^v", "tagPatternMatches": true}]})
    );
    let r =
        s.h.post(
            repo,
            Some(&s.api),
            json!({"method": "number_of_tags", "value": 3}),
        )
        .await;
    assert_error(
        &r,
        400,
        "invalid_request",
        "Policy for this repository already exists, delete existing to create new policy",
    );
    for other in [
        format!("/api/v1/repository/admin/other/autoprunepolicy/{ruuid}"),
        format!("{user}{ruuid}"),
    ] {
        let r = s.h.get(&other, Some(&s.api)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{other}");
    }
    let one = format!("{repo}{ruuid}");
    let r =
        s.h.put(
            &one,
            Some(&s.api),
            json!({"method": "creation_date", "value": "1h"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.h.get(&one, Some(&s.api)).await;
    assert_eq!(r.body["value"], "1h");
    let r = s.h.delete(&one, Some(&s.api)).await;
    assert_eq!((r.status, r.body), (StatusCode::OK, json!({"uuid": ruuid})));

    let admin = s.h.namespace_id("admin").await;
    let store = quay_persistence::SqlStore::new(s.h.t.db.clone());
    let logs = store.namespace_logs(admin, 3).await.unwrap();
    assert_eq!(logs[0].kind, "delete_repository_autoprune_policy");
    assert_eq!(
        logs[0].metadata,
        json!({"policy_uuid": ruuid, "namespace": "admin", "repo": "app"})
    );
    assert!(logs[0].repository_id.is_some());
    assert_eq!(logs[1].kind, "update_repository_autoprune_policy");
    assert_eq!(logs[2].kind, "create_repository_autoprune_policy");
    assert_eq!(logs[2].metadata["repo"], "app");
}

#[actix_web::test]
async fn the_endpoints_exist_only_with_the_feature() {
    let h = Harness::new().await;
    let api = h.initialize("admin").await;
    for (method, path) in [
        (Method::GET, "/api/v1/organization/admin/autoprunepolicy/"),
        (Method::POST, "/api/v1/organization/admin/autoprunepolicy/"),
        (Method::GET, "/api/v1/organization/admin/autoprunepolicy/x"),
        (Method::PUT, "/api/v1/organization/admin/autoprunepolicy/x"),
        (
            Method::DELETE,
            "/api/v1/organization/admin/autoprunepolicy/x",
        ),
        (Method::GET, "/api/v1/user/autoprunepolicy/"),
        (Method::POST, "/api/v1/user/autoprunepolicy/"),
        (Method::GET, "/api/v1/user/autoprunepolicy/x"),
        (Method::PUT, "/api/v1/user/autoprunepolicy/x"),
        (Method::DELETE, "/api/v1/user/autoprunepolicy/x"),
        (Method::GET, "/api/v1/repository/admin/app/autoprunepolicy/"),
        (
            Method::POST,
            "/api/v1/repository/admin/app/autoprunepolicy/",
        ),
        (
            Method::GET,
            "/api/v1/repository/admin/app/autoprunepolicy/x",
        ),
        (
            Method::PUT,
            "/api/v1/repository/admin/app/autoprunepolicy/x",
        ),
        (
            Method::DELETE,
            "/api/v1/repository/admin/app/autoprunepolicy/x",
        ),
    ] {
        let body = json!({"method": "number_of_tags", "value": 1}).to_string();
        let r = h.call(method.clone(), path, Some(&api), Some(&body)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(r.body["detail"], UNKNOWN_ROUTE, "{method} {path}");
    }
    let r = h.get("/api/v1/discovery", None).await;
    assert!(!r.body.to_string().contains("autoprunepolicy"));
}

#[actix_web::test]
async fn number_of_tags_keeps_the_newest_and_pruned_tags_can_be_restored() {
    let s = Setup::new().await;
    let digest = s
        .tags(
            "app",
            &[
                ("v6", 0),
                ("v5", 0),
                ("v4", 0),
                ("latest", 0),
                ("base", 0),
                ("v1", 0),
            ],
        )
        .await;
    s.policy(
        "/api/v1/repository/admin/app/autoprunepolicy/",
        json!({"method": "number_of_tags", "value": 3}),
    )
    .await;
    assert_eq!(s.prune().await, 3);
    assert_eq!(s.live("app").await, names(&["v6", "v5", "v4"]));
    let logs = s.prune_logs().await;
    let pruned: BTreeSet<String> = logs.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(pruned, names(&["latest", "base", "v1"]));
    assert!(logs.iter().all(|(repo, _)| repo == "app"));
    // A second pass finds nothing more to do, and writes nothing.
    assert_eq!(s.prune().await, 0);
    assert_eq!(s.prune_logs().await.len(), 3);

    // Pruned as the tags API deletes: the history shows the ended lifetime, and the
    // time machine restores it.
    let r =
        s.h.get(
            "/api/v1/repository/admin/app/tag/?specificTag=latest",
            Some(&s.api),
        )
        .await;
    assert!(r.body["tags"][0]["end_ts"].is_i64(), "{}", r.body);
    let r =
        s.h.post(
            "/api/v1/repository/admin/app/tag/latest/restore",
            Some(&s.api),
            json!({"manifest_digest": digest}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(s.live("app").await.contains("latest"));
}

#[actix_web::test]
async fn a_namespace_policy_prunes_old_tags_in_every_repository() {
    let s = Setup::new().await;
    s.tags("app", &[("new", 1), ("base", 2), ("old", 6), ("older", 30)])
        .await;
    s.tags("other", &[("base", 2), ("ancient", 100)]).await;
    s.policy(
        "/api/v1/user/autoprunepolicy/",
        json!({"method": "creation_date", "value": "5d"}),
    )
    .await;
    assert_eq!(s.prune().await, 3);
    assert_eq!(s.live("app").await, names(&["new", "base"]));
    assert_eq!(s.live("other").await, names(&["base"]));
    let mut logs = s.prune_logs().await;
    logs.sort();
    let expected: Vec<(String, String)> = [("app", "old"), ("app", "older"), ("other", "ancient")]
        .iter()
        .map(|(r, t)| (r.to_string(), t.to_string()))
        .collect();
    assert_eq!(logs, expected);
}

#[actix_web::test]
async fn tag_patterns_narrow_the_candidates_either_way() {
    let s = Setup::new().await;
    let tags = [
        ("v3", 0),
        ("dev-b", 0),
        ("v2", 0),
        ("dev-a", 0),
        ("v1", 0),
        ("base", 0),
    ];
    s.tags("app", &tags).await;
    s.tags("other", &tags).await;
    // app: of the tags matching `^v`, keep the newest; others are not candidates.
    s.policy(
        "/api/v1/repository/admin/app/autoprunepolicy/",
        json!({"method": "number_of_tags", "value": 1, "tagPattern": "^v\\d"}),
    )
    .await;
    // other: of the tags not matching `^v`, keep the newest.
    s.policy(
        "/api/v1/repository/admin/other/autoprunepolicy/",
        json!({"method": "number_of_tags", "value": 1, "tagPattern": "^v\\d", "tagPatternMatches": false}),
    )
    .await;
    assert_eq!(s.prune().await, 4);
    assert_eq!(
        s.live("app").await,
        names(&["v3", "dev-b", "dev-a", "base"])
    );
    assert_eq!(s.live("other").await, names(&["v3", "dev-b", "v2", "v1"]));
}

#[actix_web::test]
async fn hidden_tags_are_left_alone() {
    let s = Setup::new().await;
    s.tags("app", &[("keep", 0), ("base", 0), ("drop", 1)])
        .await;
    // A push by digest: kept alive by a hidden tag newer than every named one, so
    // counting it would cost `keep` its place.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let digest = s.push("app", "by-digest", None).await;
    let live_hidden = "SELECT COUNT(*) FROM tag WHERE hidden AND (lifetime_end_ms IS NULL \
                       OR lifetime_end_ms > 0)";
    let before = query_texts(&s.h.t.db, live_hidden).await;
    s.policy(
        "/api/v1/repository/admin/app/autoprunepolicy/",
        json!({"method": "number_of_tags", "value": 1}),
    )
    .await;
    assert_eq!(s.prune().await, 2);
    assert_eq!(s.live("app").await, names(&["keep"]));
    assert_eq!(query_texts(&s.h.t.db, live_hidden).await, before);
    let token = s.registry("app").await;
    let r = send(
        &s.h,
        Method::GET,
        &format!("/v2/admin/app/manifests/{digest}"),
        Some(&token),
        &[("Accept", DOCKER)],
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}
