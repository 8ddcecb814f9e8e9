//! `endpoints/api/superuser.py`: user management by superusers.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use quay_core::avatar::{avatar, Avatar, AvatarKind};
use quay_orgs::superuser::{UserChanges, MAX_USERS_PER_PAGE};
use quay_orgs::Namespace;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ApiResult;
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
struct UserPagePosition {
    after_id: i64,
}

pub async fn list_all_users(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    let q = QueryArgs::parse(&req);
    let now = Utc::now().timestamp();
    let limit = q
        .string("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(MAX_USERS_PER_PAGE);
    let after_id = q
        .string("next_page")
        .and_then(|t| state.page_tokens.decode::<UserPagePosition>(t, now))
        .map(|p| p.after_id);
    let (users, next) = state
        .superusers
        .list_users(&caller, q.flag("disabled", true), after_id, limit)
        .await?;
    let users: Vec<UserView> = users
        .into_iter()
        .map(|u| UserView::new(u, &state))
        .collect();
    let mut body = json!({"users": users});
    if let Some(after_id) = next {
        body["next_page"] = json!(state
            .page_tokens
            .encode(&UserPagePosition { after_id }, now));
    }
    Ok(HttpResponse::Ok().json(body))
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
