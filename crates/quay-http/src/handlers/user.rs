//! `endpoints/api/user.py` (the account endpoints built so far) and Quay's
//! `/api/v1/user/initialize` (a web route in Quay, outside the API resources).

use actix_web::web::{Bytes, Data, Path};
use actix_web::HttpResponse;
use quay_core::DomainError;
use quay_orgs::InitializeUser;
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::extract::{json_body, AnyCaller, Caller};
use crate::views::UserView;
use crate::{schemas, AppState};

pub async fn get_logged_in_user(state: Data<AppState>, AnyCaller(caller): AnyCaller) -> ApiResult {
    match state.users.current_user(&caller).await {
        Ok(details) => Ok(HttpResponse::Ok().json(UserView::new(details))),
        Err(DomainError::Unauthenticated(msg)) => {
            Err(ApiError::unauthenticated(msg).with_payload("session_required", json!(false)))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn get_user_information(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let details = state.users.get_user(&caller, &path).await?;
    Ok(HttpResponse::Ok().json(UserView::new(details)))
}

#[derive(Deserialize)]
struct Initialize {
    username: String,
    password: String,
    email: Option<String>,
    #[serde(default)]
    access_token: bool,
}

/// `POST /api/v1/user/initialize`: the first user of an empty install, optionally with
/// an OAuth access token carrying every scope. Keys as Quay's (sorted) answer.
pub async fn initialize(state: Data<AppState>, body: Bytes) -> ApiResult {
    let req: Initialize = json_body(&body, &schemas::user_initialize())?;
    let init = InitializeUser {
        username: req.username,
        password: req.password,
        email: req.email,
        access_token: req.access_token,
    };
    let created = state.users.initialize(init).await?;
    let mut body = serde_json::Map::new();
    if let Some(token) = created.access_token {
        body.insert("access_token".into(), token.into());
    }
    body.insert("email".into(), created.user.email.into());
    body.insert("username".into(), created.user.username.into());
    Ok(HttpResponse::Ok().json(body))
}
