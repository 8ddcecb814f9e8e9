//! `endpoints/api/superuser.py`: the superuser panel's users and organizations.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use quay_core::avatar::{avatar, Avatar, AvatarKind};
use quay_orgs::superuser::{UserChanges, MAX_USERS_PER_PAGE};
use quay_orgs::Namespace;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::{json_body, Caller, QueryArgs};
use crate::{schemas, AppState};

/// Quay's superuser view of a user.
#[derive(Serialize)]
struct UserView {
    kind: &'static str,
    name: String,
    username: String,
    email: Option<String>,
    verified: bool,
    avatar: Avatar,
    super_user: bool,
    enabled: bool,
}

impl UserView {
    fn new(u: Namespace, state: &AppState) -> Self {
        UserView {
            kind: "user",
            avatar: avatar(&u.username, u.email.as_deref(), AvatarKind::User),
            super_user: state.config.is_superuser(&u.username),
            name: u.username.clone(),
            username: u.username,
            email: u.email,
            verified: u.verified,
            enabled: u.enabled,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct PagePosition {
    after_id: i64,
}

const LIMIT_HELP: &str = "Limit to the number of results to return per page. Max 100.";

/// `limit` and `next_page` of the superuser lists: (limit, position to continue after).
fn page_args(state: &AppState, req: &HttpRequest) -> Result<(u64, Option<i64>), ApiError> {
    let q = QueryArgs::parse(req);
    let limit = match q.integer("limit", LIMIT_HELP)? {
        Some(l) if l > MAX_USERS_PER_PAGE as i64 => {
            return Err(ApiError::invalid_request("Page limit cannot be above 100"))
        }
        Some(l) => l.max(1) as u64,
        None => MAX_USERS_PER_PAGE,
    };
    let after_id = q
        .string("next_page")
        .and_then(|t| {
            state
                .page_tokens
                .decode::<PagePosition>(t, Utc::now().timestamp())
        })
        .map(|p| p.after_id);
    Ok((limit, after_id))
}

/// The body of a page, with `next_page` when there is more.
fn page_body(state: &AppState, key: &str, items: Value, next: Option<i64>) -> Value {
    let mut body = json!({ key: items });
    if let Some(after_id) = next {
        body["next_page"] = json!(state
            .page_tokens
            .encode(&PagePosition { after_id }, Utc::now().timestamp()));
    }
    body
}

pub async fn list_all_users(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    let (limit, after_id) = page_args(&state, &req)?;
    let disabled = QueryArgs::parse(&req).flag("disabled", true);
    let (users, next) = state
        .superusers
        .list_users(&caller, disabled, after_id, limit)
        .await?;
    let users: Vec<UserView> = users
        .into_iter()
        .map(|u| UserView::new(u, &state))
        .collect();
    Ok(HttpResponse::Ok().json(page_body(&state, "users", json!(users), next)))
}

/// Quay's `Organization.to_dict()` in the superuser panel.
fn organization_view(o: &Namespace) -> Value {
    json!({
        "name": o.username,
        "email": o.email.clone().unwrap_or_default(),
        "avatar": avatar(&o.username, o.email.as_deref(), AvatarKind::User),
    })
}

pub async fn list_all_organizations(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    let (limit, after_id) = page_args(&state, &req)?;
    let (orgs, next) = state
        .superusers
        .list_organizations(&caller, after_id, limit)
        .await?;
    let orgs: Vec<Value> = orgs.iter().map(organization_view).collect();
    Ok(HttpResponse::Ok().json(page_body(&state, "organizations", json!(orgs), next)))
}

#[derive(Deserialize)]
struct ChangeOrganization {
    name: Option<String>,
}

pub async fn change_organization(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: ChangeOrganization = json_body(&body, &schemas::superuser_update_org())?;
    let org = state
        .superusers
        .change_organization(&caller, &path, req.name)
        .await?;
    Ok(HttpResponse::Ok().json(organization_view(&org)))
}

pub async fn delete_organization(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    state.superusers.delete_organization(&caller, &path).await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}

pub async fn take_ownership(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    state.superusers.take_ownership(&caller, &path).await?;
    Ok(HttpResponse::Ok().json(json!({ "namespace": path.into_inner() })))
}

#[derive(Deserialize)]
struct CreateInstallUser {
    username: String,
    email: Option<String>,
}

pub async fn create_install_user(
    state: Data<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> ApiResult {
    let req: CreateInstallUser = json_body(&body, &schemas::create_install_user())?;
    let created = state
        .superusers
        .create_user(&caller, req.username, req.email)
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "username": created.user.username,
        "email": created.user.email,
        "password": created.password,
    })))
}

pub async fn get_install_user(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let user = state.superusers.get_user(&caller, &path).await?;
    Ok(HttpResponse::Ok().json(UserView::new(user, &state)))
}

#[derive(Deserialize)]
struct UpdateUser {
    password: Option<String>,
    email: Option<String>,
    enabled: Option<bool>,
}

pub async fn change_install_user(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: UpdateUser = json_body(&body, &schemas::update_user())?;
    let changes = UserChanges {
        password: req.password,
        email: req.email,
        enabled: req.enabled,
    };
    let user = state
        .superusers
        .update_user(&caller, &path, changes)
        .await?;
    Ok(HttpResponse::Ok().json(UserView::new(user, &state)))
}

pub async fn delete_install_user(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    state.superusers.delete_user(&caller, &path).await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}
