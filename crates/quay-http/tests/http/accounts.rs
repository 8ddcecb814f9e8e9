//! Self-service accounts: `POST /api/v1/user/` (create, then signed in) and
//! `DELETE /api/v1/user/`.

use crate::common::*;
use actix_web::http::{Method, StatusCode};
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
    let cookie = r.session_cookie();
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

/// Signs in through a fresh session; returns (cookie, CSRF token) of the signed-in session.

#[actix_web::test]
async fn change_your_own_account() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let id = h.namespace_id("admin").await;
    let read_only = h.token(id, "user:read").await;
    let change = json!({"email": "new@example.com", "tag_expiration_s": 86400, "given_name": "Ada", "company": null});
    assert_error(
        &h.put("/api/v1/user/", Some(&read_only), change.clone())
            .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &h.put("/api/v1/user/", None, change.clone()).await,
        401,
        "invalid_token",
        "Requires authentication",
    );

    // A refused change changes nothing.
    let bad = json!({"email": "other@example.com", "tag_expiration_s": 5});
    assert_error(
        &h.put("/api/v1/user/", Some(&admin), bad).await,
        400,
        "invalid_request",
        "Invalid tag expiration option",
    );
    assert_eq!(
        h.get("/api/v1/user/", Some(&admin)).await.body["email"],
        "admin@example.com"
    );

    let r = h.put("/api/v1/user/", Some(&admin), change).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["email"], "new@example.com");
    assert_eq!(r.body["tag_expiration_s"], 86400);
    assert_eq!(r.body["given_name"], "Ada");
    let kinds = h.log_kinds(id).await;
    for kind in [
        "user_change_email",
        "user_change_tag_expiration",
        "user_change_metadata",
    ] {
        assert!(kinds.contains(&kind.to_string()), "{kind} in {kinds:?}");
    }
}

#[actix_web::test]
async fn a_new_password_ends_other_sessions_but_keeps_yours() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let (mine, my_csrf) = h.signed_in("admin", "password").await;
    let (other, _) = h.signed_in("admin", "password").await;
    let body = json!({"password": "another-password"}).to_string();
    let r = h
        .call_with(
            Method::PUT,
            "/api/v1/user/",
            &[("Cookie", mine), ("X-CSRF-Token", my_csrf)],
            Some(&body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let renewed = r.session_cookie();
    let me = h
        .call_with(Method::GET, "/api/v1/user/", &[("Cookie", renewed)], None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    let them = h
        .call_with(Method::GET, "/api/v1/user/", &[("Cookie", other)], None)
        .await;
    assert_eq!(them.status, StatusCode::UNAUTHORIZED);
    h.signed_in("admin", "another-password").await;
    assert!(h
        .log_kinds(h.namespace_id("admin").await)
        .await
        .contains(&"account_change_password".to_string()));
}

#[actix_web::test]
async fn convert_an_account_into_an_organization() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let (_, user_token) = h.user("someone", ALL_SCOPES).await;
    let convert =
        |user: &str, password: &str| json!({"adminUser": user, "adminPassword": password});
    let r = h
        .post(
            "/api/v1/user/convert",
            Some(&user_token),
            // (A wrong password for `admin` would start its login backoff.)
            convert("nobody", "wrong-password"),
        )
        .await;
    assert_error(
        &r,
        400,
        "invalid_request",
        "The admin user credentials are not valid",
    );
    assert_eq!(r.body["reason"], "invaliduser");
    let r = h
        .post(
            "/api/v1/user/convert",
            Some(&user_token),
            convert("admin", "password"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"success": true}));
    // The response signs the administrator in.
    let cookie = r.session_cookie();
    let me = h
        .call_with(Method::GET, "/api/v1/user/", &[("Cookie", cookie)], None)
        .await;
    assert_eq!(me.body["username"], "admin");
    // `someone` is an organization now, administered by `admin`; its token is dead.
    let admin_token = h.token(h.namespace_id("admin").await, ALL_SCOPES).await;
    let org = h
        .get("/api/v1/organization/someone", Some(&admin_token))
        .await;
    assert_eq!(org.body["is_admin"], true, "{}", org.body);
    assert_eq!(
        h.get("/api/v1/user/", Some(&user_token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let kinds = h.log_kinds(h.namespace_id("someone").await).await;
    assert_eq!(kinds.last().unwrap(), "account_convert");
}
