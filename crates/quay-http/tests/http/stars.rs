//! Stars (`/api/v1/user/starred`): the caller's own, only on repositories they can read.

use crate::common::*;
use actix_web::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn star_list_and_unstar() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    for (name, visibility) in [("private1", "private"), ("public1", "public")] {
        let r = h
            .post(
                "/api/v1/repository",
                Some(&admin),
                json!({"repository": name, "visibility": visibility, "description": ""}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let star = json!({"namespace": "admin", "repository": "private1"});
    let r = h
        .post("/api/v1/user/starred", Some(&admin), star.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body, star);
    // Starring twice is one star.
    assert_eq!(
        h.post("/api/v1/user/starred", Some(&admin), star.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    let list = h.get("/api/v1/user/starred", Some(&admin)).await;
    assert_eq!(
        list.body,
        json!({"repositories": [{"namespace": "admin", "name": "private1", "description": "", "is_public": false, "kind": "image"}]})
    );
    let repo = h
        .get("/api/v1/repository/admin/private1", Some(&admin))
        .await;
    assert_eq!(repo.body["is_starred"], true);
    let starred = h.get("/api/v1/repository?starred=true", Some(&admin)).await;
    assert_eq!(starred.body["repositories"][0]["name"], "private1");

    // Others may star what they can read, and nothing else.
    let (_, other) = h.user("other", ALL_SCOPES).await;
    let public = json!({"namespace": "admin", "repository": "public1"});
    assert_eq!(
        h.post("/api/v1/user/starred", Some(&other), public)
            .await
            .status,
        StatusCode::CREATED
    );
    for name in ["private1", "nosuchrepo"] {
        let r = h
            .post(
                "/api/v1/user/starred",
                Some(&other),
                json!({"namespace": "admin", "repository": name}),
            )
            .await;
        assert_error(&r, 403, "insufficient_scope", "Unauthorized");
    }
    assert_error(
        &h.post(
            "/api/v1/user/starred",
            Some(&admin),
            json!({"namespace": "admin", "repository": "nosuchrepo"}),
        )
        .await,
        404,
        "not_found",
        "Not Found",
    );
    let other_list = h.get("/api/v1/user/starred", Some(&other)).await;
    assert_eq!(other_list.body["repositories"][0]["name"], "public1");
    assert_eq!(other_list.body["repositories"].as_array().unwrap().len(), 1);

    // The star belongs to the user: `user:admin` is needed.
    let admin_id = h.namespace_id("admin").await;
    let reader = h.token(admin_id, "repo:read").await;
    assert_error(
        &h.get("/api/v1/user/starred", Some(&reader)).await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &h.get("/api/v1/user/starred", None).await,
        401,
        "invalid_token",
        "Requires authentication",
    );

    assert_eq!(
        h.delete("/api/v1/user/starred/admin/private1", Some(&admin))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let list = h.get("/api/v1/user/starred", Some(&admin)).await;
    assert_eq!(list.body["repositories"], json!([]));
    assert_error(
        &h.delete("/api/v1/user/starred/admin/private1", Some(&other))
            .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
}
