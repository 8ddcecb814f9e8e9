//! Quay's OAuth 2 web endpoints (`endpoints/web.py`): `/oauth/authorize`,
//! `/oauth/authorizeapp`, `/oauth/denyapp`, `/oauth/access_token` and the local token
//! page. The user is the one of the browser session; approving and denying are forms
//! that carry the session's CSRF token.

use std::collections::HashMap;

use actix_web::http::header::{CACHE_CONTROL, LOCATION, PRAGMA};
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use quay_auth::oauthflow::{AuthorizeRequest, FlowOutcome, OAuthError};
use quay_core::{DomainResult, Principal};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::session::{self, SessionData};
use crate::AppState;

/// Query string and (for POSTs) form body, the first occurrence of a key winning.
fn params(req: &HttpRequest, body: &Bytes) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let query = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string());
    let form = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body);
    for (k, v) in query
        .unwrap_or_default()
        .into_iter()
        .chain(form.unwrap_or_default())
    {
        map.entry(k).or_insert(v);
    }
    map
}

/// Quay's `@param_required`: 400 "Required param: <name>".
fn required<'a>(p: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    p.get(name)
        .map(String::as_str)
        .ok_or_else(|| ApiError::invalid_request(format!("Required param: {name}")))
}

fn authorize_request(
    p: &HashMap<String, String>,
    default_response_type: &str,
) -> Result<AuthorizeRequest, ApiError> {
    Ok(AuthorizeRequest {
        client_id: required(p, "client_id")?.to_string(),
        redirect_uri: required(p, "redirect_uri")?.to_string(),
        scope: required(p, "scope")?.to_string(),
        response_type: p
            .get("response_type")
            .cloned()
            .unwrap_or_else(|| default_response_type.to_string()),
        state: p.get("state").cloned(),
    })
}

/// The browser session's user, if any.
async fn session_user(
    state: &AppState,
    req: &HttpRequest,
) -> DomainResult<(Option<SessionData>, Option<Principal>)> {
    let Some(data) = session::read(req, state) else {
        return Ok((None, None));
    };
    let principal = match (&data.uid, data.lt) {
        (Some(uid), Some(lt)) => state.authenticator.authenticate_session(uid, lt).await?,
        _ => None,
    };
    Ok((Some(data), principal))
}

fn no_store(mut res: HttpResponse) -> HttpResponse {
    let headers = res.headers_mut();
    headers.insert(CACHE_CONTROL, "no-store".parse().expect("valid header"));
    headers.insert(PRAGMA, "no-cache".parse().expect("valid header"));
    res
}

fn oauth_error(error: OAuthError) -> HttpResponse {
    no_store(HttpResponse::BadRequest().json(json!({ "error": error.as_str() })))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body>{body}</body></html>",
        html_escape(title)
    );
    no_store(
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
    )
}

fn respond(outcome: FlowOutcome, req: &AuthorizeRequest, csrf: Option<&str>) -> HttpResponse {
    match outcome {
        FlowOutcome::Redirect(url) => no_store(
            HttpResponse::Found()
                .insert_header((LOCATION, url))
                .finish(),
        ),
        FlowOutcome::Error(error) => oauth_error(error),
        FlowOutcome::NotFound => {
            no_store(HttpResponse::NotFound().json(json!({"error": "not_found"})))
        }
        FlowOutcome::LoginRequired => page(
            StatusCode::UNAUTHORIZED,
            "Sign in required",
            "<p>Sign in to this registry first, then retry the authorization.</p>",
        ),
        FlowOutcome::Consent {
            application,
            scopes,
        } => {
            let hidden = |name: &str, value: &str| {
                format!(
                    "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                    html_escape(value)
                )
            };
            let mut fields = hidden("client_id", &req.client_id)
                + &hidden("redirect_uri", &req.redirect_uri)
                + &hidden("scope", &req.scope)
                + &hidden("response_type", &req.response_type)
                + &hidden("_csrf_token", csrf.unwrap_or_default());
            if let Some(state) = &req.state {
                fields += &hidden("state", state);
            }
            let list: String = scopes
                .iter()
                .map(|s| {
                    format!(
                        "<li><strong>{}</strong>{}: {}</li>",
                        html_escape(s.title()),
                        if s.dangerous() { " (dangerous)" } else { "" },
                        html_escape(s.description())
                    )
                })
                .collect();
            let body = format!(
                "<h1>{name}</h1><p>{description}</p><p>of organization {org} asks for:</p>\
                 <ul>{list}</ul>\
                 <form method=\"post\" action=\"/oauth/authorizeapp\">{fields}\
                 <button type=\"submit\">Authorize application</button></form>\
                 <form method=\"post\" action=\"/oauth/denyapp\">{fields}\
                 <button type=\"submit\">Cancel</button></form>",
                name = html_escape(&application.name),
                description = html_escape(&application.description),
                org = html_escape(&application.org_name),
            );
            page(StatusCode::OK, "Authorize application", &body)
        }
    }
}

