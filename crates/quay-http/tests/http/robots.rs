//! Robots of users and organizations (`endpoints/api/robot.py`), per identity: anonymous
//! 401, a token without the scope or a non-admin 403, the owner or organization
//! administrator 2xx; tokens sealed at rest and shown only to administrators.

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use quay_core::role::{Role, TeamRole};
use quay_persistence::testing::{query_texts, seed_repo_permission, seed_team_member};
use serde_json::{json, Value};

fn is_robot_token(v: &Value) -> bool {
    v.as_str().is_some_and(|t| {
        t.len() == 64
            && t.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

async fn sealed_tokens(h: &Harness) -> Vec<String> {
    query_texts(&h.t.db, "SELECT token_sealed FROM robot_account").await
}

#[actix_web::test]
async fn user_robot_lifecycle_with_logs() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;

    let r = h
        .put(
            "/api/v1/user/robots/builder",
            Some(&admin),
            json!({"description": "CI pushes", "unstructured_metadata": {"team": "ci"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["name"], "admin+builder");
    assert_eq!(r.body["description"], "CI pushes");
    assert_eq!(r.body["unstructured_metadata"], json!({"team": "ci"}));
    assert_eq!(r.body["last_accessed"], Value::Null);
    assert!(r.body["created"].as_str().unwrap().ends_with(" -0000"));
    assert!(is_robot_token(&r.body["token"]), "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_string();

    // Stored sealed, never in plain text.
    let sealed = sealed_tokens(&h).await;
    assert_eq!(sealed.len(), 1);
    assert!(sealed[0].starts_with("v1$$") && !sealed[0].contains(&token));

    // A body is optional; the same name twice is refused.
    let bare = h
        .call(Method::PUT, "/api/v1/user/robots/bare", Some(&admin), None)
        .await;
    assert_eq!(bare.status, StatusCode::CREATED, "{}", bare.body);
    assert_eq!(bare.body["description"], "");
    assert_eq!(bare.body["unstructured_metadata"], json!({}));
    assert_error(
        &h.put("/api/v1/user/robots/builder", Some(&admin), json!({}))
            .await,
        400,
        "invalid_request",
        "Existing robot with name: admin+builder",
    );

    // Administrators read the token back.
    let one = h.get("/api/v1/user/robots/builder", Some(&admin)).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["token"], json!(token));
    assert_eq!(one.body["unstructured_metadata"], json!({"team": "ci"}));

    let list = h.get("/api/v1/user/robots", Some(&admin)).await;
    let names: Vec<&str> = list.body["robots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin+bare", "admin+builder"]);
    assert!(is_robot_token(&list.body["robots"][1]["token"]));
    assert!(list.body["robots"][1]
        .get("unstructured_metadata")
        .is_none());
    assert!(list.body["robots"][1].get("teams").is_none());
    let no_tokens = h
        .get("/api/v1/user/robots?token=false&limit=1", Some(&admin))
        .await;
    let robots = no_tokens.body["robots"].as_array().unwrap();
    assert_eq!(robots.len(), 1);
    assert!(robots[0].get("token").is_none());
    assert_error(
        &h.get("/api/v1/user/robots?limit=many", Some(&admin)).await,
        400,
        "invalid_request",
        "limit: If specified, the number of robots to return.",
    );

    // A new token replaces the old one.
    let regen = h
        .post(
            "/api/v1/user/robots/builder/regenerate",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(regen.status, StatusCode::OK, "{}", regen.body);
    assert!(is_robot_token(&regen.body["token"]));
    assert_ne!(regen.body["token"], json!(token));
    assert_eq!(
        h.get("/api/v1/user/robots/builder", Some(&admin))
            .await
            .body["token"],
        regen.body["token"]
    );

    assert_eq!(
        h.delete("/api/v1/user/robots/builder", Some(&admin))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &h.get("/api/v1/user/robots/builder", Some(&admin)).await,
        400,
        "invalid_request",
        "Could not find robot with specified username",
    );
    assert_error(
        &h.delete("/api/v1/user/robots/builder", Some(&admin)).await,
        400,
        "invalid_request",
        "Could not find robot with username: admin+builder",
    );
    let id = h.namespace_id("admin").await;
    let kinds = h.log_kinds(id).await;
    assert_eq!(
        &kinds[kinds.len() - 4..],
        [
            "create_robot",
            "create_robot",
            "regenerate_robot_token",
            "delete_robot"
        ]
    );
}

#[actix_web::test]
async fn robot_names_and_bodies_are_validated() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    assert_error(
        &h.put("/api/v1/user/robots/Bad-Name", Some(&admin), json!({}))
            .await,
        400,
        "invalid_request",
        "The name for the robot 'Bad-Name' is invalid: Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$",
    );
    assert_error(
        &h.put("/api/v1/user/robots/x", Some(&admin), json!({})).await,
        400,
        "invalid_request",
        "The name for the robot 'x' is invalid: Namespace must be between 2 and 255 characters in length",
    );
    let long = "d".repeat(256);
    let r = h
        .put(
            "/api/v1/user/robots/bot",
            Some(&admin),
            json!({"description": long}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = h
        .put(
            "/api/v1/user/robots/bot",
            Some(&admin),
            json!({"unstructured_metadata": "text"}),
        )
        .await;
    assert_error(&r, 400, "invalid_request", "'text' is not of type 'object'");
    let r = h
        .call(
            Method::PUT,
            "/api/v1/user/robots/bot",
            Some(&admin),
            Some("{not json"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Nothing was created by the refused requests.
    let list = h.get("/api/v1/user/robots", Some(&admin)).await;
    assert_eq!(list.body["robots"], json!([]));
    assert!(sealed_tokens(&h).await.is_empty());
}

#[actix_web::test]
async fn user_robots_need_user_admin() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    h.put("/api/v1/user/robots/bot", Some(&admin), json!({}))
        .await;
    let admin_id = h.namespace_id("admin").await;
    let read_only = h.token(admin_id, "user:read repo:admin org:admin").await;
    let calls: [(Method, &str); 6] = [
        (Method::GET, "/api/v1/user/robots"),
        (Method::GET, "/api/v1/user/robots/bot"),
        (Method::PUT, "/api/v1/user/robots/other"),
        (Method::DELETE, "/api/v1/user/robots/bot"),
        (Method::POST, "/api/v1/user/robots/bot/regenerate"),
        (Method::GET, "/api/v1/user/robots/bot/permissions"),
    ];
    for (method, path) in calls {
        assert_error(
            &h.call(method.clone(), path, None, None).await,
            401,
            "invalid_token",
            "Requires authentication",
        );
        assert_error(
            &h.call(method, path, Some(&read_only), None).await,
            403,
            "insufficient_scope",
            "Unauthorized",
        );
    }
    // Another user sees only their own (empty) set.
    let (_, other) = h.user("other", ALL_SCOPES).await;
    let r = h.get("/api/v1/user/robots", Some(&other)).await;
    assert_eq!(r.body["robots"], json!([]));
    assert_error(
        &h.get("/api/v1/user/robots/bot", Some(&other)).await,
        400,
        "invalid_request",
        "Could not find robot with specified username",
    );
}

#[actix_web::test]
async fn session_writes_need_the_csrf_token() {
    let h = Harness::new().await;
    h.initialize("admin").await;
    let (cookie, csrf) = h.signed_in("admin", "password").await;
    let r = h
        .call_with(
            Method::PUT,
            "/api/v1/user/robots/bot",
            &[("Cookie", cookie.clone())],
            None,
        )
        .await;
    assert_error(
        &r,
        403,
        "invalid_request",
        "CSRF token was invalid or missing.",
    );
    let r = h
        .call_with(
            Method::PUT,
            "/api/v1/user/robots/bot",
            &[("Cookie", cookie), ("X-CSRF-Token", csrf)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[actix_web::test]
async fn organization_robots_by_role() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let r = h
        .post(
            "/api/v1/organization/",
            Some(&admin),
            json!({"name": "acme", "email": "acme@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let org_id = h.namespace_id("acme").await;
    let r = h
        .put(
            "/api/v1/organization/acme/robots/deployer",
            Some(&admin),
            json!({"description": "deploys"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["name"], "acme+deployer");
    let robot_id = h.namespace_id("acme+deployer").await;

    // The robot's standing shows in `permissions=true` and `.../permissions`.
    h.post(
        "/api/v1/repository",
        Some(&admin),
        json!({"namespace": "acme", "repository": "web", "visibility": "private", "description": ""}),
    )
    .await;
    seed_repo_permission(&h.t.db, "acme", "web", robot_id, Role::Write).await;
    seed_team_member(&h.t.db, org_id, "deployers", TeamRole::Member, robot_id).await;
    let list = h
        .get(
            "/api/v1/organization/acme/robots?permissions=true",
            Some(&admin),
        )
        .await;
    let robot = &list.body["robots"][0];
    assert_eq!(robot["repositories"], json!(["web"]));
    assert_eq!(robot["teams"][0]["name"], "deployers");
    assert_eq!(robot["teams"][0]["avatar"]["kind"], "team");
    assert!(is_robot_token(&robot["token"]));
    let perms = h
        .get(
            "/api/v1/organization/acme/robots/deployer/permissions",
            Some(&admin),
        )
        .await;
    assert_eq!(
        perms.body,
        json!({"permissions": [{"repository": {"name": "web", "is_public": false}, "role": "write"}]})
    );

    // A member lists names only, whatever they ask for; everything else is refused.
    let (member_id, member) = h.user("member", ALL_SCOPES).await;
    seed_team_member(&h.t.db, org_id, "readers", TeamRole::Member, member_id).await;
    let list = h
        .get(
            "/api/v1/organization/acme/robots?token=true&permissions=true",
            Some(&member),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let robot = &list.body["robots"][0];
    assert_eq!(robot["name"], "acme+deployer");
    assert!(robot.get("token").is_none() && robot.get("teams").is_none());
    for (method, path) in [
        (Method::GET, "/api/v1/organization/acme/robots/deployer"),
        (Method::PUT, "/api/v1/organization/acme/robots/other"),
        (Method::DELETE, "/api/v1/organization/acme/robots/deployer"),
        (
            Method::POST,
            "/api/v1/organization/acme/robots/deployer/regenerate",
        ),
        (
            Method::GET,
            "/api/v1/organization/acme/robots/deployer/permissions",
        ),
    ] {
        assert_error(
            &h.call(method, path, Some(&member), None).await,
            403,
            "insufficient_scope",
            "Unauthorized",
        );
    }

    // An outsider is refused alike for existing and missing organizations.
    let (_, outsider) = h.user("outsider", ALL_SCOPES).await;
    for path in [
        "/api/v1/organization/acme/robots",
        "/api/v1/organization/acme/robots/deployer",
        "/api/v1/organization/nosuchorg/robots",
        "/api/v1/organization/nosuchorg/robots/deployer",
    ] {
        assert_error(
            &h.get(path, Some(&outsider)).await,
            403,
            "insufficient_scope",
            "Unauthorized",
        );
        assert_error(
            &h.get(path, None).await,
            401,
            "invalid_token",
            "Requires authentication",
        );
    }

    // The administrator's token must carry the scope the endpoint needs.
    let admin_id = h.namespace_id("admin").await;
    let no_org_admin = h.token(admin_id, "repo:admin user:admin").await;
    assert_eq!(
        h.get("/api/v1/organization/acme/robots", Some(&no_org_admin))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let no_user_admin = h.token(admin_id, "org:admin").await;
    assert_eq!(
        h.get(
            "/api/v1/organization/acme/robots/deployer",
            Some(&no_user_admin)
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        h.get(
            "/api/v1/organization/acme/robots/deployer/permissions",
            Some(&no_user_admin)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    let kinds = h.log_kinds(org_id).await;
    assert!(kinds.contains(&"create_robot".to_string()), "{kinds:?}");

    // Deleting the organization takes its robots with it.
    let r = h.delete("/api/v1/organization/acme", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(sealed_tokens(&h).await.is_empty());
    let left = query_texts(&h.t.db, "SELECT username FROM namespace WHERE robot = TRUE").await;
    assert_eq!(left, Vec::<String>::new());
}

#[actix_web::test]
async fn superusers_with_full_access_manage_any_organizations_robots() {
    for full_access in [true, false] {
        let config = quay_core::config::Config {
            super_users: vec!["admin".into()],
            feature_superusers_full_access: full_access,
            ..quay_core::config::Config::default()
        };
        let h = Harness::with_config(config).await;
        h.initialize("admin").await;
        let (_, owner) = h.user("owner", ALL_SCOPES).await;
        h.post(
            "/api/v1/organization/",
            Some(&owner),
            json!({"name": "acme", "email": "acme@example.com"}),
        )
        .await;
        // A token with only `super:user`: the superuser's powers, nothing else.
        let superuser = h.token(h.namespace_id("admin").await, "super:user").await;
        let r = h
            .put(
                "/api/v1/organization/acme/robots/ops",
                Some(&superuser),
                json!({}),
            )
            .await;
        let expected = if full_access {
            StatusCode::CREATED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(r.status, expected, "full access {full_access}: {}", r.body);
    }
}
