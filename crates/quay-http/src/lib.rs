//! The actix-web shell around the domain services.
//!
//! [`app`] builds the whole HTTP surface: the `/api/v1` route table ([`routes`]), Quay's
//! `/api/v1/user/initialize`, the health endpoints, a JSON 404 for anything else, and one
//! middleware that renders every [`error::ApiError`] as Quay's error body (with the
//! absolute `type` URL from the configuration) and enforces `REGISTRY_STATE: readonly`.
//! Handlers only parse, call a service and render a view; services decide access.

pub mod error;
pub mod exports;
mod extract;
mod handlers;
pub mod routes;
mod schemas;
mod session;
mod views;

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse};
use quay_auth::cipher::FieldCipher;
use quay_auth::{AppTokenService, AppTokens, Authenticator, CredentialValidator, Sessions};
use quay_auth::{Authorizer, OAuthProvider, RegistryTokens};
use quay_core::config::Config;
use quay_core::signed::{SignedTokens, PAGE_TOKEN_TTL_SECS};
use quay_notify::{DeliveryWorker, Notifier, RepoNotificationService, RepoNotifications};
use quay_orgs::{
    ApplicationService, Applications, GlobalMessages, MessageService, NotificationService,
    Notifications, OrgService, Organizations, PrototypeService, Prototypes, RobotService, Robots,
    SuperUsers, SuperuserService, TeamService, Teams, UserService, Users,
};
use quay_persistence::{Database, SqlStore};
use quay_registry::blobs::Blobs;
use quay_registry::gc::{GarbageCollector, GcSettings};
use quay_registry::{RegistryState, TokenService};
use quay_repos::autoprune::{AutoPrunePolicies, AutoPruneService, AutoPruner};
use quay_repos::labels::{ManifestService, Manifests};
use quay_repos::quota::{NamespaceQuota, NoQuota};
use quay_repos::tags::{TagService, Tags};
use quay_repos::usage_logs::{LogService, UsageLogs};
use quay_repos::{RepoPermissionService, RepoPermissions, RepoService, Repositories};
use quay_search::{Search, SearchService};
use quay_storage::BlobStore;
use serde_json::json;

use crate::error::{ApiError, ApiResult};

pub use handlers::discovery::document as discovery_document;

/// Everything a request handler may need, shared by all workers.
pub struct AppState {
    pub config: Arc<Config>,
    pub authenticator: Authenticator,
    pub repos: Arc<dyn RepoService>,
    pub orgs: Arc<dyn OrgService>,
    pub users: Arc<dyn UserService>,
    pub app_tokens: Arc<dyn AppTokenService>,
    pub superusers: Arc<dyn SuperuserService>,
    pub robots: Arc<dyn RobotService>,
    pub applications: Arc<dyn ApplicationService>,
    pub teams: Arc<dyn TeamService>,
    pub notifications: Arc<dyn NotificationService>,
    pub prototypes: Arc<dyn PrototypeService>,
    pub permissions: Arc<dyn RepoPermissionService>,
    pub tags: Arc<dyn TagService>,
    /// The manifests API: manifests by digest, their labels and security status.
    pub manifests: Arc<dyn ManifestService>,
    pub autoprune: Arc<dyn AutoPruneService>,
    /// Usage logs: pages, aggregates and export requests.
    pub logs: Arc<dyn LogService>,
    /// Runs the exports the export endpoints queue.
    pub exporter: Arc<exports::LogExporter>,
    /// The auto-prune worker's pass (`quayd serve` repeats it on a timer).
    pub autopruner: Arc<AutoPruner>,
    pub repo_notifications: Arc<dyn RepoNotificationService>,
    /// The notification delivery worker (`quayd serve` runs its passes on a timer).
    pub notification_worker: Arc<DeliveryWorker>,
    pub search: Arc<dyn SearchService>,
    /// Global messages (`/api/v1/messages`).
    pub messages: Arc<dyn MessageService>,
    /// The OAuth 2 provider and the user's granted tokens.
    pub oauth: OAuthProvider,
    pub sessions: Sessions,
    /// Registry basic-auth logins (used by `/v2/auth`).
    pub credentials: Arc<CredentialValidator>,
    /// Registry tokens: `quayd` hands it the instance key it keeps across restarts.
    pub registry_tokens: Arc<RegistryTokens>,
    /// The `/v2` registry's shared state.
    pub registry: Data<RegistryState>,
    pub page_tokens: SignedTokens,
    pub session_tokens: SignedTokens,
    pub db: Database,
    /// Where local data lives (checked by the health endpoint); `None` when unknown.
    pub data_dir: Option<PathBuf>,
}

