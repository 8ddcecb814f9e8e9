//! `endpoints/api/logs.py` and the superuser panel's logs: pages of usage logs and
//! their counts per kind and day.

use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use quay_core::avatar::{avatar, AvatarKind};
use quay_core::date::format_rfc2822;
use quay_logs::{KindCount, LogAccount, LogPosition, LogRecord};
use quay_repos::usage_logs::{LogTarget, LogsQuery};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::{json_body, Caller, QueryArgs};
use crate::handlers::repository::repository_name;
use crate::{schemas, AppState};

/// What a logs `next_page` token carries: the last entry shown.
#[derive(Serialize, Deserialize)]
struct LogPagePosition {
    /// Nanoseconds since the epoch: exactly what the database holds, so ties at the
    /// boundary compare equal.
    ns: i64,
    id: i64,
}

fn user_avatar(a: &LogAccount) -> Value {
    let kind = if a.robot {
        AvatarKind::Robot
    } else {
        AvatarKind::User
    };
    json!(avatar(&a.username, a.email.as_deref(), kind))
}

/// Quay's `Log.to_dict`: the namespace only where the call spans namespaces.
pub(crate) fn log_view(r: &LogRecord, include_namespace: bool) -> Value {
    let mut view = Map::new();
    view.insert("kind".into(), json!(r.entry.kind));
    view.insert("metadata".into(), r.entry.metadata.clone());
    view.insert("ip".into(), json!(r.entry.ip));
    view.insert("datetime".into(), json!(format_rfc2822(r.entry.datetime)));
    if let Some(p) = &r.performer {
        view.insert(
            "performer".into(),
            json!({
                "kind": "user",
                "name": p.username,
                "is_robot": p.robot,
                "avatar": user_avatar(p),
            }),
        );
    }
    if let Some(a) = r.account.as_ref().filter(|_| include_namespace) {
        let (kind, avatar) = if a.organization {
            (
                "org",
                json!(avatar(&a.username, a.email.as_deref(), AvatarKind::Org)),
            )
        } else {
            ("user", user_avatar(a))
        };
        view.insert(
            "namespace".into(),
            json!({"kind": kind, "name": a.username, "avatar": avatar}),
        );
    }
    Value::Object(view)
}

/// Quay's `AggregatedLogCount.to_dict`: the day at midnight UTC.
fn count_view(c: &KindCount) -> Value {
    let day = c
        .day
        .and_hms_opt(0, 0, 0)
        .map(|d| format_rfc2822(d.and_utc()));
    json!({"kind": c.kind, "count": c.count, "datetime": day})
}

fn logs_query(q: &QueryArgs) -> LogsQuery {
    let arg = |name: &str| q.string(name).map(String::from);
    LogsQuery {
        starttime: arg("starttime"),
        endtime: arg("endtime"),
        performer: arg("performer"),
    }
}

async fn list(
    state: &AppState,
    caller: &quay_core::Caller,
    target: LogTarget,
    req: &HttpRequest,
) -> ApiResult {
    let q = QueryArgs::parse(req);
    let now = Utc::now().timestamp();
    // A forged, stale or malformed token is the first page, as Quay's.
    let after = q
        .string("next_page")
        .and_then(|t| state.page_tokens.decode::<LogPagePosition>(t, now))
        .map(|p| LogPosition {
            datetime: chrono::DateTime::from_timestamp_nanos(p.ns),
            id: p.id,
        });
    let page = state
        .logs
        .list_logs(caller, &target, &logs_query(&q), after)
        .await?;
    let mut body = json!({
        "start_time": format_rfc2822(page.start),
        "end_time": format_rfc2822(page.end),
        "logs": page.logs.iter().map(|r| log_view(r, page.include_namespace)).collect::<Vec<_>>(),
    });
    if let Some(next) = page.next {
        let pos = LogPagePosition {
            ns: next.datetime.timestamp_nanos_opt().unwrap_or(i64::MAX),
            id: next.id,
        };
        body["next_page"] = json!(state.page_tokens.encode(&pos, now));
    }
    Ok(HttpResponse::Ok().json(body))
}

async fn aggregate(
    state: &AppState,
    caller: &quay_core::Caller,
    target: LogTarget,
    req: &HttpRequest,
) -> ApiResult {
    let q = QueryArgs::parse(req);
    let counts = state
        .logs
        .aggregate_logs(caller, &target, &logs_query(&q))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "aggregated": counts.iter().map(count_view).collect::<Vec<_>>(),
    })))
}

pub async fn list_user_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    list(&state, &caller, LogTarget::CurrentUser, &req).await
}

pub async fn list_org_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    req: HttpRequest,
) -> ApiResult {
    list(
        &state,
        &caller,
        LogTarget::Organization(path.into_inner()),
        &req,
    )
    .await
}

pub async fn list_repo_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    req: HttpRequest,
) -> ApiResult {
    let repo = repository_name(&path)?;
    list(&state, &caller, LogTarget::Repository(repo), &req).await
}

pub async fn list_all_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    list(&state, &caller, LogTarget::System, &req).await
}

pub async fn aggregate_user_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    aggregate(&state, &caller, LogTarget::CurrentUser, &req).await
}

pub async fn aggregate_org_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    req: HttpRequest,
) -> ApiResult {
    aggregate(
        &state,
        &caller,
        LogTarget::Organization(path.into_inner()),
        &req,
    )
    .await
}

pub async fn aggregate_repo_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    req: HttpRequest,
) -> ApiResult {
    let repo = repository_name(&path)?;
    aggregate(&state, &caller, LogTarget::Repository(repo), &req).await
}

pub async fn aggregate_all_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> ApiResult {
    aggregate(&state, &caller, LogTarget::System, &req).await
}

#[derive(Deserialize)]
struct ExportBody {
    callback_url: Option<String>,
    callback_email: Option<String>,
}

async fn export(
    state: &AppState,
    caller: &quay_core::Caller,
    target: LogTarget,
    req: &HttpRequest,
    body: &Bytes,
) -> ApiResult {
    let b: ExportBody = json_body(body, &schemas::export_logs())?;
    let q = QueryArgs::parse(req);
    let job = state
        .logs
        .queue_export(
            caller,
            &target,
            &logs_query(&q),
            b.callback_url,
            b.callback_email,
        )
        .await?;
    let export_id = job.export_id.clone();
    state
        .exporter
        .spawn(job, state.registry.blobs.storage.clone());
    Ok(HttpResponse::Ok().json(json!({ "export_id": export_id })))
}

pub async fn export_user_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult {
    export(&state, &caller, LogTarget::CurrentUser, &req, &body).await
}

pub async fn export_org_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult {
    let target = LogTarget::Organization(path.into_inner());
    export(&state, &caller, target, &req, &body).await
}

pub async fn export_repo_logs(
    state: Data<AppState>,
    Caller(caller): Caller,
    path: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult {
    let repo = repository_name(&path)?;
    export(&state, &caller, LogTarget::Repository(repo), &req, &body).await
}

/// `GET /exportedlogs/<id>-<key>`: an export's document (the key is its secret).
pub async fn exported_logs(state: Data<AppState>, file: Path<String>) -> ApiResult {
    let found = state
        .registry
        .blobs
        .storage
        .get_export(&file)
        .await
        .map_err(|e| ApiError::from(quay_core::DomainError::internal(e)))?;
    match found {
        Some(bytes) => Ok(HttpResponse::Ok()
            .content_type("application/json")
            .body(bytes)),
        None => Err(crate::unknown_route()),
    }
}
