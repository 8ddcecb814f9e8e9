//! The tags API: history pages and filters, creating and moving tags, expiries in the
//! past and the future, deletion, restores from the time machine and removal from it,
//! and what `/v2` sees of each.

use std::time::Duration;

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use quay_core::config::Config;
use quay_storage::Digest;
use serde_json::{json, Value};

const DOCKER: &str = "application/vnd.docker.distribution.manifest.v2+json";

struct Repo {
    h: Harness,
    /// API token of admin (all scopes).
    api: String,
    registry: String,
}

impl Repo {
    async fn new() -> Repo {
        Self::with_config(Config::default()).await
    }

    async fn with_config(config: Config) -> Repo {
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

    async fn blob(&self, bytes: &[u8]) -> Value {
        push_blob(&self.h, &self.registry, "admin/app", bytes).await
    }

    /// Pushes an image with two layers as `tag`; its digest and layer size.
    async fn push(&self, seed: &str, tag: &str) -> (String, u64) {
        let mut config = self.blob(format!("{{\"c\": \"{seed}\"}}").as_bytes()).await;
        config["mediaType"] = json!("application/vnd.docker.container.image.v1+json");
        let mut layers = Vec::new();
        let mut size = 0;
        for i in 0..2 {
            let bytes = format!("{seed} layer {i} {}", "x".repeat(i * 10));
            size += bytes.len() as u64;
            let mut l = self.blob(bytes.as_bytes()).await;
            l["mediaType"] = json!("application/vnd.docker.image.rootfs.diff.tar.gzip");
            layers.push(l);
        }
        let body = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": DOCKER, "config": config, "layers": layers,
        }))
        .unwrap();
        let r = send(
            &self.h,
            Method::PUT,
            &format!("/v2/admin/app/manifests/{tag}"),
            Some(&self.registry),
            &[("Content-Type", DOCKER)],
            &body,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        // Lifetimes order by their start in ms: keep every step in a later one.
        tokio::time::sleep(Duration::from_millis(5)).await;
        (Digest::of(&body).to_string(), size)
    }

    async fn tags(&self, query: &str) -> Response {
        self.h
            .get(
                &format!("/api/v1/repository/admin/app/tag/{query}"),
                Some(&self.api),
            )
            .await
    }

    /// `(name, manifest_digest)` of each lifetime listed.
    async fn history(&self, query: &str) -> Vec<(String, String)> {
        let r = self.tags(query).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().unwrap().to_string(),
                    t["manifest_digest"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    async fn put_tag(&self, tag: &str, body: Value) -> Response {
        let r = self
            .h
            .put(
                &format!("/api/v1/repository/admin/app/tag/{tag}"),
                Some(&self.api),
                body,
            )
            .await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        r
    }

    async fn pull(&self, reference: &str) -> Reply {
        send(
            &self.h,
            Method::GET,
            &format!("/v2/admin/app/manifests/{reference}"),
            Some(&self.registry),
            &[("Accept", DOCKER)],
            b"",
        )
        .await
    }

    async fn expire(&self, tag: &str, body: Value) -> Response {
        let url = format!("/api/v1/repository/admin/app/tag/{tag}/expire");
        self.h.post(&url, Some(&self.api), body).await
    }

    /// The namespace's audit log kinds, oldest first, without the pulls.
    async fn kinds(&self) -> Vec<String> {
        let ns = self.h.namespace_id("admin").await;
        let mut kinds = self.h.log_kinds(ns).await;
        kinds.retain(|k| k != "pull_repo");
        kinds
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[actix_web::test]
async fn history_lists_alive_and_dead_lifetimes_with_pages_and_filters() {
    let repo = Repo::new().await;
    let (a, size_a) = repo.push("a", "v1").await;
    let (b, _) = repo.push("b", "v2").await;
    let r = repo.put_tag("v1", json!({"manifest_digest": b})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body, json!("Updated"));

    // Newest lifetime first: v1 (now b), v2, v1 (a, ended by the move).
    assert_eq!(
        repo.history("").await,
        pairs(&[("v1", &b), ("v2", &b), ("v1", &a)])
    );
    let r = repo.tags("").await;
    assert_eq!(r.body["page"], 1);
    assert_eq!(r.body["has_additional"], false);
    let ended = &r.body["tags"][2];
    assert_eq!(ended["reversion"], false);
    assert_eq!(ended["is_manifest_list"], false);
    assert_eq!(ended["size"], size_a);
    assert!(ended["end_ts"].as_i64().unwrap() >= ended["start_ts"].as_i64().unwrap());
    assert!(ended["expiration"].as_str().unwrap().ends_with("-0000"));
    assert!(ended["last_modified"].as_str().unwrap().ends_with("-0000"));
    let live = &r.body["tags"][0];
    assert!(live.get("end_ts").is_none() && live.get("expiration").is_none());

    assert_eq!(
        repo.history("?onlyActiveTags=true").await,
        pairs(&[("v1", &b), ("v2", &b)])
    );
    assert_eq!(
        repo.history("?specificTag=v1").await,
        pairs(&[("v1", &b), ("v1", &a)])
    );
    assert_eq!(
        repo.history("?filter_tag_name=eq:v2").await,
        pairs(&[("v2", &b)])
    );
    assert_eq!(repo.history("?filter_tag_name=like:V").await.len(), 3);
    assert_eq!(repo.history("?filter_tag_name=like:%25").await, pairs(&[]));
    let r = repo.tags("?filter_tag_name=ne:v1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // Pages of one, and past the end.
    let p1 = repo.tags("?limit=1&page=1").await;
    assert_eq!(p1.body["tags"][0]["name"], "v1");
    assert_eq!(p1.body["has_additional"], true);
    let p3 = repo.tags("?limit=1&page=3").await;
    assert_eq!(p3.body["tags"][0]["manifest_digest"], a.as_str());
    assert_eq!(p3.body["has_additional"], false);
    let p4 = repo.tags("?limit=1&page=4").await;
    assert_eq!(p4.body["tags"], json!([]));
    assert_eq!(p4.body["page"], 4);
    // Out-of-range arguments are clamped as Quay does; non-numbers are refused.
    let r = repo.tags("?limit=0&page=0").await;
    assert_eq!(r.body["tags"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["page"], 1);
    assert_eq!(repo.history("?limit=1000").await.len(), 3);
    let r = repo.tags("?limit=many").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn put_creates_and_moves_tags_with_their_logs() {
    let repo = Repo::new().await;
    let (a, _) = repo.push("a", "v1").await;
    let (b, _) = repo.push("b", "v2").await;

    let r = repo.put_tag("copy", json!({"manifest_digest": a})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pulled = repo.pull("copy").await;
    assert_eq!(pulled.status, StatusCode::OK);
    assert_eq!(pulled.header("Docker-Content-Digest"), a);
    let r = repo.put_tag("copy", json!({"manifest_digest": b})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(repo.pull("copy").await.header("Docker-Content-Digest"), b);
    // a is still reachable by digest: v1 holds it.
    assert_eq!(repo.pull(&a).await.status, StatusCode::OK);

    let unknown = Digest::of(b"nothing").to_string();
    let r = repo
        .put_tag("copy", json!({"manifest_digest": unknown}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = repo.put_tag("copy", json!({"manifest_digest": null})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = repo.put_tag(".bad", json!({"manifest_digest": a})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .starts_with("Invalid tag"));
    let r = repo.put_tag("copy", json!({"manifest_digest": 5})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Failed changes changed nothing.
    assert_eq!(repo.pull("copy").await.header("Docker-Content-Digest"), b);

    let kinds = repo.kinds().await;
    let tail: Vec<&str> = kinds
        .iter()
        .rev()
        .take(2)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(tail, ["create_tag", "move_tag"]);
}

#[actix_web::test]
async fn concurrent_moves_of_one_tag_each_win_or_say_so() {
    let repo = Repo::new().await;
    let mut digests = Vec::new();
    for i in 0..6 {
        digests.push(repo.push(&format!("image {i}"), &format!("t{i}")).await.0);
    }
    let r = repo
        .put_tag("moving", json!({"manifest_digest": digests[0]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let moves = digests[1..].iter().map(|d| {
        let repo = &repo;
        async move {
            repo.h
                .put(
                    "/api/v1/repository/admin/app/tag/moving",
                    Some(&repo.api),
                    json!({"manifest_digest": d}),
                )
                .await
        }
    });
    let answers = futures_util::future::join_all(moves).await;
    let mut won = 0;
    for a in &answers {
        match a.status {
            StatusCode::CREATED => won += 1,
            StatusCode::BAD_REQUEST => assert_eq!(a.body["detail"], "Could not move tag"),
            other => panic!("{other}: {}", a.body),
        }
    }
    assert!(won >= 1);
    // One lifetime per move that won, plus the first; exactly one of them alive.
    let history = repo.tags("?specificTag=moving").await;
    let lifetimes = history.body["tags"].as_array().unwrap();
    assert_eq!(lifetimes.len(), won + 1, "{}", history.body);
    let alive: Vec<&Value> = lifetimes
        .iter()
        .filter(|t| t.get("end_ts").is_none())
        .collect();
    assert_eq!(alive.len(), 1, "{}", history.body);
    let live_digest = alive[0]["manifest_digest"].as_str().unwrap();
    assert_eq!(
        repo.pull("moving").await.header("Docker-Content-Digest"),
        live_digest
    );
}

#[actix_web::test]
async fn expirations_in_the_future_clamp_and_in_the_past_are_refused() {
    let repo = Repo::new().await;
    let (a, _) = repo.push("a", "v1").await;
    let now = chrono::Utc::now().timestamp();

    let r = repo.put_tag("v1", json!({"expiration": now - 10})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = repo
        .put_tag("missing", json!({"expiration": now + 7200}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = repo.put_tag("v1", json!({"expiration": now + 7200})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let t = repo.tags("?specificTag=v1").await.body["tags"][0].clone();
    let end = t["end_ts"].as_i64().unwrap();
    assert!((end - (now + 7200)).abs() <= 1, "{t}");
    // Still alive (the end is ahead), so still pulled and still active.
    assert_eq!(repo.pull("v1").await.status, StatusCode::OK);
    assert_eq!(repo.history("?onlyActiveTags=true").await.len(), 1);

    // Sooner than LABELED_EXPIRATION_MINIMUM (1h) after the start: clamped to it.
    let r = repo.put_tag("v1", json!({"expiration": now + 60})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let t = repo.tags("?specificTag=v1").await.body["tags"][0].clone();
    let start = t["start_ts"].as_i64().unwrap();
    assert_eq!(t["end_ts"].as_i64().unwrap(), start + 3600, "{t}");

    // null: never expires again.
    let r = repo.put_tag("v1", json!({"expiration": null})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let t = repo.tags("?specificTag=v1").await.body["tags"][0].clone();
    assert!(t.get("end_ts").is_none(), "{t}");
    let changes = repo
        .kinds()
        .await
        .iter()
        .filter(|k| *k == "change_tag_expiration")
        .count();
    assert_eq!(changes, 3);
    assert_eq!(repo.pull(&a).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn an_expired_tag_is_gone_from_v2_but_stays_in_history() {
    let repo = Repo::with_config(Config {
        labeled_expiration_minimum: "0s".into(),
        ..Config::default()
    })
    .await;
    let (a, _) = repo.push("a", "soon").await;
    let (_, _) = repo.push("b", "stays").await;
    // Whole seconds, and time for a busy machine to get the request there first.
    let at = chrono::Utc::now().timestamp() + 3;
    let r = repo.put_tag("soon", json!({"expiration": at})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let left = at - chrono::Utc::now().timestamp() + 1;
    tokio::time::sleep(Duration::from_secs(left.max(0) as u64)).await;

    let pulled = repo.pull("soon").await;
    assert_eq!(pulled.status, StatusCode::NOT_FOUND);
    assert_eq!(pulled.error_code(), "TAG_EXPIRED");
    assert_eq!(repo.pull(&a).await.status, StatusCode::NOT_FOUND);
    let list = send(
        &repo.h,
        Method::GET,
        "/v2/admin/app/tags/list",
        Some(&repo.registry),
        &[],
        b"",
    )
    .await;
    let list: Value = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(list["tags"], json!(["stays"]));
    assert_eq!(repo.history("?onlyActiveTags=true").await.len(), 1);
    assert_eq!(
        repo.history("?specificTag=soon").await,
        pairs(&[("soon", &a)])
    );
    // A tag that never existed is unknown, not expired.
    assert_eq!(repo.pull("never").await.error_code(), "MANIFEST_UNKNOWN");
}

#[actix_web::test]
async fn delete_then_restore_from_the_time_machine() {
    let repo = Repo::new().await;
    let (a, _) = repo.push("a", "v1").await;
    let (b, _) = repo.push("b", "v1").await;
    let path = "/api/v1/repository/admin/app/tag/v1";

    let r = repo.h.delete(path, Some(&repo.api)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(repo.pull("v1").await.error_code(), "TAG_EXPIRED");
    let r = repo.h.delete(path, Some(&repo.api)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(repo.history("?onlyActiveTags=true").await, pairs(&[]));
    let history = repo.history("").await;
    assert_eq!(history, pairs(&[("v1", &b), ("v1", &a)]));

    // Back to the first image: a new lifetime, marked as a reversion.
    let restore = format!("{path}/restore");
    let r = repo
        .h
        .post(&restore, Some(&repo.api), json!({"manifest_digest": a}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({}));
    assert_eq!(repo.pull("v1").await.header("Docker-Content-Digest"), a);
    let t = repo.tags("?onlyActiveTags=true").await.body["tags"][0].clone();
    assert_eq!(t["reversion"], true);
    assert_eq!(t["manifest_digest"], a.as_str());

    let r = repo.h.post(&restore, Some(&repo.api), json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let unknown = Digest::of(b"nothing").to_string();
    let r = repo
        .h
        .post(
            &restore,
            Some(&repo.api),
            json!({"manifest_digest": unknown}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let kinds = repo.kinds().await;
    assert!(kinds.contains(&"delete_tag".to_string()), "{kinds:?}");
    assert_eq!(kinds.last().unwrap(), "revert_tag");
}

#[actix_web::test]
async fn removal_from_the_time_machine_is_final() {
    let repo = Repo::new().await;
    let (a, _) = repo.push("a", "v1").await;
    let (b, _) = repo.push("b", "v2").await;
    let path = "/api/v1/repository/admin/app/tag";

    // A dead lifetime of v1 (pointing at a) out of the time machine: not restorable.
    assert_eq!(
        repo.h
            .delete(&format!("{path}/v1"), Some(&repo.api))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let r = repo.expire("v1", json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = repo.expire("v1", json!({"manifest_digest": b})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = repo.expire("v1", json!({"manifest_digest": a})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(repo.history("?specificTag=v1").await, pairs(&[]));
    let r = repo
        .h
        .post(
            &format!("{path}/v1/restore"),
            Some(&repo.api),
            json!({"manifest_digest": a}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = repo.expire("v1", json!({"manifest_digest": a})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A live tag, at once.
    let r = repo.expire("v2", json!({"is_alive": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(repo.history("").await, pairs(&[]));
    assert_eq!(repo.pull("v2").await.status, StatusCode::NOT_FOUND);
    assert_eq!(repo.pull(&b).await.status, StatusCode::NOT_FOUND);
    let r = repo.expire("v2", json!({"is_alive": true})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let kinds = repo.kinds().await;
    let removals = kinds
        .iter()
        .filter(|k| *k == "permanently_delete_tag")
        .count();
    assert_eq!(removals, 2);

    // Not served when PERMANENTLY_DELETE_TAGS is off.
    let off = Repo::with_config(Config {
        permanently_delete_tags: false,
        ..Config::default()
    })
    .await;
    let r = off
        .h
        .post(
            &format!("{path}/v1/expire"),
            Some(&off.api),
            json!({"is_alive": true}),
        )
        .await;
    assert!(
        matches!(r.status.as_u16(), 404 | 405),
        "{}: {}",
        r.status,
        r.body
    );
}

#[actix_web::test]
async fn readers_list_and_writers_change() {
    let repo = Repo::new().await;
    repo.push("a", "v1").await;
    let (reader_id, reader) = repo.h.user("reader", ALL_SCOPES).await;
    let _ = reader_id;
    let r = repo
        .h
        .put(
            "/api/v1/repository/admin/app/permissions/user/reader",
            Some(&repo.api),
            json!({"role": "read"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = repo
        .h
        .get("/api/v1/repository/admin/app/tag/", Some(&reader))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = repo
        .h
        .delete("/api/v1/repository/admin/app/tag/v1", Some(&reader))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = repo.h.get("/api/v1/repository/admin/app/tag/", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A repository that is not there: 404 for its owner's namespace.
    let r = repo
        .h
        .get("/api/v1/repository/admin/nothing/tag/", Some(&repo.api))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
