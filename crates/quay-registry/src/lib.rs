//! The registry protocol on `/v2` (OCI Distribution 1.1 / Docker Registry HTTP API V2).
//!
//! The API version check (`GET /v2/`), the token service (`GET /v2/auth`,
//! [`auth::TokenService`]), the catalog, blobs and uploads ([`blobs`]), manifests, tags
//! and referrers ([`manifests`]). Every `/v2` answer carries
//! `Docker-Distribution-API-Version`, and errors use the registry's body
//! (`{"errors": [...]}`, [`error::RegistryError`]), not the API's.
//!
//! Pulls of manifests write `pull_repo`, pushes of tags `push_repo` and deletions
//! `delete_tag` audit entries; the namespace quota ([`quay_repos::quota`]) is asked
//! before an upload starts, before it becomes a blob and before a manifest is stored.

mod access;
pub mod auth;
pub mod blobs;
mod catalog;
pub mod error;
pub mod gc;
mod handlers;
pub mod manifests;
mod routes;
pub mod scope;

use std::sync::Arc;

use actix_web::guard;
use actix_web::web::{self, Data, ServiceConfig};
use quay_core::config::Config;
use quay_logs::LogWriter;
use quay_repos::manifests::ManifestStore;
use quay_repos::quota::NamespaceQuota;
use quay_repos::{RepoStore, Repositories};

pub use auth::{TokenRequest, TokenService};
pub use error::RegistryError;

/// What the registry's handlers share.
pub struct RegistryState {
    pub auth: Arc<TokenService>,
    pub blobs: blobs::Blobs,
    pub manifests: Arc<dyn ManifestStore>,
    pub repos: Arc<dyn RepoStore>,
    /// Repository lookups of token-bearing requests, cached for `CACHE_TTL_MS` (as
    /// Quay's data model cache does) and dropped by the API's writes in this process.
    pub repositories: Arc<Repositories>,
    /// Audit entries of pulls (pushes are written with their change).
    pub logs: Arc<dyn LogWriter>,
    pub quota: Arc<dyn NamespaceQuota>,
    /// Queues `repo_push` notifications after a tag push is committed.
    pub notifier: Arc<quay_notify::Notifier>,
    pub config: Arc<Config>,
}

impl RegistryState {
    /// A state sharing every service of this one (with no upload hash states: those
    /// belong to the state that received the chunks).
    pub fn share(&self) -> RegistryState {
        RegistryState {
            auth: self.auth.clone(),
            blobs: self.blobs.share(),
            manifests: self.manifests.clone(),
            repos: self.repos.clone(),
            repositories: self.repositories.clone(),
            logs: self.logs.clone(),
            quota: self.quota.clone(),
            notifier: self.notifier.clone(),
            config: self.config.clone(),
        }
    }
}

/// Registers the `/v2` routes: the static ones, then a repository's ([`routes`]).
pub fn configure(cfg: &mut ServiceConfig, state: Data<RegistryState>) {
    cfg.service(
        web::scope("/v2")
            .app_data(state)
            .route("/", web::get().to(handlers::ping))
            .route("/", web::head().to(handlers::ping))
            .route("/auth", web::get().to(handlers::auth))
            .route("/auth", web::head().to(handlers::auth))
            .route("/_catalog", web::get().to(catalog::catalog))
            .route("/_catalog", web::head().to(catalog::catalog))
            .service(
                web::scope("")
                    .guard(guard::fn_guard(routes::guard))
                    .default_service(web::to(routes::dispatch)),
            ),
    );
}
