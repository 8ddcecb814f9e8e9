//! Browser sign-in (`endpoints/api/user.py` Signin/Signout/VerifyUser and the web
//! blueprint's `/csrf_token`), with Quay's answers, status codes and headers.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use quay_auth::SignIn;
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiResult;
use crate::extract::{json_body, AnyCaller, Caller};
use crate::session::{self, SessionData};
use crate::{schemas, AppState};

const INVALID: &str = "Invalid Username or Password";

/// Starts a new signed-in session (and CSRF token) for the user `uuid` on `res`, as
/// Quay does on every sign-in: the cookie, and the token in `X-Next-CSRF-Token`.
pub fn start_session(state: &AppState, res: &mut actix_web::HttpResponseBuilder, uuid: String) {
    let data = SessionData {
        uid: Some(uuid),
        lt: Some(Utc::now().timestamp()),
        csrf: session::new_csrf_token(),
    };
    res.cookie(session::cookie(state, &data))
        .insert_header(("X-Next-CSRF-Token", data.csrf.clone()));
}

/// `GET /csrf_token`: the session's CSRF token, starting an anonymous session if needed.
pub async fn csrf_token(state: Data<AppState>, req: HttpRequest) -> HttpResponse {
    let data = session::read(&req, &state).unwrap_or_else(SessionData::anonymous);
    HttpResponse::Ok()
        .cookie(session::cookie(&state, &data))
        .json(json!({"csrf_token": data.csrf}))
}

#[derive(Deserialize)]
struct Signin {
    username: String,
    password: String,
}

/// `POST /api/v1/signin`: needs the CSRF token of the session from `/csrf_token`.
pub async fn signin(
    state: Data<AppState>,
    AnyCaller(caller): AnyCaller,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult {
    let current = session::read(&req, &state);
    if !current.as_ref().is_some_and(|s| session::csrf_ok(&req, s)) {
        return Err(session::csrf_error());
    }
    let creds: Signin = json_body(&body, &schemas::signin_user())?;
    match state
        .sessions
        .sign_in(&caller, &creds.username, &creds.password)
        .await?
    {
        SignIn::Success { uuid, .. } => {
            let mut res = HttpResponse::Ok();
            start_session(&state, &mut res, uuid);
            Ok(res.json(json!({"success": true})))
        }
        SignIn::InvalidCredentials => Ok(HttpResponse::Forbidden().json(json!({
            "needsEmailVerification": false,
            "invalidCredentials": true,
            "message": INVALID,
        }))),
        SignIn::NeedsVerification => Ok(HttpResponse::Forbidden().json(json!({
            "needsEmailVerification": true,
            "invalidCredentials": false,
            "message": "Email address has not been verified",
        }))),
        SignIn::TooManyAttempts { retry_after_secs } => {
            Ok(HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
                .insert_header(("Retry-After", retry_after_secs.to_string()))
                .content_type("text/plain; charset=utf-8")
                .body("Too many login attempts. \nPlease reset your Quay password and try again."))
        }
    }
}

/// `POST /api/v1/signout`: ends every session of the caller's user.
pub async fn signout(
    state: Data<AppState>,
    AnyCaller(caller): AnyCaller,
    req: HttpRequest,
) -> ApiResult {
    state.sessions.sign_out(&caller).await?;
    if let Some(uid) = session::read(&req, &state).and_then(|s| s.uid) {
        state.authenticator.forget_session(&uid);
    }
    Ok(HttpResponse::Ok()
        .cookie(session::removal())
        .json(json!({"success": true})))
}

#[derive(Deserialize)]
struct Verify {
    password: String,
}

/// `POST /api/v1/signin/verify`: re-enter the password, renewing the login time that
/// fresh-login checks look at.
pub async fn verify(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult {
    let p = quay_auth::Authorizer::new(&state.config)
        .require_user_admin(&caller)?
        .clone();
    let creds: Verify = json_body(&body, &schemas::verify_user())?;
    if !state.sessions.verify(&p.username, &creds.password).await? {
        return Ok(
            HttpResponse::Forbidden().json(json!({"message": INVALID, "invalidCredentials": true}))
        );
    }
    let mut res = HttpResponse::Ok();
    if let Some(mut data) = session::read(&req, &state).filter(|s| s.uid.is_some()) {
        data.lt = Some(Utc::now().timestamp());
        res.cookie(session::cookie(&state, &data));
    }
    Ok(res.json(json!({"success": true})))
}
