//! `endpoints/api/appspecifictokens.py`: the caller's app-specific tokens.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use quay_auth::apptoken::AppToken;
use quay_core::date::format_rfc2822;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ApiResult;
use crate::extract::{json_body, Caller, QueryArgs};
use crate::{schemas, AppState};

/// Quay's `token_view`; `token_code` only in the creation response.
#[derive(Serialize)]
struct TokenView {
    uuid: String,
    title: String,
    last_accessed: Option<String>,
    created: String,
    expiration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_code: Option<String>,
}

impl TokenView {
    fn new(t: AppToken, token_code: Option<String>) -> Self {
        TokenView {
            uuid: t.uuid,
            title: t.title,
            last_accessed: t.last_accessed.map(format_rfc2822),
            created: format_rfc2822(t.created),
            expiration: t.expiration.map(format_rfc2822),
            token_code,
        }
    }
}

pub async fn list_app_tokens(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    let q = QueryArgs::parse(&req);
    let expiring = q.string("expiring").map(|_| q.flag("expiring", false));
    let tokens = state
        .app_tokens
        .list(&caller, expiring == Some(true))
        .await?;
    let tokens: Vec<TokenView> = tokens
        .into_iter()
        .map(|t| TokenView::new(t, None))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"tokens": tokens, "only_expiring": expiring})))
}

#[derive(Deserialize)]
struct NewToken {
    title: String,
}

pub async fn create_app_token(
    state: Data<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> ApiResult {
    let req: NewToken = json_body(&body, &schemas::new_token())?;
    let created = state.app_tokens.create(&caller, req.title).await?;
    let view = TokenView::new(created.token, Some(created.token_code));
    Ok(HttpResponse::Ok().json(json!({"token": view})))
}

pub async fn get_app_token(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let token = state.app_tokens.get(&caller, &path).await?;
    Ok(HttpResponse::Ok().json(json!({"token": TokenView::new(token, None)})))
}

pub async fn revoke_app_token(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    state.app_tokens.revoke(&caller, &path).await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}
