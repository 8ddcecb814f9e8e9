//! Teams (`endpoints/api/team.py`) and organization members (`organization.py`): team
//! roles and the last-admin rules, membership, invites with `FEATURE_REQUIRE_TEAM_INVITE`,
//! who may look inside a team.

use crate::common::*;
use actix_web::http::{Method, StatusCode};
use quay_core::config::Config;
use serde_json::{json, Value};

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m[key].as_str().unwrap().to_string())
        .collect()
}

/// A 400 from the data model: Quay's error body plus its `message` key.
fn assert_rejected(r: &Response, message: &str) {
    assert_error(r, 400, "invalid_request", message);
    assert_eq!(r.body["message"], message, "{}", r.body);
}

#[actix_web::test]
async fn team_roles_descriptions_and_the_last_admin_rules() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let r = h
        .post(
            "/api/v1/organization/",
            Some(&admin),
            json!({"name": "acme"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let org_id = h.namespace_id("acme").await;

    // Create: role required, name checked, 200 with `new_team`.
    let r = h
        .put(
            "/api/v1/organization/acme/team/builders",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = h
        .put(
            "/api/v1/organization/acme/team/Bad!",
            Some(&admin),
            json!({"role": "member"}),
        )
        .await;
    assert_rejected(
        &r,
        "Invalid team name Bad!: Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$",
    );
    let r = h
        .put(
            "/api/v1/organization/acme/team/builders",
            Some(&admin),
            json!({"role": "creator", "description": "They build"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "builders");
    assert_eq!(r.body["role"], "creator");
    assert_eq!(r.body["description"], "They build");
    assert_eq!(r.body["new_team"], true);
    assert_eq!(r.body["can_view"], true);
    assert_eq!(r.body["avatar"]["kind"], "team");

    // Update: same name, new role; the org view lists it.
    let r = h
        .put(
            "/api/v1/organization/acme/team/builders",
            Some(&admin),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["new_team"], false);
    assert_eq!(r.body["role"], "admin");
    assert_eq!(r.body["description"], "They build");
    let org = h.get("/api/v1/organization/acme", Some(&admin)).await;
    assert_eq!(
        org.body["teams"]["builders"]["role"], "admin",
        "{}",
        org.body
    );

    // The caller's only admin team can be neither demoted nor deleted, nor left.
    assert_rejected(
        &h.put(
            "/api/v1/organization/acme/team/owners",
            Some(&admin),
            json!({"role": "member"}),
        )
        .await,
        "Cannot remove admin from team 'owners' because calling user would no longer have admin on org 'acme'",
    );
    assert_rejected(
        &h.delete("/api/v1/organization/acme/team/owners", Some(&admin))
            .await,
        "Deleting team 'owners' would remove admin ability for user 'admin' in organization 'acme'",
    );
    assert_rejected(
        &h.delete(
            "/api/v1/organization/acme/team/owners/members/admin",
            Some(&admin),
        )
        .await,
        "User cannot remove themselves from their only admin team.",
    );
    // With a second admin team, owners may go.
    let r = h
        .put(
            "/api/v1/organization/acme/team/builders/members/admin",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["invited"], false);
    let r = h
        .delete("/api/v1/organization/acme/team/owners", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_rejected(
        &h.delete("/api/v1/organization/acme/team/owners", Some(&admin))
            .await,
        "Team 'owners' is not a team in org 'acme'",
    );

    let kinds = h.log_kinds(org_id).await;
    for kind in [
        "org_create_team",
        "org_set_team_role",
        "org_add_team_member",
        "org_delete_team",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

#[actix_web::test]
async fn members_views_and_who_may_look_inside_a_team() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    h.post(
        "/api/v1/organization/",
        Some(&admin),
        json!({"name": "acme"}),
    )
    .await;
    let (_, alice) = h.user("alice", ALL_SCOPES).await;
    let (_, bob) = h.user("bob", ALL_SCOPES).await;
    let (_, eve) = h.user("eve", ALL_SCOPES).await;
    for team in ["readers", "writers"] {
        let r = h
            .put(
                &format!("/api/v1/organization/acme/team/{team}"),
                Some(&admin),
                json!({"role": "member"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // Invites are off by default (no mail): users are added directly.
    for (team, user) in [("readers", "alice"), ("writers", "bob")] {
        let r = h
            .put(
                &format!("/api/v1/organization/acme/team/{team}/members/{user}"),
                Some(&admin),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["name"], user);
        assert_eq!(r.body["kind"], "user");
        assert_eq!(r.body["is_robot"], false);
    }
    assert_rejected(
        &h.put(
            "/api/v1/organization/acme/team/readers/members/alice",
            Some(&admin),
            json!({}),
        )
        .await,
        "User alice is already a member of team readers",
    );
    assert_error(
        &h.put(
            "/api/v1/organization/acme/team/readers/members/nobody",
            Some(&admin),
            json!({}),
        )
        .await,
        400,
        "invalid_request",
        "Unknown user",
    );
    // Robots: the organization's own, never another namespace's.
    h.put(
        "/api/v1/organization/acme/robots/ci",
        Some(&admin),
        json!({}),
    )
    .await;
    h.put("/api/v1/user/robots/mine", Some(&eve), json!({}))
        .await;
    let r = h
        .put(
            "/api/v1/organization/acme/team/readers/members/acme+ci",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["is_robot"], true);
    assert_eq!(r.body["avatar"]["kind"], "robot");
    assert_rejected(
        &h.put(
            "/api/v1/organization/acme/team/readers/members/eve+mine",
            Some(&admin),
            json!({}),
        )
        .await,
        "Cannot add the specified robot to this team, as it is not a member of the organization",
    );

    // A team's own members see inside it; other members and outsiders do not.
    let path = "/api/v1/organization/acme/team/readers/members";
    let r = h.get(path, Some(&alice)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(names(&r.body["members"], "name"), ["acme+ci", "alice"]);
    assert_eq!(r.body["can_edit"], false);
    assert_eq!(h.get(path, Some(&bob)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(h.get(path, Some(&eve)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(h.get(path, None).await.status, StatusCode::UNAUTHORIZED);
    // An outsider asking about a missing team or organization learns nothing.
    let missing = "/api/v1/organization/acme/team/ghosts/members";
    assert_eq!(
        h.get(missing, Some(&eve)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.get(missing, Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = h
        .get("/api/v1/organization/nosuch/team/x/members", Some(&eve))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Members may not change teams.
    let r = h
        .put(
            "/api/v1/organization/acme/team/readers/members/eve",
            Some(&alice),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Organization members: humans only, with their teams.
    let r = h
        .get("/api/v1/organization/acme/members", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(names(&r.body["members"], "name"), ["admin", "alice", "bob"]);
    assert_eq!(r.body["members"][1]["teams"][0]["name"], "readers");
    assert_eq!(r.body["members"][1]["teams"][0]["avatar"]["kind"], "team");
    assert_eq!(
        h.get("/api/v1/organization/acme/members", Some(&alice))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = h
        .get("/api/v1/organization/acme/members/acme+ci", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["kind"], "robot");
    assert_eq!(
        h.get("/api/v1/organization/acme/members/eve", Some(&admin))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Removing a member takes them out of every team; the only admin stays.
    let r = h
        .delete("/api/v1/organization/acme/members/alice", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h.get(path, Some(&admin)).await;
    assert_eq!(names(&r.body["members"], "name"), ["acme+ci"]);
    assert_rejected(
        &h.delete("/api/v1/organization/acme/members/admin", Some(&admin))
            .await,
        "Cannot remove user as they are the only organization admin",
    );

    // Team permissions and collaborators: a direct permission without a team.
    let r = h
        .post(
            "/api/v1/repository",
            Some(&admin),
            json!({"namespace": "acme", "repository": "app", "visibility": "private", "description": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let eve_id = h.namespace_id("eve").await;
    quay_persistence::testing::seed_repo_permission(
        &h.t.db,
        "acme",
        "app",
        eve_id,
        quay_core::role::Role::Read,
    )
    .await;
    let r = h
        .get("/api/v1/organization/acme/collaborators", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["collaborators"],
        json!([{"name": "eve", "kind": "user", "avatar": r.body["collaborators"][0]["avatar"], "repositories": ["app"]}])
    );
    let r = h
        .get(
            "/api/v1/organization/acme/team/readers/permissions",
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"permissions": []}));
}

fn invites_config() -> Config {
    Config {
        feature_mailing: true,
        feature_require_team_invite: true,
        ..Config::default()
    }
}

/// The invite code of the user's first `org_team_invite` notification.
async fn invite_code(h: &Harness, token: &str) -> String {
    let r = h.get("/api/v1/user/notifications", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let note = &r.body["notifications"][0];
    assert_eq!(note["kind"], "org_team_invite", "{}", r.body);
    note["metadata"]["code"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn invites_are_accepted_declined_and_only_by_their_invitee() {
    let h = Harness::with_config(invites_config()).await;
    let admin = h.initialize("admin").await;
    h.post(
        "/api/v1/organization/",
        Some(&admin),
        json!({"name": "acme", "email": "acme@example.com"}),
    )
    .await;
    h.put(
        "/api/v1/organization/acme/team/readers",
        Some(&admin),
        json!({"role": "member"}),
    )
    .await;
    let (_, alice) = h.user("alice", ALL_SCOPES).await;
    let (_, bob) = h.user("bob", ALL_SCOPES).await;

    // A non-member is invited, not added.
    let r = h
        .put(
            "/api/v1/organization/acme/team/readers/members/alice",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["invited"], true);
    let members = "/api/v1/organization/acme/team/readers/members";
    let r = h.get(members, Some(&admin)).await;
    assert_eq!(r.body["members"], json!([]));
    let r = h
        .get(&format!("{members}?includePending=true"), Some(&admin))
        .await;
    assert_eq!(names(&r.body["members"], "name"), ["alice"]);
    assert_eq!(r.body["members"][0]["invited"], true);

    // The code reaches alice only; it is stored sealed, never in plain text.
    let code = invite_code(&h, &alice).await;
    assert_eq!(code.len(), 64);
    let stored = quay_persistence::testing::query_texts(
        &h.t.db,
        "SELECT token_sealed FROM team_member_invite",
    )
    .await;
    assert!(stored.iter().all(|s| !s.contains(&code)));
    let r = h.get("/api/v1/user/notifications", Some(&bob)).await;
    assert_eq!(r.body["notifications"], json!([]));

    // bob cannot use or decline alice's invite; a made-up code is refused.
    assert_rejected(
        &h.put(&format!("/api/v1/teaminvite/{code}"), Some(&bob), json!({}))
            .await,
        "This invite is intended for user \"alice\".\n                 Please login to that account and try again.",
    );
    assert_rejected(
        &h.delete(&format!("/api/v1/teaminvite/{code}"), Some(&bob))
            .await,
        "Invalid confirmation code.",
    );
    assert_rejected(
        &h.put("/api/v1/teaminvite/nope", Some(&alice), json!({}))
            .await,
        "Invalid confirmation code.",
    );
    assert_eq!(
        h.put(&format!("/api/v1/teaminvite/{code}"), None, json!({}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // alice accepts: a member now, the invite and its notification are gone.
    let r = h
        .put(
            &format!("/api/v1/teaminvite/{code}"),
            Some(&alice),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"org": "acme", "team": "readers"}));
    let r = h
        .get(&format!("{members}?includePending=true"), Some(&admin))
        .await;
    assert_eq!(names(&r.body["members"], "name"), ["alice"]);
    assert_eq!(r.body["members"][0]["invited"], false);
    let r = h.get("/api/v1/user/notifications", Some(&alice)).await;
    assert_eq!(r.body["notifications"], json!([]));
    assert_rejected(
        &h.put(
            &format!("/api/v1/teaminvite/{code}"),
            Some(&alice),
            json!({}),
        )
        .await,
        "Invalid confirmation code.",
    );

    // Once a member of the organization, alice joins other teams directly.
    h.put(
        "/api/v1/organization/acme/team/writers",
        Some(&admin),
        json!({"role": "member"}),
    )
    .await;
    let r = h
        .put(
            "/api/v1/organization/acme/team/writers/members/alice",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.body["invited"], false, "{}", r.body);

    // bob declines his invite; withdrawing one is a member DELETE.
    h.put(
        "/api/v1/organization/acme/team/readers/members/bob",
        Some(&admin),
        json!({}),
    )
    .await;
    let code = invite_code(&h, &bob).await;
    let r = h
        .delete(&format!("/api/v1/teaminvite/{code}"), Some(&bob))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h
        .get(&format!("{members}?includePending=true"), Some(&admin))
        .await;
    assert_eq!(names(&r.body["members"], "name"), ["alice"]);
    h.put(
        "/api/v1/organization/acme/team/readers/members/bob",
        Some(&admin),
        json!({}),
    )
    .await;
    let r = h
        .delete(
            "/api/v1/organization/acme/team/readers/members/bob",
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h.get("/api/v1/user/notifications", Some(&bob)).await;
    assert_eq!(r.body["notifications"], json!([]));

    // E-mail invites: listed as pending, withdrawn by address.
    let r = h
        .call(
            Method::PUT,
            "/api/v1/organization/acme/team/readers/invite/carol@example.com",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["kind"], "invite");
    assert_eq!(r.body["email"], "carol@example.com");
    let r = h
        .get(&format!("{members}?includePending=true"), Some(&admin))
        .await;
    assert_eq!(r.body["members"][1]["email"], "carol@example.com");
    let path = "/api/v1/organization/acme/team/readers/invite/carol@example.com";
    assert_eq!(
        h.delete(path, Some(&admin)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.delete(path, Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );

    // An e-mail invite is for whoever verifiably owns the address. The code travels by
    // mail; here it is unsealed from the database with the server's field key.
    let r = h
        .call(
            Method::PUT,
            "/api/v1/organization/acme/team/writers/invite/bob@example.com",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sealed = quay_persistence::testing::query_texts(
        &h.t.db,
        "SELECT token_sealed FROM team_member_invite WHERE email = 'bob@example.com'",
    )
    .await;
    let code = quay_auth::cipher::FieldCipher::derived(b"test-secret")
        .decrypt(&sealed[0])
        .unwrap();
    assert_rejected(
        &h.put(&format!("/api/v1/teaminvite/{code}"), Some(&alice), json!({}))
            .await,
        "This invite is intended for email \"bob@example.com\".\n                   Please login to that account and try again.",
    );
    // Nobody declines an address's invite (Quay: only user invites can be declined).
    assert_rejected(
        &h.delete(&format!("/api/v1/teaminvite/{code}"), Some(&bob))
            .await,
        "Invalid confirmation code.",
    );
    let r = h
        .put(&format!("/api/v1/teaminvite/{code}"), Some(&bob), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"org": "acme", "team": "writers"}));
    let r = h
        .get(
            "/api/v1/organization/acme/team/writers/members",
            Some(&admin),
        )
        .await;
    assert_eq!(names(&r.body["members"], "name"), ["alice", "bob"]);

    let kinds = h.log_kinds(h.namespace_id("acme").await).await;
    for kind in [
        "org_invite_team_member",
        "org_team_member_invite_accepted",
        "org_team_member_invite_declined",
        "org_delete_team_member_invite",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

#[actix_web::test]
async fn team_syncing_with_database_authentication_answers_400() {
    let config = Config {
        feature_team_syncing: true,
        super_users: vec!["admin".into()],
        ..Config::default()
    };
    let h = Harness::with_config(config).await;
    let admin = h.initialize("admin").await;
    h.post(
        "/api/v1/organization/",
        Some(&admin),
        json!({"name": "acme"}),
    )
    .await;
    let path = "/api/v1/organization/acme/team/owners/syncing";
    let r = h
        .post(path, Some(&admin), json!({"group_dn": "cn=x"}))
        .await;
    assert_error(
        &r,
        400,
        "invalid_request",
        "Could not sync to group: Not supported",
    );
    let r = h.delete(path, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "owners");
    // Without the feature the route does not exist.
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    let r = h.post(path, Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
