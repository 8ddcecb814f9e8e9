//! Request extractors: who is calling, the JSON body checked against the endpoint's
//! schema, and Quay's query-argument parsing.

use std::collections::HashMap;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::http::Method;
use actix_web::web::{Bytes, Data};
use actix_web::{FromRequest, HttpRequest};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use quay_core::Caller as CallerCtx;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;
use crate::{session, AppState};

/// The caller of an endpoint that anonymous users may use when
/// `FEATURE_ANONYMOUS_ACCESS` is on (the default for Quay's API resources).
pub struct Caller(pub CallerCtx);

/// The caller of an `@anon_allowed` endpoint: anonymous users are always let in.
pub struct AnyCaller(pub CallerCtx);

/// The token from `Authorization: Bearer <token>` (scheme case-insensitive, exactly two
/// parts, as Quay parses it).
fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let mut parts = value.split_whitespace();
    let (scheme, token) = (parts.next()?, parts.next()?);
    (parts.next().is_none() && scheme.eq_ignore_ascii_case("bearer")).then(|| token.to_string())
}

async fn authenticate(req: HttpRequest) -> Result<CallerCtx, ApiError> {
    let state = req
        .app_data::<Data<AppState>>()
        .expect("AppState is registered")
        .clone();
    let ip = req.connection_info().realip_remote_addr().map(String::from);
    // A bearer token, when present, is the only credential looked at (as in Quay).
    if let Some(token) = bearer(&req) {
        let principal = state
            .authenticator
            .authenticate_bearer(&token, Utc::now())
            .await?;
        return Ok(CallerCtx { principal, ip });
    }
    let Some(session) = session::read(&req, &state) else {
        return Ok(CallerCtx {
            principal: None,
            ip,
        });
    };
    let principal = match (&session.uid, session.lt) {
        (Some(uid), Some(login_time)) => {
            state
                .authenticator
                .authenticate_session(uid, login_time)
                .await?
        }
        _ => None,
    };
    // Every non-GET call a session authenticates must prove it comes from our pages.
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if principal.is_some() && !safe && !session::csrf_ok(&req, &session) {
        return Err(session::csrf_error());
    }
    Ok(CallerCtx { principal, ip })
}

impl FromRequest for AnyCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(AnyCaller) })
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = authenticate(req.clone()).await?;
            let anonymous_ok = req
                .app_data::<Data<AppState>>()
                .is_some_and(|s| s.config.feature_anonymous_access);
            if caller.principal.is_none() && !anonymous_ok {
                return Err(ApiError::unauthenticated("Anonymous access is not allowed"));
            }
            refuse_before_body(&req, &caller)?;
            Ok(Caller(caller))
        })
    }
}

/// Quay checks permissions before it validates a request body, so a change that cannot
/// be allowed is refused before the body is parsed: an anonymous caller gets 401, a
/// token whose scopes cannot reach the endpoint's declared scope gets 403. Reads are
/// left to the services (anonymous callers may read public things).
fn refuse_before_body(req: &HttpRequest, caller: &CallerCtx) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    // A path through a sub-resource we do not serve is an unknown route (the handler
    // answers 404), whoever asks.
    if req
        .match_info()
        .get("repository")
        .is_some_and(crate::routes::through_subresource)
    {
        return Ok(());
    }
    let Some(declared) = req
        .app_data::<crate::routes::RoutePolicy>()
        .and_then(|p| p.scope(req.method()))
    else {
        return Ok(());
    };
    match &caller.principal {
        None => Err(quay_core::DomainError::unauthorized(false).into()),
        Some(p) if !scopes_can_reach(p.scopes, declared) => {
            Err(quay_core::DomainError::Forbidden.into())
        }
        Some(_) => Ok(()),
    }
}

/// Whether a token with `scopes` could pass a check that declares `declared`, with every
/// implication Quay's permission model makes (`repo:admin` covers `repo:write`, a user
/// administrator may create repositories in their own namespace, `super:user` passes
/// organization checks under `FEATURE_SUPERUSERS_FULL_ACCESS`, ...). Errs on "could".
fn scopes_can_reach(scopes: quay_core::scope::ScopeSet, declared: quay_core::scope::Scope) -> bool {
    use quay_core::scope::Scope::*;
    let any = |options: &[quay_core::scope::Scope]| options.iter().any(|s| scopes.contains(*s));
    any(&[DirectLogin, SuperUser])
        || match declared {
            RepoRead => any(&[RepoRead, RepoWrite, RepoAdmin]),
            RepoWrite => any(&[RepoWrite, RepoAdmin]),
            RepoAdmin => any(&[RepoAdmin]),
            RepoCreate => any(&[RepoCreate, OrgAdmin, UserAdmin]),
            UserRead => any(&[UserRead, UserAdmin]),
            UserAdmin => any(&[UserAdmin]),
            OrgAdmin => any(&[OrgAdmin]),
            SuperUser => any(&[SuperUser]),
            DirectLogin => false,
        }
}

