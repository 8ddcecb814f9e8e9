//! Blobs and uploads on `/v2`: monolithic and chunked uploads verified against their
//! digest, ranges, cancellation, cross-repository mounts only from readable
//! repositories, uploads continued on another replica, and access only through the
//! token's grants.

use std::sync::Arc;

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use actix_web::web::Data;
use quay_core::config::Config;
use quay_http::AppState;
use quay_persistence::testing::TestDatabase;
use quay_storage::{BlobStore, Digest};
use serde_json::json;

/// admin with private admin/app and admin/other, public admin/open: (API token,
/// registry token for admin/app).
async fn setup(h: &Harness) -> (String, String) {
    let admin = h.initialize("admin").await;
    for (name, public) in [("app", false), ("other", false), ("open", true)] {
        let r = h
            .post(
                "/api/v1/repository",
                Some(&admin),
                json!({"namespace": "admin", "repository": name, "description": "",
                       "visibility": if public { "public" } else { "private" }}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let token = registry_token(h, "admin", "password", &["repository:admin/app:pull,push"]).await;
    (admin, token)
}

/// A monolithic upload of `bytes` into `repo`; returns the digest.
async fn push_blob(h: &Harness, token: &str, repo: &str, bytes: &[u8]) -> Digest {
    let digest = Digest::of(bytes);
    let r = send(
        h,
        Method::POST,
        &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
        Some(token),
        &[],
        bytes,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    digest
}

#[actix_web::test]
async fn monolithic_upload_then_pull_with_ranges() {
    let h = Harness::new().await;
    let (_, token) = setup(&h).await;
    let bytes = b"layer bytes, not many of them".to_vec();
    let digest = Digest::of(&bytes);
    let r = send(
        &h,
        Method::POST,
        &format!("/v2/admin/app/blobs/uploads/?digest={digest}"),
        Some(&token),
        &[],
        &bytes,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.header("Location"),
        format!("/v2/admin/app/blobs/{digest}")
    );
    assert_eq!(r.header("Docker-Content-Digest"), digest.as_str());
    assert_eq!(r.header("Docker-Distribution-API-Version"), "registry/2.0");

    let path = format!("/v2/admin/app/blobs/{digest}");
    let head = send(&h, Method::HEAD, &path, Some(&token), &[], b"").await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("Content-Length"), bytes.len().to_string());
    assert_eq!(head.header("Docker-Content-Digest"), digest.as_str());
    assert!(head.body.is_empty());
    let get = send(&h, Method::GET, &path, Some(&token), &[], b"").await;
    assert_eq!(get.status, StatusCode::OK);
    assert_eq!(get.body, bytes);
    let part = send(
        &h,
        Method::GET,
        &path,
        Some(&token),
        &[("Range", "bytes=6-10")],
        b"",
    )
    .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, b"bytes");
    assert_eq!(
        part.header("Content-Range"),
        format!("bytes 6-10/{}", bytes.len())
    );
    let bad = send(
        &h,
        Method::GET,
        &path,
        Some(&token),
        &[("Range", "bytes=999-")],
        b"",
    )
    .await;
    assert_eq!(bad.status, StatusCode::RANGE_NOT_SATISFIABLE);

    // Quay does not delete blobs over /v2.
    let del = send(&h, Method::DELETE, &path, Some(&token), &[], b"").await;
    assert_eq!(del.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(del.error_code(), "UNSUPPORTED");
    // Malformed digests and names.
    let r = send(
        &h,
        Method::GET,
        "/v2/admin/app/blobs/sha256:zz",
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.error_code(), "DIGEST_INVALID");
    let r = send(
        &h,
        Method::GET,
        &format!("/v2/Admin/App/blobs/{digest}"),
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.error_code(), "NAME_INVALID");
}

#[actix_web::test]
async fn chunked_upload_checks_order_and_digest() {
    let h = Harness::new().await;
    let (_, token) = setup(&h).await;
    let start = send(
        &h,
        Method::POST,
        "/v2/admin/app/blobs/uploads/",
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(start.status, StatusCode::ACCEPTED);
    assert_eq!(start.header("Range"), "0-0");
    let uuid = start.header("Docker-Upload-UUID").to_string();
    let location = start.header("Location").to_string();
    assert_eq!(location, format!("/v2/admin/app/blobs/uploads/{uuid}"));

    let r = send(
        &h,
        Method::PATCH,
        &location,
        Some(&token),
        &[("Content-Range", "0-4")],
        b"hello",
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.header("Range"), "0-4");
    // A gap or an overlap is refused, and changes nothing.
    for range in ["7-9", "2-4"] {
        let r = send(
            &h,
            Method::PATCH,
            &location,
            Some(&token),
            &[("Content-Range", range)],
            b"xyz",
        )
        .await;
        assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
    }
    let status = send(&h, Method::GET, &location, Some(&token), &[], b"").await;
    assert_eq!(status.status, StatusCode::NO_CONTENT);
    assert_eq!(status.header("Range"), "0-4");
    let r = send(&h, Method::PATCH, &location, Some(&token), &[], b" world").await;
    assert_eq!(r.header("Range"), "0-10");

    // The final PUT names the digest of the whole; a wrong one stores nothing.
    let digest = Digest::of(b"hello world!");
    let wrong = Digest::of(b"something else");
    let r = send(
        &h,
        Method::PUT,
        &format!("{location}?digest={wrong}"),
        Some(&token),
        &[],
        b"!",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "DIGEST_INVALID");
    for d in [&digest, &wrong] {
        let head = send(
            &h,
            Method::HEAD,
            &format!("/v2/admin/app/blobs/{d}"),
            Some(&token),
            &[],
            b"",
        )
        .await;
        assert_eq!(head.status, StatusCode::NOT_FOUND);
    }
    let gone = send(&h, Method::GET, &location, Some(&token), &[], b"").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error_code(), "BLOB_UPLOAD_UNKNOWN");

    // Again, right this time.
    let start = send(
        &h,
        Method::POST,
        "/v2/admin/app/blobs/uploads/",
        Some(&token),
        &[],
        b"",
    )
    .await;
    let location = start.header("Location").to_string();
    send(
        &h,
        Method::PATCH,
        &location,
        Some(&token),
        &[],
        b"hello world",
    )
    .await;
    let r = send(
        &h,
        Method::PUT,
        &format!("{location}?digest={digest}"),
        Some(&token),
        &[],
        b"!",
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let get = send(
        &h,
        Method::GET,
        &format!("/v2/admin/app/blobs/{digest}"),
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(get.body, b"hello world!");

    // Cancelling forgets the upload; an empty blob is a blob too.
    let start = send(
        &h,
        Method::POST,
        "/v2/admin/app/blobs/uploads/",
        Some(&token),
        &[],
        b"",
    )
    .await;
    let location = start.header("Location").to_string();
    assert_eq!(
        send(&h, Method::DELETE, &location, Some(&token), &[], b"")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&h, Method::DELETE, &location, Some(&token), &[], b"")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let start = send(
        &h,
        Method::POST,
        "/v2/admin/app/blobs/uploads/",
        Some(&token),
        &[],
        b"",
    )
    .await;
    let location = start.header("Location").to_string();
    let empty = Digest::of(b"");
    let r = send(
        &h,
        Method::PUT,
        &format!("{location}?digest={empty}"),
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn access_follows_the_token_and_blobs_stay_in_their_repository() {
    let h = Harness::new().await;
    let (admin, token) = setup(&h).await;
    let digest = push_blob(&h, &token, "admin/app", b"private layer").await;
    let path = format!("/v2/admin/app/blobs/{digest}");

    // No token, or a token for another repository: 401 with the scope to ask for.
    let r = send(&h, Method::GET, &path, None, &[], b"").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "UNAUTHORIZED");
    assert!(
        r.header("WWW-Authenticate")
            .ends_with(r#"scope="repository:admin/app:pull""#),
        "{}",
        r.header("WWW-Authenticate")
    );
    let other = registry_token(
        &h,
        "admin",
        "password",
        &["repository:admin/other:pull,push"],
    )
    .await;
    assert_eq!(
        send(&h, Method::GET, &path, Some(&other), &[], b"")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // A pull-only token cannot upload.
    let pull = registry_token(&h, "admin", "password", &["repository:admin/app:pull"]).await;
    assert_eq!(
        send(&h, Method::GET, &path, Some(&pull), &[], b"")
            .await
            .status,
        StatusCode::OK
    );
    let r = send(
        &h,
        Method::POST,
        "/v2/admin/app/blobs/uploads/",
        Some(&pull),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The blob exists, but not in admin/other: unknown there.
    let r = send(
        &h,
        Method::GET,
        &format!("/v2/admin/other/blobs/{digest}"),
        Some(&other),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "BLOB_UNKNOWN");

    // Anonymous pulls of public repositories need no token.
    let open = registry_token(
        &h,
        "admin",
        "password",
        &["repository:admin/open:pull,push"],
    )
    .await;
    let public = push_blob(&h, &open, "admin/open", b"public layer").await;
    let r = send(
        &h,
        Method::GET,
        &format!("/v2/admin/open/blobs/{public}"),
        None,
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, b"public layer");
    // A repository deleted after the token was issued: NAME_UNKNOWN.
    h.delete("/api/v1/repository/admin/other", Some(&admin))
        .await;
    let r = send(
        &h,
        Method::GET,
        &format!("/v2/admin/other/blobs/{digest}"),
        Some(&other),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "NAME_UNKNOWN");
}

#[actix_web::test]
async fn mounts_only_from_readable_repositories() {
    let h = Harness::new().await;
    let (admin, token) = setup(&h).await;
    let digest = push_blob(&h, &token, "admin/app", b"shared layer").await;
    let (_, alice_api) = h.user("alice", ALL_SCOPES).await;
    h.put(
        "/api/v1/user/",
        Some(&alice_api),
        json!({"password": "alicepassword"}),
    )
    .await;
    let r = h
        .post(
            "/api/v1/repository",
            Some(&alice_api),
            json!({"namespace": "alice", "repository": "mine", "description": "", "visibility": "private"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let mount = format!("/v2/alice/mine/blobs/uploads/?mount={digest}&from=admin/app");

    // alice cannot read admin/app: no mount, a plain upload session instead.
    let alice = registry_token(
        &h,
        "alice",
        "alicepassword",
        &[
            "repository:alice/mine:pull,push",
            "repository:admin/app:pull",
        ],
    )
    .await;
    let r = send(&h, Method::POST, &mount, Some(&alice), &[], b"").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = send(
        &h,
        Method::HEAD,
        &format!("/v2/alice/mine/blobs/{digest}"),
        Some(&alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // With read access granted, the mount links the blob without a copy.
    h.put(
        "/api/v1/repository/admin/app/permissions/user/alice",
        Some(&admin),
        json!({"role": "read"}),
    )
    .await;
    let alice = registry_token(
        &h,
        "alice",
        "alicepassword",
        &[
            "repository:alice/mine:pull,push",
            "repository:admin/app:pull",
        ],
    )
    .await;
    let r = send(&h, Method::POST, &mount, Some(&alice), &[], b"").await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.header("Docker-Content-Digest"), digest.as_str());
    let r = send(
        &h,
        Method::GET,
        &format!("/v2/alice/mine/blobs/{digest}"),
        Some(&alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.body, b"shared layer");
}

#[actix_web::test]
async fn an_upload_continues_on_another_replica() {
    let t = Arc::new(TestDatabase::new().await);
    let storage = BlobStore::in_memory();
    let replica = |config: Config| Harness {
        t: t.clone(),
        state: Data::new(
            AppState::new(config, t.db.clone(), b"test-secret", None).with_storage(storage.clone()),
        ),
    };
    let one = replica(Config::default());
    let two = replica(Config::default());
    let (_, token) = setup(&one).await;
    let start = send(
        &one,
        Method::POST,
        "/v2/admin/app/blobs/uploads/",
        Some(&token),
        &[],
        b"",
    )
    .await;
    let location = start.header("Location").to_string();
    send(
        &one,
        Method::PATCH,
        &location,
        Some(&token),
        &[],
        b"first half, ",
    )
    .await;
    let r = send(
        &two,
        Method::PATCH,
        &location,
        Some(&token),
        &[],
        b"second half",
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.header("Range"), "0-22");
    let digest = Digest::of(b"first half, second half");
    let r = send(
        &one,
        Method::PUT,
        &format!("{location}?digest={digest}"),
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let get = send(
        &two,
        Method::GET,
        &format!("/v2/admin/app/blobs/{digest}"),
        Some(&token),
        &[],
        b"",
    )
    .await;
    assert_eq!(get.body, b"first half, second half");
}
