//! `endpoints/api/permission.py`: repository permissions of users, robots and teams.

use actix_web::web::{Bytes, Data, Path};
use actix_web::HttpResponse;
use quay_core::avatar::{avatar, AvatarKind};
use quay_core::role::Role;
use quay_repos::permissions::{TeamPermission, UserPermission};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::ApiResult;
use crate::extract::{json_body, Caller};
use crate::handlers::repository::repository_name;
use crate::handlers::team::team_avatar;
use crate::{schemas, AppState};

/// Quay's `UserPermission.to_dict`.
fn user_view(p: &UserPermission) -> Value {
    let kind = if p.account.robot {
        AvatarKind::Robot
    } else {
        AvatarKind::User
    };
    let mut view = json!({
        "role": p.role.as_str(),
        "name": p.account.name,
        "is_robot": p.account.robot,
        "avatar": avatar(&p.account.name, p.account.email.as_deref(), kind),
    });
    if let Some(member) = p.is_org_member {
        view["is_org_member"] = json!(member);
    }
    view
}

fn team_view(p: &TeamPermission) -> Value {
    json!({"role": p.role.as_str(), "name": p.team, "avatar": team_avatar(&p.team)})
}

#[derive(Deserialize)]
struct RoleBody {
    role: String,
}

/// The role of a `UserPermission`/`TeamPermission` body (the schema's enum is checked).
fn role_body(body: &Bytes, schema: &Value) -> ApiResult<Role> {
    let req: RoleBody = json_body(body, schema)?;
    Ok(Role::parse(&req.role).unwrap_or(Role::Read))
}

pub async fn list_repo_user_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let repo = repository_name(&path)?;
    let perms = state
        .permissions
        .list_user_permissions(&caller, &repo)
        .await?;
    let map: Map<String, Value> = perms
        .iter()
        .map(|p| (p.account.name.clone(), user_view(p)))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "permissions": map })))
}

pub async fn get_user_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (repo, user) = path.into_inner();
    let repo = repository_name(&repo)?;
    let perm = state
        .permissions
        .get_user_permission(&caller, &repo, &user)
        .await?;
    Ok(HttpResponse::Ok().json(user_view(&perm)))
}

pub async fn get_user_transitive_permission(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (repo, user) = path.into_inner();
    let repo = repository_name(&repo)?;
    let roles = state
        .permissions
        .user_transitive_roles(&caller, &repo, &user)
        .await?;
    let roles: Vec<Value> = roles
        .into_iter()
        .map(|r| json!({"role": r.as_str()}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "permissions": roles })))
}

pub async fn change_user_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (repo, user) = path.into_inner();
    let repo = repository_name(&repo)?;
    let role = role_body(&body, &schemas::user_permission())?;
    let perm = state
        .permissions
        .set_user_permission(&caller, &repo, &user, role)
        .await?;
    Ok(HttpResponse::Ok().json(user_view(&perm)))
}

pub async fn delete_user_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (repo, user) = path.into_inner();
    let repo = repository_name(&repo)?;
    state
        .permissions
        .delete_user_permission(&caller, &repo, &user)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn list_repo_team_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let repo = repository_name(&path)?;
    let perms = state
        .permissions
        .list_team_permissions(&caller, &repo)
        .await?;
    let map: Map<String, Value> = perms
        .iter()
        .map(|p| (p.team.clone(), team_view(p)))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "permissions": map })))
}

pub async fn get_team_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (repo, team) = path.into_inner();
    let repo = repository_name(&repo)?;
    let perm = state
        .permissions
        .get_team_permission(&caller, &repo, &team)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"role": perm.role.as_str()})))
}

pub async fn change_team_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (repo, team) = path.into_inner();
    let repo = repository_name(&repo)?;
    let role = role_body(&body, &schemas::team_permission())?;
    let perm = state
        .permissions
        .set_team_permission(&caller, &repo, &team, role)
        .await?;
    Ok(HttpResponse::Ok().json(team_view(&perm)))
}

pub async fn delete_team_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (repo, team) = path.into_inner();
    let repo = repository_name(&repo)?;
    state
        .permissions
        .delete_team_permission(&caller, &repo, &team)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
