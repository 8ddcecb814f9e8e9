//! Docker token auth on `/v2`: the ping's challenge, `/v2/auth` with every kind of
//! credential, silent down-scoping, repository creation on push, and tokens that verify
//! on another replica.

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use quay_core::config::Config;
use serde_json::{json, Value};

fn basic(user: &str, password: &str) -> (&'static str, String) {
    (
        "Authorization",
        format!("Basic {}", STANDARD.encode(format!("{user}:{password}"))),
    )
}

/// `GET /v2/auth` with these scopes and credentials: (status, token claims or body).
async fn token(h: &Harness, scopes: &[&str], creds: Option<(&str, &str)>) -> (StatusCode, Value) {
    let query: Vec<String> = scopes
        .iter()
        .map(|s| format!("scope={}", s.replace(':', "%3A").replace('/', "%2F")))
        .collect();
    let path = format!("/v2/auth?service=localhost%3A8080&{}", query.join("&"));
    let headers: Vec<(&str, String)> = creds.map(|(u, p)| basic(u, p)).into_iter().collect();
    let r = h.call_with(Method::GET, &path, &headers, None).await;
    if r.status != StatusCode::OK {
        return (r.status, r.body);
    }
    assert_eq!(
        r.headers.get("Docker-Distribution-API-Version").unwrap(),
        "registry/2.0"
    );
    let jwt = r.body["token"].as_str().expect("a token").to_string();
    assert_eq!(
        r.body.as_object().unwrap().len(),
        1,
        "only `token`: {}",
        r.body
    );
    let payload = jwt.split('.').nth(1).unwrap();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["_jwt"] = json!(jwt);
    (r.status, claims)
}

