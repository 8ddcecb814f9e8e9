//! The registry protocol on `/v2` (OCI Distribution 1.1 / Docker Registry HTTP API V2).
//!
//! Built so far: the API version check (`GET /v2/`), the token service
//! (`GET /v2/auth`, [`auth::TokenService`]), blobs and uploads ([`blobs`]), manifests,
//! tags and referrers ([`manifests`]); the catalog follows. Every `/v2` answer carries `Docker-Distribution-API-Version`, and errors use
//! the registry's body (`{"errors": [...]}`, [`error::RegistryError`]), not the API's.

mod access;
pub mod auth;
pub mod blobs;
pub mod error;
mod handlers;
pub mod manifests;
pub mod scope;

use std::sync::Arc;

use actix_web::web::{self, Data, ServiceConfig};
use quay_core::config::Config;
use quay_repos::manifests::ManifestStore;
use quay_repos::RepoStore;

pub use auth::{TokenRequest, TokenService};
pub use error::RegistryError;

/// What the registry's handlers share.
pub struct RegistryState {
    pub auth: Arc<TokenService>,
    pub blobs: blobs::Blobs,
    pub manifests: Arc<dyn ManifestStore>,
    pub repos: Arc<dyn RepoStore>,
    pub config: Arc<Config>,
}

/// Registers the `/v2` routes.
pub fn configure(cfg: &mut ServiceConfig, state: Data<RegistryState>) {
    cfg.service(
        web::scope("/v2")
            .app_data(state)
            .route("/", web::get().to(handlers::ping))
            .route("/", web::head().to(handlers::ping))
            .route("/auth", web::get().to(handlers::auth))
            .route("/auth", web::head().to(handlers::auth))
            .route(
                "/{name:.+}/blobs/uploads/",
                web::post().to(blobs::start_upload),
            )
            .service(
                web::resource("/{name:.+}/blobs/uploads/{uuid}")
                    .route(web::get().to(blobs::upload_status))
                    .route(web::patch().to(blobs::upload_chunk))
                    .route(web::put().to(blobs::finish_upload))
                    .route(web::delete().to(blobs::cancel_upload)),
            )
            .service(
                web::resource("/{name:.+}/manifests/{reference}")
                    .route(web::get().to(manifests::get_manifest))
                    .route(web::head().to(manifests::get_manifest))
                    .route(web::put().to(manifests::put_manifest))
                    .route(web::delete().to(manifests::delete_manifest)),
            )
            .route("/{name:.+}/tags/list", web::get().to(manifests::list_tags))
            .route(
                "/{name:.+}/referrers/{digest}",
                web::get().to(manifests::list_referrers),
            )
            .service(
                web::resource("/{name:.+}/blobs/{digest}")
                    .route(web::get().to(blobs::get_blob))
                    .route(web::head().to(blobs::get_blob))
                    .route(web::delete().to(blobs::delete_blob)),
            ),
    );
}
