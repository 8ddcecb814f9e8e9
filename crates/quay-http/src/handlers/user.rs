//! `endpoints/api/user.py` (the account endpoints built so far) and Quay's
//! `/api/v1/user/initialize` (a web route in Quay, outside the API resources).

use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use quay_core::scope::ScopeSet;
use quay_core::DomainError;
use quay_core::{AuthMethod, Caller as CallerCtx};
use quay_orgs::{CreateAccount, InitializeUser, UpdateAccount};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::{json_body, AnyCaller, Caller, QueryArgs};
use crate::handlers::session::start_session;
use crate::session;
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

#[derive(Deserialize)]
struct NewUser {
    username: String,
    password: String,
    email: Option<String>,
}

/// `POST /api/v1/user/`: a new account, signed in at once (there is no mail to confirm
/// the address with). Like sign-in, it needs the CSRF token of the caller's session.
pub async fn create_new_user(
    state: Data<AppState>,
    AnyCaller(caller): AnyCaller,
    req: actix_web::HttpRequest,
    body: Bytes,
) -> ApiResult {
    let current = session::read(&req, &state);
    if !current.as_ref().is_some_and(|s| session::csrf_ok(&req, s)) {
        return Err(session::csrf_error());
    }
    let new: NewUser = json_body(&body, &schemas::new_user())?;
    let account = CreateAccount {
        username: new.username,
        password: new.password,
        email: new.email,
    };
    let user = state.users.create_account(&caller, account).await?;
    // The view the new user sees of themselves, through the session just started.
    let login_time = chrono::Utc::now().timestamp();
    let principal = state.authenticator.principal(
        user.id,
        user.username.clone(),
        ScopeSet::session(),
        AuthMethod::Session { login_time },
    );
    let details = state
        .users
        .current_user(&CallerCtx::user(principal))
        .await?;
    let mut res = HttpResponse::Ok();
    start_session(&state, &mut res, user.uuid);
    Ok(res.json(UserView::new(details)))
}

/// `DELETE /api/v1/user/`: the caller deletes their own account.
pub async fn delete_current_user(state: Data<AppState>, Caller(caller): Caller) -> ApiResult {
    state.users.delete_current_user(&caller).await?;
    Ok(HttpResponse::NoContent()
        .cookie(session::removal())
        .finish())
}

/// `invoice_email_address` and the profile fields distinguish "absent" from `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct UpdateUserBody {
    password: Option<String>,
    email: Option<String>,
    username: Option<String>,
    invoice_email: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    invoice_email_address: Option<Option<String>>,
    tag_expiration_s: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    given_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    family_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    company: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    location: Option<Option<String>>,
}

/// `PUT /api/v1/user/`: the caller's own account. A new password ends every session of
/// the user; a session making the change is signed in again, as Quay does.
pub async fn change_user_details(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: actix_web::HttpRequest,
    body: Bytes,
) -> ApiResult {
    let b: UpdateUserBody = json_body(&body, &schemas::update_account())?;
    let password_changed = b.password.is_some();
    let update = UpdateAccount {
        password: b.password,
        email: b.email,
        username: b.username,
        invoice_email: b.invoice_email,
        invoice_email_address: b.invoice_email_address,
        tag_expiration_s: b.tag_expiration_s,
        given_name: b.given_name,
        family_name: b.family_name,
        company: b.company,
        location: b.location,
    };
    let user = state.users.update_current_user(&caller, update).await?;
    let details = state.users.current_user(&caller).await?;
    let mut res = HttpResponse::Ok();
    if password_changed {
        if let Some(old) = session::read(&req, &state).and_then(|s| s.uid) {
            state.authenticator.forget_session(&old);
            start_session(&state, &mut res, user.uuid);
        }
    }
    Ok(res.json(UserView::new(details)))
}

#[derive(Deserialize)]
struct GenerateClientKey {
    password: String,
}

/// `POST /api/v1/user/clientkey`: a key that logs in like the password.
pub async fn generate_client_key(
    state: Data<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> ApiResult {
    let req: GenerateClientKey = json_body(&body, &schemas::generate_client_key())?;
    let key = state.credentials.client_key(&caller, &req.password).await?;
    Ok(HttpResponse::Ok().json(json!({ "key": key })))
}

#[derive(Deserialize)]
struct ConvertUser {
    #[serde(rename = "adminUser")]
    admin_user: String,
    #[serde(rename = "adminPassword")]
    admin_password: String,
}

/// `POST /api/v1/user/convert`: the caller's account becomes an organization; the
/// response signs the administrator in, as Quay's `conduct_signin`.
pub async fn convert_user_to_organization(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: actix_web::HttpRequest,
    body: Bytes,
) -> ApiResult {
    let b: ConvertUser = json_body(&body, &schemas::convert_user())?;
    let invalid =
        |msg: &str| ApiError::invalid_request(msg).with_payload("reason", json!("invaliduser"));
    let admin = state
        .sessions
        .check_password(&caller, &b.admin_user, &b.admin_password, "quayauth", false)
        .await?;
    let quay_auth::SignIn::Success { user_id, uuid, .. } = admin else {
        return Err(invalid("The admin user credentials are not valid"));
    };
    state
        .users
        .convert_to_organization(&caller, user_id)
        .await
        .map_err(|e| match e {
            DomainError::InvalidRequest(msg) => invalid(&msg),
            other => other.into(),
        })?;
    if let Some(old) = session::read(&req, &state).and_then(|s| s.uid) {
        state.authenticator.forget_session(&old);
    }
    let mut res = HttpResponse::Ok();
    start_session(&state, &mut res, uuid);
    Ok(res.json(json!({"success": true})))
}

fn notification_view(n: quay_orgs::notifications::Notification) -> Value {
    json!({
        "id": n.uuid,
        "organization": n.organization,
        "kind": n.kind,
        "created": quay_core::date::format_rfc2822(n.created),
        "metadata": n.metadata,
        "dismissed": n.dismissed,
    })
}

pub async fn list_user_notifications(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    let q = QueryArgs::parse(&req);
    let page = q.integer("page", "Offset page number. (int)")?.unwrap_or(0);
    let limit = q
        .integer("limit", "Limit on the number of results (int)")?
        .unwrap_or(5);
    let (notes, additional) = state
        .notifications
        .list(&caller, page.max(0) as u64, limit.clamp(0, 100) as u64)
        .await?;
    let notes: Vec<Value> = notes.into_iter().map(notification_view).collect();
    Ok(HttpResponse::Ok().json(json!({"notifications": notes, "additional": additional})))
}

pub async fn get_user_notification(
    state: Data<AppState>,
    Caller(caller): Caller,
    uuid: Path<String>,
) -> ApiResult {
    let note = state.notifications.get(&caller, &uuid).await?;
    Ok(HttpResponse::Ok().json(notification_view(note)))
}

#[derive(Deserialize)]
struct UpdateNotification {
    dismissed: Option<bool>,
}

pub async fn update_user_notification(
    state: Data<AppState>,
    Caller(caller): Caller,
    uuid: Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: UpdateNotification = json_body(&body, &schemas::update_notification())?;
    let note = state
        .notifications
        .set_dismissed(&caller, &uuid, req.dismissed.unwrap_or(false))
        .await?;
    Ok(HttpResponse::Ok().json(notification_view(note)))
}