impl AppState {
    /// Wires the services on one database. `secret` signs sessions and page tokens, and
    /// seals stored secrets unless `DATABASE_SECRET_KEY` is configured.
    pub fn new(config: Config, db: Database, secret: &[u8], data_dir: Option<PathBuf>) -> Self {
        let config = Arc::new(config);
        let store = Arc::new(SqlStore::new(db.clone()));
        let cipher = FieldCipher::derived(
            config
                .database_secret_key
                .as_deref()
                .map_or(secret, str::as_bytes),
        );
        let authenticator = Authenticator::new(store.clone(), store.clone(), config.clone());
        let teams = Arc::new(Teams::new(
            store.clone(),
            store.clone(),
            cipher.clone(),
            &config,
        ));
        let repos = Arc::new(Repositories::new(store.clone(), config.clone()));
        let credentials = Arc::new(CredentialValidator::new(
            store.clone(),
            Sessions::new(store.clone()),
            authenticator.clone(),
            cipher.clone(),
            secret,
            config.clone(),
        ));
        let notifier = Arc::new(Notifier::new(store.clone(), config.clone()));
        let registry_tokens = Arc::new(RegistryTokens::new(
            store.clone(),
            config.server_hostname.clone(),
            config.cache_ttl(),
        ));
        AppState {
            oauth: OAuthProvider::new(
                store.clone(),
                cipher.clone(),
                authenticator.clone(),
                Authorizer::new(&config),
                config.base_url(),
            ),
            applications: Arc::new(Applications::new(
                store.clone(),
                store.clone(),
                cipher.clone(),
                &config,
            )),
            registry: Data::new(RegistryState {
                auth: Arc::new(TokenService::new(
                    registry_tokens.clone(),
                    credentials.clone(),
                    store.clone(),
                    repos.clone(),
                    config.clone(),
                )),
                blobs: Blobs::new(BlobStore::in_memory(), store.clone(), config.cache_ttl()),
                manifests: store.clone(),
                repos: store.clone(),
                repositories: repos.clone(),
                logs: store.clone(),
                quota: Arc::new(NoQuota),
                notifier,
                config: config.clone(),
            }),
            registry_tokens,
            credentials,
            notifications: Arc::new(Notifications::new(store.clone(), cipher.clone(), &config)),
            prototypes: Arc::new(Prototypes::new(
                store.clone(),
                store.clone(),
                store.clone(),
                teams.clone(),
            )),
            teams,
            permissions: Arc::new(RepoPermissions::new(repos.clone(), store.clone())),
            tags: Arc::new(Tags::new(repos.clone(), store.clone(), &config)),
            manifests: Arc::new(Manifests::new(repos.clone(), store.clone())),
            autoprune: Arc::new(AutoPrunePolicies::new(
                repos.clone(),
                store.clone(),
                store.clone(),
                &config,
            )),
            exporter: Arc::new(exports::LogExporter::new(store.clone(), config.base_url())),
            logs: Arc::new(UsageLogs::new(
                repos.clone(),
                store.clone(),
                store.clone(),
                store.clone(),
                &config,
            )),
            autopruner: Arc::new(AutoPruner::new(store.clone(), store.clone(), &config)),
            repo_notifications: Arc::new(RepoNotifications::new(
                repos.clone(),
                store.clone(),
                config.clone(),
            )),
            notification_worker: Arc::new(DeliveryWorker::new(store.clone(), config.clone())),
            search: Arc::new(Search::new(store.clone(), store.clone(), &config)),
            messages: Arc::new(GlobalMessages::new(store.clone(), config.clone())),
            robots: Arc::new(Robots::new(
                store.clone(),
                store.clone(),
                cipher.clone(),
                &config,
            )),
            authenticator,
            sessions: Sessions::new(store.clone()),
            superusers: Arc::new(SuperUsers::new(store.clone(), config.clone())),
            repos,
            orgs: Arc::new(Organizations::new(store.clone(), config.clone())),
            users: Arc::new(Users::new(store.clone(), config.clone())),
            app_tokens: Arc::new(AppTokens::new(store, config.clone())),
            page_tokens: SignedTokens::derived(secret, "page", PAGE_TOKEN_TTL_SECS),
            session_tokens: SignedTokens::derived(
                secret,
                "session",
                config.session_timeout_seconds(),
            ),
            config,
            db,
            data_dir,
        }
    }
}

impl AppState {
    /// Keeps blobs in `storage` (the server's configured location); without this they
    /// live in memory, which suits tests and embedding only.
    pub fn with_storage(self, storage: BlobStore) -> Self {
        self.with_registry(|r| RegistryState {
            blobs: Blobs::new(storage, r.blobs.meta.clone(), r.config.cache_ttl()),
            ..r.share()
        })
    }

