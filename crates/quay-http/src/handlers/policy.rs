//! `endpoints/api/policy.py`: auto-prune policies of organizations, of the caller's own
//! namespace and of repositories.

use actix_web::web::{Bytes, Data, Path};
use actix_web::HttpResponse;
use quay_repos::autoprune::{Policy, PolicyInput, PolicyTarget};
use serde_json::{json, Map, Value};

use crate::error::ApiResult;
use crate::extract::{json_body, Caller};
use crate::handlers::repository::repository_name;
use crate::{schemas, AppState};

/// Quay's `get_view`; `tagPattern`/`tagPatternMatches` as later Quay versions show them.
fn policy_view(p: &Policy) -> Value {
    json!({
        "uuid": p.uuid,
        "method": p.config.method.name(),
        "value": p.config.method.value(),
        "tagPattern": p.config.tag_pattern,
        "tagPatternMatches": p.config.tag_pattern_matches,
    })
}

fn policy_input(body: &Bytes, schema: fn() -> Value) -> ApiResult<PolicyInput> {
    let mut body: Map<String, Value> = json_body(body, &schema())?;
    Ok(PolicyInput {
        method: body.remove("method").unwrap_or(Value::Null),
        value: body.remove("value").unwrap_or(Value::Null),
        tag_pattern: body.remove("tagPattern"),
        tag_pattern_matches: body.remove("tagPatternMatches"),
    })
}

async fn list(state: &AppState, caller: &quay_core::Caller, target: PolicyTarget) -> ApiResult {
    let policies = state.autoprune.list_policies(caller, &target).await?;
    let views: Vec<Value> = policies.iter().map(policy_view).collect();
    Ok(HttpResponse::Ok().json(json!({"policies": views})))
}

async fn get(
    state: &AppState,
    caller: &quay_core::Caller,
    target: PolicyTarget,
    uuid: &str,
) -> ApiResult {
    let policy = state.autoprune.get_policy(caller, &target, uuid).await?;
    Ok(HttpResponse::Ok().json(policy_view(&policy)))
}

async fn create(
    state: &AppState,
    caller: &quay_core::Caller,
    target: PolicyTarget,
    input: PolicyInput,
) -> ApiResult {
    let uuid = state
        .autoprune
        .create_policy(caller, &target, input)
        .await?;
    Ok(HttpResponse::Created().json(json!({"uuid": uuid})))
}

/// Quay answers `({"uuid": ...}, 204)`: a 204 carries no body.
async fn update(
    state: &AppState,
    caller: &quay_core::Caller,
    target: PolicyTarget,
    uuid: &str,
    input: PolicyInput,
) -> ApiResult {
    state
        .autoprune
        .update_policy(caller, &target, uuid, input)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unlike other deletes, Quay answers 200 with the uuid.
async fn delete(
    state: &AppState,
    caller: &quay_core::Caller,
    target: PolicyTarget,
    uuid: &str,
) -> ApiResult {
    state.autoprune.delete_policy(caller, &target, uuid).await?;
    Ok(HttpResponse::Ok().json(json!({"uuid": uuid})))
}

fn org(name: String) -> PolicyTarget {
    PolicyTarget::Organization(name)
}

fn repo(path: &str) -> ApiResult<PolicyTarget> {
    Ok(PolicyTarget::Repository(repository_name(path)?))
}

pub async fn list_org_policies(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    list(&state, &caller, org(path.into_inner())).await
}

pub async fn create_org_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let input = policy_input(&body, schemas::org_autoprune_policy)?;
    create(&state, &caller, org(path.into_inner()), input).await
}

pub async fn get_org_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (name, uuid) = path.into_inner();
    get(&state, &caller, org(name), &uuid).await
}

pub async fn update_org_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (name, uuid) = path.into_inner();
    let input = policy_input(&body, schemas::org_autoprune_policy)?;
    update(&state, &caller, org(name), &uuid, input).await
}

pub async fn delete_org_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (name, uuid) = path.into_inner();
    delete(&state, &caller, org(name), &uuid).await
}

pub async fn list_user_policies(state: Data<AppState>, Caller(caller): Caller) -> ApiResult {
    list(&state, &caller, PolicyTarget::CurrentUser).await
}

pub async fn create_user_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> ApiResult {
    let input = policy_input(&body, schemas::user_autoprune_policy)?;
    create(&state, &caller, PolicyTarget::CurrentUser, input).await
}

pub async fn get_user_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    get(&state, &caller, PolicyTarget::CurrentUser, &path).await
}

pub async fn update_user_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let input = policy_input(&body, schemas::user_autoprune_policy)?;
    update(&state, &caller, PolicyTarget::CurrentUser, &path, input).await
}

pub async fn delete_user_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    delete(&state, &caller, PolicyTarget::CurrentUser, &path).await
}

pub async fn list_repo_policies(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    list(&state, &caller, repo(&path)?).await
}

pub async fn create_repo_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let target = repo(&path)?;
    let input = policy_input(&body, schemas::repo_autoprune_policy)?;
    create(&state, &caller, target, input).await
}

pub async fn get_repo_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (name, uuid) = path.into_inner();
    get(&state, &caller, repo(&name)?, &uuid).await
}

pub async fn update_repo_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (name, uuid) = path.into_inner();
    let target = repo(&name)?;
    let input = policy_input(&body, schemas::repo_autoprune_policy)?;
    update(&state, &caller, target, &uuid, input).await
}

pub async fn delete_repo_policy(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (name, uuid) = path.into_inner();
    delete(&state, &caller, repo(&name)?, &uuid).await
}
