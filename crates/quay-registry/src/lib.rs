//! The registry protocol on `/v2` (OCI Distribution 1.1 / Docker Registry HTTP API V2).
//!
//! Built so far: the API version check (`GET /v2/`) and the token service
//! (`GET /v2/auth`, [`auth::TokenService`]); blobs, uploads, manifests and discovery
//! follow. Every `/v2` answer carries `Docker-Distribution-API-Version`, and errors use
//! the registry's body (`{"errors": [...]}`, [`error::RegistryError`]), not the API's.

pub mod auth;
pub mod error;
mod handlers;
pub mod scope;

use std::sync::Arc;

use actix_web::web::{self, Data, ServiceConfig};

pub use auth::{TokenRequest, TokenService};
pub use error::RegistryError;

/// What the registry's handlers share.
pub struct RegistryState {
    pub auth: Arc<TokenService>,
}

/// Registers the `/v2` routes.
pub fn configure(cfg: &mut ServiceConfig, state: Data<RegistryState>) {
    cfg.service(
        web::scope("/v2")
            .app_data(state)
            .route("/", web::get().to(handlers::ping))
            .route("/", web::head().to(handlers::ping))
            .route("/auth", web::get().to(handlers::auth))
            .route("/auth", web::head().to(handlers::auth)),
    );
}