/// `GET /oauth/authorize`.
pub async fn authorize(state: Data<AppState>, req: HttpRequest) -> ApiResult {
    let p = params(&req, &Bytes::new());
    let request = authorize_request(&p, "code")?;
    let (session, principal) = session_user(&state, &req).await?;
    let outcome = state
        .oauth
        .authorize(principal.as_ref(), &request, Utc::now())
        .await?;
    Ok(respond(
        outcome,
        &request,
        session.as_ref().map(|s| s.csrf.as_str()),
    ))
}

/// The signed-in user of a form POST, which must carry the session's CSRF token.
async fn form_user(
    state: &AppState,
    req: &HttpRequest,
    p: &HashMap<String, String>,
) -> Result<Option<Principal>, ApiError> {
    let (session, principal) = session_user(state, req).await?;
    let Some(principal) = principal else {
        return Ok(None);
    };
    let session = session.expect("a principal comes from a session");
    let given = p.get("_csrf_token").map(String::as_str).or_else(|| {
        req.headers()
            .get(session::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
    });
    let ok = given.is_some_and(|g| {
        quay_auth::secret::constant_time_eq(g.as_bytes(), session.csrf.as_bytes())
    });
    if !ok {
        return Err(session::csrf_error());
    }
    Ok(Some(principal))
}

/// `POST /oauth/authorizeapp`: the user approved.
pub async fn authorize_app(state: Data<AppState>, req: HttpRequest, body: Bytes) -> ApiResult {
    let p = params(&req, &body);
    let request = authorize_request(&p, "token")?;
    let principal = form_user(&state, &req, &p).await?;
    let outcome = state
        .oauth
        .grant(principal.as_ref(), &request, Utc::now())
        .await?;
    Ok(respond(outcome, &request, None))
}

/// `POST /oauth/denyapp`: the user declined.
pub async fn deny_app(state: Data<AppState>, req: HttpRequest, body: Bytes) -> ApiResult {
    let p = params(&req, &body);
    let request = authorize_request(&p, "token")?;
    let principal = form_user(&state, &req, &p).await?;
    let outcome = state.oauth.deny(principal.as_ref(), &request).await?;
    Ok(respond(outcome, &request, None))
}

/// `(client_id, client_secret)` from HTTP Basic credentials, if given.
fn basic_client(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get("Authorization")?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// `POST /oauth/access_token`: the authorization-code exchange.
pub async fn access_token(state: Data<AppState>, req: HttpRequest, body: Bytes) -> ApiResult {
    let p = params(&req, &body);
    let grant_type = required(&p, "grant_type")?;
    let redirect_uri = required(&p, "redirect_uri")?;
    let code = required(&p, "code")?;
    let (client_id, client_secret) = match basic_client(&req) {
        Some(creds) => creds,
        None => (
            required(&p, "client_id")?.to_string(),
            p.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    let result = state
        .oauth
        .exchange_code(
            grant_type,
            &client_id,
            &client_secret,
            redirect_uri,
            code,
            Utc::now(),
        )
        .await?;
    Ok(match result {
        Ok(grant) => no_store(HttpResponse::Ok().json(json!({
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "expires_in": grant.expires_in,
            "scope": grant.scope,
        }))),
        Err(error) => oauth_error(error),
    })
}

/// `GET /oauth/localapp`: shows a token granted to the registry's own token page (the
/// token travels in the URL fragment, which only the browser sees).
pub async fn local_app() -> HttpResponse {
    page(
        StatusCode::OK,
        "Access token",
        "<p id=\"token\">Authorization canceled.</p><script>\
         var m = /access_token=([^&]+)/.exec(window.location.hash);\
         if (m) { document.getElementById('token').textContent = \
         'Your access token: ' + decodeURIComponent(m[1]); }</script>",
    )
}
