//! Self-service accounts: `POST /api/v1/user/` (create, then signed in) and
//! `DELETE /api/v1/user/`.

mod common;

use actix_web::http::{Method, StatusCode};
use common::*;
use quay_core::config::Config;
use serde_json::json;

async fn create(h: &Harness, body: serde_json::Value, with_csrf: bool) -> Response {
    let (cookie, csrf) = h.anonymous_session().await;
    let mut headers = vec![("Cookie", cookie)];
    if with_csrf {
        headers.push(("X-CSRF-Token", csrf));
    }
    h.call_with(
        Method::POST,
        "/api/v1/user/",
        &headers,
        Some(&body.to_string()),
    )
    .await
}

#[actix_web::test]
async fn create_an_account_and_be_signed_in() {
    let h = Harness::new().await;
    let body =
        json!({"username": "newbie", "password": "password1", "email": "newbie@example.com"});
    let r = create(&h, body.clone(), false).await;
    assert_eq!(r.body["error"], "CSRF token was invalid or missing.");

    let r = create(&h, body.clone(), true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["username"].clone(), r.body["is_me"].clone()),
        (json!("newbie"), json!(true))
    );
    assert_eq!(r.body["email"], "newbie@example.com");
    let cookie = r
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let me = h
        .call_with(Method::GET, "/api/v1/user/", &[("Cookie", cookie)], None)
        .await;
    assert_eq!(me.body["username"], "newbie");
    let id = h.namespace_id("newbie").await;
    assert_eq!(h.log_kinds(id).await, ["user_create"]);

    assert_error(
        &create(&h, body, true).await,
        400,
        "invalid_request",
        "The username already exists",
    );
    assert_error(
        &create(
            &h,
            json!({"username": "other", "password": "password1", "email": "newbie@example.com"}),
            true,
        )
        .await,
        400,
        "invalid_request",
        "Email has already been used: newbie@example.com",
    );
    assert_error(
        &create(&h, json!({"username": "other", "password": "short"}), true).await,
        400,
        "invalid_request",
        "Invalid password, password must be at least 8 characters and contain no whitespace.",
    );
    assert_error(
        &create(
            &h,
            json!({"username": "Other", "password": "password1"}),
            true,
        )
        .await,
        400,
        "invalid_request",
        "Invalid namespace Other: Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$",
    );
    assert_error(
        &create(&h, json!({"username": "other"}), true).await,
        400,
        "invalid_request",
        "'password' is a required property",
    );
}

#[actix_web::test]
/// The path stays (GET, DELETE); only its POST is gone, so Flask and we answer 405.
async fn account_creation_can_be_turned_off() {
    let h = Harness::with_config(Config {
        feature_user_creation: false,
        ..Config::default()
    })
    .await;
    let r = create(
        &h,
        json!({"username": "newbie", "password": "password1"}),
        true,
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn delete_your_own_account() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let (uid, other) = h.user("other", ALL_SCOPES).await;
    let read_only = h.token(uid, "user:read").await;
    assert_error(
        &h.delete("/api/v1/user/", None).await,
        401,
        "invalid_token",
        "Requires authentication",
    );
    assert_error(
        &h.delete("/api/v1/user/", Some(&read_only)).await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    h.post(
        "/api/v1/repository",
        Some(&other),
        json!({"repository": "mine", "visibility": "public", "description": ""}),
    )
    .await;

    assert_eq!(
        h.delete("/api/v1/user/", Some(&other)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &h.get("/api/v1/users/other", Some(&admin)).await,
        404,
        "not_found",
        "Not Found",
    );
    // Their repositories went with them; the audit entry stays.
    assert_error(
        &h.get("/api/v1/repository/other/mine", Some(&admin)).await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert!(h.log_kinds(uid).await.contains(&"user_delete".to_string()));
    assert_eq!(
        h.get("/api/v1/user/", Some(&admin)).await.status,
        StatusCode::OK
    );
}