fn actions(claims: &Value) -> Vec<Vec<String>> {
    claims["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            a["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

async fn ping(h: &Harness, jwt: Option<&str>) -> actix_web::http::StatusCode {
    let headers: Vec<(&str, String)> = jwt
        .map(|t| ("Authorization", format!("Bearer {t}")))
        .into_iter()
        .collect();
    h.call_with(Method::GET, "/v2/", &headers, None)
        .await
        .status
}

async fn repo(h: &Harness, token: &str, ns: &str, name: &str, public: bool) {
    let r = h
        .post(
            "/api/v1/repository",
            Some(token),
            json!({"namespace": ns, "repository": name, "description": "",
                   "visibility": if public { "public" } else { "private" }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[actix_web::test]
async fn ping_challenges_until_a_valid_token_is_shown() {
    let h = Harness::new().await;
    let r = h.call_with(Method::GET, "/v2/", &[], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body, json!(true));
    assert_eq!(
        r.headers.get("WWW-Authenticate").unwrap(),
        r#"Bearer realm="http://localhost:8080/v2/auth",service="localhost:8080""#
    );
    assert_eq!(
        r.headers.get("Docker-Distribution-API-Version").unwrap(),
        "registry/2.0"
    );
    assert_eq!(
        ping(&h, Some("not-a-token")).await,
        StatusCode::UNAUTHORIZED
    );

    h.initialize("admin").await;
    let (status, claims) = token(&h, &[], Some(("admin", "password"))).await;
    assert_eq!(status, StatusCode::OK, "{claims}");
    assert_eq!(claims["sub"], "admin");
    assert_eq!(claims["iss"], "quay");
    assert_eq!(claims["aud"], "localhost:8080");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(claims["context"]["kind"], "user");
    assert_eq!(ping(&h, claims["_jwt"].as_str()).await, StatusCode::OK);
    // A pure login is audited as one.
    let kinds = h.log_kinds(h.namespace_id("admin").await).await;
    assert!(kinds.iter().any(|k| k == "login_success"), "{kinds:?}");

    // Wrong credentials, or none and no scope: 401 in the registry's error format.
    let (status, body) = token(&h, &[], Some(("admin", "wrong"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["code"], "UNAUTHORIZED", "{body}");
    let (status, body) = token(&h, &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["errors"][0]["message"],
        "access to the requested resource is not authorized"
    );
}

#[actix_web::test]
async fn scopes_are_down_scoped_to_what_the_caller_may_do() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    h.post(
        "/api/v1/organization/",
        Some(&admin),
        json!({"name": "acme"}),
    )
    .await;
    repo(&h, &admin, "acme", "public", true).await;
    repo(&h, &admin, "acme", "private", false).await;
    let (_, alice) = h.user("alice", ALL_SCOPES).await;
    h.put(
        "/api/v1/user/",
        Some(&alice),
        json!({"password": "alicepassword"}),
    )
    .await;

    // Anonymous: pulls of public repositories only, never pushes.
    let (status, claims) = token(
        &h,
        &[
            "repository:acme/public:pull,push",
            "repository:acme/private:pull",
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{claims}");
    assert_eq!(claims["sub"], "(anonymous)");
    assert_eq!(actions(&claims), [vec!["pull"], vec![]]);
    assert_eq!(claims["access"][0]["name"], "acme/public");
    assert_eq!(claims["access"][0]["type"], "repository");

    // The administrator: everything; the host prefix is accepted and echoed.
    let (_, claims) = token(
        &h,
        &["repository:localhost:8080/acme/private:pull,push,*"],
        Some(("admin", "password")),
    )
    .await;
    assert_eq!(actions(&claims), [vec!["pull", "push", "*"]]);
    assert_eq!(claims["access"][0]["name"], "localhost:8080/acme/private");

    // alice: nothing on the private repository until she gets read.
    let scope = ["repository:acme/private:pull,push"];
    let (_, claims) = token(&h, &scope, Some(("alice", "alicepassword"))).await;
    assert_eq!(actions(&claims), [Vec::<String>::new()]);
    h.put(
        "/api/v1/repository/acme/private/permissions/user/alice",
        Some(&admin),
        json!({"role": "read"}),
    )
    .await;
    let (_, claims) = token(&h, &scope, Some(("alice", "alicepassword"))).await;
    assert_eq!(actions(&claims), [vec!["pull"]]);

    // An OAuth token as password carries only its scopes.
    let alice_id = h.namespace_id("alice").await;
    let read_only = h.token(alice_id, "repo:read").await;
    h.put(
        "/api/v1/repository/acme/private/permissions/user/alice",
        Some(&admin),
        json!({"role": "write"}),
    )
    .await;
    let (_, claims) = token(&h, &scope, Some(("$oauthtoken", &read_only))).await;
    assert_eq!(actions(&claims), [vec!["pull"]]);
    assert_eq!(claims["context"]["kind"], "oauth");
    let (_, claims) = token(&h, &scope, Some(("alice", "alicepassword"))).await;
    assert_eq!(actions(&claims), [vec!["pull", "push"]]);

    // Robots log in with their token and get their grants.
    let r = h
        .put(
            "/api/v1/organization/acme/robots/ci",
            Some(&admin),
            json!({}),
        )
        .await;
    let robot_token = r.body["token"].as_str().unwrap().to_string();
    h.put(
        "/api/v1/repository/acme/private/permissions/user/acme+ci",
        Some(&admin),
        json!({"role": "write"}),
    )
    .await;
    let (_, claims) = token(&h, &scope, Some(("acme+ci", &robot_token))).await;
    assert_eq!(actions(&claims), [vec!["pull", "push"]]);
    assert_eq!(claims["sub"], "acme+ci");
    assert_eq!(claims["context"]["kind"], "robot");
    let (status, _) = token(&h, &scope, Some(("acme+ci", "WRONG"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Malformed scopes and names.
    let (status, body) = token(&h, &["repository:acme/private"], None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["code"], "INVALID_REQUEST");
    let (status, body) = token(&h, &["repository:Acme/Private:pull"], None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["code"], "NAME_INVALID", "{body}");
}

#[actix_web::test]
async fn a_push_creates_the_repository_when_the_caller_may_create_it() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    h.post(
        "/api/v1/organization/",
        Some(&admin),
        json!({"name": "acme"}),
    )
    .await;
    let (_, bob) = h.user("bob", ALL_SCOPES).await;
    h.put(
        "/api/v1/user/",
        Some(&bob),
        json!({"password": "bobpassword"}),
    )
    .await;
    h.put(
        "/api/v1/organization/acme/team/plain",
        Some(&admin),
        json!({"role": "member"}),
    )
    .await;
    h.put(
        "/api/v1/organization/acme/team/plain/members/bob",
        Some(&admin),
        json!({}),
    )
    .await;

    // In one's own namespace: created, private.
    let (_, claims) = token(
        &h,
        &["repository:bob/fresh:push,pull"],
        Some(("bob", "bobpassword")),
    )
    .await;
    assert_eq!(actions(&claims), [vec!["push", "pull"]]);
    let r = h.get("/api/v1/repository/bob/fresh", Some(&bob)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["is_public"], false);
    // A pull alone creates nothing.
    let (_, claims) = token(
        &h,
        &["repository:bob/ghost:pull"],
        Some(("bob", "bobpassword")),
    )
    .await;
    assert_eq!(actions(&claims), [Vec::<String>::new()]);
    assert_eq!(
        h.get("/api/v1/repository/bob/ghost", Some(&bob))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // In an organization where bob may not create: nothing created, nothing granted.
    let (_, claims) = token(
        &h,
        &["repository:acme/bobs:push"],
        Some(("bob", "bobpassword")),
    )
    .await;
    assert_eq!(actions(&claims), [Vec::<String>::new()]);
    assert_eq!(
        h.get("/api/v1/repository/acme/bobs", Some(&admin))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Made a creator, he may.
    h.put(
        "/api/v1/organization/acme/team/plain",
        Some(&admin),
        json!({"role": "creator"}),
    )
    .await;
    let (_, claims) = token(
        &h,
        &["repository:acme/bobs:push"],
        Some(("bob", "bobpassword")),
    )
    .await;
    assert_eq!(actions(&claims), [vec!["push"]]);
    assert_eq!(
        h.get("/api/v1/repository/acme/bobs", Some(&admin))
            .await
            .status,
        StatusCode::OK
    );
    // Anonymous pushes never create.
    let (_, claims) = token(&h, &["repository:acme/anon:push"], None).await;
    assert_eq!(actions(&claims), [Vec::<String>::new()]);
}

#[actix_web::test]
async fn a_token_from_one_replica_is_accepted_by_another() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let (_, claims) = token(&h, &[], Some(("admin", "password"))).await;
    let jwt = claims["_jwt"].as_str().unwrap().to_string();
    // A second server on the same database, with its own key.
    let other = h.replica(Config::default());
    assert_eq!(ping(&other, Some(&jwt)).await, StatusCode::OK);
    // Anonymous access off: a scope alone gets no token.
    let closed = h.replica(Config {
        feature_anonymous_access: false,
        ..Config::default()
    });
    let (status, _) = token(&closed, &["repository:admin/x:pull"], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
