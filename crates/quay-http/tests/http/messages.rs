//! Global messages (`/api/v1/messages`): everyone reads them, superusers write them.

use crate::common::*;
use actix_web::http::StatusCode;
use quay_core::config::Config;
use serde_json::json;

fn config() -> Config {
    Config {
        super_users: vec!["admin".into()],
        ..Config::default()
    }
}

fn message(content: &str, media_type: &str, severity: &str) -> serde_json::Value {
    json!({"message": {"content": content, "media_type": media_type, "severity": severity}})
}

#[actix_web::test]
async fn superusers_write_messages_that_everyone_reads() {
    let h = Harness::with_config(config()).await;
    let admin = h.initialize("admin").await;
    let (_, other) = h.user("other", ALL_SCOPES).await;

    let r = h.get("/api/v1/messages", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"messages": []}));

    let created = h
        .post(
            "/api/v1/messages",
            Some(&admin),
            message("Maintenance at noon", "text/markdown", "warning"),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    h.post(
        "/api/v1/messages",
        Some(&admin),
        message("Welcome", "text/plain", "info"),
    )
    .await;
    for token in [None, Some(other.as_str())] {
        let r = h.get("/api/v1/messages", token).await;
        assert_eq!(r.status, StatusCode::OK);
        let messages = r.body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0]["content"], "Maintenance at noon");
        assert_eq!(messages[0]["media_type"], "text/markdown");
        assert_eq!(messages[0]["severity"], "warning");
        assert_eq!(messages[1]["content"], "Welcome");
        assert_eq!(messages[0]["uuid"].as_str().unwrap().len(), 36);
    }

    // Only superusers write; nothing changes otherwise.
    let body = message("Not yours", "text/plain", "error");
    assert_eq!(
        h.post("/api/v1/messages", None, body.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.post("/api/v1/messages", Some(&other), body).await.status,
        StatusCode::FORBIDDEN
    );
    let first = h.get("/api/v1/messages", None).await.body["messages"][0]["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/message/{first}");
    assert_eq!(
        h.delete(&path, Some(&other)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(h.delete(&path, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        h.get("/api/v1/messages", None).await.body["messages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    assert_eq!(
        h.delete(&path, Some(&admin)).await.status,
        StatusCode::NO_CONTENT
    );
    let left = h.get("/api/v1/messages", None).await;
    assert_eq!(left.body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(left.body["messages"][0]["content"], "Welcome");
    // Already gone: still a success, as in Quay.
    assert_eq!(
        h.delete(&path, Some(&admin)).await.status,
        StatusCode::NO_CONTENT
    );
}

#[actix_web::test]
async fn bad_messages_are_refused() {
    let h = Harness::with_config(config()).await;
    let admin = h.initialize("admin").await;
    for (body, detail) in [
        (
            message("x", "text/html", "info"),
            "'text/html' is not one of ['text/plain', 'text/markdown']",
        ),
        (
            message("x", "text/plain", "critical"),
            "'critical' is not one of ['info', 'warning', 'error']",
        ),
        (
            json!({"message": {"content": "x", "severity": "info"}}),
            "'media_type' is a required property",
        ),
        (json!({}), "'message' is a required property"),
        (
            json!({"message": {"content": 5, "media_type": "text/plain", "severity": "info"}}),
            "5 is not of type 'string'",
        ),
    ] {
        let r = h.post("/api/v1/messages", Some(&admin), body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let got = r.body["detail"].as_str().unwrap_or_default();
        assert!(got.starts_with(detail), "{got} vs {detail}");
    }
    let r = h.get("/api/v1/messages", None).await;
    assert_eq!(r.body, json!({"messages": []}));
}

#[actix_web::test]
async fn without_superusers_messages_are_read_only() {
    let h = Harness::with_config(Config {
        feature_super_users: false,
        ..config()
    })
    .await;
    let admin = h.initialize("admin").await;
    let r = h
        .post(
            "/api/v1/messages",
            Some(&admin),
            message("x", "text/plain", "info"),
        )
        .await;
    // Quay answers 404; here the token's `super:user` scope already counts for nothing
    // without superusers (403). Either way nothing is written.
    assert!(
        matches!(r.status.as_u16(), 403 | 404),
        "{}: {}",
        r.status,
        r.body
    );
    let list = h.get("/api/v1/messages", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body, json!({"messages": []}));
}
