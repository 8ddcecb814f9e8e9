//! `endpoints/api/repositorynotification.py`: a repository's notifications, their
//! failure counts and test deliveries.

use actix_web::web::{Bytes, Data, Path};
use actix_web::HttpResponse;
use quay_notify::{NotificationInput, RepoNotification};
use serde_json::{json, Map, Value};

use crate::error::ApiResult;
use crate::extract::{json_body, Caller};
use crate::handlers::repository::repository_name;
use crate::{schemas, AppState};

/// Quay's `RepositoryNotification.to_dict`.
fn notification_view(n: &RepoNotification) -> Value {
    json!({
        "uuid": n.uuid,
        "title": n.title,
        "event": n.event,
        "method": n.method,
        "config": n.config,
        "event_config": n.event_config,
        "number_of_failures": n.number_of_failures,
    })
}

pub async fn list_notifications(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
) -> ApiResult {
    let repo = repository_name(&path)?;
    let list = state.repo_notifications.list(&caller, &repo).await?;
    let views: Vec<Value> = list.iter().map(notification_view).collect();
    Ok(HttpResponse::Ok().json(json!({ "notifications": views })))
}

pub async fn create_notification(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    body: Bytes,
) -> ApiResult {
    let repo = repository_name(&path)?;
    let mut body: Map<String, Value> = json_body(&body, &schemas::notification_create_request())?;
    let text = |v: Option<Value>| match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let input = NotificationInput {
        event: text(body.remove("event")).unwrap_or_default(),
        method: text(body.remove("method")).unwrap_or_default(),
        config: body.remove("config").unwrap_or_else(|| json!({})),
        event_config: body.remove("eventConfig").unwrap_or_else(|| json!({})),
        title: text(body.remove("title")),
    };
    let created = state
        .repo_notifications
        .create(&caller, &repo, input)
        .await?;
    Ok(HttpResponse::Created().json(notification_view(&created)))
}

pub async fn get_notification(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (name, uuid) = path.into_inner();
    let repo = repository_name(&name)?;
    let found = state.repo_notifications.get(&caller, &repo, &uuid).await?;
    Ok(HttpResponse::Ok().json(notification_view(&found)))
}

pub async fn delete_notification(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (name, uuid) = path.into_inner();
    let repo = repository_name(&name)?;
    state
        .repo_notifications
        .delete(&caller, &repo, &uuid)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn reset_notification_failures(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (name, uuid) = path.into_inner();
    let repo = repository_name(&name)?;
    state
        .repo_notifications
        .reset_failures(&caller, &repo, &uuid)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Quay answers `({}, 200)`.
pub async fn test_notification(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<(String, String)>,
) -> ApiResult {
    let (name, uuid) = path.into_inner();
    let repo = repository_name(&name)?;
    state
        .repo_notifications
        .queue_test(&caller, &repo, &uuid)
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
