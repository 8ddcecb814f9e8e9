//! Which audit entry every mutating endpoint writes, on Quay's test database: each row
//! calls its endpoint (after the setup calls that make what it acts on, their answers
//! captured as `{0}`, `{1}`, ...) and checks the entries written are exactly Quay's
//! kind. Endpoints Quay writes nothing for, or whose call needs a browser session, say
//! so with a reason. A mutating route without a row fails the test.

use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use actix_web::web::Data;
use quay_core::config::Config;
use quay_http::routes::endpoints;
use quay_http::{app, AppState};
use quay_persistence::testing::{bulk_load_tags, query_texts, seed_token, TestDatabase};
use serde_json::Value;

const CONFIG: &str = include_str!("../../../fixtures/quay-test/config.yaml");

const SCOPES: &str =
    "repo:read repo:write repo:admin repo:create user:read user:admin org:admin super:user";

/// What a call writes.
enum Writes {
    /// One entry of this kind.
    Kind(&'static str),
    /// Nothing in Quay either; why.
    Nothing(&'static str),
    /// The kind, checked by the named test instead (the call needs a browser session).
    Elsewhere(&'static str, &'static str),
}

/// A call made before the row's: method, path, body, and the JSON pointer of the
/// answer to capture (`""` captures nothing).
type Setup = (Method, &'static str, Option<&'static str>, &'static str);

struct Row {
    method: Method,
    template: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    user: &'static str,
    setup: &'static [Setup],
    writes: Writes,
}

fn row(
    method: Method,
    template: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    writes: Writes,
) -> Row {
    Row {
        method,
        template,
        path,
        body,
        user: "devtable",
        setup: &[],
        writes,
    }
}

impl Row {
    fn by(mut self, user: &'static str) -> Self {
        self.user = user;
        self
    }

    fn after(mut self, setup: &'static [Setup]) -> Self {
        self.setup = setup;
        self
    }
}

const TAG_DIGEST: Setup = (
    Method::GET,
    "/api/v1/repository/devtable/simple/tag/",
    None,
    "/tags/0/manifest_digest",
);

const NOTIFICATION_UUID: &[Setup] = &[(
    Method::GET,
    "/api/v1/repository/devtable/simple/notification/",
    None,
    "/notifications/0/uuid",
)];

/// In execution order: deletions of shared things come after their other uses.
fn rows() -> Vec<Row> {
    use Method as M;
    use Writes::*;
    vec![
        row(
            M::POST,
            "/api/v1/user/",
            "/api/v1/user/",
            None,
            Elsewhere(
                "user_create",
                "tests/http/accounts.rs (needs a CSRF session)",
            ),
        ),
        row(
            M::PUT,
            "/api/v1/user/",
            "/api/v1/user/",
            Some(r#"{"email": "changed@devtable.com"}"#),
            Kind("user_change_email"),
        )
        // An e-mail change waits for confirmation (FEATURE_MAILING): not devtable's,
        // who must still sign in later.
        .by("randomuser"),
        row(
            M::POST,
            "/api/v1/organization/",
            "/api/v1/organization/",
            Some(r#"{"name": "neworg2", "email": "neworg2@example.com"}"#),
            Kind("org_create"),
        ),
        row(
            M::PUT,
            "/api/v1/organization/{orgname}",
            "/api/v1/organization/buynlarge",
            Some(r#"{"email": "changed@example.com"}"#),
            Kind("org_change_email"),
        ),
        row(
            M::PUT,
            "/api/v1/organization/{orgname}/team/{teamname}",
            "/api/v1/organization/buynlarge/team/newteam",
            Some(r#"{"role": "member"}"#),
            Kind("org_create_team"),
        ),
        // `quay-test` requires team invites (FEATURE_REQUIRE_TEAM_INVITE), so adding a
        // user invites them and removing the pending member deletes the invite, as Quay.
        row(
            M::PUT,
            "/api/v1/organization/{orgname}/team/{teamname}/members/{membername}",
            "/api/v1/organization/buynlarge/team/newteam/members/freshuser",
            None,
            Kind("org_invite_team_member"),
        ),
        row(
            M::DELETE,
            "/api/v1/organization/{orgname}/team/{teamname}/members/{membername}",
            "/api/v1/organization/buynlarge/team/newteam/members/freshuser",
            None,
            Kind("org_delete_team_member_invite"),
        ),
        row(
            M::PUT,
            "/api/v1/organization/{orgname}/team/{teamname}/invite/{email}",
            "/api/v1/organization/buynlarge/team/newteam/invite/someone@example.com",
            None,
            Kind("org_invite_team_member"),
        ),
        row(
            M::DELETE,
            "/api/v1/organization/{orgname}/team/{teamname}/invite/{email}",
            "/api/v1/organization/buynlarge/team/newteam/invite/someone@example.com",
            None,
            Kind("org_delete_team_member_invite"),
        ),
        row(
            M::PUT,
            "/api/v1/teaminvite/{code}",
            "",
            None,
            Elsewhere(
                "org_team_member_invite_accepted",
                "tests/http/teams.rs (the code is the invitee's)",
            ),
        ),
        row(
            M::DELETE,
            "/api/v1/teaminvite/{code}",
            "",
            None,
            Elsewhere(
                "org_team_member_invite_declined",
                "tests/http/teams.rs (the code is the invitee's)",
            ),
        ),
        row(
            M::POST,
            "/api/v1/organization/{orgname}/team/{teamname}/syncing",
            "",
            None,
            Nothing("needs a group-backed authentication (LDAP, Keystone, OIDC); not built"),
        ),
        row(
            M::DELETE,
            "/api/v1/organization/{orgname}/team/{teamname}/syncing",
            "/api/v1/organization/buynlarge/team/readers/syncing",
            None,
            Nothing("Quay logs disable_team_sync only for a synced team; no team can be one here"),
        ),
        row(
            M::PUT,
            "/api/v1/user/notifications/{uuid}",
            "",
            None,
            Nothing("dismissing a notification is not audited in Quay"),
        ),
        row(
            M::POST,
            "/api/v1/organization/{orgname}/prototypes",
            "/api/v1/organization/buynlarge/prototypes",
            Some(r#"{"role": "read", "delegate": {"kind": "team", "name": "readers"}}"#),
            Kind("create_prototype_permission"),
        ),
        row(
            M::PUT,
            "/api/v1/organization/{orgname}/prototypes/{prototypeid}",
            "/api/v1/organization/buynlarge/prototypes/{0}",
            Some(r#"{"role": "write"}"#),
            Kind("modify_prototype_permission"),
        )
        .after(&[(
            M::GET,
            "/api/v1/organization/buynlarge/prototypes",
            None,
            "/prototypes/0/id",
        )]),
        row(
            M::DELETE,
            "/api/v1/organization/{orgname}/prototypes/{prototypeid}",
            "/api/v1/organization/buynlarge/prototypes/{0}",
            None,
            Kind("delete_prototype_permission"),
        )
        .after(&[(
            M::GET,
            "/api/v1/organization/buynlarge/prototypes",
            None,
            "/prototypes/0/id",
        )]),
        row(
            M::POST,
            "/api/v1/repository",
            "/api/v1/repository",
            Some(
                r#"{"namespace": "buynlarge", "repository": "newrepo", "description": "", "visibility": "private"}"#,
            ),
            Kind("create_repo"),
        ),
        row(
            M::PUT,
            "/api/v1/repository/{repository}/permissions/team/{teamname}",
            "/api/v1/repository/buynlarge/orgrepo/permissions/team/readers",
            Some(r#"{"role": "write"}"#),
            Kind("change_repo_permission"),
        ),
        row(
            M::DELETE,
            "/api/v1/repository/{repository}/permissions/team/{teamname}",
            "/api/v1/repository/buynlarge/orgrepo/permissions/team/readers",
            None,
            Kind("delete_repo_permission"),
        ),
        row(
            M::PUT,
            "/api/v1/repository/{repository}/permissions/user/{username}",
            "/api/v1/repository/devtable/shared/permissions/user/freshuser",
            Some(r#"{"role": "read"}"#),
            // Quay's `RepositoryUserPermission.put` logs this kind for new grants too.
            Kind("change_repo_permission"),
        ),
        row(
            M::DELETE,
            "/api/v1/repository/{repository}/permissions/user/{username}",
            "/api/v1/repository/devtable/shared/permissions/user/reader",
            None,
            Kind("delete_repo_permission"),
        ),
        row(
            M::POST,
            "/api/v1/repository/{repository}/changevisibility",
            "/api/v1/repository/devtable/shared/changevisibility",
            Some(r#"{"visibility": "public"}"#),
            Kind("change_repo_visibility"),
        ),
        row(
            M::PUT,
            "/api/v1/repository/{repository}/tag/{tag}",
            "/api/v1/repository/devtable/simple/tag/newtag",
            Some(r#"{"manifest_digest": "{0}"}"#),
            Kind("create_tag"),
        )
        .after(&[TAG_DIGEST]),
        row(
            M::DELETE,
            "/api/v1/repository/{repository}/tag/{tag}",
            "/api/v1/repository/devtable/simple/tag/tag-2",
            None,
            Kind("delete_tag"),
        ),
        row(
            M::POST,
            "/api/v1/repository/{repository}/tag/{tag}/restore",
            "/api/v1/repository/devtable/simple/tag/tag-2/restore",
            Some(r#"{"manifest_digest": "{0}"}"#),
            Kind("revert_tag"),
        )
        .after(&[TAG_DIGEST]),
        row(
            M::POST,
            "/api/v1/repository/{repository}/tag/{tag}/expire",
            "/api/v1/repository/devtable/simple/tag/tag-3/expire",
            Some(r#"{"manifest_digest": "{0}", "is_alive": true}"#),
            Kind("permanently_delete_tag"),
        )
        .after(&[TAG_DIGEST]),
        row(
            M::POST,
            "/api/v1/repository/{repository}/manifest/{manifestref}/labels",
            "/api/v1/repository/devtable/simple/manifest/{0}/labels",
            Some(r#"{"key": "foo", "value": "bar", "media_type": "text/plain"}"#),
            Kind("manifest_label_add"),
        )
        .after(&[TAG_DIGEST]),
        row(
            M::DELETE,
            "/api/v1/repository/{repository}/manifest/{manifestref}/labels/{labelid}",
            "/api/v1/repository/devtable/simple/manifest/{0}/labels/{1}",
            None,
            Kind("manifest_label_delete"),
        )
        .after(&[
            TAG_DIGEST,
            (
                M::GET,
                "/api/v1/repository/devtable/simple/manifest/{0}/labels",
                None,
                "/labels/0/id",
            ),
        ]),
        row(
            M::PUT,
            "/api/v1/repository/{repository}",
            "/api/v1/repository/devtable/shared",
            Some(r#"{"description": "changed"}"#),
            Kind("set_repo_description"),
        ),
        row(
            M::POST,
            "/api/v1/user/apptoken",
            "/api/v1/user/apptoken",
            Some(r#"{"title": "t"}"#),
            Kind("create_app_specific_token"),
        ),
        row(
            M::DELETE,
            "/api/v1/user/apptoken/{token_uuid}",
            "/api/v1/user/apptoken/{0}",
            None,
            Kind("revoke_app_specific_token"),
        )
        .after(&[(
            M::POST,
            "/api/v1/user/apptoken",
            Some(r#"{"title": "u"}"#),
            "/token/uuid",
        )]),
        row(
            M::POST,
            "/api/v1/signin",
            "",
            None,
            Elsewhere(
                "login_success",
                "tests/http/session.rs (needs a CSRF session)",
            ),
        ),
        row(
            M::POST,
            "/api/v1/signin/verify",
            "/api/v1/signin/verify",
            Some(r#"{"password": "password"}"#),
            Nothing("re-entering the password (VerifyUser) is not audited in Quay"),
        ),
        row(
            M::POST,
            "/api/v1/signout",
            "",
            None,
            Elsewhere(
                "logout_success",
                "tests/http/session.rs (a session's sign-out)",
            ),
        ),
        row(
            M::POST,
            "/api/v1/superuser/users/",
            "/api/v1/superuser/users/",
            Some(r#"{"username": "madeuser", "email": "madeuser@example.com"}"#),
            Kind("user_create"),
        ),
        row(
            M::PUT,
            "/api/v1/superuser/users/{username}",
            "/api/v1/superuser/users/madeuser",
            Some(r#"{"enabled": false}"#),
            Kind("user_disable"),
        ),
        row(
            M::DELETE,
            "/api/v1/superuser/users/{username}",
            "/api/v1/superuser/users/madeuser",
            None,
            Kind("user_delete"),
        ),
        row(
            M::PUT,
            "/api/v1/user/robots/{robot_shortname}",
            "/api/v1/user/robots/bot",
            None,
            Kind("create_robot"),
        ),
        row(
            M::POST,
            "/api/v1/user/robots/{robot_shortname}/regenerate",
            "/api/v1/user/robots/bot/regenerate",
            None,
            Kind("regenerate_robot_token"),
        ),
        row(
            M::DELETE,
            "/api/v1/user/robots/{robot_shortname}",
            "/api/v1/user/robots/bot",
            None,
            Kind("delete_robot"),
        ),
        row(
            M::PUT,
            "/api/v1/organization/{orgname}/robots/{robot_shortname}",
            "/api/v1/organization/buynlarge/robots/bot",
            None,
            Kind("create_robot"),
        ),
        row(
            M::POST,
            "/api/v1/organization/{orgname}/robots/{robot_shortname}/regenerate",
            "/api/v1/organization/buynlarge/robots/bot/regenerate",
            None,
            Kind("regenerate_robot_token"),
        ),
        row(
            M::DELETE,
            "/api/v1/organization/{orgname}/robots/{robot_shortname}",
            "/api/v1/organization/buynlarge/robots/bot",
            None,
            Kind("delete_robot"),
        ),
        row(
            M::POST,
            "/api/v1/organization/{orgname}/applications",
            "/api/v1/organization/buynlarge/applications",
            Some(r#"{"name": "app"}"#),
            Kind("create_application"),
        ),
        row(
            M::POST,
            "/api/v1/organization/{orgname}/applications/{client_id}/resetclientsecret",
            "/api/v1/organization/buynlarge/applications/{0}/resetclientsecret",
            None,
            Kind("reset_application_client_secret"),
        )
        .after(&[(
            M::GET,
            "/api/v1/organization/buynlarge/applications",
            None,
            "/applications/0/client_id",
        )]),
        row(
            M::PUT,
            "/api/v1/organization/{orgname}/applications/{client_id}",
            "/api/v1/organization/buynlarge/applications/{0}",
            Some(r#"{"name": "x", "redirect_uri": "http://x", "application_uri": "http://x"}"#),
            Kind("update_application"),
        )
        .after(&[(
            M::GET,
            "/api/v1/organization/buynlarge/applications",
            None,
            "/applications/0/client_id",
        )]),
        row(
            M::DELETE,
            "/api/v1/organization/{orgname}/applications/{client_id}",
            "/api/v1/organization/buynlarge/applications/{0}",
            None,
            Kind("delete_application"),
        )
        .after(&[(
            M::GET,
            "/api/v1/organization/buynlarge/applications",
            None,
            "/applications/0/client_id",
        )]),
        row(
            M::DELETE,
            "/api/v1/user/authorizations/{access_token_uuid}",
            "",
            None,
            Nothing("revoking a granted OAuth token is not audited in Quay"),
        ),
        row(
            M::PUT,
            "/api/v1/superuser/organizations/{name}",
            "/api/v1/superuser/organizations/sellnsmall",
            Some(r#"{"name": "sellnsmall2"}"#),
            Kind("org_change_name"),
        ),
        row(
            M::DELETE,
            "/api/v1/superuser/organizations/{name}",
            "/api/v1/superuser/organizations/sellnsmall2",
            None,
            Kind("org_delete"),
        ),
        row(
            M::POST,
            "/api/v1/superuser/takeownership/{namespace}",
            "/api/v1/superuser/takeownership/neworg",
            None,
            Kind("take_ownership"),
        ),
        row(
            M::POST,
            "/api/v1/user/clientkey",
            "/api/v1/user/clientkey",
            Some(r#"{"password": "password"}"#),
            Kind("user_generate_client_key"),
        ),
        row(
            M::POST,
            "/api/v1/repository/{repository}/notification/",
            "/api/v1/repository/devtable/simple/notification/",
            Some(
                r#"{"event": "repo_push", "method": "quay_notification", "config": {"target": {"kind": "user", "name": "devtable"}}, "eventConfig": {}, "title": "pushes"}"#,
            ),
            Kind("add_repo_notification"),
        ),
        row(
            M::POST,
            "/api/v1/repository/{repository}/notification/{uuid}/test",
            "/api/v1/repository/devtable/simple/notification/{0}/test",
            None,
            Nothing("queueing a test notification is not audited in Quay"),
        )
        .after(NOTIFICATION_UUID),
        row(
            M::POST,
            "/api/v1/repository/{repository}/notification/{uuid}",
            "/api/v1/repository/devtable/simple/notification/{0}",
            None,
            Kind("reset_repo_notification"),
        )
        .after(NOTIFICATION_UUID),
        row(
            M::DELETE,
            "/api/v1/repository/{repository}/notification/{uuid}",
            "/api/v1/repository/devtable/simple/notification/{0}",
            None,
            Kind("delete_repo_notification"),
        )
        .after(NOTIFICATION_UUID),
        row(
            M::POST,
            "/api/v1/messages",
            "/api/v1/messages",
            Some(
                r#"{"message": {"content": "hello", "media_type": "text/plain", "severity": "info"}}"#,
            ),
            Nothing("global messages are not audited in Quay"),
        ),
        row(
            M::DELETE,
            "/api/v1/message/{uuid}",
            "/api/v1/message/00000000-0000-0000-0000-000000000000",
            None,
            Nothing("global messages are not audited in Quay"),
        ),
        row(
            M::POST,
            "/api/v1/user/starred",
            "/api/v1/user/starred",
            Some(r#"{"namespace": "public", "repository": "publicrepo"}"#),
            Nothing("stars are not audited in Quay"),
        ),
        row(
            M::DELETE,
            "/api/v1/user/starred/{repository}",
            "/api/v1/user/starred/public/publicrepo",
            None,
            Nothing("stars are not audited in Quay"),
        ),
        row(
            M::POST,
            "/api/v1/organization/{orgname}/autoprunepolicy/",
            "/api/v1/organization/testorgforautoprune/autoprunepolicy/",
            Some(r#"{"method": "number_of_tags", "value": 5}"#),
            Kind("create_namespace_autoprune_policy"),
        ),
        row(
            M::PUT,
            "/api/v1/organization/{orgname}/autoprunepolicy/{policy_uuid}",
            "/api/v1/organization/buynlarge/autoprunepolicy/{0}",
            Some(r#"{"method": "number_of_tags", "value": 5}"#),
            Kind("update_namespace_autoprune_policy"),
        )
        .after(&[(
            M::GET,
            "/api/v1/organization/buynlarge/autoprunepolicy/",
            None,
            "/policies/0/uuid",
        )]),
        row(
            M::DELETE,
            "/api/v1/organization/{orgname}/autoprunepolicy/{policy_uuid}",
            "/api/v1/organization/buynlarge/autoprunepolicy/{0}",
            None,
            Kind("delete_namespace_autoprune_policy"),
        )
        .after(&[(
            M::GET,
            "/api/v1/organization/buynlarge/autoprunepolicy/",
            None,
            "/policies/0/uuid",
        )]),
        row(
            M::POST,
            "/api/v1/repository/{repository}/autoprunepolicy/",
            "/api/v1/repository/devtable/shared/autoprunepolicy/",
            Some(r#"{"method": "creation_date", "value": "2w"}"#),
            Kind("create_repository_autoprune_policy"),
        ),
        row(
            M::PUT,
            "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}",
            "/api/v1/repository/devtable/simple/autoprunepolicy/{0}",
            Some(r#"{"method": "creation_date", "value": "2w"}"#),
            Kind("update_repository_autoprune_policy"),
        )
        .after(&[(
            M::GET,
            "/api/v1/repository/devtable/simple/autoprunepolicy/",
            None,
            "/policies/0/uuid",
        )]),
        row(
            M::DELETE,
            "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}",
            "/api/v1/repository/devtable/simple/autoprunepolicy/{0}",
            None,
            Kind("delete_repository_autoprune_policy"),
        )
        .after(&[(
            M::GET,
            "/api/v1/repository/devtable/simple/autoprunepolicy/",
            None,
            "/policies/0/uuid",
        )]),
        row(
            M::POST,
            "/api/v1/user/autoprunepolicy/",
            "/api/v1/user/autoprunepolicy/",
            Some(r#"{"method": "number_of_tags", "value": 5}"#),
            Kind("create_namespace_autoprune_policy"),
        )
        .by("freshuser"),
        row(
            M::PUT,
            "/api/v1/user/autoprunepolicy/{policy_uuid}",
            "/api/v1/user/autoprunepolicy/{0}",
            Some(r#"{"method": "number_of_tags", "value": 7}"#),
            Kind("update_namespace_autoprune_policy"),
        )
        .after(&[(
            M::GET,
            "/api/v1/user/autoprunepolicy/",
            None,
            "/policies/0/uuid",
        )]),
        row(
            M::DELETE,
            "/api/v1/user/autoprunepolicy/{policy_uuid}",
            "/api/v1/user/autoprunepolicy/{0}",
            None,
            Kind("delete_namespace_autoprune_policy"),
        )
        .after(&[(
            M::GET,
            "/api/v1/user/autoprunepolicy/",
            None,
            "/policies/0/uuid",
        )]),
        row(
            M::POST,
            "/api/v1/user/exportlogs",
            "/api/v1/user/exportlogs",
            Some(r#"{"callback_email": "devtable@example.com"}"#),
            Kind("export_logs_success"),
        ),
        row(
            M::POST,
            "/api/v1/organization/{orgname}/exportlogs",
            "/api/v1/organization/buynlarge/exportlogs",
            Some("{}"),
            Kind("export_logs_success"),
        ),
        // Quay 3.11 means to write this too, but its `_log_export_success` checks the
        // kind "reposiotory" and so writes nothing for repositories.
        row(
            M::POST,
            "/api/v1/repository/{repository}/exportlogs",
            "/api/v1/repository/devtable/simple/exportlogs",
            Some("{}"),
            Kind("export_logs_success"),
        ),
        row(
            M::DELETE,
            "/api/v1/organization/{orgname}/members/{membername}",
            "/api/v1/organization/buynlarge/members/reader",
            None,
            Kind("org_remove_team_member"),
        ),
        row(
            M::DELETE,
            "/api/v1/organization/{orgname}/team/{teamname}",
            "/api/v1/organization/buynlarge/team/newteam",
            None,
            Kind("org_delete_team"),
        ),
        row(
            M::POST,
            "/api/v1/user/convert",
            "/api/v1/user/convert",
            Some(r#"{"adminUser": "devtable", "adminPassword": "password"}"#),
            Kind("account_convert"),
        )
        .by("freshuser"),
        row(
            M::DELETE,
            "/api/v1/repository/{repository}",
            "/api/v1/repository/devtable/shared",
            None,
            Kind("delete_repo"),
        ),
        row(
            M::DELETE,
            "/api/v1/organization/{orgname}",
            "/api/v1/organization/library",
            None,
            Kind("org_delete"),
        ),
        row(
            M::DELETE,
            "/api/v1/user/",
            "/api/v1/user/",
            None,
            Kind("user_delete"),
        )
        .by("randomuser"),
    ]
}

fn config() -> Config {
    Config::load(Some(CONFIG), std::iter::empty()).expect("fixture config")
}

async fn call(
    state: &Data<AppState>,
    method: Method,
    path: &str,
    body: Option<&str>,
    token: &str,
) -> (u16, Value) {
    let service = test::init_service(app(state.clone())).await;
    let mut req = TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header(("Authorization", format!("Bearer {token}")));
    if let Some(body) = body {
        req = req
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_string());
    }
    let res = test::call_service(&service, req.to_request()).await;
    let status = res.status().as_u16();
    let bytes = test::read_body(res).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn fill(text: &str, captured: &[String]) -> String {
    captured
        .iter()
        .enumerate()
        .fold(text.to_string(), |t, (i, c)| {
            t.replace(&format!("{{{i}}}"), c)
        })
}

#[actix_web::test]
async fn every_mutating_endpoint_writes_quays_log_kind() {
    let rows = rows();
    let missing: Vec<String> = endpoints(&config())
        .iter()
        .filter(|e| e.method != Method::GET)
        .filter(|e| {
            !rows
                .iter()
                .any(|r| r.method == e.method && r.template == e.path)
        })
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(
        missing.is_empty(),
        "mutating endpoints without a row: {missing:#?}"
    );
    for r in &rows {
        let (kind, reason) = match r.writes {
            Writes::Kind(kind) => (Some(kind), "called here"),
            Writes::Nothing(reason) => (None, reason),
            Writes::Elsewhere(kind, test) => (Some(kind), test),
        };
        assert!(!reason.is_empty(), "{} {}: a reason", r.method, r.template);
        if let Some(kind) = kind {
            assert!(
                quay_logs::LogKind::parse(kind).is_some(),
                "{kind} is one of Quay's kinds"
            );
        }
    }

    let t = TestDatabase::new().await;
    let state = Data::new(AppState::new(
        config(),
        t.db.clone(),
        b"fixture-secret",
        None,
    ));
    let hash = quay_auth::secret::hash_password(quay_fixtures::PASSWORD).unwrap();
    let text = quay_fixtures::data("quay-test").expect("the quay-test set");
    quay_fixtures::load_with_password_hash(&state, text, &hash)
        .await
        .expect("load fixtures");
    let simple = query_texts(
        &t.db,
        "SELECT r.id FROM repository r JOIN namespace n ON n.id = r.namespace_id \
         WHERE n.username = 'devtable' AND r.name = 'simple'",
    )
    .await;
    bulk_load_tags(&t.db, simple[0].parse().unwrap(), 5).await;
    let mut tokens = std::collections::HashMap::new();
    for user in ["devtable", "freshuser", "randomuser"] {
        let id = quay_persistence::testing::namespace_id(&t.db, user).await;
        tokens.insert(user, seed_token(&t.db, id, SCOPES, 3600).await);
    }

    let mut failures = Vec::new();
    for row in &rows {
        let Writes::Kind(kind) = row.writes else {
            continue;
        };
        let token = &tokens[row.user];
        let mut captured = Vec::new();
        for (method, path, body, pointer) in row.setup {
            let (status, answer) = call(
                &state,
                method.clone(),
                &fill(path, &captured),
                body.map(|b| fill(b, &captured)).as_deref(),
                token,
            )
            .await;
            assert!(
                (200..300).contains(&status),
                "setup {path}: {status} {answer}"
            );
            if !pointer.is_empty() {
                let value = answer.pointer(pointer).unwrap_or(&Value::Null);
                captured.push(match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
            }
        }
        let before = query_texts(&t.db, "SELECT COALESCE(MAX(id), 0) FROM log_entry").await;
        let path = fill(row.path, &captured);
        let (status, answer) = call(
            &state,
            row.method.clone(),
            &path,
            row.body.map(|b| fill(b, &captured)).as_deref(),
            token,
        )
        .await;
        let written = query_texts(
            &t.db,
            &format!(
                "SELECT kind FROM log_entry WHERE id > {} ORDER BY id",
                before[0]
            ),
        )
        .await;
        if !(200..300).contains(&status) {
            failures.push(format!("{} {path}: {status} {answer}", row.method));
        } else if written != [kind] {
            failures.push(format!(
                "{} {path}: expected [{kind}], wrote {written:?}",
                row.method
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
