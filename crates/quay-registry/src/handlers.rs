//! `/v2` request handlers: parse, call the service, answer in the registry's format.

use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL};
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use crate::error::{RegistryError, API_VERSION};
use crate::{RegistryState, TokenRequest};

/// The credentials of an `Authorization: <scheme> <value>` header, by scheme.
fn authorization<'r>(req: &'r HttpRequest, scheme: &str) -> Option<&'r str> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (s, rest) = value.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// Basic credentials; `Err` when the header is there but malformed.
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, ()> {
    let Some(encoded) = authorization(req, "Basic") else {
        return Ok(None);
    };
    let decoded = STANDARD.decode(encoded).map_err(|_| ())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (user, password) = text.split_once(':').ok_or(())?;
    Ok(Some((user.to_string(), password.to_string())))
}

/// `GET /v2/`: `true`, 200 with a valid token, else 401 with the challenge (Quay
/// answers the body `true` either way).
pub async fn ping(
    state: Data<RegistryState>,
    req: HttpRequest,
) -> Result<HttpResponse, RegistryError> {
    let valid = match authorization(&req, "Bearer") {
        Some(token) => state.auth.verify(token).await?.is_some(),
        None => false,
    };
    let mut res = if valid {
        HttpResponse::Ok()
    } else {
        let mut r = HttpResponse::Unauthorized();
        r.insert_header(("WWW-Authenticate", state.auth.challenge(None)));
        r
    };
    Ok(res
        .insert_header(API_VERSION)
        .content_type("application/json")
        .body("true"))
}

/// `GET /v2/auth?service=...&scope=...`: `{"token": <JWT>}`.
pub async fn auth(
    state: Data<RegistryState>,
    req: HttpRequest,
) -> Result<HttpResponse, RegistryError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| RegistryError::invalid_request("Invalid request"))?;
    let scopes = pairs
        .into_iter()
        .filter(|(k, v)| k == "scope" && !v.is_empty())
        .map(|(_, v)| v)
        .collect();
    let basic = basic_credentials(&req).map_err(|()| {
        RegistryError::invalid_login("Invalid authorization header", state.auth.challenge(None))
    })?;
    let request = TokenRequest {
        basic,
        scopes,
        ip: req
            .connection_info()
            .realip_remote_addr()
            .map(str::to_string),
    };
    let token = state.auth.token(request).await?;
    Ok(HttpResponse::Ok()
        .insert_header(API_VERSION)
        .insert_header((CACHE_CONTROL, "no-cache, no-store, must-revalidate"))
        .json(json!({ "token": token })))
}
