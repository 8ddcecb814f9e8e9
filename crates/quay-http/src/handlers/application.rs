//! OAuth applications: the organization endpoints of `endpoints/api/organization.py`
//! (`/applications...`, `getApplicationInformation`) and the user's authorizations of
//! `endpoints/api/user.py`.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::HttpResponse;
use quay_auth::oauthflow::{Authorization, ClientApplication};
use quay_core::avatar::{avatar, AvatarKind};
use quay_core::scope::ScopeSet;
use quay_orgs::applications::{ApplicationDetails, ApplicationFields};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{json_body, AnyCaller, Caller};
use crate::views::OrganizationView;
use crate::{schemas, AppState};

/// Quay's `app_view` (every caller of these endpoints administers the organization).
fn app_view(d: ApplicationDetails) -> Value {
    let a = d.application;
    json!({
        "name": a.name,
        "description": a.description,
        "application_uri": a.application_uri,
        "client_id": a.client_id,
        "client_secret": d.client_secret,
        "redirect_uri": a.redirect_uri,
        "avatar_email": a.avatar_email,
    })
}

fn app_avatar(a: &ClientApplication) -> Value {
    let email = a.avatar_email.as_deref().or(a.org_email.as_deref());
    json!(avatar(&a.name, email, AvatarKind::App))
}

/// `scopes.get_scope_information`: what each granted scope means.
fn scope_information(scope: &str) -> Value {
    let scopes = ScopeSet::parse(scope).unwrap_or_default();
    Value::Array(
        scopes
            .iter()
            .map(|s| {
                json!({
                    "scope": s.as_str(),
                    "description": s.description(),
                    "title": s.title(),
                    "dangerous": s.dangerous(),
                    "icon": s.icon(),
                })
            })
            .collect(),
    )
}

fn authorization_view(a: Authorization) -> Value {
    let app = &a.application;
    json!({
        "application": {
            "name": app.name,
            "description": app.description,
            "url": app.application_uri,
            "avatar": app_avatar(app),
            "organization": {
                "name": app.org_name,
                "avatar": avatar(&app.org_name, app.org_email.as_deref(), AvatarKind::Org),
            },
        },
        "scopes": scope_information(&a.scope),
        "uuid": a.uuid,
    })
}

#[derive(Deserialize)]
struct NewApp {
    name: String,
    redirect_uri: Option<String>,
    application_uri: Option<String>,
    description: Option<String>,
    avatar_email: Option<String>,
}

impl NewApp {
    fn fields(self) -> ApplicationFields {
        ApplicationFields {
            name: self.name,
            description: self.description.unwrap_or_default(),
            application_uri: self.application_uri.unwrap_or_default(),
            redirect_uri: self.redirect_uri.unwrap_or_default(),
            avatar_email: self.avatar_email.filter(|e| !e.is_empty()),
        }
    }
}

fn request_value(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

pub async fn list_applications(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let apps = state.applications.list_applications(&caller, &path).await?;
    let apps: Vec<Value> = apps.into_iter().map(app_view).collect();
    Ok(HttpResponse::Ok().json(json!({ "applications": apps })))
}

pub async fn create_application(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: NewApp = json_body(&body, &schemas::new_app())?;
    let app = state
        .applications
        .create_application(&caller, &path, req.fields(), request_value(&body))
        .await?;
    Ok(HttpResponse::Ok().json(app_view(app)))
}

pub async fn get_application(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, client_id) = path.into_inner();
    let app = state
        .applications
        .get_application(&caller, &org, &client_id)
        .await?;
    Ok(HttpResponse::Ok().json(app_view(app)))
}

pub async fn update_application(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let (org, client_id) = path.into_inner();
    let req: NewApp = json_body(&body, &schemas::update_app())?;
    let app = state
        .applications
        .update_application(
            &caller,
            &org,
            &client_id,
            req.fields(),
            request_value(&body),
        )
        .await?;
    Ok(HttpResponse::Ok().json(app_view(app)))
}

pub async fn delete_application(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, client_id) = path.into_inner();
    state
        .applications
        .delete_application(&caller, &org, &client_id)
        .await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}

pub async fn reset_client_secret(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (org, client_id) = path.into_inner();
    let app = state
        .applications
        .reset_client_secret(&caller, &org, &client_id)
        .await?;
    Ok(HttpResponse::Ok().json(app_view(app)))
}

/// `GET /api/v1/app/{client_id}`: public; the organization as the caller may see it.
pub async fn get_application_information(
    state: Data<AppState>,
    AnyCaller(caller): AnyCaller,
    path: Path<String>,
) -> ApiResult {
    let public = state.applications.public_application(&path).await?;
    let mut org = state
        .orgs
        .get_organization(&caller, &public.organization.username)
        .await?;
    // Quay renders `org_view(organization, [])`: no teams.
    org.teams = Some(Vec::new());
    let a = &public.application;
    Ok(HttpResponse::Ok().json(json!({
        "name": a.name,
        "description": a.description,
        "uri": a.application_uri,
        "avatar": app_avatar(a),
        "organization": OrganizationView::new(org),
    })))
}

pub async fn list_user_authorizations(state: Data<AppState>, Caller(caller): Caller) -> ApiResult {
    let list = state.oauth.authorizations(&caller).await?;
    let list: Vec<Value> = list.into_iter().map(authorization_view).collect();
    Ok(HttpResponse::Ok().json(json!({ "authorizations": list })))
}

pub async fn get_user_authorization(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let a = state.oauth.authorization(&caller, &path).await?;
    Ok(HttpResponse::Ok().json(authorization_view(a)))
}

pub async fn delete_user_authorization(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    state.oauth.revoke_authorization(&caller, &path).await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}
