//! App-specific tokens (`/api/v1/user/apptoken`), per identity: anonymous 401, a token
//! without `user:admin` 403, the owner 2xx, another user 404 on the owner's tokens.

use crate::common::*;
use actix_web::http::StatusCode;
use quay_core::config::Config;
use serde_json::json;

#[actix_web::test]
async fn create_list_get_revoke_with_logs() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let r = h
        .post(
            "/api/v1/user/apptoken",
            Some(&admin),
            json!({"title": "laptop"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = &r.body["token"];
    let code = token["token_code"].as_str().unwrap();
    assert_eq!(code.len(), 120);
    assert_eq!(token["title"], "laptop");
    assert_eq!(token["last_accessed"], json!(null));
    assert_eq!(token["expiration"], json!(null));
    assert!(token["created"].as_str().unwrap().ends_with(" -0000"));
    let uuid = token["uuid"].as_str().unwrap().to_string();

    // Shown once: neither the list nor the token itself shows the code again.
    let list = h.get("/api/v1/user/apptoken", Some(&admin)).await;
    assert_eq!(list.body["only_expiring"], json!(null));
    let tokens = list.body["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].get("token_code").is_none());
    let one = h
        .get(&format!("/api/v1/user/apptoken/{uuid}"), Some(&admin))
        .await;
    assert_eq!(one.body["token"]["uuid"], json!(uuid));
    assert!(one.body["token"].get("token_code").is_none());
    assert!(
        !one.body.to_string().contains(code),
        "the secret never appears again"
    );

    // Never-expiring tokens are not "expiring soon".
    let soon = h
        .get("/api/v1/user/apptoken?expiring=true", Some(&admin))
        .await;
    assert_eq!(
        (
            soon.body["only_expiring"].clone(),
            soon.body["tokens"].clone()
        ),
        (json!(true), json!([]))
    );

    assert_eq!(
        h.delete(&format!("/api/v1/user/apptoken/{uuid}"), Some(&admin))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &h.get(&format!("/api/v1/user/apptoken/{uuid}"), Some(&admin))
            .await,
        404,
        "not_found",
        "Not Found",
    );
    assert_error(
        &h.delete(&format!("/api/v1/user/apptoken/{uuid}"), Some(&admin))
            .await,
        404,
        "not_found",
        "Not Found",
    );
    let id = h.namespace_id("admin").await;
    assert_eq!(
        h.log_kinds(id).await,
        [
            "user_create",
            "create_app_specific_token",
            "revoke_app_specific_token"
        ]
    );
}

#[actix_web::test]
async fn identities_and_scopes() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let uuid = h
        .post("/api/v1/user/apptoken", Some(&admin), json!({"title": "t"}))
        .await
        .body["token"]["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let (uid, other) = h.user("other", ALL_SCOPES).await;
    let read_only = h.token(uid, "user:read repo:admin").await;
    let path = format!("/api/v1/user/apptoken/{uuid}");

    assert_error(
        &h.get("/api/v1/user/apptoken", None).await,
        401,
        "invalid_token",
        "Requires authentication",
    );
    assert_error(
        &h.post("/api/v1/user/apptoken", None, json!({"title": "x"}))
            .await,
        401,
        "invalid_token",
        "Requires authentication",
    );
    assert_error(
        &h.get("/api/v1/user/apptoken", Some(&read_only)).await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    assert_error(
        &h.post(
            "/api/v1/user/apptoken",
            Some(&read_only),
            json!({"title": "x"}),
        )
        .await,
        403,
        "insufficient_scope",
        "Unauthorized",
    );
    // Another user cannot see or revoke someone else's token: it is not theirs to find.
    assert_error(
        &h.get(&path, Some(&other)).await,
        404,
        "not_found",
        "Not Found",
    );
    assert_error(
        &h.delete(&path, Some(&other)).await,
        404,
        "not_found",
        "Not Found",
    );
    assert_eq!(
        h.get("/api/v1/user/apptoken", Some(&other)).await.body["tokens"],
        json!([])
    );
    assert_eq!(h.get(&path, Some(&admin)).await.status, StatusCode::OK);

    assert_error(
        &h.post("/api/v1/user/apptoken", Some(&admin), json!({}))
            .await,
        400,
        "invalid_request",
        "'title' is a required property",
    );
    assert_error(
        &h.post("/api/v1/user/apptoken", Some(&admin), json!({"title": " "}))
            .await,
        400,
        "invalid_request",
        "Token title must not be empty",
    );
}

#[actix_web::test]
async fn configured_expiration_and_expiring_filter() {
    let config = Config {
        app_specific_token_expiration: Some("10d".into()),
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    let r = h
        .post(
            "/api/v1/user/apptoken",
            Some(&admin),
            json!({"title": "ci"}),
        )
        .await;
    assert!(r.body["token"]["expiration"].is_string());
    // Expiring soon means within a tenth of the lifetime (1 day of 10): not yet.
    assert_eq!(
        h.get("/api/v1/user/apptoken?expiring=true", Some(&admin))
            .await
            .body["tokens"],
        json!([])
    );
    let all = h
        .get("/api/v1/user/apptoken?expiring=false", Some(&admin))
        .await;
    assert_eq!(all.body["only_expiring"], json!(false));
    assert_eq!(all.body["tokens"].as_array().unwrap().len(), 1);

    let config = Config {
        app_specific_token_expiration: Some("1s".into()),
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    h.post(
        "/api/v1/user/apptoken",
        Some(&admin),
        json!({"title": "short"}),
    )
    .await;
    assert_eq!(
        h.get("/api/v1/user/apptoken?expiring=true", Some(&admin))
            .await
            .body["tokens"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[actix_web::test]
async fn unregistered_when_the_feature_is_off() {
    let config = Config {
        feature_app_specific_tokens: false,
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    assert_eq!(
        h.get("/api/v1/user/apptoken", Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );
    let discovery = h.get("/api/v1/discovery", None).await;
    assert!(discovery.body["paths"]
        .get("/api/v1/user/apptoken")
        .is_none());
}
