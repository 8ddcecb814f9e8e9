//! API tests: the real application on its own database (SQLite, or PostgreSQL when
//! `QUAY_TEST_DATABASE_URL` is set), through actix's test service.

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use quay_core::config::Config;
use serde_json::json;

const UNAUTHENTICATED: &str = "Requires authentication";

#[actix_web::test]
async fn initialize_makes_exactly_one_first_user() {
    let h = Harness::new().await;
    let bad = |body| async { h.post("/api/v1/user/initialize", None, body).await };
    assert_error(
        &bad(json!({"username": "admin"})).await,
        400,
        "invalid_request",
        "'password' is a required property",
    );
    assert_error(
        &bad(json!({"username": "admin", "password": "short"})).await,
        400,
        "invalid_request",
        "Failed to initialize user: Invalid password, password must be at least 8 characters and contain no whitespace.",
    );
    assert_error(
        &bad(json!({"username": "Admin", "password": "password"})).await,
        400,
        "invalid_request",
        "Failed to initialize user: Invalid namespace Admin: Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$",
    );
    assert_error(
        &bad(json!({"username": "admin", "password": "password", "email": "nope"})).await,
        400,
        "invalid_request",
        "Failed to initialize user: Invalid email address: nope",
    );
    let r = h
        .post(
            "/api/v1/user/initialize",
            None,
            json!({"username": "admin", "password": "password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"email": null, "username": "admin"}),
        "no token unless asked"
    );
    assert_error(
        &bad(json!({"username": "other", "password": "password", "access_token": true})).await,
        400,
        "invalid_request",
        "Cannot initialize user in a non-empty database",
    );
    let id = h.namespace_id("admin").await;
    assert_eq!(h.log_kinds(id).await, ["user_create"]);
}

#[actix_web::test]
async fn initialize_token_carries_every_scope() {
    let h = Harness::new().await;
    let token = h.initialize("admin").await;
    assert_eq!(token.len(), 40);
    let me = h.get("/api/v1/user/", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "admin");
    assert_eq!(me.body["is_me"], true);
    assert_eq!(me.body["email"], "admin@example.com");
    assert_eq!(me.body["avatar"]["kind"], "user");
}

#[actix_web::test]
async fn initialize_is_unregistered_when_the_feature_is_off() {
    let config = Config {
        feature_user_initialize: false,
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let r = h
        .post(
            "/api/v1/user/initialize",
            None,
            json!({"username": "admin", "password": "password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn current_user_needs_a_user_token() {
    let h = Harness::new().await;
    let r = h.get("/api/v1/user/", None).await;
    assert_error(&r, 401, "invalid_token", UNAUTHENTICATED);
    assert_eq!(r.body["session_required"], false);
    let (_, repo_only) = h.user("devtable", "repo:read").await;
    assert_error(
        &h.get("/api/v1/user/", Some(&repo_only)).await,
        401,
        "invalid_token",
        UNAUTHENTICATED,
    );
    let (_, reader) = h.user("reader", "user:read").await;
    let r = h.get("/api/v1/user/", Some(&reader)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.get("email").is_none(),
        "user:read does not show the private view"
    );
    assert_eq!(r.body["organizations"], json!([]));
    // An expired or unknown token is anonymous, as in Quay.
    let id = h.namespace_id("devtable").await;
    let expired = quay_persistence::testing::seed_token(&h.t.db, id, "user:admin", -10).await;
    assert_error(
        &h.get("/api/v1/user/", Some(&expired)).await,
        401,
        "invalid_token",
        UNAUTHENTICATED,
    );
    assert_error(
        &h.get("/api/v1/user/", Some("x".repeat(40).as_str())).await,
        401,
        "invalid_token",
        UNAUTHENTICATED,
    );
}

#[actix_web::test]
async fn other_users_show_their_public_view() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    h.user("devtable", "repo:read").await;
    let r = h.get("/api/v1/users/devtable", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    // The caller is a superuser? No: SUPER_USERS is empty by default.
    assert_eq!(keys, ["anonymous", "username", "avatar"]);
    assert_eq!(
        h.get("/api/v1/users/devtable", None).await.status,
        StatusCode::OK
    );
    assert_error(
        &h.get("/api/v1/users/nobody", None).await,
        404,
        "not_found",
        "Not Found",
    );
}

#[actix_web::test]
async fn organization_lifecycle_with_logs() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let (_, outsider) = h
        .user(
            "outsider",
            "repo:read repo:write repo:admin repo:create user:read user:admin org:admin",
        )
        .await;

    let r = h
        .post(
            "/api/v1/organization/",
            Some(&admin),
            json!({"name": "buynlarge", "email": "org@example.com"}),
        )
        .await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::CREATED, &json!("Created"))
    );
    let org_id = h.namespace_id("buynlarge").await;

    // Outsiders see the public part only; members see teams; admins everything.
    let r = h
        .get("/api/v1/organization/buynlarge", Some(&outsider))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.body["is_admin"].clone(), r.body["email"].clone()),
        (json!(false), json!(""))
    );
    assert!(r.body.get("teams").is_none() && r.body.get("tag_expiration_s").is_none());
    assert_eq!(
        h.get("/api/v1/organization/buynlarge", None).await.status,
        StatusCode::OK
    );
    let r = h.get("/api/v1/organization/buynlarge", Some(&admin)).await;
    assert_eq!(r.body["is_admin"], true);
    assert_eq!(r.body["email"], "org@example.com");
    assert_eq!(r.body["ordered_teams"], json!(["owners"]));
    assert_eq!(r.body["teams"]["owners"]["role"], "admin");
    assert_eq!(r.body["teams"]["owners"]["member_count"], 1);
    assert_eq!(r.body["tag_expiration_s"], 1_209_600);
    assert_error(
        &h.get("/api/v1/organization/nothere", Some(&admin)).await,
        404,
        "not_found",
        "Not Found",
    );

    // Changes: admins only, validated before anything is written.
    assert_error(
        &h.put(
            "/api/v1/organization/buynlarge",
            Some(&outsider),
            json!({"tag_expiration_s": 0}),
        )
        .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &h.put("/api/v1/organization/nothere", Some(&outsider), json!({}))
            .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &h.put(
            "/api/v1/organization/buynlarge",
            Some(&admin),
            json!({"tag_expiration_s": 5}),
        )
        .await,
        400,
        "invalid_request",
        "Invalid tag expiration option",
    );
    assert_error(
        &h.put(
            "/api/v1/organization/buynlarge",
            Some(&admin),
            json!({"tag_expiration_s": -1}),
        )
        .await,
        400,
        "invalid_request",
        "-1 is less than the minimum of 0",
    );
    assert_error(
        &h.put(
            "/api/v1/organization/buynlarge",
            Some(&admin),
            json!({"email": "outsider@example.com"}),
        )
        .await,
        400,
        "invalid_request",
        "E-mail address already used",
    );
    let r = h
        .put(
            "/api/v1/organization/buynlarge",
            Some(&admin),
            json!({"tag_expiration_s": 86400, "email": "new@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["tag_expiration_s"].clone(), r.body["email"].clone()),
        (json!(86400), json!("new@example.com"))
    );

    assert_error(
        &h.delete("/api/v1/organization/buynlarge", Some(&outsider))
            .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &h.delete("/api/v1/organization/buynlarge", None).await,
        401,
        "invalid_token",
        UNAUTHENTICATED,
    );
    assert_eq!(
        h.delete("/api/v1/organization/buynlarge", Some(&admin))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &h.get("/api/v1/organization/buynlarge", Some(&admin)).await,
        404,
        "not_found",
        "Not Found",
    );
    assert_eq!(
        h.log_kinds(org_id).await,
        [
            "org_create",
            "org_change_email",
            "org_change_tag_expiration",
            "org_delete"
        ]
    );
}

#[actix_web::test]
async fn organization_creation_refusals() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let (uid, _) = h.user("devtable", "repo:read").await;
    let repo_read_only = h.token(uid, "repo:read org:admin").await;
    let create = |token: Option<String>, body: serde_json::Value| {
        let h = &h;
        async move {
            h.post("/api/v1/organization/", token.as_deref(), body)
                .await
        }
    };
    assert_error(
        &create(None, json!({"name": "org1"})).await,
        401,
        "invalid_token",
        UNAUTHENTICATED,
    );
    assert_error(
        &create(Some(repo_read_only), json!({"name": "org1"})).await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &create(Some(admin.clone()), json!({})).await,
        400,
        "invalid_request",
        "'name' is a required property",
    );
    assert_error(
        &create(Some(admin.clone()), json!({"name": 7})).await,
        400,
        "invalid_request",
        "7 is not of type 'string'",
    );
    let taken = "A user or organization with this name already exists";
    assert_error(
        &create(Some(admin.clone()), json!({"name": "devtable"})).await,
        400,
        "invalid_request",
        taken,
    );
    let pattern = "Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$";
    for bad in ["MyOrg", "my org", "my_org!", "-org"] {
        assert_error(
            &create(Some(admin.clone()), json!({"name": bad})).await,
            400,
            "invalid_request",
            &format!("Invalid namespace {bad}: {pattern}"),
        );
    }
    let long = "a".repeat(256);
    assert_error(
        &create(Some(admin.clone()), json!({"name": long})).await,
        400,
        "invalid_request",
        &format!(
            "Invalid namespace {long}: Namespace must be between 2 and 255 characters in length"
        ),
    );
    assert_error(
        &create(Some(admin.clone()), json!({"name": "org1", "email": "bad"})).await,
        400,
        "invalid_request",
        "Invalid email address: bad",
    );
    assert_eq!(
        create(Some(admin.clone()), json!({"name": "org1"}))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_error(
        &create(Some(admin.clone()), json!({"name": "org1"})).await,
        400,
        "invalid_request",
        taken,
    );
}

#[actix_web::test]
async fn repository_lifecycle_with_logs() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let admin_id = h.namespace_id("admin").await;
    let body = json!({"repository": "simple", "visibility": "private", "description": "A repo"});
    let r = h
        .post("/api/v1/repository", Some(&admin), body.clone())
        .await;
    assert_eq!(
        (r.status, &r.body),
        (
            StatusCode::CREATED,
            &json!({"namespace": "admin", "name": "simple", "kind": "image"})
        )
    );
    assert_error(
        &h.post("/api/v1/repository", Some(&admin), body).await,
        400,
        "invalid_request",
        "Repository already exists",
    );

    let r = h.get("/api/v1/repository/admin/simple", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["is_public"], false);
    assert_eq!(r.body["can_admin"], true);
    assert_eq!(r.body["tags"], json!({}));
    assert_eq!(r.body["description"], "A repo");
    assert!(r.body.get("stats").is_none());
    let r = h
        .get(
            "/api/v1/repository/admin/simple?includeTags=false&includeStats=true",
            Some(&admin),
        )
        .await;
    assert!(r.body.get("tags").is_none());
    assert_eq!(r.body["stats"].as_array().unwrap().len(), 91);

    let r = h
        .put(
            "/api/v1/repository/admin/simple",
            Some(&admin),
            json!({"description": "Changed"}),
        )
        .await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::OK, &json!({"success": true}))
    );
    let r = h
        .post(
            "/api/v1/repository/admin/simple/changevisibility",
            Some(&admin),
            json!({"visibility": "public"}),
        )
        .await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::OK, &json!({"success": true}))
    );
    let r = h.get("/api/v1/repository/admin/simple", None).await;
    assert_eq!(
        (
            r.status,
            r.body["description"].clone(),
            r.body["status_token"].clone()
        ),
        (StatusCode::OK, json!("Changed"), json!(""))
    );
    assert_error(
        &h.post(
            "/api/v1/repository/admin/simple/changevisibility",
            Some(&admin),
            json!({"visibility": "hidden"}),
        )
        .await,
        400,
        "invalid_request",
        "'hidden' is not one of ['public', 'private']",
    );

    assert_eq!(
        h.delete("/api/v1/repository/admin/simple", Some(&admin))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &h.get("/api/v1/repository/admin/simple", Some(&admin)).await,
        404,
        "not_found",
        "Not Found",
    );
    assert_eq!(
        h.log_kinds(admin_id).await,
        [
            "user_create",
            "create_repo",
            "set_repo_description",
            "change_repo_visibility",
            "delete_repo"
        ]
    );
}

