//! Who may do what, on Quay's test database (`quay-test` fixtures, its config): for
//! every registered endpoint and each of anonymous, devtable (superuser), freshuser,
//! reader, globalreadonlysuperuser and randomuser, the status Quay's ordering gives
//! (401 anonymous, 403 before 404 for outsiders). A new endpoint without a row fails.

use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use actix_web::web::Data;
use quay_core::config::Config;
use quay_http::routes::endpoints;
use quay_http::{app, AppState};
use quay_persistence::testing::{seed_token, TestDatabase};

const CONFIG: &str = include_str!("../../../fixtures/quay-test/config.yaml");

/// The identities, in the order of each row's statuses; `None` is anonymous.
const IDENTITIES: [Option<&str>; 6] = [
    None,
    Some("devtable"),
    Some("freshuser"),
    Some("reader"),
    Some("globalreadonlysuperuser"),
    Some("randomuser"),
];

const SCOPES: &str =
    "repo:read repo:write repo:admin repo:create user:read user:admin org:admin super:user";

/// One endpoint: method, catalog path, concrete path and body (`{user}` stands for the
/// calling identity's name), whether it changes state (then every identity expected to
/// succeed gets a fresh database), and the expected status per identity.
struct Row {
    method: Method,
    template: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    writes: bool,
    expect: [u16; 6],
}

const fn get(template: &'static str, path: &'static str, expect: [u16; 6]) -> Row {
    Row {
        method: Method::GET,
        template,
        path,
        body: None,
        writes: false,
        expect,
    }
}

fn write(
    method: Method,
    template: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    expect: [u16; 6],
) -> Row {
    Row {
        method,
        template,
        path,
        body,
        writes: true,
        expect,
    }
}

