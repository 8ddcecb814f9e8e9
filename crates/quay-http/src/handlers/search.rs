//! `endpoints/api/search.py`: repository search, search across kinds, entity lookup.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use quay_core::avatar::{avatar, AvatarKind};
use quay_core::role::RepositoryKind;
use quay_search::{Hit, NamespaceHit, RepositoryHit, TeamHit, UserHit};
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{Caller, QueryArgs};
use crate::handlers::team::team_avatar;
use crate::AppState;

/// Quay's `search_entity_view` of a user or organization.
fn namespace_view(ns: &NamespaceHit) -> Value {
    if ns.organization {
        json!({
            "title": "org",
            "kind": "organization",
            "avatar": avatar(&ns.name, ns.email.as_deref(), AvatarKind::Org),
            "name": ns.name,
            "score": 1,
            "href": format!("/organization/{}", ns.name),
        })
    } else {
        json!({
            "title": "user",
            "kind": "user",
            "avatar": avatar(&ns.name, ns.email.as_deref(), AvatarKind::User),
            "name": ns.name,
            "score": 1,
            "href": format!("/user/{}", ns.name),
        })
    }
}

/// Quay's `search_entity_view` of a robot (with its short name).
fn robot_view(name: &str, caller: Option<&str>) -> Value {
    let (owner, short) = name.split_once('+').unwrap_or((name, ""));
    let href = if Some(owner) == caller {
        format!("/user/{owner}?tab=robots&showRobot={name}")
    } else {
        format!("/organization/{owner}?tab=robots&showRobot={name}")
    };
    json!({
        "title": "robot",
        "kind": "robot",
        "avatar": null,
        "name": name,
        "score": 1,
        "href": href,
        "short_name": short,
    })
}

fn team_view(team: &TeamHit) -> Value {
    json!({
        "kind": "team",
        "name": team.name,
        "organization": namespace_view(&team.organization),
        "avatar": team_avatar(&team.name),
        "score": 2,
        "href": format!("/organization/{}/teams/{}", team.organization.name, team.name),
    })
}

/// Quay's `repo_result_view`.
fn repository_view(r: &RepositoryHit, include_usage: bool) -> Value {
    let (kind, title) = match r.kind {
        RepositoryKind::Application => ("application", "app"),
        _ => ("repository", "repo"),
    };
    let mut view = json!({
        "kind": kind,
        "title": title,
        "namespace": namespace_view(&r.namespace),
        "name": r.name,
        "description": r.description,
        "is_public": r.public,
        "score": 4,
        "href": format!("/repository/{}/{}", r.namespace.name, r.name),
    });
    if include_usage {
        if let Some(modified) = r.last_modified {
            view["last_modified"] = json!(modified.timestamp());
        }
        view["stars"] = json!(r.stars);
        view["popularity"] = json!(r.popularity as f64);
    }
    view
}

pub async fn conduct_repo_search(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    let q = QueryArgs::parse(&req);
    let query = q.string("query").unwrap_or("").to_string();
    let page = q.integer("page", "The page.")?.unwrap_or(1);
    let include_usage = q.flag("includeUsage", false);
    let found = state.search.repositories(&caller, &query, page).await?;
    let results: Vec<Value> = found
        .results
        .iter()
        .map(|r| repository_view(r, include_usage))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "results": results,
        "has_additional": found.has_additional,
        "page": found.page,
        "page_size": found.page_size,
        "start_index": found.start_index,
    })))
}

pub async fn conduct_search(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    let q = QueryArgs::parse(&req);
    let query = q.string("query").unwrap_or("").to_string();
    let hits = state.search.all(&caller, &query).await?;
    let username = caller.principal.as_ref().map(|p| p.username.as_str());
    let results: Vec<Value> = hits
        .iter()
        .map(|(hit, score)| {
            let mut view = match hit {
                Hit::Repository(r) => repository_view(r, false),
                Hit::Namespace(ns) => namespace_view(ns),
                Hit::Team(t) => team_view(t),
                Hit::Robot(name) => robot_view(name, username),
            };
            view["score"] = json!(score);
            view
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "results": results })))
}

fn user_entity(u: &UserHit) -> Value {
    let kind = if u.robot {
        AvatarKind::Robot
    } else {
        AvatarKind::User
    };
    let mut view = json!({
        "name": u.name,
        "kind": "user",
        "is_robot": u.robot,
        "avatar": avatar(&u.name, u.email.as_deref(), kind),
    });
    if let Some(member) = u.org_member {
        view["is_org_member"] = json!(member);
    }
    view
}

pub async fn get_matching_entities(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
    prefix: Path<String>,
) -> ApiResult {
    let q = QueryArgs::parse(&req);
    let namespace = q.string("namespace").map(str::to_string);
    let found = state
        .search
        .entities(
            &caller,
            &prefix,
            namespace.as_deref(),
            q.flag("includeTeams", false),
            q.flag("includeOrgs", false),
        )
        .await?;
    let mut results: Vec<Value> = found
        .teams
        .iter()
        .map(
            |t| json!({"name": t, "kind": "team", "is_org_member": true, "avatar": team_avatar(t)}),
        )
        .collect();
    results.extend(found.users.iter().map(user_entity));
    if let Some(org) = &found.organization {
        results.push(json!({
            "name": org.name,
            "kind": "org",
            "is_org_member": true,
            "avatar": avatar(&org.name, org.email.as_deref(), AvatarKind::Org),
        }));
    }
    Ok(HttpResponse::Ok().json(json!({ "results": results })))
}
