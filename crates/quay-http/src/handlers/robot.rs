//! `endpoints/api/robot.py`: robots of the calling user and of organizations.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use quay_core::avatar::{avatar, Avatar, AvatarKind};
use quay_core::date::format_rfc2822;
use quay_orgs::robots::{CreateRobot, ListRobots, Robot, RobotRepositoryPermission};
use quay_orgs::RobotOwner;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{optional_json_body, Caller, QueryArgs};
use crate::{schemas, AppState};

pub const LIMIT_HELP: &str = "If specified, the number of robots to return.";

#[derive(Serialize)]
struct TeamRef {
    name: String,
    avatar: Avatar,
}

/// Quay's `Robot.to_dict` / `RobotWithPermissions.to_dict`.
#[derive(Serialize)]
struct RobotView {
    name: String,
    created: String,
    last_accessed: Option<String>,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    teams: Option<Vec<TeamRef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repositories: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unstructured_metadata: Option<Value>,
}

impl RobotView {
    fn new(r: Robot) -> Self {
        RobotView {
            name: r.name,
            created: format_rfc2822(r.created),
            last_accessed: r.last_accessed.map(format_rfc2822),
            description: r.description,
            teams: r.teams.map(|teams| {
                teams
                    .into_iter()
                    .map(|name| TeamRef {
                        avatar: avatar(&name, Some(&name), AvatarKind::Team),
                        name,
                    })
                    .collect()
            }),
            repositories: r.repositories,
            token: r.token,
            unstructured_metadata: r.unstructured_metadata,
        }
    }
}

fn permission_view(p: RobotRepositoryPermission) -> Value {
    json!({
        "repository": {"name": p.repository, "is_public": p.public},
        "role": p.role.as_str(),
    })
}

#[derive(Deserialize)]
struct CreateRobotBody {
    description: Option<String>,
    unstructured_metadata: Option<Value>,
}

fn list_options(req: &HttpRequest) -> Result<ListRobots, crate::error::ApiError> {
    let q = QueryArgs::parse(req);
    Ok(ListRobots {
        permissions: q.flag("permissions", false),
        token: q.flag("token", true),
        // A negative limit means no robots, as SQL's would in Quay.
        limit: q.integer("limit", LIMIT_HELP)?.map(|l| l.max(0) as u64),
    })
}

async fn list(
    state: &AppState,
    caller: &quay_core::Caller,
    owner: RobotOwner<'_>,
    req: &HttpRequest,
) -> ApiResult {
    let robots = state
        .robots
        .list_robots(caller, owner, list_options(req)?)
        .await?;
    let robots: Vec<RobotView> = robots.into_iter().map(RobotView::new).collect();
    Ok(HttpResponse::Ok().json(json!({ "robots": robots })))
}

async fn get(
    state: &AppState,
    caller: &quay_core::Caller,
    owner: RobotOwner<'_>,
    shortname: &str,
) -> ApiResult {
    let robot = state.robots.get_robot(caller, owner, shortname).await?;
    Ok(HttpResponse::Ok().json(RobotView::new(robot)))
}

async fn create(
    state: &AppState,
    caller: &quay_core::Caller,
    owner: RobotOwner<'_>,
    shortname: &str,
    body: &Bytes,
) -> ApiResult {
    let body: Option<CreateRobotBody> = optional_json_body(body, &schemas::create_robot())?;
    let req = body
        .map(|b| CreateRobot {
            description: b.description,
            unstructured_metadata: b.unstructured_metadata,
        })
        .unwrap_or_default();
    let robot = state
        .robots
        .create_robot(caller, owner, shortname, req)
        .await?;
    Ok(HttpResponse::Created().json(RobotView::new(robot)))
}

async fn delete(
    state: &AppState,
    caller: &quay_core::Caller,
    owner: RobotOwner<'_>,
    shortname: &str,
) -> ApiResult {
    state.robots.delete_robot(caller, owner, shortname).await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}

async fn regenerate(
    state: &AppState,
    caller: &quay_core::Caller,
    owner: RobotOwner<'_>,
    shortname: &str,
) -> ApiResult {
    let robot = state
        .robots
        .regenerate_token(caller, owner, shortname)
        .await?;
    Ok(HttpResponse::Ok().json(RobotView::new(robot)))
}

async fn permissions(
    state: &AppState,
    caller: &quay_core::Caller,
    owner: RobotOwner<'_>,
    shortname: &str,
) -> ApiResult {
    let perms = state
        .robots
        .robot_permissions(caller, owner, shortname)
        .await?;
    let perms: Vec<Value> = perms.into_iter().map(permission_view).collect();
    Ok(HttpResponse::Ok().json(json!({ "permissions": perms })))
}

pub async fn get_user_robots(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    list(&state, &caller, RobotOwner::CurrentUser, &req).await
}

pub async fn get_user_robot(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    get(&state, &caller, RobotOwner::CurrentUser, &path).await
}

pub async fn create_user_robot(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    create(&state, &caller, RobotOwner::CurrentUser, &path, &body).await
}

pub async fn delete_user_robot(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    delete(&state, &caller, RobotOwner::CurrentUser, &path).await
}

pub async fn regenerate_user_robot_token(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    regenerate(&state, &caller, RobotOwner::CurrentUser, &path).await
}

pub async fn get_user_robot_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    permissions(&state, &caller, RobotOwner::CurrentUser, &path).await
}

pub async fn get_org_robots(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    req: HttpRequest,
) -> ApiResult {
    list(&state, &caller, RobotOwner::Organization(&path), &req).await
}

pub async fn get_org_robot(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, short) = path.into_inner();
    get(&state, &caller, RobotOwner::Organization(&org), &short).await
}

pub async fn create_org_robot(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (org, short) = path.into_inner();
    create(
        &state,
        &caller,
        RobotOwner::Organization(&org),
        &short,
        &body,
    )
    .await
}

pub async fn delete_org_robot(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, short) = path.into_inner();
    delete(&state, &caller, RobotOwner::Organization(&org), &short).await
}

pub async fn regenerate_org_robot_token(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, short) = path.into_inner();
    regenerate(&state, &caller, RobotOwner::Organization(&org), &short).await
}

pub async fn get_org_robot_permissions(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, short) = path.into_inner();
    permissions(&state, &caller, RobotOwner::Organization(&org), &short).await
}