#[actix_web::test]
async fn repository_access_follows_quay_ordering() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let (uid, outsider) = h.user("outsider", ALL_SCOPES).await;
    let no_create = h.token(uid, "repo:read repo:write repo:admin").await;
    let read_only = h.token(h.namespace_id("admin").await, "repo:read").await;
    h.post(
        "/api/v1/repository",
        Some(&admin),
        json!({"repository": "private", "visibility": "private", "description": ""}),
    )
    .await;

    // Missing token: 401. Token without the scope: 403.
    let body = json!({"repository": "x", "visibility": "private", "description": ""});
    assert_error(
        &h.post("/api/v1/repository", None, body.clone()).await,
        401,
        "invalid_token",
        UNAUTHENTICATED,
    );
    assert_error(
        &h.post("/api/v1/repository", Some(&no_create), body.clone())
            .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &h.put(
            "/api/v1/repository/admin/private",
            Some(&read_only),
            json!({"description": "x"}),
        )
        .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    // Someone else's namespace or private repository: 403, whether or not it exists.
    let elsewhere = json!({"namespace": "admin", "repository": "x", "visibility": "private", "description": ""});
    assert_error(
        &h.post("/api/v1/repository", Some(&outsider), elsewhere)
            .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    for path in [
        "/api/v1/repository/admin/private",
        "/api/v1/repository/admin/missing",
        "/api/v1/repository/ghost/missing",
    ] {
        assert_error(
            &h.get(path, Some(&outsider)).await,
            403,
            "insufficient_scope",
            "Unauthorized",
        );
        assert_error(
            &h.get(path, None).await,
            401,
            "invalid_token",
            UNAUTHENTICATED,
        );
    }
    assert_error(
        &h.delete("/api/v1/repository/admin/private", Some(&outsider))
            .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    // The owner learns it does not exist.
    assert_error(
        &h.get("/api/v1/repository/admin/missing", Some(&admin))
            .await,
        404,
        "not_found",
        "Not Found",
    );
    assert_error(
        &h.delete("/api/v1/repository/admin/missing", Some(&admin))
            .await,
        404,
        "not_found",
        "Not Found",
    );
    assert_eq!(
        h.get("/api/v1/repository/admin/private", Some(&read_only))
            .await
            .body["can_write"],
        false
    );
}

#[actix_web::test]
async fn repository_names_are_validated() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let create = |name: String| {
        let h = &h;
        let admin = admin.clone();
        async move {
            h.post(
                "/api/v1/repository",
                Some(&admin),
                json!({"repository": name, "visibility": "public", "description": ""}),
            )
            .await
        }
    };
    for bad in [
        "Upper".to_string(),
        "a".repeat(256),
        "bad name".into(),
        "-lead".into(),
        "a:b".into(),
        "a//b".into(),
        "".into(),
    ] {
        assert_error(
            &create(bad.clone()).await,
            400,
            "invalid_request",
            "Invalid repository name",
        );
    }
    // Extended names nest with '/', and every endpoint finds them.
    assert_eq!(
        create("team/app/api".into()).await.status,
        StatusCode::CREATED
    );
    let r = h
        .get("/api/v1/repository/admin/team/app/api", Some(&admin))
        .await;
    assert_eq!(
        (r.status, r.body["name"].clone()),
        (StatusCode::OK, json!("team/app/api"))
    );
    let r = h
        .post(
            "/api/v1/repository/admin/team/app/api/changevisibility",
            Some(&admin),
            json!({"visibility": "private"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        h.get("/api/v1/repository/admin/team/app/api", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn extended_names_can_be_turned_off() {
    let config = Config {
        feature_extended_repository_names: false,
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    let r = h
        .post(
            "/api/v1/repository",
            Some(&admin),
            json!({"repository": "a/b", "visibility": "public", "description": ""}),
        )
        .await;
    assert_error(&r, 400, "invalid_request", "Invalid repository name");
}

#[actix_web::test]
async fn repository_listing_filters_and_pages() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let (_, other) = h.user("other", ALL_SCOPES).await;
    for i in 0..103 {
        let vis = if i < 2 { "public" } else { "private" };
        let r = h
            .post(
                "/api/v1/repository",
                Some(&admin),
                json!({"repository": format!("r{i:03}"), "visibility": vis, "description": ""}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    assert_error(
        &h.get("/api/v1/repository", Some(&admin)).await,
        400,
        "invalid_request",
        "namespace, starred or public are required for this API call",
    );
    assert_eq!(
        h.get("/api/v1/repository?starred=true", None).await.status,
        StatusCode::BAD_REQUEST
    );

    // Paging: 100, then the rest through next_page.
    let first = h
        .get("/api/v1/repository?namespace=admin", Some(&admin))
        .await;
    let repos = first.body["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), 100);
    assert_eq!(repos[0]["name"], "r000");
    assert_eq!(repos[0]["is_starred"], false);
    assert!(repos[0].get("last_modified").is_none() && repos[0].get("popularity").is_none());
    let token = first.body["next_page"].as_str().expect("a next page");
    let second = h
        .get(
            &format!("/api/v1/repository?namespace=admin&next_page={token}"),
            Some(&admin),
        )
        .await;
    let names: Vec<_> = second.body["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, [json!("r100"), json!("r101"), json!("r102")]);
    assert!(second.body.get("next_page").is_none());
    // A forged token is the first page.
    let forged = h
        .get(
            "/api/v1/repository?namespace=admin&next_page=abc.def",
            Some(&admin),
        )
        .await;
    assert_eq!(forged.body["repositories"][0]["name"], "r000");

    // Visibility: others see public repositories only when they ask for them.
    let r = h
        .get("/api/v1/repository?namespace=admin", Some(&other))
        .await;
    assert_eq!(r.body["repositories"], json!([]));
    let r = h
        .get(
            "/api/v1/repository?public=true&last_modified=true&popularity=true",
            None,
        )
        .await;
    let repos = r.body["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), 2);
    assert_eq!(repos[0]["last_modified"], json!(null));
    assert_eq!(repos[0]["popularity"], json!(0.0));
    assert!(
        repos[0].get("is_starred").is_none(),
        "anonymous callers get no is_starred"
    );
    assert_error(
        &h.get("/api/v1/repository?public=true&repo_kind=helm", None)
            .await,
        400,
        "invalid_request",
        "Unknown repository kind",
    );
}

#[actix_web::test]
async fn malformed_requests_are_400_not_500() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    for body in ["{not json", "[1, 2]", "\"text\"", "null", ""] {
        let r = h
            .call(Method::POST, "/api/v1/repository", Some(&admin), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert_eq!(r.body["error_type"], "invalid_request");
    }
    let r = h
        .call(
            Method::POST,
            "/api/v1/repository",
            Some(&admin),
            Some("{not json"),
        )
        .await;
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .starts_with("Invalid JSON body: "));
    let r = h
        .call(
            Method::PUT,
            "/api/v1/organization/x",
            Some(&admin),
            Some("{\"invoice_email\": \"yes\"}"),
        )
        .await;
    assert_error(&r, 400, "invalid_request", "'yes' is not of type 'boolean'");
}

#[actix_web::test]
async fn unknown_routes_and_methods_answer_json() {
    let h = Harness::new().await;
    let r = h.get("/api/v1/nothing/here", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error_type"], "not_found");
    let r = h
        .call(Method::PATCH, "/api/v1/repository", None, None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body["status"], 405);
    // Endpoints of later issues are not registered, not faked.
    assert_eq!(
        h.get("/api/v1/repository/admin/simple/build/", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.get("/api/v1/organization/acme/quota", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn readonly_registry_refuses_writes() {
    let config = Config {
        registry_state: "readonly".into(),
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let r = h
        .post("/api/v1/organization/", None, json!({"name": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body["is_readonly"], true);
    assert_eq!(
        h.get("/api/v1/discovery", None).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn anonymous_access_can_be_disabled() {
    let config = Config {
        feature_anonymous_access: false,
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    h.post(
        "/api/v1/repository",
        Some(&admin),
        json!({"repository": "pub", "visibility": "public", "description": ""}),
    )
    .await;
    assert_error(
        &h.get("/api/v1/repository/admin/pub", None).await,
        401,
        "invalid_token",
        "Anonymous access is not allowed",
    );
    assert_eq!(
        h.get("/api/v1/repository/admin/pub", Some(&admin))
            .await
            .status,
        StatusCode::OK
    );
    // @anon_allowed endpoints stay open.
    assert_eq!(
        h.get("/api/v1/discovery", None).await.status,
        StatusCode::OK
    );
    assert_error(
        &h.get("/api/v1/user/", None).await,
        401,
        "invalid_token",
        UNAUTHENTICATED,
    );
}

#[actix_web::test]
async fn superusers_reach_other_repositories_only_with_full_access() {
    let mut config = Config {
        super_users: vec!["root".into()],
        ..Config::default()
    };
    let h = Harness::with_config(config.clone()).await;
    let admin = h.initialize("admin").await;
    h.post(
        "/api/v1/repository",
        Some(&admin),
        json!({"repository": "p", "visibility": "private", "description": ""}),
    )
    .await;
    let (_, root) = h.user("root", ALL_SCOPES).await;
    assert_eq!(
        h.get("/api/v1/repository/admin/p", Some(&root))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let me = h.get("/api/v1/user/", Some(&root)).await;
    assert_eq!(me.body["super_user"], true);

    config.feature_superusers_full_access = true;
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    h.post(
        "/api/v1/repository",
        Some(&admin),
        json!({"repository": "p", "visibility": "private", "description": ""}),
    )
    .await;
    let (uid, root) = h.user("root", ALL_SCOPES).await;
    assert_eq!(
        h.get("/api/v1/repository/admin/p", Some(&root))
            .await
            .status,
        StatusCode::OK
    );
    // Without the super:user scope the powers are not there.
    let plain = h.token(uid, "repo:read").await;
    assert_eq!(
        h.get("/api/v1/repository/admin/p", Some(&plain))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn discovery_lists_exactly_the_registered_routes() {
    let h = Harness::new().await;
    let documented = |body: &serde_json::Value| {
        let mut ops: Vec<(String, String)> = Vec::new();
        for (path, item) in body["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if ["get", "post", "put", "delete"].contains(&method.as_str()) {
                    assert!(op["operationId"].is_string());
                    ops.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        ops.sort();
        ops
    };
    let table = quay_http::routes::endpoints(&quay_core::config::Config::default());
    let registered = |include_internal: bool| {
        let mut ops: Vec<(String, String)> = table
            .iter()
            .filter(|e| include_internal || !e.internal)
            .map(|e| (e.method.to_string(), e.path.to_string()))
            .collect();
        ops.sort();
        ops
    };
    let all = h.get("/api/v1/discovery?internal=true", None).await;
    assert_eq!(documented(&all.body), registered(true));
    let r = h.get("/api/v1/discovery", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["swagger"], "2.0");
    assert_eq!(documented(&r.body), registered(false));
    assert!(
        r.body["paths"].get("/api/v1/signin").is_none(),
        "internal-only"
    );
    let create = &r.body["paths"]["/api/v1/repository"]["post"];
    assert_eq!(
        create["security"],
        json!([{"oauth2_implicit": ["repo:create"]}])
    );
    assert_eq!(
        r.body["definitions"]["NewRepo"]["required"],
        json!(["repository", "visibility", "description"])
    );
}

#[actix_web::test]
async fn health_endpoints() {
    let h = Harness::new().await;
    for path in ["/health/instance", "/health/endtoend", "/health"] {
        let r = h.get(path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.body["status_code"], 200);
        assert_eq!(r.body["data"]["services"]["database"], true);
    }
}
