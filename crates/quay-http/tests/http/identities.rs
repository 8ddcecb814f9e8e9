//! Every registered `/api/v1` endpoint, per identity: anonymous callers get 401 and a
//! token that lacks the endpoint's scope gets 403, in Quay's order (before the body is
//! looked at, and whether or not the named thing exists). The table of endpoints is the
//! route table itself, so a new endpoint is covered the day it is registered.

use crate::common::*;
use actix_web::http::StatusCode;
use quay_core::config::Config;
use quay_core::scope::Scope;
use serde_json::json;

/// Endpoints anonymous callers may use (Quay's `@anon_allowed` or public reads).
const ANONYMOUS_OK: &[&str] = &[
    "discovery",
    "getUserInformation",
    "getOrganization",
    "getApplicationInformation",
    "listRepos",
    "signinUser",
    "createNewUser",
    "logout",
    // Global messages are for everyone (messages.rs).
    "getGlobalMessages",
    // Search answers everyone with what they may see (search.rs).
    "getMatchingEntities",
    "conductSearch",
    "conductRepoSearch",
];

/// A concrete URL for a route-table path, naming things that exist (`existing`) or not.
fn concrete(path: &str, existing: bool) -> String {
    let fill = |name: &str| -> &'static str {
        match (name, existing) {
            ("repository", true) => "acme/web",
            ("repository", false) => "acme/nosuchrepo",
            ("orgname", true) => "acme",
            ("robot_shortname", true) => "bot",
            ("username", true) => "admin",
            ("name", true) => "acme",
            ("namespace", true) => "acme",
            // `manifestref` routes match digests only.
            ("manifestref", true) => {
                "sha256:0000000000000000000000000000000000000000000000000000000000000000"
            }
            ("manifestref", false) => {
                "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
            }
            (_, true) => "x0",
            (_, false) => "nosuchthing",
        }
    };
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(fill(&rest[start + 1..end]));
        rest = &rest[end + 1..];
    }
    out + rest
}

#[actix_web::test]
async fn anonymous_401_and_missing_scope_403_on_every_endpoint() {
    let config = Config {
        super_users: vec!["admin".into()],
        feature_anonymous_access: true,
        feature_auto_prune: true,
        ..Config::default()
    };
    let h = Harness::with_config(config.clone()).await;
    let admin = h.initialize("admin").await;
    let r = h
        .post(
            "/api/v1/organization/",
            Some(&admin),
            json!({"name": "acme", "email": "acme@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    h.post(
        "/api/v1/repository",
        Some(&admin),
        json!({"namespace": "acme", "repository": "web", "visibility": "private", "description": ""}),
    )
    .await;
    h.put(
        "/api/v1/organization/acme/robots/bot",
        Some(&admin),
        json!({}),
    )
    .await;
    let admin_id = h.namespace_id("admin").await;

    let mut checked = 0;
    let mut failures = Vec::new();
    for e in quay_http::routes::endpoints(&config) {
        if ANONYMOUS_OK.contains(&e.nickname) {
            continue;
        }
        // A body that is not even an object: authorization must come first.
        let body = Some("[]");
        for existing in [true, false] {
            let path = concrete(e.path, existing);
            let r = h.call(e.method.clone(), &path, None, body).await;
            if r.status != StatusCode::UNAUTHORIZED {
                failures.push(format!(
                    "anonymous {} {path} ({}): {} {}",
                    e.method, e.nickname, r.status, r.body
                ));
            }
        }
        // The administrator, with a token lacking the endpoint's scope.
        let Some(scope) = e.scope else { continue };
        let other = if scope == Scope::UserRead {
            "repo:read"
        } else {
            "user:read"
        };
        let token = h.token(admin_id, other).await;
        for existing in [true, false] {
            let path = concrete(e.path, existing);
            let r = h.call(e.method.clone(), &path, Some(&token), body).await;
            // Quay's getLoggedInUser answers a token without `user:read` with
            // `InvalidToken` (401), not `Unauthorized`.
            let expected = if e.nickname == "getLoggedInUser" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::FORBIDDEN
            };
            if r.status != expected {
                failures.push(format!(
                    "{other} token on {} {path} ({}): {} {}",
                    e.method, e.nickname, r.status, r.body
                ));
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 40, "only {checked} endpoints checked");
}
