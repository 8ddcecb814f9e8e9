//! Superuser user management (`/api/v1/superuser/users/`), per identity.

mod common;

use actix_web::http::{Method, StatusCode};
use common::*;
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