/// Parses a request body: JSON, validated against `schema` with Quay's messages, then
/// decoded into `T`. Any content type is accepted as long as the body is JSON.
pub fn json_body<T: DeserializeOwned>(body: &Bytes, schema: &Value) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_request("Missing JSON body"));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_request(format!("Invalid JSON body: {e}")))?;
    if value.is_null() {
        return Err(ApiError::invalid_request("Missing JSON body"));
    }
    quay_core::schema::validate(&value, schema).map_err(ApiError::invalid_request)?;
    serde_json::from_value(value).map_err(|e| ApiError::invalid_request(e.to_string()))
}

/// [`json_body`] for Quay's `@validate_json_request(..., optional=True)`: no body (or
/// JSON `null`) is `None`; anything else must be valid.
pub fn optional_json_body<T: DeserializeOwned>(
    body: &Bytes,
    schema: &Value,
) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) || body.as_ref() == b"null" {
        return Ok(None);
    }
    json_body(body, schema).map(Some)
}

/// Query arguments, parsed as Quay's `reqparse` does: unknown ones ignored, booleans
/// "truthy" unless one of `false`, `False`, `FALSE`, `0`, `null` or empty.
pub struct QueryArgs(HashMap<String, String>);

impl QueryArgs {
    pub fn parse(req: &HttpRequest) -> Self {
        let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default();
        // The first occurrence wins, as Flask's `request.args.get`.
        let mut map = HashMap::new();
        for (k, v) in pairs {
            map.entry(k).or_insert(v);
        }
        QueryArgs(map)
    }

    pub fn flag(&self, name: &str, default: bool) -> bool {
        match self.0.get(name) {
            None => default,
            Some(v) => !matches!(v.as_str(), "false" | "False" | "FALSE" | "0" | "null" | ""),
        }
    }

    pub fn string(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// An integer argument; a value that is not one is a 400 naming the argument and its
    /// help text (where Quay's `reqparse` answers with the help text too).
    pub fn integer(&self, name: &str, help: &str) -> Result<Option<i64>, ApiError> {
        self.string(name)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| ApiError::invalid_request(format!("{name}: {help}")))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use serde_json::json;

    #[test]
    fn bearer_parsing() {
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, "bearer abc"))
            .to_http_request();
        assert_eq!(bearer(&req).as_deref(), Some("abc"));
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, "Basic abc"))
            .to_http_request();
        assert_eq!(bearer(&req), None);
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, "Bearer a b"))
            .to_http_request();
        assert_eq!(bearer(&req), None);
    }

    #[test]
    fn query_flags_are_truthy() {
        let req =
            TestRequest::with_uri("/x?public=true&starred=0&a=&b=False&namespace=n&namespace=m")
                .to_http_request();
        let q = QueryArgs::parse(&req);
        assert!(q.flag("public", false));
        assert!(!q.flag("starred", true));
        assert!(!q.flag("a", true) && !q.flag("b", true));
        assert!(q.flag("missing", true));
        assert_eq!(q.string("namespace"), Some("n"));
    }

    #[test]
    fn bodies() {
        let schema = json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}});
        #[derive(Debug, serde::Deserialize)]
        struct B {
            name: String,
        }
        let ok: B = json_body(&Bytes::from_static(b"{\"name\": \"x\"}"), &schema).unwrap();
        assert_eq!(ok.name, "x");
        let err = |b: &'static [u8]| {
            json_body::<B>(&Bytes::from_static(b), &schema)
                .unwrap_err()
                .detail
        };
        assert_eq!(err(b""), "Missing JSON body");
        assert_eq!(err(b"null"), "Missing JSON body");
        assert!(err(b"{nope").starts_with("Invalid JSON body: "));
        assert_eq!(err(b"{}"), "'name' is a required property");
        assert_eq!(err(b"{\"name\": 1}"), "1 is not of type 'string'");
    }
}
