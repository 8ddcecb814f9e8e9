//! Superuser user management (`/api/v1/superuser/users/`), per identity.

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use quay_core::config::Config;
use serde_json::json;

fn config() -> Config {
    Config {
        super_users: vec!["admin".into()],
        ..Config::default()
    }
}

/// Signs `username` in through `/csrf_token` and `/api/v1/signin`; returns the status.
async fn sign_in(h: &Harness, username: &str, password: &str) -> StatusCode {
    let (cookie, csrf) = h.anonymous_session().await;
    let body = json!({"username": username, "password": password}).to_string();
    let headers = [("Cookie", cookie), ("X-CSRF-Token", csrf)];
    h.call_with(Method::POST, "/api/v1/signin", &headers, Some(&body))
        .await
        .status
}

#[actix_web::test]
async fn only_superusers_with_the_scope_get_in() {
    let h = Harness::with_config(config()).await;
    let admin = h.initialize("admin").await;
    let (_, other) = h.user("other", ALL_SCOPES).await;
    let admin_id = h.namespace_id("admin").await;
    let admin_without_scope = h.token(admin_id, "repo:admin user:admin org:admin").await;

    assert_error(
        &h.get("/api/v1/superuser/users/", None).await,
        401,
        "invalid_token",
        "Requires authentication",
    );
    assert_error(
        &h.get("/api/v1/superuser/users/", Some(&other)).await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &h.get("/api/v1/superuser/users/", Some(&admin_without_scope))
            .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &h.post(
            "/api/v1/superuser/users/",
            Some(&other),
            json!({"username": "x"}),
        )
        .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &h.delete("/api/v1/superuser/users/other", Some(&other))
            .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );

    let r = h.get("/api/v1/superuser/users/", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    let users = r.body["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(
        (users[0]["username"].clone(), users[0]["super_user"].clone()),
        (json!("admin"), json!(true))
    );
    assert_eq!(
        (users[1]["username"].clone(), users[1]["super_user"].clone()),
        (json!("other"), json!(false))
    );
    assert_eq!(users[0]["kind"], "user");
}

#[actix_web::test]
async fn create_update_disable_delete_a_user() {
    let h = Harness::with_config(config()).await;
    let admin = h.initialize("admin").await;
    let r = h
        .post(
            "/api/v1/superuser/users/",
            Some(&admin),
            json!({"username": "quaysuper", "email": "quaysuper@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let password = r.body["password"].as_str().unwrap().to_string();
    assert_eq!(password.len(), 32);
    assert!(password
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    // The generated password is real: the new user signs in with it.
    assert_eq!(sign_in(&h, "quaysuper", &password).await, StatusCode::OK);

    assert_error(
        &h.post(
            "/api/v1/superuser/users/",
            Some(&admin),
            json!({"username": "quaysuper"}),
        )
        .await,
        400,
        "invalid_request",
        "Username has already been taken by user cannot be reused: quaysuper",
    );
    assert_error(
        &h.post(
            "/api/v1/superuser/users/",
            Some(&admin),
            json!({"username": "x2", "email": "quaysuper@example.com"}),
        )
        .await,
        400,
        "invalid_request",
        "Email has already been used: quaysuper@example.com",
    );

    let path = "/api/v1/superuser/users/quaysuper";
    assert_eq!(
        h.get(path, Some(&admin)).await.body["email"],
        "quaysuper@example.com"
    );
    let r = h
        .put(
            path,
            Some(&admin),
            json!({"email": "new@example.com", "password": "brand-new-pw"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["email"].clone()),
        (StatusCode::OK, json!("new@example.com"))
    );
    // The new password works and the old one no longer does (checked in that order:
    // a failure first would make the next attempt wait out the backoff).
    assert_eq!(
        sign_in(&h, "quaysuper", "brand-new-pw").await,
        StatusCode::OK
    );
    assert_eq!(
        sign_in(&h, "quaysuper", &password).await,
        StatusCode::FORBIDDEN
    );
    assert_error(
        &h.put(path, Some(&admin), json!({"password": "short"}))
            .await,
        400,
        "invalid_request",
        "Invalid password, password must be at least 8 characters and contain no whitespace.",
    );

    let r = h.put(path, Some(&admin), json!({"enabled": false})).await;
    assert_eq!(r.body["enabled"], false);
    let enabled_only = h
        .get("/api/v1/superuser/users/?disabled=false", Some(&admin))
        .await;
    assert_eq!(enabled_only.body["users"].as_array().unwrap().len(), 1);
    assert_eq!(
        h.get("/api/v1/superuser/users/", Some(&admin)).await.body["users"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Superusers themselves are out of reach.
    assert_error(
        &h.put(
            "/api/v1/superuser/users/admin",
            Some(&admin),
            json!({"enabled": false}),
        )
        .await,
        400,
        "invalid_request",
        "Cannot update a superuser",
    );
    assert_error(
        &h.delete("/api/v1/superuser/users/admin", Some(&admin))
            .await,
        400,
        "invalid_request",
        "Cannot delete a superuser",
    );

    let id = h.namespace_id("quaysuper").await;
    assert_eq!(
        h.delete(path, Some(&admin)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &h.get(path, Some(&admin)).await,
        404,
        "not_found",
        "Not Found",
    );
    let kinds: Vec<String> = h
        .log_kinds(id)
        .await
        .into_iter()
        .filter(|k| !k.starts_with("login_"))
        .collect();
    assert_eq!(
        kinds,
        [
            "user_create",
            "user_change_password",
            "user_change_email",
            "user_disable",
            "user_delete"
        ]
    );
}

#[actix_web::test]
async fn listing_pages_with_limit() {
    let h = Harness::with_config(config()).await;
    let admin = h.initialize("admin").await;
    h.user("u1", "user:read").await;
    h.user("u2", "user:read").await;
    let first = h
        .get("/api/v1/superuser/users/?limit=2", Some(&admin))
        .await;
    assert_eq!(first.body["users"].as_array().unwrap().len(), 2);
    let token = first.body["next_page"].as_str().unwrap();
    let second = h
        .get(
            &format!("/api/v1/superuser/users/?limit=2&next_page={token}"),
            Some(&admin),
        )
        .await;
    assert_eq!(second.body["users"][0]["username"], "u2");
    assert!(second.body.get("next_page").is_none());
}

#[actix_web::test]
async fn unregistered_without_the_feature() {
    let h = Harness::with_config(Config {
        feature_super_users: false,
        ..config()
    })
    .await;
    let admin = h.initialize("admin").await;
    assert_eq!(
        h.get("/api/v1/superuser/users/", Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );
}

/// `admin` (superuser), organization `acme` (with robot `acme+bot`) owned by `owner`.
async fn with_organization(config: Config) -> (Harness, String, String) {
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    let (_, owner) = h.user("owner", ALL_SCOPES).await;
    let r = h
        .post(
            "/api/v1/organization/",
            Some(&owner),
            json!({"name": "acme", "email": "acme@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = h
        .put(
            "/api/v1/organization/acme/robots/bot",
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    (h, admin, owner)
}

#[actix_web::test]
async fn organizations_listed_renamed_and_deleted() {
    let (h, admin, owner) = with_organization(config()).await;
    let list = h
        .get("/api/v1/superuser/organizations/", Some(&admin))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["organizations"][0]["name"], "acme");
    assert_eq!(list.body["organizations"][0]["email"], "acme@example.com");
    assert_eq!(list.body["organizations"][0]["avatar"]["kind"], "user");
    assert!(list.body.get("next_page").is_none());
    assert_error(
        &h.get("/api/v1/superuser/organizations/?limit=101", Some(&admin))
            .await,
        400,
        "invalid_request",
        "Page limit cannot be above 100",
    );
    for token in [None, Some(owner.as_str())] {
        let r = h.get("/api/v1/superuser/organizations/", token).await;
        assert_eq!(r.status.as_u16(), if token.is_some() { 403 } else { 401 });
    }

    // A rename takes the robots along.
    let r = h
        .put(
            "/api/v1/superuser/organizations/acme",
            Some(&admin),
            json!({"name": "acme-corp"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "acme-corp");
    let robots = h
        .get("/api/v1/organization/acme-corp/robots", Some(&owner))
        .await;
    assert_eq!(robots.body["robots"][0]["name"], "acme-corp+bot");
    assert_error(
        &h.put(
            "/api/v1/superuser/organizations/acme-corp",
            Some(&admin),
            json!({"name": "owner"}),
        )
        .await,
        400,
        "invalid_request",
        "A user or organization with this name already exists",
    );
    assert_error(
        &h.put(
            "/api/v1/superuser/organizations/nosuch",
            Some(&admin),
            json!({"name": "x1"}),
        )
        .await,
        400,
        "invalid_request",
        "Organization does not exist: nosuch",
    );
    let org_id = h.namespace_id("acme-corp").await;
    assert!(h
        .log_kinds(org_id)
        .await
        .contains(&"org_change_name".into()));

    assert_eq!(
        h.delete("/api/v1/superuser/organizations/acme-corp", Some(&owner))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.delete("/api/v1/superuser/organizations/acme-corp", Some(&admin))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let list = h
        .get("/api/v1/superuser/organizations/", Some(&admin))
        .await;
    assert_eq!(list.body["organizations"], json!([]));
}

#[actix_web::test]
async fn taking_ownership_of_an_organization_and_of_a_user() {
    let (h, admin, owner) = with_organization(config()).await;
    let r = h
        .post(
            "/api/v1/superuser/takeownership/acme",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"namespace": "acme"}));
    let org = h.get("/api/v1/organization/acme", Some(&admin)).await;
    assert_eq!(org.body["is_admin"], true);

    // A user becomes an organization the superuser administers; its credentials end.
    let r = h
        .post(
            "/api/v1/superuser/takeownership/owner",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let org = h.get("/api/v1/organization/owner", Some(&admin)).await;
    assert_eq!(org.status, StatusCode::OK, "{}", org.body);
    assert_eq!(org.body["is_admin"], true);
    assert_eq!(
        h.get("/api/v1/user/", Some(&owner)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let kinds = h.log_kinds(h.namespace_id("admin").await).await;
    assert_eq!(
        &kinds[kinds.len() - 2..],
        ["take_ownership", "take_ownership"]
    );

    assert_error(
        &h.post(
            "/api/v1/superuser/takeownership/admin",
            Some(&admin),
            json!({}),
        )
        .await,
        400,
        "invalid_request",
        "Cannot take ownership of a superuser",
    );
    assert_error(
        &h.post(
            "/api/v1/superuser/takeownership/nosuch",
            Some(&admin),
            json!({}),
        )
        .await,
        404,
        "not_found",
        "Not Found",
    );
    let (_, other) = h.user("other", ALL_SCOPES).await;
    assert_eq!(
        h.post(
            "/api/v1/superuser/takeownership/acme",
            Some(&other),
            json!({})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn global_readonly_superusers_read_everything_and_change_nothing() {
    let config = Config {
        super_users: vec!["admin".into()],
        global_readonly_super_users: vec!["auditor".into()],
        ..Config::default()
    };
    let (h, _, owner) = with_organization(config).await;
    h.post(
        "/api/v1/repository",
        Some(&owner),
        json!({"namespace": "acme", "repository": "secret", "visibility": "private", "description": ""}),
    )
    .await;
    let (_, auditor) = h.user("auditor", ALL_SCOPES).await;
    for path in [
        "/api/v1/superuser/users/",
        "/api/v1/superuser/users/owner",
        "/api/v1/superuser/organizations/",
        "/api/v1/repository/acme/secret",
        "/api/v1/organization/acme/robots",
        "/api/v1/organization/acme/applications",
    ] {
        let r = h.get(path, Some(&auditor)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    }
    // Names, never credentials.
    let robots = h
        .get("/api/v1/organization/acme/robots", Some(&auditor))
        .await;
    assert_eq!(robots.body["robots"][0]["name"], "acme+bot");
    assert!(robots.body["robots"][0].get("token").is_none());
    // One robot too (Quay's `getOrgRobot` admits them), still without its token.
    let robot = h
        .get("/api/v1/organization/acme/robots/bot", Some(&auditor))
        .await;
    assert_eq!(robot.status, StatusCode::OK, "{}", robot.body);
    assert_eq!(robot.body["name"], "acme+bot");
    assert!(robot.body.get("token").is_none(), "{}", robot.body);
    let writes = [
        (
            Method::POST,
            "/api/v1/superuser/users/",
            json!({"username": "newbie"}),
        ),
        (
            Method::PUT,
            "/api/v1/superuser/users/owner",
            json!({"enabled": false}),
        ),
        (Method::DELETE, "/api/v1/superuser/users/owner", json!({})),
        (
            Method::PUT,
            "/api/v1/superuser/organizations/acme",
            json!({"name": "x2"}),
        ),
        (
            Method::DELETE,
            "/api/v1/superuser/organizations/acme",
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/superuser/takeownership/acme",
            json!({}),
        ),
        (
            Method::PUT,
            "/api/v1/repository/acme/secret",
            json!({"description": "x"}),
        ),
        (Method::DELETE, "/api/v1/repository/acme/secret", json!({})),
        (
            Method::PUT,
            "/api/v1/organization/acme/robots/spy",
            json!({}),
        ),
    ];
    for (method, path, body) in writes {
        let r = h
            .call(method, path, Some(&auditor), Some(&body.to_string()))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
}

#[actix_web::test]
async fn renaming_ones_own_account() {
    let config = Config {
        feature_user_rename: true,
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    h.put("/api/v1/user/robots/bot", Some(&admin), json!({}))
        .await;
    h.user("taken", ALL_SCOPES).await;
    assert_error(
        &h.put("/api/v1/user/", Some(&admin), json!({"username": "taken"}))
            .await,
        400,
        "invalid_request",
        "Username is already in use",
    );
    assert_error(
        &h.put("/api/v1/user/", Some(&admin), json!({"username": "Bad Name"}))
            .await,
        400,
        "invalid_request",
        "Invalid username Bad Name: Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$",
    );
    let r = h
        .put("/api/v1/user/", Some(&admin), json!({"username": "boss"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["username"], "boss");
    // The same token still works; the robots follow the new name.
    let robots = h.get("/api/v1/user/robots", Some(&admin)).await;
    assert_eq!(robots.body["robots"][0]["name"], "boss+bot");
    let id = h.namespace_id("boss").await;
    let kinds = h.log_kinds(id).await;
    assert_eq!(kinds.last().unwrap(), "user_change_name");
}

#[actix_web::test]
async fn without_the_rename_feature_a_new_username_is_ignored() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let r = h
        .put("/api/v1/user/", Some(&admin), json!({"username": "boss"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["username"], "admin");
}
