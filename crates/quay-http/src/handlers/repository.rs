//! `endpoints/api/repository.py`: create, list, get, update, delete, change visibility.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDate, Utc};
use quay_core::names::RepositoryName;
use quay_core::role::{RepositoryKind, Visibility};
use quay_repos::{CreateRepository, ListRepositories, STATS_DAYS};
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::extract::{json_body, Caller, QueryArgs};
use crate::routes::through_subresource;
use crate::views::{
    DailyCount, ListOptions, RepositoryList, RepositoryListItemView, RepositoryView,
};
use crate::{schemas, AppState};

/// The `{repository}` path segment as a repository name; a path through a repository
/// sub-resource we do not serve is an unknown route.
pub(crate) fn repository_name(path: &str) -> ApiResult<RepositoryName> {
    if through_subresource(path) {
        return Err(crate::unknown_route());
    }
    RepositoryName::parse_path(path, None).ok_or_else(crate::unknown_route)
}

#[derive(Deserialize)]
struct NewRepo {
    repository: String,
    visibility: String,
    namespace: Option<String>,
    description: String,
    repo_kind: Option<String>,
}

pub async fn create_repo(state: Data<AppState>, Caller(caller): Caller, body: Bytes) -> ApiResult {
    let req: NewRepo = json_body(&body, &schemas::new_repo())?;
    let create = CreateRepository {
        namespace: req.namespace,
        name: req.repository,
        // Both are enums in the schema, so these parse.
        visibility: Visibility::parse(&req.visibility).unwrap_or(Visibility::Private),
        description: req.description,
        kind: req
            .repo_kind
            .as_deref()
            .and_then(RepositoryKind::parse)
            .unwrap_or(RepositoryKind::Image),
    };
    let repo = state.repos.create_repository(&caller, create).await?;
    Ok(HttpResponse::Created().json(json!({
        "namespace": repo.namespace,
        "name": repo.name,
        "kind": repo.kind.as_str(),
    })))
}

/// The position a `next_page` token of the repository list carries.
#[derive(serde::Serialize, Deserialize)]
struct RepoPagePosition {
    after_id: i64,
}

pub async fn list_repos(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    let q = QueryArgs::parse(&req);
    let kind_name = q.string("repo_kind").unwrap_or("image").to_string();
    let kind = RepositoryKind::parse(&kind_name)
        .ok_or_else(|| ApiError::invalid_request("Unknown repository kind"))?;
    let now = Utc::now().timestamp();
    let after_id = q
        .string("next_page")
        .and_then(|t| state.page_tokens.decode::<RepoPagePosition>(t, now))
        .map(|p| p.after_id);
    let list = ListRepositories {
        namespace: q
            .string("namespace")
            .filter(|n| !n.is_empty())
            .map(String::from),
        public: q.flag("public", false),
        starred: q.flag("starred", false),
        kind,
        after_id,
    };
    let page = state.repos.list_repositories(&caller, list).await?;
    let options = ListOptions {
        kind: &kind_name,
        last_modified: q.flag("last_modified", false),
        popularity: q.flag("popularity", false),
        authenticated: caller.is_authenticated(),
    };
    let next_page = page.next_after_id.map(|after_id| {
        state
            .page_tokens
            .encode(&RepoPagePosition { after_id }, now)
    });
    Ok(HttpResponse::Ok().json(RepositoryList {
        repositories: page
            .items
            .into_iter()
            .map(|i| RepositoryListItemView::new(i, &options))
            .collect(),
        next_page,
    }))
}

/// Quay's `stats`: the recorded days first, then a zero for each other day of the last
/// three months, newest first.
fn stats(counts: Vec<(NaiveDate, i64)>) -> Vec<DailyCount> {
    let today = Utc::now().date_naive();
    let mut out: Vec<DailyCount> = counts
        .iter()
        .map(|(date, count)| DailyCount {
            date: date.to_string(),
            count: *count,
        })
        .collect();
    for day in 1..STATS_DAYS {
        let date = today - Duration::days(day);
        if !counts.iter().any(|(d, _)| *d == date) {
            out.push(DailyCount {
                date: date.to_string(),
                count: 0,
            });
        }
    }
    out
}

pub async fn get_repo(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    req: HttpRequest,
) -> ApiResult {
    let name = repository_name(&path)?;
    let q = QueryArgs::parse(&req);
    let include_stats = q.flag("includeStats", false);
    let mut details = state
        .repos
        .get_repository(&caller, &name, include_stats)
        .await?;
    let stats = details.action_counts.take().map(stats);
    Ok(HttpResponse::Ok().json(RepositoryView::new(
        details,
        q.flag("includeTags", true),
        stats,
    )))
}

#[derive(Deserialize)]
struct RepoUpdate {
    description: String,
}

pub async fn update_repo(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let name = repository_name(&path)?;
    let req: RepoUpdate = json_body(&body, &schemas::repo_update())?;
    state
        .repos
        .set_description(&caller, &name, req.description)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}

pub async fn delete_repo(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let name = repository_name(&path)?;
    state.repos.delete_repository(&caller, &name).await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}

#[derive(Deserialize)]
struct ChangeVisibility {
    visibility: String,
}

pub async fn change_visibility(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let name = repository_name(&path)?;
    let req: ChangeVisibility = json_body(&body, &schemas::change_visibility())?;
    let visibility = Visibility::parse(&req.visibility).unwrap_or(Visibility::Private);
    state
        .repos
        .set_visibility(&caller, &name, visibility)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}

/// `GET /api/v1/user/starred`.
pub async fn list_starred_repos(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    let now = Utc::now().timestamp();
    let after_id = QueryArgs::parse(&req)
        .string("next_page")
        .and_then(|t| state.page_tokens.decode::<RepoPagePosition>(t, now))
        .map(|p| p.after_id);
    let page = state.repos.list_starred(&caller, after_id).await?;
    let repositories: Vec<serde_json::Value> = page
        .items
        .into_iter()
        .map(|i| {
            let r = i.repository;
            json!({
                "namespace": r.namespace,
                "name": r.name,
                "description": r.description,
                "is_public": r.visibility.is_public(),
                "kind": r.kind.as_str(),
            })
        })
        .collect();
    let mut body = json!({ "repositories": repositories });
    if let Some(after_id) = page.next_after_id {
        body["next_page"] = json!(state
            .page_tokens
            .encode(&RepoPagePosition { after_id }, now));
    }
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
struct NewStar {
    namespace: String,
    repository: String,
}

/// `POST /api/v1/user/starred`.
pub async fn create_star(state: Data<AppState>, Caller(caller): Caller, body: Bytes) -> ApiResult {
    let req: NewStar = json_body(&body, &schemas::new_starred_repository())?;
    let name = repository_name(&format!("{}/{}", req.namespace, req.repository))?;
    state.repos.set_star(&caller, &name, true).await?;
    Ok(HttpResponse::Created()
        .json(json!({"namespace": req.namespace, "repository": req.repository})))
}

/// `DELETE /api/v1/user/starred/{repository}`.
pub async fn delete_star(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let name = repository_name(&path)?;
    state.repos.set_star(&caller, &name, false).await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}
