//! The browser session cookie and CSRF tokens, as Quay uses them.
//!
//! The cookie (named `_csrf_token`, Quay's session cookie name) holds the signed-in user's
//! uuid, the login time and the session's CSRF token, signed (not encrypted) with a key
//! derived from the server secret. Every non-GET call authenticated by the session must
//! carry the CSRF token in `X-CSRF-Token` (or the `_csrf_token` query parameter).

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use chrono::Utc;
use quay_auth::secret;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ApiError;
use crate::AppState;

pub const COOKIE: &str = "_csrf_token";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionData {
    /// The signed-in user's uuid; `None` for an anonymous session (CSRF only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// When the password was last entered (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<i64>,
    pub csrf: String,
}

impl SessionData {
    pub fn anonymous() -> Self {
        SessionData {
            uid: None,
            lt: None,
            csrf: new_csrf_token(),
        }
    }
}

/// A fresh CSRF token (Quay's are 64 URL-safe characters).
pub fn new_csrf_token() -> String {
    secret::random_token(64)
}

/// The session the request carries, if its cookie is genuine and unexpired.
pub fn read(req: &HttpRequest, state: &AppState) -> Option<SessionData> {
    let cookie = req.cookie(COOKIE)?;
    state
        .session_tokens
        .decode(cookie.value(), Utc::now().timestamp())
}

/// The cookie that stores `data`.
pub fn cookie(state: &AppState, data: &SessionData) -> Cookie<'static> {
    let value = state.session_tokens.encode(data, Utc::now().timestamp());
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.preferred_url_scheme == "https")
        .max_age(time::Duration::seconds(
            state.config.session_timeout_seconds(),
        ))
        .finish()
}

/// The cookie that ends the session in the browser.
pub fn removal() -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, "").path("/").finish();
    c.make_removal();
    c
}

/// Whether the request carries this session's CSRF token.
pub fn csrf_ok(req: &HttpRequest, session: &SessionData) -> bool {
    let header = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let query = crate::extract::QueryArgs::parse(req);
    let given = header.or(query.string("_csrf_token"));
    given.is_some_and(|g| secret::constant_time_eq(g.as_bytes(), session.csrf.as_bytes()))
}

/// Quay's answer to a missing or wrong CSRF token.
pub fn csrf_error() -> ApiError {
    const MSG: &str = "CSRF token was invalid or missing.";
    ApiError::new(StatusCode::FORBIDDEN, "invalid_request", MSG).with_payload("error", json!(MSG))
}
