//! Search (`endpoints/api/search.py`): nobody learns the name of a private repository,
//! team or robot they cannot see; paging as Quay's (10 per page, at most 10 pages).

use crate::common::*;
use actix_web::http::StatusCode;
use quay_core::role::Role;
use quay_persistence::testing::seed_repo_permission;
use serde_json::{json, Value};

fn names(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

async fn repo(h: &Harness, token: &str, ns: &str, name: &str, public: bool, description: &str) {
    let r = h
        .post(
            "/api/v1/repository",
            Some(token),
            json!({"namespace": ns, "repository": name, "description": description,
                   "visibility": if public { "public" } else { "private" }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

struct World {
    h: Harness,
    admin: String,
    alice: String,
    bob: String,
}

async fn world() -> World {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    h.post(
        "/api/v1/organization/",
        Some(&admin),
        json!({"name": "acme"}),
    )
    .await;
    repo(&h, &admin, "acme", "webapp", true, "The web frontend").await;
    repo(&h, &admin, "acme", "secretdb", false, "Customer database").await;
    repo(&h, &admin, "admin", "tooling", false, "").await;
    h.put(
        "/api/v1/organization/acme/robots/builder",
        Some(&admin),
        json!({}),
    )
    .await;
    let (_, alice) = h.user("alice", ALL_SCOPES).await;
    let (bob_id, bob) = h.user("bob", ALL_SCOPES).await;
    seed_repo_permission(&h.t.db, "acme", "secretdb", bob_id, Role::Read).await;
    World {
        h,
        admin,
        alice,
        bob,
    }
}

#[actix_web::test]
async fn repository_search_shows_only_readable_repositories() {
    let World {
        h,
        admin,
        alice,
        bob,
    } = world().await;
    let find = |q: &str| format!("/api/v1/find/repositories?query={q}");

    // Names and descriptions match, case-insensitively.
    let r = h.get(&find("FRONTEND"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(names(&r.body), ["webapp"]);
    let hit = &r.body["results"][0];
    assert_eq!(hit["kind"], "repository");
    assert_eq!(hit["title"], "repo");
    assert_eq!(hit["is_public"], true);
    assert_eq!(hit["href"], "/repository/acme/webapp");
    assert_eq!(hit["namespace"]["kind"], "organization");
    assert_eq!(hit["namespace"]["href"], "/organization/acme");
    assert_eq!(r.body["page"], 1);
    assert_eq!(r.body["page_size"], 10);
    assert_eq!(r.body["start_index"], 0);
    assert_eq!(r.body["has_additional"], false);

    // A private repository: only those who may read it.
    for (token, expected) in [
        (None, vec![]),
        (Some(&alice), vec![]),
        (Some(&bob), vec!["secretdb"]),
        (Some(&admin), vec!["secretdb"]),
    ] {
        let r = h.get(&find("database"), token.map(String::as_str)).await;
        assert_eq!(names(&r.body), expected);
    }
    // A token that may not read repositories sees public ones only.
    let bob_id = h.namespace_id("bob").await;
    let narrow = h.token(bob_id, "user:read").await;
    assert!(names(&h.get(&find("database"), Some(&narrow)).await.body).is_empty());
    // `%` and `_` are literal characters, not wildcards.
    assert!(names(&h.get(&find("%25"), None).await.body).is_empty());

    // Usage metadata on request.
    let r = h
        .get(
            "/api/v1/find/repositories?query=webapp&includeUsage=true",
            None,
        )
        .await;
    assert_eq!(r.body["results"][0]["stars"], 0);
    assert_eq!(r.body["results"][0]["popularity"], 0.0);
    assert!(h.get(&find("webapp"), None).await.body["results"][0]
        .get("stars")
        .is_none());
}

#[actix_web::test]
async fn repository_search_pages() {
    let h = Harness::new().await;
    let admin = h.initialize("admin").await;
    for i in 0..12 {
        repo(&h, &admin, "admin", &format!("pkg{i:02}"), true, "").await;
    }
    let page = |n: &str| format!("/api/v1/find/repositories?query=pkg&page={n}");
    let r = h.get(&page("1"), None).await;
    assert_eq!(names(&r.body).len(), 10);
    assert_eq!(r.body["has_additional"], true);
    let r = h.get(&page("2"), None).await;
    assert_eq!(names(&r.body).len(), 2);
    assert_eq!(r.body["has_additional"], false);
    assert_eq!(r.body["start_index"], 10);
    // Out-of-range pages are clamped, as Quay does.
    assert_eq!(h.get(&page("0"), None).await.body["page"], 1);
    assert_eq!(h.get(&page("99"), None).await.body["page"], 10);
    let r = h.get(&page("x"), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn search_across_kinds_respects_membership() {
    let World {
        h, admin, alice, ..
    } = world().await;
    let all = |q: &str| format!("/api/v1/find/all?query={q}");
    assert_eq!(h.get(&all(""), None).await.body, json!({"results": []}));

    // Anonymous: the organization is known through its public repository.
    let r = h.get(&all("acme"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(names(&r.body), ["acme"]);
    assert_eq!(r.body["results"][0]["kind"], "organization");
    assert_eq!(r.body["results"][0]["score"], 1.0);
    // A user whose only repository is private stays unknown to others.
    assert!(names(&h.get(&all("admin"), Some(&alice)).await.body).is_empty());
    assert_eq!(
        names(&h.get(&all("admin"), Some(&admin)).await.body),
        ["admin"]
    );

    // Teams and robots: only to members and administrators.
    let r = h.get(&all("own"), Some(&admin)).await;
    assert_eq!(names(&r.body), ["owners"]);
    assert_eq!(
        r.body["results"][0]["href"],
        "/organization/acme/teams/owners"
    );
    assert!(names(&h.get(&all("own"), Some(&alice)).await.body).is_empty());
    let r = h.get(&all("build"), Some(&admin)).await;
    assert_eq!(names(&r.body), ["acme+builder"]);
    assert_eq!(r.body["results"][0]["short_name"], "builder");
    assert!(names(&h.get(&all("build"), Some(&alice)).await.body).is_empty());

    // Repositories score highest; results are sorted by score.
    let r = h.get(&all("web"), None).await;
    assert_eq!(names(&r.body), ["webapp"]);
    let scores: Vec<f64> = h.get(&all("a"), Some(&admin)).await.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[actix_web::test]
async fn entities_complete_names_within_what_the_caller_may_see() {
    let World {
        h, admin, alice, ..
    } = world().await;
    let r = h.get("/api/v1/entities/AL", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(names(&r.body), ["alice"]);
    let alice_hit = &r.body["results"][0];
    assert_eq!(alice_hit["kind"], "user");
    assert_eq!(alice_hit["is_robot"], false);
    assert!(alice_hit.get("is_org_member").is_none());

    // Within an organization: its teams, robots and itself, for members only.
    let path = "/api/v1/entities/{p}?namespace=acme&includeTeams=true&includeOrgs=true";
    let r = h.get(&path.replace("{p}", "a"), Some(&admin)).await;
    assert_eq!(names(&r.body), ["admin", "alice", "acme"], "{}", r.body);
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results[0]["is_org_member"], true);
    assert_eq!(results[1]["is_org_member"], false);
    assert_eq!(results[2]["kind"], "org");
    // Robots match by short name, and come first.
    let r = h.get(&path.replace("{p}", "b"), Some(&admin)).await;
    assert_eq!(names(&r.body), ["acme+builder", "bob"], "{}", r.body);
    assert_eq!(r.body["results"][0]["is_robot"], true);
    assert_eq!(r.body["results"][0]["is_org_member"], true);
    assert_eq!(r.body["results"][1]["is_org_member"], false);
    let r = h.get(&path.replace("{p}", "o"), Some(&admin)).await;
    assert_eq!(names(&r.body), ["owners"]);
    assert_eq!(r.body["results"][0]["kind"], "team");
    // An outsider sees users, never the organization's teams, robots or itself.
    let r = h.get(&path.replace("{p}", "a"), Some(&alice)).await;
    assert_eq!(names(&r.body), ["admin", "alice"]);
    assert_eq!(
        names(&h.get(&path.replace("{p}", "b"), Some(&alice)).await.body),
        ["bob"]
    );
    assert!(names(&h.get(&path.replace("{p}", "o"), Some(&alice)).await.body).is_empty());

    // One's own robots, in one's own namespace.
    h.put("/api/v1/user/robots/deploy", Some(&alice), json!({}))
        .await;
    let own = "/api/v1/entities/de?namespace=alice";
    assert_eq!(
        names(&h.get(own, Some(&alice)).await.body),
        ["alice+deploy"]
    );
    assert!(names(&h.get(own, Some(&admin)).await.body).is_empty());
}
