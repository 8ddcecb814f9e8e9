//! OAuth applications (`/api/v1/organization/{orgname}/applications`, `/api/v1/app`),
//! the OAuth 2 provider (`/oauth/...`: implicit and authorization-code grants) and the
//! user's authorizations (`/api/v1/user/authorizations`).

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use quay_core::role::TeamRole;
use quay_persistence::testing::{query_texts, seed_team_member};
use serde_json::{json, Value};

const CALLBACK: &str = "https://app.example/callback";

/// An instance with user `admin` (password `password`), organization `acme` and an
/// application registered with [`CALLBACK`]: (harness, admin token, application).
async fn setup() -> (Harness, String, Value) {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let r = h
        .post(
            "/api/v1/organization/",
            Some(&admin),
            json!({"name": "acme", "email": "acme@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let app = h
        .post(
            "/api/v1/organization/acme/applications",
            Some(&admin),
            json!({"name": "Deployer", "redirect_uri": CALLBACK, "application_uri": "https://app.example", "description": "deploys things"}),
        )
        .await;
    assert_eq!(app.status, StatusCode::OK, "{}", app.body);
    (h, admin, app.body)
}

fn location(r: &Response) -> String {
    r.headers
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_string()
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

async fn send(
    h: &Harness,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> Response {
    let headers: Vec<(&str, String)> = cookie
        .map(|c| ("Cookie", c.to_string()))
        .into_iter()
        .collect();
    h.call_with(method, path, &headers, body).await
}

#[actix_web::test]
async fn application_lifecycle_with_logs() {
    let (h, admin, app) = setup().await;
    let client_id = app["client_id"].as_str().unwrap().to_string();
    let secret = app["client_secret"].as_str().unwrap().to_string();
    let upper_alnum = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    assert!(client_id.len() == 20 && upper_alnum(&client_id));
    assert!(secret.len() == 40 && upper_alnum(&secret));
    assert_eq!(app["name"], "Deployer");
    assert_eq!(app["redirect_uri"], CALLBACK);
    assert_eq!(app["avatar_email"], Value::Null);
    // The secret is sealed at rest.
    let stored = query_texts(
        &h.t.db,
        "SELECT secure_client_secret FROM oauth_application WHERE secure_client_secret IS NOT NULL",
    )
    .await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&secret));

    let path = format!("/api/v1/organization/acme/applications/{client_id}");
    let list = h
        .get("/api/v1/organization/acme/applications", Some(&admin))
        .await;
    assert_eq!(list.body["applications"][0]["client_secret"], json!(secret));
    assert_eq!(h.get(&path, Some(&admin)).await.body, app);

    // UpdateApp requires the three fields.
    assert_error(
        &h.put(&path, Some(&admin), json!({"name": "x"})).await,
        400,
        "invalid_request",
        "'redirect_uri' is a required property",
    );
    let updated = h
        .put(
            &path,
            Some(&admin),
            json!({"name": "Deployer 2", "redirect_uri": CALLBACK, "application_uri": "https://app.example/home"}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["name"], "Deployer 2");
    assert_eq!(updated.body["description"], "");

    let reset = h
        .post(
            &format!("{path}/resetclientsecret"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_ne!(reset.body["client_secret"], json!(secret));
    assert_eq!(
        h.get(&path, Some(&admin)).await.body["client_secret"],
        reset.body["client_secret"]
    );

    assert_eq!(
        h.delete(&path, Some(&admin)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &h.get(&path, Some(&admin)).await,
        404,
        "not_found",
        "Not Found",
    );
    let kinds = h.log_kinds(h.namespace_id("acme").await).await;
    assert_eq!(
        &kinds[kinds.len() - 4..],
        [
            "create_application",
            "update_application",
            "reset_application_client_secret",
            "delete_application"
        ]
    );
}

#[actix_web::test]
async fn applications_are_for_organization_administrators() {
    let (h, admin, app) = setup().await;
    let client_id = app["client_id"].as_str().unwrap();
    let org_id = h.namespace_id("acme").await;
    let (member_id, member) = h.user("member", ALL_SCOPES).await;
    seed_team_member(&h.t.db, org_id, "readers", TeamRole::Member, member_id).await;
    let (_, outsider) = h.user("outsider", ALL_SCOPES).await;
    let admin_id = h.namespace_id("admin").await;
    let no_scope = h.token(admin_id, "repo:admin user:admin").await;
    let paths = [
        (
            Method::GET,
            "/api/v1/organization/acme/applications".to_string(),
        ),
        (
            Method::POST,
            "/api/v1/organization/acme/applications".to_string(),
        ),
        (
            Method::GET,
            format!("/api/v1/organization/acme/applications/{client_id}"),
        ),
        (
            Method::PUT,
            format!("/api/v1/organization/acme/applications/{client_id}"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/organization/acme/applications/{client_id}"),
        ),
        (
            Method::POST,
            format!("/api/v1/organization/acme/applications/{client_id}/resetclientsecret"),
        ),
        (
            Method::GET,
            "/api/v1/organization/nosuch/applications".to_string(),
        ),
    ];
    let body = json!({"name": "x", "redirect_uri": "", "application_uri": ""}).to_string();
    for (method, path) in &paths {
        let r = h.call(method.clone(), path, None, Some(&body)).await;
        assert_error(&r, 401, "invalid_token", "Requires authentication");
        for token in [&member, &outsider, &no_scope] {
            let r = h.call(method.clone(), path, Some(token), Some(&body)).await;
            assert_error(&r, 403, "insufficient_scope", "Unauthorized");
        }
    }
    assert_error(
        &h.get(
            "/api/v1/organization/acme/applications/NOSUCHCLIENT",
            Some(&admin),
        )
        .await,
        404,
        "not_found",
        "Not Found",
    );
}

#[actix_web::test]
async fn public_application_information() {
    let (h, _, app) = setup().await;
    let client_id = app["client_id"].as_str().unwrap();
    let r = h.get(&format!("/api/v1/app/{client_id}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "Deployer");
    assert_eq!(r.body["uri"], "https://app.example");
    assert_eq!(r.body["avatar"]["kind"], "app");
    assert_eq!(r.body["organization"]["name"], "acme");
    assert_eq!(r.body["organization"]["is_admin"], false);
    assert_eq!(r.body["organization"]["email"], "");
    assert!(r.body.get("client_secret").is_none());
    assert!(!r
        .body
        .to_string()
        .contains(app["client_secret"].as_str().unwrap()));
    assert_error(
        &h.get("/api/v1/app/NOSUCH", None).await,
        404,
        "not_found",
        "Not Found",
    );
}

#[actix_web::test]
async fn implicit_grant_then_revoke() {
    let (h, admin, app) = setup().await;
    let client_id = app["client_id"].as_str().unwrap();
    h.post(
        "/api/v1/repository",
        Some(&admin),
        json!({"namespace": "acme", "repository": "web", "visibility": "private", "description": ""}),
    )
    .await;
    let (cookie, csrf) = h.signed_in("admin", "password").await;
    let authorize = format!(
        "/oauth/authorize?{}",
        form(&[
            ("client_id", client_id),
            ("redirect_uri", CALLBACK),
            ("scope", "repo:read"),
            ("response_type", "token"),
        ])
    );

    // Not signed in: no consent page.
    let r = h.call_with(Method::GET, &authorize, &[], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Signed in: the consent page, whose forms carry the session's CSRF token.
    let r = h
        .call_with(Method::GET, &authorize, &[("Cookie", cookie.clone())], None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.body.as_str().unwrap();
    assert!(html.contains("Deployer") && html.contains("View all visible repositories"));
    assert!(html.contains(&csrf));

    let approve = |csrf: &str| {
        form(&[
            ("client_id", client_id),
            ("redirect_uri", CALLBACK),
            ("scope", "repo:read"),
            ("response_type", "token"),
            ("_csrf_token", csrf),
        ])
    };
    let r = h
        .call_with(
            Method::POST,
            "/oauth/authorizeapp",
            &[("Cookie", cookie.clone())],
            Some(&approve("forged")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .call_with(
            Method::POST,
            "/oauth/authorizeapp",
            &[("Cookie", cookie.clone())],
            Some(&approve(&csrf)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let url = location(&r);
    let prefix = format!("{CALLBACK}?scope=repo%3Aread#access_token=");
    assert!(url.starts_with(&prefix), "{url}");
    assert!(
        url.ends_with("&token_type=Bearer&expires_in=315576000"),
        "{url}"
    );
    let token = url[prefix.len()..prefix.len() + 40].to_string();

    // The token reads what its scope allows, and nothing else.
    assert_eq!(
        h.get("/api/v1/repository/acme/web", Some(&token))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        h.delete("/api/v1/repository/acme/web", Some(&token))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Already granted: the next authorization redirects at once.
    let r = h
        .call_with(Method::GET, &authorize, &[("Cookie", cookie.clone())], None)
        .await;
    assert_eq!(r.status, StatusCode::FOUND);

    // The user sees and revokes what they granted.
    let list = h.get("/api/v1/user/authorizations", Some(&admin)).await;
    let grants: Vec<&Value> = list.body["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["application"]["name"] == "Deployer")
        .collect();
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[0]["scopes"][0]["scope"], "repo:read");
    assert_eq!(grants[0]["application"]["organization"]["name"], "acme");
    assert_eq!(grants[0]["application"]["url"], "https://app.example");
    for grant in grants {
        let uuid = grant["uuid"].as_str().unwrap();
        let path = format!("/api/v1/user/authorizations/{uuid}");
        assert_eq!(h.get(&path, Some(&admin)).await.body["uuid"], json!(uuid));
        let (_, other) = h.user(&format!("other{}", &uuid[..4]), ALL_SCOPES).await;
        assert_error(
            &h.get(&path, Some(&other)).await,
            404,
            "not_found",
            "Not Found",
        );
        assert_eq!(
            h.delete(&path, Some(&admin)).await.status,
            StatusCode::NO_CONTENT
        );
        assert_error(
            &h.delete(&path, Some(&admin)).await,
            404,
            "not_found",
            "Not Found",
        );
    }
    assert_eq!(
        h.get("/api/v1/repository/acme/web", Some(&token))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_error(
        &h.get("/api/v1/user/authorizations", None).await,
        401,
        "invalid_token",
        "Requires authentication",
    );
}

#[actix_web::test]
async fn authorization_code_grant() {
    let (h, _, app) = setup().await;
    let client_id = app["client_id"].as_str().unwrap();
    let secret = app["client_secret"].as_str().unwrap();
    let (cookie, csrf) = h.signed_in("admin", "password").await;
    let r = h
        .call_with(
            Method::POST,
            "/oauth/authorizeapp",
            &[("Cookie", cookie)],
            Some(&form(&[
                ("client_id", client_id),
                ("redirect_uri", CALLBACK),
                ("scope", "repo:read user:read"),
                ("response_type", "code"),
                ("state", "xyz"),
                ("_csrf_token", &csrf),
            ])),
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let url = url::Url::parse(&location(&r)).unwrap();
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "xyz");
    let code = q["code"].clone();
    assert_eq!(code.len(), 40);

    let exchange = |client_secret: &str, code: &str, grant: &str| {
        form(&[
            ("grant_type", grant),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("redirect_uri", CALLBACK),
            ("code", code),
        ])
    };
    let token_path = "/oauth/access_token";
    let body = exchange(secret, &code, "password");
    let r = send(&h, Method::POST, token_path, None, Some(&body)).await;
    assert_eq!(r.body, json!({"error": "unsupported_grant_type"}));
    let body = exchange("WRONG", &code, "authorization_code");
    let r = send(&h, Method::POST, token_path, None, Some(&body)).await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_client"}))
    );
    let body = exchange(secret, &code, "authorization_code");
    let r = send(&h, Method::POST, token_path, None, Some(&body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 315_576_000);
    let token = r.body["access_token"].as_str().unwrap().to_string();
    let me = h.get("/api/v1/user/", Some(&token)).await;
    assert_eq!(me.body["username"], "admin");
    // A code works once.
    let r = send(&h, Method::POST, token_path, None, Some(&body)).await;
    assert_eq!(r.body, json!({"error": "invalid_grant"}));
}

#[actix_web::test]
async fn misdirected_or_declined_requests() {
    let (h, _, app) = setup().await;
    let client_id = app["client_id"].as_str().unwrap();
    let (cookie, csrf) = h.signed_in("admin", "password").await;
    let authorize = |client: &str, redirect: &str, scope: &str| {
        format!(
            "/oauth/authorize?{}",
            form(&[
                ("client_id", client),
                ("redirect_uri", redirect),
                ("scope", scope)
            ])
        )
    };
    let c = Some(cookie.as_str());
    // A redirect URI the application did not register: told at the registered one.
    let path = authorize(client_id, "https://evil.example/cb", "repo:read");
    let r = send(&h, Method::GET, &path, c, None).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        location(&r),
        format!("{CALLBACK}?error=redirect_uri_mismatch")
    );
    let path = authorize("NOSUCH", CALLBACK, "repo:read");
    assert_eq!(
        send(&h, Method::GET, &path, c, None).await.status,
        StatusCode::NOT_FOUND
    );
    let path = authorize(client_id, CALLBACK, "repo:fly");
    assert_eq!(
        send(&h, Method::GET, &path, c, None).await.status,
        StatusCode::NOT_FOUND
    );
    let r = send(&h, Method::GET, "/oauth/authorize?client_id=x", None, None).await;
    assert_error(&r, 400, "invalid_request", "Required param: redirect_uri");

    let approval = |redirect: &str| {
        form(&[
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("scope", "repo:read"),
            ("_csrf_token", &csrf),
        ])
    };
    // Never an open redirect: an unregistered URI is a plain 400.
    let body = approval("https://evil.example/cb");
    let r = send(&h, Method::POST, "/oauth/authorizeapp", c, Some(&body)).await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_request"}))
    );
    let body = approval(CALLBACK);
    let r = send(&h, Method::POST, "/oauth/denyapp", c, Some(&body)).await;
    assert_eq!(
        location(&r),
        format!("{CALLBACK}?error=authorization_denied")
    );
    // Our own token page is always an acceptable redirect.
    let body = approval("http://localhost:8080/oauth/localapp");
    let r = send(&h, Method::POST, "/oauth/authorizeapp", c, Some(&body)).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert!(location(&r)
        .starts_with("http://localhost:8080/oauth/localapp?scope=repo%3Aread#access_token="));
}
