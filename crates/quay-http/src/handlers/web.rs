//! Health endpoints (Quay's `/health/instance` and `/health/endtoend`).
//!
//! Body `{"data": {"services": {name: ok}}, "status_code": 200|503}`, with the HTTP
//! status equal to `status_code`. Only checks we really perform are listed.

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use crate::AppState;

fn respond(services: Map<String, Value>) -> HttpResponse {
    let healthy = services.values().all(|v| v.as_bool() == Some(true));
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    HttpResponse::build(status).json(json!({
        "data": {"services": services},
        "status_code": status.as_u16(),
    }))
}

async fn database_ok(state: &AppState) -> bool {
    match state.db.ping().await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "health: database ping failed");
            false
        }
    }
}

/// Whether the data directory accepts a write (where blobs and the SQLite file live).
fn data_dir_writable(state: &AppState) -> bool {
    let Some(dir) = &state.data_dir else {
        return true;
    };
    let probe = dir.join(".health-probe");
    let ok = std::fs::write(&probe, b"ok").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

pub async fn instance(state: Data<AppState>) -> HttpResponse {
    let mut services = Map::new();
    services.insert("database".into(), database_ok(&state).await.into());
    respond(services)
}

pub async fn endtoend(state: Data<AppState>) -> HttpResponse {
    let mut services = Map::new();
    services.insert("database".into(), database_ok(&state).await.into());
    services.insert("storage".into(), data_dir_writable(&state).into());
    respond(services)
}
