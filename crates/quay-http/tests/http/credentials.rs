//! Registry basic-auth credentials (`quay_auth::credentials`, what `/v2/auth` and
//! `docker login` use): passwords, `$app` tokens, `$oauthtoken`, robot tokens; disabled
//! users and robots of disabled owners refused; logins audited.

use crate::common::*;
use actix_web::http::StatusCode;
use quay_auth::credentials::{CredentialKind, LoginFailure, ValidatedLogin};
use quay_core::config::Config;
use quay_core::{AuthMethod, Caller};
use serde_json::json;

fn caller() -> Caller {
    Caller {
        principal: None,
        ip: Some("192.0.2.7".into()),
    }
}

async fn login(
    h: &Harness,
    username: &str,
    password: &str,
) -> Result<ValidatedLogin, LoginFailure> {
    h.state
        .credentials
        .validate(&caller(), username, password, true)
        .await
        .unwrap()
}

fn refused(message: &str) -> Result<ValidatedLogin, LoginFailure> {
    Err(LoginFailure::Invalid(message.into()))
}

async fn superuser_harness() -> (Harness, String) {
    let config = Config {
        super_users: vec!["admin".into()],
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    (h, admin)
}

async fn disable(h: &Harness, admin: &str, username: &str) {
    let r = h
        .put(
            &format!("/api/v1/superuser/users/{username}"),
            Some(admin),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[actix_web::test]
async fn passwords_by_username_or_email() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let ok = login(&h, "admin", "password").await.unwrap();
    assert_eq!(ok.kind, CredentialKind::User);
    assert_eq!(ok.principal.username, "admin");
    assert_eq!(ok.principal.method, AuthMethod::Basic);
    let by_email = login(&h, "admin@example.com", "password").await.unwrap();
    assert_eq!(by_email.principal.username, "admin");

    assert_eq!(
        login(&h, "admin", "wrong").await,
        refused("Invalid Username or Password")
    );
    assert_eq!(
        login(&h, "nobody", "password").await,
        refused("Invalid Username or Password")
    );
    let id = h.namespace_id("admin").await;
    let kinds = h.log_kinds(id).await;
    assert_eq!(
        &kinds[kinds.len() - 3..],
        ["login_success", "login_success", "login_failure"]
    );
    // Backoff applies to registry logins too.
    match login(&h, "admin", "password").await {
        Err(LoginFailure::TooManyAttempts { retry_after_secs }) => assert!(retry_after_secs >= 1),
        other => panic!("expected backoff, got {other:?}"),
    }
}

#[actix_web::test]
async fn app_specific_tokens_act_as_their_user() {
    let (h, admin) = superuser_harness().await;
    let r = h
        .post(
            "/api/v1/user/apptoken",
            Some(&admin),
            json!({"title": "laptop"}),
        )
        .await;
    let code = r.body["token"]["token_code"].as_str().unwrap().to_string();
    let uuid = r.body["token"]["uuid"].as_str().unwrap().to_string();

    let ok = login(&h, "$app", &code).await.unwrap();
    assert_eq!(
        ok.kind,
        CredentialKind::AppSpecificToken {
            title: "laptop".into()
        }
    );
    assert_eq!(ok.principal.username, "admin");
    let seen = h
        .get(&format!("/api/v1/user/apptoken/{uuid}"), Some(&admin))
        .await;
    assert!(
        seen.body["token"]["last_accessed"].is_string(),
        "{}",
        seen.body
    );

    let mut wrong = code.clone();
    wrong.replace_range(119.., if code.ends_with('A') { "B" } else { "A" });
    assert_eq!(login(&h, "$app", &wrong).await, refused("Invalid token"));
    assert_eq!(login(&h, "$app", "short").await, refused("Invalid token"));

    // Revoked tokens stop working at once.
    h.delete(&format!("/api/v1/user/apptoken/{uuid}"), Some(&admin))
        .await;
    assert_eq!(login(&h, "$app", &code).await, refused("Invalid token"));
}

#[actix_web::test]
async fn disabled_users_are_refused_with_every_credential() {
    let (h, admin) = superuser_harness().await;
    let (user_id, user_token) = h.user("someone", ALL_SCOPES).await;
    let code = h
        .post(
            "/api/v1/user/apptoken",
            Some(&user_token),
            json!({"title": "ci"}),
        )
        .await
        .body["token"]["token_code"]
        .as_str()
        .unwrap()
        .to_string();
    let robot = h
        .put("/api/v1/user/robots/bot", Some(&user_token), json!({}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(login(&h, "$app", &code).await.is_ok());
    assert!(login(&h, "someone+bot", &robot).await.is_ok());

    disable(&h, &admin, "someone").await;
    let disabled = "This user has been disabled. Please contact your administrator.";
    assert_eq!(login(&h, "$app", &code).await, refused(disabled));
    assert_eq!(login(&h, "someone+bot", &robot).await, refused(disabled));
    let kinds = h.log_kinds(user_id).await;
    assert_eq!(
        &kinds[kinds.len() - 2..],
        ["login_failure", "login_failure"]
    );
}

#[actix_web::test]
async fn oauth_tokens_keep_their_scopes() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let id = h.namespace_id("admin").await;
    let token = h.token(id, "repo:read").await;
    let ok = login(&h, "$oauthtoken", &token).await.unwrap();
    assert_eq!(ok.kind, CredentialKind::OAuthToken);
    assert_eq!(ok.principal.scopes.iter().count(), 1);
    assert_eq!(
        login(&h, "$oauthtoken", "x".repeat(40).as_str()).await,
        refused("OAuth access token could not be validated")
    );
}

#[actix_web::test]
async fn robot_tokens() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let token = h
        .put("/api/v1/user/robots/bot", Some(&admin), json!({}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let ok = login(&h, "admin+bot", &token).await.unwrap();
    assert_eq!(ok.kind, CredentialKind::Robot);
    assert_eq!(ok.principal.username, "admin+bot");
    assert!(!ok.principal.superuser);
    assert_eq!(ok.namespace_id, h.namespace_id("admin").await);
    let seen = h.get("/api/v1/user/robots/bot", Some(&admin)).await;
    assert!(seen.body["last_accessed"].is_string(), "{}", seen.body);

    assert_eq!(
        login(&h, "admin+bot", "WRONG").await,
        refused("Could not find robot with username: admin+bot and supplied password.")
    );
    assert_eq!(
        login(&h, "admin+nobot", &token).await,
        refused("Could not find robot with specified username")
    );
    // A regenerated token replaces the old one.
    let new = h
        .post(
            "/api/v1/user/robots/bot/regenerate",
            Some(&admin),
            json!({}),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(login(&h, "admin+bot", &token).await.is_err());
    assert!(login(&h, "admin+bot", &new).await.is_ok());
    let kinds = h.log_kinds(h.namespace_id("admin").await).await;
    assert_eq!(
        &kinds[kinds.len() - 5..],
        [
            "login_success",
            "login_failure",
            "regenerate_robot_token",
            "login_failure",
            "login_success"
        ]
    );
}

#[actix_web::test]
async fn app_tokens_off_means_no_app_logins() {
    let config = Config {
        feature_app_specific_tokens: false,
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    h.initialize("admin").await;
    // `$app` is then an ordinary (unknown) username.
    assert_eq!(
        login(&h, "$app", &"A".repeat(120)).await,
        refused("Invalid Username or Password")
    );
}

#[actix_web::test]
async fn success_is_logged_only_when_asked() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let id = h.namespace_id("admin").await;
    let before = h.log_kinds(id).await.len();
    let ok = h
        .state
        .credentials
        .validate(&caller(), "admin", "password", false)
        .await
        .unwrap();
    assert!(ok.is_ok());
    assert_eq!(h.log_kinds(id).await.len(), before);
}

#[actix_web::test]
async fn client_keys_log_in_like_the_password() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    assert_error(
        &h.post(
            "/api/v1/user/clientkey",
            Some(&admin),
            json!({"password": "wrong-password"}),
        )
        .await,
        400,
        "invalid_request",
        "Invalid Username or Password",
    );
    let r = h
        .post(
            "/api/v1/user/clientkey",
            Some(&admin),
            json!({"password": "password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key = r.body["key"].as_str().unwrap().to_string();
    assert!(!key.contains("password"));
    assert!(login(&h, "admin", &key).await.is_ok());
    // Someone else's key is not a password of theirs.
    let (_, other) = h.user("other", ALL_SCOPES).await;
    assert_eq!(
        h.post(
            "/api/v1/user/clientkey",
            Some(&other),
            json!({"password": "password"})
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
}

#[actix_web::test]
async fn encrypted_basic_auth_can_be_required() {
    let config = Config {
        feature_require_encrypted_basic_auth: true,
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    assert_eq!(
        login(&h, "admin", "password").await,
        refused(quay_auth::credentials::ENCRYPTED_PASSWORD_REQUIRED)
    );
    let key = h
        .post(
            "/api/v1/user/clientkey",
            Some(&admin),
            json!({"password": "password"}),
        )
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(login(&h, "admin", &key).await.is_ok());
}