fn rows() -> Vec<Row> {
    use Method as M;
    vec![
        get("/api/v1/discovery", "/api/v1/discovery", [200; 6]),
        get(
            "/api/v1/user/",
            "/api/v1/user/",
            [401, 200, 200, 200, 200, 200],
        ),
        // Creating an account and signing in start a browser session: they need the CSRF
        // token of `/csrf_token`, which no caller here has (tests/session.rs covers them).
        write(
            M::POST,
            "/api/v1/user/",
            "/api/v1/user/",
            Some(
                r#"{"username": "new{user}", "password": "password123", "email": "new{user}@example.com"}"#,
            ),
            [403; 6],
        ),
        write(
            M::PUT,
            "/api/v1/user/",
            "/api/v1/user/",
            Some("{}"),
            [401, 200, 200, 200, 200, 200],
        ),
        write(
            M::DELETE,
            "/api/v1/user/",
            "/api/v1/user/",
            None,
            [401, 400, 204, 204, 204, 204],
        ),
        get(
            "/api/v1/users/{username}",
            "/api/v1/users/devtable",
            [200; 6],
        ),
        write(
            M::POST,
            "/api/v1/organization/",
            "/api/v1/organization/",
            Some(r#"{"name": "org{user}", "email": "org{user}@example.com"}"#),
            [401, 201, 201, 201, 201, 201],
        ),
        get(
            "/api/v1/organization/{orgname}",
            "/api/v1/organization/buynlarge",
            [200; 6],
        ),
        write(
            M::PUT,
            "/api/v1/organization/{orgname}",
            "/api/v1/organization/buynlarge",
            Some("{}"),
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/organization/{orgname}",
            "/api/v1/organization/library",
            None,
            [401, 204, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/members",
            "/api/v1/organization/buynlarge/members",
            [401, 200, 403, 403, 200, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/members/{membername}",
            "/api/v1/organization/buynlarge/members/reader",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/organization/{orgname}/members/{membername}",
            "/api/v1/organization/buynlarge/members/reader",
            None,
            [401, 204, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/collaborators",
            "/api/v1/organization/buynlarge/collaborators",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::PUT,
            "/api/v1/organization/{orgname}/team/{teamname}",
            "/api/v1/organization/buynlarge/team/newteam",
            Some(r#"{"role": "member"}"#),
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/organization/{orgname}/team/{teamname}",
            "/api/v1/organization/buynlarge/team/readers",
            None,
            [401, 204, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/team/{teamname}/members",
            "/api/v1/organization/buynlarge/team/readers/members",
            [401, 200, 403, 200, 200, 403],
        ),
        // An outsider asking about a missing team learns nothing.
        get(
            "/api/v1/organization/{orgname}/team/{teamname}/members",
            "/api/v1/organization/buynlarge/team/ghosts/members",
            [401, 404, 403, 403, 404, 403],
        ),
        write(
            M::PUT,
            "/api/v1/organization/{orgname}/team/{teamname}/members/{membername}",
            "/api/v1/organization/buynlarge/team/readers/members/freshuser",
            None,
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/organization/{orgname}/team/{teamname}/members/{membername}",
            "/api/v1/organization/buynlarge/team/readers/members/reader",
            None,
            [401, 204, 403, 403, 403, 403],
        ),
        write(
            M::PUT,
            "/api/v1/organization/{orgname}/team/{teamname}/invite/{email}",
            "/api/v1/organization/buynlarge/team/readers/invite/someone@example.com",
            None,
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/organization/{orgname}/team/{teamname}/invite/{email}",
            "/api/v1/organization/buynlarge/team/readers/invite/someone@example.com",
            None,
            [401, 404, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/team/{teamname}/permissions",
            "/api/v1/organization/buynlarge/team/readers/permissions",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::POST,
            "/api/v1/organization/{orgname}/team/{teamname}/syncing",
            "/api/v1/organization/buynlarge/team/readers/syncing",
            Some(r#"{"group_dn": "cn=x"}"#),
            [401, 400, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/organization/{orgname}/team/{teamname}/syncing",
            "/api/v1/organization/buynlarge/team/readers/syncing",
            None,
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::PUT,
            "/api/v1/teaminvite/{code}",
            "/api/v1/teaminvite/notacode",
            None,
            [401, 400, 400, 400, 400, 400],
        ),
        write(
            M::DELETE,
            "/api/v1/teaminvite/{code}",
            "/api/v1/teaminvite/notacode",
            None,
            [401, 400, 400, 400, 400, 400],
        ),
        get(
            "/api/v1/user/notifications",
            "/api/v1/user/notifications",
            [401, 200, 200, 200, 200, 200],
        ),
        get(
            "/api/v1/user/notifications/{uuid}",
            "/api/v1/user/notifications/nope",
            [401, 404, 404, 404, 404, 404],
        ),
        write(
            M::PUT,
            "/api/v1/user/notifications/{uuid}",
            "/api/v1/user/notifications/nope",
            Some(r#"{"dismissed": true}"#),
            [401, 404, 404, 404, 404, 404],
        ),
        get(
            "/api/v1/organization/{orgname}/prototypes",
            "/api/v1/organization/buynlarge/prototypes",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::POST,
            "/api/v1/organization/{orgname}/prototypes",
            "/api/v1/organization/buynlarge/prototypes",
            Some(r#"{"role": "read", "delegate": {"kind": "team", "name": "readers"}}"#),
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::PUT,
            "/api/v1/organization/{orgname}/prototypes/{prototypeid}",
            "/api/v1/organization/buynlarge/prototypes/nope",
            Some(r#"{"role": "write"}"#),
            [401, 404, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/organization/{orgname}/prototypes/{prototypeid}",
            "/api/v1/organization/buynlarge/prototypes/nope",
            None,
            [401, 404, 403, 403, 403, 403],
        ),
        write(
            M::POST,
            "/api/v1/repository",
            "/api/v1/repository",
            Some(
                r#"{"namespace": "buynlarge", "repository": "new{user}", "visibility": "private", "description": ""}"#,
            ),
            [401, 201, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/repository",
            "/api/v1/repository?public=true",
            [200; 6],
        ),
        get(
            "/api/v1/repository/{repository}/permissions/team/",
            "/api/v1/repository/buynlarge/orgrepo/permissions/team/",
            [401, 200, 403, 403, 200, 403],
        ),
        get(
            "/api/v1/repository/{repository}/permissions/team/{teamname}",
            "/api/v1/repository/buynlarge/orgrepo/permissions/team/readers",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::PUT,
            "/api/v1/repository/{repository}/permissions/team/{teamname}",
            "/api/v1/repository/buynlarge/orgrepo/permissions/team/readers",
            Some(r#"{"role": "write"}"#),
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/repository/{repository}/permissions/team/{teamname}",
            "/api/v1/repository/buynlarge/orgrepo/permissions/team/readers",
            None,
            [401, 204, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/repository/{repository}/permissions/user/",
            "/api/v1/repository/devtable/shared/permissions/user/",
            [401, 200, 403, 403, 200, 403],
        ),
        // A missing repository: outsiders 403, its namespace's admin 404.
        get(
            "/api/v1/repository/{repository}/permissions/user/",
            "/api/v1/repository/devtable/ghost/permissions/user/",
            [401, 404, 403, 403, 404, 403],
        ),
        get(
            "/api/v1/repository/{repository}/permissions/user/{username}/transitive",
            "/api/v1/repository/devtable/shared/permissions/user/reader/transitive",
            [401, 200, 403, 403, 200, 403],
        ),
        get(
            "/api/v1/repository/{repository}/permissions/user/{username}",
            "/api/v1/repository/devtable/shared/permissions/user/reader",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::PUT,
            "/api/v1/repository/{repository}/permissions/user/{username}",
            "/api/v1/repository/devtable/shared/permissions/user/freshuser",
            Some(r#"{"role": "read"}"#),
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/repository/{repository}/permissions/user/{username}",
            "/api/v1/repository/devtable/shared/permissions/user/reader",
            None,
            [401, 204, 403, 403, 403, 403],
        ),
        write(
            M::POST,
            "/api/v1/repository/{repository}/changevisibility",
            "/api/v1/repository/devtable/shared/changevisibility",
            Some(r#"{"visibility": "public"}"#),
            [401, 200, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/repository/{repository}",
            "/api/v1/repository/devtable/shared",
            [401, 200, 403, 200, 200, 403],
        ),
        get(
            "/api/v1/repository/{repository}/tag/",
            "/api/v1/repository/devtable/shared/tag/",
            [401, 200, 403, 200, 200, 403],
        ),
        get(
            "/api/v1/repository/{repository}/tag/",
            "/api/v1/repository/public/publicrepo/tag/?onlyActiveTags=true",
            [200; 6],
        ),
        // The fixtures hold no images: writers get as far as the missing tag or manifest.
        write(
            M::PUT,
            "/api/v1/repository/{repository}/tag/{tag}",
            "/api/v1/repository/devtable/shared/tag/latest",
            Some(
                r#"{"manifest_digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000"}"#,
            ),
            [401, 404, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/repository/{repository}/tag/{tag}",
            "/api/v1/repository/devtable/shared/tag/latest",
            None,
            [401, 404, 403, 403, 403, 403],
        ),
        write(
            M::POST,
            "/api/v1/repository/{repository}/tag/{tag}/restore",
            "/api/v1/repository/devtable/shared/tag/latest/restore",
            Some(
                r#"{"manifest_digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000"}"#,
            ),
            [401, 404, 403, 403, 403, 403],
        ),
        write(
            M::POST,
            "/api/v1/repository/{repository}/tag/{tag}/expire",
            "/api/v1/repository/devtable/shared/tag/latest/expire",
            Some(r#"{"is_alive": true}"#),
            [401, 404, 403, 403, 403, 403],
        ),
        // No manifests either: readers get as far as the missing manifest.
        get(
            "/api/v1/repository/{repository}/manifest/{manifestref}",
            "/api/v1/repository/devtable/shared/manifest/sha256:0000000000000000000000000000000000000000000000000000000000000000",
            [401, 404, 403, 404, 404, 403],
        ),
        get(
            "/api/v1/repository/{repository}/manifest/{manifestref}",
            "/api/v1/repository/public/publicrepo/manifest/sha256:0000000000000000000000000000000000000000000000000000000000000000",
            [404; 6],
        ),
        get(
            "/api/v1/repository/{repository}/manifest/{manifestref}/labels",
            "/api/v1/repository/devtable/shared/manifest/sha256:0000000000000000000000000000000000000000000000000000000000000000/labels",
            [401, 404, 403, 404, 404, 403],
        ),
        write(
            M::POST,
            "/api/v1/repository/{repository}/manifest/{manifestref}/labels",
            "/api/v1/repository/devtable/shared/manifest/sha256:0000000000000000000000000000000000000000000000000000000000000000/labels",
            Some(r#"{"key": "foo", "value": "bar", "media_type": "text/plain"}"#),
            [401, 404, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/repository/{repository}/manifest/{manifestref}/labels/{labelid}",
            "/api/v1/repository/devtable/shared/manifest/sha256:0000000000000000000000000000000000000000000000000000000000000000/labels/someid",
            [401, 404, 403, 404, 404, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/repository/{repository}/manifest/{manifestref}/labels/{labelid}",
            "/api/v1/repository/devtable/shared/manifest/sha256:0000000000000000000000000000000000000000000000000000000000000000/labels/someid",
            None,
            [401, 404, 403, 403, 403, 403],
        ),
        // FEATURE_SECURITY_SCANNER is on in Quay's test config; anonymous callers are
        // let in (`@anon_allowed`) but a private repository still needs a reader.
        get(
            "/api/v1/repository/{repository}/manifest/{manifestref}/security",
            "/api/v1/repository/devtable/shared/manifest/sha256:0000000000000000000000000000000000000000000000000000000000000000/security",
            [401, 404, 403, 404, 404, 403],
        ),
        get(
            "/api/v1/repository/{repository}/manifest/{manifestref}/security",
            "/api/v1/repository/public/publicrepo/manifest/sha256:0000000000000000000000000000000000000000000000000000000000000000/security",
            [404; 6],
        ),
        get(
            "/api/v1/repository/{repository}",
            "/api/v1/repository/public/publicrepo",
            [200; 6],
        ),
        get(
            "/api/v1/repository/{repository}",
            "/api/v1/repository/buynlarge/orgrepo",
            [401, 200, 403, 200, 200, 403],
        ),
        // Superusers without FEATURE_SUPERUSERS_FULL_ACCESS get nothing from their status.
        get(
            "/api/v1/repository/{repository}",
            "/api/v1/repository/neworg/repo",
            [401, 403, 403, 403, 200, 403],
        ),
        write(
            M::PUT,
            "/api/v1/repository/{repository}",
            "/api/v1/repository/devtable/shared",
            Some(r#"{"description": "changed"}"#),
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/repository/{repository}",
            "/api/v1/repository/devtable/shared",
            None,
            [401, 204, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/user/apptoken",
            "/api/v1/user/apptoken",
            [401, 200, 200, 200, 200, 200],
        ),
        write(
            M::POST,
            "/api/v1/user/apptoken",
            "/api/v1/user/apptoken",
            Some(r#"{"title": "t"}"#),
            [401, 200, 200, 200, 200, 200],
        ),
        get(
            "/api/v1/user/apptoken/{token_uuid}",
            "/api/v1/user/apptoken/nope",
            [401, 404, 404, 404, 404, 404],
        ),
        write(
            M::DELETE,
            "/api/v1/user/apptoken/{token_uuid}",
            "/api/v1/user/apptoken/nope",
            None,
            [401, 404, 404, 404, 404, 404],
        ),
        write(
            M::POST,
            "/api/v1/signin",
            "/api/v1/signin",
            Some(r#"{"username": "{user}", "password": "password"}"#),
            [403; 6],
        ),
        write(
            M::POST,
            "/api/v1/signin/verify",
            "/api/v1/signin/verify",
            Some(r#"{"password": "password"}"#),
            [401, 200, 200, 200, 200, 200],
        ),
        write(
            M::POST,
            "/api/v1/signout",
            "/api/v1/signout",
            None,
            [200; 6],
        ),
        get("/api/v1/messages", "/api/v1/messages", [200; 6]),
        write(
            M::POST,
            "/api/v1/messages",
            "/api/v1/messages",
            Some(r#"{"message": {"content": "from {user}", "media_type": "text/plain", "severity": "info"}}"#),
            [401, 201, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/message/{uuid}",
            "/api/v1/message/00000000-0000-0000-0000-000000000000",
            None,
            [401, 204, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/superuser/users/",
            "/api/v1/superuser/users/",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::POST,
            "/api/v1/superuser/users/",
            "/api/v1/superuser/users/",
            Some(r#"{"username": "made{user}", "email": "made{user}@example.com"}"#),
            [401, 200, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/superuser/users/{username}",
            "/api/v1/superuser/users/freshuser",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::PUT,
            "/api/v1/superuser/users/{username}",
            "/api/v1/superuser/users/freshuser",
            Some(r#"{"enabled": true}"#),
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/superuser/users/{username}",
            "/api/v1/superuser/users/freshuser",
            None,
            [401, 204, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/user/robots",
            "/api/v1/user/robots",
            [401, 200, 200, 200, 200, 200],
        ),
        get(
            "/api/v1/user/robots/{robot_shortname}/permissions",
            "/api/v1/user/robots/nope/permissions",
            [401, 400, 400, 400, 400, 400],
        ),
        write(
            M::POST,
            "/api/v1/user/robots/{robot_shortname}/regenerate",
            "/api/v1/user/robots/nope/regenerate",
            None,
            [401, 400, 400, 400, 400, 400],
        ),
        get(
            "/api/v1/user/robots/{robot_shortname}",
            "/api/v1/user/robots/nope",
            [401, 400, 400, 400, 400, 400],
        ),
        write(
            M::PUT,
            "/api/v1/user/robots/{robot_shortname}",
            "/api/v1/user/robots/bot",
            None,
            [401, 201, 201, 201, 201, 201],
        ),
        write(
            M::DELETE,
            "/api/v1/user/robots/{robot_shortname}",
            "/api/v1/user/robots/nope",
            None,
            [401, 400, 400, 400, 400, 400],
        ),
        get(
            "/api/v1/organization/{orgname}/robots",
            "/api/v1/organization/buynlarge/robots",
            [401, 200, 403, 200, 200, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/robots/{robot_shortname}/permissions",
            "/api/v1/organization/buynlarge/robots/nope/permissions",
            [401, 400, 403, 403, 400, 403],
        ),
        write(
            M::POST,
            "/api/v1/organization/{orgname}/robots/{robot_shortname}/regenerate",
            "/api/v1/organization/buynlarge/robots/nope/regenerate",
            None,
            [401, 400, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/robots/{robot_shortname}",
            "/api/v1/organization/buynlarge/robots/nope",
            [401, 400, 403, 403, 400, 403],
        ),
        write(
            M::PUT,
            "/api/v1/organization/{orgname}/robots/{robot_shortname}",
            "/api/v1/organization/buynlarge/robots/bot",
            None,
            [401, 201, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/organization/{orgname}/robots/{robot_shortname}",
            "/api/v1/organization/buynlarge/robots/nope",
            None,
            [401, 400, 403, 403, 403, 403],
        ),
        write(
            M::POST,
            "/api/v1/organization/{orgname}/applications/{client_id}/resetclientsecret",
            "/api/v1/organization/buynlarge/applications/nope/resetclientsecret",
            None,
            [401, 404, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/applications/{client_id}",
            "/api/v1/organization/buynlarge/applications/nope",
            [401, 404, 403, 403, 404, 403],
        ),
        write(
            M::PUT,
            "/api/v1/organization/{orgname}/applications/{client_id}",
            "/api/v1/organization/buynlarge/applications/nope",
            Some(r#"{"name": "x", "redirect_uri": "http://x", "application_uri": "http://x"}"#),
            [401, 404, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/organization/{orgname}/applications/{client_id}",
            "/api/v1/organization/buynlarge/applications/nope",
            None,
            [401, 404, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/applications",
            "/api/v1/organization/buynlarge/applications",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::POST,
            "/api/v1/organization/{orgname}/applications",
            "/api/v1/organization/buynlarge/applications",
            Some(r#"{"name": "app"}"#),
            [401, 200, 403, 403, 403, 403],
        ),
        get("/api/v1/app/{client_id}", "/api/v1/app/nope", [404; 6]),
        get(
            "/api/v1/user/authorizations",
            "/api/v1/user/authorizations",
            [401, 200, 200, 200, 200, 200],
        ),
        get(
            "/api/v1/user/authorizations/{access_token_uuid}",
            "/api/v1/user/authorizations/nope",
            [401, 404, 404, 404, 404, 404],
        ),
        write(
            M::DELETE,
            "/api/v1/user/authorizations/{access_token_uuid}",
            "/api/v1/user/authorizations/nope",
            None,
            [401, 404, 404, 404, 404, 404],
        ),
        get(
            "/api/v1/superuser/organizations/",
            "/api/v1/superuser/organizations/",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::PUT,
            "/api/v1/superuser/organizations/{name}",
            "/api/v1/superuser/organizations/sellnsmall",
            Some(r#"{"name": "sellnsmall2"}"#),
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/superuser/organizations/{name}",
            "/api/v1/superuser/organizations/sellnsmall",
            None,
            [401, 204, 403, 403, 403, 403],
        ),
        write(
            M::POST,
            "/api/v1/superuser/takeownership/{namespace}",
            "/api/v1/superuser/takeownership/neworg",
            None,
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::POST,
            "/api/v1/user/clientkey",
            "/api/v1/user/clientkey",
            Some(r#"{"password": "password"}"#),
            [401, 200, 200, 200, 200, 200],
        ),
        write(
            M::POST,
            "/api/v1/user/convert",
            "/api/v1/user/convert",
            Some(r#"{"adminUser": "devtable", "adminPassword": "password"}"#),
            [401, 400, 200, 200, 200, 200],
        ),
        // Search answers everyone, with what each may see (quay-http's tests/http/search.rs).
        get(
            "/api/v1/find/repositories",
            "/api/v1/find/repositories?query=repo",
            [200; 6],
        ),
        get("/api/v1/find/all", "/api/v1/find/all?query=buy", [200; 6]),
        get(
            "/api/v1/entities/{prefix}",
            "/api/v1/entities/dev?namespace=buynlarge&includeTeams=true",
            [200; 6],
        ),
        get(
            "/api/v1/user/starred",
            "/api/v1/user/starred",
            [401, 200, 200, 200, 200, 200],
        ),
        write(
            M::POST,
            "/api/v1/user/starred",
            "/api/v1/user/starred",
            Some(r#"{"namespace": "public", "repository": "publicrepo"}"#),
            [401, 201, 201, 201, 201, 201],
        ),
        write(
            M::DELETE,
            "/api/v1/user/starred/{repository}",
            "/api/v1/user/starred/public/publicrepo",
            None,
            [401, 204, 204, 204, 204, 204],
        ),
        get(
            "/api/v1/user/logs",
            "/api/v1/user/logs",
            [401, 200, 200, 200, 200, 200],
        ),
        get(
            "/api/v1/user/aggregatelogs",
            "/api/v1/user/aggregatelogs",
            [401, 200, 200, 200, 200, 200],
        ),
        get(
            "/api/v1/organization/{orgname}/logs",
            "/api/v1/organization/buynlarge/logs",
            [401, 200, 403, 403, 200, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/aggregatelogs",
            "/api/v1/organization/buynlarge/aggregatelogs",
            [401, 200, 403, 403, 200, 403],
        ),
        get(
            "/api/v1/repository/{repository}/logs",
            "/api/v1/repository/devtable/simple/logs",
            [401, 200, 403, 403, 200, 403],
        ),
        get(
            "/api/v1/repository/{repository}/aggregatelogs",
            "/api/v1/repository/devtable/simple/aggregatelogs",
            [401, 200, 403, 403, 200, 403],
        ),
        get(
            "/api/v1/superuser/logs",
            "/api/v1/superuser/logs",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::POST,
            "/api/v1/user/exportlogs",
            "/api/v1/user/exportlogs",
            Some("{}"),
            [401, 200, 200, 200, 200, 200],
        ),
        write(
            M::POST,
            "/api/v1/organization/{orgname}/exportlogs",
            "/api/v1/organization/buynlarge/exportlogs",
            Some("{}"),
            [401, 200, 403, 403, 403, 403],
        ),
        write(
            M::POST,
            "/api/v1/repository/{repository}/exportlogs",
            "/api/v1/repository/devtable/simple/exportlogs",
            Some("{}"),
            [401, 200, 403, 403, 403, 403],
        ),
        // Quay's `SuperUserAggregateLogs` checks `SuperUserPermission` alone.
        get(
            "/api/v1/superuser/aggregatelogs",
            "/api/v1/superuser/aggregatelogs",
            [401, 200, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/autoprunepolicy/",
            "/api/v1/organization/buynlarge/autoprunepolicy/",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::POST,
            "/api/v1/organization/{orgname}/autoprunepolicy/",
            "/api/v1/organization/sellnsmall/autoprunepolicy/",
            Some(r#"{"method": "number_of_tags", "value": 5}"#),
            [401, 201, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/organization/{orgname}/autoprunepolicy/{policy_uuid}",
            "/api/v1/organization/buynlarge/autoprunepolicy/someuuid",
            [401, 404, 403, 403, 404, 403],
        ),
        write(
            M::PUT,
            "/api/v1/organization/{orgname}/autoprunepolicy/{policy_uuid}",
            "/api/v1/organization/buynlarge/autoprunepolicy/someuuid",
            Some(r#"{"method": "number_of_tags", "value": 5}"#),
            [401, 404, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/organization/{orgname}/autoprunepolicy/{policy_uuid}",
            "/api/v1/organization/buynlarge/autoprunepolicy/someuuid",
            None,
            [401, 404, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/repository/{repository}/notification/",
            "/api/v1/repository/devtable/simple/notification/",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::POST,
            "/api/v1/repository/{repository}/notification/",
            "/api/v1/repository/devtable/simple/notification/",
            Some(
                r#"{"event": "repo_push", "method": "webhook", "config": {"url": "https://example.com/hook"}, "eventConfig": {}}"#,
            ),
            [401, 201, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/repository/{repository}/notification/{uuid}",
            "/api/v1/repository/devtable/simple/notification/someuuid",
            [401, 404, 403, 403, 404, 403],
        ),
        // Quay answers a missing notification with 400 on changes.
        write(
            M::POST,
            "/api/v1/repository/{repository}/notification/{uuid}",
            "/api/v1/repository/devtable/simple/notification/someuuid",
            Some("{}"),
            [401, 400, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/repository/{repository}/notification/{uuid}",
            "/api/v1/repository/devtable/simple/notification/someuuid",
            None,
            [401, 400, 403, 403, 403, 403],
        ),
        write(
            M::POST,
            "/api/v1/repository/{repository}/notification/{uuid}/test",
            "/api/v1/repository/devtable/simple/notification/someuuid/test",
            Some("{}"),
            [401, 400, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/repository/{repository}/autoprunepolicy/",
            "/api/v1/repository/devtable/simple/autoprunepolicy/",
            [401, 200, 403, 403, 200, 403],
        ),
        write(
            M::POST,
            "/api/v1/repository/{repository}/autoprunepolicy/",
            "/api/v1/repository/devtable/shared/autoprunepolicy/",
            Some(r#"{"method": "creation_date", "value": "2w"}"#),
            [401, 201, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}",
            "/api/v1/repository/devtable/simple/autoprunepolicy/someuuid",
            [401, 404, 403, 403, 404, 403],
        ),
        write(
            M::PUT,
            "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}",
            "/api/v1/repository/devtable/simple/autoprunepolicy/someuuid",
            Some(r#"{"method": "creation_date", "value": "2w"}"#),
            [401, 404, 403, 403, 403, 403],
        ),
        write(
            M::DELETE,
            "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}",
            "/api/v1/repository/devtable/simple/autoprunepolicy/someuuid",
            None,
            [401, 404, 403, 403, 403, 403],
        ),
        get(
            "/api/v1/user/autoprunepolicy/",
            "/api/v1/user/autoprunepolicy/",
            [401, 200, 200, 200, 200, 200],
        ),
        // devtable has its namespace's one policy already.
        write(
            M::POST,
            "/api/v1/user/autoprunepolicy/",
            "/api/v1/user/autoprunepolicy/",
            Some(r#"{"method": "number_of_tags", "value": 5}"#),
            [401, 400, 201, 201, 201, 201],
        ),
        get(
            "/api/v1/user/autoprunepolicy/{policy_uuid}",
            "/api/v1/user/autoprunepolicy/someuuid",
            [401, 404, 404, 404, 404, 404],
        ),
        write(
            M::PUT,
            "/api/v1/user/autoprunepolicy/{policy_uuid}",
            "/api/v1/user/autoprunepolicy/someuuid",
            Some(r#"{"method": "number_of_tags", "value": 5}"#),
            [401, 404, 404, 404, 404, 404],
        ),
        write(
            M::DELETE,
            "/api/v1/user/autoprunepolicy/{policy_uuid}",
            "/api/v1/user/autoprunepolicy/someuuid",
            None,
            [401, 404, 404, 404, 404, 404],
        ),
    ]
}

fn config() -> Config {
    Config::load(Some(CONFIG), std::iter::empty()).expect("fixture config")
}

/// A fresh `quay-test` database, its application state and a token per identity.
async fn fixture(hash: &str) -> (TestDatabase, Data<AppState>, Vec<Option<String>>) {
    let t = TestDatabase::new().await;
    let state = Data::new(AppState::new(
        config(),
        t.db.clone(),
        b"fixture-secret",
        None,
    ));
    let text = quay_fixtures::data("quay-test").expect("the quay-test set");
    quay_fixtures::load_with_password_hash(&state, text, hash)
        .await
        .expect("load fixtures");
    let mut tokens = Vec::new();
    for identity in IDENTITIES {
        tokens.push(match identity {
            None => None,
            Some(name) => {
                let id = quay_persistence::testing::namespace_id(&t.db, name).await;
                Some(seed_token(&t.db, id, SCOPES, 3600).await)
            }
        });
    }
    (t, state, tokens)
}

async fn status(
    state: &Data<AppState>,
    row: &Row,
    identity: Option<&str>,
    token: Option<&str>,
) -> u16 {
    let who = identity.unwrap_or("anonymous");
    let service = test::init_service(app(state.clone())).await;
    let mut req = TestRequest::default()
        .method(row.method.clone())
        .uri(&row.path.replace("{user}", who));
    if let Some(token) = token {
        req = req.insert_header(("Authorization", format!("Bearer {token}")));
    }
    if let Some(body) = row.body {
        req = req
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.replace("{user}", who));
    }
    test::call_service(&service, req.to_request())
        .await
        .status()
        .as_u16()
}

#[actix_web::test]
async fn every_endpoint_answers_each_identity_as_quay_orders_it() {
    let hash = quay_auth::secret::hash_password(quay_fixtures::PASSWORD).unwrap();
    let rows = rows();

    // Every registered endpoint has at least one row.
    let missing: Vec<String> = endpoints(&config())
        .iter()
        .filter(|e| {
            !rows
                .iter()
                .any(|r| r.method == e.method && r.template == e.path)
        })
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(missing.is_empty(), "endpoints without a row: {missing:#?}");

    let mut failures = Vec::new();
    let (_shared_db, shared, shared_tokens) = fixture(&hash).await;
    for row in &rows {
        for (i, identity) in IDENTITIES.iter().enumerate() {
            // A refused call changes nothing, so only expected successes of writes need
            // a database of their own.
            let got = if row.writes && (200..300).contains(&row.expect[i]) {
                let (_db, state, tokens) = fixture(&hash).await;
                status(&state, row, *identity, tokens[i].as_deref()).await
            } else {
                status(&shared, row, *identity, shared_tokens[i].as_deref()).await
            };
            if got != row.expect[i] {
                failures.push(format!(
                    "{} {} as {}: expected {}, got {got}",
                    row.method,
                    row.path,
                    identity.unwrap_or("anonymous"),
                    row.expect[i]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[actix_web::test]
async fn search_reveals_only_readable_repositories() {
    let hash = quay_auth::secret::hash_password(quay_fixtures::PASSWORD).unwrap();
    let (_db, state, tokens) = fixture(&hash).await;
    let expected: [&[&str]; 6] = [
        &["public/publicrepo"],
        &[
            "buynlarge/orgrepo",
            "devtable/shared",
            "devtable/simple",
            "public/publicrepo",
            "testorgforautoprune/autoprunerepo",
        ],
        &["public/publicrepo"],
        &["buynlarge/orgrepo", "devtable/shared", "public/publicrepo"],
        // Search goes by grants, as Quay's: reading everything is not being granted it.
        &["public/publicrepo"],
        &["public/publicrepo"],
    ];
    let service = test::init_service(app(state.clone())).await;
    for (i, identity) in IDENTITIES.iter().enumerate() {
        let mut req = TestRequest::get().uri("/api/v1/find/repositories?query=");
        if let Some(token) = &tokens[i] {
            req = req.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let body: serde_json::Value =
            test::call_and_read_body_json(&service, req.to_request()).await;
        let mut found: Vec<String> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{}/{}",
                    r["namespace"]["name"].as_str().unwrap(),
                    r["name"].as_str().unwrap()
                )
            })
            .collect();
        found.sort();
        assert_eq!(found, expected[i], "{}", identity.unwrap_or("anonymous"));
    }
}
