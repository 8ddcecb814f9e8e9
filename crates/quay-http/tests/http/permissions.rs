//! Repository permissions (`endpoints/api/permission.py`), effective access through
//! teams and team roles, and default permissions (`endpoints/api/prototype.py`) applied
//! when a repository is created.

use crate::common::*;
use actix_web::http::StatusCode;
use serde_json::{json, Value};

async fn setup() -> (Harness, String) {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let r = h
        .post(
            "/api/v1/organization/",
            Some(&admin),
            json!({"name": "acme"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    (h, admin)
}

async fn create_repo(h: &Harness, token: &str, ns: &str, name: &str) -> StatusCode {
    h.post(
        "/api/v1/repository",
        Some(token),
        json!({"namespace": ns, "repository": name, "visibility": "private", "description": ""}),
    )
    .await
    .status
}

async fn team(h: &Harness, admin: &str, name: &str, role: &str, members: &[&str]) {
    let r = h
        .put(
            &format!("/api/v1/organization/acme/team/{name}"),
            Some(admin),
            json!({"role": role}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for m in members {
        let r = h
            .put(
                &format!("/api/v1/organization/acme/team/{name}/members/{m}"),
                Some(admin),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[actix_web::test]
async fn user_and_team_permissions_grant_access_and_are_checked() {
    let (h, admin) = setup().await;
    let (_, alice) = h.user("alice", ALL_SCOPES).await;
    let (_, eve) = h.user("eve", ALL_SCOPES).await;
    assert_eq!(
        create_repo(&h, &admin, "acme", "app").await,
        StatusCode::CREATED
    );
    let base = "/api/v1/repository/acme/app/permissions";

    // Nothing for alice yet.
    assert_eq!(
        h.get("/api/v1/repository/acme/app", Some(&alice))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = h
        .put(
            &format!("{base}/user/alice"),
            Some(&admin),
            json!({"role": "read"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["role"], "read");
    assert_eq!(r.body["name"], "alice");
    assert_eq!(r.body["is_robot"], false);
    assert_eq!(r.body["is_org_member"], false);
    assert_eq!(r.body["avatar"]["kind"], "user");
    // The grant takes effect at once.
    assert_eq!(
        h.get("/api/v1/repository/acme/app", Some(&alice))
            .await
            .status,
        StatusCode::OK
    );
    let r = h.get(&format!("{base}/user/"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(keys(&r.body["permissions"]), ["admin", "alice"]);
    assert_eq!(r.body["permissions"]["admin"]["role"], "admin");
    let r = h.get(&format!("{base}/user/alice"), Some(&admin)).await;
    assert_eq!(r.body["role"], "read");

    // Bad targets are refused with Quay's messages.
    let bad = |path: &str| format!("{base}/user/{path}");
    assert_error(
        &h.put(&bad("nobody"), Some(&admin), json!({"role": "read"}))
            .await,
        400,
        "invalid_request",
        "Invalid username: nobody",
    );
    assert_error(
        &h.put(&bad("alice"), Some(&admin), json!({"role": "owner"}))
            .await,
        400,
        "invalid_request",
        "'owner' is not one of ['read', 'write', 'admin']",
    );
    h.put("/api/v1/user/robots/bot", Some(&eve), json!({}))
        .await;
    assert_error(
        &h.put(&bad("eve+bot"), Some(&admin), json!({"role": "read"}))
            .await,
        400,
        "invalid_request",
        "Cannot add robot eve+bot under namespace acme",
    );
    let r = h.get(&bad("eve"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["message"], "User does not have permission for repo.");

    // Outsiders, readers and anonymous callers see nothing, even of missing repos.
    for token in [Some(&eve), Some(&alice)] {
        let r = h
            .get(&format!("{base}/user/"), token.map(|t| t.as_str()))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        h.get(&format!("{base}/user/"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let missing = "/api/v1/repository/acme/ghost/permissions/user/";
    assert_eq!(
        h.get(missing, Some(&eve)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.get(missing, Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = h
        .put(
            "/api/v1/repository/acme/ghost/permissions/user/alice",
            Some(&admin),
            json!({"role": "read"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Team permissions: a team's role reaches its members.
    team(&h, &admin, "writers", "member", &["eve"]).await;
    let r = h
        .put(
            &format!("{base}/team/writers"),
            Some(&admin),
            json!({"role": "write"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"role": "write", "name": "writers", "avatar": r.body["avatar"]})
    );
    assert_eq!(
        h.get("/api/v1/repository/acme/app", Some(&eve))
            .await
            .status,
        StatusCode::OK
    );
    let r = h.get(&format!("{base}/team/writers"), Some(&admin)).await;
    assert_eq!(r.body, json!({"role": "write"}));
    let r = h.get(&format!("{base}/team/"), Some(&admin)).await;
    assert_eq!(keys(&r.body["permissions"]), ["writers"]);
    let r = h
        .get(&format!("{base}/user/eve/transitive"), Some(&admin))
        .await;
    assert_eq!(r.body, json!({"permissions": [{"role": "write"}]}));
    assert_eq!(
        h.get(&format!("{base}/user/alice/transitive"), Some(&admin))
            .await
            .body,
        json!({"permissions": [{"role": "read"}]})
    );
    let r = h
        .get(
            "/api/v1/organization/acme/team/writers/permissions",
            Some(&admin),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"permissions": [{"repository": {"name": "app", "is_public": false}, "role": "write"}]})
    );
    assert_error(
        &h.put(
            &format!("{base}/team/ghosts"),
            Some(&admin),
            json!({"role": "read"}),
        )
        .await,
        400,
        "invalid_request",
        "No team ghosts in organization acme",
    );

    // Deleting takes access away again.
    for path in ["user/alice", "team/writers"] {
        let r = h.delete(&format!("{base}/{path}"), Some(&admin)).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    }
    for token in [&alice, &eve] {
        assert_eq!(
            h.get("/api/v1/repository/acme/app", Some(token))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    assert_error(
        &h.delete(&format!("{base}/user/alice"), Some(&admin)).await,
        400,
        "invalid_request",
        "User does not have permission for repo.",
    );
    assert_eq!(
        h.get(&format!("{base}/user/alice/transitive"), Some(&admin))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The owner of a user namespace always stays admin.
    assert_eq!(
        create_repo(&h, &admin, "admin", "mine").await,
        StatusCode::CREATED
    );
    assert_error(
        &h.delete(
            "/api/v1/repository/admin/mine/permissions/user/admin",
            Some(&admin),
        )
        .await,
        400,
        "invalid_request",
        "Namespace owner must always be admin.",
    );

    let kinds = h.log_kinds(h.namespace_id("acme").await).await;
    assert!(kinds.iter().any(|k| k == "change_repo_permission"));
    assert!(kinds.iter().any(|k| k == "delete_repo_permission"));
}

#[actix_web::test]
async fn team_roles_decide_who_creates_repositories() {
    let (h, admin) = setup().await;
    let (_, maker) = h.user("maker", ALL_SCOPES).await;
    let (_, member) = h.user("member", ALL_SCOPES).await;
    team(&h, &admin, "creators", "creator", &["maker"]).await;
    team(&h, &admin, "plain", "member", &["member"]).await;
    assert_eq!(
        create_repo(&h, &maker, "acme", "made").await,
        StatusCode::CREATED
    );
    assert_eq!(
        create_repo(&h, &member, "acme", "nope").await,
        StatusCode::FORBIDDEN
    );
    // The creator administers what they created, and only that.
    assert_eq!(
        h.get(
            "/api/v1/repository/acme/made/permissions/user/",
            Some(&maker)
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        create_repo(&h, &admin, "acme", "other").await,
        StatusCode::CREATED
    );
    assert_eq!(
        h.get("/api/v1/repository/acme/other", Some(&maker))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Organization admins administer every repository of the organization.
    assert_eq!(
        h.get(
            "/api/v1/repository/acme/made/permissions/user/",
            Some(&admin)
        )
        .await
        .status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn prototypes_apply_to_new_repositories() {
    let (h, admin) = setup().await;
    for name in ["bob", "carol", "alice"] {
        h.user(name, ALL_SCOPES).await;
    }
    let bob = h.token(h.namespace_id("bob").await, ALL_SCOPES).await;
    let carol = h.token(h.namespace_id("carol").await, ALL_SCOPES).await;
    team(&h, &admin, "creators", "creator", &["bob", "carol"]).await;
    team(&h, &admin, "readers", "member", &[]).await;
    let protos = "/api/v1/organization/acme/prototypes";

    // Everyone's repositories: readers read, alice reads; bob's: alice writes, and a
    // grant to bob himself is pointless (he is admin of what he creates).
    let bodies = [
        json!({"role": "read", "delegate": {"kind": "team", "name": "readers"}}),
        json!({"role": "read", "delegate": {"kind": "user", "name": "alice"}}),
        json!({"role": "write", "activating_user": {"name": "bob"}, "delegate": {"kind": "user", "name": "alice"}}),
        json!({"role": "read", "activating_user": {"name": "bob"}, "delegate": {"kind": "user", "name": "bob"}}),
    ];
    let mut ids = Vec::new();
    for body in bodies {
        let r = h.post(protos, Some(&admin), body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let r = h.get(protos, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let first = &r.body["prototypes"][0];
    assert_eq!(first["activating_user"], Value::Null);
    assert_eq!(first["delegate"]["kind"], "team");
    assert_eq!(first["delegate"]["name"], "readers");
    assert_eq!(first["role"], "read");
    let third = &r.body["prototypes"][2];
    assert_eq!(third["activating_user"]["name"], "bob");
    assert_eq!(third["activating_user"]["is_org_member"], true);
    assert_eq!(third["delegate"]["name"], "alice");
    assert_eq!(third["delegate"]["is_org_member"], false);

    let perms = |repo: &'static str| {
        let h = &h;
        let admin = admin.clone();
        async move {
            let users = h
                .get(
                    &format!("/api/v1/repository/acme/{repo}/permissions/user/"),
                    Some(&admin),
                )
                .await
                .body["permissions"]
                .clone();
            let teams = h
                .get(
                    &format!("/api/v1/repository/acme/{repo}/permissions/team/"),
                    Some(&admin),
                )
                .await
                .body["permissions"]
                .clone();
            let role = |v: &Value, k: &str| v[k]["role"].as_str().map(str::to_string);
            (
                keys(&users),
                role(&users, "alice"),
                role(&users, "bob"),
                role(&teams, "readers"),
            )
        }
    };
    assert_eq!(
        create_repo(&h, &bob, "acme", "bobs").await,
        StatusCode::CREATED
    );
    assert_eq!(
        perms("bobs").await,
        (
            vec!["alice".to_string(), "bob".to_string()],
            Some("write".into()),
            Some("admin".into()),
            Some("read".into())
        )
    );
    assert_eq!(
        create_repo(&h, &carol, "acme", "carols").await,
        StatusCode::CREATED
    );
    assert_eq!(
        perms("carols").await,
        (
            vec!["alice".to_string(), "carol".to_string()],
            Some("read".into()),
            None,
            Some("read".into())
        )
    );

    // Update and delete; errors name what is wrong.
    let r = h
        .put(
            &format!("{protos}/{}", ids[1]),
            Some(&admin),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["role"], "admin");
    let r = h
        .delete(&format!("{protos}/{}", ids[0]), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        h.delete(&format!("{protos}/{}", ids[0]), Some(&admin))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        create_repo(&h, &carol, "acme", "later").await,
        StatusCode::CREATED
    );
    assert_eq!(
        perms("later").await,
        (
            vec!["alice".to_string(), "carol".to_string()],
            Some("admin".into()),
            None,
            None
        )
    );
    assert_error(
        &h.post(
            protos,
            Some(&admin),
            json!({"role": "read", "activating_user": {"name": "ghost"}, "delegate": {"kind": "user", "name": "alice"}}),
        )
        .await,
        400,
        "invalid_request",
        "Unknown activating user",
    );
    let r = h
        .post(
            protos,
            Some(&admin),
            json!({"role": "read", "delegate": {"kind": "team", "name": "ghosts"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["message"], "Team does not exist: acme/ghosts");
    // Only administrators see or change them.
    assert_eq!(
        h.get(protos, Some(&bob)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(h.get(protos, None).await.status, StatusCode::UNAUTHORIZED);
    let kinds = h.log_kinds(h.namespace_id("acme").await).await;
    for kind in [
        "create_prototype_permission",
        "modify_prototype_permission",
        "delete_prototype_permission",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind}");
    }
}
