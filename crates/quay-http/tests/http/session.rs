//! Browser sessions: `/csrf_token`, sign-in with backoff, CSRF on session calls (not on
//! OAuth calls), sign-out ending every session, and fresh-login checks.

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use chrono::Utc;
use quay_core::config::Config;
use serde_json::{json, Value};

struct Browser {
    cookie: String,
    csrf: String,
}

impl Browser {
    async fn open(h: &Harness) -> Browser {
        let r = h.call_with(Method::GET, "/csrf_token", &[], None).await;
        assert_eq!(r.status, StatusCode::OK);
        Browser {
            cookie: r.session_cookie(),
            csrf: r.body["csrf_token"].as_str().unwrap().to_string(),
        }
    }

    async fn call(
        &self,
        h: &Harness,
        method: Method,
        path: &str,
        csrf: bool,
        body: Option<Value>,
    ) -> Response {
        let mut headers = vec![("Cookie", self.cookie.clone())];
        if csrf {
            headers.push(("X-CSRF-Token", self.csrf.clone()));
        }
        h.call_with(
            method,
            path,
            &headers,
            body.map(|b| b.to_string()).as_deref(),
        )
        .await
    }

    /// Signs in; on success the browser carries the new session and CSRF token.
    async fn sign_in(&mut self, h: &Harness, username: &str, password: &str) -> Response {
        let r = self
            .call(
                h,
                Method::POST,
                "/api/v1/signin",
                true,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        if r.status == StatusCode::OK {
            self.cookie = r.session_cookie();
            self.csrf = r
                .headers
                .get("X-Next-CSRF-Token")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
        }
        r
    }
}

#[actix_web::test]
async fn sign_in_then_use_the_api_with_csrf() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let mut browser = Browser::open(&h).await;

    // Sign-in itself needs the CSRF token of the session /csrf_token started.
    let r = browser
        .call(
            &h,
            Method::POST,
            "/api/v1/signin",
            false,
            Some(json!({"username": "admin", "password": "password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["error"], "CSRF token was invalid or missing.");

    let r = browser.sign_in(&h, "admin", "password").await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::OK, &json!({"success": true}))
    );
    let me = browser
        .call(&h, Method::GET, "/api/v1/user/", false, None)
        .await;
    assert_eq!(me.body["username"], "admin");
    assert_eq!(me.body["is_me"], true);

    // Writes through the session need the CSRF token; OAuth calls never do.
    let body = json!({"repository": "web", "visibility": "private", "description": ""});
    let r = browser
        .call(
            &h,
            Method::POST,
            "/api/v1/repository",
            false,
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["error"], "CSRF token was invalid or missing.");
    assert_eq!(
        browser
            .call(&h, Method::POST, "/api/v1/repository", true, Some(body))
            .await
            .status,
        StatusCode::CREATED
    );

    // Sign-in by e-mail address works too.
    let mut other = Browser::open(&h).await;
    assert_eq!(
        other
            .sign_in(&h, "admin@example.com", "password")
            .await
            .status,
        StatusCode::OK
    );

    let id = h.namespace_id("admin").await;
    let kinds = h.log_kinds(id).await;
    assert_eq!(kinds.iter().filter(|k| *k == "login_success").count(), 2);
}

#[actix_web::test]
async fn wrong_passwords_back_off_and_are_logged() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let mut browser = Browser::open(&h).await;
    let r = browser.sign_in(&h, "admin", "wrong-password").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body,
        json!({"needsEmailVerification": false, "invalidCredentials": true, "message": "Invalid Username or Password"})
    );
    // Right away again: even the right password waits.
    let r = browser.sign_in(&h, "admin", "password").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.get("Retry-After").is_some());
    let r = browser.sign_in(&h, "nobody", "password").await;
    assert_eq!(r.body["invalidCredentials"], true);
    let id = h.namespace_id("admin").await;
    assert!(h.log_kinds(id).await.contains(&"login_failure".to_string()));
}

#[actix_web::test]
async fn sign_out_ends_every_session_of_the_user() {
    let h = Harness::new().await;
    let token = h.initialize("admin").await;
    let mut first = Browser::open(&h).await;
    let mut second = Browser::open(&h).await;
    first.sign_in(&h, "admin", "password").await;
    second.sign_in(&h, "admin", "password").await;
    let r = first
        .call(&h, Method::POST, "/api/v1/signout", true, None)
        .await;
    assert_eq!(
        (r.status, &r.body),
        (StatusCode::OK, &json!({"success": true}))
    );
    for b in [&first, &second] {
        let r = b.call(&h, Method::GET, "/api/v1/user/", false, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    // OAuth tokens are not sessions: they keep working.
    assert_eq!(
        h.get("/api/v1/user/", Some(&token)).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn stale_sessions_need_a_fresh_login_for_sensitive_changes() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let mut browser = Browser::open(&h).await;
    browser.sign_in(&h, "admin", "password").await;
    assert_eq!(
        browser
            .call(
                &h,
                Method::POST,
                "/api/v1/user/apptoken",
                true,
                Some(json!({"title": "fresh"}))
            )
            .await
            .status,
        StatusCode::OK
    );

    // The same user's session, signed in an hour ago.
    let uuid = {
        use quay_orgs::NamespaceStore;
        quay_persistence::SqlStore::new(h.t.db.clone())
            .find_namespace("admin")
            .await
            .unwrap()
            .unwrap()
            .uuid
    };
    let now = Utc::now().timestamp();
    let stale = h
        .state
        .session_tokens
        .encode(&json!({"uid": uuid, "lt": now - 3600, "csrf": "c"}), now);
    let mut old = Browser {
        cookie: format!("_csrf_token={stale}"),
        csrf: "c".into(),
    };
    let r = old
        .call(
            &h,
            Method::POST,
            "/api/v1/user/apptoken",
            true,
            Some(json!({"title": "stale"})),
        )
        .await;
    assert_error(&r, 401, "fresh_login_required", "Requires fresh login");
    let r = old
        .call(
            &h,
            Method::POST,
            "/api/v1/signin/verify",
            true,
            Some(json!({"password": "nope-nope"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["invalidCredentials"].clone()),
        (StatusCode::FORBIDDEN, json!(true))
    );
    let r = old
        .call(
            &h,
            Method::POST,
            "/api/v1/signin/verify",
            true,
            Some(json!({"password": "password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    old.cookie = r.session_cookie();
    let r = old
        .call(
            &h,
            Method::POST,
            "/api/v1/user/apptoken",
            true,
            Some(json!({"title": "again"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[actix_web::test]
async fn forged_cookies_are_anonymous_and_direct_login_can_be_off() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let forged = vec![("Cookie", "_csrf_token=eyJ1aWQiOiJ4In0.AAAA".to_string())];
    let r = h
        .call_with(Method::GET, "/api/v1/user/", &forged, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let h = Harness::with_config(Config {
        feature_direct_login: false,
        ..Config::default()
    })
    .await;
    let r = h
        .post(
            "/api/v1/signin",
            None,
            json!({"username": "a", "password": "b"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
