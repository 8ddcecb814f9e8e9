//! `endpoints/api/globalmessages.py`: the messages superusers show every user.

use actix_web::web::{Bytes, Data, Path};
use actix_web::HttpResponse;
use quay_orgs::messages::GlobalMessage;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::{json_body, Caller};
use crate::{schemas, AppState};

/// Quay's `Message.to_dict`.
fn message_view(m: &GlobalMessage) -> Value {
    json!({
        "uuid": m.uuid,
        "content": m.content,
        "severity": m.severity,
        "media_type": m.media_type,
    })
}

pub async fn get_global_messages(state: Data<AppState>) -> ApiResult {
    let messages = state.messages.list().await?;
    Ok(HttpResponse::Ok().json(json!({
        "messages": messages.iter().map(message_view).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
struct CreateMessage {
    message: Option<MessageBody>,
}

#[derive(Deserialize)]
struct MessageBody {
    content: String,
    media_type: String,
    severity: String,
}

/// Quay answers an empty 201.
pub async fn create_global_message(
    state: Data<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> ApiResult {
    let req: CreateMessage = json_body(&body, &schemas::create_message())?;
    // Quay's schema leaves `message` optional and then fails on its absence (a 500).
    let m = req
        .message
        .ok_or_else(|| ApiError::invalid_request("'message' is a required property"))?;
    state
        .messages
        .create(&caller, m.content, m.media_type, m.severity)
        .await?;
    Ok(HttpResponse::Created().finish())
}

pub async fn delete_global_message(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    state.messages.delete(&caller, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