    /// Asks `quota` before pushes add bytes to a namespace (none is enforced without).
    pub fn with_namespace_quota(self, quota: Arc<dyn NamespaceQuota>) -> Self {
        self.with_registry(|r| RegistryState { quota, ..r.share() })
    }

    /// The garbage collector over this state's database and blob storage.
    pub fn garbage_collector(&self) -> GarbageCollector {
        GarbageCollector::new(
            Arc::new(SqlStore::new(self.db.clone())),
            self.registry.blobs.storage.clone(),
            GcSettings::from_config(&self.config),
        )
    }

    fn with_registry(mut self, change: impl FnOnce(&RegistryState) -> RegistryState) -> Self {
        self.registry = Data::new(change(&self.registry));
        self
    }
}

const READONLY_MESSAGE: &str =
    "System is currently read-only. Pulls will succeed but all write operations are currently suspended.";

/// The application: routes, fallbacks and the error/readonly middleware.
pub fn app(
    state: Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let config = state.config.clone();
    let registry = state.registry.clone();
    App::new()
        .app_data(state)
        .wrap_fn(|req, srv| {
            let state = req.app_data::<Data<AppState>>().cloned();
            let readonly_write = state.as_ref().is_some_and(|s| s.config.is_readonly())
                && req.path().starts_with("/api/")
                && !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            let call = if readonly_write {
                Err(req)
            } else {
                Ok(srv.call(req))
            };
            async move {
                let base = state.map(|s| s.config.base_url()).unwrap_or_default();
                let res = match call {
                    Ok(fut) => fut.await?,
                    Err(req) => {
                        let body = json!({"message": READONLY_MESSAGE, "is_readonly": true});
                        let res = HttpResponse::ServiceUnavailable().json(body);
                        return Ok(req.into_response(res).map_into_boxed_body());
                    }
                };
                let err = res.response().extensions().get::<ApiError>().cloned();
                Ok(match err {
                    Some(err) => {
                        let (req, _) = res.into_parts();
                        let body = HttpResponse::build(err.status).json(err.body(&base));
                        ServiceResponse::new(req, body).map_into_boxed_body()
                    }
                    None => res.map_into_boxed_body(),
                })
            }
        })
        // The access log: method, path and status only. Query strings and headers can
        // carry credentials (CSRF tokens, OAuth parameters), so they are never logged.
        .wrap_fn(|req, srv| {
            let started = std::time::Instant::now();
            let method = req.method().clone();
            let path = req.path().to_string();
            let call = srv.call(req);
            async move {
                let res = call.await?;
                tracing::info!(
                    target: "quay_http::access",
                    %method,
                    path,
                    status = res.status().as_u16(),
                    micros = started.elapsed().as_micros() as u64,
                );
                Ok(res)
            }
        })
        // `/v2` first: actix tries an app's services in order, and each of the API's
        // hundred-odd patterns is a regular expression run against the path, so a
        // registry request behind them would pay for all of them.
        .configure(|cfg| quay_registry::configure(cfg, registry))
        .configure(|cfg| routes::register(cfg, &config))
        .route("/api/v1/user/initialize", {
            if config.feature_user_initialize {
                web::post().to(handlers::user::initialize)
            } else {
                web::route().to(not_found)
            }
        })
        .route("/csrf_token", web::get().to(handlers::session::csrf_token))
        .route(
            "/oauth/authorize",
            web::get().to(handlers::oauth::authorize),
        )
        .route(
            "/oauth/authorizeapp",
            web::post().to(handlers::oauth::authorize_app),
        )
        .route("/oauth/denyapp", web::post().to(handlers::oauth::deny_app))
        .route(
            "/oauth/access_token",
            web::post().to(handlers::oauth::access_token),
        )
        .route("/oauth/localapp", web::get().to(handlers::oauth::local_app))
        .route(
            "/exportedlogs/{file}",
            web::get().to(handlers::logs::exported_logs),
        )
        .route("/health", web::get().to(handlers::web::instance))
        .route("/health/instance", web::get().to(handlers::web::instance))
        .route("/health/endtoend", web::get().to(handlers::web::endtoend))
        .default_service(web::to(not_found))
}

/// Unknown routes: Quay's not-found error body (Werkzeug's wording in `detail`).
fn unknown_route() -> ApiError {
    ApiError::not_found(
        "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
    )
}

async fn not_found() -> ApiResult {
    Err(unknown_route())
}

/// A known path with a method it does not have; a path through a repository
/// sub-resource that no route matched is an unknown route.
async fn method_not_allowed(req: actix_web::HttpRequest) -> ApiResult {
    if req
        .match_info()
        .get("repository")
        .is_some_and(routes::through_subresource)
    {
        return Err(unknown_route());
    }
    Err(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        "The method is not allowed for the requested URL.",
    ))
}
